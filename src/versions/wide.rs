//! A clause's version that is not a plain release, held in one small buffer (issue 15 §4).
//!
//! pep440_rs keeps every version in an `Arc` of about 150 bytes plus a release list, so a
//! long list of pre-release, post-release, epoch, four-segment or local clauses held about
//! 200 bytes a clause (an 8 MiB line of `!={i}a`: 290 MB; of `!={i}+a`: 377 MB). A [`Wide`]
//! holds the clause's operator and every part of its version in one byte buffer, numbers in
//! four bytes when they all fit (eight otherwise) and the local label as its text: 16 to 24
//! bytes for the versions such lists are made of. The interval edges of a `!=` hole share
//! the clause's `Wide` (`versions::Bound`), and compare it without building a version.
//!
//! Layout: a header (flags, release length; four bytes each), then the epoch (when not 0),
//! the release, the pre-release number, the post number and the dev number (each when
//! present), then the local label's text (segments joined by `.`, as pep440_rs writes them).

use pep440_rs::{LocalSegment, Operator, Prerelease, PrereleaseKind, Version};

/// The operators, by the index a header holds.
const OPERATORS: [Operator; 10] = [
    Operator::Equal,
    Operator::EqualStar,
    Operator::ExactEqual,
    Operator::NotEqual,
    Operator::NotEqualStar,
    Operator::TildeEqual,
    Operator::LessThan,
    Operator::LessThanEqual,
    Operator::GreaterThan,
    Operator::GreaterThanEqual,
];

const OP_MASK: u32 = 0xf;
const PRE_SHIFT: u32 = 4;
const POST: u32 = 1 << 6;
const DEV: u32 = 1 << 7;
const EPOCH: u32 = 1 << 8;
/// Every number is eight bytes (one of them is 2^32 or more).
const LONG: u32 = 1 << 9;
const HEADER: usize = 8;

/// A version's parts but its local label, borrowed.
pub(crate) struct Parts<'a> {
    pub(crate) epoch: u64,
    /// At least one segment.
    pub(crate) release: &'a [u64],
    pub(crate) pre: Option<Prerelease>,
    pub(crate) post: Option<u64>,
    pub(crate) dev: Option<u64>,
}

impl<'a> Parts<'a> {
    /// `v`'s parts, when it is no sentinel of an interval edge (`min`, `max`).
    fn of(v: &'a Version) -> Option<Parts<'a>> {
        (v.min().is_none() && v.max().is_none()).then(|| Parts {
            epoch: v.epoch(),
            release: v.release(),
            pre: v.pre(),
            post: v.post(),
            dev: v.dev(),
        })
    }
}

/// An operator and a version pep440_rs parsed (no `min` or `max` sentinel), exactly: the
/// version built back ([`Wide::version`]) has the same parts and the same text. Two are
/// `==` when written the same way (the same bytes).
#[derive(Clone, PartialEq, Eq, Hash)]
pub(crate) struct Wide(Box<[u8]>);

impl Wide {
    /// `op` and `v`, when `v` is a version pep440_rs's parser can make (none of the
    /// sentinels an interval edge uses: `min`, `max`, an empty local segment).
    pub(crate) fn new(op: Operator, v: &Version) -> Option<Wide> {
        if !v.local().iter().all(parsed_segment) {
            return None;
        }
        Wide::build(op, &Parts::of(v)?, |out| {
            for (i, segment) in v.local().iter().enumerate() {
                if i > 0 {
                    out.push(b'.');
                }
                match segment {
                    LocalSegment::Number(n) => out.extend_from_slice(n.to_string().as_bytes()),
                    LocalSegment::String(s) => out.extend_from_slice(s.as_bytes()),
                }
            }
        })
    }

    /// `op` and `v` (which has no local label) with the local label `label` as written
    /// after a `+` (`MKL_01-x`), when pep440_rs's parser reads it as one: alphanumeric
    /// segments separated by `.`, `-` or `_`. Held as pep440_rs writes it (`mkl.1.x`)
    /// without making its segments: a label of four million segments made as many
    /// pep440_rs strings (900 MB).
    pub(crate) fn with_local_label(op: Operator, v: &Version, label: &str) -> Option<Wide> {
        // `1.0+` has no label: pep440_rs refuses it.
        if label.is_empty() || !v.local().is_empty() {
            return None;
        }
        Wide::from_parts(op, &Parts::of(v)?, label)
    }

