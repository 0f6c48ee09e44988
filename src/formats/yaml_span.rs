//! YAML with byte spans, for conda environment files: a thin tree builder over the events of
//! `saphyr-parser` (a YAML 1.2 event parser that reports positions and never expands
//! aliases).
//!
//! What this module adds to the parser:
//! - **Spans into the decoded text.** saphyr's markers count characters; [`CharToByte`]
//!   turns their line and column into byte offsets (exactly, also after non-ASCII text). A scalar's `span` is
//!   its token (quotes included, anchor and tag excluded); `inner` is the text between the
//!   quotes, and `verbatim` says whether `inner` is the value byte for byte. A scalar whose
//!   raw text does not map 1:1 to its value (escapes, `''`, a multi-line folded scalar, a
//!   block scalar) is only ever underlined whole.
//! - **The scalar rules of the loader conda uses.** conda reads environment files with
//!   ruamel.yaml (`conda.common.serialize.yaml`: `ruamel.yaml.YAML(typ="rt")` since conda
//!   26.1, before that `conda.common.serialize.yaml_safe_load`: `YAML(typ="safe",
//!   pure=True)`). Both resolve plain scalars with ruamel's YAML 1.2 table
//!   (`ruamel/yaml/resolver.py`, `implicit_resolvers`), or its 1.1 table after a
//!   `%YAML 1.1` directive: under 1.2, `yes`/`no`/`on`/`off` are strings, `1.5` and `3.10`
//!   are floats, `1.2.3` and `numpy=1.10` are strings. [`Scalar::resolved_kind`] follows
//!   that table.
//! - **Only what the caller reads is kept.** [`read`] asks a [`Reader`], as each collection
//!   opens, whether its children stay in the tree, are dropped ([`Keep::Hollow`]) or are
//!   handed over one by one as they end ([`Keep::Stream`]); [`parse`] keeps everything. So
//!   a reader of a list with millions of entries never holds it whole (issue 15 §4).
//! - **Aliases are never expanded.** An alias is a [`Value::Alias`] node at its own span;
//!   the caller decides what to say about it. Anchors are read where they are defined.
//! - **Bounded work.** Nesting deeper than [`MAX_DEPTH`] stops the read with one error; the
//!   parser itself keeps an explicit state stack (no recursion) and caps flow nesting.
//!   Duplicate keys are reported (ruamel refuses them); a second document is reported and not
//!   read (ruamel's `load` refuses it). The first syntax error stops the read; what was read
//!   before it is returned.

use crate::hash::HashSet;

use saphyr_parser::{Event, Parser, ScalarStyle};

use crate::source::Span;

pub(crate) const MAX_DEPTH: usize = 64;

#[derive(Clone, Debug, PartialEq)]
pub enum Value {
    Null,
    Scalar(Scalar),
    Seq(Vec<Node>),
    Map(Vec<(Node, Node)>),
    /// `*name`: not expanded.
    Alias,
}

/// What the loader makes of a scalar.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Str,
    Null,
    Bool,
    Number,
    Timestamp,
    /// A tag ruamel does not turn into a `str` (`!foo`, `<<`, `=`).
    Other,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Scalar {
    pub value: String,
    /// The scalar as written, quotes included (anchor and tag not included).
    pub span: Span,
    /// The text between the quotes (or the plain text).
    pub inner: Span,
    /// `inner` equals `value` byte for byte.
    pub verbatim: bool,
    pub kind: Kind,
}

impl Scalar {
    /// What conda's loader (ruamel.yaml) makes of this scalar, in words.
    pub(crate) fn resolved_kind(&self) -> &'static str {
        match self.kind {
            Kind::Str => "a string",
            Kind::Null => "null",
            Kind::Bool => "a boolean",
            Kind::Number => "a number",
            Kind::Timestamp => "a date",
            Kind::Other => "a tagged value",
        }
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
    pub(crate) fn kind(&self) -> &'static str {
        match &self.value {
            Value::Null => "null",
            Value::Scalar(s) => s.resolved_kind(),
            Value::Seq(_) => "a list",
            Value::Map(_) => "a mapping",
            Value::Alias => "an alias",
        }
    }
    /// The scalar text of a key.
    pub(crate) fn key_text(&self) -> Option<&str> {
        match &self.value {
            Value::Scalar(s) => Some(&s.value),
            _ => None,
        }
    }
    /// The value under `key` (the last one, if the key is repeated).
    #[cfg(test)]
    pub(crate) fn get(&self, key: &str) -> Option<&Node> {
        match &self.value {
            Value::Map(m) => m
                .iter()
                .rev()
                .find(|(k, _)| k.key_text() == Some(key))
                .map(|(_, v)| v),
            _ => None,
        }
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct Error {
    pub span: Span,
    pub message: String,
    /// Reading stopped here: what follows in the text is not in the tree.
    pub stops_read: bool,
}

/// The YAML version whose scalar rules apply.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Version {
    V1_1,
    V1_2,
}

/// saphyr's markers count characters; spans are byte offsets. A marker's character index
/// is off after a directive line with non-ASCII text (saphyr 0.3.4 skips directive text
/// by bytes), so positions come from its line and column, which stay exact: the line's
/// first character, plus the column, converted to a byte offset. ASCII text maps 1:1;
/// other text goes through a checkpoint every [`Self::STEP`] characters.
struct CharToByte<'a> {
    text: &'a str,
    /// Byte offset of character `k * STEP`; empty for ASCII text.
    checkpoints: Vec<usize>,
    /// Character index of the start of each line (YAML line breaks: `\n`, `\r\n`, `\r`).
    /// Input texts are capped at 8 MiB, far under `u32::MAX`.
    lines: Vec<u32>,
}

impl<'a> CharToByte<'a> {
    const STEP: usize = 64;

    fn new(text: &'a str) -> Self {
        let checkpoints = if text.is_ascii() {
            Vec::new()
        } else {
            text.char_indices()
                .step_by(Self::STEP)
                .map(|(b, _)| b)
                .collect()
        };
        // Line breaks are ASCII: scan the bytes, counting characters (every byte that does
        // not continue a UTF-8 sequence starts one).
        let b = text.as_bytes();
        let mut lines = vec![0];
        let mut chars: u32 = 0;
        for (i, &c) in b.iter().enumerate() {
            let starts_char = c & 0xC0 != 0x80;
            let breaks = c == b'\n' || (c == b'\r' && b.get(i + 1) != Some(&b'\n'));
            if starts_char {
                chars = chars.saturating_add(1);
            }
            if breaks {
                lines.push(chars);
            }
        }
        CharToByte {
            text,
            checkpoints,
            lines,
        }
    }

