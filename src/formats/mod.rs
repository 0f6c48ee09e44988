//! One module per input format. Each format is one value behind [`InputFormat`]: how its
//! files are recognised by name, read into a [`crate::manifest::Parsed`] (with the edit
//! anchors a fix needs), paired with lockfiles, re-locked, and edited. The `registry!`
//! below is the only place that lists formats and the only `match` over them.
//!
//! Parsers never judge, and they never abort: what they cannot read becomes a `Problem`.
//!
//! Adding a format: write its module (a unit struct implementing [`InputFormat`]) and add
//! one line to the registry, which also declares the module.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::str::FromStr;

use pep440_rs::Version;
use pep508_rs::PackageName;

use crate::files::Files;
use crate::manifest::{
    FileId, Loc, Parsed, Problem, ProblemKind, Requirement, Role, Unparsed, VersionReq,
};
use crate::source::{SourceFile, Span};

pub(crate) mod edit;
pub(crate) mod guard;
pub(crate) mod include;
pub(crate) mod json_span;
pub mod pep508;
pub(crate) mod pip_compile;
pub mod poetry;
pub(crate) mod setuptools;
pub(crate) mod toml_doc;
pub(crate) mod toml_tree;
pub mod yaml_span;

pub(crate) use edit::Edit;

/// A file name as detection sees it: lower-cased, and whether it sits in a folder named
/// `requirements`.
/// How many folders above a file a `requirements` folder makes it a requirements file
/// (`requirements/x.txt` is 1, `requirements/envs/gpu/x.txt` is 3). Bounded so that a checkout
/// under a folder that happens to be named `requirements` does not read every `.txt` in it.
/// `.pre-commit-hooks.yaml` repeats it (`([^/]*/){0,2}`).
pub(crate) const REQUIREMENTS_DIR_DEPTH: usize = 3;

pub(crate) struct FileName<'a> {
    pub lower: &'a str,
    path: &'a Path,
}

impl FileName<'_> {
    /// Whether a folder named `requirements` holds the file, also in its sub-folders
    /// (`requirements/envs/gpu.txt`), up to [`REQUIREMENTS_DIR_DEPTH`] levels down. Asked
    /// only by a name the folder decides (a `.txt` or `.in` not named for requirements), so
    /// the walk does not read the ancestors of every file it meets.
    pub fn in_requirements_dir(&self) -> bool {
        #[cfg(test)]
        tests::FOLDERS_READ.with(|n| n.set(n.get() + 1));
        self.path
            .ancestors()
            .skip(1)
            .take(REQUIREMENTS_DIR_DEPTH)
            .filter_map(|p| p.file_name())
            .filter_map(|n| n.to_str())
            .any(|n| n.eq_ignore_ascii_case("requirements"))
    }
}

/// Everything depwindow knows about one input format.
pub(crate) trait InputFormat: Sync {
    /// The name used by `--input-format` (and the fuzz target's name, `-` as `_`).
    fn name(&self) -> &'static str;
    /// A file name this format is detected from (fuzzing, tests).
    fn example_file_name(&self) -> &'static str;
    /// Whether a file with this name is of this format.
    fn detect(&self, name: &FileName<'_>) -> bool;
    /// Whether a file named explicitly, whose name no format detects, is read as this
    /// format because of its extension (lower-cased, without the dot).
    fn claims_extension(&self, _ext: &str) -> bool {
        false
    }
    /// Read a loaded file (and what it includes).
    fn parse(&self, files: &mut Files, id: FileId) -> Parsed;
    /// The files that may lock a declaration at `path`, in order of preference, with their
    /// formats. The first that exists and pins something pairs with the declaration.
    fn lockfiles(&self, _path: &Path) -> Vec<(PathBuf, Format)> {
        Vec::new()
    }
    /// The versions a file of this format pins when it serves as a lockfile: its exact
    /// locked versions.
    fn pins(&self, parsed: &Parsed) -> BTreeMap<PackageName, Version> {
        let mut pins = BTreeMap::new();
        for r in &parsed.requirements {
            if let VersionReq::Exact { version, .. } = &r.version {
                pins.insert(PackageName::clone(&r.name), version.clone());
            }
        }
        pins
    }
    /// The command that regenerates a file of this format, for a lockfile.
    fn relock_command(&self) -> Option<&'static str> {
        None
    }
    /// Render a fix in this format's syntax: the span of the decoded text to replace and
    /// the new text, or None when no edit maps one to one (no fix is better than a wrong
    /// one). A version is replaced through the slot the parser captured, the same way in
    /// every format; an insertion is the format's own ([`InputFormat::insert`]).
    fn render(&self, file: &SourceFile, edit: &Edit<'_>) -> Option<(Span, String)> {
        match *edit {
            Edit::ReplaceVersion { req, spec } => edit::replace_version(file, req, spec),
            Edit::InsertRequirement { after, name, spec } => self.insert(file, after, name, spec),
        }
    }
    /// Insert a requirement on `name` admitting `spec` after `after`, under its restriction,
    /// in the layout of its neighbours. The default is a PEP 508 line format's: a new
    /// requirement string with the trigger's marker, at the insertion anchor the parser
    /// captured (`edit::capture_inserts`: the next line, or the next element of the list).
    /// Without that anchor, nothing: lockfiles capture none, so they are never edited.
    fn insert(
        &self,
        file: &SourceFile,
        after: &Requirement,
        name: &str,
        spec: &str,
    ) -> Option<(Span, String)> {
        edit::insert_pep508(file, after, name, spec)
    }
    /// Whether files of this format read other files (`-r`/`-c` includes), so a change to
    /// an included file must re-check them (`--include-dependents`).
    fn reads_includes(&self) -> bool {
        false
    }
    /// Whether conda package names apply (conda-only trigger names count).
    fn conda_names(&self) -> bool {
        false
    }
}

