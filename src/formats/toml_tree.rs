//! A lean TOML document tree, built straight from `toml_parser`'s events.
//!
//! `toml::de::DeTable::parse` lexes the whole text into a token list, turns it into an event
//! list of the same length, and only then builds its tree: a `BTreeMap` per table (about 1 KB
//! even for a two-key table) and 56 bytes per value. On an 8 MiB file of short entries the
//! three together peaked at 327 MB (issue 15 §4). Here the events go straight into the tree
//! (no event list), a table is a vector of its entries (a lookup index only while it is
//! built and large), and a value is 32 bytes with a `u32` span.
//!
//! The tree is the one `toml` builds, for every document it accepts: the same values, keys
//! (decoded by the same `toml_parser` decoders), spans (a `[table]`'s span is its header, an
//! implicit table's the key that made it, an array of tables' its first header, the root's
//! `0..0`) and key order (tables iterate by key, as `toml`'s `BTreeMap` does). The checks
//! `toml` makes while it builds (duplicate keys, a table defined twice, dotted keys into an
//! inline table or an array, a `[table]` over dotted keys, the depth limits) are made the
//! same way. Whenever anything is wrong, nothing of this tree is used: `toml::de::DeTable`
//! parses the text again, up to the run the error lies in and with the plain arrays before
//! it blanked ([`error_in`]), so a malformed file gets `toml`'s own error at `toml`'s own
//! span; should `toml` accept what this builder refused, it parses the whole text and its
//! tree is converted (so the reading never depends on this builder's refusals).
//! `tests::same_tree_as_toml*` compare both, trees and errors, on the fixtures, the fuzz
//! corpus (cut, with a byte dropped or a bracket, quote or key inserted) and hand-written
//! edge cases.

use crate::hash::HashMap;
use std::borrow::Cow;
use std::ops::Range;

use toml::de::{DeTable, DeValue};
use toml_parser::decoder::{Encoding, ScalarKind};
use toml_parser::lexer::TokenKind;
use toml_parser::parser::{EventReceiver, RecursionGuard, ValidateWhitespace};
use toml_parser::{ErrorSink, ParseError, Raw, Source, Span as TSpan};

/// `toml`'s limits (`toml::de::parser::LIMIT`, not configurable): nesting of arrays and
/// inline tables, and the parts of one dotted key before its last.
const LIMIT: u32 = 80;
/// A text longer than this is lexed twice, to size its token buffer exactly.
const SIZE_EXACTLY_FROM: usize = 256 * 1024;
/// A table with more entries than this gets a lookup index while it is built.
const INDEX_AT: usize = 8;

/// A value or key with the byte range it was read from.
#[derive(Clone, Debug)]
pub(crate) struct Spanned<T> {
    start: u32,
    end: u32,
    value: T,
}

impl<T> Spanned<T> {
    fn new(start: u32, end: u32, value: T) -> Self {
        Spanned { start, end, value }
    }

    pub(crate) fn get_ref(&self) -> &T {
        &self.value
    }

    pub(crate) fn span(&self) -> Range<usize> {
        self.start as usize..self.end as usize
    }
}

pub(crate) type Key<'i> = Spanned<Cow<'i, str>>;
pub(crate) type Value<'i> = Spanned<Item<'i>>;

/// A TOML value. Readers only ever look inside strings, booleans, arrays and tables; the
/// other types are kept for what they are (their text was checked as `toml` checks it).
#[derive(Clone, Debug)]
pub(crate) enum Item<'i> {
    String(Cow<'i, str>),
    Integer,
    Float,
    Boolean(bool),
    Datetime,
    /// Boxed, as tables are: a value is then 24 bytes (32 with its span), the size of a
    /// string's `Cow`.
    Array(Box<Array<'i>>),
    Table(Box<Table<'i>>),
}

impl<'i> Item<'i> {
    pub(crate) fn as_str(&self) -> Option<&str> {
        match self {
            Item::String(s) => Some(s),
            _ => None,
        }
    }

    pub(crate) fn as_table(&self) -> Option<&Table<'i>> {
        match self {
            Item::Table(t) => Some(t),
            _ => None,
        }
    }
}

/// An array's values; `tables` when it is an array of tables (`[[x]]`).
#[derive(Clone, Debug, Default)]
pub(crate) struct Array<'i> {
    items: Vec<Value<'i>>,
    tables: bool,
}

impl<'i> std::ops::Deref for Array<'i> {
    type Target = [Value<'i>];
    fn deref(&self) -> &[Value<'i>] {
        &self.items
    }
}

/// A table: its entries ordered by key once built (as `toml`'s `BTreeMap` iterates them).
#[derive(Clone, Debug, Default)]
pub(crate) struct Table<'i> {
    entries: Vec<(Key<'i>, Value<'i>)>,
    /// Key -> position, while the table is built and has more than [`INDEX_AT`] entries.
    /// Boxed: most tables never have one, and the box keeps them 40 bytes smaller.
    #[allow(clippy::box_collection)]
    index: Option<Box<HashMap<Cow<'i, str>, u32>>>,
    /// Made by a header's or a dotted key's path, not (yet) defined by a header of its own.
    implicit: bool,
    /// Made or extended by a dotted key.
    dotted: bool,
    /// An inline table `{ ... }`, or made by a dotted key inside one: closed to extension.
    inline: bool,
}

