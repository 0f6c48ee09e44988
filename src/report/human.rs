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
    GraphicalReportHandler, GraphicalTheme, LabeledSpan, MietteError, NamedSource,
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

/// The lines of context miette shows before and after a snippet's labels (its default).
const CONTEXT_LINES: usize = 1;

/// A file's displayed text for miette, whose `read_span` answers `line_count` as the number of
/// lines the returned context covers, widened so that miette's grouping test (`line() +
/// line_count() >= next.line()`) joins two labels exactly when they are at most
/// [`NEAR_LINES`] apart.
#[derive(Debug)]
struct Snippets(NamedSource<String>);

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
        let inner = self.0.read_span(span, before, after)?;
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

/// The most bytes before a label on its line that miette can draw: it expands a tab to
/// four columns and pads with a format width, which panics past `u16::MAX` columns.
const DRAWABLE_LINE_BYTES: usize = u16::MAX as usize / 4 - 64;

impl Rendered {
    /// Whether a label of this finding (or of a related place) starts too far into its line
    /// for miette to draw ([`DRAWABLE_LINE_BYTES`]).
    fn too_wide(&self) -> bool {
        let text = self.source.0.inner().as_bytes();
        let far = |l: &LabeledSpan| {
            let start = l.offset().min(text.len());
            let line_start = memchr::memrchr(b'\n', &text[..start]).map_or(0, |i| i + 1);
            start - line_start > DRAWABLE_LINE_BYTES
        };
        self.labels.iter().any(far) || self.related.iter().any(Rendered::too_wide)
    }
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
    text: String,
    /// (decoded offset where a piece starts, where it starts in `text`, its escaping).
    pieces: Vec<(usize, usize, EscapedSource)>,
}

impl Shown {
    fn new(excerpt: &crate::source::Excerpt) -> Shown {
        let mut text = String::new();
        let mut lines = 0;
        let mut pieces = Vec::new();
        for (start, lf_before, piece) in excerpt.pieces() {
            for _ in lines..lf_before {
                text.push('\n');
            }
            let mut e = EscapedSource::new(piece);
            let base = text.len();
            text.push_str(&std::mem::take(&mut e.text));
            lines = lf_before + memchr::memchr_iter(b'\n', piece.as_bytes()).count();
            pieces.push((start, base, e));
        }
        Shown { text, pieces }
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
        Snippets(NamedSource::new(
            name,
            self.get(files, loc.file).text.clone(),
        ))
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
    let mut labels = vec![sources.label(
        files,
        d.loc,
        (!d.label.is_empty()).then(|| text(&d.label)),
        true,
    )];
    let mut related = Vec::new();
    for r in &d.related {
        if r.loc.file == d.loc.file {
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
    let mut help = d.help.as_deref().map(text).unwrap_or_default();
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
        let mut fresh = true;
        for word in n.split(' ') {
            let w = word.chars().count();
            if !fresh && line.chars().count() + 1 + w > width {
                s.push_str(&line);
                s.push('\n');
                line = String::from("       ");
            }
            line.push(' ');
            line.push_str(word);
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
        // miette's drawing pads with a format width, which panics past u16::MAX columns: a
        // label far into a very long line (a 100k-extras requirement) is told as text.
        let res = if style.narratable || r.too_wide() {
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
            source: Snippets(NamedSource::new("f", text.clone())),
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
}
