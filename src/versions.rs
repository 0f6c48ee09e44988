//! PEP 440 version sets with the exact semantics of Python `packaging` 26.3 (the version
//! pip 26.3 vendors).
//!
//! # Model
//!
//! A [`VersionSet`] is what pip admits for one package: a set of half-open intervals over
//! the PEP 440 total order, plus a pre-release flag `P`. Membership is
//! `SpecifierSet(s).contains(v, prereleases=P)`: `v` must lie in the intervals, and if `v`
//! is a pre-release (`a`/`b`/`rc` or `.dev`) then `P` must be true.
//!
//! The intervals are built from each specifier's operator and version by this module
//! (never via `pep440_rs`'s own `contains` or `From<VersionSpecifier> for Ranges`, which
//! disagree with packaging on local labels, `<V.postN`, `>V.postN`, epochs, wildcards and
//! `===`; see `/work/shared/CRATES.md`).
//!
//! # Bounds
//!
//! Every interval is `[lo, hi)`: `lo <= v < hi` in `pep440_rs`'s `Ord`. Some edges of PEP 440
//! ranges do not sit at a real version; they are encoded as *sentinel* versions that no
//! parser ever produces:
//!
//! * `V.with_max(Some(0))` ("`Vmax0`") sorts above `V`, `V+local` and every `V.postN`, and
//!   below anything else: packaging's `AFTER_POSTS(V)`, the lower edge of `>V`.
//! * `V` with an extra, empty local segment (`V+l` then `""`) sorts above `V+l` and below
//!   every real version above `V+l` (real local segments are never empty): the upper edge
//!   of the point `{V+l}` (`==V+l`, `===`).
//! * packaging's `AFTER_LOCALS(V)` (above `V` and every `V+local`) needs no sentinel: the
//!   next real version above it is known (`V.post0.dev0`, `V.postN+1.dev0` or
//!   `V.devN+1`), so it is encoded as that real version.
//!
//! An edge is a `Bound`. A plain release (one to three segments below 2^32, no epoch) with
//! one of the suffixes an edge needs (`V.dev0`, `V`, `V+""`, `V.post0.dev0`, `Vmax0`) is
//! held packed inline (`packed::Rel`), so most edges hold no pep440_rs `Version` at all.
//! Any other edge is a version and how the edge sits relative to it: the last two edges
//! above (after `V`'s locals, just above `V+l`) keep the clause's own version (an `Arc`
//! clone). Both forms are compared without being built (`OrderKey`, checked against the
//! built versions by `order_tests`), so a `!=V` hole allocates no version; they are built
//! only for the witness search and `Display`.
//!
//! Intersection, union and complement are plain set algebra on this extended order, so
//! they are exact on the real versions. An interval can be non-empty in the extended order
//! yet hold no real version (e.g. `[1.0a1max0, 1.0a2.dev0)`); every question about real
//! versions ([`VersionSet::is_empty`], the witnesses, [`VersionSet::is_subset`]) goes
//! through a witness search that is exact (see `find_in`).
//!
//! # `===`
//!
//! packaging compares `str(candidate).lower()` with the literal. Candidates here are
//! parsed [`Version`]s, whose string is the normalised form, so `===X` admits exactly one
//! version spelling: the version `X` parses to, when `X.lower()` is already that normalised
//! string. `===1.16.4` does not admit `1.16.4.0` (equal in PEP 440 order, a different
//! string); `===1.0-1` and `===foo` admit nothing. Such literal restrictions are kept per
//! version class beside the intervals.
//!
//! # Known edges
//!
//! `pep440_rs` stores numbers as `u64`; packaging's are unbounded. A post-release number of
//! `u64::MAX` ties with the `max` sentinel, and `>V.dev18446744073709551615` saturates.
//! Nobody publishes such versions.

use std::cmp::Ordering;
use std::fmt;
use std::str::FromStr;
use std::sync::Arc;

use pep440_rs::{
    LocalSegment, Operator, Prerelease, PrereleaseKind, Version, VersionSpecifier,
    VersionSpecifiers,
};

pub(crate) use clauses::canonical_number;
pub use clauses::{Clause, Specifiers};
use packed::{Rel, Suffix};
use wide::Wide;

/// Parse a comma-separated specifier list the way packaging's `SpecifierSet` splits it:
/// empty pieces (a trailing comma, `>=1,,<2`) are skipped. `===` with a string that is not
/// a version is rejected here (pep440_rs cannot represent it); use [`VersionSet::parse`],
/// which keeps such literals.
#[cfg(test)]
pub(crate) fn parse_specifiers(s: &str) -> Result<VersionSpecifiers, String> {
    let mut out = Vec::new();
    for piece in s.split(',') {
        let piece = piece.trim();
        if piece.is_empty() {
            continue;
        }
        out.push(VersionSpecifier::from_str(piece).map_err(|e| e.to_string())?);
    }
    Ok(VersionSpecifiers::from_iter(out))
}

/// A requirement's specifiers as a reader keeps them: shared (a clone copies no clause),
/// each clause on a plain release packed inline ([`Specifiers`]), and without the spare room
/// the parser's list grew to. Same clauses, same order.
pub(crate) fn shared_specifiers(specs: VersionSpecifiers) -> Arc<Specifiers> {
    Arc::new(Specifiers::from(specs))
}

/// How many of the highest pieces below a window [`VersionSet::outside`] keeps to search
/// for its witness below (more only when all of them hold no real version).
const BELOW_KEPT: usize = 16;

/// `items` written one after another with `sep` between them (a release's segments, a
/// list's clauses).
fn write_joined<T: fmt::Display>(
    f: &mut fmt::Formatter<'_>,
    items: impl IntoIterator<Item = T>,
    sep: &str,
) -> fmt::Result {
    for (i, item) in items.into_iter().enumerate() {
        if i > 0 {
            f.write_str(sep)?;
        }
        write!(f, "{item}")?;
    }
    Ok(())
}

/// A specifier list as readers keep it, read clause by clause ([`Specifiers::parse`]);
/// pep440_rs's error when it is not one (its message, as before).
pub(crate) fn read_specifiers(
    text: &str,
) -> Result<Arc<Specifiers>, pep440_rs::VersionSpecifiersParseError> {
    match Specifiers::parse(text) {
        Some(specs) => Ok(Arc::new(specs)),
        None => VersionSpecifiers::from_str(text).map(shared_specifiers),
    }
}

/// What is wrong with a specifier list, in one line: pep440_rs's `Display` of the error adds
/// the list and a line of carets under the bad part, which a JSON message, a GitHub
/// annotation or a concise line would carry as raw line breaks (the span points at it).
pub(crate) fn specifiers_error(e: &pep440_rs::VersionSpecifiersParseError) -> String {
    let text = e.to_string();
    let first = text.lines().next().unwrap_or_default();
    let first = first
        .strip_prefix("Failed to parse version: ")
        .unwrap_or(first);
    first.strip_suffix(':').unwrap_or(first).to_owned()
}

/// A specifier list a version set is built from: pep440_rs's, or a reader's shared one
/// (its set remembered with the list itself when it is long).
pub trait Clauses {
    fn version_set(&self) -> VersionSet;
}

impl Clauses for VersionSpecifiers {
    fn version_set(&self) -> VersionSet {
        VersionSet::from_specifiers(self)
    }
}

impl Clauses for Arc<Specifiers> {
    fn version_set(&self) -> VersionSet {
        VersionSet::from_shared(self)
    }
}

/// Specifier sets with at least this many clauses are remembered by
/// [`VersionSet::from_specifiers`] (smaller ones cost less to build than to compare).
const MEMO_MIN_CLAUSES: usize = 32;

/// How many large specifier sets [`VersionSet::from_specifiers`] remembers per thread (a
/// unit can hold a few long lists at once, and the evaluator asks for each once per target
/// environment and again for a fix).
const MEMO_ENTRIES: usize = 4;

thread_local! {
    /// The last large specifier sets converted, and their sets, most recent last. The
    /// clauses are held shared: a requirement's own list (`VersionSet::from_shared`) is
    /// not copied (a copy of a million clauses was 12-22 MB).
    static LAST_LARGE: Memo<Arc<Specifiers>> = const { std::cell::RefCell::new(Vec::new()) };

    /// The last large unions of alternatives built ([`VersionSet::union_of_shared`]), with
    /// the alternatives they were built from, most recent last.
    static LAST_UNIONS: Memo<Box<[Arc<Specifiers>]>> =
        const { std::cell::RefCell::new(Vec::new()) };
}

/// A per-thread memo of the last [`MEMO_ENTRIES`] large sets, by what they were built from.
type Memo<K> = std::cell::RefCell<Vec<(K, VersionSet)>>;

/// The set `memo` holds under a key `same` takes for the one asked about; else `build` of
/// the key `key` makes, remembered under it (the oldest entry forgotten).
fn remembered<K: 'static>(
    memo: &'static std::thread::LocalKey<Memo<K>>,
    same: impl Fn(&K) -> bool,
    key: impl FnOnce() -> K,
    build: impl FnOnce(&K) -> VersionSet,
) -> VersionSet {
    let known = memo.with(|m| {
        m.borrow()
            .iter()
            .find(|(k, _)| same(k))
            .map(|(_, set)| set.clone())
    });
    if let Some(set) = known {
        return set;
    }
    let key = key();
    let set = build(&key);
    memo.with(|m| {
        let mut m = m.borrow_mut();
        if m.len() >= MEMO_ENTRIES {
            m.remove(0);
        }
        m.push((key, set.clone()));
    });
    set
}

/// The same clauses, written the same way: operators and every part of every version
/// (`Version`'s `==` is PEP 440 equality, under which `1.0` and `1.0.0` are one version,
/// but a set keeps the spelling it was built from for its witnesses).
#[cfg(test)]
pub(crate) fn same_spelling(a: &VersionSpecifiers, b: &VersionSpecifiers) -> bool {
    a.len() == b.len()
        && a.iter()
            .zip(b.iter())
            .all(|(x, y)| same_spelling_clause(x, y))
}

/// One clause of [`same_spelling`].
fn same_spelling_clause(x: &VersionSpecifier, y: &VersionSpecifier) -> bool {
    let (v, w) = (x.version(), y.version());
    x.operator() == y.operator()
        && v.epoch() == w.epoch()
        && v.release() == w.release()
        && v.pre() == w.pre()
        && v.post() == w.post()
        && v.dev() == w.dev()
        && v.local() == w.local()
        && v.min() == w.min()
        && v.max() == w.max()
}

