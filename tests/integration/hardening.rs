//! Issue 15: safe on hostile repositories. Each reproduction from the issue, run through
//! the real binary in a fresh temporary project:
//! 1. no hang (`/proc/kmsg` by every road),
//! 2. reads stay inside the project (includes, `file:`, walked links; `--allow-outside`),
//! 3. `--fix` writes like a careful editor (mode, owner, links, xattrs, read-only, lost
//!    update, symlink race, interrupts, CR-only files, exit codes),
//! 5. output cannot attack the reader (every C0/C1 control character, every format),
//! 6. exit codes and names (unreadable and too-long walked paths, non-UTF-8 names,
//!    constraint messages, the UTF-16 note, `--diff` quoting).
//!
//! A run that does not end within [`HANG`] is killed and fails the test: that is the hang
//! the issue reports (minutes, forever), not a speed limit.

#![cfg(unix)]

use std::ffi::OsStr;
use std::fs;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const HANG: Duration = Duration::from_secs(120);
const TF: &str = "tensorflow==1.14.0\n";
const SECRET: &str = "SECRET-CONTENT-4f1c";

use crate::common::Tmp;

#[derive(Debug)]
struct Run {
    code: Option<i32>,
    signal: Option<i32>,
    out: Vec<u8>,
    err: String,
}

impl Run {
    fn out(&self) -> String {
        String::from_utf8_lossy(&self.out).into_owned()
    }
    fn all(&self) -> String {
        format!("{}\n{}", self.out(), self.err)
    }
}

fn cmd(dir: &Path, args: &[&OsStr]) -> Command {
    crate::common::depwindow_command(dir, args)
}

/// Wait for a child, killing it (and failing) if it hangs.
fn finish(child: Child, what: &str) -> Run {
    let w = crate::common::wait_guarded(child, HANG);
    assert!(!w.hung, "depwindow hung: {what}");
    Run {
        code: w.code,
        signal: w.signal,
        out: w.out,
        err: String::from_utf8_lossy(&w.err).into_owned(),
    }
}

fn run_in(dir: &Path, args: &[&str]) -> Run {
    let os: Vec<&OsStr> = args.iter().map(OsStr::new).collect();
    finish(cmd(dir, &os).spawn().unwrap(), &args.join(" "))
}

fn run_env(dir: &Path, args: &[&str], env: &[(&str, &OsStr)]) -> Run {
    let os: Vec<&OsStr> = args.iter().map(OsStr::new).collect();
    let mut c = cmd(dir, &os);
    for (k, v) in env {
        c.env(k, v);
    }
    finish(c.spawn().unwrap(), &args.join(" "))
}

fn is_root() -> bool {
    // SAFETY: geteuid cannot fail.
    unsafe { libc::geteuid() == 0 }
}

/// `/proc/kmsg` where it exists (it looks like an empty regular file and blocks when the
/// kernel log is empty). Reading it consumes the kernel log, so these tests must never
/// reach a read: a refusal by name is what they check.
fn kmsg() -> Option<&'static str> {
    Path::new("/proc/kmsg").exists().then_some("/proc/kmsg")
}

// ------------------------------------------------------------------ 1. no hang

#[test]
fn proc_kmsg_is_refused_by_every_road() {
    let Some(kmsg) = kmsg() else {
        panic!("/proc/kmsg is missing on this Linux system; the reproduction needs it");
    };
    let t = Tmp::new("kmsg");
    t.write("requirements.txt", format!("{TF}-r {kmsg}\nnumpy<1.17\n"));
    // `-r /proc/kmsg`: an include, refused (DW002), the rest still checked.
    let r = run_in(
        t.path(),
        &["check", "--format", "concise", "requirements.txt"],
    );
    assert_eq!(r.code, Some(1), "{}", r.all());
    assert!(
        r.out().contains("requirements.txt:2:") && r.out().contains("kernel pseudo-file"),
        "{}",
        r.all()
    );

    // A walked symbolic link `requirements.txt -> /proc/kmsg`.
    let w = Tmp::new("kmsg-walk");
    std::os::unix::fs::symlink(kmsg, w.join("requirements.txt")).unwrap();
    w.write("sub/requirements.txt", format!("{TF}numpy<1.17\n"));
    let r = run_in(w.path(), &["check", "--format", "concise", "."]);
    assert!(
        r.out().contains("requirements.txt:1:1: error:")
            && r.out().contains("kernel pseudo-file")
            && r.out().contains("[DW002]"),
        "{}",
        r.all()
    );

    // `--constraint /proc/kmsg`: a usage error that says what it is.
    let r = run_in(
        t.path(),
        &["check", "--constraint", kmsg, "requirements.txt"],
    );
    assert_eq!(r.code, Some(2), "{}", r.all());
    assert!(r.err.contains("kernel pseudo-file"), "{}", r.err);
    assert!(!r.err.contains("not found"), "{}", r.err);

    // Configuration `constraints`.
    let c = Tmp::new("kmsg-config");
    c.write("requirements.txt", format!("{TF}numpy<1.17\n"));
    c.write("depwindow.toml", format!("constraints = [\"{kmsg}\"]\n"));
    let r = run_in(
        c.path(),
        &["check", "--format", "concise", "requirements.txt"],
    );
    assert!(r.code.is_some(), "{r:?}");
    assert!(r.all().contains("kernel pseudo-file"), "{}", r.all());

    // `--include-dependents`, with a walked link to /proc/kmsg in the repository.
    let d = Tmp::new("kmsg-dependents");
    fs::create_dir(d.join(".git")).unwrap();
    d.write("base.txt", "numpy<1.17\n");
    d.write("requirements.txt", format!("{TF}-r base.txt\n"));
    std::os::unix::fs::symlink(kmsg, d.join("dev-requirements.txt")).unwrap();
    let r = run_in(
        d.path(),
        &[
            "check",
            "--format",
            "concise",
            "--include-dependents",
            "base.txt",
        ],
    );
    assert!(r.code.is_some(), "{r:?}");

    // A named file: what the user asked to read cannot be read: exit 2, named.
    let r = run_in(t.path(), &["check", "--format", "concise", kmsg]);
    assert_eq!(r.code, Some(2), "{}", r.all());
    assert!(r.all().contains("kernel pseudo-file"), "{}", r.all());
}

