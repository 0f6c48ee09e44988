//! The setup.py, setup.cfg, conda and Pipfile.lock readers on the fixtures, and on
//! garbled and hostile input (no panic, bounded work).

use crate::common;

use std::path::{Path, PathBuf};

use depwindow::files::Files;
use depwindow::formats::{self, Format};
use depwindow::manifest::{Parsed, ProblemKind, Role, VersionReq};
use depwindow::source::Span;

fn fixture(rel: &str) -> (Parsed, String) {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let path = root.join("fixtures").join(rel);
    let mut files = Files::new(root);
    let id = files.load(&path).expect("fixture loads");
    let format = Format::detect(&path).expect("fixture name is detected");
    let parsed = formats::parse(format, &mut files, id);
    (parsed, files.get(id).text.clone())
}

fn sl(t: &str, s: Span) -> &str {
    &t[s.start..s.end]
}

fn spec(p: &Parsed, name: &str) -> String {
    let r = p
        .requirements
        .iter()
        .find(|r| r.name.as_ref() == name)
        .expect(name);
    match &r.version {
        VersionReq::Specifiers { specifiers, .. } => specifiers.to_string(),
        VersionReq::Exact { version, .. } => format!("=={version}"),
        VersionReq::Any => "*".into(),
        other => format!("{other:?}"),
    }
}

#[test]
fn setup_py_fixtures() {
    let (p, t) = fixture("setup-py/literal/setup.py");
    assert!(p.problems.is_empty(), "{:?}", p.problems);
    assert_eq!(spec(&p, "tensorflow"), "==1.14.0");
    assert_eq!(spec(&p, "numpy"), ">=1.16");
    assert_eq!(sl(&t, p.requirements[1].loc().span), "numpy>=1.16");
    let groups: Vec<&str> = p.groups.iter().map(|g| g.name.as_str()).collect();
    assert_eq!(groups, ["install_requires", "extra:gpu", "extra:dev"]);

    let (p, t) = fixture("setup-py/computed/setup.py");
    assert_eq!(p.problems.len(), 1);
    assert_eq!(p.problems[0].kind, ProblemKind::Unevaluable);
    assert_eq!(
        sl(&t, p.problems[0].loc.span),
        "REQUIRED + [\"numpy>=1.16\"]"
    );
    assert_eq!(p.requirements.len(), 1, "the literal extra is still read");
}

#[test]
fn setup_cfg_fixtures_lf_and_crlf() {
    for case in [
        "setup-cfg/extras/setup.cfg",
        "setup-cfg/extras-crlf/setup.cfg",
    ] {
        let (p, t) = fixture(case);
        assert!(p.problems.is_empty(), "{case}: {:?}", p.problems);
        assert_eq!(spec(&p, "numpy"), ">=1.14.5");
        let pinned = p
            .requirements
            .iter()
            .filter(|r| r.name.as_ref() == "numpy")
            .nth(1)
            .unwrap();
        let VersionReq::Specifiers { span, .. } = &pinned.version else {
            panic!()
        };
        assert_eq!(sl(&t, span.get()), ">=1.14.5,<1.17");
        assert_eq!(p.groups[2].name, "extra:pinned");
        assert_eq!(p.members(2).len(), 3);
        assert_eq!(p.requires_python.as_ref().unwrap().0.to_string(), ">=3.5");
    }
}

#[test]
fn conda_fixtures() {
    for case in [
        "conda/numpy-fuzzy-pip-tf/environment.yml",
        "conda/crlf/environment.yml",
    ] {
        let (p, t) = fixture(case);
        assert!(p.problems.is_empty(), "{case}: {:?}", p.problems);
        assert_eq!(spec(&p, "numpy"), "==1.17.*");
        assert_eq!(spec(&p, "tensorflow"), "==1.14.0");
        let tf = p
            .requirements
            .iter()
            .find(|r| r.name.as_ref() == "tensorflow")
            .unwrap();
        assert_eq!(sl(&t, tf.loc().span), "tensorflow==1.14.0");
        assert_eq!(p.requires_python.as_ref().unwrap().0.to_string(), "==3.7.*");
        assert_eq!(p.groups[0].name, "environment");
    }
    let (p, _) = fixture("conda/pip-tf-2.8/environment.yml");
    assert_eq!(spec(&p, "tensorflow"), ">=2.8");
    assert_eq!(spec(&p, "numpy"), ">=1.20");
    let (p, t) = fixture("conda/tf-gpu-numpy-1.16/environment.yml");
    assert_eq!(spec(&p, "tensorflow-gpu"), "==1.14.0.*");
    assert_eq!(spec(&p, "numpy"), "==1.16.*");
    let np = p
        .requirements
        .iter()
        .find(|r| r.name.as_ref() == "numpy")
        .unwrap();
    assert_eq!(sl(&t, np.name_span()), "numpy");
}

