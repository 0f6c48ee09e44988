//! `setup.py`, read statically and never executed.
//!
//! A small Python tokenizer (names, string literals with their prefixes and escapes,
//! comments, brackets) finds each `setup(...)` call (`setup(`, `setuptools.setup(`,
//! `distutils.core.setup(`; not `def setup(`) and reads its `install_requires=`,
//! `extras_require=` and `python_requires=` keyword arguments when they are literals:
//! a list or tuple of string literals, a single string, and a dict literal of those.
//! Anything computed (a name, a call, a comprehension, `+`, a conditional, `**kwargs`)
//! becomes an `Unevaluable` problem at the argument: executing the file is what pip does,
//! and what depwindow refuses to do.
//!
//! Spans: a literal whose source text equals its value (no escapes, one piece) maps one
//! to one, so the name and specifier are located inside it. An escaped literal or an
//! implicit concatenation (`"numpy" ">=1.16"`) is underlined as a whole.
//!
//! Units: `install_requires`, and `extra:<name>` = install_requires + that extra.
//! `extras_require` keys of the form `"name:marker"` (setuptools' legacy syntax) add the
//! marker to each requirement of the extra.


use pep508_rs::MarkerTree;

use super::pep508::{requirement_at, requirement_in_literal};
use super::setuptools::{self, Extras};
use super::{keep, problem};
use crate::files::Files;
use crate::manifest::{FileId, Parsed, Problem, ProblemKind, Role};
use crate::source::Span;

