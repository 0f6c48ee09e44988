//! Compatibility rules as data: loading, validation into a checked form, and the embedded
//! defaults. The evaluator lives in `crate::check`; this module only knows what a rule says.

#[cfg(test)]
mod compiled_tests;
pub mod environments;
pub(crate) mod releases;
mod schema;

use std::borrow::Cow;
use std::str::FromStr;
use std::sync::{Arc, Mutex, OnceLock};

use pep440_rs::{Version, VersionSpecifiers};
use pep508_rs::PackageName;
use toml::Spanned;

use crate::diagnostic::Severity;
use crate::source::Span;
use crate::versions::VersionSet;
use releases::{ReleaseList, WheelsByPlatform, WheelsByPython};
use schema::RuleFileToml;

// `BUILTIN_RULE_FILES` and `BUILTIN_RELEASES`: every `rules/*.toml` and
// `rules/releases/*.tsv`, listed by `build.rs` (a new rule is a data file only).
include!(concat!(env!("OUT_DIR"), "/builtin_rules.rs"));

/// A rule file that failed to load or validate.
#[derive(Debug, Clone, thiserror::Error)]
#[error("{message}")]
pub struct RuleError {
    pub path: String,
    pub span: Option<Span>,
    pub message: String,
}

// ---- the checked form ----

/// A PEP 440 specifier string together with its exact set.
#[derive(Clone, Debug)]
pub struct Spec {
    pub text: String,
    pub specifiers: VersionSpecifiers,
    pub set: VersionSet,
}

impl Spec {
    pub(crate) fn parse(text: &str) -> Result<Spec, String> {
        let specifiers =
            VersionSpecifiers::from_str(text).map_err(|e| crate::versions::specifiers_error(&e))?;
        let set = VersionSet::from_specifiers(&specifiers);
        Ok(Spec {
            text: text.to_owned(),
            specifiers,
            set,
        })
    }
}

#[derive(Clone, Debug)]
pub struct Trigger {
    /// How messages name the trigger, e.g. "TensorFlow 1.14.0".
    pub title: String,
    pub distributions: Vec<PackageName>,
    pub conda_distributions: Vec<PackageName>,
    /// The distribution whose release list (`wheels`) the conda names are judged with.
    pub conda_releases_as: Option<PackageName>,
    pub version: Spec,
    /// `major.minor` strings, in the file's order.
    pub pythons: Vec<String>,
    /// Per Python, the versions with wheels, placeholders removed.
    pub wheels: Option<Arc<WheelsByPython>>,
    /// The versions of each distribution with wheels per Python and operating system.
    pub platform_wheels: Option<Arc<WheelsByPlatform>>,
    /// Per Python the trigger does not support (`other-python-releases`), the versions of
    /// each distribution with a wheel for it on any platform, placeholders removed.
    pub other_wheels: Option<Arc<WheelsByPython>>,
    pub sources: Vec<String>,
    /// Listed by the index, installable nowhere (`[[trigger.placeholders]]`): never a pick
    /// and never a newer release that makes the trigger only possible.
    pub placeholders: Vec<(PackageName, Version)>,
}

impl Trigger {
    /// The name whose release list holds `dist`'s versions: itself, or for a conda-only
    /// name, `conda-releases-as` when the rule gives it.
    pub(crate) fn releases_name<'a>(&'a self, dist: &'a PackageName) -> &'a PackageName {
        match &self.conda_releases_as {
            Some(n) if self.conda_distributions.contains(dist) => n,
            _ => dist,
        }
    }
}

#[derive(Clone, Debug)]
pub struct Effect {
    pub range: Spec,
    pub effect: String,
    pub sources: Vec<String>,
}

/// A rule's release list and, computed from it, the indices of the final releases outside
/// the window. A built-in list is parsed on first use (a run that never evaluates the rule,
/// a file without its trigger, never parses it); a list read from a file is parsed at load.
/// A built-in release list ready made: its distinct Requires-Python texts (each with the
/// plain Pythons it admits, `releases::series_answers`) and its rows.
type CompiledList = (
    &'static [releases::CompiledRequires],
    &'static [releases::CompiledRelease],
);

