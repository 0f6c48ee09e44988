//! Property test: requirements files built from random fragments (names, extras, specifiers,
//! markers, comments, hashes, continuations, CRLF, non-ASCII text) parse into requirements
//! whose spans lie inside the text on char boundaries, and whose name span slices to the
//! requirement's name.

use std::path::Path;
use std::str::FromStr;

use depwindow::files::Files;
use depwindow::formats::requirements::parse_unit;
use depwindow::manifest::VersionReq;
use pep508_rs::PackageName;
use proptest::prelude::*;

fn line() -> impl Strategy<Value = String> {
    let name = prop::sample::select(vec![
        "numpy",
        "tensorflow",
        "Numpy",
        "a.b-c_d",
        "h5py",
        "caf\u{e9}",
    ]);
    let extras = prop::sample::select(vec!["", "[gpu]", "[ a , b ]", "[\u{e9}]"]);
    let spec = prop::sample::select(vec![
        "",
        ">=1.16",
        " >= 1.16 , <1.17",
        "==1.16.*",
        "~=1.16.0",
        "(>=1.14.5,<1.17)",
        "===1.16.4",
        "!=1.17",
        ">=>1",
        " @ https://x/y.whl",
    ]);
    let marker = prop::sample::select(vec![
        "",
        " ; python_version < \"3.8\"",
        ";extra=='gpu'",
        " ; (os_name == 'nt' or sys_platform == 'linux')",
        " ; python_version > '3' \u{e9}",
        "; ((((",
        ";platform_version=='caf\u{e9}'",
    ]);
    let tail = prop::sample::select(vec![
        "",
        " # comment \u{2603}",
        " --hash=sha256:00ff",
        " \\\n    --hash=sha256:ab",
        " \\\r\n  ",
        "  \t",
    ]);
    let special = prop::sample::select(vec![
        "-r other.txt",
        "--pre",
        "# only a comment",
        "",
        "-e .",
        "\u{feff}numpy",
        "${VAR}numpy",
    ]);
    prop_oneof![
        4 => (name, extras, spec, marker, tail).prop_map(|(n, e, s, m, t)| format!("{n}{e}{s}{m}{t}")),
        1 => special.prop_map(str::to_owned),
    ]
}

fn file() -> impl Strategy<Value = String> {
    (prop::collection::vec(line(), 0..12), any::<bool>())
        .prop_map(|(lines, crlf)| lines.join(if crlf { "\r\n" } else { "\n" }))
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2000, ..ProptestConfig::default() })]

    #[test]
    fn requirement_spans_are_in_bounds_and_name_the_requirement(text in file()) {
        let mut files = Files::new("/nonexistent".into());
        let id = files.add(Path::new("/nonexistent/requirements.txt"), text.as_bytes());
        let parsed = parse_unit(&mut files, id);
        let src = &files.get(id).text;
        let ok = |s: depwindow::source::Span| {
            s.start <= s.end && s.end <= src.len() && src.is_char_boundary(s.start)
                && src.is_char_boundary(s.end)
        };
        for r in &parsed.requirements {
            prop_assert!(ok(r.loc().span), "{:?} in {:?}", r.loc().span, text);
            prop_assert!(ok(r.name_span()), "{:?} in {:?}", r.name_span(), text);
            // The stand-in of a line that does not parse (`formats::parse` takes it out)
            // spans its whole line.
            if r.role == depwindow::manifest::Role::Unparsed {
                continue;
            }
            let name = &src[r.name_span().start..r.name_span().end];
            let parsed_name = PackageName::from_str(name).ok();
            prop_assert_eq!(parsed_name.as_ref().map(ToString::to_string), Some(r.name.to_string()), "{:?}", text);
            if let VersionReq::Specifiers { span, clauses, .. } = &r.version {
                let span = span.get();
                prop_assert!(ok(span));
                for c in clauses.iter() {
                    prop_assert!(ok(c));
                    prop_assert!(c.start >= span.start && c.end <= span.end);
                }
            }
        }
        for p in &parsed.problems {
            prop_assert!(ok(p.loc.span), "{:?} in {:?}", p.loc.span, text);
        }
    }
}

