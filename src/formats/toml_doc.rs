//! Shared plumbing for the TOML formats: parsing with spans, typed access that reports wrong
//! value types as problems, string-content spans, and group bookkeeping.
//!
//! We walk the lean tree of [`super::toml_tree`], which keeps a byte span for every key and
//! value (spans include the quotes of strings) as `toml::de::Table` does, for a fraction of
//! its memory, and refuses exactly what `toml` refuses, with `toml`'s error.

use super::toml_tree::{Array, Item, Spanned, Table};
use pep508_rs::{ExtraName, MarkerTree, PackageName};

use crate::manifest::{
    FileId, Group, GroupKind, Loc, Marker, Parsed, Problem, ProblemKind, Requirement,
};
use crate::source::Span;

/// Deepest bracket/brace nesting we hand to the TOML parser. Real files nest a handful of
/// levels. toml 1.2 refuses very deep nesting itself (measured: 10,000 and 1,000,000 levels
/// of `[` or `{` give an error, no stack overflow); this pre-scan keeps that guarantee
/// independent of the parser version and gives a clearer message.
pub(crate) const MAX_NESTING: usize = 128;

pub(crate) type Value<'i> = super::toml_tree::Value<'i>;
pub(crate) type Key<'i> = super::toml_tree::Key<'i>;

pub(crate) fn span_of<T>(s: &Spanned<T>) -> Span {
    let r = s.span();
    Span::new(r.start, r.end)
}

/// Accumulates what a TOML parser found.
pub(crate) struct Ctx<'t> {
    pub text: &'t str,
    pub file: FileId,
    /// The format being read (it travels with every requirement).
    pub format: super::Format,
    /// Which packages are built in full ([`super::Relevant`]; every one unless the reader
    /// was handed its file's parse context).
    pub relevant: &'t super::Relevant,
    pub out: Parsed,
}

impl<'t> Ctx<'t> {
    pub(crate) fn new(text: &'t str, file: FileId, format: super::Format) -> Self {
        Ctx {
            text,
            file,
            format,
            relevant: &super::READ_ALL,
            out: Parsed::default(),
        }
    }

    pub(crate) fn loc(&self, span: Span) -> Loc {
        Loc {
            file: self.file,
            span,
        }
    }

    pub(crate) fn problem(&mut self, kind: ProblemKind, span: Span, message: impl Into<String>) {
        let loc = self.loc(span);
        self.out.problems.push(Problem {
            kind,
            loc,
            message: message.into(),
            help: None,
        });
    }

    pub(crate) fn parse_error(&mut self, span: Span, message: impl Into<String>) {
        self.problem(ProblemKind::Parse, span, message);
    }

    /// Push a requirement and return its index.
    pub(crate) fn push(&mut self, req: Requirement) -> usize {
        self.out.requirements.push(req);
        self.out.requirements.len() - 1
    }

    /// Add a unit (declared by no tool's own table: [`Group::tool`] `None`) and return it, so
    /// that a reader that knows more can say so.
    pub(crate) fn add_group(
        &mut self,
        kind: GroupKind,
        name: impl Into<String>,
        members: Vec<usize>,
        extras: Vec<ExtraName>,
    ) -> &mut Group {
        let mut members = members;
        members.sort_unstable();
        members.dedup();
        self.out.groups.push(Group {
            kind,
            tool: None,
            name: name.into(),
            members,
            extras,
            base: None,
        });
        let last = self.out.groups.len() - 1;
        &mut self.out.groups[last]
    }

