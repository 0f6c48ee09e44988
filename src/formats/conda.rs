//! conda `environment.yml`: the `dependencies:` list of conda match-specs and its
//! `- pip:` sub-list (requirements-file lines). One unit: `environment`.
//!
//! Match-specs follow CEP 29 ("The MatchSpec query language", conda/ceps), translated to
//! PEP 440 by [`translate_matchspec`]:
//!
//! | conda | PEP 440 | CEP 29 rule |
//! |---|---|---|
//! | `numpy=1.17`, `numpy =1.17`, `numpy 1.17.*`, `numpy 1.17*` | `==1.17.*` | fuzzy equality |
//! | `numpy==1.17`, `numpy 1.17`, `numpy=1.17=py37_0`, `numpy 1.17 py37_0` | `==1.17` | exact equality (two or three positional fields) |
//! | `numpy >=1.16,<1.17`, `numpy[version='>=1.16']` | `>=1.16, <1.17` | ordered comparison, `,` is AND |
//! | `numpy 1.16.*\|1.17.0` | AnyOf(`==1.16.*`, `==1.17.0`) | `\|` is OR, `,` binds tighter |
//! | `!=1.16` | `!=1.16.*` | "negated fuzzy equality" |
//! | `conda-forge::numpy`, `numpy` | any | channel prefix ignored |
//!
//! Where conda's own version semantics (CEP 33 / `conda.models.version`) differ from
//! PEP 440, the translation is an approximation, and the checker's verdict follows PEP 440:
//! - conda has no pre-release exclusion: `numpy>=1.16` admits `1.17.0rc1` if the channel
//!   has it; PEP 440 (pip) excludes pre-releases unless named.
//! - conda orders arbitrary letter tags alphabetically, with `dev` lowest and `post`
//!   highest (`1.0dev < 1.0a < 1.0b < 1.0c < 1.0rc < 1.0`); PEP 440 knows only
//!   `a`/`b`/`rc` (and normalises `c` to `rc`), and `1.0dev`→`1.0.dev0`.
//! - conda compares `1.16` and `1.16.0` as equal (so does PEP 440 for release segments),
//!   and treats `_` like `.`; PEP 440 rejects `1.0_1`, so such versions are reported.
//! - conda's fuzzy `1.16*` (no dot) is a prefix match on version components, the same
//!   as `==1.16.*`.
//! - conda builds (`py37_0`) and channels select artifacts, not versions: ignored.

use std::str::FromStr;

use pep440_rs::VersionSpecifiers;

use crate::versions::Specifiers;
use pep508_rs::PackageName;

use super::include::{self, Resolver};
use super::yaml_span::{self, Keep, Kind, Node, Role as YamlRole, Scalar, Value};
use super::{problem, push_member};
use crate::files::Files;
use crate::manifest::{
    FileId, Group, GroupKind, Loc, Parsed, Problem, ProblemKind, Requirement, Role, Syntax, VersionReq,
    VersionSlot,
};
use crate::source::Span;

/// A match-spec, translated. Spans are relative to the match-spec string.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct MatchSpec {
    pub name: String,
    pub name_span: Span,
    /// The version expression as written (without a fuzzy `=` separator), if any.
    pub version_span: Option<Span>,
    /// OR of AND-clauses, each read clause by clause (`Specifiers::parse`: no whole
    /// pep440_rs list of a long alternative is alive at once). Empty: no version constraint.
    pub alternatives: Vec<Specifiers>,
    /// One span per `,` clause, when there is a single alternative and every clause maps
    /// to one PEP 440 specifier.
    pub clauses: Vec<Span>,
}

/// Why a match-spec is not translated.
#[derive(Debug)]
pub(crate) enum SpecError {
    /// conda refuses it as well (no name, a `[` never closed, an empty clause).
    Malformed(String),
    /// conda reads it, but its version has no PEP 440 equivalent depwindow can check
    /// (`openssl=1.1.1k`, a regular expression, a parenthesised expression).
    Untranslated(String),
}

impl From<String> for SpecError {
    fn from(message: String) -> SpecError {
        SpecError::Malformed(message)
    }
}

impl std::fmt::Display for SpecError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            SpecError::Malformed(m) | SpecError::Untranslated(m) => f.write_str(m),
        }
    }
}

/// Translate a conda match-spec into a name and PEP 440 specifier sets.
pub(crate) fn translate_matchspec(spec: &str) -> Result<MatchSpec, SpecError> {
    let b = spec.as_bytes();
    // Bracketed keyword expressions come last: `name[version='>=1.16', build=py37*]`.
    let (positional_end, bracket_version) = match spec.find('[') {
        Some(open) => {
            if !spec.trim_end().ends_with(']') {
                return Err(SpecError::Malformed("`[` without a closing `]`".into()));
            }
            let close = spec.trim_end().len() - 1;
            (open, bracket_value(spec, open + 1, close, "version")?)
        }
        None => (spec.len(), None),
    };
    // Channel prefix: `conda-forge::numpy`, `conda-forge/linux-64::numpy`.
    let pos_start = spec[..positional_end].rfind("::").map_or(0, |i| i + 2);
    let mut i = pos_start;
    while i < positional_end && b[i] == b' ' {
        i += 1;
    }
    let name_start = i;
    while i < positional_end && !matches!(b[i], b' ' | b'=' | b'<' | b'>' | b'!' | b'~') {
        i += 1;
    }
    let name_span = Span::new(name_start, i);
    let name = spec[name_start..i].to_owned();
    if name.is_empty() || name.contains('*') {
        return Err(SpecError::Malformed(
            "a match-spec needs a package name (wildcards are not checked)".into(),
        ));
    }
    let rest = Span::new(i, positional_end);
    let positional = positional_version(spec, rest)?;
    let (vspan, fuzzy_eq) = match (bracket_version, positional) {
        (Some(bv), _) => (Some(bv), false),
        (None, Some((s, fuzzy))) => (Some(s), fuzzy),
        (None, None) => (None, false),
    };
    let Some(vspan) = vspan else {
        return Ok(MatchSpec {
            name,
            name_span,
            version_span: None,
            alternatives: vec![],
            clauses: vec![],
        });
    };
    let (alternatives, clauses) = version_expression(spec, vspan, fuzzy_eq)?;
    Ok(MatchSpec {
        name,
        name_span,
        version_span: Some(vspan),
        alternatives,
        clauses,
    })
}

