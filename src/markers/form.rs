//! A requirement's marker ([`Marker`]): either a pep508_rs [`MarkerTree`] or a compact form
//! of our own ([`Expr`]: and / or over single comparisons) that is never interned.
//!
//! pep508_rs 0.9.2 keeps every marker it builds in a process-global interner (decision
//! diagram nodes, about 1.5 KB per distinct marker, never freed): 257k lines
//! `numpy; platform_release == "N"` with distinct N held 560 MB (issue 15 §4). A marker
//! after a requirement's `;` is read here first ([`parse`]); only what this module is not
//! sure about goes to pep508_rs.
//!
//! The own form is kept only where its answers are exactly the diagram's:
//! - each comparison is parsed by pep508_rs itself (`MarkerExpression::from_str`, which does
//!   not intern), so its meaning and normalisation are pep508_rs's; the and / or / parentheses
//!   around them follow pep508_rs's grammar token for token, and anything else (an error,
//!   non-ASCII text, a construct not listed) is left to pep508_rs, which then reports exactly
//!   what it reports today;
//! - it is *read-once*: no two comparisons share a variable of the diagram, and none is
//!   constant. Then the marker is never constant (`is_true` is false), evaluation with
//!   three-valued logic is exact (an unknown comparison can go either way independently of the
//!   others), and questions between markers on disjoint variables have a fixed answer;
//! - it is small: at most [`MAX_ATOMS`] comparisons, at most one on a string variable no
//!   environment fixes (`platform_release`, `platform_version`), version sets of at most
//!   [`MAX_INTERVALS`] intervals. Only the two version variables and that one string variable
//!   can send the diagram's walk in [`super::evaluate`] down more than one edge (at most
//!   9 × 9 × 3 paths), so the walk stays far inside its visit budget and never answers
//!   "unknown" for lack of budget where this form answers.
//!
//! Algebra (`and` with another marker, rendering, an implication [`implies`] cannot split
//! into questions it answers) converts the own form to a tree on demand, once per marker
//! ([`Marker::tree`]).

use std::fmt;
use std::str::FromStr;
use std::sync::{Arc, OnceLock};

use pep440_rs::{release_specifier_to_range, Operator, Version, VersionSpecifier};
use pep508_rs::{
    ExtraOperator, MarkerExpression, MarkerOperator, MarkerTree, MarkerTreeKind, MarkerValueExtra,
    MarkerValueString, MarkerValueVersion,
};
use version_ranges::Ranges;

/// Most comparisons in an own-form marker.
const MAX_ATOMS: usize = 16;
/// Most intervals in the version set of one comparison (`python_version in '…'` lists).
const MAX_INTERVALS: usize = 4;

/// A requirement's marker, in 8 bytes: `None` is "always" (no marker).
#[derive(Clone, Default)]
pub struct Marker(Option<Arc<Form>>);

enum Form {
    Tree(MarkerTree),
    Own(Own),
}

/// A marker held in the own form.
struct Own {
    /// The marker's text: pep508_rs parses it when a tree is needed.
    text: Box<str>,
    expr: Expr,
    /// That tree, once built: a marker asked for it again (an implication checked per run
    /// and environment) gets the same tree without a parse.
    tree: OnceLock<MarkerTree>,
}

/// The own form: comparisons combined with and / or, as written (ignored comparisons, such
/// as `os_name ~= 'x'`, dropped as pep508_rs drops them).
#[derive(Debug, PartialEq)]
pub(crate) enum Expr {
    Atom(Atom),
    And(Box<[Expr]>),
    Or(Box<[Expr]>),
}

/// One comparison.
#[derive(Debug, PartialEq)]
pub(crate) enum Atom {
    /// On `python_version` / `python_full_version`, or on `implementation_version`
    /// (`implementation`): the versions for which it holds ([`version_set`], computed once,
    /// as evaluation asks it on every environment; the comparison itself is not kept, as
    /// its version may be a large one).
    Version {
        implementation: bool,
        set: Box<Ranges<Version>>,
    },
    /// On a string variable or an extra.
    Other(MarkerExpression),
}

impl Atom {
    /// None when the comparison's version set is not one this module can tell.
    fn new(expr: MarkerExpression) -> Option<Atom> {
        match &expr {
            MarkerExpression::Version { key, .. } | MarkerExpression::VersionIn { key, .. } => {
                Some(Atom::Version {
                    implementation: *key == MarkerValueVersion::ImplementationVersion,
                    set: Box::new(version_set(&expr)?),
                })
            }
            // `'x' ~= os_name` reaches pep508_rs's diagram, which panics on it: not the own
            // form's to answer (pep508_rs parses it as before).
            MarkerExpression::String {
                operator: MarkerOperator::TildeEqual,
                ..
            } => None,
            _ => Some(Atom::Other(expr)),
        }
    }
}

impl Marker {
    /// No marker: the requirement always applies.
    pub const TRUE: Marker = Marker(None);

    pub fn from_tree(tree: MarkerTree) -> Marker {
        if tree.is_true() {
            Marker::TRUE
        } else {
            Marker(Some(Arc::new(Form::Tree(tree))))
        }
    }

    fn own(text: &str, expr: Expr) -> Marker {
        Marker(Some(Arc::new(Form::Own(Own {
            text: text.into(),
            expr,
            tree: OnceLock::new(),
        }))))
    }

    /// The own form, when the marker is held in it.
    pub(crate) fn as_own(&self) -> Option<&Expr> {
        match self.0.as_deref() {
            Some(Form::Own(own)) => Some(&own.expr),
            _ => None,
        }
    }

    /// The tree, when the marker is held as one (None for the own form and for "always").
    pub(crate) fn as_tree(&self) -> Option<&MarkerTree> {
        match self.0.as_deref() {
            Some(Form::Tree(t)) => Some(t),
            _ => None,
        }
    }

    /// Always true. Exact: an own-form marker is never constant.
    pub fn is_true(&self) -> bool {
        self.0.is_none()
    }

    /// The marker as a pep508_rs tree (interned: for algebra, not for every marker). An
    /// own-form marker builds it once.
    pub fn tree(&self) -> MarkerTree {
        match self.0.as_deref() {
            None => MarkerTree::TRUE,
            Some(Form::Tree(t)) => t.clone(),
            Some(Form::Own(own)) => own.tree.get_or_init(|| own.parse_tree()).clone(),
        }
    }

    /// This marker and `other` (no tree is built when either is always true).
    pub fn and(&mut self, other: impl Into<Marker>) {
        let other = other.into();
        if other.is_true() {
            return;
        }
        if self.is_true() {
            *self = other;
            return;
        }
        let mut tree = self.tree();
        tree.and(other.tree());
        *self = Marker::from_tree(tree);
    }

    /// pep508_rs's rendering of the marker (None when it is always true).
    pub fn try_to_string(&self) -> Option<String> {
        self.tree().try_to_string()
    }