    /// Parse the document. On failure the problem is recorded and `None` returned.
    ///
    /// The nesting guard ([`too_deep`]) is a scan of the whole text, as costly as a third of
    /// the lexing; it runs only where it can refuse ([`may_be_too_deep`]), and then first,
    /// before anything builds a tree of a text that may be hostile.
    pub(crate) fn parse_document(&mut self) -> Option<Table<'t>> {
        if may_be_too_deep(self.text) {
            if let Some(at) = too_deep(self.text, MAX_NESTING) {
                let end = (at + 1).min(self.text.len());
                self.parse_error(
                    Span::new(at, end),
                    format!("TOML nested more than {MAX_NESTING} levels deep; not read"),
                );
                return None;
            }
        }
        let built = super::toml_tree::build_first(self.text);
        match built.or_else(|refused| super::toml_tree::toml_verdict(self.text, refused)) {
            Ok(t) => Some(t),
            Err(e) => {
                let span = e
                    .span()
                    .map(|r| Span::new(r.start.min(self.text.len()), r.end.min(self.text.len())))
                    .unwrap_or_default();
                let msg = e.message().trim().to_owned();
                self.parse_error(span, format!("invalid TOML: {msg}"));
                None
            }
        }
    }

    /// `value` as a table, or a problem saying what was expected.
    pub(crate) fn table<'v, 'i>(
        &mut self,
        value: &'v Value<'i>,
        what: &str,
    ) -> Option<&'v Table<'i>> {
        match value.get_ref() {
            Item::Table(t) => Some(t),
            other => {
                self.wrong_type(value, other, what, "a table");
                None
            }
        }
    }

    /// `t[key]` as a table: `None` when absent, a problem when not a table.
    pub(crate) fn sub_table<'v, 'i>(
        &mut self,
        t: &'v Table<'i>,
        key: &str,
        what: &str,
    ) -> Option<&'v Table<'i>> {
        let v = t.get(key)?;
        self.table(v, what)
    }

    pub(crate) fn array<'v, 'i>(
        &mut self,
        value: &'v Value<'i>,
        what: &str,
    ) -> Option<&'v Array<'i>> {
        match value.get_ref() {
            Item::Array(a) => Some(a),
            other => {
                self.wrong_type(value, other, what, "an array");
                None
            }
        }
    }

    pub(crate) fn string<'v>(&mut self, value: &'v Value<'_>, what: &str) -> Option<&'v str> {
        match value.get_ref() {
            Item::String(s) => Some(s),
            other => {
                self.wrong_type(value, other, what, "a string");
                None
            }
        }
    }

    pub(crate) fn bool(&mut self, value: &Value<'_>, what: &str) -> Option<bool> {
        match value.get_ref() {
            Item::Boolean(b) => Some(*b),
            other => {
                self.wrong_type(value, other, what, "a boolean");
                None
            }
        }
    }

    /// An array of strings; non-strings are reported and skipped.
    pub(crate) fn strings<'v>(
        &mut self,
        value: &'v Value<'_>,
        what: &str,
    ) -> Vec<(&'v str, StrSpan)> {
        let mut v = Vec::new();
        if let Some(arr) = self.array(value, what) {
            for item in arr.iter() {
                if let Some(s) = self.string(item, what) {
                    v.push((s, self.str_span(item, s)));
                }
            }
        }
        v
    }

    fn wrong_type(&mut self, value: &Value<'_>, got: &Item<'_>, what: &str, want: &str) {
        let got = type_name(got);
        self.parse_error(
            span_of(value),
            format!("{what} must be {want}, found {got}"),
        );
    }

    /// Where a string value's content is, see [`StrSpan`].
    pub(crate) fn str_span(&self, value: &Value<'_>, decoded: &str) -> StrSpan {
        str_span(self.text, span_of(value), decoded)
    }

    /// The keys of a table, lower-cased: the neighbours an inserted entry must not repeat.
    /// Only a rule's package is ever inserted (`fix_proposal::unconstrained_fix`), so only
    /// the keys on packages read in full are kept ([`Ctx::relevant`]; a key equal to a
    /// rule's package but for case is one of them): a table of 100k other packages does
    /// not copy 100k keys into its trigger's anchors (issue 15 §4).
    pub(crate) fn keys(&self, t: &Table<'_>) -> std::sync::Arc<[String]> {
        t.iter()
            .map(|(k, _)| k.get_ref())
            .filter(|k| self.relevant.wants(k))
            .map(|k| k.to_ascii_lowercase())
            .collect()
    }

    /// The edit anchors of a dependency entry `key = value` (Poetry, Pipfile) whose version
    /// reads `version`. `item` is the value the version came from (`value` itself, or one
    /// table of a Poetry list of constraints); `copied` are the keys of its inline table that
    /// a sibling entry copies (in that order), `siblings` the keys of the enclosing table.
    pub(crate) fn entry_anchors(
        &self,
        key: &Key<'_>,
        value: &Value<'_>,
        item: &Value<'_>,
        version: &crate::manifest::VersionReq,
        copied: &[&str],
        siblings: &std::sync::Arc<[String]>,
    ) -> crate::manifest::Anchors {
        use crate::manifest::{Anchors, TomlEntry};
        let key_span = span_of(key);
        let value_span = span_of(value);
        // Only a `key = value` written as such: not a dotted key, not a `[table]` header.
        let inline = self
            .text
            .get(key_span.end..value_span.start)
            .is_some_and(|between| between.trim() == "=")
            && self
                .text
                .get(value_span.start..)
                .is_some_and(|v| v.starts_with(['{', '[', '"', '\'']));
        let entry = inline.then(|| {
            let restrictions = match item.get_ref() {
                Item::Table(t) => copied
                    .iter()
                    .filter_map(|k| {
                        let (k, v) = entry(t, k)?;
                        matches!(v.get_ref(), Item::String(_)).then(|| (span_of(k), span_of(v)))
                    })
                    .collect(),
                _ => Vec::new(),
            };
            let key_raw = self.text.get(key_span.start..key_span.end).unwrap_or("");
            let key_quote = key_raw.chars().next().filter(|c| *c == '"');
            TomlEntry {
                span: key_span.cover(value_span),
                restrictions,
                siblings: siblings.clone(),
                key_quote,
            }
        });
        // Where a sibling goes: `edit::toml_entry_slot`, through the file's line index.
        Anchors::new(self.version_slot(item, version), None, entry)
    }

    /// Where the version of a TOML dependency value is, or would go: the version string
    /// (its content, or the whole token with its quote when the content does not map one to
    /// one), the `"*"` token, or the front of an inline table without a `version` key.
    fn version_slot(
        &self,
        item: &Value<'_>,
        version: &crate::manifest::VersionReq,
    ) -> Option<crate::manifest::VersionSlot> {
        use crate::manifest::{VersionReq, VersionSlot};
        match version {
            VersionReq::Specifiers { span, .. } | VersionReq::AnyOf { span, .. } => {
                let span = span.get();
                let raw = self.text.get(span.start..span.end)?;
                if raw.starts_with("\"\"\"") || raw.starts_with("'''") {
                    return None;
                }
                let quote = raw
                    .starts_with(['"', '\''])
                    .then(|| raw.chars().next())
                    .flatten();
                Some(VersionSlot::Replace { span, quote })
            }
            VersionReq::Any => match item.get_ref() {
                Item::String(_) => self.string_token(span_of(item)),
                Item::Table(t) => {
                    let s = span_of(item);
                    let raw = self.text.get(s.start..s.end)?;
                    if !raw.starts_with('{') || !raw.ends_with('}') {
                        return None;
                    }
                    if let Some(v) = get(t, "version") {
                        return self.string_token(span_of(v));
                    }
                    let inner = &raw[1..raw.len() - 1];
                    let at = s.start + 1 + (inner.len() - inner.trim_start().len());
                    let around = if inner.trim().is_empty() {
                        &["version = \"", "\""]
                    } else {
                        &["version = \"", "\", "]
                    };
                    Some(VersionSlot::Insert { at, around })
                }
                _ => None,
            },
            _ => None,
        }
    }

    /// A one-line basic or literal string token at `span`, rewritten whole with its quote.
    /// Strings with escapes are refused (the rewrite would have to re-escape).
    fn string_token(&self, span: Span) -> Option<crate::manifest::VersionSlot> {
        let raw = self.text.get(span.start..span.end)?;
        let q = raw.chars().next().filter(|c| matches!(c, '"' | '\''))?;
        if raw.starts_with("\"\"\"") || raw.starts_with("'''") || raw.len() < 2 || !raw.ends_with(q)
        {
            return None;
        }
        if raw[1..raw.len() - 1].contains(['\\', '\n', '\r']) {
            return None;
        }
        Some(crate::manifest::VersionSlot::Replace {
            span,
            quote: Some(q),
        })
    }

    /// The span of a key's text without quotes, when it maps one to one.
    pub(crate) fn key_span(&self, key: &Key<'_>) -> Span {
        str_span(self.text, span_of(key), key.get_ref()).span
    }

    /// Normalised package name from a TOML key, or a problem.
    pub(crate) fn package_name(&mut self, name: &str, span: Span) -> Option<PackageName> {
        match PackageName::new(name.to_owned()) {
            Ok(n) => Some(n),
            Err(e) => {
                self.parse_error(span, format!("invalid package name `{name}`: {e}"));
                None
            }
        }
    }

    pub(crate) fn extra_names(&mut self, value: &Value<'_>, what: &str) -> Vec<ExtraName> {
        let mut out = Vec::new();
        for (s, sp) in self.strings(value, what) {
            match ExtraName::new(s.to_owned()) {
                Ok(e) => out.push(e),
                Err(e) => self.parse_error(sp.span, format!("invalid extra name `{s}`: {e}")),
            }
        }
        out
    }
}

