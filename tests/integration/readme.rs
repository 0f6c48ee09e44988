//! README.md's generated parts, checked so that they cannot drift:
//!
//! - the check and rule reference between the `rule docs` markers, generated from
//!   `docs::check_doc` and the rule data (the text `depwindow rule --all` prints);
//! - every example of the binary's output. An example is a fenced block right after a comment
//!   ```text
//!   <!-- depwindow-example cwd=tests/readme/json run="check --format json requirements.txt" -->
//!   ```
//!   `cwd` is a folder of the repository, copied to a scratch directory; the steps, in order,
//!   in the same copy (so a `--fix` shows in the next step), are `run="ARGS"`, one `depwindow`
//!   run with ARGS split at whitespace, and `cat=FILE`, a file of the copy. The block holds,
//!   per step, `$ depwindow ARGS` or `$ cat FILE` and then what the run printed (standard
//!   output and standard error as one stream, as a terminal shows them) or the file; with
//!   the flag `output-only` and one step it holds the output alone (a JSON block, an input
//!   file: the prose around it names the command). Runs are not on a terminal, so the human
//!   output is 100 columns wide and without colour, as `depwindow` prints it into a pipe.
//! - A block that shows a `$ depwindow` command but cannot be generated here (`--resolve` needs
//!   the network and uv) is preceded by `<!-- depwindow-example-recorded: WHY -->`; every other
//!   such block must be generated.
//!
//! A mismatch fails with a line diff. `INSTA_UPDATE=always cargo test --test integration
//! readme::` (the command that also accepts changed snapshots) or `UPDATE_SNAPSHOTS=1 ...`
//! rewrites README.md in place, never when `CI` is set; read the diff before committing.

use crate::common;

use std::path::Path;
use std::sync::Mutex;

const BEGIN: &str = "<!-- begin rule docs -->\n";
const END: &str = "<!-- end rule docs -->";
const EXAMPLE: &str = "<!-- depwindow-example ";
const RECORDED: &str = "<!-- depwindow-example-recorded: ";

/// The tests here read and rewrite the same README.md: one at a time.
static README: Mutex<()> = Mutex::new(());

fn readme_path() -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md")
}

/// Rewrite README.md instead of failing: `INSTA_UPDATE=always` or `UPDATE_SNAPSHOTS=1`, and
/// never under CI.
fn updating() -> bool {
    let var = |k: &str, v: &str| std::env::var(k).is_ok_and(|x| x == v);
    !common::on_ci() && (var("INSTA_UPDATE", "always") || var("UPDATE_SNAPSHOTS", "1"))
}

const REGENERATE: &str = "INSTA_UPDATE=always cargo test --test integration readme::";

#[test]
fn readme_rule_docs_are_current() {
    let _guard = README.lock().unwrap_or_else(|e| e.into_inner());
    let path = readme_path();
    let readme = std::fs::read_to_string(&path).expect("README.md");
    let start = readme.find(BEGIN).expect("begin marker") + BEGIN.len();
    let end = readme[start..].find(END).expect("end marker") + start;
    let generated = format!(
        "\n{}\n",
        depwindow::docs::readme_section(depwindow::rules::builtin()).trim_end()
    );
    // Every check and every built-in rule is in the generated text.
    for c in depwindow::diagnostic::Check::ALL {
        assert!(generated.contains(&format!("### {} {}\n", c.code(), c.name())));
    }
    for r in depwindow::rules::builtin() {
        assert!(generated.contains(&format!("### {}\n", r.id)));
    }
    if readme[start..end] == generated {
        return;
    }
    if updating() {
        let updated = format!("{}{}{}", &readme[..start], generated, &readme[end..]);
        std::fs::write(&path, updated).unwrap();
        return;
    }
    panic!(
        "README.md's rule docs are out of date:\n{}\nrun `{REGENERATE}`",
        diff(&readme[start..end], &generated)
    );
}

/// One example block of README.md.
#[derive(Debug)]
struct Example {
    /// 1-based line of the marker comment.
    line: usize,
    cwd: String,
    steps: Vec<Step>,
    output_only: bool,
    /// Byte range of the block's body (between the fences) in README.md.
    body: std::ops::Range<usize>,
}

#[derive(Debug, PartialEq)]
enum Step {
    /// `depwindow` with these arguments.
    Run(String),
    /// Show a file of the copy.
    Cat(String),
}

