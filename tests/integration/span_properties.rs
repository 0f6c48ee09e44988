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
            prop_assert!(ok(r.loc.span), "{:?} in {:?}", r.loc.span, text);
            prop_assert!(ok(r.name_span), "{:?} in {:?}", r.name_span, text);
            let name = &src[r.name_span.start..r.name_span.end];
            let parsed_name = PackageName::from_str(name).ok();
            prop_assert_eq!(parsed_name.as_ref(), Some(&r.name), "{:?}", text);
            if let VersionReq::Specifiers { span, clauses, .. } = &r.version {
                prop_assert!(ok(*span));
                for c in clauses {
                    prop_assert!(ok(*c));
                    prop_assert!(c.start >= span.start && c.end <= span.end);
                }
            }
        }
        for p in &parsed.problems {
            prop_assert!(ok(p.loc.span), "{:?} in {:?}", p.loc.span, text);
        }
    }
}
