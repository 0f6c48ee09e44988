//! `pylock.toml` / `pylock.<name>.toml` (PEP 751): `[[packages]]` with `name`, `version`
//! (absent for VCS/directory entries) and `marker`; top-level `requires-python`. One unit.

use super::toml_doc::{get, read_document};
use crate::manifest::{FileId, Parsed};

pub fn parse(text: &str, file: FileId) -> Parsed {
    read_document(text, file, |ctx, root| {
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