    /// No environment satisfies both this marker and `other`. An own-form marker against a
    /// Python range (the `requires-python` question of `no_supported_python`) is answered
    /// without building its tree.
    pub fn is_disjoint(&self, other: &MarkerTree) -> bool {
        if let (Some(e), Some(pythons)) = (self.as_own(), python_set(other)) {
            return e.misses_pythons(&pythons);
        }
        self.tree().is_disjoint(other)
    }
}

impl Own {
    /// pep508_rs's parse of the text (the own reader accepts only text pep508_rs accepts, as
    /// tests check): the tree it would have built in the first place.
    fn parse_tree(&self) -> MarkerTree {
        #[cfg(test)]
        TREES_PARSED.with(|n| n.set(n.get() + 1));
        MarkerTree::from_str(&self.text).unwrap_or(MarkerTree::TRUE)
    }
}

#[cfg(test)]
thread_local! {
    /// How many own-form markers pep508_rs parsed into a tree (tests).
    pub(crate) static TREES_PARSED: std::cell::Cell<usize> = const { std::cell::Cell::new(0) };
    /// How many comparisons the own reader handed to `MarkerExpression::from_str` (tests).
    static COMPARISONS_READ: std::cell::Cell<usize> = const { std::cell::Cell::new(0) };
}

impl From<MarkerTree> for Marker {
    fn from(tree: MarkerTree) -> Marker {
        Marker::from_tree(tree)
    }
}

/// Equal markers hold in the same environments. Markers held in different forms (or own
/// forms written differently) compare unequal even when they mean the same: callers use this
/// to share work between equal markers, never to conclude that two markers differ.
impl PartialEq for Marker {
    fn eq(&self, other: &Marker) -> bool {
        if let (Some(a), Some(b)) = (&self.0, &other.0) {
            // A repeated marker is shared ([`parse`]): equal without a look inside.
            if Arc::ptr_eq(a, b) {
                return true;
            }
        }
        match (self.0.as_deref(), other.0.as_deref()) {
            (None, None) => true,
            (Some(Form::Tree(a)), Some(Form::Tree(b))) => a == b,
            (Some(Form::Own(a)), Some(Form::Own(b))) => a.expr == b.expr,
            _ => false,
        }
    }
}

impl fmt::Debug for Marker {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0.as_deref() {
            None => f.write_str("Marker(true)"),
            Some(Form::Tree(t)) => write!(f, "Marker({t:?})"),
            Some(Form::Own(own)) => write!(f, "Marker({:?})", own.text),
        }
    }
}

/// Read a marker expression (the text after a requirement's `;`) into the own form. None
/// when this reader is not sure that pep508_rs reads the text the same way, or when the
/// marker is not one the own form may hold (see the module doc): then pep508_rs must parse it.
///
/// A marker written like one of the last [`RECENT`] own-form markers read (pip-compile
/// repeats a few markers on many lines, interleaved) is that marker again, shared, as
/// pep508_rs's interner shared it; a text written like the last one refused is refused
/// again without a second reading (pep508_rs reads it, as it reads every refused marker).
pub(crate) fn parse(text: &str) -> Option<Marker> {
    thread_local! {
        static SEEN: std::cell::RefCell<Recent> = const {
            std::cell::RefCell::new(Recent { own: Vec::new(), next: 0, refused: None })
        };
    }
    if let Some(known) = SEEN.with(|seen| seen.borrow().find(text)) {
        return known;
    }
    let marker = read(text);
    SEEN.with(|seen| seen.borrow_mut().remember(text, marker.as_ref()));
    marker
}

/// How many own-form markers [`parse`] remembers: a bound, so that distinct markers (a
/// hostile file) cost a hash and one comparison of hashes with each, and hold nothing more.
const RECENT: usize = 32;
fn text_hash(text: &str) -> u64 {
    use std::hash::{Hash, Hasher};
    let mut hasher = std::hash::DefaultHasher::new();
    text.hash(&mut hasher);
    hasher.finish()
}

/// The longest refused text [`parse`] remembers (a copy held for the thread's life).
const MAX_REFUSED_TEXT: usize = 1024;

/// The markers [`parse`] read last.
struct Recent {
    /// Up to [`RECENT`] own-form markers with a hash of their text, the oldest replaced
    /// first (at `next`).
    own: Vec<(u64, Marker)>,
    next: usize,
    /// The last text refused (in a buffer reused from one refusal to the next).
    refused: Option<String>,
}

impl Recent {
    /// What `text` was read as, when it was read recently.
    fn find(&self, text: &str) -> Option<Option<Marker>> {
        if self.refused.as_deref() == Some(text) {
            return Some(None);
        }
        let hash = text_hash(text);
        self.own
            .iter()
            .filter(|(h, _)| *h == hash)
            .find(|(_, m)| matches!(m.0.as_deref(), Some(Form::Own(own)) if *own.text == *text))
            .map(|(_, m)| Some(m.clone()))
    }

    fn remember(&mut self, text: &str, marker: Option<&Marker>) {
        let Some(marker) = marker else {
            if text.len() <= MAX_REFUSED_TEXT {
                let refused = self.refused.get_or_insert_with(String::new);
                refused.clear();
                refused.push_str(text);
            }
            return;
        };
        if marker.as_own().is_none() {
            return;
        }
        let entry = (text_hash(text), marker.clone());
        if self.own.len() < RECENT {
            self.own.push(entry);
        } else {
            self.own[self.next] = entry;
        }
        self.next = (self.next + 1) % RECENT;
    }
}

fn read(text: &str) -> Option<Marker> {
    if !text.is_ascii() {
        return None;
    }
    let mut p = Parser {
        s: text.as_bytes(),
        text,
        i: 0,
        vars: Vec::new(),
        free: 0,
    };
    let expr = p.or()?;
    p.ws();
    if p.i != p.s.len() {
        return None;
    }
    match expr {
        None => Some(Marker::TRUE),
        Some(e) if e.may_stay_own() => Some(Marker::own(text, e)),
        Some(_) => None,
    }
}

/// A reader of pep508_rs's marker grammar (`parse_markers_cursor` and what it calls), on
/// ASCII text. Every method returns None where it is unsure; a comparison's text is handed to
/// `MarkerExpression::from_str` once its end is found by pep508_rs's own token rules.
///
/// It also stops at the first comparison that makes the marker one the own form may not
/// hold ([`Parser::admit`]): pep508_rs reads such a marker anyway, so the comparisons after
/// it would be read for nothing.
struct Parser<'t> {
    s: &'t [u8],
    text: &'t str,
    i: usize,
    /// A hash of the variable of each comparison read so far.
    vars: Vec<u64>,
    /// How many of them are on a free string variable.
    free: usize,
}

fn is_ws(b: u8) -> bool {
    (b as char).is_whitespace()
}

