//! The evaluator: units × rules × Pythons → [`Verdict`]s. Pure: no I/O, no text. Each
//! check's own decision lives in its file (`outside_window.rs`, ...); this module works out
//! what they decide on (the trigger hit, A_p, the pick) and in which order they are asked.

use std::collections::HashMap;
use std::str::FromStr;

use pep440_rs::{Operator, Version};
use pep508_rs::PackageName;

pub(super) use super::pick::{
    any_published, count_outside_upto, leaking, outside_releases, pip_pick,
};
use super::registry::Decides;
use super::verdict::{Contributing, Judgement, PyVerdict, TriggerHit, Verdict};
use super::{units, Check, Options, Unit};
use crate::diagnostic::Severity;
use crate::manifest::{Loc, Parsed, Requirement, Role, VersionReq};
use crate::markers::{self, Truth};
use crate::rules::environments::{self, Environment};
use crate::rules::Rule;
use crate::versions::VersionSet;

/// What receives the verdicts as the evaluator makes them ([`super::message::Phrasing`], which
/// phrases them at once; tests collect them).
pub(crate) trait Sink<'a> {
    /// What a unit reaching the same verdicts later needs (for phrasing: the findings they
    /// went into).
    type Token: Clone;
    /// A unit's verdicts on one rule, in order (none is a verdict too). The list is the
    /// evaluator's, emptied and used again for the next (unit, rule): take what is kept.
    fn judged(&mut self, unit: &Unit<'a>, verdicts: &mut Vec<Verdict<'a>>) -> Self::Token;
    /// A unit whose verdicts on a rule are those of the unit `token` came from.
    fn again(&mut self, unit: &Unit<'a>, token: &Self::Token);
}

/// Judge every unit of a parsed file against every rule, handing each (unit, rule)'s
/// verdicts to `sink` as they are made, in unit order then rule order.
///
/// A (unit, rule)'s verdicts depend only on what [`VerdictKey`] holds, so each distinct one is
/// judged once: 50,000 extras that add nothing on a rule's package share the base's
/// verdicts on it, and units that install the same (20,000 lock groups holding every
/// package) are judged once (issue 15 §4).
pub(crate) fn evaluate_into<'a, S: Sink<'a>>(
    parsed: &'a Parsed,
    rules: &'a [Rule],
    opts: &Options,
    sink: &mut S,
) {
    // `requires-python` is tested once per distinct Python, not once per rule, and its
    // answers are remembered per thread for the next file that writes the same one.
    let file_envs = file_environments(parsed, opts);
    let envs: Vec<std::rc::Rc<RuleEnvs>> = rules
        .iter()
        .map(|r| environments_for(r, &file_envs))
        .collect();
    // A file of one unit has nothing to share.
    let share = parsed.groups.len() > 1;
    let mut judged: crate::hash::HashMap<VerdictKey<'a>, S::Token> = Default::default();
    // What the units adding to one base share, by base group: built once for all of them.
    let mut bases: crate::hash::HashMap<usize, Shared<'a, S::Token>> = Default::default();
    // Rules loaded from one file share their trigger: a unit's names are asked against
    // each distinct trigger once, not once per rule.
    // The verdicts of each (unit, rule) in turn, in one list (a verdict is large: a new
    // list per (unit, rule) was an allocation each).
    let mut out = Vec::new();
    let mut triggers: Vec<&Rule> = Vec::new();
    for rule in rules {
        if !triggers
            .iter()
            .any(|r| std::sync::Arc::ptr_eq(&r.trigger, &rule.trigger))
        {
            triggers.push(rule);
        }
    }
    let trigger = |name: &PackageName| {
        triggers
            .iter()
            .any(|rule| is_trigger_name(rule, name, opts))
    };
    for unit in units(parsed) {
        let mut shared = unit.base.as_ref().map(|b| {
            bases
                .entry(b.group)
                .or_insert_with(|| Shared::new(b, rules.len(), &trigger))
        });
        // A unit adding to a base builds its index when it is judged, from its own members
        // and the base's shared one.
        let mut by_name = shared.is_none().then(|| ByName::of(&unit));
        // A unit that names no trigger distribution cannot trigger any rule.
        let names_trigger = match (&by_name, &shared) {
            (Some(b), _) => b.names().any(|n| trigger(n)),
            (None, Some(s)) => {
                s.names_trigger || unit.requirements.iter().any(|r| trigger(&r.name))
            }
            (None, None) => false,
        };
        if !names_trigger {
            continue;
        }
        // Rules loaded from one file share their trigger: find its requirement once per
        // environment, not once per rule.
        let mut hits = TriggerHits::default();
        for (i, (rule, envs)) in rules.iter().zip(&envs).enumerate() {
            let (key, adds_nothing) = match (&mut shared, share) {
                (_, false) => (None, false),
                (None, true) => (Some(VerdictKey::of(i, rule, &unit, opts)), false),
                (Some(s), true) => {
                    // Nothing of its own on the rule's packages: the key every such unit
                    // shares, whose verdicts are known once one of them has them.
                    let (key, adds_nothing) = s.key(i, rule, &unit, opts);
                    if let (None, Some(token)) = (&key, &s.rules[i].nothing_added) {
                        sink.again(&unit, token);
                        continue;
                    }
                    (key, adds_nothing)
                }
            };
            if let Some(token) = key.as_ref().and_then(|k| judged.get(k)) {
                sink.again(&unit, token);
                if let (true, Some(s)) = (adds_nothing, &mut shared) {
                    s.rules[i].nothing_added = Some(token.clone());
                }
                continue;
            }
            let by_name = by_name.get_or_insert_with(|| match &shared {
                Some(s) => ByName::adding(&unit, &s.by_name),
                None => ByName::of(&unit),
            });
            out.clear();
            judge_unit(
                parsed, &unit, by_name, rule, envs, opts, &mut hits, &mut out,
            );
            let token = sink.judged(&unit, &mut out);
            if let (true, Some(s)) = (adds_nothing, &mut shared) {
                s.rules[i].nothing_added = Some(token.clone());
            }
            if let Some(key) = key {
                judged.insert(key, token);
            }
        }
    }
}

/// What the units adding to one base ([`crate::manifest::Group::base`]) share: the base's
/// index by name and, per rule, its requirements and broken lines on the rule's packages,
/// so a unit costs what it adds, not its base again (M base requirements × E extras,
/// issue 15 §4).
struct Shared<'a, T> {
    base: std::rc::Rc<super::Base<'a>>,
    by_name: std::rc::Rc<ByName<'a>>,
    names_trigger: bool,
    rules: Vec<BaseRule<'a, T>>,
}

/// A base's part of a [`VerdictKey`] on one rule (found when a unit first asks), and the
/// verdicts (their token) of the units that add nothing to it.
struct BaseRule<'a, T> {
    part: Option<BasePart<'a>>,
    nothing_added: Option<T>,
}

/// A base's requirements on a rule's packages (in index order), whether one has a marker,
/// and its broken lines on them (by address).
struct BasePart<'a> {
    requirements: Vec<&'a Requirement>,
    marked: bool,
    unparsed: Vec<&'a PackageName>,
}

