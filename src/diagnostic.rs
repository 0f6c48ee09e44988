//! Findings: what the checker produces and every reporter consumes.

use std::collections::BTreeMap;

use crate::manifest::Loc;

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Info,
    Warning,
    Error,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
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
    /// The Pythons (`major.minor`) the finding holds on.
    pub pythons: Vec<String>,
    /// Published final releases admitted outside the window.
    pub outside_released: Vec<String>,
    /// Python -> the version pip would pick.
    pub pip_would_pick: BTreeMap<String, String>,
    pub related: Vec<Related>,
    pub fix: Option<Fix>,
    /// Longer explanation / advice shown as `help:`.
    pub help: Option<String>,
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
            outside_released: Vec::new(),
            pip_would_pick: BTreeMap::new(),
            related: Vec::new(),
            fix: None,
            help: None,
            suppressed: None,
        }
    }

    pub fn code(&self) -> &'static str {
        self.check.code()
    }

    /// Take in the same finding reached another way (another Python, unit or including
    /// file): the Pythons and picks add up, the higher severity wins.
    pub fn absorb(&mut self, other: Diagnostic) {
        for p in other.pythons {
            if !self.pythons.contains(&p) {
                self.pythons.push(p);
            }
        }
        self.pythons.sort_by_key(|p| {
            p.split('.')
                .filter_map(|x| x.parse::<u64>().ok())
                .collect::<Vec<_>>()
        });
        for (p, v) in other.pip_would_pick {
            self.pip_would_pick.entry(p).or_insert(v);
        }
        self.severity = self.severity.max(other.severity);
    }
}
