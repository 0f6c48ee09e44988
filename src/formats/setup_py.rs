//! `setup.py`, read statically and never executed.
//!
//! A small Python tokenizer (names, string literals with their prefixes and escapes,
//! comments, brackets) finds each `setup(...)` call (`setup(`, `setuptools.setup(`,
//! `distutils.core.setup(`; not `def setup(`) and reads its `install_requires=`,
//! `extras_require=` and `python_requires=` keyword arguments when they are literals:
//! a list or tuple of string literals, a single string, and a dict literal of those; a name
//! bound once to such a value at module level (or inside a module-level `with open(...)`
//! block), a `+` of those, and a literal-path read of a requirements file
//! (`open("r.txt").read().splitlines()`, `.readlines()`, `[l.strip() for l in open(...)]`,
//! `Path("r.txt").read_text().splitlines()`, a `with open(...) as f` alias), read as
//! setuptools reads a requirement list ([`setuptools::requirement_lines`]). Anything really
//! computed (a name rebound, augmented or mutated, another call, a comprehension with a
//! filter, a conditional, `**kwargs`) becomes an `Unevaluable` problem at the argument or
//! extra that uses it: executing the file is what pip does, and what depwindow refuses to
//! do.
//!
//! Spans: a literal whose source text equals its value (no escapes, one piece) maps one
//! to one, so the name and specifier are located inside it. An escaped literal or an
//! implicit concatenation (`"numpy" ">=1.16"`) is underlined as a whole.
//!
//! Units: `install_requires`, and `extra:<name>` = install_requires + that extra.
//! `extras_require` keys of the form `"name:marker"` (setuptools' legacy syntax) add the
//! marker to each requirement of the extra.


use pep508_rs::MarkerTree;

use super::pep508::{requirement_at, requirement_in_literal};
use super::setuptools::{self, Extras};
use super::{keep, problem};
use crate::files::Files;
use crate::manifest::{FileId, Parsed, Problem, ProblemKind, Role};
use crate::source::Span;