impl<'a, T> Shared<'a, T> {
    fn new(
        base: &std::rc::Rc<super::Base<'a>>,
        rules: usize,
        trigger: &dyn Fn(&PackageName) -> bool,
    ) -> Self {
        let mut map: crate::hash::HashMap<&'a PackageName, Contributing<'a>> = Default::default();
        for &r in &base.requirements {
            std::sync::Arc::make_mut(map.entry(&r.name).or_default()).push(r);
        }
        let names_trigger = map.keys().any(|n| trigger(n));
        Shared {
            base: base.clone(),
            names_trigger,
            by_name: std::rc::Rc::new(ByName { map, base: None }),
            rules: (0..rules)
                .map(|_| BaseRule {
                    part: None,
                    nothing_added: None,
                })
                .collect(),
        }
    }

    /// The [`VerdictKey`] of a unit adding to the base on rule `i`, and whether the unit
    /// adds nothing to what the key holds (then every such unit has the same key, and
    /// none is built once their verdicts are known).
    fn key(
        &mut self,
        i: usize,
        rule: &Rule,
        unit: &Unit<'a>,
        opts: &Options,
    ) -> (Option<VerdictKey<'a>>, bool) {
        let relevant =
            |name: &PackageName| *name == rule.package || is_trigger_name(rule, name, opts);
        let (by_name, base) = (&self.by_name, &self.base);
        let BaseRule {
            part,
            nothing_added,
        } = &mut self.rules[i];
        let part = part.get_or_insert_with(|| {
            let conda = rule
                .trigger
                .conda_distributions
                .iter()
                .filter(|d| is_trigger_name(rule, d, opts));
            let mut requirements: Vec<&'a Requirement> = std::iter::once(&rule.package)
                .chain(&rule.trigger.distributions)
                .chain(conda)
                .flat_map(|name| by_name.get(name).iter().copied())
                .collect();
            requirements.sort_unstable_by_key(|r| std::ptr::from_ref(*r));
            requirements.dedup_by_key(|r| std::ptr::from_ref(*r));
            BasePart {
                marked: requirements.iter().any(|r| !r.marker().is_true()),
                requirements,
                unparsed: unparsed_on(&base.unparsed, relevant),
            }
        });
        let own: Vec<&'a Requirement> = unit
            .requirements
            .iter()
            .filter(|r| relevant(&r.name))
            .collect();
        let own_unparsed = unparsed_on(&unit.unparsed, relevant);
        let adds_nothing = own.is_empty() && own_unparsed.is_empty() && !part.marked;
        if adds_nothing && nothing_added.is_some() {
            return (None, true);
        }
        let requirements = super::merge_by_address(&part.requirements, &own);
        let mut unparsed = part.unparsed.clone();
        unparsed.extend(own_unparsed);
        unparsed.sort_unstable_by_key(|n| std::ptr::from_ref(*n));
        unparsed.dedup_by_key(|n| std::ptr::from_ref(*n));
        let key = VerdictKey {
            rule: i,
            extras: requirements
                .iter()
                .any(|r| !r.marker().is_true())
                .then_some(unit.extras),
            requirements: requirements.into_iter().map(std::ptr::from_ref).collect(),
            unparsed,
            unevaluable: unit.unevaluable,
        };
        (Some(key), adds_nothing)
    }
}

/// The names of `unparsed` (lines that do not parse) that `relevant` keeps, by address: a
/// unit adding to a base merges its lines with the base's ([`Shared::key`]); each line is a
/// distinct name, so this is the same set however the two are merged.
fn unparsed_on<'a>(
    unparsed: &[&'a PackageName],
    relevant: impl Fn(&PackageName) -> bool,
) -> Vec<&'a PackageName> {
    let mut names: Vec<&'a PackageName> =
        unparsed.iter().copied().filter(|n| relevant(n)).collect();
    names.sort_unstable_by_key(|n| std::ptr::from_ref(*n));
    names
}

/// Everything of a unit that a rule's verdicts depend on: the requirements on the rule's
/// package and on its trigger distributions (the same requirements, in the same order:
/// A_p, the trigger hit and no-supported-python read nothing else), the extras the unit
/// requests when one of them has a marker (`extra == "x"` may hold), which of those
/// packages a line that does not parse names, and whether part of the file is unevaluable.
/// The unit's kind and name only label its verdicts.
#[derive(PartialEq, Eq, Hash)]
struct VerdictKey<'a> {
    rule: usize,
    requirements: Vec<*const Requirement>,
    extras: Option<&'a [pep508_rs::ExtraName]>,
    unparsed: Vec<&'a PackageName>,
    unevaluable: bool,
}

impl<'a> VerdictKey<'a> {
    fn of(rule_index: usize, rule: &Rule, unit: &Unit<'a>, opts: &Options) -> Self {
        let relevant =
            |name: &PackageName| *name == rule.package || is_trigger_name(rule, name, opts);
        let reqs: Vec<&Requirement> = unit
            .requirements
            .iter()
            .filter(|r| relevant(&r.name))
            .collect();
        VerdictKey {
            rule: rule_index,
            extras: reqs
                .iter()
                .any(|r| !r.marker().is_true())
                .then_some(unit.extras),
            requirements: reqs.into_iter().map(std::ptr::from_ref).collect(),
            unparsed: unparsed_on(&unit.unparsed, relevant),
            unevaluable: unit.unevaluable,
        }
    }
}

/// Every verdict, in order, of the units judged (a unit sharing an earlier unit's verdicts
/// adds none).
#[cfg(test)]
pub(crate) fn evaluate<'a>(
    parsed: &'a Parsed,
    rules: &'a [Rule],
    opts: &Options,
) -> Vec<Verdict<'a>> {
    struct Collect<'a>(Vec<Verdict<'a>>);
    impl<'a> Sink<'a> for Collect<'a> {
        type Token = ();
        fn judged(&mut self, _: &Unit<'a>, verdicts: &mut Vec<Verdict<'a>>) {
            self.0.append(verdicts);
        }
        fn again(&mut self, _: &Unit<'a>, _: &()) {}
    }
    let mut all = Collect(Vec::new());
    evaluate_into(parsed, rules, opts, &mut all);
    all.0
}

/// A unit's requirements by package name, in unit order: a rule and a trigger look at
/// their own package's requirements, not at every requirement of the unit once per
/// environment (750k lines on one package, asked by six rules on twelve environments).
struct ByName<'a> {
    /// Each list shared, so that an environment where all of a package's requirements apply
    /// takes it as they are ([`Contributing`]).
    map: crate::hash::HashMap<&'a PackageName, Contributing<'a>>,
    /// A unit adding to a base: the base's index, shared; `map` then holds the names the
    /// unit adds to, each with the base's requirements on it merged in.
    base: Option<std::rc::Rc<ByName<'a>>>,
}

/// The most distinct names [`ByName`] is sized for before it sees the unit.
const BY_NAME_SIZED: usize = 64;

impl<'a> ByName<'a> {
    fn of(unit: &Unit<'a>) -> ByName<'a> {
        // Sized for the usual unit up front (growing from empty rehashed it five times for
        // 35 requirements); bounded, as a hostile unit names one package 750,000 times.
        let mut map: crate::hash::HashMap<&'a PackageName, Contributing<'a>> =
            crate::hash::HashMap::with_capacity_and_hasher(
                unit.requirements.len().min(BY_NAME_SIZED),
                Default::default(),
            );
        for r in unit.requirements.iter() {
            // Not shared yet: the list is pushed to in place.
            std::sync::Arc::make_mut(map.entry(&r.name).or_default()).push(r);
        }
        ByName { map, base: None }
    }

    /// The index of a unit adding to a base whose index is `base`: what it adds, merged
    /// with the base's requirements on the same names, in unit order.
    fn adding(unit: &Unit<'a>, base: &std::rc::Rc<ByName<'a>>) -> ByName<'a> {
        let mut own = ByName::of(unit);
        for (name, list) in &mut own.map {
            let below = base.get(name);
            if !below.is_empty() {
                *list = std::sync::Arc::new(super::merge_by_address(below, list));
            }
        }
        own.base = Some(base.clone());
        own
    }

