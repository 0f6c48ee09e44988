//! The pipeline driver: candidates in, merged and sorted diagnostics out. Files are checked
//! in parallel (bounded by the core count), each worker with its own file registry. Once a
//! root is evaluated, its texts are dropped: the report keeps an [`Excerpt`] of each file a
//! finding or suppression points into (the lines around those spans, with their positions),
//! so memory grows with the findings, not with the tree.

use std::collections::{BTreeMap, HashMap, HashSet};
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
    // Global constraint files: every package they pin restricts every unit, as PIP_CONSTRAINT.
    for c in &opts.constraints {
        match files.load(c) {
            Ok(cid) => {
                let mut extra = formats::parse(Format::Requirements, &mut files, cid);
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
                parsed.unparsed.extend(extra.unparsed.into_iter().map(|u| {
                    crate::manifest::Unparsed {
                        groups: every.clone(),
                        ..u
                    }
                }));
            }
            Err(e) => {
                let d = Diagnostic::problem(
                    Check::IncludeError,
                    Severity::Error,
                    Loc {
                        file: id,
                        span: Span::default(),
                    },
                    format!("cannot read constraint file `{}`: {e}", c.display()),
                );
                return (files, vec![d], false);
            }
        }
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

/// Whether decoded text is binary, as git decides it (`buffer_is_binary`): a NUL byte in
/// its first 8000 bytes. (A UTF-16 file with a BOM was decoded already; one without
/// reads as binary here, as in git.)
fn is_binary(text: &str) -> bool {
    text.as_bytes().iter().take(8000).any(|&b| b == 0)
}

/// Lockfiles read as siblings during one run, by path: each is read and parsed once, however
/// many declarations it pairs with (a lockfile is also checked as a root of its own; that
/// reading is the root's).
#[derive(Default)]
pub(crate) struct Locks {
    read: Mutex<HashMap<PathBuf, Option<SiblingLock>>>,
    /// The names in each directory a declaration lies in, listed once per run: a lockfile
    /// name absent from the listing is not probed (a pyproject.toml names four lockfiles,
    /// and most projects have none of them).
    listed: Mutex<HashMap<PathBuf, Option<Listing>>>,
    /// The canonical directories of this run, shared by every worker's registry
    /// (`files::Dirs`: each directory resolved once per run).
    pub(crate) dirs: Arc<crate::files::Dirs>,
}

impl Locks {
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
                (Some(names), Some(name)) => names.contains(&fold(name.as_encoded_bytes())),
                _ => true,
            };
            if !listed {
                return None;
            }
            self.pins(cwd, &lock, lock_format)
        })
    }

    /// The entries of `dir`, ASCII-lowercased so that a case-insensitive file system
    /// (macOS) still finds `Poetry.lock` as the probe did. None when it cannot be listed, or
    /// when a name is not ASCII (a case folding beyond ASCII could match): then every
    /// candidate is probed.
    fn names(&self, dir: &Path) -> Option<Listing> {
        if let Some(known) = self.listed.lock().ok()?.get(dir) {
            return known.clone();
        }
        let listing = std::fs::read_dir(if dir.as_os_str().is_empty() {
            Path::new(".")
        } else {
            dir
        })
        .ok()
        .and_then(|entries| {
            let mut names = HashSet::new();
            for e in entries {
                let name = e.ok()?.file_name();
                let bytes = name.as_encoded_bytes();
                if !bytes.is_ascii() {
                    return None;
                }
                names.insert(fold(bytes));
            }
            Some(Arc::new(names))
        });
        if let Ok(mut m) = self.listed.lock() {
            m.insert(dir.to_path_buf(), listing.clone());
        }
        listing
    }

    fn pins(&self, cwd: &Path, lock: &Path, format: Format) -> Option<SiblingLock> {
        if let Some(known) = self.read.lock().ok()?.get(lock) {
            return known.clone();
        }
        let read = read_lock(cwd, lock, format, &self.dirs);
        if let Ok(mut m) = self.read.lock() {
            m.insert(lock.to_path_buf(), read.clone());
        }
        read
    }
}

/// A directory's entry names, folded by [`fold`].
type Listing = Arc<HashSet<Vec<u8>>>;

