#![doc = include_str!("resolved_outside.md")]
//!
//! (This check's documentation is the Markdown file above: `depwindow rule DW107`, SARIF
//! help and the README show it, its placeholders filled from a rule.)

use super::registry::{CheckInfo, Decides};
use crate::diagnostic::Severity;

pub(crate) const INFO: CheckInfo = CheckInfo {
    code: "DW107",
    name: "resolved-outside",
    default_severity: Severity::Warning,
    doc: include_str!("resolved_outside.md"),
    decides: Decides::Elsewhere,
};

// Decided by `depwindow check --resolve` from a real resolver's answer: `crate::resolve`.
