//! pending
pub fn parse(_f: &crate::files::Files, _id: crate::manifest::FileId) -> crate::manifest::Parsed {
    Default::default()
}
