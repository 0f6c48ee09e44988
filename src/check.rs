//! The evaluator: turns a file's parsed requirements into findings, per unit, per rule, per
//! Python. This is the only place that judges; it does no I/O.
//!
//! Definitions (see README "What it checks"):
//! - A *unit* is one install: a file with everything it includes, or one group of a file
//!   that defines several (extras, dependency groups, Pipfile sections ...).
//! - The rule *triggers* on Python p when a trigger requirement that applies on p admits the
//!   trigger version. It is *certain* when the newest trigger release with wheels for p that
//!   the range admits is a trigger release (pip would install it), *possible* otherwise.
//! - A_p is the intersection of every requirement, constraint and lock pin on the package
//!   that applies on p (pip combines them into one specifier set); overrides replace all of
//!   them, the trigger's declared range included.

use std::collections::BTreeMap;
use std::str::FromStr;

use pep440_rs::{Operator, Version};
use pep508_rs::{ExtraName, PackageName};

use crate::diagnostic::{Applicability, Check, Diagnostic, Fix, Related, Severity};
use crate::files::Files;
use crate::manifest::{Loc, Parsed, ProblemKind, Requirement, Role, Syntax, VersionReq};
use crate::markers;
use crate::rules::releases::Status;
use crate::rules::Rule;
use crate::versions::VersionSet;

/// What the checker needs besides the parsed file.
#[derive(Clone, Debug, Default)]
pub struct Options {
    /// Restrict the Pythons considered (`major.minor`); None = the rule's own list.
    pub pythons: Option<Vec<String>>,
    /// The file is a conda environment (conda-only trigger names count).
    pub conda: bool,
    /// A lockfile beside a declaration that pins packages: package -> (lock path, version).
    pub sibling_lock: Option<SiblingLock>,
}

#[derive(Clone, Debug)]
pub struct SiblingLock {
    pub path: String,
    pub pins: BTreeMap<PackageName, Version>,
}

/// One install to judge.
pub struct Unit<'a> {
    pub name: String,
    /// Part of the file could not be evaluated, so a package's absence proves nothing.
    pub unevaluable: bool,
    pub requirements: Vec<&'a Requirement>,
    pub extras: Vec<ExtraName>,
}

/// Split a parsed file into its units.
pub fn units(parsed: &Parsed) -> Vec<Unit<'_>> {
    let unevaluable = parsed
        .problems
        .iter()
        .any(|p| p.kind == ProblemKind::Unevaluable);
    if parsed.groups.is_empty() {
        return vec![Unit {
            name: String::new(),
            unevaluable,
            requirements: parsed.requirements.iter().collect(),
            extras: Vec::new(),
        }];
    }
    parsed
        .groups
        .iter()
        .map(|g| Unit {
            name: g.name.clone(),
            unevaluable,
            requirements: g
                .members
                .iter()
                .filter_map(|&i| parsed.requirements.get(i))
                .collect(),
            extras: g.extras.clone(),
        })
        .collect()
}

/// Turn the parser's problems into diagnostics.
pub fn problem_diagnostics(parsed: &Parsed) -> Vec<Diagnostic> {
    parsed
        .problems
        .iter()
        .map(|p| {
            let (check, severity) = match p.kind {
                ProblemKind::Parse => (Check::ParseError, Severity::Error),
                ProblemKind::Include => (Check::IncludeError, Severity::Error),
                ProblemKind::Unevaluable => (Check::Unevaluable, Severity::Warning),
                ProblemKind::Note => (Check::Unevaluable, Severity::Info),
            };
            let mut d = Diagnostic::problem(check, severity, p.loc, p.message.clone());
            d.help = p.help.clone();
            d
        })
        .collect()
}

/// Judge every unit of a parsed file against every rule. Findings reached through several
/// units or several Pythons are reported once, naming all the Pythons they hold on.
pub fn check_parsed(
    files: &Files,
    parsed: &Parsed,
    rules: &[Rule],
    opts: &Options,
) -> Vec<Diagnostic> {
    let mut out = problem_diagnostics(parsed);
    let mut findings: Vec<Finding> = Vec::new();
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
            check_unit(
                files,
                parsed,
                &unit,
                rule,
                pythons,
                opts,
                &mut hits,
                &mut findings,
            );
        }
    }
    out.extend(findings.into_iter().map(|mut f| {
        if !f.base && !f.units.is_empty() {
            let names: Vec<String> = f.units.iter().map(|u| format!("`{u}`")).collect();
            f.diagnostic
                .message
                .push_str(&format!(" (in {})", names.join(", ")));
        }
        f.diagnostic
    }));
    out
}

