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

/// One generated set: its text, what the engine built, the candidates (indices into the
/// dense pool) packaging is asked about, and the engine's witness outside the window.
struct Case {
    spec: String,
    set: VersionSet,
    cands: Vec<usize>,
    witness: Option<Version>,
}

impl Case {
    /// The case of `set` (written `spec`): `CANDS_PER_SET` candidates drawn from a pool of
    /// `pool` versions, and its witness outside `window`.
    fn new(spec: String, set: VersionSet, rng: &mut Rng, pool: usize, window: &VersionSet) -> Case {
        let cands = (0..CANDS_PER_SET).map(|_| rng.below(pool)).collect();
        let witness = set.witness_outside(window);
        Case {
            spec,
            set,
            cands,
            witness,
        }
    }
}

/// The oracle's request for `cases`: each set's text, candidates and witness.
fn sets_request(window: &str, releases: &[String], pool: &[String], cases: &[Case]) -> Value {
    json!({
        "window": window,
        "releases": releases,
        "dense": pool,
        "sets": cases.iter().map(|c| json!({
            "spec": c.spec,
            "cands": c.cands.iter().map(|&i| &pool[i]).collect::<Vec<_>>(),
            "witness": c.witness.as_ref().map(|w| w.to_string()),
        })).collect::<Vec<_>>(),
    })
}

/// What both tests ask of packaging's reply on one set: it parses, the same pre-release
/// flag, `contains` and `contains_any` on each candidate, and a witness exactly when
/// packaging finds a dense version outside (which it rejects with the window). False when
/// packaging rejects the set (nothing else is asked).
fn check_set_reply(
    c: &Case,
    r: &Value,
    pool_versions: &[Version],
    fail: &mut impl FnMut(String),
) -> bool {
    if r["ok"] != json!(true) {
        fail(format!("packaging rejects it: {}", r["error"]));
        return false;
    }
    if r["pre"] != json!(c.set.prereleases()) {
        fail(format!("prereleases: packaging {}", r["pre"]));
    }
    for (k, &i) in c.cands.iter().enumerate() {
        let v = &pool_versions[i];
        if r["contains"][k] != json!(c.set.contains(v)) {
            fail(format!("contains({v}): packaging {}", r["contains"][k]));
        }
        if r["any"][k] != json!(c.set.contains_any(v)) {
            fail(format!("contains_any({v}): packaging {}", r["any"][k]));
        }
    }
    match &c.witness {
        None if r["dense_outside"] == json!(true) => {
            fail("no witness, but packaging finds an outside version".to_string())
        }
        Some(w) if r["witness_ok"] != json!(true) => {
            fail(format!("witness {w} rejected by packaging"))
        }
        _ => {}
    }
    true
}

