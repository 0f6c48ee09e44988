//! The check registry. A check is a file of its own in `src/check/` holding its
//! [`CheckInfo`] (code, name, default severity, where it is decided, and its documentation:
//! a Markdown file beside it that is also the module's doc comment) and, for the checks the
//! evaluator decides, its verdict code. The list of checks is the `checks!` invocation in
//! `src/check/mod.rs`, one line per check; [`Check`]'s code, name and documentation derive
//! from it.

use super::Check;
use crate::diagnostic::Severity;
use crate::rules::Rule;

/// What a check is, as the registry lists it.
#[derive(Clone, Copy, Debug)]
pub(crate) struct CheckInfo {
    /// The stable code (`DW101`): a contract, like the name.
    pub code: &'static str,
    /// The stable kebab-case name (`outside-window`).
    pub name: &'static str,
    /// The severity findings of this check usually carry (SARIF `defaultConfiguration`).
    /// Individual findings may differ; the checker decides.
    pub default_severity: Severity,
    /// The documentation, Markdown: a summary line (no trailing period), then the sections
    /// `What it does`, `Why it matters`, `Example` (one fenced block) and `How to fix`.
    /// Rule-specific words are placeholders (`{package}`, `{window}`, ...) filled from a
    /// rule's data by [`CheckDoc::for_rule`], so the text reads right for any rule.
    pub doc: &'static str,
    /// Where the check is decided.
    pub(crate) decides: Decides,
}

/// Where a check is decided.
#[derive(Clone, Copy)]
pub(crate) enum Decides {
    /// Outside the evaluator: from parser problems (`problem_diagnostics`) or over every
    /// finding (`crate::suppress`).
    Elsewhere,
    /// By the evaluator for each (unit, rule, Python) where the trigger is required: the
    /// per-Python checks are asked in `order` (lowest first) and the first that finds
    /// something gives the verdict.
    PerPython {
        order: u8,
        judge: super::evaluate::Judge,
    },
    /// By the evaluator for each (unit, rule) when no Python is left to ask about.
    NoPython(super::evaluate::UnitJudge),
}

impl std::fmt::Debug for Decides {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Decides::Elsewhere => f.write_str("Elsewhere"),
            Decides::PerPython { order, .. } => write!(f, "PerPython({order})"),
            Decides::NoPython(_) => f.write_str("NoPython"),
        }
    }
}

/// The registry: `checks! { Variant => module, ... }` declares each check's module (its file
/// `src/check/<module>.rs`) and generates [`Check`] with `ALL` and `info()` from them.
macro_rules! checks {
    ($($variant:ident => $module:ident,)*) => {
        $(mod $module;)*

        /// The checks, with stable codes and kebab-case names (a contract: JSON, SARIF,
        /// suppressions and config all use them). Generated from the registry.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub enum Check {
            $($variant,)*
        }

        impl Check {
            /// Every check, in registry order (SARIF `ruleIndex` follows it).
            pub const ALL: &'static [Check] = &[$(Check::$variant,)*];

            /// The registry entry of the check.
            pub(crate) fn info(self) -> &'static $crate::check::registry::CheckInfo {
                match self {
                    $(Check::$variant => &$module::INFO,)*
                }
            }
        }
    };
}

impl Check {
    pub fn code(self) -> &'static str {
        self.info().code
    }

    pub fn name(self) -> &'static str {
        self.info().name
    }

    /// Look a check up by code (`DW101`) or name (`outside-window`).
    pub fn from_str_loose(s: &str) -> Option<Check> {
        Check::ALL
            .iter()
            .copied()
            .find(|c| c.code().eq_ignore_ascii_case(s) || c.name() == s)
    }

    /// The check's documentation, its placeholders filled from `rule` (left as written
    /// without one).
    pub(crate) fn doc(self, rule: Option<&Rule>) -> CheckDoc {
        CheckDoc::for_rule(self, rule)
    }
}

/// A check's documentation with its rule-specific words filled in: the single source for
/// `depwindow rule <CODE>`, the SARIF `rules[]` help text and the README's check table.
#[derive(Clone, Debug)]
pub(crate) struct CheckDoc {
    pub check: Check,
    /// One line, no trailing period.
    pub summary: String,
    /// What the check detects.
    pub what: String,
    /// Why it matters.
    pub why: String,
    /// An input that triggers it (file contents, with the file name in a comment).
    pub example: String,
    /// How to make the finding go away for the right reason.
    pub fix: String,
    pub default_severity: Severity,
}

