//! Environment-marker reasoning: can a requirement's marker hold on a given Python, for a
//! unit that requests a given set of extras?
//!
//! PEP 508: `python_version` is `major.minor` and `python_full_version` the full version;
//! pep508_rs stores both as `python_full_version` ranges, so a Python `X.Y` is the interval
//! `[X.Y, X.(Y+1))`. `extra == "x"` holds only for extras the unit requests. Every other
//! variable (`sys_platform`, `platform_machine`, ...) is unknown and treated as "could hold":
//! the verdict must cover every platform TensorFlow 1.14.0 ships for.

use pep440_rs::Version;
use pep508_rs::{ExtraName, MarkerTree, MarkerTreeKind, MarkerValueExtra, MarkerValueVersion};
use version_ranges::Ranges;

/// Upper bound on nodes visited for one question; a marker larger than that is answered
/// "could hold" (conservative) instead of taking unbounded time.
const VISIT_BUDGET: usize = 100_000;

/// The interval of interpreter versions that a `major.minor` Python covers.
/// (The series is [`crate::python::series_bounds`].)
pub fn python_interval(python: &str) -> Option<Ranges<Version>> {
    let (lo, hi) = crate::python::series_bounds(crate::python::series(python)?);
    Some(Ranges::between(lo, hi))
}

/// Whether `marker` can hold on `python` (`major.minor`) when the unit requests `extras`.
pub fn can_hold(marker: &MarkerTree, python: &str, extras: &[ExtraName]) -> bool {
    if marker.is_true() {
        return true;
    }
    let Some(py) = python_interval(python) else {
        return true;
    };
    let mut budget = VISIT_BUDGET;
    walk(marker, &py, extras, &mut budget)
}

fn walk(m: &MarkerTree, py: &Ranges<Version>, extras: &[ExtraName], budget: &mut usize) -> bool {
    if *budget == 0 {
        return true;
    }
    *budget -= 1;
    match m.kind() {
        MarkerTreeKind::True => true,
        MarkerTreeKind::False => false,
        MarkerTreeKind::Version(node) => {
            let is_python = matches!(
                node.key(),
                MarkerValueVersion::PythonFullVersion | MarkerValueVersion::PythonVersion
            );
            node.edges().any(|(range, child)| {
                (!is_python || !range.intersection(py).is_empty())
                    && walk(&child, py, extras, budget)
            })
        }
        MarkerTreeKind::String(node) => node
            .children()
            .any(|(_, child)| walk(&child, py, extras, budget)),
        MarkerTreeKind::In(node) => node
            .children()
            .any(|(_, child)| walk(&child, py, extras, budget)),
        MarkerTreeKind::Contains(node) => node
            .children()
            .any(|(_, child)| walk(&child, py, extras, budget)),
        MarkerTreeKind::Extra(node) => {
            let requested = match node.name() {
                MarkerValueExtra::Extra(name) => extras.contains(name),
                MarkerValueExtra::Arbitrary(_) => false,
            };
            walk(&node.edge(requested), py, extras, budget)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::str::FromStr;

    fn m(s: &str) -> MarkerTree {
        MarkerTree::from_str(s).unwrap()
    }

    #[test]
    fn python_version_markers() {
        assert!(can_hold(&m("python_version < '3.8'"), "3.7", &[]));
        assert!(!can_hold(&m("python_version >= '3.8'"), "3.7", &[]));
        assert!(!can_hold(&m("python_version >= '3.8'"), "2.7", &[]));
        assert!(can_hold(&m("python_full_version >= '3.7.4'"), "3.7", &[]));
        assert!(!can_hold(&m("python_version == '3.6'"), "3.7", &[]));
        assert!(can_hold(&m("python_version == '3.6'"), "3.6", &[]));
    }

    #[test]
    fn other_variables_could_hold() {
        assert!(can_hold(
            &m("sys_platform == 'win32' and python_version < '3'"),
            "2.7",
            &[]
        ));
        assert!(!can_hold(
            &m("sys_platform == 'win32' and python_version < '3'"),
            "3.5",
            &[]
        ));
    }

    #[test]
    fn extras_hold_only_when_requested() {
        let gpu = ExtraName::from_str("gpu").unwrap();
        assert!(!can_hold(&m("extra == 'gpu'"), "3.7", &[]));
        assert!(can_hold(
            &m("extra == 'gpu'"),
            "3.7",
            std::slice::from_ref(&gpu)
        ));
        assert!(can_hold(&m("extra != 'gpu'"), "3.7", &[]));
        assert!(!can_hold(&m("extra != 'gpu'"), "3.7", &[gpu]));
    }
}
