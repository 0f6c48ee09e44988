//! The evaluator: units × rules × Pythons → [`Verdict`]s. Pure: no I/O, no text. Each
//! check's own decision lives in its file (`outside_window.rs`, ...); this module works out
//! what they decide on (the trigger hit, A_p, the pick) and in which order they are asked.

use std::str::FromStr;

use pep440_rs::{Operator, Version};
use pep508_rs::PackageName;

use super::registry::Decides;
use super::verdict::{Judgement, PyVerdict, TriggerHit, Verdict};
use super::{units, Check, Options, Unit};
use crate::diagnostic::Severity;
use crate::manifest::{Loc, Parsed, Requirement, Role, VersionReq};
use crate::markers;
use crate::rules::releases::Status;
use crate::rules::Rule;
use crate::versions::VersionSet;

/// Judge every unit of a parsed file against every rule.
pub(crate) fn evaluate<'a>(
    parsed: &'a Parsed,
    rules: &'a [Rule],
    opts: &Options,
) -> Vec<Verdict<'a>> {
    let mut out = Vec::new();
    // `requires-python` is tested once per distinct Python, not once per rule.
    let mut admitted: Vec<(&str, bool)> = Vec::new();
    let pythons: Vec<Vec<String>> = rules
        .iter()
        .map(|r| pythons_for(r, parsed, opts, &mut admitted))
        .collect();
    for unit in units(parsed) {
        // A unit that names no trigger distribution cannot trigger any rule.
        if !unit.requirements.iter().any(|r| {
            rules
                .iter()
                .any(|rule| is_trigger_name(rule, &r.name, opts))
        }) {
            continue;
        }
        // Rules loaded from one file share their trigger: find its requirement once per
        // Python, not once per rule.
        let mut hits = TriggerHits::default();
        for (rule, pythons) in rules.iter().zip(&pythons) {
            judge_unit(parsed, &unit, rule, pythons, opts, &mut hits, &mut out);
        }
    }
    out
}

/// The Pythons to consider for a rule in a file: the trigger's, narrowed by the file's
/// `requires-python` and the configured list.
/// `admitted` caches `allows_python` for the file's `requires-python`.
fn pythons_for<'r>(
    rule: &'r Rule,
    parsed: &Parsed,
    opts: &Options,
    admitted: &mut Vec<(&'r str, bool)>,
) -> Vec<String> {
    rule.trigger
        .pythons
        .iter()
        .filter(|p| opts.pythons.as_ref().is_none_or(|list| list.contains(p)))
        .filter(|p| match &parsed.requires_python {
            None => true,
            Some((spec, _)) => match admitted.iter().find(|(q, _)| q == p) {
                Some(&(_, ok)) => ok,
                None => {
                    let ok = crate::python::allows_python(spec, p);
                    admitted.push((p.as_str(), ok));
                    ok
                }
            },
        })
        .cloned()
        .collect()
}

/// `trigger_on` results of one unit, by trigger (its address) and Python: the answer
/// depends only on the trigger, the unit and the options.
#[derive(Default)]
struct TriggerHits<'a, 'r> {
    known: Vec<(
        *const crate::rules::Trigger,
        &'r str,
        Option<TriggerHit<'a>>,
    )>,
}

impl<'a, 'r> TriggerHits<'a, 'r> {
    fn get(
        &mut self,
        rule: &Rule,
        unit: &Unit<'a>,
        p: &'r str,
        opts: &Options,
    ) -> Option<TriggerHit<'a>> {
        let key = std::sync::Arc::as_ptr(&rule.trigger);
        if let Some((_, _, hit)) = self.known.iter().find(|(t, q, _)| *t == key && *q == p) {
            return hit.clone();
        }
        let hit = trigger_on(rule, unit, p, opts);
        self.known.push((key, p, hit.clone()));
        hit
    }
}