#[test]
fn dev_and_sys_are_refused_by_name_after_resolving_links() {
    let t = Tmp::new("devsys");
    std::os::unix::fs::symlink("/dev/zero", t.join("zero.txt")).unwrap();
    t.write(
        "requirements.txt",
        format!("{TF}-r zero.txt\n-c /sys/kernel/notes\n-r /dev/stdin\nnumpy<1.17\n"),
    );
    let r = run_in(
        t.path(),
        &["check", "--format", "concise", "requirements.txt"],
    );
    assert_eq!(r.code, Some(1), "{}", r.all());
    for line in [
        "requirements.txt:2:",
        "requirements.txt:3:",
        "requirements.txt:4:",
    ] {
        assert!(r.out().contains(line), "{line}\n{}", r.all());
    }
    assert_eq!(
        r.out().matches("kernel pseudo-file").count(),
        3,
        "{}",
        r.out()
    );
}

// ------------------------------------------------------------------ 2. inside the project

/// A project (a repository root with `.git`) and, beside it, a directory with a secret.
fn project(name: &str) -> (Tmp, PathBuf) {
    let t = Tmp::new(name);
    fs::create_dir_all(t.join("proj/.git")).unwrap();
    t.write(
        "outside/secret.txt",
        format!("numpy==1.0 # {SECRET}\n{SECRET}\n"),
    );
    let proj = t.join("proj");
    (t, proj)
}

/// Every output format, by name, from the registry of output formats.
fn formats() -> impl Iterator<Item = &'static str> {
    depwindow::report::OutputFormat::ALL
        .into_iter()
        .map(|f| f.name())
}

#[test]
fn includes_and_file_directives_leading_outside_are_refused_and_never_quoted() {
    let (t, proj) = project("outside");
    let secret = t.join("outside/secret.txt");
    fs::create_dir_all(proj.join("sub")).unwrap();
    fs::write(
        proj.join("sub/requirements.txt"),
        format!(
            "{TF}-r ../../outside/secret.txt\n-c {}\n-r ../base.txt\n",
            secret.display()
        ),
    )
    .unwrap();
    fs::write(proj.join("base.txt"), "numpy<1.17\n").unwrap();
    fs::write(
        proj.join("setup.cfg"),
        "[options]\ninstall_requires = file: ../outside/secret.txt\n",
    )
    .unwrap();
    for format in formats() {
        // Run from a subdirectory: the root is the repository's, so `../base.txt` is in.
        let r = run_in(&proj.join("sub"), &["check", "--format", format, ".."]);
        assert_eq!(r.code, Some(1), "{format}: {}", r.all());
        assert!(
            !r.all().contains(SECRET),
            "{format} quoted the secret: {}",
            r.all()
        );
        assert!(
            r.all().contains("outside the project"),
            "{format}: {}",
            r.all()
        );
        assert!(!r.all().contains("base.txt`: "), "{format}: {}", r.all());
    }
    let r = run_in(&proj.join("sub"), &["check", "--format", "concise", ".."]);
    let out = r.out();
    assert!(
        out.contains("../setup.cfg:2:") || out.contains("setup.cfg:2:"),
        "{out}"
    );
    assert!(out.contains("requirements.txt:2:"), "{out}");
    assert!(out.contains("requirements.txt:3:"), "{out}");
    assert!(out.matches("[DW002]").count() >= 3, "{out}");
}

