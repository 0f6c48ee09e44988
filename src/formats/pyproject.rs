use crate::manifest::{FileId, Parsed};
pub fn parse(_text: &str, _file: FileId) -> Parsed { Parsed::default() }