struct ReleaseData {
    /// The built-in list's text, until parsed (when `src/rules/compiled.rs` is stale).
    text: &'static str,
    /// The built-in list ready made (`src/rules/compiled.rs`), until built.
    compiled: Option<CompiledList>,
    window: VersionSet,
    made: OnceLock<(Arc<ReleaseList>, Vec<usize>)>,
}

impl ReleaseData {
    fn pending(name: &str, text: &'static str, window: &VersionSet) -> Releases {
        let compiled = compiled::RELEASE_LISTS
            .iter()
            .find(|(n, _, _)| *n == name)
            .map(|(_, rp, rows)| (*rp, *rows));
        Releases(Arc::new(ReleaseData {
            text,
            compiled,
            window: window.clone(),
            made: OnceLock::new(),
        }))
    }

    fn made(list: ReleaseList, window: &VersionSet) -> Releases {
        let made = OnceLock::new();
        let _ = made.set(Self::with_outside(list, window));
        Releases(Arc::new(ReleaseData {
            text: "",
            compiled: None,
            window: window.clone(),
            made,
        }))
    }

    /// The list with the indices of its final releases the window does not admit. The list
    /// is sorted, so the window's intervals are found by binary search
    /// ([`VersionSet::spans`]) and each release is tested against them by a walk, not a
    /// search of the intervals per release.
    fn with_outside(list: ReleaseList, window: &VersionSet) -> (Arc<ReleaseList>, Vec<usize>) {
        let all = &list.releases;
        let mut spans = window.spans(all.len(), |i| &all[i].version).into_iter();
        let mut span = spans.next();
        let mut outside = Vec::new();
        for (i, r) in all.iter().enumerate() {
            while span.as_ref().is_some_and(|s| s.end <= i) {
                span = spans.next();
            }
            let inside = span.as_ref().is_some_and(|s| s.contains(&i))
                && window.admits_in_span(&r.version, true);
            if r.status == releases::Status::Final && !inside {
                outside.push(i);
            }
        }
        (Arc::new(list), outside)
    }

    fn get(&self) -> &(Arc<ReleaseList>, Vec<usize>) {
        self.made.get_or_init(|| {
            if let Some((rp, rows)) = self.compiled {
                return Self::with_outside(ReleaseList::compiled(rp, rows), &self.window);
            }
            let list = ReleaseList::parse(self.text).unwrap_or_else(|e| {
                // The built-in lists are parsed by the tests; a broken build must not panic
                // at a user's site.
                eprintln!("depwindow: an internal release list is invalid: {e}");
                ReleaseList::default()
            });
            Self::with_outside(list, &self.window)
        })
    }
}

/// [`Rule::releases`]: the rule's release list, oldest first (read as an `Arc<ReleaseList>`).
#[derive(Clone)]
pub struct Releases(Arc<ReleaseData>);

impl std::ops::Deref for Releases {
    type Target = Arc<ReleaseList>;
    fn deref(&self) -> &Arc<ReleaseList> {
        &self.0.get().0
    }
}

impl std::fmt::Debug for Releases {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        (**self).fmt(f)
    }
}

/// [`Rule::outside_final`]: indices into the rule's releases (read as a `Vec<usize>`).
#[derive(Clone)]
pub struct OutsideFinal(Arc<ReleaseData>);

impl std::ops::Deref for OutsideFinal {
    type Target = Vec<usize>;
    fn deref(&self) -> &Vec<usize> {
        &self.0.get().1
    }
}

impl std::fmt::Debug for OutsideFinal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        (**self).fmt(f)
    }
}

/// A checked rule: a shared handle, so the copies a run makes (the configuration's rule
/// list from the built-in rules, the profile's selection from it) cost a reference count
/// each, not a copy of every string, specifier and version set of the rule.
#[derive(Clone)]
pub struct Rule(Arc<RuleData>);

impl std::ops::Deref for Rule {
    type Target = RuleData;
    fn deref(&self) -> &RuleData {
        &self.0
    }
}

