//! Runs every fuzz target's body (`depwindow::fuzz_targets`) over its committed seed corpus
//! and crash reproducers (`fuzz/corpus/<target>/`), so plain `cargo test` keeps them green
//! without cargo-fuzz or a nightly toolchain. `fuzz/run.sh` does the actual fuzzing.
//!
//! The fuzz targets come from the format registry (`fuzz_targets::targets`): this module
//! checks that `fuzz/Cargo.toml`'s `[[bin]]` entries, `fuzz/fuzz_targets/*.rs` and the
//! folders of `fuzz/corpus/` are exactly those targets, and fails listing the difference.
//! `UPDATE_SNAPSHOTS=1 cargo test --test integration fuzz_corpus::` writes them: the
//! `[[bin]]` entries and target files, and seeds from the fixtures (each file goes to the
//! target of the format the registry detects for it) plus a few hand-written edge cases.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use depwindow::formats::Format;
use depwindow::fuzz_targets;

fn fuzz_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz")
}

fn updating() -> bool {
    std::env::var_os("UPDATE_SNAPSHOTS").is_some_and(|v| v == "1")
}

fn run_corpus(target: &str, body: impl Fn(&[u8])) {
    let dir = fuzz_dir().join("corpus").join(target);
    let mut n = 0;
    for entry in std::fs::read_dir(&dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display())) {
        let path = entry.unwrap().path();
        if path.is_file() {
            let data = std::fs::read(&path).unwrap();
            let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| body(&data)));
            assert!(
                result.is_ok(),
                "fuzz target `{target}` fails on {}",
                path.display()
            );
            n += 1;
        }
    }
    assert!(n > 0, "no seeds for `{target}`");
}

#[test]
fn every_target_passes_its_corpus() {
    for target in fuzz_targets::targets() {
        run_corpus(&target, |d| fuzz_targets::run(&target, d));
    }
}

/// Every `fuzz/fuzz_targets/<target>.rs` is this file: the body is picked by the binary's
/// name.
const TARGET_FILE: &str = "#![no_main]
//! A fuzz target: `depwindow::fuzz_targets::run` picks the body by this binary's name.
//! Every target is this same file, one per `fuzz_targets::targets()` (the format registry);
//! written by `UPDATE_SNAPSHOTS=1 cargo test --test integration fuzz_corpus::`.
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    depwindow::fuzz_targets::run(env!(\"CARGO_BIN_NAME\"), data);
});
";

fn bin_entry(target: &str) -> String {
    format!(
        "[[bin]]\nname = \"{target}\"\npath = \"fuzz_targets/{target}.rs\"\ntest = false\ndoc = false\nbench = false\n"
    )
}

/// What differs between `want` and `have`, as lines for a failure message.
fn difference(what: &str, want: &BTreeSet<String>, have: &BTreeSet<String>) -> Vec<String> {
    let mut out = Vec::new();
    for t in want.difference(have) {
        out.push(format!("{what}: missing `{t}`"));
    }
    for t in have.difference(want) {
        out.push(format!(
            "{what}: `{t}` is not a fuzz target of the registry"
        ));
    }
    out
}

fn names_in(dir: &Path, ext: Option<&str>, dirs: bool) -> BTreeSet<String> {
    std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_dir() == dirs)
        .filter(|p| ext.is_none_or(|x| p.extension().is_some_and(|e| e == x)))
        .map(|p| p.file_stem().unwrap().to_string_lossy().into_owned())
        .collect()
}

#[test]
fn fuzz_crate_follows_the_registry() {
    let targets = fuzz_targets::targets();
    let want: BTreeSet<String> = targets.iter().cloned().collect();
    let manifest_path = fuzz_dir().join("Cargo.toml");
    let manifest = std::fs::read_to_string(&manifest_path).unwrap();
    let head = &manifest[..manifest.find("[[bin]]").unwrap_or(manifest.len())];
    let bins: Vec<String> = targets.iter().map(|t| bin_entry(t)).collect();
    let want_manifest = format!("{head}{}", bins.join("\n"));
    let files_dir = fuzz_dir().join("fuzz_targets");
    if updating() {
        std::fs::write(&manifest_path, &want_manifest).unwrap();
        for t in &targets {
            std::fs::write(files_dir.join(format!("{t}.rs")), TARGET_FILE).unwrap();
        }
    }
    let manifest = std::fs::read_to_string(&manifest_path).unwrap();
    let have_bins: BTreeSet<String> = manifest
        .lines()
        .filter_map(|l| l.strip_prefix("name = \""))
        .filter_map(|l| l.strip_suffix('"'))
        .filter(|n| *n != "depwindow-fuzz")
        .map(str::to_string)
        .collect();
    let mut problems = difference("fuzz/Cargo.toml [[bin]]", &want, &have_bins);
    if problems.is_empty() && manifest != want_manifest {
        problems.push("fuzz/Cargo.toml: the [[bin]] entries are not in registry order or not in the generated form".into());
    }
    let have_files = names_in(&files_dir, Some("rs"), false);
    problems.extend(difference("fuzz/fuzz_targets/", &want, &have_files));
    for t in want.intersection(&have_files) {
        let text = std::fs::read_to_string(files_dir.join(format!("{t}.rs"))).unwrap();
        if text != TARGET_FILE {
            problems.push(format!(
                "fuzz/fuzz_targets/{t}.rs differs from the one target file"
            ));
        }
    }
    assert!(
        problems.is_empty(),
        "the fuzz crate does not follow the registry (`UPDATE_SNAPSHOTS=1 cargo test --test \
         integration fuzz_corpus::` writes it; remove what is not a target by hand):\n{}",
        problems.join("\n")
    );
}

