//! Human output through miette: the primary label on the offending specifier, a secondary
//! label on the TensorFlow requirement (a related snippet when it is in another file), the
//! check code, help with the fix, and a summary line.
//!
//! Snippets stay small:
//! - Labels in one file at most [`NEAR_LINES`] lines apart (from the last line of one to the
//!   first line of the next) share a snippet; farther ones get a snippet of their own, with
//!   its own `╭─[file:line:col]` header, in line order. (miette 7.6 alone joins two labels
//!   whenever the second starts before about twice the first one's line number, because its
//!   `line_count` counts lines from the start of the file: a Pipfile.lock's numpy pin at
//!   line 254 and TensorFlow at line 503 came out as one snippet of 250 hash lines.
//!   [`Snippets`] answers `line_count` as the lines a context covers, which is what miette's
//!   trait documents, so miette's own grouping applies the threshold.)
//! - A label over more than [`LONG_LABEL_LINES`] lines (a whole Pipfile.lock entry with its
//!   hashes) is drawn on its first line only, and its text names the lines it covers.
//! - A location in another file is a related snippet after the help and the notes, under
//!   that file's name.
//!
//! So a snippet shows at most the labels' own lines, the gaps of up to `NEAR_LINES` between
//! them and one line of context either side; the fixtures' test holds every snippet to
//! `MAX_SNIPPET_LINES` (`tests/integration/fixtures.rs`). Only the display changes: every
//! other format keeps each location's exact span.

use std::fmt;
use std::io::Write;

use miette::{
    GraphicalReportHandler, GraphicalTheme, LabeledSpan, MietteError, MietteSpanContents,
    NarratableReportHandler, SourceCode, SourceSpan, SpanContents,
};

use crate::diagnostic::{Diagnostic, Severity};
use crate::source::Excerpts;
use crate::manifest::{FileId, Loc};
use crate::report::{escape_display, escape_multiline, EscapedSource};

/// Labels at most this many lines apart share a snippet (6: a Pipfile.lock pin and the entry
/// right after it; a poetry.lock `[[package]]` block's name and version).
pub(crate) const NEAR_LINES: usize = 6;

/// A label over more lines than this is drawn on its first line only.
pub(crate) const LONG_LABEL_LINES: usize = 6;

/// The longest line a snippet shows, in bytes of the file. A finding on a longer line (a
/// generated one-line pyproject.toml with 100k extras) names its place instead: printing a
/// megabyte line once per finding would make the report quadratic, and miette pads with a
/// format width that panics past 65,535 columns (a byte is at most four columns: a tab, or
/// an escaped control character).
const SHOWN_LINE_BYTES: usize = 4096;

/// Whether a line `loc` covers (its first ones, when it covers more than
/// [`LONG_LABEL_LINES`]) is too long to show ([`SHOWN_LINE_BYTES`]).
fn on_long_line(files: &Excerpts, loc: Loc) -> bool {
    let file = files.get(loc.file);
    let first = file.line_index(loc.span.start);
    let last = file.line_index(loc.span.end.saturating_sub(1).max(loc.span.start));
    (first..=last.min(first + LONG_LABEL_LINES)).any(|l| file.line_text(l).len() > SHOWN_LINE_BYTES)
}

/// A kept piece of a file `(start, newlines before, text)` as the parts around its lines
/// longer than [`SHOWN_LINE_BYTES`], which no snippet shows: leaving them out of the
/// displayed text (each stays an empty line) keeps miette's scans for line numbers short.
fn without_long_lines(
    (start, lf_before, text): (usize, usize, &str),
) -> impl Iterator<Item = (usize, usize, &str)> {
    let mut parts = Vec::new();
    let (mut from, mut lf, mut line) = (0, lf_before, 0);
    loop {
        let end = memchr::memchr(b'\n', &text.as_bytes()[line..]).map_or(text.len(), |i| line + i);
        if end - line > SHOWN_LINE_BYTES {
            parts.push((start + from, lf, &text[from..line]));
            lf += memchr::memchr_iter(b'\n', &text.as_bytes()[from..line]).count();
            from = end;
        }
        if end == text.len() {
            break;
        }
        line = end + 1;
    }
    parts.push((start + from, lf, &text[from..]));
    parts.into_iter().filter(|(_, _, t)| !t.is_empty())
}

