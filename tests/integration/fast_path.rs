//! Issue 13 "A one-pass requirements reader": a requirements-file line on a package no rule
//! reads is checked by the PEP 508 scanner (`pep508::Mode::Check`) and its specifiers are
//! left unbuilt (`VersionReq::Unread`); everything the scanner does not vouch for goes
//! through the full parse. These tests hold the fast path to the full parse: the same lines
//! accepted and rejected, the same problems at the same places, the same names and spans;
//! and through the binary, the same DW001 findings on the lines no rule reads.

use std::collections::BTreeSet;
use std::str::FromStr;

use depwindow::formats::requirements::{parse_text, parse_text_with, FileParse};
use depwindow::formats::Relevant;
use depwindow::manifest::{Requirement, Role, VersionReq};
use pep508_rs::PackageName;

const NAMES: &[&str] = &[
    "numpy",
    "Pkg_One",
    "a.b-c_d",
    "zope.interface",
    "x.zip",
    "h5py",
    "a-",
    "caf\u{e9}",
    "9",
];
const EXTRAS: &[&str] = &["", "[gpu]"];
/// Valid and invalid specifiers: inside and just outside the scanner's plain form.
const SPECS: &[&str] = &[
    "",
    "==1.2.3",
    ">=1.16,<1.17",
    " >= 1.16 , <1.17 ",
    "(>=1.14.5,<1.17)",
    " ( >=1 ) ",
    "(>=1",
    "()",
    "==1.16.*",
    "!=1.*",
    "~=1.16.0",
    "~=1",
    "~=1.*",
    ">=1.*",
    "==1.0.*.post1",
    "==1.0a1",
    ">=1.0rc2.post3.dev4",
    "<1.0.dev0",
    ">1.0.post",
    ">=1.0.a1",
    "==1.0+local",
    "===1.16.4",
    "==01.002",
    "==1234567890123456789",
    "==123456789012345678",
    ">=1,",
    ">=1,,<2",
    ",>=1",
    ">=>1",
    "<=x",
    "= 1",
    ">= 1 .0",
    "== 1.0\t",
    ">=1.0\u{a0}",
    "==v1.0",
    "==1!2.0",
    " @ https://x/y.whl",
    " foo",
    ">=1)",
];
const MARKERS: &[&str] = &["", " ; python_version < \"3.8\"", "; (((("];
const TAILS: &[&str] = &[
    "",
    " --hash=sha256:00ff --hash=sha512:ab",
    " \\\n    --hash=sha256:ab \\\n    --hash=sha256:cd",
    " --hash=md5:00",
    "  # comment",
];

/// Every combination of the fragments above: about 10,000 lines.
fn lines() -> Vec<String> {
    let mut out = Vec::new();
    for n in NAMES {
        for e in EXTRAS {
            for s in SPECS {
                for m in MARKERS {
                    for t in TAILS {
                        out.push(format!("{n}{e}{s}{m}{t}"));
                    }
                }
            }
        }
    }
    out
}

/// The fast path's reading of `text` equals the full parse's, but for the requirements it
/// vouched for on packages no rule reads, which it does not keep: the same problems at the
/// same places, flags and includes (an include's `position` counts the requirements kept),
/// and the kept requirements are the full parse's, in order. Returns how many it dropped.
fn same_reading(text: &str, full: &FileParse, fast: &FileParse, relevant: &Relevant) -> usize {
    let problems = |p: &FileParse| format!("{:?}", p.problems);
    assert_eq!(problems(full), problems(fast), "{text:?}");
    assert_eq!(full.hashed, fast.hashed, "{text:?}");
    assert_eq!(full.pre, fast.pre, "{text:?}");
    let kept = kept(text, &full.requirements, &fast.requirements, relevant);
    assert_eq!(full.includes.len(), fast.includes.len(), "{text:?}");
    for (a, b) in full.includes.iter().zip(&fast.includes) {
        assert_eq!(
            (&a.kind, &a.target, a.loc),
            (&b.kind, &b.target, b.loc),
            "{text:?}"
        );
        let before = kept[..a.position].iter().filter(|&&k| k).count();
        assert_eq!(before, b.position, "{text:?}");
    }
    kept.iter().filter(|&&k| !k).count()
}

