//! Reporters: one module per output format, each a pure function from a [`Report`] to
//! text. They never decide anything (severity, suppression, which findings exist); they
//! only render what the checker produced.
//!
//! Adding a format: its module with an [`Emitter`], and one line in the `outputs!` list
//! below (which declares the module and gives the variant, its name and its emitter).
//!
//! Shared conventions:
//! - paths are `SourceFile::display` (relative to the working directory, forward slashes);
//! - lines and columns are 1-based, columns count Unicode scalar values, offsets are bytes
//!   of the original file (see [`crate::source::SourceFile::position`]);
//! - fingerprints ([`Fingerprints`]) hash what the finding is about, never where it is, so
//!   they survive edits elsewhere in the file.

use std::collections::HashMap;

use crate::diagnostic::{Diagnostic, Severity};
use crate::manifest::Loc;
use crate::source::Excerpts;
use crate::source::Position;

/// The tool's name as every machine-readable format states it.
pub(crate) const TOOL_NAME: &str = "depwindow";

/// Everything a reporter needs: what the report keeps of the files (paths, positions and
/// the lines around each finding: [`crate::source::Excerpt`]) and the findings.
pub struct Report<'a> {
    pub files: &'a Excerpts,
    /// The findings in the order to report them. Suppressed findings may be included
    /// (`suppressed.is_some()`); formats that cannot express suppression skip them.
    pub diagnostics: &'a [Diagnostic],
    pub tool_version: &'a str,
    /// How many files were checked (the registry holds only those with findings).
    pub checked: usize,
    /// List suppressed findings (`--show-suppressed`) in formats that list findings
    /// without a native notion of suppression (json, json-lines). SARIF always carries
    /// them with `suppressions`; the summary always counts them.
    pub show_suppressed: bool,
    /// The failure threshold (`--fail-on`, default error): JUnit fails a test case whose
    /// finding is at or above it.
    pub fail_on: Severity,
    /// Threads a large report may be rendered with (`--jobs`; 0: one per core).
    pub jobs: usize,
}

/// The closing line of the human-readable formats (human, concise): "All checks passed!"
/// when no unsuppressed finding is left, else the count of each severity (infos too, so
/// every format counts what it lists).
pub(crate) fn summary_line(diagnostics: &[Diagnostic], checked: usize) -> String {
    let count = |s: Severity| {
        diagnostics
            .iter()
            .filter(|d| d.severity == s && d.suppressed.is_none())
            .count()
    };
    let (e, w, i) = (
        count(Severity::Error),
        count(Severity::Warning),
        count(Severity::Info),
    );
    let plural = |n: usize, word: &str| format!("{n} {word}{}", if n == 1 { "" } else { "s" });
    if e + w + i == 0 {
        format!("All checks passed! ({} checked)", plural(checked, "file"))
    } else if i == 0 {
        format!(
            "Found {} and {} in {} checked.",
            plural(e, "error"),
            plural(w, "warning"),
            plural(checked, "file")
        )
    } else {
        format!(
            "Found {}, {} and {} in {} checked.",
            plural(e, "error"),
            plural(w, "warning"),
            plural(i, "info"),
            plural(checked, "file")
        )
    }
}

/// Renders a [`Report`] in one output format.
pub trait Emitter {
    fn emit(&self, report: &Report, out: &mut dyn std::io::Write) -> std::io::Result<()>;
}

