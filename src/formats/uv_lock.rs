//! `uv.lock`: every `[[package]]` pinned at its `version`. A package resolved differently
//! for different Pythons ("forked" resolution) appears once per fork, each entry carrying
//! `resolution-markers`; the entry's marker is the OR of them, so each fork is judged on
//! its own environments.
//!
//! Where a package is installed is where uv's installer reaches it: from the project's
//! roots (the workspace members, entries whose `source` is `editable` or `virtual`), along
//! the dependency edges (`dependencies`, `[package.optional-dependencies]`,
//! `[package.dev-dependencies]`), each `{ name, version?, marker?, extra? }`. Markers AND
//! along a path and OR across paths; an edge with `extra = [...]` enables those optional
//! dependencies of its target; an edge with a `version` goes to that fork only. A package
//! no path reaches is installed nowhere (`FALSE`).
//!
//! Units, all holding every package (the marker decides): `project` (the roots'
//! dependencies: `uv sync --no-dev`), `project[<x>]` per extra of a root (`--extra x`),
//! `project+<g>` per dev group of a root (`--group g`; uv's default sync adds `dev`), and
//! `all` (`--all-extras --all-groups`). Extras and groups are told apart in the marker by
//! a synthetic extra per source (`extra == "<x>"`, and `extra == "group-<g>"` for a group,
//! which the group's unit requests). A lock with no root (an old or hand-written lock) keeps
//! one unit with every package installed wherever its resolution markers hold.

use std::collections::BTreeMap;

use pep508_rs::{ExtraName, MarkerTree};

use super::toml_doc::{entries, get, read_document, Ctx};
use crate::manifest::{FileId, GroupKind, Parsed};

/// Passes over the graph before the reach is given up as unknown (installed everywhere).
const MAX_PASSES: usize = 256;

/// One dependency edge (its version as the lock writes it, borrowed from the document).
struct Edge<'a> {
    name: String,
    version: Option<&'a str>,
    marker: MarkerTree,
    extras: Vec<String>,
}

/// A package entry's outgoing edges: its base dependencies, and per optional extra / dev
/// group.
struct Node<'a> {
    deps: Vec<Edge<'a>>,
    optional: Vec<(String, Vec<Edge<'a>>)>,
    dev: Vec<(String, Vec<Edge<'a>>)>,
    root: bool,
    /// The package's name, shared with its requirement.
    name: crate::manifest::Name,
    version: Option<&'a str>,
}

/// Whether a package table is one of the lock's roots (the project itself, a workspace
/// member): its `source` is `editable` or `virtual`.
fn is_root(t: &super::toml_tree::Table<'_>) -> bool {
    get(t, "source")
        .and_then(|s| s.get_ref().as_table())
        .is_some_and(|src| get(src, "editable").is_some() || get(src, "virtual").is_some())
}

pub(crate) fn parse(text: &str, file: FileId) -> Parsed {
    read_document(text, file, super::Format::UvLock, |ctx, root| {
        if let Some(v) = get(root, "requires-python") {
            ctx.requires_python(v, "`requires-python`");
        }
        let packages = ctx.lock_packages(root, "package");
        // Without a root every package is kept as it is, and the graph is not needed: its
        // entries are still read for their problems, but no node is kept (issue 15 §4: a
        // node and its edges per package, held for nothing).
        let any_root = packages.iter().any(|(_, t)| is_root(t));
        let mut nodes: Vec<(usize, Node)> = Vec::with_capacity(if any_root {
            packages.len()
        } else {
            0
        });
        for (i, t) in packages {
            if let Some(rm) = get(t, "resolution-markers") {
                let markers = ctx.strings(rm, "`resolution-markers`");
                if !markers.is_empty() {
                    let any = ctx.any_marker(&markers, true);
                    ctx.out.requirements[i].and_marker(any);
                }
            }
            let mut node = Node {
                deps: Vec::new(),
                optional: Vec::new(),
                dev: Vec::new(),
                root: is_root(t),
                name: ctx.out.requirements[i].name.clone(),
                version: get(t, "version").and_then(|v| v.get_ref().as_str()),
            };
            if let Some(d) = get(t, "dependencies") {
                node.deps = edges(ctx, d);
            }
            for (key, into_dev) in [("optional-dependencies", false), ("dev-dependencies", true)] {
                let Some(tab) = get(t, key).and_then(|v| ctx.table(v, &format!("`{key}`")))
                else {
                    continue;
                };
                for (k, v) in entries(tab) {
                    let e = edges(ctx, v);
                    let name = k.get_ref().to_string();
                    if into_dev {
                        node.dev.push((name, e));
                    } else {
                        node.optional.push((name, e));
                    }
                }
            }
            if any_root {
                nodes.push((i, node));
            }
        }
        if !any_root {
            return;
        }
        let reach = reach(&nodes);
        for ((i, _), m) in nodes.iter().zip(reach) {
            ctx.out.requirements[*i].and_marker(m);
        }
        units(ctx, &nodes);
    })
}

/// An array of dependency edges.
fn edges<'a>(ctx: &mut Ctx<'_>, v: &'a super::toml_doc::Value<'_>) -> Vec<Edge<'a>> {
    let mut out = Vec::new();
    let Some(arr) = ctx.array(v, "a dependency list") else {
        return out;
    };
    for item in arr.iter() {
        let Some(t) = ctx.table(item, "a dependency") else {
            continue;
        };
        let Some(name) = get(t, "name").and_then(|n| ctx.string(n, "a dependency's `name`"))
        else {
            continue;
        };
        let name = normalise(name);
        let version = get(t, "version").and_then(|v| v.get_ref().as_str());
        let marker = match get(t, "marker") {
            Some(m) => match ctx.string(m, "a dependency's `marker`") {
                Some(s) => {
                    let at = ctx.str_span(m, s);
                    // An unreadable marker: where the edge applies is unknown, so everywhere.
                    ctx.marker(s, at.span).unwrap_or(MarkerTree::TRUE)
                }
                None => MarkerTree::TRUE,
            },
            None => MarkerTree::TRUE,
        };
        let extras = get(t, "extra")
            .map(|x| ctx.string_values(x, "a dependency's `extra`"))
            .unwrap_or_default();
        out.push(Edge {
            name,
            version,
            marker,
            extras,
        });
    }
    out
}

