#![doc = include_str!("no_supported_python.md")]
//!
//! (This check's documentation is the Markdown file above: `depwindow rule DW104`, SARIF
//! help and the README show it, its placeholders filled from a rule.)

use super::registry::{CheckInfo, Decides};
use crate::diagnostic::Severity;

pub(crate) const INFO: CheckInfo = CheckInfo {
    code: "DW104",
    name: "no-supported-python",
    default_severity: Severity::Warning,
    doc: include_str!("no_supported_python.md"),
    decides: Decides::NoPython(judge),
};

use super::evaluate::{admits_only_trigger, admits_trigger, is_trigger_name};
use super::verdict::Judgement;
use super::{Options, Unit};
use crate::manifest::{Parsed, Role};
use crate::rules::Rule;

/// Called when no target environment is left: a finding when the file's `requires-python`
/// itself excludes every Python of the trigger (not `--python` or `--platform`) and the unit
/// requires the trigger with a range that admits nothing else (a constraint alone installs
/// nothing; a bare `tensorflow` wants a newer release, which may support the project's
/// Python).
fn judge<'a>(
    parsed: &'a Parsed,
    unit: &Unit<'a>,
    rule: &Rule,
    opts: &Options,
) -> Option<Judgement<'a>> {
    let (spec, loc) = parsed.requires_python.as_ref()?;
    if rule
        .trigger
        .pythons
        .iter()
        .any(|p| crate::python::allows_python(spec, p))
    {
        return None;
    }
    let trigger = unit.requirements.iter().copied().find(|r| {
        is_trigger_name(rule, &r.name, opts)
            && r.role != Role::Constrain
            && admits_trigger(rule, r)
            && admits_only_trigger(rule, r)
    })?;
    Some(Judgement::NoSupportedPython {
        requires_python: *loc,
        trigger,
    })
}