/// The one list of output formats: a line per format names its variant, the module that
/// holds it (declared here), its `--output-format` name, and how its [`Emitter`] is made
/// from `pretty` (`None` for the human format, which the CLI renders with miette). Adding a
/// format is its module and one line here.
macro_rules! outputs {
    ($(
        $(#[$doc:meta])*
        $variant:ident => $($vis:vis mod $module:ident,)? $name:literal, |$pretty:ident| $make:expr;
    )*) => {
        $($($vis mod $module;)?)*

        /// Every output format, by the name `--output-format` accepts.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
        pub enum OutputFormat {
            $($(#[$doc])* $variant,)*
        }

        impl OutputFormat {
            pub const ALL: [OutputFormat; [$($name),*].len()] = [$(OutputFormat::$variant,)*];

            pub fn name(self) -> &'static str {
                match self {
                    $(OutputFormat::$variant => $name,)*
                }
            }
        }

        /// The reporter for a format. `pretty` indents `json` for people (`--pretty`, config
        /// `pretty = true`); by default it is compact, one line: the report of a large tree
        /// is read by programs, and indentation made it larger than the input. The other
        /// formats have one layout each.
        pub fn emitter(format: OutputFormat, pretty: bool) -> Option<Box<dyn Emitter>> {
            match format {
                $(OutputFormat::$variant => {
                    let $pretty = pretty;
                    $make
                })*
            }
        }
    };
}

outputs! {
    /// Graphical diagnostics (miette); rendered by the CLI, not by an emitter.
    Human => pub(crate) mod human, "human", |_pretty| None;
    Json => pub(crate) mod json, "json", |pretty| Some(Box::new(json::Json { pretty }));
    JsonLines => "json-lines", |_pretty| Some(Box::new(json::JsonLines));
    /// `path:line:col: severity: message [code]` (also accepted as `gcc`).
    Concise => pub(crate) mod concise, "concise", |_pretty| Some(Box::new(concise::Concise));
    Sarif => pub(crate) mod sarif, "sarif", |_pretty| Some(Box::new(sarif::Sarif));
    Github => pub mod github, "github", |_pretty| Some(Box::new(github::Github));
    Gitlab => pub(crate) mod gitlab, "gitlab", |_pretty| Some(Box::new(gitlab::Gitlab));
    Junit => pub(crate) mod junit, "junit", |_pretty| Some(Box::new(junit::Junit));
}

impl OutputFormat {
    /// Look a format up by name; `gcc` is an alias of `concise`.
    pub(crate) fn from_name(name: &str) -> Option<OutputFormat> {
        if name == "gcc" {
            return Some(OutputFormat::Concise);
        }
        OutputFormat::ALL.into_iter().find(|f| f.name() == name)
    }
}

/// A location resolved for output.
pub(crate) struct Resolved<'a> {
    pub path: &'a str,
    pub start: Position,
    pub end: Position,
}

pub(crate) fn resolve<'a>(files: &'a Excerpts, loc: &Loc) -> Resolved<'a> {
    let file = files.get(loc.file);
    // Defensive: a span whose end precedes its start is reported as empty.
    let end = loc.span.end.max(loc.span.start);
    Resolved {
        path: &file.display,
        start: file.position(loc.span.start),
        end: file.position(end),
    }
}

/// The text a location covers (empty when the span is out of range).
pub(crate) fn offending_text<'a>(files: &'a Excerpts, loc: &Loc) -> &'a str {
    files.get(loc.file).slice(loc.span)
}

/// Whether displayed text shows `c` escaped: every C0 and C1 control character (and DEL),
/// except TAB, and except LF where the text is multi-line by design.
fn needs_escape(c: char, keep_lf: bool) -> bool {
    c.is_control() && c != '\t' && !(keep_lf && c == '\n')
}

/// Whether `s` may hold a character [`needs_escape`] names, by its bytes: a C0 byte, DEL,
/// or 0xC2, the lead byte of every C1 character (also of U+00A0..U+00BF, which the exact
/// test then lets through).
fn may_need_escape(s: &str, keep_lf: bool) -> bool {
    s.bytes()
        .any(|b| (b < 0x20 && b != b'\t' && !(keep_lf && b == b'\n')) || b == 0x7f || b == 0xc2)
}

fn escape_with(s: &str, keep_lf: bool) -> std::borrow::Cow<'_, str> {
    if !may_need_escape(s, keep_lf) || !s.chars().any(|c| needs_escape(c, keep_lf)) {
        return std::borrow::Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 16);
    for c in s.chars() {
        if needs_escape(c, keep_lf) {
            out.push_str(&format!("\\x{:02X}", c as u32));
        } else {
            out.push(c);
        }
    }
    std::borrow::Cow::Owned(out)
}

