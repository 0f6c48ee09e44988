//! Which edit a finding proposes: the fix intents of [`super::verdict::FixIntent`] made
//! concrete (narrow a range into the window, insert a requirement after the trigger), and
//! the re-lock hint for lockfiles. The format-specific text comes from `crate::fix`.

use std::str::FromStr;

use pep440_rs::{Operator, Version, VersionSpecifier};

use super::compact;
use super::evaluate::{any_published, req_set};
use crate::diagnostic::{Applicability, Fix};
use crate::files::Files;
use crate::manifest::{Loc, Parsed, Requirement, Syntax, VersionReq};
use crate::rules::releases::Status;
use crate::rules::Rule;
use crate::versions::VersionSet;

/// Narrow the offending requirement into the window, keeping the author's intent:
/// keep the clauses that narrow the window, add the window bounds the requirement crosses;
/// a pin (or a range with nothing left) becomes the newest in-window release.
pub(super) fn range_fix(
    files: &Files,
    rule: &Rule,
    r: &Requirement,
    pythons: &[&str],
    parsed: &Parsed,
) -> Option<Fix> {
    if r.syntax == Syntax::Lock {
        return None;
    }
    let file = files.get(r.loc().file);
    let clauses_text = match &r.version {
        // Keep the author's own clause text where it maps one to one.
        VersionReq::Specifiers { clauses, .. }
            if !clauses.is_empty() && r.syntax == Syntax::Pep508 =>
        {
            ClauseTexts::InFile(file, clauses)
        }
        VersionReq::Specifiers { specifiers, .. } => {
            ClauseTexts::Owned(specifiers.iter().map(|s| s.to_string()).collect())
        }
        VersionReq::Any => ClauseTexts::Owned(Vec::new()),
        // A union (Poetry `||`, conda `|`): replaced by the window as a whole.
        VersionReq::AnyOf { .. } => ClauseTexts::Owned(Vec::new()),
        _ => return None,
    };
    // The replacement depends on the rule, the clauses (and so the requirement's set, when
    // they are the author's own text), the pre-release flag and the Pythons: remembered
    // per thread for those (a tree's projects write a handful of ranges). A long list (an
    // 8 MiB line of `!=`, or a few clauses of more than `MAX_TIGHTEN_BYTES`: one local
    // label of a million segments) is not copied into a key: it is worked out as it comes.
    let key = match &clauses_text {
        ClauseTexts::InFile(_, clauses) if few_and_short(clauses.len(), clauses_text.iter()) => {
            Some(ReplacementKey {
                rule: rule.uid,
                pre: r.pre,
                clauses: clauses_text.iter().map(str::to_owned).collect(),
                pythons: pythons.iter().map(|p| p.to_string()).collect(),
            })
        }
        _ => None,
    };
    let work_out = || replacement_spec(rule, r, &clauses_text, pythons);
    let replacement = match key {
        Some(k) => super::evaluate::remembered(&REPLACEMENTS, 1024, k, |_| work_out()),
        None => work_out(),
    }?;
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
            file: r.loc().file,
            span,
        },
        replacement,
        applicability,
        reason,
    })
}

/// A requirement's clauses as text: the author's own, read from the file where they map one
/// to one (a line of a million `!=` clauses is neither copied nor listed clause by clause:
/// a list of them held 24 bytes a clause at the check's peak), else written out from the
/// parsed specifiers.
enum ClauseTexts<'a> {
    InFile(
        &'a crate::source::SourceFile,
        &'a crate::manifest::ClauseSpans,
    ),
    Owned(Vec<String>),
}

impl ClauseTexts<'_> {
    fn iter(&self) -> Box<dyn Iterator<Item = &str> + '_> {
        match self {
            ClauseTexts::InFile(file, clauses) => {
                Box::new(clauses.iter().map(|c| file.slice(c).trim()))
            }
            ClauseTexts::Owned(v) => Box::new(v.iter().map(String::as_str)),
        }
    }

    fn len(&self) -> usize {
        match self {
            ClauseTexts::InFile(_, clauses) => clauses.len(),
            ClauseTexts::Owned(v) => v.len(),
        }
    }
}

/// What [`range_fix`]'s replacement range depends on, for a PEP 508 requirement whose
/// clauses are the author's own text (its set is theirs).
#[derive(PartialEq, Eq, Hash)]
struct ReplacementKey {
    rule: u64,
    pre: bool,
    clauses: Vec<String>,
    pythons: Vec<String>,
}

thread_local! {
    static REPLACEMENTS: std::cell::RefCell<crate::hash::HashMap<ReplacementKey, Option<String>>> =
        std::cell::RefCell::new(Default::default());
}

