//! Finding the files to check: explicit paths are always checked; directories are walked
//! honouring `.gitignore`, skipping `.git`, virtualenvs and `node_modules`. The walk is
//! ours (each directory listed once, the listing saying which ignore files, virtualenv
//! marker and configuration files exist), with the `ignore` crate's matchers and exactly
//! the semantics of the crate's walk it replaced (a test walks generated trees with both).
//!
//! One rule for exit code 2, walked or named: anything depwindow was asked to read and
//! could not is an I/O error, named in the message. A named path that does not exist, a
//! directory (named or walked) that cannot be listed, a walked path too long for the
//! system, a file (named or found) that cannot be read: exit 2. A dangling symbolic link
//! found by the walk points at nothing to read: a warning. What the walk skips by design
//! (ignored, excluded, not a dependency file name, links to directories) is not an error.
//! File names need not be UTF-8: they are matched and shown lossily, never skipped.

use std::ffi::{OsStr, OsString};
use std::fs::FileType;
use std::path::{Path, PathBuf};
use std::sync::atomic::Ordering;

use ignore::gitignore::{Gitignore, GitignoreBuilder};

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

pub(crate) fn discover(
    paths: &[PathBuf],
    input_format: Option<Format>,
    exclude: &dyn Fn(&Path) -> bool,
) -> (Vec<Candidate>, Vec<WalkError>) {
    let mut out = Vec::new();
    let errors = discover_each(
        paths,
        input_format,
        exclude,
        &mut |c| out.push(c),
        &mut |_| {},
    );
    (out, errors)
}

