//! Release lists (`rules/releases/*.tsv`): every version the package index lists for a
//! package, with its Requires-Python and status.

use std::borrow::Cow;
use std::collections::HashMap;
use std::str::FromStr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock};

use pep440_rs::{Version, VersionSpecifiers};

use crate::versions::VersionSet;

thread_local! {
    /// Release lists and wheel rows read from TSV text on this thread (the built-in ones
    /// come ready made from `src/rules/compiled.rs`: `compiled_tests` counts with it).
    static TEXT_PARSES: std::cell::Cell<u64> = const { std::cell::Cell::new(0) };
}

/// How many release lists and wheel rows this thread has read from TSV text.
#[cfg(test)]
pub(crate) fn text_parses() -> u64 {
    TEXT_PARSES.with(|c| c.get())
}

fn count_text_parse() {
    TEXT_PARSES.with(|c| c.set(c.get() + 1));
}

/// A version written out as its parts (`src/rules/compiled.rs`, made from the built-in
/// release lists ahead of time): built without parsing text. Plain bytes and numbers, no
/// pointer, so the lists cost the loader no relocation and no page until they are read. The
/// lists have no local versions (the generator refuses one).
#[derive(Debug)]
pub(crate) struct VersionParts {
    /// The spelling in the list, `text_len` bytes.
    text: [u8; MAX_TEXT],
    text_len: u8,
    epoch: u64,
    release: [u64; MAX_RELEASE],
    release_len: u8,
    pre: Option<pep440_rs::Prerelease>,
    post: Option<u64>,
    dev: Option<u64>,
}

const MAX_TEXT: usize = 24;
const MAX_RELEASE: usize = 6;

/// A [`VersionParts`], evaluated when the binary is compiled (a spelling or release longer
/// than the room for it does not compile).
#[allow(dead_code)] // used by `src/rules/compiled.rs`, left out when it is stale
pub(crate) const fn v(
    text: &str,
    epoch: u64,
    release: &[u64],
    pre: Option<pep440_rs::Prerelease>,
    post: Option<u64>,
    dev: Option<u64>,
) -> VersionParts {
    let bytes = text.as_bytes();
    assert!(bytes.len() <= MAX_TEXT && !release.is_empty() && release.len() <= MAX_RELEASE);
    let mut t = [0u8; MAX_TEXT];
    let mut i = 0;
    while i < bytes.len() {
        t[i] = bytes[i];
        i += 1;
    }
    let mut r = [0u64; MAX_RELEASE];
    let mut i = 0;
    while i < release.len() {
        r[i] = release[i];
        i += 1;
    }
    VersionParts {
        text: t,
        text_len: bytes.len() as u8,
        epoch,
        release: r,
        release_len: release.len() as u8,
        pre,
        post,
        dev,
    }
}

