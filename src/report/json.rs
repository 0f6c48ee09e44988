//! `json` and `json-lines`: the core machine-readable schema. This is a contract; add
//! fields, never rename or remove them without bumping [`SCHEMA_VERSION`].
//!
//! ```text
//! {"version": 2, "tool": {"name", "version"}, "diagnostics": [...], "summary": {...}}
//! ```
//!
//! Field order is the struct order below (serde keeps it), so output is stable. The document
//! is compact (one line) by default and indented with `--pretty`; both parse to the same
//! value.

use std::borrow::Cow;

use serde::Serialize;

use super::{resolve, Emitter, Report, Summary, TOOL_NAME};
use crate::diagnostic::{
    Applicability, Diagnostic, Pick, Place, ReleaseNames, ReleaseSummary, Severity,
};
use crate::source::Position;

pub(crate) const SCHEMA_VERSION: u32 = 2;

/// The `json` reporter: one document, compact unless `pretty`.
pub(crate) struct Json {
    pub(crate) pretty: bool,
}
pub(crate) struct JsonLines;

#[derive(Serialize)]
struct Document<'a> {
    version: u32,
    tool: Tool<'a>,
    diagnostics: Vec<JsonDiagnostic<'a>>,
    summary: Summary,
}

#[derive(Serialize)]
struct Tool<'a> {
    name: &'a str,
    version: &'a str,
}

/// One finding, as both `json` and `json-lines` print it.
#[derive(Serialize)]
pub(crate) struct JsonDiagnostic<'a> {
    code: &'a str,
    check: &'a str,
    rule: Option<&'a str>,
    severity: Severity,
    message: &'a str,
    notes: &'a [String],
    path: &'a str,
    start: Position,
    end: Position,
    package: Option<&'a str>,
    window: Option<&'a str>,
    pythons: &'a [Cow<'static, str>],
    platforms: &'a [Cow<'static, str>],
    environments: &'a [Place],
    outside_released: &'a ReleaseNames,
    outside_released_summary: &'a ReleaseSummary,
    outside_installable: &'a ReleaseSummary,
    pip_would_pick: &'a [Pick],
    related: Vec<JsonRelated<'a>>,
    fix: Option<JsonFix<'a>>,
    help: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    suppressed: Option<Suppressed<'a>>,
    /// The finding, for which of its parts are held values ([`Compact::held`]).
    #[serde(skip)]
    of: &'a Diagnostic,
}

#[derive(Serialize)]
struct JsonRelated<'a> {
    path: &'a str,
    start: Position,
    end: Position,
    message: &'a str,
}

#[derive(Serialize)]
struct JsonFix<'a> {
    path: &'a str,
    start: Position,
    end: Position,
    replacement: &'a str,
    applicability: Applicability,
    reason: Option<&'a str>,
}

#[derive(Serialize)]
struct Suppressed<'a> {
    reason: &'a str,
}

impl<'a> JsonDiagnostic<'a> {
    pub(crate) fn new(report: &Report<'a>, d: &'a Diagnostic) -> JsonDiagnostic<'a> {
        let files = report.files;
        let at = resolve(files, &d.loc);
        JsonDiagnostic {
            code: d.code(),
            check: d.check.name(),
            rule: d.rule.as_deref(),
            severity: d.severity,
            message: &d.message,
            notes: &d.notes,
            path: at.path,
            start: at.start,
            end: at.end,
            package: d.package.as_deref(),
            window: d.window.as_deref(),
            pythons: &d.pythons,
            platforms: &d.platforms,
            environments: &d.environments,
            outside_released: &d.outside_released,
            outside_released_summary: &d.outside_released_summary,
            outside_installable: &d.outside_installable,
            pip_would_pick: &d.pip_would_pick,
            related: d
                .related
                .iter()
                .map(|r| {
                    let at = resolve(files, &r.loc);
                    JsonRelated {
                        path: at.path,
                        start: at.start,
                        end: at.end,
                        message: &r.message,
                    }
                })
                .collect(),
            fix: d.fix.as_ref().map(|f| {
                let at = resolve(files, &f.loc);
                JsonFix {
                    path: at.path,
                    start: at.start,
                    end: at.end,
                    replacement: &f.replacement,
                    applicability: f.applicability,
                    reason: f.reason.as_deref(),
                }
            }),
            help: d.help_str(),
            suppressed: d.suppressed.as_deref().map(|reason| Suppressed { reason }),
            of: d,
        }
    }
}

