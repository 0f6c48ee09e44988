//! Environment-marker reasoning: does a requirement's marker hold on a target environment
//! ([`evaluate`]: true, false or unknown), for a unit that requests a given set of extras?
//!
//! [`evaluate`] walks the marker's decision diagram with every value the environment fixes
//! (`rules/environments.tsv`). A variable it does not fix (`platform_release`,
//! `platform_version`) leaves every branch open: the answer is the branches' common answer,
//! or unknown. So is `python_full_version` (and `implementation_version` on 3.x) when the
//! patch releases of the Python disagree (`python_full_version < "3.7.5"` on 3.7).
//!
//! PEP 508: `python_version` is `major.minor` and `python_full_version` the full version;
//! pep508_rs stores both as `python_full_version` ranges, so a Python `X.Y` is the interval
//! `[X.Y, X.(Y+1))` ([`python_interval`]). `extra == "x"` holds only for extras the unit
//! requests.

use std::str::FromStr;

use pep440_rs::Version;
use pep508_rs::{
    ExtraName, MarkerExpression, MarkerTree, MarkerTreeKind, MarkerValueExtra, MarkerValueString,
    MarkerValueVersion,
};
use version_ranges::Ranges;

use crate::rules::environments::Environment;

mod form;
pub(crate) use form::parse as parse_own;
pub use form::Marker;
use form::Value;

impl From<bool> for Value {
    fn from(b: bool) -> Value {
        if b {
            Value::True
        } else {
            Value::False
        }
    }
}

/// A marker's value on an environment.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Truth {
    True,
    False,
    /// It depends on something the environment does not fix.
    Unknown,
}

impl Truth {
    /// May hold (true or unknown): enough for a trigger to count.
    #[cfg(test)]
    pub(crate) fn may_hold(self) -> bool {
        self != Truth::False
    }

    fn join(self, other: Truth) -> Truth {
        if self == other {
            self
        } else {
            Truth::Unknown
        }
    }
}

/// Whether `b` holds wherever `a` does (`a and not b` is false).
pub(crate) fn implies(a: &Marker, b: &Marker) -> bool {
    if b.is_true() {
        return true;
    }
    if a.is_true() {
        return false;
    }
    if let (Some(x), Some(y)) = (a.as_own(), b.as_own()) {
        if let Some(answer) = form::implies(x, y) {
            return answer;
        }
    }
    a.tree().is_disjoint(&b.tree().negate())
}

/// The value of `marker` on `env` when the unit requests `extras`.
pub fn evaluate(marker: &Marker, env: &Environment, extras: &[ExtraName]) -> Truth {
    if let Some(own) = marker.as_own() {
        return over_pythons(env, |python, implementation| {
            evaluate_own(own, env, extras, python, implementation)
        });
    }
    match marker.as_tree() {
        Some(tree) => evaluate_tree(tree, env, extras),
        None => Truth::True,
    }
}

/// The value of the tree `marker` on `env` (see [`over_pythons`]).
fn evaluate_tree(marker: &MarkerTree, env: &Environment, extras: &[ExtraName]) -> Truth {
    if marker.is_true() {
        return Truth::True;
    }
    over_pythons(env, |python, implementation| {
        let implementation = implementation(&python);
        evaluate_on(marker, env, extras, python, implementation)
    })
}

/// The value of a marker on `env`, given `at`: its value over a range of Pythons (with the
/// range of `implementation_version` that goes with it, asked only when needed), and whether
/// a version comparison split that range.
///
/// The interpreter's patch release is not fixed: the marker is first evaluated over every
/// patch at once (each version node follows every edge the patches reach); when that leaves
/// it unknown and the Python's patches can be listed, it is evaluated on each patch alone
/// (`python_full_version` and `implementation_version` move together on 3.x, so only this
/// is exact) and the answers joined.
fn over_pythons(
    env: &Environment,
    mut at: impl FnMut(Ranges<Version>, &dyn Fn(&Ranges<Version>) -> Ranges<Version>) -> (Truth, bool),
) -> Truth {
    let implementation = |python: &Ranges<Version>| {
        if env.implementation_follows_python() {
            python.clone()
        } else {
            match Version::from_str(env.implementation_version) {
                Ok(v) => Ranges::singleton(v),
                Err(_) => Ranges::full(),
            }
        }
    };
    let python = Ranges::from_range_bounds(env.full_oldest.clone()..=env.full_newest.clone());
    let (first, split) = at(python, &implementation);
    // Unless a Python version node sent the walk down more than one edge, every patch
    // follows the very edges the whole range did: each alone gives the same answer. Then
    // the walk per patch is skipped (an unknown from `platform_release` stays unknown).
    if first != Truth::Unknown || !split {
        return first;
    }
    let Some(patches) = patches(env) else {
        return first;
    };
    let mut acc: Option<Truth> = None;
    for v in patches {
        let (t, _) = at(Ranges::singleton(v), &implementation);
        acc = Some(acc.map_or(t, |a| a.join(t)));
        if acc == Some(Truth::Unknown) {
            break;
        }
    }
    acc.unwrap_or(Truth::Unknown)
}

