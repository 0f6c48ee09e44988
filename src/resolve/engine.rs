//! Running a real resolver (uv or pip) on requirement strings: the command line, the parse of
//! its answer, and the cache. Only requirement strings we wrote ourselves reach the resolver
//! (on standard input or in a temporary file of ours); index options come from the caller.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// Which resolver runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Kind {
    Uv,
    Pip,
}

/// A resolver found on this machine, with its version (part of the cache key).
#[derive(Clone, Debug)]
pub(crate) struct Engine {
    pub kind: Kind,
    /// The program to run (`uv`, or the Python whose pip runs).
    pub program: PathBuf,
    /// `uv 0.13.9`, `pip 24.0`.
    pub version: String,
    /// For pip: the host's Python (`major.minor`), the only one it can resolve for.
    pub host_python: Option<String>,
}

/// Index options, passed through with pip's and uv's meaning.
#[derive(Clone, Debug, Default)]
pub(crate) struct Index {
    pub index_url: Option<String>,
    pub find_links: Vec<String>,
    pub no_index: bool,
}

impl Index {
    pub(crate) fn describe(&self) -> String {
        let mut parts = Vec::new();
        if self.no_index {
            parts.push("no index".to_owned());
        } else {
            parts.push(self.index_url.clone().unwrap_or_else(|| {
                "the default index (PyPI, or UV_INDEX_URL / PIP_INDEX_URL)".into()
            }));
        }
        for f in &self.find_links {
            parts.push(format!("--find-links {f}"));
        }
        parts.join(", ")
    }

    fn args(&self) -> Vec<String> {
        let mut a = Vec::new();
        if let Some(u) = &self.index_url {
            a.push("--index-url".into());
            a.push(u.clone());
        }
        for f in &self.find_links {
            a.push("--find-links".into());
            a.push(f.clone());
        }
        if self.no_index {
            a.push("--no-index".into());
        }
        a
    }
}

/// What to resolve: requirement and constraint lines (ours, one PEP 508 string each).
#[derive(Clone, Debug)]
pub(crate) struct Request {
    pub requirements: Vec<String>,
    pub constraints: Vec<String>,
    /// Admit pre-releases (the file's `--pre`): uv `--prerelease allow`, pip `--pre`.
    pub pre: bool,
    pub overrides: Vec<String>,
    pub python: String,
    /// `linux`, `macos` or `windows`.
    pub platform: String,
    pub allow_build: bool,
}

/// The resolver's answer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Answer {
    /// Package (normalised name) -> (version, the packages that required it).
    Resolved(Vec<Pin>),
    /// No solution: the resolver's reason.
    Failed(String),
    /// A package has only sources and builds are not allowed.
    NeedsBuild(String),
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Pin {
    pub name: String,
    pub version: String,
    pub via: Vec<String>,
}

/// Find the resolver: `uv` on PATH (or the one asked for), else pip of `python3`.
pub(crate) fn find(asked: Option<Kind>) -> Result<Engine, String> {
    let want_uv = asked != Some(Kind::Pip);
    if want_uv {
        match version_of(Path::new("uv"), &["--version"]) {
            Ok(v) => {
                return Ok(Engine {
                    kind: Kind::Uv,
                    program: "uv".into(),
                    version: v,
                    host_python: None,
                })
            }
            Err(e) if asked == Some(Kind::Uv) => {
                return Err(format!("`--resolver uv`: cannot run `uv --version`: {e}"))
            }
            Err(_) => {}
        }
    }
    let python = PathBuf::from("python3");
    let version = version_of(&python, &["-m", "pip", "--version"])
        .map_err(|e| format!("no resolver: uv is not on PATH and `python3 -m pip` fails: {e}"))?;
    let host = version_of(
        &python,
        &["-c", "import sys; print('%d.%d' % sys.version_info[:2])"],
    )?;
    Ok(Engine {
        kind: Kind::Pip,
        program: python,
        version: version
            .split(" from ")
            .next()
            .unwrap_or(&version)
            .to_owned(),
        host_python: Some(host),
    })
}