/// The compact JSON writer of one finding: byte for byte what serde writes for
/// [`JsonDiagnostic`] through [`super::json_line`] (`compact_writer_is_serdes_byte_for_byte`
/// compares them), written straight into the chunk's buffer. Keys are literal bytes and a
/// string with nothing to escape (almost every one) is copied whole; one that has something
/// to escape goes through serde with [`super::EscapeControls`], so escaping has one home.
/// Through serde, each of a finding's ~150 strings cost three dynamic writes and a
/// fragment check (about 50K instructions per finding). A shared `outside_released` list is
/// rendered once into [`Lists`] and copied after.
struct Compact<'b>(&'b mut Vec<u8>, &'b mut Lists);

/// Where in the writer's buffer each part of findings shared by several was rendered
/// already: the shared `outside_released` lists ([`ReleaseNames::shared_as`]) and the
/// parts many findings hold as one [`crate::diagnostic::Shared`] value (message, notes,
/// help, places, picks, summaries). The findings of one rule, Python and range share one
/// list of often dozens of names, which rendered name by name was a third of the JSON
/// writer's work; the held parts, escape-scanned and written field by field for every
/// finding, were most of the rest. A part rendered again is copied from where it is in the
/// same buffer, so nothing is kept twice: one `Lists` goes with one buffer, which is only
/// appended to while they are used together (a chunk: [`CHUNK`] findings).
#[derive(Default)]
pub(crate) struct Lists(std::collections::HashMap<Part, (usize, usize), crate::check::FastHash>);

/// What a rendered part renders: a shared release list, or a held value (its address).
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
enum Part {
    Names(usize, usize, usize),
    Held(usize),
}

#[cfg(test)]
thread_local! {
    /// Shared `outside_released` lists rendered name by name on this thread (tests).
    static LISTS_RENDERED: std::cell::Cell<usize> = const { std::cell::Cell::new(0) };
    /// Held parts rendered field by field on this thread (tests).
    static HELD_RENDERED: std::cell::Cell<usize> = const { std::cell::Cell::new(0) };
}

/// Whether serde and [`super::EscapeControls`] would copy `s` as it is: serde_json escapes
/// `"`, `\` and C0; EscapeControls DEL (0x7F) and C1 (0xC2 0x80-0x9F). Tested 16 bytes at a
/// time without an early exit inside a block, which the compiler turns into vector
/// compares: the byte-by-byte test was 3% of a run's instructions.
fn plain(s: &[u8]) -> bool {
    let care = |b: u8| (b < 0x20) | (b == b'"') | (b == b'\\') | (b == 0x7f) | (b == 0xc2);
    let mut blocks = s.chunks_exact(16);
    for block in &mut blocks {
        if block.iter().fold(false, |any, &b| any | care(b)) {
            return false;
        }
    }
    !blocks.remainder().iter().any(|&b| care(b))
}