/// "path:line:col" of `loc`, for a place whose line is not shown.
fn place(files: &Excerpts, loc: Loc) -> String {
    let file = files.get(loc.file);
    let p = file.position(loc.span.start);
    format!("{}:{}:{}", escape_display(&file.display), p.line, p.column)
}

/// The lines of context miette shows before and after a snippet's labels (its default).
const CONTEXT_LINES: usize = 1;

/// A file's displayed text for miette, whose `read_span` answers `line_count` as the number of
/// lines the returned context covers, widened so that miette's grouping test (`line() +
/// line_count() >= next.line()`) joins two labels exactly when they are at most
/// [`NEAR_LINES`] apart.
///
/// It reads a span from the start of a line shortly before it, found in the line index,
/// rather than from the start of the file as miette's own `str` source does: a report with a
/// finding on every line of a large file costs findings x context, not findings x file size.
#[derive(Debug)]
struct Snippets {
    name: String,
    text: std::sync::Arc<str>,
    /// Where each line of `text` starts.
    lines: std::sync::Arc<[usize]>,
}

impl Snippets {
    #[cfg(test)]
    fn new(name: String, text: std::sync::Arc<str>) -> Snippets {
        let lines = line_starts(&text);
        Snippets { name, text, lines }
    }
}

/// Where each line of a displayed text starts (it has no lone CR: those are escaped).
fn line_starts(text: &str) -> std::sync::Arc<[usize]> {
    std::iter::once(0)
        .chain(memchr::memchr_iter(b'\n', text.as_bytes()).map(|i| i + 1))
        .collect()
}

struct Counted<'a> {
    inner: Box<dyn SpanContents<'a> + 'a>,
    line_count: usize,
}

impl<'a> SpanContents<'a> for Counted<'a> {
    fn data(&self) -> &'a [u8] {
        self.inner.data()
    }
    fn span(&self) -> &SourceSpan {
        self.inner.span()
    }
    fn name(&self) -> Option<&str> {
        self.inner.name()
    }
    fn line(&self) -> usize {
        self.inner.line()
    }
    fn column(&self) -> usize {
        self.inner.column()
    }
    fn line_count(&self) -> usize {
        self.line_count
    }
    fn language(&self) -> Option<&str> {
        self.inner.language()
    }
}

impl SourceCode for Snippets {
    fn read_span<'a>(
        &'a self,
        span: &SourceSpan,
        before: usize,
        after: usize,
    ) -> Result<Box<dyn SpanContents<'a> + 'a>, MietteError> {
        // miette's scan from a line start at least `before + 1` lines above the span's line
        // gives the same context as its scan from the file's start, shifted by what it skipped.
        let line = self.lines.partition_point(|&s| s <= span.offset()).max(1) - 1;
        let first = line.saturating_sub(before + 1);
        let skip = self.lines.get(first).copied().unwrap_or(0).min(self.text.len());
        let local = SourceSpan::new((span.offset().saturating_sub(skip)).into(), span.len());
        let found = SourceCode::read_span(&self.text[skip..], &local, before, after)?;
        let inner = Box::new(MietteSpanContents::new_named(
            self.name.clone(),
            found.data(),
            SourceSpan::new((found.span().offset() + skip).into(), found.span().len()),
            found.line() + first,
            found.column(),
            found.line_count(),
        ));
        let data = inner.data();
        // Lines the context covers (the displayed text has no lone CR: it is escaped).
        let lines = data.split(|&b| b == b'\n').count() - usize::from(data.ends_with(b"\n"));
        // With `c` lines of context, the contexts of labels on lines a (last) and b (first)
        // touch when b - a <= 2c + 1; the slack moves that to b - a <= NEAR_LINES.
        let slack = NEAR_LINES.saturating_sub(before + after + 1);
        Ok(Box::new(Counted {
            inner,
            line_count: lines.max(1) + slack,
        }))
    }
}

