//! Hostile input: every case runs the real binary in a fresh temporary directory and must
//! end cleanly: exit 0, 1 or 2 as the case says, a message naming the file (and line where
//! there is one), no panic, no abort, with bounded memory and bounded work.
//!
//! Work is bounded without a clock: the kernel's count of the CPU time the child used
//! (`wait4` rusage, not affected by other processes on the machine) must stay within
//! [`WORK_FACTOR`] times the CPU time the same build needs to check a plain 1 MiB
//! requirements file. The ratio does not depend on the machine, its load or the build
//! profile. The costliest case here is about 9 times the baseline; the super-linear blow-ups
//! these inputs are made to provoke (a quadratic scan of a 5 MB line, alias expansion, include
//! fan-out re-reading files, marker normal forms) cost thousands of times more.

use std::fs;
use std::path::Path;
use std::process::Command;
use std::sync::OnceLock;
use std::time::Duration;

/// Peak resident memory allowed (inputs are capped at 8 MiB, so this is generous).
const MAX_RSS_KB: u64 = 600 * 1024;
/// A hostile run may cost at most this many times the CPU time of the baseline run
/// ([`baseline_cpu`]); that is, about as much as checking a plain file eight times the 8 MiB
/// input cap.
const WORK_FACTOR: f64 = 64.0;
/// Size of the baseline's plain requirements file.
const BASELINE_BYTES: usize = 1024 * 1024;
/// Hang guard, not a speed limit: a child still running after this long is killed so that
/// a blocked read (a FIFO, a device) or an endless loop fails the test instead of stalling
/// CI. Correct runs end in seconds; the work bound above is what checks their cost.
const HANG_GUARD: Duration = Duration::from_secs(600);

use crate::common::Tmp;

struct Run {
    code: i32,
    out: String,
    err: String,
    /// Peak resident set size (kernel accounting, exact).
    rss_kb: u64,
    /// User plus system CPU time of the child.
    cpu: Duration,
}

impl Run {
    fn all(&self) -> String {
        format!("{}\n{}", self.out, self.err)
    }
}

/// Run `depwindow <args>` in `dir` and wait for it, with the kernel's resource usage
/// (`common::wait_guarded`, with the [`HANG_GUARD`]).
fn spawn_and_wait(dir: &Path, args: &[&str]) -> Run {
    let child = crate::common::depwindow_command(dir, args)
        .spawn()
        .expect("spawn depwindow");
    let w = crate::common::wait_guarded(child, HANG_GUARD);
    let run = Run {
        code: w.code.unwrap_or(-1),
        out: String::from_utf8_lossy(&w.out).into_owned(),
        err: String::from_utf8_lossy(&w.err).into_owned(),
        rss_kb: w.rss_kb,
        cpu: w.cpu,
    };
    assert!(
        !w.hung,
        "depwindow {args:?} in {} hung: killed by the hang guard after {HANG_GUARD:?}",
        dir.display()
    );
    assert!(
        w.code.is_some(),
        "killed by a signal ({:?}): {}",
        w.signal,
        run.all()
    );
    run
}

/// CPU time of `depwindow check` on a plain requirements file of [`BASELINE_BYTES`]: a
/// valid line repeated, each read, parsed and checked in linear time.
fn baseline_cpu() -> Duration {
    static BASELINE: OnceLock<Duration> = OnceLock::new();
    *BASELINE.get_or_init(|| {
        let t = Tmp::new("baseline");
        let mut text = String::from(TF);
        let line = "numpy>=1.14.5,<1.17 ; python_version >= '3.5'  # pinned\n";
        while text.len() + line.len() < BASELINE_BYTES {
            text.push_str(line);
        }
        t.write("requirements.txt", text);
        let r = spawn_and_wait(t.path(), &["check", "--format", "concise", "."]);
        assert!(r.code == 0 || r.code == 1, "baseline: {}", r.all());
        // A floor for very fast machines, where rusage's tick granularity would dominate.
        r.cpu.max(Duration::from_millis(50))
    })
}

/// Run `depwindow <args>` in `dir`: no panic, no signal, memory and CPU work within bounds.
fn run_in(dir: &Path, args: &[&str]) -> Run {
    let run = spawn_and_wait(dir, args);
    assert!(
        !run.err.contains("panicked") && !run.err.contains("overflow"),
        "panic: {}",
        run.err
    );
    assert!(
        run.rss_kb <= MAX_RSS_KB,
        "peak memory {} KB for {args:?}",
        run.rss_kb
    );
    let baseline = baseline_cpu();
    eprintln!(
        "work: {args:?} in {}: {:?} CPU ({:.2} x baseline {baseline:?})",
        dir.display(),
        run.cpu,
        run.cpu.as_secs_f64() / baseline.as_secs_f64()
    );
    assert!(
        run.cpu.as_secs_f64() <= WORK_FACTOR * baseline.as_secs_f64(),
        "depwindow {args:?} in {} used {:?} of CPU, more than {WORK_FACTOR} x the {baseline:?} \
         of checking a plain 1 MiB file: super-linear work on hostile input",
        dir.display(),
        run.cpu
    );
    run
}