impl Parser<'_> {
    fn ws(&mut self) {
        while self.s.get(self.i).is_some_and(|&b| is_ws(b)) {
            self.i += 1;
        }
    }

    /// The run of non-whitespace at the cursor: pep508_rs takes `and` / `or` only when the
    /// whole run is the keyword.
    fn run(&self) -> &[u8] {
        let end = self.s[self.i..]
            .iter()
            .position(|&b| is_ws(b))
            .map_or(self.s.len(), |n| self.i + n);
        &self.s[self.i..end]
    }

    /// `marker_or = marker_and ('or' marker_and)*`; Some(None) when every comparison in it
    /// was one pep508_rs ignores.
    fn or(&mut self) -> Option<Option<Expr>> {
        self.list(b"or", Parser::and, Expr::Or)
    }

    fn and(&mut self) -> Option<Option<Expr>> {
        self.list(b"and", Parser::expr, Expr::And)
    }

    fn list(
        &mut self,
        keyword: &[u8],
        inner: fn(&mut Self) -> Option<Option<Expr>>,
        join: fn(Box<[Expr]>) -> Expr,
    ) -> Option<Option<Expr>> {
        let mut parts: Vec<Expr> = inner(self)?.into_iter().collect();
        loop {
            self.ws();
            if self.run() != keyword {
                break;
            }
            self.i += keyword.len();
            parts.extend(inner(self)?);
        }
        Some(match parts.len() {
            0 => None,
            1 => parts.pop(),
            _ => Some(join(parts.into_boxed_slice())),
        })
    }

    /// `'(' marker_or ')'` or one comparison.
    fn expr(&mut self) -> Option<Option<Expr>> {
        self.ws();
        if self.s.get(self.i) == Some(&b'(') {
            self.i += 1;
            let inner = self.or()?;
            if self.s.get(self.i) != Some(&b')') {
                return None;
            }
            self.i += 1;
            return Some(inner);
        }
        let start = self.i;
        self.value()?;
        self.ws();
        self.operator()?;
        self.ws();
        self.value()?;
        #[cfg(test)]
        COMPARISONS_READ.with(|n| n.set(n.get() + 1));
        match MarkerExpression::from_str(&self.text[start..self.i]) {
            Ok(None) => Some(None),
            Ok(Some(atom)) => Some(Some(Expr::Atom(self.admit(Atom::new(atom)?)?))),
            Err(_) => None,
        }
    }

    /// The comparison, unless with those read before it the marker is surely one the own
    /// form may not hold ([`Expr::may_stay_own`]: too many comparisons, a constant one, a
    /// variable read twice, two on free string variables). A false alarm (two variables
    /// with one hash) only sends a marker to pep508_rs, which reads every marker right.
    fn admit(&mut self, atom: Atom) -> Option<Atom> {
        use std::hash::{Hash, Hasher};
        let var = var(&atom);
        let mut hasher = std::hash::DefaultHasher::new();
        var.hash(&mut hasher);
        let hash = hasher.finish();
        self.free += usize::from(var.is_free_string());
        if self.vars.len() >= MAX_ATOMS || !varies(&atom) || self.vars.contains(&hash) {
            return None;
        }
        if self.free > 1 {
            return None;
        }
        self.vars.push(hash);
        Some(atom)
    }

    /// A quoted string (to the next same quote) or a name (up to whitespace, an operator
    /// character or `)`), as `parse_marker_value` delimits them.
    fn value(&mut self) -> Option<()> {
        let &first = self.s.get(self.i)?;
        if first == b'\'' || first == b'"' {
            let close = self.s[self.i + 1..].iter().position(|&b| b == first)?;
            self.i += close + 2;
            return Some(());
        }
        let start = self.i;
        while self
            .s
            .get(self.i)
            .is_some_and(|&b| !is_ws(b) && !b"><=!~)".contains(&b))
        {
            self.i += 1;
        }
        (self.i > start).then_some(())
    }

    /// `in`, `not in` (whitespace then a quote or whitespace after it), or a run of operator
    /// characters (`MarkerExpression::from_str` judges the run).
    fn operator(&mut self) -> Option<()> {
        let &first = self.s.get(self.i)?;
        if !first.is_ascii_alphabetic() {
            let start = self.i;
            while self.s.get(self.i).is_some_and(|b| b"<=>~!".contains(b)) {
                self.i += 1;
            }
            return (self.i > start).then_some(());
        }
        let word_end = |p: &Self| {
            p.s[p.i..]
                .iter()
                .position(|&b| is_ws(b) || b == b'\'' || b == b'"')
                .map_or(p.s.len(), |n| p.i + n)
        };
        let end = word_end(self);
        match &self.s[self.i..end] {
            b"in" => self.i = end,
            b"not" => {
                self.i = end;
                if !self.s.get(self.i).is_some_and(|&b| is_ws(b)) {
                    return None;
                }
                self.ws();
                if word_end(self) != self.i + 2 || &self.s[self.i..self.i + 2] != b"in" {
                    return None;
                }
                self.i += 2;
            }
            _ => return None,
        }
        Some(())
    }
}

/// A variable of pep508_rs's decision diagram: comparisons on different variables are
/// independent there (`python_version` and `python_full_version` are one variable; `in` and
/// `not in` on a name make one boolean variable per quoted value).
#[derive(PartialEq, Hash)]
enum Var<'e> {
    Python,
    Implementation,
    String(&'e MarkerValueString),
    In(&'e MarkerValueString, &'e str),
    Contains(&'e MarkerValueString, &'e str),
    Extra(&'e MarkerValueExtra),
}

impl Var<'_> {
    /// A string variable no environment fixes: comparisons on it stay open everywhere.
    fn is_free_string(&self) -> bool {
        match self {
            Var::String(k) | Var::In(k, _) | Var::Contains(k, _) => is_free_string(k),
            _ => false,
        }
    }
}

/// The string variables `rules/environments.tsv` does not fix (the `None`s of
/// `markers::string_value`).
pub(crate) fn is_free_string(key: &MarkerValueString) -> bool {
    matches!(
        key,
        MarkerValueString::PlatformRelease
            | MarkerValueString::PlatformVersion
            | MarkerValueString::PlatformVersionDeprecated
    )
}

fn var(atom: &Atom) -> Var<'_> {
    let expr = match atom {
        Atom::Version {
            implementation: true,
            ..
        } => return Var::Implementation,
        Atom::Version { .. } => return Var::Python,
        Atom::Other(expr) => expr,
    };
    match expr {
        MarkerExpression::Version { .. } | MarkerExpression::VersionIn { .. } => {
            unreachable!("version comparisons are `Atom::Version`")
        }
        MarkerExpression::String {
            key,
            operator: MarkerOperator::In | MarkerOperator::NotIn,
            value,
        } => Var::In(key, value),
        MarkerExpression::String {
            key,
            operator: MarkerOperator::Contains | MarkerOperator::NotContains,
            value,
        } => Var::Contains(key, value),
        MarkerExpression::String { key, .. } => Var::String(key),
        MarkerExpression::Extra { name, .. } => Var::Extra(name),
    }
}

