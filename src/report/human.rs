//! Human output through miette: the primary label on the offending specifier, a secondary
//! label on the TensorFlow requirement (a related snippet when it is in another file), the
//! check code, help with the fix, and a summary line.

use std::fmt;
use std::io::Write;

use miette::{
    GraphicalReportHandler, GraphicalTheme, LabeledSpan, NamedSource, NarratableReportHandler,
    SourceSpan,
};

use crate::diagnostic::{Diagnostic, Severity};
use crate::files::Files;
use crate::manifest::{FileId, Loc};
use crate::report::{escape_display, escape_multiline, EscapedSource};

/// How to draw.
#[derive(Clone, Copy, Debug)]
pub struct Style {
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
    source: NamedSource<String>,
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

/// The files' texts and names as displayed: control characters escaped (`\xNN`), with
/// label spans moved to match.
#[derive(Default)]
struct Sources {
    escaped: std::collections::HashMap<FileId, EscapedSource>,
}

impl Sources {
    fn get(&mut self, files: &Files, file: FileId) -> &EscapedSource {
        self.escaped
            .entry(file)
            .or_insert_with(|| EscapedSource::new(&files.get(file).text))
    }

    fn source_of(&mut self, files: &Files, loc: Loc) -> NamedSource<String> {
        let name = escape_display(&files.get(loc.file).display).into_owned();
        NamedSource::new(name, self.get(files, loc.file).text.clone())
    }

    fn span_of(&mut self, files: &Files, loc: Loc) -> SourceSpan {
        let e = self.get(files, loc.file);
        let end = loc.span.end.max(loc.span.start);
        let (start, end) = (e.offset(loc.span.start), e.offset(end));
        SourceSpan::new(start.into(), end - start)
    }
}

fn severity(s: Severity) -> miette::Severity {
    match s {
        Severity::Error => miette::Severity::Error,
        Severity::Warning => miette::Severity::Warning,
        Severity::Info => miette::Severity::Advice,
    }
}

fn render(files: &Files, sources: &mut Sources, d: &Diagnostic) -> Rendered {
    let text = |s: &str| escape_multiline(s).into_owned();
    let mut labels = vec![LabeledSpan::new_primary_with_span(
        (!d.label.is_empty()).then(|| text(&d.label)),
        sources.span_of(files, d.loc),
    )];
    let mut related = Vec::new();
    for r in &d.related {
        if r.loc.file == d.loc.file {
            labels.push(LabeledSpan::new_with_span(
                Some(text(&r.message)),
                sources.span_of(files, r.loc),
            ));
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
                labels: vec![LabeledSpan::new_primary_with_span(
                    Some(text(&r.message)),
                    sources.span_of(files, r.loc),
                )],
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

/// Write every diagnostic, then a summary line.
pub fn emit(
    files: &Files,
    diagnostics: &[Diagnostic],
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
    .with_links(false);
    let narratable = NarratableReportHandler::new();
    let mut sources = Sources::default();
    for d in diagnostics {
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
        writeln!(out, "{s}")?;
    }
    if style.summary {
        writeln!(out, "{}", crate::report::summary_line(diagnostics, checked))?;
    }
    Ok(())
}
