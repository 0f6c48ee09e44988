//! Poetry's version-constraint syntax, translated into PEP 440 specifier sets exactly as
//! poetry-core 2.5 reads it (`poetry/core/constraints/version/parser.py` and
//! `patterns.py`), and Poetry dependency values (`numpy = "^1.16"`, inline tables, arrays
//! of tables) turned into requirements.
//!
//! poetry-core reads a constraint like this:
//! 1. `*` alone is "any version".
//! 2. The text is stripped and split into OR alternatives on `||` or `|` (with any
//!    whitespace around them).
//! 3. Each alternative loses trailing commas and whitespace, then is split into AND clauses
//!    on a comma or a space, except next to an operator, a hyphen, or another separator
//!    (the regex `(?<!^)(?<![\^~=>< ,]) *(?<!-)[, ](?!-) *(?!,|$)`).
//! 4. Each clause is one of: `*`/`x` wildcards, `~V` (tilde), `~=V`, `^V` (caret),
//!    `[==|!=]V.*` (x-range), or `[op]V[.*]` with op one of `<>`, `!=`, `>`, `>=`, `<`,
//!    `<=`, `=`, `==`, none; `V` is a PEP 440 version as `packaging.version.VERSION_PATTERN`
//!    matches it, or the word `dev`.
//!
//! Upper bounds that poetry-core canonicalises to `<V.dev0` are written `<V`: for a final
//! `V`, PEP 440's "`<V` MUST NOT allow a pre-release of the specified version" makes the
//! two the same set.

use std::str::FromStr;

use super::toml_tree::Item;
use pep440_rs::{Operator, Prerelease, Version, VersionSpecifier, VersionSpecifiers};
use pep508_rs::{ExtraName, MarkerTree};

use super::toml_doc::{entries, span_of, Ctx, Key, Value};
use crate::manifest::{Loc, ProblemKind, Requirement, Role, Syntax, VersionReq};
use crate::source::Span;

/// Most alternatives a constraint may expand to (ANDing clauses that are themselves unions
/// multiplies them); beyond this the constraint is refused rather than expanded.
const MAX_ALTERNATIVES: usize = 64;

/// Translate a Poetry constraint into PEP 440 specifier sets, OR'd together. An empty
/// specifier set means "any version".
pub fn translate(constraint: &str) -> Result<Vec<VersionSpecifiers>, String> {
    Ok(translate_spanned(constraint)?
        .iter()
        .map(Alternative::specifiers)
        .collect())
}

/// One OR alternative of a translated constraint.
#[derive(Clone, Debug, Default)]
pub struct Alternative {
    /// The specifiers as pep440_rs writes them, joined by `,`: a long AND chain
    /// (`!=1.0rc1 !=1.1rc1 ...`) held as pep440_rs's specifiers until the end was about 200
    /// bytes per clause alive at once (issue 15 §4); written out, it is the clause's few
    /// bytes, read back clause by clause into the held form ([`Alternative::held`]).
    written: String,
    /// How many specifiers `written` holds.
    len: usize,
    /// Byte ranges in the constraint text, one per specifier, when every AND clause of the
    /// alternative became exactly one specifier (empty otherwise).
    pub clauses: Vec<Span>,
}

impl Alternative {
    /// Add the specifiers of one AND clause.
    fn extend<'a>(&mut self, specs: impl IntoIterator<Item = &'a VersionSpecifier>) {
        for spec in specs {
            if self.len > 0 {
                self.written.push(',');
            }
            // Writing to a String does not fail.
            let _ = write_specifier(&mut self.written, spec);
            self.len += 1;
        }
    }

    /// Add one specifier already written as pep440_rs writes it ([`canonical_comparator`]).
    fn push_written(&mut self, spec: &str) {
        if self.len > 0 {
            self.written.push(',');
        }
        self.written.push_str(spec);
        self.len += 1;
    }

    /// How many specifiers the alternative has.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether the alternative has no specifier (any version).
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The specifiers as pep440_rs's list, sorted as it sorts them.
    pub fn specifiers(&self) -> VersionSpecifiers {
        VersionSpecifiers::from_str(&self.written)
            .expect("pep440_rs reads back the specifiers it wrote")
    }

    /// The specifiers as a requirement holds them, read clause by clause
    /// (`Specifiers::parse`): the same clauses, spelled the same, in the same order as
    /// [`Alternative::specifiers`].
    pub fn held(&self) -> crate::versions::Specifiers {
        crate::versions::Specifiers::parse(&self.written)
            .expect("pep440_rs reads back the specifiers it wrote")
    }
}

/// `spec` as pep440_rs writes it (its `Display`), without the few strings that writes
/// each version through: a long constraint writes one per clause.
fn write_specifier(out: &mut String, spec: &VersionSpecifier) -> std::fmt::Result {
    use std::fmt::Write;
    let v = spec.version();
    write!(out, "{}", spec.operator())?;
    if v.epoch() != 0 {
        write!(out, "{}!", v.epoch())?;
    }
    for (i, n) in v.release().iter().enumerate() {
        let dot = if i == 0 { "" } else { "." };
        write!(out, "{dot}{n}")?;
    }
    if let Some(pre) = v.pre() {
        write!(out, "{}{}", pre.kind, pre.number)?;
    }
    if let Some(post) = v.post() {
        write!(out, ".post{post}")?;
    }
    if let Some(dev) = v.dev() {
        write!(out, ".dev{dev}")?;
    }
    for (i, seg) in v.local().iter().enumerate() {
        let sep = if i == 0 { "+" } else { "." };
        write!(out, "{sep}{seg}")?;
    }
    if matches!(
        spec.operator(),
        Operator::EqualStar | Operator::NotEqualStar
    ) {
        out.push_str(".*");
    }
    Ok(())
}