/// [`discover`], handing each candidate to `found` as the walk meets it (the run checks the
/// first ones while the walk goes on), in the order [`discover`] lists them. Each walked
/// directory's listing goes to `listed` before any of its files is handed over or excluded,
/// so that the configuration lookup and the sibling lockfiles need not list or probe it
/// again.
pub(crate) fn discover_each(
    paths: &[PathBuf],
    input_format: Option<Format>,
    exclude: &dyn Fn(&Path) -> bool,
    found: &mut dyn FnMut(Candidate),
    listed: &mut dyn FnMut(&Listing),
) -> Vec<WalkError> {
    let mut errors = Vec::new();
    for path in paths {
        if path.is_dir() {
            let mut walk = Walk {
                exclude,
                out: found,
                listed,
                errors: &mut errors,
                found: Vec::new(),
                links: Vec::new(),
            };
            walk.root(path);
            walk.links();
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

/// One directory's entries, as the walk listed them (once: `read_dir`, each entry's type
/// from the listing), sorted by name.
pub(crate) struct Listing<'a> {
    pub dir: &'a Path,
    entries: &'a [(OsString, FileType)],
}

impl Listing<'_> {
    /// Whether the directory holds an entry named `name`, ASCII case folded: on a
    /// case-insensitive file system (macOS) the exact name opens `PyVenv.cfg`, so only a
    /// name absent under any case is never probed. The probe that follows decides, as the
    /// probe alone decided before.
    pub(crate) fn has(&self, name: &str) -> bool {
        self.entries
            .iter()
            .any(|(n, _)| n.as_encoded_bytes().eq_ignore_ascii_case(name.as_bytes()))
    }

    /// The names of its entries.
    pub(crate) fn names(&self) -> impl Iterator<Item = &OsStr> {
        self.entries.iter().map(|(n, _)| n.as_os_str())
    }
}

/// The walk of one root: `WalkBuilder`'s walk of the `ignore` crate with the settings
/// depwindow used (every ignore file: `.ignore` over `.gitignore` over `.git/info/exclude`,
/// the deeper directory first, and those of the directories above the root; hidden files
/// walked; links not followed; sorted by file name), but each directory is listed once and
/// that listing says which ignore files exist, whether the directory is a virtualenv
/// (`pyvenv.cfg`), and, through `listed`, what the configuration lookup and the sibling
/// lockfiles need: the crate's walk probed four names in every directory and the run listed
/// each project directory a second time. Only the matchers
/// (`ignore::gitignore::Gitignore`) are the crate's. A test walks generated trees with both.
struct Walk<'a, 'b> {
    exclude: &'a dyn Fn(&Path) -> bool,
    out: &'a mut dyn FnMut(Candidate),
    listed: &'a mut dyn FnMut(&Listing),
    errors: &'b mut Vec<WalkError>,
    /// The files handed over, for the links checked after them.
    found: Vec<PathBuf>,
    /// Links to files with a dependency file's name, checked after the walk's files.
    links: Vec<(PathBuf, Format)>,
}

/// A directory being walked: its entries not yet taken, and its ignore rules.
struct Frame {
    dir: PathBuf,
    entries: std::vec::IntoIter<(OsString, FileType)>,
    rules: Rules,
    /// A file of the directory was asked whether it is excluded (see [`Walk::file`]).
    asked: bool,
}

/// The root's walk: the rules of the directories above it, and the directories open.
struct Chain {
    root: PathBuf,
    parents: Parents,
    frames: Vec<Frame>,
}

impl Walk<'_, '_> {
    fn root(&mut self, root: &Path) {
        let parents = Parents::of(root, self.errors);
        let mut chain = Chain {
            root: root.to_path_buf(),
            parents,
            frames: Vec::new(),
        };
        match list(root, root, self.errors) {
            Ok(entries) => self.enter(&mut chain, root.to_path_buf(), entries),
            Err(err) => self.errors.push(unlistable(root, &err)),
        }
        while let Some(top) = chain.frames.last_mut() {
            let Some((name, kind)) = top.entries.next() else {
                chain.frames.pop();
                continue;
            };
            let path = crate::files::join(&top.dir, &name);
            if chain.ignored(&path, kind.is_dir()) {
                continue;
            }
            if kind.is_dir() {
                self.directory(&mut chain, path, &name);
            } else if let Some(top) = chain.frames.last_mut() {
                self.file(path, kind, &mut top.asked);
            }
        }
    }

    /// A directory below the root: skipped by name, listed, skipped as a virtualenv, or
    /// walked. One that cannot be listed is an I/O error, unless it is a virtualenv (as
    /// the `pyvenv.cfg` probe found it before).
    fn directory(&mut self, chain: &mut Chain, path: PathBuf, name: &OsStr) {
        if SKIP_DIRS.contains(&name.to_string_lossy().as_ref()) {
            return;
        }
        match list(&path, &chain.root, self.errors) {
            Ok(entries) => {
                let listing = Listing {
                    dir: &path,
                    entries: &entries,
                };
                if !(listing.has(PYVENV_CFG) && is_venv(&path)) {
                    self.enter(chain, path, entries);
                }
            }
            Err(err) => {
                if !is_venv(&path) {
                    self.errors.push(unlistable(&path, &err));
                }
            }
        }
    }

    /// Walk into a listed directory: its listing is handed over, then its rules built.
    fn enter(&mut self, chain: &mut Chain, dir: PathBuf, entries: Vec<(OsString, FileType)>) {
        let listing = Listing {
            dir: &dir,
            entries: &entries,
        };
        (self.listed)(&listing);
        let rules = Rules::listed(&listing);
        chain.frames.push(Frame {
            dir,
            entries: entries.into_iter(),
            rules,
            asked: false,
        });
    }

    /// A walked entry that is not a directory: a dependency file is handed over (a link to
    /// one after the walk's files). `asked`: whether a file of its directory was asked
    /// whether it is excluded. Asking looks up the directory's configuration, whose error
    /// ends the run, so the first regular file of each directory is asked whatever its
    /// name, as every file was; the others only when their name or content may make them
    /// a dependency file (the exclusion of a `.py` file decides nothing, and asking cost
    /// a parse of its path: 9M instructions on a tree of 20,000 of them).
    fn file(&mut self, path: PathBuf, kind: FileType, asked: &mut bool) {
        // Directory links are not followed (no loops), but a link to a file with a name we
        // read (`requirements.txt -> requirements/prod.txt`) is checked; what it points at
        // goes through the same refusals as any other file.
        let named = detect(&path);
        let link_to_file = kind.is_symlink()
            && named.is_some()
            && match std::fs::metadata(&path) {
                Ok(meta) => !meta.is_dir(),
                Err(err) => {
                    self.errors.push(WalkError {
                        path: path.display().to_string(),
                        message: format!("broken symbolic link: {err}"),
                        fatal: false,
                    });
                    false
                }
            };
        if !kind.is_file() && !link_to_file {
            return;
        }
        if named.is_none() && !may_be_conda(&path) && *asked {
            return;
        }
        *asked = true;
        if (self.exclude)(&path) {
            return;
        }
        let format =
            named.or_else(|| (kind.is_file() && conda_environment(&path)).then_some(Format::Conda));
        let Some(format) = format else { return };
        if link_to_file {
            self.links.push((path, format));
        } else {
            self.found.push(path.clone());
            (self.out)(Candidate {
                path,
                format,
                explicit: false,
                sniff: false,
            });
        }
    }

    /// A link to a file the walk finds anyway is checked once, as the file itself (after
    /// the files the walk found).
    fn links(&mut self) {
        if self.links.is_empty() {
            return;
        }
        let mut seen: std::collections::HashSet<PathBuf> = self
            .found
            .iter()
            .filter_map(|p| std::fs::canonicalize(p).ok())
            .collect();
        for (path, format) in std::mem::take(&mut self.links) {
            let real = std::fs::canonicalize(&path).unwrap_or_else(|_| path.clone());
            if seen.insert(real) {
                (self.out)(Candidate {
                    path,
                    format,
                    explicit: false,
                    sniff: false,
                });
            }
        }
    }
}

/// The file that makes a directory a virtualenv, whatever its name.
const PYVENV_CFG: &str = "pyvenv.cfg";

fn is_venv(dir: &Path) -> bool {
    crate::files::counts::add(&crate::files::counts::WALK_PROBES);
    crate::files::join(dir, PYVENV_CFG).is_file()
}

/// The entries of `dir` with their types, sorted by name. An entry whose type cannot be
/// known is an I/O error, as the crate's walk reported it (one that names no path is put
/// on `root`).
fn list(
    dir: &Path,
    root: &Path,
    errors: &mut Vec<WalkError>,
) -> std::io::Result<Vec<(OsString, FileType)>> {
    crate::files::counts::add(&crate::files::counts::LISTINGS);
    let mut entries = Vec::new();
    for entry in std::fs::read_dir(dir)? {
        let typed = entry.map(|e| match e.file_type() {
            Ok(kind) => Ok((e.file_name(), kind)),
            Err(err) => Err((e.path(), err)),
        });
        match typed {
            Ok(Ok(entry)) => entries.push(entry),
            Ok(Err((path, err))) => errors.push(unlistable(&path, &err)),
            Err(err) => errors.push(WalkError {
                path: root.to_string_lossy().into_owned(),
                message: err.to_string(),
                fatal: true,
            }),
        }
    }
    entries.sort_unstable_by(|a, b| a.0.cmp(&b.0));
    Ok(entries)
}

/// A directory that cannot be listed (or an entry whose type cannot be known): exit 2, in
/// the words of the `walkdir` crate the walk used before.
fn unlistable(path: &Path, err: &std::io::Error) -> WalkError {
    WalkError {
        path: path.to_string_lossy().into_owned(),
        message: format!("IO error for operation on {}: {err}", path.display()),
        fatal: true,
    }
}

/// The ignore files of one directory, by precedence.
#[derive(Default)]
struct Rules {
    ignore: Option<Gitignore>,
    git: Option<Gitignore>,
    exclude: Option<Gitignore>,
}

/// What a directory's rules say of a path so far, per ignore file kind: `Some(true)`
/// ignored, `Some(false)` whitelisted (`!pattern`), the deepest directory's word first.
#[derive(Default)]
struct Verdicts([Option<bool>; 3]);

impl Verdicts {
    /// `.ignore` over `.gitignore` over `.git/info/exclude`.
    fn ignored(&self) -> bool {
        self.0.iter().flatten().next() == Some(&true)
    }
}

impl Rules {
    /// The rules of a listed directory: only the ignore files its listing shows are read
    /// (the errors of their lines are not reported, as the crate's walk never reported
    /// them for a walked directory).
    fn listed(listing: &Listing) -> Rules {
        let dir = listing.dir;
        let probe = |name: &str, probes: u64| {
            let listed = listing.has(name);
            if listed {
                crate::files::counts::WALK_PROBES.fetch_add(probes, Ordering::Relaxed);
            }
            listed
        };
        let read = |name: &str| {
            probe(name, 1).then(|| gitignore(dir, crate::files::join(dir, name), false).0)
        };
        Rules {
            ignore: read(".ignore"),
            git: read(".gitignore"),
            // `.git` itself, then its `info/exclude`.
            exclude: probe(".git", 2)
                .then(|| git_exclude(dir, false).0)
                .flatten(),
        }
    }

    /// The rules of a directory above the root, probed, with the errors of its files.
    fn probed(dir: &Path, errors: &mut Vec<ignore::Error>) -> Rules {
        let (ignore, e1) = gitignore(dir, dir.join(".ignore"), true);
        let (git, e2) = gitignore(dir, dir.join(".gitignore"), true);
        let (exclude, e3) = git_exclude(dir, true);
        errors.extend([e1, e2, e3].into_iter().flatten());
        Rules {
            ignore: Some(ignore),
            git: Some(git),
            exclude,
        }
    }

    fn any(&self) -> bool {
        [&self.ignore, &self.git, &self.exclude]
            .iter()
            .any(|g| g.as_ref().is_some_and(|g| !g.is_empty()))
    }

    /// Add this directory's word on `path` where no deeper directory said one.
    fn judge(&self, verdicts: &mut Verdicts, path: &Path, is_dir: bool) {
        for (slot, rules) in verdicts
            .0
            .iter_mut()
            .zip([&self.ignore, &self.git, &self.exclude])
        {
            if slot.is_none() {
                if let Some(rules) = rules {
                    let m = rules.matched(path, is_dir);
                    *slot = (!m.is_none()).then(|| m.is_ignore());
                }
            }
        }
    }
}

/// The rules of the directories above a root, deepest first, and where the root really is
/// (their patterns match absolute paths).
#[derive(Default)]
struct Parents {
    base: PathBuf,
    rules: Vec<Rules>,
}

impl Parents {
    /// Read from the outermost directory in, as the crate did; their errors (a bad line,
    /// an unreadable `.git` file) are reported as one, first.
    fn of(root: &Path, errors: &mut Vec<WalkError>) -> Parents {
        let Ok(base) = root.canonicalize() else {
            return Parents::default();
        };
        let mut errs = Vec::new();
        let outermost_first: Vec<&Path> = base.ancestors().skip(1).collect();
        let mut rules: Vec<Rules> = outermost_first
            .iter()
            .rev()
            .map(|dir| {
                let mut dir_errs = Vec::new();
                let r = Rules::probed(dir, &mut dir_errs);
                errs.extend(one(dir_errs));
                r
            })
            .collect();
        rules.reverse();
        if let Some(err) = one(errs) {
            errors.push(WalkError {
                path: error_path(&err)
                    .unwrap_or(root)
                    .to_string_lossy()
                    .into_owned(),
                message: error_message(&err),
                fatal: err.io_error().is_some(),
            });
        }
        rules.retain(Rules::any);
        Parents { base, rules }
    }
}

impl Chain {
    /// Whether the ignore rules of the walked directories (deepest first), then of those
    /// above the root, ignore `path`.
    fn ignored(&self, path: &Path, is_dir: bool) -> bool {
        let path = strip_prefix(Path::new("./"), path).unwrap_or(path);
        let mut verdicts = Verdicts::default();
        for frame in self.frames.iter().rev() {
            frame.rules.judge(&mut verdicts, path, is_dir);
        }
        if !self.parents.rules.is_empty() {
            let abs = self.parents.base.join(self.below_root(path));
            for rules in &self.parents.rules {
                rules.judge(&mut verdicts, &abs, is_dir);
            }
        }
        verdicts.ignored()
    }

    /// `path` (without `./`) relative to the root, as the crate joined it to the root's
    /// real path: by string prefixes, not components.
    fn below_root<'p>(&self, path: &'p Path) -> &'p Path {
        if self.root.as_path() == Path::new(".") {
            return path;
        }
        let root = strip_prefix(Path::new("./"), &self.root).unwrap_or(&self.root);
        let rest = strip_prefix(root, path).unwrap_or(path);
        strip_prefix(Path::new("/"), rest).unwrap_or(rest)
    }
}

