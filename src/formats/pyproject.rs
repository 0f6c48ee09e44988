//! `pyproject.toml`: PEP 621 `[project]`, PEP 735 `[dependency-groups]`, PEP 518
//! `[build-system]`, and the dependency tables of Poetry, PDM and uv.
//!
//! Groups (units that get installed together; a requirement is judged within each unit it
//! belongs to):
//!
//! | group | members |
//! |---|---|
//! | `project` | `[project].dependencies` |
//! | `project[<extra>]` | `project` + `[project.optional-dependencies].<extra>` (+ extras it pulls in through `<this-project>[other]`) |
//! | `dependency-groups:<g>` | `project` + PEP 735 group `<g>` with its `include-group`s |
//! | `build-system` | `[build-system].requires` alone |
//! | `poetry` | `[tool.poetry.dependencies]` without `optional = true` entries |
//! | `poetry[<extra>]` | `poetry` + the optional dependencies `[tool.poetry.extras].<extra>` names |
//! | `poetry:<g>` | `poetry` + `[tool.poetry.group.<g>.dependencies]` (`dev` also gets the legacy `[tool.poetry.dev-dependencies]`) |
//! | `pdm:<g>` | `project` + `[tool.pdm.dev-dependencies].<g>` |
//! | `uv:dev` | `project` + `[tool.uv].dev-dependencies` |
//!
//! `[tool.uv]` `constraint-dependencies` (role `Constrain`) and `override-dependencies` (role
//! `Override`) are members of every group. A `project` + ... group refers to `project`
//! (`Group::base`) and holds only what it adds. Group and extra names are normalised as PEP 685
//! and PEP 735 say (`[-_.]+` -> `-`, lower case). Tables of other tools are ignored.

use std::collections::{BTreeMap, BTreeSet};

use pep508_rs::{ExtraName, PackageName};
use super::toml_tree::{Item, Table};

use super::pep508;
use super::poetry;
use super::toml_doc::{entries, get, read_document_for, span_of, Ctx, Value};
use crate::manifest::{FileId, Group, GroupKind, GroupTool, Parsed, ProblemKind, Role};

/// Includes and group counts beyond this are not expanded (hostile input).
const MAX_GROUPS: usize = 2000;

/// Where dynamic requirements read from a file go.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum DynamicTarget {
    Dependencies,
    Extra(ExtraName),
}

/// A `[tool.setuptools.dynamic]` `{file = ...}` entry to read: its target, the path and the
/// span of the path's literal.
pub(crate) type DynamicFile = (DynamicTarget, String, crate::source::Span);

/// The parse, and the requirement files setuptools would read for `dynamic` metadata.
/// Only the PEP 508 strings on `relevant` packages are built in full (the others are checked
/// by `pep508::unread`).
pub(crate) fn parse_dynamic(
    text: &str,
    file: FileId,
    relevant: &super::Relevant,
) -> (Parsed, Vec<DynamicFile>) {
    let mut pending = Vec::new();
    let parsed = read_document_for(text, file, super::Format::Pyproject, relevant, |ctx, root| {
        read(ctx, root);
        dynamic(ctx, root, &mut pending);
    });
    (parsed, pending)
}

