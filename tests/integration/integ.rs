//! Where users run it: configuration (discovery, precedence, every misuse with its
//! `file:line:col`), inline suppressions, `depwindow rule`, `--statistics`, standard input,
//! `--include-dependents`. Every test runs the real binary in a scratch directory under the
//! system temp dir (not under the repository, whose own configuration must not apply).

use std::path::Path;
use std::process::Command;

use crate::common::{Out, Scratch};

use serde_json::Value;

fn run_in(dir: &Path, args: &[&str], env: &[(&str, &str)], stdin: Option<&str>) -> Out {
    crate::common::run_in(dir, args, env, stdin.map(str::as_bytes))
}

fn run(dir: &Path, args: &[&str]) -> Out {
    run_in(dir, args, &[], None)
}

fn json(dir: &Path, args: &[&str]) -> (Value, i32) {
    let mut a = vec!["check", "--format", "json"];
    a.extend_from_slice(args);
    let o = run(dir, &a);
    assert!(o.code != 2, "error: {}", o.stderr);
    (serde_json::from_str(&o.stdout).expect(&o.stdout), o.code)
}

/// `(path, code, line)` of every listed diagnostic.
fn found(v: &Value) -> Vec<(String, String, u64)> {
    v["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| {
            (
                d["path"].as_str().unwrap().to_owned(),
                d["code"].as_str().unwrap().to_owned(),
                d["start"]["line"].as_u64().unwrap(),
            )
        })
        .collect()
}

/// The first finding whose `field` is `value`.
fn finding<'v>(v: &'v Value, field: &str, value: &str) -> Option<&'v Value> {
    v["diagnostics"]
        .as_array()?
        .iter()
        .find(|d| d[field] == value)
}

fn codes(v: &Value) -> Vec<String> {
    found(v).into_iter().map(|(_, c, _)| c).collect()
}

/// TensorFlow 1.14.0's other windows satisfied (so only NumPy matters in the tests).
const TAIL: &str = "protobuf>=3.6.1,<3.20\ngast==0.2.2\nh5py<3.0\n";
const FLAGGED: &str =
    "tensorflow==1.14.0\nnumpy>=1.14.5\nprotobuf>=3.6.1,<3.20\ngast==0.2.2\nh5py<3.0\n";
const CLEAN: &str =
    "tensorflow==1.14.0\nnumpy>=1.14.5,<1.17\nprotobuf>=3.6.1,<3.20\ngast==0.2.2\nh5py<3.0\n";

// ---------------------------------------------------------------- configuration

#[test]
fn nearest_configuration_wins_per_file() {
    let s = Scratch::new("nearest");
    s.write(
        "pyproject.toml",
        "[tool.depwindow]\nignore = [\"outside-window\"]\n",
    )
    .write("requirements.txt", FLAGGED)
    .write("sub/depwindow.toml", "select = [\"DW101\"]\n")
    .write("sub/requirements.txt", FLAGGED)
    // A pyproject.toml without [tool.depwindow] does not count: `other/` uses the root's.
    .write(
        "other/pyproject.toml",
        "[project]\nname = \"x\"\nversion = \"1\"\n",
    )
    .write("other/requirements.txt", FLAGGED);
    let (v, code) = json(s.path(), &["."]);
    let f = found(&v);
    assert!(
        f.contains(&("sub/requirements.txt".into(), "DW101".into(), 2)),
        "{f:?}"
    );
    assert!(
        !f.iter()
            .any(|(p, c, _)| p == "requirements.txt" && c == "DW101"),
        "{f:?}"
    );
    assert!(
        !f.iter()
            .any(|(p, c, _)| p == "other/requirements.txt" && c == "DW101"),
        "{f:?}"
    );
    // `sub` selects only DW101.
    assert!(f
        .iter()
        .filter(|(p, _, _)| p.starts_with("sub/"))
        .all(|(_, c, _)| c == "DW101"));
    assert_eq!(code, 1);

    // --config applies one file everywhere; --isolated ignores every file.
    let (v, _) = json(s.path(), &["--config", "sub/depwindow.toml", "."]);
    let f = found(&v);
    assert!(
        f.contains(&("requirements.txt".into(), "DW101".into(), 2)),
        "{f:?}"
    );
    assert!(f.iter().all(|(_, c, _)| c == "DW101"), "{f:?}");
    let (v, _) = json(s.path(), &["--isolated", "."]);
    let f = found(&v);
    for p in [
        "requirements.txt",
        "sub/requirements.txt",
        "other/requirements.txt",
    ] {
        assert!(f.contains(&(p.into(), "DW101".into(), 2)), "{p}: {f:?}");
    }
}

#[test]
fn depwindow_toml_wins_over_pyproject_in_the_same_directory() {
    let s = Scratch::new("same-dir");
    s.write("pyproject.toml", "[tool.depwindow]\nignore = [\"DW101\"]\n")
        .write("depwindow.toml", "ignore = [\"DW102\"]\n")
        .write("requirements.txt", FLAGGED);
    let o = run(s.path(), &["show-settings", "requirements.txt"]);
    assert_eq!(o.code, 0, "{}", o.stderr);
    assert!(
        o.stdout.starts_with("# configuration: depwindow.toml\n"),
        "{}",
        o.stdout
    );
    assert!(o.stdout.contains("ignore = [\"DW102\"]\n"), "{}", o.stdout);
}

#[test]
fn output_format_precedence_cli_env_config_default() {
    let s = Scratch::new("precedence");
    s.write("requirements.txt", FLAGGED);
    let o = run(s.path(), &["check"]);
    assert!(
        o.stdout.contains("Found "),
        "default is human: {}",
        o.stdout
    );
    s.write("depwindow.toml", "output-format = \"concise\"\n");
    let o = run(s.path(), &["check"]);
    assert!(
        o.stdout.starts_with("requirements.txt:2:6: error:"),
        "config: {}",
        o.stdout
    );
    let o = run_in(
        s.path(),
        &["check"],
        &[("DEPWINDOW_OUTPUT_FORMAT", "json-lines")],
        None,
    );
    let first: Value = serde_json::from_str(o.stdout.lines().next().unwrap()).unwrap();
    assert_eq!(first["code"], "DW101", "env beats config");
    let o = run_in(
        s.path(),
        &["check", "--output-format", "json"],
        &[("DEPWINDOW_OUTPUT_FORMAT", "json-lines")],
        None,
    );
    let v: Value = serde_json::from_str(&o.stdout).expect("flag beats env");
    assert_eq!(v["summary"]["errors"], 1);
}