/// The own form's value over the Pythons in `python`, and whether a version comparison
/// was open on that range (three-valued logic: exact on the own form, see [`form`]).
fn evaluate_own(
    own: &form::Expr,
    env: &Environment,
    extras: &[ExtraName],
    python: Ranges<Version>,
    implementation_range: &dyn Fn(&Ranges<Version>) -> Ranges<Version>,
) -> (Truth, bool) {
    let mut split = false;
    let value = own.value(&mut |atom| match atom {
        form::Atom::Version {
            implementation,
            set,
        } => {
            let v = if *implementation {
                form::value_on(&implementation_range(&python), set)
            } else {
                form::value_on(&python, set)
            };
            split |= v == Value::Unknown;
            v
        }
        form::Atom::Other(MarkerExpression::String {
            key,
            operator,
            value,
        }) => match string_value(env, key) {
            Some(actual) => Value::from(form::string_holds(*operator, value, actual)),
            None => Value::Unknown,
        },
        form::Atom::Other(MarkerExpression::Extra { operator, name }) => {
            Value::from(form::extra_holds(operator, name, extras))
        }
        form::Atom::Other(_) => Value::Unknown,
    });
    let truth = match value {
        Value::True => Truth::True,
        Value::False => Truth::False,
        Value::Unknown => Truth::Unknown,
    };
    (truth, split)
}

/// The final patch releases from the oldest to the newest (`X.Y.0` … `X.Y.N`), when both
/// are `X.Y.Z` of one series and there are at most 100.
fn patches(env: &Environment) -> Option<Vec<Version>> {
    let (lo, hi) = (env.full_oldest.release(), env.full_newest.release());
    if lo.len() != 3 || hi.len() != 3 || lo[..2] != hi[..2] || hi[2] < lo[2] || hi[2] - lo[2] > 100
    {
        return None;
    }
    Some(
        (lo[2]..=hi[2])
            .map(|z| Version::new([lo[0], lo[1], z]))
            .collect(),
    )
}

/// The marker's value over the Pythons in `python`, and whether the walk split on a Python
/// version (some node's edges cut the range, or the visit budget ran out).
fn evaluate_on(
    marker: &MarkerTree,
    env: &Environment,
    extras: &[ExtraName],
    python: Ranges<Version>,
    implementation: Ranges<Version>,
) -> (Truth, bool) {
    #[cfg(test)]
    WALKS.with(|n| n.set(n.get() + 1));
    let mut walk = Walk {
        budget: VISIT_BUDGET,
        split: false,
    };
    let cx = EvalCx {
        env,
        python,
        implementation,
        extras,
    };
    let truth = eval(marker, &cx, &mut walk);
    (truth, walk.split)
}

struct EvalCx<'e> {
    env: &'e Environment,
    python: Ranges<Version>,
    implementation: Ranges<Version>,
    extras: &'e [ExtraName],
}

#[cfg(test)]
thread_local! {
    /// How many walks of a decision diagram [`evaluate`] made (tests).
    static WALKS: std::cell::Cell<usize> = const { std::cell::Cell::new(0) };
}

/// The state of one walk: nodes left to visit, and whether it split on a Python version.
struct Walk {
    budget: usize,
    split: bool,
}