/// A set's intervals: one held inline (most requirements are one range or one point, and
/// then a set allocates nothing), more in a shared list (a clone of a set with a million
/// `!=` holes copies no interval). The list is the one the algebra built, moved, not copied
/// into a new allocation.
#[derive(Clone, Debug)]
enum Ivs {
    One(Interval),
    Many(Arc<Vec<Interval>>),
}

impl Ivs {
    fn none() -> Ivs {
        Ivs::Many(Arc::new(Vec::new()))
    }

    /// Whether a clone would be `self` without copying: the same inline interval or the
    /// same shared list.
    #[cfg(test)]
    fn shares(&self, other: &Ivs) -> bool {
        match (self, other) {
            (Ivs::One(a), Ivs::One(b)) => a == b,
            (Ivs::Many(a), Ivs::Many(b)) => Arc::ptr_eq(a, b),
            _ => false,
        }
    }
}

impl From<Vec<Interval>> for Ivs {
    fn from(mut v: Vec<Interval>) -> Ivs {
        if v.len() == 1 {
            if let Some(iv) = v.pop() {
                return Ivs::One(iv);
            }
        }
        // Held for as long as the set: no spare capacity (shrinking a large list moves no
        // interval).
        v.shrink_to_fit();
        Ivs::Many(Arc::new(v))
    }
}

impl std::ops::Deref for Ivs {
    type Target = [Interval];
    fn deref(&self) -> &[Interval] {
        match self {
            Ivs::One(iv) => std::slice::from_ref(iv),
            Ivs::Many(v) => v,
        }
    }
}

impl PartialEq for Ivs {
    fn eq(&self, other: &Ivs) -> bool {
        match (self, other) {
            // One list met with itself (a million holes) is not compared interval by
            // interval.
            (Ivs::Many(a), Ivs::Many(b)) if Arc::ptr_eq(a, b) => true,
            _ => self[..] == other[..],
        }
    }
}

impl Eq for Ivs {}

/// `[lo, hi)` over the extended order; `None` is -inf for `lo` and +inf for `hi`.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
struct Interval {
    lo: Option<Bound>,
    hi: Option<Bound>,
}

impl Interval {
    fn new(lo: Option<Bound>, hi: Option<Bound>) -> Interval {
        Interval { lo, hi }
    }

    fn contains(&self, v: &Version) -> bool {
        self.lo.as_ref().is_none_or(|l| l.cmp_version(v).is_le())
            && self.hi.as_ref().is_none_or(|h| h.cmp_version(v).is_gt())
    }
}

/// An interval edge: a version of the extended order. Most edges are a plain release with
/// one of a few suffixes (`>=1.300`, `!=1.300`'s `1.300.post0.dev0`, `<2`'s `2.dev0`): those
/// are held packed, inline ([`packed`]), with no pep440_rs `Version` behind them (a million
/// `!=` holes held 140 MB of them). Any other edge is a real version and how the edge sits
/// relative to it; its two sentinels that a `!=V`, `==V` or `<=V` clause needs
/// (`after_locals(V)`, `local_sentinel(V)`) are compared without being built, so such an
/// edge shares the clause's own version (an `Arc` clone).
///
/// The order, equality and hash are those of the version the edge stands for
/// ([`Bound::version`]), whatever its form; `versions::order_tests` checks them against
/// the built versions.
#[derive(Clone)]
enum Bound {
    /// `v` itself.
    At(Version),
    /// `after_locals(v)`: the least real version above `v` and every `v+local`.
    AfterLocals(Version),
    /// `local_sentinel(v)`: `v` with an empty local segment appended.
    LocalSentinel(Version),
    /// A plain release with a suffix. One variant per edge of a full version, not a
    /// version and an edge kind: a variant of one pointer leaves room for the packed
    /// release's tag, and the edge stays 16 bytes.
    Packed(Rel<Suffix>),
    /// The edges of a reader's clause held as a [`Wide`] (its hole's), sharing it: `v`
    /// itself, after its locals, its local sentinel, and for `!=v.*` the prefix's `.dev0`
    /// and the next prefix's `.dev0` (`wildcard_interval`).
    WideAt(Arc<Wide>),
    WideAfterLocals(Arc<Wide>),
    WideLocalSentinel(Arc<Wide>),
    WideWildLo(Arc<Wide>),
    WideWildHi(Arc<Wide>),
}

impl Bound {
    /// The edge at `v`, packed when `v` is a plain release (with a suffix packing holds).
    fn at(v: Version) -> Bound {
        match packed::pack(&v) {
            Some(rel) => Bound::Packed(rel),
            None => Bound::At(v),
        }
    }

    /// `after_locals(v)`; for a plain release `R`, the packed `R.post0.dev0`.
    fn after_locals(v: &Version) -> Bound {
        match packed::plain(v) {
            Some(rel) => Bound::Packed(rel.with(Suffix::PostDev0)),
            None => Bound::AfterLocals(v.clone()),
        }
    }

    /// `local_sentinel(v)`; for a plain release `R`, the packed `R+""`.
    fn local_sentinel(v: &Version) -> Bound {
        match packed::plain(v) {
            Some(rel) => Bound::Packed(rel.with(Suffix::LocalSentinel)),
            None => Bound::LocalSentinel(v.clone()),
        }
    }

    /// The version this edge stands for, built (witness search and display only).
    fn version(&self) -> Version {
        match self {
            Bound::At(v) => v.clone(),
            Bound::AfterLocals(v) => after_locals(v),
            Bound::LocalSentinel(v) => local_sentinel(v),
            Bound::Packed(rel) => rel.build(),
            Bound::WideAt(w) => w.version(),
            Bound::WideAfterLocals(w) => after_locals(&w.version()),
            Bound::WideLocalSentinel(w) => local_sentinel(&w.version()),
            Bound::WideWildLo(w) => Version::new(w.release())
                .with_epoch(w.epoch())
                .with_dev(Some(0)),
            Bound::WideWildHi(w) => next_prefix_dev0(w.epoch(), &w.release().collect::<Vec<_>>()),
        }
    }

    /// `f` of this edge's order key (a packed edge's release widened on the stack).
    fn with_key<R>(&self, f: impl FnOnce(&OrderKey<'_>) -> R) -> R {
        match self {
            Bound::At(v) => f(&OrderKey::of(v)),
            Bound::AfterLocals(v) => f(&OrderKey::after_locals(v)),
            Bound::LocalSentinel(v) => f(&OrderKey {
                local_sentinel: true,
                ..OrderKey::of(v)
            }),
            Bound::Packed(rel) => {
                let (segs, len) = rel.wide();
                let (post, dev, max) = match rel.kind {
                    Suffix::Dev0 => (None, Some(0), None),
                    Suffix::Final | Suffix::LocalSentinel => (None, None, None),
                    Suffix::PostDev0 => (Some(0), Some(0), None),
                    Suffix::Max0 => (None, None, Some(0)),
                };
                f(&OrderKey {
                    epoch: 0,
                    release: Release::Slice(&segs[..len]),
                    suffix: suffix_rank(None, post, dev, None, max),
                    local: Local::Segments(&[]),
                    local_sentinel: rel.kind == Suffix::LocalSentinel,
                })
            }
            Bound::WideAt(w) => f(&OrderKey::of_wide(w)),
            Bound::WideAfterLocals(w) => f(&OrderKey::after_locals_wide(w)),
            Bound::WideLocalSentinel(w) => f(&OrderKey {
                local_sentinel: true,
                ..OrderKey::of_wide(w)
            }),
            Bound::WideWildLo(w) | Bound::WideWildHi(w) => f(&OrderKey {
                epoch: w.epoch(),
                release: Release::Wide(w, matches!(self, Bound::WideWildHi(_))),
                suffix: suffix_rank(None, None, Some(0), None, None),
                local: Local::Segments(&[]),
                local_sentinel: false,
            }),
        }
    }

    /// How the edge is held, for test messages.
    #[cfg(test)]
    fn form(&self) -> String {
        match self {
            Bound::At(v) => format!("at {v}"),
            Bound::AfterLocals(v) => format!("after the locals of {v}"),
            Bound::LocalSentinel(v) => format!("local sentinel of {v}"),
            Bound::Packed(rel) => format!("packed {:?} of {rel}", rel.kind),
            Bound::WideAt(w) => format!("wide {w:?}"),
            Bound::WideAfterLocals(w) => format!("after the locals of wide {w:?}"),
            Bound::WideLocalSentinel(w) => format!("local sentinel of wide {w:?}"),
            Bound::WideWildLo(w) => format!("wildcard start of wide {w:?}"),
            Bound::WideWildHi(w) => format!("wildcard end of wide {w:?}"),
        }
    }

    /// This edge against a version, in `Version`'s order. A packed edge is decided by the
    /// epoch and release alone unless they tie (no key is made for either side).
    fn cmp_version(&self, v: &Version) -> Ordering {
        match self {
            Bound::At(b) => b.cmp(v),
            Bound::Packed(rel) => {
                let (segs, len) = rel.wide();
                0.cmp(&v.epoch())
                    .then_with(|| cmp_release(&segs[..len], v.release()))
                    .then_with(|| self.with_key(|k| k.cmp(&OrderKey::of(v))))
            }
            _ => self.with_key(|k| k.cmp(&OrderKey::of(v))),
        }
    }
}

impl Ord for Bound {
    fn cmp(&self, other: &Bound) -> Ordering {
        match (self, other) {
            (Bound::At(a), Bound::At(b)) => a.cmp(b),
            (Bound::Packed(a), Bound::Packed(b)) => a.cmp_padded(b).then(a.kind.cmp(&b.kind)),
            _ => self.with_key(|a| other.with_key(|b| a.cmp(b))),
        }
    }
}

impl PartialOrd for Bound {
    fn partial_cmp(&self, other: &Bound) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl PartialEq for Bound {
    /// Equality in the order, as `Version`'s `==` (`1.0` and `1.0.0` are one edge).
    fn eq(&self, other: &Bound) -> bool {
        self.cmp(other).is_eq()
    }
}

impl Eq for Bound {}

impl std::hash::Hash for Bound {
    /// The epoch and the release without trailing zeros: edges equal in the order share
    /// them (an edge's sentinel keeps its version's release, a packed edge is epoch 0 and
    /// its release widened), so the hash agrees with `==`.
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.with_key(|k| {
            k.epoch.hash(state);
            let len = (0..k.release.len())
                .rposition(|i| k.release.get(i) != 0)
                .map_or(0, |i| i + 1);
            len.hash(state);
            for i in 0..len {
                k.release.get(i).hash(state);
            }
        });
    }
}

impl fmt::Debug for Bound {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&self.version(), f)
    }
}

