//! Bodies of the fuzz targets. They live in the main crate so that `cargo test` runs them
//! over the committed seed corpus (`fuzz/corpus/`) without cargo-fuzz or a nightly
//! toolchain; see `tests/integration/fuzz_corpus.rs`.
//!
//! The targets come from the format registry ([`targets`]): one per input format, the
//! Poetry constraint translator and the pipeline. Every `fuzz/fuzz_targets/<target>.rs` is
//! the same file, which runs [`run`] with its own binary name; `fuzz/Cargo.toml`'s `[[bin]]`
//! entries, those files and the corpus folders are checked against [`targets`] (and written
//! from it) by `tests/integration/fuzz_corpus.rs`.
//!
//! Each body panics on a broken invariant, which is what a fuzzer reports:
//! - parsing never panics, whatever the bytes;
//! - every span a parser or the checker produces (requirement, name, specifier, clause,
//!   problem, diagnostic, related location, fix) lies inside its file's decoded text, on
//!   UTF-8 character boundaries, with `start <= end`, and maps to a position.

use std::path::{Path, PathBuf};

use crate::check::{self, Options};
use crate::files::Files;
use crate::formats::{self, Format};
use crate::manifest::{FileId, Loc, Parsed, VersionReq, VersionSlot};
use crate::source::Span;

/// A directory that does not exist, so relative includes resolve to nothing on disk.
const ROOT: &str = "/nonexistent/depwindow-fuzz";

/// The target that fuzzes the Poetry constraint translator.
pub const POETRY_CONSTRAINT: &str = "poetry_constraint";
/// The target that runs the whole pipeline, every reader picked by the first byte.
pub const PIPELINE: &str = "pipeline";

/// The fuzz target of an input format: its `--input-format` name with `-` as `_`.
pub fn target_name(format: Format) -> String {
    format.name().replace('-', "_")
}

/// Every fuzz target, by name: one per input format (in registry order), then the Poetry
/// constraint translator and the pipeline.
pub fn targets() -> Vec<String> {
    Format::ALL
        .into_iter()
        .map(target_name)
        .chain([POETRY_CONSTRAINT.to_string(), PIPELINE.to_string()])
        .collect()
}

/// Run the body of the target named `target` on `data`. Panics on a name that is not in
/// [`targets`], so a misnamed fuzz binary fails on its first input.
pub fn run(target: &str, data: &[u8]) {
    match target {
        POETRY_CONSTRAINT => poetry_constraint(data),
        PIPELINE => pipeline(data),
        _ => {
            let format = Format::ALL
                .into_iter()
                .find(|&f| target_name(f) == target)
                .unwrap_or_else(|| panic!("no fuzz target named `{target}`"));
            parse_format(format, data);
        }
    }
}

/// The file name a format is detected from.
pub(crate) fn file_name(format: Format) -> &'static str {
    format.imp().example_file_name()
}

fn load(format: Format, data: &[u8]) -> (Files, FileId) {
    let mut files = Files::new(PathBuf::from(ROOT));
    let id = files.add(&Path::new(ROOT).join(file_name(format)), data);
    (files, id)
}

/// Parse `data` as `format` and check every span of the result.
pub fn parse_format(format: Format, data: &[u8]) -> (Files, Parsed) {
    let (mut files, id) = load(format, data);
    let parsed = formats::parse(format, &mut files, id);
    assert_parsed_spans(&files, &parsed);
    (files, parsed)
}

/// The whole pipeline: the first byte picks the format, the rest is the file; parse, check
/// against the built-in rules, and check every diagnostic's spans.
pub fn pipeline(data: &[u8]) {
    let Some((&first, rest)) = data.split_first() else {
        return;
    };
    let format = Format::ALL[first as usize % Format::ALL.len()];
    let (files, parsed) = parse_format(format, rest);
    let opts = Options {
        pythons: None,
        platforms: None,
        conda: format.imp().conda_names(),
        sibling_lock: None,
        source: check::Source::File,
    };
    for d in check::check_parsed(&files, &parsed, crate::rules::builtin(), &opts) {
        assert_loc(&files, d.loc, "diagnostic");
        for r in &d.related {
            assert_loc(&files, r.loc, "related");
        }
        if let Some(fix) = &d.fix {
            assert_loc(&files, fix.loc, "fix");
        }
    }
}

