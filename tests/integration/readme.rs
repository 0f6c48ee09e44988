//! The README's check and rule reference is generated from `docs::check_doc` and the rule
//! data (the text `depwindow rule --all` prints). This test fails when README.md is out of
//! date; `UPDATE_SNAPSHOTS=1 cargo test --test integration readme::` rewrites the section.

use std::path::Path;

const BEGIN: &str = "<!-- begin rule docs -->\n";
const END: &str = "<!-- end rule docs -->";

#[test]
fn readme_rule_docs_are_current() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md");
    let readme = std::fs::read_to_string(&path).expect("README.md");
    let start = readme.find(BEGIN).expect("begin marker") + BEGIN.len();
    let end = readme[start..].find(END).expect("end marker") + start;
    let generated = format!(
        "\n{}\n",
        depwindow::docs::readme_section(depwindow::rules::builtin()).trim_end()
    );
    // Every check and every built-in rule is in the generated text.
    for c in depwindow::diagnostic::Check::ALL {
        assert!(generated.contains(&format!("### {} {}\n", c.code(), c.name())));
    }
    for r in depwindow::rules::builtin() {
        assert!(generated.contains(&format!("### {}\n", r.id)));
    }
    if readme[start..end] == generated {
        return;
    }
    if std::env::var_os("UPDATE_SNAPSHOTS").is_some_and(|v| v == "1") {
        let updated = format!("{}{}{}", &readme[..start], generated, &readme[end..]);
        std::fs::write(&path, updated).unwrap();
        return;
    }
    panic!(
        "README.md's rule docs are out of date; run `UPDATE_SNAPSHOTS=1 cargo test --test integration readme::`"
    );
}
