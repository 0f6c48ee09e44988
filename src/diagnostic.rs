//! Findings: what the checker produces and every reporter consumes.
//!
//! Release names are shared with the rule's release list, not copied per finding: a
//! finding's `outside_released` is the evaluator's memoised index list
//! ([`ReleaseNames`]), its picks and runs hold the release's own text ([`ReleaseText`]),
//! and places are the embedded environments' names (`&'static str`).

use std::borrow::Cow;
use std::cell::RefCell;
use std::hash::{BuildHasher, Hasher};
use std::ops::{Deref, DerefMut};
use std::sync::Arc;

use crate::check::FastHash;
use crate::manifest::Loc;
use crate::rules::releases::ReleaseList;

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Info,
    Warning,
    Error,
}

impl Severity {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Severity::Info => "info",
            Severity::Warning => "warning",
            Severity::Error => "error",
        }
    }
}

/// The checks: generated from the check registry (`src/check/registry.rs`).
pub use crate::check::Check;

#[derive(Clone, Debug)]
pub struct Related {
    pub loc: Loc,
    pub message: String,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Applicability {
    Safe,
    Unsafe,
}

#[derive(Clone, Debug)]
pub struct Fix {
    /// The text to replace (an empty span inserts).
    pub loc: Loc,
    pub replacement: String,
    pub applicability: Applicability,
    /// Why the fix is unsafe, or what it does.
    pub reason: Option<String>,
}

#[derive(Clone, Debug)]
pub struct Diagnostic {
    pub check: Check,
    /// Rule id such as `tensorflow-1.14/numpy`; None for input problems.
    pub rule: Option<String>,
    pub severity: Severity,
    pub message: Shared<String>,
    /// The primary location; its label is `label`.
    pub loc: Loc,
    pub label: Shared<String>,
    pub package: Option<String>,
    /// The tested window as a specifier string.
    pub window: Option<String>,
    /// The Pythons (`major.minor`) the finding holds on (a summary of `environments`).
    pub pythons: Shared<Vec<Cow<'static, str>>>,
    /// The operating systems it holds on (a summary of `environments`).
    pub platforms: Shared<Vec<Cow<'static, str>>>,
    /// The target environments it holds on, in the order of `rules/environments.tsv`.
    pub environments: Shared<Vec<Place>>,
    /// Published final releases admitted outside the window (whatever their
    /// Requires-Python and the trigger's declared range).
    pub outside_released: ReleaseNames,
    /// `outside_released` as a count and runs.
    pub outside_released_summary: Shared<ReleaseSummary>,
    /// The part of `outside_released` pip can install on at least one environment where the
    /// finding holds (the trigger's declared range allows it and its Requires-Python admits
    /// one of the finding's Pythons): the count the message shows.
    pub outside_installable: Shared<ReleaseSummary>,
    /// The version pip would pick, per environment (same order).
    pub pip_would_pick: Shared<Vec<Pick>>,
    pub related: Vec<Related>,
    pub fix: Option<Fix>,
    /// Longer explanation / advice shown as `help:`.
    pub help: Option<Shared<String>>,
    /// Facts behind the message, one sentence each: pip's picks, qualifications ("only if
    /// TensorFlow 1.14.0 is installed"), effects, sources. Shown as `note:` lines.
    pub notes: Shared<Vec<String>>,
    /// Set when an inline suppression silenced the finding: its reason.
    pub suppressed: Option<String>,
}

impl Diagnostic {
    /// The help text, if any, as text (`help` is a shared part).
    pub fn help_str(&self) -> Option<&str> {
        self.help.as_deref().map(String::as_str)
    }

    /// A diagnostic for an input problem (no rule, no package).
    pub fn problem(check: Check, severity: Severity, loc: Loc, message: String) -> Diagnostic {
        Diagnostic {
            check,
            rule: None,
            severity,
            label: Shared::default(),
            message: message.into(),
            loc,
            package: None,
            window: None,
            pythons: Shared::default(),
            platforms: Shared::default(),
            environments: Shared::default(),
            outside_released: ReleaseNames::default(),
            outside_released_summary: Shared::default(),
            outside_installable: Shared::default(),
            pip_would_pick: Shared::default(),
            related: Vec::new(),
            fix: None,
            help: None,
            notes: Shared::default(),
            suppressed: None,
        }
    }

