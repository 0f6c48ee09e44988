//! Differential test of marker evaluation on the target environments
//! (`depwindow::markers::evaluate` over `rules/environments.tsv`) against Python `packaging`
//! 26.3's `Marker.evaluate`. Markers are generated deterministically over the variables an
//! environment fixes and one it does not (`platform_release`); `packaging` evaluates each on
//! every variant of each environment: every patch release of its Python (2.7.0 … 2.7.18,
//! ...) and sample `platform_release` values. Three-valued agreement:
//! - where depwindow answers true or false, every variant answers the same;
//! - where the variants disagree, depwindow answers unknown;
//! - where depwindow answers unknown for a marker without `platform_release`, the variants
//!   disagree (the patch releases are all there, so that is exact).
//!
//! Python is `$DEPWINDOW_PYTHON` or `python3`; without packaging 26.3 the test fails when
//! `CI=true` and is skipped with a note otherwise (`common::require`).

use crate::common;

use std::str::FromStr;

use depwindow::markers::{evaluate, Marker, Truth};
use depwindow::rules::environments::{builtin, Environment};
use pep508_rs::MarkerTree;
use serde_json::{json, Map, Value};

use common::SplitMix as Rng;

const MARKERS: usize = 1_000;

/// Sample values of `platform_release` (lexicographic comparisons: around the generated ones).
const RELEASES: &[&str] = &[
    "",
    "10.0",
    "19.6.0",
    "4.19.0",
    "5",
    "5.4.0",
    "6.18.44-fc-v1300",
    "z",
];

const STRING_VARS: &[(&str, &[&str])] = &[
    (
        "sys_platform",
        &["linux", "linux2", "darwin", "win32", "cygwin", "lin"],
    ),
    ("os_name", &["posix", "nt", "java"]),
    ("platform_system", &["Linux", "Darwin", "Windows", "Java"]),
    (
        "platform_machine",
        &["x86_64", "AMD64", "aarch64", "arm64", "x86"],
    ),
    ("platform_python_implementation", &["CPython", "PyPy"]),
    ("implementation_name", &["cpython", "", "pypy"]),
    // Values that are not PEP 440 versions: packaging compares a version-looking right-hand
    // side as a version (`platform_release != "5"` is false for `5.0`, and for any release
    // that is not a version), pep508_rs as a string. The variable is unknown to depwindow
    // either way; these values keep both on string semantics.
    (
        "platform_release",
        &["5.4 #1-Ubuntu", "6.18.44-fc-v1300", "abc", "4.19.0-x"],
    ),
];

const VERSION_VARS: &[(&str, &[&str])] = &[
    ("python_version", &["2.7", "3", "3.5", "3.6", "3.7", "3.8"]),
    (
        "python_full_version",
        &[
            "2.7.0", "2.7.9", "2.7.18", "3.5.3", "3.5.10", "3.6.15", "3.7", "3.7.5", "3.7.17",
            "3.8",
        ],
    ),
    (
        "implementation_version",
        &["0", "2.7", "3.5.10", "3.7.5", "3.7"],
    ),
];

fn atom(rng: &mut Rng) -> String {
    if rng.chance(55) {
        let (var, values) = rng.pick(STRING_VARS);
        let value = rng.pick_str(values);
        match rng.below(5) {
            0 => format!("{var} != '{value}'"),
            1 => format!("'{value}' in {var}"),
            2 => format!("{var} in '{value} {}'", rng.pick_str(values)),
            3 => format!("{var} not in '{value}'"),
            _ => format!("{var} == \"{value}\""),
        }
    } else {
        let (var, values) = rng.pick(VERSION_VARS);
        let op = rng.pick_str(&["==", "!=", "<", "<=", ">", ">="]);
        let value = rng.pick_str(values);
        if rng.chance(15) {
            // The reversed form.
            format!("'{value}' {op} {var}")
        } else {
            format!("{var} {op} '{value}'")
        }
    }
}