/// `key=value`, `key="value with spaces"` and bare flags.
fn tokens(s: &str) -> Result<Vec<(String, Option<String>)>, String> {
    let mut out = Vec::new();
    let mut rest = s.trim();
    while !rest.is_empty() {
        let key_end = rest.find(['=', ' ']).unwrap_or(rest.len());
        let key = rest[..key_end].to_owned();
        rest = &rest[key_end..];
        if let Some(r) = rest.strip_prefix('=') {
            let (value, r) = if let Some(q) = r.strip_prefix('"') {
                let close = q.find('"').ok_or(format!("unclosed quote after {key}="))?;
                (&q[..close], &q[close + 1..])
            } else {
                let e = r.find(' ').unwrap_or(r.len());
                (&r[..e], &r[e..])
            };
            out.push((key, Some(value.to_owned())));
            rest = r;
        } else {
            out.push((key, None));
        }
        rest = rest.trim_start();
    }
    Ok(out)
}

/// Byte offset of the start of each line, and the lines.
fn lines_with_offsets(text: &str) -> Vec<(usize, &str)> {
    let mut at = 0;
    text.split_inclusive('\n')
        .map(|l| {
            let start = at;
            at += l.len();
            (start, l)
        })
        .collect()
}

/// Every example in `readme`; an error names the line of a malformed one.
fn examples(readme: &str) -> Result<Vec<Example>, String> {
    let lines = lines_with_offsets(readme);
    let mut out = Vec::new();
    for (i, &(_, line)) in lines.iter().enumerate() {
        let Some(rest) = line.strip_prefix(EXAMPLE) else {
            continue;
        };
        let at = |what: &str| format!("README.md:{}: {what}", i + 1);
        let inner = rest
            .trim_end()
            .strip_suffix("-->")
            .ok_or_else(|| at("the marker must end with --> on its line"))?;
        let (mut cwd, mut steps, mut output_only) = (None, Vec::new(), false);
        for (k, v) in tokens(inner).map_err(|e| at(&e))? {
            match (k.as_str(), v) {
                ("cwd", Some(v)) => cwd = Some(v),
                ("run", Some(v)) => steps.push(Step::Run(v)),
                ("cat", Some(v)) => steps.push(Step::Cat(v)),
                ("output-only", None) => output_only = true,
                (k, _) => return Err(at(&format!("unknown or malformed `{k}`"))),
            }
        }
        let cwd = cwd.ok_or_else(|| at("no cwd="))?;
        if steps.is_empty() {
            return Err(at("no run= or cat="));
        }
        if output_only && steps.len() != 1 {
            return Err(at("output-only takes exactly one step"));
        }
        let open = lines
            .get(i + 1)
            .filter(|(_, l)| l.starts_with("```"))
            .ok_or_else(|| at("the marker must be followed by a fenced block"))?;
        let body_start = open.0 + open.1.len();
        let close = lines[i + 2..]
            .iter()
            .find(|(_, l)| l.trim_end() == "```")
            .ok_or_else(|| at("the fenced block is not closed"))?;
        out.push(Example {
            line: i + 1,
            cwd,
            steps,
            output_only,
            body: body_start..close.0,
        });
    }
    Ok(out)
}

/// Run the built binary in `dir` with standard output and standard error as one stream (one
/// pipe, through `sh`'s `2>&1`, so their lines interleave as on a terminal).
fn run_merged(dir: &Path, args: &[&str]) -> (String, i32) {
    use std::process::{Command, Stdio};
    let out = Command::new("sh")
        .arg("-c")
        .arg("exec \"$0\" \"$@\" 2>&1")
        .arg(env!("CARGO_BIN_EXE_depwindow"))
        .args(args)
        .current_dir(dir)
        .env_remove("DEPWINDOW_OUTPUT_FORMAT")
        .env_remove("DEPWINDOW_ALLOW_OUTSIDE")
        .env_remove("NO_GRAPHICS")
        .env("NO_COLOR", "1")
        .stdin(Stdio::null())
        .stderr(Stdio::inherit())
        .output()
        .expect("run depwindow through sh");
    let text = String::from_utf8(out.stdout).expect("UTF-8 output");
    assert!(
        !text.contains("panicked"),
        "depwindow {args:?} panicked:\n{text}"
    );
    (text, out.status.code().unwrap_or(-1))
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let p = e.unwrap().path();
        let target = to.join(p.file_name().unwrap());
        if p.is_dir() {
            copy_dir(&p, &target);
        } else {
            std::fs::copy(&p, &target).unwrap();
        }
    }
}