/// `check --format concise` on the whole directory.
fn check(t: &Tmp) -> Run {
    run_in(t.path(), &["check", "--format", "concise", "."])
}

fn assert_exit(r: &Run, codes: &[i32]) {
    assert!(
        codes.contains(&r.code),
        "exit {} not in {codes:?}: {}",
        r.code,
        r.all()
    );
}

/// The output has a diagnostic at `file:line:` (concise format).
fn assert_names(r: &Run, file_line: &str) {
    assert!(
        r.all().contains(file_line),
        "expected a diagnostic at `{file_line}`:\n{}",
        r.all()
    );
}

const TF: &str = "tensorflow==1.14.0\n";

/// Deterministic pseudo-random bytes (xorshift), no dependency needed.
fn noise(n: usize, mut seed: u64) -> Vec<u8> {
    (0..n)
        .map(|_| {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            (seed >> 24) as u8
        })
        .collect()
}

#[test]
fn random_binary_requirements() {
    for seed in 1..4u64 {
        let t = Tmp::new("binary");
        t.write("requirements.txt", noise(200_000, seed));
        let r = check(&t);
        assert_exit(&r, &[1]);
        assert_names(&r, "requirements.txt:");
    }
}

#[test]
fn latin1_and_nul_bytes() {
    let t = Tmp::new("latin1");
    t.write(
        "requirements.txt",
        b"tensorflow==1.14.0\nnumpy>=1.16 # caf\xe9\nnum!py>=1\n",
    );
    let r = check(&t);
    assert_exit(&r, &[1]);
    assert_names(&r, "requirements.txt:1:");
    assert_names(&r, "requirements.txt:2:");
    assert_names(&r, "requirements.txt:3:");
    // The decoding note is an info: shown in the default output.
    let human = run_in(t.path(), &["check", "."]);
    assert!(human.all().contains("Latin-1"), "{}", human.all());
    // NUL bytes make it a binary file, as git decides (issue 12): one finding, no bytes
    // of it on the terminal.
    t.write(
        "requirements.txt",
        b"tensorflow==1.14.0\nnumpy>=1.16 # caf\xe9\nnum\x00py>=1\n\x00\x07\r\n",
    );
    let r = run_in(t.path(), &["check", "-q", "--format", "concise", "."]);
    assert_exit(&r, &[1]);
    assert_eq!(
        r.out.trim_end(),
        "requirements.txt:1:1: error: not a text file (it holds NUL bytes); not checked [DW001]"
    );
}

#[test]
fn five_megabyte_single_line() {
    let t = Tmp::new("longline");
    let mut text = String::from(TF);
    text.push_str("numpy");
    while text.len() < 5 * 1024 * 1024 {
        text.push_str(">=1.0,");
    }
    text.push('\n');
    t.write("requirements.txt", text);
    let r = check(&t);
    assert_exit(&r, &[1]);
    assert_names(&r, "requirements.txt:2:");
}

/// The human report names, rather than draws, a finding on a line too long to show: miette's
/// padding panicked on a label more than 65,535 columns into its line, and printing a
/// megabyte line per finding made the report quadratic.
#[test]
fn human_report_of_a_finding_far_into_a_long_line() {
    let t = Tmp::new("farlabel");
    let extras: Vec<String> = (0..12_000).map(|i| format!("e{i}")).collect();
    let line = format!("numpy[{}]>=1.0", extras.join(","));
    assert!(line.len() > usize::from(u16::MAX));
    t.write("requirements.txt", format!("{TF}{line}\n"));
    let r = run_in(
        t.path(),
        &["check", "--format", "human", "--color", "never", "."],
    );
    assert_exit(&r, &[1]);
    assert!(r.out.contains("DW101"), "{}", r.all());
    let column = line.find(">=1.0").unwrap() + 1;
    let place = format!("at requirements.txt:2:{column}: the line is too long to show");
    assert!(r.out.contains(&place), "{}", r.all());
    assert!(
        !r.out.contains(&line),
        "the long line is printed: {}",
        r.all()
    );
}