    /// The names of the unit's own requirements (not its base's).
    fn names(&self) -> impl Iterator<Item = &&'a PackageName> {
        self.map.keys()
    }

    /// The unit's requirements on `name`, in unit order.
    fn get(&self, name: &PackageName) -> &[&'a Requirement] {
        self.shared(name).map_or(&[], |l| l.as_slice())
    }

    /// The unit's requirements on `name`, in unit order, as the index shares them.
    fn shared(&self, name: &PackageName) -> Option<&Contributing<'a>> {
        match (self.map.get(name), &self.base) {
            (Some(list), _) => Some(list),
            (None, Some(base)) => base.shared(name),
            (None, None) => None,
        }
    }
}

/// A rule's target environments on a file, and whether the rule holds on each
/// ([`Rule::holds_on`], asked once per thread and rule, not per unit and environment).
struct RuleEnvs {
    envs: Vec<&'static Environment>,
    holds: Vec<bool>,
}

/// The target environments of a rule on a file: those of the file ([`file_environments`])
/// where the rule's trigger has wheels for the Python.
/// Remembered per thread for the last few (rule, file environments): a tree's files are
/// judged on a handful of environment sets.
fn environments_for(rule: &Rule, file_envs: &[bool]) -> std::rc::Rc<RuleEnvs> {
    thread_local! {
        #[allow(clippy::type_complexity)]
        static KNOWN: std::cell::RefCell<Vec<(u64, Vec<bool>, std::rc::Rc<RuleEnvs>)>> =
            const { std::cell::RefCell::new(Vec::new()) };
    }
    if let Some(known) = KNOWN.with_borrow(|k| {
        k.iter()
            .find(|(uid, f, _)| *uid == rule.uid && f[..] == *file_envs)
            .map(|(_, _, e)| e.clone())
    }) {
        return known;
    }
    let of_rule = trigger_environments(rule);
    let (envs, holds) = environments::builtin()
        .iter()
        .zip(file_envs.iter().zip(of_rule.iter()))
        .filter(|(_, (file, (rule, _)))| **file && *rule)
        .map(|(e, (_, &(_, holds)))| (e, holds))
        .unzip();
    let found = std::rc::Rc::new(RuleEnvs { envs, holds });
    KNOWN.with_borrow_mut(|k| {
        // Most recent first; a handful kept.
        k.truncate(31);
        k.insert(0, (rule.uid, file_envs.to_vec(), found.clone()));
    });
    found
}

/// Which environments of `environments::builtin()` a rule's trigger Pythons include, and
/// whether the rule holds on each one's Python, worked out once per thread and rule (a run
/// asks it for every file; `holds_on` builds a version set each time).
fn trigger_environments(rule: &Rule) -> std::rc::Rc<[(bool, bool)]> {
    thread_local! {
        #[allow(clippy::type_complexity)]
        static BY_RULE: std::cell::RefCell<Vec<(u64, std::rc::Rc<[(bool, bool)]>)>> =
            const { std::cell::RefCell::new(Vec::new()) };
    }
    BY_RULE.with_borrow_mut(|known| {
        if let Some((_, mask)) = known.iter().find(|(uid, _)| *uid == rule.uid) {
            return mask.clone();
        }
        let mask: std::rc::Rc<[(bool, bool)]> = environments::builtin()
            .iter()
            .map(|e| {
                let triggers = rule.trigger.pythons.contains(&e.python);
                (triggers, triggers && rule.holds_on(&e.python))
            })
            .collect();
        // Rules are few; a process that loads rule files again and again keeps the latest.
        if known.len() >= 256 {
            known.clear();
        }
        known.push((rule.uid, mask.clone()));
        mask
    })
}

/// Which environments of `environments::builtin()` a file is judged on, whatever the rule:
/// the configured Pythons and operating systems, narrowed by the file's `requires-python`
/// (for a generated file: its header's Python) and its target platform (a uv header's
/// `--python-platform`). `requires-python` is tested once per distinct Python, and its
/// answers are remembered per thread for the next file that writes the same one.
fn file_environments(parsed: &Parsed, opts: &Options) -> Vec<bool> {
    let spec = parsed.requires_python.as_ref().map(|(s, _)| s);
    let mut admitted = spec.map(remembered_admitted).unwrap_or_default();
    let known = admitted.len();
    let envs = environments::builtin()
        .iter()
        .map(|e| {
            opts.pythons
                .as_ref()
                .is_none_or(|list| list.contains(&e.python))
                && opts
                    .platforms
                    .as_ref()
                    .is_none_or(|list| list.contains(&e.platform))
                && parsed
                    .target_platform
                    .as_ref()
                    .is_none_or(|(p, _)| e.platform == *p)
                && match &parsed.requires_python {
                    None => true,
                    Some((spec, _)) => match admitted.iter().find(|(q, _)| *q == e.python) {
                        Some(&(_, ok)) => ok,
                        None => {
                            let ok = crate::python::allows_python(spec, &e.python);
                            admitted.push((e.python.as_str(), ok));
                            ok
                        }
                    },
                }
        })
        .collect();
    if let Some(spec) = spec.filter(|_| admitted.len() > known) {
        remember_admitted(spec, &admitted);
    }
    envs
}

/// A `requires-python` list this long or shorter is remembered by [`remember_admitted`]
/// (longer ones are rare and costlier to compare than to test again).
const ADMITTED_MAX_CLAUSES: usize = 16;
/// How many distinct `requires-python` lists a thread remembers (a tree's projects write a
/// handful).
const ADMITTED_REMEMBERED: usize = 8;

