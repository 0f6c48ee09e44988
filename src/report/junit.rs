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
    let status = if d.severity >= report.fail_on {
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
    if d.severity < report.fail_on {
        case.set_system_out(body);
    }
    case.set_classname(path);
    case.extra.insert("file".into(), path.into());
    case.extra
        .insert("line".into(), at.start.line.to_string().into());
    case
}

impl Emitter for Junit {
    fn emit(&self, report: &Report, out: &mut dyn std::io::Write) -> std::io::Result<()> {
        let mut xml = quick_junit::Report::new(TOOL_NAME);
        // Each file's unsuppressed findings, in report order: one pass over the findings,
        // not one per file.
        let mut by_file: std::collections::HashMap<usize, Vec<&Diagnostic>> = Default::default();
        for d in report.diagnostics.iter().filter(|d| d.suppressed.is_none()) {
            by_file.entry(d.loc.file).or_default().push(d);
        }
        for (id, file) in report.files.iter() {
            let shown_path = escape_display(&file.display);
            let path: &str = &shown_path;
            let mut suite = TestSuite::new(path);
            let mut any = false;
            // Two findings of one check on one package at one place (different rules)
            // get a numbered name, so every name is unique.
            let mut names: std::collections::HashMap<String, usize> = Default::default();
            for d in by_file.remove(&id).unwrap_or_default() {
                let mut c = case(report, path, d);
                let n = names.entry(c.name.as_str().to_owned()).or_insert(0);
                *n += 1;
                if *n > 1 {
                    c.name = format!("{} ({n})", c.name.as_str()).into();
                }
                suite.add_test_case(c);
                any = true;
            }
            if !any {
                let mut ok = TestCase::new(TOOL_NAME, TestCaseStatus::success());
                ok.set_classname(path);
                ok.extra.insert("file".into(), path.into());
                suite.add_test_case(ok);
            }
            xml.add_test_suite(suite);
        }
        // Written as it is serialised, not gathered into a string first.
        let mut w = LastByte {
            out: &mut *out,
            last: None,
        };
        xml.serialize(&mut w)
            .map_err(|e| std::io::Error::other(e.to_string()))?;
        if w.last != Some(b'\n') {
            out.write_all(b"\n")?;
        }
        Ok(())
    }
}

/// A writer that remembers the last byte written through it.
struct LastByte<'w> {
    out: &'w mut dyn std::io::Write,
    last: Option<u8>,
}

impl std::io::Write for LastByte<'_> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let n = self.out.write(buf)?;
        if n > 0 {
            self.last = Some(buf[n - 1]);
        }
        Ok(n)
    }
    fn flush(&mut self) -> std::io::Result<()> {
        self.out.flush()
    }
}