    fn byte(&self, char_index: usize) -> usize {
        if self.checkpoints.is_empty() {
            return char_index.min(self.text.len());
        }
        let k = char_index / Self::STEP;
        let Some(&from) = self.checkpoints.get(k) else {
            return self.text.len();
        };
        let rest = char_index - k * Self::STEP;
        self.text[from..]
            .char_indices()
            .nth(rest)
            .map_or(self.text.len(), |(b, _)| from + b)
    }

    /// The byte offset of a marker (line 1-based, column 0-based in characters).
    fn at(&self, m: &saphyr_parser::Marker) -> usize {
        match m.line().checked_sub(1).and_then(|l| self.lines.get(l)) {
            Some(&start) => self.byte(start as usize + m.col()),
            None => self.text.len(),
        }
    }
}

/// `%YAML 1.1` before the document switches ruamel to its YAML 1.1 rules.
fn directive_version(text: &str) -> Version {
    for line in text.lines() {
        let line = line.trim_end_matches('\r');
        if line.starts_with("---") {
            break;
        }
        if let Some(v) = line.strip_prefix("%YAML") {
            let v = v.split('#').next().unwrap_or("").trim();
            return if v == "1.1" {
                Version::V1_1
            } else {
                Version::V1_2
            };
        }
        if !(line.starts_with('%') || line.trim().is_empty() || line.starts_with('#')) {
            break;
        }
    }
    Version::V1_2
}

/// What a reader keeps of a collection, decided as the collection opens ([`Reader::open`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Keep {
    /// Its children stay in the tree.
    Tree,
    /// Its children are read (errors, duplicate keys, its span) and dropped: the node keeps
    /// its span and kind, with no children. So are its children's children.
    Hollow,
    /// Each child is handed to [`Reader::item`] as it ends (in a mapping, with its key) and
    /// not kept: the node keeps its span and kind, with no children.
    Stream,
}

/// How a collection is kept, and the reader's own name for it (handed back to
/// [`Reader::open`] for its children and to [`Reader::item`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Role {
    pub keep: Keep,
    pub tag: u32,
}

/// A reader that takes what it needs while the document is read, so that a long list it
/// reads entry by entry is never held whole ([`read`]; issue 15 §4).
pub(crate) trait Reader {
    /// What to keep of a collection (a sequence when `seq`) that opens inside `parent` (the
    /// innermost open collection; `None` for the document's root), as the value of `key`
    /// when `parent` is a mapping (`None` for a key itself, or in a sequence). Not asked
    /// inside a [`Keep::Hollow`] collection.
    fn open(&mut self, parent: Option<Role>, key: Option<&Node>, seq: bool) -> Role;
    /// A finished child of a [`Keep::Stream`] collection, in document order: a mapping's
    /// entries come with their key (a key without a value with a null value at the key's
    /// end, as in the tree).
    fn item(&mut self, parent: Role, key: Option<Node>, node: Node);
}

/// The reader behind [`parse`]: the whole tree.
struct WholeTree;

impl Reader for WholeTree {
    fn open(&mut self, _: Option<Role>, _: Option<&Node>, _: bool) -> Role {
        Role {
            keep: Keep::Tree,
            tag: 0,
        }
    }
    fn item(&mut self, _: Role, _: Option<Node>, _: Node) {}
}

enum Frame {
    Seq {
        start: usize,
        items: Vec<Node>,
        role: Role,
        /// The end of the last child (kept or not): a block collection ends there.
        last_end: Option<usize>,
    },
    Map {
        start: usize,
        entries: Vec<(Node, Node)>,
        key: Option<Node>,
        seen: HashSet<String>,
        role: Role,
        last_end: Option<usize>,
    },
}

struct Builder<'a, 'r> {
    text: &'a str,
    stack: Vec<Frame>,
    root: Option<Node>,
    errors: Vec<Error>,
    reader: &'r mut dyn Reader,
}

impl Builder<'_, '_> {
    fn err(&mut self, span: Span, message: impl Into<String>) {
        self.errors.push(Error {
            span,
            message: message.into(),
            stops_read: false,
        });
    }

    fn stop(&mut self, span: Span, message: impl Into<String>) {
        self.err(span, message);
        if let Some(e) = self.errors.last_mut() {
            e.stops_read = true;
        }
    }

    /// Attach a finished node to the open collection (or make it the root): kept, dropped
    /// or handed to the reader, as the collection's [`Keep`] says.
    fn attach(&mut self, node: Node) {
        let mut dup = None;
        match self.stack.last_mut() {
            None => {
                if self.root.is_none() {
                    self.root = Some(node);
                }
            }
            Some(Frame::Seq {
                items,
                role,
                last_end,
                ..
            }) => {
                *last_end = Some(node.span.end);
                match role.keep {
                    Keep::Tree => items.push(node),
                    Keep::Hollow => {}
                    Keep::Stream => self.reader.item(*role, None, node),
                }
            }
            Some(Frame::Map {
                entries,
                key,
                seen,
                role,
                last_end,
                ..
            }) => match key.take() {
                None => {
                    if let Value::Scalar(s) = &node.value {
                        if !seen.insert(s.value.clone()) {
                            dup = Some((node.span, s.value.clone()));
                        }
                    }
                    *key = Some(node);
                }
                Some(k) => {
                    *last_end = Some(k.span.end.max(node.span.end));
                    match role.keep {
                        Keep::Tree => entries.push((k, node)),
                        Keep::Hollow => {}
                        Keep::Stream => self.reader.item(*role, Some(k), node),
                    }
                }
            },
        }
        if let Some((span, k)) = dup {
            self.err(
                span,
                format!("duplicate key `{k}` (conda's YAML loader, ruamel.yaml, refuses the file)"),
            );
        }
    }

    /// How the collection opening now is kept: asked of the reader, unless it is inside a
    /// hollow one.
    fn role_of_new(&mut self, seq: bool) -> Role {
        let (parent, key) = match self.stack.last() {
            None => (None, None),
            Some(Frame::Seq { role, .. }) => (Some(*role), None),
            Some(Frame::Map { role, key, .. }) => (Some(*role), key.as_ref()),
        };
        match parent {
            Some(p) if p.keep == Keep::Hollow => p,
            _ => self.reader.open(parent, key, seq),
        }
    }

