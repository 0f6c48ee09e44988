//! A PEP 508 requirement string that sits somewhere in a file (a TOML string, a setup.cfg
//! line, a setup.py literal, a conda `pip:` entry) turned into a [`Requirement`] with spans
//! for its name, its specifier set and each comma clause; and marker expressions.
//!
//! pep508_rs parses the string (the semantics) but keeps no positions for the parts of one
//! that parses, so we find the name, extras and specifier text ourselves (the spans) with a
//! small scanner that follows the PEP 508 grammar:
//!
//! ```text
//! specification = wsp* ( url_req | name_req ) wsp*
//! name_req      = name wsp* extras? wsp* versionspec? wsp* quoted_marker?
//! url_req       = name wsp* extras? wsp* urlspec (wsp+ | end) quoted_marker?
//! versionspec   = ( '(' version_many ')' ) | version_many
//! ```
//!
//! Where the file's text is not the value byte for byte (escapes, implicitly concatenated
//! literals), every part spans the whole literal: diagnostics underline it, fixes replace it.
//!
//! Two entry points share that core and differ only in how they report a string that does
//! not parse, which is what each group of readers has always printed:
//! - [`requirement`] (TOML readers) names the string in the message (`invalid requirement
//!   `numpy>=>1`: ...`) and points at pep508_rs's error range as given;
//! - [`requirement_at`] / [`requirement_in_literal`] (setup.cfg, setup.py, conda `pip:`)
//!   give pep508_rs's message alone (`empty requirement` for a blank one) and point at its
//!   error range snapped to character boundaries, or at the whole requirement when that
//!   range is empty.

use pep508_rs::{MarkerTree, VerbatimUrl, VersionOrUrl};

use super::Format;
use crate::manifest::{
    Anchors, FileId, Loc, Marker, Problem, ProblemKind, Requirement, Role, Syntax, VersionReq,
    VersionSlot,
};
use crate::source::{snap, Span};

/// A requirement as the guard reads it: its clause list apart when it was read clause by
/// clause (`guard::parse_requirement_marked`).
type Marked = super::guard::Marked<VerbatimUrl>;

/// Parse `value` (the decoded string) found at `at` in file `file`. When `exact` is true,
/// `at` covers exactly the bytes of `value` and inner spans are computed; otherwise every
/// inner span is `at` (the value had escapes, so offsets inside it are not file offsets).
pub fn requirement(
    value: &str,
    at: Span,
    exact: bool,
    file: FileId,
    role: Role,
    format: Format,
) -> Result<Requirement, Problem> {
    let parsed = match super::guard::parse_requirement_marked::<VerbatimUrl>(value) {
        Ok(r) => r,
        Err(e) => {
            let span = if exact {
                // At least one character, never part of one.
                let end = e.start.saturating_add(e.len.max(1));
                at.sub(snap(value, Span::new(e.start, end)))
            } else {
                at
            };
            let message = format!("invalid requirement `{}`: {}", value.trim(), e.message);
            return Err(problem(file, span, message));
        }
    };
    let place = if exact {
        Place::Exact(at)
    } else {
        Place::Literal(at)
    };
    Ok(build(parsed, value, place, file, role, format))
}

/// The fast path of [`requirement`] for a string on a package no rule reads
/// (`formats::Relevant`): `true` when the scanner vouches for `value` ([`plain`]: a form
/// pep508_rs accepts, with no extras, URL or marker), and then nothing is kept of it (no
/// check reads a requirement on a package no rule names; issue 15 §4). `false` for a
/// relevant package, `project` itself (a self-reference reads its extras), or anything the
/// scanner does not vouch for: then [`requirement`] reads it and reports what is wrong, so
/// no string pep508_rs rejects is taken here. The caller asks only for a string that sits
/// byte for byte in the file, as the full reading's spans would.
pub(crate) fn unread(
    value: &str,
    relevant: &super::Relevant,
    project: Option<&pep508_rs::PackageName>,
) -> bool {
    if relevant.reads_all() {
        return false;
    }
    let Some(parts) = plain(value) else {
        return false;
    };
    let raw = &value[parts.name.start..parts.name.end];
    if relevant.wants(raw) {
        return false;
    }
    super::is_package_name(raw) && !project.is_some_and(|p| super::normalized_eq(raw, p.as_ref()))
}