/// The Pythons to consider for a rule in a file: the trigger's, narrowed by the file's
/// `requires-python` and the configured list.
/// `admitted` caches `python_admitted` for the file's `requires-python`.
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
                    let ok = python_admitted(spec, p);
                    admitted.push((p.as_str(), ok));
                    ok
                }
            },
        })
        .cloned()
        .collect()
}

/// Whether a `requires-python`-style specifier admits some interpreter of series `X.Y`.
pub fn python_admitted(spec: &pep440_rs::VersionSpecifiers, python: &str) -> bool {
    let Ok(v) = Version::from_str(python) else {
        return false;
    };
    let r = v.release();
    let (major, minor) = (
        r.first().copied().unwrap_or(0),
        r.get(1).copied().unwrap_or(0),
    );
    // Probe the series at patch levels that bounds are usually written with.
    [0u64, 1, 2, 3, 4, 5, 6, 8, 9, 10, 12, 15, 18, 99]
        .iter()
        .any(|&patch| spec.contains(&Version::new([major, minor, patch])))
        || spec.contains(&Version::new([major, minor]))
}

struct Finding {
    key: (Check, String, Loc),
    diagnostic: Diagnostic,
    /// The non-base units that reach the finding (empty when the base unit does).
    units: Vec<String>,
    base: bool,
}

/// The result of one (unit, rule, python).
struct PyVerdict<'a> {
    check: Check,
    severity: Severity,
    primary: Loc,
    label: String,
    /// The message; `{leak}` is replaced by the releases that get in on the finding's Pythons.
    message: String,
    /// A version outside the window the set admits (for `{leak}` when no published
    /// release gets in).
    witness: Option<Version>,
    /// Published final releases outside the window that pip could install on this Python.
    leak: Vec<usize>,
    help: Option<String>,
    related: Vec<Related>,
    /// The set whose published releases outside the window the finding lists (computed
    /// once per finding, not per Python).
    outside: Option<VersionSet>,
    pick: Option<String>,
    /// The requirement a fix edits (None: insert, or no fix).
    offender: Option<&'a Requirement>,
    /// For `unconstrained`: the requirement to insert the constraint after.
    insert_after: Option<&'a Requirement>,
}

#[derive(Clone)]
struct TriggerHit<'a> {
    req: &'a Requirement,
    certain: bool,
    /// The newest trigger-distribution release pip would pick instead, when not certain.
    newer: Option<Version>,
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
fn check_unit<'a, 'r>(
    files: &Files,
    parsed: &Parsed,
    unit: &Unit<'a>,
    rule: &Rule,
    pythons: &'r [String],
    opts: &Options,
    hits: &mut TriggerHits<'a, 'r>,
    findings: &mut Vec<Finding>,
) {
    if pythons.is_empty() {
        no_supported_python(files, parsed, unit, rule, opts, findings);
        return;
    }
    let mut per_python: Vec<(String, PyVerdict)> = Vec::new();
    for p in pythons {
        if !rule.holds_on(p) {
            continue;
        }
        let Some(hit) = hits.get(rule, unit, p, opts) else {
            continue;
        };
        if let Some(v) = verdict(files, unit, rule, p, &hit, opts) {
            per_python.push((p.clone(), v));
        }
    }
    // Merge the Pythons that reach the same finding.
    let mut groups: Vec<Vec<(String, PyVerdict)>> = Vec::new();
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
    // Derived units (an extra, a dependency group, dev packages: `project[viz]`,
    // `poetry:dev`, `packages+dev-packages`, `all`) are named in the message; a finding that
    // a base unit reaches too is about the base.
    let derived = unit.name.contains(['[', ':', '+']) || unit.name == "all";
    let unit_name = derived.then_some(unit.name.as_str());
    for group in groups {
        push_finding(findings, finish(files, parsed, rule, group), unit_name);
    }
}

