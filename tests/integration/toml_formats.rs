//! Parse results of the TOML-based formats: names, versions, markers, roles, groups and
//! exact spans, problems with their spans, and robustness on garbled input.

use std::path::{Path, PathBuf};

use depwindow::files::Files;
use depwindow::formats::{self, Format};
use depwindow::manifest::{Parsed, ProblemKind, Requirement, Role, VersionReq};
use depwindow::source::Span;

struct Out {
    text: String,
    parsed: Parsed,
}

fn fixture(rel: &str) -> Out {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures")
        .join(rel);
    let mut files = Files::new(PathBuf::from(env!("CARGO_MANIFEST_DIR")));
    let id = files.load(&path).expect("fixture loads");
    let format = Format::detect(&path).expect("format detected");
    let parsed = formats::parse(format, &mut files, id);
    Out {
        text: files.get(id).text.clone(),
        parsed,
    }
}

fn parse_text(name: &str, text: &str) -> Out {
    let mut files = Files::new(PathBuf::from("/"));
    let path = Path::new("/x").join(name);
    let id = files.add(&path, text.as_bytes());
    let parsed = formats::parse(Format::detect(&path).unwrap(), &mut files, id);
    Out {
        text: files.get(id).text.clone(),
        parsed,
    }
}

impl Out {
    fn s(&self, span: Span) -> &str {
        &self.text[span.start..span.end]
    }
    fn reqs(&self, name: &str) -> Vec<&Requirement> {
        self.parsed
            .requirements
            .iter()
            .filter(|r| r.name.as_ref() == name)
            .collect()
    }
    fn one(&self, name: &str) -> &Requirement {
        let r = self.reqs(name);
        assert_eq!(r.len(), 1, "expected one `{name}` in {:#?}", self.summary());
        r[0]
    }
    /// `name version-text` of each requirement, in file order.
    fn summary(&self) -> Vec<String> {
        self.parsed
            .requirements
            .iter()
            .map(|r| format!("{} {}", r.name, version(r)))
            .collect()
    }
    fn group(&self, name: &str) -> Vec<String> {
        let g = self
            .parsed
            .groups
            .iter()
            .position(|g| g.name == name)
            .unwrap_or_else(|| panic!("no group `{name}` in {:?}", self.group_names()));
        // Its base's members too, when it adds to one.
        self.parsed
            .members(g)
            .iter()
            .map(|&i| {
                let r = &self.parsed.requirements[i];
                format!("{} {}", r.name, version(r))
            })
            .collect()
    }
    fn group_names(&self) -> Vec<&str> {
        self.parsed.groups.iter().map(|g| g.name.as_str()).collect()
    }
    fn problems(&self) -> Vec<(ProblemKind, &str, &str)> {
        self.parsed
            .problems
            .iter()
            .map(|p| (p.kind, self.s(p.loc.span), p.message.as_str()))
            .collect()
    }
    fn requires_python(&self) -> (String, &str) {
        let (spec, loc) = self
            .parsed
            .requires_python
            .as_ref()
            .expect("requires_python");
        (spec.to_string(), self.s(loc.span))
    }
    /// The specifier span's text (or the version span's for Exact / AnyOf).
    fn vspan(&self, r: &Requirement) -> &str {
        match &r.version {
            VersionReq::Specifiers { span, .. }
            | VersionReq::AnyOf { span, .. }
            | VersionReq::Exact { span, .. } => self.s(span.get()),
            _ => panic!("no version span"),
        }
    }
    fn clauses(&self, r: &Requirement) -> Vec<&str> {
        match &r.version {
            VersionReq::Specifiers { clauses, .. } => clauses.iter().map(|c| self.s(c)).collect(),
            _ => Vec::new(),
        }
    }
}

fn version(r: &Requirement) -> String {
    match &r.version {
        VersionReq::Any => "*".into(),
        VersionReq::Specifiers { specifiers, .. } => specifiers.to_string(),
        VersionReq::AnyOf { alternatives, .. } => alternatives
            .iter()
            .map(|a| a.to_string())
            .collect::<Vec<_>>()
            .join(" || "),
        VersionReq::Exact { version, .. } => format!("=={version}"),
        VersionReq::Unversioned => "(direct)".into(),
    }
}

fn marker(r: &Requirement) -> String {
    r.marker().try_to_string().unwrap_or_default()
}

