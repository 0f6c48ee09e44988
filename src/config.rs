//! Configuration: `[tool.depwindow]` in `pyproject.toml`, or the top level of
//! `depwindow.toml`. Read, then validated into [`Settings`] before anything uses it (a bad
//! key, glob, code or rule file is an error with its `file:line:col`, never ignored).
//!
//! Discovery follows ruff: the nearest configuration to a checked file wins. From the file's
//! directory upward, the first directory holding `depwindow.toml`, or a `pyproject.toml`
//! with a `[tool.depwindow]` table, supplies the settings (`depwindow.toml` first when both
//! exist). A `pyproject.toml` without the table does not count and the search goes on.
//! Settings are not merged across levels. `--config PATH` uses one file for everything;
//! `--isolated` ignores every configuration file.

use std::collections::BTreeMap;

use crate::hash::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use globset::{Glob, GlobSet, GlobSetBuilder};
use serde::Deserialize;
use toml::Spanned;

use crate::diagnostic::{Check, Diagnostic, Severity};
use crate::report::OutputFormat;
use crate::rules::Rule;
use crate::source::{SourceFile, Span};

pub(crate) const DEPWINDOW_TOML: &str = "depwindow.toml";
pub(crate) const PYPROJECT_TOML: &str = "pyproject.toml";

/// A configuration that cannot be used, pointing at the offending text.
#[derive(Debug, Clone)]
pub(crate) struct ConfigError {
    /// `path:line:col` (or just `path`, or a flag name for CLI values).
    pub location: String,
    pub message: String,
}

impl std::fmt::Display for ConfigError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.location, self.message)
    }
}

fn locate(path: &Path, text: &str, span: Option<Span>, cwd: &Path) -> String {
    let display = crate::source::display_path(path, cwd);
    match span {
        None => display,
        Some(span) => {
            let file = SourceFile::from_text(path, display.clone(), text);
            let p = file.position(span.start.min(text.len()));
            format!("{display}:{}:{}", p.line, p.column)
        }
    }
}

// ---- as written ----

/// The most `exclude` plus `extend-exclude` globs one configuration may list.
const MAX_EXCLUDE_GLOBS: usize = 4096;

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct RawConfig {
    select: Option<Vec<Spanned<String>>>,
    ignore: Option<Vec<Spanned<String>>>,
    extend_select: Option<Vec<Spanned<String>>>,
    severity: Option<BTreeMap<Spanned<String>, Spanned<String>>>,
    exclude: Option<Vec<Spanned<String>>>,
    extend_exclude: Option<Vec<Spanned<String>>>,
    extra_rules: Option<Vec<Spanned<String>>>,
    pythons: Option<Vec<Spanned<String>>>,
    platforms: Option<Vec<Spanned<String>>>,
    constraints: Option<Vec<Spanned<String>>>,
    output_format: Option<Spanned<String>>,
    pretty: Option<bool>,
    fail_on: Option<Spanned<String>>,
    per_file_ignores: Option<BTreeMap<Spanned<String>, Vec<Spanned<String>>>>,
}

#[derive(Deserialize)]
struct Pyproject {
    tool: Option<PyprojectTool>,
}

#[derive(Deserialize)]
struct PyprojectTool {
    depwindow: Option<RawConfig>,
}

/// Whether a pyproject.toml's bytes could hold a `[tool.depwindow]` table at all: they say
/// `depwindow`, or hold a code-point escape, the only escapes that can spell a letter of a
/// quoted key (`"\u0064epwindow"`, `\U`, TOML 1.1's `\x64`; `\n`, `\t`, `\\` ... cannot).
/// [`pyproject_has_table`] answers false for any other text, parsed or not (without the
/// word, its fallback for a file that does not parse is false too).
fn may_name_table(bytes: &[u8]) -> bool {
    memchr::memmem::find(bytes, b"depwindow").is_some()
        || memchr::memchr_iter(b'\\', bytes)
            .any(|at| matches!(bytes.get(at + 1), Some(b'u' | b'U' | b'x')))
}

/// Whether a pyproject.toml holds a `[tool.depwindow]` table (a quick, lenient look: a file
/// that does not parse counts when its text mentions the table, so its error is reported
/// rather than the file silently skipped).
fn pyproject_has_table(text: &str) -> bool {
    // Without the word and without a Unicode escape (`"\u0064epwindow"`), neither the parsed
    // table nor the lenient fallback can find it: skip the TOML parse (most pyproject.toml
    // files of a tree say nothing about depwindow, and the pipeline parses them again
    // anyway; a backslash elsewhere, `"a\\b"`, `"\n"`, spells no key).
    if !may_name_table(text.as_bytes()) {
        return false;
    }
    crate::files::counts::add(&crate::files::counts::CONFIG_PARSES);
    match text.parse::<toml::Table>() {
        Ok(t) => t
            .get("tool")
            .and_then(|t| t.as_table())
            .is_some_and(|t| t.contains_key("depwindow")),
        Err(_) => text.contains("tool.depwindow"),
    }
}

// ---- checked ----

/// What a selector in `select`/`ignore`/`severity`/a suppression names.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Selector {
    All,
    Check(Check),
    Rule(String),
}

impl Selector {
    /// How specific the selector is: a rule id beats a check, a check beats `ALL`.
    fn specificity(&self) -> u8 {
        match self {
            Selector::All => 0,
            Selector::Check(_) => 1,
            Selector::Rule(_) => 2,
        }
    }

    pub(crate) fn matches(&self, check: Check, rule: Option<&str>) -> bool {
        match self {
            Selector::All => true,
            Selector::Check(c) => *c == check,
            Selector::Rule(id) => rule == Some(id.as_str()),
        }
    }

    /// Parse `DW101`, `outside-window`, `ALL` or a known rule id.
    pub(crate) fn parse(s: &str, rules: &[Rule]) -> Option<Selector> {
        if s == "ALL" {
            return Some(Selector::All);
        }
        if let Some(c) = Check::from_str_loose(s) {
            return Some(Selector::Check(c));
        }
        rules
            .iter()
            .any(|r| r.id == s)
            .then(|| Selector::Rule(s.to_owned()))
    }
}

impl std::fmt::Display for Selector {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Selector::All => f.write_str("ALL"),
            Selector::Check(c) => write!(f, "{}", c.code()),
            Selector::Rule(r) => f.write_str(r),
        }
    }
}