/// Which of `full` the fast reading kept: `fast` is `full` without some requirements, in
/// order, each kept one the same; a dropped one is on a package `relevant` does not name,
/// with no extras and no direct reference.
fn kept(text: &str, full: &[Requirement], fast: &[Requirement], relevant: &Relevant) -> Vec<bool> {
    let dbg = |r: &Requirement| {
        format!(
            "{:?}",
            (
                &r.name,
                r.extras(),
                &r.version,
                r.marker(),
                r.role,
                r.loc(),
                r.name_span()
            ),
        ) + &format!("{:?}", (r.hashed, r.pre))
    };
    let mut fast = fast.iter().peekable();
    let kept: Vec<bool> = full
        .iter()
        .map(|a| {
            if fast.peek().is_some_and(|b| dbg(a) == dbg(b)) {
                fast.next();
                return true;
            }
            assert!(
                !relevant.wants(a.name.as_ref())
                    && a.extras().is_empty()
                    && !matches!(a.version, VersionReq::Unversioned),
                "{text:?}: {a:?} dropped"
            );
            false
        })
        .collect();
    assert!(fast.next().is_none(), "{text:?}: {full:?} / {kept:?}");
    kept
}

#[test]
fn the_fast_path_accepts_and_rejects_what_the_full_parse_does() {
    let nothing = Relevant::only([]);
    let numpy = PackageName::from_str("numpy").unwrap();
    let only_numpy = Relevant::only([&numpy]);
    let mut unread = 0;
    let mut rejected = 0;
    let all = lines();
    for (i, line) in all.iter().enumerate() {
        let full = parse_text(0, line, 3, Role::Require);
        let fast = parse_text_with(0, line, 3, Role::Require, &nothing);
        unread += same_reading(line, &full, &fast, &nothing);
        rejected += usize::from(!full.problems.is_empty());
        // The other readings on every fifth line (a cheap test).
        if i % 5 != 0 {
            continue;
        }
        // A relevant package is always kept (`kept` checks it).
        let some = parse_text_with(0, line, 3, Role::Require, &only_numpy);
        same_reading(line, &full, &some, &only_numpy);
        // As a constraints file (extras are an error there).
        let full_c = parse_text(0, line, 3, Role::Constrain);
        let fast_c = parse_text_with(0, line, 3, Role::Constrain, &nothing);
        same_reading(line, &full_c, &fast_c, &nothing);
    }
    // The generation reaches both sides: many lines take the fast path, many are rejected.
    assert!(unread > 500, "{unread} of {}", all.len());
    assert!(rejected > all.len() / 3, "{rejected} of {}", all.len());

    // The same lines as one file, joined with continuations, comments and CRLF between:
    // lines read across physical lines map their spans the same way.
    for sep in ["\n", "\r\n", " \\\n", "\n# c \\\n"] {
        let text = all[..3000].join(sep);
        let full = parse_text(0, &text, 0, Role::Require);
        let fast = parse_text_with(0, &text, 0, Role::Require, &nothing);
        same_reading(&text[..80], &full, &fast, &nothing);
    }
}