impl Expr {
    fn atoms<'e>(&'e self, out: &mut Vec<&'e Atom>) {
        match self {
            Expr::Atom(a) => out.push(a),
            Expr::And(xs) | Expr::Or(xs) => xs.iter().for_each(|x| x.atoms(out)),
        }
    }

    fn vars(&self) -> Vec<Var<'_>> {
        let mut atoms = Vec::new();
        self.atoms(&mut atoms);
        atoms.into_iter().map(var).collect()
    }

    /// Read-once over non-constant comparisons, and small (module doc).
    fn may_stay_own(&self) -> bool {
        let mut atoms = Vec::new();
        self.atoms(&mut atoms);
        if atoms.len() > MAX_ATOMS || !atoms.iter().all(|a| varies(a)) {
            return false;
        }
        let vars: Vec<Var> = atoms.into_iter().map(var).collect();
        let distinct = vars.iter().enumerate().all(|(i, v)| !vars[..i].contains(v));
        let free = vars.iter().filter(|v| v.is_free_string()).count();
        distinct && free <= 1
    }

    /// The value with each comparison's value from `truth` (three-valued: an unknown
    /// comparison may go either way; exact here, as the form is read-once).
    pub(crate) fn value(&self, truth: &mut impl FnMut(&Atom) -> Value) -> Value {
        match self {
            Expr::Atom(a) => truth(a),
            Expr::And(xs) => combine(xs, truth, Value::False),
            Expr::Or(xs) => combine(xs, truth, Value::True),
        }
    }

    /// Whether no Python in `pythons` satisfies the marker whatever the other variables are.
    fn misses_pythons(&self, pythons: &Ranges<Version>) -> bool {
        if pythons.is_empty() {
            return true;
        }
        let value = self.value(&mut |a| match a {
            Atom::Version {
                implementation: false,
                set,
            } => value_on(pythons, set),
            _ => Value::Unknown,
        });
        value == Value::False
    }
}

/// A three-valued value.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Value {
    True,
    False,
    Unknown,
}

/// And (`decisive` False) or or (`decisive` True): the decisive value wins, else unknown
/// wins, else the other.
fn combine(xs: &[Expr], truth: &mut impl FnMut(&Atom) -> Value, decisive: Value) -> Value {
    let mut unknown = false;
    for x in xs {
        match x.value(truth) {
            v if v == decisive => return decisive,
            Value::Unknown => unknown = true,
            _ => {}
        }
    }
    match (unknown, decisive) {
        (true, _) => Value::Unknown,
        (false, Value::False) => Value::True,
        (false, _) => Value::False,
    }
}

/// A version comparison's value over the versions in `range`: true or false when all agree.
pub(crate) fn value_on(range: &Ranges<Version>, set: &Ranges<Version>) -> Value {
    let inside = !range.is_disjoint(set);
    let outside = !range.subset_of(set);
    match (inside, outside) {
        (true, false) => Value::True,
        (false, true) => Value::False,
        _ => Value::Unknown,
    }
}

/// The comparison is not constant for pep508_rs (its diagram node is not `true` or `false`).
fn varies(atom: &Atom) -> bool {
    let proper = |lo_hi: (bool, bool)| lo_hi.0 && lo_hi.1;
    let expr = match atom {
        Atom::Version { set, .. } => {
            return set.iter().count() <= MAX_INTERVALS
                && proper((!set.is_empty(), **set != Ranges::full()))
        }
        Atom::Other(expr) => expr,
    };
    match expr {
        MarkerExpression::Version { .. } | MarkerExpression::VersionIn { .. } => false,
        MarkerExpression::String {
            operator, value, ..
        } => match string_set(*operator, value) {
            Some(s) => proper((!s.is_empty(), s != Ranges::full())),
            // `in` / `not in`: a boolean variable of its own.
            None => true,
        },
        MarkerExpression::Extra { .. } => true,
    }
}

/// The values of a string variable for which a ranged comparison (`==`, `<`, …) holds; None
/// for `in` and `not in`.
fn string_set(operator: MarkerOperator, value: &str) -> Option<Ranges<String>> {
    let v = value.to_owned();
    Some(match operator {
        MarkerOperator::Equal => Ranges::singleton(v),
        MarkerOperator::NotEqual => Ranges::singleton(v).complement(),
        MarkerOperator::GreaterThan => Ranges::strictly_higher_than(v),
        MarkerOperator::GreaterEqual => Ranges::higher_than(v),
        MarkerOperator::LessThan => Ranges::strictly_lower_than(v),
        MarkerOperator::LessEqual => Ranges::lower_than(v),
        _ => return None,
    })
}

/// The value of a string comparison when its variable is `actual`.
pub(crate) fn string_holds(operator: MarkerOperator, value: &str, actual: &str) -> bool {
    match operator {
        MarkerOperator::Equal => actual == value,
        MarkerOperator::NotEqual => actual != value,
        MarkerOperator::GreaterThan => actual > value,
        MarkerOperator::GreaterEqual => actual >= value,
        MarkerOperator::LessThan => actual < value,
        MarkerOperator::LessEqual => actual <= value,
        MarkerOperator::In => value.contains(actual),
        MarkerOperator::NotIn => !value.contains(actual),
        MarkerOperator::Contains => actual.contains(value),
        MarkerOperator::NotContains => !actual.contains(value),
        // Dropped by the parser (`~=` on a string is ignored).
        MarkerOperator::TildeEqual => false,
    }
}

/// The value of `extra == name` / `extra != name` when the unit requests `requested`.
pub(crate) fn extra_holds(
    operator: &ExtraOperator,
    name: &MarkerValueExtra,
    requested: &[pep508_rs::ExtraName],
) -> bool {
    let on = match name {
        MarkerValueExtra::Extra(n) => requested.contains(n),
        MarkerValueExtra::Arbitrary(_) => false,
    };
    on == (*operator == ExtraOperator::Equal)
}

/// The interpreter versions (`python_full_version`, or `implementation_version`) for which a
/// version comparison holds, as pep508_rs's diagram reads it: release segments only, trailing
/// zeros dropped, `python_version` (major.minor) turned into a condition on the full version.
/// None when the comparison is constant there (`python_version == '3.7.1'` never holds) or
/// this reading is unsure.
fn version_set(atom: &MarkerExpression) -> Option<Ranges<Version>> {
    match atom {
        MarkerExpression::Version {
            key: MarkerValueVersion::PythonVersion,
            specifier,
        } => match as_full_version(release_only(specifier)?)? {
            FullVersion::Spec(s) => Some(release_specifier_to_range(release_only(&s)?)),
            FullVersion::Constant => None,
        },
        MarkerExpression::Version { specifier, .. } => {
            Some(release_specifier_to_range(release_only(specifier)?))
        }
        MarkerExpression::VersionIn {
            key: MarkerValueVersion::PythonVersion,
            versions,
            negated,
        } => {
            let mut set = Ranges::empty();
            for v in versions {
                match as_full_version(VersionSpecifier::equals_version(v.clone()))? {
                    FullVersion::Spec(s) => {
                        set = set.union(&release_specifier_to_range(release_only(&s)?));
                    }
                    FullVersion::Constant => return None,
                }
            }
            Some(if *negated { set.complement() } else { set })
        }
        MarkerExpression::VersionIn {
            versions, negated, ..
        } => {
            let set = versions.iter().fold(Ranges::empty(), |set, v| {
                set.union(&Ranges::singleton(v.clone()))
            });
            Some(if *negated { set.complement() } else { set })
        }
        _ => None,
    }
}