    pub(crate) fn code(&self) -> &'static str {
        self.check.code()
    }

    /// Take in the same finding reached another way (another environment, unit or
    /// including file): the environments and picks add up, the higher severity wins.
    pub(crate) fn absorb(&mut self, other: Diagnostic) {
        // Gathered in a list of its own: `set_environments` sorts and replaces the shared
        // one, which a push through it would copy first.
        let mut envs = self.environments.to_vec();
        for &e in other.environments.iter() {
            if !envs.contains(&e) {
                envs.push(e);
            }
        }
        for p in other.pip_would_pick.iter() {
            if !self
                .pip_would_pick
                .iter()
                .any(|q| q.python == p.python && q.platform == p.platform)
            {
                self.pip_would_pick.push(p.clone());
            }
        }
        let order = |p: &Pick| Place::new(p.python, p.platform).order();
        // Sorted in place only when out of order: a shared list is copied to be changed.
        if !self.pip_would_pick.is_sorted_by_key(order) {
            self.pip_would_pick.sort_by_key(order);
        }
        self.set_environments(envs);
        self.severity = self.severity.max(other.severity);
    }

    /// Make the finding what a report holds until it is written (issue 13, flat memory):
    /// every list and text gives back the spare room it grew while it was phrased, and a
    /// part that a finding recently held on this thread repeats word for word (the
    /// message, the notes, the places, pip's picks: a tree's findings have a handful of
    /// each) is shared with it instead of kept as a copy of its own.
    pub(crate) fn hold(&mut self) {
        self.shrink_to_fit();
        RECENT.with(|recent| {
            let r = &mut *recent.borrow_mut();
            r.texts.share(&mut self.message);
            r.texts.share(&mut self.label);
            if let Some(help) = &mut self.help {
                r.texts.share(help);
            }
            r.notes.share(&mut self.notes);
            r.words.share(&mut self.pythons);
            r.words.share(&mut self.platforms);
            r.places.share(&mut self.environments);
            r.picks.share(&mut self.pip_would_pick);
        });
    }

    /// Give back the spare room of every list and text of the finding that is its own
    /// (they grew by doubling while it was phrased).
    fn shrink_to_fit(&mut self) {
        fn text(s: &mut String) {
            s.shrink_to_fit();
        }
        fn opt(s: &mut Option<String>) {
            if let Some(s) = s {
                s.shrink_to_fit();
            }
        }
        opt(&mut self.rule);
        self.message.if_own(text);
        self.label.if_own(text);
        opt(&mut self.package);
        opt(&mut self.window);
        self.pythons.if_own(Vec::shrink_to_fit);
        self.platforms.if_own(Vec::shrink_to_fit);
        self.environments.if_own(Vec::shrink_to_fit);
        self.outside_released_summary
            .if_own(|s| s.ranges.shrink_to_fit());
        self.outside_installable
            .if_own(|s| s.ranges.shrink_to_fit());
        self.pip_would_pick.if_own(Vec::shrink_to_fit);
        for r in &mut self.related {
            text(&mut r.message);
        }
        self.related.shrink_to_fit();
        if let Some(f) = &mut self.fix {
            text(&mut f.replacement);
            opt(&mut f.reason);
        }
        if let Some(help) = &mut self.help {
            help.if_own(text);
        }
        self.notes.if_own(|notes| {
            notes.iter_mut().for_each(text);
            notes.shrink_to_fit();
        });
        opt(&mut self.suppressed);
    }