/// [`translate`], keeping where each clause was in the constraint text.
pub fn translate_spanned(constraint: &str) -> Result<Vec<Alternative>, String> {
    let err = |what: &str| Err(format!("could not parse version constraint `{what}`"));
    if constraint == "*" {
        return Ok(vec![Alternative::default()]);
    }
    let trimmed = py_strip(constraint);
    let base = trimmed.as_ptr() as usize - constraint.as_ptr() as usize;
    let mut alternatives = Vec::new();
    for (or_start, or_piece) in split_or(trimmed) {
        // "allow trailing commas for robustness"
        let or_piece = py_rstrip(or_piece.trim_end_matches(','));
        let mut product: Vec<Alternative> = vec![Alternative::default()];
        let mut one_to_one = true;
        for (and_start, clause) in split_and(or_piece) {
            let span = Span::new(
                base + or_start + and_start,
                base + or_start + and_start + clause.len(),
            );
            // A comparator written as pep440_rs writes it (`!=1.2rc1`) is its own
            // translation: no version is built for it (an 8 MiB constraint of them spent a
            // quarter of its time parsing and writing back pep440_rs versions).
            if let Some(spec) = canonical_comparator(clause) {
                for a in &mut product {
                    a.push_written(spec);
                    a.clauses.push(span);
                }
                continue;
            }
            let Some(alts) = single(clause)? else {
                return err(clause);
            };
            if alts.len() != 1 || alts[0].len() != 1 {
                one_to_one = false;
            }
            // One alternative (the common case): extend every prefix in place. Cloning the
            // accumulated prefixes for each clause made a long AND chain quadratic (issue
            // 15 §4). Several alternatives multiply the product, which MAX_ALTERNATIVES
            // bounds, so the clones below happen for at most log2(MAX) clauses.
            if let [alt] = alts.as_slice() {
                for a in &mut product {
                    a.extend(alt);
                    a.clauses.push(span);
                }
                continue;
            }
            let mut next = Vec::with_capacity(product.len() * alts.len());
            for prefix in &product {
                for alt in &alts {
                    let mut a = prefix.clone();
                    a.extend(alt);
                    a.clauses.push(span);
                    next.push(a);
                }
            }
            if next.len() > MAX_ALTERNATIVES {
                return Err(format!(
                    "version constraint `{constraint}` expands to too many alternatives"
                ));
            }
            product = next;
        }
        for mut a in product {
            if !one_to_one {
                a.clauses.clear();
            }
            alternatives.push(a);
        }
        if alternatives.len() > MAX_ALTERNATIVES {
            return Err(format!(
                "version constraint `{constraint}` has too many alternatives"
            ));
        }
    }
    Ok(alternatives)
}

/// Python's `str.isspace()`, which `\s` and `str.strip()` follow.
fn py_space(c: char) -> bool {
    c.is_whitespace() || ('\x1c'..='\x1f').contains(&c)
}

fn py_strip(s: &str) -> &str {
    s.trim_matches(py_space)
}

fn py_rstrip(s: &str) -> &str {
    s.trim_end_matches(py_space)
}

/// `re.split(r"\s*\|\|?\s*", s)` with each piece's byte offset.
fn split_or(s: &str) -> Vec<(usize, &str)> {
    let mut out = Vec::new();
    let mut piece_start = 0;
    let mut from = 0;
    while let Some(k) = s[from..].find('|').map(|k| from + k) {
        let start = k - (s[..k].len() - s[..k].trim_end_matches(py_space).len());
        let mut end = k + 1;
        if s[end..].starts_with('|') {
            end += 1;
        }
        end += s[end..].len() - s[end..].trim_start_matches(py_space).len();
        // A separator cannot start before the previous one ended.
        let start = start.max(from);
        out.push((piece_start, &s[piece_start..start]));
        piece_start = end;
        from = end;
    }
    out.push((piece_start, &s[piece_start..]));
    out
}

/// `re.split(r"(?<!^)(?<![\^~=>< ,]) *(?<!-)[, ](?!-) *(?!,|$)", s)` with offsets.
fn split_and(s: &str) -> Vec<(usize, &str)> {
    let b = s.as_bytes();
    let spaces = |mut i: usize| {
        let start = i;
        while b.get(i) == Some(&b' ') {
            i += 1;
        }
        i - start
    };
    // `$` matches at the end and before a final newline.
    let at_dollar = |q: usize| q == b.len() || (q + 1 == b.len() && b[q] == b'\n');
    let find = |from: usize| -> Option<(usize, usize)> {
        for i in from.max(1)..b.len() {
            if b"^~=>< ,".contains(&b[i - 1]) {
                continue;
            }
            for n1 in (0..=spaces(i)).rev() {
                let pos = i + n1;
                if b[pos - 1] == b'-' || !matches!(b.get(pos), Some(b',' | b' ')) {
                    continue;
                }
                if b.get(pos + 1) == Some(&b'-') {
                    continue;
                }
                for n2 in (0..=spaces(pos + 1)).rev() {
                    let q = pos + 1 + n2;
                    if at_dollar(q) || b.get(q) == Some(&b',') {
                        continue;
                    }
                    return Some((i, q));
                }
            }
        }
        None
    };
    let mut out = Vec::new();
    let mut piece_start = 0;
    let mut from = 0;
    while let Some((start, end)) = find(from) {
        out.push((piece_start, &s[piece_start..start]));
        piece_start = end;
        from = end;
    }
    out.push((piece_start, &s[piece_start..]));
    out
}

