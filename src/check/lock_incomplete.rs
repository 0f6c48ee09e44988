#![doc = include_str!("lock_incomplete.md")]
//!
//! (This check's documentation is the Markdown file above: `depwindow rule DW105`, SARIF
//! help and the README show it, its placeholders filled from a rule.)

use super::registry::CheckInfo;
use crate::diagnostic::Severity;

pub(crate) const INFO: CheckInfo = CheckInfo {
    code: "DW105",
    name: "lock-incomplete",
    default_severity: Severity::Warning,
    doc: include_str!("lock_incomplete.md"),
};

use super::evaluate::Input;
use super::verdict::{Detail, FixIntent, PyVerdict};
use super::Check;
use crate::manifest::Role;

/// A lockfile pins the trigger and nothing on the package applies (the caller has
/// established both, and that absence is a finding for this rule and unit).
pub(super) fn judge<'a>(input: &Input<'a, '_>) -> Option<PyVerdict<'a>> {
    let hit = input.hit;
    if hit.req.role != Role::Locked {
        return None;
    }
    Some(PyVerdict {
        check: Check::LockIncomplete,
        severity: Severity::Warning,
        primary: hit.req.loc,
        trigger: hit.clone(),
        detail: Detail::LockIncomplete,
        contributing: Vec::new(),
        leak: Vec::new(),
        outside: None,
        pick: None,
        fix: FixIntent::None,
    })
}
