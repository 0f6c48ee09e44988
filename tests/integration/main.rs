//! All integration tests, as one test binary (one link instead of one per file, as ripgrep
//! does it). Each file is a module; `cargo test --test integration <module>::` runs one.
//! Helpers shared by the modules live in `tests/common/`.

#[path = "../common/mod.rs"]
mod common;

#[cfg(unix)]
mod action;
// Issue 13: heap allocations per file stay bounded (a counting global allocator).
mod allocations;
mod autofix;
mod checks;
mod differential;
// Issue 13: the requirements reader's fast path against the full parse.
mod fast_path;
mod fixtures;
mod formats_other;
mod fuzz_corpus;
// Issue 10 "Units": no code reads meaning out of a group's name.
mod group_names;
// Issue 15's reproductions through the binary (unix: modes, owners, signals, /proc).
#[cfg(unix)]
mod hardening;
mod hooks;
// Child resource usage through wait4 (libc, unix only).
#[cfg(unix)]
mod hostile;
mod installed;
mod integ;
// Issue 13: file-system work per file and directory, counted by the binary.
mod io_work;
// Issue 15 §4: work grows linearly with the input (thread CPU time, unix only).
#[cfg(unix)]
mod linear_cost;
mod marker_differential;
// Issue 12 "Messages": headlines, notes and counts over every fixture.
mod messages;
mod oracles;
mod outputs;
// Issue 13: rendering a report holds bounded memory beyond the findings (n and 4n).
mod output_memory;
mod pick_differential;
mod poetry_differential;
mod properties;
mod readme;
mod report;
mod requirements_reader;
// `check --resolve` against a local index of wheels the test writes (uv from the venv).
mod resolve;
mod rules;
#[cfg(unix)]
mod server;
mod span_properties;
mod toml_formats;
mod yaml_differential;
