//! Which edit a finding proposes: the fix intents of [`super::verdict::FixIntent`] made
//! concrete (narrow a range into the window, insert a requirement after the trigger), and
//! the re-lock hint for lockfiles. The format-specific text comes from `crate::fix`.

use std::str::FromStr;

use pep440_rs::Version;

use super::compact;
use super::evaluate::{any_published, req_set};
use crate::diagnostic::{Applicability, Fix};
use crate::files::Files;
use crate::manifest::{Loc, Parsed, Requirement, Syntax, VersionReq};
use crate::rules::releases::Status;
use crate::rules::Rule;
use crate::versions::VersionSet;

/// Narrow the offending requirement into the window, keeping the author's intent:
/// keep the clauses that narrow the window, add the window bounds the requirement crosses;
/// a pin (or a range with nothing left) becomes the newest in-window release.
pub(super) fn range_fix(
    files: &Files,
    rule: &Rule,
    r: &Requirement,
    pythons: &[String],
    parsed: &Parsed,
) -> Option<Fix> {
    if r.syntax == Syntax::Lock {
        return None;
    }
    let window = &rule.window;
    let file = files.get(r.loc.file);
    let clauses_text: Vec<String> = match &r.version {
        // Keep the author's own clause text where it maps one to one.
        VersionReq::Specifiers { clauses, .. }
            if !clauses.is_empty() && r.syntax == Syntax::Pep508 =>
        {
            clauses
                .iter()
                .map(|c| file.slice(*c).trim().to_owned())
                .collect()
        }
        VersionReq::Specifiers { specifiers, .. } => {
            specifiers.iter().map(|s| s.to_string()).collect()
        }
        VersionReq::Any => Vec::new(),
        // A union (Poetry `||`, conda `|`): replaced by the window as a whole.
        VersionReq::AnyOf { .. } => Vec::new(),
        _ => return None,
    };
    let own = req_set(r)?;
    let is_pin = clauses_text
        .iter()
        .any(|c| c.starts_with("==") && !c.ends_with(".*") || c.starts_with("==="));
    // The window bounds this requirement crosses.
    let needed: Vec<String> = window
        .specifiers
        .iter()
        .filter(|w| {
            own.witness_outside(&VersionSet::from_specifier(w))
                .is_some()
        })
        .map(|w| w.to_string())
        .collect();
    // First the author's clauses that narrow the window (dropping bounds the window
    // replaces), then all of them; the first candidate inside the window with a published
    // release wins.
    let narrowing: Vec<String> = clauses_text
        .iter()
        .filter(|c| {
            pep440_rs::VersionSpecifiers::from_str(c)
                .map(|cs| !window.set.is_subset(&VersionSet::from_specifiers(&cs)))
                .unwrap_or(true)
        })
        .cloned()
        .collect();
    let mut replacement = None;
    if !is_pin {
        // Last resort for a range: the window itself (a range stays a range).
        let with_needed = |kept: &Vec<String>| {
            kept.iter()
                .chain(&needed)
                .cloned()
                .collect::<Vec<_>>()
                .join(",")
        };
        // Last resort for a range: the window itself (a range stays a range).
        let window_only: Vec<String> = window.specifiers.iter().map(|w| w.to_string()).collect();
        for text in [
            with_needed(&narrowing),
            with_needed(&clauses_text),
            window_only.join(","),
        ] {
            let Ok(specs) = pep440_rs::VersionSpecifiers::from_str(&text) else {
                continue;
            };
            let set = VersionSet::from_specifiers(&specs);
            if set.witness_outside(&window.set).is_none()
                && !set.is_empty()
                && any_published(rule, &set)
            {
                replacement = Some(text);
                break;
            }
        }
    }
    let replacement = match replacement {
        Some(t) => t,
        None => {
            // The newest in-window release that installs on every Python the finding holds on.
            let pys: Vec<Version> = pythons
                .iter()
                .filter_map(|p| Version::from_str(p).ok())
                .collect();
            let best = rule.releases.releases.iter().rev().find(|rel| {
                rel.status == Status::Final
                    && window.set.contains(&rel.version)
                    && pys.iter().all(|p| rel.installs_on(p))
            })?;
            format!("=={}", best.text)
        }
    };
    let (applicability, reason) = if r.hashed || parsed.hashed {
        (
            Applicability::Unsafe,
            Some("the file is in pip hash-checking mode: the hashes must be regenerated (e.g. `pip-compile --generate-hashes`)".to_owned()),
        )
    } else {
        (Applicability::Safe, None)
    };
    let edit = crate::formats::Edit::ReplaceVersion {
        req: r,
        spec: &replacement,
    };
    let (span, replacement) = crate::formats::render(file, &edit)?;
    Some(Fix {
        loc: Loc {
            file: r.loc.file,
            span,
        },
        replacement,
        applicability,
        reason,
    })
}

/// For an unconstrained package: insert a requirement right after the trigger, in the
/// file's own syntax and layout (the format renders it: `formats::InputFormat::insert`).
pub(super) fn unconstrained_fix(
    files: &Files,
    tf: &Requirement,
    parsed: &Parsed,
    pkg: &str,
    spec: &str,
) -> Option<Fix> {
    let file = files.get(tf.loc.file);
    let edit = crate::formats::Edit::InsertRequirement {
        after: tf,
        name: pkg,
        spec,
    };
    let (span, replacement) = crate::formats::render(file, &edit)?;
    let (applicability, reason) = if parsed.hashed || tf.hashed {
        (Applicability::Unsafe, Some("the file is in pip hash-checking mode: a line without hashes fails pip's hash check; regenerate the hashes".to_owned()))
    } else {
        (Applicability::Safe, None)
    };
    Some(Fix {
        loc: Loc {
            file: tf.loc.file,
            span,
        },
        replacement,
        applicability,
        reason,
    })
}

pub(super) fn fix_preview(files: &Files, r: &Requirement, fix: &Fix) -> String {
    let file = files.get(r.loc.file);
    if fix.loc.span.start >= r.loc.span.start && fix.loc.span.end <= r.loc.span.end {
        let whole = file.slice(r.loc.span);
        let a = fix.loc.span.start - r.loc.span.start;
        let b = fix.loc.span.end - r.loc.span.start;
        if let (Some(pre), Some(post)) = (whole.get(..a), whole.get(b..)) {
            return compact(&format!("{pre}{}{post}", fix.replacement));
        }
    }
    compact(&fix.replacement)
}

/// `` (`poetry lock`)``: the command that regenerates the lockfile `r` is in.
pub(super) fn relock_hint(_files: &Files, r: &Requirement) -> String {
    r.format
        .imp()
        .relock_command()
        .map(|c| format!(" (`{c}`)"))
        .unwrap_or_default()
}