/// The specifier on the release segments alone, trailing zeros dropped (not for `.*`
/// operators, and never down to the first segment): how the diagram stores a version bound,
/// so that `3.9` and `3.9.0` are one bound.
fn release_only(spec: &VersionSpecifier) -> Option<VersionSpecifier> {
    let op = *spec.operator();
    let mut release = spec.version().release();
    if !op.is_star() {
        if let Some(last) = release.iter().rposition(|&n| n != 0) {
            if last > 0 {
                release = &release[..=last];
            }
        }
    }
    VersionSpecifier::from_version(op, Version::new(release)).ok()
}

/// A `python_version` comparison as a comparison on the full version.
enum FullVersion {
    Spec(VersionSpecifier),
    /// Holds always or never: `python_version` has two segments, so `!= '3.7.1'` always
    /// holds and `== '3.7.1'` never does.
    Constant,
}

/// `python_version` is `major.minor`: `> 3.7` holds from 3.8.0 on, `<= 3.7` below 3.8, and a
/// bound with more segments is cut to the minor it lies in.
fn as_full_version(spec: VersionSpecifier) -> Option<FullVersion> {
    let op = *spec.operator();
    let release = spec.version().release();
    if release.len() == 1 && op.is_star() {
        return Some(FullVersion::Spec(spec));
    }
    let major = release[0];
    let minor = release.get(1).copied().unwrap_or(0);
    let here = Version::new([major, minor]);
    let next = || Some(Version::new([major, minor.checked_add(1)?]));
    use Operator as O;
    let full = if release.len() <= 2 {
        match op {
            O::Equal | O::ExactEqual => VersionSpecifier::equals_star_version(here),
            O::NotEqual => VersionSpecifier::not_equals_star_version(here),
            O::GreaterThan => VersionSpecifier::greater_than_equal_version(next()?),
            O::LessThanEqual => VersionSpecifier::less_than_version(next()?),
            O::LessThan | O::GreaterThanEqual | O::EqualStar | O::NotEqualStar | O::TildeEqual => {
                spec
            }
        }
    } else {
        match op {
            O::Equal | O::ExactEqual | O::EqualStar | O::TildeEqual => {
                return Some(FullVersion::Constant)
            }
            O::NotEqual | O::NotEqualStar => return Some(FullVersion::Constant),
            O::LessThan | O::LessThanEqual => VersionSpecifier::less_than_version(next()?),
            O::GreaterThan | O::GreaterThanEqual => {
                VersionSpecifier::greater_than_equal_version(next()?)
            }
        }
    };
    Some(FullVersion::Spec(full))
}

/// The Pythons a tree allows, when it is a condition on the Python version alone (as the
/// `requires-python` range `no_supported_python` builds).
fn python_set(tree: &MarkerTree) -> Option<Ranges<Version>> {
    match tree.kind() {
        MarkerTreeKind::True => Some(Ranges::full()),
        MarkerTreeKind::False => Some(Ranges::empty()),
        MarkerTreeKind::Version(node) if *node.key() == MarkerValueVersion::PythonFullVersion => {
            let mut set = Ranges::empty();
            for (range, child) in node.edges() {
                match child.kind() {
                    MarkerTreeKind::True => set = set.union(range),
                    MarkerTreeKind::False => {}
                    _ => return None,
                }
            }
            Some(set)
        }
        _ => None,
    }
}

/// Whether `a` implies `b` when the own form can tell without trees, by exact steps:
/// - `a ⇒ b1 and … and bn` iff `a ⇒ bi` for every i, and `a1 or … or an ⇒ b` iff `ai ⇒ b`
///   for every i (in any Boolean algebra);
/// - markers on disjoint variables: never (`a` can hold while `b` fails);
/// - `a1 and … and an ⇒ b` where only `ak` shares a variable with `b`: iff `ak ⇒ b`, and
///   `a ⇒ b1 or … or bn` where only `bk` shares a variable with `a`: iff `a ⇒ bk` (the
///   other parts are on variables of their own, and a part of a read-once form over
///   non-constant comparisons is never constant: it can hold, and fail, whatever `ak` or
///   `bk` do);
/// - two comparisons on one variable: set inclusion.
pub(crate) fn implies(a: &Expr, b: &Expr) -> Option<bool> {
    if a == b {
        return Some(true);
    }
    if let Expr::And(bs) = b {
        return all(bs.iter().map(|bi| implies(a, bi)));
    }
    if let Expr::Or(xs) = a {
        return all(xs.iter().map(|ai| implies(ai, b)));
    }
    let (va, vb) = (a.vars(), b.vars());
    if !va.iter().any(|v| vb.contains(v)) {
        return Some(false);
    }
    if let Expr::And(xs) = a {
        if let Some(ak) = only_sharing(xs, &vb) {
            return implies(ak, b);
        }
    }
    if let Expr::Or(bs) = b {
        if let Some(bk) = only_sharing(bs, &va) {
            return implies(a, bk);
        }
    }
    match (a, b) {
        (Expr::Atom(x), Expr::Atom(y)) => atom_implies(x, y),
        _ => None,
    }
}

/// Every answer true, or one false (the others then do not matter); else unknown.
fn all(answers: impl Iterator<Item = Option<bool>>) -> Option<bool> {
    let mut known = true;
    for answer in answers {
        match answer {
            Some(false) => return Some(false),
            Some(true) => {}
            None => known = false,
        }
    }
    known.then_some(true)
}

/// The one part of `parts` that shares a variable with `vars` (None when several do).
fn only_sharing<'e>(parts: &'e [Expr], vars: &[Var]) -> Option<&'e Expr> {
    let mut sharing = parts
        .iter()
        .filter(|p| p.vars().iter().any(|v| vars.contains(v)));
    let first = sharing.next()?;
    sharing.next().is_none().then_some(first)
}