#[test]
fn poetry_caret() {
    let o = fixture("poetry/caret/pyproject.toml");
    let np = o.one("numpy");
    assert_eq!(version(np), ">=1.16, <2.0");
    assert_eq!(o.vspan(np), "^1.16");
    assert_eq!(o.s(np.name_span()), "numpy");
    assert_eq!(o.s(np.loc().span), "numpy = \"^1.16\"");
    assert_eq!(np.syntax, depwindow::manifest::Syntax::Poetry);
    assert_eq!(version(o.one("tensorflow")), ">=1.14, <2.0");
    assert_eq!(
        o.group("poetry"),
        ["tensorflow >=1.14, <2.0", "numpy >=1.16, <2.0"]
    );
    assert_eq!(o.group("build-system"), ["poetry-core >=1.0.0"]);
    assert_eq!(o.requires_python(), (">=3.6, <4.0".into(), "^3.6"));
    assert!(o.parsed.problems.is_empty());
}

#[test]
fn poetry_tilde_and_exact() {
    let o = fixture("poetry/tilde/pyproject.toml");
    assert_eq!(version(o.one("numpy")), ">=1.16, <1.17");
    assert_eq!(o.vspan(o.one("numpy")), "~1.16");
    let tf = o.one("tensorflow");
    assert_eq!(version(tf), "==1.14.0");
    assert_eq!(o.clauses(tf), ["1.14.0"]);
    let o = fixture("poetry/exact-no-numpy/pyproject.toml");
    assert_eq!(o.summary(), ["tensorflow ==1.14.0"]);
    assert_eq!(o.requires_python(), (">=3.7, <3.8".into(), "~3.7"));
    let lock = fixture("poetry/exact-no-numpy/poetry.lock");
    assert_eq!(
        lock.summary(),
        [
            "gast ==0.2.2",
            "numpy ==1.16.6",
            "protobuf ==3.20.3",
            "tensorflow ==1.14.0"
        ]
    );
}

#[test]
fn poetry_multiple_constraints_crlf_and_extras() {
    let o = fixture("poetry/multi-constraint/pyproject.toml");
    assert!(o.text.contains("\r\n"));
    let np = o.reqs("numpy");
    assert_eq!(np.len(), 2);
    assert_eq!(version(np[0]), ">=1.16, <1.17");
    assert_eq!(marker(np[0]), "python_full_version < '3.8'");
    assert_eq!(
        o.s(np[0].loc().span),
        "{ version = \"~1.16\", python = \"<3.8\" }"
    );
    assert_eq!(o.vspan(np[0]), "~1.16");
    assert_eq!(version(np[1]), ">=1.18, <2.0");
    assert_eq!(marker(np[1]), "python_full_version >= '3.8'");
    let tf = o.one("tensorflow");
    assert_eq!(marker(tf), "platform_machine == 'x86_64'");
    assert!(matches!(o.one("scipy").version, VersionReq::Unversioned));
    let pd = o.one("pandas");
    assert_eq!(version(pd), ">=0.24, <0.26");
    assert_eq!(o.clauses(pd), [">=0.24", "<0.26"]);
    assert_eq!(
        pd.extras()
            .iter()
            .map(|e| e.to_string())
            .collect::<Vec<_>>(),
        ["performance"]
    );
    // Optional dependencies are only in the extra that names them.
    assert!(!o.group("poetry").iter().any(|m| m.starts_with("pandas")));
    assert!(o
        .group("poetry[data]")
        .iter()
        .any(|m| m.starts_with("pandas")));
}

#[test]
fn poetry_groups() {
    let o = fixture("poetry/groups/pyproject.toml");
    assert_eq!(
        o.group_names(),
        ["poetry", "poetry:dev", "poetry:notebooks", "poetry:test"]
    );
    assert_eq!(o.group("poetry"), ["tensorflow ==1.14.0"]);
    assert_eq!(
        o.group("poetry:test"),
        ["tensorflow ==1.14.0", "numpy >=1.14.5, <1.17", "pytest *"]
    );
    assert_eq!(
        o.group("poetry:notebooks"),
        ["tensorflow ==1.14.0", "numpy ==1.17.*"]
    );
    let black = o.one("black");
    assert!(black.pre, "allow-prereleases sets pre");
    assert_eq!(
        o.group("poetry:dev"),
        ["tensorflow ==1.14.0", "black >=19.10b0, <20.0"]
    );
}

#[test]
fn pipfile_star_and_requires() {
    let o = fixture("pipfile/star/Pipfile");
    assert!(matches!(o.one("numpy").version, VersionReq::Any));
    assert_eq!(o.s(o.one("numpy").loc().span), "numpy = \"*\"");
    assert_eq!(o.group_names(), ["packages"]);
    assert_eq!(o.requires_python(), ("==3.7.*".into(), "3.7"));
}

