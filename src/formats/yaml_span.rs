//! A minimal block-YAML reader with byte spans, enough for conda environment files.
//!
//! Why not a YAML crate: conda files use a tiny subset (a top-level mapping, block
//! sequences of scalars, a `- pip:` sub-list, sometimes a one-line `[a, b]`), the spans
//! must be exact, and a full YAML parser brings anchors/aliases (the "billion laughs"
//! expansion), tags and recursive descent we would have to fence in. This reader never
//! expands anything: anchors, aliases, tags, block scalars (`|`, `>`), flow mappings and
//! multi-line scalars are reported as errors at their span and skipped. Nesting is bounded
//! by [`MAX_DEPTH`]; the work is linear in the number of lines.
//!
//! Read: `key: value` mappings, `- item` sequences (including a sequence at the same
//! indentation as its key, and compact `- key: value` items), plain, single- and
//! double-quoted one-line scalars, one-line flow sequences of scalars, `#` comments,
//! a leading `---`.

use crate::source::Span;

pub const MAX_DEPTH: usize = 64;

#[derive(Clone, Debug, PartialEq)]
pub enum Value {
    Null,
    Scalar(Scalar),
    Seq(Vec<Node>),
    Map(Vec<(Scalar, Node)>),
}

#[derive(Clone, Debug, PartialEq)]
pub struct Scalar {
    pub value: String,
    /// The scalar as written, quotes included.
    pub span: Span,
    /// The text between the quotes (or the plain text).
    pub inner: Span,
    /// `inner` equals `value` byte for byte.
    pub verbatim: bool,
    /// A plain (unquoted) scalar: YAML may resolve it to a number, boolean or null.
    pub plain: bool,
}

impl Scalar {
    /// What a YAML 1.1 loader (PyYAML, which conda uses) makes of this scalar.
    pub fn resolved_kind(&self) -> &'static str {
        if !self.plain {
            return "a string";
        }
        let v = self.value.as_str();
        let lower = v.to_ascii_lowercase();
        if matches!(lower.as_str(), "" | "~" | "null") {
            return "null";
        }
        if matches!(
            lower.as_str(),
            "true" | "false" | "yes" | "no" | "on" | "off" | "y" | "n"
        ) {
            return "a boolean";
        }
        let digits = v.trim_start_matches(['+', '-']);
        let numeric = !digits.is_empty()
            && digits
                .chars()
                .all(|c| c.is_ascii_digit() || matches!(c, '.' | '_' | 'e' | 'E'))
            && digits
                .chars()
                .next()
                .is_some_and(|c| c.is_ascii_digit() || c == '.')
            && digits.chars().filter(|&c| c == '.').count() <= 1;
        if numeric {
            return "a number";
        }
        "a string"
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct Node {
    pub value: Value,
    pub span: Span,
}

impl Node {
    fn null(at: usize) -> Node {
        Node {
            value: Value::Null,
            span: Span::new(at, at),
        }
    }
    pub fn kind(&self) -> &'static str {
        match &self.value {
            Value::Null => "null",
            Value::Scalar(s) => s.resolved_kind(),
            Value::Seq(_) => "a list",
            Value::Map(_) => "a mapping",
        }
    }
    pub fn get(&self, key: &str) -> Option<&Node> {
        match &self.value {
            Value::Map(m) => m.iter().rev().find(|(k, _)| k.value == key).map(|(_, v)| v),
            _ => None,
        }
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct Error {
    pub span: Span,
    pub message: String,
}

#[derive(Clone, Copy, Debug)]
struct Line {
    /// Start of the line in the text.
    sol: usize,
    /// Start of the content (after indentation, or after a `- ` for compact items).
    start: usize,
    /// End of the line content (without line break and trailing blanks).
    end: usize,
    indent: usize,
}

/// Parse a YAML document. Returns the root (Null for an empty document) and every
/// construct that was not read.
pub fn parse(text: &str) -> (Node, Vec<Error>) {
    let mut errors = Vec::new();
    let mut lines = Vec::new();
    let mut pos = 0;
    let mut seen_doc_start = false;
    for raw in text.split_inclusive('\n') {
        let sol = pos;
        pos += raw.len();
        let line = raw
            .trim_end_matches(['\n', '\r'])
            .trim_end_matches([' ', '\t']);
        let body = line.trim_start_matches(' ');
        let indent = line.len() - body.len();
        if body.is_empty() || body.starts_with('#') {
            continue;
        }
        let span = Span::new(sol + indent, sol + line.len());
        if body.starts_with('\t') {
            errors.push(Error {
                span,
                message: "tab used for indentation (YAML forbids it)".into(),
            });
            continue;
        }
        if indent == 0 && body.starts_with('%') {
            continue; // A directive (`%YAML 1.2`).
        }
        if indent == 0 && (body == "---" || body.starts_with("--- ")) {
            if seen_doc_start || !lines.is_empty() {
                errors.push(Error {
                    span,
                    message: "a second YAML document is not read".into(),
                });
                break;
            }
            seen_doc_start = true;
            continue;
        }
        if indent == 0 && (body == "..." || body.starts_with("... ")) {
            break;
        }
        lines.push(Line {
            sol,
            start: sol + indent,
            end: sol + line.len(),
            indent,
        });
    }
    let mut p = Parser {
        text,
        lines,
        idx: 0,
        errors,
    };
    let root = p.block(None, None, 0);
    if p.idx < p.lines.len() {
        let l = p.lines[p.idx];
        p.err(
            Span::new(l.start, l.end),
            "unexpected content (check the indentation)",
        );
    }
    (root, p.errors)
}

struct Parser<'a> {
    text: &'a str,
    lines: Vec<Line>,
    idx: usize,
    errors: Vec<Error>,
}

fn is_seq_item(s: &str) -> bool {
    s == "-" || s.starts_with("- ")
}

impl Parser<'_> {
    fn err(&mut self, span: Span, message: &str) {
        self.errors.push(Error {
            span,
            message: message.to_owned(),
        });
    }

