//! The pip requirements reader: spans, pip's line rules, options and includes.

use crate::common;

use std::path::{Path, PathBuf};
use std::time::Duration;

use depwindow::files::Files;
use depwindow::formats::requirements::{parse_text, parse_unit, FileParse, IncludeKind};
use depwindow::manifest::{Parsed, ProblemKind, Requirement, Role, VersionReq};
use depwindow::source::Span;

/// The reader's answer without the stand-ins of lines that do not parse
/// (`Role::Unparsed`, which `formats::parse` takes out; see
/// `invalid_lines_are_reported_at_the_error_and_parsing_continues`).
fn parse(text: &str) -> FileParse {
    let mut fp = parse_text(0, text, 0, Role::Require);
    fp.requirements.retain(|r| r.role != Role::Unparsed);
    fp
}

fn slice(text: &str, span: Span) -> &str {
    &text[span.start..span.end]
}

fn names(reqs: &[Requirement]) -> Vec<String> {
    reqs.iter().map(|r| r.name.to_string()).collect()
}

fn only(fp: &FileParse) -> &Requirement {
    assert_eq!(fp.requirements.len(), 1, "{:#?}", fp.requirements);
    &fp.requirements[0]
}

fn spec_spans(r: &Requirement) -> (Span, Vec<Span>) {
    match &r.version {
        VersionReq::Specifiers { span, clauses, .. } => (span.get(), clauses.spans().to_vec()),
        other => panic!("expected specifiers, got {other:?}"),
    }
}

fn problems(fp: &FileParse, kind: ProblemKind) -> Vec<(String, Span)> {
    fp.problems
        .iter()
        .filter(|p| p.kind == kind)
        .map(|p| (p.message.clone(), p.loc.span))
        .collect()
}

#[test]
fn spans_of_a_plain_requirement() {
    let text = "# top\nnumpy [mkl] >=1.16, <1.17 ; python_version < \"3.8\"  # pinned for tf\n";
    let fp = parse(text);
    assert!(fp.problems.is_empty(), "{:?}", fp.problems);
    let r = only(&fp);
    assert_eq!(
        slice(text, r.loc().span),
        "numpy [mkl] >=1.16, <1.17 ; python_version < \"3.8\""
    );
    assert_eq!(slice(text, r.name_span()), "numpy");
    assert_eq!(r.extras().len(), 1);
    let (span, clauses) = spec_spans(r);
    assert_eq!(slice(text, span), ">=1.16, <1.17");
    let c: Vec<&str> = clauses.iter().map(|s| slice(text, *s)).collect();
    assert_eq!(c, [">=1.16", "<1.17"]);
    assert!(!r.marker().is_true());
    assert_eq!(r.role, Role::Require);
}

#[test]
fn parenthesised_specifiers_and_bare_names() {
    let text = "numpy (>=1.16,<1.17)\nscipy\nNumPy==1.16.4\n";
    let fp = parse(text);
    assert!(fp.problems.is_empty(), "{:?}", fp.problems);
    assert_eq!(names(&fp.requirements), ["numpy", "scipy", "numpy"]);
    let (span, clauses) = spec_spans(&fp.requirements[0]);
    // Inside the parentheses, as in every other format (one PEP 508 part scanner): a fix
    // that replaces the specifier keeps them balanced.
    assert_eq!(slice(text, span), ">=1.16,<1.17");
    assert_eq!(
        clauses.iter().map(|s| slice(text, *s)).collect::<Vec<_>>(),
        [">=1.16", "<1.17"]
    );
    assert!(matches!(fp.requirements[1].version, VersionReq::Any));
    assert_eq!(slice(text, fp.requirements[2].name_span()), "NumPy");
}

#[test]
fn continuation_splitting_the_specifier_maps_back() {
    let text = "numpy>=1.16,\\\n<1.17\nnum\\\npy==1.16.0\n";
    let fp = parse(text);
    assert!(fp.problems.is_empty(), "{:?}", fp.problems);
    let r = &fp.requirements[0];
    assert_eq!(slice(text, r.loc().span), "numpy>=1.16,\\\n<1.17");
    let (span, clauses) = spec_spans(r);
    assert_eq!(slice(text, span), ">=1.16,\\\n<1.17");
    assert_eq!(
        clauses.iter().map(|s| slice(text, *s)).collect::<Vec<_>>(),
        [">=1.16", "<1.17"]
    );
    // A clause that is itself split keeps both ends in the real text.
    let r = &fp.requirements[1];
    assert_eq!(r.name.to_string(), "numpy");
    assert_eq!(slice(text, r.name_span()), "num\\\npy");
    assert_eq!(slice(text, spec_spans(r).0), "==1.16.0");
}