/// Parse the PEP 508 requirement at `span` of `text`, whose bytes are exactly the
/// requirement (no escapes), and locate the spans of its parts.
pub(crate) fn requirement_at(
    text: &str,
    span: Span,
    file: FileId,
    role: Role,
    format: Format,
) -> Result<Requirement, Problem> {
    let Some(src) = text.get(span.start..span.end) else {
        return Err(problem(
            file,
            span,
            "requirement span is not valid text".into(),
        ));
    };
    let req = parse_nonempty(src).map_err(|(start, len, message)| {
        // pep508_rs error offsets are byte offsets into the string it was given.
        let at = snap(src, Span::new(start, start.saturating_add(len.max(1))));
        let at = if at.is_empty() && !src.is_empty() {
            Span::new(0, src.len())
        } else {
            at
        };
        problem(file, span.sub(at), message)
    })?;
    Ok(build(req, src, Place::Exact(span), file, role, format))
}

/// Parse a requirement whose text in the file does not map byte for byte onto its value
/// (a string literal with escapes, implicitly concatenated literals): every part's span is
/// the whole `literal` span, so diagnostics underline the literal and fixes replace it.
pub(crate) fn requirement_in_literal(
    value: &str,
    literal: Span,
    file: FileId,
    role: Role,
    format: Format,
) -> Result<Requirement, Problem> {
    let req = parse_nonempty(value).map_err(|(_, _, message)| problem(file, literal, message))?;
    Ok(build(
        req,
        value,
        Place::Literal(literal),
        file,
        role,
        format,
    ))
}

fn parse_nonempty(src: &str) -> Result<Marked, (usize, usize, String)> {
    if src.trim().is_empty() {
        return Err((0, src.len(), "empty requirement".into()));
    }
    super::guard::parse_requirement_marked::<VerbatimUrl>(src)
        .map_err(|e| (e.start, e.len, e.message))
}

/// Where a requirement string's text is in the file.
#[derive(Clone, Copy, Debug)]
enum Place {
    /// The bytes at the span are the string: its parts get their own spans.
    Exact(Span),
    /// The text at the span is not the string byte for byte: every part spans all of it.
    Literal(Span),
}

/// The [`Requirement`] for a string pep508_rs accepted (its marker apart), with the spans
/// of its parts.
fn build(
    (req, marker, listed): Marked,
    value: &str,
    place: Place,
    file: FileId,
    role: Role,
    format: Format,
) -> Requirement {
    let (at, parts) = match place {
        Place::Exact(at) => {
            let l = layout(value);
            let spec = l
                .spec
                .map(|(s, c)| (at.sub(s), c.iter().map(|&c| at.sub(c)).collect()));
            (
                at,
                Layout {
                    name: at.sub(l.name),
                    spec,
                },
            )
        }
        Place::Literal(at) => (
            at,
            Layout {
                name: at,
                spec: None,
            },
        ),
    };
    let version = match (listed, req.version_or_url) {
        // Never empty: a list read apart has a clause.
        (Some(listed), _) => listed_req(std::sync::Arc::new(listed), parts.spec, at),
        (None, None) => VersionReq::Any,
        (None, Some(VersionOrUrl::Url(_))) => VersionReq::Unversioned,
        (None, Some(VersionOrUrl::VersionSpecifier(s))) if s.is_empty() => VersionReq::Any,
        (None, Some(VersionOrUrl::VersionSpecifier(s))) => {
            listed_req(crate::versions::shared_specifiers(s), parts.spec, at)
        }
    };
    let anchors = match place {
        Place::Exact(_) => anchors(value, at.start, parts.name, &version, at),
        // Offsets inside the literal are not file offsets: no edit maps one to one.
        Place::Literal(_) => Anchors::default(),
    };
    let mut r = Requirement::new(crate::manifest::Draft {
        name: req.name.into(),
        extras: req.extras.into(),
        version,
        marker,
        role,
        syntax: Syntax::Pep508,
        at: Loc { file, span: at },
        name_at: parts.name,
        hashed: false,
        pre: false,
        format,
    });
    r.set_anchors(anchors);
    r
}