/// `[project] dynamic = ["dependencies", "optional-dependencies"]`: the build backend sets
/// them. setuptools (the backend named, or pip's default when none is) reads
/// `[tool.setuptools.dynamic] dependencies = {file = [...]}` and
/// `optional-dependencies.<x> = {file = [...]}` as requirement lists
/// (`setuptools.config._apply_pyprojecttoml._dependencies` through `_expand.read_files`);
/// those files are read the same way ([`super::setuptools::requirement_lines`]). Any other
/// source (another backend, a field setuptools does not take from a file) is unevaluable:
/// the unit claims no absence.
fn dynamic(ctx: &mut Ctx<'_>, root: &Table<'_>, pending: &mut Vec<DynamicFile>) {
    let Some(p) = get(root, "project").and_then(|p| p.get_ref().as_table()) else {
        return;
    };
    let Some(d) = get(p, "dynamic") else { return };
    let fields = ctx.strings(d, "`project.dynamic`");
    let backend = get(root, "build-system")
        .and_then(|b| b.get_ref().as_table())
        .and_then(|b| get(b, "build-backend"))
        .and_then(|v| v.get_ref().as_str());
    let setuptools_backend =
        backend.is_none_or(|b| b.trim().starts_with("setuptools.build_meta"));
    let sdyn = get(root, "tool")
        .and_then(|t| t.get_ref().as_table())
        .and_then(|t| get(t, "setuptools"))
        .and_then(|t| t.get_ref().as_table())
        .and_then(|t| get(t, "dynamic"))
        .and_then(|t| t.get_ref().as_table());
    for (field, at) in fields {
        let target_tables: Vec<(DynamicTarget, &Value<'_>)> = match field {
            "dependencies" => sdyn
                .and_then(|t| get(t, "dependencies"))
                .map(|v| vec![(DynamicTarget::Dependencies, v)])
                .unwrap_or_default(),
            "optional-dependencies" => sdyn
                .and_then(|t| get(t, "optional-dependencies"))
                .and_then(|v| v.get_ref().as_table())
                .map(|t| {
                    entries(t)
                        .into_iter()
                        .filter_map(|(k, v)| {
                            ExtraName::new(k.get_ref().to_string())
                                .ok()
                                .map(|x| (DynamicTarget::Extra(x), v))
                        })
                        .collect()
                })
                .unwrap_or_default(),
            _ => continue,
        };
        let mut read_all = setuptools_backend && !target_tables.is_empty();
        for (target, v) in target_tables {
            let files = v
                .get_ref()
                .as_table()
                .and_then(|t| get(t, "file"));
            let paths = match files.map(|f| f.get_ref()) {
                Some(Item::String(_)) => {
                    let f = files.unwrap_or(v);
                    match ctx.string(f, "`file`") {
                        Some(s) => vec![(s, ctx.str_span(f, s))],
                        None => Vec::new(),
                    }
                }
                Some(Item::Array(_)) => ctx.strings(files.unwrap_or(v), "`file`"),
                _ => Vec::new(),
            };
            if paths.is_empty() {
                read_all = false;
                continue;
            }
            for (path, sp) in paths {
                pending.push((target.clone(), path.to_owned(), sp.span));
            }
        }
        if !read_all {
            ctx.problem(
                ProblemKind::Unevaluable,
                at.span,
                format!(
                    "`{field}` is dynamic: the build backend computes it{}; depwindow reads only \
                     setuptools' `[tool.setuptools.dynamic]` `{{file = ...}}`",
                    match backend {
                        Some(b) if !setuptools_backend => format!(" (`{b}`)"),
                        _ => String::new(),
                    }
                ),
            );
        }
    }
}

