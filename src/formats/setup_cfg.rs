//! `setup.cfg` (setuptools declarative config): `[options] install_requires`,
//! `[options] python_requires` and `[options.extras_require]`.
//!
//! The INI reader follows Python's `configparser` defaults, which setuptools uses:
//! - `key = value` or `key: value`, split at the first `=` or `:`; keys are lower-cased
//!   (setuptools also accepts `install-requires`, with a deprecation warning);
//! - a line indented deeper than its key continues the value;
//! - lines whose first non-blank character is `#` or `;` are comments, even inside a value;
//! - no inline comments at the INI level (`inline_comment_prefixes=None`).
//!
//! setuptools then splits a requirement list (`_parse_list_semicolon`): a value with line
//! breaks is one entry per line, a one-line value is split at `;` (so a marker written on one
//! line breaks, exactly as it does in setuptools). Entries starting with `#` are dropped,
//! and when the strings are parsed as requirements, `jaraco.text.drop_comment` cuts each
//! at ` #` (space, hash): we do the same.
//!
//! Units: `install_requires`, and `extra:<name>` = install_requires + that extra.




use super::pep508::requirement_at;
use super::setuptools::{self, Extras};
use super::{keep, problem};
use crate::files::Files;
use crate::manifest::{FileId, Parsed, ProblemKind, Role};
use crate::source::Span;

/// One `key = value` entry: the key and the spans of its value lines (first line first,
/// trimmed; an empty first line is kept as an empty span).
#[derive(Debug)]
struct Entry {
    section: String,
    key: String,
    key_span: Span,
    lines: Vec<Span>,
}

pub(crate) fn parse(files: &mut Files, id: FileId) -> Parsed {
    // Only a `file:` value reads other files (through `files`, mutably) while this text is
    // read: the text is copied for that case only (an 8 MiB setup.cfg is not held twice).
    if files.get(id).text.contains("file:") {
        let text = files.get(id).text.clone();
        read(Some(files), &text, id)
    } else {
        let files: &Files = files;
        read(None, &files.get(id).text, id)
    }
}

/// [`parse`] on the file's `text`; `files` is `None` when the text holds no `file:`.
fn read(mut files: Option<&mut Files>, text: &str, id: FileId) -> Parsed {
    let mut out = Parsed::default();
    let entries = read_ini(text, id, &mut out);
    let mut base = Vec::new();
    let mut extras = Extras::default();
    let mut project: Option<String> = None;
    for e in &entries {
        let key = e.key.replace('-', "_");
        match (e.section.as_str(), key.as_str()) {
            ("options", "install_requires") => {
                let members = requirement_list(files.as_deref_mut(), text, id, e, &mut out);
                base.extend(members);
            }
            ("options", "python_requires") => {
                let span = value_span(e);
                setuptools::python_requires(&mut out, id, &text[span.start..span.end], span);
            }
            ("metadata", "name") => {
                let span = value_span(e);
                project = Some(text[span.start..span.end].trim().to_owned());
            }
            ("options.extras_require", _) => {
                let k = setuptools::extra_key(&e.key);
                let marker = match k.marker.map(super::guard::parse_marker) {
                    None => None,
                    Some(Ok(m)) => Some(m),
                    Some(Err(err)) => {
                        out.problems.push(problem(
                            ProblemKind::Parse,
                            id,
                            e.key_span,
                            format!("invalid marker in extra key: {}", err.message),
                        ));
                        continue;
                    }
                };
                let name = match k.name {
                    None => None,
                    Some(Ok(n)) => Some(n),
                    Some(Err(err)) => {
                        out.problems.push(problem(
                            ProblemKind::Parse,
                            id,
                            e.key_span,
                            format!("invalid extra name: {err}"),
                        ));
                        continue;
                    }
                };
                let members = requirement_list(files.as_deref_mut(), text, id, e, &mut out);
                if let Some(m) = &marker {
                    for &i in &members {
                        out.requirements[i].and_marker(m.clone());
                    }
                }
                match name {
                    Some(n) => extras.add(n, members),
                    None => base.extend(members),
                }
            }
            _ => {}
        }
    }
    extras.into_groups(&mut out, base, project.as_deref());
    out
}

/// The span of the whole value (all lines).
fn value_span(e: &Entry) -> Span {
    let nonempty: Vec<&Span> = e.lines.iter().filter(|s| !s.is_empty()).collect();
    match (nonempty.first(), nonempty.last()) {
        (Some(a), Some(b)) => a.cover(**b),
        _ => e.lines.first().copied().unwrap_or(e.key_span),
    }
}

