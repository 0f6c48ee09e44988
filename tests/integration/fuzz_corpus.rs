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
