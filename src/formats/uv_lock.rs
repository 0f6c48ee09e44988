//! `uv.lock`: every `[[package]]` pinned at its `version`. A package resolved differently
//! for different Pythons ("forked" resolution) appears once per fork, each entry carrying
//! `resolution-markers`; the entry's marker is the OR of them, so each fork is judged on
//! its own environments. One unit (no groups): uv installs the forks that match.

use super::toml_doc::{get, read_document};
use crate::manifest::{FileId, Parsed};

pub fn parse(text: &str, file: FileId) -> Parsed {
    read_document(text, file, super::Format::UvLock, |ctx, root| {
        if let Some(v) = get(root, "requires-python") {
            ctx.requires_python(v, "`requires-python`");
        }
        for (i, t) in ctx.lock_packages(root, "package") {
            let Some(rm) = get(t, "resolution-markers") else {
                continue;
            };
            let markers = ctx.strings(rm, "`resolution-markers`");
            if markers.is_empty() {
                continue;
            }
            let any = ctx.any_marker(&markers, true);
            ctx.out.requirements[i].marker.and(any);
        }
    })
}

/// `uv.lock`: uv's lockfile.
pub struct UvLock;

impl super::InputFormat for UvLock {
    fn name(&self) -> &'static str {
        "uv-lock"
    }
    fn example_file_name(&self) -> &'static str {
        "uv.lock"
    }
    fn detect(&self, name: &super::FileName<'_>) -> bool {
        name.lower == "uv.lock"
    }
    fn parse(&self, files: &mut crate::files::Files, id: FileId) -> Parsed {
        parse(files.get(id).text.as_str(), id)
    }
    fn relock_command(&self) -> Option<&'static str> {
        Some("uv lock")
    }
}
