//! A requirement's specifier clauses as readers keep them (issue 15 §4): a clause on a plain
//! release (`!=1.300`, `>=2.0.1`) is its operator and the packed release, 16 bytes inline; a
//! clause on any other version (an epoch, a pre-, post- or dev release, a local label, four
//! segments or more, a segment of 2^32 or more) is a shared [`Wide`] (a buffer of 16 to 24
//! bytes for the versions long lists are made of, in an `Arc`: about 80 bytes of heap with
//! both allocations, each distinct one held once per list); `===` is pep440_rs's
//! `VersionSpecifier`, boxed. An 8 MiB line of `!=1.N` clauses held a pep440_rs `Version` per
//! clause (about 180 bytes each, as 1.300 is in pep440_rs's full form); it now holds 16 bytes
//! per clause, and a line of `!=1.Nrc1` about 100.
//!
//! The clauses are those pep440_rs parsed, in its order, and read back as it would: the
//! same operator, the same version (built on demand), the same text.

use std::borrow::Cow;
use std::fmt;
use std::str::FromStr;
use std::sync::Arc;

use pep440_rs::{
    Operator, Prerelease, PrereleaseKind, Version, VersionSpecifier, VersionSpecifiers,
};

use super::packed::Rel;
use super::wide::{Parts, Wide};

/// One clause, as pep440_rs parsed it.
#[derive(Clone, Debug)]
pub struct Clause(Repr);

#[derive(Clone, Debug)]
pub(super) enum Repr {
    /// An operator other than `===` on a plain release.
    Packed(Rel<Operator>),
    /// Any other operator than `===` on any other version: the operator and every part of
    /// the version in a few bytes, shared with the edges of the clause's hole.
    Wide(Arc<Wide>),
    /// `===`. Boxed: inline it would make every clause 24 bytes.
    Full(Box<VersionSpecifier>),
}

impl Clause {
    /// The clause, packed when its version is a plain release.
    fn new(spec: VersionSpecifier) -> Clause {
        if let Some(rel) = packed(&spec) {
            return Clause(Repr::Packed(rel));
        }
        let op = *spec.operator();
        match (op != Operator::ExactEqual).then(|| Wide::new(op, spec.version())) {
            Some(Some(wide)) => Clause(Repr::Wide(Arc::new(wide))),
            _ => Clause(Repr::Full(Box::new(spec))),
        }
    }

    /// One piece of a clause list, read as `VersionSpecifier::from_str` reads it. A local
    /// label on `==` or `!=` is read here (`Wide::with_local_label`), the rest by pep440_rs.
    fn read(piece: &str) -> Option<Clause> {
        if let Some(clause) = read_canonical(piece).or_else(|| Clause::read_local(piece)) {
            return Some(clause);
        }
        VersionSpecifier::from_str(piece).ok().map(Clause::new)
    }

    /// A piece `[ws] op [ws] version+label [ws]` with `op` `==` or `!=`, the version read by
    /// pep440_rs and the label by [`Wide::with_local_label`]. pep440_rs reads a label last,
    /// after every other part, and `VersionSpecifier::from_str` takes the version up to the
    /// first whitespace, so the two parts read apart as they read together. None for any
    /// other piece, and where pep440_rs would refuse the whole (a wildcard before the label,
    /// another operator): pep440_rs then reads it whole, or says what is wrong.
    fn read_local(piece: &str) -> Option<Clause> {
        let rest = piece.trim_start();
        let op_len = rest.find(|c| !matches!(c, '=' | '!' | '~' | '<' | '>'))?;
        let (op, rest) = rest.split_at(op_len);
        if op != "==" && op != "!=" {
            return None;
        }
        let version = rest.trim_start();
        let token_len = version.find(char::is_whitespace).unwrap_or(version.len());
        if !version[token_len..].trim_start().is_empty() {
            return None;
        }
        let (head, label) = version[..token_len].split_once('+')?;
        let spec = VersionSpecifier::from_str(&format!("{op}{head}")).ok()?;
        if !matches!(spec.operator(), Operator::Equal | Operator::NotEqual) {
            return None;
        }
        let wide = Wide::with_local_label(*spec.operator(), spec.version(), label)?;
        Some(Clause(Repr::Wide(Arc::new(wide))))
    }