    /// Set where the finding holds, and the `pythons` and `platforms` summaries with it.
    pub fn set_environments(&mut self, mut envs: Vec<Place>) {
        // Keys computed once per place, not per comparison (`python_order` parses).
        envs.sort_by_cached_key(Place::order);
        envs.dedup();
        let mut pythons: Vec<Cow<'static, str>> = Vec::new();
        let mut platforms: Vec<Cow<'static, str>> = Vec::new();
        for e in &envs {
            if !pythons.iter().any(|p| p == e.python) {
                pythons.push(Cow::Borrowed(e.python));
            }
            if !platforms.iter().any(|p| p == e.platform) {
                platforms.push(Cow::Borrowed(e.platform));
            }
        }
        platforms.sort_by_key(|p| platform_order(p));
        self.pythons = pythons.into();
        self.platforms = platforms.into();
        self.environments = envs.into();
    }
}

/// A part of a finding that many findings repeat word for word (a message, the notes, the
/// places): one value behind a reference count, copied only when a finding changes it
/// (`DerefMut`, copy on write), so sharing never changes what a finding says. An empty
/// part allocates nothing.
pub struct Shared<T: Empty>(Option<Arc<T>>);

/// A value with an empty form that lives for the whole process (an empty [`Shared`] reads
/// as it).
pub trait Empty: Clone + 'static {
    const EMPTY: &'static Self;
    /// The value is the empty form: a [`Shared`] made of it holds nothing.
    fn is_empty_form(&self) -> bool;
}

impl Empty for String {
    const EMPTY: &'static String = &String::new();
    fn is_empty_form(&self) -> bool {
        self.is_empty()
    }
}

impl<E: Clone + 'static> Empty for Vec<E> {
    const EMPTY: &'static Vec<E> = &Vec::new();
    fn is_empty_form(&self) -> bool {
        self.is_empty()
    }
}

impl Empty for ReleaseSummary {
    const EMPTY: &'static ReleaseSummary = &ReleaseSummary {
        count: 0,
        ranges: Vec::new(),
    };
    fn is_empty_form(&self) -> bool {
        self.count == 0 && self.ranges.is_empty()
    }
}

impl<T: Empty> Shared<T> {
    /// Which held value this is (its address), for a memo of its rendering: equal for the
    /// findings that share it while they live; None for the empty form (nothing held).
    pub(crate) fn id(&self) -> Option<usize> {
        self.0
            .as_ref()
            .map(|held| Arc::as_ptr(held) as *const u8 as usize)
    }

    /// Run `f` on the value when this finding is its only holder (a shared value is left
    /// as it is: changing it would copy it).
    fn if_own(&mut self, f: impl FnOnce(&mut T)) {
        if let Some(own) = self.0.as_mut().and_then(Arc::get_mut) {
            f(own);
        }
    }
}

impl<T: Empty> Deref for Shared<T> {
    type Target = T;
    fn deref(&self) -> &T {
        self.0.as_deref().unwrap_or(T::EMPTY)
    }
}

impl<T: Empty> DerefMut for Shared<T> {
    fn deref_mut(&mut self) -> &mut T {
        Arc::make_mut(self.0.get_or_insert_with(|| Arc::new(T::EMPTY.clone())))
    }
}

impl<T: Empty> From<T> for Shared<T> {
    /// Shared, or nothing held for the empty form (the placeholder a merge leaves for each
    /// finding it absorbs has an empty message).
    fn from(value: T) -> Self {
        Shared((!value.is_empty_form()).then(|| Arc::new(value)))
    }
}

impl From<&str> for Shared<String> {
    fn from(value: &str) -> Self {
        Shared::from(value.to_owned())
    }
}

impl<'a, E: Clone + 'static> IntoIterator for &'a Shared<Vec<E>> {
    type Item = &'a E;
    type IntoIter = std::slice::Iter<'a, E>;
    fn into_iter(self) -> Self::IntoIter {
        self.iter()
    }
}

impl<E: Clone + 'static> FromIterator<E> for Shared<Vec<E>> {
    fn from_iter<I: IntoIterator<Item = E>>(iter: I) -> Self {
        Shared::from(iter.into_iter().collect::<Vec<E>>())
    }
}

impl<T: Empty> Default for Shared<T> {
    fn default() -> Self {
        Shared(None)
    }
}

impl<T: Empty> Clone for Shared<T> {
    fn clone(&self) -> Self {
        Shared(self.0.clone())
    }
}

impl<T: Empty + std::fmt::Debug> std::fmt::Debug for Shared<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        (**self).fmt(f)
    }
}

