//! pip requirements files (`requirements.txt`, constraints files).
//!
//! This reader follows pip's own parser, `pip/_internal/req/req_file.py`, step by step:
//!
//! 1. the text is split with `str.splitlines()` (`physical_lines`);
//! 2. `join_lines`: a line ending in `\` is joined to the next one, except that a line that is
//!    only a comment never continues and closes an open continuation (`join_lines`);
//! 3. `ignore_comments`: `COMMENT_RE = (^|\s+)#.*$` is removed and the line stripped;
//! 4. `expand_env_variables`: `${NAME}` (NAME in `[A-Z0-9_]+`) is replaced from the
//!    environment. We cannot know the environment, so such a line is reported as unevaluable;
//! 5. `break_args_options`: the line is cut at the first space-separated token that starts
//!    with `-`; what comes before is the requirement, what follows is `shlex.split` and parsed
//!    with `optparse` (`shlex_split`, `parse_options`);
//! 6. the requirement text goes through pip's `parse_req_from_line` rules (URL or path or
//!    PEP 508 string) and then `pep508_rs`.
//!
//! Every span points into the decoded text of the file it came from. A logical line built by
//! joining continuation lines keeps a map from its offsets back to the file
//! (`LogicalLine::map`), so a requirement split over lines by `\` still maps each piece back.
//!
//! Unlike pip, a bad line does not abort the file: it becomes a [`Problem`] and reading goes
//! on with the next line.

use crate::markers::Marker;
use crate::versions::Specifiers;
use std::borrow::Cow;
use std::fmt;
use std::path::Path;
use std::str::FromStr;
use std::sync::Arc;

use pep440_rs::Version;
use pep508_rs::{PackageName, Pep508Url, VersionOrUrl};

use super::Relevant;
use crate::files::Files;
use crate::manifest::{
    FileId, Loc, Parsed, Problem, ProblemKind, Requirement, Role, Syntax, VersionReq,
};
use crate::source::{snap, Span};

/// What one file yields on its own, before its includes are followed.
#[derive(Clone, Debug, Default)]
pub struct FileParse {
    pub requirements: Vec<Requirement>,
    pub problems: Vec<Problem>,
    /// `-r` / `-c` lines, in file order, not yet resolved.
    pub includes: Vec<Include>,
    /// A requirement carries `--hash`, or an option line says `--require-hashes`.
    pub hashed: bool,
    /// An option line says `--pre`.
    pub pre: bool,
}

/// An unresolved `-r` / `-c` line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Include {
    pub kind: IncludeKind,
    /// The argument as pip sees it (after shell-style unquoting).
    pub target: String,
    /// Where the argument is written.
    pub loc: Loc,
    /// How many of the file's requirements come before the include line: pip reads the
    /// included file at that point.
    pub position: usize,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum IncludeKind {
    /// `-r` / `--requirement`
    Requirements,
    /// `-c` / `--constraint`
    Constraints,
    /// setup.cfg `install_requires = file: ...` (read like `-r`)
    SetuptoolsFile,
}

/// Parse a requirements file and everything it includes (`-r` / `-c`), loading includes
/// through `files` ([`super::include::Resolver`]). Requirements of `-c` files get
/// [`Role::Constrain`].
pub fn parse_unit(files: &mut Files, root: FileId) -> Parsed {
    let mut resolver = super::include::Resolver::default();
    resolver.read_file(files, root, false, 0);
    resolver.finish()
}

/// Parse one file's text without following its includes (stdin, fuzzing). Spans are
/// `base` + offsets into `text`, in file `file`. `role` is [`Role::Constrain`] for a
/// constraints file, [`Role::Require`] otherwise. The `hashed` and `pre` flags of the
/// requirements reflect this text alone.
pub fn parse_text(file: FileId, text: &str, base: usize, role: Role) -> FileParse {
    parse_text_with(file, text, base, role, &Relevant::all())
}

/// [`parse_text`] building in full only the requirements on `relevant` packages: a line on
/// any other package is checked by the PEP 508 scanner (`pep508::plain`) and, when it is
/// plainly valid, not kept at all (no check reads it); anything else goes through the full
/// parse, so the problems are the same as [`parse_text`]'s. An include's `position` counts
/// the requirements kept.
pub fn parse_text_with(
    file: FileId,
    text: &str,
    base: usize,
    role: Role,
    relevant: &Relevant,
) -> FileParse {
    let shift = move |s: Span| Span::new(base + s.start, base + s.end);
    let mut out = read_text(file, text, &shift, role, relevant);
    for r in &mut out.requirements {
        // The edit anchors, from the spans the line reader found.
        if let Some(req_text) = r
            .loc()
            .span
            .start
            .checked_sub(base)
            .zip(r.loc().span.end.checked_sub(base))
            .and_then(|(s, e)| text.get(s..e))
        {
            r.set_anchors(super::pep508::anchors(
                req_text,
                r.loc().span.start,
                r.name_span(),
                &r.version,
                r.loc().span,
            ));
        }
    }
    out
}

/// [`parse_text`] for text that was put together from pieces of a file (conda's `pip:`
/// entries, joined with line breaks as conda writes them): `map` turns a span of `text`
/// into a span of file `file`. Edit anchors are left to the caller, which knows the file's
/// text. Only the requirements on `relevant` packages are kept ([`parse_text_with`]).
pub(crate) fn parse_text_mapped(
    file: FileId,
    text: &str,
    map: &dyn Fn(Span) -> Span,
    role: Role,
    relevant: &Relevant,
) -> FileParse {
    read_text(file, text, map, role, relevant)
}

fn read_text(
    file: FileId,
    text: &str,
    map: &dyn Fn(Span) -> Span,
    role: Role,
    relevant: &Relevant,
) -> FileParse {
    let mut out = FileParse::default();
    let constraint = role == Role::Constrain;
    join_lines(text, |logical, line| {
        let ctx = LineCtx {
            file,
            map,
            logical,
            text: line,
            relevant,
        };
        parse_logical_line(&ctx, constraint, &mut out);
    });
    for r in &mut out.requirements {
        r.hashed = out.hashed;
        r.pre = out.pre;
        if r.role != Role::Unparsed {
            r.role = role;
        }
    }
    out
}

// ---------------------------------------------------------------------------------------
// Lines

/// Python's `str.isspace()`, which is what `\s` and `str.strip()` use on `str`. It is
/// Rust's White_Space plus the information separators U+001C..U+001F.
fn py_space(c: char) -> bool {
    c.is_whitespace() || ('\u{1c}'..='\u{1f}').contains(&c)
}

/// `str.splitlines()`: the (start, end) of each line's content, without terminators.
/// Terminators: `\n`, `\r\n`, `\r`, `\v`, `\f`, `\x1c`, `\x1d`, `\x1e`, `\x85`, U+2028, U+2029.
///
/// Lines are found with `memchr` for `\n` and `\r` when the text holds none of the rarer
/// terminators (checked once, up front), and byte by byte otherwise.
pub(crate) fn physical_lines(text: &str) -> impl Iterator<Item = (usize, usize)> + '_ {
    let b = text.as_bytes();
    // The terminators outside `\n` / `\r` start with one of these bytes; C2 and E2 only
    // ever start a character in UTF-8 (U+0085 is C2 85, U+2028/U+2029 are E2 80 A8/A9).
    let rare = memchr::memchr3(0x0b, 0x0c, 0x1c, b).is_some()
        || memchr::memchr3(0x1d, 0x1e, 0xc2, b).is_some()
        || memchr::memchr(0xe2, b).is_some();
    let mut start = 0;
    let mut done = false;
    std::iter::from_fn(move || {
        if done {
            return None;
        }
        let found = if rare {
            next_terminator_slow(b, start)
        } else {
            memchr::memchr2(b'\n', b'\r', &b[start..]).map(|i| {
                let i = start + i;
                let len = if b[i] == b'\r' && b.get(i + 1) == Some(&b'\n') {
                    2
                } else {
                    1
                };
                (i, len)
            })
        };
        match found {
            Some((i, len)) => {
                let line = (start, i);
                start = i + len;
                Some(line)
            }
            None => {
                done = true;
                (start < b.len()).then_some((start, b.len()))
            }
        }
    })
}

/// The next line terminator at or after `from` (offset, length), any of `splitlines()`'s.
fn next_terminator_slow(b: &[u8], from: usize) -> Option<(usize, usize)> {
    let mut i = from;
    while let Some(&c) = b.get(i) {
        let term = match c {
            b'\r' if b.get(i + 1) == Some(&b'\n') => 2,
            b'\r' | b'\n' | 0x0b | 0x0c | 0x1c | 0x1d | 0x1e => 1,
            0xc2 if b.get(i + 1) == Some(&0x85) => 2,
            0xe2 if b.get(i + 1) == Some(&0x80) && matches!(b.get(i + 2), Some(0xa8 | 0xa9)) => 3,
            _ => {
                i += 1;
                continue;
            }
        };
        return Some((i, term));
    }
    None
}

#[cfg(test)]
thread_local! {
    /// Bytes this thread copied into joined lines (`LogicalLine::text`): a work counter.
    static JOINED_BYTES: std::cell::Cell<usize> = const { std::cell::Cell::new(0) };
}

/// One piece of a logical line: `len` bytes at logical offset `l` come from file offset `p`.
/// A synthetic piece (the space pip prepends to comment lines) has no bytes in the file.
#[derive(Clone, Copy, Debug)]
struct Seg {
    l: usize,
    p: usize,
    len: usize,
    synthetic: bool,
}

/// A line after `join_lines`: the map back to the text it was built from, and the text of
/// a line joined from several pieces. A line is read where it is, not copied, when it is of
/// one piece, or when every piece after its first is `--hash` words that say no more than
/// "hashed" (pip-compile's `--generate-hashes` blocks): then the line's text is its first
/// piece and [`LogicalLine::hashes`] says what the others said.
#[derive(Clone, Debug, Default)]
pub(crate) struct LogicalLine {
    /// The joined text, when the line is not read in place (`joined`).
    text: String,
    segs: Vec<Seg>,
    /// The length of the line pip joins (pieces read in place are counted, not copied).
    len: usize,
    /// `text` holds the line; otherwise the line is its first piece, in the file.
    joined: bool,
    /// Pieces after the first were read in place and held at least one `--hash` word.
    hashes: bool,
}

impl LogicalLine {
    fn clear(&mut self) {
        self.text.clear();
        self.segs.clear();
        self.len = 0;
        self.joined = false;
        self.hashes = false;
    }