#[test]
fn file_over_the_size_cap_is_refused() {
    let t = Tmp::new("big");
    let mut text = String::from(TF);
    text.push_str(&"#".repeat(9 * 1024 * 1024));
    t.write("requirements.txt", text);
    let r = check(&t);
    assert_exit(&r, &[1, 2]);
    assert!(r.all().contains("larger than"), "{}", r.all());
    assert!(r.all().contains("requirements.txt"), "{}", r.all());
}

#[test]
fn include_cycles() {
    let t = Tmp::new("cycle2");
    t.write("requirements.txt", format!("{TF}-r b.txt\n"));
    t.write("b.txt", "-r requirements.txt\nnumpy\n");
    let r = check(&t);
    assert_exit(&r, &[1]);
    assert!(r.out.contains("include cycle"), "{}", r.out);
    assert_names(&r, "b.txt:1:");

    let t = Tmp::new("cyclen");
    t.write("requirements.txt", format!("{TF}-r f0.txt\n"));
    for i in 0..40 {
        t.write(
            format!("f{i}.txt"),
            format!("-r f{}.txt\nnumpy>=1.{i}\n", (i + 1) % 40),
        );
    }
    let r = check(&t);
    assert_exit(&r, &[1]);
    assert!(r.out.contains("include cycle"), "{}", r.out);
    assert_names(&r, "f39.txt:1:");

    // Longer than the include depth limit: cut off with a message, not followed forever.
    let t = Tmp::new("cyclelong");
    t.write("requirements.txt", format!("{TF}-r f0.txt\n"));
    for i in 0..500 {
        t.write(format!("f{i}.txt"), format!("-r f{}.txt\n", (i + 1) % 500));
    }
    let r = check(&t);
    assert_exit(&r, &[1]);
    assert!(r.out.contains("nested more than"), "{}", r.out);
}

#[test]
fn missing_and_url_includes() {
    let t = Tmp::new("missing");
    // 192.0.2.0/24 is TEST-NET-1: never routable, so a fetch would hang until the deadline.
    t.write(
        "requirements.txt",
        format!(
            "{TF}-r nope.txt\n-c ../../nope/c.txt\n-r http://192.0.2.1/r.txt\n\
             -c https://192.0.2.1/c.txt\n-r file:///etc/passwd\nnumpy<1.17\n"
        ),
    );
    let r = check(&t);
    assert_exit(&r, &[1]);
    assert_names(&r, "requirements.txt:2:");
    assert_names(&r, "requirements.txt:3:");
    for line in 4..=6 {
        assert_names(&r, &format!("requirements.txt:{line}:"));
    }
    assert_eq!(r.out.matches("is a URL").count(), 3, "{}", r.out);
}

#[test]
#[cfg(unix)]
fn devices_fifos_and_directories_are_refused() {
    let t = Tmp::new("devices");
    t.write(
        "requirements.txt",
        format!(
            "{TF}-r /dev/zero\n-c /dev/urandom\n-r pipe.txt\n-r sub/requirements.txt\nnumpy<1.17\n"
        ),
    );
    let fifo = t.path().join("pipe.txt");
    let made = match Command::new("mkfifo").arg(&fifo).status() {
        Ok(s) if s.success() => Ok(()),
        other => Err(format!("mkfifo: {other:?}")),
    };
    fs::create_dir_all(t.path().join("sub/requirements.txt")).unwrap();
    let r = check(&t);
    assert_exit(&r, &[1]);
    assert_names(&r, "requirements.txt:2:");
    assert_names(&r, "requirements.txt:3:");
    assert_names(&r, "requirements.txt:5:");
    assert!(r.out.contains("is a directory"), "{}", r.out);
    if crate::common::require("mkfifo", made).is_some() {
        assert_names(&r, "requirements.txt:4:");
        assert!(
            r.out.matches("not a regular file").count() >= 3,
            "{}",
            r.out
        );
    }
    // Named on the command line: a symlink to /dev/zero and a FIFO.
    std::os::unix::fs::symlink("/dev/zero", t.path().join("zero-requirements.txt")).unwrap();
    let r = run_in(
        t.path(),
        &["check", "--format", "concise", "zero-requirements.txt"],
    );
    assert_exit(&r, &[1, 2]);
    assert!(r.all().contains("zero-requirements.txt"), "{}", r.all());
    assert!(r.all().contains("not a regular file"), "{}", r.all());
}

#[test]
fn three_thousand_includes_fanned_out() {
    let t = Tmp::new("fanout");
    let mut root = String::from(TF);
    for i in 0..3000 {
        root.push_str(&format!("-r sub/r{i}.txt\n"));
        t.write(
            format!("sub/r{i}.txt"),
            format!("numpy>=1.{},<1.17\n", i % 17),
        );
    }
    root.push_str("-r sub/absent.txt\n");
    t.write("requirements.txt", root);
    let r = check(&t);
    assert_exit(&r, &[1]);
    assert_names(&r, "requirements.txt:3002:");
}