/// The registry: every input format, by variant, module and implementation, in detection
/// order. One line per format (it declares the module too); this is the only list of
/// formats and the only `match` over them.
macro_rules! registry {
    ($($variant:ident => $module:ident::$imp:ident,)*) => {
        $(pub mod $module;)*

        /// Every input format depwindow reads.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum Format {
            $($variant,)*
        }

        impl Format {
            pub const ALL: [Format; [$(stringify!($variant)),*].len()] = [$(Format::$variant,)*];

            /// The implementation of this format.
            pub(crate) fn imp(self) -> &'static dyn InputFormat {
                match self {
                    $(Format::$variant => &$module::$imp,)*
                }
            }
        }
    };
}

registry! {
    Requirements => requirements::Requirements,
    Pyproject => pyproject::Pyproject,
    Pipfile => pipfile::Pipfile,
    PipfileLock => pipfile_lock::PipfileLock,
    SetupCfg => setup_cfg::SetupCfg,
    SetupPy => setup_py::SetupPy,
    Conda => conda::Conda,
    PoetryLock => poetry_lock::PoetryLock,
    UvLock => uv_lock::UvLock,
    PdmLock => pdm_lock::PdmLock,
    Pylock => pylock::Pylock,
}

impl Format {
    /// The name used by `--input-format`.
    pub fn name(self) -> &'static str {
        self.imp().name()
    }

    pub(crate) fn from_name(s: &str) -> Option<Format> {
        Format::ALL.into_iter().find(|f| f.name() == s)
    }

    /// The format of a file found by name, or None when the name is not one we read.
    pub fn detect(path: &Path) -> Option<Format> {
        let lower = path.file_name()?.to_str()?.to_ascii_lowercase();
        let name = FileName {
            lower: &lower,
            path,
        };
        Format::ALL.into_iter().find(|f| f.imp().detect(&name))
    }

    /// The format of a file named explicitly: by name, else by extension, else
    /// requirements syntax (pip reads any file named with `-r`).
    pub fn for_explicit(path: &Path) -> Format {
        Format::detect(path).unwrap_or_else(|| {
            let ext = path
                .extension()
                .and_then(|e| e.to_str())
                .map(str::to_ascii_lowercase)
                .unwrap_or_default();
            Format::ALL
                .into_iter()
                .find(|f| f.imp().claims_extension(&ext))
                .unwrap_or(Format::Requirements)
        })
    }
}

impl Format {
    /// Whether a path's name says nothing about its format (no format detects it, no
    /// format claims its extension): then the content decides ([`sniff`]).
    pub(crate) fn name_says_nothing(path: &Path) -> bool {
        let ext = path
            .extension()
            .and_then(|e| e.to_str())
            .map(str::to_ascii_lowercase)
            .unwrap_or_default();
        Format::detect(path).is_none()
            && !Format::ALL
                .into_iter()
                .any(|f| f.imp().claims_extension(&ext))
    }
}

