//! Output formats: a snapshot per format over one hand-made report, plus the checks each
//! format's consumer imposes (SARIF schema, `$gcc` regex, GitHub escaping, GitLab fields,
//! well-formed JUnit XML).
//!
//! Snapshots live in `tests/snapshots/<name>.snap` (insta; `cargo insta review` accepts a change).

use crate::common;

use std::path::{Path, PathBuf};
use std::process::Command;

use depwindow::diagnostic::{
    Applicability, Check, Diagnostic, Fix, Pick, Place, Related, ReleaseRange, ReleaseSummary,
    Severity,
};
use depwindow::files::Files;
use depwindow::manifest::{FileId, Loc};
use depwindow::report::{emitter, OutputFormat, Report};
use depwindow::source::Span;

const REQUIREMENTS: &str = "\u{feff}# Ünïcödé header\n\
tensorflow==1.14.0\n\
numpy>=1.14.5\n\
protobuf>=3.6.1 \\\n  ; python_version < \"3.8\"\n\
numpy\n\
numpy\n\
numpy\n";

const PYPROJECT: &str =
    "[project]\nname = \"démo\"\ndependencies = [\"naïve-café>=1\", \"numpy>=1.14.5\"]\n";

const CONSTRAINTS: &str = "numpy<1.14\n";

/// A byte span of the `nth` (0-based) occurrence of `needle` in a file's decoded text.
fn find(files: &Files, file: FileId, needle: &str, nth: usize) -> Loc {
    let text = &files.get(file).text;
    let start = text
        .match_indices(needle)
        .nth(nth)
        .unwrap_or_else(|| panic!("{needle:?} #{nth} not in file {file}"))
        .0;
    Loc {
        file,
        span: Span::new(start, start + needle.len()),
    }
}

fn diag(check: Check, severity: Severity, loc: Loc, message: &str) -> Diagnostic {
    Diagnostic::problem(check, severity, loc, message.to_owned())
}

