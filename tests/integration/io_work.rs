//! Issue 13 "Parallel from the start": the file-system work of a run, counted (not timed).
//! The binary prints its counters with `DEPWINDOW_TEST_IO_COUNTS` set
//! (`depwindow::files::counts`): resolutions of a file's path, input files opened, and
//! probes for a configuration file name. On a tree of projects, each file is resolved once
//! and opened once (a pyproject.toml too, which the configuration lookup also reads), and
//! the directories the walk has listed are not probed again for `depwindow.toml` or
//! `pyproject.toml`, so the probes stay the same when the tree grows fourfold. Each
//! directory is listed once, and probed only for the configuration file names its listing
//! shows.

use crate::common::{run_in, Scratch};

/// A tree of `n` projects two levels down, each a requirements.txt and, with `pyproject`,
/// a pyproject.toml.
fn tree(name: &str, n: usize, pyproject: bool) -> Scratch {
    let s = Scratch::new(name);
    for i in 0..n {
        let dir = format!("team{}/proj{i}", i % 4);
        s.write(
            &format!("{dir}/requirements.txt"),
            "tensorflow==1.14.0\nnumpy>=1.16\nrequests==2.31.0\n",
        );
        if !pyproject {
            continue;
        }
        s.write(
            &format!("{dir}/pyproject.toml"),
            format!(
                "[project]\nname = \"p{i}\"\nversion = \"1\"\ndependencies = [\"tensorflow==1.14.0\", \"numpy<1.17\"]\n"
            ),
        );
    }
    s
}

struct Counts {
    resolutions: u64,
    opens: u64,
}

fn counts(s: &Scratch) -> Counts {
    let out = run_in(
        s.path(),
        &["check", "--format", "json", "--exit-zero", "."],
        &[(depwindow::files::counts::ENV, "1")],
        None,
    );
    assert_eq!(out.code, 0, "{}", out.stderr);
    let line = out
        .stderr
        .lines()
        .find_map(|l| l.strip_prefix("depwindow: io counts: "))
        .unwrap_or_else(|| panic!("no counts in {}", out.stderr));
    let get = |key: &str| -> u64 {
        line.split(' ')
            .find_map(|kv| kv.strip_prefix(key)?.strip_prefix('='))
            .and_then(|v| v.parse().ok())
            .unwrap_or_else(|| panic!("no {key} in {line}"))
    };
    Counts {
        resolutions: get("resolutions"),
        opens: get("opens"),
    }
}

#[test]
fn each_file_is_resolved_once_and_read_once() {
    for (name, pyproject) in [("io-once-txt", false), ("io-once-both", true)] {
        let n = 12;
        let s = tree(name, n, pyproject);
        let c = counts(&s);
        let files = (n * (1 + usize::from(pyproject))) as u64;
        assert_eq!(c.opens, files, "{name}: each file opened once");
        assert_eq!(
            c.resolutions, files,
            "{name}: each file's path resolved once"
        );
    }
}

/// The walk asks two questions of each file it finds (is it excluded? which settings?):
/// the answers come from one lookup per directory, not one per file and question (each
/// made the path absolute, normalised and hashed it: 800 for 200 projects of 2 files).
#[test]
fn configuration_is_looked_up_once_per_directory() {
    let n = 12;
    let s = tree("io-config-dirs", n, true);
    let lookups = counter(&s, "2", "config-lookups");
    assert!(lookups >= 1, "no lookup counted");
    assert!(
        lookups <= n as u64,
        "{lookups} configuration lookups for {n} directories of 2 files"
    );
}

/// Whether a pyproject.toml holds `[tool.depwindow]` is asked of every one the lookup
/// reads; only text that could spell the table is TOML-parsed for it: one that says
/// `depwindow`, or a quoted key escape (`\u`, `\U`, `\x`); a backslash that spells no letter
/// (a Windows path, `\t`) costs no parse (it did: one per file).
#[test]
fn only_a_pyproject_that_could_name_the_table_is_parsed_for_it() {
    let s = Scratch::new("io-config-parses");
    for i in 0..6 {
        s.write(
            &format!("p{i}/pyproject.toml"),
            format!(
                "[project]\nname = \"p{i}\"\nversion = \"1\"\ndescription = \"C:\\\\src\\tp{i}\"\ndependencies = [\"tensorflow==1.14.0\", \"numpy<1.17\"]\n"
            ),
        );
    }
    s.write(
        "q/pyproject.toml",
        "[project]\nname = \"q\"\nversion = \"1\"\ndependencies = [\"numpy\"]\n\n[tool.depwindow]\nignore = [\"DW102\"]\n",
    );
    assert_eq!(counter(&s, "2", "config-parses"), 1);
}

