//! Autofix (`--fix`, `--diff`) on copies of every fixture, in LF and CRLF, and on generated
//! files:
//! 1. after `--fix`, `check` reports no finding that a safe fix covers, every fixed file still
//!    parses (no new `parse-error`), and every other finding is still there, unchanged;
//! 2. a second `--fix` changes nothing;
//! 3. every byte outside the fixes' spans is unchanged (prefix, between-edit segments,
//!    suffix compared byte for byte against the offsets the JSON report gives);
//! 4. the `--diff` output applies cleanly with `git apply` and gives the same files as
//!    `--fix`.

use crate::common;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use proptest::prelude::*;

fn bin() -> &'static str {
    env!("CARGO_BIN_EXE_depwindow")
}

fn depwindow(dir: &Path, args: &[&str]) -> Output {
    let out = Command::new(bin())
        .current_dir(dir)
        .env_remove("DEPWINDOW_OUTPUT_FORMAT")
        .env("NO_COLOR", "1")
        .arg("check")
        .args(args)
        .output()
        .expect("run depwindow");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!stderr.contains("panicked"), "{}: {stderr}", dir.display());
    out
}

static COUNTER: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);

fn temp_dir(tag: &str) -> PathBuf {
    let n = COUNTER.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let d = std::env::temp_dir().join(format!(
        "depwindow-autofix-{}-{n}-{}",
        std::process::id(),
        tag.replace(['/', '\\'], "_")
    ));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

/// Every input file under `dir` (not the expected outputs), by relative path.
fn read_tree(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    let mut out = BTreeMap::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
                continue;
            }
            let rel = p
                .strip_prefix(dir)
                .unwrap()
                .to_string_lossy()
                .replace('\\', "/");
            if rel.starts_with("expected.") || rel == "cmd" {
                continue;
            }
            out.insert(rel, std::fs::read(&p).unwrap());
        }
    }
    out
}

fn write_tree(dir: &Path, tree: &BTreeMap<String, Vec<u8>>) {
    for (rel, bytes) in tree {
        let p = dir.join(rel);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, bytes).unwrap();
    }
}

fn to_crlf(bytes: &[u8]) -> Vec<u8> {
    let text = String::from_utf8_lossy(bytes).replace("\r\n", "\n");
    text.replace('\n', "\r\n").into_bytes()
}

/// A safe fix from the JSON report: file, original byte range, replacement.
#[derive(Debug, Clone)]
struct JsonFix {
    path: String,
    start: usize,
    end: usize,
    replacement: String,
}

fn report(dir: &Path) -> serde_json::Value {
    let out = depwindow(dir, &["--format", "json", "."]);
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "{}: bad JSON ({e}): {}",
            dir.display(),
            String::from_utf8_lossy(&out.stdout)
        )
    })
}

fn safe_fixes(report: &serde_json::Value) -> Vec<JsonFix> {
    let mut out: Vec<JsonFix> = Vec::new();
    for d in report["diagnostics"].as_array().unwrap() {
        let f = &d["fix"];
        if f.is_null() || f["applicability"] != "safe" {
            continue;
        }
        let fix = JsonFix {
            path: f["path"].as_str().unwrap().to_owned(),
            start: f["start"]["offset"].as_u64().unwrap() as usize,
            end: f["end"]["offset"].as_u64().unwrap() as usize,
            replacement: f["replacement"].as_str().unwrap().to_owned(),
        };
        if !out.iter().any(|o| {
            o.path == fix.path
                && o.start == fix.start
                && o.end == fix.end
                && o.replacement == fix.replacement
        }) {
            out.push(fix);
        }
    }
    out
}

/// What identifies a finding across an edit that moves offsets: code, rule, file, package
/// (and the message of a finding without a rule, such as a parse error).
type FindingKey = (String, String, String, String);

fn finding_key(d: &serde_json::Value) -> FindingKey {
    let s = |v: &serde_json::Value| v.as_str().unwrap_or("").to_owned();
    let message = if d["rule"].is_null() {
        s(&d["message"])
    } else {
        String::new()
    };
    (
        s(&d["code"]),
        s(&d["rule"]),
        s(&d["path"]),
        format!("{}{message}", s(&d["package"])),
    )
}

