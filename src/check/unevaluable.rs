#![doc = include_str!("unevaluable.md")]
//!
//! (This check's documentation is the Markdown file above: `depwindow rule DW003`, SARIF
//! help and the README show it, its placeholders filled from a rule.)

use super::registry::{CheckInfo, Decides};
use crate::diagnostic::Severity;

pub(crate) const INFO: CheckInfo = CheckInfo {
    code: "DW003",
    name: "unevaluable",
    default_severity: Severity::Warning,
    doc: include_str!("unevaluable.md"),
    decides: Decides::Elsewhere,
};

// Decided by the parsers: a `manifest::Problem` of this kind becomes the finding
// (`super::problem_diagnostics`).