impl<'i> Table<'i> {
    /// The value of `key`.
    pub(crate) fn get(&self, key: &str) -> Option<&Value<'i>> {
        let i = self
            .entries
            .binary_search_by(|(k, _)| k.value.as_ref().cmp(key))
            .ok()?;
        Some(&self.entries[i].1)
    }

    pub(crate) fn iter(&self) -> impl Iterator<Item = (&Key<'i>, &Value<'i>)> {
        self.entries.iter().map(|(k, v)| (k, v))
    }

    /// Position of `key` while the table is built (entries not yet in key order).
    fn find(&self, key: &str) -> Option<usize> {
        match &self.index {
            Some(ix) => ix.get(key).map(|&i| i as usize),
            None => self.entries.iter().position(|(k, _)| k.value == key),
        }
    }

    fn push(&mut self, key: Key<'i>, value: Value<'i>) {
        let at = self.entries.len() as u32;
        if let Some(ix) = &mut self.index {
            ix.insert(key.value.clone(), at);
        }
        self.entries.push((key, value));
        if self.index.is_none() && self.entries.len() > INDEX_AT {
            let ix = self
                .entries
                .iter()
                .enumerate()
                .map(|(i, (k, _))| (k.value.clone(), i as u32))
                .collect();
            self.index = Some(Box::new(ix));
        }
    }

    fn remove(&mut self, i: usize) -> (Key<'i>, Value<'i>) {
        let removed = self.entries.swap_remove(i);
        if let Some(ix) = &mut self.index {
            ix.remove(removed.0.value.as_ref());
            if let Some((moved, _)) = self.entries.get(i) {
                ix.insert(moved.value.clone(), i as u32);
            }
        }
        removed
    }

    /// The table a header or dotted key names through `path`, made (implicit) where absent:
    /// `toml`'s `descend_path`, `None` where `toml` reports an error.
    fn descend(&mut self, path: &[Key<'i>], dotted: bool) -> Option<&mut Table<'i>> {
        let mut table = self;
        for key in path {
            let i = match table.find(&key.value) {
                Some(i) => i,
                None => {
                    let made = Table {
                        implicit: true,
                        dotted,
                        ..Table::default()
                    };
                    let v = Spanned::new(key.start, key.end, Item::Table(Box::new(made)));
                    table.push(key.clone(), v);
                    table.entries.len() - 1
                }
            };
            table = match &mut table.entries[i].1.value {
                Item::Array(a) if a.tables => match a.items.last_mut() {
                    Some(Spanned {
                        value: Item::Table(t),
                        ..
                    }) => t,
                    _ => return None,
                },
                Item::Table(t) => {
                    if t.inline {
                        return None;
                    }
                    if dotted && t.implicit {
                        t.dotted = true;
                    }
                    if dotted && !t.implicit {
                        return None;
                    }
                    t
                }
                _ => return None,
            };
        }
        Some(table)
    }

    /// Inside an inline table: `toml`'s inline `descend_path` (always dotted).
    fn descend_inline(&mut self, path: &[Key<'i>]) -> Option<&mut Table<'i>> {
        let mut table = self;
        for key in path {
            let i = match table.find(&key.value) {
                Some(i) => i,
                None => {
                    let made = Table {
                        implicit: true,
                        dotted: true,
                        inline: true,
                        ..Table::default()
                    };
                    let v = Spanned::new(key.start, key.end, Item::Table(Box::new(made)));
                    table.push(key.clone(), v);
                    table.entries.len() - 1
                }
            };
            table = match &mut table.entries[i].1.value {
                Item::Table(t) if t.implicit => t,
                _ => return None,
            };
        }
        Some(table)
    }
}

/// A document's root table.
pub(crate) type Document<'i> = Table<'i>;

/// Parse `text`. `Err` carries `toml`'s own error (message and span) for a document it
/// refuses. The readers call its two halves, [`build_first`] and [`toml_verdict`]
/// (`toml_doc::Ctx::parse_document`); the tests call both at once.
#[cfg(test)]
pub(crate) fn parse(text: &str) -> Result<Document<'_>, toml::de::Error> {
    parse_in_runs(text, Lines::RUN)
}

/// [`parse`], building in runs of at least `run` tokens.
#[cfg(test)]
fn parse_in_runs(text: &str, run: usize) -> Result<Document<'_>, toml::de::Error> {
    first_build(text, run).or_else(|refused| toml_verdict(text, refused))
}

/// What the builder refused: the byte range its failure lies in, `None` for a text too
/// long for its `u32` spans.
pub(crate) struct Refused(Option<Range<usize>>);

/// The builder's tree, without asking `toml` anything: the first half of [`parse`]. A caller
/// may look at the text between the halves (`toml_doc::Ctx::parse_document` does its nesting
/// guard only then), and finishes with [`toml_verdict`] when this refused.
pub(crate) fn build_first(text: &str) -> Result<Document<'_>, Refused> {
    first_build(text, Lines::RUN)
}

fn first_build(text: &str, run: usize) -> Result<Document<'_>, Refused> {
    if u32::try_from(text.len()).is_err() {
        return Err(Refused(None));
    }
    build_in_runs(text, run).map_err(|failed| Refused(Some(failed)))
}

/// The second half of [`parse`], for a text [`build_first`] refused: `toml`'s own error, or
/// `toml`'s tree should it accept what the builder refused.
pub(crate) fn toml_verdict(text: &str, refused: Refused) -> Result<Document<'_>, toml::de::Error> {
    if let Some(e) = refused.0.and_then(|failed| error_in(text, failed)) {
        return Err(e);
    }
    DeTable::parse(text).map(|t| convert_table(t.into_inner()))
}

/// Build the tree, or `None` at the first thing `toml` would report (or anything this
/// builder does not follow).
#[cfg(test)]
fn build(text: &str) -> Option<Document<'_>> {
    build_in_runs(text, Lines::RUN).ok()
}

