//! The one door to `pep508_rs`: every reader parses requirement strings and marker
//! expressions through [`parse_requirement`] and [`parse_marker`], which first refuse the
//! inputs that `pep508_rs` 0.9.2 cannot survive or cannot finish in bounded time:
//!
//! - a package or extra name that ends in `.`, `-` or `_` and is followed by more text
//!   (`a. >=1`, `a[b-]`) makes it panic (`PackageName validation should match PEP 508
//!   parsing`);
//! - its marker parser recurses once per parenthesis: a few thousand `(` overflow the stack
//!   and abort the process;
//! - markers are built as decision diagrams with a fixed variable order, which can grow
//!   exponentially with the number of distinct values (`(extra == 'a1' and extra == 'b1')
//!   or (extra == 'a2' and extra == 'b2') or ...`: 20 such pairs took 20 s and 3.8 GB), and
//!   every `or` costs time proportional to the diagram built so far (20,000 `or`s: minutes).
//!
//! - a string compared with `~=` the other way round (`"nt" ~= os_name`) reaches an
//!   `unreachable!` in its marker algebra. pip cannot evaluate such a comparison either
//!   (packaging raises `UndefinedComparison`: `~=` needs a version on its right, and no
//!   string variable's value is one), nor `os_name ~= "nt"`, which pep508_rs silently
//!   ignores: both are refused ([`tilde_guard`]), as pip fails on them.
//!
//! The limits are far above what dependency files hold (markers in the wild have a handful
//! of comparisons, nested two or three deep) and low enough that the worst marker under
//! them parses in milliseconds.

use std::str::FromStr;

use pep508_rs::{MarkerTree, Pep508Url};

use crate::markers::Marker;

/// Deepest parenthesis nesting accepted in a requirement or marker.
pub(crate) const MAX_MARKER_DEPTH: usize = 32;
/// Deepest nesting of all parentheses, quoted or not, accepted ([`nesting_guard`]).
pub(crate) const MAX_RAW_DEPTH: usize = 256;
/// Most comparisons (`==`, `<`, `in`, ...) in one marker expression.
pub(crate) const MAX_MARKER_COMPARISONS: usize = 128;
/// Most distinct quoted values in one marker expression (each extra is its own variable of
/// the decision diagram, and the diagram's size is bounded by the values it distinguishes).
pub(crate) const MAX_MARKER_VALUES: usize = 24;

/// Why a string was not accepted: a message and the byte range (`start`, `len`) it points
/// at, relative to the string, like `pep508_rs::Pep508Error`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Refusal {
    pub message: String,
    pub start: usize,
    pub len: usize,
}

impl Refusal {
    /// A refusal from pep508_rs, its range snapped to `text`'s character boundaries:
    /// pep508_rs mixes byte positions with character counts (an error on `é` has length 1),
    /// and every span we report must slice the text (found by fuzzing).
    fn within(text: &str, message: String, start: usize, len: usize) -> Refusal {
        let at = crate::source::snap(
            text,
            crate::source::Span::new(start, start.saturating_add(len)),
        );
        Refusal {
            message,
            start: at.start,
            len: at.end - at.start,
        }
    }
}

/// Parse a PEP 508 requirement string.
pub(crate) fn parse_requirement<T: Pep508Url>(
    text: &str,
) -> Result<pep508_rs::Requirement<T>, Refusal> {
    if let Some(r) = requirement_guard(text) {
        return Err(r);
    }
    if let Some((blanked, _)) = blank_read_clauses(text) {
        parse_guarded::<T>(&blanked)?;
    }
    parse_guarded(text)
}

/// A requirement as [`parse_requirement_marked`] gives it: pep508_rs's, its marker apart, and
/// its clause list apart when that was read clause by clause ([`parse_listed`]; pep508_rs's
/// own `version_or_url` is then `None`).
pub(crate) type Marked<T> = (
    pep508_rs::Requirement<T>,
    Marker,
    Option<crate::versions::Specifiers>,
);

/// Parse a PEP 508 requirement string, its marker apart: read into the own form when it may
/// be ([`crate::markers::parse_own`]), so that it is not interned by pep508_rs, and its clause
/// list read apart when it may be ([`parse_listed`]). The requirement's own `marker` is then
/// always true. Accepts and refuses exactly what [`parse_requirement`] does, with the same
/// messages.
pub(crate) fn parse_requirement_marked<T: Pep508Url>(text: &str) -> Result<Marked<T>, Refusal> {
    if let Some(r) = requirement_guard(text) {
        return Err(r);
    }
    if let Some(parts) = listed_marked(text) {
        return Ok(parts);
    }
    if let Some((req, marker)) = split_marked(text) {
        return Ok((req, marker, None));
    }
    if let Some((blanked, specs)) = blank_read_clauses(text) {
        let mut req = parse_guarded::<T>(&blanked)?;
        if specs.is_some() {
            req.version_or_url = None;
            let marker = Marker::from_tree(std::mem::take(&mut req.marker));
            return Ok((req, marker, specs));
        }
    }
    let mut req = parse_guarded::<T>(text)?;
    let marker = Marker::from_tree(std::mem::take(&mut req.marker));
    Ok((req, marker, None))
}

/// [`parse_listed`] on the whole of `text`, or on the part before its first `;` with the own
/// form's reading of the marker after it (as [`split_marked`] splits: pep508_rs ends an
/// unparenthesised clause list at the first `;`, and a `;` inside parentheses leaves the
/// part before without its `)`, which [`parse_listed`] does not take).
fn listed_marked<T: Pep508Url>(text: &str) -> Option<Marked<T>> {
    let Some(at) = text.find(';') else {
        let (req, specs) = parse_listed(text)?;
        return Some((req, Marker::TRUE, Some(specs)));
    };
    let marker = crate::markers::parse_own(&text[at + 1..])?;
    let (req, specs) = parse_listed(&text[..at])?;
    Some((req, marker, Some(specs)))
}

