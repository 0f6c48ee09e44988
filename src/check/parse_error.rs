#![doc = include_str!("parse_error.md")]
//!
//! (This check's documentation is the Markdown file above: `depwindow rule DW001`, SARIF
//! help and the README show it, its placeholders filled from a rule.)

use super::registry::{CheckInfo, Decides};
use crate::diagnostic::Severity;

pub(crate) const INFO: CheckInfo = CheckInfo {
    code: "DW001",
    name: "parse-error",
    default_severity: Severity::Error,
    doc: include_str!("parse_error.md"),
    decides: Decides::Elsewhere,
};

// Decided by the parsers: a `manifest::Problem` of this kind becomes the finding
// (`super::problem_diagnostics`).
