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

use crate::manifest::{Anchors, Requirement, VersionReq, VersionSlot};
use crate::source::{SourceFile, Span};

/// A fix, as an intent. The format of the requirement renders it.
#[derive(Clone, Copy, Debug)]
pub enum Edit<'a> {
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
    pub fn requirement(&self) -> &'a Requirement {
        match *self {
            Edit::ReplaceVersion { req, .. } => req,
            Edit::InsertRequirement { after, .. } => after,
        }
    }
}

/// Replace the version of `r` by `spec`, through the slot its parser captured.
pub fn replace_version(file: &SourceFile, r: &Requirement, spec: &str) -> Option<(Span, String)> {
    match r.anchors.version.as_ref()? {
        VersionSlot::Clauses => match &r.version {
            VersionReq::Specifiers { span, clauses, .. } => {
                Some(minimal_clause_edit(file, *span, clauses, spec))
            }
            _ => None,
        },
        VersionSlot::Replace { span, quote } => match &r.version {
            VersionReq::Specifiers { .. } | VersionReq::AnyOf { .. } | VersionReq::Any => {
                Some(match quote {
                    Some(q) => (*span, format!("{q}{spec}{q}")),
                    None => (*span, spec.to_owned()),
                })
            }
            _ => None,
        },
        VersionSlot::Insert { at, before, after } => matches!(r.version, VersionReq::Any)
            .then(|| (Span::new(*at, *at), format!("{before}{spec}{after}"))),
    }
}

/// Replace a comma-separated specifier by `spec`, touching as little as possible: clauses
/// the new text keeps at the front stay as written (with any `\` continuation between
/// them), so `numpy>=1.16, \<newline> <1.18` becomes `numpy>=1.16, \<newline> <1.17`.
fn minimal_clause_edit(
    file: &SourceFile,
    span: Span,
    clauses: &[Span],
    spec: &str,
) -> (Span, String) {
    let new: Vec<&str> = spec.split(',').collect();
    let kept = clauses
        .iter()
        .zip(&new)
        .take_while(|(c, n)| file.slice(**c).trim() == n.trim())
        .count();
    if kept == 0 || clauses.is_empty() {
        return (span, spec.to_owned());
    }
    if kept == clauses.len() {
        // Everything kept: append the new clauses after the last one.
        let at = clauses[kept - 1].end;
        let rest = &new[kept..];
        if rest.is_empty() {
            return (Span::new(at, at), String::new());
        }
        return (Span::new(at, at), format!(",{}", rest.join(",")));
    }
    (
        Span::new(clauses[kept].start, span.end),
        new[kept..].join(","),
    )
}

/// A PEP 508 requirement `{name}{spec}` with the marker `r` was captured with.
pub fn pep508_with_marker(file: &SourceFile, r: &Requirement, name: &str, spec: &str) -> String {
    let marker = r.anchors.marker.map(|m| file.slice(m)).unwrap_or("");
    format!("{name}{spec}{marker}")
}

/// The line ending the file uses (CRLF files get CRLF in inserted text).
fn eol(file: &SourceFile) -> &'static str {
    if file.text.contains("\r\n") {
        "\r\n"
    } else {
        "\n"
    }
}

/// Insert `line` as a new physical line after a requirement that starts its line, with the
/// same prefix (indentation, a YAML `- ` and an opening quote, closed the same way).
pub fn line_after(file: &SourceFile, tf: &Requirement, line: &str) -> Option<(Span, String)> {
    let li = file.line_index(tf.loc.span.start);
    let start = file.line_start(li);
    let prefix = file.text.get(start..tf.loc.span.start)?;
    let rest = prefix.trim_start_matches([' ', '\t']);
    let rest = rest
        .strip_prefix('-')
        .map(|r| r.trim_start_matches(' '))
        .unwrap_or(rest);
    let quote = match rest {
        "" => "",
        "\"" => "\"",
        "'" => "'",
        _ => return None,
    };
    if !quote.is_empty() && line.contains(quote) {
        return None;
    }
    if line.contains(['\n', '\r']) {
        return None;
    }
    let eol = eol(file);
    // After the physical line that ends the requirement, and its `\` continuations.
    let mut l = file.line_index(tf.loc.span.end.saturating_sub(1).max(tf.loc.span.start));
    while file.line_text(l).trim_end().ends_with('\\') && l + 1 < file.line_count() {
        l += 1;
    }
    let at = if l + 1 < file.line_count() {
        file.line_start(l + 1)
    } else {
        file.text.len()
    };
    let text = &file.text;
    let needs_leading = at == text.len() && !text.is_empty() && !text.ends_with(['\n', '\r']);
    let replacement = if needs_leading {
        format!("{eol}{prefix}{line}{quote}")
    } else {
        format!("{prefix}{line}{quote}{eol}")
    };
    Some((Span::new(at, at), replacement))
}

