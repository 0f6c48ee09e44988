//! A loaded input file: its decoded text, how decoded offsets map back to bytes of the
//! original file, and a line index.
//!
//! Invariant: every `Span` in the program is a byte range into `SourceFile::text` (the
//! decoded text). Anything that leaves the program (JSON offsets, fixes written to disk)
//! goes through [`SourceFile::original_offset`], so users always see offsets into the file
//! as it is on disk, BOM and all.

use std::path::{Path, PathBuf};

/// A half-open byte range `[start, end)` into a [`SourceFile`]'s decoded text.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct Span {
    pub start: usize,
    pub end: usize,
}

impl Span {
    pub const fn new(start: usize, end: usize) -> Self {
        Span { start, end }
    }
    pub(crate) fn len(&self) -> usize {
        self.end - self.start
    }
    pub fn is_empty(&self) -> bool {
        self.end == self.start
    }
    /// A span relative to `self` (offsets in `inner` are relative to `self.start`).
    pub(crate) fn sub(&self, inner: Span) -> Span {
        Span::new(self.start + inner.start, self.start + inner.end)
    }
    pub(crate) fn cover(&self, other: Span) -> Span {
        Span::new(self.start.min(other.start), self.end.max(other.end))
    }
}

/// How the bytes on disk were turned into text, following pip's order (pypa/pip#12795):
/// BOM, then a PEP 263 coding comment, then UTF-8, then a fallback. pip falls back to the
/// locale's encoding; we use Latin-1 so the verdict does not depend on the machine.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Encoding {
    Utf8,
    /// UTF-8 with a byte-order mark of `bom_len` bytes (stripped from `text`).
    Utf8Bom,
    /// UTF-16 with a BOM (LE or BE).
    Utf16 {
        big_endian: bool,
    },
    /// Latin-1, either declared by a coding comment or as the fallback for invalid UTF-8.
    Latin1 {
        fallback: bool,
    },
}

#[derive(Debug)]
pub struct SourceFile {
    /// The path as it was opened (may be absolute).
    pub path: PathBuf,
    /// The path shown to users: relative to the working directory when under it, with
    /// forward slashes.
    pub display: String,
    /// The decoded text, without BOM.
    pub text: String,
    pub(crate) encoding: Encoding,
    /// Byte offsets in `text` where each line starts, found the first time a position or a
    /// line is asked for ([`SourceFile::starts`]): most files of a tree have no finding, and
    /// no reader needs their lines.
    line_starts: std::sync::OnceLock<LineStarts>,
    /// For encodings where decoded offsets are not original offsets shifted by the BOM:
    /// `map[i]` is the original byte offset of the char starting at decoded offset
    /// `char_starts[i]`.
    remap: Option<Remap>,
    bom_len: usize,
    /// Whether `text` is all ASCII (columns are then byte distances) and whether it has a
    /// CRLF, decided once at load: asking per finding scanned the text each time, which
    /// made thousands of findings on one long line quadratic (issue 15 §4).
    ascii: bool,
    crlf: bool,
    /// Whether `text` has a CR at all: without one its lines are its LF-terminated lines,
    /// which [`SourceFile::excerpt`] otherwise counts over the whole text.
    has_cr: bool,
}

#[derive(Debug)]
struct Remap {
    decoded: Vec<usize>,
    original: Vec<usize>,
    original_len: usize,
}

/// A 1-based line, 1-based column counted in Unicode scalar values, and a 0-based byte
/// offset into the original file.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Position {
    pub line: usize,
    pub column: usize,
    pub offset: usize,
}

impl SourceFile {
    /// The directory the file is in, against which what it names (`-r`, `file:`) resolves;
    /// empty for a bare name.
    pub(crate) fn dir(&self) -> PathBuf {
        self.path
            .parent()
            .map(Path::to_path_buf)
            .unwrap_or_default()
    }

    /// Decode raw bytes the way pip does (see [`Encoding`]).
    pub(crate) fn from_bytes(
        path: impl Into<PathBuf>,
        display: String,
        bytes: &[u8],
    ) -> SourceFile {
        let path = path.into();
        let (text, encoding, bom_len, remap) = decode(bytes);
        let ascii = text.is_ascii();
        // No CR at all (almost every file) needs no substring search.
        let has_cr = memchr::memchr(b'\r', text.as_bytes()).is_some();
        let crlf = has_cr && text.contains("\r\n");
        SourceFile {
            path,
            display,
            text,
            encoding,
            line_starts: std::sync::OnceLock::new(),
            remap,
            bom_len,
            ascii,
            crlf,
            has_cr,
        }
    }

    /// A file whose text is given directly (tests, stdin already decoded).
    pub fn from_text(path: impl Into<PathBuf>, display: String, text: &str) -> SourceFile {
        Self::from_bytes(path, display, text.as_bytes())
    }

    /// Whether the text has a CRLF line ending anywhere (inserted lines then use CRLF).
    pub(crate) fn has_crlf(&self) -> bool {
        self.crlf
    }

    /// The original byte offset of a decoded offset.
    pub(crate) fn original_offset(&self, decoded: usize) -> usize {
        let decoded = decoded.min(self.text.len());
        match &self.remap {
            None => decoded + self.bom_len,
            Some(r) => match r.decoded.binary_search(&decoded) {
                Ok(i) => r.original[i],
                Err(i) if i >= r.decoded.len() => r.original_len,
                Err(i) => r.original[i],
            },
        }
    }

