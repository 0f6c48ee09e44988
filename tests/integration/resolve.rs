//! `depwindow check --resolve` against a tiny local index: a `--find-links` folder of small
//! wheels this test writes (a wheel is a zip of `NAME-VER.dist-info/{METADATA,WHEEL,RECORD}`;
//! the zip writer below uses stored entries and CRC-32), resolved with `--no-index`. Offline
//! and deterministic. uv comes from the CI venv (`tests/python-requirements.txt`): `uv` on
//! PATH, or beside `$DEPWINDOW_PYTHON`.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use crate::common;

fn crc32(data: &[u8]) -> u32 {
    let mut crc = 0xffff_ffffu32;
    for &b in data {
        crc ^= u32::from(b);
        for _ in 0..8 {
            crc = if crc & 1 == 1 {
                (crc >> 1) ^ 0xedb8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

/// A zip archive of stored (uncompressed) entries.
fn zip(entries: &[(String, String)]) -> Vec<u8> {
    let mut out = Vec::new();
    let mut central = Vec::new();
    for (name, data) in entries {
        let (name, data) = (name.as_bytes(), data.as_bytes());
        let offset = out.len() as u32;
        let crc = crc32(data);
        let size = data.len() as u32;
        let common = |v: &mut Vec<u8>| {
            v.extend(20u16.to_le_bytes()); // version needed
            v.extend(0u16.to_le_bytes()); // flags
            v.extend(0u16.to_le_bytes()); // stored
            v.extend(0u16.to_le_bytes()); // time
            v.extend(0x21u16.to_le_bytes()); // date: 1980-01-01
            v.extend(crc.to_le_bytes());
            v.extend(size.to_le_bytes());
            v.extend(size.to_le_bytes());
            v.extend((name.len() as u16).to_le_bytes());
            v.extend(0u16.to_le_bytes()); // extra length
        };
        out.extend(0x0403_4b50u32.to_le_bytes());
        common(&mut out);
        out.extend(name);
        out.extend(data);
        central.extend(0x0201_4b50u32.to_le_bytes());
        central.extend(20u16.to_le_bytes()); // version made by
        common(&mut central);
        central.extend(0u16.to_le_bytes()); // comment length
        central.extend(0u16.to_le_bytes()); // disk
        central.extend(0u16.to_le_bytes()); // internal attributes
        central.extend(0u32.to_le_bytes()); // external attributes
        central.extend(offset.to_le_bytes());
        central.extend(name);
    }
    let cd_offset = out.len() as u32;
    let cd_size = central.len() as u32;
    out.extend(&central);
    out.extend(0x0605_4b50u32.to_le_bytes());
    out.extend(0u16.to_le_bytes());
    out.extend(0u16.to_le_bytes());
    out.extend((entries.len() as u16).to_le_bytes());
    out.extend((entries.len() as u16).to_le_bytes());
    out.extend(cd_size.to_le_bytes());
    out.extend(cd_offset.to_le_bytes());
    out.extend(0u16.to_le_bytes());
    out
}

fn wheel(dir: &Path, name: &str, version: &str, requires: &[&str], python: Option<&str>) {
    let info = format!("{name}-{version}.dist-info");
    let mut metadata = format!("Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n");
    if let Some(p) = python {
        metadata.push_str(&format!("Requires-Python: {p}\n"));
    }
    for r in requires {
        metadata.push_str(&format!("Requires-Dist: {r}\n"));
    }
    let entries = vec![
        (format!("{info}/METADATA"), metadata),
        (
            format!("{info}/WHEEL"),
            "Wheel-Version: 1.0\nGenerator: depwindow-test\nRoot-Is-Purelib: true\nTag: py3-none-any\n"
                .to_owned(),
        ),
        (format!("{info}/RECORD"), String::new()),
    ];
    let file = dir.join(format!(
        "{}-{version}-py3-none-any.whl",
        name.replace('-', "_")
    ));
    std::fs::write(file, zip(&entries)).unwrap();
}

/// The local index: TensorFlow 1.14.0 (numpy, wrapt and, through keras-applications, h5py),
/// three numpy releases, two h5py and two wrapt releases, and fake packages that drag numpy
/// up.
fn index(dir: &Path) {
    std::fs::create_dir_all(dir).unwrap();
    wheel(
        dir,
        "tensorflow",
        "1.14.0",
        &[
            "numpy>=1.14.5,<2.0",
            "keras-applications>=1.0.6",
            "wrapt>=1.11.1",
        ],
        Some(">=3.5"),
    );
    wheel(dir, "keras-applications", "1.0.8", &["h5py"], None);
    for v in ["2.10.0", "3.1.0"] {
        wheel(dir, "h5py", v, &[], None);
    }
    // 1.17.0rc1: what a file's `--pre` lets the resolver take.
    for v in ["1.11.2", "1.16.0", "1.17.0rc1"] {
        wheel(dir, "wrapt", v, &[], None);
    }
    for v in ["1.16.4", "1.17.3", "1.21.6"] {
        wheel(dir, "numpy", v, &[], Some(">=3.5"));
    }
    // In-window releases the rules ask a source to add (the generated-file case).
    wheel(dir, "protobuf", "3.20.3", &[], None);
    wheel(dir, "gast", "0.2.2", &[], None);
    wheel(dir, "dwleak", "1.0", &["numpy>=1.17.3"], Some(">=3.7"));
    wheel(
        dir,
        "dwplat",
        "1.0",
        &["numpy>=1.17.3; sys_platform == \"win32\""],
        None,
    );
    // Only a source distribution (a `.zip` sdist): resolving it needs a build.
    std::fs::write(
        dir.join("dwbuild-1.0.zip"),
        zip(&[(
            "dwbuild-1.0/setup.py".to_owned(),
            "from setuptools import setup\nsetup(name='dwbuild', version='1.0')\n".to_owned(),
        )]),
    )
    .unwrap();
}

/// The folder holding uv: PATH, else beside `$DEPWINDOW_PYTHON`.
fn uv_dir() -> Result<PathBuf, String> {
    let mut dirs: Vec<PathBuf> = std::env::var_os("PATH")
        .map(|p| std::env::split_paths(&p).collect())
        .unwrap_or_default();
    if let Some(py) = std::env::var_os("DEPWINDOW_PYTHON") {
        if let Some(d) = Path::new(&py).parent() {
            dirs.insert(0, d.to_path_buf());
        }
    }
    dirs.into_iter()
        .find(|d| d.join("uv").is_file())
        .ok_or_else(|| "no `uv` on PATH or beside $DEPWINDOW_PYTHON".into())
}

struct Env {
    root: PathBuf,
    uv: PathBuf,
}

fn setup(name: &str) -> Option<Env> {
    let uv = common::require("uv (pip install uv)", uv_dir())?;
    let root =
        std::env::temp_dir().join(format!("depwindow-resolve-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&root);
    index(&root.join("wheels"));
    Some(Env { root, uv })
}

impl Env {
    fn check(&self, file: &str, text: &str, extra: &[&str]) -> (Output, serde_json::Value) {
        let dir = self.root.join(file.replace('/', "_"));
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("requirements.txt"), text).unwrap();
        let path = format!(
            "{}:{}",
            self.uv.display(),
            std::env::var("PATH").unwrap_or_default()
        );
        let out = Command::new(env!("CARGO_BIN_EXE_depwindow"))
            .current_dir(&dir)
            .env("PATH", path)
            .env("XDG_CACHE_HOME", self.root.join("cache"))
            .args([
                "check",
                "requirements.txt",
                "--format",
                "json",
                "--python",
                "3.7",
            ])
            .args([
                "--resolve",
                "--resolver",
                "uv",
                "--no-index",
                "--find-links",
            ])
            .arg(self.root.join("wheels"))
            .args(extra)
            .output()
            .unwrap();
        let json = serde_json::from_slice(&out.stdout).unwrap_or(serde_json::Value::Null);
        (out, json)
    }
}

fn findings<'a>(json: &'a serde_json::Value, code: &str) -> Vec<&'a serde_json::Value> {
    json["diagnostics"]
        .as_array()
        .map(|a| a.iter().filter(|d| d["code"] == code).collect())
        .unwrap_or_default()
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

#[test]
fn resolution_failure_names_the_package_that_requires_more() {
    let Some(env) = setup("failure") else { return };
    let (out, json) = env.check(
        "failure",
        "tensorflow==1.14.0\nnumpy>=1.14.5,<1.17\nh5py<3\nwrapt<1.15\ndwleak\n",
        &[],
    );
    let err = stderr(&out);
    assert!(err.contains("resolving with uv"), "{err}");
    assert!(err.contains("no index"), "{err}");
    let f = findings(&json, "DW106");
    assert_eq!(f.len(), 1, "{json:#}\n{err}");
    let msg = f[0]["message"].as_str().unwrap();
    assert!(
        msg.contains("Python 3.7, linux") && msg.contains("dwleak requires numpy>=1.17.3"),
        "{msg}"
    );
    // The lines of the packages involved are related locations.
    let related = f[0]["related"].to_string();
    assert!(related.contains("`numpy` takes part"), "{related}");
    assert_eq!(out.status.code(), Some(1));
}

#[test]
fn confirmed_static_finding_names_the_requirers() {
    let Some(env) = setup("confirmed") else {
        return;
    };
    let (_, json) = env.check(
        "confirmed",
        "tensorflow==1.14.0\nnumpy>=1.14.5\nh5py<3\nwrapt<1.15\ndwleak\n",
        &[],
    );
    let f = findings(&json, "DW101");
    let numpy = f
        .iter()
        .find(|d| d["package"] == "numpy")
        .expect("the static numpy finding");
    let help = numpy["help"].as_str().unwrap();
    assert!(
        help.contains(
            "confirmed: uv resolves numpy 1.21.6 on Python 3.7, linux (required by dwleak, tensorflow)"
        ),
        "{help}"
    );
    // Confirmed, so not reported twice.
    assert!(findings(&json, "DW107").is_empty(), "{json:#}");
}

#[test]
fn resolved_outside_where_the_rule_ignores_absence() {
    let Some(env) = setup("outside") else { return };
    let (_, json) = env.check(
        "outside",
        "tensorflow==1.14.0\nnumpy>=1.14.5,<1.17\nh5py<3\n",
        &[],
    );
    // No static finding on wrapt: its absence is not a finding (`absence = "ignore"`).
    let f = findings(&json, "DW107");
    assert_eq!(f.len(), 1, "{json:#}");
    assert_eq!(f[0]["rule"], "tensorflow-1.14/wrapt");
    let msg = f[0]["message"].as_str().unwrap();
    assert!(
        msg.contains("uv resolves wrapt 1.16.0") && msg.contains("required by tensorflow"),
        "{msg}"
    );
    // With wrapt bounded, nothing is left to report.
    let (_, json) = env.check(
        "outside-fixed",
        "tensorflow==1.14.0\nnumpy>=1.14.5,<1.17\nh5py<3\nwrapt<1.15\n",
        &[],
    );
    assert!(findings(&json, "DW107").is_empty(), "{json:#}");
    assert!(findings(&json, "DW106").is_empty(), "{json:#}");
}

/// A global `--constraint` file restricts what the resolver may pick, as it restricts the
/// static check (pip's `PIP_CONSTRAINT`): a `wrapt<1.15` there leaves nothing resolved outside.
#[test]
fn a_global_constraint_file_reaches_the_resolver() {
    let Some(env) = setup("global-constraint") else {
        return;
    };
    let text = "tensorflow==1.14.0\nnumpy>=1.14.5,<1.17\nh5py<3\n";
    let (_, json) = env.check("unconstrained", text, &[]);
    assert_eq!(findings(&json, "DW107").len(), 1, "{json:#}");
    let c = env.root.join("constraints.txt");
    let constrained = |name: &str| env.check(name, text, &["--constraint", c.to_str().unwrap()]);
    std::fs::write(&c, "wrapt<1.15\n").unwrap();
    let (out, json) = constrained("constrained");
    assert!(
        findings(&json, "DW107").is_empty(),
        "{json:#}\n{}",
        stderr(&out)
    );
    assert!(
        findings(&json, "DW106").is_empty(),
        "{json:#}\n{}",
        stderr(&out)
    );
    // A constraint file the check cannot read (a repository configuration's, outside the
    // project) is the check's finding; the file is not resolved, and the note says why.
    let dir = env.root.join("unreadable");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(
        dir.join("depwindow.toml"),
        format!("constraints = [{:?}]\n", c.to_str().unwrap()),
    )
    .unwrap();
    let (out, json) = env.check("unreadable", text, &[]);
    let err = stderr(&out);
    assert!(
        json.to_string().contains("cannot read constraint file"),
        "{json:#}\n{err}"
    );
    assert!(err.contains("1 file not resolved"), "{err}");
    assert!(!err.contains("nothing to resolve"), "{err}");
    // A constraint the unit's requirements cannot meet is the resolver's failure too.
    std::fs::write(&c, "numpy>=1.17\n").unwrap();
    let (out, json) = constrained("conflicting");
    assert_eq!(
        findings(&json, "DW106").len(),
        1,
        "{json:#}\n{}",
        stderr(&out)
    );
}

/// The file's `--pre` reaches the resolver (uv `--prerelease allow`), and its answers are
/// cached apart from those without it.
#[test]
fn a_files_pre_reaches_the_resolver() {
    let Some(env) = setup("pre") else { return };
    let text = "tensorflow==1.14.0\nnumpy>=1.14.5,<1.17\nh5py<3\n";
    let resolved = |json: &serde_json::Value| {
        let f = findings(json, "DW107");
        assert_eq!(f.len(), 1, "{json:#}");
        f[0]["message"].as_str().unwrap().to_owned()
    };
    let (_, json) = env.check("plain", text, &[]);
    assert!(
        resolved(&json).contains("wrapt 1.16.0"),
        "{}",
        resolved(&json)
    );
    let (_, json) = env.check("pre", &format!("--pre\n{text}"), &[]);
    assert!(
        resolved(&json).contains("wrapt 1.17.0rc1"),
        "{}",
        resolved(&json)
    );
}

#[test]
fn platform_dependent_resolution() {
    let Some(env) = setup("platform") else { return };
    let (_, json) = env.check(
        "platform",
        "tensorflow==1.14.0\nnumpy>=1.14.5,<1.17\nh5py<3\nwrapt<1.15\ndwplat\n",
        &["--platform", "linux,win32"],
    );
    let f = findings(&json, "DW106");
    assert_eq!(f.len(), 1, "{json:#}");
    let msg = f[0]["message"].as_str().unwrap();
    assert!(msg.contains("Python 3.7, windows"), "{msg}");
    assert!(
        msg.contains("dwplat requires numpy>=1.17.3 (when sys_platform == 'win32')"),
        "{msg}"
    );
}

#[test]
fn a_package_that_needs_a_build_is_not_a_failure() {
    let Some(env) = setup("build") else { return };
    let (_, json) = env.check(
        "build",
        "tensorflow==1.14.0\nnumpy>=1.14.5,<1.17\nh5py<3\nwrapt<1.15\ndwbuild\n",
        &[],
    );
    assert!(findings(&json, "DW106").is_empty(), "{json:#}");
    let f = findings(&json, "DW003");
    assert!(
        f.iter().any(|d| d["message"]
            .as_str()
            .unwrap()
            .contains("needs a build to resolve on Python 3.7, linux")),
        "{json:#}"
    );
}

#[test]
fn hostile_lines_never_reach_the_resolver_and_a_missing_resolver_is_exit_2() {
    let Some(env) = setup("hostile") else { return };
    // A URL the file names would fail the run (nothing listens there); the requirement
    // strings alone resolve offline from the local wheels.
    let (out, json) = env.check(
        "hostile",
        "--extra-index-url http://127.0.0.1:9/simple\n-e ./nothing\ntensorflow==1.14.0\nnumpy>=1.14.5,<1.17\nh5py @ http://127.0.0.1:9/h5py-2.10.0-py3-none-any.whl\n",
        &[],
    );
    assert_ne!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(findings(&json, "DW106").is_empty(), "{json:#}");
    // A missing resolver: exit 2 with a message, no findings.
    let dir = env.root.join("missing");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("requirements.txt"), "tensorflow==1.14.0\n").unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_depwindow"))
        .current_dir(&dir)
        .env("PATH", dir.join("nothing-here"))
        .args(["check", "requirements.txt", "--resolve", "--resolver", "uv"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("cannot run `uv --version`"),
        "{}",
        stderr(&out)
    );
    // An unreachable index: exit 2, never a resolution failure.
    let out = Command::new(env!("CARGO_BIN_EXE_depwindow"))
        .current_dir(&dir)
        .env("PATH", format!("{}", env.uv.display()))
        .env("XDG_CACHE_HOME", env.root.join("cache"))
        .env("UV_HTTP_RETRIES", "0")
        .args(["check", "requirements.txt", "--resolve", "--python", "3.7"])
        .args(["--index-url", "http://127.0.0.1:9/simple"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(stderr(&out).contains("uv failed"), "{}", stderr(&out));
}

fn run_in(dir: &Path, program: &Path, args: &[&str], path: &str) -> Output {
    Command::new(program)
        .current_dir(dir)
        .env("PATH", path)
        .args(args)
        .output()
        .unwrap()
}

/// A file written by `uv pip compile`: the finding names its source and the re-compile
/// command, `--fix` edits the `.in` (never the generated file), the generated file then
/// says "fixed in the source; re-compile to apply", and the re-compile passes.
#[test]
fn generated_file_is_fixed_in_its_source() {
    let Some(env) = setup("generated") else {
        return;
    };
    let dir = env.root.join("generated");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(
        dir.join("requirements.in"),
        "tensorflow==1.14.0\nnumpy>=1.14.5\nh5py<3\nwrapt<1.15\n",
    )
    .unwrap();
    let path = format!(
        "{}:{}",
        env.uv.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let uv = env.uv.join("uv");
    let wheels = env.root.join("wheels");
    let wheels = wheels.to_str().unwrap();
    let compile = |extra: &[&str]| {
        let mut args = vec![
            "pip",
            "compile",
            "requirements.in",
            "-o",
            "requirements.txt",
        ];
        args.extend(extra);
        args.extend([
            "--find-links",
            wheels,
            "--no-index",
            "--python-version",
            "3.7",
            "-q",
        ]);
        let out = run_in(&dir, &uv, &args, &path);
        assert!(out.status.success(), "{}", stderr(&out));
    };
    compile(&[]);
    let generated = std::fs::read(dir.join("requirements.txt")).unwrap();
    assert!(String::from_utf8_lossy(&generated).contains("autogenerated by uv"));
    let bin = Path::new(env!("CARGO_BIN_EXE_depwindow"));
    let json_of =
        |out: &Output| -> serde_json::Value { serde_json::from_slice(&out.stdout).unwrap() };
    let check = |args: &[&str]| {
        let mut all = vec!["check", "--python", "3.7"];
        all.extend(args);
        run_in(&dir, bin, &all, &path)
    };
    let out = check(&["requirements.txt", "--format", "json"]);
    let json = json_of(&out);
    let numpy = findings(&json, "DW101")
        .into_iter()
        .find(|d| d["package"] == "numpy" && d["path"] == "requirements.txt")
        .cloned()
        .expect("the pin's finding");
    let help = numpy["help"].as_str().unwrap();
    assert!(
        help.contains(
            "generated by uv pip compile from `requirements.in` for Python 3.7: the fix belongs on its line 2"
        ),
        "{help}"
    );
    assert!(
        help.contains("re-compile: `uv pip compile requirements.in -o requirements.txt"),
        "{help}"
    );
    // --fix: the source changes, the generated file does not.
    let out = check(&[".", "--fix"]);
    assert!(
        stderr(&out)
            .contains("fixed in the source; re-compile to apply: uv pip compile requirements.in"),
        "{}",
        stderr(&out)
    );
    assert_eq!(
        std::fs::read(dir.join("requirements.txt")).unwrap(),
        generated
    );
    let source = std::fs::read_to_string(dir.join("requirements.in")).unwrap();
    assert!(source.contains("numpy>=1.14.5,<1.17\n"), "{source}");
    let out = check(&["requirements.txt", "--format", "json"]);
    let json = json_of(&out);
    let numpy = findings(&json, "DW101")
        .into_iter()
        .find(|d| d["package"] == "numpy")
        .cloned()
        .expect("still pinned until re-compiled");
    assert!(
        numpy["help"]
            .as_str()
            .unwrap()
            .starts_with("fixed in the source (`requirements.in`); re-compile to apply"),
        "{numpy:#}"
    );
    // The re-compile (the header's command; uv does not print --find-links in it).
    compile(&[]);
    let out = check(&["."]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
}

/// A generated file whose source is not there: said, and the generated file's own fix stays.
#[test]
fn generated_file_without_its_source() {
    let dir = std::env::temp_dir().join(format!(
        "depwindow-generated-missing-{}",
        std::process::id()
    ));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(
        dir.join("requirements.txt"),
        "#\n# This file is autogenerated by pip-compile with Python 3.7\n# by the following command:\n#\n#    pip-compile --output-file=requirements.txt gone.in\n#\nnumpy==1.21.6\n    # via -r gone.in\ntensorflow==1.14.0\n    # via -r gone.in\n",
    )
    .unwrap();
    let out = run_in(
        &dir,
        Path::new(env!("CARGO_BIN_EXE_depwindow")),
        &[
            "check",
            "requirements.txt",
            "--python",
            "3.7",
            "--format",
            "json",
        ],
        &std::env::var("PATH").unwrap_or_default(),
    );
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let numpy = findings(&json, "DW101")
        .into_iter()
        .find(|d| d["package"] == "numpy")
        .cloned()
        .unwrap();
    let help = numpy["help"].as_str().unwrap();
    assert!(
        help.contains("generated by pip-compile from `gone.in` for Python 3.7, which is missing"),
        "{help}"
    );
    assert!(
        help.contains("re-compile: `pip-compile --output-file=requirements.txt gone.in`"),
        "{help}"
    );
    assert!(!numpy["fix"].is_null(), "{numpy:#}");
}

/// Answers are cached: with the index gone, the same run still answers from the cache;
/// `--refresh` asks the resolver again, which now cannot reach its index: exit 2.
#[test]
fn cached_answers_and_refresh() {
    let Some(env) = setup("cache") else { return };
    let text = "tensorflow==1.14.0\nnumpy>=1.14.5,<1.17\nh5py<3\nwrapt<1.15\ndwleak\n";
    let (out, json) = env.check("cache", text, &[]);
    assert_eq!(findings(&json, "DW106").len(), 1, "{}", stderr(&out));
    let cached = std::fs::read_dir(env.root.join("cache/depwindow/resolve"))
        .unwrap()
        .count();
    assert!(cached >= 1);
    std::fs::rename(env.root.join("wheels"), env.root.join("wheels-gone")).unwrap();
    let (out, json) = env.check("cache", text, &[]);
    assert_eq!(findings(&json, "DW106").len(), 1, "{}", stderr(&out));
    let (out, _) = env.check("cache", text, &["--refresh"]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(stderr(&out).contains("uv failed"), "{}", stderr(&out));
}

/// The header's constraints file takes a package the source does not declare.
#[test]
fn generated_file_fix_goes_to_the_header_constraints_file() {
    let dir = std::env::temp_dir().join(format!(
        "depwindow-generated-constraints-{}",
        std::process::id()
    ));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("requirements.in"), "tensorflow==1.14.0\n").unwrap();
    std::fs::write(dir.join("constraints.txt"), "protobuf<4\n").unwrap();
    std::fs::write(
        dir.join("requirements.txt"),
        "#\n# This file is autogenerated by pip-compile with Python 3.7\n# by the following command:\n#\n#    pip-compile -c constraints.txt requirements.in\n#\nnumpy==1.21.6\n    # via tensorflow\ntensorflow==1.14.0\n    # via -r requirements.in\n",
    )
    .unwrap();
    let bin = Path::new(env!("CARGO_BIN_EXE_depwindow"));
    let path = std::env::var("PATH").unwrap_or_default();
    let out = run_in(
        &dir,
        bin,
        &[
            "check",
            "requirements.txt",
            "--python",
            "3.7",
            "--format",
            "json",
        ],
        &path,
    );
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let numpy = findings(&json, "DW101")
        .into_iter()
        .find(|d| d["package"] == "numpy")
        .cloned()
        .unwrap();
    let help = numpy["help"].as_str().unwrap();
    assert!(
        help.contains("which does not declare `numpy`: add `numpy>=1.14.5,<1.17` to `constraints.txt`; then re-compile: `pip-compile -c constraints.txt requirements.in`"),
        "{help}"
    );
    let out = run_in(
        &dir,
        bin,
        &["check", "requirements.txt", "--python", "3.7", "--diff"],
        &path,
    );
    let diff = String::from_utf8_lossy(&out.stdout);
    assert!(
        diff.contains("+++ b/constraints.txt") && diff.contains("+numpy>=1.14.5,<1.17"),
        "{diff}"
    );
    assert!(!diff.contains("b/requirements.txt"), "{diff}");
}