#[allow(clippy::too_many_arguments)]
fn judge_unit<'a, 'r>(
    parsed: &'a Parsed,
    unit: &Unit<'a>,
    rule: &'a Rule,
    pythons: &'r [String],
    opts: &Options,
    hits: &mut TriggerHits<'a, 'r>,
    out: &mut Vec<Verdict<'a>>,
) {
    let verdict = |judgement| Verdict {
        unit_kind: unit.kind,
        unit_name: unit.name,
        rule,
        judgement,
    };
    if pythons.is_empty() {
        for judge in per_unit_checks() {
            if let Some(judgement) = judge(parsed, unit, rule, opts) {
                out.push(verdict(judgement));
            }
        }
        return;
    }
    let mut per_python: Vec<(String, PyVerdict<'a>)> = Vec::new();
    for p in pythons {
        if !rule.holds_on(p) {
            continue;
        }
        let Some(hit) = hits.get(rule, unit, p, opts) else {
            continue;
        };
        if let Some(v) = judge_python(unit, rule, p, &hit, opts) {
            per_python.push((p.clone(), v));
        }
    }
    // Merge the Pythons that reach the same finding.
    let mut groups: Vec<Vec<(String, PyVerdict<'a>)>> = Vec::new();
    for item in per_python {
        let key = (item.1.check, item.1.primary);
        match groups
            .iter_mut()
            .find(|g| (g[0].1.check, g[0].1.primary) == key)
        {
            Some(g) => g.push(item),
            None => groups.push(vec![item]),
        }
    }
    out.extend(groups.into_iter().map(|g| verdict(Judgement::PerPython(g))));
}

/// How a check that the evaluator asks per (unit, rule, Python) decides: from what is known
/// there, and A_p when some requirement on the package applies (None: none does).
pub(crate) type Judge =
    for<'a, 'x> fn(&Input<'a, 'x>, Option<&Combined<'a>>) -> Option<PyVerdict<'a>>;

/// How a check asked per (unit, rule) when no Python is left decides.
pub(crate) type UnitJudge =
    for<'a> fn(&'a Parsed, &Unit<'a>, &Rule, &Options) -> Option<Judgement<'a>>;

/// The per-Python checks of the registry, in the order they are asked (the first that finds
/// something gives the verdict).
fn per_python_checks() -> &'static [Judge] {
    static CHECKS: std::sync::OnceLock<Vec<Judge>> = std::sync::OnceLock::new();
    CHECKS.get_or_init(|| {
        let mut v: Vec<(u8, Judge)> = Check::ALL
            .iter()
            .filter_map(|c| match c.info().decides {
                Decides::PerPython { order, judge } => Some((order, judge)),
                _ => None,
            })
            .collect();
        v.sort_by_key(|(order, _)| *order);
        v.into_iter().map(|(_, j)| j).collect()
    })
}

/// The per-unit checks of the registry (asked when no Python is left).
fn per_unit_checks() -> impl Iterator<Item = UnitJudge> {
    Check::ALL.iter().filter_map(|c| match c.info().decides {
        Decides::NoPython(judge) => Some(judge),
        _ => None,
    })
}

/// What the checks of one (unit, rule, Python) decide on, once the trigger is known to be
/// required.
pub(crate) struct Input<'a, 'x> {
    pub rule: &'x Rule,
    pub hit: &'x TriggerHit<'a>,
    pub opts: &'x Options,
    pub py: Version,
    /// The trigger's declared range on the package (everything when an override replaces it).
    pub declared: VersionSet,
    /// The requirements on the package that apply on this Python (overrides alone when
    /// there are any).
    pub contributing: Vec<&'a Requirement>,
    /// The package's absence may be claimed: the rule makes it a finding, and nothing in
    /// the unit is unevaluable (`${VAR}`, a computed install_requires may name it).
    pub absence_claimable: bool,
}

impl Input<'_, '_> {
    /// A finding that holds only if the trigger is installed is at most a warning.
    pub fn cap(&self, s: Severity) -> Severity {
        if self.hit.certain {
            s
        } else {
            s.min(Severity::Warning)
        }
    }
}

/// A_p and what follows from it, when some requirement on the package applies.
pub(crate) struct Combined<'a> {
    /// Each contributing requirement with its own set.
    pub sets: Vec<(&'a Requirement, VersionSet)>,
    /// A_p: every requirement, constraint and lock pin that applies, combined.
    pub a: VersionSet,
    /// A_p ∩ the trigger's declared range.
    pub a_decl: VersionSet,
    /// What pip would pick from `a_decl`.
    pub pick: Option<(String, bool)>,
}

fn judge_python<'a>(
    unit: &Unit<'a>,
    rule: &Rule,
    p: &str,
    hit: &TriggerHit<'a>,
    opts: &Options,
) -> Option<PyVerdict<'a>> {
    let pkg_reqs: Vec<&'a Requirement> = unit
        .requirements
        .iter()
        .copied()
        .filter(|r| r.name == rule.package && markers::can_hold(&r.marker, p, &unit.extras))
        .collect();
    let overrides: Vec<&'a Requirement> = pkg_reqs
        .iter()
        .copied()
        .filter(|r| r.role == Role::Override)
        .collect();
    // uv's override-dependencies replace every other requirement on the package, the
    // trigger's declared range included.
    let contributing: Vec<&'a Requirement> = if overrides.is_empty() {
        pkg_reqs.clone()
    } else {
        overrides.clone()
    };
    let py = Version::from_str(p).ok()?;
    let declared = match (&rule.declared, overrides.is_empty()) {
        (Some(d), true) => d.set.clone(),
        _ => VersionSet::full(),
    };
    let input = Input {
        rule,
        hit,
        opts,
        py,
        declared,
        contributing,
        absence_claimable: rule.absence_is_finding && !unit.unevaluable,
    };
    let judge = |combined: Option<&Combined<'a>>| {
        per_python_checks()
            .iter()
            .find_map(|judge| judge(&input, combined))
    };
    if input.contributing.is_empty() {
        return judge(None);
    }

    let mut sets: Vec<(&'a Requirement, VersionSet)> = Vec::new();
    for r in &input.contributing {
        match req_set(r) {
            Some(s) => sets.push((r, s)),
            // A direct reference: the version is whatever the URL builds; cannot judge.
            None => return None,
        }
    }
    // Lock pins that apply on the same Python are alternatives (forked resolutions: which
    // one installs depends on other markers), so they are united; everything else is
    // intersected, as pip combines specifier sets.
    let locked = sets
        .iter()
        .filter(|(r, _)| r.role == Role::Locked)
        .map(|(_, s)| s.clone())
        .reduce(|a, b| a.union(&b));
    let a = VersionSet::intersect_all(
        locked.into_iter().chain(
            sets.iter()
                .filter(|(r, _)| r.role != Role::Locked)
                .map(|(_, s)| s.clone()),
        ),
    );
    let a_decl = a.intersect(&input.declared);
    let pick = pip_pick(rule, &a_decl, &input.contributing, &input.py);
    judge(Some(&Combined {
        sets,
        a,
        a_decl,
        pick,
    }))
}