/// A requirement's non-empty clauses, with the span of the list found by [`layout`]
/// (`spec`) and one span per clause, or none (never a partial list).
fn listed_req(
    specifiers: std::sync::Arc<crate::versions::Specifiers>,
    spec: Option<(Span, Vec<Span>)>,
    at: Span,
) -> VersionReq {
    let (span, clauses) = match spec {
        Some((s, c)) if c.len() == specifiers.len() => (s, c),
        Some((s, _)) => (s, Vec::new()),
        None => (at, Vec::new()),
    };
    VersionReq::Specifiers {
        specifiers,
        span: span.into(),
        clauses: clauses.into(),
    }
}

/// The edit anchors of a PEP 508 requirement whose text `text` starts at file offset
/// `base` (`loc` and `name_span` are file spans): the version slot (the specifier clauses,
/// or the place after the name and extras when there is no version) and the marker part.
pub(crate) fn anchors(
    text: &str,
    base: usize,
    name_span: Span,
    version: &VersionReq,
    loc: Span,
) -> Anchors {
    let local = |s: Span| {
        text.get(s.start.checked_sub(base)?..s.end.checked_sub(base)?)
            .map(|t| (t, s.start - base))
    };
    let slot = match version {
        VersionReq::Specifiers { span, .. } if span.get() != loc => Some(VersionSlot::Clauses),
        VersionReq::Any => after_name(text, base, name_span, loc).map(|at| VersionSlot::Insert {
            at,
            around: &["", ""],
        }),
        _ => None,
    };
    let marker = local(loc)
        .and_then(|(t, off)| marker_in(t).map(|m| Span::new(base + off, base + off).sub(m)));
    Anchors::new(slot, marker, None)
}

/// Where a specifier goes in a requirement without one: after the name and its extras.
fn after_name(text: &str, base: usize, name_span: Span, loc: Span) -> Option<usize> {
    let get = |s: Span| text.get(s.start.checked_sub(base)?..s.end.checked_sub(base)?);
    let name = get(name_span)?;
    // A name span that is not the name (it stands for the whole requirement) maps nothing.
    if name_span == loc && name.trim() != name {
        return None;
    }
    if name.is_empty() || name.contains(|c: char| c.is_whitespace() || c == '"' || c == '\'') {
        return None;
    }
    let mut end = name_span.end;
    let rest = get(Span::new(end, loc.end))?;
    let trimmed = rest.trim_start_matches([' ', '\t']);
    if trimmed.starts_with('[') {
        let close = trimmed.find(']')?;
        end += rest.len() - trimmed.len() + close + 1;
    }
    Some(end)
}

/// The marker part of a requirement's text, with the blanks before its `;` on the same
/// line: from the first `;` to the end of the marker expression, which ends at the end of
/// the text or, outside quotes, at a line break, a `\` continuation or a requirements-file
/// option or comment (` --`, ` #`).
pub(crate) fn marker_in(text: &str) -> Option<Span> {
    let semi = text.find(';')?;
    let b = text.as_bytes();
    let mut quote = None;
    let mut end = text.len();
    let mut i = semi;
    while i < b.len() {
        let c = b[i];
        match quote {
            Some(q) if c == q => quote = None,
            Some(_) => {}
            None => match c {
                b'"' | b'\'' => quote = Some(c),
                b'\n' | b'\r' | b'\\' => {
                    end = i;
                    break;
                }
                b' ' | b'\t'
                    if matches!(b.get(i + 1), Some(b'#')) || text[i + 1..].starts_with("--") =>
                {
                    end = i;
                    break;
                }
                _ => {}
            },
        }
        i += 1;
    }
    let marker = text[semi..end].trim_end();
    let before = text[..semi].trim_end_matches([' ', '\t']);
    // Blanks at the start of a continuation line are not copied.
    let lead = if before.ends_with(['\n', '\r']) {
        0
    } else {
        semi - before.len()
    };
    Some(Span::new(semi - lead, semi + marker.len()))
}