/// Insert a string element after the trigger's element in a TOML or Python list, in the
/// array's layout: inline (`["tf", "numpy"]`) or one element per line with or without a
/// trailing comma; comments after the trigger stay on its line.
pub fn array_after(file: &SourceFile, tf: &Requirement, value: &str) -> Option<(Span, String)> {
    let text = file.text.as_str();
    let b = text.as_bytes();
    let (s, e) = (tf.loc.span.start, tf.loc.span.end);
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
    let q = q as char;
    if value.contains(q) || value.contains(['\\', '\n', '\r']) {
        return None;
    }
    let elem = format!("{q}{value}{q}");
    let token_start = s - 1;
    let token_end = e + 1;
    let li = file.line_index(token_start);
    let line_start = file.line_start(li);
    let indent = text.get(line_start..token_start)?;
    let own_line = indent.chars().all(|c| c == ' ' || c == '\t');
    if !own_line {
        return Some((Span::new(token_end, token_end), format!(", {elem}")));
    }
    let eol = eol(file);
    let line_end = line_start + file.line_text(li).len();
    let after = text.get(token_end..line_end)?;
    let after_trim = after.trim_start_matches([' ', '\t']);
    let only_comment = |s: &str| {
        let s = s.trim_start_matches([' ', '\t']);
        s.is_empty() || s.starts_with('#')
    };
    if let Some(after_comma) = after_trim.strip_prefix(',') {
        if only_comment(after_comma) {
            return Some((
                Span::new(line_end, line_end),
                format!("{eol}{indent}{elem},"),
            ));
        }
        let at = line_end - after_comma.len();
        return Some((Span::new(at, at), format!(" {elem},")));
    }
    if after_trim.is_empty() {
        return Some((
            Span::new(token_end, token_end),
            format!(",{eol}{indent}{elem}"),
        ));
    }
    Some((Span::new(token_end, token_end), format!(", {elem}")))
}

/// Insert `pkg = "spec"` as a new line after a TOML `key = value` entry (Poetry, Pipfile),
/// with the restrictions of the trigger's inline table copied as the parser captured them:
/// `numpy = { version = ">=1.14.5,<1.17", python = ">=3.6,<3.8" }`.
pub fn toml_entry_after(
    file: &SourceFile,
    tf: &Requirement,
    pkg: &str,
    spec: &str,
) -> Option<(Span, String)> {
    let entry = tf.anchors.entry.as_deref()?;
    let text = file.text.as_str();
    let li = file.line_index(entry.span.start);
    let start = file.line_start(li);
    let indent = text.get(start..entry.span.start)?;
    if !indent.chars().all(|c| c == ' ' || c == '\t') {
        return None;
    }
    let last = file.line_index(entry.span.end.saturating_sub(1).max(entry.span.start));
    // Only when the entry ends its line (possibly with a comment).
    let line_end = file.line_start(last) + file.line_text(last).len();
    let tail = text.get(entry.span.end..line_end)?.trim_start();
    if !(tail.is_empty() || tail.starts_with('#')) {
        return None;
    }
    if entry.siblings.iter().any(|k| k.eq_ignore_ascii_case(pkg)) {
        return None;
    }
    let key_raw = file.slice(tf.name_span);
    let key = if key_raw.starts_with(['"', '\'']) {
        let q = &key_raw[..1];
        format!("{q}{pkg}{q}")
    } else if text.get(entry.span.start..entry.span.start + 1) == Some("\"") {
        format!("\"{pkg}\"")
    } else {
        pkg.to_owned()
    };
    let restrictions: Vec<String> = entry
        .restrictions
        .iter()
        .map(|&(k, v)| format!("{} = {}", file.slice(k), file.slice(v)))
        .collect();
    if restrictions.iter().any(|r| r.contains(['\n', '\r'])) {
        return None;
    }
    let value = if restrictions.is_empty() {
        format!("\"{spec}\"")
    } else {
        format!("{{ version = \"{spec}\", {} }}", restrictions.join(", "))
    };
    let eol = eol(file);
    let at = if last + 1 < file.line_count() {
        file.line_start(last + 1)
    } else {
        text.len()
    };
    let needs_leading = at == text.len() && !text.is_empty() && !text.ends_with(['\n', '\r']);
    let line = format!("{indent}{key} = {value}");
    Some((
        Span::new(at, at),
        if needs_leading {
            format!("{eol}{line}")
        } else {
            format!("{line}{eol}")
        },
    ))
}

/// Anchors with only a version slot.
pub fn with_version(slot: Option<VersionSlot>) -> Anchors {
    Anchors {
        version: slot,
        ..Anchors::default()
    }
}