    /// The starts of the text's lines, found on the first call.
    fn starts(&self) -> &LineStarts {
        self.line_starts.get_or_init(|| {
            crate::files::counts::add(&crate::files::counts::LINE_INDEXES);
            if self.has_cr {
                line_starts(&self.text)
            } else {
                lf_line_starts(self.text.as_bytes())
            }
        })
    }

    /// 0-based line index of a decoded offset.
    pub(crate) fn line_index(&self, offset: usize) -> usize {
        match self.starts().binary_search(&offset) {
            Ok(i) => i,
            Err(i) => i - 1,
        }
    }

    pub(crate) fn line_start(&self, line_index: usize) -> usize {
        self.starts().at(line_index)
    }

    pub(crate) fn line_count(&self) -> usize {
        self.starts().len()
    }

    /// The text of a 0-based line, without its line terminator.
    pub(crate) fn line_text(&self, line_index: usize) -> &str {
        let start = self.starts().at(line_index);
        let end = self.starts().get(line_index + 1).unwrap_or(self.text.len());
        self.text[start..end].trim_end_matches(['\n', '\r'])
    }

    pub fn position(&self, offset: usize) -> Position {
        let offset = floor_char_boundary(&self.text, offset.min(self.text.len()));
        let line = self.line_index(offset);
        let start = self.starts().at(line);
        let column = if self.ascii {
            offset - start + 1
        } else {
            self.text[start..offset].chars().count() + 1
        };
        Position {
            line: line + 1,
            column,
            offset: self.original_offset(offset),
        }
    }

    pub fn slice(&self, span: Span) -> &str {
        &self.text[span.start.min(self.text.len())..span.end.min(self.text.len())]
    }
}

/// The lines of `text` as [`str::lines`] gives them (`\n` or `\r\n` ends a line), found
/// with `memchr` (the built-in release lists at every start, `# via` comments).
pub(crate) fn lines(text: &str) -> impl Iterator<Item = &str> {
    let mut rest = text;
    std::iter::from_fn(move || {
        if rest.is_empty() {
            return None;
        }
        let line = match memchr::memchr(b'\n', rest.as_bytes()) {
            Some(at) => {
                let line = &rest[..at];
                rest = &rest[at + 1..];
                line.strip_suffix('\r').unwrap_or(line)
            }
            None => std::mem::take(&mut rest),
        };
        Some(line)
    })
}

/// Bytes [`SourceFile::excerpt`] scanned on this thread, for the tests' bound on its work.
#[cfg(test)]
pub(crate) fn scanned(add: usize) -> usize {
    thread_local! {
        static SCANNED: std::cell::Cell<usize> = const { std::cell::Cell::new(0) };
    }
    SCANNED.with(|c| {
        c.set(c.get() + add);
        c.get()
    })
}

/// Lines kept either side of a span in an [`Excerpt`]: the human report shows one line of
/// context around a label and joins labels up to 6 lines apart into one snippet
/// (`report::human::NEAR_LINES`), so every line it can show lies within this margin.
pub(crate) const EXCERPT_MARGIN: usize = 8;

/// What a report keeps of a source file once the file has been evaluated: its names and
/// encoding, the lines around the spans that findings and suppressions point at (with
/// [`EXCERPT_MARGIN`] lines either side), where those lines sit in the file (line number,
/// characters before them, original byte offsets), and a digest of the whole text. The text
/// itself is dropped, so the report's memory grows with its findings, not with the tree.
///
/// Every question a reporter asks of a [`SourceFile`] (a position, a slice, a line) is
/// answered the same here for offsets inside the kept lines. A writer (`--fix`,
/// `--add-noqa`) reads the file again and checks it against [`Excerpt::same_text`].
#[derive(Clone, Debug)]
pub struct Excerpt {
    /// The path as it was opened.
    pub path: PathBuf,
    /// The path shown to users (see [`SourceFile::display`]).
    pub display: String,
    pub(crate) encoding: Encoding,
    bom_len: usize,
    /// Length of the decoded text.
    len: usize,
    /// Length of the original bytes.
    original_len: usize,
    ascii: bool,
    /// Whether the text has a CR and no LF (old Mac line endings).
    cr_only: bool,
    /// [`digest`] of the decoded text.
    digest: u64,
    /// The kept lines, by offset, neither overlapping nor touching.
    pieces: Vec<Piece>,
}

/// A run of whole lines of a file (LF-terminated, or up to the end of the file).
#[derive(Clone, Debug)]
struct Piece {
    /// Decoded offset of its first byte (the start of a line).
    start: usize,
    /// 0-based line index of `start` (lines as [`SourceFile::line_index`] counts them).
    line: usize,
    /// LF bytes before `start` (lines as a renderer that breaks only at LF counts them).
    lf_before: usize,
    /// Characters before `start`.
    chars: usize,
    text: String,
    /// Starts of the lines in `text`, relative to `start`.
    line_starts: LineStarts,
    /// For decodings that move offsets (Latin-1, UTF-16): the original byte offset of
    /// every decoded offset `0..=text.len()` of the piece.
    original: Option<Vec<usize>>,
}