    /// Close the innermost collection. A flow collection ends with its closing bracket
    /// (`flow_end`); a block collection ends with its last item.
    fn close(&mut self, flow_end: Option<usize>) {
        // A key without a value: its value is null, at the key's end.
        if let Some(Frame::Map { key, .. }) = self.stack.last_mut() {
            if let Some(at) = key.as_ref().map(|k| k.span.end) {
                self.attach(Node::null(at));
            }
        }
        let Some(frame) = self.stack.pop() else {
            return;
        };
        let node = match frame {
            Frame::Seq {
                start,
                items,
                last_end,
                ..
            } => {
                let end = flow_end.unwrap_or_else(|| last_end.unwrap_or(start));
                Node {
                    span: Span::new(start, end.max(start)),
                    value: Value::Seq(items),
                }
            }
            Frame::Map {
                start,
                entries,
                last_end,
                ..
            } => {
                let end = flow_end.unwrap_or_else(|| last_end.unwrap_or(start));
                Node {
                    span: Span::new(start, end.max(start)),
                    value: Value::Map(entries),
                }
            }
        };
        self.attach(node);
    }

    fn close_at(&mut self, ev_start: usize, ev_end: usize) {
        let flow = matches!(self.text.as_bytes().get(ev_start), Some(b']' | b'}'));
        self.close(flow.then_some(ev_end));
    }

    /// Where a collection starts: a block sequence at its first `-`.
    fn collection_start(&self, start: usize) -> usize {
        let b = self.text.as_bytes();
        if matches!(b.get(start), Some(b'[' | b'{')) {
            return start;
        }
        let mut p = start;
        while p > 0 && matches!(b[p - 1], b' ' | b'\t' | b'\r' | b'\n') {
            p -= 1;
        }
        if p > 0 && b[p - 1] == b'-' {
            p - 1
        } else {
            start
        }
    }
}

/// The offset of the quote that closes the quoted scalar at the start of `raw`.
fn closing_quote(raw: &str) -> Option<usize> {
    let b = raw.as_bytes();
    let q = *b.first()?;
    let mut i = 1;
    while i < b.len() {
        match b[i] {
            b'\\' if q == b'"' => i += 2,
            c if c == q => {
                if q == b'\'' && b.get(i + 1) == Some(&b'\'') {
                    i += 2;
                } else {
                    return Some(i);
                }
            }
            _ => i += 1,
        }
    }
    None
}

/// Skip anchor and tag properties (`&a !!str `) before a scalar's content.
fn skip_properties(text: &str, mut p: usize, end: usize) -> usize {
    let b = text.as_bytes();
    while p < end && matches!(b[p], b'&' | b'!') {
        while p < end && !matches!(b[p], b' ' | b'\t' | b'\r' | b'\n') {
            p += 1;
        }
        loop {
            while p < end && matches!(b[p], b' ' | b'\t' | b'\r' | b'\n') {
                p += 1;
            }
            if p < end && b[p] == b'#' {
                while p < end && b[p] != b'\n' {
                    p += 1;
                }
            } else {
                break;
            }
        }
    }
    p
}

fn scalar_node(
    text: &str,
    value: String,
    style: ScalarStyle,
    tag: Option<(&str, &str)>,
    start: usize,
    end: usize,
    version: Version,
) -> Node {
    let block = matches!(style, ScalarStyle::Literal | ScalarStyle::Folded);
    let start = if block {
        start
    } else {
        skip_properties(text, start, end)
    };
    let raw = text.get(start..end).unwrap_or("");
    let raw_trim = match style {
        // The event may run on over blanks and a comment: end at the closing quote.
        ScalarStyle::SingleQuoted | ScalarStyle::DoubleQuoted => {
            &raw[..closing_quote(raw).map_or(raw.len(), |i| i + 1)]
        }
        _ => raw.trim_end_matches([' ', '\t', '\r', '\n']),
    };
    let span = Span::new(start, start + raw_trim.len());
    let (inner, verbatim) = match style {
        ScalarStyle::Plain => (span, raw_trim == value),
        ScalarStyle::SingleQuoted | ScalarStyle::DoubleQuoted if raw_trim.len() >= 2 => {
            let inner = Span::new(span.start + 1, span.end - 1);
            let ok = text.get(inner.start..inner.end) == Some(value.as_str());
            (inner, ok)
        }
        _ => (span, false),
    };
    let kind = match tag {
        Some((handle, suffix)) => {
            tag_kind(handle, suffix, style == ScalarStyle::Plain, &value, version)
        }
        None if style == ScalarStyle::Plain => plain_kind(&value, version),
        None => Kind::Str,
    };
    if kind == Kind::Null && style == ScalarStyle::Plain && value.is_empty() {
        return Node {
            value: Value::Null,
            span,
        };
    }
    Node {
        value: Value::Scalar(Scalar {
            value,
            span,
            inner,
            verbatim,
            kind,
        }),
        span,
    }
}

/// What ruamel makes of an explicitly tagged scalar. saphyr gives `!!x` as the
/// `tag:yaml.org,2002:` handle with suffix `x`, a verbatim `!<uri>` as an empty handle with
/// the whole URI, and the non-specific `!` as an empty handle with suffix `!`, which ruamel
/// resolves like an untagged scalar (a plain `! 12` is an int).
fn tag_kind(handle: &str, suffix: &str, plain: bool, value: &str, version: Version) -> Kind {
    const CORE: &str = "tag:yaml.org,2002:";
    let core = if handle == CORE {
        Some(suffix)
    } else if handle.is_empty() {
        suffix.strip_prefix(CORE)
    } else {
        None
    };
    if let Some(name) = core {
        return match name {
            "str" => Kind::Str,
            "null" => Kind::Null,
            "bool" => Kind::Bool,
            "int" | "float" => Kind::Number,
            "timestamp" => Kind::Timestamp,
            _ => Kind::Other,
        };
    }
    if handle.is_empty() && suffix == "!" {
        return if plain {
            plain_kind(value, version)
        } else {
            Kind::Str
        };
    }
    Kind::Other
}

fn digits(s: &[u8], ok: impl Fn(u8) -> bool) -> usize {
    s.iter().take_while(|&&c| ok(c)).count()
}

fn is_dec(c: u8) -> bool {
    c.is_ascii_digit()
}

fn is_dec_(c: u8) -> bool {
    c.is_ascii_digit() || c == b'_'
}

fn opt_sign(s: &[u8]) -> &[u8] {
    match s.first() {
        Some(b'-' | b'+') => &s[1..],
        _ => s,
    }
}

