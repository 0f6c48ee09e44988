//! Rendering fixes in the syntax of the file they edit. The checker decides *what* range a
//! requirement should admit (a PEP 440 specifier string such as `>=1.16,<1.17`); this module
//! decides *where* the bytes go and how they are written, per format:
//!
//! - PEP 508 strings (requirements files, PEP 621 / PEP 735 arrays, setup.cfg, setup.py,
//!   conda `pip:` entries): the specifier text is replaced in place; a bare name gets the
//!   specifier right after its name and extras.
//! - TOML values (Pipfile, Poetry): the content of the string is replaced; comma-separated
//!   PEP 440 clauses are valid Poetry constraints ("Multiple requirements: `>= 1.2, < 1.5`",
//!   Poetry docs, Dependency specification).
//! - conda match-specs: the version expression is replaced, the fuzzy `=` separator with it
//!   (`numpy=1.17` -> `numpy>=1.14.5,<1.17`).
//! - Lockfiles: never edited; [`relock_command`] says how to regenerate them.
//!
//! Every function here returns an edit as a span of the decoded text plus its replacement,
//! and returns None when the text does not map one to one (escapes in a string, unusual
//! layouts): no fix is better than a wrong one. Edits never touch bytes outside their span;
//! an insertion is an empty span.

use std::path::Path;

use crate::formats::Format;
use crate::manifest::{Requirement, Syntax, VersionReq};
use crate::source::{SourceFile, Span};

/// The command that regenerates a lockfile, by its file name.
pub fn relock_command(path: &Path) -> Option<&'static str> {
    let name = path.file_name()?.to_str()?.to_ascii_lowercase();
    Some(match name.as_str() {
        "pipfile.lock" => "pipenv lock",
        "poetry.lock" => "poetry lock",
        "uv.lock" => "uv lock",
        "pdm.lock" => "pdm lock",
        n if n == "pylock.toml" || (n.starts_with("pylock.") && n.ends_with(".toml")) => "pip lock",
        _ => return None,
    })
}

/// The format of the file a fix lands in: by name, else by the requirement's syntax.
pub fn format_of(file: &SourceFile, r: &Requirement) -> Option<Format> {
    Format::detect(&file.path).or(match r.syntax {
        Syntax::Conda => Some(Format::Conda),
        Syntax::Pep508 => Some(Format::Requirements),
        _ => None,
    })
}