/// A run-time keyed hash of a file's text, for "is it still the text that was checked"
/// (64 bits, SipHash with keys drawn once per process: an accidental match is 2^-64, and a
/// deliberate one needs the keys).
fn digest(text: &str) -> u64 {
    use std::hash::{BuildHasher, Hasher};
    static KEYS: std::sync::OnceLock<std::collections::hash_map::RandomState> =
        std::sync::OnceLock::new();
    let mut h = KEYS
        .get_or_init(std::collections::hash_map::RandomState::new)
        .build_hasher();
    h.write(text.as_bytes());
    h.finish()
}

impl SourceFile {
    /// What a report keeps of this file for findings at `spans`: the lines each span covers
    /// and [`EXCERPT_MARGIN`] lines either side (see [`Excerpt`]).
    pub(crate) fn excerpt(&self, spans: impl IntoIterator<Item = Span>) -> Excerpt {
        let text = &self.text;
        let b = text.as_bytes();
        // The starts of the LF-terminated lines (a lone CR does not end a piece's line): the
        // file's own line index when it has no lone CR (the same list), else an index of its
        // LFs made once here, so that each span's lines are found by binary search, never by
        // scanning its line (50,000 findings on one line of 340 KB scanned 17 GB; with a lone
        // CR in the file, 4,000 findings on one line of 400 KB scanned 1.6 GB).
        let own;
        let starts: &LineStarts = if !self.has_cr || {
            #[cfg(test)]
            scanned(b.len());
            self.starts().len() == 1 + memchr::memchr_iter(b'\n', b).count()
        } {
            self.starts()
        } else {
            #[cfg(test)]
            scanned(b.len());
            own = lf_line_starts(b);
            &own
        };
        let mut windows: Vec<(usize, usize)> = spans
            .into_iter()
            .map(|span| {
                let span = snap(text, span);
                // Back to the start of the span's line, then MARGIN lines more; on to the
                // end of the line holding its end, then MARGIN lines more. The line holding
                // `span.start` is the last start at or before it; the end is the first start
                // after `span.end` (or the end of the text).
                let first = starts.partition_point(|s| s <= span.start) - 1;
                let start = starts.at(first.saturating_sub(EXCERPT_MARGIN));
                let next = starts.partition_point(|s| s <= span.end);
                let mut end = starts.get(next).unwrap_or(b.len());
                for k in 1..=EXCERPT_MARGIN {
                    if end >= b.len() {
                        break;
                    }
                    end = starts.get(next + k).unwrap_or(b.len());
                }
                (start, end)
            })
            .collect();
        windows.sort_unstable();
        let mut merged: Vec<(usize, usize)> = Vec::with_capacity(windows.len());
        for (s, e) in windows {
            match merged.last_mut() {
                Some(last) if s <= last.1 => last.1 = last.1.max(e),
                _ => merged.push((s, e)),
            }
        }
        let mut pieces = Vec::with_capacity(merged.len());
        let (mut lf_at, mut lf_before) = (0, 0);
        let (mut chars_at, mut chars) = (0, 0);
        for (s, e) in merged {
            lf_before += memchr::memchr_iter(b'\n', &b[lf_at..s]).count();
            lf_at = s;
            if self.ascii {
                chars = s;
            } else {
                chars += text[chars_at..s].chars().count();
                chars_at = s;
            }
            let piece = &text[s..e];
            pieces.push(Piece {
                start: s,
                line: self.line_index(s),
                lf_before,
                chars,
                text: piece.to_owned(),
                line_starts: line_starts(piece),
                original: self
                    .remap
                    .as_ref()
                    .map(|_| (s..=e).map(|o| self.original_offset(o)).collect()),
            });
        }
        Excerpt {
            path: self.path.clone(),
            display: self.display.clone(),
            encoding: self.encoding.clone(),
            bom_len: self.bom_len,
            len: text.len(),
            original_len: self.original_offset(text.len()),
            ascii: self.ascii,
            cr_only: self.has_cr && memchr::memchr(b'\n', b).is_none(),
            digest: digest(text),
            pieces,
        }
    }
}

impl Excerpt {
    /// Whether `file` (the same path read again) holds exactly the text this was cut from.
    pub(crate) fn same_text(&self, file: &SourceFile) -> bool {
        file.text.len() == self.len
            && file.encoding == self.encoding
            && file.bom_len == self.bom_len
            && digest(&file.text) == self.digest
    }

    /// The directory the file is in (see [`SourceFile::dir`]).
    pub(crate) fn dir(&self) -> PathBuf {
        self.path
            .parent()
            .map(Path::to_path_buf)
            .unwrap_or_default()
    }

    /// Whether the text has a CR and no LF.
    pub(crate) fn cr_only(&self) -> bool {
        self.cr_only
    }

    /// The piece holding decoded offset `at` (the last one starting at or before it).
    fn piece(&self, at: usize) -> Option<&Piece> {
        let i = self.pieces.partition_point(|p| p.start <= at);
        self.pieces.get(i.checked_sub(1)?)
    }

