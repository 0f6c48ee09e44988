//! Differential test of `depwindow::versions` against Python `packaging` 26.3 (what pip
//! 26.3 vendors). Specifier sets and candidates are generated deterministically (seeded
//! splitmix64), the engine answers in Rust, and `tests/differential/packaging_oracle.py`
//! answers the same questions in one Python run (JSON over stdin/stdout).
//!
//! Python is `$DEPWINDOW_PYTHON` or `python3`. Without packaging 26.3 the test fails when
//! `CI=true` and is skipped with a note otherwise.

use crate::common;

use std::path::PathBuf;
use std::str::FromStr;

use depwindow::versions::VersionSet;
use pep440_rs::Version;
use serde_json::{json, Value};

const WINDOW: &str = ">=1.14.5,<1.17";
const SETS: usize = 10_000;
const CANDS_PER_SET: usize = 40;

use common::SplitMix as Rng;

/// Releases around the window edges 1.14.5 / 1.17 / 1.24 / 2.0, with padding variants.
const BASES: &[&str] = &[
    "0",
    "1",
    "1.0",
    "1.14",
    "1.14.4",
    "1.14.5",
    "1.14.5.0",
    "1.14.6",
    "1.15",
    "1.16",
    "1.16.0",
    "1.16.2",
    "1.16.4",
    "1.16.4.0",
    "1.16.6",
    "1.16.0.0.1",
    "1.17",
    "1.17.0",
    "1.17.0.0",
    "1.17.1",
    "1.17.0.0.1",
    "1.18",
    "1.23.5",
    "1.24",
    "1.24.0",
    "1.24.1",
    "1.99",
    "2",
    "2.0",
    "2.0.0",
    "2.0.1",
    "2.1",
    "3",
    "1!0",
    "1!1.16",
    "1!1.17",
];
const SUFFIXES: &[&str] = &[
    "",
    "",
    "",
    "a1",
    "b2",
    "rc1",
    "rc2",
    ".dev0",
    ".dev3",
    ".post1",
    ".post0",
    ".post1.dev0",
    "rc1.post1",
    "a1.dev0",
    ".post2",
];
const LOCALS: &[&str] = &["+mkl", "+1", "+abc.2", "+mkl.0"];

fn releases_tsv() -> Vec<String> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("rules/releases/numpy.tsv");
    let text = std::fs::read_to_string(&path).expect("numpy-releases.tsv");
    text.lines()
        .skip(1)
        .filter_map(|line| {
            let cols: Vec<&str> = line.split('\t').collect();
            (cols.get(3) == Some(&"final")).then(|| cols[0].to_string())
        })
        .collect()
}

fn candidate_pool(releases: &[String]) -> Vec<String> {
    let mut pool = Vec::new();
    for b in BASES {
        for s in SUFFIXES.iter().skip(2) {
            pool.push(format!("{b}{s}"));
        }
        for l in LOCALS {
            pool.push(format!("{b}{l}"));
        }
        pool.push(format!("{b}rc1+mkl"));
        pool.push(format!("{b}.post1+mkl"));
    }
    pool.extend(releases.iter().cloned());
    pool.extend(["0.dev0", "0a0", "1.16.0.0.0.1", "1.17.dev0", "1.14.5.dev0"].map(String::from));
    // Normalise so that `===` compares like packaging's `str(Version(...))`.
    let mut out: Vec<String> = pool
        .iter()
        .map(|s| Version::from_str(s).expect("pool version").to_string())
        .collect();
    out.sort();
    out.dedup();
    out
}

fn clause(rng: &mut Rng) -> String {
    let base = *rng.pick(BASES);
    let suffix = *rng.pick(SUFFIXES);
    let release_len = base.rsplit('!').next().unwrap_or(base).split('.').count();
    match rng.below(13) {
        0 | 1 => format!(">={base}{suffix}"),
        2 | 3 => format!("<{base}{suffix}"),
        4 => format!("<={base}{suffix}"),
        5 | 6 => format!(">{base}{suffix}"),
        7 => {
            let local = if rng.chance(30) {
                *rng.pick(LOCALS)
            } else {
                ""
            };
            format!("=={base}{suffix}{local}")
        }
        8 => {
            let local = if rng.chance(30) {
                *rng.pick(LOCALS)
            } else {
                ""
            };
            format!("!={base}{suffix}{local}")
        }
        9 if release_len >= 2 => format!("~={base}{suffix}"),
        9 => format!("~={base}.0{suffix}"),
        10 => format!("=={base}.*"),
        11 => format!("!={base}.*"),
        _ => {
            let text = match rng.below(6) {
                0 => "foo".to_string(),
                1 => format!("{base}-1"),
                2 => format!("{base}{suffix}").to_uppercase(),
                3 => format!("{base}{}", rng.pick(LOCALS)),
                _ => Version::from_str(&format!("{base}{suffix}"))
                    .map(|v| v.to_string())
                    .unwrap_or_default(),
            };
            format!("==={text}")
        }
    }
}