impl<T: Empty + PartialEq> PartialEq for Shared<T> {
    fn eq(&self, other: &Self) -> bool {
        **self == **other
    }
}

impl std::fmt::Display for Shared<String> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self)
    }
}

/// Sets of slots a kind of part has in [`Recent`], and slots a set has.
const RECENT_SETS: usize = 16;
const RECENT_WAYS: usize = 4;

/// The parts of one kind that findings recently held on this thread, for [`Diagnostic::hold`]
/// to share: placed by hash in a set of [`RECENT_WAYS`] slots, most recent first (a new part
/// pushes out the set's oldest), so a lookup is one hash and at most four comparisons
/// whatever the input, and the table holds at most 64 parts however long the process runs
/// (the language server). One slot per hash (direct-mapped) lost the sharing of whichever
/// two frequent parts happened to collide, and a fingerprint holds addresses, so which ones
/// did changed from run to run (the held bytes per finding moved by 10%).
struct Recent<T: Empty>(Vec<Option<Arc<T>>>);

impl<T: Empty> Default for Recent<T> {
    fn default() -> Self {
        Recent(vec![None; RECENT_SETS * RECENT_WAYS])
    }
}

impl<T: Empty + Fingerprint + Eq> Recent<T> {
    /// Make `part` the held equal part when there is one, else remember it.
    fn share(&mut self, part: &mut Shared<T>) {
        let Some(mine) = &part.0 else { return };
        let mut print = FastHash.build_hasher();
        mine.fingerprint(&mut print);
        let at = (print.finish() as usize % RECENT_SETS) * RECENT_WAYS;
        let set = &mut self.0[at..at + RECENT_WAYS];
        let found = set.iter().position(|slot| {
            slot.as_ref()
                .is_some_and(|held| Arc::ptr_eq(held, mine) || **held == **mine)
        });
        match found {
            Some(i) => {
                part.0 = set[i].clone();
                set[..=i].rotate_right(1);
            }
            None => {
                set.rotate_right(1);
                set[0] = Some(mine.clone());
            }
        }
    }
}

/// What [`Recent`] places a part by: its sizes and a few words of its texts, not every byte
/// (hashing every byte of every finding's notes was 2% of a run's instructions). A part is
/// compared whole before it is shared, so two parts with one fingerprint only take turns in
/// a slot.
trait Fingerprint {
    fn fingerprint(&self, print: &mut impl Hasher);
}

impl Fingerprint for str {
    fn fingerprint(&self, print: &mut impl Hasher) {
        let b = self.as_bytes();
        print.write_usize(b.len());
        match (b.first_chunk::<8>(), b.last_chunk::<8>()) {
            (Some(first), Some(last)) => {
                print.write_u64(u64::from_le_bytes(*first));
                print.write_u64(u64::from_le_bytes(*last));
            }
            _ => b.iter().for_each(|&c| print.write_u8(c)),
        }
    }
}

impl Fingerprint for String {
    fn fingerprint(&self, print: &mut impl Hasher) {
        self.as_str().fingerprint(print);
    }
}

impl Fingerprint for Cow<'static, str> {
    fn fingerprint(&self, print: &mut impl Hasher) {
        (**self).fingerprint(print);
    }
}

/// A place by the addresses of its names: the embedded environment table's, the same for
/// every finding (equal names elsewhere only miss the sharing).
impl Fingerprint for Place {
    fn fingerprint(&self, print: &mut impl Hasher) {
        print.write_usize(self.python.as_ptr() as usize);
        print.write_usize(self.platform.as_ptr() as usize);
    }
}

/// A pick by its place and the address of its version's text, the release list's.
impl Fingerprint for Pick {
    fn fingerprint(&self, print: &mut impl Hasher) {
        Place::new(self.python, self.platform).fingerprint(print);
        print.write_usize(self.version.as_ptr() as usize);
    }
}

impl<E: Fingerprint + Clone + 'static> Fingerprint for Vec<E> {
    fn fingerprint(&self, print: &mut impl Hasher) {
        print.write_usize(self.len());
        self.iter().for_each(|e| e.fingerprint(print));
    }
}