/// Alternatives (OR) of AND-sets for one clause; `Ok(None)` when no pattern matches.
type Alts = Vec<Vec<VersionSpecifier>>;

/// `clause` when it is a basic comparator (`==`, `!=`, `<`, `<=`, `>`, `>=`) on a version
/// written exactly as pep440_rs writes it back, so that [`single`] would translate it into
/// one specifier whose text ([`write_specifier`]) is `clause` itself: no space, no `v`, no
/// wildcard; epoch and release numbers without leading zeros (no `0!` epoch); then `aN`,
/// `bN` or `rcN`, `.postN`, `.devN`, each with its number, in that order; a local label of
/// lower-case letters and digits (a segment of digits without a leading zero) only on `==`
/// and `!=`, which alone take one. None for anything else, which [`single`] reads: `=`,
/// `<>` and no operator (they mean `==`), and every spelling pep440_rs normalises.
fn canonical_comparator(clause: &str) -> Option<&str> {
    let (op_len, local_ok) = match clause.as_bytes() {
        [b'<', b'>', ..] => return None,
        [b'=' | b'!', b'=', ..] => (2, true),
        [b'<' | b'>', b'=', ..] => (2, false),
        [b'<' | b'>', ..] => (1, false),
        _ => return None,
    };
    let mut rest = &clause.as_bytes()[op_len..];
    // A number without a leading zero, below 2^64 (pep440_rs's numbers), taken off `rest`.
    let number = |rest: &mut &[u8]| crate::versions::canonical_number(rest).is_some();
    let tag = |rest: &mut &[u8], tag: &[u8]| match rest.strip_prefix(tag) {
        Some(after) => {
            *rest = after;
            true
        }
        None => false,
    };
    if !number(&mut rest) {
        return None;
    }
    if tag(&mut rest, b"!") && (clause.as_bytes()[op_len] == b'0' || !number(&mut rest)) {
        return None;
    }
    // The release goes on while a dot comes before a digit (`.post` and `.dev` end it).
    while rest.first() == Some(&b'.') && rest.get(1).is_some_and(u8::is_ascii_digit) {
        rest = &rest[1..];
        if !number(&mut rest) {
            return None;
        }
    }
    if (tag(&mut rest, b"a") || tag(&mut rest, b"b") || tag(&mut rest, b"rc")) && !number(&mut rest)
    {
        return None;
    }
    for suffix in [&b".post"[..], b".dev"] {
        if tag(&mut rest, suffix) && !number(&mut rest) {
            return None;
        }
    }
    if tag(&mut rest, b"+") {
        if !local_ok {
            return None;
        }
        for segment in rest.split(|&b| b == b'.') {
            let digits = segment.iter().all(u8::is_ascii_digit);
            let canonical = !segment.is_empty()
                && segment
                    .iter()
                    .all(|b| b.is_ascii_digit() || b.is_ascii_lowercase())
                && !(digits && (segment.len() > 19 || (segment.len() > 1 && segment[0] == b'0')));
            if !canonical {
                return None;
            }
        }
        rest = &[];
    }
    rest.is_empty().then_some(clause)
}