#[derive(Clone, Debug, PartialEq)]
enum Kind {
    Name,
    Str(StrTok),
    /// Punctuation: brackets, `,`, `:`, `=`, `**`, `.`, or any other operator.
    Op(&'static str),
    /// Numbers and anything else.
    Other,
}

#[derive(Clone, Debug, PartialEq)]
struct StrTok {
    /// The decoded value, or None when it cannot be known statically (f-string with
    /// replacement fields, bytes, `\N{...}`).
    value: Option<String>,
    /// The span of the text between the quotes.
    inner: Span,
    /// The text between the quotes equals the value.
    verbatim: bool,
}

#[derive(Clone, Debug)]
struct Tok {
    kind: Kind,
    span: Span,
}

pub(crate) fn parse(files: &mut Files, id: FileId) -> Parsed {
    let text = files.get(id).text.clone();
    parse_with(&text, id, Some(files))
}

/// Without a file registry: a requirements file the setup.py reads is unevaluable.
#[cfg(test)]
pub(crate) fn parse_text(text: &str, file: FileId) -> Parsed {
    parse_with(text, file, None)
}

fn parse_with(text: &str, file: FileId, mut files: Option<&mut Files>) -> Parsed {
    let mut out = Parsed::default();
    let toks = match tokenize(text) {
        Ok(t) => t,
        Err(span) => {
            out.problems.push(problem(
                ProblemKind::Parse,
                file,
                span,
                "unterminated string literal".into(),
            ));
            // Read what precedes the broken literal.
            tokenize(&text[..span.start]).unwrap_or_default()
        }
    };
    conflict_markers(text, &toks, file, &mut out);
    let scope = Scope::new(text, &toks);
    let mut base = Vec::new();
    let mut extras = Extras::default();
    let mut project: Option<String> = None;
    let mut found = false;
    let mut i = 0;
    while i + 1 < toks.len() {
        let is_call = toks[i].kind == Kind::Name
            && &text[toks[i].span.start..toks[i].span.end] == "setup"
            && toks[i + 1].kind == Kind::Op("(")
            && !(i > 0
                && toks[i - 1].kind == Kind::Name
                && &text[toks[i - 1].span.start..toks[i - 1].span.end] == "def");
        if !is_call {
            i += 1;
            continue;
        }
        found = true;
        let Some(close) = matching(&toks, i + 1) else {
            out.problems.push(problem(
                ProblemKind::Parse,
                file,
                toks[i].span,
                "`setup(` is never closed".into(),
            ));
            break;
        };
        for arg in split_commas(&toks, i + 2, close) {
            read_argument(
                text,
                &toks[arg.0..arg.1],
                file,
                &mut out,
                &mut base,
                &mut extras,
                &mut project,
                (&scope, &mut files),
            );
        }
        i = close + 1;
    }
    if !found {
        out.problems.push(problem(
            ProblemKind::Note,
            file,
            Span::new(0, 0),
            "no `setup(...)` call found; nothing to read".into(),
        ));
    }
    extras.into_groups(&mut out, base, project.as_deref());
    out
}

#[allow(clippy::too_many_arguments)]
fn read_argument(
    text: &str,
    arg: &[Tok],
    file: FileId,
    out: &mut Parsed,
    base: &mut Vec<usize>,
    extras: &mut Extras,
    project: &mut Option<String>,
    (scope, files): (&Scope<'_>, &mut Option<&mut Files>),
) {
    let Some(first) = arg.first() else { return };
    if first.kind == Kind::Op("**") {
        let span = cover(arg);
        out.problems.push(problem(
            ProblemKind::Unevaluable,
            file,
            span,
            "setup() receives keyword arguments unpacked at run time; depwindow reads only literal arguments".into(),
        ));
        return;
    }
    let (Some(eq), true) = (arg.get(1), first.kind == Kind::Name) else {
        return;
    };
    if eq.kind != Kind::Op("=") {
        return;
    }
    let key = &text[first.span.start..first.span.end];
    let value = &arg[2..];
    if value.is_empty() {
        return;
    }
    if let Some(name) = keyword_without_comma(text, value) {
        let next = &text[name.span.start..name.span.end];
        out.problems.push(problem(
            ProblemKind::Parse,
            file,
            name.span,
            format!("invalid syntax: a comma is missing before `{next}=` (Python cannot run this file)"),
        ));
        return;
    }
    match key {
        "install_requires" => match scope.list(value, 0) {
            Some(pieces) => base.extend(from_pieces(text, &pieces, file, out, None, files)),
            None => out.problems.push(computed(file, cover(value), key)),
        },
        "python_requires" => match scope.string(value, 0) {
            Some((s, span)) => setuptools::python_requires(out, file, s.trim(), span),
            None => out
                .problems
                .push(computed_reading(file, cover(value), key, "a literal string")),
        },
        "extras_require" => read_extras(text, value, file, out, base, extras, (scope, files)),
        "name" => {
            if let Some((s, _)) = single_string(value) {
                *project = Some(s.trim().to_owned());
            }
        }
        _ => {}
    }
}

fn read_extras(
    text: &str,
    value: &[Tok],
    file: FileId,
    out: &mut Parsed,
    base: &mut Vec<usize>,
    extras: &mut Extras,
    (scope, files): (&Scope<'_>, &mut Option<&mut Files>),
) {
    let Some(value) = scope.dict(value, 0) else {
        out.problems
            .push(computed(file, cover(value), "extras_require"));
        return;
    };
    let n = value.len();
    for (s, e) in split_commas(value, 1, n - 1) {
        let item = &value[s..e];
        let colon = item.iter().position(|t| t.kind == Kind::Op(":"));
        let (Some(c), true) = (colon, !item.is_empty()) else {
            out.problems
                .push(computed(file, cover(item), "an extras_require entry"));
            continue;
        };
        let (key_toks, val_toks) = (&item[..c], &item[c + 1..]);
        let Some((key, key_span)) = single_string(key_toks) else {
            out.problems
                .push(computed(file, cover(item), "an extras_require key"));
            continue;
        };
        // setuptools: `"name:marker"` keys carry a marker for the whole extra; an empty
        // name makes them base dependencies under it.
        let k = setuptools::extra_key(&key);
        let name_text = key.split(':').next().unwrap_or("").trim();
        let name = match k.name {
            None => None,
            Some(Ok(n)) => Some(n),
            Some(Err(e)) => {
                out.problems.push(problem(
                    ProblemKind::Parse,
                    file,
                    key_span,
                    format!("invalid extra name: {e}"),
                ));
                continue;
            }
        };
        let marker = match k.marker.map(super::guard::parse_marker) {
            None => None,
            Some(Ok(m)) => Some(m),
            Some(Err(e)) => {
                out.problems.push(problem(
                    ProblemKind::Parse,
                    file,
                    key_span,
                    format!("invalid marker in extra key: {}", e.message),
                ));
                continue;
            }
        };
        let Some(pieces) = scope.list(val_toks, 0) else {
            out.problems.push(computed(
                file,
                cover(val_toks),
                &format!("extras_require[{name_text:?}]"),
            ));
            continue;
        };
        let members = from_pieces(text, &pieces, file, out, marker, files);
        match name {
            Some(n) => extras.add(n, members),
            None => base.extend(members),
        }
    }
}

/// Requirement lists as setup.py builds them before `setup()`: names bound once at module
/// level, `+` of lists, and literal-path reads of a requirements file.
struct Scope<'t> {
    text: &'t str,
    toks: &'t [Tok],
    /// Name -> the token range of its one value, or None when it is rebound or mutated.
    bindings: crate::hash::HashMap<&'t str, Option<(usize, usize)>>,
    /// `with open("x") as f:` -> f: the opened path and the literal's span.
    aliases: crate::hash::HashMap<&'t str, Option<(String, Span)>>,
    /// Tokens left to resolve through names for one file (`A = B + B`, `B = C + C`, ...
    /// doubles at each level).
    budget: std::cell::Cell<usize>,
}

/// Tokens resolved through names per file, at most.
const NAME_BUDGET: usize = 1_000_000;

/// What a value is made of, in order.
enum Piece<'t> {
    List(Vec<Element<'t>>),
    /// A requirements file read line by line (its path, the literal naming it).
    File(String, Span),
}

/// Methods that change a list or dict in place.
const MUTATORS: [&str; 10] = [
    "append", "extend", "insert", "remove", "pop", "clear", "sort", "reverse", "update",
    "setdefault",
];
/// How deep names may refer to names.
const MAX_NAME_DEPTH: usize = 16;

impl<'t> Scope<'t> {
    fn new(text: &'t str, toks: &'t [Tok]) -> Scope<'t> {
        let word = |t: &Tok| &text[t.span.start..t.span.end];
        let at_line_start = |t: &Tok| {
            let before = &text[..t.span.start];
            let line = before.rfind('\n').map_or(before, |n| &before[n + 1..]);
            line.is_empty()
        };
        let mut defs: Vec<(&'t str, usize, usize, usize)> = Vec::new(); // name, name tok, start, end
        let mut aliases: crate::hash::HashMap<&'t str, Option<(String, Span)>> =
            Default::default();
        let mut in_with = false;
        let mut s = 0;
        while s < toks.len() {
            let mut e = s;
            while e < toks.len() && toks[e].kind != Kind::Op("\n") {
                e += 1;
            }
            let stmt = &toks[s..e];
            if let Some(first) = stmt.first() {
                let col0 = at_line_start(first);
                if col0 {
                    in_with = false;
                }
                if col0 && first.kind == Kind::Name && word(first) == "with" {
                    // `with OPENER as NAME:`
                    if let Some(as_at) = stmt.iter().position(|t| t.kind == Kind::Name && word(t) == "as") {
                        if let (Some(alias), Some(colon)) = (stmt.get(as_at + 1), stmt.get(as_at + 2)) {
                            if alias.kind == Kind::Name && colon.kind == Kind::Op(":") {
                                let opened = opener(text, &stmt[1..as_at]).and_then(|(path, span, rest)| {
                                    rest.is_empty().then_some((path, span))
                                });
                                let slot = aliases.entry(word(alias)).or_insert(opened.clone());
                                if slot.as_ref().map(|x| &x.0) != opened.as_ref().map(|x| &x.0) {
                                    *slot = None;
                                }
                                in_with = opened.is_some();
                            }
                        }
                    }
                } else if (col0 || in_with)
                    && stmt.len() >= 3
                    && first.kind == Kind::Name
                    && stmt[1].kind == Kind::Op("=")
                    && !stmt[2..].iter().any(|t| t.kind == Kind::Op("="))
                {
                    defs.push((word(first), s, s + 2, e));
                }
            }
            s = e + 1;
        }
        let def_at: crate::hash::HashSet<usize> = defs.iter().map(|d| d.1).collect();
        // The closing bracket of every opening one, in one pass.
        let mut closes: crate::hash::HashMap<usize, usize> = Default::default();
        let mut stack = Vec::new();
        for (k, t) in toks.iter().enumerate() {
            if is_open(&t.kind) {
                stack.push(k);
            } else if is_close(&t.kind) {
                if let Some(o) = stack.pop() {
                    closes.insert(o, k);
                }
            }
        }
        let mut bindings: crate::hash::HashMap<&'t str, Option<(usize, usize)>> =
            Default::default();
        for (name, _, a, b) in &defs {
            bindings
                .entry(name)
                .and_modify(|v| *v = None)
                .or_insert(Some((*a, *b)));
        }
        // Any other binding or in-place change of a name makes it computed. A `NAME =` right
        // after `(` or `,` inside parentheses is a keyword argument or a parameter's default
        // (`setup(install_requires=install_requires)`), which binds nothing in the module.
        let mut open: Vec<&Kind> = Vec::new();
        for (k, t) in toks.iter().enumerate() {
            if is_open(&t.kind) {
                open.push(&t.kind);
            } else if is_close(&t.kind) {
                open.pop();
            }
            if t.kind != Kind::Name {
                continue;
            }
            let w = word(t);
            if !bindings.contains_key(w) && !aliases.contains_key(w) {
                continue;
            }
            let next = toks.get(k + 1).map(|n| &n.kind);
            let prev = k.checked_sub(1).map(|p| word(&toks[p]));
            let keyword = open.last() == Some(&&Kind::Op("("))
                && k.checked_sub(1)
                    .is_some_and(|p| matches!(toks[p].kind, Kind::Op("(" | ",")));
            let rebound = match next {
                Some(Kind::Op("=")) => !def_at.contains(&k) && !keyword,
                Some(Kind::Op("+=" | "-=" | "|=")) => true,
                // `P := …` (tokenized `:` `=`), or `P: str = …` starting a statement.
                Some(Kind::Op(":")) => {
                    let walrus = toks.get(k + 2).is_some_and(|n| {
                        n.kind == Kind::Op("=") && n.span.start == toks[k + 1].span.end
                    });
                    let annotated =
                        open.is_empty() && (k == 0 || toks[k - 1].kind == Kind::Op("\n"));
                    walrus || annotated
                }
                Some(Kind::Op(".")) => toks
                    .get(k + 2)
                    .is_some_and(|m| MUTATORS.contains(&word(m))),
                Some(Kind::Op("[")) => closes
                    .get(&(k + 1))
                    .and_then(|c| toks.get(c + 1))
                    .is_some_and(|n| matches!(n.kind, Kind::Op("=" | "+=" | "-=" | "|="))),
                _ => false,
            } || matches!(
                prev,
                Some("for" | "global" | "del" | "import" | "nonlocal" | "def" | "class")
            )
                || (prev == Some("as") && bindings.contains_key(w));
            if rebound {
                if let Some(b) = bindings.get_mut(w) {
                    *b = None;
                }
                if prev != Some("as") {
                    if let Some(a) = aliases.get_mut(w) {
                        *a = None;
                    }
                }
            }
        }
        Scope {
            text,
            toks,
            bindings,
            aliases,
            budget: std::cell::Cell::new(NAME_BUDGET),
        }
    }

    fn word(&self, t: &Tok) -> &'t str {
        &self.text[t.span.start..t.span.end]
    }

    /// The pieces of a list value, or None when it is computed.
    fn list(&self, value: &'t [Tok], depth: usize) -> Option<Vec<Piece<'t>>> {
        if depth > MAX_NAME_DEPTH || value.is_empty() {
            return None;
        }
        let mut out = Vec::new();
        for (a, b) in split_top(value, "+") {
            let part = &value[a..b];
            if let Some(list) = string_list(part) {
                out.push(Piece::List(list));
            } else if part.len() == 1 && part[0].kind == Kind::Name {
                let (s, e) = (*self.bindings.get(self.word(&part[0]))?)?;
                let left = self.budget.get().checked_sub(e - s)?;
                self.budget.set(left);
                out.extend(self.list(&self.toks[s..e], depth + 1)?);
            } else if let Some((path, span)) = self.file_read(part) {
                out.push(Piece::File(path, span));
            } else {
                return None;
            }
        }
        Some(out)
    }

    /// A string literal (implicitly concatenated pieces too), directly or through a name
    /// bound once (`PYTHON_REQUIRES = ">=3.6"`, then `python_requires=PYTHON_REQUIRES`).
    fn string(&self, value: &'t [Tok], depth: usize) -> Option<(String, Span)> {
        if depth > MAX_NAME_DEPTH {
            return None;
        }
        if let [t] = value {
            if t.kind == Kind::Name {
                let (s, e) = (*self.bindings.get(self.word(t))?)?;
                // The names followed share the budget of `list` (linear in the file).
                let left = self.budget.get().checked_sub(e - s)?;
                self.budget.set(left);
                return self.string(&self.toks[s..e], depth + 1);
            }
        }
        single_string(value)
    }

    /// A dict literal, directly or through a name bound once.
    fn dict(&self, value: &'t [Tok], depth: usize) -> Option<&'t [Tok]> {
        if depth > MAX_NAME_DEPTH {
            return None;
        }
        let n = value.len();
        if n >= 2
            && value[0].kind == Kind::Op("{")
            && value[n - 1].kind == Kind::Op("}")
            && matching(value, 0) == Some(n - 1)
        {
            return Some(value);
        }
        if n == 1 && value[0].kind == Kind::Name {
            let (s, e) = (*self.bindings.get(self.word(&value[0]))?)?;
            return self.dict(&self.toks[s..e], depth + 1);
        }
        None
    }

    /// `open("r.txt").read().splitlines()` and its common variants: the path read.
    fn file_read(&self, part: &[Tok]) -> Option<(String, Span)> {
        let w: Vec<&str> = part.iter().map(|t| self.word(t)).collect();
        // `[l.strip() for l in SOURCE]` / `[l for l in SOURCE]`
        let n = part.len();
        if n >= 6 && w[0] == "[" && w[n - 1] == "]" && matching(part, 0) == Some(n - 1) {
            let inner = &part[1..n - 1];
            let iw = &w[1..n - 1];
            let var = iw[0];
            let stripped = iw.get(1) == Some(&".")
                && matches!(iw.get(2), Some(&("strip" | "rstrip")))
                && iw.get(3..5) == Some(&["(", ")"][..]);
            let after = if stripped { 5 } else { 1 };
            if iw.get(after) != Some(&"for")
                || iw.get(after + 1) != Some(&var)
                || iw.get(after + 2) != Some(&"in")
            {
                return None;
            }
            let source = &inner[after + 3..];
            return self.line_source(source, true);
        }
        self.line_source(part, false)
    }

    /// What yields a file's lines: an opened file, or its text split into lines.
    fn line_source(&self, part: &[Tok], iterable: bool) -> Option<(String, Span)> {
        let (path, span, rest) = if part.first().is_some_and(|t| t.kind == Kind::Name)
            && self.aliases.contains_key(self.word(&part[0]))
            && !matches!(part.get(1).map(|t| &t.kind), Some(Kind::Op("(")))
        {
            let (p, s) = self.aliases.get(self.word(&part[0]))?.clone()?;
            (p, s, &part[1..])
        } else {
            opener(self.text, part)?
        };
        let rest: Vec<&str> = rest.iter().map(|t| self.word(t)).collect();
        let ok = match rest.as_slice() {
            [] => iterable,
            [".", "readlines", "(", ")"] => true,
            [".", "read" | "read_text", "(", ")", ".", "splitlines", "(", ")"] => true,
            [".", "read" | "read_text", "(", ")", ".", "strip", "(", ")", ".", "splitlines", "(", ")"] => true,
            _ => false,
        };
        ok.then_some((path, span))
    }
}

/// `open("x" ...)`, `io.open`, `codecs.open`, `Path("x")` / `pathlib.Path("x")` (optionally
/// `.open(...)`): the path literal, its span and the tokens after the call.
fn opener<'a>(text: &str, part: &'a [Tok]) -> Option<(String, Span, &'a [Tok])> {
    let w = |t: &Tok| &text[t.span.start..t.span.end];
    let mut k = 0;
    if part.len() > 2 && matches!(w(&part[0]), "io" | "codecs" | "pathlib") && w(&part[1]) == "." {
        k = 2;
    }
    let func = w(part.get(k)?);
    if !matches!(func, "open" | "Path") || part.get(k + 1)?.kind != Kind::Op("(") {
        return None;
    }
    let close = matching(part, k + 1)?;
    let args = split_commas(part, k + 2, close);
    let (a, b) = *args.first()?;
    let (path, span) = single_string(&part[a..b])?;
    // Further arguments may only be literals (a mode, `encoding="utf-8"`).
    for &(a, b) in &args[1..] {
        if !part[a..b]
            .iter()
            .all(|t| matches!(t.kind, Kind::Str(_) | Kind::Name | Kind::Op("=")))
        {
            return None;
        }
    }
    let mut rest = &part[close + 1..];
    if func == "Path" {
        // `Path("x").open()` is the same as `open("x")`.
        if rest.len() >= 4 && w(&rest[1]) == "open" && rest[2].kind == Kind::Op("(") {
            let c = matching(rest, 2)?;
            rest = &rest[c + 1..];
        } else if !(rest.len() >= 2 && w(&rest[1]) == "read_text") {
            return None;
        }
    }
    Some((path, span, rest))
}

/// Split at a top-level operator.
fn split_top(toks: &[Tok], op: &'static str) -> Vec<(usize, usize)> {
    let mut parts = Vec::new();
    let mut depth = 0usize;
    let mut s = 0;
    for (k, t) in toks.iter().enumerate() {
        if is_open(&t.kind) {
            depth += 1;
        } else if is_close(&t.kind) {
            depth = depth.saturating_sub(1);
        } else if depth == 0 && t.kind == Kind::Op(op) {
            parts.push((s, k));
            s = k + 1;
        }
    }
    parts.push((s, toks.len()));
    parts
}

/// One list element: the string pieces that make it up.
type Element<'a> = Vec<&'a Tok>;

/// A list/tuple of string literals, or a single string (split into lines by setuptools).
fn string_list(value: &[Tok]) -> Option<Vec<Element<'_>>> {
    let n = value.len();
    if n == 0 {
        return None;
    }
    if value.iter().all(|t| matches!(t.kind, Kind::Str(_))) {
        return Some(vec![value.iter().collect()]);
    }
    let open = &value[0].kind;
    let close = &value[n - 1].kind;
    let bracketed = n >= 2
        && ((*open == Kind::Op("[") && *close == Kind::Op("]"))
            || (*open == Kind::Op("(") && *close == Kind::Op(")")))
        && matching(value, 0) == Some(n - 1);
    if !bracketed {
        return None;
    }
    let mut out = Vec::new();
    for (s, e) in split_commas(value, 1, n - 1) {
        let item = &value[s..e];
        if item.is_empty()
            || !item
                .iter()
                .all(|t| matches!(&t.kind, Kind::Str(st) if st.value.is_some()))
        {
            return None;
        }
        out.push(item.iter().collect());
    }
    Some(out)
}

fn single_string(toks: &[Tok]) -> Option<(String, Span)> {
    if toks.is_empty() {
        return None;
    }
    let mut s = String::new();
    for t in toks {
        match &t.kind {
            Kind::Str(StrTok { value: Some(v), .. }) => s.push_str(v),
            _ => return None,
        }
    }
    let span = match (toks.len(), &toks[0].kind) {
        (1, Kind::Str(st)) if st.verbatim => st.inner,
        _ => cover(toks),
    };
    Some((s, span))
}

/// The requirements of a resolved value, in order; returns their indices.
fn from_pieces(
    text: &str,
    pieces: &[Piece<'_>],
    file: FileId,
    out: &mut Parsed,
    marker: Option<MarkerTree>,
    files: &mut Option<&mut Files>,
) -> Vec<usize> {
    let mut members = Vec::new();
    for piece in pieces {
        match piece {
            Piece::List(list) => members.extend(requirements(text, list, file, out, marker.clone())),
            Piece::File(path, span) => match files.as_deref_mut() {
                Some(files) => {
                    let read = setuptools::requirement_lines(files, file, path, *span, out);
                    if let Some(m) = &marker {
                        for &i in &read {
                            out.requirements[i].and_marker(m.clone());
                        }
                    }
                    members.extend(read);
                }
                None => out.problems.push(problem(
                    ProblemKind::Unevaluable,
                    file,
                    *span,
                    format!("`{path}` is read at build time; not read here"),
                )),
            },
        }
    }
    members
}

/// Turn literal elements into requirements; returns their indices.
fn requirements(
    text: &str,
    list: &[Element<'_>],
    file: FileId,
    out: &mut Parsed,
    marker: Option<MarkerTree>,
) -> Vec<usize> {
    let mut members = Vec::new();
    for element in list {
        let mut pieces = Vec::new();
        for t in element {
            if let Kind::Str(st) = &t.kind {
                pieces.push(st);
            }
        }
        let value: String = pieces.iter().filter_map(|p| p.value.as_deref()).collect();
        // setuptools runs each string through `yield_lines` and `drop_comment`: a string
        // may hold several requirements, one per line, with ` #` comments.
        let one_to_one = pieces.len() == 1 && pieces[0].verbatim;
        let mut offset = 0;
        for line in value.split_inclusive('\n') {
            let here = offset;
            offset += line.len();
            let body = line.trim_end_matches(['\n', '\r']);
            let Some((lead, t)) = setuptools::entry(body) else {
                continue;
            };
            let result = if one_to_one {
                let s = pieces[0].inner.start + here + lead;
                requirement_at(
                    text,
                    Span::new(s, s + t.len()),
                    file,
                    Role::Require,
                    super::Format::SetupPy,
                )
            } else {
                let whole = cover_refs(element);
                requirement_in_literal(t, whole, file, Role::Require, super::Format::SetupPy)
            };
            let read = result.map(|mut r| {
                if let Some(m) = &marker {
                    r.and_marker(m.clone());
                }
                r
            });
            keep(out, &mut members, read, t);
        }
    }
    members
}

/// In a keyword argument's value, a `NAME =` at the top level right after the end of an
/// expression: `setup(name="x"` then `install_requires=[...]` on the next line, a comma
/// missing, which Python refuses ("invalid syntax. Perhaps you forgot a comma?") where the
/// reader would take `install_requires` as part of `name`'s value. A value with a `lambda`
/// (whose parameters take defaults) is left alone.
fn keyword_without_comma<'a>(text: &str, value: &'a [Tok]) -> Option<&'a Tok> {
    let word = |t: &Tok| &text[t.span.start..t.span.end];
    if value.iter().any(|t| t.kind == Kind::Name && word(t) == "lambda") {
        return None;
    }
    let mut depth = 0usize;
    for (k, t) in value.iter().enumerate() {
        if is_open(&t.kind) {
            depth += 1;
        } else if is_close(&t.kind) {
            depth = depth.saturating_sub(1);
        } else if depth == 0 && t.kind == Kind::Op("=") && k >= 2 {
            let name = &value[k - 1];
            let before = &value[k - 2].kind;
            let ends_expression = matches!(before, Kind::Str(_) | Kind::Other | Kind::Name)
                || is_close(before);
            // Only before a keyword whose loss hides findings: a gap of the tokenizer (a
            // Python 3.12 f-string nesting its own quotes) must not make another `k=` an
            // error.
            let read = matches!(
                word(name),
                "install_requires" | "extras_require" | "python_requires"
            );
            if name.kind == Kind::Name && ends_expression && read {
                return Some(name);
            }
        }
    }
    None
}

/// A line that starts with a merge conflict marker (`<<<<<<< `, `=======`, `>>>>>>> `)
/// outside a string literal: Python cannot compile the file (a token starts there, where a
/// marker inside a docstring, an reST underline say, is part of a string token).
fn conflict_markers(text: &str, toks: &[Tok], file: FileId, out: &mut Parsed) {
    for (start, end) in crate::formats::requirements::physical_lines(text) {
        let line = &text[start..end];
        let marker = ["<<<<<<<", "=======", ">>>>>>>"].iter().any(|m| {
            line.strip_prefix(m)
                .is_some_and(|rest| rest.is_empty() || rest.starts_with([' ', '\t']))
        });
        if marker && toks.binary_search_by_key(&start, |t| t.span.start).is_ok() {
            out.problems.push(problem(
                ProblemKind::Parse,
                file,
                Span::new(start, end),
                "merge conflict marker: Python cannot run this file until the conflict is resolved".into(),
            ));
        }
    }
}

fn computed(file: FileId, span: Span, what: &str) -> Problem {
    computed_reading(file, span, what, "literal lists")
}

/// [`computed`] for a value that is read as `reads` (a list, a string).
fn computed_reading(file: FileId, span: Span, what: &str, reads: &str) -> Problem {
    problem(
        ProblemKind::Unevaluable,
        file,
        span,
        format!("{what} is computed; depwindow reads only {reads}"),
    )
}

fn cover(toks: &[Tok]) -> Span {
    match (toks.first(), toks.last()) {
        (Some(a), Some(b)) => a.span.cover(b.span),
        _ => Span::default(),
    }
}

fn cover_refs(toks: &[&Tok]) -> Span {
    match (toks.first(), toks.last()) {
        (Some(a), Some(b)) => a.span.cover(b.span),
        _ => Span::default(),
    }
}

fn is_open(k: &Kind) -> bool {
    matches!(k, Kind::Op("(" | "[" | "{"))
}
fn is_close(k: &Kind) -> bool {
    matches!(k, Kind::Op(")" | "]" | "}"))
}

/// Index of the bracket closing the one at `open` (a depth counter, no recursion).
fn matching(toks: &[Tok], open: usize) -> Option<usize> {
    let mut depth = 0usize;
    for (k, t) in toks.iter().enumerate().skip(open) {
        if is_open(&t.kind) {
            depth += 1;
        } else if is_close(&t.kind) {
            depth = depth.checked_sub(1)?;
            if depth == 0 {
                return Some(k);
            }
        }
    }
    None
}

/// Split `toks[start..end]` at top-level commas; drops a trailing empty element.
fn split_commas(toks: &[Tok], start: usize, end: usize) -> Vec<(usize, usize)> {
    let mut parts = Vec::new();
    let mut depth = 0usize;
    let mut s = start;
    let end = end.min(toks.len());
    for (k, tok) in toks.iter().enumerate().take(end).skip(start) {
        let kind = &tok.kind;
        if is_open(kind) {
            depth += 1;
        } else if is_close(kind) {
            depth = depth.saturating_sub(1);
        } else if depth == 0 && *kind == Kind::Op(",") {
            parts.push((s, k));
            s = k + 1;
        }
    }
    if s < end {
        parts.push((s, end));
    }
    parts
}

/// Tokenize Python source. Err(span) on an unterminated string literal.
fn tokenize(text: &str) -> Result<Vec<Tok>, Span> {
    let b = text.as_bytes();
    let mut toks: Vec<Tok> = Vec::new();
    let mut depth = 0usize;
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        match c {
            b'\\' if matches!(b.get(i + 1), Some(b'\n' | b'\r')) => {
                // A line continuation: the logical line goes on.
                i += 1;
                while matches!(b.get(i), Some(b'\n' | b'\r')) {
                    i += 1;
                    if b.get(i - 1) == Some(&b'\n') {
                        break;
                    }
                }
            }
            b'\n' => {
                // The end of a logical line (only outside brackets), as one token.
                if depth == 0 && toks.last().is_some_and(|t: &Tok| t.kind != Kind::Op("\n")) {
                    toks.push(Tok {
                        kind: Kind::Op("\n"),
                        span: Span::new(i, i + 1),
                    });
                }
                i += 1;
            }
            b' ' | b'\t' | b'\r' | b'\x0c' | b'\\' => i += 1,
            b'#' => {
                while i < b.len() && b[i] != b'\n' && b[i] != b'\r' {
                    i += 1;
                }
            }
            b'\'' | b'"' => {
                let (tok, end) = string(text, i, i)?;
                toks.push(tok);
                i = end;
            }
            _ if c.is_ascii_alphabetic() || c == b'_' || c >= 0x80 => {
                let s = i;
                while i < b.len() && (b[i].is_ascii_alphanumeric() || b[i] == b'_' || b[i] >= 0x80)
                {
                    i += 1;
                }
                let word = &text[s..i];
                let is_prefix = word.len() <= 2
                    && word
                        .chars()
                        .all(|ch| matches!(ch.to_ascii_lowercase(), 'r' | 'u' | 'b' | 'f'));
                if is_prefix && matches!(b.get(i), Some(b'\'' | b'"')) {
                    let (tok, end) = string(text, s, i)?;
                    toks.push(tok);
                    i = end;
                } else {
                    toks.push(Tok {
                        kind: Kind::Name,
                        span: Span::new(s, i),
                    });
                }
            }
            _ if c.is_ascii_digit() => {
                let s = i;
                while i < b.len() && (b[i].is_ascii_alphanumeric() || b[i] == b'.' || b[i] == b'_')
                {
                    i += 1;
                }
                toks.push(Tok {
                    kind: Kind::Other,
                    span: Span::new(s, i),
                });
            }
            _ => {
                let two = b.get(i..i + 2);
                let (op, len): (&'static str, usize) = match (c, two) {
                    (_, Some(b"**")) => ("**", 2),
                    (_, Some(b"==")) => ("==", 2),
                    (_, Some(b"+=")) => ("+=", 2),
                    (_, Some(b"!=")) => ("!=", 2),
                    (_, Some(b"<=")) => ("<=", 2),
                    (_, Some(b">=")) => (">=", 2),
                    (_, Some(b"-=")) => ("-=", 2),
                    (_, Some(b"|=")) => ("|=", 2),
                    (b'+', _) => ("+", 1),
                    (b'(', _) => ("(", 1),
                    (b')', _) => (")", 1),
                    (b'[', _) => ("[", 1),
                    (b']', _) => ("]", 1),
                    (b'{', _) => ("{", 1),
                    (b'}', _) => ("}", 1),
                    (b',', _) => (",", 1),
                    (b':', _) => (":", 1),
                    (b'=', _) => ("=", 1),
                    (b'.', _) => (".", 1),
                    _ => ("?", 1),
                };
                match op {
                    "(" | "[" | "{" => depth += 1,
                    ")" | "]" | "}" => depth = depth.saturating_sub(1),
                    _ => {}
                }
                toks.push(Tok {
                    kind: Kind::Op(op),
                    span: Span::new(i, i + len),
                });
                i += len;
            }
        }
    }
    Ok(toks)
}

