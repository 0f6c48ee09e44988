//! The pipeline driver: candidates in, merged and sorted diagnostics out. Files are checked
//! in parallel (bounded by the core count), each worker with its own file registry. Once a
//! root is evaluated, its texts are dropped: the report keeps an [`Excerpt`] of each file a
//! finding or suppression points into (the lines around those spans, with their positions),
//! so memory grows with the findings, not with the tree.

use std::collections::{BTreeMap, HashMap};

use crate::hash::HashSet;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use crate::check::{self, Options, SiblingLock};
use crate::diagnostic::{Check, Diagnostic, Severity};
use crate::discover::Candidate;
use crate::files::Files;
use crate::formats::{self, Format};
use crate::manifest::{FileId, Loc, Role};
use crate::rules::Rule;
use crate::source::{Excerpt, Excerpts, Span};
use crate::suppress::{self, Suppression, Usage};

#[derive(Clone, Debug, Default)]
pub(crate) struct RunOptions {
    pub pythons: Option<Vec<String>>,
    /// Restrict the operating systems (`--platform`, config `platforms`).
    pub platforms: Option<Vec<String>>,
    /// Extra constraint files applied to every unit (`--constraint`, config `constraints`).
    pub constraints: Vec<PathBuf>,
    /// The packages the rules read, which readers build in full (`formats::Relevant`).
    pub relevant: Arc<formats::Relevant>,
}

/// The outcome of a run: every diagnostic, with excerpts of the files they point into.
pub(crate) struct Outcome {
    pub files: Excerpts,
    pub diagnostics: Vec<Diagnostic>,
    pub checked: usize,
    /// Files to check that could not be read at all (an I/O error: exit code 2).
    pub unreadable: usize,
}

/// Check one file (and what it includes) in a fresh registry. The flag says the file
/// itself could not be read.
pub(crate) fn check_one(
    cwd: &Path,
    candidate: &Candidate,
    stdin: Option<&[u8]>,
    read: Option<crate::files::Read>,
    rules: &[Rule],
    opts: &RunOptions,
    locks: &Locks,
) -> (Files, Vec<Diagnostic>, bool) {
    let mut files = Files::new(cwd.to_path_buf());
    files.set_relevant(opts.relevant.clone());
    files.share_dirs(locks.dirs.clone());
    let id = match stdin {
        Some(bytes) => files.add(&candidate.path, bytes),
        None => match files.load_read(&candidate.path, read) {
            Ok(id) => id,
            Err(
                e @ (crate::files::LoadError::Outside(_) | crate::files::LoadError::PseudoFile(..)),
            ) if !candidate.explicit => {
                // A walked link leading out of the project (to `/etc/shadow`, `/proc/kmsg`):
                // refused by design, not an I/O error (`files::Confinement`).
                let id = files.add(&candidate.path, b"");
                let d = Diagnostic::problem(
                    Check::IncludeError,
                    Severity::Error,
                    Loc {
                        file: id,
                        span: Span::default(),
                    },
                    format!("cannot read `{}`: {e}", candidate.path.display()),
                );
                return (files, vec![d], false);
            }
            Err(e) => {
                let id = files.add(&candidate.path, b"");
                // Every way a root cannot be read is the same finding (and exit code 2).
                let d = Diagnostic::problem(
                    Check::ParseError,
                    Severity::Error,
                    Loc {
                        file: id,
                        span: Span::default(),
                    },
                    format!("cannot read `{}`: {e}", candidate.path.display()),
                );
                return (files, vec![d], true);
            }
        },
    };
    let at_start = Loc {
        file: id,
        span: Span::default(),
    };
    if is_binary(&files.get(id).text) {
        let d = Diagnostic::problem(
            Check::ParseError,
            Severity::Error,
            at_start,
            "not a text file (it holds NUL bytes); not checked".into(),
        );
        return (files, vec![d], false);
    }
    let mut notes = Vec::new();
    let format = if candidate.sniff {
        match formats::sniff(&files.get(id).text) {
            formats::Sniffed::Format(f) => f,
            formats::Sniffed::Requirements => candidate.format,
            formats::Sniffed::Ambiguous => {
                notes.push(Diagnostic::problem(
                    Check::ParseError,
                    Severity::Info,
                    at_start,
                    "neither the name nor the content says which format this file is; read \
                     as a requirements file (`--input-format` names its format)"
                        .into(),
                ));
                candidate.format
            }
        }
    } else {
        candidate.format
    };
    let mut parsed = formats::parse(format, &mut files, id);
    if stdin.is_none() && !candidate.sniff {
        locks.publish(&candidate.path, format, &files, &parsed, id);
    }
    if let Err(d) = add_global_constraints(&mut parsed, &mut files, id, &opts.constraints) {
        return (files, vec![*d], false);
    }
    let check_opts = Options {
        pythons: opts.pythons.clone(),
        platforms: opts.platforms.clone(),
        conda: format.imp().conda_names(),
        sibling_lock: if stdin.is_some() {
            None
        } else {
            locks.sibling(cwd, &candidate.path, format)
        },
        source: check::Source::File,
    };
    let mut diags = check::check_parsed(&files, &parsed, rules, &check_opts);
    diags.extend(notes);
    if format == Format::Requirements && stdin.is_none() {
        // pip-compile / uv output: the fix belongs in the source (`generated.rs`).
        crate::generated::annotate(&mut files, id, rules, &mut diags);
    }
    (files, diags, false)
}

/// Add the global constraint files to a parsed file: every package they pin restricts
/// every unit, as pip's `PIP_CONSTRAINT`, and their `--pre` and hash-checking mode reach
/// its requirements ([`apply_pip_options`]). Both the check and the resolver's requests
/// (`resolve::run`) read a file through here, so the two judge the same units. A
/// constraint file that cannot be read is the finding returned, on the file (`id`).
pub(crate) fn add_global_constraints(
    parsed: &mut crate::manifest::Parsed,
    files: &mut Files,
    id: FileId,
    constraints: &[PathBuf],
) -> Result<(), Box<Diagnostic>> {
    let (mut pre, mut hashed) = (false, false);
    for c in constraints {
        let cid = files.load(c).map_err(|e| {
            Box::new(Diagnostic::problem(
                Check::IncludeError,
                Severity::Error,
                Loc {
                    file: id,
                    span: Span::default(),
                },
                format!("cannot read constraint file `{}`: {e}", c.display()),
            ))
        })?;
        let mut extra = formats::parse(Format::Requirements, files, cid);
        pre |= extra.pre;
        hashed |= extra.hashed;
        let base = parsed.requirements.len();
        for r in &mut extra.requirements {
            r.role = Role::Constrain;
        }
        let n = extra.requirements.len();
        parsed.requirements.extend(extra.requirements);
        // A unit that adds to a base has them through it (`Group::base`).
        for g in parsed.groups.iter_mut().filter(|g| g.base.is_none()) {
            g.members.extend(base..base + n);
        }
        parsed.problems.extend(extra.problems);
        let every: Vec<usize> = (0..parsed.groups.len())
            .filter(|&g| parsed.groups[g].base.is_none())
            .collect();
        parsed.unparsed.extend(
            extra
                .unparsed
                .into_iter()
                .map(|u| crate::manifest::Unparsed {
                    groups: every.clone(),
                    ..u
                }),
        );
    }
    apply_pip_options(parsed, pre, hashed);
    Ok(())
}

