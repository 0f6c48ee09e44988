//! What every format parser produces: requirements with their names, version constraints,
//! markers, spans and origin. Parsers fill these in; they never judge.

pub use crate::markers::Marker;
use pep440_rs::Version;
use pep508_rs::{ExtraName, PackageName};
use std::sync::Arc;

use crate::formats::Format;
use crate::source::Span;

/// Index of a file in the [`crate::files::Files`] registry.
pub type FileId = usize;

/// A place in a file.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Loc {
    pub file: FileId,
    pub span: Span,
}

/// How a requirement takes part in an install.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Role {
    /// A requirement: the package is installed.
    Require,
    /// A pip constraint (`-c`, uv `constraint-dependencies`): restricts the versions of the
    /// package if anything installs it, never adds it.
    Constrain,
    /// A uv `override-dependencies` entry: replaces every other requirement on the package,
    /// including those declared by the packages that depend on it.
    Override,
    /// An exact version pinned by a lockfile.
    Locked,
    /// A stand-in for a requirement line that does not parse but names its package: it
    /// joins its unit's members while the file is read, and `formats::parse` moves it to
    /// [`Parsed::unparsed`], so nothing after parsing sees one.
    Unparsed,
}

/// Which syntax the version text is written in, so fixes are rendered in kind.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Syntax {
    /// PEP 508 requirement string (requirements files, PEP 621, PEP 735, setup.cfg ...).
    Pep508,
    /// A bare PEP 440 specifier string as a TOML/JSON value (Pipfile, PDM-less tables).
    Pep440Value,
    /// Poetry constraint syntax (`^1.2`, `~1.2`, `1.2.*`, `>=1,<2 || ^3`).
    Poetry,
    /// Conda match-spec (`numpy=1.16`, `numpy 1.16.*`, `numpy>=1.16,<1.17`).
    Conda,
    /// A lockfile version value: never edited.
    Lock,
}

/// The version part of a requirement. Its spans hold `u32` offsets ([`Span32`], read with
/// `span.get()`): every requirement has one, and a hostile file holds 1.6M (issue 15 §4).
#[derive(Clone, Debug)]
pub enum VersionReq {
    /// No version constraint: `numpy`, `"*"`.
    Any,
    /// PEP 440 specifiers. `span` covers the specifier text (`>=1.16,<1.17`) in the file;
    /// `clauses` holds one span per comma-separated clause, in order, where the text maps
    /// one to one (empty otherwise).
    Specifiers {
        /// Shared: a line written like the one before shares its parsed specifiers
        /// (`requirements::parse_repeated`), and a clone copies none.
        specifiers: Arc<crate::versions::Specifiers>,
        span: Span32,
        clauses: ClauseSpans,
    },
    /// A union of PEP 440 specifier sets (Poetry `||`, conda `|`), already translated.
    /// `span` covers the original constraint text.
    AnyOf {
        /// Boxed: a `Vec`'s third word would make every [`VersionReq`] 8 bytes larger. Each
        /// alternative held as a readers' list (`versions::Specifiers`): pep440_rs's held
        /// about 200 bytes a clause (a Poetry `||` of an 8 MiB list: 328 MB).
        alternatives: Box<[Arc<crate::versions::Specifiers>]>,
        span: Span32,
    },
    /// An exact locked version (lockfiles). `span` covers the version value.
    Exact { version: Version, span: Span32 },
    /// A direct reference (URL, path, VCS) or anything else that names no version.
    Unversioned,
}

/// The span of each comma-separated clause of a specifier, in order; empty where the text
/// does not map one to one. One clause (the usual case) is held inline in `u32` offsets
/// ([`Span32`]), so a file of 750k one-clause lines allocates nothing for them, and a list
/// is one pointer: 16 bytes, where a `Span` and a boxed slice made it 24.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum ClauseSpans {
    #[default]
    Unmapped,
    One(Span32),
    // The box is the point: one word, where a boxed slice takes two.
    #[allow(clippy::box_collection)]
    Many(Box<Vec<Span>>),
}

impl From<Vec<Span>> for ClauseSpans {
    fn from(v: Vec<Span>) -> Self {
        match v.len() {
            0 => ClauseSpans::Unmapped,
            1 if u32::try_from(v[0].end).is_ok() => ClauseSpans::One(v[0].into()),
            _ => ClauseSpans::Many(Box::new(v)),
        }
    }
}