impl Compact<'_> {
    fn raw(&mut self, b: &[u8]) {
        self.0.extend_from_slice(b);
    }

    fn str(&mut self, s: &str) -> std::io::Result<()> {
        if plain(s.as_bytes()) {
            self.0.reserve(s.len() + 2);
            self.0.push(b'"');
            self.0.extend_from_slice(s.as_bytes());
            self.0.push(b'"');
            return Ok(());
        }
        let f = super::EscapeControls(serde_json::ser::CompactFormatter);
        let mut ser = serde_json::Serializer::with_formatter(&mut *self.0, f);
        s.serialize(&mut ser).map_err(std::io::Error::from)
    }

    fn opt_str(&mut self, s: Option<&str>) -> std::io::Result<()> {
        match s {
            Some(s) => self.str(s),
            None => {
                self.raw(b"null");
                Ok(())
            }
        }
    }

    fn num(&mut self, mut n: usize) {
        let mut digits = [0u8; 20];
        let mut at = digits.len();
        loop {
            at -= 1;
            digits[at] = b'0' + (n % 10) as u8;
            n /= 10;
            if n == 0 {
                break;
            }
        }
        self.0.extend_from_slice(&digits[at..]);
    }

    /// `[…,…]`: each item written by `each`.
    fn array<T>(
        &mut self,
        items: impl IntoIterator<Item = T>,
        mut each: impl FnMut(&mut Self, T) -> std::io::Result<()>,
    ) -> std::io::Result<()> {
        self.0.push(b'[');
        for (i, item) in items.into_iter().enumerate() {
            if i > 0 {
                self.0.push(b',');
            }
            each(self, item)?;
        }
        self.0.push(b']');
        Ok(())
    }

    fn strs<'s>(&mut self, items: impl IntoIterator<Item = &'s str>) -> std::io::Result<()> {
        self.array(items, |w, s| w.str(s))
    }

    /// A release list: copied from [`Lists`] when this shared list was rendered already.
    fn names(&mut self, names: &ReleaseNames) -> std::io::Result<()> {
        let part = names.shared_as().map(|(a, b, c)| Part::Names(a, b, c));
        self.part(part, |w| w.strs(names.iter()))
    }

    /// A held value (`id`, [`crate::diagnostic::Shared::id`]) as `render` writes it: copied
    /// from [`Lists`] when it was rendered already.
    fn held(
        &mut self,
        id: Option<usize>,
        render: impl FnOnce(&mut Self) -> std::io::Result<()>,
    ) -> std::io::Result<()> {
        self.part(id.map(Part::Held), render)
    }

    /// `part` copied from where it is in the buffer when it was rendered already, else
    /// rendered by `render` (a part that is not shared, None, is rendered and not noted).
    fn part(
        &mut self,
        part: Option<Part>,
        render: impl FnOnce(&mut Self) -> std::io::Result<()>,
    ) -> std::io::Result<()> {
        let Some(part) = part else {
            return render(self);
        };
        if let Some(&(from, to)) = self.1 .0.get(&part) {
            self.0.extend_from_within(from..to);
            return Ok(());
        }
        let start = self.0.len();
        render(self)?;
        #[cfg(test)]
        match part {
            Part::Names(..) => &LISTS_RENDERED,
            Part::Held(_) => &HELD_RENDERED,
        }
        .with(|n| n.set(n.get() + 1));
        self.1 .0.insert(part, (start, self.0.len()));
        Ok(())
    }

    fn position(&mut self, p: &Position) {
        self.raw(b"{\"line\":");
        self.num(p.line);
        self.raw(b",\"column\":");
        self.num(p.column);
        self.raw(b",\"offset\":");
        self.num(p.offset);
        self.0.push(b'}');
    }

    /// `"path":…,"start":…,"end":…`
    fn place(&mut self, path: &str, start: &Position, end: &Position) -> std::io::Result<()> {
        self.raw(b"\"path\":");
        self.str(path)?;
        self.raw(b",\"start\":");
        self.position(start);
        self.raw(b",\"end\":");
        self.position(end);
        Ok(())
    }

    fn summary(&mut self, s: &ReleaseSummary) -> std::io::Result<()> {
        self.raw(b"{\"count\":");
        self.num(s.count);
        self.raw(b",\"ranges\":");
        self.array(&s.ranges, |w, r| {
            w.raw(b"{\"first\":");
            w.str(&r.first)?;
            w.raw(b",\"last\":");
            w.str(&r.last)?;
            w.raw(b",\"count\":");
            w.num(r.count);
            w.0.push(b'}');
            Ok(())
        })?;
        self.0.push(b'}');
        Ok(())
    }

    /// `[{"python":…,"platform":…},…]`
    fn places(&mut self, places: &[Place]) -> std::io::Result<()> {
        self.array(places, |w, e| {
            w.raw(b"{\"python\":");
            w.str(e.python)?;
            w.raw(b",\"platform\":");
            w.str(e.platform)?;
            w.0.push(b'}');
            Ok(())
        })
    }

    /// `[{"python":…,"platform":…,"version":…},…]`
    fn picks(&mut self, picks: &[Pick]) -> std::io::Result<()> {
        self.array(picks, |w, p| {
            w.raw(b"{\"python\":");
            w.str(p.python)?;
            w.raw(b",\"platform\":");
            w.str(p.platform)?;
            w.raw(b",\"version\":");
            w.str(&p.version)?;
            w.0.push(b'}');
            Ok(())
        })
    }

    fn diagnostic(&mut self, d: &JsonDiagnostic) -> std::io::Result<()> {
        self.raw(b"{\"code\":");
        self.str(d.code)?;
        self.raw(b",\"check\":");
        self.str(d.check)?;
        self.raw(b",\"rule\":");
        self.opt_str(d.rule)?;
        self.raw(b",\"severity\":");
        self.str(d.severity.as_str())?;
        self.raw(b",\"message\":");
        let of = d.of;
        self.held(of.message.id(), |w| w.str(d.message))?;
        self.raw(b",\"notes\":");
        self.held(of.notes.id(), |w| w.strs(d.notes.iter().map(String::as_str)))?;
        self.0.push(b',');
        self.place(d.path, &d.start, &d.end)?;
        self.raw(b",\"package\":");
        self.opt_str(d.package)?;
        self.raw(b",\"window\":");
        self.opt_str(d.window)?;
        self.raw(b",\"pythons\":");
        self.held(of.pythons.id(), |w| w.strs(d.pythons.iter().map(|p| &**p)))?;
        self.raw(b",\"platforms\":");
        self.held(of.platforms.id(), |w| w.strs(d.platforms.iter().map(|p| &**p)))?;
        self.raw(b",\"environments\":");
        self.held(of.environments.id(), |w| w.places(d.environments))?;
        self.raw(b",\"outside_released\":");
        self.names(d.outside_released)?;
        self.raw(b",\"outside_released_summary\":");
        let summary = d.outside_released_summary;
        self.held(of.outside_released_summary.id(), |w| w.summary(summary))?;
        self.raw(b",\"outside_installable\":");
        let installable = d.outside_installable;
        self.held(of.outside_installable.id(), |w| w.summary(installable))?;
        self.raw(b",\"pip_would_pick\":");
        self.held(of.pip_would_pick.id(), |w| w.picks(d.pip_would_pick))?;
        self.raw(b",\"related\":");
        self.array(&d.related, |w, r| {
            w.0.push(b'{');
            w.place(r.path, &r.start, &r.end)?;
            w.raw(b",\"message\":");
            w.str(r.message)?;
            w.0.push(b'}');
            Ok(())
        })?;
        self.raw(b",\"fix\":");
        match &d.fix {
            None => self.raw(b"null"),
            Some(f) => {
                self.0.push(b'{');
                self.place(f.path, &f.start, &f.end)?;
                self.raw(b",\"replacement\":");
                self.str(f.replacement)?;
                self.raw(b",\"applicability\":");
                self.str(match f.applicability {
                    Applicability::Safe => "safe",
                    Applicability::Unsafe => "unsafe",
                })?;
                self.raw(b",\"reason\":");
                self.opt_str(f.reason)?;
                self.0.push(b'}');
            }
        }
        self.raw(b",\"help\":");
        match &of.help {
            Some(help) => self.held(help.id(), |w| w.str(help))?,
            None => self.raw(b"null"),
        }
        if let Some(s) = &d.suppressed {
            self.raw(b",\"suppressed\":{\"reason\":");
            self.str(s.reason)?;
            self.0.push(b'}');
        }
        self.0.push(b'}');
        Ok(())
    }
}