    /// `op` and a version of these parts, with the local label `label` as written after a
    /// `+` (empty for none), when the label reads as one ([`Wide::with_local_label`]).
    pub(crate) fn from_parts(op: Operator, parts: &Parts<'_>, label: &str) -> Option<Wide> {
        let valid = label.is_empty()
            || label
                .split(['.', '-', '_'])
                .all(|seg| !seg.is_empty() && seg.bytes().all(|b| b.is_ascii_alphanumeric()));
        if !valid {
            return None;
        }
        Wide::build(op, parts, |out| {
            if label.is_empty() {
                return;
            }
            for (i, seg) in label.split(['.', '-', '_']).enumerate() {
                if i > 0 {
                    out.push(b'.');
                }
                match local_number(seg.as_bytes()) {
                    Some(n) => out.extend_from_slice(n.to_string().as_bytes()),
                    None => out.extend(seg.bytes().map(|b| b.to_ascii_lowercase())),
                }
            }
        })
    }

    /// The buffer for `op` and the version's parts, its local label written by `local`.
    fn build(op: Operator, v: &Parts<'_>, local: impl FnOnce(&mut Vec<u8>)) -> Option<Wide> {
        let op_index = OPERATORS.iter().position(|&o| o == op)? as u32;
        let pre = v.pre.map(|p| {
            let kind = match p.kind {
                PrereleaseKind::Alpha => 1,
                PrereleaseKind::Beta => 2,
                PrereleaseKind::Rc => 3,
            };
            (kind, p.number)
        });
        let numbers = (v.epoch != 0)
            .then_some(v.epoch)
            .into_iter()
            .chain(v.release.iter().copied())
            .chain(pre.map(|(_, n)| n))
            .chain(v.post)
            .chain(v.dev);
        let long = numbers.clone().any(|n| n > u64::from(u32::MAX));
        let mut flags = op_index | (pre.map_or(0, |(k, _)| k) << PRE_SHIFT);
        for (set, bit) in [
            (v.post.is_some(), POST),
            (v.dev.is_some(), DEV),
            (v.epoch != 0, EPOCH),
            (long, LONG),
        ] {
            if set {
                flags |= bit;
            }
        }
        let width = if long { 8 } else { 4 };
        let release_len = u32::try_from(v.release.len()).ok()?;
        let mut out = Vec::with_capacity(HEADER + width * (numbers.clone().count()) + 8);
        out.extend_from_slice(&flags.to_le_bytes());
        out.extend_from_slice(&release_len.to_le_bytes());
        for n in numbers {
            if long {
                out.extend_from_slice(&n.to_le_bytes());
            } else {
                out.extend_from_slice(&(n as u32).to_le_bytes());
            }
        }
        local(&mut out);
        Some(Wide(out.into_boxed_slice()))
    }

    fn flags(&self) -> u32 {
        self.word(0)
    }

    fn word(&self, at: usize) -> u32 {
        let mut b = [0; 4];
        b.copy_from_slice(&self.0[at..at + 4]);
        u32::from_le_bytes(b)
    }

    /// Bytes per number.
    fn width(&self) -> usize {
        if self.flags() & LONG != 0 {
            8
        } else {
            4
        }
    }

    /// The `i`th number after the header.
    fn number(&self, i: usize) -> u64 {
        let at = HEADER + i * self.width();
        if self.width() == 8 {
            let mut b = [0; 8];
            b.copy_from_slice(&self.0[at..at + 8]);
            u64::from_le_bytes(b)
        } else {
            u64::from(self.word(at))
        }
    }

    /// Where the release starts, in numbers.
    fn release_at(&self) -> usize {
        usize::from(self.flags() & EPOCH != 0)
    }

    /// How many numbers there are.
    fn numbers(&self) -> usize {
        let f = self.flags();
        self.release_at()
            + self.release_len()
            + usize::from((f >> PRE_SHIFT) & 3 != 0)
            + usize::from(f & POST != 0)
            + usize::from(f & DEV != 0)
    }

    /// The clause's operator.
    pub(crate) fn operator(&self) -> Operator {
        OPERATORS[(self.flags() & OP_MASK) as usize]
    }

    pub(crate) fn epoch(&self) -> u64 {
        if self.flags() & EPOCH != 0 {
            self.number(0)
        } else {
            0
        }
    }