    /// `at` as an offset into its piece, clamped to the piece (a well-formed report only
    /// asks about kept offsets).
    fn local(&self, at: usize) -> Option<(&Piece, usize)> {
        let at = at.min(self.len);
        let p = self.piece(at).or(self.pieces.first())?;
        let local = at.saturating_sub(p.start).min(p.text.len());
        Some((p, floor_char_boundary(&p.text, local)))
    }

    /// The original byte offset of a decoded offset (see [`SourceFile::original_offset`]).
    pub(crate) fn original_offset(&self, decoded: usize) -> usize {
        let decoded = decoded.min(self.len);
        match self.piece(decoded) {
            Some(p) => match &p.original {
                None => decoded + self.bom_len,
                Some(o) => o
                    .get(decoded - p.start)
                    .or(o.last())
                    .copied()
                    .unwrap_or(self.original_len),
            },
            None if self.len == 0 => self.original_len,
            None => decoded + self.bom_len,
        }
    }

    /// 0-based line index of a decoded offset.
    pub(crate) fn line_index(&self, offset: usize) -> usize {
        match self.local(offset) {
            Some((p, local)) => {
                p.line
                    + match p.line_starts.binary_search(&local) {
                        Ok(i) => i,
                        Err(i) => i - 1,
                    }
            }
            None => 0,
        }
    }

    /// The piece and relative line of a 0-based line.
    fn line_in_piece(&self, line_index: usize) -> Option<(&Piece, usize)> {
        let i = self.pieces.partition_point(|p| p.line <= line_index);
        let p = self.pieces.get(i.checked_sub(1)?)?;
        let rel = (line_index - p.line).min(p.line_starts.len() - 1);
        Some((p, rel))
    }

    pub(crate) fn line_start(&self, line_index: usize) -> usize {
        self.line_in_piece(line_index)
            .map_or(0, |(p, rel)| p.start + p.line_starts.at(rel))
    }

    /// The text of a 0-based line, without its line terminator.
    pub(crate) fn line_text(&self, line_index: usize) -> &str {
        let Some((p, rel)) = self.line_in_piece(line_index) else {
            return "";
        };
        let start = p.line_starts.at(rel);
        let end = p.line_starts.get(rel + 1).unwrap_or(p.text.len());
        p.text[start..end].trim_end_matches(['\n', '\r'])
    }

    /// See [`SourceFile::position`].
    pub fn position(&self, offset: usize) -> Position {
        let Some((p, local)) = self.local(offset) else {
            return Position {
                line: 1,
                column: 1,
                offset: self.original_offset(0),
            };
        };
        let rel = match p.line_starts.binary_search(&local) {
            Ok(i) => i,
            Err(i) => i - 1,
        };
        let start = p.line_starts.at(rel);
        let column = if self.ascii {
            local - start + 1
        } else {
            p.text[start..local].chars().count() + 1
        };
        Position {
            line: p.line + rel + 1,
            column,
            offset: self.original_offset(p.start + local),
        }
    }

    /// Characters before a decoded offset (SARIF's `charOffset`).
    pub(crate) fn char_offset(&self, offset: usize) -> usize {
        match self.local(offset) {
            Some((p, local)) if self.ascii => p.start + local,
            Some((p, local)) => p.chars + p.text[..local].chars().count(),
            None => 0,
        }
    }

    /// `span` snapped to character boundaries (see [`snap`]) and clamped to the kept text.
    pub(crate) fn snap(&self, span: Span) -> Span {
        let Some((p, start)) = self.local(span.start) else {
            return Span::default();
        };
        let end = span
            .end
            .min(self.len)
            .saturating_sub(p.start)
            .clamp(start, p.text.len());
        let end = ceil_char_boundary(&p.text, end);
        Span::new(p.start + start, p.start + end)
    }

    /// The text of a span (see [`SourceFile::slice`]); empty outside the kept lines.
    pub fn slice(&self, span: Span) -> &str {
        let s = self.snap(span);
        match self.piece(s.start) {
            Some(p) => p.text.get(s.start - p.start..s.end - p.start).unwrap_or(""),
            None => "",
        }
    }

    /// The kept lines, in order: (decoded offset, LF bytes before it, text).
    pub(crate) fn pieces(&self) -> impl Iterator<Item = (usize, usize, &str)> {
        self.pieces
            .iter()
            .map(|p| (p.start, p.lf_before, p.text.as_str()))
    }

    /// Take in the lines another excerpt of the same text kept (the same file reached
    /// from another root): the union of both. Where they overlap, this one's lines stay.
    pub(crate) fn absorb(&mut self, other: Excerpt) {
        if other.digest != self.digest || other.len != self.len {
            // The file changed between the two reads: keep the first reading whole.
            return;
        }
        for p in other.pieces {
            let end = p.start + p.text.len();
            let overlaps = self
                .pieces
                .iter()
                .any(|q| q.start <= end && p.start <= q.start + q.text.len());
            if !overlaps {
                let at = self.pieces.partition_point(|q| q.start < p.start);
                self.pieces.insert(at, p);
            } else if !self
                .pieces
                .iter()
                .any(|q| q.start <= p.start && end <= q.start + q.text.len())
            {
                // Partly new: join the overlapping pieces and this one.
                self.join(p);
            }
        }
    }

