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
//!
//! # The index
//!
//! A release list is sorted by version, so what a [`VersionSet`] admits from it is found by
//! binary search over the set's intervals ([`VersionSet::spans`]), not by asking every
//! release. Step 1 is the list's [`ReleaseList::installable`] index (per Python, built once:
//! rule data is fixed), the outside-window lists search the rule's `outside_final`. The
//! linear versions these replace are kept as the tests' reference (`mod reference`).

use std::sync::Arc;

use pep440_rs::{Operator, Version};

use crate::manifest::{Requirement, VersionReq};
use crate::rules::releases::{Release, ReleaseList, Status};
use crate::rules::Rule;
use crate::versions::VersionSet;

/// What pip would install on Python `py` from `set` (the combined requirements on the
/// package): the release's index in the rule's release list. None: pip finds no matching
/// distribution.
pub(crate) fn pip_pick(
    rule: &Rule,
    set: &VersionSet,
    reqs: &[&Requirement],
    py: &Version,
) -> Option<usize> {
    pick_index(&rule.releases, set, pinned(reqs), py)
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
    pick_index(list, set, pinned, py).map(|i| &list.releases[i])
}

/// [`pick`] as an index into the list. Newest first over the candidates `set` admits: the
/// first one not yanked is the pick (so the search usually stops at once); when every
/// candidate is yanked, the newest is taken only when pinned. No candidate at all: the
/// pre-release fallback, unless the set admits pre-releases already.
fn pick_index(list: &ReleaseList, set: &VersionSet, pinned: bool, py: &Version) -> Option<usize> {
    let candidates = list.installable(py);
    let releases = &list.releases;
    // (the newest admitted release that is not yanked, the newest admitted release)
    let newest = |any_prerelease: bool| {
        let mut newest = None;
        for i in admitted(
            releases,
            candidates.len(),
            |k| candidates[k] as usize,
            set,
            any_prerelease,
        )
        .rev()
        {
            if releases[i].status != Status::Yanked {
                return (Some(i), Some(i));
            }
            newest.get_or_insert(i);
        }
        (None, newest)
    };
    let (mut take, mut any) = newest(false);
    if any.is_none() && !set.prereleases() {
        (take, any) = newest(true);
    }
    take.or(any.filter(|_| pinned))
}

/// The releases at positions `idx(0..n)` of `releases` (ascending positions, so ascending
/// versions) that `set` admits, oldest first: `contains`, or `contains_any` when
/// `any_prerelease`. Binary search over the set's intervals, then the pre-release rule and
/// `===` spellings on the releases inside them.
fn admitted<'s>(
    releases: &'s [Release],
    n: usize,
    idx: impl Fn(usize) -> usize + Copy + 's,
    set: &'s VersionSet,
    any_prerelease: bool,
) -> impl DoubleEndedIterator<Item = usize> + 's {
    set.spans(n, move |k| &releases[idx(k)].version)
        .into_iter()
        .flat_map(move |span| span.map(idx))
        .filter(move |&i| set.admits_in_span(&releases[i].version, any_prerelease))
}

/// Published final releases outside the window that pip could install on `py` from `set`
/// (indices into the rule's release list, oldest first). Memoised: a unit's set is asked
/// on every environment, and every unit with the same range asks again.
pub(crate) fn leaking(rule: &Rule, set: &VersionSet, py: &Version) -> Arc<[usize]> {
    memo::outside(rule, set, Some(py), || {
        let releases = &rule.releases.releases;
        outside_admitted(rule, set)
            .filter(|&i| releases[i].installs_on(py))
            .collect()
    })
}

/// Published final releases admitted by `set` that lie outside the window (indices, oldest
/// first). Memoised as [`leaking`] is.
pub(crate) fn outside_releases(rule: &Rule, set: &VersionSet) -> Arc<[usize]> {
    memo::outside(rule, set, None, || outside_admitted(rule, set).collect())
}

/// The outside lists already computed on this thread, by (rule, Python, set). The key is a
/// hash of the rule's `uid`, the Python and the set's intervals; a hit is checked against
/// the stored Python and set, so a hash collision costs a recomputation, never a wrong
/// answer. Rule data is fixed once loaded and a `uid` is never reused, so an entry never
/// goes stale; the table is emptied when it grows past a bound (hostile input may bring
/// any number of distinct sets).
mod memo {
    use crate::hash::HashMap;
    use std::cell::RefCell;
    use std::hash::{BuildHasher, Hash, Hasher};
    use std::sync::Arc;

    use pep440_rs::Version;

    use crate::rules::Rule;
    use crate::versions::VersionSet;

    /// Entries kept per thread before the table is emptied.
    const BOUND: usize = 4096;