/// Hand-written seeds beside the fixtures', by target.
const EXTRA_SEEDS: &[(&str, &[&[u8]])] = &[
    (
        "requirements",
        &[
            b"tensorflow==1.14.0\nnumpy>=1.16\n",
            b"-r other.txt\n-c c.txt\n--pre\n",
            b"numpy ; (python_version < '3.8' and extra == 'a') or sys_platform == 'win32'\n",
            b"a. >=1\nb[c-]\nnumpy===1.16.4\nnumpy @ https://x/y.whl\n-e .\n",
            b"numpy>=1.16 \\\n  ,<1.17 --hash=sha256:00\n\xef\xbb\xbfnumpy\n",
        ],
    ),
    (
        fuzz_targets::POETRY_CONSTRAINT,
        &[
            b"^1.2.3",
            b"~1.2",
            b">=1.16,<1.17 || ^2",
            b"1.14.*",
            b"*",
            b"^0.0.3",
            b">=1 <2 | 3.0.0",
            b"!=1.17",
            b"~=1.16",
            b"==1.16.4",
        ],
    ),
];

/// The seeds built from the fixtures (files up to 16 KiB): each input file goes to the
/// target of its format (as detected for a file named on the command line), and with the
/// format's index as first byte to the pipeline; Poetry-style constraint strings of
/// pyproject and Poetry fixtures go to the constraint translator.
fn seeds() -> Vec<(String, Vec<u8>)> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures");
    let mut paths = Vec::new();
    let mut stack = vec![root];
    while let Some(dir) = stack.pop() {
        for e in std::fs::read_dir(&dir).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else {
                paths.push(p);
            }
        }
    }
    paths.sort();
    let constraint = regex::bytes::Regex::new(r#"=\s*"([~^<>=!*0-9][^"\n]{0,40})""#).unwrap();
    let mut out = Vec::new();
    let mut push = |target: &str, data: &[u8]| out.push((target.to_string(), data.to_vec()));
    for p in paths {
        let name = p.file_name().unwrap().to_string_lossy();
        if name.starts_with("expected") || name == "cmd" {
            continue;
        }
        let data = std::fs::read(&p).unwrap();
        if data.len() > 16 * 1024 {
            continue;
        }
        let format = Format::for_explicit(&p);
        push(&fuzz_targets::target_name(format), &data);
        let index = Format::ALL.iter().position(|&f| f == format).unwrap() as u8;
        push(fuzz_targets::PIPELINE, &[&[index][..], &data].concat());
        let poetry = p.parent().and_then(Path::parent).and_then(Path::file_name);
        if format == Format::Pyproject || poetry.is_some_and(|n| n == "poetry") {
            for c in constraint.captures_iter(&data) {
                push(fuzz_targets::POETRY_CONSTRAINT, &c[1]);
            }
        }
    }
    for (target, items) in EXTRA_SEEDS {
        for data in *items {
            push(target, data);
            if let Some(i) = Format::ALL
                .iter()
                .position(|&f| fuzz_targets::target_name(f) == *target)
            {
                push(fuzz_targets::PIPELINE, &[&[i as u8][..], data].concat());
            }
        }
    }
    out
}

/// A seed's file name: 16 hex digits of its FNV-1a hash.
fn seed_name(data: &[u8]) -> String {
    let h = data.iter().fold(0xcbf2_9ce4_8422_2325u64, |h, &b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    });
    format!("{h:016x}")
}

/// Writes the fixtures' seeds that a corpus folder does not hold yet (by content).
fn write_seeds() {
    let corpus = fuzz_dir().join("corpus");
    for (target, data) in seeds() {
        let dir = corpus.join(&target);
        std::fs::create_dir_all(&dir).unwrap();
        let known = std::fs::read_dir(&dir)
            .unwrap()
            .any(|e| std::fs::read(e.unwrap().path()).is_ok_and(|d| d == data));
        if !known {
            std::fs::write(dir.join(seed_name(&data)), &data).unwrap();
        }
    }
}

