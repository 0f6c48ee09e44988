//! The file registry: every file a run reads goes through [`Files::load`], which refuses
//! non-regular files, caps the read size and decodes the bytes. Nothing else in the
//! program opens input files.
//!
//! Two safety rules live here, so that every reader gets them without knowing:
//! - **No read waits on anything but the disk** ([`read_capped`]): paths that resolve under
//!   `/proc`, `/sys` or `/dev` are refused by name, files are opened with `O_NONBLOCK`, the
//!   type is checked on the open descriptor, and a read that would block is "not a regular
//!   file" (`/proc/kmsg` looks like an empty regular file and would block forever).
//! - **What a file says is confined to the project** ([`Confinement`]): once the CLI has
//!   called [`confine`], [`Files::load`] refuses a path that resolves outside the project
//!   roots and the places the person running the command named (command-line paths,
//!   `--config`, `--constraint`, `--allow-outside`). Includes, `file:` directives and
//!   walked symbolic links all load through here, so none of them can reach
//!   `/etc/shadow`. The library without [`confine`] (tests, fuzzing) is unconfined.

use crate::hash::HashMap;
use std::io::Read as _;
use std::path::{Path, PathBuf};
use std::sync::RwLock;

use crate::manifest::FileId;
use crate::source::{display_path, SourceFile};

/// What a run did on the file system, counted for tests (not clocks: the same on every
/// machine). With `DEPWINDOW_TEST_IO_COUNTS` set, the CLI prints them on standard error at
/// exit ([`counts::line`]); `tests/integration/io_work.rs` bounds them per file and directory.
pub mod counts {
    use std::sync::atomic::{AtomicU64, Ordering};

    /// Resolutions of a path that exists (where it really is, and what it is).
    pub(crate) static RESOLUTIONS: AtomicU64 = AtomicU64::new(0);
    /// Input files opened for reading.
    pub(crate) static OPENS: AtomicU64 = AtomicU64::new(0);
    /// File-system probes for a configuration file name (`depwindow.toml`,
    /// `pyproject.toml`) in a directory.
    pub(crate) static CONFIG_PROBES: AtomicU64 = AtomicU64::new(0);
    /// Directories listed (`read_dir`): by the walk, and by the sibling lockfile lookup
    /// for a directory the walk did not list.
    pub(crate) static LISTINGS: AtomicU64 = AtomicU64::new(0);
    /// Names the walk looks for in a directory it walks (an ignore file, `.git` and its
    /// `info/exclude`, `pyvenv.cfg`): only those its listing shows.
    pub(crate) static WALK_PROBES: AtomicU64 = AtomicU64::new(0);

    /// Configuration lookups for a file that made its directory absolute and normalised it
    /// (`config::Resolver::for_file`): once per directory the walk lists, not per file
    /// and per question (excluded? which settings?).
    pub(crate) static CONFIG_LOOKUPS: AtomicU64 = AtomicU64::new(0);

    /// TOML parses of a pyproject.toml to see whether it holds `[tool.depwindow]`
    /// (`config::pyproject_has_table`): only for text that could spell the table.
    pub(crate) static CONFIG_PARSES: AtomicU64 = AtomicU64::new(0);

    /// Files whose line starts were found (`source::SourceFile::starts`): only those a
    /// finding, a fix or an editor asks a position or a line of.
    pub(crate) static LINE_INDEXES: AtomicU64 = AtomicU64::new(0);

    /// Roots whose check had ended when discovery ended (checking during the walk).
    pub(crate) static CHECKED_DURING_WALK: AtomicU64 = AtomicU64::new(0);

    /// The most bytes read ahead that roots waiting for a worker held at once.
    pub(crate) static HELD_PEAK: AtomicU64 = AtomicU64::new(0);

    /// What the walk's listings leave held for later (`config::Resolver::listed`,
    /// `run::Listings`), in entries: a directory's configuration names one, a sibling
    /// lockfile listing one per name it keeps; now, and the most at once.
    static LISTED_HELD: AtomicU64 = AtomicU64::new(0);
    pub(crate) static LISTED_PEAK: AtomicU64 = AtomicU64::new(0);

    pub(crate) fn add(c: &AtomicU64) {
        c.fetch_add(1, Ordering::Relaxed);
    }

    /// `n` more listing entries held ([`LISTED_PEAK`]).
    pub(crate) fn hold(n: u64) {
        let now = LISTED_HELD.fetch_add(n, Ordering::Relaxed) + n;
        LISTED_PEAK.fetch_max(now, Ordering::Relaxed);
    }

    /// `n` listing entries let go.
    pub(crate) fn release(n: u64) {
        LISTED_HELD.fetch_sub(n, Ordering::Relaxed);
    }

    /// The environment variable that makes the CLI print [`line`] at exit.
    pub const ENV: &str = "DEPWINDOW_TEST_IO_COUNTS";

