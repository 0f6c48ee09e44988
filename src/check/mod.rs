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
//!
//! Layout: each check is a file of its own (`outside_window.rs`, with `outside_window.md`,
//! its documentation) listed by one line of the `checks!` registry below; its
//! [`registry::CheckInfo`] says where it is decided. `evaluate.rs` asks the registry's checks and
//! produces verdicts (data, no text), `message.rs` phrases them, `fix_proposal.rs` turns
//! their fix intents into edits. A new check is its file (and its `.md`) and one registry
//! line.

use std::collections::BTreeMap;

use pep440_rs::Version;
use pep508_rs::{ExtraName, PackageName};

use crate::diagnostic::{Diagnostic, Severity};
use crate::files::Files;
use crate::manifest::{GroupKind, Parsed, ProblemKind, Requirement};
use crate::rules::Rule;

#[macro_use]
pub(crate) mod registry;

mod evaluate;
mod fix_proposal;
mod message;
pub mod pick;
mod verdict;

#[cfg(test)]
mod tests;

pub(crate) use evaluate::FastHash;
pub(crate) use registry::CheckDoc;

// The check registry: one line per check, `Variant => its file`. The order is the order
// of codes in every output (and SARIF's `ruleIndex`).
checks! {
    ParseError => parse_error,
    IncludeError => include_error,
    Unevaluable => unevaluable,
    OutsideWindow => outside_window,
    Unconstrained => unconstrained,
    Unsatisfiable => unsatisfiable,
    NoSupportedPython => no_supported_python,
    LockIncomplete => lock_incomplete,
    ResolutionFailure => resolution_failure,
    ResolvedOutside => resolved_outside,
    UnusedSuppression => unused_suppression,
}

/// What the checker needs besides the parsed file.
#[derive(Clone, Debug, Default)]
pub struct Options {
    /// Restrict the Pythons considered (`major.minor`); None = the rule's own list.
    pub pythons: Option<Vec<String>>,
    /// Restrict the operating systems considered (`linux`, `darwin`, `win32`); None = all.
    pub platforms: Option<Vec<String>>,
    /// The file is a conda environment (conda-only trigger names count).
    pub conda: bool,
    /// A lockfile beside a declaration that pins packages: package -> (lock path, version).
    pub(crate) sibling_lock: Option<SiblingLock>,
    /// What the checked text stands for: a file someone wrote, or an installed environment
    /// (`check --installed`), which messages phrase as "numpy 1.21.6 is installed".
    pub source: Source,
}

/// What a checked text stands for (messages phrase findings by it; verdicts do not change).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Source {
    /// A dependency file (a declaration or a lock).
    #[default]
    File,
    /// The distributions installed in an environment, as exact pins.
    Installed,
}

#[derive(Clone, Debug)]
pub(crate) struct SiblingLock {
    pub path: String,
    pub pins: BTreeMap<PackageName, Version>,
}

/// One install to judge.
pub(crate) struct Unit<'a> {
    pub kind: GroupKind,
    pub name: &'a str,
    /// Part of the file could not be evaluated, so a package's absence proves nothing.
    pub unevaluable: bool,
    /// Its requirements in unit order; with a `base`, only those it adds to it.
    pub requirements: Members<'a>,
    pub extras: &'a [ExtraName],
    /// Packages named by requirement lines of this unit that do not parse: pip refuses the
    /// file, so nothing is claimed about them here (their `parse-error` is the finding).
    /// With a `base`, only its own.
    pub unparsed: Vec<&'a PackageName>,
    /// The base install this unit adds to ([`crate::manifest::Group::base`]), shared by
    /// every unit that adds to it, not copied into each.
    pub base: Option<std::rc::Rc<Base<'a>>>,
}

/// A base install that other units add to: its group, and its requirements and broken
/// lines as those units hold them (in index order, each once).
pub(crate) struct Base<'a> {
    pub group: usize,
    pub requirements: Vec<&'a Requirement>,
    pub unparsed: Vec<&'a PackageName>,
}

impl<'a> Unit<'a> {
    /// Every requirement of the unit, in unit order: its base's and its own, merged by
    /// position in `Parsed::requirements` (both are in index order).
    pub(crate) fn all_requirements(&self) -> Vec<&'a Requirement> {
        let own: Vec<&'a Requirement> = self.requirements.iter().collect();
        match &self.base {
            Some(base) => merge_by_address(&base.requirements, &own),
            None => own,
        }
    }

    /// Whether a line of the unit (or of its base) that does not parse names `name`.
    pub(crate) fn names_unparsed(&self, name: &PackageName) -> bool {
        self.unparsed.contains(&name)
            || self
                .base
                .as_ref()
                .is_some_and(|b| b.unparsed.contains(&name))
    }
}

/// A unit's requirements, in unit order, read from the file's list instead of copied into
/// a list of the unit's own: all of them for a file that defines no groups, else a group's
/// members (a list of 1.6M `gast` lines held a pointer a line more, issue 15 §4).
#[derive(Clone, Copy)]
pub(crate) struct Members<'a> {
    requirements: &'a [Requirement],
    /// Indices into `requirements`; `None` for all of them.
    only: Option<&'a [usize]>,
}