/// What the content of a file whose name says nothing shows it to be.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Sniffed {
    /// The content is this format's.
    Format(Format),
    /// Nothing structured: a requirements file (pip reads any file named with `-r`).
    Requirements,
    /// Structured (a TOML or JSON document) but no format's: read as requirements, with
    /// one note suggesting `--input-format`.
    Ambiguous,
}

/// Tell a file's format from its content, for a file named on the command line (or
/// standard input) whose name says nothing (`tf-Pipfile`, `old-poetry.lock`). The one
/// home of content detection: a JSON object with `_meta` is a Pipfile.lock; a TOML
/// document with `[[package]]` and a lock's metadata is that lock (poetry: `[metadata]`
/// `content-hash`; pdm: `[metadata]` `lock_version`; uv: top-level `version` and
/// `requires-python`), with `lock-version` and `[[packages]]` a pylock; `[project]` or
/// `[tool.poetry]` a pyproject.toml; `[packages]` / `[dev-packages]` a Pipfile; YAML with
/// a top-level `dependencies:` a conda environment; anything else a requirements file.
pub(crate) fn sniff(text: &str) -> Sniffed {
    let body = text.trim_start_matches('\u{feff}').trim_start();
    if body.starts_with('{') {
        return match serde_json::from_str::<serde_json::Value>(body) {
            Ok(serde_json::Value::Object(o)) if o.contains_key("_meta") => {
                Sniffed::Format(Format::PipfileLock)
            }
            _ => Sniffed::Ambiguous,
        };
    }
    // serde_json stops at 128 levels itself; TOML gets the readers' nesting guard.
    let nested = toml_doc::too_deep(text, toml_doc::MAX_NESTING).is_some();
    if let Some(Ok(doc)) = (!nested).then(|| text.parse::<toml::Table>()) {
        if doc.is_empty() {
            return Sniffed::Requirements;
        }
        let table = |k: &str| doc.get(k).and_then(toml::Value::as_table);
        let metadata = table("metadata");
        let has = |t: Option<&toml::Table>, k: &str| t.is_some_and(|t| t.contains_key(k));
        if doc.contains_key("package") {
            if has(metadata, "content-hash") {
                return Sniffed::Format(Format::PoetryLock);
            }
            if has(metadata, "lock_version") {
                return Sniffed::Format(Format::PdmLock);
            }
            if doc.contains_key("version") && doc.contains_key("requires-python") {
                return Sniffed::Format(Format::UvLock);
            }
            return Sniffed::Ambiguous;
        }
        if doc.contains_key("lock-version") {
            return Sniffed::Format(Format::Pylock);
        }
        if doc.contains_key("project") || has(table("tool"), "poetry") {
            return Sniffed::Format(Format::Pyproject);
        }
        if doc.contains_key("packages") || doc.contains_key("dev-packages") {
            return Sniffed::Format(Format::Pipfile);
        }
        return Sniffed::Ambiguous;
    }
    if text
        .lines()
        .any(|l| l.trim_end().starts_with("dependencies:"))
    {
        return Sniffed::Format(Format::Conda);
    }
    Sniffed::Requirements
}

/// Render a fix: the format of the requirement it concerns writes it.
pub(crate) fn render(file: &SourceFile, edit: &Edit<'_>) -> Option<(Span, String)> {
    edit.requirement().format.imp().render(file, edit)
}

/// Parse a loaded file (and, for formats with includes, what it includes).
pub fn parse(format: Format, files: &mut Files, id: FileId) -> Parsed {
    let mut parsed = format.imp().parse(files, id);
    take_stand_ins(&mut parsed);
    if format == Format::Requirements {
        // pip-compile / uv output is for the Python (and platform) its header names.
        pip_compile::restrict(&files.get(id).text, id, &mut parsed);
    }
    // Safety net: every problem span lies on character boundaries of its file, so reports
    // can always slice it. (The fuzz targets call the readers directly and fail on any
    // reader that needs this.)
    for p in &mut parsed.problems {
        if let Some(file) = (p.loc.file < files.len()).then(|| files.get(p.loc.file)) {
            p.loc.span = crate::source::snap(&file.text, p.loc.span);
        }
    }
    parsed
}

