//! Issue 12 "Messages": every fixture's findings, read from the JSON the binary prints.
//! Headlines fit a line (at most 200 characters), picks and qualifications are notes, a
//! lock's finding never speaks of pip's pick, Pythons are listed ascending, and the counts
//! in the headline are the counts of the JSON (`outside_released_summary`,
//! `outside_installable`).

use std::path::Path;

use serde_json::Value;

use crate::common;

const HEADLINE_MAX: usize = 200;

/// The diagnostics of a fixture, as `tests/integration/fixtures.rs` runs it.
fn diagnostics(case: &Path) -> Vec<Value> {
    let out = common::fixture_json(case);
    let doc: Value = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{}: not JSON: {e}", case.display()));
    doc["diagnostics"].as_array().cloned().unwrap_or_default()
}

/// The `major.minor` Pythons a pick note names, in the order written: "pip would pick
/// 1.16.6 on Python 2.7; 1.18.5 on 3.5 and 3.6; 1.21.6 on 3.7 (Linux)" gives 2.7, 3.5, 3.6,
/// 3.7 (a run "3.5–3.7" gives its ends).
fn pythons_named(note: &str) -> Vec<(u64, u64)> {
    let mut out = Vec::new();
    for part in note.split("; ") {
        let Some((_, places)) = part.split_once(" on ") else {
            continue;
        };
        let places = places.strip_prefix("Python ").unwrap_or(places);
        // Drop the operating systems in parentheses.
        let mut plain = String::new();
        let mut depth = 0;
        for c in places.chars() {
            match c {
                '(' => depth += 1,
                ')' => depth -= 1,
                _ if depth == 0 => plain.push(c),
                _ => {}
            }
        }
        for word in plain.split([' ', ',', '–']) {
            if let Some((a, b)) = word.split_once('.') {
                if let (Ok(a), Ok(b)) = (a.parse(), b.parse()) {
                    out.push((a, b));
                }
            }
        }
    }
    out
}

/// A number written just before `word` in `text` ("85 releases" -> 85).
fn number_before(text: &str, word: &str) -> Option<usize> {
    let i = text.find(word)?;
    text[..i].split_whitespace().last()?.parse().ok()
}