/// The `--pre` and hash-checking mode that the global constraint files switch on. pip reads
/// a constraints file's options with the install's finder and options
/// (`handle_option_line`), and a `--hash` on a constraint line turns hash-checking on for
/// the whole install (`get_requirements` checks every requirement and constraint for hash
/// options). They reach every requirement pip reads, whichever constraint file came first:
/// PEP 508 requirements, not Poetry's, Pipfile's or lock pins, whose tools never read pip's
/// options.
fn apply_pip_options(parsed: &mut crate::manifest::Parsed, pre: bool, hashed: bool) {
    if !pre && !hashed {
        return;
    }
    for r in &mut parsed.requirements {
        if r.syntax == crate::manifest::Syntax::Pep508 && r.role != Role::Locked {
            r.pre |= pre;
            r.hashed |= hashed;
        }
    }
}

/// Whether decoded text is binary, as git decides it (`buffer_is_binary`): a NUL byte in
/// its first 8000 bytes. (A UTF-16 file with a BOM was decoded already; one without
/// reads as binary here, as in git.) Found with `memchr`: a byte-by-byte scan was 5% of a
/// run's instructions.
fn is_binary(text: &str) -> bool {
    let head = &text.as_bytes()[..text.len().min(8000)];
    memchr::memchr(0, head).is_some()
}

/// Lockfiles read as siblings during one run: each is read and parsed once, however many
/// declarations it pairs with. A lockfile that is also a root of the run is read by the
/// root's check alone, which hands its pins over ([`Locks::publish`]): the declaration's
/// worker checks that root first when no worker has taken it ([`Locks::queued_for`]), and
/// waits for it when one has. Two readings of a lockfile never overlap (a 6.8 MB uv.lock
/// held twice was the peak of its run).
#[derive(Default)]
pub(crate) struct Locks {
    slots: Mutex<crate::hash::HashMap<LockKey, Slot>>,
    /// The directories of this run's declaration roots that name lockfiles of
    /// [`shares_pins`]: a lockfile root keeps its pins only beside one (no pins held for
    /// `check uv.lock`). Kept as hashes, 8 bytes a declaration (the keys of its four
    /// lockfiles were 0.8 MB on a tree of 2,000 projects): two directories of one hash only
    /// keep pins that no lookup asks for.
    declared: Mutex<HashSet<u64>>,
    /// Discovery still finds roots ([`run_streamed`]): a declaration may be enrolled later.
    pub(crate) walking: std::sync::atomic::AtomicBool,
    /// Signalled when a lockfile's reading ends.
    read: std::sync::Condvar,
    /// The names in each directory a declaration lies in, listed once per run (by the
    /// walk, or here for a directory it did not list): a lockfile name absent from the
    /// listing is not probed (a pyproject.toml names four lockfiles, and most projects
    /// have none of them).
    pub(crate) listed: Listings,
    /// The canonical directories of this run, shared by every worker's registry
    /// (`files::Dirs`: each directory resolved once per run).
    pub(crate) dirs: Arc<crate::files::Dirs>,
}

/// A lockfile by its path as written (as the declaration's `lockfiles` and the walk spell
/// it, so the display path is the same) and the format it is read in.
type LockKey = (PathBuf, Format);

/// What a run knows of one lockfile.
#[derive(Default)]
struct Slot {
    /// The root of this run that checks it (its index), and whether a worker took it.
    root: Option<(usize, bool)>,
    /// Someone reads it now (a root's check or a sibling lookup): wait for the pins.
    reading: bool,
    /// Its pins once read: `Some(None)` when it pins nothing.
    pins: Option<Option<SiblingLock>>,
}

/// How a worker takes a root ([`Locks::take`]).
pub(crate) enum Take<'a> {
    /// Not a lockfile another file may pair with: checked as any root.
    Plain,
    /// A lockfile root, now this worker's to read (dropped, the reading ends).
    Claimed { _reading: Reading<'a> },
    /// Checked already, by a declaration's worker.
    Gone,
}

/// A lockfile being read; dropped (also on a panic), its waiters go on.
pub(crate) struct Reading<'a> {
    locks: &'a Locks,
    key: LockKey,
}

impl Drop for Reading<'_> {
    fn drop(&mut self) {
        if let Ok(mut slots) = self.locks.slots.lock() {
            if let Some(slot) = slots.get_mut(&self.key) {
                slot.reading = false;
            }
        }
        self.locks.read.notify_all();
    }
}

/// The lockfile formats whose pins a root's check can hand to a sibling lookup: their
/// readers build every package in full whatever the rules read (`formats::Relevant`), as
/// the lookup's own reading does; a requirements file's reader does not.
fn shares_pins(format: Format) -> bool {
    matches!(
        format,
        Format::PoetryLock
            | Format::UvLock
            | Format::PdmLock
            | Format::Pylock
            | Format::PipfileLock
    )
}

/// The declaration formats whose `lockfiles` are of [`shares_pins`] (checked against
/// `lockfiles` by a test).
fn names_shared_locks(format: Format) -> bool {
    matches!(format, Format::Pyproject | Format::Pipfile)
}

/// The declarations that name a lockfile of [`shares_pins`] (`lockfiles`), folded: while
/// the walk goes on, a lockfile root beside one keeps its pins for the declaration the walk
/// has not reached yet (`poetry.lock` sorts before `pyproject.toml`).
const DECLARATIONS: [&str; 2] = ["pyproject.toml", "pipfile"];

/// The hash of the directory `path` lies in ([`Locks::declared`]).
fn dir_hash(path: &Path) -> u64 {
    use std::hash::{Hash, Hasher};
    let mut h = std::collections::hash_map::DefaultHasher::new();
    path.parent().unwrap_or(Path::new("")).hash(&mut h);
    h.finish()
}

/// The slot a root job reads, when its pins can serve a sibling lookup: a file read from
/// disk in the format its name says.
fn lock_key(job: &Job) -> Option<LockKey> {
    let c = &job.candidate;
    (job.stdin.is_none() && !c.sniff && shares_pins(c.format)).then(|| (c.path.clone(), c.format))
}

impl Locks {
    /// Root `i` of the run: a lockfile root gets its slot, before any worker can take it;
    /// a declaration says which lockfiles it pairs with.
    pub(crate) fn enrol(&self, job: &Job, i: usize) {
        match lock_key(job) {
            Some(key) => {
                if let Ok(mut slots) = self.slots.lock() {
                    let slot = slots.entry(key).or_default();
                    // The same path twice: the first root shares, the second is checked as
                    // any root.
                    if slot.root.is_none() {
                        slot.root = Some((i, false));
                    }
                }
            }
            None if job.stdin.is_none() && names_shared_locks(job.candidate.format) => {
                if let Ok(mut declared) = self.declared.lock() {
                    declared.insert(dir_hash(&job.candidate.path));
                }
            }
            None => {}
        }
    }

    /// The lockfile roots no worker has taken that declaration `job` may pair with: its
    /// worker checks them first, so that their pins are read once, by their root.
    pub(crate) fn queued_for(&self, job: &Job) -> Vec<usize> {
        if job.stdin.is_some() {
            return Vec::new();
        }
        let Ok(slots) = self.slots.lock() else {
            return Vec::new();
        };
        // Most runs read no lockfile as a root: nothing to name.
        if slots.is_empty() {
            return Vec::new();
        }
        let c = &job.candidate;
        c.format
            .imp()
            .lockfiles(&c.path)
            .into_iter()
            .filter_map(|key| match slots.get(&key)?.root {
                Some((i, false)) => Some(i),
                _ => None,
            })
            .collect()
    }