fn version_of(program: &Path, args: &[&str]) -> Result<String, String> {
    let out = Command::new(program)
        .args(args)
        .stdin(Stdio::null())
        .output()
        .map_err(|e| e.to_string())?;
    if !out.status.success() {
        return Err(format!(
            "exit {}: {}",
            out.status,
            String::from_utf8_lossy(&out.stderr).trim()
        ));
    }
    Ok(String::from_utf8_lossy(&out.stdout).trim().to_owned())
}

impl Engine {
    pub(crate) fn name(&self) -> &'static str {
        match self.kind {
            Kind::Uv => "uv",
            Kind::Pip => "pip",
        }
    }

    /// Resolve, through the cache. An error is the resolver failing to run or to reach the
    /// index: never an answer.
    pub(crate) fn resolve(
        &self,
        req: &Request,
        index: &Index,
        cache: &Cache,
    ) -> Result<Answer, String> {
        let key = self.key(req, index);
        if let Some(a) = cache.get(&key) {
            return Ok(a);
        }
        let answer = match self.kind {
            Kind::Uv => self.run_uv(req, index)?,
            Kind::Pip => self.run_pip(req, index)?,
        };
        cache.put(&key, &answer);
        Ok(answer)
    }

    fn key(&self, req: &Request, index: &Index) -> String {
        let mut s = format!(
            "v1\n{}\n{}\n{}\n{}\n{}\n{}\n",
            self.version,
            req.python,
            req.platform,
            req.allow_build,
            req.pre,
            index.describe()
        );
        for (tag, lines) in [
            ("r", &req.requirements),
            ("c", &req.constraints),
            ("o", &req.overrides),
        ] {
            for l in lines {
                s.push_str(tag);
                s.push(' ');
                s.push_str(l);
                s.push('\n');
            }
        }
        format!("{:016x}", fnv1a(s.as_bytes()))
    }

    fn run_uv(&self, req: &Request, index: &Index) -> Result<Answer, String> {
        let tmp = TempDir::new()?;
        let mut cmd = Command::new(&self.program);
        cmd.args(["pip", "compile", "-", "--no-config", "--no-header"])
            .args(["--annotation-style", "line", "--color", "never"])
            // The newest interpreter of the series: a Python X.Y is every X.Y.* (`python.rs`),
            // and uv reads `3.7` as 3.7.0, which a `Requires-Python: >=3.7.1` excludes.
            .args(["--python-version", &format!("{}.99", req.python)])
            .args(["--python-platform", &req.platform])
            .args(index.args());
        if !req.allow_build {
            cmd.arg("--no-build");
        }
        if req.pre {
            cmd.args(["--prerelease", "allow"]);
        }
        for (flag, lines, name) in [
            ("--constraint", &req.constraints, "constraints.txt"),
            ("--override", &req.overrides, "overrides.txt"),
        ] {
            if !lines.is_empty() {
                let p = tmp.write(name, lines)?;
                cmd.arg(flag).arg(p);
            }
        }
        // Run in an empty directory: no project configuration of the checked tree applies.
        cmd.current_dir(&tmp.0);
        let input = lines_text(&req.requirements);
        let (code, stdout, stderr) = run(cmd, input.as_bytes())?;
        match code {
            Some(0) => Ok(Answer::Resolved(parse_uv_output(&stdout))),
            Some(1) if stderr.contains("No solution found") => {
                let reason = uv_reason(&stderr);
                if needs_build(&reason, &stderr) {
                    Ok(Answer::NeedsBuild(reason))
                } else {
                    Ok(Answer::Failed(reason))
                }
            }
            _ => Err(format!(
                "uv failed ({}): {}",
                code.map_or("killed".to_owned(), |c| format!("exit {c}")),
                last_lines(&stderr, 6)
            )),
        }
    }

    fn run_pip(&self, req: &Request, index: &Index) -> Result<Answer, String> {
        let tmp = TempDir::new()?;
        let reqs = tmp.write("requirements.txt", &req.requirements)?;
        let mut cmd = Command::new(&self.program);
        cmd.args(["-m", "pip", "install", "--dry-run", "--ignore-installed"])
            .args(["--quiet", "--disable-pip-version-check", "--isolated"])
            .args(["--report", "-", "-r"])
            .arg(reqs)
            .args(index.args());
        if !req.constraints.is_empty() {
            cmd.arg("-c")
                .arg(tmp.write("constraints.txt", &req.constraints)?);
        }
        if !req.allow_build {
            cmd.args(["--only-binary", ":all:"]);
        }
        if req.pre {
            cmd.arg("--pre");
        }
        cmd.current_dir(&tmp.0);
        let (code, stdout, stderr) = run(cmd, b"")?;
        if code == Some(0) {
            return parse_pip_report(&stdout);
        }
        if stderr.contains("ResolutionImpossible") || stderr.contains("conflicting dependencies") {
            return Ok(Answer::Failed(last_lines(&stderr, 8)));
        }
        if stderr.contains("No matching distribution found") && !req.allow_build {
            // Only a source distribution (or nothing at all) for some package.
            return Ok(Answer::NeedsBuild(last_lines(&stderr, 3)));
        }
        Err(format!("pip failed: {}", last_lines(&stderr, 6)))
    }
}