#[test]
fn standard_input_is_file_content_and_is_confined_too() {
    let (_t, proj) = project("stdin");
    let mut c = cmd(
        &proj,
        &[
            OsStr::new("check"),
            OsStr::new("--format"),
            OsStr::new("concise"),
            OsStr::new("-"),
        ],
    );
    c.stdin(Stdio::piped());
    let mut child = c.spawn().unwrap();
    {
        use std::io::Write;
        let mut stdin = child.stdin.take().unwrap();
        stdin
            .write_all(format!("{TF}-r ../outside/secret.txt\n").as_bytes())
            .unwrap();
    }
    let r = finish(child, "stdin");
    assert_eq!(r.code, Some(1), "{}", r.all());
    assert!(r.out().contains("outside the project"), "{}", r.all());
    assert!(!r.all().contains(SECRET), "{}", r.all());
}

#[test]
fn a_walked_symlink_leading_outside_says_so_and_is_not_read() {
    let (t, proj) = project("walk-link");
    std::os::unix::fs::symlink(t.join("outside/secret.txt"), proj.join("requirements.txt"))
        .unwrap();
    let r = run_in(&proj, &["check", "--format", "concise", "."]);
    assert_eq!(r.code, Some(1), "{}", r.all());
    assert!(!r.all().contains(SECRET), "{}", r.all());
    assert!(
        r.out().contains("is a symbolic link to")
            && r.out().contains("outside the project")
            && r.out().contains("[DW002]"),
        "{}",
        r.all()
    );
}

#[test]
fn only_the_command_line_and_environment_allow_outside() {
    let (t, proj) = project("allow");
    let outside = t.join("outside");
    fs::write(
        proj.join("requirements.txt"),
        format!("{TF}-r ../outside/secret.txt\n"),
    )
    .unwrap();
    let base = ["check", "--format", "concise", "--select", "DW002"];
    let r = run_in(&proj, &base);
    assert!(r.out().contains("outside the project"), "{}", r.all());
    // `--allow-outside PATH` reads it (the secret now is a requirement: a finding on it).
    let mut args = base.to_vec();
    let o = outside.to_str().unwrap();
    args.extend(["--allow-outside", o]);
    let r = run_in(&proj, &args);
    assert!(!r.out().contains("outside the project"), "{}", r.all());
    assert_eq!(r.code, Some(0), "{}", r.all());
    // So does the environment.
    let r = run_env(
        &proj,
        &base,
        &[("DEPWINDOW_ALLOW_OUTSIDE", outside.as_os_str())],
    );
    assert!(!r.out().contains("outside the project"), "{}", r.all());
    // A repository's configuration cannot: a pull request could edit it.
    fs::write(
        proj.join("depwindow.toml"),
        format!("allow-outside = [\"{o}\"]\n"),
    )
    .unwrap();
    let r = run_in(&proj, &base);
    assert_eq!(r.code, Some(2), "{}", r.all());
    assert!(!r.all().contains(SECRET), "{}", r.all());
    fs::remove_file(proj.join("depwindow.toml")).unwrap();
    // A path named on the command line is trusted, wherever it is.
    let r = run_in(
        &proj,
        &["check", "--format", "concise", outside.to_str().unwrap()],
    );
    assert_eq!(r.code, Some(0), "{}", r.all());
    let r = run_in(
        &proj,
        &[
            "check",
            "--format",
            "concise",
            "--select",
            "DW002",
            "--constraint",
            t.join("outside/secret.txt").to_str().unwrap(),
            "requirements.txt",
            "--allow-outside",
            o,
        ],
    );
    assert_eq!(r.code, Some(0), "{}", r.all());
}

/// A small valid rule file (trigger `dist5`) whose package release list is `releases`.
fn rule_file(releases: &str) -> String {
    format!(
        "schema = 1\n[trigger]\ntitle = \"T\"\ndistributions = [\"dist5\"]\nversion = \"==1.14.0\"\n\
         pythons = [\"3.7\"]\nreleases = \"tensorflow-by-python\"\nsources = [\"s\"]\n\
         [[package]]\nid = \"x/numpy-extra\"\nname = \"numpy\"\nwindow = \">=1.16,<1.19\"\n\
         absence = \"finding\"\nseverity = \"error\"\nreleases = \"{releases}\"\n\
         summary = \"s\"\nexplanation = \"e\"\nsources = [\"s\"]\n"
    )
}

