//! `junit`: JUnit XML, which CI systems (GitLab, Jenkins, Azure) show as test results.
//!
//! Shape: one `<testsuite>` per checked file; one `<testcase>` per error or warning
//! finding, holding a `<failure type="DWnnn">`; a file without findings gets one passing
//! `<testcase>` so it shows up as checked. (Strict JUnit schemas allow one `<failure>` per
//! test case, hence a test case per finding rather than per file.) Infos and suppressed
//! findings are left out.
//!
//! The XML is written by `quick-junit` (the serializer cargo-nextest uses), which escapes
//! text and attributes and drops what XML 1.0 cannot carry (C0 controls other than tab, LF
//! and CR). Test cases carry `file` and `line` attributes, which GitLab and Jenkins use to
//! link a failure to its source. Control characters from input are shown as `\xNN` first,
//! as in every displayed format.

use quick_junit::{NonSuccessKind, TestCase, TestCaseStatus, TestSuite};

use super::{escape_display, escape_multiline, one_line, resolve, Emitter, Report, TOOL_NAME};
use crate::diagnostic::{Diagnostic, Severity};

pub struct Junit;

fn shown(d: &Diagnostic) -> bool {
    d.suppressed.is_none() && d.severity != Severity::Info
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
    if let Some(help) = &d.help {
        body.push_str("\nhelp: ");
        body.push_str(help);
    }
    let mut status = TestCaseStatus::non_success(NonSuccessKind::Failure);
    status
        .set_message(escape_display(&one_line(&d.message)).into_owned())
        .set_type(d.code())
        .set_description(escape_multiline(&body));
    let mut case = TestCase::new(format!("{} {} at {loc}", d.code(), d.check.name()), status);
    case.set_classname(path);
    case.extra.insert("file".into(), path.into());
    case.extra
        .insert("line".into(), at.start.line.to_string().into());
    case
}

impl Emitter for Junit {
    fn emit(&self, report: &Report, out: &mut dyn std::io::Write) -> std::io::Result<()> {
        let mut xml = quick_junit::Report::new(TOOL_NAME);
        for (id, file) in report.files.iter() {
            let shown_path = escape_display(&file.display);
            let path: &str = &shown_path;
            let mut suite = TestSuite::new(path);
            let mut any = false;
            for d in report
                .diagnostics
                .iter()
                .filter(|d| d.loc.file == id && shown(d))
            {
                suite.add_test_case(case(report, path, d));
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
        let text = xml
            .to_string()
            .map_err(|e| std::io::Error::other(e.to_string()))?;
        out.write_all(text.as_bytes())?;
        if !text.ends_with('\n') {
            out.write_all(b"\n")?;
        }
        Ok(())
    }
}