    /// Take root `i` to check it: a lockfile root waits for a sibling lookup reading the
    /// same file, so that the two readings do not overlap.
    pub(crate) fn take(&self, job: &Job, i: usize) -> Take<'_> {
        let Some(key) = lock_key(job) else {
            return Take::Plain;
        };
        let Ok(mut slots) = self.slots.lock() else {
            return Take::Plain;
        };
        match slots.get_mut(&key).and_then(|s| s.root) {
            Some((j, false)) if j == i => {}
            Some((j, true)) if j == i => return Take::Gone,
            _ => return Take::Plain,
        }
        loop {
            let Some(slot) = slots.get_mut(&key) else {
                return Take::Plain;
            };
            slot.root = Some((i, true));
            if !slot.reading {
                slot.reading = true;
                return Take::Claimed {
                    _reading: Reading { locks: self, key },
                };
            }
            slots = match self.read.wait(slots) {
                Ok(s) => s,
                Err(_) => return Take::Plain,
            };
        }
    }

    /// A root's check read lockfile `path`: its pins, for the sibling lookups of this run
    /// (kept only when a declaration wants them, [`Locks::wanted`]).
    pub(crate) fn publish(
        &self,
        path: &Path,
        format: Format,
        files: &Files,
        parsed: &crate::manifest::Parsed,
        id: FileId,
    ) {
        if !shares_pins(format) {
            return;
        }
        let key = (path.to_path_buf(), format);
        let unread = self
            .slots
            .lock()
            .is_ok_and(|s| s.get(&key).is_some_and(|s| s.pins.is_none()));
        if !unread || !self.wanted(&key) {
            return;
        }
        let pins = sibling_lock(format, files, parsed, id);
        if let Ok(mut slots) = self.slots.lock() {
            if let Some(slot) = slots.get_mut(&key) {
                slot.pins.get_or_insert(pins);
            }
        }
    }

    /// Whether a declaration root of this run lies beside lockfile `key`, or, while the walk
    /// goes on, may (one lies beside it, or its directory cannot be listed).
    fn wanted(&self, key: &LockKey) -> bool {
        if self
            .declared
            .lock()
            .is_ok_and(|d| d.contains(&dir_hash(&key.0)))
        {
            return true;
        }
        if !self.walking.load(Ordering::Relaxed) {
            return false;
        }
        match self.names(key.0.parent().unwrap_or(Path::new(""))) {
            Some(names) => DECLARATIONS.iter().any(|d| names.may_hold(d.as_bytes())),
            None => true,
        }
    }

    /// The lockfile that belongs to a declaration: the first of the candidates its format
    /// names ([`formats::InputFormat::lockfiles`]) that exists and pins something.
    pub(crate) fn sibling(&self, cwd: &Path, path: &Path, format: Format) -> Option<SiblingLock> {
        let candidates = format.imp().lockfiles(path);
        if candidates.is_empty() {
            return None;
        }
        let names = self.names(path.parent().unwrap_or(Path::new("")));
        candidates.into_iter().find_map(|(lock, lock_format)| {
            // Only a name the listing lacks is skipped; one it has is still checked to be
            // a file by `read_lock`, exactly as before.
            let listed = match (&names, lock.file_name()) {
                (Some(names), Some(name)) => names.may_hold(name.as_encoded_bytes()),
                _ => true,
            };
            if !listed {
                return None;
            }
            self.pins(cwd, &lock, lock_format)
        })
    }

    /// The entries of `dir` ([`Listings`]), listed here when the walk did not list it.
    fn names(&self, dir: &Path) -> Option<Names> {
        if let Some(known) = self.listed.get(dir) {
            return known;
        }
        crate::files::counts::add(&crate::files::counts::LISTINGS);
        let listing = std::fs::read_dir(if dir.as_os_str().is_empty() {
            Path::new(".")
        } else {
            dir
        })
        .ok()
        .and_then(|entries| {
            let names: Option<Vec<_>> = entries.map(|e| e.ok().map(|e| e.file_name())).collect();
            Names::of(names?.iter().map(|n| n.as_os_str()))
        });
        self.listed.insert(dir, listing);
        listing
    }

    /// A lockfile's pins: those a root or an earlier lookup read, or else read here (after
    /// any reading of the same file ends).
    fn pins(&self, cwd: &Path, lock: &Path, format: Format) -> Option<SiblingLock> {
        let key = (lock.to_path_buf(), format);
        let mut slots = self.slots.lock().ok()?;
        loop {
            let slot = slots.entry(key.clone()).or_default();
            if let Some(known) = &slot.pins {
                return known.clone();
            }
            if !slot.reading {
                slot.reading = true;
                break;
            }
            slots = self.read.wait(slots).ok()?;
        }
        drop(slots);
        let reading = Reading { locks: self, key };
        let read = read_lock(cwd, lock, format, &self.dirs);
        if let Ok(mut slots) = self.slots.lock() {
            if let Some(slot) = slots.get_mut(&reading.key) {
                slot.pins = Some(read.clone());
            }
        }
        read
    }
}

/// The lockfile and declaration names a lookup asks a directory for, ASCII-lowercased:
/// the fixed names of the formats' `lockfiles` and [`DECLARATIONS`] (a test keeps them in
/// step). Whether each is in a directory is one bit of [`Names`].
const TRACKED: [&str; 7] = [
    "poetry.lock",
    "uv.lock",
    "pdm.lock",
    "pylock.toml",
    "pipfile.lock",
    "pyproject.toml",
    "pipfile",
];

/// Which [`TRACKED`] names a directory holds, under any ASCII case (a case-insensitive
/// file system, macOS, opens `Poetry.lock` for `poetry.lock`, as the probe did): a bit
/// each, not the directory's names (a directory of 2,000 data files beside a pyproject.toml
/// held them all). A name it does not track (a pip-compile output, `*.txt`) may be there:
/// probed.
#[derive(Clone, Copy)]
struct Names(u8);

impl Names {
    /// The names of a directory's entries; None when one is not ASCII (a case folding
    /// beyond ASCII could match a tracked name): then every candidate is probed.
    fn of<'a>(names: impl Iterator<Item = &'a std::ffi::OsStr>) -> Option<Names> {
        let mut bits = 0;
        for name in names {
            let bytes = name.as_encoded_bytes();
            if !bytes.is_ascii() {
                return None;
            }
            bits |= tracked(bytes).map_or(0, |i| 1 << i);
        }
        Some(Names(bits))
    }

    /// Whether the directory may hold `name`: a tracked name only when listed.
    fn may_hold(self, name: &[u8]) -> bool {
        tracked(name).is_none_or(|i| self.0 & (1 << i) != 0)
    }
}

/// The bit of a [`TRACKED`] name, under any ASCII case.
fn tracked(name: &[u8]) -> Option<usize> {
    TRACKED
        .iter()
        .position(|t| t.as_bytes().eq_ignore_ascii_case(name))
}

/// The directories whose lockfiles or declarations a check may ask for, by the directory
/// as written (as a file's path names its parent), with the [`Names`] they hold (None when
/// the directory cannot be listed, or a name is not ASCII: every candidate probed). Shared
/// by the walk, which lists each directory once, and the run's workers.
#[derive(Clone, Default)]
pub(crate) struct Listings(Arc<Mutex<crate::hash::HashMap<PathBuf, Option<Names>>>>);

