//! Issue 13 "Parallel from the start": the file-system work of a run, counted (not timed).
//! The binary prints its counters with `DEPWINDOW_TEST_IO_COUNTS` set
//! (`depwindow::files::counts`): resolutions of a file's path, input files opened, and
//! probes for a configuration file name. On a tree of projects, each file is resolved once
//! and opened once (a pyproject.toml too, which the configuration lookup also reads), and
//! the directories the walk has listed are not probed again for `depwindow.toml` or
//! `pyproject.toml`, so the probes stay the same when the tree grows fourfold.

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
