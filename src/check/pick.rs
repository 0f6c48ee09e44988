//! What pip would install: pip 26's candidate selection for one package on one Python,
//! from the rule's release list. Pure; no I/O.
//!
//! pip 26 picks in this order (`pip/_internal/index/package_finder.py` and
//! `pip/_internal/resolution/resolvelib/factory.py`):
//!
//! 1. **Requires-Python.** `LinkEvaluator.evaluate_link` drops every file whose
//!    Requires-Python does not admit the target Python: such a release is no candidate at
//!    all, so it cannot stop the pre-release fallback of step 2.
//! 2. **The specifier, with pre-release fallback.** `CandidateEvaluator.get_applicable_candidates`
//!    filters the candidates with `SpecifierSet.filter(prereleases=None)` (`True` with
//!    `--pre`): pre-releases are admitted when the specifier names one, and otherwise only
//!    when no final candidate matches. Yanked releases are candidates here: a yanked final
//!    that matches keeps the pre-releases out.
//! 3. **Yanked releases (PEP 592).** The resolver skips every yanked candidate unless all
//!    the applicable candidates are yanked *and* the specifier pins (`==` without `.*`, or
//!    `===`). Of the rest, the newest wins.
//!
//! pip 20.3 / 21.3 (the last pips for Python 2.7 and 3.6) differ in step 3 (a yanked
//! release is taken when it is the only match, pinned or not) and in step 2 (they fall back
//! to pre-releases only for an empty specifier): `tests/oracles/README.md`. depwindow models
//! pip 26; `tests/integration/pick_differential.rs` lists where the older pips differ.

use pep440_rs::{Operator, Version};

use crate::manifest::{Requirement, VersionReq};
use crate::rules::releases::{Release, ReleaseList, Status};
use crate::rules::Rule;
use crate::versions::VersionSet;

/// What pip would install on Python `py` from `set` (the combined requirements on the
/// package): the release's text and whether it is a pre-release. None: pip finds no
/// matching distribution.
pub(crate) fn pip_pick(
    rule: &Rule,
    set: &VersionSet,
    reqs: &[&Requirement],
    py: &Version,
) -> Option<(String, bool)> {
    pick(&rule.releases, set, pinned(reqs), py)
        .map(|r| (r.text.clone(), r.version.any_prerelease()))
}

/// Whether any requirement pins with `==` (not a `.*` wildcard) or `===`, as pip's
/// `is_pinned` asks of the merged specifier. A lock's exact pin counts.
pub(crate) fn pinned(reqs: &[&Requirement]) -> bool {
    reqs.iter().any(|r| match &r.version {
        VersionReq::Specifiers { specifiers, .. } => specifiers
            .iter()
            .any(|s| matches!(s.operator(), Operator::Equal | Operator::ExactEqual)),
        VersionReq::Exact { .. } => true,
        _ => false,
    })
}

/// pip 26's pick from a release list (steps 1-3 above). `pinned`: see [`pinned`].
pub fn pick<'r>(
    list: &'r ReleaseList,
    set: &VersionSet,
    pinned: bool,
    py: &Version,
) -> Option<&'r Release> {
    let applicable = applicable(list, set, py);
    let all_yanked = applicable.iter().all(|r| r.status == Status::Yanked);
    applicable
        .into_iter()
        .rev()
        .find(|r| r.status != Status::Yanked || (all_yanked && pinned))
}

/// Steps 1 and 2: the candidates on `py` that the specifier admits, with the pre-release
/// fallback, oldest first.
fn applicable<'r>(list: &'r ReleaseList, set: &VersionSet, py: &Version) -> Vec<&'r Release> {
    let candidates = || {
        list.releases
            .iter()
            .filter(move |r| r.published() && r.installs_on(py))
    };
    let matched: Vec<&Release> = candidates().filter(|r| set.contains(&r.version)).collect();
    if !matched.is_empty() || set.prereleases() {
        return matched;
    }
    candidates()
        .filter(|r| set.contains_any(&r.version))
        .collect()
}

/// Why pip finds nothing on `py` when [`pick`] is None and `set` is not empty.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum NoPick {
    /// No published release matches, on any Python.
    Unpublished,
    /// Releases match, but none installs on this Python, or those that do are yanked and not
    /// pinned. Indices into the release list: the oldest matching release whose
    /// Requires-Python excludes the Python (the least strict one, as a rule), and the newest
    /// matching yanked one pip ignores.
    NotInstallable {
        excluded: Option<usize>,
        yanked: Option<usize>,
    },
}