#[test]
#[cfg(unix)]
fn symlink_loops_in_the_walk() {
    let t = Tmp::new("symloop");
    t.write("requirements.txt", format!("{TF}numpy>=1.17\n"));
    fs::create_dir_all(t.path().join("a/b")).unwrap();
    std::os::unix::fs::symlink("..", t.path().join("a/b/loop")).unwrap();
    std::os::unix::fs::symlink("../a", t.path().join("a/self")).unwrap();
    std::os::unix::fs::symlink("x1", t.path().join("x2")).unwrap();
    std::os::unix::fs::symlink("x2", t.path().join("x1")).unwrap();
    std::os::unix::fs::symlink("nowhere", t.path().join("requirements-dangling.txt")).unwrap();
    let r = check(&t);
    assert_exit(&r, &[1]);
    assert_names(&r, "requirements.txt:2:");
}

#[test]
#[cfg(unix)]
fn non_utf8_path() {
    use std::os::unix::ffi::OsStrExt;
    let t = Tmp::new("nonutf8");
    let name = std::ffi::OsStr::from_bytes(b"dir\xff");
    t.write(
        Path::new(name).join("requirements.txt"),
        format!("{TF}numpy>=1.17\n"),
    );
    let r = check(&t);
    assert_exit(&r, &[1]);
    assert!(r.out.contains("requirements.txt:2:"), "{}", r.out);
}

#[test]
#[cfg(unix)]
fn unreadable_file() {
    use std::os::unix::fs::PermissionsExt;
    let t = Tmp::new("perm");
    let p = t.write("requirements.txt", format!("{TF}numpy>=1.17\n"));
    fs::set_permissions(&p, fs::Permissions::from_mode(0o000)).unwrap();
    if fs::read(&p).is_ok() {
        // Not an outside requirement: no file is unreadable to root, so there is no case.
        crate::common::note("running with permission to read mode-000 files (root?); skipped");
        return;
    }
    let r = check(&t);
    assert_exit(&r, &[1, 2]);
    assert!(r.all().contains("requirements.txt"), "{}", r.all());
}

#[test]
fn yaml_alias_expansion() {
    let t = Tmp::new("laughs");
    let mut y = String::from(
        "a: &a [\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\"]\n",
    );
    for i in 1..20u8 {
        let (me, prev) = ((b'a' + i) as char, (b'a' + i - 1) as char);
        y.push_str(&format!(
            "{me}: &{me} [{}]\n",
            vec![format!("*{prev}"); 9].join(",")
        ));
    }
    y.push_str("dependencies: &d\n  - tensorflow=1.14.0\n  - numpy>=1.17\n  - pip: *d\n");
    t.write("environment.yml", y);
    let r = check(&t);
    assert_exit(&r, &[1]);
    assert!(r.out.contains("environment.yml:"), "{}", r.out);
}

#[test]
fn nesting_200k_deep() {
    let t = Tmp::new("deep");
    let n = 200_000;
    t.write(
        "pyproject.toml",
        format!("x = {}{}\n", "[".repeat(n), "]".repeat(n)),
    );
    t.write(
        "sub/pyproject.toml",
        format!("x = {}1{}\n", "{a=".repeat(n), "}".repeat(n)),
    );
    t.write(
        "Pipfile.lock",
        format!("{}{}", "[".repeat(n), "]".repeat(n)),
    );
    t.write(
        "sub/Pipfile.lock",
        format!("{}1{}", "{\"a\":".repeat(n), "}".repeat(n)),
    );
    t.write(
        "environment.yml",
        format!("dependencies: {}\n", "[".repeat(n)),
    );
    t.write(
        "setup.py",
        format!("setup(install_requires={}\n", "[".repeat(n)),
    );
    let r = check(&t);
    assert_exit(&r, &[1]);
    for f in [
        "pyproject.toml:1:",
        "sub/pyproject.toml:1:",
        "Pipfile.lock:1:",
        "sub/Pipfile.lock:1:",
    ] {
        assert_names(&r, f);
    }
}