/// The environment's value of a string variable (None: not fixed).
fn string_value<'e>(env: &'e Environment, key: &MarkerValueString) -> Option<&'e str> {
    use MarkerValueString as K;
    Some(match key {
        K::ImplementationName => env.implementation_name,
        K::OsName | K::OsNameDeprecated => env.os_name,
        K::PlatformMachine | K::PlatformMachineDeprecated => env.platform_machine,
        K::PlatformPythonImplementation
        | K::PlatformPythonImplementationDeprecated
        | K::PythonImplementationDeprecated => env.platform_python_implementation,
        K::PlatformSystem => env.platform_system,
        K::SysPlatform | K::SysPlatformDeprecated => env.sys_platform,
        K::PlatformRelease | K::PlatformVersion | K::PlatformVersionDeprecated => {
            debug_assert!(form::is_free_string(key));
            return None;
        }
    })
}

/// The common answer of several branches (unknown when they differ or there are none).
fn all_of(children: impl Iterator<Item = MarkerTree>, cx: &EvalCx, walk: &mut Walk) -> Truth {
    let mut acc: Option<Truth> = None;
    for child in children {
        let t = eval(&child, cx, walk);
        acc = Some(acc.map_or(t, |a| a.join(t)));
        if acc == Some(Truth::Unknown) {
            break;
        }
    }
    acc.unwrap_or(Truth::Unknown)
}

fn eval(m: &MarkerTree, cx: &EvalCx, walk: &mut Walk) -> Truth {
    if walk.budget == 0 {
        walk.split = true;
        return Truth::Unknown;
    }
    walk.budget -= 1;
    match m.kind() {
        MarkerTreeKind::True => Truth::True,
        MarkerTreeKind::False => Truth::False,
        MarkerTreeKind::Version(node) => {
            let values = match node.key() {
                MarkerValueVersion::PythonFullVersion | MarkerValueVersion::PythonVersion => {
                    &cx.python
                }
                MarkerValueVersion::ImplementationVersion => &cx.implementation,
            };
            let children: Vec<MarkerTree> = node
                .edges()
                .filter(|(range, _)| !range.intersection(values).is_empty())
                .map(|(_, child)| child)
                .collect();
            walk.split |= children.len() > 1;
            all_of(children.into_iter(), cx, walk)
        }
        MarkerTreeKind::String(node) => match string_value(cx.env, node.key()) {
            Some(value) => {
                let value = value.to_owned();
                match node.children().find(|(range, _)| range.contains(&value)) {
                    Some((_, child)) => eval(&child, cx, walk),
                    None => Truth::False,
                }
            }
            None => {
                let children: Vec<MarkerTree> = node.children().map(|(_, c)| c).collect();
                all_of(children.into_iter(), cx, walk)
            }
        },
        MarkerTreeKind::In(node) => match string_value(cx.env, node.key()) {
            Some(value) => eval(&node.edge(node.value().contains(value)), cx, walk),
            None => all_of(node.children().map(|(_, c)| c), cx, walk),
        },
        MarkerTreeKind::Contains(node) => match string_value(cx.env, node.key()) {
            Some(value) => eval(&node.edge(value.contains(node.value())), cx, walk),
            None => all_of(node.children().map(|(_, c)| c), cx, walk),
        },
        MarkerTreeKind::Extra(node) => {
            let requested = match node.name() {
                MarkerValueExtra::Extra(name) => cx.extras.contains(name),
                MarkerValueExtra::Arbitrary(_) => false,
            };
            eval(&node.edge(requested), cx, walk)
        }
    }
}

/// Upper bound on nodes visited for one question; a marker larger than that is answered
/// "could hold" (conservative) instead of taking unbounded time.
const VISIT_BUDGET: usize = 100_000;

