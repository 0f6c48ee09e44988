//! Findings: what the checker produces and every reporter consumes.

use crate::manifest::Loc;

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
    pub pythons: Vec<String>,
    /// The operating systems it holds on (a summary of `environments`).
    pub platforms: Vec<String>,
    /// The target environments it holds on, in the order of `rules/environments.tsv`.
    pub environments: Vec<Place>,
    /// Published final releases admitted outside the window (whatever their
    /// Requires-Python and the trigger's declared range).
    pub outside_released: Vec<String>,
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
            outside_released: Vec::new(),
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
            .sort_by_key(|p| Place::order(&Place::new(&p.python, &p.platform)));
        let envs = std::mem::take(&mut self.environments);
        self.set_environments(envs);
        self.severity = self.severity.max(other.severity);
    }

    /// Set where the finding holds, and the `pythons` and `platforms` summaries with it.
    pub fn set_environments(&mut self, mut envs: Vec<Place>) {
        envs.sort_by_key(Place::order);
        envs.dedup();
        let mut pythons: Vec<String> = Vec::new();
        let mut platforms: Vec<String> = Vec::new();
        for e in &envs {
            if !pythons.contains(&e.python) {
                pythons.push(e.python.clone());
            }
            if !platforms.contains(&e.platform) {
                platforms.push(e.platform.clone());
            }
        }
        platforms.sort_by_key(|p| platform_order(p));
        self.pythons = pythons;
        self.platforms = platforms;
        self.environments = envs;
    }
}

/// A target environment a finding holds on: a Python (`major.minor`) and an operating
/// system (`linux`, `darwin`, `win32`).
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Place {
    pub python: String,
    pub platform: String,
}

impl Place {
    pub fn new(python: &str, platform: &str) -> Place {
        Place {
            python: python.to_owned(),
            platform: platform.to_owned(),
        }
    }

    /// Python by number, then the operating systems in `PLATFORMS` order.
    fn order(&self) -> (Vec<u64>, usize) {
        (
            self.python
                .split('.')
                .filter_map(|x| x.parse::<u64>().ok())
                .collect(),
            platform_order(&self.platform),
        )
    }
}

fn platform_order(p: &str) -> usize {
    crate::rules::environments::PLATFORMS
        .iter()
        .position(|x| *x == p)
        .unwrap_or(usize::MAX)
}

/// The version pip would pick on one environment.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Pick {
    pub python: String,
    pub platform: String,
    pub version: String,
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
    pub first: String,
    pub last: String,
    pub count: usize,
}