/// `path` without the leading `prefix`, when it ends at a component boundary: compared
/// as bytes (`./` is a prefix of `./a`, `a/b` of `a/b/c` but not of `a/bc`), as the crate
/// compared them.
fn strip_prefix<'p>(prefix: &Path, path: &'p Path) -> Option<&'p Path> {
    #[cfg(unix)]
    {
        use std::os::unix::ffi::OsStrExt;
        let prefix = prefix.as_os_str().as_bytes();
        let rest = path.as_os_str().as_bytes().strip_prefix(prefix)?;
        if prefix.last().is_some_and(|&b| b != b'/') && rest.first().is_some_and(|&b| b != b'/') {
            return None;
        }
        Some(Path::new(OsStr::from_bytes(rest)))
    }
    #[cfg(not(unix))]
    {
        path.strip_prefix(prefix).ok()
    }
}

/// The matcher of one ignore file whose patterns are relative to `dir`. `probe`: look for
/// the file first (a directory above the root); a walked directory's listing said it is
/// there. An unreadable file (a FIFO, a device, a directory too) matches nothing and is no
/// error; a bad pattern is.
fn gitignore(dir: &Path, file: PathBuf, probe: bool) -> (Gitignore, Option<ignore::Error>) {
    let mut builder = GitignoreBuilder::new(dir);
    let mut errs = Vec::new();
    if !probe || file.exists() {
        errs.extend(add_lines(&mut builder, &file).filter(|e| !e.is_io()));
    }
    let rules = builder.build().unwrap_or_else(|e| {
        errs.push(e);
        Gitignore::empty()
    });
    (rules, one(errs))
}