    /// `resolutions=N opens=N config-probes=N checked-during-walk=N held-peak=N
    /// config-lookups=N config-parses=N line-indexes=N listings=N walk-probes=N
    /// listed-peak=N`.
    pub fn line() -> String {
        let g = |c: &AtomicU64| c.load(Ordering::Relaxed);
        format!(
            "resolutions={} opens={} config-probes={} checked-during-walk={} held-peak={} \
             config-lookups={} config-parses={} line-indexes={} listings={} walk-probes={} \
             listed-peak={}",
            g(&RESOLUTIONS),
            g(&OPENS),
            g(&CONFIG_PROBES),
            g(&CHECKED_DURING_WALK),
            g(&HELD_PEAK),
            g(&CONFIG_LOOKUPS),
            g(&CONFIG_PARSES),
            g(&LINE_INDEXES),
            g(&LISTINGS),
            g(&WALK_PROBES),
            g(&LISTED_PEAK)
        )
    }
}

/// Files larger than this are refused rather than read (no unbounded reads).
pub(crate) const MAX_FILE_SIZE: u64 = 8 * 1024 * 1024;

#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    #[error("file not found")]
    NotFound,
    #[error("is a directory")]
    Directory,
    #[error("not a regular file (FIFO, device or socket); refusing to read it")]
    NotRegular,
    #[error("file is larger than {} MiB; refusing to read it", MAX_FILE_SIZE / (1024 * 1024))]
    TooLarge,
    #[error(
        "`{}` is a kernel pseudo-file (under `{}`), not a regular file; refusing to read it",
        .0.display(),
        .1
    )]
    PseudoFile(PathBuf, &'static str),
    #[error("{}", outside_message(.0))]
    Outside(Box<Outside>),
    #[error("{0}")]
    Io(String),
}

/// Why a path is outside the project (see [`LoadError::Outside`]).
#[derive(Debug)]
pub struct Outside {
    /// The path as the file named it.
    pub path: PathBuf,
    /// Where it resolves.
    pub target: PathBuf,
    /// Whether the path itself is a symbolic link (or goes through one).
    pub link: bool,
    /// The project root it left.
    pub root: PathBuf,
}

fn outside_message(o: &Outside) -> String {
    let how = if o.link {
        format!(
            "is a symbolic link to `{}`, outside the project",
            o.target.display()
        )
    } else {
        format!("`{}` is outside the project", o.target.display())
    };
    format!(
        "{how} (`{}`); not read (`--allow-outside PATH` on the command line allows it)",
        o.root.display()
    )
}

/// Where reads on behalf of file content may go: under a project root, or under a place
/// the person running the command named. Set once per process by the CLI ([`confine`]).
#[derive(Debug, Clone, Default)]
pub(crate) struct Confinement {
    /// Project roots (canonical): the repository root of the working directory (else the
    /// working directory), and of each path named on the command line (else that
    /// directory, or the named file's directory).
    pub roots: Vec<PathBuf>,
    /// Trusted places (canonical): named files, `--config`, `--constraint`,
    /// `--allow-outside`.
    pub allowed: Vec<PathBuf>,
}

static CONFINEMENT: RwLock<Option<Confinement>> = RwLock::new(None);

/// Unsaved editor buffers (the language server): absolute normalised path -> text. Every
/// read of input ([`read_capped`], so [`Files::load`] and configuration) sees a buffer here
/// before the disk. Empty outside the server.
static OVERLAY: RwLock<Option<HashMap<PathBuf, Vec<u8>>>> = RwLock::new(None);

/// Put an editor buffer over the file at `path` (`None` removes it: the disk counts again).
pub(crate) fn set_overlay(path: &Path, text: Option<Vec<u8>>) {
    let key = overlay_key(path);
    if let Ok(mut g) = OVERLAY.write() {
        let map = g.get_or_insert_with(HashMap::default);
        match text {
            Some(t) => map.insert(key, t),
            None => map.remove(&key),
        };
    }
}

fn overlay_key(path: &Path) -> PathBuf {
    normalize(&std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf()))
}

fn overlay(path: &Path) -> Option<Vec<u8>> {
    let g = OVERLAY.read().ok()?;
    let map = g.as_ref()?;
    if map.is_empty() {
        return None;
    }
    map.get(&overlay_key(path)).cloned()
}

/// Confine every later [`Files::load`] of this process (the CLI calls this before it reads
/// anything, and again once the configuration has named its constraint files).
pub(crate) fn confine(c: Confinement) {
    if let Ok(mut g) = CONFINEMENT.write() {
        *g = Some(c);
    }
}

/// Trust one more place (a path the person running the command named, e.g.
/// `--installed ENV`) in the current confinement.
pub(crate) fn allow(path: PathBuf) {
    if let Ok(mut g) = CONFINEMENT.write() {
        if let Some(c) = g.as_mut() {
            c.allowed.push(path);
        }
    }
}

/// The confinement check of a path that resolves to `real` (`None`: the path does not
/// resolve, and the read itself reports that).
fn check_confined(path: &Path, real: Option<&Path>) -> Result<(), LoadError> {
    match CONFINEMENT.read() {
        Ok(g) => match (&*g, real) {
            (Some(c), Some(real)) => c.check_resolved(path, real),
            _ => Ok(()),
        },
        // A poisoned lock means a panic elsewhere; refuse rather than read unconfined.
        Err(_) => Err(LoadError::Io(
            "internal error: confinement unavailable".into(),
        )),
    }
}

impl Confinement {
    /// Ok when `path` may be read on behalf of file content.
    pub(crate) fn check(&self, path: &Path) -> Result<(), LoadError> {
        match resolve(path, &Dirs::default()) {
            Ok(r) => self.check_resolved(path, &r.real),
            // A path that does not resolve is reported by the read itself ("not found").
            Err(_) => Ok(()),
        }
    }

