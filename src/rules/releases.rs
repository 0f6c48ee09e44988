//! Release lists (`rules/releases/*.tsv`): every version the package index lists for a
//! package, with its Requires-Python and status.

use std::borrow::Cow;
use std::str::FromStr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::OnceLock;

use pep440_rs::{Version, VersionSpecifiers};

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
    pub requires_python: Option<VersionSpecifiers>,
    pub status: Status,
    /// [`Release::installs_on`] remembered for Pythons 2.0-2.31 and 3.0-3.31: the checker
    /// asks it for every release, every Python and every unit, and each slow answer builds
    /// two versions.
    installs: InstallsCache,
}

/// Bit `(major - 2) * 32 + minor` of `value` is the answer for that Python once the same
/// bit of `known` is set. Threads may race to fill a bit; they store the same answer.
#[derive(Debug, Default)]
struct InstallsCache {
    known: AtomicU64,
    value: AtomicU64,
}

impl Clone for InstallsCache {
    fn clone(&self) -> Self {
        InstallsCache {
            known: AtomicU64::new(self.known.load(Ordering::Relaxed)),
            value: AtomicU64::new(self.value.load(Ordering::Relaxed)),
        }
    }
}

impl Release {
    /// Whether a Python `major.minor` can install this release (Requires-Python allows some
    /// interpreter of the series: [`crate::python::allows_version`]).
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
            Some(rp) => crate::python::allows_version(rp, python),
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

impl Release {
    pub(crate) fn new(
        version: Version,
        text: String,
        requires_python: Option<VersionSpecifiers>,
        status: Status,
    ) -> Release {
        Release {
            version,
            text: text.into(),
            requires_python,
            status,
            installs: InstallsCache::default(),
        }
    }
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
        let mut releases = Vec::new();
        // Most rows repeat the previous row's Requires-Python: parse each run of equal
        // texts once (start-up cost of every run).
        let mut last_rp: Option<(&str, Option<VersionSpecifiers>)> = None;
        for (i, line) in text.lines().enumerate() {
            if i == 0 || line.trim().is_empty() || line.starts_with('#') {
                continue;
            }
            let cols: Vec<&str> = line.split('\t').collect();
            if cols.len() != 4 {
                return Err(format!("line {}: expected 4 tab-separated columns", i + 1));
            }
            let Ok(version) = Version::from_str(cols[0]) else {
                continue;
            };
            let requires_python = if cols[1].trim().is_empty() {
                None
            } else {
                match &last_rp {
                    Some((text, parsed)) if *text == cols[1] => parsed.clone(),
                    _ => {
                        // A Requires-Python the index serves but PEP 440 cannot read is
                        // ignored by pip as well (it warns and treats the release as
                        // compatible).
                        let parsed = VersionSpecifiers::from_str(cols[1]).ok();
                        last_rp = Some((cols[1], parsed.clone()));
                        parsed
                    }
                }
            };
            let status = match cols[3].trim() {
                "final" => Status::Final,
                "pre-release" => Status::PreRelease,
                "yanked" => Status::Yanked,
                "withdrawn" => Status::Withdrawn,
                "absent" => Status::Absent,
                other => return Err(format!("line {}: unknown status `{other}`", i + 1)),
            };
            releases.push(Release::new(
                version,
                cols[0].to_owned(),
                requires_python,
                status,
            ));
        }
        releases.sort_by(|a, b| a.version.cmp(&b.version));
        Ok(ReleaseList {
            releases,
            by_python: ByPython::default(),
        })
    }

    /// The releases Python `major.minor` can install from (published, and their
    /// Requires-Python admits it: [`Release::installs_on`]), as indices into `releases`,
    /// oldest first: pip's candidates before the specifier is applied. Remembered per plain
    /// Python 2.0-3.31 (the list is rule data, fixed once loaded); computed for any other.
    pub fn installable(&self, python: &Version) -> Cow<'_, [u32]> {
        let build = || -> Box<[u32]> {
            (0u32..)
                .zip(&self.releases)
                .filter(|(_, r)| r.published() && r.installs_on(python))
                .map(|(i, _)| i)
                .collect()
        };
        match python_bit(python).and_then(|b| self.by_python.0.get(b as usize)) {
            Some(slot) => Cow::Borrowed(slot.get_or_init(build)),
            None => Cow::Owned(build().into_vec()),
        }
    }
}

/// `tensorflow-by-python.tsv`: for each Python, the versions of each distribution that have
/// wheels for it.
#[derive(Clone, Debug, Default)]
pub struct WheelsByPython {
    /// (python, normalised distribution name, versions, oldest first: the evaluator binary
    /// searches them)
    pub rows: Vec<(String, String, Vec<Version>)>,
}