fn lines_text(lines: &[String]) -> String {
    let mut s = String::new();
    for l in lines {
        s.push_str(l);
        s.push('\n');
    }
    s
}

fn run(mut cmd: Command, input: &[u8]) -> Result<(Option<i32>, String, String), String> {
    let program = cmd.get_program().to_string_lossy().into_owned();
    let mut child = cmd
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| format!("cannot start `{program}`: {e}"))?;
    if let Some(mut stdin) = child.stdin.take() {
        stdin
            .write_all(input)
            .map_err(|e| format!("cannot write to `{program}`: {e}"))?;
    }
    let out = child
        .wait_with_output()
        .map_err(|e| format!("`{program}` failed: {e}"))?;
    Ok((
        out.status.code(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    ))
}

fn last_lines(text: &str, n: usize) -> String {
    let lines: Vec<&str> = text
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with("warning:"))
        .collect();
    lines[lines.len().saturating_sub(n)..].join(" / ")
}

/// uv's `cause:` text, joined into one paragraph.
fn uv_reason(stderr: &str) -> String {
    let mut out = Vec::new();
    let mut on = false;
    for line in stderr.lines() {
        let t = line.trim();
        if let Some(rest) = t.strip_prefix("cause:") {
            on = true;
            out.push(rest.trim().to_owned());
        } else if t.starts_with("hint:") {
            on = false;
        } else if on && !t.is_empty() {
            out.push(t.to_owned());
        } else if t.is_empty() {
            on = false;
        }
    }
    out.join(" ")
}

/// Whether a failure under `--no-build` is only for want of wheels: uv names the packages
/// in its hint (``Wheels are required for `pandas` ``) and every dependency in its reason
/// leads to one of them. A dependency on anything else (`pandas requires numpy>=1.17.3`,
/// `Python>=3.7.1`) is a real conflict.
fn needs_build(reason: &str, stderr: &str) -> bool {
    let mut wanted: Vec<String> = Vec::new();
    for part in stderr.split("Wheels are required for `").skip(1) {
        if let Some((name, _)) = part.split_once('`') {
            wanted.push(normalize(name));
        }
    }
    if wanted.is_empty() || !reason.contains("no usable wheels") {
        return false;
    }
    let short = shorten(reason);
    short
        .split("; ")
        .filter_map(|fact| fact.split_once(" requires ").map(|(_, what)| what))
        .all(|what| {
            let end = what
                .find(|c: char| !(c.is_ascii_alphanumeric() || "-_.".contains(c)))
                .unwrap_or(what.len());
            wanted.contains(&normalize(&what[..end]))
        })
}