fn single(clause: &str) -> Result<Option<Alts>, String> {
    // Every pattern is anchored with `$`, which also matches before a final newline.
    let c = clause.strip_suffix('\n').unwrap_or(clause);
    let any = || Ok(Some(vec![Vec::new()]));

    // `(?i)^v?[xX*](\.[xX*])*$`
    {
        let rest = c.strip_prefix(['v', 'V']).unwrap_or(c);
        if !rest.is_empty() && rest.split('.').all(|p| matches!(p, "x" | "X" | "*")) {
            return any();
        }
    }

    // Tilde `~V` (not `~=`): `>=V,<V.stable.next_minor()` (`next_major()` for `~1`).
    if let Some(rest) = c.strip_prefix('~').filter(|r| !r.starts_with('=')) {
        let Some(v) = full_version(rest.trim_start_matches(py_space))? else {
            return Ok(None);
        };
        let s = stable(&v);
        let high = if v.release().len() == 1 {
            next_major(&s)
        } else {
            next_minor(&s)
        };
        return range(v, high).map(Some);
    }
    // PEP 440 tilde `~=V`: bump the second-to-last release segment, zero the last.
    if let Some(rest) = c.strip_prefix("~=") {
        let Some(v) = full_version(rest.trim_start_matches(py_space))? else {
            return Ok(None);
        };
        let s = stable(&v);
        let mut parts = s.release().to_vec();
        let high = if parts.len() < 2 {
            next_major(&s)
        } else {
            let n = parts.len();
            parts[n - 2] = parts[n - 2].saturating_add(1);
            parts[n - 1] = 0;
            Version::new(parts).with_epoch(s.epoch())
        };
        return range(v, high).map(Some);
    }
    // Caret `^V`: up to the next version that changes the left-most non-zero segment.
    if let Some(rest) = c.strip_prefix('^') {
        let Some(v) = full_version(rest.trim_start_matches(py_space))? else {
            return Ok(None);
        };
        let high = next_breaking(&v);
        return range(v, high).map(Some);
    }
    // X-range `[==|!=]\s*v?N(.N)?(.N)?(.*)+`.
    if let Some((negate, release)) = x_range(c) {
        let v = Version::new(release);
        let spec = if negate {
            VersionSpecifier::not_equals_star_version(v)
        } else {
            VersionSpecifier::equals_star_version(v)
        };
        return Ok(Some(vec![vec![spec]]));
    }
    // Basic comparator `(<>|!=|>=?|<=?|==?)?\s*(VERSION|dev)(\.\*)?`.
    let (op, rest) = ["<>", "!=", ">=", ">", "<=", "<", "==", "="]
        .into_iter()
        .find_map(|op| c.strip_prefix(op).map(|r| (op, r)))
        .unwrap_or(("", c));
    let rest = rest.trim_start_matches(py_space);
    // The version pattern is possessive: it may swallow the `.` of a following `.*`
    // (`1alpha.*`), after which the clause no longer matches, as in poetry-core.
    let (vtext, wildcard) = match version_len(rest.as_bytes()) {
        Some(n) if n == rest.len() => (rest, false),
        Some(n) if &rest[n..] == ".*" => (&rest[..n], true),
        _ if rest.eq_ignore_ascii_case("dev") => (rest, false),
        _ if rest.len() == 5
            && rest.get(..3).is_some_and(|d| d.eq_ignore_ascii_case("dev"))
            && rest.ends_with(".*") =>
        {
            (&rest[..3], true)
        }
        _ => return Ok(None),
    };
    let v = if vtext.eq_ignore_ascii_case("dev") {
        // poetry-core reads `dev` as `0.0-dev`.
        Version::new([0, 0]).with_dev(Some(0))
    } else {
        match full_version(vtext)? {
            Some(v) => v,
            None => return Ok(None),
        }
    };
    let build = |op: Operator, v: Version| {
        VersionSpecifier::from_version(op, v).map_err(|e| format!("`{clause}`: {e}"))
    };
    Ok(Some(match op {
        "<" => vec![vec![build(Operator::LessThan, v)?]],
        "<=" => vec![vec![build(Operator::LessThanEqual, v)?]],
        ">" => vec![vec![build(Operator::GreaterThan, v)?]],
        ">=" => vec![vec![build(Operator::GreaterThanEqual, v)?]],
        _ if wildcard => x_range_of(&v, op == "!=")?,
        "!=" => vec![vec![build(Operator::NotEqual, v)?]],
        // `==`, `=`, `<>` and no operator all mean the exact version in poetry-core (it
        // only special-cases `<`, `<=`, `>`, `>=` and `!=`).
        _ => vec![vec![build(Operator::Equal, v)?]],
    }))
}

/// `>=low,<high`.
fn range(low: Version, high: Version) -> Result<Alts, String> {
    let lo = VersionSpecifier::from_version(Operator::GreaterThanEqual, low)
        .map_err(|e| e.to_string())?;
    let hi = VersionSpecifier::less_than_version(high);
    Ok(vec![vec![lo, hi]])
}

/// poetry-core's `_make_x_constraint_range` for a version that is not a plain release:
/// `[V.first_devrelease(), next.first_devrelease())`, inverted for `!=`.
fn x_range_of(v: &Version, negate: bool) -> Result<Alts, String> {
    if !v.is_pre() && !v.is_post() && !v.is_dev() && !v.is_local() {
        let spec = if negate {
            VersionSpecifier::not_equals_star_version(v.clone())
        } else {
            VersionSpecifier::equals_star_version(v.clone())
        };
        return Ok(vec![vec![spec]]);
    }
    let next = if let Some(post) = v.post() {
        let post = if v.dev().is_none() {
            post.saturating_add(1)
        } else {
            post
        };
        Version::new(v.release().iter().copied())
            .with_epoch(v.epoch())
            .with_pre(v.pre())
            .with_post(Some(post))
    } else if !v.is_pre() && !v.is_dev() {
        Version::new(next_release(v.release())).with_epoch(v.epoch())
    } else if let Some(pre) = v.pre() {
        let pre = if v.dev().is_none() {
            Prerelease {
                kind: pre.kind,
                number: pre.number.saturating_add(1),
            }
        } else {
            pre
        };
        Version::new(v.release().iter().copied())
            .with_epoch(v.epoch())
            .with_pre(Some(pre))
    } else {
        // A dev release (no pre, no post).
        let dev = v.dev().unwrap_or(0).saturating_add(1);
        Version::new(v.release().iter().copied())
            .with_epoch(v.epoch())
            .with_dev(Some(dev))
    };
    let low = first_devrelease(v);
    let high = if next.is_dev() {
        next
    } else {
        first_devrelease(&next)
    };
    if negate {
        Ok(vec![
            vec![VersionSpecifier::less_than_version(low)],
            vec![VersionSpecifier::greater_than_equal_version(high)],
        ])
    } else {
        Ok(vec![vec![
            VersionSpecifier::greater_than_equal_version(low),
            VersionSpecifier::less_than_version(high),
        ]])
    }
}

fn first_devrelease(v: &Version) -> Version {
    Version::new(v.release().iter().copied())
        .with_epoch(v.epoch())
        .with_pre(v.pre())
        .with_post(v.post())
        .with_dev(Some(0))
}

