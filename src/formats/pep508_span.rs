//! PEP 508 requirement strings with byte spans for their parts.
//!
//! `pep508_rs` parses a requirement but keeps no spans for the parts of one that parses, so
//! this module parses with `pep508_rs` (the semantics) and then locates the name and the
//! version specifier in the text itself (the spans). The grammar it follows is PEP 508's:
//!
//! ```text
//! specification = wsp* ( url_req | name_req ) wsp*
//! name_req      = name wsp* extras? wsp* versionspec? wsp* quoted_marker?
//! url_req       = name wsp* extras? wsp* urlspec wsp+ quoted_marker?
//! versionspec   = ( '(' version_many ')' ) | version_many
//! ```
//!
//! Self-contained on purpose: other format modules may carry a similar helper.

use pep508_rs::{VerbatimUrl, VersionOrUrl};

use crate::manifest::{FileId, Loc, Problem, ProblemKind, Requirement, Role, Syntax, VersionReq};
use crate::source::{floor_char_boundary, Span};

type Pep508Requirement = pep508_rs::Requirement<VerbatimUrl>;

/// Parse the PEP 508 requirement at `span` of `text`, whose bytes are exactly the
/// requirement (no escapes), and locate the spans of its parts.
pub fn requirement_at(
    text: &str,
    span: Span,
    file: FileId,
    role: Role,
    syntax: Syntax,
) -> Result<Requirement, Problem> {
    let Some(src) = text.get(span.start..span.end) else {
        return Err(problem(
            file,
            span,
            "requirement span is not valid text".into(),
        ));
    };
    let req = parse(src).map_err(|(start, len, message)| {
        // pep508_rs error offsets are byte offsets into the string it was given.
        let s = floor_char_boundary(src, start.min(src.len()));
        let e = floor_char_boundary(src, s.saturating_add(len.max(1)).min(src.len()));
        let at = if s == e && !src.is_empty() {
            Span::new(0, src.len())
        } else {
            Span::new(s, e)
        };
        problem(file, span.sub(at), message)
    })?;
    let parts = locate(src);
    let name_span = span.sub(parts.name);
    let version = match req.version_or_url {
        None => VersionReq::Any,
        Some(VersionOrUrl::Url(_)) => VersionReq::Unversioned,
        Some(VersionOrUrl::VersionSpecifier(specifiers)) => {
            if specifiers.is_empty() {
                VersionReq::Any
            } else {
                let spec_span = parts.specifier.map(|s| span.sub(s)).unwrap_or(span);
                let clauses: Vec<Span> = parts.clauses.iter().map(|c| span.sub(*c)).collect();
                let clauses = if clauses.len() == specifiers.len() {
                    clauses
                } else {
                    Vec::new()
                };
                VersionReq::Specifiers {
                    specifiers,
                    span: spec_span,
                    clauses,
                }
            }
        }
    };
    Ok(Requirement {
        name: req.name,
        extras: req.extras,
        version,
        marker: req.marker,
        role,
        syntax,
        loc: Loc { file, span },
        name_span,
        hashed: false,
        pre: false,
    })
}

/// Parse a requirement whose text in the file does not map byte for byte onto its value
/// (a string literal with escapes, implicitly concatenated literals): every part's span is
/// the whole `literal` span, so diagnostics underline the literal and fixes replace it.
pub fn requirement_in_literal(
    value: &str,
    literal: Span,
    file: FileId,
    role: Role,
    syntax: Syntax,
) -> Result<Requirement, Problem> {
    let req = parse(value).map_err(|(_, _, message)| problem(file, literal, message))?;
    let version = match req.version_or_url {
        None => VersionReq::Any,
        Some(VersionOrUrl::Url(_)) => VersionReq::Unversioned,
        Some(VersionOrUrl::VersionSpecifier(s)) if s.is_empty() => VersionReq::Any,
        Some(VersionOrUrl::VersionSpecifier(specifiers)) => VersionReq::Specifiers {
            specifiers,
            span: literal,
            clauses: Vec::new(),
        },
    };
    Ok(Requirement {
        name: req.name,
        extras: req.extras,
        version,
        marker: req.marker,
        role,
        syntax,
        loc: Loc {
            file,
            span: literal,
        },
        name_span: literal,
        hashed: false,
        pre: false,
    })
}

fn parse(src: &str) -> Result<Pep508Requirement, (usize, usize, String)> {
    if src.trim().is_empty() {
        return Err((0, src.len(), "empty requirement".into()));
    }
    super::guard::parse_requirement::<VerbatimUrl>(src).map_err(|e| (e.start, e.len, e.message))
}

