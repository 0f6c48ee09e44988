//! Every fixture under `fixtures/<format>/<case>/` is checked by the real binary, and its
//! output compared with the expected output beside it, two `insta` snapshots:
//! - `expected.json.snap`: `depwindow check --format json .` run inside the case directory;
//! - `expected.txt.snap`: the human output without colour at width 100, then the exit code.
//!
//! Optional `cmd` holds extra arguments (whitespace-separated).
//! Each text fixture is rerun with CRLF line endings: lines, columns, verdicts and messages
//! must not change.
//!
//! A changed output is written as `expected.*.snap.new` beside the old one (never on CI);
//! `cargo insta review` accepts or rejects each, or `INSTA_UPDATE=always cargo test` accepts
//! all; review the diff before committing.

use crate::common;

use std::path::Path;
use std::process::Command;

fn bin() -> &'static str {
    env!("CARGO_BIN_EXE_depwindow")
}

use common::fixture_cases as cases;

use common::fixture_args as extra_args;

/// The binary's report in `format` at width 100 (JSON indented) with `extra` arguments, in
/// `dir`, and its exit code; one run per distinct call in this test binary (`common::once`):
/// the snapshot test and the compact-versus-pretty test read the same pretty JSON.
fn run(dir: &Path, format: &str, extra: &[String]) -> (String, i32) {
    let key = format!("fixtures::run {format} {extra:?} {}", dir.display());
    let out = common::once(&key, || {
        Command::new(bin())
            .current_dir(dir)
            .env_remove("DEPWINDOW_OUTPUT_FORMAT")
            .env("NO_COLOR", "1")
            .env_remove("NO_GRAPHICS")
            .args(["check", "--format", format, "--width", "100"])
            // Indented JSON, so the snapshots stay readable (the default is compact;
            // `compact_and_pretty_json_are_the_same_value` checks they agree).
            .args(if format == "json" {
                &["--pretty"][..]
            } else {
                &[]
            })
            .args(extra)
            .arg(".")
            .output()
            .expect("run depwindow")
    });
    assert!(
        out.stderr.is_empty() || !String::from_utf8_lossy(&out.stderr).contains("panicked"),
        "{}: depwindow panicked: {}",
        dir.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    (
        String::from_utf8(out.stdout).expect("utf-8 output"),
        out.status.code().unwrap_or(-1),
    )
}

/// Compare `actual` with the snapshot `name` beside the fixture; a mismatch is collected, so
/// one run shows every changed fixture.
fn compare(case: &Path, name: &str, actual: &str, failures: &mut Vec<String>) {
    let result = std::panic::catch_unwind(|| common::snapshot(case, name, actual));
    if result.is_err() {
        failures.push(format!("{}: {name} differs (see above)", case.display()));
    }
}

/// The JSON with what legitimately changes under CRLF removed: byte offsets, and line
/// endings inside fix replacements.
fn crlf_invariant(json: &str) -> serde_json::Value {
    let mut v: serde_json::Value = serde_json::from_str(json).expect("valid JSON");
    fn strip(v: &mut serde_json::Value) {
        match v {
            serde_json::Value::Object(m) => {
                m.remove("offset");
                if let Some(serde_json::Value::String(s)) = m.get_mut("replacement") {
                    *s = s.replace("\r\n", "\n");
                }
                m.values_mut().for_each(strip);
            }
            serde_json::Value::Array(a) => a.iter_mut().for_each(strip),
            _ => {}
        }
    }
    strip(&mut v);
    v
}

fn copy_crlf(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let p = e.unwrap().path();
        let name = p.file_name().unwrap();
        if name.to_string_lossy().contains(".snap") {
            continue;
        }
        if p.is_dir() {
            copy_crlf(&p, &to.join(name));
        } else {
            let bytes = std::fs::read(&p).unwrap();
            let out = match String::from_utf8(bytes.clone()) {
                Ok(s) if !s.contains('\r') => s.replace('\n', "\r\n").into_bytes(),
                _ => bytes,
            };
            std::fs::write(to.join(name), out).unwrap();
        }
    }
}

#[test]
fn fixtures_match_expected_output() {
    let mut failures = Vec::new();
    let cases = cases();
    assert!(cases.len() >= 10, "fixtures missing: found {}", cases.len());
    let tmp = std::env::temp_dir().join(format!("depwindow-crlf-{}", std::process::id()));
    for case in &cases {
        // The expected output used to be plain files; one left over (say, from a branch made
        // before the move to insta) would silently stop being compared.
        for old in ["expected.json", "expected.txt"] {
            if case.join(old).exists() {
                failures.push(format!(
                    "{}: {old} is no longer read; its content belongs in {old}.snap \
                     (INSTA_UPDATE=always cargo test --test integration fixtures::, then \
                     check that the new snapshot's body equals {old} and delete it)",
                    case.display()
                ));
            }
        }
        let extra = extra_args(case);
        let (json, code_json) = run(case, "json", &extra);
        compare(case, "expected.json", &json, &mut failures);
        let (human, code_human) = run(case, "human", &extra);
        assert_eq!(
            code_json,
            code_human,
            "{}: exit code depends on the format",
            case.display()
        );
        compare(
            case,
            "expected.txt",
            &format!("{human}[exit code: {code_human}]\n"),
            &mut failures,
        );

        // CRLF rerun.
        let format = case.parent().unwrap().file_name().unwrap();
        let crlf = tmp.join(format).join(case.file_name().unwrap());
        copy_crlf(case, &crlf);
        let (json_crlf, code_crlf) = run(&crlf, "json", &extra);
        assert_eq!(
            code_crlf,
            code_json,
            "{}: CRLF changes the exit code",
            case.display()
        );
        let mut a = crlf_invariant(&json);
        let mut b = crlf_invariant(&json_crlf);
        // The tool block is identical; compare diagnostics and summary.
        a.as_object_mut().map(|m| m.remove("tool"));
        b.as_object_mut().map(|m| m.remove("tool"));
        if a != b {
            failures.push(format!(
                "{}: CRLF changes the findings:\n--- LF\n{a:#}\n--- CRLF\n{b:#}",
                case.display()
            ));
        }
    }
    let _ = std::fs::remove_dir_all(&tmp);
    assert!(
        failures.is_empty(),
        "{} fixture failures:\n{}",
        failures.len(),
        failures.join("\n\n")
    );
}

