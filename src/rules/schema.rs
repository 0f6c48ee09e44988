//! The rule file schema, as written (`rules/README.md`): what `toml` deserialises a rule
//! file into, and what `compiled.rs` holds for the built-in files, ready made. A change here
//! makes `compiled.rs` stale (its source hash covers this file): the built-in rules then load
//! from their TOML until `UPDATE_SNAPSHOTS=1 cargo test --lib rules::compiled_tests` rewrites
//! it.

use serde::Deserialize;
use toml::Spanned;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RuleFileToml {
    pub(super) schema: Spanned<u32>,
    pub(super) trigger: TriggerToml,
    #[serde(default)]
    pub(super) package: Vec<PackageToml>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub(super) struct TriggerToml {
    /// How messages name the trigger ("TensorFlow 1.14.0"); default: first distribution
    /// and version.
    pub(super) title: Option<String>,
    pub(super) distributions: Vec<Spanned<String>>,
    #[serde(default)]
    pub(super) conda_distributions: Vec<Spanned<String>>,
    /// The distribution whose release list stands for the conda names' versions (an
    /// assumption about the channels, which the sources state).
    pub(super) conda_releases_as: Option<Spanned<String>>,
    pub(super) version: Spanned<String>,
    pub(super) pythons: Vec<Spanned<String>>,
    pub(super) releases: Option<Spanned<String>>,
    /// `releases/<name>.tsv`: python, distribution, sys_platform -> versions with wheels.
    pub(super) platform_releases: Option<Spanned<String>>,
    /// `releases/<name>.tsv`: python, distribution -> versions with wheels, for the Pythons
    /// the trigger does not support (DW104: a range with no wheel for any allowed Python).
    pub(super) other_python_releases: Option<Spanned<String>>,
    #[serde(default)]
    pub(super) sources: Vec<String>,
    /// Versions the index lists that nothing can install (a build that fails on purpose).
    #[serde(default)]
    pub(super) placeholders: Vec<PlaceholderToml>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct PlaceholderToml {
    pub(super) distribution: Spanned<String>,
    pub(super) version: Spanned<String>,
    pub(super) reason: String,
    pub(super) sources: Vec<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub(super) struct PackageToml {
    pub(super) id: Spanned<String>,
    pub(super) name: Spanned<String>,
    pub(super) declared: Option<Spanned<String>>,
    pub(super) window: Spanned<String>,
    pub(super) python: Option<Spanned<String>>,
    pub(super) absence: Spanned<String>,
    pub(super) via: Option<String>,
    pub(super) severity: Spanned<String>,
    pub(super) releases: Option<Spanned<String>>,
    pub(super) summary: String,
    pub(super) explanation: String,
    #[serde(default)]
    pub(super) install_notes: Vec<String>,
    pub(super) sources: Vec<String>,
    #[serde(default)]
    pub(super) effects: Vec<EffectToml>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct EffectToml {
    pub(super) range: Spanned<String>,
    pub(super) effect: String,
    pub(super) sources: Vec<String>,
}

/// A value with its span in the rule file (the ready-made files in `compiled.rs` keep the
/// spans the TOML gave).
#[allow(dead_code)] // used by compiled.rs, which the build leaves out while it is stale
pub(super) fn sp<T>(start: usize, end: usize, value: T) -> Spanned<T> {
    Spanned::new(start..end, value)
}