/// `[eE][-+]?[0-9]+` (`sign_required`: `[eE][-+][0-9]+`) covering all of `s`.
fn exponent(s: &[u8], sign_required: bool) -> bool {
    let Some((&e, rest)) = s.split_first() else {
        return false;
    };
    if !matches!(e, b'e' | b'E') {
        return false;
    }
    let rest = match rest.first() {
        Some(b'-' | b'+') => &rest[1..],
        _ if sign_required => return false,
        _ => rest,
    };
    !rest.is_empty() && digits(rest, is_dec) == rest.len()
}

/// `(?:[eE]...)?` covering all of `s`.
fn opt_exponent(s: &[u8], sign_required: bool) -> bool {
    s.is_empty() || exponent(s, sign_required)
}

/// `[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+` followed by `tail` (the 1.1 sexagesimal forms).
fn sexagesimal(s: &[u8], first_nonzero: bool, tail: impl Fn(&[u8]) -> bool) -> bool {
    let s = opt_sign(s);
    match s.first() {
        Some(&c) if is_dec(c) && !(first_nonzero && c == b'0') => {}
        _ => return false,
    }
    let mut i = 1 + digits(&s[1..], is_dec_);
    let mut groups = 0;
    while s.get(i) == Some(&b':') {
        let d = digits(&s[i + 1..], is_dec);
        let ok = match d {
            1 => true,
            2 => s[i + 1] <= b'5',
            _ => false,
        };
        if !ok {
            break;
        }
        i += 1 + d;
        groups += 1;
    }
    groups > 0 && tail(&s[i..])
}

fn is_float(s: &[u8], version: Version) -> bool {
    let signed = opt_sign(s);
    // [-+]?(?:[0-9][0-9_]*)\.[0-9_]*(?:[eE][-+]?[0-9]+)?   and
    // [-+]?(?:[0-9][0-9_]*)(?:[eE][-+]?[0-9]+)
    if signed.first().is_some_and(|&c| is_dec(c)) {
        let i = 1 + digits(&signed[1..], is_dec_);
        let rest = &signed[i..];
        if let Some(frac) = rest.strip_prefix(b".") {
            let j = digits(frac, is_dec_);
            if opt_exponent(&frac[j..], false) {
                return true;
            }
        } else if exponent(rest, false) {
            return true;
        }
    }
    // 1.2: [-+]?\.[0-9_]+(?:[eE][-+][0-9]+)?   1.1: \.[0-9_]+(?:[eE][-+][0-9]+)?
    let dot_form = if version == Version::V1_2 { signed } else { s };
    if let Some(frac) = dot_form.strip_prefix(b".") {
        let j = digits(frac, is_dec_);
        if j > 0 && opt_exponent(&frac[j..], true) {
            return true;
        }
    }
    // [-+]?\.(?:inf|Inf|INF)   \.(?:nan|NaN|NAN)
    if matches!(signed, b".inf" | b".Inf" | b".INF") || matches!(s, b".nan" | b".NaN" | b".NAN") {
        return true;
    }
    version == Version::V1_1
        && sexagesimal(s, false, |t| {
            t.first() == Some(&b'.') && digits(&t[1..], is_dec_) == t.len() - 1
        })
}

fn is_int(s: &[u8], version: Version) -> bool {
    let u = opt_sign(s);
    let all = |t: &[u8], ok: fn(u8) -> bool| !t.is_empty() && t.iter().all(|&c| ok(c));
    let bin = |c: u8| matches!(c, b'0' | b'1' | b'_');
    let oct = |c: u8| matches!(c, b'0'..=b'7' | b'_');
    let hex = |c: u8| c.is_ascii_hexdigit() || c == b'_';
    if u.strip_prefix(b"0b").is_some_and(|t| all(t, bin))
        || u.strip_prefix(b"0x").is_some_and(|t| all(t, hex))
    {
        return true;
    }
    match version {
        // [-+]?0o?[0-7_]+ | [-+]?[0-9_]+
        Version::V1_2 => {
            u.strip_prefix(b"0o").is_some_and(|t| all(t, oct))
                || u.strip_prefix(b"0").is_some_and(|t| all(t, oct))
                || all(u, is_dec_)
        }
        // [-+]?0?[0-7_]+ | [-+]?(?:0|[1-9][0-9_]*) | sexagesimal
        Version::V1_1 => {
            all(u.strip_prefix(b"0").unwrap_or(u), oct)
                || u == b"0"
                || (u.first().is_some_and(|&c| (b'1'..=b'9').contains(&c)) && all(&u[1..], is_dec_))
                || u.len() == 1 && u[0].is_ascii_digit()
                || sexagesimal(s, true, |t| t.is_empty())
        }
    }
}

/// `[0-9]{4}-[0-9]{2}-[0-9]{2}` or the full timestamp form of ruamel's table.
fn is_timestamp(s: &str) -> bool {
    let b = s.as_bytes();
    let d = |i: usize| b.get(i).is_some_and(u8::is_ascii_digit);
    if !(b.len() >= 8 && (0..4).all(d) && b[4] == b'-') {
        return false;
    }
    if b.len() == 10 && d(5) && d(6) && b[7] == b'-' && d(8) && d(9) {
        return true;
    }
    // [0-9]{4}-[0-9][0-9]?-[0-9][0-9]?(?:[Tt]|[ \t]+)[0-9][0-9]?:[0-9][0-9]:[0-9][0-9]
    // (?:\.[0-9]*)?(?:[ \t]*(?:Z|[-+][0-9][0-9]?(?::[0-9][0-9])?))?
    let mut i = 5;
    let one_or_two = |i: &mut usize| -> bool {
        if !d(*i) {
            return false;
        }
        *i += 1;
        if d(*i) {
            *i += 1;
        }
        true
    };
    let two = |i: &mut usize| -> bool {
        let ok = d(*i) && d(*i + 1);
        *i += 2;
        ok
    };
    if !one_or_two(&mut i) || b.get(i) != Some(&b'-') {
        return false;
    }
    i += 1;
    if !one_or_two(&mut i) {
        return false;
    }
    match b.get(i) {
        Some(b'T' | b't') => i += 1,
        Some(b' ' | b'\t') => {
            while matches!(b.get(i), Some(b' ' | b'\t')) {
                i += 1;
            }
        }
        _ => return false,
    }
    if !one_or_two(&mut i) || b.get(i) != Some(&b':') {
        return false;
    }
    i += 1;
    if !two(&mut i) || b.get(i) != Some(&b':') {
        return false;
    }
    i += 1;
    if !two(&mut i) {
        return false;
    }
    if b.get(i) == Some(&b'.') {
        i += 1;
        while d(i) {
            i += 1;
        }
    }
    while matches!(b.get(i), Some(b' ' | b'\t')) {
        i += 1;
    }
    match b.get(i) {
        None => true,
        Some(b'Z') => i + 1 == b.len(),
        Some(b'-' | b'+') => {
            i += 1;
            if !one_or_two(&mut i) {
                return false;
            }
            if b.get(i) == Some(&b':') {
                i += 1;
                if !two(&mut i) {
                    return false;
                }
            }
            i == b.len()
        }
        _ => false,
    }
}