/// The version field of the positional part (after the name). Returns its span and
/// whether a single leading `=` separator makes it fuzzy (CEP 29 "version expression
/// parsing").
fn positional_version(spec: &str, rest: Span) -> Result<Option<(Span, bool)>, String> {
    let text = &spec[rest.start..rest.end];
    let trimmed = text.trim();
    // conda reads `numpy=` (no trailing space) as `numpy` (`match_spec.py`,
    // `_sanitize_version_str`).
    if trimmed.is_empty() || text == "=" {
        return Ok(None);
    }
    let base = rest.start + (text.len() - text.trim_start().len());
    // Fields separated by spaces, where spaces around operators/`,`/`|` do not separate.
    let mut fields: Vec<Span> = Vec::new();
    let tb = trimmed.as_bytes();
    let mut s = 0;
    let mut k = 0;
    while k < tb.len() {
        if tb[k] == b' ' {
            let prev = tb[..k].iter().rev().find(|&&c| c != b' ').copied();
            let mut n = k;
            while n < tb.len() && tb[n] == b' ' {
                n += 1;
            }
            let next = tb.get(n).copied();
            let joins = matches!(prev, Some(b'=' | b'<' | b'>' | b'!' | b'~' | b',' | b'|'))
                || matches!(next, Some(b',' | b'|'));
            if !joins {
                fields.push(Span::new(base + s, base + k));
                s = n;
            }
            k = n;
            continue;
        }
        k += 1;
    }
    fields.push(Span::new(base + s, base + tb.len()));
    let spaced = fields.len() > 1 || trimmed.starts_with(' ');
    let (version, build_present) = if spaced || !trimmed.contains('=') {
        if fields.len() > 2 {
            return Err("too many fields: expected `name version build`".into());
        }
        (fields[0], fields.len() == 2)
    } else {
        // `=`-separated: `=1.16.4=py37_0`, `==1.16=py37_0`, `>=1.16,<1.17`.
        let f = fields[0];
        let fb = &spec.as_bytes()[f.start..f.end];
        let lead = fb
            .iter()
            .take_while(|&&c| matches!(c, b'=' | b'<' | b'>' | b'!' | b'~'))
            .count();
        let mut sep = None;
        for j in lead.max(1)..fb.len() {
            if fb[j] == b'='
                && !matches!(fb[j - 1], b'=' | b'<' | b'>' | b'!' | b'~' | b',' | b'|')
                && fb.get(j + 1) != Some(&b'=')
            {
                sep = Some(j);
                break;
            }
        }
        match sep {
            Some(j) => (Span::new(f.start, f.start + j), true),
            None => (f, false),
        }
    };
    let vtext = &spec[version.start..version.end];
    let single_eq = vtext.starts_with('=') && !vtext.starts_with("==");
    // CEP 29: `name=V` and `name =V` (two fields) and `name =V build` are fuzzy;
    // `name=V=build` is exact.
    let fuzzy = single_eq && (spaced || !build_present);
    let version = if single_eq {
        Span::new(version.start + 1, version.end)
    } else {
        version
    };
    Ok(Some((version, fuzzy)))
}

/// The value of `key=...` inside `[...]`, quoted or not.
fn bracket_value(spec: &str, start: usize, end: usize, key: &str) -> Result<Option<Span>, String> {
    let b = spec.as_bytes();
    let mut i = start;
    while i < end {
        while i < end && matches!(b[i], b' ' | b',') {
            i += 1;
        }
        let k0 = i;
        while i < end && b[i] != b'=' && b[i] != b',' {
            i += 1;
        }
        let k = spec[k0..i].trim();
        if i >= end || b[i] != b'=' {
            continue; // A bare keyword (`[optional]`).
        }
        i += 1;
        let (v0, v1) = if matches!(b.get(i), Some(b'\'' | b'"')) {
            let q = b[i];
            let close = spec[i + 1..end]
                .find(q as char)
                .map(|p| i + 1 + p)
                .ok_or("unclosed quote in `[...]`")?;
            let r = (i + 1, close);
            i = close + 1;
            r
        } else {
            let v0 = i;
            while i < end && b[i] != b',' {
                i += 1;
            }
            (v0, i)
        };
        if k == key {
            return Ok(Some(Span::new(v0, v1)));
        }
    }
    Ok(None)
}

/// Translate a conda version expression (`|` OR of `,` AND clauses).
fn version_expression(
    spec: &str,
    span: Span,
    fuzzy_eq: bool,
) -> Result<(Vec<Specifiers>, Vec<Span>), SpecError> {
    let text = &spec[span.start..span.end];
    if text.contains(['(', ')']) {
        return Err(SpecError::Untranslated(
            "parenthesised conda version expressions are not translated".into(),
        ));
    }
    let mut alternatives = Vec::new();
    let mut clause_spans = Vec::new();
    let mut mapped = true;
    let mut off = span.start;
    let n_alts = text.split('|').count();
    for (a, alt) in text.split('|').enumerate() {
        let mut pep = Vec::new();
        let mut coff = off;
        for (k, clause) in alt.split(',').enumerate() {
            let lead = clause.len() - clause.trim_start().len();
            let c = clause.trim();
            let cspan = Span::new(coff + lead, coff + lead + c.len());
            coff += clause.len() + 1;
            if c.is_empty() {
                return Err(SpecError::Malformed(format!("empty clause in `{text}`")));
            }
            let first = a == 0 && k == 0;
            match translate_clause(c, fuzzy_eq && n_alts == 1 && !text.contains(','), first)? {
                Some(s) => {
                    pep.push(s);
                    clause_spans.push(cspan);
                }
                None => mapped = false,
            }
        }
        let joined = pep.join(",");
        let specs = match Specifiers::parse(&joined) {
            Some(specs) => specs,
            // pep440_rs reads the list whole only to say what is wrong with it.
            None => VersionSpecifiers::from_str(&joined)
                .map_err(|e| {
                    SpecError::Untranslated(format!(
                        "`{}` has no PEP 440 equivalent: {}",
                        alt.trim(),
                        crate::versions::specifiers_error(&e)
                    ))
                })?
                .into(),
        };
        alternatives.push(specs);
        off += alt.len() + 1;
    }
    if alternatives.len() != 1 || !mapped {
        clause_spans.clear();
    }
    Ok((alternatives, clause_spans))
}

/// One conda clause as one PEP 440 specifier string; None for `*` (any).
/// `first`: the first clause of the whole expression, whose leading `==` conda's
/// `_sanitize_version_str` strips (`==1.14.*` is then the glob `1.14.*`); on any later
/// clause `==1.14.*` keeps its operator, and conda drops the `.*` after it: exactly 1.14
/// (`>=1.14,==1.14.*` matches 1.14.0, not 1.14.5; checked with conda's `MatchSpec`).
fn translate_clause(c: &str, fuzzy_eq: bool, first: bool) -> Result<Option<String>, SpecError> {
    let c: String = c.chars().filter(|ch| !ch.is_whitespace()).collect();
    if c == "*" {
        return Ok(None);
    }
    if c.starts_with('^') {
        return Err(SpecError::Untranslated(format!(
            "regular-expression version `{c}` is not translated"
        )));
    }
    let ops = ["==", "!=", ">=", "<=", "~=", ">", "<", "="];
    let (op, v) = ops
        .iter()
        .find_map(|op| c.strip_prefix(op).map(|v| (*op, v)))
        .unwrap_or(("", c.as_str()));
    let dot_star = v.ends_with(".*");
    let (v, glob) = match v.strip_suffix(".*").or_else(|| v.strip_suffix('*')) {
        Some(stem) => (stem, true),
        None => (v, false),
    };
    if v.is_empty() {
        return Err(SpecError::Malformed(format!("version `{c}` has no version")));
    }
    if v.contains('*') {
        return Err(SpecError::Untranslated(format!("version `{c}` is not translated")));
    }
    Ok(Some(match op {
        "" if glob => format!("=={v}.*"),
        "" if fuzzy_eq => format!("=={v}.*"),
        "" => format!("=={v}"),
        "=" => format!("=={v}.*"),
        "==" if glob && first => format!("=={v}.*"),
        "==" if dot_star => format!("=={v}"),
        // `==1.14*` after the first clause: compared as a version with a `*`.
        "==" if glob => {
            return Err(SpecError::Untranslated(format!(
                "`{c}` compares with a version holding `*`"
            )))
        }
        "==" => format!("=={v}"),
        // CEP 29: `!=` is negated fuzzy equality.
        "!=" => format!("!={v}.*"),
        // conda drops a `.*` after a relation (`>=1.16.*` is `>=1.16`, with a deprecation
        // warning) and refuses `~=1.16.*` (`models/version.py`, `VersionSpec`); a `*` in
        // the version itself (`>=1.16*`) it compares as a version, which has no PEP 440
        // equivalent.
        ">=" | ">" | "<=" | "<" if dot_star => format!("{op}{v}"),
        "~=" if dot_star => {
            return Err(SpecError::Malformed(format!("`{c}`: conda refuses `.*` after `~=`")))
        }
        _ if glob => {
            return Err(SpecError::Untranslated(format!(
                "`{c}` mixes `*` with `{op}`"
            )))
        }
        _ => format!("{op}{v}"),
    }))
}