    /// How many release segments (at least one).
    pub(crate) fn release_len(&self) -> usize {
        self.word(4) as usize
    }

    /// Release segment `i` (`i < release_len()`).
    pub(crate) fn segment(&self, i: usize) -> u64 {
        self.number(self.release_at() + i)
    }

    /// The release, as written.
    pub(crate) fn release(&self) -> impl Iterator<Item = u64> + '_ {
        (0..self.release_len()).map(|i| self.segment(i))
    }

    pub(crate) fn pre(&self) -> Option<Prerelease> {
        let kind = match (self.flags() >> PRE_SHIFT) & 3 {
            0 => return None,
            1 => PrereleaseKind::Alpha,
            2 => PrereleaseKind::Beta,
            _ => PrereleaseKind::Rc,
        };
        let number = self.number(self.release_at() + self.release_len());
        Some(Prerelease { kind, number })
    }

    /// The number after the pre-release's, if `bit` says there is one: post, then dev.
    fn suffix_number(&self, bit: u32) -> Option<u64> {
        let f = self.flags();
        if f & bit == 0 {
            return None;
        }
        let mut i = self.release_at() + self.release_len() + usize::from((f >> PRE_SHIFT) & 3 != 0);
        if bit == DEV && f & POST != 0 {
            i += 1;
        }
        Some(self.number(i))
    }

    pub(crate) fn post(&self) -> Option<u64> {
        self.suffix_number(POST)
    }

    pub(crate) fn dev(&self) -> Option<u64> {
        self.suffix_number(DEV)
    }

    /// The local label's text (`mkl.1`), empty when there is none.
    pub(crate) fn local(&self) -> &[u8] {
        &self.0[HEADER + self.numbers() * self.width()..]
    }

    /// The version, built: the one [`Wide::new`] was given, part for part.
    pub(crate) fn version(&self) -> Version {
        let local = self.local();
        let local = if local.is_empty() {
            Vec::new()
        } else {
            local.split(|&b| b == b'.').map(local_segment).collect()
        };
        self.public().with_local(local)
    }

    /// Whether `Wide::new(op, v)` would hold these bytes, worked out without building it (a
    /// memo lookup compares a long list of pep440_rs's clauses with held ones, clause by
    /// clause, and must not allocate).
    pub(crate) fn spells(&self, op: Operator, v: &Version) -> bool {
        let local = self.local();
        let mut text = local.split(|&b| b == b'.').filter(|_| !local.is_empty());
        let same_local = v.local().iter().all(|seg| {
            let Some(t) = text.next() else { return false };
            match seg {
                LocalSegment::Number(n) => local_number(t) == Some(*n),
                LocalSegment::String(s) => s.as_bytes() == t,
            }
        }) && text.next().is_none();
        self.operator() == op
            && v.min().is_none()
            && v.max().is_none()
            && self.epoch() == v.epoch()
            && self.release().eq(v.release().iter().copied())
            && self.pre() == v.pre()
            && self.post() == v.post()
            && self.dev() == v.dev()
            && same_local
    }

    /// The version without its local label.
    pub(crate) fn public(&self) -> Version {
        Version::new(self.release())
            .with_epoch(self.epoch())
            .with_pre(self.pre())
            .with_post(self.post())
            .with_dev(self.dev())
    }

    /// Heap bytes held (the buffer), for tests that bound memory.
    #[cfg(test)]
    pub(crate) fn bytes(&self) -> usize {
        self.0.len()
    }
}

impl std::fmt::Display for Wide {
    /// The version as pep440_rs writes it (`1!2.0rc1.post3.dev4+mkl.1`), without building
    /// it: a message quoting a list of a million clauses built a million versions.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.epoch() != 0 {
            write!(f, "{}!", self.epoch())?;
        }
        super::write_joined(f, self.release(), ".")?;
        if let Some(Prerelease { kind, number }) = self.pre() {
            write!(f, "{kind}{number}")?;
        }
        if let Some(n) = self.post() {
            write!(f, ".post{n}")?;
        }
        if let Some(n) = self.dev() {
            write!(f, ".dev{n}")?;
        }
        if !self.local().is_empty() {
            f.write_str("+")?;
            f.write_str(&String::from_utf8_lossy(self.local()))?;
        }
        Ok(())
    }
}

impl std::fmt::Debug for Wide {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}{self}", self.operator())
    }
}

