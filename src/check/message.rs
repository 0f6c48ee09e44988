//! Every word a finding says: verdicts in, diagnostics out. The evaluator decides; this
//! module only phrases, naming the trigger, package, window and effects from the rule's
//! data, quoting the file's own text, and merging a finding reached through several units.

use std::borrow::Cow;
use std::collections::HashMap;

use crate::hash::HashSet;
use std::str::FromStr;

use pep440_rs::Version;

use super::evaluate::outside_releases;
use super::fix_proposal::{fix_preview, range_fix, relock_hint, unconstrained_fix};
use super::verdict::{Detail, FixIntent, Judgement, NoWheels, PyVerdict, Unsatisfiable, Verdict};
use super::{compact, Check, Options, Source};
use crate::diagnostic::{
    python_order, Applicability, Diagnostic, Fix, Pick, Place, Related, ReleaseNames, ReleaseRange,
    ReleaseSummary, Severity, Shared,
};
use crate::files::Files;
use crate::manifest::{Loc, Parsed, Requirement, Role, Syntax, VersionReq};
use crate::rules::environments::{platform_title, Environment, PLATFORMS};
use crate::rules::Rule;

/// The findings a unit's verdicts went into, each with whether it names the units that
/// reach it (a per-environment finding names derived units; no-supported-python names none):
/// what a unit whose verdicts would be the same joins instead ([`Phrasing::rejoin`]).
pub(crate) type Joined = Vec<(usize, bool)>;

/// The diagnostics of a file's verdicts, built as the evaluator produces them: one per
/// finding, however many units reach it. A verdict is phrased when it is made and then
/// dropped; a unit whose verdicts would be the same as an earlier unit's only joins that
/// unit's findings, which is what phrasing and absorbing the same diagnostic again would do
/// (absorbing is a union). So what is held is the findings, not every unit's verdicts.
pub(crate) struct Phrasing<'f, 'a> {
    files: &'f Files,
    parsed: &'a Parsed,
    opts: &'f Options,
    findings: Findings<'a>,
}

impl<'f, 'a> Phrasing<'f, 'a> {
    pub(crate) fn new(files: &'f Files, parsed: &'a Parsed, opts: &'f Options) -> Self {
        Phrasing {
            files,
            parsed,
            opts,
            findings: Findings::default(),
        }
    }

    /// A unit (its kind and name) reaching freshly judged verdicts, in order: each is phrased,
    /// or merged into the finding already reached with its key.
    pub(crate) fn phrase(
        &mut self,
        kind: crate::manifest::GroupKind,
        name: &'a str,
        verdicts: &[Verdict<'a>],
    ) -> Joined {
        let (files, parsed, opts) = (self.files, self.parsed, self.opts);
        let findings = &mut self.findings;
        let mut joined = Vec::with_capacity(verdicts.len());
        for v in verdicts {
            let (d, unit, picks) = match &v.judgement {
                Judgement::PerEnv(group) => {
                    // Derived units (an extra, a dependency group, dev packages) are named in
                    // the message; a finding that a base unit reaches too is about the base.
                    let unit = kind.is_derived().then_some(name);
                    // A finding already reached through another unit is not phrased again:
                    // only what merging takes from it (severity, environments, picks) is built.
                    let first = &group[0].1;
                    let key = finding_key(first.check, &v.rule.id, first.primary);
                    if findings.index.contains_key(&key) {
                        (reached_again(v, group), unit, None)
                    } else {
                        let (d, picks) = finish(files, parsed, opts, v, group);
                        (d, unit, Some(picks))
                    }
                }
                Judgement::NoSupportedPython {
                    requires_python,
                    trigger,
                    no_wheels,
                } => (
                    no_supported_python(
                        files,
                        v.rule,
                        *requires_python,
                        trigger,
                        no_wheels.as_ref(),
                    ),
                    None,
                    None,
                ),
            };
            let names = matches!(v.judgement, Judgement::PerEnv(_));
            joined.push((push_finding(findings, d, &v.rule.id, unit, picks), names));
        }
        joined
    }

    /// A unit reaching the same verdicts as the unit that `joined` came from.
    pub(crate) fn rejoin(
        &mut self,
        kind: crate::manifest::GroupKind,
        name: &'a str,
        joined: &Joined,
    ) {
        for &(f, names) in joined {
            let unit = (names && kind.is_derived()).then_some(name);
            join_unit(&mut self.findings.list[f], unit);
        }
    }

    /// The diagnostics, in the order first reached.
    pub(crate) fn finish(self) -> Vec<Diagnostic> {
        self.findings
            .list
            .into_iter()
            .map(|mut f| {
                // The notes are the finding's own once it names every unit reaching it.
                let mut own_notes = false;
                if !f.base && !f.units.is_empty() {
                    // At most three names in the headline; every one in a note when there are
                    // more.
                    const NAMED: usize = 3;
                    let names: Vec<String> = f.units.iter().map(|u| format!("`{u}`")).collect();
                    let shown = match names.len() {
                        n if n > NAMED => {
                            format!("{} and {} more units", names[..NAMED].join(", "), n - NAMED)
                        }
                        _ => names.join(", "),
                    };
                    f.diagnostic.message.push_str(&format!(" (in {shown})"));
                    if names.len() > NAMED {
                        f.diagnostic
                            .notes
                            .push(format!("reached through {}", names.join(", ")));
                        own_notes = true;
                    }
                }
                // The picks are phrased last, from every unit's picks: the notes say what the
                // JSON's `pip_would_pick` says.
                if let Some(p) = &f.picks {
                    let d = &mut f.diagnostic;
                    let picks = shared_pick_notes(p, &d.pip_would_pick, &d.environments);
                    if own_notes {
                        let at = p.at.min(d.notes.len());
                        d.notes.splice(at..at, picks.iter().cloned());
                    } else {
                        d.notes = with_pick_notes(&d.notes, &picks, p.at);
                    }
                }
                f.diagnostic
            })
            .collect()
    }
}

impl<'a> super::evaluate::Sink<'a> for Phrasing<'_, 'a> {
    type Token = Joined;
    fn judged(&mut self, unit: &super::Unit<'a>, verdicts: &mut Vec<Verdict<'a>>) -> Joined {
        self.phrase(unit.kind, unit.name, verdicts)
    }
    fn again(&mut self, unit: &super::Unit<'a>, joined: &Joined) {
        self.rejoin(unit.kind, unit.name, joined);
    }
}

/// A unit reaches a finding: name it (a derived unit), or mark the finding as the base's.
fn join_unit<'a>(f: &mut Finding<'a>, unit: Option<&'a str>) {
    match unit {
        Some(u) => {
            let new = match &mut f.unit_set {
                Some(set) => set.insert(u),
                None => !f.units.contains(&u),
            };
            if new {
                f.units.push(u);
                if f.unit_set.is_none() && f.units.len() > UNITS_SCANNED {
                    f.unit_set = Some(f.units.iter().copied().collect());
                }
            }
        }
        None => f.base = true,
    }
}

/// Up to this many units, whether a finding names one already is a scan of its names; past
/// it, a set (most of 50,000 findings name one unit: a set each would be most of their
/// memory).
const UNITS_SCANNED: usize = 8;

/// What the pick notes of a finding need, kept until every unit reaching it is merged.
struct PickWords<'a> {
    rule: &'a Rule,
    /// The finding is about a lock's pin: "the lock pins", never "pip would pick".
    lock: bool,
    /// The finding is about an installed environment: the headline names the version.
    installed: bool,
    /// Where the unit installs the trigger (so "every Python" is true).
    triggered: Vec<&'static Environment>,
    /// Where in the notes the pick notes go.
    at: usize,
}

struct Finding<'a> {
    diagnostic: Diagnostic,
    /// The non-base units that reach the finding (empty when the base unit does), in the
    /// order first reached; `unit_set` holds the same names for the membership test once
    /// there are more than [`UNITS_SCANNED`].
    units: Vec<&'a str>,
    unit_set: Option<HashSet<&'a str>>,
    base: bool,
    picks: Option<PickWords<'a>>,
}

/// Findings in the order first reached, indexed by key: a finding reached through many
/// units (thousands of extras or lock groups) merges in constant time, not by a scan of
/// every finding and unit so far (issue 15 §4).
#[derive(Default)]
struct Findings<'a> {
    list: Vec<Finding<'a>>,
    index: crate::hash::HashMap<(Check, &'a str, Loc), usize>,
}

/// The key a finding merges by: check, rule and location. One no-supported-python finding
/// per file, not one per constrained package: it is keyed without its rule, so the first
/// rule's id is the one shown.
fn finding_key(check: Check, rule: &str, loc: Loc) -> (Check, &str, Loc) {
    let rule_key = match check {
        Check::NoSupportedPython => "",
        _ => rule,
    };
    (check, rule_key, loc)
}

