//! `json` and `json-lines`: the core machine-readable schema. This is a contract; add
//! fields, never rename or remove them without bumping [`SCHEMA_VERSION`].
//!
//! ```text
//! {"version": 2, "tool": {"name", "version"}, "diagnostics": [...], "summary": {...}}
//! ```
//!
//! Field order is the struct order below (serde keeps it), so output is stable. The document
//! is compact (one line) by default and indented with `--pretty`; both parse to the same
//! value.

use serde::Serialize;

use super::{resolve, Emitter, Report, Summary, TOOL_NAME};
use crate::diagnostic::{Applicability, Diagnostic, Pick, Place, ReleaseSummary, Severity};
use crate::source::Position;

pub const SCHEMA_VERSION: u32 = 2;

/// The `json` reporter: one document, compact unless `pretty`.
pub struct Json {
    pub pretty: bool,
}
pub struct JsonLines;

#[derive(Serialize)]
struct Document<'a> {
    version: u32,
    tool: Tool<'a>,
    diagnostics: Vec<JsonDiagnostic<'a>>,
    summary: Summary,
}

#[derive(Serialize)]
struct Tool<'a> {
    name: &'a str,
    version: &'a str,
}

/// One finding, as both `json` and `json-lines` print it.
#[derive(Serialize)]
pub struct JsonDiagnostic<'a> {
    code: &'a str,
    check: &'a str,
    rule: Option<&'a str>,
    severity: Severity,
    message: &'a str,
    notes: &'a [String],
    path: &'a str,
    start: Position,
    end: Position,
    package: Option<&'a str>,
    window: Option<&'a str>,
    pythons: &'a [String],
    platforms: &'a [String],
    environments: &'a [Place],
    outside_released: &'a [String],
    outside_released_summary: &'a ReleaseSummary,
    outside_installable: &'a ReleaseSummary,
    pip_would_pick: &'a [Pick],
    related: Vec<JsonRelated<'a>>,
    fix: Option<JsonFix<'a>>,
    help: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    suppressed: Option<Suppressed<'a>>,
}

#[derive(Serialize)]
struct JsonRelated<'a> {
    path: &'a str,
    start: Position,
    end: Position,
    message: &'a str,
}

#[derive(Serialize)]
struct JsonFix<'a> {
    path: &'a str,
    start: Position,
    end: Position,
    replacement: &'a str,
    applicability: Applicability,
    reason: Option<&'a str>,
}

#[derive(Serialize)]
struct Suppressed<'a> {
    reason: &'a str,
}

impl<'a> JsonDiagnostic<'a> {
    pub fn new(report: &Report<'a>, d: &'a Diagnostic) -> JsonDiagnostic<'a> {
        let files = report.files;
        let at = resolve(files, &d.loc);
        JsonDiagnostic {
            code: d.code(),
            check: d.check.name(),
            rule: d.rule.as_deref(),
            severity: d.severity,
            message: &d.message,
            notes: &d.notes,
            path: at.path,
            start: at.start,
            end: at.end,
            package: d.package.as_deref(),
            window: d.window.as_deref(),
            pythons: &d.pythons,
            platforms: &d.platforms,
            environments: &d.environments,
            outside_released: &d.outside_released,
            outside_released_summary: &d.outside_released_summary,
            outside_installable: &d.outside_installable,
            pip_would_pick: &d.pip_would_pick,
            related: d
                .related
                .iter()
                .map(|r| {
                    let at = resolve(files, &r.loc);
                    JsonRelated {
                        path: at.path,
                        start: at.start,
                        end: at.end,
                        message: &r.message,
                    }
                })
                .collect(),
            fix: d.fix.as_ref().map(|f| {
                let at = resolve(files, &f.loc);
                JsonFix {
                    path: at.path,
                    start: at.start,
                    end: at.end,
                    replacement: &f.replacement,
                    applicability: f.applicability,
                    reason: f.reason.as_deref(),
                }
            }),
            help: d.help.as_deref(),
            suppressed: d.suppressed.as_deref().map(|reason| Suppressed { reason }),
        }
    }
}

impl Emitter for Json {
    fn emit(&self, report: &Report, out: &mut dyn std::io::Write) -> std::io::Result<()> {
        let doc = Document {
            version: SCHEMA_VERSION,
            tool: Tool {
                name: TOOL_NAME,
                version: report.tool_version,
            },
            diagnostics: report
                .diagnostics
                .iter()
                .filter(|d| report.show_suppressed || d.suppressed.is_none())
                .map(|d| JsonDiagnostic::new(report, d))
                .collect(),
            summary: Summary::of(report),
        };
        if self.pretty {
            super::json_pretty(&mut *out, &doc)?;
        } else {
            super::json_line(&mut *out, &doc)?;
        }
        out.write_all(b"\n")
    }
}

impl Emitter for JsonLines {
    fn emit(&self, report: &Report, out: &mut dyn std::io::Write) -> std::io::Result<()> {
        for d in report
            .diagnostics
            .iter()
            .filter(|d| report.show_suppressed || d.suppressed.is_none())
        {
            // Control characters are escaped, so each object stays on one line.
            super::json_line(&mut *out, &JsonDiagnostic::new(report, d))?;
            out.write_all(b"\n")?;
        }
        Ok(())
    }
}