fn read(ctx: &mut Ctx<'_>, root: &Table<'_>) {
    let mut groups: Vec<Pending> = Vec::new();

    // [project] (PEP 621)
    let project = ctx.sub_table(root, "project", "`[project]`");
    let project_name = project
        .and_then(|p| get(p, "name"))
        .and_then(|v| v.get_ref().as_str())
        .and_then(|n| PackageName::new(n.to_owned()).ok());
    let mut base = Vec::new();
    let mut extras: BTreeMap<ExtraName, Entries> = BTreeMap::new();
    // Where `[project]`'s base is in `groups`, and the groups that add to it (extras, PEP
    // 735 groups, PDM and uv dev groups): they refer to it (`Group::base`) instead of
    // holding a copy of it. Without `[project]`, `base` is empty.
    let mut project_base: Option<usize> = None;
    let mut on_base: Vec<usize> = Vec::new();
    if let Some(p) = project {
        if let Some(v) = get(p, "dependencies") {
            base = pep508_list(
                ctx,
                v,
                "`project.dependencies`",
                Role::Require,
                project_name.as_ref(),
            )
            .reqs;
        }
        if let Some(v) = get(p, "requires-python") {
            if let Some(s) = ctx.string(v, "`project.requires-python`") {
                let at = ctx.str_span(v, s);
                match crate::versions::read_specifiers(s) {
                    Ok(spec) => ctx.out.requires_python = Some((spec, ctx.loc(at.span))),
                    Err(e) => ctx.parse_error(
                        at.span,
                        format!(
                            "invalid `requires-python`: {}",
                            crate::versions::specifiers_error(&e)
                        ),
                    ),
                }
            }
        }
        if let Some(t) = ctx.sub_table(
            p,
            "optional-dependencies",
            "`project.optional-dependencies`",
        ) {
            for (k, v) in entries(t) {
                let what = format!("`project.optional-dependencies.{}`", k.get_ref());
                let list = pep508_list(ctx, v, &what, Role::Require, project_name.as_ref());
                match ExtraName::new(k.get_ref().to_string()) {
                    Ok(name) => {
                        extras.entry(name).or_default().merge(list);
                    }
                    Err(e) => ctx.parse_error(ctx.key_span(k), format!("invalid extra name: {e}")),
                }
            }
        }
        project_base = Some(groups.len());
        groups.push((GroupKind::Base, None, "project".into(), base.clone(), Vec::new()));
        // Each extra adds to the base (`Group::base`) instead of holding a copy of it.
        for extra in extras.keys() {
            let (members, closure) = expand_extras(&extras, std::slice::from_ref(extra));
            on_base.push(groups.len());
            groups.push((GroupKind::Extra, None, format!("project[{extra}]"), members, closure));
        }
    }

    // [dependency-groups] (PEP 735)
    if let Some(t) = ctx.sub_table(root, "dependency-groups", "`[dependency-groups]`") {
        let first = groups.len();
        dependency_groups(ctx, t, &extras, project_name.as_ref(), &mut groups);
        on_base.extend(first..groups.len());
    }

    // [build-system] (PEP 518)
    if let Some(b) = ctx.sub_table(root, "build-system", "`[build-system]`") {
        if let Some(v) = get(b, "requires") {
            let list = pep508_list(ctx, v, "`build-system.requires`", Role::Require, None);
            groups.push((
                GroupKind::BuildSystem, None,
                "build-system".into(),
                list.reqs,
                Vec::new(),
            ));
        }
    }

    let tool = ctx.sub_table(root, "tool", "`[tool]`");
    let mut everywhere = Vec::new();
    if let Some(tool) = tool {
        if let Some(p) = ctx.sub_table(tool, "poetry", "`[tool.poetry]`") {
            poetry_tables(ctx, p, &mut groups);
        }
        if let Some(pdm) = ctx.sub_table(tool, "pdm", "`[tool.pdm]`") {
            if let Some(dd) = ctx.sub_table(pdm, "dev-dependencies", "`tool.pdm.dev-dependencies`")
            {
                for (k, v) in entries(dd) {
                    let what = format!("`tool.pdm.dev-dependencies.{}`", k.get_ref());
                    let list = pep508_list(ctx, v, &what, Role::Require, project_name.as_ref());
                    let (more, ex) = expand_extras(&extras, &list.self_extras);
                    let mut m = list.reqs;
                    m.extend(more);
                    on_base.push(groups.len());
                    groups.push((
                        GroupKind::ToolGroup, Some(GroupTool::Pdm),
                        format!("pdm:{}", normalize_group(k.get_ref())),
                        m,
                        ex,
                    ));
                }
            }
        }
        if let Some(uv) = ctx.sub_table(tool, "uv", "`[tool.uv]`") {
            if let Some(v) = get(uv, "dev-dependencies") {
                let list = pep508_list(
                    ctx,
                    v,
                    "`tool.uv.dev-dependencies`",
                    Role::Require,
                    project_name.as_ref(),
                );
                let (more, ex) = expand_extras(&extras, &list.self_extras);
                let mut m = list.reqs;
                m.extend(more);
                on_base.push(groups.len());
                groups.push((GroupKind::ToolGroup, Some(GroupTool::Uv), "uv:dev".into(), m, ex));
            }
            for (key, role) in [
                ("constraint-dependencies", Role::Constrain),
                ("override-dependencies", Role::Override),
            ] {
                if let Some(v) = get(uv, key) {
                    let what = format!("`tool.uv.{key}`");
                    everywhere.extend(pep508_list(ctx, v, &what, role, None).reqs);
                }
            }
        }
    }

    let mut base_group: Option<(usize, Vec<usize>)> = None;
    for (i, (kind, tool, name, mut members, extras)) in groups.into_iter().enumerate() {
        members.extend(everywhere.iter().copied());
        let at = ctx.out.groups.len();
        let group = ctx.add_group(kind, name, members, extras);
        group.tool = tool;
        match &base_group {
            None if project_base == Some(i) => base_group = Some((at, group.members.clone())),
            Some((b, base_members)) if on_base.binary_search(&i).is_ok() => {
                group.add_to(*b, base_members)
            }
            _ => {}
        }
    }
}