    /// Add a piece at file offset `p` (`synthetic`: text that is not in the file), copying
    /// it when the line is joined.
    fn push(&mut self, piece: &str, p: usize, synthetic: bool) {
        if piece.is_empty() {
            return;
        }
        self.segs.push(Seg {
            l: self.len,
            p,
            len: piece.len(),
            synthetic,
        });
        self.len += piece.len();
        if self.joined {
            #[cfg(test)]
            JOINED_BYTES.with(|n| n.set(n.get() + piece.len()));
            self.text.push_str(piece);
        }
    }

    /// The first piece of a continued line: read in place when hash words after it could
    /// be ([`reads_alone`]), else copied.
    fn start(&mut self, piece: &str, p: usize) {
        self.clear();
        self.joined = !reads_alone(piece);
        self.push(piece, p, false);
    }

    /// A piece after the first: skipped in place when the line is still read in place and
    /// the piece is only hash words ([`hash_piece`]); otherwise the line is joined from
    /// here on. `src` is the file's text.
    fn add(&mut self, src: &str, piece: &str, p: usize) {
        if !self.joined {
            if let Some(any) = hash_piece(piece) {
                self.hashes |= any;
                self.push(piece, p, false);
                return;
            }
            self.join(src);
        }
        self.push(piece, p, false);
    }

    /// Copy the pieces read in place so far into `text`: from now on the line is joined.
    fn join(&mut self, src: &str) {
        if self.joined {
            return;
        }
        self.joined = true;
        self.hashes = false;
        for seg in &self.segs {
            #[cfg(test)]
            JOINED_BYTES.with(|n| n.set(n.get() + seg.len));
            self.text.push_str(&src[seg.p..seg.p + seg.len]);
        }
    }

    /// The line's text: the joined text, or its first piece in the file `src`.
    fn line<'s>(&'s self, src: &'s str) -> &'s str {
        if self.joined {
            return &self.text;
        }
        self.segs.first().map_or("", |s| &src[s.p..s.p + s.len])
    }

    /// A line of one piece, `len` bytes at file offset `p`, whose text stays where it is.
    fn single(&mut self, p: usize, len: usize) {
        self.clear();
        if len > 0 {
            self.segs.push(Seg {
                l: 0,
                p,
                len,
                synthetic: false,
            });
            self.len = len;
        }
    }

    /// File offset of the byte at logical offset `pos` (a span start).
    fn map_start(&self, pos: usize) -> usize {
        let i = self.segs.partition_point(|s| s.l <= pos);
        let Some(seg) = i.checked_sub(1).and_then(|i| self.segs.get(i)) else {
            return self.segs.first().map_or(0, |s| s.p);
        };
        let off = pos - seg.l;
        if off >= seg.len {
            // Past the end of the line.
            return if seg.synthetic {
                seg.p
            } else {
                seg.p + seg.len
            };
        }
        if seg.synthetic {
            seg.p
        } else {
            seg.p + off
        }
    }

    /// File offset just after the byte before logical offset `pos` (a span end).
    fn map_end(&self, pos: usize) -> usize {
        if pos == 0 {
            return self.map_start(0);
        }
        let i = self.segs.partition_point(|s| s.l < pos);
        let Some(seg) = i.checked_sub(1).and_then(|i| self.segs.get(i)) else {
            return self.map_start(0);
        };
        if seg.synthetic {
            seg.p
        } else {
            seg.p + (pos - seg.l).min(seg.len)
        }
    }

    /// A logical span as a file span (it may cover the `\` and line break of a
    /// continuation in between).
    fn map(&self, span: Span) -> Span {
        let start = self.map_start(span.start);
        if span.is_empty() {
            return Span::new(start, start);
        }
        Span::new(start, self.map_end(span.end).max(start))
    }
}

/// The length of `s`'s leading [`py_space`] characters ([`super::lead_len`]: byte by byte
/// while they are ASCII).
fn py_space_lead(s: &str) -> usize {
    super::lead_len(s, py_space)
}

/// The length of `s` without its trailing [`py_space`] characters (as [`py_space_lead`]).
fn py_space_trimmed_len(s: &str) -> usize {
    super::trimmed_len(s, py_space)
}

/// The byte range of `s` left by Python's `strip()`, empty when nothing is.
fn py_strip(s: &str) -> (usize, usize) {
    let lo = py_space_lead(s);
    (lo, py_space_trimmed_len(s).max(lo))
}

/// COMMENT_RE.match(line): the line's first non-space character is `#`.
fn is_comment_line(line: &str) -> bool {
    line.as_bytes().get(py_space_lead(line)) == Some(&b'#')
}

/// Whether the first piece of a continued line would read the same alone as with `--hash`
/// words after it (then they are not joined to it, [`LogicalLine::start`]): it has no `#`
/// (a comment would cut them off), no word starting with `-` (`break_args_options` would
/// make it and the hashes one option list; a `-` after a printable ASCII character starts
/// no word), and something besides blanks (else the hashes would be a line of their own).
fn reads_alone(piece: &str) -> bool {
    // One pass over the (short) piece; `graphic`: the byte before is printable ASCII.
    let mut graphic = false;
    for &c in piece.as_bytes() {
        if c == b'#' || (c == b'-' && !graphic) {
            return false;
        }
        graphic = (0x21..=0x7e).contains(&c);
    }
    py_space_lead(piece) < piece.len()
}

/// The hash algorithms of [`STRONG_HASHES`] with the length of their hex digests.
const HEX_DIGESTS: [(&str, usize); 3] = [("sha256", 64), ("sha384", 96), ("sha512", 128)];

/// Whether a continuation piece is nothing but `--hash=<strong algorithm>:<hex digest>`
/// words (pip-compile's), each after one or more spaces: `Some(any word)` then. Such a
/// piece adds to its line only option words that [`only_hash_words`] takes as "hashed": a
/// space makes the first one an option word to `break_args_options`, and with nothing but
/// spaces, the words' fixed text and hex digits in it, no comment, environment variable or
/// shell quoting starts in it. So it is read in place ([`LogicalLine::add`]). `None`:
/// anything else (a digest of another length or alphabet, another option, a tab).
fn hash_piece(piece: &str) -> Option<bool> {
    let mut b = piece.as_bytes();
    let mut any = false;
    loop {
        let blanks = b.iter().take_while(|&&c| c == b' ').count();
        b = &b[blanks..];
        if b.is_empty() {
            return Some(any);
        }
        if blanks == 0 {
            return None;
        }
        let value = b.strip_prefix(b"--hash=")?;
        let (digest, rest) = HEX_DIGESTS.iter().find_map(|&(algo, n)| {
            let d = value.strip_prefix(algo.as_bytes())?.strip_prefix(b":")?;
            (d.len() >= n).then(|| d.split_at(n))
        })?;
        // Every byte is looked at (no early exit), which lets the loop run on vectors.
        if !digest.iter().fold(true, |ok, c| ok & c.is_ascii_hexdigit()) {
            return None;
        }
        any = true;
        b = rest;
    }
}

/// pip's `join_lines`:
///
/// ```text
/// if not line.endswith("\\") or COMMENT_RE.match(line):
///     if COMMENT_RE.match(line): line = " " + line   # comments are always matched later
///     ... append to an open continuation and yield it, else yield the line
/// else:
///     new_line.append(line.strip("\\"))
/// ```
///
/// So a comment-only line ends an open continuation (and is then removed as a comment), and
/// a continued line loses every leading and trailing backslash (`str.strip("\\")`).
///
/// Each logical line is handed to `f` in turn with its text: a line of one piece is the
/// file's own text, and so is a line whose pieces after the first are only `--hash` words
/// (their text is not copied, [`LogicalLine`]); any other joined line is built in one
/// reused buffer. A comment line outside a continuation says nothing (`ignore_comments`
/// removes all of it) and is skipped.
pub(crate) fn join_lines(text: &str, mut f: impl FnMut(&LogicalLine, &str)) {
    let mut lg = LogicalLine::default();
    let mut open = false;
    for (s, e) in physical_lines(text) {
        let line = &text[s..e];
        let comment = is_comment_line(line);
        let continued = !comment && line.ends_with('\\');
        if !continued && !open {
            if !comment {
                lg.single(s, line.len());
                f(&lg, line);
            }
            continue;
        }
        let (piece, p) = if continued {
            // `strip("\\")`, byte by byte.
            let b = line.as_bytes();
            let lead = b.iter().take_while(|&&c| c == b'\\').count();
            let trail = b.iter().rev().take_while(|&&c| c == b'\\').count();
            (&line[lead..lead.max(b.len() - trail)], s + lead)
        } else {
            (line, s)
        };
        if !open {
            lg.start(piece, p);
        } else if comment {
            lg.join(text);
            lg.push(" ", s, true);
            lg.push(piece, p, false);
        } else {
            lg.add(text, piece, p);
        }
        open = continued;
        if !open {
            f(&lg, lg.line(text));
        }
    }
    if open {
        f(&lg, lg.line(text));
    }
}

/// `ignore_comments`: remove `(^|\s+)#.*$` then `strip()`. Returns the logical byte range
/// left, or `None` when nothing is.
fn strip_comment(line: &str) -> Option<(usize, usize)> {
    // The first `#` at the start or after blanks; the cut is where those blanks start.
    let mut cut = line.len();
    for i in memchr::memchr_iter(b'#', line.as_bytes()) {
        let before = py_space_trimmed_len(&line[..i]);
        if i == 0 || before < i {
            cut = before;
            break;
        }
    }
    let (lo, hi) = py_strip(&line[..cut]);
    (lo < hi).then_some((lo, hi))
}

/// The first `${NAME}` with NAME in `[A-Z0-9_]+` (pip's `ENV_VAR_RE`), as a byte range.
fn find_env_var(s: &str) -> Option<(usize, usize)> {
    let b = s.as_bytes();
    memchr::memchr(b'$', b)?;
    let mut i = 0;
    while let Some(rel) = s.get(i..).and_then(|t| t.find("${")) {
        let start = i + rel;
        let mut j = start + 2;
        while j < b.len() && (b[j].is_ascii_uppercase() || b[j].is_ascii_digit() || b[j] == b'_') {
            j += 1;
        }
        if j > start + 2 && b.get(j) == Some(&b'}') {
            return Some((start, j + 1));
        }
        i = start + 2;
    }
    None
}

// ---------------------------------------------------------------------------------------
// Options