/// The location of a TOML string's content.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct StrSpan {
    /// The content without quotes when `exact`, else the whole string token.
    pub span: Span,
    /// The raw text at `span` equals the decoded value byte for byte, so offsets inside the
    /// value are offsets into the file.
    pub exact: bool,
}

/// Locate the content of a string token spanning `whole` whose decoded value is `decoded`.
/// Escapes (`"caf\u00e9"`, line-ending backslashes) break the 1:1 mapping; then the whole
/// token is returned with `exact = false`.
pub(crate) fn str_span(text: &str, whole: Span, decoded: &str) -> StrSpan {
    let inexact = StrSpan {
        span: whole,
        exact: false,
    };
    let Some(raw) = text.get(whole.start..whole.end) else {
        return inexact;
    };
    let delim = ["\"\"\"", "'''", "\"", "'"]
        .into_iter()
        .find(|d| raw.len() >= 2 * d.len() && raw.starts_with(d) && raw.ends_with(d));
    let Some(delim) = delim else {
        // A bare key.
        return if raw == decoded {
            StrSpan {
                span: whole,
                exact: true,
            }
        } else {
            inexact
        };
    };
    let mut start = whole.start + delim.len();
    let end = whole.end - delim.len();
    if delim.len() == 3 {
        // "A newline immediately following the opening delimiter will be trimmed."
        let inner = &text[start..end];
        if inner.starts_with("\r\n") {
            start += 2;
        } else if inner.starts_with('\n') {
            start += 1;
        }
    }
    if text.get(start..end) == Some(decoded) {
        StrSpan {
            span: Span::new(start, end),
            exact: true,
        }
    } else {
        inexact
    }
}