    /// Replace the pieces that overlap or touch `p` by one piece covering them all.
    fn join(&mut self, p: Piece) {
        let end = p.start + p.text.len();
        let (mut touching, rest): (Vec<Piece>, Vec<Piece>) = std::mem::take(&mut self.pieces)
            .into_iter()
            .partition(|q| q.start <= end && p.start <= q.start + q.text.len());
        touching.push(p);
        touching.sort_by_key(|q| q.start);
        let mut acc = touching.remove(0);
        for q in touching {
            let acc_end = acc.start + acc.text.len();
            let q_end = q.start + q.text.len();
            if q_end <= acc_end {
                continue;
            }
            // Sorted by start, each touches `p`, so each touches the one before it.
            let Some(tail) = acc_end
                .checked_sub(q.start)
                .and_then(|from| Some((from, q.text.get(from..)?)))
            else {
                continue;
            };
            let (from, tail) = tail;
            let base = acc.text.len();
            acc.text.push_str(tail);
            acc.line_starts = line_starts(&acc.text);
            if let (Some(a), Some(o)) = (&mut acc.original, &q.original) {
                a.truncate(base + 1);
                a.extend_from_slice(&o[from + 1..]);
            }
        }
        self.pieces = rest;
        let at = self.pieces.partition_point(|q| q.start < acc.start);
        self.pieces.insert(at, acc);
    }
}

/// The excerpts a report holds, by [`crate::manifest::FileId`] (the registry of
/// [`crate::files::Files`], after evaluation).
#[derive(Debug, Default)]
pub struct Excerpts {
    files: Vec<Excerpt>,
    /// By [`crate::files::normalize`]d path ([`crate::files::PathKey`]).
    by_path: crate::hash::HashMap<crate::files::PathKey, usize>,
}

impl Excerpts {
    pub fn new() -> Excerpts {
        Excerpts::default()
    }

    /// Every file of a registry kept whole (tests, and reports built without a run).
    pub fn whole(files: &crate::files::Files) -> Excerpts {
        let mut out = Excerpts::new();
        for (_, f) in files.iter() {
            out.adopt(f.excerpt([Span::new(0, f.text.len())]));
        }
        out
    }

    pub fn get(&self, id: usize) -> &Excerpt {
        &self.files[id]
    }

    pub fn len(&self) -> usize {
        self.files.len()
    }

    pub fn is_empty(&self) -> bool {
        self.files.is_empty()
    }

    pub(crate) fn iter(&self) -> impl Iterator<Item = (usize, &Excerpt)> {
        self.files.iter().enumerate()
    }

    /// Take in an excerpt; one of a file already here (by path) joins its kept lines and
    /// keeps its id.
    pub(crate) fn adopt(&mut self, e: Excerpt) -> usize {
        let key = crate::files::normalize(&e.path).into_os_string();
        if let Some(&id) = self.by_path.get(&key) {
            self.files[id].absorb(e);
            return id;
        }
        let id = self.files.len();
        self.files.push(e);
        self.by_path.insert(key, id);
        id
    }
}

/// The greatest character boundary of `s` at or before `i` (`s.len()` past the end).
pub(crate) fn floor_char_boundary(s: &str, mut i: usize) -> usize {
    if i >= s.len() {
        return s.len();
    }
    while !s.is_char_boundary(i) {
        i -= 1;
    }
    i
}

/// The least character boundary of `s` at or after `i` (`s.len()` past the end).
pub(crate) fn ceil_char_boundary(s: &str, mut i: usize) -> usize {
    if i >= s.len() {
        return s.len();
    }
    while !s.is_char_boundary(i) {
        i += 1;
    }
    i
}

/// The one span snapper: `span` widened to character boundaries of `text` (start down, end
/// up) and clamped to it, so that it always slices. Every place that turns an outside
/// position (pep508_rs error ranges count characters where bytes are meant, fuzzed input,
/// a report of a stale span) into a span goes through here.
pub(crate) fn snap(text: &str, span: Span) -> Span {
    let start = floor_char_boundary(text, span.start);
    let end = ceil_char_boundary(text, span.end.max(start));
    Span::new(start, end)
}

/// The byte offsets where the lines of a text start, as `u32`: a file is read up to 8 MiB
/// and decodes to at most a few times that, so an offset fits, and a file of 1.6M short
/// lines holds 6 MB of them rather than 13 (issue 15 §4). An offset past `u32::MAX`
/// (never read) would be held as `u32::MAX`.
#[derive(Clone, Debug, Default)]
pub(crate) struct LineStarts(Vec<u32>);

impl LineStarts {
    fn push(&mut self, offset: usize) {
        self.0.push(u32::try_from(offset).unwrap_or(u32::MAX));
    }

    /// The start of line `i` (0-based); panics past the last line, as indexing does.
    pub(crate) fn at(&self, i: usize) -> usize {
        self.0[i] as usize
    }

    pub(crate) fn get(&self, i: usize) -> Option<usize> {
        self.0.get(i).map(|&o| o as usize)
    }

    pub(crate) fn len(&self) -> usize {
        self.0.len()
    }

    /// As `[usize]::partition_point` on the offsets.
    pub(crate) fn partition_point(&self, pred: impl Fn(usize) -> bool) -> usize {
        self.0.partition_point(|&o| pred(o as usize))
    }