/// A line on a package no rule reads is left unparsed by pep508_rs when it is plainly
/// valid, and every invalid one still yields its DW001 (`parse-error`) at the place the full
/// parse reports.
#[test]
fn an_unread_package_still_yields_dw001_on_the_same_lines() {
    let text = "tensorflow==1.14.0 \\\n    --hash=sha256:aa\nnumpy>=1.16,<1.17\n\
        pkg-one==1.2.3 \\\n    --hash=sha256:00 \\\n    --hash=sha256:11\n\
        pkg-two>=>1\npkg-three~=1\npkg-four==1.0.*.post1\npkg-five (>=1\n\
        pkg-six==1.0 --hash=md5:00\npkg-seven>=1,\npkg-eight==1.0+local\n\
        pkg-nine.==1\npkg-ten==1.0a1\nx.zip\npkg-eleven===1.0\n";
    // What the full parse reports, as (line, column) in the file.
    let full = parse_text(0, text, 0, Role::Require);
    let at = |offset: usize| {
        let before = &text[..offset];
        let line = before.matches('\n').count() + 1;
        let col = before.len() - before.rfind('\n').map_or(0, |i| i + 1) + 1;
        (line, col)
    };
    let expected: BTreeSet<(usize, usize, usize, usize)> = full
        .problems
        .iter()
        .map(|p| {
            let (l, c) = at(p.loc.span.start);
            let (el, ec) = at(p.loc.span.end);
            (l, c, el, ec)
        })
        .collect();
    assert_eq!(expected.len(), 7, "{:?}", full.problems);
    // The valid lines on other packages take the fast path when only the rules' packages
    // are read.
    let rules: Vec<PackageName> = ["numpy", "tensorflow"]
        .iter()
        .map(|n| PackageName::from_str(n).unwrap())
        .collect();
    let relevant = Relevant::only(&rules);
    let fast = parse_text_with(0, text, 0, Role::Require, &relevant);
    let kept = kept(text, &full.requirements, &fast.requirements, &relevant);
    let unread: Vec<String> = full
        .requirements
        .iter()
        .zip(kept)
        .filter(|(_, k)| !k)
        .map(|(r, _)| r.name.to_string())
        .collect();
    assert_eq!(unread, ["pkg-one", "pkg-ten"]);

    let dir = crate::common::Scratch::new("fast-path-dw001");
    dir.write("requirements.txt", text);
    let out = crate::common::run_in(
        dir.path(),
        &["check", "--output-format", "json", "requirements.txt"],
        &[],
        None,
    );
    let json: serde_json::Value = serde_json::from_str(&out.stdout).expect(&out.stderr);
    let found: BTreeSet<(usize, usize, usize, usize)> = json["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|d| d["code"] == "DW001")
        .map(|d| {
            let n = |v: &serde_json::Value| v.as_u64().unwrap() as usize;
            (
                n(&d["start"]["line"]),
                n(&d["start"]["column"]),
                n(&d["end"]["line"]),
                n(&d["end"]["column"]),
            )
        })
        .collect();
    assert_eq!(found, expected, "{}", out.stdout);
}

/// `pyproject.toml` (PEP 621, PEP 735, uv): a PEP 508 string on a package no rule reads
/// takes the same fast path (`pep508::unread`) when it sits byte for byte in the file. The
/// parse with the run's parse context equals the full one but for specifiers left unbuilt:
/// the same problems at the same places, requirements, units and stand-ins. Strings with
/// escapes, extras, URLs, markers and invalid ones go through the full parse.
#[test]
fn pyproject_strings_on_other_packages_read_as_the_full_parse_does() {
    use depwindow::files::Files;
    use depwindow::formats::Format;
    use depwindow::manifest::Parsed;

    // TOML literal strings hold any fragment but `'` and line breaks; every fifth also as a
    // basic string with an escape, which maps no offset one to one.
    let mut items = Vec::new();
    for n in NAMES {
        for e in EXTRAS {
            for (i, s) in SPECS.iter().enumerate() {
                for m in MARKERS {
                    items.push(format!("'{n}{e}{s}{m}'"));
                    if i % 5 == 0 && !m.contains('"') && !s.contains('\u{a0}') {
                        items.push(format!("\"\\u0020{n}{e}{s}{m}\""));
                    }
                }
            }
        }
    }
    let half = items.len() / 2;
    let text = format!(
        "[project]\nname = \"pkg-one\"\ndependencies = [\n  {},\n  'pkg-one>=1',\n  \"numpy>=1.16\",\n]\n\
         [project.optional-dependencies]\nx = [{}]\n\
         [dependency-groups]\ndev = [{}]\n\
         [tool.uv]\nconstraint-dependencies = ['pkg-two<2', 'numpy<2']\n",
        items[..half].join(",\n  "),
        items[half..].join(", "),
        items[..40].join(", "),
    );
    let read = |relevant: Relevant| -> Parsed {
        let root = std::path::Path::new("/depwindow-fast-path");
        let mut files = Files::new(root.to_path_buf());
        files.set_relevant(std::sync::Arc::new(relevant));
        let id = files.add(&root.join("pyproject.toml"), text.as_bytes());
        depwindow::formats::parse(Format::Pyproject, &mut files, id)
    };
    let full = read(Relevant::all());
    let rules: Vec<PackageName> = ["numpy", "tensorflow"]
        .iter()
        .map(|n| PackageName::from_str(n).unwrap())
        .collect();
    let relevant = Relevant::only(&rules);
    let fast = read(relevant.clone());
    let dbg = |x: &dyn std::fmt::Debug| format!("{x:?}");
    assert_eq!(dbg(&full.problems), dbg(&fast.problems));
    assert_eq!(dbg(&full.unparsed), dbg(&fast.unparsed));
    let kept = kept(&text, &full.requirements, &fast.requirements, &relevant);
    // Each unit holds the same requirements, but for those not kept.
    let members = |p: &Parsed, g: &depwindow::manifest::Group, keep: &dyn Fn(usize) -> bool| {
        g.members
            .iter()
            .filter(|&&m| keep(m))
            .map(|&m| p.requirements[m].loc())
            .collect::<Vec<_>>()
    };
    assert_eq!(full.groups.len(), fast.groups.len());
    for (a, b) in full.groups.iter().zip(&fast.groups) {
        assert_eq!((&a.name, a.kind, a.base), (&b.name, b.kind, b.base));
        assert_eq!(
            members(&full, a, &|m| kept[m]),
            members(&fast, b, &|_| true)
        );
    }
    let unread = kept.iter().filter(|&&k| !k).count();
    // Both sides are reached: many strings are left unbuilt, many are rejected, and the
    // rules' packages (numpy among the generated names) are always built.
    assert!(unread > 50, "{unread} of {}", full.requirements.len());
    assert!(full.problems.len() > 300, "{}", full.problems.len());
    assert!(fast
        .requirements
        .iter()
        .any(|r| r.name == rules[0] && matches!(r.version, VersionReq::Specifiers { .. })));
}
