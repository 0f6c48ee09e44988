//! Fixes as intents, and the pieces the formats render them with. The checker decides
//! *what* a requirement should admit (a PEP 440 specifier string such as `>=1.16,<1.17`) and
//! hands an [`Edit`] to the format of the file ([`super::render`]); the format decides
//! *where* the bytes go and how they are written, from the [`Anchors`] its parser captured.
//!
//! - A version slot ([`VersionSlot`]) is rendered the same way in every format: PEP 508
//!   clauses keep what the new range keeps, a string token keeps its quote, a missing
//!   version goes where the parser said it would go. Comma-separated PEP 440 clauses are
//!   valid Poetry constraints ("Multiple requirements: `>= 1.2, < 1.5`", Poetry docs).
//! - An insertion copies the trigger's restriction exactly as the parser captured it (a
//!   PEP 508 marker, a TOML `python = "..."` key), in the layout of its neighbours: a new
//!   line with the trigger's prefix, an element of the trigger's array, a TOML entry after
//!   the trigger's entry.
//!
//! Every edit is a span of the decoded text plus its replacement; an insertion is an empty
//! span. None means the text does not map one to one: no fix is better than a wrong one.

use crate::manifest::{Anchors, InsertAt, Requirement, VersionReq, VersionSlot};
use crate::source::{SourceFile, Span};

/// A fix, as an intent. The format of the requirement renders it.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Edit<'a> {
    /// Make `req` admit `spec` (a PEP 440 specifier string) by replacing its version.
    ReplaceVersion { req: &'a Requirement, spec: &'a str },
    /// Add a requirement on `name` admitting `spec` right after `after` (the trigger), under
    /// the same restriction (markers, Poetry `python`).
    InsertRequirement {
        after: &'a Requirement,
        name: &'a str,
        spec: &'a str,
    },
}

impl<'a> Edit<'a> {
    /// The requirement whose file and format the edit lands in.
    pub(crate) fn requirement(&self) -> &'a Requirement {
        match *self {
            Edit::ReplaceVersion { req, .. } => req,
            Edit::InsertRequirement { after, .. } => after,
        }
    }
}

/// Replace the version of `r` by `spec`, through the slot its parser captured.
pub(crate) fn replace_version(
    file: &SourceFile,
    r: &Requirement,
    spec: &str,
) -> Option<(Span, String)> {
    match &r.version_slot()? {
        VersionSlot::Clauses => match &r.version {
            VersionReq::Specifiers { span, clauses, .. } => Some(minimal_clause_edit(
                file,
                span.get(),
                &clauses.spans(),
                spec,
            )),
            _ => None,
        },
        VersionSlot::Replace { span, quote } => match &r.version {
            VersionReq::Specifiers { .. } | VersionReq::AnyOf { .. } | VersionReq::Any => {
                // The author's `, ` between clauses (Poetry `">= 1.2, < 1.5"`, Pipfile).
                let spaced;
                let spec = if file.slice(*span).contains(", ") && !spec.contains(' ') {
                    spaced = spec.replace(',', ", ");
                    spaced.as_str()
                } else {
                    spec
                };
                Some(match quote {
                    Some(q) => (*span, format!("{q}{spec}{q}")),
                    None => (*span, spec.to_owned()),
                })
            }
            _ => None,
        },
        VersionSlot::Insert { at, around } => matches!(r.version, VersionReq::Any).then(|| {
            let [before, after] = around;
            (Span::new(*at, *at), format!("{before}{spec}{after}"))
        }),
    }
}