/// A shell word from `shlex.split` with the raw range it was read from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Word<'a> {
    /// Borrowed from the line when the word has no quotes or escapes (the usual case).
    pub value: Cow<'a, str>,
    pub start: usize,
    pub end: usize,
}

/// `shlex.split(s)` (POSIX mode, no comments): words split on ` \t\r\n`, `'...'` literal,
/// `"..."` where `\` escapes only `"` and `\`, and a bare `\` escaping the next character.
/// Offsets are `base` + offsets into `s`. The error carries shlex's message and an offset.
pub(crate) fn shlex_split(s: &str, base: usize) -> Result<Vec<Word<'_>>, (String, usize)> {
    let mut words = Vec::new();
    let b = s.as_bytes();
    let mut pos = 0;
    loop {
        while matches!(b.get(pos), Some(b' ' | b'\t' | b'\r' | b'\n')) {
            pos += 1;
        }
        if pos >= b.len() {
            break;
        }
        let start = pos;
        // Fast path: a word of plain characters up to a separator (or the end) is the text
        // itself.
        let plain_len = s[start..]
            .bytes()
            .position(|b| matches!(b, b' ' | b'\t' | b'\r' | b'\n' | b'\\' | b'\'' | b'"'))
            .unwrap_or(s.len() - start);
        let plain_end = start + plain_len;
        if !matches!(s.as_bytes().get(plain_end), Some(b'\\' | b'\'' | b'"')) {
            words.push(Word {
                value: Cow::Borrowed(&s[start..plain_end]),
                start: base + start,
                end: base + plain_end,
            });
            pos = plain_end;
            continue;
        }
        // Quotes or escapes: read the word character by character.
        let mut it = s[start..]
            .char_indices()
            .map(|(i, c)| (start + i, c))
            .peekable();
        let mut value = String::new();
        let mut end = start;
        while let Some(&(i, c)) = it.peek() {
            match c {
                ' ' | '\t' | '\r' | '\n' => break,
                '\\' => {
                    it.next();
                    match it.next() {
                        Some((j, e)) => {
                            value.push(e);
                            end = j + e.len_utf8();
                        }
                        None => return Err(("No escaped character".into(), base + i)),
                    }
                }
                '\'' => {
                    it.next();
                    loop {
                        match it.next() {
                            Some((j, '\'')) => {
                                end = j + 1;
                                break;
                            }
                            Some((_, q)) => value.push(q),
                            None => return Err(("No closing quotation".into(), base + i)),
                        }
                    }
                }
                '"' => {
                    it.next();
                    loop {
                        match it.next() {
                            Some((j, '"')) => {
                                end = j + 1;
                                break;
                            }
                            Some((_, '\\')) => match it.peek() {
                                Some(&(_, q @ ('"' | '\\'))) => {
                                    it.next();
                                    value.push(q);
                                }
                                _ => value.push('\\'),
                            },
                            Some((_, q)) => value.push(q),
                            None => return Err(("No closing quotation".into(), base + i)),
                        }
                    }
                }
                _ => {
                    it.next();
                    value.push(c);
                    end = i + c.len_utf8();
                }
            }
        }
        pos = it.peek().map_or(b.len(), |&(i, _)| i);
        words.push(Word {
            value: Cow::Owned(value),
            start: base + start,
            end: base + end,
        });
    }
    Ok(words)
}

/// Where an option's value goes (pip's `dest`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Dest {
    IndexUrl,
    ExtraIndexUrl,
    NoIndex,
    Constraints,
    Requirements,
    Editables,
    FindLinks,
    NoBinary,
    OnlyBinary,
    PreferBinary,
    RequireHashes,
    Pre,
    TrustedHost,
    UseFeature,
    GlobalOptions,
    Hashes,
    ConfigSettings,
}

struct OptSpec {
    short: Option<char>,
    long: &'static [&'static str],
    dest: Dest,
    takes_value: bool,
}

/// pip's `SUPPORTED_OPTIONS + SUPPORTED_OPTIONS_REQ` (req_file.py `build_parser`), with the
/// names from `pip/_internal/cli/cmdoptions.py`.
#[rustfmt::skip]
const OPTIONS: &[OptSpec] = &[
    OptSpec { short: Some('i'), long: &["--index-url", "--pypi-url"], dest: Dest::IndexUrl, takes_value: true },
    OptSpec { short: None, long: &["--extra-index-url"], dest: Dest::ExtraIndexUrl, takes_value: true },
    OptSpec { short: None, long: &["--no-index"], dest: Dest::NoIndex, takes_value: false },
    OptSpec { short: Some('c'), long: &["--constraint"], dest: Dest::Constraints, takes_value: true },
    OptSpec { short: Some('r'), long: &["--requirement"], dest: Dest::Requirements, takes_value: true },
    OptSpec { short: Some('e'), long: &["--editable"], dest: Dest::Editables, takes_value: true },
    OptSpec { short: Some('f'), long: &["--find-links"], dest: Dest::FindLinks, takes_value: true },
    OptSpec { short: None, long: &["--no-binary"], dest: Dest::NoBinary, takes_value: true },
    OptSpec { short: None, long: &["--only-binary"], dest: Dest::OnlyBinary, takes_value: true },
    OptSpec { short: None, long: &["--prefer-binary"], dest: Dest::PreferBinary, takes_value: false },
    OptSpec { short: None, long: &["--require-hashes"], dest: Dest::RequireHashes, takes_value: false },
    OptSpec { short: None, long: &["--pre"], dest: Dest::Pre, takes_value: false },
    OptSpec { short: None, long: &["--trusted-host"], dest: Dest::TrustedHost, takes_value: true },
    OptSpec { short: None, long: &["--use-feature"], dest: Dest::UseFeature, takes_value: true },
    OptSpec { short: None, long: &["--global-option"], dest: Dest::GlobalOptions, takes_value: true },
    OptSpec { short: None, long: &["--hash"], dest: Dest::Hashes, takes_value: true },
    OptSpec { short: Some('C'), long: &["--config-settings"], dest: Dest::ConfigSettings, takes_value: true },
];

/// `--use-feature` choices in pip 26 (`cmdoptions.use_new_feature`).
const FEATURES: &[&str] = &[
    "fast-deps",
    "build-constraint",
    "inprocess-build-deps",
    "truststore",
    "no-binary-enable-wheel-cache",
];

/// pip's `STRONG_HASHES`.
const STRONG_HASHES: &[&str] = &["sha256", "sha384", "sha512"];

/// One parsed option: its destination, value (for options that take one) and the span of
/// the value (or of the option itself for flags), in logical offsets.
#[derive(Clone, Debug)]
pub(crate) struct OptValue<'a> {
    pub dest: Dest,
    pub value: &'a str,
    pub span: Span,
}

/// An optparse error: message and logical span.
type OptError = (String, Span);

/// `optparse.OptionParser.parse_args` over the shell words, as pip configures it: long
/// options take `--opt=value` or `--opt value` and may be abbreviated to any unambiguous
/// prefix; short options take `-ovalue` or `-o value` and may be clustered. Positional
/// words are skipped (pip ignores them) and `--` ends option processing.
pub(crate) fn parse_options<'a>(words: &'a [Word<'_>]) -> Result<Vec<OptValue<'a>>, OptError> {
    let mut out = Vec::new();
    let mut i = 0;
    while i < words.len() {
        let w = &words[i];
        let arg: &'a str = &w.value;
        let wspan = Span::new(w.start, w.end);
        i += 1;
        if arg == "--" {
            break;
        }
        if let Some(body) = arg.strip_prefix("--") {
            // `--name` is the word up to the `=`, if any.
            let (name, inline) = match body.split_once('=') {
                Some((n, v)) => (&arg[..2 + n.len()], Some(v)),
                None => (arg, None),
            };
            let spec = match_long(name).map_err(|m| (m, wspan))?;
            if spec.takes_value {
                let (value, span) = match inline {
                    Some(v) => {
                        // The value's raw span: the tail after `=` when the word was not
                        // quoted, else the whole word.
                        let raw_len = w.end - w.start;
                        let span = if raw_len == arg.len() {
                            Span::new(w.end - v.len(), w.end)
                        } else {
                            wspan
                        };
                        (v, span)
                    }
                    None => match words.get(i) {
                        Some(next) => {
                            i += 1;
                            (&*next.value, Span::new(next.start, next.end))
                        }
                        None => return Err((format!("{name} option requires 1 argument"), wspan)),
                    },
                };
                let long = spec.long.first().copied().unwrap_or_default();
                check_value(spec.dest, long, value).map_err(|m| (m, span))?;
                out.push(OptValue {
                    dest: spec.dest,
                    value,
                    span,
                });
            } else if inline.is_some() {
                return Err((format!("{name} option does not take a value"), wspan));
            } else {
                out.push(OptValue {
                    dest: spec.dest,
                    value: "",
                    span: wspan,
                });
            }
        } else if arg.len() > 1 && arg.starts_with('-') {
            // A cluster of short options: `-ifoo`, `-r file`.
            let quoted = w.end - w.start != arg.len();
            let chars = arg.char_indices().skip(1);
            for (k, c) in chars {
                let Some(spec) = OPTIONS.iter().find(|o| o.short == Some(c)) else {
                    return Err((format!("no such option: -{c}"), wspan));
                };
                if spec.takes_value {
                    let rest = &arg[k + c.len_utf8()..];
                    let (value, span) = if !rest.is_empty() {
                        let span = if quoted {
                            wspan
                        } else {
                            Span::new(w.end - rest.len(), w.end)
                        };
                        (rest, span)
                    } else {
                        match words.get(i) {
                            Some(next) => {
                                i += 1;
                                (&*next.value, Span::new(next.start, next.end))
                            }
                            None => {
                                return Err((format!("-{c} option requires 1 argument"), wspan))
                            }
                        }
                    };
                    let long = spec.long.first().copied().unwrap_or_default();
                    check_value(spec.dest, long, value).map_err(|m| (m, span))?;
                    out.push(OptValue {
                        dest: spec.dest,
                        value,
                        span,
                    });
                    break;
                }
                out.push(OptValue {
                    dest: spec.dest,
                    value: "",
                    span: wspan,
                });
            }
        }
        // Anything else is a positional argument: pip's `parse_line` drops them.
    }
    Ok(out)
}

/// optparse `_match_abbrev`: an exact long option, or the only one the text is a prefix of.
fn match_long(name: &str) -> Result<&'static OptSpec, String> {
    if let Some(spec) = OPTIONS.iter().find(|o| o.long.contains(&name)) {
        return Ok(spec);
    }
    let mut hits: Vec<(&str, &'static OptSpec)> = Vec::new();
    for spec in OPTIONS {
        for long in spec.long {
            if long.starts_with(name) {
                hits.push((long, spec));
            }
        }
    }
    match hits.as_slice() {
        [(_, spec)] => Ok(spec),
        [] => Err(format!("no such option: {name}")),
        many => {
            let names: Vec<&str> = many.iter().map(|(n, _)| *n).collect();
            Err(format!("ambiguous option: {name} ({}?)", names.join(", ")))
        }
    }
}

/// pip's option callbacks that reject values.
fn check_value(dest: Dest, opt: &str, value: &str) -> Result<(), String> {
    match dest {
        Dest::Hashes => {
            // `_handle_merge_hash`
            let Some((algo, _)) = value.split_once(':') else {
                return Err(format!(
                    "Arguments to {opt} must be a hash name followed by a value, like \
                     --hash=sha256:abcde..."
                ));
            };
            if !STRONG_HASHES.contains(&algo) {
                return Err(format!(
                    "Allowed hash algorithms for {opt} are {}.",
                    STRONG_HASHES.join(", ")
                ));
            }
            Ok(())
        }
        Dest::ConfigSettings if !value.contains('=') => {
            Err(format!("Arguments to {opt} must be of the form KEY=VAL"))
        }
        Dest::UseFeature if !FEATURES.contains(&value) => Err(format!(
            "option {opt}: invalid choice: '{value}' (choose from {})",
            FEATURES
                .iter()
                .map(|f| format!("'{f}'"))
                .collect::<Vec<_>>()
                .join(", ")
        )),
        _ => Ok(()),
    }
}

/// Whether `opts` (the options part of a line) is nothing but blank-separated words
/// `--hash=<algorithm>:<value>` with a strong algorithm and no quote or backslash:
/// `Some(any)` then, which is what [`shlex_split`] and [`parse_options`] would make of it
/// (those hashes and no error), without building either. `None`: anything else.
fn only_hash_words(opts: &str) -> Option<bool> {
    let b = opts.as_bytes();
    if memchr::memchr3(b'\\', b'\'', b'"', b).is_some() {
        return None;
    }
    let mut any = false;
    let mut at = 0;
    loop {
        // Blanks, then a word up to the next blank (found with memchr: hash words are long).
        while matches!(b.get(at), Some(b' ' | b'\t')) {
            at += 1;
        }
        if at == b.len() {
            return Some(any);
        }
        let end = memchr::memchr2(b' ', b'\t', &b[at..]).map_or(b.len(), |e| at + e);
        let value = b[at..end].strip_prefix(b"--hash=")?;
        let algo = &value[..memchr::memchr(b':', value)?];
        if !STRONG_HASHES.iter().any(|h| h.as_bytes() == algo) {
            return None;
        }
        any = true;
        at = end;
    }
}

// ---------------------------------------------------------------------------------------
// One logical line

struct LineCtx<'a> {
    file: FileId,
    /// From a span of the text being read to a span of the file.
    map: &'a dyn Fn(Span) -> Span,
    logical: &'a LogicalLine,
    /// The logical line's text.
    text: &'a str,
    /// Which packages are built in full.
    relevant: &'a Relevant,
}