/// A requirement string from parts, valid and invalid, with no requirements-file syntax
/// around it (no comment, option, continuation or leading blank).
fn requirement_string() -> impl Strategy<Value = String> {
    let name = prop::sample::select(vec!["numpy", "Numpy", "a.b-c_d", "h5py", "caf\u{e9}", "a-"]);
    let extras = prop::sample::select(vec!["", "[gpu]", " [ a , b ]", "[\u{e9}]", "[x"]);
    let spec = prop::sample::select(vec![
        "",
        ">=1.16",
        " >= 1.16 , <1.17",
        ">=1.16,",
        "==1.16.*",
        "~=1.16.0",
        " (>=1.14.5,<1.17)",
        "(>=1.14.5,<1.17",
        "===1.16.4",
        "!=1.17,!=1.18",
        "\u{3000}>=1.16\u{a0},<2",
        ">=>1",
        ">=1.0.0.0.0a1.post2.dev3+loc.al",
        "<=x",
        " @ https://x/y.whl",
    ]);
    let marker = prop::sample::select(vec![
        "",
        " ; python_version < \"3.8\"",
        ";extra=='gpu'",
        " ; (os_name == 'nt' or sys_platform == 'linux')",
        " ; python_version > '3' \u{e9}",
        "; ((((",
        ";platform_version=='caf\u{e9}'",
        "; python_version <",
    ]);
    // After a URL, PEP 508 needs a blank before the `;` (pip's requirements-file reader
    // splits at any `;` of a line that is not a URL: a known difference of the two doors).
    (name, extras, spec, marker).prop_map(|(n, e, s, m)| {
        let gap = if s.contains('@') && m.starts_with(';') {
            " "
        } else {
            ""
        };
        format!("{n}{e}{s}{gap}{m}")
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2000, ..ProptestConfig::default() })]

    /// The one PEP 508 part scanner behind both doors: a requirement string read as a
    /// requirements-file line (pip's marker split, then pep508_rs) and as a TOML / setup.cfg
    /// value (pep508_rs on the whole string) is accepted or rejected alike, and what is kept
    /// has the same name, extras, specifiers, marker and the same spans of name, specifier
    /// and each clause.
    #[test]
    fn requirement_line_and_pep508_value_agree(s in requirement_string()) {
        use depwindow::formats::{pep508, requirements, Format};
        use depwindow::manifest::Role;
        use depwindow::source::Span;
        let line = requirements::parse_text(0, &s, 7, Role::Require);
        let value = pep508::requirement(
            &s,
            Span::new(7, 7 + s.len()),
            true,
            0,
            Role::Require,
            Format::Pyproject,
        );
        // A line that does not parse leaves a stand-in (`Role::Unparsed`, taken out by
        // `formats::parse`): not a requirement read.
        let read: Vec<&depwindow::manifest::Requirement> = line
            .requirements
            .iter()
            .filter(|r| r.role != Role::Unparsed)
            .collect();
        match (&read[..], value) {
            ([a], Ok(b)) => {
                prop_assert!(line.problems.is_empty(), "{:?}: {:?}", s, line.problems);
                prop_assert_eq!(&a.name, &b.name, "{:?}", s);
                prop_assert_eq!(a.extras(), b.extras(), "{:?}", s);
                prop_assert_eq!(a.marker(), b.marker(), "{:?}", s);
                prop_assert_eq!(a.loc().span, b.loc().span, "{:?}", s);
                prop_assert_eq!(a.name_span(), b.name_span(), "{:?}", s);
                match (&a.version, &b.version) {
                    (VersionReq::Any, VersionReq::Any)
                    | (VersionReq::Unversioned, VersionReq::Unversioned) => {}
                    (
                        VersionReq::Specifiers { specifiers: x, span: xs, clauses: xc },
                        VersionReq::Specifiers { specifiers: y, span: ys, clauses: yc },
                    ) => {
                        prop_assert_eq!(x, y, "{:?}", s);
                        prop_assert_eq!(xs, ys, "{:?}", s);
                        prop_assert_eq!(xc, yc, "{:?}", s);
                        // A clause span per specifier, each slicing to one clause.
                        prop_assert_eq!(xc.len(), x.len(), "{:?}", s);
                    }
                    (x, y) => prop_assert!(false, "{:?}: {:?} vs {:?}", s, x, y),
                }
            }
            ([], Err(_)) => prop_assert!(!line.problems.is_empty(), "{:?}", s),
            (a, b) => prop_assert!(false, "{:?}: line {:?} / {:?}, value {:?}", s, a, line.problems, b),
        }
    }
}