    /// The clauses' versions in pep440_rs's order (`VersionSpecifiers` sorts by it).
    fn cmp_version(&self, other: &Clause) -> std::cmp::Ordering {
        match (&self.0, &other.0) {
            (Repr::Packed(a), Repr::Packed(b)) => a.cmp_padded(b),
            _ => super::cmp_clause_versions(self, other),
        }
    }

    /// The operator (`VersionSpecifier::operator`).
    pub fn operator(&self) -> Operator {
        match &self.0 {
            Repr::Packed(rel) => rel.kind,
            Repr::Wide(wide) => wide.operator(),
            Repr::Full(spec) => *spec.operator(),
        }
    }

    /// The version (`VersionSpecifier::version`: for `==1.*`, `1`), built for a packed
    /// clause.
    pub fn version(&self) -> Cow<'_, Version> {
        match &self.0 {
            Repr::Packed(rel) => Cow::Owned(rel.version()),
            Repr::Wide(wide) => Cow::Owned(wide.version()),
            Repr::Full(spec) => Cow::Borrowed(spec.version()),
        }
    }

    /// How the clause is held.
    pub(super) fn repr(&self) -> &Repr {
        &self.0
    }

    /// The same clause as pep440_rs's `spec`, written the same way: what
    /// [`Clause::same_spelling`] says of `spec` once held, without holding it.
    fn spelled_as(&self, spec: &VersionSpecifier) -> bool {
        match (&self.0, packed(spec)) {
            (Repr::Packed(a), Some(b)) => *a == b,
            (Repr::Packed(_), None) | (_, Some(_)) => false,
            (Repr::Wide(a), None) => a.spells(*spec.operator(), spec.version()),
            (Repr::Full(a), None) => super::same_spelling_clause(a, spec),
        }
    }

    /// The same clause, written the same way (operators and every part of the version).
    fn same_spelling(&self, other: &Clause) -> bool {
        match (&self.0, &other.0) {
            (Repr::Packed(a), Repr::Packed(b)) => a == b,
            (Repr::Wide(a), Repr::Wide(b)) => a == b,
            (Repr::Full(a), Repr::Full(b)) => super::same_spelling_clause(a, b),
            // A clause is held in the first form that holds it: the two spellings differ.
            _ => false,
        }
    }
}

impl PartialEq for Clause {
    /// As `VersionSpecifier`'s: the same operator and PEP 440-equal versions (`1.0` and
    /// `1.0.0`).
    fn eq(&self, other: &Clause) -> bool {
        match (&self.0, &other.0) {
            (Repr::Packed(a), Repr::Packed(b)) => a.kind == b.kind && a.cmp_padded(b).is_eq(),
            _ => self.operator() == other.operator() && self.version() == other.version(),
        }
    }
}

impl Eq for Clause {}

impl fmt::Display for Clause {
    /// As `VersionSpecifier`'s: the operator, the version, `.*` for a wildcard.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.0 {
            Repr::Packed(rel) => {
                write!(f, "{}{rel}", rel.kind)?;
                if matches!(rel.kind, Operator::EqualStar | Operator::NotEqualStar) {
                    f.write_str(".*")?;
                }
                Ok(())
            }
            Repr::Wide(wide) => {
                let op = wide.operator();
                write!(f, "{op}{wide}")?;
                if matches!(op, Operator::EqualStar | Operator::NotEqualStar) {
                    f.write_str(".*")?;
                }
                Ok(())
            }
            Repr::Full(spec) => fmt::Display::fmt(spec, f),
        }
    }
}

/// A requirement's clauses, in pep440_rs's order, without spare room. One clause (most
/// requirements) is held inline: a requirement's list is then one allocation (its `Arc`),
/// not two (525k constraint lines of one clause each: 17 MB).
#[derive(Clone, Debug)]
pub struct Specifiers(pub(super) List);

