//! Applying fixes: `--diff` prints them as a unified diff, `--fix` writes them.
//!
//! Invariants (tested in `tests/integration/autofix.rs`):
//! - Only the bytes inside a fix's span change; everything else in the file, BOM, line
//!   endings and the final newline included, is kept byte for byte. Offsets are mapped to the
//!   file on disk with [`SourceFile::original_offset`].
//! - A file is written only when it is under one of the checked paths (an include such as
//!   `-r ../other/requirements.txt` leads outside: reported, not written), when it still
//!   holds what was checked (re-read and compared just before writing), and when its encoding
//!   can carry the replacement (UTF-16 files are refused; Latin-1 files take ASCII only).
//! - Writes go to a temporary file in the same directory, created 0600 and never through a
//!   link, given the original's owner, mode and extended attributes through its
//!   descriptor, which then replaces the original by rename after a last check that the
//!   original still holds the checked bytes ([`write`]). Refusals (read-only, hard-linked,
//!   changed) are notes; I/O errors exit 2.
//! - Overlapping edits: the first is applied, the rest wait for the next round; `--fix`
//!   re-checks and repeats up to [`MAX_ROUNDS`] times, so one invocation converges.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};

use crate::diagnostic::{Applicability, Diagnostic};
use crate::files::read_capped;
use crate::manifest::FileId;
use crate::run::Outcome;
use crate::source::{Encoding, Excerpt, Excerpts, SourceFile};

/// How many check -> fix rounds `--fix` runs at most.
pub(crate) const MAX_ROUNDS: usize = 5;

/// One edit in original byte offsets.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Edit {
    pub start: usize,
    pub end: usize,
    pub text: Vec<u8>,
}

/// The edits for one file, with the bytes they apply to.
#[derive(Debug)]
pub(crate) struct FilePlan {
    /// The path to write (symlinks resolved).
    pub path: PathBuf,
    pub display: String,
    pub original: Vec<u8>,
    pub edits: Vec<Edit>,
}

impl FilePlan {
    pub(crate) fn fixed(&self) -> Vec<u8> {
        apply_edits(&self.original, &self.edits)
    }
}

/// Why a fix was not applied.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub(crate) struct Skip {
    pub display: String,
    pub line: usize,
    pub code: &'static str,
    pub reason: String,
    pub unsafe_fix: bool,
    /// Which fix (its place and text, hashed): findings sharing one fix share one note.
    pub fix_key: u64,
}

#[derive(Debug, Default)]
pub(crate) struct Plan {
    pub files: Vec<FilePlan>,
    pub skipped: Vec<Skip>,
    /// Fixes held back because they overlap an edit applied in this round.
    pub deferred: usize,
    /// The findings whose fix is among the edits of `files[i]`, by `i`.
    pub applies: Vec<(usize, FixedFinding)>,
}

/// A finding whose own fix was written (`--fix`), by what names it across runs: the file it
/// is reported in, its code, rule and package, and the file the fix went into (for a
/// generated file: its source, `generated::mark_fixed`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FixedFinding {
    pub file: String,
    pub code: &'static str,
    pub rule: Option<String>,
    pub package: Option<String>,
    pub fixed_in: String,
}

impl Plan {
    pub(crate) fn edit_count(&self) -> usize {
        self.files.iter().map(|f| f.edits.len()).sum()
    }
}

/// The directories fixes may write into: each directory given, and the directory of each
/// file given.
pub(crate) fn roots(paths: &[PathBuf]) -> Vec<PathBuf> {
    paths
        .iter()
        .filter_map(|p| {
            let c = std::fs::canonicalize(p).ok()?;
            if c.is_dir() {
                Some(c)
            } else {
                c.parent().map(Path::to_path_buf)
            }
        })
        .collect()
}

/// Collect the fixes of a check's outcome into per-file edits.
pub(crate) fn plan(outcome: &Outcome, roots: &[PathBuf], unsafe_fixes: bool) -> Plan {
    let mut plan = Plan::default();
    let mut by_file: BTreeMap<FileId, Vec<(&Diagnostic, Edit)>> = BTreeMap::new();
    let files: &Excerpts = &outcome.files;
    for d in &outcome.diagnostics {
        let Some(fix) = &d.fix else { continue };
        if d.suppressed.is_some() {
            continue;
        }
        let file = files.get(fix.loc.file);
        let skip = |reason: String, unsafe_fix: bool| Skip {
            display: file.display.clone(),
            line: finding_line(files, d),
            code: d.code(),
            reason,
            unsafe_fix,
            fix_key: fix_key(fix),
        };
        if fix.applicability == Applicability::Unsafe && !unsafe_fixes {
            let why = fix
                .reason
                .clone()
                .unwrap_or_else(|| "the fix is unsafe".into());
            plan.skipped.push(skip(why, true));
            continue;
        }
        // A file with CR-only line endings gets CR-only endings in inserted lines too.
        // (The formats pick LF or CRLF, `formats::edit`; this keeps old Mac files consistent.)
        let cr_only = file.cr_only();
        let replacement = if cr_only && fix.replacement.contains('\n') {
            std::borrow::Cow::Owned(fix.replacement.replace("\r\n", "\r").replace('\n', "\r"))
        } else {
            std::borrow::Cow::Borrowed(fix.replacement.as_str())
        };
        let text = match encode(&file.encoding, &replacement) {
            Ok(t) => t,
            Err(why) => {
                plan.skipped.push(skip(why, false));
                continue;
            }
        };
        let edit = Edit {
            start: file.original_offset(fix.loc.span.start),
            end: file.original_offset(fix.loc.span.end),
            text,
        };
        by_file.entry(fix.loc.file).or_default().push((d, edit));
    }
    for (id, items) in by_file {
        let file = files.get(id);
        let skip_all = |plan: &mut Plan, reason: String| {
            for (d, _) in &items {
                plan.skipped.push(Skip {
                    display: file.display.clone(),
                    line: finding_line(files, d),
                    code: d.code(),
                    reason: reason.clone(),
                    unsafe_fix: false,
                    fix_key: d.fix.as_ref().map(fix_key).unwrap_or(0),
                });
            }
        };
        let path = match std::fs::canonicalize(&file.path) {
            Ok(p) => p,
            Err(e) => {
                skip_all(&mut plan, format!("cannot resolve the path: {e}"));
                continue;
            }
        };
        if !roots.iter().any(|r| path.starts_with(r)) {
            skip_all(
                &mut plan,
                "the file is outside the checked paths (reached through an include); not written"
                    .into(),
            );
            continue;
        }
        let original = match read_capped(&path) {
            Ok(b) => b,
            Err(e) => {
                skip_all(&mut plan, format!("cannot read the file again: {e}"));
                continue;
            }
        };
        if same_content(file, &original).is_none() {
            skip_all(
                &mut plan,
                "the file changed on disk since it was checked; not written".into(),
            );
            continue;
        }
        // Same edit proposed by several findings: once.
        let mut edits: Vec<Edit> = Vec::new();
        let proposed: Vec<(&Diagnostic, Edit)> = items.clone();
        for (_, e) in items {
            if !edits.contains(&e) {
                edits.push(e);
            }
        }
        // Stable sort: insertions at one offset keep the findings' order.
        edits.sort_by_key(|e| (e.start, e.end));
        let mut kept: Vec<Edit> = Vec::new();
        for e in edits {
            if kept.iter().any(|k| overlaps(k, &e)) || e.end > original.len() {
                plan.deferred += 1;
            } else {
                kept.push(e);
            }
        }
        for (d, e) in &proposed {
            if kept.contains(e) {
                plan.applies.push((
                    plan.files.len(),
                    FixedFinding {
                        file: files.get(d.loc.file).display.clone(),
                        code: d.code(),
                        rule: d.rule.clone(),
                        package: d.package.clone(),
                        fixed_in: file.display.clone(),
                    },
                ));
            }
        }
        plan.files.push(FilePlan {
            path,
            display: file.display.clone(),
            original,
            edits: kept,
        });
    }
    // Several findings may share one fix (and one reason): one note each.
    let mut seen = std::collections::HashSet::new();
    plan.skipped.retain(|s| seen.insert(s.clone()));
    plan
}