/// Each directory the walk meets is listed once, and that listing serves the sibling
/// lockfile lookups of the declarations in it (each project directory was listed a second
/// time for them: 12 more here), whether roots are checked during the walk or after it.
#[test]
fn each_directory_is_listed_once() {
    let n = 12;
    let s = tree("io-listed-once", n, true);
    // The root, four team directories, the project directories.
    let dirs = (1 + 4 + n) as u64;
    for jobs in ["1", "2"] {
        assert_eq!(counter(&s, jobs, "listings"), dirs, "--jobs {jobs}");
    }
}

/// A walked directory is probed only for the configuration file names its listing shows:
/// a directory with only a requirements.txt costs no probe (it cost a `stat` of
/// `depwindow.toml` and an open of `pyproject.toml`), and each pyproject.toml one read.
/// The directories above the root, which the walk does not list, are probed as before.
#[test]
fn walked_directories_are_probed_only_for_names_they_hold() {
    let n = 8;
    let txt = tree("io-probes-txt", n, false);
    let both = tree("io-probes-both", n, true);
    let more = tree("io-probes-more", n, true);
    for i in 0..3 * n {
        more.write(
            &format!("extra{}/lib{i}/requirements.txt", i % 3),
            "numpy>=1.16\n",
        );
    }
    let probes = |s: &Scratch| counter(s, "2", "config-probes");
    let above = probes(&txt);
    assert_eq!(
        probes(&both),
        above + n as u64,
        "one read per pyproject.toml"
    );
    assert_eq!(
        probes(&more),
        above + n as u64,
        "no probe where the listing has no name"
    );
}

/// The walk looks in a directory only for the names its listing shows: an ignore file,
/// `.git` (then its `info/exclude`), `pyvenv.cfg`. The `ignore` crate's walk stat'ed four
/// names in each of these 19 directories (and ours would, were the listing not asked).
#[test]
fn the_walk_probes_only_names_it_listed() {
    let s = tree("io-walk-probes", 12, false);
    s.write("team0/.gitignore", "*.log\n")
        .write("team1/proj1/.ignore", "build/\n")
        .write("team2/.git/info/exclude", "*.tmp\n")
        .write("venv/pyvenv.cfg", "home = /usr\n")
        .write("venv/requirements.txt", "numpy==1.16.0\n")
        .write("notes/readme.txt", "not a venv\n");
    // .gitignore, .ignore, .git and its exclude file, pyvenv.cfg.
    assert_eq!(counter(&s, "2", "walk-probes"), 5);
}

/// One counter of a run with `--jobs JOBS`.
fn counter(s: &Scratch, jobs: &str, key: &str) -> u64 {
    counter_of(s, &["--jobs", jobs, "."], key)
}

/// The counter `key` of `depwindow check ARGS` in `s` (exit code 1 or 0 allowed).
fn counter_of(s: &Scratch, args: &[&str], key: &str) -> u64 {
    let mut all = vec!["check", "--format", "json", "--exit-zero"];
    all.extend_from_slice(args);
    let out = run_in(
        s.path(),
        &all,
        &[(depwindow::files::counts::ENV, "1")],
        None,
    );
    assert_eq!(out.code, 0, "{}", out.stderr);
    out.stderr
        .lines()
        .filter_map(|l| l.strip_prefix("depwindow: io counts: "))
        .flat_map(|l| l.split(' '))
        .find_map(|kv| kv.strip_prefix(key)?.strip_prefix('='))
        .and_then(|v| v.parse().ok())
        .unwrap_or_else(|| panic!("no {key} in {}", out.stderr))
}

fn checked_during_walk(s: &Scratch, jobs: &str) -> u64 {
    counter(s, jobs, "checked-during-walk")
}