    fn content(&self, l: Line) -> &str {
        self.text.get(l.start..l.end).unwrap_or("")
    }

    /// Skip lines indented deeper than `indent`, reporting the first unless `quiet`.
    fn skip_deeper(&mut self, indent: usize, quiet: bool) {
        let mut first = !quiet;
        while let Some(&l) = self.lines.get(self.idx) {
            if l.indent <= indent {
                break;
            }
            if first {
                self.err(
                    Span::new(l.start, l.end),
                    "unexpected indented content (multi-line scalars are not read)",
                );
                first = false;
            }
            self.idx += 1;
        }
    }

    /// The block node starting at the current line, if it belongs to a parent at
    /// `parent` indentation (`seq_at`: a sequence may sit at this same indentation).
    fn block(&mut self, parent: Option<usize>, seq_at: Option<usize>, depth: usize) -> Node {
        let Some(&l) = self.lines.get(self.idx) else {
            return Node::null(self.text.len());
        };
        let content = self.content(l);
        let belongs = parent.is_none_or(|p| l.indent > p)
            || (Some(l.indent) == seq_at && is_seq_item(content));
        if !belongs {
            return Node::null(l.sol);
        }
        if depth >= MAX_DEPTH {
            self.err(
                Span::new(l.start, l.end),
                "YAML nested too deeply; not read",
            );
            self.idx += 1;
            self.skip_deeper(parent.unwrap_or(0), true);
            if parent.is_none() {
                self.idx = self.lines.len();
            }
            return Node::null(l.start);
        }
        if is_seq_item(content) {
            self.seq(l.indent, depth)
        } else if self.find_key(l).is_some() {
            self.map(l.indent, depth)
        } else {
            self.idx += 1;
            let (node, unsupported) = self.inline(l.start, l.end);
            self.skip_deeper(l.indent, unsupported);
            node
        }
    }

    fn seq(&mut self, indent: usize, depth: usize) -> Node {
        let start = self.lines[self.idx].start;
        let mut items = Vec::new();
        let mut end = start;
        while let Some(&l) = self.lines.get(self.idx) {
            if l.indent != indent || !is_seq_item(self.content(l)) {
                break;
            }
            let bytes = self.text.as_bytes();
            let mut r = l.start + 1;
            while r < l.end && bytes.get(r) == Some(&b' ') {
                r += 1;
            }
            let item = if r >= l.end {
                self.idx += 1;
                self.block(Some(indent), None, depth + 1)
            } else {
                // A compact item (`- pip:`, `- - x`): the rest of the line is a node at
                // the column where it starts.
                self.lines[self.idx] = Line {
                    sol: l.sol,
                    start: r,
                    end: l.end,
                    indent: r - l.sol,
                };
                self.block(Some(indent), None, depth + 1)
            };
            end = end.max(item.span.end).max(l.start + 1);
            items.push(item);
            self.skip_deeper(indent, false);
        }
        Node {
            value: Value::Seq(items),
            span: Span::new(start, end),
        }
    }