pub(crate) fn parse_unit(files: &mut Files, id: FileId) -> Parsed {
    let mut out = Parsed::default();
    // The packages read in full (`formats::Relevant`): a valid entry on any other is not kept.
    let relevant = files.relevant().clone();
    let text = files.get(id).text.as_str();
    // The document is read as the parser goes: what conda does not read is dropped, and the
    // `dependencies` and `pip:` lists are read entry by entry, so neither is ever held whole
    // (issue 15 §4: 2.7M entries were a 495 MB tree).
    let mut env = EnvReader {
        doc: Doc {
            text,
            id,
            relevant: &relevant,
        },
        reading: Deps::default(),
        deps: None,
    };
    let (root, errors) = yaml_span::read(text, &mut env);
    for e in errors {
        out.problems
            .push(problem(ProblemKind::Parse, id, e.span, e.message));
        if e.stops_read {
            // conda's loader refuses the whole file; what depwindow read before this point
            // is checked, but nothing can be said about what is missing.
            out.problems.push(problem(
                ProblemKind::Unevaluable,
                id,
                e.span,
                "the rest of the file is not read, so no package is reported as unconstrained"
                    .into(),
            ));
        }
    }
    match &root.value {
        Value::Map(_) => {}
        Value::Null => {}
        _ => {
            let msg = format!("an environment file is a mapping, found {}", root.kind());
            out.problems
                .push(problem(ProblemKind::Parse, id, root.span, msg));
        }
    }
    // The last `dependencies` counts (ruamel refuses a repeated key; that is reported).
    let mut members = Vec::new();
    let mut pip = None;
    match env.deps {
        None => {}
        Some(DepsValue::Read(mut deps)) => {
            deps.aliases.finish(&mut deps.out.problems);
            out.problems.append(&mut deps.out.problems);
            out.requirements = deps.out.requirements;
            out.requires_python = deps.out.requires_python;
            members = deps.members;
            // conda collects the dependencies into a dict (`conda.env.env.Dependencies.parse`:
            // `self.update(line)` for each mapping entry), so a later `pip:` section replaces
            // an earlier one, and only the last is installed.
            if let Some((_, earlier)) = deps.pip_keys.split_last() {
                for key in earlier {
                    out.problems.push(problem(
                        ProblemKind::Note,
                        id,
                        *key,
                        "a later `pip:` section replaces this one (conda keeps the last); its \
                         entries are not installed and not checked"
                            .into(),
                    ));
                }
            }
            pip = deps.last_pip;
        }
        Some(DepsValue::Node(deps)) => match &deps.value {
            Value::Null => {}
            Value::Alias => alias(text, id, &deps, "dependencies", &mut out.problems),
            _ => {
                let msg = format!("`dependencies` must be a list, found {}", deps.kind());
                out.problems
                    .push(problem(ProblemKind::Parse, id, deps.span, msg));
            }
        },
    }
    match pip {
        None => {}
        Some(PipValue::Read(mut section)) => {
            section.aliases.finish(&mut section.problems);
            out.problems.append(&mut section.problems);
            pip_entries(files, id, &section.text, &mut out, &mut members);
        }
        Some(PipValue::Node(value)) => match &value.value {
            Value::Null => {}
            Value::Alias => alias(text, id, &value, "pip entries", &mut out.problems),
            _ => {
                let msg = format!("`pip` must be a list, found {}", value.kind());
                out.problems
                    .push(problem(ProblemKind::Parse, id, value.span, msg));
            }
        },
    }
    out.groups.push(Group {
        kind: GroupKind::Base,
        tool: None,
        name: "environment".into(),
        members,
        extras: vec![],
        base: None,
    });
    out
}

/// The reader's names for the collections it reads ([`yaml_span::Role::tag`]).
const ROOT: u32 = 0;
const DEPENDENCIES: u32 = 1;
const INSTALLER_SECTIONS: u32 = 2;
const PIP: u32 = 3;

/// What an environment file is read for, taken as the YAML parser goes: the root mapping's
/// entries, each item of a `dependencies` list and each entry of a `pip:` list in it are
/// handed over as they end and read at once; everything else conda does not read is
/// dropped as it is parsed (only its kind and span stay, for the messages).
struct EnvReader<'t> {
    doc: Doc<'t>,
    /// The `dependencies` list being read.
    reading: Deps,
    /// The last `dependencies` value read so far.
    deps: Option<DepsValue>,
}

enum DepsValue {
    /// A list, read.
    Read(Box<Deps>),
    /// Anything else (null, an alias, a scalar, a mapping without its entries).
    Node(Node),
}

/// What one `dependencies` list gave, kept apart until the document ends: a later
/// `dependencies` key replaces it, and its problems come after the YAML errors.
#[derive(Default)]
struct Deps {
    /// Its requirements, problems and `python` entry.
    out: Parsed,
    members: Vec<usize>,
    aliases: Aliases,
    /// The key of every `pip:` section, in order.
    pip_keys: Vec<Span>,
    /// The last `pip:` section's value.
    last_pip: Option<PipValue>,
    /// The `pip:` list being read, with its key.
    reading_pip: Option<(Span, PipSection)>,
}

enum PipValue {
    Read(PipSection),
    Node(Node),
}

/// A `pip:` list, read entry by entry: its problems, and its strings joined as conda joins
/// them.
#[derive(Default)]
struct PipSection {
    problems: Vec<Problem>,
    aliases: Aliases,
    text: PipText,
}

impl yaml_span::Reader for EnvReader<'_> {
    fn open(&mut self, parent: Option<YamlRole>, key: Option<&Node>, seq: bool) -> YamlRole {
        let stream = |tag| YamlRole {
            keep: Keep::Stream,
            tag,
        };
        let key_span = key.map(|k| k.span);
        let key = key.and_then(Node::key_text);
        match (parent.map(|p| p.tag), key, seq) {
            (None, _, false) => stream(ROOT),
            (Some(ROOT), Some("dependencies"), true) => {
                self.reading = Deps::default();
                stream(DEPENDENCIES)
            }
            (Some(DEPENDENCIES), _, false) => YamlRole {
                keep: Keep::Tree,
                tag: INSTALLER_SECTIONS,
            },
            (Some(INSTALLER_SECTIONS), Some("pip"), true) => {
                // A later `pip` list in the same mapping replaces this one's.
                self.reading.reading_pip = key_span.map(|k| (k, PipSection::default()));
                stream(PIP)
            }
            _ => YamlRole {
                keep: Keep::Hollow,
                tag: u32::MAX,
            },
        }
    }

    fn item(&mut self, parent: YamlRole, key: Option<Node>, node: Node) {
        match parent.tag {
            ROOT if key.as_ref().and_then(Node::key_text) == Some("dependencies") => {
                self.deps = Some(match node.value {
                    // Its items were read as they came.
                    Value::Seq(_) => DepsValue::Read(Box::new(std::mem::take(&mut self.reading))),
                    _ => DepsValue::Node(node),
                });
            }
            DEPENDENCIES => read_dependency(&self.doc, node, &mut self.reading),
            PIP => {
                let Some((_, section)) = self.reading.reading_pip.as_mut() else {
                    return;
                };
                let (text, id) = (self.doc.text, self.doc.id);
                match &node.value {
                    Value::Scalar(s) if s.kind == Kind::Str => section.text.push(s),
                    Value::Alias => section
                        .aliases
                        .add(text, id, &node, "pip entries", &mut section.problems),
                    _ => {
                        let msg = format!("a pip entry must be a string, found {}", node.kind());
                        section
                            .problems
                            .push(problem(ProblemKind::Parse, id, node.span, msg));
                    }
                }
            }
            _ => {}
        }
    }
}