impl Listings {
    fn get(&self, dir: &Path) -> Option<Option<Names>> {
        self.0.lock().ok()?.get(dir).copied()
    }

    fn insert(&self, dir: &Path, names: Option<Names>) {
        if let Ok(mut m) = self.0.lock() {
            if m.insert(dir.to_path_buf(), names).is_none() {
                crate::files::counts::hold(1);
            }
        }
    }

    /// A directory the walk listed: kept only when a check may ask it ([`asks`]: a
    /// declaration that pairs with lockfiles, or a lockfile a declaration may pair with).
    /// A directory with a requirements.txt alone is never asked (its check names no
    /// lockfile); one asked that the walk did not keep is listed again by the lookup.
    pub(crate) fn walked(&self, listing: &crate::discover::Listing) {
        if listing.names().any(asks) {
            self.insert(listing.dir, Names::of(listing.names()));
        }
    }
}

/// Whether a file of this name makes its directory asked for lockfiles or declarations:
/// a tracked name, or pip-compile's input (`*.in`, whose check looks for the `.txt`).
fn asks(name: &std::ffi::OsStr) -> bool {
    let bytes = name.as_encoded_bytes();
    tracked(bytes).is_some() || bytes.ends_with(b".in")
}

fn read_lock(
    cwd: &Path,
    lock: &Path,
    format: Format,
    dirs: &Arc<crate::files::Dirs>,
) -> Option<SiblingLock> {
    // What is not a readable regular file (missing, a directory, a FIFO) fails the load.
    let mut files = Files::new(cwd.to_path_buf());
    files.share_dirs(dirs.clone());
    let id = files.load(lock).ok()?;
    let parsed = formats::parse(format, &mut files, id);
    sibling_lock(format, &files, &parsed, id)
}

/// What a lockfile read as `format` gives the declarations it pairs with: its pins, with
/// its display path; None when it pins nothing.
fn sibling_lock(
    format: Format,
    files: &Files,
    parsed: &crate::manifest::Parsed,
    id: FileId,
) -> Option<SiblingLock> {
    let pins = format.imp().pins(parsed);
    (!pins.is_empty()).then(|| SiblingLock {
        path: files.get(id).display.clone(),
        pins,
    })
}

/// The settings one group of files is checked with: the rules handed to the checker (already
/// filtered by rule-id selection), the run options, and the settings that filter findings,
/// rewrite severities and drive suppressions afterwards.
#[derive(Clone)]
pub(crate) struct Profile {
    pub settings: std::sync::Arc<crate::config::Settings>,
    pub rules: Vec<Rule>,
    pub opts: RunOptions,
}

impl Profile {
    pub(crate) fn new(settings: std::sync::Arc<crate::config::Settings>) -> Profile {
        let rules = settings.selected_rules();
        let opts = RunOptions {
            pythons: settings.pythons.clone(),
            platforms: settings.platforms.clone(),
            constraints: settings.constraints.clone(),
            relevant: Arc::new(formats::Relevant::of_rules(&rules)),
        };
        Profile {
            settings,
            rules,
            opts,
        }
    }
}

/// One root to check, with the profile (index into the run's profiles) that applies to it.
pub(crate) struct Job {
    pub candidate: Candidate,
    pub profile: usize,
    /// The file's bytes when it comes from standard input.
    pub stdin: Option<Vec<u8>>,
    /// The file's bytes when the configuration lookup read them already (a pyproject.toml):
    /// taken by the worker, so the file is read once and its bytes freed once checked.
    pub read: Mutex<Option<crate::files::Read>>,
}

/// What one worker keeps from one root.
struct RootResult {
    /// Excerpts of the files findings and suppressions point into, by their id in the
    /// root's registry.
    files: Vec<(FileId, Excerpt)>,
    diags: Vec<Diagnostic>,
    /// Suppressions found in the files this root read, with how far each was used.
    sups: Vec<(Suppression, Usage)>,
    profile: usize,
    unreadable: bool,
}

/// What the workers hand over. Every root's findings go into one list as the root is done
/// (`diags`), so the merge reorders that list in place: it builds no second list of every
/// finding (with the roots' own lists that was two copies of every finding at once, the
/// peak of a large tree's run).
#[derive(Default)]
struct Results {
    diags: Vec<Diagnostic>,
    /// Per root, by its index in the run: its part of `diags` and the rest of its result.
    roots: Vec<(usize, Done)>,
}

/// Findings from which a first root's list becomes the pool itself ([`Results::add`]).
const TAKEN: usize = 1024;

/// A root's result once its findings are in [`Results::diags`].
struct Done {
    files: Vec<(FileId, Excerpt)>,
    findings: std::ops::Range<usize>,
    sups: Vec<(Suppression, Usage)>,
    profile: usize,
    unreadable: bool,
}

impl Results {
    /// Take in root `i`'s result.
    fn add(&mut self, i: usize, mut r: RootResult) {
        let start = self.diags.len();
        if start == 0 && r.diags.len() >= TAKEN {
            // A large first list is taken, not copied (one root with 50k findings: no
            // second copy of them). A small one is copied into a list of the pool's own:
            // grown in place from a worker's small block, the pool measured 5 MB more
            // peak RSS on the 2,000-project tree (glibc grows such a block inside that
            // worker's arena, leaving each smaller copy behind).
            std::mem::swap(&mut self.diags, &mut r.diags);
        } else {
            self.diags.append(&mut r.diags);
        }
        self.roots.push((
            i,
            Done {
                files: r.files,
                findings: start..self.diags.len(),
                sups: r.sups,
                profile: r.profile,
                unreadable: r.unreadable,
            },
        ));
    }

    /// Roots done so far.
    fn len(&self) -> usize {
        self.roots.len()
    }

    fn is_empty(&self) -> bool {
        self.roots.is_empty()
    }
}

/// Check one root with its profile: evaluate, apply selection and severity overrides, then
/// the inline suppressions of every file the root read (the registry still holds them all
/// here); then keep only excerpts of the files findings or suppressions point into.
fn process_root(cwd: &Path, job: &Job, profile: &Profile, locks: &Locks) -> RootResult {
    let read = job.read.lock().ok().and_then(|mut r| r.take());
    let (files, mut diags, unreadable) = check_one(
        cwd,
        &job.candidate,
        job.stdin.as_deref(),
        read,
        &profile.rules,
        &profile.opts,
        locks,
    );
    profile.settings.apply(&mut diags);
    profile.settings.apply_per_file(&files, &mut diags);
    let mut sups = Vec::new();
    for (id, file) in files.iter() {
        sups.extend(suppress::scan(file, id));
    }
    let usage = suppress::apply(&files, &mut diags, &sups);
    let files = excerpts(&files, &diags, &sups);
    // The findings are held until every root is merged: keep no spare capacity in them
    // (their lists grew by doubling while they were phrased).
    for d in &mut diags {
        d.hold();
    }
    RootResult {
        files,
        diags,
        sups: sups.into_iter().zip(usage).collect(),
        profile: job.profile,
        unreadable,
    }
}

/// [`process_root`] for root `i`, unless a declaration's worker checked it already (a
/// lockfile root, [`Locks::take`]).
fn take_and_process(
    cwd: &Path,
    job: &Job,
    i: usize,
    profile: &Profile,
    locks: &Locks,
) -> Option<RootResult> {
    let taken = locks.take(job, i);
    if matches!(taken, Take::Gone) {
        return None;
    }
    let r = process_root(cwd, job, profile, locks);
    drop(taken);
    Some(r)
}

