//! PEP 440 version sets with the exact semantics of Python `packaging` 26.3 (what pip 26.3
//! vendors). ENGINE CONTRACT — implementation pending (being written by the engine work).

use pep440_rs::{Version, VersionSpecifier, VersionSpecifiers};

/// A set of PEP 440 versions as pip admits them for one package: the intersection of
/// specifier sets, with packaging's pre-release rule (`SpecifierSet.prereleases`, or
/// `--pre`) applied as a filter on top of the pure interval set.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VersionSet {
    _todo: (),
}

impl VersionSet {
    /// Every version (a bare `numpy`). Pre-releases not named.
    pub fn full() -> VersionSet {
        todo!()
    }
    /// No version at all.
    pub fn empty() -> VersionSet {
        todo!()
    }
    /// `SpecifierSet(specs)`, admitted as `contains(v, prereleases=S.prereleases)`.
    pub fn from_specifiers(_specs: &VersionSpecifiers) -> VersionSet {
        todo!()
    }
    pub fn from_specifier(_spec: &VersionSpecifier) -> VersionSet {
        todo!()
    }
    /// Exactly one version (a lockfile pin); admits it even when it is a pre-release.
    pub fn exact(_v: &Version) -> VersionSet {
        todo!()
    }
    /// Intersection as pip combines specifier sets (`SpecifierSet.__and__`): intervals
    /// intersected, pre-releases allowed if either side allows them.
    pub fn intersect(&self, _other: &VersionSet) -> VersionSet {
        todo!()
    }
    /// Union (Poetry `||`, conda `|`).
    pub fn union(&self, _other: &VersionSet) -> VersionSet {
        todo!()
    }
    /// Force pre-releases allowed (`--pre`).
    pub fn allow_prereleases(self) -> VersionSet {
        todo!()
    }
    /// Whether pre-releases are admitted (packaging's `prereleases` resolved).
    pub fn prereleases(&self) -> bool {
        todo!()
    }
    /// `S.contains(v, prereleases=P)`.
    pub fn contains(&self, _v: &Version) -> bool {
        todo!()
    }
    /// `S.contains(v, prereleases=True)`: interval membership (windows use this).
    pub fn contains_any(&self, _v: &Version) -> bool {
        todo!()
    }
    /// No PEP 440 version is admitted.
    pub fn is_empty(&self) -> bool {
        todo!()
    }
    /// A version admitted by `self` (with its pre-release rule) that `window` does not
    /// contain (window membership with prereleases=True), or None when self ⊆ window.
    pub fn witness_outside(&self, _window: &VersionSet) -> Option<Version> {
        todo!()
    }
    /// Whether every version of `self` (pre-releases included) lies in `other`.
    pub fn is_subset(&self, _other: &VersionSet) -> bool {
        todo!()
    }
}
