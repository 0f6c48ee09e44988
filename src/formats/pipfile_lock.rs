//! `Pipfile.lock` (pipenv): JSON with `_meta`, `default` and `develop` sections mapping
//! package names to `{"version": "==1.16.4", "markers": "...", "hashes": [...]}`.
//!
//! Every pin becomes a [`Role::Locked`] requirement with [`VersionReq::Exact`]. The span of
//! the version is the version text itself, *without* the `==` pipenv writes before it
//! (`1.16.4` in `"==1.16.4"`), so a diagnostic underlines exactly the locked version.
//! Entries locked to a VCS checkout, a path or a file (`git`, `path`, `file`) name no
//! version and become [`VersionReq::Unversioned`].
//!
//! Units: `default` (what `pipenv install --deploy` / `pipenv sync` installs) and
//! `default+develop` (`pipenv sync --dev`).

use std::str::FromStr;

use pep440_rs::Version;
use pep508_rs::{ExtraName, PackageName};

use crate::markers::Marker;

use super::json_span::{self, Node, Str, Value};
use super::{problem, push_member};
use crate::files::Files;
use crate::manifest::{
    FileId, Group, GroupKind, Loc, Parsed, Problem, ProblemKind, Requirement, Role, Syntax,
    VersionReq,
};
use crate::source::Span;

pub(crate) fn parse(files: &Files, id: FileId) -> Parsed {
    parse_text(&files.get(id).text, id)
}

pub(crate) fn parse_text(text: &str, file: FileId) -> Parsed {
    let mut out = Parsed::default();
    let root = match json_span::parse(text) {
        Ok(root) => root,
        Err(e) => {
            out.problems.push(parse_problem(
                file,
                e.span,
                format!("invalid JSON: {}", e.message),
            ));
            return out;
        }
    };
    if !matches!(root.value, Value::Object(_)) {
        let msg = format!("a Pipfile.lock is a JSON object, found {}", root.kind());
        out.problems.push(parse_problem(file, root.span, msg));
        return out;
    }
    read_meta(&root, file, &mut out);
    let mut default = Vec::new();
    let mut develop = Vec::new();
    for (section, members) in [("default", &mut default), ("develop", &mut develop)] {
        let Some(node) = root.get(section) else {
            continue;
        };
        let Value::Object(entries) = &node.value else {
            let msg = format!(
                "`{section}` must be an object of packages, found {}",
                node.kind()
            );
            out.problems.push(parse_problem(file, node.span, msg));
            continue;
        };
        for (key, entry) in entries {
            if let Some(req) = entry_requirement(key, entry, file, &mut out) {
                push_member(&mut out, members, req);
            }
        }
    }
    out.hashed = out.requirements.iter().any(|r| r.hashed);
    let mut both = default.clone();
    both.extend(develop);
    out.groups.push(Group {
        kind: GroupKind::Base,
        tool: None,
        name: "default".into(),
        members: default,
        extras: vec![],
        base: None,
    });
    out.groups.push(Group {
        kind: GroupKind::LockGroup,
        tool: None,
        name: "default+develop".into(),
        members: both,
        extras: vec![],
        base: None,
    });
    out
}

/// `_meta.requires.python_version` ("3.7") means the lock was made for Python 3.7.*;
/// `python_full_version` ("3.7.4") for exactly that version.
fn read_meta(root: &Node, file: FileId, out: &mut Parsed) {
    let Some(requires) = root.get("_meta").and_then(|m| m.get("requires")) else {
        return;
    };
    for (key, op) in [("python_full_version", "=="), ("python_version", "==")] {
        let Some(node) = requires.get(key) else {
            continue;
        };
        let Value::Str(s) = &node.value else {
            let msg = format!("`{key}` must be a string, found {}", node.kind());
            out.problems.push(parse_problem(file, node.span, msg));
            return;
        };
        let spec = if key == "python_version" {
            format!("{op}{}.*", s.value.trim())
        } else {
            format!("{op}{}", s.value.trim())
        };
        match crate::versions::read_specifiers(&spec) {
            Ok(v) => out.requires_python = Some((v, Loc { file, span: s.span })),
            Err(e) => {
                out.problems
                    .push(parse_problem(file, s.span, format!("invalid `{key}`: {}", crate::versions::specifiers_error(&e))))
            }
        }
        return;
    }
}

