#![no_main]
//! The Poetry constraint translator (`^1.2 || ~1.3`).
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    depwindow::fuzz_targets::poetry_constraint(data);
});
