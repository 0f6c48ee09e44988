//! Offline checks of the oracles recorded from real CPython and real pip
//! (`tests/oracles/README.md`, issue 11 §1 and §6).
//!
//! - `rules/environments.tsv` agrees with the marker environments recorded from the real
//!   interpreters (its linux rows) and with `rules/releases/tensorflow-by-platform.tsv`
//!   (which TF 1.14.0 distribution has a wheel where). Pure Rust: no Python needed.
//! - `tests/oracles/check_recording.py` cross-checks the recorded pip picks with
//!   `rules/releases/*.tsv`. Python is `$DEPWINDOW_PYTHON` or `python3`, with `packaging`;
//!   without it the test fails when `CI=true` and is skipped with a note otherwise.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

type Row = BTreeMap<String, String>;

fn read_tsv(path: &Path) -> Vec<Row> {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let mut lines = text.lines();
    let head: Vec<&str> = lines.next().expect("header line").split('\t').collect();
    lines
        .filter(|l| !l.is_empty())
        .map(|l| {
            let cells: Vec<&str> = l.split('\t').collect();
            assert_eq!(cells.len(), head.len(), "{}: `{l}`", path.display());
            head.iter()
                .zip(cells)
                .map(|(h, c)| (h.to_string(), c.to_string()))
                .collect()
        })
        .collect()
}

fn environments() -> Vec<Row> {
    read_tsv(&root().join("rules/environments.tsv"))
}

/// `2.7.18` -> [2, 7, 18]; the table and the recordings hold final releases only.
fn release(v: &str) -> Vec<u64> {
    v.split('.')
        .map(|p| {
            p.parse()
                .unwrap_or_else(|_| panic!("not a final release: {v}"))
        })
        .collect()
}

#[test]
fn environments_table_has_every_target_once() {
    let rows = environments();
    let mut seen = Vec::new();
    for python in ["2.7", "3.5", "3.6", "3.7"] {
        for platform in ["linux", "darwin", "win32"] {
            let n = rows
                .iter()
                .filter(|r| r["python"] == python && r["platform"] == platform)
                .count();
            assert_eq!(n, 1, "{python}/{platform}");
            seen.push((python, platform));
        }
    }
    assert_eq!(rows.len(), seen.len());
    for r in &rows {
        let (py, platform) = (&r["python"], &r["platform"]);
        assert_eq!(&r["python_version"], py);
        let full = release(&r["python_full_version"]);
        let oldest = release(&r["python_full_version_oldest"]);
        assert_eq!(full[..2], release(py)[..], "{py}/{platform}");
        assert_eq!(oldest, [full[0], full[1], 0], "{py}/{platform}");
        // 2.7 has no sys.implementation: packaging's default_environment says "" and "0".
        let (name, version) = if py == "2.7" {
            ("", "0")
        } else {
            ("cpython", r["python_full_version"].as_str())
        };
        assert_eq!(r["implementation_name"], name, "{py}/{platform}");
        assert_eq!(r["implementation_version"], version, "{py}/{platform}");
        assert_eq!(r["platform_python_implementation"], "CPython");
        let (sys_platform, system, os_name, machine) = match platform.as_str() {
            "linux" if py == "2.7" => ("linux2", "Linux", "posix", "x86_64"),
            "linux" => ("linux", "Linux", "posix", "x86_64"),
            "darwin" => ("darwin", "Darwin", "posix", "x86_64"),
            "win32" => ("win32", "Windows", "nt", "AMD64"),
            other => panic!("unknown platform {other}"),
        };
        assert_eq!(r["sys_platform"], sys_platform, "{py}/{platform}");
        assert_eq!(r["platform_system"], system, "{py}/{platform}");
        assert_eq!(r["os_name"], os_name, "{py}/{platform}");
        assert_eq!(r["platform_machine"], machine, "{py}/{platform}");
    }
}