impl LineCtx<'_> {
    fn loc(&self, span: Span) -> Loc {
        let s = self.logical.map(span);
        Loc {
            file: self.file,
            span: (self.map)(s),
        }
    }
    fn span(&self, span: Span) -> Span {
        self.loc(span).span
    }
}

fn problem(kind: ProblemKind, loc: Loc, message: impl Into<String>) -> Problem {
    Problem {
        kind,
        loc,
        message: message.into(),
        help: None,
    }
}

#[cfg(test)]
thread_local! {
    /// Logical lines this thread read through pip's steps ([`read_line_steps`]): a work
    /// counter.
    static STEPPED_LINES: std::cell::Cell<usize> = const { std::cell::Cell::new(0) };
}

/// One logical line: a plain requirement on a package no rule reads in one pass
/// ([`unread_line`]), anything else through pip's steps.
fn parse_logical_line(ctx: &LineCtx, constraint: bool, out: &mut FileParse) {
    if unread_line(ctx, ctx.text) {
        // What the steps would do with it: the hash words read in place are its only
        // options, and the requirement itself is not kept (`unread`).
        out.hashed |= ctx.logical.hashes;
        return;
    }
    read_line_steps(ctx, constraint, out);
}

/// pip's steps for one logical line (`ignore_comments`, `expand_env_variables`,
/// `break_args_options`, then the requirement or the options).
fn read_line_steps(ctx: &LineCtx, constraint: bool, out: &mut FileParse) {
    #[cfg(test)]
    STEPPED_LINES.with(|n| n.set(n.get() + 1));
    let line = ctx.text;
    let Some((lo, hi)) = strip_comment(line) else {
        return;
    };
    let content = &line[lo..hi];

    if let Some((s, e)) = find_env_var(content) {
        out.problems.push(Problem {
            kind: ProblemKind::Unevaluable,
            loc: ctx.loc(Span::new(lo + s, lo + e)),
            message: format!(
                "line cannot be evaluated: pip replaces `{}` with an environment variable",
                &content[s..e]
            ),
            help: Some("depwindow does not read the environment; this line is not checked".into()),
        });
        return;
    }

    // `break_args_options`: `line.split(" ")`, args are the tokens before the first one that
    // starts with `-`, joined back with single spaces: a prefix of the line. A token starts
    // at the line's start or after a space.
    let cb = content.as_bytes();
    let opt_at = memchr::memchr_iter(b'-', cb).find(|&i| i == 0 || cb[i - 1] == b' ');
    let (args_end, opts_start) = match opt_at {
        Some(p) => (p.saturating_sub(1), p),
        None => (content.len(), content.len()),
    };
    let args = &content[..args_end];
    let opts_text = &content[opts_start..];
    let (args_trim_lo, args_trim_hi) = py_strip(args);
    let requirement_span = (args_trim_lo < args_trim_hi)
        .then(|| Span::new(lo + args_trim_lo, lo + args_trim_hi));

    // A requirement line whose options are only `--hash=sha256:...` words (pip-compile's
    // `--generate-hashes`): they say no more than "hashed", so they are read in place,
    // without shell-splitting or option parsing.
    if let Some(span) = requirement_span {
        if let Some(hashes) = only_hash_words(opts_text) {
            // The hash words read in place by `join_lines` come after this text.
            out.hashed |= hashes || ctx.logical.hashes;
            requirement_from_line(ctx, span, constraint, out);
            return;
        }
    }

    let words = match shlex_split(opts_text, lo + opts_start) {
        Ok(w) => w,
        Err((msg, at)) => {
            out.problems.push(problem(
                ProblemKind::Parse,
                ctx.loc(Span::new(lo + opts_start, lo + content.len())),
                format!(
                    "could not split options ({msg} at offset {})",
                    at - lo - opts_start
                ),
            ));
            return;
        }
    };
    let opts = match parse_options(&words) {
        Ok(o) => o,
        Err((msg, span)) => {
            out.problems
                .push(problem(ProblemKind::Parse, ctx.loc(span), msg));
            return;
        }
    };
    let has = |d: Dest| opts.iter().any(|o| o.dest == d);
    let first = |d: Dest| opts.iter().find(|o| o.dest == d);

    if let Some(span) = requirement_span {
        // A requirement line. Only `--hash`, `--global-option` and `--config-settings` apply
        // to it; other options on the line are ignored by pip (`handle_requirement_line`).
        if has(Dest::Hashes) {
            out.hashed = true;
        }
        requirement_from_line(ctx, span, constraint, out);
    } else if let Some(ed) = first(Dest::Editables) {
        // `-e` takes the first editable only ("We don't support multiple -e on one line").
        // Hashes on an editable line are dropped by pip (SUPPORTED_OPTIONS_EDITABLE_REQ).
        requirement_from_editable(ctx, ed, constraint, out);
    } else {
        // An option line (`handle_option_line`).
        if has(Dest::Hashes) {
            out.problems.push(problem(
                ProblemKind::Note,
                ctx.loc(Span::new(lo, hi)),
                "line has --hash but no requirement; pip ignores it",
            ));
        }
        if has(Dest::RequireHashes) {
            out.hashed = true;
        }
        if has(Dest::Pre) {
            out.pre = true;
        }
        // pip follows only the first `-r`, or if there is none the first `-c`, of a line.
        let inc = first(Dest::Requirements)
            .map(|o| (IncludeKind::Requirements, o))
            .or_else(|| first(Dest::Constraints).map(|o| (IncludeKind::Constraints, o)));
        if let Some((kind, o)) = inc {
            out.includes.push(Include {
                kind,
                target: o.value.to_owned(),
                loc: ctx.loc(o.span),
                position: out.requirements.len(),
            });
        }
    }
}

// ---------------------------------------------------------------------------------------
// Requirements

/// `pep508_rs` insists on parsing `name @ url` URLs; pip accepts any text there (it is
/// checked when the link is used). This keeps the text as it is.
#[derive(Clone, Debug)]
struct AnyUrl;

impl fmt::Display for AnyUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<url>")
    }
}

impl Pep508Url for AnyUrl {
    type Err = std::convert::Infallible;
    fn parse_url(_url: &str, _working_dir: Option<&Path>) -> Result<Self, Self::Err> {
        Ok(AnyUrl)
    }
}

/// Version-control schemes pip knows (`vcs.all_schemes`).
#[rustfmt::skip]
const VCS_SCHEMES: &[&str] = &[
    "git+http", "git+https", "git+ssh", "git+git", "git+file",
    "hg+file", "hg+http", "hg+https", "hg+ssh", "hg+static-http",
    "svn", "svn+ssh", "svn+http", "svn+https", "svn+svn", "svn+file",
    "bzr+http", "bzr+https", "bzr+ssh", "bzr+sftp", "bzr+ftp", "bzr+lp", "bzr+file",
];

fn has_scheme_prefix(s: &str, schemes: &[&str]) -> bool {
    s.split_once(':')
        .is_some_and(|(scheme, _)| schemes.iter().any(|k| scheme.eq_ignore_ascii_case(k)))
}

/// pip's `is_url`: the text before the first `:` is a scheme pip downloads from.
fn is_url(s: &str) -> bool {
    if memchr::memchr(b':', s.as_bytes()).is_none() {
        return false;
    }
    has_scheme_prefix(s, &["http", "https", "file", "ftp"]) || has_scheme_prefix(s, VCS_SCHEMES)
}