/// The findings of a report, as a multiset of keys; `fixed`: only those with a safe fix
/// (true) or only those without (false).
fn findings(report: &serde_json::Value, fixed: Option<bool>) -> BTreeMap<FindingKey, usize> {
    let mut out = BTreeMap::new();
    for d in report["diagnostics"].as_array().unwrap() {
        let safe = !d["fix"].is_null() && d["fix"]["applicability"] == "safe";
        if fixed.is_none_or(|f| f == safe) {
            *out.entry(finding_key(d)).or_insert(0) += 1;
        }
    }
    out
}

fn git_available() -> bool {
    let found = match Command::new("git").arg("--version").output() {
        Ok(_) => Ok(()),
        Err(e) => Err(format!("cannot run git: {e}")),
    };
    common::require("git, for the `git apply` check of --diff", found).is_some()
}

/// Check properties 1-4 on one tree of input files. Returns how many fixes were applied.
fn check_tree(tag: &str, tree: &BTreeMap<String, Vec<u8>>, extra: &[&str]) -> usize {
    let fixed_dir = temp_dir(&format!("{tag}-fix"));
    let diff_dir = temp_dir(&format!("{tag}-diff"));
    write_tree(&fixed_dir, tree);
    write_tree(&diff_dir, tree);

    let before = report(&fixed_dir);
    let fixes = safe_fixes(&before);
    // Overlapping fixes take several rounds; single-round properties hold only without.
    let mut by_file: BTreeMap<String, Vec<JsonFix>> = BTreeMap::new();
    for f in &fixes {
        by_file.entry(f.path.clone()).or_default().push(f.clone());
    }
    let mut overlapping = false;
    for list in by_file.values_mut() {
        list.sort_by_key(|f| (f.start, f.end));
        overlapping |= list.windows(2).any(|w| w[1].start < w[0].end);
    }

    // 4a. The diff (one round, written nowhere).
    let diff = depwindow(&diff_dir, &[&["--diff", "."][..], extra].concat());
    assert_eq!(read_tree(&diff_dir), *tree, "{tag}: --diff wrote something");
    assert_eq!(
        diff.status.code(),
        Some(i32::from(!fixes.is_empty())),
        "{tag}: --diff exit code"
    );

    // Fix.
    let out = depwindow(
        &fixed_dir,
        &[&["--fix", "--format", "json", "."][..], extra].concat(),
    );
    assert!(
        matches!(out.status.code(), Some(0 | 1)),
        "{tag}: --fix failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let after_tree = read_tree(&fixed_dir);

    // 3. Bytes outside the edits are unchanged; the edits are exactly the replacements.
    if !overlapping {
        for (rel, original) in tree {
            let got = &after_tree[rel];
            let Some(edits) = by_file.get(rel) else {
                assert_eq!(got, original, "{tag}: `{rel}` changed without a fix");
                continue;
            };
            let mut at_old = 0;
            let mut at_new = 0;
            for e in edits {
                let seg = &original[at_old..e.start];
                assert_eq!(
                    &got[at_new..at_new + seg.len()],
                    seg,
                    "{tag}: `{rel}`: bytes before offset {} changed",
                    e.start
                );
                at_new += seg.len();
                let r = e.replacement.as_bytes();
                assert_eq!(
                    &got[at_new..at_new + r.len()],
                    r,
                    "{tag}: `{rel}`: replacement"
                );
                at_new += r.len();
                at_old = e.end;
            }
            assert_eq!(
                &got[at_new..],
                &original[at_old..],
                "{tag}: `{rel}`: bytes after the last edit changed"
            );
        }
    }

    // 1. No finding that a safe fix covers remains.
    let after = report(&fixed_dir);
    let left = safe_fixes(&after);
    let show = |path: &str| {
        String::from_utf8_lossy(&std::fs::read(fixed_dir.join(path)).unwrap_or_default())
            .into_owned()
    };
    assert!(
        left.is_empty(),
        "{tag}: safe fixes remain after --fix: {left:?}\n{}",
        show(&left[0].path)
    );
    // ... because the fix worked, not because the file stopped parsing: every finding that
    // had no safe fix is still there (a new parse error shows up as an extra finding), and
    // the fixed ones are gone.
    let unfixed = findings(&before, Some(false));
    // A finding in a generated requirements file whose fix went to its source stays, by
    // design (issue 16), as "fixed in the source; re-compile to apply" (or, for a finding
    // the source's range does not fix, "... already keeps ..."): not a new finding.
    let mut recompile = after.clone();
    if let Some(ds) = recompile["diagnostics"].as_array_mut() {
        ds.retain(|d| {
            !d["help"].as_str().is_some_and(|m| {
                m.starts_with("fixed in the source")
                    || m.starts_with("this file is generated by")
                        && m.lines()
                            .next()
                            .is_some_and(|l| l.contains("already keeps"))
            })
        });
    }
    let now = findings(&recompile, None);
    let files = || {
        by_file
            .keys()
            .map(|p| show(p))
            .collect::<Vec<_>>()
            .join("\n----\n")
    };
    for (k, n) in &now {
        let had = unfixed.get(k).copied().unwrap_or(0);
        // Known exception (checker, not format): when a unit has several requirements on
        // the package, the fix narrows the one the finding points at, and the others can
        // then leave no version at all (`unsatisfiable`).
        if k.0 == "DW103" || unsafe_applied(extra) && k.0 != "DW001" {
            continue;
        }
        assert!(
            *n <= had,
            "{tag}: new finding after --fix: {k:?}\n{}",
            files()
        );
    }
    if !unsafe_applied(extra) {
        for (k, n) in &unfixed {
            // A DW103 that holds only where Requires-Python excludes every release a line
            // admits (`numpy==1.18.5` on 2.7) has no fix of its own, but the DW101 on the
            // same line has one, on the other Pythons: narrowing it into the window changes
            // on which Pythons and lines the DW103 holds, or removes it (new DW103s are
            // exempt above for the same reason).
            if k.0 == "DW103" {
                continue;
            }
            assert_eq!(
                now.get(k),
                Some(n),
                "{tag}: a finding without a fix changed after --fix: {k:?}\n{}",
                files()
            );
        }
    }

    // 2. Idempotent.
    depwindow(&fixed_dir, &[&["--fix", "."][..], extra].concat());
    assert_eq!(
        read_tree(&fixed_dir),
        after_tree,
        "{tag}: second --fix changed files"
    );

    // 4b. The diff applies with `git apply` and gives what --fix wrote.
    if !overlapping && git_available() && !diff.stdout.is_empty() {
        let patch = diff_dir.join("..").join(format!(
            "{}.patch",
            diff_dir.file_name().unwrap().to_string_lossy()
        ));
        std::fs::write(&patch, &diff.stdout).unwrap();
        let applied = Command::new("git")
            .current_dir(&diff_dir)
            .args(["apply", "--whitespace=nowarn", "-p1"])
            .arg(&patch)
            .output()
            .expect("git apply");
        assert!(
            applied.status.success(),
            "{tag}: git apply failed: {}\n{}",
            String::from_utf8_lossy(&applied.stderr),
            String::from_utf8_lossy(&diff.stdout)
        );
        assert_eq!(
            read_tree(&diff_dir),
            after_tree,
            "{tag}: the diff and --fix disagree"
        );
        let _ = std::fs::remove_file(patch);
    }
    let _ = std::fs::remove_dir_all(&fixed_dir);
    let _ = std::fs::remove_dir_all(&diff_dir);
    fixes.len()
}

/// `--unsafe-fixes` also applies fixes the report does not call safe.
fn unsafe_applied(extra: &[&str]) -> bool {
    extra.contains(&"--unsafe-fixes")
}

use common::fixture_cases;

#[test]
fn every_fixture_fixes_cleanly_in_lf_and_crlf() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures");
    let mut total = 0;
    for case in fixture_cases() {
        let tag = case
            .strip_prefix(&root)
            .unwrap()
            .to_string_lossy()
            .into_owned();
        let extra: Vec<String> = std::fs::read_to_string(case.join("cmd"))
            .map(|s| s.split_whitespace().map(str::to_owned).collect())
            .unwrap_or_default();
        let extra: Vec<&str> = extra.iter().map(String::as_str).collect();
        let tree = read_tree(&case);
        total += check_tree(&tag, &tree, &extra);
        let crlf: BTreeMap<String, Vec<u8>> =
            tree.iter().map(|(k, v)| (k.clone(), to_crlf(v))).collect();
        check_tree(&format!("{tag}-crlf"), &crlf, &extra);
    }
    // The fixtures exercise fixes in every editable format.
    assert!(total >= 60, "only {total} safe fixes over all fixtures");
}