thread_local! {
    /// Whether each Python was allowed by a `requires-python` seen before, most recent
    /// first: testing a Python builds and intersects version sets, which was most of the
    /// cost of choosing a file's environments.
    #[allow(clippy::type_complexity)]
    static ADMITTED: std::cell::RefCell<Vec<(std::sync::Arc<crate::versions::Specifiers>, Vec<(&'static str, bool)>)>> =
        const { std::cell::RefCell::new(Vec::new()) };
}

/// The remembered answers for `spec` (empty when it was not seen).
fn remembered_admitted(
    spec: &std::sync::Arc<crate::versions::Specifiers>,
) -> Vec<(&'static str, bool)> {
    if spec.len() > ADMITTED_MAX_CLAUSES {
        return Vec::new();
    }
    ADMITTED.with_borrow(|memo| {
        memo.iter()
            .find(|(s, _)| s.same_spelling(spec))
            .map(|(_, a)| a.clone())
            .unwrap_or_default()
    })
}

/// Remember the answers `admitted` holds for `spec`.
fn remember_admitted(
    spec: &std::sync::Arc<crate::versions::Specifiers>,
    admitted: &[(&'static str, bool)],
) {
    if spec.len() > ADMITTED_MAX_CLAUSES {
        return;
    }
    ADMITTED.with_borrow_mut(|memo| {
        memo.retain(|(s, _)| !s.same_spelling(spec));
        memo.truncate(ADMITTED_REMEMBERED - 1);
        memo.insert(0, (spec.clone(), admitted.to_vec()));
    });
}

/// `trigger_on` results of one unit, by trigger (its address) and environment: the answer
/// depends only on the trigger, the unit and the options.
#[derive(Default)]
struct TriggerHits<'a> {
    known: Vec<(
        *const crate::rules::Trigger,
        *const Environment,
        Option<TriggerHit<'a>>,
    )>,
    sets: TriggerSets,
    /// The list [`trigger_on`] gathers a distribution's applying requirements into, kept
    /// so that an environment allocates none.
    reqs: Vec<&'a Requirement>,
}

/// The combined set of each list of a unit's requirements on a trigger distribution that
/// applied on some environment (by address; None: a direct reference among them), with
/// what the wheel data says of it ([`wheel_outcomes`]), by trigger (its address): what the
/// wheel data says depends on the trigger's versions and wheel tables, and one unit's
/// [`TriggerHits`] serves every rule, including a user's rule with its own trigger on the
/// same distribution.
type TriggerSets = Vec<(
    *const crate::rules::Trigger,
    Vec<*const Requirement>,
    Option<(VersionSet, EnvOutcomes)>,
)>;

/// The longest list of trigger requirements whose set [`TriggerSets`] keeps.
const TRIGGER_SETS_HELD: usize = 16;

impl<'a> TriggerHits<'a> {
    fn get(
        &mut self,
        rule: &Rule,
        unit: &Unit<'a>,
        by_name: &ByName<'a>,
        env: &'static Environment,
        opts: &Options,
    ) -> Option<TriggerHit<'a>> {
        let key = (std::sync::Arc::as_ptr(&rule.trigger), env as *const _);
        if let Some((_, _, hit)) = self.known.iter().find(|(t, e, _)| (*t, *e) == key) {
            return hit.clone();
        }
        let hit = trigger_on(rule, unit, by_name, env, opts, self);
        self.known.push((key.0, key.1, hit.clone()));
        hit
    }
}

#[allow(clippy::too_many_arguments)]
fn judge_unit<'a>(
    parsed: &'a Parsed,
    unit: &Unit<'a>,
    by_name: &ByName<'a>,
    rule: &'a Rule,
    envs: &RuleEnvs,
    opts: &Options,
    hits: &mut TriggerHits<'a>,
    out: &mut Vec<Verdict<'a>>,
) {
    let (holds, envs) = (&envs.holds, &envs.envs);
    let verdict = |judgement, triggered: Vec<&'static Environment>| Verdict {
        #[cfg(test)]
        unit_kind: unit.kind,
        #[cfg(test)]
        unit_name: unit.name,
        rule,
        judgement,
        triggered,
    };
    if envs.is_empty() {
        for judge in per_unit_checks() {
            if let Some(judgement) = judge(parsed, unit, rule, opts) {
                out.push(verdict(judgement, Vec::new()));
            }
        }
        return;
    }
    // Sized once, when the first environment is triggered (none is, for most rules on a
    // unit naming another rule's trigger): a verdict is large, and growing the list by
    // doubling asked the allocator for blocks past its small-block range, each request
    // consolidating its free lists (about a tenth of the CPU with 50,000 extras).
    let mut per_env: Vec<(&'static Environment, PyVerdict<'a>)> = Vec::new();
    let mut triggered: Vec<&'static Environment> = Vec::new();
    let none = Contributing::default();
    let pkg = by_name.shared(&rule.package).unwrap_or(&none);
    let mut last = LastContributing::default();
    for (&env, &holds) in envs.iter().zip(holds) {
        if !holds {
            continue;
        }
        let Some(hit) = hits.get(rule, unit, by_name, env, opts) else {
            continue;
        };
        if triggered.is_empty() {
            triggered.reserve_exact(envs.len());
            per_env.reserve_exact(envs.len());
        }
        triggered.push(env);
        if let Some(v) = judge_env(unit, pkg, rule, env, &hit, opts, &mut last) {
            per_env.push((env, v));
        }
    }
    // Merge the environments that reach the same finding (usually all of them: then the
    // list is the one group, not copied item by item into a new one).
    let key_of = |v: &PyVerdict<'a>| (v.check, v.primary);
    if per_env
        .iter()
        .all(|(_, v)| key_of(v) == key_of(&per_env[0].1))
    {
        // The one verdict takes the environments' list, not a copy.
        if !per_env.is_empty() {
            out.push(verdict(Judgement::PerEnv(per_env), triggered));
        }
        return;
    }
    let mut groups: Vec<Vec<(&'static Environment, PyVerdict<'a>)>> = Vec::new();
    for item in per_env {
        let key = (item.1.check, item.1.primary);
        match groups
            .iter_mut()
            .find(|g| (g[0].1.check, g[0].1.primary) == key)
        {
            Some(g) => g.push(item),
            None => groups.push(vec![item]),
        }
    }
    out.extend(
        groups
            .into_iter()
            .map(|g| verdict(Judgement::PerEnv(g), triggered.clone())),
    );
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

/// What the checks of one (unit, rule, environment) decide on, once the trigger is known to be
/// required.
pub(crate) struct Input<'a, 'x> {
    pub rule: &'x Rule,
    pub hit: &'x TriggerHit<'a>,
    pub opts: &'x Options,
    /// The environment judged (one of `environments::builtin()`).
    pub env: &'static Environment,
    /// Its Python (`major.minor`) as a version.
    pub py: Version,
    /// Whether an override replaces the trigger's declared range (then `declared` is
    /// everything).
    pub overridden: bool,
    /// The trigger's declared range on the package (everything when an override replaces it):
    /// the rule's own, borrowed (a copy per environment was a tenth of the evaluator's
    /// allocations).
    pub declared: &'x VersionSet,
    /// The requirements on the package that surely apply on this environment (overrides
    /// alone when there are any). One under a marker whose value is unknown there is not
    /// relied on.
    pub contributing: Contributing<'a>,
    /// The package's absence may be claimed: the rule makes it a finding, and nothing in
    /// the unit is unevaluable (`${VAR}`, a computed install_requires may name it).
    pub absence_claimable: bool,
    /// Where `outside_window` keeps the offender it picked for the environments that share
    /// this `Combined` (`LastContributing::offender`).
    pub offender: &'x std::cell::Cell<Option<Option<usize>>>,
    /// What the environments sharing this `Combined` share, in all or per Python
    /// (`LastContributing::by_python`).
    pub by_python: &'x ByPython,
}

impl Input<'_, '_> {
    /// `f` on what is known for this environment's Python among the environments sharing
    /// this `Combined`.
    pub(crate) fn by_python<T>(&self, f: impl FnOnce(&mut PythonKnown) -> T) -> T {
        let mut known = self.by_python.known.borrow_mut();
        let python = self.env.python.as_str();
        let i = match known.iter().position(|(p, _)| *p == python) {
            Some(i) => i,
            None => {
                known.push((python, PythonKnown::default()));
                known.len() - 1
            }
        };
        f(&mut known[i].1)
    }

    /// A finding that holds only if the trigger is installed is at most a warning.
    pub(crate) fn cap(&self, s: Severity) -> Severity {
        if self.hit.certain {
            s
        } else {
            s.min(Severity::Warning)
        }
    }

    /// pip's pick from the declared range alone (no pin) and the releases outside the
    /// window it lets in here: what an unconstrained package gets. It depends only on the
    /// rule, the environment's Python and whether an override replaced the declared range,
    /// so it is worked out once per thread for each, not once per unit (every unit that
    /// leaves protobuf free asks the same) nor per operating system.
    /// The declared range, with its pre-releases when `pre` (`--pre`) allows them.
    pub(crate) fn declared_with(&self, pre: bool) -> std::borrow::Cow<'_, VersionSet> {
        if pre {
            std::borrow::Cow::Owned(self.declared.clone().allow_prereleases())
        } else {
            std::borrow::Cow::Borrowed(self.declared)
        }
    }

    /// `pre`: pre-releases allowed (`--pre`), so the declared range's pre-releases count.
    pub(crate) fn declared_outcome(&self, pre: bool) -> (Option<usize>, std::sync::Arc<[usize]>) {
        type Key = (u64, &'static str, bool, bool);
        type Outcome = (Option<usize>, std::sync::Arc<[usize]>);
        thread_local! {
            static KNOWN: std::cell::RefCell<HashMap<Key, Outcome, FastHash>> =
                std::cell::RefCell::new(HashMap::default());
        }
        // The Python as the environment table writes it (`self.py` is read from it).
        let key = (
            self.rule.uid,
            self.env.python.as_str(),
            self.overridden,
            pre,
        );
        remembered(&KNOWN, 4096, key, |_| {
            #[cfg(test)]
            DECLARED_OUTCOMES.with(|n| n.set(n.get() + 1));
            let declared = self.declared_with(pre);
            (
                pip_pick(self.rule, &declared, &[], &self.py),
                leaking(self.rule, &declared, &self.py),
            )
        })
    }
}

#[cfg(test)]
thread_local! {
    /// How many times [`Input::declared_outcome`] worked its answer out on this thread (tests).
    pub(super) static DECLARED_OUTCOMES: std::cell::Cell<usize> = const { std::cell::Cell::new(0) };
}

/// A hasher for the evaluator's memo keys (integers and addresses from this process, and
/// names a rule defines, such as the trigger name in the unconstrained-words key; never text
/// an input file chooses freely): a multiply-rotate mix, much cheaper than SipHash on a few
/// words. Every memo using it is bounded ([`remembered`]), so even colliding keys cost a
/// bounded amount per lookup.
#[derive(Clone, Copy, Default)]
pub(crate) struct FastHash;

impl std::hash::BuildHasher for FastHash {
    type Hasher = FastHasher;
    fn build_hasher(&self) -> FastHasher {
        FastHasher(0)
    }
}

#[derive(Clone, Copy)]
pub(crate) struct FastHasher(u64);

impl std::hash::Hasher for FastHasher {
    /// Eight bytes a word (little-endian), the last word padded with zeros. Whole words
    /// are read as they are and the last one byte by byte: copying each into a padded
    /// buffer was a `memcpy` call per word (keys of address lists hash a slice: 70 calls a
    /// lookup of pick notes).
    fn write(&mut self, bytes: &[u8]) {
        let mut words = bytes.chunks_exact(8);
        for word in &mut words {
            self.write_u64(u64::from_le_bytes(word.try_into().unwrap_or_default()));
        }
        let rest = words.remainder();
        if !rest.is_empty() {
            let word = rest
                .iter()
                .rev()
                .fold(0u64, |word, &b| (word << 8) | u64::from(b));
            self.write_u64(word);
        }
    }
    fn write_u64(&mut self, n: u64) {
        self.0 = (self.0.rotate_left(5) ^ n).wrapping_mul(0x51_7c_c1_b7_27_22_0a_95);
    }
    fn write_usize(&mut self, n: usize) {
        self.write_u64(n as u64);
    }
    fn write_u8(&mut self, n: u8) {
        self.write_u64(u64::from(n));
    }
    fn write_u32(&mut self, n: u32) {
        self.write_u64(u64::from(n));
    }
    /// Rotated: the multiply leaves the low bits depending only on the low bits of the last
    /// word, and the table picks a bucket by the low bits, so short spellings (`1.16.4`,
    /// `1.16.5`) all started in a handful of buckets.
    fn finish(&self) -> u64 {
        self.0.rotate_left(26)
    }
}

/// The lookup every per-thread evaluation memo makes: `key`'s value when `memo` holds it,
/// else `make`'s, remembered. The memo is not borrowed while `make` runs. A memo that
/// reaches `bound` entries is emptied first: hostile input may bring any number of
/// distinct keys, and a process that loads rule files again and again keeps the latest.
pub(crate) fn remembered<K, V, S>(
    memo: &'static std::thread::LocalKey<std::cell::RefCell<HashMap<K, V, S>>>,
    bound: usize,
    key: K,
    make: impl FnOnce(&K) -> V,
) -> V
where
    K: Eq + std::hash::Hash,
    V: Clone,
    S: std::hash::BuildHasher,
{
    if let Some(known) = memo.with_borrow(|m| m.get(&key).cloned()) {
        return known;
    }
    let value = make(&key);
    memo.with_borrow_mut(|m| {
        if m.len() >= bound {
            m.clear();
        }
        m.insert(key, value.clone());
    });
    value
}

/// A_p and what follows from it, when some requirement on the package applies.
pub(crate) struct Combined<'a> {
    /// The contributing requirements, one per run of consecutive requirements written alike
    /// (same role, pre-release flag and specifiers): the first of each run stands for it.
    /// Their sets are not held: A_p is what the checks read, and a check that asks for one
    /// requirement's own set builds it ([`req_set`]; a long list's is remembered), so
    /// 520k requirements written differently do not keep 520k sets for the unit.
    pub firsts: std::sync::Arc<[&'a Requirement]>,
    /// A_p: every requirement, constraint and lock pin that applies, combined.
    pub a: VersionSet,
    /// A_p ∩ the trigger's declared range.
    pub a_decl: VersionSet,
    /// What pip would pick from `a_decl` (an index into the rule's release list).
    pub pick: Option<usize>,
}

/// The contributing requirements of the environment judged last for a (unit, rule), and
/// the combined sets built from them: an environment whose markers select the same
/// requirements shares them (the list is the same on every environment when no marker
/// differs, and holding one copy per environment cost 6 MB each at 750k lines).
#[derive(Default)]
pub(crate) struct LastContributing<'a> {
    /// The runs of the package's requirements that carry one marker (start, end), found
    /// once: each marker is asked once per run and environment.
    runs: Option<Vec<(usize, usize)>>,
    /// Whether each run applied on the environment judged last, and whether overrides
    /// were among the requirements: the same answers select the same requirements.
    applies: Vec<bool>,
    /// The list the next environment's answers are written into (the one `applies`
    /// replaced), so an environment allocates none.
    asked: Vec<bool>,
    overridden: bool,
    contributing: Option<Contributing<'a>>,
    /// The sets, A_p and A_p ∩ the declared range built from `contributing` (None: a
    /// direct reference among them). The declared range depends on the rule and on
    /// whether overrides are among the contributing requirements, so on `contributing`.
    #[allow(clippy::type_complexity)]
    combined: Option<Option<(std::sync::Arc<[&'a Requirement]>, VersionSet, VersionSet)>>,
    /// The offender `outside_window` picked among the firsts of `combined` (an index), once
    /// picked: it depends on the rule, the firsts, A_p and A_p ∩ declared only, which the
    /// environments sharing `combined` share, so a unit of many distinct requirements
    /// (320k constraint lines) builds and tests their sets once, not once per environment.
    /// Cleared with `combined`.
    offender: std::cell::Cell<Option<Option<usize>>>,
    /// What the checks work out from `combined` that depends on nothing else, or on the
    /// environment's Python only: the environments of one Python (one per operating system)
    /// share it. Cleared with `combined`.
    by_python: ByPython,
}

/// What is worked out from a unit's combined sets once, not per environment: where A_p and
/// A_p ∩ declared lie outside the window, and per Python (its text) pip's pick and the
/// releases outside the window it lets in.
#[derive(Default)]
pub(crate) struct ByPython {
    #[allow(clippy::type_complexity)]
    pub witnesses: std::cell::OnceCell<(Option<Version>, Option<Version>)>,
    known: std::cell::RefCell<Vec<(&'static str, PythonKnown)>>,
}

/// Per Python: pip's pick and the outside releases it lets in, once asked.
#[derive(Default)]
pub(crate) struct PythonKnown {
    pub pick: Option<Option<usize>>,
    pub leak: Option<std::sync::Arc<[usize]>>,
}

#[allow(clippy::too_many_arguments)]
fn judge_env<'a>(
    unit: &Unit<'a>,
    pkg: &Contributing<'a>,
    rule: &Rule,
    env: &'static Environment,
    hit: &TriggerHit<'a>,
    opts: &Options,
    last: &mut LastContributing<'a>,
) -> Option<PyVerdict<'a>> {
    // A line on the package that does not parse: pip refuses the file, and what the line
    // meant is unknown, so its parse error is the only finding about the package here.
    if unit.names_unparsed(&rule.package) {
        return None;
    }
    // Only a requirement whose marker surely holds protects: one under an unknown marker
    // may not apply (and so never makes the package unsatisfiable either), unless it
    // holds wherever the trigger requirement does (the same marker, as a fix inserts it).
    // A marker is asked once per run of requirements that carry it.
    let runs = last.runs.get_or_insert_with(|| {
        let mut runs: Vec<(usize, usize)> = Vec::new();
        for (i, r) in pkg.iter().enumerate() {
            match runs.last_mut() {
                Some((start, end)) if pkg[*start].marker() == r.marker() => *end = i + 1,
                _ => runs.push((i, i + 1)),
            }
        }
        runs
    });
    // Written into the list kept for the purpose, not a new one per environment.
    let mut applies = std::mem::take(&mut last.asked);
    applies.clear();
    applies.extend(runs.iter().map(|&(start, _)| {
        let marker = pkg[start].marker();
        match markers::evaluate(marker, env, unit.extras) {
            Truth::True => true,
            Truth::False => false,
            Truth::Unknown => markers::implies(hit.req.marker(), marker),
        }
    }));
    let contributing = match &last.contributing {
        // The same runs apply: the same requirements, shared.
        Some(prev) if last.applies == applies => {
            last.asked = applies;
            prev.clone()
        }
        _ => {
            let applying = || {
                runs.iter()
                    .zip(&applies)
                    .filter(|(_, &a)| a)
                    .flat_map(|(&(start, end), _)| pkg[start..end].iter().copied())
            };
            let overrides: Vec<&'a Requirement> =
                applying().filter(|r| r.role == Role::Override).collect();
            // uv's override-dependencies replace every other requirement on the package,
            // the trigger's declared range included.
            last.overridden = !overrides.is_empty();
            let new: Contributing<'a> = if !overrides.is_empty() {
                overrides.into()
            } else if applies.iter().all(|&a| a) {
                // Every requirement on the package: the index's list, shared.
                pkg.clone()
            } else {
                std::sync::Arc::new(applying().collect())
            };
            last.combined = None;
            last.offender.set(None);
            last.by_python = Default::default();
            last.asked = std::mem::replace(&mut last.applies, applies);
            last.contributing = Some(new.clone());
            new
        }
    };
    let overridden = last.overridden;
    let py = python_version(env)?;
    let everything;
    let declared = match (&rule.declared, !overridden) {
        (Some(d), true) => &d.set,
        _ => {
            everything = VersionSet::full();
            &everything
        }
    };
    let input = Input {
        rule,
        hit,
        opts,
        env,
        py,
        overridden,
        declared,
        contributing,
        absence_claimable: rule.absence_is_finding && !unit.unevaluable,
        offender: &last.offender,
        by_python: &last.by_python,
    };
    let judge = |combined: Option<&Combined<'a>>| {
        per_python_checks()
            .iter()
            .find_map(|judge| judge(&input, combined))
    };
    if input.contributing.is_empty() {
        return judge(None);
    }

    let (firsts, a, a_decl) = last
        .combined
        .get_or_insert_with(|| {
            combine(&input.contributing).map(|(firsts, a)| {
                let a_decl = a.intersect(input.declared);
                (firsts.into(), a, a_decl)
            })
        })
        .clone()?;
    // Whether a requirement pins is the same for each of a run (same specifiers): the
    // first of each run answers for it.
    let pick = input.by_python(|k| {
        k.pick
            .get_or_insert_with(|| pip_pick(rule, &a_decl, &firsts, &input.py))
            .to_owned()
    });
    judge(Some(&Combined {
        firsts,
        a,
        a_decl,
        pick,
    }))
}

