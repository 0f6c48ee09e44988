//! Issue 12, "Outputs" and "Habits users bring from ruff and pip-audit": every severity
//! listed and counted, a clean run that says so, minimal diffs, `--fix` notes at the
//! finding's line, standard input as `-`, content detection for unrecognised names,
//! command-line errors together, `--quiet` / `-qq` / `--output-file` / `--color`,
//! `--output-format`, `--fail-on`.

use std::path::Path;

use crate::common::{self, Out, Scratch};

fn run_with(dir: &Path, args: &[&str], stdin: Option<&[u8]>) -> Out {
    common::run_in(dir, args, &[], stdin)
}

fn run(dir: &Path, args: &[&str]) -> Out {
    run_with(dir, args, None)
}

fn snapshot(name: &str, actual: &str) {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/snapshots");
    common::snapshot(&dir, name, actual);
}

/// TensorFlow 1.14 with protobuf, gast and h5py in their windows: only numpy can be flagged.
const TF: &str = "tensorflow==1.14.0\nprotobuf>=3.6.1,<4\ngast>=0.2.0,<0.3\nh5py<3.0\n";

#[test]
fn info_findings_are_listed_and_counted_in_every_format() {
    let s = Scratch::new("info");
    s.write(
        "depwindow.toml",
        "severity = { outside-window = \"info\" }\n",
    );
    s.write("requirements.txt", format!("{TF}numpy>=1.16\n"));
    let human = run(s.path(), &["check", "requirements.txt"]);
    assert_eq!(human.code, 0, "{}", human.stderr);
    snapshot("outputs.info.human.txt", &human.stdout);
    let concise = run(
        s.path(),
        &["check", "--format", "concise", "requirements.txt"],
    );
    snapshot("outputs.info.concise.txt", &concise.stdout);
    assert!(concise.stdout.contains(": info: "), "{}", concise.stdout);
    assert!(concise
        .stdout
        .ends_with("Found 0 errors, 0 warnings and 1 info in 1 file checked.\n"));
    for (format, marker) in [
        ("github", "::notice "),
        ("gitlab", "\"severity\": \"info\""),
        ("sarif", "\"level\": \"note\""),
        ("json", "\"severity\":\"info\""),
        ("junit", "<system-out>requirements.txt:5:6: info: "),
    ] {
        let o = run(s.path(), &["check", "--format", format, "requirements.txt"]);
        assert!(o.stdout.contains(marker), "{format}: {}", o.stdout);
    }
}

#[test]
fn a_clean_run_says_all_checks_passed_in_every_human_mode() {
    let s = Scratch::new("clean");
    s.write("requirements.txt", format!("{TF}numpy>=1.16,<1.17\n"));
    for args in [
        &["check"][..],
        &["check", "--format", "concise"],
        &["check", "--output-format", "gcc"],
    ] {
        let o = run(s.path(), args);
        assert_eq!(o.code, 0, "{}", o.stderr);
        assert_eq!(
            o.stdout, "All checks passed! (1 file checked)\n",
            "{args:?}"
        );
    }
    snapshot("outputs.clean.human.txt", &run(s.path(), &["check"]).stdout);
}

#[test]
fn diff_keeps_unchanged_lines_as_context() {
    let s = Scratch::new("diff");
    s.write(
        "requirements.txt",
        "tensorflow==1.14.0\nmatplotlib>=3.0\nnumpy>=1.16\n",
    );
    let o = run(s.path(), &["check", "--diff", "requirements.txt"]);
    assert_eq!(o.code, 1, "{}", o.stderr);
    assert!(o.stdout.contains("\n matplotlib>=3.0\n"), "{}", o.stdout);
    assert!(!o.stdout.contains("-matplotlib"), "{}", o.stdout);
    snapshot("outputs.diff.txt", &o.stdout);
}

#[test]
fn fix_notes_are_said_once_at_the_findings_line() {
    let s = Scratch::new("fixnotes");
    // UTF-16: no fix is written (protobuf, gast and h5py insertions, the numpy bound); the note names the findings' lines (1 and 3), not the
    // line the inserted requirements would go to.
    let text = "tensorflow==1.14.0\nmatplotlib>=3.0\nnumpy>=1.16\n";
    let mut bytes = vec![0xff, 0xfe];
    for u in text.encode_utf16() {
        bytes.extend_from_slice(&u.to_le_bytes());
    }
    s.write("requirements.txt", bytes);
    let o = run(
        s.path(),
        &["check", "--fix", "--format", "concise", "requirements.txt"],
    );
    let notes: Vec<&str> = o
        .stderr
        .lines()
        .filter(|l| l.starts_with("depwindow: note:"))
        .collect();
    assert_eq!(
        notes,
        [
            "depwindow: note: requirements.txt:1: 4 fixes not applied (lines 1, 3): the file is \
             UTF-16; fixes are only written to UTF-8 and Latin-1 files"
        ],
        "{}",
        o.stderr
    );
}