    fn map(&mut self, indent: usize, depth: usize) -> Node {
        let start = self.lines[self.idx].start;
        let mut entries = Vec::new();
        let mut end = start;
        while let Some(&l) = self.lines.get(self.idx) {
            if l.indent != indent || is_seq_item(self.content(l)) {
                break;
            }
            let Some((key, vstart)) = self.find_key(l) else {
                self.err(Span::new(l.start, l.end), "expected `key: value`");
                self.idx += 1;
                self.skip_deeper(indent, true);
                continue;
            };
            self.idx += 1;
            let value = if vstart >= l.end {
                self.block(Some(indent), Some(indent), depth + 1)
            } else {
                let (node, unsupported) = self.inline(vstart, l.end);
                self.skip_deeper(indent, unsupported);
                node
            };
            end = end.max(l.end).max(value.span.end);
            entries.push((key, value));
            self.skip_deeper(indent, false);
        }
        Node {
            value: Value::Map(entries),
            span: Span::new(start, end),
        }
    }

    /// If the line is `key: ...`, the key and where the value starts.
    fn find_key(&self, l: Line) -> Option<(Scalar, usize)> {
        let s = self.content(l);
        let b = s.as_bytes();
        let first = *b.first()?;
        let (key, after) = if first == b'"' || first == b'\'' {
            let (sc, end) = quoted(self.text, l.start, l.end).ok()?;
            (sc, end - l.start)
        } else {
            if matches!(
                first,
                b'[' | b'{' | b'&' | b'*' | b'!' | b'|' | b'>' | b'%' | b'@' | b'`' | b'?' | b'#'
            ) {
                return None;
            }
            let mut k = None;
            for (i, &c) in b.iter().enumerate() {
                if c == b'#' && i > 0 && matches!(b[i - 1], b' ' | b'\t') {
                    break;
                }
                if c == b':' && matches!(b.get(i + 1), None | Some(b' ' | b'\t')) {
                    k = Some(i);
                    break;
                }
            }
            let k = k?;
            let raw = s[..k].trim_end();
            let span = Span::new(l.start, l.start + raw.len());
            let sc = Scalar {
                value: raw.to_owned(),
                span,
                inner: span,
                verbatim: true,
                plain: true,
            };
            (sc, k)
        };
        let rest = &s[after..];
        let trimmed = rest.trim_start_matches([' ', '\t']);
        let rest_after_colon = trimmed.strip_prefix(':')?;
        if !(rest_after_colon.is_empty() || rest_after_colon.starts_with([' ', '\t'])) {
            return None;
        }
        let mut v = l.start + after + (rest.len() - trimmed.len()) + 1;
        let vb = self.text.as_bytes();
        while v < l.end && matches!(vb.get(v), Some(b' ' | b'\t')) {
            v += 1;
        }
        if vb.get(v) == Some(&b'#') {
            v = l.end; // Only a comment follows.
        }
        Some((key, v))
    }

    /// A one-line value from `start` to `end`. Returns (node, unsupported).
    fn inline(&mut self, start: usize, end: usize) -> (Node, bool) {
        let s = self.text.get(start..end).unwrap_or("");
        let Some(&first) = s.as_bytes().first() else {
            return (Node::null(start), false);
        };
        match first {
            b'"' | b'\'' => match quoted(self.text, start, end) {
                Ok((sc, after)) => {
                    let rest = self.text.get(after..end).unwrap_or("").trim_start();
                    if !(rest.is_empty() || rest.starts_with('#')) {
                        self.err(
                            Span::new(after, end),
                            "unexpected text after a quoted scalar",
                        );
                    }
                    let span = sc.span;
                    (
                        Node {
                            value: Value::Scalar(sc),
                            span,
                        },
                        false,
                    )
                }
                Err(msg) => {
                    self.err(Span::new(start, end), msg);
                    (Node::null(start), true)
                }
            },
            b'[' => self.flow_seq(start, end),
            b'{' | b'&' | b'*' | b'!' | b'|' | b'>' | b'%' | b'@' | b'`' | b'?' => {
                let what = match first {
                    b'{' => "flow mappings",
                    b'&' => "anchors",
                    b'*' => "aliases",
                    b'!' => "tags",
                    b'|' | b'>' => "block scalars",
                    _ => "this construct",
                };
                self.err(
                    Span::new(start, end),
                    &format!("YAML {what} are not read here"),
                );
                (Node::null(start), true)
            }
            _ => {
                let sc = plain(self.text, start, end);
                let span = sc.span;
                (
                    Node {
                        value: Value::Scalar(sc),
                        span,
                    },
                    false,
                )
            }
        }
    }

