#![no_main]
//! Parse arbitrary bytes as this format; every span must stay inside the text.
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    depwindow::fuzz_targets::parse_format(depwindow::formats::Format::Conda, data);
});
