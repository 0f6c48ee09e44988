//! pip requirements files. PENDING: being written by the requirements-reader work.

use crate::files::Files;
use crate::manifest::{FileId, Parsed};

/// Parse a requirements file and everything it includes.
pub fn parse_unit(_files: &mut Files, _root: FileId) -> Parsed {
    Parsed::default()
}
