//! The documentation of every check: the single source for `depwindow rule <CODE>`, the
//! SARIF `rules[]` help text and the README's check table.
//!
//! Each entry says what the check detects, why it matters (with the evidence, see
//! `FACTS.md`), an example that triggers it, and how to fix it.

use crate::diagnostic::{Check, Severity};

#[derive(Clone, Copy, Debug)]
pub struct CheckDoc {
    /// One line, no trailing period.
    pub summary: &'static str,
    /// What the check detects.
    pub what: &'static str,
    /// Why it matters.
    pub why: &'static str,
    /// An input that triggers it (file contents, with the file name in a comment).
    pub example: &'static str,
    /// How to make the finding go away for the right reason.
    pub fix: &'static str,
    /// The severity findings of this check usually carry (SARIF `defaultConfiguration`).
    /// Individual findings may differ; the checker decides.
    pub default_severity: Severity,
}

/// Fill a template with a check's code and name and the fields of its documentation.
macro_rules! render {
    ($doc:expr, $check:expr, $template:literal) => {
        format!(
            $template,
            code = $check.code(),
            name = $check.name(),
            summary = $doc.summary,
            what = $doc.what,
            why = $doc.why,
            example = $doc.example.trim_end(),
            fix = $doc.fix,
        )
    };
}

impl CheckDoc {
    /// The whole entry as Markdown (for `depwindow rule` and SARIF `help.markdown`).
    pub fn markdown(&self, check: Check) -> String {
        render!(
            self,
            check,
            "# {code} {name}\n\n{summary}.\n\n## What it does\n\n{what}\n\n## Why it matters\n\n{why}\n\n## Example\n\n```text\n{example}\n```\n\n## How to fix\n\n{fix}\n"
        )
    }

    /// The whole entry as plain text (SARIF `help.text`).
    pub fn text(&self, check: Check) -> String {
        render!(
            self,
            check,
            "{code} {name}: {summary}.\n\nWhat it does: {what}\n\nWhy it matters: {why}\n\nExample:\n{example}\n\nHow to fix: {fix}\n"
        )
    }
}

