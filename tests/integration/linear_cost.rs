//! Issue 15 §4: cost linear in the input. Each case builds the same hostile shape at size n
//! and 4n and runs it in-process; the thread's CPU time (kernel accounting, not a wall
//! clock, so other processes on the machine do not count) at 4n must stay within
//! [`MAX_RATIO`] times the time at n. Linear work gives about 4; the quadratic loops these
//! inputs once hit (re-cloning Poetry AND clauses, a scan of every lock package per group, a
//! scan of every finding and unit per merged finding, a scan of the whole text per inserted
//! fix) give 16 and more. The benchmark with the full sizes is `bench/hostile.sh`.

use std::time::Duration;

use depwindow::formats::Format;

/// Allowed growth of the work when the input grows fourfold.
const MAX_RATIO: f64 = 8.0;

fn thread_cpu() -> Duration {
    // SAFETY: zeroed timespec is a valid out-parameter for clock_gettime.
    let mut t: libc::timespec = unsafe { std::mem::zeroed() };
    let r = unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut t) };
    assert_eq!(r, 0, "clock_gettime");
    Duration::new(t.tv_sec as u64, t.tv_nsec as u32)
}

/// The least CPU time of three runs of `f` (the least is the least disturbed).
fn cost(f: &dyn Fn()) -> Duration {
    (0..3)
        .map(|_| {
            let start = thread_cpu();
            f();
            thread_cpu() - start
        })
        .min()
        .unwrap()
        // A floor against the clock's granularity on very fast machines.
        .max(Duration::from_micros(200))
}

fn assert_linear(what: &str, make: &dyn Fn(usize) -> Box<dyn Fn()>, n: usize) {
    let small = cost(&*make(n));
    let large = cost(&*make(4 * n));
    let ratio = large.as_secs_f64() / small.as_secs_f64();
    eprintln!("{what}: {small:?} at n={n}, {large:?} at 4n: ratio {ratio:.2}");
    assert!(
        ratio <= MAX_RATIO,
        "{what}: work grew {ratio:.1} times when the input grew 4 times ({small:?} -> \
         {large:?}): super-linear"
    );
}

/// The whole pipeline (parse, check against the built-in rules, every span checked) on one
/// file of `format`.
fn pipeline(format: Format, text: String) -> Box<dyn Fn()> {
    let i = Format::ALL.iter().position(|f| *f == format).unwrap() as u8;
    let mut data = vec![i];
    data.extend_from_slice(text.as_bytes());
    Box::new(move || depwindow::fuzz_targets::pipeline(&data))
}

#[test]
fn poetry_and_clauses() {
    let make = |n: usize| -> Box<dyn Fn()> {
        let c: Vec<String> = (0..n).map(|i| format!("!=1.{i}")).collect();
        let c = c.join(",");
        Box::new(move || {
            let alts = depwindow::formats::poetry::translate_spanned(&c).unwrap();
            assert_eq!(alts.len(), 1);
            assert_eq!(alts[0].len(), c.matches(',').count() + 1);
        })
    };
    assert_linear("poetry AND clauses", &make, 5_000);
}

#[test]
fn pdm_lock_groups() {
    let make = |n: usize| {
        let groups: Vec<String> = (0..n).map(|i| format!("\"g{i}\"")).collect();
        let groups = groups.join(", ");
        let mut text = String::from("[metadata]\nlock_version = \"4.4\"\n");
        for p in 0..n / 10 {
            text.push_str(&format!(
                "[[package]]\nname = \"p{p}\"\nversion = \"1.0\"\ngroups = [{groups}]\n"
            ));
        }
        text.push_str("[[package]]\nname = \"numpy\"\nversion = \"1.19.0\"\ngroups = [\"g1\"]\n");
        text.push_str("[[package]]\nname = \"tensorflow\"\nversion = \"1.14.0\"\n");
        let n_groups = n;
        Box::new(move || {
            let (_, parsed) =
                depwindow::fuzz_targets::parse_format(Format::PdmLock, text.as_bytes());
            // default, default+g for each group, all
            assert_eq!(parsed.groups.len(), n_groups + 2);
        }) as Box<dyn Fn()>
    };
    // Packages and groups both grow: quadratic at best; the old per-group scan was cubic.
    let small = cost(&*make(200));
    let large = cost(&*make(400));
    let ratio = large.as_secs_f64() / small.as_secs_f64();
    eprintln!("pdm.lock groups: ratio {ratio:.2} for 2n");
    assert!(
        ratio <= 6.0,
        "pdm.lock groups: {ratio:.1} x for 2 x the input: cubic"
    );
}