#[derive(Clone, Debug, PartialEq)]
enum Kind {
    Name,
    Str(StrTok),
    /// Punctuation: brackets, `,`, `:`, `=`, `**`, `.`, or any other operator.
    Op(&'static str),
    /// Numbers and anything else.
    Other,
}

#[derive(Clone, Debug, PartialEq)]
struct StrTok {
    /// The decoded value, or None when it cannot be known statically (f-string with
    /// replacement fields, bytes, `\N{...}`).
    value: Option<String>,
    /// The span of the text between the quotes.
    inner: Span,
    /// The text between the quotes equals the value.
    verbatim: bool,
}

#[derive(Clone, Debug)]
struct Tok {
    kind: Kind,
    span: Span,
}

pub fn parse(files: &Files, id: FileId) -> Parsed {
    parse_text(&files.get(id).text, id)
}

pub fn parse_text(text: &str, file: FileId) -> Parsed {
    let mut out = Parsed::default();
    let toks = match tokenize(text) {
        Ok(t) => t,
        Err(span) => {
            out.problems.push(problem(
                ProblemKind::Parse,
                file,
                span,
                "unterminated string literal".into(),
            ));
            // Read what precedes the broken literal.
            tokenize(&text[..span.start]).unwrap_or_default()
        }
    };
    let mut base = Vec::new();
    let mut extras = Extras::default();
    let mut project: Option<String> = None;
    let mut found = false;
    let mut i = 0;
    while i + 1 < toks.len() {
        let is_call = toks[i].kind == Kind::Name
            && &text[toks[i].span.start..toks[i].span.end] == "setup"
            && toks[i + 1].kind == Kind::Op("(")
            && !(i > 0
                && toks[i - 1].kind == Kind::Name
                && &text[toks[i - 1].span.start..toks[i - 1].span.end] == "def");
        if !is_call {
            i += 1;
            continue;
        }
        found = true;
        let Some(close) = matching(&toks, i + 1) else {
            out.problems.push(problem(
                ProblemKind::Parse,
                file,
                toks[i].span,
                "`setup(` is never closed".into(),
            ));
            break;
        };
        for arg in split_commas(&toks, i + 2, close) {
            read_argument(
                text,
                &toks[arg.0..arg.1],
                file,
                &mut out,
                &mut base,
                &mut extras,
                &mut project,
            );
        }
        i = close + 1;
    }
    if !found {
        out.problems.push(problem(
            ProblemKind::Note,
            file,
            Span::new(0, 0),
            "no `setup(...)` call found; nothing to read".into(),
        ));
    }
    extras.into_groups(&mut out, base, project.as_deref());
    out
}

fn read_argument(
    text: &str,
    arg: &[Tok],
    file: FileId,
    out: &mut Parsed,
    base: &mut Vec<usize>,
    extras: &mut Extras,
    project: &mut Option<String>,
) {
    let Some(first) = arg.first() else { return };
    if first.kind == Kind::Op("**") {
        let span = cover(arg);
        out.problems.push(problem(
            ProblemKind::Unevaluable,
            file,
            span,
            "setup() receives keyword arguments unpacked at run time; depwindow reads only literal arguments".into(),
        ));
        return;
    }
    let (Some(eq), true) = (arg.get(1), first.kind == Kind::Name) else {
        return;
    };
    if eq.kind != Kind::Op("=") {
        return;
    }
    let key = &text[first.span.start..first.span.end];
    let value = &arg[2..];
    if value.is_empty() {
        return;
    }
    match key {
        "install_requires" => {
            if let Some(list) = string_list(value) {
                base.extend(requirements(text, &list, file, out, None));
            } else {
                out.problems.push(computed(file, cover(value), key));
            }
        }
        "python_requires" => match single_string(value) {
            Some((s, span)) => setuptools::python_requires(out, file, s.trim(), span),
            None => out.problems.push(computed(file, cover(value), key)),
        },
        "extras_require" => read_extras(text, value, file, out, base, extras),
        "name" => {
            if let Some((s, _)) = single_string(value) {
                *project = Some(s.trim().to_owned());
            }
        }
        _ => {}
    }
}

fn read_extras(
    text: &str,
    value: &[Tok],
    file: FileId,
    out: &mut Parsed,
    base: &mut Vec<usize>,
    extras: &mut Extras,
) {
    let n = value.len();
    let is_dict = n >= 2
        && value[0].kind == Kind::Op("{")
        && value[n - 1].kind == Kind::Op("}")
        && matching(value, 0) == Some(n - 1);
    if !is_dict {
        out.problems
            .push(computed(file, cover(value), "extras_require"));
        return;
    }
    for (s, e) in split_commas(value, 1, n - 1) {
        let item = &value[s..e];
        let colon = item.iter().position(|t| t.kind == Kind::Op(":"));
        let (Some(c), true) = (colon, !item.is_empty()) else {
            out.problems
                .push(computed(file, cover(item), "an extras_require entry"));
            continue;
        };
        let (key_toks, val_toks) = (&item[..c], &item[c + 1..]);
        let Some((key, key_span)) = single_string(key_toks) else {
            out.problems
                .push(computed(file, cover(item), "an extras_require key"));
            continue;
        };
        // setuptools: `"name:marker"` keys carry a marker for the whole extra; an empty
        // name makes them base dependencies under it.
        let k = setuptools::extra_key(&key);
        let name_text = key.split(':').next().unwrap_or("").trim();
        let name = match k.name {
            None => None,
            Some(Ok(n)) => Some(n),
            Some(Err(e)) => {
                out.problems.push(problem(
                    ProblemKind::Parse,
                    file,
                    key_span,
                    format!("invalid extra name: {e}"),
                ));
                continue;
            }
        };
        let marker = match k.marker.map(super::guard::parse_marker) {
            None => None,
            Some(Ok(m)) => Some(m),
            Some(Err(e)) => {
                out.problems.push(problem(
                    ProblemKind::Parse,
                    file,
                    key_span,
                    format!("invalid marker in extra key: {}", e.message),
                ));
                continue;
            }
        };
        let Some(list) = string_list(val_toks) else {
            out.problems.push(computed(
                file,
                cover(val_toks),
                &format!("extras_require[{name_text:?}]"),
            ));
            continue;
        };
        let members = requirements(text, &list, file, out, marker);
        match name {
            Some(n) => extras.add(n, members),
            None => base.extend(members),
        }
    }
}

/// One list element: the string pieces that make it up.
type Element<'a> = Vec<&'a Tok>;

/// A list/tuple of string literals, or a single string (split into lines by setuptools).
fn string_list(value: &[Tok]) -> Option<Vec<Element<'_>>> {
    let n = value.len();
    if n == 0 {
        return None;
    }
    if value.iter().all(|t| matches!(t.kind, Kind::Str(_))) {
        return Some(vec![value.iter().collect()]);
    }
    let open = &value[0].kind;
    let close = &value[n - 1].kind;
    let bracketed = n >= 2
        && ((*open == Kind::Op("[") && *close == Kind::Op("]"))
            || (*open == Kind::Op("(") && *close == Kind::Op(")")))
        && matching(value, 0) == Some(n - 1);
    if !bracketed {
        return None;
    }
    let mut out = Vec::new();
    for (s, e) in split_commas(value, 1, n - 1) {
        let item = &value[s..e];
        if item.is_empty()
            || !item
                .iter()
                .all(|t| matches!(&t.kind, Kind::Str(st) if st.value.is_some()))
        {
            return None;
        }
        out.push(item.iter().collect());
    }
    Some(out)
}