/// `X_CONSTRAINT`: `^(?P<op>!=|==)?\s*v?(\d+)(?:\.(\d+))?(?:\.(\d+))?(?:\.\*)+$`.
fn x_range(c: &str) -> Option<(bool, Vec<u64>)> {
    let (negate, rest) = if let Some(r) = c.strip_prefix("!=") {
        (true, r)
    } else {
        (false, c.strip_prefix("==").unwrap_or(c))
    };
    let rest = rest.trim_start_matches(py_space);
    let rest = rest.strip_prefix('v').unwrap_or(rest);
    let mut parts = Vec::new();
    let mut it = rest.split('.').peekable();
    while let Some(p) = it.peek() {
        if !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()) && parts.len() < 3 {
            parts.push(p.parse::<u64>().ok()?);
            it.next();
        } else {
            break;
        }
    }
    let mut stars = 0;
    for p in it {
        if p != "*" {
            return None;
        }
        stars += 1;
    }
    (!parts.is_empty() && stars > 0).then_some((negate, parts))
}

/// The whole of `s` as a PEP 440 version, when `VERSION_PATTERN` matches all of it.
fn full_version(s: &str) -> Result<Option<Version>, String> {
    if version_len(s.as_bytes()) != Some(s.len()) {
        return Ok(None);
    }
    let t = s.strip_prefix(['v', 'V']).unwrap_or(s);
    t.parse::<Version>()
        .map(Some)
        .map_err(|e| format!("invalid version `{s}`: {e}"))
}

/// Length of the longest prefix of `s` matched by packaging's `VERSION_PATTERN` (with its
/// possessive quantifiers, as Python 3.11.5+ compiles it), case-insensitively.
fn version_len(s: &[u8]) -> Option<usize> {
    let digits = |i: usize| {
        s.get(i..)
            .map_or(0, |r| r.iter().take_while(|b| b.is_ascii_digit()).count())
    };
    let sep = |i: usize| matches!(s.get(i), Some(b'.' | b'_' | b'-'));
    let label = |i: usize, labels: &[&str]| -> Option<usize> {
        labels.iter().find_map(|l| {
            let end = i + l.len();
            s.get(i..end)
                .filter(|w| w.eq_ignore_ascii_case(l.as_bytes()))
                .map(|_| l.len())
        })
    };
    let mut i = 0;
    if matches!(s.first(), Some(b'v' | b'V')) {
        i = 1;
    }
    let d = digits(i);
    if d > 0 && s.get(i + d) == Some(&b'!') {
        i += d + 1;
    }
    let d = digits(i);
    if d == 0 {
        return None;
    }
    i += d;
    while s.get(i) == Some(&b'.') && digits(i + 1) > 0 {
        i += 1 + digits(i + 1);
    }
    // pre-release
    {
        let mut j = i + usize::from(sep(i));
        if let Some(l) = label(j, &["alpha", "a", "beta", "b", "preview", "pre", "c", "rc"]) {
            j += l;
            j += usize::from(sep(j));
            j += digits(j);
            i = j;
        }
    }
    // post-release: `-N` or `[._-]?(post|rev|r)[._-]?N?`
    if s.get(i) == Some(&b'-') && digits(i + 1) > 0 {
        i += 1 + digits(i + 1);
    } else {
        let mut j = i + usize::from(sep(i));
        if let Some(l) = label(j, &["post", "rev", "r"]) {
            j += l;
            j += usize::from(sep(j));
            j += digits(j);
            i = j;
        }
    }
    // dev-release
    {
        let mut j = i + usize::from(sep(i));
        if let Some(l) = label(j, &["dev"]) {
            j += l;
            j += usize::from(sep(j));
            j += digits(j);
            i = j;
        }
    }
    // local
    if s.get(i) == Some(&b'+') {
        let alnum = |k: usize| {
            s.get(k..).map_or(0, |r| {
                r.iter().take_while(|b| b.is_ascii_alphanumeric()).count()
            })
        };
        let n = alnum(i + 1);
        if n > 0 {
            let mut j = i + 1 + n;
            while sep(j) && alnum(j + 1) > 0 {
                j += 1 + alnum(j + 1);
            }
            i = j;
        }
    }
    Some(i)
}

/// poetry-core's `Version.stable`: the version without pre/dev parts (a pre-release also
/// loses its post part); a final or post release is its own stable version.
fn stable(v: &Version) -> Version {
    if !v.is_pre() && !v.is_dev() {
        return v.clone();
    }
    let post = if v.is_pre() { None } else { v.post() };
    Version::new(v.release().iter().copied())
        .with_epoch(v.epoch())
        .with_post(post)
}

fn bump(v: &Version, release: Vec<u64>) -> Version {
    Version::new(release).with_epoch(v.epoch())
}

/// `Release.next_major()`: major+1, other present segments zeroed.
fn next_major(v: &Version) -> Version {
    let r = v.release();
    let mut n = vec![0; r.len().max(1)];
    n[0] = r.first().copied().unwrap_or(0).saturating_add(1);
    bump(v, n)
}

/// `Release.next_minor()`: minor+1 (added as 1 when absent), later segments zeroed.
fn next_minor(v: &Version) -> Version {
    let r = v.release();
    let mut n = vec![0; r.len().max(2)];
    n[0] = r.first().copied().unwrap_or(0);
    n[1] = r.get(1).copied().unwrap_or(0).saturating_add(1);
    bump(v, n)
}

/// `Release.next_patch()`: patch+1 (missing minor becomes 0), later segments zeroed.
fn next_patch(v: &Version) -> Version {
    let r = v.release();
    let mut n = vec![0; r.len().max(3)];
    n[0] = r.first().copied().unwrap_or(0);
    n[1] = r.get(1).copied().unwrap_or(0);
    n[2] = r.get(2).copied().unwrap_or(0).saturating_add(1);
    bump(v, n)
}

/// `Release.next()`: bump the last segment.
fn next_release(r: &[u64]) -> Vec<u64> {
    let mut n = r.to_vec();
    if let Some(last) = n.last_mut() {
        *last = last.saturating_add(1);
    }
    n
}

