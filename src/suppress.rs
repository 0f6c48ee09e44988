//! Inline suppressions: `# depwindow: ignore[outside-window] reason` on the line of a
//! finding silences it; `# depwindow: ignore reason` silences every finding on the line.
//!
//! Syntax. The directive lives in a comment: a `#` at the start of a line or after
//! whitespace (pip's rule for requirements files, `(^|\s+)#`), outside any quoted string on
//! that line (TOML, YAML, setup.cfg and setup.py use `#` comments too). The comment may hold
//! other text before the directive (`# pinned by CI  # depwindow: ignore[DW101]`). Inside the
//! brackets: comma-separated check codes (`DW101`), check names (`outside-window`) or rule
//! ids (`tensorflow-1.14/numpy`). Anything after `]` (or after a bare `ignore`) is the
//! reason; a leading `:` or `-` is dropped. JSON files (Pipfile.lock) have no comments and
//! are not scanned.
//!
//! Which findings a suppression covers. The physical lines a finding's primary location
//! spans, extended over backslash continuations (a requirement written over several lines
//! with trailing `\`, as pip joins them), form its logical line. A suppression on any of
//! those physical lines covers the finding. So for
//! ```text
//! numpy>=1.14.5 \
//!     ; python_version < "3.8"   # depwindow: ignore[DW101] bounded by constraints.txt
//! ```
//! the finding on `>=1.14.5` (line 1) is covered by the comment on line 2.
//!
//! A suppression, or one code in it, that covers nothing is itself reported as
//! `unused-suppression` (DW201), at the code (or the whole comment for a bare `ignore`).
//! Usage is counted across every unit that read the file, after configuration selection:
//! a code for a check the configuration disables is unused, as in ruff's RUF100.

use crate::diagnostic::{Check, Diagnostic, Severity};
use crate::files::Files;
use crate::manifest::{FileId, Loc};
use crate::source::{SourceFile, Span};

/// What one code inside the brackets names.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Target {
    Check(Check),
    Rule(String),
    /// Not a known check and not shaped like a rule id.
    Unknown(String),
}

impl Target {
    fn parse(s: &str) -> Target {
        if let Some(c) = Check::from_str_loose(s) {
            Target::Check(c)
        } else if s.contains('/') && !s.contains(char::is_whitespace) {
            Target::Rule(s.to_owned())
        } else {
            Target::Unknown(s.to_owned())
        }
    }

    fn matches(&self, d: &Diagnostic) -> bool {
        match self {
            Target::Check(c) => d.check == *c,
            Target::Rule(r) => d.rule.as_deref() == Some(r.as_str()),
            Target::Unknown(_) => false,
        }
    }
}

/// One suppression comment.
#[derive(Clone, Debug)]
pub(crate) struct Suppression {
    pub file: FileId,
    /// 0-based line index.
    pub line: usize,
    /// From the directive's `#` to the end of the line.
    pub comment: Span,
    /// The codes with their spans; empty for a bare `ignore` (everything on the line).
    pub codes: Vec<(Target, Span)>,
    pub reason: String,
    /// Set when the comment is malformed (it then suppresses nothing).
    pub malformed: Option<String>,
}

/// Whether a file can hold `#` comments (JSON cannot).
pub(crate) fn has_comments(file: &SourceFile) -> bool {
    let name = file
        .path
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or("")
        .to_ascii_lowercase();
    !(name == "pipfile.lock" || name.ends_with(".json"))
}

/// The byte offset in `line` where a comment starts: a `#` at the start or after
/// whitespace, outside quotes.
fn comment_start(line: &str) -> Option<usize> {
    let mut quote: Option<char> = None;
    let mut escaped = false;
    let mut prev_ws = true;
    for (i, c) in line.char_indices() {
        match quote {
            Some(q) => {
                if escaped {
                    escaped = false;
                } else if c == '\\' && q == '"' {
                    escaped = true;
                } else if c == q {
                    quote = None;
                }
            }
            None => {
                if c == '#' && prev_ws {
                    return Some(i);
                }
                if c == '"' || c == '\'' {
                    quote = Some(c);
                }
            }
        }
        prev_ws = c.is_whitespace();
    }
    None
}