#[derive(Clone, Debug)]
pub(super) enum List {
    One(Clause),
    /// Never one clause.
    Many(Box<[Clause]>),
}

impl FromIterator<Clause> for Specifiers {
    fn from_iter<I: IntoIterator<Item = Clause>>(iter: I) -> Specifiers {
        let mut all: Vec<Clause> = iter.into_iter().collect();
        match (all.len(), all.pop()) {
            (1, Some(one)) => Specifiers(List::One(one)),
            (_, last) => {
                all.extend(last);
                Specifiers(List::Many(all.into_boxed_slice()))
            }
        }
    }
}

impl PartialEq for Specifiers {
    /// As `VersionSpecifiers`': clause by clause (`Clause`'s `==`).
    fn eq(&self, other: &Specifiers) -> bool {
        self[..] == other[..]
    }
}

impl Eq for Specifiers {}

impl Specifiers {
    /// A list of clauses on plain releases written plainly (`!=1.0,>=1.300,==2.*`: no space,
    /// no empty piece, no leading zero, one to three segments below 2^32, no `===`), read
    /// without pep440_rs and as pep440_rs reads it: the same clauses, sorted as
    /// `VersionSpecifiers` sorts them (stably, by version). None for anything else, which
    /// the caller gives to pep440_rs: an 8 MiB line of `!=1.N` clauses made 773k pep440_rs
    /// versions (140 MB) only to pack them.
    pub fn read_plain(text: &str) -> Option<Specifiers> {
        let mut out = text
            .split(',')
            .map(read_plain_clause)
            .collect::<Option<Vec<_>>>()?;
        if !out.is_sorted_by(|a, b| a.cmp_padded(b).is_le()) {
            out.sort_by(|a, b| a.cmp_padded(b));
        }
        Some(out.into_iter().map(|r| Clause(Repr::Packed(r))).collect())
    }

    /// The clauses of `text` as pep440_rs's `VersionSpecifiers::from_str` reads them (and
    /// pep508_rs a requirement's version list): split at every `,`, each piece read by
    /// `VersionSpecifier::from_str`, sorted stably by version; an empty text is no clause.
    /// Each clause is kept as soon as it is read, so at most one pep440_rs version is alive
    /// at a time, where pep440_rs's list holds all of them (an 8 MiB line of `!=1.Nrc1`
    /// clauses: about 200 bytes each). None when a piece is not a clause: the caller asks
    /// pep440_rs or pep508_rs for the message.
    pub fn parse(text: &str) -> Option<Specifiers> {
        Specifiers::read(text).ok()
    }

    /// [`Specifiers::parse`], or where the first piece that is not a clause starts (a byte
    /// offset into `text`): what comes before it is read as pep440_rs reads it.
    pub fn read(text: &str) -> Result<Specifiers, usize> {
        if let Some(plain) = Specifiers::read_plain(text) {
            return Ok(plain);
        }
        let mut out = Vec::new();
        let mut held = Held::default();
        if !text.is_empty() {
            let mut at = 0;
            for piece in text.split(',') {
                out.push(held.share(Clause::read(piece).ok_or(at)?));
                at += piece.len() + 1;
            }
        }
        if !out.is_sorted_by(|a, b| a.cmp_version(b).is_le()) {
            out.sort_by(Clause::cmp_version);
        }
        Ok(out.into_iter().collect())
    }

    /// The same clauses as pep440_rs's `specs`, written the same way: a memo lookup of a
    /// list not held yet, without packing it first.
    pub fn spelled_as(&self, specs: &VersionSpecifiers) -> bool {
        self.len() == specs.len() && self.iter().zip(specs.iter()).all(|(a, b)| a.spelled_as(b))
    }

    /// The same clauses, written the same way.
    pub fn same_spelling(&self, other: &Specifiers) -> bool {
        self.len() == other.len()
            && self
                .iter()
                .zip(other.iter())
                .all(|(a, b)| a.same_spelling(b))
    }
}