/// The effective settings for a set of files.
#[derive(Clone, Debug)]
pub(crate) struct Settings {
    /// The configuration file they came from (None: defaults).
    pub source: Option<PathBuf>,
    pub select: Vec<Selector>,
    pub extend_select: Vec<Selector>,
    pub ignore: Vec<Selector>,
    pub severity: Vec<(Selector, Severity)>,
    pub exclude: Vec<String>,
    pub extend_exclude: Vec<String>,
    exclude_set: GlobSet,
    /// The directory exclude globs are relative to.
    pub root: PathBuf,
    pub extra_rules: Vec<PathBuf>,
    /// Built-in rules plus extra rules (before selection).
    pub all_rules: Vec<Rule>,
    pub pythons: Option<Vec<String>>,
    /// The operating systems to check on (`linux`, `darwin`, `win32`); None: all.
    pub platforms: Option<Vec<String>>,
    pub constraints: Vec<PathBuf>,
    pub output_format: Option<OutputFormat>,
    /// `pretty`: indent the `json` report (None: compact, the default).
    pub pretty: Option<bool>,
    /// `fail-on`: the lowest severity that fails the run (None: error).
    pub fail_on: Option<Severity>,
    /// `per-file-ignores`, as ruff has it: a glob (matched like `exclude`) and the checks
    /// or rules not reported in the files it matches.
    pub per_file_ignores: Vec<(String, Vec<Selector>)>,
    per_file_sets: Vec<(globset::GlobMatcher, Vec<Selector>)>,
}

/// Overrides from the command line (they win over the configuration file).
#[derive(Clone, Debug, Default)]
pub(crate) struct CliOverrides {
    pub select: Option<Vec<String>>,
    pub extend_select: Vec<String>,
    pub ignore: Vec<String>,
    pub pythons: Option<Vec<String>>,
    pub platforms: Option<Vec<String>>,
    pub constraints: Option<Vec<PathBuf>>,
    /// Places outside the project the person running the command allowed
    /// (`--allow-outside`, `DEPWINDOW_ALLOW_OUTSIDE`): a discovered configuration's rule
    /// files may be read from there.
    pub allow_outside: Vec<PathBuf>,
}

impl Settings {
    /// The defaults: every check and built-in rule selected, nothing excluded.
    pub(crate) fn defaults(root: &Path) -> Settings {
        Settings {
            source: None,
            select: vec![Selector::All],
            extend_select: Vec::new(),
            ignore: Vec::new(),
            severity: Vec::new(),
            exclude: Vec::new(),
            extend_exclude: Vec::new(),
            exclude_set: GlobSet::empty(),
            root: root.to_path_buf(),
            extra_rules: Vec::new(),
            all_rules: crate::rules::builtin().to_vec(),
            pythons: None,
            platforms: None,
            constraints: Vec::new(),
            output_format: None,
            pretty: None,
            fail_on: None,
            per_file_ignores: Vec::new(),
            per_file_sets: Vec::new(),
        }
    }

    /// Read and validate one configuration file the person running the command named
    /// (`--config`): the rule files it names are trusted wherever they are.
    pub(crate) fn load(path: &Path, cwd: &Path) -> Result<Settings, ConfigError> {
        Settings::load_confined(path, cwd, None)
    }

    /// Read and validate one configuration file. `confine`: the places its rule files (and
    /// their release lists) may be read from, for a configuration found in the repository
    /// (a pull request can edit it, so it cannot name `/etc/shadow` as a rule file); None
    /// for one named on the command line.
    pub(crate) fn load_confined(
        path: &Path,
        cwd: &Path,
        confine: Option<&crate::files::Confinement>,
    ) -> Result<Settings, ConfigError> {
        Settings::load_read(path, cwd, confine, None)
    }

