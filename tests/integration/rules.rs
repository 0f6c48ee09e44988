//! The rule data: every embedded rule file loads and validates, ids are unique, every window
//! and effect cites a source, and the data agrees with the project's facts
//! (`../shared/FACTS.md`, `../shared/numpy-releases.tsv`, `../shared/releases/`).

use crate::common;

use std::path::PathBuf;
use std::str::FromStr;

use depwindow::rules::{self, load_rule_file, BUILTIN_RELEASES, BUILTIN_RULE_FILES};
use pep440_rs::Version;

#[test]
fn every_builtin_rule_file_loads_and_validates() {
    let mut count = 0;
    for (path, text) in BUILTIN_RULE_FILES {
        let rules = load_rule_file(path, text, None)
            .unwrap_or_else(|e| panic!("{path} does not validate: {e} at {:?}", e.span));
        count += rules.len();
        assert!(!rules.is_empty(), "{path} defines no rule");
        for r in &rules {
            assert!(!r.sources.is_empty(), "{}: no source", r.id);
            assert!(
                !r.summary.is_empty() && !r.explanation.is_empty(),
                "{}: undocumented",
                r.id
            );
            assert!(!r.effects.is_empty(), "{}: no effect tiers", r.id);
            for e in &r.effects {
                assert!(
                    !e.sources.is_empty(),
                    "{}: effect {} cites nothing",
                    r.id,
                    e.range.text
                );
            }
            assert!(!r.releases.releases.is_empty(), "{}: no release list", r.id);
        }
    }
    // What the binary embeds is exactly what the files say: every rule of every file in
    // `rules/` (a new rule is a new file, with no count to keep here).
    assert!(count >= 6, "only {count} built-in rules");
    assert_eq!(rules::builtin().len(), count);
    rules::check_unique(rules::builtin()).unwrap();
}

#[test]
fn invalid_rule_files_are_rejected_with_a_span() {
    let good = BUILTIN_RULE_FILES
        .iter()
        .map(|(_, text)| *text)
        .find(|text| text.contains("id = \"tensorflow-1.14/numpy\""))
        .expect("the NumPy rule file");
    let cases = [
        (
            good.replace(
                "window = \">=1.14.5,<1.17\"",
                "window = \">=1.14.5,<<1.17\"",
            ),
            "invalid PEP 440 specifier",
        ),
        (
            good.replace("severity = \"error\"", "severity = \"fatal\""),
            "severity is",
        ),
        (
            good.replace("absence = \"finding\"", "absence = \"maybe\""),
            "absence is",
        ),
        (
            good.replace("schema = 1", "schema = 2"),
            "unsupported rule schema",
        ),
        (
            good.replace("version = \"2.12.0\"", "version = \"2.12.0-\""),
            "invalid PEP 440 version",
        ),
        (
            good.replace(
                "reason = \"the package was retired",
                "reason = \"\"\nx = \"",
            ),
            "unknown field",
        ),
        (
            good.replace("reason = \"the package was retired", "reason = \"\" #"),
            "placeholder needs a reason",
        ),
        (
            good.replace("releases = \"numpy\"", "releases = \"nope\""),
            "unknown release list",
        ),
        // The Pythons of the trigger are not "other" Pythons: a list that has them is refused.
        (
            good.replace(
                "other-python-releases = \"tensorflow-other-pythons\"",
                "other-python-releases = \"tensorflow-by-python\"",
            ),
            "other-python-releases lists Python `2.7`",
        ),
        (
            good.replace("id = \"tensorflow-1.14/numpy\"", "id = \"numpy\""),
            "rule ids look like",
        ),
        (good.replace("summary = ", "sumary = "), "unknown field"),
        (
            good.replace("window = \">=1.14.5,<1.17\"", "window = \">=2,<1\""),
            "admits no version",
        ),
    ];
    for (text, expected) in cases {
        let err = load_rule_file("test.toml", &text, None).expect_err(expected);
        assert!(
            err.message.contains(expected),
            "`{}` lacks `{expected}`",
            err.message
        );
        assert!(err.span.is_some(), "{expected}: no span");
    }
}

fn shared() -> Option<PathBuf> {
    common::require("the shared facts folder ../shared", common::shared_dir())
}

/// Release lists derived in this project (not copies of `../shared/releases/`): each has its
/// source and method in `rules/README.md` and its agreement test below.
const DERIVED_HERE: &[&str] = &["tensorflow-other-pythons"];

