//! Embeds the built-in rule data: every `rules/*.toml` and every `rules/releases/*.tsv`,
//! found by listing the folders, so a new rule or release list is a data file only (no Rust
//! list to extend). Generates `$OUT_DIR/builtin_rules.rs`, included by `src/rules/mod.rs`.
//!
//! The built-in rule files are also compiled ahead of time into `src/rules/compiled.rs` (the
//! schema's structs, ready made: no TOML parse at start). That file records a hash of what it
//! was made from; when the hash is not the one of today's `rules/*.toml`,
//! `rules/releases/*.tsv` and `src/rules/schema.rs`, it is left out and the rules load from
//! their TOML (the same rules, slower), and a test says how to rewrite it. The same file holds
//! the built-in release lists and wheel tables as ready-made rows (versions as their parts),
//! so no list is parsed from text at run time.

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
    compiled(&root, &mut code);
    let out = PathBuf::from(std::env::var_os("OUT_DIR").expect("cargo sets it"));
    std::fs::write(out.join("builtin_rules.rs"), code).expect("write builtin_rules.rs");
}

/// FNV-1a, 64 bits: the fingerprint of what `src/rules/compiled.rs` was made from.
fn fnv(hash: &mut u64, bytes: &[u8]) {
    for &b in bytes {
        *hash ^= u64::from(b);
        *hash = hash.wrapping_mul(0x0100_0000_01b3);
    }
}

/// Declare `RULES_SOURCE_HASH` and the `compiled` module: `src/rules/compiled.rs` when it was
/// made from today's rule files and schema, else one that has nothing.
fn compiled(root: &Path, code: &mut String) {
    let mut hash = 0xcbf2_9ce4_8422_2325u64;
    for path in files(&root.join("rules"), "toml") {
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        fnv(&mut hash, name.as_bytes());
        fnv(&mut hash, &[0]);
        fnv(&mut hash, &std::fs::read(&path).expect("read a rule file"));
        fnv(&mut hash, &[0]);
    }
    for path in files(&root.join("rules/releases"), "tsv") {
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        fnv(&mut hash, name.as_bytes());
        fnv(&mut hash, &[0]);
        fnv(
            &mut hash,
            &std::fs::read(&path).expect("read a release list"),
        );
        fnv(&mut hash, &[0]);
    }
    let schema = root.join("src/rules/schema.rs");
    let made = root.join("src/rules/compiled.rs");
    println!("cargo:rerun-if-changed={}", schema.display());
    println!("cargo:rerun-if-changed={}", made.display());
    fnv(
        &mut hash,
        &std::fs::read(&schema).expect("read src/rules/schema.rs"),
    );
    let _ = writeln!(
        code,
        "/// The fingerprint of the built-in rule files, release lists and schema, which\n\
         /// `src/rules/compiled.rs` records (written there by a test).\n\
         #[cfg_attr(not(test), allow(dead_code))]\n\
         pub(crate) const RULES_SOURCE_HASH: u64 = {hash:#018x};"
    );
    let recorded = std::fs::read_to_string(&made).ok().and_then(|text| {
        text.lines()
            .find_map(|l| l.strip_prefix("// source-hash: ").map(str::to_owned))
    });
    if recorded.as_deref() == Some(format!("{hash:016x}").as_str()) {
        let _ = writeln!(
            code,
            "mod compiled {{\n    use super::releases::{{v, CompiledRelease, CompiledRequires, CompiledWheelRow, Status}};\n    \
             use super::schema::*;\n    include!({:?});\n}}",
            made.display().to_string()
        );
    } else {
        code.push_str(
            "mod compiled {\n    /// `src/rules/compiled.rs` is stale: the rules load from their TOML.\n    \
             pub(super) fn files() -> Option<Vec<(&'static str, super::schema::RuleFileToml)>> {\n        \
             None\n    }\n    \
             pub(super) static RELEASE_LISTS: &[(&str, &[super::releases::CompiledRequires], &[super::releases::CompiledRelease])] = &[];\n    \
             pub(super) static WHEELS_BY_PYTHON: &[(&str, &[super::releases::CompiledWheelRow])] = &[];\n    \
             pub(super) static WHEELS_BY_PLATFORM: &[(&str, &[super::releases::CompiledWheelRow])] = &[];\n}\n",
        );
    }
}
