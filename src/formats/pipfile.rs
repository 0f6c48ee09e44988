//! `Pipfile` (pipenv). Groups: `packages` (`pipenv install`) and `packages+dev-packages`
//! (`pipenv install --dev`, which installs both).
//!
//! Values: `"*"` (any version), a PEP 440 specifier string (`">=1.16"`), or a table with
//! `version`, `markers`, `extras`, `index`, marker keys (`sys_platform = "== 'linux'"`), or
//! `git`/`path`/`file`/`editable` (a direct reference, no version).
//! `[requires] python_version = "3.7"` means `==3.7.*`, `python_full_version = "3.7.4"`
//! means `==3.7.4`. `[pipenv] allow_prereleases = true` allows pre-releases everywhere.

use super::toml_tree::{Item, Table};

use super::toml_doc::{entries, get, pep440_value, span_of, Ctx, Key, Value};
use crate::manifest::{FileId, GroupKind, Loc, Parsed, Requirement, Role, Syntax, VersionReq};

/// Table keys pipenv turns into PEP 508 markers (`key value`, e.g. `os_name == 'nt'`).
const MARKER_KEYS: [&str; 11] = [
    "os_name",
    "sys_platform",
    "platform_machine",
    "platform_python_implementation",
    "platform_release",
    "platform_system",
    "platform_version",
    "python_version",
    "python_full_version",
    "implementation_name",
    "implementation_version",
];

/// The keys of a package table whose restriction a package inserted beside it copies, as
/// written (Poetry-style `python` / `platform` included, as before). The other marker keys
/// (`sys_platform = "== 'linux'"`) are not copied: the inserted package is then constrained
/// everywhere, which is still a correct fix.
const RESTRICTIONS: [&str; 3] = ["python", "markers", "platform"];

/// Read a Pipfile, keeping only the packages `relevant` names (`formats::Relevant`): an
/// entry on any other is read and its problems reported, but nothing of it is kept.
fn parse_for(text: &str, file: FileId, relevant: &super::Relevant) -> Parsed {
    super::toml_doc::read_document_for(text, file, super::Format::Pipfile, relevant, read)
}

fn read(ctx: &mut Ctx<'_>, root: &Table<'_>) {
    let pre = ctx
        .sub_table(root, "pipenv", "`[pipenv]`")
        .and_then(|p| get(p, "allow_prereleases"))
        .and_then(|v| ctx.bool(v, "`allow_prereleases`"))
        .unwrap_or(false);
    let packages = match ctx.sub_table(root, "packages", "`[packages]`") {
        Some(t) => section(ctx, t, pre),
        None => Vec::new(),
    };
    let dev = ctx
        .sub_table(root, "dev-packages", "`[dev-packages]`")
        .map(|t| section(ctx, t, pre));
    if let Some(r) = ctx.sub_table(root, "requires", "`[requires]`") {
        requires(ctx, r);
    }
    ctx.add_group(GroupKind::Base, "packages", packages.clone(), Vec::new());
    if let Some(dev) = dev {
        let mut both = packages;
        both.extend(dev);
        ctx.add_group(
            GroupKind::ToolGroup,
            "packages+dev-packages",
            both,
            Vec::new(),
        );
    }
}

fn section(ctx: &mut Ctx<'_>, t: &Table<'_>, pre: bool) -> Vec<usize> {
    let mut out = Vec::new();
    let siblings = ctx.keys(t);
    for (k, v) in entries(t) {
        let before = parse_errors(ctx);
        if let Some(mut req) = package(ctx, k, v, pre) {
            // No check reads a package no rule names (issue 15 §4).
            if !ctx.relevant.wants(req.name.as_ref()) {
                continue;
            }
            req.set_anchors(ctx.entry_anchors(k, v, v, &req.version, &RESTRICTIONS, &siblings));
            out.push(ctx.push(req));
        } else if parse_errors(ctx) > before {
            // An entry whose value does not parse stands in for its package.
            if let Ok(name) = pep508_rs::PackageName::new(k.get_ref().to_string()) {
                let loc = ctx.loc(span_of(k).cover(span_of(v)));
                out.push(ctx.push(super::stand_in(name, loc, ctx.format)));
            }
        }
    }
    out
}