#[test]
fn pipfile_dev_packages() {
    let o = fixture("pipfile/dev-packages/Pipfile");
    let np = o.reqs("numpy");
    assert_eq!(o.vspan(np[0]), ">=1.14.5, <1.17");
    assert_eq!(o.clauses(np[0]), [">=1.14.5", "<1.17"]);
    assert_eq!(np[0].syntax, depwindow::manifest::Syntax::Pep440Value);
    assert_eq!(marker(np[1]), "python_full_version >= '3.6'");
    assert_eq!(np[1].extras().len(), 1);
    assert_eq!(marker(o.one("tensorflow")), "sys_platform == 'linux'");
    assert!(matches!(o.one("mylib").version, VersionReq::Unversioned));
    assert!(
        o.parsed.requirements.iter().all(|r| r.pre),
        "allow_prereleases"
    );
    assert_eq!(
        o.group("packages"),
        [
            "tensorflow ==1.14.0",
            "numpy >=1.14.5, <1.17",
            "mylib (direct)"
        ]
    );
    assert_eq!(o.group("packages+dev-packages").len(), 5);
    assert_eq!(o.requires_python(), ("==3.7.4".into(), "3.7.4"));
}

#[test]
fn pep621_extras_groups_build_system() {
    let o = fixture("pyproject/pep621-full/pyproject.toml");
    let np = o.reqs("numpy");
    assert_eq!(np.len(), 3);
    let base = np.iter().find(|r| !r.marker().is_true()).unwrap();
    assert_eq!(
        o.s(base.loc().span),
        "numpy >=1.14.5, <1.17 ; python_version < '3.8'"
    );
    assert_eq!(o.vspan(base), ">=1.14.5, <1.17");
    assert_eq!(o.clauses(base), [">=1.14.5", "<1.17"]);
    assert_eq!(marker(base), "python_full_version < '3.8'");
    assert_eq!(
        o.group("project"),
        ["tensorflow ==1.14.0", "numpy >=1.14.5, <1.17"]
    );
    // plots pulls in fast through `full-demo[fast]`; the self-reference is not a requirement.
    assert_eq!(
        o.group("project[plots]"),
        [
            "tensorflow ==1.14.0",
            "numpy >=1.14.5, <1.17",
            "matplotlib >=3.0",
            "numpy >=1.16"
        ]
    );
    let plots = o
        .parsed
        .groups
        .iter()
        .find(|g| g.name == "project[plots]")
        .unwrap();
    assert_eq!(
        plots
            .extras
            .iter()
            .map(|e| e.to_string())
            .collect::<Vec<_>>(),
        ["plots", "fast"]
    );
    assert!(o.reqs("full-demo").is_empty());
    // A self-referencing extra terminates.
    assert_eq!(o.group("project[cycle]").last().unwrap(), "six *");
    assert_eq!(
        o.group("dependency-groups:test"),
        [
            "tensorflow ==1.14.0",
            "numpy >=1.14.5, <1.17",
            "pytest >=5",
            "flake8 *"
        ]
    );
    assert_eq!(o.group("dependency-groups:all").len(), 6);
    assert_eq!(
        o.group("build-system"),
        ["setuptools >=61", "numpy >=1.16, <1.17", "wheel *"]
    );
    let probs = o.problems();
    assert!(probs
        .iter()
        .any(|(k, s, m)| *k == ProblemKind::Parse && *s == "missing" && m.contains("unknown")));
    assert_eq!(
        probs.iter().filter(|(_, _, m)| m.contains("cycle")).count(),
        2
    );
    assert_eq!(o.requires_python(), (">=3.6, <3.8".into(), ">=3.6,<3.8"));
}

#[test]
fn uv_and_pdm_tables() {
    let o = fixture("pyproject/uv-constraints/pyproject.toml");
    let np = o.reqs("numpy");
    let roles: Vec<Role> = np.iter().map(|r| r.role).collect();
    assert_eq!(roles, [Role::Require, Role::Constrain, Role::Override]);
    for g in ["project", "uv:dev", "pdm:docs"] {
        let m = o.group(g);
        assert!(
            m.contains(&"numpy <1.17".to_string())
                && m.contains(&"numpy >=1.16, <1.17".to_string()),
            "{g}"
        );
    }
    assert!(o.group("uv:dev").contains(&"pytest >=7".to_string()));
    assert!(o.group("pdm:docs").contains(&"sphinx >=4".to_string()));
}