/// What the example's block must hold.
fn generate(e: &Example) -> String {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let from = root.join(&e.cwd);
    assert!(
        from.is_dir(),
        "README.md:{}: cwd={} is not a folder of the repository",
        e.line,
        e.cwd
    );
    let scratch = common::Scratch::new("readme");
    copy_dir(&from, scratch.path());
    let mut body = String::new();
    for step in &e.steps {
        let run = match step {
            Step::Run(run) => run,
            Step::Cat(file) => {
                let text = std::fs::read_to_string(scratch.path().join(file))
                    .unwrap_or_else(|err| panic!("README.md:{}: cat={file}: {err}", e.line));
                if !e.output_only {
                    body.push_str(&format!("$ cat {file}\n"));
                }
                body.push_str(&text);
                if !body.ends_with('\n') {
                    body.push('\n');
                }
                continue;
            }
        };
        let args: Vec<&str> = run.split_whitespace().collect();
        let (out, code) = run_merged(scratch.path(), &args);
        assert!(
            (0..=2).contains(&code),
            "README.md:{}: `depwindow {run}` exited {code}:\n{out}",
            e.line
        );
        assert!(
            !out.contains(&scratch.path().display().to_string()),
            "README.md:{}: `depwindow {run}` printed the scratch path:\n{out}",
            e.line
        );
        if !e.output_only {
            body.push_str(&format!("$ depwindow {run}\n"));
        }
        body.push_str(&out);
        if !body.ends_with('\n') {
            body.push('\n');
        }
    }
    body
}

/// A line diff of `old` and `new` (longest common subsequence; README blocks are small).
fn diff(old: &str, new: &str) -> String {
    let a: Vec<&str> = old.lines().collect();
    let b: Vec<&str> = new.lines().collect();
    let mut lcs = vec![vec![0usize; b.len() + 1]; a.len() + 1];
    for i in (0..a.len()).rev() {
        for j in (0..b.len()).rev() {
            lcs[i][j] = if a[i] == b[j] {
                lcs[i + 1][j + 1] + 1
            } else {
                lcs[i + 1][j].max(lcs[i][j + 1])
            };
        }
    }
    let (mut i, mut j, mut out) = (0, 0, String::new());
    while i < a.len() || j < b.len() {
        if i < a.len() && j < b.len() && a[i] == b[j] {
            out.push_str(&format!("  {}\n", a[i]));
            (i, j) = (i + 1, j + 1);
        } else if i < a.len() && (j == b.len() || lcs[i + 1][j] >= lcs[i][j + 1]) {
            out.push_str(&format!("- {}\n", a[i]));
            i += 1;
        } else {
            out.push_str(&format!("+ {}\n", b[j]));
            j += 1;
        }
    }
    out
}

#[test]
fn readme_examples_are_the_binarys_output() {
    let _guard = README.lock().unwrap_or_else(|e| e.into_inner());
    let path = readme_path();
    let readme = std::fs::read_to_string(&path).expect("README.md");
    let examples = examples(&readme).unwrap_or_else(|e| panic!("{e}"));
    assert!(
        examples.len() >= 4,
        "only {} examples found in README.md",
        examples.len()
    );
    let mut updated = readme.clone();
    let mut failures = Vec::new();
    // From the last block to the first, so that earlier ranges stay valid while rewriting.
    for e in examples.iter().rev() {
        let want = generate(e);
        let have = &readme[e.body.clone()];
        if have != want {
            failures.push(format!(
                "README.md:{}: the block differs from the binary's output (- README, + binary):\n{}",
                e.line,
                diff(have, &want)
            ));
            updated.replace_range(e.body.clone(), &want);
        }
    }
    if failures.is_empty() {
        return;
    }
    if updating() {
        std::fs::write(&path, updated).unwrap();
        return;
    }
    failures.reverse();
    panic!("{}\nrun `{REGENERATE}`", failures.join("\n"));
}