impl ClauseSpans {
    /// The spans, in order: a long list borrowed, not copied.
    pub fn spans(&self) -> std::borrow::Cow<'_, [Span]> {
        match self {
            ClauseSpans::Unmapped => std::borrow::Cow::Borrowed(&[]),
            ClauseSpans::One(s) => std::borrow::Cow::Owned(vec![s.get()]),
            ClauseSpans::Many(v) => std::borrow::Cow::Borrowed(v),
        }
    }

    /// The spans, in order.
    pub fn iter(&self) -> impl Iterator<Item = Span> + '_ {
        let (one, many) = match self {
            ClauseSpans::Unmapped => (None, &[][..]),
            ClauseSpans::One(s) => (Some(s.get()), &[][..]),
            ClauseSpans::Many(v) => (None, &v[..]),
        };
        one.into_iter().chain(many.iter().copied())
    }

    /// How many clauses are mapped.
    pub fn len(&self) -> usize {
        match self {
            ClauseSpans::Unmapped => 0,
            ClauseSpans::One(_) => 1,
            ClauseSpans::Many(v) => v.len(),
        }
    }

    /// No clause is mapped.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// A requirement's package name, shared: requirements on one package hold one copy of its
/// name (a file of 1.6M `gast` lines held a 24-byte `String` and its 32-byte heap block per
/// line, issue 15 §4). It reads as the [`PackageName`] it holds (`Deref`), compares with one
/// and hashes as one, so a map keyed by `&PackageName` takes `&name`.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Name(Arc<PackageName>);

impl Name {
    /// The name, shared with an equal name made before on this thread (a table by hash,
    /// kept from file to file: runs and alternations of names share, the names of a tree's
    /// files mostly come from it, and it keeps at most [`Name::RECENT`] names alive). A name
    /// not in it costs one allocation more than the `PackageName` alone.
    pub fn new(name: PackageName) -> Name {
        thread_local! {
            static RECENT: std::cell::RefCell<Vec<Option<Name>>> =
                const { std::cell::RefCell::new(Vec::new()) };
        }
        use std::hash::BuildHasher;
        let slot =
            (std::hash::BuildHasherDefault::<std::collections::hash_map::DefaultHasher>::default()
                .hash_one(name.as_ref()) as usize)
                % Name::RECENT;
        RECENT.with(|recent| {
            let mut recent = recent.borrow_mut();
            if recent.is_empty() {
                recent.resize(Name::RECENT, None);
            }
            match &recent[slot] {
                Some(n) if *n.0 == name => n.clone(),
                _ => {
                    let n = Name(Arc::new(name));
                    recent[slot] = Some(n.clone());
                    n
                }
            }
        })
    }

    /// How many recent names [`Name::new`] remembers per thread.
    const RECENT: usize = 1024;
}

impl From<PackageName> for Name {
    fn from(name: PackageName) -> Name {
        Name::new(name)
    }
}

impl std::ops::Deref for Name {
    type Target = PackageName;
    fn deref(&self) -> &PackageName {
        &self.0
    }
}

impl std::borrow::Borrow<PackageName> for Name {
    fn borrow(&self) -> &PackageName {
        &self.0
    }
}

impl AsRef<str> for Name {
    fn as_ref(&self) -> &str {
        (*self.0).as_ref()
    }
}

impl PartialEq<PackageName> for Name {
    fn eq(&self, other: &PackageName) -> bool {
        *self.0 == *other
    }
}

impl PartialEq<Name> for PackageName {
    fn eq(&self, other: &Name) -> bool {
        *self == *other.0
    }
}

impl std::fmt::Display for Name {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        std::fmt::Display::fmt(&*self.0, f)
    }
}

impl std::fmt::Debug for Name {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        std::fmt::Debug::fmt(&*self.0, f)
    }
}

/// A requirement's extras, in its [`Rare`] part: one pointer, null when there are none
/// (a requirement with only a marker pays no list), shared with the requirements read just
/// before on the thread that wrote the same extras (420k lines `numpy[x]>=...` held 420k
/// copies of `[x]`: 40 MB).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Extras(Option<Arc<Vec<ExtraName>>>);

/// How many recent extras lists [`Extras`] shares from, per thread.
const RECENT_EXTRAS: usize = 4;

thread_local! {
    /// The extras lists read last on this thread, most recent first.
    static RECENT: std::cell::RefCell<Vec<Arc<Vec<ExtraName>>>> =
        const { std::cell::RefCell::new(Vec::new()) };
}

impl From<Vec<ExtraName>> for Extras {
    fn from(v: Vec<ExtraName>) -> Self {
        if v.is_empty() {
            return Extras(None);
        }
        let shared = RECENT.with_borrow_mut(|recent| {
            if let Some(at) = recent.iter().position(|r| **r == v) {
                let r = recent.remove(at);
                recent.insert(0, r.clone());
                return r;
            }
            let r = Arc::new(v);
            recent.truncate(RECENT_EXTRAS - 1);
            recent.insert(0, r.clone());
            r
        });
        Extras(Some(shared))
    }
}