/// Build one diagnostic from the per-Python verdicts that share a check and a location.
fn finish(
    files: &Files,
    parsed: &Parsed,
    rule: &Rule,
    group: Vec<(String, PyVerdict)>,
) -> Diagnostic {
    let pythons: Vec<String> = group.iter().map(|(p, _)| p.clone()).collect();
    let mut pick = BTreeMap::new();
    for (p, v) in &group {
        if let Some(version) = &v.pick {
            pick.insert(p.clone(), version.clone());
        }
    }
    let severity = group
        .iter()
        .map(|(_, v)| v.severity)
        .max()
        .unwrap_or(Severity::Warning);
    let first = &group[0].1;
    let pkg = rule.package.to_string();

    // The releases that get in, over all the finding's Pythons, oldest first.
    // (Indices into the release list, which is sorted oldest first.)
    let mut leak: Vec<usize> = group
        .iter()
        .flat_map(|(_, v)| v.leak.iter().copied())
        .collect();
    leak.sort_unstable();
    leak.dedup();
    let leak = release_texts(rule, &leak);
    let outside = first
        .outside
        .as_ref()
        .map(|set| release_texts(rule, &outside_releases(rule, set)))
        .unwrap_or_default();
    let listing = match (&first.witness, leak.is_empty()) {
        (_, false) => compact_list(&leak),
        _ if first.check == Check::Unconstrained => format!(
            "{} (none of them installs on Python {} today)",
            compact_list(&outside),
            pythons.join(", ")
        ),
        (Some(w), true) if outside.is_empty() => {
            format!("e.g. {w}, though no such release is published")
        }
        _ => compact_list(&outside),
    };
    let mut message = first.message.replace("{leak}", &listing);
    if !pick.is_empty() {
        let picks: Vec<String> = pick
            .iter()
            .rev()
            .map(|(p, v)| format!("{v} on Python {p}"))
            .collect();
        message.push_str(&format!("; pip would pick {}", picks.join(", ")));
    }

    // What the picks outside the window do.
    let mut effects: Vec<(String, Vec<String>)> = Vec::new();
    for (p, v) in pick.iter().rev() {
        let Ok(version) = Version::from_str(v) else {
            continue;
        };
        if rule.window.set.contains_any(&version) {
            continue;
        }
        let text = match rule.effect_of(&version) {
            Some(e) => format!("{pkg} {v}: {}", e.effect),
            None => format!("{pkg} {v}: outside the tested window, untested"),
        };
        match effects.iter_mut().find(|(t, _)| *t == text) {
            Some((_, ps)) => ps.push(p.clone()),
            None => effects.push((text, vec![p.clone()])),
        }
    }
    let fix = match (first.offender, first.insert_after) {
        (Some(r), _) => range_fix(files, rule, r, &pythons, parsed),
        (None, Some(tf)) => unconstrained_fix(files, tf, parsed, &pkg, &rule.window.text),
        (None, None) => None,
    };
    let mut help: Vec<String> = effects
        .iter()
        .map(|(t, ps)| format!("on Python {}: {t}", ps.join(", ")))
        .collect();
    if let Some(h) = &first.help {
        help.push(h.clone());
    }
    if let Some(f) = &fix {
        let unsafe_note = match f.applicability {
            Applicability::Safe => "",
            Applicability::Unsafe => " (unsafe)",
        };
        match first.offender {
            Some(r) => help.push(format!("fix{unsafe_note}: `{}`", fix_preview(files, r, f))),
            None => help.push(format!(
                "fix{unsafe_note}: insert `{}` after line {}",
                compact(f.replacement.trim_matches([',', ' ', '\r', '\n'])),
                files
                    .get(f.loc.file)
                    .position(f.loc.span.start.saturating_sub(1))
                    .line
            )),
        }
    }
    if !rule.install_notes.is_empty()
        && matches!(
            first.check,
            Check::OutsideWindow | Check::Unconstrained | Check::Unsatisfiable
        )
    {
        help.push(format!("note: {}", rule.install_notes.join("; ")));
    }

    let mut d = Diagnostic::problem(first.check, severity, first.primary, message);
    d.rule = Some(rule.id.clone());
    d.label = first.label.clone();
    d.package = Some(pkg);
    d.window = Some(rule.window.text.clone());
    d.pythons = pythons;
    d.outside_released = outside;
    d.pip_would_pick = pick;
    d.related = first.related.clone();
    d.help = (!help.is_empty()).then(|| help.join("\n"));
    d.fix = fix;
    d
}