impl VersionParts {
    /// The spelling in the list.
    pub(crate) fn text(&'static self) -> &'static str {
        std::str::from_utf8(self.spelling()).unwrap_or_default()
    }

    /// The spelling's bytes, unchecked: a key for sharing versions, never shown.
    fn spelling(&'static self) -> &'static [u8] {
        &self.text[..usize::from(self.text_len)]
    }

    pub(crate) fn version(&self) -> Version {
        let mut v = Version::new(&self.release[..usize::from(self.release_len)]);
        // Each `with_` copies on write: only the parts a version has.
        if self.epoch != 0 {
            v = v.with_epoch(self.epoch);
        }
        if self.pre.is_some() {
            v = v.with_pre(self.pre);
        }
        if self.post.is_some() {
            v = v.with_post(self.post);
        }
        if self.dev.is_some() {
            v = v.with_dev(self.dev);
        }
        v
    }
}

/// A row of a built-in release list, ready made (in the order the parsed list is sorted in).
#[derive(Debug)]
pub(crate) struct CompiledRelease {
    pub(crate) version: VersionParts,
    /// The Requires-Python column (trimmed to "" when blank) as an index into the list's
    /// distinct texts (parsed once each, their answers for the plain Pythons ready made).
    pub(crate) requires_python: u8,
    pub(crate) status: Status,
}

/// A built-in release list's distinct Requires-Python text and the plain Pythons it admits
/// (`series_answers`, by [`python_bit`]).
pub(crate) type CompiledRequires = (&'static str, u64);

/// A row of a built-in wheel table per Python (`platform` "") or per Python and system.
#[derive(Debug)]
pub(crate) struct CompiledWheelRow {
    pub(crate) python: &'static str,
    pub(crate) distribution: &'static str,
    pub(crate) platform: &'static str,
    /// In the table's order (sorted when the row is first read, as a parsed row is).
    pub(crate) versions: &'static [VersionParts],
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Status {
    Final,
    PreRelease,
    Yanked,
    /// Files were uploaded but the project says the release did not happen (numpy 1.10.3).
    Withdrawn,
    /// The index lists the version but has no files for it: nothing can install it.
    Absent,
}

#[derive(Clone, Debug)]
pub struct Release {
    pub version: Version,
    /// The version as the index spells it (shared with the findings that name it).
    pub text: std::sync::Arc<str>,
    /// Shared by the releases of the list with the same Requires-Python text (a clone of
    /// the specifiers was a vector and a version per release at every start).
    pub requires_python: Option<Arc<VersionSpecifiers>>,
    pub status: Status,
    /// [`Release::installs_on`] remembered for Pythons 2.0-2.31 and 3.0-3.31: the checker
    /// asks it for every release, every Python and every unit, and each slow answer builds
    /// a version set. Shared by the releases of a list with the same Requires-Python text
    /// (the answer depends on nothing else): a list has a handful of distinct texts, so a
    /// Python's installable index costs a few slow answers, not one per release.
    installs: Arc<InstallsCache>,
}

/// Bit `(major - 2) * 32 + minor` of `value` is the answer for that Python once the same
/// bit of `known` is set. Threads may race to fill a bit; they store the same answer.
#[derive(Debug, Default)]
struct InstallsCache {
    known: AtomicU64,
    value: AtomicU64,
    /// The Requires-Python as a version set, built on the first slow answer and kept for
    /// the next Python (the releases sharing this memo share the text).
    set: OnceLock<VersionSet>,
}

impl InstallsCache {
    /// A memo holding every plain Python's answer already (`answers`, by [`python_bit`]):
    /// a built-in list's, worked out when `src/rules/compiled.rs` was written.
    fn answered(answers: u64) -> InstallsCache {
        InstallsCache {
            known: AtomicU64::new(u64::MAX),
            value: AtomicU64::new(answers),
            set: OnceLock::new(),
        }
    }
}

/// Whether a Requires-Python (None: none, or one PEP 440 cannot read) admits each plain
/// Python, as the bits of [`python_bit`]: what [`Release::installs_on`] answers, worked out
/// for the built-in lists when `src/rules/compiled.rs` is written, so no run builds their
/// version sets (a small file's start-up spent about 0.15M instructions on them).
#[cfg(test)]
pub(crate) fn series_answers(requires_python: Option<&VersionSpecifiers>) -> u64 {
    let Some(rp) = requires_python else {
        return u64::MAX;
    };
    let set = VersionSet::from_specifiers(rp);
    (0..64u64)
        .filter(|b| crate::python::set_allows_series(&set, (2 + b / 32, b % 32)))
        .fold(0, |bits, b| bits | 1 << b)
}

impl Release {
    /// Whether a Python `major.minor` can install this release (Requires-Python allows some
    /// interpreter of the series: `python::allows_version`, the tests' reference).
    pub(crate) fn installs_on(&self, python: &Version) -> bool {
        let Some(bit) = python_bit(python).map(|b| 1u64 << b) else {
            return self.installs_on_slow(python);
        };
        // Release/Acquire: a reader that sees the `known` bit sees the `value` bit.
        if self.installs.known.load(Ordering::Acquire) & bit != 0 {
            return self.installs.value.load(Ordering::Relaxed) & bit != 0;
        }
        let answer = self.installs_on_slow(python);
        if answer {
            self.installs.value.fetch_or(bit, Ordering::Relaxed);
        }
        self.installs.known.fetch_or(bit, Ordering::Release);
        answer
    }

    fn installs_on_slow(&self, python: &Version) -> bool {
        match &self.requires_python {
            None => true,
            Some(rp) => crate::python::series_of(python).is_some_and(|series| {
                let set = self
                    .installs
                    .set
                    .get_or_init(|| VersionSet::from_specifiers(rp));
                crate::python::set_allows_series(set, series)
            }),
        }
    }

    /// Anything can be installed from it (it has files and was not withdrawn).
    pub(crate) fn published(&self) -> bool {
        !matches!(self.status, Status::Absent)
    }
}

/// The bit of a plain `2.Y` / `3.Y` Python (Y < 32) in [`Release::installs`].
fn python_bit(python: &Version) -> Option<u32> {
    let r = python.release();
    let (major, minor) = (*r.first()?, r.get(1).copied().unwrap_or(0));
    let plain = r.len() <= 2
        && python.epoch() == 0
        && !python.any_prerelease()
        && !python.is_post()
        && !python.is_local();
    if !plain || !(2..=3).contains(&major) || minor >= 32 {
        return None;
    }
    Some(((major - 2) * 32 + minor) as u32)
}

/// The `N` tab-separated columns of `line`, or None when it has another number of them
/// (no per-line allocation: the built-in lists are read at every start).
fn columns<const N: usize>(line: &str) -> Option<[&str; N]> {
    let mut out = [""; N];
    let mut rest = line;
    for (k, slot) in out.iter_mut().enumerate() {
        match memchr::memchr(b'\t', rest.as_bytes()) {
            Some(at) if k + 1 < N => {
                *slot = &rest[..at];
                rest = &rest[at + 1..];
            }
            None if k + 1 == N => *slot = rest,
            _ => return None,
        }
    }
    Some(out)
}

/// A package's releases, oldest first (sorted by version: the evaluator's indexes binary
/// search it).
#[derive(Clone, Debug, Default)]
pub struct ReleaseList {
    pub releases: Vec<Release>,
    /// [`ReleaseList::installable`] per plain Python, built on first use.
    by_python: ByPython,
}

/// One slot per [`python_bit`]: the indices of the releases a Python can install.
struct ByPython(Box<[OnceLock<Box<[u32]>>]>);

impl Default for ByPython {
    fn default() -> Self {
        ByPython((0..64).map(|_| OnceLock::new()).collect())
    }
}

impl Clone for ByPython {
    /// A clone starts empty: the index is rebuilt from the clone's own releases.
    fn clone(&self) -> Self {
        ByPython::default()
    }
}

impl std::fmt::Debug for ByPython {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ByPython")
    }
}

impl ReleaseList {
    /// Parse the TSV. Rows whose version is not valid PEP 440 are skipped (h5py lists
    /// `1.3.0.dev-r634`); any other malformed row is an error naming its line.
    pub(crate) fn parse(text: &str) -> Result<ReleaseList, String> {
        count_text_parse();
        let rows = Self::parse_rows(text)?;
        Ok(Self::from_rows(
            rows.into_iter().map(|(v, t, rp, s)| (v, t, (rp, None), s)),
        ))
    }

    /// The rows of the TSV that [`ReleaseList::parse`] keeps, sorted: (version, its
    /// spelling, the Requires-Python text or "" when blank, status). `src/rules/compiled.rs`
    /// is written from them.
    pub(crate) fn parse_rows(text: &str) -> Result<Vec<(Version, &str, &str, Status)>, String> {
        let mut rows = Vec::with_capacity(memchr::memchr_iter(b'\n', text.as_bytes()).count());
        for (i, line) in crate::source::lines(text).enumerate() {
            if i == 0 || line.starts_with('#') || line.trim().is_empty() {
                continue;
            }
            let Some([version_text, rp_text, _, status_text]) = columns::<4>(line) else {
                return Err(format!("line {}: expected 4 tab-separated columns", i + 1));
            };
            let Ok(version) = Version::from_str(version_text) else {
                continue;
            };
            let rp_key = if rp_text.trim().is_empty() {
                ""
            } else {
                rp_text
            };
            let status = match status_text.trim() {
                "final" => Status::Final,
                "pre-release" => Status::PreRelease,
                "yanked" => Status::Yanked,
                "withdrawn" => Status::Withdrawn,
                "absent" => Status::Absent,
                other => return Err(format!("line {}: unknown status `{other}`", i + 1)),
            };
            rows.push((version, version_text, rp_key, status));
        }
        // Stable: rows of equal versions keep the file's order.
        rows.sort_by(|a, b| a.0.cmp(&b.0));
        Ok(rows)
    }

    /// A built-in list from `src/rules/compiled.rs`: the rows [`ReleaseList::parse`] gives,
    /// in its order, with no version or row text to read.
    pub(crate) fn compiled(
        requires_python: &'static [CompiledRequires],
        rows: &'static [CompiledRelease],
    ) -> ReleaseList {
        Self::from_rows(rows.iter().map(|r| {
            let (rp, answers) = requires_python
                .get(usize::from(r.requires_python))
                .copied()
                // No Requires-Python: installs on every Python (unreachable: the tests
                // check every index).
                .unwrap_or(("", u64::MAX));
            let rp = (rp, Some(answers));
            (r.version.version(), r.version.text(), rp, r.status)
        }))
    }

    /// The list of sorted rows (version, its spelling, its Requires-Python text with the
    /// plain Pythons' answers when they are known ahead, status).
    fn from_rows<'t>(
        rows: impl IntoIterator<Item = (Version, &'t str, (&'t str, Option<u64>), Status)>,
    ) -> Self {
        let rows = rows.into_iter();
        let mut releases = Vec::with_capacity(rows.size_hint().0);
        // Most rows share a Requires-Python with other rows: each distinct text is parsed
        // once, and its rows share one `installs_on` memo.
        type Shared = (Option<Arc<VersionSpecifiers>>, Arc<InstallsCache>);
        let mut requires: HashMap<&str, Shared> = HashMap::new();
        // Rows come in runs of one Requires-Python: the previous row's is tried first.
        let mut last: Option<(&str, Shared)> = None;
        for (version, version_text, (rp_key, answers), status) in rows {
            let (requires_python, installs) = match &last {
                Some((text, shared)) if *text == rp_key => shared.clone(),
                _ => {
                    let shared = requires
                        .entry(rp_key)
                        .or_insert_with(|| {
                            // A Requires-Python the index serves but PEP 440 cannot read is
                            // ignored by pip as well (it warns and treats the release as
                            // compatible).
                            let parsed = if rp_key.is_empty() {
                                None
                            } else {
                                VersionSpecifiers::from_str(rp_key).ok().map(Arc::new)
                            };
                            let memo = answers.map_or_else(InstallsCache::default, |a| {
                                InstallsCache::answered(a)
                            });
                            (parsed, Arc::new(memo))
                        })
                        .clone();
                    last = Some((rp_key, shared.clone()));
                    shared
                }
            };
            releases.push(Release {
                version,
                text: version_text.into(),
                requires_python,
                status,
                installs,
            });
        }
        ReleaseList {
            releases,
            by_python: ByPython::default(),
        }
    }

    /// The releases Python `major.minor` can install from (published, and their
    /// Requires-Python admits it: [`Release::installs_on`]), as indices into `releases`,
    /// oldest first: pip's candidates before the specifier is applied. Remembered per plain
    /// Python 2.0-3.31 (the list is rule data, fixed once loaded); computed for any other.
    pub fn installable(&self, python: &Version) -> Cow<'_, [u32]> {
        let build = || -> Box<[u32]> {
            // Rows come in runs sharing one Requires-Python memo: ask it once per run.
            let mut last: Option<(*const InstallsCache, bool)> = None;
            (0u32..)
                .zip(&self.releases)
                .filter(|(_, r)| {
                    if !r.published() {
                        return false;
                    }
                    let memo = Arc::as_ptr(&r.installs);
                    match last {
                        Some((m, answer)) if m == memo => answer,
                        _ => {
                            let answer = r.installs_on(python);
                            last = Some((memo, answer));
                            answer
                        }
                    }
                })
                .map(|(i, _)| i)
                .collect()
        };
        match python_bit(python).and_then(|b| self.by_python.0.get(b as usize)) {
            Some(slot) => Cow::Borrowed(slot.get_or_init(build)),
            None => Cow::Owned(build().into_vec()),
        }
    }
}