#[test]
fn poetry_lock_v1_and_v2() {
    let o = fixture("poetry-lock/v1-tf114/poetry.lock");
    let np = o.one("numpy");
    assert_eq!(np.role, Role::Locked);
    assert_eq!(o.vspan(np), "1.17.0");
    assert_eq!(o.s(np.name_span()), "numpy");
    assert_eq!(o.group("main"), ["numpy ==1.17.0", "tensorflow ==1.14.0"]);
    assert_eq!(
        o.group("main+dev"),
        ["numpy ==1.17.0", "pytest ==5.0.1", "tensorflow ==1.14.0"]
    );
    assert_eq!(o.requires_python().0, ">=3.7, <4.0");

    let o = fixture("poetry-lock/v2-tf114/poetry.lock");
    let np = o.reqs("numpy");
    assert_eq!(marker(np[0]), "python_full_version < '3.8'");
    // A per-group markers table: one requirement per group, under that group's marker.
    let mut per_group: Vec<String> = np[1..].iter().map(|r| marker(r)).collect();
    per_group.sort();
    assert_eq!(
        per_group,
        ["python_full_version >= '3.8'", "sys_platform == 'linux'"]
    );
    assert_eq!(
        o.group("main"),
        ["numpy ==1.16.6", "numpy ==1.17.0", "tensorflow ==1.14.0"]
    );
    assert!(o.group("main+dev").contains(&"mylib ==0.1.0".to_string()));

    let o = fixture("poetry-lock/tf115/poetry.lock");
    assert_eq!(o.summary(), ["tensorflow ==1.15.4", "numpy ==1.18.5"]);
}

#[test]
fn uv_lock_forks() {
    let o = fixture("uv-lock/forked/uv.lock");
    let np = o.reqs("numpy");
    assert_eq!(
        np.iter().map(|r| version(r)).collect::<Vec<_>>(),
        ["==1.16.6", "==1.21.6"]
    );
    assert_eq!(marker(np[0]), "python_full_version < '3.8'");
    assert_eq!(marker(np[1]), "python_full_version >= '3.8'");
    assert!(matches!(o.one("gitdep").version, VersionReq::Unversioned));
    // No path from the root (`uv-demo`, editable) reaches `gitdep`: installed nowhere.
    assert!(o.one("gitdep").marker().tree().is_false());
    let names: Vec<&str> = o.parsed.groups.iter().map(|g| g.name.as_str()).collect();
    assert_eq!(names, ["project"]);
    assert_eq!(o.requires_python(), (">=3.7".into(), ">=3.7"));
}

#[test]
fn pdm_lock_and_pylock() {
    let o = fixture("pdm-lock/basic/pdm.lock");
    assert_eq!(marker(o.one("numpy")), "python_full_version < '3.8'");
    assert_eq!(
        o.group("default"),
        ["numpy ==1.16.6", "tensorflow ==1.14.0"]
    );
    assert_eq!(o.group("default+test").len(), 3);
    let o = fixture("pylock/basic/pylock.toml");
    assert_eq!(
        o.summary(),
        [
            "numpy ==1.17.0",
            "tensorflow ==1.14.0",
            "local-pkg (direct)"
        ]
    );
    assert_eq!(marker(o.one("numpy")), "python_full_version >= '3.7'");
    assert_eq!(o.vspan(o.one("numpy")), "1.17.0");
}

#[test]
fn wrong_types_are_problems_at_the_value() {
    let o = parse_text(
        "pyproject.toml",
        "[project]\nname = \"x\"\ndependencies = [\"numpy>=1\", 42]\nrequires-python = 3\n[tool.poetry.dependencies]\nnumpy = 1.16\nscipy = [\"x\"]\n[tool.uv]\nconstraint-dependencies = \"numpy<2\"\n",
    );
    let p = o.problems();
    let at: Vec<&str> = p.iter().map(|(_, s, _)| *s).collect();
    assert!(p.iter().all(|(k, _, _)| *k == ProblemKind::Parse));
    assert_eq!(at, ["42", "3", "1.16", "\"x\"", "\"numpy<2\""], "{p:?}");
    assert_eq!(o.summary(), ["numpy >=1"]);

    let o = parse_text(
        "Pipfile",
        "packages = \"numpy\"\n[dev-packages]\nnumpy = 5\n",
    );
    assert_eq!(
        o.problems().iter().map(|p| p.1).collect::<Vec<_>>(),
        ["\"numpy\"", "5"]
    );

    let o = parse_text(
        "pyproject.toml",
        "[project]\ndependencies = [\"numpy>=>1\", \"caf\\u00e9>=1\"]\n",
    );
    let p = o.problems();
    assert_eq!(p.len(), 2, "{p:?}");
    let first = o.parsed.problems[0].loc.span;
    assert!(
        first.start >= 27 && first.end <= 36 && !first.is_empty(),
        "{first:?} in {:?}",
        o.s(first)
    );
    // An escaped string cannot be mapped inside: the whole token is blamed.
    assert_eq!(p[1].1, "\"caf\\u00e9>=1\"");
}