#[test]
fn standard_input_without_a_name_is_reported_as_dash() {
    let s = Scratch::new("stdin");
    s.write("requirements.txt", "unrelated\n");
    let o = run_with(
        s.path(),
        &["check", "-q", "--format", "concise", "-"],
        Some(format!("{TF}numpy>=1.16\n").as_bytes()),
    );
    assert_eq!(o.code, 1, "{}", o.stderr);
    assert!(o.stdout.starts_with("-:5:6: error: "), "{}", o.stdout);
    // Its format comes from its content: a Pipfile on standard input.
    let o = run_with(
        s.path(),
        &["check", "-q", "--format", "concise", "-"],
        Some(b"[packages]\ntensorflow = \"==1.14.0\"\nnumpy = \">=1.16\"\n"),
    );
    assert!(o.stdout.contains("-:3:10: error: "), "{}", o.stdout);
}

/// The same findings, whatever the file is called, once the content says what it is.
#[test]
fn unrecognised_names_are_detected_by_content() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures");
    let cases = [
        ("pipfile/markers/Pipfile", "tf-Pipfile"),
        ("poetry-lock/v1-tf114/poetry.lock", "old-poetry.lock"),
        ("pipfile-lock/numpy-1.17/Pipfile.lock", "lock.json"),
        ("uv-lock/flagged-protobuf/uv.lock", "uv-lock.old"),
        ("pyproject/pep621-full/pyproject.toml", "project.toml.bak"),
        ("conda/tf-gpu-numpy-1.16/environment.yml", "env.conda"),
    ];
    for (fixture, name) in cases {
        let src = root.join(fixture);
        let Ok(text) = std::fs::read(&src) else {
            panic!("missing fixture {}", src.display());
        };
        let real = Path::new(fixture).file_name().unwrap().to_str().unwrap();
        let s = Scratch::new("sniff");
        s.write(real, &text);
        let expected = run(s.path(), &["check", "-q", "--format", "concise", real]);
        let s2 = Scratch::new("sniff2");
        s2.write(name, &text);
        let got = run(s2.path(), &["check", "-q", "--format", "concise", name]);
        assert_eq!(
            got.stdout.replace(name, real),
            expected.stdout,
            "{fixture} as {name}"
        );
        assert!(!got.stdout.contains("--input-format"), "{}", got.stdout);
        assert!(!got.stdout.is_empty(), "{fixture}: no findings to compare");
    }
    // Structured but no format's: one note that names `--input-format`.
    let s = Scratch::new("ambiguous");
    s.write("deps.cfg", "[something]\nkey = 1\n");
    let o = run(s.path(), &["check", "--format", "concise", "deps.cfg"]);
    let notes: Vec<&str> = o
        .stdout
        .lines()
        .filter(|l| l.contains("--input-format"))
        .collect();
    assert_eq!(notes.len(), 1, "{}", o.stdout);
    assert!(notes[0].starts_with("deps.cfg:1:1: info: "), "{}", o.stdout);
}

#[test]
fn command_line_errors_are_reported_together() {
    let s = Scratch::new("usage");
    let o = run(s.path(), &["check", "--format", "xml", "nope"]);
    assert_eq!(o.code, 2);
    assert!(
        o.stderr.contains("unknown output format `xml`"),
        "{}",
        o.stderr
    );
    assert!(
        o.stderr.contains("`nope`: no such file or directory"),
        "{}",
        o.stderr
    );
    let o = run(s.path(), &["check", "--fail-on", "fatal", "nope"]);
    assert_eq!(o.code, 2);
    assert!(
        o.stderr.contains("unknown severity `fatal`"),
        "{}",
        o.stderr
    );
    assert!(o.stderr.contains("`nope`"), "{}", o.stderr);
}