/// A requirement string without a marker, written as a name, extras and a clause list
/// (`numpy[x] >=1.0rc1, !=1.2.post1` or `numpy (>=1.0)`), read as pep508_rs reads it, its
/// clauses apart: pep508_rs builds every clause's pep440_rs version before any is kept (a
/// version in its full form is about 200 bytes, `1.300` and `1.0rc1` among them), where
/// `Specifiers::parse` keeps each clause as it reads it, in the form it is held in. None when
/// the string is not surely read that way (a URL, a marker, an error anywhere): the caller
/// then parses it whole, which gives the same message and range as before.
///
/// pep508_rs reads the name and extras, then, at one of `<=>~!`, a list running to the end
/// or a `;` (a `;` is in no clause: here the piece holding it is refused), or at `(`, after
/// the blanks that follow it, a list running to the first `)`, followed by blanks only.
/// Each list is split at every `,` and each piece read by `VersionSpecifier::from_str`:
/// `Specifiers::parse`. The part before the list, parsed alone ([`parse_requirement`], with
/// its guards), ends where pep508_rs looks for a list: it parses as the start of the whole
/// string does. The guards refuse nothing more in the whole string: past the head there is
/// no marker, URL or quote, and at most one parenthesis (any other is in a piece), so the
/// whole line is not scanned again (an 8 MiB line: 7% of its instructions).
pub(crate) fn parse_listed<T: Pep508Url>(
    text: &str,
) -> Option<(pep508_rs::Requirement<T>, crate::versions::Specifiers)> {
    let (head, list, _) = split_list(text)?;
    let req = parse_requirement::<T>(head).ok()?;
    Some((req, crate::versions::Specifiers::parse(list)?))
}

/// `text` with the clauses at the start of its list that `Specifiers::parse` reads written
/// as one clause of the same length (`>=0` and blanks), and the list's clauses when it read
/// them all. pep508_rs reads a list's clauses one by one, each alone, so what it makes of
/// the blanked text is what it makes of `text` (the same refusal, message and range, the same
/// name, extras and marker) but for the list, without building a version for every clause
/// first (an 8 MiB list with one bad clause at its end peaked at 313 MB; a long list with a
/// marker the own form does not hold went to pep508_rs whole). The list is the one before
/// the first `;` (pep508_rs ends an unparenthesised list there). None when `text` has no
/// such list or there is little to blank.
fn blank_read_clauses(text: &str) -> Option<(String, Option<crate::versions::Specifiers>)> {
    let end = text.find(';').unwrap_or(text.len());
    let (head, list, start) = split_list(&text[..end])?;
    // pep508_rs reaches the list only past a name and extras it reads (a message about the
    // name quotes the character after it).
    parse_requirement::<pep508_rs::VerbatimUrl>(head).ok()?;
    // The whole list, or up to the `,` before the first piece that is not a clause.
    let (read, specs) = match crate::versions::Specifiers::read(list) {
        Ok(specs) => (list.len(), Some(specs)),
        Err(bad) => (bad.saturating_sub(1), None),
    };
    if read < 3 {
        return None;
    }
    let mut blanked = String::with_capacity(text.len());
    blanked.push_str(&text[..start]);
    blanked.push_str(">=0");
    blanked.extend(std::iter::repeat_n(' ', read - 3));
    blanked.push_str(&text[start + read..]);
    Some((blanked, specs))
}

/// `text` as the part before its clause list, the list itself ([`parse_listed`]) and where
/// it starts, the list never empty (pep508_rs reads an empty list as one empty clause, an
/// error).
fn split_list(text: &str) -> Option<(&str, &str, usize)> {
    let b = text.as_bytes();
    let mut i = skip_whitespace(text, 0);
    while b.get(i).is_some_and(|&c| is_name_char(c)) {
        i += 1;
    }
    i = skip_whitespace(text, i);
    if b.get(i) == Some(&b'[') {
        i = skip_whitespace(text, i + memchr::memchr(b']', &b[i..])? + 1);
    }
    let (start, end) = match b.get(i)? {
        b'<' | b'=' | b'>' | b'~' | b'!' => (i, text.len()),
        b'(' => {
            let close = i + memchr::memchr(b')', &b[i..])?;
            if !text[close + 1..].chars().all(char::is_whitespace) {
                return None;
            }
            (skip_whitespace(text, i + 1), close)
        }
        _ => return None,
    };
    (start < end).then_some((&text[..i], &text[start..end], start))
}

/// `text` read as the part before its first `;` and the marker after it, when that is surely
/// how pep508_rs reads it: the part before has no `;` (pep508_rs stops a version list or a
/// name at the first `;`, and a URL at whitespace followed by `;`, so the part must end in
/// whitespace when it is a URL), and pep508_rs parses that part alone exactly as it parses
/// the start of the whole string. Anything else (an error in either part, a marker the own
/// form does not hold) is None: the whole string goes to pep508_rs as before.
fn split_marked<T: Pep508Url>(text: &str) -> Option<(pep508_rs::Requirement<T>, Marker)> {
    let at = text.find(';')?;
    let (head, marker) = (&text[..at], &text[at + 1..]);
    let marker = crate::markers::parse_own(marker)?;
    if long_extras(head).is_some() {
        return None;
    }
    let req = pep508_rs::Requirement::<T>::from_str(head).ok()?;
    let url = matches!(req.version_or_url, Some(pep508_rs::VersionOrUrl::Url(_)));
    if url && !head.ends_with(char::is_whitespace) {
        return None;
    }
    Some((req, marker))
}

/// The refusals of [`parse_requirement`] made before pep508_rs is called.
fn requirement_guard(text: &str) -> Option<Refusal> {
    if let Some(r) = name_guard(text) {
        return Some(r);
    }
    if let Some(r) = nesting_guard(text, url_end(text)) {
        return Some(r);
    }
    // The marker follows the first `;` outside quotes. For a URL requirement that `;` may be
    // inside the URL: counting from there only counts more, never less.
    let at = marker_start(text)?;
    let mut r = complexity_guard(&text[at..])
        .or_else(|| peek_guard(&text[at..]))
        .or_else(|| tilde_guard(&text[at..]))?;
    r.start += at;
    Some(r)
}