/// ruamel.yaml's implicit resolution of a plain scalar (`resolver.py`, `implicit_resolvers`,
/// tried in table order for the scalar's first character; the first match wins).
pub(crate) fn plain_kind(value: &str, version: Version) -> Kind {
    let b = value.as_bytes();
    let Some(&first) = b.first() else {
        return Kind::Null;
    };
    let bools_12 = ["true", "True", "TRUE", "false", "False", "FALSE"];
    let bools_11 = [
        "y", "Y", "yes", "Yes", "YES", "n", "N", "no", "No", "NO", "on", "On", "ON", "off", "Off",
        "OFF",
    ];
    if bools_12.contains(&value) || (version == Version::V1_1 && bools_11.contains(&value)) {
        return Kind::Bool;
    }
    if matches!(first, b'-' | b'+' | b'.' | b'0'..=b'9') && is_float(b, version) {
        return Kind::Number;
    }
    if matches!(first, b'-' | b'+' | b'0'..=b'9') && is_int(b, version) {
        return Kind::Number;
    }
    if value == "<<" || value == "=" {
        return Kind::Other;
    }
    if matches!(value, "~" | "null" | "Null" | "NULL") {
        return Kind::Null;
    }
    if first.is_ascii_digit() && is_timestamp(value) {
        return Kind::Timestamp;
    }
    Kind::Str
}

/// Parse a YAML document. Returns the root (Null for an empty document) and every problem
/// met (after a syntax error, what was read before it).
pub fn parse(text: &str) -> (Node, Vec<Error>) {
    read(text, &mut WholeTree)
}

