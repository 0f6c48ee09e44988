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

use super::evaluate::{count_outside_upto, leaking, req_set, spec_loc, Combined, Input};
use super::verdict::{Detail, FixIntent, PyVerdict};
use super::Check;
use crate::manifest::Requirement;
use crate::versions::VersionSet;

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
    // The same for every environment sharing `c`.
    let (witness, above_decl) = input
        .by_python
        .witnesses
        .get_or_init(|| {
            (
                c.a.witness_outside(&window.set),
                c.a_decl.witness_outside(&window.set),
            )
        })
        .clone();
    let witness = witness?;
    let severity = if above_decl.is_some() {
        rule.severity
    } else {
        Severity::Warning
    };
    let probe = above_decl.clone().unwrap_or(witness.clone());
    // Picked once for the environments that share `c` (`LastContributing::offender`).
    let least = input.offender.get().unwrap_or_else(|| {
        let least = least_leaking(&c.firsts, &probe, |s, limit| {
            count_outside_upto(rule, s, limit)
        });
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
        leak: input.by_python(|k| {
            k.leak
                .get_or_insert_with(|| leaking(rule, &c.a_decl, &input.py))
                .clone()
        }),
        admitted: Some(c.a.clone()),
        pick: c.pick,
        fix: FixIntent::Narrow(offender),
    })
}

/// Among `firsts`, the requirement (its index) whose own set lets `probe` in and lets in the
/// fewest releases outside the window (`count`), the first of them on a tie; None when no
/// set lets `probe` in. `count(set, limit)` counts up to `limit` (a set that reaches the
/// best count so far cannot beat it, so its count stops there). Each requirement's own set is built here (`Combined` keeps none) and
/// dropped. The firsts already stand for runs of requirements written alike; a set that
/// repeats further apart is counted again (a bounded walk over the rule's outside releases),
/// which costs less than remembering every set: hashing 525k distinct sets into a map took
/// most of the time of an 8 MiB constraints file.
fn least_leaking(
    firsts: &[&Requirement],
    probe: &pep440_rs::Version,
    count: impl Fn(&VersionSet, usize) -> usize,
) -> Option<usize> {
    let mut best: Option<(usize, usize)> = None;
    for (i, &r) in firsts.iter().enumerate() {
        let Some(s) = req_set(r) else { continue };
        if !s.contains_any(probe) {
            continue;
        }
        let limit = best.map_or(usize::MAX, |(_, m)| m);
        let n = count(&s, limit);
        if n < limit {
            best = Some((i, n));
        }
    }
    best.map(|(i, _)| i)
}