/// A unit as [`read`] collects it: kind, declaring tool ([`Group::tool`]), display name,
/// members and extras.
type Pending = (
    GroupKind,
    Option<GroupTool>,
    String,
    Vec<usize>,
    Vec<ExtraName>,
);

/// Whether a unit holds `[project].dependencies`, as [`read`] builds the units: PEP 621's
/// base and extras, PEP 735 groups (they include the project), and PDM's and uv's
/// development groups (they install the project too). Poetry's units and `build-system` do
/// not.
fn holds_project_dependencies(g: &Group) -> bool {
    match g.kind {
        GroupKind::Base | GroupKind::Extra => g.tool.is_none(),
        GroupKind::DependencyGroup => true,
        GroupKind::ToolGroup => matches!(g.tool, Some(GroupTool::Pdm | GroupTool::Uv)),
        GroupKind::BuildSystem | GroupKind::LockGroup | GroupKind::LockAll => false,
    }
}

/// Whether a unit is a PEP 621 extra (`project[x]`), not Poetry's.
fn is_project_extra(g: &Group) -> bool {
    g.kind == GroupKind::Extra && g.tool.is_none()
}

/// What a list of PEP 508 strings held.
#[derive(Default)]
struct Entries {
    reqs: Vec<usize>,
    /// Extras requested through a requirement on the project itself (`myproj[test]`).
    self_extras: Vec<ExtraName>,
}

impl Entries {
    fn merge(&mut self, other: Entries) {
        self.reqs.extend(other.reqs);
        self.self_extras.extend(other.self_extras);
    }
}

/// An array of PEP 508 strings. A requirement on the project itself is not kept: its
/// extras are returned for expansion.
fn pep508_list(
    ctx: &mut Ctx<'_>,
    value: &Value<'_>,
    what: &str,
    role: Role,
    project: Option<&PackageName>,
) -> Entries {
    let mut out = Entries::default();
    let Some(arr) = ctx.array(value, what) else {
        return out;
    };
    for item in arr.iter() {
        if let Some(i) = pep508_item(ctx, item, what, role, project, &mut out.self_extras) {
            out.reqs.push(i);
        }
    }
    out
}

fn pep508_item(
    ctx: &mut Ctx<'_>,
    item: &Value<'_>,
    what: &str,
    role: Role,
    project: Option<&PackageName>,
    self_extras: &mut Vec<ExtraName>,
) -> Option<usize> {
    let s = ctx.string(item, what)?;
    let at = ctx.str_span(item, s);
    if at.exact && pep508::unread(s, ctx.relevant, project) {
        return None;
    }
    match pep508::requirement(s, at.span, at.exact, ctx.file, role, ctx.format) {
        Ok(req) if project == Some(&req.name) => {
            self_extras.extend(req.extras().iter().cloned());
            None
        }
        Ok(req) => Some(ctx.push(req)),
        Err(p) => {
            // A line that does not parse stands in for its package (`formats::stand_in`).
            let stand_in = super::leading_name(s).map(|n| super::stand_in(n, p.loc, ctx.format));
            ctx.out.problems.push(p);
            stand_in.map(|r| ctx.push(r))
        }
    }
}