    /// [`Confinement::check`] of `path`, which resolves to `target`.
    fn check_resolved(&self, path: &Path, target: &Path) -> Result<(), LoadError> {
        let inside = |p: &Path| {
            self.roots
                .iter()
                .chain(&self.allowed)
                .any(|r| p.starts_with(r))
        };
        if inside(target) {
            return Ok(());
        }
        // Say what it is: "outside the project" would suggest `--allow-outside` helps.
        if let Some(top) = pseudo_fs(target) {
            return Err(LoadError::PseudoFile(target.to_path_buf(), top));
        }
        // Resolving only the directory tells whether the last step was a link.
        let lexical = std::path::absolute(path)
            .map(|p| normalize(&p))
            .unwrap_or_else(|_| path.to_path_buf());
        let link = std::fs::symlink_metadata(path).is_ok_and(|m| m.file_type().is_symlink())
            || (lexical != target && inside(&lexical));
        let root = self
            .roots
            .iter()
            .find(|r| lexical.starts_with(r))
            .or(self.roots.first())
            .cloned()
            .unwrap_or_default();
        Err(LoadError::Outside(Box::new(Outside {
            path: path.to_path_buf(),
            target: target.to_path_buf(),
            link,
            root,
        })))
    }
}

/// The project root for `dir`: the nearest ancestor holding `.git` (a directory, or a file
/// in worktrees and submodules), else `dir` itself.
pub(crate) fn project_root(dir: &Path) -> PathBuf {
    dir.ancestors()
        .find(|d| d.join(".git").exists())
        .unwrap_or(dir)
        .to_path_buf()
}

#[derive(Debug, Default)]
pub struct Files {
    files: Vec<SourceFile>,
    /// By [`normalize`]d path, keyed by its bytes ([`PathKey`]).
    by_path: HashMap<PathKey, FileId>,
    cwd: PathBuf,
    /// The parse context of the readers given this registry: which packages they build in
    /// full (every one unless `run::check_one` narrows it to its rules' packages).
    relevant: std::sync::Arc<crate::formats::Relevant>,
    /// Canonical directories, shared by the registries of one run ([`Files::share_dirs`]).
    dirs: std::sync::Arc<Dirs>,
}

impl Files {
    pub fn new(cwd: PathBuf) -> Files {
        Files {
            files: Vec::new(),
            by_path: HashMap::default(),
            cwd,
            relevant: Default::default(),
            dirs: Default::default(),
        }
    }

    /// Resolve directories through `dirs` (one memo for every registry of a run, so each
    /// directory of the tree is resolved once, not once per file).
    pub(crate) fn share_dirs(&mut self, dirs: std::sync::Arc<Dirs>) {
        self.dirs = dirs;
    }

    /// Which packages the readers build in full ([`crate::formats::Relevant`]).
    pub fn relevant(&self) -> &crate::formats::Relevant {
        &self.relevant
    }

    /// Narrow (or widen) what the readers build in full from now on.
    pub fn set_relevant(&mut self, relevant: std::sync::Arc<crate::formats::Relevant>) {
        self.relevant = relevant;
    }

    /// Load a file once; a second load of the same path returns the same id.
    pub fn load(&mut self, path: &Path) -> Result<FileId, LoadError> {
        self.load_read(path, None)
    }

    /// [`Files::load`], with the file's bytes when they were read already, by [`read_kept`]
    /// (the configuration lookup reads each pyproject.toml it passes): the same confinement
    /// applies to the path they were read from, and the file is neither read nor resolved a
    /// second time.
    pub(crate) fn load_read(
        &mut self,
        path: &Path,
        read: Option<Read>,
    ) -> Result<FileId, LoadError> {
        let key = normalize(path);
        if let Some(&id) = self.by_path.get(key.as_os_str()) {
            return Ok(id);
        }
        let bytes = match read {
            Some(read) => {
                check_confined(path, read.real.as_deref())?;
                read.bytes
            }
            None => {
                // One resolution serves the confinement check and the read.
                let resolved = resolve(path, &self.dirs);
                check_confined(path, resolved.as_ref().ok().map(|r| r.real.as_path()))?;
                match overlay(path) {
                    Some(b) => capped(b)?,
                    None => read_resolved(resolved.as_ref().map_err(io_error_of)?)?,
                }
            }
        };
        let display = display_path(path, &self.cwd);
        Ok(self.insert(key, SourceFile::from_bytes(path, display, &bytes)))
    }

    /// Register text that did not come from disk (stdin, tests).
    pub fn add(&mut self, path: &Path, bytes: &[u8]) -> FileId {
        let display = display_path(path, &self.cwd);
        self.insert(
            normalize(path),
            SourceFile::from_bytes(path, display, bytes),
        )
    }

    fn insert(&mut self, key: PathBuf, file: SourceFile) -> FileId {
        let id = self.files.len();
        self.files.push(file);
        self.by_path.insert(key.into_os_string(), id);
        id
    }

    pub fn get(&self, id: FileId) -> &SourceFile {
        &self.files[id]
    }