/// One finding as compact JSON, appended to `buf` (see [`Compact`]), copying the shared
/// parts `lists` notes as rendered into `buf` already.
pub(crate) fn write_compact(
    buf: &mut Vec<u8>,
    lists: &mut Lists,
    d: &JsonDiagnostic,
) -> std::io::Result<()> {
    Compact(buf, lists).diagnostic(d)
}

/// Findings per chunk of the compact document: each chunk is rendered into one buffer by a
/// rendering thread and written with one call. A finding is about 2.5 KB of JSON, so a chunk
/// is about 160 KB.
const CHUNK: usize = 64;

/// Chunks rendered ahead of the one being written, per rendering thread: what the writer
/// holds at most is this many chunks per thread, whatever the size of the report.
const AHEAD: usize = 2;

/// Up to this many findings render on the calling thread, without asking for the core count
/// (which reads cgroup files: a cost the one-small-file run would pay for nothing).
const INLINE: usize = 2 * CHUNK;

/// How many threads render `shown` findings with `jobs` (`--jobs`; 0 is one per core): one
/// (the calling thread) for a small report, else the worker count.
fn render_threads(jobs: usize, shown: usize) -> usize {
    if shown <= INLINE {
        return 1;
    }
    let n = match jobs {
        0 => std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(1),
        n => n,
    };
    n.min(shown.div_ceil(CHUNK))
}

/// What [`compact_with`] did: threads started and chunks written (for the tests' bounds).
#[derive(Debug, Default, PartialEq, Eq)]
struct Rendered {
    threads: usize,
    chunks: usize,
}

/// The compact document, byte for byte what serde writes for [`Document`], with the
/// diagnostics rendered by a fixed number of threads: the head and tail come from the
/// document with no diagnostics, split where its empty list is.
fn compact(report: &Report, out: &mut dyn std::io::Write) -> std::io::Result<()> {
    let shown = report
        .diagnostics
        .iter()
        .filter(|d| report.show_suppressed || d.suppressed.is_none())
        .count();
    compact_with(report, out, render_threads(report.jobs, shown)).map(|_| ())
}