    /// [`Settings::load_confined`], with the file's bytes when the lookup read them already.
    pub(crate) fn load_read(
        path: &Path,
        cwd: &Path,
        confine: Option<&crate::files::Confinement>,
        bytes: Option<Vec<u8>>,
    ) -> Result<Settings, ConfigError> {
        let bytes = match bytes {
            Some(b) => b,
            None => crate::files::read_capped(path).map_err(|e| ConfigError {
                location: crate::source::display_path(path, cwd),
                message: format!("cannot read configuration: {e}"),
            })?,
        };
        let text = String::from_utf8(bytes).map_err(|_| ConfigError {
            location: crate::source::display_path(path, cwd),
            message: "configuration is not UTF-8".into(),
        })?;
        let is_pyproject = path.file_name().is_some_and(|n| n == PYPROJECT_TOML);
        let de_err = |e: toml::de::Error| ConfigError {
            location: locate(
                path,
                &text,
                e.span().map(|r| Span::new(r.start, r.end)),
                cwd,
            ),
            message: e.message().trim_end().to_owned(),
        };
        let raw = if is_pyproject {
            let p: Pyproject = toml::from_str(&text).map_err(de_err)?;
            p.tool.and_then(|t| t.depwindow).unwrap_or_default()
        } else {
            toml::from_str::<RawConfig>(&text).map_err(de_err)?
        };
        let dir = path
            .parent()
            .map(Path::to_path_buf)
            .unwrap_or_else(|| cwd.to_path_buf());
        let err = |s: &Spanned<String>, message: String| ConfigError {
            location: locate(
                path,
                &text,
                Some(Span::new(s.span().start, s.span().end)),
                cwd,
            ),
            message,
        };

        let mut settings = Settings::defaults(&dir);
        settings.source = Some(path.to_path_buf());

        // Extra rules first: selectors may name their ids.
        let mut all_rules = crate::rules::builtin().to_vec();
        for entry in raw.extra_rules.iter().flatten() {
            let rule_path = dir.join(entry.get_ref());
            if let Some(c) = confine {
                c.check(&rule_path).map_err(|e| {
                    err(
                        entry,
                        format!(
                            "rule file `{}`: {}",
                            crate::report::escape_display(entry.get_ref()),
                            crate::report::escape_display(&e.to_string())
                        ),
                    )
                })?;
            }
            let bytes = crate::files::read_capped(&rule_path).map_err(|e| {
                err(
                    entry,
                    format!("cannot read rule file `{}`: {e}", entry.get_ref()),
                )
            })?;
            let rule_text = String::from_utf8(bytes).map_err(|_| {
                err(
                    entry,
                    format!("rule file `{}` is not UTF-8", entry.get_ref()),
                )
            })?;
            let shown = crate::source::display_path(&rule_path, cwd);
            let rules = crate::rules::load_rule_file_confined(
                &shown,
                &rule_text,
                rule_path.parent(),
                confine,
            )
            .map_err(|e| ConfigError {
                location: locate(&rule_path, &rule_text, e.span, cwd),
                message: format!("invalid rule file (listed in `extra-rules`): {}", e.message),
            })?;
            all_rules.extend(rules);
            settings.extra_rules.push(rule_path);
        }
        crate::rules::check_unique(&all_rules).map_err(|m| ConfigError {
            location: locate(path, &text, None, cwd),
            message: m,
        })?;

        let selectors =
            |list: &Option<Vec<Spanned<String>>>| -> Result<Option<Vec<Selector>>, ConfigError> {
                let Some(list) = list else { return Ok(None) };
                list.iter()
                    .map(|s| {
                        Selector::parse(s.get_ref(), &all_rules)
                            .ok_or_else(|| err(s, unknown_selector(s.get_ref())))
                    })
                    .collect::<Result<Vec<_>, _>>()
                    .map(Some)
            };
        if let Some(s) = selectors(&raw.select)? {
            settings.select = s;
        }
        settings.extend_select = selectors(&raw.extend_select)?.unwrap_or_default();
        settings.ignore = selectors(&raw.ignore)?.unwrap_or_default();
        for (key, value) in raw.severity.iter().flatten() {
            let sel = Selector::parse(key.get_ref(), &all_rules)
                .ok_or_else(|| err(key, unknown_selector(key.get_ref())))?;
            let sev = parse_severity(value.get_ref()).ok_or_else(|| {
                err(
                    value,
                    format!(
                        "unknown severity `{}`; expected `error`, `warning` or `info`",
                        value.get_ref()
                    ),
                )
            })?;
            settings.severity.push((sel, sev));
        }
        let mut n_globs = 0;
        for (list, out) in [
            (&raw.exclude, &mut settings.exclude),
            (&raw.extend_exclude, &mut settings.extend_exclude),
        ] {
            for g in list.iter().flatten() {
                // A bound on the glob automaton's size: 100k globs took 800 MB and then
                // failed without naming a line (issue 15 §4).
                if n_globs == MAX_EXCLUDE_GLOBS {
                    return Err(err(
                        g,
                        format!(
                            "too many `exclude` / `extend-exclude` globs: at most \
                             {MAX_EXCLUDE_GLOBS}; use a directory glob (`vendor/**`) instead"
                        ),
                    ));
                }
                n_globs += 1;
                Glob::new(g.get_ref())
                    .map_err(|e| err(g, format!("invalid glob `{}`: {}", g.get_ref(), e.kind())))?;
                out.push(g.get_ref().clone());
            }
        }
        for (glob, list) in raw.per_file_ignores.iter().flatten() {
            let matcher = Glob::new(glob.get_ref())
                .map_err(|e| {
                    err(
                        glob,
                        format!("invalid glob `{}`: {}", glob.get_ref(), e.kind()),
                    )
                })?
                .compile_matcher();
            let mut sels = Vec::new();
            for c in list {
                sels.push(
                    Selector::parse(c.get_ref(), &all_rules)
                        .ok_or_else(|| err(c, unknown_selector(c.get_ref())))?,
                );
            }
            settings
                .per_file_ignores
                .push((glob.get_ref().clone(), sels.clone()));
            settings.per_file_sets.push((matcher, sels));
        }
        if let Some(list) = &raw.pythons {
            let mut out = Vec::new();
            for p in list {
                validate_python(p.get_ref()).map_err(|m| err(p, m))?;
                out.push(p.get_ref().clone());
            }
            settings.pythons = Some(out);
        }
        if let Some(list) = &raw.platforms {
            let mut out = Vec::new();
            for p in list {
                validate_platform(p.get_ref()).map_err(|m| err(p, m))?;
                out.push(p.get_ref().clone());
            }
            settings.platforms = Some(out);
        }
        for c in raw.constraints.iter().flatten() {
            let p = dir.join(c.get_ref());
            let shown = crate::report::escape_display(c.get_ref());
            constraint_readable(&p, &shown).map_err(|m| err(c, m))?;
            settings.constraints.push(p);
        }
        if let Some(f) = &raw.output_format {
            settings.output_format = Some(
                OutputFormat::from_name(f.get_ref())
                    .ok_or_else(|| err(f, unknown_format(f.get_ref())))?,
            );
        }
        settings.pretty = raw.pretty;
        if let Some(f) = &raw.fail_on {
            settings.fail_on = Some(parse_fail_on(f.get_ref()).map_err(|m| err(f, m))?);
        }
        settings.all_rules = all_rules;
        settings.rebuild_excludes().map_err(|m| ConfigError {
            location: locate(path, &text, None, cwd),
            message: m,
        })?;
        Ok(settings)
    }

    fn rebuild_excludes(&mut self) -> Result<(), String> {
        let mut b = GlobSetBuilder::new();
        for g in self.exclude.iter().chain(&self.extend_exclude) {
            b.add(Glob::new(g).map_err(|e| format!("invalid glob `{g}`: {}", e.kind()))?);
        }
        self.exclude_set = b.build().map_err(|e| e.to_string())?;
        Ok(())
    }

    /// Apply command-line overrides (`--select` replaces, `--ignore` and `--extend-select`
    /// add, `--python` and `--constraint` replace).
    pub(crate) fn apply_cli(&mut self, cli: &CliOverrides) -> Result<(), ConfigError> {
        let parse = |flag: &str, list: &[String]| -> Result<Vec<Selector>, ConfigError> {
            list.iter()
                .map(|s| {
                    Selector::parse(s, &self.all_rules).ok_or_else(|| ConfigError {
                        location: flag.to_owned(),
                        message: unknown_selector(s),
                    })
                })
                .collect()
        };
        if let Some(list) = &cli.select {
            self.select = parse("--select", list)?;
        }
        let extend = parse("--extend-select", &cli.extend_select)?;
        self.extend_select.extend(extend);
        let ignore = parse("--ignore", &cli.ignore)?;
        self.ignore.extend(ignore);
        if let Some(p) = &cli.pythons {
            self.pythons = Some(p.clone());
        }
        if let Some(p) = &cli.platforms {
            self.platforms = Some(p.clone());
        }
        if let Some(c) = &cli.constraints {
            self.constraints = c.clone();
        }
        Ok(())
    }

