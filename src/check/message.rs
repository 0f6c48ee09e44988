//! Every word a finding says: verdicts in, diagnostics out. The evaluator decides; this
//! module only phrases, naming the trigger, package, window and effects from the rule's
//! data, quoting the file's own text, and merging a finding reached through several units.

use std::collections::{HashMap, HashSet};
use std::str::FromStr;

use pep440_rs::Version;

use super::evaluate::outside_releases;
use super::fix_proposal::{fix_preview, range_fix, relock_hint, unconstrained_fix};
use super::verdict::{Detail, FixIntent, Judgement, PyVerdict, TriggerHit, Unsatisfiable, Verdict};
use super::{compact, compact_list, Check, Options};
use crate::diagnostic::{Applicability, Diagnostic, Pick, Place, Related, Severity};
use crate::files::Files;
use crate::manifest::{Loc, Parsed, Requirement, Role, Syntax, VersionReq};
use crate::rules::environments::{platform_title, Environment, PLATFORMS};
use crate::rules::Rule;

/// The diagnostics of a file's verdicts: one per finding, however many units reach it.
pub(crate) fn diagnostics(
    files: &Files,
    parsed: &Parsed,
    opts: &Options,
    verdicts: &[Verdict<'_>],
) -> Vec<Diagnostic> {
    let mut findings = Findings::default();
    for v in verdicts {
        match &v.judgement {
            Judgement::PerEnv(group) => {
                let d = finish(files, parsed, opts, v, group);
                // Derived units (an extra, a dependency group, dev packages) are named in
                // the message; a finding that a base unit reaches too is about the base.
                let unit = v.unit_kind.is_derived().then_some(v.unit_name);
                push_finding(&mut findings, d, unit);
            }
            Judgement::NoSupportedPython {
                requires_python,
                trigger,
            } => {
                let d = no_supported_python(files, v.rule, *requires_python, trigger);
                push_finding(&mut findings, d, None);
            }
        }
    }
    findings
        .list
        .into_iter()
        .map(|mut f| {
            if !f.base && !f.units.is_empty() {
                let names: Vec<String> = f.units.iter().map(|u| format!("`{u}`")).collect();
                f.diagnostic
                    .message
                    .push_str(&format!(" (in {})", names.join(", ")));
            }
            f.diagnostic
        })
        .collect()
}

struct Finding {
    diagnostic: Diagnostic,
    /// The non-base units that reach the finding (empty when the base unit does), in the
    /// order first reached; `unit_set` holds the same names for the membership test.
    units: Vec<String>,
    unit_set: HashSet<String>,
    base: bool,
}

/// Findings in the order first reached, indexed by key: a finding reached through many
/// units (thousands of extras or lock groups) merges in constant time, not by a scan of
/// every finding and unit so far (issue 15 §4).
#[derive(Default)]
struct Findings {
    list: Vec<Finding>,
    index: HashMap<(Check, String, Loc), usize>,
}

fn push_finding(findings: &mut Findings, d: Diagnostic, unit: Option<&str>) {
    // One no-supported-python finding per file, not one per constrained package: it is
    // keyed without its rule, so the first rule's id is the one shown.
    let rule_key = match d.check {
        Check::NoSupportedPython => String::new(),
        _ => d.rule.clone().unwrap_or_default(),
    };
    let key = (d.check, rule_key, d.loc);
    if let Some(&i) = findings.index.get(&key) {
        let f = &mut findings.list[i];
        match unit {
            Some(u) => {
                if f.unit_set.insert(u.to_owned()) {
                    f.units.push(u.to_owned());
                }
            }
            None => f.base = true,
        }
        f.diagnostic.absorb(d);
        return;
    }
    findings.index.insert(key, findings.list.len());
    findings.list.push(Finding {
        diagnostic: d,
        units: unit.map(|u| vec![u.to_owned()]).unwrap_or_default(),
        unit_set: unit
            .map(|u| HashSet::from([u.to_owned()]))
            .unwrap_or_default(),
        base: unit.is_none(),
    });
}

/// `no-supported-python`.
fn no_supported_python(files: &Files, rule: &Rule, at: Loc, tf: &Requirement) -> Diagnostic {
    let t = &rule.trigger.title;
    // The line that excludes them, in the file's own words (`python=3.8` in conda).
    let rp = line_words(files.get(at.file).text.as_str(), at.span);
    let mut d = Diagnostic::problem(
        Check::NoSupportedPython,
        Severity::Error,
        at,
        format!(
            "`{rp}` excludes every Python {t} ships wheels for ({}), but the project requires `{}`, which admits no other release",
            rule.trigger.pythons.join(", "),
            compact(files.get(tf.loc.file).slice(tf.loc.span))
        ),
    );
    d.rule = Some(rule.id.clone());
    d.label = format!("excludes every Python {t} supports");
    d.related.push(Related {
        loc: tf.loc,
        message: format!("{t} required here"),
    });
    d.help = Some(format!(
        "{t} has wheels only for Python {}: change `{rp}` to allow one of them, or move to a newer release",
        rule.trigger.pythons.join(", ")
    ));
    d
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

/// The picks per Python, newest Python first: (python, version, operating systems). The
/// operating systems are named (`Some`) only when the Python's picks differ between them.
fn picks_by_python(pythons: &[String], picks: &[Pick]) -> Vec<(String, String, Option<String>)> {
    let mut out = Vec::new();
    for p in pythons.iter().rev() {
        let here: Vec<&Pick> = picks.iter().filter(|k| &k.python == p).collect();
        let mut versions: Vec<&str> = Vec::new();
        for k in &here {
            if !versions.contains(&k.version.as_str()) {
                versions.push(&k.version);
            }
        }
        for v in &versions {
            let oses = (versions.len() > 1).then(|| {
                let names: Vec<&str> = here
                    .iter()
                    .filter(|k| k.version == *v)
                    .map(|k| platform_title(&k.platform))
                    .collect();
                and_list(&names)
            });
            out.push((p.clone(), (*v).to_owned(), oses));
        }
    }
    out
}

/// "a", "a and b", "a, b and c".
fn and_list(items: &[&str]) -> String {
    match items {
        [] => String::new(),
        [one] => (*one).to_owned(),
        [init @ .., last] => format!("{} and {last}", init.join(", ")),
    }
}

/// "3.5–3.7" for a run of three or more of the rule's Pythons in a row, else a list.
fn python_runs(rule: &Rule, pythons: &[String]) -> String {
    let order = &rule.trigger.pythons;
    let mut idx: Vec<usize> = pythons
        .iter()
        .filter_map(|p| order.iter().position(|q| q == p))
        .collect();
    idx.sort_unstable();
    let mut parts: Vec<String> = Vec::new();
    let mut i = 0;
    while i < idx.len() {
        let mut j = i;
        while j + 1 < idx.len() && idx[j + 1] == idx[j] + 1 {
            j += 1;
        }
        if j - i >= 2 {
            parts.push(format!("{}–{}", order[idx[i]], order[idx[j]]));
        } else {
            parts.extend((i..=j).map(|k| order[idx[k]].clone()));
        }
        i = j + 1;
    }
    parts.join(", ")
}

/// Where a finding holds, when that is not everywhere the unit installs the trigger:
/// "Python 3.5–3.7, macOS and Windows"; Pythons with different operating systems are named
/// apart ("Python 2.7, Linux and macOS; Python 3.5–3.7, macOS and Windows").
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
    let mut pythons: Vec<String> = Vec::new();
    for e in places {
        if !pythons.contains(&e.python) {
            pythons.push(e.python.clone());
        }
    }
    let oses_of = |p: &str| -> Vec<&str> {
        PLATFORMS
            .iter()
            .copied()
            .filter(|os| places.iter().any(|e| e.python == p && e.platform == *os))
            .map(platform_title)
            .collect()
    };
    // Pythons with the same operating systems, in order of first appearance.
    let mut groups: Vec<(Vec<&str>, Vec<String>)> = Vec::new();
    for p in &pythons {
        let oses = oses_of(p);
        match groups.iter_mut().find(|(o, _)| *o == oses) {
            Some((_, ps)) => ps.push(p.clone()),
            None => groups.push((oses, vec![p.clone()])),
        }
    }
    let parts: Vec<String> = groups
        .iter()
        .map(|(oses, ps)| format!("Python {}, {}", python_runs(rule, ps), and_list(oses)))
        .collect();
    Some(parts.join("; "))
}

/// The words of one (unit, rule, environment) verdict.
struct Words {
    label: String,
    /// The message, given the listing of the releases that get in.
    message: String,
    help: Option<String>,
    related: Vec<Related>,
}

/// Build one diagnostic from the per-Python verdicts that share a check and a location.
fn finish(
    files: &Files,
    parsed: &Parsed,
    opts: &Options,
    verdict: &Verdict,
    group: &[(&'static Environment, PyVerdict)],
) -> Diagnostic {
    let rule = verdict.rule;
    let mut pythons: Vec<String> = Vec::new();
    for (e, _) in group {
        if !pythons.contains(&e.python) {
            pythons.push(e.python.clone());
        }
    }
    let picks: Vec<Pick> = group
        .iter()
        .filter_map(|(e, v)| {
            v.pick.as_ref().map(|version| Pick {
                python: e.python.clone(),
                platform: e.platform.clone(),
                version: version.clone(),
            })
        })
        .collect();
    // Per Python, newest first: the distinct picks with the operating systems of each.
    let pick = picks_by_python(&pythons, &picks);
    let severity = group
        .iter()
        .map(|(_, v)| v.severity)
        .max()
        .unwrap_or(Severity::Warning);
    let (first_python, first) = (&group[0].0.python, &group[0].1);
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
        .admitted
        .as_ref()
        .map(|set| release_texts(rule, &outside_releases(rule, set)))
        .unwrap_or_default();
    let witness = match &first.detail {
        Detail::OutsideWindow { witness, .. } => Some(witness),
        _ => None,
    };
    let listing = match (witness, leak.is_empty()) {
        (_, false) => compact_list(&leak),
        _ if first.check == Check::Unconstrained => format!(
            "{} (none of them installs on Python {} today)",
            compact_list(&outside),
            pythons.join(", ")
        ),
        (Some(w), true) if outside.is_empty() => {
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
        _ => compact_list(&outside),
    };
    let words = words(files, opts, rule, first_python, first, &listing);
    let mut message = words.message;
    if let Some((_, v)) = group.iter().find(|(e, _)| e.python == "2.7") {
        if matches!(
            v.detail,
            Detail::Unsatisfiable(Unsatisfiable::ExcludesDeclared)
        ) {
            message.push_str(&format!(
                " (on Python 2.7 its last pip, 20.3.4, still uses the legacy resolver: it installs {pkg} from this range anyway, with only a warning that {} requires `{pkg}{}`)",
                rule.trigger.title,
                rule.declared.as_ref().map(|d| d.text.as_str()).unwrap_or("")
            ));
        }
    }
    let places: Vec<Place> = group
        .iter()
        .map(|(e, _)| Place::new(&e.python, &e.platform))
        .collect();
    if let Some(at) = where_it_holds(rule, &verdict.triggered, &places) {
        message.push_str(&format!(" (on {at})"));
    }
    if !pick.is_empty() {
        let picks: Vec<String> = pick
            .iter()
            .map(|(p, v, oses)| match oses {
                None => format!("{v} on Python {p}"),
                Some(oses) => format!("{v} on Python {p} ({oses})"),
            })
            .collect();
        message.push_str(&format!("; pip would pick {}", picks.join(", ")));
    }

    // What the picks outside the window do.
    let mut effects: Vec<(String, Vec<String>)> = Vec::new();
    for (p, v, _) in pick.iter() {
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
            Some((_, ps)) if ps.contains(p) => {}
            Some((_, ps)) => ps.push(p.clone()),
            None => effects.push((text, vec![p.clone()])),
        }
    }
    let mut fix = match first.fix {
        FixIntent::Narrow(r) => range_fix(files, rule, r, &pythons, parsed),
        FixIntent::InsertAfter(tf) => unconstrained_fix(files, tf, parsed, &pkg, &rule.window.text),
        FixIntent::None => None,
    };
    // A finding from a possible trigger: applying the fix changes which TensorFlow pip
    // installs (the new bound may exclude the releases it would pick instead).
    if let Some(f) = fix.as_mut() {
        if let Some((_, v)) = group.iter().find(|(_, v)| !v.trigger.certain) {
            let tf_text = compact(
                files
                    .get(v.trigger.req.loc.file)
                    .slice(v.trigger.req.loc.span),
            );
            let t = &rule.trigger.title;
            let why = if v.trigger.marker_unknown && v.trigger.newer.is_none() {
                format!("`{tf_text}` may not apply: its marker depends on what the target environments do not fix")
            } else {
                format!(
                    "`{tf_text}` admits other TensorFlow releases than {t}, which pip may install instead: this bound can change which one it installs"
                )
            };
            f.applicability = Applicability::Unsafe;
            f.reason = Some(match f.reason.take() {
                Some(r) => format!("{why}; {r}"),
                None => why,
            });
        }
    }
    let mut help: Vec<String> = effects
        .iter()
        .map(|(t, ps)| format!("on Python {}: {t}", ps.join(", ")))
        .collect();
    if let Some(h) = words.help {
        help.push(h);
    }
    if let Some(f) = &fix {
        let unsafe_note = match f.applicability {
            Applicability::Safe => "",
            Applicability::Unsafe => " (unsafe)",
        };
        match first.fix {
            FixIntent::Narrow(r) => {
                help.push(format!("fix{unsafe_note}: `{}`", fix_preview(files, r, f)))
            }
            _ => help.push(format!(
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
    d.label = words.label;
    d.package = Some(pkg);
    d.window = Some(rule.window.text.clone());
    d.set_environments(places);
    d.outside_released = outside;
    d.pip_would_pick = picks;
    d.related = words.related;
    d.help = (!help.is_empty()).then(|| help.join("\n"));
    d.fix = fix;
    d
}

/// Label, message, help and related locations of one per-Python verdict (`p` is its
/// Python; `listing` names the releases that get in).
fn words(
    files: &Files,
    opts: &Options,
    rule: &Rule,
    p: &str,
    v: &PyVerdict,
    listing: &str,
) -> Words {
    let t = &rule.trigger.title;
    let pkg = rule.package.to_string();
    let window = &rule.window;
    let declared = rule
        .declared
        .as_ref()
        .map(|d| d.text.as_str())
        .unwrap_or("");
    let possible = possible_note(files, t, p, &v.trigger);
    let tf_related = Related {
        loc: v.trigger.req.loc,
        message: format!("{t} required here"),
    };
    match &v.detail {
        Detail::Unsatisfiable(Unsatisfiable::KeepsTriggerOut) => {
            let tf_text = compact(files.get(v.trigger.req.loc.file).slice(v.trigger.req.loc.span));
            Words {
                label: format!("keeps {t} out"),
                message: format!(
                    "this range keeps {t} out ({t} requires `{pkg}{declared}`, which this excludes), so pip installs an older TensorFlow that `{tf_text}` admits"
                ),
                help: Some(format!(
                    "if {t} is meant, use a range inside the tested window, e.g. `{pkg}{}`; otherwise narrow `{tf_text}` to the TensorFlow you want",
                    window.text
                )),
                related: related_to(&v.contributing, v.primary, &pkg, tf_related),
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
                    not_installable(rule, &pkg, *excluded, *yanked)
                }
            };
            Words {
                label: format!("no installable {pkg} satisfies this"),
                message: format!("pip cannot install {pkg} here: {why}{possible}"),
                help: Some(format!(
                    "use a range inside the tested window, e.g. `{pkg}{}`",
                    window.text
                )),
                related: related_to(&v.contributing, v.primary, &pkg, tf_related),
            }
        }
        Detail::OutsideWindow {
            offender,
            only_below_declared,
            ..
        } => {
            let mut message = match &offender.version {
                VersionReq::Exact { version, .. } if offender.role == Role::Locked => format!(
                    "the lock pins {pkg} {version}, outside {t}'s tested window `{}`",
                    window.text
                ),
                _ => format!(
                    "`{}` admits {pkg} versions outside {t}'s tested window `{}`: {listing}",
                    compact(files.get(offender.loc.file).slice(offender.loc.span)),
                    window.text
                ),
            };
            if let Some(via) = &rule.via {
                message.push_str(&format!(
                    " ({pkg} comes in through {} → {via} → {pkg})",
                    v.trigger.req.name
                ));
            }
            if *only_below_declared {
                message.push_str(&format!(
                    " (only below {t}'s own `{pkg}{declared}`, which keeps pip inside the window)"
                ));
            }
            message.push_str(&possible);
            let help = if offender.syntax == Syntax::Lock {
                Some(format!(
                    "lockfiles are not edited: constrain `{pkg}{}` where the dependencies are declared, then re-lock{}",
                    window.text,
                    relock_hint(files, offender)
                ))
            } else {
                opts.sibling_lock.as_ref().map(|lock| {
                    format!(
                        "`{}` pins {pkg}{} today, but the next re-lock can pick any version this admits",
                        lock.path,
                        lock.pins
                            .get(&rule.package)
                            .map(|v| format!(" {v}"))
                            .unwrap_or_default()
                    )
                })
            };
            Words {
                label: format!("admits {pkg} outside `{}`", window.text),
                message,
                help,
                related: related_to(&v.contributing, v.primary, &pkg, tf_related),
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
            related: Vec::new(),
        },
        Detail::Unconstrained => {
            let mut message = format!("`{pkg}` is not constrained");
            match &rule.declared {
                Some(d) => message.push_str(&format!(
                    ": {t} only requires `{pkg}{}`, which lets in {listing} outside the tested window `{}`",
                    d.text, window.text
                )),
                None => message.push_str(&format!(
                    ": nothing keeps it within the tested window `{}`, which lets in {listing}",
                    window.text
                )),
            }
            if let Some(via) = &rule.via {
                message.push_str(&format!(
                    " (it comes in through {} → {via} → {pkg})",
                    v.trigger.req.name
                ));
            }
            message.push_str(&possible);
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
                related: Vec::new(),
            }
        }
    }
}

/// For a finding that holds only if the trigger is installed (its range admits other
/// versions that pip may pick instead): what else it admits.
fn possible_note(files: &Files, t: &str, p: &str, hit: &TriggerHit) -> String {
    if hit.certain {
        return String::new();
    }
    let tf_text = compact(files.get(hit.req.loc.file).slice(hit.req.loc.span));
    match &hit.newer {
        None if hit.marker_unknown => format!(
            " (only if {t} is installed: `{tf_text}` is under a marker that depends on what the target environments do not fix)"
        ),
        Some(v) => format!(
            " (only if {t} is installed: `{tf_text}` also admits {v}, which pip would pick on Python {p})"
        ),
        None => format!(" (only if {t} is installed: `{tf_text}` admits other versions too)"),
    }
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
        .filter(|r| super::evaluate::spec_loc(r) != primary)
        .map(|r| Related {
            loc: super::evaluate::spec_loc(r),
            message: format!("also constrains {pkg}"),
        })
        .collect();
    related.push(trigger);
    related
}

/// The release texts of release-list indices.
fn release_texts(rule: &Rule, indices: &[usize]) -> Vec<String> {
    indices
        .iter()
        .map(|&i| rule.releases.releases[i].text.clone())
        .collect()
}

/// Why pip installs nothing on a Python from releases that match (`pick::NoPick`).
fn not_installable(
    rule: &Rule,
    pkg: &str,
    excluded: Option<usize>,
    yanked: Option<usize>,
) -> String {
    let releases = &rule.releases.releases;
    let excluded = excluded.map(|i| {
        let r = &releases[i];
        let rp = r
            .requires_python
            .as_ref()
            .map(|s| s.to_string())
            .unwrap_or_default();
        format!(
            "need another Python (the oldest, {pkg} {}, has Requires-Python `{rp}`)",
            r.text
        )
    });
    let yanked = yanked.map(|i| {
        format!(
            "{pkg} {} is yanked, and pip takes a yanked release only when it is pinned with `==`",
            releases[i].text
        )
    });
    match (excluded, yanked) {
        (Some(e), Some(y)) => format!("{y}, and the other releases it admits {e}"),
        (Some(e), None) => format!("the releases it admits {e}"),
        (None, Some(y)) => y,
        (None, None) => "no release it admits installs on this Python".to_owned(),
    }
}