/// How to draw.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Style {
    pub color: bool,
    /// Plain narratable text instead of drawings (`NO_GRAPHICS`).
    pub narratable: bool,
    pub width: usize,
    /// Print the closing summary line (`--quiet` leaves it out).
    pub summary: bool,
}

#[derive(Debug)]
struct Rendered {
    message: String,
    code: String,
    severity: miette::Severity,
    help: Option<String>,
    url: Option<String>,
    source: Snippets,
    labels: Vec<LabeledSpan>,
    related: Vec<Rendered>,
}

impl fmt::Display for Rendered {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Rendered {}

impl miette::Diagnostic for Rendered {
    fn code<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        (!self.code.is_empty()).then(|| Box::new(&self.code) as Box<dyn fmt::Display>)
    }
    fn severity(&self) -> Option<miette::Severity> {
        Some(self.severity)
    }
    fn help<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        self.help
            .as_ref()
            .map(|h| Box::new(h) as Box<dyn fmt::Display>)
    }
    fn url<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        self.url
            .as_ref()
            .map(|u| Box::new(u) as Box<dyn fmt::Display>)
    }
    fn source_code(&self) -> Option<&dyn miette::SourceCode> {
        Some(&self.source)
    }
    fn labels(&self) -> Option<Box<dyn Iterator<Item = LabeledSpan> + '_>> {
        Some(Box::new(self.labels.iter().cloned()))
    }
    fn related<'a>(&'a self) -> Option<Box<dyn Iterator<Item = &'a dyn miette::Diagnostic> + 'a>> {
        if self.related.is_empty() {
            return None;
        }
        Some(Box::new(
            self.related.iter().map(|r| r as &dyn miette::Diagnostic),
        ))
    }
}

/// A file as displayed, built from its excerpt: the kept lines with control characters
/// escaped (`\xNN`), each at its own line number (an empty line stands for each line not
/// kept, so miette counts lines as in the file), and where each kept piece starts in it.
struct Shown {
    /// Shared by every finding's snippet (a copy per finding made a report on a large file
    /// cost findings x file size).
    text: std::sync::Arc<str>,
    /// Where each line of `text` starts.
    lines: std::sync::Arc<[usize]>,
    /// (decoded offset where a piece starts, where it starts in `text`, its escaping).
    pieces: Vec<(usize, usize, EscapedSource)>,
}

impl Shown {
    fn new(excerpt: &crate::source::Excerpt) -> Shown {
        let mut text = String::new();
        let mut lines = 0;
        let mut pieces = Vec::new();
        for (start, lf_before, piece) in excerpt.pieces().flat_map(without_long_lines) {
            for _ in lines..lf_before {
                text.push('\n');
            }
            let mut e = EscapedSource::new(piece);
            let base = text.len();
            text.push_str(&std::mem::take(&mut e.text));
            lines = lf_before + memchr::memchr_iter(b'\n', piece.as_bytes()).count();
            pieces.push((start, base, e));
        }
        Shown {
            lines: line_starts(&text),
            text: text.into(),
            pieces,
        }
    }

    /// Where a decoded offset of the file lies in the displayed text.
    fn offset(&self, original: usize) -> usize {
        let i = self.pieces.partition_point(|(start, _, _)| *start <= original);
        match i.checked_sub(1).and_then(|i| self.pieces.get(i)) {
            Some((start, base, e)) => base + e.offset(original - start),
            None => 0,
        }
    }
}

/// The files as displayed (control characters escaped), with label spans moved to match.
#[derive(Default)]
struct Sources {
    shown: std::collections::HashMap<FileId, Shown>,
}