/// Whether comparison `x` implies comparison `y`, on one variable (None when unsure).
fn atom_implies(x: &Atom, y: &Atom) -> Option<bool> {
    let (Atom::Other(x), Atom::Other(y)) = (x, y) else {
        let (Atom::Version { set: x, .. }, Atom::Version { set: y, .. }) = (x, y) else {
            return None;
        };
        return Some(x.subset_of(y));
    };
    match (x, y) {
        (
            MarkerExpression::String {
                operator: ox,
                value: vx,
                ..
            },
            MarkerExpression::String {
                operator: oy,
                value: vy,
                ..
            },
        ) => match (string_set(*ox, vx), string_set(*oy, vy)) {
            (Some(sx), Some(sy)) => Some(sx.subset_of(&sy)),
            // One `in` / `not in` variable: the same comparison, or its negation.
            (None, None) => Some(ox == oy),
            _ => None,
        },
        (
            MarkerExpression::Extra { operator: ox, .. },
            MarkerExpression::Extra { operator: oy, .. },
        ) => Some(ox == oy),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::markers::{evaluate, implies as marker_implies};
    use crate::rules::environments::builtin;
    use pep508_rs::ExtraName;

    /// A deterministic generator (xorshift): the same markers on every run.
    struct Rng(u64);

    impl Rng {
        fn below(&mut self, n: usize) -> usize {
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 7;
            self.0 ^= self.0 << 17;
            (self.0 % n as u64) as usize
        }
        fn pick<'a>(&mut self, v: &[&'a str]) -> &'a str {
            v[self.below(v.len())]
        }
    }

    const VERSION_KEYS: &[&str] = &[
        "python_version",
        "python_full_version",
        "implementation_version",
    ];
    const VERSIONS: &[&str] = &[
        "2",
        "2.7",
        "2.7.18",
        "3",
        "3.0",
        "3.6",
        "3.6.1",
        "3.7",
        "3.7.0",
        "3.7.5",
        "3.8",
        "3.8.0.0",
        "3.9",
        "3.10",
        "3.12",
        "3.7rc1",
        "3.7.post1",
        "0",
        "3.7.4.1",
        "4",
    ];
    const VERSION_OPS: &[&str] = &["<", "<=", ">", ">=", "==", "!=", "~=", "==="];
    const STRING_KEYS: &[&str] = &[
        "sys_platform",
        "os_name",
        "os.name",
        "platform_system",
        "platform_machine",
        "implementation_name",
        "platform_python_implementation",
        "python_implementation",
        "platform_release",
        "platform_version",
        "platform.version",
        "sys.platform",
    ];
    const STRINGS: &[&str] = &[
        "linux", "linux2", "win32", "darwin", "nt", "posix", "Linux", "Windows", "x86_64", "AMD64",
        "cpython", "CPython", "PyPy", "", "5", "5.4", "lin", "a b", "arm64",
    ];
    const STRING_OPS: &[&str] = &["==", "!=", "<", "<=", ">", ">=", "in", "not in", "~="];

    fn atom(rng: &mut Rng) -> String {
        match rng.below(9) {
            0..=2 => {
                let (k, o, v) = (
                    rng.pick(VERSION_KEYS),
                    rng.pick(VERSION_OPS),
                    rng.pick(VERSIONS),
                );
                match rng.below(6) {
                    // Reversed operands.
                    0 => format!("'{v}' {o} {k}"),
                    1 => format!("{k} == '{}.*'", rng.pick(&["3", "3.7", "2.7", "3.0"])),
                    2 => format!("{k} != \"{}.*\"", rng.pick(&["3", "3.7", "3.8"])),
                    3 => format!(
                        "{k} {} '{} {}'",
                        rng.pick(&["in", "not in"]),
                        rng.pick(VERSIONS),
                        rng.pick(VERSIONS)
                    ),
                    _ => format!("{k}{o}'{v}'"),
                }
            }
            3..=6 => {
                let (k, o, v) = (
                    rng.pick(STRING_KEYS),
                    rng.pick(STRING_OPS),
                    rng.pick(STRINGS),
                );
                // Not `'x' ~= os_name`: pep508_rs 0.9.2 panics on it (whatever reads it).
                if rng.below(4) == 0 && o != "~=" {
                    format!("\"{v}\" {o} {k}")
                } else {
                    format!("{k} {o} \"{v}\"")
                }
            }
            _ => {
                let name = rng.pick(&["a", "b", "test", "Extra_1", "a b"]);
                match rng.below(3) {
                    0 => format!("extra == '{name}'"),
                    1 => format!("'{name}' != extra"),
                    _ => format!("extra=='{name}'"),
                }
            }
        }
    }

    fn marker(rng: &mut Rng, depth: usize) -> String {
        if depth == 0 || rng.below(3) == 0 {
            return atom(rng);
        }
        let n = 2 + rng.below(2);
        let op = rng.pick(&[" and ", " or ", " and ", "  or\t"]);
        let parts: Vec<String> = (0..n).map(|_| marker(rng, depth - 1)).collect();
        let joined = parts.join(op);
        if rng.below(2) == 0 {
            format!("({joined})")
        } else {
            joined
        }
    }

    fn extras_sets() -> Vec<Vec<ExtraName>> {
        let e = |s: &str| ExtraName::from_str(s).unwrap();
        vec![
            vec![],
            vec![e("a")],
            vec![e("a"), e("b")],
            vec![e("test"), e("extra-1")],
        ]
    }

    /// Python ranges as `no_supported_python` writes them.
    fn python_ranges() -> Vec<MarkerTree> {
        [
            "python_full_version >= '3.8'",
            "python_full_version >= '3.6' and python_full_version < '4'",
            "python_full_version < '3'",
            "python_full_version == '3.7.*'",
            "python_full_version >= '3.7.1'",
        ]
        .iter()
        .map(|s| MarkerTree::from_str(s).unwrap())
        .collect()
    }

    /// When the own reader takes `text`, pep508_rs takes it too and means the same: the same
    /// value on every built-in environment and extras set, the same answers to `is_true` and
    /// to disjointness from Python ranges. (The own form's tree is pep508_rs's parse of the
    /// same text, so comparing it with `tree` would prove nothing.) Returns whether it was
    /// taken.
    fn agrees(text: &str) -> bool {
        let Some(own) = parse(text) else {
            return false;
        };
        let tree = MarkerTree::from_str(text)
            .unwrap_or_else(|e| panic!("own reader took `{text}`, pep508_rs refused: {e}"));
        let reference = Marker::from_tree(tree.clone());
        assert_eq!(own.is_true(), tree.is_true(), "`{text}`");
        for env in builtin() {
            for extras in extras_sets() {
                assert_eq!(
                    evaluate(&own, env, &extras),
                    evaluate(&reference, env, &extras),
                    "`{text}` on {} {} with {extras:?}",
                    env.python,
                    env.platform
                );
            }
        }
        for range in python_ranges() {
            assert_eq!(
                own.is_disjoint(&range),
                tree.is_disjoint(&range),
                "`{text}` against {range:?}"
            );
        }
        own.as_own().is_some() || own.is_true()
    }

    #[test]
    fn the_own_form_means_what_pep508_rs_means_on_generated_markers() {
        let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
        let mut taken = Vec::new();
        for i in 0..4000 {
            let text = marker(&mut rng, 1 + i % 3);
            if agrees(&text) {
                taken.push(text);
            }
        }
        // Most markers of one or a few comparisons are held in the own form.
        assert!(taken.len() > 1500, "only {} taken", taken.len());
        // Implication between own forms, against the trees'.
        for pair in taken.chunks(2).take(800) {
            let [a, b] = pair else { continue };
            let (oa, ob) = (parse(a).unwrap(), parse(b).unwrap());
            let (ta, tb) = (Marker::from_tree(oa.tree()), Marker::from_tree(ob.tree()));
            for (x, y, tx, ty) in [(&oa, &ob, &ta, &tb), (&oa, &oa, &ta, &ta)] {
                assert_eq!(
                    marker_implies(x, y),
                    marker_implies(tx, ty),
                    "`{a}` implies `{b}`"
                );
            }
        }
    }

    /// A marker on a few variables (so that two of them share some): and / or over the
    /// comparisons on `python_version`, `sys_platform`, `platform_release`,
    /// `platform_machine` and an extra.
    fn on_few_variables(rng: &mut Rng, depth: usize) -> String {
        if depth == 0 || rng.below(4) == 0 {
            return match rng.below(6) {
                0 | 1 => format!(
                    "python_version {} '{}'",
                    rng.pick(&["<", "<=", ">", ">=", "==", "!="]),
                    rng.pick(&["2.7", "3", "3.6", "3.7", "3.8", "3.10"])
                ),
                2 => format!(
                    "sys_platform {} '{}'",
                    rng.pick(&["==", "!=", "<", ">="]),
                    rng.pick(&["linux", "darwin", "win32", "m"])
                ),
                3 => format!(
                    "platform_release {} '{}'",
                    rng.pick(&["==", "!=", "<", ">="]),
                    rng.pick(&["1", "5", "5.4", "6"])
                ),
                4 => format!(
                    "platform_machine {} '{}'",
                    rng.pick(&["==", "!="]),
                    rng.pick(&["x86_64", "arm64"])
                ),
                _ => format!("extra {} 'a'", rng.pick(&["==", "!="])),
            };
        }
        let n = 2 + rng.below(2);
        let op = rng.pick(&[" and ", " or "]);
        let parts: Vec<String> = (0..n).map(|_| on_few_variables(rng, depth - 1)).collect();
        format!("({})", parts.join(op))
    }

    /// Implication between own forms with and / or on either side (the decomposition of
    /// [`implies`]), against pep508_rs's answer on the trees. Most pairs are answered on
    /// the own form, some of them true.
    #[test]
    fn implications_between_and_or_forms_agree_with_trees() {
        let mut rng = Rng(0x51ed_2701);
        let markers: Vec<(String, Marker)> = (0..4000)
            .map(|_| {
                let depth = 1 + rng.below(3);
                on_few_variables(&mut rng, depth)
            })
            .filter_map(|text| Some((text.clone(), parse(&text)?)))
            .filter(|(_, m)| m.as_own().is_some_and(|e| !matches!(e, Expr::Atom(_))))
            .collect();
        assert!(markers.len() > 300, "only {} own forms", markers.len());
        let (mut own_answers, mut true_answers) = (0, 0);
        for (i, (a, oa)) in markers.iter().enumerate() {
            for (b, ob) in markers.iter().skip(i % 7).step_by(23) {
                let (ta, tb) = (Marker::from_tree(oa.tree()), Marker::from_tree(ob.tree()));
                let answer = marker_implies(oa, ob);
                assert_eq!(answer, marker_implies(&ta, &tb), "`{a}` implies `{b}`");
                // The atoms within: one side a comparison, the other a whole form.
                let own = implies(oa.as_own().unwrap(), ob.as_own().unwrap());
                own_answers += usize::from(own.is_some());
                true_answers += usize::from(own == Some(true));
            }
        }
        eprintln!(
            "{} markers, {own_answers} answered, {true_answers} true",
            markers.len()
        );
        assert!(own_answers > 5000, "{own_answers} answered on the own form");
        assert!(
            true_answers > 100,
            "{true_answers} true answers on the own form"
        );
    }

    /// A trigger's marker against many runs' markers on many environments: the own forms
    /// answer without a tree, and where a tree is needed (a trigger held as one), each
    /// run's marker is parsed into it once, however often it is asked.
    #[test]
    fn implication_parses_each_marker_into_a_tree_at_most_once() {
        let runs: Vec<Marker> = (0..40)
            .map(|i| {
                parse(&format!(
                    "platform_release == '{i}' and python_version >= '3'"
                ))
                .unwrap()
            })
            .collect();
        let triggers = [
            "platform_release >= '5' and os_name == 'posix'",
            "platform_release >= '5'",
            "(platform_release >= '5' or sys_platform == 'linux') and extra == 'a'",
        ];
        let parsed = || TREES_PARSED.with(|n| n.get());
        let before = parsed();
        for t in triggers {
            let trigger = parse(t).unwrap();
            for _environment in 0..10 {
                for run in &runs {
                    assert!(!marker_implies(&trigger, run), "`{t}`");
                }
            }
        }
        assert_eq!(parsed() - before, 0, "trees built for own-form questions");
        let tree = MarkerTree::from_str("platform_release >= '5' or platform_release <= '1'");
        let trigger = Marker::from_tree(tree.unwrap());
        for _environment in 0..10 {
            for run in &runs {
                assert!(!marker_implies(&trigger, run));
            }
        }
        assert_eq!(parsed() - before, runs.len(), "one tree per marker");
    }

    /// A marker the own form may not hold is read by pep508_rs anyway: the own reader stops
    /// at the comparison that shows it (a variable read twice, a comparison too many), and
    /// does not read again a text written like the last one refused.
    #[test]
    fn refused_markers_are_read_no_further_than_needed() {
        let read = |text: &str| {
            let before = COMPARISONS_READ.with(|n| n.get());
            let marker = parse(text);
            (
                marker.is_some(),
                COMPARISONS_READ.with(|n| n.get()) - before,
            )
        };
        let twice = "sys_platform == 'linux' or sys_platform == 'darwin' \
                     or python_version < '3.8' and os_name == 'posix' and extra == 'a'";
        assert_eq!(read(twice), (false, 2));
        assert_eq!(read(twice), (false, 0));
        let two_free = "platform_release == '5' and python_version < '3.8' \
                        and platform_version == '1' and os_name == 'posix'";
        assert_eq!(read(two_free), (false, 3));
        let many: Vec<String> = (0..40).map(|i| format!("extra == 'e{i}'")).collect();
        assert_eq!(read(&many.join(" or ")), (false, MAX_ATOMS + 1));
        // A marker the own form holds is read in full.
        let held = "platform_release == '5' and python_version < '3.8' and os_name == 'posix'";
        assert_eq!(read(held), (true, 3));
    }

    /// Markers repeated among a few (interleaved, as pip-compile writes them) are one
    /// marker each, shared: read once, then found again.
    #[test]
    fn markers_repeated_among_a_few_are_shared() {
        let texts = [
            "python_version < '3.8'",
            "sys_platform == 'linux'",
            "platform_release >= '5' and extra == 'a'",
        ];
        let first: Vec<Marker> = texts.iter().map(|t| parse(t).unwrap()).collect();
        for _ in 0..5 {
            for (t, f) in texts.iter().zip(&first) {
                let again = parse(t).unwrap();
                let (Some(x), Some(y)) = (&again.0, &f.0) else {
                    panic!("`{t}` always true");
                };
                assert!(Arc::ptr_eq(x, y), "`{t}` read again");
            }
        }
    }

    /// One comparison on a variable: every atom kind, alone (and implications between two
    /// comparisons on one variable, which the own form answers by set inclusion).
    #[test]
    fn single_comparisons_and_their_implications_agree() {
        let mut rng = Rng(7);
        let atoms: Vec<String> = (0..3000).map(|_| atom(&mut rng)).collect();
        let taken: Vec<&String> = atoms.iter().filter(|a| agrees(a)).collect();
        assert!(taken.len() > 1500, "only {} taken", taken.len());
        for w in taken.windows(2) {
            let (oa, ob) = (parse(w[0]).unwrap(), parse(w[1]).unwrap());
            let (ta, tb) = (Marker::from_tree(oa.tree()), Marker::from_tree(ob.tree()));
            assert_eq!(
                marker_implies(&oa, &ob),
                marker_implies(&ta, &tb),
                "`{}` implies `{}`",
                w[0],
                w[1]
            );
        }
    }

    /// Edge cases of the grammar and of pep508_rs's reading, written out.
    #[test]
    fn written_edge_cases_agree() {
        let cases = [
            "python_version > '3.6.1'",
            "python_version == '3.*'",
            "python_version ~= '3.7'",
            "python_version === '3.7'",
            "'3.6' < python_version",
            "python_version in '3.6 3.7'",
            "python_version not in '2.7 3.4'",
            "python_full_version ~= '3.7.0'",
            "python_full_version < '3.7.5'",
            "implementation_version >= '3.7.2'",
            "platform_release >= ''",
            "platform_release < ''",
            "'' in platform_version",
            "os.name == 'nt'",
            "sys_platform < 'm'",
            "'linux' in sys_platform",
            "sys_platform not in 'win32 cygwin'",
            "os_name ~= 'nt'",
            "os_name ~= 'nt' and sys_platform == 'linux'",
            "(os_name ~= 'nt')",
            "extra == 'a b'",
            "python_version>'3'and sys_platform=='linux'",
            "(python_version>'3')and(sys_platform=='linux')",
            "(python_version>'3') and(sys_platform=='linux')",
            "python_version > '3' or",
            "python_version > '3' and and",
            "python_version >> '3'",
            "python_version > 3",
            "((sys_platform == 'linux'))",
            "( sys_platform == 'linux' )",
            "sys_platform == 'linux' )",
            "sys_platform not  in 'linux'",
            "sys_platform not\tin 'linux'",
            "sys_platform notin 'linux'",
            "sys_platform in'linux'",
            "platform_release == '5' and platform_version == '1'",
            "python_version < '3.8' and python_full_version >= '3.7.1'",
            "python_version > '3.18446744073709551615'",
            "",
            "  ",
        ];
        for c in cases {
            agrees(c);
            // What the own reader refuses, pep508_rs parses as before (nothing to compare).
        }
        assert!(parse("sys_platform == 'linux' or sys_platform == 'darwin'").is_none());
        assert!(parse("platform_release == '5' and platform_version == '1'").is_none());
        assert!(parse("python_version >> '3'").is_none());
    }

    /// Every line with a `;` in the fixtures and the fuzz corpus: its marker part (own
    /// reader against pep508_rs), and the whole line as a requirement string (the split
    /// reader against pep508_rs's whole parse: same acceptance, same error, same parts).
    #[test]
    fn fixture_and_corpus_lines_agree() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        let mut lines = Vec::new();
        for dir in ["fixtures", "fuzz/corpus"] {
            collect(&root.join(dir), &mut lines);
        }
        let mut markers = 0;
        for line in &lines {
            for piece in pieces(line) {
                if let Some((_, m)) = piece.split_once(';') {
                    markers += usize::from(agrees(m) && !m.trim().is_empty());
                }
                same_requirement(piece);
            }
        }
        assert!(markers > 50, "only {markers} markers read");
    }

    fn collect(dir: &std::path::Path, out: &mut Vec<String>) {
        let Ok(entries) = std::fs::read_dir(dir) else {
            return;
        };
        for e in entries.flatten() {
            let p = e.path();
            if p.is_dir() {
                collect(&p, out);
            } else if let Ok(text) = std::fs::read_to_string(&p) {
                out.extend(text.lines().filter(|l| l.contains(';')).map(str::to_owned));
            }
        }
    }

    /// The line, and each quoted string in it (TOML, YAML and setup.py values).
    fn pieces(line: &str) -> Vec<&str> {
        let mut out = vec![line.trim()];
        for q in ['"', '\''] {
            out.extend(line.split(q).skip(1).step_by(2));
        }
        out
    }

    pub(crate) fn same_requirement(text: &str) {
        use crate::formats::guard::{parse_requirement, parse_requirement_marked};
        type Url = pep508_rs::VerbatimUrl;
        match (
            parse_requirement::<Url>(text),
            parse_requirement_marked::<Url>(text),
        ) {
            (Ok(whole), Ok((split, marker, listed))) => {
                assert_eq!(whole.name, split.name, "`{text}`");
                assert_eq!(whole.extras, split.extras, "`{text}`");
                match (&whole.version_or_url, listed) {
                    (Some(pep508_rs::VersionOrUrl::VersionSpecifier(specs)), Some(listed)) => {
                        assert!(split.version_or_url.is_none(), "`{text}`");
                        assert!(
                            listed.spelled_as(specs),
                            "`{text}`: {listed} against {specs}"
                        );
                    }
                    (whole_version, listed) => {
                        assert!(listed.is_none(), "`{text}`");
                        assert_eq!(whole_version, &split.version_or_url, "`{text}`");
                    }
                }
                assert_eq!(whole.marker, marker.tree(), "`{text}`");
            }
            (Err(a), Err(b)) => assert_eq!(a, b, "`{text}`"),
            (a, b) => panic!("`{text}`: {:?} against {:?}", a.is_ok(), b.is_ok()),
        }
    }

    /// Requirement strings around markers: URLs (with and without the space pep508_rs
    /// needs before `;`), parenthesised versions, extras, names alone, broken heads.
    #[test]
    fn requirement_strings_split_as_pep508_rs_reads_them() {
        let mut rng = Rng(99);
        let heads = [
            "numpy",
            "numpy ",
            "numpy>=1.0",
            "numpy >=1.0, <2",
            "numpy (>=1.0)",
            "numpy[a,b] ==1.*",
            "numpy @ https://example.com/numpy-1.0.whl ",
            "numpy @ https://example.com/numpy-1.0.whl",
            "numpy @ https://example.com/a;b.whl ",
            "numpy @ file:///tmp/x y ",
            "numpy-1.0.tar.gz",
            "numpy[",
            "numpy >=",
            "(numpy)",
            "",
            "numpy >=1.0 # c",
        ];
        for head in heads {
            for _ in 0..30 {
                let depth = rng.below(3);
                let m = marker(&mut rng, depth);
                same_requirement(&format!("{head};{m}"));
                same_requirement(&format!("{head} ; {m}"));
                same_requirement(&format!("{head};{m} x"));
            }
        }
    }
}