/// `no-supported-python`: the unit requires the trigger but allows none of its Pythons.
fn no_supported_python(
    files: &Files,
    parsed: &Parsed,
    unit: &Unit,
    rule: &Rule,
    opts: &Options,
    findings: &mut Vec<Finding>,
) {
    let t = &rule.trigger.title;
    let Some((_, loc)) = &parsed.requires_python else {
        return;
    };
    let Some(tf) = unit.requirements.iter().find(|r| {
        is_trigger_name(rule, &r.name, opts) && r.role != Role::Constrain && admits_trigger(rule, r)
    }) else {
        return;
    };
    let mut d = Diagnostic::problem(
        Check::NoSupportedPython,
        Severity::Error,
        *loc,
        format!(
            "the project allows none of the Pythons {t} ships wheels for ({}), but requires `{}`",
            rule.trigger.pythons.join(", "),
            compact(files.get(tf.loc.file).slice(tf.loc.span))
        ),
    );
    // One finding per file, not one per constrained package: `push_finding` keys
    // no-supported-python without its rule, so the first rule's id is the one shown.
    d.rule = Some(rule.id.clone());
    d.label = format!("excludes every Python {t} supports");
    d.related.push(Related {
        loc: tf.loc,
        message: format!("{t} required here"),
    });
    d.help = Some(format!(
        "{t} has wheels only for Python {}: widen `requires-python`, or move to a newer release",
        rule.trigger.pythons.join(", ")
    ));
    push_finding(findings, d, None);
}

fn push_finding(findings: &mut Vec<Finding>, d: Diagnostic, unit: Option<&str>) {
    let rule_key = match d.check {
        Check::NoSupportedPython => String::new(),
        _ => d.rule.clone().unwrap_or_default(),
    };
    let key = (d.check, rule_key, d.loc);
    if let Some(f) = findings.iter_mut().find(|f| f.key == key) {
        match unit {
            Some(u) if !f.units.iter().any(|x| x == u) => f.units.push(u.to_owned()),
            Some(_) => {}
            None => f.base = true,
        }
        f.diagnostic.absorb(d);
        return;
    }
    findings.push(Finding {
        key,
        diagnostic: d,
        units: unit.map(|u| vec![u.to_owned()]).unwrap_or_default(),
        base: unit.is_none(),
    });
}

fn is_trigger_name(rule: &Rule, name: &PackageName, opts: &Options) -> bool {
    rule.trigger.distributions.contains(name)
        || (opts.conda && rule.trigger.conda_distributions.contains(name))
}

