#![doc = include_str!("no_supported_python.md")]
//!
//! (This check's documentation is the Markdown file above: `depwindow rule DW104`, SARIF
//! help and the README show it, its placeholders filled from a rule.)

use super::registry::{CheckInfo, Decides};
use crate::diagnostic::Severity;

pub(crate) const INFO: CheckInfo = CheckInfo {
    code: "DW104",
    name: "no-supported-python",
    default_severity: Severity::Warning,
    doc: include_str!("no_supported_python.md"),
    decides: Decides::NoPython(judge),
};

use std::sync::Arc;

use pep440_rs::Version;

use crate::versions::Specifiers;

use super::evaluate::{admits_only_trigger, admits_trigger, is_trigger_name, req_set};
use super::verdict::{Judgement, NoWheels};
use super::{Options, Unit};
use crate::manifest::{Parsed, Requirement, Role, Syntax};
use crate::python::{allows_newer_than, allows_python};
use crate::rules::Rule;
use crate::versions::VersionSet;

/// Called when no target environment is left: a finding when the file's `requires-python`
/// itself excludes every Python of the trigger (not `--python` or `--platform`) and the unit
/// requires the trigger (a constraint alone installs nothing; a requirement whose marker
/// holds on no allowed Python is never installed) with a range that either
/// admits nothing else, or admits no release with a wheel for any Python the file allows
/// ([`no_wheels`]). A bare `tensorflow` wants a newer release, which supports the project's
/// Python: no finding.
fn judge<'a>(
    parsed: &'a Parsed,
    unit: &Unit<'a>,
    rule: &Rule,
    opts: &Options,
) -> Option<Judgement<'a>> {
    let (spec, loc) = parsed.requires_python.as_ref()?;
    if rule.trigger.pythons.iter().any(|p| allows_python(spec, p)) {
        return None;
    }
    let candidates = unit.all_requirements().into_iter().filter(|r| {
        is_trigger_name(rule, &r.name, opts)
            && r.role != Role::Constrain
            && admits_trigger(rule, r)
            && may_apply(r, spec)
    });
    let mut found: Option<(&'a Requirement, NoWheels)> = None;
    for r in candidates {
        if admits_only_trigger(rule, r) {
            return Some(Judgement::NoSupportedPython {
                requires_python: *loc,
                trigger: r,
                no_wheels: None,
            });
        }
        if found.is_none() {
            found = no_wheels(rule, spec, r).map(|n| (r, n));
        }
    }
    let (trigger, no_wheels) = found?;
    Some(Judgement::NoSupportedPython {
        requires_python: *loc,
        trigger,
        no_wheels: Some(no_wheels),
    })
}

/// Whether `r`'s marker may hold on some Python `spec` allows: a requirement under
/// `python_version < "3.8"` in a project that requires 3.8 is never installed, so pip never
/// fails on it. A range that cannot be written as a marker (too many clauses for the guard)
/// leaves the requirement applying, as before markers were looked at.
fn may_apply(r: &Requirement, spec: &Specifiers) -> bool {
    if r.marker().is_true() {
        return true;
    }
    let clauses: Vec<String> = spec
        .iter()
        .map(|s| {
            let text = s.to_string();
            let at = text.find(|c: char| c.is_ascii_digit()).unwrap_or(text.len());
            format!(
                "python_full_version {} '{}'",
                text[..at].trim(),
                text[at..].trim()
            )
        })
        .collect();
    if clauses.is_empty() {
        return true;
    }
    match crate::formats::guard::parse_marker(&clauses.join(" and ")) {
        Ok(range) => !r.marker().is_disjoint(&range),
        Err(_) => true,
    }
}

/// The Pythons 2.x that exist: 2.0-2.7. Python 3 minors are enumerated up to the newest
/// one the rule's `other-python-releases` list has a row for; past it, the future.
const NEWEST_PYTHON_2: u64 = 7;

/// The Pythons `spec` allows, when no release `r` admits has a wheel for any of them; None
/// when one does, or when the rule's data cannot tell:
/// - a Python of the trigger is never among them (the caller checked);
/// - a Python with a row in the rule's `other-python-releases` list: none of its versions
///   may be admitted (pre-releases count as admitted: a pre-release pip would install when
///   nothing else is left, so the claim stays conservative);
/// - an older or skipped Python with no row (2.6, 3.0-3.2): no wheels;
/// - a Python newer than the list (3.15, 4.0): only a release not made yet could have a
///   wheel for it, so `r` must admit no version newer than the newest known release of its
///   distribution (in any of the trigger's wheel lists).
///
/// Only for requirements pip installs from the package index: a conda match-spec is
/// installed from channels, whose builds per Python are not in the data.
pub(crate) fn no_wheels(rule: &Rule, spec: &Arc<Specifiers>, r: &Requirement) -> Option<NoWheels> {
    if r.syntax == Syntax::Conda {
        return None;
    }
    let table = rule.trigger.other_wheels.as_ref()?;
    let dist = r.name.as_ref();
    if !table.rows.iter().any(|(_, d, _)| d == dist) {
        return None;
    }
    let set = req_set(r)?;
    let admitted = |vs: &[Version]| vs.iter().any(|v| set.contains_any(v));
    let newest_series = table
        .rows
        .iter()
        .filter_map(|(p, _, _)| crate::python::series(p))
        .filter(|(major, _)| *major == 3)
        .max()?;
    let mut pythons = Vec::new();
    let series = (0..=NEWEST_PYTHON_2)
        .map(|m| (2, m))
        .chain((0..=newest_series.1).map(|m| (3, m)));
    for (major, minor) in series {
        let name = format!("{major}.{minor}");
        if rule.trigger.pythons.contains(&name) || !allows_python(spec, &name) {
            continue;
        }
        if table.versions(&name, dist).is_some_and(admitted) {
            return None;
        }
        pythons.push((major, minor));
    }
    let newer_than = if allows_newer_than(spec, newest_series) {
        let newest = newest_known(rule, dist)?;
        let upto = VersionSet::parse(&format!("<={newest}")).ok()?;
        if !set.allow_prereleases().is_subset(&upto) {
            return None;
        }
        Some((newest_series, newest))
    } else {
        None
    };
    if pythons.is_empty() && newer_than.is_none() {
        return None;
    }
    Some(NoWheels {
        pythons,
        newer_than,
    })
}

/// The newest release of `dist` in any of the trigger's wheel lists (placeholders removed).
fn newest_known(rule: &Rule, dist: &str) -> Option<Version> {
    let t = &rule.trigger;
    let by_python = [&t.wheels, &t.other_wheels]
        .into_iter()
        .flatten()
        .flat_map(|w| w.rows.iter())
        .filter(|(_, d, _)| d == dist)
        .filter_map(|(_, _, vs)| vs.get().last());
    let by_platform = t
        .platform_wheels
        .iter()
        .flat_map(|w| w.rows.iter())
        .filter(|(_, d, _, _)| d == dist)
        .filter_map(|(_, _, _, vs)| vs.get().last());
    by_python.chain(by_platform).max().cloned()
}