impl std::fmt::Debug for Rule {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

/// What a [`Rule`] says (read through the handle).
#[derive(Debug)]
pub struct RuleData {
    pub id: String,
    pub package: PackageName,
    pub trigger: Arc<Trigger>,
    pub declared: Option<Spec>,
    pub window: Spec,
    pub python: Option<VersionSpecifiers>,
    /// Whether a unit that never names the package is a finding.
    pub absence_is_finding: bool,
    /// The severity of that finding: the rule's own for `absence = "finding"`, a warning
    /// for `absence = "warning"` (a package every install brings in, that hurts only some).
    pub absence_severity: Severity,
    pub via: Option<String>,
    pub severity: Severity,
    pub releases: Releases,
    pub summary: String,
    pub explanation: String,
    pub install_notes: Vec<String>,
    pub sources: Vec<String>,
    pub effects: Vec<Effect>,
    /// Where the rule came from (for messages).
    pub origin: String,
    /// Indices into `releases` of the final releases outside the window (precomputed: the
    /// checker asks for subsets of them for every unit and Python).
    pub outside_final: OutsideFinal,
    /// Distinct for every rule loaded (never reused, copied by `clone`): what the
    /// evaluator's memo (`check::pick`) knows the rule's fixed release data by.
    pub uid: u64,
}

impl RuleData {
    /// The effect of a version outside the window (first matching tier).
    pub fn effect_of(&self, v: &Version) -> Option<&Effect> {
        self.effects.iter().find(|e| e.range.set.contains_any(v))
    }

    /// Whether the rule holds on this Python (`major.minor`).
    pub fn holds_on(&self, python: &str) -> bool {
        match &self.python {
            None => true,
            Some(spec) => crate::python::allows_python(spec, python),
        }
    }
}

/// Where to find release lists named by a rule file: built in, or a `.tsv` path relative to
/// the rule file.
fn load_releases(
    name: &str,
    base: Option<&std::path::Path>,
    confine: Option<&crate::files::Confinement>,
) -> Result<Cow<'static, str>, String> {
    if let Some((_, text)) = BUILTIN_RELEASES.iter().find(|(n, _)| *n == name) {
        return Ok(Cow::Borrowed(text));
    }
    if name.ends_with(".tsv") {
        if let Some(base) = base {
            let path = base.join(name);
            if let Some(c) = confine {
                c.check(&path)
                    .map_err(|e| format!("release list `{}`: {e}", path.display()))?;
            }
            let bytes = crate::files::read_capped(&path)
                .map_err(|e| format!("cannot read release list `{}`: {e}", path.display()))?;
            return String::from_utf8(bytes)
                .map(Cow::Owned)
                .map_err(|_| format!("release list `{}` is not UTF-8", path.display()));
        }
    }
    Err(format!(
        "unknown release list `{name}`: use one of {} or a path ending in `.tsv`",
        BUILTIN_RELEASES
            .iter()
            .map(|(n, _)| *n)
            .collect::<Vec<_>>()
            .join(", ")
    ))
}

/// Built-in wheel tables already parsed in this process, by (list name, placeholders removed):
/// the built-in rule files all name the same TensorFlow tables, which were parsed once per
/// file at every start.
type TableCache<T> = Mutex<Vec<(String, Vec<(PackageName, Version)>, Arc<T>)>>;
static BY_PYTHON: TableCache<WheelsByPython> = Mutex::new(Vec::new());
static BY_PLATFORM: TableCache<WheelsByPlatform> = Mutex::new(Vec::new());