/// Replace a comma-separated specifier by `spec`, touching as little as possible: the
/// clauses the new text keeps at the front and at the back stay as written (with any `\`
/// continuation between them), and new clauses are joined the way the author separated
/// theirs, so `numpy>=1.16, \<newline> <1.18` becomes `numpy>=1.16, \<newline> <1.17`, and
/// `numpy>=1.10, <2, !=1.16.0` becomes `numpy>=1.14.5, <1.17, !=1.16.0`.
fn minimal_clause_edit(
    file: &SourceFile,
    span: Span,
    clauses: &[Span],
    spec: &str,
) -> (Span, String) {
    let new: Vec<&str> = spec.split(',').map(str::trim).collect();
    let n = clauses.len();
    let same = |c: &Span, t: &&str| file.slice(*c).trim() == t.trim();
    let kept = clauses
        .iter()
        .zip(&new)
        .take_while(|(c, t)| same(c, t))
        .count();
    if n == 0 {
        return (span, spec.to_owned());
    }
    let tail = clauses[kept..]
        .iter()
        .rev()
        .zip(new[kept..].iter().rev())
        .take_while(|(c, t)| same(c, t))
        .count();
    // The author's separator (`, `, `,`), when it is only a comma and blanks.
    let sep = (n >= 2)
        .then(|| file.text.get(clauses[0].end..clauses[1].start))
        .flatten()
        .filter(|s| s.trim() == "," && !s.contains(['\n', '\r']))
        .unwrap_or(",");
    if kept == 0 && tail == 0 {
        // Nothing kept: the whole version (a parenthesised one with its parentheses).
        return (span, new.join(sep));
    }
    let old_mid = kept..n - tail;
    let new_mid = &new[kept..new.len() - tail];
    let joined = new_mid.join(sep);
    match (old_mid.is_empty(), new_mid.is_empty()) {
        (true, true) => (
            Span::new(clauses[n - 1].end, clauses[n - 1].end),
            String::new(),
        ),
        // New clauses only: after the kept front, or before the kept back.
        (true, false) if kept == n => (
            Span::new(clauses[n - 1].end, clauses[n - 1].end),
            format!("{sep}{joined}"),
        ),
        (true, false) => (
            Span::new(clauses[kept].start, clauses[kept].start),
            format!("{joined}{sep}"),
        ),
        // Clauses dropped only: with the separator before them (after them, at the front).
        (false, true) if kept > 0 => (
            Span::new(clauses[kept - 1].end, clauses[old_mid.end - 1].end),
            String::new(),
        ),
        (false, true) => (
            Span::new(clauses[0].start, clauses[old_mid.end].start),
            String::new(),
        ),
        (false, false) => {
            let end = if tail == 0 {
                span.end.max(clauses[n - 1].end)
            } else {
                clauses[old_mid.end - 1].end
            };
            (Span::new(clauses[kept].start, end), joined)
        }
    }
}

/// A PEP 508 requirement `{name}{spec}` with the marker `r` was captured with.
pub(crate) fn pep508_with_marker(
    file: &SourceFile,
    r: &Requirement,
    name: &str,
    spec: &str,
) -> String {
    let marker = r.marker_span().map(|m| file.slice(m)).unwrap_or("");
    format!("{name}{spec}{marker}")
}

/// The line ending the file uses (CRLF files get CRLF in inserted text).
fn eol(file: &SourceFile) -> &'static str {
    if file.has_crlf() {
        "\r\n"
    } else {
        "\n"
    }
}

/// Write `text` where the parser said a requirement after `r` goes, in its layout.
pub(crate) fn insert_after(
    file: &SourceFile,
    r: &Requirement,
    text: &str,
) -> Option<(Span, String)> {
    let ins = r.insert_at()?;
    if text.contains(|c: char| ins.forbid.contains(c) || c == '\n' || c == '\r') {
        return None;
    }
    let eol = eol(file);
    let replacement = format!("{}{text}{}", ins.before, ins.after).replace('\n', eol);
    Some((Span::new(ins.at, ins.at), replacement))
}