/// [`compact`] with `threads` rendering threads (one: the calling thread renders). With more,
/// that many scoped threads are started once; each takes the next chunk, at most
/// [`AHEAD`] × `threads` chunks beyond the one being written, and the calling thread writes
/// the chunks in order as they finish, one write per chunk.
fn compact_with(
    report: &Report,
    out: &mut dyn std::io::Write,
    threads: usize,
) -> std::io::Result<Rendered> {
    let empty = Document {
        version: SCHEMA_VERSION,
        tool: Tool {
            name: TOOL_NAME,
            version: report.tool_version,
        },
        diagnostics: Vec::new(),
        summary: Summary::of(report),
    };
    let mut frame = Vec::new();
    super::json_line(&mut frame, &empty)?;
    // A quote inside a string value is escaped, so this text can only be the key itself.
    const LIST: &[u8] = b"\"diagnostics\":[]";
    let Some(at) = frame.windows(LIST.len()).position(|w| w == LIST) else {
        return Err(std::io::Error::other("JSON frame without its diagnostics"));
    };
    let split = at + LIST.len() - 1;
    out.write_all(&frame[..split])?;
    let shown: Vec<&Diagnostic> = report
        .diagnostics
        .iter()
        .filter(|d| report.show_suppressed || d.suppressed.is_none())
        .collect();
    let chunks: Vec<&[&Diagnostic]> = shown.chunks(CHUNK).collect();
    // A chunk's findings, each after a comma but the list's first.
    let render = |i: usize| -> std::io::Result<Vec<u8>> {
        let part = chunks[i];
        let mut buf = Vec::with_capacity(part.len() * 2048);
        let mut lists = Lists::default();
        for (k, d) in part.iter().enumerate() {
            if i > 0 || k > 0 {
                buf.push(b',');
            }
            write_compact(&mut buf, &mut lists, &JsonDiagnostic::new(report, d))?;
        }
        Ok(buf)
    };
    let mut done = Rendered {
        threads: 0,
        chunks: chunks.len(),
    };
    if threads <= 1 || chunks.len() <= 1 {
        for i in 0..chunks.len() {
            out.write_all(&render(i)?)?;
        }
    } else {
        done.threads = threads.min(chunks.len());
        let window = AHEAD * done.threads;
        let state = std::sync::Mutex::new(Chunks::default());
        let turn = std::sync::Condvar::new();
        let lock = || state.lock().unwrap_or_else(|e| e.into_inner());
        let worker = || {
            #[cfg(test)]
            STARTED.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            let mut st = lock();
            loop {
                if st.stop || st.next >= chunks.len() {
                    return;
                }
                if st.next >= st.written + window {
                    st = turn.wait(st).unwrap_or_else(|e| e.into_inner());
                    continue;
                }
                let i = st.next;
                st.next += 1;
                drop(st);
                let buf = render(i);
                st = lock();
                st.ready.insert(i, buf);
                turn.notify_all();
            }
        };
        let written = std::thread::scope(|s| {
            for _ in 0..done.threads {
                s.spawn(worker);
            }
            let mut st = lock();
            let result = loop {
                if st.written == chunks.len() {
                    break Ok(());
                }
                let at = st.written;
                let Some(buf) = st.ready.remove(&at) else {
                    st = turn.wait(st).unwrap_or_else(|e| e.into_inner());
                    continue;
                };
                drop(st);
                let res = buf.and_then(|b| out.write_all(&b));
                st = lock();
                if res.is_err() {
                    break res;
                }
                st.written += 1;
                turn.notify_all();
            };
            // Stop the workers (on an error, before they render the rest).
            st.stop = true;
            turn.notify_all();
            result
        });
        written?;
    }
    out.write_all(&frame[split..])?;
    out.write_all(b"\n")?;
    Ok(done)
}

/// Rendering threads started, counted for the unit test's bound.
#[cfg(test)]
static STARTED: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);

/// The rendering threads' shared state: the next chunk to take, how many chunks are
/// written, and those rendered but not yet written.
#[derive(Default)]
struct Chunks {
    next: usize,
    written: usize,
    ready: std::collections::BTreeMap<usize, std::io::Result<Vec<u8>>>,
    stop: bool,
}

impl Emitter for Json {
    fn emit(&self, report: &Report, out: &mut dyn std::io::Write) -> std::io::Result<()> {
        if !self.pretty {
            return compact(report, out);
        }
        let doc = Document {
            version: SCHEMA_VERSION,
            tool: Tool {
                name: TOOL_NAME,
                version: report.tool_version,
            },
            diagnostics: report
                .diagnostics
                .iter()
                .filter(|d| report.show_suppressed || d.suppressed.is_none())
                .map(|d| JsonDiagnostic::new(report, d))
                .collect(),
            summary: Summary::of(report),
        };
        super::json_pretty(&mut *out, &doc)?;
        out.write_all(b"\n")
    }
}