#[test]
fn malformed_toml_reports_the_error_span() {
    let text = "[project]\ndependencies = [\"numpy\"\nname = \"x\"\n";
    let o = parse_text("pyproject.toml", text);
    assert_eq!(o.parsed.problems.len(), 1);
    let p = &o.parsed.problems[0];
    assert_eq!(p.kind, ProblemKind::Parse);
    assert!(
        p.loc.span.start >= text.find("name").unwrap() - 1,
        "{:?} {}",
        p.loc.span,
        p.message
    );
    assert!(o.parsed.requirements.is_empty());
    for name in [
        "Pipfile",
        "poetry.lock",
        "uv.lock",
        "pdm.lock",
        "pylock.toml",
    ] {
        let o = parse_text(name, "[[package]\nname = 1");
        assert_eq!(o.parsed.problems.len(), 1, "{name}");
    }
}

#[test]
fn deep_nesting_does_not_crash() {
    let depth = 10_000;
    let text = format!("a = {}1{}\n", "[".repeat(depth), "]".repeat(depth));
    let o = parse_text("pyproject.toml", &text);
    assert_eq!(o.parsed.problems.len(), 1);
    assert!(o.parsed.problems[0].message.contains("nested"));
    let text = format!("a = {}\n", "{b = ".repeat(depth));
    let o = parse_text("Pipfile", &text);
    assert_eq!(o.parsed.problems.len(), 1);
}

#[test]
fn garbled_inputs_never_panic() {
    let seeds = [
        std::fs::read_to_string(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/fixtures/pyproject/pep621-full/pyproject.toml"
        ))
        .unwrap(),
        std::fs::read_to_string(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/fixtures/poetry/multi-constraint/pyproject.toml"
        ))
        .unwrap(),
        std::fs::read_to_string(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/fixtures/pipfile/dev-packages/Pipfile"
        ))
        .unwrap(),
        std::fs::read_to_string(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/fixtures/poetry-lock/v2-tf114/poetry.lock"
        ))
        .unwrap(),
        std::fs::read_to_string(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/fixtures/uv-lock/forked/uv.lock"
        ))
        .unwrap(),
    ];
    let names = [
        "pyproject.toml",
        "Pipfile",
        "poetry.lock",
        "uv.lock",
        "pdm.lock",
        "pylock.toml",
    ];
    let mut state: u64 = 0xDEAD_BEEF;
    let mut next = || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    let alphabet = b"[]{}\"'=,.#\n\r\\ ^~*|<>!0123456789abcnumpy\xC3\xA9\t";
    let mut parsed_ok = 0;
    for round in 0..600 {
        let mut bytes = seeds[round % seeds.len()].clone().into_bytes();
        for _ in 0..(1 + next() % 8) {
            let at = (next() as usize) % (bytes.len() + 1);
            match next() % 3 {
                0 if at < bytes.len() => {
                    bytes.remove(at);
                }
                1 => bytes.insert(at, alphabet[(next() as usize) % alphabet.len()]),
                _ if at < bytes.len() => bytes[at] = alphabet[(next() as usize) % alphabet.len()],
                _ => {}
            }
        }
        let text = String::from_utf8_lossy(&bytes).into_owned();
        for name in names {
            let o = parse_text(name, &text);
            for r in &o.parsed.requirements {
                // Every span is inside the text and on char boundaries.
                assert!(o.text.get(r.loc().span.start..r.loc().span.end).is_some());
                assert!(o.text.get(r.name_span().start..r.name_span().end).is_some());
            }
            for p in &o.parsed.problems {
                assert!(
                    o.text.get(p.loc.span.start..p.loc.span.end).is_some(),
                    "{:?}",
                    p
                );
            }
            for g in &o.parsed.groups {
                assert!(g.members.iter().all(|&i| i < o.parsed.requirements.len()));
            }
            parsed_ok += usize::from(o.parsed.problems.is_empty());
        }
    }
    assert!(parsed_ok > 0);
}