/// What `pep440_rs` orders a version by, borrowed from a version and adjusted for a sentinel
/// edge: epoch, release (zero-padded), the suffix rank of its `sortable_tuple` (min, dev,
/// a/b/rc, final, post; `max` as post `u64::MAX`), then local segments, with an empty string
/// segment appended when `local_sentinel`.
#[derive(Clone, Copy)]
struct OrderKey<'a> {
    epoch: u64,
    release: Release<'a>,
    suffix: (u64, u64, Option<u64>, u64),
    local: Local<'a>,
    local_sentinel: bool,
}

/// A key's release: a version's own segments, or a [`Wide`]'s (with the last segment raised
/// by one, saturating, for the next prefix of a wildcard).
#[derive(Clone, Copy)]
enum Release<'a> {
    Slice(&'a [u64]),
    Wide(&'a Wide, bool),
}

impl Release<'_> {
    fn len(&self) -> usize {
        match self {
            Release::Slice(s) => s.len(),
            Release::Wide(w, _) => w.release_len(),
        }
    }

    /// Segment `i`, zero past the end.
    fn get(&self, i: usize) -> u64 {
        match *self {
            Release::Slice(s) => s.get(i).copied().unwrap_or(0),
            Release::Wide(w, bump) if i < w.release_len() => {
                let n = w.segment(i);
                if bump && i + 1 == w.release_len() {
                    n.saturating_add(1)
                } else {
                    n
                }
            }
            Release::Wide(..) => 0,
        }
    }
}

/// A key's local label: a version's segments, or a [`Wide`]'s text (`mkl.1`).
#[derive(Clone, Copy)]
enum Local<'a> {
    Segments(&'a [LocalSegment]),
    Text(&'a [u8]),
}

/// One local segment as compared: a number, or a string (the sentinel's is empty).
#[derive(Clone, Copy, PartialEq, Eq)]
enum Seg<'a> {
    Num(u64),
    Str(&'a [u8]),
}

impl Ord for Seg<'_> {
    /// pep440_rs's `LocalSegment` order: numbers by value, strings by bytes, strings first.
    fn cmp(&self, other: &Self) -> Ordering {
        match (self, other) {
            (Seg::Num(a), Seg::Num(b)) => a.cmp(b),
            (Seg::Str(a), Seg::Str(b)) => a.cmp(b),
            (Seg::Str(_), Seg::Num(_)) => Ordering::Less,
            (Seg::Num(_), Seg::Str(_)) => Ordering::Greater,
        }
    }
}

impl PartialOrd for Seg<'_> {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl<'a> Local<'a> {
    /// The segments in order.
    fn segments(self) -> impl Iterator<Item = Seg<'a>> {
        let (segs, text): (&[LocalSegment], &[u8]) = match self {
            Local::Segments(s) => (s, &[]),
            Local::Text(t) => (&[], t),
        };
        let from_segs = segs.iter().map(|s| match s {
            LocalSegment::Number(n) => Seg::Num(*n),
            LocalSegment::String(t) => Seg::Str(t.as_bytes()),
        });
        let from_text = text
            .split(|&b| b == b'.')
            .filter(move |_| !text.is_empty())
            .map(|t| wide::local_number(t).map_or(Seg::Str(t), Seg::Num));
        from_segs.chain(from_text)
    }
}

impl<'a> OrderKey<'a> {
    fn of(v: &'a Version) -> OrderKey<'a> {
        OrderKey {
            epoch: v.epoch(),
            release: Release::Slice(v.release()),
            suffix: suffix_rank(v.pre(), v.post(), v.dev(), v.min(), v.max()),
            local: Local::Segments(v.local()),
            local_sentinel: false,
        }
    }

    /// The key of the version a [`Wide`] holds.
    fn of_wide(w: &'a Wide) -> OrderKey<'a> {
        OrderKey {
            epoch: w.epoch(),
            release: Release::Wide(w, false),
            suffix: suffix_rank(w.pre(), w.post(), w.dev(), None, None),
            local: Local::Text(w.local()),
            local_sentinel: false,
        }
    }

    /// [`OrderKey::after_locals`] of the version a [`Wide`] holds.
    fn after_locals_wide(w: &'a Wide) -> OrderKey<'a> {
        let (post, dev) = after_locals_suffix(w.post(), w.dev());
        OrderKey {
            epoch: w.epoch(),
            release: Release::Wide(w, false),
            suffix: suffix_rank(w.pre(), post, dev, None, None),
            local: Local::Segments(&[]),
            local_sentinel: false,
        }
    }

    /// The key of `after_locals(v)`, field for field as that function builds it (the
    /// saturating additions included).
    fn after_locals(v: &'a Version) -> OrderKey<'a> {
        let (post, dev) = after_locals_suffix(v.post(), v.dev());
        OrderKey {
            epoch: v.epoch(),
            release: Release::Slice(v.release()),
            suffix: suffix_rank(v.pre(), post, dev, v.min(), v.max()),
            local: Local::Segments(&[]),
            local_sentinel: false,
        }
    }

    fn cmp(&self, other: &OrderKey<'_>) -> Ordering {
        self.epoch
            .cmp(&other.epoch)
            .then_with(|| match (self.release, other.release) {
                (Release::Slice(a), Release::Slice(b)) => cmp_release(a, b),
                (a, b) => (0..a.len().max(b.len()))
                    .map(|i| a.get(i).cmp(&b.get(i)))
                    .find(|o| o.is_ne())
                    .unwrap_or(Ordering::Equal),
            })
            .then_with(|| self.suffix.cmp(&other.suffix))
            .then_with(|| self.cmp_local(other))
    }

    /// Local segments compared as slices (a prefix sorts first), the sentinel's empty
    /// string segment included.
    fn cmp_local(&self, other: &OrderKey<'_>) -> Ordering {
        self.locals().cmp(other.locals())
    }

    /// The local segments, then the sentinel's empty string segment when it is one.
    fn locals(&self) -> impl Iterator<Item = Seg<'a>> {
        let sentinel: &'a [u8] = &[];
        self.local
            .segments()
            .chain(self.local_sentinel.then_some(Seg::Str(sentinel)))
    }
}

/// Two clauses' versions in pep440_rs's order (`VersionSpecifiers` sorts by it), compared
/// without building either.
fn cmp_clause_versions(a: &Clause, b: &Clause) -> Ordering {
    clause_key(a, |x| clause_key(b, |y| x.cmp(y)))
}

/// `f` of the order key of a clause's version.
fn clause_key<R>(c: &Clause, f: impl FnOnce(&OrderKey<'_>) -> R) -> R {
    match c.repr() {
        clauses::Repr::Packed(rel) => {
            let (segs, len) = rel.wide();
            f(&OrderKey {
                epoch: 0,
                release: Release::Slice(&segs[..len]),
                suffix: suffix_rank(None, None, None, None, None),
                local: Local::Segments(&[]),
                local_sentinel: false,
            })
        }
        clauses::Repr::Wide(w) => f(&OrderKey::of_wide(w)),
        clauses::Repr::Full(spec) => f(&OrderKey::of(spec.version())),
    }
}

/// The post and dev numbers of `after_locals` of a version with these (its saturating
/// additions included).
fn after_locals_suffix(post: Option<u64>, dev: Option<u64>) -> (Option<u64>, Option<u64>) {
    match dev {
        Some(dev) => (post, Some(dev.saturating_add(1))),
        None => (Some(post.map_or(0, |p| p.saturating_add(1))), Some(0)),
    }
}

/// Release segments, the shorter padded with zeros.
fn cmp_release(a: &[u64], b: &[u64]) -> Ordering {
    let n = a.len().max(b.len());
    (0..n)
        .map(|i| {
            a.get(i)
                .copied()
                .unwrap_or(0)
                .cmp(&b.get(i).copied().unwrap_or(0))
        })
        .find(|o| o.is_ne())
        .unwrap_or(Ordering::Equal)
}

/// The rank of a version's suffix in `pep440_rs`'s order, after its release: a `min`
/// sentinel first, then `.devN` alone, then `aN`, `bN`, `rcN` (each with its post and dev),
/// then the final release, then `.postN` (with its dev). A missing dev sorts as `u64::MAX`,
/// after every dev release; a `max` sentinel counts as post `u64::MAX`.
fn suffix_rank(
    pre: Option<Prerelease>,
    post: Option<u64>,
    dev: Option<u64>,
    min: Option<u64>,
    max: Option<u64>,
) -> (u64, u64, Option<u64>, u64) {
    let post = if max.is_some() { Some(u64::MAX) } else { post };
    if let Some(n) = min {
        return (0, 0, post, n);
    }
    match (pre, post, dev) {
        (None, None, Some(n)) => (1, 0, None, n),
        (Some(p), post, dev) => {
            let kind = match p.kind {
                PrereleaseKind::Alpha => 2,
                PrereleaseKind::Beta => 3,
                PrereleaseKind::Rc => 4,
            };
            (kind, p.number, post, dev.unwrap_or(u64::MAX))
        }
        (None, None, None) => (5, 0, None, 0),
        (None, Some(post), dev) => (6, 0, Some(post), dev.unwrap_or(u64::MAX)),
    }
}

/// The only spellings of one version class (PEP 440-equal versions) that a set admits;
/// produced by `===`.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
struct Literal {
    class: Version,
    /// Sorted, deduplicated, lowercase, non-empty.
    reprs: Vec<String>,
}

/// A set of PEP 440 versions as pip admits them for one package: the intersection of
/// specifier sets, with packaging's pre-release rule (`SpecifierSet.prereleases`, or
/// `--pre`) applied as a filter on top of the pure interval set.
///
/// `PartialEq` is structural: two sets that admit the same versions may compare unequal.
/// Equal sets admit the same versions; `Hash` agrees with `PartialEq` (the evaluator's memo
/// keys on it).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VersionSet {
    /// Sorted, disjoint, non-adjacent, each non-empty in the extended order. One inline,
    /// more shared: a clone of a set with a million holes copies no interval.
    ivs: Ivs,
    /// packaging's `prereleases`, resolved to a bool (`None` counts as false).
    pre: bool,
    /// Sorted by class; every class lies inside `ivs`. Rare (`===`): no spare room.
    literals: Box<[Literal]>,
}

/// Where the versions a set admits outside a window lie, one witness per side.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Outside {
    /// Admitted, and below the window's lowest version (below its lower edge).
    pub below: Option<Version>,
    /// Admitted, outside the window, but between its lowest and highest versions (a hole
    /// such as the one `!=1.16.2` punches).
    pub gap: Option<Version>,
    /// Admitted, and above every version of the window (at or past its upper edge). When
    /// the window is empty, every outside version counts as above.
    pub above: Option<Version>,
}

impl Outside {
    /// Whether nothing lies outside.
    pub fn is_none(&self) -> bool {
        self.below.is_none() && self.gap.is_none() && self.above.is_none()
    }
}

/// How many intervals at each end of a set [`Hash`] reads.
const HASH_EDGE_INTERVALS: usize = 4;

impl std::hash::Hash for VersionSet {
    /// A summary that agrees with `PartialEq`: the flag, the literals, the number of
    /// intervals and those at both ends. Equal sets hash alike; a set with a million `!=`
    /// holes is not read whole each time a memo looks it up (that was a third of the time
    /// of an 8 MiB line of `!=` clauses). Sets that differ only inside hash alike, and the
    /// lookup's equality test tells them apart.
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.pre.hash(state);
        self.literals.hash(state);
        let n = self.ivs.len();
        n.hash(state);
        if n <= 2 * HASH_EDGE_INTERVALS {
            self.ivs[..].hash(state);
        } else {
            self.ivs[..HASH_EDGE_INTERVALS].hash(state);
            self.ivs[n - HASH_EDGE_INTERVALS..].hash(state);
        }
    }
}

impl VersionSet {
    /// Every version (a bare `numpy`). Pre-releases not named.
    pub fn full() -> VersionSet {
        VersionSet {
            ivs: Ivs::One(Interval::new(None, None)),
            pre: false,
            literals: Box::default(),
        }
    }