/// setuptools' `_parse_requirements_list`: entries by line, or by `;` for a one-line value.
fn requirement_list(
    mut files: Option<&mut Files>,
    text: &str,
    id: FileId,
    e: &Entry,
    out: &mut Parsed,
) -> Vec<usize> {
    let mut members = Vec::new();
    // The entry's lines as they are (a million-line value is not copied), or its one line
    // split at `;`.
    let mut split: Vec<Span> = Vec::new();
    let mut items: &[Span] = &split;
    if e.lines.len() > 1 {
        items = &e.lines;
    } else if let Some(&line) = e.lines.first() {
        let value = &text[line.start..line.end];
        if let Some(path) = value.strip_prefix("file:") {
            // setuptools >= 62.6: `file:` reads requirements from files (comma-separated).
            let mut off = line.start + 5;
            for part in path.split(',') {
                let t = part.trim();
                let s = off + (part.len() - part.trim_start().len());
                if let (false, Some(files)) = (t.is_empty(), files.as_deref_mut()) {
                    let span = Span::new(s, s + t.len());
                    members.extend(super::include::requirements_file(files, id, t, span, out));
                }
                off += part.len() + 1;
            }
            return members;
        }
        let mut off = line.start;
        for part in value.split(';') {
            split.push(Span::new(off, off + part.len()));
            off += part.len() + 1;
        }
        items = &split;
    }
    for &item in items {
        let Some(span) = entry_span(text, item) else {
            continue;
        };
        let read = requirement_at(text, span, id, Role::Require, super::Format::SetupCfg);
        keep(out, &mut members, read, &text[span.start..span.end]);
    }
    members
}

/// Trim an entry, drop it if it is a comment, and cut a ` #` comment.
fn entry_span(text: &str, item: Span) -> Option<Span> {
    let (lead, t) = setuptools::entry(&text[item.start..item.end])?;
    let s = item.start + lead;
    Some(Span::new(s, s + t.len()))
}

/// Read INI entries with spans (configparser semantics, see the module docs).
fn read_ini(text: &str, id: FileId, out: &mut Parsed) -> Vec<Entry> {
    let mut entries: Vec<Entry> = Vec::new();
    let mut section: Option<String> = None;
    // Indent of the current key line, while a value is open.
    let mut open: Option<usize> = None;
    let mut pos = 0;
    for raw_line in text.split_inclusive('\n') {
        let start = pos;
        pos += raw_line.len();
        let line = raw_line.trim_end_matches(['\n', '\r']);
        let trimmed = line.trim();
        let indent = line.len() - line.trim_start().len();
        let content = Span::new(start + indent, start + indent + trimmed.len());
        if trimmed.starts_with('#') || trimmed.starts_with(';') {
            continue;
        }
        if trimmed.is_empty() {
            // configparser keeps empty lines inside a value (empty_lines_in_values=True);
            // setuptools drops empty entries later, so skipping them is equivalent.
            continue;
        }
        if let (Some(key_indent), Some(e)) = (open, entries.last_mut()) {
            if indent > key_indent {
                e.lines.push(content);
                continue;
            }
        }
        open = None;
        if trimmed.starts_with('[') {
            match trimmed.rfind(']') {
                Some(close) => section = Some(trimmed[1..close].to_owned()),
                None => out.problems.push(problem(
                    ProblemKind::Parse,
                    id,
                    content,
                    "section header without `]`".into(),
                )),
            }
            continue;
        }
        let Some(d) = trimmed.find(['=', ':']) else {
            out.problems.push(problem(
                ProblemKind::Parse,
                id,
                content,
                "expected `key = value` (configparser rejects this line)".into(),
            ));
            continue;
        };
        let Some(sec) = &section else {
            out.problems.push(problem(
                ProblemKind::Parse,
                id,
                content,
                "`key = value` before any `[section]` header".into(),
            ));
            continue;
        };
        let key_raw = &trimmed[..d];
        let key = key_raw.trim_end();
        let value_raw = &trimmed[d + 1..];
        let vlead = value_raw.len() - value_raw.trim_start().len();
        let value = value_raw.trim();
        let vstart = content.start + d + 1 + vlead;
        entries.push(Entry {
            section: sec.clone(),
            key: key.to_lowercase(),
            key_span: Span::new(content.start, content.start + key.len()),
            lines: vec![Span::new(vstart, vstart + value.len())],
        });
        open = Some(indent);
    }
    // configparser: the first line's empty value is part of a multi-line value; drop it
    // only when continuation lines follow (an empty one-line value stays "empty").
    for e in &mut entries {
        if e.lines.len() > 1 && e.lines[0].is_empty() {
            e.lines.remove(0);
            if e.lines.len() == 1 {
                // "\nnumpy" still contains a line break: keep it a by-line list.
                let only = e.lines[0];
                e.lines.push(Span::new(only.end, only.end));
            }
        }
    }
    entries
}

/// `setup.cfg`: setuptools' declarative configuration.
pub(crate) struct SetupCfg;