pub(crate) fn type_name(v: &Item<'_>) -> &'static str {
    match v {
        Item::String(_) => "a string",
        Item::Integer => "an integer",
        Item::Float => "a float",
        Item::Boolean(_) => "a boolean",
        Item::Datetime => "a date-time",
        Item::Array(_) => "an array",
        Item::Table(_) => "a table",
    }
}

/// Find the key's entry (key and value) in a table.
pub(crate) fn entry<'a, 'i>(t: &'a Table<'i>, key: &str) -> Option<(&'a Key<'i>, &'a Value<'i>)> {
    t.iter().find(|(k, _)| k.get_ref().as_ref() == key)
}

pub(crate) fn get<'a, 'i>(t: &'a Table<'i>, key: &str) -> Option<&'a Value<'i>> {
    t.get(key)
}

/// Entries in file order (the map is ordered by key).
pub(crate) fn entries<'a, 'i>(t: &'a Table<'i>) -> Vec<(&'a Key<'i>, &'a Value<'i>)> {
    let mut v: Vec<_> = t.iter().collect();
    v.sort_by_key(|(k, _)| k.span().start);
    v
}

/// Whether [`too_deep`] may find `text` too deep: it counts one level per `[` or `{`
/// outside strings and comments, so a text holding at most [`MAX_NESTING`] of those bytes
/// never is (a usual pyproject.toml holds a handful: no scan). A text with more is scanned
/// before the tree builder reads it, as when the scan always ran first: a deep hostile text
/// is refused at the scan's cost, where the builder would have read all of it (8M `[` took
/// 0.41 s and 210 MB that way, 0.03 s and 31 MB refused first).
fn may_be_too_deep(text: &str) -> bool {
    memchr::memchr2_iter(b'[', b'{', text.as_bytes())
        .nth(MAX_NESTING)
        .is_some()
}

/// The byte offset where bracket/brace nesting (outside strings and comments) first exceeds
/// `limit`, if it does. Counts `[[`/`]]` table headers too, which only overestimates.
pub(crate) fn too_deep(text: &str, limit: usize) -> Option<usize> {
    #[cfg(test)]
    tests::DEPTH_SCANS.with(|n| n.set(n.get() + 1));
    let b = text.as_bytes();
    let mut depth = 0usize;
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'#' => {
                while i < b.len() && b[i] != b'\n' {
                    i += 1;
                }
            }
            q @ (b'"' | b'\'') => {
                let triple = b.get(i..i + 3) == Some(&[q, q, q][..]);
                let n = if triple { 3 } else { 1 };
                i += n;
                while i < b.len() {
                    if q == b'"' && b[i] == b'\\' {
                        i += 2;
                        continue;
                    }
                    if !triple && b[i] == b'\n' {
                        break;
                    }
                    if b[i] == q && (!triple || b.get(i..i + 3) == Some(&[q, q, q][..])) {
                        i += n - 1;
                        break;
                    }
                    i += 1;
                }
            }
            b'[' | b'{' => {
                depth += 1;
                if depth > limit {
                    return Some(i);
                }
            }
            b']' | b'}' => depth = depth.saturating_sub(1),
            _ => {}
        }
        i += 1;
    }
    None
}