/// The fixture: three files (one with a BOM, one with non-ASCII text before the span, one
/// in a directory with a space) and findings covering every field the formats render.
/// `prefix` is prepended to requirements.txt to move its findings down.
fn fixture(prefix: &str) -> (Files, Vec<Diagnostic>) {
    let mut files = Files::new(PathBuf::from("/proj"));
    let req_text = REQUIREMENTS.replacen('\u{feff}', &format!("\u{feff}{prefix}"), 1);
    let req = files.add(Path::new("/proj/requirements.txt"), req_text.as_bytes());
    let py = files.add(Path::new("/proj/pyproject.toml"), PYPROJECT.as_bytes());
    let cons = files.add(
        Path::new("/proj/dir with space/constraints.txt"),
        CONSTRAINTS.as_bytes(),
    );

    let mut outside = diag(
        Check::OutsideWindow,
        Severity::Error,
        find(&files, py, ">=1.14.5", 0),
        "`numpy>=1.14.5` admits NumPy releases outside TensorFlow 1.14.0's tested window `>=1.14.5,<1.17`",
    );
    outside.rule = Some("tensorflow-1.14/numpy".into());
    outside.package = Some("numpy".into());
    outside.window = Some(">=1.14.5,<1.17".into());
    outside.set_environments(vec![
        Place::new("3.6", "linux"),
        Place::new("3.7", "linux"),
        Place::new("3.7", "darwin"),
    ]);
    outside.outside_released = ["1.17.0", "1.21.6"].into_iter().collect();
    outside.pip_would_pick = [
        ("3.6", "linux", "1.19.5"),
        ("3.7", "linux", "1.21.6"),
        ("3.7", "darwin", "1.21.6"),
    ]
    .into_iter()
    .map(|(python, platform, version)| Pick {
        python,
        platform,
        version: version.into(),
    })
    .collect();
    outside.related = vec![Related {
        loc: find(&files, req, "tensorflow==1.14.0", 0),
        message: "TensorFlow 1.14.0 is required here".into(),
    }];
    outside.fix = Some(Fix {
        loc: find(&files, py, ">=1.14.5", 0),
        replacement: ">=1.14.5,<1.17".into(),
        applicability: Applicability::Safe,
        reason: None,
    });
    outside.help = Some("bound it: `numpy>=1.14.5,<1.17`".into());
    outside.notes = vec![
        "pip would pick 1.19.5 on Python 3.6; 1.21.6 on 3.7".into(),
        "numpy 1.21.6: imports with FutureWarnings; untested".into(),
    ]
    .into();
    // Two releases that are not neighbours in the release list: two runs.
    let runs = |versions: &[&str]| ReleaseSummary {
        count: versions.len(),
        ranges: versions
            .iter()
            .map(|v| ReleaseRange {
                first: (*v).into(),
                last: (*v).into(),
                count: 1,
            })
            .collect(),
    };
    outside.outside_released_summary = runs(&["1.17.0", "1.21.6"]).into();
    outside.outside_installable = runs(&["1.21.6"]).into();

    let mut unsat = diag(
        Check::Unsatisfiable,
        Severity::Error,
        find(&files, req, "numpy>=1.14.5", 0),
        "numpy admits no version: 100% rejected\nsee pip::resolver, a,b & <c> \"d\" 'e'",
    );
    unsat.rule = Some("tensorflow-1.14/numpy".into());
    unsat.package = Some("numpy".into());
    unsat.related = vec![Related {
        loc: find(&files, cons, "numpy<1.14", 0),
        message: "conflicting constraint".into(),
    }];

    // A span over two physical lines (a backslash continuation).
    let proto_start = find(&files, req, "protobuf", 0).span.start;
    let proto_end = find(&files, req, "\"3.8\"", 0).span.end;
    let mut proto = diag(
        Check::OutsideWindow,
        Severity::Warning,
        Loc {
            file: req,
            span: Span::new(proto_start, proto_end),
        },
        "`protobuf>=3.6.1` admits protobuf 4.21 and later, which fail at `import tensorflow`",
    );
    proto.rule = Some("tensorflow-1.14/protobuf".into());
    proto.package = Some("protobuf".into());
    proto.window = Some(">=3.6.1,<4".into());
    proto.fix = Some(Fix {
        loc: find(&files, req, ">=3.6.1", 0),
        replacement: ">=3.6.1,<4".into(),
        applicability: Applicability::Unsafe,
        reason: Some("the file is in hash-checking mode; hashes must be regenerated".into()),
    });

    let bare = |nth: usize| {
        let mut d = diag(
            Check::Unconstrained,
            Severity::Warning,
            find(&files, req, "numpy\n", nth),
            "`numpy` has no version constraint",
        );
        d.loc.span.end -= 1; // without the newline
        d.rule = Some("tensorflow-1.14/numpy".into());
        d.package = Some("numpy".into());
        d
    };
    let mut suppressed = bare(0);
    suppressed.suppressed = Some("tracked in #12".into());
    // Two findings identical in path, code, rule and text: fingerprints must still differ.
    let twin_a = bare(1);
    let twin_b = bare(2);

    let info = diag(
        Check::Unevaluable,
        Severity::Info,
        find(&files, cons, "numpy<1.14", 0),
        "constraints file decoded as UTF-8",
    );

    let diagnostics = vec![outside, unsat, proto, suppressed, twin_a, twin_b, info];
    (files, diagnostics)
}

fn render(format: OutputFormat, files: &Files, diagnostics: &[Diagnostic]) -> String {
    render_failing_on(format, files, diagnostics, Severity::Error)
}

fn render_failing_on(
    format: OutputFormat,
    files: &Files,
    diagnostics: &[Diagnostic],
    fail_on: Severity,
) -> String {
    let excerpts = depwindow::source::Excerpts::whole(files);
    let report = Report {
        checked: files.len(),
        files: &excerpts,
        diagnostics,
        tool_version: "0.0.0-test",
        show_suppressed: true,
        fail_on,
        jobs: 1,
    };
    let mut out = Vec::new();
    // Indented, so the snapshots stay readable (the CLI's default is compact).
    emitter(format, true)
        .expect("emitter")
        .emit(&report, &mut out)
        .expect("emit");
    String::from_utf8(out).expect("utf-8 output")
}

fn render_fixture(format: OutputFormat) -> String {
    let (files, diagnostics) = fixture("");
    render(format, &files, &diagnostics)
}

fn snapshot(name: &str, actual: &str) {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/snapshots");
    common::snapshot(&dir, name, actual);
}

fn write_temp(name: &str, contents: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR"));
    let path = dir.join(name);
    std::fs::write(&path, contents).expect("write temp file");
    path
}

