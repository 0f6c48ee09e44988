//! `depwindow check --installed[=ENV]`: fake environments from dist-info folders in
//! `tests/installed/`, and one real virtualenv made with `python3 -m venv`.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn depwindow(dir: &Path, args: &[&str], envs: &[(&str, &Path)]) -> Output {
    let mut c = Command::new(env!("CARGO_BIN_EXE_depwindow"));
    c.args(args)
        .current_dir(dir)
        .env_remove("VIRTUAL_ENV")
        .env_remove("CONDA_PREFIX");
    for (k, v) in envs {
        c.env(k, v);
    }
    c.output().unwrap()
}

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).to_path_buf()
}

fn meta(site: &Path, name: &str, version: &str) {
    let d = site.join(format!("{name}-{version}.dist-info"));
    std::fs::create_dir_all(&d).unwrap();
    std::fs::write(
        d.join("METADATA"),
        format!("Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n\n"),
    )
    .unwrap();
}

#[test]
fn a_flagged_environment_in_every_output_format() {
    let site = "tests/installed/py37-flagged/lib/python3.7/site-packages";
    let out = depwindow(
        &root(),
        &[
            "check",
            "--installed",
            "tests/installed/py37-flagged",
            "-q",
            "--format",
            "concise",
        ],
        &[],
    );
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        format!("{site}/numpy-1.21.6.dist-info/METADATA:3:10: error: numpy 1.21.6 is installed; imports with FutureWarnings plus DeprecationWarnings for np.object / np.bool used at import (dtypes.py _TF_TO_NP, tensor_util.py _NP_TO_APPEND_FN); untested [DW101]\n")
    );
    // `--installed=ENV` too; JSON names the rule and the METADATA file.
    let out = depwindow(
        &root(),
        &[
            "check",
            "--installed=tests/installed/py37-flagged",
            "--format",
            "json",
        ],
        &[],
    );
    assert_eq!(out.status.code(), Some(1));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let d = &v["diagnostics"][0];
    assert_eq!(d["rule"], "tensorflow-1.14/numpy");
    assert_eq!(d["pythons"], serde_json::json!(["3.7"]));
    assert_eq!(
        d["related"][0]["path"],
        format!("{site}/tensorflow-1.14.0.dist-info/METADATA")
    );
    assert!(d["fix"].is_null());
    // No file to fix: the advice is what to install.
    assert_eq!(
        d["help"],
        "install a release inside the window: `pip install 'numpy>=1.14.5,<1.17'`"
    );
    for format in [
        "human",
        "concise",
        "json",
        "json-lines",
        "sarif",
        "github",
        "gitlab",
        "junit",
    ] {
        let out = depwindow(
            &root(),
            &[
                "check",
                "--installed",
                "tests/installed/py37-flagged",
                "--format",
                format,
            ],
            &[],
        );
        assert_eq!(out.status.code(), Some(1), "{format}: {out:?}");
        assert!(
            String::from_utf8_lossy(&out.stdout).contains("METADATA"),
            "{format}"
        );
    }
}

#[test]
fn a_clean_environment_and_the_defaults() {
    let out = depwindow(
        &root(),
        &["check", "--installed", "tests/installed/py37-clean"],
        &[],
    );
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    // No ENV: $VIRTUAL_ENV.
    let env = root().join("tests/installed/py37-flagged");
    let out = depwindow(
        &root(),
        &["check", "--installed", "--format", "concise"],
        &[("VIRTUAL_ENV", &env)],
    );
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    assert!(String::from_utf8_lossy(&out.stdout).contains("[DW101]"));
    // Then $CONDA_PREFIX.
    let out = depwindow(
        &root(),
        &["check", "--installed", "--format", "concise"],
        &[("CONDA_PREFIX", &env)],
    );
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    // Nothing there: a usage error.
    let out = depwindow(&root(), &["check", "--installed=no/such/env"], &[]);
    assert_eq!(out.status.code(), Some(2), "{out:?}");
}