/// The contributing requirements, one per run of requirements written alike (the first of
/// the run), and A_p: every requirement, constraint and lock pin, combined. None when one
/// is a direct reference. Each set is built as it is met and dropped (the intersection
/// holds O(log n) sets at a time), not kept per requirement.
fn combine<'a>(contributing: &[&'a Requirement]) -> Option<(Vec<&'a Requirement>, VersionSet)> {
    let mut firsts: Vec<&'a Requirement> = Vec::new();
    for &r in contributing {
        // Written like the requirement before (one line repeated): the same set, the same
        // role, so it adds nothing to A_p nor to what the checks ask of each set (the first
        // of the run with the least count is the offender).
        if firsts.last().is_some_and(|prev| same_set(prev, r)) {
            continue;
        }
        // A direct reference: the version is whatever the URL builds; cannot judge.
        if !has_set(r) {
            return None;
        }
        firsts.push(r);
    }
    firsts.shrink_to_fit();
    let set = |r: &Requirement| req_set(r).unwrap_or_else(VersionSet::empty);
    // Lock pins that apply on the same Python are alternatives (forked resolutions: which
    // one installs depends on other markers), so they are united; everything else is
    // intersected, as pip combines specifier sets.
    let locked = firsts
        .iter()
        .filter(|r| r.role == Role::Locked)
        .map(|r| set(r))
        .reduce(|a, b| a.union(&b));
    let a = VersionSet::intersect_all(
        locked.into_iter().chain(
            firsts
                .iter()
                .filter(|r| r.role != Role::Locked)
                .map(|r| set(r)),
        ),
    );
    Some((firsts, a))
}