/// YAML aliases where conda expects dependencies. ruamel.yaml would load the anchored
/// node there; depwindow does not expand aliases (an alias can stand for a document many
/// times its size), so what they stand for is not checked here, and the unit claims no
/// absence. The anchored node itself is read where it is written. One list reports its
/// first alias, with the count of the others, so a million aliases are one problem.
#[derive(Default)]
struct Aliases {
    first: Option<usize>,
    more: usize,
}

impl Aliases {
    fn add(&mut self, text: &str, id: FileId, node: &Node, what: &str, out: &mut Vec<Problem>) {
        if self.first.is_some() {
            self.more += 1;
            return;
        }
        self.first = Some(out.len());
        let name = text.get(node.span.start..node.span.end).unwrap_or("*");
        out.push(problem(
            ProblemKind::Unevaluable,
            id,
            node.span,
            format!(
                "YAML alias `{name}` is not expanded: the {what} it stands for are not checked"
            ),
        ));
    }

    fn finish(&mut self, out: &mut [Problem]) {
        if let (Some(i), n @ 1..) = (self.first, self.more) {
            let s = if n == 1 { "" } else { "es" };
            out[i].message += &format!(" (nor those of {n} more alias{s} in this list)");
        }
        *self = Aliases::default();
    }
}

fn alias(text: &str, id: FileId, node: &Node, what: &str, out: &mut Vec<Problem>) {
    Aliases::default().add(text, id, node, what, out);
}

/// The environment file being read: its text, its id, and the packages read in full.
struct Doc<'t> {
    text: &'t str,
    id: FileId,
    relevant: &'t super::Relevant,
}

/// One item of a `dependencies` list, as it ends.
fn read_dependency(doc: &Doc<'_>, item: Node, deps: &mut Deps) {
    match item.value {
        Value::Map(entries) => installer_sections(doc, entries, deps),
        // An empty entry (`- `): nothing to read.
        Value::Null => {}
        Value::Alias => deps.aliases.add(
            doc.text,
            doc.id,
            &item,
            "dependencies",
            &mut deps.out.problems,
        ),
        Value::Scalar(ref s) if s.kind == Kind::Str => {
            conda_spec(doc, s, &mut deps.out, &mut deps.members);
        }
        _ => {
            let msg = format!(
                "a dependency must be a match-spec string, found {}",
                item.kind()
            );
            deps.out
                .problems
                .push(problem(ProblemKind::Parse, doc.id, item.span, msg));
        }
    }
}

/// A mapping in a `dependencies` list: installer sections, of which conda reads `pip`.
fn installer_sections(doc: &Doc<'_>, entries: Vec<(Node, Node)>, deps: &mut Deps) {
    for (key, value) in entries {
        if key.key_text() == Some("pip") {
            deps.pip_keys.push(key.span);
            deps.last_pip = Some(match value.value {
                // Its entries were read as they came (`EnvReader::item`); a list under an
                // earlier `pip` key of this mapping was replaced by this one's, and is not
                // the last.
                Value::Seq(_) => PipValue::Read(
                    match deps.reading_pip.take_if(|(k, _)| *k == key.span) {
                        Some((_, section)) => section,
                        None => PipSection::default(),
                    },
                ),
                _ => PipValue::Node(value),
            });
            continue;
        }
        let shown = key
            .key_text()
            .or_else(|| doc.text.get(key.span.start..key.span.end))
            .unwrap_or("");
        let msg = format!("unknown installer section `{shown}` (conda reads only `pip`)");
        deps.out
            .problems
            .push(problem(ProblemKind::Parse, doc.id, key.span, msg));
    }
}

fn conda_spec(
    doc: &Doc<'_>,
    s: &Scalar,
    out: &mut Parsed,
    members: &mut Vec<usize>,
) {
    let (text, id, relevant) = (doc.text, doc.id, doc.relevant);
    let base = if s.verbatim { s.inner } else { s.span };
    let at = |rel: Span| if s.verbatim { base.sub(rel) } else { base };
    let ms = match translate_matchspec(&s.value) {
        Ok(ms) => ms,
        Err(e) => {
            // A spec that does not parse stands in for its package (`formats::stand_in`),
            // read after any `channel::`.
            let spec = s.value.rsplit("::").next().unwrap_or("");
            let name = super::leading_name(spec);
            let kind = match &e {
                SpecError::Malformed(_) => ProblemKind::Parse,
                // conda reads it: not an error in the file. On a package no rule reads
                // (`openssl=1.1.1k`, in most exported environments) there is nothing to
                // say; on one a rule reads, it cannot be checked.
                SpecError::Untranslated(_) => match &name {
                    // The Python range is then not narrowed: said, as for a `|` of Pythons.
                    Some(n) if n.as_ref() == "python" => ProblemKind::Note,
                    Some(n) if relevant.wants(n.as_ref()) => ProblemKind::Unevaluable,
                    _ => return,
                },
            };
            out.problems.push(problem(
                kind,
                id,
                base,
                format!("match-spec `{}`: {e}", s.value),
            ));
            if let Some(name) = name.filter(|n| n.as_ref() != "python") {
                let loc = Loc { file: id, span: base };
                push_member(out, members, super::stand_in(name, loc, super::Format::Conda));
            }
            return;
        }
    };
    let vspan = ms.version_span.map(at).unwrap_or(base);
    if ms.name == "python" {
        match ms.alternatives.as_slice() {
            [] => {}
            [one] => {
                out.requires_python = Some((
                    std::sync::Arc::new(one.clone()),
                    Loc {
                        file: id,
                        span: vspan,
                    },
                ))
            }
            _ => out.problems.push(problem(
                ProblemKind::Note,
                id,
                vspan,
                "a `|` alternative of Python versions is not used to narrow the Python version"
                    .into(),
            )),
        }
        return;
    }
    let name = match PackageName::from_str(&ms.name) {
        Ok(n) => n,
        Err(_) => {
            let msg = format!("`{}` is not a Python package name; not checked", ms.name);
            out.problems
                .push(problem(ProblemKind::Note, id, at(ms.name_span), msg));
            return;
        }
    };
    // A valid entry on a package no rule reads leaves nothing behind: no check reads it
    // (issue 15 §4; `formats::Relevant`). Its problems, above, are reported all the same.
    if !relevant.wants(&ms.name) {
        return;
    }
    let mut alternatives = ms.alternatives;
    let version = if alternatives.len() > 1 {
        VersionReq::AnyOf {
            alternatives: alternatives.into_iter().map(std::sync::Arc::new).collect(),
            span: vspan.into(),
        }
    } else {
        match alternatives.pop() {
            Some(specifiers) if !specifiers.is_empty() => {
                let clauses = if s.verbatim {
                    ms.clauses.iter().map(|c| base.sub(*c)).collect()
                } else {
                    vec![]
                };
                VersionReq::Specifiers {
                    specifiers: std::sync::Arc::new(specifiers),
                    span: vspan.into(),
                    clauses: clauses.into(),
                }
            }
            _ => VersionReq::Any,
        }
    };
    let req = Requirement::new(crate::manifest::Draft {
        name: name.into(),
        extras: Default::default(),
        version,
        marker: crate::markers::Marker::TRUE,
        role: Role::Require,
        syntax: Syntax::Conda,
        at: Loc {
            file: id,
            span: base,
        }
        ,
        name_at: at(ms.name_span),
        hashed: false,
        pre: false,
        format: super::Format::Conda,
    });
    let mut req = req;
    req.set_anchors(super::edit::with_version(version_slot(
        text,
        req.loc().span,
        req.name_span(),
        &req.version,
    )));
    push_member(out, members, req);
}

