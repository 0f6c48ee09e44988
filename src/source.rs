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
    /// Byte offsets in `text` where each line starts.
    line_starts: Vec<usize>,
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
        let line_starts = line_starts(&text);
        let ascii = text.is_ascii();
        let crlf = text.contains("\r\n");
        SourceFile {
            path,
            display,
            text,
            encoding,
            line_starts,
            remap,
            bom_len,
            ascii,
            crlf,
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

    pub(crate) fn bom_len(&self) -> usize {
        self.bom_len
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

    /// 0-based line index of a decoded offset.
    pub(crate) fn line_index(&self, offset: usize) -> usize {
        match self.line_starts.binary_search(&offset) {
            Ok(i) => i,
            Err(i) => i - 1,
        }
    }

    pub(crate) fn line_start(&self, line_index: usize) -> usize {
        self.line_starts[line_index]
    }

    pub(crate) fn line_count(&self) -> usize {
        self.line_starts.len()
    }

    /// The text of a 0-based line, without its line terminator.
    pub(crate) fn line_text(&self, line_index: usize) -> &str {
        let start = self.line_starts[line_index];
        let end = self
            .line_starts
            .get(line_index + 1)
            .copied()
            .unwrap_or(self.text.len());
        self.text[start..end].trim_end_matches(['\n', '\r'])
    }

    pub fn position(&self, offset: usize) -> Position {
        let offset = floor_char_boundary(&self.text, offset.min(self.text.len()));
        let line = self.line_index(offset);
        let start = self.line_starts[line];
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

fn line_starts(text: &str) -> Vec<usize> {
    let mut v = vec![0];
    let b = text.as_bytes();
    if !b.contains(&b'\r') {
        // The common case, found with `memchr` rather than byte by byte.
        v.extend(text.match_indices('\n').map(|(i, _)| i + 1));
        return v;
    }
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'\n' => v.push(i + 1),
            // A lone CR is a line break too (pip uses str.splitlines()).
            b'\r' if b.get(i + 1) != Some(&b'\n') => v.push(i + 1),
            _ => {}
        }
        i += 1;
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

    #[test]
    fn crlf_and_lone_cr_are_line_breaks() {
        let f = SourceFile::from_text("r", "r".into(), "a\r\nb\rc");
        assert_eq!(f.line_count(), 3);
        assert_eq!(f.line_text(0), "a");
        assert_eq!(f.position(5).line, 3);
    }
}
