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

use std::borrow::Cow;

use serde::Serialize;

use super::{resolve, Emitter, Report, Summary, TOOL_NAME};
use crate::diagnostic::{
    Applicability, Diagnostic, Pick, Place, ReleaseNames, ReleaseSummary, Severity,
};
use crate::source::Position;

pub(crate) const SCHEMA_VERSION: u32 = 2;

/// The `json` reporter: one document, compact unless `pretty`.
pub(crate) struct Json {
    pub(crate) pretty: bool,
}
pub(crate) struct JsonLines;

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
pub(crate) struct JsonDiagnostic<'a> {
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
    pythons: &'a [Cow<'static, str>],
    platforms: &'a [Cow<'static, str>],
    environments: &'a [Place],
    outside_released: &'a ReleaseNames,
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
    pub(crate) fn new(report: &Report<'a>, d: &'a Diagnostic) -> JsonDiagnostic<'a> {
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

/// Diagnostics rendered per batch by [`compact`]: each worker renders a slice of the batch,
/// then the slices are written in order. The batch bounds the memory the rendering holds
/// (a finding is about 2.7 KB of JSON; a batch of 4,096 raised the peak RSS on the
/// 2,000-project tree by 16 MB, the whole report is tens of megabytes).
const BATCH: usize = 512;

/// The compact document, byte for byte what serde writes for [`Document`], with the
/// diagnostics rendered in parallel: the head and tail come from the document with no
/// diagnostics, split where its empty list is.
fn compact(report: &Report, out: &mut dyn std::io::Write) -> std::io::Result<()> {
    let empty = Document {
        version: SCHEMA_VERSION,
        tool: Tool {
            name: TOOL_NAME,
            version: report.tool_version,
        },
        diagnostics: Vec::new(),
        summary: Summary::of(report),
    };
    let mut frame = Vec::new();
    super::json_line(&mut frame, &empty)?;
    // A quote inside a string value is escaped, so this text can only be the key itself.
    const LIST: &[u8] = b"\"diagnostics\":[]";
    let Some(at) = frame.windows(LIST.len()).position(|w| w == LIST) else {
        return Err(std::io::Error::other("JSON frame without its diagnostics"));
    };
    let split = at + LIST.len() - 1;
    out.write_all(&frame[..split])?;
    let shown: Vec<&Diagnostic> = report
        .diagnostics
        .iter()
        .filter(|d| report.show_suppressed || d.suppressed.is_none())
        .collect();
    // Up to 128 findings render on this thread without asking for the core count (which
    // reads cgroup files: a cost the one-small-file run would pay for nothing).
    let wanted = shown.len().div_ceil(128).max(1);
    let threads = if wanted == 1 {
        1
    } else {
        std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(1)
            .min(wanted)
    };
    let render = |part: &[&Diagnostic]| -> std::io::Result<Vec<u8>> {
        let mut buf = Vec::with_capacity(part.len() * 1024);
        for d in part {
            buf.push(b',');
            super::json_line(&mut buf, &JsonDiagnostic::new(report, d))?;
        }
        Ok(buf)
    };
    let mut first = true;
    for batch in shown.chunks(BATCH) {
        let parts: Vec<std::io::Result<Vec<u8>>> = if threads > 1 {
            let size = batch.len().div_ceil(threads);
            std::thread::scope(|s| {
                let handles: Vec<_> = batch
                    .chunks(size)
                    .map(|part| s.spawn(move || render(part)))
                    .collect();
                handles
                    .into_iter()
                    .map(|h| {
                        h.join()
                            .unwrap_or_else(|_| Err(std::io::Error::other("JSON rendering failed")))
                    })
                    .collect()
            })
        } else {
            vec![render(batch)]
        };
        for part in parts {
            let part = part?;
            // The list's first element has no comma before it.
            let body = if first {
                &part[1.min(part.len())..]
            } else {
                &part[..]
            };
            first &= part.is_empty();
            out.write_all(body)?;
        }
    }
    out.write_all(&frame[split..])?;
    out.write_all(b"\n")
}

impl Emitter for Json {
    fn emit(&self, report: &Report, out: &mut dyn std::io::Write) -> std::io::Result<()> {
        if !self.pretty {
            return compact(report, out);
        }
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
        super::json_pretty(&mut *out, &doc)?;
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diagnostic::Check;
    use crate::files::Files;
    use crate::manifest::Loc;
    use crate::source::Span;

    /// The parallel compact writer prints exactly what serde prints for the whole document,
    /// for no finding, a few (one thread), and more than one batch (several threads),
    /// suppressed findings shown or not.
    #[test]
    fn compact_is_serdes_document_byte_for_byte() {
        let mut files = Files::new(std::path::PathBuf::from("/p"));
        let text = "numpy>=1.16\n\u{1b}]x \"quoted\"\n".repeat(50);
        let id = files.add(std::path::Path::new("/p/requirements.txt"), text.as_bytes());
        let files = crate::source::Excerpts::whole(&files);
        for n in [0, 3, 2 * BATCH + 300] {
            let diagnostics: Vec<Diagnostic> = (0..n)
                .map(|i| {
                    let mut d = Diagnostic::problem(
                        Check::ParseError,
                        if i % 3 == 0 {
                            Severity::Error
                        } else {
                            Severity::Warning
                        },
                        Loc {
                            file: id,
                            span: Span::new(i % 100, i % 100 + 3),
                        },
                        format!("finding {i}: \"x\"\n\u{7}"),
                    );
                    if i % 7 == 0 {
                        d.suppressed = Some(format!("reason {i}"));
                    }
                    d
                })
                .collect();
            for show_suppressed in [false, true] {
                let report = Report {
                    files: &files,
                    diagnostics: &diagnostics,
                    tool_version: "0.0.0-test",
                    checked: 1,
                    show_suppressed,
                    fail_on: Severity::Error,
                };
                let doc = Document {
                    version: SCHEMA_VERSION,
                    tool: Tool {
                        name: TOOL_NAME,
                        version: report.tool_version,
                    },
                    diagnostics: diagnostics
                        .iter()
                        .filter(|d| show_suppressed || d.suppressed.is_none())
                        .map(|d| JsonDiagnostic::new(&report, d))
                        .collect(),
                    summary: Summary::of(&report),
                };
                let mut want = Vec::new();
                crate::report::json_line(&mut want, &doc).unwrap();
                want.push(b'\n');
                let mut got = Vec::new();
                Json { pretty: false }.emit(&report, &mut got).unwrap();
                assert!(
                    got == want,
                    "{n} findings, show_suppressed {show_suppressed}"
                );
                let mut pretty = Vec::new();
                Json { pretty: true }.emit(&report, &mut pretty).unwrap();
                let a: serde_json::Value = serde_json::from_slice(&got).unwrap();
                let b: serde_json::Value = serde_json::from_slice(&pretty).unwrap();
                assert_eq!(a, b);
            }
        }
    }
}