impl Sources {
    fn get(&mut self, files: &Excerpts, file: FileId) -> &Shown {
        self.shown
            .entry(file)
            .or_insert_with(|| Shown::new(files.get(file)))
    }

    fn source_of(&mut self, files: &Excerpts, loc: Loc) -> Snippets {
        let name = escape_display(&files.get(loc.file).display).into_owned();
        let shown = self.get(files, loc.file);
        Snippets {
            name,
            text: shown.text.clone(),
            lines: shown.lines.clone(),
        }
    }

    /// The label for `loc`: its span in the displayed text, on its first line only when it
    /// covers more than [`LONG_LABEL_LINES`] lines (then `text` names the lines).
    fn label(
        &mut self,
        files: &Excerpts,
        loc: Loc,
        text: Option<String>,
        primary: bool,
    ) -> LabeledSpan {
        let file = files.get(loc.file);
        let (start, mut end) = (loc.span.start, loc.span.end.max(loc.span.start));
        let mut text = text;
        let first = file.line_index(start);
        let last = file.line_index(end.saturating_sub(1).max(start));
        if last - first + 1 > LONG_LABEL_LINES {
            end = (file.line_start(first) + file.line_text(first).len()).max(start);
            let lines = format!("lines {}-{}", first + 1, last + 1);
            text = Some(match text {
                Some(t) if !t.is_empty() => format!("{t} ({lines})"),
                _ => lines,
            });
        }
        let e = self.get(files, loc.file);
        let (start, end) = (e.offset(start), e.offset(end));
        let span = SourceSpan::new(start.into(), end - start);
        if primary {
            LabeledSpan::new_primary_with_span(text, span)
        } else {
            LabeledSpan::new_with_span(text, span)
        }
    }
}

fn severity(s: Severity) -> miette::Severity {
    match s {
        Severity::Error => miette::Severity::Error,
        Severity::Warning => miette::Severity::Warning,
        Severity::Info => miette::Severity::Advice,
    }
}

fn render(files: &Excerpts, sources: &mut Sources, d: &Diagnostic) -> Rendered {
    let text = |s: &str| escape_multiline(s).into_owned();
    // Places on lines too long to show are named, not drawn.
    let mut unshown = Vec::new();
    let mut labels = Vec::new();
    if on_long_line(files, d.loc) {
        unshown.push(format!(
            "at {}: the line is too long to show",
            place(files, d.loc)
        ));
    } else {
        labels.push(sources.label(
            files,
            d.loc,
            (!d.label.is_empty()).then(|| text(&d.label)),
            true,
        ));
    }
    let mut related = Vec::new();
    for r in &d.related {
        if on_long_line(files, r.loc) {
            unshown.push(format!("{}: {}", place(files, r.loc), text(&r.message)));
        } else if r.loc.file == d.loc.file {
            labels.push(sources.label(files, r.loc, Some(text(&r.message)), false));
        } else {
            related.push(Rendered {
                message: format!(
                    "{}: {}",
                    escape_display(&files.get(r.loc.file).display),
                    text(&r.message)
                ),
                code: String::new(),
                severity: miette::Severity::Advice,
                help: None,
                url: None,
                source: sources.source_of(files, r.loc),
                labels: vec![sources.label(files, r.loc, Some(text(&r.message)), true)],
                related: Vec::new(),
            });
        }
    }
    let mut help = d.help.as_deref().map(|h| text(h)).unwrap_or_default();
    for u in unshown {
        if !help.is_empty() {
            help.push('\n');
        }
        help.push_str(&u);
    }
    if let Some(fix) = &d.fix {
        if fix.applicability == crate::diagnostic::Applicability::Unsafe {
            if !help.is_empty() {
                help.push('\n');
            }
            help.push_str(&format!(
                "the fix is unsafe{}",
                fix.reason
                    .as_ref()
                    .map(|r| format!(": {}", text(r)))
                    .unwrap_or_default()
            ));
        }
    }
    if !d.pythons.is_empty() {
        if !help.is_empty() {
            help.push('\n');
        }
        help.push_str(&format!("holds on Python {}", d.pythons.join(", ")));
    }
    let name = d.check.name();
    let code = match &d.rule {
        Some(rule) => format!("{}({name}) {rule}", d.code()),
        None => format!("{}({name})", d.code()),
    };
    let message = match &d.suppressed {
        Some(reason) if reason.is_empty() => format!("{} [suppressed]", text(&d.message)),
        Some(reason) => format!("{} [suppressed: {}]", text(&d.message), text(reason)),
        None => text(&d.message),
    };
    Rendered {
        message,
        code,
        severity: severity(d.severity),
        help: (!help.is_empty()).then_some(help),
        url: None,
        source: sources.source_of(files, d.loc),
        labels,
        related,
    }
}