    /// Let a registered file stand as empty text, keeping its id (the language server's
    /// second read of a file that no longer reads as it was checked).
    pub(crate) fn blank(&mut self, id: FileId) {
        let f = &self.files[id];
        self.files[id] = SourceFile::from_bytes(f.path.clone(), f.display.clone(), b"");
    }

    pub fn len(&self) -> usize {
        self.files.len()
    }

    pub fn is_empty(&self) -> bool {
        self.files.is_empty()
    }

    pub(crate) fn iter(&self) -> impl Iterator<Item = (FileId, &SourceFile)> {
        self.files.iter().enumerate()
    }

    /// Give up the files, in id order (used to merge per-worker registries).
    pub(crate) fn into_files(self) -> Vec<SourceFile> {
        self.files
    }

    /// Take over a file loaded by another registry; a file with the same path already here
    /// keeps its id.
    pub(crate) fn adopt(&mut self, file: SourceFile) -> FileId {
        let key = normalize(&file.path);
        if let Some(&id) = self.by_path.get(key.as_os_str()) {
            return id;
        }
        self.insert(key, file)
    }
}

/// A path as a hash-map key: its bytes, hashed in one go, where std's `Path` hashes it
/// component by component (about 600 instructions for a 60-byte path: 1.6% of a run went to
/// the maps of files, excerpts and configuration lookups). Only for paths spelt one way,
/// [`normalize`]d ones and their ancestors and joins with a name, where equal paths are equal
/// bytes (`tests::normalised_paths_are_equal_exactly_when_their_bytes_are`).
pub(crate) type PathKey = std::ffi::OsString;

/// Lexically normalise a path (`a/./b/../c` -> `a/c`) so the same file reached through
/// different includes gets one id without touching the file system again.
pub(crate) fn normalize(path: &Path) -> PathBuf {
    use std::path::Component;
    // Never longer than the path (a `..` above the start is kept as written): one
    // allocation, not one per component pushed.
    let mut out = PathBuf::with_capacity(path.as_os_str().len());
    for c in path.components() {
        match c {
            Component::CurDir => {}
            Component::ParentDir => {
                if !out.pop() {
                    out.push("..");
                }
            }
            other => out.push(other.as_os_str()),
        }
    }
    out
}

/// Directories of kernel pseudo-files: reading them can block forever (`/proc/kmsg`),
/// never end (`/dev/zero`), or have side effects. Refused by name, after resolving links.
const PSEUDO_FS: [&str; 3] = ["/proc", "/sys", "/dev"];

/// The pseudo file system `path` (already resolved) lies in, if any.
fn pseudo_fs(path: &Path) -> Option<&'static str> {
    PSEUDO_FS
        .into_iter()
        .find(|top| path.starts_with(Path::new(top)))
}

/// Whether `path` is something [`read_capped`] would read, without reading it: it exists,
/// is not a kernel pseudo-file, and is a regular file.
pub(crate) fn check_readable(path: &Path) -> Result<(), LoadError> {
    let r = resolve(path, &Dirs::default()).map_err(io_error)?;
    readable(&r)
}

/// Where a path really is and what it is: the one resolution of a file load, which the
/// confinement check and the read share.
#[derive(Debug)]
pub(crate) struct Resolved {
    /// The canonical path (no symbolic link, `.` or `..` left).
    real: PathBuf,
    /// What `real` is (links followed: it has none).
    meta: std::fs::Metadata,
}

/// The canonical path of each directory a run has resolved, by the directory as paths name
/// it (lexically, as written, byte for byte: `a/b/..` is its own key, resolved by the file
/// system, since `b` may be a link). Keyed by the path's bytes, hashed in one go: `Path`'s
/// own hash walks it component by component (a fifth of a file's resolution); a spelling
/// that differs only in separators is one more entry, never a wrong answer. Shared by the workers of a run; it lives as long as the run, so a
/// directory changed in the meantime is seen by the next run (the language server's next
/// check), never by a cache that outlives it.
#[derive(Debug, Default)]
pub(crate) struct Dirs {
    canonical: std::sync::Mutex<HashMap<Box<[u8]>, PathBuf>>,
    /// The working directory, canonical: a relative directory is keyed (and resolved) as
    /// its join to it, so `a/b` and `/cwd/a/b` are one entry.
    base: Option<PathBuf>,
}

impl Dirs {
    /// A memo that keys relative directories by their place under `cwd`.
    pub(crate) fn with_cwd(cwd: &Path) -> Dirs {
        Dirs {
            canonical: Default::default(),
            base: std::fs::canonicalize(cwd).ok(),
        }
    }

    /// The working directory, canonical (None when it could not be resolved).
    pub(crate) fn base(&self) -> Option<&Path> {
        self.base.as_deref()
    }

    /// Forget every directory (the run is over: the memo is not kept through the report).
    pub(crate) fn clear(&self) {
        if let Ok(mut m) = self.canonical.lock() {
            *m = HashMap::default();
        }
    }

    fn get(&self, dir: &Path) -> Option<PathBuf> {
        self.canonical
            .lock()
            .ok()?
            .get(dir.as_os_str().as_encoded_bytes())
            .cloned()
    }

    fn put(&self, dir: &Path, canonical: &Path) {
        if let Ok(mut m) = self.canonical.lock() {
            m.insert(
                dir.as_os_str().as_encoded_bytes().into(),
                canonical.to_path_buf(),
            );
        }
    }