/// A wheel table (per Python, or per Python and operating system), parsed whole from a
/// file or lazily when built in, with the placeholders removed.
trait WheelTable: Sized {
    fn parse(text: &str) -> Result<Self, String>;
    fn parse_builtin(text: &'static str) -> Result<Self, String>;
    /// The built-in table `name` ready made (`src/rules/compiled.rs`), if it is there.
    fn compiled(name: &str) -> Option<Self>;
    fn remove(&mut self, placeholders: &[(PackageName, Version)]);
}

impl WheelTable for WheelsByPython {
    fn parse(text: &str) -> Result<Self, String> {
        WheelsByPython::parse(text)
    }
    fn parse_builtin(text: &'static str) -> Result<Self, String> {
        WheelsByPython::parse_builtin(text)
    }
    fn compiled(name: &str) -> Option<Self> {
        let (_, rows) = compiled::WHEELS_BY_PYTHON
            .iter()
            .find(|(n, _)| *n == name)?;
        Some(WheelsByPython::compiled(rows))
    }
    fn remove(&mut self, placeholders: &[(PackageName, Version)]) {
        WheelsByPython::remove(self, placeholders)
    }
}

impl WheelTable for WheelsByPlatform {
    fn parse(text: &str) -> Result<Self, String> {
        WheelsByPlatform::parse(text)
    }
    fn parse_builtin(text: &'static str) -> Result<Self, String> {
        WheelsByPlatform::parse_builtin(text)
    }
    fn compiled(name: &str) -> Option<Self> {
        let (_, rows) = compiled::WHEELS_BY_PLATFORM
            .iter()
            .find(|(n, _)| *n == name)?;
        Some(WheelsByPlatform::compiled(rows))
    }
    fn remove(&mut self, placeholders: &[(PackageName, Version)]) {
        WheelsByPlatform::remove(self, placeholders)
    }
}

/// The wheel table `name` (a built-in one shared through `cache`).
fn wheel_table<T: WheelTable>(
    cache: &TableCache<T>,
    name: &str,
    placeholders: &[(PackageName, Version)],
    base: Option<&std::path::Path>,
    confine: Option<&crate::files::Confinement>,
) -> Result<Arc<T>, String> {
    shared_table(cache, name, placeholders, || {
        let mut wheels = match load_releases(name, base, confine)? {
            Cow::Borrowed(text) => match T::compiled(name) {
                Some(table) => table,
                None => T::parse_builtin(text)?,
            },
            Cow::Owned(text) => T::parse(&text)?,
        };
        wheels.remove(placeholders);
        Ok(wheels)
    })
}

/// The table `name` after removing `placeholders`: shared when `name` is a built-in list
/// (its text cannot change), made afresh otherwise.
fn shared_table<T>(
    cache: &TableCache<T>,
    name: &str,
    placeholders: &[(PackageName, Version)],
    make: impl FnOnce() -> Result<T, String>,
) -> Result<Arc<T>, String> {
    if !BUILTIN_RELEASES.iter().any(|(n, _)| *n == name) {
        return make().map(Arc::new);
    }
    if let Ok(known) = cache.lock() {
        if let Some((_, _, t)) = known
            .iter()
            .find(|(n, p, _)| n == name && p.as_slice() == placeholders)
        {
            return Ok(t.clone());
        }
    }
    let table = Arc::new(make()?);
    if let Ok(mut known) = cache.lock() {
        known.push((name.to_owned(), placeholders.to_vec(), table.clone()));
    }
    Ok(table)
}

/// Parse and validate one rule file. `base` is the directory for relative release lists.
pub fn load_rule_file(
    path: &str,
    text: &str,
    base: Option<&std::path::Path>,
) -> Result<Vec<Rule>, RuleError> {
    load_rule_file_confined(path, text, base, None)
}

/// [`load_rule_file`] for a rule file a repository's configuration named: its release lists
/// must stay inside `confine` (a pull request can edit the configuration and the rule file).
pub(crate) fn load_rule_file_confined(
    path: &str,
    text: &str,
    base: Option<&std::path::Path>,
    confine: Option<&crate::files::Confinement>,
) -> Result<Vec<Rule>, RuleError> {
    let file: RuleFileToml = toml::from_str(text).map_err(|e| RuleError {
        path: path.to_owned(),
        span: e.span().map(|r| Span::new(r.start, r.end)),
        message: e.message().to_owned(),
    })?;
    validate(path, &file, base, confine)
}

/// Validate a rule file as written into its rules (`load_rule_file_confined` after the TOML
/// parse; the built-in files come here ready made from `compiled.rs`).
fn validate(
    path: &str,
    file: &RuleFileToml,
    base: Option<&std::path::Path>,
    confine: Option<&crate::files::Confinement>,
) -> Result<Vec<Rule>, RuleError> {
    let err = |span: Option<std::ops::Range<usize>>, message: String| RuleError {
        path: path.to_owned(),
        span: span.map(|r| Span::new(r.start, r.end)),
        message,
    };
    if *file.schema.get_ref() != 1 {
        return Err(err(
            Some(file.schema.span()),
            "unsupported rule schema; expected 1".into(),
        ));
    }
    let spec = |s: &Spanned<String>| {
        Spec::parse(s.get_ref())
            .map_err(|e| err(Some(s.span()), format!("invalid PEP 440 specifier: {e}")))
    };
    let name = |s: &Spanned<String>| {
        PackageName::from_str(s.get_ref())
            .map_err(|e| err(Some(s.span()), format!("invalid package name: {e}")))
    };
    let t = &file.trigger;
    if t.distributions.is_empty() {
        return Err(err(
            None,
            "trigger.distributions must name at least one distribution".into(),
        ));
    }
    for p in &t.pythons {
        let ok = p.get_ref().split('.').count() == 2 && Version::from_str(p.get_ref()).is_ok();
        if !ok {
            return Err(err(
                Some(p.span()),
                "pythons are `major.minor` strings such as \"3.7\"".into(),
            ));
        }
    }
    let mut placeholders = Vec::new();
    for ph in &t.placeholders {
        if ph.sources.is_empty() || ph.reason.trim().is_empty() {
            return Err(err(
                Some(ph.distribution.span()),
                "a placeholder needs a reason and at least one source".into(),
            ));
        }
        let v = Version::from_str(ph.version.get_ref()).map_err(|e| {
            err(
                Some(ph.version.span()),
                format!("invalid PEP 440 version: {e}"),
            )
        })?;
        placeholders.push((name(&ph.distribution)?, v));
    }
    let wheels = match &t.releases {
        None => None,
        Some(r) => Some(
            wheel_table(&BY_PYTHON, r.get_ref(), &placeholders, base, confine)
                .map_err(|m| err(Some(r.span()), m))?,
        ),
    };
    let platform_wheels = match &t.platform_releases {
        None => None,
        Some(r) => Some(
            wheel_table(&BY_PLATFORM, r.get_ref(), &placeholders, base, confine)
                .map_err(|m| err(Some(r.span()), m))?,
        ),
    };
    let other_wheels = match &t.other_python_releases {
        None => None,
        Some(r) => {
            let table = wheel_table(&BY_PYTHON, r.get_ref(), &placeholders, base, confine)
                .map_err(|m| err(Some(r.span()), m))?;
            // A trigger Python here would make DW104's two halves disagree.
            if let Some((p, _, _)) = table.rows.iter().find(|(p, _, _)| {
                t.pythons.iter().any(|tp| tp.get_ref() == p) || crate::python::series(p).is_none()
            }) {
                return Err(err(
                    Some(r.span()),
                    format!("other-python-releases lists Python `{p}`: only `major.minor` Pythons the trigger does not support belong there"),
                ));
            }
            Some(table)
        }
    };
    let version = spec(&t.version)?;
    let distributions: Vec<PackageName> =
        t.distributions.iter().map(name).collect::<Result<_, _>>()?;
    let title = t.title.clone().unwrap_or_else(|| {
        let v = version.text.trim();
        match v.strip_prefix("==") {
            Some(exact) if !exact.contains([',', '*']) => format!("{} {exact}", distributions[0]),
            _ => format!("{} {v}", distributions[0]),
        }
    });
    let trigger = Arc::new(Trigger {
        title,
        distributions,
        conda_distributions: t
            .conda_distributions
            .iter()
            .map(name)
            .collect::<Result<_, _>>()?,
        conda_releases_as: t.conda_releases_as.as_ref().map(name).transpose()?,
        version,
        pythons: t.pythons.iter().map(|p| p.get_ref().clone()).collect(),
        wheels,
        platform_wheels,
        other_wheels,
        sources: t.sources.clone(),
        placeholders,
    });
    if file.package.is_empty() {
        return Err(err(
            None,
            "a rule file needs at least one [[package]]".into(),
        ));
    }
    let mut rules = Vec::new();
    for p in &file.package {
        let id = p.id.get_ref();
        if !id.contains('/') || id.contains(char::is_whitespace) {
            return Err(err(
                Some(p.id.span()),
                "rule ids look like `trigger/package`".into(),
            ));
        }
        let severity = match p.severity.get_ref().as_str() {
            "error" => Severity::Error,
            "warning" => Severity::Warning,
            _ => {
                return Err(err(
                    Some(p.severity.span()),
                    "severity is `error` or `warning`".into(),
                ))
            }
        };
        let (absence_is_finding, absence_severity) = match p.absence.get_ref().as_str() {
            "finding" => (true, severity),
            "warning" => (true, Severity::Warning),
            "ignore" => (false, severity),
            _ => {
                return Err(err(
                    Some(p.absence.span()),
                    "absence is `finding`, `warning` or `ignore`".into(),
                ))
            }
        };
        let python = match &p.python {
            None => None,
            Some(s) => Some(spec(s)?.specifiers),
        };
        let window = spec(&p.window)?;
        if window.set.is_empty() {
            return Err(err(
                Some(p.window.span()),
                "the window admits no version".into(),
            ));
        }
        if p.sources.is_empty() {
            return Err(err(
                Some(p.id.span()),
                "every rule must cite at least one source".into(),
            ));
        }
        let releases = match &p.releases {
            None => ReleaseData::made(ReleaseList::default(), &window.set),
            Some(r) => match load_releases(r.get_ref(), base, confine)
                .map_err(|m| err(Some(r.span()), m))?
            {
                // Built in (valid: the tests parse every list): parsed on first use.
                Cow::Borrowed(text) => ReleaseData::pending(r.get_ref(), text, &window.set),
                // From a file: parsed now, so its errors are reported with the rule file.
                Cow::Owned(text) => ReleaseData::made(
                    ReleaseList::parse(&text).map_err(|m| err(Some(r.span()), m))?,
                    &window.set,
                ),
            },
        };
        let mut effects = Vec::new();
        for e in &p.effects {
            if e.sources.is_empty() {
                return Err(err(
                    Some(e.range.span()),
                    "every effect must cite a source".into(),
                ));
            }
            effects.push(Effect {
                range: spec(&e.range)?,
                effect: e.effect.clone(),
                sources: e.sources.clone(),
            });
        }
        let outside_final = OutsideFinal(releases.0.clone());
        static UID: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
        rules.push(Rule(Arc::new(RuleData {
            outside_final,
            uid: UID.fetch_add(1, std::sync::atomic::Ordering::Relaxed),
            id: id.clone(),
            package: name(&p.name)?,
            trigger: trigger.clone(),
            declared: p.declared.as_ref().map(spec).transpose()?,
            window,
            python,
            absence_is_finding,
            absence_severity,
            via: p.via.clone(),
            severity,
            releases,
            summary: p.summary.clone(),
            explanation: p.explanation.trim().to_owned(),
            install_notes: p.install_notes.clone(),
            sources: p.sources.clone(),
            effects,
            origin: path.to_owned(),
        })));
    }
    Ok(rules)
}

/// The embedded rules, parsed once per process.
pub fn builtin() -> &'static [Rule] {
    static RULES: OnceLock<Vec<Rule>> = OnceLock::new();
    RULES.get_or_init(load_builtin)
}