/// pep440_rs's clause packed, when its version is a plain release (and the operator not
/// `===`).
fn packed(spec: &VersionSpecifier) -> Option<Rel<Operator>> {
    let op = *spec.operator();
    let rel = (op != Operator::ExactEqual).then(|| super::packed::plain(spec.version()))??;
    Some(rel.with(op))
}

/// A clause written in canonical form (`!=1!2.0rc1.post2.dev3+mkl.1`, `==1.2.*`: no space,
/// no leading zero, `a`/`b`/`rc`, `.post`, `.dev`, a number after each or none for 0), read
/// without pep440_rs
/// and held as it would be held from pep440_rs's reading: packed when plain, wide
/// otherwise. A list of a million pre-release clauses spent most of its time in
/// pep440_rs's parser and the versions it builds. None for anything else (another
/// spelling, `===`, a wildcard or label an operator does not take), which pep440_rs reads.
pub(super) fn read_canonical(piece: &str) -> Option<Clause> {
    let (op, version) = split_operator(piece)?;
    let (version, label) = match version.split_once('+') {
        // `1.0+` has no label: pep440_rs says so.
        Some((_, "")) => return None,
        Some(parts) => parts,
        None => (version, ""),
    };
    let (op, version) = match (op, version.strip_suffix(".*")) {
        (op, None) => (op, version),
        (Operator::Equal, Some(prefix)) if label.is_empty() => (Operator::EqualStar, prefix),
        (Operator::NotEqual, Some(prefix)) if label.is_empty() => (Operator::NotEqualStar, prefix),
        _ => return None,
    };
    if !label.is_empty() && !matches!(op, Operator::Equal | Operator::NotEqual) {
        return None;
    }
    let mut rest = version.as_bytes();
    let mut release = Vec::with_capacity(4);
    let first = canonical_number(&mut rest)?;
    let epoch = if let Some(after) = rest.strip_prefix(b"!") {
        rest = after;
        release.push(canonical_number(&mut rest)?);
        first
    } else {
        release.push(first);
        0
    };
    while rest.first() == Some(&b'.') && rest.get(1).is_some_and(u8::is_ascii_digit) {
        rest = &rest[1..];
        release.push(canonical_number(&mut rest)?);
    }
    let kind = [
        (&b"a"[..], PrereleaseKind::Alpha),
        (b"b", PrereleaseKind::Beta),
        (b"rc", PrereleaseKind::Rc),
    ]
    .into_iter()
    .find(|(tag, _)| rest.starts_with(tag));
    let pre = match kind {
        Some((tag, kind)) => Some(Prerelease {
            kind,
            number: canonical_suffix(&mut rest, tag)??,
        }),
        None => None,
    };
    let post = canonical_suffix(&mut rest, b".post")?;
    let dev = canonical_suffix(&mut rest, b".dev")?;
    let wildcard = matches!(op, Operator::EqualStar | Operator::NotEqualStar);
    let bare = pre.is_none() && post.is_none() && dev.is_none() && label.is_empty();
    if !rest.is_empty() || (wildcard && !bare) || (op == Operator::TildeEqual && release.len() < 2)
    {
        return None;
    }
    if epoch == 0 && bare {
        if let Some(rel) = Rel::of(&release, op) {
            return Some(Clause(Repr::Packed(rel)));
        }
    }
    let parts = Parts {
        epoch,
        release: &release,
        pre,
        post,
        dev,
    };
    let wide = Wide::from_parts(op, &parts, label)?;
    Some(Clause(Repr::Wide(Arc::new(wide))))
}

/// The number after `tag` at the start of `rest`, taken off it: `Some(None)` when `rest`
/// does not start with `tag`, 0 when no digit follows it (`1a`, `.post`: pep440_rs's
/// reading), None when the number is not written canonically.
fn canonical_suffix(rest: &mut &[u8], tag: &[u8]) -> Option<Option<u64>> {
    match rest.strip_prefix(tag) {
        Some(after) => {
            *rest = after;
            if !rest.first().is_some_and(u8::is_ascii_digit) {
                return Some(Some(0));
            }
            canonical_number(rest).map(Some)
        }
        None => Some(None),
    }
}