impl std::ops::Deref for Extras {
    type Target = [ExtraName];
    fn deref(&self) -> &[ExtraName] {
        self.0.as_deref().map_or(&[], Vec::as_slice)
    }
}

/// One requirement as a reader found it. A hostile file holds 1.6M of them (issue 15 §4),
/// so its size is pinned by a unit test (`requirement_stays_small`): what every requirement
/// has is inline, in `u32` offsets ([`Loc32`]) or in 16-bit offsets from its own start
/// ([`Near`]); what most requirements lack (extras, a marker, most fix anchors, a span too
/// far from the start for 16 bits) is one box ([`Rare`]), absent when empty. Readers build one with
/// [`Requirement::new`] from a [`Draft`].
#[derive(Clone, Debug)]
pub struct Requirement {
    pub name: Name,
    pub version: VersionReq,
    pub role: Role,
    pub syntax: Syntax,
    /// The file is in pip hash-checking mode (a `--hash` anywhere in it or its includes):
    /// any edit invalidates it.
    pub hashed: bool,
    /// Pre-releases allowed for this requirement by the file (`--pre`, Pipfile
    /// `allow_prereleases`).
    pub pre: bool,
    /// The format of the file the requirement is written in: it renders fixes.
    pub format: Format,
    /// The whole requirement (e.g. `numpy>=1.16 ; python_version < "3.8"` or the TOML value),
    /// in 12 bytes ([`Requirement::loc`]).
    at: Loc32,
    /// The name as written ([`Requirement::name_span`]), near `at`, or [`Near::FAR`].
    name_at: Near,
    /// Where the version text is, or would go ([`Requirement::version_slot`]).
    slot: Slot,
    rare: Option<Box<Rare>>,
}

/// A [`Requirement`] as a reader assembles it, every part at its full size:
/// [`Requirement::new`] stores it compactly. Fix anchors are added after
/// ([`Requirement::set_anchors`]).
pub struct Draft {
    pub name: Name,
    pub extras: Extras,
    pub version: VersionReq,
    pub marker: Marker,
    pub role: Role,
    pub syntax: Syntax,
    /// The whole requirement.
    pub at: Loc,
    /// The name as written.
    pub name_at: Span,
    pub hashed: bool,
    pub pre: bool,
    pub format: Format,
}

/// The parts of a [`Requirement`] that most requirements lack, in one box: a file of 1.6M
/// `gast` lines holds none (issue 15 §4).
#[derive(Clone, Debug, Default)]
struct Rare {
    extras: Extras,
    /// [`Requirement::marker`]; a requirement with one mostly has its span here too.
    marker: Marker,
    /// PEP 508: the marker part as written, with the space before its `;`.
    marker_at: Option<Span32>,
    /// Boxed, larger and rarer than the rest: only requirements on a rule's packages, and
    /// TOML entries, have them.
    insert: Option<Box<InsertAt>>,
    entry: Option<Box<TomlEntry>>,
    /// The name span when [`Near`] cannot hold it ([`Near::FAR`]).
    name_at: Option<Span32>,
    /// The version slot when [`Slot`] cannot hold it ([`Slot::Far`]).
    slot: Option<Box<VersionSlot>>,
}

impl Requirement {
    /// The requirement `d` describes, stored compactly, with no fix anchors.
    pub fn new(d: Draft) -> Requirement {
        let mut r = Requirement {
            name: d.name,
            version: d.version,
            role: d.role,
            syntax: d.syntax,
            hashed: d.hashed,
            pre: d.pre,
            format: d.format,
            at: d.at.into(),
            name_at: Near::FAR,
            slot: Slot::None,
            rare: None,
        };
        if !d.extras.is_empty() || !d.marker.is_true() {
            let rare = r.rare_mut();
            rare.extras = d.extras;
            rare.marker = d.marker;
        }
        r.set_name_span(d.name_at);
        r
    }

    /// The whole requirement (e.g. `numpy>=1.16 ; python_version < "3.8"` or the TOML value).
    pub fn loc(&self) -> Loc {
        self.at.get()
    }

    /// Move the requirement to `loc`; its name and version slot stay where they are.
    pub fn set_loc(&mut self, loc: Loc) {
        let (name, slot) = (self.name_span(), self.version_slot());
        self.at = loc.into();
        self.set_name_span(name);
        self.set_version_slot(slot);
    }

    /// The name as written.
    pub fn name_span(&self) -> Span {
        match self.rare.as_ref().and_then(|r| r.name_at) {
            Some(s) if self.name_at == Near::FAR => s.get(),
            _ => self.name_at.get(self.start()),
        }
    }

