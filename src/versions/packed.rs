//! Release-only versions held inline (issue 15 §4).
//!
//! pep440_rs keeps a version whose release has a segment above 255 after the first (`1.300`)
//! in its full form: an `Arc` of about 150 bytes and a heap release vector. An 8 MiB line of
//! `!=1.N` clauses held 773k of them (140 MB). Versions written in bulk are nearly all plain
//! releases of one to three segments, so those are held here in 16 bytes, with the few
//! suffixes an interval edge needs; pep440_rs's `Version` is built from them only where one
//! is asked for (a witness, a message).

use std::cmp::Ordering;
use std::fmt;

use pep440_rs::{LocalSegment, Version};

/// A release of one to three segments, each below 2^32, with epoch 0 and no other part
/// (`1.300`, `2.0.1`), and one byte `K` that says what is made of it (a [`Suffix`] for an
/// interval edge, an operator for a clause). Kept as written (`1.0` and `1.0.0` are two
/// spellings, equal in order). `repr(C)`: the segment count comes last, so an enum that
/// holds a `Rel` beside variants of one pointer keeps its tag in the count's unused values
/// and stays 16 bytes (with the fields in the compiler's order it was 24).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(C)]
pub(crate) struct Rel<K> {
    segs: [u32; 3],
    pub(crate) kind: K,
    len: Len,
}

/// How many segments a [`Rel`] has. An enum, not a `u8`: its unused values are where an
/// enum holding a `Rel` keeps its tag, so an interval edge stays 16 bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
enum Len {
    One = 1,
    Two = 2,
    Three = 3,
}

/// The suffixes a packed interval edge can carry, in the order of the versions they make
/// from one release `R`: `R.dev0 < R < R+"" < R.post0.dev0 < Rmax0`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Suffix {
    /// `R.dev0`: the lower edge of `==R.*`, the upper edge of `<R` and `~=`.
    Dev0,
    /// `R` itself.
    Final,
    /// `R` with an empty local segment: just above `R`, the upper edge of the point `{R}`.
    LocalSentinel,
    /// `R.post0.dev0`: the least version above `R` and every `R+local` (`after_locals`).
    PostDev0,
    /// pep440_rs's `Rmax0`: above `R` and every `R.postN`, the lower edge of `>R`.
    Max0,
}

impl<K: Copy> Rel<K> {
    /// The release, when it fits, with `kind`.
    pub(crate) fn of(release: &[u64], kind: K) -> Option<Rel<K>> {
        let len = match release.len() {
            1 => Len::One,
            2 => Len::Two,
            3 => Len::Three,
            _ => return None,
        };
        let mut segs = [0u32; 3];
        for (slot, &n) in segs.iter_mut().zip(release) {
            *slot = u32::try_from(n).ok()?;
        }
        Some(Rel { segs, kind, len })
    }

    /// The same release with another kind.
    pub(crate) fn with<L>(&self, kind: L) -> Rel<L> {
        Rel {
            segs: self.segs,
            kind,
            len: self.len,
        }
    }

    /// The segments as pep440_rs holds them, and how many there are.
    pub(crate) fn wide(&self) -> ([u64; 3], usize) {
        (self.segs.map(u64::from), self.len as usize)
    }

    /// The release as written.
    pub(crate) fn release(&self) -> impl Iterator<Item = u64> + '_ {
        self.segs[..self.len as usize].iter().map(|&n| u64::from(n))
    }

    /// The plain version.
    pub(crate) fn version(&self) -> Version {
        Version::new(self.release())
    }

    /// The releases compared zero-padded, as pep440_rs does.
    pub(crate) fn cmp_padded<L>(&self, other: &Rel<L>) -> Ordering {
        // Unused segments are zero: comparing all three is comparing zero-padded.
        self.segs.cmp(&other.segs)
    }

    /// The release with its last segment raised by one (`1.2` -> `1.3`), when it fits.
    pub(crate) fn bump_last(&self) -> Option<Rel<K>> {
        let mut out = *self;
        let last = &mut out.segs[self.len as usize - 1];
        *last = last.checked_add(1)?;
        Some(out)
    }

    /// The release without its last segment (`1.2.3` -> `1.2`); a one-segment release is
    /// its own prefix, as `~=` takes it.
    pub(crate) fn prefix(&self) -> Rel<K> {
        let len = match self.len {
            Len::One | Len::Two => Len::One,
            Len::Three => Len::Two,
        };
        let mut segs = self.segs;
        segs[len as usize..].fill(0);
        Rel {
            segs,
            kind: self.kind,
            len,
        }
    }
}

impl<K: Copy> fmt::Display for Rel<K> {
    /// As pep440_rs writes the release: segments joined by dots.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        super::write_joined(f, self.release(), ".")
    }
}

impl Rel<Suffix> {
    /// The version `R` with this suffix, built as the code that makes such an edge from a
    /// parsed version builds it (same parts, same text).
    pub(crate) fn build(&self) -> Version {
        let v = self.version();
        match self.kind {
            Suffix::Dev0 => v.with_dev(Some(0)),
            Suffix::Final => v,
            Suffix::LocalSentinel => v.with_local(vec![LocalSegment::String(String::new())]),
            Suffix::PostDev0 => v.with_post(Some(0)).with_dev(Some(0)),
            Suffix::Max0 => v.with_max(Some(0)),
        }
    }
}

/// `v` as a packed release when it is a plain one (no suffix at all): what a clause packs.
pub(crate) fn plain(v: &Version) -> Option<Rel<Suffix>> {
    pack(v).filter(|rel| rel.kind == Suffix::Final)
}

/// `v` as a packed release and suffix, when it is one (the inverse of [`Rel::build`]).
pub(crate) fn pack(v: &Version) -> Option<Rel<Suffix>> {
    if v.epoch() != 0 || v.pre().is_some() || Version::min(v).is_some() {
        return None;
    }
    let suffix = match (v.post(), v.dev(), Version::max(v), v.local()) {
        (None, None, None, []) => Suffix::Final,
        (None, Some(0), None, []) => Suffix::Dev0,
        (Some(0), Some(0), None, []) => Suffix::PostDev0,
        (None, None, Some(0), []) => Suffix::Max0,
        (None, None, None, [LocalSegment::String(s)]) if s.is_empty() => Suffix::LocalSentinel,
        _ => return None,
    };
    Rel::of(v.release(), suffix)
}