/// Every block that shows a `$ depwindow` command is generated, or says why it cannot be.
#[test]
fn every_readme_command_block_is_generated_or_marked_recorded() {
    let _guard = README.lock().unwrap_or_else(|e| e.into_inner());
    let readme = std::fs::read_to_string(readme_path()).expect("README.md");
    let lines: Vec<&str> = readme.lines().collect();
    let mut unmarked = Vec::new();
    let mut recorded = 0;
    let mut i = 0;
    while i < lines.len() {
        if !lines[i].starts_with("```") {
            i += 1;
            continue;
        }
        let open = i;
        i += 1;
        while i < lines.len() && lines[i].trim_end() != "```" {
            i += 1;
        }
        let body = &lines[open + 1..i.min(lines.len())];
        i += 1;
        if !body.iter().any(|l| l.starts_with("$ depwindow")) {
            continue;
        }
        let before = open.checked_sub(1).map(|p| lines[p]).unwrap_or("");
        if before.starts_with(RECORDED) {
            assert!(
                before.trim_end().ends_with("-->") && before.len() > RECORDED.len() + 10,
                "README.md:{open}: a recorded block says why it is not generated"
            );
            recorded += 1;
        } else if !before.starts_with(EXAMPLE) {
            unmarked.push(format!("README.md:{}", open + 1));
        }
    }
    assert!(
        unmarked.is_empty(),
        "blocks showing `$ depwindow` without a depwindow-example marker: {unmarked:?}"
    );
    // Only --resolve cannot run here.
    assert!(recorded <= 1, "{recorded} recorded blocks");
}

#[test]
fn example_markers_parse() {
    let text = "x\n<!-- depwindow-example cwd=tests/a run=\"check --fix .\" cat=r.txt run=\"check .\" -->\n```text\n$ depwindow check .\nout\n```\n<!-- depwindow-example cwd=b output-only run=\"check\" -->\n```json\n{}\n```\n";
    let found = examples(text).unwrap();
    assert_eq!(found.len(), 2);
    assert_eq!(found[0].line, 2);
    assert_eq!(found[0].cwd, "tests/a");
    assert_eq!(
        found[0].steps,
        [
            Step::Run("check --fix .".into()),
            Step::Cat("r.txt".into()),
            Step::Run("check .".into())
        ]
    );
    assert!(!found[0].output_only);
    assert_eq!(&text[found[0].body.clone()], "$ depwindow check .\nout\n");
    assert!(found[1].output_only);
    assert_eq!(&text[found[1].body.clone()], "{}\n");
    assert!(examples("<!-- depwindow-example run=\"check\" -->\n```\n```\n").is_err());
    assert!(examples("<!-- depwindow-example cwd=a run=\"check\" -->\ntext\n").is_err());
    assert!(examples("<!-- depwindow-example cwd=a run=\"check -->\n```\n```\n").is_err());
    assert_eq!(diff("a\nb\nc\n", "a\nx\nc\n"), "  a\n- b\n+ x\n  c\n");
}

/// Each check's documented example (`depwindow rule DWnnn`, SARIF help, the README's rule
/// docs) shows what it says: run through the binary, the example file gets a finding of that
/// check. Examples that are excerpts or need `--resolve` (the network) say so in their first
/// line and are left out; at least seven are run.
#[test]
fn check_doc_examples_report_their_check() {
    let section = depwindow::docs::readme_section(depwindow::rules::builtin());
    let mut ran = 0;
    let mut failures = Vec::new();
    for part in section.split("\n### ").skip(1) {
        let Some((code, _)) = part.split_once(' ') else {
            continue;
        };
        if !code.starts_with("DW") {
            continue;
        }
        let Some(example) = part
            .split_once("#### Example\n\n```text\n")
            .and_then(|(_, rest)| rest.split_once("\n```"))
            .map(|(body, _)| body)
        else {
            failures.push(format!("{code}: no example"));
            continue;
        };
        let (first, content) = example.split_once('\n').unwrap_or((example, ""));
        let name = first.trim_start_matches("# ");
        if name.contains(' ') {
            // "(excerpt)", "(checked with --resolve)": not a whole file, or needs the network.
            continue;
        }
        let scratch = common::Scratch::new("doc-example");
        scratch.write(name, format!("{content}\n"));
        let out = common::run_in(
            scratch.path(),
            &["check", "--format", "json", name],
            &[],
            None,
        );
        let json: serde_json::Value = serde_json::from_str(&out.stdout)
            .unwrap_or_else(|e| panic!("{code}: {e}: {}{}", out.stdout, out.stderr));
        let codes: Vec<&str> = json["diagnostics"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|d| d["code"].as_str())
            .collect();
        if !codes.contains(&code) {
            failures.push(format!(
                "{code}: its example gets {codes:?}:\n# {name}\n{content}"
            ));
        }
        ran += 1;
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
    assert!(ran >= 7, "only {ran} examples ran");
}
