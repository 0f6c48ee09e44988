//! `poetry.lock`, lock-version 1.x and 2.x: `[[package]]` with `name`, `version`,
//! `category` (1.x: "main"/"dev") or `groups` (2.x), and `markers` (2.x: a string, or a
//! table of one marker per group, which we OR together). `[metadata] python-versions` (a
//! Poetry constraint) is the project's Python range.
//!
//! Groups: `main`, `main+<g>` for each other category/group (what `--with <g>` installs),
//! and `all`.

use super::poetry;
use super::toml_doc::{get, lock_groups, read_document};
use crate::manifest::{FileId, Parsed};

pub fn parse(text: &str, file: FileId) -> Parsed {
    read_document(text, file, super::Format::PoetryLock, |ctx, root| {
        if let Some(meta) = ctx.sub_table(root, "metadata", "`[metadata]`") {
            if let Some(v) = get(meta, "python-versions") {
                if let Some(s) = ctx.string(v, "`python-versions`") {
                    let at = ctx.str_span(v, s);
                    poetry::requires_python(ctx, s, at.span);
                }
            }
        }
        let mut membership = Vec::new();
        for (i, t) in ctx.lock_packages(root, "package") {
            if let Some(m) = get(t, "markers") {
                match m.get_ref() {
                    toml::de::DeValue::Table(per_group) => {
                        let mut markers = Vec::new();
                        for (_, v) in per_group.iter() {
                            if let Some(s) = ctx.string(v, "`markers`") {
                                markers.push((s, ctx.str_span(v, s)));
                            }
                        }
                        let any = ctx.any_marker(&markers, false);
                        ctx.out.requirements[i].marker.and(any);
                    }
                    _ => ctx.and_marker(i, m, "`markers`"),
                }
            }
            let groups = if let Some(g) = get(t, "groups") {
                ctx.string_values(g, "`groups`")
            } else if let Some(c) = get(t, "category") {
                ctx.string(c, "`category`")
                    .map(|s| vec![s.to_owned()])
                    .unwrap_or_default()
            } else {
                vec!["main".to_owned()]
            };
            membership.push((i, groups));
        }
        lock_groups(ctx, "main", &membership);
    })
}

/// `poetry.lock`: Poetry's lockfile.
pub struct PoetryLock;

impl super::InputFormat for PoetryLock {
    fn name(&self) -> &'static str {
        "poetry-lock"
    }
    fn example_file_name(&self) -> &'static str {
        "poetry.lock"
    }
    fn detect(&self, name: &super::FileName<'_>) -> bool {
        name.lower == "poetry.lock"
    }
    fn parse(&self, files: &mut crate::files::Files, id: FileId) -> Parsed {
        parse(files.get(id).text.as_str(), id)
    }
    fn relock_command(&self) -> Option<&'static str> {
        Some("poetry lock")
    }
}