#[test]
fn json_is_compact_unless_pretty_by_flag_or_configuration() {
    let s = Scratch::new("pretty");
    s.write("requirements.txt", FLAGGED);
    let lines = |args: &[&str]| {
        let o = run(s.path(), args);
        let _: Value = serde_json::from_str(&o.stdout).expect(&o.stdout);
        o.stdout.lines().count()
    };
    assert_eq!(
        lines(&["check", "--format", "json"]),
        1,
        "compact by default"
    );
    assert!(lines(&["check", "--format", "json", "--pretty"]) > 1);
    s.write("depwindow.toml", "pretty = true\n");
    assert!(lines(&["check", "--format", "json"]) > 1, "pretty = true");
    let o = run(s.path(), &["show-settings", "requirements.txt"]);
    assert!(o.stdout.contains("\npretty = true\n"), "{}", o.stdout);
    s.write("depwindow.toml", "pretty = false\n");
    assert_eq!(lines(&["check", "--format", "json"]), 1);
    assert!(
        lines(&["check", "--format", "json", "--pretty"]) > 1,
        "the flag wins"
    );
}

#[test]
fn severity_overrides_rewrite_severity_and_exit_code() {
    let s = Scratch::new("severity");
    s.write(
        "depwindow.toml",
        "severity = { outside-window = \"warning\", \"tensorflow-1.14/protobuf\" = \"error\" }\n",
    )
    .write("requirements.txt", FLAGGED);
    let (v, code) = json(s.path(), &[]);
    let d = &v["diagnostics"][0];
    assert_eq!(d["code"], "DW101");
    assert_eq!(d["severity"], "warning");
    assert_eq!(code, 0, "only warnings left");
    // The rule id is more specific than the check name.
    s.write(
        "requirements.txt",
        "tensorflow==1.14.0\nnumpy>=1.14.5,<1.17\nprotobuf>=3.6.1\ngast==0.2.2\nh5py<3.0\n",
    );
    let (v, code) = json(s.path(), &[]);
    assert_eq!(v["diagnostics"][0]["rule"], "tensorflow-1.14/protobuf");
    assert_eq!(v["diagnostics"][0]["severity"], "error");
    assert_eq!(code, 1);
}