/// Read a TOML document: parse it (a problem when it does not parse), let `read` take what
/// it wants from the root table, then order requirements and problems by position.
pub(crate) fn read_document(
    text: &str,
    file: FileId,
    format: super::Format,
    read: impl FnOnce(&mut Ctx<'_>, &Table<'_>),
) -> Parsed {
    read_document_for(text, file, format, &super::READ_ALL, read)
}

/// [`read_document`] building in full only the requirements on `relevant` packages (the
/// file's parse context, [`crate::files::Files::relevant`]).
pub(crate) fn read_document_for(
    text: &str,
    file: FileId,
    format: super::Format,
    relevant: &super::Relevant,
    read: impl FnOnce(&mut Ctx<'_>, &Table<'_>),
) -> Parsed {
    let mut ctx = Ctx::new(text, file, format);
    ctx.relevant = relevant;
    let Some(doc) = ctx.parse_document() else {
        return ctx.out;
    };
    read(&mut ctx, &doc);
    sort_by_position(&mut ctx.out);
    ctx.out
}

/// Order requirements by position in the file (the TOML map iterates by key) and remap
/// group members accordingly.
pub(crate) fn sort_by_position(out: &mut Parsed) {
    out.problems.sort_by_key(|p| p.loc.span.start);
    let reqs = &mut out.requirements;
    // Most readers push in file order already (a lockfile's packages always): nothing moves.
    if reqs.is_sorted_by_key(|r| r.loc().span.start) {
        for g in &mut out.groups {
            g.members.sort_unstable();
        }
        return;
    }
    let mut order: Vec<usize> = (0..reqs.len()).collect();
    order.sort_by_key(|&i| (reqs[i].loc().span.start, i));
    let mut new_index = vec![0; order.len()];
    for (new, &old) in order.iter().enumerate() {
        new_index[old] = new;
    }
    // Move each requirement to its place in the vector itself (following the permutation's
    // cycles), not through a second vector of them.
    let mut place = new_index.clone();
    for i in 0..reqs.len() {
        while place[i] != i {
            let j = place[i];
            reqs.swap(i, j);
            place.swap(i, j);
        }
    }
    for g in &mut out.groups {
        for m in &mut g.members {
            *m = new_index[*m];
        }
        g.members.sort_unstable();
    }
}

/// A PEP 440 specifier string as a TOML value (`">=1.16,<1.17"`, `"*"`).
pub(crate) fn pep440_value(s: &str, at: StrSpan) -> Result<crate::manifest::VersionReq, String> {
    use crate::manifest::VersionReq;
    let t = s.trim();
    if t.is_empty() || t == "*" {
        return Ok(VersionReq::Any);
    }
    // Read clause by clause (no whole pep440_rs list alive at once).
    let specifiers = crate::versions::read_specifiers(t).map_err(|e| {
        format!(
            "invalid version specifier `{s}`: {}",
            crate::versions::specifiers_error(&e)
        )
    })?;
    let mut clauses = Vec::new();
    if at.exact {
        let mut off = 0;
        for part in s.split(',') {
            let lead = part.len() - part.trim_start().len();
            let len = part.trim().len();
            clauses.push(at.span.sub(Span::new(off + lead, off + lead + len)));
            off += part.len() + 1;
        }
        if clauses.len() != specifiers.len() {
            clauses.clear();
        }
    }
    let span = if at.exact {
        let lead = s.len() - s.trim_start().len();
        at.span.sub(Span::new(lead, lead + t.len()))
    } else {
        at.span
    };
    Ok(VersionReq::Specifiers {
        specifiers,
        span: span.into(),
        clauses: clauses.into(),
    })
}