/// pep508_rs's parse of a requirement string the guards let through.
fn parse_guarded<T: Pep508Url>(text: &str) -> Result<pep508_rs::Requirement<T>, Refusal> {
    let Some((blanked, extras)) = long_extras(text) else {
        return pep508_rs::Requirement::<T>::from_str(text)
            .map_err(|e| Refusal::within(text, e.message.to_string(), e.start, e.len));
    };
    let mut req = pep508_rs::Requirement::<T>::from_str(&blanked)
        .map_err(|e| Refusal::within(text, e.message.to_string(), e.start, e.len))?;
    // The parser read the blanked run as the one extra `a`; the run's own extras replace it.
    req.extras.splice(..1, extras);
    Ok(req)
}

/// Extras read before the parser, past this many: below it the parser's cost is small.
const EXTRAS_PRESCAN: usize = 64;

/// pep508_rs 0.9.2 builds an error value for every extra it reads, copying the whole
/// requirement string each time (`early_eof_error` in `parse_extras_cursor`), so
/// `numpy[e0,…,e99999]>=1` costs extras × length: seconds for one line (issue 15 §4).
///
/// When a requirement has more than [`EXTRAS_PRESCAN`] extras, the leading run of extras the
/// parser accepts is read here, by its rules (names of `A-Za-z0-9._-` starting with a letter
/// or digit, whitespace around `,`), and the parser gets the same string with that run
/// blanked: `a` then spaces, the same length in bytes. It then reads one extra and resumes
/// where it would have resumed after the run, in the same state (an extra read, its
/// whitespace eaten), so every error it reports (message and position) is the one it
/// reports on the original string. Returns the blanked string and the run's extras.
fn long_extras(text: &str) -> Option<(String, Vec<pep508_rs::ExtraName>)> {
    let b = text.as_bytes();
    let skip_ws = |i: usize| skip_whitespace(text, i);
    let run = |mut j: usize| {
        while j < b.len() && is_name_char(b[j]) {
            j += 1;
        }
        j
    };
    let start = skip_ws(0);
    if !b.get(start).is_some_and(u8::is_ascii_alphanumeric) {
        return None;
    }
    let open = skip_ws(run(start));
    if b.get(open) != Some(&b'[') {
        return None;
    }
    let first = skip_ws(open + 1);
    let mut i = first;
    let mut extras = Vec::new();
    // Where the run of accepted extras ends: after the last one's trailing whitespace.
    let mut end = first;
    loop {
        match b.get(i) {
            Some(b']') | None => break,
            Some(b',') if !extras.is_empty() => i = skip_ws(i + 1),
            Some(_) if !extras.is_empty() => break,
            _ => {}
        }
        if !b.get(i).is_some_and(u8::is_ascii_alphanumeric) {
            break;
        }
        let stop = run(i);
        if let Some(&c) = b.get(stop) {
            // The parser accepts only `,`, `]` or whitespace after a name; a non-ASCII byte
            // may start whitespace (it tests the character).
            let ok = c == b',' || c == b']' || {
                let ch = text[stop..].chars().next().unwrap_or('x');
                ch.is_whitespace()
            };
            if !ok {
                break;
            }
        }
        let Ok(name) = pep508_rs::ExtraName::from_str(&text[i..stop]) else {
            break;
        };
        extras.push(name);
        i = skip_ws(stop);
        end = i;
    }
    if extras.len() <= EXTRAS_PRESCAN {
        return None;
    }
    let mut blanked = String::with_capacity(text.len());
    blanked.push_str(&text[..first]);
    blanked.push('a');
    blanked.extend(std::iter::repeat_n(' ', end - first - 1));
    blanked.push_str(&text[end..]);
    Some((blanked, extras))
}

/// Parse a PEP 508 marker expression.
pub(crate) fn parse_marker(text: &str) -> Result<MarkerTree, Refusal> {
    if let Some(r) = marker_guard(text) {
        return Err(r);
    }
    MarkerTree::from_str(text)
        .map_err(|e| Refusal::within(text, e.message.to_string(), e.start, e.len))
}

/// Parse a PEP 508 marker expression into a requirement's [`Marker`]: the own form when it
/// may hold it (not interned), else pep508_rs's tree. Accepts and refuses what
/// [`parse_marker`] does.
pub(crate) fn marker(text: &str) -> Result<Marker, Refusal> {
    if let Some(r) = marker_guard(text) {
        return Err(r);
    }
    if let Some(m) = crate::markers::parse_own(text) {
        return Ok(m);
    }
    MarkerTree::from_str(text)
        .map(Marker::from_tree)
        .map_err(|e| Refusal::within(text, e.message.to_string(), e.start, e.len))
}

fn marker_guard(text: &str) -> Option<Refusal> {
    nesting_guard(text, 0)
        .or_else(|| complexity_guard(text))
        .or_else(|| peek_guard(text))
        .or_else(|| tilde_guard(text))
}

/// Byte offset just after the first `;` outside quotes, after the URL of a URL requirement
/// ([`url_end`]).
fn marker_start(text: &str) -> Option<usize> {
    let mut quote = None;
    let from = url_end(text);
    for (i, c) in text[from..].char_indices() {
        let i = from + i;
        match (quote, c) {
            (None, '\'' | '"') => quote = Some(c),
            (Some(q), _) if q == c => quote = None,
            (None, ';') => return Some(i + 1),
            _ => {}
        }
    }
    None
}