#[test]
fn a_repository_configuration_cannot_name_rule_files_outside() {
    let (t, proj) = project("rule-outside");
    let outside = t.join("outside");
    fs::write(outside.join("rule.toml"), rule_file("numpy")).unwrap();
    fs::write(proj.join("requirements.txt"), "dist5==1.14.0\nnumpy>=1.0\n").unwrap();
    std::os::unix::fs::symlink(outside.join("secret.txt"), proj.join("linked.toml")).unwrap();
    let base = ["check", "--format", "concise", "requirements.txt"];
    // The secret as a rule file: by a relative path, an absolute one, and a link.
    for entry in [
        "../outside/secret.txt".to_owned(),
        outside.join("secret.txt").display().to_string(),
        "linked.toml".to_owned(),
    ] {
        fs::write(
            proj.join("depwindow.toml"),
            format!("extra-rules = [\"{entry}\"]\n"),
        )
        .unwrap();
        let r = run_in(&proj, &base);
        assert_eq!(r.code, Some(2), "{entry}: {}", r.all());
        assert!(!r.all().contains(SECRET), "{entry}: {}", r.all());
        assert!(
            r.err.contains("depwindow.toml:1:16: rule file")
                && r.err.contains("outside the project"),
            "{entry}: {}",
            r.err
        );
    }
    // A release list that a rule file inside the project names outside it: refused too.
    t.write(
        "proj/rules/r.toml",
        rule_file("../../outside/secret.txt.tsv"),
    );
    fs::write(outside.join("secret.txt.tsv"), format!("{SECRET}\n")).unwrap();
    fs::write(
        proj.join("depwindow.toml"),
        "extra-rules = [\"rules/r.toml\"]\n",
    )
    .unwrap();
    let r = run_in(&proj, &base);
    assert_eq!(r.code, Some(2), "{}", r.all());
    assert!(!r.all().contains(SECRET), "{}", r.all());
    assert!(
        r.err.contains("release list") && r.err.contains("outside the project"),
        "{}",
        r.err
    );
    // The command line and the environment allow it; so does naming the configuration.
    fs::write(
        proj.join("depwindow.toml"),
        "extra-rules = [\"../outside/rule.toml\"]\n",
    )
    .unwrap();
    let r = run_in(&proj, &base);
    assert_eq!(r.code, Some(2), "{}", r.all());
    let o = outside.to_str().unwrap();
    let mut args = base.to_vec();
    args.extend(["--allow-outside", o]);
    for r in [
        run_in(&proj, &args),
        run_env(
            &proj,
            &base,
            &[("DEPWINDOW_ALLOW_OUTSIDE", outside.as_os_str())],
        ),
        run_in(
            &proj,
            &[
                "check",
                "--format",
                "concise",
                "--config",
                "depwindow.toml",
                "requirements.txt",
            ],
        ),
    ] {
        // The rule is read: `numpy>=1.0` next to `dist5` is outside its window.
        assert_eq!(r.code, Some(1), "{}", r.all());
        assert!(r.out().contains("outside T's tested window"), "{}", r.all());
    }
}

// ------------------------------------------------------------------ 3. --fix writes

const FIXABLE: &str = "tensorflow==1.14.0\nnumpy>=1.16\n";

fn fix(dir: &Path, file: &str) -> Run {
    run_in(dir, &["check", "--fix", "--format", "concise", file])
}

fn temp_files(dir: &Path) -> Vec<String> {
    fs::read_dir(dir)
        .unwrap()
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.contains(".depwindow-") && n.ends_with(".tmp"))
        .collect()
}

#[test]
fn fix_keeps_mode_and_owner() {
    let t = Tmp::new("mode");
    let p = t.write("requirements.txt", FIXABLE);
    fs::set_permissions(&p, fs::Permissions::from_mode(0o600)).unwrap();
    if is_root() {
        std::os::unix::fs::chown(&p, Some(4321), Some(4322)).unwrap();
    }
    let r = fix(t.path(), "requirements.txt");
    assert!(r.err.contains("fixed"), "{}", r.all());
    let m = fs::metadata(&p).unwrap();
    assert_eq!(m.mode() & 0o7777, 0o600);
    assert_ne!(fs::read_to_string(&p).unwrap(), FIXABLE);
    if is_root() {
        assert_eq!((m.uid(), m.gid()), (4321, 4322));
    } else {
        // SAFETY: geteuid cannot fail.
        assert_eq!(m.uid(), unsafe { libc::geteuid() });
    }
    assert!(temp_files(t.path()).is_empty());
}

/// Start `--fix` paused before its rename (the test hook); returns the child and the hook
/// directory once the temporary file is written.
fn paused_fix(t: &Tmp, dir: &Path, file: &str) -> (Child, PathBuf) {
    let hook = t.join("hook");
    fs::create_dir_all(&hook).unwrap();
    let mut c = cmd(
        dir,
        &[
            OsStr::new("check"),
            OsStr::new("--fix"),
            OsStr::new("--format"),
            OsStr::new("concise"),
            OsStr::new(file),
        ],
    );
    c.env("DEPWINDOW_TEST_PAUSE_BEFORE_RENAME", &hook);
    // A harness started in the background (`cmd &` in a non-interactive shell) hands its
    // children SIGINT ignored, and depwindow rightly leaves an ignored signal ignored
    // (nohup): give the child the default actions, as a terminal would.
    // SAFETY: signal() is async-signal-safe, and nothing else runs between fork and exec.
    unsafe {
        c.pre_exec(|| {
            for sig in [libc::SIGINT, libc::SIGTERM, libc::SIGHUP] {
                libc::signal(sig, libc::SIG_DFL);
            }
            Ok(())
        });
    }
    let mut child = c.spawn().unwrap();
    let start = Instant::now();
    while !hook.join("paused").exists() {
        if let Some(s) = child.try_wait().unwrap() {
            panic!("depwindow ended before the hook: {s:?}");
        }
        assert!(start.elapsed() < HANG, "the hook was never reached");
        std::thread::sleep(Duration::from_millis(10));
    }
    (child, hook)
}