/// Add the patterns of ignore file `path`, read from a regular file only
/// ([`open_regular`]): `GitignoreBuilder::add` opens the path as it is, and the open of a
/// FIFO blocks until a writer comes (the walk hung). The file read as the crate reads it:
/// by lines, a BOM dropped from the first, a line that is not UTF-8 an error and skipped,
/// another read error the end; each error names the file and line.
fn add_lines(builder: &mut GitignoreBuilder, path: &Path) -> Option<ignore::Error> {
    use std::io::BufRead;
    let file = match open_regular(path) {
        Ok(file) => file,
        Err(err) => return Some(io_error(path, err)),
    };
    let at = |line: usize, err: ignore::Error| ignore::Error::WithPath {
        path: path.to_path_buf(),
        err: Box::new(ignore::Error::WithLineNumber {
            line: line as u64 + 1,
            err: Box::new(err),
        }),
    };
    let mut errs = Vec::new();
    for (i, line) in std::io::BufReader::new(file).lines().enumerate() {
        let line = match line {
            Ok(line) => line,
            Err(err) => {
                let undecodable = err.kind() == std::io::ErrorKind::InvalidData;
                errs.push(at(i, ignore::Error::Io(err)));
                if undecodable {
                    continue;
                }
                break;
            }
        };
        let line = if i == 0 {
            line.trim_start_matches('\u{feff}')
        } else {
            &line
        };
        if let Err(err) = builder.add_line(Some(path.to_path_buf()), line) {
            errs.push(at(i, err));
        }
    }
    one(errs)
}