/// Whether [`req_set`] gives a set for `r` (it names versions), without building it.
fn has_set(r: &Requirement) -> bool {
    !matches!(r.version, VersionReq::Unversioned)
}

/// Whether two requirements admit the same set in the same role, by how they are written:
/// no version (both bare) or the same specifiers, the same pre-release flag.
fn same_set(a: &Requirement, b: &Requirement) -> bool {
    a.role == b.role
        && a.pre == b.pre
        && (matches!((&a.version, &b.version), (VersionReq::Any, VersionReq::Any))
            || same_specifiers(a, b))
}

/// An environment's Python as a version: parsed once per run for the built-in table (a
/// clone shares it), since it is asked per unit, rule and environment.
fn python_version(env: &'static Environment) -> Option<Version> {
    static PARSED: std::sync::OnceLock<Vec<Option<Version>>> = std::sync::OnceLock::new();
    let table = environments::builtin();
    match table.iter().position(|e| std::ptr::eq(e, env)) {
        Some(i) => PARSED
            .get_or_init(|| {
                table
                    .iter()
                    .map(|e| Version::from_str(&e.python).ok())
                    .collect()
            })
            .get(i)
            .cloned()
            .flatten(),
        None => Version::from_str(&env.python).ok(),
    }
}

pub(super) fn is_trigger_name(rule: &Rule, name: &PackageName, opts: &Options) -> bool {
    rule.trigger.distributions.contains(name)
        || (opts.conda && rule.trigger.conda_distributions.contains(name))
}