/// Print the first mismatches and fail when there is any.
fn assert_no_mismatches(failures: &[String], against: &str) {
    for f in failures.iter().take(30) {
        println!("MISMATCH {f}");
    }
    assert!(
        failures.is_empty(),
        "{} mismatches with {against}",
        failures.len()
    );
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
    let mut cases = Vec::with_capacity(SETS);
    for _ in 0..SETS {
        let n = 1 + rng.below(3);
        let sep = if rng.chance(50) { "," } else { ", " };
        let spec: Vec<String> = (0..n).map(|_| clause(&mut rng)).collect();
        let spec = spec.join(sep);
        let set = VersionSet::parse(&spec).unwrap_or_else(|e| panic!("`{spec}`: {e}"));
        cases.push(Case::new(spec, set, &mut rng, pool.len(), &window));
    }

    let replies: Vec<Value> = oracle.ask(&sets_request(WINDOW, &releases, &pool, &cases));
    assert_eq!(replies.len(), cases.len());

    let mut failures = Vec::new();
    let (mut pairs, mut witnesses, mut beyond_dense, mut released_checked) = (0usize, 0, 0, 0);
    for (c, r) in cases.iter().zip(&replies) {
        let mut fail = |what: String| failures.push(format!("`{}`: {what}", c.spec));
        if !check_set_reply(c, r, &pool_versions, &mut fail) {
            continue;
        }
        pairs += c.cands.len();
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
        // (d) the witness (checked by `check_set_reply`): how many, and how many lie
        // beyond the dense list.
        if c.witness.is_some() {
            witnesses += 1;
            if r["dense_outside"] != json!(true) {
                beyond_dense += 1;
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
    assert_no_mismatches(&failures, "packaging 26.3");
}

/// Releases for the reader's packed clauses (issue 15 §4): plain ones in and out of
/// pep440_rs's small form (a segment above 255 after the first), at and past 2^32 (where a
/// clause stops being packed), four segments (never packed) and trailing zeros.
const PACKED_BASES: &[&str] = &[
    "0",
    "1",
    "1.0",
    "1.16",
    "1.255",
    "1.256",
    "1.300",
    "1.300.0",
    "1.300.1",
    "1.299.7",
    "0.300.1",
    "2.0.1",
    "4294967295",
    "1.4294967295",
    "1.4294967296",
    "4294967296",
    "1.300.0.0",
    "1.2.3.4",
];
const PACKED_SUFFIXES: &[&str] = &["", "", "", "", "a1", ".dev0", ".post0", ".post1", "+mkl"];
const PACKED_WINDOW: &str = ">=1.16,<1.300.1";

fn packed_clause(rng: &mut Rng) -> String {
    let epoch = if rng.chance(10) { "1!" } else { "" };
    let base = rng.pick_str(PACKED_BASES);
    let v = format!("{epoch}{base}{}", rng.pick_str(PACKED_SUFFIXES));
    let plain = format!("{epoch}{base}");
    match rng.below(11) {
        0 => format!(">={v}"),
        1 => format!("<{v}"),
        2 => format!("<={v}"),
        3 => format!(">{v}"),
        4 => format!("=={v}"),
        5 | 6 => format!("!={v}"),
        7 if base.contains('.') => format!("~={v}"),
        7 => format!("~={v}.0"),
        8 => format!("=={plain}.*"),
        9 => format!("!={plain}.*"),
        _ => format!("==={v}"),
    }
}

/// The sets a reader builds from its packed clauses (`versions::Specifiers`, and
/// `Specifiers::read_plain` where it reads the text) admit what packaging admits, and
/// their witnesses outside a window are outside it for packaging.
#[test]
fn packed_clauses_match_packaging() {
    use depwindow::versions::Specifiers;
    use std::sync::Arc;
    let Some(oracle) = oracle() else { return };
    let mut pool: Vec<String> = Vec::new();
    for b in PACKED_BASES {
        for s in [
            "",
            "a1",
            ".dev0",
            ".post0",
            ".post0.dev0",
            ".post1",
            "+mkl",
            "+1.a",
        ] {
            pool.push(format!("{b}{s}"));
            pool.push(format!("1!{b}{s}"));
        }
    }
    let pool_versions: Vec<Version> = pool
        .iter()
        .map(|s| Version::from_str(s).expect("pool version"))
        .collect();
    let pool: Vec<String> = pool_versions.iter().map(Version::to_string).collect();
    let window = VersionSet::parse(PACKED_WINDOW).unwrap();
    let mut rng = Rng(0x9AC_4ED);
    let (mut cases, mut read_plain) = (Vec::new(), 0);
    while cases.len() < 3000 {
        let n = 1 + rng.below(4);
        let spec: Vec<String> = (0..n).map(|_| packed_clause(&mut rng)).collect();
        let spec = spec.join(",");
        // pep440_rs refuses some combinations (`~=1.0a1.*` is never made, `<=1.*` neither,
        // but `===` of a non-version is): those are not the reader's.
        let Ok(specs) = spec.parse::<pep440_rs::VersionSpecifiers>() else {
            continue;
        };
        let set = VersionSet::from_shared(&Arc::new(Specifiers::from(specs)));
        if let Some(plain) = Specifiers::read_plain(&spec) {
            read_plain += 1;
            assert_eq!(VersionSet::from_shared(&Arc::new(plain)), set, "`{spec}`");
        }
        cases.push(Case::new(spec, set, &mut rng, pool.len(), &window));
    }
    let replies: Vec<Value> = oracle.ask(&sets_request(PACKED_WINDOW, &[], &pool, &cases));
    assert_eq!(replies.len(), cases.len());
    let mut failures = Vec::new();
    for (c, r) in cases.iter().zip(&replies) {
        let mut fail = |what: String| failures.push(format!("`{}`: {what}", c.spec));
        check_set_reply(c, r, &pool_versions, &mut fail);
    }
    let witnesses = cases.iter().filter(|c| c.witness.is_some()).count();
    assert_no_mismatches(&failures, "packaging");
    // The plain reader and the witness search were reached.
    assert!(
        read_plain > 200 && witnesses > 500,
        "{read_plain} read plainly, {witnesses} witnesses"
    );
}