/// Move the stand-ins of requirement lines that do not parse ([`Role::Unparsed`]) out of
/// the requirements into [`Parsed::unparsed`], each with the groups it was a member of.
fn take_stand_ins(parsed: &mut Parsed) {
    if !parsed.requirements.iter().any(|r| r.role == Role::Unparsed) {
        return;
    }
    let mut new_index: Vec<Option<usize>> = Vec::with_capacity(parsed.requirements.len());
    let mut kept = Vec::with_capacity(parsed.requirements.len());
    let mut stand_ins: Vec<(usize, Requirement)> = Vec::new();
    for (i, r) in std::mem::take(&mut parsed.requirements)
        .into_iter()
        .enumerate()
    {
        if r.role == Role::Unparsed {
            new_index.push(None);
            stand_ins.push((i, r));
        } else {
            new_index.push(Some(kept.len()));
            kept.push(r);
        }
    }
    parsed.requirements = kept;
    // Each stand-in's groups, from one pass over the memberships (not one scan of every
    // group per stand-in: a file with many broken lines and many extras stays linear).
    let mut slot: Vec<Option<usize>> = vec![None; new_index.len()];
    for (s, (i, _)) in stand_ins.iter().enumerate() {
        slot[*i] = Some(s);
    }
    let mut groups_of: Vec<Vec<usize>> = vec![Vec::new(); stand_ins.len()];
    for (gi, g) in parsed.groups.iter().enumerate() {
        for &m in &g.members {
            if let Some(s) = slot.get(m).copied().flatten() {
                // Groups come in ascending order: a repeat is the last one pushed.
                if groups_of[s].last() != Some(&gi) {
                    groups_of[s].push(gi);
                }
            }
        }
    }
    for ((_, r), groups) in stand_ins.into_iter().zip(groups_of) {
        parsed.unparsed.push(Unparsed {
            name: PackageName::clone(&r.name),
            loc: r.loc(),
            groups,
        });
    }
    for g in &mut parsed.groups {
        g.members = g
            .members
            .iter()
            .filter_map(|&m| new_index.get(m).copied().flatten())
            .collect();
    }
}

/// Which packages a reader must build in full (the parse context, carried by
/// [`Files::relevant`]): the packages a rule names, its trigger's distributions, and so
/// whatever evaluation, fixes and generated-file annotations read. A requirements-file line
/// or a `pyproject.toml` PEP 508 string (`pep508::unread`) on any other package is still
/// checked against the whole PEP 508 grammar (`pep508::Mode::Check`), so every line pip
/// would reject is still reported, but nothing is kept of a valid one: no check reads a
/// requirement on a package no rule names (issue 15 §4: a few bytes per entry, not a
/// `Requirement`), and no reader captures an insertion place for one
/// (`edit::capture_inserts`). The default reads every package in
/// full: `check --resolve`, the language server's hovers, lockfile pins and anything that
/// is not `run::check_one` use it.
#[derive(Clone, Debug, Default)]
pub struct Relevant {
    /// Normalised names (PEP 503); `None` for every package.
    names: Option<Vec<String>>,
    /// The triggers' distributions among them, after which a fix may insert a requirement
    /// (`edit::capture_inserts` keeps an insertion point for these only); `None` for every
    /// package.
    triggers: Option<Vec<String>>,
}

/// [`Relevant::all`] for readers that were handed no parse context.
pub(crate) static READ_ALL: Relevant = Relevant {
    names: None,
    triggers: None,
};

impl Relevant {
    /// Every package is read in full.
    pub fn all() -> Relevant {
        Relevant::default()
    }

    /// Only these packages are read in full.
    pub fn only<'a>(names: impl IntoIterator<Item = &'a PackageName>) -> Relevant {
        let mut names: Vec<String> = names.into_iter().map(|n| n.to_string()).collect();
        names.sort_unstable();
        names.dedup();
        Relevant {
            names: Some(names),
            triggers: None,
        }
    }

    /// The packages `rules` read: each rule's package and its trigger's distributions
    /// (PyPI and conda names).
    pub fn of_rules(rules: &[crate::rules::Rule]) -> Relevant {
        let triggers = Relevant::only(rules.iter().flat_map(|r| {
            r.trigger
                .distributions
                .iter()
                .chain(&r.trigger.conda_distributions)
        }));
        Relevant {
            triggers: triggers.names,
            ..Relevant::only(rules.iter().flat_map(|r| {
                std::iter::once(&r.package)
                    .chain(&r.trigger.distributions)
                    .chain(&r.trigger.conda_distributions)
            }))
        }
    }

    /// Whether a fix may insert a requirement after one on `raw` (a trigger's distribution),
    /// so its reader keeps an insertion point for it.
    pub(crate) fn may_insert_after(&self, raw: &str) -> bool {
        let Some(names) = &self.triggers else {
            return true;
        };
        holds_name(names, raw)
    }

    /// Whether every package is read in full.
    pub(crate) fn reads_all(&self) -> bool {
        self.names.is_none()
    }

    /// Whether the requirement on `raw`, a PEP 508 name as written (any case, any run of
    /// `-`, `_`, `.`), is read in full. Compared without allocating.
    pub fn wants(&self, raw: &str) -> bool {
        let Some(names) = &self.names else {
            return true;
        };
        holds_name(names, raw)
    }
}