/// Lex a string literal whose prefix starts at `start` and whose quote is at `q`.
fn string(text: &str, start: usize, q: usize) -> Result<(Tok, usize), Span> {
    let b = text.as_bytes();
    let prefix = text[start..q].to_ascii_lowercase();
    let raw = prefix.contains('r');
    let bytes = prefix.contains('b');
    let fstr = prefix.contains('f');
    let quote = b[q];
    let triple = b.get(q..q + 3) == Some(&[quote, quote, quote][..]);
    let ql = if triple { 3 } else { 1 };
    let body_start = q + ql;
    let mut i = body_start;
    let mut value = String::new();
    let mut known = !bytes;
    loop {
        let Some(&c) = b.get(i) else {
            return Err(Span::new(start, text.len()));
        };
        if c == quote && (!triple || b.get(i..i + 3) == Some(&[quote, quote, quote][..])) {
            break;
        }
        if !triple && (c == b'\n' || c == b'\r') {
            return Err(Span::new(start, i));
        }
        if c == b'\\' {
            let Some(&n) = b.get(i + 1) else {
                return Err(Span::new(start, text.len()));
            };
            if raw {
                // Raw strings keep the backslash; it still stops the quote from closing.
                value.push('\\');
                let ch_len = utf8_len(n);
                value.push_str(text.get(i + 1..i + 1 + ch_len).unwrap_or(""));
                i += 1 + ch_len;
                continue;
            }
            i += 2;
            match n {
                b'\n' => {}
                b'\r' => {
                    if b.get(i) == Some(&b'\n') {
                        i += 1;
                    }
                }
                b'\\' => value.push('\\'),
                b'\'' => value.push('\''),
                b'"' => value.push('"'),
                b'a' => value.push('\u{7}'),
                b'b' => value.push('\u{8}'),
                b'f' => value.push('\u{c}'),
                b'n' => value.push('\n'),
                b'r' => value.push('\r'),
                b't' => value.push('\t'),
                b'v' => value.push('\u{b}'),
                b'0'..=b'7' => {
                    let mut v = u32::from(n - b'0');
                    let mut k = 0;
                    while k < 2 && matches!(b.get(i), Some(b'0'..=b'7')) {
                        v = v * 8 + u32::from(b[i] - b'0');
                        i += 1;
                        k += 1;
                    }
                    value.push(char::from_u32(v).unwrap_or(char::REPLACEMENT_CHARACTER));
                }
                b'x' | b'u' | b'U' => {
                    let len = match n {
                        b'x' => 2,
                        b'u' => 4,
                        _ => 8,
                    };
                    let hex = text
                        .get(i..i + len)
                        .and_then(|h| u32::from_str_radix(h, 16).ok());
                    match hex.and_then(char::from_u32) {
                        Some(ch) => {
                            value.push(ch);
                            i += len;
                        }
                        None => known = false,
                    }
                }
                // `\N{name}` needs the Unicode name database.
                b'N' => known = false,
                _ => {
                    value.push('\\');
                    let ch_len = utf8_len(n);
                    value.push_str(text.get(i - 1..i - 1 + ch_len).unwrap_or(""));
                    i += ch_len - 1;
                }
            }
            continue;
        }
        let ch_len = utf8_len(c);
        value.push_str(text.get(i..i + ch_len).unwrap_or(""));
        i += ch_len;
    }
    let inner = Span::new(body_start, i);
    let end = i + ql;
    if fstr && (value.contains('{') || value.contains('}')) {
        known = false;
    }
    let verbatim = known && text.get(inner.start..inner.end) == Some(value.as_str());
    let st = StrTok {
        value: known.then_some(value),
        inner,
        verbatim,
    };
    Ok((
        Tok {
            kind: Kind::Str(st),
            span: Span::new(start, end),
        },
        end,
    ))
}