    /// As `[usize]::binary_search` on the offsets.
    pub(crate) fn binary_search(&self, offset: &usize) -> Result<usize, usize> {
        match u32::try_from(*offset) {
            Ok(o) => self.0.binary_search(&o),
            Err(_) => Err(self.0.len()),
        }
    }
}

/// The starts of the lines a renderer that breaks only at LF sees (a lone CR is not a break).
/// Counted first (a vectorised pass) and held at their number: grown by doubling, the list
/// was reallocated about ten times per file and held up to twice the room it needs (a file
/// of 1.6M short lines).
fn lf_line_starts(b: &[u8]) -> LineStarts {
    let mut v = LineStarts(Vec::with_capacity(
        1 + memchr::memchr_iter(b'\n', b).count(),
    ));
    v.push(0);
    for i in memchr::memchr_iter(b'\n', b) {
        v.push(i + 1);
    }
    v
}

fn line_starts(text: &str) -> LineStarts {
    let b = text.as_bytes();
    if memchr::memchr(b'\r', b).is_none() {
        // The common case, found with the vectorised `memchr` (the standard library's
        // `match_indices` scans a word at a time: 5% of a run's instructions).
        return lf_line_starts(b);
    }
    let mut v = LineStarts(Vec::new());
    v.push(0);
    for i in memchr::memchr2_iter(b'\n', b'\r', b) {
        // A lone CR is a line break too (pip uses str.splitlines()).
        if b[i] == b'\n' || b.get(i + 1) != Some(&b'\n') {
            v.push(i + 1);
        }
    }
    v
}

type Decoded = (String, Encoding, usize, Option<Remap>);

fn decode(bytes: &[u8]) -> Decoded {
    if let Some(rest) = bytes.strip_prefix(b"\xEF\xBB\xBF") {
        return match std::str::from_utf8(rest) {
            Ok(s) => (s.to_owned(), Encoding::Utf8Bom, 3, None),
            // pip would raise here; we decode what we can losslessly so nothing is lost.
            Err(_) => latin1(rest, 3, true),
        };
    }
    for (bom, big_endian) in [(&b"\xFF\xFE"[..], false), (&b"\xFE\xFF"[..], true)] {
        if let Some(rest) = bytes.strip_prefix(bom) {
            return utf16(rest, big_endian);
        }
    }
    if let Some(enc) = coding_comment(bytes) {
        let enc = enc.to_ascii_lowercase().replace('_', "-");
        if matches!(
            enc.as_str(),
            "latin-1" | "iso-8859-1" | "iso8859-1" | "latin1" | "l1" | "cp819"
        ) {
            return latin1(bytes, 0, false);
        }
    }
    match std::str::from_utf8(bytes) {
        Ok(s) => (s.to_owned(), Encoding::Utf8, 0, None),
        Err(_) => latin1(bytes, 0, true),
    }
}

/// PEP 263: `coding[:=]\s*([-\w.]+)` in a comment on one of the first two lines.
fn coding_comment(bytes: &[u8]) -> Option<String> {
    for line in bytes.split(|&b| b == b'\n').take(2) {
        let line = String::from_utf8_lossy(line);
        let Some(hash) = line.find('#') else { continue };
        let comment = &line[hash..];
        if let Some(i) = comment.find("coding") {
            let rest = &comment[i + 6..];
            let rest = rest.strip_prefix([':', '='])?;
            let name: String = rest
                .trim_start()
                .chars()
                .take_while(|c| c.is_alphanumeric() || matches!(c, '-' | '_' | '.'))
                .collect();
            if !name.is_empty() {
                return Some(name);
            }
        }
    }
    None
}

fn latin1(bytes: &[u8], base: usize, fallback: bool) -> Decoded {
    let mut text = String::with_capacity(bytes.len() + bytes.len() / 8);
    let mut decoded = Vec::new();
    let mut original = Vec::new();
    for (i, &b) in bytes.iter().enumerate() {
        decoded.push(text.len());
        original.push(base + i);
        text.push(b as char);
    }
    let remap = Remap {
        decoded,
        original,
        original_len: base + bytes.len(),
    };
    (text, Encoding::Latin1 { fallback }, base, Some(remap))
}

fn utf16(bytes: &[u8], big_endian: bool) -> Decoded {
    let units = bytes.chunks(2).map(|c| {
        let pair = [c[0], *c.get(1).unwrap_or(&0)];
        if big_endian {
            u16::from_be_bytes(pair)
        } else {
            u16::from_le_bytes(pair)
        }
    });
    let mut text = String::new();
    let mut decoded = Vec::new();
    let mut original = Vec::new();
    let mut pos = 2usize;
    for r in char::decode_utf16(units) {
        let c = r.unwrap_or(char::REPLACEMENT_CHARACTER);
        decoded.push(text.len());
        original.push(pos);
        pos += if (c as u32) > 0xFFFF { 4 } else { 2 };
        text.push(c);
    }
    let remap = Remap {
        decoded,
        original,
        original_len: 2 + bytes.len(),
    };
    (text, Encoding::Utf16 { big_endian }, 2, Some(remap))
}