/// pip's `_looks_like_path` on POSIX: contains `/` or starts with `.`.
fn looks_like_path(s: &str) -> bool {
    s.contains('/') || s.starts_with('.')
}

/// pip's `ARCHIVE_EXTENSIONS`, with `.tar.*` kept whole by its `splitext`.
const ARCHIVE_EXTENSIONS: &[&str] = &[
    ".zip",
    ".whl",
    ".tar.bz2",
    ".tbz",
    ".tar.xz",
    ".txz",
    ".tlz",
    ".tar.lz",
    ".tar.lzma",
    ".tar.gz",
    ".tgz",
    ".tar",
];

/// pip's `is_archive_file` ([`ARCHIVE_EXTENSIONS`], any case). Every extension ends in one
/// of `p l 2 z a r`: a text ending otherwise (a version's digit) is told apart by its last
/// byte.
fn is_archive(s: &str) -> bool {
    let b = s.as_bytes();
    if !b
        .last()
        .is_some_and(|c| matches!(c.to_ascii_lowercase(), b'p' | b'l' | b'2' | b'z' | b'a' | b'r'))
    {
        return false;
    }
    ARCHIVE_EXTENSIONS.iter().any(|e| {
        b.len() >= e.len() && b[b.len() - e.len()..].eq_ignore_ascii_case(e.as_bytes())
    })
}

/// pip's `_strip_extras`: `^(.+)(\[[^\]]+\])$` → the part before the extras.
fn strip_extras(s: &str) -> &str {
    if let Some(body) = s.strip_suffix(']') {
        if let Some(open) = body.rfind('[') {
            let inner = &body[open + 1..];
            if open > 0 && !inner.is_empty() && !inner.contains(']') {
                return &s[..open];
            }
        }
    }
    s
}

/// What pip's `parse_req_from_line` makes of the requirement text.
enum Shape {
    /// A PEP 508 string.
    Pep508,
    /// A link (URL, archive, directory). Its name comes from a wheel filename or an
    /// `#egg=` fragment; without either pip builds it to learn the name, which we cannot.
    Link,
}

fn shape_of(name: &str) -> Shape {
    if is_url(name) {
        return Shape::Link;
    }
    let path = strip_extras(name);
    let archive = is_archive(path);
    if looks_like_path(name) || archive {
        // pip: a path-like text that is a directory is a link. Otherwise an archive is a link
        // unless it reads as `name @ url` (the part before `@` does not look like a path);
        // anything else is parsed as PEP 508. We do not look at the file system (pip resolves
        // these against its working directory, which we do not know): a path-like text that
        // is not an archive is taken to be a project directory.
        if let Some((before, _)) = name.split_once('@') {
            if !looks_like_path(before) {
                return Shape::Pep508;
            }
        }
        return Shape::Link;
    }
    Shape::Pep508
}

/// Where pip splits a requirement from its marker: `marker_sep = "; " if is_url(name) else
/// ";"`, split once, before anything else. The end of the requirement and the start of the
/// marker, or `None` when there is no separator.
fn marker_sep(text: &str) -> Option<(usize, usize)> {
    let b = text.as_bytes();
    if !is_url(text) {
        return memchr::memchr(b';', b).map(|i| (i, i + 1));
    }
    memchr::memchr_iter(b';', b)
        .find(|&i| b.get(i + 1) == Some(&b' '))
        .map(|i| (i, i + 2))
}

fn requirement_from_line(ctx: &LineCtx, span: Span, constraint: bool, out: &mut FileParse) {
    let text = &ctx.text[span.start..span.end];
    let (name_text, marker) = match marker_sep(text) {
        Some((n, m_lo)) => {
            let m = &text[m_lo..];
            let (lo, hi) = py_strip(m);
            (&text[..n], Some((&m[lo..hi], span.start + m_lo + lo)))
        }
        None => (text, None),
    };
    let (n_lo, n_hi) = py_strip(name_text);
    let name_text = &name_text[n_lo..n_hi];
    let name_start = span.start + n_lo;

    let marker = match marker {
        Some(("", _)) => Marker::TRUE,
        Some((m, at)) => match super::guard::marker(m) {
            Ok(tree) => tree,
            Err(e) => {
                let s = error_span(m, e.start, e.len, at);
                out.problems.push(problem(
                    ProblemKind::Parse,
                    ctx.loc(s),
                    format!("invalid marker: {}", e.message),
                ));
                stand_in(name_text, ctx.loc(span), out);
                return;
            }
        },
        None => Marker::TRUE,
    };
    let shape = shape_of(name_text);
    if matches!(shape, Shape::Pep508) && unread(ctx, name_text) {
        // Before the line's place is worked out: nothing is kept of it.
        return;
    }
    let loc = ctx.loc(span);

    match shape {
        Shape::Link => {
            let link_text = if is_url(name_text) {
                name_text
            } else {
                strip_extras(name_text)
            };
            link_requirement(
                ctx, link_text, name_start, marker, loc, false, constraint, out,
            );
        }
        Shape::Pep508 => {
            pep508_requirement(ctx, name_text, name_start, marker, loc, constraint, out);
        }
    }
}

/// A pep508_rs error range, clamped to `text`, as a logical span at `at`.
fn error_span(text: &str, start: usize, len: usize, at: usize) -> Span {
    let Span { start: s, end: e } = snap(text, Span::new(start, start.saturating_add(len)));
    // Point at something rather than nothing when the error is at the very end.
    let e = if e == s && s < text.len() {
        s + text[s..].chars().next().map_or(0, char::len_utf8)
    } else {
        e
    };
    Span::new(at + s, at + e)
}

/// A line that does not parse but starts with a package name stands in for a requirement
/// on it (`formats::stand_in`): nothing is claimed about that package in its unit.
fn stand_in(text: &str, loc: Loc, out: &mut FileParse) {
    if let Some(name) = super::leading_name(text) {
        out.requirements
            .push(super::stand_in(name, loc, super::Format::Requirements));
    }
}

/// A PEP 508 requirement (the line's text before its marker) that [`unread`] did not take:
/// parsed in full, or reported.
fn pep508_requirement(
    ctx: &LineCtx,
    text: &str,
    at: usize,
    marker: Marker,
    loc: Loc,
    constraint: bool,
    out: &mut FileParse,
) {
    let (req, shared) = match parse_repeated(text) {
        Ok(r) => r,
        Err(e) => {
            let s = error_span(text, e.start, e.len, at);
            out.problems.push(problem(
                ProblemKind::Parse,
                ctx.loc(s),
                format!("invalid requirement `{text}`: {}", e.message),
            ));
            stand_in(text, loc, out);
            return;
        }
    };
    // pep508_rs gives no spans for the parts: the one PEP 508 part scanner finds them in
    // the text (which has no marker: pip split it off at the first `;`), in logical
    // offsets, mapped back to the file piece by piece.
    let parts = super::pep508::layout(text);
    let name_span = if text
        .get(parts.name.start..parts.name.end)
        .is_some_and(|n| super::normalized_eq(n, req.name.as_ref()))
    {
        ctx.span(Span::new(at + parts.name.start, at + parts.name.end))
    } else {
        loc.span
    };
    let version = match (shared, req.version_or_url) {
        (None, None) => VersionReq::Any,
        (None, Some(VersionOrUrl::Url(_))) => VersionReq::Unversioned,
        (None, Some(VersionOrUrl::VersionSpecifier(specifiers))) if specifiers.is_empty() => {
            VersionReq::Any
        }
        (shared, version) => {
            let specifiers = shared.unwrap_or_else(|| match version {
                Some(VersionOrUrl::VersionSpecifier(s)) => crate::versions::shared_specifiers(s),
                _ => unreachable!("every other version is matched above"),
            });
            let shift = |s: Span| ctx.span(Span::new(at + s.start, at + s.end));
            let (span, clauses) = match parts.spec {
                // A clause span per specifier, or none (never a partial list).
                Some((s, c)) if c.len() == specifiers.len() => {
                    let mut c: Vec<Span> = c.into_iter().map(shift).collect();
                    // Held for every requirement of the file: no spare capacity.
                    c.shrink_to_fit();
                    (shift(s), c)
                }
                Some((s, _)) => (shift(s), Vec::new()),
                None => (loc.span, Vec::new()),
            };
            VersionReq::Specifiers {
                specifiers,
                span: span.into(),
                clauses: clauses.into(),
            }
        }
    };
    if constraint && !req.extras.is_empty() {
        // pip's `check_invalid_constraint_type`.
        out.problems.push(problem(
            ProblemKind::Parse,
            loc,
            "constraints cannot have extras",
        ));
        return;
    }
    out.requirements.push(Requirement::new(crate::manifest::Draft {
        name: req.name.into(),
        extras: req.extras.into(),
        version,
        marker,
        role: Role::Require,
        syntax: Syntax::Pep508,
        at: loc,
        name_at: name_span,
        hashed: false,
        pre: false,
        format: super::Format::Requirements,
    }));
}

/// The fast path of a requirement on a package no rule reads (`formats::Relevant`): when
/// the scanner finds `text` plainly valid (`pep508::plain`), the line is done and `true` is
/// returned. Nothing is kept of it: nothing in a check reads a requirement on a package no
/// rule names (the evaluator, fixes, generated-file notes and suppressions look up the
/// rules' packages only), so a file of 4M such lines holds no `Requirement` for them
/// (issue 15 §4). Otherwise (a relevant package, or anything the scanner does not vouch
/// for) `false`: the full parse reads the line and reports what is wrong with it.
fn unread(ctx: &LineCtx, text: &str) -> bool {
    if ctx.relevant.reads_all() {
        return false;
    }
    let Some(parts) = super::pep508::plain(text) else {
        return false;
    };
    let raw = &text[parts.name.start..parts.name.end];
    if ctx.relevant.wants(raw) {
        return false;
    }
    // pep508_rs's own name rule, so nothing it would refuse is vouched for here.
    super::is_package_name(raw)
}

/// The one-pass reading of a logical line that is a plain requirement on a package no rule
/// reads (most lines of a pip-compile file): the stripped line goes straight to [`unread`]
/// (the scanner's `Check` mode), without the comment, environment-variable, option,
/// marker and link steps of [`parse_logical_line`] and [`requirement_from_line`], each a
/// search of the line. It is the same reading: what the scanner vouches for has only
/// ASCII letters, digits, `. - _`, blanks, `( ) , *` and `= ! < > ~`, so it holds no `#`
/// (no comment), `$` (no variable), `;` (no marker), `:` or `/` (no URL or path), no word
/// that starts with `-` (no option: a name starts alphanumeric, a clause with its
/// operator), and no archive name (a version ends in a digit, `*` or `)`, a bare name has
/// no `.`).
fn unread_line(ctx: &LineCtx, line: &str) -> bool {
    let (lo, hi) = py_strip(line);
    lo < hi && unread(ctx, &line[lo..hi])
}