#[test]
fn every_fixture_headline_is_short_and_notes_carry_the_rest() {
    let mut failures = Vec::new();
    let mut findings = 0;
    let mut with_notes = 0;
    for case in common::fixture_cases() {
        for d in diagnostics(&case) {
            findings += 1;
            let at = format!(
                "{} {} line {}",
                case.display(),
                d["code"],
                d["start"]["line"]
            );
            let message = d["message"].as_str().expect("message");
            let notes: Vec<&str> = d["notes"]
                .as_array()
                .unwrap_or_else(|| panic!("{at}: `notes` is not an array"))
                .iter()
                .map(|n| n.as_str().expect("a note is a string"))
                .collect();
            if !notes.is_empty() {
                with_notes += 1;
            }
            let len = message.chars().count();
            if len > HEADLINE_MAX {
                failures.push(format!("{at}: headline of {len} characters: {message}"));
            }
            if message.contains("pip would pick") || message.contains("only if") {
                failures.push(format!(
                    "{at}: a pick or qualification in the headline: {message}"
                ));
            }
            // A finding located in a lockfile is about a pin: never "pip cannot install".
            let file = d["path"].as_str().unwrap_or_default();
            let in_lock = file.ends_with(".lock") || file.contains("pylock");
            if in_lock && message.contains("pip cannot install") {
                failures.push(format!(
                    "{at}: a lock's finding speaks as of a range: {message}"
                ));
            }
            if message.starts_with("the lock pins")
                && notes.iter().any(|n| n.contains("pip would pick"))
            {
                failures.push(format!(
                    "{at}: a lock's finding speaks of pip's pick: {notes:?}"
                ));
            }
            for n in notes.iter().filter(|n| n.starts_with("pip would pick")) {
                let ps = pythons_named(n);
                let named = !ps.is_empty() || n.ends_with("on every Python");
                if !named || ps.windows(2).any(|w| w[0] >= w[1]) {
                    failures.push(format!("{at}: Pythons not ascending: {n}"));
                }
            }
            // Say each fact once: a version is named once per pick note.
            for n in notes.iter().filter(|n| n.starts_with("pip would pick")) {
                let versions: Vec<&str> = n
                    .split("; ")
                    .filter_map(|p| p.trim_start_matches("pip would pick ").split(' ').next())
                    .collect();
                let mut unique = versions.clone();
                unique.sort_unstable();
                unique.dedup();
                if unique.len() != versions.len() {
                    failures.push(format!("{at}: a pick named twice: {n}"));
                }
            }
            // The counts: one definition, the same numbers in the headline and the JSON.
            let released = &d["outside_released_summary"];
            let installable = &d["outside_installable"];
            let list = d["outside_released"].as_array().expect("outside_released");
            let count = |s: &Value| s["count"].as_u64().expect("count") as usize;
            let ranges_sum = |s: &Value| -> usize {
                s["ranges"]
                    .as_array()
                    .expect("ranges")
                    .iter()
                    .map(|r| r["count"].as_u64().unwrap() as usize)
                    .sum()
            };
            if count(released) != list.len() || ranges_sum(released) != list.len() {
                failures.push(format!(
                    "{at}: outside_released_summary disagrees with the list"
                ));
            }
            if ranges_sum(installable) != count(installable) || count(installable) > list.len() {
                failures.push(format!(
                    "{at}: outside_installable is not a part of the list"
                ));
            }
            if let Some(n) = number_before(message, "releases") {
                if n != list.len() {
                    failures.push(format!(
                        "{at}: headline says {n} releases, JSON {}",
                        list.len()
                    ));
                }
            }
            if let Some(n) = number_before(message, "installable here") {
                if n != count(installable) {
                    failures.push(format!(
                        "{at}: headline says {n} installable, JSON {}",
                        count(installable)
                    ));
                }
            }
            if message.contains("none installable here") && count(installable) != 0 {
                failures.push(format!(
                    "{at}: headline says none installable, JSON does not"
                ));
            }
        }
    }
    assert!(findings > 200, "only {findings} findings over the fixtures");
    assert!(with_notes > 100, "only {with_notes} findings have notes");
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn a_possible_trigger_names_each_pick_of_the_trigger() {
    let case = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures/requirements/tf-range-compatible-release");
    let d = diagnostics(&case);
    let gast = d
        .iter()
        .find(|d| d["rule"] == "tensorflow-1.14/gast")
        .expect("the gast finding");
    let notes: Vec<&str> = gast["notes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n.as_str().unwrap())
        .collect();
    // `tensorflow>=1.13,<2` lets pip pick another TensorFlow on each Python: each is named,
    // equal picks together, Pythons ascending.
    assert!(
        notes.contains(
            &"only if TensorFlow 1.14.0 is installed: `tensorflow>=1.13,<2` also admits newer releases, and pip would pick 1.15.0 on Python 2.7; 1.15.4 on 3.5; 1.15.5 on 3.6 and 3.7"
        ),
        "{notes:?}"
    );
    assert!(
        notes.contains(&"pip would pick 0.2.2 on every Python"),
        "{notes:?}"
    );
    assert_eq!(
        gast["message"],
        "`gast<0.3` admits gast outside TensorFlow 1.14.0's tested window `>=0.2.0,<0.3`: 6 releases (0.1 … 0.1.5), none installable here"
    );
}

#[test]
fn a_lock_pins_and_is_re_locked() {
    let case = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/pipfile-lock/numpy-1.17");
    let d = diagnostics(&case);
    let numpy = d
        .iter()
        .find(|d| d["rule"] == "tensorflow-1.14/numpy")
        .expect("the numpy finding");
    assert_eq!(
        numpy["message"],
        "the lock pins numpy 1.17.0, outside TensorFlow 1.14.0's tested window `>=1.14.5,<1.17`"
    );
    let help = numpy["help"].as_str().unwrap();
    assert!(
        help.starts_with("re-lock with `numpy>=1.14.5,<1.17`"),
        "{help}"
    );
    let all = serde_json::to_string(numpy).unwrap();
    assert!(!all.contains("pip would pick"), "{all}");
}

/// `--python` changes where a finding holds, so how many releases install there, but not
/// how many the range admits: both are named, in the headline and in the JSON.
#[test]
fn counts_are_named_and_agree_with_python_selection() {
    let dir = common::Scratch::new("messages-counts");
    dir.write("requirements.txt", "tensorflow==1.14.0\nnumpy\nprotobuf\n");
    for (python, installable) in [(None, 27), (Some("3.6"), 0)] {
        let mut args = vec!["check", "--format", "json"];
        if let Some(p) = python {
            args.extend(["--python", p]);
        }
        args.push(".");
        let out = common::run_in(dir.path(), &args, &[], None);
        let doc: Value = serde_json::from_str(&out.stdout).expect("JSON");
        let d = doc["diagnostics"]
            .as_array()
            .unwrap()
            .iter()
            .find(|d| d["rule"] == "tensorflow-1.14/protobuf")
            .cloned()
            .expect("the protobuf finding");
        let message = d["message"].as_str().unwrap();
        assert_eq!(d["outside_released_summary"]["count"], 77, "{message}");
        assert_eq!(d["outside_installable"]["count"], installable, "{message}");
        assert!(message.contains("77 releases"), "{message}");
        if installable == 0 {
            assert!(message.contains("none installable here"), "{message}");
        } else {
            assert!(
                message.contains("27 installable here (4.21.1 … 4.24.4)"),
                "{message}"
            );
        }
    }
}