#[test]
fn continuation_inside_a_version() {
    // pip strips every trailing backslash of a continued line (`str.strip("\\")`).
    let text = "numpy==1.1\\\\\n6.0\n";
    let fp = parse(text);
    let r = only(&fp);
    let (span, clauses) = spec_spans(r);
    assert_eq!(slice(text, span), "==1.1\\\\\n6.0");
    assert_eq!(slice(text, clauses[0]), "==1.1\\\\\n6.0");
    match &r.version {
        VersionReq::Specifiers { specifiers, .. } => assert_eq!(specifiers.to_string(), "==1.16.0"),
        _ => unreachable!(),
    }
}

#[test]
fn crlf_lone_cr_and_other_splitlines_separators() {
    let text = "six==1.0\r\nnumpy>=1.16\r\nscipy<2\rpandas\x0crequests\u{2028}idna\x1etoml";
    let fp = parse(text);
    assert!(fp.problems.is_empty(), "{:?}", fp.problems);
    assert_eq!(
        names(&fp.requirements),
        ["six", "numpy", "scipy", "pandas", "requests", "idna", "toml"]
    );
    assert_eq!(slice(text, fp.requirements[1].loc().span), "numpy>=1.16");
    assert_eq!(slice(text, spec_spans(&fp.requirements[2]).0), "<2");
    // Continuation across CRLF.
    let text = "numpy>=1.16,\\\r\n<1.17\r\n";
    let r = &parse(text).requirements[0];
    assert_eq!(slice(text, spec_spans(r).0), ">=1.16,\\\r\n<1.17");
}

#[test]
fn bom_is_stripped_and_offsets_map_to_disk() {
    let mut files = Files::new(PathBuf::from("/nonexistent"));
    let id = files.add(
        Path::new("/nonexistent/r.txt"),
        b"\xEF\xBB\xBFnumpy==1.16.0\n",
    );
    let parsed = parse_unit(&mut files, id);
    assert!(parsed.problems.is_empty(), "{:?}", parsed.problems);
    let r = &parsed.requirements[0];
    let f = files.get(id);
    assert_eq!(f.slice(r.loc().span), "numpy==1.16.0");
    assert_eq!(r.loc().span.start, 0);
    assert_eq!(f.position(r.loc().span.start).offset, 3);
}

#[test]
fn latin1_fallback_is_noted() {
    let mut files = Files::new(PathBuf::from("/nonexistent"));
    let id = files.add(
        Path::new("/nonexistent/r.txt"),
        b"# caf\xe9\nnumpy==1.16.0\n",
    );
    let parsed = parse_unit(&mut files, id);
    assert_eq!(parsed.requirements.len(), 1);
    let notes: Vec<_> = parsed
        .problems
        .iter()
        .filter(|p| p.kind == ProblemKind::Note)
        .collect();
    assert_eq!(notes.len(), 1);
    assert_eq!(notes[0].loc.span, Span::new(0, 0));
    assert!(notes[0].message.contains("Latin-1"));
    // Valid UTF-8 gets no note.
    let id = files.add(
        Path::new("/nonexistent/u.txt"),
        "# café\nnumpy\n".as_bytes(),
    );
    assert!(parse_unit(&mut files, id).problems.is_empty());
}

#[test]
fn comment_only_line_ends_a_continuation() {
    let text = "req1 \\\n# note \\\nreq2\n";
    let fp = parse(text);
    assert!(fp.problems.is_empty(), "{:?}", fp.problems);
    assert_eq!(names(&fp.requirements), ["req1", "req2"]);
    assert_eq!(slice(text, fp.requirements[0].loc().span), "req1");
    assert_eq!(slice(text, fp.requirements[1].loc().span), "req2");
    // A comment-only line with leading spaces is a comment line too.
    let fp = parse("a \\\n   # x \\\nb\n");
    assert_eq!(names(&fp.requirements), ["a", "b"]);
}