/// Insert `pkg = "spec"` as a new line after a TOML `key = value` entry (Poetry, Pipfile),
/// with the restrictions of the trigger's inline table copied as the parser captured them:
/// `numpy = { version = ">=1.14.5,<1.17", python = ">=3.6,<3.8" }`. Never a key the table
/// already has.
pub(crate) fn toml_entry_after(
    file: &SourceFile,
    tf: &Requirement,
    pkg: &str,
    spec: &str,
) -> Option<(Span, String)> {
    let entry = tf.entry()?;
    if entry.siblings.iter().any(|k| k.eq_ignore_ascii_case(pkg)) {
        return None;
    }
    let key = match entry.key_quote {
        Some(q) => format!("{q}{pkg}{q}"),
        None => pkg.to_owned(),
    };
    let restrictions: Vec<String> = entry
        .restrictions
        .iter()
        .map(|&(k, v)| format!("{} = {}", file.slice(k), file.slice(v)))
        .collect();
    let value = if restrictions.is_empty() {
        format!("\"{spec}\"")
    } else {
        format!("{{ version = \"{spec}\", {} }}", restrictions.join(", "))
    };
    insert_after(file, tf, &format!("{key} = {value}"))
}

// ---------------------------------------------------------------------------------------
// Capturing the layout while parsing. These run for every requirement a reader finds, so
// each costs O(log n) plus the few bytes around the requirement: line bounds come from the
// file's line index, and a prefix longer than `MAX_PREFIX` is no layout to copy.

/// The longest indentation (and list prefix) a new requirement copies.
const MAX_PREFIX: usize = 256;

/// The text between the start of `pos`'s line and `pos`, when it is short enough to be a
/// layout prefix.
fn prefix(file: &SourceFile, pos: usize) -> Option<&str> {
    let start = file.line_start(file.line_index(pos));
    if pos - start > MAX_PREFIX {
        return None;
    }
    file.text.get(start..pos)
}

/// The end (before the terminator) of line `l`.
fn line_end(file: &SourceFile, l: usize) -> usize {
    file.line_start(l) + file.line_text(l).len()
}

/// The start of the line after `l`, or None for the last line.
fn next_line(file: &SourceFile, l: usize) -> Option<usize> {
    (l + 1 < file.line_count()).then(|| file.line_start(l + 1))
}

/// The requirement at `loc` starts its line (after indentation, a YAML `- ` and an opening
/// quote): a new one goes on the next line (after `\` continuations) with the same prefix,
/// closed with the same quote.
pub(crate) fn line_slot(file: &SourceFile, loc: Span) -> Option<Box<InsertAt>> {
    let prefix = prefix(file, loc.start)?;
    let rest = prefix.trim_start_matches([' ', '\t']);
    let rest = rest
        .strip_prefix('-')
        .map(|r| r.trim_start_matches(' '))
        .unwrap_or(rest);
    // The quote, the quote and a line break (static: a slot is kept for every line of a
    // file, and most lines need no text of their own), and what the new text must avoid.
    let (quote, quote_nl, forbid) = match rest {
        "" => ("", "\n", ""),
        "\"" => ("\"", "\"\n", "\""),
        "'" => ("'", "'\n", "'"),
        _ => return None,
    };
    // After the physical line that ends the requirement, and its `\` continuations.
    let mut l = file.line_index(loc.end.saturating_sub(1).max(loc.start));
    while file.line_text(l).trim_end().ends_with('\\') && l + 1 < file.line_count() {
        l += 1;
    }
    Some(Box::new(match next_line(file, l) {
        Some(at) => InsertAt {
            at,
            before: if prefix.is_empty() {
                "".into()
            } else {
                prefix.to_owned().into()
            },
            after: quote_nl.into(),
            forbid,
        },
        // The last line, without a line break: the new line starts with one.
        None => InsertAt {
            at: file.text.len(),
            before: format!("\n{prefix}").into(),
            after: quote.into(),
            forbid,
        },
    }))
}