/// Whether a job is checked as a root: files discovered by a constraints name are checked
/// through what includes them.
fn is_root(job: &Job) -> bool {
    let c = &job.candidate;
    c.explicit
        || !(c.format == Format::Requirements && crate::discover::is_constraints_name(&c.path))
}

/// The worker count for `roots` roots (more than one) from `--jobs` (0: one per core).
fn worker_count(threads: usize) -> usize {
    match threads {
        0 => std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(1),
        n => n,
    }
}

/// Check every job in parallel, each with its profile, and merge the results.
pub(crate) fn run_jobs(cwd: &Path, jobs: &[Job], profiles: &[Profile], threads: usize) -> Outcome {
    run_listed(cwd, jobs, profiles, threads, &Listings::default())
}

/// [`run_jobs`] after a walk: `listed`, the directories it listed ([`Listings`]), are not
/// listed again.
pub(crate) fn run_listed(
    cwd: &Path,
    jobs: &[Job],
    profiles: &[Profile],
    threads: usize,
    listed: &Listings,
) -> Outcome {
    let roots: Vec<&Job> = jobs.iter().filter(|j| is_root(j)).collect();
    let threads = match threads {
        // One root needs one worker: do not ask the system (cgroup files) for a count.
        _ if roots.len() <= 1 => 1,
        n => worker_count(n),
    }
    .min(roots.len().max(1));
    let next = AtomicUsize::new(0);
    let locks = Locks {
        listed: listed.clone(),
        ..Locks::default()
    };
    for (i, job) in roots.iter().enumerate() {
        locks.enrol(job, i);
    }
    let results: Mutex<Results> = Mutex::new(Results::default());
    let check = |i: usize| {
        let Some(job) = roots.get(i) else { return };
        let Some(profile) = profiles.get(job.profile) else {
            return;
        };
        if let Some(r) = take_and_process(cwd, job, i, profile, &locks) {
            if let Ok(mut out) = results.lock() {
                out.add(i, r);
            }
        }
    };
    let worker = || loop {
        let i = next.fetch_add(1, Ordering::Relaxed);
        let Some(job) = roots.get(i) else { break };
        for lock in locks.queued_for(job) {
            check(lock);
        }
        check(i);
    };
    // A single worker runs on this thread: a spawned one would start a malloc arena of its
    // own (fresh pages to fault in) for one small file, the common pre-commit and editor
    // case.
    if threads == 1 {
        worker();
    } else {
        std::thread::scope(|s| {
            for _ in 0..threads {
                s.spawn(worker);
            }
        });
    }
    merge(
        results.into_inner().unwrap_or_default(),
        profiles,
        roots.len(),
    )
}

/// What [`check_for_tests`] hands back: the outcome a report is written from, held.
#[doc(hidden)]
pub struct HeldForTests {
    /// Findings in the outcome.
    pub findings: usize,
    _outcome: Outcome,
}

/// Tests only (`tests/integration/allocations.rs`): check the files `paths` under `cwd` as
/// `depwindow check --jobs 1` does with the default settings (every root on this thread,
/// merged and sorted), and hold the outcome as the CLI holds it until the report is written.
#[doc(hidden)]
pub fn check_for_tests(cwd: &Path, paths: &[PathBuf]) -> HeldForTests {
    let settings = crate::config::Settings::defaults(cwd);
    let profile = Profile::new(Arc::new(settings));
    let jobs: Vec<Job> = paths
        .iter()
        .map(|p| Job {
            candidate: Candidate {
                path: p.clone(),
                format: Format::for_explicit(p),
                explicit: true,
                sniff: false,
            },
            profile: 0,
            stdin: None,
            read: Mutex::new(None),
        })
        .collect();
    let outcome = run_jobs(cwd, &jobs, &[profile], 1);
    HeldForTests {
        findings: outcome.diagnostics.len(),
        _outcome: outcome,
    }
}

/// Where discovery hands jobs to the workers of [`run_streamed`], as it finds them.
pub(crate) struct Stream<'a> {
    queue: &'a Queue,
    locks: &'a Locks,
    /// Every job, roots or not, in the order given (the caller gets them back).
    jobs: Vec<Arc<Job>>,
    /// Starts the workers (once, at the second root: one root is checked on the calling
    /// thread after discovery, as [`run_jobs`] checks it).
    start: &'a mut dyn FnMut(),
    roots: usize,
}

impl Stream<'_> {
    /// A profile, by the next index (before any job that names it).
    pub(crate) fn profile(&mut self, profile: Profile) {
        if let Ok(mut q) = self.queue.state.lock() {
            q.profiles.push(Arc::new(profile));
        }
    }

    /// How many profiles were given.
    pub(crate) fn profiles(&self) -> usize {
        self.queue.state.lock().map_or(0, |q| q.profiles.len())
    }

    /// A job: a root is checked by the next free worker. Bytes read ahead (a pyproject.toml
    /// the configuration lookup read) wait with it while the waiting roots hold less than
    /// [`crate::config::READ_BUDGET`]; past that the check reads the file again, so a walk
    /// far ahead of the workers never holds the tree's text.
    pub(crate) fn job(&mut self, mut job: Job) {
        let root = is_root(&job);
        let read = job
            .read
            .get_mut()
            .map_or(0, |r| r.as_ref().map_or(0, |r| r.bytes.len()));
        if let Ok(mut q) = self.queue.state.lock() {
            let keep = root && q.held + read <= crate::config::READ_BUDGET;
            if keep {
                q.held += read;
                crate::files::counts::HELD_PEAK
                    .fetch_max(q.held as u64, std::sync::atomic::Ordering::Relaxed);
            } else if let Ok(r) = job.read.get_mut() {
                *r = None;
            }
            if root {
                q.sizes.push(if keep { read } else { 0 });
            }
        }
        let job = Arc::new(job);
        if root {
            let waiting = match self.queue.state.lock() {
                Ok(mut q) => {
                    // Enrolled before a worker can take it (`Locks::take`).
                    self.locks.enrol(&job, q.roots.len());
                    q.roots.push(job.clone());
                    q.waiting > 0
                }
                Err(_) => true,
            };
            // A wake-up is a system call: only for a worker that waits.
            if waiting {
                self.queue.ready.notify_one();
            }
            self.roots += 1;
            if self.roots == 2 {
                (self.start)();
            }
            if self.roots >= 2 {
                self.queue.make_room();
            }
        }
        self.jobs.push(job);
    }
}

/// How many bytes read ahead the roots waiting for a worker may hold before the walk waits
/// for the workers: the walk runs ahead of the checks, but never holds the tree's text.
const STREAM_BUDGET: usize = 256 * 1024;

/// The roots found so far and the profiles they name; workers take roots in order.
#[derive(Default)]
pub(crate) struct Queue {
    state: Mutex<QueueState>,
    ready: std::sync::Condvar,
    /// Signalled when a root is taken or a worker ends, for a walk waiting for room.
    room: std::sync::Condvar,
}

#[derive(Default)]
struct QueueState {
    roots: Vec<Arc<Job>>,
    /// The size of the bytes read ahead that each root carries.
    sizes: Vec<usize>,
    /// Their total over the roots no worker has taken yet.
    held: usize,
    profiles: Vec<Arc<Profile>>,
    taken: usize,
    closed: bool,
    /// Workers waiting for a root.
    waiting: usize,
    /// Workers running (the walk never waits for room without one).
    alive: usize,
    /// The walk waits for room.
    full: bool,
}