/// Values of the wrong type in every format: reported at the value, never a crash.
#[test]
fn wrong_value_types_in_every_format() {
    let cases: &[(&str, &str, &str)] = &[
        (
            "pyproject.toml",
            "[project]\nname=1\ndependencies=\"tensorflow==1.14.0\"\noptional-dependencies=[1]\nrequires-python=3\n",
            "pyproject.toml:3:",
        ),
        (
            "pyproject.toml",
            "[project]\ndependencies=[1,{a=1},[],true]\n[tool.poetry.dependencies]\nnumpy=[1,{version=3},\"x\"]\ntensorflow={version=1}\n[dependency-groups]\na=[{include-group=1},{include-group=\"a\"}]\n[tool.uv]\nconstraint-dependencies=4\noverride-dependencies=[5]\n[build-system]\nrequires=\"x\"\n",
            "pyproject.toml:2:",
        ),
        ("pyproject.toml", "project=1\ntool=2\ndependency-groups=3\nbuild-system=4\n", "pyproject.toml:1:"),
        ("Pipfile", "[packages]\nnumpy=1\ntensorflow={version=1}\nx=[1]\n[requires]\npython_version=3\n", "Pipfile:2:"),
        ("Pipfile", "packages=1\ndev-packages=\"x\"\n", "Pipfile:1:"),
        ("Pipfile.lock", "{\"default\": [], \"develop\": 1, \"_meta\": \"x\"}", "Pipfile.lock:1:"),
        (
            "Pipfile.lock",
            "{\"default\": {\"numpy\": 1,\n \"tensorflow\": {\"version\": 1, \"markers\": 2}, \"x\": {\"version\": \"==\", \"extras\": \"a\"}}}",
            "Pipfile.lock:2:",
        ),
        ("Pipfile.lock", "[1,2]", "Pipfile.lock:1:"),
        ("Pipfile.lock", "null", "Pipfile.lock:1:"),
        ("poetry.lock", "package=1\n", "poetry.lock:1:"),
        (
            "poetry.lock",
            "[[package]]\nname=1\nversion=2\n[[package]]\nname=\"numpy\"\nversion=\"bad version\"\ngroups=1\nmarkers=3\n",
            "poetry.lock:2:",
        ),
        ("uv.lock", "package=\"x\"\n", "uv.lock:1:"),
        (
            "uv.lock",
            "[[package]]\nname=\"numpy\"\nversion=[1]\n[[package]]\nname=[]\nversion=\"1.0\"\ndependencies=3\n",
            "uv.lock:3:",
        ),
        ("pdm.lock", "package=1\n", "pdm.lock:1:"),
        (
            "pdm.lock",
            "[[package]]\nname=\"numpy\"\nversion=1\ngroups=\"x\"\nmarker=3\nrequires_python=4\n",
            "pdm.lock:3:",
        ),
        ("pylock.toml", "packages=1\n", "pylock.toml:1:"),
        (
            "pylock.toml",
            "[[packages]]\nname=\"numpy\"\nversion=1\nmarker=2\n[[packages]]\nname=3\n",
            "pylock.toml:3:",
        ),
        (
            "setup.cfg",
            "[options]\ninstall_requires = 1\n  [[[\n  numpy;;;\npython_requires = ~~~\n[options.extras_require]\n-bad- = numpy\n",
            "setup.cfg:3:",
        ),
        ("setup.cfg", "[metadata\nname\n", "setup.cfg:1:"),
        (
            "setup.py",
            "setup(install_requires=1, extras_require=[1], python_requires=3)\n",
            "setup.py:1:",
        ),
        (
            "setup.py",
            "setup(install_requires=[\"tensorflow==1.14.0\", \"numpy>=\" + x, *deps], extras_require={1: 2, 'a': 3})\n",
            "setup.py:1:",
        ),
        ("environment.yml", "dependencies: 1\n", "environment.yml:1:"),
        (
            "environment.yml",
            "dependencies:\n  - 1\n  - [a]\n  - {pip: 3}\n  - pip: [1, {a: b}]\nchannels: x\n",
            "environment.yml:2:",
        ),
        ("environment.yml", "- a\n- b\n", "environment.yml:1:"),
    ];
    for (i, (name, text, at)) in cases.iter().enumerate() {
        let t = Tmp::new(&format!("types{i}"));
        t.write(name, text);
        let r = run_in(t.path(), &["check", "--format", "concise", name]);
        assert_exit(&r, &[0, 1]);
        assert_names(&r, at);
    }
}