    pub(crate) fn set_name_span(&mut self, span: Span) {
        match Near::of(self.start(), span).filter(|n| *n != Near::FAR) {
            Some(n) => {
                self.name_at = n;
                if let Some(r) = &mut self.rare {
                    r.name_at = None;
                }
            }
            None => {
                self.name_at = Near::FAR;
                self.rare_mut().name_at = Some(span.into());
            }
        }
    }

    /// The markers under which the requirement applies (`Marker::TRUE` when none).
    /// Format-specific Python narrowing (Poetry `python = "..."`) is folded in here.
    pub fn marker(&self) -> &Marker {
        static NONE: Marker = Marker::TRUE;
        self.rare.as_ref().map_or(&NONE, |r| &r.marker)
    }

    /// Narrow the marker to where `m` holds too (`Marker::and`).
    pub(crate) fn and_marker(&mut self, m: impl Into<Marker>) {
        let m = m.into();
        if !m.is_true() {
            self.rare_mut().marker.and(m);
        }
    }

    /// The extras requested (`numpy[a,b]`), in order.
    pub fn extras(&self) -> &[ExtraName] {
        self.rare.as_ref().map_or(&[], |r| &r.extras)
    }

    pub(crate) fn set_extras(&mut self, extras: Extras) {
        if !extras.is_empty() || self.rare.is_some() {
            self.rare_mut().extras = extras;
        }
    }

    /// Set every fix anchor at once, as the parser that read the requirement found them;
    /// an insertion point set before is dropped.
    pub(crate) fn set_anchors(&mut self, a: Anchors) {
        self.set_version_slot(a.version);
        if a.marker.is_some() || a.entry.is_some() || self.rare.is_some() {
            let rare = self.rare_mut();
            rare.marker_at = a.marker.map(Span32::from);
            rare.entry = a.entry.map(Box::new);
            rare.insert = None;
        }
    }

    /// Where the version text is, or would go.
    pub(crate) fn version_slot(&self) -> Option<VersionSlot> {
        let start = self.start();
        match self.slot {
            Slot::None => None,
            Slot::Clauses => Some(VersionSlot::Clauses),
            Slot::Replace { at, quote } => Some(VersionSlot::Replace {
                span: at.get(start),
                quote: QUOTES[quote as usize],
            }),
            Slot::Insert { off, around } => Some(VersionSlot::Insert {
                at: start + off as usize,
                around: &AROUNDS[around as usize],
            }),
            Slot::Far => self.rare.as_ref().and_then(|r| r.slot.as_deref().cloned()),
        }
    }

    fn set_version_slot(&mut self, slot: Option<VersionSlot>) {
        let start = self.start();
        let near = match &slot {
            None => Some(Slot::None),
            Some(VersionSlot::Clauses) => Some(Slot::Clauses),
            Some(VersionSlot::Replace { span, quote }) => Near::of(start, *span)
                .zip(QUOTES.iter().position(|q| q == quote))
                .map(|(at, q)| Slot::Replace { at, quote: q as u8 }),
            Some(VersionSlot::Insert { at, around }) => at
                .checked_sub(start)
                .and_then(|off| u16::try_from(off).ok())
                .zip(AROUNDS.iter().position(|a| a == *around))
                .map(|(off, i)| Slot::Insert {
                    off,
                    around: i as u8,
                }),
        };
        self.slot = near.unwrap_or(Slot::Far);
        let far = match near {
            Some(_) => None,
            None => slot.map(Box::new),
        };
        if far.is_some() || self.rare.is_some() {
            self.rare_mut().slot = far;
        }
    }

    /// PEP 508: the marker part as written, with the space before its `;`
    /// (` ; python_version < "3.8"`), which a requirement inserted beside this one copies.
    pub(crate) fn marker_span(&self) -> Option<Span> {
        Some(self.rare.as_ref()?.marker_at?.get())
    }

    /// Where a requirement inserted after this one goes, in its neighbours' layout.
    pub(crate) fn insert_at(&self) -> Option<&InsertAt> {
        self.rare.as_ref()?.insert.as_deref()
    }

    /// A TOML `key = value` dependency entry (Poetry, Pipfile): what an entry inserted after
    /// it copies and must not repeat.
    pub(crate) fn entry(&self) -> Option<&TomlEntry> {
        self.rare.as_ref()?.entry.as_deref()
    }

    pub(crate) fn set_insert(&mut self, insert: Option<InsertAt>) {
        if insert.is_some() || self.rare.is_some() {
            self.rare_mut().insert = insert.map(Box::new);
        }
    }

    /// Where the requirement starts: what [`Near`] offsets count from.
    fn start(&self) -> usize {
        self.at.span.start as usize
    }

    fn rare_mut(&mut self) -> &mut Rare {
        self.rare.get_or_insert_with(Box::default)
    }
}