/// Replace the version part of `r` so that it reads `spec` (a PEP 440 specifier string).
pub fn range_edit(file: &SourceFile, r: &Requirement, spec: &str) -> Option<(Span, String)> {
    let text = file.text.as_str();
    match r.syntax {
        Syntax::Lock => None,
        Syntax::Pep508 => match &r.version {
            // The span equals the whole requirement only when the string had escapes and
            // inner offsets are not file offsets.
            VersionReq::Specifiers { span, clauses, .. } if *span != r.loc.span => {
                Some(minimal_clause_edit(file, *span, clauses, spec))
            }
            VersionReq::Any => after_name(file, r).map(|at| (Span::new(at, at), spec.to_owned())),
            _ => None,
        },
        Syntax::Pep440Value | Syntax::Poetry => match &r.version {
            VersionReq::Specifiers { span, .. } | VersionReq::AnyOf { span, .. } => {
                let raw = text.get(span.start..span.end)?;
                if raw.starts_with(['"', '\'']) {
                    // Inexact: the span is the whole string token; rewrite the token.
                    if raw.starts_with("\"\"\"") || raw.starts_with("'''") {
                        return None;
                    }
                    let q = &raw[..1];
                    Some((*span, format!("{q}{spec}{q}")))
                } else {
                    Some((*span, spec.to_owned()))
                }
            }
            VersionReq::Any => toml_version_value(text, r.loc.span, r.name_span, spec),
            _ => None,
        },
        Syntax::Conda => match &r.version {
            VersionReq::Specifiers { span, .. } | VersionReq::AnyOf { span, .. }
                if *span != r.loc.span =>
            {
                conda_version(text, r, *span, spec)
            }
            VersionReq::Any => {
                let raw = text.get(r.name_span.start..r.name_span.end)?;
                if raw.is_empty() || raw.contains(|c: char| c.is_whitespace() || c == '"') {
                    return None;
                }
                let at = r.name_span.end;
                // Only when nothing but the end of the entry follows the name.
                let rest = text.get(at..r.loc.span.end)?;
                rest.trim()
                    .is_empty()
                    .then(|| (Span::new(at, at), spec.to_owned()))
            }
            _ => None,
        },
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

/// Where a specifier goes in a PEP 508 string without one: after the name and extras.
fn after_name(file: &SourceFile, r: &Requirement) -> Option<usize> {
    let text = file.text.as_str();
    let name = text.get(r.name_span.start..r.name_span.end)?;
    // An inexact span (escapes) covers the whole string: refuse.
    if r.name_span == r.loc.span && name != text.get(r.loc.span.start..r.loc.span.end)? {
        return None;
    }
    if name.is_empty() || name.contains(|c: char| c.is_whitespace() || c == '"' || c == '\'') {
        return None;
    }
    let mut end = r.name_span.end;
    let rest = text.get(end..r.loc.span.end)?;
    let trimmed = rest.trim_start_matches([' ', '\t']);
    if trimmed.starts_with('[') {
        let close = trimmed.find(']')?;
        end += rest.len() - trimmed.len() + close + 1;
    }
    Some(end)
}

/// A conda version expression: replace it with `spec`, taking the fuzzy `=` separator along
/// (`numpy=1.17`), keeping a space separator (`numpy 1.16.*` -> `numpy >=1.14.5,<1.17`).
fn conda_version(text: &str, r: &Requirement, span: Span, spec: &str) -> Option<(Span, String)> {
    let entry = text.get(r.loc.span.start..span.start)?;
    // The bracket form `numpy[version='>=1.16']`: only inside quotes.
    if entry.contains('[') {
        let before = text.get(..span.start)?;
        return before
            .ends_with(['"', '\''])
            .then(|| (span, spec.to_owned()));
    }
    let mut start = span.start;
    let b = text.as_bytes();
    if start >= 1 && b.get(start - 1) == Some(&b'=') {
        let prev = if start >= 2 { b.get(start - 2) } else { None };
        if !matches!(prev, Some(b'=' | b'<' | b'>' | b'!' | b'~')) {
            start -= 1;
        }
    }
    // A build string after the version (`numpy=1.16=py37_0`, `numpy 1.16 py37_0`): a range
    // cannot carry it; leave it to the author.
    let after = text.get(span.end..r.loc.span.end)?;
    if !after.trim().is_empty() {
        return None;
    }
    Some((Span::new(start, span.end), spec.to_owned()))
}

/// The version value of a TOML entry `name = "*"` or `name = {version = "*", ...}` whose
/// constraint is "anything": rewrite the string, or add a `version` key to the table.
fn toml_version_value(
    text: &str,
    loc: Span,
    name_span: Span,
    spec: &str,
) -> Option<(Span, String)> {
    let entry = text.get(loc.start..loc.end)?;
    let after_key = text.get(name_span.end..loc.end)?;
    let eq = after_key.find('=')?;
    let value_start = name_span.end + eq + 1;
    let value = text.get(value_start..loc.end)?;
    let lead = value.len() - value.trim_start().len();
    let v = value.trim_start();
    let vs = value_start + lead;
    if v.starts_with(['"', '\'']) {
        return string_token(text, vs).map(|(s, q)| (s, format!("{q}{spec}{q}")));
    }
    if !v.starts_with('{') || !entry.ends_with('}') {
        return None;
    }
    // An inline table: its `version` key, if any.
    let inner_start = vs + 1;
    let inner = text.get(inner_start..loc.end - 1)?;
    let mut search = 0;
    while let Some(i) = inner[search..].find("version") {
        let k = search + i;
        let before_ok = inner[..k]
            .trim_end_matches([' ', '\t'])
            .ends_with(['{', ','])
            || inner[..k].trim().is_empty();
        let rest = &inner[k + "version".len()..];
        let rest_trim = rest.trim_start();
        if before_ok && rest_trim.starts_with('=') {
            let after_eq = rest_trim[1..].trim_start();
            let at = inner_start + inner.len() - after_eq.len();
            if after_eq.starts_with(['"', '\'']) {
                return string_token(text, at).map(|(s, q)| (s, format!("{q}{spec}{q}")));
            }
            return None;
        }
        search = k + "version".len();
    }
    // No version key: add one first.
    let pad = inner.len() - inner.trim_start().len();
    let at = inner_start + pad;
    let sep = if inner.trim().is_empty() { "" } else { ", " };
    Some((Span::new(at, at), format!("version = \"{spec}\"{sep}")))
}

/// The span of a one-line basic or literal string token starting at `at`, and its quote.
/// Strings with escapes are refused (the rewrite would have to re-escape).
fn string_token(text: &str, at: usize) -> Option<(Span, char)> {
    let rest = text.get(at..)?;
    let q = rest.chars().next()?;
    if rest.starts_with("\"\"\"") || rest.starts_with("'''") {
        return None;
    }
    let body = &rest[1..];
    let end = body.find(q)?;
    let inner = &body[..end];
    if inner.contains(['\\', '\n', '\r']) {
        return None;
    }
    Some((Span::new(at, at + end + 2), q))
}

/// Insert a requirement `req` (e.g. `numpy>=1.14.5,<1.17`) for the package `pkg`, whose
/// version part is `spec`, right after the trigger requirement `tf`, in the layout of its
/// neighbours: same indentation, list dash and quoting, and the trigger's markers.
pub fn insert_edit(
    file: &SourceFile,
    format: Option<Format>,
    tf: &Requirement,
    pkg: &str,
    spec: &str,
) -> Option<(Span, String)> {
    match (tf.syntax, format?) {
        (Syntax::Lock, _) => None,
        (Syntax::Pep508, Format::Requirements | Format::SetupCfg | Format::Conda) => {
            let marker = pep508_marker_text(file, tf);
            line_insert(file, tf, &format!("{pkg}{spec}{marker}"))
        }
        (Syntax::Conda, Format::Conda) => line_insert(file, tf, &format!("{pkg}{spec}")),
        (Syntax::Pep508, Format::Pyproject | Format::SetupPy) => {
            let marker = pep508_marker_text(file, tf);
            array_insert(file, tf, &format!("{pkg}{spec}{marker}"))
        }
        (Syntax::Poetry | Syntax::Pep440Value, Format::Pyproject | Format::Pipfile) => {
            key_insert(file, tf, pkg, spec)
        }
        _ => None,
    }
}

/// The line ending the file uses (CRLF files get CRLF in inserted text).
fn eol(file: &SourceFile) -> &'static str {
    if file.text.contains("\r\n") {
        "\r\n"
    } else {
        "\n"
    }
}

/// The marker part of a PEP 508 requirement as written (` ; python_version < "3.8"`),
/// without trailing options, continuations or comments; empty when it has none.
fn pep508_marker_text(file: &SourceFile, r: &Requirement) -> String {
    let Some(raw) = file.text.get(r.loc.span.start..r.loc.span.end) else {
        return String::new();
    };
    let Some(semi) = raw.find(';') else {
        return String::new();
    };
    let mut marker = &raw[semi..];
    for stop in [" --", "\t--", "\\", " #", "\t#", "\n", "\r"] {
        if let Some(i) = marker.find(stop) {
            marker = &marker[..i];
        }
    }
    let lead = raw[..semi].len() - raw[..semi].trim_end().len();
    format!("{}{}", &raw[semi - lead..semi], marker.trim_end())
}

/// Insert `line` as a new physical line after a requirement that starts its line, with the
/// same prefix (indentation, a YAML `- ` and an opening quote, closed the same way).
fn line_insert(file: &SourceFile, tf: &Requirement, line: &str) -> Option<(Span, String)> {
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
fn array_insert(file: &SourceFile, tf: &Requirement, value: &str) -> Option<(Span, String)> {
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
    if value.contains(q) || value.contains('\\') {
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
/// copying a `python` / `markers` restriction of the trigger's inline table.
fn key_insert(
    file: &SourceFile,
    tf: &Requirement,
    pkg: &str,
    spec: &str,
) -> Option<(Span, String)> {
    let text = file.text.as_str();
    let li = file.line_index(tf.loc.span.start);
    let start = file.line_start(li);
    let indent = text.get(start..tf.loc.span.start)?;
    if !indent.chars().all(|c| c == ' ' || c == '\t') {
        return None;
    }
    let last = file.line_index(tf.loc.span.end.saturating_sub(1).max(tf.loc.span.start));
    // Only when the entry ends its line (possibly with a comment).
    let line_end = file.line_start(last) + file.line_text(last).len();
    let tail = text.get(tf.loc.span.end..line_end)?.trim_start();
    if !(tail.is_empty() || tail.starts_with('#')) {
        return None;
    }
    if table_has_key(file, li, pkg) {
        return None;
    }
    let key_raw = text.get(tf.name_span.start..tf.name_span.end)?;
    let key = if key_raw.starts_with(['"', '\'']) {
        let q = &key_raw[..1];
        format!("{q}{pkg}{q}")
    } else if text.get(tf.loc.span.start..tf.loc.span.start + 1) == Some("\"") {
        format!("\"{pkg}\"")
    } else {
        pkg.to_owned()
    };
    let entry = text.get(tf.loc.span.start..tf.loc.span.end)?;
    let mut restrictions = Vec::new();
    if entry.trim_end().ends_with('}') {
        for k in ["python", "markers", "platform"] {
            if let Some(kv) = inline_key_value(entry, k) {
                restrictions.push(kv);
            }
        }
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

/// `key = "value"` inside an inline table's text, as written.
fn inline_key_value(entry: &str, key: &str) -> Option<String> {
    let open = entry.find('{')?;
    let inner = &entry[open + 1..];
    for part in inner.split(',') {
        let p = part.trim().trim_end_matches('}').trim();
        let Some((k, v)) = p.split_once('=') else {
            continue;
        };
        if k.trim() == key && v.trim().starts_with(['"', '\'']) {
            return Some(format!("{} = {}", k.trim(), v.trim()));
        }
    }
    None
}

/// Whether the TOML table holding line `li` already has a key `pkg` (inserting it again
/// would make the file invalid).
fn table_has_key(file: &SourceFile, li: usize, pkg: &str) -> bool {
    let is_header = |l: usize| file.line_text(l).trim_start().starts_with('[');
    let has = |l: usize| {
        let t = file.line_text(l).trim_start();
        let t = t.trim_start_matches(['"', '\'']);
        t.len() > pkg.len()
            && t[..pkg.len()].eq_ignore_ascii_case(pkg)
            && t[pkg.len()..]
                .trim_start_matches(['"', '\''])
                .trim_start()
                .starts_with('=')
    };
    let mut l = li;
    loop {
        if has(l) {
            return true;
        }
        if is_header(l) || l == 0 {
            break;
        }
        l -= 1;
    }
    let mut l = li + 1;
    while l < file.line_count() && !is_header(l) {
        if has(l) {
            return true;
        }
        l += 1;
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn relock_commands_by_file_name() {
        assert_eq!(
            relock_command(Path::new("a/Pipfile.lock")),
            Some("pipenv lock")
        );
        assert_eq!(
            relock_command(Path::new("poetry.lock")),
            Some("poetry lock")
        );
        assert_eq!(relock_command(Path::new("uv.lock")), Some("uv lock"));
        assert_eq!(relock_command(Path::new("pdm.lock")), Some("pdm lock"));
        assert_eq!(
            relock_command(Path::new("pylock.dev.toml")),
            Some("pip lock")
        );
        assert_eq!(relock_command(Path::new("requirements.txt")), None);
    }

    #[test]
    fn inline_key_values_keep_their_text() {
        assert_eq!(
            inline_key_value(
                r#"tensorflow = {version = "1.14.0", python = "<3.8"}"#,
                "python"
            ),
            Some(r#"python = "<3.8""#.to_owned())
        );
        assert_eq!(inline_key_value(r#"tf = {version = "1"}"#, "markers"), None);
    }

    #[test]
    fn string_tokens_refuse_escapes() {
        assert_eq!(string_token(r#"x = "*""#, 4), Some((Span::new(4, 7), '"')));
        assert_eq!(string_token(r#"x = "\u002a""#, 4), None);
        assert_eq!(string_token("x = '*'", 4), Some((Span::new(4, 7), '\'')));
    }
}