#[test]
fn quiet_output_file_and_color() {
    let s = Scratch::new("quiet");
    s.write("requirements.txt", format!("{TF}numpy>=1.16\n"));
    s.write("clean/requirements.txt", format!("{TF}numpy<1.17,>=1.16\n"));
    // -q: the findings only.
    let full = run(
        s.path(),
        &["check", "--format", "concise", "requirements.txt"],
    );
    let quiet = run(
        s.path(),
        &["check", "-q", "--format", "concise", "requirements.txt"],
    );
    assert_eq!(quiet.code, 1);
    assert_eq!(
        quiet.stdout,
        full.stdout.lines().next().unwrap().to_owned() + "\n"
    );
    let human = run(s.path(), &["check", "--quiet", "requirements.txt"]);
    assert!(!human.stdout.contains("Found "), "{}", human.stdout);
    assert!(human.stdout.contains("DW101"), "{}", human.stdout);
    let clean = run(s.path(), &["check", "-q", "clean"]);
    assert_eq!((clean.code, clean.stdout.as_str()), (0, ""));
    // -qq: nothing at all, the exit code says it.
    let silent = run(s.path(), &["check", "-qq", "requirements.txt"]);
    assert_eq!(
        (silent.code, silent.stdout.as_str(), silent.stderr.as_str()),
        (1, "", "")
    );
    let silent = run(s.path(), &["check", "-qq", "--diff", "requirements.txt"]);
    assert_eq!((silent.code, silent.stdout.as_str()), (1, ""));
    // --output-file: what standard output would have shown.
    let o = run(
        s.path(),
        &[
            "check",
            "--format",
            "concise",
            "--output-file",
            "report.txt",
            "requirements.txt",
        ],
    );
    assert_eq!((o.code, o.stdout.as_str()), (1, ""));
    let written = std::fs::read_to_string(s.path().join("report.txt")).unwrap();
    assert_eq!(written, full.stdout);
    // --color: always colours even into a pipe and with NO_COLOR; never never does.
    let o = run(
        s.path(),
        &["check", "--color", "always", "requirements.txt"],
    );
    assert!(o.stdout.contains('\u{1b}'), "{}", o.stdout);
    let o = run(s.path(), &["check", "--color", "never", "requirements.txt"]);
    assert!(!o.stdout.contains('\u{1b}'), "{}", o.stdout);
    let o = run(
        s.path(),
        &["check", "--color", "sometimes", "requirements.txt"],
    );
    assert_eq!(o.code, 2, "{}", o.stderr);
}

#[test]
fn output_format_is_the_documented_name_and_format_its_alias() {
    let s = Scratch::new("help");
    let help = run(s.path(), &["check", "--help"]);
    assert!(
        help.stdout.contains("--output-format <FORMAT>"),
        "{}",
        help.stdout
    );
    assert!(help.stdout.contains("[alias: --format]"), "{}", help.stdout);
    s.write("requirements.txt", format!("{TF}numpy>=1.16\n"));
    let a = run(
        s.path(),
        &["check", "--output-format", "json", "requirements.txt"],
    );
    let b = run(s.path(), &["check", "--format", "json", "requirements.txt"]);
    assert_eq!(a.stdout, b.stdout);
    assert!(a.stdout.starts_with('{'));
}

#[test]
fn fail_on_warning_from_the_command_line_and_configuration() {
    let s = Scratch::new("failon");
    // One warning (an unused suppression), no error.
    s.write(
        "requirements.txt",
        format!("{TF}numpy>=1.16,<1.17  # depwindow: ignore[DW101]\n"),
    );
    let o = run(s.path(), &["check", "requirements.txt"]);
    assert_eq!(o.code, 0, "{}", o.stdout);
    assert!(o.stdout.contains("warning"), "{}", o.stdout);
    let o = run(
        s.path(),
        &["check", "--fail-on", "warning", "requirements.txt"],
    );
    assert_eq!(o.code, 1, "{}", o.stdout);
    let junit = run(
        s.path(),
        &[
            "check",
            "--fail-on",
            "warning",
            "--format",
            "junit",
            "requirements.txt",
        ],
    );
    assert!(junit.stdout.contains("<failure"), "{}", junit.stdout);
    s.write("depwindow.toml", "fail-on = \"warning\"\n");
    let o = run(s.path(), &["check", "requirements.txt"]);
    assert_eq!(o.code, 1, "{}", o.stdout);
    // The command line wins over the configuration.
    let o = run(
        s.path(),
        &["check", "--fail-on", "error", "requirements.txt"],
    );
    assert_eq!(o.code, 0, "{}", o.stdout);
    let o = run(s.path(), &["check", "--isolated", "requirements.txt"]);
    assert_eq!(o.code, 0, "{}", o.stdout);
    s.write("depwindow.toml", "fail-on = \"sometimes\"\n");
    let o = run(s.path(), &["check", "requirements.txt"]);
    assert_eq!(o.code, 2, "{}", o.stdout);
}