/// Find the suppressions in one file.
pub(crate) fn scan(file: &SourceFile, id: FileId) -> Vec<Suppression> {
    let mut out = Vec::new();
    // Every directive contains `depwindow:` (see `parse_directive`): a file without it has
    // none, and most files have none, so skip the per-line comment scan for them.
    if !has_comments(file) || !file.text.contains("depwindow:") {
        return out;
    }
    for line in 0..file.line_count() {
        let text = file.line_text(line);
        let Some(start) = comment_start(text) else {
            continue;
        };
        let base = file.line_start(line);
        let comment = &text[start..];
        // The directive may follow other comment text: look at every `#` in the comment.
        for (i, _) in comment.match_indices('#') {
            let at = start + i;
            if let Some(s) = parse_directive(text, at, base, id, line) {
                out.push(s);
                break;
            }
        }
    }
    out
}

/// Parse `# depwindow: ignore...` starting at byte `at` of `line` (which starts at `base`).
fn parse_directive(
    line: &str,
    at: usize,
    base: usize,
    file: FileId,
    line_no: usize,
) -> Option<Suppression> {
    let rest = line.get(at + 1..)?;
    let after_hash = rest.trim_start();
    let body = after_hash.strip_prefix("depwindow:")?;
    let body_trim = body.trim_start();
    let after = body_trim.strip_prefix("ignore")?;
    // `ignored`, `ignore_me`: not our directive.
    if after
        .chars()
        .next()
        .is_some_and(|c| c.is_alphanumeric() || c == '_' || c == '-')
    {
        return None;
    }
    let comment = Span::new(base + at, base + line.len());
    // Offset of `after` within `line`.
    let after_off = line.len() - after.len();
    let mut s = Suppression {
        file,
        line: line_no,
        comment,
        codes: Vec::new(),
        reason: String::new(),
        malformed: None,
    };
    let reason_text;
    if let Some(inner) = after.strip_prefix('[') {
        let Some(close) = inner.find(']') else {
            s.malformed = Some("malformed suppression: missing `]`".into());
            return Some(s);
        };
        let list = &inner[..close];
        let list_off = after_off + 1;
        let mut pos = 0;
        for part in list.split(',') {
            let trimmed = part.trim();
            let lead = part.len() - part.trim_start().len();
            if !trimmed.is_empty() {
                let start = base + list_off + pos + lead;
                s.codes.push((
                    Target::parse(trimmed),
                    Span::new(start, start + trimmed.len()),
                ));
            }
            pos += part.len() + 1;
        }
        if s.codes.is_empty() {
            s.malformed = Some("malformed suppression: empty `[]`; write the codes to silence, or drop the brackets to silence everything on the line".into());
            return Some(s);
        }
        reason_text = &inner[close + 1..];
    } else {
        reason_text = after;
    }
    let r = reason_text.trim();
    let r = r
        .strip_prefix(':')
        .or_else(|| r.strip_prefix('-'))
        .unwrap_or(r)
        .trim();
    s.reason = r.to_owned();
    Some(s)
}

/// The 0-based physical lines a location's logical line covers (see the module docs).
pub(crate) fn logical_lines(file: &SourceFile, span: Span) -> (usize, usize) {
    let mut first = file.line_index(span.start);
    let mut last = file.line_index(span.end.max(span.start + 1) - 1).max(first);
    let continued = |l: usize| file.line_text(l).trim_end().ends_with('\\');
    while first > 0 && continued(first - 1) {
        first -= 1;
    }
    while last + 1 < file.line_count() && continued(last) {
        last += 1;
    }
    (first, last)
}

/// How far a suppression was used: one flag per code (one flag for a bare `ignore`).
pub(crate) type Usage = Vec<bool>;

/// Mark the findings the suppressions cover (`suppressed = Some(reason)`) and return which
/// suppression codes were used.
pub(crate) fn apply(files: &Files, diags: &mut [Diagnostic], sups: &[Suppression]) -> Vec<Usage> {
    let mut usage: Vec<Usage> = sups
        .iter()
        .map(|s| vec![false; s.codes.len().max(1)])
        .collect();
    for d in diags.iter_mut() {
        if d.check == Check::UnusedSuppression || d.loc.file >= files.len() {
            continue;
        }
        let file = files.get(d.loc.file);
        let (first, last) = logical_lines(file, d.loc.span);
        for (si, s) in sups.iter().enumerate() {
            if s.file != d.loc.file || s.line < first || s.line > last || s.malformed.is_some() {
                continue;
            }
            let mut hit = false;
            if s.codes.is_empty() {
                usage[si][0] = true;
                hit = true;
            } else {
                for (ci, (t, _)) in s.codes.iter().enumerate() {
                    if t.matches(d) {
                        usage[si][ci] = true;
                        hit = true;
                    }
                }
            }
            if hit && d.suppressed.is_none() {
                d.suppressed = Some(s.reason.clone());
            }
        }
    }
    usage
}