/// Run a committed Python helper. None (with a note) when Python or the module it needs is
/// missing outside CI; a failure on CI.
fn python(script: &str, args: &[&Path]) -> Option<std::process::Output> {
    let python = common::python();
    let script = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/support")
        .join(script);
    let found = match Command::new(&python).arg(&script).args(args).output() {
        // Exit 3: the helper could not import a module it needs.
        Ok(out) if out.status.code() == Some(3) => Err(format!(
            "`{python}`: {}",
            String::from_utf8_lossy(&out.stderr).trim()
        )),
        Ok(out) => Ok(out),
        Err(e) => Err(format!("cannot run `{python}`: {e}")),
    };
    common::require(
        "Python with the modules of tests/python-requirements.txt (set DEPWINDOW_PYTHON)",
        found,
    )
}

fn json(text: &str) -> serde_json::Value {
    serde_json::from_str(text).expect("valid JSON")
}

// ---------------------------------------------------------------- json

#[test]
fn json_snapshot() {
    snapshot("report.json", &render_fixture(OutputFormat::Json));
}

#[test]
fn json_positions_count_scalars_and_offsets_count_original_bytes() {
    let v = json(&render_fixture(OutputFormat::Json));
    let d = &v["diagnostics"][0];
    assert_eq!(d["path"], "pyproject.toml");
    let line = "dependencies = [\"naïve-café>=1\", \"numpy";
    let start = &d["start"];
    assert_eq!(start["line"], 3);
    assert_eq!(start["column"], line.chars().count() + 1);
    let byte = PYPROJECT.find("numpy>=1.14.5").unwrap() + "numpy".len();
    assert_eq!(start["offset"], byte);
    // requirements.txt has a BOM: offsets are into the file as on disk.
    let d = &v["diagnostics"][1];
    let on_disk = REQUIREMENTS.find("numpy>=1.14.5").unwrap();
    assert_eq!(d["start"]["offset"], on_disk);
    assert_eq!(d["start"]["line"], 3);
    assert_eq!(d["start"]["column"], 1);
    assert_eq!(d["related"][0]["path"], "dir with space/constraints.txt");
}