    /// No version at all.
    pub fn empty() -> VersionSet {
        VersionSet {
            ivs: Ivs::none(),
            pre: false,
            literals: Box::default(),
        }
    }

    /// `SpecifierSet(specs)`, admitted as `contains(v, prereleases=S.prereleases)`.
    ///
    /// The holes that `!=` clauses punch are united in one sort and complemented once
    /// (the intersection of complements is the complement of the union), so a million
    /// `!=` clauses cost one sort of a million intervals, not a million sets intersected.
    /// A set with `===` clauses (literal spellings) is intersected clause by clause.
    ///
    /// A large set (many clauses) is remembered, per thread, with the clauses it was built
    /// from: the evaluator asks for one requirement's set once per target environment, and
    /// the answer is then a comparison of the clauses (spelling included) and a shared clone.
    pub fn from_specifiers(specs: &VersionSpecifiers) -> VersionSet {
        if specs.len() < MEMO_MIN_CLAUSES {
            return VersionSet::build_from_specifiers(specs);
        }
        // Looked up before the list is packed: a Requires-Python of 400k clauses asked
        // once per Python packed a copy on each call.
        remembered(
            &LAST_LARGE,
            |k| k.spelled_as(specs),
            || Arc::new(Specifiers::from(specs.clone())),
            |k| VersionSet::build_from_specifiers(k),
        )
    }

    /// [`VersionSet::from_specifiers`] of a requirement's shared list: remembered with the
    /// list itself (another `Arc`), not a copy of its clauses.
    pub fn from_shared(specs: &Arc<Specifiers>) -> VersionSet {
        if specs.len() < MEMO_MIN_CLAUSES {
            return VersionSet::build_from_specifiers(specs);
        }
        remembered(
            &LAST_LARGE,
            |k| Arc::ptr_eq(k, specs) || k.same_spelling(specs),
            || specs.clone(),
            |k| VersionSet::build_from_specifiers(k),
        )
    }

    /// The union of a requirement's alternatives (Poetry `||`, conda `|`), in their order.
    /// When they hold [`MEMO_MIN_CLAUSES`] clauses or more, the union is remembered with
    /// the alternatives (shared, not copied), as [`VersionSet::from_shared`] remembers one
    /// list: the evaluator asks for a requirement's set once per target environment and
    /// again for a fix, and each call made a new list of a long alternative's holes (25 MB
    /// for 8 MiB of `!=N+a` clauses, alive beside the last one; issue 15 §4). The
    /// alternatives' own sets are built and dropped, not remembered: only the union is
    /// asked for again.
    pub fn union_of_shared(alternatives: &[Arc<Specifiers>]) -> VersionSet {
        let build = |alternatives: &[Arc<Specifiers>]| {
            let mut sets = alternatives
                .iter()
                .map(|a| VersionSet::build_from_specifiers(a));
            let first = sets.next().unwrap_or_else(VersionSet::empty);
            sets.fold(first, |acc, s| acc.union(&s))
        };
        let clauses: usize = alternatives.iter().map(|a| a.len()).sum();
        if clauses < MEMO_MIN_CLAUSES {
            return build(alternatives);
        }
        remembered(
            &LAST_UNIONS,
            |k| {
                k.len() == alternatives.len()
                    && k.iter()
                        .zip(alternatives)
                        .all(|(a, b)| Arc::ptr_eq(a, b) || a.same_spelling(b))
            },
            || alternatives.into(),
            |k| build(k),
        )
    }

    /// The set of a list of clauses, pep440_rs's or a reader's packed ones.
    fn build_from_specifiers<C: ClauseSet>(specs: &[C]) -> VersionSet {
        if specs.iter().any(|s| s.op() == Operator::ExactEqual) {
            return VersionSet::intersect_all(specs.iter().map(ClauseSet::set));
        }
        // One slot more than the holes: their complement can be one interval longer, and
        // is built in the same list.
        let is_hole = |s: &C| matches!(s.op(), Operator::NotEqual | Operator::NotEqualStar);
        // A clause written again right after itself (the list is sorted by version) cuts
        // the same hole: one is kept (1.6M `!=1a` clauses made a list of 51 MB to merge).
        let distinct = || {
            specs
                .iter()
                .enumerate()
                .filter(|&(i, s)| is_hole(s) && !(i > 0 && s.same_clause(&specs[i - 1])))
        };
        let n_holes = distinct().count();
        let mut holes = Vec::with_capacity(if n_holes == 0 { 0 } else { n_holes + 1 });
        holes.extend(distinct().map(|(_, s)| s.hole()));
        // `!=` names no pre-release (`specifier_names_prerelease`).
        let holes = (!holes.is_empty()).then(|| VersionSet {
            ivs: complement_in_place(union_sorted(holes)).into(),
            pre: false,
            literals: Box::default(),
        });
        // The other clauses' sets as the intersection meets them, not gathered first (a
        // list of 640k `>=` clauses held 640k sets at once), then the holes'.
        let rest = specs.iter().filter(|s| !is_hole(s)).map(ClauseSet::set);
        VersionSet::intersect_all(rest.chain(holes))
    }

    /// The intersection of many sets (full for none). Intersected pairwise in a balanced
    /// tree: folding one set at a time costs time proportional to the square of the number
    /// of clauses when each one adds a hole (`!=1.1, !=1.2, ...`), the tree keeps it at
    /// n log n.
    ///
    /// The tree is built as the sets arrive, like a binary counter: a stack of the
    /// intersections of blocks of 2^k consecutive sets, two equal blocks met as soon as the
    /// second is complete, the remaining blocks met from the right at the end. That is the
    /// tree of meeting neighbours level by level (pairs, then pairs of pairs, an odd one
    /// carried up), the same operands in the same order, so the same result to the
    /// spelling of each edge; but only O(log n) sets are held, not a list of all of them
    /// (520k requirements written differently: a level was 25 MB).
    pub fn intersect_all(sets: impl IntoIterator<Item = VersionSet>) -> VersionSet {
        // (how many sets the block holds, their intersection), sizes strictly decreasing.
        let mut stack: Vec<(usize, VersionSet)> = Vec::new();
        for set in sets {
            let mut block = (1, set);
            while stack.last().is_some_and(|(n, _)| *n == block.0) {
                let Some((n, left)) = stack.pop() else { break };
                block = (n + block.0, left.intersect(&block.1));
            }
            stack.push(block);
        }
        let mut acc = match stack.pop() {
            Some((_, set)) => set,
            None => return VersionSet::full(),
        };
        while let Some((_, left)) = stack.pop() {
            acc = left.intersect(&acc);
        }
        acc
    }

    /// One clause. A `===` clause is taken from the parsed version's normalised string,
    /// because `VersionSpecifier` keeps no source text; use [`VersionSet::parse`] or
    /// [`VersionSet::arbitrary_equal`] when the literal text is at hand.
    pub(crate) fn from_specifier(spec: &VersionSpecifier) -> VersionSet {
        let v = spec.version();
        let op = *spec.operator();
        if op == Operator::ExactEqual {
            return VersionSet::arbitrary_equal(&v.to_string());
        }
        VersionSet {
            ivs: specifier_intervals(op, v).into(),
            pre: specifier_names_prerelease(op, v),
            literals: Box::default(),
        }
    }

    /// `===text`: admits the one version whose normalised string equals `text` ignoring
    /// ASCII case (packaging: `str(item).lower() == spec.lower()`). Its `prereleases` is
    /// packaging's: the parsed version's pre-release status, false when `text` is not a
    /// version.
    pub(crate) fn arbitrary_equal(text: &str) -> VersionSet {
        let lower = text.to_ascii_lowercase();
        match Version::from_str(text) {
            Ok(v) => {
                let pre = v.any_prerelease();
                if v.to_string() == lower {
                    VersionSet {
                        ivs: Ivs::One(point(&v)),
                        pre,
                        literals: Box::new([Literal {
                            class: v,
                            reprs: vec![lower],
                        }]),
                    }
                } else {
                    VersionSet {
                        pre,
                        ..VersionSet::empty()
                    }
                }
            }
            Err(_) => VersionSet::empty(),
        }
    }

    /// Parse a specifier list with packaging's `SpecifierSet` rules (comma-separated, empty
    /// pieces skipped, `===` compared as text) into the set it admits.
    pub fn parse(s: &str) -> Result<VersionSet, String> {
        let mut clauses = Vec::new();
        for piece in s.split(',') {
            let piece = piece.trim();
            if piece.is_empty() {
                continue;
            }
            let clause = if let Some(rest) = piece.strip_prefix("===") {
                let text = rest.trim_start();
                // packaging: `===\s*[^\s;)]*`
                if text.contains(|c: char| c.is_whitespace() || c == ';' || c == ')') {
                    return Err(format!("invalid specifier: `{piece}`"));
                }
                VersionSet::arbitrary_equal(text)
            } else {
                let spec = VersionSpecifier::from_str(piece).map_err(|e| e.to_string())?;
                VersionSet::from_specifier(&spec)
            };
            clauses.push(clause);
        }
        Ok(VersionSet::intersect_all(clauses))
    }