fn fix_key(fix: &crate::diagnostic::Fix) -> u64 {
    use std::hash::{Hash, Hasher};
    let mut h = std::collections::hash_map::DefaultHasher::new();
    (fix.loc.file, fix.loc.span.start, fix.loc.span.end).hash(&mut h);
    fix.replacement.hash(&mut h);
    h.finish()
}

/// The line a note about a finding's fix names: the finding's own line (an inserted
/// requirement's fix sits on the next line, but the finding is where the user looks).
fn finding_line(files: &Excerpts, d: &Diagnostic) -> usize {
    files.get(d.loc.file).position(d.loc.span.start).line
}

/// Two edits overlap when they share a byte, or one inserts strictly inside the other.
fn overlaps(a: &Edit, b: &Edit) -> bool {
    let shared = a.start.max(b.start) < a.end.min(b.end);
    let inside = |x: &Edit, y: &Edit| x.start == x.end && y.start < x.start && x.start < y.end;
    shared || inside(a, b) || inside(b, a)
}

/// The replacement as bytes in the file's encoding.
fn encode(encoding: &Encoding, replacement: &str) -> Result<Vec<u8>, String> {
    match encoding {
        Encoding::Utf8 | Encoding::Utf8Bom => Ok(replacement.as_bytes().to_vec()),
        Encoding::Latin1 { .. } if replacement.is_ascii() => Ok(replacement.as_bytes().to_vec()),
        Encoding::Latin1 { .. } => {
            Err("the file is Latin-1 and the fix is not plain ASCII; not written".into())
        }
        Encoding::Utf16 { .. } => {
            Err("the file is UTF-16; fixes are only written to UTF-8 and Latin-1 files".into())
        }
    }
}

/// The file decoded again from `bytes`, when they still decode to the text that was
/// checked (the report kept only an excerpt and a digest of it: [`Excerpt::same_text`]).
fn same_content(file: &Excerpt, bytes: &[u8]) -> Option<SourceFile> {
    let again = SourceFile::from_bytes(&file.path, file.display.clone(), bytes);
    file.same_text(&again).then_some(again)
}

/// Apply sorted, non-overlapping edits.
pub(crate) fn apply_edits(original: &[u8], edits: &[Edit]) -> Vec<u8> {
    let mut out = Vec::with_capacity(original.len() + 64);
    let mut at = 0;
    for e in edits {
        let start = e.start.clamp(at, original.len());
        out.extend_from_slice(&original[at..start]);
        out.extend_from_slice(&e.text);
        at = e.end.clamp(start, original.len());
    }
    out.extend_from_slice(&original[at..]);
    out
}

/// Why a file was not written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum WriteError {
    /// Refused by design (read-only, hard-linked, changed since the check, attributes or
    /// owner that cannot be kept): a note; the exit code follows the findings.
    Refused(String),
    /// The write failed (I/O error): exit code 2.
    Io(String),
}

impl std::fmt::Display for WriteError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            WriteError::Refused(m) | WriteError::Io(m) => f.write_str(m),
        }
    }
}

/// Test hook: when this variable names a directory, [`write`] creates `paused` in it after
/// the temporary file is written and synced, and waits (at most a minute) for `resume`
/// before the last check and the rename. The race and interrupt tests use it.
pub(crate) const PAUSE_HOOK: &str = "DEPWINDOW_TEST_PAUSE_BEFORE_RENAME";

/// Write one file's fixes like a careful editor:
/// - the original is opened without following links and checked through its descriptor:
///   a regular file, one link (a hard-linked file is refused: a rename would break the
///   link), writable by its owner (read-only files are refused), and still holding the
///   bytes the fix was computed from;
/// - the temporary file beside it is created exclusively (`O_EXCL`, `O_NOFOLLOW`) with mode
///   0600, then given the original's owner (when permitted; else refused) and mode and its
///   extended attributes through the descriptor, never by path;
/// - it is written and synced; just before the rename the original is checked again (same
///   inode, same bytes), so a concurrent edit is never lost: the fix is refused instead;
/// - SIGINT / SIGTERM while the temporary file exists remove it ([`signals`]).
pub(crate) fn write(fp: &FilePlan) -> Result<(), WriteError> {
    #[cfg(unix)]
    {
        unix_write::write(fp)
    }
    #[cfg(not(unix))]
    {
        portable_write(fp)
    }
}

#[cfg(not(unix))]
fn portable_write(fp: &FilePlan) -> Result<(), WriteError> {
    let now = read_capped(&fp.path).map_err(|e| WriteError::Io(format!("cannot read: {e}")))?;
    if now != fp.original {
        return Err(WriteError::Refused(
            "the file changed on disk while fixing; not written".into(),
        ));
    }
    let tmp = fp.path.with_extension("depwindow.tmp");
    std::fs::write(&tmp, fp.fixed())
        .and_then(|_| std::fs::rename(&tmp, &fp.path))
        .map_err(|e| {
            let _ = std::fs::remove_file(&tmp);
            WriteError::Io(format!("cannot write: {e}"))
        })
}