fn req_set(r: &Requirement) -> Option<VersionSet> {
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

fn admits_trigger(rule: &Rule, r: &Requirement) -> bool {
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
    for dist in rule
        .trigger
        .distributions
        .iter()
        .chain(&rule.trigger.conda_distributions)
    {
        if !is_trigger_name(rule, dist, opts) {
            continue;
        }
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

fn verdict<'a>(
    files: &Files,
    unit: &Unit<'a>,
    rule: &Rule,
    p: &str,
    hit: &TriggerHit<'a>,
    opts: &Options,
) -> Option<PyVerdict<'a>> {
    let t = &rule.trigger.title;
    let possible_note = if hit.certain {
        String::new()
    } else {
        let tf_text = compact(files.get(hit.req.loc.file).slice(hit.req.loc.span));
        match &hit.newer {
            Some(v) => format!(
                " (only if {t} is installed: `{tf_text}` also admits {v}, which pip would pick on Python {p})"
            ),
            None => format!(
                " (only if {t} is installed: `{tf_text}` admits other versions too)"
            ),
        }
    };
    let cap = |s: Severity| {
        if hit.certain {
            s
        } else {
            s.min(Severity::Warning)
        }
    };
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
    // uv's override-dependencies replace every other requirement on the package,
    // TensorFlow's declared range included.
    let contributing: Vec<&'a Requirement> = if overrides.is_empty() {
        pkg_reqs.clone()
    } else {
        overrides.clone()
    };
    let tf_related = Related {
        loc: hit.req.loc,
        message: format!("{t} required here"),
    };
    let pkg = rule.package.to_string();
    let window = &rule.window;
    let py = Version::from_str(p).ok()?;
    let declared = match (&rule.declared, overrides.is_empty()) {
        (Some(d), true) => d.set.clone(),
        _ => VersionSet::full(),
    };

    if contributing.is_empty() {
        return absent(files, rule, unit, hit, opts, &possible_note, &declared, &py).map(
            |mut v| {
                v.severity = cap(v.severity);
                v
            },
        );
    }

    // A_p, and A_p ∩ declared.
    let mut sets: Vec<(&'a Requirement, VersionSet)> = Vec::new();
    for r in &contributing {
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
    let a_decl = a.intersect(&declared);
    let pick = pip_pick(rule, &a_decl, &contributing, &py);

    if a_decl.is_empty() || pick.is_none() && !any_published(rule, &a_decl) {
        let primary = contributing
            .last()
            .map(|r| spec_loc(r))
            .unwrap_or(hit.req.loc);
        let related = related_to(&contributing, primary, &pkg, tf_related);
        let why = if a.is_empty() {
            "the requirements on it exclude each other".to_owned()
        } else if a_decl.is_empty() {
            format!(
                "{t} requires `{pkg}{}`, which this excludes",
                rule.declared
                    .as_ref()
                    .map(|d| d.text.as_str())
                    .unwrap_or("")
            )
        } else {
            "no published release satisfies it".to_owned()
        };
        return Some(PyVerdict {
            check: Check::Unsatisfiable,
            severity: Severity::Error,
            primary,
            label: format!("no installable {pkg} satisfies this"),
            message: format!("pip cannot install {pkg} here: {why}{possible_note}"),
            witness: None,
            leak: Vec::new(),
            help: Some(format!(
                "use a range inside the tested window, e.g. `{pkg}{}`",
                window.text
            )),
            related,
            outside: None,
            pick: None,
            offender: None,
            insert_after: None,
        });
    }

    let witness = a.witness_outside(&window.set)?;
    let above_decl = a_decl.witness_outside(&window.set);
    let severity = if above_decl.is_some() {
        rule.severity
    } else {
        Severity::Warning
    };
    // The offending requirement: among those that let the outside versions in, the one
    // whose own set leaks the least (it sets A_p's edge).
    let probe = above_decl.clone().unwrap_or(witness.clone());
    let offender = sets
        .iter()
        .filter(|(_, s)| s.contains_any(&probe))
        .min_by_key(|(_, s)| count_outside(rule, s))
        .map(|(r, _)| *r)
        .unwrap_or(contributing[0]);
    let primary = spec_loc(offender);
    let related = related_to(&contributing, primary, &pkg, tf_related);
    let mut message = match &offender.version {
        VersionReq::Exact { version, .. } if offender.role == Role::Locked => format!(
            "the lock pins {pkg} {version}, outside {t}'s tested window `{}`",
            window.text
        ),
        _ => format!(
            "`{}` admits {pkg} versions outside {t}'s tested window `{}`: {{leak}}",
            compact(files.get(offender.loc.file).slice(offender.loc.span)),
            window.text
        ),
    };
    if let Some(via) = &rule.via {
        message.push_str(&format!(" ({pkg} comes in through {via})"));
    }
    if above_decl.is_none() {
        message.push_str(&format!(
            " (only below {t}'s own `{pkg}{}`, which keeps pip inside the window)",
            rule.declared
                .as_ref()
                .map(|d| d.text.as_str())
                .unwrap_or("")
        ));
    }
    message.push_str(&possible_note);
    let mut help = None;
    if offender.syntax == Syntax::Lock {
        help = Some(format!(
            "lockfiles are not edited: constrain `{pkg}{}` where the dependencies are declared, then re-lock{}",
            window.text,
            relock_hint(files, offender)
        ));
    } else if let Some(lock) = &opts.sibling_lock {
        help = Some(format!(
            "`{}` pins {pkg}{} today, but the next re-lock can pick any version this admits",
            lock.path,
            lock.pins
                .get(&rule.package)
                .map(|v| format!(" {v}"))
                .unwrap_or_default()
        ));
    }
    Some(PyVerdict {
        check: Check::OutsideWindow,
        severity: cap(severity),
        primary,
        label: format!("admits {pkg} outside `{}`", window.text),
        message,
        witness: Some(witness.clone()),
        leak: leaking(rule, &a_decl, &py),
        help,
        related,
        outside: Some(a.clone()),
        pick: pick.map(|(v, _)| v),
        offender: Some(offender),
        insert_after: None,
    })
}

/// No requirement on the package applies: `unconstrained`, or `lock-incomplete` for a
/// lockfile, or nothing when the rule ignores absence or a sibling lock pins it.
#[allow(clippy::too_many_arguments)]
fn absent<'a>(
    files: &Files,
    rule: &Rule,
    unit: &Unit<'a>,
    hit: &TriggerHit<'a>,
    opts: &Options,
    possible_note: &str,
    declared: &VersionSet,
    py: &Version,
) -> Option<PyVerdict<'a>> {
    let t = &rule.trigger.title;
    if !rule.absence_is_finding || unit.unevaluable {
        // Something in the unit could not be evaluated (`${VAR}`, a computed
        // install_requires): it may well name the package, so absence is not claimed.
        return None;
    }
    let pkg = rule.package.to_string();
    let window = &rule.window;
    if hit.req.role == Role::Locked {
        return Some(PyVerdict {
            check: Check::LockIncomplete,
            severity: Severity::Warning,
            primary: hit.req.loc,
            label: format!("{t} locked, {pkg} not"),
            message: format!(
                "the lock pins {t} but no {pkg}: it is incomplete, so what gets installed is not what was locked"
            ),
            witness: None,
            leak: Vec::new(),
            help: Some(format!(
                "re-lock with `{pkg}{}` declared beside {t}{}",
                window.text,
                relock_hint(files, hit.req)
            )),
            related: Vec::new(),
            outside: None,
            pick: None,
            offender: None,
            insert_after: None,
        });
    }
    if let Some(lock) = &opts.sibling_lock {
        if lock.pins.contains_key(&rule.package) {
            // The lock beside this declaration pins it; the lock's own verdict stands.
            return None;
        }
    }
    let pick = pip_pick(rule, declared, &[], py);
    let mut message = format!("`{pkg}` is not constrained");
    match &rule.declared {
        Some(d) => message.push_str(&format!(
            ": {t} only requires `{pkg}{}`, which lets in {{leak}} outside the tested window `{}`",
            d.text, window.text
        )),
        None => message.push_str(&format!(
            ": nothing keeps it within the tested window `{}`, which lets in {{leak}}",
            window.text
        )),
    }
    if let Some(via) = &rule.via {
        message.push_str(&format!(" (it comes in through {via})"));
    }
    message.push_str(possible_note);
    Some(PyVerdict {
        check: Check::Unconstrained,
        severity: rule.severity,
        primary: hit.req.loc,
        label: format!("requires {t} but leaves {pkg} free"),
        message,
        witness: None,
        leak: leaking(rule, declared, py),
        help: Some(format!(
            "add `{pkg}{}` next to the {t} requirement",
            window.text
        )),
        related: Vec::new(),
        outside: Some(declared.clone()),
        pick: pick.map(|(v, _)| v),
        offender: None,
        insert_after: Some(hit.req),
    })
}