    /// Whether findings of `check` from `rule` are reported. The most specific matching
    /// selector decides (a rule id over a check over `ALL`); at equal specificity `ignore`
    /// wins. Nothing matching means not selected.
    pub(crate) fn enabled(&self, check: Check, rule: Option<&str>) -> bool {
        let best = |list: &mut dyn Iterator<Item = &Selector>| {
            list.filter(|s| s.matches(check, rule))
                .map(Selector::specificity)
                .max()
        };
        let pos = best(&mut self.select.iter().chain(&self.extend_select));
        let neg = best(&mut self.ignore.iter());
        match (pos, neg) {
            (None, _) => false,
            (Some(_), None) => true,
            (Some(p), Some(n)) => p > n,
        }
    }

    /// The rules to hand to the checker: those with at least one enabled check among the
    /// checks that rules produce.
    pub(crate) fn selected_rules(&self) -> Vec<Rule> {
        self.all_rules
            .iter()
            .filter(|r| RULE_CHECKS.iter().any(|c| self.enabled(*c, Some(&r.id))))
            .cloned()
            .collect()
    }

    /// The severity override for a finding, if any (the most specific key wins).
    pub(crate) fn severity_for(&self, check: Check, rule: Option<&str>) -> Option<Severity> {
        self.severity
            .iter()
            .filter(|(s, _)| s.matches(check, rule))
            .max_by_key(|(s, _)| s.specificity())
            .map(|(_, sev)| *sev)
    }

    /// Drop unselected findings and apply severity overrides.
    pub(crate) fn apply(&self, diags: &mut Vec<Diagnostic>) {
        diags.retain(|d| self.enabled(d.check, d.rule.as_deref()));
        for d in diags {
            if let Some(s) = self.severity_for(d.check, d.rule.as_deref()) {
                d.severity = s;
            }
        }
    }

    /// Drop the findings `per-file-ignores` silences: a finding in a file (the file it
    /// points into, an included one too) whose path matches a glob listing its check or rule.
    pub(crate) fn apply_per_file(&self, files: &crate::files::Files, diags: &mut Vec<Diagnostic>) {
        if self.per_file_sets.is_empty() {
            return;
        }
        diags.retain(|d| {
            let path = &files.get(d.loc.file).path;
            !self.per_file_sets.iter().any(|(m, sels)| {
                sels.iter().any(|s| s.matches(d.check, d.rule.as_deref()))
                    && self.glob_matches(m, path)
            })
        });
    }

    /// A glob against a path as `exclude` matches: relative to the configuration's
    /// directory, its ancestors, and the bare file name.
    fn glob_matches(&self, m: &globset::GlobMatcher, path: &Path) -> bool {
        // Walked paths are relative to the working directory (`./legacy/x.txt`).
        let abs = std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf());
        let rel = abs.strip_prefix(&self.root).unwrap_or(path);
        m.is_match(rel)
            || rel.file_name().is_some_and(|n| m.is_match(n))
            || rel
                .ancestors()
                .skip(1)
                .filter(|a| !a.as_os_str().is_empty())
                .any(|a| m.is_match(a))
    }

    /// Whether `path` is excluded. Globs are matched against the path relative to the
    /// configuration's directory, against each of its ancestor directories (so `vendor`
    /// excludes everything below `vendor/`), and against the bare file name.
    pub(crate) fn is_excluded(&self, path: &Path) -> bool {
        if self.exclude_set.is_empty() {
            return false;
        }
        let rel = path.strip_prefix(&self.root).unwrap_or(path);
        if self.exclude_set.is_match(rel) {
            return true;
        }
        if rel
            .file_name()
            .is_some_and(|n| self.exclude_set.is_match(n))
        {
            return true;
        }
        rel.ancestors()
            .skip(1)
            .filter(|a| !a.as_os_str().is_empty())
            .any(|a| {
                self.exclude_set.is_match(a)
                    || a.file_name().is_some_and(|n| self.exclude_set.is_match(n))
            })
    }

    /// The effective settings as TOML-ish lines (`depwindow show-settings`).
    pub(crate) fn describe(&self, cwd: &Path) -> String {
        let list = quoted_list::<Selector>;
        let strs = quoted_list::<String>;
        let paths = |v: &[PathBuf]| {
            strs(
                &v.iter()
                    .map(|p| crate::source::display_path(p, cwd))
                    .collect::<Vec<_>>(),
            )
        };
        let mut out = String::new();
        out.push_str(&format!(
            "# configuration: {}\n",
            match &self.source {
                Some(p) => crate::source::display_path(p, cwd),
                None => "none (defaults)".into(),
            }
        ));
        out.push_str(&format!("select = {}\n", list(&self.select)));
        out.push_str(&format!("extend-select = {}\n", list(&self.extend_select)));
        out.push_str(&format!("ignore = {}\n", list(&self.ignore)));
        let sev: Vec<String> = self
            .severity
            .iter()
            .map(|(s, v)| format!("\"{s}\" = \"{}\"", v.as_str()))
            .collect();
        if sev.is_empty() {
            out.push_str("severity = {}\n");
        } else {
            out.push_str(&format!("severity = {{ {} }}\n", sev.join(", ")));
        }
        out.push_str(&format!("exclude = {}\n", strs(&self.exclude)));
        out.push_str(&format!(
            "extend-exclude = {}\n",
            strs(&self.extend_exclude)
        ));
        out.push_str(&format!("extra-rules = {}\n", paths(&self.extra_rules)));
        out.push_str(&format!(
            "pythons = {}\n",
            match &self.pythons {
                Some(p) => strs(p),
                None => "(each rule's own: every Python the trigger ships wheels for)".into(),
            }
        ));
        out.push_str(&format!(
            "platforms = {}\n",
            match &self.platforms {
                Some(p) => strs(p),
                None => "(every operating system: linux, darwin, win32)".into(),
            }
        ));
        out.push_str(&format!("constraints = {}\n", paths(&self.constraints)));
        out.push_str(&format!(
            "output-format = \"{}\"\n",
            self.output_format.unwrap_or(OutputFormat::Human).name()
        ));
        out.push_str(&format!("pretty = {}\n", self.pretty.unwrap_or(false)));
        out.push_str(&format!(
            "fail-on = \"{}\"\n",
            self.fail_on.unwrap_or(Severity::Error).as_str()
        ));
        out.push_str(&format!(
            "per-file-ignores = {{{}}}\n",
            self.per_file_ignores
                .iter()
                .map(|(g, sels)| format!("{g:?} = {}", list(sels)))
                .collect::<Vec<_>>()
                .join(", ")
        ));
        let checks: Vec<&str> = Check::ALL
            .iter()
            .filter(|c| {
                self.enabled(**c, None)
                    || self
                        .all_rules
                        .iter()
                        .any(|r| self.enabled(**c, Some(&r.id)))
            })
            .map(|c| c.code())
            .collect();
        out.push_str(&format!("# checks enabled: {}\n", checks.join(", ")));
        let mut enabled: Vec<String> = Vec::new();
        for r in &self.all_rules {
            let checks: Vec<&str> = RULE_CHECKS
                .iter()
                .filter(|c| self.enabled(**c, Some(&r.id)))
                .map(|c| c.code())
                .collect();
            if !checks.is_empty() {
                enabled.push(format!("# rule {}: {}\n", r.id, checks.join(", ")));
            }
        }
        if enabled.is_empty() {
            out.push_str("# no rule is run\n");
        }
        for line in enabled {
            out.push_str(&line);
        }
        out
    }
}