fn problem(file: FileId, span: Span, message: String) -> Problem {
    super::problem(ProblemKind::Parse, file, span, message)
}

/// Byte ranges inside a requirement string.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct Layout {
    pub name: Span,
    /// The specifier text (trimmed, without parentheses) and its comma clauses (trimmed).
    pub spec: Option<(Span, Vec<Span>)>,
}

/// What the one PEP 508 part scanner is asked for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Mode {
    /// The parts of a string pep508_rs accepted (never fails).
    Spans,
    /// The parts, and whether the string is certainly valid: the same walk, which also
    /// checks the grammar as it goes and gives up (`None`) on anything outside the plain
    /// form `name`, `name clauses` or `name (clauses)` with ASCII blanks, a name that
    /// starts and ends alphanumeric, no extras, URL or marker, and clauses `op version`
    /// with `op` one of `== != <= >= < > ~=` and `version` `N(.N)*` followed by `.*` (after
    /// `==` / `!=`) or by `aN` / `bN` / `rcN`, `.postN`, `.devN` (numbers of at most 18
    /// digits; `~=` needs two release numbers). pep508_rs accepts every string this passes
    /// (so does pip); what it does not pass is left to the full parse, which reports the
    /// error, so a line is never rejected here.
    Check,
}

/// Locate the name and the version specifier of a requirement string that pep508_rs
/// accepted: the one PEP 508 part scanner, for every format (requirements files hand it the
/// text before the marker, the other readers the whole string). Only called on valid input,
/// but written not to panic on anything. Blanks are `char::is_whitespace`, what pep508_rs
/// itself skips; empty comma pieces (`>=1,`) get no clause.
pub(crate) fn layout(s: &str) -> Layout {
    scan(s, Mode::Spans).unwrap_or(Layout {
        name: Span::new(0, 0),
        spec: None,
    })
}

/// [`layout`] in [`Mode::Check`]: the name and specifier spans of a plain requirement
/// string that is certainly valid PEP 508 (its clause list left empty), or `None` (then only
/// the full parse can tell).
pub(crate) fn plain(s: &str) -> Option<Layout> {
    scan(s, Mode::Check)
}

/// The scanner behind [`layout`] and [`plain`]. In [`Mode::Spans`] it always returns a
/// layout.
fn scan(s: &str, mode: Mode) -> Option<Layout> {
    let check = mode == Mode::Check;
    if check && !s.is_ascii() {
        return None;
    }
    let b = s.as_bytes();
    let ws = |i: &mut usize| *i += s.get(*i..).map_or(0, ws_lead);
    let mut i = 0;
    ws(&mut i);
    let name_start = i;
    // PEP 508: identifier = letterOrDigit identifier_end*, identifier_end = letterOrDigit |
    // (('-' | '_' | '.')* letterOrDigit).
    while i < b.len() && name_byte(b[i]) {
        i += 1;
    }
    let name = Span::new(name_start, i);
    if check {
        let n = &b[name_start..i];
        let alnum_ends = n.first().is_some_and(u8::is_ascii_alphanumeric)
            && n.last().is_some_and(u8::is_ascii_alphanumeric);
        if !alnum_ends {
            return None;
        }
    }
    ws(&mut i);
    if b.get(i) == Some(&b'[') {
        if check {
            return None;
        }
        i = find_byte(b']', &b[i..]).map_or(b.len(), |e| i + e + 1);
        ws(&mut i);
    }
    if b.get(i) == Some(&b'@') {
        return (!check).then_some(Layout { name, spec: None });
    }
    let (start, end) = if b.get(i) == Some(&b'(') {
        let start = i + 1;
        let end = find_byte(b')', &b[start..]).map_or(s.len(), |e| start + e);
        if check && (end == s.len() || !blank(&s[end + 1..])) {
            return None;
        }
        (start, end)
    } else {
        let end = find_byte(b';', &b[i..]).map_or(s.len(), |e| i + e);
        if check && end != s.len() {
            return None;
        }
        (i, end)
    };
    let spec = trim(s, Span::new(start, end));
    if spec.is_empty() {
        // pep508_rs takes a bare name that looks like an archive (`x.zip`) for a file, and
        // `name ()` has an empty specifier.
        if check && (start != i || b[name.start..name.end].contains(&b'.')) {
            return None;
        }
        return Some(Layout { name, spec: None });
    }
    let mut clauses = Vec::new();
    // The comma pieces, as `split(',')` gives them (the last one may be empty).
    let mut at = spec.start;
    loop {
        let part_end = find_byte(b',', &b[at..spec.end]).map_or(spec.end, |e| at + e);
        let c = trim(s, Span::new(at, part_end));
        if check && !plain_clause(&s[c.start..c.end]) {
            return None;
        }
        // A check has no use for the clauses (nothing builds them): none are collected.
        if !check && !c.is_empty() {
            clauses.push(c);
        }
        if part_end == spec.end {
            break;
        }
        at = part_end + 1;
    }
    Some(Layout {
        name,
        spec: Some((spec, clauses)),
    })
}

