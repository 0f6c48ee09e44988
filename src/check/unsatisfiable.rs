#![doc = include_str!("unsatisfiable.md")]
//!
//! (This check's documentation is the Markdown file above: `depwindow rule DW103`, SARIF
//! help and the README show it, its placeholders filled from a rule.)

use super::registry::{CheckInfo, Decides};
use crate::diagnostic::Severity;

pub(crate) const INFO: CheckInfo = CheckInfo {
    code: "DW103",
    name: "unsatisfiable",
    default_severity: Severity::Error,
    doc: include_str!("unsatisfiable.md"),
    decides: Decides::PerPython { order: 0, judge },
};

use super::evaluate::{spec_loc, Combined, Input};
use super::pick::{no_pick, NoPick};
use super::verdict::{Detail, FixIntent, PyVerdict, Unsatisfiable};
use super::Check;

/// A_p (or A_p within the trigger's declared range) admits no version, or pip finds no
/// release to install from it on this Python (`pick.rs`: none published, none whose
/// Requires-Python admits the Python, or only yanked ones that are not pinned). An error
/// when the trigger is certain. When only the trigger's declared range is excluded and the
/// trigger's range is possible, pip installs another TensorFlow release (a warning that
/// says so); any other reason from a trigger that is not certain (its range, or a marker
/// whose value is unknown) is a warning. Asked before `outside-window`.
fn judge<'a>(input: &Input<'a, '_>, c: Option<&Combined<'a>>) -> Option<PyVerdict<'a>> {
    let c = c?;
    let rule = input.rule;
    if !c.a_decl.is_empty() && c.pick.is_some() {
        return None;
    }
    let primary = input
        .contributing
        .last()
        .map(|r| spec_loc(r))
        .unwrap_or(input.hit.req.loc());
    let reason = if c.a.is_empty() {
        Unsatisfiable::Conflict
    } else if c.a_decl.is_empty() && !input.hit.certain && !range_certain(input) {
        Unsatisfiable::KeepsTriggerOut
    } else if c.a_decl.is_empty() {
        Unsatisfiable::ExcludesDeclared
    } else {
        match no_pick(&rule.releases, &c.a_decl, &input.py) {
            NoPick::Unpublished => Unsatisfiable::Unpublished,
            NoPick::NotInstallable { excluded, yanked } => {
                Unsatisfiable::NotInstallable { excluded, yanked }
            }
        }
    };
    // An error only when pip surely installs the trigger here (issue 11 §1, §2): a possible
    // trigger, or one under a marker whose value is unknown, may not be installed at all.
    let severity = match reason {
        Unsatisfiable::KeepsTriggerOut => Severity::Warning,
        _ => input.cap(Severity::Error),
    };
    Some(PyVerdict {
        check: Check::Unsatisfiable,
        severity,
        primary,
        trigger: input.hit.clone(),
        detail: Detail::Unsatisfiable(reason),
        contributing: input.contributing.clone(),
        leak: Default::default(),
        admitted: None,
        pick: None,
        fix: FixIntent::None,
    })
}

/// The trigger's range alone would make it certain: it is possible only through a marker
/// whose value is unknown (`newer` is set when the range admits a newer release pip picks).
fn range_certain(input: &Input<'_, '_>) -> bool {
    input.hit.marker_unknown && input.hit.newer.is_none()
}