impl Ctx<'_> {
    /// A lock entry's `name` and `version` as a `Locked` requirement (`Unversioned` when the
    /// entry has no version: VCS, path and dynamic entries): its index and the entry's table.
    /// An entry that does not read is reported (and only then is anything reported).
    pub(crate) fn lock_package<'v, 'i>(
        &mut self,
        pkg: &'v Value<'i>,
        what: &str,
    ) -> Option<(usize, &'v Table<'i>)> {
        use crate::manifest::{Role, Syntax, VersionReq};
        let t = self.table(pkg, what)?;
        let Some(name_v) = get(t, "name") else {
            self.parse_error(span_of(pkg), format!("{what} has no `name`"));
            return None;
        };
        let name = self.string(name_v, "a locked package's `name`")?;
        let name_at = self.str_span(name_v, name);
        let pname = self.package_name(name, name_at.span)?;
        // The entry is located at its version value (what a reader looks for), else its name.
        let mut loc_span = name_at.span;
        let version = match get(t, "version") {
            None => VersionReq::Unversioned,
            Some(v) => {
                let s = self.string(v, "a locked package's `version`")?;
                let at = self.str_span(v, s);
                loc_span = at.span;
                match s.trim().parse::<pep440_rs::Version>() {
                    Ok(version) => VersionReq::Exact {
                        version,
                        span: at.span.into(),
                    },
                    Err(e) => {
                        self.parse_error(at.span, format!("invalid locked version `{s}`: {e}"));
                        return None;
                    }
                }
            }
        };
        let i = self.push(Requirement::new(crate::manifest::Draft {
            name: pname.into(),
            extras: Default::default(),
            version,
            marker: crate::markers::Marker::TRUE,
            role: Role::Locked,
            syntax: Syntax::Lock,
            at: (self.loc(loc_span)),
            name_at: name_at.span,
            hashed: false,
            pre: false,
            format: self.format,
        }));
        Some((i, t))
    }

    /// Every entry of a lockfile's array of package tables `root[key]` (`[[package]]`) that
    /// reads as a `Locked` requirement (see [`Ctx::lock_package`]), in file order: its
    /// requirement index and its table.
    pub(crate) fn lock_packages<'v, 'i>(
        &mut self,
        root: &'v Table<'i>,
        key: &str,
    ) -> Vec<(usize, &'v Table<'i>)> {
        let what = format!("`[[{key}]]`");
        let Some(arr) = get(root, key).and_then(|pkgs| self.array(pkgs, &what)) else {
            return Vec::new();
        };
        self.out.requirements.reserve(arr.len());
        arr.iter()
            .filter_map(|pkg| self.lock_package(pkg, &what))
            .collect()
    }

    /// Parse marker expression `text`, found at `at`; an invalid one is recorded as a
    /// problem and gives `None`.
    pub(crate) fn marker(&mut self, text: &str, at: Span) -> Option<MarkerTree> {
        let read = super::pep508::marker(text, at, self.file);
        self.recorded(read)
    }

    /// [`Ctx::marker`], for a requirement's own marker (not interned when it need not be,
    /// [`crate::markers::Marker`]).
    pub(crate) fn requirement_marker(&mut self, text: &str, at: Span) -> Option<Marker> {
        let read = super::pep508::requirement_marker(text, at, self.file);
        self.recorded(read)
    }

    /// The value, or None with its problem recorded.
    fn recorded<T>(&mut self, read: Result<T, Problem>) -> Option<T> {
        read.map_err(|p| self.out.problems.push(p)).ok()
    }

    /// AND a marker string value into requirement `i`.
    pub(crate) fn and_marker(&mut self, i: usize, v: &Value<'_>, what: &str) {
        let Some(s) = self.string(v, what) else {
            return;
        };
        let at = self.str_span(v, s);
        if let Some(m) = self.requirement_marker(s, at.span) {
            self.out.requirements[i].and_marker(m);
        }
    }

    /// The OR of several markers (one per fork, one per group): where any of them holds. An
    /// invalid one is reported and makes the result TRUE (where the entry applies is then
    /// unknown, so it is judged everywhere); with `first_error_only`, the markers after it
    /// are not read. No markers give FALSE.
    pub(crate) fn any_marker(
        &mut self,
        markers: &[(&str, StrSpan)],
        first_error_only: bool,
    ) -> MarkerTree {
        let mut any = MarkerTree::FALSE;
        for (s, at) in markers {
            match self.marker(s, at.span) {
                Some(m) => any.or(m),
                None => {
                    any = MarkerTree::TRUE;
                    if first_error_only {
                        break;
                    }
                }
            }
        }
        any
    }

    /// An array of strings as owned values; non-strings are reported and skipped.
    pub(crate) fn string_values(&mut self, value: &Value<'_>, what: &str) -> Vec<String> {
        self.strings(value, what)
            .into_iter()
            .map(|(s, _)| s.to_owned())
            .collect()
    }

    /// A top-level PEP 440 `requires-python` value.
    pub(crate) fn requires_python(&mut self, v: &Value<'_>, what: &str) {
        let Some(s) = self.string(v, what) else {
            return;
        };
        let at = self.str_span(v, s);
        match crate::versions::read_specifiers(s) {
            Ok(spec) => self.out.requires_python = Some((spec, self.loc(at.span))),
            Err(e) => self.parse_error(
                at.span,
                format!("invalid {what}: {}", crate::versions::specifiers_error(&e)),
            ),
        }
    }
}