/// The finding's notes under its help, one labelled `note:` each, wrapped to the width
/// with the indentation of miette's `help:`, before the snippets of related places in other
/// files (miette starts each with a line `Advice: `); narratable output: one line each, at
/// the end.
fn push_notes(s: &mut String, notes: &[String], style: &Style) {
    if notes.is_empty() {
        return;
    }
    let mut out = String::new();
    write_notes(&mut out, notes, style);
    match s.find("\nAdvice: ").filter(|_| !style.narratable) {
        Some(i) => s.insert_str(i, &out),
        None => {
            if !s.ends_with('\n') {
                s.push('\n');
            }
            s.push_str(&out);
        }
    }
}

fn write_notes(s: &mut String, notes: &[String], style: &Style) {
    for n in notes {
        let n = escape_display(n);
        if style.narratable {
            s.push_str(&format!("note: {n}\n"));
            continue;
        }
        let width = style.width.saturating_sub(2).max(40);
        let mut line = String::from("  note:");
        // Characters in `line`, kept as it grows (not counted again per word).
        let mut chars = line.len();
        let mut fresh = true;
        for word in n.split(' ') {
            let w = word.chars().count();
            if !fresh && chars + 1 + w > width {
                s.push_str(&line);
                s.push('\n');
                line = String::from("       ");
                chars = line.len();
            }
            line.push(' ');
            line.push_str(word);
            chars += 1 + w;
            fresh = false;
        }
        s.push_str(&line);
        s.push('\n');
    }
}