#[test]
fn pipfile_lock_fixtures() {
    let (p, t) = fixture("pipfile-lock/numpy-1.17/Pipfile.lock");
    assert!(p.problems.is_empty(), "{:?}", p.problems);
    assert_eq!(spec(&p, "numpy"), "==1.17.0");
    let np = &p.requirements[0];
    assert_eq!(np.role, Role::Locked);
    let VersionReq::Exact { span, .. } = &np.version else {
        panic!()
    };
    let span = span.get();
    assert_eq!(sl(&t, span), "1.17.0");
    assert_eq!(
        t[..span.start].lines().count(),
        24,
        "the version sits on line 24"
    );
    let (p, _) = fixture("pipfile-lock/numpy-1.16.6-clean/Pipfile.lock");
    assert_eq!(spec(&p, "numpy"), "==1.16.6");
    assert_eq!(p.groups[1].name, "default+develop");
}

use common::XorShift as Rng;

fn parse_all(bytes: &[u8]) -> usize {
    let mut n = 0;
    for (name, format) in [
        ("setup.py", Format::SetupPy),
        ("setup.cfg", Format::SetupCfg),
        ("environment.yml", Format::Conda),
        ("Pipfile.lock", Format::PipfileLock),
    ] {
        let mut files = Files::new(std::env::temp_dir());
        let id = files.add(&Path::new("/nonexistent-dw-fuzz").join(name), bytes);
        let p = formats::parse(format, &mut files, id);
        let len = files.get(id).text.len();
        for r in &p.requirements {
            assert!(r.loc().span.end <= len && r.name_span().end <= len);
        }
        for x in &p.problems {
            assert!(
                x.loc.span.start <= x.loc.span.end && x.loc.span.end <= len,
                "{name}: {x:?}"
            );
        }
        n += p.requirements.len() + p.problems.len();
    }
    n
}

#[test]
fn garbled_inputs_do_not_panic() {
    let seeds: Vec<&[u8]> = vec![
        include_bytes!("../../fixtures/setup-py/literal/setup.py"),
        include_bytes!("../../fixtures/setup-cfg/extras/setup.cfg"),
        include_bytes!("../../fixtures/conda/numpy-fuzzy-pip-tf/environment.yml"),
        include_bytes!("../../fixtures/pipfile-lock/numpy-1.17/Pipfile.lock"),
    ];
    let alphabet = b"[]{}()\"'\\:=,-#; \n\r\t*&!|>numpy1.6<@/u\xc3\xa9\xff";
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    for round in 0..400 {
        let mut input = seeds[round % seeds.len()].to_vec();
        for _ in 0..(1 + rng.next() % 12) {
            let at = (rng.next() as usize) % (input.len() + 1);
            match rng.next() % 3 {
                0 => input.insert(at, alphabet[(rng.next() as usize) % alphabet.len()]),
                1 if at < input.len() => {
                    input.remove(at);
                }
                _ => input.truncate(at),
            }
        }
        parse_all(&input);
    }
    for _ in 0..200 {
        let len = (rng.next() % 200) as usize;
        let input: Vec<u8> = (0..len)
            .map(|_| alphabet[(rng.next() as usize) % alphabet.len()])
            .collect();
        parse_all(&input);
    }
}

#[test]
fn hostile_inputs_are_bounded() {
    let cases: Vec<Vec<u8>> = vec![
        "[".repeat(200_000).into_bytes(),
        "{\"a\":".repeat(200_000).into_bytes(),
        format!("setup(install_requires={}", "[".repeat(200_000)).into_bytes(),
        format!("dependencies:\n{}x\n", "- ".repeat(200_000)).into_bytes(),
        b"a: &a [\"lol\",\"lol\"]\nb: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]\nc: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]\n\
          dependencies: *c\n"
            .to_vec(),
        format!("[options]\ninstall_requires =\n{}", "  numpy>=1.16\n".repeat(20_000)).into_bytes(),
    ];
    for case in cases {
        // Must return (no stack overflow, no blow-up) and say something about the input.
        assert!(parse_all(&case) > 0);
    }
}