#[test]
fn trailing_comment_with_backslash_swallows_the_next_line() {
    // `a==1 # c \` is not a comment-only line, so pip joins `b==2` to it and the comment then
    // removes it: pip installs only `a`.
    let fp = parse("a==1 # c \\\nb==2\nc\n");
    assert_eq!(names(&fp.requirements), ["a", "c"]);
}

#[test]
fn hash_in_url_fragment_is_not_a_comment() {
    let text = "pkg @ https://example.com/pkg-1.0.tar.gz#sha256=abc # real comment\n";
    let fp = parse(text);
    assert!(fp.problems.is_empty(), "{:?}", fp.problems);
    let r = only(&fp);
    assert_eq!(
        slice(text, r.loc().span),
        "pkg @ https://example.com/pkg-1.0.tar.gz#sha256=abc"
    );
    assert!(matches!(r.version, VersionReq::Unversioned));
    // `#` glued to text is not a comment either, so this is a parse error, not `numpy`.
    let fp = parse("numpy#comment\n");
    assert!(fp.requirements.is_empty());
    assert_eq!(problems(&fp, ProblemKind::Parse).len(), 1);
}

const PIP_COMPILE: &str = "\
#
# This file is autogenerated by pip-compile with Python 3.7
# by the following command:
#
#    pip-compile --generate-hashes requirements.in
#
--index-url https://pypi.org/simple

absl-py==0.7.1 \\
    --hash=sha256:b943d1c567743ed0455878fcd60bc28ac9fae38d129d1ccfad58079da00b8951
    # via tensorflow
numpy==1.16.4 \\
    --hash=sha256:0778076e764e146d3078b17c24c4d89e0ecd4ac5401beff8e1c87879043a0633 \\
    --hash=sha256:141c7102f20abe6cf0d54c4ced8d565b86df4d3077ba2343b61a6db996cefec7
    # via
    #   -r requirements.in
    #   keras-applications
    #   tensorflow
tensorflow==1.14.0 \\
    --hash=sha256:0bd6a6b7e1a2ad0a49a8b5a4e93e0c5f0a67e6b7e36ac3ee00c0b7a6d11c3f1e
    # via -r requirements.in
";

#[test]
fn pip_compile_hashes_over_several_lines() {
    let fp = parse(PIP_COMPILE);
    assert!(fp.problems.is_empty(), "{:?}", fp.problems);
    assert_eq!(names(&fp.requirements), ["absl-py", "numpy", "tensorflow"]);
    assert!(fp.hashed);
    assert!(fp.requirements.iter().all(|r| r.hashed));
    let np = &fp.requirements[1];
    assert_eq!(slice(PIP_COMPILE, np.loc().span), "numpy==1.16.4");
    assert_eq!(slice(PIP_COMPILE, spec_spans(np).0), "==1.16.4");
    // `-r requirements.in` inside a `# via` comment is not an include.
    assert!(fp.includes.is_empty());
}

#[test]
fn hash_on_an_option_line_is_ignored_like_pip() {
    let fp = parse("--hash=sha256:abcd\nnumpy\n");
    assert!(!fp.hashed);
    assert_eq!(problems(&fp, ProblemKind::Note).len(), 1);
    let fp = parse("--require-hashes\nnumpy\n");
    assert!(fp.hashed && fp.requirements[0].hashed);
    // Bad hash algorithm: pip rejects the line; the span is the value.
    let text = "numpy==1.16.4 --hash=md5:abcd\nscipy\n";
    let fp = parse(text);
    let p = problems(&fp, ProblemKind::Parse);
    assert_eq!(p.len(), 1);
    assert_eq!(slice(text, p[0].1), "md5:abcd");
    assert_eq!(names(&fp.requirements), ["scipy"]);
}

#[test]
fn global_options_in_all_spellings() {
    let text = "\
-i https://a.example/simple
--index-url=https://a.example/simple
--extra-index-url https://b.example/simple
--extra-index=https://b.example/simple
--no-index
-f ./wheels
-f./wheels
--find-links=./wheels
--no-binary :all:
--only-binary=numpy
--prefer-binary
--trusted-host a.example
--use-feature=fast-deps
--require-hashes
--pypi-url https://c.example
numpy==1.16.4 --global-option=--quiet -C key=value --config-settings=k=v
";
    let fp = parse(text);
    assert!(fp.problems.is_empty(), "{:?}", fp.problems);
    assert_eq!(names(&fp.requirements), ["numpy"]);
    assert!(fp.hashed);
    assert!(!fp.pre);
}