#[cfg(test)]
thread_local! {
    /// How many times [`replacement_spec`] worked a replacement out on this thread (tests).
    pub(super) static REPLACEMENTS_WORKED_OUT: std::cell::Cell<usize> = const { std::cell::Cell::new(0) };
}

/// The range that replaces `r`'s (its clauses `clauses_text`), inside the rule's window;
/// None when nothing fits.
fn replacement_spec(
    rule: &Rule,
    r: &Requirement,
    clauses_text: &ClauseTexts<'_>,
    pythons: &[&str],
) -> Option<String> {
    #[cfg(test)]
    REPLACEMENTS_WORKED_OUT.with(|n| n.set(n.get() + 1));
    let window = &rule.window;
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
    // Asked only when tightening fails: it parses every clause again (a line of 772k `!=`
    // clauses did so, and held a list of them, for a fix that `tighten` had found).
    let narrowing = || {
        // A clause written as the one before has its answer (a line of one clause repeated
        // a million times asked a million times).
        let mut last: Option<(&str, bool)> = None;
        clauses_text.iter().filter(move |c| match last {
            Some((text, narrows)) if text == *c => narrows,
            _ => {
                let narrows = list_set(c)
                    .map(|cs| !window.set.is_subset(&cs))
                    .unwrap_or(true);
                last = Some((c, narrows));
                narrows
            }
        })
    };
    let mut replacement = None;
    if !is_pin {
        // First the author's clauses with the looser ones replaced where they stand.
        // `tighten` takes no more than a few clauses: a longer list is not collected.
        let few = (clauses_text.len() <= MAX_TIGHTEN_CLAUSES)
            .then(|| clauses_text.iter().collect::<Vec<_>>());
        if let Some(text) = few.and_then(|few| tighten(&few, &window.specifiers)) {
            if let Some(set) = list_set(&text) {
                if set.witness_outside(&window.set).is_none()
                    && !set.is_empty()
                    && any_published(rule, &set)
                {
                    replacement = Some(text);
                }
            }
        }
    }
    if !is_pin && replacement.is_none() {
        // `kept` and then `needed`, joined by commas.
        fn with<'s>(kept: impl Iterator<Item = &'s str>, needed: &'s [String]) -> String {
            let mut text = String::new();
            for (i, c) in kept.chain(needed.iter().map(String::as_str)).enumerate() {
                if i > 0 {
                    text.push(',');
                }
                text.push_str(c);
            }
            text
        }
        // Last resort for a range: the window itself (a range stays a range).
        let window_only: Vec<String> = window.specifiers.iter().map(|w| w.to_string()).collect();
        // Each candidate written only when the one before fails (the second is the whole
        // list again: 8 MiB for a line of a million `!=` clauses).
        let candidates: [&dyn Fn() -> String; 3] = [
            &|| with(narrowing(), &needed),
            &|| with(clauses_text.iter(), &needed),
            &|| window_only.join(","),
        ];
        for text in candidates.iter().map(|candidate| candidate()) {
            let Some(set) = list_set(&text) else {
                continue;
            };
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
    Some(replacement)
}

/// The set of a clause list a candidate fix writes, read clause by clause
/// (`versions::Specifiers::parse`): the list may be the author's whole line again, and
/// pep440_rs's own list held about 200 bytes a clause at once (an 8 MiB line of
/// `!=1.Nrc1`), and a label of millions of local segments as many strings.
fn list_set(text: &str) -> Option<VersionSet> {
    let specs = crate::versions::Specifiers::parse(text)?;
    Some(VersionSet::from_shared(&std::sync::Arc::new(specs)))
}

/// The most clauses [`tighten`] rewrites one by one.
const MAX_TIGHTEN_CLAUSES: usize = 16;
/// The most bytes of clauses [`tighten`] rewrites.
const MAX_TIGHTEN_BYTES: usize = 4096;

/// A clause list `tighten` works on, and the fix memo keys by its text: at most
/// [`MAX_TIGHTEN_CLAUSES`] clauses of [`MAX_TIGHTEN_BYTES`] in all.
fn few_and_short<'a>(len: usize, texts: impl Iterator<Item = &'a str>) -> bool {
    len <= MAX_TIGHTEN_CLAUSES && texts.map(str::len).sum::<usize>() <= MAX_TIGHTEN_BYTES
}

/// Which side of a range a single clause bounds.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Side {
    Lower,
    Upper,
    /// `~=` and `==X.*`: both sides at once.
    Both,
    /// `!=`, `==`, `===`.
    Other,
}

fn side(op: Operator) -> Side {
    match op {
        Operator::GreaterThan | Operator::GreaterThanEqual => Side::Lower,
        Operator::LessThan | Operator::LessThanEqual => Side::Upper,
        Operator::TildeEqual | Operator::EqualStar => Side::Both,
        _ => Side::Other,
    }
}