impl Queue {
    /// The next root with its index and profile; waits while discovery may find more.
    fn next(&self) -> Option<(usize, Arc<Job>, Arc<Profile>)> {
        let mut q = self.state.lock().ok()?;
        loop {
            if let Some(job) = q.roots.get(q.taken).cloned() {
                let i = q.taken;
                q.taken += 1;
                q.held -= q.sizes.get(i).copied().unwrap_or(0);
                // The walk waits until half the budget is free ([`Queue::make_room`]): one
                // wake-up per half budget taken, not one per root (a system call each way).
                if q.full && q.held <= STREAM_BUDGET / 2 {
                    self.room.notify_one();
                }
                let Some(profile) = q.profiles.get(job.profile).cloned() else {
                    continue;
                };
                return Some((i, job, profile));
            }
            if q.closed {
                return None;
            }
            q.waiting += 1;
            q = self.ready.wait(q).ok()?;
            q.waiting -= 1;
        }
    }

    /// Root `i` and its profile, for a worker that checks it out of turn (`Locks::queued_for`).
    fn root(&self, i: usize) -> Option<(Arc<Job>, Arc<Profile>)> {
        let q = self.state.lock().ok()?;
        let job = q.roots.get(i)?.clone();
        let profile = q.profiles.get(job.profile)?.clone();
        Some((job, profile))
    }

    /// Wait (the walk) when the roots no worker has taken hold more than [`STREAM_BUDGET`]
    /// bytes read ahead, until they hold half of it or no worker runs to take them: the
    /// walk then runs ahead by half a budget, rather than in step with the workers, one
    /// root and two wake-ups at a time.
    fn make_room(&self) {
        let Ok(mut q) = self.state.lock() else { return };
        if q.held <= STREAM_BUDGET {
            return;
        }
        while q.held > STREAM_BUDGET / 2 && q.alive > 0 {
            q.full = true;
            match self.room.wait(q) {
                Ok(g) => q = g,
                Err(_) => return,
            }
        }
        q.full = false;
    }

    /// A worker ends (also when it panics): a walk waiting for room must not wait for it.
    fn leave(&self) {
        if let Ok(mut q) = self.state.lock() {
            q.alive -= 1;
        }
        self.room.notify_all();
    }

    fn close(&self) {
        if let Ok(mut q) = self.state.lock() {
            q.closed = true;
        }
        self.ready.notify_all();
    }
}

/// [`run_jobs`] with the jobs coming from `discover` (run on this thread) while the workers
/// check the roots found so far: checking starts with the first roots, not after the walk.
/// Roots are merged in the order given, so the outcome is [`run_jobs`]'s over the same jobs
/// and profiles, which are given back with it. `dirs` is the configuration lookup's memo of
/// canonical directories, so the lookup and the checks resolve each directory once;
/// `listed`, the directories the walk lists ([`Listings`]).
pub(crate) fn run_streamed(
    cwd: &Path,
    threads: usize,
    dirs: Arc<crate::files::Dirs>,
    listed: Listings,
    discover: &mut dyn FnMut(&mut Stream),
) -> (Outcome, Vec<Job>, Vec<Profile>) {
    let queue = Queue::default();
    let locks = Locks {
        dirs,
        listed,
        ..Locks::default()
    };
    let results: Mutex<Results> = Mutex::new(Results::default());
    let checked = std::sync::Condvar::new();
    // Tests (`crate::files::counts`): the walk waits for the workers' first root once they
    // have started, so that checking during the walk is observed whatever the machine's
    // speed (a guard, not a limit: it gives up after a minute).
    let observe = std::env::var_os(crate::files::counts::ENV).is_some();
    /// Tells the queue a worker ended, however it ends.
    struct Leave<'a>(&'a Queue);
    impl Drop for Leave<'_> {
        fn drop(&mut self) {
            self.0.leave();
        }
    }
    let check = |i: usize, job: &Job, profile: &Profile| {
        if let Some(r) = take_and_process(cwd, job, i, profile, &locks) {
            if let Ok(mut out) = results.lock() {
                out.add(i, r);
            }
        }
        if observe {
            checked.notify_all();
        }
    };
    let worker = || {
        let _leave = Leave(&queue);
        while let Some((i, job, profile)) = queue.next() {
            for lock in locks.queued_for(&job) {
                if let Some((job, profile)) = queue.root(lock) {
                    check(lock, &job, &profile);
                }
            }
            check(i, &job, &profile);
        }
    };
    let mut jobs = Vec::new();
    let mut started = false;
    std::thread::scope(|s| {
        let mut start = || {
            if !started {
                started = true;
                let n = worker_count(threads);
                if let Ok(mut q) = queue.state.lock() {
                    q.alive += n;
                }
                for _ in 0..n {
                    s.spawn(worker);
                }
                if observe {
                    if let Ok(out) = results.lock() {
                        let _ = checked.wait_timeout_while(
                            out,
                            std::time::Duration::from_secs(60),
                            |out| out.is_empty(),
                        );
                    }
                }
            }
        };
        locks.walking.store(true, Ordering::Relaxed);
        let mut stream = Stream {
            queue: &queue,
            locks: &locks,
            jobs: Vec::new(),
            start: &mut start,
            roots: 0,
        };
        discover(&mut stream);
        locks.walking.store(false, Ordering::Relaxed);
        if let Ok(out) = results.lock() {
            crate::files::counts::CHECKED_DURING_WALK
                .store(out.len() as u64, std::sync::atomic::Ordering::Relaxed);
        }
        jobs = std::mem::take(&mut stream.jobs);
        queue.close();
    });
    // No worker was started for one root (or none): it is checked here.
    if !started {
        if let Ok(mut q) = queue.state.lock() {
            q.alive += 1;
        }
        worker();
    }
    let mut state = queue.state.into_inner().unwrap_or_default();
    let roots = state.roots.len();
    let held = std::mem::take(&mut state.profiles);
    // The queue's hold on the jobs goes first: each is then the caller's alone.
    drop(state);
    // The workers are done: each profile is held here alone, and moves out without a copy.
    let profiles: Vec<Profile> = held
        .into_iter()
        .map(|p| Arc::try_unwrap(p).unwrap_or_else(|p| (*p).clone()))
        .collect();
    let jobs: Vec<Job> = jobs
        .into_iter()
        .filter_map(|j| Arc::try_unwrap(j).ok())
        .collect();
    let outcome = merge(results.into_inner().unwrap_or_default(), &profiles, roots);
    (outcome, jobs, profiles)
}