pub(super) fn is_trigger_name(rule: &Rule, name: &PackageName, opts: &Options) -> bool {
    rule.trigger.distributions.contains(name)
        || (opts.conda && rule.trigger.conda_distributions.contains(name))
}

/// The versions a requirement admits (None: a direct reference, which names none).
pub(super) fn req_set(r: &Requirement) -> Option<VersionSet> {
    let set = match &r.version {
        VersionReq::Any => VersionSet::full(),
        VersionReq::Specifiers { specifiers, .. } => VersionSet::from_specifiers(specifiers),
        VersionReq::AnyOf { alternatives, .. } => {
            let mut it = alternatives.iter().map(VersionSet::from_specifiers);
            let first = it.next().unwrap_or_else(VersionSet::empty);
            it.fold(first, |acc, s| acc.union(&s))
        }
        VersionReq::Exact { version, .. } => VersionSet::exact(version),
        // A direct reference names no version: we cannot know what it installs.
        VersionReq::Unversioned => return None,
    };
    Some(if r.pre { set.allow_prereleases() } else { set })
}

pub(super) fn admits_trigger(rule: &Rule, r: &Requirement) -> bool {
    match req_set(r) {
        None => false,
        Some(s) => trigger_versions(rule).iter().any(|v| s.contains(v)),
    }
}

/// Concrete trigger versions (`==1.14.0` -> 1.14.0).
fn trigger_versions(rule: &Rule) -> Vec<Version> {
    rule.trigger
        .version
        .specifiers
        .iter()
        .filter(|s| matches!(s.operator(), Operator::Equal | Operator::ExactEqual))
        .map(|s| s.version().clone())
        .collect()
}

