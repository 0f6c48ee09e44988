//! A reader's clauses ([`Specifiers`]: packed where the version is a plain release, wide
//! otherwise, pep440_rs's for `===`) read
//! back, compare and build sets exactly as pep440_rs's `VersionSpecifiers` they come from,
//! over generated clauses mixing packed and full forms: plain releases in and out of
//! pep440_rs's small form, segments at and past 2^32, four segments, trailing zeros,
//! epochs, pre-, post- and dev releases, local labels, wildcards, `~=` and `===`.

use super::*;

use super::lcg::Lcg;

const RELEASES: &[&str] = &[
    "0",
    "1",
    "1.0",
    "1.0.0",
    "1.16",
    "1.300",
    "1.300.0",
    "1.299.7",
    "0.300.1",
    "2.0.1",
    "4294967295",
    "1.4294967295",
    "1.4294967296",
    "4294967296",
    "1.300.0.0",
    "1.2.3.4",
];
const SUFFIXES: &[&str] = &[
    "", "", "", "", "", "a1", "rc2", ".dev0", ".post0", ".post1", "+mkl", "+1.a",
];
const OPERATORS: &[&str] = &["==", "!=", ">=", "<=", ">", "<", "~=", "===", "==*", "!=*"];

/// A clause pep440_rs parses, or None when it refuses the combination (`~=1`, `<=1.*`).
fn clause(g: &mut Lcg) -> Option<String> {
    let epoch = if g.next() % 8 == 0 { "1!" } else { "" };
    let version = format!("{epoch}{}{}", g.pick(RELEASES), g.pick(SUFFIXES));
    let text = match g.pick(OPERATORS) {
        "==*" => format!("=={version}.*"),
        "!=*" => format!("!={version}.*"),
        op => format!("{op}{version}"),
    };
    VersionSpecifier::from_str(&text).ok().map(|_| text)
}

fn clauses(g: &mut Lcg, n: usize) -> Vec<String> {
    std::iter::from_fn(|| Some(clause(g)))
        .flatten()
        .take(n)
        .collect()
}

fn pep440(text: &str) -> VersionSpecifiers {
    VersionSpecifiers::from_str(text).unwrap_or_else(|e| panic!("`{text}`: {e}"))
}

#[test]
fn clauses_read_back_as_pep440_rs_parsed_them() {
    let mut g = Lcg(0xc1a5);
    let mut packed = 0;
    for _ in 0..3000 {
        let n = 1 + (g.next() % 4) as usize;
        let text = clauses(&mut g, n).join(",");
        let specs = pep440(&text);
        let ours = Specifiers::from(specs.clone());
        assert_eq!(ours.to_string(), specs.to_string(), "`{text}`");
        assert_eq!(ours.len(), specs.len());
        for (c, s) in ours.iter().zip(specs.iter()) {
            packed += usize::from(matches!(c.repr(), clauses::Repr::Packed(_)));
            assert_eq!(c.to_string(), s.to_string());
            assert_eq!(c.operator(), *s.operator());
            let (v, w) = (c.version(), s.version());
            assert_eq!(v.to_string(), w.to_string());
            assert_eq!(v.release(), w.release(), "{v}: as written");
        }
        // The set, built from the packed clauses and from pep440_rs's: the same intervals
        // (in the order), written the same way (`Display` builds every edge).
        let a = VersionSet::build_from_specifiers(&ours);
        let b = VersionSet::build_from_specifiers(&specs[..]);
        assert_eq!(a, b, "`{text}`");
        assert_eq!(a.to_string(), b.to_string(), "`{text}`");
        // `is_empty` asks a packed lower edge first: the same answer as the search.
        for set in [&a, &a.clone().allow_prereleases()] {
            assert_eq!(set.is_empty(), set.some_member().is_none(), "`{text}`");
        }
    }
    assert!(packed > 1000, "{packed} packed clauses");
}

#[test]
fn clauses_compare_as_pep440_rs_clauses() {
    let mut g = Lcg(0xe9);
    let pool: Vec<String> = clauses(&mut g, 400);
    let mut equal = 0;
    for a in pool.iter().step_by(3) {
        for b in &pool {
            let (x, y) = (pep440(a), pep440(b));
            let want = x == y;
            let (p, q) = (Specifiers::from(x.clone()), Specifiers::from(y.clone()));
            assert_eq!(p == q, want, "`{a}` == `{b}`");
            assert_eq!(p.same_spelling(&q), same_spelling(&x, &y), "`{a}` ~ `{b}`");
            equal += usize::from(want && a != b);
        }
    }
    // Equal clauses spelled differently (`==1.0`, `==1.0.0`) are among the cases.
    assert!(equal > 0, "{equal}");
}