    /// `[a, 'b', "c"]` on one line; nested collections are not read.
    fn flow_seq(&mut self, start: usize, end: usize) -> (Node, bool) {
        let b = self.text.as_bytes();
        let mut items = Vec::new();
        let mut i = start + 1;
        loop {
            while i < end && matches!(b[i], b' ' | b'\t') {
                i += 1;
            }
            match b.get(i).filter(|_| i < end) {
                None => {
                    self.err(
                        Span::new(start, end),
                        "flow sequence not closed on its line (not read)",
                    );
                    return (Node::null(start), true);
                }
                Some(b']') => {
                    let rest = self.text.get(i + 1..end).unwrap_or("").trim_start();
                    if !(rest.is_empty() || rest.starts_with('#')) {
                        self.err(
                            Span::new(i + 1, end),
                            "unexpected text after a flow sequence",
                        );
                    }
                    return (
                        Node {
                            value: Value::Seq(items),
                            span: Span::new(start, i + 1),
                        },
                        false,
                    );
                }
                Some(b'"' | b'\'') => match quoted(self.text, i, end) {
                    Ok((sc, after)) => {
                        i = after;
                        let span = sc.span;
                        items.push(Node {
                            value: Value::Scalar(sc),
                            span,
                        });
                    }
                    Err(msg) => {
                        self.err(Span::new(i, end), msg);
                        return (Node::null(start), true);
                    }
                },
                Some(b'[' | b'{' | b'&' | b'*' | b'!') => {
                    self.err(
                        Span::new(i, end),
                        "nested flow collections, anchors and aliases are not read",
                    );
                    return (Node::null(start), true);
                }
                Some(_) => {
                    let s = i;
                    while i < end && !matches!(b[i], b',' | b']') {
                        i += 1;
                    }
                    let sc = plain(self.text, s, i);
                    let span = sc.span;
                    items.push(Node {
                        value: Value::Scalar(sc),
                        span,
                    });
                }
            }
            while i < end && matches!(b[i], b' ' | b'\t') {
                i += 1;
            }
            if b.get(i) == Some(&b',') && i < end {
                i += 1;
            }
        }
    }
}

/// A plain scalar from `start` to `end`, cut at a ` #` comment and trimmed.
fn plain(text: &str, start: usize, end: usize) -> Scalar {
    let s = text.get(start..end).unwrap_or("");
    let b = s.as_bytes();
    let mut cut = s.len();
    for i in 1..b.len() {
        if b[i] == b'#' && matches!(b[i - 1], b' ' | b'\t') {
            cut = i;
            break;
        }
    }
    let v = s[..cut].trim_end();
    let span = Span::new(start, start + v.len());
    Scalar {
        value: v.to_owned(),
        span,
        inner: span,
        verbatim: true,
        plain: true,
    }
}