/// A requirement line reduced to a name and a version (an unread line, a link): no extras,
/// no options, no fix anchors.
fn bare_requirement(
    name: PackageName,
    name_span: Span,
    version: VersionReq,
    marker: Marker,
    loc: Loc,
) -> Requirement {
    Requirement::new(crate::manifest::Draft {
        name: name.into(),
        extras: Default::default(),
        version,
        marker,
        role: Role::Require,
        syntax: Syntax::Pep508,
        at: loc,
        name_at: name_span,
        hashed: false,
        pre: false,
        format: super::Format::Requirements,
    })
}

/// The longest requirement text [`parse_repeated`] remembers.
const REPEATED_MAX_LEN: usize = 256;

/// A requirement as [`parse_repeated`] gives it: pep508_rs's, and, when it was read before,
/// its non-empty specifiers shared (its own `version_or_url` is then `None`).
type Repeated = (
    pep508_rs::Requirement<AnyUrl>,
    Option<Arc<crate::versions::Specifiers>>,
);

/// [`super::guard::parse_requirement`], remembering a text that parsed twice in a row: a
/// line written like the one before (a file of 750k `numpy>=1.0` lines) is a clone of its
/// requirement whose specifiers are shared (one `Arc`), not parsed and stored again. Only a
/// hash of the last text is kept until it repeats, so a file of distinct lines allocates
/// nothing more.
fn parse_repeated(text: &str) -> Result<Repeated, super::guard::Refusal> {
    type Memo = (u64, Option<(String, Repeated)>);
    thread_local! {
        static LAST: std::cell::RefCell<Memo> = const { std::cell::RefCell::new((0, None)) };
    }
    if let Some(r) = LAST.with(|last| {
        last.borrow()
            .1
            .as_ref()
            .filter(|(t, _)| t == text)
            .map(|(_, r)| r.clone())
    }) {
        return Ok(r);
    }
    let (mut r, plain) = match listed_requirement(text) {
        Some((r, specs)) => (r, Some(specs)),
        None => (super::guard::parse_requirement::<AnyUrl>(text)?, None),
    };
    // A long line (an 8 MiB list of clauses) is not kept: a copy would only add to it.
    if text.len() <= REPEATED_MAX_LEN {
        use std::hash::BuildHasher;
        let h = std::hash::BuildHasherDefault::<std::collections::hash_map::DefaultHasher>::default()
            .hash_one(text);
        let repeated = LAST.with(|last| {
            let mut last = last.borrow_mut();
            let repeated = last.0 == h;
            last.0 = h;
            repeated
        });
        if repeated {
            let shared = plain.or_else(|| match r.version_or_url.take() {
                Some(VersionOrUrl::VersionSpecifier(s)) if !s.is_empty() => {
                    Some(crate::versions::shared_specifiers(s))
                }
                other => {
                    r.version_or_url = other;
                    None
                }
            });
            let r = (r, shared);
            LAST.with(|last| last.borrow_mut().1 = Some((text.to_owned(), r.clone())));
            return Ok(r);
        }
    }
    Ok((r, plain))
}

/// A requirement written as a name, extras and a clause list (`numpy!=1.0,!=1.1,...`,
/// `numpy[x] (>=1.0rc1)`): the name and extras parsed by pep508_rs alone, the clauses read
/// one by one into the held form (`guard::parse_listed`), not into a whole pep440_rs list
/// first. None for anything else (a URL, any error), which pep508_rs parses whole as before.
fn listed_requirement(text: &str) -> Option<(pep508_rs::Requirement<AnyUrl>, Arc<Specifiers>)> {
    let (r, specs) = super::guard::parse_listed::<AnyUrl>(text)?;
    Some((r, Arc::new(specs)))
}

/// `Link.egg_fragment`: `[#&]egg=([^&]*)` anywhere in the URL. Returns the value's range.
fn egg_fragment(url: &str) -> Option<(usize, usize)> {
    let mut from = 0;
    while let Some(rel) = url.get(from..).and_then(|t| t.find("egg=")) {
        let at = from + rel;
        if at > 0 && matches!(url.as_bytes().get(at - 1), Some(b'#' | b'&')) {
            let start = at + 4;
            let end = url[start..].find('&').map_or(url.len(), |e| start + e);
            return Some((start, end));
        }
        from = at + 4;
    }
    None
}

/// pip's `_project_name_re`: `^([A-Z0-9]|[A-Z0-9][A-Z0-9._-]*[A-Z0-9])$` (ignore case).
fn valid_project_name(s: &str) -> bool {
    let b = s.as_bytes();
    !b.is_empty()
        && b.iter().all(|&c| super::pep508::name_byte(c))
        && b[0].is_ascii_alphanumeric()
        && b[b.len() - 1].is_ascii_alphanumeric()
}

/// The last path segment of a URL or path, without query and fragment.
fn link_filename(link: &str) -> (usize, &str) {
    let end = link.find(['#', '?']).unwrap_or(link.len());
    let path = &link[..end];
    let start = path.rfind('/').map_or(0, |i| i + 1);
    (start, &path[start..])
}

/// Percent-decoding as `urllib.parse.unquote` does for the ASCII escapes we care about.
fn percent_decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' && i + 2 < b.len() {
            let hex = |c: u8| (c as char).to_digit(16);
            if let (Some(h), Some(l)) = (hex(b[i + 1]), hex(b[i + 2])) {
                out.push((h * 16 + l) as u8);
                i += 3;
                continue;
            }
        }
        out.push(b[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[allow(clippy::too_many_arguments)]
fn link_requirement(
    ctx: &LineCtx,
    link: &str,
    at: usize,
    marker: Marker,
    loc: Loc,
    editable: bool,
    constraint: bool,
    out: &mut FileParse,
) {
    let (fname_at, fname) = link_filename(link);
    let mut push = |name: PackageName, name_span: Span, version: VersionReq| {
        out.requirements
            .push(bare_requirement(name, name_span, version, marker.clone(), loc));
    };
    if !editable && fname.to_ascii_lowercase().ends_with(".whl") {
        // pip: `wheel = Wheel(link.filename); req_as_string = f"{wheel.name}=={wheel.version}"`.
        let decoded = percent_decode(fname);
        let stem = &decoded[..decoded.len() - 4];
        let parts: Vec<&str> = stem.split('-').collect();
        let parsed = if parts.len() == 5 || parts.len() == 6 {
            PackageName::from_str(parts[0])
                .ok()
                .zip(Version::from_str(parts[1]).ok())
        } else {
            None
        };
        let Some((name, version)) = parsed else {
            out.problems.push(problem(
                ProblemKind::Parse,
                ctx.loc(Span::new(at + fname_at, at + fname_at + fname.len())),
                format!("`{decoded}` is not a valid wheel filename"),
            ));
            return;
        };
        // Spans come from the raw (still percent-encoded) filename, which is what the file
        // holds; `%2B` inside a version is still that version's text.
        let raw: Vec<&str> = fname[..fname.len() - 4].split('-').collect();
        let (name_span, version_span) = if raw.len() == parts.len() {
            let n = at + fname_at;
            let v = n + raw[0].len() + 1;
            (
                ctx.span(Span::new(n, n + raw[0].len())),
                ctx.span(Span::new(v, v + raw[1].len())),
            )
        } else {
            (loc.span, loc.span)
        };
        push(
            name,
            name_span,
            VersionReq::Exact {
                version,
                span: version_span.into(),
            },
        );
        return;
    }
    let Some((s, e)) = egg_fragment(link) else {
        // pip builds (or for a directory, reads) the project to learn its name; we cannot, so
        // the line says nothing we can check. As a constraint it is an error in pip.
        if constraint {
            out.problems.push(problem(
                ProblemKind::Parse,
                loc,
                "unnamed requirements are not allowed as constraints",
            ));
        }
        return;
    };
    let egg = &link[s..e];
    let name = if valid_project_name(egg) {
        PackageName::from_str(egg).ok()
    } else {
        None
    };
    let Some(name) = name else {
        out.problems.push(problem(
            ProblemKind::Parse,
            ctx.loc(Span::new(at + s, at + e)),
            format!("`{egg}` is not a valid egg fragment: it must be a project name"),
        ));
        return;
    };
    if constraint && editable {
        out.problems.push(problem(
            ProblemKind::Parse,
            loc,
            "editable requirements are not allowed as constraints",
        ));
        return;
    }
    push(
        name,
        ctx.span(Span::new(at + s, at + e)),
        VersionReq::Unversioned,
    );
}

fn requirement_from_editable(ctx: &LineCtx, ed: &OptValue, constraint: bool, out: &mut FileParse) {
    let loc = ctx.loc(ed.span);
    let value = ed.value;
    // Spans inside the value are exact only when the word was not quoted or escaped.
    let raw_equal = ed.span.len() == value.len();
    let url = strip_extras(value);
    if egg_fragment(url).is_none() || !is_url(url) {
        // A local project directory (or a URL without `#egg=`): pip reads or builds it to
        // learn the name, which a static reader cannot.
        if constraint {
            out.problems.push(problem(
                ProblemKind::Parse,
                loc,
                "editable requirements are not allowed as constraints",
            ));
        }
        return;
    }
    if raw_equal {
        link_requirement(
            ctx,
            url,
            ed.span.start,
            Marker::TRUE,
            loc,
            true,
            constraint,
            out,
        );
    } else {
        // Map every inner span to the whole word.
        let mut tmp = FileParse::default();
        link_requirement(
            ctx,
            url,
            ed.span.start,
            Marker::TRUE,
            loc,
            true,
            constraint,
            &mut tmp,
        );
        for mut r in tmp.requirements {
            r.set_name_span(loc.span);
            out.requirements.push(r);
        }
        for mut p in tmp.problems {
            p.loc = loc;
            out.problems.push(p);
        }
    }
}

/// pip requirements files (`requirements*.txt`, pip-tools `.in` inputs, anything under a
/// `requirements/` folder).
pub(crate) struct Requirements;

impl super::InputFormat for Requirements {
    fn name(&self) -> &'static str {
        "requirements"
    }
    fn example_file_name(&self) -> &'static str {
        "requirements.txt"
    }
    fn detect(&self, name: &super::FileName<'_>) -> bool {
        let l = name.lower;
        (l.ends_with(".txt")
            && (l.contains("requirements") || l.contains("constraints") || name.in_requirements_dir()))
            // pip-tools inputs.
            || (l.ends_with(".in") && (l.contains("requirements") || name.in_requirements_dir()))
    }
    fn parse(&self, files: &mut Files, id: FileId) -> Parsed {
        let mut parsed = parse_unit(files, id);
        // A requirement is inserted after a rule's trigger only (`capture_inserts`).
        super::edit::capture_inserts(
            files,
            &mut parsed,
            |_| true,
            |f, r| super::edit::line_slot(f, r.loc().span),
        );
        parsed
    }
    /// pip-compile: `requirements.in` is locked by the `.txt` it compiles to: the same
    /// stem, or any `.txt` beside it whose header names the `.in` file.
    fn lockfiles(&self, path: &Path) -> Vec<(std::path::PathBuf, super::Format)> {
        let Some(name) = path.file_name().and_then(|n| n.to_str()) else {
            return Vec::new();
        };
        if !name.ends_with(".in") {
            return Vec::new();
        }
        let dir = path.parent().unwrap_or(Path::new(""));
        let mut c = vec![dir.join(format!("{}.txt", name.trim_end_matches(".in")))];
        c.extend(pip_compile_outputs(dir, name));
        c.into_iter()
            .map(|p| (p, super::Format::Requirements))
            .collect()
    }
    /// A compiled requirements file pins with `==`.
    fn pins(&self, parsed: &Parsed) -> std::collections::BTreeMap<PackageName, Version> {
        let mut pins = std::collections::BTreeMap::new();
        for r in &parsed.requirements {
            match &r.version {
                VersionReq::Exact { version, .. } => {
                    pins.insert(PackageName::clone(&r.name), version.clone());
                }
                VersionReq::Specifiers { specifiers, .. } => {
                    if let [s] = &specifiers[..] {
                        if s.operator() == pep440_rs::Operator::Equal {
                            pins.insert(PackageName::clone(&r.name), s.version().into_owned());
                        }
                    }
                }
                _ => {}
            }
        }
        pins
    }
    /// A new line after the trigger's (and its continuations), with its marker.
    fn insert(
        &self,
        file: &crate::source::SourceFile,
        after: &Requirement,
        name: &str,
        spec: &str,
    ) -> Option<(Span, String)> {
        super::edit::insert_pep508(file, after, name, spec)
    }
    fn reads_includes(&self) -> bool {
        true
    }
}