    struct Entry {
        uid: u64,
        py: Option<Version>,
        set: VersionSet,
        list: Arc<[usize]>,
    }

    thread_local! {
        static TABLE: RefCell<HashMap<u64, Vec<Entry>>> = RefCell::new(HashMap::default());
        static HASHER: crate::hash::Seeded = crate::hash::Seeded::default();
    }

    pub(super) fn outside(
        rule: &Rule,
        set: &VersionSet,
        py: Option<&Version>,
        compute: impl FnOnce() -> Vec<usize>,
    ) -> Arc<[usize]> {
        let key = HASHER.with(|h| {
            let mut h = h.build_hasher();
            rule.uid.hash(&mut h);
            py.hash(&mut h);
            set.hash(&mut h);
            h.finish()
        });
        let found = TABLE.with(|t| {
            t.borrow().get(&key).and_then(|bucket| {
                bucket
                    .iter()
                    .find(|e| {
                        // PEP 440 equality, and the same release segment: `3.7` is a
                        // series, `3.7.0` one interpreter.
                        e.uid == rule.uid
                            && e.py.as_ref() == py
                            && e.py.as_ref().map(Version::release) == py.map(Version::release)
                            && e.set == *set
                    })
                    .map(|e| e.list.clone())
            })
        });
        if let Some(list) = found {
            return list;
        }
        let list: Arc<[usize]> = compute().into();
        TABLE.with(|t| {
            let mut t = t.borrow_mut();
            if t.len() >= BOUND {
                t.clear();
            }
            t.entry(key).or_default().push(Entry {
                uid: rule.uid,
                py: py.cloned(),
                set: set.clone(),
                list: list.clone(),
            });
        });
        list
    }
}

/// How many releases [`outside_releases`] lists.
/// Counting stops at `limit` (`usize::MAX`: all of them).
pub(crate) fn count_outside_upto(rule: &Rule, set: &VersionSet, limit: usize) -> usize {
    outside_admitted(rule, set).take(limit).count()
}

fn outside_admitted<'s>(rule: &'s Rule, set: &'s VersionSet) -> impl Iterator<Item = usize> + 's {
    let outside = &rule.outside_final;
    admitted(
        &rule.releases.releases,
        outside.len(),
        move |k| outside[k],
        set,
        false,
    )
}