/// The interval of interpreter versions that a `major.minor` Python covers.
/// (The series is [`crate::python::series_bounds`].)
pub(crate) fn python_interval(python: &str) -> Option<Ranges<Version>> {
    let (lo, hi) = crate::python::series_bounds(crate::python::series(python)?);
    Some(Ranges::between(lo, hi))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::environments::find;

    fn ev(s: &str, python: &str, platform: &str) -> Truth {
        evaluate(&m(s), find(python, platform).unwrap(), &[])
    }

    #[test]
    fn markers_on_environments() {
        use Truth::*;
        assert_eq!(ev("sys_platform == 'linux'", "3.7", "linux"), True);
        assert_eq!(ev("sys_platform == 'linux'", "3.7", "darwin"), False);
        assert_eq!(ev("sys_platform == 'linux'", "2.7", "linux"), False);
        assert_eq!(ev("sys_platform == 'linux2'", "2.7", "linux"), True);
        assert_eq!(ev("'linux' in sys_platform", "2.7", "linux"), True);
        assert_eq!(ev("sys_platform in 'linux2 darwin'", "3.6", "darwin"), True);
        assert_eq!(ev("implementation_name == ''", "2.7", "darwin"), True);
        assert_eq!(
            ev("implementation_name == 'cpython'", "2.7", "darwin"),
            False
        );
        assert_eq!(ev("implementation_name == 'cpython'", "3.5", "win32"), True);
        assert_eq!(ev("platform_machine == 'AMD64'", "3.5", "win32"), True);
        assert_eq!(
            ev("os_name == 'nt' or python_version < '3'", "2.7", "linux"),
            True
        );
        assert_eq!(ev("platform_release >= '5'", "3.7", "linux"), Unknown);
        assert_eq!(
            ev(
                "platform_release >= '5' and sys_platform == 'win32'",
                "3.7",
                "linux"
            ),
            False
        );
        assert_eq!(
            ev(
                "platform_release >= '5' or os_name == 'posix'",
                "3.7",
                "linux"
            ),
            True
        );
        assert_eq!(ev("python_full_version < '3.7.5'", "3.7", "linux"), Unknown);
        // implementation_version is the interpreter's version on 3.x: they move together.
        assert_eq!(
            ev(
                "implementation_version < '3.7.5' or python_full_version >= '3.7.5'",
                "3.7",
                "linux"
            ),
            True
        );
        assert_eq!(ev("python_full_version < '3.8'", "3.7", "linux"), True);
        assert_eq!(ev("implementation_version >= '3.7'", "3.7", "linux"), True);
        assert_eq!(ev("implementation_version == '0'", "2.7", "linux"), True);
        assert_eq!(ev("extra == 'gpu'", "3.7", "linux"), False);
    }

    fn m(s: &str) -> Marker {
        Marker::from_tree(MarkerTree::from_str(s).unwrap())
    }

    fn holds(s: &str, python: &str, extras: &[ExtraName]) -> bool {
        evaluate(&m(s), find(python, "linux").unwrap(), extras).may_hold()
    }

    #[test]
    fn python_version_markers() {
        assert!(holds("python_version < '3.8'", "3.7", &[]));
        assert!(!holds("python_version >= '3.8'", "3.7", &[]));
        assert!(!holds("python_version >= '3.8'", "2.7", &[]));
        assert!(holds("python_full_version >= '3.7.4'", "3.7", &[]));
        assert!(!holds("python_version == '3.6'", "3.7", &[]));
        assert!(holds("python_version == '3.6'", "3.6", &[]));
    }

    /// The walk is repeated per patch only when a Python version splits it: a marker left
    /// unknown by `platform_release` alone costs one walk, not one per 3.7 patch (issue 15
    /// §4: 257k such lines took 5 s). The answers are those of the walk per patch.
    #[test]
    fn a_marker_is_walked_per_patch_only_when_a_python_version_splits_it() {
        let walks = |s: &str| {
            let before = WALKS.with(|n| n.get());
            let t = ev(s, "3.7", "linux");
            (t, WALKS.with(|n| n.get()) - before)
        };
        let patches = patches(find("3.7", "linux").unwrap()).unwrap().len();
        assert!(patches > 1);
        assert_eq!(walks("platform_release == '5'"), (Truth::Unknown, 1));
        assert_eq!(
            walks("platform_release == '5' and python_version >= '3.6'"),
            (Truth::Unknown, 1)
        );
        assert_eq!(walks("sys_platform == 'linux'"), (Truth::True, 1));
        // Split by a patch: every patch walked, and the answers joined.
        let (t, n) = walks("python_full_version < '3.7.5' and platform_release == '5'");
        assert_eq!((t, n > 1), (Truth::Unknown, true));
        let (t, n) = walks(
            "implementation_version < '3.7.5' and python_full_version < '3.7.5' \
             or python_full_version >= '3.7.5' and implementation_version >= '3.7.5'",
        );
        assert_eq!((t, n), (Truth::True, 1 + patches));
    }

    #[test]
    fn extras_hold_only_when_requested() {
        let gpu = ExtraName::from_str("gpu").unwrap();
        assert!(!holds("extra == 'gpu'", "3.7", &[]));
        assert!(holds("extra == 'gpu'", "3.7", std::slice::from_ref(&gpu)));
        assert!(holds("extra != 'gpu'", "3.7", &[]));
        assert!(!holds("extra != 'gpu'", "3.7", &[gpu]));
    }
}