#[test]
fn the_temporary_file_is_never_more_open_than_the_original() {
    let t = Tmp::new("tmpmode");
    let p = t.write("requirements.txt", FIXABLE);
    fs::set_permissions(&p, fs::Permissions::from_mode(0o600)).unwrap();
    let (child, hook) = paused_fix(&t, t.path(), "requirements.txt");
    let tmps = temp_files(t.path());
    assert_eq!(tmps.len(), 1, "{tmps:?}");
    let m = fs::symlink_metadata(t.join(&tmps[0])).unwrap();
    assert_eq!(m.mode() & 0o7777, 0o600, "temporary file mode");
    fs::write(hook.join("resume"), "").unwrap();
    let r = finish(child, "paused fix");
    assert!(r.err.contains("fixed"), "{}", r.all());
    assert!(temp_files(t.path()).is_empty());
}

#[test]
fn a_concurrent_edit_is_not_lost() {
    let t = Tmp::new("lost");
    let p = t.write("requirements.txt", FIXABLE);
    let (child, hook) = paused_fix(&t, t.path(), "requirements.txt");
    let theirs = "tensorflow==1.14.0\nnumpy>=1.16 # edited meanwhile\n";
    fs::write(&p, theirs).unwrap();
    fs::write(hook.join("resume"), "").unwrap();
    let r = finish(child, "lost update");
    assert_eq!(fs::read_to_string(&p).unwrap(), theirs);
    assert!(r.err.contains("changed on disk"), "{}", r.all());
    assert_ne!(r.code, Some(0), "findings remain: {}", r.all());
    assert!(!r.err.contains("fixed 3"), "{}", r.all());
    assert!(temp_files(t.path()).is_empty());
}

#[test]
fn a_symlink_swapped_in_before_the_rename_is_not_followed() {
    let t = Tmp::new("race");
    let p = t.write("proj/requirements.txt", FIXABLE);
    // Outside the project (the project is the working directory, `t/proj`).
    let victim = t.write("victim", "root:secret\n");
    fs::set_permissions(&victim, fs::Permissions::from_mode(0o600)).unwrap();
    let (child, hook) = paused_fix(&t, &t.join("proj"), "requirements.txt");
    fs::remove_file(&p).unwrap();
    std::os::unix::fs::symlink(&victim, &p).unwrap();
    fs::write(hook.join("resume"), "").unwrap();
    let r = finish(child, "symlink race");
    let vm = fs::metadata(&victim).unwrap();
    assert_eq!(vm.mode() & 0o7777, 0o600, "victim mode changed");
    assert_eq!(fs::read_to_string(&victim).unwrap(), "root:secret\n");
    assert!(fs::symlink_metadata(&p).unwrap().file_type().is_symlink());
    assert!(!r.all().contains("root:secret"), "{}", r.all());
    assert!(r.err.contains("not written"), "{}", r.all());
    assert!(temp_files(&t.join("proj")).is_empty());
}

#[test]
fn an_interrupt_during_the_write_leaves_no_temporary_file() {
    for sig in [libc::SIGTERM, libc::SIGINT] {
        let t = Tmp::new("signal");
        let p = t.write("requirements.txt", FIXABLE);
        let (child, _hook) = paused_fix(&t, t.path(), "requirements.txt");
        assert_eq!(temp_files(t.path()).len(), 1);
        // SAFETY: signalling our own child.
        unsafe { libc::kill(child.id() as i32, sig) };
        let r = finish(child, "interrupted fix");
        assert_eq!(r.signal, Some(sig), "{r:?}");
        assert!(
            temp_files(t.path()).is_empty(),
            "{:?}",
            temp_files(t.path())
        );
        assert_eq!(fs::read_to_string(&p).unwrap(), FIXABLE);
    }
}