#[test]
fn invalid_specifiers_and_markers() {
    let t = Tmp::new("invalid");
    t.write(
        "requirements.txt",
        format!(
            "{TF}numpy>=>1\nnumpy;python_version>>\"3\"\nnumpy ; ((((\nnumpy==1.*.*\nnumpy~=1\n\
             numpy===\nnumpy @\n[a]\nnumpy<1.17\n"
        ),
    );
    t.write(
        "pyproject.toml",
        "[project]\nname=\"x\"\ndependencies=[\"a. >=1\", \"b[c-]\", \"numpy>=>1\", \"numpy; (((\", \"tensorflow==1.14.0\"]\n",
    );
    t.write(
        "environment.yml",
        "dependencies:\n  - tensorflow==1.14.0\n  - numpy >=1.17 *mkl* 3\n  - numpy=1.1a.b\n  - numpy !=\n  - numpy[version='>=>1']\n",
    );
    let r = check(&t);
    assert_exit(&r, &[1]);
    for line in 2..=8 {
        assert_names(&r, &format!("requirements.txt:{line}:"));
    }
    assert_names(&r, "pyproject.toml:3:");
    assert!(r.out.matches("pyproject.toml:3:").count() >= 4, "{}", r.out);
    assert_names(&r, "environment.yml:");
}

/// pep508_rs 0.9.2 panics on a name ending in `.`/`-`/`_` followed by more text; every
/// reader that parses PEP 508 strings must refuse it first.
#[test]
fn names_that_crash_pep508_rs() {
    let files: &[(&str, &str)] = &[
        ("pyproject.toml", "[project]\nname=\"x\"\ndependencies=[\"a. >=1\", \"tensorflow==1.14.0\"]\n"),
        ("Pipfile", "[packages]\n\"a-\" = \">=1\"\n"),
        ("setup.cfg", "[options]\ninstall_requires =\n    a_ >=1\n    b[c-]\n"),
        ("setup.py", "setup(install_requires=[\"a. >=1\", \"b[c-]\"])\n"),
        ("environment.yml", "dependencies:\n  - pip:\n    - a. >=1\n"),
        ("requirements.txt", "a. >=1\nb[c-]\n"),
        ("poetry.lock", "[[package]]\nname = \"x\"\nversion = \"1\"\n[package.dependencies]\n\"a.\" = \">=1\"\n"),
        ("uv.lock", "[[package]]\nname = \"x\"\nversion = \"1\"\n[package.metadata]\nrequires-dist = [{ name = \"a.\", specifier = \">=1\" }]\n"),
    ];
    for (i, (name, text)) in files.iter().enumerate() {
        let t = Tmp::new(&format!("names{i}"));
        t.write(name, text);
        let r = run_in(t.path(), &["check", "--format", "concise", name]);
        assert_exit(&r, &[0, 1]);
    }
}

#[test]
fn markers_that_explode() {
    let t = Tmp::new("markers");
    let deep = format!(
        "{}python_version>'3'{}",
        "(".repeat(100_000),
        ")".repeat(100_000)
    );
    let pairs: Vec<String> = (0..40)
        .map(|i| format!("(extra=='a{i}' and extra=='b{i}')"))
        .collect();
    let ors: Vec<String> = (0..20_000)
        .map(|i| format!("python_full_version=='3.{i}.1'"))
        .collect();
    t.write(
        "requirements.txt",
        format!(
            "{TF}numpy; {deep}\nnumpy>=1.18; {}\nnumpy; {}\nnumpy<1.17\n",
            pairs.join(" or "),
            ors.join(" or ")
        ),
    );
    t.write(
        "pyproject.toml",
        format!(
            "[project]\nname=\"x\"\ndependencies=[\"tensorflow==1.14.0\", \"numpy<1.17; {deep}\", \"numpy<1.17; {}\"]\n",
            pairs.join(" or ").replace('\'', "\\'")
        ),
    );
    t.write(
        "Pipfile.lock",
        format!(
            "{{\"default\": {{\"tensorflow\": {{\"version\": \"==1.14.0\"}}, \"numpy\": {{\"version\": \"==1.16.4\", \"markers\": \"{deep}\"}}}}}}"
        ),
    );
    let r = check(&t);
    assert_exit(&r, &[1]);
    for at in [
        "requirements.txt:2:",
        "requirements.txt:3:",
        "requirements.txt:4:",
        "pyproject.toml:3:",
        "Pipfile.lock:1:",
    ] {
        assert_names(&r, at);
    }
    assert!(r.out.contains("nested more than"), "{}", r.out);
    assert!(r.out.contains("too complex"), "{}", r.out);
}

#[test]
fn huge_specifiers_and_many_lines() {
    let t = Tmp::new("huge");
    let clauses: Vec<String> = (0..100_000).map(|i| format!("!=1.{i}")).collect();
    t.write(
        "requirements.txt",
        format!("{TF}numpy{}\n", clauses.join(",")),
    );
    let mut many = String::from(TF);
    for i in 0..5_000 {
        many.push_str(&format!("numpy>=1.{},!=1.{i}\npkg{i}>=1\n", i % 20));
    }
    t.write("sub/requirements.txt", many);
    t.write(
        "big/requirements.txt",
        format!(
            "{TF}numpy=={}\nnumpy>={}\n",
            "9".repeat(100_000),
            vec!["1"; 50_000].join(".")
        ),
    );
    let r = check(&t);
    assert_exit(&r, &[1]);
    assert_names(&r, "requirements.txt:2:");
    assert_names(&r, "sub/requirements.txt:");
    assert_names(&r, "big/requirements.txt:");
}