    /// Exactly one version (a lockfile pin); admits it even when it is a pre-release.
    /// Unlike `==V` it does not admit `V+local` when `V` has no local label; PEP 440-equal
    /// spellings (`1.16.4.0` for `1.16.4`) are admitted.
    pub(crate) fn exact(v: &Version) -> VersionSet {
        VersionSet {
            ivs: Ivs::One(point(v)),
            pre: v.any_prerelease(),
            literals: Box::default(),
        }
    }

    /// Intersection as pip combines specifier sets (`SpecifierSet.__and__`): intervals
    /// intersected, pre-releases allowed if either side allows them.
    pub fn intersect(&self, other: &VersionSet) -> VersionSet {
        // A set met with itself (750k lines of one requirement) is itself: no new intervals.
        if self == other {
            return self.clone();
        }
        // A set met with every version (no Requires-Python, no other clause) keeps its
        // intervals and literals: shared, not copied (a million `!=` holes).
        for (set, every) in [(self, other), (other, self)] {
            if every.is_every_version() {
                return VersionSet {
                    pre: set.pre || every.pre,
                    ..set.clone()
                };
            }
        }
        let mut ivs = intersect_ivs(&self.ivs, &other.ivs);
        let mut literals = Vec::new();
        if !self.literals.is_empty() || !other.literals.is_empty() {
            for class in literal_classes(&self.literals, &other.literals) {
                if !ivs_contain(&ivs, &class) {
                    continue;
                }
                let reprs = match (
                    find_lit(&self.literals, &class),
                    find_lit(&other.literals, &class),
                ) {
                    (Some(a), Some(b)) => a.iter().filter(|r| b.contains(r)).cloned().collect(),
                    (Some(a), None) | (None, Some(a)) => a.to_vec(),
                    (None, None) => continue,
                };
                if reprs.is_empty() {
                    ivs = intersect_ivs(&ivs, &complement_ivs(&[point(&class)]));
                } else {
                    literals.push(Literal { class, reprs });
                }
            }
        }
        VersionSet {
            ivs: ivs.into(),
            pre: self.pre || other.pre,
            literals: literals.into(),
        }
    }

    /// Union (Poetry `||`, conda `|`). The intervals are united exactly. The result's
    /// pre-release flag is `P1 || P2`: exact when both sides agree; when only one side
    /// admits pre-releases, the union also admits the other side's pre-releases (an
    /// over-approximation that never drops a version either side admits).
    pub fn union(&self, other: &VersionSet) -> VersionSet {
        let ivs = union_ivs(&self.ivs, &other.ivs);
        let mut literals = Vec::new();
        for class in literal_classes(&self.literals, &other.literals) {
            // None: all spellings; Some(list): only these (an empty list: none).
            let side = |s: &VersionSet| -> Option<Vec<String>> {
                match find_lit(&s.literals, &class) {
                    Some(r) => Some(r.to_vec()),
                    None if ivs_contain(&s.ivs, &class) => None,
                    None => Some(Vec::new()),
                }
            };
            if let (Some(mut a), Some(b)) = (side(self), side(other)) {
                a.extend(b);
                a.sort();
                a.dedup();
                literals.push(Literal { class, reprs: a });
            }
        }
        VersionSet {
            ivs: ivs.into(),
            pre: self.pre || other.pre,
            literals: literals.into(),
        }
    }

    /// One interval holding every version, and no `===` literal: [`VersionSet::full`],
    /// whatever its pre-release flag.
    fn is_every_version(&self) -> bool {
        self.literals.is_empty() && matches!(&self.ivs[..], [Interval { lo: None, hi: None }])
    }

    /// Force pre-releases allowed (`--pre`).
    pub fn allow_prereleases(mut self) -> VersionSet {
        self.pre = true;
        self
    }

    /// Whether pre-releases are admitted (packaging's `prereleases` resolved).
    pub fn prereleases(&self) -> bool {
        self.pre
    }

    /// `S.contains(v, prereleases=P)`.
    pub fn contains(&self, v: &Version) -> bool {
        (self.pre || !v.any_prerelease()) && self.contains_any(v)
    }

    /// `S.contains(v, prereleases=True)`: interval membership (windows use this).
    pub fn contains_any(&self, v: &Version) -> bool {
        if !ivs_contain(&self.ivs, v) {
            return false;
        }
        match find_lit(&self.literals, v) {
            None => true,
            Some(reprs) => {
                let s = v.to_string();
                reprs.contains(&s)
            }
        }
    }

    /// The positions `start..end` of the items of a sorted sequence (`n` items, ascending by
    /// the version `at(i)`) that lie in the set's intervals: ascending, disjoint, empty ones
    /// left out. Two binary searches per interval, so finding what a set admits out of a
    /// release list costs O(intervals × log n) plus the admitted items; with more intervals
    /// than items, one binary search per item instead. An item in a span is in the
    /// intervals; whether the set admits it is then [`VersionSet::admits_in_span`].
    pub fn spans<'v>(
        &self,
        n: usize,
        at: impl Fn(usize) -> &'v Version,
    ) -> Vec<std::ops::Range<usize>> {
        // The first position whose version is not below `edge` (n when none).
        let first_not_below = |edge: &Bound, from: usize| {
            let (mut lo, mut hi) = (from, n);
            while lo < hi {
                let mid = lo + (hi - lo) / 2;
                if edge.cmp_version(at(mid)).is_gt() {
                    lo = mid + 1;
                } else {
                    hi = mid;
                }
            }
            lo
        };
        let mut out: Vec<std::ops::Range<usize>> = Vec::new();
        if self.ivs.len() > n {
            // More intervals than items (a million `!=` holes): ask each item instead,
            // O(n log intervals), and join the runs of members.
            for i in 0..n {
                if !ivs_contain(&self.ivs, at(i)) {
                    continue;
                }
                match out.last_mut() {
                    Some(run) if run.end == i => run.end = i + 1,
                    _ => out.push(i..i + 1),
                }
            }
            return out;
        }
        let mut from = 0;
        for iv in self.ivs.iter() {
            let start = iv.lo.as_ref().map_or(from, |l| first_not_below(l, from));
            let end = iv.hi.as_ref().map_or(n, |h| first_not_below(h, start));
            if start < end {
                out.push(start..end);
            }
            from = end;
            if from == n {
                break;
            }
        }
        out
    }

    /// Membership of a version known to lie in the set's intervals (an item of
    /// [`VersionSet::spans`]): `contains` when `any_prerelease` is false, `contains_any`
    /// when true, without searching the intervals again.
    pub fn admits_in_span(&self, v: &Version, any_prerelease: bool) -> bool {
        if !any_prerelease && !self.pre && v.any_prerelease() {
            return false;
        }
        if self.literals.is_empty() {
            return true;
        }
        match find_lit(&self.literals, v) {
            None => true,
            Some(reprs) => reprs.contains(&v.to_string()),
        }
    }

    /// The releases `self` admits (with its pre-release rule), in input order.
    pub fn filter_releases<'a, I>(&'a self, releases: I) -> impl Iterator<Item = &'a Version> + 'a
    where
        I: IntoIterator<Item = &'a Version>,
        I::IntoIter: 'a,
    {
        releases.into_iter().filter(move |v| self.contains(v))
    }

    /// No PEP 440 version is admitted (with the pre-release rule: a set whose only members
    /// are pre-releases is empty unless it admits pre-releases).
    pub fn is_empty(&self) -> bool {
        let finals_only = !self.pre;
        !self
            .ivs
            .iter()
            .any(|iv| starts_at_a_final(iv) || find_in(iv, finals_only, false).is_some())
    }

    /// A final release `self` admits (whatever its pre-release rule); None when it admits
    /// none.
    pub(crate) fn some_final_member(&self) -> Option<Version> {
        self.ivs
            .iter()
            .find_map(|iv| find_in(iv, true, false))
            .map(|w| self.respell(w))
    }

    /// A version `self` admits, preferring a final release; None when empty.
    pub fn some_member(&self) -> Option<Version> {
        let finals_only = !self.pre;
        self.ivs
            .iter()
            .find_map(|iv| find_in(iv, finals_only, false))
            .map(|w| self.respell(w))
    }

    /// A version admitted by `self` (with its pre-release rule) that `window` does not
    /// contain (window membership with prereleases=True), or None when self ⊆ window.
    /// Prefers a witness above the window, then below, then in a hole.
    pub fn witness_outside(&self, window: &VersionSet) -> Option<Version> {
        let o = self.outside(window);
        o.above.or(o.below).or(o.gap)
    }

    /// An admitted version below `window`'s lower edge (e.g. `1.14.4` for `>=1.14.5`).
    #[cfg(test)]
    pub(crate) fn witness_below(&self, window: &VersionSet) -> Option<Version> {
        self.outside(window).below
    }

    /// An admitted version above `window`'s upper edge (e.g. `1.17` for `<1.17`).
    #[cfg(test)]
    pub(crate) fn witness_above(&self, window: &VersionSet) -> Option<Version> {
        self.outside(window).above
    }

    /// Witnesses of admitted versions outside `window`, by side. Exact: all three are None
    /// iff every version `self` admits (with its pre-release rule) is in `window`
    /// (`contains_any`). Witnesses are "natural" where possible: a final release, the one
    /// just past the window's edge (`1.17`), or just below it (`1.14.4`).
    pub fn outside(&self, window: &VersionSet) -> Outside {
        self.outside_impl(window, !self.pre)
    }

    /// Whether every version of `self` (pre-releases included) lies in `other`.
    pub fn is_subset(&self, other: &VersionSet) -> bool {
        self.outside_impl(other, false).is_none()
    }

    fn outside_impl(&self, window: &VersionSet, finals_only: bool) -> Outside {
        let mut out = Outside::default();
        let hull_lo = window.ivs.first().map(|iv| &iv.lo);
        let hull_hi = window.ivs.last().map(|iv| &iv.hi);
        let is_below =
            |iv: &Interval| matches!((hull_lo, &iv.hi), (Some(Some(wl)), Some(h)) if h <= wl);
        let outside = complement_ivs(&window.ivs);
        // The highest pieces below the window, the highest last: only the highest with a
        // real version gives the witness below (it lies next to the window), so they are
        // searched from the top once the walk has passed them. Searching each as the walk
        // met it built versions for every piece (640k holes below the window: 640k).
        let mut below = std::collections::VecDeque::new();
        let mut below_dropped = false;
        // The pieces of self outside the window, ascending: those below come first, then
        // the gaps, then those above. Once a witness above is found, every later piece is
        // above too and adds nothing, so the walk stops there (a set with a million holes
        // above the window is not copied nor walked to its end).
        intersect_pieces(&self.ivs, &outside, |iv| {
            let above = hull_hi.is_none()
                || matches!((hull_hi, &iv.lo), (Some(Some(wh)), Some(l)) if l >= wh);
            if is_below(&iv) {
                if below.len() == BELOW_KEPT {
                    below.pop_front();
                    below_dropped = true;
                }
                below.push_back(iv);
            } else if above {
                if out.above.is_none() {
                    out.above = find_in(&iv, finals_only, false);
                }
            } else if out.gap.is_none() {
                out.gap = find_in(&iv, finals_only, false);
            }
            out.above.is_none()
        });
        out.below = below
            .iter()
            .rev()
            .find_map(|iv| find_in(iv, finals_only, true));
        if out.below.is_none() && below_dropped {
            // Every kept piece holds no real version: the highest that does is further down.
            intersect_pieces(&self.ivs, &outside, |iv| {
                if !is_below(&iv) {
                    return false;
                }
                if let Some(w) = find_in(&iv, finals_only, true) {
                    out.below = Some(w);
                }
                true
            });
        }
        // Spellings of a window `===` class that the window does not admit.
        if out.gap.is_none() {
            out.gap = window.literals.iter().find_map(|lit| {
                if !ivs_contain(&self.ivs, &lit.class)
                    || (finals_only && lit.class.any_prerelease())
                {
                    return None;
                }
                match find_lit(&self.literals, &lit.class) {
                    Some(mine) => mine
                        .iter()
                        .find(|r| !lit.reprs.contains(r))
                        .and_then(|r| Version::from_str(r).ok()),
                    None => other_spelling(&lit.class, &lit.reprs),
                }
            });
        }
        out.below = out.below.map(|w| self.respell(w));
        out.gap = out.gap.map(|w| self.respell(w));
        out.above = out.above.map(|w| self.respell(w));
        out
    }

    /// If `w` falls in a `===` class of `self`, the admitted spelling of that class.
    fn respell(&self, w: Version) -> Version {
        match find_lit(&self.literals, &w).and_then(|r| r.first()) {
            Some(r) => Version::from_str(r).unwrap_or(w),
            None => w,
        }
    }
}

