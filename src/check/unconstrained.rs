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

use super::evaluate::{Combined, Input};
use super::verdict::{Detail, FixIntent, PyVerdict};
use super::Check;
use crate::manifest::{Role, VersionReq};

/// Nothing on the package applies where the trigger is required, and absence is a finding
/// for this rule and unit: pip takes whatever the trigger's own range allows. Not a finding
/// when the lockfile beside the declaration pins the package (the lock's own verdict
/// stands).
/// Whether every requirement on the package is a bare name (`numpy`, Pipfile `"*"`, a conda
/// bare name, Poetry `"*"`): they constrain nothing, so the package is unconstrained, with
/// pre-releases allowed or not (`--pre`, Pipfile `allow_prereleases`: pip's pick then comes
/// from the declared range with its pre-releases, [`Input::declared_outcome`]).
pub(super) fn only_bare(c: &Combined<'_>) -> bool {
    !c.firsts.is_empty()
        && c.firsts
            .iter()
            .all(|r| matches!(r.version, VersionReq::Any) && r.role != Role::Locked)
}

fn judge<'a>(input: &Input<'a, '_>, combined: Option<&Combined<'a>>) -> Option<PyVerdict<'a>> {
    let rule = input.rule;
    // The bare requirement the finding points at, when the package is named without a range.
    let bare = match combined {
        Some(c) if only_bare(c) => Some(c.firsts[0]),
        Some(_) => return None,
        None if !input.absence_claimable => return None,
        None => None,
    };
    if let Some(lock) = &input.opts.sibling_lock {
        if lock.pins.contains_key(&rule.package) {
            return None;
        }
    }
    // Under `--pre` (Pipfile `allow_prereleases`), which the file that requires the trigger
    // or a bare name on the package says, pip may pick a pre-release the declared range holds.
    let pre = input.hit.req.pre || combined.is_some_and(|c| c.firsts.iter().any(|r| r.pre));
    let (pick, leak) = input.declared_outcome(pre);
    Some(PyVerdict {
        check: Check::Unconstrained,
        severity: input.cap(rule.absence_severity),
        primary: bare.map_or(input.hit.req.loc(), |r| r.loc()),
        trigger: input.hit.clone(),
        detail: Detail::Unconstrained,
        // Nothing applies unless a bare name does (then `contributing` is empty already:
        // shared, not a new empty list per environment).
        contributing: match bare {
            Some(r) => vec![r].into(),
            None => input.contributing.clone(),
        },
        leak,
        admitted: Some(input.declared_with(pre).into_owned()),
        pick,
        fix: match bare {
            Some(r) => FixIntent::Narrow(r),
            None => FixIntent::InsertAfter(input.hit.req),
        },
    })
}