/// Whether two requirements' version parts are the same specifiers (so the same set).
fn same_specifiers(a: &Requirement, b: &Requirement) -> bool {
    match (&a.version, &b.version) {
        (
            VersionReq::Specifiers { specifiers: x, .. },
            VersionReq::Specifiers { specifiers: y, .. },
        ) => a.pre == b.pre && x == y,
        _ => false,
    }
}

#[cfg(test)]
thread_local! {
    /// How many times [`req_set`] built a requirement's set on this thread (tests).
    pub(super) static REQ_SETS_BUILT: std::cell::Cell<usize> = const { std::cell::Cell::new(0) };
}

/// The versions a requirement admits (None: a direct reference, which names none).
pub(super) fn req_set(r: &Requirement) -> Option<VersionSet> {
    #[cfg(test)]
    REQ_SETS_BUILT.with(|n| n.set(n.get() + 1));
    let set = match &r.version {
        VersionReq::Any => VersionSet::full(),
        VersionReq::Specifiers { specifiers, .. } => VersionSet::from_shared(specifiers),
        VersionReq::AnyOf { alternatives, .. } => VersionSet::union_of_shared(alternatives),
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

/// Whether every known release of `r`'s distribution that `r` admits (any Python, any
/// operating system, from the trigger's wheel lists) is a trigger release: pip could only
/// ever install the trigger from it. Without wheel data for the name, whether its range
/// lies inside the trigger's.
pub(super) fn admits_only_trigger(rule: &Rule, r: &Requirement) -> bool {
    let Some(set) = req_set(r) else {
        return false;
    };
    let dist = r.name.as_ref();
    let mut known: Vec<&Version> = Vec::new();
    if let Some(w) = &rule.trigger.platform_wheels {
        known.extend(
            w.rows
                .iter()
                .filter(|(_, d, _, _)| d == dist)
                .flat_map(|(_, _, _, vs)| vs.get()),
        );
    }
    if let Some(w) = &rule.trigger.wheels {
        known.extend(
            w.rows
                .iter()
                .filter(|(_, d, _)| d == dist)
                .flat_map(|(_, _, vs)| vs.get()),
        );
    }
    if known.is_empty() {
        return set.is_subset(&rule.trigger.version.set);
    }
    known
        .iter()
        .filter(|v| set.contains(v))
        .all(|v| rule.trigger.version.set.contains(v))
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

/// How the unit requires the trigger on `env`: a requirement on a trigger distribution whose
/// marker may hold there (an unknown marker may), admitting a trigger version that has a
/// wheel there (`tensorflow-gpu` 1.14.0 has none on macOS). Certain when the newest release
/// with wheels there that the range admits is a trigger release and no requirement on the
/// distribution that applies there is under a marker whose value is unknown (issue 11 §1:
/// an unknown marker can hold for a trigger, so it triggers, but only as a possible one).
/// `kept`: the unit's [`TriggerHits`], whose sets and requirement list this reads and fills.
fn trigger_on<'a>(
    rule: &Rule,
    unit: &Unit<'a>,
    by_name: &ByName<'a>,
    env: &'static Environment,
    opts: &Options,
    kept: &mut TriggerHits<'a>,
) -> Option<TriggerHit<'a>> {
    let TriggerHits { sets, reqs, .. } = kept;
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
        // A line on it that does not parse: what it requires is unknown.
        if unit.names_unparsed(dist) {
            continue;
        }
        // A requirement under a marker whose value is unknown here may hold: it can trigger,
        // but only as a possible trigger.
        let mut marker_unknown = false;
        // Some requirement or constraint on it is under such a marker: the combined set is
        // then only what may apply.
        let mut any_unknown = false;
        reqs.clear();
        reqs.extend(by_name.get(dist).iter().copied().filter(|r| {
            match markers::evaluate(r.marker(), env, unit.extras) {
                Truth::True => true,
                Truth::False => false,
                Truth::Unknown => {
                    marker_unknown |= r.role != Role::Constrain;
                    any_unknown = true;
                    true
                }
            }
        }));
        // uv: an override replaces every other requirement on the package, the trigger's
        // own included (`tensorflow>=2` overridden by `tensorflow==1.14.0` installs 1.14.0).
        if reqs.iter().any(|r| r.role == Role::Override) {
            reqs.retain(|r| r.role == Role::Override);
        }
        // A constraint never installs anything: it needs a requirement beside it.
        let Some(first) = reqs.iter().find(|r| r.role != Role::Constrain).copied() else {
            continue;
        };
        let build = || {
            reqs.iter()
                .map(|r| req_set(r))
                .collect::<Option<Vec<_>>>()
                .map(VersionSet::intersect_all)
        };
        // The same requirements apply on most environments (no marker differs): their
        // combined set is built once per unit, not once per environment. A long list (a
        // hostile file) is not held per environment: it is built again.
        // What the wheel data says of the set on this environment: looked up once per unit
        // and set in the per-thread memo (`wheel_outcomes`), then per environment in the
        // list that lookup gives.
        let outcome = if reqs.len() <= TRIGGER_SETS_HELD {
            let same = |p: &[*const Requirement]| {
                p.len() == reqs.len()
                    && p.iter().zip(reqs.iter()).all(|(a, b)| std::ptr::eq(*a, *b))
            };
            let trigger = std::sync::Arc::as_ptr(&rule.trigger);
            let i = match sets.iter().position(|(t, p, _)| *t == trigger && same(p)) {
                Some(i) => i,
                None => {
                    let set = build().map(|set| {
                        let outcomes = wheel_outcomes(rule, dist, &set);
                        (set, outcomes)
                    });
                    let ptrs = reqs.iter().map(|r| std::ptr::from_ref(*r)).collect();
                    sets.push((trigger, ptrs, set));
                    sets.len() - 1
                }
            };
            // A direct reference (no version set) says nothing of this distribution here;
            // the other trigger distributions still count.
            let Some((set, outcomes)) = sets[i].2.as_ref() else {
                continue;
            };
            let env_at = std::ptr::from_ref(env) as usize;
            let known = outcomes
                .borrow()
                .iter()
                .find(|(e, _)| *e == env_at)
                .map(|(_, o)| o.clone());
            match known {
                Some(o) => o,
                None => {
                    let o = work_out_wheel_outcome(rule, env, dist, set);
                    outcomes.borrow_mut().push((env_at, o.clone()));
                    o
                }
            }
        } else {
            let Some(set) = build() else { continue };
            work_out_wheel_outcome(rule, env, dist, &set)
        };
        // Whether a trigger release with a wheel here is admitted, and the newest release
        // with a wheel here the range admits: the same for every unit with the same set.
        let (newest, range_certain) = match outcome {
            WheelOutcome::Triggers { newest, certain } => (newest, certain),
            WheelOutcome::NotTriggered => continue,
            // pip cannot install this requirement here, so it installs nothing of the unit
            // here: no other trigger distribution makes the environment count.
            // A lock pin is no requirement to install on every system (a Poetry 1.x lock
            // records no markers: the project's own decide).
            WheelOutcome::Uninstallable
                if !any_unknown && reqs.iter().all(|r| r.role != Role::Locked) =>
            {
                return None
            }
            WheelOutcome::Uninstallable => continue,
        };
        let hit = TriggerHit {
            req: first,
            certain: range_certain && !marker_unknown,
            marker_unknown,
            newer: if range_certain { None } else { newest },
        };
        if best.as_ref().is_none_or(|b| !b.certain && hit.certain) {
            best = Some(hit);
        }
    }
    best
}