#[test]
fn odd_encodings_and_line_breaks() {
    let t = Tmp::new("enc");
    let mut utf16 = vec![0xff, 0xfe];
    for u in format!("{TF}numpy>=1.17\n").encode_utf16() {
        utf16.extend(u.to_le_bytes());
    }
    utf16.push(0); // odd length
    t.write("a/requirements.txt", utf16);
    t.write("b/requirements.txt", b"\xfe\xff\xd8\x00\xd8\x00\x00a");
    t.write(
        "c/requirements.txt",
        b"# -*- coding: utf-16 -*-\ntensorflow==1.14.0\nnumpy>=1.17\n",
    );
    t.write(
        "d/requirements.txt",
        b"# coding: bogus-enc\ntensorflow==1.14.0\nnumpy>=1.17\xe9\n",
    );
    t.write(
        "e/requirements.txt",
        "tensorflow==1.14.0\r\rnumpy>=1.17\\\r\n,<2\x0c\x1c\x1d\x1e\u{85}\u{2028}\u{2029}numpy\n",
    );
    let r = check(&t);
    assert_exit(&r, &[1]);
    for d in ["a", "c", "d", "e"] {
        assert!(
            r.out.contains(&format!("{d}/requirements.txt:")),
            "{d}: {}",
            r.out
        );
    }
}

#[test]
fn poetry_constraints_at_scale() {
    let t = Tmp::new("poetry");
    t.write(
        "pyproject.toml",
        format!(
            "[tool.poetry.dependencies]\ntensorflow=\"1.14.0\"\nnumpy=\"{}\"\nscipy=\"{}\"\nh5py=\"{}\"\n",
            vec!["^1.1"; 10_000].join("||"),
            (0..10_000).map(|i| format!("~1.{i}")).collect::<Vec<_>>().join(","),
            vec!["^1.1 || ^1.2"; 30].join(" "),
        ),
    );
    let r = check(&t);
    assert_exit(&r, &[1]);
    assert_names(&r, "pyproject.toml:3:");
}

/// conda environment files through the YAML 1.2 reader: a million aliases are one report
/// (never expanded), block nesting 200,000 deep stops at the depth limit, duplicate keys
/// and a second document are reported as ruamel.yaml refuses them.
#[test]
fn yaml_shapes_end_cleanly() {
    let t = Tmp::new("yaml-shapes");
    t.write(
        "a/environment.yml",
        format!(
            "base: &a tensorflow=1.14.0\ndependencies:\n{}",
            "  - *a\n".repeat(1_000_000)
        ),
    );
    t.write(
        "b/environment.yml",
        format!("dependencies:\n{}x\n", "- ".repeat(200_000)),
    );
    t.write(
        "c/environment.yml",
        "dependencies:\n  - numpy\ndependencies:\n  - six\n",
    );
    t.write(
        "d/environment.yml",
        "dependencies: [numpy]\n---\ndependencies: [six]\n",
    );
    let r = check(&t);
    assert_exit(&r, &[1]);
    assert_eq!(r.out.matches("is not expanded").count(), 1, "{}", r.out);
    assert!(r.out.contains("999999 more aliases"), "{}", r.out);
    assert_names(&r, "a/environment.yml:3:");
    assert_names(&r, "b/environment.yml:2:");
    assert!(r.out.contains("nested more than 64"), "{}", r.out);
    assert_names(&r, "c/environment.yml:3:1:");
    assert!(r.out.contains("duplicate key `dependencies`"), "{}", r.out);
    assert_names(&r, "d/environment.yml:2:");
    assert!(r.out.contains("second YAML document"), "{}", r.out);
}