fn problem(file: FileId, span: Span, message: String) -> Problem {
    Problem {
        kind: ProblemKind::Parse,
        loc: Loc { file, span },
        message,
        help: None,
    }
}

/// Spans (relative to the requirement text) of the parts of a requirement that parsed.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Parts {
    pub name: Span,
    /// The specifier text, without surrounding parentheses and whitespace.
    pub specifier: Option<Span>,
    /// One span per comma-separated clause, trimmed.
    pub clauses: Vec<Span>,
}

/// Locate the name and specifier of a requirement string that `pep508_rs` accepted.
pub fn locate(src: &str) -> Parts {
    let b = src.as_bytes();
    let mut i = skip_ws(b, 0);
    let name_start = i;
    // PEP 508: identifier = letterOrDigit identifier_end*, identifier_end = letterOrDigit |
    // (('-' | '_' | '.')* letterOrDigit).
    while i < b.len() && (b[i].is_ascii_alphanumeric() || matches!(b[i], b'-' | b'_' | b'.')) {
        i += 1;
    }
    let name = Span::new(name_start, i);
    i = skip_ws(b, i);
    if b.get(i) == Some(&b'[') {
        while i < b.len() && b[i] != b']' {
            i += 1;
        }
        i = (i + 1).min(b.len());
        i = skip_ws(b, i);
    }
    let (start, end) = match b.get(i) {
        None | Some(b';') | Some(b'@') => {
            return Parts {
                name,
                specifier: None,
                clauses: vec![],
            }
        }
        Some(b'(') => {
            let s = i + 1;
            let e = b[s..]
                .iter()
                .position(|&c| c == b')')
                .map_or(b.len(), |p| s + p);
            (s, e)
        }
        Some(_) => {
            let e = b[i..]
                .iter()
                .position(|&c| c == b';')
                .map_or(b.len(), |p| i + p);
            (i, e)
        }
    };
    let (start, end) = trim(b, start, end);
    let mut clauses = Vec::new();
    let mut s = start;
    for (k, &c) in b[start..end].iter().enumerate() {
        if c == b',' {
            let (cs, ce) = trim(b, s, start + k);
            clauses.push(Span::new(cs, ce));
            s = start + k + 1;
        }
    }
    let (cs, ce) = trim(b, s, end);
    clauses.push(Span::new(cs, ce));
    Parts {
        name,
        specifier: Some(Span::new(start, end)),
        clauses,
    }
}

fn skip_ws(b: &[u8], mut i: usize) -> usize {
    while i < b.len() && matches!(b[i], b' ' | b'\t') {
        i += 1;
    }
    i
}

fn trim(b: &[u8], mut s: usize, mut e: usize) -> (usize, usize) {
    while s < e && b[s].is_ascii_whitespace() {
        s += 1;
    }
    while e > s && b[e - 1].is_ascii_whitespace() {
        e -= 1;
    }
    (s, e)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(text: &str, sub: &str) -> Requirement {
        let s = text.find(sub).unwrap();
        requirement_at(
            text,
            Span::new(s, s + sub.len()),
            0,
            Role::Require,
            Syntax::Pep508,
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
        assert_eq!(&text[r.name_span.start..r.name_span.end], "numpy");
        let VersionReq::Specifiers {
            specifiers,
            span,
            clauses,
        } = &r.version
        else {
            panic!()
        };
        assert_eq!(&text[span.start..span.end], ">= 1.16 , <1.17");
        let c: Vec<&str> = clauses.iter().map(|c| &text[c.start..c.end]).collect();
        assert_eq!(c, [">= 1.16", "<1.17"]);
        assert_eq!(specifiers.len(), 2);
        assert_eq!(r.extras.len(), 1);
        assert!(r.marker.contents().unwrap().to_string().contains("python"));
    }

    #[test]
    fn parenthesised_specifier_and_url_and_bare() {
        let text = "numpy (>=1.16)";
        let r = at(text, text);
        let VersionReq::Specifiers { span, .. } = r.version else {
            panic!()
        };
        assert_eq!(&text[span.start..span.end], ">=1.16");
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
        let e = requirement_at(text, Span::new(s, s + 9), 3, Role::Require, Syntax::Pep508)
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
            Syntax::Pep508,
        )
        .unwrap();
        assert_eq!(r.name_span, Span::new(5, 20));
        assert!(
            matches!(r.version, VersionReq::Specifiers { span, .. } if span == Span::new(5, 20))
        );
    }
}