#[test]
fn release_lists_are_the_shared_ones() {
    let Some(shared) = shared() else { return };
    for (name, text) in BUILTIN_RELEASES {
        if DERIVED_HERE.contains(name) {
            continue;
        }
        let path = if *name == "numpy" {
            shared.join("numpy-releases.tsv")
        } else {
            shared.join("releases").join(format!("{name}.tsv"))
        };
        let mut expected = std::fs::read_to_string(&path).unwrap();
        // The one status column cannot say "yanked pre-release": the shared README says it in
        // words ("protobuf 4.0.0rc1 and 4.0.0rc2 are yanked pre-releases"), so our list says
        // `yanked` (the version itself says pre-release). pip 26 ignores them as yanked
        // (`tests/oracles/recorded/pip-picks.json`, `yanked_ignored`).
        if *name == "protobuf" {
            let readme = std::fs::read_to_string(shared.join("releases/README.md")).unwrap();
            assert!(readme.contains("protobuf 4.0.0rc1 and 4.0.0rc2 are yanked pre-releases"));
            for (v, date) in [("4.0.0rc1", "2020-07-16"), ("4.0.0rc2", "2020-07-21")] {
                let from = format!("\n{v}\t\t{date}\tpre-release\n");
                assert!(expected.contains(&from), "{v} in the shared list");
                expected = expected.replace(&from, &format!("\n{v}\t\t{date}\tyanked\n"));
            }
        }
        assert_eq!(
            *text,
            expected,
            "rules/releases/{name}.tsv differs from {}",
            path.display()
        );
    }
}

#[test]
fn windows_agree_with_the_facts() {
    let Some(shared) = shared() else { return };
    let facts = std::fs::read_to_string(shared.join("FACTS.md")).unwrap();
    let by_id = |id: &str| rules::builtin().iter().find(|r| r.id == id).unwrap();
    // The NumPy windows, as FACTS.md states them.
    let numpy = by_id("tensorflow-1.14/numpy");
    assert_eq!(numpy.window.text, ">=1.14.5,<1.17");
    assert_eq!(numpy.declared.as_ref().unwrap().text, ">=1.14.5,<2.0");
    assert!(facts.contains("`>=1.14.5,<2.0`") && facts.contains("`>=1.14.5,<1.17`"));
    assert_eq!(numpy.trigger.pythons, ["2.7", "3.5", "3.6", "3.7"]);
    // The other packages: the declared range and the working window from the table.
    for (pkg, declared, window) in [
        ("protobuf", Some(">=3.6.1"), ">=3.6.1,<4"),
        ("gast", Some(">=0.2.0"), ">=0.2.0,<0.3"),
        ("h5py", None, "<3.0"),
        ("wrapt", Some(">=1.11.1"), ">=1.11.1,<1.15"),
        ("astor", Some(">=0.6.0"), ">=0.7.0"),
    ] {
        let r = by_id(&format!("tensorflow-1.14/{pkg}"));
        assert_eq!(r.window.text, window, "{pkg}");
        assert_eq!(
            r.declared.as_ref().map(|d| d.text.as_str()),
            declared,
            "{pkg}"
        );
        let row = facts
            .lines()
            .find(|l| l.starts_with(&format!("| {pkg} ")))
            .unwrap_or_else(|| panic!("FACTS.md has no row for {pkg}"));
        assert!(
            row.contains(&format!("`{window}`")),
            "{pkg}: window not in FACTS.md row: {row}"
        );
    }
    // The effect tiers start where FACTS.md says NumPy breaks.
    for (v, needle) in [
        ("1.17.0", "FutureWarning"),
        ("1.20.0", "DeprecationWarning"),
        ("1.24.0", "AttributeError"),
        ("1.14.4", "declared"),
    ] {
        let e = numpy.effect_of(&Version::from_str(v).unwrap()).unwrap();
        assert!(e.effect.contains(needle), "{v}: {}", e.effect);
    }
    // astor's window holds only on Python 3.7.
    let astor = by_id("tensorflow-1.14/astor");
    assert!(astor.holds_on("3.7") && !astor.holds_on("3.6"));
}

/// `absence = "warning"` makes a missing package a finding at most a warning, whatever the
/// rule's own severity (h5py: issue 11 §7); `finding` keeps the rule's severity.
#[test]
fn absence_warning_is_a_finding_at_warning_severity() {
    use depwindow::diagnostic::Severity;
    let by_id = |id: &str| rules::builtin().iter().find(|r| r.id == id).unwrap();
    let h5py = by_id("tensorflow-1.14/h5py");
    assert!(h5py.absence_is_finding);
    assert_eq!(h5py.absence_severity, Severity::Warning);
    assert_eq!(h5py.severity, Severity::Error);
    assert_eq!(h5py.via.as_deref(), Some("keras-applications"));
    let numpy = by_id("tensorflow-1.14/numpy");
    assert_eq!(numpy.absence_severity, numpy.severity);
    let wrapt = by_id("tensorflow-1.14/wrapt");
    assert!(!wrapt.absence_is_finding);
}