impl fmt::Display for VersionSet {
    /// A readable, exact rendering of the intervals: `>=1.14.5, <1.17.dev0 || >=2`. Sentinel
    /// edges print as `>V` (above V and its post-releases), `>V+l` and `<=V+l` (just past
    /// that local version).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.ivs.is_empty() {
            return f.write_str("<empty>");
        }
        for (i, iv) in self.ivs.iter().enumerate() {
            if i > 0 {
                f.write_str(" || ")?;
            }
            let mut parts = Vec::new();
            if let Some(l) = &iv.lo.as_ref().map(Bound::version) {
                parts.push(if l.max().is_some() {
                    format!(">{}", l.clone().with_max(None))
                } else if is_local_sentinel(l) {
                    format!(">{}", strip_local_sentinel(l))
                } else {
                    format!(">={l}")
                });
            }
            if let Some(h) = &iv.hi.as_ref().map(Bound::version) {
                parts.push(if h.max().is_some() {
                    format!("<={}.post*", h.clone().with_max(None))
                } else if is_local_sentinel(h) {
                    format!("<={}", strip_local_sentinel(h))
                } else {
                    format!("<{h}")
                });
            }
            if parts.is_empty() {
                f.write_str("*")?;
            } else {
                f.write_str(&parts.join(", "))?;
            }
        }
        if !self.literals.is_empty() {
            let lits: Vec<String> = self
                .literals
                .iter()
                .flat_map(|l| l.reprs.iter().map(|r| format!("==={r}")))
                .collect();
            write!(f, " [only {}]", lits.join(", "))?;
        }
        if self.pre {
            f.write_str(" (pre-releases admitted)")?;
        }
        Ok(())
    }
}

// ---------------------------------------------------------------------------------------
// Specifier -> intervals
// ---------------------------------------------------------------------------------------

/// packaging's `Specifier.prereleases` (truthiness): `!=` and `==V.*` never name a
/// pre-release; every other operator does when its version is a pre-release (`a`/`b`/`rc`
/// or `.dev`).
fn specifier_names_prerelease(op: Operator, v: &Version) -> bool {
    match op {
        Operator::NotEqual | Operator::NotEqualStar | Operator::EqualStar => false,
        _ => v.any_prerelease(),
    }
}

fn specifier_intervals(op: Operator, v: &Version) -> Vec<Interval> {
    match op {
        // PEP 440: ">=V" is "V or later".
        Operator::GreaterThanEqual => vec![Interval::new(Some(Bound::at(v.clone())), None)],
        // PEP 440 ignores local labels for `<=V`, so `V+local` is admitted: the edge sits
        // above every `V+local`.
        Operator::LessThanEqual => vec![Interval::new(None, Some(Bound::after_locals(v)))],
        Operator::GreaterThan => {
            vec![Interval::new(Some(Bound::at(greater_than_lower(v))), None)]
        }
        Operator::LessThan => {
            // PEP 440: "The exclusive ordered comparison <V MUST NOT allow a pre-release of
            // the specified version unless the specified version is itself a pre-release."
            // packaging 26.1+: the edge is V.dev0 (V's earliest pre-release) for any
            // non-pre-release V, post-releases included (`<1.0.post1` admits `1.0`).
            let bound = if v.any_prerelease() {
                v.clone().without_local()
            } else {
                v.clone().without_local().with_dev(Some(0))
            };
            vec![Interval::new(None, Some(Bound::at(bound)))]
        }
        Operator::Equal => vec![equal_interval(v)],
        Operator::NotEqual => complement_ivs(&[equal_interval(v)]),
        Operator::TildeEqual => {
            // PEP 440: "~=V.N" is ">=V.N, ==V.*"; packaging bounds it by the next prefix's
            // .dev0.
            let rel = v.release();
            let prefix = rel.get(..rel.len().saturating_sub(1)).unwrap_or(&[]);
            let upper = next_prefix_dev0(v.epoch(), if prefix.is_empty() { rel } else { prefix });
            vec![Interval::new(
                Some(Bound::at(v.clone())),
                Some(Bound::at(upper)),
            )]
        }
        Operator::EqualStar => vec![wildcard_interval(v)],
        Operator::NotEqualStar => complement_ivs(&[wildcard_interval(v)]),
        Operator::ExactEqual => {
            // Handled by `arbitrary_equal`; as intervals, the point class.
            vec![point(v)]
        }
    }
}

/// A clause as a set is built from it: pep440_rs's `VersionSpecifier`, or a reader's
/// [`Clause`], whose packed release gives its edges without a pep440_rs `Version`.
trait ClauseSet {
    fn op(&self) -> Operator;
    /// The clause's set ([`VersionSet::from_specifier`]).
    fn set(&self) -> VersionSet;
    /// What a `!=` or `!=V.*` clause leaves out: `==V`'s or `==V.*`'s interval.
    fn hole(&self) -> Interval;
    /// Whether `other` is surely the same clause, written the same way (false when unsure).
    fn same_clause(&self, _other: &Self) -> bool {
        false
    }
}

impl ClauseSet for VersionSpecifier {
    fn op(&self) -> Operator {
        *self.operator()
    }

    fn set(&self) -> VersionSet {
        VersionSet::from_specifier(self)
    }

    fn hole(&self) -> Interval {
        hole_interval(*self.operator(), self.version())
    }
}

impl ClauseSet for Clause {
    fn op(&self) -> Operator {
        self.operator()
    }

    fn set(&self) -> VersionSet {
        match self.repr() {
            clauses::Repr::Full(spec) => VersionSet::from_specifier(spec),
            clauses::Repr::Wide(w) => match w.operator() {
                Operator::NotEqual | Operator::NotEqualStar => VersionSet {
                    ivs: complement_ivs(&[self.hole()]).into(),
                    pre: false,
                    literals: Box::default(),
                },
                // The edges that are the clause's version, or just above its locals, share
                // it (`specifier_intervals`); the others are built.
                op @ (Operator::GreaterThanEqual | Operator::LessThanEqual | Operator::Equal) => {
                    let iv = match op {
                        Operator::GreaterThanEqual => {
                            Interval::new(Some(Bound::WideAt(w.clone())), None)
                        }
                        Operator::LessThanEqual => {
                            Interval::new(None, Some(Bound::WideAfterLocals(w.clone())))
                        }
                        _ => wide_hole(w),
                    };
                    VersionSet {
                        ivs: Ivs::One(iv),
                        pre: w.pre().is_some() || w.dev().is_some(),
                        literals: Box::default(),
                    }
                }
                op => {
                    let v = w.version();
                    VersionSet {
                        ivs: specifier_intervals(op, &v).into(),
                        pre: specifier_names_prerelease(op, &v),
                        literals: Box::default(),
                    }
                }
            },
            // A plain release names no pre-release (`specifier_names_prerelease`).
            clauses::Repr::Packed(rel) => VersionSet {
                ivs: packed_intervals(rel)
                    .unwrap_or_else(|| specifier_intervals(rel.kind, &rel.version()))
                    .into(),
                pre: false,
                literals: Box::default(),
            },
        }
    }

    fn same_clause(&self, other: &Clause) -> bool {
        match (self.repr(), other.repr()) {
            (clauses::Repr::Packed(a), clauses::Repr::Packed(b)) => a == b,
            (clauses::Repr::Wide(a), clauses::Repr::Wide(b)) => Arc::ptr_eq(a, b) || a == b,
            _ => false,
        }
    }

    fn hole(&self) -> Interval {
        match self.repr() {
            clauses::Repr::Full(spec) => spec.hole(),
            clauses::Repr::Wide(w) => wide_hole(w),
            clauses::Repr::Packed(rel) => {
                let hole = match rel.kind {
                    Operator::NotEqualStar => packed_wildcard(rel),
                    _ => Some(packed_equal(rel)),
                };
                hole.unwrap_or_else(|| hole_interval(rel.kind, &rel.version()))
            }
        }
    }
}

/// The hole a `!=` (`!=V.*`) clause on `v` cuts: `v`'s point with its locals (its prefix).
fn hole_interval(op: Operator, v: &Version) -> Interval {
    if op == Operator::NotEqualStar {
        wildcard_interval(v)
    } else {
        equal_interval(v)
    }
}

/// [`hole_interval`] of a clause held as a [`Wide`], each edge sharing it: `==V`'s interval
/// (`equal_interval`: up to after `V`'s locals, or `V`'s point when it has a local label) or
/// `==V.*`'s (`wildcard_interval`).
fn wide_hole(w: &Arc<Wide>) -> Interval {
    let edge = |make: fn(Arc<Wide>) -> Bound| Some(make(w.clone()));
    if w.operator() == Operator::NotEqualStar {
        Interval::new(edge(Bound::WideWildLo), edge(Bound::WideWildHi))
    } else if w.local().is_empty() {
        Interval::new(edge(Bound::WideAt), edge(Bound::WideAfterLocals))
    } else {
        Interval::new(edge(Bound::WideAt), edge(Bound::WideLocalSentinel))
    }
}