#[test]
fn hard_linked_and_read_only_files_are_refused_with_a_note() {
    let t = Tmp::new("links");
    let p = t.write("requirements.txt", FIXABLE);
    fs::hard_link(&p, t.join("other-name.txt")).unwrap();
    let r = fix(t.path(), "requirements.txt");
    assert!(r.err.contains("hard links"), "{}", r.all());
    assert_eq!(
        r.code,
        Some(1),
        "refused by design: exit follows findings: {}",
        r.all()
    );
    assert_eq!(fs::read_to_string(&p).unwrap(), FIXABLE);
    assert_eq!(fs::metadata(&p).unwrap().nlink(), 2);

    let ro = t.write("ro/requirements.txt", FIXABLE);
    fs::set_permissions(&ro, fs::Permissions::from_mode(0o444)).unwrap();
    let r = fix(&t.join("ro"), "requirements.txt");
    assert!(r.err.contains("read-only"), "{}", r.all());
    assert_eq!(r.code, Some(1), "{}", r.all());
    assert_eq!(fs::read_to_string(&ro).unwrap(), FIXABLE);
    assert_eq!(fs::metadata(&ro).unwrap().mode() & 0o7777, 0o444);
}

#[test]
#[cfg(target_os = "linux")]
fn extended_attributes_are_kept() {
    let t = Tmp::new("xattr");
    let p = t.write("requirements.txt", FIXABLE);
    let c = std::ffi::CString::new(p.as_os_str().as_bytes()).unwrap();
    let name = c"user.depwindow-test";
    // SAFETY: valid C strings and buffer.
    let set = unsafe { libc::setxattr(c.as_ptr(), name.as_ptr(), b"kept".as_ptr().cast(), 4, 0) };
    if set != 0 {
        let e = std::io::Error::last_os_error();
        // The temporary directory's file system has no user xattrs: nothing to keep.
        assert_eq!(e.raw_os_error(), Some(libc::ENOTSUP), "{e}");
        eprintln!(
            "note: {} has no user xattrs; only the no-xattr path ran",
            t.path().display()
        );
        return;
    }
    let r = fix(t.path(), "requirements.txt");
    assert!(r.err.contains("fixed"), "{}", r.all());
    let mut buf = [0u8; 16];
    // SAFETY: valid C strings and buffer.
    let n = unsafe { libc::getxattr(c.as_ptr(), name.as_ptr(), buf.as_mut_ptr().cast(), 16) };
    assert_eq!(n, 4);
    assert_eq!(&buf[..4], b"kept");
}

#[test]
fn cr_only_files_keep_cr_only_endings() {
    let t = Tmp::new("cr");
    let p = t.write("requirements.txt", FIXABLE.replace('\n', "\r"));
    let r = fix(t.path(), "requirements.txt");
    assert!(r.err.contains("fixed"), "{}", r.all());
    let after = fs::read(&p).unwrap();
    assert!(
        !after.contains(&b'\n'),
        "{:?}",
        String::from_utf8_lossy(&after)
    );
    assert!(after.len() > FIXABLE.len());
}

#[test]
fn a_fix_that_fails_with_an_io_error_exits_2() {
    let t = Tmp::new("ioerr");
    let dir = t.join("locked");
    let p = t.write("locked/requirements.txt", FIXABLE);
    // The directory refuses the temporary file. Root ignores directory permissions, so
    // the run drops to `nobody` and the file is left writable by everyone.
    fs::set_permissions(&p, fs::Permissions::from_mode(0o666)).unwrap();
    fs::set_permissions(&dir, fs::Permissions::from_mode(0o555)).unwrap();
    let mut c = cmd(
        &dir,
        &[
            OsStr::new("check"),
            OsStr::new("--fix"),
            OsStr::new("--format"),
            OsStr::new("concise"),
            OsStr::new("--select"),
            OsStr::new("DW101"),
            OsStr::new("--exit-zero"),
            OsStr::new("requirements.txt"),
        ],
    );
    if is_root() {
        c.uid(65534).gid(65534);
    }
    let r = finish(c.spawn().unwrap(), "fix io error");
    assert!(
        r.err.contains("cannot create a temporary file"),
        "{}",
        r.all()
    );
    assert_eq!(r.code, Some(2), "{}", r.all());
    assert_eq!(fs::read_to_string(&p).unwrap(), FIXABLE);
}

// ------------------------------------------------------------------ 5. output

/// Every C0 and C1 control character (and DEL), but NUL (not a file-name byte, and a text
/// file with NUL is reported as binary).
fn controls() -> Vec<char> {
    (1u32..0x20)
        .chain(std::iter::once(0x7f))
        .chain(0x80..0xa0)
        .filter_map(char::from_u32)
        .collect()
}

/// Raw control characters a displayed format must not carry (TAB and LF are layout).
fn raw_controls(s: &str) -> Vec<char> {
    let mut v: Vec<char> = s
        .chars()
        .filter(|&c| c.is_control() && c != '\t' && c != '\n')
        .collect();
    v.dedup();
    v
}