impl<'a> Members<'a> {
    /// The requirements, in unit order.
    pub(crate) fn iter(self) -> impl Iterator<Item = &'a Requirement> {
        let (all, only): (&[Requirement], &[usize]) = match self.only {
            None => (self.requirements, &[]),
            Some(only) => (&[], only),
        };
        let of = self.requirements;
        all.iter()
            .chain(only.iter().filter_map(move |&i| of.get(i)))
    }

    /// How many there are.
    pub(crate) fn len(self) -> usize {
        self.only.map_or(self.requirements.len(), <[usize]>::len)
    }
}

/// Two lists of references into one slice, each in slice order, merged in slice order
/// (an element in both once).
pub(crate) fn merge_by_address<'a, T>(a: &[&'a T], b: &[&'a T]) -> Vec<&'a T> {
    let mut out = Vec::with_capacity(a.len() + b.len());
    let (mut i, mut j) = (0, 0);
    while i < a.len() && j < b.len() {
        let (x, y) = (std::ptr::from_ref(a[i]), std::ptr::from_ref(b[j]));
        if x <= y {
            out.push(a[i]);
            i += 1;
            j += usize::from(x == y);
        } else {
            out.push(b[j]);
            j += 1;
        }
    }
    out.extend_from_slice(&a[i..]);
    out.extend_from_slice(&b[j..]);
    out
}

/// Split a parsed file into its units, one at a time (a file with 50,000 extras holds no
/// list of 50,000 units).
pub(crate) fn units(parsed: &Parsed) -> Box<dyn Iterator<Item = Unit<'_>> + '_> {
    let unevaluable = parsed
        .problems
        .iter()
        .any(|p| p.kind == ProblemKind::Unevaluable);
    if parsed.groups.is_empty() {
        return Box::new(std::iter::once(Unit {
            kind: GroupKind::Base,
            name: "",
            unevaluable,
            requirements: Members {
                requirements: &parsed.requirements,
                only: None,
            },
            extras: &[],
            unparsed: parsed.unparsed.iter().map(|u| &u.name).collect(),
            base: None,
        }));
    }
    // The lines that do not parse, per group: one pass over them, not one per group.
    let mut unparsed: Vec<Vec<&PackageName>> = vec![Vec::new(); parsed.groups.len()];
    for u in &parsed.unparsed {
        for &g in &u.groups {
            if let Some(list) = unparsed.get_mut(g) {
                if list.last().is_none_or(|n| !std::ptr::eq(*n, &u.name)) {
                    list.push(&u.name);
                }
            }
        }
    }
    // Each base that units add to, once: its members in index order, each once.
    let mut bases: Vec<Option<std::rc::Rc<Base<'_>>>> = vec![None; parsed.groups.len()];
    for g in &parsed.groups {
        let Some(b) = g.base else { continue };
        if bases.get(b).is_none_or(Option::is_some) {
            continue;
        }
        let mut members = parsed.groups[b].members.clone();
        members.sort_unstable();
        members.dedup();
        bases[b] = Some(std::rc::Rc::new(Base {
            group: b,
            requirements: members
                .iter()
                .filter_map(|&i| parsed.requirements.get(i))
                .collect(),
            unparsed: unparsed[b].clone(),
        }));
    }
    Box::new(
        parsed
            .groups
            .iter()
            .zip(unparsed)
            .map(move |(g, unparsed)| Unit {
                kind: g.kind,
                name: &g.name,
                unevaluable,
                requirements: Members {
                    requirements: &parsed.requirements,
                    only: Some(&g.members),
                },
                extras: &g.extras,
                unparsed,
                base: g.base.and_then(|b| bases.get(b).cloned().flatten()),
            }),
    )
}

/// Turn the parser's problems into diagnostics.
pub(crate) fn problem_diagnostics(parsed: &Parsed) -> Vec<Diagnostic> {
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
            d.help = p.help.clone().map(Into::into);
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
    let mut phrasing = message::Phrasing::new(files, parsed, opts);
    evaluate::evaluate_into(parsed, rules, opts, &mut phrasing);
    // The parser's problems first; the findings (maybe 50,000) are not copied behind them.
    let mut out = phrasing.finish();
    out.splice(0..0, problem_diagnostics(parsed));
    out
}

/// Collapse a requirement's text to one line for messages.
pub(crate) fn compact(text: &str) -> String {
    // Already one line of single spaces (the usual requirement): itself. ASCII only, as
    // `split_whitespace` also splits at Unicode spaces.
    let b = text.as_bytes();
    if b.iter().all(|&c| c.is_ascii_graphic() || c == b' ')
        && !text.contains("  ")
        && b.first() != Some(&b' ')
        && b.last() != Some(&b' ')
    {
        return text.to_owned();
    }
    let joined = text.replace("\\\r\n", " ").replace("\\\n", " ");
    joined.split_whitespace().collect::<Vec<_>>().join(" ")
}