/// `Version.next_breaking()`: `^1.2.3` -> 2.0.0, `^0.2.3` -> 0.3.0, `^0.0.3` -> 0.0.4,
/// `^0` -> 1, `^0.0` -> 0.1.
fn next_breaking(v: &Version) -> Version {
    let r = v.release();
    let major = r.first().copied().unwrap_or(0);
    let s = stable(v);
    if major > 0 || r.len() < 2 {
        return next_major(&s);
    }
    if r[1] > 0 || r.len() < 3 {
        return next_minor(&s);
    }
    next_patch(&s)
}

/// A PEP 508 marker expression equivalent to a Poetry `python = "..."` constraint.
pub(crate) fn python_marker(alternatives: &[VersionSpecifiers]) -> Result<MarkerTree, String> {
    let mut ors = Vec::new();
    for alt in alternatives {
        if alt.is_empty() {
            return Ok(MarkerTree::TRUE);
        }
        let ands: Vec<String> = alt
            .iter()
            .map(|spec| {
                let text = spec.to_string();
                let op_len = text.find(|c: char| c.is_ascii_digit()).unwrap_or(0);
                format!(
                    "python_full_version {} '{}'",
                    &text[..op_len],
                    &text[op_len..]
                )
            })
            .collect();
        ors.push(format!("({})", ands.join(" and ")));
    }
    if ors.is_empty() {
        return Ok(MarkerTree::FALSE);
    }
    let text = ors.join(" or ");
    super::guard::parse_marker(&text).map_err(|e| format!("`{text}`: {}", e.message))
}

/// A Poetry Python constraint (`python = "^3.7"`, `python-versions = ">=3.6,<4"`) at `at`
/// as the project's Python range. A union (`~2.7 || ^3.5`) does not narrow it (a note).
///
/// The clauses are read back from the alternative's text one at a time
/// ([`Alternative::held`]), as a dependency's are: pep440_rs's list of an 8 MiB
/// `python = "!=3.0rc1,…"` was about 200 bytes a clause, held whole (172 MB peak RSS).
pub(crate) fn requires_python(ctx: &mut Ctx<'_>, s: &str, at: Span) {
    match translate_spanned(s).as_deref() {
        Ok([alt]) => {
            ctx.out.requires_python = Some((std::sync::Arc::new(alt.held()), ctx.loc(at)));
        }
        Ok(_) => ctx.problem(
            ProblemKind::Note,
            at,
            format!("Python constraint `{s}` is a union; every Python version is considered"),
        ),
        Err(e) => ctx.parse_error(at, e.clone()),
    }
}

/// The VersionReq for a constraint at `span` (`exact`: offsets inside map 1:1).
pub(crate) fn version_req(constraint: &str, span: Span, exact: bool) -> Result<VersionReq, String> {
    let alts = translate_spanned(constraint)?;
    if alts.len() == 1 {
        let a = alts.into_iter().next().unwrap_or_default();
        if a.is_empty() {
            return Ok(VersionReq::Any);
        }
        let clauses = if exact && a.clauses.len() == a.len() {
            a.clauses.iter().map(|&c| span.sub(c)).collect()
        } else {
            Vec::new()
        };
        return Ok(VersionReq::Specifiers {
            specifiers: std::sync::Arc::new(a.held()),
            span: span.into(),
            clauses: clauses.into(),
        });
    }
    Ok(VersionReq::AnyOf {
        alternatives: alts.iter().map(|a| std::sync::Arc::new(a.held())).collect(),
        span: span.into(),
    })
}

/// A Poetry dependency entry `name = <value>`: its requirements (several for the
/// multiple-constraints form), each with whether it is `optional = true`.
/// The keys of a Poetry dependency table that restrict where it applies; a dependency
/// inserted beside one copies them.
const RESTRICTIONS: [&str; 3] = ["python", "markers", "platform"];

pub(crate) fn dependency(
    ctx: &mut Ctx<'_>,
    key: &Key<'_>,
    value: &Value<'_>,
    siblings: &std::sync::Arc<[String]>,
) -> Vec<(Requirement, bool)> {
    let parse_errors = |ctx: &Ctx<'_>| {
        ctx.out
            .problems
            .iter()
            .filter(|p| p.kind == crate::manifest::ProblemKind::Parse)
            .count()
    };
    let before = parse_errors(ctx);
    let mut out = dependency_reqs(ctx, key, value);
    // An entry whose value does not parse stands in for its package (`formats::stand_in`).
    if out.is_empty() && parse_errors(ctx) > before {
        if let Ok(name) = pep508_rs::PackageName::new(key.get_ref().to_string()) {
            let loc = ctx.loc(span_of(key).cover(span_of(value)));
            return vec![(super::stand_in(name, loc, ctx.format), false)];
        }
    }
    for (r, item) in &mut out {
        let item = item.unwrap_or(value);
        r.0.set_anchors(ctx.entry_anchors(key, value, item, &r.0.version, &RESTRICTIONS, siblings));
    }
    out.into_iter().map(|(r, _)| r).collect()
}