/// An offset into the text (capped at 8 MiB) or the joined entries, as a `u32`.
fn at32(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

/// The `pip:` entries joined as conda joins them, and where each came from: 8 bytes an
/// entry (a verbatim entry's text is its value, so its end follows from the next entry's
/// start), plus the spans of the entries that are not verbatim.
#[derive(Default)]
struct PipText {
    joined: String,
    /// Per entry: where it starts in `joined`, and where its inner text starts in the file.
    starts: Vec<(u32, u32)>,
    /// The entries that are not verbatim (escapes, folded or block scalars), by index: their
    /// whole token and their inner text.
    odd: Vec<(u32, Span, Span)>,
}

/// One `pip:` entry: where it starts in the joined text, its inner text in the file, and
/// for an entry that is not verbatim its whole token (any offset in it maps to all of it).
#[derive(Clone, Copy)]
struct Piece {
    at: usize,
    inner: Span,
    whole: Option<Span>,
}

impl PipText {
    fn push(&mut self, s: &Scalar) {
        if !self.starts.is_empty() {
            self.joined.push('\n');
        }
        let index = at32(self.starts.len());
        self.starts
            .push((at32(self.joined.len()), at32(s.inner.start)));
        self.joined.push_str(&s.value);
        if !s.verbatim {
            self.odd.push((index, s.span, s.inner));
        }
    }

    fn len(&self) -> usize {
        self.starts.len()
    }

    fn get(&self, i: usize) -> Piece {
        let (at, inner_start) = self.starts[i];
        let (at, inner_start) = (at as usize, inner_start as usize);
        if let Ok(k) = self.odd.binary_search_by_key(&at32(i), |&(j, _, _)| j) {
            let (_, whole, inner) = self.odd[k];
            return Piece {
                at,
                inner,
                whole: Some(whole),
            };
        }
        let end = self
            .starts
            .get(i + 1)
            .map_or(self.joined.len(), |&(next, _)| next as usize - 1);
        Piece {
            at,
            inner: Span::new(inner_start, inner_start + (end - at)),
            whole: None,
        }
    }
}

/// The `pip:` entries as conda hands them to pip. conda (`conda/env/installers/pip.py`,
/// `_pip_install_via_requirements`) writes `"\n".join(specs)` to a temporary
/// `condaenv.*.requirements.txt` in the environment file's directory
/// (`conda.env.pip_util.get_pip_workdir`: `dirname(abspath(file))` when writable) and runs
/// `pip install -U -r <that file>` there. So the entries are read as one requirements file
/// by the same reader as requirements files, with `-r`/`-c` paths relative to the
/// environment file's directory, through the same include resolver.
///
/// `entries` are the string entries in order. A verbatim entry maps its offsets 1:1 into
/// the file; any other entry (escapes, folded or block scalars) is underlined whole.
fn pip_entries(
    files: &mut Files,
    id: FileId,
    entries: &PipText,
    out: &mut Parsed,
    members: &mut Vec<usize>,
) {
    if entries.len() == 0 {
        return;
    }
    // The entry holding joined offset `pos` (a separator belongs to the entry before it).
    let piece = |pos: usize| {
        let i = entries
            .starts
            .partition_point(|&(start, _)| start as usize <= pos);
        entries.get(i.saturating_sub(1))
    };
    let map = |span: Span| {
        let p = piece(span.start);
        let start = match p.whole {
            None => p.inner.start + (span.start - p.at).min(p.inner.len()),
            Some(whole) => whole.start,
        };
        if span.is_empty() {
            return Span::new(start, start);
        }
        // A span's end is the offset after its last byte: find the entry by that byte.
        let p = piece(span.end - 1);
        let end = match p.whole {
            None => p.inner.start + (span.end - p.at).min(p.inner.len()),
            Some(whole) => whole.end,
        };
        Span::new(start, end.max(start))
    };
    let fp = super::requirements::parse_text_mapped(
        id,
        &entries.joined,
        &map,
        Role::Require,
        files.relevant(),
    );
    let dir = files.get(id).dir();
    let mut resolver = Resolver::default();
    resolver.read_lines(files, id, fp, &dir, 0);
    let first = out.requirements.len();
    members.extend(include::merge(out, resolver.finish()));
    // Requirements written in this file's `pip:` list are list entries of a conda file:
    // the conda format renders their edits. Their edit anchors come from the file's text,
    // for entries whose text maps one to one (a plain or verbatim quoted scalar).
    let text = files.get(id).text.as_str();
    for r in out.requirements[first..].iter_mut().filter(|r| r.loc().file == id) {
        r.format = super::Format::Conda;
        // The entries are in file order: the one that could hold the requirement is the last
        // starting at or before it (a scan per requirement made a long `pip:` list quadratic).
        let at = entries
            .starts
            .partition_point(|&(_, inner)| inner as usize <= r.loc().span.start);
        let verbatim = at.checked_sub(1).is_some_and(|i| {
            let p = entries.get(i);
            p.whole.is_none() && r.loc().span.end <= p.inner.end
        });
        if let (true, Some(req_text)) = (verbatim, text.get(r.loc().span.start..r.loc().span.end)) {
            r.set_anchors(super::pep508::anchors(
                req_text,
                r.loc().span.start,
                r.name_span(),
                &r.version,
                r.loc().span,
            ));
        }
    }
}

/// A conda environment file (`environment.yml`).
pub(crate) struct Conda;

impl super::InputFormat for Conda {
    fn name(&self) -> &'static str {
        "conda"
    }
    fn example_file_name(&self) -> &'static str {
        "environment.yml"
    }
    fn detect(&self, name: &super::FileName<'_>) -> bool {
        matches!(name.lower, "environment.yml" | "environment.yaml")
    }
    fn claims_extension(&self, ext: &str) -> bool {
        matches!(ext, "yml" | "yaml")
    }
    fn parse(&self, files: &mut Files, id: FileId) -> Parsed {
        let mut parsed = parse_unit(files, id);
        // List entries, and the lines of requirements files included from `pip:`.
        super::edit::capture_line_inserts(files, &mut parsed);
        parsed
    }
    /// A new list entry after the trigger's, with its prefix (`- `, quote): a match-spec
    /// beside a conda package, a PEP 508 line with the trigger's marker beside a `pip:` one.
    fn insert(
        &self,
        file: &crate::source::SourceFile,
        after: &Requirement,
        name: &str,
        spec: &str,
    ) -> Option<(Span, String)> {
        match after.syntax {
            Syntax::Conda => super::edit::insert_after(file, after, &format!("{name}{spec}")),
            _ => super::edit::insert_pep508(file, after, name, spec),
        }
    }
    fn reads_includes(&self) -> bool {
        true
    }
    fn conda_names(&self) -> bool {
        true
    }
}

