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

fn extra_args(case: &Path) -> Vec<String> {
    std::fs::read_to_string(case.join("cmd"))
        .map(|s| s.split_whitespace().map(str::to_owned).collect())
        .unwrap_or_default()
}

fn run(dir: &Path, format: &str, extra: &[String]) -> (String, i32) {
    let out = Command::new(bin())
        .current_dir(dir)
        .env_remove("DEPWINDOW_OUTPUT_FORMAT")
        .env("NO_COLOR", "1")
        .env_remove("NO_GRAPHICS")
        .args(["check", "--format", format, "--width", "100"])
        .args(extra)
        .arg(".")
        .output()
        .expect("run depwindow");
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
