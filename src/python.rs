//! "Python X.Y": the one definition of a Python series and the one answer to "does this
//! specifier allow Python X.Y" (a file's `requires-python`, a rule's `python`, a release's
//! Requires-Python). Marker reasoning (`markers.rs`) uses the same series.
//!
//! A Python `X.Y` is every interpreter `X.Y.*`: the versions `[X.Y, X.(Y+1).dev0)`. A
//! specifier allows it when it admits some final release in that series (pip compares
//! Requires-Python against the full interpreter version, `3.7.4`, so a bound inside the
//! series, such as `>=3.7.2`, still allows 3.7).

use crate::hash::HashMap;
use std::str::FromStr;

use pep440_rs::{Version, VersionSpecifiers};

use crate::versions::{Clauses, VersionSet};

/// `(X, Y)` of a Python written `X.Y` (a longer version such as `3.7.1` names its series;
/// a bare `3` is `3.0`). None when the text is not a version.
pub(crate) fn series(python: &str) -> Option<(u64, u64)> {
    series_of(&Version::from_str(python).ok()?)
}

/// `(X, Y)` of a Python version.
pub(crate) fn series_of(python: &Version) -> Option<(u64, u64)> {
    let r = python.release();
    Some((*r.first()?, r.get(1).copied().unwrap_or(0)))
}

/// The interpreter versions of series `(X, Y)`: `[X.Y, X.(Y+1).dev0)` as (low, high).
pub(crate) fn series_bounds((major, minor): (u64, u64)) -> (Version, Version) {
    (
        Version::new([major, minor]),
        Version::new([major, minor.saturating_add(1)]).with_dev(Some(0)),
    )
}

/// Whether `spec` allows some interpreter of the Python `python` (`X.Y`). An unreadable
/// Python is allowed by nothing.
pub(crate) fn allows_python(spec: &impl Clauses, python: &str) -> bool {
    series(python).is_some_and(|s| allows_series(spec, s))
}

/// Whether `spec` allows some interpreter of the series of `python` (`3.7`, `3.7.1`).
/// (Release lists ask [`set_allows_series`] with each Requires-Python built once; this is
/// their tests' reference.)
#[cfg(test)]
pub(crate) fn allows_version(spec: &impl Clauses, python: &Version) -> bool {
    series_of(python).is_some_and(|s| allows_series(spec, s))
}

/// Whether `spec` admits a final release in `[X.Y, X.(Y+1))`.
pub(crate) fn allows_series(spec: &impl Clauses, series: (u64, u64)) -> bool {
    set_allows_series(&spec.version_set(), series)
}

/// [`allows_series`] for a specifier already built into its set (a release list builds each
/// distinct Requires-Python once and asks it about several Pythons).
pub(crate) fn set_allows_series(set: &VersionSet, series: (u64, u64)) -> bool {
    thread_local! {
        /// The set of each series, built once per thread: every release list's
        /// Requires-Python is asked about the same few Pythons (at start-up, before the
        /// checker's own caches are warm, this was half of a small file's work).
        static IN_SERIES: std::cell::RefCell<HashMap<(u64, u64), Option<VersionSet>>> =
            std::cell::RefCell::new(HashMap::default());
    }
    IN_SERIES.with_borrow_mut(|cache| {
        let in_series = cache.entry(series).or_insert_with(|| series_set(series));
        in_series
            .as_ref()
            .is_some_and(|in_series| set.intersect(in_series).some_final_member().is_some())
    })
}

/// Whether `spec` allows some Python newer than the series `(X, Y)`: a final release at or
/// above `X.(Y+1)` (`>=3.8` allows a Python newer than 3.14; `<3.15` does not).
pub(crate) fn allows_newer_than(spec: &impl Clauses, (major, minor): (u64, u64)) -> bool {
    let Ok(above) = VersionSpecifiers::from_str(&format!(">={major}.{}", minor.saturating_add(1)))
    else {
        return false;
    };
    spec.version_set()
        .intersect(&VersionSet::from_specifiers(&above))
        .some_final_member()
        .is_some()
}

/// `>=X.Y, <X.(Y+1)` as a version set.
fn series_set((major, minor): (u64, u64)) -> Option<VersionSet> {
    let spec = VersionSpecifiers::from_str(&format!(
        ">={major}.{minor}, <{major}.{}",
        minor.saturating_add(1)
    ))
    .ok()?;
    Some(VersionSet::from_specifiers(&spec))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn allows(spec: &str, python: &str) -> bool {
        allows_python(&VersionSpecifiers::from_str(spec).unwrap(), python)
    }

    #[test]
    fn a_bound_inside_the_series_allows_it() {
        assert!(allows(">=3.7", "3.7"));
        assert!(allows(">=3.7.2", "3.7"));
        assert!(allows("<3.7.1", "3.7"));
        assert!(allows("==3.7.7", "3.7"));
        assert!(allows(">=3.7.100", "3.7"));
        assert!(allows("~=3.6", "3.7"));
        assert!(allows(">=2.7,!=3.0.*,!=3.1.*,!=3.2.*,!=3.3.*", "3.5"));
        assert!(allows("==3.*", "3.12"));
    }

    #[test]
    fn a_series_outside_the_bounds_is_not_allowed() {
        assert!(!allows(">=3.8", "3.7"));
        assert!(!allows("<3.7", "3.7"));
        assert!(!allows(">=2.7,!=3.0.*,!=3.1.*,!=3.2.*,!=3.3.*", "3.3"));
        assert!(!allows("!=3.7.*", "3.7"));
        assert!(!allows("<3.8", "3.8"));
        // Only a pre-release of 3.8 is admitted: no 3.8 interpreter release is.
        assert!(!allows("<3.8.0", "3.8"));
        assert!(!allows(">=3.7", "three"));
    }

    #[test]
    fn newer_than_a_series() {
        let newer =
            |spec: &str, s| allows_newer_than(&VersionSpecifiers::from_str(spec).unwrap(), s);
        assert!(newer(">=3.8", (3, 14)));
        assert!(newer(">=3.8,<4", (3, 14)));
        assert!(newer(">=3.8,!=3.15.*", (3, 14)));
        assert!(newer("!=3.15.*", (3, 14)));
        assert!(!newer(">=3.8,<3.15", (3, 14)));
        assert!(!newer("==3.8.*", (3, 14)));
        assert!(!newer("<3.15.0", (3, 14)));
        assert!(newer("<=3.15.0", (3, 14)));
        assert!(newer(">=4", (3, 14)));
        assert!(!newer(">=3.8,<3.15.dev0", (3, 14)));
    }

    #[test]
    fn series_of_longer_and_shorter_versions() {
        assert_eq!(series("3.7.1"), Some((3, 7)));
        assert_eq!(series("3"), Some((3, 0)));
        assert_eq!(series("x"), None);
        let (lo, hi) = series_bounds((3, 7));
        assert_eq!(lo.to_string(), "3.7");
        assert_eq!(hi.to_string(), "3.8.dev0");
    }
}