pub fn check_doc(check: Check) -> CheckDoc {
    match check {
        Check::ParseError => CheckDoc {
            summary: "A dependency file, or part of it, could not be parsed",
            what: "Reports syntax that neither pip nor the file's own tool would accept: a \
                requirement line that is not valid PEP 508, invalid TOML in \
                `pyproject.toml` or `Pipfile`, invalid JSON in `Pipfile.lock`, a version \
                specifier that is not valid PEP 440. The rest of the file is still checked.",
            why: "Whatever cannot be parsed cannot be checked: a NumPy requirement on that \
                line could admit any version without depwindow noticing. pip itself would \
                stop at the same line, so the file is also broken for installs.",
            example: "# requirements.txt\ntensorflow==1.14.0\nnumpy>=1.14.5,<1.17,\n",
            fix: "Correct the syntax at the reported position (here: drop the trailing \
                comma). `pip install --dry-run -r <file>` shows the same error.",
            default_severity: Severity::Error,
        },
        Check::IncludeError => CheckDoc {
            summary: "An included requirements or constraints file could not be read",
            what: "Reports `-r`/`--requirement` and `-c`/`--constraint` lines (and their \
                equivalents in conda environment files) whose target is missing, is not a \
                regular file, is too large, includes itself in a cycle, or is a URL, which \
                depwindow does not fetch.",
            why: "The included file can pin or loosen NumPy: a constraints file is often \
                exactly where the `numpy<1.17` bound lives. Without reading it the verdict \
                on the including file is incomplete.",
            example: "# requirements.txt\n-c constraints/tf114.txt   # file does not exist\ntensorflow==1.14.0\n",
            fix: "Fix the path (it is relative to the including file, as pip resolves it), \
                or pass the included file to depwindow directly if it lives elsewhere.",
            default_severity: Severity::Error,
        },
        Check::Unevaluable => CheckDoc {
            summary: "A requirement's admitted versions cannot be determined statically",
            what: "Reports requirements that parse but name no version depwindow can reason \
                about: direct references (`numpy @ https://…`, VCS or local paths), \
                environment variables (`${NUMPY_VERSION}`) in the requirement, or markers \
                the evaluator cannot decide.",
            why: "Whether the install stays inside TensorFlow 1.14.0's tested NumPy window \
                (`>=1.14.5,<1.17`) then depends on something outside the file: what the URL \
                serves today, or the environment at install time.",
            example: "# requirements.txt\ntensorflow==1.14.0\nnumpy @ https://example.org/wheels/numpy-latest.whl\n",
            fix: "Prefer a versioned requirement (`numpy>=1.14.5,<1.17`). If the direct \
                reference is deliberate, make sure it points at a build inside the window \
                and suppress the finding with a reason.",
            default_severity: Severity::Warning,
        },
        Check::OutsideWindow => CheckDoc {
            summary: "A dependency range admits versions outside TensorFlow 1.14.0's tested window",
            what: "Reports a requirement on a package covered by a rule (NumPy, protobuf, \
                gast, h5py, wrapt, astor) whose version range, after combining every \
                requirement, constraint and marker that applies, admits published releases \
                outside the window the rule states. For NumPy the window is \
                `>=1.14.5,<1.17` (1.14.5 to 1.16.6). The finding names the releases let in \
                and, per Python version, the one pip would pick.",
            why: "TensorFlow 1.14.0 declares `numpy>=1.14.5,<2.0`, but it was tested only \
                against NumPy up to 1.16 (its CI pinned 1.14.5; 1.16.4 was the newest NumPy \
                at its release). Outside that window it degrades step by step: NumPy 1.17 to \
                1.19 triggers FutureWarnings at import from `dtypes.py` \
                (tensorflow/tensorflow#32553, #31817, #30427; the fix shipped only in 1.15); \
                1.20 to 1.23 adds DeprecationWarnings for `np.object`/`np.bool`; from 1.24 \
                `import tensorflow` fails with an AttributeError because those aliases are \
                gone; below 1.14.5 the install violates TensorFlow's own requirement; and \
                NumPy 2.0 breaks the C ABI. An unbounded `numpy>=1.14.5` installs NumPy \
                1.21.6 on Python 3.7 today.",
            example: "# requirements.txt\ntensorflow==1.14.0\nnumpy>=1.14.5\n",
            fix: "Bound the range to the window: `numpy>=1.14.5,<1.17` (or pin a tested \
                release such as `numpy==1.16.6`). When the requirement lives in a file you \
                cannot change, add a constraints file with the bound (`pip install -c`).",
            default_severity: Severity::Error,
        },
        Check::Unconstrained => CheckDoc {
            summary: "A dependency covered by a rule is installed with no version constraint",
            what: "Reports a package covered by a rule (such as NumPy beside \
                `tensorflow==1.14.0`) that is required without any version specifier, \
                either named bare (`numpy`) or left entirely to TensorFlow's own \
                requirement, so that nothing in the project narrows what pip may pick.",
            why: "pip then installs the newest release that TensorFlow's declared range \
                (`numpy>=1.14.5,<2.0`) and the running Python allow: NumPy 1.21.6 on Python \
                3.7, 1.19.5 on 3.6, 1.18.5 on 3.5, all outside the tested window \
                `>=1.14.5,<1.17`. Every new NumPy release can change what the same file \
                installs.",
            example: "# requirements.txt\ntensorflow==1.14.0\nnumpy\n",
            fix: "State the window explicitly: `numpy>=1.14.5,<1.17`. If NumPy is not \
                otherwise a direct dependency, add it as a constraint (`-c` file, uv \
                `constraint-dependencies`) rather than a requirement.",
            default_severity: Severity::Error,
        },
        Check::Unsatisfiable => CheckDoc {
            summary: "The requirements on a package admit no version at all",
            what: "Reports a package whose requirements and constraints, combined as pip \
                combines them (intersection of all specifier sets that apply on a given \
                Python), leave no version, or only versions that no published release \
                matches. The related locations show the requirements that conflict.",
            why: "pip fails to resolve (`ResolutionImpossible`) and nothing is installed. A \
                common case is a NumPy bound below TensorFlow 1.14.0's declared minimum, \
                such as `numpy<1.14`, which conflicts with TensorFlow's `numpy>=1.14.5` \
                (tensorflow/tensorflow#21939).",
            example: "# requirements.txt\ntensorflow==1.14.0\nnumpy>=1.14.5\nnumpy<1.14\n",
            fix: "Remove or correct the conflicting bound so the ranges overlap inside the \
                tested window, for example a single `numpy>=1.14.5,<1.17`.",
            default_severity: Severity::Error,
        },
        Check::NoSupportedPython => CheckDoc {
            summary: "A requirement only applies on Pythons TensorFlow 1.14.0 does not support",
            what: "Reports a requirement whose environment markers, or the file's \
                `requires-python`, can only hold on Python versions for which no TensorFlow \
                1.14.0 wheel exists. TensorFlow 1.14.0 ships wheels for CPython 2.7, 3.5, \
                3.6 and 3.7 only.",
            why: "Such a requirement can never be installed beside TensorFlow 1.14.0: either \
                it is dead (a NumPy bound written for `python_version >= \"3.8\"` never \
                constrains the Pythons that matter, leaving them unconstrained), or the \
                project cannot install TensorFlow 1.14.0 at all.",
            example: "# requirements.txt\ntensorflow==1.14.0\nnumpy>=1.14.5,<1.17; python_version >= \"3.8\"\n",
            fix: "Correct the marker to the Pythons the project runs on (for TensorFlow \
                1.14.0: `python_version < \"3.8\"`), or drop the marker.",
            default_severity: Severity::Warning,
        },
        Check::LockIncomplete => CheckDoc {
            summary: "A lockfile does not pin a package covered by a rule for every environment",
            what: "Reports a lockfile (Pipfile.lock, poetry.lock, uv.lock, pdm.lock, \
                pylock.toml) that locks TensorFlow 1.14.0 but has no pinned version of a \
                package the rule covers, or pins it only for some of the Pythons or \
                platforms the lock claims to support.",
            why: "Where the lock has no pin, the version is chosen at install time, exactly \
                as if the package were unconstrained: pip or the installer takes the newest \
                release allowed, which for NumPy on Python 3.7 is 1.21.6, outside the tested \
                window `>=1.14.5,<1.17`. The lock gives a false sense of reproducibility.",
            example: "# Pipfile.lock (excerpt)\n\"default\": {\n  \"tensorflow\": {\"version\": \"==1.14.0\"}\n}\n",
            fix: "Add a bounded requirement to the project's manifest (`numpy>=1.14.5,<1.17`) \
                and regenerate the lock so every environment gets a pin inside the window.",
            default_severity: Severity::Warning,
        },
        Check::UnusedSuppression => CheckDoc {
            summary: "An inline suppression silences nothing",
            what: "Reports a depwindow suppression comment whose codes matched no finding on \
                the line it applies to.",
            why: "Stale suppressions hide future findings: once the line changes back, the \
                comment would silence a real problem nobody reviewed. They also mislead \
                readers about what is wrong with the line.",
            example: "# requirements.txt\nnumpy>=1.14.5,<1.17  # depwindow: ignore[DW101] reason: pinned by CI\n",
            fix: "Delete the suppression, or correct its code if it was meant for a \
                different check.",
            default_severity: Severity::Warning,
        },
    }
}

