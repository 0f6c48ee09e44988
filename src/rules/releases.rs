//! Release lists (`rules/releases/*.tsv`): every version the package index lists for a
//! package, with its Requires-Python and status.

use std::str::FromStr;

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
    /// The version as the index spells it.
    pub text: String,
    pub requires_python: Option<VersionSpecifiers>,
    pub status: Status,
}

impl Release {
    /// Whether a Python `major.minor` can install this release (Requires-Python admits it;
    /// pip compares against the full interpreter version, e.g. 3.7.x: we test `X.Y.0` and
    /// `X.Y.99` so a bound inside a minor series counts as admitting it).
    pub fn installs_on(&self, python: &Version) -> bool {
        match &self.requires_python {
            None => true,
            Some(rp) => {
                let lo = python.clone().with_release(release3(python, 0));
                let hi = python.clone().with_release(release3(python, 99));
                rp.contains(&lo) || rp.contains(&hi)
            }
        }
    }

    /// Anything can be installed from it (it has files and was not withdrawn).
    pub fn published(&self) -> bool {
        !matches!(self.status, Status::Absent)
    }
}

fn release3(python: &Version, patch: u64) -> Vec<u64> {
    let r = python.release();
    vec![
        r.first().copied().unwrap_or(0),
        r.get(1).copied().unwrap_or(0),
        patch,
    ]
}

/// A package's releases, oldest first.
#[derive(Clone, Debug, Default)]
pub struct ReleaseList {
    pub releases: Vec<Release>,
}

impl ReleaseList {
    /// Parse the TSV. Rows whose version is not valid PEP 440 are skipped (h5py lists
    /// `1.3.0.dev-r634`); any other malformed row is an error naming its line.
    pub fn parse(text: &str) -> Result<ReleaseList, String> {
        let mut releases = Vec::new();
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
                // A Requires-Python the index serves but PEP 440 cannot read is ignored by
                // pip as well (it warns and treats the release as compatible).
                VersionSpecifiers::from_str(cols[1]).ok()
            };
            let status = match cols[3].trim() {
                "final" => Status::Final,
                "pre-release" => Status::PreRelease,
                "yanked" => Status::Yanked,
                "withdrawn" => Status::Withdrawn,
                "absent" => Status::Absent,
                other => return Err(format!("line {}: unknown status `{other}`", i + 1)),
            };
            releases.push(Release {
                version,
                text: cols[0].to_owned(),
                requires_python,
                status,
            });
        }
        releases.sort_by(|a, b| a.version.cmp(&b.version));
        Ok(ReleaseList { releases })
    }
}

/// `tensorflow-by-python.tsv`: for each Python, the versions of each distribution that have
/// wheels for it.
#[derive(Clone, Debug, Default)]
pub struct WheelsByPython {
    /// (python, normalised distribution name, versions)
    pub rows: Vec<(String, String, Vec<Version>)>,
}

impl WheelsByPython {
    pub fn parse(text: &str) -> Result<WheelsByPython, String> {
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

    pub fn versions(&self, python: &str, distribution: &str) -> Option<&[Version]> {
        self.rows
            .iter()
            .find(|(p, d, _)| p == python && d == distribution)
            .map(|(_, _, v)| v.as_slice())
    }
}