#[test]
fn every_editable_format_gets_fixes() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures");
    for (case, expect) in [
        ("conda/crlf", "numpy>=1.14.5,<1.17"),
        ("poetry/caret", "numpy = \">=1.16,<1.17\""),
        ("poetry/groups", "numpy = \">=1.14.5,<1.17\""),
        (
            "poetry/python-restriction",
            "numpy = { version = \">=1.14.5,<1.17\", python = \">=3.6,<3.8\", markers = \"sys_platform != 'win32' and platform_machine == \\\"x86_64\\\"\" }\n",
        ),
        (
            "poetry/constraint-list",
            "]\nnumpy = { version = \">=1.14.5,<1.17\", python = \">=3.6,<3.8\" }\n",
        ),
        (
            "pyproject/multiline-markers",
            "    'numpy>=1.14.5,<1.17; python_version < \"3.8\" and platform_release != \"5.4 #1-Ubuntu\"',\n",
        ),
        (
            "pipfile/markers",
            "numpy = { version = \">=1.14.5,<1.17\", markers = \"python_version < '3.8' and os_name == \\\"posix\\\"\" }\n",
        ),
        ("pipfile/star", "numpy = \">=1.14.5,<1.17\""),
        ("pyproject/pep621-full", "    \"protobuf>=3.6.1,<4\",\n"),
        ("setup-py/literal", "'numpy>=1.16,<1.17'"),
        ("setup-cfg/extras", "    numpy>=1.14.5,<1.17\n"),
        (
            "requirements/continuation-crlf",
            "numpy>=1.16, \\\n      <1.17\n",
        ),
    ] {
        let dir = temp_dir(case);
        write_tree(&dir, &read_tree(&root.join(case)));
        // `--unsafe-fixes`: poetry/caret's trigger `^1.14` is only possible, so its fix is
        // unsafe (it may change which TensorFlow pip installs).
        depwindow(&dir, &["--fix", "--unsafe-fixes", "."]);
        let all: String = read_tree(&dir)
            .values()
            .map(|b| String::from_utf8_lossy(b).into_owned())
            .collect();
        assert!(all.contains(expect), "{case}: `{expect}` not in\n{all}");
        let _ = std::fs::remove_dir_all(&dir);
    }
}

