//! `junit`: JUnit XML, which CI systems (GitLab, Jenkins, Azure) show as test results.
//!
//! Shape: one `<testsuite>` per checked file; one `<testcase>` per unsuppressed finding,
//! named by what makes it unique (`DW101 outside-window numpy at path:line:col`). A case
//! fails (`<failure type="DWnnn">`) when its finding reaches the failure threshold
//! (`--fail-on`, default error); a finding below it is a passing case whose `system-out`
//! says what it is (`warning: ...`), so every severity is listed and counted. A file
//! without findings gets one passing `<testcase>` so it shows up as checked. (Strict JUnit
//! schemas allow one `<failure>` per test case, hence a test case per finding.)
//! Suppressed findings are left out.
//!
//! The XML is written by `quick-junit` (the serializer cargo-nextest uses), which escapes
//! text and attributes and drops what XML 1.0 cannot carry (C0 controls other than tab, LF
//! and CR). Test cases carry `file` and `line` attributes, which GitLab and Jenkins use to
//! link a failure to its source. Control characters from input are shown as `\xNN` first,
//! as in every displayed format.

use quick_junit::{NonSuccessKind, TestCase, TestCaseStatus, TestSuite};

use super::{escape_display, escape_multiline, one_line, resolve, Emitter, Report, TOOL_NAME};
use crate::diagnostic::Diagnostic;

pub(crate) struct Junit;

/// Whether a finding's case fails: at or above the failure threshold.
fn failing(report: &Report, d: &Diagnostic) -> bool {
    d.severity >= report.fail_on
}

fn case(report: &Report, path: &str, d: &Diagnostic) -> TestCase {
    let at = resolve(report.files, &d.loc);
    let loc = format!(
        "{}:{}:{}",
        escape_display(at.path),
        at.start.line,
        at.start.column
    );
    let mut body = format!("{loc}: {}: {}", d.severity.as_str(), d.message);
    for n in &d.notes {
        body.push_str("\nnote: ");
        body.push_str(n);
    }
    if let Some(help) = &d.help {
        body.push_str("\nhelp: ");
        body.push_str(help);
    }
    let body = escape_multiline(&body).into_owned();
    let status = if failing(report, d) {
        let mut status = TestCaseStatus::non_success(NonSuccessKind::Failure);
        status
            .set_message(escape_display(&one_line(&d.message)).into_owned())
            .set_type(d.code())
            .set_description(body.clone());
        status
    } else {
        TestCaseStatus::success()
    };
    let package = d
        .package
        .as_deref()
        .map(|p| format!(" {}", escape_display(p)))
        .unwrap_or_default();
    let mut case = TestCase::new(
        format!("{} {}{package} at {loc}", d.code(), d.check.name()),
        status,
    );
    if !failing(report, d) {
        case.set_system_out(body);
    }
    case.set_classname(path);
    case.extra.insert("file".into(), path.into());
    case.extra
        .insert("line".into(), at.start.line.to_string().into());
    case
}

/// The test suite of one file: a case per unsuppressed finding (`findings`, in report
/// order), or one passing case when it has none.
fn suite(report: &Report, display: &str, findings: &[&Diagnostic]) -> TestSuite {
    let shown_path = escape_display(display);
    let path: &str = &shown_path;
    let mut suite = TestSuite::new(path);
    // Two findings of one check on one package at one place (different rules) get a
    // numbered name, so every name is unique.
    let mut names: std::collections::HashMap<String, usize> = Default::default();
    for d in findings {
        let mut c = case(report, path, d);
        let n = names.entry(c.name.as_str().to_owned()).or_insert(0);
        *n += 1;
        if *n > 1 {
            c.name = format!("{} ({n})", c.name.as_str()).into();
        }
        suite.add_test_case(c);
    }
    if findings.is_empty() {
        let mut ok = TestCase::new(TOOL_NAME, TestCaseStatus::success());
        ok.set_classname(path);
        ok.extra.insert("file".into(), path.into());
        suite.add_test_case(ok);
    }
    suite
}

fn serialize(xml: &quick_junit::Report) -> std::io::Result<Vec<u8>> {
    let mut buf = Vec::new();
    xml.serialize(&mut buf)
        .map_err(|e| std::io::Error::other(e.to_string()))?;
    Ok(buf)
}

impl Emitter for Junit {
    /// `quick-junit` writes a whole report, whose head carries the totals. So the totals are
    /// counted first; then each file's suite is built and written on its own, cut out of a
    /// one-suite report: the same bytes as the whole report, holding one suite at a time.
    fn emit(&self, report: &Report, out: &mut dyn std::io::Write) -> std::io::Result<()> {
        // Each file's unsuppressed findings, in report order: one pass over the findings,
        // not one per file.
        let mut by_file: std::collections::HashMap<usize, Vec<&Diagnostic>> = Default::default();
        for d in report.diagnostics.iter().filter(|d| d.suppressed.is_none()) {
            by_file.entry(d.loc.file).or_default().push(d);
        }
        let findings = |id: usize| by_file.get(&id).map(Vec::as_slice).unwrap_or_default();
        // What `add_test_suite` would count: a case per finding (one passing case for a
        // file without), a failure per failing case; cases are never errors or skipped.
        let mut head = quick_junit::Report::new(TOOL_NAME);
        for (id, _) in report.files.iter() {
            let f = findings(id);
            head.tests += f.len().max(1);
            head.failures += f.iter().filter(|d| failing(report, d)).count();
        }
        let head = serialize(&head)?;
        // The head ends with the `<testsuites ...>` start tag (one line: its attributes are
        // the name and numbers).
        let Some(open) = head
            .windows(b"<testsuites".len())
            .position(|w| w == b"<testsuites")
            .and_then(|at| head[at..].iter().position(|&b| b == b'>').map(|e| at + e + 1))
        else {
            return Err(std::io::Error::other("JUnit report without its head"));
        };
        let mut written = false;
        let mut tail: Vec<u8> = Vec::new();
        for (id, file) in report.files.iter() {
            let mut one = quick_junit::Report::new(TOOL_NAME);
            one.add_test_suite(suite(report, &file.display, findings(id)));
            let text = serialize(&one)?;
            drop(one);
            // The suite lies between the start tag's line and the closing tag's.
            let from = text
                .windows(b"\n    <testsuite".len())
                .position(|w| w == b"\n    <testsuite");
            let to = text
                .windows(b"\n</testsuites>".len())
                .rposition(|w| w == b"\n</testsuites>");
            let (Some(from), Some(to)) = (from, to) else {
                return Err(std::io::Error::other("JUnit suite not found"));
            };
            if !written {
                out.write_all(&head[..open])?;
                written = true;
            }
            out.write_all(&text[from..to])?;
            tail = text[to..].to_vec();
        }
        if !written {
            // No file: the head is the whole report.
            tail = head;
        }
        out.write_all(&tail)?;
        if tail.last() != Some(&b'\n') {
            out.write_all(b"\n")?;
        }
        Ok(())
    }
}

