#![no_main]
//! A fuzz target: `depwindow::fuzz_targets::run` picks the body by this binary's name.
//! Every target is this same file, one per `fuzz_targets::targets()` (the format registry);
//! written by `UPDATE_SNAPSHOTS=1 cargo test --test integration fuzz_corpus::`.
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    depwindow::fuzz_targets::run(env!("CARGO_BIN_NAME"), data);
});
