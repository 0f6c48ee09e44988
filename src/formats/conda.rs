//! pending
pub fn parse_unit(
    _f: &mut crate::files::Files,
    _id: crate::manifest::FileId,
) -> crate::manifest::Parsed {
    Default::default()
}