/// `` (`poetry lock`)``: the command that regenerates the lockfile `r` is in.
fn relock_hint(_files: &Files, r: &Requirement) -> String {
    r.format
        .imp()
        .relock_command()
        .map(|c| format!(" (`{c}`)"))
        .unwrap_or_default()
}

/// Published final releases outside the window that pip could install on `py` from `set`
/// (indices into the rule's release list).
fn leaking(rule: &Rule, set: &VersionSet, py: &Version) -> Vec<usize> {
    let releases = &rule.releases.releases;
    rule.outside_final
        .iter()
        .copied()
        .filter(|&i| releases[i].installs_on(py) && set.contains(&releases[i].version))
        .collect()
}

/// The release texts of release-list indices.
fn release_texts(rule: &Rule, indices: &[usize]) -> Vec<String> {
    indices
        .iter()
        .map(|&i| rule.releases.releases[i].text.clone())
        .collect()
}

/// The other requirements that make up A_p, then the trigger requirement.
fn related_to(
    contributing: &[&Requirement],
    primary: Loc,
    pkg: &str,
    trigger: Related,
) -> Vec<Related> {
    let mut related: Vec<Related> = contributing
        .iter()
        .filter(|r| spec_loc(r) != primary)
        .map(|r| Related {
            loc: spec_loc(r),
            message: format!("also constrains {pkg}"),
        })
        .collect();
    related.push(trigger);
    related
}