#[test]
fn selection_flags_override_configuration() {
    let s = Scratch::new("select");
    s.write("depwindow.toml", "select = [\"DW102\"]\n").write(
        "requirements.txt",
        "tensorflow==1.14.0\nnumpy>=1.14.5\nprotobuf>=3.6.1\ngast==0.2.2\nh5py<3.0\n",
    );
    let (v, code) = json(s.path(), &[]);
    assert!(codes(&v).is_empty(), "{:?}", codes(&v));
    assert_eq!(code, 0);
    let (v, _) = json(s.path(), &["--extend-select", "outside-window"]);
    assert_eq!(codes(&v), ["DW101", "DW101"]);
    let (v, _) = json(
        s.path(),
        &[
            "--select",
            "DW101,DW102",
            "--ignore",
            "tensorflow-1.14/numpy",
        ],
    );
    let rules: Vec<&str> = v["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["rule"].as_str().unwrap())
        .collect();
    assert_eq!(rules, ["tensorflow-1.14/protobuf"]);
    let o = run(s.path(), &["check", "--ignore", "DW999"]);
    assert_eq!(o.code, 2);
    assert!(
        o.stderr.contains("--ignore: unknown check or rule `DW999`"),
        "{}",
        o.stderr
    );
}

#[test]
fn exclude_globs_skip_walked_files_and_explicit_ones_with_force_exclude() {
    let s = Scratch::new("exclude");
    s.write(
        "depwindow.toml",
        "extend-exclude = [\"legacy\", \"*-old.txt\"]\n",
    )
    .write("legacy/requirements.txt", FLAGGED)
    .write("requirements-old.txt", FLAGGED)
    .write("requirements.txt", CLEAN);
    let (v, code) = json(s.path(), &["."]);
    assert!(codes(&v).is_empty(), "{:?}", found(&v));
    assert_eq!(v["summary"]["files"], 1);
    assert_eq!(code, 0);
    let (v, _) = json(s.path(), &["legacy/requirements.txt"]);
    assert_eq!(codes(&v), ["DW101"], "explicit files are checked");
    let (v, _) = json(s.path(), &["--force-exclude", "legacy/requirements.txt"]);
    assert!(codes(&v).is_empty());
}

#[test]
fn pythons_and_constraints_from_configuration() {
    let s = Scratch::new("pythons");
    s.write("depwindow.toml", "pythons = [\"3.6\"]\n")
        .write("requirements.txt", FLAGGED);
    let (v, _) = json(s.path(), &[]);
    let d = &v["diagnostics"][0];
    assert_eq!(d["pythons"], serde_json::json!(["3.6"]));
    let picks: Vec<&str> = d["pip_would_pick"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["python"].as_str().unwrap())
        .collect();
    assert_eq!(picks, ["3.6", "3.6", "3.6"]);
    // Configured operating systems narrow where it holds.
    s.write(
        "depwindow.toml",
        "pythons = [\"3.6\"]\nplatforms = [\"darwin\", \"win32\"]\n",
    );
    let (v, _) = json(s.path(), &[]);
    let d = &v["diagnostics"][0];
    assert_eq!(d["platforms"], serde_json::json!(["darwin", "win32"]));
    assert_eq!(
        d["environments"],
        serde_json::json!([
            {"python": "3.6", "platform": "darwin"},
            {"python": "3.6", "platform": "win32"}
        ])
    );
    // `--platform` replaces it (a list or repeated).
    let (v, _) = json(s.path(), &["--platform", "linux"]);
    assert_eq!(
        v["diagnostics"][0]["platforms"],
        serde_json::json!(["linux"])
    );
    s.write("depwindow.toml", "pythons = [\"3.6\"]\n");
    // `--python` replaces the configured list.
    let (v, _) = json(s.path(), &["--python", "3.7"]);
    assert_eq!(v["diagnostics"][0]["pythons"], serde_json::json!(["3.7"]));

    s.write("depwindow.toml", "constraints = [\"ci/constraints.txt\"]\n")
        .write("ci/constraints.txt", "numpy<1.17\n");
    let (v, code) = json(s.path(), &["requirements.txt"]);
    assert!(codes(&v).is_empty(), "{:?}", found(&v));
    assert_eq!(code, 0);
}

/// pip reads a constraints file's options with the install's finder, so a `--pre` there
/// admits pre-releases for every requirement, as one in the requirements file does
/// (recorded with pip 26.3: `-c` of a file holding only `--pre` picks protobuf 7.37.0rc1
/// over 7.36.2).
#[test]
fn pre_in_a_global_constraints_file_admits_prereleases() {
    let s = Scratch::new("constraint-pre");
    s.write("requirements.txt", "tensorflow==1.14.0\nprotobuf\n")
        .write(
            "inline/requirements.txt",
            "--pre\ntensorflow==1.14.0\nprotobuf\n",
        )
        .write("ci/constraints.txt", "--pre\n");
    let picks = |v: &serde_json::Value| -> Vec<String> {
        let d = finding(v, "package", "protobuf").expect("a protobuf finding");
        d["pip_would_pick"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| format!("{} {}", p["python"], p["version"]))
            .collect()
    };
    let (plain, _) = json(s.path(), &["requirements.txt"]);
    let (inline, _) = json(s.path(), &["inline/requirements.txt"]);
    let (constrained, _) = json(
        s.path(),
        &["--constraint", "ci/constraints.txt", "requirements.txt"],
    );
    assert!(
        picks(&inline).iter().any(|p| p.contains("rc")),
        "{:?}",
        picks(&inline)
    );
    assert_ne!(picks(&plain), picks(&inline));
    assert_eq!(picks(&constrained), picks(&inline));
    // Whichever constraints file comes first (pip reads them all before it resolves).
    s.write("ci/pins.txt", "protobuf>=3.6.1\n");
    let (first, _) = json(
        s.path(),
        &[
            "--constraint",
            "ci/constraints.txt",
            "--constraint",
            "ci/pins.txt",
            "requirements.txt",
        ],
    );
    let (last, _) = json(
        s.path(),
        &[
            "--constraint",
            "ci/pins.txt",
            "--constraint",
            "ci/constraints.txt",
            "requirements.txt",
        ],
    );
    assert_eq!(picks(&first), picks(&last));
    assert!(
        picks(&first).iter().any(|p| p.contains("rc")),
        "{:?}",
        picks(&first)
    );
    // Poetry never reads pip's constraint files or their options.
    s.write(
        "poetry/pyproject.toml",
        "[tool.poetry]\nname = \"x\"\nversion = \"0\"\n\n[tool.poetry.dependencies]\n\
         python = \">=3.6,<3.8\"\ntensorflow = \"1.14.0\"\nprotobuf = \"*\"\n",
    );
    let (poetry, _) = json(s.path(), &["poetry/pyproject.toml"]);
    let (poetry_pre, _) = json(
        s.path(),
        &[
            "--constraint",
            "ci/constraints.txt",
            "poetry/pyproject.toml",
        ],
    );
    assert!(!picks(&poetry).is_empty());
    assert_eq!(picks(&poetry_pre), picks(&poetry));
}

/// A `--require-hashes` in a global constraints file, or a `--hash` on one of its lines,
/// puts the whole install in pip's hash-checking mode, as in an included `-c` file: an added
/// line without hashes breaks it, so every fix is unsafe.
#[test]
fn hashes_in_a_global_constraints_file_make_fixes_unsafe() {
    let s = Scratch::new("constraint-hashes");
    s.write("requirements.txt", "tensorflow==1.14.0\nnumpy>=1.14.5\n")
        .write("rh.txt", "--require-hashes\n")
        .write(
            "hash.txt",
            "six==1.16.0 --hash=sha256:8abb2f1d86890a2dfb989f9a77cfcfd3e47c2a354b01111771326f8aa26e3254\n",
        )
        .write("plain.txt", "six==1.16.0\n");
    let applicability = |args: &[&str]| -> Vec<String> {
        let (v, _) = json(s.path(), args);
        v["diagnostics"]
            .as_array()
            .unwrap()
            .iter()
            .map(|d| {
                d["fix"]["applicability"]
                    .as_str()
                    .unwrap_or("none")
                    .to_owned()
            })
            .collect()
    };
    let plain = applicability(&["--constraint", "plain.txt", "requirements.txt"]);
    assert!(
        !plain.is_empty() && plain.iter().all(|a| a == "safe"),
        "{plain:?}"
    );
    for c in ["rh.txt", "hash.txt"] {
        let got = applicability(&["--constraint", c, "requirements.txt"]);
        assert_eq!(got.len(), plain.len(), "{c}");
        assert!(got.iter().all(|a| a == "unsafe"), "{c}: {got:?}");
    }
}

const EXTRA_RULE: &str = r#"schema = 1

[trigger]
distributions = ["tensorflow"]
version = "==1.14.0"
pythons = ["3.7"]

[[package]]
id = "team/scipy"
name = "scipy"
window = "<1.4"
absence = "ignore"
severity = "error"
summary = "SciPy newer than our tested 1.3"
explanation = "Our models were validated with SciPy 1.3."
sources = ["internal validation report"]
"#;

/// The rule ids of a JSON report's findings, in order (input problems have none).
fn rules_of(v: &serde_json::Value) -> Vec<&str> {
    v["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|d| d["rule"].as_str())
        .collect()
}

#[test]
fn extra_rules_load_relative_to_the_configuration_and_are_selectable() {
    let s = Scratch::new("extra-rules");
    s.write(
        "tools/depwindow.toml",
        "extra-rules = [\"rules/scipy.toml\"]\n",
    )
    .write("tools/rules/scipy.toml", EXTRA_RULE)
    .write(
        "tools/requirements.txt",
        "tensorflow==1.14.0\nnumpy>=1.14.5,<1.17\nscipy>=1.2\n",
    );
    let (v, _) = json(s.path(), &["tools"]);
    let rules = rules_of(&v);
    assert!(rules.contains(&"team/scipy"), "{rules:?}");
    let (v, _) = json(s.path(), &["--ignore", "team/scipy", "tools"]);
    assert!(!v["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .any(|d| d["rule"] == "team/scipy"));
    // `depwindow rule` documents it too.
    let o = run(&s.path().join("tools"), &["rule", "team/scipy"]);
    assert_eq!(o.code, 0, "{}", o.stderr);
    assert!(o.stdout.contains("- Tested window: `<1.4`"), "{}", o.stdout);
}

/// A user's rule file with a trigger of its own on a distribution the built-in rules also
/// trigger on (tensorflow 1.15.0 here, 1.14.0 there).
const OTHER_TRIGGER_RULE: &str = r#"schema = 1

[trigger]
title = "TensorFlow 1.15.0"
distributions = ["tensorflow"]
version = "==1.15.0"
pythons = ["3.6", "3.7"]
releases = "tensorflow-by-python"
sources = ["test"]

[[package]]
id = "team/numpy"
name = "numpy"
window = "<1.17"
absence = "finding"
severity = "error"
releases = "numpy"
summary = "NumPy newer than our tested 1.16"
explanation = "Validated with 1.16."
sources = ["internal"]
"#;

/// Each rule's trigger is judged by that trigger's own versions and wheels, also when the
/// evaluator shares what it found of a unit's trigger requirements between rules: a memo
/// keyed by the requirements alone gave the second rule the first rule's answer (the
/// built-in 1.14.0 rule's "not triggered" hid the 1.15.0 rule's finding on a 1.15.0 pin,
/// and its "triggered" made the 1.15.0 rule report on a 1.14.0 pin).
#[test]
fn a_users_trigger_on_a_builtin_triggers_distribution_is_judged_by_its_own_versions() {
    let s = Scratch::new("other-trigger");
    s.write("depwindow.toml", "extra-rules = [\"rules/team.toml\"]\n")
        .write("rules/team.toml", OTHER_TRIGGER_RULE)
        .write(
            "tf115/requirements.txt",
            "tensorflow==1.15.0\nnumpy>=1.18\n",
        )
        .write(
            "tf114/requirements.txt",
            "tensorflow==1.14.0\nnumpy>=1.18\n",
        );
    for (dir, team, builtin) in [("tf115", true, false), ("tf114", false, true)] {
        let (v, _) = json(s.path(), &[dir]);
        let rules = rules_of(&v);
        assert_eq!(rules.contains(&"team/numpy"), team, "{dir}: {rules:?}");
        assert_eq!(
            rules.contains(&"tensorflow-1.14/numpy"),
            builtin,
            "{dir}: {rules:?}"
        );
    }
}

/// Every misuse is an error at its position: exit 2, `file:line:col: message`.
#[test]
fn configuration_errors_point_at_file_line_col() {
    let cases: &[(&str, &str, &str)] = &[
        (
            "[tool.depwindow]\nselect = [\"DW101\"]\nselec = [\"DW101\"]\n",
            "pyproject.toml:3:1: unknown field `selec`",
            "unknown key",
        ),
        (
            "[tool.depwindow]\nignore = [\"DW101\", \"no-such-check\"]\n",
            "pyproject.toml:2:20: unknown check or rule `no-such-check`",
            "bad code",
        ),
        (
            "[tool.depwindow]\nextend-exclude = [\"ok\", \"a[b\"]\n",
            "pyproject.toml:2:25: invalid glob `a[b`",
            "bad glob",
        ),
        (
            "[tool.depwindow]\nseverity = { DW101 = \"fatal\" }\n",
            "pyproject.toml:2:22: unknown severity `fatal`",
            "bad severity",
        ),
        (
            "[tool.depwindow]\nseverity = { DW109 = \"error\" }\n",
            "pyproject.toml:2:14: unknown check or rule `DW109`",
            "bad severity key",
        ),
        (
            "[tool.depwindow]\npythons = [\"3\"]\n",
            "pyproject.toml:2:12: invalid Python `3`",
            "bad python",
        ),
        (
            "[tool.depwindow]\noutput-format = \"xml\"\n",
            "pyproject.toml:2:17: unknown output format `xml`",
            "bad format",
        ),
        (
            "[tool.depwindow]\nextra-rules = [\"missing.toml\"]\n",
            "pyproject.toml:2:16: cannot read rule file `missing.toml`",
            "missing rule file",
        ),
        (
            "[tool.depwindow]\nconstraints = [\"nope.txt\"]\n",
            "pyproject.toml:2:16: constraint file `nope.txt` not found",
            "missing constraints",
        ),
        (
            "[tool.depwindow]\nselect = \"DW101\"\n",
            "pyproject.toml:2:10: invalid type",
            "wrong type",
        ),
        ("[tool.depwindow\n", "pyproject.toml:1:", "invalid TOML"),
    ];
    for (text, expected, what) in cases {
        let s = Scratch::new("errors");
        s.write("pyproject.toml", text)
            .write("requirements.txt", CLEAN);
        let o = run(s.path(), &["check"]);
        assert_eq!(o.code, 2, "{what}: {}", o.stderr);
        assert!(
            o.stderr
                .starts_with(&format!("depwindow: error: {expected}")),
            "{what}: expected `{expected}`, got: {}",
            o.stderr
        );
    }
    // A rule file that does not validate: the error points into the rule file.
    let s = Scratch::new("bad-rule");
    s.write("depwindow.toml", "extra-rules = [\"r.toml\"]\n")
        .write(
            "r.toml",
            EXTRA_RULE.replace("window = \"<1.4\"", "window = \"<1.4,>=2\""),
        )
        .write("requirements.txt", CLEAN);
    let o = run(s.path(), &["check"]);
    assert_eq!(o.code, 2);
    assert!(
        o.stderr
            .starts_with("depwindow: error: r.toml:11:10: invalid rule file (listed in `extra-rules`): the window admits no version"),
        "{}",
        o.stderr
    );
    // Same for show-settings and for --config.
    let o = run(s.path(), &["show-settings", "."]);
    assert_eq!(o.code, 2);
    let o = run(s.path(), &["check", "--config", "nope.toml"]);
    assert_eq!(o.code, 2);
    assert!(o
        .stderr
        .contains("configuration file `nope.toml` not found"));
}

#[test]
fn show_settings_prints_every_setting_and_its_source() {
    let s = Scratch::new("show");
    s.write(
        "pyproject.toml",
        "[project]\nname = \"x\"\nversion = \"1\"\n\n[tool.depwindow]\nselect = [\"outside-window\"]\nextend-exclude = [\"vendor\"]\npythons = [\"3.6\", \"3.7\"]\nseverity = { DW101 = \"warning\" }\n",
    )
    .write("a/b/requirements.txt", FLAGGED);
    let o = run(s.path(), &["show-settings", "a/b/requirements.txt"]);
    assert_eq!(o.code, 0, "{}", o.stderr);
    for line in [
        "# configuration: pyproject.toml",
        "select = [\"DW101\"]",
        "ignore = []",
        "severity = { \"DW101\" = \"warning\" }",
        "extend-exclude = [\"vendor\"]",
        "pythons = [\"3.6\", \"3.7\"]",
        "output-format = \"human\"",
        "# checks enabled: DW101",
        "# rule tensorflow-1.14/numpy: DW101",
    ] {
        assert!(
            o.stdout.lines().any(|l| l == line),
            "missing `{line}` in:\n{}",
            o.stdout
        );
    }
    let o = run(s.path(), &["show-settings", "--isolated", "a"]);
    assert!(o.stdout.starts_with("# configuration: none (defaults)\n"));
}

// ---------------------------------------------------------------- suppressions

#[test]
fn suppressions_by_code_name_rule_id_and_bare() {
    for directive in [
        "ignore[DW101]",
        "ignore[outside-window]",
        "ignore[tensorflow-1.14/numpy]",
        "ignore",
        "ignore[DW102,DW101]",
    ] {
        let s = Scratch::new("sup");
        s.write(
            "requirements.txt",
            format!(
                "tensorflow==1.14.0\nnumpy>=1.14.5  # depwindow: {directive} pinned by CI\n{TAIL}"
            ),
        );
        let (v, code) = json(s.path(), &[]);
        let unused: Vec<_> = found(&v)
            .into_iter()
            .filter(|(_, c, _)| c == "DW201")
            .collect();
        assert_eq!(v["summary"]["suppressed"], 1, "{directive}");
        assert_eq!(v["summary"]["errors"], 0, "{directive}");
        if directive.contains("DW102") {
            // The DW102 code matched nothing: reported at its position.
            assert_eq!(unused, [("requirements.txt".into(), "DW201".into(), 2)]);
            let d = &v["diagnostics"][0];
            assert_eq!(d["start"]["column"], 36);
            assert_eq!(code, 0, "DW201 is a warning");
        } else {
            assert!(codes(&v).is_empty(), "{directive}: {:?}", found(&v));
            assert_eq!(code, 0);
        }
        // Listed (with the reason) only on request.
        let (v, _) = json(s.path(), &["--show-suppressed"]);
        let d = finding(&v, "code", "DW101").expect("listed");
        assert_eq!(d["suppressed"]["reason"], "pinned by CI", "{directive}");
    }
}

#[test]
fn suppression_for_another_check_does_not_silence() {
    let s = Scratch::new("sup-other");
    s.write(
        "requirements.txt",
        format!("tensorflow==1.14.0\nnumpy>=1.14.5  # depwindow: ignore[unconstrained]\n{TAIL}"),
    );
    let (v, code) = json(s.path(), &[]);
    assert_eq!(codes(&v), ["DW101", "DW201"]);
    assert_eq!(v["summary"]["suppressed"], 0);
    assert_eq!(code, 1);
}

#[test]
fn human_output_hides_suppressed_unless_asked() {
    let s = Scratch::new("sup-human");
    s.write(
        "requirements.txt",
        format!("tensorflow==1.14.0\nnumpy>=1.14.5  # depwindow: ignore[DW101]: reviewed\n{TAIL}"),
    );
    let o = run(s.path(), &["check"]);
    assert_eq!(o.code, 0);
    assert!(!o.stdout.contains("DW101"), "{}", o.stdout);
    assert!(
        o.stdout.contains("1 suppressed finding not shown"),
        "{}",
        o.stdout
    );
    let o = run(s.path(), &["check", "--show-suppressed"]);
    assert!(o.stdout.contains("[suppressed: reviewed]"), "{}", o.stdout);
    assert_eq!(o.code, 0);
}

#[test]
fn unused_and_malformed_suppressions_are_reported() {
    let s = Scratch::new("sup-unused");
    s.write(
        "requirements.txt",
        "tensorflow==1.14.0\nnumpy>=1.14.5,<1.17  # depwindow: ignore\nprotobuf>=3.6.1,<3.20  # depwindow: ignore[DW777]\ngast==0.2.2 # depwindow: ignore[DW101\nh5py<3.0\n",
    );
    let o = run(s.path(), &["check", "-q", "--format", "concise"]);
    assert_eq!(
        o.stdout,
        "requirements.txt:2:22: warning: unused suppression: no finding on this line [DW201]\n\
         requirements.txt:3:44: warning: unused suppression: `DW777` is not a known check code, check name or rule id [DW201]\n\
         requirements.txt:4:13: warning: malformed suppression: missing `]` [DW201]\n"
    );
    assert_eq!(o.code, 0);
    // DW201 itself can be deselected.
    let (v, _) = json(s.path(), &["--ignore", "DW201"]);
    assert!(codes(&v).is_empty());
}

#[test]
fn suppression_on_a_continuation_line_and_in_toml() {
    let s = Scratch::new("sup-cont");
    s.write(
        "requirements.txt",
        format!("tensorflow==1.14.0\nnumpy>=1.14.5 \\\n    ; python_version < \"3.8\"  # depwindow: ignore[DW101] bounded elsewhere\n{TAIL}"),
    );
    let (v, code) = json(s.path(), &[]);
    assert!(codes(&v).is_empty(), "{:?}", found(&v));
    assert_eq!(v["summary"]["suppressed"], 1);
    assert_eq!(code, 0);

    let s = Scratch::new("sup-toml");
    s.write(
        "pyproject.toml",
        "[project]\nname = \"x\"\nversion = \"1\"\ndependencies = [\n    \"tensorflow==1.14.0\",\n    \"numpy>=1.14.5\",  # depwindow: ignore[DW101] reviewed\n    \"protobuf>=3.6.1\",\n    \"gast==0.2.2\",\n    \"h5py<3.0\",\n]\n",
    );
    let (v, _) = json(s.path(), &[]);
    let f = found(&v);
    assert_eq!(f, [("pyproject.toml".into(), "DW101".into(), 7)], "{f:?}");
    assert_eq!(v["summary"]["suppressed"], 1);
}

#[test]
fn suppression_in_a_shared_include_counts_across_units() {
    // base.txt is read by two roots; only one of them makes the finding. The suppression
    // is used, so no DW201.
    let s = Scratch::new("sup-shared");
    s.write(
        "base.txt",
        "numpy>=1.14.5  # depwindow: ignore[DW101] old env\n",
    )
    .write(
        "requirements.txt",
        format!("-r base.txt\ntensorflow==1.14.0\n{TAIL}"),
    )
    .write("requirements-dev.txt", "-r base.txt\npytest\n");
    let (v, code) = json(s.path(), &["."]);
    assert!(codes(&v).is_empty(), "{:?}", found(&v));
    assert_eq!(v["summary"]["suppressed"], 1);
    assert_eq!(code, 0);
}

// ---------------------------------------------------------------- rule, statistics, stdin

#[test]
fn rule_subcommand_prints_check_and_rule_documentation() {
    let s = Scratch::new("rule");
    let by_code = run(s.path(), &["rule", "DW101"]);
    assert_eq!(by_code.code, 0);
    let by_name = run(s.path(), &["rule", "outside-window"]);
    assert_eq!(by_code.stdout, by_name.stdout);
    for part in [
        "# DW101 outside-window\n",
        "## What it does\n",
        "## Why it matters\n",
        "tensorflow/tensorflow#32553",
        "## Example\n",
        "## How to fix\n",
    ] {
        assert!(by_code.stdout.contains(part), "missing {part}");
    }
    let rule = run(s.path(), &["rule", "tensorflow-1.14/numpy"]);
    for part in [
        "# tensorflow-1.14/numpy\n",
        "- Tested window: `>=1.14.5,<1.17`",
        "- Declared by the trigger: `>=1.14.5,<2.0`",
        "- `>=1.24,<2.0`: `import tensorflow` fails",
        "## Install notes",
        "## Sources",
    ] {
        assert!(
            rule.stdout.contains(part),
            "missing {part}:\n{}",
            rule.stdout
        );
    }
    let all = run(s.path(), &["rule", "--all"]);
    for code in [
        "DW001", "DW002", "DW003", "DW101", "DW102", "DW103", "DW104", "DW105", "DW201",
    ] {
        assert!(
            all.stdout.contains(&format!("\n# {code} "))
                || all.stdout.starts_with(&format!("# {code} ")),
            "{code}"
        );
    }
    assert!(all.stdout.contains("# tensorflow-1.14/protobuf\n"));
    let o = run(s.path(), &["rule", "nope"]);
    assert_eq!(o.code, 2);
    assert!(o.stderr.contains("unknown check or rule `nope`"));
}

#[test]
fn statistics_count_findings_per_check() {
    let s = Scratch::new("stats");
    s.write(
        "requirements.txt",
        "tensorflow==1.14.0\nnumpy>=1.14.5\nprotobuf>=3.6.1\ngast # depwindow: ignore[DW105]\n",
    );
    let (v, code) = json(s.path(), &[]);
    let mut expected: std::collections::BTreeMap<String, usize> = Default::default();
    for c in codes(&v) {
        *expected.entry(c).or_default() += 1;
    }
    assert!(expected["DW101"] >= 2);
    let o = run(s.path(), &["check", "--statistics"]);
    assert_eq!(o.code, code, "same exit code as without --statistics");
    let mut got: std::collections::BTreeMap<String, usize> = Default::default();
    for line in o.stdout.lines() {
        let parts: Vec<&str> = line.split_whitespace().collect();
        assert_eq!(parts.len(), 3, "{line}");
        got.insert(parts[1].to_owned(), parts[0].parse().unwrap());
        let check = depwindow::diagnostic::Check::from_str_loose(parts[1]).unwrap();
        assert_eq!(parts[2], check.name());
    }
    assert_eq!(got, expected);
    // Most frequent first.
    assert!(o.stdout.lines().next().unwrap().contains("DW101"));
    let o = run(s.path(), &["check", "--statistics", "--format", "json"]);
    let v: Value = serde_json::from_str(&o.stdout).unwrap();
    assert_eq!(v[0]["code"], "DW101");
    assert_eq!(v[0]["count"], expected["DW101"]);
}

#[test]
fn standard_input_with_a_file_name() {
    let s = Scratch::new("stdin");
    let o = run_in(
        s.path(),
        &[
            "check",
            "--format",
            "concise",
            "--stdin-filename",
            "requirements.txt",
            "-",
        ],
        &[],
        Some(FLAGGED),
    );
    assert_eq!(o.code, 1, "{}", o.stderr);
    assert!(
        o.stdout.starts_with("requirements.txt:2:6: error:"),
        "{}",
        o.stdout
    );
    let o = run_in(s.path(), &["check", "-"], &[], Some(CLEAN));
    assert_eq!(o.code, 0, "{}", o.stdout);
    // The file name picks the format, and the configuration that applies to it.
    s.write("sub/depwindow.toml", "ignore = [\"DW101\"]\n");
    let toml = "[project]\nname = \"x\"\nversion = \"1\"\ndependencies = [\"tensorflow==1.14.0\", \"numpy>=1.14.5\", \"protobuf<3.20\", \"gast==0.2.2\", \"h5py<3.0\"]\n";
    let o = run_in(
        s.path(),
        &[
            "check",
            "--format",
            "concise",
            "--stdin-filename",
            "pyproject.toml",
            "-",
        ],
        &[],
        Some(toml),
    );
    assert!(o.stdout.starts_with("pyproject.toml:4:"), "{}", o.stdout);
    let o = run_in(
        s.path(),
        &[
            "check",
            "--format",
            "concise",
            "--stdin-filename",
            "sub/pyproject.toml",
            "-",
        ],
        &[],
        Some(toml),
    );
    assert_eq!(
        o.stdout, "All checks passed! (1 file checked)\n",
        "sub/depwindow.toml applies"
    );
    // Suppressions work on standard input too.
    let o = run_in(
        s.path(),
        &["check", "--format", "json", "-"],
        &[],
        Some(&format!(
            "tensorflow==1.14.0\nnumpy>=1.14.5 # depwindow: ignore[DW101]\n{TAIL}"
        )),
    );
    let v: Value = serde_json::from_str(&o.stdout).unwrap();
    assert_eq!(v["summary"]["suppressed"], 1);
}

// ---------------------------------------------------------------- include-dependents

#[test]
fn include_dependents_checks_the_files_that_include_a_changed_file() {
    let s = Scratch::new("dependents");
    std::fs::create_dir_all(s.path().join(".git")).unwrap();
    s.write("requirements/base.txt", "numpy>=1.14.5\n")
        .write(
            "requirements/prod.txt",
            format!("-r base.txt\ntensorflow==1.14.0\n{TAIL}"),
        )
        .write("requirements/dev.txt", "-r prod.txt\npytest\n")
        .write("requirements/other.txt", "pytest\n")
        .write("docs/requirements.txt", "sphinx\n");
    // Alone, base.txt has no TensorFlow: nothing to report.
    let (v, code) = json(s.path(), &["requirements/base.txt"]);
    assert!(codes(&v).is_empty());
    assert_eq!(code, 0);
    assert_eq!(v["summary"]["files"], 1);
    // With its dependents (prod directly, dev through prod), the finding in base.txt shows.
    let (v, code) = json(s.path(), &["--include-dependents", "requirements/base.txt"]);
    assert_eq!(
        found(&v),
        [("requirements/base.txt".into(), "DW101".into(), 1)]
    );
    assert_eq!(
        v["summary"]["files"], 3,
        "base, prod and dev; not other or docs"
    );
    assert_eq!(code, 1);
    // From a subdirectory of the repository too.
    let (v, _) = json(
        &s.path().join("docs"),
        &["--include-dependents", "../requirements/base.txt"],
    );
    assert_eq!(codes(&v), ["DW101"]);
}

#[test]
#[cfg(unix)]
fn exit_codes_mean_one_thing_each() {
    let s = Scratch::new("exit-codes");
    s.write(
        "clean/requirements.txt",
        "tensorflow==2.11.0\nnumpy>=1.24\n",
    );
    s.write(
        "flagged/requirements.txt",
        "tensorflow==1.14.0\nnumpy>=1.16\n",
    );
    // 0: nothing at or above error; 1: errors; --exit-zero forces 0.
    assert_eq!(run(s.path(), &["check", "clean"]).code, 0);
    assert_eq!(run(s.path(), &["check", "flagged"]).code, 1);
    assert_eq!(run(s.path(), &["check", "--exit-zero", "flagged"]).code, 0);
    // 2: usage errors and paths that cannot be read.
    let o = run(s.path(), &["check", "--format", "nope", "clean"]);
    assert_eq!(o.code, 2);
    assert!(
        o.stderr.contains("unknown output format `nope`"),
        "{}",
        o.stderr
    );
    let o = run(s.path(), &["check", "missing-requirements.txt"]);
    assert_eq!(o.code, 2);
    assert!(
        o.stderr.contains("missing-requirements.txt"),
        "{}",
        o.stderr
    );
    let fifo = s.path().join("fifo-requirements.txt");
    let made = match Command::new("mkfifo").arg(&fifo).status() {
        Ok(s) if s.success() => Ok(()),
        other => Err(format!("mkfifo: {other:?}")),
    };
    if crate::common::require("mkfifo", made).is_some() {
        // Reported with the file's name, the other files still checked, then exit 2.
        let o = run(
            s.path(),
            &[
                "check",
                "--format",
                "concise",
                "fifo-requirements.txt",
                "flagged",
            ],
        );
        assert_eq!(o.code, 2, "{} {}", o.stdout, o.stderr);
        assert!(
            o.stdout
                .contains("fifo-requirements.txt:1:1: error: cannot read"),
            "{}",
            o.stdout
        );
        assert!(
            o.stdout.contains("flagged/requirements.txt:2:6: error:"),
            "{}",
            o.stdout
        );
    }
}

#[test]
#[cfg(unix)]
fn links_to_files_are_checked_once_and_broken_links_reported() {
    let s = Scratch::new("links");
    s.write("requirements/prod.txt", "tensorflow==1.14.0\nnumpy>=1.16\n");
    s.write("elsewhere/pins.txt", "tensorflow==1.14.0\nnumpy==1.18.5\n");
    let link = |target: &str, name: &str| {
        std::os::unix::fs::symlink(target, s.path().join(name)).unwrap();
    };
    // A link to a file the walk finds anyway: checked once, as the file.
    link("requirements/prod.txt", "requirements.txt");
    // A link to a file under a name the walk would not read: checked under the link's name.
    link("elsewhere/pins.txt", "dev-requirements.txt");
    link("missing.txt", "test-requirements.txt");
    link("requirements", "looped-dir");
    let o = run(
        s.path(),
        &[
            "check", "-q", "--format", "concise", "--select", "DW101", ".",
        ],
    );
    assert_eq!(o.code, 1, "{}\n{}", o.stdout, o.stderr);
    let lines: Vec<&str> = o.stdout.lines().collect();
    assert_eq!(lines.len(), 2, "{}", o.stdout);
    assert!(
        lines[0].starts_with("dev-requirements.txt:2:6: error:"),
        "{}",
        o.stdout
    );
    assert!(
        lines[1].starts_with("requirements/prod.txt:2:6: error:"),
        "{}",
        o.stdout
    );
    assert!(
        o.stderr.contains("test-requirements.txt") && o.stderr.contains("broken symbolic link"),
        "{}",
        o.stderr
    );
}

/// issue 11 §5: a chosen Python that no selected rule's trigger supports is said once; when
/// none of the chosen Pythons is one, nothing would be checked: exit 2.
#[test]
fn a_python_no_trigger_supports_is_said_once() {
    let s = Scratch::new("py38");
    s.write("requirements.txt", FLAGGED);
    let o = run(s.path(), &["check", "--python", "3.8"]);
    assert_eq!(o.code, 2, "{}", o.stderr);
    assert!(o.stderr.contains("no chosen Python (3.8)"), "{}", o.stderr);
    let o = run(s.path(), &["check", "--python", "3.8", "--python", "3.7"]);
    assert_eq!(o.code, 1, "{}", o.stderr);
    assert_eq!(
        o.stderr.matches("Python 3.8 is not a Python").count(),
        1,
        "{}",
        o.stderr
    );
    s.write("depwindow.toml", "pythons = [\"3.8\"]\n");
    let o = run(s.path(), &["check"]);
    assert_eq!(o.code, 2, "{}", o.stderr);
}

/// A root spelt through a link and `..` is configured as before the walk listed
/// directories: the lookup climbs the path as written with `..` dropped lexically, and
/// probes each directory through the kernel. `x/../x`, with `x` a link to
/// `../elsewhere/real`, probes `x/depwindow.toml`: `elsewhere/real`'s; `link/..` probes the
/// working directory's. The walk's listing of such a root is another directory (where the
/// kernel's `..` went) and must not stand in for the probes: it did, and both runs found
/// four DW102 findings that the configuration ignores.
#[test]
#[cfg(unix)]
fn a_root_spelt_through_a_link_and_dot_dot_keeps_its_configuration() {
    let s = Scratch::new("root-link-dotdot");
    let tf = "tensorflow==1.14.0\nnumpy\n";
    let ignore = "ignore = [\"unconstrained\"]\n";
    s.write("a/cwd/.keep", "")
        .write("a/elsewhere/x/requirements.txt", tf)
        .write("a/elsewhere/real/depwindow.toml", ignore);
    std::os::unix::fs::symlink("../elsewhere/real", s.path().join("a/cwd/x")).unwrap();
    s.write("b/cwd/depwindow.toml", ignore)
        .write("b/other/requirements.txt", tf)
        .write("b/other/target/.keep", "");
    std::os::unix::fs::symlink("../other/target", s.path().join("b/cwd/link")).unwrap();
    for jobs in ["1", "2"] {
        for (cwd, root) in [("a/cwd", "x/../x"), ("b/cwd", "link/..")] {
            let (v, code) = json(&s.path().join(cwd), &["--jobs", jobs, root]);
            assert_eq!(v["summary"]["files"], 1, "{root}: {v}");
            assert_eq!((found(&v), code), (vec![], 0), "{root}, --jobs {jobs}");
        }
    }
}

/// The walk looks up the configuration of every directory holding a file, whatever the
/// file's name: a broken `depwindow.toml` above only Python files, or above a conda
/// environment its `exclude` would skip, still ends the run with its error. The walk asks
/// a file whose name makes it no dependency file only when it is its directory's first;
/// with none asked, these runs passed.
#[test]
fn a_broken_configuration_over_other_files_still_ends_the_run() {
    for (config, files) in [
        ("a/depwindow.toml", &["a/b/m.py", "a/b/n.py"][..]),
        ("a/depwindow.toml", &["a/README.md"][..]),
        ("a/b/depwindow.toml", &["a/b/c/z.cfg", "a/b/c/y.txt"][..]),
    ] {
        let s = Scratch::new("broken-config-other-files");
        s.write("e/requirements.txt", "tensorflow==1.14.0\nnumpy>=1.14.5,<1.17\nprotobuf>=3.6.1,<4\ngast>=0.2.0,<0.3\nh5py<3.0\n");
        s.write(config, "select = [\n");
        for f in files {
            s.write(f, "x = 1\n");
        }
        let out = run(s.path(), &["check", "--output-format", "concise", "."]);
        assert_eq!(out.code, 2, "{config} {files:?}: {}", out.stderr);
        assert!(
            out.stderr
                .contains(&format!("{config}:1:11: unclosed array")),
            "{config} {files:?}: {}",
            out.stderr
        );
    }
}