/// Where the version of a conda match-spec is, or would go: the version expression with
/// the fuzzy `=` separator it replaces (`numpy=1.17` -> `numpy>=1.14.5,<1.17`), keeping a
/// space separator (`numpy 1.16.*` -> `numpy >=1.14.5,<1.17`); after a bare name. Nothing
/// when a build string follows the version (a range cannot carry it) or in the bracket form
/// outside quotes.
fn version_slot(
    text: &str,
    loc: Span,
    name_span: Span,
    version: &VersionReq,
) -> Option<VersionSlot> {
    match version {
        VersionReq::Specifiers { span, .. } | VersionReq::AnyOf { span, .. }
            if span.get() != loc =>
        {
            let span = span.get();
            let entry = text.get(loc.start..span.start)?;
            // The bracket form `numpy[version='>=1.16']`: only inside quotes.
            if entry.contains('[') {
                let before = text.get(..span.start)?;
                return before
                    .ends_with(['"', '\''])
                    .then_some(VersionSlot::Replace { span, quote: None });
            }
            let mut start = span.start;
            let b = text.as_bytes();
            if start >= 1 && b.get(start - 1) == Some(&b'=') {
                let prev = if start >= 2 { b.get(start - 2) } else { None };
                if !matches!(prev, Some(b'=' | b'<' | b'>' | b'!' | b'~')) {
                    start -= 1;
                }
            }
            let after = text.get(span.end..loc.end)?;
            if !after.trim().is_empty() {
                return None;
            }
            Some(VersionSlot::Replace {
                span: Span::new(start, span.end),
                quote: None,
            })
        }
        VersionReq::Any => {
            let raw = text.get(name_span.start..name_span.end)?;
            if raw.is_empty() || raw.contains(|c: char| c.is_whitespace() || c == '"') {
                return None;
            }
            let at = name_span.end;
            // Only when nothing but the end of the entry follows the name.
            let rest = text.get(at..loc.end)?;
            rest.trim().is_empty().then_some(VersionSlot::Insert {
                at,
                around: &["", ""],
            })
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    fn tr(spec: &str) -> Vec<String> {
        translate_matchspec(spec)
            .unwrap()
            .alternatives
            .iter()
            .map(|a| a.to_string())
            .collect()
    }

    #[test]
    fn matchspec_translation_table() {
        assert_eq!(tr("numpy=1.17"), ["==1.17.*"]);
        assert_eq!(tr("numpy =1.17"), ["==1.17.*"]);
        assert_eq!(tr("numpy==1.17"), ["==1.17"]);
        assert_eq!(tr("numpy 1.17"), ["==1.17"]);
        assert_eq!(tr("numpy 1.16.*"), ["==1.16.*"]);
        assert_eq!(tr("numpy 1.16*"), ["==1.16.*"]);
        assert_eq!(tr("numpy=1.16.*"), ["==1.16.*"]);
        assert_eq!(tr("numpy>=1.16,<1.17"), [">=1.16, <1.17"]);
        // conda drops the `.*` after a relation.
        assert_eq!(tr("numpy>=1.16.*,<1.17.*"), [">=1.16, <1.17"]);
        // conda reads `>=1.16*` (as a version with a `*`), refuses `~=1.16.*`.
        assert!(matches!(
            translate_matchspec("numpy>=1.16*"),
            Err(SpecError::Untranslated(_))
        ));
        assert!(matches!(
            translate_matchspec("numpy~=1.16.*"),
            Err(SpecError::Malformed(_))
        ));
        assert_eq!(tr("numpy="), Vec::<String>::new());
        // A later `==V.*` is exactly V in conda (its leading `==` is not stripped); the first
        // is the glob V.* (conda's MatchSpec: `numpy >=1.14,==1.14.*` matches 1.14.0 only).
        assert_eq!(tr("numpy >=1.14,==1.14.*"), [">=1.14, ==1.14"]);
        assert_eq!(tr("numpy==1.14.*,<2"), ["==1.14.*, <2"]);
        assert_eq!(tr("numpy==1.14.*|==1.15.*"), ["==1.14.*", "==1.15"]);
        assert_eq!(tr("numpy[version='>=1.14,==1.14.*']"), [">=1.14, ==1.14"]);
        assert_eq!(tr("numpy 1.13|1.14.*"), ["==1.13", "==1.14.*"]);
        assert_eq!(tr("numpy >=1.16 , <1.17"), [">=1.16, <1.17"]);
        assert_eq!(tr("numpy 1.16.4 py37_0"), ["==1.16.4"]);
        assert_eq!(tr("numpy=1.16.4=py37h7e9f1db_0"), ["==1.16.4"]);
        assert_eq!(tr("numpy==1.16.4=py37_0"), ["==1.16.4"]);
        assert_eq!(tr("numpy =1.16 py37_0"), ["==1.16.*"]);
        assert_eq!(tr("conda-forge::numpy"), Vec::<String>::new());
        assert_eq!(tr("conda-forge/linux-64::numpy>=1.16"), [">=1.16"]);
        assert_eq!(tr("numpy[version='>=1.16']"), [">=1.16"]);
        assert_eq!(tr("numpy[build=py37*, version=\"1.16.*\"]"), ["==1.16.*"]);
        // conda's docs: `numpy=1.11.1|1.11.3` matches 1.11.1 and 1.11.3 (the fuzzy `=` form
        // applies only to a lone version).
        assert_eq!(tr("numpy=1.11.1|1.11.3"), ["==1.11.1", "==1.11.3"]);
        assert_eq!(tr("numpy >=1.16,<1.17|>=1.18"), [">=1.16, <1.17", ">=1.18"]);
        assert_eq!(tr("numpy !=1.16"), ["!=1.16.*"]);
        assert_eq!(tr("numpy *"), [""]);
        assert_eq!(tr("numpy"), Vec::<String>::new());
        for bad in [
            "numpy>=1.16*",
            "numpy 1.0_1",
            "numpy (>=1|2)",
            "=1.0",
            "numpy 1 2 3",
            "numpy[version='>=1",
        ] {
            assert!(translate_matchspec(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn matchspec_spans() {
        let s = "conda-forge::numpy >=1.16, <1.17";
        let m = translate_matchspec(s).unwrap();
        assert_eq!(&s[m.name_span.start..m.name_span.end], "numpy");
        let v = m.version_span.unwrap();
        assert_eq!(&s[v.start..v.end], ">=1.16, <1.17");
        let c: Vec<&str> = m.clauses.iter().map(|c| &s[c.start..c.end]).collect();
        assert_eq!(c, [">=1.16", "<1.17"]);
        let s = "numpy=1.16.4=py37_0";
        let v = translate_matchspec(s).unwrap().version_span.unwrap();
        assert_eq!(&s[v.start..v.end], "1.16.4");
    }

    fn run(text: &str) -> (Parsed, String) {
        run_with(text, crate::formats::Relevant::all())
    }

    /// [`run`] reading in full only the packages `relevant` names.
    fn run_with(text: &str, relevant: crate::formats::Relevant) -> (Parsed, String) {
        let mut files = Files::new(std::env::temp_dir());
        files.set_relevant(std::sync::Arc::new(relevant));
        let id = files.add(
            Path::new("/nonexistent-dw/environment.yml"),
            text.as_bytes(),
        );
        let p = parse_unit(&mut files, id);
        (p, files.get(id).text.clone())
    }

    fn sl(t: &str, s: Span) -> &str {
        &t[s.start..s.end]
    }

    /// Each problem of `p` as its kind and the text of `t` it points at.
    fn at<'t>(p: &Parsed, t: &'t str) -> Vec<(ProblemKind, &'t str)> {
        p.problems.iter().map(|x| (x.kind, sl(t, x.loc.span))).collect()
    }

    /// A version conda reads but PEP 440 cannot write is not an error in the file: nothing on
    /// a package no rule reads (`openssl=1.1.1k`, `tzdata=2021a`, in most exported
    /// environments: each was a DW001 error), `unevaluable` on one a rule reads, a note on
    /// Python; what conda refuses too (an empty clause) stays a parse error.
    #[test]
    fn a_version_conda_reads_but_pep440_cannot_is_not_an_error() {
        let env = "dependencies:\n  - python 3.(7|8)\n  - tensorflow=1.14.0\n  \
                   - openssl=1.1.1k=h27cfd23_0\n  - tzdata=2021a\n  - libfoo ^1\\.2.*$\n  \
                   - numpy=1.16.4a*\n  - h5py 2.10.(0|1)\n  - gast >=0.2,,<0.3\n";
        let relevant = crate::formats::Relevant::of_rules(crate::rules::builtin());
        let (p, text) = run_with(env, relevant);
        assert_eq!(
            at(&p, &text),
            [
                (ProblemKind::Note, "python 3.(7|8)"),
                (ProblemKind::Unevaluable, "numpy=1.16.4a*"),
                (ProblemKind::Unevaluable, "h5py 2.10.(0|1)"),
                (ProblemKind::Parse, "gast >=0.2,,<0.3"),
            ]
        );
        // Each message is one line.
        assert!(p.problems.iter().all(|x| !x.message.contains('\n')), "{:?}", p.problems);
    }

    #[test]
    fn environment_file() {
        let env = "name: tf\nchannels:\n  - conda-forge\ndependencies:\n  - python=3.7\n  - numpy=1.17\n  \
                   - conda-forge::tensorflow-gpu==1.14.0\n  - _libgcc_mutex\n  - pip\n  - pip:\n    \
                   - tensorflow==1.14.0 --hash=sha256:abc\n    - \"scipy>=1.2 ; python_version < '3.8'\"  # sci\n";
        for text in [env.to_string(), env.replace('\n', "\r\n")] {
            let (p, t) = run(&text);
            assert_eq!(at(&p, &t), [(ProblemKind::Note, "_libgcc_mutex")]);
            let (rp, loc) = p.requires_python.as_ref().unwrap();
            assert_eq!(rp.to_string(), "==3.7.*");
            assert_eq!(sl(&t, loc.span), "3.7");
            let names: Vec<&str> = p.requirements.iter().map(|r| r.name.as_ref()).collect();
            assert_eq!(
                names,
                ["numpy", "tensorflow-gpu", "pip", "tensorflow", "scipy"]
            );
            let np = &p.requirements[0];
            assert_eq!(np.syntax, Syntax::Conda);
            let VersionReq::Specifiers {
                specifiers,
                span,
                clauses,
            } = &np.version
            else {
                panic!()
            };
            assert_eq!(specifiers.to_string(), "==1.17.*");
            assert_eq!(sl(&t, span.get()), "1.17");
            assert_eq!(clauses.len(), 1);
            assert_eq!(sl(&t, np.loc().span), "numpy=1.17");
            assert_eq!(sl(&t, p.requirements[1].name_span()), "tensorflow-gpu");
            let tf = &p.requirements[3];
            assert_eq!(tf.syntax, Syntax::Pep508);
            assert!(tf.hashed && p.hashed);
            assert_eq!(sl(&t, tf.loc().span), "tensorflow==1.14.0");
            let sc = &p.requirements[4];
            assert_eq!(sl(&t, sc.loc().span), "scipy>=1.2 ; python_version < '3.8'");
            assert!(!sc.marker().is_true());
            assert_eq!(p.groups.len(), 1);
            assert_eq!(p.groups[0].name, "environment");
            assert_eq!(p.groups[0].members, vec![0, 1, 2, 3, 4]);
        }
    }

    #[test]
    fn wrong_types_and_bad_specs_are_problems() {
        let t = "dependencies:\n  - 1.5\n  - numpy>=1.16*\n  - {a: b}\n  - pip:\n    - 3\n    - -r missing.txt\n";
        let (p, text) = run(t);
        assert_eq!(
            at(&p, &text),
            [
                (ProblemKind::Parse, "1.5"),
                // conda reads it; depwindow cannot check it.
                (ProblemKind::Unevaluable, "numpy>=1.16*"),
                // A flow mapping is an installer section like a block one.
                (ProblemKind::Parse, "a"),
                (ProblemKind::Parse, "3"),
                (ProblemKind::Include, "missing.txt"),
            ]
        );
        // A syntax error stops the read: the unit claims no absence after it.
        let (p, _) = run("dependencies:\n  - numpy\n\t- six\n");
        let kinds: Vec<ProblemKind> = p.problems.iter().map(|x| x.kind).collect();
        assert_eq!(kinds, [ProblemKind::Parse, ProblemKind::Unevaluable]);
        let (p, text) = run("dependencies:\n  - pip: notalist\n");
        assert_eq!(p.problems.len(), 1);
        assert_eq!(sl(&text, p.problems[0].loc.span), "notalist");
        let (p, _) = run("dependencies: numpy\n");
        assert_eq!(p.problems.len(), 1);
        let (p, _) = run("- a\n- b\n");
        assert_eq!(p.problems.len(), 1);
    }

    #[test]
    fn anyof_and_quoted_escapes() {
        let t = "dependencies:\n  - \"numpy 1.16.*|1.17.0\"\n  - \"six\\x3e=1\"\n";
        let (p, text) = run(t);
        assert!(p.problems.is_empty(), "{:?}", p.problems);
        let VersionReq::AnyOf { alternatives, span } = &p.requirements[0].version else {
            panic!()
        };
        assert_eq!(alternatives.len(), 2);
        assert_eq!(sl(&text, span.get()), "1.16.*|1.17.0");
        assert_eq!(sl(&text, p.requirements[1].loc().span), "\"six\\x3e=1\"");
    }

    #[test]
    fn valid_yaml_1_2_reads() {
        // Multi-line flow collections, a flow mapping as the pip section, comments,
        // document markers, `yes` (a string in YAML 1.2, so a match-spec).
        let t = "%YAML 1.2\n---\nname: tf # c\nchannels: [defaults,\n  conda-forge]\ndependencies: [\n  python=3.7,\n  \"numpy=1.17\",  # q\n  yes,\n  {pip: [six,\n    tensorflow==1.14.0]}]\n...\n";
        let (p, text) = run(t);
        assert!(p.problems.is_empty(), "{:?}", p.problems);
        let names: Vec<&str> = p.requirements.iter().map(|r| r.name.as_ref()).collect();
        assert_eq!(names, ["numpy", "yes", "six", "tensorflow"]);
        assert_eq!(sl(&text, p.requirements[0].loc().span), "numpy=1.17");
        assert_eq!(sl(&text, p.requirements[3].loc().span), "tensorflow==1.14.0");
        // A float-looking entry is a number for ruamel (YAML 1.2), not a match-spec.
        let (p, text) = run("dependencies:\n  - 3.10\n  - pip:\n    - 1.5\n");
        assert_eq!(
            at(&p, &text),
            [(ProblemKind::Parse, "3.10"), (ProblemKind::Parse, "1.5")]
        );
        assert!(p.problems[0].message.contains("a number"));
    }

    #[test]
    fn aliases_are_reported_not_expanded() {
        let t = "base: &b\n  - numpy=1.17\ndependencies: *b\n";
        let (p, text) = run(t);
        assert!(p.requirements.is_empty());
        assert_eq!(p.problems.len(), 1);
        assert_eq!(p.problems[0].kind, ProblemKind::Unevaluable);
        assert_eq!(sl(&text, p.problems[0].loc.span), "*b");
        // The anchored list is read where it is written.
        let t = "dependencies: &d\n  - numpy=1.17\n  - pip: *d\n  - *d\n  - *d\n  - *d\n";
        let (p, text) = run(t);
        let names: Vec<&str> = p.requirements.iter().map(|r| r.name.as_ref()).collect();
        assert_eq!(names, ["numpy"]);
        let probs: Vec<&str> = p.problems.iter().map(|x| sl(&text, x.loc.span)).collect();
        assert_eq!(probs, ["*d", "*d"]);
        assert!(p.problems[0]
            .message
            .ends_with("(nor those of 2 more aliases in this list)"));
        assert!(p
            .problems
            .iter()
            .all(|x| x.kind == ProblemKind::Unevaluable));
    }

    #[test]
    fn only_the_last_pip_section_is_installed() {
        let t = "dependencies:\n  - pip:\n    - numpy<1.17\n  - pip:\n    - six\n";
        let (p, text) = run(t);
        let names: Vec<&str> = p.requirements.iter().map(|r| r.name.as_ref()).collect();
        assert_eq!(names, ["six"]);
        assert_eq!(p.problems.len(), 1);
        assert_eq!(p.problems[0].kind, ProblemKind::Note);
        assert_eq!(p.problems[0].loc.span.start, text.find("pip").unwrap());
    }

    /// The pip entries read exactly as the same lines in a requirements file: one reader.
    #[test]
    fn pip_entries_read_like_a_requirements_file() {
        let lines = [
            "numpy>=1.16,<1.17",
            "tensorflow==1.14.0 --hash=sha256:abc",
            "six; python_version<'3'",
            "--pre",
            "--index-url https://example.invalid/simple",
            "NUMPY_X==${VERSION}",
            "numpy${lower}",
            "-e git+https://example.invalid/r#egg=gast",
            "h5py @ https://example.invalid/h5py-2.9.0-cp37-none-any.whl",
            "./local/project",
            "--no-such-option",
            "wrapt==1.11.* \\",
            "  --hash=sha256:def",
            "astor>=0.8  --global-option=x",
            "a. >=1",
        ];
        let env: String = "dependencies:\n  - pip:\n".to_owned()
            + &lines
                .iter()
                .map(|l| format!("    - {l}\n"))
                .collect::<String>();
        let (p, text) = run(&env);
        let req_text = lines.join("\n");
        let fp = crate::formats::requirements::parse_text(0, &req_text, 0, Role::Require);
        let conda_reqs: Vec<(String, String, &str, &str, bool, bool)> = p
            .requirements
            .iter()
            .map(|r| {
                (
                    r.name.to_string(),
                    format!("{:?}", r.version)
                        .split(" span")
                        .next()
                        .unwrap()
                        .to_owned(),
                    sl(&text, r.loc().span),
                    sl(&text, r.name_span()),
                    r.hashed,
                    r.pre,
                )
            })
            .collect();
        let file_reqs: Vec<(String, String, &str, &str, bool, bool)> = fp
            .requirements
            .iter()
            .map(|r| {
                (
                    r.name.to_string(),
                    format!("{:?}", r.version)
                        .split(" span")
                        .next()
                        .unwrap()
                        .to_owned(),
                    sl(&req_text, r.loc().span),
                    sl(&req_text, r.name_span()),
                    r.hashed,
                    r.pre,
                )
            })
            .collect();
        assert_eq!(conda_reqs, file_reqs);
        assert!(conda_reqs.len() >= 5, "{conda_reqs:?}");
        let conda_probs: Vec<(ProblemKind, &str, &str)> = p
            .problems
            .iter()
            .map(|x| (x.kind, x.message.as_str(), sl(&text, x.loc.span)))
            .collect();
        let file_probs: Vec<(ProblemKind, &str, &str)> = fp
            .problems
            .iter()
            .map(|x| (x.kind, x.message.as_str(), sl(&req_text, x.loc.span)))
            .collect();
        assert_eq!(conda_probs, file_probs);
        assert!(conda_probs.len() >= 3, "{conda_probs:?}");
    }

    #[test]
    fn pip_includes_resolve_next_to_the_environment_file() {
        let dir = std::env::temp_dir().join(format!("dw-conda-inc-{}", std::process::id()));
        std::fs::create_dir_all(dir.join("sub")).unwrap();
        std::fs::write(dir.join("sub/req.txt"), "numpy<1.17\n-c ../c.txt\n").unwrap();
        std::fs::write(dir.join("c.txt"), "six==1.0\n").unwrap();
        let env = "dependencies:\n  - pip:\n    - -r sub/req.txt\n    - -r https://example.invalid/r.txt\n    - -r environment.yml\n";
        std::fs::write(dir.join("environment.yml"), env).unwrap();
        let mut files = Files::new(dir.clone());
        let id = files.load(&dir.join("environment.yml")).unwrap();
        let p = parse_unit(&mut files, id);
        let text = files.get(id).text.clone();
        let got: Vec<(&str, Role)> = p
            .requirements
            .iter()
            .map(|r| (r.name.as_ref(), r.role))
            .collect();
        assert_eq!(got, [("numpy", Role::Require), ("six", Role::Constrain)]);
        assert_eq!(p.groups[0].members, [0, 1]);
        let probs: Vec<(&str, &str)> = p
            .problems
            .iter()
            .map(|x| (sl(&text, x.loc.span), x.message.as_str()))
            .collect();
        assert_eq!(probs.len(), 2, "{probs:?}");
        assert_eq!(probs[0].0, "https://example.invalid/r.txt");
        assert!(probs[0].1.contains("is a URL"));
        assert_eq!(probs[1].0, "environment.yml");
        assert!(probs[1].1.contains("include cycle"), "{}", probs[1].1);
        assert_eq!(p.includes.len(), 3);
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn escaped_pip_entries_are_underlined_whole() {
        let t = "dependencies:\n  - pip:\n    - \"six\\x3e=1.0\"\n    - 'numpy<1.17'\n";
        let (p, text) = run(t);
        assert!(p.problems.is_empty(), "{:?}", p.problems);
        assert_eq!(sl(&text, p.requirements[0].loc().span), "\"six\\x3e=1.0\"");
        assert_eq!(sl(&text, p.requirements[0].name_span()), "\"six\\x3e=1.0\"");
        assert_eq!(sl(&text, p.requirements[1].loc().span), "numpy<1.17");
        let VersionReq::Specifiers { span, .. } = &p.requirements[1].version else {
            panic!()
        };
        assert_eq!(sl(&text, span.get()), "<1.17");
    }

    #[test]
    fn a_block_scalar_pip_entry_is_several_lines() {
        // conda writes the entry's text as it is: its lines become requirements lines.
        let t = "dependencies:\n  - pip:\n    - |\n      tensorflow==1.14.0\n      numpy<1.17 \\\n        --hash=sha256:abc\n    - six\n";
        let (p, text) = run(t);
        assert!(p.problems.is_empty(), "{:?}", p.problems);
        let names: Vec<&str> = p.requirements.iter().map(|r| r.name.as_ref()).collect();
        assert_eq!(names, ["tensorflow", "numpy", "six"]);
        let block = "tensorflow==1.14.0\n      numpy<1.17 \\\n        --hash=sha256:abc";
        assert_eq!(sl(&text, p.requirements[0].loc().span), block);
        assert_eq!(sl(&text, p.requirements[1].loc().span), block);
        assert_eq!(sl(&text, p.requirements[2].loc().span), "six");
        assert!(p.requirements.iter().all(|r| r.hashed));
    }
}
