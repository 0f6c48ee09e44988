//! Differential test: depwindow's Poetry constraint translation against poetry-core itself.
//!
//! Generates constraints with a fixed-seed PRNG, asks `tests/poetry_oracle.py` (run with
//! `$DEPWINDOW_PYTHON`, default `python3`) which of a set of final releases poetry-core
//! allows, and compares with the translated PEP 440 specifier sets. Only final releases are
//! compared: poetry-core's `allows()` admits pre-releases that pip would not.

use crate::common;

use std::io::Write;
use std::process::{Command, Stdio};

use depwindow::formats::poetry::translate;
use pep440_rs::{Operator, Version, VersionSpecifiers};

use common::SplitMix as Rng;

fn version(r: &mut Rng, max_parts: usize) -> String {
    let parts = 1 + r.below(max_parts);
    let mut v: Vec<String> = (0..parts).map(|_| r.below(4).to_string()).collect();
    if r.below(8) == 0 {
        v[0] = format!("v{}", v[0]);
    }
    let mut s = v.join(".");
    if r.below(4) == 0 {
        s.push_str(r.pick_str(&[
            "a1",
            "b2",
            "rc1",
            ".post1",
            "-1",
            ".dev0",
            "rc1.dev2",
            "pre1",
            "alpha",
            ".post2.dev1",
            "RC3",
            "-dev",
        ]));
    }
    s
}

fn clause(r: &mut Rng) -> String {
    let ws = |r: &mut Rng| if r.below(4) == 0 { " " } else { "" }.to_string();
    match r.below(14) {
        0 => format!("^{}{}", ws(r), version(r, 4)),
        1 => format!("~{}{}", ws(r), version(r, 4)),
        2 => format!("~={}{}", ws(r), version(r, 4)),
        3 => {
            let op = r.pick_str(&["", "==", "!="]);
            let parts = 1 + r.below(3);
            let v: Vec<String> = (0..parts).map(|_| r.below(4).to_string()).collect();
            format!("{op}{}{}.*", ws(r), v.join("."))
        }
        4 => r.pick_str(&["*", "x", "X.x", "v*", "*.*"]).to_string(),
        5 => version(r, 4),
        6 => format!("{}.*", version(r, 4)),
        7 => r
            .pick_str(&[
                "dev",
                "==dev",
                ">=dev",
                "1.0 - 2.0",
                "abc",
                "^",
                ">=",
                "=<1",
                "===1.0",
                "1..2",
                "~>1.2",
            ])
            .to_string(),
        _ => {
            let op = r.pick_str(&["<", "<=", ">", ">=", "==", "=", "!=", "<>", ""]);
            format!("{op}{}{}", ws(r), version(r, 3))
        }
    }
}

fn constraint(r: &mut Rng) -> String {
    let ors = 1 + usize::from(r.below(3) == 0) + usize::from(r.below(6) == 0);
    let mut alts = Vec::new();
    for _ in 0..ors {
        let ands = 1 + r.below(3);
        let mut s = String::new();
        for i in 0..ands {
            if i > 0 {
                s.push_str(r.pick_str(&[",", ", ", " ", " ,", "  ", ",,"]));
            }
            s.push_str(&clause(r));
        }
        if r.below(12) == 0 {
            s.push(',');
        }
        alts.push(s);
    }
    let sep = r.pick_str(&["||", " || ", "|", " | "]);
    let mut c = alts.join(sep);
    if r.below(10) == 0 {
        c = format!(" {c} ");
    }
    c
}

/// Membership of a final release. pep440_rs 0.7.3 matches `==1.16.4.*` against `1.16`
/// (it truncates instead of zero-padding the candidate), so prefix matches are done here
/// the way PEP 440 says: "the candidate version is padded with zeros".
fn contains(specs: &VersionSpecifiers, v: &Version) -> bool {
    specs.iter().all(|s| match s.operator() {
        Operator::EqualStar | Operator::NotEqualStar => {
            let prefix = s.version().release();
            let mut cand = v.release().to_vec();
            if cand.len() < prefix.len() {
                cand.resize(prefix.len(), 0);
            }
            let hit = s.version().epoch() == v.epoch() && cand[..prefix.len()] == *prefix;
            hit == (*s.operator() == Operator::EqualStar)
        }
        _ => s.contains(v),
    })
}

#[test]
fn poetry_constraints_match_poetry_core() {
    let python = common::python();
    let probe = Command::new(&python)
        .args(["-c", "import poetry.core"])
        .output();
    let found = match probe {
        Ok(o) if o.status.success() => Ok(()),
        Ok(o) => Err(format!(
            "`{python}` cannot import poetry.core: {}",
            String::from_utf8_lossy(&o.stderr).trim()
        )),
        Err(e) => Err(format!("cannot run `{python}`: {e}")),
    };
    if common::require("Python with poetry-core (set DEPWINDOW_PYTHON)", found).is_none() {
        return;
    }

    let mut versions = Vec::new();
    for a in 0..4 {
        for b in 0..5 {
            for c in 0..5 {
                versions.push(format!("{a}.{b}.{c}"));
            }
        }
    }
    let mut rng = Rng(0x5EED_2024);
    let mut constraints: Vec<String> = [
        "^1.14",
        "^1.16",
        "~1.16",
        "~1",
        "^0",
        "^0.0",
        "^0.0.3",
        "1.14.*",
        "*",
        ">= 1.2, < 2",
        "!=1.2.*",
        "^1.2 || ^2.0",
        "1.2.3",
        ">=1.0,<2.0,!=1.5.0",
        "~=1.4.5",
        "1.0.0rc1",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    while constraints.len() < 3000 {
        constraints.push(constraint(&mut rng));
    }

    let mut child = Command::new(&python)
        .arg(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/poetry_oracle.py"
        ))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("run python");
    let input = serde_json::json!({ "versions": versions, "constraints": constraints });
    child
        .stdin
        .take()
        .unwrap()
        .write_all(input.to_string().as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "oracle failed");
    let lines: Vec<&str> = std::str::from_utf8(&out.stdout).unwrap().lines().collect();
    assert_eq!(lines.len(), constraints.len());

    let parsed: Vec<Version> = versions.iter().map(|v| v.parse().unwrap()).collect();
    let (mut agree, mut accepted, mut rejected, mut crashed) = (0, 0, 0, 0);
    let mut mismatches = Vec::new();
    for (c, expected) in constraints.iter().zip(&lines) {
        let got = match translate(c) {
            Err(_) => "ERR".to_string(),
            Ok(alts) => parsed
                .iter()
                .map(|v| {
                    if alts.iter().any(|a| contains(a, v)) {
                        '1'
                    } else {
                        '0'
                    }
                })
                .collect(),
        };
        if expected.starts_with("CRASH") {
            crashed += 1;
            continue;
        }
        if *expected == "ERR" {
            rejected += 1;
        } else {
            accepted += 1;
        }
        if got == *expected {
            agree += 1;
        } else {
            mismatches.push(format!("{c:?}: poetry {expected} ours {got}"));
        }
    }
    eprintln!(
        "poetry differential: {} constraints ({accepted} accepted, {rejected} rejected by poetry-core, {crashed} crash poetry-core), {agree} agree, {} differ, {} versions each",
        constraints.len(),
        mismatches.len(),
        versions.len()
    );
    assert!(
        accepted >= 1000,
        "too few valid constraints generated: {accepted}"
    );
    assert!(
        mismatches.is_empty(),
        "mismatches:\n{}",
        mismatches[..mismatches.len().min(30)].join("\n")
    );
}