/// The checks whose findings carry a rule id (the others are about reading the input).
pub(crate) const RULE_CHECKS: [Check; 5] = [
    Check::OutsideWindow,
    Check::Unconstrained,
    Check::Unsatisfiable,
    Check::NoSupportedPython,
    Check::LockIncomplete,
];

pub(crate) fn parse_severity(s: &str) -> Option<Severity> {
    match s {
        "error" => Some(Severity::Error),
        "warning" => Some(Severity::Warning),
        "info" => Some(Severity::Info),
        _ => None,
    }
}

pub(crate) fn validate_python(p: &str) -> Result<(), String> {
    let ok = p.split('.').count() == 2
        && p.split('.')
            .all(|x| !x.is_empty() && x.bytes().all(|b| b.is_ascii_digit()));
    if ok {
        Ok(())
    } else {
        Err(format!(
            "invalid Python `{p}`: expected `major.minor`, e.g. `3.7`"
        ))
    }
}

/// An operating system `--platform` and `platforms` accept: `linux`, `darwin`, `win32`.
pub(crate) fn validate_platform(p: &str) -> Result<(), String> {
    let known = crate::rules::environments::PLATFORMS;
    if known.contains(&p) {
        Ok(())
    } else {
        Err(format!(
            "invalid platform `{p}`: expected one of {}",
            known.join(", ")
        ))
    }
}

fn unknown_selector(s: &str) -> String {
    // The examples come from the registry and the built-in rule data.
    let check = crate::diagnostic::Check::OutsideWindow;
    let rule = crate::rules::builtin()
        .first()
        .map(|r| format!(" (`{}`)", r.id))
        .unwrap_or_default();
    format!(
        "unknown check or rule `{s}`; expected a code (`{}`), a check name (`{}`), a rule id{rule} or `ALL`; `depwindow rule --all` lists them",
        check.code(),
        check.name()
    )
}

/// `--fail-on` / `fail-on`: a severity name.
pub(crate) fn parse_fail_on(s: &str) -> Result<Severity, String> {
    match s {
        "error" => Ok(Severity::Error),
        "warning" => Ok(Severity::Warning),
        "info" => Ok(Severity::Info),
        _ => Err(format!(
            "unknown severity `{s}` for fail-on; expected one of: error, warning, info"
        )),
    }
}

pub(crate) fn unknown_format(s: &str) -> String {
    format!(
        "unknown output format `{s}`; expected one of: {}",
        OutputFormat::ALL
            .iter()
            .map(|f| f.name())
            .collect::<Vec<_>>()
            .join(", ")
    )
}

/// Whether a constraint file (`--constraint`, a configuration's `constraints`) can be read,
/// without reading it; else what it is, in words: a URL (never fetched), not found, a
/// directory, a device or FIFO, a kernel pseudo-file. `shown` is the path as the message
/// names it (escaped for display).
pub fn constraint_readable(path: &Path, shown: &str) -> Result<(), String> {
    if path.to_string_lossy().contains("://") {
        return Err(format!(
            "constraint file `{shown}` is a URL; depwindow does not fetch anything"
        ));
    }
    match crate::files::check_readable(path) {
        Ok(()) => Ok(()),
        Err(crate::files::LoadError::NotFound) => {
            Err(format!("constraint file `{shown}` not found"))
        }
        Err(e) => Err(format!(
            "constraint file `{shown}`: {}",
            crate::report::escape_display(&e.to_string())
        )),
    }
}

/// Find the configuration file for a directory: the nearest `depwindow.toml` or
/// `pyproject.toml` with `[tool.depwindow]`, searching upward.
pub fn find_config(dir: &Path) -> Option<PathBuf> {
    ConfigCache::default().find(dir)
}

/// The configuration file a directory itself holds (no upward search). Every pyproject.toml
/// it reads is kept in `read` (one with the table always; one without while the bytes kept
/// stay under [`READ_BUDGET`]), so that neither its settings nor its check read it again.
/// `listed`: which of the two names the walk's listing of `d` shows (none is probed that it
/// lacks); None when the walk did not list `d`.
fn config_in(
    d: &Path,
    listed: Option<Listed>,
    read: &mut Reads,
    dirs: &crate::files::Dirs,
) -> Option<PathBuf> {
    let listed = listed.unwrap_or(Listed {
        depwindow_toml: true,
        pyproject_toml: true,
    });
    if listed.depwindow_toml {
        let candidate = crate::files::join(d, DEPWINDOW_TOML);
        crate::files::counts::add(&crate::files::counts::CONFIG_PROBES);
        if candidate.is_file() {
            return Some(candidate);
        }
    }
    if !listed.pyproject_toml {
        return None;
    }
    // What is not a regular file (missing, a directory, a FIFO) is refused by the read, as
    // `is_file` refused it before: no separate `stat`.
    let candidate = crate::files::join(d, PYPROJECT_TOML);
    crate::files::counts::add(&crate::files::counts::CONFIG_PROBES);
    if let Ok(kept) = crate::files::read_kept(&candidate, dirs) {
        // The quick look of `pyproject_has_table` on the bytes: the lossy decoding never
        // makes or breaks an ASCII word, so a file without the word or a backslash is not
        // decoded at all.
        let table = may_name_table(&kept.bytes)
            && pyproject_has_table(&String::from_utf8_lossy(&kept.bytes));
        if table || read.held + kept.bytes.len() <= READ_BUDGET {
            read.held += kept.bytes.len();
            read.files.insert(candidate.clone().into_os_string(), kept);
        }
        if table {
            return Some(candidate);
        }
    }
    None
}

