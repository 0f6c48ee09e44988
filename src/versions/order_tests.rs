//! The edges that are compared without being built ([`Bound`]) order, compare equal and
//! hash exactly as the versions they stand for, over generated versions: epochs,
//! pre/post/dev releases, local labels, trailing zeros, `u64::MAX` (where `after_locals`
//! saturates) and the sentinels themselves (`max`, `min`, an empty local segment). And a set
//! met with every version keeps its intervals, shared.

use std::collections::hash_map::DefaultHasher;
use std::hash::{Hash, Hasher};

use super::*;

use super::lcg::Lcg;

const MAX: u64 = u64::MAX;

fn generated(n: usize) -> Vec<Version> {
    let mut g = Lcg(0x5eed);
    let releases: &[&[u64]] = &[
        &[0],
        &[1],
        &[1, 0],
        &[1, 0, 0],
        &[1, 1],
        &[1, 0, 1],
        &[2],
        &[1, MAX],
        &[MAX],
        // Packed when otherwise plain: past pep440_rs's small form (a segment above 255
        // after the first), at and past `u32::MAX`, and four segments (never packed).
        &[1, 300],
        &[1, 300, 0],
        &[1, 299, 7],
        &[4_294_967_295],
        &[4_294_967_295, 4_294_967_295, 1],
        &[4_294_967_296],
        &[1, 300, 0, 0],
        &[1, 0, 0, 1],
    ];
    let pres = [
        None,
        None,
        None,
        Some((PrereleaseKind::Alpha, 0)),
        Some((PrereleaseKind::Alpha, 1)),
        Some((PrereleaseKind::Beta, MAX)),
        Some((PrereleaseKind::Rc, 0)),
        Some((PrereleaseKind::Rc, MAX)),
    ];
    let posts = [None, None, Some(0), Some(1), Some(MAX - 1), Some(MAX)];
    let devs = [None, None, Some(0), Some(1), Some(MAX - 1), Some(MAX)];
    let locals: Vec<Vec<LocalSegment>> = vec![
        vec![],
        vec![],
        vec![LocalSegment::Number(0)],
        vec![LocalSegment::Number(MAX)],
        vec![LocalSegment::String("a".into())],
        vec![LocalSegment::String(String::new())],
        vec![LocalSegment::Number(1), LocalSegment::String("x".into())],
        vec![
            LocalSegment::String("a".into()),
            LocalSegment::String(String::new()),
        ],
    ];
    let mut out = Vec::new();
    for _ in 0..n {
        let v = Version::new(g.pick(releases).iter().copied())
            .with_epoch(g.pick(&[0, 0, 0, 1, MAX]))
            .with_pre(
                g.pick(&pres)
                    .map(|(kind, number)| Prerelease { kind, number }),
            )
            .with_post(g.pick(&posts))
            .with_dev(g.pick(&devs))
            .with_local(g.pick(&locals));
        out.push(v);
    }
    // Plain releases and the suffixes a packed edge carries, from every release (random
    // parts rarely leave a version plain).
    for r in releases {
        let v = Version::new(r.iter().copied());
        out.push(v.clone().with_dev(Some(0)));
        out.push(v.clone().with_post(Some(0)).with_dev(Some(0)));
        out.push(v);
    }
    out
}

/// Every edge of the generated real versions, and as plain versions: those edges built, the
/// `max` and `min` sentinels (where pep440_rs allows them) and the public versions, so that
/// an edge meets its own value (and `1.0`'s meets `1.0.0`'s): ties, not only strict order.
/// Each with the version it stands for.
fn bounds(reals: &[Version]) -> Vec<(Bound, Version)> {
    let mut plain: Vec<Version> = reals.to_vec();
    for v in reals {
        plain.push(after_locals(v));
        plain.push(local_sentinel(v));
        plain.push(v.clone().without_local());
        if v.post().is_none() && v.dev().is_none() {
            plain.push(v.clone().with_max(Some(0)));
        }
        if v.pre().is_none() && v.dev().is_none() {
            plain.push(v.clone().with_min(Some(0)));
        }
    }
    let sentinels = reals
        .iter()
        .flat_map(|v| [Bound::after_locals(v), Bound::local_sentinel(v)]);
    // The edges a wide clause's hole shares its version with (any parsed version: the
    // wildcard's edges read its epoch and release only).
    let wide = reals
        .iter()
        .filter_map(|v| Wide::new(Operator::NotEqual, v))
        .map(Arc::new)
        .flat_map(|w| {
            [
                Bound::WideAt(w.clone()),
                Bound::WideAfterLocals(w.clone()),
                Bound::WideLocalSentinel(w.clone()),
                Bound::WideWildLo(w.clone()),
                Bound::WideWildHi(w),
            ]
        });
    plain
        .into_iter()
        .map(Bound::at)
        .chain(sentinels)
        .chain(wide)
        .map(|b| {
            let built = b.version();
            (b, built)
        })
        .collect()
}

