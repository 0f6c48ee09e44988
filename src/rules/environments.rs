//! The target environments: Python × operating system, each with every PEP 508 marker value
//! the real CPython reports there (`rules/environments.tsv`, documented and sourced in
//! `rules/README.md`). Data, embedded by `build.rs`; `crate::markers` evaluates markers on
//! them.

use std::str::FromStr;
use std::sync::OnceLock;

use pep440_rs::Version;

use super::BUILTIN_ENVIRONMENTS;

/// The operating systems, by `sys_platform` on Python 3 (the names `--platform` takes), in
/// the order reports list them.
pub(crate) const PLATFORMS: [&str; 3] = ["linux", "darwin", "win32"];

/// How messages name an operating system.
pub(crate) fn platform_title(platform: &str) -> &str {
    match platform {
        "linux" => "Linux",
        "darwin" => "macOS",
        "win32" => "Windows",
        other => other,
    }
}

/// One target environment. The marker values are the table's own text (embedded in the
/// binary): read at every start, they cost no allocation.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Environment {
    /// `major.minor`.
    pub python: String,
    /// `linux`, `darwin` or `win32` (the row's name; `sys_platform` may differ: `linux2`).
    pub platform: String,
    /// The first and the newest final patch release: a `python_full_version` marker is
    /// decided only when it agrees on every patch between them.
    pub full_oldest: Version,
    pub full_newest: Version,
    pub os_name: &'static str,
    pub sys_platform: &'static str,
    pub platform_system: &'static str,
    pub platform_machine: &'static str,
    pub platform_python_implementation: &'static str,
    pub implementation_name: &'static str,
    /// `implementation_version`: `0` on 2.7 (no `sys.implementation`), the interpreter
    /// version on 3.x (then it spans the same patches as `python_full_version`).
    pub implementation_version: &'static str,
    /// Whether `implementation_version` is the newest patch ([`Self::implementation_follows_python`]),
    /// decided once when the table is read: markers ask it per environment.
    implementation_follows: bool,
}

impl Environment {
    /// `implementation_version` follows the interpreter's patch (3.x), or is fixed (2.7).
    pub fn implementation_follows_python(&self) -> bool {
        self.implementation_follows
    }
}

/// Parse `environments.tsv` (header line, then one row per environment; columns by name).
pub(crate) fn parse(text: &'static str) -> Result<Vec<Environment>, String> {
    let mut lines = text.lines();
    let header: Vec<&str> = lines.next().ok_or("empty table")?.split('\t').collect();
    let col = |name: &str| {
        header
            .iter()
            .position(|h| *h == name)
            .ok_or_else(|| format!("no `{name}` column"))
    };
    let cols = [
        col("python")?,
        col("platform")?,
        col("python_full_version_oldest")?,
        col("python_full_version")?,
        col("os_name")?,
        col("sys_platform")?,
        col("platform_system")?,
        col("platform_machine")?,
        col("platform_python_implementation")?,
        col("implementation_name")?,
        col("implementation_version")?,
    ];
    let mut out = Vec::with_capacity(text.lines().count().saturating_sub(1));
    let mut cells: Vec<&'static str> = Vec::with_capacity(header.len());
    for (i, line) in lines.enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        cells.clear();
        cells.extend(line.split('\t'));
        let get = |c: usize| {
            cells
                .get(cols[c])
                .copied()
                .ok_or_else(|| format!("line {}: too few columns", i + 2))
        };
        let version = |c: usize| {
            let t = get(c)?;
            Version::from_str(t).map_err(|e| format!("line {}: `{t}`: {e}", i + 2))
        };
        let implementation_version = get(10)?;
        // Written as the newest patch is written (the table's versions are in PEP 440's
        // normal form: tested), so no version is formatted to compare.
        let implementation_follows = implementation_version == get(3)?;
        let full_newest = version(3)?;
        out.push(Environment {
            python: get(0)?.to_owned(),
            platform: get(1)?.to_owned(),
            full_oldest: version(2)?,
            implementation_follows,
            full_newest,
            os_name: get(4)?,
            sys_platform: get(5)?,
            platform_system: get(6)?,
            platform_machine: get(7)?,
            platform_python_implementation: get(8)?,
            implementation_name: get(9)?,
            implementation_version,
        });
    }
    Ok(out)
}

/// The built-in target environments (the table is checked by tests; a table that fails to
/// parse gives none).
pub fn builtin() -> &'static [Environment] {
    static ENVS: OnceLock<Vec<Environment>> = OnceLock::new();
    ENVS.get_or_init(|| parse(BUILTIN_ENVIRONMENTS).unwrap_or_default())
}

/// The built-in environment of a Python and an operating system.
#[cfg(test)]
pub(crate) fn find(python: &str, platform: &str) -> Option<&'static Environment> {
    builtin()
        .iter()
        .find(|e| e.python == python && e.platform == platform)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `implementation_follows` compares the table's text: the same answer as comparing
    /// with the newest patch formatted in PEP 440's normal form (what it did before),
    /// because the table writes `python_full_version` in that form.
    #[test]
    fn implementation_follows_is_the_comparison_with_the_normal_form() {
        let mut lines = BUILTIN_ENVIRONMENTS.lines();
        let header: Vec<&str> = lines.next().unwrap().split('\t').collect();
        let at = header
            .iter()
            .position(|h| *h == "python_full_version")
            .unwrap();
        for line in lines.filter(|l| !l.trim().is_empty()) {
            let written = line.split('\t').nth(at).unwrap();
            let normal = Version::from_str(written).unwrap().to_string();
            assert_eq!(written, normal, "{line}");
        }
        let mut follows = 0;
        for e in builtin() {
            let normal = e.full_newest.to_string();
            assert_eq!(
                e.implementation_follows_python(),
                e.implementation_version == normal,
                "{} {}",
                e.python,
                e.platform
            );
            follows += usize::from(e.implementation_follows_python());
        }
        assert!(follows >= 9, "{follows} rows follow");
    }

    #[test]
    fn the_builtin_table_has_twelve_rows() {
        assert_eq!(parse(BUILTIN_ENVIRONMENTS).map(|v| v.len()), Ok(12));
        let e = find("2.7", "linux").unwrap();
        assert_eq!(e.sys_platform, "linux2");
        assert_eq!(e.implementation_name, "");
        assert!(!e.implementation_follows_python());
        let e = find("3.7", "win32").unwrap();
        assert_eq!(e.platform_machine, "AMD64");
        assert!(e.implementation_follows_python());
        for p in ["2.7", "3.5", "3.6", "3.7"] {
            for os in PLATFORMS {
                assert!(find(p, os).is_some(), "{p} {os}");
            }
        }
    }
}