/// The most source lines one snippet of the human output may show (labels, the lines between
/// labels at most `report::human::NEAR_LINES` apart, and one line of context either side).
const MAX_SNIPPET_LINES: usize = 16;

/// The numbered source lines of each snippet (`╭─[file:line:col]` ... `╰────`) in a human
/// report: (header, first line, last line).
fn snippets(report: &str) -> Vec<(String, usize, usize)> {
    let mut out = Vec::new();
    let mut current: Option<(String, usize, usize)> = None;
    for line in report.lines() {
        let t = line.trim_start();
        if t.starts_with("╭─[") {
            current = Some((t.to_owned(), usize::MAX, 0));
        } else if t.starts_with("╰────") {
            if let Some(s) = current.take() {
                out.push(s);
            }
        } else if let Some((_, first, last)) = current.as_mut() {
            // A source line: "<number> │ ..."; label lines start with "·".
            if let Some((n, _)) = t.split_once(" │") {
                if let Ok(n) = n.parse::<usize>() {
                    *first = (*first).min(n);
                    *last = (*last).max(n);
                }
            }
        }
    }
    out
}

/// Issue 12, "snippets stay small": no snippet in any fixture's human output spans more than
/// `MAX_SNIPPET_LINES` lines, and far-apart locations get snippets of their own (the
/// Pipfile.lock with numpy's pin at line 179 and tensorflow-gpu's entry at line 239 used to be
/// one snippet of 75 lines, mostly hashes). The snapshots are the binary's output
/// (`fixtures_match_expected_output`), so their bodies are what is checked here.
#[test]
fn human_snippets_stay_small() {
    let mut failures = Vec::new();
    let mut count = 0;
    for case in cases() {
        let snap = std::fs::read_to_string(case.join("expected.txt.snap")).unwrap();
        for (header, first, last) in snippets(&snap) {
            count += 1;
            assert!(
                first <= last,
                "{}: {header}: no source line",
                case.display()
            );
            if last - first + 1 > MAX_SNIPPET_LINES {
                failures.push(format!(
                    "{}: {header} shows lines {first}-{last}",
                    case.display()
                ));
            }
        }
    }
    assert!(
        count > 100,
        "only {count} snippets found: is the parser right?"
    );
    assert!(
        failures.is_empty(),
        "snippets over {MAX_SNIPPET_LINES} lines:\n{}",
        failures.join("\n")
    );
    // The far-apart case: numpy's pin and tensorflow-gpu's entry, each in its own snippet, the
    // entry drawn on its first line.
    let case = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/pipfile-lock/far-apart-pins");
    let snap = std::fs::read_to_string(case.join("expected.txt.snap")).unwrap();
    let found = snippets(&snap);
    assert!(
        found
            .iter()
            .any(|(h, f, l)| h.contains("Pipfile.lock:179:") && *f == 178 && *l == 180),
        "{found:?}"
    );
    assert!(
        found
            .iter()
            .any(|(h, f, l)| h.contains("Pipfile.lock:239:") && *f == 238 && *l == 240),
        "{found:?}"
    );
    assert!(snap.contains("TensorFlow 1.14.0 required here (lines 239-253)"));
}

/// The snippet parser above reads what miette draws.
#[test]
fn snippet_parser_reads_miette_snippets() {
    let report = "  × m\n    ╭─[a:9:1]\n  8 │ x\n  9 │ y\n    ·  ─\n 10 │ z\n    ╰────\n   ╭─[a:1:1]\n 1 │ q\n   ╰────\n";
    assert_eq!(
        snippets(report),
        vec![
            ("╭─[a:9:1]".to_owned(), 8, 10),
            ("╭─[a:1:1]".to_owned(), 1, 1)
        ]
    );
}

/// The default JSON is compact (one line, then a newline) and `--pretty` only indents it: on
/// every fixture both parse to the same value, and `pretty = true` in configuration is
/// `--pretty`.
#[test]
fn compact_and_pretty_json_are_the_same_value() {
    let cases = cases();
    assert!(cases.len() >= 10, "fixtures missing: found {}", cases.len());
    let mut differ = Vec::new();
    for case in &cases {
        let extra = extra_args(case);
        let (pretty, code_pretty) = run(case, "json", &extra);
        let out = common::fixture_json(case);
        let compact = String::from_utf8(out.stdout).expect("utf-8 output");
        assert_eq!(
            out.status.code().unwrap_or(-1),
            code_pretty,
            "{}",
            case.display()
        );
        assert!(
            compact.ends_with('\n') && compact.lines().count() == 1,
            "{}: compact JSON is not one line:\n{compact}",
            case.display()
        );
        assert!(
            pretty.lines().count() > 1,
            "{}: not indented",
            case.display()
        );
        let a: serde_json::Value = serde_json::from_str(&compact).expect("compact JSON parses");
        let b: serde_json::Value = serde_json::from_str(&pretty).expect("pretty JSON parses");
        if a != b {
            differ.push(case.display().to_string());
        }
    }
    assert!(differ.is_empty(), "compact and pretty differ: {differ:?}");
}