/// Lockfile groups: `base` holds the packages of the default group, `base+<g>` the default
/// group plus group `g` (what `--with g` installs), `base[<x>]` the default group with extra
/// `x` on (the lock's markers say which packages `x` adds), and `all` every package with
/// every extra.
pub(crate) fn lock_groups(
    ctx: &mut Ctx<'_>,
    base: &str,
    membership: &[(usize, Vec<String>)],
    extras: &[ExtraName],
) {
    let mut names: Vec<String> = membership
        .iter()
        .flat_map(|(_, g)| g.iter().cloned())
        .collect();
    names.sort();
    names.dedup();
    // Each group's packages in lock order, from one pass over the membership (a scan per
    // group was quadratic in the number of groups: issue 15 §4). Positions, not package
    // indices, dedupe a group listed twice by one package.
    let mut positions: crate::hash::HashMap<&str, Vec<usize>> =
        crate::hash::HashMap::with_capacity_and_hasher(names.len(), Default::default());
    for (pos, (_, gs)) in membership.iter().enumerate() {
        for g in gs {
            let v = positions.entry(g.as_str()).or_default();
            if v.last() != Some(&pos) {
                v.push(pos);
            }
        }
    }
    let in_group = |g: &str| -> Vec<usize> {
        positions
            .get(g)
            .map(|v| v.iter().map(|&p| membership[p].0).collect())
            .unwrap_or_default()
    };
    let main = in_group(base);
    ctx.add_group(GroupKind::Base, base, main.clone(), Vec::new());
    for g in names.iter().filter(|g| *g != base) {
        let mut m = main.clone();
        m.extend(in_group(g));
        ctx.add_group(GroupKind::LockGroup, format!("{base}+{g}"), m, Vec::new());
    }
    for x in extras {
        ctx.add_group(
            GroupKind::Extra,
            format!("{base}[{x}]"),
            main.clone(),
            vec![x.clone()],
        );
    }
    ctx.add_group(
        GroupKind::LockAll,
        "all",
        membership.iter().map(|(i, _)| *i).collect(),
        extras.to_vec(),
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    thread_local! {
        /// Runs of [`too_deep`] on this thread.
        pub(super) static DEPTH_SCANS: std::cell::Cell<usize> = const { std::cell::Cell::new(0) };
    }

    type Reading = (Option<String>, Vec<String>);

    fn problems(ctx: &Ctx<'_>) -> Vec<String> {
        let show = |p: &Problem| format!("{:?} {}", p.loc.span, p.message);
        ctx.out.problems.iter().map(show).collect()
    }

    /// `text` read as a TOML format reads it (the tree and the problems), and how many depth
    /// scans that took.
    fn read(text: &str) -> (Reading, usize) {
        let before = DEPTH_SCANS.with(std::cell::Cell::get);
        let mut ctx = Ctx::new(text, 0, super::super::Format::Pyproject);
        let tree = ctx
            .parse_document()
            .map(|t| super::super::toml_tree::describe_ours(&t));
        let scans = DEPTH_SCANS.with(std::cell::Cell::get) - before;
        ((tree, problems(&ctx)), scans)
    }

    /// The reading as it was when the depth scan ran before anything else.
    fn read_scanning_first(text: &str) -> Reading {
        let mut ctx = Ctx::new(text, 0, super::super::Format::Pyproject);
        if let Some(at) = too_deep(text, MAX_NESTING) {
            ctx.parse_error(
                Span::new(at, (at + 1).min(text.len())),
                format!("TOML nested more than {MAX_NESTING} levels deep; not read"),
            );
            return (None, problems(&ctx));
        }
        match super::super::toml_tree::parse(text) {
            Ok(t) => (Some(super::super::toml_tree::describe_ours(&t)), Vec::new()),
            Err(e) => {
                let r = e.span().unwrap_or_default();
                let span = Span::new(r.start.min(text.len()), r.end.min(text.len()));
                ctx.parse_error(span, format!("invalid TOML: {}", e.message().trim()));
                (None, problems(&ctx))
            }
        }
    }

    /// The depth scan runs where it can refuse a text (more than [`MAX_NESTING`] opening
    /// brackets and braces), never on a plain pyproject.toml; and every reading is what it
    /// was when the scan ran first: the same trees, problems and spans, on the fixtures, the
    /// fuzz corpus and edge cases.
    #[test]
    fn the_depth_scan_runs_only_where_it_can_refuse() {
        let plain =
            "[project]\nname = \"p\"\ndependencies = [\n  \"numpy>=1.16\",  # [[[\n  'six',\n]\n";
        assert_eq!(read(plain).1, 0, "a plain document is not scanned");
        let deep = format!("a = {}1{}\n", "[".repeat(200), "]".repeat(200));
        let ((tree, problems), scans) = read(&deep);
        assert_eq!((tree, scans), (None, 1));
        assert!(problems[0].contains("nested more than 128"), "{problems:?}");
        // Valid TOML the scan refuses: each line leaves a bracket open to it.
        let quotes: String = (0..130)
            .map(|i| format!("a{i} = [\"\"\"x\"\"\"\"]\n"))
            .collect();
        assert!(super::super::toml_tree::parse(&quotes).is_ok());
        let ((tree, problems), scans) = read(&quotes);
        assert_eq!((tree, scans), (None, 1));
        assert!(problems[0].contains("nested more than 128"), "{problems:?}");
        let ((_, problems), scans) = read("a = [1,, 2]\n");
        assert_eq!(scans, 0, "128 brackets at most: never too deep");
        assert!(problems[0].contains("invalid TOML"), "{problems:?}");
        let at_limit = format!("a = {}1{}\n", "[".repeat(128), "]".repeat(128));
        assert_eq!(read(&at_limit).1, 0);

        let mut texts = vec![plain.to_owned(), deep, quotes.replace('"', "'"), quotes];
        texts.push(format!("a = {}", "{b = ".repeat(130)));
        texts.push(format!("a = {}1{}\n", "[".repeat(79), "]".repeat(79)));
        texts.push("a = \"\"\"\n[[[\"\"\"\nb = '''x'''''\n".to_owned());
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        let mut dirs = vec![root.join("fixtures"), root.join("fuzz/corpus")];
        while let Some(d) = dirs.pop() {
            for e in std::fs::read_dir(&d).into_iter().flatten().flatten() {
                let p = e.path();
                if p.is_dir() {
                    dirs.push(p);
                } else if let Ok(t) = std::fs::read_to_string(&p) {
                    texts.push(t);
                }
            }
        }
        assert!(texts.len() > 100, "{} texts", texts.len());
        for t in &texts {
            assert_eq!(read(t).0, read_scanning_first(t), "{t:?}");
        }
    }

    #[test]
    fn str_span_plain_and_escaped() {
        let text = r#"a = "numpy>=1.16"
b = 'x'
c = "caf\u00e9"
d = """
y"""
"#;
        let t = super::super::toml_tree::parse(text).unwrap();
        let t = &t;
        let a = get(t, "a").unwrap();
        let s = str_span(text, span_of(a), a.get_ref().as_str().unwrap());
        assert!(s.exact);
        assert_eq!(&text[s.span.start..s.span.end], "numpy>=1.16");
        let c = get(t, "c").unwrap();
        let s = str_span(text, span_of(c), c.get_ref().as_str().unwrap());
        assert!(!s.exact);
        assert_eq!(&text[s.span.start..s.span.end], r#""caf\u00e9""#);
        let d = get(t, "d").unwrap();
        let s = str_span(text, span_of(d), d.get_ref().as_str().unwrap());
        assert!(s.exact);
        assert_eq!(&text[s.span.start..s.span.end], "y");
    }

    #[test]
    fn depth_scan_ignores_strings_and_comments() {
        assert_eq!(too_deep("a = [[[1]]]", 3), None);
        assert_eq!(too_deep("a = [[[[1]]]]", 3), Some(7));
        assert_eq!(too_deep("a = \"[[[[[[\" # [[[[[[\nb = '[[[['", 1), None);
        assert_eq!(too_deep("a = \"\"\"\n[[[[\"\"\"\nb = [[1]]", 2), None);
    }
}