/// Merge the roots' results, in root order: findings reached from several roots merge,
/// suppression usage is combined before `unused-suppression` is decided, and the findings
/// are sorted. The findings stay where the workers put them ([`Results::diags`]): the merge
/// keeps the order of the ones that stay, absorbs the others into them, and then moves each
/// finding once, to its sorted place.
fn merge(results: Results, profiles: &[Profile], checked: usize) -> Outcome {
    let Results {
        diags: mut all,
        mut roots,
    } = results;
    roots.sort_by_key(|(i, _)| *i);
    let mut merged = Excerpts::new();
    // The findings that stay, by their index in `all`, in the order merged.
    let mut kept: Vec<usize> = Vec::with_capacity(all.len());
    let mut index = MergeIndex::default();
    // Suppressions by (file in the merged registry, comment start): usage is combined over
    // every root that read the file, so a suppression used by one unit is not "unused"
    // because another unit including the same file does not produce the finding.
    let mut sups: BTreeMap<(FileId, usize), (Suppression, Usage, usize)> = BTreeMap::new();
    let unreadable = roots.iter().filter(|(_, r)| r.unreadable).count();
    for (_, r) in roots {
        let mut map: BTreeMap<FileId, FileId> = BTreeMap::new();
        for (old, excerpt) in r.files {
            map.insert(old, merged.adopt(excerpt));
        }
        for j in r.findings {
            remap(&mut all[j], &map);
            index.merge(&mut all, &mut kept, j);
        }
        for (mut s, usage) in r.sups {
            let Some(&file) = map.get(&s.file) else {
                continue;
            };
            s.file = file;
            let key = (file, s.comment.start);
            match sups.get_mut(&key) {
                Some((_, u, _)) => {
                    for (a, b) in u.iter_mut().zip(&usage) {
                        *a |= *b;
                    }
                }
                None => {
                    sups.insert(key, (s, usage, r.profile));
                }
            }
        }
    }
    drop(index);
    for (s, usage, profile) in sups.values() {
        let mut extra = suppress::unused(s, usage, s.file);
        if let Some(p) = profiles.get(*profile) {
            p.settings.apply(&mut extra);
        }
        for d in extra {
            kept.push(all.len());
            all.push(d);
        }
    }
    drop(sups);
    sort_order(&all, &mut kept, &merged);
    place(&mut all, kept);
    Outcome {
        files: merged,
        diagnostics: all,
        checked,
        unreadable,
    }
}

/// Sort findings by (path, offset, code), stably: the order of indices is sorted, then
/// applied in place, so the sort's scratch space is an index per finding, not half of the
/// findings themselves (a finding is several hundred bytes).
#[cfg(test)]
fn sort_findings(all: &mut Vec<Diagnostic>, files: &Excerpts) {
    let mut order: Vec<usize> = (0..all.len()).collect();
    sort_order(all, &mut order, files);
    place(all, order);
}

/// Sort `order` (indices into `all`) stably by the findings' (path, offset, code). Paths
/// are compared once per file, not per comparison: each file's rank among the paths is the
/// key (files with the same path share a rank).
fn sort_order(all: &[Diagnostic], order: &mut [usize], files: &Excerpts) {
    let mut by_path: Vec<usize> = (0..files.len()).collect();
    by_path.sort_by(|&a, &b| files.get(a).display.cmp(&files.get(b).display));
    let mut rank = vec![0u32; files.len()];
    let mut r = 0u32;
    for (k, &id) in by_path.iter().enumerate() {
        if k > 0 && files.get(id).display != files.get(by_path[k - 1]).display {
            r += 1;
        }
        rank[id] = r;
    }
    // A file id outside the registry sorts after every file (it cannot occur; no panic).
    let key = |d: &Diagnostic| {
        (
            rank.get(d.loc.file).copied().unwrap_or(u32::MAX),
            d.loc.span.start,
            d.code(),
        )
    };
    order.sort_by_key(|&i| key(&all[i]));
}

/// Keep the findings at `order` (distinct indices into `all`), in that order, moving each
/// once: the rest are dropped.
fn place(all: &mut Vec<Diagnostic>, mut order: Vec<usize>) {
    let kept = order.len();
    if kept < all.len() {
        // The dropped ones go after the kept, so that `order` is a permutation of `all`.
        let mut taken = vec![false; all.len()];
        for &i in &order {
            taken[i] = true;
        }
        order.extend((0..all.len()).filter(|&i| !taken[i]));
    }
    // Position i takes the finding now at order[i]: follow each cycle of the permutation.
    let mut placed = vec![false; all.len()];
    for start in 0..all.len() {
        let mut at = start;
        while !placed[at] {
            placed[at] = true;
            let from = order[at];
            if from == start {
                break;
            }
            all.swap(at, from);
            at = from;
        }
    }
    all.truncate(kept);
    // The list grew by doubling as the roots came in: the report holds what it uses.
    all.shrink_to_fit();
}

/// Every location a finding points at.
fn locations(d: &Diagnostic) -> impl Iterator<Item = Loc> + '_ {
    std::iter::once(d.loc)
        .chain(d.related.iter().map(|r| r.loc))
        .chain(d.fix.iter().map(|f| f.loc))
}

/// Excerpts of the files `diags` and `sups` point into, with the lines around each span
/// (what every reporter and the unused-suppression findings need), by file id.
pub(crate) fn excerpts(
    files: &Files,
    diags: &[Diagnostic],
    sups: &[Suppression],
) -> Vec<(FileId, Excerpt)> {
    let mut spans: BTreeMap<FileId, Vec<Span>> = BTreeMap::new();
    for loc in diags.iter().flat_map(locations) {
        spans.entry(loc.file).or_default().push(loc.span);
    }
    for s in sups {
        spans.entry(s.file).or_default().push(s.comment);
    }
    spans
        .into_iter()
        .filter(|(id, _)| *id < files.len())
        .map(|(id, spans)| (id, files.get(id).excerpt(spans)))
        .collect()
}

fn remap(d: &mut Diagnostic, map: &BTreeMap<FileId, FileId>) {
    let m = |id: FileId| map.get(&id).copied().unwrap_or(id);
    d.loc.file = m(d.loc.file);
    for r in &mut d.related {
        r.loc.file = m(r.loc.file);
    }
    if let Some(f) = &mut d.fix {
        f.loc.file = m(f.loc.file);
    }
}

/// A registry given up for its excerpts: the files `diags` point into, with the findings'
/// file ids moved to the returned registry's.
pub(crate) fn keep_excerpts(files: &Files, diags: &mut [Diagnostic]) -> Excerpts {
    let mut out = Excerpts::new();
    adopt_excerpts(&mut out, files, diags);
    out
}

/// [`keep_excerpts`] into an existing registry (a file already there keeps its id and
/// joins the lines kept).
pub(crate) fn adopt_excerpts(into: &mut Excerpts, files: &Files, diags: &mut [Diagnostic]) {
    let mut map: BTreeMap<FileId, FileId> = BTreeMap::new();
    for (old, excerpt) in excerpts(files, diags, &[]) {
        map.insert(old, into.adopt(excerpt));
    }
    for d in diags.iter_mut() {
        remap(d, &map);
    }
}

/// One report per finding: the same finding reached from several including files merges,
/// naming every Python it holds on. Input problems (no rule) merge only when their
/// message is the same too. The index maps one keyed hash of the check, the place, the rule
/// and (for an input problem) the message to the first finding with it; a hit is confirmed
/// against the finding it names.
#[derive(Default)]
struct MergeIndex {
    first: HashMap<u64, usize, std::hash::BuildHasherDefault<Prehashed>>,
    keys: std::hash::RandomState,
}

/// The rule and, for an input problem, the message: what else must match to merge.
fn merge_text(d: &Diagnostic) -> (Option<&str>, Option<&str>) {
    (
        d.rule.as_deref(),
        d.rule.is_none().then_some(d.message.as_str()),
    )
}

fn same_finding(a: &Diagnostic, b: &Diagnostic) -> bool {
    a.check == b.check && a.loc == b.loc && merge_text(a) == merge_text(b)
}