/// A PEP 621 project requiring TF 1.14.0 and `numpy`, with `n` extras `e<i>` each holding
/// the one requirement `extra(i)`, through the whole pipeline.
fn pep621_extras(n: usize, numpy: &str, extra: impl Fn(usize) -> String) -> Box<dyn Fn()> {
    let mut text = format!(
        "[project]\nname = \"p\"\nversion = \"0\"\n\
         dependencies = [\"tensorflow==1.14.0\", \"{numpy}\"]\n\
         [project.optional-dependencies]\n"
    );
    for i in 0..n {
        text.push_str(&format!("e{i} = [\"{}\"]\n", extra(i)));
    }
    pipeline(Format::Pyproject, text)
}

#[test]
fn pep621_extras_merge_into_one_finding() {
    let make = |n: usize| pep621_extras(n, "numpy>=1.0", |_| "wrapt".to_owned());
    assert_linear("PEP 621 extras", &make, 150);
}

#[test]
fn pep621_extras_each_bounding_the_package() {
    // The benchmark's shape: every extra its own bound on numpy, so every extra is its own
    // finding; the other rules' verdicts are the base's, shared, not judged again.
    let make = |n: usize| pep621_extras(n, "numpy>=1.0", |i| format!("numpy>=1.{i}"));
    assert_linear("PEP 621 extras bounding numpy", &make, 100);
}

#[test]
fn pep621_extras_each_with_a_broken_line() {
    // Each broken line's stand-in is given its groups: one pass over the memberships, not a
    // scan of every group per stand-in (40,000 such extras took 6.7 s, now 0.3 s).
    let make = |n: usize| pep621_extras(n, "numpy>=1.14.5,<1.17", |_| "wrapt>=1.0,,".to_owned());
    assert_linear("PEP 621 extras with broken lines", &make, 2500);
}

#[test]
fn positions_on_one_long_line() {
    let make = |n: usize| -> Box<dyn Fn()> {
        let text = "x".repeat(n * 10);
        let file = depwindow::source::SourceFile::from_text("f", "f".into(), &text);
        Box::new(move || {
            for k in 0..n {
                assert_eq!(file.position(k * 10).column, k * 10 + 1);
            }
        })
    };
    assert_linear("columns on one line", &make, 20_000);
}

/// A project whose base holds `n` requirements on packages of their own, beside TF 1.14.0
/// and numpy, with `n` extras each adding one more (`bench/hostile_inputs.py`
/// `pep621-5k-base-5k-extras`), as a PEP 621 `pyproject.toml` and as a `setup.py`.
fn base_and_extras(format: Format, n: usize) -> String {
    let base: String = (0..n).map(|i| format!("\"p{i}\", ")).collect();
    match format {
        Format::Pyproject => {
            let extras: String = (0..n).map(|i| format!("e{i} = [\"q{i}\"]\n")).collect();
            format!(
                "[project]\nname = \"p\"\nversion = \"0\"\n\
                 dependencies = [\"tensorflow==1.14.0\", \"numpy>=1.0\", {base}]\n\
                 [project.optional-dependencies]\n{extras}"
            )
        }
        _ => {
            let extras: String = (0..n).map(|i| format!("'e{i}': ['q{i}'], ")).collect();
            format!(
                "from setuptools import setup\nsetup(name='p', install_requires=[\
                 'tensorflow==1.14.0', 'numpy>=1.0', {}], extras_require={{{extras}}})\n",
                base.replace('"', "'")
            )
        }
    }
}

/// M base requirements × E extras (issue 15 §4): each extra's unit once held a copy of the
/// base, and each built its index by name over it, so M = E = 4n cost 16 times M = E = n.
/// Bounded by the most heap the whole pipeline holds at once (a count, the same on every
/// run) and by its CPU time.
#[test]
fn base_requirements_times_extras() {
    for format in [Format::Pyproject, Format::SetupPy] {
        // The shape is read as meant: the base and one unit per extra, each of those holding
        // what the base holds.
        let (_, parsed) =
            depwindow::fuzz_targets::parse_format(format, base_and_extras(format, 10).as_bytes());
        assert_eq!(parsed.groups.len(), 11, "{format:?}");
        assert!((1..11).all(|g| parsed.members(g).len() == 13), "{format:?}");
        let make = |n: usize| pipeline(format, base_and_extras(format, n));
        let n = 300;
        let small = crate::allocations::peak_live_bytes(|| make(n)());
        let large = crate::allocations::peak_live_bytes(|| make(4 * n)());
        let ratio = large as f64 / small as f64;
        eprintln!(
            "{format:?} base × extras: peak heap {small} bytes at n={n}, {large} at 4n: ratio {ratio:.2}"
        );
        assert!(
            ratio <= MAX_RATIO,
            "{format:?}: the peak heap grew {ratio:.1} times when the base and the extras \
             grew 4 times ({small} -> {large}): M × E"
        );
        assert_linear(&format!("{format:?} base × extras"), &make, n);
    }
}