/// Open `path` for reading when it is a regular file (or a link to one), without waiting:
/// opened with `O_NONBLOCK` (a FIFO's open returns at once), its type checked on the
/// descriptor (the name may have been swapped since the listing), as `files` opens the
/// files it checks. Anything else is an error, as a file that cannot be opened.
fn open_regular(path: &Path) -> std::io::Result<std::fs::File> {
    let mut options = std::fs::OpenOptions::new();
    options.read(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.custom_flags(libc::O_NONBLOCK | libc::O_NOCTTY | libc::O_CLOEXEC);
    }
    let file = options.open(path)?;
    if !file.metadata()?.is_file() {
        return Err(std::io::Error::other("not a regular file"));
    }
    Ok(file)
}

/// The matcher of `.git/info/exclude` for a directory holding `.git`: of the common git
/// directory when `.git` is a worktree's file (`gitdir: …`, then its `commondir`).
fn git_exclude(dir: &Path, probe: bool) -> (Option<Gitignore>, Option<ignore::Error>) {
    match git_dir(dir) {
        Ok(git) => {
            let (rules, err) = gitignore(dir, git.join("info/exclude"), probe);
            (Some(rules), err)
        }
        Err(err) => (None, err),
    }
}

/// Where a directory's git data is: `.git` itself, unless it is a file naming a
/// worktree's git directory (its first line, `gitdir: PATH`), whose `commondir` file names
/// the shared one. A `.git` file that says something else, or a worktree without a
/// readable `commondir` (missing, or not a regular file: a FIFO, a directory), names none
/// (no error); a `.git` file that cannot be read is one.
fn git_dir(dir: &Path) -> Result<PathBuf, Option<ignore::Error>> {
    let dot_git = dir.join(".git");
    if !std::fs::metadata(&dot_git).is_ok_and(|m| m.is_file()) {
        return Ok(dot_git);
    }
    let file = open_regular(&dot_git).map_err(|e| Some(io_error(&dot_git, e)))?;
    let line = first_line(file, &dot_git)?;
    let Some(worktree) = line.strip_prefix("gitdir: ") else {
        return Err(None);
    };
    let worktree = PathBuf::from(worktree);
    let commondir = worktree.join("commondir");
    let file = open_regular(&commondir).map_err(|_| None)?;
    let common = first_line(file, &commondir)?;
    Ok(if common.starts_with('.') {
        worktree.join(common)
    } else {
        PathBuf::from(common)
    })
}

