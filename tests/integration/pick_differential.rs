//! The recorded differential against real pip (issue 11 §6): depwindow's pick
//! (`depwindow::check::pick`, pip 26's candidate selection) on every recorded requirement and
//! Python, offline, compared with what pip picked or refused
//! (`tests/oracles/recorded/pip-picks.json`, `tests/oracles/README.md`).
//!
//! Every row whose package has a rule is compared. A mismatch is either fixed or listed in
//! `KNOWN` with its reason; a `KNOWN` entry that no longer differs fails too, so the list
//! stays true. The reasons are the oracle's limits: each Python was recorded with its own
//! last pip (2.7: pip 20.3.4, 3.6: pip 21.3.1, 3.7: pip 24.0), and only 3.5 with pip 26.3,
//! the pip depwindow models.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::str::FromStr;

use depwindow::check::pick::pick;
use depwindow::versions::VersionSet;
use pep440_rs::{Operator, Version, VersionSpecifiers};
use serde_json::Value;

/// Why the index facts cannot show a wheel's own Requires-Python.
const WHEEL_METADATA: &str = "the index entry has no Requires-Python, but the py2.py3 wheel's \
    METADATA says >=3.7: pip chooses the release from the index, downloads the wheel, then \
    refuses it (`requires-python`). depwindow knows the index facts only \
    (`rules/releases/protobuf.tsv`, as `../shared/releases/`), so it names the release pip \
    chooses, and pip 26 on the emulated 3.5 installs 4.21.0 from its py3 wheel (no \
    Requires-Python)";

/// Why the older pips find nothing where pip 26 falls back to a pre-release.
const OLD_PRERELEASE_RULE: &str = "pip 20.3.4 / 21.3.1 / 24.0 vendor packaging 20.8 / 21.0 / \
    21.3, whose SpecifierSet.filter falls back to pre-releases only for an empty specifier; \
    pip 26 (packaging 26) falls back whenever no final release matches, as depwindow does \
    (the pip 26 row of the same file, Python 3.5, agrees where a pre-release installs there)";

/// (file, python, package, why): where depwindow (pip 26's selection) and the pip recorded
/// for that Python differ, and why.
const KNOWN: &[(&str, &str, &str, &str)] = &[
    (
        "protobuf-pin-4.21.0-yanked",
        "2.7",
        "protobuf",
        WHEEL_METADATA,
    ),
    (
        "protobuf-pin-4.21.0-yanked",
        "3.6",
        "protobuf",
        WHEEL_METADATA,
    ),
    (
        "protobuf-prerelease-named",
        "2.7",
        "protobuf",
        WHEEL_METADATA,
    ),
    (
        "protobuf-prerelease-named",
        "3.5",
        "protobuf",
        WHEEL_METADATA,
    ),
    (
        "h5py-prerelease-fallback",
        "2.7",
        "h5py",
        OLD_PRERELEASE_RULE,
    ),
    (
        "h5py-prerelease-fallback",
        "3.6",
        "h5py",
        OLD_PRERELEASE_RULE,
    ),
    (
        "h5py-prerelease-fallback",
        "3.7",
        "h5py",
        OLD_PRERELEASE_RULE,
    ),
    (
        "wrapt-prerelease-fallback",
        "3.6",
        "wrapt",
        OLD_PRERELEASE_RULE,
    ),
    (
        "wrapt-prerelease-fallback",
        "3.7",
        "wrapt",
        OLD_PRERELEASE_RULE,
    ),
];

fn recording() -> Value {
    let path =
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/oracles/recorded/pip-picks.json");
    serde_json::from_str(&std::fs::read_to_string(&path).expect("the recording")).unwrap()
}

/// pip's `is_pinned`: some `==` that is not a wildcard, or `===`.
fn is_pinned(specs: &VersionSpecifiers) -> bool {
    specs
        .iter()
        .any(|s| matches!(s.operator(), Operator::ExactEqual | Operator::Equal))
}

/// What depwindow picks for one recorded row (None: no matching distribution).
fn depwindow_pick(package: &str, requirement: &str, python: &str) -> Option<String> {
    let rule = depwindow::rules::builtin()
        .iter()
        .find(|r| r.package.as_ref() == package)
        .unwrap_or_else(|| panic!("no rule for {package}"));
    let specs = requirement
        .strip_prefix(package)
        .unwrap_or_else(|| panic!("`{requirement}` does not start with {package}"));
    let specs = VersionSpecifiers::from_str(specs.trim())
        .unwrap_or_else(|e| panic!("`{requirement}`: {e}"));
    let set = VersionSet::from_specifiers(&specs);
    let py = Version::from_str(python).unwrap();
    pick(&rule.releases, &set, is_pinned(&specs), &py).map(|r| r.version.to_string())
}

#[test]
fn picks_agree_with_recorded_pip() {
    let rec = recording();
    let rows = rec["picks"].as_array().expect("picks");
    let mut agree = 0usize;
    let mut known_hit: BTreeMap<(&str, &str, &str), usize> = BTreeMap::new();
    let mut mismatches = Vec::new();
    let mut compared = 0usize;
    for row in rows {
        let (Some(req), Some(file), Some(python), Some(package)) = (
            row["requirement"].as_str(),
            row["file"].as_str(),
            row["python"].as_str(),
            row["package"].as_str(),
        ) else {
            continue;
        };
        compared += 1;
        let pip = match &row["version"] {
            Value::String(v) => Some(Version::from_str(v).unwrap().to_string()),
            _ => None,
        };
        let ours = depwindow_pick(package, req, python);
        if ours == pip {
            agree += 1;
            continue;
        }
        match KNOWN
            .iter()
            .find(|(f, p, k, _)| (*f, *p, *k) == (file, python, package))
        {
            Some((f, p, k, _)) => *known_hit.entry((f, p, k)).or_default() += 1,
            None => mismatches.push(format!(
                "{file} on {python}: `{req}`: depwindow {ours:?}, pip {} {pip:?} ({})",
                rec["pythons"][python]["pip"], row["error"]
            )),
        }
    }
    let stale: Vec<_> = KNOWN
        .iter()
        .filter(|(f, p, k, _)| !known_hit.contains_key(&(*f, *p, *k)))
        .collect();
    eprintln!(
        "pick differential: {compared} recorded picks, {agree} agree, {} known differences, {} unexplained",
        known_hit.len(),
        mismatches.len()
    );
    for (f, p, k, why) in KNOWN {
        eprintln!("known: {f} on {p} ({k}): {why}");
    }
    assert!(mismatches.is_empty(), "{}", mismatches.join("\n"));
    assert!(stale.is_empty(), "KNOWN entries that now agree: {stale:?}");
    // The recording is whole: every one of its 344 picks names a requirement.
    assert_eq!(compared, 344);
    assert_eq!(agree + known_hit.len(), compared);
}