/// Whether sorted normalised `names` hold `raw`, a name as written. A normalised name
/// starts with the lower case of the first byte of every spelling of it (a name starts
/// with a letter or digit; a spelling that starts with `-`, `_` or `.` is none), so only
/// the names that start with it are compared: asked of every requirement a reader meets,
/// a pass over all the rules' names was about 1% of a run.
fn holds_name(names: &[String], raw: &str) -> bool {
    let first = raw.as_bytes().first().map(u8::to_ascii_lowercase);
    let from = names.partition_point(|n| n.as_bytes().first() < first.as_ref());
    names[from..]
        .iter()
        .take_while(|n| n.as_bytes().first() == first.as_ref())
        .any(|n| {
            #[cfg(test)]
            tests::NAMES_COMPARED.with(|c| c.set(c.get() + 1));
            normalized_eq(raw, n)
        })
}

/// The length of `s`'s leading characters for which `is` holds, read byte by byte while
/// they are ASCII, character by character from the first byte that is not: a trim of the
/// usual all-ASCII text without decoding it. The readers' whitespace sets (Python's
/// `str.isspace`, `char::is_whitespace`) each call it with their own `is`.
pub(crate) fn lead_len(s: &str, is: impl Fn(char) -> bool) -> usize {
    let b = s.as_bytes();
    let i = b
        .iter()
        .position(|&c| !c.is_ascii() || !is(char::from(c)))
        .unwrap_or(b.len());
    if b.get(i).is_some_and(|c| !c.is_ascii()) {
        return s.len() - s[i..].trim_start_matches(is).len();
    }
    i
}

/// The length of `s` without its trailing characters for which `is` holds (as
/// [`lead_len`]).
pub(crate) fn trimmed_len(s: &str, is: impl Fn(char) -> bool) -> usize {
    let b = s.as_bytes();
    let i = b
        .iter()
        .rposition(|&c| !c.is_ascii() || !is(char::from(c)))
        .map_or(0, |i| i + 1);
    if i > 0 && !b[i - 1].is_ascii() {
        return s[..i].trim_end_matches(is).len();
    }
    i
}

/// Whether the PEP 503 normal form of `raw` is `normal` (already normalised). A `raw` that
/// is not a name (pep508_rs's `PackageName` refuses it) never equals one.
pub(crate) fn normalized_eq(raw: &str, normal: &str) -> bool {
    let mut want = normal.bytes();
    let mut sep = false;
    for b in raw.bytes() {
        if matches!(b, b'-' | b'_' | b'.') {
            sep = true;
            continue;
        }
        if std::mem::take(&mut sep) && want.next() != Some(b'-') {
            return false;
        }
        if want.next() != Some(b.to_ascii_lowercase()) {
            return false;
        }
    }
    !sep && want.next().is_none()
}

/// Whether pep508_rs's `PackageName::from_str` accepts `raw`: ASCII letters, digits, `-`,
/// `_` and `.`, neither first nor last one of `-_.`. Asked of every requirement on a
/// package no rule reads, where building the name only to drop it was an allocation per
/// line (`tests/integration/allocations.rs`; `tests::package_names_as_pep508_rs_reads_them`
/// compares both).
pub(crate) fn is_package_name(raw: &str) -> bool {
    let separator = |b: &u8| matches!(b, b'-' | b'_' | b'.');
    let bytes = raw.as_bytes();
    bytes
        .iter()
        .all(|b| b.is_ascii_alphanumeric() || separator(b))
        && !bytes.first().is_some_and(separator)
        && !bytes.last().is_some_and(separator)
}