/// `.txt` files in `dir` whose pip-compile or `uv pip compile` header names `input`
/// (`pip-compile ... input`, `uv pip compile input ...`).
fn pip_compile_outputs(dir: &Path, input: &str) -> Vec<std::path::PathBuf> {
    let Ok(entries) = std::fs::read_dir(if dir.as_os_str().is_empty() {
        Path::new(".")
    } else {
        dir
    }) else {
        return Vec::new();
    };
    let mut out: Vec<std::path::PathBuf> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e == "txt") && p.is_file())
        .filter(|p| {
            // Only the header counts: read its first 4 KiB, not the whole file.
            let Ok(bytes) = crate::files::read_head(p, 4096) else {
                return false;
            };
            let head = String::from_utf8_lossy(&bytes).into_owned();
            head.lines()
                .take_while(|l| l.starts_with('#') || l.trim().is_empty())
                .any(|l| {
                    (l.contains("pip-compile") || l.contains("uv pip compile"))
                        && l.split_whitespace()
                            .any(|w| w == input || w.ends_with(&format!("/{input}")))
                })
        })
        .collect();
    out.sort();
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// pip's `join_lines` as it was before hash pieces were read in place: every piece of a
    /// continued line is copied into the buffer (the reference for the in-place reading).
    fn join_copying(text: &str, mut f: impl FnMut(&LogicalLine, &str)) {
        let mut lg = LogicalLine::default();
        let mut open = false;
        for (s, e) in physical_lines(text) {
            let line = &text[s..e];
            let comment = line.trim_start_matches(py_space).starts_with('#');
            if !line.ends_with('\\') || comment {
                if !open {
                    if !comment {
                        lg.single(s, line.len());
                        f(&lg, line);
                    }
                    continue;
                }
                if comment {
                    lg.push(" ", s, true);
                }
                lg.push(line, s, false);
                f(&lg, &lg.text);
                lg.clear();
                open = false;
            } else {
                if !open {
                    lg.clear();
                    lg.joined = true;
                }
                let lead = line.len() - line.trim_start_matches('\\').len();
                lg.push(line.trim_matches('\\'), s + lead, false);
                open = true;
            }
        }
        if open {
            f(&lg, &lg.text);
        }
    }

    /// What [`read_text`] makes of `text` (`copying`: with every continued line joined).
    fn read(text: &str, relevant: &Relevant, copying: bool) -> String {
        read_lines_with(text, relevant, copying, parse_logical_line)
    }

    /// [`read`], each logical line read by `read_line`.
    fn read_lines_with(
        text: &str,
        relevant: &Relevant,
        copying: bool,
        read_line: fn(&LineCtx, bool, &mut FileParse),
    ) -> String {
        let map = |s: Span| s;
        let mut out = FileParse::default();
        let mut line = |logical: &LogicalLine, line: &str| {
            let ctx = LineCtx {
                file: 0,
                map: &map,
                logical,
                text: line,
                relevant,
            };
            read_line(&ctx, false, &mut out);
        };
        if copying {
            join_copying(text, &mut line);
        } else {
            join_lines(text, &mut line);
        }
        format!("{out:?}")
    }

    /// Hash pieces read in place give what joining them gives: every requirement, problem,
    /// include and flag, with the same spans, on continuations that are pip-compile's and
    /// on mutations of them that must be joined (options, tabs, comments, quotes, `$`,
    /// digests of other lengths or alphabets, unicode blanks, CRLF, `\f`, a file ending
    /// inside a continuation).
    #[test]
    fn hash_pieces_read_in_place_read_as_the_joined_line() {
        let hex = |n: usize| "0123456789abcdef".repeat(8)[..n].to_owned();
        let h256 = format!("--hash=sha256:{}", hex(64));
        let heads = [
            "numpy==1.17.3",
            "pkg-104==1.7.3",
            "tensorflow>=1.0,<2",
            "numpy ; python_version < \"3.8\"",
            "numpy;python_version<'3.8' ",
            "https://example.com/x-1.0-py3-none-any.whl; python_version<'3.8'",
            "x @ https://e.com/x.zip",
            "./local/dir",
            "-e ./dir",
            "-r other.txt",
            "-c cons.txt",
            "numpy --pre",
            "numpy -c x.txt",
            "numpy # comment",
            "numpy#frag",
            "numpy==${V}",
            "numpy\t==1.0",
            "\u{3000}numpy==1",
            "numpy==1\u{3000}",
            "numpy[extra]==1",
            "nump-y==1",
            "numpy=-1",
            "   ",
            "",
        ];
        let heads_ends = [" \\", "\\", " \\\\"];
        let tails = [
            format!("    {h256}"),
            format!("    --hash=sha512:{}", hex(128)),
            format!("  --hash=sha384:{}  {h256}", hex(96)),
            format!("    --hash=sha256:{}", hex(63)),
            format!("    --hash=sha256:{}", hex(65)),
            format!("    --hash=sha256:{}G", hex(63)),
            format!("    --hash=SHA256:{}", hex(64)),
            format!("    --hash=md5:{}", hex(32)),
            format!("\t{h256}"),
            h256.clone(),
            format!("    {h256} --pre"),
            format!("    {h256}#x"),
            format!("    {h256} #x"),
            format!("    {h256}\u{3000}"),
            format!("    \"{h256}\""),
            "    --hash=sha256:$".to_owned(),
            "    --pre".to_owned(),
            "    -r other.txt".to_owned(),
            "    # via foo".to_owned(),
            "#".to_owned(),
            "   ".to_owned(),
            String::new(),
        ];
        let numpy = PackageName::from_str("numpy").unwrap();
        let relevants = [Relevant::all(), Relevant::only([&numpy])];
        let mut n = 0;
        for (i, head) in heads.iter().enumerate() {
            for head_end in heads_ends {
                for mid in std::iter::once(None).chain(tails.iter().map(Some)) {
                    for last in tails.iter().map(Some).chain([None]) {
                        let eol = ["\n", "\r\n", "\x0c"][(i + n) % 3];
                        let mut t = format!("# head{eol}{head}{head_end}{eol}");
                        if let Some(m) = mid {
                            t += &format!("{m} \\{eol}");
                        }
                        match last {
                            Some(l) => t += &format!("{l}{eol}numpy==2{eol}"),
                            // The file ends inside the continuation.
                            None => t += &format!("{h256} \\"),
                        }
                        for r in &relevants {
                            assert_eq!(read(&t, r, false), read(&t, r, true), "{t:?}");
                        }
                        n += 1;
                    }
                }
            }
        }
        // The inputs reach both ways of reading a piece: in place and joined.
        let lines = |t: &str| {
            let mut kinds = Vec::new();
            join_lines(t, |lg, _| kinds.push((lg.joined, lg.hashes)));
            kinds
        };
        assert_eq!(
            lines(&format!("numpy==1 \\\n    {h256} \\\n    {h256}\n")),
            [(false, true)]
        );
        assert_eq!(
            lines(&format!("numpy==1 \\\n    {h256} \\\n    --pre\n")),
            [(true, false)]
        );
    }

    /// The one-pass reading of a line on a package no rule reads ([`unread_line`]) gives
    /// what pip's steps give ([`read_line_steps`]), byte for byte, on pip-compile files and
    /// on every one-character insertion and replacement in their pins (comments, variables,
    /// markers, URLs, paths, options, extras, quotes, blanks, unicode): both are taken.
    #[test]
    fn unread_lines_read_as_pips_steps() {
        let hex = "0123456789abcdef".repeat(4);
        let pins = [
            "pkg-063==0.21.0",
            "a.b-c_d ~= 1.2.3rc1.post2.dev3",
            "x (>=1.0, <2)",
            "y!=1.5.*,>=1",
            "foo",
            "numpy==1.16.4",
            "Num_Py>=1",
            "tensorflow",
        ];
        let marks = [
            "#", " #", "$", "${V}", ";", "; ", ":", "/", "@", " @ ", "[", "]", "-", " -", " --pre",
            " -r x.txt", ".", "*", ",", "(", ")", " ", "\t", "\"", "'", "\\", "=", "<", "~", "!",
            "a", "1", ".zip", ".tar.gz", "+l", "\u{e9}", "\u{3000}", "\u{a0}", "_",
            "; python_version < '3.8'", ";python_version", " ; os_name == 'nt' or",
        ];
        let mut lines: Vec<String> = Vec::new();
        for p in pins {
            lines.push(p.to_owned());
            for m in marks {
                for at in (0..=p.len()).filter(|&i| p.is_char_boundary(i)) {
                    lines.push(format!("{}{m}{}", &p[..at], &p[at..]));
                    let next = p[at..].chars().next().map_or(0, char::len_utf8);
                    lines.push(format!("{}{m}{}", &p[..at], &p[at + next..]));
                }
            }
        }
        let numpy = PackageName::from_str("numpy").unwrap();
        let only = Relevant::only([&numpy]);
        let (mut unread_n, mut stepped_n) = (0, 0);
        for (i, line) in lines.iter().enumerate() {
            // Alone, and as a pip-compile pin with its hashes and `# via` line.
            let text = if i % 2 == 0 {
                format!("{line}\n")
            } else {
                format!(
                    "#\n# pip-compile --generate-hashes\n#\n{line} \\\n    --hash=sha256:{hex} \\\n    --hash=sha256:{hex}\n    # via -r requirements.in\n"
                )
            };
            for r in [&only, &Relevant::all()] {
                let before = STEPPED_LINES.with(|n| n.get());
                let fast = read_lines_with(&text, r, false, parse_logical_line);
                if STEPPED_LINES.with(|n| n.get()) == before {
                    unread_n += 1;
                } else {
                    stepped_n += 1;
                }
                let steps = read_lines_with(&text, r, false, read_line_steps);
                assert_eq!(fast, steps, "{text:?}");
            }
        }
        assert!(unread_n > 500 && stepped_n > 5000, "{unread_n} {stepped_n}");
    }

    /// A pip-compile file of 50 pins on packages no rule reads, each with two `--hash`
    /// continuation lines and a `# via` line: the work-bound tests' input.
    fn fifty_hashed_pins() -> String {
        let hex = "0123456789abcdef".repeat(4);
        let mut text = String::from("#\n# pip-compile --generate-hashes\n#\n");
        for i in 0..50 {
            text += &format!(
                "pkg-{i:03}==1.{i}.0 \\\n    --hash=sha256:{hex} \\\n    --hash=sha256:{hex}\n    # via -r requirements.in\n"
            );
        }
        text
    }

    /// The work bound of the one-pass reading: in a pip-compile file, only the pins on a
    /// rule's package go through pip's steps (comment, variable, option and marker
    /// searches, the link tests); every other pin is one scan.
    #[test]
    fn only_relevant_pins_go_through_pips_steps() {
        let hex = "0123456789abcdef".repeat(4);
        let mut text = fifty_hashed_pins();
        text += &format!("numpy==1.16.4 \\\n    --hash=sha256:{hex}\n");
        let numpy = PackageName::from_str("numpy").unwrap();
        let before = STEPPED_LINES.with(|n| n.get());
        let fp = parse_text_with(0, &text, 0, Role::Require, &Relevant::only([&numpy]));
        assert_eq!(STEPPED_LINES.with(|n| n.get()) - before, 1);
        assert_eq!(fp.requirements.len(), 1);
        assert_eq!(fp.requirements[0].name.as_ref(), "numpy");
        assert!(fp.hashed && fp.problems.is_empty(), "{fp:?}");
        // The counter counts: read in full, every pin goes through them.
        let before = STEPPED_LINES.with(|n| n.get());
        let fp = parse_text(0, &text, 0, Role::Require);
        assert_eq!(STEPPED_LINES.with(|n| n.get()) - before, 51);
        assert_eq!(fp.requirements.len(), 51);
    }

    /// The work bound of a pip-compile file: its `--hash` continuation lines are read where
    /// they are, not copied into a joined line (joining them copied every byte).
    #[test]
    fn hash_continuation_lines_are_not_copied() {
        let hex = "0123456789abcdef".repeat(4);
        let text = fifty_hashed_pins();
        let copied = |t: &str| {
            let before = JOINED_BYTES.with(|n| n.get());
            let fp = parse_text(0, t, 0, Role::Require);
            (JOINED_BYTES.with(|n| n.get()) - before, fp)
        };
        let (bytes, fp) = copied(&text);
        assert_eq!(bytes, 0);
        assert!(fp.hashed);
        assert_eq!(fp.requirements.len(), 50);
        assert!(fp.problems.is_empty(), "{:?}", fp.problems);
        // The counter counts: an option between the hashes joins the line.
        let (bytes, fp) = copied(&format!(
            "numpy==1.0 \\\n    --hash=sha256:{hex} \\\n    --pre \\\n    --hash=sha256:{hex}\n"
        ));
        assert!(bytes > 2 * hex.len(), "{bytes}");
        assert!(fp.hashed && !fp.pre);
    }

    /// The byte-wise trims are `str::trim_*` with Python's `isspace` (and the last-byte
    /// test of `is_archive` lets every archive extension through).
    #[test]
    fn byte_trims_agree_with_the_char_trims() {
        for s in [
            "",
            " ",
            "\t\x0b\x0c\r\n\x1c\x1d\x1e\x1f x \x1f",
            "\u{3000} a\u{a0}b \u{85}",
            " \u{2028}",
            "a\u{e9}",
            "\u{e9} ",
            "#x",
            "  # y",
        ] {
            assert_eq!(py_space_lead(s), s.len() - s.trim_start_matches(py_space).len(), "{s:?}");
            assert_eq!(py_space_trimmed_len(s), s.trim_end_matches(py_space).len(), "{s:?}");
            assert_eq!(is_comment_line(s), s.trim_start_matches(py_space).starts_with('#'));
        }
        for e in ARCHIVE_EXTENSIONS {
            assert!(is_archive(&format!("x{e}")), "{e}");
            assert!(is_archive(&format!("x{}", e.to_ascii_uppercase())), "{e}");
        }
        assert!(!is_archive("x.tar.gz1") && !is_archive("zip"));
    }

    /// The memchr path and the byte-by-byte path find the same lines.
    #[test]
    fn hash_words_read_in_place_say_what_the_option_parser_says() {
        for opts in [
            "",
            "  \t ",
            "--hash=sha256:00ff",
            "--hash=sha256:a \t  --hash=sha512:b:c ",
            "--hash=sha384:",
            "--hash sha256:a",
            "--hash=sha256",
            "--hash=md5:a",
            "--hash='sha256:a'",
            "--hash=sha256:a\\ b",
            "--hash=sha256:a --pre",
            "--has=sha256:a",
            "-- --hash=sha256:a",
        ] {
            let general = shlex_split(opts, 0)
                .ok()
                .and_then(|w| parse_options(&w).ok().map(|o| o.iter().map(|o| o.dest).collect()));
            match only_hash_words(opts) {
                Some(any) => {
                    let dests: Vec<Dest> = general.expect(opts);
                    assert!(dests.iter().all(|d| *d == Dest::Hashes), "{opts:?}");
                    assert_eq!(any, !dests.is_empty(), "{opts:?}");
                }
                // Anything else goes to the option parser: only the forms above are read
                // in place.
                None => assert!(
                    !matches!(opts, "" | "  \t " | "--hash=sha256:00ff" | "--hash=sha384:"),
                    "{opts:?}"
                ),
            }
        }
    }

    #[test]
    fn physical_lines_fast_path_matches_the_full_scan() {
        let slow = |t: &str| {
            let mut out = Vec::new();
            let mut start = 0;
            while let Some((i, len)) = next_terminator_slow(t.as_bytes(), start) {
                out.push((start, i));
                start = i + len;
            }
            if start < t.len() {
                out.push((start, t.len()));
            }
            out
        };
        for t in [
            "",
            "a",
            "a\n",
            "\n\n",
            "a\r\nb\rc\n\r\n",
            "\r",
            "a\r\r\nb",
            "x\\\n  --hash=sha256:00\n",
            "caf\u{e9}\n\u{3000}",
        ] {
            assert_eq!(physical_lines(t).collect::<Vec<_>>(), slow(t), "{t:?}");
        }
        // The rarer terminators switch to the full scan.
        let t = "a\u{2028}b\x0bc\u{85}d\r\ne";
        assert_eq!(
            physical_lines(t).collect::<Vec<_>>(),
            [(0, 1), (4, 5), (6, 7), (9, 10), (12, 13)]
        );
    }

    #[test]
    fn compiled_outputs_are_found_by_pip_compile_and_uv_headers() {
        let dir = std::env::temp_dir().join(format!("dw-compile-outputs-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let write = |name: &str, text: &str| std::fs::write(dir.join(name), text).unwrap();
        write(
            "pip.txt",
            "#\n# This file is autogenerated by pip-compile with Python 3.7\n# by the following command:\n#\n#    pip-compile --output-file=pip.txt requirements.in\n#\nnumpy==1.16.6\n",
        );
        write(
            "uv.txt",
            "# This file was autogenerated by uv via the following command:\n#    uv pip compile requirements.in -o uv.txt\nnumpy==1.16.6\n",
        );
        // Another input, and a header line after the first requirement: not outputs of it.
        write("other.txt", "# uv pip compile other.in\nnumpy==1.16.6\n");
        write("plain.txt", "numpy==1.16.6\n# pip-compile requirements.in\n");
        let found: Vec<String> = pip_compile_outputs(&dir, "requirements.in")
            .iter()
            .map(|p| p.file_name().unwrap().to_string_lossy().into_owned())
            .collect();
        assert_eq!(found, ["pip.txt", "uv.txt"]);
        // Only the header is read: an output over the 8 MiB read cap (sparse: no disk used)
        // is still recognised by its first lines, which a capped whole-file read refused.
        let big = std::fs::File::create(dir.join("big.txt")).unwrap();
        std::io::Write::write_all(&mut &big, b"# uv pip compile requirements.in -o big.txt\n")
            .unwrap();
        big.set_len(crate::files::MAX_FILE_SIZE + 4096).unwrap();
        let found: Vec<String> = pip_compile_outputs(&dir, "requirements.in")
            .iter()
            .map(|p| p.file_name().unwrap().to_string_lossy().into_owned())
            .collect();
        assert_eq!(found, ["big.txt", "pip.txt", "uv.txt"]);
        let _ = std::fs::remove_dir_all(&dir);
    }
}