#[cfg(unix)]
mod unix_write {
    use std::ffi::{CString, OsStr};
    use std::fs::{File, OpenOptions};
    use std::io::{Read, Write};
    use std::os::fd::AsRawFd;
    use std::os::unix::ffi::OsStrExt;
    use std::os::unix::fs::{MetadataExt, OpenOptionsExt};
    use std::path::{Path, PathBuf};

    use super::{signals, FilePlan, WriteError, PAUSE_HOOK};
    use crate::files::MAX_FILE_SIZE;

    fn refused(m: impl Into<String>) -> WriteError {
        WriteError::Refused(m.into())
    }

    fn io(what: &str, e: std::io::Error) -> WriteError {
        WriteError::Io(format!("{what}: {e}"))
    }

    fn open_original(path: &Path) -> Result<File, WriteError> {
        OpenOptions::new()
            .read(true)
            .custom_flags(libc::O_NOFOLLOW | libc::O_NONBLOCK | libc::O_CLOEXEC)
            .open(path)
            .map_err(|e| match e.raw_os_error() {
                Some(libc::ELOOP) => refused(
                    "the file was replaced by a symbolic link since it was checked; not written",
                ),
                Some(libc::ENOENT) => {
                    refused("the file was removed or renamed since it was checked; not written")
                }
                _ => io("cannot open the file again", e),
            })
    }

    fn read_all(f: &mut File) -> Result<Vec<u8>, WriteError> {
        let mut bytes = Vec::new();
        f.take(MAX_FILE_SIZE + 1)
            .read_to_end(&mut bytes)
            .map_err(|e| io("cannot read the file again", e))?;
        Ok(bytes)
    }

    /// Extended attributes are handled on Linux; elsewhere none are seen (documented).
    #[cfg(not(target_os = "linux"))]
    fn xattr_names(_fd: i32) -> Result<Vec<CString>, std::io::Error> {
        Ok(Vec::new())
    }

    #[cfg(not(target_os = "linux"))]
    fn copy_xattr(_from: i32, _to: i32, _name: &CString) -> Result<(), std::io::Error> {
        Ok(())
    }

    /// The names of the file's extended attributes.
    #[cfg(target_os = "linux")]
    fn xattr_names(fd: i32) -> Result<Vec<CString>, std::io::Error> {
        // SAFETY: a null buffer of size 0 asks for the size only.
        let n = unsafe { libc::flistxattr(fd, std::ptr::null_mut(), 0) };
        if n < 0 {
            let e = std::io::Error::last_os_error();
            return match e.raw_os_error() {
                Some(libc::ENOTSUP) => Ok(Vec::new()),
                _ => Err(e),
            };
        }
        if n == 0 {
            return Ok(Vec::new());
        }
        let mut buf = vec![0u8; n as usize];
        // SAFETY: the buffer holds `buf.len()` bytes.
        let n = unsafe { libc::flistxattr(fd, buf.as_mut_ptr().cast(), buf.len()) };
        if n < 0 {
            return Err(std::io::Error::last_os_error());
        }
        buf.truncate(n as usize);
        Ok(buf
            .split(|&b| b == 0)
            .filter(|s| !s.is_empty())
            .filter_map(|s| CString::new(s).ok())
            .collect())
    }

    /// One extended attribute's value, None when the file does not have it.
    #[cfg(target_os = "linux")]
    fn get_xattr(fd: i32, name: &CString) -> Result<Option<Vec<u8>>, std::io::Error> {
        // SAFETY: size query with a null buffer.
        let n = unsafe { libc::fgetxattr(fd, name.as_ptr(), std::ptr::null_mut(), 0) };
        if n < 0 {
            let e = std::io::Error::last_os_error();
            return match e.raw_os_error() {
                Some(libc::ENODATA) => Ok(None),
                _ => Err(e),
            };
        }
        let mut value = vec![0u8; n as usize];
        // SAFETY: the buffer holds `value.len()` bytes.
        let n =
            unsafe { libc::fgetxattr(fd, name.as_ptr(), value.as_mut_ptr().cast(), value.len()) };
        if n < 0 {
            return Err(std::io::Error::last_os_error());
        }
        value.truncate(n as usize);
        Ok(Some(value))
    }

    /// Copy one extended attribute from `from` to `to`, both descriptors. One the new file
    /// already has with the same value (an SELinux label inherited from the directory) is
    /// left alone, so an unprivileged user is not refused for it.
    #[cfg(target_os = "linux")]
    fn copy_xattr(from: i32, to: i32, name: &CString) -> Result<(), std::io::Error> {
        let Some(value) = get_xattr(from, name)? else {
            return Ok(());
        };
        if get_xattr(to, name).ok().flatten().as_ref() == Some(&value) {
            return Ok(());
        }
        let n = value.len();
        // SAFETY: `value` holds `n` initialised bytes.
        let r = unsafe { libc::fsetxattr(to, name.as_ptr(), value.as_ptr().cast(), n, 0) };
        if r < 0 {
            return Err(std::io::Error::last_os_error());
        }
        Ok(())
    }

    fn pause_hook() {
        let Some(dir) = std::env::var_os(PAUSE_HOOK) else {
            return;
        };
        let dir = PathBuf::from(dir);
        let _ = std::fs::write(dir.join("paused"), b"");
        for _ in 0..6000 {
            if dir.join("resume").exists() {
                return;
            }
            std::thread::sleep(std::time::Duration::from_millis(10));
        }
    }

    /// Create the temporary file beside `path`: exclusively, never through a link, 0600.
    fn create_temp(path: &Path) -> Result<(PathBuf, File), WriteError> {
        let dir = path.parent().unwrap_or(Path::new("."));
        let name = path.file_name().unwrap_or(OsStr::new("file"));
        let mut n = 0u32;
        loop {
            let mut tmp_name = std::ffi::OsString::from(".");
            tmp_name.push(name);
            tmp_name.push(format!(".depwindow-{}-{n}.tmp", std::process::id()));
            let tmp = dir.join(tmp_name);
            // Registered before it exists, so an interrupt between create and register
            // cannot leave it behind (unlinking a name that does not exist is harmless).
            let guard = signals::TempGuard::new(&tmp);
            match OpenOptions::new()
                .write(true)
                .create_new(true)
                .mode(0o600)
                .custom_flags(libc::O_NOFOLLOW | libc::O_CLOEXEC)
                .open(&tmp)
            {
                Ok(f) => {
                    std::mem::forget(guard);
                    return Ok((tmp, f));
                }
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists && n < 100 => n += 1,
                Err(e) => return Err(io("cannot create a temporary file", e)),
            }
        }
    }