/// A local segment as pep440_rs's parser makes them: a number, or a non-empty lowercase
/// ASCII alphanumeric string that is not one (so its text reads back as the same segment).
fn parsed_segment(s: &LocalSegment) -> bool {
    match s {
        LocalSegment::Number(_) => true,
        LocalSegment::String(s) => {
            !s.is_empty()
                && s.bytes()
                    .all(|b| b.is_ascii_digit() || b.is_ascii_lowercase())
                && local_number(s.as_bytes()).is_none()
        }
    }
}

/// A local segment's text as a number, as pep440_rs's parser reads one: ASCII digits whose
/// value fits in 64 bits (`01` is 1; digits past `u64::MAX` stay a string).
pub(crate) fn local_number(text: &[u8]) -> Option<u64> {
    if text.is_empty() {
        return None;
    }
    text.iter().try_fold(0u64, |n, &b| {
        let digit = b.checked_sub(b'0').filter(|d| *d <= 9)?;
        n.checked_mul(10)?.checked_add(u64::from(digit))
    })
}

/// One segment of a local label's text.
fn local_segment(text: &[u8]) -> LocalSegment {
    match local_number(text) {
        Some(n) => LocalSegment::Number(n),
        None => LocalSegment::String(String::from_utf8_lossy(text).into_owned()),
    }
}

#[cfg(test)]
mod tests {
    use std::str::FromStr;

    use super::*;

    #[test]
    fn versions_read_back_part_for_part() {
        for text in [
            "1a0",
            "1.300rc1",
            "1!2.3.4.5.6",
            "0.post0.dev0",
            "1.0.dev1",
            "4294967296.1a4294967295",
            "1.0+mkl.01.abc.18446744073709551616",
            "7+a",
            "1.2.3.4.5.6.7.8.9",
        ] {
            let v = Version::from_str(text).unwrap();
            for op in OPERATORS {
                let w = Wide::new(op, &v).expect(text);
                let back = w.version();
                assert_eq!(w.operator(), op);
                assert_eq!(back.to_string(), v.to_string(), "{text}");
                assert_eq!(w.to_string(), v.to_string(), "{text}");
                assert_eq!(back.release(), v.release(), "{text}");
                assert_eq!(back.epoch(), v.epoch());
                assert_eq!(back.pre(), v.pre());
                assert_eq!(back.post(), v.post());
                assert_eq!(back.dev(), v.dev());
                assert_eq!(back.local(), v.local(), "{text}");
            }
        }
        // The sentinels of interval edges are not parsed versions.
        let v = Version::from_str("1.0").unwrap();
        assert!(Wide::new(Operator::Equal, &v.clone().with_max(Some(0))).is_none());
        let empty = v.with_local(vec![LocalSegment::String(String::new())]);
        assert!(Wide::new(Operator::Equal, &empty).is_none());
    }

    /// `spells` answers what comparing with a new `Wide` answers.
    #[test]
    fn spells_as_building_would() {
        let texts = [
            "1a0",
            "1.0a0",
            "1!1a0",
            "1.0+a.1",
            "1.0+a.01",
            "1.0+a",
            "1.0+a.1.b",
            "1.0.post1",
            "1.0.dev1",
            "1.0rc1.post1.dev1",
            "18446744073709551615",
            "1.0+18446744073709551616",
        ];
        let versions: Vec<Version> = texts
            .iter()
            .map(|t| Version::from_str(t).unwrap())
            .collect();
        for a in &versions {
            for op in [Operator::Equal, Operator::NotEqual] {
                let w = Wide::new(op, a).unwrap();
                for b in &versions {
                    for op2 in [Operator::Equal, Operator::NotEqual] {
                        let want = Wide::new(op2, b).as_ref() == Some(&w);
                        assert_eq!(w.spells(op2, b), want, "{op}{a} / {op2}{b}");
                    }
                }
            }
        }
    }

    /// The versions long clause lists are made of take 16 to 24 bytes.
    #[test]
    fn small_versions_take_a_few_bytes() {
        for (text, bytes) in [("12345a", 16), ("1.12345rc1", 20), ("1!5", 16), ("7+a", 13)] {
            let v = Version::from_str(text).unwrap();
            assert_eq!(
                Wide::new(Operator::NotEqual, &v).unwrap().bytes(),
                bytes,
                "{text}"
            );
        }
    }
}
