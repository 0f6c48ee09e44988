//! `pdm.lock`: `[[package]]` with `name`, `version`, `groups` and `marker`. Groups:
//! `default`, `default+<g>` for each other group in the lock, and `all`.

use super::toml_doc::{get, lock_groups, read_document};
use crate::manifest::{FileId, Parsed};

pub(crate) fn parse(text: &str, file: FileId) -> Parsed {
    read_document(text, file, super::Format::PdmLock, |ctx, root| {
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
        lock_groups(ctx, "default", &membership, &[]);
    })
}

/// `pdm.lock`: PDM's lockfile.
pub(crate) struct PdmLock;

impl super::InputFormat for PdmLock {
    fn name(&self) -> &'static str {
        "pdm-lock"
    }
    fn example_file_name(&self) -> &'static str {
        "pdm.lock"
    }
    fn detect(&self, name: &super::FileName<'_>) -> bool {
        name.lower == "pdm.lock"
    }
    fn parse(&self, files: &mut crate::files::Files, id: FileId) -> Parsed {
        parse(files.get(id).text.as_str(), id)
    }
    fn relock_command(&self) -> Option<&'static str> {
        Some("pdm lock")
    }
}