/// The string at `loc` (its content) is an element of a TOML or Python list: a new element
/// goes after it in the list's layout: inline (`["tf", "numpy"]`) or one element per line
/// with or without a trailing comma; a comment after the element stays on its line.
pub(crate) fn array_slot(file: &SourceFile, loc: Span) -> Option<Box<InsertAt>> {
    let text = file.text.as_str();
    let b = text.as_bytes();
    let (s, e) = (loc.start, loc.end);
    if s == 0 {
        return None;
    }
    let q = *b.get(s - 1)?;
    if !(q == b'"' || q == b'\'') || b.get(e) != Some(&q) {
        return None;
    }
    // Triple-quoted strings and string prefixes are left alone.
    if s >= 2 && matches!(b.get(s - 2), Some(b'"' | b'\'')) || b.get(e + 1) == Some(&q) {
        return None;
    }
    let (q, forbid) = if q == b'"' {
        ('"', "\"\\")
    } else {
        ('\'', "'\\")
    };
    let token_start = s - 1;
    let token_end = e + 1;
    let at = |at: usize, before: String, after: &str| {
        Some(Box::new(InsertAt {
            at,
            before: format!("{before}{q}").into(),
            after: format!("{q}{after}").into(),
            forbid,
        }))
    };
    // On a line of its own: the blanks before it are the indentation.
    let blanks = b[..token_start]
        .iter()
        .rev()
        .take(MAX_PREFIX + 1)
        .take_while(|&&c| c == b' ' || c == b'\t')
        .count();
    let l = file.line_index(token_start);
    if file.line_start(l) != token_start - blanks {
        return at(token_end, ", ".into(), "");
    }
    let indent = &text[token_start - blanks..token_start];
    let end = line_end(file, l);
    let after = text.get(token_end..end)?;
    let after_trim = after.trim_start_matches([' ', '\t']);
    let only_comment = |s: &str| {
        let s = s.trim_start_matches([' ', '\t']);
        s.is_empty() || s.starts_with('#')
    };
    if let Some(after_comma) = after_trim.strip_prefix(',') {
        if only_comment(after_comma) {
            return at(end, format!("\n{indent}"), ",");
        }
        return at(end - after_comma.len(), " ".into(), ",");
    }
    if after_trim.is_empty() {
        return at(token_end, format!(",\n{indent}"), "");
    }
    at(token_end, ", ".into(), "")
}

/// A TOML entry at `entry` that starts its line (after indentation) and ends it (but for a
/// comment): a sibling entry goes on the next line with the same indentation.
pub(crate) fn toml_entry_slot(file: &SourceFile, entry: Span) -> Option<Box<InsertAt>> {
    let indent = prefix(file, entry.start)?;
    if !indent.chars().all(|c| c == ' ' || c == '\t') {
        return None;
    }
    let l = file.line_index(entry.end.saturating_sub(1).max(entry.start));
    let end = line_end(file, l);
    let tail = file.text.get(entry.end..end)?.trim_start();
    if !(tail.is_empty() || tail.starts_with('#')) {
        return None;
    }
    Some(Box::new(match next_line(file, l) {
        Some(at) => InsertAt {
            at,
            before: indent.to_owned().into(),
            after: "\n".into(),
            forbid: "",
        },
        None => InsertAt {
            at: file.text.len(),
            before: format!("\n{indent}").into(),
            after: "".into(),
            forbid: "",
        },
    }))
}

/// Where a requirement inserted after each of `parsed`'s requirements goes, for those the
/// format `slot` applies to (`only`) and a fix can insert after (a rule's trigger,
/// `Relevant::may_insert_after`; every requirement when the registry reads all): the
/// readers found the spans, this reads the layout around them once, through each file's
/// line index. A requirement with no insertion point costs nothing more.
pub(crate) fn capture_inserts(
    files: &crate::files::Files,
    parsed: &mut crate::manifest::Parsed,
    only: impl Fn(&Requirement) -> bool,
    slot: impl Fn(&SourceFile, &Requirement) -> Option<Box<InsertAt>>,
) {
    let relevant = files.relevant();
    for r in parsed
        .requirements
        .iter_mut()
        .filter(|r| relevant.may_insert_after(r.name.as_ref()) && only(r))
    {
        if r.loc().file < files.len() {
            r.set_insert(slot(files.get(r.loc().file), r).map(|b| *b));
        }
    }
}