#[test]
fn json_summary_excludes_suppressed_from_severity_counts() {
    let v = json(&render_fixture(OutputFormat::Json));
    assert_eq!(
        v["summary"],
        json(r#"{"errors": 2, "warnings": 3, "infos": 1, "suppressed": 1, "files": 3}"#)
    );
    let suppressed: Vec<_> = v["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|d| d.get("suppressed").is_some())
        .collect();
    assert_eq!(suppressed.len(), 1);
    assert_eq!(suppressed[0]["suppressed"]["reason"], "tracked in #12");
}

#[test]
fn json_lines_is_one_diagnostic_per_line_equal_to_json() {
    let doc = json(&render_fixture(OutputFormat::Json));
    let lines = render_fixture(OutputFormat::JsonLines);
    snapshot("report.jsonl", &lines);
    let parsed: Vec<_> = lines.lines().map(json).collect();
    assert_eq!(&serde_json::Value::Array(parsed), &doc["diagnostics"]);
}

// ---------------------------------------------------------------- concise / gcc

#[test]
fn concise_snapshot() {
    snapshot("report.concise.txt", &render_fixture(OutputFormat::Concise));
}

#[test]
fn concise_lines_match_vscode_gcc_and_our_problem_matcher() {
    let all = render_fixture(OutputFormat::Concise);
    // Every unsuppressed finding (2 errors, 3 warnings, 1 info), then the summary, which
    // counts each severity (issue 12: infos are listed and counted in every format).
    let lines: Vec<&str> = all.lines().collect();
    assert_eq!(lines.len(), 7, "{all}");
    assert_eq!(
        lines[6],
        "Found 2 errors, 3 warnings and 1 info in 3 files checked."
    );
    assert_eq!(lines.iter().filter(|l| l.contains(": info: ")).count(), 1);
    // `$gcc` knows errors and warnings; our matcher reads infos too.
    let out: String = lines[..6]
        .iter()
        .filter(|l| !l.contains(": info: "))
        .map(|l| format!("{l}\n"))
        .collect();
    let gcc =
        regex::Regex::new(r"^(.*?):(\d+):(\d*):?\s+(?:fatal\s+)?(warning|error):\s+(.*)$").unwrap();
    let matcher: serde_json::Value = json(
        &std::fs::read_to_string(
            Path::new(env!("CARGO_MANIFEST_DIR")).join("depwindow-problem-matcher.json"),
        )
        .unwrap(),
    );
    let pattern = &matcher["problemMatcher"][0]["pattern"][0];
    assert_eq!(matcher["problemMatcher"][0]["owner"], "depwindow");
    let ours = regex::Regex::new(pattern["regexp"].as_str().unwrap()).unwrap();
    let group = |name: &str| pattern[name].as_u64().unwrap() as usize;
    for line in out.lines() {
        let c = gcc
            .captures(line)
            .unwrap_or_else(|| panic!("$gcc does not match {line:?}"));
        let c2 = ours
            .captures(line)
            .unwrap_or_else(|| panic!("ours does not match {line:?}"));
        assert_eq!(&c[1], &c2[group("file")]);
        assert_eq!(&c[2], &c2[group("line")]);
        assert_eq!(&c[3], &c2[group("column")]);
        assert_eq!(&c[4], &c2[group("severity")]);
        assert!(c2[group("code")].starts_with("DW"));
    }
    let info = lines.iter().find(|l| l.contains(": info: ")).unwrap();
    let c = ours
        .captures(info)
        .unwrap_or_else(|| panic!("ours does not match {info:?}"));
    assert_eq!(&c[group("severity")], "info");
    let first = ours.captures(out.lines().next().unwrap()).unwrap();
    assert_eq!(&first[group("file")], "pyproject.toml");
    assert_eq!(&first[group("line")], "3");
    assert_eq!(&first[group("column")], "40");
    assert_eq!(&first[group("code")], "DW101");
    // The newline in the message was folded, `::` kept.
    assert!(out.contains("100% rejected see pip::resolver"));
}

// ---------------------------------------------------------------- sarif

#[test]
fn sarif_snapshot() {
    snapshot("report.sarif", &render_fixture(OutputFormat::Sarif));
}

/// The official SARIF 2.1.0 schema: `DEPWINDOW_SARIF_SCHEMA`, else the copy in the shared
/// folder beside the checkout (`common::shared_dir`).
fn sarif_schema() -> Result<PathBuf, String> {
    if let Some(p) = std::env::var_os("DEPWINDOW_SARIF_SCHEMA") {
        return Ok(PathBuf::from(p));
    }
    let p = common::shared_dir()?.join("schemas/sarif-schema-2.1.0.json");
    if p.is_file() {
        Ok(p)
    } else {
        Err(format!("{} is not a file", p.display()))
    }
}

#[test]
fn sarif_validates_against_the_official_schema() {
    let Some(schema) = common::require(
        "the SARIF 2.1.0 schema (set DEPWINDOW_SARIF_SCHEMA)",
        sarif_schema(),
    ) else {
        return;
    };
    let instance = write_temp("report.sarif", &render_fixture(OutputFormat::Sarif));
    let Some(out) = python("validate_json_schema.py", &[&schema, &instance]) else {
        return;
    };
    assert!(
        out.status.success(),
        "SARIF invalid:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );

    // And a broken document is rejected, so the validation above means something.
    let mut broken = json(&render_fixture(OutputFormat::Sarif));
    broken["runs"][0]["results"][0]["level"] = "fatal".into();
    let instance = write_temp("broken.sarif", &broken.to_string());
    let out = python("validate_json_schema.py", &[&schema, &instance]).unwrap();
    assert!(!out.status.success());
}

#[test]
fn sarif_regions_fixes_and_suppressions() {
    let v = json(&render_fixture(OutputFormat::Sarif));
    let run = &v["runs"][0];
    assert_eq!(run["columnKind"], "unicodeCodePoints");
    let rules = run["tool"]["driver"]["rules"].as_array().unwrap();
    assert_eq!(rules.len(), Check::ALL.len());
    let results = run["results"].as_array().unwrap();
    for r in results {
        let id = r["ruleId"].as_str().unwrap();
        assert_eq!(rules[r["ruleIndex"].as_u64().unwrap() as usize]["id"], id);
    }
    let first = &results[0];
    let region = &first["locations"][0]["physicalLocation"]["region"];
    let decoded_before: usize = PYPROJECT[..PYPROJECT.find(">=1.14.5").unwrap()]
        .chars()
        .count();
    assert_eq!(region["charOffset"], decoded_before);
    assert_eq!(region["charLength"], 8);
    assert_eq!(region["startColumn"], 40);
    assert_eq!(region["endColumn"], 48);
    let change = &first["fixes"][0]["artifactChanges"][0];
    assert_eq!(change["artifactLocation"]["uri"], "pyproject.toml");
    assert_eq!(
        change["replacements"][0]["insertedContent"]["text"],
        ">=1.14.5,<1.17"
    );
    let related = &results[1]["relatedLocations"][0]["physicalLocation"]["artifactLocation"];
    assert_eq!(related["uri"], "dir%20with%20space/constraints.txt");
    assert_eq!(related["uriBaseId"], "%SRCROOT%");
    assert_eq!(
        results[3]["suppressions"][0]["justification"],
        "tracked in #12"
    );
    assert_eq!(results[6]["level"], "note");
}

// ---------------------------------------------------------------- fingerprints

fn gitlab_fingerprints(prefix: &str) -> Vec<String> {
    let (files, diagnostics) = fixture(prefix);
    let v = json(&render(OutputFormat::Gitlab, &files, &diagnostics));
    v.as_array()
        .unwrap()
        .iter()
        .map(|i| i["fingerprint"].as_str().unwrap().to_owned())
        .collect()
}

#[test]
fn fingerprints_are_unique_and_survive_lines_moving() {
    let base = gitlab_fingerprints("");
    let mut unique = base.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(unique.len(), base.len(), "duplicate fingerprints: {base:?}");
    // Two blank lines and a comment above every requirements.txt finding.
    let moved = gitlab_fingerprints("\n\n# moved\n");
    assert_eq!(base, moved);
    // SARIF uses the same fingerprints.
    let sarif = json(&render_fixture(OutputFormat::Sarif));
    let sarif_fps: Vec<_> = sarif["runs"][0]["results"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r.get("suppressions").is_none())
        .map(|r| {
            r["partialFingerprints"]["depwindow/v1"]
                .as_str()
                .unwrap()
                .to_owned()
        })
        .collect();
    assert_eq!(sarif_fps, base);
}

#[test]
fn fingerprints_change_with_the_offending_text() {
    let (files, mut diagnostics) = fixture("");
    let before = json(&render(OutputFormat::Gitlab, &files, &diagnostics));
    diagnostics[0].rule = Some("tensorflow-1.14/other".into());
    let after = json(&render(OutputFormat::Gitlab, &files, &diagnostics));
    assert_ne!(before[0]["fingerprint"], after[0]["fingerprint"]);
    assert_eq!(before[1]["fingerprint"], after[1]["fingerprint"]);
}

// ---------------------------------------------------------------- gitlab

#[test]
fn gitlab_snapshot() {
    snapshot("report.gitlab.json", &render_fixture(OutputFormat::Gitlab));
}

#[test]
fn gitlab_issues_have_every_required_field_with_the_right_type() {
    let v = json(&render_fixture(OutputFormat::Gitlab));
    let issues = v.as_array().expect("top level is an array");
    // The suppressed finding is left out.
    assert_eq!(issues.len(), 6);
    for i in issues {
        assert!(i["description"]
            .as_str()
            .is_some_and(|s| !s.is_empty() && !s.contains('\n')));
        assert!(i["check_name"].as_str().is_some_and(|s| !s.is_empty()));
        assert!(i["fingerprint"].as_str().is_some_and(|s| s.len() == 32));
        assert!(matches!(
            i["severity"].as_str(),
            Some("info" | "minor" | "major" | "critical" | "blocker")
        ));
        assert!(i["location"]["path"]
            .as_str()
            .is_some_and(|s| !s.is_empty()));
        let begin = i["location"]["lines"]["begin"]
            .as_u64()
            .expect("lines.begin");
        let end = i["location"]["lines"]["end"].as_u64().expect("lines.end");
        assert!(begin >= 1 && end >= begin);
    }
    assert_eq!(issues[0]["severity"], "major");
    assert_eq!(issues[2]["severity"], "minor");
    assert_eq!(issues[2]["location"]["lines"]["begin"], 4);
    assert_eq!(issues[2]["location"]["lines"]["end"], 5);
    assert_eq!(issues[5]["severity"], "info");
}

// ---------------------------------------------------------------- github

#[test]
fn github_snapshot() {
    snapshot("report.github.txt", &render_fixture(OutputFormat::Github));
}

#[test]
fn github_escapes_data_and_properties() {
    let out = render_fixture(OutputFormat::Github);
    let lines: Vec<&str> = out.lines().collect();
    // Suppressed finding left out; the info becomes a notice.
    assert_eq!(lines.len(), 6);
    assert!(lines[5].starts_with("::notice file=dir with space/constraints.txt,"));
    // `%` and the newline escaped in the data; `::` in data is left alone (the runner
    // splits at the first `::` only), `:` and `,` in properties are escaped.
    let unsat = lines[1];
    let (head, data) = unsat
        .split_once("::error ")
        .unwrap()
        .1
        .split_once("::")
        .unwrap();
    assert_eq!(
        data,
        "numpy admits no version: 100%25 rejected%0Asee pip::resolver, a,b & <c> \"d\" 'e'"
    );
    assert!(head.contains("title=depwindow DW103 (unsatisfiable)"));
    assert!(!head.contains("::"));
    assert_eq!(
        depwindow::report::github::escape_property("a:b,c%d\r\ne"),
        "a%3Ab%2Cc%25d%0D%0Ae"
    );
}

#[test]
fn github_omits_columns_on_multi_line_spans() {
    let out = render_fixture(OutputFormat::Github);
    let proto = out.lines().find(|l| l.contains("protobuf")).unwrap();
    assert!(
        proto.starts_with("::warning file=requirements.txt,line=4,endLine=5,title="),
        "{proto}"
    );
    assert!(!proto.contains("col="));
    assert!(!proto.contains("endColumn="));
    let first = out.lines().next().unwrap();
    assert!(
        first.starts_with("::error file=pyproject.toml,line=3,col=40,endLine=3,endColumn=48,"),
        "{first}"
    );
}

// ---------------------------------------------------------------- junit

#[test]
fn junit_snapshot() {
    snapshot("report.junit.xml", &render_fixture(OutputFormat::Junit));
}

/// Default threshold (error): a test case per finding, unique names (check, package,
/// location), errors fail, warnings and infos pass with a `system-out` saying what they are.
#[test]
fn junit_fails_at_the_threshold_and_lists_the_rest_as_passing() {
    let (files, diagnostics) = fixture("");
    let xml = render(OutputFormat::Junit, &files, &diagnostics);
    let names: Vec<&str> = xml
        .split("<testcase name=\"")
        .skip(1)
        .map(|c| c.split('"').next().unwrap())
        .collect();
    // 6 unsuppressed findings (the suppressed one is left out).
    assert_eq!(names.len(), 6, "{xml}");
    let unique: std::collections::HashSet<&&str> = names.iter().collect();
    assert_eq!(unique.len(), names.len(), "{names:?}");
    assert!(
        names.contains(&"DW101 outside-window numpy at pyproject.toml:3:40"),
        "{names:?}"
    );
    assert_eq!(xml.matches("<failure").count(), 2, "{xml}");
    assert_eq!(xml.matches("<system-out>").count(), 4, "{xml}");
    assert!(xml.contains("<system-out>requirements.txt:"), "{xml}");
    assert!(
        xml.contains(": info: constraints file decoded as UTF-8"),
        "{xml}"
    );
    assert!(
        xml.contains("tests=\"6\" skipped=\"0\" failures=\"2\""),
        "{xml}"
    );
    // `--fail-on info`: every finding fails.
    let xml = render_failing_on(OutputFormat::Junit, &files, &diagnostics, Severity::Info);
    assert_eq!(xml.matches("<failure").count(), 6, "{xml}");
    assert_eq!(xml.matches("<system-out>").count(), 0, "{xml}");
}

#[test]
fn junit_is_well_formed_xml_with_one_failure_per_finding() {
    let (files, mut diagnostics) = fixture("");
    // Control characters XML 1.0 cannot carry must not break the document; like every
    // displayed format, junit shows them as `\xNN` (issue 15).
    diagnostics[0].message.push_str(" \u{1}\u{1b}[31m<bad>&");
    // `--fail-on warning`: errors and warnings fail, the info passes.
    let xml = render_failing_on(OutputFormat::Junit, &files, &diagnostics, Severity::Warning);
    assert!(!xml.contains('\u{1}') && !xml.contains('\u{1b}'));
    let path = write_temp("report.junit.xml", &xml);
    let Some(out) = python("check_junit.py", &[&path]) else {
        return;
    };
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8(out.stdout).unwrap();
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(lines.last(), Some(&"tests=6 failures=5"));
    assert_eq!(lines.len(), 6);
    assert!(lines[0]
        .starts_with("requirements.txt|DW103 unsatisfiable numpy at requirements.txt:3:1|DW103|"));
    assert!(lines.iter().any(|l| l.ends_with("outside-window numpy at pyproject.toml:3:40|DW101|`numpy>=1.14.5` admits NumPy releases outside TensorFlow 1.14.0's tested window `>=1.14.5,<1.17` \\x01\\x1B[31m<bad>&")));
    assert!(lines[0].ends_with("100% rejected see pip::resolver, a,b & <c> \"d\" 'e'"));
}
