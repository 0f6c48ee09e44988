#![doc = include_str!("lock_incomplete.md")]
//!
//! (This check's documentation is the Markdown file above: `depwindow rule DW105`, SARIF
//! help and the README show it, its placeholders filled from a rule.)

use super::registry::{CheckInfo, Decides};
use crate::diagnostic::Severity;

pub(crate) const INFO: CheckInfo = CheckInfo {
    code: "DW105",
    name: "lock-incomplete",
    default_severity: Severity::Warning,
    doc: include_str!("lock_incomplete.md"),
    decides: Decides::PerPython { order: 0, judge },
};

use super::evaluate::{Combined, Input};
use super::verdict::{Detail, FixIntent, PyVerdict};
use super::Check;
use crate::manifest::Role;

/// A lockfile pins the trigger, nothing on the package applies, and absence is a finding
/// for this rule and unit. Asked before `unconstrained`.
fn judge<'a>(input: &Input<'a, '_>, combined: Option<&Combined<'a>>) -> Option<PyVerdict<'a>> {
    let hit = input.hit;
    if combined.is_some() || !input.absence_claimable || hit.req.role != Role::Locked {
        return None;
    }
    Some(PyVerdict {
        check: Check::LockIncomplete,
        severity: input.cap(Severity::Warning),
        primary: hit.req.loc(),
        trigger: hit.clone(),
        detail: Detail::LockIncomplete,
        contributing: Default::default(),
        leak: Default::default(),
        admitted: None,
        pick: None,
        fix: FixIntent::None,
    })
}
