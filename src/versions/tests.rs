//! Unit tests. Every expected membership below was produced by running packaging 26.3
//! (`SpecifierSet(s).contains(Version(v), prereleases=P)` with `P = bool(S.prereleases)`,
//! and with `prereleases=True`); the differential test re-checks thousands more.

use super::*;

fn v(s: &str) -> Version {
    Version::from_str(s).unwrap()
}

fn set(s: &str) -> VersionSet {
    VersionSet::parse(s).unwrap()
}

/// (specifier set, packaging's resolved `prereleases`, [(version, contains with P,
/// contains with prereleases=True)]).
type Case = (&'static str, bool, &'static [(&'static str, bool, bool)]);

const CASES: &[Case] = &[
    (
        ">=1.14.5,<1.17",
        false,
        &[
            ("1.14.5", true, true),
            ("1.14.4", false, false),
            ("1.16.6", true, true),
            ("1.17", false, false),
            ("1.17rc1", false, false),
            ("1.17.dev0", false, false),
            ("1.16.99+mkl", true, true),
            ("1.17.0.post1", false, false),
            ("1!1.15", false, false),
        ],
    ),
    (
        "==1.16.4",
        false,
        &[
            ("1.16.4", true, true),
            ("1.16.4+mkl", true, true),
            ("1.16.4.0", true, true),
            ("1.16.4.post1", false, false),
            ("1.16.4.dev0", false, false),
        ],
    ),
    (
        "!=1.16.4",
        false,
        &[
            ("1.16.4", false, false),
            ("1.16.4+mkl", false, false),
            ("1.16.4.post1", true, true),
            ("1.16.5", true, true),
        ],
    ),
    (
        "==1.16.4+mkl",
        false,
        &[
            ("1.16.4", false, false),
            ("1.16.4+mkl", true, true),
            ("1.16.4+mkl.1", false, false),
            ("1.16.4.0+mkl", true, true),
        ],
    ),
    (
        "!=1.16.4+mkl",
        false,
        &[
            ("1.16.4", true, true),
            ("1.16.4+mkl", false, false),
            ("1.16.4+other", true, true),
        ],
    ),
    (
        "<=1.16.4",
        false,
        &[
            ("1.16.4+mkl", true, true),
            ("1.16.4.post0", false, false),
            ("1.16.4.post0.dev0", false, false),
            ("1.16.3", true, true),
        ],
    ),
    (
        ">=1.16.4",
        false,
        &[
            ("1.16.4+mkl", true, true),
            ("1.16.4rc1", false, false),
            ("1.16.4.dev0", false, false),
        ],
    ),
    (
        "<1.17",
        false,
        &[
            ("1.17rc1", false, false),
            ("1.17.dev0", false, false),
            ("1.16.99", true, true),
            ("1.17a0.dev0", false, false),
            ("1.16+local", true, true),
        ],
    ),
    (
        "<1.17rc1",
        true,
        &[
            ("1.17.dev0", true, true),
            ("1.17a1", true, true),
            ("1.17rc1", false, false),
            ("1.17rc0", true, true),
        ],
    ),
    (
        "<1.17.post1",
        false,
        &[
            ("1.17", true, true),
            ("1.17+local", true, true),
            ("1.17.post0", true, true),
            ("1.17.post1.dev0", false, false),
            ("1.17rc1", false, true),
        ],
    ),
    (
        "<1.17.dev5",
        true,
        &[
            ("1.17.dev4", true, true),
            ("1.17.dev5", false, false),
            ("1.16", true, true),
        ],
    ),
    (
        ">1.16",
        false,
        &[
            ("1.16.post1", false, false),
            ("1.16+local", false, false),
            ("1.16.0.1", true, true),
            ("1.17", true, true),
            ("1.16.1.dev0", false, true),
        ],
    ),
    (
        ">1.16.post1",
        false,
        &[
            ("1.16.post2", true, true),
            ("1.16.post2.dev0", false, true),
            ("1.16.post1+local", false, false),
            ("1.16.post1", false, false),
        ],
    ),
    (
        ">1.17rc1",
        true,
        &[
            ("1.17rc1.post1", false, false),
            ("1.17rc2.dev0", true, true),
            ("1.17rc2", true, true),
            ("1.17", true, true),
            ("1.17rc1+local", false, false),
        ],
    ),
    (
        ">1.17.dev1",
        true,
        &[
            ("1.17.dev1+local", false, false),
            ("1.17.dev2", true, true),
            ("1.17", true, true),
        ],
    ),
    (
        "<1!1.16",
        false,
        &[
            ("1.16a1", false, true),
            ("1!1.16a1", false, false),
            ("1!1.15", true, true),
            ("2.0", true, true),
        ],
    ),
    (
        ">=1!1.0",
        false,
        &[
            ("99.0", false, false),
            ("1!1.0", true, true),
            ("1!0.9", false, false),
        ],
    ),
    (
        "==1.16.*",
        false,
        &[
            ("1.16", true, true),
            ("1.16.0", true, true),
            ("1.16.99", true, true),
            ("1.16rc1", false, true),
            ("1.16.dev0", false, true),
            ("1.17.dev0", false, false),
            ("1", false, false),
            ("1.16+mkl", true, true),
        ],
    ),
    (
        "==1.16.4.*",
        false,
        &[
            ("1.16", false, false),
            ("1", false, false),
            ("1.16.4", true, true),
            ("1.16.4.0.0", true, true),
        ],
    ),
    (
        "!=1.16.*",
        false,
        &[
            ("1", true, true),
            ("1.16", false, false),
            ("1.15.9", true, true),
            ("1.17.dev0", false, true),
        ],
    ),
    (
        "==1.*",
        false,
        &[
            ("1", true, true),
            ("1.99", true, true),
            ("2.dev0", false, false),
            ("0.9", false, false),
        ],
    ),
    (
        "~=1.16.2",
        false,
        &[
            ("1.16.2", true, true),
            ("1.16.9", true, true),
            ("1.17", false, false),
            ("1.16.2.post1", true, true),
            ("1.17.dev0", false, false),
        ],
    ),
    (
        "~=1.16",
        false,
        &[
            ("1.16", true, true),
            ("1.99", true, true),
            ("2.0", false, false),
            ("2.0.dev0", false, false),
            ("2.0rc1", false, false),
        ],
    ),
    (
        "~=1.16rc1",
        true,
        &[
            ("1.16rc1", true, true),
            ("1.16", true, true),
            ("1.99", true, true),
            ("2.dev0", false, false),
        ],
    ),
    (
        "===1.16.4",
        false,
        &[
            ("1.16.4", true, true),
            ("1.16.4.0", false, false),
            ("1.16.4+mkl", false, false),
        ],
    ),
    ("===1.0a1", true, &[("1.0a1", true, true)]),
    ("===foo", false, &[("1.0", false, false)]),
    (
        ">=1.0a1",
        true,
        &[
            ("1.0a1", true, true),
            ("1.0b1", true, true),
            ("2.0rc1", true, true),
        ],
    ),
    (
        "!=1.17rc1",
        false,
        &[
            ("1.17rc1", false, false),
            ("1.17rc2", false, true),
            ("1.17", true, true),
        ],
    ),
    (">=1.14.5,!=1.17rc1", false, &[("1.17rc2", false, true)]),
    (
        "<0",
        false,
        &[("0.dev0", false, false), ("0a0", false, false)],
    ),
    ("<0.dev0", true, &[("0.dev0", false, false)]),
    (
        "<=0",
        false,
        &[
            ("0", true, true),
            ("0.dev0", false, true),
            ("0+x", true, true),
        ],
    ),
    (
        ">=1.16.0.dev0,<1.16.0",
        true,
        &[("1.16.0rc1", false, false), ("1.15", false, false)],
    ),
    ("", false, &[("1.0", true, true), ("1.0rc1", false, true)]),
];

#[test]
fn memberships_match_packaging() {
    for (spec, pre, members) in CASES {
        let s = set(spec);
        assert_eq!(s.prereleases(), *pre, "prereleases of `{spec}`");
        for (ver, with_p, any) in *members {
            assert_eq!(s.contains(&v(ver)), *with_p, "`{spec}`.contains({ver})");
            assert_eq!(
                s.contains_any(&v(ver)),
                *any,
                "`{spec}`.contains_any({ver})"
            );
        }
    }
}

#[test]
fn from_specifiers_agrees_with_parse() {
    for (spec, _, members) in CASES {
        if spec.contains("===") {
            continue;
        }
        let a = VersionSet::from_specifiers(&parse_specifiers(spec).unwrap());
        let b = set(spec);
        assert_eq!(a, b, "`{spec}`");
        for (ver, _, _) in *members {
            assert_eq!(a.contains(&v(ver)), b.contains(&v(ver)));
        }
    }
}

#[test]
fn emptiness_matches_packaging() {
    // packaging 26.3: `>1.0a1,<1.0a2.dev0` and `>1.16,<=1.16.0` are unsatisfiable.
    assert!(set(">1.0a1,<1.0a2.dev0").is_empty());
    assert!(set(">1.16,<=1.16.0").is_empty());
    assert!(set(">=1.16.0.dev0,<1.16.0").is_empty());
    assert!(set("<0").is_empty());
    assert!(set("===foo").is_empty());
    assert!(set("===1.0-1").is_empty());
    assert!(set("===1.0,===1.0.0").is_empty());
    assert!(VersionSet::empty().is_empty());
    // Only 1.16.0.0.0.1-like versions lie between; packaging admits 1.16.0.0.0.1.
    let s = set(">1.16,<1.16.0.0.1");
    assert!(!s.is_empty());
    let w = s.some_member().unwrap();
    assert!(s.contains(&w), "{w}");
    // Pre-release-only members (1.0.dev0, 1.0rc1): empty under P=false, not with --pre.
    let s = set("==1.0.*,!=1.0,<1.0.post0");
    assert!(!s.prereleases());
    assert!(s.is_empty());
    assert!(!s.clone().allow_prereleases().is_empty());
    assert!(s.allow_prereleases().contains(&v("1.0rc1")));
    assert!(!set(">=1.14.5").is_empty());
    assert!(!VersionSet::full().is_empty());
}

/// (set, witness_outside, witness_below, witness_above).
type WitnessCase = (
    &'static str,
    Option<&'static str>,
    Option<&'static str>,
    Option<&'static str>,
);

#[test]
fn witnesses_are_natural_and_checked() {
    let window = set(">=1.14.5,<1.17");
    // (set, expected witness_outside, expected below, expected above); every expected
    // witness was checked with packaging: admitted by the set, rejected by the window.
    let cases: &[WitnessCase] = &[
        (">=1.10", Some("1.17"), Some("1.14.4"), Some("1.17")),
        ("<1.14.5", Some("1.14.4"), Some("1.14.4"), None),
        ("==1.14.*", Some("1.14.4"), Some("1.14.4"), None),
        ("~=1.16", Some("1.17"), None, Some("1.17")),
        (">1.16", Some("1.17"), None, Some("1.17")),
        (">=1.14.5,<=1.17", Some("1.17"), None, Some("1.17")),
        ("<1.17.post1,>=1.15", Some("1.17"), None, Some("1.17")),
        (
            ">=1.14.5,<1.17rc1",
            Some("1.17.dev0"),
            None,
            Some("1.17.dev0"),
        ),
        ("===1.17.0", Some("1.17.0"), None, Some("1.17.0")),
        (">=1.14.5,<1.17,!=1.16.2", None, None, None),
        (">=1.14.5,<1.17", None, None, None),
        ("==1.16.4", None, None, None),
        ("", Some("1.17"), Some("1.14.4"), Some("1.17")),
        ("<1.14.5,>1.13.3", Some("1.14.4"), Some("1.14.4"), None),
    ];
    for (spec, any, below, above) in cases {
        let s = set(spec);
        let show = |o: Option<Version>| o.map(|x| x.to_string());
        assert_eq!(
            show(s.witness_outside(&window)).as_deref(),
            *any,
            "`{spec}`"
        );
        assert_eq!(
            show(s.witness_below(&window)).as_deref(),
            *below,
            "`{spec}` below"
        );
        assert_eq!(
            show(s.witness_above(&window)).as_deref(),
            *above,
            "`{spec}` above"
        );
    }
}

#[test]
fn witness_respects_prerelease_flag() {
    let window = set(">=1.14.5,<1.17");
    // Only pre-releases of 1.17 lie outside; P=false hides them, --pre reveals them.
    let s = set(">=1.14.5,<=1.17.0rc2,!=1.17.0rc2");
    assert!(s.prereleases());
    let s = set(">=1.15,<1.17.0").union(&set("==1.17.0rc1"));
    assert!(s.prereleases());
    assert_eq!(s.witness_outside(&window), Some(v("1.17.0rc1")));
    let s = set("~=1.16.0,!=1.16.*");
    assert!(s.witness_outside(&window).is_none());
}

#[test]
fn below_witness_prefers_the_edge_release() {
    // `>1.14.4` excludes 1.14.4 itself: that is the natural version just below.
    let window = set(">1.14.4,<1.17");
    assert_eq!(set(">=1.10").witness_below(&window), Some(v("1.14.4")));
    let o = set(">=1.10,<1.17").outside(&window);
    assert_eq!((o.below.is_some(), o.above.is_some()), (true, false));
    let o = set(">=1.15").outside(&window);
    assert_eq!((o.below.is_some(), o.above.is_some()), (false, true));
}

#[test]
fn gap_witness_for_window_with_hole() {
    let window = set(">=1.14.5,<1.17,!=1.16.2");
    let s = set("==1.16.*");
    let o = s.outside(&window);
    assert_eq!(o.below, None);
    assert_eq!(o.above, None);
    let g = o.gap.unwrap();
    assert!(s.contains(&g) && !window.contains_any(&g), "{g}");
}

#[test]
fn arbitrary_equality_is_a_string_point() {
    let s = set("===1.16.4");
    assert!(s.contains(&v("1.16.4")));
    assert!(!s.contains(&v("1.16.4.0")));
    // `==1.16.4` admits 1.16.4.0, which `===1.16.4` does not.
    let eq = set("==1.16.4");
    assert!(!eq.is_subset(&s));
    let w = eq.witness_outside(&s).unwrap();
    assert!(eq.contains(&w) && !s.contains_any(&w), "{w}");
    assert!(s.is_subset(&eq));
    // Intersection keeps the string restriction; union with a wider set drops it.
    assert!(!s.intersect(&eq).contains(&v("1.16.4.0")));
    assert!(s.union(&eq).contains(&v("1.16.4.0")));
    assert!(s.union(&set(">=2")).contains(&v("1.16.4")));
    assert!(!s.union(&set(">=2")).contains(&v("1.16.4.0")));
    // Two different spellings of one version: nothing.
    assert!(set("===1.16.4,===1.16.4.0").is_empty());
}

#[test]
fn intersect_and_union_combine_prerelease_flags() {
    let a = set(">=1.0");
    let b = set("<2.0rc1");
    assert!(!a.prereleases() && b.prereleases());
    let i = a.intersect(&b);
    assert!(i.prereleases());
    assert!(i.contains(&v("1.5rc1")));
    assert!(!a.contains(&v("1.5rc1")));
    let u = set("<1.0").union(&set(">=2.0"));
    assert!(u.contains(&v("0.5")) && u.contains(&v("2.0")) && !u.contains(&v("1.5")));
    assert!(!u.prereleases());
}

#[test]
fn subset_is_pure_intervals() {
    assert!(set("==1.16.*").is_subset(&set(">=1.16.dev0,<1.17.dev0")));
    assert!(!set("==1.16.*").is_subset(&set(">=1.16,<1.17")));
    assert!(set(">1.0a1,<1.0a2.dev0").is_subset(&VersionSet::empty()));
    assert!(VersionSet::empty().is_subset(&set("==1.0")));
    assert!(set("==1.16.4").is_subset(&set("<=1.16.4")));
    // `<1.16.4.post0` ends at 1.16.4.post0.dev0, just past every 1.16.4+local.
    assert!(set("<=1.16.4").is_subset(&set("<1.16.4.post0")));
    assert!(!set("<=1.16.4").is_subset(&set("<1.16.4")));
}

#[test]
fn exact_pin_admits_prerelease_but_not_local() {
    let s = VersionSet::exact(&v("1.17.0rc1"));
    assert!(s.contains(&v("1.17.0rc1")));
    assert!(!s.contains(&v("1.17.0rc1+local")));
    assert!(!s.contains(&v("1.17.0")));
    assert_eq!(s.some_member(), Some(v("1.17.0rc1")));
}

#[test]
fn local_witnesses_between_local_labels() {
    // Only locals of 1.0 strictly between +a and +b: e.g. 1.0+a.0.
    let s = set("==1.0,!=1.0+a");
    assert!(!s.is_empty());
    let s = set("==1.0")
        .intersect(&set("!=1.0+a"))
        .intersect(&complement_of(&set("==1.0+a.b")));
    let w = s.some_member().unwrap();
    assert!(s.contains(&w));
    // Window made of one local version: everything else of ==1.0 is outside, as a gap.
    let window = set("==1.0+a");
    let w = set("==1.0").witness_outside(&window).unwrap();
    assert!(set("==1.0").contains(&w) && !window.contains_any(&w), "{w}");
}

fn complement_of(s: &VersionSet) -> VersionSet {
    VersionSet {
        ivs: complement_ivs(&s.ivs).into(),
        pre: s.pre,
        literals: Box::default(),
    }
}

#[test]
fn filter_releases_keeps_admitted() {
    let rel: Vec<Version> = ["1.16.6", "1.17.0", "1.17.0rc1", "2.0.0"]
        .iter()
        .map(|s| v(s))
        .collect();
    let s = set(">=1.17");
    let got: Vec<String> = s.filter_releases(&rel).map(|x| x.to_string()).collect();
    assert_eq!(got, ["1.17.0", "2.0.0"]);
}

#[test]
fn display_shows_sentinel_edges() {
    assert_eq!(set(">=1.14.5,<1.17").to_string(), ">=1.14.5, <1.17.dev0");
    assert_eq!(set(">1.16").to_string(), ">1.16");
    assert_eq!(
        set("==1.16.4+mkl").to_string(),
        ">=1.16.4+mkl, <=1.16.4+mkl"
    );
    assert_eq!(VersionSet::empty().to_string(), "<empty>");
}

#[test]
fn parse_rejects_what_packaging_rejects() {
    for bad in ["<=1.0+local", "~=1", "==1.0a1.*", "=== 1.0 x", ">>1"] {
        assert!(VersionSet::parse(bad).is_err(), "{bad}");
    }
    assert!(VersionSet::parse(">=1.0,,<2,").is_ok());
    assert!(parse_specifiers(">=1.0, <2 ,").is_ok());
}

#[test]
fn not_equal_holes_united_in_one_sort_match_clause_by_clause() {
    // Overlapping, nested, adjacent and repeated holes, local and wildcard ones, mixed with
    // ranges, in any order: the one-sort construction is the clause-by-clause intersection,
    // structurally.
    for spec in [
        "!=1.1,!=1.0,!=1.1,!=1.0.*,!=1.0.1",
        "!=1.*,!=1.5,>=0.9,<3,!=2.0+local,!=2.0",
        "!=2.0.post1,!=2.0,!=2.0.*,!=2.0.dev1,>1.0a1",
        "!=0,!=0.0.0,!=1!0,~=0.1,!=0.1.*",
        "!=1.16.2,>=1.14.5,<1.17,!=1.16.*,!=1.15.0",
    ] {
        let specs = parse_specifiers(spec).unwrap();
        let one_sort = VersionSet::from_specifiers(&specs);
        let by_clause = VersionSet::intersect_all(specs.iter().map(VersionSet::from_specifier));
        assert_eq!(one_sort, by_clause, "`{spec}`");
    }
    let many: Vec<String> = (0..2_000).rev().map(|i| format!("!=1.{i}")).collect();
    let specs = parse_specifiers(&many.join(",")).unwrap();
    let one_sort = VersionSet::from_specifiers(&specs);
    assert_eq!(
        one_sort,
        VersionSet::intersect_all(specs.iter().map(VersionSet::from_specifier))
    );
    assert!(!one_sort.contains(&v("1.1999")) && one_sort.contains(&v("1.2000")));
}

#[test]
fn large_sets_are_remembered_by_spelling() {
    let a: Vec<String> = (0..40).map(|i| format!("!=1.{i}")).collect();
    let mut b = a.clone();
    b[0] = "!=1.0.0".into();
    let (a, b) = (
        parse_specifiers(&a.join(",")).unwrap(),
        parse_specifiers(&b.join(",")).unwrap(),
    );
    // PEP 440-equal clause lists, spelled differently: the second is not the first's memo.
    assert_eq!(a, b);
    let first = VersionSet::from_specifiers(&a);
    let again = VersionSet::from_specifiers(&a);
    assert!(first.ivs.shares(&again.ivs), "remembered");
    let other = VersionSet::from_specifiers(&b);
    assert!(!first.ivs.shares(&other.ivs));
    let direct = VersionSet::intersect_all(b.iter().map(VersionSet::from_specifier));
    assert_eq!(format!("{other:?}"), format!("{direct:?}"));
    assert_ne!(format!("{other:?}"), format!("{first:?}"));
}

#[test]
fn long_specifier_lists_are_remembered_by_content() {
    // Lists long enough to be remembered: the same list gives the same set as building it
    // clause by clause; lists that differ in one clause, or only in length, are not confused.
    let list = |n: usize, skip: usize| -> VersionSpecifiers {
        let clauses: Vec<String> = (0..n)
            .filter(|&i| i != skip)
            .map(|i| format!("!=1.{i}"))
            .collect();
        VersionSpecifiers::from_str(&clauses.join(",")).unwrap()
    };
    let built =
        |s: &VersionSpecifiers| VersionSet::intersect_all(s.iter().map(VersionSet::from_specifier));
    let a = list(200, usize::MAX);
    let b = list(201, 7);
    let c = list(199, usize::MAX);
    for _ in 0..2 {
        for s in [&a, &b, &c] {
            assert_eq!(VersionSet::from_specifiers(s), built(s));
        }
    }
    let v7 = Version::from_str("1.7").unwrap();
    assert!(!VersionSet::from_specifiers(&a).contains(&v7));
    assert!(VersionSet::from_specifiers(&b).contains(&v7));
    let v199 = Version::from_str("1.199").unwrap();
    assert!(!VersionSet::from_specifiers(&a).contains(&v199));
    assert!(VersionSet::from_specifiers(&c).contains(&v199));
}

#[test]
fn sets_that_differ_only_inside_hash_alike_and_stay_apart_in_a_map() {
    // `Hash` reads only the edge intervals of a long set: two sets with one hole moved
    // inside hash alike, yet a map keyed by sets keeps both, and equal sets built apart
    // find each other.
    use std::collections::HashMap;
    use std::hash::{BuildHasher, RandomState};
    let holes = |skip: usize| {
        let clauses: Vec<String> = (0..40)
            .filter(|&i| i != skip)
            .map(|i| format!("!=1.{i}"))
            .collect();
        VersionSet::parse(&clauses.join(",")).unwrap()
    };
    let (a, b) = (holes(20), holes(21));
    assert_ne!(a, b);
    let h = RandomState::new();
    assert_eq!(h.hash_one(&a), h.hash_one(&b));
    assert_eq!(h.hash_one(&a), h.hash_one(holes(20)));
    let mut m: HashMap<VersionSet, u8> = HashMap::new();
    m.insert(a.clone(), 1);
    m.insert(b.clone(), 2);
    assert_eq!(m.len(), 2);
    assert_eq!(m.get(&holes(20)), Some(&1));
    assert_eq!(m.get(&holes(21)), Some(&2));
    // Short sets are hashed whole.
    let short = VersionSet::parse(">=1.0,<2").unwrap();
    assert_eq!(
        h.hash_one(&short),
        h.hash_one(VersionSet::parse(">=1.0,<2").unwrap())
    );
}

/// The witness below a window is the highest below it: found from the top
/// (`BELOW_KEPT` pieces), and further down when none of those holds a final release. Here
/// the 41 highest pieces below hold pre-releases only, so the witness comes from the lowest
/// piece: what searching every piece from the bottom finds.
#[test]
fn below_witness_past_pieces_without_a_final_release() {
    let window = set(">=2.0");
    // Below 1.0.post1 but for 1.0 and 1.0.post0: the top piece holds 1.0.post0's dev
    // releases only, the next 40 pre-releases of 1.0 (between the holes) only.
    let top = "<1.0.post1,!=1.0,!=1.0.post0";
    let holes: Vec<String> = (1..=40).map(|n| format!("!=1.0a{n}")).collect();
    let mut fell_through = 0;
    for text in [
        format!("{top},{}", holes.join(",")),
        format!("{top},>0.9999,{}", holes.join(",")),
        format!("{top},{}", holes[..5].join(",")),
    ] {
        let s = set(&text);
        assert!(!s.pre, "{text}: finals only");
        let got = s.outside(&window).below.map(|w| w.to_string());
        // The walk of every piece from the bottom, the highest witness kept.
        let (mut every, mut pieces) = (None, 0);
        intersect_pieces(&s.ivs, &complement_ivs(&window.ivs), |iv| {
            pieces += 1;
            if let Some(w) = find_in(&iv, true, true) {
                every = Some(w.to_string());
            }
            true
        });
        assert_eq!(got, every, "{text}");
        assert!(got.is_some(), "{text}");
        fell_through += usize::from(pieces > BELOW_KEPT);
    }
    assert_eq!(fell_through, 2);
    // With pre-releases admitted, the top piece has one.
    let pre = set(&format!("{top},{}", holes.join(","))).allow_prereleases();
    let below = pre.outside(&window).below.expect("a pre-release below");
    assert_eq!(below, v("1.0.post0.dev0"));
}

/// A list pep440_rs refuses is said in one line (its `Display` adds the list and a line of
/// carets: a JSON message or a GitHub annotation carried them as raw line breaks).
#[test]
fn a_refused_list_is_said_in_one_line() {
    for (list, says) in [
        (">=>1.14.5", "no such comparison operator"),
        (
            ">=3.6.*, <3.8.*",
            "cannot be used with a wildcard version specifier",
        ),
        ("==1.0,>=x", "x"),
        ("~=1", "~="),
    ] {
        let e = pep440_rs::VersionSpecifiers::from_str(list).expect_err(list);
        let said = crate::versions::specifiers_error(&e);
        assert!(
            e.to_string().contains('\n'),
            "{list}: pep440_rs's own is several lines"
        );
        assert!(!said.contains('\n') && !said.is_empty(), "{list}: {said:?}");
        assert!(said.contains(says), "{list}: {said:?}");
        assert!(!said.starts_with("Failed to parse"), "{said}");
    }
}