fn hash_of(b: &Bound) -> u64 {
    let mut h = DefaultHasher::new();
    b.hash(&mut h);
    h.finish()
}

#[test]
fn unbuilt_edges_order_as_the_versions_they_stand_for() {
    let reals = generated(70);
    let bounds = bounds(&reals);
    let versions: Vec<Version> = bounds.iter().map(|(_, v)| v.clone()).collect();
    let mut ties = 0;
    for (a, a_built) in &bounds {
        for v in &versions {
            assert_eq!(
                a.cmp_version(v),
                a_built.cmp(v),
                "{a_built} ({}) against {v}",
                a.form()
            );
        }
        for (b, b_built) in &bounds {
            let want = a_built.cmp(b_built);
            assert_eq!(
                a.cmp(b),
                want,
                "{a_built} ({}) against {b_built} ({})",
                a.form(),
                b.form()
            );
            if a == b {
                ties += usize::from(a.form() != b.form());
                assert_eq!(hash_of(a), hash_of(b), "{a_built} == {b_built}");
            }
        }
    }
    // Ties between an unbuilt edge and another kind of edge are among the cases, wide
    // edges' too.
    assert!(ties >= 100, "{ties} ties");
    let wide_ties = bounds
        .iter()
        .filter(|(a, _)| a.form().contains("wide"))
        .filter(|(a, _)| {
            bounds
                .iter()
                .any(|(b, _)| a == b && !b.form().contains("wide"))
        })
        .count();
    assert!(
        wide_ties >= 50,
        "{wide_ties} wide edges tie with another kind"
    );
}

#[test]
fn a_hole_shares_its_clause_version() {
    let v = Version::from_str("1!1.2.3").unwrap();
    let Interval { lo, hi } = equal_interval(&v);
    let (Some(Bound::At(lo)), Some(Bound::AfterLocals(hi))) = (lo, hi) else {
        panic!("an epoch is not packed");
    };
    // The same `Arc`: no version was built for either edge.
    assert_eq!(format!("{:p}", lo.release()), format!("{:p}", v.release()));
    assert_eq!(format!("{:p}", hi.release()), format!("{:p}", v.release()));
}

/// A plain release's hole holds no pep440_rs version (`1.300` is in pep440_rs's full form,
/// an allocation of its own), and an edge, packed or not, keeps an interval at 32 bytes.
#[test]
fn a_plain_hole_is_packed_inline() {
    let v = Version::from_str("1.300").unwrap();
    let iv = equal_interval(&v);
    let packed =
        |b: &Option<Bound>, want: Suffix| matches!(b, Some(Bound::Packed(rel)) if rel.kind == want);
    assert!(packed(&iv.lo, Suffix::Final), "{:?}", iv.lo);
    assert!(packed(&iv.hi, Suffix::PostDev0), "{:?}", iv.hi);
    assert_eq!(iv.hi.unwrap().version().to_string(), "1.300.post0.dev0");
    assert_eq!(std::mem::size_of::<Bound>(), 16);
    assert_eq!(std::mem::size_of::<Option<Bound>>(), 16);
    assert_eq!(std::mem::size_of::<Interval>(), 32);
}

#[test]
fn meeting_every_version_shares_the_intervals() {
    let holes: Vec<String> = (0..50).map(|i| format!("!=1.{i}")).collect();
    for text in [
        holes.join(","),
        "===1.0".to_string(),
        ">=1.0a1,<=2".to_string(),
    ] {
        let a = VersionSet::parse(&text).unwrap();
        for every in [VersionSet::full(), VersionSet::full().allow_prereleases()] {
            for met in [a.intersect(&every), every.intersect(&a)] {
                assert!(met.ivs.shares(&a.ivs), "{text}: shared, not copied");
                // What the general intersection gives.
                assert_eq!(met.ivs[..], intersect_ivs(&a.ivs, &every.ivs)[..], "{text}");
                assert_eq!(met.literals, a.literals, "{text}");
                assert_eq!(met.pre, a.pre || every.pre, "{text}");
            }
        }
    }
}
