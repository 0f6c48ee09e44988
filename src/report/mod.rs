//! One module per output format.

pub mod human;