fn trigger_on<'a>(rule: &Rule, unit: &Unit<'a>, p: &str, opts: &Options) -> Option<TriggerHit<'a>> {
    let tvs = trigger_versions(rule);
    let mut best: Option<TriggerHit<'a>> = None;
    // Every name in `distributions` is a trigger name; a conda name is one when conda names
    // count or it is in `distributions` too ([`is_trigger_name`]). Asking that of every
    // `distributions` entry searched the list once per entry: quadratic in a rule file's
    // list (issue 15 §4).
    let conda = rule
        .trigger
        .conda_distributions
        .iter()
        .filter(|d| is_trigger_name(rule, d, opts));
    for dist in rule.trigger.distributions.iter().chain(conda) {
        let reqs: Vec<&Requirement> = unit
            .requirements
            .iter()
            .copied()
            .filter(|r| &r.name == dist && markers::can_hold(&r.marker, p, &unit.extras))
            .collect();
        // A constraint never installs anything: it needs a requirement beside it.
        let Some(first) = reqs.iter().find(|r| r.role != Role::Constrain).copied() else {
            continue;
        };
        let sets = reqs
            .iter()
            .map(|r| req_set(r))
            .collect::<Option<Vec<_>>>()?;
        let set = VersionSet::intersect_all(sets);
        if !tvs.iter().any(|v| set.contains(v)) {
            continue;
        }
        let newest = rule
            .trigger
            .wheels
            .as_ref()
            .and_then(|w| w.versions(p, dist.as_ref()))
            .and_then(|vs| vs.iter().rev().find(|v| set.contains(v)).cloned());
        let certain = match &newest {
            Some(v) => rule.trigger.version.set.contains(v),
            // No wheel data for this name: certain only when the range admits nothing else.
            None => set.is_subset(&rule.trigger.version.set),
        };
        let hit = TriggerHit {
            req: first,
            certain,
            newer: if certain { None } else { newest },
        };
        if best.as_ref().is_none_or(|b| !b.certain && hit.certain) {
            best = Some(hit);
        }
    }
    best
}

/// Published final releases outside the window that pip could install on `py` from `set`
/// (indices into the rule's release list).
pub(super) fn leaking(rule: &Rule, set: &VersionSet, py: &Version) -> Vec<usize> {
    let releases = &rule.releases.releases;
    rule.outside_final
        .iter()
        .copied()
        .filter(|&i| releases[i].installs_on(py) && set.contains(&releases[i].version))
        .collect()
}

/// The location to point at for a requirement: its specifier (or pin) when it has one.
pub(super) fn spec_loc(r: &Requirement) -> Loc {
    let span = match &r.version {
        VersionReq::Specifiers { span, .. }
        | VersionReq::AnyOf { span, .. }
        | VersionReq::Exact { span, .. } => *span,
        VersionReq::Any | VersionReq::Unversioned => return r.loc,
    };
    Loc {
        file: r.loc.file,
        span,
    }
}

/// Published final releases admitted by `set` that lie outside the window (indices).
pub(super) fn outside_releases(rule: &Rule, set: &VersionSet) -> Vec<usize> {
    rule.outside_final
        .iter()
        .copied()
        .filter(|&i| set.contains(&rule.releases.releases[i].version))
        .collect()
}

pub(super) fn count_outside(rule: &Rule, set: &VersionSet) -> usize {
    rule.outside_final
        .iter()
        .filter(|&&i| set.contains(&rule.releases.releases[i].version))
        .count()
}

pub(super) fn any_published(rule: &Rule, set: &VersionSet) -> bool {
    rule.releases
        .releases
        .iter()
        .any(|r| r.published() && set.contains_any(&r.version))
}

/// What pip would install on Python `py`: the newest release admitted by `set` that has a
/// Requires-Python admitting `py`, skipping yanked releases unless pinned with `==`/`===`
/// (PEP 592), and falling back to pre-releases only when no final release matches.
pub(super) fn pip_pick(
    rule: &Rule,
    set: &VersionSet,
    reqs: &[&Requirement],
    py: &Version,
) -> Option<(String, bool)> {
    let pinned = |v: &Version| {
        reqs.iter().any(|r| match &r.version {
            VersionReq::Specifiers { specifiers, .. } => specifiers.iter().any(|s| {
                matches!(s.operator(), Operator::Equal | Operator::ExactEqual) && s.version() == v
            }),
            VersionReq::Exact { version, .. } => version == v,
            _ => false,
        })
    };
    let candidates = || {
        rule.releases
            .releases
            .iter()
            .rev()
            .filter(|r| r.published() && r.installs_on(py))
    };
    let pick = candidates().find(|r| {
        set.contains(&r.version)
            && match r.status {
                Status::Yanked => pinned(&r.version),
                _ => true,
            }
    });
    if let Some(r) = pick {
        return Some((r.text.clone(), false));
    }
    candidates()
        .find(|r| r.status == Status::PreRelease && set.contains_any(&r.version))
        .map(|r| (r.text.clone(), true))
}