/// What [`Diagnostic::absorb`] takes from a finding reached again through another unit:
/// its severity, environments and picks, as [`finish`] sets them (nothing is phrased).
fn reached_again(verdict: &Verdict, group: &[(&'static Environment, PyVerdict)]) -> Diagnostic {
    let first = &group[0].1;
    let mut d = Diagnostic::problem(
        first.check,
        group_severity(group),
        first.primary,
        String::new(),
    );
    d.rule = Some(verdict.rule.id.clone());
    set_places(&mut d, group);
    d.pip_would_pick = group_picks(verdict.rule, group).into();
    d
}

/// A finding's severity: the worst over its environments.
fn group_severity(group: &[(&'static Environment, PyVerdict)]) -> Severity {
    group
        .iter()
        .map(|(_, v)| v.severity)
        .max()
        .unwrap_or(Severity::Warning)
}

/// Where a finding holds ([`Diagnostic::set_environments`] of its places), sorted once per
/// thread for each list of environments: a tree's findings hold on a handful of lists, and
/// sorting parses each Python.
fn set_places(d: &mut Diagnostic, group: &[(&'static Environment, PyVerdict)]) {
    type Sorted = (
        Shared<Vec<std::borrow::Cow<'static, str>>>,
        Shared<Vec<std::borrow::Cow<'static, str>>>,
        Shared<Vec<Place>>,
    );
    thread_local! {
        static KNOWN: std::cell::RefCell<HashMap<Vec<usize>, Sorted, super::evaluate::FastHash>> =
            std::cell::RefCell::new(HashMap::default());
    }
    // The environments are the embedded table's (`'static`): the same address is the same
    // environment.
    let key: Vec<usize> = group
        .iter()
        .map(|(e, _)| std::ptr::from_ref(*e) as usize)
        .collect();
    let (pythons, platforms, places) = super::evaluate::remembered(&KNOWN, 1024, key, |_| {
        d.set_environments(group_places(group));
        (
            std::mem::take(&mut d.pythons),
            std::mem::take(&mut d.platforms),
            std::mem::take(&mut d.environments),
        )
    });
    d.pythons = pythons;
    d.platforms = platforms;
    d.environments = places;
}

/// Where a finding holds, one place per environment.
fn group_places(group: &[(&'static Environment, PyVerdict)]) -> Vec<Place> {
    group.iter().map(|(e, _)| env_place(e)).collect()
}

/// An embedded environment as a place (its names are the table's: nothing is copied).
fn env_place(e: &'static Environment) -> Place {
    Place::new(&e.python, &e.platform)
}

/// pip's pick on each environment of a finding that has one.
fn group_picks(rule: &Rule, group: &[(&'static Environment, PyVerdict)]) -> Vec<Pick> {
    group
        .iter()
        .filter_map(|(e, v)| {
            v.pick.map(|i| Pick {
                python: &e.python,
                platform: &e.platform,
                version: rule.releases.releases[i].text.clone(),
            })
        })
        .collect()
}

/// Add a diagnostic to the findings, merging it into the finding with its key; returns the
/// finding's index.
fn push_finding<'a>(
    findings: &mut Findings<'a>,
    d: Diagnostic,
    rule: &'a str,
    unit: Option<&'a str>,
    picks: Option<PickWords<'a>>,
) -> usize {
    let key = finding_key(d.check, rule, d.loc);
    if let Some(&i) = findings.index.get(&key) {
        let f = &mut findings.list[i];
        join_unit(f, unit);
        f.diagnostic.absorb(d);
        return i;
    }
    let i = findings.list.len();
    findings.index.insert(key, i);
    findings.list.push(Finding {
        diagnostic: d,
        units: unit.into_iter().collect(),
        unit_set: None,
        base: unit.is_none(),
        picks,
    });
    i
}

/// `no-supported-python`: the line that excludes the trigger's Pythons, and either the
/// requirement that admits nothing but the trigger, or (`no_wheels`) the one that admits no
/// release with a wheel for the Pythons the file allows.
fn no_supported_python(
    files: &Files,
    rule: &Rule,
    at: Loc,
    tf: &Requirement,
    no_wheels: Option<&NoWheels>,
) -> Diagnostic {
    let t = &rule.trigger.title;
    // The line that excludes them, in the file's own words (`python=3.8` in conda).
    let rp = line_words(files.get(at.file).text.as_str(), at.span);
    let req = compact(files.get(tf.loc().file).slice(tf.loc().span));
    let pythons = rule.trigger.pythons.join(", ");
    let (message, related, help) = match no_wheels {
        None => (
            format!(
                "`{rp}` excludes every Python {t} ships wheels for ({pythons}), but the project requires `{req}`, which admits no other release"
            ),
            format!("{t} required here"),
            format!(
                "{t} has wheels only for Python {pythons}: change `{rp}` to allow one of them, or move to a newer release"
            ),
        ),
        Some(nw) => {
            let allowed = series_words(nw);
            let dist = tf.name.to_string();
            // The oldest release with a wheel for the lowest allowed Python that has any.
            let move_to = nw.pythons.iter().find_map(|&(major, minor)| {
                let py = format!("{major}.{minor}");
                let vs = rule.trigger.other_wheels.as_ref()?.versions(&py, &dist)?;
                let oldest = vs.iter().find(|v| !v.any_prerelease()).or(vs.first())?;
                Some(format!(
                    ", or require a {dist} release with a wheel for Python {py} (the oldest is {oldest})"
                ))
            });
            let help = match move_to {
                Some(m) => format!(
                    "{t} has wheels only for Python {pythons}: change `{rp}` to allow one of them{m}"
                ),
                None => format!(
                    "{t} has wheels only for Python {pythons}: change `{rp}` to allow one of them (no {dist} release has a wheel for Python {allowed})"
                ),
            };
            (
                format!(
                    "`{rp}` excludes every Python {t} ships wheels for ({pythons}), and no release `{req}` admits has a wheel for Python {allowed}"
                ),
                format!("no release it admits has a wheel for Python {allowed}"),
                help,
            )
        }
    };
    let mut d = Diagnostic::problem(Check::NoSupportedPython, Severity::Error, at, message);
    d.rule = Some(rule.id.clone());
    d.label = format!("excludes every Python {t} supports").into();
    d.related.push(Related {
        loc: tf.loc(),
        message: related,
    });
    if let Some(((major, minor), newest)) = no_wheels.and_then(|nw| nw.newer_than.as_ref()) {
        d.notes.push(format!(
            "the newest {} release in depwindow's data is {newest}: a later one may bring wheels for Python {major}.{} and newer, but `{req}` admits no later release",
            tf.name,
            minor + 1
        ));
    }
    d.help = Some(help.into());
    d
}

/// The Pythons of a [`NoWheels`], compactly: "3.8", "3.8 and 3.9", "3.8–3.10", "3.8 and
/// newer" (runs of three or more as a range; the future as "and newer").
fn series_words(nw: &NoWheels) -> String {
    let mut runs: Vec<((u64, u64), (u64, u64))> = Vec::new();
    for &(major, minor) in &nw.pythons {
        match runs.last_mut() {
            Some((_, hi)) if hi.0 == major && hi.1 + 1 == minor => *hi = (major, minor),
            _ => runs.push(((major, minor), (major, minor))),
        }
    }
    let newer = nw.newer_than.as_ref().map(|(s, _)| *s);
    let mut items: Vec<String> = Vec::new();
    let last = runs.len().saturating_sub(1);
    for (i, &(lo, hi)) in runs.iter().enumerate() {
        let name = |(a, b): (u64, u64)| format!("{a}.{b}");
        if i == last && newer == Some(hi) {
            items.push(format!("{} and newer", name(lo)));
            continue;
        }
        match hi.1 - lo.1 {
            0 => items.push(name(lo)),
            1 => items.extend([name(lo), name(hi)]),
            _ => items.push(format!("{}–{}", name(lo), name(hi))),
        }
    }
    if let Some((major, minor)) = newer {
        if runs.last().is_none_or(|(_, hi)| *hi != (major, minor)) {
            items.push(format!("{major}.{} and newer", minor + 1));
        }
    }
    let items: Vec<&str> = items.iter().map(String::as_str).collect();
    and_list(&items)
}

/// The line holding `span`, without indentation, a YAML list dash or a trailing comment
/// (`requires-python = ">=3.8"`, `python=3.8`), on one line; the span's own text when the
/// line holds more than it (a one-line table).
fn line_words(text: &str, span: crate::source::Span) -> String {
    let own = text.get(span.start..span.end).unwrap_or("");
    let start = text[..span.start.min(text.len())]
        .rfind('\n')
        .map_or(0, |i| i + 1);
    let end = text[span.end.min(text.len())..]
        .find('\n')
        .map_or(text.len(), |i| span.end + i);
    let line = text.get(start..end).unwrap_or(own).trim();
    let line = line.strip_prefix("- ").unwrap_or(line);
    let line = match line.find(" #") {
        Some(i) if i >= span.end.saturating_sub(start) => &line[..i],
        _ => line,
    };
    let line = line.trim().trim_end_matches(',');
    if line.len() > 80 || line.contains('{') {
        compact(own)
    } else {
        compact(line)
    }
}

/// Environments in the words "holds on" uses, relative to `scope` (the environments of the
/// finding): "2.7 and 3.5", "3.5–3.7", "3.7 (Linux and macOS)". Operating systems are named
/// only when a Python stands for fewer of them than `scope` has (then for every Python);
/// Pythons ascending. The caller writes "Python" before it. Written into one string.
fn places_words(rule: &Rule, places: &[Place], scope: &[Place]) -> String {
    let mut pythons: Vec<&'static str> = Vec::new();
    for p in places {
        if !pythons.contains(&p.python) {
            pythons.push(p.python);
        }
    }
    pythons.sort_by_cached_key(|p| python_order(p));
    // The operating systems a Python has in a set, as bits in `PLATFORMS` order.
    let oses = |set: &[Place], py: &str| -> u8 {
        PLATFORMS
            .iter()
            .enumerate()
            .filter(|(_, os)| set.iter().any(|e| e.python == py && e.platform == **os))
            .fold(0, |bits, (i, _)| bits | 1 << i)
    };
    // Runs of Pythons with the same naming of operating systems, in ascending order (as
    // ranges of `pythons`). When one Python is named with its operating systems, every one
    // is: "2.7 and 3.7 (Windows)" would read as if both were Windows only.
    let any_named = pythons.iter().any(|py| oses(places, py) != oses(scope, py));
    let mut groups: Vec<(Option<u8>, std::ops::Range<usize>)> = Vec::new();
    for (k, py) in pythons.iter().enumerate() {
        let named = any_named.then(|| oses(places, py));
        match groups.last_mut() {
            Some((n, run)) if *n == named => run.end = k + 1,
            _ => groups.push((named, k..k + 1)),
        }
    }
    let mut out = String::new();
    write_and_list(&mut out, groups.len(), |out, g| {
        let (named, run) = &groups[g];
        write_python_runs(out, rule, &pythons[run.clone()]);
        if let Some(bits) = *named {
            let os = |k: usize| {
                (0..PLATFORMS.len())
                    .filter(|i| bits & 1 << i != 0)
                    .nth(k)
                    .map_or("", |i| platform_title(PLATFORMS[i]))
            };
            out.push_str(" (");
            write_and_list(out, bits.count_ones() as usize, |out, k| {
                out.push_str(os(k))
            });
            out.push(')');
        }
    });
    out
}

/// Versions grouped with the environments that get each, ordered by their lowest Python,
/// one item per version: "1.16.6 on Python 2.7", "1.18.5 on 3.5", "1.21.6 on 3.6 and 3.7"
/// (the caller joins them with "; ").
fn grouped_versions<S: AsRef<str>>(
    rule: &Rule,
    picks: &[(Place, S)],
    scope: &[Place],
) -> Vec<String> {
    let mut sorted: Vec<&(Place, S)> = picks.iter().collect();
    sorted.sort_by_cached_key(|(p, _)| p.order());
    let mut groups: Vec<(&str, Vec<Place>)> = Vec::new();
    for (place, v) in sorted {
        let v = v.as_ref();
        match groups.iter_mut().find(|(g, _)| *g == v) {
            Some((_, ps)) => ps.push(*place),
            None => groups.push((v, vec![*place])),
        }
    }
    groups
        .iter()
        .enumerate()
        .map(|(i, (v, ps))| {
            let python = if i == 0 { "Python " } else { "" };
            format!("{v} on {python}{}", places_words(rule, ps, scope))
        })
        .collect()
}

/// Everything [`pick_notes`] reads, as a memo key: the rule (by `uid`, never reused; its
/// data is fixed once loaded), whether it is a lock's or an installed environment's finding,
/// then, by address, where the trigger is installed, the picks and the finding's
/// environments. The addresses are of the embedded environment table's names and of the
/// rule's own release texts (picks name the rule's releases), which live as long as the
/// rule: the same address is the same text, and another address with the same text is only
/// phrased again.
#[derive(PartialEq, Eq, Hash)]
struct PickNotesKey {
    rule: u64,
    lock: bool,
    installed: bool,
    /// How many triggered environments, picks and scope places, then the triggered
    /// environments' addresses, then the address and length of each pick's Python,
    /// platform and version, then of each place's Python and platform.
    at: Vec<usize>,
}

#[cfg(test)]
thread_local! {
    /// How many times [`pick_notes`] phrased a finding's picks on this thread (tests).
    pub(super) static PICK_NOTES_PHRASED: std::cell::Cell<usize> = const { std::cell::Cell::new(0) };
}

/// [`pick_notes`], phrased once per thread for each distinct [`PickNotesKey`]: thousands of
/// findings on an unconstrained package get the same picks on the same environments.
fn shared_pick_notes(w: &PickWords, picks: &[Pick], scope: &[Place]) -> std::rc::Rc<Vec<String>> {
    type Memo = HashMap<PickNotesKey, std::rc::Rc<Vec<String>>, super::evaluate::FastHash>;
    thread_local! {
        static KNOWN: std::cell::RefCell<Memo> = std::cell::RefCell::new(HashMap::default());
    }
    let mut at = Vec::with_capacity(3 + w.triggered.len() + 6 * picks.len() + 4 * scope.len());
    at.extend([w.triggered.len(), picks.len(), scope.len()]);
    at.extend(w.triggered.iter().map(|e| std::ptr::from_ref(*e) as usize));
    let mut text = |s: &str| at.extend([s.as_ptr() as usize, s.len()]);
    for k in picks {
        text(k.python);
        text(k.platform);
        text(&k.version);
    }
    for p in scope {
        text(p.python);
        text(p.platform);
    }
    let key = PickNotesKey {
        rule: w.rule.uid,
        lock: w.lock,
        installed: w.installed,
        at,
    };
    super::evaluate::remembered(&KNOWN, 1024, key, |_| {
        std::rc::Rc::new(pick_notes(w, picks, scope))
    })
}

/// `notes` with `picks` inserted at `at`, once per thread for each distinct (notes, picks,
/// at): the notes are [`shared_texts`]' and the picks [`shared_pick_notes`]', both shared by
/// the findings phrased alike, so the same addresses are the same lists (the memo holds
/// both, so neither address is reused while the key names it), and thousands of findings
/// share one list instead of each copying its notes to splice the picks in.
fn with_pick_notes(
    notes: &Shared<Vec<String>>,
    picks: &std::rc::Rc<Vec<String>>,
    at: usize,
) -> Shared<Vec<String>> {
    type Held = (
        Shared<Vec<String>>,
        std::rc::Rc<Vec<String>>,
        Shared<Vec<String>>,
    );
    type Memo = HashMap<(Option<usize>, usize, usize), Held, super::evaluate::FastHash>;
    thread_local! {
        static KNOWN: std::cell::RefCell<Memo> = std::cell::RefCell::new(HashMap::default());
    }
    let key = (notes.id(), std::rc::Rc::as_ptr(picks) as usize, at);
    let (_, _, spliced) = super::evaluate::remembered(&KNOWN, 1024, key, |_| {
        let mut spliced = notes.to_vec();
        let at = at.min(spliced.len());
        spliced.splice(at..at, picks.iter().cloned());
        (notes.clone(), picks.clone(), spliced.into())
    });
    spliced
}

/// The notes on what gets installed: pip's picks (or the lock's pins when they differ
/// between environments), then what the picks outside the window do.
fn pick_notes(w: &PickWords, picks: &[Pick], scope: &[Place]) -> Vec<String> {
    #[cfg(test)]
    PICK_NOTES_PHRASED.with(|n| n.set(n.get() + 1));
    let rule = w.rule;
    let pkg = &rule.package;
    let pairs: Vec<(Place, &str)> = picks
        .iter()
        .map(|k| (Place::new(k.python, k.platform), &*k.version))
        .collect();
    let mut notes = Vec::new();
    if pairs.is_empty() {
        return notes;
    }
    let covers_scope = scope.iter().all(|e| pairs.iter().any(|(p, _)| p == e));
    let mut versions: Vec<&str> = Vec::new();
    for &(_, v) in &pairs {
        if !versions.contains(&v) {
            versions.push(v);
        }
    }
    let one = versions.len() == 1 && covers_scope;
    if !w.installed {
        let picked = if one {
            let everywhere = w.triggered.iter().all(|e| {
                scope
                    .iter()
                    .any(|p| p.python == e.python && p.platform == e.platform)
            });
            let several_pythons = scope.iter().any(|e| e.python != scope[0].python);
            if everywhere && several_pythons {
                format!("{} on every Python", versions[0])
            } else {
                let all: Vec<Place> = pairs.iter().map(|(p, _)| *p).collect();
                format!(
                    "{} on Python {}",
                    versions[0],
                    places_words(rule, &all, scope)
                )
            }
        } else {
            grouped_versions(rule, &pairs, scope).join("; ")
        };
        if !w.lock {
            notes.push(format!("pip would pick {picked}"));
        } else if !one {
            // One pin is the headline's; several are named here.
            notes.push(format!("the lock pins {pkg} {picked}"));
        }
    }
    // What the versions outside the window do, once per effect; which Python gets which
    // version is the pick note's to say.
    // Each distinct version once (picks repeat a version on many environments), in the
    // order first picked, its text parsed once; the versions of one effect oldest first.
    let mut effects: Vec<(&str, Vec<(Version, &str)>)> = Vec::new();
    for v in versions {
        let Ok(version) = Version::from_str(v) else {
            continue;
        };
        if rule.window.set.contains_any(&version) {
            continue;
        }
        if w.installed && rule.effect_of(&version).is_some() {
            continue; // the headline says it
        }
        let text = match rule.effect_of(&version) {
            Some(e) => e.effect.as_str(),
            None => "outside the tested window, untested",
        };
        match effects.iter_mut().find(|(t, _)| *t == text) {
            Some((_, vs)) => vs.push((version, v)),
            None => effects.push((text, vec![(version, v)])),
        }
    }
    for (text, mut vs) in effects {
        vs.sort_by(|a, b| a.0.cmp(&b.0));
        let vs: Vec<&str> = vs.iter().map(|(_, v)| *v).collect();
        notes.push(format!("{pkg} {}: {text}", and_list(&vs)));
    }
    notes
}

/// The count of releases outside the window, the one way every format shows it: how many
/// the range admits (`outside_released_summary.count` in JSON) and, when fewer, how many
/// of them pip can install where the finding holds (`outside_installable.count`):
/// "85 releases, 29 installable here (1.17.0 … 1.21.6)". Releases are indices, named by
/// `text`.
fn outside_words<'t>(
    installable: &[usize],
    admitted: &[usize],
    text: impl Fn(usize) -> &'t str,
) -> String {
    let span = |v: &[usize]| match v {
        [first, _, _, _, ..] => format!("{} … {}", text(*first), text(v[v.len() - 1])),
        _ => {
            let names: Vec<&str> = v.iter().map(|&i| text(i)).collect();
            names.join(", ")
        }
    };
    let releases = |n: usize| match n {
        1 => "1 release".to_owned(),
        n => format!("{n} releases"),
    };
    if installable.len() == admitted.len() {
        return match admitted.len() {
            0..=3 => span(admitted),
            n => format!("{n} releases ({})", span(admitted)),
        };
    }
    match installable.len() {
        0 => format!(
            "{} ({}), none installable here",
            releases(admitted.len()),
            span(admitted)
        ),
        n => format!(
            "{}, {n} installable here ({})",
            releases(admitted.len()),
            span(installable)
        ),
    }
}

/// Release-list indices (sorted) as a count and runs of neighbours among the rule's final
/// releases (a release in the window, or one the set leaves out, ends a run; pre-releases
/// and yanked releases between two do not). The names are the release list's, shared.
fn summary(rule: &Rule, indices: &[usize]) -> ReleaseSummary {
    use crate::rules::releases::Status;
    let releases = &rule.releases.releases;
    let is_final = |i: usize| releases.get(i).is_some_and(|r| r.status == Status::Final);
    let mut ranges: Vec<(usize, usize, usize)> = Vec::new(); // (first, last, count)
                                                             // The previous index, when it is a final release.
    let mut prev: Option<usize> = None;
    for &i in indices {
        let here = is_final(i).then_some(i);
        // Neighbours: both final, and no final release between them (a scan of the gap:
        // the indices are sorted, so all the scans together cross the list at most once).
        let neighbours = match (prev, here) {
            (Some(p), Some(h)) => p < h && !(p + 1..h).any(is_final),
            _ => false,
        };
        match ranges.last_mut() {
            Some(r) if neighbours => {
                r.1 = i;
                r.2 += 1;
            }
            _ => ranges.push((i, i, 1)),
        }
        prev = here;
    }
    ReleaseSummary {
        count: indices.len(),
        ranges: ranges
            .into_iter()
            .map(|(f, l, count)| ReleaseRange {
                first: releases[f].text.clone(),
                last: releases[l].text.clone(),
                count,
            })
            .collect(),
    }
}

/// "a", "a and b", "a, b and c".
fn and_list(items: &[&str]) -> String {
    let mut out = String::new();
    write_and_list(&mut out, items.len(), |out, k| out.push_str(items[k]));
    out
}

/// Write `n` items as "a", "a and b", "a, b and c", `item` writing the k-th.
fn write_and_list(out: &mut String, n: usize, mut item: impl FnMut(&mut String, usize)) {
    for k in 0..n {
        if k > 0 {
            out.push_str(if k + 1 == n { " and " } else { ", " });
        }
        item(out, k);
    }
}

/// Write the Pythons in the rule's order, "3.5–3.7" for a run of three or more of its
/// Pythons in a row, as a list with "and" before the last item: "2.7 and 3.5–3.7".
fn write_python_runs(out: &mut String, rule: &Rule, pythons: &[&str]) {
    let order = &rule.trigger.pythons;
    let mut idx: Vec<usize> = pythons
        .iter()
        .filter_map(|p| order.iter().position(|q| q == p))
        .collect();
    idx.sort_unstable();
    // Items as (first, last) positions in `order`: a run, or one Python (first == last).
    let mut items: Vec<(usize, usize)> = Vec::new();
    let mut i = 0;
    while i < idx.len() {
        let mut j = i;
        while j + 1 < idx.len() && idx[j + 1] == idx[j] + 1 {
            j += 1;
        }
        if j - i >= 2 {
            items.push((idx[i], idx[j]));
        } else {
            items.extend(idx[i..=j].iter().map(|&k| (k, k)));
        }
        i = j + 1;
    }
    write_and_list(out, items.len(), |out, k| {
        let (first, last) = items[k];
        out.push_str(&order[first]);
        if first != last {
            out.push('–');
            out.push_str(&order[last]);
        }
    });
}

/// Where a finding holds, when that is not everywhere the unit installs the trigger, in
/// the words of `places_words`: "Python 3.5–3.7", "Python 2.7 (Linux and macOS) and 3.7".
fn where_it_holds(
    rule: &Rule,
    triggered: &[&'static Environment],
    places: &[Place],
) -> Option<String> {
    let everywhere = triggered.iter().all(|e| {
        places
            .iter()
            .any(|p| p.python == e.python && p.platform == e.platform)
    });
    if everywhere || places.is_empty() {
        return None;
    }
    let scope: Vec<Place> = triggered
        .iter()
        .map(|e| Place::new(&e.python, &e.platform))
        .collect();
    Some(format!("Python {}", places_words(rule, places, &scope)))
}

/// The words of one (unit, rule, environment) verdict.
struct Words {
    label: String,
    /// The headline: what is wrong and where.
    message: String,
    help: Option<String>,
    /// Qualifications and sources (picks are added later, `pick_notes`).
    notes: Vec<String>,
}

/// The pinned version and its requirement, when every requirement on the package is a
/// lock's pin of one version.
fn locked_pin<'a>(v: &PyVerdict<'a>) -> Option<(&'a Version, &'a Requirement)> {
    let first = *v.contributing.first()?;
    let VersionReq::Exact { version, .. } = &first.version else {
        return None;
    };
    v.contributing
        .iter()
        .all(|r| r.role == Role::Locked && r.syntax == Syntax::Lock)
        .then_some((version, first))
}

/// Whether a verdict is about a lock's pin (the requirements on the package are locked).
fn is_lock(v: &PyVerdict) -> bool {
    match &v.detail {
        Detail::OutsideWindow { offender, .. } => offender.role == Role::Locked,
        _ => !v.contributing.is_empty() && v.contributing.iter().all(|r| r.role == Role::Locked),
    }
}

/// The version an installed environment holds, when the verdict is about one.
fn installed_version<'v>(opts: &Options, v: &'v PyVerdict) -> Option<Cow<'v, Version>> {
    if opts.source != Source::Installed {
        return None;
    }
    let req = match &v.detail {
        Detail::OutsideWindow { offender, .. } => Some(*offender),
        // The requirement the finding points at: with two installs of the package (an
        // inconsistent environment) the headline names the one it shows.
        Detail::Unsatisfiable(_) => v
            .contributing
            .iter()
            .find(|r| {
                let at = r.loc();
                at.file == v.primary.file
                    && at.span.start <= v.primary.span.start
                    && v.primary.span.end <= at.span.end
            })
            .or(v.contributing.first())
            .copied(),
        _ => None,
    }?;
    match &req.version {
        VersionReq::Exact { version, .. } => Some(Cow::Borrowed(version)),
        VersionReq::Specifiers { specifiers, .. } => match &specifiers[..] {
            [one] if one.operator() == pep440_rs::Operator::Equal => Some(one.version()),
            _ => None,
        },
        _ => None,
    }
}

/// Build one diagnostic from the per-environment verdicts that share a check and a
/// location, and what its pick notes need.
fn finish<'a>(
    files: &Files,
    parsed: &Parsed,
    opts: &Options,
    verdict: &Verdict<'a>,
    group: &[(&'static Environment, PyVerdict)],
) -> (Diagnostic, PickWords<'a>) {
    let rule = verdict.rule;
    let mut pythons: Vec<&str> = Vec::new();
    for (e, _) in group {
        if !pythons.contains(&e.python.as_str()) {
            pythons.push(&e.python);
        }
    }
    let picks = group_picks(rule, group);
    let severity = group_severity(group);
    let first = &group[0].1;
    // Copied as it is held, not written through `Display` (per finding).
    let pkg = rule.package.as_ref().to_owned();
    let places = group_places(group);

    let outside_idx = first
        .admitted
        .as_ref()
        .map(|set| outside_releases(rule, set))
        .unwrap_or_default();
    let counted = outside_counts(rule, &outside_idx, group);
    let installed = installed_version(opts, first);
    let (related, more) = match first.detail {
        Detail::Unconstrained | Detail::LockIncomplete => (Vec::new(), 0),
        _ => related_to(
            &first.contributing,
            first.primary,
            &pkg,
            Related {
                loc: first.trigger.req.loc(),
                message: format!("{} required here", rule.trigger.title),
            },
        ),
    };
    let said = Said {
        files,
        opts,
        verdict,
        group,
        places: &places,
        counted: &counted,
        installed: installed.as_deref(),
        more,
    };
    let texts = shared_texts(&said);
    let fix = fix_of(files, parsed, rule, group, &pythons, &pkg);
    let fix_line = fix.as_ref().map(|f| fix_words(files, first.fix, f));
    let help = match (&texts.help, fix_line) {
        (help, None) => help.clone(),
        (None, Some(line)) => Some(line.into()),
        (Some(help), Some(line)) => Some(format!("{}\n{line}", help.as_str()).into()),
    };

    let mut d = Diagnostic::problem(first.check, severity, first.primary, String::new());
    d.message = texts.message.clone();
    d.rule = Some(rule.id.clone());
    d.label = texts.label.clone();
    d.package = Some(pkg);
    d.window = Some(rule.window.text.clone());
    set_places(&mut d, group);
    d.outside_released_summary = counted.admitted.clone();
    d.outside_installable = counted.installable.clone();
    d.outside_released = ReleaseNames::listed(std::sync::Arc::clone(&rule.releases), outside_idx);
    d.pip_would_pick = picks.into();
    d.related = related;
    d.help = help;
    d.notes = texts.notes.clone();
    d.fix = fix;
    let pick_words = PickWords {
        rule,
        lock: is_lock(first),
        installed: installed.is_some(),
        triggered: verdict.triggered.clone(),
        at: texts.pick_at,
    };
    (d, pick_words)
}

/// The edit a finding proposes, marked unsafe when the trigger is only possible: applying
/// it changes which TensorFlow pip installs (the new bound may exclude the releases it would
/// pick instead).
fn fix_of(
    files: &Files,
    parsed: &Parsed,
    rule: &Rule,
    group: &[(&'static Environment, PyVerdict)],
    pythons: &[&str],
    pkg: &str,
) -> Option<Fix> {
    let mut fix = match group[0].1.fix {
        FixIntent::Narrow(r) => range_fix(files, rule, r, pythons, parsed),
        FixIntent::InsertAfter(tf) => unconstrained_fix(files, tf, parsed, pkg, &rule.window.text),
        FixIntent::None => None,
    }?;
    if let Some((_, v)) = group.iter().find(|(_, v)| !v.trigger.certain) {
        let tf_text = compact(
            files
                .get(v.trigger.req.loc().file)
                .slice(v.trigger.req.loc().span),
        );
        let t = &rule.trigger.title;
        let why = if v.trigger.marker_unknown && v.trigger.newer.is_none() {
            format!("`{tf_text}` may not apply: its marker depends on what the target environments do not fix")
        } else {
            format!(
                "`{tf_text}` admits other TensorFlow releases than {t}, which pip may install instead: this bound can change which one it installs"
            )
        };
        fix.applicability = Applicability::Unsafe;
        fix.reason = Some(match fix.reason.take() {
            Some(r) => format!("{why}; {r}"),
            None => why,
        });
    }
    Some(fix)
}

/// The help line that previews a fix: the requirement as it reads after a narrowing, or
/// the line inserted and where.
fn fix_words(files: &Files, intent: FixIntent, f: &Fix) -> String {
    let unsafe_note = match f.applicability {
        Applicability::Safe => "",
        Applicability::Unsafe => " (unsafe)",
    };
    match intent {
        FixIntent::Narrow(r) => format!("fix{unsafe_note}: `{}`", fix_preview(files, r, f)),
        _ => format!(
            "fix{unsafe_note}: insert `{}` after line {}",
            compact(f.replacement.trim_matches([',', ' ', '\r', '\n'])),
            files
                .get(f.loc.file)
                .position(f.loc.span.start.saturating_sub(1))
                .line
        ),
    }
}

/// What the texts of a finding are phrased from (its location and fix aside): everything
/// [`phrase_texts`] reads.
struct Said<'s, 'a> {
    files: &'s Files,
    opts: &'s Options,
    verdict: &'s Verdict<'a>,
    group: &'s [(&'static Environment, PyVerdict<'a>)],
    places: &'s [Place],
    counted: &'s std::rc::Rc<OutsideCounts>,
    installed: Option<&'s Version>,
    more: usize,
}

/// The texts of a finding that neither its location nor its fix enter: headline, label,
/// notes (pick notes are spliced in at `pick_at` once every unit is merged) and the help the
/// words give. Shared by every finding phrased alike ([`shared_texts`]).
struct Texts {
    message: Shared<String>,
    label: Shared<String>,
    help: Option<Shared<String>>,
    notes: Shared<Vec<String>>,
    pick_at: usize,
    /// Held, so that the address the key names it by is not reused while the key lives.
    _counted: std::rc::Rc<OutsideCounts>,
}

/// Everything [`phrase_texts`] reads, as a memo key. The rule by `uid` (never reused; its
/// data is fixed once loaded: title, package, window, declared range, `via`, effects,
/// install notes, releases); the outside counts by address (held by the value); the file's
/// own words as the texts phrasing quotes; environments by address (the embedded table's);
/// versions as they are spelled ([`Spelled`]), which the texts show.
#[derive(PartialEq, Eq, Hash)]
struct TextsKey {
    rule: u64,
    check: Check,
    /// `opts.source` is an installed environment.
    installed_source: bool,
    counted: usize,
    detail: DetailKey,
    installed: Option<Spelled>,
    /// The trigger requirement's distribution (the `via` note names it), shared, not
    /// copied per finding.
    trigger: crate::manifest::Name,
    /// No requirement on the package contributes (an unconstrained package's label).
    bare: bool,
    more: usize,
    /// Where the unit installs the trigger, then `usize::MAX`, then the finding's places.
    envs: Vec<usize>,
    possible: Option<PossibleKey>,
    /// The group's first Python 2.7 environment excludes the declared range.
    py27_excludes: bool,
}

/// What [`words`] reads of the verdict's detail.
#[derive(PartialEq, Eq, Hash)]
enum DetailKey {
    /// The trigger requirement's text.
    KeepsTriggerOut(String),
    /// The reason, and the lock's pin and format when every requirement is one pin.
    Unsatisfiable(Unsatisfiable, Option<(Spelled, crate::formats::Format)>),
    OutsideWindow {
        /// [`offender_words`].
        offender: String,
        /// The lock's pin, when the offender is a lock's exact pin.
        pinned: Option<Spelled>,
        /// The offender's format when it is a lock (the re-lock hint).
        relock: Option<crate::formats::Format>,
        witness: Spelled,
        only_below_declared: bool,
        /// The sibling lock's path and its pin of the package (not read for a lock).
        sibling: Option<(String, Option<Spelled>)>,
    },
    Unconstrained,
    /// The trigger requirement's format (the re-lock hint).
    LockIncomplete(crate::formats::Format),
}

/// A version as the texts spell it. pep440_rs's equality is not spelling, in two ways:
/// it compares a shorter release as if padded with zeros (`1.16.7` equals `1.16.7.0`), and
/// it reads a missing dev part of a pre- or post-release as dev `u64::MAX` (`1.0rc1` equals
/// `1.0rc1.dev18446744073709551615`), which its `Hash` (the dev part as written) does not,
/// so such a pair is equal with different hashes. With the number of release parts and
/// the dev part as written, equal keys are spelled alike (every other part is compared as
/// it is written once parsed, and [`version_words`], pep440_rs's `Display`, writes nothing
/// else) and hash alike.
#[derive(PartialEq, Eq, Hash)]
struct Spelled(Version, usize, Option<u64>);

impl Spelled {
    fn of(v: &Version) -> Spelled {
        Spelled(v.clone(), v.release().len(), v.dev())
    }
}

/// What [`possible_note`] reads: the first uncertain environment's trigger requirement
/// text and marker flag, and each uncertain environment with the newer release pip picks.
#[derive(PartialEq, Eq, Hash)]
struct PossibleKey {
    text: String,
    marker_unknown: bool,
    newer: Vec<(usize, Option<Spelled>)>,
}

#[cfg(test)]
thread_local! {
    /// How many times [`phrase_texts`] phrased a finding's texts on this thread (tests).
    pub(super) static TEXTS_PHRASED: std::cell::Cell<usize> = const { std::cell::Cell::new(0) };
    /// Phrase every finding afresh, for tests comparing memoised and fresh texts.
    pub(super) static TEXTS_UNMEMOISED: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// [`phrase_texts`], once per thread for each distinct [`TextsKey`]: a tree's thousands of
/// findings say a handful of things (5,541 findings, 11 headlines, 18 note lists on the
/// 2,000-project tree), so each is phrased once and its parts shared, not formatted again.
fn shared_texts(said: &Said) -> std::rc::Rc<Texts> {
    type Memo = HashMap<TextsKey, std::rc::Rc<Texts>, super::evaluate::FastHash>;
    thread_local! {
        static KNOWN: std::cell::RefCell<Memo> = std::cell::RefCell::new(HashMap::default());
    }
    #[cfg(test)]
    if TEXTS_UNMEMOISED.with(std::cell::Cell::get) {
        return phrase_texts(said);
    }
    match texts_key(said) {
        Some(key) => super::evaluate::remembered(&KNOWN, 1024, key, |_| phrase_texts(said)),
        None => phrase_texts(said),
    }
}

/// The longest file text a [`TextsKey`] holds: a finding quoting a longer one (a hostile
/// line of a megabyte) is phrased afresh, not copied into a key the memo keeps until 1,024
/// others push it out.
const MAX_KEYED_TEXT: usize = 256;

/// The [`TextsKey`] of a finding; None when it quotes a text longer than
/// [`MAX_KEYED_TEXT`].
fn texts_key(said: &Said) -> Option<TextsKey> {
    let (files, opts, rule) = (said.files, said.opts, said.verdict.rule);
    let first = &said.group[0].1;
    let addr = |e: &'static Environment| std::ptr::from_ref(e) as usize;
    let short = |t: &str| (t.len() <= MAX_KEYED_TEXT).then(|| t.to_owned());
    let text = |r: &Requirement| short(files.get(r.loc().file).slice(r.loc().span));
    let detail = match &first.detail {
        Detail::Unsatisfiable(Unsatisfiable::KeepsTriggerOut) => {
            DetailKey::KeepsTriggerOut(text(first.trigger.req)?)
        }
        Detail::Unsatisfiable(reason) => DetailKey::Unsatisfiable(
            *reason,
            locked_pin(first).map(|(v, lock)| (Spelled::of(v), lock.format)),
        ),
        Detail::OutsideWindow {
            offender,
            witness,
            only_below_declared,
        } => DetailKey::OutsideWindow {
            offender: short(&offender_words(files, offender))?,
            pinned: match &offender.version {
                VersionReq::Exact { version, .. } if offender.role == Role::Locked => {
                    Some(Spelled::of(version))
                }
                _ => None,
            },
            relock: (offender.syntax == Syntax::Lock).then_some(offender.format),
            witness: Spelled::of(witness),
            only_below_declared: *only_below_declared,
            sibling: opts
                .sibling_lock
                .as_ref()
                .filter(|_| offender.syntax != Syntax::Lock)
                .map(|l| (l.path.clone(), l.pins.get(&rule.package).map(Spelled::of))),
        },
        Detail::Unconstrained => DetailKey::Unconstrained,
        Detail::LockIncomplete => DetailKey::LockIncomplete(first.trigger.req.format),
    };
    let mut envs: Vec<usize> = said.verdict.triggered.iter().map(|e| addr(e)).collect();
    envs.push(usize::MAX);
    envs.extend(said.group.iter().map(|(e, _)| addr(e)));
    let mut uncertain = said.group.iter().filter(|(_, v)| !v.trigger.certain);
    let possible = match uncertain.next() {
        None => None,
        Some((e, v)) => Some(PossibleKey {
            text: text(v.trigger.req)?,
            marker_unknown: v.trigger.marker_unknown,
            newer: std::iter::once((e, v))
                .chain(uncertain.map(|(e, v)| (e, v)))
                .map(|(e, v)| (addr(e), v.trigger.newer.as_ref().map(Spelled::of)))
                .collect(),
        }),
    };
    Some(TextsKey {
        rule: rule.uid,
        check: first.check,
        installed_source: opts.source == Source::Installed,
        counted: std::rc::Rc::as_ptr(said.counted) as usize,
        detail,
        installed: said.installed.map(Spelled::of),
        trigger: first.trigger.req.name.clone(),
        bare: first.contributing.is_empty(),
        more: said.more,
        envs,
        possible,
        py27_excludes: py27_excludes(said.group),
    })
}

/// Whether the group's (first) Python 2.7 environment has requirements that exclude the
/// trigger's declared range (pip 20.3.4's legacy resolver installs from them anyway).
fn py27_excludes(group: &[(&'static Environment, PyVerdict)]) -> bool {
    group
        .iter()
        .find(|(e, _)| e.python == "2.7")
        .is_some_and(|(_, v)| {
            matches!(
                v.detail,
                Detail::Unsatisfiable(Unsatisfiable::ExcludesDeclared)
            )
        })
}

/// The texts of a finding, phrased: the words of its first environment's verdict, then
/// where it holds, whether only if the trigger is installed, pip 20.3.4's legacy resolver,
/// and the rule's install notes.
fn phrase_texts(said: &Said) -> std::rc::Rc<Texts> {
    #[cfg(test)]
    TEXTS_PHRASED.with(|n| n.set(n.get() + 1));
    let (files, opts, rule, group) = (said.files, said.opts, said.verdict.rule, said.group);
    let first = &group[0].1;
    let pkg = rule.package.to_string();
    let counted = said.counted;
    let listing = match &first.detail {
        Detail::OutsideWindow { witness: w, .. } if counted.none_admitted => {
            let yanked = rule
                .releases
                .releases
                .iter()
                .any(|r| r.version == *w && r.status == crate::rules::releases::Status::Yanked);
            if yanked {
                format!("{w}, a yanked release that pip installs only because it is pinned")
            } else {
                format!("e.g. {w}, though no such release is published")
            }
        }
        _ => counted.listing.clone(),
    };
    let words = words(
        files,
        opts,
        rule,
        first,
        &listing,
        said.installed,
        said.more,
    );
    let mut notes = words.notes;
    if let Some(at) = where_it_holds(rule, &said.verdict.triggered, said.places) {
        notes.push(format!("holds only on {at}"));
    }
    if let Some(n) = possible_note(files, rule, group, said.places) {
        notes.push(n);
    }
    if py27_excludes(group) {
        notes.push(format!(
            "on Python 2.7 its last pip, 20.3.4, still uses the legacy resolver: it installs {pkg} from this range anyway, with only a warning that {} requires `{pkg}{}`",
            rule.trigger.title,
            rule.declared.as_ref().map(|d| d.text.as_str()).unwrap_or("")
        ));
    }
    let pick_at = notes.len();
    let about_install = matches!(
        first.check,
        Check::OutsideWindow | Check::Unconstrained | Check::Unsatisfiable
    );
    let help = if opts.source == Source::Installed && about_install {
        // An installed environment has no file to edit: the advice is what to install.
        Some(format!(
            "install a release inside the window: `pip install '{pkg}{}'`",
            rule.window.text
        ))
    } else {
        words.help
    };
    if !rule.install_notes.is_empty() && about_install {
        notes.push(rule.install_notes.join("; "));
    }
    std::rc::Rc::new(Texts {
        message: words.message.into(),
        label: words.label.into(),
        help: help.map(Into::into),
        notes: notes.into(),
        pick_at,
        _counted: counted.clone(),
    })
}

/// What a finding says of the releases outside the window, from its lists alone: the
/// count in words ([`outside_words`]) and the two summaries. Shared by every finding with
/// the same lists (one per distinct range: thousands of findings on an unconstrained
/// package or on one common range share them).
struct OutsideCounts {
    /// Neither list names a release (then the headline names a witness instead of
    /// `listing`).
    none_admitted: bool,
    listing: String,
    /// Shared by the findings that count them (held until the report is written).
    admitted: Shared<ReleaseSummary>,
    installable: Shared<ReleaseSummary>,
}

/// A release index list by its address: the memoised lists ([`outside_releases`],
/// [`super::evaluate::leaking`]) are shared, so the same list is the same `Arc`. Held, so
/// the address is not reused while the key lives.
#[derive(Clone)]
struct ListAt(std::sync::Arc<[usize]>);

impl PartialEq for ListAt {
    fn eq(&self, other: &ListAt) -> bool {
        std::sync::Arc::ptr_eq(&self.0, &other.0)
    }
}

impl Eq for ListAt {}

impl std::hash::Hash for ListAt {
    fn hash<H: std::hash::Hasher>(&self, h: &mut H) {
        std::sync::Arc::as_ptr(&self.0).cast::<usize>().hash(h);
    }
}

#[cfg(test)]
thread_local! {
    /// How many times [`outside_counts`] worked its words and summaries out (tests).
    pub(super) static OUTSIDE_COUNTED: std::cell::Cell<usize> = const { std::cell::Cell::new(0) };
}

/// The [`OutsideCounts`] of a finding whose admitted releases are `admitted` and whose
/// environments' installable ones are their `leak` lists (united), remembered per thread by
/// the rule and the lists (by address: a list the memo built again under another address
/// is only counted again).
fn outside_counts(
    rule: &Rule,
    admitted: &std::sync::Arc<[usize]>,
    group: &[(&'static Environment, PyVerdict)],
) -> std::rc::Rc<OutsideCounts> {
    type Key = (u64, Option<ListAt>, Vec<ListAt>);
    type Memo = HashMap<Key, std::rc::Rc<OutsideCounts>, super::evaluate::FastHash>;
    thread_local! {
        static KNOWN: std::cell::RefCell<Memo> = std::cell::RefCell::new(HashMap::default());
    }
    let mut leaks: Vec<ListAt> = Vec::new();
    for (_, v) in group {
        if !v.leak.is_empty() && !leaks.iter().any(|l| std::sync::Arc::ptr_eq(&l.0, &v.leak)) {
            leaks.push(ListAt(v.leak.clone()));
        }
    }
    // An empty list by its emptiness (empty lists may each be their own `Arc`).
    let key = (
        rule.uid,
        (!admitted.is_empty()).then(|| ListAt(admitted.clone())),
        leaks,
    );
    super::evaluate::remembered(&KNOWN, 1024, key, |key| {
        #[cfg(test)]
        OUTSIDE_COUNTED.with(|n| n.set(n.get() + 1));
        // The releases that get in, over all the finding's environments, oldest first.
        // (Indices into the release list, which is sorted oldest first.)
        let leak = union_sorted(key.2.iter().map(|l| &l.0));
        std::rc::Rc::new(OutsideCounts {
            none_admitted: admitted.is_empty() && leak.is_empty(),
            listing: outside_words(&leak, admitted, |i| &rule.releases.releases[i].text),
            admitted: summary(rule, admitted).into(),
            installable: summary(rule, &leak).into(),
        })
    })
}

/// The union of release index lists, ascending and without repeats. The environments of a
/// finding share their lists (the outside lists are memoised per Python and set), so each
/// distinct list is read once, and ascending lists are merged rather than sorted.
fn union_sorted<'l>(lists: impl Iterator<Item = &'l std::sync::Arc<[usize]>>) -> Vec<usize> {
    let mut distinct: Vec<&std::sync::Arc<[usize]>> = Vec::new();
    for l in lists {
        if !l.is_empty() && !distinct.iter().any(|d| std::sync::Arc::ptr_eq(d, l)) {
            distinct.push(l);
        }
    }
    let ascending = |l: &[usize]| l.windows(2).all(|w| w[0] < w[1]);
    if !distinct.iter().all(|l| ascending(l)) {
        let mut all: Vec<usize> = distinct.iter().flat_map(|l| l.iter().copied()).collect();
        all.sort_unstable();
        all.dedup();
        return all;
    }
    let mut out: Vec<usize> = Vec::new();
    for l in distinct {
        if out.is_empty() {
            out.extend_from_slice(l);
            continue;
        }
        let mut merged = Vec::with_capacity(out.len() + l.len());
        let (mut i, mut j) = (0, 0);
        while i < out.len() && j < l.len() {
            match out[i].cmp(&l[j]) {
                std::cmp::Ordering::Less => {
                    merged.push(out[i]);
                    i += 1;
                }
                std::cmp::Ordering::Greater => {
                    merged.push(l[j]);
                    j += 1;
                }
                std::cmp::Ordering::Equal => {
                    merged.push(out[i]);
                    i += 1;
                    j += 1;
                }
            }
        }
        merged.extend_from_slice(&out[i..]);
        merged.extend_from_slice(&l[j..]);
        out = merged;
    }
    out
}

/// Label, headline, help and notes of one per-environment verdict (`listing` names the
/// releases that get in; `installed` is the version an installed environment holds; `more`
/// counts the requirements on the package that [`related_to`] leaves unlisted).
fn words(
    files: &Files,
    opts: &Options,
    rule: &Rule,
    v: &PyVerdict,
    listing: &str,
    installed: Option<&Version>,
    more: usize,
) -> Words {
    let t = &rule.trigger.title;
    let pkg = rule.package.to_string();
    let window = &rule.window;
    let declared = rule
        .declared
        .as_ref()
        .map(|d| d.text.as_str())
        .unwrap_or("");
    let mut notes = Vec::new();
    if let Some(via) = &rule.via {
        notes.push(format!(
            "{pkg} comes in through {} → {via} → {pkg}",
            v.trigger.req.name
        ));
    }
    // An installed environment: the version it holds and what it does.
    let installed_headline = |version: &Version, notes: &mut Vec<String>| {
        notes.push(format!("{t} was tested with `{pkg}{}`", window.text));
        match rule.effect_of(version) {
            Some(e) => format!("{pkg} {version} is installed; {}", e.effect),
            None => format!(
                "{pkg} {version} is installed, outside {t}'s tested window `{}`",
                window.text
            ),
        }
    };
    match &v.detail {
        Detail::Unsatisfiable(Unsatisfiable::KeepsTriggerOut) => {
            let tf_text = compact(files.get(v.trigger.req.loc().file).slice(v.trigger.req.loc().span));
            notes.push(format!(
                "{t} requires `{pkg}{declared}`, which this excludes"
            ));
            Words {
                label: format!("keeps {t} out"),
                message: format!(
                    "this range keeps {t} out, so pip installs an older TensorFlow that `{tf_text}` admits"
                ),
                help: Some(format!(
                    "if {t} is meant, use a range inside the tested window, e.g. `{pkg}{}`; otherwise narrow `{tf_text}` to the TensorFlow you want",
                    window.text
                )),
                notes: with_more(notes, more, &pkg),
            }
        }
        Detail::Unsatisfiable(reason) => {
            let why = match reason {
                Unsatisfiable::Conflict => "the requirements on it exclude each other".to_owned(),
                Unsatisfiable::ExcludesDeclared | Unsatisfiable::KeepsTriggerOut => {
                    format!("{t} requires `{pkg}{declared}`, which this excludes")
                }
                Unsatisfiable::Unpublished => "no published release satisfies it".to_owned(),
                Unsatisfiable::NotInstallable { excluded, yanked } => {
                    let locked = installed.is_none() && locked_pin(v).is_some();
                    let (why, detail) = not_installable(rule, &pkg, *excluded, *yanked, locked);
                    notes.extend(detail);
                    why
                }
            };
            let message = match installed {
                Some(version) => {
                    notes.push(why);
                    installed_headline(version, &mut notes)
                }
                None => match locked_pin(v) {
                    // A lock is not a range: it names its pin, and the way out is a re-lock.
                    Some((version, _)) => {
                        format!("the lock pins {pkg} {version}, which cannot be installed here: {why}")
                    }
                    None => format!("pip cannot install {pkg} here: {why}"),
                },
            };
            let help = match locked_pin(v) {
                Some((_, lock)) if installed.is_none() => format!(
                    "re-lock with `{pkg}{}` declared where the dependencies are{}; the lockfile itself is not edited",
                    window.text,
                    relock_hint(files, lock)
                ),
                _ => format!(
                    "use a range inside the tested window, e.g. `{pkg}{}`",
                    window.text
                ),
            };
            Words {
                label: format!("no installable {pkg} satisfies this"),
                message,
                help: Some(help),
                notes: with_more(notes, more, &pkg),
            }
        }
        Detail::OutsideWindow {
            offender,
            only_below_declared,
            ..
        } => {
            let message = match (&offender.version, installed) {
                (_, Some(version)) => installed_headline(version, &mut notes),
                (VersionReq::Exact { version, .. }, _) if offender.role == Role::Locked => {
                    format!(
                        "the lock pins {pkg} {version}, outside {t}'s tested window `{}`",
                        window.text
                    )
                }
                _ => format!(
                    "`{}` admits {pkg} outside {t}'s tested window `{}`: {listing}",
                    offender_words(files, offender),
                    window.text
                ),
            };
            if *only_below_declared {
                notes.push(format!(
                    "only below {t}'s own `{pkg}{declared}`, which keeps pip inside the window"
                ));
            }
            let help = if offender.syntax == Syntax::Lock {
                Some(format!(
                    "re-lock with `{pkg}{}` declared where the dependencies are{}; the lockfile itself is not edited",
                    window.text,
                    relock_hint(files, offender)
                ))
            } else {
                if let Some(lock) = &opts.sibling_lock {
                    notes.push(format!(
                        "`{}` pins {pkg}{} today, but the next re-lock can pick any version this admits",
                        lock.path,
                        lock.pins
                            .get(&rule.package)
                            .map(|v| format!(" {v}"))
                            .unwrap_or_default()
                    ));
                }
                None
            };
            Words {
                label: match installed {
                    Some(_) => format!("installed, outside `{}`", window.text),
                    None => format!("admits {pkg} outside `{}`", window.text),
                },
                message,
                help,
                notes: with_more(notes, more, &pkg),
            }
        }
        Detail::LockIncomplete => Words {
            label: format!("{t} locked, {pkg} not"),
            message: format!(
                "the lock pins {t} but no {pkg}: it is incomplete, so what gets installed is not what was locked"
            ),
            help: Some(format!(
                "re-lock with `{pkg}{}` declared beside {t}{}",
                window.text,
                relock_hint(files, v.trigger.req)
            )),
            notes,
        },
        Detail::Unconstrained => {
            let message = if opts.source == Source::Installed {
                format!(
                    "{t} is installed but {pkg} is not: {t} was tested with `{pkg}{}`",
                    window.text
                )
            } else {
                format!(
                    "`{pkg}` is not constrained, which lets in releases outside {t}'s tested window `{}`: {listing}",
                    window.text
                )
            };
            if let Some(d) = &rule.declared {
                notes.insert(0, format!("{t} itself requires only `{pkg}{}`", d.text));
            }
            Words {
                label: if v.contributing.is_empty() {
                    format!("requires {t} but leaves {pkg} free")
                } else {
                    format!("names {pkg} without a version range")
                },
                message,
                help: Some(format!(
                    "add `{pkg}{}` next to the {t} requirement",
                    window.text
                )),
                notes,
            }
        }
    }
}

/// A requirement in the file's words, on one line; a long one (an inline table with
/// markers) by its name and specifier only: the snippet shows the rest.
fn offender_words(files: &Files, r: &Requirement) -> String {
    const LONG: usize = 48;
    let whole = compact(files.get(r.loc().file).slice(r.loc().span));
    if whole.chars().count() <= LONG {
        return whole;
    }
    let spec = super::evaluate::spec_loc(r);
    if spec == r.loc() {
        return whole;
    }
    let spec_text = compact(files.get(spec.file).slice(spec.span));
    format!("{} {}", r.name, spec_text.trim_matches(['"', '\'']))
}

/// For a finding that holds only if the trigger is installed (its range admits other
/// versions that pip may pick instead): what else it admits, and pip's pick of the trigger
/// on each environment where it is not certain, grouped.
fn possible_note(
    files: &Files,
    rule: &Rule,
    group: &[(&'static Environment, PyVerdict)],
    scope: &[Place],
) -> Option<String> {
    let uncertain: Vec<&(&'static Environment, PyVerdict)> =
        group.iter().filter(|(_, v)| !v.trigger.certain).collect();
    let (_, first) = uncertain.first()?;
    let t = &rule.trigger.title;
    let tf_text = compact(
        files
            .get(first.trigger.req.loc().file)
            .slice(first.trigger.req.loc().span),
    );
    let newer: Vec<(Place, String)> = uncertain
        .iter()
        .filter_map(|(e, v)| {
            v.trigger
                .newer
                .as_ref()
                .map(|n| (Place::new(&e.python, &e.platform), version_words(n)))
        })
        .collect();
    if newer.is_empty() && first.trigger.marker_unknown {
        return Some(format!(
            "only if {t} is installed: `{tf_text}` is under a marker that depends on what the target environments do not fix"
        ));
    }
    if newer.is_empty() {
        return Some(format!(
            "only if {t} is installed: `{tf_text}` admits other versions too"
        ));
    }
    let grouped = grouped_versions(rule, &newer, scope);
    Some(format!(
        "only if {t} is installed: `{tf_text}` also admits newer releases, and pip would pick {}",
        grouped.join("; ")
    ))
}

/// `v` in its normal form, as pep440_rs's `Display` writes it, built in one string: that
/// `Display` makes a string of each part first and joins them (six allocations for `2.0.0`),
/// and a finding that holds only if the trigger is installed names pip's pick on each of its
/// environments.
fn version_words(v: &Version) -> String {
    let mut words = String::with_capacity(16);
    write_version(&mut words, v).expect("writing to a String cannot fail");
    words
}

/// [`version_words`]'s writing: epoch, release, pre, post, dev and local parts in PEP 440's
/// normal form.
fn write_version(out: &mut String, v: &Version) -> std::fmt::Result {
    use std::fmt::Write;
    if v.epoch() != 0 {
        write!(out, "{}!", v.epoch())?;
    }
    for (i, n) in v.release().iter().enumerate() {
        if i > 0 {
            out.push('.');
        }
        write!(out, "{n}")?;
    }
    if let Some(pre) = v.pre() {
        write!(out, "{pre}")?;
    }
    if let Some(post) = v.post() {
        write!(out, ".post{post}")?;
    }
    if let Some(dev) = v.dev() {
        write!(out, ".dev{dev}")?;
    }
    for (i, segment) in v.local().iter().enumerate() {
        out.push(if i == 0 { '+' } else { '.' });
        write!(out, "{segment}")?;
    }
    Ok(())
}

/// At most this many other requirements on the package are listed as related places; the
/// rest are counted in a note (750,000 lines of `numpy>=1.0` would otherwise be listed).
pub(crate) const MAX_RELATED: usize = 20;

/// The other requirements that make up A_p (the first [`MAX_RELATED`]), then the trigger
/// requirement; and how many more there are (counted in a note, [`with_more`]).
fn related_to(
    contributing: &[&Requirement],
    primary: Loc,
    pkg: &str,
    trigger: Related,
) -> (Vec<Related>, usize) {
    let mut others = contributing
        .iter()
        .map(|r| super::evaluate::spec_loc(r))
        .filter(|&loc| loc != primary);
    let mut related: Vec<Related> = others
        .by_ref()
        .take(MAX_RELATED)
        .map(|loc| Related {
            loc,
            message: format!("also constrains {pkg}"),
        })
        .collect();
    let more = others.count();
    related.push(trigger);
    (related, more)
}

/// `notes`, and the note counting the `more` requirements on the package that the related
/// places leave out, when there are any.
fn with_more(mut notes: Vec<String>, more: usize, pkg: &str) -> Vec<String> {
    if more > 0 {
        notes.push(format!(
            "and {more} more requirement{} on {pkg}, not listed",
            if more == 1 { "" } else { "s" }
        ));
    }
    notes
}

/// Why pip installs nothing on a Python from releases that match (`pick::NoPick`): the
/// reason in short, and the release that shows it.
/// Why nothing installs, and a note naming the Requires-Python or yank behind it; `locked`:
/// the requirement is a lock's pin of one release, so it is "it", not "the releases it admits".
fn not_installable(
    rule: &Rule,
    pkg: &str,
    excluded: Option<usize>,
    yanked: Option<usize>,
    locked: bool,
) -> (String, Option<String>) {
    let releases = &rule.releases.releases;
    let excluded = excluded.map(|i| {
        let r = &releases[i];
        let rp = r
            .requires_python
            .as_ref()
            .map(|s| s.to_string())
            .unwrap_or_default();
        if locked {
            format!("{pkg} {} has Requires-Python `{rp}`", r.text)
        } else {
            format!("the oldest, {pkg} {}, has Requires-Python `{rp}`", r.text)
        }
    });
    let yanked_why = "pip takes a yanked release only when it is pinned with `==`";
    match (excluded, yanked.map(|i| &releases[i].text)) {
        (Some(e), Some(y)) => (
            format!("{pkg} {y} is yanked, and the other releases it admits need another Python"),
            Some(format!("{yanked_why}; of the others, {e}")),
        ),
        (Some(e), None) if locked => ("it needs another Python".to_owned(), Some(e)),
        (Some(e), None) => (
            "the releases it admits need another Python".to_owned(),
            Some(e),
        ),
        (None, Some(y)) => (format!("{pkg} {y} is yanked"), Some(yanked_why.to_owned())),
        (None, None) => (
            "no release it admits installs on this Python".to_owned(),
            None,
        ),
    }
}

#[cfg(test)]
mod tests {
    /// `version_words` writes what pep440_rs's `Display` writes, on every combination of
    /// epoch, release, pre, post, dev and local parts (written unnormalised, so the reading
    /// normalises them first).
    #[test]
    fn version_words_are_pep440_rs_display() {
        use std::str::FromStr;
        let mut n = 0;
        for epoch in ["", "1!"] {
            for release in ["1", "1.14.0", "2.0.0.0.1", "10.020"] {
                for pre in ["", "a1", "-beta.2", "RC0", "c"] {
                    for post in ["", ".post0", "-3", ".rev"] {
                        for dev in ["", ".dev0", "dev7"] {
                            for local in ["", "+abc.5", "+1-UBUNTU_x"] {
                                let text = format!("{epoch}{release}{pre}{post}{dev}{local}");
                                let v = pep440_rs::Version::from_str(&text).unwrap();
                                assert_eq!(super::version_words(&v), v.to_string(), "{text}");
                                n += 1;
                            }
                        }
                    }
                }
            }
        }
        assert_eq!(n, 2 * 4 * 5 * 4 * 3 * 3);
    }

    /// Equal versions with as many release parts are spelled alike ([`super::Spelled`], the
    /// texts key's versions), on every combination of parts `version_words` is checked on,
    /// with releases that differ only by trailing zeros; and those with fewer or more parts
    /// (`1.14` and `1.14.0`) are not keyed alike.
    #[test]
    fn equal_spelled_keys_are_spelled_alike() {
        use std::hash::BuildHasher;
        use std::str::FromStr;
        let hasher = std::collections::hash_map::RandomState::new();
        let mut keys: Vec<(super::Spelled, String, String)> = Vec::new();
        let mut padded = 0;
        for epoch in ["", "1!"] {
            for release in ["1", "1.0", "1.14", "1.14.0", "1.14.0.0", "01.14.00"] {
                for pre in ["", "a1", "-beta.2", "RC0"] {
                    for post in ["", ".post0", "-3"] {
                        // pep440_rs reads a missing dev part of a pre- or post-release as
                        // the largest one.
                        for dev in ["", ".dev0", ".dev18446744073709551615"] {
                            for local in ["", "+abc.5", "+1.0"] {
                                let text = format!("{epoch}{release}{pre}{post}{dev}{local}");
                                let v = pep440_rs::Version::from_str(&text).unwrap();
                                let short = v.release().len() > 1 && v.release().last() == Some(&0);
                                if short {
                                    let r = &v.release()[..v.release().len() - 1];
                                    let cut = v.clone().with_release(r.to_vec());
                                    assert_eq!(cut, v, "{text}: equal versions");
                                    assert!(super::Spelled::of(&cut) != super::Spelled::of(&v));
                                    padded += 1;
                                }
                                keys.push((super::Spelled::of(&v), super::version_words(&v), text));
                            }
                        }
                    }
                }
            }
        }
        assert!(padded > 100, "{padded}");
        // Every pair: equal keys are spelled alike and hash alike (a memo finds an equal key
        // only through its hash; a pair equal but hashed apart is found now and then).
        let mut equal = 0;
        for (i, (a, words_a, text_a)) in keys.iter().enumerate() {
            for (b, words_b, text_b) in &keys[i + 1..] {
                if a == b {
                    equal += 1;
                    assert_eq!(words_a, words_b, "{text_a} and {text_b}");
                    assert_eq!(
                        hasher.hash_one(a),
                        hasher.hash_one(b),
                        "{text_a} and {text_b}"
                    );
                }
            }
        }
        assert!(equal > 100, "{equal}");
    }

    /// The merged union equals the sorted, deduplicated concatenation, on shared, disjoint,
    /// overlapping, empty and (through the fallback) unsorted lists.
    #[test]
    fn union_sorted_is_the_sorted_union() {
        use std::sync::Arc;
        let mut seed = 7u64;
        let mut next = |n: u64| {
            seed = seed.wrapping_mul(6364136223846793005).wrapping_add(1);
            ((seed >> 33) % n) as usize
        };
        for case in 0..500 {
            let lists: Vec<Arc<[usize]>> = (0..next(5))
                .map(|_| {
                    let mut l: Vec<usize> = (0..next(12)).map(|_| next(40)).collect();
                    if case % 7 != 0 {
                        l.sort_unstable();
                        l.dedup();
                    }
                    l.into()
                })
                .collect();
            // Environments share lists: each appears up to three times.
            let group: Vec<&Arc<[usize]>> = lists.iter().flat_map(|l| [l, l, l]).collect();
            let mut want: Vec<usize> = group.iter().flat_map(|l| l.iter().copied()).collect();
            want.sort_unstable();
            want.dedup();
            assert_eq!(super::union_sorted(group.into_iter()), want, "{lists:?}");
        }
    }

    use super::*;

    fn protobuf() -> &'static Rule {
        crate::rules::builtin()
            .iter()
            .find(|r| r.id == "tensorflow-1.14/protobuf")
            .expect("the built-in protobuf rule")
    }

    #[test]
    fn no_wheel_pythons_are_named_in_runs_with_the_future_last() {
        let v = |s: &str| Version::from_str(s).unwrap();
        let words = |pythons: &[(u64, u64)], newer: Option<(u64, u64)>| {
            series_words(&NoWheels {
                pythons: pythons.to_vec(),
                newer_than: newer.map(|s| (s, v("2.22.0rc0"))),
            })
        };
        let run = |from: u64, to: u64| (from..=to).map(|m| (3, m)).collect::<Vec<_>>();
        assert_eq!(words(&run(8, 14), Some((3, 14))), "3.8 and newer");
        assert_eq!(words(&run(8, 14), None), "3.8–3.14");
        assert_eq!(words(&[(3, 8)], None), "3.8");
        assert_eq!(words(&run(8, 9), None), "3.8 and 3.9");
        assert_eq!(words(&[], Some((3, 14))), "3.15 and newer");
        assert_eq!(
            words(&run(8, 13), Some((3, 14))),
            "3.8–3.13 and 3.15 and newer"
        );
        let mut gapped = vec![(2, 6)];
        gapped.extend(run(0, 2));
        assert_eq!(words(&gapped, None), "2.6 and 3.0–3.2");
    }

    #[test]
    fn the_count_names_both_numbers_only_when_they_differ() {
        let names = ["1.17.0", "1.17.1", "1.17.2", "1.17.3", "2.0.0"];
        let text = |i: usize| names[i];
        let all: Vec<usize> = (0..names.len()).collect();
        assert_eq!(
            outside_words(&all, &all, text),
            "5 releases (1.17.0 … 2.0.0)"
        );
        assert_eq!(outside_words(&all[..2], &all[..2], text), "1.17.0, 1.17.1");
        assert_eq!(
            outside_words(&all[..4], &all, text),
            "5 releases, 4 installable here (1.17.0 … 1.17.3)"
        );
        assert_eq!(
            outside_words(&[], &all, text),
            "5 releases (1.17.0 … 2.0.0), none installable here"
        );
    }

    #[test]
    fn summaries_are_runs_of_neighbours_outside_the_window() {
        let rule = protobuf();
        // protobuf's outside releases lie below 3.6.1 and from 4 on: two runs, the window
        // between them.
        let s = summary(rule, &rule.outside_final);
        assert_eq!(s.count, rule.outside_final.len());
        assert_eq!(s.ranges.len(), 2, "{s:?}");
        assert_eq!(s.ranges.iter().map(|r| r.count).sum::<usize>(), s.count);
        assert_eq!(&*s.ranges[1].first, "4.21.1", "{s:?}");
        // Dropping one release in the middle of a run splits it.
        let mut gap = rule.outside_final.to_vec();
        gap.remove(gap.len() - 3);
        assert_eq!(summary(rule, &gap).ranges.len(), 3);
        assert_eq!(summary(rule, &[]), ReleaseSummary::default());
    }

    #[test]
    fn places_are_ascending_and_name_systems_for_every_python_or_none() {
        let rule = protobuf();
        let p = |py: &'static str, os: &'static str| Place::new(py, os);
        let scope: Vec<Place> = ["2.7", "3.5", "3.6", "3.7"]
            .iter()
            .flat_map(|py| ["linux", "darwin", "win32"].map(|os| p(py, os)))
            .collect();
        let newest_first: Vec<Place> = scope.iter().rev().copied().collect();
        assert_eq!(places_words(rule, &newest_first, &scope), "2.7–3.7");
        let some = vec![p("3.7", "linux"), p("2.7", "linux"), p("2.7", "darwin")];
        let some_scope = vec![
            p("2.7", "linux"),
            p("2.7", "darwin"),
            p("3.7", "linux"),
            p("3.7", "win32"),
        ];
        assert_eq!(
            places_words(rule, &some, &some_scope),
            "2.7 (Linux and macOS) and 3.7 (Linux)"
        );
        let picks = vec![
            (p("3.7", "linux"), "4.24.4".to_owned()),
            (p("3.6", "linux"), "3.19.6".to_owned()),
            (p("2.7", "linux"), "3.17.3".to_owned()),
            (p("3.5", "linux"), "3.19.6".to_owned()),
        ];
        let scope: Vec<Place> = picks.iter().map(|(p, _)| *p).collect();
        assert_eq!(
            grouped_versions(rule, &picks, &scope).join("; "),
            "3.17.3 on Python 2.7; 3.19.6 on 3.5 and 3.6; 4.24.4 on 3.7"
        );
    }
}
