//! `sarif`: SARIF 2.1.0 (OASIS), the format GitHub code scanning and most IDE viewers
//! read. Hand-written serde structs covering the subset we emit (serde-sarif does not
//! build on its own, see CRATES.md); validated against the official schema in tests.
//!
//! Choices that matter to consumers:
//! - `run.columnKind` is `unicodeCodePoints` (SARIF's default is UTF-16 code units);
//!   `charOffset`/`charLength` count the same unit, from the start of the decoded text.
//! - `ruleId` is the check code (`DW101`); the rule data id (`tensorflow-1.14/numpy`)
//!   and the evaluation details go into the result's `properties`.
//! - URIs are relative to `%SRCROOT%` (the working directory), percent-encoded (RFC 3986).
//! - `partialFingerprints` hash path, code, rule and the offending text, not lines.
//! - Suppressed findings are kept, with an `inSource` suppression carrying the reason.

use std::borrow::Cow;
use std::collections::BTreeMap;

use serde::Serialize;

use super::{resolve, Emitter, Fingerprints, Report, TOOL_NAME};
use crate::diagnostic::{
    Applicability, Check, Diagnostic, Pick, Place, ReleaseNames, ReleaseSummary, Severity,
};
use crate::source::Excerpts;
use crate::manifest::Loc;

pub(crate) struct Sarif;

pub(crate) const SCHEMA_URI: &str =
    "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json";
/// Key of our fingerprint in `partialFingerprints` (versioned: change the hash, bump it).
pub(crate) const FINGERPRINT_KEY: &str = "depwindow/v1";
const SRCROOT: &str = "%SRCROOT%";

#[derive(Serialize)]
struct Log<'a, R> {
    #[serde(rename = "$schema")]
    schema: &'static str,
    version: &'static str,
    runs: Vec<Run<'a, R>>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Run<'a, R> {
    tool: Tool<'a>,
    /// The findings' results, rendered one at a time as they are written ([`super::Streamed`]).
    results: R,
    column_kind: &'static str,
}

