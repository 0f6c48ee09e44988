//! A PEP 508 requirement string that sits somewhere in a file (a TOML string, a setup.cfg
//! line ...) turned into a [`Requirement`] with spans for its name, its specifier set and
//! each comma clause.
//!
//! pep508_rs parses the string but keeps no positions for its parts, so we find the name,
//! extras and specifier text ourselves with a small scanner that follows the PEP 508
//! grammar:
//!
//! ```text
//! name_req = name wsp* extras? wsp* versionspec? wsp* quoted_marker?
//! url_req  = name wsp* extras? wsp* urlspec (wsp+ | end) quoted_marker?
//! versionspec = ( '(' version_many ')' ) | version_many
//! ```

use pep508_rs::{MarkerTree, VersionOrUrl};

use crate::manifest::{FileId, Loc, Problem, ProblemKind, Requirement, Role, Syntax, VersionReq};
use crate::source::Span;

/// Parse `value` (the decoded string) found at `at` in file `file`. When `exact` is true,
/// `at` covers exactly the bytes of `value` and inner spans are computed; otherwise every
/// inner span is `at` (the value had escapes, so offsets inside it are not file offsets).
pub fn requirement(
    value: &str,
    at: Span,
    exact: bool,
    file: FileId,
    role: Role,
) -> Result<Requirement, Problem> {
    let parsed = match super::guard::parse_requirement::<pep508_rs::VerbatimUrl>(value) {
        Ok(r) => r,
        Err(e) => {
            let span = if exact {
                let start = e.start.min(value.len());
                let end = (e.start + e.len.max(1)).min(value.len()).max(start);
                at.sub(Span::new(start, end))
            } else {
                at
            };
            return Err(Problem {
                kind: ProblemKind::Parse,
                loc: Loc { file, span },
                message: format!("invalid requirement `{}`: {}", value.trim(), e.message),
                help: None,
            });
        }
    };
    let layout = layout(value);
    let rel = |s: Span| if exact { at.sub(s) } else { at };
    let version = match parsed.version_or_url {
        None => VersionReq::Any,
        Some(VersionOrUrl::Url(_)) => VersionReq::Unversioned,
        Some(VersionOrUrl::VersionSpecifier(specifiers)) => {
            let (span, clauses) = match &layout.spec {
                Some((s, c)) if exact => {
                    let clauses = if c.len() == specifiers.len() {
                        c.iter().map(|&c| at.sub(c)).collect()
                    } else {
                        Vec::new()
                    };
                    (at.sub(*s), clauses)
                }
                _ => (at, Vec::new()),
            };
            if specifiers.is_empty() {
                VersionReq::Any
            } else {
                VersionReq::Specifiers {
                    specifiers,
                    span,
                    clauses,
                }
            }
        }
    };
    Ok(Requirement {
        name: parsed.name,
        extras: parsed.extras,
        version,
        marker: parsed.marker,
        role,
        syntax: Syntax::Pep508,
        loc: Loc { file, span: at },
        name_span: rel(layout.name),
        hashed: false,
        pre: false,
    })
}

/// Byte ranges inside a requirement string.
#[derive(Debug, PartialEq, Eq)]
pub struct Layout {
    pub name: Span,
    /// The specifier text (trimmed, without parentheses) and its comma clauses (trimmed).
    pub spec: Option<(Span, Vec<Span>)>,
}

/// Locate the name and the version specifier of a requirement string that pep508_rs
/// accepted. Only called on valid input, but written not to panic on anything.
pub fn layout(s: &str) -> Layout {
    let b = s.as_bytes();
    let mut i = 0;
    let ws = |i: &mut usize| {
        while *i < b.len() && (b[*i] == b' ' || b[*i] == b'\t') {
            *i += 1;
        }
    };
    ws(&mut i);
    let name_start = i;
    while i < b.len() && (b[i].is_ascii_alphanumeric() || matches!(b[i], b'.' | b'-' | b'_')) {
        i += 1;
    }
    let name = Span::new(name_start, i);
    ws(&mut i);
    if b.get(i) == Some(&b'[') {
        while i < b.len() && b[i] != b']' {
            i += 1;
        }
        i = (i + 1).min(b.len());
        ws(&mut i);
    }
    if b.get(i) == Some(&b'@') {
        return Layout { name, spec: None };
    }
    let (start, end) = if b.get(i) == Some(&b'(') {
        let start = i + 1;
        let end = s[start..].find(')').map_or(s.len(), |e| start + e);
        (start, end)
    } else {
        let end = s[i..].find(';').map_or(s.len(), |e| i + e);
        (i, end)
    };
    let spec = trim(s, Span::new(start, end));
    if spec.is_empty() {
        return Layout { name, spec: None };
    }
    let mut clauses = Vec::new();
    let mut at = spec.start;
    for part in s[spec.start..spec.end].split(',') {
        clauses.push(trim(s, Span::new(at, at + part.len())));
        at += part.len() + 1;
    }
    Layout {
        name,
        spec: Some((spec, clauses)),
    }
}

fn trim(s: &str, span: Span) -> Span {
    let t = &s[span.start..span.end];
    let lead = t.len() - t.trim_start().len();
    let trail = t.len() - t.trim_end().len();
    Span::new(span.start + lead, (span.end - trail).max(span.start + lead))
}

/// Parse a marker expression, reporting a problem at `at` (whole-span; marker errors are
/// rare and usually need the whole expression shown).
pub fn marker(text: &str, at: Span, file: FileId) -> Result<MarkerTree, Problem> {
    super::guard::parse_marker(text).map_err(|e| Problem {
        kind: ProblemKind::Parse,
        loc: Loc { file, span: at },
        message: format!("invalid marker `{text}`: {}", e.message),
        help: None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn slice(s: &str, sp: Span) -> &str {
        &s[sp.start..sp.end]
    }

    #[test]
    fn spans_of_parts() {
        let s = "numpy [mkl] >= 1.16 , <1.17 ; python_version < '3.8'";
        let r = requirement(s, Span::new(10, 10 + s.len()), true, 0, Role::Require).unwrap();
        let file = format!("{}{s}", " ".repeat(10));
        assert_eq!(slice(&file, r.name_span), "numpy");
        let VersionReq::Specifiers {
            span,
            clauses,
            specifiers,
        } = &r.version
        else {
            panic!()
        };
        assert_eq!(slice(&file, *span), ">= 1.16 , <1.17");
        assert_eq!(
            clauses.iter().map(|c| slice(&file, *c)).collect::<Vec<_>>(),
            [">= 1.16", "<1.17"]
        );
        assert_eq!(specifiers.len(), 2);
        assert!(!r.marker.is_true());
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
        )
        .unwrap();
        assert!(matches!(r.version, VersionReq::Unversioned));
        let r = requirement("numpy", Span::new(0, 5), true, 0, Role::Require).unwrap();
        assert!(matches!(r.version, VersionReq::Any));
    }

    #[test]
    fn error_span_inside_value() {
        let e = requirement("numpy>=>1", Span::new(100, 109), true, 0, Role::Require).unwrap_err();
        assert!(
            e.loc.span.start >= 100 && e.loc.span.end <= 109,
            "{:?}",
            e.loc.span
        );
        let e = requirement("numpy>=>1", Span::new(100, 111), false, 0, Role::Require).unwrap_err();
        assert_eq!(e.loc.span, Span::new(100, 111));
    }
}