#[test]
fn every_control_character_is_escaped_in_every_format() {
    let t = Tmp::new("controls");
    let mut text = String::from(TF);
    for c in controls() {
        // In a requirement (a parse error quoting it), a comment and a marker value.
        text.push_str(&format!("numpy{c}x>=1.0\n"));
        text.push_str(&format!("gast<0.3 ; python_version > \"2{c}\"\n"));
    }
    text.push_str("protobuf>=3.6.1\n");
    // A file name with controls too (`/` excluded, NUL impossible).
    let name: String = format!(
        "bad\u{1b}]52;c;aGk=\u{7}\u{9b}31m\n\r{}-requirements.txt",
        controls()
            .into_iter()
            .filter(|&c| c != '\u{1b}')
            .take(12)
            .collect::<String>()
    );
    t.write(&name, &text);
    t.write("requirements.txt", &text);
    for format in formats() {
        let r = run_in(t.path(), &["check", "--format", format, "."]);
        assert_eq!(r.code, Some(1), "{format}: {}", r.all());
        let out = String::from_utf8(r.out.clone()).expect("output is UTF-8");
        match format {
            "json" | "sarif" | "gitlab" | "json-lines" => {
                // JSON escapes every control character (`\u001b`, `\u009b`: serde_json
                // does C0, `report::EscapeControls` DEL and C1), and still parses.
                let raw = raw_controls(&out);
                assert!(raw.is_empty(), "{format}: raw {raw:?}");
                assert!(
                    out.contains("\\u001b") && out.contains("\\u009b"),
                    "{format}"
                );
                for doc in if format == "json-lines" {
                    out.lines().collect::<Vec<_>>()
                } else {
                    vec![out.as_str()]
                } {
                    let _: serde_json::Value = serde_json::from_str(doc)
                        .unwrap_or_else(|e| panic!("{format}: {e}: {doc:?}"));
                }
                // The file name survives, lossless, in the JSON documents (SARIF carries
                // it as a percent-encoded URI, GitLab as its own path field).
                if format == "json" || format == "json-lines" {
                    assert!(out.contains("bad\\u001b]52"), "{format}");
                }
            }
            _ => {
                let raw = raw_controls(&out);
                assert!(raw.is_empty(), "{format}: raw {raw:?}\n{out}");
                assert!(out.contains("\\x1B"), "{format}: {out}");
                assert!(out.contains("\\x07"), "{format}: {out}");
                if format != "human" {
                    assert!(out.contains("\\x9B"), "{format}: {out}");
                }
            }
        }
        // Messages go to standard error too.
        let raw = raw_controls(&r.err);
        assert!(raw.is_empty(), "{format} stderr: raw {raw:?}");
    }
    // `--diff` stays byte-exact: a control character in the file survives the patch.
    let d = Tmp::new("controls-diff");
    let body = "tensorflow==1.14.0\nnumpy>=1.16 # \u{1b}[31mred\u{7}\n";
    d.write("requirements.txt", body);
    let r = run_in(d.path(), &["check", "--diff", "requirements.txt"]);
    assert!(
        r.out().contains("-numpy>=1.16 # \u{1b}[31mred\u{7}\n"),
        "{}",
        r.out()
    );
}

// ------------------------------------------------------------------ 6. exit codes, names

#[test]
fn an_unreadable_directory_named_or_walked_exits_2_with_its_name() {
    let t = Tmp::new("unreadable");
    t.write("requirements.txt", format!("{TF}numpy<1.17\n"));
    t.write("locked/requirements.txt", format!("{TF}numpy<1.17\n"));
    fs::set_permissions(t.join("locked"), fs::Permissions::from_mode(0o000)).unwrap();
    for args in [&["check", "."][..], &["check", "locked"][..]] {
        let mut c = cmd(t.path(), &args.iter().map(OsStr::new).collect::<Vec<_>>());
        if is_root() {
            // Root reads mode-000 directories: run as `nobody`, who cannot.
            c.uid(65534).gid(65534);
        }
        let r = finish(c.spawn().unwrap(), "unreadable directory");
        assert_eq!(r.code, Some(2), "{args:?}: {}", r.all());
        assert!(r.err.contains("locked"), "{args:?}: {}", r.all());
        assert!(r.err.contains("error"), "{args:?}: {}", r.all());
    }
}