/// Text from input (file names, quoted lines) as it may be displayed: every C0 and C1
/// control character but TAB as `\xNN`, so a file cannot send escape sequences (OSC 52
/// clipboard writes, cursor moves, BEL) to whoever reads the output. Diffs and fix
/// replacements are not displayed text: they stay byte-exact.
pub(crate) fn escape_display(s: &str) -> std::borrow::Cow<'_, str> {
    escape_with(s, false)
}

/// [`escape_display`] for text that is multi-line by design (help, a message's body):
/// LF stays a line break.
pub(crate) fn escape_multiline(s: &str) -> std::borrow::Cow<'_, str> {
    escape_with(s, true)
}

/// A source text for display with its control characters escaped, and the mapping of
/// byte offsets from the original text into the escaped one (for snippet labels). A CR
/// right before an LF is a line ending, not content, and is kept.
pub(crate) struct EscapedSource {
    pub text: String,
    /// (offset in the original, bytes added by escaping up to and including it).
    shifts: Vec<(usize, usize)>,
}

impl EscapedSource {
    pub(crate) fn new(text: &str) -> EscapedSource {
        let escaped = |i: usize, c: char| {
            needs_escape(c, true) && !(c == '\r' && text.as_bytes().get(i + 1) == Some(&b'\n'))
        };
        if !text.char_indices().any(|(i, c)| escaped(i, c)) {
            return EscapedSource {
                text: text.to_owned(),
                shifts: Vec::new(),
            };
        }
        let mut out = String::with_capacity(text.len() + 16);
        let mut shifts = Vec::new();
        let mut added = 0;
        for (i, c) in text.char_indices() {
            if escaped(i, c) {
                let e = format!("\\x{:02X}", c as u32);
                added += e.len() - c.len_utf8();
                out.push_str(&e);
                shifts.push((i, added));
            } else {
                out.push(c);
            }
        }
        EscapedSource { text: out, shifts }
    }

    /// Where an offset of the original text lies in the escaped text.
    pub(crate) fn offset(&self, original: usize) -> usize {
        // Escapes strictly before `original` shift it.
        let n = self.shifts.partition_point(|&(at, _)| at < original);
        original + if n == 0 { 0 } else { self.shifts[n - 1].1 }
    }
}

/// A serde_json formatter that also escapes what serde_json leaves raw but a terminal may
/// still act on: DEL and the C1 controls (U+0080..U+009F; U+009B is CSI to some terminals).
/// serde_json already escapes C0, so with this every control character in a JSON report
/// is a `\u00XX` escape. Valid JSON either way; the values are unchanged.
pub(crate) struct EscapeControls<F>(pub F);

macro_rules! delegate {
    ($($name:ident($($arg:ident: $ty:ty),*);)*) => {
        $(
            fn $name<W: ?Sized + std::io::Write>(&mut self, w: &mut W $(, $arg: $ty)*) -> std::io::Result<()> {
                self.0.$name(w $(, $arg)*)
            }
        )*
    };
}

impl<F: serde_json::ser::Formatter> serde_json::ser::Formatter for EscapeControls<F> {
    delegate! {
        begin_array();
        end_array();
        begin_array_value(first: bool);
        end_array_value();
        begin_object();
        end_object();
        begin_object_key(first: bool);
        end_object_key();
        begin_object_value();
        end_object_value();
    }

    fn write_string_fragment<W: ?Sized + std::io::Write>(
        &mut self,
        w: &mut W,
        fragment: &str,
    ) -> std::io::Result<()> {
        // serde_json escapes the C0 controls itself, so the fragment's only controls are
        // U+007F (byte 0x7F) and U+0080-U+009F (0xC2 then a continuation byte): a fragment
        // with neither byte (almost every one) is written as it is, without decoding. Most
        // fragments are a few bytes (versions, names), where a plain loop beats memchr's set-up.
        let bytes = fragment.as_bytes();
        let plain = if bytes.len() < 64 {
            !bytes.iter().any(|&b| b == 0x7f || b == 0xc2)
        } else {
            memchr::memchr2(0x7f, 0xc2, bytes).is_none()
        };
        if plain {
            return w.write_all(bytes);
        }
        let mut rest = fragment;
        while let Some(i) = rest.find(|c: char| c.is_control()) {
            w.write_all(&rest.as_bytes()[..i])?;
            let c = rest[i..].chars().next().unwrap_or_default();
            write!(w, "\\u{:04x}", c as u32)?;
            rest = &rest[i + c.len_utf8()..];
        }
        w.write_all(rest.as_bytes())
    }
}