#[test]
fn exclude_globs_are_capped_with_a_position() {
    let dir = std::env::temp_dir().join(format!("depwindow-globs-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let globs: Vec<String> = (0..5_000).map(|i| format!("\"v{i}/**\"")).collect();
    std::fs::write(
        dir.join("depwindow.toml"),
        format!("exclude = [{}]\n", globs.join(", ")),
    )
    .unwrap();
    std::fs::write(dir.join("requirements.txt"), "numpy>=1.0\n").unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_depwindow"))
        .args(["check", "."])
        .current_dir(&dir)
        .output()
        .unwrap();
    let _ = std::fs::remove_dir_all(&dir);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    // The 4097th glob, on line 1: its column is where the over-the-cap entry starts.
    let col = 1 + "exclude = [".len() + globs[..4096].iter().map(|g| g.len() + 2).sum::<usize>();
    assert!(
        err.contains(&format!("depwindow.toml:1:{col}: too many `exclude`")),
        "{err}"
    );
}

/// `bench/hostile_inputs.py` `requirements-8mib-line`: one requirement with many `!=`
/// clauses (a set with as many holes).
#[test]
fn requirements_one_line_of_not_equal_clauses() {
    let make = |n: usize| {
        let clauses: Vec<String> = (0..n).map(|i| format!("!=1.{i}")).collect();
        pipeline(
            Format::Requirements,
            format!("tensorflow==1.14.0\nnumpy{}\n", clauses.join(",")),
        )
    };
    assert_linear("requirements: one line of != clauses", &make, 5_000);
}

/// `bench/hostile_inputs.py` `requirements-750k-lines`: the same requirement on many lines
/// (many requirements on one package in one unit).
#[test]
fn requirements_many_lines_of_one_package() {
    let make = |n: usize| {
        pipeline(
            Format::Requirements,
            format!("tensorflow==1.14.0\n{}", "numpy>=1.0\n".repeat(n)),
        )
    };
    assert_linear("requirements: many lines of one package", &make, 2_000);
}

/// The same requirement on many lines is one finding whose related places are the first
/// 20 others and the TensorFlow requirement; the rest are counted in a note, so the output
/// does not grow with the input (750k lines once gave 250 MB of JSON).
#[test]
fn many_lines_of_one_package_list_twenty_related_places() {
    for (lines, more) in [
        (21, None),
        (22, Some("and 1 more requirement on numpy, not listed")),
        (500, Some("and 479 more requirements on numpy, not listed")),
    ] {
        let dir = crate::common::Scratch::new("related-cap");
        dir.write(
            "requirements.txt",
            format!("tensorflow==1.14.0\n{}", "numpy>=1.0\n".repeat(lines)),
        );
        let out = crate::common::run_in(
            dir.path(),
            &["check", "--output-format", "json", "requirements.txt"],
            &[],
            None,
        );
        assert_eq!(out.code, 1, "{}", out.stderr);
        let json: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
        let d = json["diagnostics"]
            .as_array()
            .unwrap()
            .iter()
            .find(|d| d["code"] == "DW101")
            .expect("one outside-window finding");
        let related = d["related"].as_array().unwrap();
        // The offender is one of the lines; the other lines, then the trigger.
        let also = related
            .iter()
            .filter(|r| r["message"] == "also constrains numpy")
            .count();
        assert_eq!(also, (lines - 1).min(20), "{lines} lines: {related:?}");
        assert_eq!(related.len(), also + 1);
        let notes: Vec<&str> = d["notes"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|n| n.as_str())
            .filter(|n| n.contains("more requirement"))
            .collect();
        assert_eq!(notes, more.into_iter().collect::<Vec<_>>(), "{lines} lines");
    }
}

#[test]
fn poetry_clauses_through_the_whole_pipeline() {
    // The translator is linear (above); the checker then asks for the requirement's version
    // set once per target environment and again for the fix: each time n log n comparisons
    // unless it is built once (`VersionSet::from_specifiers` remembers long lists).
    let make = |n: usize| {
        let c: Vec<String> = (0..n).map(|i| format!("!=1.{i}")).collect();
        pipeline(
            Format::Pyproject,
            format!(
                "[tool.poetry]\nname = \"p\"\nversion = \"0\"\n[tool.poetry.dependencies]\n\
                 python = \"^3.7\"\ntensorflow = \"1.14.0\"\nnumpy = \"{}\"\n",
                c.join(",")
            ),
        )
    };
    assert_linear("Poetry clauses, pipeline", &make, 1_000);
}

