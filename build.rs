//! Embeds the built-in rule data: every `rules/*.toml` and every `rules/releases/*.tsv`,
//! found by listing the folders, so a new rule or release list is a data file only (no Rust
//! list to extend). Generates `$OUT_DIR/builtin_rules.rs`, included by `src/rules/mod.rs`.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

/// The files in `dir` whose name ends with `.ext`, sorted by name (the order rules load in).
fn files(dir: &Path, ext: &str) -> Vec<PathBuf> {
    let mut out: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("cannot list {}: {e}", dir.display()))
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.is_file() && p.extension().is_some_and(|x| x == ext))
        .collect();
    out.sort();
    out
}

fn main() {
    let root = PathBuf::from(std::env::var_os("CARGO_MANIFEST_DIR").expect("cargo sets it"));
    let rules = root.join("rules");
    let releases = rules.join("releases");
    println!("cargo:rerun-if-changed={}", rules.display());
    println!("cargo:rerun-if-changed={}", releases.display());

    let mut code = String::new();
    code.push_str("/// The rule files compiled into the binary: every `rules/*.toml`, by name.\n");
    code.push_str("pub const BUILTIN_RULE_FILES: &[(&str, &str)] = &[\n");
    for path in files(&rules, "toml") {
        println!("cargo:rerun-if-changed={}", path.display());
        let name = path.file_name().unwrap().to_string_lossy();
        let _ = writeln!(
            code,
            "    ({:?}, include_str!({:?})),",
            format!("rules/{name}"),
            path.display().to_string()
        );
    }
    code.push_str("];\n\n");
    code.push_str(
        "/// The release lists compiled into the binary, by the name rule files use: every\n\
         /// `rules/releases/<name>.tsv`.\n",
    );
    code.push_str("pub const BUILTIN_RELEASES: &[(&str, &str)] = &[\n");
    for path in files(&releases, "tsv") {
        println!("cargo:rerun-if-changed={}", path.display());
        let stem = path.file_stem().unwrap().to_string_lossy();
        let _ = writeln!(
            code,
            "    ({:?}, include_str!({:?})),",
            stem.to_string(),
            path.display().to_string()
        );
    }
    code.push_str("];\n\n");
    let envs = rules.join("environments.tsv");
    println!("cargo:rerun-if-changed={}", envs.display());
    code.push_str(
        "/// The target environments (`rules/environments.tsv`): Python x operating system, with\n\
         /// the marker values the real CPython reports there.\n",
    );
    let _ = writeln!(
        code,
        "pub const BUILTIN_ENVIRONMENTS: &str = include_str!({:?});",
        envs.display().to_string()
    );
    let out = PathBuf::from(std::env::var_os("OUT_DIR").expect("cargo sets it"));
    std::fs::write(out.join("builtin_rules.rs"), code).expect("write builtin_rules.rs");
}