/// `numpy==1.21.6             # via dwplat, tensorflow` lines (uv `--annotation-style line`).
pub(crate) fn parse_uv_output(stdout: &str) -> Vec<Pin> {
    let mut pins = Vec::new();
    for line in stdout.lines() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let (spec, comment) = match line.split_once('#') {
            Some((a, b)) => (a.trim(), b.trim()),
            None => (line, ""),
        };
        // Drop markers (`; sys_platform == ...`) and hashes.
        let spec = spec.split(';').next().unwrap_or(spec).trim();
        let Some((name, version)) = spec.split_once("==") else {
            continue;
        };
        let name = name.split('[').next().unwrap_or(name).trim();
        let via = comment
            .strip_prefix("via")
            .map(|v| {
                v.split(',')
                    .map(str::trim)
                    .filter(|s| !s.is_empty() && !s.starts_with('-'))
                    .map(str::to_owned)
                    .collect()
            })
            .unwrap_or_default();
        pins.push(Pin {
            name: normalize(name),
            version: version.trim().to_owned(),
            via,
        });
    }
    pins
}

/// pip's `--report -` JSON: the install list, with who requires whom from `requires_dist`.
fn parse_pip_report(stdout: &str) -> Result<Answer, String> {
    let v: serde_json::Value =
        serde_json::from_str(stdout).map_err(|e| format!("pip's report is not JSON: {e}"))?;
    let installs = v["install"].as_array().cloned().unwrap_or_default();
    let mut pins: Vec<Pin> = installs
        .iter()
        .filter_map(|i| {
            let m = &i["metadata"];
            Some(Pin {
                name: normalize(m["name"].as_str()?),
                version: m["version"].as_str()?.to_owned(),
                via: Vec::new(),
            })
        })
        .collect();
    for i in &installs {
        let m = &i["metadata"];
        let Some(by) = m["name"].as_str().map(normalize) else {
            continue;
        };
        for r in m["requires_dist"].as_array().into_iter().flatten() {
            let Some(r) = r.as_str() else { continue };
            if r.contains("extra ==") {
                continue;
            }
            let end = r
                .find(|c: char| !(c.is_ascii_alphanumeric() || "-_.".contains(c)))
                .unwrap_or(r.len());
            let dep = normalize(&r[..end]);
            if let Some(p) = pins.iter_mut().find(|p| p.name == dep) {
                if !p.via.contains(&by) {
                    p.via.push(by.clone());
                }
            }
        }
    }
    Ok(Answer::Resolved(pins))
}

/// PEP 503 normalisation.
pub(crate) fn normalize(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    normalize_into(name, &mut out);
    out
}

/// [`normalize`] into `out` (cleared first), reusing its allocation.
pub(crate) fn normalize_into(name: &str, out: &mut String) {
    out.clear();
    let mut dash = false;
    for c in name.trim().chars() {
        if matches!(c, '-' | '_' | '.') {
            dash = true;
        } else {
            if dash && !out.is_empty() {
                out.push('-');
            }
            dash = false;
            out.push(c.to_ascii_lowercase());
        }
    }
}

