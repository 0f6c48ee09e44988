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
pub(crate) struct Options {
    /// Restrict the Pythons considered (`major.minor`); None = the rule's own list.
    pub pythons: Option<Vec<String>>,
    /// Restrict the operating systems considered (`linux`, `darwin`, `win32`); None = all.
    pub platforms: Option<Vec<String>>,
    /// The file is a conda environment (conda-only trigger names count).
    pub conda: bool,
    /// A lockfile beside a declaration that pins packages: package -> (lock path, version).
    pub sibling_lock: Option<SiblingLock>,
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
        }];
    }
    parsed
        .groups
        .iter()
        .map(|g| Unit {
            kind: g.kind,
            name: &g.name,
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
pub(crate) fn check_parsed(
    files: &Files,
    parsed: &Parsed,
    rules: &[Rule],
    opts: &Options,
) -> Vec<Diagnostic> {
    let mut out = problem_diagnostics(parsed);
    let verdicts = evaluate::evaluate(parsed, rules, opts);
    out.extend(message::diagnostics(files, parsed, opts, &verdicts));
    out
}

/// "1.17.0 … 1.21.6, 29 releases" (or the list itself when short).
pub(crate) fn compact_list(versions: &[String]) -> String {
    match versions.len() {
        0 => "none".into(),
        1..=3 => versions.join(", "),
        n => format!("{} … {}, {n} releases", versions[0], versions[n - 1]),
    }
}

/// Collapse a requirement's text to one line for messages.
pub(crate) fn compact(text: &str) -> String {
    let joined = text.replace("\\\r\n", " ").replace("\\\n", " ");
    joined.split_whitespace().collect::<Vec<_>>().join(" ")
}
