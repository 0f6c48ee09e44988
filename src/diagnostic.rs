//! Findings: what the checker produces and every reporter consumes.
//!
//! Release names are shared with the rule's release list, not copied per finding: a
//! finding's `outside_released` is the evaluator's memoised index list
//! ([`ReleaseNames`]), its picks and runs hold the release's own text ([`ReleaseText`]),
//! and places are the embedded environments' names (`&'static str`).

use std::borrow::Cow;
use std::sync::Arc;

use crate::manifest::Loc;
use crate::rules::releases::ReleaseList;

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Info,
    Warning,
    Error,
}

impl Severity {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Severity::Info => "info",
            Severity::Warning => "warning",
            Severity::Error => "error",
        }
    }
}

/// The checks: generated from the check registry (`src/check/registry.rs`).
pub use crate::check::Check;

#[derive(Clone, Debug)]
pub struct Related {
    pub loc: Loc,
    pub message: String,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Applicability {
    Safe,
    Unsafe,
}

#[derive(Clone, Debug)]
pub struct Fix {
    /// The text to replace (an empty span inserts).
    pub loc: Loc,
    pub replacement: String,
    pub applicability: Applicability,
    /// Why the fix is unsafe, or what it does.
    pub reason: Option<String>,
}

#[derive(Clone, Debug)]
pub struct Diagnostic {
    pub check: Check,
    /// Rule id such as `tensorflow-1.14/numpy`; None for input problems.
    pub rule: Option<String>,
    pub severity: Severity,
    pub message: String,
    /// The primary location; its label is `label`.
    pub loc: Loc,
    pub label: String,
    pub package: Option<String>,
    /// The tested window as a specifier string.
    pub window: Option<String>,
    /// The Pythons (`major.minor`) the finding holds on (a summary of `environments`).
    pub pythons: Vec<Cow<'static, str>>,
    /// The operating systems it holds on (a summary of `environments`).
    pub platforms: Vec<Cow<'static, str>>,
    /// The target environments it holds on, in the order of `rules/environments.tsv`.
    pub environments: Vec<Place>,
    /// Published final releases admitted outside the window (whatever their
    /// Requires-Python and the trigger's declared range).
    pub outside_released: ReleaseNames,
    /// `outside_released` as a count and runs.
    pub outside_released_summary: ReleaseSummary,
    /// The part of `outside_released` pip can install on at least one environment where the
    /// finding holds (the trigger's declared range allows it and its Requires-Python admits
    /// one of the finding's Pythons): the count the message shows.
    pub outside_installable: ReleaseSummary,
    /// The version pip would pick, per environment (same order).
    pub pip_would_pick: Vec<Pick>,
    pub related: Vec<Related>,
    pub fix: Option<Fix>,
    /// Longer explanation / advice shown as `help:`.
    pub help: Option<String>,
    /// Facts behind the message, one sentence each: pip's picks, qualifications ("only if
    /// TensorFlow 1.14.0 is installed"), effects, sources. Shown as `note:` lines.
    pub notes: Vec<String>,
    /// Set when an inline suppression silenced the finding: its reason.
    pub suppressed: Option<String>,
}

impl Diagnostic {
    /// A diagnostic for an input problem (no rule, no package).
    pub fn problem(check: Check, severity: Severity, loc: Loc, message: String) -> Diagnostic {
        Diagnostic {
            check,
            rule: None,
            severity,
            label: String::new(),
            message,
            loc,
            package: None,
            window: None,
            pythons: Vec::new(),
            platforms: Vec::new(),
            environments: Vec::new(),
            outside_released: ReleaseNames::default(),
            outside_released_summary: ReleaseSummary::default(),
            outside_installable: ReleaseSummary::default(),
            pip_would_pick: Vec::new(),
            related: Vec::new(),
            fix: None,
            help: None,
            notes: Vec::new(),
            suppressed: None,
        }
    }

    pub(crate) fn code(&self) -> &'static str {
        self.check.code()
    }

    /// Take in the same finding reached another way (another environment, unit or
    /// including file): the environments and picks add up, the higher severity wins.
    pub(crate) fn absorb(&mut self, other: Diagnostic) {
        for e in other.environments {
            if !self.environments.contains(&e) {
                self.environments.push(e);
            }
        }
        self.environments.sort_by_key(Place::order);
        for p in other.pip_would_pick {
            if !self
                .pip_would_pick
                .iter()
                .any(|q| q.python == p.python && q.platform == p.platform)
            {
                self.pip_would_pick.push(p);
            }
        }
        self.pip_would_pick
            .sort_by_key(|p| Place::new(p.python, p.platform).order());
        let envs = std::mem::take(&mut self.environments);
        self.set_environments(envs);
        self.severity = self.severity.max(other.severity);
    }

    /// Give back the spare room of every list and text of the finding (they grew by
    /// doubling while it was phrased): what a report holds per finding until it is written.
    pub(crate) fn shrink_to_fit(&mut self) {
        fn text(s: &mut String) {
            s.shrink_to_fit();
        }
        fn opt(s: &mut Option<String>) {
            if let Some(s) = s {
                s.shrink_to_fit();
            }
        }
        opt(&mut self.rule);
        text(&mut self.message);
        text(&mut self.label);
        opt(&mut self.package);
        opt(&mut self.window);
        self.pythons.shrink_to_fit();
        self.platforms.shrink_to_fit();
        self.environments.shrink_to_fit();
        self.outside_released_summary.ranges.shrink_to_fit();
        self.outside_installable.ranges.shrink_to_fit();
        self.pip_would_pick.shrink_to_fit();
        for r in &mut self.related {
            text(&mut r.message);
        }
        self.related.shrink_to_fit();
        if let Some(f) = &mut self.fix {
            text(&mut f.replacement);
            opt(&mut f.reason);
        }
        opt(&mut self.help);
        for n in &mut self.notes {
            text(n);
        }
        self.notes.shrink_to_fit();
        opt(&mut self.suppressed);
    }

