//! `poetry.lock`, lock-version 1.x and 2.x: `[[package]]` with `name`, `version`,
//! `category` (1.x: "main"/"dev") or `groups` (2.x), and `markers` (2.x: a string, or a
//! table of one marker per group, which we OR together). `[metadata] python-versions` (a
//! Poetry constraint) is the project's Python range.
//!
//! Groups: `main`, `main+<g>` for each other category/group (what `--with <g>` installs),
//! and `all`.

use super::poetry;
use super::toml_doc::{get, lock_groups, sort_by_position, Ctx};
use crate::manifest::{FileId, Parsed, ProblemKind};

pub fn parse(text: &str, file: FileId) -> Parsed {
    let mut ctx = Ctx::new(text, file);
    let Some(doc) = ctx.parse_document() else {
        return ctx.out;
    };
    let root = doc.get_ref();
    if let Some(meta) = ctx.sub_table(root, "metadata", "`[metadata]`") {
        if let Some(v) = get(meta, "python-versions") {
            if let Some(s) = ctx.string(v, "`python-versions`") {
                let at = ctx.str_span(v, s);
                match poetry::translate(s) {
                    Ok(alts) if alts.len() == 1 => {
                        let spec = alts.into_iter().next().unwrap_or_default();
                        ctx.out.requires_python = Some((spec, ctx.loc(at.span)));
                    }
                    Ok(_) => ctx.problem(
                        ProblemKind::Note,
                        at.span,
                        format!("Python constraint `{s}` is a union; every Python version is considered"),
                    ),
                    Err(e) => ctx.parse_error(at.span, e),
                }
            }
        }
    }
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
                if let Some(m) = get(t, "markers") {
                    match m.get_ref() {
                        toml::de::DeValue::Table(per_group) => {
                            let mut any = pep508_rs::MarkerTree::FALSE;
                            for (_, v) in per_group.iter() {
                                let Some(s) = ctx.string(v, "`markers`") else {
                                    continue;
                                };
                                let at = ctx.str_span(v, s);
                                match super::pep508::marker(s, at.span, file) {
                                    Ok(m) => any.or(m),
                                    Err(p) => {
                                        ctx.out.problems.push(p);
                                        any = pep508_rs::MarkerTree::TRUE;
                                    }
                                }
                            }
                            ctx.out.requirements[i].marker.and(any);
                        }
                        _ => ctx.and_marker(i, m, "`markers`"),
                    }
                }
                let groups = if let Some(g) = get(t, "groups") {
                    ctx.strings(g, "`groups`")
                        .into_iter()
                        .map(|(s, _)| s.to_owned())
                        .collect()
                } else if let Some(c) = get(t, "category") {
                    ctx.string(c, "`category`")
                        .map(|s| vec![s.to_owned()])
                        .unwrap_or_default()
                } else {
                    vec!["main".to_owned()]
                };
                membership.push((i, groups));
            }
        }
    }
    lock_groups(&mut ctx, "main", &membership);
    sort_by_position(&mut ctx.out);
    ctx.out
}