/// `"nt" ~= os_name` made pep508_rs panic (exit 101) wherever a marker is read; pip fails on
/// it too (`~=` needs a version on its right). Every format reports it at its line and
/// goes on checking the rest.
#[test]
fn a_string_compared_with_tilde_equal_is_reported_in_every_format() {
    let cases: [(&str, String, &str); 5] = [
        (
            "requirements.txt",
            format!("{TF}numpy<1.17 ; \"nt\" ~= os_name\ngast\n"),
            "requirements.txt:2:",
        ),
        (
            "pyproject.toml",
            "[project]\nname = \"p\"\nversion = \"1\"\ndependencies = [\n  \"tensorflow==1.14.0\",\n  \"numpy<1.17; 'linux' ~= sys_platform\",\n]\n".to_owned(),
            "pyproject.toml:6:",
        ),
        (
            "setup.cfg",
            "[options]\ninstall_requires =\n    tensorflow==1.14.0\n    numpy<1.17; os_name ~= 'nt'\n".to_owned(),
            "setup.cfg:4:",
        ),
        (
            "pyproject.toml",
            "[tool.poetry]\nname = \"p\"\nversion = \"1\"\n[tool.poetry.dependencies]\npython = \"~3.7\"\ntensorflow = \"1.14.0\"\nnumpy = { version = \"<1.17\", markers = \"'a' ~= platform_machine\" }\n".to_owned(),
            "pyproject.toml:7:",
        ),
        (
            "Pipfile",
            "[packages]\ntensorflow = \"==1.14.0\"\nnumpy = { version = \"<1.17\", markers = \"'x' ~= implementation_name\" }\n".to_owned(),
            "Pipfile:3:",
        ),
    ];
    for (name, text, at) in cases {
        let t = Tmp::new("tilde");
        t.write(name, text);
        let r = check(&t);
        assert_exit(&r, &[1]);
        assert_names(&r, at);
        assert!(r.out.contains("`~=` on a string"), "{name}: {}", r.all());
    }
}

/// A `'` inside a URL hid the marker after it from the nesting guard, and 20,000
/// parentheses there overflowed the stack (abort, no output): now a DW001 at its line.
#[test]
fn a_quote_in_a_url_does_not_let_deep_parentheses_through() {
    let n = 20_000;
    let dep = format!(
        "numpy @ https://x/' ; {}os_name == 'nt'{}",
        "(".repeat(n),
        ")".repeat(n)
    );
    let t = Tmp::new("urlquote");
    t.write(
        "pyproject.toml",
        format!(
            "[project]\nname = \"p\"\nversion = \"1\"\ndependencies = [\n  \"tensorflow==1.14.0\",\n  \"{dep}\",\n]\n"
        ),
    );
    let r = check(&t);
    assert_exit(&r, &[1]);
    assert_names(&r, "pyproject.toml:6:");
    assert!(r.out.contains("nested more than"), "{}", r.all());
}

/// A FIFO where the walk reads an ignore file: `.gitignore`, `.ignore` and
/// `.git/info/exclude` in walked directories and in the directories above the root, a
/// `.gitignore` that links to a FIFO, a worktree's `commondir`. The open of a FIFO waits
/// for a writer (the walk hung there, killed by the hang guard); each is now refused as not
/// a regular file, and skipped as an ignore file that cannot be read is: the run says what
/// it says without them, word for word.
#[test]
#[cfg(unix)]
fn fifos_as_ignore_files_are_skipped() {
    let t = Tmp::new("fifo-ignore");
    let flagged = format!("{TF}numpy\n");
    for dir in ["proj/a", "proj/b", "proj/c", "proj/d", "proj/e"] {
        t.write(format!("{dir}/requirements.txt"), &flagged);
    }
    t.write("gd/HEAD", "ref: refs/heads/main\n");
    let gitdir = format!("gitdir: {}\n", t.join("gd").display());
    t.write("proj/d/.git", &gitdir);
    fs::create_dir_all(t.join("proj/e/.git/info")).unwrap();
    fs::create_dir_all(t.join(".git/info")).unwrap();
    // Roots `.` (every FIFO walked) and `proj` (the top ones above the root).
    let runs = || {
        ["proj", "."].map(|root| {
            let r = run_in(t.path(), &["check", "--format", "concise", root]);
            (r.code, r.out, r.err)
        })
    };
    let without = runs();
    let mut made = Ok(());
    for fifo in [
        ".gitignore",
        ".ignore",
        ".git/info/exclude",
        "proj/a/.gitignore",
        "proj/a/.ignore",
        "proj/b/pipe",
        "gd/commondir",
        "proj/e/.git/info/exclude",
    ] {
        if made.is_ok() {
            made = match Command::new("mkfifo").arg(t.join(fifo)).status() {
                Ok(s) if s.success() => Ok(()),
                other => Err(format!("mkfifo: {other:?}")),
            };
        }
    }
    if crate::common::require("mkfifo", made).is_none() {
        return;
    }
    std::os::unix::fs::symlink("pipe", t.join("proj/b/.gitignore")).unwrap();
    std::os::unix::fs::symlink("../b/pipe", t.join("proj/c/.ignore")).unwrap();
    let with = runs();
    assert_eq!(with[0].0, 1, "{}{}", with[0].1, with[0].2);
    assert_eq!(with, without);
}