/// Members of the given extras and of every extra they pull in through self-references,
/// and the full list of extras involved. Cycle-safe: each extra is visited once.
fn expand_extras(
    extras: &BTreeMap<ExtraName, Entries>,
    start: &[ExtraName],
) -> (Vec<usize>, Vec<ExtraName>) {
    let mut seen: BTreeSet<&ExtraName> = BTreeSet::new();
    let mut order = Vec::new();
    let mut members = Vec::new();
    let mut work: Vec<&ExtraName> = start.iter().collect();
    while let Some(e) = work.pop() {
        if !seen.insert(e) {
            continue;
        }
        order.push(e.clone());
        if let Some(entries) = extras.get(e) {
            members.extend(entries.reqs.iter().copied());
            work.extend(entries.self_extras.iter());
        }
    }
    (members, order)
}

/// PEP 735: "tools SHOULD normalize group names ... `re.sub(r"[-_.]+", "-", name).lower()`".
pub(crate) fn normalize_group(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    let mut sep = false;
    for c in name.chars() {
        if matches!(c, '-' | '_' | '.') {
            sep = true;
        } else {
            if sep {
                out.push('-');
                sep = false;
            }
            out.extend(c.to_lowercase());
        }
    }
    if sep {
        out.push('-');
    }
    out
}

/// PEP 735 groups with `{include-group = "..."}` resolved (cycles and unknown groups are
/// problems, as the PEP requires tools to report them).
fn dependency_groups(
    ctx: &mut Ctx<'_>,
    t: &Table<'_>,
    extras: &BTreeMap<ExtraName, Entries>,
    project: Option<&PackageName>,
    groups: &mut Vec<Pending>,
) {
    // name -> (direct entries, includes with their spans)
    let mut direct: BTreeMap<String, (Entries, Vec<(String, crate::source::Span)>)> =
        BTreeMap::new();
    let mut order = Vec::new();
    for (k, v) in entries(t) {
        let name = normalize_group(k.get_ref());
        let what = format!("`dependency-groups.{}`", k.get_ref());
        let mut e = Entries::default();
        let mut includes = Vec::new();
        if let Some(arr) = ctx.array(v, &what) {
            for item in arr.iter() {
                match item.get_ref() {
                    Item::Table(it) => match get(it, "include-group") {
                        Some(g) => {
                            if let Some(s) = ctx.string(g, "`include-group`") {
                                let at = ctx.str_span(g, s);
                                includes.push((normalize_group(s), at.span));
                            }
                        }
                        None => ctx.parse_error(
                            span_of(item),
                            format!("{what}: a table entry must be `{{include-group = \"...\"}}`"),
                        ),
                    },
                    _ => {
                        if let Some(i) = pep508_item(
                            ctx,
                            item,
                            &what,
                            Role::Require,
                            project,
                            &mut e.self_extras,
                        ) {
                            e.reqs.push(i);
                        }
                    }
                }
            }
        }
        if direct.contains_key(&name) {
            ctx.parse_error(
                ctx.key_span(k),
                format!("duplicate dependency group `{name}` (after normalisation)"),
            );
            continue;
        }
        order.push(name.clone());
        direct.insert(name, (e, includes));
    }
    let expand_includes = direct.len() <= MAX_GROUPS;
    if !expand_includes {
        ctx.problem(
            ProblemKind::Unevaluable,
            crate::source::Span::default(),
            format!("more than {MAX_GROUPS} dependency groups; includes not expanded"),
        );
    }
    let mut reported: BTreeSet<(String, usize)> = BTreeSet::new();
    for name in &order {
        // The project's base is theirs through `Group::base`.
        let mut members: Vec<usize> = Vec::new();
        let mut self_extras = Vec::new();
        let mut seen: BTreeSet<&str> = BTreeSet::new();
        let mut work: Vec<&str> = vec![name.as_str()];
        while let Some(g) = work.pop() {
            if !seen.insert(g) {
                continue;
            }
            let Some((e, includes)) = direct.get(g) else {
                continue;
            };
            members.extend(e.reqs.iter().copied());
            self_extras.extend(e.self_extras.iter().cloned());
            if !expand_includes {
                continue;
            }
            for (inc, span) in includes {
                if !direct.contains_key(inc) {
                    if reported.insert((inc.clone(), span.start)) {
                        ctx.parse_error(
                            *span,
                            format!("`include-group` names unknown dependency group `{inc}`"),
                        );
                    }
                } else if inc == name {
                    if reported.insert((inc.clone(), span.start)) {
                        ctx.parse_error(
                            *span,
                            format!("dependency group `{name}` includes itself (cycle)"),
                        );
                    }
                } else {
                    work.push(inc);
                }
            }
        }
        let (more, ex) = expand_extras(extras, &self_extras);
        members.extend(more);
        groups.push((
            GroupKind::DependencyGroup, None,
            format!("dependency-groups:{name}"),
            members,
            ex,
        ));
    }
}