/// The first line of a file; none when it is empty, an error naming the file when it
/// cannot be read.
fn first_line(file: std::fs::File, path: &Path) -> Result<String, Option<ignore::Error>> {
    use std::io::BufRead;
    match std::io::BufReader::new(file).lines().next() {
        Some(Ok(line)) => Ok(line),
        Some(Err(e)) => Err(Some(io_error(path, e))),
        None => Err(None),
    }
}

/// An I/O error of the walk about `path`.
fn io_error(path: &Path, err: std::io::Error) -> ignore::Error {
    ignore::Error::WithPath {
        path: path.to_path_buf(),
        err: Box::new(ignore::Error::Io(err)),
    }
}

/// Several errors as one, as the crate gave them: none, the one, or all.
fn one(mut errs: Vec<ignore::Error>) -> Option<ignore::Error> {
    match errs.len() {
        0 => None,
        1 => errs.pop(),
        _ => Some(ignore::Error::Partial(errs)),
    }
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

/// A walked YAML file not named `environment.yml` that is a conda environment all the same
/// (`conda env create -f` takes any name: `conda/spleeter-cpu.yaml`, `folding-linux.yml`):
/// top-level `channels:` and `dependencies:` keys, as `conda env export` writes them. Both
/// are asked for, where a file named on the command line needs only `dependencies:`
/// (`formats::sniff`): a Helm chart or an Ansible role has `dependencies:` alone. A file
/// that cannot be read here is left to the name rule (not checked), as any other YAML.
fn conda_environment(path: &Path) -> bool {
    if !may_be_conda(path) {
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

/// A YAML file's name: its content may make it a conda environment ([`conda_environment`]).
fn may_be_conda(path: &Path) -> bool {
    path.extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| e.eq_ignore_ascii_case("yml") || e.eq_ignore_ascii_case("yaml"))
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

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::ffi::OsStrExt;

    /// What a walk yields: the candidates in order (path, format), then its errors.
    type Walked = (Vec<(PathBuf, Format)>, Vec<(String, String, bool)>);

    /// The walk depwindow used before its own (`ignore::WalkBuilder`, the same settings and
    /// filter), kept as the reference its replacement must equal.
    fn reference(root: &Path) -> Walked {
        let mut builder = ignore::WalkBuilder::new(root);
        builder
            .hidden(false)
            .git_ignore(true)
            .git_global(false)
            .git_exclude(true)
            .ignore(true)
            .parents(true)
            .require_git(false)
            .follow_links(false)
            .sort_by_file_name(|a, b| a.cmp(b));
        builder.filter_entry(|e| {
            if !e.file_type().is_some_and(|t| t.is_dir()) {
                return true;
            }
            let name = e.file_name().to_string_lossy();
            !SKIP_DIRS.contains(&name.as_ref()) && !e.path().join("pyvenv.cfg").is_file()
        });
        let (mut found, mut links, mut errors) = (Vec::new(), Vec::new(), Vec::new());
        for entry in builder.build() {
            let e = match entry {
                Ok(e) => e,
                Err(err) => {
                    errors.push((
                        error_path(&err)
                            .unwrap_or(root)
                            .to_string_lossy()
                            .into_owned(),
                        error_message(&err),
                        err.io_error().is_some(),
                    ));
                    continue;
                }
            };
            let Some(kind) = e.file_type() else { continue };
            let link_to_file = kind.is_symlink()
                && detect(e.path()).is_some()
                && match std::fs::metadata(e.path()) {
                    Ok(meta) => !meta.is_dir(),
                    Err(err) => {
                        let path = e.path().display().to_string();
                        errors.push((path, format!("broken symbolic link: {err}"), false));
                        false
                    }
                };
            if !kind.is_file() && !link_to_file {
                continue;
            }
            let path = e.into_path();
            let format = detect(&path)
                .or_else(|| (kind.is_file() && conda_environment(&path)).then_some(Format::Conda));
            match format {
                Some(f) if link_to_file => links.push((path, f)),
                Some(f) => found.push((path, f)),
                None => {}
            }
        }
        let mut seen: std::collections::HashSet<PathBuf> = found
            .iter()
            .filter_map(|(p, _)| std::fs::canonicalize(p).ok())
            .collect();
        for (path, f) in links {
            let real = std::fs::canonicalize(&path).unwrap_or_else(|_| path.clone());
            if seen.insert(real) {
                found.push((path, f));
            }
        }
        (found, errors)
    }

    /// The walk of `discover_each`, and the directories it handed over as listed.
    fn walked(root: &Path) -> (Walked, Vec<PathBuf>) {
        let mut found = Vec::new();
        let mut listed = Vec::new();
        let errors = discover_each(
            &[root.to_path_buf()],
            None,
            &|_| false,
            &mut |c| found.push((c.path, c.format)),
            &mut |l| listed.push(l.dir.to_path_buf()),
        );
        let errors = errors
            .into_iter()
            .map(|e| (e.path, e.message, e.fatal))
            .collect();
        ((found, errors), listed)
    }

    /// A small deterministic generator (a linear congruential one).
    struct Gen(u64);

    impl Gen {
        fn below(&mut self, n: usize) -> usize {
            self.0 = self
                .0
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            ((self.0 >> 33) % n as u64) as usize
        }

        fn pick<T: Copy>(&mut self, from: &[T]) -> T {
            from[self.below(from.len())]
        }

        fn chance(&mut self, percent: usize) -> bool {
            self.below(100) < percent
        }
    }

    const PATTERNS: &[&str] = &[
        "*.txt",
        "!requirements.txt",
        "build/",
        "/a",
        "a/**/b",
        "**/docs",
        "src/*.toml",
        "*.lock",
        "!b/",
        "b",
        "requirements*",
        "!/src",
        "docs/**",
        "*.yml",
        "!env.yaml",
        "{a",
        "[z-a]",
        "a\\",
        "sp ace",
        "d*",
        "/requirements/",
        "**/requirements/*.txt",
        "!*/",
        "*",
        "#c",
        "\\#x",
        "pyproject.toml",
        "venv/",
        "root/a",
        "/root/src/",
        "!Pipfile",
        "",
    ];

    const DIRS: &[&[u8]] = &[
        b"a",
        b"b",
        b"src",
        b"build",
        b"docs",
        b"requirements",
        b"venv",
        b"node_modules",
        b".tox",
        b"sp ace",
        b"d\xfe",
    ];

    const FILES: &[&[u8]] = &[
        b"requirements.txt",
        b"requirements-dev.txt",
        b"pyproject.toml",
        b"Pipfile",
        b"poetry.lock",
        b"environment.yml",
        b"env.yaml",
        b"notes.txt",
        b"constraints.txt",
        b"req\xc3\xa9.txt",
        b"requirements-\xff.txt",
        b"depwindow.toml",
    ];

    /// Write a file of a generated tree; a name taken already (by a directory, a link)
    /// keeps what it is.
    fn write(path: &Path, text: &str) {
        let _ = std::fs::create_dir_all(path.parent().unwrap());
        let _ = std::fs::write(path, text);
    }

    fn patterns(g: &mut Gen) -> String {
        let n = 1 + g.below(4);
        (0..n).map(|_| format!("{}\n", g.pick(PATTERNS))).collect()
    }

    /// Ignore files, a git directory (or a worktree's `.git` file), a virtualenv marker and
    /// links, each by chance, in `dir`.
    fn decorate(g: &mut Gen, dir: &Path, shared: &Path) {
        for name in [".gitignore", ".ignore"] {
            if g.chance(30) {
                write(&dir.join(name), &patterns(g));
            }
        }
        match g.below(8) {
            0 => write(&dir.join(".git/info/exclude"), &patterns(g)),
            1 => write(&dir.join(".git/HEAD"), "ref: refs/heads/main\n"),
            2 => {
                // A worktree: `.git` names its git directory, whose `commondir` names the
                // shared one holding `info/exclude`.
                let wt = shared.join(format!("wt{}", g.below(1000)));
                write(&wt.join("commondir"), "../common\n");
                write(&shared.join("common/info/exclude"), &patterns(g));
                write(&dir.join(".git"), &format!("gitdir: {}\n", wt.display()));
            }
            3 => write(&dir.join(".git"), "not a worktree\n"),
            _ => {}
        }
        if g.chance(8) {
            write(&dir.join("pyvenv.cfg"), "home = /usr\n");
        }
        if g.chance(4) {
            let _ = std::fs::create_dir_all(dir.join("pyvenv.cfg"));
        }
        if g.chance(15) {
            let link = dir.join("requirements-link.txt");
            let _ = std::os::unix::fs::symlink("requirements.txt", link);
        }
        if g.chance(10) {
            let link = dir.join("requirements-dead.txt");
            let _ = std::os::unix::fs::symlink("nowhere.txt", link);
        }
        if g.chance(10) {
            let _ = std::os::unix::fs::symlink(".", dir.join("requirements"));
        }
    }

    fn fill(g: &mut Gen, dir: &Path, depth: usize, shared: &Path) {
        let _ = std::fs::create_dir_all(dir);
        decorate(g, dir, shared);
        for _ in 0..g.below(5) {
            let name = OsStr::from_bytes(g.pick(FILES));
            let text = if name.as_bytes().ends_with(b".yaml") {
                "channels:\n  - conda-forge\ndependencies:\n  - numpy\n"
            } else {
                "numpy==1.16.0\n"
            };
            write(&dir.join(name), text);
        }
        if depth < 3 {
            for _ in 0..g.below(4) {
                let name = OsStr::from_bytes(g.pick(DIRS));
                fill(g, &dir.join(name), depth + 1, shared);
            }
        }
    }

    /// On generated trees (nested ignore files with negations, directory, anchored and `**`
    /// patterns, bad lines, ignore files above the root, `.git/info/exclude` of repositories
    /// and worktrees, virtualenvs, skipped names, links, non-UTF-8 names), the walk yields
    /// the candidates, in order, and the errors of `ignore::WalkBuilder`'s walk, listing
    /// each directory it walks once.
    #[test]
    fn the_walk_is_the_ignore_crates_walk() {
        let base = std::env::temp_dir().join(format!("depwindow-walk-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&base);
        let mut compared = 0;
        for seed in 0..150u64 {
            let mut g = Gen(seed);
            let case = base.join(format!("case{seed}"));
            let shared = case.join("shared");
            let outer = case.join("outer");
            // Ignore files above the root, up to the case directory.
            decorate(&mut g, &outer, &shared);
            decorate(&mut g, &case, &shared);
            let root = outer.join("root");
            fill(&mut g, &root, 0, &shared);
            let spelt = [
                root.clone(),
                PathBuf::from(format!("{}/", root.display())),
                outer.join(".").join("root"),
            ];
            for root in spelt {
                let (walk, listed) = walked(&root);
                assert_eq!(
                    walk,
                    reference(&root),
                    "seed {seed}, root {}",
                    root.display()
                );
                let mut unique = listed.clone();
                unique.sort();
                unique.dedup();
                assert_eq!(
                    unique.len(),
                    listed.len(),
                    "seed {seed}: a directory listed twice"
                );
                compared += walk.0.len();
            }
        }
        std::fs::remove_dir_all(&base).unwrap();
        assert!(compared > 1000, "the trees held only {compared} candidates");
    }
}
