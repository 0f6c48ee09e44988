//! depwindow: flags Python dependency declarations that let pip install NumPy (and other
//! packages) outside the versions TensorFlow 1.14.0 was tested with.
//!
//! Data flows one way: discover -> load ([`files`]) -> parse ([`formats`]) ->
//! [`manifest`] -> evaluate ([`check`], using [`versions`], [`markers`], [`rules`]) ->
//! [`diagnostic`] -> [`report`]. See ARCHITECTURE.md.

mod apply;
pub mod check;
pub mod cli;
pub mod config;
mod dependents;
pub mod diagnostic;
mod discover;
pub mod docs;
pub mod files;
pub mod formats;
#[doc(hidden)]
pub mod fuzz_targets;
mod generated;
mod hash;
mod installed;
pub mod manifest;
pub mod markers;
mod python;
pub mod report;
mod resolve;
pub mod rules;
mod run;
#[doc(hidden)]
pub use run::{check_for_tests, HeldForTests};
mod server;
pub mod source;
mod suppress;
pub mod versions;