/// The path to show for `path`: relative to `cwd` when under it, forward slashes.
pub(crate) fn display_path(path: &Path, cwd: &Path) -> String {
    let rel = if path.is_absolute() {
        path.strip_prefix(cwd).unwrap_or(path)
    } else {
        path
    };
    let s = rel.to_string_lossy().replace('\\', "/");
    s.strip_prefix("./").map(str::to_owned).unwrap_or(s)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The line list of an LF text is held at its length: one allocation, no spare room
    /// (grown by doubling, five lines held eight and ten thousand held 16,384).
    #[test]
    fn lf_line_starts_hold_no_spare_room() {
        for n in [0, 1, 5, 100, 10_000] {
            let text = "numpy>=1.16\n".repeat(n) + "gast";
            let starts = super::line_starts(&text);
            assert_eq!(starts.0.len(), n + 1);
            assert_eq!(starts.0.capacity(), n + 1, "{n} lines");
        }
    }

    #[test]
    fn snap_widens_to_character_boundaries_and_clamps() {
        let t = "aé€b"; // a: 0, é: 1..3, €: 3..6, b: 6..7
        assert_eq!(snap(t, Span::new(2, 4)), Span::new(1, 6));
        assert_eq!(snap(t, Span::new(1, 3)), Span::new(1, 3));
        assert_eq!(snap(t, Span::new(4, 2)), Span::new(3, 3));
        assert_eq!(snap(t, Span::new(5, 99)), Span::new(3, 7));
        assert_eq!(snap(t, Span::new(99, 100)), Span::new(7, 7));
        for a in 0..9 {
            for b in 0..9 {
                let s = snap(t, Span::new(a, b));
                assert!(t.get(s.start..s.end).is_some(), "{a}..{b} -> {s:?}");
            }
        }
    }

    #[test]
    fn bom_shifts_offsets_and_columns_count_chars() {
        let f = SourceFile::from_bytes("r.txt", "r.txt".into(), "\u{feff}é numpy\n".as_bytes());
        assert_eq!(f.encoding, Encoding::Utf8Bom);
        let off = f.text.find("numpy").unwrap();
        let p = f.position(off);
        assert_eq!((p.line, p.column, p.offset), (1, 3, off + 3));
    }

    #[test]
    fn latin1_fallback_maps_back_to_single_bytes() {
        let f = SourceFile::from_bytes("r.txt", "r.txt".into(), b"# caf\xe9\nnumpy\n");
        assert_eq!(f.encoding, Encoding::Latin1 { fallback: true });
        let off = f.text.find("numpy").unwrap();
        assert_eq!(
            f.position(off),
            Position {
                line: 2,
                column: 1,
                offset: 7
            }
        );
    }

    /// Every answer an excerpt gives about the offsets near its spans is the file's.
    #[test]
    fn an_excerpt_answers_as_its_file_around_its_spans() {
        let mut body = String::new();
        for i in 0..60 {
            body.push_str(&match i % 6 {
                0 => format!("numpy>={i}.0\n"),
                1 => format!("# caf\u{e9} {i}\r\n"),
                2 => format!("x{i}\rold mac\n"),
                3 => "\n".to_owned(),
                4 => format!("\u{1f600}pkg=={i} \\\n"),
                _ => format!("\u{1b}]ctl {i}\n"),
            });
        }
        let utf16: Vec<u8> = [0xFF, 0xFE]
            .into_iter()
            .chain(body.encode_utf16().flat_map(u16::to_le_bytes))
            .collect();
        let latin1: Vec<u8> = body.chars().map(|c| (c as u32 % 256) as u8).collect();
        let bom: Vec<u8> = b"\xEF\xBB\xBF"
            .iter()
            .chain(body.as_bytes())
            .copied()
            .collect();
        let ascii = "a==1\nb\n".repeat(40);
        for bytes in [body.as_bytes(), &utf16, &latin1, &bom, ascii.as_bytes()] {
            let f = SourceFile::from_bytes("r.txt", "r.txt".into(), bytes);
            let n = f.text.len();
            let spans = [
                Span::new(0, 3),
                Span::new(n / 2, n / 2 + 9),
                Span::new(n / 2 + 40, n / 2 + 41),
                Span::new(n.saturating_sub(2), n),
            ];
            // Two excerpts of the same text joined answer for both.
            let mut e = f.excerpt(spans[..2].iter().copied());
            e.absorb(f.excerpt(spans[2..].iter().copied()));
            assert!(e.same_text(&f));
            for span in spans {
                let s = snap(&f.text, span);
                assert_eq!(e.snap(span), s);
                assert_eq!(e.slice(span), f.slice(s));
                for at in s.start.saturating_sub(3)..=(s.end + 3).min(n) {
                    assert_eq!(e.position(at), f.position(at), "{at}");
                    assert_eq!(e.original_offset(at), f.original_offset(at));
                    assert_eq!(e.line_index(at), f.line_index(at));
                    let line = f.line_index(at);
                    assert_eq!(e.line_start(line), f.line_start(line));
                    assert_eq!(e.line_text(line), f.line_text(line));
                    let at = floor_char_boundary(&f.text, at);
                    assert_eq!(e.char_offset(at), f.text[..at].chars().count());
                }
            }
            // Only the lines around the spans are kept.
            let kept: usize = e.pieces().map(|(_, _, t)| t.len()).sum();
            assert!(kept < n, "{kept} of {n}");
            for (start, lf_before, text) in e.pieces() {
                assert_eq!(&f.text[start..start + text.len()], text);
                assert_eq!(lf_before, f.text[..start].matches('\n').count());
            }
        }
        let f = SourceFile::from_text("r.txt", "r.txt".into(), "a\n");
        let g = SourceFile::from_text("r.txt", "r.txt".into(), "b\n");
        assert!(!f.excerpt([Span::new(0, 1)]).same_text(&g));
    }

    /// The lines an excerpt keeps around its spans are the lines the scan from each span
    /// finds (back to its line's start and on to its end's line end, then
    /// [`EXCERPT_MARGIN`] lines either way), whether found in the line index (no lone CR)
    /// or by the scan (a lone CR), and finding them costs a pass over the text, not a scan
    /// of a span's line per span: 4,000 spans on one 400 KB line scanned 1.6 GB before.
    #[test]
    fn excerpt_lines_are_the_scanned_lines_and_found_without_rescanning() {
        let reference = |b: &[u8], spans: &[Span]| -> Vec<(usize, usize)> {
            let line_start = |at: usize| {
                b[..at]
                    .iter()
                    .rposition(|&c| c == b'\n')
                    .map_or(0, |i| i + 1)
            };
            let line_end = |at: usize| {
                b[at..]
                    .iter()
                    .position(|&c| c == b'\n')
                    .map_or(b.len(), |i| at + i + 1)
            };
            let mut w: Vec<(usize, usize)> = spans
                .iter()
                .map(|s| {
                    let (mut start, mut end) = (line_start(s.start), line_end(s.end));
                    for _ in 0..EXCERPT_MARGIN {
                        if start > 0 {
                            start = line_start(start - 1);
                        }
                        if end < b.len() {
                            end = line_end(end);
                        }
                    }
                    (start, end)
                })
                .collect();
            w.sort_unstable();
            let mut merged: Vec<(usize, usize)> = Vec::new();
            for (s, e) in w {
                match merged.last_mut() {
                    Some(last) if s <= last.1 => last.1 = last.1.max(e),
                    _ => merged.push((s, e)),
                }
            }
            merged
        };
        let long = format!("numpy[{}]>=1\n", "e,".repeat(200_000));
        let mut texts: Vec<String> = vec![
            String::new(),
            "a".into(),
            "\n".into(),
            "\n\n\n".into(),
            "a\r\nb\rc\n".into(),
            format!("a\nb\n{}\nc\n", "y".repeat(3_000)),
        ];
        for (i, ending) in ["\n", "\r\n", "\r"].iter().enumerate() {
            let body: String = (0..40)
                .map(|k| format!("l{k}{}{ending}", "x".repeat(k % 7)))
                .collect();
            texts.push(body.clone());
            texts.push(format!("{body}tail{i}"));
        }
        for text in &texts {
            let f = SourceFile::from_text("r.txt", "r.txt".into(), text);
            let n = text.len();
            let mut spans: Vec<Span> = (0..=n.min(400))
                .map(|a| Span::new(a, (a + 3).min(n)))
                .collect();
            spans.extend((0..50).map(|k| Span::new(n * k / 50, n * (k + 1) / 50)));
            spans.push(Span::new(n, n));
            for chunk in [&spans[..1], &spans[..], &spans[spans.len() / 2..]] {
                let e = f.excerpt(chunk.iter().copied());
                let got: Vec<(usize, usize)> = e
                    .pieces()
                    .map(|(start, _, t)| (start, start + t.len()))
                    .collect();
                assert_eq!(
                    got,
                    reference(text.as_bytes(), chunk),
                    "{:?}",
                    &text[..n.min(40)]
                );
            }
        }
        // 4,000 spans on a 400 KB line without a CR: its line index serves, and the text is
        // not scanned at all.
        let f = SourceFile::from_text("r.txt", "r.txt".into(), &long);
        let before = scanned(0);
        let e = f.excerpt((0..4_000).map(|k| Span::new(k * 100, k * 100 + 5)));
        let work = scanned(0) - before;
        assert_eq!(e.pieces().count(), 1);
        assert_eq!(work, 0, "scanned {work} bytes for a text without a CR");
        // The same with a lone CR in the file: its LFs are indexed once, in one pass (the
        // file's index, which breaks at the CR too, cannot serve); a scan per span was 1.6 GB.
        let cr = format!("a\rb\n{long}");
        let f = SourceFile::from_text("r.txt", "r.txt".into(), &cr);
        let before = scanned(0);
        let e = f.excerpt((0..4_000).map(|k| Span::new(4 + k * 100, 4 + k * 100 + 5)));
        let work = scanned(0) - before;
        let got: Vec<(usize, usize)> = e.pieces().map(|(s, _, t)| (s, s + t.len())).collect();
        assert_eq!(got, [(0, cr.len())]);
        assert!(
            work <= 2 * cr.len(),
            "scanned {work} bytes for {} bytes",
            cr.len()
        );
    }

    #[test]
    fn crlf_and_lone_cr_are_line_breaks() {
        let f = SourceFile::from_text("r", "r".into(), "a\r\nb\rc");
        assert_eq!(f.line_count(), 3);
        assert_eq!(f.line_text(0), "a");
        assert_eq!(f.position(5).line, 3);
    }
}
