//! `action.yml`: its run steps, as a shell runs them, with the inputs as environment
//! variables, on a flagged and a clean scratch repository. The install step's `pip` is a
//! stand-in that records its arguments and puts the binary `cargo test` already built on
//! PATH, so nothing is built again.

use std::path::{Path, PathBuf};
use std::process::Command;

/// The `run: |` blocks of action.yml, dedented, in order.
fn run_blocks(yaml: &str) -> Vec<String> {
    let lines: Vec<&str> = yaml.lines().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < lines.len() {
        let l = lines[i];
        if l.trim_start() == "run: |" {
            let indent = l.len() - l.trim_start().len();
            let mut block = String::new();
            let mut body_indent = None;
            i += 1;
            while i < lines.len() {
                let b = lines[i];
                let ind = b.len() - b.trim_start().len();
                if !b.trim().is_empty() && ind <= indent {
                    break;
                }
                let bi = *body_indent.get_or_insert(ind);
                block.push_str(b.get(bi..).unwrap_or(""));
                block.push('\n');
                i += 1;
            }
            out.push(block);
        } else {
            i += 1;
        }
    }
    out
}

fn scratch(name: &str, requirements: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("dw-action-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(dir.join(".git")).unwrap();
    std::fs::write(dir.join("requirements.txt"), requirements).unwrap();
    dir
}

/// Run every step in `repo` with the action's default inputs; (stdout, exit code, pip's
/// arguments).
fn run_action(repo: &Path, version: &str) -> (String, i32, String) {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let yaml = std::fs::read_to_string(root.join("action.yml")).unwrap();
    let steps = run_blocks(&yaml);
    assert_eq!(steps.len(), 2, "{steps:?}");
    for s in &steps {
        assert!(
            !s.contains("${{"),
            "a run step must read inputs from env: {s}"
        );
    }
    // Defaults as action.yml declares them.
    assert!(yaml.contains("default: check --output-format github"));
    let bin = repo.join(".bin");
    std::fs::create_dir_all(&bin).unwrap();
    let pip = bin.join("pip");
    std::fs::write(
        &pip,
        format!(
            "#!/bin/sh\necho \"$@\" > '{}'\nln -sf '{}' '{}'\n",
            repo.join(".pip-args").display(),
            env!("CARGO_BIN_EXE_depwindow"),
            bin.join("depwindow").display()
        ),
    )
    .unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&pip, std::fs::Permissions::from_mode(0o755)).unwrap();
    }
    let path = format!(
        "{}:{}",
        bin.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let mut stdout = String::new();
    let mut code = 0;
    for s in &steps {
        let out = Command::new("bash")
            .arg("-c")
            .arg(s)
            .current_dir(repo)
            .env("PATH", &path)
            .env("DW_VERSION", version)
            .env("DW_ACTION_PATH", root)
            .env("DW_ACTION_REPOSITORY", "owner/depwindow")
            .env("DW_ARGS", "check --output-format github")
            .env("DW_SRC", ".")
            .output()
            .unwrap();
        stdout.push_str(&String::from_utf8_lossy(&out.stdout));
        code = out.status.code().unwrap_or(-1);
        if code != 0 {
            break;
        }
    }
    let pip_args = std::fs::read_to_string(repo.join(".pip-args")).unwrap_or_default();
    (stdout, code, pip_args)
}

#[test]
fn the_action_annotates_a_flagged_repository_and_fails() {
    let repo = scratch(
        "flagged",
        "tensorflow==1.14.0\nnumpy>=1.16\nprotobuf>=3.6.1,<4\ngast==0.2.2\nh5py<3.0\n",
    );
    let (out, code, pip) = run_action(&repo, "");
    assert_eq!(code, 1, "{out}");
    assert!(
        out.starts_with("::error file=requirements.txt,line=2,col=6,endLine=2,endColumn=12,title=depwindow DW101 (outside-window)::`numpy>=1.16` admits"),
        "{out}"
    );
    assert_eq!(
        out.lines().filter(|l| l.starts_with("::error")).count(),
        1,
        "{out}"
    );
    // Installed from this repository's checkout with pip.
    assert_eq!(
        pip.trim(),
        format!(
            "install --disable-pip-version-check {}",
            env!("CARGO_MANIFEST_DIR")
        )
    );
    let _ = std::fs::remove_dir_all(&repo);
}

#[test]
fn the_action_passes_a_clean_repository_and_pins_a_version() {
    let repo = scratch(
        "clean",
        "tensorflow==1.14.0\nnumpy>=1.16,<1.17\nprotobuf>=3.6.1,<4\ngast==0.2.2\nh5py<3.0\n",
    );
    let (out, code, pip) = run_action(&repo, "v0.1.0");
    assert_eq!(code, 0, "{out}");
    assert!(!out.contains("::error"), "{out}");
    assert_eq!(
        pip.trim(),
        "install --disable-pip-version-check git+https://github.com/owner/depwindow@v0.1.0"
    );
    let _ = std::fs::remove_dir_all(&repo);
}
