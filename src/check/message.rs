//! Every word a finding says: verdicts in, diagnostics out. The evaluator decides; this
//! module only phrases, naming the trigger, package, window and effects from the rule's
//! data, quoting the file's own text, and merging a finding reached through several units.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::str::FromStr;

use pep440_rs::Version;

use super::evaluate::outside_releases;
use super::fix_proposal::{fix_preview, range_fix, relock_hint, unconstrained_fix};
use super::verdict::{Detail, FixIntent, Judgement, PyVerdict, TriggerHit, Unsatisfiable, Verdict};
use super::{compact, compact_list, Check, Options};
use crate::diagnostic::{Applicability, Diagnostic, Related, Severity};
use crate::files::Files;
use crate::manifest::{Loc, Parsed, Requirement, Role, Syntax, VersionReq};
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
            Judgement::PerPython(group) => {
                let d = finish(files, parsed, opts, v.rule, group);
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
    let mut d = Diagnostic::problem(
        Check::NoSupportedPython,
        Severity::Error,
        at,
        format!(
            "the project allows none of the Pythons {t} ships wheels for ({}), but requires `{}`",
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
        "{t} has wheels only for Python {}: widen `requires-python`, or move to a newer release",
        rule.trigger.pythons.join(", ")
    ));
    d
}

/// The words of one (unit, rule, Python) verdict.
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
    rule: &Rule,
    group: &[(String, PyVerdict)],
) -> Diagnostic {
    let pythons: Vec<String> = group.iter().map(|(p, _)| p.clone()).collect();
    let mut pick = BTreeMap::new();
    for (p, v) in group {
        if let Some(version) = &v.pick {
            pick.insert(p.clone(), version.clone());
        }
    }
    let severity = group
        .iter()
        .map(|(_, v)| v.severity)
        .max()
        .unwrap_or(Severity::Warning);
    let (first_python, first) = (&group[0].0, &group[0].1);
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
            format!("e.g. {w}, though no such release is published")
        }
        _ => compact_list(&outside),
    };
    let words = words(files, opts, rule, first_python, first, &listing);
    let mut message = words.message;
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
    let fix = match first.fix {
        FixIntent::Narrow(r) => range_fix(files, rule, r, &pythons, parsed),
        FixIntent::InsertAfter(tf) => unconstrained_fix(files, tf, parsed, &pkg, &rule.window.text),
        FixIntent::None => None,
    };
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
    d.pythons = pythons;
    d.outside_released = outside;
    d.pip_would_pick = pick;
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
        Detail::Unsatisfiable(reason) => {
            let why = match reason {
                Unsatisfiable::Conflict => "the requirements on it exclude each other".to_owned(),
                Unsatisfiable::ExcludesDeclared => {
                    format!("{t} requires `{pkg}{declared}`, which this excludes")
                }
                Unsatisfiable::Unpublished => "no published release satisfies it".to_owned(),
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
                message.push_str(&format!(" ({pkg} comes in through {via})"));
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
                message.push_str(&format!(" (it comes in through {via})"));
            }
            message.push_str(&possible);
            Words {
                label: format!("requires {t} but leaves {pkg} free"),
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
