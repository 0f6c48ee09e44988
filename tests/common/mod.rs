//! Helpers shared by the integration-test modules (`tests/integration/main.rs` declares this
//! as `mod common`; each module uses it with `use crate::common;`).
// Not every helper is used in every build of the tests.
#![allow(dead_code)]

use std::io::Write;
use std::path::{Path, PathBuf};

/// Running under CI: `CI` set to anything but empty, `0` or `false` (insta reads it the same
/// way, so a snapshot mismatch fails there instead of writing a `.snap.new`).
pub fn on_ci() -> bool {
    std::env::var("CI").is_ok_and(|v| !matches!(v.as_str(), "" | "0" | "false"))
}

/// The one rule for a test that needs something from outside the repository (`../shared`,
/// Python with `packaging` or `poetry-core`, the SARIF schema, git, mkfifo): `found` is the
/// thing, or why it is missing. Under CI ([`on_ci`]) a missing requirement fails the test.
/// Elsewhere the test is skipped with a note written straight to stderr, past the test
/// harness's capture, so it shows even when the test passes.
pub fn require<T>(what: &str, found: Result<T, String>) -> Option<T> {
    match found {
        Ok(v) => Some(v),
        Err(why) => {
            assert!(!on_ci(), "CI is set but {what} is missing: {why}");
            note(&format!("skipped: {what} is missing: {why}"));
            None
        }
    }
}

/// A note on stderr that the test harness does not capture, prefixed with the test's name.
pub fn note(text: &str) {
    let thread = std::thread::current();
    let test = thread.name().unwrap_or("test");
    let _ = writeln!(std::io::stderr(), "note: {test}: {text}");
}

/// The Python the differential and schema tests run: `$DEPWINDOW_PYTHON`, else `python3`.
pub fn python() -> String {
    std::env::var("DEPWINDOW_PYTHON").unwrap_or_else(|_| "python3".into())
}

/// A Python oracle of the differential tests: a script run by [`python`] that prints its
/// library's version for `--version` and answers one JSON request on stdin with JSON on
/// stdout (`tests/differential/*_oracle.py`).
pub struct Oracle {
    python: String,
    script: PathBuf,
}

impl Oracle {
    /// The oracle `script` (relative to the crate root) when [`python`] runs it and it
    /// reports `library` at exactly `version`; else what [`require`] says (under CI the
    /// test fails, elsewhere it is skipped with a note).
    pub fn find(script: &str, library: &str, version: &str) -> Option<Oracle> {
        let python = python();
        let script = Path::new(env!("CARGO_MANIFEST_DIR")).join(script);
        let probe = std::process::Command::new(&python)
            .arg(&script)
            .arg("--version")
            .output();
        let found = match probe {
            Ok(o) if o.status.success() => {
                let v = String::from_utf8_lossy(&o.stdout).trim().to_string();
                if v == version {
                    Ok(())
                } else {
                    Err(format!("`{python}` has {library} {v}, not {version}"))
                }
            }
            Ok(o) => Err(format!(
                "`{python}` cannot import {library}: {}",
                String::from_utf8_lossy(&o.stderr)
            )),
            Err(e) => Err(format!("cannot run `{python}`: {e}")),
        };
        require(
            &format!("Python with {library} {version} (set DEPWINDOW_PYTHON)"),
            found,
        )?;
        Some(Oracle { python, script })
    }

    /// Send `request` as JSON and read the oracle's JSON reply; the oracle must succeed.
    pub fn ask<R: serde::de::DeserializeOwned>(&self, request: &impl serde::Serialize) -> R {
        use std::process::{Command, Stdio};
        let mut child = Command::new(&self.python)
            .arg(&self.script)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .expect("spawn python");
        let body = serde_json::to_vec(request).expect("json");
        child
            .stdin
            .take()
            .expect("stdin")
            .write_all(&body)
            .expect("write request");
        let out = child.wait_with_output().expect("python output");
        assert!(
            out.status.success(),
            "oracle {} failed",
            self.script.display()
        );
        serde_json::from_slice(&out.stdout).expect("oracle reply")
    }
}

