//! `gitlab`: a GitLab Code Quality report, a JSON array of issues in the Code Climate
//! shape GitLab reads (docs.gitlab.com, "Code Quality report format"): `description`,
//! `check_name`, `fingerprint`, `severity`, `location.path`, `location.lines.begin`.
//! GitLab compares fingerprints between the base and the merge-request pipelines to tell
//! new findings from old, so they hash what the finding is about, not its line.
//! Suppressed findings are not reported.

use serde::Serialize;

use super::{one_line, resolve, Emitter, Fingerprints, Report};
use crate::diagnostic::Severity;

pub(crate) struct Gitlab;

#[derive(Serialize)]
struct Issue<'a> {
    #[serde(rename = "type")]
    kind: &'static str,
    description: String,
    check_name: &'a str,
    fingerprint: String,
    severity: &'static str,
    location: Location<'a>,
}

#[derive(Serialize)]
struct Location<'a> {
    path: &'a str,
    lines: Lines,
}

#[derive(Serialize)]
struct Lines {
    begin: usize,
    end: usize,
}

/// GitLab's severities are `info`, `minor`, `major`, `critical`, `blocker`.
fn severity(s: Severity) -> &'static str {
    match s {
        Severity::Error => "major",
        Severity::Warning => "minor",
        Severity::Info => "info",
    }
}

impl Emitter for Gitlab {
    fn emit(&self, report: &Report, out: &mut dyn std::io::Write) -> std::io::Result<()> {
        let mut fingerprints = Fingerprints::new();
        let issues = report
            .diagnostics
            .iter()
            // Fingerprint every finding, suppressed or not, before filtering, so a finding
            // gets the same fingerprint here as in SARIF (which keeps suppressed ones).
            .map(|d| (d, fingerprints.next(report.files, d)))
            .filter(|(d, _)| d.suppressed.is_none())
            .map(|(d, fingerprint)| {
                let at = resolve(report.files, &d.loc);
                Issue {
                    kind: "issue",
                    // GitLab shows the description on one line in the MR widget.
                    description: format!("{} [{}]", one_line(&d.message), d.code()),
                    check_name: d.check.name(),
                    fingerprint,
                    severity: severity(d.severity),
                    location: Location {
                        path: at.path,
                        lines: Lines {
                            begin: at.start.line,
                            end: at.end.line,
                        },
                    },
                }
            });
        super::json_pretty(&mut *out, &super::Streamed::new(issues))?;
        out.write_all(b"\n")
    }
}