#[derive(Serialize)]
struct Tool<'a> {
    driver: Driver<'a>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Driver<'a> {
    name: &'static str,
    version: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    information_uri: Option<&'static str>,
    rules: Vec<Rule>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Rule {
    id: &'static str,
    name: &'static str,
    short_description: Message,
    full_description: Message,
    help: Help,
    default_configuration: Configuration,
}

#[derive(Serialize)]
struct Message {
    text: String,
}

#[derive(Serialize)]
struct Help {
    text: String,
    markdown: String,
}

#[derive(Serialize)]
struct Configuration {
    level: &'static str,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct SarifResult<'a> {
    rule_id: &'static str,
    rule_index: usize,
    level: &'static str,
    message: Message,
    locations: Vec<Location>,
    partial_fingerprints: BTreeMap<&'static str, String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    related_locations: Vec<Location>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    fixes: Vec<SarifFix>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    suppressions: Vec<Suppression<'a>>,
    properties: Properties<'a>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Location {
    #[serde(skip_serializing_if = "Option::is_none")]
    id: Option<usize>,
    physical_location: PhysicalLocation,
    #[serde(skip_serializing_if = "Option::is_none")]
    message: Option<Message>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct PhysicalLocation {
    artifact_location: ArtifactLocation,
    region: Region,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ArtifactLocation {
    uri: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    uri_base_id: Option<&'static str>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Region {
    start_line: usize,
    start_column: usize,
    end_line: usize,
    end_column: usize,
    char_offset: usize,
    char_length: usize,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct SarifFix {
    description: Message,
    artifact_changes: Vec<ArtifactChange>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ArtifactChange {
    artifact_location: ArtifactLocation,
    replacements: Vec<Replacement>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Replacement {
    deleted_region: Region,
    inserted_content: Content,
}

#[derive(Serialize)]
struct Content {
    text: String,
}

#[derive(Serialize)]
struct Suppression<'a> {
    kind: &'static str,
    justification: &'a str,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Properties<'a> {
    check: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    rule: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    package: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    window: Option<&'a str>,
    #[serde(skip_serializing_if = "<[Cow<str>]>::is_empty")]
    pythons: &'a [Cow<'static, str>],
    #[serde(skip_serializing_if = "<[Cow<str>]>::is_empty")]
    platforms: &'a [Cow<'static, str>],
    #[serde(skip_serializing_if = "<[Place]>::is_empty")]
    environments: &'a [Place],
    #[serde(skip_serializing_if = "ReleaseNames::is_empty")]
    outside_released: &'a ReleaseNames,
    #[serde(skip_serializing_if = "no_releases")]
    outside_released_summary: &'a ReleaseSummary,
    #[serde(skip_serializing_if = "no_releases")]
    outside_installable: &'a ReleaseSummary,
    #[serde(skip_serializing_if = "<[String]>::is_empty")]
    notes: &'a [String],
    #[serde(skip_serializing_if = "<[Pick]>::is_empty")]
    pip_would_pick: &'a [Pick],
    #[serde(skip_serializing_if = "Option::is_none")]
    applicability: Option<Applicability>,
}

fn no_releases(s: &&ReleaseSummary) -> bool {
    s.count == 0
}

fn level(s: Severity) -> &'static str {
    match s {
        Severity::Error => "error",
        Severity::Warning => "warning",
        Severity::Info => "note",
    }
}

/// The tool's home page, from Cargo metadata (`repository`, else `homepage`); omitted
/// when neither is set rather than made up.
fn information_uri() -> Option<&'static str> {
    [env!("CARGO_PKG_REPOSITORY"), env!("CARGO_PKG_HOMEPAGE")]
        .into_iter()
        .find(|s| !s.is_empty())
}

/// Percent-encode a path for a URI (RFC 3986 §2): unreserved characters and `/` stay,
/// every other byte of the UTF-8 encoding becomes `%XX`.
pub(crate) fn encode_path(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    for &b in path.as_bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~' | b'/') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// The artifact location of a displayed path: relative paths against `%SRCROOT%`,
/// absolute ones (files outside the working directory) as `file:` URIs.
fn artifact(path: &str) -> ArtifactLocation {
    let bytes = path.as_bytes();
    let windows_drive =
        bytes.len() >= 3 && bytes[0].is_ascii_alphabetic() && bytes[1] == b':' && bytes[2] == b'/';
    if windows_drive {
        // Keep the drive colon literal: `file:///C:/dir/file`.
        let uri = format!("file:///{}:{}", &path[..1], encode_path(&path[2..]));
        ArtifactLocation {
            uri,
            uri_base_id: None,
        }
    } else if path.starts_with('/') {
        ArtifactLocation {
            uri: format!("file://{}", encode_path(path)),
            uri_base_id: None,
        }
    } else {
        ArtifactLocation {
            uri: encode_path(path),
            uri_base_id: Some(SRCROOT),
        }
    }
}

fn region(files: &Excerpts, loc: &Loc) -> (ArtifactLocation, Region) {
    let at = resolve(files, loc);
    let file = files.get(loc.file);
    let crate::source::Span { start, end } = file.snap(loc.span);
    let (first, last) = (file.char_offset(start), file.char_offset(end));
    let region = Region {
        start_line: at.start.line,
        start_column: at.start.column,
        end_line: at.end.line,
        end_column: at.end.column,
        char_offset: first,
        char_length: last - first,
    };
    (artifact(at.path), region)
}

fn location(files: &Excerpts, loc: &Loc, id: Option<usize>, message: Option<&str>) -> Location {
    let (artifact_location, region) = region(files, loc);
    Location {
        id,
        physical_location: PhysicalLocation {
            artifact_location,
            region,
        },
        message: message.map(|m| Message { text: m.to_owned() }),
    }
}

fn rule(check: &Check) -> Rule {
    let check = *check;
    // Phrased for the built-in rules: a report does not carry the configured ones.
    let doc = crate::docs::check_doc(check, crate::rules::builtin());
    Rule {
        id: check.code(),
        name: check.name(),
        short_description: Message {
            text: doc.summary.clone(),
        },
        full_description: Message {
            text: doc.what.clone(),
        },
        help: Help {
            text: doc.text(),
            markdown: doc.markdown(),
        },
        default_configuration: Configuration {
            level: level(doc.default_severity),
        },
    }
}

fn result<'a>(report: &Report<'a>, d: &'a Diagnostic, fp: &mut Fingerprints) -> SarifResult<'a> {
    let files = report.files;
    let rule_index = Check::ALL.iter().position(|c| *c == d.check).unwrap_or(0);
    // The headline is the first line; the notes (also in `properties.notes`) and the help
    // follow, labelled.
    let mut text = d.message.to_string();
    for n in &d.notes {
        text.push_str("\nnote: ");
        text.push_str(n);
    }
    if let Some(help) = &d.help {
        text.push_str("\nhelp: ");
        text.push_str(help);
    }
    let fixes = d
        .fix
        .iter()
        .map(|f| {
            let (artifact_location, deleted_region) = region(files, &f.loc);
            let what = match f.applicability {
                Applicability::Safe => "Safe fix",
                Applicability::Unsafe => "Unsafe fix",
            };
            let description = match &f.reason {
                Some(r) => format!("{what}: {r}"),
                None if f.loc.span.is_empty() => {
                    format!("{what}: insert `{}`", f.replacement.trim())
                }
                None => format!("{what}: replace with `{}`", f.replacement),
            };
            SarifFix {
                description: Message { text: description },
                artifact_changes: vec![ArtifactChange {
                    artifact_location,
                    replacements: vec![Replacement {
                        deleted_region,
                        inserted_content: Content {
                            text: f.replacement.clone(),
                        },
                    }],
                }],
            }
        })
        .collect();
    SarifResult {
        rule_id: d.code(),
        rule_index,
        level: level(d.severity),
        message: Message { text },
        locations: vec![location(files, &d.loc, None, None)],
        partial_fingerprints: BTreeMap::from([(FINGERPRINT_KEY, fp.next(files, d))]),
        related_locations: d
            .related
            .iter()
            .enumerate()
            .map(|(i, r)| location(files, &r.loc, Some(i + 1), Some(&r.message)))
            .collect(),
        fixes,
        suppressions: d
            .suppressed
            .iter()
            .map(|reason| Suppression {
                kind: "inSource",
                justification: reason,
            })
            .collect(),
        properties: Properties {
            check: d.check.name(),
            rule: d.rule.as_deref(),
            package: d.package.as_deref(),
            window: d.window.as_deref(),
            pythons: &d.pythons,
            platforms: &d.platforms,
            environments: &d.environments,
            outside_released: &d.outside_released,
            outside_released_summary: &d.outside_released_summary,
            outside_installable: &d.outside_installable,
            notes: &d.notes,
            pip_would_pick: &d.pip_would_pick,
            applicability: d.fix.as_ref().map(|f| f.applicability),
        },
    }
}

impl Emitter for Sarif {
    fn emit(&self, report: &Report, out: &mut dyn std::io::Write) -> std::io::Result<()> {
        let mut fp = Fingerprints::new();
        let log = Log {
            schema: SCHEMA_URI,
            version: "2.1.0",
            runs: vec![Run {
                tool: Tool {
                    driver: Driver {
                        name: TOOL_NAME,
                        version: report.tool_version,
                        information_uri: information_uri(),
                        // Every check, in `Check::ALL` order, so `ruleIndex` is stable.
                        rules: Check::ALL.iter().map(rule).collect(),
                    },
                },
                results: super::Streamed::new(
                    report
                        .diagnostics
                        .iter()
                        .map(move |d| result(report, d, &mut fp)),
                ),
                column_kind: "unicodeCodePoints",
            }],
        };
        super::json_pretty(&mut *out, &log)?;
        out.write_all(b"\n")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_become_uris() {
        assert_eq!(encode_path("dir/my reqs#1.txt"), "dir/my%20reqs%231.txt");
        assert_eq!(encode_path("é.txt"), "%C3%A9.txt");
        let a = artifact("sub/requirements.txt");
        assert_eq!(
            (a.uri.as_str(), a.uri_base_id),
            ("sub/requirements.txt", Some(SRCROOT))
        );
        let a = artifact("/tmp/a b/r.txt");
        assert_eq!(
            (a.uri.as_str(), a.uri_base_id),
            ("file:///tmp/a%20b/r.txt", None)
        );
        let a = artifact("C:/work/r.txt");
        assert_eq!(
            (a.uri.as_str(), a.uri_base_id),
            ("file:///C:/work/r.txt", None)
        );
    }
}