/// A span near a requirement's start, as an `i16` offset from it (a lockfile entry is
/// located at its version value, a line below its name) and a `u16` length: 4 bytes where
/// a [`Span32`] takes 8. One that does not fit (32 KiB or more away, on a long line) is
/// held in [`Rare`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Near {
    off: i16,
    len: u16,
}

impl Near {
    /// Stands for "held in [`Rare`]" where a `Near` is the only place a span could be.
    const FAR: Near = Near {
        off: i16::MIN,
        len: u16::MAX,
    };

    /// `span` from `start`, if it fits.
    fn of(start: usize, span: Span) -> Option<Near> {
        let off = isize::try_from(span.start).ok()? - isize::try_from(start).ok()?;
        Some(Near {
            off: i16::try_from(off).ok()?,
            len: u16::try_from(span.end.checked_sub(span.start)?).ok()?,
        })
    }

    fn get(self, start: usize) -> Span {
        let s = start.saturating_add_signed(self.off as isize);
        Span::new(s, s + self.len as usize)
    }
}

/// A span held in 8 bytes, for the parts of a [`Requirement`] that every requirement has
/// (a hostile file holds 1.6M of them, issue 15 §4). Offsets fit a `u32`: input is capped
/// at 8 MiB a file, and its decoded text at a few times that.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct Span32 {
    start: u32,
    end: u32,
}

impl Span32 {
    pub fn get(self) -> Span {
        Span::new(self.start as usize, self.end as usize)
    }
}

/// A [`Loc`] held in 12 bytes, as every [`Requirement`] has one (1.6M in a hostile file,
/// issue 15 §4): a `u32` file index (a run never registers 4 billion files) and a
/// [`Span32`].
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub(crate) struct Loc32 {
    file: u32,
    span: Span32,
}

impl Loc32 {
    pub(crate) fn get(self) -> Loc {
        Loc {
            file: self.file as FileId,
            span: self.span.get(),
        }
    }
}

impl From<Loc> for Loc32 {
    fn from(l: Loc) -> Loc32 {
        Loc32 {
            file: offset32(l.file),
            span: l.span.into(),
        }
    }
}

/// A file offset as a `u32` ([`Span32`]); never reached, an offset past it saturates.
fn offset32(at: usize) -> u32 {
    u32::try_from(at).unwrap_or(u32::MAX)
}

impl From<Span> for Span32 {
    fn from(s: Span) -> Span32 {
        Span32 {
            start: offset32(s.start),
            end: offset32(s.end),
        }
    }
}

/// Where a fix goes and what it copies, captured by the parser that read the requirement, so
/// rendering a fix never reads the file's syntax again ([`Requirement::set_anchors`]). Empty
/// when no edit maps one to one (escapes, unusual layouts, lockfiles). The requirement holds
/// the version slot inline ([`Slot`]) and the rest, which most requirements lack, in
/// [`Rare`].
#[derive(Clone, Debug, Default)]
pub(crate) struct Anchors {
    version: Option<VersionSlot>,
    marker: Option<Span>,
    entry: Option<TomlEntry>,
}

impl Anchors {
    pub(crate) fn new(
        version: Option<VersionSlot>,
        marker: Option<Span>,
        entry: Option<TomlEntry>,
    ) -> Anchors {
        Anchors {
            version,
            marker,
            entry,
        }
    }
}

/// A [`VersionSlot`] in 6 bytes: offsets from the requirement's start ([`Near`]), and the
/// quote and the text around an insertion as indices into [`QUOTES`] and [`AROUNDS`].
#[derive(Clone, Copy, Debug, Default)]
enum Slot {
    #[default]
    None,
    Clauses,
    Replace {
        at: Near,
        quote: u8,
    },
    Insert {
        off: u16,
        around: u8,
    },
    /// A slot these do not hold (far from the start, another quote or text around an
    /// insertion): in [`Rare`].
    Far,
}

/// The quotes a replaced version is written in; another is held in [`Rare`].
const QUOTES: [Option<char>; 3] = [None, Some('"'), Some('\'')];

/// The texts around an inserted version that readers use; another is held in [`Rare`].
const AROUNDS: [[&str; 2]; 3] = [["", ""], ["version = \"", "\", "], ["version = \"", "\""]];

/// Where a new requirement goes beside this one, and the layout around it: the new text is
/// written at `at` as `before` + requirement + `after`, where `\n` stands for the file's
/// line ending (`"\n    "` + `'numpy>=1.16'` + `","` after a multi-line array element;
/// `"  - "` + `numpy>=1.16` + `"\n"` after a YAML list item).
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct InsertAt {
    pub at: usize,
    /// Static when it is a constant (`""`, `"\n"`): no allocation per requirement.
    pub before: std::borrow::Cow<'static, str>,
    pub after: std::borrow::Cow<'static, str>,
    /// Characters the requirement text must not contain (the quote it is written in, and
    /// `\` in a string with escapes).
    pub forbid: &'static str,
}