fn entry_requirement(
    key: &Str,
    entry: &Node,
    file: FileId,
    out: &mut Parsed,
) -> Option<Requirement> {
    let key_span = if key.verbatim { key.inner() } else { key.span };
    let name = match PackageName::from_str(&key.value) {
        Ok(n) => n,
        Err(e) => {
            out.problems.push(parse_problem(
                file,
                key_span,
                format!("invalid package name: {e}"),
            ));
            return None;
        }
    };
    let Value::Object(_) = &entry.value else {
        let msg = format!(
            "the entry for `{}` must be an object, found {}",
            key.value,
            entry.kind()
        );
        out.problems.push(parse_problem(file, entry.span, msg));
        return None;
    };
    let loc = Loc {
        file,
        span: key.span.cover(entry.span),
    };
    let version = match entry.get("version") {
        Some(node) => match &node.value {
            Value::Str(s) => exact_version(s, file, out)?,
            _ => {
                let msg = format!("`version` must be a string, found {}", node.kind());
                out.problems.push(parse_problem(file, node.span, msg));
                return None;
            }
        },
        None if ["git", "path", "file", "ref", "editable"]
            .iter()
            .any(|k| entry.get(k).is_some()) =>
        {
            VersionReq::Unversioned
        }
        None => {
            let msg = format!(
                "`{}` is locked without a version, git, path or file",
                key.value
            );
            out.problems.push(parse_problem(file, entry.span, msg));
            return None;
        }
    };
    let mut marker = Marker::TRUE;
    if let Some(node) = entry.get("markers") {
        match &node.value {
            Value::Str(s) => match super::guard::marker(&s.value) {
                Ok(m) => marker = m,
                Err(e) => {
                    let msg = format!("invalid markers: {}", e.message);
                    out.problems.push(parse_problem(file, s.span, msg));
                }
            },
            _ => {
                let msg = format!("`markers` must be a string, found {}", node.kind());
                out.problems.push(parse_problem(file, node.span, msg));
            }
        }
    }
    let mut extras = Vec::new();
    if let Some(node) = entry.get("extras") {
        match &node.value {
            Value::Array(items) => {
                for item in items {
                    match &item.value {
                        Value::Str(s) => match ExtraName::from_str(&s.value) {
                            Ok(x) => extras.push(x),
                            Err(e) => out.problems.push(parse_problem(
                                file,
                                s.span,
                                format!("invalid extra: {e}"),
                            )),
                        },
                        _ => {
                            let msg = format!("an extra must be a string, found {}", item.kind());
                            out.problems.push(parse_problem(file, item.span, msg));
                        }
                    }
                }
            }
            _ => {
                let msg = format!("`extras` must be an array, found {}", node.kind());
                out.problems.push(parse_problem(file, node.span, msg));
            }
        }
    }
    let hashed = match entry.get("hashes") {
        Some(Node {
            value: Value::Array(h),
            ..
        }) => !h.is_empty(),
        Some(node) => {
            let msg = format!("`hashes` must be an array, found {}", node.kind());
            out.problems.push(parse_problem(file, node.span, msg));
            false
        }
        None => false,
    };
    Some(Requirement::new(crate::manifest::Draft {
        name: name.into(),
        extras: extras.into(),
        version,
        marker,
        role: Role::Locked,
        syntax: Syntax::Lock,
        at: loc,
        name_at: key_span,
        hashed,
        pre: false,
        format: super::Format::PipfileLock,
    }))
}

/// `"==1.16.4"` -> `Exact(1.16.4)` spanning `1.16.4`.
fn exact_version(s: &Str, file: FileId, out: &mut Parsed) -> Option<VersionReq> {
    let raw = s.value.as_str();
    let lead = raw.len() - raw.trim_start().len();
    let rest = &raw[lead..];
    let Some(after) = rest.strip_prefix("===").or_else(|| rest.strip_prefix("==")) else {
        let msg = format!("a locked version must be written `==VERSION`, found `{raw}`");
        out.problems.push(parse_problem(file, s.span, msg));
        return None;
    };
    let op_len = rest.len() - after.len();
    let ws = after.len() - after.trim_start().len();
    let v_text = after.trim();
    let v_start = lead + op_len + ws;
    let span = if s.verbatim {
        s.inner().sub(Span::new(v_start, v_start + v_text.len()))
    } else {
        s.span
    };
    match Version::from_str(v_text) {
        Ok(version) => Some(VersionReq::Exact {
            version,
            span: span.into(),
        }),
        Err(e) => {
            out.problems.push(parse_problem(
                file,
                span,
                format!("invalid version `{v_text}`: {e}"),
            ));
            None
        }
    }
}

fn parse_problem(file: FileId, span: Span, message: String) -> Problem {
    problem(ProblemKind::Parse, file, span, message)
}