fn single_string(toks: &[Tok]) -> Option<(String, Span)> {
    if toks.is_empty() {
        return None;
    }
    let mut s = String::new();
    for t in toks {
        match &t.kind {
            Kind::Str(StrTok { value: Some(v), .. }) => s.push_str(v),
            _ => return None,
        }
    }
    let span = match (toks.len(), &toks[0].kind) {
        (1, Kind::Str(st)) if st.verbatim => st.inner,
        _ => cover(toks),
    };
    Some((s, span))
}

/// Turn literal elements into requirements; returns their indices.
fn requirements(
    text: &str,
    list: &[Element<'_>],
    file: FileId,
    out: &mut Parsed,
    marker: Option<MarkerTree>,
) -> Vec<usize> {
    let mut members = Vec::new();
    for element in list {
        let mut pieces = Vec::new();
        for t in element {
            if let Kind::Str(st) = &t.kind {
                pieces.push(st);
            }
        }
        let value: String = pieces.iter().filter_map(|p| p.value.as_deref()).collect();
        // setuptools runs each string through `yield_lines` and `drop_comment`: a string
        // may hold several requirements, one per line, with ` #` comments.
        let one_to_one = pieces.len() == 1 && pieces[0].verbatim;
        let mut offset = 0;
        for line in value.split_inclusive('\n') {
            let here = offset;
            offset += line.len();
            let body = line.trim_end_matches(['\n', '\r']);
            let Some((lead, t)) = setuptools::entry(body) else {
                continue;
            };
            let result = if one_to_one {
                let s = pieces[0].inner.start + here + lead;
                requirement_at(
                    text,
                    Span::new(s, s + t.len()),
                    file,
                    Role::Require,
                    super::Format::SetupPy,
                )
            } else {
                let whole = cover_refs(element);
                requirement_in_literal(t, whole, file, Role::Require, super::Format::SetupPy)
            };
            let read = result.map(|mut r| {
                if let Some(m) = &marker {
                    r.marker.and(m.clone());
                }
                r
            });
            keep(out, &mut members, read);
        }
    }
    members
}

fn computed(file: FileId, span: Span, what: &str) -> Problem {
    problem(
        ProblemKind::Unevaluable,
        file,
        span,
        format!("{what} is computed; depwindow reads only literal lists"),
    )
}

fn cover(toks: &[Tok]) -> Span {
    match (toks.first(), toks.last()) {
        (Some(a), Some(b)) => a.span.cover(b.span),
        _ => Span::default(),
    }
}

fn cover_refs(toks: &[&Tok]) -> Span {
    match (toks.first(), toks.last()) {
        (Some(a), Some(b)) => a.span.cover(b.span),
        _ => Span::default(),
    }
}

fn is_open(k: &Kind) -> bool {
    matches!(k, Kind::Op("(" | "[" | "{"))
}
fn is_close(k: &Kind) -> bool {
    matches!(k, Kind::Op(")" | "]" | "}"))
}

/// Index of the bracket closing the one at `open` (a depth counter, no recursion).
fn matching(toks: &[Tok], open: usize) -> Option<usize> {
    let mut depth = 0usize;
    for (k, t) in toks.iter().enumerate().skip(open) {
        if is_open(&t.kind) {
            depth += 1;
        } else if is_close(&t.kind) {
            depth = depth.checked_sub(1)?;
            if depth == 0 {
                return Some(k);
            }
        }
    }
    None
}

/// Split `toks[start..end]` at top-level commas; drops a trailing empty element.
fn split_commas(toks: &[Tok], start: usize, end: usize) -> Vec<(usize, usize)> {
    let mut parts = Vec::new();
    let mut depth = 0usize;
    let mut s = start;
    let end = end.min(toks.len());
    for (k, tok) in toks.iter().enumerate().take(end).skip(start) {
        let kind = &tok.kind;
        if is_open(kind) {
            depth += 1;
        } else if is_close(kind) {
            depth = depth.saturating_sub(1);
        } else if depth == 0 && *kind == Kind::Op(",") {
            parts.push((s, k));
            s = k + 1;
        }
    }
    if s < end {
        parts.push((s, end));
    }
    parts
}

/// Tokenize Python source. Err(span) on an unterminated string literal.
fn tokenize(text: &str) -> Result<Vec<Tok>, Span> {
    let b = text.as_bytes();
    let mut toks = Vec::new();
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        match c {
            b' ' | b'\t' | b'\n' | b'\r' | b'\x0c' | b'\\' => i += 1,
            b'#' => {
                while i < b.len() && b[i] != b'\n' && b[i] != b'\r' {
                    i += 1;
                }
            }
            b'\'' | b'"' => {
                let (tok, end) = string(text, i, i)?;
                toks.push(tok);
                i = end;
            }
            _ if c.is_ascii_alphabetic() || c == b'_' || c >= 0x80 => {
                let s = i;
                while i < b.len() && (b[i].is_ascii_alphanumeric() || b[i] == b'_' || b[i] >= 0x80)
                {
                    i += 1;
                }
                let word = &text[s..i];
                let is_prefix = word.len() <= 2
                    && word
                        .chars()
                        .all(|ch| matches!(ch.to_ascii_lowercase(), 'r' | 'u' | 'b' | 'f'));
                if is_prefix && matches!(b.get(i), Some(b'\'' | b'"')) {
                    let (tok, end) = string(text, s, i)?;
                    toks.push(tok);
                    i = end;
                } else {
                    toks.push(Tok {
                        kind: Kind::Name,
                        span: Span::new(s, i),
                    });
                }
            }
            _ if c.is_ascii_digit() => {
                let s = i;
                while i < b.len() && (b[i].is_ascii_alphanumeric() || b[i] == b'.' || b[i] == b'_')
                {
                    i += 1;
                }
                toks.push(Tok {
                    kind: Kind::Other,
                    span: Span::new(s, i),
                });
            }
            _ => {
                let two = b.get(i..i + 2);
                let (op, len): (&'static str, usize) = match (c, two) {
                    (_, Some(b"**")) => ("**", 2),
                    (_, Some(b"==")) => ("==", 2),
                    (b'(', _) => ("(", 1),
                    (b')', _) => (")", 1),
                    (b'[', _) => ("[", 1),
                    (b']', _) => ("]", 1),
                    (b'{', _) => ("{", 1),
                    (b'}', _) => ("}", 1),
                    (b',', _) => (",", 1),
                    (b':', _) => (":", 1),
                    (b'=', _) => ("=", 1),
                    (b'.', _) => (".", 1),
                    _ => ("?", 1),
                };
                toks.push(Tok {
                    kind: Kind::Op(op),
                    span: Span::new(i, i + len),
                });
                i += len;
            }
        }
    }
    Ok(toks)
}

