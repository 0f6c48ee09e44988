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
use crate::manifest::{FileId, Loc, Parsed, ProblemKind, Requirement, Role, Syntax, VersionReq};
use crate::markers;
use crate::rules::releases::Status;
use crate::rules::Rule;
use crate::source::Span;
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
    pub requirements: Vec<&'a Requirement>,
    pub extras: Vec<ExtraName>,
}

/// Split a parsed file into its units.
pub fn units(parsed: &Parsed) -> Vec<Unit<'_>> {
    if parsed.groups.is_empty() {
        return vec![Unit {
            name: String::new(),
            requirements: parsed.requirements.iter().collect(),
            extras: Vec::new(),
        }];
    }
    parsed
        .groups
        .iter()
        .map(|g| Unit {
            name: g.name.clone(),
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
    for unit in units(parsed) {
        for rule in rules {
            let pythons = pythons_for(rule, parsed, opts);
            check_unit(files, parsed, &unit, rule, &pythons, opts, &mut findings);
        }
    }
    out.extend(findings.into_iter().map(|f| f.diagnostic));
    out
}

/// The Pythons to consider for a rule in a file: the trigger's, narrowed by the file's
/// `requires-python` and the configured list.
fn pythons_for(rule: &Rule, parsed: &Parsed, opts: &Options) -> Vec<String> {
    rule.trigger
        .pythons
        .iter()
        .filter(|p| opts.pythons.as_ref().is_none_or(|list| list.contains(p)))
        .filter(|p| match &parsed.requires_python {
            None => true,
            Some((spec, _)) => python_admitted(spec, p),
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
}

/// The result of one (unit, rule, python).
struct PyVerdict {
    check: Check,
    severity: Severity,
    primary: Loc,
    label: String,
    message: String,
    help: Option<String>,
    related: Vec<Related>,
    outside: Vec<String>,
    pick: Option<String>,
    fix: Option<Fix>,
}

struct TriggerHit<'a> {
    req: &'a Requirement,
    certain: bool,
    /// The newest trigger-distribution release pip would pick instead, when not certain.
    newer: Option<Version>,
}

fn check_unit(
    files: &Files,
    parsed: &Parsed,
    unit: &Unit,
    rule: &Rule,
    pythons: &[String],
    opts: &Options,
    findings: &mut Vec<Finding>,
) {
    // no-supported-python: the unit requires the trigger but allows none of its Pythons.
    if pythons.is_empty() {
        if let Some((_, loc)) = &parsed.requires_python {
            let any = unit.requirements.iter().find(|r| {
                is_trigger_name(rule, &r.name, opts)
                    && r.role != Role::Constrain
                    && admits_trigger(rule, r)
            });
            if let Some(tf) = any {
                let mut d = Diagnostic::problem(
                    Check::NoSupportedPython,
                    Severity::Error,
                    *loc,
                    format!(
                        "the project allows none of the Pythons TensorFlow 1.14.0 ships wheels for ({}), but requires `{}`",
                        rule.trigger.pythons.join(", "),
                        compact(files.get(tf.loc.file).slice(tf.loc.span))
                    ),
                );
                d.rule = Some(rule.id.clone());
                d.label = "excludes every supported Python".into();
                d.related.push(Related {
                    loc: tf.loc,
                    message: "TensorFlow 1.14.0 required here".into(),
                });
                d.help = Some(format!(
                    "TensorFlow 1.14.0 has wheels only for Python {}: widen `requires-python` or move to a newer TensorFlow",
                    rule.trigger.pythons.join(", ")
                ));
                push_finding(findings, d);
            }
        }
        return;
    }
    let mut per_python: Vec<(String, PyVerdict, bool)> = Vec::new();
    for p in pythons {
        if !rule.holds_on(p) {
            continue;
        }
        let Some(hit) = trigger_on(rule, unit, p, opts) else {
            continue;
        };
        if let Some(v) = verdict(files, parsed, unit, rule, p, &hit, opts) {
            per_python.push((p.clone(), v, hit.certain));
        }
    }
    // Merge the Pythons that reach the same finding.
    let mut groups: Vec<(Vec<String>, Vec<(String, PyVerdict, bool)>)> = Vec::new();
    for item in per_python {
        let key = (item.1.check, item.1.primary);
        match groups
            .iter_mut()
            .find(|(_, g)| (g[0].1.check, g[0].1.primary) == key)
        {
            Some((ps, g)) => {
                ps.push(item.0.clone());
                g.push(item);
            }
            None => groups.push((vec![item.0.clone()], vec![item])),
        }
    }
    for (pythons, group) in groups {
        let mut pick = BTreeMap::new();
        for (p, v, _) in &group {
            if let Some(version) = &v.pick {
                pick.insert(p.clone(), version.clone());
            }
        }
        let severity = group
            .iter()
            .map(|(_, v, _)| v.severity)
            .max()
            .unwrap_or(Severity::Warning);
        let first = &group[0].1;
        let mut message = first.message.clone();
        if !pick.is_empty() {
            let picks: Vec<String> = pick
                .iter()
                .rev()
                .map(|(p, v)| format!("{v} on Python {p}"))
                .collect();
            message.push_str(&format!("; pip would pick {}", picks.join(", ")));
        }
        let mut d = Diagnostic::problem(first.check, severity, first.primary, message);
        d.rule = Some(rule.id.clone());
        d.label = first.label.clone();
        d.package = Some(rule.package.to_string());
        d.window = Some(rule.window.text.clone());
        d.pythons = pythons;
        d.outside_released = first.outside.clone();
        d.pip_would_pick = pick;
        d.related = first.related.clone();
        d.help = first.help.clone();
        d.fix = first.fix.clone();
        push_finding(findings, d);
    }
}

fn push_finding(findings: &mut Vec<Finding>, d: Diagnostic) {
    let key = (d.check, d.rule.clone().unwrap_or_default(), d.loc);
    if let Some(f) = findings.iter_mut().find(|f| f.key == key) {
        for p in &d.pythons {
            if !f.diagnostic.pythons.contains(p) {
                f.diagnostic.pythons.push(p.clone());
            }
        }
        f.diagnostic
            .pythons
            .sort_by(|a, b| py_order(a).cmp(&py_order(b)));
        for (p, v) in d.pip_would_pick {
            f.diagnostic.pip_would_pick.entry(p).or_insert(v);
        }
        f.diagnostic.severity = f.diagnostic.severity.max(d.severity);
        return;
    }
    findings.push(Finding { key, diagnostic: d });
}

fn py_order(p: &str) -> Vec<u64> {
    p.split('.').filter_map(|x| x.parse().ok()).collect()
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
        let mut set = VersionSet::full();
        for r in &reqs {
            match req_set(r) {
                Some(s) => set = set.intersect(&s),
                None => return None,
            }
        }
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

fn verdict(
    files: &Files,
    parsed: &Parsed,
    unit: &Unit,
    rule: &Rule,
    p: &str,
    hit: &TriggerHit,
    opts: &Options,
) -> Option<PyVerdict> {
    let tf_text = compact(files.get(hit.req.loc.file).slice(hit.req.loc.span));
    let possible_note = if hit.certain {
        String::new()
    } else {
        match &hit.newer {
            Some(v) => format!(
                " (only if TensorFlow 1.14.0 is installed: `{tf_text}` also admits {v}, which pip would pick on Python {p})"
            ),
            None => format!(" (only if TensorFlow 1.14.0 is installed: `{tf_text}` admits other versions too)"),
        }
    };
    let cap = |s: Severity| {
        if hit.certain {
            s
        } else {
            s.min(Severity::Warning)
        }
    };
    let pkg_reqs: Vec<&Requirement> = unit
        .requirements
        .iter()
        .copied()
        .filter(|r| r.name == rule.package && markers::can_hold(&r.marker, p, &unit.extras))
        .collect();
    let overrides: Vec<&Requirement> = pkg_reqs
        .iter()
        .copied()
        .filter(|r| r.role == Role::Override)
        .collect();
    let contributing: Vec<&Requirement> = if overrides.is_empty() {
        pkg_reqs.clone()
    } else {
        overrides.clone()
    };
    let tf_related = Related {
        loc: hit.req.loc,
        message: "TensorFlow 1.14.0 required here".into(),
    };
    let pkg = rule.package.to_string();
    let window = &rule.window;
    let py_version = Version::from_str(p).ok()?;

    if contributing.is_empty() {
        if !rule.absence_is_finding {
            return None;
        }
        if let Some(lock) = &opts.sibling_lock {
            if lock.pins.contains_key(&rule.package) {
                // The lock beside this declaration pins it; the lock's own verdict stands.
                return None;
            }
        }
        let declared = rule
            .declared
            .as_ref()
            .map(|d| d.set.clone())
            .unwrap_or_else(VersionSet::full);
        let pick = pip_pick(rule, &declared, &[], &py_version);
        let mut message = format!("`{pkg}` is not constrained");
        if let Some(d) = &rule.declared {
            message.push_str(&format!(
                ": TensorFlow 1.14.0 only requires `{pkg}{}`, wider than the tested window `{}`",
                d.text, window.text
            ));
        } else {
            message.push_str(&format!(
                ": nothing keeps it within the tested window `{}`",
                window.text
            ));
        }
        if let Some(via) = &rule.via {
            message.push_str(&format!(" (it comes in through {via})"));
        }
        message.push_str(&possible_note);
        let outside = outside_releases(rule, &declared);
        let help = Some(format!(
            "add `{pkg}{}` next to the TensorFlow requirement{}",
            window.text,
            notes_suffix(rule)
        ));
        let fix = unconstrained_fix(files, hit.req, parsed, &format!("{pkg}{}", window.text));
        return Some(PyVerdict {
            check: Check::Unconstrained,
            severity: cap(rule.severity),
            primary: hit.req.loc,
            label: format!("requires TensorFlow 1.14.0 but leaves {pkg} free"),
            message,
            help,
            related: Vec::new(),
            outside,
            pick: pick.map(|(v, _)| v),
            fix,
        });
    }

    // A_p and A_p ∩ declared.
    let mut sets: Vec<(&Requirement, VersionSet)> = Vec::new();
    for r in &contributing {
        match req_set(r) {
            Some(s) => sets.push((r, s)),
            // A direct reference: the version is whatever the URL builds; cannot judge.
            None => return None,
        }
    }
    let a = sets
        .iter()
        .fold(VersionSet::full(), |acc, (_, s)| acc.intersect(s));
    let a_decl = match (&rule.declared, overrides.is_empty()) {
        (Some(d), true) => a.intersect(&d.set),
        _ => a.clone(),
    };
    let pick = pip_pick(rule, &a_decl, &contributing, &py_version);

    if a_decl.is_empty() || pick.is_none() && !any_published(rule, &a_decl) {
        let primary = contributing
            .last()
            .map(|r| spec_loc(r))
            .unwrap_or(hit.req.loc);
        let mut related: Vec<Related> = contributing
            .iter()
            .filter(|r| spec_loc(r) != primary)
            .map(|r| Related {
                loc: spec_loc(r),
                message: format!("also constrains {pkg}"),
            })
            .collect();
        related.push(tf_related);
        let why = if a.is_empty() {
            "the requirements on it exclude each other".to_owned()
        } else if a_decl.is_empty() {
            format!(
                "TensorFlow 1.14.0 requires `{pkg}{}`, which this excludes",
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
            message: format!("pip cannot install this unit: {why}{possible_note}"),
            help: Some(format!(
                "use a range inside the tested window, e.g. `{pkg}{}`{}",
                window.text,
                notes_suffix(rule)
            )),
            related,
            outside: Vec::new(),
            pick: None,
            fix: None,
        });
    }

    let witness = a.witness_outside(&window.set)?;
    let above_decl = a_decl.witness_outside(&window.set);
    let severity = if above_decl.is_some() {
        rule.severity
    } else {
        Severity::Warning
    };
    let outside = outside_releases(rule, &a);
    // The offending requirement: the one whose own set leaks the least (it sets A_p's edge).
    let probe = above_decl.clone().unwrap_or(witness.clone());
    let offender = sets
        .iter()
        .filter(|(_, s)| s.contains(&probe) || s.contains_any(&probe))
        .min_by_key(|(_, s)| outside_releases(rule, s).len())
        .map(|(r, _)| *r)
        .unwrap_or(contributing[0]);
    let primary = spec_loc(offender);
    let mut related: Vec<Related> = contributing
        .iter()
        .filter(|r| spec_loc(r) != primary)
        .map(|r| Related {
            loc: spec_loc(r),
            message: format!("also constrains {pkg}"),
        })
        .collect();
    related.push(tf_related);
    let req_text = compact(files.get(offender.loc.file).slice(offender.loc.span));
    let listed = if outside.is_empty() {
        format!("e.g. {witness}, though no published release")
    } else {
        compact_list(&outside)
    };
    let mut message = format!(
        "`{req_text}` admits {pkg} versions outside TensorFlow 1.14.0's tested window `{}`: {listed}",
        window.text
    );
    if above_decl.is_none() {
        message.push_str(&format!(
            " (TensorFlow's own `{pkg}{}` keeps pip inside the window)",
            rule.declared
                .as_ref()
                .map(|d| d.text.as_str())
                .unwrap_or("")
        ));
    }
    message.push_str(&possible_note);
    let effect_of = pick
        .as_ref()
        .and_then(|(v, _)| Version::from_str(v).ok())
        .filter(|v| !window.set.contains_any(v))
        .or(above_decl.clone())
        .unwrap_or(witness.clone());
    let effect = rule
        .effect_of(&effect_of)
        .map(|e| format!("{pkg} {effect_of}: {}", e.effect));
    let fix = range_fix(
        files,
        rule,
        offender,
        &contributing,
        &py_versions_for_fix(p),
        parsed,
    );
    let mut help = String::new();
    if let Some(e) = &effect {
        help.push_str(e);
        help.push('\n');
    }
    match &fix {
        Some(f) if offender.syntax != Syntax::Lock => help.push_str(&format!(
            "fix: `{}`{}",
            fix_preview(files, offender, f),
            f.reason
                .as_ref()
                .map(|r| format!(" ({r})"))
                .unwrap_or_default()
        )),
        _ if offender.syntax == Syntax::Lock => help.push_str(&format!(
            "lockfiles are not edited: constrain `{pkg}{}` in the declaration and re-lock",
            window.text
        )),
        _ => help.push_str(&format!("keep {pkg} within `{}`", window.text)),
    }
    help.push_str(&notes_suffix(rule));
    Some(PyVerdict {
        check: Check::OutsideWindow,
        severity: cap(severity),
        primary,
        label: format!("admits {pkg} outside `{}`", window.text),
        message,
        help: Some(help),
        related,
        outside,
        pick: pick.map(|(v, _)| v),
        fix,
    })
}

fn py_versions_for_fix(p: &str) -> Vec<String> {
    vec![p.to_owned()]
}

fn notes_suffix(rule: &Rule) -> String {
    if rule.install_notes.is_empty() {
        String::new()
    } else {
        format!("\nnote: {}", rule.install_notes.join("; "))
    }
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

/// Published final releases admitted by `set` that lie outside the window.
fn outside_releases(rule: &Rule, set: &VersionSet) -> Vec<String> {
    rule.releases
        .releases
        .iter()
        .filter(|r| r.status == Status::Final)
        .filter(|r| set.contains(&r.version) && !rule.window.set.contains_any(&r.version))
        .map(|r| r.text.clone())
        .collect()
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
    _all: &[&Requirement],
    pythons: &[String],
    parsed: &Parsed,
) -> Option<Fix> {
    if r.syntax == Syntax::Lock {
        return None;
    }
    let window = &rule.window;
    let (span, clauses_text): (Span, Vec<String>) = match &r.version {
        VersionReq::Specifiers {
            specifiers, span, ..
        } => (*span, specifiers.iter().map(|s| s.to_string()).collect()),
        VersionReq::Any if r.syntax == Syntax::Pep508 => {
            let text = &files.get(r.loc.file).text;
            let mut end = r.name_span.end;
            if text.as_bytes().get(end) == Some(&b'[') {
                end = text[end..].find(']').map(|i| end + i + 1)?;
            }
            (Span::new(end, end), Vec::new())
        }
        _ => return None,
    };
    let own = req_set(r)?;
    let is_pin = clauses_text
        .iter()
        .any(|c| c.starts_with("==") && !c.ends_with(".*") || c.starts_with("==="));
    let mut replacement = None;
    if !is_pin {
        let mut kept: Vec<String> = Vec::new();
        for c in &clauses_text {
            let Ok(cs) = pep440_rs::VersionSpecifiers::from_str(c) else {
                continue;
            };
            if !window.set.is_subset(&VersionSet::from_specifiers(&cs)) {
                kept.push(c.clone());
            }
        }
        let mut needed: Vec<String> = Vec::new();
        for w in window.specifiers.iter() {
            let ws = VersionSet::from_specifier(w);
            if own.witness_outside(&ws).is_some() {
                needed.push(w.to_string());
            }
        }
        let candidate: Vec<String> = kept.iter().chain(&needed).cloned().collect();
        let text = candidate.join(",");
        if let Ok(specs) = pep440_rs::VersionSpecifiers::from_str(&text) {
            let set = VersionSet::from_specifiers(&specs);
            if set.witness_outside(&window.set).is_none()
                && !set.is_empty()
                && any_published(rule, &set)
            {
                replacement = Some(text);
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

/// For an unconstrained package in a requirements file: insert a line after the trigger.
fn unconstrained_fix(files: &Files, tf: &Requirement, parsed: &Parsed, line: &str) -> Option<Fix> {
    if tf.syntax != Syntax::Pep508 {
        return None;
    }
    let file = files.get(tf.loc.file);
    // Only for line-oriented files: the requirement must start its line.
    let li = file.line_index(tf.loc.span.start);
    let start = file.line_start(li);
    let indent = file.text.get(start..tf.loc.span.start)?;
    if !indent.chars().all(|c| c == ' ' || c == '\t') {
        return None;
    }
    // Insert after the physical line that ends the requirement (and its continuations).
    let end_line = file.line_index(tf.loc.span.end.saturating_sub(1).max(tf.loc.span.start));
    let mut at = if end_line + 1 < file.line_count() {
        file.line_start(end_line + 1)
    } else {
        file.text.len()
    };
    // Skip continuation lines of the requirement (options such as --hash on the next lines).
    let mut l = end_line;
    while file.line_text(l).trim_end().ends_with('\\') && l + 1 < file.line_count() {
        l += 1;
        at = if l + 1 < file.line_count() {
            file.line_start(l + 1)
        } else {
            file.text.len()
        };
    }
    let eol = if file.text.contains("\r\n") {
        "\r\n"
    } else {
        "\n"
    };
    let needs_leading_newline =
        at == file.text.len() && !file.text.ends_with('\n') && !file.text.is_empty();
    let replacement = format!(
        "{}{indent}{line}{}",
        if needs_leading_newline { eol } else { "" },
        if needs_leading_newline { "" } else { eol }
    );
    let (applicability, reason) = if parsed.hashed {
        (Applicability::Unsafe, Some("the file is in pip hash-checking mode: a line without hashes fails pip's hash check; regenerate the hashes".to_owned()))
    } else {
        (Applicability::Safe, None)
    };
    let _: FileId = tf.loc.file;
    Some(Fix {
        loc: Loc {
            file: tf.loc.file,
            span: Span::new(at, at),
        },
        replacement,
        applicability,
        reason,
    })
}