    /// The canonical path of directory `dir`: from the memo, else its parent's (resolved the
    /// same way, up to the nearest known ancestor) joined with its name, checked with one
    /// `lstat` (a link is resolved in full). A name that is `.` or `..`, a root or the empty
    /// path is resolved in full by the system (`realpath`).
    fn canonical(&self, dir: &Path) -> std::io::Result<PathBuf> {
        let joined;
        let dir = leading_cur_dirs_stripped(dir);
        let dir = match &self.base {
            Some(base) if dir.is_relative() => {
                joined = if dir.as_os_str().is_empty() {
                    base.clone()
                } else {
                    join(base, dir)
                };
                joined.as_path()
            }
            _ => dir,
        };
        let dir = without_cur_dirs(dir);
        let mut pending: Vec<&Path> = Vec::new();
        let mut at = non_empty(&dir);
        let mut base = loop {
            if let Some(known) = self.get(at) {
                break known;
            }
            match split_last(at) {
                Some((parent, _)) => {
                    pending.push(at);
                    at = non_empty(parent);
                }
                None => {
                    let c = std::fs::canonicalize(at)?;
                    self.put(at, &c);
                    break c;
                }
            }
        };
        for d in pending.into_iter().rev() {
            let Some((_, name)) = split_last(d) else {
                continue;
            };
            base = follow(join(&base, name))?.0;
            self.put(d, &base);
        }
        Ok(base)
    }
}

/// A relative path without its leading `.` (the walk's spelling from `.`: stripped before
/// the join, the common case costs no second copy in [`without_cur_dirs`]).
fn leading_cur_dirs_stripped(dir: &Path) -> &Path {
    if !dir.as_os_str().as_encoded_bytes().starts_with(b".") {
        return dir;
    }
    // `components` yields one `.` at most, and only first.
    let mut components = dir.components();
    match components.next() {
        Some(std::path::Component::CurDir) => components.as_path(),
        _ => dir,
    }
}

/// `dir` without its `.` components (`a/./b` is `a/b`, whatever links lie on the way): the
/// walk from `.` spells a directory `./a/b`, the configuration lookup `/cwd/a/b`; one key,
/// resolved once (each directory of a tree was `lstat`'ed once per spelling).
fn without_cur_dirs(dir: &Path) -> std::borrow::Cow<'_, Path> {
    let bytes = dir.as_os_str().as_encoded_bytes();
    let dotted = bytes.starts_with(b"./")
        || bytes.ends_with(b"/.")
        || memchr::memmem::find(bytes, b"/./").is_some();
    if !dotted {
        return std::borrow::Cow::Borrowed(dir);
    }
    std::borrow::Cow::Owned(
        dir.components()
            .filter(|c| *c != std::path::Component::CurDir)
            .collect(),
    )
}

/// `.` for the empty path (a relative path's parent).
fn non_empty(p: &Path) -> &Path {
    if p.as_os_str().is_empty() {
        Path::new(".")
    } else {
        p
    }
}

/// A path's parent and last name, when the last component is a plain name (not `.`, `..`
/// or a root).
/// `base.join(name)` in one allocation of the size it needs: `Path::join` copies `base`
/// exactly, then grows the copy (a reallocation, and a copy) to add `name`. Every file of a
/// run is joined a few times (its resolution, configuration probes, sibling lockfiles).
pub(crate) fn join(base: &Path, name: impl AsRef<Path>) -> PathBuf {
    let name = name.as_ref();
    let mut joined = PathBuf::with_capacity(base.as_os_str().len() + 1 + name.as_os_str().len());
    joined.push(base);
    joined.push(name);
    joined
}

fn split_last(p: &Path) -> Option<(&Path, &std::ffi::OsStr)> {
    let mut components = p.components();
    match components.next_back()? {
        std::path::Component::Normal(name) => Some((components.as_path(), name)),
        _ => None,
    }
}

/// `joined` (a canonical directory and a name) resolved: itself when it is not a link (one
/// `lstat`, which also says what it is), else resolved in full. With what it is.
fn follow(joined: PathBuf) -> std::io::Result<(PathBuf, std::fs::Metadata)> {
    let meta = std::fs::symlink_metadata(&joined)?;
    if !meta.file_type().is_symlink() {
        return Ok((joined, meta));
    }
    let real = std::fs::canonicalize(&joined)?;
    let meta = std::fs::metadata(&real)?;
    Ok((real, meta))
}

/// Resolve a file's path: its directory through `dirs`, then its last name (one `lstat`;
/// a link is resolved in full). The same answer as `realpath` and `stat`, with a system
/// call per file instead of a `readlink` per component, twice.
pub(crate) fn resolve(path: &Path, dirs: &Dirs) -> std::io::Result<Resolved> {
    let (real, meta) = match split_last(path) {
        Some((dir, name)) => follow(join(&dirs.canonical(dir)?, name))?,
        None => {
            let real = std::fs::canonicalize(path)?;
            let meta = std::fs::metadata(&real)?;
            (real, meta)
        }
    };
    counts::add(&counts::RESOLUTIONS);
    Ok(Resolved { real, meta })
}