#[test]
fn plain_lists_read_as_pep440_rs_reads_them() {
    let mut g = Lcg(0x91a1);
    let (mut read, mut left) = (0, 0);
    for _ in 0..3000 {
        let n = 1 + (g.next() % 5) as usize;
        let text = clauses(&mut g, n).join(",");
        let want = Specifiers::from(pep440(&text));
        match Specifiers::read_plain(&text) {
            Some(ours) => {
                read += 1;
                assert!(ours.same_spelling(&want), "`{text}`: {ours} / {want}");
                assert_eq!(ours.to_string(), want.to_string());
            }
            None => left += 1,
        }
    }
    // Texts the fast path leaves to pep440_rs: a space, a leading zero, a piece that is not
    // a clause.
    for text in [
        "!=1.0, !=1.1",
        "==01.2",
        ">=1.0,",
        "===1.0",
        "~=1",
        "<=1.*",
        "==1.2.3.4",
        "==1.4294967296",
        "==1.0a1",
        "",
    ] {
        assert!(Specifiers::read_plain(text).is_none(), "`{text}`");
    }
    assert!(read > 100 && left > 300, "{read} read, {left} left");
}

/// A packed clause is 16 bytes (a full one's box included in the 16), and a list of one
/// clause holds it inline: one allocation per requirement, its `Arc`.
#[test]
fn a_clause_is_sixteen_bytes_and_one_is_held_inline() {
    assert_eq!(std::mem::size_of::<Clause>(), 16);
    assert_eq!(std::mem::size_of::<Specifiers>(), 24);
    let one = Specifiers::from(pep440("!=1.300"));
    assert!(matches!(one.0, clauses::List::One(_)), "{one:?}");
    assert!(matches!(one[0].repr(), clauses::Repr::Packed(_)), "{one:?}");
    let many = Specifiers::from(pep440("!=1.300,>=1!2,===1.0"));
    assert_eq!(many.len(), 3);
    // Sorted by version: `===1.0`, `!=1.300`, `>=1!2`.
    assert!(matches!(many[0].repr(), clauses::Repr::Full(_)), "{many:?}");
    assert!(matches!(many[2].repr(), clauses::Repr::Wide(_)), "{many:?}");
}

/// Whether `text` is a list pep440_rs reads, asserting that `Specifiers::parse` reads it
/// too, into the same clauses written the same way, or refuses it too.
fn parses_as_pep440_rs(text: &str) -> bool {
    match (VersionSpecifiers::from_str(text), Specifiers::parse(text)) {
        (Ok(want), Some(ours)) => {
            let want = Specifiers::from(want);
            assert!(ours.same_spelling(&want), "`{text}`: {ours} / {want}");
            assert_eq!(ours.to_string(), want.to_string(), "`{text}`");
            true
        }
        (Err(_), None) => false,
        (want, ours) => panic!("`{text}`: pep440_rs {want:?}, ours {ours:?}"),
    }
}

/// `Specifiers::parse` accepts exactly the lists pep440_rs's `VersionSpecifiers::from_str`
/// accepts, and keeps the same clauses in the same order, written the same way: generated
/// lists joined with spaces, empty pieces and pieces that are not clauses.
#[test]
fn lists_parse_as_pep440_rs_parses_them() {
    const JOINS: &[&str] = &[",", ",", ", ", " , ", ",\t", ",,", ", ,"];
    const ODD: &[&str] = &[
        "", " ", "!=", "==1.*.0", ">=1+a", "~=1", "=1", "1.0", "!= 1.0 x",
    ];
    let mut g = Lcg(0x5eed);
    let (mut ok, mut refused) = (0, 0);
    for _ in 0..4000 {
        let n = 1 + (g.next() % 6) as usize;
        let mut pieces = clauses(&mut g, n);
        if g.next() % 5 == 0 {
            let at = (g.next() as usize) % (pieces.len() + 1);
            pieces.insert(at, g.pick(ODD).to_string());
        }
        let mut text = String::new();
        for (i, p) in pieces.iter().enumerate() {
            if i > 0 {
                text.push_str(g.pick(JOINS));
            }
            if g.next() % 4 == 0 {
                text.push(' ');
            }
            text.push_str(p);
        }
        if parses_as_pep440_rs(&text) {
            ok += 1;
        } else {
            refused += 1;
        }
    }
    assert!(ok > 1500 && refused > 300, "{ok} read, {refused} refused");
}

