//! Runs every fuzz target's body (`depwindow::fuzz_targets`) over its committed seed corpus
//! and crash reproducers (`fuzz/corpus/<target>/`), so plain `cargo test` keeps them green
//! without cargo-fuzz or a nightly toolchain. `fuzz/run.sh` does the actual fuzzing.

use std::path::Path;

use depwindow::formats::Format;
use depwindow::fuzz_targets;

fn run_corpus(target: &str, body: impl Fn(&[u8])) {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fuzz/corpus")
        .join(target);
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
fn every_format_target_passes_its_corpus() {
    for format in Format::ALL {
        let target = format.name().replace('-', "_");
        run_corpus(&target, |d| {
            fuzz_targets::parse_format(format, d);
        });
    }
}

#[test]
fn poetry_constraint_target_passes_its_corpus() {
    run_corpus("poetry_constraint", fuzz_targets::poetry_constraint);
}

#[test]
fn pipeline_target_passes_its_corpus() {
    run_corpus("pipeline", fuzz_targets::pipeline);
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
        let dir = root.join(format.name().replace('-', "_"));
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