/// `serde_json::to_writer_pretty`, with [`EscapeControls`].
pub(crate) fn json_pretty<T: serde::Serialize + ?Sized>(
    out: &mut dyn std::io::Write,
    value: &T,
) -> std::io::Result<()> {
    let f = EscapeControls(serde_json::ser::PrettyFormatter::new());
    let mut ser = serde_json::Serializer::with_formatter(out, f);
    value.serialize(&mut ser).map_err(std::io::Error::from)
}

/// `serde_json::to_writer` (one line), with [`EscapeControls`].
pub(crate) fn json_line<T: serde::Serialize + ?Sized>(
    out: &mut dyn std::io::Write,
    value: &T,
) -> std::io::Result<()> {
    let f = EscapeControls(serde_json::ser::CompactFormatter);
    let mut ser = serde_json::Serializer::with_formatter(out, f);
    value.serialize(&mut ser).map_err(std::io::Error::from)
}

/// A sequence serialised from an iterator as it is written, not gathered into a vector
/// first: a report's findings are rendered one at a time, so the output holds one finding's
/// rendering, not the whole document. The same bytes as the vector (an empty one is `[]`
/// either way). Serialised once; a second time it is empty.
pub(crate) struct Streamed<I>(std::cell::RefCell<Option<I>>);

impl<I> Streamed<I> {
    pub(crate) fn new(items: I) -> Streamed<I> {
        Streamed(std::cell::RefCell::new(Some(items)))
    }
}

impl<I: Iterator> serde::Serialize for Streamed<I>
where
    I::Item: serde::Serialize,
{
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let items = self.0.borrow_mut().take();
        s.collect_seq(items.into_iter().flatten())
    }
}

/// Collapse a message onto one line: every line break (CRLF, LF, CR) becomes one space,
/// other control characters are shown as `\xNN` ([`escape_display`]). Line-oriented
/// formats need this.
pub(crate) fn one_line(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\r' => {
                if chars.peek() == Some(&'\n') {
                    chars.next();
                }
                out.push(' ');
            }
            '\n' => out.push(' '),
            '\t' => out.push(' '),
            c if needs_escape(c, false) => out.push_str(&format!("\\x{:02X}", c as u32)),
            c => out.push(c),
        }
    }
    out
}

/// FNV-1a, 128-bit: a tiny hash that is the same on every run and platform (std's
/// `DefaultHasher` makes no such promise). Not cryptographic; it only has to tell
/// findings apart.
pub(crate) fn fnv1a_128(parts: &[&[u8]]) -> u128 {
    const OFFSET: u128 = 0x6c62_272e_07bb_0142_62b8_2175_6295_c58d;
    const PRIME: u128 = 0x0000_0000_0100_0000_0000_0000_0000_013b;
    let mut h = OFFSET;
    for part in parts {
        // Length-prefix every part so ("ab","c") and ("a","bc") differ.
        for b in (part.len() as u64).to_le_bytes().iter().chain(part.iter()) {
            h ^= u128::from(*b);
            h = h.wrapping_mul(PRIME);
        }
    }
    h
}

/// Stable, per-finding fingerprints: a hash of the path, check code, rule id and the
/// offending text (not line numbers, so an edit above the finding keeps it). Two findings
/// with the same inputs are told apart by their order of occurrence, so every fingerprint
/// in a report is unique.
pub(crate) struct Fingerprints {
    seen: HashMap<u128, u64>,
}

impl Fingerprints {
    pub(crate) fn new() -> Fingerprints {
        Fingerprints {
            seen: HashMap::new(),
        }
    }

