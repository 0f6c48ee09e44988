//! `--include-dependents`: when a requirements file is checked because it changed (pre-commit
//! passes only changed files), the files that include it with `-r`/`-c` must be checked too:
//! a `base.txt` that loosens NumPy is only wrong through the `requirements.txt` that pairs it
//! with `tensorflow==1.14.0`.
//!
//! The repository (the nearest ancestor of the working directory holding `.git`, else the
//! working directory) is walked as `depwindow check .` would walk it; every requirements file
//! and conda environment found is parsed with its includes (the parser follows them
//! transitively), and it becomes a candidate when any file it reads is one of the targets.
//! Paths are compared after `canonicalize`, so `./a/../base.txt` and symlinks agree.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use crate::discover::{self, Candidate};
use crate::files::Files;
use crate::formats::{self, Format};

/// The repository root for `cwd`: the nearest ancestor with `.git` (a directory, or a file
/// in worktrees and submodules), else `cwd` itself.
pub(crate) fn repo_root(cwd: &Path) -> PathBuf {
    cwd.ancestors()
        .find(|d| d.join(".git").exists())
        .unwrap_or(cwd)
        .to_path_buf()
}

fn canonical(cwd: &Path, p: &Path) -> Option<PathBuf> {
    let abs = if p.is_absolute() {
        p.to_path_buf()
    } else {
        cwd.join(p)
    };
    std::fs::canonicalize(abs).ok()
}

/// The candidates (not already in `existing`) that include one of `existing`'s requirements
/// files, directly or through other includes.
pub(crate) fn find(
    cwd: &Path,
    existing: &[Candidate],
    exclude: &dyn Fn(&Path) -> bool,
) -> Vec<Candidate> {
    let targets: BTreeSet<PathBuf> = existing
        .iter()
        .filter(|c| c.format == Format::Requirements)
        .filter_map(|c| canonical(cwd, &c.path))
        .collect();
    if targets.is_empty() {
        return Vec::new();
    }
    let have: BTreeSet<PathBuf> = existing
        .iter()
        .filter_map(|c| canonical(cwd, &c.path))
        .collect();
    let root = repo_root(cwd);
    let (found, _errors) = discover::discover(&[root], None, exclude);
    let mut out = Vec::new();
    for c in found {
        if !c.format.imp().reads_includes() {
            continue;
        }
        let Some(me) = canonical(cwd, &c.path) else {
            continue;
        };
        if have.contains(&me) {
            continue;
        }
        let mut files = Files::new(cwd.to_path_buf());
        let Ok(id) = files.load(&c.path) else {
            continue;
        };
        let _ = formats::parse(c.format, &mut files, id);
        let includes_target = files
            .iter()
            .filter(|(fid, _)| *fid != id)
            .filter_map(|(_, f)| canonical(cwd, &f.path))
            .any(|p| targets.contains(&p));
        if includes_target {
            out.push(c);
        }
    }
    out
}