fn oracle() -> Option<common::Oracle> {
    common::Oracle::find(
        "tests/differential/packaging_oracle.py",
        "packaging",
        "26.3",
    )
}

#[test]
fn engine_matches_packaging() {
    let Some(oracle) = oracle() else { return };
    let releases = releases_tsv();
    assert!(releases.len() > 100, "release list");
    let pool = candidate_pool(&releases);
    let pool_versions: Vec<Version> = pool.iter().map(|s| Version::from_str(s).unwrap()).collect();
    let release_versions: Vec<Version> = releases
        .iter()
        .map(|s| Version::from_str(s).unwrap())
        .collect();
    let window = VersionSet::parse(WINDOW).unwrap();

    let mut rng = Rng(0x5EED_1417);
    struct Case {
        spec: String,
        set: VersionSet,
        cands: Vec<usize>,
        witness: Option<Version>,
    }
    let mut cases = Vec::with_capacity(SETS);
    for _ in 0..SETS {
        let n = 1 + rng.below(3);
        let sep = if rng.chance(50) { "," } else { ", " };
        let spec: Vec<String> = (0..n).map(|_| clause(&mut rng)).collect();
        let spec = spec.join(sep);
        let set = VersionSet::parse(&spec).unwrap_or_else(|e| panic!("`{spec}`: {e}"));
        let cands: Vec<usize> = (0..CANDS_PER_SET).map(|_| rng.below(pool.len())).collect();
        let witness = set.witness_outside(&window);
        cases.push(Case {
            spec,
            set,
            cands,
            witness,
        });
    }

    let request = json!({
        "window": WINDOW,
        "releases": releases,
        "dense": pool,
        "sets": cases.iter().map(|c| json!({
            "spec": c.spec,
            "cands": c.cands.iter().map(|&i| &pool[i]).collect::<Vec<_>>(),
            "witness": c.witness.as_ref().map(|w| w.to_string()),
        })).collect::<Vec<_>>(),
    });
    let replies: Vec<Value> = oracle.ask(&request);
    assert_eq!(replies.len(), cases.len());

    let mut failures = Vec::new();
    let (mut pairs, mut witnesses, mut beyond_dense, mut released_checked) = (0usize, 0, 0, 0);
    for (c, r) in cases.iter().zip(&replies) {
        let mut fail = |what: String| failures.push(format!("`{}`: {what}", c.spec));
        if r["ok"] != json!(true) {
            fail(format!("packaging rejects it: {}", r["error"]));
            continue;
        }
        if r["pre"] != json!(c.set.prereleases()) {
            fail(format!("prereleases: packaging {}", r["pre"]));
        }
        for (k, &i) in c.cands.iter().enumerate() {
            let v = &pool_versions[i];
            pairs += 1;
            if r["contains"][k] != json!(c.set.contains(v)) {
                fail(format!("contains({v}): packaging {}", r["contains"][k]));
            }
            if r["any"][k] != json!(c.set.contains_any(v)) {
                fail(format!("contains_any({v}): packaging {}", r["any"][k]));
            }
        }
        // (c) final NumPy releases admitted by the set and outside the window.
        let ours: Vec<String> = c
            .set
            .filter_releases(&release_versions)
            .filter(|v| !window.contains_any(v))
            .map(|v| v.to_string())
            .collect();
        released_checked += release_versions.len();
        if json!(ours) != r["outside_released"] {
            fail(format!(
                "outside_released: ours {ours:?}, packaging {}",
                r["outside_released"]
            ));
        }
        // (d) witness: None iff packaging finds nothing outside among the dense list; a
        // witness must be admitted by the set and rejected by the window per packaging.
        match &c.witness {
            None => {
                if r["dense_outside"] == json!(true) {
                    fail("no witness, but packaging finds an outside version".to_string());
                }
            }
            Some(w) => {
                witnesses += 1;
                if r["witness_ok"] != json!(true) {
                    fail(format!("witness {w} rejected by packaging"));
                }
                if r["dense_outside"] != json!(true) {
                    beyond_dense += 1;
                }
            }
        }
    }
    println!(
        "differential: {} specifier sets, {} (set, version) pairs x2 modes, {} release checks, \
         {} witnesses verified ({} outside the dense list), {} failures",
        cases.len(),
        pairs,
        released_checked,
        witnesses,
        beyond_dense,
        failures.len()
    );
    for f in failures.iter().take(30) {
        println!("MISMATCH {f}");
    }
    assert!(
        failures.is_empty(),
        "{} mismatches with packaging 26.3",
        failures.len()
    );
}
