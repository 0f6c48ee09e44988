//! `depwindow server` driven over stdio as an editor would: initialize, didOpen,
//! publishDiagnostics, codeAction, applying the edit, re-check, hover, configuration,
//! shutdown, exit; bad input; memory over 10,000 edits (RSS of the child from
//! /proc/PID/statm, not time).

use std::io::{BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc::{Receiver, RecvTimeoutError};
use std::time::Duration;

use serde_json::{json, Value};

struct Client {
    child: Child,
    stdin: ChildStdin,
    rx: Receiver<Value>,
    next_id: i64,
    /// Messages read while waiting for another one, in order.
    stash: Vec<Value>,
}

impl Client {
    fn start(dir: &Path) -> Client {
        let mut child = Command::new(env!("CARGO_BIN_EXE_depwindow"))
            .arg("server")
            .current_dir(dir)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("start depwindow server");
        let stdin = child.stdin.take().unwrap();
        let stdout = child.stdout.take().unwrap();
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let mut r = BufReader::new(stdout);
            loop {
                let mut len = None;
                loop {
                    let mut line = String::new();
                    if r.read_line(&mut line).unwrap_or(0) == 0 {
                        return;
                    }
                    let line = line.trim_end();
                    if line.is_empty() {
                        break;
                    }
                    if let Some(v) = line.strip_prefix("Content-Length: ") {
                        len = v.parse::<usize>().ok();
                    }
                }
                let mut body = vec![0; len.expect("Content-Length")];
                if r.read_exact(&mut body).is_err() {
                    return;
                }
                let v: Value = serde_json::from_slice(&body).expect("JSON message");
                if tx.send(v).is_err() {
                    return;
                }
            }
        });
        Client {
            child,
            stdin,
            rx,
            next_id: 1,
            stash: Vec::new(),
        }
    }

    fn send(&mut self, v: Value) {
        let body = v.to_string();
        write!(self.stdin, "Content-Length: {}\r\n\r\n{body}", body.len()).unwrap();
        self.stdin.flush().unwrap();
    }

    fn notify(&mut self, method: &str, params: Value) {
        self.send(json!({"jsonrpc": "2.0", "method": method, "params": params}));
    }

    /// The next message matching `f`; others are kept for later waits. A silent server
    /// fails the test after a generous guard (a hang guard, not a time limit on the work).
    fn wait_for(&mut self, what: &str, f: impl Fn(&Value) -> bool) -> Value {
        if let Some(i) = self.stash.iter().position(&f) {
            return self.stash.remove(i);
        }
        loop {
            match self.rx.recv_timeout(Duration::from_secs(
                std::env::var("DW_GUARD")
                    .ok()
                    .and_then(|s| s.parse().ok())
                    .unwrap_or(300),
            )) {
                Ok(v) if f(&v) => return v,
                Ok(v) => self.stash.push(v),
                Err(RecvTimeoutError::Timeout) => panic!("no {what} from the server"),
                Err(RecvTimeoutError::Disconnected) => panic!("server closed before {what}"),
            }
        }
    }

    fn request(&mut self, method: &str, params: Value) -> Value {
        let id = self.next_id;
        self.next_id += 1;
        self.send(json!({"jsonrpc": "2.0", "id": id, "method": method, "params": params}));
        self.wait_for(method, |v| v["id"] == json!(id))
    }

    /// The diagnostics of the next publish for `uri`.
    fn diagnostics(&mut self, uri: &str) -> Vec<Value> {
        let v = self.wait_for("publishDiagnostics", |v| {
            v["method"] == "textDocument/publishDiagnostics" && v["params"]["uri"] == uri
        });
        v["params"]["diagnostics"].as_array().unwrap().clone()
    }

    fn initialize(&mut self, dir: &Path, encodings: Option<&[&str]>) -> Value {
        let mut caps = json!({});
        if let Some(e) = encodings {
            caps = json!({"general": {"positionEncodings": e}});
        }
        let r = self.request(
            "initialize",
            json!({"processId": null, "rootUri": uri(dir), "capabilities": caps}),
        );
        self.notify("initialized", json!({}));
        r
    }

    fn open(&mut self, path: &Path, text: &str) {
        self.notify(
            "textDocument/didOpen",
            json!({"textDocument": {"uri": uri(path), "languageId": "pip-requirements",
                   "version": 1, "text": text}}),
        );
    }

    fn change(&mut self, path: &Path, version: i64, text: &str) {
        self.notify(
            "textDocument/didChange",
            json!({"textDocument": {"uri": uri(path), "version": version},
                   "contentChanges": [{"text": text}]}),
        );
    }

    fn shutdown(mut self) {
        let r = self.request("shutdown", Value::Null);
        assert!(r.get("error").is_none(), "{r}");
        self.notify("exit", Value::Null);
        let status = self.child.wait().unwrap();
        assert!(status.success(), "server exit: {status}");
    }
}