/// [`specifier_intervals`] of a clause on a plain release, from the packed release (no
/// version is built): the same edges, each packed. None where an edge does not pack (the
/// next prefix of `~=` or `.*` past 2^32) and for `===`.
fn packed_intervals(rel: &Rel<Operator>) -> Option<Vec<Interval>> {
    let edge = |suffix| Some(Bound::Packed(rel.with(suffix)));
    Some(match rel.kind {
        Operator::GreaterThanEqual => vec![Interval::new(edge(Suffix::Final), None)],
        Operator::LessThanEqual => vec![Interval::new(None, edge(Suffix::PostDev0))],
        Operator::GreaterThan => vec![Interval::new(edge(Suffix::Max0), None)],
        Operator::LessThan => vec![Interval::new(None, edge(Suffix::Dev0))],
        Operator::Equal => vec![packed_equal(rel)],
        Operator::NotEqual => complement_ivs(&[packed_equal(rel)]),
        Operator::TildeEqual => vec![Interval::new(
            edge(Suffix::Final),
            Some(next_prefix_packed(&rel.prefix())?),
        )],
        Operator::EqualStar => vec![packed_wildcard(rel)?],
        Operator::NotEqualStar => complement_ivs(&[packed_wildcard(rel)?]),
        Operator::ExactEqual => return None,
    })
}

/// [`equal_interval`] of a plain release: `[R, R.post0.dev0)`.
fn packed_equal<K: Copy>(rel: &Rel<K>) -> Interval {
    Interval::new(
        Some(Bound::Packed(rel.with(Suffix::Final))),
        Some(Bound::Packed(rel.with(Suffix::PostDev0))),
    )
}

/// [`wildcard_interval`] of a plain release: `[R.dev0, next-prefix.dev0)`.
fn packed_wildcard<K: Copy>(rel: &Rel<K>) -> Option<Interval> {
    Some(Interval::new(
        Some(Bound::Packed(rel.with(Suffix::Dev0))),
        Some(next_prefix_packed(rel)?),
    ))
}

/// [`next_prefix_dev0`] of a plain release (`1.2` -> `1.3.dev0`), when it packs.
fn next_prefix_packed<K: Copy>(rel: &Rel<K>) -> Option<Bound> {
    Some(Bound::Packed(rel.bump_last()?.with(Suffix::Dev0)))
}

/// `==V`: PEP 440 "If the specified version identifier is a public version identifier (no
/// local version label), then the local version label of any candidate versions MUST be
/// ignored when matching versions." With a local label, strict equality.
fn equal_interval(v: &Version) -> Interval {
    if v.local().is_empty() {
        Interval::new(Some(Bound::at(v.clone())), Some(Bound::after_locals(v)))
    } else {
        point(v)
    }
}

/// `==V.*`: PEP 440 prefix matching on the release segment (zero-padded), which in the
/// total order is `[V.dev0, next-prefix.dev0)`.
fn wildcard_interval(v: &Version) -> Interval {
    let lo = Version::new(v.release().iter().copied())
        .with_epoch(v.epoch())
        .with_dev(Some(0));
    Interval::new(
        Some(Bound::at(lo)),
        Some(Bound::at(next_prefix_dev0(v.epoch(), v.release()))),
    )
}

/// The lower edge of `>V`. PEP 440: "The exclusive ordered comparison >V MUST NOT allow a
/// post-release of the given version unless V itself is a post release." packaging 26.1+
/// also excludes `V+local` and, for a dev release, starts at the next dev release.
fn greater_than_lower(v: &Version) -> Version {
    let base = v.clone().without_local();
    if let Some(dev) = base.dev() {
        base.with_dev(Some(dev.saturating_add(1)))
    } else if let Some(post) = base.post() {
        base.with_post(Some(post.saturating_add(1)))
            .with_dev(Some(0))
    } else {
        base.with_max(Some(0))
    }
}

/// The least real version above `V` and every `V+local` (packaging's `AFTER_LOCALS(V)`).
fn after_locals(v: &Version) -> Version {
    let base = v.clone().without_local();
    if let Some(dev) = base.dev() {
        base.with_dev(Some(dev.saturating_add(1)))
    } else {
        let post = base.post().map_or(0, |p| p.saturating_add(1));
        base.with_post(Some(post)).with_dev(Some(0))
    }
}

/// `1.2` -> `1.3.dev0` (the smallest version of the next prefix), keeping the epoch.
fn next_prefix_dev0(epoch: u64, release: &[u64]) -> Version {
    let mut rel: Vec<u64> = if release.is_empty() {
        vec![0]
    } else {
        release.to_vec()
    };
    if let Some(last) = rel.last_mut() {
        *last = last.saturating_add(1);
    }
    Version::new(rel).with_epoch(epoch).with_dev(Some(0))
}

/// The class of `v` alone: `[v, v+"")`.
fn point(v: &Version) -> Interval {
    Interval::new(Some(Bound::at(v.clone())), Some(Bound::local_sentinel(v)))
}

/// `v` with an empty local segment appended: just above `v`, below any real version above.
fn local_sentinel(v: &Version) -> Version {
    let mut local = v.local().to_vec();
    local.push(LocalSegment::String(String::new()));
    v.clone().with_local(local)
}

fn is_local_sentinel(v: &Version) -> bool {
    matches!(v.local().last(), Some(LocalSegment::String(s)) if s.is_empty())
}

fn strip_local_sentinel(v: &Version) -> Version {
    let local = v.local();
    let keep = local.get(..local.len().saturating_sub(1)).unwrap_or(&[]);
    v.clone().with_local(keep.to_vec())
}

// ---------------------------------------------------------------------------------------
// Interval algebra
// ---------------------------------------------------------------------------------------

fn cmp_lo(a: &Option<Bound>, b: &Option<Bound>) -> Ordering {
    match (a, b) {
        (None, None) => Ordering::Equal,
        (None, Some(_)) => Ordering::Less,
        (Some(_), None) => Ordering::Greater,
        (Some(x), Some(y)) => x.cmp(y),
    }
}

fn cmp_hi(a: &Option<Bound>, b: &Option<Bound>) -> Ordering {
    match (a, b) {
        (None, None) => Ordering::Equal,
        (None, Some(_)) => Ordering::Greater,
        (Some(_), None) => Ordering::Less,
        (Some(x), Some(y)) => x.cmp(y),
    }
}

/// Whether `[lo, hi)` is non-empty in the extended order.
fn lo_lt_hi(lo: &Option<Bound>, hi: &Option<Bound>) -> bool {
    match (lo, hi) {
        (Some(l), Some(h)) => l < h,
        _ => true,
    }
}

/// Binary search: the intervals are sorted and disjoint, so only the last one starting at
/// or below `v` can hold it (a set built from 100,000 `!=` clauses has 100,001 intervals).
fn ivs_contain(ivs: &[Interval], v: &Version) -> bool {
    let k = ivs.partition_point(|iv| iv.lo.as_ref().is_none_or(|l| l.cmp_version(v).is_le()));
    k > 0 && ivs[k - 1].contains(v)
}

fn intersect_ivs(a: &[Interval], b: &[Interval]) -> Vec<Interval> {
    // At most one piece a step, and a step moves past an interval of `a` or of `b`: room for
    // all of them up front, so a long result (two halves of 525k `!=` holes met) is never
    // moved to a larger block while it grows; `Ivs::from` gives back what is left.
    let mut out = Vec::with_capacity(a.len() + b.len());
    intersect_pieces(a, b, |iv| {
        out.push(iv);
        true
    });
    out
}

/// The pieces of `a ∩ b`, ascending, each given to `f` until it returns false.
fn intersect_pieces(a: &[Interval], b: &[Interval], mut f: impl FnMut(Interval) -> bool) {
    let (mut i, mut j) = (0, 0);
    while let (Some(x), Some(y)) = (a.get(i), b.get(j)) {
        let lo = if cmp_lo(&x.lo, &y.lo) == Ordering::Less {
            &y.lo
        } else {
            &x.lo
        };
        let hi = if cmp_hi(&x.hi, &y.hi) == Ordering::Less {
            &x.hi
        } else {
            &y.hi
        };
        if lo_lt_hi(lo, hi) && !f(Interval::new(lo.clone(), hi.clone())) {
            return;
        }
        if cmp_hi(&x.hi, &y.hi) == Ordering::Less {
            i += 1;
        } else {
            j += 1;
        }
    }
}

/// The union of two sets' intervals (each sorted and disjoint): merged in order, as a
/// stable sort of `a` then `b` would order them, without the sort's scratch room (half the
/// list again: 12 MB for a union with a list of 770k holes).
fn union_ivs(a: &[Interval], b: &[Interval]) -> Vec<Interval> {
    let mut all = Vec::with_capacity(a.len() + b.len());
    let (mut i, mut j) = (0, 0);
    while let (Some(x), Some(y)) = (a.get(i), b.get(j)) {
        // On a tie `a`'s interval first, as the stable sort kept it.
        if cmp_lo(&y.lo, &x.lo) == Ordering::Less {
            all.push(y.clone());
            j += 1;
        } else {
            all.push(x.clone());
            i += 1;
        }
    }
    all.extend_from_slice(&a[i..]);
    all.extend_from_slice(&b[j..]);
    union_sorted(all)
}

/// The union of any intervals, as a sorted, disjoint, non-adjacent list.
fn union_sorted(mut all: Vec<Interval>) -> Vec<Interval> {
    // A requirement's clauses come sorted by version, so its holes usually come sorted: a
    // stable sort would leave them as they are, but first allocate room for as many again.
    if !all.is_sorted_by(|x, y| cmp_lo(&x.lo, &y.lo).is_le()) {
        all.sort_by(|x, y| cmp_lo(&x.lo, &y.lo));
    }
    // Merged in place (no second list of a million holes): an interval that overlaps or
    // touches the last one kept (`iv.lo <= last.hi`) extends it and is dropped.
    all.dedup_by(|iv, last| {
        let touches = match (&last.hi, &iv.lo) {
            (Some(h), Some(l)) => l <= h,
            _ => true,
        };
        if touches && cmp_hi(&iv.hi, &last.hi) == Ordering::Greater {
            last.hi = iv.hi.take();
        }
        touches
    });
    all
}

