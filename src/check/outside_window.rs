#![doc = include_str!("outside_window.md")]
//!
//! (This check's documentation is the Markdown file above: `depwindow rule DW101`, SARIF
//! help and the README show it, its placeholders filled from a rule.)

use super::registry::{CheckInfo, Decides};
use crate::diagnostic::Severity;

pub(crate) const INFO: CheckInfo = CheckInfo {
    code: "DW101",
    name: "outside-window",
    default_severity: Severity::Error,
    doc: include_str!("outside_window.md"),
    decides: Decides::PerPython { order: 1, judge },
};

use super::evaluate::{count_outside, leaking, req_set, spec_loc, Combined, Input};
use super::verdict::{Detail, FixIntent, PyVerdict};
use super::Check;
use crate::manifest::Requirement;
use crate::versions::VersionSet;
use std::collections::HashMap;

/// A_p admits a version outside the window. The severity is the rule's when pip can get
/// there (A_p within the trigger's declared range leaks), a warning when only the trigger's
/// own range keeps it inside. The offender is, among the requirements that let the outside
/// versions in, the one whose own set leaks the least: it sets A_p's edge.
fn judge<'a>(input: &Input<'a, '_>, c: Option<&Combined<'a>>) -> Option<PyVerdict<'a>> {
    let c = c?;
    if super::unconstrained::only_bare(c) {
        // A bare name constrains nothing: `unconstrained` reports it (one name for one
        // situation).
        return None;
    }
    let rule = input.rule;
    let window = &rule.window;
    let witness = c.a.witness_outside(&window.set)?;
    let above_decl = c.a_decl.witness_outside(&window.set);
    let severity = if above_decl.is_some() {
        rule.severity
    } else {
        Severity::Warning
    };
    let probe = above_decl.clone().unwrap_or(witness.clone());
    // Picked once for the environments that share `c` (`LastContributing::offender`).
    let least = input.offender.get().unwrap_or_else(|| {
        let least = least_leaking(&c.firsts, &probe, |s| count_outside(rule, s));
        input.offender.set(Some(least));
        least
    });
    let offender = least.map_or(input.contributing[0], |i| c.firsts[i]);
    Some(PyVerdict {
        check: Check::OutsideWindow,
        severity: input.cap(severity),
        primary: spec_loc(offender),
        trigger: input.hit.clone(),
        detail: Detail::OutsideWindow {
            offender,
            witness,
            only_below_declared: above_decl.is_none(),
        },
        contributing: input.contributing.clone(),
        leak: leaking(rule, &c.a_decl, &input.py),
        admitted: Some(c.a.clone()),
        pick: c.pick,
        fix: FixIntent::Narrow(offender),
    })
}

/// Among `firsts`, the requirement (its index) whose own set lets `probe` in and lets in the
/// fewest releases outside the window (`count`), the first of them on a tie; None when no
/// set lets `probe` in. Sets repeat (the same specifier on many lines, in many extras): each
/// distinct one is tested and counted once. Each requirement's own set is built here
/// (`Combined` keeps none).
fn least_leaking(
    firsts: &[&Requirement],
    probe: &pep440_rs::Version,
    count: impl Fn(&VersionSet) -> usize,
) -> Option<usize> {
    let mut known: HashMap<VersionSet, Option<usize>> = HashMap::new();
    let mut best: Option<(usize, usize)> = None;
    for (i, &r) in firsts.iter().enumerate() {
        let Some(s) = req_set(r) else { continue };
        let n = *known
            .entry(s)
            .or_insert_with_key(|s| s.contains_any(probe).then(|| count(s)));
        if let Some(n) = n {
            if best.is_none_or(|(_, m)| n < m) {
                best = Some((i, n));
            }
        }
    }
    best.map(|(i, _)| i)
}