/// The requirements of one entry, each with the table of a list it came from.
#[allow(clippy::type_complexity)]
fn dependency_reqs<'v, 'i>(
    ctx: &mut Ctx<'_>,
    key: &Key<'_>,
    value: &'v Value<'i>,
) -> Vec<((Requirement, bool), Option<&'v Value<'i>>)> {
    let name_span = ctx.key_span(key);
    let Some(name) = ctx.package_name(key.get_ref(), name_span) else {
        return Vec::new();
    };
    let whole = span_of(key).cover(span_of(value));
    let base = Requirement::new(crate::manifest::Draft {
        name: name.into(),
        extras: Default::default(),
        version: VersionReq::Any,
        marker: crate::markers::Marker::TRUE,
        role: Role::Require,
        syntax: Syntax::Poetry,
        at: Loc {
            file: ctx.file,
            span: whole,
        },
        name_at: name_span,
        hashed: false,
        pre: false,
        format: ctx.format,
    });
    match value.get_ref() {
        Item::String(s) => {
            let at = ctx.str_span(value, s);
            match version_req(s, at.span, at.exact) {
                Ok(version) => {
                    let mut r = base;
                    r.version = version;
                    vec![((r, false), None)]
                }
                Err(e) => {
                    ctx.parse_error(at.span, e);
                    Vec::new()
                }
            }
        }
        Item::Table(_) => table_dependency(ctx, value, base)
            .into_iter()
            .map(|r| (r, None))
            .collect(),
        Item::Array(items) => {
            let mut out = Vec::new();
            for item in items.iter() {
                let mut b = base.clone();
                b.set_loc(Loc {
                    span: span_of(item),
                    ..b.loc()
                });
                if let Item::Table(_) = item.get_ref() {
                    out.extend(table_dependency(ctx, item, b).map(|r| (r, Some(item))));
                } else {
                    let _ = ctx.table(item, "a Poetry multiple-constraints entry");
                }
            }
            out
        }
        _ => {
            let _ = ctx.string(value, "a Poetry dependency");
            Vec::new()
        }
    }
}

