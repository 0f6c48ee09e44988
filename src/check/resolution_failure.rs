#![doc = include_str!("resolution_failure.md")]
//!
//! (This check's documentation is the Markdown file above: `depwindow rule DW106`, SARIF
//! help and the README show it, its placeholders filled from a rule.)

use super::registry::{CheckInfo, Decides};
use crate::diagnostic::Severity;

pub(crate) const INFO: CheckInfo = CheckInfo {
    code: "DW106",
    name: "resolution-failure",
    default_severity: Severity::Error,
    doc: include_str!("resolution_failure.md"),
    decides: Decides::Elsewhere,
};

// Decided by `depwindow check --resolve` from a real resolver's answer: `crate::resolve`.
