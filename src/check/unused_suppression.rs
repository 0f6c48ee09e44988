#![doc = include_str!("unused_suppression.md")]
//!
//! (This check's documentation is the Markdown file above: `depwindow rule DW201`, SARIF
//! help and the README show it, its placeholders filled from a rule.)

use super::registry::{CheckInfo, Decides};
use crate::diagnostic::Severity;

pub(crate) const INFO: CheckInfo = CheckInfo {
    code: "DW201",
    name: "unused-suppression",
    default_severity: Severity::Warning,
    doc: include_str!("unused_suppression.md"),
    decides: Decides::Elsewhere,
};

// Decided after evaluation, over every finding a suppression comment could cover:
// `crate::suppress`.