    /// The fingerprint of the next finding, as 32 lowercase hex digits.
    pub(crate) fn next(&mut self, files: &Excerpts, d: &Diagnostic) -> String {
        let path = files.get(d.loc.file).display.as_bytes();
        let text = offending_text(files, &d.loc);
        let rule = d.rule.as_deref().unwrap_or("");
        let base = fnv1a_128(&[path, d.code().as_bytes(), rule.as_bytes(), text.as_bytes()]);
        let n = self.seen.entry(base).or_insert(0);
        let h = if *n == 0 {
            base
        } else {
            fnv1a_128(&[&base.to_le_bytes(), &n.to_le_bytes()])
        };
        *n += 1;
        format!("{h:032x}")
    }
}

/// Counts by severity, excluding suppressed findings (counted apart).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub(crate) struct Summary {
    pub errors: usize,
    pub warnings: usize,
    pub infos: usize,
    pub suppressed: usize,
    pub files: usize,
}

impl Summary {
    pub(crate) fn of(report: &Report) -> Summary {
        let mut s = Summary {
            files: report.checked,
            ..Summary::default()
        };
        for d in report.diagnostics {
            if d.suppressed.is_some() {
                s.suppressed += 1;
                continue;
            }
            match d.severity {
                Severity::Error => s.errors += 1,
                Severity::Warning => s.warnings += 1,
                Severity::Info => s.infos += 1,
            }
        }
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn format_names_round_trip_and_gcc_is_concise() {
        for f in OutputFormat::ALL {
            assert_eq!(OutputFormat::from_name(f.name()), Some(f));
        }
        assert_eq!(OutputFormat::from_name("gcc"), Some(OutputFormat::Concise));
        assert_eq!(OutputFormat::from_name("xml"), None);
        assert!(emitter(OutputFormat::Human, false).is_none());
        assert!(OutputFormat::ALL
            .into_iter()
            .filter(|f| *f != OutputFormat::Human)
            .all(|f| emitter(f, false).is_some()));
    }

    #[test]
    fn fnv_matches_reference_vectors_and_separates_parts() {
        // Reference FNV-1a 128 of the empty input is the offset basis.
        assert_eq!(
            format!("{:032x}", fnv1a_128(&[])),
            "6c62272e07bb014262b821756295c58d"
        );
        assert_ne!(fnv1a_128(&[b"ab", b"c"]), fnv1a_128(&[b"a", b"bc"]));
    }

    #[test]
    fn one_line_collapses_breaks() {
        assert_eq!(one_line("a\r\nb\nc\rd\u{7}e"), "a b c d\\x07e");
    }

    #[test]
    fn json_escapes_c1_and_del_too() {
        let mut out = Vec::new();
        json_line(
            &mut out,
            &serde_json::json!({"m": "a\u{1b}b\u{9b}c\u{7f}d\u{a0}é"}),
        )
        .unwrap();
        let s = String::from_utf8(out).unwrap();
        assert_eq!(s, "{\"m\":\"a\\u001bb\\u009bc\\u007fd\u{a0}é\"}");
        let v: serde_json::Value = serde_json::from_str(&s).unwrap();
        assert_eq!(v["m"], "a\u{1b}b\u{9b}c\u{7f}d\u{a0}é");
    }

    #[test]
    fn control_characters_are_shown_escaped() {
        assert_eq!(
            escape_display("a\u{1b}]52;c;x\u{7}\tb\u{9b}"),
            "a\\x1B]52;c;x\\x07\tb\\x9B"
        );
        assert_eq!(escape_multiline("a\nb\r"), "a\nb\\x0D");
        let e = EscapedSource::new("a\u{1b}b\r\nc\u{85}d");
        assert_eq!(e.text, "a\\x1Bb\r\nc\\x85d");
        assert_eq!(e.offset(1), 1);
        assert_eq!(e.offset(2), 5);
        assert_eq!(&e.text[e.offset(5)..e.offset(6)], "c");
        assert_eq!(&e.text[e.offset(8)..], "d");
    }
}