impl WheelsByPython {
    pub(crate) fn parse(text: &str) -> Result<WheelsByPython, String> {
        let mut rows = Vec::new();
        for (i, line) in text.lines().enumerate() {
            if i == 0 || line.trim().is_empty() {
                continue;
            }
            let cols: Vec<&str> = line.split('\t').collect();
            if cols.len() != 3 {
                return Err(format!("line {}: expected 3 tab-separated columns", i + 1));
            }
            let mut versions = Vec::new();
            for v in cols[2].split(',').filter(|v| !v.is_empty()) {
                versions.push(
                    Version::from_str(v.trim())
                        .map_err(|e| format!("line {}: invalid version `{v}`: {e}", i + 1))?,
                );
            }
            versions.sort();
            rows.push((cols[0].to_owned(), cols[1].to_owned(), versions));
        }
        Ok(WheelsByPython { rows })
    }

    /// Drop the placeholder versions (a listed release nothing can install) of each
    /// distribution.
    pub(crate) fn remove(&mut self, placeholders: &[(pep508_rs::PackageName, Version)]) {
        for (_, dist, versions) in &mut self.rows {
            versions.retain(|v| {
                !placeholders
                    .iter()
                    .any(|(d, p)| d.as_ref() == dist.as_str() && p == v)
            });
        }
    }

    pub fn versions(&self, python: &str, distribution: &str) -> Option<&[Version]> {
        self.rows
            .iter()
            .find(|(p, d, _)| p == python && d == distribution)
            .map(|(_, _, v)| v.as_slice())
    }
}

/// `tensorflow-by-platform.tsv`: for each Python and operating system (`sys_platform` on
/// Python 3: `linux`, `darwin`, `win32`), the versions of each distribution that have wheels
/// there.
#[derive(Clone, Debug, Default)]
pub struct WheelsByPlatform {
    /// (python, normalised distribution name, platform, versions, oldest first)
    pub rows: Vec<(String, String, String, Vec<Version>)>,
}

impl WheelsByPlatform {
    pub(crate) fn parse(text: &str) -> Result<WheelsByPlatform, String> {
        let mut rows = Vec::new();
        for (i, line) in text.lines().enumerate() {
            if i == 0 || line.trim().is_empty() {
                continue;
            }
            let cols: Vec<&str> = line.split('\t').collect();
            if cols.len() != 4 {
                return Err(format!("line {}: expected 4 tab-separated columns", i + 1));
            }
            let mut versions = Vec::new();
            for v in cols[3].split(',').filter(|v| !v.is_empty()) {
                versions.push(
                    Version::from_str(v.trim())
                        .map_err(|e| format!("line {}: invalid version `{v}`: {e}", i + 1))?,
                );
            }
            versions.sort();
            rows.push((
                cols[0].to_owned(),
                cols[1].to_owned(),
                cols[2].to_owned(),
                versions,
            ));
        }
        Ok(WheelsByPlatform { rows })
    }

    /// Drop the placeholder versions (a listed release nothing can install) of each
    /// distribution, as [`WheelsByPython::remove`] does.
    pub(crate) fn remove(&mut self, placeholders: &[(pep508_rs::PackageName, Version)]) {
        for (_, dist, _, versions) in &mut self.rows {
            versions.retain(|v| {
                !placeholders
                    .iter()
                    .any(|(d, p)| d.as_ref() == dist.as_str() && p == v)
            });
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
            .map(|(_, _, _, v)| v.as_slice())
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
                assert!(w.rows.iter().all(|(_, _, vs)| vs.is_sorted()));
            }
            if let Some(w) = &rule.trigger.platform_wheels {
                assert!(w.rows.iter().all(|(_, _, _, vs)| vs.is_sorted()));
            }
        }
    }

    /// The remembered answers are the computed ones, asked twice (cold, then cached), for
    /// every built-in release list and plain and non-plain Pythons.
    #[test]
    fn installs_on_cache_agrees_with_the_computation() {
        let pythons: Vec<Version> = [
            "2.7", "3.0", "3.5", "3.6", "3.7", "3.8", "3.12", "3.31", "3.32", "4.0", "3.7.1",
            "3.7rc1",
        ]
        .iter()
        .map(|p| Version::from_str(p).unwrap())
        .collect();
        let mut checked = 0;
        for rule in crate::rules::builtin() {
            for r in &rule.releases.releases {
                for p in &pythons {
                    let slow = r.installs_on_slow(p);
                    assert_eq!(r.installs_on(p), slow, "{} on {p}", r.text);
                    assert_eq!(r.installs_on(p), slow, "{} on {p} (cached)", r.text);
                    checked += 1;
                }
            }
        }
        assert!(checked > 1000, "{checked}");
    }
}