/// The walk runs ahead of the workers, but the pyproject.toml bytes it read ahead for them
/// stay under the stream's budget (256 KiB, plus the file that crosses it) however large
/// the tree: here 120 files of 8 KiB, about 1 MiB, which the walk reads far faster than
/// they are checked.
#[test]
fn bytes_read_ahead_stay_bounded() {
    let s = Scratch::new("io-held");
    let padding = format!("# {}\n", "x".repeat(8 * 1024));
    for i in 0..120 {
        s.write(
            &format!("p{i:03}/pyproject.toml"),
            format!(
                "{padding}[project]\nname = \"p{i}\"\nversion = \"1\"\ndependencies = [\"tensorflow==1.14.0\", \"numpy>=1.16\"]\n"
            ),
        );
    }
    let held = counter(&s, "2", "held-peak");
    assert!(held > 0, "nothing was handed over");
    assert!(held <= 256 * 1024 + 9 * 1024, "{held} bytes held at once");
}

/// Discovery feeds the workers: with two workers, roots are checked before the walk ends
/// (the binary's test mode makes the walk wait for the first one, so this holds on any
/// machine); with `--jobs 1` everything is checked after the walk, as before.
#[test]
fn checking_starts_while_the_walk_goes_on() {
    let s = tree("io-stream", 12, true);
    assert!(checked_during_walk(&s, "2") >= 1);
    assert_eq!(checked_during_walk(&s, "1"), 0);
}

/// The output of a run fed by the walk is the output of the sequential run (`--jobs 1`,
/// checked after the walk), byte for byte, on a tree where findings merge across roots (a
/// shared include), suppressions in a shared include are used or unused across its includers,
/// a constraints-named file is
/// checked through its includers, a link to a file is checked once, configurations differ by
/// directory, and a file is named besides its directory.
#[test]
fn streamed_output_is_the_sequential_output() {
    let s = Scratch::new("io-stream-same");
    s.write(
        "common/base.txt",
        "numpy>=1.16  # depwindow: ignore[DW101]\nprotobuf>=3.6  # depwindow: ignore[DW102]\n",
    )
    .write("common/constraints.txt", "numpy<1.19\n")
    .write(
        "a/requirements.txt",
        "tensorflow==1.14.0\n-r ../common/base.txt\n-c ../common/constraints.txt\n",
    )
    .write("b/requirements.txt", "tensorflow>=1.14,<1.15\n-r ../common/base.txt\n")
    .write(
        "c/pyproject.toml",
        "[project]\nname = \"c\"\nversion = \"1\"\ndependencies = [\"tensorflow==1.14.0\", \"numpy\"]\n\n[tool.depwindow]\nignore = [\"DW102\"]\n",
    )
    .write("d/depwindow.toml", "pythons = [\"3.6\"]\n")
    .write("d/sub/requirements.txt", "tensorflow==1.14.0\nnumpy==1.20.0\nh5py\n")
    .write(
        "e/pyproject.toml",
        "[project]\nname = \"e\"\nversion = \"1\"\ndependencies = [\"tensorflow==1.14.0\", \"numpy>=1.16\", \"gast\"]\n",
    )
    .write("e/requirements.txt", "tensorflow==1.14.0\nwrapt\nnumpy>=1.16\n");
    std::os::unix::fs::symlink(
        "../b/requirements.txt",
        s.path().join("e/requirements-dev.txt"),
    )
    .unwrap();
    for format in ["json", "human"] {
        for extra in [&["."][..], &["e/requirements.txt", "."][..]] {
            let run = |jobs: &str| {
                let mut args = vec!["check", "--format", format, "--jobs", jobs];
                args.extend_from_slice(extra);
                run_in(s.path(), &args, &[], None)
            };
            let (streamed, sequential) = (run("2"), run("1"));
            assert!(streamed.stdout.len() > 100, "{}", streamed.stderr);
            assert_eq!(streamed.stdout, sequential.stdout, "{format} {extra:?}");
            assert_eq!(streamed.stderr, sequential.stderr, "{format} {extra:?}");
            assert_eq!(streamed.code, sequential.code, "{format} {extra:?}");
        }
    }
}

/// The opens of `depwindow check ARGS` in `s`, exit code 1 or 0 allowed.
fn opens_of(s: &Scratch, args: &[&str]) -> u64 {
    counter_of(s, args, "opens")
}