/// The walk reads a conda environment whatever its name, when it has the top-level
/// `channels:` and `dependencies:` that `conda env export` writes (`conda/spleeter-cpu.yaml`,
/// `folding-linux.yml`: found in real repositories, and skipped, "All checks passed! (0
/// files checked)"); a Helm chart or an Ansible role, with `dependencies:` alone, and other
/// YAML are not read.
#[test]
fn the_walk_finds_conda_environments_by_their_content() {
    let dir = common::Scratch::new("conda-walk");
    let env = "name: cpu\nchannels:\n  - conda-forge\ndependencies:\n  - python=3.7\n  \
               - tensorflow=1.14.0\n  - numpy=1.17\n";
    // Flow style and a comment after a key are the same keys to YAML (and to conda).
    let flow = "channels: [conda-forge]  # pinned\ndependencies:   # conda\n  - numpy=1.17\n  \
                - tensorflow=1.14.0\n";
    dir.write("conda/env-cpu.yaml", env)
        .write("conda/flow.yml", flow)
        .write("conda/not-a-key.yml", "channels:x\ndependencies:y\n")
        .write(
            "conda/quoted.yml",
            "\"channels\" : [defaults]\n'dependencies':\n  - numpy=1.17\n  - tensorflow=1.14.0\n",
        )
        // A tab after the colon is an error to conda's YAML loader (ruamel, PyYAML).
        .write(
            "conda/tab.yml",
            "channels:\t# x\n  - defaults\ndependencies:\n  - numpy=1.17\n",
        )
        // Scalars where conda needs lists: some other YAML.
        .write("conda/scalars.yml", "channels: 3\ndependencies: none\n")
        .write(
            "deploy/Chart.yaml",
            "apiVersion: v2\ndependencies:\n  - name: redis\n    version: 1.0.0\n",
        )
        .write("roles/x/meta/main.yml", "dependencies:\n  - role: common\n")
        .write(
            ".github/workflows/ci.yml",
            "on: push\njobs:\n  a:\n    runs-on: x\n",
        );
    let out = common::run_in(
        dir.path(),
        &["check", "--output-format", "json", "."],
        &[],
        None,
    );
    let json: serde_json::Value = serde_json::from_str(&out.stdout).expect(&out.stderr);
    let paths: std::collections::BTreeSet<&str> = json["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["path"].as_str().unwrap())
        .collect();
    assert_eq!(
        paths,
        ["conda/env-cpu.yaml", "conda/flow.yml", "conda/quoted.yml"].into(),
        "{}",
        out.stdout
    );
    assert!(
        json["diagnostics"]
            .as_array()
            .unwrap()
            .iter()
            .any(|d| d["code"] == "DW101" && d["rule"] == "tensorflow-1.14/numpy"),
        "numpy=1.17 is outside the window: {}",
        out.stdout
    );
    assert_eq!(json["summary"]["files"], 3, "{}", json["summary"]);
}

/// A walk that finds no dependency file says so on standard error (as ruff's "No Python
/// files found"), where "All checks passed! (0 files checked)" alone read like a clean tree;
/// the report and the exit code stay those of a clean run.
#[test]
fn a_walk_that_finds_nothing_says_so() {
    let dir = common::Scratch::new("walk-finds-nothing");
    dir.write("conda/env.yaml", "dependencies:\n  - numpy\n")
        .write("README.md", "# nothing to check\n");
    let out = common::run_in(dir.path(), &["check", "."], &[], None);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(out.stdout.contains("0 files checked"), "{}", out.stdout);
    assert!(
        out.stderr
            .contains("warning: no dependency files found under `.`; nothing was checked"),
        "{}",
        out.stderr
    );
    // No path named is the current directory.
    let out = common::run_in(dir.path(), &["check"], &[], None);
    assert!(
        out.stderr.contains("no dependency files found under `.`;"),
        "{}",
        out.stderr
    );
    // A tree with a file to check says nothing of the kind.
    dir.write("requirements.txt", "six\n");
    let out = common::run_in(dir.path(), &["check", "."], &[], None);
    assert!(
        !out.stderr.contains("no dependency files"),
        "{}",
        out.stderr
    );
}
