//! Documentation output: `depwindow rule`, SARIF help and the README's reference. A
//! check's text lives in its own file (`src/check/<check>.md`, through the check
//! registry) and a rule's in its data (`rules/*.toml`); this module puts them together.

use crate::check::CheckDoc;
use crate::diagnostic::Check;
use crate::rules::Rule;

/// The rule whose data fills the check documentation's placeholders: the first rule in
/// effect (the built-in ones unless configured otherwise).
pub(crate) fn reference_rule(rules: &[Rule]) -> Option<&Rule> {
    rules.first().or_else(|| crate::rules::builtin().first())
}

/// A check's documentation, phrased for the rules in effect.
pub(crate) fn check_doc(check: Check, rules: &[Rule]) -> CheckDoc {
    check.doc(reference_rule(rules))
}

/// A rule's documentation as Markdown (for `depwindow rule <rule-id>` and the README): the
/// trigger, the window, what the trigger itself declares, what happens outside the window
/// (each tier with its sources), install notes, the explanation and the evidence.
pub(crate) fn rule_markdown(rule: &Rule) -> String {
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
        match (rule.absence_is_finding, rule.absence_severity) {
            (false, _) => "not a finding",
            (true, s) if s == rule.severity => "a finding",
            (true, _) => "a finding, at most a warning",
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
pub(crate) fn all_markdown(rules: &[Rule]) -> String {
    let mut parts: Vec<String> = Check::ALL
        .iter()
        .map(|c| check_doc(*c, rules).markdown())
        .collect();
    parts.extend(rules.iter().map(rule_markdown));
    parts.join("\n")
}

/// The README's generated reference: the same text as `depwindow rule --all` for the
/// built-in rules, with headings moved two levels down to sit under `## Checks and rules`.
pub fn readme_section(rules: &[Rule]) -> String {
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
    fn summaries_are_distinct() {
        let rules = crate::rules::builtin();
        let mut s: Vec<_> = Check::ALL
            .iter()
            .map(|c| check_doc(*c, rules).summary)
            .collect();
        s.sort();
        s.dedup();
        assert_eq!(s.len(), Check::ALL.len());
    }
}