#[test]
fn a_walked_path_too_long_exits_2() {
    let t = Tmp::new("toolong");
    t.write("requirements.txt", format!("{TF}numpy<1.17\n"));
    // Nest directories past PATH_MAX (4096) with *at calls, one level at a time.
    let seg = "d".repeat(200);
    let cseg = std::ffi::CString::new(seg.as_str()).unwrap();
    let root = std::ffi::CString::new(t.path().as_os_str().as_bytes()).unwrap();
    // SAFETY: plain *at calls on descriptors this test owns.
    unsafe {
        let mut fd = libc::open(root.as_ptr(), libc::O_RDONLY | libc::O_DIRECTORY);
        assert!(fd >= 0);
        for _ in 0..25 {
            assert_eq!(libc::mkdirat(fd, cseg.as_ptr(), 0o755), 0);
            let next = libc::openat(fd, cseg.as_ptr(), libc::O_RDONLY | libc::O_DIRECTORY);
            assert!(next >= 0);
            libc::close(fd);
            fd = next;
        }
        let name = c"requirements.txt";
        let f = libc::openat(fd, name.as_ptr(), libc::O_WRONLY | libc::O_CREAT, 0o644);
        assert!(f >= 0);
        libc::write(f, TF.as_ptr().cast(), TF.len());
        libc::close(f);
        libc::close(fd);
    }
    let r = run_in(t.path(), &["check", "--format", "concise", "."]);
    assert_eq!(r.code, Some(2), "{}", r.all());
    assert!(r.err.contains("error"), "{}", r.err);
    assert!(r.err.contains(&seg[..50]), "names the path: {}", r.err);
    // Remove the deep tree with *at calls too (remove_dir_all copes, but be explicit).
    let _ = fs::remove_dir_all(t.join(&seg));
}

#[test]
fn a_non_utf8_file_name_is_checked_and_shown_lossily() {
    let t = Tmp::new("nonutf8");
    let name = OsStr::from_bytes(b"requirements-\xff.txt");
    fs::write(t.join(name), "tensorflow==1.14.0\nnumpy>=1.16\n").unwrap();
    let r = run_in(t.path(), &["check", "--format", "concise", "."]);
    assert_eq!(r.code, Some(1), "{}", r.all());
    assert!(
        r.out().contains("requirements-\u{FFFD}.txt:2:6: error:"),
        "{}",
        r.all()
    );
}

#[test]
fn constraint_messages_say_what_the_path_is() {
    let t = Tmp::new("constraint");
    t.write("requirements.txt", format!("{TF}numpy<1.17\n"));
    fs::create_dir(t.join("adir")).unwrap();
    for (arg, says) in [
        ("https://example.com/c.txt", "is a URL"),
        ("/dev/null", "kernel pseudo-file"),
        ("adir", "is a directory"),
        ("absent.txt", "not found"),
    ] {
        let r = run_in(
            t.path(),
            &["check", "--constraint", arg, "requirements.txt"],
        );
        assert_eq!(r.code, Some(2), "{arg}: {}", r.all());
        assert!(r.err.contains(says), "{arg}: {}", r.err);
        if says != "not found" {
            assert!(!r.err.contains("not found"), "{arg}: {}", r.err);
        }
        // The same words for a configuration's `constraints`, at the entry's position.
        t.write("depwindow.toml", format!("constraints = [\"{arg}\"]\n"));
        let r = run_in(t.path(), &["check", "requirements.txt"]);
        assert_eq!(r.code, Some(2), "config {arg}: {}", r.all());
        assert!(
            r.err.contains("depwindow.toml:1:16: constraint file") && r.err.contains(says),
            "config {arg}: {}",
            r.err
        );
        if says != "not found" {
            assert!(!r.err.contains("not found"), "config {arg}: {}", r.err);
        }
        fs::remove_file(t.join("depwindow.toml")).unwrap();
    }
}

#[test]
fn the_utf16_note_is_printed_once() {
    let t = Tmp::new("utf16");
    let mut bytes = vec![0xff, 0xfe];
    for u in "tensorflow==1.14.0\nnumpy>=1.16\n".encode_utf16() {
        bytes.extend(u.to_le_bytes());
    }
    t.write("requirements.txt", bytes);
    for mode in ["--fix", "--diff"] {
        let r = run_in(
            t.path(),
            &["check", mode, "--format", "concise", "requirements.txt"],
        );
        assert_eq!(r.err.matches("UTF-16").count(), 1, "{mode}: {}", r.err);
    }
}

#[test]
fn diff_quotes_file_names_as_git_does() {
    let t = Tmp::new("quote");
    let name = "x\ny\"-requirements.txt";
    t.write(name, FIXABLE);
    let r = run_in(t.path(), &["check", "--diff", name]);
    assert_eq!(r.code, Some(1), "{}", r.all());
    let out = r.out();
    assert!(
        out.starts_with(
            "--- \"a/x\\ny\\\"-requirements.txt\"\n+++ \"b/x\\ny\\\"-requirements.txt\"\n"
        ),
        "{out}"
    );
    // And git reads it back: the patch applies to the file.
    if Command::new("git").arg("--version").output().is_ok() {
        let patch = t.write("fix.patch", &r.out);
        let ok = Command::new("git")
            .args(["apply", "--unsafe-paths", "-p1"])
            .arg(&patch)
            .current_dir(t.path())
            .status()
            .unwrap();
        assert!(ok.success());
        assert_ne!(fs::read_to_string(t.join(name)).unwrap(), FIXABLE);
    }
}