/// [`Recent`] parts by kind.
#[derive(Default)]
struct RecentParts {
    texts: Recent<String>,
    notes: Recent<Vec<String>>,
    words: Recent<Vec<Cow<'static, str>>>,
    places: Recent<Vec<Place>>,
    picks: Recent<Vec<Pick>>,
}

thread_local! {
    static RECENT: RefCell<RecentParts> = RefCell::new(RecentParts::default());
}

/// A target environment a finding holds on: a Python (`major.minor`) and an operating
/// system (`linux`, `darwin`, `win32`), named by the embedded environment table
/// (`rules/environments.tsv`), so a place copies no text.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Place {
    pub python: &'static str,
    pub platform: &'static str,
}

impl Place {
    pub fn new(python: &'static str, platform: &'static str) -> Place {
        Place { python, platform }
    }

    /// Python by number, then the operating systems in `PLATFORMS` order.
    pub(crate) fn order(&self) -> ((u64, u64), usize) {
        (python_order(self.python), platform_order(self.platform))
    }
}

/// A Python `major.minor` by number (a part that is not a number counts as 0), as a sort
/// key that allocates nothing.
pub(crate) fn python_order(python: &str) -> (u64, u64) {
    let mut parts = python.split('.').map(|x| x.parse::<u64>().unwrap_or(0));
    (parts.next().unwrap_or(0), parts.next().unwrap_or(0))
}

fn platform_order(p: &str) -> usize {
    crate::rules::environments::PLATFORMS
        .iter()
        .position(|x| *x == p)
        .unwrap_or(usize::MAX)
}

/// A release's version as its index spells it, shared with the rule's release list (a clone
/// copies no text).
pub type ReleaseText = Arc<str>;

fn shared_str<S: serde::Serializer>(text: &ReleaseText, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(text)
}

/// The version pip would pick on one environment.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Pick {
    pub python: &'static str,
    pub platform: &'static str,
    #[serde(serialize_with = "shared_str")]
    pub version: ReleaseText,
}

/// Release names, oldest first, shared rather than copied: the evaluator's memoised list of
/// indices into the rule's release list (the same list for every finding with the same
/// rule, Python and set), or texts (tests, synthetic findings). Serialises as a list of
/// strings.
#[derive(Clone, Debug, Default)]
pub struct ReleaseNames(Names);

#[derive(Clone, Debug)]
enum Names {
    Listed {
        list: Arc<ReleaseList>,
        indices: Arc<[usize]>,
    },
    Texts(Arc<[ReleaseText]>),
}

impl Default for Names {
    fn default() -> Self {
        Names::Texts(Arc::new([]))
    }
}

impl ReleaseNames {
    /// The releases at `indices` of `list` (indices in range; one that is not is skipped).
    pub(crate) fn listed(list: Arc<ReleaseList>, indices: Arc<[usize]>) -> ReleaseNames {
        ReleaseNames(Names::Listed { list, indices })
    }