fn utf8_len(first: u8) -> usize {
    match first {
        0xF0..=0xFF => 4,
        0xE0..=0xEF => 3,
        0xC0..=0xDF => 2,
        _ => 1,
    }
}

/// `setup.py`: the literal parts of a `setup()` call.
pub(crate) struct SetupPy;

impl super::InputFormat for SetupPy {
    fn name(&self) -> &'static str {
        "setup-py"
    }
    fn example_file_name(&self) -> &'static str {
        "setup.py"
    }
    fn detect(&self, name: &super::FileName<'_>) -> bool {
        name.lower == "setup.py"
    }
    fn parse(&self, files: &mut Files, id: FileId) -> Parsed {
        let mut parsed = parse(files, id);
        super::edit::capture_inserts(
            files,
            &mut parsed,
            |r| r.loc().file == id,
            |f, r| super::edit::array_slot(f, r.loc().span),
        );
        parsed
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::manifest::VersionReq;

    fn slice(t: &str, s: Span) -> &str {
        &t[s.start..s.end]
    }

    /// The problems of `t`, as (kind, the text they point at).
    fn problems(t: &str) -> Vec<(ProblemKind, &str)> {
        parse_text(t, 0)
            .problems
            .iter()
            .map(|x| (x.kind, slice(t, x.loc.span)))
            .collect()
    }

    /// A keyword argument named as the variable it passes binds nothing: the name is still
    /// bound once (real files: `setup(install_requires=install_requires)`,
    /// `extras_require=extras_require`; each was "computed", a warning, and exit 0).
    #[test]
    fn a_keyword_argument_does_not_rebind_its_name() {
        let t = "from setuptools import setup\ninstall_requires = ['tensorflow==1.14.0', 'numpy']\n\
                 extras_require = {'gpu': ['h5py']}\n\
                 def helper(install_requires=None):\n    return dict(extras_require=1)\n\
                 setup(name='x', install_requires=install_requires, extras_require=extras_require)\n";
        let p = parse_text(t, 0);
        assert!(p.problems.is_empty(), "{:?}", p.problems);
        let names: Vec<&str> = p.requirements.iter().map(|r| r.name.as_ref()).collect();
        assert_eq!(names, ["tensorflow", "numpy", "h5py"]);
        // A name bound again, or changed in place, is still computed.
        for again in [
            "install_requires = []\n",
            "install_requires += ['x']\n",
            "install_requires.append('x')\n",
            "install_requires: list = []\n",
            "print(install_requires := [])\n",
            "def install_requires(): pass\n",
        ] {
            let t = format!(
                "install_requires = ['numpy']\n{again}setup(install_requires=install_requires)\n"
            );
            assert_eq!(
                problems(&t),
                [(ProblemKind::Unevaluable, "install_requires")],
                "{again}"
            );
        }
    }

    /// `python_requires` through a name bound once to a string, as `install_requires` through
    /// a name bound to a list (an unread Python range hid the whole file's findings).
    #[test]
    fn python_requires_through_a_name() {
        let t = "PYTHON_REQUIRES = \">=3.6\"\nsetup(python_requires=PYTHON_REQUIRES, install_requires=['numpy'])\n";
        let p = parse_text(t, 0);
        assert!(p.problems.is_empty(), "{:?}", p.problems);
        let (specs, loc) = p.requires_python.expect("read through the name");
        assert_eq!(specs.to_string(), ">=3.6");
        assert_eq!(slice(t, loc.span), ">=3.6");
        let t = "P = '>=3.6'\nP = '>=3.7'\nsetup(python_requires=P)\n";
        assert_eq!(problems(t), [(ProblemKind::Unevaluable, "P")]);
        let p = parse_text(t, 0);
        assert!(p.problems[0].message.ends_with("reads only a literal string"));
    }

    /// What Python refuses to compile is a parse error, not a file read as if it were fine: a
    /// comma missing between two keyword arguments (the first one's value swallowed the
    /// second, and `install_requires` went unread), and merge conflict markers.
    #[test]
    fn what_python_cannot_compile_is_a_parse_error() {
        let t = "setup(\n    name=\"x\"\n    install_requires=[\"numpy\"],\n)\n";
        assert_eq!(problems(t), [(ProblemKind::Parse, "install_requires")]);
        let t = "setup(name=f(1) install_requires=['numpy'])\n";
        assert_eq!(problems(t), [(ProblemKind::Parse, "install_requires")]);
        // Only before a keyword whose loss hides findings (a Python 3.12 f-string nesting
        // its quotes, which the tokenizer reads as code, is valid).
        let t = "setup(description=f\"{dict(a=\"k=v\")}\", install_requires=['numpy'])\n";
        assert!(!problems(t).iter().any(|(k, _)| *k == ProblemKind::Parse), "{:?}", problems(t));
        let t = "setup(\n<<<<<<< HEAD\n    version='1',\n=======\n    version='2',\n>>>>>>> b\n)\n";
        assert_eq!(
            problems(t),
            [
                (ProblemKind::Parse, "<<<<<<< HEAD"),
                (ProblemKind::Parse, "======="),
                (ProblemKind::Parse, ">>>>>>> b"),
            ]
        );
        // Valid Python: a marker-like line inside a string, a lambda's default, a comparison.
        for t in [
            "setup(long_description='''Title\n=======\n''', install_requires=['numpy'])\n",
            "setup(cmdclass=lambda x=1: x, install_requires=['numpy'])\n",
            "setup(zip_safe=a == b, install_requires=['numpy'])\n",
            "setup(install_requires=['numpy'] if x else [])\n",
        ] {
            assert!(
                !problems(t).iter().any(|(k, _)| *k == ProblemKind::Parse),
                "{t}: {:?}",
                problems(t)
            );
        }
    }

    #[test]
    fn literal_lists_with_spans_and_extras() {
        let t = "from setuptools import setup\n\ndef setup_x(): pass\n\nsetup(\n    name='demo',\n    \
                 python_requires=\">=3.5\",\n    install_requires=['tensorflow==1.14.0', \"numpy>=1.16\", # c\n        \
                 r'six', 'a' 'b>1',],\n    extras_require={\n        'gpu': ['tensorflow-gpu==1.14.0'],\n        \
                 \"test:python_version<'3.8'\": ('pytest',),\n    },\n)\n";
        let p = parse_text(t, 0);
        assert!(p.problems.is_empty(), "{:?}", p.problems);
        let names: Vec<&str> = p.requirements.iter().map(|r| r.name.as_ref()).collect();
        assert_eq!(
            names,
            [
                "tensorflow",
                "numpy",
                "six",
                "ab",
                "tensorflow-gpu",
                "pytest"
            ]
        );
        assert_eq!(slice(t, p.requirements[0].loc().span), "tensorflow==1.14.0");
        let VersionReq::Specifiers { span, .. } = &p.requirements[1].version else {
            panic!()
        };
        assert_eq!(slice(t, span.get()), ">=1.16");
        // Implicit concatenation: underlined whole.
        assert_eq!(slice(t, p.requirements[3].loc().span), "'a' 'b>1'");
        assert!(!p.requirements[5].marker().is_true());
        assert_eq!(
            slice(t, p.requires_python.as_ref().unwrap().1.span),
            ">=3.5"
        );
        let g: Vec<(&str, Vec<usize>)> = (0..p.groups.len())
            .map(|i| (p.groups[i].name.as_str(), p.members(i)))
            .collect();
        assert_eq!(
            g,
            [
                ("install_requires", vec![0, 1, 2, 3]),
                ("extra:gpu", vec![0, 1, 2, 3, 4]),
                ("extra:test", vec![0, 1, 2, 3, 5])
            ]
        );
    }

    #[test]
    fn computed_arguments_are_unevaluable_at_the_argument() {
        let t = "import setuptools\nREQ = open('r.txt').read().split()\nsetuptools.setup(install_requires=REQ + ['x'],\n  \
                 extras_require={'a': [r for r in REQ], 'b': ['numpy']}, **extra)\n";
        let p = parse_text(t, 0);
        let got: Vec<(ProblemKind, &str)> = p
            .problems
            .iter()
            .map(|x| (x.kind, slice(t, x.loc.span)))
            .collect();
        assert_eq!(
            got,
            [
                (ProblemKind::Unevaluable, "REQ + ['x']"),
                (ProblemKind::Unevaluable, "[r for r in REQ]"),
                (ProblemKind::Unevaluable, "**extra"),
            ]
        );
        assert_eq!(p.requirements.len(), 1);
        assert_eq!(p.groups[1].name, "extra:b");
    }

    #[test]
    fn escaped_literal_is_underlined_whole() {
        let t = "setup(install_requires=['numpy\\x3e=1.16'])";
        let p = parse_text(t, 0);
        assert_eq!(p.requirements.len(), 1);
        assert_eq!(slice(t, p.requirements[0].loc().span), "'numpy\\x3e=1.16'");
        let VersionReq::Specifiers { specifiers, .. } = &p.requirements[0].version else {
            panic!()
        };
        assert_eq!(specifiers.to_string(), ">=1.16");
    }

    #[test]
    fn broken_inputs_are_problems() {
        let p = parse_text("setup(install_requires=['numpy>=1.16", 0);
        assert!(p.problems.iter().any(|x| x.kind == ProblemKind::Parse));
        let p = parse_text("setup(install_requires=['numpy>=1.16']", 0);
        assert_eq!(p.problems[0].message, "`setup(` is never closed");
        let p = parse_text("print('hi')", 0);
        assert_eq!(p.problems[0].kind, ProblemKind::Note);
        let p = parse_text("setup(install_requires=[f'numpy>={V}'])", 0);
        assert_eq!(p.problems[0].kind, ProblemKind::Unevaluable);
        let t = "setup(install_requires=['numpy>=>1'])";
        let p = parse_text(t, 0);
        assert_eq!(p.problems[0].kind, ProblemKind::Parse);
        assert!(p.problems[0].loc.span.start >= t.find("numpy").unwrap());
    }
}