/// Write every diagnostic (suppressed ones only with `show_suppressed`), then a summary
/// line (which counts unsuppressed findings either way).
pub(crate) fn emit(
    files: &Excerpts,
    diagnostics: &[Diagnostic],
    show_suppressed: bool,
    checked: usize,
    style: Style,
    out: &mut dyn Write,
) -> std::io::Result<()> {
    let graphical = GraphicalReportHandler::new_themed(if style.color {
        GraphicalTheme::unicode()
    } else {
        GraphicalTheme::unicode_nocolor()
    })
    .with_width(style.width)
    .with_context_lines(CONTEXT_LINES)
    .with_links(false);
    let narratable = NarratableReportHandler::new().with_context_lines(CONTEXT_LINES);
    let mut sources = Sources::default();
    let mut file = None;
    for d in diagnostics
        .iter()
        .filter(|d| show_suppressed || d.suppressed.is_none())
    {
        // Findings come sorted by path: the displayed texts of the files before are not
        // kept (a related location in one is displayed again), so what this holds stays
        // the size of a file's excerpts, not of the report.
        if file != Some(d.loc.file) {
            sources.shown.clear();
            file = Some(d.loc.file);
        }
        let r = render(files, &mut sources, d);
        let mut s = String::new();
        let res = if style.narratable {
            narratable.render_report(&mut s, &r)
        } else {
            graphical.render_report(&mut s, &r)
        };
        if res.is_err() {
            // Rendering can only fail on a formatter error; fall back to one line.
            s = format!(
                "{}: {}: {}\n",
                escape_display(&files.get(d.loc.file).display),
                d.severity.as_str(),
                escape_multiline(&d.message)
            );
        }
        push_notes(&mut s, &d.notes, &style);
        writeln!(out, "{s}")?;
    }
    if style.summary {
        writeln!(out, "{}", crate::report::summary_line(diagnostics, checked))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The snippet headers printed for labels on the given 1-based lines of a 600-line file.
    fn headers(label_lines: &[usize]) -> Vec<String> {
        let text: String = (1..=600).map(|n| format!("line {n}\n")).collect();
        let offset = |line: usize| {
            text.lines()
                .take(line - 1)
                .map(|l| l.len() + 1)
                .sum::<usize>()
        };
        let labels = label_lines
            .iter()
            .enumerate()
            .map(|(i, &l)| {
                let span = SourceSpan::new(offset(l).into(), 4);
                if i == 0 {
                    LabeledSpan::new_primary_with_span(Some("here".into()), span)
                } else {
                    LabeledSpan::new_with_span(Some("there".into()), span)
                }
            })
            .collect();
        let r = Rendered {
            message: "m".into(),
            code: String::new(),
            severity: miette::Severity::Error,
            help: None,
            url: None,
            source: Snippets::new("f".into(), text.clone().into()),
            labels,
            related: Vec::new(),
        };
        let mut out = String::new();
        GraphicalReportHandler::new_themed(GraphicalTheme::unicode_nocolor())
            .with_context_lines(CONTEXT_LINES)
            .render_report(&mut out, &r)
            .unwrap();
        out.lines()
            .filter_map(|l| l.trim_start().strip_prefix("╭─["))
            .map(|h| h.trim_end_matches(']').to_owned())
            .collect()
    }

    #[test]
    fn labels_at_most_near_lines_apart_share_a_snippet() {
        assert_eq!(headers(&[10, 10 + NEAR_LINES]).len(), 1);
        assert_eq!(headers(&[10, 11 + NEAR_LINES]).len(), 2);
        // miette alone joined these: the second starts before twice the first's line.
        assert_eq!(headers(&[254, 503]), ["f:254:1", "f:503:1"]);
        // Chained near labels stay one snippet; a far one after them gets its own.
        assert_eq!(headers(&[3, 8, 13, 40]).len(), 2);
    }

    /// `Snippets::read_span` starts its scan a few lines above the span; it must give what
    /// miette's own scan from the start of the text gives, for every span and context.
    #[test]
    fn reading_from_a_nearby_line_start_is_reading_from_the_start() {
        let text: String = (0..60)
            .map(|i| match i % 7 {
                0 => String::new(),
                1 => "x".repeat(i * 3),
                2 => "a\r".to_owned(),
                3 => "é ü".to_owned(),
                _ => format!("line {i} numpy>=1.{i}"),
            })
            .collect::<Vec<_>>()
            .join("\n");
        let ours = Snippets::new("f".into(), text.clone().into());
        let starts: Vec<usize> = (0..=text.len()).filter(|&i| text.is_char_boundary(i)).collect();
        let mut compared = 0;
        for &at in &starts {
            for len in [0, 1, 5, 40] {
                for (before, after) in [(0, 0), (1, 1), (2, 0), (0, 3), (4, 2)] {
                    let span = SourceSpan::new(at.into(), len);
                    let theirs = SourceCode::read_span(text.as_str(), &span, before, after);
                    let mine = ours.read_span(&span, before, after);
                    match (theirs, mine) {
                        (Ok(t), Ok(m)) => {
                            assert_eq!(
                                (t.data(), t.span(), t.line(), t.column()),
                                (m.data(), m.span(), m.line(), m.column()),
                                "span {at}+{len}, context {before}/{after}"
                            );
                            compared += 1;
                        }
                        (Err(_), Err(_)) => {}
                        (t, m) => panic!(
                            "span {at}+{len}, context {before}/{after}: miette {:?}, ours {:?}",
                            t.is_ok(),
                            m.is_ok()
                        ),
                    }
                }
            }
        }
        assert!(compared > 10_000, "{compared}");
    }
}