/// What the wheel data says of a trigger distribution's combined set on each environment
/// ([`work_out_wheel_outcome`], filled in as environments ask), shared per thread by every
/// unit with the same set (thousands of files pin the same TensorFlow): found by the rule's
/// `uid` (never reused; its data is fixed once loaded), the distribution (the rule's own,
/// by address) and the set (hashed with a per-process key, compared in full on a hit), once
/// per unit and set, not per environment.
fn wheel_outcomes(rule: &Rule, dist: &PackageName, set: &VersionSet) -> EnvOutcomes {
    type Key = (u64, usize, VersionSet);
    thread_local! {
        static KNOWN: std::cell::RefCell<crate::hash::HashMap<Key, EnvOutcomes>> =
            std::cell::RefCell::new(Default::default());
    }
    let key = (rule.uid, std::ptr::from_ref(dist) as usize, set.clone());
    remembered(&KNOWN, 4096, key, |_| EnvOutcomes::default())
}

/// [`work_out_wheel_outcome`]'s answers for one (rule, distribution, set), by environment
/// (its address in the embedded table).
type EnvOutcomes = std::rc::Rc<std::cell::RefCell<Vec<(usize, WheelOutcome)>>>;

/// What the wheel data says of a trigger distribution's combined set on one environment.
#[derive(Clone, Debug)]
enum WheelOutcome {
    /// A trigger release with a wheel there is admitted: the newest release with a wheel
    /// there that the set admits, and whether the range alone makes the trigger certain.
    Triggers {
        newest: Option<Version>,
        certain: bool,
    },
    /// No trigger release with a wheel there is admitted, and the set may install
    /// something else there (or the data cannot say).
    NotTriggered,
    /// The set admits a trigger release, but no release it admits has a wheel there, in
    /// data that lists the distribution per operating system: pip finds nothing to
    /// install (`tensorflow-gpu==1.14.0` on macOS, which has no 1.14.0 wheel or sdist).
    Uninstallable,
}

#[cfg(test)]
thread_local! {
    /// How many times [`work_out_wheel_outcome`] ran on this thread (tests).
    pub(super) static WHEEL_OUTCOMES: std::cell::Cell<usize> = const { std::cell::Cell::new(0) };
}

/// The part of [`trigger_on`] that depends only on the rule, the environment, the trigger
/// distribution and the combined set of its requirements ([`WheelOutcome`]).
fn work_out_wheel_outcome(
    rule: &Rule,
    env: &'static Environment,
    dist: &PackageName,
    set: &VersionSet,
) -> WheelOutcome {
    #[cfg(test)]
    WHEEL_OUTCOMES.with(|n| n.set(n.get() + 1));
    let p = env.python.as_str();
    let tvs = trigger_versions(rule);
    // The versions with wheels here: per operating system when the data has the
    // distribution, else per Python (conda's own builds are judged by the release list
    // the rule names for them: `conda-releases-as`).
    let releases_as = rule.trigger.releases_name(dist);
    let per_os = rule
        .trigger
        .platform_wheels
        .as_ref()
        .and_then(|w| w.versions(p, releases_as.as_ref(), &env.platform));
    if !tvs.iter().any(|v| set.contains(v)) {
        return match per_os {
            Some(vs) if pinned_without_wheel(set, vs) => WheelOutcome::Uninstallable,
            _ => WheelOutcome::NotTriggered,
        };
    }
    let wheels = match per_os {
        Some(vs) => {
            // No trigger release has a wheel here: pip cannot install it.
            if !vs.iter().any(|v| tvs.contains(v) && set.contains(v)) {
                return if vs.iter().any(|v| set.contains(v)) {
                    WheelOutcome::NotTriggered
                } else {
                    WheelOutcome::Uninstallable
                };
            }
            Some(vs)
        }
        None => rule
            .trigger
            .wheels
            .as_ref()
            .and_then(|w| w.versions(p, releases_as.as_ref())),
    };
    // The wheel lists are sorted: the newest the range admits, by binary search.
    let newest = wheels.and_then(|vs| {
        set.spans(vs.len(), |k| &vs[k])
            .into_iter()
            .rev()
            .flat_map(|span| span.rev())
            .find(|&k| set.admits_in_span(&vs[k], false))
            .map(|k| vs[k].clone())
    });
    let certain = match &newest {
        Some(v) => rule.trigger.version.set.contains(v),
        // No wheel data for this name: certain only when the range admits nothing else.
        None => set.is_subset(&rule.trigger.version.set),
    };
    WheelOutcome::Triggers { newest, certain }
}

/// Whether `set` is one final release (`tensorflow-gpu==1.13.1`) missing from `wheels`,
/// the versions with a wheel on an environment in the per-OS data: pip finds nothing to
/// install there ([`WheelOutcome::Uninstallable`]). A range is not judged: the data lists
/// no pre-releases, which pip falls back to when no final release matches.
fn pinned_without_wheel(set: &VersionSet, wheels: &[Version]) -> bool {
    // `==V` (which also admits `V+local`, never on the index for TensorFlow).
    let one = |v: &Version| {
        VersionSet::from_specifier(&pep440_rs::VersionSpecifier::equals_version(v.clone()))
    };
    set.some_final_member()
        .is_some_and(|v| !wheels.contains(&v) && set.is_subset(&one(&v)))
}

/// The location to point at for a requirement: its specifier (or pin) when it has one.
pub(super) fn spec_loc(r: &Requirement) -> Loc {
    let span = match &r.version {
        VersionReq::Specifiers { span, .. }
        | VersionReq::AnyOf { span, .. }
        | VersionReq::Exact { span, .. } => span.get(),
        VersionReq::Any | VersionReq::Unversioned => return r.loc(),
    };
    Loc {
        file: r.loc().file,
        span,
    }
}

#[cfg(test)]
mod remembered {

    use super::*;

    /// The Pythons a file with this `requires-python` is judged on.
    fn pythons(spec: &str) -> Vec<&'static str> {
        let parsed = Parsed {
            requires_python: Some((
                crate::versions::read_specifiers(spec).unwrap(),
                Loc {
                    file: 0,
                    span: crate::source::Span::new(0, 0),
                },
            )),
            ..Parsed::default()
        };
        let mut out: Vec<&str> = environments::builtin()
            .iter()
            .zip(file_environments(&parsed, &Options::default()))
            .filter(|(_, ok)| *ok)
            .map(|(e, _)| e.python.as_str())
            .collect();
        out.dedup();
        out
    }

    /// The answers remembered for one `requires-python` are never those of another that is
    /// PEP 440-equal but spelled otherwise: `!=3.6.*` excludes every Python 3.6, `!=3.6.0.*`
    /// only 3.6.0 (`Version`'s `==` pads with zeros, so the two lists compare equal under it).
    #[test]
    fn answers_are_remembered_by_spelling() {
        for _ in 0..2 {
            assert!(!pythons("!=3.6.*").contains(&"3.6"));
            assert!(pythons("!=3.6.0.*").contains(&"3.6"));
            assert!(pythons(">=3.5").contains(&"3.6"));
            assert!(!pythons(">=3.5.0,<3.6").contains(&"3.6"));
        }
    }
}
