//! `poetry.lock`, lock-version 1.x and 2.x: `[[package]]` with `name`, `version`,
//! `category` (1.x: "main"/"dev") or `groups` (2.x), `optional`, and `markers` (2.x: a
//! string, or a table of one marker per group). `[metadata] python-versions` (a Poetry
//! constraint) is the project's Python range; `[extras]` lists, per extra, the packages it
//! asks for.
//!
//! Units: `main`, `main+<g>` for each other category/group (what `--with <g>` installs),
//! `main[<x>]` for each extra (what `poetry install -E <x>` installs), and `all` (every
//! group and every extra).
//!
//! Where a package is installed, as Poetry's installer reads the lock:
//! - a per-group `markers` table gives the entry one requirement per group, each under its
//!   group's marker (a unit with several of those groups unites them: alternatives);
//! - an `optional = true` package is installed only for an extra. Lock 2.1 writes that in
//!   its markers (`extra == "tf"`); older locks do not, so the extras are found from
//!   `[extras]` and the locked dependencies (`[package.dependencies]`) of what they ask
//!   for, and the entry's marker gains `extra == "<x>"` for each extra that reaches it.

use std::collections::{BTreeMap, BTreeSet};

use pep508_rs::{ExtraName, MarkerTree, PackageName};

use super::poetry;
use super::toml_tree::{Item, Table};
use super::toml_doc::{entries, get, lock_groups, read_document, Ctx};
use crate::manifest::{FileId, Parsed};

pub(crate) fn parse(text: &str, file: FileId) -> Parsed {
    read_document(text, file, super::Format::PoetryLock, |ctx, root| {
        if let Some(meta) = ctx.sub_table(root, "metadata", "`[metadata]`") {
            if let Some(v) = get(meta, "python-versions") {
                if let Some(s) = ctx.string(v, "`python-versions`") {
                    let at = ctx.str_span(v, s);
                    poetry::requires_python(ctx, s, at.span);
                }
            }
        }
        let extras = read_extras(ctx, root);
        // (requirement, groups it belongs to, optional, its marker names an extra)
        let mut membership: Vec<(usize, Vec<String>)> = Vec::new();
        let mut optional: Vec<(usize, bool)> = Vec::new();
        let mut deps: BTreeMap<PackageName, Vec<PackageName>> = BTreeMap::new();
        for (i, t) in ctx.lock_packages(root, "package") {
            let mut groups = if let Some(g) = get(t, "groups") {
                ctx.string_values(g, "`groups`")
            } else if let Some(c) = get(t, "category") {
                ctx.string(c, "`category`")
                    .map(|s| vec![s.to_owned()])
                    .unwrap_or_default()
            } else {
                vec!["main".to_owned()]
            };
            let is_optional = get(t, "optional")
                .and_then(|v| ctx.bool(v, "`optional`"))
                .unwrap_or(false);
            let mut extra_marked = false;
            if let Some(m) = get(t, "markers") {
                match m.get_ref() {
                    Item::Table(per_group) => {
                        // One requirement per group, each under that group's marker.
                        let base = ctx.out.requirements[i].clone();
                        let mut first = true;
                        let mut rest = Vec::new();
                        for (k, v) in per_group.iter() {
                            let Some(s) = ctx.string(v, "`markers`") else {
                                continue;
                            };
                            extra_marked |= s.contains("extra");
                            let at = ctx.str_span(v, s);
                            let marker = ctx.marker(s, at.span).unwrap_or(MarkerTree::TRUE);
                            let group = k.get_ref().to_string();
                            let idx = if first {
                                first = false;
                                i
                            } else {
                                ctx.push(base.clone())
                            };
                            ctx.out.requirements[idx].and_marker(marker);
                            rest.push((idx, vec![group]));
                        }
                        // Groups the table leaves out: installed without a marker.
                        groups.retain(|g| !rest.iter().any(|(_, gs)| gs.contains(g)));
                        if !groups.is_empty() {
                            let idx = if first { i } else { ctx.push(base) };
                            rest.push((idx, std::mem::take(&mut groups)));
                        }
                        for (idx, gs) in rest {
                            optional.push((idx, is_optional && !extra_marked));
                            membership.push((idx, gs));
                        }
                        deps.entry(PackageName::clone(&ctx.out.requirements[i].name))
                            .or_default()
                            .extend(dependency_names(ctx, t));
                        continue;
                    }
                    _ => {
                        if let Some(s) = ctx.string(m, "`markers`") {
                            extra_marked = s.contains("extra");
                        }
                        ctx.and_marker(i, m, "`markers`");
                    }
                }
            }
            deps.entry(PackageName::clone(&ctx.out.requirements[i].name))
                .or_default()
                .extend(dependency_names(ctx, t));
            optional.push((i, is_optional && !extra_marked));
            membership.push((i, groups));
        }
        // Older locks: an optional package is installed for the extras that reach it.
        for (i, needs_extra) in optional {
            if !needs_extra {
                continue;
            }
            let name = ctx.out.requirements[i].name.clone();
            let mut any = MarkerTree::FALSE;
            for (x, asks) in &extras {
                if reaches(asks, &name, &deps) {
                    any.or(extra_marker(x));
                }
            }
            ctx.out.requirements[i].and_marker(any);
        }
        // The units: `main`, `main+<g>`, `main[<x>]`, `all`.
        let extra_names: Vec<ExtraName> = extras.iter().map(|(x, _)| x.clone()).collect();
        lock_groups(ctx, "main", &membership, &extra_names);
    })
}