impl CheckDoc {
    /// Split the check's Markdown into its parts and fill its placeholders from `rule`.
    pub(crate) fn for_rule(check: Check, rule: Option<&Rule>) -> CheckDoc {
        let info = check.info();
        let text = match rule {
            Some(rule) => fill(info.doc, rule),
            None => info.doc.to_owned(),
        };
        let mut summary = String::new();
        let mut sections: Vec<(&str, Vec<&str>)> = Vec::new();
        for line in text.lines() {
            if let Some(h) = line.strip_prefix("## ") {
                sections.push((h.trim(), Vec::new()));
            } else if let Some((_, body)) = sections.last_mut() {
                body.push(line);
            } else if summary.is_empty() {
                summary = line.trim().to_owned();
            }
        }
        let section = |name: &str| -> Vec<&str> {
            sections
                .iter()
                .find(|(h, _)| *h == name)
                .map(|(_, b)| b.clone())
                .unwrap_or_default()
        };
        // Prose: one paragraph, its wrapped lines joined.
        let prose = |name: &str| -> String {
            section(name)
                .iter()
                .map(|l| l.trim())
                .filter(|l| !l.is_empty())
                .collect::<Vec<_>>()
                .join(" ")
        };
        // The example: the fenced block's lines, as written.
        let mut example = String::new();
        let mut inside = false;
        for line in section("Example") {
            if line.starts_with("```") {
                inside = !inside;
            } else if inside {
                example.push_str(line);
                example.push('\n');
            }
        }
        CheckDoc {
            check,
            summary,
            what: prose("What it does"),
            why: prose("Why it matters"),
            example,
            fix: prose("How to fix"),
            default_severity: info.default_severity,
        }
    }

    /// The whole entry as Markdown (for `depwindow rule` and SARIF `help.markdown`).
    pub(crate) fn markdown(&self) -> String {
        format!(
            "# {code} {name}\n\n{summary}.\n\n## What it does\n\n{what}\n\n## Why it matters\n\n{why}\n\n## Example\n\n```text\n{example}\n```\n\n## How to fix\n\n{fix}\n",
            code = self.check.code(),
            name = self.check.name(),
            summary = self.summary,
            what = self.what,
            why = self.why,
            example = self.example.trim_end(),
            fix = self.fix,
        )
    }

    /// The whole entry as plain text (SARIF `help.text`).
    pub(crate) fn text(&self) -> String {
        format!(
            "{code} {name}: {summary}.\n\nWhat it does: {what}\n\nWhy it matters: {why}\n\nExample:\n{example}\n\nHow to fix: {fix}\n",
            code = self.check.code(),
            name = self.check.name(),
            summary = self.summary,
            what = self.what,
            why = self.why,
            example = self.example.trim_end(),
            fix = self.fix,
        )
    }
}

/// Replace the placeholders of a check's documentation with `rule`'s data.
fn fill(doc: &str, rule: &Rule) -> String {
    let t = &rule.trigger;
    let dist = t
        .distributions
        .first()
        .map(|d| d.to_string())
        .unwrap_or_default();
    let pkg = rule.package.to_string();
    // A pin that conflicts with the window: the first final release past it (else any
    // outside it), or a bound that admits nothing.
    let releases = &rule.releases.releases;
    let newest_inside = releases
        .iter()
        .filter(|r| rule.window.set.contains(&r.version))
        .map(|r| &r.version)
        .max();
    let conflict = rule
        .outside_final
        .iter()
        .find(|&&i| newest_inside.is_some_and(|v| releases[i].version > *v))
        .or(rule.outside_final.first())
        .map(|&i| format!("=={}", releases[i].text))
        .unwrap_or_else(|| "<0".to_owned());
    // What each range outside the window does, with its sources.
    let effects = if rule.effects.is_empty() {
        "no effects are recorded".to_owned()
    } else {
        rule.effects
            .iter()
            .map(|e| {
                format!(
                    "`{}`: {} ({})",
                    e.range.text,
                    e.effect,
                    e.sources.join("; ")
                )
            })
            .collect::<Vec<_>>()
            .join("; ")
    };
    let values: [(&str, String); 13] = [
        ("{rule}", rule.id.clone()),
        ("{trigger}", t.title.clone()),
        ("{trigger-requirement}", format!("{dist}{}", t.version.text)),
        ("{trigger-distribution}", dist),
        ("{trigger-version}", t.version.text.clone()),
        ("{pythons}", t.pythons.join(", ")),
        ("{unsupported-python}", next_python(&t.pythons)),
        ("{package}", pkg),
        ("{window}", rule.window.text.clone()),
        (
            "{loose}",
            rule.declared
                .as_ref()
                .map(|d| d.text.clone())
                .unwrap_or_else(|| ">=0".to_owned()),
        ),
        ("{conflict}", conflict),
        ("{effects}", effects),
        (
            "{declared}",
            rule.declared
                .as_ref()
                .map(|d| d.text.clone())
                .unwrap_or_default(),
        ),
    ];
    let mut out = doc.to_owned();
    for (key, value) in &values {
        out = out.replace(key, value);
    }
    out
}