#[test]
fn unsafe_fixes_need_the_flag_and_exit_codes_follow_what_remains() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures");
    let tree = read_tree(&root.join("requirements/pip-compile-hashes"));
    let dir = temp_dir("unsafe");
    write_tree(&dir, &tree);
    let out = depwindow(&dir, &["--fix", "."]);
    assert_eq!(
        read_tree(&dir),
        tree,
        "an unsafe fix was applied without the flag"
    );
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("2 unsafe fixes not applied") && stderr.contains("hash-checking"),
        "{stderr}"
    );
    let out = depwindow(&dir, &["--fix", "--unsafe-fixes", "."]);
    assert_ne!(read_tree(&dir), tree);
    assert!(
        String::from_utf8_lossy(&read_tree(&dir)["requirements.txt"]).contains("numpy==1.16.6")
    );
    // Nothing remains: the file pins protobuf==3.20.3 (Requires-Python >=3.7), but its
    // header says pip-compile resolved it with Python 3.7, the only Python it is checked on
    // (not a DW103 on 2.7-3.6): exit 0.
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{stdout}");
    assert!(
        !stdout.contains("DW103") && stdout.contains("All checks passed"),
        "{stdout}"
    );

    let tree = read_tree(&root.join("requirements/numpy-lower-bound-only"));
    let dir = temp_dir("exit-on-fix");
    write_tree(&dir, &tree);
    let out = depwindow(&dir, &["--fix", "--exit-non-zero-on-fix", "."]);
    assert_eq!(out.status.code(), Some(1));
    let out = depwindow(&dir, &["--fix", "--exit-non-zero-on-fix", "."]);
    assert_eq!(out.status.code(), Some(0), "nothing left to fix");
}