/// How the version of a requirement is written, or where it would go.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum VersionSlot {
    /// The specifier text at the `VersionReq` span, with its comma clauses: an edit keeps
    /// the leading clauses the new range keeps (PEP 508).
    Clauses,
    /// The text at `span` is the version: replaced by the new one, written inside `quote`
    /// when the span is a whole string token.
    Replace { span: Span, quote: Option<char> },
    /// No version is written: the new one goes at `at`, between `around[0]` and
    /// `around[1]` (`numpy` -> `numpy>=1.16`; `{ markers = ".." }` ->
    /// `{ version = ">=1.16", markers = ".." }`); one pointer, so the slot stays small.
    Insert {
        at: usize,
        around: &'static [&'static str; 2],
    },
}

/// A TOML dependency entry `name = value`, where a sibling entry goes after it.
#[derive(Clone, Debug)]
pub(crate) struct TomlEntry {
    /// The whole entry, key to end of value (for a Poetry list of constraint tables, the
    /// whole list).
    pub span: Span,
    /// The restrictions of its inline table that a sibling copies, as written: the spans of
    /// each key and of its value (`python = ">=3.6,<3.8"`, `markers = "..."`).
    pub restrictions: Vec<(Span, Span)>,
    /// The keys of the table the entry is in, lower-cased: a sibling never repeats one.
    pub siblings: std::sync::Arc<[String]>,
    /// The quote of the entry's key (`"tensorflow" = ...`), which a sibling's key repeats.
    pub key_quote: Option<char>,
}