/// [`parse`], keeping of each collection what `reader` asks for ([`Reader::open`]) and
/// handing it the children of those it streams. The errors, the spans and the nodes it is
/// handed are the ones [`parse`] gives, in document order.
pub(crate) fn read(text: &str, reader: &mut dyn Reader) -> (Node, Vec<Error>) {
    let version = directive_version(text);
    let map = CharToByte::new(text);
    let mut b = Builder {
        text,
        stack: Vec::new(),
        root: None,
        errors: Vec::new(),
        reader,
    };
    let mut parser = Parser::new_from_str(text);
    let mut documents = 0;
    while let Some(next) = parser.next_event() {
        let (event, yspan) = match next {
            Ok(x) => x,
            Err(e) => {
                let at = map.at(e.marker());
                let line_end = text[at..].find(['\n', '\r']).map_or(text.len(), |i| at + i);
                let end = at + text[at..line_end].trim_end().len();
                b.stop(Span::new(at, end), format!("invalid YAML: {}", e.info()));
                break;
            }
        };
        let start = map.at(&yspan.start);
        let end = map.at(&yspan.end).max(start);
        match event {
            Event::StreamEnd => break,
            Event::DocumentStart(_) => {
                documents += 1;
                if documents > 1 {
                    let line_end = text[start..]
                        .find(['\n', '\r'])
                        .map_or(text.len(), |i| start + i);
                    b.stop(
                        Span::new(start, line_end.max(end)),
                        "a second YAML document is not read (conda's loader refuses it)",
                    );
                    break;
                }
            }
            Event::Scalar(value, style, _, tag) => {
                let tag = tag.as_ref().map(|t| (t.handle.as_str(), t.suffix.as_str()));
                let node = scalar_node(text, value.into_owned(), style, tag, start, end, version);
                b.attach(node);
            }
            Event::Alias(_) => {
                let node = Node {
                    value: Value::Alias,
                    span: Span::new(start, end),
                };
                b.attach(node);
            }
            Event::SequenceStart(..) | Event::MappingStart(..) => {
                if b.stack.len() >= MAX_DEPTH {
                    let line_end = text[start..]
                        .find(['\n', '\r'])
                        .map_or(text.len(), |i| start + i);
                    let span = Span::new(start, start + text[start..line_end].trim_end().len());
                    b.stop(
                        span,
                        format!("YAML nested more than {MAX_DEPTH} deep; not read"),
                    );
                    break;
                }
                let start = b.collection_start(start);
                let seq = matches!(event, Event::SequenceStart(..));
                let role = b.role_of_new(seq);
                b.stack.push(if seq {
                    Frame::Seq {
                        start,
                        items: Vec::new(),
                        role,
                        last_end: None,
                    }
                } else {
                    Frame::Map {
                        start,
                        entries: Vec::new(),
                        key: None,
                        seen: HashSet::default(),
                        role,
                        last_end: None,
                    }
                });
            }
            Event::SequenceEnd | Event::MappingEnd => b.close_at(start, end),
            Event::StreamStart | Event::DocumentEnd | Event::Nothing => {}
        }
    }
    while !b.stack.is_empty() {
        b.close(None);
    }
    let root = b.root.take().unwrap_or_else(|| Node::null(text.len()));
    (root, b.errors)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sl(t: &str, s: Span) -> &str {
        &t[s.start..s.end]
    }

    fn scalar(n: &Node) -> &Scalar {
        match &n.value {
            Value::Scalar(s) => s,
            v => panic!("not a scalar: {v:?}"),
        }
    }

    fn seq(n: &Node) -> &[Node] {
        match &n.value {
            Value::Seq(s) => s,
            v => panic!("not a list: {v:?}"),
        }
    }

    #[test]
    fn environment_shapes() {
        let t = "---\nname: tf  # env\nchannels: [defaults, 'conda-forge']\ndependencies:\n- numpy=1.16\n\
                 -   \"python>=3.6\"\n- pip:\n    - tensorflow==1.14.0 # pin\n    - 'six'\n- more: x\n";
        let (root, errors) = parse(t);
        assert!(errors.is_empty(), "{errors:?}");
        assert_eq!(scalar(root.get("name").unwrap()).value, "tf");
        assert_eq!(seq(root.get("channels").unwrap()).len(), 2);
        let deps = seq(root.get("dependencies").unwrap());
        assert_eq!(deps.len(), 4);
        assert_eq!(sl(t, scalar(&deps[1]).inner), "python>=3.6");
        assert_eq!(sl(t, scalar(&deps[1]).span), "\"python>=3.6\"");
        let p = seq(deps[2].get("pip").unwrap());
        assert_eq!(sl(t, scalar(&p[0]).span), "tensorflow==1.14.0");
        assert_eq!(deps[3].get("more").unwrap().kind(), "a string");
    }

    #[test]
    fn multi_line_flow_collections_read() {
        let t = "channels: [defaults,\n  conda-forge]\ndependencies: [\n  numpy=1.16,\n  {pip: [six,\n   tensorflow==1.14.0]}\n]\n";
        let (root, errors) = parse(t);
        assert!(errors.is_empty(), "{errors:?}");
        let ch = seq(root.get("channels").unwrap());
        let names: Vec<&str> = ch.iter().map(|n| sl(t, n.span)).collect();
        assert_eq!(names, ["defaults", "conda-forge"]);
        assert_eq!(
            sl(t, root.get("channels").unwrap().span),
            "[defaults,\n  conda-forge]"
        );
        let deps = seq(root.get("dependencies").unwrap());
        let pip = seq(deps[1].get("pip").unwrap());
        assert_eq!(sl(t, scalar(&pip[1]).span), "tensorflow==1.14.0");
    }

    #[test]
    fn anchors_are_read_and_aliases_are_not_expanded() {
        let t = "a: &x [numpy, six]\nb: *x\nc: &s 'q'\n";
        let (root, errors) = parse(t);
        assert!(errors.is_empty(), "{errors:?}");
        assert_eq!(seq(root.get("a").unwrap()).len(), 2);
        let b = root.get("b").unwrap();
        assert_eq!(b.value, Value::Alias);
        assert_eq!(sl(t, b.span), "*x");
        let c = scalar(root.get("c").unwrap());
        assert_eq!(sl(t, c.span), "'q'");
        assert_eq!(sl(t, c.inner), "q");
        assert!(c.verbatim);
    }

    #[test]
    fn scalar_spans_map_only_when_verbatim() {
        let t = "a: \"six\\x3e=1\"\nb: 'it''s'\nc: plain\n  folded\nd: |\n  numpy\n  six\ne: !!str 1.5\nf: \"caf\u{e9}\"\n";
        let (root, errors) = parse(t);
        assert!(errors.is_empty(), "{errors:?}");
        let a = scalar(root.get("a").unwrap());
        assert_eq!((a.value.as_str(), a.verbatim), ("six>=1", false));
        assert_eq!(sl(t, a.span), "\"six\\x3e=1\"");
        let b = scalar(root.get("b").unwrap());
        assert_eq!((b.value.as_str(), b.verbatim), ("it's", false));
        let c = scalar(root.get("c").unwrap());
        assert_eq!((c.value.as_str(), c.verbatim), ("plain folded", false));
        assert_eq!(sl(t, c.span), "plain\n  folded");
        let d = scalar(root.get("d").unwrap());
        assert_eq!((d.value.as_str(), d.verbatim), ("numpy\nsix\n", false));
        assert_eq!(sl(t, d.span), "numpy\n  six");
        let e = scalar(root.get("e").unwrap());
        assert_eq!((sl(t, e.span), e.kind), ("1.5", Kind::Str));
        let f = scalar(root.get("f").unwrap());
        assert!(f.verbatim);
        assert_eq!(sl(t, f.inner), "caf\u{e9}");
    }

    #[test]
    fn non_ascii_offsets_are_bytes() {
        // Every character before the scalar takes 2-4 bytes: the marker (a character index)
        // must be converted, not used as a byte offset.
        let t = "n\u{e9}\u{1f600}: \"\u{e9}t\u{e9}\"\nd:\n  - \u{3b1}\u{3b2}\n  - numpy>=1.16  # \u{e9}\n";
        let (root, errors) = parse(t);
        assert!(errors.is_empty(), "{errors:?}");
        let k = scalar(root.get("n\u{e9}\u{1f600}").unwrap());
        assert_eq!(sl(t, k.inner), "\u{e9}t\u{e9}");
        let d = seq(root.get("d").unwrap());
        assert_eq!(sl(t, d[0].span), "\u{3b1}\u{3b2}");
        assert_eq!(sl(t, d[1].span), "numpy>=1.16");
        // A long non-ASCII prefix crosses many checkpoints.
        let long = format!("x: {}\ny: numpy\n", "\u{e9}".repeat(1000));
        let (root, _) = parse(&long);
        assert_eq!(sl(&long, root.get("y").unwrap().span), "numpy");
    }

    #[test]
    fn positions_after_a_non_ascii_directive() {
        // saphyr's character index is off here; its line and column are not.
        let t = "%FOO \u{e9}\u{e9}\n---\na: \"x\"\nb: numpy\n";
        let (root, errors) = parse(t);
        assert!(errors.is_empty(), "{errors:?}");
        assert_eq!(sl(t, scalar(root.get("a").unwrap()).inner), "x");
        assert_eq!(sl(t, root.get("b").unwrap().span), "numpy");
    }

    #[test]
    fn crlf_comments_and_document_markers() {
        let t = "%YAML 1.2\r\n---\r\n# c\r\na: x # y\r\nb:\r\n  - 1.16\r\n...\r\n";
        let (root, errors) = parse(t);
        assert!(errors.is_empty(), "{errors:?}");
        assert_eq!(sl(t, root.get("a").unwrap().span), "x");
        assert_eq!(sl(t, seq(root.get("b").unwrap())[0].span), "1.16");
        let (_, errors) = parse("a: 1\n---\nb: 2\n");
        assert_eq!(errors.len(), 1);
        assert!(errors[0].message.contains("second YAML document"));
    }

    #[test]
    fn errors_and_duplicates() {
        let t = "a: 'open\nb: 1\n";
        let (_, errors) = parse(t);
        assert_eq!(errors.len(), 1, "{errors:?}");
        let t = "a: 1\nb: [x]\na: 2\n";
        let (root, errors) = parse(t);
        assert_eq!(errors.len(), 1);
        assert_eq!(sl(t, errors[0].span), "a");
        assert_eq!(errors[0].span.start, 12);
        assert_eq!(root.get("a").unwrap().span, Span::new(15, 16));
        let t = "a:\n    - x\n  - y\n";
        let (_, errors) = parse(t);
        assert_eq!(errors.len(), 1, "{errors:?}");
    }

    #[test]
    fn hostile_inputs_terminate() {
        let deep = "- ".repeat(100_000) + "x\n";
        let (_, errors) = parse(&deep);
        assert_eq!(errors.len(), 1);
        assert!(errors[0].message.contains("deep"));
        let mut nested = String::new();
        for i in 0..2000 {
            nested.push_str(&" ".repeat(i));
            nested.push_str("k:\n");
        }
        let (_, errors) = parse(&nested);
        assert_eq!(errors.len(), 1);
        assert!(errors[0].message.contains("deep"));
        // A billion-laughs document reads in linear time: nothing is expanded.
        let mut bomb = String::from("k0: &k0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n");
        for i in 1..30 {
            let star = format!("*k{}", i - 1);
            bomb.push_str(&format!("k{i}: &k{i} [{}]\n", vec![star; 9].join(",")));
        }
        let (root, errors) = parse(&bomb);
        assert!(errors.is_empty(), "{errors:?}");
        let Value::Map(m) = &root.value else { panic!() };
        assert_eq!(m.len(), 30);
        let (_, errors) = parse(&"[".repeat(200_000));
        assert_eq!(errors.len(), 1);
        let (_, errors) = parse(&"{a: ".repeat(200_000));
        assert_eq!(errors.len(), 1);
    }

    #[test]
    fn ruamel_yaml_1_2_scalar_table() {
        // What `ruamel.yaml.YAML(typ="rt", pure=True)` 0.19.1 loads `a: <value>` as, one
        // fresh loader per value: this table was produced by ruamel itself (see
        // ARCHITECTURE.md "Decisions").
        use Kind::*;
        let cases: &[(&str, Kind, Kind)] = &[
            // value, YAML 1.2 (the default), YAML 1.1 (`%YAML 1.1`)
            ("yes", Str, Bool),
            ("No", Str, Bool),
            ("on", Str, Bool),
            ("y", Str, Bool),
            ("true", Bool, Bool),
            ("FALSE", Bool, Bool),
            ("1.5", Number, Number),
            ("3.10", Number, Number),
            ("1.", Number, Number),
            ("-.5", Number, Str),
            (".5", Number, Number),
            ("1e5", Number, Number),
            (".5e5", Str, Str),
            (".5e+5", Number, Number),
            ("+.inf", Number, Number),
            (".NaN", Number, Number),
            ("1_0", Number, Number),
            ("0o17", Number, Str),
            ("017", Number, Number),
            ("0x1F", Number, Number),
            ("0b101", Number, Number),
            ("1:30", Str, Number),
            ("1:30.5", Str, Number),
            ("1.2.3", Str, Str),
            ("numpy=1.10", Str, Str),
            ("1.16.*", Str, Str),
            ("2020-01-01", Timestamp, Timestamp),
            ("2001-12-14t21:59:43.10-05:00", Timestamp, Timestamp),
            ("2020-01-011", Str, Str),
            ("~", Null, Null),
            ("null", Null, Null),
            ("NULL", Null, Null),
            ("nULL", Str, Str),
            ("<<", Other, Other),
            ("=", Other, Other),
            ("_1", Str, Str),
            ("-", Str, Str),
            ("+", Str, Str),
            ("08", Number, Str),
            ("09.5", Number, Number),
            ("0", Number, Number),
            ("00", Number, Number),
            ("1__", Number, Number),
            ("+1", Number, Number),
            ("0x", Str, Str),
            ("1e", Str, Str),
            ("2020-1-1 1:00:00", Timestamp, Timestamp),
            ("2020-01-01 10:00:00 +1", Timestamp, Timestamp),
        ];
        for &(v, k12, k11) in cases {
            assert_eq!(plain_kind(v, Version::V1_2), k12, "1.2 {v}");
            assert_eq!(plain_kind(v, Version::V1_1), k11, "1.1 {v}");
        }
        let (root, _) = parse("%YAML 1.1\n---\na: yes\n");
        assert_eq!(root.get("a").unwrap().kind(), "a boolean");
        let (root, _) =
            parse("a: yes\nb: '1.5'\nc: !!float '1'\nd: !foo x\ne: ~\nf:\ng: ! 12\nh: ! '1'\n");
        let kinds: Vec<&str> = ["a", "b", "c", "d", "e", "f", "g", "h"]
            .iter()
            .map(|k| root.get(k).unwrap().kind())
            .collect();
        assert_eq!(
            kinds,
            [
                "a string",
                "a string",
                "a number",
                "a tagged value",
                "null",
                "null",
                "a number",
                "a string"
            ]
        );
    }
}
/// Mutated documents: every span stays on character boundaries inside the text, and a
/// verbatim scalar's `inner` text is its value (the 1:1 rule that edits rely on).
#[cfg(test)]
mod span_properties {
    use super::{parse, Node, Value};