fn uri(path: &Path) -> String {
    let mut s = String::from("file://");
    for b in path.to_str().unwrap().bytes() {
        if b.is_ascii_alphanumeric() || b"/-._~".contains(&b) {
            s.push(b as char);
        } else {
            s.push_str(&format!("%{b:02X}"));
        }
    }
    s
}

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("dw-server-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    // Its own project: configuration is looked up no higher than here.
    std::fs::create_dir_all(dir.join(".git")).unwrap();
    std::fs::canonicalize(&dir).unwrap()
}

/// Apply LSP text edits as a client does, counting `character` in `encoding` units.
fn apply(text: &str, edits: &[Value], utf16: bool) -> String {
    let offset = |p: &Value| -> usize {
        let line = p["line"].as_u64().unwrap() as usize;
        let ch = p["character"].as_u64().unwrap() as usize;
        let start: usize = text.split_inclusive('\n').take(line).map(str::len).sum();
        let line_text = text[start..].split('\n').next().unwrap();
        let mut units = 0;
        for (i, c) in line_text.char_indices() {
            if units >= ch {
                return start + i;
            }
            units += if utf16 { c.len_utf16() } else { c.len_utf8() };
        }
        start + line_text.len()
    };
    let mut spans: Vec<(usize, usize, String)> = edits
        .iter()
        .map(|e| {
            (
                offset(&e["range"]["start"]),
                offset(&e["range"]["end"]),
                e["newText"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    spans.sort_by_key(|s| std::cmp::Reverse(s.0));
    let mut out = text.to_owned();
    for (a, b, t) in spans {
        out.replace_range(a..b, &t);
    }
    out
}

fn edits_for<'a>(action: &'a Value, u: &str) -> &'a [Value] {
    action["edit"]["changes"][u].as_array().unwrap()
}

const INCLUDER: &str =
    "tensorflow==1.14.0\nprotobuf>=3.6.1,<4\ngast==0.2.2\n-r base.txt\nh5py<3.0\n";
const TF: &str = "tensorflow==1.14.0\nprotobuf>=3.6.1,<4\ngast==0.2.2\nh5py<3.0\n";
// The comment after the requirement is non-ASCII: the end of the line is 18 UTF-16 units
// but 20 bytes in.
const BASE: &str = "numpy>=1.16  # é😀\n";

#[test]
fn a_session_diagnostics_fixes_suppressions_hover_and_configuration() {
    let dir = scratch("session");
    let req = dir.join("requirements.txt");
    let base = dir.join("base.txt");
    std::fs::write(&req, INCLUDER).unwrap();
    // base.txt exists only as an open buffer: the include resolves against it.
    let mut c = Client::start(&dir);
    let init = c.initialize(&dir, None);
    assert_eq!(init["result"]["capabilities"]["positionEncoding"], "utf-16");
    assert_eq!(init["result"]["serverInfo"]["name"], "depwindow");
    c.open(&base, BASE);
    // Alone, base.txt has no TensorFlow: nothing to report.
    assert_eq!(c.diagnostics(&uri(&base)), Vec::<Value>::new());
    c.open(&req, INCLUDER);
    let d = c.diagnostics(&uri(&req));
    assert!(d.is_empty(), "{d:?}");
    let d = c.diagnostics(&uri(&base));
    assert_eq!(d.len(), 1, "{d:?}");
    let d = &d[0];
    // The same finding as `check`: code, severity, range, message.
    assert_eq!(d["code"], "DW101");
    assert_eq!(d["source"], "depwindow");
    assert_eq!(d["severity"], 1);
    assert_eq!(d["range"]["start"], json!({"line": 0, "character": 5}));
    assert_eq!(d["range"]["end"], json!({"line": 0, "character": 11}));
    std::fs::write(&base, BASE).unwrap();
    let cli = Command::new(env!("CARGO_BIN_EXE_depwindow"))
        .args(["check", "--format", "json", "requirements.txt"])
        .current_dir(&dir)
        .output()
        .unwrap();
    std::fs::remove_file(&base).unwrap();
    let cli: Value = serde_json::from_slice(&cli.stdout).unwrap();
    // The headline, then the notes, one per line (`server.rs`: notes have no location).
    let cli_d = &cli["diagnostics"][0];
    let mut message = cli_d["message"].as_str().unwrap().to_owned();
    for n in cli_d["notes"].as_array().unwrap() {
        message.push_str(&format!("\nnote: {}", n.as_str().unwrap()));
    }
    assert!(message.contains("\nnote: pip would pick"), "{message}");
    assert_eq!(d["message"], message.as_str());
    assert!(d["codeDescription"]["href"]
        .as_str()
        .unwrap()
        .contains("outside_window"));
    let rel = &d["relatedInformation"][0];
    assert_eq!(rel["location"]["uri"], uri(&req));
    assert_eq!(rel["location"]["range"]["start"]["line"], 0);
    assert_eq!(rel["message"], "TensorFlow 1.14.0 required here");

    // Hover on the requirement: window, rule, releases outside, pip's pick per Python.
    let h = c.request(
        "textDocument/hover",
        json!({"textDocument": {"uri": uri(&base)}, "position": {"line": 0, "character": 2}}),
    );
    let text = h["result"]["contents"]["value"]
        .as_str()
        .unwrap()
        .to_owned();
    for want in [
        ">=1.14.5,<1.17",
        "tensorflow-1.14/numpy",
        "1.17.0",
        "Python 3.7, linux: numpy 1.21.6",
    ] {
        assert!(text.contains(want), "{want} not in hover:\n{text}");
    }

    // Code actions: the safe fix (preferred), the suppression, fix-all.
    let actions = c.request(
        "textDocument/codeAction",
        json!({"textDocument": {"uri": uri(&base)}, "range": d["range"],
               "context": {"diagnostics": [d]}}),
    );
    let actions = actions["result"].as_array().unwrap().clone();
    let titles: Vec<&str> = actions
        .iter()
        .map(|a| a["title"].as_str().unwrap())
        .collect();
    let fix = actions
        .iter()
        .find(|a| a["isPreferred"] == true)
        .unwrap_or_else(|| panic!("no preferred fix in {titles:?}"));
    assert_eq!(fix["kind"], "quickfix");
    let suppress = actions
        .iter()
        .find(|a| a["title"].as_str().unwrap().starts_with("Suppress DW101"))
        .unwrap_or_else(|| panic!("no suppression in {titles:?}"));
    assert!(
        titles.iter().any(|t| t.contains("Fix all safe")),
        "{titles:?}"
    );
    // The suppression goes after the non-ASCII comment: UTF-16 units.
    assert_eq!(
        edits_for(suppress, &uri(&base))[0]["range"]["start"],
        json!({"line": 0, "character": 18})
    );

    // Apply the fix as the editor would; the re-check is clean.
    let fixed = apply(BASE, edits_for(fix, &uri(&base)), true);
    assert_eq!(fixed, "numpy>=1.16,<1.17  # é😀\n");
    c.change(&base, 2, &fixed);
    assert_eq!(c.diagnostics(&uri(&req)), Vec::<Value>::new());
    assert_eq!(c.diagnostics(&uri(&base)), Vec::<Value>::new());
    // Hover on a covered requirement without a finding: the window and the rule.
    let h = c.request(
        "textDocument/hover",
        json!({"textDocument": {"uri": uri(&base)}, "position": {"line": 0, "character": 1}}),
    );
    let text = h["result"]["contents"]["value"]
        .as_str()
        .unwrap()
        .to_owned();
    for want in [">=1.14.5,<1.17", "tensorflow-1.14/numpy", "reports nothing"] {
        assert!(text.contains(want), "{want} not in hover:\n{text}");
    }
    // Back, then suppressed on its line: clean again (an inline suppression works).
    c.change(&base, 3, BASE);
    let _ = c.diagnostics(&uri(&req));
    assert_eq!(c.diagnostics(&uri(&base)).len(), 1);
    let suppressed = apply(BASE, edits_for(suppress, &uri(&base)), true);
    assert_eq!(
        suppressed,
        "numpy>=1.16  # é😀  # depwindow: ignore[DW101]\n"
    );
    c.change(&base, 4, &suppressed);
    let _ = c.diagnostics(&uri(&req));
    assert_eq!(c.diagnostics(&uri(&base)), Vec::<Value>::new());
    c.change(&base, 5, BASE);
    let _ = c.diagnostics(&uri(&req));
    assert_eq!(c.diagnostics(&uri(&base)).len(), 1);

    // Editing the configuration re-checks the open files; an excluded file gets nothing.
    let conf = dir.join("depwindow.toml");
    std::fs::write(&conf, "").unwrap();
    c.open(&conf, "exclude = [\"base.txt\"]\n");
    let _ = c.diagnostics(&uri(&req));
    assert_eq!(c.diagnostics(&uri(&base)), Vec::<Value>::new());
    c.change(&conf, 2, "\n");
    let _ = c.diagnostics(&uri(&req));
    assert_eq!(c.diagnostics(&uri(&base)).len(), 1);

    // Closing clears.
    c.notify(
        "textDocument/didClose",
        json!({"textDocument": {"uri": uri(&base)}}),
    );
    assert_eq!(c.diagnostics(&uri(&base)), Vec::<Value>::new());
    c.shutdown();
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn utf8_positions_when_the_client_offers_them() {
    let dir = scratch("utf8");
    let req = dir.join("requirements.txt");
    let text = format!("{TF}{BASE}");
    let mut c = Client::start(&dir);
    let init = c.initialize(&dir, Some(&["utf-8", "utf-16"]));
    assert_eq!(init["result"]["capabilities"]["positionEncoding"], "utf-8");
    c.open(&req, &text);
    let d = c.diagnostics(&uri(&req));
    assert_eq!(d.len(), 1, "{d:?}");
    let actions = c.request(
        "textDocument/codeAction",
        json!({"textDocument": {"uri": uri(&req)}, "range": d[0]["range"],
               "context": {"diagnostics": d}}),
    );
    let suppress = actions["result"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["title"].as_str().unwrap().starts_with("Suppress"))
        .unwrap()
        .clone();
    let e = edits_for(&suppress, &uri(&req));
    assert_eq!(e[0]["range"]["start"], json!({"line": 4, "character": 21}));
    assert!(apply(&text, e, false).ends_with("😀  # depwindow: ignore[DW101]\n"));
    c.shutdown();
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn bad_input_does_not_stop_the_server() {
    let dir = scratch("bad");
    let req = dir.join("requirements.txt");
    let mut c = Client::start(&dir);
    c.initialize(&dir, None);
    c.notify("textDocument/didOpen", json!({"textDocument": 42}));
    c.notify("textDocument/didChange", json!(null));
    let r = c.request("textDocument/hover", json!({"nonsense": true}));
    assert!(r.get("error").is_some(), "{r}");
    let r = c.request("no/such/method", json!({}));
    assert!(r.get("error").is_some(), "{r}");
    let r = c.request(
        "textDocument/codeAction",
        json!({"textDocument": {"uri": "untitled:1"}, "range":
               {"start": {"line": 0, "character": 0}, "end": {"line": 0, "character": 0}},
               "context": {"diagnostics": []}}),
    );
    assert_eq!(r["result"], json!([]));
    // Hostile text: NUL bytes, a lone surrogate escape, huge line, deep brackets.
    let mut hostile = String::from("tensorflow==1.14.0\nnumpy\u{1}>=1\n\u{FFFD}[[[[");
    hostile.push_str(&"(".repeat(100_000));
    hostile.push_str("\n-r\n-r /proc/kmsg\n-c ../../../../etc/shadow\n");
    c.open(&req, &hostile);
    let d = c.diagnostics(&uri(&req));
    // Reads on behalf of the file stay in the project, as in `check`.
    assert!(
        d.iter().any(|d| d["code"] == "DW002"
            && d["message"]
                .as_str()
                .unwrap()
                .contains("outside the project")),
        "{d:?}"
    );
    // Still serving.
    c.change(&req, 2, &format!("{TF}{BASE}"));
    assert_eq!(c.diagnostics(&uri(&req)).len(), 1);
    c.shutdown();
    let _ = std::fs::remove_dir_all(&dir);
}

fn rss_pages(pid: u32) -> u64 {
    let statm = std::fs::read_to_string(format!("/proc/{pid}/statm")).unwrap();
    statm.split_whitespace().nth(1).unwrap().parse().unwrap()
}

#[test]
fn memory_stays_flat_over_ten_thousand_edits() {
    if !Path::new("/proc/self/statm").exists() {
        crate::common::note("skipped: no /proc/PID/statm on this system");
        return;
    }
    let dir = scratch("memory");
    let req = dir.join("requirements.txt");
    std::fs::write(dir.join("base.txt"), "numpy>=1.16\n").unwrap();
    let mut c = Client::start(&dir);
    c.initialize(&dir, None);
    c.open(&req, INCLUDER);
    let _ = c.diagnostics(&uri(&req));
    let pid = c.child.id();
    let mut version = 1;
    let mut edit = |c: &mut Client, i: u64| {
        version += 1;
        // Every edit differs (a new version each time). One in ten requires TensorFlow 1.14.0
        // and gets findings (the full check on twelve environments); the rest are checked
        // too, include and all, and get none: the findings' turnover is exercised a thousand
        // times without making the test cost ten thousand full checks.
        let tf = if i % 10 == 0 {
            "tensorflow==1.14.0\n"
        } else {
            ""
        };
        let text = format!(
            "{tf}-r base.txt\nprotobuf>={}.{}\n# edit {i} é😀\n",
            3 + i % 3,
            i % 17
        );
        c.change(&req, version, &text);
        let _ = c.diagnostics(&uri(&req));
    };
    for i in 0..1_000 {
        edit(&mut c, i);
    }
    let warm = rss_pages(pid);
    for i in 1_000..10_000 {
        edit(&mut c, i);
    }
    let after = rss_pages(pid);
    let page_kib = 4;
    let growth_kib = after.saturating_sub(warm) * page_kib;
    crate::common::note(&format!(
        "RSS {warm} -> {after} pages over 9,000 edits after 1,000 warm-up edits"
    ));
    // 9,000 edits of ~80 bytes each would be 700 KiB if every text were kept.
    assert!(
        growth_kib < 512,
        "RSS grew by {growth_kib} KiB over 9,000 edits ({warm} -> {after} pages)"
    );
    c.shutdown();
    let _ = std::fs::remove_dir_all(&dir);
}

/// A real editor client: headless Neovim (Debian's `neovim`) starts the server on a
/// requirements file and reads `vim.diagnostic.get()`.
#[test]
fn neovim_shows_the_findings() {
    let found = Command::new("nvim")
        .arg("--version")
        .output()
        .map_err(|e| format!("`nvim`: {e} (apt-get install neovim)"))
        .and_then(|o| {
            o.status
                .success()
                .then_some(())
                .ok_or_else(|| "`nvim --version` failed".to_owned())
        });
    if crate::common::require("Neovim (nvim)", found).is_none() {
        return;
    }
    let dir = scratch("neovim");
    let req = dir.join("requirements.txt");
    std::fs::write(&req, format!("{TF}{BASE}")).unwrap();
    let out = dir.join("diagnostics.txt");
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/integration/editors/neovim.lua");
    let status = Command::new("nvim")
        .args(["--headless", "--clean", "-c"])
        .arg(format!("luafile {}", script.display()))
        .env("DW_BIN", env!("CARGO_BIN_EXE_depwindow"))
        .env("DW_FILE", &req)
        .env("DW_OUT", &out)
        .env("HOME", &dir)
        .env("XDG_STATE_HOME", dir.join("state"))
        .env("XDG_DATA_HOME", dir.join("data"))
        .current_dir(&dir)
        .stdin(Stdio::null())
        .status()
        .unwrap();
    assert!(status.success(), "nvim: {status}");
    let got = std::fs::read_to_string(&out).unwrap();
    eprintln!("vim.diagnostic.get():\n{got}");
    let lines: Vec<&str> = got.lines().collect();
    assert_eq!(lines.len(), 1, "{got}");
    // 0-based line 4, columns 5..11 (`>=1.16`), source, code, severity 1 (error), message.
    assert!(
        lines[0].starts_with(
            "4:5-4:11 depwindow DW101 1 `numpy>=1.16` admits numpy outside TensorFlow 1.14.0's tested window `>=1.14.5,<1.17`"
        ),
        "{got}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}
