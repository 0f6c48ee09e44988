//! `pdm.lock`: `[[package]]` with `name`, `version`, `groups` and `marker`. Groups:
//! `default`, `default+<g>` for each other group in the lock, and `all`.

use super::toml_doc::{get, lock_groups, read_document};
use crate::manifest::{FileId, Parsed};

pub fn parse(text: &str, file: FileId) -> Parsed {
    read_document(text, file, |ctx, root| {
        let mut membership = Vec::new();
        for (i, t) in ctx.lock_packages(root, "package") {
            if let Some(m) = get(t, "marker") {
                ctx.and_marker(i, m, "`marker`");
            }
            let groups = match get(t, "groups") {
                Some(g) => ctx.string_values(g, "`groups`"),
                None => vec!["default".to_owned()],
            };
            membership.push((i, groups));
        }
        lock_groups(ctx, "default", &membership);
    })
}