/// A quoted scalar starting at `start` (the quote), closed before `end`.
/// Returns the scalar and the offset after the closing quote.
fn quoted(text: &str, start: usize, end: usize) -> Result<(Scalar, usize), &'static str> {
    let b = text.as_bytes();
    let q = b[start];
    let mut i = start + 1;
    let mut value = String::new();
    loop {
        if i >= end {
            return Err("quoted scalar not closed on its line (multi-line scalars are not read)");
        }
        let c = b[i];
        if c == q {
            if q == b'\'' && b.get(i + 1) == Some(&b'\'') && i + 1 < end {
                value.push('\'');
                i += 2;
                continue;
            }
            break;
        }
        if q == b'"' && c == b'\\' {
            let n = *b.get(i + 1).ok_or("unterminated escape")?;
            i += 2;
            let simple = match n {
                b'0' => Some('\0'),
                b'a' => Some('\u{7}'),
                b'b' => Some('\u{8}'),
                b't' | b'\t' => Some('\t'),
                b'n' => Some('\n'),
                b'v' => Some('\u{b}'),
                b'f' => Some('\u{c}'),
                b'r' => Some('\r'),
                b'e' => Some('\u{1b}'),
                b' ' => Some(' '),
                b'"' => Some('"'),
                b'/' => Some('/'),
                b'\\' => Some('\\'),
                b'N' => Some('\u{85}'),
                b'_' => Some('\u{a0}'),
                _ => None,
            };
            if let Some(ch) = simple {
                value.push(ch);
                continue;
            }
            let len = match n {
                b'x' => 2,
                b'u' => 4,
                b'U' => 8,
                _ => return Err("invalid escape in a double-quoted scalar"),
            };
            let ch = text
                .get(i..i + len)
                .and_then(|h| u32::from_str_radix(h, 16).ok())
                .and_then(char::from_u32)
                .ok_or("invalid escape in a double-quoted scalar")?;
            value.push(ch);
            i += len;
            continue;
        }
        let ch = text
            .get(i..)
            .and_then(|t| t.chars().next())
            .ok_or("invalid text")?;
        value.push(ch);
        i += ch.len_utf8();
    }
    let inner = Span::new(start + 1, i);
    let verbatim = text.get(inner.start..inner.end) == Some(value.as_str());
    Ok((
        Scalar {
            value,
            span: Span::new(start, i + 1),
            inner,
            verbatim,
            plain: false,
        },
        i + 1,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sl(t: &str, s: Span) -> &str {
        &t[s.start..s.end]
    }

    #[test]
    fn environment_shapes() {
        let t = "---\nname: tf  # env\nchannels: [defaults, 'conda-forge']\ndependencies:\n- numpy=1.16\n\
                 -   \"python>=3.6\"\n- pip:\n    - tensorflow==1.14.0 # pin\n    - 'six'\n- more: x\n";
        let (root, errors) = parse(t);
        assert!(errors.is_empty(), "{errors:?}");
        let Value::Scalar(name) = &root.get("name").unwrap().value else {
            panic!()
        };
        assert_eq!(name.value, "tf");
        let Value::Seq(ch) = &root.get("channels").unwrap().value else {
            panic!()
        };
        assert_eq!(ch.len(), 2);
        let Value::Seq(deps) = &root.get("dependencies").unwrap().value else {
            panic!()
        };
        assert_eq!(deps.len(), 4);
        let Value::Scalar(s) = &deps[1].value else {
            panic!()
        };
        assert_eq!(sl(t, s.inner), "python>=3.6");
        let pip = deps[2].get("pip").unwrap();
        let Value::Seq(p) = &pip.value else { panic!() };
        let Value::Scalar(tf) = &p[0].value else {
            panic!()
        };
        assert_eq!(sl(t, tf.span), "tensorflow==1.14.0");
        assert_eq!(deps[3].get("more").unwrap().kind(), "a string");
    }

    #[test]
    fn unsupported_constructs_are_errors_not_expansions() {
        let t = "a: &x [1, 2]\nb: *x\nc: |\n  text\n  more\nd: {k: v}\ne: !!str 1\n";
        let (root, errors) = parse(t);
        let spans: Vec<&str> = errors.iter().map(|e| sl(t, e.span)).collect();
        assert_eq!(spans, ["&x [1, 2]", "*x", "|", "{k: v}", "!!str 1"]);
        assert!(matches!(root.get("b").unwrap().value, Value::Null));
    }

    #[test]
    fn hostile_inputs_terminate() {
        let deep = "- ".repeat(100_000) + "x\n";
        let (_, errors) = parse(&deep);
        assert_eq!(errors.len(), 1);
        let mut nested = String::new();
        for i in 0..2000 {
            nested.push_str(&" ".repeat(i));
            nested.push_str("k:\n");
        }
        let (_, errors) = parse(&nested);
        assert_eq!(errors.len(), 1);
        assert!(errors[0].message.contains("deeply"));
        let bomb = "a: &a [\"lol\"]\nb: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]\nc: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]\n";
        let (_, errors) = parse(bomb);
        assert_eq!(errors.len(), 3);
        let (_, errors) = parse(&"[".repeat(200_000));
        assert_eq!(errors.len(), 1);
    }

    #[test]
    fn bad_indentation_and_quotes() {
        let t = "a:\n    - x\n  - y\nb: 'open\nc: \"\\x41\"\n";
        let (root, errors) = parse(t);
        assert_eq!(errors.len(), 2, "{errors:?}");
        assert_eq!(sl(t, errors[0].span), "- y");
        let Value::Scalar(c) = &root.get("c").unwrap().value else {
            panic!()
        };
        assert_eq!(c.value, "A");
        assert!(!c.verbatim);
    }

    #[test]
    fn scalar_kinds() {
        let (root, _) = parse("a: 1.5\nb: yes\nc: '1.5'\nd: numpy\ne: ~\n");
        let kinds: Vec<&str> = ["a", "b", "c", "d", "e"]
            .iter()
            .map(|k| root.get(k).unwrap().kind())
            .collect();
        assert_eq!(
            kinds,
            ["a number", "a boolean", "a string", "a string", "null"]
        );
    }
}