/// Build the tree, cutting the tokens into runs of at least `run` tokens. `Err` is the byte
/// range of the run `toml`'s error lies in, as far as this builder tells: the first run
/// with a syntax error (`toml` reports every one of those before any other), else the
/// first run the builder refused.
fn build_in_runs(text: &str, run: usize) -> Result<Document<'_>, Range<usize>> {
    let source = Source::new(text);
    // The tokens are parsed a run of whole lines at a time (see [`Lines`]). In a large text
    // a first pass finds the longest run, so the one buffer is sized exactly (one long
    // array's tokens, grown by doubling, would keep up to twice their room); a small text
    // is lexed once, into `toml`'s own estimate of its tokens, at most two runs.
    let capacity = if text.len() > SIZE_EXACTLY_FROM {
        let mut lines = Lines::new(run);
        let longest = source.lex().fold(0, |most, t| match lines.after(t.kind()) {
            Some(n) => most.max(n),
            None => most,
        });
        longest.max(lines.len)
    } else {
        (text.len() / 7 * 2).min(2 * Lines::RUN)
    };
    let mut tokens = Vec::with_capacity(capacity);
    let mut lines = Lines::new(run);
    let mut builder = Builder::new(text);
    let mut sink = Failed(false);
    let mut failed = FirstFailed::default();
    // A run starts at a line at bracket depth 0, where the recursion guard counts 0: each
    // run gets its own guard, so that the builder can be asked after each run.
    let mut parse_run = |tokens: &[toml_parser::lexer::Token], builder: &mut Builder<'_>| {
        let mut ws = ValidateWhitespace::new(builder, source);
        let mut guard = RecursionGuard::new(&mut ws, LIMIT);
        toml_parser::parser::parse_document(tokens, &mut guard, &mut sink);
        sink.0
    };
    let mut start = 0;
    for t in source.lex() {
        tokens.push(t);
        if lines.after(t.kind()).is_some() {
            let syntax = parse_run(&tokens, &mut builder);
            tokens.clear();
            let end = t.span().end();
            failed.after(start..end, syntax, builder.failed);
            start = end;
        }
    }
    let syntax = parse_run(&tokens, &mut builder);
    drop(tokens);
    builder.finish_table();
    let open = !builder.stack.is_empty() || builder.header_open.is_some();
    failed.after(start..text.len(), syntax, builder.failed || open);
    if let Some(run) = failed.first() {
        return Err(run);
    }
    let mut root = builder.root;
    order(&mut root);
    Ok(root)
}

/// The first run with a syntax error and the first the builder refused, by byte range.
#[derive(Default)]
struct FirstFailed {
    syntax: Option<Range<usize>>,
    builder: Option<Range<usize>>,
}

impl FirstFailed {
    /// Run `run` was parsed: whether a syntax error, or a refusal, was met so far.
    fn after(&mut self, run: Range<usize>, syntax: bool, refused: bool) {
        if syntax && self.syntax.is_none() {
            self.syntax = Some(run.clone());
        }
        if refused && self.builder.is_none() {
            self.builder = Some(run);
        }
    }

    /// The run `toml`'s error lies in, if anything failed.
    fn first(self) -> Option<Range<usize>> {
        self.syntax.or(self.builder)
    }
}

/// `toml`'s own error for a text the builder refused, whose error lies in byte range
/// `failed` ([`build_in_runs`]): `toml` parses a text of the same layout cut after that run,
/// the contents of the arrays of plain values before it blanked ([`blanked`]). Nothing that
/// decides its first error is gone: its syntax errors come first (and no run before
/// `failed` has one), a blanked array is still an array, and the builder met no error in
/// the values blanked. None when `toml` accepts that text: the caller asks `toml` about
/// the whole (so a refusal `toml` does not share never decides the error).
/// `tests::same` compares the errors on every text the trees are compared on.
fn error_in(text: &str, failed: Range<usize>) -> Option<toml::de::Error> {
    let cut = blanked(text, failed)?;
    let mut e = DeTable::parse(&cut).err()?;
    drop(cut);
    e.set_input(Some(text));
    Some(e)
}

/// `text` up to the end of `failed`, with the inside of every array of plain values (no
/// inline table at any depth) that ends before `failed` replaced by spaces: one whitespace
/// token where an 8 MiB array held millions (issue 15 §4: `toml`'s tokens, events and
/// tree of a late error's whole text were the peak of its run). Offsets stay as they were.
fn blanked(text: &str, failed: Range<usize>) -> Option<String> {
    let mut bytes = text.get(..failed.end)?.as_bytes().to_vec();
    for inside in plain_arrays(text, failed.start) {
        bytes.get_mut(inside)?.fill(b' ');
    }
    String::from_utf8(bytes).ok()
}

/// The insides of the top-level arrays of plain values among the tokens before `before`
/// (where no syntax error lies: a `[` is an array when a value is due, else a header's).
fn plain_arrays(text: &str, before: usize) -> Vec<Range<usize>> {
    // Open arrays (where their inside starts) and inline tables (`None`), each with
    // whether it holds an inline table.
    let mut open: Vec<(Option<usize>, bool)> = Vec::new();
    let mut insides = Vec::new();
    let mut value_due = false;
    for t in Source::new(text).lex() {
        let span = t.span();
        if span.start() >= before {
            break;
        }
        match t.kind() {
            TokenKind::Whitespace | TokenKind::Comment | TokenKind::Newline => continue,
            TokenKind::LeftSquareBracket if value_due || !open.is_empty() => {
                open.push((Some(span.end()), false));
            }
            TokenKind::LeftCurlyBracket => {
                if let Some(parent) = open.last_mut() {
                    parent.1 = true;
                }
                open.push((None, false));
            }
            TokenKind::RightSquareBracket | TokenKind::RightCurlyBracket if !open.is_empty() => {
                let (inside, tables) = open.pop().unwrap_or_default();
                match (open.last_mut(), inside) {
                    (Some(parent), _) => parent.1 |= tables,
                    (None, Some(from)) if !tables => insides.push(from..span.start()),
                    (None, _) => {}
                }
            }
            _ => {}
        }
        value_due = t.kind() == TokenKind::Equals;
    }
    insides
}

/// Where the token stream may be cut: after a newline outside any bracket, once a run holds
/// [`Lines::RUN`] tokens. A TOML document is a sequence of lines at bracket depth 0, so a run
/// of whole lines is a document of its own, and a document is valid exactly when each run
/// is (any error in a run, or one a cut might make, sends the text to `toml`, see [`parse`]).
/// The tokens of an 8 MiB file of short lines (24 bytes each, a dozen a lockfile line) are
/// then never held at once; one long array still is.
struct Lines {
    depth: usize,
    len: usize,
    run: usize,
}

impl Lines {
    const RUN: usize = 4096;

    fn new(run: usize) -> Self {
        Lines {
            depth: 0,
            len: 0,
            run,
        }
    }

    /// Count `kind`; `Some(run length)` when the run ends after it.
    fn after(&mut self, kind: TokenKind) -> Option<usize> {
        self.len += 1;
        match kind {
            TokenKind::LeftSquareBracket | TokenKind::LeftCurlyBracket => self.depth += 1,
            TokenKind::RightSquareBracket | TokenKind::RightCurlyBracket => {
                self.depth = self.depth.saturating_sub(1);
            }
            TokenKind::Newline if self.depth == 0 && self.len >= self.run => {
                return Some(std::mem::take(&mut self.len));
            }
            _ => {}
        }
        None
    }
}