/// The first Python series after the newest one in `pythons` (`3.7` -> `3.8`).
fn next_python(pythons: &[String]) -> String {
    let newest = pythons
        .iter()
        .filter_map(|p| {
            let (a, b) = p.split_once('.')?;
            Some((a.parse::<u64>().ok()?, b.parse::<u64>().ok()?))
        })
        .max();
    match newest {
        Some((major, minor)) => format!("{major}.{}", minor + 1),
        None => "4.0".to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_and_names_are_unique() {
        let mut codes: Vec<_> = Check::ALL.iter().map(|c| c.code()).collect();
        let mut names: Vec<_> = Check::ALL.iter().map(|c| c.name()).collect();
        codes.sort_unstable();
        codes.dedup();
        names.sort_unstable();
        names.dedup();
        assert_eq!(codes.len(), Check::ALL.len());
        assert_eq!(names.len(), Check::ALL.len());
    }

    #[test]
    fn every_check_is_documented_in_full_without_leftover_placeholders() {
        for rule in crate::rules::builtin() {
            for &check in Check::ALL {
                let doc = check.doc(Some(rule));
                for (field, text) in [
                    ("summary", &doc.summary),
                    ("what", &doc.what),
                    ("why", &doc.why),
                    ("example", &doc.example),
                    ("fix", &doc.fix),
                ] {
                    assert!(
                        text.trim().len() > 10,
                        "{} {field} is too short",
                        check.code()
                    );
                    // A placeholder is `{word}`; `${VAR}` is an example's own text.
                    for (i, _) in text.match_indices('{') {
                        let key = text[i + 1..].split('}').next().unwrap_or("");
                        let var = text[..i].ends_with('$');
                        assert!(
                            var || key.contains([' ', '"', '\n']) || key.is_empty(),
                            "{}: placeholder {{{key}}} left in {field}",
                            check.code()
                        );
                    }
                }
                assert!(!doc.summary.ends_with('.'), "{}", check.code());
                assert!(doc.markdown().starts_with(&format!(
                    "# {} {}\n\n",
                    check.code(),
                    check.name()
                )));
            }
        }
    }

    #[test]
    fn docs_name_the_rule_they_are_rendered_for() {
        // A user's own rule: its names, not the built-in ones, appear in the docs.
        let toml = r#"
schema = 1
[trigger]
title = "Torch 1.4.0"
distributions = ["torch"]
version = "==1.4.0"
pythons = ["3.6", "3.7", "3.8"]
[[package]]
id = "torch-1.4/numpy"
name = "numpy"
window = ">=1.16,<1.19"
absence = "ignore"
severity = "warning"
summary = "NumPy for Torch 1.4"
explanation = "Tested with NumPy 1.16 to 1.18."
sources = ["a source"]
"#;
        let rules = crate::rules::load_rule_file("torch.toml", toml, None).unwrap();
        let md = Check::NoSupportedPython.doc(Some(&rules[0])).markdown();
        assert!(md.contains("(Torch 1.4.0: Python 3.6, 3.7, 3.8)"), "{md}");
        assert!(
            md.contains("requires-python = \">=3.9\"\ndependencies = [\"torch==1.4.0\"]"),
            "{md}"
        );
        let all: String = Check::ALL
            .iter()
            .map(|c| c.doc(Some(&rules[0])).markdown())
            .collect();
        assert!(
            !all.contains("TensorFlow") && !all.contains("tensorflow"),
            "{all}"
        );
    }

    #[test]
    fn next_python_follows_the_newest() {
        assert_eq!(
            next_python(&["2.7".into(), "3.10".into(), "3.9".into()]),
            "3.11"
        );
        assert_eq!(next_python(&[]), "4.0");
    }
}