    /// `seed` after `edits` random edits (insert, remove or replace a character of
    /// `alphabet`), drawn from `rnd`: the mutation both mutated-document tests make.
    pub(super) fn mutated(
        seed: &str,
        edits: usize,
        alphabet: &[char],
        rnd: &mut impl FnMut() -> usize,
    ) -> String {
        let mut s: Vec<char> = seed.chars().collect();
        for _ in 0..edits {
            let pos = rnd() % (s.len() + 1);
            let c = alphabet[rnd() % alphabet.len()];
            match rnd() % 3 {
                0 => s.insert(pos, c),
                1 if pos < s.len() => {
                    s.remove(pos);
                }
                _ if pos < s.len() => s[pos] = c,
                _ => {}
            }
        }
        s.into_iter().collect()
    }

    const SEEDS: [&str; 5] = [
        "name: x\ndependencies:\n  - numpy=1.17\n  - pip:\n    - tf==1\n",
        "a: &x [1, {b: c}]\nb: *x\nc: |\n  t\n",
        "%YAML 1.2\n---\n? [a]\n: \"b\\x41\"\n...\n",
        "\u{e9}: '\u{fc}''x'\nd: [\"\\u00e9\", \u{e9}]\n",
        "%FOO \u{e9}\n---\na: \"x\"\r\nb: x\rc: y\n",
    ];