/// `[tool.poetry]`: main dependencies, extras, groups and legacy dev-dependencies.
fn poetry_tables(
    ctx: &mut Ctx<'_>,
    p: &Table<'_>,
    groups: &mut Vec<Pending>,
) {
    let mut main = Vec::new();
    let mut optional: BTreeMap<PackageName, Vec<usize>> = BTreeMap::new();
    let mut any = false;
    if let Some(deps) = ctx.sub_table(p, "dependencies", "`tool.poetry.dependencies`") {
        any = true;
        let siblings = ctx.keys(deps);
        for (k, v) in entries(deps) {
            if k.get_ref().as_ref() == "python" {
                poetry_python(ctx, v);
                continue;
            }
            for (req, opt) in poetry::dependency(ctx, k, v, &siblings) {
                // No check reads a package no rule names (issue 15 §4); an optional one
                // leaves its name, which `[tool.poetry.extras]` may list.
                if req.role != Role::Unparsed && !ctx.relevant.wants(req.name.as_ref()) {
                    if opt {
                        optional.entry(PackageName::clone(&req.name)).or_default();
                    }
                    continue;
                }
                let name = PackageName::clone(&req.name);
                let i = ctx.push(req);
                if opt {
                    optional.entry(name).or_default().push(i);
                } else {
                    main.push(i);
                }
            }
        }
    }
    let mut named: BTreeMap<String, Vec<usize>> = BTreeMap::new();
    if let Some(dev) = ctx.sub_table(p, "dev-dependencies", "`tool.poetry.dev-dependencies`") {
        any = true;
        let m = poetry_deps(ctx, dev);
        named.entry("dev".into()).or_default().extend(m);
    }
    if let Some(gs) = ctx.sub_table(p, "group", "`tool.poetry.group`") {
        for (k, v) in entries(gs) {
            let what = format!("`tool.poetry.group.{}`", k.get_ref());
            let Some(g) = ctx.table(v, &what) else {
                continue;
            };
            any = true;
            let what = format!("`tool.poetry.group.{}.dependencies`", k.get_ref());
            let m = match ctx.sub_table(g, "dependencies", &what) {
                Some(d) => poetry_deps(ctx, d),
                None => Vec::new(),
            };
            named.entry(k.get_ref().to_string()).or_default().extend(m);
        }
    }
    let mut extra_groups = Vec::new();
    if let Some(ex) = ctx.sub_table(p, "extras", "`tool.poetry.extras`") {
        for (k, v) in entries(ex) {
            let what = format!("`tool.poetry.extras.{}`", k.get_ref());
            let mut m = main.clone();
            for (s, sp) in ctx.strings(v, &what) {
                // Extras name packages, optionally with their own extras (`pkg[x]`).
                let bare = s.split('[').next().unwrap_or(s).trim();
                match PackageName::new(bare.to_owned()) {
                    Ok(n) => match optional.get(&n) {
                        Some(ids) => m.extend(ids.iter().copied()),
                        None => ctx.problem(
                            ProblemKind::Note,
                            sp.span,
                            format!("extra lists `{bare}`, which is not an optional dependency"),
                        ),
                    },
                    Err(e) => {
                        ctx.parse_error(sp.span, format!("invalid package name `{bare}`: {e}"))
                    }
                }
            }
            let extra = ExtraName::new(k.get_ref().to_string())
                .ok()
                .into_iter()
                .collect();
            extra_groups.push((
                GroupKind::Extra, Some(GroupTool::Poetry),
                format!("poetry[{}]", k.get_ref()),
                m,
                extra,
            ));
        }
    }
    if any {
        groups.push((GroupKind::Base, Some(GroupTool::Poetry), "poetry".into(), main.clone(), Vec::new()));
        groups.extend(extra_groups);
        for (g, m) in named {
            let mut members = main.clone();
            members.extend(m);
            groups.push((
                GroupKind::ToolGroup, Some(GroupTool::Poetry),
                format!("poetry:{g}"),
                members,
                Vec::new(),
            ));
        }
    }
}