impl MergeIndex {
    /// Merge `all[j]` (not merged yet) into the findings `kept` so far: into the same
    /// finding among them, or kept as a new one.
    fn merge(&mut self, all: &mut [Diagnostic], kept: &mut Vec<usize>, j: usize) {
        use std::hash::BuildHasher;
        let d = &all[j];
        let key = self.keys.hash_one((d.check, d.loc, merge_text(d)));
        let at = match self.first.get(&key) {
            None => {
                self.first.insert(key, j);
                None
            }
            Some(&i) if same_finding(&all[i], d) => Some(i),
            // Two different findings with one hash: find the one it merges with, if any.
            Some(_) => kept.iter().copied().find(|&i| same_finding(&all[i], d)),
        };
        match at {
            Some(i) => {
                let placeholder = Diagnostic::problem(d.check, d.severity, d.loc, String::new());
                let taken = std::mem::replace(&mut all[j], placeholder);
                all[i].absorb(taken);
            }
            None => kept.push(j),
        }
    }
}

/// The hasher of a key that is already a hash ([`MergeIndex`]).
#[derive(Default)]
struct Prehashed(u64);

impl std::hash::Hasher for Prehashed {
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = self.0.rotate_left(8) ^ u64::from(b);
        }
    }

    fn write_u64(&mut self, n: u64) {
        self.0 = n;
    }

    fn finish(&self) -> u64 {
        self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every fixed lockfile name a declaration pairs with, and every declaration a lockfile
    /// root asks for, is [`TRACKED`] (an untracked one is probed: right, but the listing
    /// saves nothing).
    #[test]
    fn the_tracked_names_are_the_formats_lockfile_names() {
        for format in [Format::Pyproject, Format::Pipfile] {
            for (lock, _) in format.imp().lockfiles(Path::new("d/x")) {
                let name = lock.file_name().unwrap().as_encoded_bytes();
                assert!(tracked(name).is_some(), "{}", lock.display());
            }
        }
        for d in DECLARATIONS {
            assert!(tracked(d.as_bytes()).is_some(), "{d}");
        }
    }

    /// The declarations whose lockfiles a root can hand over are the ones named, and a
    /// lockfile so handed over names no lockfile itself: a lockfile root never waits for a
    /// sibling lookup (no worker waits on one that waits).
    #[test]
    fn shared_lockfiles_pair_with_the_declarations_named() {
        let dir = Path::new("d");
        for f in Format::ALL {
            let names = f.imp().lockfiles(&dir.join("x"));
            assert_eq!(
                names_shared_locks(f),
                names.iter().any(|(_, l)| shares_pins(*l)),
                "{f:?}"
            );
            if shares_pins(f) {
                assert!(names.is_empty(), "{f:?} names lockfiles of its own");
            }
        }
        for name in ["pyproject.toml", "Pipfile"] {
            assert!(names_shared_locks(Format::for_explicit(Path::new(name))));
            assert!(DECLARATIONS.contains(&name.to_ascii_lowercase().as_str()));
        }
    }

    /// A root's check reads a lockfile with its rules' packages only (`Relevant`), a sibling
    /// lookup with every package: for the lockfiles handed over, the pins are the same.
    #[test]
    fn a_shared_lockfile_pins_the_same_whatever_the_rules_read() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures");
        let mut compared = 0;
        for (dir, name) in [
            ("uv-lock", "uv.lock"),
            ("poetry-lock", "poetry.lock"),
            ("pdm-lock", "pdm.lock"),
            ("pylock", "pylock.toml"),
            ("pipfile-lock", "Pipfile.lock"),
        ] {
            for e in std::fs::read_dir(root.join(dir))
                .into_iter()
                .flatten()
                .flatten()
            {
                let path = e.path().join(name);
                let format = Format::for_explicit(&path);
                assert!(shares_pins(format), "{path:?}");
                let pins = |relevant: formats::Relevant| {
                    let mut files = Files::new(root.clone());
                    files.set_relevant(Arc::new(relevant));
                    let id = files.load(&path).ok()?;
                    let parsed = formats::parse(format, &mut files, id);
                    sibling_lock(format, &files, &parsed, id).map(|s| s.pins)
                };
                let all = pins(formats::Relevant::all());
                if all.is_some() {
                    compared += 1;
                }
                assert_eq!(pins(formats::Relevant::only([])), all, "{path:?}");
            }
        }
        assert!(compared >= 10, "{compared} lockfiles with pins");
    }

    /// Findings merge by check, place, rule and (for input problems) message, and by nothing
    /// less: the index's hash never merges two that differ in one of them.
    #[test]
    fn findings_merge_only_when_check_place_rule_and_problem_message_match() {
        let at = |start| Loc {
            file: 0,
            span: Span::new(start, start + 1),
        };
        let ruled = |rule: &str, start, severity| {
            let mut d = Diagnostic::problem(Check::OutsideWindow, severity, at(start), "m".into());
            d.rule = Some(rule.into());
            d
        };
        let problem = |message: &str| {
            Diagnostic::problem(Check::ParseError, Severity::Error, at(0), message.into())
        };
        let mut all = vec![
            ruled("a", 0, Severity::Warning),
            ruled("b", 0, Severity::Warning),
            ruled("a", 1, Severity::Warning),
            ruled("a", 0, Severity::Error),
            problem("x"),
            problem("y"),
            problem("x"),
        ];
        let mut index = MergeIndex::default();
        let mut kept = Vec::new();
        for j in 0..all.len() {
            index.merge(&mut all, &mut kept, j);
        }
        place(&mut all, kept);
        let seen: Vec<_> = all
            .iter()
            .map(|d| {
                (
                    d.code(),
                    d.rule.clone(),
                    d.loc.span.start,
                    d.message.clone(),
                    d.severity,
                )
            })
            .collect();
        assert_eq!(
            seen,
            [
                ("DW101", Some("a".into()), 0, "m".into(), Severity::Error),
                ("DW101", Some("b".into()), 0, "m".into(), Severity::Warning),
                ("DW101", Some("a".into()), 1, "m".into(), Severity::Warning),
                ("DW001", None, 0, "x".into(), Severity::Error),
                ("DW001", None, 0, "y".into(), Severity::Error),
            ]
        );
    }

    /// The in-place sort gives the order a stable sort of the findings gives, ties kept in
    /// their order.
    #[test]
    fn findings_sort_stably_by_path_offset_and_code() {
        let mut files = Files::new(PathBuf::from("/p"));
        let a = files.add(Path::new("/p/a.txt"), b"0123456789\n");
        let b = files.add(Path::new("/p/b.txt"), b"0123456789\n");
        let excerpts = Excerpts::whole(&files);
        let checks = [Check::ParseError, Check::IncludeError, Check::OutsideWindow];
        let mut all: Vec<Diagnostic> = (0..200usize)
            .map(|i| {
                let x = i * 7919 % 211;
                Diagnostic::problem(
                    checks[x % 3],
                    Severity::Error,
                    Loc {
                        file: if x % 2 == 0 { a } else { b },
                        span: Span::new(x % 4, x % 4),
                    },
                    format!("finding {i}"),
                )
            })
            .collect();
        let mut want = all.clone();
        want.sort_by(|x, y| {
            let k = |d: &Diagnostic| {
                (
                    excerpts.get(d.loc.file).display.clone(),
                    d.loc.span.start,
                    d.code(),
                )
            };
            k(x).cmp(&k(y))
        });
        sort_findings(&mut all, &excerpts);
        let messages = |v: &[Diagnostic]| v.iter().map(|d| d.message.clone()).collect::<Vec<_>>();
        assert_eq!(messages(&all), messages(&want));
    }
}