/// The Poetry constraint translator: never panics, clause spans lie inside the text, and
/// the held clauses of an alternative are its pep440_rs specifiers, spelled the same.
pub fn poetry_constraint(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(alternatives) = formats::poetry::translate_spanned(text) {
        for a in &alternatives {
            for &c in &a.clauses {
                assert_span(text, c, "poetry clause");
            }
            let specs = a.specifiers();
            assert!(a.held().spelled_as(&specs), "`{text}`: {specs}");
        }
    }
    let _ = formats::poetry::translate(text);
}

/// Every span in a parse result is a valid range of its file's text.
pub(crate) fn assert_parsed_spans(files: &Files, parsed: &Parsed) {
    for r in &parsed.requirements {
        assert_loc(files, r.loc(), "requirement");
        let name = Loc {
            file: r.loc().file,
            span: r.name_span(),
        };
        assert_loc(files, name, "name");
        let inner: Vec<Span> = match &r.version {
            VersionReq::Specifiers { span, clauses, .. } => {
                std::iter::once(span.get()).chain(clauses.iter()).collect()
            }
            VersionReq::AnyOf { span, .. } | VersionReq::Exact { span, .. } => vec![span.get()],
            VersionReq::Any | VersionReq::Unversioned => Vec::new(),
        };
        for span in inner {
            assert_loc(
                files,
                Loc {
                    file: r.loc().file,
                    span,
                },
                "specifier",
            );
        }
        // Edit anchors: every place a fix would write.
        let mut anchors: Vec<Span> = r.marker_span().into_iter().collect();
        match &r.version_slot() {
            Some(VersionSlot::Replace { span, .. }) => anchors.push(*span),
            Some(VersionSlot::Insert { at, .. }) => anchors.push(Span::new(*at, *at)),
            Some(VersionSlot::Clauses) | None => {}
        }
        if let Some(i) = r.insert_at() {
            anchors.push(Span::new(i.at, i.at));
        }
        if let Some(e) = r.entry() {
            anchors.push(e.span);
            anchors.extend(e.restrictions.iter().flat_map(|&(k, v)| [k, v]));
        }
        for span in anchors {
            assert_loc(
                files,
                Loc {
                    file: r.loc().file,
                    span,
                },
                "edit anchor",
            );
        }
    }
    for p in &parsed.problems {
        assert_loc(files, p.loc, "problem");
    }
    for (id, loc) in &parsed.includes {
        assert!(*id < files.len(), "include of unknown file {id}");
        assert_loc(files, *loc, "include");
    }
    if let Some((_, loc)) = &parsed.requires_python {
        assert_loc(files, *loc, "requires-python");
    }
    for g in &parsed.groups {
        if let Some(b) = g.base {
            assert!(
                parsed.groups.get(b).is_some_and(|b| b.base.is_none()),
                "group `{}` adds to group {b}, which is no base",
                g.name
            );
        }
        for &m in &g.members {
            assert!(
                m < parsed.requirements.len(),
                "group `{}` member {m} out of range",
                g.name
            );
        }
    }
}

fn assert_loc(files: &Files, loc: Loc, what: &str) {
    assert!(loc.file < files.len(), "{what}: unknown file {}", loc.file);
    let f = files.get(loc.file);
    assert_span(&f.text, loc.span, what);
    // What every reporter does with a span.
    let a = f.position(loc.span.start);
    let b = f.position(loc.span.end);
    assert!(a.offset <= b.offset, "{what}: positions out of order");
}

fn assert_span(text: &str, span: Span, what: &str) {
    assert!(
        span.start <= span.end && span.end <= text.len(),
        "{what}: span {span:?} outside text of {} bytes",
        text.len()
    );
    assert!(
        text.is_char_boundary(span.start) && text.is_char_boundary(span.end),
        "{what}: span {span:?} not on char boundaries"
    );
}