/// The first `c` in `b`. Requirement strings are a few dozen bytes: a loop over them costs
/// less than memchr's call and set-up (about 80 instructions a call under callgrind, a
/// third of a plain requirement's whole scan), which pays only on long texts.
fn find_byte(c: u8, b: &[u8]) -> Option<usize> {
    if b.len() < 64 {
        b.iter().position(|&x| x == c)
    } else {
        memchr::memchr(c, b)
    }
}

/// Only spaces and tabs (the blanks [`Mode::Check`] allows).
fn blank(s: &str) -> bool {
    s.bytes().all(|c| matches!(c, b' ' | b'\t'))
}

/// One comma clause of [`Mode::Check`]'s plain form (trimmed): `op`, blanks, `version`.
fn plain_clause(c: &str) -> bool {
    let b = c.as_bytes();
    let op_len = b
        .iter()
        .position(|c| !matches!(c, b'=' | b'!' | b'~' | b'<' | b'>'))
        .unwrap_or(b.len());
    let op = &b[..op_len];
    if !matches!(op, b"==" | b"!=" | b"<=" | b">=" | b"<" | b">" | b"~=") {
        return false;
    }
    // Blanks (spaces and tabs only) between the operator and the version.
    let rest = &b[op_len..];
    let v = &rest[rest
        .iter()
        .take_while(|c| matches!(c, b' ' | b'\t'))
        .count()..];
    // `N(.N)*`, counting the release numbers.
    let mut i = 0;
    let mut release = 0;
    loop {
        let n = digits(&v[i..]);
        if n == 0 {
            return false;
        }
        i += n;
        release += 1;
        if v.get(i) == Some(&b'.') && v.get(i + 1).is_some_and(u8::is_ascii_digit) {
            i += 1;
        } else {
            break;
        }
    }
    if &v[i..] == b".*" {
        return matches!(op, b"==" | b"!=");
    }
    if op == b"~=" && release < 2 {
        return false;
    }
    if i == v.len() {
        // A plain release (most pins): no tag to look for.
        return true;
    }
    // At most one pre-release tag, then `.postN`, then `.devN`.
    for tag in [&b"rc"[..], b"a", b"b"] {
        if v[i..].starts_with(tag) {
            let n = digits(&v[i + tag.len()..]);
            if n == 0 {
                return false;
            }
            i += tag.len() + n;
            break;
        }
    }
    for tag in [&b".post"[..], b".dev"] {
        if v[i..].starts_with(tag) {
            let n = digits(&v[i + tag.len()..]);
            if n == 0 {
                return false;
            }
            i += tag.len() + n;
        }
    }
    i == v.len()
}

/// The length of the run of ASCII digits `b` starts with, or 0 when it is longer than 18
/// (always a `u64`).
fn digits(b: &[u8]) -> usize {
    let n = b.iter().take_while(|c| c.is_ascii_digit()).count();
    if n > 18 {
        0
    } else {
        n
    }
}