/// The read-only `shared` folder beside the checkout (`../shared`), or beside the folder
/// that holds the worktree (`../../shared`).
pub fn shared_dir() -> Result<PathBuf, String> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    ["../shared", "../../shared"]
        .iter()
        .map(|d| root.join(d))
        .find(|p| p.join("FACTS.md").is_file())
        .ok_or_else(|| {
            format!(
                "no FACTS.md in ../shared or ../../shared from {}",
                root.display()
            )
        })
}

/// Assert that `actual` equals the `insta` snapshot `<dir>/<name>.snap`.
///
/// insta compares text with trailing whitespace trimmed and CRLF read as LF. Every output
/// snapshotted here is LF-only and ends in exactly one newline; that is asserted first, so
/// the comparison is byte-exact. A mismatch writes `<name>.snap.new` for `cargo insta review`
/// (outside CI; with `CI` set insta only fails), `INSTA_UPDATE=always` accepts directly.
pub fn snapshot(dir: &Path, name: &str, actual: &str) {
    assert!(
        !actual.contains('\r')
            && actual.ends_with('\n')
            && actual.trim_end().len() + 1 == actual.len(),
        "{}: {name}: output has a CR or does not end in exactly one newline:\n{actual:?}",
        dir.display()
    );
    let mut settings = insta::Settings::clone_current();
    settings.set_snapshot_path(dir);
    settings.set_prepend_module_to_snapshot(false);
    settings.set_omit_expression(true);
    if let Ok(rel) = dir.strip_prefix(env!("CARGO_MANIFEST_DIR")) {
        settings.set_input_file(rel);
    }
    settings.bind(|| insta::assert_snapshot!(name, actual));
}

/// Every fixture case directory, `fixtures/<format>/<case>/`, sorted.
pub fn fixture_cases() -> Vec<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures");
    let mut out = Vec::new();
    for format in std::fs::read_dir(&root).unwrap() {
        let format = format.unwrap().path();
        if !format.is_dir() {
            continue;
        }
        for case in std::fs::read_dir(&format).unwrap() {
            let case = case.unwrap().path();
            if case.is_dir() {
                out.push(case);
            }
        }
    }
    out.sort();
    out
}

/// The extra arguments a fixture's `cmd` file gives (none without one).
pub fn fixture_args(case: &Path) -> Vec<String> {
    std::fs::read_to_string(case.join("cmd"))
        .map(|s| s.split_whitespace().map(str::to_owned).collect())
        .unwrap_or_default()
}

/// `depwindow check --format json ARGS .` in a fixture, with its `cmd` arguments: the compact
/// JSON report, as a user gets it. Run once per fixture and test binary ([`once`]).
pub fn fixture_json(case: &Path) -> std::process::Output {
    once(&format!("fixture_json {}", case.display()), || {
        std::process::Command::new(env!("CARGO_BIN_EXE_depwindow"))
            .current_dir(case)
            .env_remove("DEPWINDOW_OUTPUT_FORMAT")
            .args(["check", "--format", "json"])
            .args(fixture_args(case))
            .arg(".")
            .output()
            .expect("run depwindow")
    })
}

/// The output of `run`, computed once per `key` in this test binary and shared by every test
/// that asks for it: several tests read the same report of the same fixture (the snapshot
/// test and the compact-versus-pretty test its pretty JSON, the message tests and that test
/// its compact JSON), and a second identical run of the binary on the same files would only
/// repeat the first (CI pays about 13 ms of CPU per run). `key` must name everything the
/// output depends on: the command, its arguments and the directory. Tests asking for the
/// same key at once wait for one run.
pub fn once(key: &str, run: impl FnOnce() -> std::process::Output) -> std::process::Output {
    use std::collections::HashMap;
    use std::sync::{Arc, Mutex, OnceLock};
    type Runs = Mutex<HashMap<String, Arc<OnceLock<std::process::Output>>>>;
    static RUNS: OnceLock<Runs> = OnceLock::new();
    let cell = RUNS
        .get_or_init(Runs::default)
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .entry(key.to_owned())
        .or_default()
        .clone();
    cell.get_or_init(run).clone()
}

/// splitmix64: tiny, deterministic, good enough to spread generated cases.
pub struct SplitMix(pub u64);