/// A number at the start of `rest`, written canonically (no leading zero) and below 2^64,
/// taken off it.
pub(crate) fn canonical_number(rest: &mut &[u8]) -> Option<u64> {
    let len = rest.iter().take_while(|b| b.is_ascii_digit()).count();
    let digits = &rest[..len];
    if len == 0 || (len > 1 && digits[0] == b'0') {
        return None;
    }
    let n = super::wide::local_number(digits)?;
    *rest = &rest[len..];
    Some(n)
}

/// A clause's operator other than `===` (which neither fast reader takes) and the text
/// after it, when the piece starts with one, written without a space.
fn split_operator(piece: &str) -> Option<(Operator, &str)> {
    const OPERATORS: [(&str, Operator); 7] = [
        ("==", Operator::Equal),
        ("!=", Operator::NotEqual),
        ("<=", Operator::LessThanEqual),
        (">=", Operator::GreaterThanEqual),
        ("~=", Operator::TildeEqual),
        ("<", Operator::LessThan),
        (">", Operator::GreaterThan),
    ];
    OPERATORS
        .iter()
        .find_map(|&(text, op)| Some((op, piece.strip_prefix(text)?)))
}

/// One clause of [`Specifiers::read_plain`].
fn read_plain_clause(piece: &str) -> Option<Rel<Operator>> {
    let (op, version) = split_operator(piece)?;
    let (op, version) = match (op, version.strip_suffix(".*")) {
        (op, None) => (op, version),
        (Operator::Equal, Some(prefix)) => (Operator::EqualStar, prefix),
        (Operator::NotEqual, Some(prefix)) => (Operator::NotEqualStar, prefix),
        _ => return None,
    };
    let mut release = [0u64; 3];
    let mut n = 0;
    for seg in version.split('.') {
        // pep440_rs writes `01` as `1`: such a spelling is left to it.
        let plain = !seg.is_empty()
            && seg.len() <= 10
            && seg.bytes().all(|b| b.is_ascii_digit())
            && (seg.len() == 1 || !seg.starts_with('0'));
        if !plain || n == release.len() {
            return None;
        }
        release[n] = seg.parse().ok()?;
        n += 1;
    }
    // pep440_rs refuses `~=1`.
    if op == Operator::TildeEqual && n < 2 {
        return None;
    }
    Rel::of(&release[..n], op)
}

impl From<VersionSpecifiers> for Specifiers {
    /// Each clause packed as it is read: the parser's versions are dropped one by one.
    fn from(specs: VersionSpecifiers) -> Specifiers {
        let mut held = Held::default();
        specs
            .into_iter()
            .map(|spec| held.share(Clause::new(spec)))
            .collect()
    }
}

/// The wide clauses of one list read so far, each once: a list that repeats a clause
/// (`!=1a,!=1a,...`, or a few taking turns) holds it once, shared (1.6M `!=1a` clauses held
/// 1.6M copies, 340 MB). Hashed with std's keyed hasher: the clauses are the input's.
#[derive(Default)]
struct Held(std::collections::HashSet<Arc<Wide>>);

impl Held {
    /// `clause`, sharing the one held before when it is the same wide clause.
    fn share(&mut self, clause: Clause) -> Clause {
        let Repr::Wide(wide) = &clause.0 else {
            return clause;
        };
        match self.0.get(&**wide) {
            Some(held) => Clause(Repr::Wide(held.clone())),
            None => {
                self.0.insert(wide.clone());
                clause
            }
        }
    }
}

impl std::ops::Deref for Specifiers {
    type Target = [Clause];
    fn deref(&self) -> &[Clause] {
        match &self.0 {
            List::One(clause) => std::slice::from_ref(clause),
            List::Many(all) => all,
        }
    }
}

impl fmt::Display for Specifiers {
    /// As `VersionSpecifiers`': the clauses joined by `, `.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        super::write_joined(f, self.iter(), ", ")
    }
}