/// The package a requirement string that does not parse names: its leading PEP 508 name,
/// when it starts with one.
pub fn leading_name(text: &str) -> Option<PackageName> {
    let t = text.trim_start();
    let end = t
        .find(|c: char| !(c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_')))
        .unwrap_or(t.len());
    let name = t[..end].trim_end_matches(['.', '-', '_']);
    if !name.starts_with(|c: char| c.is_ascii_alphanumeric()) {
        return None;
    }
    PackageName::from_str(name).ok()
}

/// A stand-in for a requirement line of `name` that does not parse (see
/// [`Role::Unparsed`]): it joins the unit's members as a requirement would.
pub fn stand_in(name: PackageName, loc: Loc, format: Format) -> Requirement {
    Requirement::new(crate::manifest::Draft {
        name: name.into(),
        extras: Default::default(),
        version: VersionReq::Unversioned,
        marker: crate::markers::Marker::TRUE,
        role: Role::Unparsed,
        syntax: crate::manifest::Syntax::Pep508,
        at: loc,
        name_at: loc.span,
        hashed: false,
        pre: false,
        format,
    })
}

/// A problem of `kind` at `span` of `file`, without help text.
pub(crate) fn problem(kind: ProblemKind, file: FileId, span: Span, message: String) -> Problem {
    Problem {
        kind,
        loc: Loc { file, span },
        message,
        help: None,
    }
}

/// Add `req` to `out` and its index to `members` (the unit it belongs to).
pub(crate) fn push_member(out: &mut Parsed, members: &mut Vec<usize>, req: Requirement) {
    members.push(out.requirements.len());
    out.requirements.push(req);
}

/// What reading one requirement (written `text`) gave: the requirement joins `out` and
/// `members`, a problem joins `out.problems`, and a parse error of a text that starts with
/// a package name leaves a [`stand_in`] among the members.
pub(crate) fn keep(
    out: &mut Parsed,
    members: &mut Vec<usize>,
    read: Result<Requirement, Problem>,
    text: &str,
) {
    match read {
        Ok(req) => push_member(out, members, req),
        Err(p) => {
            if p.kind == ProblemKind::Parse {
                if let Some(name) = leading_name(text) {
                    push_member(out, members, stand_in(name, p.loc, Format::Requirements));
                }
            }
            out.problems.push(p);
        }
    }
}

#[cfg(test)]
mod tests {
    thread_local! {
        /// How many times a file name's folders were read for `requirements` (tests).
        pub(super) static FOLDERS_READ: std::cell::Cell<usize> = const { std::cell::Cell::new(0) };
        /// How many names `holds_name` compared (tests).
        pub(super) static NAMES_COMPARED: std::cell::Cell<usize> = const { std::cell::Cell::new(0) };
    }

    /// The lookup by first byte answers as a comparison with every name does, for every
    /// rule package and trigger spelt in many ways, their prefixes and extensions, other
    /// names, and names that start with a separator, a digit or a non-ASCII letter; and it
    /// compares only the names that share the first letter (the old pass compared all).
    #[test]
    fn relevant_names_are_found_as_a_pass_over_all_finds_them() {
        let rules = crate::rules::builtin();
        let relevant = Relevant::of_rules(rules);
        let names = relevant.names.clone().unwrap();
        let triggers = relevant.triggers.clone().unwrap();
        assert!(names.len() > 3 && !triggers.is_empty());
        let mut raws: Vec<String> = Vec::new();
        for n in &names {
            let upper = n.to_uppercase();
            let title: String = n
                .chars()
                .enumerate()
                .map(|(i, c)| if i == 0 { c.to_ascii_uppercase() } else { c })
                .collect();
            for base in [n.clone(), upper, title] {
                raws.push(base.clone());
                raws.push(base.replace('-', "_"));
                raws.push(base.replace('-', "._-"));
                raws.push(format!("-{base}"));
                raws.push(format!("_{base}"));
                raws.push(format!("{base}-"));
                raws.push(format!("{base}x"));
                raws.push(base[..base.len() - 1].to_owned());
                raws.push(format!("x{base}"));
            }
        }
        raws.extend(
            [
                "requests",
                "0numpy",
                "\u{e9}-numpy",
                "",
                "-",
                "n",
                "t",
                "T",
                "tensorflow_gpu",
                "NUMPY",
            ]
            .map(String::from),
        );
        for raw in &raws {
            for list in [&names, &triggers] {
                let all = list.iter().any(|n| normalized_eq(raw, n));
                assert_eq!(holds_name(list, raw), all, "{raw:?} in {list:?}");
            }
        }
        let compared = |raw: &str| {
            NAMES_COMPARED.with(|c| c.set(0));
            holds_name(&names, raw);
            NAMES_COMPARED.with(|c| c.get())
        };
        assert_eq!(compared("requests"), 0);
        let starting_with_t = names.iter().filter(|n| n.starts_with('t')).count();
        assert!(compared("Tensorflow") <= starting_with_t && starting_with_t < names.len());
    }

    /// The walk asks every file it meets what it is: only a `.txt` or `.in` name the folder
    /// decides reads the folders above it (a tree of 20,000 Python files cost 40M
    /// instructions more when every name read them), and those still detect as before.
    #[test]
    fn detection_reads_the_folders_only_for_names_they_decide() {
        use std::path::Path;
        let read = |path: &str| {
            FOLDERS_READ.with(|n| n.set(0));
            let format = super::Format::detect(Path::new(path));
            (format, FOLDERS_READ.with(|n| n.get()))
        };
        for path in [
            "a/requirements/b/c/mod.py",
            "requirements/setup.py",
            "requirements/requirements.txt",
            "requirements/pyproject.toml",
            "x/README.md",
        ] {
            assert_eq!(read(path).1, 0, "{path}");
        }
        let requirements = Some(super::Format::Requirements);
        assert_eq!(read("requirements/envs/gpu/base.txt"), (requirements, 1));
        assert_eq!(read("requirements/dev.in"), (requirements, 1));
        assert_eq!(read("a/b/c/d/base.txt"), (None, 1));
    }
    use super::*;

    /// `is_package_name` and `normalized_eq` answer as pep508_rs's `PackageName::from_str`
    /// does, on every string of up to four characters from an alphabet of each kind of
    /// byte the rule distinguishes (and a multi-byte one).
    #[test]
    fn package_names_as_pep508_rs_reads_them() {
        let alphabet = ["a", "Z", "0", "-", "_", ".", " ", "!", "é", "+"];
        let mut texts = vec![String::new()];
        let mut last = vec![String::new()];
        for _ in 0..4 {
            last = last
                .iter()
                .flat_map(|t| alphabet.iter().map(move |c| format!("{t}{c}")))
                .collect();
            texts.extend(last.iter().cloned());
        }
        let normals = ["a", "a-a", "z0", "a-z", ""].map(|n| PackageName::from_str(n).unwrap());
        for text in &texts {
            let theirs = PackageName::from_str(text);
            assert_eq!(is_package_name(text), theirs.is_ok(), "{text:?}");
            for normal in &normals {
                let same = theirs.as_ref().is_ok_and(|n| n == normal);
                assert_eq!(
                    normalized_eq(text, normal.as_ref()),
                    same,
                    "{text:?} {normal}"
                );
            }
        }
    }

    #[test]
    fn every_format_detects_its_example_and_names_round_trip() {
        for f in Format::ALL {
            let name = f.imp().example_file_name();
            assert_eq!(Format::detect(Path::new(name)), Some(f), "{name}");
            assert_eq!(Format::from_name(f.name()), Some(f));
        }
        assert_eq!(
            Format::detect(Path::new("requirements/dev.in")),
            Some(Format::Requirements)
        );
        assert_eq!(
            Format::detect(Path::new("pylock.dev.toml")),
            Some(Format::Pylock)
        );
        assert_eq!(Format::detect(Path::new("notes.txt")), None);
        assert_eq!(Format::for_explicit(Path::new("env.YAML")), Format::Conda);
        assert_eq!(
            Format::for_explicit(Path::new("deps.lst")),
            Format::Requirements
        );
    }

    #[test]
    fn content_says_the_format_when_the_name_does_not() {
        use super::Format as F;
        use Sniffed::{Ambiguous, Requirements};
        assert!(Format::name_says_nothing(Path::new("tf-Pipfile")));
        assert!(Format::name_says_nothing(Path::new("old-poetry.lock")));
        assert!(!Format::name_says_nothing(Path::new("env.yml")));
        assert!(!Format::name_says_nothing(Path::new("Pipfile")));
        let cases = [
            (
                "{\"_meta\": {}, \"default\": {}}",
                Sniffed::Format(F::PipfileLock),
            ),
            ("{\"default\": {}}", Ambiguous),
            (
                "[[package]]\nname = \"a\"\n[metadata]\ncontent-hash = \"x\"\n",
                Sniffed::Format(F::PoetryLock),
            ),
            (
                "[[package]]\nname = \"a\"\n[metadata]\nlock_version = \"4.4\"\n",
                Sniffed::Format(F::PdmLock),
            ),
            (
                "version = 1\nrequires-python = \">=3.7\"\n[[package]]\nname = \"a\"\n",
                Sniffed::Format(F::UvLock),
            ),
            ("[[package]]\nname = \"a\"\n", Ambiguous),
            (
                "lock-version = \"1.0\"\n[[packages]]\nname = \"a\"\n",
                Sniffed::Format(F::Pylock),
            ),
            ("[project]\nname = \"a\"\n", Sniffed::Format(F::Pyproject)),
            (
                "[tool.poetry]\nname = \"a\"\n",
                Sniffed::Format(F::Pyproject),
            ),
            ("[packages]\nnumpy = \"*\"\n", Sniffed::Format(F::Pipfile)),
            (
                "name: x\ndependencies:\n  - numpy\n",
                Sniffed::Format(F::Conda),
            ),
            ("[other]\nx = 1\n", Ambiguous),
            ("numpy>=1.16\ntensorflow==1.14.0\n", Requirements),
            ("# only a comment\n", Requirements),
            ("", Requirements),
            // Hostile nesting: no parse, no stack overflow.
            (&"[".repeat(100_000), Requirements),
            (&"{".repeat(100_000), Ambiguous),
            (&format!("x = {}", "[".repeat(100_000)), Requirements),
        ];
        for (text, want) in cases {
            assert_eq!(sniff(text), want, "{text:?}");
        }
    }

    #[test]
    fn lockfiles_say_how_to_relock_and_declarations_do_not() {
        let relock = |f: Format| f.imp().relock_command();
        assert_eq!(relock(Format::PipfileLock), Some("pipenv lock"));
        assert_eq!(relock(Format::PoetryLock), Some("poetry lock"));
        assert_eq!(relock(Format::UvLock), Some("uv lock"));
        assert_eq!(relock(Format::PdmLock), Some("pdm lock"));
        assert_eq!(relock(Format::Pylock), Some("pip lock"));
        assert_eq!(relock(Format::Requirements), None);
        assert_eq!(relock(Format::Pyproject), None);
    }

    #[test]
    fn declarations_name_their_lockfiles() {
        let locks = |f: Format, p: &str| -> Vec<Format> {
            f.imp()
                .lockfiles(Path::new(p))
                .into_iter()
                .map(|(_, f)| f)
                .collect()
        };
        assert_eq!(
            locks(Format::Pyproject, "a/pyproject.toml"),
            [
                Format::PoetryLock,
                Format::UvLock,
                Format::PdmLock,
                Format::Pylock
            ]
        );
        assert_eq!(locks(Format::Pipfile, "Pipfile"), [Format::PipfileLock]);
        assert_eq!(
            Format::Requirements
                .imp()
                .lockfiles(Path::new("/nonexistent/requirements.in"))
                .into_iter()
                .map(|(p, _)| p)
                .collect::<Vec<_>>(),
            [PathBuf::from("/nonexistent/requirements.txt")]
        );
        assert!(locks(Format::Requirements, "requirements.txt").is_empty());
        assert!(locks(Format::PoetryLock, "poetry.lock").is_empty());
    }

    #[test]
    fn relevant_names_are_compared_normalised() {
        let names: Vec<PackageName> = ["tensorflow-gpu", "numpy", "zope-interface"]
            .iter()
            .map(|n| PackageName::from_str(n).unwrap())
            .collect();
        let r = Relevant::only(&names);
        for raw in [
            "numpy",
            "NumPy",
            "tensorflow_gpu",
            "TensorFlow.GPU",
            "zope._-interface",
        ] {
            assert!(r.wants(raw), "{raw}");
        }
        for raw in [
            "num",
            "numpy2",
            "tensorflow",
            "tensorflow-gpu-",
            "zopeinterface",
            "",
        ] {
            assert!(!r.wants(raw), "{raw}");
        }
        assert!(Relevant::all().wants("anything") && Relevant::all().reads_all());
        assert!(!Relevant::only([]).wants("numpy"));
    }
}