/// The location to point at for a requirement: its specifier (or pin) when it has one.
fn spec_loc(r: &Requirement) -> Loc {
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
fn outside_releases(rule: &Rule, set: &VersionSet) -> Vec<usize> {
    rule.outside_final
        .iter()
        .copied()
        .filter(|&i| set.contains(&rule.releases.releases[i].version))
        .collect()
}

fn count_outside(rule: &Rule, set: &VersionSet) -> usize {
    rule.outside_final
        .iter()
        .filter(|&&i| set.contains(&rule.releases.releases[i].version))
        .count()
}

fn any_published(rule: &Rule, set: &VersionSet) -> bool {
    rule.releases
        .releases
        .iter()
        .any(|r| r.published() && set.contains_any(&r.version))
}

/// What pip would install on Python `py`: the newest release admitted by `set` that has a
/// Requires-Python admitting `py`, skipping yanked releases unless pinned with `==`/`===`
/// (PEP 592), and falling back to pre-releases only when no final release matches.
fn pip_pick(
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

/// "1.17.0 … 1.21.6, 29 releases" (or the list itself when short).
pub fn compact_list(versions: &[String]) -> String {
    match versions.len() {
        0 => "none".into(),
        1..=3 => versions.join(", "),
        n => format!("{} … {}, {n} releases", versions[0], versions[n - 1]),
    }
}

/// Collapse a requirement's text to one line for messages.
pub fn compact(text: &str) -> String {
    let joined = text.replace("\\\r\n", " ").replace("\\\n", " ");
    joined.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn fix_preview(files: &Files, r: &Requirement, fix: &Fix) -> String {
    let file = files.get(r.loc.file);
    if fix.loc.span.start >= r.loc.span.start && fix.loc.span.end <= r.loc.span.end {
        let whole = file.slice(r.loc.span);
        let a = fix.loc.span.start - r.loc.span.start;
        let b = fix.loc.span.end - r.loc.span.start;
        if let (Some(pre), Some(post)) = (whole.get(..a), whole.get(b..)) {
            return compact(&format!("{pre}{}{post}", fix.replacement));
        }
    }
    compact(&fix.replacement)
}

/// Narrow the offending requirement into the window, keeping the author's intent:
/// keep the clauses that narrow the window, add the window bounds the requirement crosses;
/// a pin (or a range with nothing left) becomes the newest in-window release.
fn range_fix(
    files: &Files,
    rule: &Rule,
    r: &Requirement,
    pythons: &[String],
    parsed: &Parsed,
) -> Option<Fix> {
    if r.syntax == Syntax::Lock {
        return None;
    }
    let window = &rule.window;
    let file = files.get(r.loc.file);
    let clauses_text: Vec<String> = match &r.version {
        // Keep the author's own clause text where it maps one to one.
        VersionReq::Specifiers { clauses, .. }
            if !clauses.is_empty() && r.syntax == Syntax::Pep508 =>
        {
            clauses
                .iter()
                .map(|c| file.slice(*c).trim().to_owned())
                .collect()
        }
        VersionReq::Specifiers { specifiers, .. } => {
            specifiers.iter().map(|s| s.to_string()).collect()
        }
        VersionReq::Any => Vec::new(),
        // A union (Poetry `||`, conda `|`): replaced by the window as a whole.
        VersionReq::AnyOf { .. } => Vec::new(),
        _ => return None,
    };
    let own = req_set(r)?;
    let is_pin = clauses_text
        .iter()
        .any(|c| c.starts_with("==") && !c.ends_with(".*") || c.starts_with("==="));
    // The window bounds this requirement crosses.
    let needed: Vec<String> = window
        .specifiers
        .iter()
        .filter(|w| {
            own.witness_outside(&VersionSet::from_specifier(w))
                .is_some()
        })
        .map(|w| w.to_string())
        .collect();
    // First the author's clauses that narrow the window (dropping bounds the window
    // replaces), then all of them; the first candidate inside the window with a published
    // release wins.
    let narrowing: Vec<String> = clauses_text
        .iter()
        .filter(|c| {
            pep440_rs::VersionSpecifiers::from_str(c)
                .map(|cs| !window.set.is_subset(&VersionSet::from_specifiers(&cs)))
                .unwrap_or(true)
        })
        .cloned()
        .collect();
    let mut replacement = None;
    if !is_pin {
        // Last resort for a range: the window itself (a range stays a range).
        let with_needed = |kept: &Vec<String>| {
            kept.iter()
                .chain(&needed)
                .cloned()
                .collect::<Vec<_>>()
                .join(",")
        };
        // Last resort for a range: the window itself (a range stays a range).
        let window_only: Vec<String> = window.specifiers.iter().map(|w| w.to_string()).collect();
        for text in [
            with_needed(&narrowing),
            with_needed(&clauses_text),
            window_only.join(","),
        ] {
            let Ok(specs) = pep440_rs::VersionSpecifiers::from_str(&text) else {
                continue;
            };
            let set = VersionSet::from_specifiers(&specs);
            if set.witness_outside(&window.set).is_none()
                && !set.is_empty()
                && any_published(rule, &set)
            {
                replacement = Some(text);
                break;
            }
        }
    }
    let replacement = match replacement {
        Some(t) => t,
        None => {
            // The newest in-window release that installs on every Python the finding holds on.
            let pys: Vec<Version> = pythons
                .iter()
                .filter_map(|p| Version::from_str(p).ok())
                .collect();
            let best = rule.releases.releases.iter().rev().find(|rel| {
                rel.status == Status::Final
                    && window.set.contains(&rel.version)
                    && pys.iter().all(|p| rel.installs_on(p))
            })?;
            format!("=={}", best.text)
        }
    };
    let (applicability, reason) = if r.hashed || parsed.hashed {
        (
            Applicability::Unsafe,
            Some("the file is in pip hash-checking mode: the hashes must be regenerated (e.g. `pip-compile --generate-hashes`)".to_owned()),
        )
    } else {
        (Applicability::Safe, None)
    };
    let edit = crate::formats::Edit::ReplaceVersion {
        req: r,
        spec: &replacement,
    };
    let (span, replacement) = crate::formats::render(file, &edit)?;
    Some(Fix {
        loc: Loc {
            file: r.loc.file,
            span,
        },
        replacement,
        applicability,
        reason,
    })
}

/// For an unconstrained package: insert a requirement right after the trigger, in the
/// file's own syntax and layout (the format renders it: `formats::InputFormat::insert`).
fn unconstrained_fix(
    files: &Files,
    tf: &Requirement,
    parsed: &Parsed,
    pkg: &str,
    spec: &str,
) -> Option<Fix> {
    let file = files.get(tf.loc.file);
    let edit = crate::formats::Edit::InsertRequirement {
        after: tf,
        name: pkg,
        spec,
    };
    let (span, replacement) = crate::formats::render(file, &edit)?;
    let (applicability, reason) = if parsed.hashed || tf.hashed {
        (Applicability::Unsafe, Some("the file is in pip hash-checking mode: a line without hashes fails pip's hash check; regenerate the hashes".to_owned()))
    } else {
        (Applicability::Safe, None)
    };
    Some(Fix {
        loc: Loc {
            file: tf.loc.file,
            span,
        },
        replacement,
        applicability,
        reason,
    })
}