fn fnv1a(bytes: &[u8]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in bytes {
        h ^= u64::from(*b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    h
}

/// A directory of our own for the resolver's input files, removed on drop.
struct TempDir(PathBuf);

impl TempDir {
    fn new() -> Result<TempDir, String> {
        use std::sync::atomic::{AtomicUsize, Ordering};
        static N: AtomicUsize = AtomicUsize::new(0);
        let base = std::env::temp_dir();
        for _ in 0..100 {
            let p = base.join(format!(
                "depwindow-resolve-{}-{}",
                std::process::id(),
                N.fetch_add(1, Ordering::Relaxed)
            ));
            match std::fs::create_dir(&p) {
                Ok(()) => return Ok(TempDir(p)),
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue,
                Err(e) => return Err(format!("cannot create a temporary directory: {e}")),
            }
        }
        Err("cannot create a temporary directory".into())
    }

    fn write(&self, name: &str, lines: &[String]) -> Result<PathBuf, String> {
        let p = self.0.join(name);
        std::fs::write(&p, lines_text(lines))
            .map_err(|e| format!("cannot write `{}`: {e}", p.display()))?;
        Ok(p)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Answers by key under `$XDG_CACHE_HOME/depwindow/resolve` (or `~/.cache/...`), valid for a
/// day. Errors are never cached.
pub(crate) struct Cache {
    dir: Option<PathBuf>,
    refresh: bool,
}

const DAY: u64 = 24 * 60 * 60;

impl Cache {
    pub(crate) fn new(refresh: bool) -> Cache {
        let base = std::env::var_os("XDG_CACHE_HOME")
            .filter(|v| !v.is_empty())
            .map(PathBuf::from)
            .or_else(|| {
                std::env::var_os("HOME")
                    .filter(|v| !v.is_empty())
                    .map(|h| PathBuf::from(h).join(".cache"))
            });
        Cache {
            dir: base.map(|b| b.join("depwindow").join("resolve")),
            refresh,
        }
    }

    pub(crate) fn dir(&self) -> Option<&Path> {
        self.dir.as_deref()
    }

    fn get(&self, key: &str) -> Option<Answer> {
        if self.refresh {
            return None;
        }
        let path = self.dir.as_ref()?.join(key);
        let age = std::fs::metadata(&path)
            .ok()?
            .modified()
            .ok()?
            .elapsed()
            .ok()?;
        if age.as_secs() >= DAY {
            return None;
        }
        let bytes = crate::files::read_capped(&path).ok()?;
        decode(&String::from_utf8(bytes).ok()?)
    }

    fn put(&self, key: &str, answer: &Answer) {
        let Some(dir) = &self.dir else { return };
        if std::fs::create_dir_all(dir).is_err() {
            return;
        }
        let tmp = dir.join(format!("{key}.{}.tmp", std::process::id()));
        if std::fs::write(&tmp, encode(answer)).is_ok() {
            let _ = std::fs::rename(&tmp, dir.join(key));
        }
    }
}

fn encode(a: &Answer) -> String {
    let v = match a {
        Answer::Resolved(pins) => serde_json::json!({
            "resolved": pins.iter().map(|p| serde_json::json!([p.name, p.version, p.via])).collect::<Vec<_>>()
        }),
        Answer::Failed(r) => serde_json::json!({ "failed": r }),
        Answer::NeedsBuild(r) => serde_json::json!({ "needs-build": r }),
    };
    v.to_string()
}

fn decode(text: &str) -> Option<Answer> {
    let v: serde_json::Value = serde_json::from_str(text).ok()?;
    if let Some(r) = v["failed"].as_str() {
        return Some(Answer::Failed(r.to_owned()));
    }
    if let Some(r) = v["needs-build"].as_str() {
        return Some(Answer::NeedsBuild(r.to_owned()));
    }
    let pins = v["resolved"].as_array()?;
    let mut out = Vec::new();
    for p in pins {
        out.push(Pin {
            name: p[0].as_str()?.to_owned(),
            version: p[1].as_str()?.to_owned(),
            via: p[2]
                .as_array()?
                .iter()
                .filter_map(|s| s.as_str().map(str::to_owned))
                .collect(),
        });
    }
    Some(Answer::Resolved(out))
}

/// Shorten a resolver's reason: `Because dwleak==1.0 depends on numpy>=1.17.3 and you
/// require numpy<1.17, ...` -> `dwleak 1.0 requires numpy>=1.17.3; you require numpy<1.17`.
/// Keeps the facts (who requires what, what you require, what has no wheels or does not
/// fit the Python), drops uv's reasoning words; markers stay whole.
pub(crate) fn shorten(reason: &str) -> String {
    let mut facts: Vec<String> = Vec::new();
    let text: String = reason.split_whitespace().collect::<Vec<_>>().join(" ");
    let text = text.trim_end_matches('.');
    for clause in split_clauses(text) {
        let mut c = clause.trim();
        for prefix in [
            "Because ",
            "because ",
            "And ",
            "and ",
            "we can conclude that ",
            "all of: ",
        ] {
            c = c.strip_prefix(prefix).unwrap_or(c).trim();
            c = c.strip_prefix("because ").unwrap_or(c).trim();
            c = c.strip_prefix("we can conclude that ").unwrap_or(c).trim();
        }
        let fact = if let Some((who, what)) = c
            .split_once(" depends on ")
            .or_else(|| c.split_once(" depend on "))
        {
            let who = who
                .trim_start_matches("all versions of ")
                .trim_start_matches("all of: ")
                .trim();
            let who = match who.split_once("==") {
                Some((n, v)) if !v.contains(' ') => format!("{n} {v}"),
                _ => who.to_owned(),
            };
            Some(format!("{who} requires {}", marker_last(what.trim())))
        } else if let Some(what) = c.strip_prefix("you require ") {
            Some(format!("you require {}", what.trim()))
        } else if c.contains("has no usable wheels")
            || c.contains("have no usable wheels")
            || c.contains("does not satisfy Python")
        {
            Some(c.to_owned())
        } else {
            None
        };
        if let Some(f) = fact {
            if !facts.contains(&f) {
                facts.push(f);
            }
        }
    }
    if facts.is_empty() {
        return text.chars().take(300).collect();
    }
    // What you require is always said; the packages' own requirements up to four.
    let (mut theirs, yours): (Vec<String>, Vec<String>) = facts
        .into_iter()
        .partition(|f| !f.starts_with("you require "));
    let n = theirs.len();
    if n > 4 {
        theirs.truncate(4);
        theirs.push(format!("{} more", n - 4));
    }
    theirs.extend(yours);
    theirs.join("; ")
}

/// Split at `, `, `. ` and ` and ` outside `{...}` (uv writes markers in braces).
fn split_clauses(text: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut depth = 0usize;
    let mut start = 0;
    let bytes = text.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'{' => depth += 1,
            b'}' => depth = depth.saturating_sub(1),
            _ if depth == 0 => {
                let rest = &text[i..];
                let cut = if rest.starts_with(", ") || rest.starts_with(". ") {
                    Some(2)
                } else if rest.starts_with(" and ") {
                    Some(5)
                } else {
                    None
                };
                if let Some(len) = cut {
                    out.push(&text[start..i]);
                    i += len;
                    start = i;
                    continue;
                }
            }
            _ => {}
        }
        i += 1;
    }
    out.push(&text[start..]);
    out
}

/// uv writes a marker inside the requirement (`numpy{sys_platform == 'win32'}>=1.17.3`):
/// `numpy>=1.17.3 (when sys_platform == 'win32')`.
fn marker_last(what: &str) -> String {
    match (what.find('{'), what.rfind('}')) {
        (Some(a), Some(b)) if a < b => {
            format!(
                "{}{} (when {})",
                &what[..a],
                &what[b + 1..],
                &what[a + 1..b]
            )
        }
        _ => what.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uv_lines() {
        let pins = parse_uv_output(
            "dwplat==1.0\nnumpy==1.21.6             # via dwplat, tensorflow\nTensor_Flow==1.14.0  # via -r -\n",
        );
        assert_eq!(pins.len(), 3);
        assert_eq!(pins[1].via, vec!["dwplat", "tensorflow"]);
        assert_eq!(pins[2].name, "tensor-flow");
        assert!(pins[2].via.is_empty());
    }

    #[test]
    fn shortens_uv_reason() {
        let r = "Because all versions of dwleak depend on numpy>=1.17.3 and you require numpy<1.17, we can conclude that your requirements and all versions of dwleak are incompatible. And because you require dwleak, we can conclude that your requirements are unsatisfiable.";
        assert_eq!(
            shorten(r),
            "dwleak requires numpy>=1.17.3; you require numpy<1.17; you require dwleak"
        );
        let r = "Because pandas==1.3.0 depends on numpy>=1.17.3 and you require numpy<1.17";
        assert_eq!(
            shorten(r),
            "pandas 1.3.0 requires numpy>=1.17.3; you require numpy<1.17"
        );
    }

    #[test]
    fn shortens_lists_and_markers() {
        let r = "Because all of: pandas>=3.0.0rc0,<=3.0.0rc2 pandas==3.1.0rc0 have no usable wheels and pandas>=1.3.0,<=1.3.3 depends on numpy>=1.17.3, we can conclude that all of: pandas>=1.3.0,<=1.3.3 pandas>=3.0.0rc0,<=3.0.0rc2 depend on numpy>=1.17.3. And because pandas>=1.3.4,<=1.3.5 depends on numpy{python_full_version < '3.10' and platform_machine != 'aarch64'}>=1.17.3 and you require numpy>=1.14.5,<1.17, we can conclude that your requirements are unsatisfiable.";
        let s = shorten(r);
        assert!(s.starts_with("pandas>=3.0.0rc0,<=3.0.0rc2 pandas==3.1.0rc0 have no usable wheels; pandas>=1.3.0,<=1.3.3 requires numpy>=1.17.3; "), "{s}");
        assert!(s.contains("pandas>=1.3.4,<=1.3.5 requires numpy>=1.17.3 (when python_full_version < '3.10' and platform_machine != 'aarch64')"), "{s}");
        assert!(s.contains("you require numpy>=1.14.5,<1.17"), "{s}");
    }

    #[test]
    fn markers_and_builds() {
        assert_eq!(
            marker_last("numpy{sys_platform == 'win32'}>=1.17.3"),
            "numpy>=1.17.3 (when sys_platform == 'win32')"
        );
        let hint =
            "hint: Wheels are required for `dwbuild` because building from source is disabled";
        let r = "Because dwbuild==1.0 has no usable wheels and only dwbuild==1.0 is available, we can conclude that all versions of dwbuild cannot be used. And because you require dwbuild, we can conclude that your requirements are unsatisfiable.";
        assert!(needs_build(r, hint));
        let r = "Because tensorflow==1.14.0 depends on termcolor>=1.1.0 and termcolor==1.1.0 has no usable wheels, we can conclude that your requirements are unsatisfiable.";
        assert!(needs_build(
            r,
            "Wheels are required for `termcolor` because"
        ));
        // The wheels are missing, but a dependency conflicts too: a resolution failure.
        let r = "Because pandas>=1.4.0 has no usable wheels and pandas>=1.3.0,<=1.3.3 depends on numpy>=1.17.3 and you require numpy<1.17, we can conclude that your requirements are unsatisfiable.";
        assert!(!needs_build(r, "Wheels are required for `pandas` because"));
        assert!(!needs_build(r, ""));
    }

    #[test]
    fn pip_report_with_requirers() {
        // The shape of `pip install --dry-run --report -` (pip 23.2), trimmed.
        let report = r#"{"version": "1", "install": [
            {"metadata": {"name": "tensorflow", "version": "1.14.0", "requires_dist": ["numpy>=1.14.5,<2"]}},
            {"metadata": {"name": "numpy", "version": "1.21.6"}},
            {"metadata": {"name": "dwleak", "version": "1.0", "requires_dist": ["numpy>=1.17.3", "pytest; extra == 'test'"]}}
        ]}"#;
        let Answer::Resolved(pins) = parse_pip_report(report).unwrap() else {
            panic!("resolved");
        };
        let numpy = pins.iter().find(|p| p.name == "numpy").unwrap();
        assert_eq!(numpy.version, "1.21.6");
        assert_eq!(numpy.via, vec!["tensorflow", "dwleak"]);
        assert!(parse_pip_report("not json").is_err());
    }

    #[test]
    fn cache_round_trip() {
        for a in [
            Answer::Failed("x".into()),
            Answer::NeedsBuild("y".into()),
            Answer::Resolved(vec![Pin {
                name: "numpy".into(),
                version: "1.21.6".into(),
                via: vec!["pandas".into()],
            }]),
        ] {
            assert_eq!(decode(&encode(&a)), Some(a));
        }
    }
}