/// setup.py `extras_require` with `n` extras, each its own `numpy>=1.i`.
fn setup_py_extras(n: usize) -> String {
    let mut text = String::from(
        "from setuptools import setup\nsetup(name='p', install_requires=[\
         'tensorflow==1.14.0', 'numpy>=1.0'], extras_require={\n",
    );
    for i in 0..n {
        text.push_str(&format!("    'e{i}': ['numpy>=1.{i}'],\n"));
    }
    text.push_str("})\n");
    text
}

#[test]
fn setup_py_extras_are_read_in_linear_time() {
    // Each extra was looked up by a scan of the extras so far, twice (adding it, expanding
    // it into its unit): quadratic in the number of extras.
    let make = |n: usize| -> Box<dyn Fn()> {
        let text = setup_py_extras(n);
        Box::new(move || {
            let (_, parsed) =
                depwindow::fuzz_targets::parse_format(Format::SetupPy, text.as_bytes());
            assert_eq!(parsed.groups.len(), n + 1);
        })
    };
    assert_linear("setup.py extras, read", &make, 2_000);
}

#[test]
fn setup_py_extras_through_the_whole_pipeline() {
    let make = |n: usize| pipeline(Format::SetupPy, setup_py_extras(n));
    assert_linear("setup.py extras, pipeline", &make, 100);
}

/// A pdm.lock whose `n` groups all hold every package: `n` units with the same install.
fn pdm_lock_same_groups(n: usize) -> String {
    let groups: Vec<String> = (0..n).map(|i| format!("\"g{i}\"")).collect();
    let groups = groups.join(", ");
    format!(
        "[metadata]\ngroups = [{groups}]\nlock_version = \"4.4\"\n\n\
         [[package]]\nname = \"numpy\"\nversion = \"1.19.0\"\ngroups = [{groups}]\n\n\
         [[package]]\nname = \"tensorflow\"\nversion = \"1.14.0\"\ngroups = [{groups}]\n"
    )
}

#[test]
fn lock_groups_with_the_same_install_are_judged_once() {
    // 16 times the groups, all installing the same packages: the text (and its reading)
    // grows 16 times, but the install is one, judged and phrased once; each further group
    // only joins the finding. Judging every group again grew the work 16 times (15.7 with
    // one judgement as the fixed cost); reading and joining alone grow it about 9 times
    // (debug build, since `all` shares the groups' judgement too: the fixed cost is one
    // judgement, not two).
    let make = |n: usize| pipeline(Format::PdmLock, pdm_lock_same_groups(n));
    let small = cost(&*make(50));
    let large = cost(&*make(800));
    let ratio = large.as_secs_f64() / small.as_secs_f64();
    eprintln!("pdm.lock same groups: {small:?} at 50, {large:?} at 800: ratio {ratio:.2}");
    assert!(
        ratio <= 12.0,
        "pdm.lock groups with one install: work grew {ratio:.1} times for 16 times the \
         groups ({small:?} -> {large:?}): each group judged again"
    );
}

#[test]
fn rule_files_with_many_distributions() {
    // Trigger names were matched by a search of the distributions list per entry.
    let make = |n: usize| -> Box<dyn Fn()> {
        let dists: Vec<String> = (0..n).map(|i| format!("\"dist{i}\"")).collect();
        let rule = format!(
            "schema = 1\n[trigger]\ntitle = \"T\"\ndistributions = [{}]\nversion = \"==1.14.0\"\n\
             pythons = [\"3.7\"]\nreleases = \"tensorflow-by-python\"\nsources = [\"s\"]\n\
             [[package]]\nid = \"x/numpy-extra\"\nname = \"numpy\"\nwindow = \">=1.16,<1.19\"\n\
             absence = \"finding\"\nseverity = \"error\"\nreleases = \"numpy\"\n\
             summary = \"s\"\nexplanation = \"e\"\nsources = [\"s\"]\n",
            dists.join(", ")
        );
        let text = format!("dist{}==1.14.0\nnumpy>=1.0\n", n / 2);
        Box::new(move || {
            let rules = depwindow::rules::load_rule_file("big.toml", &rule, None).unwrap();
            let (files, parsed) =
                depwindow::fuzz_targets::parse_format(Format::Requirements, text.as_bytes());
            let diags = depwindow::check::check_parsed(
                &files,
                &parsed,
                &rules,
                &depwindow::check::Options::default(),
            );
            assert!(diags
                .iter()
                .any(|d| d.rule.as_deref() == Some("x/numpy-extra")));
        })
    };
    assert_linear("rule file distributions", &make, 2_000);
}