/// Lex a string literal whose prefix starts at `start` and whose quote is at `q`.
fn string(text: &str, start: usize, q: usize) -> Result<(Tok, usize), Span> {
    let b = text.as_bytes();
    let prefix = text[start..q].to_ascii_lowercase();
    let raw = prefix.contains('r');
    let bytes = prefix.contains('b');
    let fstr = prefix.contains('f');
    let quote = b[q];
    let triple = b.get(q..q + 3) == Some(&[quote, quote, quote][..]);
    let ql = if triple { 3 } else { 1 };
    let body_start = q + ql;
    let mut i = body_start;
    let mut value = String::new();
    let mut known = !bytes;
    loop {
        let Some(&c) = b.get(i) else {
            return Err(Span::new(start, text.len()));
        };
        if c == quote && (!triple || b.get(i..i + 3) == Some(&[quote, quote, quote][..])) {
            break;
        }
        if !triple && (c == b'\n' || c == b'\r') {
            return Err(Span::new(start, i));
        }
        if c == b'\\' {
            let Some(&n) = b.get(i + 1) else {
                return Err(Span::new(start, text.len()));
            };
            if raw {
                // Raw strings keep the backslash; it still stops the quote from closing.
                value.push('\\');
                let ch_len = utf8_len(n);
                value.push_str(text.get(i + 1..i + 1 + ch_len).unwrap_or(""));
                i += 1 + ch_len;
                continue;
            }
            i += 2;
            match n {
                b'\n' => {}
                b'\r' => {
                    if b.get(i) == Some(&b'\n') {
                        i += 1;
                    }
                }
                b'\\' => value.push('\\'),
                b'\'' => value.push('\''),
                b'"' => value.push('"'),
                b'a' => value.push('\u{7}'),
                b'b' => value.push('\u{8}'),
                b'f' => value.push('\u{c}'),
                b'n' => value.push('\n'),
                b'r' => value.push('\r'),
                b't' => value.push('\t'),
                b'v' => value.push('\u{b}'),
                b'0'..=b'7' => {
                    let mut v = u32::from(n - b'0');
                    let mut k = 0;
                    while k < 2 && matches!(b.get(i), Some(b'0'..=b'7')) {
                        v = v * 8 + u32::from(b[i] - b'0');
                        i += 1;
                        k += 1;
                    }
                    value.push(char::from_u32(v).unwrap_or(char::REPLACEMENT_CHARACTER));
                }
                b'x' | b'u' | b'U' => {
                    let len = match n {
                        b'x' => 2,
                        b'u' => 4,
                        _ => 8,
                    };
                    let hex = text
                        .get(i..i + len)
                        .and_then(|h| u32::from_str_radix(h, 16).ok());
                    match hex.and_then(char::from_u32) {
                        Some(ch) => {
                            value.push(ch);
                            i += len;
                        }
                        None => known = false,
                    }
                }
                // `\N{name}` needs the Unicode name database.
                b'N' => known = false,
                _ => {
                    value.push('\\');
                    let ch_len = utf8_len(n);
                    value.push_str(text.get(i - 1..i - 1 + ch_len).unwrap_or(""));
                    i += ch_len - 1;
                }
            }
            continue;
        }
        let ch_len = utf8_len(c);
        value.push_str(text.get(i..i + ch_len).unwrap_or(""));
        i += ch_len;
    }
    let inner = Span::new(body_start, i);
    let end = i + ql;
    if fstr && (value.contains('{') || value.contains('}')) {
        known = false;
    }
    let verbatim = known && text.get(inner.start..inner.end) == Some(value.as_str());
    let st = StrTok {
        value: known.then_some(value),
        inner,
        verbatim,
    };
    Ok((
        Tok {
            kind: Kind::Str(st),
            span: Span::new(start, end),
        },
        end,
    ))
}