impl SplitMix {
    pub fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    pub fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
    pub fn pick<'a, T>(&mut self, xs: &'a [T]) -> &'a T {
        &xs[self.below(xs.len())]
    }
    pub fn pick_str<'a>(&mut self, xs: &[&'a str]) -> &'a str {
        xs[self.below(xs.len())]
    }
    pub fn chance(&mut self, percent: u64) -> bool {
        self.next() % 100 < percent
    }
}

/// xorshift64*: the byte-noise generator of the reader robustness tests.
pub struct XorShift(pub u64);

impl XorShift {
    pub fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
}

/// A new empty directory `depwindow-<kind>-<pid>-<n>-<name>` under the system temp dir.
fn fresh_dir(kind: &str, name: &str) -> PathBuf {
    use std::sync::atomic::{AtomicUsize, Ordering};
    static N: AtomicUsize = AtomicUsize::new(0);
    let dir = std::env::temp_dir().join(format!(
        "depwindow-{kind}-{}-{}-{name}",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed)
    ));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// A fresh scratch directory under the system temp dir (not under the repository, whose own
/// configuration must not apply), removed on drop.
pub struct Scratch(PathBuf);

impl Scratch {
    pub fn new(name: &str) -> Scratch {
        Scratch(fresh_dir("test", name))
    }
    pub fn write(&self, rel: &str, bytes: impl AsRef<[u8]>) -> &Self {
        let p = self.0.join(rel);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, bytes).unwrap();
        self
    }
    pub fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// What one run of the binary printed, and its exit code.
pub struct Out {
    pub stdout: String,
    pub stderr: String,
    pub code: i32,
}

/// Run the built binary in `dir` with `args`, extra environment `env` and optional standard
/// input, without colour or an inherited output format. Output must be UTF-8 and no panic.
pub fn run_in(dir: &Path, args: &[&str], env: &[(&str, &str)], stdin: Option<&[u8]>) -> Out {
    use std::process::{Command, Stdio};
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_depwindow"));
    cmd.current_dir(dir)
        .env_remove("DEPWINDOW_OUTPUT_FORMAT")
        .env("NO_COLOR", "1")
        .env_remove("NO_GRAPHICS")
        .args(args)
        .envs(env.iter().copied())
        .stdin(if stdin.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = cmd.spawn().expect("run depwindow");
    if let Some(bytes) = stdin {
        child.stdin.take().unwrap().write_all(bytes).unwrap();
    }
    let out = child.wait_with_output().unwrap();
    let o = Out {
        stdout: String::from_utf8(out.stdout).unwrap(),
        stderr: String::from_utf8(out.stderr).unwrap(),
        code: out.status.code().unwrap_or(-1),
    };
    assert!(!o.stderr.contains("panicked"), "panic: {}", o.stderr);
    o
}

/// A fresh temporary directory for a test that runs the binary on a project it builds
/// (`hardening`, `hostile`). Unprivileged children may enter it (0755); on drop the
/// permissions a test took away are restored, then it is removed.
#[cfg(unix)]
pub struct Tmp(PathBuf);

#[cfg(unix)]
impl Tmp {
    pub fn new(name: &str) -> Tmp {
        use std::os::unix::fs::PermissionsExt;
        let dir = fresh_dir("tmp", name);
        std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o755)).unwrap();
        Tmp(dir)
    }
    pub fn path(&self) -> &Path {
        &self.0
    }
    pub fn join(&self, rel: impl AsRef<Path>) -> PathBuf {
        self.0.join(rel)
    }
    pub fn write(&self, rel: impl AsRef<Path>, data: impl AsRef<[u8]>) -> PathBuf {
        let p = self.0.join(rel);
        if let Some(parent) = p.parent() {
            std::fs::create_dir_all(parent).unwrap();
        }
        std::fs::write(&p, data).unwrap();
        p
    }
}