/// A rule's documentation as Markdown (for `depwindow rule <rule-id>` and the README): the
/// trigger, the window, what the trigger itself declares, what happens outside the window
/// (each tier with its sources), install notes, the explanation and the evidence.
pub fn rule_markdown(rule: &crate::rules::Rule) -> String {
    let mut s = format!(
        "# {}\n\n{}.\n\n",
        rule.id,
        rule.summary.trim_end_matches('.')
    );
    let trigger = rule
        .trigger
        .distributions
        .iter()
        .map(|d| format!("`{d}{}`", rule.trigger.version.text))
        .collect::<Vec<_>>()
        .join(", ");
    s.push_str(&format!("- Applies when installing: {trigger}\n"));
    s.push_str(&format!(
        "- On Pythons: {}\n",
        rule.trigger.pythons.join(", ")
    ));
    s.push_str(&format!("- Package: `{}`\n", rule.package));
    s.push_str(&format!("- Tested window: `{}`\n", rule.window.text));
    if let Some(d) = &rule.declared {
        s.push_str(&format!("- Declared by the trigger: `{}`\n", d.text));
    }
    if let Some(p) = &rule.python {
        s.push_str(&format!("- Only on Pythons: `{p}`\n"));
    }
    if let Some(v) = &rule.via {
        s.push_str(&format!("- Brought in via: `{v}`\n"));
    }
    s.push_str(&format!(
        "- Default severity: {}; no requirement at all is {}\n",
        rule.severity.as_str(),
        if rule.absence_is_finding {
            "a finding"
        } else {
            "not a finding"
        }
    ));
    s.push_str(&format!("\n## Why\n\n{}\n", rule.explanation.trim()));
    if !rule.effects.is_empty() {
        s.push_str("\n## Outside the window\n\n");
        for e in &rule.effects {
            s.push_str(&format!(
                "- `{}`: {} (sources: {})\n",
                e.range.text,
                e.effect,
                e.sources.join("; ")
            ));
        }
    }
    if !rule.install_notes.is_empty() {
        s.push_str("\n## Install notes\n\n");
        for n in &rule.install_notes {
            s.push_str(&format!("- {n}\n"));
        }
    }
    s.push_str("\n## Sources\n\n");
    for src in rule.sources.iter().chain(&rule.trigger.sources) {
        s.push_str(&format!("- {src}\n"));
    }
    s
}