#[test]
fn pre_applies_to_every_requirement() {
    let fp = parse("numpy>=1.16\n--pre\nscipy\n");
    assert!(fp.pre);
    assert!(fp.requirements.iter().all(|r| r.pre));
    // `--pre` on a requirement line is ignored by pip.
    let fp = parse("numpy>=1.16 --pre\n");
    assert!(!fp.pre && !fp.requirements[0].pre);
}

#[test]
fn unknown_ambiguous_and_malformed_options() {
    let text = "--frobnicate\n--no x\n--pre=yes\n-x\n--index-url\n--config-settings novalue\n-r 'unclosed\nnumpy\n";
    let fp = parse(text);
    let p = problems(&fp, ProblemKind::Parse);
    let spans: Vec<&str> = p.iter().map(|(_, s)| slice(text, *s)).collect();
    assert_eq!(
        spans,
        [
            "--frobnicate",
            "--no",
            "--pre=yes",
            "-x",
            "--index-url",
            "novalue",
            "-r 'unclosed"
        ]
    );
    assert!(
        p[0].0.contains("no such option: --frobnicate"),
        "{}",
        p[0].0
    );
    assert!(p[1].0.contains("ambiguous option"), "{}", p[1].0);
    assert!(p[2].0.contains("does not take a value"), "{}", p[2].0);
    assert_eq!(names(&fp.requirements), ["numpy"]);
}

#[test]
fn editable_vcs_url_and_path_lines() {
    let text = "\
-e git+https://github.com/org/proj.git@v1.0#egg=proj
--editable=git+https://github.com/org/other.git#egg=other-pkg&subdirectory=sub
-e .
-e ./local/project
git+https://github.com/org/vcs.git#egg=vcs-pkg
https://example.com/dl/archive-1.0.tar.gz
./pkg.tar.gz
./local/dir
../sibling
named @ https://example.com/named-1.0.zip
https://files.example/numpy-1.16.4%2Bmkl-cp37-cp37m-manylinux1_x86_64.whl
./wheels/scipy-1.3.0-cp37-cp37m-linux_x86_64.whl ; python_version < \"3.8\"
git+https://github.com/org/x.git#egg=x ; python_version < \"3.8\"
";
    let fp = parse(text);
    assert!(fp.problems.is_empty(), "{:?}", fp.problems);
    assert_eq!(
        names(&fp.requirements),
        [
            "proj",
            "other-pkg",
            "vcs-pkg",
            "named",
            "numpy",
            "scipy",
            "x"
        ]
    );
    for r in &fp.requirements {
        let name = slice(text, r.name_span())
            .to_ascii_lowercase()
            .replace('_', "-");
        assert_eq!(name, r.name.to_string());
    }
    assert!(matches!(
        fp.requirements[0].version,
        VersionReq::Unversioned
    ));
    assert_eq!(
        slice(text, fp.requirements[0].loc().span),
        "git+https://github.com/org/proj.git@v1.0#egg=proj"
    );
    assert!(matches!(
        fp.requirements[3].version,
        VersionReq::Unversioned
    ));
    // A wheel names its version: pip installs `scipy==1.3.0`.
    match &fp.requirements[5].version {
        VersionReq::Exact { version, span } => {
            assert_eq!(version.to_string(), "1.3.0");
            assert_eq!(slice(text, span.get()), "1.3.0");
        }
        other => panic!("{other:?}"),
    }
    assert!(!fp.requirements[5].marker().is_true());
    assert!(!fp.requirements[6].marker().is_true());
    match &fp.requirements[4].version {
        VersionReq::Exact { version, .. } => assert_eq!(version.to_string(), "1.16.4+mkl"),
        other => panic!("{other:?}"),
    }
}

#[test]
fn env_vars_make_a_line_unevaluable() {
    let text =
        "numpy==${NUMPY_VERSION}\nscipy>=${lower}\n-r ${DIR}/more.txt\npandas # ${IN_COMMENT}\n";
    let fp = parse(text);
    let u = problems(&fp, ProblemKind::Unevaluable);
    let spans: Vec<&str> = u.iter().map(|(_, s)| slice(text, *s)).collect();
    assert_eq!(spans, ["${NUMPY_VERSION}", "${DIR}"]);
    assert!(u[0].0.contains("cannot be evaluated"));
    assert!(fp.includes.is_empty());
    // `${lower}` is not pip's form: it stays literal and fails as PEP 508.
    assert_eq!(problems(&fp, ProblemKind::Parse).len(), 1);
    assert_eq!(names(&fp.requirements), ["pandas"]);
}