/// Tighten the author's clauses into the window, in place: a `~=` or `==X.*` that admits
/// versions outside the window is replaced as a whole by the window's bounds; a window bound
/// the range still crosses replaces the first looser clause on its side (`<0.4` → `<0.3`,
/// `<=X` likewise), or is appended when there is none; then clauses that the others imply
/// (a bound the window made looser, a `!=` hole outside the window) go, the author's
/// clauses last. What is left keeps the author's order and text: `>=0.2.0,<0.4` becomes
/// `>=0.2.0,<0.3` (not `>=0.2.0,<0.4,<0.3`), `!=` holes inside the window and a stricter
/// lower bound stay. None when a clause does not read as one PEP 440 specifier.
pub(super) fn tighten(clauses: &[impl AsRef<str>], window: &[VersionSpecifier]) -> Option<String> {
    // The redundancy pass is cubic in the clauses: a hostile line of thousands of `!=`
    // gets the plain candidates of `range_fix` instead.
    // Likewise a clause of megabytes (a local label of millions of segments, which
    // pep440_rs reads into as many strings, several times over below).
    if !few_and_short(clauses.len(), clauses.iter().map(AsRef::as_ref)) {
        return None;
    }
    // (text, specifier, inserted from the window)
    let mut list: Vec<(String, VersionSpecifier, bool)> = Vec::with_capacity(clauses.len() + 2);
    for c in clauses {
        let c = c.as_ref();
        let specs = pep440_rs::VersionSpecifiers::from_str(c).ok()?;
        let [one] = specs.iter().collect::<Vec<_>>()[..] else {
            return None;
        };
        list.push((c.to_owned(), one.clone(), false));
    }
    let window_set = VersionSet::from_specifiers(&window.iter().cloned().collect());
    let set_of = |list: &[(String, VersionSpecifier, bool)], skip: Option<usize>| {
        VersionSet::intersect_all(
            list.iter()
                .enumerate()
                .filter(|(i, _)| Some(*i) != skip)
                .map(|(_, (_, s, _))| VersionSet::from_specifier(s)),
        )
    };
    // A compound clause that admits too much goes as a whole: its two bounds stand in its
    // place (then tightened like any other), or, for one without, the window.
    let mut i = 0;
    while i < list.len() {
        let (_, spec, inserted) = &list[i];
        if !inserted
            && side(*spec.operator()) == Side::Both
            && VersionSet::from_specifier(spec)
                .witness_outside(&window_set)
                .is_some()
        {
            let with: Vec<_> = match bounds_of(spec) {
                Some((lower, upper)) => vec![
                    (lower.to_string(), lower, false),
                    (upper.to_string(), upper, false),
                ],
                None => window
                    .iter()
                    .map(|w| (w.to_string(), w.clone(), true))
                    .collect(),
            };
            let n = with.len();
            list.splice(i..=i, with);
            i += n;
        } else {
            i += 1;
        }
    }
    // Each window bound the range still crosses.
    for w in window {
        let w_set = VersionSet::from_specifier(w);
        if set_of(&list, None).witness_outside(&w_set).is_none() {
            continue;
        }
        let w_side = side(*w.operator());
        let looser = list.iter().position(|(_, s, inserted)| {
            !inserted
                && w_side != Side::Other
                && side(*s.operator()) == w_side
                && w_set.is_subset(&VersionSet::from_specifier(s))
        });
        let entry = (w.to_string(), w.clone(), true);
        match looser {
            Some(at) => list[at] = entry,
            None => list.push(entry),
        }
    }
    // Drop what the rest implies: window bounds first, then the author's clauses.
    loop {
        let order = (0..list.len())
            .filter(|&i| list[i].2)
            .chain((0..list.len()).filter(|&i| !list[i].2));
        let mut dropped = false;
        for i in order {
            if list.len() > 1
                && set_of(&list, Some(i)).is_subset(&VersionSet::from_specifier(&list[i].1))
            {
                list.remove(i);
                dropped = true;
                break;
            }
        }
        if !dropped {
            break;
        }
    }
    Some(
        list.into_iter()
            .map(|(t, _, _)| t)
            .collect::<Vec<_>>()
            .join(","),
    )
}

