//! `uv.lock`: every `[[package]]` pinned at its `version`. A package resolved differently
//! for different Pythons ("forked" resolution) appears once per fork, each entry carrying
//! `resolution-markers`; the entry's marker is the OR of them, so each fork is judged on
//! its own environments. One unit (no groups): uv installs the forks that match.

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
    if let Some(pkgs) = get(root, "package") {
        if let Some(arr) = ctx.array(pkgs, "`[[package]]`") {
            for pkg in arr.iter() {
                let Some(i) = ctx.lock_package(pkg, "`[[package]]`") else {
                    continue;
                };
                let Some(t) = pkg.get_ref().as_table() else {
                    continue;
                };
                let Some(rm) = get(t, "resolution-markers") else {
                    continue;
                };
                let markers = ctx.strings(rm, "`resolution-markers`");
                if markers.is_empty() {
                    continue;
                }
                let mut any = pep508_rs::MarkerTree::FALSE;
                for (s, at) in markers {
                    match super::pep508::marker(s, at.span, file) {
                        Ok(m) => any.or(m),
                        Err(p) => {
                            ctx.out.problems.push(p);
                            any = pep508_rs::MarkerTree::TRUE;
                            break;
                        }
                    }
                }
                ctx.out.requirements[i].marker.and(any);
            }
        }
    }
    sort_by_position(&mut ctx.out);
    ctx.out
}