/// A long list of short entries in every format: the rule's package and a package no rule
/// reads, alternating, after the trigger. A per-entry scan of the list (a conda `pip:` list
/// once looked for each requirement's entry through every entry: 80k lines took 3.4 s, the
/// 8 MiB file never finished) makes this quadratic.
#[test]
fn long_lists_of_short_entries_in_every_format() {
    type Shape = fn(usize) -> String;
    let shapes: [(Format, Shape); 12] = [
        (Format::Requirements, |n| {
            format!(
                "tensorflow==1.14.0\n{}",
                entries_of(n, |s, _| format!("{s}\n"))
            )
        }),
        (Format::Conda, |n| {
            format!(
                "dependencies:\n- tensorflow=1.14.0\n{}",
                entries_of(n, |s, _| format!("- {s}\n"))
            )
        }),
        (Format::Conda, |n| {
            format!(
                "dependencies:\n- pip:\n  - tensorflow==1.14.0\n{}",
                entries_of(n, |s, _| format!("  - {s}\n"))
            )
        }),
        (Format::Pyproject, |n| {
            format!(
                "[project]\nname = \"p\"\nversion = \"0\"\ndependencies = [\"tensorflow==1.14.0\", {}]\n",
                entries_of(n, |s, _| format!("\"{s}\", "))
            )
        }),
        (Format::Pyproject, |n| {
            format!(
                "[tool.poetry]\nname = \"p\"\nversion = \"0\"\n[tool.poetry.dependencies]\n\
                 python = \"^3.7\"\ntensorflow = \"1.14.0\"\n{}",
                entries_of(n, |s, i| format!("{s}-k{i} = \"*\"\n"))
            )
        }),
        (Format::Pipfile, |n| {
            format!(
                "[packages]\ntensorflow = \"==1.14.0\"\n{}",
                entries_of(n, |s, i| format!("{s}-k{i} = \"*\"\n"))
            )
        }),
        (Format::SetupCfg, |n| {
            format!(
                "[options]\ninstall_requires =\n    tensorflow==1.14.0\n{}",
                entries_of(n, |s, _| format!("    {s}\n"))
            )
        }),
        (Format::SetupPy, |n| {
            format!(
                "from setuptools import setup\nsetup(name='p', install_requires=[\
                 'tensorflow==1.14.0', {}])\n",
                entries_of(n, |s, _| format!("'{s}', "))
            )
        }),
        (Format::PoetryLock, |n| {
            format!(
                "[[package]]\nname = \"tensorflow\"\nversion = \"1.14.0\"\n\n{}",
                lock_of(n)
            )
        }),
        (Format::UvLock, |n| {
            format!(
                "version = 1\nrequires-python = \">=3.6\"\n\n[[package]]\nname = \"tensorflow\"\n\
                 version = \"1.14.0\"\n\n{}",
                lock_of(n)
            )
        }),
        (Format::PdmLock, |n| {
            format!(
                "[metadata]\nlock_version = \"4.4\"\n\n[[package]]\nname = \"tensorflow\"\n\
                 version = \"1.14.0\"\n\n{}",
                lock_of(n)
            )
        }),
        (Format::Pylock, |n| {
            format!(
                "lock-version = \"1.0\"\ncreated-by = \"t\"\n\n[[packages]]\nname = \"tensorflow\"\n\
                 version = \"1.14.0\"\n\n{}",
                lock_of(n).replace("[[package]]", "[[packages]]")
            )
        }),
    ];
    for (i, (format, shape)) in shapes.iter().enumerate() {
        let make = |n: usize| pipeline(*format, shape(n));
        assert_linear(&format!("{format:?} list #{i}"), &make, 2_000);
    }
}

/// `n` entries, the rule's package and packages no rule reads alternating, each written by
/// `f` from its name and index.
fn entries_of(n: usize, f: impl Fn(&str, usize) -> String) -> String {
    (0..n)
        .map(|i| {
            if i % 2 == 0 {
                f("gast", i)
            } else {
                f(&format!("a{i}"), i)
            }
        })
        .collect()
}

/// `n` lockfile packages, `[[package]]` tables with a name and a version.
fn lock_of(n: usize) -> String {
    (0..n)
        .map(|i| {
            let name = if i % 2 == 0 {
                format!("gast{i}")
            } else {
                format!("a{i}")
            };
            format!("[[package]]\nname = \"{name}\"\nversion = \"1.0\"\n\n")
        })
        .collect()
}
