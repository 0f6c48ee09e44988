//! `pylock.toml` / `pylock.<name>.toml` (PEP 751): `[[packages]]` with `name`, `version`
//! (absent for VCS/directory entries) and `marker`; top-level `requires-python`. One unit.

use super::toml_doc::{get, sort_by_position, Ctx};
use crate::manifest::{FileId, Parsed};

pub fn parse(text: &str, file: FileId) -> Parsed {
    let mut ctx = Ctx::new(text, file);
    let Some(doc) = ctx.parse_document() else {
        return ctx.out;
    };
    let root = doc.get_ref();
    if let Some(v) = get(root, "requires-python") {
        ctx.requires_python(v, "`requires-python`");
    }
    if let Some(pkgs) = get(root, "packages") {
        if let Some(arr) = ctx.array(pkgs, "`[[packages]]`") {
            for pkg in arr.iter() {
                let Some(i) = ctx.lock_package(pkg, "`[[packages]]`") else {
                    continue;
                };
                if let Some(m) = pkg.get_ref().as_table().and_then(|t| get(t, "marker")) {
                    ctx.and_marker(i, m, "`marker`");
                }
            }
        }
    }
    sort_by_position(&mut ctx.out);
    ctx.out
}
