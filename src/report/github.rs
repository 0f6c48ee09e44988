//! `github`: GitHub Actions workflow commands, which the runner turns into annotations on
//! the pull request:
//!
//! ```text
//! ::error file=requirements.txt,line=3,col=1,endLine=3,endColumn=13,title=…::message
//! ```
//!
//! Escaping follows the runner (actions/toolkit `command.ts`): the message escapes `%`,
//! CR and LF; property values additionally escape `:` and `,`, which would otherwise end
//! the value. Other control characters (ESC, BEL, C1) are shown as `\xNN`. Errors become `::error`, warnings `::warning`, infos `::notice`. Suppressed
//! findings are not printed.

use super::{resolve, Emitter, Report};
use crate::diagnostic::{Diagnostic, Severity};

pub(crate) struct Github;

/// Escape command data (the message after `::`).
pub(crate) fn escape_data(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '%' => out.push_str("%25"),
            '\r' => out.push_str("%0D"),
            '\n' => out.push_str("%0A"),
            // Other control characters as displayed text shows them (`\xNN`): the runner
            // prints annotations into logs that terminals render.
            c if c.is_control() && c != '\t' => out.push_str(&format!("\\x{:02X}", c as u32)),
            c => out.push(c),
        }
    }
    out
}

/// Escape a property value (`file=`, `title=`): as command data, then `:` and `,` (the
/// data escapes hold neither, so only the input's own are replaced).
pub fn escape_property(s: &str) -> String {
    escape_data(s).replace(':', "%3A").replace(',', "%2C")
}

/// The command for one finding, or None for suppressed findings.
pub(crate) fn command(report: &Report, d: &Diagnostic) -> Option<String> {
    if d.suppressed.is_some() {
        return None;
    }
    let kind = match d.severity {
        Severity::Error => "error",
        Severity::Warning => "warning",
        Severity::Info => "notice",
    };
    let at = resolve(report.files, &d.loc);
    let mut props = format!("file={},line={}", escape_property(at.path), at.start.line);
    // GitHub rejects column properties on annotations spanning several lines.
    if at.start.line == at.end.line {
        props.push_str(&format!(",col={}", at.start.column));
    }
    props.push_str(&format!(",endLine={}", at.end.line));
    if at.start.line == at.end.line {
        props.push_str(&format!(",endColumn={}", at.end.column));
    }
    let title = format!("depwindow {} ({})", d.code(), d.check.name());
    props.push_str(&format!(",title={}", escape_property(&title)));
    let mut message = d.message.clone();
    if let Some(help) = &d.help {
        message.push_str("\nhelp: ");
        message.push_str(help);
    }
    Some(format!("::{kind} {props}::{}", escape_data(&message)))
}

impl Emitter for Github {
    fn emit(&self, report: &Report, out: &mut dyn std::io::Write) -> std::io::Result<()> {
        for d in report.diagnostics {
            if let Some(c) = command(report, d) {
                writeln!(out, "{c}")?;
            }
        }
        Ok(())
    }
}