    pub(super) fn write(fp: &FilePlan) -> Result<(), WriteError> {
        let mut original = open_original(&fp.path)?;
        let meta = original
            .metadata()
            .map_err(|e| io("cannot read the file's metadata", e))?;
        if !meta.is_file() {
            return Err(refused("not a regular file any more; not written"));
        }
        if meta.nlink() > 1 {
            return Err(refused(format!(
                "the file has {} hard links, which replacing it would break; not written",
                meta.nlink()
            )));
        }
        // SAFETY: geteuid cannot fail.
        let euid = unsafe { libc::geteuid() };
        let mode = meta.mode() & 0o7777;
        let writable = if euid == meta.uid() || euid == 0 {
            mode & 0o200 != 0
        } else {
            let c = CString::new(fp.path.as_os_str().as_bytes())
                .map_err(|_| refused("the path holds a NUL byte; not written"))?;
            // SAFETY: `c` is a valid C string.
            unsafe { libc::access(c.as_ptr(), libc::W_OK) == 0 }
        };
        if !writable {
            return Err(refused("the file is read-only; not written"));
        }
        if read_all(&mut original)? != fp.original {
            return Err(refused(
                "the file changed on disk since it was checked; not written",
            ));
        }
        let names = xattr_names(original.as_raw_fd())
            .map_err(|e| io("cannot list the file's extended attributes", e))?;

        let _signals = signals::install();
        let (tmp, mut file) = create_temp(&fp.path)?;
        let cleanup = |e: WriteError| {
            let _ = std::fs::remove_file(&tmp);
            signals::TempGuard::release();
            e
        };
        let fd = file.as_raw_fd();
        // Owner first (changing it clears set-id bits), then mode, both on the descriptor.
        // SAFETY: geteuid/getegid cannot fail; fchown/fchmod take a valid descriptor.
        let same_owner = meta.uid() == euid && meta.gid() == unsafe { libc::getegid() };
        if !same_owner && unsafe { libc::fchown(fd, meta.uid(), meta.gid()) } != 0 {
            return Err(cleanup(refused(format!(
                "cannot keep the file's owner ({}:{}): {}; not written",
                meta.uid(),
                meta.gid(),
                std::io::Error::last_os_error()
            ))));
        }
        // SAFETY: valid descriptor.
        if unsafe { libc::fchmod(fd, mode as libc::mode_t) } != 0 {
            return Err(cleanup(io(
                "cannot set the permissions",
                std::io::Error::last_os_error(),
            )));
        }
        for name in &names {
            if let Err(e) = copy_xattr(original.as_raw_fd(), fd, name) {
                return Err(cleanup(refused(format!(
                    "cannot keep the extended attribute `{}` ({e}); not written",
                    crate::report::escape_display(&name.to_string_lossy())
                ))));
            }
        }
        if let Err(e) = file.write_all(&fp.fixed()).and_then(|_| file.sync_all()) {
            return Err(cleanup(io("cannot write", e)));
        }
        drop(file);
        pause_hook();
        // No lost update: the file must still be the one checked, with the same bytes.
        let mut again = open_original(&fp.path).map_err(cleanup)?;
        let now = again
            .metadata()
            .map_err(|e| io("cannot read the file's metadata", e));
        let same_file = now
            .as_ref()
            .is_ok_and(|m| m.dev() == meta.dev() && m.ino() == meta.ino() && m.nlink() == 1);
        let same_bytes = same_file && read_all(&mut again).is_ok_and(|b| b == fp.original);
        if !same_bytes {
            return Err(cleanup(refused(
                "the file changed on disk while the fix was written; not written",
            )));
        }
        if let Err(e) = std::fs::rename(&tmp, &fp.path) {
            return Err(cleanup(io("cannot replace the file", e)));
        }
        signals::TempGuard::release();
        // Make the rename itself durable (best effort: some file systems refuse it).
        if let Some(dir) = fp.path.parent() {
            if let Ok(d) = File::open(if dir.as_os_str().is_empty() {
                Path::new(".")
            } else {
                dir
            }) {
                let _ = d.sync_all();
            }
        }
        Ok(())
    }
}

/// SIGINT / SIGTERM / SIGHUP while a temporary file exists: the handler unlinks it (unlink
/// is async-signal-safe), restores the default action and re-raises, so the process still
/// ends by the signal, with no `.depwindow-*.tmp` left behind.
#[cfg(unix)]
mod signals {
    use std::ffi::CString;
    use std::os::unix::ffi::OsStrExt;
    use std::path::Path;
    use std::sync::atomic::{AtomicPtr, Ordering};

    static TEMP: AtomicPtr<libc::c_char> = AtomicPtr::new(std::ptr::null_mut());
    const SIGNALS: [libc::c_int; 3] = [libc::SIGINT, libc::SIGTERM, libc::SIGHUP];

    extern "C" fn on_signal(sig: libc::c_int) {
        let p = TEMP.load(Ordering::SeqCst);
        // SAFETY: only async-signal-safe calls; `p` is a leaked C string or null.
        unsafe {
            if !p.is_null() {
                libc::unlink(p);
            }
            libc::signal(sig, libc::SIG_DFL);
            libc::raise(sig);
        }
    }

    /// The temporary path the handler removes.
    pub(super) struct TempGuard;

    impl TempGuard {
        /// Register `path` (replacing any earlier one).
        pub(super) fn new(path: &Path) -> TempGuard {
            if let Ok(c) = CString::new(path.as_os_str().as_bytes()) {
                let old = TEMP.swap(c.into_raw(), Ordering::SeqCst);
                free(old);
            }
            TempGuard
        }

        /// Forget the registered path (it was renamed or removed).
        pub(super) fn release() {
            free(TEMP.swap(std::ptr::null_mut(), Ordering::SeqCst));
        }
    }

    impl Drop for TempGuard {
        fn drop(&mut self) {
            TempGuard::release();
        }
    }

    fn free(p: *mut libc::c_char) {
        if !p.is_null() {
            // SAFETY: `p` came from `CString::into_raw` and was swapped out, so it is freed
            // once. Only the main thread writes fixes; a handler running on it cannot race.
            drop(unsafe { CString::from_raw(p) });
        }
    }