fn utf8_len(first: u8) -> usize {
    match first {
        0xF0..=0xFF => 4,
        0xE0..=0xEF => 3,
        0xC0..=0xDF => 2,
        _ => 1,
    }
}

/// `setup.py`: the literal parts of a `setup()` call.
pub struct SetupPy;

impl super::InputFormat for SetupPy {
    fn name(&self) -> &'static str {
        "setup-py"
    }
    fn example_file_name(&self) -> &'static str {
        "setup.py"
    }
    fn detect(&self, name: &super::FileName<'_>) -> bool {
        name.lower == "setup.py"
    }
    fn parse(&self, files: &mut Files, id: FileId) -> Parsed {
        let mut parsed = parse(files, id);
        super::edit::capture_inserts(
            files,
            &mut parsed,
            |_| true,
            |f, r| super::edit::array_slot(f, r.loc.span),
        );
        parsed
    }
    /// A new element of the trigger's list, in the list's layout, with its marker.
    fn insert(
        &self,
        file: &crate::source::SourceFile,
        after: &crate::manifest::Requirement,
        name: &str,
        spec: &str,
    ) -> Option<(Span, String)> {
        let value = super::edit::pep508_with_marker(file, after, name, spec);
        super::edit::insert_after(file, after, &value)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::manifest::VersionReq;

    fn slice(t: &str, s: Span) -> &str {
        &t[s.start..s.end]
    }

    #[test]
    fn literal_lists_with_spans_and_extras() {
        let t = "from setuptools import setup\n\ndef setup_x(): pass\n\nsetup(\n    name='demo',\n    \
                 python_requires=\">=3.5\",\n    install_requires=['tensorflow==1.14.0', \"numpy>=1.16\", # c\n        \
                 r'six', 'a' 'b>1',],\n    extras_require={\n        'gpu': ['tensorflow-gpu==1.14.0'],\n        \
                 \"test:python_version<'3.8'\": ('pytest',),\n    },\n)\n";
        let p = parse_text(t, 0);
        assert!(p.problems.is_empty(), "{:?}", p.problems);
        let names: Vec<&str> = p.requirements.iter().map(|r| r.name.as_ref()).collect();
        assert_eq!(
            names,
            [
                "tensorflow",
                "numpy",
                "six",
                "ab",
                "tensorflow-gpu",
                "pytest"
            ]
        );
        assert_eq!(slice(t, p.requirements[0].loc.span), "tensorflow==1.14.0");
        let VersionReq::Specifiers { span, .. } = &p.requirements[1].version else {
            panic!()
        };
        assert_eq!(slice(t, *span), ">=1.16");
        // Implicit concatenation: underlined whole.
        assert_eq!(slice(t, p.requirements[3].loc.span), "'a' 'b>1'");
        assert!(!p.requirements[5].marker.is_true());
        assert_eq!(
            slice(t, p.requires_python.as_ref().unwrap().1.span),
            ">=3.5"
        );
        let g: Vec<(&str, &[usize])> = p
            .groups
            .iter()
            .map(|g| (g.name.as_str(), g.members.as_slice()))
            .collect();
        assert_eq!(
            g,
            [
                ("install_requires", &[0, 1, 2, 3][..]),
                ("extra:gpu", &[0, 1, 2, 3, 4]),
                ("extra:test", &[0, 1, 2, 3, 5])
            ]
        );
    }

    #[test]
    fn computed_arguments_are_unevaluable_at_the_argument() {
        let t = "import setuptools\nREQ = open('r.txt').read().split()\nsetuptools.setup(install_requires=REQ + ['x'],\n  \
                 extras_require={'a': [r for r in REQ], 'b': ['numpy']}, **extra)\n";
        let p = parse_text(t, 0);
        let got: Vec<(ProblemKind, &str)> = p
            .problems
            .iter()
            .map(|x| (x.kind, slice(t, x.loc.span)))
            .collect();
        assert_eq!(
            got,
            [
                (ProblemKind::Unevaluable, "REQ + ['x']"),
                (ProblemKind::Unevaluable, "[r for r in REQ]"),
                (ProblemKind::Unevaluable, "**extra"),
            ]
        );
        assert_eq!(p.requirements.len(), 1);
        assert_eq!(p.groups[1].name, "extra:b");
    }

    #[test]
    fn escaped_literal_is_underlined_whole() {
        let t = "setup(install_requires=['numpy\\x3e=1.16'])";
        let p = parse_text(t, 0);
        assert_eq!(p.requirements.len(), 1);
        assert_eq!(slice(t, p.requirements[0].loc.span), "'numpy\\x3e=1.16'");
        let VersionReq::Specifiers { specifiers, .. } = &p.requirements[0].version else {
            panic!()
        };
        assert_eq!(specifiers.to_string(), ">=1.16");
    }

    #[test]
    fn broken_inputs_are_problems() {
        let p = parse_text("setup(install_requires=['numpy>=1.16", 0);
        assert!(p.problems.iter().any(|x| x.kind == ProblemKind::Parse));
        let p = parse_text("setup(install_requires=['numpy>=1.16']", 0);
        assert_eq!(p.problems[0].message, "`setup(` is never closed");
        let p = parse_text("print('hi')", 0);
        assert_eq!(p.problems[0].kind, ProblemKind::Note);
        let p = parse_text("setup(install_requires=[f'numpy>={V}'])", 0);
        assert_eq!(p.problems[0].kind, ProblemKind::Unevaluable);
        let t = "setup(install_requires=['numpy>=>1'])";
        let p = parse_text(t, 0);
        assert_eq!(p.problems[0].kind, ProblemKind::Parse);
        assert!(p.problems[0].loc.span.start >= t.find("numpy").unwrap());
    }
}