/// Whether `set` admits some published release (pre-releases counted).
pub(crate) fn any_published(rule: &Rule, set: &VersionSet) -> bool {
    let releases = &rule.releases.releases;
    admitted(releases, releases.len(), |k| k, set, true).any(|i| releases[i].published())
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

/// Why [`pick`] found nothing (call only when it did). From the same binary search over
/// the set's intervals as [`pick`]: only the releases the set admits are asked.
pub(crate) fn no_pick(list: &ReleaseList, set: &VersionSet, py: &Version) -> NoPick {
    let r = &list.releases;
    // The published releases the set admits, oldest first; with pre-releases (`any`) as
    // the fallback counts them: when no final matches.
    let matching = |any: bool| admitted(r, r.len(), |k| k, set, any).filter(|&i| r[i].published());
    let any = matching(false).next().is_none();
    if matching(any).next().is_none() {
        return NoPick::Unpublished;
    }
    NoPick::NotInstallable {
        excluded: matching(any).find(|&i| !r[i].installs_on(py)),
        yanked: matching(any)
            .rev()
            .find(|&i| r[i].installs_on(py) && r[i].status == Status::Yanked),
    }
}

/// The linear versions the index replaced (each release asked in turn): the reference the
/// tests compare the index with.
#[cfg(test)]
mod reference {
    use super::*;

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

    pub fn leaking(rule: &Rule, set: &VersionSet, py: &Version) -> Vec<usize> {
        let releases = &rule.releases.releases;
        rule.outside_final
            .iter()
            .copied()
            .filter(|&i| releases[i].installs_on(py) && set.contains(&releases[i].version))
            .collect()
    }

    pub fn outside_releases(rule: &Rule, set: &VersionSet) -> Vec<usize> {
        rule.outside_final
            .iter()
            .copied()
            .filter(|&i| set.contains(&rule.releases.releases[i].version))
            .collect()
    }

    pub fn no_pick(list: &ReleaseList, set: &VersionSet, py: &Version) -> NoPick {
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

    pub fn any_published(rule: &Rule, set: &VersionSet) -> bool {
        rule.releases
            .releases
            .iter()
            .any(|r| r.published() && set.contains_any(&r.version))
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
            &*pick(&l, &set(">=4"), false, &v("3.7")).unwrap().text,
            "4.21.1"
        );
    }

    #[test]
    fn a_yanked_release_needs_a_pin_and_no_other_match() {
        let l = list(PROTOBUF);
        assert_eq!(
            &*pick(&l, &set("==4.21.0"), true, &v("3.5")).unwrap().text,
            "4.21.0"
        );
        // Pinned, and 4.21.0 is the only match: the yanked release is taken.
        assert_eq!(
            &*pick(&l, &set("==4.21.0,>=4"), true, &v("3.7"))
                .unwrap()
                .text,
            "4.21.0"
        );
        assert_eq!(
            &*pick(&l, &set(">=4.21.0,<=4.21.1"), true, &v("3.7"))
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
            &*pick(&l2, &set(">=4"), false, &v("3.5")).unwrap().text,
            "4.21.0rc2"
        );
    }

    #[test]
    fn nothing_published_is_unpublished() {
        let l = list(PROTOBUF);
        assert_eq!(no_pick(&l, &set(">=9"), &v("3.7")), NoPick::Unpublished);
    }

    /// A small PRNG for the property test (SplitMix64).
    struct Rng(u64);

    impl Rng {
        fn next(&mut self) -> u64 {
            self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
            let mut z = self.0;
            z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
            z ^ (z >> 31)
        }
        fn below(&mut self, n: usize) -> usize {
            (self.next() % n as u64) as usize
        }
        fn chance(&mut self, percent: u64) -> bool {
            self.next() % 100 < percent
        }
    }

    /// A version near the rule's releases: one of them, or one with a release segment
    /// bumped or cut, a pre-, post- or dev-release or a local label added.
    fn near_version(rng: &mut Rng, list: &ReleaseList) -> String {
        let base = match list.releases.get(rng.below(list.releases.len().max(1))) {
            Some(r) if !rng.chance(10) => r.text.to_string(),
            _ => format!("{}.{}", rng.below(5), rng.below(25)),
        };
        let mut v = base;
        match rng.below(12) {
            0 => v.push_str(&format!("rc{}", rng.below(3))),
            1 => v.push_str(&format!("a{}", rng.below(2))),
            2 => v.push_str(&format!(".post{}", rng.below(2))),
            3 => v.push_str(&format!(".dev{}", rng.below(2))),
            4 => v.push_str("+local.1"),
            5 => v.push_str(".0"),
            6 => {
                if let Some((head, _)) = v.rsplit_once('.') {
                    v = head.to_owned();
                }
            }
            _ => {}
        }
        v
    }

    /// A random set: a few clauses of every operator, intersected, sometimes united with
    /// another, sometimes with pre-releases forced (`--pre`).
    fn random_set(rng: &mut Rng, list: &ReleaseList, depth: u32) -> VersionSet {
        const OPS: [&str; 9] = [">=", "<=", ">", "<", "==", "!=", "~=", "===", "==*"];
        let clauses: Vec<String> = (0..1 + rng.below(3))
            .map(|_| {
                let v = near_version(rng, list);
                match OPS[rng.below(OPS.len())] {
                    "==*" => {
                        let prefix: Vec<&str> = v
                            .split('.')
                            .take_while(|p| p.chars().all(|c| c.is_ascii_digit()))
                            .collect();
                        let prefix = if prefix.is_empty() {
                            "1".to_owned()
                        } else {
                            prefix.join(".")
                        };
                        format!("=={prefix}.*")
                    }
                    "~=" if !v.contains('.') => format!("~={v}.0"),
                    op => format!("{op}{v}"),
                }
            })
            .collect();
        let mut set = VersionSet::parse(&clauses.join(","))
            .or_else(|_| VersionSet::parse(&clauses[0]))
            .unwrap_or_else(|_| VersionSet::full());
        if depth < 2 && rng.chance(20) {
            set = set.union(&random_set(rng, list, depth + 1));
        }
        if rng.chance(10) {
            set = set.allow_prereleases();
        }
        // A pin on a yanked release, alone or with the rest.
        let yanked: Vec<&Release> = list
            .releases
            .iter()
            .filter(|r| r.status == Status::Yanked)
            .collect();
        if !yanked.is_empty() && rng.chance(10) {
            let pin = VersionSet::parse(&format!("=={}", yanked[rng.below(yanked.len())].text));
            if let Ok(pin) = pin {
                set = if rng.chance(50) {
                    pin
                } else {
                    set.intersect(&pin)
                };
            }
        }
        if rng.chance(5) {
            set = VersionSet::full();
        }
        set
    }

    /// The index gives what asking every release gives: pip's pick (pinned or not), why
    /// nothing is picked, the
    /// outside-window lists with and without a Python, their count and `any_published`,
    /// on random sets over every built-in rule's releases, on plain Pythons (cached index)
    /// and non-plain ones (computed each time).
    #[test]
    fn the_index_agrees_with_asking_every_release() {
        let pythons: Vec<Version> = ["2.7", "3.6", "3.7", "3.12", "3.7.1", "3.7.0"]
            .iter()
            .map(|p| v(p))
            .collect();
        let mut rng = Rng(0x5eed_1dec);
        let mut compared = 0;
        let mut picked = 0;
        let mut prerelease_picked = 0;
        let mut yanked_picked = 0;
        let mut no_picks = 0;
        for rule in crate::rules::builtin() {
            let list = &rule.releases;
            for _ in 0..100 {
                let set = random_set(&mut rng, list, 0);
                let pinned = rng.chance(50);
                for py in &pythons {
                    let ours = pick(list, &set, pinned, py).map(|r| &*r.text);
                    let theirs = reference::pick(list, &set, pinned, py).map(|r| &*r.text);
                    assert_eq!(ours, theirs, "pick from `{set}` on {py} (pinned {pinned})");
                    if let Some(r) = pick(list, &set, pinned, py) {
                        picked += 1;
                        prerelease_picked += usize::from(r.version.any_prerelease());
                        yanked_picked += usize::from(r.status == Status::Yanked);
                    }
                    if ours.is_none() {
                        assert_eq!(
                            no_pick(list, &set, py),
                            reference::no_pick(list, &set, py),
                            "why nothing from `{set}` on {py}"
                        );
                        no_picks += 1;
                    }
                    let expected = reference::leaking(rule, &set, py);
                    // Computed, then remembered.
                    for _ in 0..2 {
                        assert_eq!(
                            *leaking(rule, &set, py),
                            *expected,
                            "leaking from `{set}` on {py}"
                        );
                    }
                }
                let outside = reference::outside_releases(rule, &set);
                assert_eq!(*outside_releases(rule, &set), *outside, "outside `{set}`");
                assert_eq!(count_outside_upto(rule, &set, usize::MAX), outside.len());
                let limit = outside.len() / 2;
                assert_eq!(
                    count_outside_upto(rule, &set, limit),
                    outside.len().min(limit)
                );
                assert_eq!(
                    any_published(rule, &set),
                    reference::any_published(rule, &set),
                    "any published in `{set}`"
                );
                compared += 1;
            }
        }
        // The sets reach every branch: picks, pre-release fallbacks, yanked pins.
        assert!(compared >= 500, "{compared} sets");
        assert!(no_picks > 100, "{no_picks} sets with no pick");
        assert!(
            picked > 1000 && prerelease_picked > 10 && yanked_picked > 0,
            "picked {picked}, pre-releases {prerelease_picked}, yanked {yanked_picked}"
        );
    }

    /// The edges of the intervals: a release equal to an edge, sentinel edges (`>V` above
    /// V's post-releases, `==V` with locals), an empty and a full list.
    #[test]
    fn spans_respect_interval_edges() {
        let l = list("1.0\t\t\tfinal\n1.0.post1\t\t\tfinal\n1.0+x\t\t\tfinal\n1.1rc1\t\t\tpre-release\n1.1\t\t\tfinal\n2.0\t\t\tyanked\n");
        let names = |s: &str, any: bool| -> Vec<String> {
            let set = set(s);
            admitted(&l.releases, l.releases.len(), |k| k, &set, any)
                .map(|i| l.releases[i].version.to_string())
                .collect()
        };
        assert_eq!(names(">1.0", false), ["1.1", "2.0"]);
        assert_eq!(names(">1.0", true), ["1.1rc1", "1.1", "2.0"]);
        assert_eq!(names("==1.0", false), ["1.0", "1.0+x"]);
        assert_eq!(names("<=1.0", false), ["1.0", "1.0+x"]);
        assert_eq!(names("!=1.1", false), ["1.0", "1.0+x", "1.0.post1", "2.0"]);
        assert_eq!(names(">=1.1rc1,<2", false), ["1.1rc1", "1.1"]);
        // More intervals than releases: each release is asked instead.
        assert_eq!(
            names("!=0.1,!=0.2,!=0.3,!=0.4,!=0.5,!=0.6,!=1.1", false),
            ["1.0", "1.0+x", "1.0.post1", "2.0"]
        );
        assert_eq!(
            names("!=0.1,!=0.2,!=0.3,!=0.4,!=0.5,!=0.6,!=1.1", true),
            ["1.0", "1.0+x", "1.0.post1", "1.1rc1", "2.0"]
        );
        assert_eq!(names("===1.0+x", false), ["1.0+x"]);
        let empty = ReleaseList::default();
        assert!(pick(&empty, &set(">=1"), false, &v("3.7")).is_none());
        assert_eq!(
            &*pick(&l, &set("==2.0"), true, &v("3.7")).unwrap().text,
            "2.0"
        );
        assert!(pick(&l, &set("==2.0"), false, &v("3.7")).is_none());
    }
}
