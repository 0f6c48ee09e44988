#![doc = include_str!("unconstrained.md")]
//!
//! (This check's documentation is the Markdown file above: `depwindow rule DW102`, SARIF
//! help and the README show it, its placeholders filled from a rule.)

use super::registry::{CheckInfo, Decides};
use crate::diagnostic::Severity;

pub(crate) const INFO: CheckInfo = CheckInfo {
    code: "DW102",
    name: "unconstrained",
    default_severity: Severity::Error,
    doc: include_str!("unconstrained.md"),
    decides: Decides::PerPython { order: 1, judge },
};

use super::evaluate::{leaking, pip_pick, Combined, Input};
use super::verdict::{Detail, FixIntent, PyVerdict};
use super::Check;

/// Nothing on the package applies where the trigger is required, and absence is a finding
/// for this rule and unit: pip takes whatever the trigger's own range allows. Not a finding
/// when the lockfile beside the declaration pins the package (the lock's own verdict
/// stands).
fn judge<'a>(input: &Input<'a, '_>, combined: Option<&Combined<'a>>) -> Option<PyVerdict<'a>> {
    let rule = input.rule;
    if combined.is_some() || !input.absence_claimable {
        return None;
    }
    if let Some(lock) = &input.opts.sibling_lock {
        if lock.pins.contains_key(&rule.package) {
            return None;
        }
    }
    let pick = pip_pick(rule, &input.declared, &[], &input.py);
    Some(PyVerdict {
        check: Check::Unconstrained,
        severity: input.cap(rule.absence_severity),
        primary: input.hit.req.loc,
        trigger: input.hit.clone(),
        detail: Detail::Unconstrained,
        contributing: Vec::new(),
        leak: leaking(rule, &input.declared, &input.py),
        admitted: Some(input.declared.clone()),
        pick: pick.map(|(v, _)| v),
        fix: FixIntent::InsertAfter(input.hit.req),
    })
}