#[test]
fn invalid_lines_are_reported_at_the_error_and_parsing_continues() {
    let text = "numpy>=>1.16\nscipy==1.3.*.0\nfoo; python_version <<< '3'\ntensorflow==1.14.0\n";
    let fp = parse(text);
    let p = problems(&fp, ProblemKind::Parse);
    assert_eq!(p.len(), 3, "{p:?}");
    for (msg, span) in &p {
        assert!(!span.is_empty(), "{msg}");
        let line = text[..span.start].matches('\n').count();
        assert_eq!(text[span.end..].matches('\n').count(), 4 - line, "{msg}");
    }
    // The pep508 error offset lands inside the operator / version text.
    let first = slice(text, p[0].1);
    assert!(">=>1.16".contains(first), "{first:?}");
    assert!(slice(text, p[2].1).len() < "python_version <<< '3'".len() + 1);
    assert!(p[2].1.start >= text.find("python").unwrap());
    assert_eq!(names(&fp.requirements), ["tensorflow"]);
    // Each line that does not parse but starts with a name leaves a stand-in for it.
    let all = parse_text(0, text, 0, Role::Require);
    let stand_ins: Vec<String> = all
        .requirements
        .iter()
        .filter(|r| r.role == Role::Unparsed)
        .map(|r| r.name.to_string())
        .collect();
    assert_eq!(stand_ins, ["numpy", "scipy", "foo"]);
}

#[test]
fn error_inside_a_continued_line_maps_to_the_second_line() {
    let text = "numpy>=1.16,\\\n<<1.17\n";
    let fp = parse(text);
    let p = problems(&fp, ProblemKind::Parse);
    assert_eq!(p.len(), 1);
    assert!(p[0].1.start > text.find('\n').unwrap(), "{:?}", p[0]);
}

#[test]
fn parse_text_reports_includes_unresolved_with_base_offset() {
    let text = "-r base.txt\n--constraint 'c.txt'\n-c x.txt -r y.txt\n";
    let fp = parse_text(3, text, 100, Role::Require);
    let inc: Vec<(IncludeKind, &str, &str)> = fp
        .includes
        .iter()
        .map(|i| {
            (
                i.kind,
                i.target.as_str(),
                slice(
                    text,
                    Span::new(i.loc.span.start - 100, i.loc.span.end - 100),
                ),
            )
        })
        .collect();
    assert_eq!(
        inc,
        [
            (IncludeKind::Requirements, "base.txt", "base.txt"),
            (IncludeKind::Constraints, "c.txt", "'c.txt'"),
            // pip follows the first `-r` of a line, else the first `-c`.
            (IncludeKind::Requirements, "y.txt", "y.txt"),
        ]
    );
    assert!(fp.includes.iter().all(|i| i.loc.file == 3));
}

// --- includes on disk -------------------------------------------------------------------

struct TempDir(PathBuf);