/// A `~=` comparison on a string variable (or `extra`) that pip cannot evaluate: packaging
/// evaluates `lhs ~= rhs` as `Specifier("~=" + rhs).contains(lhs)` and raises
/// `UndefinedComparison` when that specifier is not valid. With the variable on the right,
/// `rhs` is the variable's value (`posix`, `linux`, `x86_64`, …: not a version; only
/// `platform_release` is one on some machines, macOS `23.1.0`, and a Linux or Windows value
/// is not), and pep508_rs 0.9.2 panics; with a quoted value on the right that is not a version, pip
/// fails on every machine while pep508_rs ignores the comparison. A `~=` on a version
/// variable, or with a version on the right, is left to pep508_rs.
fn tilde_guard(marker: &str) -> Option<Refusal> {
    // Every marker passes here: almost none has a `~=` at all.
    memchr::memmem::find(marker.as_bytes(), b"~=")?;
    let b = marker.as_bytes();
    let mut quote = None;
    for (i, &c) in b.iter().enumerate() {
        match (quote, c) {
            (None, b'\'' | b'"') => quote = Some(c),
            (Some(q), _) if q == c => quote = None,
            (None, b'~') if b.get(i + 1) == Some(&b'=') => {
                let left = operand_before(marker, i);
                let right = operand_after(marker, i + 2);
                let refuse = match (left, right) {
                    (Operand::Literal(_), Operand::Variable(v)) => is_string_variable(v),
                    (Operand::Variable(v), Operand::Literal(value)) => {
                        is_string_variable(v)
                            && pep440_rs::VersionSpecifier::from_str(&format!("~={value}")).is_err()
                    }
                    _ => false,
                };
                if refuse {
                    return Some(Refusal {
                        message: "pip cannot evaluate `~=` on a string that is not a \
                                  version (packaging raises UndefinedComparison)"
                            .to_owned(),
                        start: i,
                        len: 2,
                    });
                }
            }
            _ => {}
        }
    }
    None
}

/// One side of a marker comparison, as far as [`tilde_guard`] needs to know it.
enum Operand<'a> {
    /// A quoted value, without its quotes.
    Literal(&'a str),
    /// A bare word: a variable name (`os_name`, `os.name`).
    Variable(&'a str),
    Other,
}

fn operand_before(marker: &str, end: usize) -> Operand<'_> {
    let head = marker[..end].trim_end();
    let b = head.as_bytes();
    match b.last() {
        Some(&q @ (b'\'' | b'"')) => match head[..head.len() - 1].rfind(q as char) {
            Some(open) => Operand::Literal(&head[open + 1..head.len() - 1]),
            None => Operand::Other,
        },
        Some(_) => {
            // The word is ASCII: it starts after the last character that is not part of it.
            let start = head.len()
                - head
                    .bytes()
                    .rev()
                    .take_while(|&c| c.is_ascii_alphanumeric() || c == b'_' || c == b'.')
                    .count();
            match &head[start..] {
                "" => Operand::Other,
                word => Operand::Variable(word),
            }
        }
        None => Operand::Other,
    }
}

fn operand_after(marker: &str, start: usize) -> Operand<'_> {
    let tail = marker[start..].trim_start();
    let b = tail.as_bytes();
    match b.first() {
        Some(&q @ (b'\'' | b'"')) => match tail[1..].find(q as char) {
            Some(close) => Operand::Literal(&tail[1..1 + close]),
            None => Operand::Other,
        },
        Some(_) => {
            let end = tail
                .bytes()
                .take_while(|&c| c.is_ascii_alphanumeric() || c == b'_' || c == b'.')
                .count();
            match &tail[..end] {
                "" => Operand::Other,
                word => Operand::Variable(word),
            }
        }
        None => Operand::Other,
    }
}

/// The marker variables whose values are strings (PEP 508, with the deprecated dotted
/// spellings pep508_rs accepts), and `extra`.
fn is_string_variable(name: &str) -> bool {
    matches!(
        name,
        "os_name"
            | "os.name"
            | "sys_platform"
            | "sys.platform"
            | "platform_release"
            | "platform_system"
            | "platform_version"
            | "platform.version"
            | "platform_machine"
            | "platform.machine"
            | "platform_python_implementation"
            | "platform.python_implementation"
            | "python_implementation"
            | "implementation_name"
            | "extra"
    )
}

/// Where the URL of `name [extras] @ url` ends (0 when the text is not one), by pep508_rs's
/// own rule (`parse_url`): the URL runs on through whitespace, and stops at a line break, at
/// whitespace followed by `;`, `#` or the end, or at a `;` or `#` followed by whitespace
/// (the position of that `;` is returned, so a marker after it is still seen). A quote or a
/// parenthesis inside is a URL character: read as the start of a quoted value, a `'` in the
/// URL hid the marker after it from every guard (20,000 parentheses after `https://x/'`
/// overflowed the stack; 22 pairs of extras after `https://x/a 'b` took 15 GB).
fn url_end(text: &str) -> usize {
    let Some(at) = text.find('@') else {
        return 0;
    };
    if text[..at].contains([';', '\'', '"']) {
        return 0;
    }
    let url = text.len() - text[at + 1..].trim_start().len();
    let mut chars = text[url..]
        .char_indices()
        .map(|(i, c)| (url + i, c))
        .peekable();
    while let Some((i, c)) = chars.next() {
        let next = chars.peek().map(|&(_, n)| n);
        match c {
            '\r' | '\n' => return i,
            c if c.is_whitespace() => {
                let after = text[i..].trim_start().chars().next();
                if matches!(after, None | Some(';' | '#')) {
                    return i;
                }
            }
            ';' | '#' if next.is_some_and(char::is_whitespace) => return i,
            _ => {}
        }
    }
    text.len()
}