fn normalise(name: &str) -> String {
    pep508_rs::PackageName::new(name.to_owned())
        .map(|n| n.to_string())
        .unwrap_or_else(|_| name.to_ascii_lowercase())
}

fn source_extra(name: &str) -> MarkerTree {
    match ExtraName::new(name.to_owned()) {
        Ok(x) => MarkerTree::expression(pep508_rs::MarkerExpression::Extra {
            operator: pep508_rs::ExtraOperator::Equal,
            name: pep508_rs::MarkerValueExtra::Extra(x),
        }),
        Err(_) => MarkerTree::TRUE,
    }
}

/// For each node, where it is installed: the OR over paths from the roots of the AND of the
/// edges' markers (and of the root's extra or group).
fn reach(nodes: &[(usize, Node)]) -> Vec<MarkerTree> {
    let mut by_name: BTreeMap<&str, Vec<usize>> = BTreeMap::new();
    for (k, (_, n)) in nodes.iter().enumerate() {
        by_name.entry(n.name.as_ref()).or_default().push(k);
    }
    let targets = |e: &Edge| -> Vec<usize> {
        by_name
            .get(e.name.as_str())
            .map(|ks| {
                ks.iter()
                    .copied()
                    .filter(|k| match (&e.version, &nodes[*k].1.version) {
                        (Some(want), Some(have)) => want == have,
                        _ => true,
                    })
                    .collect()
            })
            .unwrap_or_default()
    };
    // base[k]: where node k is installed; extra[k][x]: where its extra x is asked for.
    let mut base = vec![MarkerTree::FALSE; nodes.len()];
    let mut extra: Vec<BTreeMap<String, MarkerTree>> = vec![BTreeMap::new(); nodes.len()];
    for (k, (_, n)) in nodes.iter().enumerate() {
        if n.root {
            base[k] = MarkerTree::TRUE;
            for (x, _) in &n.optional {
                extra[k].insert(x.clone(), source_extra(x));
            }
        }
    }
    for _ in 0..MAX_PASSES {
        let mut changed = false;
        for (k, (_, n)) in nodes.iter().enumerate() {
            let mut sources: Vec<(MarkerTree, &Vec<Edge>)> = vec![(base[k].clone(), &n.deps)];
            for (x, es) in &n.optional {
                if let Some(m) = extra[k].get(x) {
                    sources.push((m.clone(), es));
                }
            }
            if n.root {
                for (g, es) in &n.dev {
                    let mut m = base[k].clone();
                    m.and(source_extra(&format!("group-{g}")));
                    sources.push((m, es));
                }
            }
            for (from, es) in sources {
                if from.is_false() {
                    continue;
                }
                for e in es {
                    let mut m = from.clone();
                    m.and(e.marker.clone());
                    if m.is_false() {
                        continue;
                    }
                    for t in targets(e) {
                        let mut nb = base[t].clone();
                        nb.or(m.clone());
                        if nb != base[t] {
                            base[t] = nb;
                            changed = true;
                        }
                        for x in &e.extras {
                            let slot = extra[t].entry(x.clone()).or_insert(MarkerTree::FALSE);
                            let mut nx = slot.clone();
                            nx.or(m.clone());
                            if nx != *slot {
                                *slot = nx;
                                changed = true;
                            }
                        }
                    }
                }
            }
        }
        if !changed {
            return base;
        }
    }
    // No fixed point within the budget: every package counts as installed everywhere.
    vec![MarkerTree::TRUE; nodes.len()]
}

/// The units: the roots' dependencies, each extra, each dev group, and all of them.
fn units(ctx: &mut Ctx<'_>, nodes: &[(usize, Node)]) {
    let members: Vec<usize> = nodes.iter().map(|(i, _)| *i).collect();
    let mut extras: Vec<String> = Vec::new();
    let mut groups: Vec<String> = Vec::new();
    for (_, n) in nodes.iter().filter(|(_, n)| n.root) {
        extras.extend(n.optional.iter().map(|(x, _)| x.clone()));
        groups.extend(n.dev.iter().map(|(g, _)| g.clone()));
    }
    extras.sort();
    extras.dedup();
    groups.sort();
    groups.dedup();
    let name = |s: &str| ExtraName::new(s.to_owned()).ok();
    ctx.add_group(GroupKind::Base, "project", members.clone(), Vec::new());
    let mut all = Vec::new();
    for x in &extras {
        let Some(e) = name(x) else { continue };
        all.push(e.clone());
        ctx.add_group(GroupKind::Extra, format!("project[{x}]"), members.clone(), vec![e]);
    }
    for g in &groups {
        let Some(e) = name(&format!("group-{g}")) else {
            continue;
        };
        all.push(e.clone());
        ctx.add_group(GroupKind::ToolGroup, format!("project+{g}"), members.clone(), vec![e]);
    }
    if !all.is_empty() {
        ctx.add_group(GroupKind::LockAll, "all", members, all);
    }
}
/// `uv.lock`: uv's lockfile.
pub(crate) struct UvLock;

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
