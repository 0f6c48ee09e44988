//! `junit`: JUnit XML, which CI systems (GitLab, Jenkins, Azure) show as test results.
//!
//! Shape: one `<testsuite>` per checked file; one `<testcase>` per error or warning
//! finding, holding a `<failure type="DWnnn">`; a file without findings gets one passing
//! `<testcase>` so it shows up as checked. (Strict JUnit schemas allow one `<failure>` per
//! test case, hence a test case per finding rather than per file.) Infos and suppressed
//! findings are left out.
//!
//! Text is escaped for XML 1.0: `& < > " '` become entities, and characters XML 1.0 cannot
//! carry at all (C0 controls other than tab, LF, CR; U+FFFE, U+FFFF) are dropped. Control
//! characters from input are shown as `\xNN` first, as in every displayed format.

use std::fmt::Write as _;

use super::{escape_display, escape_multiline, one_line, resolve, Emitter, Report, Summary};
use crate::diagnostic::{Diagnostic, Severity};

pub struct Junit;

fn allowed(c: char) -> bool {
    matches!(c, '\t' | '\n' | '\r' | '\u{20}'..='\u{D7FF}' | '\u{E000}'..='\u{FFFD}' | '\u{10000}'..)
}

/// Escape text content.
pub fn escape_text(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars().filter(|&c| allowed(c)) {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            c => out.push(c),
        }
    }
    out
}

/// Escape an attribute value; whitespace controls become character references so that
/// attribute-value normalisation does not turn them into spaces.
pub fn escape_attr(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in escape_text(s).chars() {
        match c {
            '\t' => out.push_str("&#9;"),
            '\n' => out.push_str("&#10;"),
            '\r' => out.push_str("&#13;"),
            c => out.push(c),
        }
    }
    out
}

fn shown(d: &Diagnostic) -> bool {
    d.suppressed.is_none() && d.severity != Severity::Info
}

impl Emitter for Junit {
    fn emit(&self, report: &Report, out: &mut dyn std::io::Write) -> std::io::Result<()> {
        let summary = Summary::of(report);
        let failures = summary.errors + summary.warnings;
        let mut xml = String::new();
        xml.push_str("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
        let mut suites = String::new();
        let mut tests = 0usize;
        for (id, file) in report.files.iter() {
            let findings: Vec<&Diagnostic> = report
                .diagnostics
                .iter()
                .filter(|d| d.loc.file == id && shown(d))
                .collect();
            let path = escape_attr(&escape_display(&file.display));
            let cases = findings.len().max(1);
            tests += cases;
            let _ = writeln!(
                suites,
                "  <testsuite name=\"{path}\" tests=\"{cases}\" failures=\"{}\" errors=\"0\" skipped=\"0\">",
                findings.len()
            );
            if findings.is_empty() {
                let _ = writeln!(
                    suites,
                    "    <testcase name=\"depwindow\" classname=\"{path}\" file=\"{path}\"/>"
                );
            }
            for d in findings {
                let at = resolve(report.files, &d.loc);
                let loc = format!(
                    "{}:{}:{}",
                    escape_display(at.path),
                    at.start.line,
                    at.start.column
                );
                let _ = writeln!(
                    suites,
                    "    <testcase name=\"{}\" classname=\"{path}\" file=\"{path}\" line=\"{}\">",
                    escape_attr(&format!("{} {} at {loc}", d.code(), d.check.name())),
                    at.start.line
                );
                let mut body = format!("{loc}: {}: {}", d.severity.as_str(), d.message);
                if let Some(help) = &d.help {
                    let _ = write!(body, "\nhelp: {help}");
                }
                let _ = writeln!(
                    suites,
                    "      <failure message=\"{}\" type=\"{}\">{}</failure>",
                    escape_attr(&one_line(&d.message)),
                    d.code(),
                    escape_text(&escape_multiline(&body))
                );
                suites.push_str("    </testcase>\n");
            }
            suites.push_str("  </testsuite>\n");
        }
        let _ = writeln!(
            xml,
            "<testsuites name=\"depwindow\" tests=\"{tests}\" failures=\"{failures}\" errors=\"0\">"
        );
        xml.push_str(&suites);
        xml.push_str("</testsuites>\n");
        out.write_all(xml.as_bytes())
    }
}
