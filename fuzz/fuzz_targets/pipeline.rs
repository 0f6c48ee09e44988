#![no_main]
//! The whole pipeline: first byte picks the format, then parse, check against the built-in
//! rules, and check every diagnostic's spans.
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    depwindow::fuzz_targets::pipeline(data);
});