/// [`capture_inserts`] for formats with one requirement a line (requirements files,
/// setup.cfg, conda lists): every requirement, a new line after its own.
pub(crate) fn capture_line_inserts(
    files: &crate::files::Files,
    parsed: &mut crate::manifest::Parsed,
) {
    capture_inserts(files, parsed, |_| true, |f, r| line_slot(f, r.loc().span));
}

/// The insertion every PEP 508 format makes: `name` admitting `spec` under `after`'s
/// marker, where the parser said a requirement after `after` goes.
pub(crate) fn insert_pep508(
    file: &SourceFile,
    after: &Requirement,
    name: &str,
    spec: &str,
) -> Option<(Span, String)> {
    insert_after(file, after, &pep508_with_marker(file, after, name, spec))
}

/// Anchors with only a version slot.
pub(crate) fn with_version(slot: Option<VersionSlot>) -> Anchors {
    Anchors::new(slot, None, None)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(text: &str) -> SourceFile {
        let mut files = crate::files::Files::new(std::path::PathBuf::from("/nonexistent"));
        let id = files.add(std::path::Path::new("/nonexistent/f"), text.as_bytes());
        files.into_files().swap_remove(id)
    }

    fn render(text: &str, ins: Option<Box<InsertAt>>, new: &str) -> Option<String> {
        let ins = ins?;
        if new.contains(|c: char| ins.forbid.contains(c)) {
            return None;
        }
        let eol = if text.contains("\r\n") { "\r\n" } else { "\n" };
        let mut out = text.to_owned();
        out.insert_str(
            ins.at,
            &format!("{}{new}{}", ins.before, ins.after).replace('\n', eol),
        );
        Some(out)
    }

    fn span_of(text: &str, sub: &str) -> Span {
        let s = text.find(sub).unwrap();
        Span::new(s, s + sub.len())
    }

    #[test]
    fn lines_keep_prefix_continuations_and_line_endings() {
        let t = "a\r\n  - \"tf==1 ; x\"\r\nb\r\n";
        assert_eq!(
            render(t, line_slot(&file(t), span_of(t, "tf==1 ; x")), "np").as_deref(),
            Some("a\r\n  - \"tf==1 ; x\"\r\n  - \"np\"\r\nb\r\n")
        );
        let t = "tf==1 \\\n  ; x\nb";
        assert_eq!(
            render(t, line_slot(&file(t), span_of(t, "tf==1")), "np").as_deref(),
            Some("tf==1 \\\n  ; x\nnp\nb")
        );
        let t = "x\ntf==1";
        assert_eq!(
            render(t, line_slot(&file(t), span_of(t, "tf==1")), "np").as_deref(),
            Some("x\ntf==1\nnp")
        );
        // Something other than a list dash or a quote before it: no layout to copy.
        let t = "key: tf==1\n";
        assert_eq!(line_slot(&file(t), span_of(t, "tf==1")), None);
        // The new text may not contain the quote it is written in.
        let t = "- 'tf'\n";
        assert_eq!(
            render(t, line_slot(&file(t), span_of(t, "tf")), "a'b"),
            None
        );
    }

    #[test]
    fn arrays_keep_their_layout() {
        let t = "d = ['tf', 'six']";
        assert_eq!(
            render(t, array_slot(&file(t), span_of(t, "tf")), "np").as_deref(),
            Some("d = ['tf', 'np', 'six']")
        );
        let t = "d = [\n    \"tf\",  # c\n    \"six\"\n]";
        assert_eq!(
            render(t, array_slot(&file(t), span_of(t, "tf")), "np").as_deref(),
            Some("d = [\n    \"tf\",  # c\n    \"np\",\n    \"six\"\n]")
        );
        let t = "d = [\r\n    \"tf\"\r\n]";
        assert_eq!(
            render(t, array_slot(&file(t), span_of(t, "tf")), "np").as_deref(),
            Some("d = [\r\n    \"tf\",\r\n    \"np\"\r\n]")
        );
        let t = "d = [\"\"\"tf\"\"\"]";
        assert_eq!(array_slot(&file(t), span_of(t, "tf")), None);
        let t = "d = [\"tf\"]";
        assert_eq!(
            render(t, array_slot(&file(t), span_of(t, "tf")), "a\\b"),
            None
        );
    }

    #[test]
    fn clause_edits_keep_what_stays_as_written() {
        let edit = |text: &str, spec: &str| {
            let f = file(text);
            let clauses: Vec<Span> = {
                let mut out = Vec::new();
                let mut at = text.find(|c: char| "<>=!~".contains(c)).unwrap();
                for part in text[at..].split(',') {
                    let lead = part.len() - part.trim_start().len();
                    out.push(Span::new(at + lead, at + part.trim_end().len()));
                    at += part.len() + 1;
                }
                out
            };
            let whole = Span::new(clauses[0].start, clauses.last().unwrap().end);
            let (span, new) = minimal_clause_edit(&f, whole, &clauses, spec);
            format!("{}{new}{}", &text[..span.start], &text[span.end..])
        };
        assert_eq!(
            edit("gast>=0.2.0, <0.4", ">=0.2.0,<0.3"),
            "gast>=0.2.0, <0.3"
        );
        assert_eq!(
            edit("numpy>=1.10, <2, !=1.16.0", ">=1.14.5,<1.17,!=1.16.0"),
            "numpy>=1.14.5, <1.17, !=1.16.0"
        );
        assert_eq!(
            edit(
                "numpy>=1.10, <2, !=1.16.0, !=1.18",
                ">=1.14.5,<1.17,!=1.16.0"
            ),
            "numpy>=1.14.5, <1.17, !=1.16.0"
        );
        assert_eq!(edit("numpy<1.17", "<1.17,>=1.14.5"), "numpy<1.17,>=1.14.5");
        assert_eq!(
            edit("numpy!=1.16.0, <2", "!=1.16.0, <1.17, >=1.14.5"),
            "numpy!=1.16.0, <1.17, >=1.14.5"
        );
        assert_eq!(
            edit("numpy>=1.16,!=1.18,<1.17", ">=1.16,<1.17"),
            "numpy>=1.16,<1.17"
        );
        assert_eq!(
            edit("numpy!=1.18, >=1.16,<1.17", ">=1.16,<1.17"),
            "numpy>=1.16,<1.17"
        );
        assert_eq!(
            edit("numpy>=1.16,<1.17", "!=1.16.3,<1.17"),
            "numpy!=1.16.3,<1.17"
        );
    }

    #[test]
    fn toml_entries_must_end_their_line() {
        let t = "[d]\n  tf = { version = \"1\", python = \">=3.6,<3.8\" }  # c\nsix = \"*\"\n";
        let entry = span_of(t, "tf = { version = \"1\", python = \">=3.6,<3.8\" }");
        assert_eq!(
            render(t, toml_entry_slot(&file(t), entry), "np = \"1\"").as_deref(),
            Some("[d]\n  tf = { version = \"1\", python = \">=3.6,<3.8\" }  # c\n  np = \"1\"\nsix = \"*\"\n")
        );
        let t = "d = { tf = \"1\", six = \"*\" }\n";
        assert_eq!(toml_entry_slot(&file(t), span_of(t, "tf = \"1\"")), None);
    }
}