/// A byte of a PEP 508 name (`[A-Za-z0-9._-]`): one look-up in [`NAME_BYTES`] (every
/// name byte of every requirement line passes here).
pub(crate) fn name_byte(b: u8) -> bool {
    NAME_BYTES[usize::from(b)]
}

/// [`name_byte`]'s table.
static NAME_BYTES: [bool; 256] = {
    let mut t = [false; 256];
    let mut b = 0;
    while b < 256 {
        let c = b as u8;
        t[b] = c.is_ascii_alphanumeric() || matches!(c, b'.' | b'-' | b'_');
        b += 1;
    }
    t
};

fn trim(s: &str, span: Span) -> Span {
    let t = &s[span.start..span.end];
    let lead = ws_lead(t);
    Span::new(
        span.start + lead,
        (span.start + ws_trimmed_len(t)).max(span.start + lead),
    )
}

/// `str::trim`, reading ASCII byte by byte ([`ws_lead`], [`ws_trimmed_len`]).
pub(crate) fn ws_trim(s: &str) -> &str {
    let lead = ws_lead(s);
    &s[lead..ws_trimmed_len(s).max(lead)]
}

/// The length of `s`'s leading whitespace (`char::is_whitespace`, what pep508_rs skips),
/// read byte by byte while it is ASCII ([`super::lead_len`]).
pub(crate) fn ws_lead(s: &str) -> usize {
    super::lead_len(s, char::is_whitespace)
}

/// The length of `s` without its trailing whitespace (as [`ws_lead`]).
pub(crate) fn ws_trimmed_len(s: &str) -> usize {
    super::trimmed_len(s, char::is_whitespace)
}

/// Parse a marker expression, reporting a problem at `at` (whole-span; marker errors are
/// rare and usually need the whole expression shown).
pub(crate) fn marker(text: &str, at: Span, file: FileId) -> Result<MarkerTree, Problem> {
    super::guard::parse_marker(text)
        .map_err(|e| problem(file, at, format!("invalid marker `{text}`: {}", e.message)))
}

