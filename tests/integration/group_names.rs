//! Issue 10 "Units": a unit's name is for display only. What a unit is comes from its typed
//! `GroupKind` and `GroupTool` (src/manifest.rs), never from reading its name
//! (`project[x]`, `poetry:dev`, `pdm:…`, `uv:dev`, `extra:x`, `default+develop`). This test
//! scans the crate's own sources so that such a read cannot come back unnoticed.
//!
//! It is kept precise so that it does not fire on package names (`r.name`, `ms.name`, which
//! code may well compare): it flags a string read of `.name` when the receiver is a binding
//! the code uses for groups and units (`g`, `group`, `unit`, `groups[i]` …), any string read
//! of a verdict's `unit_name`, and a string read of any `.name` against a literal holding
//! group-name syntax (`[`, `:` or `+`, which no package name has).

use std::path::{Path, PathBuf};

use regex::Regex;

/// Bindings that hold a `Group` or a check `Unit` in src/.
const GROUP_BINDINGS: &[&str] = &["g", "gr", "grp", "group", "u", "unit"];

/// Methods that read meaning out of a string.
const READS: &str = "starts_with|ends_with|contains|split|split_once|splitn|rsplit|rsplit_once|\
                     rsplitn|split_terminator|strip_prefix|strip_suffix|find|rfind|matches|\
                     rmatches|match_indices|trim_start_matches|trim_end_matches";

/// The source with line comments dropped and whitespace next to punctuation removed (runs
/// of it between words kept as one space), so that a chain rustfmt breaks over lines reads
/// as one.
fn squeeze(src: &str) -> String {
    let code: Vec<&str> = src
        .lines()
        .filter(|l| !l.trim_start().starts_with("//"))
        .collect();
    let code = code.join("\n");
    let around = Regex::new(r"\s*([^A-Za-z0-9_\s])\s*").unwrap();
    let spaces = Regex::new(r"\s+").unwrap();
    spaces
        .replace_all(&around.replace_all(&code, "$1"), " ")
        .into_owned()
}

/// Every read of a group or unit name in `src` (a Rust source file), as found.
fn group_name_reads(src: &str) -> Vec<String> {
    let code = squeeze(src);
    let view = r"(?:\.as_str\(\)|\.as_ref\(\)|\.to_string\(\)|\.to_owned\(\)|\.to_lowercase\(\))?";
    let name_read = Regex::new(&format!(
        r#"(?:^|[^A-Za-z0-9_])([A-Za-z_][A-Za-z0-9_]*|groups\[[^\]]*\])\.name{view}\.({READS})\((.{{0,40}})"#
    ))
    .unwrap();
    let name_eq = Regex::new(
        r#"(?:^|[^A-Za-z0-9_])([A-Za-z_][A-Za-z0-9_]*|groups\[[^\]]*\])\.name(?:==|!=)""#,
    )
    .unwrap();
    let unit_name_read = Regex::new(&format!(r"unit_name{view}\.({READS})\(")).unwrap();
    let is_group = |recv: &str| GROUP_BINDINGS.contains(&recv) || recv.starts_with("groups[");
    let mut found = Vec::new();
    for c in name_read.captures_iter(&code) {
        let arg = &c[3];
        let marked_literal = arg.starts_with('"')
            && arg[1..]
                .split('"')
                .next()
                .is_some_and(|lit| lit.contains(['[', ':', '+']));
        if is_group(&c[1]) || marked_literal {
            found.push(c[0].to_owned());
        }
    }
    for c in name_eq.captures_iter(&code) {
        if is_group(&c[1]) {
            found.push(c[0].to_owned());
        }
    }
    found.extend(
        unit_name_read
            .find_iter(&code)
            .map(|m| m.as_str().to_owned()),
    );
    found
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            rust_files(&p, out);
        } else if p.extension().is_some_and(|x| x == "rs") {
            out.push(p);
        }
    }
}

#[test]
fn no_code_in_src_reads_meaning_out_of_a_group_name() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    // The crate has dozens of modules; a scan of nothing would pass for nothing.
    assert!(
        files.len() > 30,
        "only {} files under {}",
        files.len(),
        src.display()
    );
    let mut offences = Vec::new();
    for f in &files {
        let text = std::fs::read_to_string(f).unwrap();
        for hit in group_name_reads(&text) {
            offences.push(format!("{}: {hit}", f.display()));
        }
    }
    assert!(
        offences.is_empty(),
        "a group's name is for display; decide by `Group::kind`/`Group::tool` instead:\n{}",
        offences.join("\n")
    );
}

/// The scanner itself: it flags the reads that src/formats/pyproject.rs made before the
/// typed `GroupTool`, and leaves package-name comparisons alone.
#[test]
fn the_scanner_flags_group_name_reads_and_not_package_names() {
    let flagged = [
        r#"let takes = g.name == "project";"#,
        r#"let takes = g.kind == GroupKind::DependencyGroup || g.name.starts_with("project[");"#,
        r#"if x { g.name.starts_with("pdm:") }"#,
        "parsed\n    .groups\n    .iter()\n    .any(|g| g.extras.contains(x) && g.name\n        .starts_with(\"project[\"))",
        r#"let base = parsed.groups[0].name.as_str().split_once('+');"#,
        r#"if v.unit_name.contains('+') {}"#,
        r#"if unit.name.ends_with("]") {}"#,
        r#"if x.name.as_ref().starts_with("poetry:") {}"#,
        r#"if group.name != "all" {}"#,
    ];
    for s in flagged {
        assert_eq!(group_name_reads(s).len(), 1, "not flagged: {s}");
    }
    let clean = [
        r#"if ms.name == "python" { return; }"#,
        r#"let hit = r.name == rule.package;"#,
        r#"if name.is_empty() || name.contains('*') {}"#,
        r#"if r.name.as_ref().starts_with("tensorflow") {}"#,
        "let n = format!(\"project[{x}]\");\n// g.name.starts_with(\"project[\") in a comment",
        r#"assert_eq!(p.groups[1].name, "extra:b");"#,
        r#"assert!(verdicts.iter().all(|v| v.unit_name != "default+c"));"#,
    ];
    for s in clean {
        assert_eq!(group_name_reads(s), Vec::<String>::new(), "flagged: {s}");
    }
}