fn complement_ivs(a: &[Interval]) -> Vec<Interval> {
    let mut out = Vec::with_capacity(a.len() + 1);
    let mut cur: Option<Bound> = None;
    for iv in a {
        if let Some(l) = &iv.lo {
            let lo = Some(l.clone());
            if lo_lt_hi(&cur, &lo) {
                out.push(Interval::new(cur.clone(), lo));
            }
        }
        match &iv.hi {
            None => return out,
            Some(h) => cur = Some(h.clone()),
        }
    }
    out.push(Interval::new(cur, None));
    out
}

/// [`complement_ivs`] of a sorted, disjoint list, built in the list itself: the `i`-th
/// gap ends where the `i`-th interval starts, so it is written over a slot already read,
/// and no second list of a million intervals is allocated. The list should have room for
/// one more interval (the gap above the last one).
fn complement_in_place(mut a: Vec<Interval>) -> Vec<Interval> {
    let mut kept = 0;
    let mut cur: Option<Bound> = None;
    for i in 0..a.len() {
        let Interval { lo, hi } = std::mem::replace(&mut a[i], Interval::new(None, None));
        if lo.is_some() && lo_lt_hi(&cur, &lo) {
            a[kept] = Interval::new(cur.take(), lo);
            kept += 1;
        }
        match hi {
            None => {
                a.truncate(kept);
                return a;
            }
            Some(h) => cur = Some(h),
        }
    }
    a.truncate(kept);
    a.push(Interval::new(cur, None));
    a
}

fn literal_classes(a: &[Literal], b: &[Literal]) -> Vec<Version> {
    let mut classes: Vec<Version> = a.iter().chain(b).map(|l| l.class.clone()).collect();
    classes.sort();
    classes.dedup();
    classes
}

fn find_lit<'a>(lits: &'a [Literal], v: &Version) -> Option<&'a [String]> {
    lits.iter()
        .find(|l| l.class == *v)
        .map(|l| l.reprs.as_slice())
}

/// A spelling of `class` (PEP 440-equal: trailing zeros appended) not in `taken`.
fn other_spelling(class: &Version, taken: &[String]) -> Option<Version> {
    let mut release = class.release().to_vec();
    for _ in 0..=taken.len() + 1 {
        let v = class.clone().with_release(release.iter().copied());
        if !taken.contains(&v.to_string()) {
            return Some(v);
        }
        release.push(0);
    }
    None
}

// ---------------------------------------------------------------------------------------
// Witness search
// ---------------------------------------------------------------------------------------

/// The smallest non-pre-release at or above a real version `v` (packaging's
/// `_lowest_release_at_or_above`): `1.0rc1` -> `1.0`, `1.0.post1.dev0` -> `1.0.post1`.
fn nearest_final(v: &Version) -> Version {
    if v.pre().is_some() {
        Version::new(v.release().iter().copied()).with_epoch(v.epoch())
    } else if v.dev().is_some() {
        v.clone().without_local().with_dev(None)
    } else {
        v.clone()
    }
}

fn release_version(epoch: u64, release: Vec<u64>) -> Option<Version> {
    if release.is_empty() {
        None
    } else {
        Some(Version::new(release).with_epoch(epoch))
    }
}

/// A natural final release just below `h`: `1.14.5` -> `1.14.4`, `1.17` -> `1.16`.
fn natural_below(h: &Version) -> Option<Version> {
    let mut rel = h.release().to_vec();
    while rel.len() > 1 && rel.last() == Some(&0) {
        rel.pop();
    }
    let last = rel.last_mut()?;
    *last = last.checked_sub(1)?;
    release_version(h.epoch(), rel)
}

/// The least real pre-release above every `V.postN` for a pre-release `V` (`1.0a1` ->
/// `1.0a2.dev0`); None only past `u64::MAX`.
fn next_prerelease_dev0(v: &Version) -> Option<Version> {
    let pre = v.pre()?;
    let base = Version::new(v.release().iter().copied()).with_epoch(v.epoch());
    let next = match pre.number.checked_add(1) {
        Some(n) => Prerelease {
            kind: pre.kind,
            number: n,
        },
        None => match pre.kind {
            PrereleaseKind::Alpha => Prerelease {
                kind: PrereleaseKind::Beta,
                number: 0,
            },
            PrereleaseKind::Beta => Prerelease {
                kind: PrereleaseKind::Rc,
                number: 0,
            },
            PrereleaseKind::Rc => return Some(base),
        },
    };
    Some(base.with_pre(Some(next)).with_dev(Some(0)))
}

/// Whether `iv` starts at a plain release, which it then holds (its edges are apart in the
/// order): `find_in` would find that release, whatever `finals_only`. Asked first by
/// [`VersionSet::is_empty`], which then builds no version for it (a packed edge's version
/// is a new allocation: 50k extras' `>=1.N` sets were asked 200k times).
fn starts_at_a_final(iv: &Interval) -> bool {
    matches!(&iv.lo, Some(Bound::Packed(rel)) if rel.kind == Suffix::Final)
}

/// A real version in `iv` (a final release when `finals_only`), or None when there is none.
///
/// Exactness: the candidates always include the least admissible real version at or above
/// `iv.lo` when one exists; where none exists (the `Vmax0` sentinel of a final `V`, and local
/// sentinels, have no least successor) the candidates include versions proven to fall in any
/// non-empty interval starting there (comments below). Natural candidates are tried first.
fn find_in(iv: &Interval, finals_only: bool, prefer_high: bool) -> Option<Version> {
    let ok = |c: &Version| iv.contains(c) && !(finals_only && c.any_prerelease());
    let try_c = |c: Option<Version>| c.filter(|c| ok(c));
    // The edges as versions (a sentinel or packed edge built here, for the few intervals
    // searched); the upper one only where a candidate needs it (a packed edge's version is
    // a new allocation, and most searches take the lower edge's).
    let hi_built = std::cell::OnceCell::new();
    let hi = || {
        hi_built
            .get_or_init(|| iv.hi.as_ref().map(Bound::version))
            .as_ref()
    };

    if prefer_high {
        // Just below the edge: the edge's own release when it lies below (`>1.14.4` ends
        // the piece at 1.14.4's post-releases), else the previous one (`1.14.5` -> `1.14.4`).
        let at_edge = hi().and_then(|h| release_version(h.epoch(), h.release().to_vec()));
        if let Some(w) = try_c(at_edge).or_else(|| try_c(hi().and_then(natural_below))) {
            return Some(w);
        }
    }
    if let Some(Bound::WideLocalSentinel(w)) = &iv.lo {
        // The first candidates just above `P+l` (below) read `P` only: a label of millions
        // of segments is built only if they fail.
        let succ = after_locals(&w.public());
        let found = try_c(Some(nearest_final(&succ)))
            .or_else(|| (!finals_only).then(|| try_c(Some(succ))).flatten());
        if found.is_some() {
            return found;
        }
    }
    let lo = iv.lo.as_ref().map(Bound::version);
    match &lo {
        None => {
            // `0` is the least final release, `0.dev0` the least version of all.
            let zero = Version::new([0u64]);
            try_c(Some(zero.clone())).or_else(|| try_c(Some(zero.with_dev(Some(0)))))
        }
        Some(l) if l.max().is_some() => {
            let v = l.clone().with_max(None);
            if v.pre().is_some() {
                // Above every V.postN of a pre-release V: V's final release is the least
                // final; `V.pre+1.dev0` the least version.
                try_c(Some(nearest_final(&v))).or_else(|| try_c(next_prerelease_dev0(&v)))
            } else {
                // Above every V.postN of a final V: no least successor. Try the next patch
                // (`1.16` -> `1.17`), then `V.1`, then a version that is provably inside
                // any non-empty [Vmax0, hi): pad V's release with zeros to hi's length and
                // append 1. It exceeds V's family, and at the first index where hi's release
                // exceeds V's it is smaller, so it is below hi whatever hi's suffix.
                let rel = v.release();
                let mut bumped = rel.to_vec();
                let bump = bumped.last_mut().and_then(|x| {
                    *x = x.checked_add(1)?;
                    Some(())
                });
                let mut appended = rel.to_vec();
                appended.push(1);
                let padded = hi().filter(|h| h.epoch() == v.epoch()).map(|h| {
                    let mut p = rel.to_vec();
                    while p.len() < h.release().len() {
                        p.push(0);
                    }
                    p.push(1);
                    p
                });
                try_c(bump.and_then(|()| release_version(v.epoch(), bumped)))
                    .or_else(|| try_c(release_version(v.epoch(), appended)))
                    .or_else(|| try_c(padded.and_then(|p| release_version(v.epoch(), p))))
            }
        }
        Some(l) if is_local_sentinel(l) => {
            // Just above `P+l`. Candidates: the first public version after P's locals (and
            // its final release), then locals of P above `l`: `l.0`, `l.a` and, when hi is
            // `P+l.t...`, `l.0t`. Some local strictly between `l` and any higher local `l2`
            // is among them: `l.0` when l2 does not extend l (they differ at an earlier
            // segment), `l.a` when l2's next segment is a number, `l.0t` (< `t`, since t
            // holds a letter) when it is the string `t`.
            let full = strip_local_sentinel(l);
            let public = full.clone().without_local();
            let local = full.local().to_vec();
            let succ = after_locals(&public);
            let with_seg = |seg: LocalSegment| {
                let mut loc = local.clone();
                loc.push(seg);
                Some(public.clone().with_local(loc))
            };
            let mut found = try_c(Some(nearest_final(&succ)));
            if found.is_none() && !finals_only {
                found = try_c(Some(succ));
            }
            found
                .or_else(|| try_c(with_seg(LocalSegment::Number(0))))
                .or_else(|| try_c(with_seg(LocalSegment::String("a".to_string()))))
                .or_else(|| {
                    let h = hi()?;
                    if h.max().is_some() || h.clone().without_local() != public {
                        return None;
                    }
                    if !h.local().starts_with(&local) {
                        return None;
                    }
                    match h.local().get(local.len()) {
                        Some(LocalSegment::String(t)) if !t.is_empty() => {
                            try_c(with_seg(LocalSegment::String(format!("0{t}"))))
                        }
                        _ => None,
                    }
                })
        }
        Some(l) => {
            // A real version: it is the least version of the interval, and nearest_final
            // the least final one.
            try_c(Some(nearest_final(l))).or_else(|| {
                if finals_only {
                    None
                } else {
                    try_c(Some(l.clone()))
                }
            })
        }
    }
}

mod clauses;
mod packed;
mod wide;

#[cfg(test)]
mod clause_tests;
#[cfg(test)]
pub(crate) mod lcg;
#[cfg(test)]
mod order_tests;
#[cfg(test)]
mod tests;