#[test]
fn environments_linux_rows_match_the_real_interpreters() {
    let rows = environments();
    let dir = root().join("tests/oracles/recorded");
    let mut checked = 0;
    for python in ["2.7", "3.6", "3.7"] {
        let path = dir.join(format!("marker-env-{python}-linux.json"));
        let rec: Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
        assert_eq!(rec["agrees"], Value::Bool(true), "{}", path.display());
        let env = rec["environment"].as_object().unwrap();
        let row = rows
            .iter()
            .find(|r| r["python"] == python && r["platform"] == "linux")
            .unwrap();
        for (key, value) in env {
            let value = value.as_str().unwrap();
            if key == "platform_release" || key == "platform_version" {
                // Not fixed by the environment: the table has no column for them.
                assert!(!row.contains_key(key), "{key}");
                continue;
            }
            let want = &row[key];
            if (key == "python_full_version" || key == "implementation_version") && value != "0" {
                // The recording's patch (3.7.16) lies between the row's oldest and newest.
                let (got, lo, hi) = (
                    release(value),
                    release(&row["python_full_version_oldest"]),
                    release(want),
                );
                assert!(
                    lo <= got && got <= hi,
                    "{python}: {key} {value} outside {lo:?}..{hi:?}"
                );
            } else {
                assert_eq!(value, want, "{python}: {key}");
            }
            checked += 1;
        }
    }
    assert_eq!(checked, 3 * 9);
}

#[test]
fn environments_tensorflow_columns_match_the_wheel_lists() {
    let wheels = read_tsv(&root().join("rules/releases/tensorflow-by-platform.tsv"));
    for r in environments() {
        for (dist, col) in [
            ("tensorflow", "tensorflow_1_14_0"),
            ("tensorflow-gpu", "tensorflow_gpu_1_14_0"),
        ] {
            let w = wheels
                .iter()
                .find(|w| {
                    w["python"] == r["python"]
                        && w["distribution"] == dist
                        && w["sys_platform"] == r["platform"]
                })
                .unwrap_or_else(|| panic!("{dist} {} {}", r["python"], r["platform"]));
            let has = w["versions_with_wheels"].split(',').any(|v| v == "1.14.0");
            assert_eq!(
                r[col] == "yes",
                has,
                "{dist} {} {}",
                r["python"],
                r["platform"]
            );
            assert!(r[col] == "yes" || r[col] == "no");
        }
    }
    // What the table says: no gpu wheel on darwin, no 2.7 wheel on win32.
    let get = |py: &str, platform: &str, col: &str| {
        environments()
            .into_iter()
            .find(|r| r["python"] == py && r["platform"] == platform)
            .unwrap()[col]
            .clone()
    };
    assert_eq!(get("3.7", "darwin", "tensorflow_gpu_1_14_0"), "no");
    assert_eq!(get("2.7", "win32", "tensorflow_1_14_0"), "no");
    assert_eq!(get("2.7", "darwin", "tensorflow_1_14_0"), "yes");
}

#[test]
fn platform_wheel_list_is_the_shared_one() {
    let Some(shared) = crate::common::require("../shared", crate::common::shared_dir()) else {
        return;
    };
    assert_eq!(
        std::fs::read_to_string(root().join("rules/releases/tensorflow-by-platform.tsv")).unwrap(),
        std::fs::read_to_string(shared.join("releases/tensorflow-by-platform.tsv")).unwrap()
    );
}

#[test]
fn recorded_pip_picks_agree_with_the_release_lists() {
    let py = crate::common::python();
    let probe = match Command::new(&py)
        .args(["-c", "import packaging.specifiers"])
        .output()
    {
        Ok(o) if o.status.success() => Ok(()),
        Ok(o) => Err(format!(
            "`{py}` cannot import packaging: {}",
            String::from_utf8_lossy(&o.stderr)
        )),
        Err(e) => Err(format!("cannot run `{py}`: {e}")),
    };
    if crate::common::require("packaging (set DEPWINDOW_PYTHON)", probe).is_none() {
        return;
    }
    let out = Command::new(&py)
        .arg(root().join("tests/oracles/check_recording.py"))
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "check_recording.py failed:\n{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // The summary line proves the checks ran over the whole recording.
    assert!(
        stdout.contains(" resolved versions: 0 mismatches"),
        "{stdout}"
    );
}
