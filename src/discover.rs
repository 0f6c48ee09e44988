//! Finding the files to check: explicit paths are always checked; directories are walked
//! honouring `.gitignore`, skipping `.git`, virtualenvs and `node_modules`.
//!
//! One rule for exit code 2, walked or named: anything depwindow was asked to read and
//! could not is an I/O error, named in the message. A named path that does not exist, a
//! directory (named or walked) that cannot be listed, a walked path too long for the
//! system, a file (named or found) that cannot be read: exit 2. A dangling symbolic link
//! found by the walk points at nothing to read: a warning. What the walk skips by design
//! (ignored, excluded, not a dependency file name, links to directories) is not an error.
//! File names need not be UTF-8: they are matched and shown lossily, never skipped.

use std::path::{Path, PathBuf};

use crate::formats::Format;

/// A file to check and how to read it.
#[derive(Clone, Debug)]
pub(crate) struct Candidate {
    pub path: PathBuf,
    pub format: Format,
    /// Named on the command line (checked whatever its name).
    pub explicit: bool,
    /// Neither `--input-format` nor the name says what the file is: the content decides
    /// (`formats::sniff`), `format` is the fallback.
    pub sniff: bool,
}

/// Directory names never descended into.
const SKIP_DIRS: &[&str] = &[
    ".git",
    ".hg",
    ".svn",
    "node_modules",
    "__pycache__",
    ".tox",
    ".nox",
    ".mypy_cache",
    ".ruff_cache",
    "site-packages",
];

/// Problems met while walking. `fatal` ones (a directory that cannot be listed, a path too
/// long) end the run with exit 2 after everything else is reported; the others (a dangling
/// link, a bad `.gitignore` line) are warnings.
#[derive(Debug, Clone)]
pub(crate) struct WalkError {
    pub path: String,
    pub message: String,
    pub fatal: bool,
}

/// The format a walked file's name says, matching non-UTF-8 names lossily.
fn detect(path: &Path) -> Option<Format> {
    Format::detect(path).or_else(|| {
        let lossy = path.to_string_lossy();
        match lossy {
            std::borrow::Cow::Owned(s) => Format::detect(Path::new(&s)),
            std::borrow::Cow::Borrowed(_) => None,
        }
    })
}

/// The path an error of the walker is about, when it says.
fn error_path(err: &ignore::Error) -> Option<&Path> {
    match err {
        ignore::Error::WithPath { path, .. } => Some(path),
        ignore::Error::WithDepth { err, .. } | ignore::Error::WithLineNumber { err, .. } => {
            error_path(err)
        }
        ignore::Error::Partial(errs) => errs.first().and_then(error_path),
        ignore::Error::Loop { child, .. } => Some(child),
        _ => None,
    }
}

/// The message of a walker error without the path it already names.
fn error_message(err: &ignore::Error) -> String {
    match err {
        ignore::Error::WithPath { err, .. }
        | ignore::Error::WithDepth { err, .. }
        | ignore::Error::WithLineNumber { err, .. } => error_message(err),
        other => other.to_string(),
    }
}

pub(crate) fn discover(
    paths: &[PathBuf],
    input_format: Option<Format>,
    exclude: &dyn Fn(&Path) -> bool,
) -> (Vec<Candidate>, Vec<WalkError>) {
    let mut out = Vec::new();
    let errors = discover_each(paths, input_format, exclude, &mut |c| out.push(c));
    (out, errors)
}

/// [`discover`], handing each candidate to `found` as the walk meets it (the run checks the
/// first ones while the walk goes on), in the order [`discover`] lists them.
pub(crate) fn discover_each(
    paths: &[PathBuf],
    input_format: Option<Format>,
    exclude: &dyn Fn(&Path) -> bool,
    found: &mut dyn FnMut(Candidate),
) -> Vec<WalkError> {
    let mut errors = Vec::new();
    for path in paths {
        if path.is_dir() {
            walk(path, exclude, found, &mut errors);
        } else {
            let format = input_format.unwrap_or_else(|| Format::for_explicit(path));
            found(Candidate {
                path: path.clone(),
                format,
                explicit: true,
                sniff: input_format.is_none() && Format::name_says_nothing(path),
            });
        }
    }
    errors
}