/// One reason a file could not be read completely. Parsers report these instead of
/// aborting; the checker turns them into `parse-error` / `include-error` / `unevaluable`.
#[derive(Clone, Debug)]
pub struct Problem {
    pub kind: ProblemKind,
    pub loc: Loc,
    pub message: String,
    pub help: Option<String>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ProblemKind {
    Parse,
    Include,
    Unevaluable,
    /// Not an error, but worth saying (e.g. Latin-1 fallback decoding).
    Note,
}

/// What a parser returns for one file.
#[derive(Clone, Debug, Default)]
pub struct Parsed {
    pub requirements: Vec<Requirement>,
    /// Units this file defines. Empty means: one unit holding every requirement.
    pub groups: Vec<Group>,
    pub problems: Vec<Problem>,
    /// Python versions the file restricts itself to (`requires-python`, Pipfile
    /// `[requires]`, conda `python=`), as PEP 440 specifiers (read clause by clause,
    /// `versions::read_specifiers`: a Requires-Python of a million clauses held pep440_rs's
    /// list, 200 bytes a clause) with their location.
    pub requires_python: Option<(Arc<crate::versions::Specifiers>, Loc)>,
    /// The one platform (`sys_platform` name of `rules/environments.tsv`) the file is for:
    /// a generated file's `--python-platform` (`formats::pip_compile::restrict`).
    pub target_platform: Option<(&'static str, Loc)>,
    /// pip hash-checking mode is on for this unit (a `--hash` or `--require-hashes`
    /// anywhere in the file or its includes): any edit breaks the install.
    pub hashed: bool,
    /// pip's `--pre` is on for this unit (a `--pre` line anywhere in the file or its
    /// includes): every requirement of it admits pre-releases (`Requirement::pre`). Kept
    /// here too so that a file holding `--pre` and no requirement still says so (a global
    /// `--constraint` file, `run.rs`).
    pub pre: bool,
    /// Files pulled in by includes (`-r`, `-c`, conda `pip: -r`), with the location of the
    /// include line in the including file.
    pub includes: Vec<(FileId, Loc)>,
    /// Requirement lines that do not parse (each a `parse-error`) but name their package,
    /// with the units they belong to: pip refuses the whole file, so nothing is claimed about
    /// that package in those units.
    pub unparsed: Vec<Unparsed>,
}

/// A requirement line that does not parse, by the package it names.
#[derive(Clone, Debug)]
pub struct Unparsed {
    pub name: PackageName,
    pub loc: Loc,
    /// The units (indices into [`Parsed::groups`]) it belongs to; every unit of a file that
    /// defines no groups. A unit that adds to a base ([`Group::base`]) holds its base's
    /// broken lines without being listed here.
    pub groups: Vec<usize>,
}

/// A named subset of a file's requirements that is installed together (PEP 621 extras,
/// dependency groups, build-system, Pipfile dev-packages, lockfile categories ...).
#[derive(Clone, Debug)]
pub struct Group {
    /// What kind of install the unit is; the checker decides by this, never by `name`.
    pub kind: GroupKind,
    /// Which tool's own table declares the unit, where the kind alone does not say whose
    /// it is: `[tool.poetry]`, `[tool.pdm]` or `[tool.uv]` in a pyproject.toml. `None` for a
    /// standard table (PEP 621 `[project]`, PEP 735, PEP 518) and for every unit of a file
    /// that only one tool reads. The parsers decide by this, never by `name`.
    pub tool: Option<GroupTool>,
    /// How messages name the unit (`project[viz]`, `poetry:dev`, `default+develop`): for
    /// display only, no code reads meaning out of it.
    pub name: String,
    /// Indices into `Parsed::requirements`. With a [`Group::base`], only what this group
    /// adds to it: in index order, each once, none of the base's.
    pub members: Vec<usize>,
    /// Extras requested for this unit (so `extra == "x"` markers hold).
    pub extras: Vec<ExtraName>,
    /// The group (an index into `Parsed::groups`, itself with no base) whose members are this
    /// group's too: an extra refers to its base install instead of holding a copy of it, so
    /// M base requirements and E extras cost M + E, not M × E (issue 15 §4). The unit's
    /// requirements are the base's and its own `members`, in index order, each once.
    pub base: Option<usize>,
}

impl Group {
    /// Make this group add to group `base`, whose members, sorted and each once, are
    /// `base_members`: its own members are kept sorted, each once, without the base's.
    pub(crate) fn add_to(&mut self, base: usize, base_members: &[usize]) {
        self.members.sort_unstable();
        self.members.dedup();
        self.members
            .retain(|m| base_members.binary_search(m).is_err());
        self.base = Some(base);
    }
}

impl Parsed {
    /// Every member of group `g`, its base's included ([`Group::base`]), in unit order.
    pub fn members(&self, g: usize) -> Vec<usize> {
        let group = &self.groups[g];
        let Some(b) = group.base else {
            return group.members.clone();
        };
        let mut all: Vec<usize> = self.groups[b].members.clone();
        all.extend(group.members.iter().copied());
        all.sort_unstable();
        all.dedup();
        all
    }
}

/// What kind of install a [`Group`] is. A base install is what a plain install of the file
/// (or project) takes; every other kind adds to it, and findings in those are named by
/// their unit.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum GroupKind {
    /// The file itself, a project's main dependencies (`project`, `install_requires`,
    /// `poetry`, Pipfile `packages`, a conda environment) or a lock's default group.
    Base,
    /// PEP 518 `build-system.requires`: its own install, not an addition to the base.
    BuildSystem,
    /// The base plus an extra (`project[viz]`, `extra:viz`, `poetry[viz]`).
    Extra,
    /// A PEP 735 dependency group (`dependency-groups:test`).
    DependencyGroup,
    /// A tool's own development group: Poetry groups, PDM and uv dev-dependencies,
    /// Pipfile `dev-packages`.
    ToolGroup,
    /// A lockfile group installed with the default one (`default+develop`, `main+dev`).
    LockGroup,
    /// Every package of a lockfile (`all`).
    LockAll,
}

/// The tool whose own table in a shared file declares a [`Group`] ([`Group::tool`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum GroupTool {
    /// `[tool.poetry]`: Poetry's main dependencies, its extras and its groups.
    Poetry,
    /// `[tool.pdm.dev-dependencies]`.
    Pdm,
    /// `[tool.uv] dev-dependencies`.
    Uv,
}

impl GroupKind {
    /// Whether the unit adds to a base install (and so is named in messages).
    pub(crate) fn is_derived(self) -> bool {
        !matches!(self, GroupKind::Base | GroupKind::BuildSystem)
    }
}

#[cfg(test)]
mod tests {
    /// A hostile requirements file holds 1.6M requirements within the 8 MiB cap (issue 15
    /// §4: under 200 MB); each byte added here costs 1.6 MB there. Grow these only with a
    /// measurement of `bench/hostile.sh`'s `requirements-1.6m-gast-lines`. The name is one
    /// pointer ([`super::Name`]): 16 bytes less than the `String` it was, and one heap block
    /// per package rather than per requirement. The name span and the version slot hold
    /// `u32` offsets ([`super::Span32`]): 152 -> 136 bytes. The location in 12 bytes
    /// ([`super::Loc32`]), one clause's span in `u32` offsets and a clause list and a union's
    /// alternatives behind one and two words ([`super::ClauseSpans`], `VersionReq::AnyOf`):
    /// 136 -> 120. The version's spans in `u32` offsets ([`super::Span32`]): 120 -> 112.
    /// Extras and the uncommon anchors in one box ([`super::Rare`]), the name span and the
    /// version slot in 16-bit offsets from the start ([`super::Near`], [`super::Slot`]):
    /// 112 -> 88. The marker in the box too (a requirement with one mostly had the box for
    /// its span already): 88 -> 80.
    #[test]
    fn requirement_stays_small() {
        assert_eq!(std::mem::size_of::<super::Requirement>(), 80);
        assert_eq!(std::mem::size_of::<super::Name>(), 8);
        assert_eq!(std::mem::size_of::<super::VersionReq>(), 32);
        assert_eq!(std::mem::size_of::<super::Near>(), 4);
        assert_eq!(std::mem::size_of::<super::Slot>(), 6);
        assert_eq!(std::mem::size_of::<Option<Box<super::Rare>>>(), 8);
        assert_eq!(std::mem::size_of::<super::Span32>(), 8);
        assert_eq!(std::mem::size_of::<super::ClauseSpans>(), 16);
        assert_eq!(std::mem::size_of::<super::Loc32>(), 12);
    }