impl TempDir {
    fn new(name: &str) -> TempDir {
        let dir =
            std::env::temp_dir().join(format!("depwindow-reqs-{}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        TempDir(dir)
    }
    fn write(&self, rel: &str, text: &str) -> PathBuf {
        let p = self.0.join(rel);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(&p, text).unwrap();
        p
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn unit(dir: &TempDir, root: &str) -> (Files, Parsed) {
    let mut files = Files::new(dir.0.clone());
    let id = files.load(&dir.0.join(root)).unwrap();
    let parsed = parse_unit(&mut files, id);
    (files, parsed)
}

fn req_origin(files: &Files, r: &Requirement) -> String {
    format!(
        "{}:{}",
        files.get(r.loc().file).display,
        files.get(r.loc().file).slice(r.loc().span)
    )
}

#[test]
fn includes_are_relative_to_the_including_file() {
    let d = TempDir::new("relative");
    d.write(
        "requirements.txt",
        "-r sub/dev.txt\n-c constraints.txt\nflask\n",
    );
    d.write(
        "sub/dev.txt",
        "-r ../common.txt\n--requirement=deeper/x.txt\npytest\n",
    );
    d.write("sub/deeper/x.txt", "mock\n");
    d.write("common.txt", "numpy>=1.16\n--pre\n");
    d.write("constraints.txt", "numpy<1.17\n");
    let (files, parsed) = unit(&d, "requirements.txt");
    assert!(parsed.problems.is_empty(), "{:?}", parsed.problems);
    let got: Vec<(String, Role)> = parsed
        .requirements
        .iter()
        .map(|r| (req_origin(&files, r), r.role))
        .collect();
    assert_eq!(
        got,
        [
            ("common.txt:numpy>=1.16".to_string(), Role::Require),
            ("sub/deeper/x.txt:mock".to_string(), Role::Require),
            ("sub/dev.txt:pytest".to_string(), Role::Require),
            ("constraints.txt:numpy<1.17".to_string(), Role::Constrain),
            ("requirements.txt:flask".to_string(), Role::Require),
        ]
    );
    // `--pre` in an included file applies to the whole unit.
    assert!(parsed.requirements.iter().all(|r| r.pre));
    let inc: Vec<(String, &str)> = parsed
        .includes
        .iter()
        .map(|(id, loc)| {
            (
                files.get(*id).display.clone(),
                files.get(loc.file).slice(loc.span),
            )
        })
        .collect();
    assert_eq!(
        inc,
        [
            ("sub/dev.txt".to_string(), "sub/dev.txt"),
            ("common.txt".to_string(), "../common.txt"),
            ("sub/deeper/x.txt".to_string(), "deeper/x.txt"),
            ("constraints.txt".to_string(), "constraints.txt"),
        ]
    );
}

#[test]
fn requirement_include_inside_a_constraints_file_reads_requirements() {
    // pip: `nested_constraint = False` for `-r`, whatever the including file is.
    let d = TempDir::new("cons-r");
    d.write("r.txt", "-c c.txt\n");
    d.write("c.txt", "numpy<1.17\n-r more.txt\n-c more-c.txt\n");
    d.write("more.txt", "scipy\n");
    d.write("more-c.txt", "pandas<1\n");
    let (_, parsed) = unit(&d, "r.txt");
    let got: Vec<(String, Role)> = parsed
        .requirements
        .iter()
        .map(|r| (r.name.to_string(), r.role))
        .collect();
    assert_eq!(
        got,
        [
            ("numpy".to_string(), Role::Constrain),
            ("scipy".to_string(), Role::Require),
            ("pandas".to_string(), Role::Constrain),
        ]
    );
}

#[test]
fn constraints_reject_what_pip_rejects() {
    let text = "numpy[mkl]<1.17\n-e git+https://x/y.git#egg=y\nhttps://x/z.tar.gz\nscipy<2\n";
    let fp = parse_text(0, text, 0, Role::Constrain);
    assert_eq!(problems(&fp, ProblemKind::Parse).len(), 3);
    assert_eq!(names(&fp.requirements), ["scipy"]);
    assert_eq!(fp.requirements[0].role, Role::Constrain);
}

#[test]
fn cycle_is_reported_with_its_chain() {
    let d = TempDir::new("cycle");
    d.write("a.txt", "numpy\n-r b.txt\n");
    d.write("b.txt", "scipy\n-r a.txt\n");
    let (files, parsed) = unit(&d, "a.txt");
    assert_eq!(names(&parsed.requirements), ["numpy", "scipy"]);
    assert_eq!(parsed.problems.len(), 1, "{:?}", parsed.problems);
    let p = &parsed.problems[0];
    assert_eq!(p.kind, ProblemKind::Include);
    assert!(
        p.message.contains("a.txt -> b.txt -> a.txt"),
        "{}",
        p.message
    );
    assert_eq!(files.get(p.loc.file).display, "b.txt");
    assert_eq!(files.get(p.loc.file).slice(p.loc.span), "a.txt");
    // A file including itself.
    let d = TempDir::new("self");
    d.write("s.txt", "-r ./s.txt\n");
    let (_, parsed) = unit(&d, "s.txt");
    assert!(
        parsed.problems[0].message.contains("s.txt -> s.txt"),
        "{}",
        parsed.problems[0].message
    );
}

#[test]
fn diamond_is_not_a_cycle_and_is_read_once() {
    let d = TempDir::new("diamond");
    d.write("top.txt", "-r left.txt\n-r right.txt\n");
    d.write("left.txt", "-r base.txt\nflask\n");
    d.write("right.txt", "-r ./base.txt\ndjango\n");
    d.write("base.txt", "numpy==1.16.4\n");
    let (_, parsed) = unit(&d, "top.txt");
    assert!(parsed.problems.is_empty(), "{:?}", parsed.problems);
    assert_eq!(names(&parsed.requirements), ["numpy", "flask", "django"]);
    assert_eq!(parsed.includes.len(), 4);
}

#[test]
fn missing_directory_url_and_fifo_includes() {
    let d = TempDir::new("bad");
    std::fs::create_dir_all(d.0.join("adir")).unwrap();
    let text = "-r missing.txt\n-r adir\n-r https://example.com/r.txt\n-c HTTP://example.com/c.txt\n-r file:///etc/r.txt\n-r fifo\nnumpy\n";
    d.write("r.txt", text);
    #[cfg(unix)]
    {
        let st = std::process::Command::new("mkfifo")
            .arg(d.0.join("fifo"))
            .status();
        assert!(st.map(|s| s.success()).unwrap_or(false), "mkfifo failed");
    }
    let (files, parsed) = unit(&d, "r.txt");
    assert_eq!(names(&parsed.requirements), ["numpy"]);
    let got: Vec<(ProblemKind, &str)> = parsed
        .problems
        .iter()
        .map(|p| (p.kind, files.get(p.loc.file).slice(p.loc.span)))
        .collect();
    assert_eq!(
        got,
        [
            (ProblemKind::Include, "missing.txt"),
            (ProblemKind::Include, "adir"),
            (ProblemKind::Include, "https://example.com/r.txt"),
            (ProblemKind::Include, "HTTP://example.com/c.txt"),
            (ProblemKind::Include, "file:///etc/r.txt"),
            (ProblemKind::Include, "fifo"),
        ]
    );
    assert!(parsed.problems[0].message.contains("not found"));
    assert!(parsed.problems[1].message.contains("directory"));
    assert!(parsed.problems[2].message.contains("URL"));
    #[cfg(unix)]
    assert!(
        parsed.problems[5].message.contains("not a regular file"),
        "{}",
        parsed.problems[5].message
    );
}

#[test]
fn include_depth_is_capped() {
    let d = TempDir::new("deep");
    for i in 0..70 {
        d.write(
            &format!("f{i}.txt"),
            &format!("pkg{i}\n-r f{}.txt\n", i + 1),
        );
    }
    d.write("f70.txt", "last\n");
    let (_, parsed) = unit(&d, "f0.txt");
    assert_eq!(parsed.requirements.len(), 65);
    assert_eq!(parsed.problems.len(), 1);
    assert!(
        parsed.problems[0].message.contains("64"),
        "{}",
        parsed.problems[0].message
    );
}

#[test]
fn hashes_in_an_include_put_the_whole_unit_in_hash_mode() {
    let d = TempDir::new("hashed");
    d.write("r.txt", "-r locked.txt\nflask\n");
    d.write("locked.txt", "numpy==1.16.4 --hash=sha256:0778076e\n");
    let (_, parsed) = unit(&d, "r.txt");
    assert!(parsed.hashed);
    assert!(parsed.requirements.iter().all(|r| r.hashed));
}

// --- robustness -----------------------------------------------------------------------

use common::XorShift as Rng;

/// Pieces that reach every branch: names, operators, markers, URLs, options, line breaks.
const TOKENS: &[&[u8]] = &[
    b"numpy",
    b"a",
    b"a.",
    b"a-",
    b"_",
    b".",
    b"-",
    b">=",
    b"<",
    b"==",
    b"~=",
    b"!=",
    b"===",
    b"1.16",
    b".*",
    b"1!2",
    b"rc1",
    b"+mkl",
    b",",
    b";",
    b"; ",
    b" ",
    b"\t",
    b"(",
    b")",
    b"[",
    b"]",
    b"@",
    b" @ ",
    b"python_version",
    b"extra",
    b" and ",
    b" or ",
    b" in ",
    b"'3.8'",
    b"\"",
    b"'",
    b"https://x/y-1.0-py3-none-any.whl",
    b"git+https://x/r.git",
    b"#egg=",
    b"./p",
    b".tar.gz",
    b"-e ",
    b"-r ",
    b"-c ",
    b"--hash=sha256:",
    b"--hash",
    b"--pre",
    b"--no",
    b"-C",
    b"=",
    b"\\",
    b"\\\n",
    b"\n",
    b"\r\n",
    b"\r",
    b"\x0c",
    b"#",
    b" # ",
    b"${A_1}",
    b"${",
    b"}",
    b"\xff",
    b"\xc3\xa9",
    b"\xef\xbb\xbf",
    b"%2B",
];

#[test]
fn random_input_never_panics_and_spans_stay_in_bounds() {
    let iterations: usize = std::env::var("DEPWINDOW_FUZZ_ITERS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(3000);
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    for n in 0..iterations {
        let pieces = (rng.next() % 24) as usize;
        let mut bytes = Vec::new();
        for _ in 0..pieces {
            let r = rng.next();
            if n % 2 == 0 && r % 5 == 0 {
                bytes.push((r >> 8) as u8);
            } else {
                bytes.extend_from_slice(TOKENS[(r >> 8) as usize % TOKENS.len()]);
            }
        }
        let mut files = Files::new(PathBuf::from("/nonexistent-depwindow"));
        let id = files.add(Path::new("/nonexistent-depwindow/r.txt"), &bytes);
        let parsed = parse_unit(&mut files, id);
        let text = &files.get(id).text;
        let check = |s: Span| {
            assert!(s.start <= s.end && s.end <= text.len(), "{s:?} in {text:?}");
            assert!(text.is_char_boundary(s.start) && text.is_char_boundary(s.end));
        };
        for r in &parsed.requirements {
            check(r.loc().span);
            check(r.name_span());
            if let VersionReq::Specifiers { span, clauses, .. } = &r.version {
                check(span.get());
                clauses.iter().for_each(&check);
            }
        }
        for p in &parsed.problems {
            check(p.loc.span);
        }
    }
}

/// CPU time this thread has used: the kernel's count, not a clock on the wall, so other
/// processes on the machine do not change it.
#[cfg(unix)]
fn thread_cpu() -> Duration {
    // SAFETY: zeroed timespec is a valid out-parameter for clock_gettime.
    let mut t: libc::timespec = unsafe { std::mem::zeroed() };
    let r = unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut t) };
    assert_eq!(r, 0, "clock_gettime");
    Duration::new(t.tv_sec as u64, t.tv_nsec as u32)
}

/// Pathological long lines are read in linear time. Each input is parsed at 5 MB and at an
/// eighth of that; linear work costs about 8 times as much for the big one, quadratic work
/// 64 times. The bound is on that ratio of CPU times, which no machine speed, load or build
/// profile changes; no time limit.
#[test]
#[cfg(unix)]
fn five_megabyte_lines_are_linear() {
    const BIG: usize = 5 << 20;
    type Case = (&'static str, fn(usize) -> String, fn(&FileParse) -> bool);
    let cases: [Case; 5] = [
        (
            "long name",
            |n| format!("{}>=1.0\n", "a".repeat(n)),
            |fp| fp.requirements.len() == 1,
        ),
        (
            "continuations",
            |n| "x\\\n".repeat(n / 3),
            |fp| fp.requirements.len() + fp.problems.len() == 1,
        ),
        (
            "spaces",
            |n| format!("numpy{}--pre\n", " ".repeat(n)),
            |_| true,
        ),
        ("comment marks", |n| "# #".repeat(n / 3), |_| true),
        ("env markers", |n| "${".repeat(n / 2), |_| true),
    ];
    for (what, make, expect) in cases {
        let cost = |n: usize| {
            let text = make(n);
            let start = thread_cpu();
            let fp = parse(&text);
            let cpu = thread_cpu() - start;
            assert!(expect(&fp), "{what} at {n} bytes");
            cpu
        };
        let small = cost(BIG / 8);
        let big = cost(BIG);
        // Below a millisecond the ratio is noise; such a parse is linear for any purpose.
        let ratio = big.as_secs_f64() / small.max(Duration::from_millis(1)).as_secs_f64();
        eprintln!("{what}: {small:?} -> {big:?} (x{ratio:.1})");
        assert!(
            ratio < 24.0,
            "{what}: 8 times the input took {ratio:.1} times the CPU ({small:?} -> {big:?}): \
             not linear"
        );
    }
}