/// The `unused-suppression` findings for one suppression and its usage.
pub(crate) fn unused(s: &Suppression, usage: &[bool], file: FileId) -> Vec<Diagnostic> {
    let mk = |span: Span, message: String| {
        let mut d = Diagnostic::problem(
            Check::UnusedSuppression,
            Severity::Warning,
            Loc { file, span },
            message,
        );
        d.label = "suppresses nothing".into();
        d.help = Some("remove it, or correct the code if it was meant for another check".into());
        d
    };
    if let Some(m) = &s.malformed {
        return vec![mk(s.comment, m.clone())];
    }
    if s.codes.is_empty() {
        if usage.first().copied().unwrap_or(false) {
            return Vec::new();
        }
        return vec![mk(
            s.comment,
            "unused suppression: no finding on this line".into(),
        )];
    }
    s.codes
        .iter()
        .zip(usage.iter().chain(std::iter::repeat(&false)))
        .filter(|(_, used)| !**used)
        .map(|((t, span), _)| match t {
            Target::Unknown(code) => mk(
                *span,
                format!(
                    "unused suppression: `{code}` is not a known check code, check name or rule id"
                ),
            ),
            Target::Check(c) => mk(
                *span,
                format!(
                    "unused suppression: no `{}` ({}) finding on this line",
                    c.code(),
                    c.name()
                ),
            ),
            Target::Rule(r) => mk(
                *span,
                format!("unused suppression: no finding from rule `{r}` on this line"),
            ),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scan_text(name: &str, text: &str) -> Vec<Suppression> {
        let f = SourceFile::from_text(name, name.into(), text);
        scan(&f, 0)
    }

    #[test]
    fn parses_codes_reason_and_spans() {
        let text =
            "numpy>=1.14.5  # depwindow: ignore[DW101, tensorflow-1.14/numpy]: pinned by CI\n";
        let s = scan_text("requirements.txt", text);
        assert_eq!(s.len(), 1);
        assert_eq!(s[0].reason, "pinned by CI");
        assert_eq!(s[0].codes.len(), 2);
        assert_eq!(s[0].codes[0].0, Target::Check(Check::OutsideWindow));
        assert_eq!(&text[s[0].codes[0].1.start..s[0].codes[0].1.end], "DW101");
        assert_eq!(
            &text[s[0].codes[1].1.start..s[0].codes[1].1.end],
            "tensorflow-1.14/numpy"
        );
        assert_eq!(
            &text[s[0].comment.start..s[0].comment.start + 12],
            "# depwindow:"
        );
    }

    #[test]
    fn bare_ignore_and_non_directives() {
        let s = scan_text("r.txt", "numpy # depwindow: ignore because\n");
        assert!(s[0].codes.is_empty());
        assert_eq!(s[0].reason, "because");
        assert!(scan_text("r.txt", "numpy # depwindow: ignored\n").is_empty());
        // `#` inside a URL fragment is not a comment (no whitespace before it).
        assert!(scan_text("r.txt", "pkg @ https://x/y#depwindow: ignore\n").is_empty());
        // Inside a TOML string.
        assert!(scan_text("pyproject.toml", "a = \"x # depwindow: ignore\"\n").is_empty());
        // Other comment text first.
        let s = scan_text("r.txt", "numpy  # pinned  # depwindow: ignore[DW102]\n");
        assert_eq!(s[0].codes[0].0, Target::Check(Check::Unconstrained));
        // JSON has no comments.
        assert!(scan_text("Pipfile.lock", "{} # depwindow: ignore\n").is_empty());
    }

    #[test]
    fn malformed_is_reported_not_silently_dropped() {
        let s = scan_text("r.txt", "numpy # depwindow: ignore[DW101\n");
        assert!(s[0].malformed.is_some());
        let s = scan_text("r.txt", "numpy # depwindow: ignore[]\n");
        assert!(s[0].malformed.is_some());
    }

    #[test]
    fn continuation_lines_form_one_logical_line() {
        let text = "a\nnumpy>=1.14.5 \\\n  ; python_version < \"3.8\"  # x\nb\n";
        let f = SourceFile::from_text("r.txt", "r.txt".into(), text);
        let start = text.find(">=").unwrap();
        assert_eq!(logical_lines(&f, Span::new(start, start + 8)), (1, 2));
        let b = text.rfind('b').unwrap();
        assert_eq!(logical_lines(&f, Span::new(b, b + 1)), (3, 3));
    }
}