    /// The handlers, installed for the duration of a write; the earlier actions are
    /// restored on drop.
    pub(super) struct Installed {
        old: Vec<(libc::c_int, libc::sigaction)>,
    }

    pub(super) fn install() -> Installed {
        let mut old = Vec::new();
        for sig in SIGNALS {
            // SAFETY: plain sigaction with a handler that only makes async-signal-safe
            // calls; `prev` receives the earlier action.
            unsafe {
                let mut prev: libc::sigaction = std::mem::zeroed();
                if libc::sigaction(sig, std::ptr::null(), &mut prev) != 0 {
                    continue;
                }
                // Leave an ignored signal ignored (nohup).
                if prev.sa_sigaction == libc::SIG_IGN {
                    continue;
                }
                let mut act: libc::sigaction = std::mem::zeroed();
                act.sa_sigaction = on_signal as extern "C" fn(libc::c_int) as usize;
                libc::sigemptyset(&mut act.sa_mask);
                if libc::sigaction(sig, &act, std::ptr::null_mut()) == 0 {
                    old.push((sig, prev));
                }
            }
        }
        Installed { old }
    }

    impl Drop for Installed {
        fn drop(&mut self) {
            for (sig, prev) in &self.old {
                // SAFETY: restoring an action read by sigaction.
                unsafe {
                    libc::sigaction(*sig, prev, std::ptr::null_mut());
                }
            }
        }
    }
}

/// What `--fix` did.
#[derive(Debug, Default)]
pub(crate) struct Summary {
    /// Edits written.
    pub fixed: usize,
    pub files_written: Vec<String>,
    /// Fixes not applied in the end, with why.
    pub skipped: Vec<Skip>,
    /// Fixes refused at write time (read-only, hard-linked, changed since the check ...):
    /// notes, like `skipped`.
    pub refused: Vec<String>,
    /// Write failures (I/O errors: exit code 2).
    pub errors: Vec<String>,
    /// The findings whose own fix was written.
    pub applied: Vec<FixedFinding>,
}

/// Check, fix, re-check until no fix applies (at most [`MAX_ROUNDS`] rounds). Returns the
/// outcome of the last check: the findings that remain.
pub(crate) fn fix_loop(
    first: Outcome,
    rerun: &dyn Fn() -> Outcome,
    roots: &[PathBuf],
    unsafe_fixes: bool,
) -> (Outcome, Summary) {
    let mut summary = Summary::default();
    let mut outcome = first;
    let mut round = 0;
    loop {
        let p = plan(&outcome, roots, unsafe_fixes);
        if p.edit_count() == 0 || round == MAX_ROUNDS {
            summary.skipped = p.skipped;
            break;
        }
        let mut wrote = false;
        for (i, fp) in p.files.iter().enumerate() {
            if fp.edits.is_empty() {
                continue;
            }
            match write(fp) {
                Ok(()) => {
                    wrote = true;
                    for (_, f) in p.applies.iter().filter(|(at, _)| *at == i) {
                        if !summary.applied.contains(f) {
                            summary.applied.push(f.clone());
                        }
                    }
                    summary.fixed += fp.edits.len();
                    if !summary.files_written.contains(&fp.display) {
                        summary.files_written.push(fp.display.clone());
                    }
                }
                Err(WriteError::Io(e)) => summary.errors.push(format!(
                    "`{}`: {e}",
                    crate::report::escape_display(&fp.display)
                )),
                Err(WriteError::Refused(reason)) => {
                    let n = fp.edits.len();
                    let note = format!(
                        "`{}`: {n} fix{} not applied: {reason}",
                        crate::report::escape_display(&fp.display),
                        if n == 1 { "" } else { "es" }
                    );
                    if !summary.refused.contains(&note) {
                        summary.refused.push(note);
                    }
                }
            }
        }
        round += 1;
        outcome = rerun();
        if !wrote {
            let p = plan(&outcome, roots, unsafe_fixes);
            summary.skipped = p.skipped;
            break;
        }
    }
    (outcome, summary)
}

/// A path in a diff header as git writes it (`quote_c_style`, `core.quotePath` on): in
/// double quotes, with C escapes and octal bytes, when it holds a control character, a
/// quote, a backslash or a non-ASCII byte; as is otherwise. `git apply` reads both.
pub(crate) fn git_quote(name: &str) -> String {
    let needs = |b: u8| b < 0x20 || b == 0x7f || b >= 0x80 || b == b'"' || b == b'\\';
    if !name.bytes().any(needs) {
        return name.to_owned();
    }
    let mut out = String::from("\"");
    for b in name.bytes() {
        match b {
            0x07 => out.push_str("\\a"),
            0x08 => out.push_str("\\b"),
            b'\t' => out.push_str("\\t"),
            b'\n' => out.push_str("\\n"),
            0x0b => out.push_str("\\v"),
            0x0c => out.push_str("\\f"),
            b'\r' => out.push_str("\\r"),
            b'"' => out.push_str("\\\""),
            b'\\' => out.push_str("\\\\"),
            b if needs(b) => out.push_str(&format!("\\{b:03o}")),
            b => out.push(b as char),
        }
    }
    out.push('"');
    out
}

/// Lines of `bytes`, each with its terminator; `starts[i]` is where line i begins.
fn line_starts(bytes: &[u8]) -> Vec<usize> {
    let mut v = vec![0];
    for (i, &b) in bytes.iter().enumerate() {
        if b == b'\n' && i + 1 < bytes.len() {
            v.push(i + 1);
        }
    }
    if bytes.is_empty() {
        v.clear();
    }
    v
}