/// Sort every table's entries by key and drop the lookup indices (no recursion: a path of
/// dotted keys nests far deeper than brackets do).
fn order(root: &mut Table<'_>) {
    fn visit<'a, 'i>(t: &'a mut Table<'i>, work: &mut Vec<&'a mut Item<'i>>) {
        t.index = None;
        t.entries.shrink_to_fit();
        t.entries.sort_unstable_by(|a, b| a.0.value.cmp(&b.0.value));
        work.extend(t.entries.iter_mut().map(|(_, v)| &mut v.value));
    }
    let mut work = Vec::new();
    visit(root, &mut work);
    while let Some(item) = work.pop() {
        match item {
            Item::Table(t) => visit(t, &mut work),
            Item::Array(a) => work.extend(a.items.iter_mut().map(|v| &mut v.value)),
            _ => {}
        }
    }
}

struct Failed(bool);

impl ErrorSink for Failed {
    fn report_error(&mut self, _error: ParseError) {
        self.0 = true;
    }
}

struct Header<'i> {
    path: Vec<Key<'i>>,
    key: Key<'i>,
    start: u32,
    end: u32,
    is_array: bool,
}

enum Frame<'i> {
    Array {
        start: u32,
        items: Vec<Value<'i>>,
    },
    Inline {
        start: u32,
        table: Table<'i>,
        key: Option<(Vec<Key<'i>>, Key<'i>)>,
    },
}

/// `toml`'s document state (`de::parser::document::State`) fed by events as they come.
struct Builder<'i> {
    text: &'i str,
    root: Table<'i>,
    /// The table of the current `[header]` section (the root's before the first).
    current: Table<'i>,
    header: Option<Header<'i>>,
    /// Inside `[` / `[[`: whether an array of tables, where it opened.
    header_open: Option<(bool, u32)>,
    /// The parts of the key being read.
    keys: Vec<Key<'i>>,
    /// The key of the document-level `key = value` being read.
    doc_key: Option<(Vec<Key<'i>>, Key<'i>)>,
    /// Open arrays and inline tables.
    stack: Vec<Frame<'i>>,
    failed: bool,
}

impl<'i> Builder<'i> {
    fn new(text: &'i str) -> Self {
        Builder {
            text,
            root: Table::default(),
            current: Table::default(),
            header: None,
            header_open: None,
            keys: Vec::new(),
            doc_key: None,
            stack: Vec::new(),
            failed: false,
        }
    }

    fn raw(&self, span: TSpan, encoding: Option<Encoding>) -> Option<Raw<'i>> {
        let s = self.text.get(span.start()..span.end())?;
        Some(Raw::new_unchecked(s, encoding, span))
    }

    /// The key read so far as (path, last part); `toml` refuses a path of [`LIMIT`] parts.
    /// An undotted key (most keys) leaves the buffer in place with its room, so that the
    /// next key is not a fresh allocation.
    fn take_key(&mut self) -> Option<(Vec<Key<'i>>, Key<'i>)> {
        let key = self.keys.pop()?;
        let path = if self.keys.is_empty() {
            Vec::new()
        } else {
            std::mem::take(&mut self.keys)
        };
        if path.len() >= LIMIT as usize {
            return None;
        }
        Some((path, key))
    }

    fn finish_table(&mut self) {
        let prev = std::mem::take(&mut self.current);
        let Some(h) = self.header.take() else {
            self.root = prev;
            return;
        };
        let mut prev = prev;
        // A `[[package]]` table of two keys would keep room for four.
        prev.entries.shrink_to_fit();
        let prev = Spanned::new(h.start, h.end, Item::Table(Box::new(prev)));
        let Some(parent) = self.root.descend(&h.path, false) else {
            self.failed = true;
            return;
        };
        match (h.is_array, parent.find(&h.key.value)) {
            (true, None) => {
                let a = Array {
                    items: vec![prev],
                    tables: true,
                };
                parent.push(
                    h.key,
                    Spanned::new(h.start, h.end, Item::Array(Box::new(a))),
                );
            }
            (true, Some(i)) => match &mut parent.entries[i].1.value {
                Item::Array(a) if a.tables => a.items.push(prev),
                _ => self.failed = true,
            },
            (false, None) => parent.push(h.key, prev),
            (false, Some(_)) => self.failed = true,
        }
    }

    fn start_table(&mut self, h: Header<'i>) {
        if !h.is_array {
            match self.root.descend(&h.path, false) {
                None => self.failed = true,
                Some(parent) => {
                    if let Some(i) = parent.find(&h.key.value) {
                        match parent.remove(i).1.value {
                            Item::Table(t) if t.implicit && !t.dotted => self.current = *t,
                            _ => self.failed = true,
                        }
                    }
                }
            }
        }
        self.current.implicit = false;
        self.current.dotted = false;
        self.header = Some(h);
    }

    /// A complete value: into the open array or inline table, else under the document key.
    fn deliver(&mut self, value: Value<'i>) {
        match self.stack.last_mut() {
            Some(Frame::Array { items, .. }) => items.push(value),
            Some(Frame::Inline { table, key, .. }) => {
                let Some((path, key)) = key.take() else {
                    self.failed = true;
                    return;
                };
                let ok = match table.descend_inline(&path) {
                    Some(t) if t.dotted != path.is_empty() && t.find(&key.value).is_none() => {
                        t.push(key, value);
                        true
                    }
                    _ => false,
                };
                self.failed |= !ok;
            }
            None => {
                let Some((path, key)) = self.doc_key.take() else {
                    self.failed = true;
                    return;
                };
                let dotted = !path.is_empty();
                let ok = match self.current.descend(&path, dotted) {
                    Some(t) if (!dotted || t.implicit) && t.find(&key.value).is_none() => {
                        t.push(key, value);
                        true
                    }
                    _ => false,
                };
                self.failed |= !ok;
            }
        }
    }

    fn open_header(&mut self, span: TSpan, is_array: bool) {
        if !self.stack.is_empty() || self.header_open.is_some() {
            self.failed = true;
            return;
        }
        self.finish_table();
        self.keys.clear();
        self.header_open = Some((is_array, span.start() as u32));
    }

    fn close_header(&mut self, span: TSpan, is_array: bool) {
        let Some((was_array, start)) = self.header_open.take() else {
            self.failed = true;
            return;
        };
        let Some((path, key)) = self.take_key() else {
            self.failed = true;
            return;
        };
        self.failed |= was_array != is_array;
        self.start_table(Header {
            path,
            key,
            start,
            end: span.end() as u32,
            is_array,
        });
    }
}