/// Refuse what must not be opened, by the resolved name and type: kernel pseudo-files,
/// directories, anything but a regular file.
fn readable(r: &Resolved) -> Result<(), LoadError> {
    if let Some(top) = pseudo_fs(&r.real) {
        return Err(LoadError::PseudoFile(r.real.clone(), top));
    }
    if r.meta.is_dir() {
        return Err(LoadError::Directory);
    }
    if !r.meta.is_file() {
        return Err(LoadError::NotRegular);
    }
    Ok(())
}

/// Open a resolved path for reading the safe way: refused under `/proc` `/sys` `/dev` and
/// when not a regular file, opened without blocking (the resolved path, so the name check
/// and the open agree).
fn open_nonblocking(r: &Resolved) -> Result<std::fs::File, LoadError> {
    readable(r)?;
    let mut options = std::fs::OpenOptions::new();
    options.read(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.custom_flags(libc::O_NONBLOCK | libc::O_NOCTTY | libc::O_CLOEXEC);
    }
    counts::add(&counts::OPENS);
    options.open(&r.real).map_err(io_error)
}

/// Read a regular file, refusing anything else and anything over [`MAX_FILE_SIZE`]. The
/// read never waits on anything but the disk: pseudo-files are refused by name, the file
/// is opened without blocking, its type is checked on the open descriptor (the path may
/// have been swapped since), and a read that would block is "not a regular file".
pub(crate) fn read_capped(path: &Path) -> Result<Vec<u8>, LoadError> {
    read_capped_in(path, &Dirs::default())
}

/// A file read ahead of its load ([`Files::load_read`]): its bytes, and where its path
/// resolved when they were read (the load's confinement check uses it; `None` for an
/// editor buffer over a file that does not exist, which the check lets through as before).
#[derive(Debug)]
pub(crate) struct Read {
    pub bytes: Vec<u8>,
    real: Option<PathBuf>,
}

/// [`read_capped`] through a run's memo of directories, keeping where the path resolved.
pub(crate) fn read_kept(path: &Path, dirs: &Dirs) -> Result<Read, LoadError> {
    let resolved = resolve(path, dirs);
    let bytes = match overlay(path) {
        Some(bytes) => capped(bytes)?,
        None => read_resolved(resolved.as_ref().map_err(io_error_of)?)?,
    };
    Ok(Read {
        bytes,
        real: resolved.ok().map(|r| r.real),
    })
}

/// [`read_capped`], resolving directories through a run's memo.
pub(crate) fn read_capped_in(path: &Path, dirs: &Dirs) -> Result<Vec<u8>, LoadError> {
    if let Some(bytes) = overlay(path) {
        return capped(bytes);
    }
    read_resolved(&resolve(path, dirs).map_err(io_error)?)
}

/// An editor buffer, refused over [`MAX_FILE_SIZE`] as a file would be.
fn capped(bytes: Vec<u8>) -> Result<Vec<u8>, LoadError> {
    if bytes.len() as u64 > MAX_FILE_SIZE {
        return Err(LoadError::TooLarge);
    }
    Ok(bytes)
}

/// [`read_capped`] of a resolved path. Checked by path first, so that a FIFO or device is
/// never even opened.
fn read_resolved(r: &Resolved) -> Result<Vec<u8>, LoadError> {
    let file = open_nonblocking(r)?;
    read_open(file)
}

/// The first `limit` bytes (or fewer) of a file, with [`read_capped`]'s safety: pseudo-files
/// refused by name, opened without blocking, the type checked on the descriptor. For callers
/// that only look at a header (pip-compile's `# via` banner): a file of any size costs at most
/// `limit` bytes, and one over [`MAX_FILE_SIZE`] is not an error here.
pub fn read_head(path: &Path, limit: usize) -> Result<Vec<u8>, LoadError> {
    if let Some(mut bytes) = overlay(path) {
        bytes.truncate(limit);
        return Ok(bytes);
    }
    let file = open_nonblocking(&resolve(path, &Dirs::default()).map_err(io_error)?)?;
    let meta = file.metadata().map_err(io_error)?;
    if meta.is_dir() {
        return Err(LoadError::Directory);
    }
    if !meta.is_file() {
        return Err(LoadError::NotRegular);
    }
    let mut bytes = Vec::with_capacity(limit.min(meta.len() as usize));
    match file.take(limit as u64).read_to_end(&mut bytes) {
        Ok(_) => Ok(bytes),
        Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => Err(LoadError::NotRegular),
        Err(e) => Err(io_error(e)),
    }
}

/// The second half of [`read_capped`]: type, size and a capped, non-blocking read of an
/// open file.
fn read_open(file: std::fs::File) -> Result<Vec<u8>, LoadError> {
    let meta = file.metadata().map_err(io_error)?;
    if meta.is_dir() {
        return Err(LoadError::Directory);
    }
    if !meta.is_file() {
        return Err(LoadError::NotRegular);
    }
    if meta.len() > MAX_FILE_SIZE {
        return Err(LoadError::TooLarge);
    }
    read_bounded(file, meta.len())
}