/// `--fix` on a generated file whose source gets one package's fix: only the findings whose
/// own fix was written read "fixed in the source"; another package's finding, whose source
/// line was inside the window all along, says so instead (it was not fixed by this run).
#[test]
fn fixed_in_the_source_is_said_of_the_findings_whose_fix_was_written() {
    let dir = temp_dir("fixed-in-source");
    let mut tree = BTreeMap::new();
    tree.insert(
        "requirements.in".to_owned(),
        b"tensorflow==1.14.0\nnumpy>=1.14.5\nprotobuf>=3.6.1,<4\ngast==0.2.2\nh5py<3\n".to_vec(),
    );
    tree.insert(
        "requirements.txt".to_owned(),
        b"#\n# This file is autogenerated by pip-compile\n# To update, run:\n#\n#    pip-compile --output-file=requirements.txt requirements.in\n#\ngast==0.2.2\n    # via -r requirements.in\nh5py==2.10.0\n    # via -r requirements.in\nnumpy==1.21.6\n    # via -r requirements.in\nprotobuf==3.20.3\n    # via -r requirements.in\ntensorflow==1.14.0\n    # via -r requirements.in\n".to_vec(),
    );
    write_tree(&dir, &tree);
    let first = |d: &serde_json::Value| {
        d["help"]
            .as_str()
            .unwrap_or_default()
            .lines()
            .next()
            .unwrap_or_default()
            .to_owned()
    };
    let helps = |json: &serde_json::Value, pkg: &str| -> Vec<(String, String)> {
        json["diagnostics"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|d| d["package"] == pkg && d["path"] == "requirements.txt")
            .map(|d| (d["code"].as_str().unwrap().to_owned(), first(d)))
            .collect()
    };
    // Before: protobuf 3.20.3 needs Python >=3.7, and this header names no Python: DW103 on
    // 2.7-3.6, which the source's in-window range does not fix.
    let before = report(&dir);
    let protobuf = helps(&before, "protobuf");
    assert!(
        protobuf
            .iter()
            .any(|(c, h)| c == "DW103" && h.contains("already keeps `protobuf`")),
        "{protobuf:?}"
    );
    let out = depwindow(&dir, &["--fix", "--format", "json", "."]);
    let after: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(
        String::from_utf8_lossy(&read_tree(&dir)["requirements.in"])
            .contains("numpy>=1.14.5,<1.17"),
        "numpy's fix went to the source"
    );
    let numpy = helps(&after, "numpy");
    assert!(!numpy.is_empty());
    for (code, help) in &numpy {
        assert!(
            help.starts_with("fixed in the source (`requirements.in`); re-compile to apply"),
            "{code}: {help}"
        );
    }
    let protobuf = helps(&after, "protobuf");
    assert!(!protobuf.is_empty());
    for (code, help) in &protobuf {
        assert!(
            !help.contains("fixed in the source") && help.contains("already keeps `protobuf`"),
            "{code}: {help}"
        );
    }
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn includes_outside_the_checked_paths_are_not_written() {
    let dir = temp_dir("outside");
    std::fs::create_dir_all(dir.join("proj")).unwrap();
    std::fs::create_dir_all(dir.join("other")).unwrap();
    std::fs::write(
        dir.join("proj/requirements.txt"),
        "tensorflow==1.14.0\nprotobuf>=3.6.1,<4\ngast==0.2.2\n-r ../other/base.txt\n",
    )
    .unwrap();
    std::fs::write(dir.join("other/base.txt"), "numpy>=1.16\n").unwrap();
    let out = depwindow(&dir, &["--fix", "proj"]);
    assert_eq!(
        std::fs::read_to_string(dir.join("other/base.txt")).unwrap(),
        "numpy>=1.16\n"
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("outside the checked paths"), "{stderr}");
    assert_eq!(out.status.code(), Some(1));
    // Checking the parent includes it: then it is fixed.
    depwindow(&dir, &["--fix", "."]);
    assert_eq!(
        std::fs::read_to_string(dir.join("other/base.txt")).unwrap(),
        "numpy>=1.16,<1.17\n"
    );
}

#[test]
fn bom_latin1_permissions_and_missing_final_newline_survive() {
    let dir = temp_dir("encodings");
    let bom = b"\xEF\xBB\xBFtensorflow==1.14.0\r\nprotobuf>=3.6.1,<4\r\ngast==0.2.2\r\nh5py<3.0\r\nnumpy>=1.16";
    std::fs::write(dir.join("requirements.txt"), bom).unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(
            dir.join("requirements.txt"),
            std::fs::Permissions::from_mode(0o640),
        )
        .unwrap();
    }
    let sub = dir.join("latin");
    std::fs::create_dir_all(&sub).unwrap();
    std::fs::write(
        sub.join("requirements.txt"),
        b"# caf\xe9\ntensorflow==1.14.0\nprotobuf>=3.6.1,<4\ngast==0.2.2\nh5py<3.0\nnumpy>=1.16\n",
    )
    .unwrap();
    depwindow(&dir, &["--fix", "."]);
    assert_eq!(
        std::fs::read(dir.join("requirements.txt")).unwrap(),
        b"\xEF\xBB\xBFtensorflow==1.14.0\r\nprotobuf>=3.6.1,<4\r\ngast==0.2.2\r\nh5py<3.0\r\nnumpy>=1.16,<1.17"
    );
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(dir.join("requirements.txt"))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o640);
    }
    assert_eq!(
        std::fs::read(sub.join("requirements.txt")).unwrap(),
        b"# caf\xe9\ntensorflow==1.14.0\nprotobuf>=3.6.1,<4\ngast==0.2.2\nh5py<3.0\nnumpy>=1.16,<1.17\n"
    );
    // No temporary files left behind.
    let names: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert!(names.iter().all(|n| !n.ends_with(".tmp")), "{names:?}");
}

