//! `pylock.toml` / `pylock.<name>.toml` (PEP 751): `[[packages]]` with `name`, `version`
//! (absent for VCS/directory entries) and `marker`; top-level `requires-python`, `extras`,
//! `dependency-groups` and `default-groups`.
//!
//! A package is installed where its `marker` holds. PEP 751 markers may ask
//! `'tf' in extras` and `'dev' in dependency_groups` (the extras and groups the installer is
//! asked for); pep508_rs does not know those variables, so they are read as the synthetic
//! extras `extra == "tf"` and `extra == "group-dev"`, which the units request.
//!
//! Units: `default` (the `default-groups`, no extra), `default[<x>]` per extra,
//! `default+<g>` per dependency group, and `all` (every extra and group) when the lock has
//! extras or groups; otherwise one unit.

use pep508_rs::ExtraName;

use super::toml_doc::{get, read_document};
use crate::manifest::{FileId, GroupKind, Parsed};

pub(crate) fn parse(text: &str, file: FileId) -> Parsed {
    read_document(text, file, super::Format::Pylock, |ctx, root| {
        if let Some(v) = get(root, "requires-python") {
            ctx.requires_python(v, "`requires-python`");
        }
        let mut members = Vec::new();
        for (i, t) in ctx.lock_packages(root, "packages") {
            members.push(i);
            if let Some(m) = get(t, "marker") {
                let Some(s) = ctx.string(m, "`marker`") else {
                    continue;
                };
                let at = ctx.str_span(m, s);
                let rewritten = installer_variables(s);
                if let Some(tree) = ctx.marker(&rewritten, at.span) {
                    ctx.out.requirements[i].and_marker(tree);
                }
            }
        }
        let list = |ctx: &mut super::toml_doc::Ctx<'_>, key: &str| -> Vec<String> {
            get(root, key)
                .map(|v| ctx.string_values(v, &format!("`{key}`")))
                .unwrap_or_default()
        };
        let extras = list(ctx, "extras");
        let groups = list(ctx, "dependency-groups");
        let defaults = list(ctx, "default-groups");
        if extras.is_empty() && groups.is_empty() {
            return;
        }
        let x = |s: &str| ExtraName::new(s.to_owned()).ok();
        let g = |s: &str| ExtraName::new(format!("group-{s}")).ok();
        let base: Vec<ExtraName> = defaults.iter().filter_map(|d| g(d)).collect();
        ctx.add_group(GroupKind::Base, "default", members.clone(), base.clone());
        let mut all = base.clone();
        for e in &extras {
            let Some(name) = x(e) else { continue };
            let mut req = base.clone();
            req.push(name.clone());
            all.push(name);
            ctx.add_group(GroupKind::Extra, format!("default[{e}]"), members.clone(), req);
        }
        for d in &groups {
            let Some(name) = g(d) else { continue };
            let mut req = base.clone();
            req.push(name.clone());
            all.push(name);
            ctx.add_group(GroupKind::LockGroup, format!("default+{d}"), members.clone(), req);
        }
        ctx.add_group(GroupKind::LockAll, "all", members, all);
    })
}

/// `'x' in extras` -> `extra == 'x'`, `'x' not in extras` -> `extra != 'x'`, and the same for
/// `dependency_groups` with `group-x`. Anything else is left as written.
fn installer_variables(marker: &str) -> String {
    let b = marker.as_bytes();
    let mut out = String::with_capacity(marker.len());
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        if c == b'\'' || c == b'"' {
            let Some(len) = marker[i + 1..].find(c as char) else {
                out.push_str(&marker[i..]);
                break;
            };
            let end = i + 1 + len + 1;
            let value = &marker[i + 1..end - 1];
            let rest = &marker[end..];
            let trimmed = rest.trim_start();
            let (negated, after_op) = if let Some(r) = trimmed.strip_prefix("not") {
                match r.trim_start().strip_prefix("in") {
                    Some(r2) if r.starts_with(char::is_whitespace) => (true, Some(r2)),
                    _ => (false, None),
                }
            } else {
                (false, trimmed.strip_prefix("in"))
            };
            let var = after_op
                .filter(|r| r.starts_with(char::is_whitespace))
                .map(str::trim_start)
                .and_then(|r| {
                    ["extras", "dependency_groups"].into_iter().find_map(|v| {
                        r.strip_prefix(v)
                            .filter(|t| !t.starts_with(|ch: char| ch.is_alphanumeric() || ch == '_'))
                            .map(|t| (v, t))
                    })
                });
            if let Some((v, tail)) = var {
                let name = if v == "extras" {
                    value.to_owned()
                } else {
                    format!("group-{value}")
                };
                let op = if negated { "!=" } else { "==" };
                out.push_str(&format!("extra {op} '{name}'"));
                i = marker.len() - tail.len();
            } else {
                out.push_str(&marker[i..end]);
                i = end;
            }
            continue;
        }
        let ch = marker[i..].chars().next().unwrap_or(' ');
        out.push(ch);
        i += ch.len_utf8();
    }
    out
}

/// `pylock.toml` / `pylock.<name>.toml`: the PEP 751 lockfile.
pub(crate) struct Pylock;

impl super::InputFormat for Pylock {
    fn name(&self) -> &'static str {
        "pylock"
    }
    fn example_file_name(&self) -> &'static str {
        "pylock.toml"
    }
    fn detect(&self, name: &super::FileName<'_>) -> bool {
        name.lower == "pylock.toml"
            || (name.lower.starts_with("pylock.") && name.lower.ends_with(".toml"))
    }
    fn parse(&self, files: &mut crate::files::Files, id: FileId) -> Parsed {
        parse(files.get(id).text.as_str(), id)
    }
    fn relock_command(&self) -> Option<&'static str> {
        Some("pip lock")
    }
}

#[cfg(test)]
mod tests {
    use super::installer_variables as iv;

    #[test]
    fn installer_variables_become_synthetic_extras() {
        assert_eq!(iv("'tf' in extras"), "extra == 'tf'");
        assert_eq!(
            iv("python_version < '3.8' and \"dev\" not in dependency_groups"),
            "python_version < '3.8' and extra != 'group-dev'"
        );
        assert_eq!(iv("'a' in extrasx"), "'a' in extrasx");
        assert_eq!(iv("sys_platform == 'linux'"), "sys_platform == 'linux'");
        assert_eq!(iv("'x"), "'x");
    }
}