#[test]
fn corpus_folders_follow_the_registry() {
    if updating() {
        write_seeds();
    }
    let want: BTreeSet<String> = fuzz_targets::targets().into_iter().collect();
    let corpus = fuzz_dir().join("corpus");
    let have = names_in(&corpus, None, true);
    let mut problems = difference("fuzz/corpus/", &want, &have);
    for t in want.intersection(&have) {
        if names_in(&corpus.join(t), None, false).is_empty() {
            problems.push(format!("fuzz/corpus/{t}: no seeds"));
        }
    }
    // Every target the fixtures give a seed to (all but a format without fixtures).
    let seeded: BTreeSet<String> = seeds().into_iter().map(|(t, _)| t).collect();
    problems.extend(
        seeded
            .difference(&want)
            .map(|t| format!("seeds for `{t}`, which is not a target")),
    );
    assert!(
        problems.is_empty(),
        "fuzz/corpus does not follow the registry (`UPDATE_SNAPSHOTS=1 cargo test --test \
         integration fuzz_corpus::` writes seeds from the fixtures; remove what is not a \
         target by hand):\n{}",
        problems.join("\n")
    );
}

/// Tokens that steer a mutation into the grammar the readers care about.
const TOKENS: &[&str] = &[
    "\n",
    "\r\n",
    "\\\n",
    " #",
    "==",
    ">=",
    "<",
    "!=",
    "~=",
    "===",
    ".*",
    ",",
    ";",
    "[",
    "]",
    "{",
    "}",
    "\"",
    "'",
    "=",
    ":",
    "-r ",
    "-c ",
    "--hash=sha256:0",
    "${V}",
    "numpy",
    "tensorflow==1.14.0",
    "python_version < '3.8'",
    "extra == 'x'",
    "1.16",
    "1!2",
    "+local",
    ".post1",
    "rc1",
    "- ",
    "pip:",
    "[[package]]",
    "\u{0}",
    "\u{feff}",
    "é",
    "😀",
];

/// One deterministic mutation of `seed`: flip, insert a token, delete a range, duplicate a
/// range, or splice in a piece of `other`.
fn mutate(rng: &mut crate::common::SplitMix, seed: &[u8], other: &[u8]) -> Vec<u8> {
    let mut out = seed.to_vec();
    for _ in 0..1 + rng.below(4) {
        let at = if out.is_empty() {
            0
        } else {
            rng.below(out.len() + 1)
        };
        match rng.below(5) {
            0 if !out.is_empty() => {
                let i = at.min(out.len() - 1);
                out[i] ^= 1 << rng.below(8);
            }
            1 => {
                let t = rng.pick(TOKENS).as_bytes();
                out.splice(at..at, t.iter().copied());
            }
            2 if !out.is_empty() => {
                let end = (at + rng.below(16)).min(out.len());
                out.drain(at.min(end)..end);
            }
            3 if !out.is_empty() => {
                let end = (at + rng.below(64)).min(out.len());
                let piece: Vec<u8> = out[at.min(end)..end].to_vec();
                out.splice(end..end, piece);
            }
            _ if !other.is_empty() => {
                let s = rng.below(other.len());
                let e = (s + rng.below(128)).min(other.len());
                out.splice(at..at, other[s..e].iter().copied());
            }
            _ => {}
        }
    }
    out
}

/// CI's fuzzing pass, deterministic and uninstrumented: a fixed number of mutations of every
/// seed of every format's corpus, each read and evaluated by the `pipeline` body (every
/// reader, then the checks). `fuzz/run.sh` (cargo-fuzz, coverage-guided) is for long runs.
#[test]
fn pipeline_survives_mutations_of_every_corpus() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz/corpus");
    let mut seeds: Vec<(u8, Vec<u8>)> = Vec::new();
    for (i, format) in Format::ALL.iter().enumerate() {
        let dir = root.join(fuzz_targets::target_name(*format));
        let mut paths: Vec<_> = std::fs::read_dir(&dir)
            .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
            .map(|e| e.unwrap().path())
            .filter(|p| p.is_file())
            .collect();
        paths.sort();
        for p in paths {
            let mut data = std::fs::read(&p).unwrap();
            data.truncate(16 * 1024);
            seeds.push((i as u8, data));
        }
    }
    assert!(seeds.len() >= Format::ALL.len());
    let mut rng = crate::common::SplitMix(0x5eed);
    let runs = 8_000;
    for n in 0..runs {
        let (format, seed) = &seeds[n % seeds.len()];
        let other = &rng.pick(&seeds).1.clone();
        let mut input = vec![*format];
        input.extend(mutate(&mut rng, seed, other));
        let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            fuzz_targets::pipeline(&input)
        }));
        assert!(
            result.is_ok(),
            "the pipeline fails on mutation {n} of a `{}` seed: {:?}",
            Format::ALL[*format as usize].name(),
            String::from_utf8_lossy(&input[1..])
        );
    }
}
