//! The pre-commit hook's `files:` pattern names exactly the files depwindow discovers, and the
//! repository's own pyproject.toml (maturin packaging) is neither flagged nor a configuration.

use std::path::Path;

use depwindow::formats::Format;

fn hook_pattern() -> regex::Regex {
    let text = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join(".pre-commit-hooks.yaml"),
    )
    .unwrap();
    // The block scalar after `files: |`, up to the end of the file.
    let start = text.find("files: |\n").expect("files: block") + "files: |\n".len();
    let body: String = text[start..]
        .lines()
        .take_while(|l| l.starts_with("    ") || l.is_empty())
        .map(|l| format!("{}\n", l.trim_start()))
        .collect();
    regex::Regex::new(&body).expect("valid pattern")
}

#[test]
fn hook_files_pattern_matches_discovery() {
    let re = hook_pattern();
    let names = [
        "requirements.txt",
        "dev-requirements.txt",
        "requirements-dev.txt",
        "sub/requirements_test.in",
        "requirements/base.txt",
        "requirements/base.in",
        "a/requirements/x.txt",
        "requirements/envs/gpu.txt",
        "a/requirements/envs/gpu/cuda.in",
        "constraints.txt",
        "ci/pip-constraints.txt",
        "pyproject.toml",
        "pkg/pyproject.toml",
        "Pipfile",
        "Pipfile.lock",
        "setup.cfg",
        "setup.py",
        "environment.yml",
        "environment.yaml",
        "poetry.lock",
        "uv.lock",
        "pdm.lock",
        "pylock.toml",
        "pylock.dev.toml",
        // Not ours:
        "README.md",
        "constraints.in",
        "notes.txt",
        "docs/conf.py",
        "Cargo.toml",
        "Cargo.lock",
        "package-lock.json",
        "environment.json",
        "mypyproject.toml",
        "xsetup.py",
        "requirements/a/b/c/too-deep.txt",
    ];
    for name in names {
        let detected = Format::detect(Path::new(name)).is_some();
        assert_eq!(re.is_match(name), detected, "{name}");
    }
}

#[test]
fn repository_pyproject_is_clean_and_not_a_configuration() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_depwindow"))
        .current_dir(root)
        .env_remove("DEPWINDOW_OUTPUT_FORMAT")
        .args(["check", "--format", "concise", "pyproject.toml"])
        .output()
        .unwrap();
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        "All checks passed! (1 file checked)\n"
    );
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(depwindow::config::find_config(root), None);
}