/// A unified diff (`git apply` / `patch -p1` compatible) of one file's edits, with three
/// lines of context.
pub(crate) fn unified_diff(fp: &FilePlan) -> Vec<u8> {
    const CONTEXT: usize = 3;
    let old = &fp.original;
    let starts = line_starts(old);
    let nlines = starts.len();
    let line_of = |off: usize| match starts.binary_search(&off) {
        Ok(i) => i,
        Err(i) => i.saturating_sub(1),
    };
    let line_start = |l: usize| starts.get(l).copied().unwrap_or(old.len());
    // The old line range [a, b) each edit touches.
    let mut ranges: Vec<(usize, usize, Vec<&Edit>)> = Vec::new();
    for e in &fp.edits {
        let a = if e.start >= old.len() {
            nlines
        } else {
            line_of(e.start)
        };
        let pure_line_insert = e.start == e.end
            && (e.start == line_start(a) || e.start >= old.len())
            && (e.text.ends_with(b"\n") || e.start >= old.len());
        let b = if pure_line_insert {
            a
        } else if e.end >= old.len() {
            nlines
        } else {
            line_of(e.end.max(e.start)) + 1
        };
        // An insertion at the end of a file without a final newline changes the last line.
        let (a, b) = if e.start >= old.len() && !old.is_empty() && !old.ends_with(b"\n") {
            (nlines - 1, nlines)
        } else {
            (a, b.max(a))
        };
        match ranges.last_mut() {
            Some(last) if a <= last.1 + 2 * CONTEXT => {
                last.0 = last.0.min(a);
                last.1 = last.1.max(b);
                last.2.push(e);
            }
            _ => ranges.push((a, b, vec![e])),
        }
    }
    let mut out = Vec::new();
    if ranges.is_empty() {
        return out;
    }
    out.extend_from_slice(
        format!(
            "--- {}\n+++ {}\n",
            git_quote(&format!("a/{}", fp.display)),
            git_quote(&format!("b/{}", fp.display))
        )
        .as_bytes(),
    );
    let mut delta: isize = 0;
    for (a, b, edits) in ranges {
        let ctx_a = a.saturating_sub(CONTEXT);
        let ctx_b = (b + CONTEXT).min(nlines);
        let seg_start = line_start(a);
        let seg_end = line_start(b);
        let local: Vec<Edit> = edits
            .iter()
            .map(|e| Edit {
                start: e.start.clamp(seg_start, seg_end) - seg_start,
                end: e.end.clamp(seg_start, seg_end) - seg_start,
                text: e.text.clone(),
            })
            .collect();
        let new_seg = apply_edits(&old[seg_start..seg_end], &local);
        let old_lines = split_lines(&old[seg_start..seg_end]);
        let new_lines = split_lines(&new_seg);
        let before = split_lines(&old[line_start(ctx_a)..seg_start]);
        let after = split_lines(&old[seg_end..line_start(ctx_b)]);
        let old_count = before.len() + old_lines.len() + after.len();
        let new_count = before.len() + new_lines.len() + after.len();
        let old_start = if old_count == 0 { ctx_a } else { ctx_a + 1 };
        let new_first = (ctx_a as isize + delta) as usize;
        let new_start = if new_count == 0 {
            new_first
        } else {
            new_first + 1
        };
        out.extend_from_slice(
            format!("@@ -{old_start},{old_count} +{new_start},{new_count} @@\n").as_bytes(),
        );
        let body = line_diff(&old_lines, &new_lines);
        let lines = before
            .iter()
            .map(|l| (b' ', *l))
            .chain(body)
            .chain(after.iter().map(|l| (b' ', *l)));
        for (prefix, l) in lines {
            out.push(prefix);
            out.extend_from_slice(l);
            if !l.ends_with(b"\n") {
                out.extend_from_slice(b"\n\\ No newline at end of file\n");
            }
        }
        delta += new_lines.len() as isize - old_lines.len() as isize;
    }
    out
}

/// The lines of a hunk as a minimal edit script: a line both sides keep is context (`' '`),
/// never removed and added again. Common prefix and suffix first, then a longest common
/// subsequence over what is left; past `MAX_LCS_CELLS` (a huge hunk) the middle is
/// shown as removed then added, which is still a correct diff.
fn line_diff<'a>(old: &[&'a [u8]], new: &[&'a [u8]]) -> Vec<(u8, &'a [u8])> {
    const MAX_LCS_CELLS: usize = 1 << 22;
    let prefix = old.iter().zip(new).take_while(|(a, b)| a == b).count();
    let suffix = old[prefix..]
        .iter()
        .rev()
        .zip(new[prefix..].iter().rev())
        .take_while(|(a, b)| a == b)
        .count();
    let (o, n) = (
        &old[prefix..old.len() - suffix],
        &new[prefix..new.len() - suffix],
    );
    let mut out: Vec<(u8, &[u8])> = old[..prefix].iter().map(|l| (b' ', *l)).collect();
    if o.len().saturating_mul(n.len()) > MAX_LCS_CELLS {
        out.extend(o.iter().map(|l| (b'-', *l)));
        out.extend(n.iter().map(|l| (b'+', *l)));
    } else {
        // lcs[i][j]: the longest common subsequence of o[i..] and n[j..].
        let w = n.len() + 1;
        let mut lcs = vec![0u32; (o.len() + 1) * w];
        for i in (0..o.len()).rev() {
            for j in (0..n.len()).rev() {
                lcs[i * w + j] = if o[i] == n[j] {
                    lcs[(i + 1) * w + j + 1] + 1
                } else {
                    lcs[(i + 1) * w + j].max(lcs[i * w + j + 1])
                };
            }
        }
        let (mut i, mut j) = (0, 0);
        while i < o.len() || j < n.len() {
            if i < o.len() && j < n.len() && o[i] == n[j] {
                out.push((b' ', o[i]));
                i += 1;
                j += 1;
            } else if i < o.len() && (j == n.len() || lcs[(i + 1) * w + j] >= lcs[i * w + j + 1]) {
                // Removals before additions where both are minimal, as diff programs do.
                out.push((b'-', o[i]));
                i += 1;
            } else {
                out.push((b'+', n[j]));
                j += 1;
            }
        }
    }
    out.extend(old[old.len() - suffix..].iter().map(|l| (b' ', *l)));
    out
}

fn split_lines(bytes: &[u8]) -> Vec<&[u8]> {
    let mut v = Vec::new();
    let mut start = 0;
    for (i, &b) in bytes.iter().enumerate() {
        if b == b'\n' {
            v.push(&bytes[start..=i]);
            start = i + 1;
        }
    }
    if start < bytes.len() {
        v.push(&bytes[start..]);
    }
    v
}