impl super::InputFormat for SetupCfg {
    fn name(&self) -> &'static str {
        "setup-cfg"
    }
    fn example_file_name(&self) -> &'static str {
        "setup.cfg"
    }
    fn detect(&self, name: &super::FileName<'_>) -> bool {
        name.lower == "setup.cfg"
    }
    fn parse(&self, files: &mut Files, id: FileId) -> Parsed {
        let mut parsed = parse(files, id);
        super::edit::capture_line_inserts(files, &mut parsed);
        parsed
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::manifest::VersionReq;
    use std::path::Path;

    fn run(text: &str) -> (Parsed, String) {
        let mut files = Files::new(std::env::temp_dir());
        let id = files.add(Path::new("/nonexistent-dw/setup.cfg"), text.as_bytes());
        let p = parse(&mut files, id);
        (p, files.get(id).text.clone())
    }

    fn slice(t: &str, s: Span) -> &str {
        &t[s.start..s.end]
    }

    const CFG: &str = "[metadata]\nname = demo\n\n[options]\npython_requires = >=3.5, <3.8\n\
        install_requires =\n    tensorflow==1.14.0  # the model\n    # a comment line\n\
        ; another\n    numpy >=1.16,<1.18 ; python_version < \"3.8\"\n\n\
        [options.extras_require]\ngpu =\n    tensorflow-gpu==1.14.0\nTest = pytest; mock>=2\n";

    #[test]
    fn reads_install_requires_and_extras() {
        for text in [CFG.to_string(), CFG.replace('\n', "\r\n")] {
            let (p, t) = run(&text);
            assert!(p.problems.is_empty(), "{:?}", p.problems);
            let names: Vec<&str> = p.requirements.iter().map(|r| r.name.as_ref()).collect();
            assert_eq!(
                names,
                ["tensorflow", "numpy", "tensorflow-gpu", "pytest", "mock"]
            );
            assert_eq!(slice(&t, p.requirements[0].loc().span), "tensorflow==1.14.0");
            let np = &p.requirements[1];
            let VersionReq::Specifiers {
                span,
                clauses,
                specifiers,
            } = &np.version
            else {
                panic!()
            };
            assert_eq!(slice(&t, span.get()), ">=1.16,<1.18");
            assert_eq!(specifiers.to_string(), ">=1.16, <1.18");
            assert_eq!(clauses.len(), 2);
            assert!(!np.marker().is_true());
            let (rp, loc) = p.requires_python.as_ref().unwrap();
            assert_eq!(slice(&t, loc.span), ">=3.5, <3.8");
            assert_eq!(rp.len(), 2);
            let g: Vec<(&str, Vec<usize>)> = (0..p.groups.len())
                .map(|i| (p.groups[i].name.as_str(), p.members(i)))
                .collect();
            assert_eq!(
                g,
                [
                    ("install_requires", vec![0, 1]),
                    ("extra:gpu", vec![0, 1, 2]),
                    ("extra:test", vec![0, 1, 3, 4])
                ]
            );
            assert_eq!(p.groups[1].extras[0].as_ref(), "gpu");
        }
    }

    #[test]
    fn one_line_marker_is_split_like_setuptools() {
        let t = "[options]\ninstall_requires = numpy>=1.16; python_version<'3.8'\n";
        let (p, text) = run(t);
        // The reader leaves a stand-in for the entry that does not parse (`formats::parse`
        // takes it out): `python_version<'3.8'` reads as a line on `python-version`.
        let stand_ins: Vec<&str> = p
            .requirements
            .iter()
            .filter(|r| r.role == crate::manifest::Role::Unparsed)
            .map(|r| r.name.as_ref())
            .collect();
        assert_eq!(stand_ins, ["python-version"]);
        assert_eq!(p.requirements.len(), 2);
        assert_eq!(p.problems.len(), 1);
        // The error lies in the second `;`-separated entry, not in `numpy>=1.16`.
        assert!(p.problems[0].loc.span.start >= text.find("python_version").unwrap());
        assert_eq!(slice(&text, p.requirements[0].loc().span), "numpy>=1.16");
    }

    #[test]
    fn malformed_lines_are_problems() {
        let t = "install_requires = numpy\n[options\n[options]\nnot a key line\n\
            install_requires =\n  numpy>=>1\n";
        let (p, text) = run(t);
        let spans: Vec<&str> = p
            .problems
            .iter()
            .map(|x| slice(&text, x.loc.span))
            .collect();
        assert_eq!(spans.len(), 4, "{spans:?}");
        assert_eq!(spans[0], "install_requires = numpy");
        assert_eq!(spans[1], "[options");
        assert_eq!(spans[2], "not a key line");
        assert!("numpy>=>1".contains(spans[3]));
    }

    #[test]
    fn missing_file_include_is_an_include_problem() {
        let (p, text) = run("[options]\ninstall_requires = file: reqs.txt\n");
        assert_eq!(p.problems.len(), 1);
        assert_eq!(p.problems[0].kind, ProblemKind::Include);
        assert_eq!(slice(&text, p.problems[0].loc.span), "reqs.txt");
    }
}