/// A file name as [`Locks::names`] keeps it.
fn fold(name: &[u8]) -> Vec<u8> {
    name.to_ascii_lowercase()
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
    let pins = format.imp().pins(&parsed);
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
    // The findings are held until every root is merged: keep no spare capacity (the list
    // can come from a larger vector collected in place).
    diags.shrink_to_fit();
    RootResult {
        files,
        diags,
        sups: sups.into_iter().zip(usage).collect(),
        profile: job.profile,
        unreadable,
    }
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
    let roots: Vec<&Job> = jobs.iter().filter(|j| is_root(j)).collect();
    let threads = match threads {
        // One root needs one worker: do not ask the system (cgroup files) for a count.
        _ if roots.len() <= 1 => 1,
        n => worker_count(n),
    }
    .min(roots.len().max(1));
    let next = AtomicUsize::new(0);
    let locks = Locks::default();
    let results: Mutex<Vec<(usize, RootResult)>> = Mutex::new(Vec::new());
    let worker = || loop {
        let i = next.fetch_add(1, Ordering::Relaxed);
        let Some(job) = roots.get(i) else { break };
        let Some(profile) = profiles.get(job.profile) else {
            continue;
        };
        let r = process_root(cwd, job, profile, &locks);
        if let Ok(mut out) = results.lock() {
            out.push((i, r));
        }
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

/// Where discovery hands jobs to the workers of [`run_streamed`], as it finds them.
pub(crate) struct Stream<'a> {
    queue: &'a Queue,
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
/// canonical directories, so the lookup and the checks resolve each directory once.
pub(crate) fn run_streamed(
    cwd: &Path,
    threads: usize,
    dirs: Arc<crate::files::Dirs>,
    discover: &mut dyn FnMut(&mut Stream),
) -> (Outcome, Vec<Job>, Vec<Profile>) {
    let queue = Queue::default();
    let locks = Locks {
        dirs,
        ..Locks::default()
    };
    let results: Mutex<Vec<(usize, RootResult)>> = Mutex::new(Vec::new());
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
    let worker = || {
        let _leave = Leave(&queue);
        while let Some((i, job, profile)) = queue.next() {
            let r = process_root(cwd, &job, &profile, &locks);
            if let Ok(mut out) = results.lock() {
                out.push((i, r));
            }
            if observe {
                checked.notify_all();
            }
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
        let mut stream = Stream {
            queue: &queue,
            jobs: Vec::new(),
            start: &mut start,
            roots: 0,
        };
        discover(&mut stream);
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
/// are sorted.
fn merge(mut results: Vec<(usize, RootResult)>, profiles: &[Profile], checked: usize) -> Outcome {
    results.sort_by_key(|(i, _)| *i);
    let mut merged = Excerpts::new();
    // At most every finding of every root (merging only removes): one allocation, not a
    // doubling that leaves up to half of a large vector unused.
    let mut all: Vec<Diagnostic> =
        Vec::with_capacity(results.iter().map(|(_, r)| r.diags.len()).sum());
    let mut index: HashMap<MergeKey, usize> = HashMap::new();
    // Suppressions by (file in the merged registry, comment start): usage is combined over
    // every root that read the file, so a suppression used by one unit is not "unused"
    // because another unit including the same file does not produce the finding.
    let mut sups: BTreeMap<(FileId, usize), (Suppression, Usage, usize)> = BTreeMap::new();
    let unreadable = results.iter().filter(|(_, r)| r.unreadable).count();
    for (_, r) in results {
        let mut map: BTreeMap<FileId, FileId> = BTreeMap::new();
        for (old, excerpt) in r.files {
            map.insert(old, merged.adopt(excerpt));
        }
        for mut d in r.diags {
            remap(&mut d, &map);
            merge_into(&mut all, &mut index, d);
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
        all.extend(extra);
    }
    drop(sups);
    sort_findings(&mut all, &merged);
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
fn sort_findings(all: &mut [Diagnostic], files: &Excerpts) {
    let key = |d: &Diagnostic| {
        (
            files.get(d.loc.file).display.as_str(),
            d.loc.span.start,
            d.code(),
        )
    };
    let mut order: Vec<usize> = (0..all.len()).collect();
    order.sort_by(|&a, &b| key(&all[a]).cmp(&key(&all[b])));
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
/// message is the same too. The index holds the check, the place and a hash of the rule and
/// message, not copies of them (a key per finding is held through the whole merge); a hit
/// is confirmed against the finding it names.
type MergeKey = (Check, Loc, u64);

/// The rule and, for an input problem, the message: what else must match to merge.
fn merge_text(d: &Diagnostic) -> (Option<&str>, Option<&str>) {
    (
        d.rule.as_deref(),
        d.rule.is_none().then_some(d.message.as_str()),
    )
}

fn merge_key(d: &Diagnostic) -> MergeKey {
    use std::hash::{Hash, Hasher};
    let mut h = std::collections::hash_map::DefaultHasher::new();
    merge_text(d).hash(&mut h);
    (d.check, d.loc, h.finish())
}

fn merge_into(all: &mut Vec<Diagnostic>, index: &mut HashMap<MergeKey, usize>, d: Diagnostic) {
    let same =
        |o: &Diagnostic| o.check == d.check && o.loc == d.loc && merge_text(o) == merge_text(&d);
    let key = merge_key(&d);
    let at = match index.get(&key) {
        None => {
            index.insert(key, all.len());
            None
        }
        Some(&i) if same(&all[i]) => Some(i),
        // Two different findings with one hash: find the one it merges with, if any.
        Some(_) => all.iter().position(same),
    };
    match at {
        Some(i) => all[i].absorb(d),
        None => all.push(d),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
        let mut all = Vec::new();
        let mut index = HashMap::new();
        for d in [
            ruled("a", 0, Severity::Warning),
            ruled("b", 0, Severity::Warning),
            ruled("a", 1, Severity::Warning),
            ruled("a", 0, Severity::Error),
            problem("x"),
            problem("y"),
            problem("x"),
        ] {
            merge_into(&mut all, &mut index, d);
        }
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