/// What to tell the user about fixes left alone.
pub(crate) fn skipped_note(skipped: &[Skip]) -> Vec<String> {
    let mut out = Vec::new();
    let unsafe_count = skipped.iter().filter(|s| s.unsafe_fix).count();
    if unsafe_count > 0 {
        let mut reasons: Vec<&str> = skipped
            .iter()
            .filter(|s| s.unsafe_fix)
            .map(|s| s.reason.as_str())
            .collect();
        reasons.dedup();
        out.push(format!(
            "{unsafe_count} unsafe fix{} not applied ({}); use `--unsafe-fixes` to apply {}",
            if unsafe_count == 1 { "" } else { "es" },
            reasons.join("; "),
            if unsafe_count == 1 { "it" } else { "them" }
        ));
    }
    // One note per file and reason: a file-wide reason (UTF-16, outside the checked paths)
    // is said once, with the lines it affects, not once per fix.
    let mut groups: Vec<(&str, &str, Vec<&Skip>)> = Vec::new();
    for s in skipped.iter().filter(|s| !s.unsafe_fix) {
        match groups
            .iter_mut()
            .find(|(d, r, _)| *d == s.display && *r == s.reason)
        {
            Some(g) => g.2.push(s),
            None => groups.push((&s.display, &s.reason, vec![s])),
        }
    }
    for (display, reason, items) in groups {
        let display = crate::report::escape_display(display);
        let reason = crate::report::escape_display(reason);
        match items[..] {
            [s] => out.push(format!(
                "{display}:{}: {} fix not applied: {reason}",
                s.line, s.code
            )),
            _ => {
                let mut lines: Vec<usize> = items.iter().map(|s| s.line).collect();
                lines.sort_unstable();
                lines.dedup();
                let lines: Vec<String> = lines.iter().map(usize::to_string).collect();
                out.push(format!(
                    "{display}:{}: {} fixes not applied (line{} {}): {reason}",
                    items[0].line,
                    items.len(),
                    if lines.len() == 1 { "" } else { "s" },
                    lines.join(", ")
                ));
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fp(original: &str, edits: &[(usize, usize, &str)]) -> FilePlan {
        FilePlan {
            path: PathBuf::from("r.txt"),
            display: "r.txt".into(),
            original: original.as_bytes().to_vec(),
            edits: edits
                .iter()
                .map(|&(start, end, t)| Edit {
                    start,
                    end,
                    text: t.as_bytes().to_vec(),
                })
                .collect(),
        }
    }

    #[test]
    fn edits_apply_in_order_and_keep_the_rest() {
        let f = fp(
            "a\nnumpy>=1.16\nc",
            &[(2, 2, "tf\n"), (7, 13, ">=1.16,<1.17")],
        );
        assert_eq!(f.fixed(), b"a\ntf\nnumpy>=1.16,<1.17\nc");
    }

    #[test]
    fn overlap_rules() {
        let e = |s, e| Edit {
            start: s,
            end: e,
            text: vec![],
        };
        assert!(overlaps(&e(0, 5), &e(4, 6)));
        assert!(!overlaps(&e(0, 5), &e(5, 6)));
        assert!(!overlaps(&e(3, 3), &e(3, 3)));
        assert!(overlaps(&e(3, 3), &e(1, 5)));
        assert!(!overlaps(&e(5, 5), &e(1, 5)));
    }

    #[test]
    fn diff_shows_lines_the_fixes_leave_alone_as_context() {
        // setup.py: an element inserted after the TensorFlow line, a version narrowed two
        // lines below; the TensorFlow and matplotlib lines stay context.
        let text = "install_requires=[\n    'tensorflow==1.14.0',\n    'matplotlib>=3.0',\n    'numpy>=1.16',\n]\n";
        let tf_end = text.find("',\n    'mat").unwrap() + 3;
        let np = text.find(">=1.16").unwrap() + 6;
        let d = unified_diff(&fp(
            text,
            &[
                (tf_end, tf_end, "    'gast>=0.2.0,<0.3',\n"),
                (np, np, ",<1.17"),
            ],
        ));
        let d = String::from_utf8(d).unwrap();
        assert_eq!(
            d,
            "--- a/r.txt\n+++ b/r.txt\n@@ -1,5 +1,6 @@\n install_requires=[\n     'tensorflow==1.14.0',\n+    'gast>=0.2.0,<0.3',\n     'matplotlib>=3.0',\n-    'numpy>=1.16',\n+    'numpy>=1.16,<1.17',\n ]\n"
        );
    }

    #[test]
    fn diff_names_are_quoted_as_git_quotes_them() {
        assert_eq!(git_quote("a/requirements.txt"), "a/requirements.txt");
        assert_eq!(git_quote("a/x\ny.txt"), "\"a/x\\ny.txt\"");
        assert_eq!(
            git_quote("a/q\"\\\u{1b}é"),
            "\"a/q\\\"\\\\\\033\\303\\251\""
        );
    }

    #[test]
    fn diff_of_an_insertion_and_a_final_line_without_newline() {
        let f = fp(
            "tf\nnumpy>=1.16",
            &[(3, 3, "gast<0.3\n"), (14, 14, ",<1.17")],
        );
        let d = String::from_utf8(unified_diff(&f)).unwrap();
        assert_eq!(
            d,
            "--- a/r.txt\n+++ b/r.txt\n@@ -1,2 +1,3 @@\n tf\n-numpy>=1.16\n\\ No newline at end of file\n+gast<0.3\n+numpy>=1.16,<1.17\n\\ No newline at end of file\n"
        );
    }
}

/// What the command line asked for.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Mode {
    /// `--diff`: print, write nothing.
    pub diff: bool,
    pub unsafe_fixes: bool,
}

/// `--fix` / `--diff` from the command line. `first` is the outcome of the first check;
/// `rerun` checks the same paths again. With `--diff`, the diff is printed here and the
/// returned outcome is None; with `--fix`, the outcome of the last check is returned with
/// what was done.
pub(crate) fn run_cli(
    mode: Mode,
    paths: &[PathBuf],
    first: Outcome,
    rerun: &dyn Fn() -> Outcome,
    out: &mut dyn Write,
) -> Result<(Option<Outcome>, Summary), String> {
    if paths.iter().any(|p| p.as_os_str() == "-") {
        return Err("`--fix` and `--diff` need files, not standard input".into());
    }
    let default = [PathBuf::from(".")];
    let roots = roots(if paths.is_empty() { &default } else { paths });
    if mode.diff {
        let p = plan(&first, &roots, mode.unsafe_fixes);
        let mut summary = Summary {
            skipped: p.skipped.clone(),
            ..Summary::default()
        };
        for fp in &p.files {
            let d = unified_diff(fp);
            if !d.is_empty() {
                summary.fixed += fp.edits.len();
                summary.files_written.push(fp.display.clone());
            }
            if let Err(e) = out.write_all(&d) {
                if e.kind() != std::io::ErrorKind::BrokenPipe {
                    return Err(format!("cannot write output: {e}"));
                }
            }
        }
        if p.deferred > 0 {
            summary.skipped.push(Skip {
                display: String::new(),
                line: 0,
                code: "",
                reason: format!(
                    "{} overlapping fix{} left for a later run (`--fix` applies them in rounds)",
                    p.deferred,
                    if p.deferred == 1 { "" } else { "es" }
                ),
                unsafe_fix: false,
                fix_key: 0,
            });
        }
        return Ok((None, summary));
    }
    let (outcome, summary) = fix_loop(first, rerun, &roots, mode.unsafe_fixes);
    Ok((Some(outcome), summary))
}

/// Print what `--fix` / `--diff` did (standard error, so machine-readable output on
/// standard output stays clean).
pub(crate) fn report(summary: &Summary, diff: bool) {
    let _ = std::io::stdout().flush();
    let files = summary.files_written.len();
    let verb = if diff { "would fix" } else { "fixed" };
    if summary.fixed > 0 {
        eprintln!(
            "depwindow: {verb} {} finding{} in {files} file{}",
            summary.fixed,
            if summary.fixed == 1 { "" } else { "s" },
            if files == 1 { "" } else { "s" }
        );
    }
    for line in skipped_note(&summary.skipped) {
        let line = line.trim_start_matches(":0: ").trim_start_matches(": ");
        eprintln!("depwindow: note: {line}");
    }
    for note in &summary.refused {
        eprintln!("depwindow: note: {note}");
    }
    for e in &summary.errors {
        eprintln!("depwindow: error: {e}");
    }
}

/// `--add-noqa`: write `# depwindow: ignore[CODES]` at the end of every line with an
/// unsuppressed finding, so a large repository can adopt the linter and fix later. The
/// comment goes on the last physical line of the finding's logical line (after a `\`
/// continuation, never before it: a comment after `\` would end the continuation and
/// orphan the `--hash` lines). Files whose format has no comments (JSON locks) are
/// skipped with a note, as are binary files. Written through [`write`], like fixes, and
/// only under the checked paths. Unused-suppression findings get no comment.
pub(crate) fn add_noqa(outcome: &Outcome, paths: &[PathBuf]) -> Summary {
    let default = [PathBuf::from(".")];
    let roots = roots(if paths.is_empty() { &default } else { paths });
    let files: &Excerpts = &outcome.files;
    let mut summary = Summary::default();
    // File -> the findings' spans and codes.
    let mut found: BTreeMap<FileId, Vec<(crate::source::Span, &'static str)>> = BTreeMap::new();
    for d in &outcome.diagnostics {
        if d.suppressed.is_some() || d.check == crate::diagnostic::Check::UnusedSuppression {
            continue;
        }
        found
            .entry(d.loc.file)
            .or_default()
            .push((d.loc.span, d.code()));
    }
    for (id, found) in found {
        let excerpt = files.get(id);
        let shown = crate::report::escape_display(&excerpt.display).into_owned();
        // A comment goes after the finding's logical line, which may run past the lines the
        // report kept: the file is read again, and used only if it still holds the text
        // that was checked.
        let again = read_capped(&excerpt.path)
            .ok()
            .and_then(|b| Some((same_content(excerpt, &b)?, b)));
        let Some((file, original)) = again else {
            let path = match std::fs::canonicalize(&excerpt.path) {
                Ok(p) => p,
                Err(e) => {
                    summary.errors.push(format!("`{shown}`: {e}"));
                    continue;
                }
            };
            let n = found.len();
            let why = if roots.iter().any(|r| path.starts_with(r)) {
                match read_capped(&path) {
                    Err(e) => {
                        summary.errors.push(format!("`{shown}`: {e}"));
                        continue;
                    }
                    Ok(_) => "the file changed on disk since it was checked",
                }
            } else {
                "the file is outside the checked paths"
            };
            summary.refused.push(format!(
                "`{shown}`: {n} suppression{} not added: {why}",
                if n == 1 { "" } else { "s" }
            ));
            continue;
        };
        // 0-based line -> codes.
        let mut lines: BTreeMap<usize, Vec<&'static str>> = BTreeMap::new();
        if file.line_count() > 0 {
            for (span, code) in found {
                let (_, last) = crate::suppress::logical_lines(&file, span);
                let codes = lines.entry(last).or_default();
                if !codes.contains(&code) {
                    codes.push(code);
                }
            }
        }
        if lines.is_empty() {
            continue;
        }
        let refuse = |summary: &mut Summary, why: &str| {
            summary.refused.push(format!(
                "`{shown}`: {} suppression{} not added: {why}",
                lines.len(),
                if lines.len() == 1 { "" } else { "s" }
            ));
        };
        if !crate::suppress::has_comments(&file) {
            refuse(&mut summary, "the format has no comments");
            continue;
        }
        if file.text.contains('\0') {
            refuse(&mut summary, "not a text file");
            continue;
        }
        let mut edits = Vec::new();
        let mut failed = None;
        for (line, mut codes) in lines.iter().map(|(l, c)| (*l, c.clone())) {
            codes.sort_unstable();
            let text = file.line_text(line);
            if text.trim_end().ends_with('\\') {
                // A continuation into the end of the file: a comment would end it.
                failed.get_or_insert("a line continues past the end of the file");
                continue;
            }
            if text.contains("depwindow:") {
                // A directive is there already (scan reads the first on a line).
                failed.get_or_insert("a line already holds a `depwindow:` comment");
                continue;
            }
            let end = file.line_start(line) + text.len();
            let comment = format!("  # depwindow: ignore[{}]", codes.join(", "));
            match encode(&file.encoding, &comment) {
                Ok(bytes) => {
                    let at = file.original_offset(end);
                    edits.push(Edit {
                        start: at,
                        end: at,
                        text: bytes,
                    });
                }
                Err(_) => {
                    failed.get_or_insert("its encoding cannot be written");
                }
            }
        }
        if let Some(why) = failed {
            summary
                .refused
                .push(format!("`{shown}`: some suppressions not added: {why}"));
        }
        if edits.is_empty() {
            continue;
        }
        let path = match std::fs::canonicalize(&file.path) {
            Ok(p) if roots.iter().any(|r| p.starts_with(r)) => p,
            Ok(_) => {
                refuse(&mut summary, "the file is outside the checked paths");
                continue;
            }
            Err(e) => {
                summary.errors.push(format!("`{shown}`: {e}"));
                continue;
            }
        };
        let n = edits.len();
        let fp = FilePlan {
            path,
            display: file.display.clone(),
            original,
            edits,
        };
        match write(&fp) {
            Ok(()) => {
                summary.fixed += n;
                summary.files_written.push(fp.display.clone());
            }
            Err(WriteError::Io(e)) => summary.errors.push(format!("`{shown}`: {e}")),
            Err(WriteError::Refused(why)) => refuse(&mut summary, &why),
        }
    }
    summary
}
