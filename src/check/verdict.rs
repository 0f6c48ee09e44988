//! What the evaluator decides, as data: no text. [`super::message`] turns verdicts into
//! diagnostics; [`super::fix_proposal`] turns fix intents into edits.

use pep440_rs::Version;

use super::Check;
use crate::diagnostic::Severity;
#[cfg(test)]
use crate::manifest::GroupKind;
use crate::manifest::{Loc, Requirement};
use crate::rules::environments::Environment;
use crate::rules::Rule;
use crate::versions::VersionSet;

/// One finding of one unit against one rule, over the Pythons it holds on.
#[derive(Clone, Debug)]
pub(crate) struct Verdict<'a> {
    /// The kind and name of the unit judged (tests read them; messages name the units
    /// that reach a verdict, `message::Phrasing`, not the one it was judged for).
    #[cfg(test)]
    pub unit_kind: GroupKind,
    #[cfg(test)]
    pub unit_name: &'a str,
    pub rule: &'a Rule,
    pub judgement: Judgement<'a>,
    /// The environments where the unit installs the trigger (and the rule holds): a
    /// finding that holds on fewer names where.
    pub triggered: Vec<&'static Environment>,
}

#[derive(Clone, Debug)]
pub(crate) enum Judgement<'a> {
    /// One check at one location on each of these target environments (the table's order:
    /// Python, then operating system), with what was found on each.
    PerEnv(Vec<(&'static Environment, PyVerdict<'a>)>),
    /// `no-supported-python`: the file's `requires-python` (at `requires_python`) admits
    /// none of the trigger's Pythons, but the unit requires the trigger (`trigger`).
    NoSupportedPython {
        requires_python: Loc,
        trigger: &'a Requirement,
        /// None: the requirement admits no release but the trigger's. Some: it admits others,
        /// but none with a wheel for a Python the file allows (these).
        no_wheels: Option<NoWheels>,
    },
}

/// The Pythons a file allows, none of which any release a trigger requirement admits has a
/// wheel for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct NoWheels {
    /// The Pythons `(major, minor)` the file allows up to the newest one the rule's data
    /// knows, ascending.
    pub pythons: Vec<(u64, u64)>,
    /// The file also allows every Python newer than this one, the newest the rule's data
    /// knows; with the newest known release of the distribution (no release made so far
    /// has a wheel for those Pythons, and the requirement admits nothing newer than it).
    pub newer_than: Option<((u64, u64), Version)>,
}

/// How the trigger is required in a unit on one environment.
#[derive(Clone, Debug)]
pub(crate) struct TriggerHit<'a> {
    pub req: &'a Requirement,
    /// pip would install a trigger release (the newest release the range admits is one),
    /// and the requirement surely applies (no marker whose value is unknown here).
    pub certain: bool,
    /// A requirement on the trigger distribution is under a marker whose value this
    /// environment does not fix (`platform_release`, ...): the trigger is at most possible.
    pub marker_unknown: bool,
    /// The newest trigger-distribution release pip would pick instead, when the range itself
    /// is not certain.
    pub newer: Option<Version>,
}

/// The verdict on one (unit, rule, environment).
#[derive(Clone, Debug)]
pub(crate) struct PyVerdict<'a> {
    pub check: Check,
    pub severity: Severity,
    /// Where the finding points.
    pub primary: Loc,
    pub trigger: TriggerHit<'a>,
    pub detail: Detail<'a>,
    /// The requirements on the package that apply (A_p's parts), for related locations.
    /// Shared by the verdicts of one environment (750k lines are not copied per check), and
    /// with the unit's index by name when every requirement on the package applies.
    pub contributing: Contributing<'a>,
    /// Published final releases outside the window that pip could install on this Python
    /// (indices into the rule's release list, oldest first).
    pub leak: std::sync::Arc<[usize]>,
    /// The set the finding is about (A_p, or the trigger's declared range when nothing
    /// applies): its published final releases outside the window are listed.
    pub admitted: Option<VersionSet>,
    /// The release pip would pick on this environment (an index into the rule's release
    /// list: its text is shared, not copied, until a message quotes it).
    pub pick: Option<usize>,
    pub fix: FixIntent<'a>,
}

/// What was found, per check.
#[derive(Clone, Debug)]
pub(crate) enum Detail<'a> {
    /// A_p admits versions outside the window. `offender` sets A_p's edge; `witness` is a
    /// version outside the window it admits; `only_below_declared` when everything outside
    /// lies beyond what the trigger itself declares (so pip stays inside).
    OutsideWindow {
        offender: &'a Requirement,
        witness: Version,
        only_below_declared: bool,
    },
    /// Nothing installable satisfies A_p.
    Unsatisfiable(Unsatisfiable),
    /// No requirement on the package applies.
    Unconstrained,
    /// A lock pins the trigger but not the package.
    LockIncomplete,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(crate) enum Unsatisfiable {
    /// The requirements on the package exclude each other.
    Conflict,
    /// They exclude the range the trigger declares.
    ExcludesDeclared,
    /// They exclude the range the trigger declares, and the trigger is only possible: pip
    /// installs another release of the trigger distribution instead.
    KeepsTriggerOut,
    /// No published release satisfies them.
    Unpublished,
    /// Releases satisfy them, but pip installs none on this Python: their Requires-Python
    /// excludes it, or the ones left are yanked and not pinned (`pick::NoPick`; indices
    /// into the rule's release list).
    NotInstallable {
        excluded: Option<usize>,
        yanked: Option<usize>,
    },
}

/// The edit a finding proposes.
#[derive(Clone, Copy, Debug)]
pub(crate) enum FixIntent<'a> {
    None,
    /// Narrow this requirement's range into the window.
    Narrow(&'a Requirement),
    /// Insert a requirement on the package, in the window, after this (trigger) requirement.
    InsertAfter(&'a Requirement),
}

/// A list of requirements on one package, shared: the unit's index by name holds one per
/// package (`evaluate::ByName`), and an environment where all of them apply takes it as
/// its contributing requirements without a copy (1.6M lines on one package, issue 15 §4).
pub(crate) type Contributing<'a> = std::sync::Arc<Vec<&'a Requirement>>;