    /// The name span and the version slot read back as they were set, whether they fit
    /// the inline 16-bit offsets from the start or not (an 8 MiB line puts them 64 KiB and
    /// more away; a lockfile's name is before its version), also after the requirement
    /// moves.
    #[test]
    fn spans_near_and_far_read_back() {
        use super::{Draft, Loc, Requirement, Span, VersionSlot};
        use std::str::FromStr;
        // The requirement starts at `b`; `far` is past any 16-bit offset.
        let (b, far) = (100_000, 70_000);
        let names = [
            Span::new(b, b + 4),
            Span::new(b + far, b + 4 + far),
            Span::new(b - 10, b - 6),
            Span::new(b - far, b - far + 4),
            Span::new(b + 32_767, b + 32_771),
            Span::new(b + 32_768, b + 32_772),
            Span::new(b - 32_768, b - 32_764),
            Span::new(b - 32_769, b - 32_765),
            Span::new(b, b + far),
            Span::new(b + 65_535, b + 65_535 + 65_535),
        ];
        let slots = [
            None,
            Some(VersionSlot::Clauses),
            Some(VersionSlot::Replace {
                span: Span::new(b + 4, b + 10),
                quote: Some('"'),
            }),
            Some(VersionSlot::Replace {
                span: Span::new(b + 4 + far, b + 10 + far),
                quote: None,
            }),
            Some(VersionSlot::Replace {
                span: Span::new(b - 20, b - 10),
                quote: Some('`'),
            }),
            Some(VersionSlot::Insert {
                at: b + 4,
                around: &["version = \"", "\""],
            }),
            Some(VersionSlot::Insert {
                at: b + 4 + far,
                around: &["", ""],
            }),
            Some(VersionSlot::Insert {
                at: b - 1,
                around: &["", ""],
            }),
            Some(VersionSlot::Insert {
                at: b + 4,
                around: &["(", ")"],
            }),
        ];
        for name_at in names {
            for slot in &slots {
                let mut r = Requirement::new(Draft {
                    name: super::Name::new(pep508_rs::PackageName::from_str("gast").unwrap()),
                    extras: Default::default(),
                    version: super::VersionReq::Any,
                    marker: super::Marker::TRUE,
                    role: super::Role::Require,
                    syntax: super::Syntax::Pep508,
                    at: Loc {
                        file: 3,
                        span: Span::new(b, b + 100 + far),
                    },
                    name_at,
                    hashed: false,
                    pre: false,
                    format: crate::formats::Format::Requirements,
                });
                r.set_anchors(super::Anchors::new(slot.clone(), None, None));
                assert_eq!((r.name_span(), r.version_slot()), (name_at, slot.clone()));
                let moved = Span::new(b + 9, b + 99);
                r.set_loc(Loc {
                    file: 3,
                    span: moved,
                });
                assert_eq!((r.name_span(), r.version_slot()), (name_at, slot.clone()));
                assert_eq!(
                    r.loc(),
                    Loc {
                        file: 3,
                        span: moved
                    }
                );
            }
        }
    }

    /// Requirements on one package share one name, also when other names come between
    /// (a few alternating packages), and equal names compare equal whether shared or not.
    #[test]
    fn names_of_one_package_are_shared() {
        use std::str::FromStr;
        let name = |s: &str| super::Name::new(pep508_rs::PackageName::from_str(s).unwrap());
        let (a, b, c) = (name("gast"), name("numpy"), name("Gast"));
        assert!(std::sync::Arc::ptr_eq(&a.0, &c.0));
        assert!(!std::sync::Arc::ptr_eq(&a.0, &b.0));
        assert_eq!(a, c);
        assert_ne!(a, b);
        assert_eq!(*a, pep508_rs::PackageName::from_str("gast").unwrap());
        assert_eq!(a.to_string(), "gast");
        assert_eq!(format!("{a:?}"), format!("{:?}", *a));
    }
}