fn table_dependency(
    ctx: &mut Ctx<'_>,
    value: &Value<'_>,
    mut req: Requirement,
) -> Option<(Requirement, bool)> {
    let Item::Table(t) = value.get_ref() else {
        return None;
    };
    let mut optional = false;
    let mut direct = false;
    let mut version = None;
    for (k, v) in entries(t) {
        match k.get_ref().as_ref() {
            "version" => {
                if let Some(s) = ctx.string(v, "`version`") {
                    let at = ctx.str_span(v, s);
                    match version_req(s, at.span, at.exact) {
                        Ok(r) => version = Some(r),
                        Err(e) => {
                            ctx.parse_error(at.span, e);
                            return None;
                        }
                    }
                }
            }
            "markers" => {
                if let Some(s) = ctx.string(v, "`markers`") {
                    let at = ctx.str_span(v, s);
                    req.and_marker(ctx.requirement_marker(s, at.span)?);
                }
            }
            "python" => {
                if let Some(s) = ctx.string(v, "`python`") {
                    let at = ctx.str_span(v, s);
                    match translate(s).and_then(|a| python_marker(&a)) {
                        Ok(m) => req.and_marker(m),
                        Err(e) => {
                            ctx.parse_error(at.span, e);
                            return None;
                        }
                    }
                }
            }
            "platform" => {
                if let Some(s) = ctx.string(v, "`platform`") {
                    let at = ctx.str_span(v, s);
                    let text = format!("sys_platform == '{}'", s.replace('\'', ""));
                    if let Some(m) = ctx.requirement_marker(&text, at.span) {
                        req.and_marker(m);
                    }
                }
            }
            "extras" => {
                let extras: Vec<ExtraName> = ctx.extra_names(v, "`extras`");
                req.set_extras(extras.into());
            }
            "optional" => optional = ctx.bool(v, "`optional`").unwrap_or(false),
            "allow-prereleases" | "allows-prereleases" => {
                req.pre = ctx.bool(v, "`allow-prereleases`").unwrap_or(false)
            }
            "git" | "path" | "url" | "file" => direct = true,
            _ => {}
        }
    }
    req.version = if direct {
        VersionReq::Unversioned
    } else {
        version.unwrap_or(VersionReq::Any)
    };
    Some((req, optional))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(c: &str) -> Vec<String> {
        translate(c)
            .unwrap()
            .iter()
            .map(|s| s.to_string())
            .collect()
    }

    /// [`single`]'s translation of `clause` written as one alternative's text, when it is
    /// exactly one specifier.
    fn slow(clause: &str) -> Option<String> {
        match single(clause) {
            Ok(Some(alts)) => match alts.as_slice() {
                [specs] if specs.len() == 1 => {
                    let mut out = String::new();
                    write_specifier(&mut out, &specs[0]).ok()?;
                    Some(out)
                }
                _ => None,
            },
            _ => None,
        }
    }

    #[test]
    fn canonical_comparators_are_their_own_translation() {
        for clause in [
            "!=1.2rc1",
            "==1.0+a.1",
            ">=1!1.0",
            "!=1.0.post1.dev0",
            "<2",
            ">0.0.0.0.1b2",
            "<=3.7.dev3",
            "!=1.0+0.10.abc",
        ] {
            assert_eq!(canonical_comparator(clause), Some(clause), "{clause}");
            assert_eq!(slow(clause).as_deref(), Some(clause), "{clause}");
        }
        // Spellings pep440_rs writes otherwise, operators that mean another one, and labels
        // an ordered comparison does not take: left to `single`.
        for clause in [
            "!=1.2RC1",
            "=1.0",
            "<>1.0",
            "1.0",
            "<1.0+a",
            "!=1.0+A",
            ">=0!1.0",
            "!=01.0",
            "!=1.0a",
            "!=1.0.post",
            "!=v1.0",
            "!= 1.0",
            "==1.*",
            "===1.0",
            "!=1.0-1",
            "!=1.0c1",
            "!=1.0+01",
            "!=1.0+",
            "!=1.",
            "~=1.0",
            "!=1.0\n",
            ">=dev",
            "!=1.0.dev1.post1",
            "!=1.0alpha1",
        ] {
            assert_eq!(canonical_comparator(clause), None, "{clause}");
        }
    }

    /// Generated clauses, spelled canonically or not: whatever the fast path takes, `single`
    /// translates into that same text.
    #[test]
    fn the_fast_path_takes_only_what_single_writes_back_the_same() {
        let mut rng = crate::versions::lcg::Lcg(7);
        let mut taken = 0;
        let n = 20_000;
        for _ in 0..n {
            // Half the clauses from canonical pieces only, half from any.
            let any = rng.next() % 2 == 0;
            let pick = |rng: &mut crate::versions::lcg::Lcg, good: &[&str], bad: &[&str]| {
                if any && rng.next() % 2 == 0 {
                    rng.pick(bad).to_owned()
                } else {
                    rng.pick(good).to_owned()
                }
            };
            let mut c = pick(
                &mut rng,
                &["==", "!=", "<", "<=", ">", ">="],
                &["=", "<>", "", "~="],
            );
            if rng.next() % 4 == 0 {
                c += &pick(&mut rng, &["1!", "12!"], &["0!", "01!"]);
            }
            c += &pick(
                &mut rng,
                &["0", "1", "10"],
                &["01", "007", "18446744073709551615"],
            );
            for _ in 0..rng.next() % 4 {
                c += &pick(&mut rng, &[".0", ".2", ".30"], &[".04", "."]);
            }
            c += &pick(
                &mut rng,
                &["", "", "a1", "b0", "rc2"],
                &["RC1", "c3", "a", "alpha1", "-rc1", "a01"],
            );
            c += &pick(
                &mut rng,
                &["", "", ".post1"],
                &[".post", "-1", ".POST2", "post3", ".post01"],
            );
            c += &pick(&mut rng, &["", "", ".dev0", ".dev12"], &[".dev", "dev1"]);
            c += &pick(
                &mut rng,
                &["", "", "", "+a", "+a.1", "+0", "+1a.b2"],
                &["+01", "+A", "+x_y", "+"],
            );
            if let Some(spec) = canonical_comparator(&c) {
                taken += 1;
                assert_eq!(slow(&c).as_deref(), Some(spec), "`{c}`");
            }
        }
        // The generator reaches both sides.
        eprintln!("{taken} of {n} taken");
        assert!(taken > n / 20 && taken < n / 2, "{taken} of {n} taken");
    }

    /// Fuzz find: a five-byte clause with a multi-byte character sliced at byte 3.
    #[test]
    fn multibyte_clause_is_an_error_not_a_panic() {
        assert!(translate("3.\u{e8}8").is_err());
        assert!(translate("d\u{e8}v*").is_err());
    }

    #[test]
    fn caret_tilde_and_friends() {
        assert_eq!(t("^1.14"), [">=1.14, <2.0"]);
        assert_eq!(t("^1.2.3"), [">=1.2.3, <2.0.0"]);
        assert_eq!(t("^0.2.3"), [">=0.2.3, <0.3.0"]);
        assert_eq!(t("^0.0.3"), [">=0.0.3, <0.0.4"]);
        assert_eq!(t("^0"), [">=0, <1"]);
        assert_eq!(t("^0.0"), [">=0.0, <0.1"]);
        assert_eq!(t("~1"), [">=1, <2"]);
        assert_eq!(t("~1.16"), [">=1.16, <1.17"]);
        assert_eq!(t("~1.2.3"), [">=1.2.3, <1.3.0"]);
        assert_eq!(t("~=1.4.5"), [">=1.4.5, <1.5.0"]);
        assert_eq!(t("~=1"), [">=1, <2"]);
        assert_eq!(t("1.14.*"), ["==1.14.*"]);
        assert_eq!(t("!=1.14.*"), ["!=1.14.*"]);
        assert_eq!(t("*"), [""]);
        assert_eq!(t("1.14.0"), ["==1.14.0"]);
        assert_eq!(t(">= 1.2, < 2"), [">=1.2, <2"]);
        assert_eq!(t(">=1.2 <2"), [">=1.2, <2"]);
        assert_eq!(t("^1.2 || ^2.0"), [">=1.2, <2.0", ">=2.0, <3.0"]);
        assert_eq!(t(">=1.0|<0.5"), [">=1.0", "<0.5"]);
        assert_eq!(t("^1.0.0rc1"), [">=1.0.0rc1, <2.0.0"]);
        assert!(translate("^").is_err());
        assert!(translate("1.0 - 2.0").is_err());
        assert!(translate("abc").is_err());
    }

    #[test]
    fn clause_spans() {
        let a = translate_spanned(" >=1.2, <2 || 3.0").unwrap();
        assert_eq!(a[0].clauses, [Span::new(1, 6), Span::new(8, 10)]);
        assert_eq!(a[1].clauses, [Span::new(14, 17)]);
        let a = translate_spanned("^1.2").unwrap();
        assert!(a[0].clauses.is_empty());
    }

    #[test]
    fn python_markers() {
        let m = python_marker(&translate("^3.6").unwrap()).unwrap();
        assert!(!m.is_true() && !m.is_false());
        assert!(python_marker(&translate("*").unwrap()).unwrap().is_true());
        assert!(python_marker(&translate("~2.7 || ^3.5").unwrap()).is_ok());
    }
}