    pub fn len(&self) -> usize {
        match &self.0 {
            Names::Listed { indices, .. } => indices.len(),
            Names::Texts(t) => t.len(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Which shared list this is, for a memo of its rendering: the addresses of the release
    /// list and of the indices, and the count. Equal while both lists live means the same
    /// names; None for texts (not shared).
    pub(crate) fn shared_as(&self) -> Option<(usize, usize, usize)> {
        match &self.0 {
            Names::Listed { list, indices } => Some((
                Arc::as_ptr(list) as usize,
                indices.as_ptr() as usize,
                indices.len(),
            )),
            Names::Texts(_) => None,
        }
    }

    pub fn iter(&self) -> impl Iterator<Item = &str> + '_ {
        let (listed, texts) = match &self.0 {
            Names::Listed { list, indices } => (Some((list, indices)), None),
            Names::Texts(t) => (None, Some(t)),
        };
        let listed = listed.into_iter().flat_map(|(list, indices)| {
            indices
                .iter()
                .filter_map(|&i| list.releases.get(i).map(|r| &*r.text))
        });
        let texts = texts.into_iter().flat_map(|t| t.iter().map(|s| &**s));
        listed.chain(texts)
    }
}

impl<S: Into<ReleaseText>> FromIterator<S> for ReleaseNames {
    fn from_iter<I: IntoIterator<Item = S>>(iter: I) -> Self {
        ReleaseNames(Names::Texts(iter.into_iter().map(Into::into).collect()))
    }
}

impl PartialEq for ReleaseNames {
    fn eq(&self, other: &Self) -> bool {
        self.iter().eq(other.iter())
    }
}

impl serde::Serialize for ReleaseNames {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(self.iter())
    }
}

/// A list of releases as a count and runs of neighbours among the rule's published final
/// releases, oldest first (a release left out ends a run).
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct ReleaseSummary {
    pub count: usize,
    pub ranges: Vec<ReleaseRange>,
}

/// A run of neighbouring releases: the first, the last and how many.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct ReleaseRange {
    #[serde(serialize_with = "shared_str")]
    pub first: ReleaseText,
    #[serde(serialize_with = "shared_str")]
    pub last: ReleaseText,
    pub count: usize,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::Span;

    fn finding(message: &str, notes: &[&str]) -> Diagnostic {
        let loc = Loc {
            file: 0,
            span: Span::new(0, 1),
        };
        let mut d = Diagnostic::problem(
            Check::OutsideWindow,
            Severity::Error,
            loc,
            message.to_owned(),
        );
        d.notes = notes.iter().map(|n| n.to_string()).collect();
        d
    }

    fn same<T: Empty>(a: &Shared<T>, b: &Shared<T>) -> bool {
        matches!((&a.0, &b.0), (Some(a), Some(b)) if Arc::ptr_eq(a, b))
    }

    /// Two held findings that say the same hold one copy of it, and a change to one of them
    /// afterwards is its own (a `Shared` part is copied on write).
    #[test]
    fn held_findings_share_equal_parts_and_change_apart() {
        let mut a = finding("numpy is not constrained", &["pip would pick 1.16.6", "n2"]);
        let mut b = finding("numpy is not constrained", &["pip would pick 1.16.6", "n2"]);
        a.hold();
        b.hold();
        assert!(same(&a.message, &b.message) && same(&a.notes, &b.notes));
        b.notes.push("n3".into());
        b.message.push_str(", and more");
        assert_eq!(*a.message, "numpy is not constrained");
        assert_eq!(*a.notes, ["pip would pick 1.16.6", "n2"]);
        assert_eq!(*b.message, "numpy is not constrained, and more");
        assert_eq!(*b.notes, ["pip would pick 1.16.6", "n2", "n3"]);
    }

    /// Parts with one fingerprint (same length, same first and last 8 bytes) but other words
    /// are not shared: a part is compared whole.
    #[test]
    fn held_findings_keep_parts_that_only_look_alike() {
        let mut a = finding("abcdefgh-1-abcdefgh", &["abcdefgh-x-abcdefgh"]);
        let mut b = finding("abcdefgh-2-abcdefgh", &["abcdefgh-y-abcdefgh"]);
        a.hold();
        b.hold();
        assert_eq!(*a.message, "abcdefgh-1-abcdefgh");
        assert_eq!(*b.message, "abcdefgh-2-abcdefgh");
        assert_eq!(*a.notes, ["abcdefgh-x-abcdefgh"]);
        assert_eq!(*b.notes, ["abcdefgh-y-abcdefgh"]);
    }

    /// A finding without notes or places holds no allocation for them.
    #[test]
    fn an_empty_part_allocates_nothing() {
        let d = finding("m", &[]);
        assert!(d.environments.0.is_none() && d.pip_would_pick.0.is_none());
        assert!(d.environments.is_empty() && d.help.is_none());
        // The merge's placeholder for an absorbed finding: an empty message, made empty.
        let placeholder = finding("", &[]);
        assert!(placeholder.message.0.is_none() && placeholder.notes.0.is_none());
        assert_eq!(placeholder.message.as_str(), "");
        assert!(Shared::from(ReleaseSummary::default()).0.is_none());
    }
}