#[test]
fn markers_and_quoting_are_copied_into_inserted_requirements() {
    let tree: BTreeMap<String, Vec<u8>> = [
        (
            "requirements.txt".to_owned(),
            b"tensorflow==1.14.0 ; python_version < \"3.8\"  # pinned\nwheel\n".to_vec(),
        ),
        (
            "sub/pyproject.toml".to_owned(),
            b"[project]\nname = \"x\"\nversion = \"1\"\ndependencies = ['tensorflow==1.14.0', 'six']\n"
                .to_vec(),
        ),
    ]
    .into_iter()
    .collect();
    let dir = temp_dir("markers");
    write_tree(&dir, &tree);
    depwindow(&dir, &["--fix", "."]);
    let req = std::fs::read_to_string(dir.join("requirements.txt")).unwrap();
    assert!(
        req.contains("\nnumpy>=1.14.5,<1.17 ; python_version < \"3.8\"\n"),
        "{req}"
    );
    let py = std::fs::read_to_string(dir.join("sub/pyproject.toml")).unwrap();
    assert!(
        py.contains("['tensorflow==1.14.0', 'numpy>=1.14.5,<1.17', 'protobuf>=3.6.1,<4', 'gast>=0.2.0,<0.3', 'h5py<3.0', 'six']"),
        "{py}"
    );
    check_tree("markers", &tree, &[]);
}

// ---- generated files -----------------------------------------------------------------

fn requirement_line() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("numpy".to_owned()),
        Just("numpy>=1.16".to_owned()),
        Just("numpy >= 1.15 , < 1.20".to_owned()),
        Just("numpy>=1.16, \\\n    <1.18".to_owned()),
        Just("numpy==1.18.5".to_owned()),
        Just("numpy[extra]>=1.16 ; python_version >= \"3\"".to_owned()),
        Just("protobuf>=3.6.1".to_owned()),
        Just("protobuf<4".to_owned()),
        Just("gast".to_owned()),
        Just("gast==0.3.3  # pinned".to_owned()),
        Just("six".to_owned()),
        Just("# a comment with numpy>=1.16".to_owned()),
        Just(String::new()),
    ]
}