    /// Set where the finding holds, and the `pythons` and `platforms` summaries with it.
    pub fn set_environments(&mut self, mut envs: Vec<Place>) {
        // Keys computed once per place, not per comparison (`python_order` parses).
        envs.sort_by_cached_key(Place::order);
        envs.dedup();
        let mut pythons: Vec<Cow<'static, str>> = Vec::new();
        let mut platforms: Vec<Cow<'static, str>> = Vec::new();
        for e in &envs {
            if !pythons.iter().any(|p| p == e.python) {
                pythons.push(Cow::Borrowed(e.python));
            }
            if !platforms.iter().any(|p| p == e.platform) {
                platforms.push(Cow::Borrowed(e.platform));
            }
        }
        platforms.sort_by_key(|p| platform_order(p));
        self.pythons = pythons;
        self.platforms = platforms;
        self.environments = envs;
    }
}

/// A target environment a finding holds on: a Python (`major.minor`) and an operating
/// system (`linux`, `darwin`, `win32`), named by the embedded environment table
/// (`rules/environments.tsv`), so a place copies no text.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Place {
    pub python: &'static str,
    pub platform: &'static str,
}

impl Place {
    pub fn new(python: &'static str, platform: &'static str) -> Place {
        Place { python, platform }
    }

    /// Python by number, then the operating systems in `PLATFORMS` order.
    pub(crate) fn order(&self) -> ((u64, u64), usize) {
        (python_order(self.python), platform_order(self.platform))
    }
}

/// A Python `major.minor` by number (a part that is not a number counts as 0), as a sort
/// key that allocates nothing.
pub(crate) fn python_order(python: &str) -> (u64, u64) {
    let mut parts = python.split('.').map(|x| x.parse::<u64>().unwrap_or(0));
    (parts.next().unwrap_or(0), parts.next().unwrap_or(0))
}

fn platform_order(p: &str) -> usize {
    crate::rules::environments::PLATFORMS
        .iter()
        .position(|x| *x == p)
        .unwrap_or(usize::MAX)
}

/// A release's version as its index spells it, shared with the rule's release list (a clone
/// copies no text).
pub type ReleaseText = Arc<str>;

fn shared_str<S: serde::Serializer>(text: &ReleaseText, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(text)
}

/// The version pip would pick on one environment.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Pick {
    pub python: &'static str,
    pub platform: &'static str,
    #[serde(serialize_with = "shared_str")]
    pub version: ReleaseText,
}

/// Release names, oldest first, shared rather than copied: the evaluator's memoised list of
/// indices into the rule's release list (the same list for every finding with the same
/// rule, Python and set), or texts (tests, synthetic findings). Serialises as a list of
/// strings.
#[derive(Clone, Debug, Default)]
pub struct ReleaseNames(Names);

#[derive(Clone, Debug)]
enum Names {
    Listed {
        list: Arc<ReleaseList>,
        indices: Arc<[usize]>,
    },
    Texts(Arc<[ReleaseText]>),
}

impl Default for Names {
    fn default() -> Self {
        Names::Texts(Arc::new([]))
    }
}

impl ReleaseNames {
    /// The releases at `indices` of `list` (indices in range; one that is not is skipped).
    pub(crate) fn listed(list: Arc<ReleaseList>, indices: Arc<[usize]>) -> ReleaseNames {
        ReleaseNames(Names::Listed { list, indices })
    }

    pub fn len(&self) -> usize {
        match &self.0 {
            Names::Listed { indices, .. } => indices.len(),
            Names::Texts(t) => t.len(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Which shared list this is, for a memo of its rendering: the addresses of the release
    /// list and of the indices, and the count. Equal while both lists live means the same
    /// names; None for texts (not shared).
    pub(crate) fn shared_as(&self) -> Option<(usize, usize, usize)> {
        match &self.0 {
            Names::Listed { list, indices } => Some((
                Arc::as_ptr(list) as usize,
                indices.as_ptr() as usize,
                indices.len(),
            )),
            Names::Texts(_) => None,
        }
    }

    pub fn iter(&self) -> impl Iterator<Item = &str> + '_ {
        let (listed, texts) = match &self.0 {
            Names::Listed { list, indices } => (Some((list, indices)), None),
            Names::Texts(t) => (None, Some(t)),
        };
        let listed = listed.into_iter().flat_map(|(list, indices)| {
            indices
                .iter()
                .filter_map(|&i| list.releases.get(i).map(|r| &*r.text))
        });
        let texts = texts.into_iter().flat_map(|t| t.iter().map(|s| &**s));
        listed.chain(texts)
    }
}

impl<S: Into<ReleaseText>> FromIterator<S> for ReleaseNames {
    fn from_iter<I: IntoIterator<Item = S>>(iter: I) -> Self {
        ReleaseNames(Names::Texts(iter.into_iter().map(Into::into).collect()))
    }
}

impl PartialEq for ReleaseNames {
    fn eq(&self, other: &Self) -> bool {
        self.iter().eq(other.iter())
    }
}

impl serde::Serialize for ReleaseNames {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(self.iter())
    }
}

/// A list of releases as a count and runs of neighbours among the rule's published final
/// releases, oldest first (a release left out ends a run).
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct ReleaseSummary {
    pub count: usize,
    pub ranges: Vec<ReleaseRange>,
}

/// A run of neighbouring releases: the first, the last and how many.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct ReleaseRange {
    #[serde(serialize_with = "shared_str")]
    pub first: ReleaseText,
    #[serde(serialize_with = "shared_str")]
    pub last: ReleaseText,
    pub count: usize,
}