fn package(ctx: &mut Ctx<'_>, key: &Key<'_>, value: &Value<'_>, pre: bool) -> Option<Requirement> {
    let name_span = ctx.key_span(key);
    let name = ctx.package_name(key.get_ref(), name_span)?;
    let mut req = Requirement::new(crate::manifest::Draft {
        name: name.into(),
        extras: Default::default(),
        version: VersionReq::Any,
        marker: crate::markers::Marker::TRUE,
        role: Role::Require,
        syntax: Syntax::Pep440Value,
        at: Loc {
            file: ctx.file,
            span: span_of(key).cover(span_of(value)),
        }
        ,
        name_at: name_span,
        hashed: false,
        pre,
        format: ctx.format,
    });
    match value.get_ref() {
        Item::String(s) => {
            req.version = version(ctx, value, s)?;
        }
        Item::Table(t) => {
            let mut direct = false;
            for (k, v) in entries(t) {
                let key = k.get_ref().as_ref();
                match key {
                    "version" => {
                        let s = ctx.string(v, "`version`")?;
                        req.version = version(ctx, v, s)?;
                    }
                    "markers" => {
                        let s = ctx.string(v, "`markers`")?;
                        let at = ctx.str_span(v, s);
                        req.and_marker(ctx.requirement_marker(s, at.span)?);
                    }
                    "extras" => req.set_extras(ctx.extra_names(v, "`extras`").into()),
                    "git" | "path" | "file" | "editable" | "hg" | "svn" | "bzr" | "ref" => {
                        direct = true
                    }
                    _ if MARKER_KEYS.contains(&key) => {
                        let s = ctx.string(v, &format!("`{key}`"))?;
                        let at = ctx.str_span(v, s);
                        req.and_marker(ctx.requirement_marker(&format!("{key} {s}"), at.span)?);
                    }
                    _ => {}
                }
            }
            if direct {
                req.version = VersionReq::Unversioned;
            }
        }
        _ => {
            ctx.string(value, "a Pipfile package")?;
        }
    }
    Some(req)
}

fn version(ctx: &mut Ctx<'_>, v: &Value<'_>, s: &str) -> Option<VersionReq> {
    let at = ctx.str_span(v, s);
    match pep440_value(s, at) {
        Ok(r) => Some(r),
        Err(e) => {
            ctx.parse_error(at.span, e);
            None
        }
    }
}

/// `[requires]`: `python_full_version` wins over `python_version` when both are given, as
/// pipenv reads it.
fn requires(ctx: &mut Ctx<'_>, r: &Table<'_>) {
    for (key, star) in [("python_version", true), ("python_full_version", false)] {
        let Some(v) = get(r, key) else { continue };
        let Some(s) = ctx.string(v, &format!("`requires.{key}`")) else {
            continue;
        };
        let at = ctx.str_span(v, s);
        let text = if star {
            format!("=={}.*", s.trim())
        } else {
            format!("=={}", s.trim())
        };
        match crate::versions::read_specifiers(&text) {
            Ok(spec) => ctx.out.requires_python = Some((spec, ctx.loc(at.span))),
            Err(e) => ctx.parse_error(
                at.span,
                format!(
                    "invalid `{key}` `{s}`: {}",
                    crate::versions::specifiers_error(&e)
                ),
            ),
        }
    }
}

/// `Pipfile` (pipenv).
pub(crate) struct Pipfile;

impl super::InputFormat for Pipfile {
    fn name(&self) -> &'static str {
        "pipfile"
    }
    fn example_file_name(&self) -> &'static str {
        "Pipfile"
    }
    fn detect(&self, name: &super::FileName<'_>) -> bool {
        name.lower == "pipfile"
    }
    fn parse(&self, files: &mut crate::files::Files, id: FileId) -> Parsed {
        let mut parsed = parse_for(files.get(id).text.as_str(), id, files.relevant());
        super::edit::capture_inserts(
            files,
            &mut parsed,
            |r| r.entry().is_some(),
            |f, r| super::edit::toml_entry_slot(f, r.entry()?.span),
        );
        parsed
    }
    fn lockfiles(&self, path: &std::path::Path) -> Vec<(std::path::PathBuf, super::Format)> {
        let dir = path.parent().unwrap_or(std::path::Path::new(""));
        vec![(dir.join("Pipfile.lock"), super::Format::PipfileLock)]
    }
    /// A new `name = ...` entry after the trigger's, with its restrictions.
    fn insert(
        &self,
        file: &crate::source::SourceFile,
        after: &Requirement,
        name: &str,
        spec: &str,
    ) -> Option<(crate::source::Span, String)> {
        super::edit::toml_entry_after(file, after, name, spec)
    }
}

fn parse_errors(ctx: &Ctx<'_>) -> usize {
    ctx.out
        .problems
        .iter()
        .filter(|p| p.kind == crate::manifest::ProblemKind::Parse)
        .count()
}