/// Every check, then every rule, separated by blank lines (`depwindow rule --all`).
pub fn all_markdown(rules: &[crate::rules::Rule]) -> String {
    let mut parts: Vec<String> = Check::ALL
        .iter()
        .map(|c| check_doc(*c).markdown(*c))
        .collect();
    parts.extend(rules.iter().map(rule_markdown));
    parts.join("\n")
}

/// The README's generated reference: the same text as `depwindow rule --all` for the
/// built-in rules, with headings moved two levels down to sit under `## Checks and rules`.
pub fn readme_section(rules: &[crate::rules::Rule]) -> String {
    let mut out = String::new();
    let mut in_code = false;
    for line in all_markdown(rules).lines() {
        if line.starts_with("```") {
            in_code = !in_code;
        }
        if !in_code && line.starts_with('#') {
            out.push_str("##");
        }
        out.push_str(line);
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_check_is_documented_in_full() {
        for check in Check::ALL {
            let doc = check_doc(check);
            for (field, text) in [
                ("summary", doc.summary),
                ("what", doc.what),
                ("why", doc.why),
                ("example", doc.example),
                ("fix", doc.fix),
            ] {
                assert!(
                    text.trim().len() > 10,
                    "{} {field} is too short",
                    check.code()
                );
            }
            assert!(
                !doc.summary.ends_with('.'),
                "{} summary ends with a period",
                check.code()
            );
            let md = doc.markdown(check);
            assert!(md.starts_with(&format!("# {} {}", check.code(), check.name())));
        }
    }

    #[test]
    fn summaries_are_distinct() {
        let mut s: Vec<_> = Check::ALL.iter().map(|c| check_doc(*c).summary).collect();
        s.sort();
        s.dedup();
        assert_eq!(s.len(), Check::ALL.len());
    }
}