fn walk(
    root: &Path,
    exclude: &dyn Fn(&Path) -> bool,
    out: &mut dyn FnMut(Candidate),
    errors: &mut Vec<WalkError>,
) {
    let mut builder = ignore::WalkBuilder::new(root);
    builder
        .hidden(false)
        .git_ignore(true)
        .git_global(false)
        .git_exclude(true)
        .ignore(true)
        .parents(true)
        // Honour .gitignore even outside a git checkout (a fresh copy, a tarball).
        .require_git(false)
        .follow_links(false)
        .sort_by_file_name(|a, b| a.cmp(b));
    builder.filter_entry(|e| {
        let is_dir = e.file_type().is_some_and(|t| t.is_dir());
        if !is_dir {
            return true;
        }
        let name = e.file_name().to_string_lossy();
        if SKIP_DIRS.contains(&name.as_ref()) {
            return false;
        }
        // A virtualenv, whatever its name.
        !e.path().join("pyvenv.cfg").is_file()
    });
    let mut found = Vec::new();
    let mut links = Vec::new();
    for entry in builder.build() {
        match entry {
            Ok(e) => {
                let Some(kind) = e.file_type() else { continue };
                // Directory links are not followed (no loops), but a link to a file with
                // a name we read (`requirements.txt -> requirements/prod.txt`) is checked;
                // what it points at goes through the same refusals as any other file.
                let link_to_file = kind.is_symlink()
                    && detect(e.path()).is_some()
                    && match std::fs::metadata(e.path()) {
                        Ok(meta) => !meta.is_dir(),
                        Err(err) => {
                            errors.push(WalkError {
                                path: e.path().display().to_string(),
                                message: format!("broken symbolic link: {err}"),
                                fatal: false,
                            });
                            false
                        }
                    };
                if !kind.is_file() && !link_to_file {
                    continue;
                }
                let path = e.into_path();
                if exclude(&path) {
                    continue;
                }
                let format = detect(&path).or_else(|| {
                    (kind.is_file() && conda_environment(&path)).then_some(Format::Conda)
                });
                if let Some(format) = format {
                    if link_to_file {
                        links.push((path, format));
                    } else {
                        found.push(path.clone());
                        out(Candidate {
                            path,
                            format,
                            explicit: false,
                            sniff: false,
                        });
                    }
                }
            }
            Err(err) => {
                // Something under the walk could not be read (a directory that cannot be
                // listed, a path too long to open): an I/O error, with its name.
                let fatal = err.io_error().is_some();
                errors.push(WalkError {
                    path: error_path(&err)
                        .unwrap_or(root)
                        .to_string_lossy()
                        .into_owned(),
                    message: error_message(&err),
                    fatal,
                })
            }
        }
    }
    // A link to a file the walk finds anyway is checked once, as the file itself (after
    // the files the walk found).
    if !links.is_empty() {
        let mut seen: std::collections::HashSet<std::path::PathBuf> = found
            .iter()
            .filter_map(|p| std::fs::canonicalize(p).ok())
            .collect();
        for (path, format) in links {
            let real = std::fs::canonicalize(&path).unwrap_or_else(|_| path.clone());
            if seen.insert(real) {
                out(Candidate {
                    path,
                    format,
                    explicit: false,
                    sniff: false,
                });
            }
        }
    }
}

/// A walked YAML file not named `environment.yml` that is a conda environment all the same
/// (`conda env create -f` takes any name: `conda/spleeter-cpu.yaml`, `folding-linux.yml`):
/// top-level `channels:` and `dependencies:` keys, as `conda env export` writes them. Both
/// are asked for, where a file named on the command line needs only `dependencies:`
/// (`formats::sniff`): a Helm chart or an Ansible role has `dependencies:` alone. A file
/// that cannot be read here is left to the name rule (not checked), as any other YAML.
fn conda_environment(path: &Path) -> bool {
    let yaml = path
        .extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| e.eq_ignore_ascii_case("yml") || e.eq_ignore_ascii_case("yaml"));
    if !yaml {
        return false;
    }
    let Ok(bytes) = crate::files::read_capped(path) else {
        return false;
    };
    let text = String::from_utf8_lossy(&bytes);
    let text = text.trim_start_matches('\u{feff}');
    let key = |k: &str| text.lines().any(|l| top_level_key(l, k));
    key("channels") && key("dependencies")
}

/// Whether `line` starts the top-level mapping key `key` holding a list, as conda needs:
/// block style (`channels:`, the list on the next lines), flow style (`channels:
/// [conda-forge]`), either with a `# comment` after it; the key may be quoted and have spaces
/// before its colon. YAML needs a space or the end of the line after the colon
/// (`channels:x` is a plain scalar), and a tab there is an error to conda's loader; a scalar
/// value (`dependencies: none`) is not a conda environment.
fn top_level_key(line: &str, key: &str) -> bool {
    let rest = ["", "\"", "'"].iter().find_map(|q| {
        line.strip_prefix(q)
            .and_then(|l| l.strip_prefix(key))
            .and_then(|l| l.strip_prefix(q))
    });
    let Some(after) = rest.and_then(|r| r.trim_start_matches(' ').strip_prefix(':')) else {
        return false;
    };
    match after.strip_prefix(' ') {
        None => after.is_empty(),
        Some(value) => {
            let value = value.trim_start_matches(' ');
            value.is_empty() || value.starts_with(['#', '['])
        }
    }
}

/// A requirements-syntax file discovered by a constraints name is checked through the files
/// that include it, not on its own.
pub(crate) fn is_constraints_name(path: &Path) -> bool {
    path.file_name()
        .and_then(|n| n.to_str())
        .is_some_and(|n| n.to_ascii_lowercase().contains("constraints"))
}