/// `[extras]`: each extra with the names of the packages it asks for (`"numpy"`, or
/// older locks' `"numpy (>=1.16)"`).
fn read_extras(ctx: &mut Ctx<'_>, root: &Table<'_>) -> Vec<(ExtraName, Vec<PackageName>)> {
    let mut out: Vec<(ExtraName, Vec<PackageName>)> = Vec::new();
    let Some(t) = ctx.sub_table(root, "extras", "`[extras]`") else {
        return out;
    };
    for (k, v) in entries(t) {
        let Ok(x) = ExtraName::new(k.get_ref().to_string()) else {
            let at = ctx.key_span(k);
            ctx.parse_error(at, format!("invalid extra name `{}`", k.get_ref()));
            continue;
        };
        let mut names = Vec::new();
        for s in ctx.string_values(v, "an extra's packages") {
            let end = s
                .find(|c: char| c.is_whitespace() || "([<>=!~;".contains(c))
                .unwrap_or(s.len());
            if let Ok(n) = PackageName::new(s[..end].to_owned()) {
                names.push(n);
            }
        }
        match out.iter_mut().find(|(n, _)| *n == x) {
            Some((_, m)) => m.extend(names),
            None => out.push((x, names)),
        }
    }
    out
}

/// The names of an entry's `[package.dependencies]`.
fn dependency_names(ctx: &mut Ctx<'_>, t: &Table<'_>) -> Vec<PackageName> {
    let Some(d) = get(t, "dependencies") else {
        return Vec::new();
    };
    let Some(d) = ctx.table(d, "`[package.dependencies]`") else {
        return Vec::new();
    };
    entries(d)
        .into_iter()
        .filter_map(|(k, _)| PackageName::new(k.get_ref().to_string()).ok())
        .collect()
}

/// Whether `target` is among `asks` or their locked dependencies, transitively.
fn reaches(
    asks: &[PackageName],
    target: &PackageName,
    deps: &BTreeMap<PackageName, Vec<PackageName>>,
) -> bool {
    let mut seen: BTreeSet<&PackageName> = BTreeSet::new();
    let mut todo: Vec<&PackageName> = asks.iter().collect();
    while let Some(n) = todo.pop() {
        if n == target {
            return true;
        }
        if seen.insert(n) {
            if let Some(ds) = deps.get(n) {
                todo.extend(ds.iter());
            }
        }
    }
    false
}

fn extra_marker(x: &ExtraName) -> MarkerTree {
    MarkerTree::expression(pep508_rs::MarkerExpression::Extra {
        operator: pep508_rs::ExtraOperator::Equal,
        name: pep508_rs::MarkerValueExtra::Extra(x.clone()),
    })
}

/// `poetry.lock`: Poetry's lockfile.
pub(crate) struct PoetryLock;

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