/// Whether `dir` has a `..` component (which [`crate::files::normalize`] drops lexically).
fn has_parent_dir(dir: &Path) -> bool {
    dir.components()
        .any(|c| matches!(c, std::path::Component::ParentDir))
}

/// Which configuration file names a walked directory's listing shows (ASCII case folded:
/// the probe of the exact name decides, as it did alone).
#[derive(Clone, Copy)]
struct Listed {
    depwindow_toml: bool,
    pyproject_toml: bool,
}

/// How many bytes of pyproject.toml files without a `[tool.depwindow]` table the lookup
/// keeps for their checks at once. Past it, such a file is read again by its check: a tree
/// of large files costs a second read, never memory in proportion to the tree (the run takes
/// the bytes as it hands each file to a worker, `Resolver::take_read`).
pub(crate) const READ_BUDGET: usize = 4 * 1024 * 1024;

/// The bytes of the pyproject.toml files the lookup read, until their checks take them.
#[derive(Default)]
struct Reads {
    /// By path ([`crate::files::PathKey`]: the lookup's directories are normalised).
    files: HashMap<crate::files::PathKey, crate::files::Read>,
    /// Their total size.
    held: usize,
}

/// [`find_config`] memoised per directory: each directory of a run is looked at once (two
/// `statx`, and a pyproject.toml read), however many checked files lie below it. Without it,
/// every project directory of a monorepo re-probed every ancestor up to `/`.
#[derive(Default)]
pub struct ConfigCache {
    /// By directory ([`crate::files::PathKey`]; a directory spelt another way is looked at
    /// again, never answered wrong).
    nearest: HashMap<crate::files::PathKey, Option<PathBuf>>,
    /// The bytes of each pyproject.toml the lookup read, until the check takes them
    /// ([`Resolver::take_read`]): such a file is read once.
    read: Reads,
    /// Canonical directories for the reads (`files::Dirs`), shared with the run's workers.
    dirs: Arc<crate::files::Dirs>,
    /// What the walk's listings of the directories not looked at yet show (by
    /// [`crate::files::PathKey`]), taken by the lookup, let go when the walk leaves them
    /// ([`Resolver::listed`]).
    listed: HashMap<crate::files::PathKey, Listed>,
    /// The directories of `listed` the walk is still in, outermost first: the walk goes
    /// depth first, so a listed directory that is not above the one listed now has been
    /// left, and only a file in or below it would ask for it.
    open: Vec<PathBuf>,
}

impl ConfigCache {
    /// The walk lists `dir`: the listed directories not above it were left, and what
    /// their listings showed is let go (a lookup asking later probes, as for a directory
    /// the walk did not list).
    fn left_for(&mut self, dir: &Path) {
        while let Some(top) = self.open.last() {
            if dir.starts_with(top) {
                break;
            }
            if self.listed.remove(top.as_os_str()).is_some() {
                crate::files::counts::release(1);
            }
            self.open.pop();
        }
    }

    pub fn find(&mut self, dir: &Path) -> Option<PathBuf> {
        let mut visited: Vec<&Path> = Vec::new();
        let mut found = None;
        for d in dir.ancestors() {
            if let Some(known) = self.nearest.get(d.as_os_str()) {
                found = known.clone();
                break;
            }
            visited.push(d);
            let listed = self.listed.remove(d.as_os_str());
            if listed.is_some() {
                crate::files::counts::release(1);
            }
            if let Some(c) = config_in(d, listed, &mut self.read, &self.dirs) {
                found = Some(c);
                break;
            }
        }
        for d in visited {
            self.nearest.insert(d.as_os_str().to_owned(), found.clone());
        }
        found
    }
}

/// How configuration is chosen for a run.
#[derive(Clone, Debug)]
pub(crate) enum Mode {
    /// Nearest configuration file per checked file.
    Discover,
    /// One file for everything (`--config`).
    Explicit(PathBuf),
    /// Defaults only (`--isolated`).
    Isolated,
}

/// Resolves, loads and caches settings per directory. Every distinct configuration gets a
/// stable index (used to group files that share settings).
pub(crate) struct Resolver {
    mode: Mode,
    cwd: PathBuf,
    cli: CliOverrides,
    /// By normalised directory ([`crate::files::PathKey`]).
    by_dir: HashMap<crate::files::PathKey, usize>,
    configs: ConfigCache,
    by_source: HashMap<Option<PathBuf>, usize>,
    pub profiles: Vec<Arc<Settings>>,
    /// The directory of the last file looked up, as the caller wrote it, and its settings:
    /// the walk gives a directory's files one after the other, and asks twice for each
    /// (excluded? which settings?), so only a directory's first file makes its path
    /// absolute, normalises it and hashes it.
    last_file_dir: Option<(PathBuf, usize)>,
}

impl Resolver {
    pub(crate) fn new(mode: Mode, cwd: &Path, cli: CliOverrides) -> Resolver {
        Resolver {
            mode,
            cwd: cwd.to_path_buf(),
            cli,
            by_dir: HashMap::default(),
            configs: ConfigCache {
                dirs: Arc::new(crate::files::Dirs::with_cwd(cwd)),
                ..ConfigCache::default()
            },
            by_source: HashMap::default(),
            profiles: Vec::new(),
            last_file_dir: None,
        }
    }

    /// The canonical directories the lookup resolved, for the run to share
    /// (`run::run_streamed`): each directory is resolved once per run.
    pub(crate) fn dirs(&self) -> Arc<crate::files::Dirs> {
        self.configs.dirs.clone()
    }

