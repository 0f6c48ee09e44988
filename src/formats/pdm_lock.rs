//! `pdm.lock`: `[[package]]` with `name`, `version`, `groups` and `marker`. Groups:
//! `default`, `default+<g>` for each other group in the lock, and `all`.

use super::toml_doc::{get, lock_groups, sort_by_position, Ctx};
use crate::manifest::{FileId, Parsed};

pub fn parse(text: &str, file: FileId) -> Parsed {
    let mut ctx = Ctx::new(text, file);
    let Some(doc) = ctx.parse_document() else {
        return ctx.out;
    };
    let root = doc.get_ref();
    let mut membership = Vec::new();
    if let Some(pkgs) = get(root, "package") {
        if let Some(arr) = ctx.array(pkgs, "`[[package]]`") {
            for pkg in arr.iter() {
                let Some(i) = ctx.lock_package(pkg, "`[[package]]`") else {
                    continue;
                };
                let Some(t) = pkg.get_ref().as_table() else {
                    continue;
                };
                if let Some(m) = get(t, "marker") {
                    ctx.and_marker(i, m, "`marker`");
                }
                let groups = match get(t, "groups") {
                    Some(g) => ctx
                        .strings(g, "`groups`")
                        .into_iter()
                        .map(|(s, _)| s.to_owned())
                        .collect(),
                    None => vec!["default".to_owned()],
                };
                membership.push((i, groups));
            }
        }
    }
    lock_groups(&mut ctx, "default", &membership);
    sort_by_position(&mut ctx.out);
    ctx.out
}
