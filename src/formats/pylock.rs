//! `pylock.toml` / `pylock.<name>.toml` (PEP 751): `[[packages]]` with `name`, `version`
//! (absent for VCS/directory entries) and `marker`; top-level `requires-python`. One unit.

use super::toml_doc::{get, read_document};
use crate::manifest::{FileId, Parsed};

pub fn parse(text: &str, file: FileId) -> Parsed {
    read_document(text, file, super::Format::Pylock, |ctx, root| {
        if let Some(v) = get(root, "requires-python") {
            ctx.requires_python(v, "`requires-python`");
        }
        for (i, t) in ctx.lock_packages(root, "packages") {
            if let Some(m) = get(t, "marker") {
                ctx.and_marker(i, m, "`marker`");
            }
        }
    })
}

/// `pylock.toml` / `pylock.<name>.toml`: the PEP 751 lockfile.
pub struct Pylock;

impl super::InputFormat for Pylock {
    fn name(&self) -> &'static str {
        "pylock"
    }
    fn example_file_name(&self) -> &'static str {
        "pylock.toml"
    }
    fn detect(&self, name: &super::FileName<'_>) -> bool {
        name.lower == "pylock.toml"
            || (name.lower.starts_with("pylock.") && name.lower.ends_with(".toml"))
    }
    fn parse(&self, files: &mut crate::files::Files, id: FileId) -> Parsed {
        parse(files.get(id).text.as_str(), id)
    }
    fn relock_command(&self) -> Option<&'static str> {
        Some("pip lock")
    }
}