/// Why [`pick`] found nothing (call only when it did).
pub(crate) fn no_pick(list: &ReleaseList, set: &VersionSet, py: &Version) -> NoPick {
    // Match as the fallback would: a pre-release counts when no final does.
    let matching: Vec<usize> = {
        let published = || {
            list.releases
                .iter()
                .enumerate()
                .filter(|(_, r)| r.published())
        };
        let finals: Vec<usize> = published()
            .filter(|(_, r)| set.contains(&r.version))
            .map(|(i, _)| i)
            .collect();
        if finals.is_empty() {
            published()
                .filter(|(_, r)| set.contains_any(&r.version))
                .map(|(i, _)| i)
                .collect()
        } else {
            finals
        }
    };
    if matching.is_empty() {
        return NoPick::Unpublished;
    }
    let r = &list.releases;
    NoPick::NotInstallable {
        excluded: matching.iter().copied().find(|&i| !r[i].installs_on(py)),
        yanked: matching
            .iter()
            .rev()
            .copied()
            .find(|&i| r[i].installs_on(py) && r[i].status == Status::Yanked),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::str::FromStr;

    fn list(rows: &str) -> ReleaseList {
        ReleaseList::parse(&format!(
            "version\trequires_python\treleased\tstatus\n{rows}"
        ))
        .unwrap()
    }

    fn v(s: &str) -> Version {
        Version::from_str(s).unwrap()
    }

    fn set(s: &str) -> VersionSet {
        VersionSet::parse(s).unwrap()
    }

    const PROTOBUF: &str = "3.19.6\t\t\tfinal\n3.20.3\t>=3.7\t\tfinal\n4.21.0rc2\t\t\tpre-release\n4.21.0\t\t\tyanked\n4.21.1\t>=3.7\t\tfinal\n";

    #[test]
    fn a_matching_yanked_final_keeps_prereleases_out() {
        let l = list(PROTOBUF);
        assert!(pick(&l, &set(">=4"), false, &v("3.5")).is_none());
        assert_eq!(
            no_pick(&l, &set(">=4"), &v("3.5")),
            NoPick::NotInstallable {
                excluded: Some(4),
                yanked: Some(3)
            }
        );
        assert_eq!(
            pick(&l, &set(">=4"), false, &v("3.7")).unwrap().text,
            "4.21.1"
        );
    }

    #[test]
    fn a_yanked_release_needs_a_pin_and_no_other_match() {
        let l = list(PROTOBUF);
        assert_eq!(
            pick(&l, &set("==4.21.0"), true, &v("3.5")).unwrap().text,
            "4.21.0"
        );
        // Pinned, and 4.21.0 is the only match: the yanked release is taken.
        assert_eq!(
            pick(&l, &set("==4.21.0,>=4"), true, &v("3.7"))
                .unwrap()
                .text,
            "4.21.0"
        );
        assert_eq!(
            pick(&l, &set(">=4.21.0,<=4.21.1"), true, &v("3.7"))
                .unwrap()
                .text,
            "4.21.1"
        );
    }

    #[test]
    fn requires_python_removes_candidates_before_the_fallback() {
        let l = list(PROTOBUF);
        assert!(pick(&l, &set("==3.20.3"), true, &v("3.6")).is_none());
        assert_eq!(
            no_pick(&l, &set("==3.20.3"), &v("3.6")),
            NoPick::NotInstallable {
                excluded: Some(1),
                yanked: None
            }
        );
        // Only a pre-release is left once 4.21.1 is dropped: but the yanked 4.21.0 matches.
        let l2 = list("4.21.0rc2\t\t\tpre-release\n4.21.1\t>=3.7\t\tfinal\n");
        assert_eq!(
            pick(&l2, &set(">=4"), false, &v("3.5")).unwrap().text,
            "4.21.0rc2"
        );
    }

    #[test]
    fn nothing_published_is_unpublished() {
        let l = list(PROTOBUF);
        assert_eq!(no_pick(&l, &set(">=9"), &v("3.7")), NoPick::Unpublished);
    }
}