/// Every requirement of a Poetry dependency table (optional ones included: groups have no
/// extras to gate them).
fn poetry_deps(ctx: &mut Ctx<'_>, t: &Table<'_>) -> Vec<usize> {
    let mut out = Vec::new();
    let siblings = ctx.keys(t);
    for (k, v) in entries(t) {
        if k.get_ref().as_ref() == "python" {
            continue;
        }
        for (req, _) in poetry::dependency(ctx, k, v, &siblings) {
            // No check reads a package no rule names (issue 15 §4).
            if req.role == Role::Unparsed || ctx.relevant.wants(req.name.as_ref()) {
                out.push(ctx.push(req));
            }
        }
    }
    out
}

/// `[tool.poetry.dependencies] python = "^3.7"`: the project's Python range, unless PEP 621
/// `requires-python` already set it (Poetry 2 reads that first).
fn poetry_python(ctx: &mut Ctx<'_>, v: &Value<'_>) {
    let Some(s) = ctx.string(v, "`tool.poetry.dependencies.python`") else {
        return;
    };
    let at = ctx.str_span(v, s);
    if ctx.out.requires_python.is_none() {
        poetry::requires_python(ctx, s, at.span);
    }
}

/// `pyproject.toml`.
pub(crate) struct Pyproject;

impl super::InputFormat for Pyproject {
    fn name(&self) -> &'static str {
        "pyproject"
    }
    fn example_file_name(&self) -> &'static str {
        "pyproject.toml"
    }
    fn detect(&self, name: &super::FileName<'_>) -> bool {
        name.lower == "pyproject.toml"
    }
    fn parse(&self, files: &mut crate::files::Files, id: FileId) -> Parsed {
        let (mut parsed, pending) =
            parse_dynamic(files.get(id).text.as_str(), id, files.relevant());
        for (target, path, span) in pending {
            let members = super::setuptools::requirement_lines(files, id, &path, span, &mut parsed);
            // The units that hold `[project].dependencies` (or that extra), as `read` made them.
            for g in &mut parsed.groups {
                let takes = match &target {
                    // An extra holds them through its base (`Group::base`).
                    DynamicTarget::Dependencies => g.base.is_none() && holds_project_dependencies(g),
                    DynamicTarget::Extra(x) => is_project_extra(g) && g.extras.contains(x),
                };
                if takes {
                    g.members.extend(members.iter().copied());
                }
            }
            if let DynamicTarget::Extra(x) = &target {
                if !parsed
                    .groups
                    .iter()
                    .any(|g| is_project_extra(g) && g.extras.contains(x))
                {
                    let base = parsed
                        .groups
                        .iter()
                        .position(|g| g.kind == GroupKind::Base && g.tool.is_none());
                    let mut group = Group {
                        kind: GroupKind::Extra,
                        tool: None,
                        name: format!("project[{x}]"),
                        members: members.clone(),
                        extras: vec![x.clone()],
                        base: None,
                    };
                    if let Some(b) = base {
                        let mut base_members = parsed.groups[b].members.clone();
                        base_members.sort_unstable();
                        group.add_to(b, &base_members);
                    }
                    parsed.groups.push(group);
                }
            }
        }
        // PEP 508 strings are array elements; a Poetry dependency is a TOML entry.
        super::edit::capture_inserts(
            files,
            &mut parsed,
            |_| true,
            |f, r| match r.entry() {
                Some(e) => super::edit::toml_entry_slot(f, e.span),
                None if r.syntax == crate::manifest::Syntax::Pep508 => {
                    super::edit::array_slot(f, r.loc().span)
                }
                None => None,
            },
        );
        parsed
    }
    /// The lock of whichever tool manages the project, beside it.
    fn lockfiles(&self, path: &std::path::Path) -> Vec<(std::path::PathBuf, super::Format)> {
        use crate::files::join;
        let dir = path.parent().unwrap_or(std::path::Path::new(""));
        vec![
            (join(dir, "poetry.lock"), super::Format::PoetryLock),
            (join(dir, "uv.lock"), super::Format::UvLock),
            (join(dir, "pdm.lock"), super::Format::PdmLock),
            (join(dir, "pylock.toml"), super::Format::Pylock),
        ]
    }
    /// Beside a PEP 508 string: a new element of its array. Beside a Poetry entry: a new
    /// `name = ...` entry with its `python` / `markers` / `platform` restrictions.
    fn insert(
        &self,
        file: &crate::source::SourceFile,
        after: &crate::manifest::Requirement,
        name: &str,
        spec: &str,
    ) -> Option<(crate::source::Span, String)> {
        use crate::manifest::Syntax;
        match after.syntax {
            Syntax::Pep508 => super::edit::insert_pep508(file, after, name, spec),
            Syntax::Poetry | Syntax::Pep440Value => {
                super::edit::toml_entry_after(file, after, name, spec)
            }
            Syntax::Conda | Syntax::Lock => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::files::Files;
    use crate::formats::InputFormat;

    /// Every unit of a pyproject.toml that several tools share carries its kind and the
    /// tool whose table declares it; setuptools `dynamic` dependencies reach the units that
    /// hold `[project].dependencies` by those fields (PEP 621, PEP 735, PDM, uv), and not
    /// Poetry's or `build-system`, whatever the units are called.
    #[test]
    fn units_are_typed_and_dynamic_dependencies_reach_them_by_type() {
        let dir = std::env::temp_dir().join(format!("dw-pyproject-kinds-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("deps.txt"), "numpy<1.17\n").unwrap();
        std::fs::write(dir.join("np.txt"), "h5py\n").unwrap();
        let text = r#"[build-system]
requires = ["setuptools>=61"]
build-backend = "setuptools.build_meta"

[project]
name = "demo"
dynamic = ["dependencies", "optional-dependencies"]
optional-dependencies.viz = ["six"]

[tool.setuptools.dynamic]
dependencies = { file = ["deps.txt"] }
optional-dependencies.np = { file = "np.txt" }

[dependency-groups]
test = ["pytest"]

[tool.poetry.dependencies]
wrapt = "*"

[tool.poetry.group.dev.dependencies]
gast = "*"

[tool.pdm.dev-dependencies]
lint = ["ruff"]

[tool.uv]
dev-dependencies = ["astor"]
"#;
        std::fs::write(dir.join("pyproject.toml"), text).unwrap();
        let mut files = Files::new(dir.clone());
        let id = files.load(&dir.join("pyproject.toml")).unwrap();
        let p = Pyproject.parse(&mut files, id);
        let numpy = p
            .requirements
            .iter()
            .position(|r| r.name.as_ref() == "numpy")
            .unwrap();
        let h5py = p
            .requirements
            .iter()
            .position(|r| r.name.as_ref() == "h5py")
            .unwrap();
        let got: Vec<(&str, GroupKind, Option<GroupTool>, bool, bool)> = p
            .groups
            .iter()
            .enumerate()
            .map(|(i, g)| {
                (
                    g.name.as_str(),
                    g.kind,
                    g.tool,
                    p.members(i).contains(&numpy),
                    p.members(i).contains(&h5py),
                )
            })
            .collect();
        use GroupKind::*;
        let (po, pdm, uv) = (
            Some(GroupTool::Poetry),
            Some(GroupTool::Pdm),
            Some(GroupTool::Uv),
        );
        assert_eq!(
            got,
            [
                ("project", Base, None, true, false),
                ("project[viz]", Extra, None, true, false),
                ("dependency-groups:test", DependencyGroup, None, true, false),
                ("build-system", BuildSystem, None, false, false),
                ("poetry", Base, po, false, false),
                ("poetry:dev", ToolGroup, po, false, false),
                ("pdm:lint", ToolGroup, pdm, true, false),
                ("uv:dev", ToolGroup, uv, true, false),
                ("project[np]", Extra, None, true, true),
            ]
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