fn marker(rng: &mut Rng, depth: u32) -> String {
    if depth == 0 || rng.chance(35) {
        return atom(rng);
    }
    let a = marker(rng, depth - 1);
    let b = marker(rng, depth - 1);
    let op = if rng.chance(50) { "and" } else { "or" };
    if rng.chance(50) {
        format!("({a}) {op} ({b})")
    } else {
        format!("{a} {op} {b}")
    }
}

/// Every variant of an environment: each patch release of its Python, each sample
/// `platform_release`.
fn variants(env: &Environment) -> Vec<Value> {
    let last = env.full_newest.release()[2];
    let (major, minor) = (env.full_newest.release()[0], env.full_newest.release()[1]);
    let mut out = Vec::new();
    for patch in 0..=last {
        let full = format!("{major}.{minor}.{patch}");
        for release in RELEASES {
            let mut m = Map::new();
            m.insert("python_version".into(), json!(env.python));
            m.insert("python_full_version".into(), json!(full));
            m.insert(
                "implementation_version".into(),
                json!(if env.implementation_follows_python() {
                    full.clone()
                } else {
                    env.implementation_version.to_owned()
                }),
            );
            for (k, v) in [
                ("os_name", &env.os_name),
                ("sys_platform", &env.sys_platform),
                ("platform_system", &env.platform_system),
                ("platform_machine", &env.platform_machine),
                (
                    "platform_python_implementation",
                    &env.platform_python_implementation,
                ),
                ("implementation_name", &env.implementation_name),
            ] {
                m.insert(k.into(), json!(v));
            }
            m.insert("platform_release".into(), json!(release));
            m.insert("platform_version".into(), json!(""));
            out.push(Value::Object(m));
        }
    }
    out
}

fn oracle() -> Option<common::Oracle> {
    common::Oracle::find("tests/differential/marker_oracle.py", "packaging", "26.3")
}

#[test]
fn marker_evaluation_matches_packaging_on_every_environment() {
    let Some(oracle) = oracle() else { return };
    let envs = builtin();
    assert_eq!(envs.len(), 12);
    let mut rng = Rng(0x6d61_726b_6572);
    let markers: Vec<String> = (0..MARKERS).map(|_| marker(&mut rng, 3)).collect();
    let request = json!({
        "markers": markers,
        "envs": envs.iter().map(variants).collect::<Vec<_>>(),
    });
    let reply: Vec<Value> = oracle.ask(&request);
    assert_eq!(reply.len(), markers.len());

    let (mut compared, mut unknown, mut skipped) = (0, 0, 0);
    for (text, answers) in markers.iter().zip(&reply) {
        let Ok(tree) = MarkerTree::from_str(text) else {
            // pep508_rs refuses some reversed or mixed forms packaging reads: not this test's
            // subject (the readers report them as parse errors).
            skipped += 1;
            continue;
        };
        if answers.get("error").is_some() {
            skipped += 1;
            continue;
        }
        let about_release = text.contains("platform_release");
        for (env, a) in envs.iter().zip(answers.as_array().unwrap()) {
            let a: Vec<bool> = a
                .as_array()
                .unwrap()
                .iter()
                .map(|b| b.as_bool().unwrap())
                .collect();
            let ours = evaluate(&Marker::from_tree(tree.clone()), env, &[]);
            let place = format!("`{text}` on {} {}", env.python, env.platform);
            match (ours, a.as_slice()) {
                (Truth::True, [true]) | (Truth::False, [false]) => {}
                (Truth::Unknown, [false, true]) => unknown += 1,
                (Truth::Unknown, [_]) => assert!(
                    about_release,
                    "{place}: depwindow says unknown, packaging says {a:?} on every patch"
                ),
                _ => panic!("{place}: depwindow says {ours:?}, packaging says {a:?}"),
            }
            compared += 1;
        }
    }
    assert!(compared > 10_000, "{compared} compared, {skipped} skipped");
    assert!(
        unknown > 500,
        "{unknown} unknown answers: the generator must reach them"
    );
    assert!(skipped < MARKERS / 5, "{skipped} skipped");
}