fn requirements_file() -> impl Strategy<Value = Vec<u8>> {
    (
        prop::collection::vec(requirement_line(), 0..5),
        prop_oneof![
            Just("tensorflow==1.14.0".to_owned()),
            Just("tensorflow==1.14.0 ; python_version < \"3.8\"".to_owned()),
            Just("  tensorflow-gpu == 1.14.0  # gpu".to_owned()),
            Just("tensorflow==1.14.0 \\\n    ; python_version >= \"3.5\"".to_owned()),
        ],
        prop::collection::vec(requirement_line(), 0..5),
        any::<bool>(),
        any::<bool>(),
    )
        .prop_map(|(before, tf, after, crlf, final_newline)| {
            let mut lines = before;
            lines.push(tf);
            lines.extend(after);
            let mut text = lines.join("\n");
            if final_newline {
                text.push('\n');
            }
            if crlf {
                text = text.replace('\n', "\r\n");
            }
            text.into_bytes()
        })
}

fn toml_file() -> impl Strategy<Value = Vec<u8>> {
    let element = prop_oneof![
        Just("numpy>=1.16"),
        Just("numpy"),
        Just("numpy==1.18.5"),
        Just("protobuf<4"),
        Just("gast"),
        Just("six"),
    ];
    (
        prop::collection::vec(element, 0..4),
        prop_oneof![Just('"'), Just('\'')],
        any::<bool>(),
        any::<bool>(),
        any::<bool>(),
        any::<bool>(),
        0usize..4,
    )
        .prop_map(
            |(others, q, multiline, trailing_comma, comment, crlf, tf_at)| {
                let mut elems: Vec<String> = others
                    .iter()
                    .filter(|e| !e.is_empty())
                    .map(|e| format!("{q}{e}{q}"))
                    .collect();
                let at = tf_at.min(elems.len());
                elems.insert(at, format!("{q}tensorflow==1.14.0{q}"));
                let body = if multiline {
                    let mut s = String::from("[\n");
                    for (i, e) in elems.iter().enumerate() {
                        let last = i + 1 == elems.len();
                        s.push_str("    ");
                        s.push_str(e);
                        if !last || trailing_comma {
                            s.push(',');
                        }
                        if comment && i == at {
                            s.push_str("  # the framework");
                        }
                        s.push('\n');
                    }
                    s.push(']');
                    s
                } else {
                    let mut s = format!("[{}", elems.join(", "));
                    if trailing_comma {
                        s.push(',');
                    }
                    s.push(']');
                    if comment {
                        s.push_str("  # deps");
                    }
                    s
                };
                let mut text = format!(
                    "# generated\n[project]\nname = \"gen\"\nversion = \"1\"\ndependencies = {body}\n\n[tool.other]\nkey = 1\n"
                );
                if crlf {
                    text = text.replace('\n', "\r\n");
                }
                text.into_bytes()
            },
        )
}