/// `Pipfile.lock`: pipenv's lockfile.
pub(crate) struct PipfileLock;

impl super::InputFormat for PipfileLock {
    fn name(&self) -> &'static str {
        "pipfile-lock"
    }
    fn example_file_name(&self) -> &'static str {
        "Pipfile.lock"
    }
    fn detect(&self, name: &super::FileName<'_>) -> bool {
        name.lower == "pipfile.lock"
    }
    fn parse(&self, files: &mut crate::files::Files, id: FileId) -> Parsed {
        parse(files, id)
    }
    fn relock_command(&self) -> Option<&'static str> {
        Some("pipenv lock")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const LOCK: &str = r#"{
    "_meta": {"hash": {"sha256": "abc"}, "pipfile-spec": 6,
              "requires": {"python_version": "3.7"}, "sources": []},
    "default": {
        "numpy": {
            "hashes": ["sha256:aaa"],
            "index": "pypi",
            "version": "==1.17.0"
        },
        "tensorflow": {"hashes": [], "version": "==1.14.0",
                       "markers": "python_version < '3.8'", "extras": ["gpu"]},
        "mylib": {"git": "https://example.com/mylib.git", "ref": "abc"}
    },
    "develop": {"pytest": {"version": "==5.0.1"}}
}"#;

    fn slice(t: &str, s: Span) -> &str {
        &t[s.start..s.end]
    }

    #[test]
    fn reads_pins_with_version_spans_and_groups() {
        let p = parse_text(LOCK, 0);
        assert!(p.problems.is_empty(), "{:?}", p.problems);
        assert_eq!(p.requirements.len(), 4);
        let np = &p.requirements[0];
        assert_eq!(np.name.as_ref(), "numpy");
        assert_eq!(np.role, Role::Locked);
        assert!(np.hashed);
        let VersionReq::Exact { version, span } = &np.version else {
            panic!()
        };
        assert_eq!(version.to_string(), "1.17.0");
        assert_eq!(slice(LOCK, span.get()), "1.17.0");
        assert_eq!(slice(LOCK, np.name_span()), "numpy");
        let tf = &p.requirements[1];
        assert!(!tf.hashed);
        assert_eq!(tf.extras().len(), 1);
        assert!(tf
            .marker()
            .try_to_string()
            .unwrap()
            .contains("python_full_version < '3.8'"));
        assert!(matches!(p.requirements[2].version, VersionReq::Unversioned));
        assert_eq!(p.groups[0].name, "default");
        assert_eq!(p.groups[0].members, vec![0, 1, 2]);
        assert_eq!(p.groups[1].name, "default+develop");
        assert_eq!(p.groups[1].members, vec![0, 1, 2, 3]);
        assert!(p.hashed);
        let (rp, loc) = p.requires_python.unwrap();
        assert_eq!(rp.to_string(), "==3.7.*");
        assert_eq!(slice(LOCK, loc.span), "\"3.7\"");
    }

    #[test]
    fn wrong_types_are_problems_at_the_value() {
        let t = r#"{"default": {"numpy": {"version": 1.17}, "six": "==1.0", "a": {"version": "==x.y"}},
                   "develop": []}"#;
        let p = parse_text(t, 0);
        assert!(p.requirements.is_empty());
        let spans: Vec<&str> = p.problems.iter().map(|x| slice(t, x.loc.span)).collect();
        assert_eq!(spans, ["1.17", "\"==1.0\"", "x.y", "[]"]);
        assert!(p.problems.iter().all(|x| x.kind == ProblemKind::Parse));
    }

    #[test]
    fn malformed_json_is_one_problem_with_position() {
        let t = "{\"default\": {\"numpy\": {\"version\": \"==1.16.4\"},}}";
        let p = parse_text(t, 0);
        assert_eq!(p.problems.len(), 1);
        assert_eq!(p.problems[0].loc.span.start, t.find(",}").unwrap() + 1);
        let p = parse_text(&"{\"a\":".repeat(100_000), 0);
        assert_eq!(p.problems.len(), 1);
    }

    #[test]
    fn escaped_version_string_underlines_the_whole_value() {
        let t = r#"{"default": {"numpy": {"version": "==1.16\u002e4"}}}"#;
        let p = parse_text(t, 0);
        let VersionReq::Exact { version, span } = &p.requirements[0].version else {
            panic!()
        };
        assert_eq!(version.to_string(), "1.16.4");
        assert_eq!(slice(t, span.get()), r#""==1.16\u002e4""#);
    }
}