    fn check(t: &str, n: &Node) {
        let ok = |a: usize, b: usize| {
            a <= b && b <= t.len() && t.is_char_boundary(a) && t.is_char_boundary(b)
        };
        assert!(ok(n.span.start, n.span.end), "{t:?} {n:?}");
        match &n.value {
            Value::Scalar(s) => {
                assert!(ok(s.inner.start, s.inner.end), "{t:?} {s:?}");
                if s.verbatim {
                    assert_eq!(&t[s.inner.start..s.inner.end], s.value, "{t:?}");
                }
            }
            Value::Seq(v) => v.iter().for_each(|c| check(t, c)),
            Value::Map(m) => m.iter().for_each(|(k, v)| {
                check(t, k);
                check(t, v)
            }),
            Value::Null | Value::Alias => {}
        }
    }

    #[test]
    fn spans_are_exact_on_mutated_documents() {
        let alphabet: Vec<char> = "[]{}\"'\\:,-#&*!|>?%@` \n\r\ta1.\u{e9}\u{1f600}~=+"
            .chars()
            .collect();
        let mut st: u64 = 0x9E37_79B9_7F4A_7C15;
        let mut rnd = move || {
            st ^= st << 13;
            st ^= st >> 7;
            st ^= st << 17;
            st as usize
        };
        for _ in 0..20_000 {
            let seed = SEEDS[rnd() % SEEDS.len()];
            let edits = 1 + rnd() % 10;
            let text = mutated(seed, edits, &alphabet, &mut rnd);
            let (root, errors) = parse(&text);
            check(&text, &root);
            for e in errors {
                assert!(e.span.start <= e.span.end && e.span.end <= text.len());
                assert!(text.is_char_boundary(e.span.start) && text.is_char_boundary(e.span.end));
            }
        }
    }
}

/// [`read`] with a reader that keeps, drops or streams each collection (by a seeded choice)
/// gives what [`parse`] gives: the same errors, the same root, and, under each collection,
/// the children it keeps (tree), none (hollow) or the ones handed over (stream), in order.
/// conda's reader relies on this to read a long list without holding it.
#[cfg(test)]
mod streaming {
    use super::{parse, read, Keep, Node, Reader, Role, Value};

    /// Chooses each collection's keeping from a seed; records what it is handed.
    struct Chooser {
        seed: u64,
        /// Per collection, in the order they opened: how it was kept.
        keeps: Vec<Keep>,
        /// Per collection, the children handed over (key, node).
        items: Vec<Vec<(Option<Node>, Node)>>,
    }

    impl Reader for Chooser {
        fn open(&mut self, parent: Option<Role>, _: Option<&Node>, _: bool) -> Role {
            assert_ne!(parent.map(|p| p.keep), Some(Keep::Hollow));
            self.seed ^= self.seed << 13;
            self.seed ^= self.seed >> 7;
            self.seed ^= self.seed << 17;
            let keep = [Keep::Tree, Keep::Hollow, Keep::Stream][(self.seed % 3) as usize];
            self.keeps.push(keep);
            self.items.push(Vec::new());
            Role {
                keep,
                tag: (self.keeps.len() - 1) as u32,
            }
        }
        fn item(&mut self, parent: Role, key: Option<Node>, node: Node) {
            assert_eq!(self.keeps[parent.tag as usize], Keep::Stream);
            self.items[parent.tag as usize].push((key, node));
        }
    }

    fn children(n: &Node) -> Vec<(Option<&Node>, &Node)> {
        match &n.value {
            Value::Seq(v) => v.iter().map(|c| (None, c)).collect(),
            Value::Map(m) => m.iter().map(|(k, v)| (Some(k), v)).collect(),
            _ => vec![],
        }
    }

    /// `got` (from the chooser's read) against `want` (the whole tree), collections taken
    /// in the order they opened (document order, a key before its value).
    fn same(want: &Node, got: &Node, ch: &Chooser, next: &mut usize) {
        assert_eq!(want.span, got.span);
        let collection = matches!(want.value, Value::Seq(_) | Value::Map(_));
        if !collection {
            assert_eq!(want, got);
            return;
        }
        assert_eq!(
            std::mem::discriminant(&want.value),
            std::mem::discriminant(&got.value)
        );
        let tag = *next;
        *next += 1;
        let theirs: Vec<(Option<&Node>, &Node)> = match ch.keeps[tag] {
            // Nothing under it opened: no tags to skip.
            Keep::Hollow => return assert!(children(got).is_empty()),
            Keep::Tree => children(got),
            Keep::Stream => {
                assert!(children(got).is_empty());
                ch.items[tag].iter().map(|(k, v)| (k.as_ref(), v)).collect()
            }
        };
        let ours = children(want);
        assert_eq!(ours.len(), theirs.len());
        for ((wk, wv), (gk, gv)) in ours.into_iter().zip(theirs) {
            assert_eq!(wk.is_some(), gk.is_some());
            if let (Some(wk), Some(gk)) = (wk, gk) {
                same(wk, gk, ch, next);
            }
            same(wv, gv, ch, next);
        }
    }

    #[test]
    fn a_reader_gets_what_the_tree_holds() {
        let alphabet: Vec<char> = "[]{}\"'\\:,-#&*!|>?%@` \n\r\ta1.\u{e9}~=+"
            .chars()
            .collect();
        let seeds = [
            "name: x\ndependencies:\n  - numpy=1.17\n  - pip:\n    - tf==1\n    - [a]\n  - {pip: [b, c], x: [d]}\n",
            "a: &x [1, {b: c}]\nb: *x\nc: |\n  t\n? [k]\n: v\n",
            "- a\n- b:\n  - c\n  - d: e\n    f:\n-\n- [x, {y: z}]\n",
            "dependencies:\n- pip:\n  - a\n  pip:\n  - b\ndependencies: [x, {pip: [y]}]\n",
        ];
        let mut st: u64 = 0x2545_F491_4F6C_DD1D;
        let mut rnd = move || {
            st ^= st << 13;
            st ^= st >> 7;
            st ^= st << 17;
            st as usize
        };
        for round in 0..4_000 {
            let seed = seeds[rnd() % seeds.len()];
            let edits = rnd() % 6;
            let text = super::span_properties::mutated(seed, edits, &alphabet, &mut rnd);
            let (want, want_errors) = parse(&text);
            let mut ch = Chooser {
                seed: round as u64 * 2 + 1,
                keeps: vec![],
                items: vec![],
            };
            let (got, got_errors) = read(&text, &mut ch);
            assert_eq!(want_errors, got_errors, "{text:?}");
            let mut next = 0;
            same(&want, &got, &ch, &mut next);
            assert_eq!(next, ch.keeps.len(), "{text:?}");
        }
    }
}