#[cfg(unix)]
impl Drop for Tmp {
    fn drop(&mut self) {
        let _ = std::process::Command::new("chmod")
            .args(["-R", "u+rwx"])
            .arg(&self.0)
            .status();
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// The built binary in `dir` with `args`: no colour, no backtrace, no inherited
/// `DEPWINDOW_ALLOW_OUTSIDE` or `DEPWINDOW_OUTPUT_FORMAT`, standard input closed, output
/// piped. Spawn it and end it with [`wait_guarded`].
pub fn depwindow_command<S: AsRef<std::ffi::OsStr>>(
    dir: &Path,
    args: &[S],
) -> std::process::Command {
    use std::process::Stdio;
    let mut c = std::process::Command::new(env!("CARGO_BIN_EXE_depwindow"));
    c.args(args)
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .env("RUST_BACKTRACE", "0")
        .env_remove("DEPWINDOW_ALLOW_OUTSIDE")
        .env_remove("DEPWINDOW_OUTPUT_FORMAT")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    c
}

/// How a child ended under [`wait_guarded`].
#[cfg(unix)]
pub struct Waited {
    /// The exit code, when it exited.
    pub code: Option<i32>,
    /// The signal that ended it, when one did.
    pub signal: Option<i32>,
    pub out: Vec<u8>,
    pub err: Vec<u8>,
    /// Peak resident set size (kernel accounting, exact).
    pub rss_kb: u64,
    /// User plus system CPU time of the child.
    pub cpu: std::time::Duration,
    /// The hang guard killed it.
    pub hung: bool,
}

/// Wait for `child` with the kernel's resource usage. Output is drained by threads, so a
/// chatty child never blocks on a full pipe. A hang guard, not a speed limit: a child still
/// running after `guard` is killed (and `hung` is set), so a blocked read or an endless loop
/// fails the test instead of stalling CI. The child is reaped only after the guard is told
/// it exited, so the guard can never signal a reused pid.
// The child is reaped with wait4 (for its rusage), not Child::wait.
#[cfg(unix)]
#[allow(clippy::zombie_processes)]
pub fn wait_guarded(mut child: std::process::Child, guard: std::time::Duration) -> Waited {
    use std::io::Read;
    use std::sync::{mpsc, Arc, Mutex};
    use std::time::Duration;
    let drain = |mut r: Box<dyn Read + Send>| {
        std::thread::spawn(move || {
            let mut v = Vec::new();
            let _ = r.read_to_end(&mut v);
            v
        })
    };
    let out = drain(Box::new(child.stdout.take().unwrap()));
    let err = drain(Box::new(child.stderr.take().unwrap()));
    let pid = child.id() as libc::pid_t;

    let exited = Arc::new(Mutex::new(false));
    let (done_tx, done_rx) = mpsc::channel::<()>();
    let guard = {
        let exited = Arc::clone(&exited);
        std::thread::spawn(move || {
            if done_rx.recv_timeout(guard).is_err() {
                let exited = exited.lock().unwrap();
                if !*exited {
                    // SAFETY: plain syscall on a child we have not reaped yet.
                    unsafe { libc::kill(pid, libc::SIGKILL) };
                    return true;
                }
            }
            false
        })
    };
    // Wait for the exit without reaping (WNOWAIT), then reap with wait4 for the rusage.
    loop {
        // SAFETY: zeroed siginfo_t is a valid out-parameter for waitid.
        let mut info: libc::siginfo_t = unsafe { std::mem::zeroed() };
        let r = unsafe {
            libc::waitid(
                libc::P_PID,
                pid as libc::id_t,
                &mut info,
                libc::WEXITED | libc::WNOWAIT,
            )
        };
        if r == 0 {
            break;
        }
        assert_eq!(
            std::io::Error::last_os_error().raw_os_error(),
            Some(libc::EINTR),
            "waitid"
        );
    }
    *exited.lock().unwrap() = true;
    let _ = done_tx.send(());
    let mut status = 0;
    // SAFETY: zeroed rusage is a valid out-parameter for wait4.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    let r = unsafe { libc::wait4(pid, &mut status, 0, &mut usage) };
    assert_eq!(r, pid, "wait4");
    let hung = guard.join().unwrap();
    let cpu = |t: libc::timeval| Duration::new(t.tv_sec as u64, t.tv_usec as u32 * 1000);
    Waited {
        code: libc::WIFEXITED(status).then(|| libc::WEXITSTATUS(status)),
        signal: libc::WIFSIGNALED(status).then(|| libc::WTERMSIG(status)),
        out: out.join().unwrap(),
        err: err.join().unwrap(),
        rss_kb: usage.ru_maxrss as u64,
        cpu: cpu(usage.ru_utime) + cpu(usage.ru_stime),
        hung,
    }
}
