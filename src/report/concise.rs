//! `concise` (alias `gcc`): one line per finding,
//! `path:line:col: severity: message [code]`, the shape compilers print and editors parse
//! (VS Code's `$gcc` problem matcher, our own `depwindow-problem-matcher.json`, Vim's
//! `errorformat`). Every severity is printed (`error`, `warning`, `info`; our problem
//! matcher maps all three); suppressed findings are not. A closing summary line ("All
//! checks passed!" or the counts, as human prints it) follows; it matches no matcher.

use super::{escape_display, one_line, resolve, Emitter, Report};
use crate::diagnostic::Diagnostic;

pub(crate) struct Concise;

/// The line for one finding, or None when the format does not show it.
pub(crate) fn line(report: &Report, d: &Diagnostic) -> Option<String> {
    if d.suppressed.is_some() {
        return None;
    }
    let at = resolve(report.files, &d.loc);
    Some(format!(
        "{}:{}:{}: {}: {} [{}]",
        escape_display(at.path),
        at.start.line,
        at.start.column,
        d.severity.as_str(),
        one_line(&d.message),
        d.code()
    ))
}

impl Emitter for Concise {
    fn emit(&self, report: &Report, out: &mut dyn std::io::Write) -> std::io::Result<()> {
        for d in report.diagnostics {
            if let Some(l) = line(report, d) {
                writeln!(out, "{l}")?;
            }
        }
        writeln!(
            out,
            "{}",
            super::summary_line(report.diagnostics, report.checked)
        )
    }
}
