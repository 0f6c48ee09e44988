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
    pub requirements: Vec<&'a Requirement>,
    pub extras: Vec<ExtraName>,
    /// Packages named by requirement lines of this unit that do not parse: pip refuses the
    /// file, so nothing is claimed about them here (their `parse-error` is the finding).
    pub unparsed: Vec<&'a PackageName>,
}

/// Split a parsed file into its units.
pub(crate) fn units(parsed: &Parsed) -> Vec<Unit<'_>> {
    let unevaluable = parsed
        .problems
        .iter()
        .any(|p| p.kind == ProblemKind::Unevaluable);
    if parsed.groups.is_empty() {
        return vec![Unit {
            kind: GroupKind::Base,
            name: "",
            unevaluable,
            requirements: parsed.requirements.iter().collect(),
            extras: Vec::new(),
            unparsed: parsed.unparsed.iter().map(|u| &u.name).collect(),
        }];
    }
    parsed
        .groups
        .iter()
        .enumerate()
        .map(|(gi, g)| Unit {
            kind: g.kind,
            name: &g.name,
            unevaluable,
            requirements: g
                .members
                .iter()
                .filter_map(|&i| parsed.requirements.get(i))
                .collect(),
            extras: g.extras.clone(),
            unparsed: parsed
                .unparsed
                .iter()
                .filter(|u| u.groups.contains(&gi))
                .map(|u| &u.name)
                .collect(),
        })
        .collect()
}

/// The units to evaluate: one per distinct install. Units with the same kind, the same
/// requirements in the same order and the same extras get the same verdicts, so only the
/// first of them is evaluated; [`check_parsed`] gives its verdicts to the others under their
/// own names. A lock with 20,000 groups that each hold every package (pdm.lock `groups`) is
/// then evaluated once, not 20,000 times (issue 15 §4).
pub(crate) fn distinct_units(parsed: &Parsed) -> Vec<Unit<'_>> {
    let rep = representatives(parsed);
    let mut all = units(parsed);
    if rep.iter().enumerate().all(|(i, &r)| r == i) {
        return all;
    }
    let mut i = 0;
    all.retain(|_| {
        let keep = rep[i] == i;
        i += 1;
        keep
    });
    all
}

/// For each group, the index of the first group with the same kind, members (in order)
/// and extras: what decides its verdicts. Empty when the file has no groups. Every group is
/// its own when two share a name's address (empty names): verdicts find their group by it.
fn representatives(parsed: &Parsed) -> Vec<usize> {
    let mut names = std::collections::HashSet::with_capacity(parsed.groups.len());
    if !parsed.groups.iter().all(|g| names.insert(g.name.as_ptr())) {
        return (0..parsed.groups.len()).collect();
    }
    let mut first: std::collections::HashMap<(GroupKind, &[usize], &[ExtraName]), usize> =
        std::collections::HashMap::with_capacity(parsed.groups.len());
    parsed
        .groups
        .iter()
        .enumerate()
        .map(|(i, g)| {
            *first
                .entry((g.kind, g.members.as_slice(), g.extras.as_slice()))
                .or_insert(i)
        })
        .collect()
}

/// Which units reach which verdicts, in unit order ([`message::Reach`]): the verdicts are
/// those of the distinct units ([`distinct_units`]), and a unit that shares its
/// representative's install reaches each of the representative's verdicts under its own
/// kind and name. Each verdict is then phrased once, however many units share it.
fn reach<'a>(parsed: &'a Parsed, verdicts: &[verdict::Verdict<'a>]) -> Vec<message::Reach<'a>> {
    let rep = representatives(parsed);
    let own = || {
        verdicts
            .iter()
            .enumerate()
            .map(|(i, v)| (i, v.unit_kind, v.unit_name))
            .collect()
    };
    if rep.iter().enumerate().all(|(i, &r)| r == i) {
        return own();
    }
    // Which group a verdict is of: its name is that group's `name` (the same string; names
    // have distinct addresses, or `representatives` shares nothing).
    let by_name: std::collections::HashMap<*const u8, usize> = parsed
        .groups
        .iter()
        .enumerate()
        .map(|(i, g)| (g.name.as_ptr(), i))
        .collect();
    let mut of_group: Vec<Vec<usize>> = vec![Vec::new(); parsed.groups.len()];
    for (k, v) in verdicts.iter().enumerate() {
        match by_name.get(&v.unit_name.as_ptr()) {
            Some(&i) => of_group[i].push(k),
            None => return own(),
        }
    }
    let mut out = Vec::with_capacity(verdicts.len());
    for (i, g) in parsed.groups.iter().enumerate() {
        out.extend(
            of_group[rep[i]]
                .iter()
                .map(|&k| (k, g.kind, g.name.as_str())),
        );
    }
    out
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
    let verdicts = evaluate::evaluate(parsed, rules, opts);
    let reach = reach(parsed, &verdicts);
    out.extend(message::diagnostics_reached(
        files, parsed, opts, &verdicts, &reach,
    ));
    out
}

/// Collapse a requirement's text to one line for messages.
pub(crate) fn compact(text: &str) -> String {
    let joined = text.replace("\\\r\n", " ").replace("\\\n", " ");
    joined.split_whitespace().collect::<Vec<_>>().join(" ")
}
