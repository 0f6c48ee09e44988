//! Differential test of `depwindow::formats::yaml_span` against ruamel.yaml 0.19.1, the
//! loader conda reads environment files with. Documents are generated deterministically
//! (seeded splitmix64) plus hand-written shapes; `tests/differential/ruamel_oracle.py`
//! composes each one in one Python run (JSON over stdin/stdout), and the trees must agree:
//! the same structure, the same string values, the same kind (str, number, bool, null,
//! timestamp) for every other scalar.
//!
//! Python is `$DEPWINDOW_PYTHON` or `python3`. Without ruamel.yaml 0.19.1 the test fails
//! when `CI=true` and is skipped with a note otherwise.

use depwindow::formats::yaml_span::{parse, Kind, Node, Value};
use serde_json::{json, Value as Json};

use crate::common::SplitMix as Rng;

fn oracle() -> Option<crate::common::Oracle> {
    crate::common::Oracle::find(
        "tests/differential/ruamel_oracle.py",
        "ruamel.yaml",
        "0.19.1",
    )
}

fn kind(k: Kind) -> Json {
    let name = match k {
        Kind::Str => unreachable!("strings are compared by value"),
        Kind::Null => "null",
        Kind::Bool => "bool",
        Kind::Number => "number",
        Kind::Timestamp => "timestamp",
        Kind::Other => "other",
    };
    json!({ "kind": name })
}

/// Our tree in the oracle's shape.
fn ours(n: &Node) -> Json {
    match &n.value {
        Value::Null => kind(Kind::Null),
        Value::Scalar(s) if s.kind == Kind::Str => Json::String(s.value.clone()),
        Value::Scalar(s) => kind(s.kind),
        Value::Seq(items) => Json::Array(items.iter().map(ours).collect()),
        Value::Map(entries) => Json::Array(
            entries
                .iter()
                .map(|(k, v)| Json::Array(vec![ours(k), ours(v)]))
                .collect(),
        ),
        Value::Alias => json!({ "alias": true }),
    }
}

/// The oracle's tree with ruamel's tag names folded into our kinds.
fn theirs(v: &Json) -> Json {
    match v {
        Json::Object(o) if o.contains_key("kind") => {
            let k = o["kind"].as_str().unwrap_or("");
            let name = match k {
                "int" | "float" => "number",
                "null" | "bool" | "timestamp" => k,
                _ => "other",
            };
            json!({ "kind": name })
        }
        Json::Array(items) => Json::Array(items.iter().map(theirs).collect()),
        Json::Null => kind(Kind::Null),
        other => other.clone(),
    }
}

const PIECES: &[&str] = &[
    "0",
    "1",
    "9",
    "12",
    "0o",
    "0x",
    "0b",
    "1f",
    "_",
    ".",
    "-",
    "+",
    "e",
    "E",
    ":",
    "30",
    "5",
    ".inf",
    "Inf",
    ".nan",
    "NaN",
    "y",
    "yes",
    "No",
    "on",
    "OFF",
    "true",
    "False",
    "null",
    "NULL",
    "~",
    "2020-01-01",
    "2001-12-14",
    " ",
    "t",
    "T",
    "Z",
    "21:59:43",
    "numpy",
    "=",
    "<<",
    "1.16",
    ">=",
    ",",
    "é",
];

const SHAPES: &[&str] = &[
    "name: tf114\nchannels:\n  - defaults\ndependencies:\n  - python=3.7\n  - numpy=1.17\n  - pip\n  - pip:\n    - tensorflow==1.14.0\n",
    "channels: [defaults,\n  conda-forge]\ndependencies: [\n  numpy=1.16,\n  {pip: [six,\n   tensorflow==1.14.0]}\n]\n",
    "%YAML 1.2\n---\n# comment\na: x # trailing\nb: 'it''s'\nc: \"caf\\u00e9\\x41\\t\\n\"\n...\n",
    "a: |\n  numpy\n  six\nb: |-\n  x\n\nc: |+\n  y\n\nd: >\n  folded\n  text\n\n  para\ne: >-\n  z\n",
    "a: plain\n  multi line\nb: \"double\n  quoted\"\nc: 'single\n\n  quoted'\n",
    "- - a\n  - b\n- ? k\n  : v\n- {x: 1, y: [2, 3]}\n- !!str 1.5\n- !!int '7'\n- ! 12\n",
    "dependencies:\r\n  - numpy=1.17\r\n  - pip:\r\n    - \"six>=1\"\r\n",
    "a:\nb: ~\nc: []\nd: {}\ne: ''\n",
];

/// Where the YAML 1.2 scanner (saphyr-parser) and ruamel's PyYAML-derived scanner disagree
/// on syntax, in a flow sequence only: a lone `-` item (ruamel: the string `-`; saphyr:
/// error), an item starting with `>` (ruamel: error; saphyr: a plain scalar), and an item
/// ending in `:` (ruamel: a string with the colon; saphyr: a one-pair mapping). None of
/// them is a match-spec or a pip line.
fn known_divergence(doc: &str) -> bool {
    let Some(inner) = doc.strip_prefix('[').and_then(|d| d.strip_suffix("]\n")) else {
        return false;
    };
    inner.split(',').any(|item| {
        let item = item.trim();
        item == "-" || item.starts_with('>') || item.ends_with(':')
    })
}

#[test]
fn yaml_span_matches_ruamel() {
    let Some(oracle) = oracle() else { return };
    let mut rng = Rng(0x5EED_0010);
    let mut docs: Vec<String> = SHAPES.iter().map(|s| s.to_string()).collect();
    for _ in 0..3000 {
        let n = 1 + rng.below(4);
        let scalar: String = (0..n).map(|_| rng.pick_str(PIECES)).collect();
        let scalar = scalar.trim().to_string();
        docs.push(match rng.below(4) {
            0 => format!("a: {scalar}\n"),
            1 => format!("%YAML 1.1\n---\na: {scalar}\n"),
            2 => format!("- {scalar}\n"),
            _ => format!("[{scalar}]\n"),
        });
    }
    let answers: Vec<Json> = oracle.ask(&docs);
    assert_eq!(answers.len(), docs.len());
    let mut compared = 0;
    let mut refused_by_both = 0;
    let mut known = 0;
    let mut mismatches = Vec::new();
    for (doc, answer) in docs.iter().zip(&answers) {
        let (root, errors) = parse(doc);
        if known_divergence(doc) {
            known += 1;
            continue;
        }
        let we_refuse = !errors.is_empty();
        let they_refuse = answer.get("error").is_some();
        match (we_refuse, they_refuse) {
            (true, true) => refused_by_both += 1,
            (false, false) => {
                compared += 1;
                let (a, b) = (ours(&root), theirs(answer));
                if a != b {
                    mismatches.push(format!("{doc:?}\n  ours:   {a}\n  ruamel: {b}"));
                }
            }
            _ => mismatches.push(format!(
                "{doc:?}\n  ours: {:?}\n  ruamel: {answer}",
                errors.iter().map(|e| &e.message).collect::<Vec<_>>()
            )),
        }
    }
    assert!(
        mismatches.is_empty(),
        "{} of {} documents differ from ruamel.yaml:\n{}",
        mismatches.len(),
        docs.len(),
        mismatches.join("\n")
    );
    assert!(compared > 2000, "only {compared} documents compared");
    println!(
        "{compared} documents agree with ruamel.yaml, {refused_by_both} refused by both, \
         {known} in the known flow-sequence divergences"
    );
}