impl EventReceiver for Builder<'_> {
    fn std_table_open(&mut self, span: TSpan, _error: &mut dyn ErrorSink) {
        self.open_header(span, false);
    }
    fn std_table_close(&mut self, span: TSpan, _error: &mut dyn ErrorSink) {
        self.close_header(span, false);
    }
    fn array_table_open(&mut self, span: TSpan, _error: &mut dyn ErrorSink) {
        self.open_header(span, true);
    }
    fn array_table_close(&mut self, span: TSpan, _error: &mut dyn ErrorSink) {
        self.close_header(span, true);
    }
    fn inline_table_open(&mut self, span: TSpan, _error: &mut dyn ErrorSink) -> bool {
        self.stack.push(Frame::Inline {
            start: span.start() as u32,
            table: Table {
                inline: true,
                ..Table::default()
            },
            key: None,
        });
        true
    }
    fn inline_table_close(&mut self, span: TSpan, _error: &mut dyn ErrorSink) {
        match self.stack.pop() {
            Some(Frame::Inline {
                start,
                mut table,
                key,
            }) => {
                table.entries.shrink_to_fit();
                self.failed |= key.is_some();
                let end = span.end() as u32;
                self.deliver(Spanned::new(start, end, Item::Table(Box::new(table))));
            }
            _ => self.failed = true,
        }
    }
    fn array_open(&mut self, span: TSpan, _error: &mut dyn ErrorSink) -> bool {
        self.stack.push(Frame::Array {
            start: span.start() as u32,
            items: Vec::new(),
        });
        true
    }
    fn array_close(&mut self, span: TSpan, _error: &mut dyn ErrorSink) {
        match self.stack.pop() {
            Some(Frame::Array { start, mut items }) => {
                items.shrink_to_fit();
                let a = Array {
                    items,
                    tables: false,
                };
                self.deliver(Spanned::new(
                    start,
                    span.end() as u32,
                    Item::Array(Box::new(a)),
                ));
            }
            _ => self.failed = true,
        }
    }
    fn simple_key(&mut self, span: TSpan, encoding: Option<Encoding>, _error: &mut dyn ErrorSink) {
        let Some(raw) = self.raw(span, encoding) else {
            self.failed = true;
            return;
        };
        let mut decoded = Cow::Borrowed("");
        // A decoding error is `toml`'s tree builder's, after every syntax error: the
        // builder's own (see [`FirstFailed`]).
        let mut bad = Failed(false);
        raw.decode_key(&mut decoded, &mut bad);
        self.failed |= bad.0;
        self.keys.push(Spanned::new(
            span.start() as u32,
            span.end() as u32,
            decoded,
        ));
    }
    fn key_val_sep(&mut self, _span: TSpan, _error: &mut dyn ErrorSink) {
        let Some(key) = self.take_key() else {
            self.failed = true;
            return;
        };
        match self.stack.last_mut() {
            Some(Frame::Inline { key: slot, .. }) => {
                self.failed |= slot.is_some();
                *slot = Some(key);
            }
            Some(Frame::Array { .. }) => self.failed = true,
            None => {
                self.failed |= self.doc_key.is_some() || self.header_open.is_some();
                self.doc_key = Some(key);
            }
        }
    }
    fn scalar(&mut self, span: TSpan, encoding: Option<Encoding>, _error: &mut dyn ErrorSink) {
        let Some(raw) = self.raw(span, encoding) else {
            self.failed = true;
            return;
        };
        let (kind, decoded) = match plain_basic(raw.as_str(), encoding) {
            Some(inside) => (ScalarKind::String, Cow::Borrowed(inside)),
            None => {
                #[cfg(test)]
                DECODED.with(|n| n.set(n.get() + 1));
                let mut decoded = Cow::Borrowed("");
                let mut bad = Failed(false);
                let kind = raw.decode_scalar(&mut decoded, &mut bad);
                self.failed |= bad.0;
                (kind, decoded)
            }
        };
        let item = match kind {
            ScalarKind::String => Item::String(decoded),
            ScalarKind::Boolean(b) => Item::Boolean(b),
            ScalarKind::DateTime => {
                self.failed |= decoded.parse::<toml::value::Datetime>().is_err();
                Item::Datetime
            }
            ScalarKind::Float => Item::Float,
            ScalarKind::Integer(_) => Item::Integer,
        };
        self.deliver(Spanned::new(span.start() as u32, span.end() as u32, item));
    }
    fn error(&mut self, _span: TSpan, _error: &mut dyn ErrorSink) {
        self.failed = true;
    }
}

/// The value of a basic string token (`"..."`) with nothing to unescape or refuse inside:
/// the inside itself, as `toml_parser`'s `decode_basic_string` gives it (borrowed, no
/// error), found with one table look-up a byte where the decoder tests each byte against
/// its sets. `None` for any other token (the decoder reads it): another encoding, or a
/// `\`, a control character, DEL or a `"` inside.
fn plain_basic(raw: &str, encoding: Option<Encoding>) -> Option<&str> {
    if encoding != Some(Encoding::BasicString) {
        return None;
    }
    let inside = raw.strip_prefix('"')?.strip_suffix('"')?;
    inside
        .bytes()
        .all(|b| BASIC_UNESCAPED[usize::from(b)])
        .then_some(inside)
}