/// [`marker`], for a requirement's own marker: held in the own form when it may be, so
/// that pep508_rs does not intern it ([`crate::markers::Marker`]).
pub(crate) fn requirement_marker(text: &str, at: Span, file: FileId) -> Result<Marker, Problem> {
    super::guard::marker(text)
        .map_err(|e| problem(file, at, format!("invalid marker `{text}`: {}", e.message)))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The byte-wise whitespace of the scanner is `char::is_whitespace`, ASCII or not.
    #[test]
    fn byte_whitespace_agrees_with_str_trim() {
        for s in [
            "",
            " \t\n\x0b\x0c\r x \r",
            "\x1c\x1f x",
            "\u{3000} a\u{a0}b \u{85}",
            "\u{2028}",
            "a\u{e9}",
            "\u{e9} ",
        ] {
            assert_eq!(ws_lead(s), s.len() - s.trim_start().len(), "{s:?}");
            assert_eq!(ws_trimmed_len(s), s.trim_end().len(), "{s:?}");
            assert_eq!(ws_trim(s), s.trim(), "{s:?}");
        }
    }

    /// The table is the name rule, byte for byte.
    #[test]
    fn name_bytes_are_the_pep508_name_rule() {
        for b in 0..=u8::MAX {
            let rule = b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b'_');
            assert_eq!(name_byte(b), rule, "{b:#x}");
        }
    }

    fn slice(s: &str, sp: Span) -> &str {
        &s[sp.start..sp.end]
    }

    #[test]
    fn spans_of_parts() {
        let s = "numpy [mkl] >= 1.16 , <1.17 ; python_version < '3.8'";
        let r = requirement(
            s,
            Span::new(10, 10 + s.len()),
            true,
            0,
            Role::Require,
            Format::Pyproject,
        )
        .unwrap();
        let file = format!("{}{s}", " ".repeat(10));
        assert_eq!(slice(&file, r.name_span()), "numpy");
        let VersionReq::Specifiers {
            span,
            clauses,
            specifiers,
        } = &r.version
        else {
            panic!()
        };
        assert_eq!(slice(&file, span.get()), ">= 1.16 , <1.17");
        assert_eq!(
            clauses.iter().map(|c| slice(&file, c)).collect::<Vec<_>>(),
            [">= 1.16", "<1.17"]
        );
        assert_eq!(specifiers.len(), 2);
        assert!(!r.marker().is_true());
    }

    #[test]
    fn marker_parts_end_where_the_marker_ends() {
        let m = |s: &str| marker_in(s).map(|sp| s[sp.start..sp.end].to_owned());
        assert_eq!(
            m("tf==1 ; python_version < \"3.8\"  # c"),
            Some(" ; python_version < \"3.8\"".into())
        );
        assert_eq!(
            m("tf==1; platform_version == \"#1 SMP\""),
            Some("; platform_version == \"#1 SMP\"".into())
        );
        assert_eq!(
            m("tf==1;python_version<'3.8' --hash=sha256:x"),
            Some(";python_version<'3.8'".into())
        );
        assert_eq!(
            m("tf==1 \\\n    ; os_name == 'nt'"),
            Some("; os_name == 'nt'".into())
        );
        assert_eq!(m("tf==1"), None);
    }

    #[test]
    fn the_check_mode_vouches_only_for_plain_valid_strings() {
        let spans = |s: &str| {
            plain(s).map(|l| {
                (
                    slice(s, l.name).to_owned(),
                    l.spec.map(|(sp, _)| slice(s, sp).to_owned()),
                )
            })
        };
        let some = |n: &str, sp: Option<&str>| Some((n.to_owned(), sp.map(str::to_owned)));
        assert_eq!(spans("numpy"), some("numpy", None));
        assert_eq!(
            spans("a.b-c_d>=1.16,<1.17"),
            some("a.b-c_d", Some(">=1.16,<1.17"))
        );
        assert_eq!(
            spans(" x ( ~= 1.0 , != 1.5.* ) "),
            some("x", Some("~= 1.0 , != 1.5.*"))
        );
        assert_eq!(
            spans("x==1.0rc1.post2.dev3"),
            some("x", Some("==1.0rc1.post2.dev3"))
        );
        // The same spans as the scanner gives a string pep508_rs accepted.
        for s in ["numpy >= 1.16 , <1.17", "x (==1.*)", "h5py"] {
            let (a, b) = (plain(s).unwrap(), layout(s));
            assert_eq!((a.name, a.spec.map(|x| x.0)), (b.name, b.spec.map(|x| x.0)));
        }
        for s in [
            "",
            "x.zip",
            "a.b",
            "a-",
            "-a",
            "x[y]",
            "x @ u",
            "x;m",
            "x>=1;",
            "x ()",
            "x (>=1",
            "x (>=1) y",
            "x~=1",
            "x>=1.*",
            "x==1.0.*.post1",
            "x===1",
            "x==1+l",
            "x==v1",
            "x==1!1",
            "x>=1,",
            "x>=1,,<2",
            "x>=>1",
            "x= 1",
            "x>=1 .0",
            "x>=1.0.a1",
            "x==1.0post1",
            "x==1234567890123456789",
            "caf\u{e9}",
            "x\u{a0}>=1",
        ] {
            assert_eq!(plain(s), None, "{s:?}");
        }
    }

    #[test]
    fn parenthesised_url_and_bare() {
        let l = layout("numpy (>=1.16)");
        assert_eq!(l.spec.map(|(s, _)| s), Some(Span::new(7, 13)));
        let r = requirement(
            "numpy @ https://x/y.whl",
            Span::new(0, 23),
            true,
            0,
            Role::Require,
            Format::Pyproject,
        )
        .unwrap();
        assert!(matches!(r.version, VersionReq::Unversioned));
        let r = requirement(
            "numpy",
            Span::new(0, 5),
            true,
            0,
            Role::Require,
            Format::Pyproject,
        )
        .unwrap();
        assert!(matches!(r.version, VersionReq::Any));
    }

    #[test]
    fn error_span_inside_value() {
        let e = requirement(
            "numpy>=>1",
            Span::new(100, 109),
            true,
            0,
            Role::Require,
            Format::Pyproject,
        )
        .unwrap_err();
        assert!(
            e.loc.span.start >= 100 && e.loc.span.end <= 109,
            "{:?}",
            e.loc.span
        );
        let e = requirement(
            "numpy>=>1",
            Span::new(100, 111),
            false,
            0,
            Role::Require,
            Format::Pyproject,
        )
        .unwrap_err();
        assert_eq!(e.loc.span, Span::new(100, 111));
    }

    fn at(text: &str, sub: &str) -> Requirement {
        let s = text.find(sub).unwrap();
        requirement_at(
            text,
            Span::new(s, s + sub.len()),
            0,
            Role::Require,
            Format::Requirements,
        )
        .unwrap()
    }

    #[test]
    fn spans_of_name_specifier_and_clauses() {
        let text = "x = numpy [mkl] >= 1.16 , <1.17 ; python_version < \"3.8\"\n";
        let r = at(
            text,
            "numpy [mkl] >= 1.16 , <1.17 ; python_version < \"3.8\"",
        );
        assert_eq!(&text[r.name_span().start..r.name_span().end], "numpy");
        let VersionReq::Specifiers {
            specifiers,
            span,
            clauses,
        } = &r.version
        else {
            panic!()
        };
        assert_eq!(&text[span.get().start..span.get().end], ">= 1.16 , <1.17");
        let c: Vec<&str> = clauses.iter().map(|c| &text[c.start..c.end]).collect();
        assert_eq!(c, [">= 1.16", "<1.17"]);
        assert_eq!(specifiers.len(), 2);
        assert_eq!(r.extras().len(), 1);
        assert!(r.marker().try_to_string().unwrap().contains("python"));
    }

    #[test]
    fn parenthesised_specifier_and_url_and_bare() {
        let text = "numpy (>=1.16)";
        let r = at(text, text);
        let VersionReq::Specifiers { span, .. } = r.version else {
            panic!()
        };
        assert_eq!(&text[span.get().start..span.get().end], ">=1.16");
        assert!(matches!(
            at("np @ https://x/y.whl", "np @ https://x/y.whl").version,
            VersionReq::Unversioned
        ));
        assert!(matches!(at("numpy", "numpy").version, VersionReq::Any));
    }

    #[test]
    fn error_span_lands_inside_the_requirement() {
        let text = "abc numpy>=>1 def";
        let s = text.find("numpy").unwrap();
        let e = requirement_at(
            text,
            Span::new(s, s + 9),
            3,
            Role::Require,
            Format::Requirements,
        )
        .unwrap_err();
        assert_eq!(e.loc.file, 3);
        assert!(
            e.loc.span.start >= s && e.loc.span.end <= s + 9,
            "{:?}",
            e.loc.span
        );
        assert!(!e.loc.span.is_empty());
    }

    #[test]
    fn literal_form_uses_the_whole_span() {
        let r = requirement_in_literal(
            "numpy>=1.16",
            Span::new(5, 20),
            0,
            Role::Require,
            Format::Requirements,
        )
        .unwrap();
        assert_eq!(r.name_span(), Span::new(5, 20));
        assert!(
            matches!(r.version, VersionReq::Specifiers { span, .. } if span.get() == Span::new(5, 20))
        );
    }

    #[test]
    fn unicode_whitespace_pep508_rs_skips_is_outside_the_spans() {
        // pep508_rs skips `char::is_whitespace`, so these parse; the spans must not take
        // the no-break / ideographic spaces in (a fix would delete them).
        let text = "numpy\u{3000}>=1.16\u{a0},<2\u{a0};python_version<'3'";
        let r = at(text, text);
        let VersionReq::Specifiers { span, clauses, .. } = &r.version else {
            panic!()
        };
        assert_eq!(&text[span.get().start..span.get().end], ">=1.16\u{a0},<2");
        let c: Vec<&str> = clauses.iter().map(|c| &text[c.start..c.end]).collect();
        assert_eq!(c, [">=1.16", "<2"]);
        assert_eq!(&text[r.name_span().start..r.name_span().end], "numpy");
    }
}