    /// The bytes of a pyproject.toml the configuration lookup has read (once: the caller
    /// checks it with them, see `files::Files::load_read`).
    pub(crate) fn take_read(&mut self, path: &Path) -> Option<crate::files::Read> {
        // Only pyproject.toml files are read ahead; a path that normalises to one names it
        // (normalising drops components, it never makes a name).
        if self.configs.read.files.is_empty()
            || memchr::memmem::find(
                path.as_os_str().as_encoded_bytes(),
                PYPROJECT_TOML.as_bytes(),
            )
            .is_none()
        {
            return None;
        }
        let abs = if path.is_absolute() {
            path.to_path_buf()
        } else {
            crate::files::join(&self.cwd, path)
        };
        let read = &mut self.configs.read;
        let kept = read
            .files
            .remove(crate::files::normalize(&abs).as_os_str())?;
        read.held -= kept.bytes.len();
        Some(kept)
    }

    /// A directory the walk listed: its lookup probes only the configuration file names
    /// the listing shows (a lookup that already looked at it has its answer). A directory
    /// spelt with `..` (a root `link/..`, and everything below it) is not taken: the
    /// lookup names it lexically (`..` dropped with the name before it), the walk listed
    /// where the kernel went (past a link, another directory), so its probes decide.
    pub(crate) fn listed(&mut self, listing: &crate::discover::Listing) {
        if !matches!(self.mode, Mode::Discover) || has_parent_dir(listing.dir) {
            return;
        }
        let dir = self.absolute(listing.dir);
        self.configs.left_for(&dir);
        if self.configs.nearest.contains_key(dir.as_os_str()) {
            return;
        }
        let listed = Listed {
            depwindow_toml: listing.has(DEPWINDOW_TOML),
            pyproject_toml: listing.has(PYPROJECT_TOML),
        };
        if self
            .configs
            .listed
            .insert(dir.clone().into_os_string(), listed)
            .is_none()
        {
            crate::files::counts::hold(1);
        }
        self.configs.open.push(dir);
    }

    /// Forget the bytes no check took (pyproject.toml files excluded or above the paths),
    /// and the directories resolved: the files to check are all known.
    pub(crate) fn drop_reads(&mut self) {
        self.configs.read = Reads::default();
        self.configs.dirs.clear();
        crate::files::counts::release(self.configs.listed.len() as u64);
        self.configs.listed = HashMap::default();
        self.configs.open = Vec::new();
    }

    /// The settings index for a file or directory.
    pub(crate) fn for_path(&mut self, path: &Path) -> Result<usize, ConfigError> {
        let abs = self.absolute(path);
        // The working directory is one (no `stat`: the report's settings ask for it).
        let dir = if abs == self.cwd || abs.is_dir() {
            abs
        } else {
            abs.parent().map(Path::to_path_buf).unwrap_or(abs)
        };
        self.for_dir(dir)
    }

    /// [`Resolver::for_path`] of a path known to name a file (a walked or named file to
    /// check): its directory's settings, without asking the file system what it is.
    pub(crate) fn for_file(&mut self, path: &Path) -> Result<usize, ConfigError> {
        let written = path.parent();
        if let (Some((last, i)), Some(dir)) = (&self.last_file_dir, written) {
            if last.as_os_str() == dir.as_os_str() {
                return Ok(*i);
            }
        }
        crate::files::counts::add(&crate::files::counts::CONFIG_LOOKUPS);
        let abs = self.absolute(path);
        let dir = abs.parent().map(Path::to_path_buf).unwrap_or(abs);
        let i = self.for_dir(dir)?;
        if let Some(dir) = written {
            self.last_file_dir = Some((dir.to_path_buf(), i));
        }
        Ok(i)
    }

    /// `path` made absolute against the run's working directory (no `getcwd`), normalised.
    fn absolute(&self, path: &Path) -> PathBuf {
        if path.is_absolute() {
            crate::files::normalize(path)
        } else {
            crate::files::normalize(&crate::files::join(&self.cwd, path))
        }
    }

    fn for_dir(&mut self, dir: PathBuf) -> Result<usize, ConfigError> {
        if let Some(&i) = self.by_dir.get(dir.as_os_str()) {
            return Ok(i);
        }
        let source = match &self.mode {
            Mode::Discover => self.configs.find(&dir),
            Mode::Explicit(p) => Some(p.clone()),
            Mode::Isolated => None,
        };
        let i = match self.by_source.get(&source) {
            Some(&i) => i,
            None => {
                let mut s = match &source {
                    Some(p) => match &self.mode {
                        Mode::Explicit(_) => Settings::load(p, &self.cwd)?,
                        _ => Settings::load_read(
                            p,
                            &self.cwd,
                            Some(&self.confinement_for(p)),
                            self.configs
                                .read
                                .files
                                .get(p.as_os_str())
                                .map(|r| r.bytes.clone()),
                        )?,
                    },
                    None => Settings::defaults(&self.cwd),
                };
                s.apply_cli(&self.cli)?;
                self.profiles.push(Arc::new(s));
                let i = self.profiles.len() - 1;
                self.by_source.insert(source, i);
                i
            }
        };
        self.by_dir.insert(dir.into_os_string(), i);
        Ok(i)
    }

    /// Where a discovered configuration's rule files may be read from: the project (the
    /// repository root, else the configuration's directory) and the places the command line
    /// or environment allowed.
    fn confinement_for(&self, config: &Path) -> crate::files::Confinement {
        let canon = |p: &Path| std::fs::canonicalize(self.cwd.join(p)).ok();
        let dir = config.parent().unwrap_or(Path::new("."));
        crate::files::Confinement {
            roots: canon(dir)
                .map(|d| crate::files::project_root(&d))
                .into_iter()
                .collect(),
            allowed: self
                .cli
                .allow_outside
                .iter()
                .filter_map(|p| canon(p))
                .collect(),
        }
    }
}