/// A Poetry project whose trigger is a string, an inline table with `python` / `markers`
/// restrictions (commas and quotes inside), or a list of constraint tables, in LF or CRLF.
fn poetry_file() -> impl Strategy<Value = Vec<u8>> {
    let trigger = prop_oneof![
        Just(r#"tensorflow = "1.14.0""#.to_owned()),
        Just(r#"tensorflow = { version = "1.14.0", python = ">=3.6,<3.8" }"#.to_owned()),
        Just(r#"tensorflow = {version="1.14.0",python=">=3.6,<3.8",markers="sys_platform != 'win32'"}"#.to_owned()),
        Just(r#"tensorflow = { version = "1.14.0", markers = "platform_machine == \"x86_64\" and python_version < '3.8'" }  # gpu"#.to_owned()),
        Just(r#"tensorflow = { version = "1.14.0", platform = "linux" }"#.to_owned()),
        Just("tensorflow = [\n    { version = \"1.14.0\", python = \">=3.6,<3.8\" },\n    { version = \"2.4.0\", python = \">=3.8\" },\n]".to_owned()),
    ];
    let other = prop_oneof![
        Just(r#"numpy = "^1.16""#),
        Just(r#"numpy = { version = ">=1.16", python = "<3.8" }"#),
        Just(r#"numpy = "*""#),
        Just(r#"protobuf = ">=3.6.1""#),
        Just(r#"gast = "0.2.2""#),
        Just(r#"six = "*""#),
    ];
    (
        prop::collection::vec(other.clone(), 0..3),
        trigger,
        prop::collection::vec(other, 0..3),
        any::<bool>(),
        any::<bool>(),
    )
        .prop_map(|(before, tf, after, crlf, final_newline)| {
            let mut lines: Vec<String> = vec![
                "[tool.poetry]".into(),
                "name = \"gen\"".into(),
                "version = \"1\"".into(),
                String::new(),
                "[tool.poetry.dependencies]".into(),
                "python = \">=3.6,<3.9\"".into(),
            ];
            let mut seen = std::collections::BTreeSet::new();
            for l in before
                .iter()
                .chain(std::iter::once(&tf.as_str()))
                .chain(&after)
            {
                // TOML keys are unique within a table.
                let key = l.split(' ').next().unwrap_or("");
                if seen.insert(key.to_owned()) {
                    lines.push((*l).to_owned());
                }
            }
            let mut text = lines.join("\n");
            if final_newline {
                text.push('\n');
            }
            if crlf {
                text = text.replace('\n', "\r\n");
            }
            text.into_bytes()
        })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn generated_requirements_files_fix_cleanly(file in requirements_file()) {
        let tree: BTreeMap<String, Vec<u8>> =
            [("requirements.txt".to_owned(), file)].into_iter().collect();
        check_tree("prop-req", &tree, &[]);
    }

    #[test]
    fn generated_poetry_files_fix_cleanly(file in poetry_file()) {
        let tree: BTreeMap<String, Vec<u8>> =
            [("pyproject.toml".to_owned(), file)].into_iter().collect();
        check_tree("prop-poetry", &tree, &[]);
    }

    #[test]
    fn generated_pyproject_files_fix_cleanly(file in toml_file()) {
        let tree: BTreeMap<String, Vec<u8>> =
            [("pyproject.toml".to_owned(), file)].into_iter().collect();
        check_tree("prop-toml", &tree, &[]);
    }
}

/// Poetry dependencies written as TOML tables and arrays of tables (`[tool.poetry.
/// dependencies.numpy]`, `[[tool.poetry.dependencies.tensorflow]]`) rather than inline: every
/// fix still leaves a file that parses, with the fixed finding gone and the rest unchanged,
/// in LF and CRLF.
#[test]
fn poetry_tables_and_arrays_of_tables_fix_cleanly() {
    let head = "[tool.poetry]\nname = \"gen\"\nversion = \"1\"\n\n[tool.poetry.dependencies]\n";
    let cases = [
        (
            "table",
            "python = \">=3.6,<3.8\"\ntensorflow = \"1.14.0\"\n\n\
             [tool.poetry.dependencies.numpy]\nversion = \">=1.16\"\npython = \">=3.6\"\n",
        ),
        (
            "array-of-tables-trigger",
            "python = \">=3.6,<3.9\"\nnumpy = \">=1.16\"\n\n\
             [[tool.poetry.dependencies.tensorflow]]\nversion = \"1.14.0\"\npython = \">=3.6,<3.8\"\n\n\
             [[tool.poetry.dependencies.tensorflow]]\nversion = \"2.4.0\"\npython = \">=3.8\"\n",
        ),
        (
            "array-of-tables-offender",
            "python = \">=3.6,<3.9\"\ntensorflow = \"1.14.0\"\n\n\
             [[tool.poetry.dependencies.numpy]]\nversion = \">=1.16\"\npython = \"<3.8\"\n\n\
             [[tool.poetry.dependencies.numpy]]\nversion = \">=1.19\"\npython = \">=3.8\"\n",
        ),
    ];
    for (tag, body) in cases {
        let text = format!("{head}{body}");
        for (suffix, bytes) in [
            ("lf", text.clone().into_bytes()),
            ("crlf", to_crlf(text.as_bytes())),
        ] {
            let tree: BTreeMap<String, Vec<u8>> =
                [("pyproject.toml".to_owned(), bytes)].into_iter().collect();
            let fixes = check_tree(&format!("poetry-{tag}-{suffix}"), &tree, &[]);
            assert!(fixes > 0, "{tag}-{suffix}: no fix applied");
        }
    }
}