impl Emitter for JsonLines {
    fn emit(&self, report: &Report, out: &mut dyn std::io::Write) -> std::io::Result<()> {
        let shown = report
            .diagnostics
            .iter()
            .filter(|d| report.show_suppressed || d.suppressed.is_none());
        // One write per chunk of lines, whose shared parts are rendered once.
        let mut buf = Vec::new();
        let mut lists = Lists::default();
        for (i, d) in shown.enumerate() {
            if i > 0 && i % CHUNK == 0 {
                out.write_all(&buf)?;
                buf.clear();
                lists = Lists::default();
            }
            // Control characters are escaped, so each object stays on one line.
            write_compact(&mut buf, &mut lists, &JsonDiagnostic::new(report, d))?;
            buf.push(b'\n');
        }
        out.write_all(&buf)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diagnostic::Check;
    use crate::files::Files;
    use crate::manifest::Loc;
    use crate::source::Span;

    /// A writer that counts its write calls.
    #[derive(Default)]
    struct Counted {
        bytes: Vec<u8>,
        writes: usize,
    }

    impl std::io::Write for Counted {
        fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
            self.writes += 1;
            self.bytes.extend_from_slice(b);
            Ok(b.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    /// The hand-written compact writer of a finding prints what serde prints for it, byte for
    /// byte: every field set and unset, and strings with each character serde or
    /// `EscapeControls` escapes (quote, backslash, every C0 and C1 control, DEL), non-ASCII
    /// text and none at all.
    #[test]
    fn compact_writer_is_serdes_byte_for_byte() {
        use crate::diagnostic::{Fix, Related, ReleaseRange};
        let mut files = Files::new(std::path::PathBuf::from("/p"));
        let text = "numpy>=1.16 # \u{e9}\u{85}\n".repeat(20);
        let a = files.add(std::path::Path::new("/p/a \"q\"\u{7}.txt"), text.as_bytes());
        let b = files.add(std::path::Path::new("/p/b.txt"), text.as_bytes());
        let files = crate::source::Excerpts::whole(&files);
        let mut odd: Vec<String> = vec![String::new(), "plain".into(), "caf\u{e9} \u{2028}".into()];
        // Each escaped character alone, and inside the second 16-byte block of a long string
        // (`plain` tests whole blocks at a time).
        odd.extend((0u32..0x20).chain([0x22, 0x5c, 0x7f]).chain(0x80..0xa0).flat_map(|c| {
            let c = char::from_u32(c).unwrap();
            [format!("a{c}b"), format!("{}{c}{}", "x".repeat(20), "y".repeat(20))]
        }));
        let leak = |s: &String| -> &'static str { Box::leak(s.clone().into_boxed_str()) };
        let loc = |file, start: usize| Loc {
            file,
            span: Span::new(start, start + 5),
        };
        let mut diagnostics = Vec::new();
        for (i, s) in odd.iter().enumerate() {
            let mut d = Diagnostic::problem(
                Check::OutsideWindow,
                [Severity::Info, Severity::Warning, Severity::Error][i % 3],
                loc(a, i % 200),
                s.clone(),
            );
            diagnostics.push(d.clone());
            d.rule = Some(s.clone());
            d.label = s.clone().into();
            d.package = Some(format!("{s}{i}"));
            d.window = Some(s.clone());
            d.set_environments(vec![
                Place::new(leak(s), "linux"),
                Place::new("3.7", leak(s)),
                Place::new("2.7", "win32"),
            ]);
            d.outside_released = [s.as_str(), "1.0", "2.0"].into_iter().collect();
            let range = |n| ReleaseRange {
                first: s.as_str().into(),
                last: "9".into(),
                count: n,
            };
            d.outside_released_summary = ReleaseSummary {
                count: i * 1000 + 7,
                ranges: vec![range(i), range(usize::MAX)],
            }
            .into();
            d.outside_installable = ReleaseSummary {
                count: 0,
                ranges: vec![range(10)],
            }
            .into();
            d.pip_would_pick = vec![Pick {
                python: "3.6",
                platform: leak(s),
                version: s.as_str().into(),
            }]
            .into();
            d.related = vec![
                Related {
                    loc: loc(b, 3 * i),
                    message: s.clone(),
                },
                Related {
                    loc: loc(a, 0),
                    message: "x".into(),
                },
            ];
            d.fix = Some(Fix {
                loc: loc(b, i),
                replacement: s.clone(),
                applicability: if i % 2 == 0 {
                    Applicability::Safe
                } else {
                    Applicability::Unsafe
                },
                reason: (i % 3 != 0).then(|| s.clone()),
            });
            d.help = Some(s.clone().into());
            d.notes = vec![s.clone(), "n".into()].into();
            d.suppressed = (i % 4 == 1).then(|| s.clone());
            diagnostics.push(d);
        }
        let report = test_report(&files, &diagnostics);
        for d in &diagnostics {
            compact_as_serde(&report, d, &mut Vec::new(), &mut Lists::default());
        }
    }

    /// A report of `diagnostics` in one checked file, suppressed findings shown.
    fn test_report<'r>(
        files: &'r crate::source::Excerpts,
        diagnostics: &'r [Diagnostic],
    ) -> Report<'r> {
        Report {
            files,
            diagnostics,
            tool_version: "0.0.0-test",
            checked: 1,
            show_suppressed: true,
            fail_on: Severity::Error,
            jobs: 0,
        }
    }

    /// `d` written by the compact writer after what `buf` holds (with the parts `lists`
    /// notes in it rendered already), checked against serde's bytes; the compact text.
    fn compact_as_serde(
        report: &Report,
        d: &Diagnostic,
        buf: &mut Vec<u8>,
        lists: &mut Lists,
    ) -> String {
        let j = JsonDiagnostic::new(report, d);
        let mut want = Vec::new();
        crate::report::json_line(&mut want, &j).unwrap();
        let start = buf.len();
        write_compact(buf, lists, &j).unwrap();
        let got = String::from_utf8_lossy(&buf[start..]).into_owned();
        assert_eq!(got, String::from_utf8_lossy(&want), "{:?}", d.message);
        got
    }

    /// Findings that share one release list (the evaluator's memoised indices) render it
    /// name by name once per writer and copy it after, byte for byte what serde writes; a
    /// list of the same names that is not shared renders on its own.
    #[test]
    fn a_shared_release_list_is_rendered_once() {
        use std::sync::Arc;
        let list = Arc::new(
            crate::rules::releases::ReleaseList::parse(
                "version\trequires_python\treleased\tstatus\n1.0\t\t\tfinal\n1.1\t\t\tfinal\n2.0\t\t\tfinal\n",
            )
            .unwrap(),
        );
        let shared: Arc<[usize]> = Arc::from([0, 2]);
        let other: Arc<[usize]> = Arc::from([0, 2]);
        let mut files = Files::new(std::path::PathBuf::from("/p"));
        let file = files.add(std::path::Path::new("/p/a.txt"), b"numpy\n");
        let files = crate::source::Excerpts::whole(&files);
        let at = Loc {
            file,
            span: Span::default(),
        };
        let mut diagnostics = Vec::new();
        for indices in [&shared, &shared, &other, &shared, &other] {
            let mut d = Diagnostic::problem(Check::OutsideWindow, Severity::Error, at, "m".into());
            d.outside_released = ReleaseNames::listed(Arc::clone(&list), Arc::clone(indices));
            diagnostics.push(d);
        }
        let report = test_report(&files, &diagnostics);
        let before = LISTS_RENDERED.with(|n| n.get());
        let (mut buf, mut lists) = (Vec::new(), Lists::default());
        for d in &diagnostics {
            let got = compact_as_serde(&report, d, &mut buf, &mut lists);
            assert!(got.contains("\"outside_released\":[\"1.0\",\"2.0\"]"));
        }
        assert_eq!(LISTS_RENDERED.with(|n| n.get()) - before, 2);
    }

    /// The parts findings hold as one shared value (message, notes, help, places, picks,
    /// summaries) render once per writer and are copied after, byte for byte what serde
    /// writes (a help text with a quote takes serde's escaping); equal parts that are not
    /// shared render on their own. Catches a writer that escapes and writes every held part
    /// of every finding field by field (45 renderings here instead of 26).
    #[test]
    fn held_parts_are_rendered_once() {
        use crate::diagnostic::ReleaseRange;
        let mut files = Files::new(std::path::PathBuf::from("/p"));
        let file = files.add(std::path::Path::new("/p/a.txt"), b"numpy\n");
        let files = crate::source::Excerpts::whole(&files);
        let at = Loc {
            file,
            span: Span::default(),
        };
        let held = |message: &str| {
            let mut d = Diagnostic::problem(Check::OutsideWindow, Severity::Error, at, message.into());
            d.notes = vec!["pip picks 1.0".to_string(), "note \"two\"".into()].into();
            d.help = Some("use \"numpy<2\"\u{7}".into());
            d.set_environments(vec![Place::new("3.8", "linux"), Place::new("3.9", "win32")]);
            d.pip_would_pick = vec![Pick {
                python: "3.8",
                platform: "linux",
                version: "1.0".into(),
            }]
            .into();
            let summary = ReleaseSummary {
                count: 2,
                ranges: vec![ReleaseRange {
                    first: "1.0".into(),
                    last: "1.1".into(),
                    count: 2,
                }],
            };
            d.outside_released_summary = summary.clone().into();
            d.outside_installable = summary.into();
            d
        };
        // Held parts per finding: message, notes, help, pythons, platforms, environments,
        // pip's picks and the two summaries.
        let first = held("m");
        let parts = 9;
        let mut diagnostics = vec![first.clone(), first.clone(), held("m"), first.clone()];
        // A finding that shares only its notes with the first.
        let mut own = held("other");
        own.notes = first.notes.clone();
        diagnostics.push(own);
        let report = test_report(&files, &diagnostics);
        let before = HELD_RENDERED.with(|n| n.get());
        let (mut buf, mut lists) = (Vec::new(), Lists::default());
        let texts: Vec<String> = diagnostics
            .iter()
            .map(|d| compact_as_serde(&report, d, &mut buf, &mut lists))
            .collect();
        let rendered = HELD_RENDERED.with(|n| n.get()) - before;
        // The first finding's parts, the unshared copy's, and the last's but its notes.
        assert_eq!(rendered, parts + parts + (parts - 1));
        assert_eq!(texts[0], texts[1]);
        assert_eq!(texts[0], texts[2]);
        assert!(texts[4].contains("\"notes\":[\"pip picks 1.0\",\"note \\\"two\\\"\"]"));
    }

    /// The compact writer prints exactly what serde prints for the whole document, for no
    /// finding, a few, and many chunks, with one to three rendering threads, suppressed
    /// findings shown or not. It starts at most the threads it is given, once per document
    /// (not per batch: the writer before started two threads per 512 findings), and writes
    /// each chunk with one call, so the output is written as chunks finish, not gathered.
    #[test]
    fn compact_is_serdes_document_byte_for_byte() {
        let mut files = Files::new(std::path::PathBuf::from("/p"));
        let text = "numpy>=1.16\n\u{1b}]x \"quoted\"\n".repeat(50);
        let id = files.add(std::path::Path::new("/p/requirements.txt"), text.as_bytes());
        let files = crate::source::Excerpts::whole(&files);
        for n in [0, 3, CHUNK, 2 * CHUNK + 1, 40 * CHUNK + 7] {
            let diagnostics: Vec<Diagnostic> = (0..n)
                .map(|i| {
                    let mut d = Diagnostic::problem(
                        Check::ParseError,
                        if i % 3 == 0 {
                            Severity::Error
                        } else {
                            Severity::Warning
                        },
                        Loc {
                            file: id,
                            span: Span::new(i % 100, i % 100 + 3),
                        },
                        format!("finding {i}: \"x\"\n\u{7}"),
                    );
                    if i % 7 == 0 {
                        d.suppressed = Some(format!("reason {i}"));
                    }
                    d
                })
                .collect();
            for show_suppressed in [false, true] {
                let report = Report {
                    files: &files,
                    diagnostics: &diagnostics,
                    tool_version: "0.0.0-test",
                    checked: 1,
                    show_suppressed,
                    fail_on: Severity::Error,
                    jobs: 0,
                };
                let doc = Document {
                    version: SCHEMA_VERSION,
                    tool: Tool {
                        name: TOOL_NAME,
                        version: report.tool_version,
                    },
                    diagnostics: diagnostics
                        .iter()
                        .filter(|d| show_suppressed || d.suppressed.is_none())
                        .map(|d| JsonDiagnostic::new(&report, d))
                        .collect(),
                    summary: Summary::of(&report),
                };
                let mut want = Vec::new();
                crate::report::json_line(&mut want, &doc).unwrap();
                want.push(b'\n');
                let shown = doc.diagnostics.len();
                let chunks = shown.div_ceil(CHUNK);
                for threads in [1, 2, 3] {
                    let mut got = Counted::default();
                    let before = STARTED.load(std::sync::atomic::Ordering::SeqCst);
                    let done = compact_with(&report, &mut got, threads).unwrap();
                    let started = STARTED.load(std::sync::atomic::Ordering::SeqCst) - before;
                    let case = format!("{n} findings, show_suppressed {show_suppressed}, {threads} threads");
                    assert!(got.bytes == want, "{case}");
                    assert_eq!(done.chunks, chunks, "{case}");
                    // The head, one write per chunk, the tail and the newline.
                    assert_eq!(got.writes, chunks + 3, "{case}");
                    let most = if threads == 1 || chunks <= 1 { 0 } else { threads.min(chunks) };
                    assert_eq!(started, most, "{case}");
                    assert_eq!(done.threads, most, "{case}");
                }
                let mut got = Vec::new();
                Json { pretty: false }.emit(&report, &mut got).unwrap();
                assert!(got == want, "{n} findings, show_suppressed {show_suppressed}");
                let mut pretty = Vec::new();
                Json { pretty: true }.emit(&report, &mut pretty).unwrap();
                let a: serde_json::Value = serde_json::from_slice(&got).unwrap();
                let b: serde_json::Value = serde_json::from_slice(&pretty).unwrap();
                assert_eq!(a, b);
            }
        }
    }
}