/// TOML's `basic-unescaped = wschar / %x21 / %x23-5B / %x5D-7E / non-ascii` as a byte table
/// (`non-ascii` is any byte of a multi-byte character: the text is UTF-8 already).
static BASIC_UNESCAPED: [bool; 256] = {
    let mut t = [false; 256];
    let mut b = 0;
    while b < 256 {
        let c = b as u8;
        t[b] = matches!(c, b' ' | b'\t' | 0x21 | 0x23..=0x5B | 0x5D..=0x7E | 0x80..=0xFF);
        b += 1;
    }
    t
};

#[cfg(test)]
thread_local! {
    /// Scalars this thread handed to `toml_parser`'s decoder ([`Builder::scalar`]): a work
    /// counter for [`plain_basic`].
    static DECODED: std::cell::Cell<usize> = const { std::cell::Cell::new(0) };
}

/// `toml`'s tree as this one (only when `toml` accepts a document the builder refused).
fn convert_table(t: DeTable<'_>) -> Table<'_> {
    let entries = t
        .into_iter()
        .map(|(k, v)| {
            let r = k.span();
            let key = Spanned::new(r.start as u32, r.end as u32, k.into_inner());
            (key, convert(v))
        })
        .collect();
    Table {
        entries,
        ..Table::default()
    }
}

fn convert(v: toml::Spanned<DeValue<'_>>) -> Value<'_> {
    let r = v.span();
    let item = match v.into_inner() {
        DeValue::String(s) => Item::String(s),
        DeValue::Integer(_) => Item::Integer,
        DeValue::Float(_) => Item::Float,
        DeValue::Boolean(b) => Item::Boolean(b),
        DeValue::Datetime(_) => Item::Datetime,
        DeValue::Array(a) => Item::Array(Box::new(Array {
            tables: false,
            items: a.into_iter().map(convert).collect(),
        })),
        DeValue::Table(t) => Item::Table(Box::new(convert_table(t))),
    };
    Spanned::new(r.start as u32, r.end as u32, item)
}

/// Both trees, side by side, as one comparable text (spans, keys in order, values).
#[cfg(test)]
pub(crate) fn describe_ours(t: &Table<'_>) -> String {
    fn value(v: &Value<'_>, out: &mut String) {
        use std::fmt::Write;
        let _ = write!(out, "@{}..{}:", v.start, v.end);
        match &v.value {
            Item::String(s) => {
                let _ = write!(out, "s{s:?}");
            }
            Item::Integer => out.push('i'),
            Item::Float => out.push('f'),
            Item::Boolean(b) => {
                let _ = write!(out, "b{b}");
            }
            Item::Datetime => out.push('d'),
            Item::Array(a) => {
                out.push('[');
                for x in a.iter() {
                    value(x, out);
                    out.push(',');
                }
                out.push(']');
            }
            Item::Table(t) => table(t, out),
        }
    }
    fn table(t: &Table<'_>, out: &mut String) {
        use std::fmt::Write;
        out.push('{');
        for (k, v) in t.iter() {
            let _ = write!(out, "{:?}@{}..{}=", k.value, k.start, k.end);
            value(v, out);
            out.push(',');
        }
        out.push('}');
    }
    let mut out = String::new();
    table(t, &mut out);
    out
}

#[cfg(test)]
pub(crate) fn describe_toml(t: &DeTable<'_>) -> String {
    fn value(v: &toml::Spanned<DeValue<'_>>, out: &mut String) {
        use std::fmt::Write;
        let r = v.span();
        let _ = write!(out, "@{}..{}:", r.start, r.end);
        match v.get_ref() {
            DeValue::String(s) => {
                let _ = write!(out, "s{s:?}");
            }
            DeValue::Integer(_) => out.push('i'),
            DeValue::Float(_) => out.push('f'),
            DeValue::Boolean(b) => {
                let _ = write!(out, "b{b}");
            }
            DeValue::Datetime(_) => out.push('d'),
            DeValue::Array(a) => {
                out.push('[');
                for x in a.iter() {
                    value(x, out);
                    out.push(',');
                }
                out.push(']');
            }
            DeValue::Table(t) => table(t, out),
        }
    }
    fn table(t: &DeTable<'_>, out: &mut String) {
        use std::fmt::Write;
        out.push('{');
        for (k, v) in t.iter() {
            let r = k.span();
            let _ = write!(out, "{:?}@{}..{}=", k.get_ref(), r.start, r.end);
            value(v, out);
            out.push(',');
        }
        out.push('}');
    }
    let mut out = String::new();
    table(t, &mut out);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Compare the builder with `toml` on one text: both accept with the same tree, or both
    /// refuse with `toml`'s error.
    pub(crate) fn same(text: &str) {
        // Cut after every line as well: each run must read as the whole does.
        let cut = build_in_runs(text, 1).ok().map(|t| describe_ours(&t));
        let ours = build(text);
        assert_eq!(
            cut,
            ours.as_ref().map(describe_ours),
            "cut into lines, {text:?} reads otherwise"
        );
        let theirs = DeTable::parse(text);
        match (&ours, &theirs) {
            (Some(o), Ok(t)) => assert_eq!(
                describe_ours(o),
                describe_toml(t.get_ref()),
                "trees differ for {text:?}"
            ),
            (None, Err(theirs)) => {
                // The error found from the run it lies in is `toml`'s own, in full (message,
                // span and the text it quotes), however the tokens are cut into runs.
                for run in [Lines::RUN, 1] {
                    assert_eq!(
                        parse_in_runs(text, run).err().as_ref(),
                        Some(theirs),
                        "runs of {run}: another error than toml's for {text:?}"
                    );
                }
            }
            (o, t) => panic!(
                "builder {} but toml {} for {text:?}",
                if o.is_some() { "accepts" } else { "refuses" },
                if t.is_ok() { "accepts" } else { "refuses" }
            ),
        }
    }

    #[test]
    fn same_tree_as_toml() {
        for text in [
            "",
            "a = 1",
            "a = \"x\"\nb = 'y'\nc = \"\"\"\nz\"\"\"\nd = '''w'''\ne = \"caf\\u00e9\"",
            "a = [1, 2.5, true, 1979-05-27T07:32:00Z, \"s\", [], [[]], {}, {x = 1}]",
            "a = 1979-05-27\nb = 07:32:00\nc = 1979-05-27T07:32:00.999",
            "a = 2023-13-45",
            "a = 0x1F\nb = 0o7\nc = 0b1\nd = +inf\ne = nan\nf = 1_000\ng = 1e10",
            "a = 01",
            "a = 1__0",
            "[a]\nb = 1\n[a]\nc = 2",
            "[a.b]\nx = 1\n[a]\ny = 2",
            "[a]\ny = 2\n[a.b]\nx = 1",
            "[a.b.c]\n[a]\nb.d = 1",
            "[a]\nb.c = 1\n[a.b]\nd = 1",
            "[a]\nb.c = 1\n[a.b.d]\ne = 1",
            "a.b = 1\n[a]\nc = 1",
            "a.b = 1\n[a.c]\nd = 1",
            "a.b.c = 1\na.b.d = 2\na.e = 3",
            "a.b = 1\na.b.c = 2",
            "a = {b = 1}\na.c = 2",
            "a = {b = 1}\n[a.c]",
            "a = [1]\n[[a]]",
            "a = [1]\na.b = 1",
            "[[a]]\nx = 1\n[[a]]\ny = 2\n[a.b]\nz = 3\n[[a.c]]\n[[a.c]]",
            "[[a]]\n[a]",
            "[a]\n[[a]]",
            "[[a.b]]\n[a]\nc = 1",
            "[a.b]\n[[a]]",
            "a = {b.c = 1, b.d = 2, e = {f = 1}}",
            "a = {b = 1, b = 2}",
            "a = {b.c = 1, b = 2}",
            "a = {b = {}, b.c = 1}",
            "a = {b.c = 1, b.c.d = 2}",
            "x = 1\nx = 2",
            "\"a.b\" = 1\n'c' = 2\n\"\" = 3\n\"\\u0041\" = 4",
            "[\"a\".'b'.c]\nd = 1",
            "[ a . b ]\n[[ c . d ]]",
            "a = [ 1 , 2 , ]\nb = [\n  1, # c\n  2,\n]",
            "a = \"\\q\"",
            "a = \"x\ny\"",
            "a = 'x",
            "a = [1, 2",
            "a = {b = 1,}",
            "a = {b = 1\n}",
            "[a",
            "[]",
            "a.b.c",
            "= 1",
            "a = ",
            "a = 1 b = 2",
            "# comment\u{7f}",
            "a = 1\r\nb = 2\r\n",
            "a = 1\rb = 2",
            "\u{feff}a = 1",
            "[a]\n[b]\n[a.c]\n[b.d]\n[a]",
            "[tool.poetry.dependencies]\nnumpy = {version = \"1\", python = \"3\"}\n[tool.poetry]\nname = \"p\"",
            "[[package]]\nname = \"a\"\n[[package]]\nname = \"b\"\n[package.source]\nx = 1",
            // Errors after arrays (blanked when `toml` is asked for the error).
            "a = [1, 2]\nb = [\"x\", [3, 4], []]\n[x]\n[x]",
            "a = [1, {b = 1}]\nc = 1\nc = 2",
            "a = [[{b = 1}], [2]]\na = 3",
            "a = [\"\\q\"]\nb = 1\nb = 2",
            "a = [1, 2]\nb = [01]\nb = 1",
            "a = [\n 1, # c\n 2,\n]\n[t]\nx = [1]\n[t]",
            "a = [1, 2]\nb = \"x\ny\"",
            "a = [1, 2]\nb = [3\nc = 1",
            "a = [1, 2]\nb = 1\nb = 2\nc = [",
            "x = {a = [1, 2]}\nx.b = 1",
            "a = []\n[a.b]",
            "a = [1]\n[a]",
            "[t]\na = [1]\n[t.a]",
            "a = ['x', \"\"\"y\n\"\"\", '''z''']\na = 1",
            "a = [1979-05-27, 07:32:00]\n[[a]]",
            "a = [2023-13-45]\nb = 1\nb = 2",
        ] {
            same(text);
        }
        // Deep nesting: at and past toml's limits.
        for n in [79, 80, 81, 100] {
            same(&format!("a = {}1{}", "[".repeat(n), "]".repeat(n)));
            same(&format!("a = {}{}", "{b = ".repeat(n), "}".repeat(n)));
            let path = vec!["k"; n].join(".");
            same(&format!("{path} = 1"));
            same(&format!("[{path}]"));
            same(&format!("x = {{{path} = 1}}"));
        }
    }

    /// Every TOML text of the repository (fixtures, rule files, the fuzz corpus of every
    /// target), whole and cut short at several points and with one byte dropped at several
    /// points (most of those are errors, which both must refuse).
    #[test]
    fn same_tree_as_toml_on_the_repositorys_files() {
        fn walk(dir: &std::path::Path, out: &mut Vec<std::path::PathBuf>) {
            for e in std::fs::read_dir(dir).into_iter().flatten().flatten() {
                let p = e.path();
                if p.is_dir() {
                    walk(&p, out);
                } else {
                    out.push(p);
                }
            }
        }
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        let mut files = Vec::new();
        for d in ["fixtures", "rules", "fuzz/corpus"] {
            walk(&root.join(d), &mut files);
        }
        let mut read = 0;
        for f in files {
            let name = f.file_name().and_then(|n| n.to_str()).unwrap_or("");
            let in_corpus = f.components().any(|c| {
                let c = c.as_os_str();
                [
                    "pyproject",
                    "pipfile",
                    "poetry_lock",
                    "uv_lock",
                    "pdm_lock",
                    "pylock",
                ]
                .iter()
                .any(|d| c == *d)
                    || c == "pipeline"
            });
            let toml_name = name.ends_with(".toml") || name.ends_with(".lock") || name == "Pipfile";
            if !(toml_name || in_corpus) {
                continue;
            }
            let Ok(text) = std::fs::read_to_string(&f) else {
                continue;
            };
            read += 1;
            same(&text);
            let cuts: Vec<usize> = (1..5)
                .map(|k| text.len() * k / 5)
                .filter(|&i| text.is_char_boundary(i) && text.is_char_boundary(i + 1))
                .collect();
            for &i in &cuts {
                same(&text[..i]);
                same(&format!("{}{}", &text[..i], &text[i + 1..]));
                // A bracket, quote or key inserted: syntax errors and redefinitions.
                for insert in [
                    "[",
                    "]",
                    "{",
                    "\"",
                    "'",
                    "=",
                    "\n[x]\n[x]\n",
                    "\na = 1\na = 2\n",
                ] {
                    same(&format!("{}{insert}{}", &text[..i], &text[i..]));
                }
            }
            // A late error after the whole text (the hostile input's shape).
            same(&format!("{text}\n[x]\n[x]\n"));
        }
        assert!(read > 100, "only {read} TOML texts found");
    }

    /// Issue 15 §4: an 8 MiB array of 2M short strings holds 2M values at once.
    #[test]
    fn a_value_is_32_bytes_with_its_span() {
        assert_eq!(std::mem::size_of::<Value<'_>>(), 32);
        assert_eq!(std::mem::size_of::<Key<'_>>(), 32);
    }

    #[test]
    fn large_tables_use_their_index_the_same_way() {
        let mut text = String::from("[t]\n");
        for i in (0..100).rev() {
            text.push_str(&format!("k{i} = {i}\n"));
        }
        same(&text);
        same(&format!("{text}k5 = 1\n"));
        same(&format!("{text}k50.x = 1\n[t.k7]\n"));
        let mut dotted = String::new();
        for i in 0..50 {
            dotted.push_str(&format!("a.b{i}.c = {i}\n"));
        }
        same(&dotted);
        same(&format!("{dotted}[a.b3]\n"));
        same(&format!("{dotted}[a.b3.d]\n"));
    }

    /// [`plain_basic`] takes a string token exactly when it is a basic string that
    /// `toml_parser`'s decoder reads as its own inside without an error (an escape always
    /// shortens the value, so a value equal to the inside had none), and then gives that
    /// value: every ASCII byte, non-ASCII characters, escapes (valid and not), quotes and
    /// backslashes, alone, doubled and inside a requirement string, in each encoding.
    #[test]
    fn plain_basic_strings_are_what_the_decoder_reads_as_their_inside() {
        let mut pieces: Vec<String> = (0u8..0x80).map(|b| char::from(b).to_string()).collect();
        pieces.extend(
            [
                "\u{e9}",
                "\u{3000}",
                "\u{10ffff}",
                "\\n",
                "\\\\",
                "\\\"",
                "\\u00e9",
                "\\x41",
                "\\e",
                "\\q",
                "\\",
                "\"\"",
                "\r\n",
                "",
            ]
            .map(String::from),
        );
        let mut taken = 0;
        for p in &pieces {
            for inside in [
                p.clone(),
                format!("{p}{p}"),
                format!("numpy{p}>=1.16"),
                format!("pkg-001 ; python_version < '3.8' {p}"),
            ] {
                for (encoding, raw) in [
                    (Some(Encoding::BasicString), format!("\"{inside}\"")),
                    (Some(Encoding::LiteralString), format!("'{inside}'")),
                    (
                        Some(Encoding::MlBasicString),
                        format!("\"\"\"{inside}\"\"\""),
                    ),
                    (None, inside.clone()),
                ] {
                    let span = TSpan::new_unchecked(0, raw.len());
                    let mut decoded = Cow::Borrowed("");
                    let mut bad = Failed(false);
                    let kind = Raw::new_unchecked(&raw, encoding, span)
                        .decode_scalar(&mut decoded, &mut bad);
                    let as_inside = encoding == Some(Encoding::BasicString)
                        && !bad.0
                        && kind == ScalarKind::String
                        && decoded == inside.as_str();
                    assert_eq!(
                        plain_basic(&raw, encoding),
                        as_inside.then_some(inside.as_str()),
                        "{raw:?} {encoding:?}"
                    );
                    taken += usize::from(as_inside);
                }
            }
        }
        // Most printable characters are taken, alone and in requirement strings.
        assert!(taken > 300, "{taken}");
    }

    /// The work bound of [`plain_basic`]: the strings of a pyproject.toml's dependency list
    /// do not go through `toml_parser`'s decoder (a test of each byte against five sets);
    /// only the scalars that are not plain basic strings do (here an integer, a boolean and
    /// an escaped string). The tree is `toml`'s all the same.
    #[test]
    fn plain_strings_skip_the_decoder() {
        let mut text = String::from(
            "[project]\nname = \"p\"\nn = 1\nb = true\ne = \"caf\\u00e9\"\ndependencies = [\n",
        );
        for i in 0..50 {
            text += &format!("    \"pkg-{i:03} >=1.{i}; python_version < '3.8'\",\n");
        }
        text += "]\n";
        let before = DECODED.with(|n| n.get());
        assert!(build(&text).is_some());
        assert_eq!(DECODED.with(|n| n.get()) - before, 3);
        same(&text);
    }

    /// The work bound of [`Builder::take_key`]: an undotted key leaves the key buffer where
    /// it is, so the next key goes into the same room (each key took a fresh buffer, one
    /// allocation a key: 89 -> 84 a PEP 621 file in `tests/integration/allocations.rs`); a
    /// dotted key's path takes the buffer with it.
    #[test]
    fn an_undotted_key_keeps_the_key_buffer() {
        let text = "a = 1\nb = 2\nc.d = 3\n";
        let key = |start: usize, end: usize| {
            Spanned::new(start as u32, end as u32, Cow::Borrowed(&text[start..end]))
        };
        let mut b = Builder::new(text);
        b.keys.push(key(0, 1));
        let room = b.keys.as_ptr();
        let (path, a) = b.take_key().unwrap();
        assert!(path.is_empty() && a.value == "a");
        b.keys.push(key(6, 7));
        assert_eq!(b.keys.as_ptr(), room, "a new buffer for the second key");
        let (path, k) = b.take_key().unwrap();
        assert!(path.is_empty() && k.value == "b");
        b.keys.push(key(12, 13));
        b.keys.push(key(14, 15));
        let (path, d) = b.take_key().unwrap();
        assert_eq!(
            (path.len(), path[0].value.as_ref(), d.value.as_ref()),
            (1, "c", "d")
        );
        assert!(b.keys.is_empty() && b.take_key().is_none());
    }
}