fn read_bounded(file: std::fs::File, len: u64) -> Result<Vec<u8>, LoadError> {
    let mut bytes = Vec::with_capacity(len.min(MAX_FILE_SIZE) as usize);
    // The file may grow between stat and read: cap the read itself too.
    match file.take(MAX_FILE_SIZE + 1).read_to_end(&mut bytes) {
        Ok(_) => {}
        // A regular file on disk never says "would block"; a pseudo-file that looks
        // regular does (and without O_NONBLOCK would hang here).
        Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => return Err(LoadError::NotRegular),
        Err(e) => return Err(io_error(e)),
    }
    if bytes.len() as u64 > MAX_FILE_SIZE {
        return Err(LoadError::TooLarge);
    }
    Ok(bytes)
}

fn io_error(e: std::io::Error) -> LoadError {
    io_error_of(&e)
}

fn io_error_of(e: &std::io::Error) -> LoadError {
    match e.kind() {
        std::io::ErrorKind::NotFound => LoadError::NotFound,
        _ => LoadError::Io(e.to_string()),
    }
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;

    /// A directory spelt with `.` components (`./a/b`, as a walk from `.` names it) is the
    /// directory spelt without them (as the configuration lookup names it): one memo entry,
    /// resolved once.
    #[test]
    fn a_directory_spelt_with_dots_is_resolved_once() {
        let tmp = std::env::temp_dir().join(format!("depwindow-dirs-{}", std::process::id()));
        std::fs::create_dir_all(tmp.join("a/b")).unwrap();
        let base = std::fs::canonicalize(&tmp).unwrap();
        let dirs = Dirs::with_cwd(&base);
        let real = dirs.canonical(&base.join("a/b")).unwrap();
        let entries = || dirs.canonical.lock().unwrap().len();
        let known = entries();
        for spelt in ["./a/b", "a/./b", "./a/./b/.", "a/b"] {
            assert_eq!(dirs.canonical(Path::new(spelt)).unwrap(), real, "{spelt}");
            assert_eq!(entries(), known, "{spelt} resolved again");
        }
        // The working directory itself, as `.` names it.
        for spelt in [".", "./", "./."] {
            assert_eq!(dirs.canonical(Path::new(spelt)).unwrap(), base, "{spelt}");
            assert_eq!(entries(), known, "{spelt} resolved again");
        }
        std::fs::remove_dir_all(&tmp).unwrap();
    }

    /// [`super::join`] is `Path::join`, in one allocation: its result never grew past the
    /// size asked for up front (`Path::join` doubles the copy of `base` to add the name).
    #[test]
    fn join_is_path_join_without_growing() {
        use std::path::Path;
        let cases = [
            ("/a/b", "c"),
            ("a/", "b"),
            ("", "x"),
            ("/a", "/abs"),
            ("a", ""),
            (".", ".."),
            ("/srv/team01/project-42", "pyproject.toml"),
        ];
        for (base, name) in cases {
            let ours = super::join(Path::new(base), name);
            assert_eq!(ours, Path::new(base).join(name), "{base:?} {name:?}");
            assert!(
                ours.capacity() <= base.len() + 1 + name.len(),
                "{base:?} {name:?}: capacity {}",
                ours.capacity()
            );
        }
    }

    /// The premise of [`PathKey`]: normalised paths, their ancestors and their joins with a
    /// name are equal as paths exactly when their bytes are equal, however they were spelt.
    #[test]
    fn normalised_paths_are_equal_exactly_when_their_bytes_are() {
        let spellings = [
            "/w/a/b",
            "/w/a/b/",
            "/w//a/b",
            "/w/./a/b",
            "/w/a/./b/",
            "/w/a/c/../b",
            "//w/a/b",
            "/w/a",
            "/w/a/",
            "/w/a/b/c",
            "a/b",
            "./a/b",
            "a//b/",
            "a/b/.",
            "../a/b",
            "a/../../a/b",
            "",
            ".",
            "/",
            "//",
            "/..",
        ];
        let mut keys: Vec<PathBuf> = Vec::new();
        for s in spellings {
            let n = normalize(std::path::Path::new(s));
            keys.push(join(&n, "pyproject.toml"));
            keys.extend(n.ancestors().map(std::path::Path::to_path_buf));
        }
        for a in &keys {
            for b in &keys {
                let bytes = a.as_os_str() == b.as_os_str();
                assert_eq!(a == b, bytes, "{a:?} {b:?}");
            }
        }
        let n = |s: &str| normalize(std::path::Path::new(s)).into_os_string();
        assert_eq!(n("/w/./a//b/"), n("/w/a/b"));
        assert_eq!(n("a/c/../b"), n("a/b"));
    }

    #[test]
    fn a_read_that_would_block_is_not_a_regular_file() {
        // An empty socket with its peer open: a blocking read would wait forever.
        let (a, _peer) = std::os::unix::net::UnixStream::pair().unwrap();
        a.set_nonblocking(true).unwrap();
        let file = std::fs::File::from(std::os::fd::OwnedFd::from(a));
        assert!(matches!(read_bounded(file, 0), Err(LoadError::NotRegular)));
    }

    #[test]
    fn a_head_read_stops_at_its_limit() {
        let path = std::env::temp_dir().join(format!("dw-head-{}", std::process::id()));
        let f = std::fs::File::create(&path).unwrap();
        std::io::Write::write_all(&mut &f, b"# header\n").unwrap();
        // Sparse, over the cap: a whole read is refused, the head is its first bytes.
        f.set_len(MAX_FILE_SIZE + 1).unwrap();
        assert!(matches!(read_capped(&path), Err(LoadError::TooLarge)));
        let head = read_head(&path, 4096).unwrap();
        assert_eq!(head.len(), 4096);
        assert!(head.starts_with(b"# header\n"));
        assert_eq!(read_head(&path, 3).unwrap(), b"# h");
        let _ = std::fs::remove_file(&path);
        assert!(matches!(
            read_head(Path::new("/proc/self/status"), 10),
            Err(LoadError::PseudoFile(..))
        ));
    }

    #[test]
    fn pseudo_files_are_refused_by_name() {
        for p in [
            "/proc/kmsg",
            "/proc/self/status",
            "/dev/zero",
            "/sys/kernel",
        ] {
            if Path::new(p).exists() {
                let e = read_capped(Path::new(p)).unwrap_err();
                assert!(matches!(e, LoadError::PseudoFile(..)), "{p}: {e}");
            }
        }
        assert_eq!(pseudo_fs(Path::new("/procedure/x")), None);
    }

    /// The one resolution (memoised directories, the last name by `lstat`) agrees with
    /// `realpath` and `stat` through linked directories, `..` after a link, a linked file,
    /// `.` and relative paths, and says "not found" where `realpath` fails.
    #[test]
    fn resolution_agrees_with_realpath() {
        let dir = std::env::temp_dir().join(format!("dw-resolve-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(dir.join("real/sub")).unwrap();
        std::fs::create_dir_all(dir.join("other")).unwrap();
        std::fs::write(dir.join("real/sub/f.txt"), "x").unwrap();
        std::fs::write(dir.join("real/g.txt"), "x").unwrap();
        std::fs::write(dir.join("other/g.txt"), "x").unwrap();
        let link = |to: &str, at: &str| std::os::unix::fs::symlink(dir.join(to), dir.join(at));
        link("real/sub", "other/linked").unwrap();
        link("real/sub/f.txt", "other/f-link.txt").unwrap();
        link("nowhere", "other/dangling.txt").unwrap();
        let cases = [
            "real/sub/f.txt",
            "other/linked/f.txt",
            // `..` after a linked directory is the link target's parent, not `other`.
            "other/linked/../g.txt",
            "other/./linked/./f.txt",
            "other/f-link.txt",
            "other/g.txt",
            "real/sub",
            "real/sub/..",
        ];
        let (plain, based) = (Dirs::default(), Dirs::with_cwd(&dir));
        for dirs in [&plain, &plain, &based, &based] {
            for case in cases {
                let path = dir.join(case);
                let r = resolve(&path, dirs).unwrap_or_else(|e| panic!("{case}: {e}"));
                assert_eq!(r.real, std::fs::canonicalize(&path).unwrap(), "{case}");
                let meta = std::fs::metadata(&path).unwrap();
                assert_eq!(r.meta.is_file(), meta.is_file(), "{case}");
                assert_eq!(r.meta.is_dir(), meta.is_dir(), "{case}");
            }
        }
        for missing in [
            "other/dangling.txt",
            "real/none.txt",
            "none/f.txt",
            "real/g.txt/x",
        ] {
            let path = dir.join(missing);
            let want = std::fs::canonicalize(&path).unwrap_err().kind();
            let got = resolve(&path, &plain).unwrap_err().kind();
            assert_eq!(got, want, "{missing}");
        }
        // Relative paths resolve against the working directory.
        let cwd = std::env::current_dir().unwrap();
        let r = resolve(Path::new("Cargo.toml"), &plain).unwrap();
        assert_eq!(
            r.real,
            std::fs::canonicalize(cwd.join("Cargo.toml")).unwrap()
        );
        // With a base, relative paths resolve under it.
        let r = resolve(Path::new("other/linked/../g.txt"), &based).unwrap();
        assert_eq!(
            r.real,
            std::fs::canonicalize(dir.join("real/g.txt")).unwrap()
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn confinement_refuses_paths_resolving_outside() {
        let dir = std::env::temp_dir().join(format!("dw-confine-{}", std::process::id()));
        let inner = dir.join("project");
        std::fs::create_dir_all(&inner).unwrap();
        std::fs::write(dir.join("secret.txt"), "x").unwrap();
        std::fs::write(inner.join("ok.txt"), "x").unwrap();
        let _ = std::fs::remove_file(inner.join("link.txt"));
        std::os::unix::fs::symlink(dir.join("secret.txt"), inner.join("link.txt")).unwrap();
        let root = std::fs::canonicalize(&inner).unwrap();
        let c = Confinement {
            roots: vec![root.clone()],
            allowed: vec![],
        };
        assert!(c.check(&inner.join("ok.txt")).is_ok());
        match c.check(&inner.join("link.txt")) {
            Err(LoadError::Outside(o)) => assert!(o.link),
            other => panic!("{other:?}"),
        }
        match c.check(&inner.join("../secret.txt")) {
            Err(LoadError::Outside(o)) => assert!(!o.link, "{o:?}"),
            other => panic!("{other:?}"),
        }
        let allowed = Confinement {
            roots: vec![root],
            allowed: vec![std::fs::canonicalize(&dir).unwrap()],
        };
        assert!(allowed.check(&inner.join("link.txt")).is_ok());
        let _ = std::fs::remove_dir_all(&dir);
    }
}