/// A local label read apart from its version (`Clause::read_local`) is read as pep440_rs
/// reads the whole clause: generated labels of mixed case, every separator, leading zeros,
/// numbers past `u64::MAX`, empty segments, stray `+`, `*` and spaces, after versions with
/// every kind of part and wildcards, on every operator.
#[test]
fn local_labels_read_as_pep440_rs_reads_them() {
    const OPS: &[&str] = &["==", "!=", " != ", "== ", "===", ">=", "<=", "~=", "<", "="];
    const HEADS: &[&str] = &[
        "1",
        "1.0",
        "v1.300rc1",
        "1!2.3.4.5",
        "1.0.post1.dev2",
        "1.*",
        "",
    ];
    const SEGMENTS: &[&str] = &[
        "a",
        "B",
        "0",
        "01",
        "9",
        "mkl",
        "CPU",
        "18446744073709551616",
    ];
    const SEPARATORS: &[&str] = &[".", "-", "_"];
    const ODD: &[&str] = &["", "+", "*", " ", "..", ".*", "é"];
    let mut g = Lcg(0x10ca1);
    let (mut ok, mut refused) = (0, 0);
    for _ in 0..6000 {
        let mut label = String::new();
        for i in 0..1 + g.next() % 4 {
            if i > 0 {
                label.push_str(g.pick(SEPARATORS));
            }
            label.push_str(g.pick(SEGMENTS));
        }
        if g.next() % 4 == 0 {
            let at = (g.next() as usize) % (label.len() + 1);
            label.insert_str(at, g.pick(ODD));
        }
        // No label at all (`==1.0+`, `!=1.0+ `): pep440_rs refuses it.
        if g.next() % 8 == 0 {
            label = g.pick(&["", " ", "\t"]).to_string();
        }
        let text = format!("{}{}+{label}", g.pick(OPS), g.pick(HEADS));
        if parses_as_pep440_rs(&text) {
            ok += 1;
        } else {
            refused += 1;
        }
    }
    assert!(ok > 1000 && refused > 1000, "{ok} read, {refused} refused");
}

/// A list that repeats a wide clause holds it once.
#[test]
fn a_repeated_wide_clause_is_held_once() {
    let text = ["!=1a", "!=2a", "!=1a", "!=3a+x", "!=1A", "!=3a+X"].join(",");
    let specs = Specifiers::parse(&text).unwrap();
    let wide = |c: &Clause| match c.repr() {
        clauses::Repr::Wide(w) => Arc::as_ptr(w),
        other => panic!("{other:?}"),
    };
    let distinct: std::collections::HashSet<_> = specs.iter().map(wide).collect();
    assert_eq!(distinct.len(), 3, "{specs:?}");
    assert_eq!(
        specs.to_string(),
        "!=1a0, !=1a0, !=1a0, !=2a0, !=3a0+x, !=3a0+x"
    );
}

/// A clause read in canonical form (`clauses::read_canonical`, no pep440_rs) is the clause
/// pep440_rs reads, held the same way; every spelling it does not take is left to pep440_rs
/// (leading zeros, `alpha`, `c`, `-1`, a missing number, `.*` after a suffix, a label on
/// `>=`, capitals), never read differently.
#[test]
fn canonical_clauses_read_as_pep440_rs_reads_them() {
    // Each part: a canonical spelling three times in four, else one pep440_rs reads
    // differently or refuses.
    const PARTS: [(&[&str], &[&str]); 7] = [
        (
            &["==", "!=", ">=", "<=", ">", "<", "~="],
            &["===", "=", " ==", "=>"],
        ),
        (&["", "", "1!", "7!"], &["01!", "0!", "!"]),
        (
            &[
                "1",
                "1.0",
                "0",
                "1.300",
                "1.300.0.0.5",
                "4294967296",
                "18446744073709551615",
            ],
            &["01.2", "18446744073709551616", "1.", "1..2", "v1"],
        ),
        (
            &["", "", "a1", "b2", "rc0", "a", "rc"],
            &["a01", "c1", "alpha1", "A1", "-rc1", "a."],
        ),
        (
            &["", "", ".post1", ".post0", ".post"],
            &[".post01", "-1", "post1", ".POST1", "-"],
        ),
        (
            &["", "", ".dev0", ".dev12", ".dev"],
            &["dev1", ".dev01", ".dev."],
        ),
        (
            &["", "", "+mkl", "+a.1", ".*"],
            &["+MKL.01", "+a..b", "+", "+a.*", " ", "+a_b-c"],
        ),
    ];
    let mut g = Lcg(0xca11);
    let (mut read, mut left) = (0, 0);
    for _ in 0..20_000 {
        let text: String = PARTS
            .iter()
            .map(|(good, odd)| {
                if g.next() % 4 == 0 {
                    g.pick(odd)
                } else {
                    g.pick(good)
                }
            })
            .collect();
        match clauses::read_canonical(&text) {
            Some(ours) => {
                read += 1;
                let spec = VersionSpecifier::from_str(&text)
                    .unwrap_or_else(|e| panic!("`{text}` read, pep440_rs refuses: {e}"));
                let want = Specifiers::from(VersionSpecifiers::from_iter([spec]));
                let ours: Specifiers = [ours].into_iter().collect();
                assert!(ours.same_spelling(&want), "`{text}`: {ours:?} / {want:?}");
            }
            None => left += 1,
        }
    }
    assert!(
        read > 1000 && left > 5000,
        "{read} read, {left} left to pep440_rs"
    );
}