/// The two bounds of a `~=` or `==X.*` clause: `~=1.16` is `>=1.16` and `<2`, `~=1.16.0`
/// `>=1.16.0` and `<1.17`, `==1.*` `>=1` and `<2` (which, unlike the wildcard, leave out
/// 1.0's and 2.0's pre-releases: only ever narrower). None for anything else, or an epoch.
fn bounds_of(spec: &VersionSpecifier) -> Option<(VersionSpecifier, VersionSpecifier)> {
    let v = spec.version();
    if v.epoch() != 0 {
        return None;
    }
    let (lower, upper_release) = match spec.operator() {
        Operator::TildeEqual => {
            let r = v.release();
            (v.clone(), r.get(..r.len().checked_sub(1)?)?.to_vec())
        }
        Operator::EqualStar => (Version::new(v.release()), v.release().to_vec()),
        _ => return None,
    };
    let mut upper_release = upper_release;
    *upper_release.last_mut()? += 1;
    let lower = VersionSpecifier::from_version(Operator::GreaterThanEqual, lower).ok()?;
    let upper =
        VersionSpecifier::from_version(Operator::LessThan, Version::new(upper_release)).ok()?;
    Some((lower, upper))
}

/// For an unconstrained package: insert a requirement right after the trigger, in the
/// file's own syntax and layout (the format renders it: `formats::InputFormat::insert`).
pub(super) fn unconstrained_fix(
    files: &Files,
    tf: &Requirement,
    parsed: &Parsed,
    pkg: &str,
    spec: &str,
) -> Option<Fix> {
    let file = files.get(tf.loc().file);
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
            file: tf.loc().file,
            span,
        },
        replacement,
        applicability,
        reason,
    })
}

pub(super) fn fix_preview(files: &Files, r: &Requirement, fix: &Fix) -> String {
    let file = files.get(r.loc().file);
    if fix.loc.span.start >= r.loc().span.start && fix.loc.span.end <= r.loc().span.end {
        let whole = file.slice(r.loc().span);
        let a = fix.loc.span.start - r.loc().span.start;
        let b = fix.loc.span.end - r.loc().span.start;
        if let (Some(pre), Some(post)) = (whole.get(..a), whole.get(b..)) {
            return compact(&format!("{pre}{}{post}", fix.replacement));
        }
    }
    compact(&fix.replacement)
}

/// `` (`poetry lock`)``: the command that regenerates the lockfile `r` is in.
pub(super) fn relock_hint(_files: &Files, r: &Requirement) -> String {
    r.format
        .imp()
        .relock_command()
        .map(|c| format!(" (`{c}`)"))
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(clauses: &str, window: &str) -> Option<String> {
        let w: Vec<VersionSpecifier> = pep440_rs::VersionSpecifiers::from_str(window)
            .unwrap()
            .iter()
            .cloned()
            .collect();
        let c: Vec<String> = clauses.split(',').map(|s| s.trim().to_owned()).collect();
        tighten(&c, &w)
    }

    #[test]
    fn a_looser_clause_is_replaced_where_it_stands() {
        let gast = ">=0.2.0,<0.3";
        let numpy = ">=1.14.5,<1.17";
        for (from, window, to) in [
            // The defect: `<0.4` stays and `<0.3` is appended.
            (">=0.2.0,<0.4", gast, ">=0.2.0,<0.3"),
            (">=0.2.0,<=0.3.3", gast, ">=0.2.0,<0.3"),
            ("<=0.3.3,>=0.2.0", gast, "<0.3,>=0.2.0"),
            // A looser lower bound is replaced; a stricter one stays.
            (">=1.10,<1.16", numpy, ">=1.14.5,<1.16"),
            (">=1.16,<1.20", numpy, ">=1.16,<1.17"),
            // `!=` holes inside the window stay, outside it go.
            (
                ">=1.10,<2,!=1.16.0,!=1.18",
                numpy,
                ">=1.14.5,<1.17,!=1.16.0",
            ),
            (">=1.16,!=1.16.3,<1.20", numpy, ">=1.16,!=1.16.3,<1.17"),
            // A missing bound is added at the end.
            ("<1.17", numpy, "<1.17,>=1.14.5"),
            ("!=1.16.0", numpy, "!=1.16.0,>=1.14.5,<1.17"),
            // `~=` and `==X.*` that admit too much go as a whole: their bounds, tightened.
            ("~=1.16", numpy, ">=1.16,<1.17"),
            ("~=1.14", numpy, ">=1.14.5,<1.17"),
            ("~=0.2", gast, ">=0.2,<0.3"),
            ("==0.*", gast, ">=0.2.0,<0.3"),
            ("==1.*,!=1.16.1", numpy, ">=1.14.5,<1.17,!=1.16.1"),
            (">=0.2.1,~=0.2", gast, ">=0.2.1,<0.3"),
            // One inside the window stays as written.
            ("~=1.16.0", numpy, "~=1.16.0"),
        ] {
            assert_eq!(t(from, window).as_deref(), Some(to), "{from}");
        }
        // Not one specifier a clause: no opinion.
        assert_eq!(t("^1.2", numpy), None);
    }
}
