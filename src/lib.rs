//! depwindow: flags Python dependency declarations that let pip install NumPy (and other
//! packages) outside the versions TensorFlow 1.14.0 was tested with.
//!
//! Data flows one way: discover -> load ([`files`]) -> parse ([`formats`]) ->
//! [`manifest`] -> evaluate ([`check`], using [`versions`], [`markers`], [`rules`]) ->
//! [`diagnostic`] -> [`report`]. See ARCHITECTURE.md.

pub mod apply;
pub mod check;
pub mod cli;
pub mod config;
pub mod dependents;
pub mod diagnostic;
pub mod discover;
pub mod docs;
pub mod files;
pub mod formats;
#[doc(hidden)]
pub mod fuzz_targets;
pub mod generated;
pub mod installed;
pub mod manifest;
pub mod markers;
pub mod python;
pub mod report;
pub mod resolve;
pub mod rules;
pub mod run;
pub mod server;
pub mod source;
pub mod suppress;
pub mod versions;