/// One row's versions with wheels, oldest first (the evaluator binary searches them). A
/// built-in table's rows are parsed on first use: a run asks for the trigger's own rows
/// only, on the Pythons and systems it checks. A table read from a file is parsed whole
/// when loaded, so its errors are reported then.
#[derive(Debug)]
pub struct WheelVersions {
    /// The versions still to read (built-in data only).
    pending: Pending,
    /// Placeholder versions to leave out once parsed (a listed release nothing installs).
    placeholders: Vec<Version>,
    /// The versions of the whole table parsed so far, by spelling: a version appears in
    /// many rows (every Python and system), and a clone of one is an `Arc` count.
    seen: Seen,
    parsed: OnceLock<Vec<Version>>,
}

/// A wheel table's versions by their spelling (bytes of built-in data, so no UTF-8 check),
/// hashed by the evaluator's cheap hasher: a table's first use looks up each of its hundreds
/// of entries, which SipHash made a tenth of a small file's start-up.
type Seen = Arc<Mutex<HashMap<&'static [u8], Version, crate::check::FastHash>>>;

/// A built-in row's versions before first use.
#[derive(Clone, Copy, Debug)]
enum Pending {
    /// Comma-separated text (a built-in table when `src/rules/compiled.rs` is stale).
    Text(&'static str),
    /// Ready made (`src/rules/compiled.rs`).
    Parts(&'static [VersionParts]),
}

impl Clone for WheelVersions {
    fn clone(&self) -> Self {
        WheelVersions {
            pending: self.pending,
            placeholders: self.placeholders.clone(),
            seen: self.seen.clone(),
            parsed: self.parsed.clone(),
        }
    }
}

impl WheelVersions {
    /// Parse the comma-separated list now (any invalid version is an error naming `line`).
    fn eager(text: &str, line: usize) -> Result<WheelVersions, String> {
        count_text_parse();
        let mut versions = Vec::new();
        for v in text.split(',').filter(|v| !v.is_empty()) {
            versions.push(
                Version::from_str(v.trim())
                    .map_err(|e| format!("line {line}: invalid version `{v}`: {e}"))?,
            );
        }
        versions.sort();
        Ok(WheelVersions {
            pending: Pending::Text(""),
            placeholders: Vec::new(),
            seen: Arc::default(),
            parsed: OnceLock::from(versions),
        })
    }

    /// Keep the list to parse on first use (built-in data, which the test suite parses
    /// whole: `cache_tests::lazy_wheel_tables_equal_eager_ones`); `seen` is the table's.
    fn lazy(pending: Pending, seen: &Seen) -> Self {
        WheelVersions {
            pending,
            placeholders: Vec::new(),
            seen: seen.clone(),
            parsed: OnceLock::new(),
        }
    }

    /// The versions, oldest first, placeholders removed.
    pub fn get(&self) -> &[Version] {
        self.parsed.get_or_init(|| {
            let mut seen = self.seen.lock().ok();
            // A version by its spelling: the table's when seen before, else `make`'s.
            let mut share =
                |text: &'static [u8], make: &dyn Fn() -> Option<Version>| match seen.as_mut() {
                    Some(seen) => match seen.get(text) {
                        Some(known) => Some(known.clone()),
                        None => {
                            let made = make()?;
                            seen.insert(text, made.clone());
                            Some(made)
                        }
                    },
                    None => make(),
                };
            let versions: Vec<Version> = match self.pending {
                // Built-in data only: a version that does not parse is left out (the test
                // suite parses every built-in row eagerly and fails on one).
                Pending::Text(text) => {
                    count_text_parse();
                    text.split(',')
                        .filter(|v| !v.is_empty())
                        .filter_map(|v| {
                            let v = v.trim();
                            share(v.as_bytes(), &|| Version::from_str(v).ok())
                        })
                        .collect()
                }
                Pending::Parts(parts) => parts
                    .iter()
                    .filter_map(|p| share(p.spelling(), &|| Some(p.version())))
                    .collect(),
            };
            let mut versions = versions;
            versions.retain(|v| !self.placeholders.contains(v));
            versions.sort();
            versions
        })
    }

    /// Leave out `drop` (this row's distribution's placeholder versions).
    fn remove(&mut self, drop: Vec<Version>) {
        if drop.is_empty() {
            return;
        }
        match self.parsed.get_mut() {
            Some(versions) => versions.retain(|v| !drop.contains(v)),
            None => self.placeholders.extend(drop),
        }
    }
}

/// The placeholder versions of `dist`.
fn placeholders_of(placeholders: &[(pep508_rs::PackageName, Version)], dist: &str) -> Vec<Version> {
    placeholders
        .iter()
        .filter(|(d, _)| d.as_ref() == dist)
        .map(|(_, v)| v.clone())
        .collect()
}

/// The rows of a wheel table with `N` columns, the last one the versions, which `versions`
/// turns into a row's [`WheelVersions`] (given the column's text and the line number).
fn wheel_rows<'t, const N: usize>(
    text: &'t str,
    versions: impl Fn(&'t str, usize) -> Result<WheelVersions, String>,
) -> Result<Vec<([&'t str; N], WheelVersions)>, String> {
    count_text_parse();
    let mut rows = Vec::new();
    for (i, line) in crate::source::lines(text).enumerate() {
        if i == 0 || line.trim().is_empty() {
            continue;
        }
        let Some(cols) = columns::<N>(line) else {
            return Err(format!(
                "line {}: expected {N} tab-separated columns",
                i + 1
            ));
        };
        rows.push((cols, versions(cols[N - 1], i + 1)?));
    }
    Ok(rows)
}

/// `tensorflow-by-python.tsv`: for each Python, the versions of each distribution that have
/// wheels for it.
#[derive(Clone, Debug, Default)]
pub struct WheelsByPython {
    /// (python, normalised distribution name, versions)
    pub rows: Vec<(String, String, WheelVersions)>,
}

impl WheelsByPython {
    /// Parse a table read from a file: every row now.
    pub(crate) fn parse(text: &str) -> Result<WheelsByPython, String> {
        Self::from_rows(wheel_rows::<3>(text, WheelVersions::eager)?)
    }

    /// Parse a built-in table: the columns now, each row's versions on first use.
    pub(crate) fn parse_builtin(text: &'static str) -> Result<WheelsByPython, String> {
        let seen = Arc::default();
        Self::from_rows(wheel_rows::<3>(text, |v, _| {
            Ok(WheelVersions::lazy(Pending::Text(v), &seen))
        })?)
    }

    /// A built-in table from `src/rules/compiled.rs`: the rows [`WheelsByPython::parse_builtin`]
    /// gives, each row's versions built on first use.
    pub(crate) fn compiled(rows: &'static [CompiledWheelRow]) -> WheelsByPython {
        let seen = Arc::default();
        let rows = rows
            .iter()
            .map(|r| {
                let versions = WheelVersions::lazy(Pending::Parts(r.versions), &seen);
                (r.python.to_owned(), r.distribution.to_owned(), versions)
            })
            .collect();
        WheelsByPython { rows }
    }

    fn from_rows(rows: Vec<([&str; 3], WheelVersions)>) -> Result<WheelsByPython, String> {
        let rows = rows
            .into_iter()
            .map(|([py, dist, _], vs)| (py.to_owned(), dist.to_owned(), vs))
            .collect();
        Ok(WheelsByPython { rows })
    }

    /// Drop the placeholder versions (a listed release nothing can install) of each
    /// distribution.
    pub(crate) fn remove(&mut self, placeholders: &[(pep508_rs::PackageName, Version)]) {
        for (_, dist, versions) in &mut self.rows {
            versions.remove(placeholders_of(placeholders, dist));
        }
    }

    pub fn versions(&self, python: &str, distribution: &str) -> Option<&[Version]> {
        self.rows
            .iter()
            .find(|(p, d, _)| p == python && d == distribution)
            .map(|(_, _, v)| v.get())
    }
}

/// `tensorflow-by-platform.tsv`: for each Python and operating system (`sys_platform` on
/// Python 3: `linux`, `darwin`, `win32`), the versions of each distribution that have wheels
/// there.
#[derive(Clone, Debug, Default)]
pub struct WheelsByPlatform {
    /// (python, normalised distribution name, platform, versions)
    pub rows: Vec<(String, String, String, WheelVersions)>,
}

impl WheelsByPlatform {
    /// Parse a table read from a file: every row now.
    pub(crate) fn parse(text: &str) -> Result<WheelsByPlatform, String> {
        Self::from_rows(wheel_rows::<4>(text, WheelVersions::eager)?)
    }

    /// Parse a built-in table: the columns now, each row's versions on first use.
    pub(crate) fn parse_builtin(text: &'static str) -> Result<WheelsByPlatform, String> {
        let seen = Arc::default();
        Self::from_rows(wheel_rows::<4>(text, |v, _| {
            Ok(WheelVersions::lazy(Pending::Text(v), &seen))
        })?)
    }

    /// A built-in table from `src/rules/compiled.rs`, as [`WheelsByPython::compiled`].
    pub(crate) fn compiled(rows: &'static [CompiledWheelRow]) -> WheelsByPlatform {
        let seen = Arc::default();
        let rows = rows
            .iter()
            .map(|r| {
                let versions = WheelVersions::lazy(Pending::Parts(r.versions), &seen);
                let (py, dist, os) = (r.python, r.distribution, r.platform);
                (py.to_owned(), dist.to_owned(), os.to_owned(), versions)
            })
            .collect();
        WheelsByPlatform { rows }
    }

    fn from_rows(rows: Vec<([&str; 4], WheelVersions)>) -> Result<WheelsByPlatform, String> {
        let rows = rows
            .into_iter()
            .map(|([py, dist, os, _], vs)| (py.to_owned(), dist.to_owned(), os.to_owned(), vs))
            .collect();
        Ok(WheelsByPlatform { rows })
    }

    /// Drop the placeholder versions (a listed release nothing can install) of each
    /// distribution, as [`WheelsByPython::remove`] does.
    pub(crate) fn remove(&mut self, placeholders: &[(pep508_rs::PackageName, Version)]) {
        for (_, dist, _, versions) in &mut self.rows {
            versions.remove(placeholders_of(placeholders, dist));
        }
    }

    /// The versions of `distribution` with wheels on (`python`, `platform`); None when the
    /// table has no row for it.
    pub(crate) fn versions(
        &self,
        python: &str,
        distribution: &str,
        platform: &str,
    ) -> Option<&[Version]> {
        self.rows
            .iter()
            .find(|(p, d, os, _)| p == python && d == distribution && os == platform)
            .map(|(_, _, _, v)| v.get())
    }
}

#[cfg(test)]
mod cache_tests {
    use super::*;

    /// The indexes binary search sorted data: every built-in release list and wheel row is
    /// sorted, and `installable` is the published releases a Python installs, in order,
    /// cached or not.
    #[test]
    fn release_data_is_sorted_and_installable_is_the_filter() {
        let pythons: Vec<Version> = ["2.7", "3.5", "3.7", "3.12", "3.7.1", "4.0"]
            .iter()
            .map(|p| Version::from_str(p).unwrap())
            .collect();
        for rule in crate::rules::builtin() {
            let list = &rule.releases;
            assert!(list.releases.is_sorted_by(|a, b| a.version <= b.version));
            for p in &pythons {
                let expected: Vec<u32> = (0u32..)
                    .zip(&list.releases)
                    .filter(|(_, r)| r.published() && r.installs_on(p))
                    .map(|(i, _)| i)
                    .collect();
                assert_eq!(*list.installable(p), *expected, "{} on {p}", rule.id);
                assert_eq!(
                    *list.installable(p),
                    *expected,
                    "{} on {p} (again)",
                    rule.id
                );
            }
            if let Some(w) = &rule.trigger.wheels {
                assert!(w.rows.iter().all(|(_, _, vs)| vs.get().is_sorted()));
            }
            if let Some(w) = &rule.trigger.platform_wheels {
                assert!(w.rows.iter().all(|(_, _, _, vs)| vs.get().is_sorted()));
            }
        }
    }

    /// The remembered answers are the computed ones, asked twice (cold, then cached), for
    /// every built-in release list and plain and non-plain Pythons.
    #[test]
    fn installs_on_cache_agrees_with_the_computation() {
        // Every plain Python (a built-in list holds their answers ready made) and others.
        let mut pythons: Vec<Version> = ["3.32", "4.0", "3.7.1", "3.7rc1", "1.0"]
            .iter()
            .map(|p| Version::from_str(p).unwrap())
            .collect();
        pythons.extend(
            (2..=3).flat_map(|major| (0..32).map(move |minor| Version::new([major, minor]))),
        );
        let mut checked = 0;
        for rule in crate::rules::builtin() {
            for r in &rule.releases.releases {
                for p in &pythons {
                    // From the specifiers, as `python::allows_version` answers: neither
                    // the per-Python bits nor the memo's version set.
                    let slow = r
                        .requires_python
                        .as_ref()
                        .is_none_or(|rp| crate::python::allows_version(&**rp, p));
                    assert_eq!(r.installs_on(p), slow, "{} on {p}", r.text);
                    assert_eq!(r.installs_on(p), slow, "{} on {p} (cached)", r.text);
                    checked += 1;
                }
            }
        }
        assert!(checked > 30_000, "{checked}");
    }

    /// The allocation-free readers split as `str::lines` and `split('\t')` do, on the
    /// edges: CRLF, a bare CR, empty lines, no final newline, too few and too many columns.
    #[test]
    fn lines_and_columns_split_as_std_does() {
        for text in [
            "", "\n", "a", "a\n", "a\r\nb", "a\rb\r", "a\n\nb\n", "\r\n\r\n", "x\ty\r\n",
        ] {
            assert_eq!(
                crate::source::lines(text).collect::<Vec<_>>(),
                text.lines().collect::<Vec<_>>()
            );
        }
        for line in [
            "a\tb\tc\td",
            "\t\t\t",
            "a\tb\tc",
            "a\tb\tc\td\te",
            "",
            "abcd",
        ] {
            let std: Vec<&str> = line.split('\t').collect();
            let want = (std.len() == 4).then(|| [std[0], std[1], std[2], std[3]]);
            assert_eq!(columns::<4>(line), want, "{line:?}");
        }
    }

    /// A built-in wheel table read lazily gives, row by row, what reading it whole gives
    /// (no version of the data is dropped by the lazy reader), placeholders removed alike.
    #[test]
    fn lazy_wheel_tables_equal_eager_ones() {
        let placeholders = [(
            pep508_rs::PackageName::from_str("tensorflow-gpu").unwrap(),
            Version::from_str("2.12.0").unwrap(),
        )];
        let mut rows = 0;
        for (name, text) in crate::rules::BUILTIN_RELEASES {
            if matches!(*name, "tensorflow-by-python" | "tensorflow-other-pythons") {
                let mut lazy = WheelsByPython::parse_builtin(text).unwrap();
                let mut eager = WheelsByPython::parse(text).unwrap();
                lazy.remove(&placeholders);
                eager.remove(&placeholders);
                assert_eq!(lazy.rows.len(), eager.rows.len());
                for (l, e) in lazy.rows.iter().zip(&eager.rows) {
                    assert_eq!((&l.0, &l.1, l.2.get()), (&e.0, &e.1, e.2.get()));
                    rows += 1;
                }
            }
            if *name == "tensorflow-by-platform" {
                let mut lazy = WheelsByPlatform::parse_builtin(text).unwrap();
                let mut eager = WheelsByPlatform::parse(text).unwrap();
                lazy.remove(&placeholders);
                eager.remove(&placeholders);
                assert_eq!(lazy.rows.len(), eager.rows.len());
                for (l, e) in lazy.rows.iter().zip(&eager.rows) {
                    assert_eq!((&l.0, &l.1, &l.2, l.3.get()), (&e.0, &e.1, &e.2, e.3.get()));
                    rows += 1;
                }
            }
        }
        assert!(rows > 20, "{rows} rows compared");
    }
}