/// The embedded rules, loaded afresh: from `compiled.rs` (the rule files parsed ahead of
/// time) when it is current, else from their TOML. Validation is the same either way.
#[doc(hidden)]
pub fn load_builtin() -> Vec<Rule> {
    let mut all = Vec::new();
    let mut add = |path: &str, loaded: Result<Vec<Rule>, RuleError>| match loaded {
        Ok(rules) => all.extend(rules),
        // The embedded data is validated by tests; a broken build must not panic at a
        // user's site, so the rule is dropped and the test suite catches it.
        Err(e) => eprintln!("depwindow: internal rule file {path} is invalid: {e}"),
    };
    match compiled::files() {
        Some(files) => {
            for (path, file) in &files {
                add(path, validate(path, file, None, None));
            }
        }
        None => {
            for (path, text) in BUILTIN_RULE_FILES {
                add(path, load_rule_file(path, text, None));
            }
        }
    }
    all
}

/// Check that rule ids are unique across a rule set.
pub fn check_unique(rules: &[Rule]) -> Result<(), String> {
    let mut seen = std::collections::HashSet::new();
    for r in rules {
        if !seen.insert(r.id.as_str()) {
            return Err(format!(
                "rule id `{}` is defined twice ({})",
                r.id, r.origin
            ));
        }
    }
    Ok(())
}