#[test]
fn a_missing_package_follows_the_rules_absence_setting() {
    let dir = std::env::temp_dir().join(format!("dw-installed-missing-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let site = dir.join(".venv/lib/python3.7/site-packages");
    meta(&site, "tensorflow", "1.14.0");
    meta(&site, "numpy", "1.16.6");
    meta(&site, "protobuf", "3.19.6");
    meta(&site, "h5py", "2.10.0");
    // gast missing: TensorFlow 1.14.0 needs it and its rule counts absence.
    std::fs::create_dir_all(dir.join(".git")).unwrap();
    let out = depwindow(
        &dir,
        &["check", "-q", "--installed", "--format", "concise"],
        &[],
    );
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{text}");
    assert!(text.starts_with(".venv/lib/python3.7/site-packages/tensorflow-1.14.0.dist-info/METADATA:3:10: error: TensorFlow 1.14.0 is installed but gast is not: TensorFlow 1.14.0 was tested with `gast>=0.2.0,<0.3`"), "{text}");
    assert_eq!(text.lines().count(), 1, "{text}");
    let out = depwindow(
        &dir,
        &["check", "-q", "--installed", "--format", "json"],
        &[],
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let d = &v["diagnostics"][0];
    assert!(d["fix"].is_null(), "{d}");
    assert_eq!(
        d["help"],
        "install a release inside the window: `pip install 'gast>=0.2.0,<0.3'`"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

/// A real virtualenv, made by the test with `python3 -m venv`, with dist-infos for numpy
/// 1.21.6 and tensorflow 1.14.0 written into it.
#[test]
fn a_real_virtualenv() {
    let py = crate::common::python();
    let dir = std::env::temp_dir().join(format!("dw-installed-venv-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let made = Command::new(&py)
        .args(["-m", "venv", "--without-pip", "venv"])
        .current_dir(&dir)
        .status()
        .map_err(|e| e.to_string())
        .and_then(|s| {
            s.success()
                .then_some(())
                .ok_or(format!("`{py} -m venv` failed"))
        });
    if crate::common::require("python3 with venv", made).is_none() {
        return;
    }
    let site = std::fs::read_dir(dir.join("venv/lib"))
        .unwrap()
        .flatten()
        .map(|e| e.path().join("site-packages"))
        .find(|p| p.is_dir())
        .expect("site-packages");
    meta(&site, "numpy", "1.21.6");
    meta(&site, "tensorflow", "1.14.0");
    let version = std::fs::read_to_string(dir.join("venv/pyvenv.cfg")).unwrap();
    eprintln!("pyvenv.cfg:\n{version}");
    // The venv's own Python (from pyvenv.cfg) decides; TensorFlow 1.14.0 has wheels only
    // for 2.7 and 3.5 to 3.7, so on a newer Python nothing it covers can be installed.
    let own = depwindow(&dir, &["check", "--installed", "venv"], &[]);
    eprintln!("{}", String::from_utf8_lossy(&own.stdout));
    let newer = ["3.8", "3.9", "3.10", "3.11", "3.12", "3.13", "3.14"]
        .iter()
        .any(|v| version.contains(&format!("version = {v}.")));
    eprintln!("{}", String::from_utf8_lossy(&own.stderr));
    assert_eq!(
        own.status.code(),
        Some(if newer { 2 } else { 1 }),
        "{own:?}"
    );
    if newer {
        // Said once, with where the Python was read from; TensorFlow 1.14.0 has no wheel for
        // it, so the environment is inconsistent.
        let err = String::from_utf8_lossy(&own.stderr);
        assert_eq!(err.matches("no chosen Python (").count(), 1, "{err}");
        assert!(
            err.contains("the environment's, read from `venv/pyvenv.cfg`)"),
            "{err}"
        );
        assert!(
            err.contains("the environment is inconsistent: tensorflow 1.14.0 is installed"),
            "{err}"
        );
    }
    // Judged as Python 3.7: numpy 1.21.6 is outside the window.
    let out = depwindow(
        &dir,
        &[
            "check",
            "--installed",
            "venv",
            "--python",
            "3.7",
            "--format",
            "concise",
        ],
        &[],
    );
    let text = String::from_utf8_lossy(&out.stdout);
    eprintln!("{text}");
    assert_eq!(out.status.code(), Some(1), "{text}");
    assert!(text.contains("numpy-1.21.6.dist-info/METADATA:3:10: error: numpy 1.21.6 is installed; imports with FutureWarnings"), "{text}");
    let _ = std::fs::remove_dir_all(&dir);
}

/// The operating system comes from the `Tag:` lines of the installed wheels' `WHEEL` files
/// (issue 14 §2): `tensorflow-gpu` 1.14.0 has no macOS wheel, so wheels built for macOS
/// make it no trigger there, while the same set built for Linux is judged on Linux only.
#[test]
fn the_operating_system_comes_from_the_wheel_tags() {
    let run = |env: &str, extra: &[&str]| {
        let mut args = vec!["check", "-q", "--installed", env, "--format", "json"];
        args.extend_from_slice(extra);
        let out = depwindow(&root(), &args, &[]);
        let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        (
            out.status.code(),
            v["diagnostics"].as_array().unwrap().clone(),
        )
    };
    // macOS wheels (`macosx_*`): tensorflow-gpu 1.14.0 triggers nothing.
    let (code, diags) = run("tests/installed/py37-darwin-gpu", &[]);
    assert_eq!(code, Some(0), "{diags:?}");
    assert!(diags.is_empty(), "{diags:?}");
    // `--platform` overrides the tags.
    let (code, diags) = run("tests/installed/py37-darwin-gpu", &["--platform", "linux"]);
    assert_eq!(code, Some(1), "{diags:?}");
    assert!(diags.iter().any(|d| d["code"] == "DW101"), "{diags:?}");
    // Linux wheels (`manylinux1_*`, a compressed `manylinux_2_12.manylinux2010` set): judged
    // on Linux alone; the `any` wheel says nothing.
    let (code, diags) = run("tests/installed/py37-linux-gpu", &[]);
    assert_eq!(code, Some(1), "{diags:?}");
    let numpy = diags.iter().find(|d| d["code"] == "DW101").unwrap();
    assert_eq!(numpy["platforms"], serde_json::json!(["linux"]));
    assert_eq!(
        numpy["environments"],
        serde_json::json!([{"python": "3.7", "platform": "linux"}])
    );
    // Wheels that disagree (`linux_x86_64` and `win_amd64`): said once, at a tag line, and
    // every operating system they name is judged.
    let (code, diags) = run("tests/installed/py37-mixed", &[]);
    assert_eq!(code, Some(1), "{diags:?}");
    let note = diags
        .iter()
        .find(|d| d["severity"] == "info")
        .expect("a note on the disagreeing wheels");
    assert!(
        note["message"]
            .as_str()
            .unwrap()
            .contains("more than one operating system (Windows for numpy 1.21.6, Linux for tensorflow 1.14.0)"),
        "{note}"
    );
    assert!(note["path"]
        .as_str()
        .unwrap()
        .ends_with("tensorflow-1.14.0.dist-info/WHEEL"));
    assert_eq!(note["start"]["line"], 4);
    let numpy = diags.iter().find(|d| d["code"] == "DW101").unwrap();
    assert_eq!(numpy["platforms"], serde_json::json!(["linux", "win32"]));
    assert_eq!(diags.iter().filter(|d| d["severity"] == "info").count(), 1);
}

/// A Python that no selected rule's trigger supports (issue 11 §5, as `check --python 3.8`
/// says it): said once, with the environment's Python and where it was read from, and exit
/// 2 since no chosen Python is one; a TensorFlow the trigger admits with no wheel for that
/// Python makes the environment inconsistent, which is said too.
#[test]
fn an_environment_python_no_trigger_supports_is_said_once() {
    let env = "tests/installed/py311-tf114";
    let meta_path =
        "tests/installed/py311-tf114/lib/python3.11/site-packages/tensorflow-1.14.0.dist-info/METADATA";
    for format in ["human", "concise", "json", "sarif"] {
        let out = depwindow(
            &root(),
            &["check", "--installed", env, "--format", format],
            &[],
        );
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{format}: {out:?}");
        assert!(out.stdout.is_empty(), "{format}: {out:?}");
        assert_eq!(
            err.matches("no chosen Python (3.11, the environment's, read from `tests/installed/py311-tf114/pyvenv.cfg`) is one that a selected rule's trigger supports (TensorFlow 1.14.0: 2.7, 3.5, 3.6, 3.7)").count(),
            1,
            "{format}: {err}"
        );
        assert_eq!(
            err.matches(&format!("note: the environment is inconsistent: tensorflow 1.14.0 is installed (`{meta_path}`), but tensorflow 1.14.0 has no wheel for Python 3.11")).count(),
            1,
            "{format}: {err}"
        );
        // numpy is no trigger: only TensorFlow is named as inconsistent.
        assert_eq!(err.matches("inconsistent").count(), 1, "{format}: {err}");
    }
    // `--python` names the Python to judge on: the installed set is checked as usual.
    let out = depwindow(
        &root(),
        &[
            "check",
            "--installed",
            env,
            "--python",
            "3.7",
            "--format",
            "concise",
        ],
        &[],
    );
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    assert!(
        text.contains("numpy-1.21.6.dist-info/METADATA:3:10: error: numpy 1.21.6 is installed"),
        "{text}"
    );
    assert!(
        !String::from_utf8_lossy(&out.stderr).contains("no chosen Python"),
        "{out:?}"
    );

    // No pyvenv.cfg: the Python comes from the site-packages path, and the message says so;
    // without a TensorFlow there is nothing inconsistent to say.
    let dir = std::env::temp_dir().join(format!("dw-installed-py311-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let site = dir.join(".venv/lib/python3.11/site-packages");
    meta(&site, "numpy", "1.21.6");
    std::fs::create_dir_all(dir.join(".git")).unwrap();
    let out = depwindow(&dir, &["check", "--installed"], &[]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{out:?}");
    assert_eq!(
        err.matches("no chosen Python (3.11, the environment's, read from the site-packages path `.venv/lib/python3.11/site-packages`)").count(),
        1,
        "{err}"
    );
    assert!(!err.contains("inconsistent"), "{err}");
    let _ = std::fs::remove_dir_all(&dir);
}

/// Two installs of numpy in one environment (pip left both dist-infos): the finding points at
/// the one outside the window, and its headline names that version, not the other one's
/// (it named 1.16.6, inside the window, on 1.18.5's METADATA).
#[test]
fn two_installs_of_a_package_are_named_by_the_one_shown() {
    let dir = std::env::temp_dir().join(format!("dw-installed-twice-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let site = dir.join("env/lib/python2.7/site-packages");
    meta(&site, "tensorflow", "1.14.0");
    meta(&site, "numpy", "1.16.6");
    meta(&site, "numpy", "1.18.5");
    let out = depwindow(
        &dir,
        &[
            "check",
            "--installed=env",
            "--select",
            "tensorflow-1.14/numpy",
            "--format",
            "concise",
        ],
        &[],
    );
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    let line = text
        .lines()
        .find(|l| l.contains("[DW103]"))
        .unwrap_or_else(|| panic!("{text}"));
    assert!(
        line.starts_with(
            "env/lib/python2.7/site-packages/numpy-1.18.5.dist-info/METADATA:3:10: error: numpy 1.18.5 is installed"
        ),
        "{text}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}