/// Parentheses outside quotes (counted from `from`, where quotes can start) nested deeper
/// than [`MAX_MARKER_DEPTH`], or any parentheses, quoted or not, nested deeper than
/// [`MAX_RAW_DEPTH`]: pep508_rs recurses once per parenthesis it reads, and whatever a
/// stray quote does to the count outside quotes, those it reads are among all of them.
fn nesting_guard(text: &str, from: usize) -> Option<Refusal> {
    let mut quote = None;
    let mut depth = 0usize;
    let mut raw = 0usize;
    for (i, c) in text.char_indices() {
        match c {
            '(' => raw += 1,
            ')' => raw = raw.saturating_sub(1),
            _ => {}
        }
        if raw > MAX_RAW_DEPTH {
            return Some(Refusal {
                message: format!("parentheses nested more than {MAX_RAW_DEPTH} deep; not read"),
                start: i,
                len: 1,
            });
        }
        if i < from {
            continue;
        }
        match (quote, c) {
            (None, '\'' | '"') => quote = Some(c),
            (Some(q), _) if q == c => quote = None,
            (None, '(') => {
                depth += 1;
                if depth > MAX_MARKER_DEPTH {
                    return Some(Refusal {
                        message: format!(
                            "parentheses nested more than {MAX_MARKER_DEPTH} deep; not read"
                        ),
                        start: i,
                        len: 1,
                    });
                }
            }
            (None, ')') => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    None
}

/// After each marker expression, pep508_rs 0.9.2 looks at the next whitespace-free run of
/// text for `and` / `or`: it counts the run in characters and then slices that many bytes
/// (`Cursor::peek_while` + `Cursor::slice` in `parse_marker_op`), which panics when the
/// byte count lands inside a multi-byte character (`python_version > "3" é`).
///
/// An expression ends after a closing quote, after `)`, or after a variable that follows
/// an operator (`'3' < python_version`); the parser then skips whitespace and looks. This
/// checks every such place (a superset of where the parser looks) in one pass.
fn peek_guard(marker: &str) -> Option<Refusal> {
    if marker.is_ascii() {
        return None;
    }
    let chars: Vec<(usize, char)> = marker.char_indices().collect();
    let n = chars.len();
    // For each character: the byte where its whitespace-free run ends, and how many more
    // bytes than characters lie between it and that end.
    let mut run_end = vec![marker.len(); n];
    let mut extra = vec![0usize; n];
    let mut end = marker.len();
    let mut acc = 0;
    for j in (0..n).rev() {
        let (i, c) = chars[j];
        if c.is_whitespace() {
            end = i;
            acc = 0;
            continue;
        }
        acc += c.len_utf8() - 1;
        run_end[j] = end;
        extra[j] = acc;
    }
    let check = |mut j: usize| -> Option<Refusal> {
        while j < n && chars[j].1.is_whitespace() {
            j += 1;
        }
        if j < n && extra[j] > 0 && !marker.is_char_boundary(run_end[j] - extra[j]) {
            return Some(Refusal {
                message: "non-ASCII text where a marker expects `and` or `or`".into(),
                start: chars[j].0,
                len: chars[j].1.len_utf8(),
            });
        }
        None
    };
    let ident = |c: char| c.is_ascii_alphanumeric() || c == '_' || c == '.';
    let mut quote: Option<char> = None;
    // The last token outside quotes was an operator (so a variable now is a right operand).
    let mut after_operator = false;
    let mut j = 0;
    while j < n {
        let c = chars[j].1;
        if let Some(q) = quote {
            if c == q {
                quote = None;
                after_operator = false;
                if let Some(r) = check(j + 1) {
                    return Some(r);
                }
            }
            j += 1;
            continue;
        }
        match c {
            '\'' | '"' => quote = Some(c),
            ')' => {
                after_operator = false;
                if let Some(r) = check(j + 1) {
                    return Some(r);
                }
            }
            '=' | '<' | '>' | '!' | '~' => after_operator = true,
            c if ident(c) => {
                let start = j;
                while j < n && ident(chars[j].1) {
                    j += 1;
                }
                let word = &marker[chars[start].0..chars.get(j).map_or(marker.len(), |x| x.0)];
                if after_operator {
                    if let Some(r) = check(j) {
                        return Some(r);
                    }
                }
                after_operator = word == "in";
                continue;
            }
            c if c.is_whitespace() => {}
            _ => after_operator = false,
        }
        j += 1;
    }
    None
}

/// A marker with more comparisons or distinct values than the limits allow.
fn complexity_guard(marker: &str) -> Option<Refusal> {
    let b = marker.as_bytes();
    let mut comparisons = 0usize;
    let mut values: Vec<&str> = Vec::new();
    let mut i = 0;
    let refuse = |what: &str, limit: usize, at: usize| Refusal {
        message: format!("marker has more than {limit} {what}; too complex to evaluate"),
        start: at,
        len: marker.len() - at,
    };
    while i < b.len() {
        match b[i] {
            q @ (b'\'' | b'"') => {
                let end = b[i + 1..]
                    .iter()
                    .position(|&c| c == q)
                    .map_or(b.len(), |p| i + 1 + p);
                let value = marker.get(i + 1..end).unwrap_or("");
                if !values.contains(&value) {
                    values.push(value);
                    if values.len() > MAX_MARKER_VALUES {
                        return Some(refuse("distinct values", MAX_MARKER_VALUES, i));
                    }
                }
                i = end + 1;
            }
            b'=' | b'!' | b'<' | b'>' | b'~' => {
                let start = i;
                while i < b.len() && matches!(b[i], b'=' | b'!' | b'<' | b'>' | b'~') {
                    i += 1;
                }
                comparisons += 1;
                if comparisons > MAX_MARKER_COMPARISONS {
                    return Some(refuse("comparisons", MAX_MARKER_COMPARISONS, start));
                }
            }
            c if c.is_ascii_alphabetic() || c == b'_' => {
                let start = i;
                while i < b.len() && (b[i].is_ascii_alphanumeric() || b[i] == b'_') {
                    i += 1;
                }
                // `in` and `not in` compare too.
                if &marker[start..i] == "in" {
                    comparisons += 1;
                    if comparisons > MAX_MARKER_COMPARISONS {
                        return Some(refuse("comparisons", MAX_MARKER_COMPARISONS, start));
                    }
                }
            }
            _ => i += 1,
        }
    }
    None
}

/// `pep508_rs` 0.9.2 panics on a name or extra that ends in `.`, `-` or `_` and is followed
/// by more text (`a. >=1`, `a[b-]`). Catch those first, walking the text the way its own
/// parser does.
fn name_guard(text: &str) -> Option<Refusal> {
    let b = text.as_bytes();
    let skip_ws = |i: usize| skip_whitespace(text, i);
    // A run of name characters starting at `i` (which is alphanumeric): if it ends with
    // `.`, `-` or `_`, that character is the error.
    let run = |i: usize| {
        let mut j = i;
        while j < b.len() && is_name_char(b[j]) {
            j += 1;
        }
        (
            j,
            (j > i && !b[j - 1].is_ascii_alphanumeric()).then_some(j - 1),
        )
    };
    let refuse = |message: &str, at: usize| Refusal {
        message: message.into(),
        start: at,
        len: 1,
    };
    let mut i = skip_ws(0);
    if !b.get(i).is_some_and(u8::is_ascii_alphanumeric) {
        return None;
    }
    let (end, bad) = run(i);
    if let Some(k) = bad {
        return Some(refuse(
            "package name must end with an alphanumeric character",
            k,
        ));
    }
    i = skip_ws(end);
    if b.get(i) != Some(&b'[') {
        return None;
    }
    i += 1;
    loop {
        i = skip_ws(i);
        match b.get(i) {
            Some(b']') | None => return None,
            Some(b',') => i = skip_ws(i + 1),
            _ => {}
        }
        if !b.get(i).is_some_and(u8::is_ascii_alphanumeric) {
            return None;
        }
        let (end, bad) = run(i);
        if let Some(k) = bad {
            return Some(refuse(
                "extra name must end with an alphanumeric character",
                k,
            ));
        }
        i = end;
    }
}

/// The first offset at or after `i` that is not Unicode whitespace (what pep508_rs skips).
fn skip_whitespace(text: &str, mut i: usize) -> usize {
    while let Some(c) = text.get(i..).and_then(|t| t.chars().next()) {
        if !c.is_whitespace() {
            break;
        }
        i += c.len_utf8();
    }
    i
}

/// A byte pep508_rs accepts inside a name or an extra.
fn is_name_char(c: u8) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, b'.' | b'-' | b'_')
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::versions::lcg::Lcg;

    type Req = pep508_rs::Requirement<pep508_rs::VerbatimUrl>;

    /// Requirement strings of a name, extras and a clause list, every part varied: blanks,
    /// the parenthesised form (closed or not, text after it), clauses of every kind and
    /// bad ones, empty lists, markers. Read apart ([`parse_listed`],
    /// [`parse_requirement_marked`]) and by pep508_rs whole ([`parse_requirement`]): the
    /// same name, extras, marker and clauses (spelled the same, in its order), the same
    /// message and range when refused, and nothing read apart that pep508_rs refuses.
    #[test]
    fn clause_lists_read_apart_as_pep508_rs_reads_them() {
        // The last entries of each list are wrong, and picked one time in eight.
        const NAMES: &[&str] = &["numpy", " numpy", "Num_py.x", "a", "numpy-", "foo.zip", ""];
        const BAD_NAMES: usize = 3;
        const GAPS: &[&str] = &["", "", " ", "\t", "  "];
        const EXTRAS: &[&str] = &["", "", "[x]", "[ x , y ]", "[]", "[x", "[x,]", "[x;y]"];
        const BAD_EXTRAS: usize = 4;
        const CLAUSES: &[&str] = &[
            "==1.0",
            "!=1.300",
            ">=1.0rc1",
            "<2.post3",
            "~=1.4.dev2",
            "!=1!2.0",
            "==1.0+local.7",
            "==1.*",
            "!=2.1.*",
            "===1.0",
            " >= 1.0 ",
            ">=\t1",
            "<=1.2.3.4",
            "!=0a",
            ">1.0-alpha",
            // Not clauses.
            "",
            " ",
            "x",
            "!=1a.*",
            ">=1+a",
            "~=1",
            "=1",
            "1.0",
            "!=1;",
        ];
        const BAD_CLAUSES: usize = 9;
        const JOINS: &[&str] = &[",", ",", " , ", ",\t", ", "];
        const MARKERS: &[&str] = &[
            "",
            "",
            ";python_version >= \"3.8\"",
            " ; sys_platform == 'linux'",
            // A marker the own form does not hold: pep508_rs reads it, on the blanked list.
            ";sys_platform == 'a' or sys_platform == 'b'",
            ";extra == \"a\" x",
            ";",
        ];
        const BAD_MARKERS: usize = 2;
        fn below(g: &mut Lcg, n: usize) -> usize {
            (g.next() % n as u64) as usize
        }
        // Mostly a right entry: a wrong one one time in eight.
        fn pick(g: &mut Lcg, all: &[&'static str], bad: usize) -> &'static str {
            let n = if below(g, 8) == 0 {
                all.len()
            } else {
                all.len() - bad
            };
            all[below(g, n)]
        }
        let g = &mut Lcg(0x9e37_79b9_7f4a_7c15);
        let (mut apart, mut refused) = (0, 0);
        for _ in 0..6000 {
            let mut list = String::new();
            for i in 0..1 + below(g, 5) {
                if i > 0 {
                    list.push_str(pick(g, JOINS, 0));
                }
                list.push_str(pick(g, CLAUSES, BAD_CLAUSES));
            }
            let list = match below(g, 12) {
                0 => format!("({list})"),
                1 => format!("( {list} ) "),
                2 => format!("({list}"),
                3 => format!("({list}) x"),
                _ => list,
            };
            let text = [
                pick(g, NAMES, BAD_NAMES),
                pick(g, GAPS, 0),
                pick(g, EXTRAS, BAD_EXTRAS),
                pick(g, GAPS, 0),
                &list,
                pick(g, GAPS, 0),
                pick(g, MARKERS, BAD_MARKERS),
            ]
            .concat();
            // pep508_rs on the whole string, behind the guards: what the readers did before
            // any list was read apart or blanked.
            let whole = match requirement_guard(&text) {
                Some(r) => Err(r),
                None => parse_guarded::<pep508_rs::VerbatimUrl>(&text),
            };
            let plain = parse_requirement::<pep508_rs::VerbatimUrl>(&text);
            match (&whole, &plain) {
                (Ok(a), Ok(b)) => assert_eq!(a, b, "`{text}`"),
                (Err(a), Err(b)) => assert_eq!(a, b, "`{text}`"),
                _ => panic!("`{text}`: whole {whole:?}, blanked {plain:?}"),
            }
            let marked = parse_requirement_marked::<pep508_rs::VerbatimUrl>(&text);
            let listed = parse_listed::<pep508_rs::VerbatimUrl>(&text);
            match (&whole, marked) {
                (Ok(whole), Ok((req, marker, held))) => {
                    assert_eq!(
                        (&whole.name, &whole.extras),
                        (&req.name, &req.extras),
                        "`{text}`"
                    );
                    assert_eq!(whole.marker, marker.tree(), "`{text}`");
                    if let Some(held) = held {
                        apart += 1;
                        let Some(pep508_rs::VersionOrUrl::VersionSpecifier(specs)) =
                            &whole.version_or_url
                        else {
                            panic!("`{text}`: read apart, but pep508_rs reads no list");
                        };
                        assert!(req.version_or_url.is_none(), "`{text}`");
                        assert!(held.spelled_as(specs), "`{text}`: {held} / {specs}");
                    }
                }
                (Err(want), Err(got)) => {
                    refused += 1;
                    assert_eq!(want, &got, "`{text}`");
                }
                (want, got) => panic!("`{text}`: whole {want:?}, apart {:?}", got.map(|_| ())),
            }
            if let Some((req, held)) = listed {
                let whole = whole.unwrap_or_else(|e| panic!("`{text}`: read apart, refused {e:?}"));
                let Some(pep508_rs::VersionOrUrl::VersionSpecifier(specs)) = &whole.version_or_url
                else {
                    panic!("`{text}`: read apart, but pep508_rs reads no list");
                };
                assert_eq!(
                    (&whole.name, &whole.extras),
                    (&req.name, &req.extras),
                    "`{text}`"
                );
                assert!(held.spelled_as(specs), "`{text}`: {held} / {specs}");
            }
        }
        assert!(
            apart > 3000 && refused > 1800,
            "{apart} read apart, {refused} refused"
        );
    }

    /// `"nt" ~= os_name` panicked inside pep508_rs (exit 101); pip fails on it and on
    /// `os_name ~= "nt"` (UndefinedComparison). Both are refused at the `~=`, through every
    /// door; a `~=` pip can evaluate is still pep508_rs's to read.
    #[test]
    fn string_comparisons_with_tilde_equal_are_refused_as_pip_refuses_them() {
        let variables = [
            "os_name",
            "os.name",
            "sys_platform",
            "platform_release",
            "platform_system",
            "platform_version",
            "platform_machine",
            "platform_python_implementation",
            "python_implementation",
            "implementation_name",
            "extra",
        ];
        for v in variables {
            for m in [
                format!("'nt' ~= {v}"),
                format!("\"3.6\"~={v}"),
                format!("{v} ~= 'nt'"),
                format!("python_version > '3' and ({v}  ~=  \"x y\")"),
            ] {
                let at = m.find("~=").unwrap();
                let r = marker(&m).unwrap_err();
                assert_eq!((r.start, r.len), (at, 2), "{m}");
                assert!(r.message.contains("~="), "{m}: {r:?}");
                assert!(parse_marker(&m).is_err(), "{m}");
                let req = format!("numpy>=1.0 ; {m}");
                let r = parse_requirement::<pep508_rs::VerbatimUrl>(&req).unwrap_err();
                assert_eq!(r.start, req.find("~=").unwrap(), "{req}");
                assert!(parse_requirement_marked::<pep508_rs::VerbatimUrl>(&req).is_err());
            }
        }
        // Non-ASCII around the `~=` (a panic on a character boundary, found by the
        // random-input test).
        for odd in ["é~=os_name", "'x' ~= é", "os_nameé ~= 'x'", "ü ~= 'ä'"] {
            let _ = marker(odd);
            let _ = parse_requirement::<pep508_rs::VerbatimUrl>(&format!("a; {odd}"));
        }
        for ok in [
            "python_version ~= '3.6'",
            "'3.6' ~= python_full_version",
            "os_name ~= '1.0'",
            "os_name == '~='",
        ] {
            assert!(marker(ok).is_ok(), "{ok}");
            assert!(parse_requirement::<pep508_rs::VerbatimUrl>(&format!("a; {ok}")).is_ok());
        }
    }

    /// A `'` in a URL read as an opening quote hid the marker after it from every guard: a
    /// marker of 20,000 parentheses overflowed the stack. The URL is skipped as pep508_rs
    /// skips it, and parentheses nested past [`MAX_RAW_DEPTH`] are refused wherever they are.
    #[test]
    fn a_quote_in_a_url_does_not_hide_the_marker_from_the_guards() {
        let deep = |n: usize| format!("{}os_name == 'nt'{}", "(".repeat(n), ")".repeat(n));
        for url in [
            "https://x/'",
            "https://x/\"a",
            "file:///a'b(c",
            "https://x/a 'b",
            "https://x/a\t'b c",
            "https://x/a#'b",
        ] {
            let req = format!("numpy @ {url} ; {}", deep(MAX_MARKER_DEPTH + 1));
            let r = parse_requirement::<pep508_rs::VerbatimUrl>(&req).unwrap_err();
            assert!(r.message.contains("nested"), "{req}: {r:?}");
            assert!(r.start > req.find(';').unwrap(), "{r:?}");
            let ok = format!("numpy @ {url} ; {}", deep(2));
            let r = parse_requirement::<pep508_rs::VerbatimUrl>(&ok);
            assert!(
                r.map_or_else(|e| !e.message.contains("nested"), |_| true),
                "{ok}"
            );
        }
        // The complexity guard sees that marker too: these 22 pairs of extras took 50 s and
        // 15 GB behind `https://x/'` (asked of the guard alone, so a failure stays quick).
        let pairs = (0..22)
            .map(|i| format!("(extra == 'a{i}' and extra == 'b{i}')"))
            .collect::<Vec<_>>()
            .join(" or ");
        for url in ["https://x/'", "https://x/a 'b"] {
            let r = requirement_guard(&format!("numpy @ {url} ; {pairs}")).unwrap();
            assert!(r.message.contains("distinct values"), "{url}: {r:?}");
        }
        let r = requirement_guard("numpy @ https://x/a 'b ; \"nt\" ~= os_name").unwrap();
        assert!(r.message.contains("~="), "{r:?}");
        // Quoted or not, every parenthesis counts towards the raw bound.
        let quoted = format!("os_name == '{}'", "(".repeat(MAX_RAW_DEPTH + 1));
        let r = marker(&quoted).unwrap_err();
        assert!(r.message.contains(&MAX_RAW_DEPTH.to_string()), "{r:?}");
        assert!(marker(&format!("os_name == '{}'", "(".repeat(40))).is_ok());
    }

    #[test]
    fn names_that_would_panic_are_refused() {
        for s in [
            "a. >=1",
            "a- ;python_version>'3'",
            "a_ [x]",
            "a[b-]",
            "a[b, c_ ]",
        ] {
            let r = parse_requirement::<pep508_rs::VerbatimUrl>(s).unwrap_err();
            assert!(r.message.contains("alphanumeric"), "{s}: {r:?}");
            assert!(matches!(&s[r.start..r.start + 1], "." | "-" | "_"), "{s}");
        }
        assert!(parse_requirement::<pep508_rs::VerbatimUrl>("a.b-c_d[e-f]>=1").is_ok());
    }

    #[test]
    fn deep_nesting_is_refused_before_the_parser() {
        let ok = format!(
            "{}python_version > '3'{}",
            "(".repeat(MAX_MARKER_DEPTH),
            ")".repeat(MAX_MARKER_DEPTH)
        );
        assert!(parse_marker(&ok).is_ok());
        let deep = format!(
            "{}python_version > '3'{}",
            "(".repeat(100_000),
            ")".repeat(100_000)
        );
        let r = parse_marker(&deep).unwrap_err();
        assert_eq!(r.start, MAX_MARKER_DEPTH);
        let req = format!("numpy; {deep}");
        let r = parse_requirement::<pep508_rs::VerbatimUrl>(&req).unwrap_err();
        assert_eq!(&req[r.start..r.start + 1], "(");
        // Parentheses inside quotes are text, not nesting, up to the raw bound that no
        // stray quote can get around.
        let quoted = format!("platform_version == '{}'", "(".repeat(MAX_RAW_DEPTH));
        assert!(parse_marker(&quoted).is_ok());
    }

    #[test]
    fn exploding_markers_are_refused() {
        let pairs = |k: usize| {
            (0..k)
                .map(|i| format!("(extra == 'a{i}' and extra == 'b{i}')"))
                .collect::<Vec<_>>()
                .join(" or ")
        };
        assert!(parse_marker(&pairs(MAX_MARKER_VALUES / 2)).is_ok());
        let r = parse_marker(&pairs(40)).unwrap_err();
        assert!(r.message.contains("distinct values"), "{r:?}");
        let many = vec!["python_version == '3.7'"; MAX_MARKER_COMPARISONS + 1].join(" or ");
        let r = parse_marker(&many).unwrap_err();
        assert!(r.message.contains("comparisons"), "{r:?}");
        let many_in = vec!["'a' in extra"; MAX_MARKER_COMPARISONS + 1].join(" or ");
        assert!(parse_marker(&many_in).is_err());
        let req = format!("numpy>=1,<2 ; {many}");
        let r = parse_requirement::<pep508_rs::VerbatimUrl>(&req).unwrap_err();
        assert!(r.start > req.find(';').unwrap());
    }

    #[test]
    fn multibyte_text_after_an_expression_is_refused() {
        for m in [
            "python_version >= \"3.5\"Jnumpy>=1.\u{ad}\u{ad}1",
            "python_version > '3' \u{e9}",
            "python_version > '3'\u{e9}",
        ] {
            let r = parse_marker(m).unwrap_err();
            assert!(r.message.contains("non-ASCII"), "{m}: {r:?}");
            let req = format!("numpy ; {m}");
            assert!(parse_requirement::<pep508_rs::VerbatimUrl>(&req).is_err());
        }
        // Non-ASCII values in quotes are fine.
        assert!(parse_marker("platform_version == 'caf\u{e9}'").is_ok());
        assert!(parse_marker("platform_version=='\u{e9}\u{e9}' and os_name=='x'").is_ok());
    }

    #[test]
    fn ordinary_input_passes_through() {
        let r: Req = parse_requirement(
            "numpy[mkl] (>=1.16,<1.17) ; python_version < '3.8' and sys_platform != 'win32'",
        )
        .unwrap();
        assert_eq!(r.name.as_ref(), "numpy");
        let e = parse_requirement::<pep508_rs::VerbatimUrl>("numpy>=>1").unwrap_err();
        assert!(e.start < 9);
        assert!(parse_marker("python_version >> '3'").is_err());
    }

    /// A long list of extras is read before the parser (`long_extras`), and every string
    /// gets what the parser alone gives: the same requirement, or the same error at the
    /// same place, whatever follows the run of good extras.
    #[test]
    fn long_extras_read_as_the_parser_reads_them() {
        let run: Vec<String> = (0..EXTRAS_PRESCAN + 6)
            .map(|i| format!("E-{i}.x"))
            .collect();
        let mut checked = 0;
        for lead in ["", "  ", "\u{3000}"] {
            for sep in [",", " , ", ",\u{3000}"] {
                for tail in [
                    "]>=1.0",
                    "] ; extra == 'a'",
                    "]",
                    " ]",
                    ",]",
                    ", ]>=1",
                    ",,b]",
                    " b]",
                    ",b!]",
                    ",\u{e9}]",
                    ",b",
                    ",b ",
                    "",
                    ",",
                    "] @ https://x/y.whl",
                    "]>=1,<",
                ] {
                    let text = format!("{lead}Numpy [{}{tail}", run.join(sep));
                    let own = parse_requirement::<pep508_rs::VerbatimUrl>(&text);
                    let plain = Req::from_str(&text)
                        .map_err(|e| Refusal::within(&text, e.message.to_string(), e.start, e.len));
                    assert_eq!(own, plain, "{text}");
                    assert!(long_extras(&text).is_some(), "{text}");
                    checked += usize::from(own.is_ok());
                }
            }
        }
        assert!(checked >= 9 * 3, "{checked} strings parsed");
        let few = format!("numpy[{}]", run[..EXTRAS_PRESCAN].join(","));
        assert!(long_extras(&few).is_none());
    }
}
