//! Property tests of the version-set algebra: random specifier sets (1-3 clauses around
//! the window edges) checked on a dense pool of candidate versions.

use std::str::FromStr;
use std::sync::OnceLock;

use depwindow::versions::VersionSet;
use pep440_rs::Version;
use proptest::prelude::*;

const RELEASES: &[&str] = &[
    "0",
    "1",
    "1.14.4",
    "1.14.5",
    "1.14.5.0",
    "1.16",
    "1.16.4",
    "1.16.0.0.1",
    "1.17",
    "1.17.0",
    "1.17.1",
    "1.24",
    "2.0",
    "1!1.16",
];
const SUFFIXES: &[&str] = &[
    "",
    "",
    "a1",
    "rc1",
    ".dev0",
    ".post1",
    ".post1.dev0",
    "rc1.post1",
];
const LOCALS: &[&str] = &["", "", "", "+mkl", "+1"];

fn pool() -> &'static [Version] {
    static POOL: OnceLock<Vec<Version>> = OnceLock::new();
    POOL.get_or_init(|| {
        let mut out = Vec::new();
        for r in RELEASES {
            for s in SUFFIXES {
                for l in LOCALS {
                    out.push(Version::from_str(&format!("{r}{s}{l}")).unwrap());
                }
            }
            out.push(Version::from_str(&format!("{r}.0.1")).unwrap());
        }
        out
    })
}

fn clause() -> impl Strategy<Value = String> {
    let version = (
        prop::sample::select(RELEASES),
        prop::sample::select(SUFFIXES),
    )
        .prop_map(|(r, s)| format!("{r}{s}"));
    let local = prop::sample::select(LOCALS);
    (0usize..11, version, local, prop::sample::select(RELEASES)).prop_map(
        |(op, v, local, release)| match op {
            0 => format!(">={v}"),
            1 => format!("<{v}"),
            2 => format!("<={v}"),
            3 => format!(">{v}"),
            4 => format!("=={v}{local}"),
            5 => format!("!={v}{local}"),
            6 => format!("~={release}.0"),
            7 => format!("=={release}.*"),
            8 => format!("!={release}.*"),
            9 => format!("==={v}"),
            _ => format!("~={v}.1"),
        },
    )
}

fn version_set() -> impl Strategy<Value = VersionSet> {
    (prop::collection::vec(clause(), 0..=3), any::<bool>()).prop_filter_map(
        "valid specifier set",
        |(clauses, pre)| {
            let set = VersionSet::parse(&clauses.join(",")).ok()?;
            Some(if pre { set.allow_prereleases() } else { set })
        },
    )
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 1000, ..ProptestConfig::default() })]

    #[test]
    fn intersection_is_commutative(a in version_set(), b in version_set()) {
        let ab = a.intersect(&b);
        let ba = b.intersect(&a);
        prop_assert_eq!(ab.prereleases(), ba.prereleases());
        for v in pool() {
            prop_assert_eq!(ab.contains(v), ba.contains(v), "{}", v);
            prop_assert_eq!(ab.contains_any(v), a.contains_any(v) && b.contains_any(v), "{}", v);
        }
    }

    #[test]
    fn intersection_with_full_is_identity(a in version_set()) {
        let af = a.intersect(&VersionSet::full());
        prop_assert_eq!(af.prereleases(), a.prereleases());
        for v in pool() {
            prop_assert_eq!(af.contains(v), a.contains(v), "{}", v);
        }
        prop_assert!(a.intersect(&VersionSet::empty()).is_empty());
    }

    #[test]
    fn union_is_pointwise_or(a in version_set(), b in version_set()) {
        let u = a.union(&b);
        for v in pool() {
            prop_assert_eq!(u.contains_any(v), a.contains_any(v) || b.contains_any(v), "{}", v);
            // The union's pre-release flag is P1 || P2: it never drops a member.
            if a.contains(v) || b.contains(v) {
                prop_assert!(u.contains(v), "{}", v);
            }
        }
    }

    #[test]
    fn witness_outside_is_exact(a in version_set(), w in version_set()) {
        match a.witness_outside(&w) {
            Some(x) => {
                prop_assert!(a.contains(&x), "witness {} not admitted", x);
                prop_assert!(!w.contains_any(&x), "witness {} inside window", x);
            }
            None => {
                for v in pool() {
                    prop_assert!(!a.contains(v) || w.contains_any(v), "missed {}", v);
                }
            }
        }
        // With pre-releases admitted, "no witness" is exactly interval inclusion.
        let all = a.clone().allow_prereleases();
        prop_assert_eq!(all.witness_outside(&w).is_none(), a.is_subset(&w));
        // Sides partition the outside versions.
        let o = a.outside(&w);
        prop_assert_eq!(o.is_none(), a.witness_outside(&w).is_none());
    }

    #[test]
    fn emptiness_agrees_with_witness_search(a in version_set()) {
        prop_assert_eq!(a.is_empty(), a.witness_outside(&VersionSet::empty()).is_none());
        if a.is_empty() {
            for v in pool() {
                prop_assert!(!a.contains(v), "empty set admits {}", v);
            }
        } else {
            let m = a.some_member().unwrap();
            prop_assert!(a.contains(&m), "member {} not admitted", m);
        }
    }

    #[test]
    fn subset_is_consistent(a in version_set(), b in version_set()) {
        prop_assert!(a.intersect(&b).is_subset(&a));
        prop_assert!(a.is_subset(&a.union(&b)));
        if a.is_subset(&b) {
            for v in pool() {
                prop_assert!(!a.contains_any(v) || b.contains_any(v), "{}", v);
            }
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 300, ..ProptestConfig::default() })]

    /// The balanced `intersect_all` is the same set as folding `intersect` left to right.
    #[test]
    fn intersect_all_equals_fold(sets in prop::collection::vec(version_set(), 0..7)) {
        let folded = sets.iter().fold(VersionSet::full(), |acc, s| acc.intersect(s));
        let all = VersionSet::intersect_all(sets.clone());
        prop_assert_eq!(all.prereleases(), folded.prereleases());
        for v in pool() {
            prop_assert_eq!(all.contains(v), folded.contains(v), "{}", v);
            prop_assert_eq!(all.contains_any(v), folded.contains_any(v), "{}", v);
        }
    }
}