/// Issue 15 §4 (`bench/hostile_inputs.py` `uv-lock-150k-packages`): a uv.lock checked as a
/// root and read as the lockfile of the pyproject.toml beside it is read once: the root's
/// check hands its pins over. Before (f1c1251) it was read, and parsed, twice per run, both
/// at once on two workers (a 6.8 MB lock peaked at 205 MB). Whatever the worker count and
/// the order the two are named in; each alone reads what it did.
#[test]
fn a_lockfile_checked_and_paired_is_read_once() {
    let s = Scratch::new("io-lock-once");
    s.write(
        "pyproject.toml",
        "[project]\nname = \"p\"\nversion = \"1\"\ndependencies = [\"tensorflow==1.14.0\", \"numpy<1.17\"]\n",
    );
    let without = [
        opens_of(&s, &["--jobs", "1", "."]),
        opens_of(&s, &["."]),
        opens_of(&s, &["pyproject.toml"]),
    ];
    s.write(
        "uv.lock",
        "version = 1\nrequires-python = \">=3.6\"\n\n[[package]]\nname = \"numpy\"\nversion = \"1.16.6\"\n\n[[package]]\nname = \"tensorflow\"\nversion = \"1.14.0\"\n",
    );
    for (args, before) in [
        (&["--jobs", "1", "."][..], without[0]),
        (&["--jobs", "2", "."][..], without[1]),
        (&["."][..], without[1]),
        (&["pyproject.toml", "uv.lock"][..], without[2]),
        (&["uv.lock", "pyproject.toml"][..], without[2]),
        (
            &["--jobs", "1", "uv.lock", "pyproject.toml"][..],
            without[2],
        ),
    ] {
        assert_eq!(
            opens_of(&s, args),
            before + 1,
            "{args:?}: the lock read once"
        );
    }
    // Alone, each reads the lock once: the root its own (the configuration lookup reads
    // the pyproject.toml beside it), the declaration its sibling.
    assert_eq!(opens_of(&s, &["uv.lock"]), without[2] + 1);
    assert_eq!(opens_of(&s, &["pyproject.toml"]), without[2] + 1);
}

/// A file's line starts are found only when something asks where in it a finding is: a
/// tree of 12 files, one with findings, finds the lines of that one (and of no file the
/// check read without a finding, as it did for every file loaded).
#[test]
fn only_files_with_findings_have_their_lines_indexed() {
    let s = Scratch::new("io-line-indexes");
    for i in 0..11 {
        s.write(
            &format!("p{i}/requirements.txt"),
            "# pinned\nrequests==2.31.0\nsix>=1.10\n",
        );
    }
    s.write("q/requirements.txt", "tensorflow==1.14.0\nnumpy>=1.16\n");
    for jobs in ["1", "2"] {
        let out = run_in(
            s.path(),
            &["check", "--format", "json", "--jobs", jobs, "."],
            &[(depwindow::files::counts::ENV, "1")],
            None,
        );
        assert_eq!(out.code, 1, "{}", out.stderr);
        assert!(out.stdout.contains("q/requirements.txt"), "{}", out.stdout);
        assert_eq!(counter(&s, jobs, "line-indexes"), 1, "--jobs {jobs}");
    }
}

/// What the walk's listings leave held for later stays the same when the tree grows
/// fourfold (`listed-peak`, in entries: a directory's configuration names one, a sibling
/// lockfile listing one per name kept): the configuration names of a directory are let go
/// when the walk leaves it, a directory of data files beside a requirements.txt (whose
/// check looks for no lockfile) keeps none of its names, and of a pyproject.toml's only
/// whether each lockfile name is there. Every directory's names were held to the end of
/// the walk: 2,000 data file names, and 40 empty directories, grew the peak fourfold.
#[test]
fn listings_held_do_not_grow_with_the_tree() {
    let shaped = |name: &str, n: usize| {
        let s = Scratch::new(name);
        for i in 0..n {
            s.write(&format!("p{i}/requirements.txt"), "numpy>=1.16\n");
            for j in 0..50 {
                s.write(&format!("p{i}/data/f{j}.dat"), "");
                s.write(&format!("p{i}/f{j}.dat"), "");
            }
            std::fs::create_dir_all(s.path().join(format!("e{i}/a/b"))).unwrap();
        }
        s.write(
            "pyproject.toml",
            "[project]\nname = \"x\"\nversion = \"1\"\n",
        );
        s
    };
    let (small, large) = (shaped("io-held-10", 10), shaped("io-held-40", 40));
    for jobs in ["1", "2"] {
        let peak = |s: &Scratch| counter(s, jobs, "listed-peak");
        assert_eq!(peak(&small), peak(&large), "--jobs {jobs}");
        assert!(peak(&large) <= 8, "--jobs {jobs}: {}", peak(&large));
    }
}