#[test]
fn per_file_ignores_silence_codes_in_matching_files() {
    let s = Scratch::new("pfi");
    let text = format!("{TF}numpy>=1.16\n");
    s.write("requirements.txt", &text);
    s.write("legacy/requirements.txt", &text);
    s.write(
        "depwindow.toml",
        "[per-file-ignores]\n\"legacy/*\" = [\"outside-window\"]\n\"other.txt\" = [\"DW101\"]\n",
    );
    let o = run(s.path(), &["check", "-q", "--format", "concise"]);
    let lines: Vec<&str> = o.stdout.lines().collect();
    assert_eq!(lines.len(), 1, "{}", o.stdout);
    assert!(
        lines[0].starts_with("requirements.txt:5:6: error:"),
        "{}",
        o.stdout
    );
    // From inside the folder, and named on the command line: the same.
    let o = run(&s.path().join("legacy"), &["check", "--format", "concise"]);
    assert_eq!(o.stdout, "All checks passed! (1 file checked)\n");
    let o = run(s.path(), &["check", "-q", "legacy/requirements.txt"]);
    assert_eq!((o.code, o.stdout.as_str()), (0, ""));
    // Other checks in those files are still reported.
    s.write(
        "legacy/requirements.txt",
        "tensorflow==1.14.0\nnumpy>=1.16,<1.17\n",
    );
    let o = run(s.path(), &["check", "-q", "--format", "concise", "legacy"]);
    assert!(o.stdout.contains("[DW102]"), "{}", o.stdout);
    // An unknown code is a configuration error with its place.
    s.write(
        "depwindow.toml",
        "[per-file-ignores]\n\"legacy/*\" = [\"DW999\"]\n",
    );
    let o = run(s.path(), &["check"]);
    assert_eq!(o.code, 2);
    assert!(o.stderr.contains("depwindow.toml:2:"), "{}", o.stderr);
}

#[test]
fn add_noqa_suppresses_every_finding_in_each_formats_comment_syntax() {
    let s = Scratch::new("noqa");
    let req = "tensorflow==1.14.0\r\nmatplotlib>=3.0\r\nnumpy>=1.16 \\\r\n    --hash=sha256:abc \\\r\n    --hash=sha256:def\r\nprotobuf>=3.6  # pinned\r\n";
    s.write("requirements.txt", req);
    s.write(
        "sub/pyproject.toml",
        "[project]\nname = \"x\"\nversion = \"1\"\ndependencies = [\n  \"tensorflow==1.14.0\",\n  \"numpy>=1.16\",\n]\n",
    );
    let lock = std::fs::read(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/pipfile-lock/numpy-1.17/Pipfile.lock"),
    )
    .unwrap();
    s.write("lock/Pipfile.lock", &lock);
    let before = run(s.path(), &["check", "-q", "--format", "concise"]);
    assert_eq!(before.code, 1);
    let o = run(s.path(), &["check", "--add-noqa"]);
    assert_eq!(o.code, 0, "{}", o.stderr);
    assert!(
        o.stderr.contains(
            "depwindow: note: `lock/Pipfile.lock`: 2 suppressions not added: the format has no comments"
        ),
        "{}",
        o.stderr
    );
    let got = std::fs::read_to_string(s.path().join("requirements.txt")).unwrap();
    // Line endings kept; the comment after the continuation's last line, never after `\`.
    assert_eq!(
        got,
        "tensorflow==1.14.0  # depwindow: ignore[DW102]\r\nmatplotlib>=3.0\r\nnumpy>=1.16 \\\r\n    --hash=sha256:abc \\\r\n    --hash=sha256:def  # depwindow: ignore[DW101]\r\nprotobuf>=3.6  # pinned  # depwindow: ignore[DW101]\r\n"
    );
    let toml = std::fs::read_to_string(s.path().join("sub/pyproject.toml")).unwrap();
    assert!(
        toml.contains("  \"numpy>=1.16\",  # depwindow: ignore[DW101]\n"),
        "{toml}"
    );
    // Every finding is suppressed now, but the lock's.
    let after = run(s.path(), &["check", "-q", "--format", "concise"]);
    assert!(
        after
            .stdout
            .lines()
            .all(|l| l.starts_with("lock/Pipfile.lock:")),
        "{}",
        after.stdout
    );
    let again = run(s.path(), &["check", "--add-noqa"]);
    assert!(
        again.stderr.starts_with("depwindow: added 0 suppressions"),
        "{}",
        again.stderr
    );
    assert_eq!(
        std::fs::read_to_string(s.path().join("requirements.txt")).unwrap(),
        got
    );
}