/// tensorflow-gpu 2.12.0 (a placeholder sdist whose build fails on purpose) stays in the
/// release list as the index serves it, and is gone from the trigger's wheels once loaded:
/// never a newer TF that makes a trigger only possible.
#[test]
fn placeholders_are_not_trigger_releases() {
    let placeholder = Version::from_str("2.12.0").unwrap();
    let served = BUILTIN_RELEASES
        .iter()
        .find(|(n, _)| *n == "tensorflow-by-python")
        .unwrap()
        .1;
    assert!(served.contains("\ttensorflow-gpu\t2.12.0,"));
    for rule in rules::builtin() {
        let t = &rule.trigger;
        assert!(t
            .placeholders
            .iter()
            .any(|(d, v)| d.as_ref() == "tensorflow-gpu" && *v == placeholder));
        let wheels = t.wheels.as_ref().unwrap();
        for py in ["2.7", "3.5", "3.6", "3.7"] {
            let vs = wheels.versions(py, "tensorflow-gpu").unwrap();
            assert!(!vs.contains(&placeholder), "{py}");
            assert!(vs.contains(&Version::from_str("1.14.0").unwrap()), "{py}");
        }
    }
}

/// `tensorflow-other-pythons.tsv` (DW104's "no wheel for any allowed Python", derived by
/// `tools/tf_other_pythons.py` from the package index) agrees with the shared facts: no
/// trigger Python in it, no TF 1.14.0 wheel for 3.8 or newer, the tensorflow-gpu 2.12.0
/// placeholder nowhere; its 3.3 / 3.4 rows (relabelled cp35 builds, `../shared/FACTS.md`)
/// hold only versions that have 3.5 wheels; every version it lists for 3.8 is newer than
/// the newest 2.7 release (TF dropped 2.7 before adding 3.8) and has 3.7 wheels in the shared
/// per-platform list, which is where 3.8 support began.
#[test]
fn other_python_list_agrees_with_the_shared_facts() {
    let Some(shared) = shared() else { return };
    let v = |s: &str| Version::from_str(s).unwrap();
    let by_platform =
        std::fs::read_to_string(shared.join("releases/tensorflow-by-platform.tsv")).unwrap();
    let facts = std::fs::read_to_string(shared.join("FACTS.md")).unwrap();
    assert!(facts.contains("The cp33/cp34 files on the index are relabelled cp35 builds"));
    // (python, distribution) -> every version with a wheel on any platform, from the shared list.
    let shared_versions = |py: &str, dist: &str| -> Vec<Version> {
        by_platform
            .lines()
            .skip(1)
            .map(|l| l.split('\t').collect::<Vec<_>>())
            .filter(|c| c[0] == py && c[1] == dist)
            .flat_map(|c| {
                c[3].split(',')
                    .filter(|x| !x.is_empty())
                    .map(v)
                    .collect::<Vec<_>>()
            })
            .collect()
    };
    let tf114 = v("1.14.0");
    let placeholder = v("2.12.0");
    let mut rows = 0;
    for rule in rules::builtin() {
        let t = &rule.trigger;
        let other = t.other_wheels.as_ref().expect("other-python-releases");
        assert_eq!(t.pythons, ["2.7", "3.5", "3.6", "3.7"]);
        for (py, dist, versions) in &other.rows {
            let versions = versions.get();
            rows += 1;
            assert!(!t.pythons.contains(py), "{py} is a trigger Python");
            let (major, minor) = {
                let (a, b) = py.split_once('.').unwrap();
                (a.parse::<u64>().unwrap(), b.parse::<u64>().unwrap())
            };
            if dist == "tensorflow-gpu" {
                assert!(!versions.contains(&placeholder), "{py}: the placeholder");
            }
            if (major, minor) >= (3, 8) {
                assert!(!versions.contains(&tf114), "{py} {dist}: TF 1.14.0");
                let newest_27 = shared_versions("2.7", dist)
                    .into_iter()
                    .filter(|x| *x != placeholder)
                    .max()
                    .unwrap();
                assert!(versions.iter().all(|x| *x > newest_27), "{py} {dist}");
            } else {
                assert!((3, 3) <= (major, minor) && (major, minor) <= (3, 4), "{py}");
                let on_35 = shared_versions("3.5", dist);
                assert!(versions.iter().all(|x| on_35.contains(x)), "{py} {dist}");
                assert!(versions.contains(&tf114), "{py} {dist}");
            }
            if py == "3.8" {
                let on_37 = shared_versions("3.7", dist);
                let finals: Vec<&Version> =
                    versions.iter().filter(|x| !x.any_prerelease()).collect();
                assert_eq!(
                    finals.first().map(|x| x.to_string()).as_deref(),
                    Some("2.2.0")
                );
                assert!(finals
                    .iter()
                    .all(|x| on_37.contains(x) || **x > v("2.11.0")));
            }
        }
    }
    assert!(rows >= 2 * 9, "{rows}");
}