/// `["a", "b"]`: a list in `show-settings` output.
fn quoted_list<T: std::fmt::Display>(v: &[T]) -> String {
    format!(
        "[{}]",
        v.iter()
            .map(|s| format!("\"{s}\""))
            .collect::<Vec<_>>()
            .join(", ")
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings(select: &[&str], ignore: &[&str]) -> Settings {
        let mut s = Settings::defaults(Path::new("/"));
        s.apply_cli(&CliOverrides {
            select: (!select.is_empty()).then(|| select.iter().map(|x| x.to_string()).collect()),
            ignore: ignore.iter().map(|x| x.to_string()).collect(),
            ..CliOverrides::default()
        })
        .unwrap();
        s
    }

    #[test]
    fn most_specific_selector_wins() {
        let s = settings(&[], &["outside-window"]);
        assert!(!s.enabled(Check::OutsideWindow, Some("tensorflow-1.14/numpy")));
        assert!(s.enabled(Check::Unconstrained, Some("tensorflow-1.14/numpy")));
        let s = settings(&["tensorflow-1.14/numpy"], &["DW101"]);
        // The rule id is more specific than the check code.
        assert!(s.enabled(Check::OutsideWindow, Some("tensorflow-1.14/numpy")));
        assert!(!s.enabled(Check::OutsideWindow, Some("tensorflow-1.14/protobuf")));
        assert!(!s.enabled(Check::ParseError, None));
        let s = settings(&["DW101"], &["DW101"]);
        assert!(!s.enabled(Check::OutsideWindow, None));
    }

    #[test]
    fn rules_without_an_enabled_check_are_not_run() {
        let s = settings(&[], &["tensorflow-1.14/protobuf"]);
        let ids: Vec<String> = s
            .selected_rules()
            .into_iter()
            .map(|r| r.id.clone())
            .collect();
        assert!(ids.contains(&"tensorflow-1.14/numpy".to_owned()));
        assert!(!ids.contains(&"tensorflow-1.14/protobuf".to_owned()));
    }

    #[test]
    fn pyproject_table_detection() {
        assert!(pyproject_has_table("[tool.depwindow]\nselect=[]\n"));
        // Found through an escape too (the quick look without a parse must not miss it).
        assert!(pyproject_has_table("[tool.\"\\u0064epwindow\"]\n"));
        assert!(pyproject_has_table("tool = { depwindow = {} }\n"));
        assert!(!pyproject_has_table("[project]\nname = \"x\"\n"));
        assert!(!pyproject_has_table("[tool.ruff]\n"));
        assert!(pyproject_has_table("[tool.depwindow\n"));
        // Every escape that spells a letter is looked at; other backslashes are not.
        assert!(pyproject_has_table("[tool.\"\\U00000064epwindow\"]\n"));
        assert!(pyproject_has_table("[tool.\"\\x64epwindow\"]\n"));
        assert!(may_name_table(b"x = \"\\u0041\""));
        assert!(!may_name_table(b"x = \"a\\\\b\\n\\t\"\n[tool.ruff]\n"));
    }

    #[test]
    fn nearest_configuration_is_memoised_per_directory() {
        let root = std::env::temp_dir().join(format!("dw-config-cache-{}", std::process::id()));
        let deep = root.join("a/b/c");
        std::fs::create_dir_all(&deep).unwrap();
        std::fs::write(root.join("a/depwindow.toml"), "").unwrap();
        std::fs::write(root.join("a/b/pyproject.toml"), "[project]\nname = \"x\"\n").unwrap();
        std::fs::write(root.join("a/b/c/pyproject.toml"), "[tool.depwindow]\n").unwrap();
        let mut cache = ConfigCache::default();
        let a = root.join("a/depwindow.toml");
        assert_eq!(cache.find(&root.join("a/b")), Some(a.clone()));
        assert_eq!(cache.find(&deep), Some(deep.join("pyproject.toml")));
        // Answered from the cache: the file is gone, the run's answer is not.
        std::fs::remove_file(&a).unwrap();
        assert_eq!(cache.find(&root.join("a/b")), Some(a.clone()));
        assert_eq!(cache.find(&root.join("a")), Some(a));
        // The uncached search agrees with what the disk now says.
        assert_eq!(find_config(&root.join("a/b")), None);
        std::fs::remove_dir_all(&root).unwrap();
    }

    /// Each pyproject.toml the lookup read is handed over once, with the bytes the lookup
    /// saw (the check then does not read it again); the settings of one with the table are
    /// read from them too.
    #[test]
    fn the_lookup_hands_over_each_pyproject_it_read() {
        let root = std::env::temp_dir().join(format!("dw-config-read-{}", std::process::id()));
        let (plain, configured) = (root.join("plain"), root.join("configured"));
        std::fs::create_dir_all(&plain).unwrap();
        std::fs::create_dir_all(&configured).unwrap();
        let plain_text = "[project]\nname = \"x\"\n"; // says nothing of depwindow
        let configured_text = "[tool.depwindow]\npythons = [\"3.6\"]\n";
        std::fs::write(plain.join(PYPROJECT_TOML), plain_text).unwrap();
        std::fs::write(configured.join(PYPROJECT_TOML), configured_text).unwrap();
        let mut r = Resolver::new(Mode::Discover, &root, CliOverrides::default());
        let i = r.for_path(&configured.join(PYPROJECT_TOML)).unwrap();
        r.for_path(&plain.join(PYPROJECT_TOML)).unwrap();
        // What is handed over are the bytes read then: the files are gone by now.
        std::fs::remove_dir_all(&root).unwrap();
        assert_eq!(r.profiles[i].pythons, Some(vec!["3.6".to_owned()]));
        let relative = Path::new("plain").join(PYPROJECT_TOML);
        let bytes = |r: Option<crate::files::Read>| r.map(|r| r.bytes);
        assert_eq!(
            bytes(r.take_read(&relative)).as_deref(),
            Some(plain_text.as_bytes())
        );
        assert!(r.take_read(&relative).is_none());
        let configured = configured.join(PYPROJECT_TOML);
        assert_eq!(
            bytes(r.take_read(&configured)).as_deref(),
            Some(configured_text.as_bytes())
        );
        assert!(r.take_read(&configured).is_none());
        r.drop_reads();
    }

    #[test]
    fn excludes_match_relative_paths_ancestors_and_names() {
        let mut s = Settings::defaults(Path::new("/p"));
        s.exclude = vec!["vendor".into(), "**/legacy-*.txt".into()];
        s.rebuild_excludes().unwrap();
        assert!(s.is_excluded(Path::new("/p/vendor/x/requirements.txt")));
        assert!(s.is_excluded(Path::new("/p/a/legacy-requirements.txt")));
        assert!(!s.is_excluded(Path::new("/p/a/requirements.txt")));
    }
}
