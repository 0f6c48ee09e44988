//! Applying fixes: `--diff` prints them as a unified diff, `--fix` writes them.
//!
//! Invariants (tested in `tests/autofix.rs`):
//! - Only the bytes inside a fix's span change; everything else in the file, BOM, line
//!   endings and the final newline included, is kept byte for byte. Offsets are mapped to the
//!   file on disk with [`SourceFile::original_offset`].
//! - A file is written only when it is under one of the checked paths (an include such as
//!   `-r ../other/requirements.txt` leads outside: reported, not written), when it still
//!   holds what was checked (re-read and compared just before writing), and when its encoding
//!   can carry the replacement (UTF-16 files are refused; Latin-1 files take ASCII only).
//! - Writes go to a temporary file in the same directory, which then replaces the original
//!   by rename, with the original's permissions.
//! - Overlapping edits: the first is applied, the rest wait for the next round; `--fix`
//!   re-checks and repeats up to [`MAX_ROUNDS`] times, so one invocation converges.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};

use crate::diagnostic::{Applicability, Diagnostic};
use crate::files::{read_capped, Files};
use crate::manifest::FileId;
use crate::run::Outcome;
use crate::source::{Encoding, SourceFile};

/// How many check -> fix rounds `--fix` runs at most.
pub const MAX_ROUNDS: usize = 5;

/// One edit in original byte offsets.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Edit {
    pub start: usize,
    pub end: usize,
    pub text: Vec<u8>,
}

/// The edits for one file, with the bytes they apply to.
#[derive(Debug)]
pub struct FilePlan {
    /// The path to write (symlinks resolved).
    pub path: PathBuf,
    pub display: String,
    pub original: Vec<u8>,
    pub edits: Vec<Edit>,
}

impl FilePlan {
    pub fn fixed(&self) -> Vec<u8> {
        apply_edits(&self.original, &self.edits)
    }
}

/// Why a fix was not applied.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Skip {
    pub display: String,
    pub line: usize,
    pub code: &'static str,
    pub reason: String,
    pub unsafe_fix: bool,
}

#[derive(Debug, Default)]
pub struct Plan {
    pub files: Vec<FilePlan>,
    pub skipped: Vec<Skip>,
    /// Fixes held back because they overlap an edit applied in this round.
    pub deferred: usize,
}

impl Plan {
    pub fn edit_count(&self) -> usize {
        self.files.iter().map(|f| f.edits.len()).sum()
    }
}

/// The directories fixes may write into: each directory given, and the directory of each
/// file given.
pub fn roots(paths: &[PathBuf]) -> Vec<PathBuf> {
    paths
        .iter()
        .filter_map(|p| {
            let c = std::fs::canonicalize(p).ok()?;
            if c.is_dir() {
                Some(c)
            } else {
                c.parent().map(Path::to_path_buf)
            }
        })
        .collect()
}

/// Collect the fixes of a check's outcome into per-file edits.
pub fn plan(outcome: &Outcome, roots: &[PathBuf], unsafe_fixes: bool) -> Plan {
    let mut plan = Plan::default();
    let mut by_file: BTreeMap<FileId, Vec<(&Diagnostic, Edit)>> = BTreeMap::new();
    let files: &Files = &outcome.files;
    for d in &outcome.diagnostics {
        let Some(fix) = &d.fix else { continue };
        if d.suppressed.is_some() {
            continue;
        }
        let file = files.get(fix.loc.file);
        let skip = |reason: String, unsafe_fix: bool| Skip {
            display: file.display.clone(),
            line: file.position(fix.loc.span.start).line,
            code: d.code(),
            reason,
            unsafe_fix,
        };
        if fix.applicability == Applicability::Unsafe && !unsafe_fixes {
            let why = fix
                .reason
                .clone()
                .unwrap_or_else(|| "the fix is unsafe".into());
            plan.skipped.push(skip(why, true));
            continue;
        }
        let text = match encode(file, &fix.replacement) {
            Ok(t) => t,
            Err(why) => {
                plan.skipped.push(skip(why, false));
                continue;
            }
        };
        let edit = Edit {
            start: file.original_offset(fix.loc.span.start),
            end: file.original_offset(fix.loc.span.end),
            text,
        };
        by_file.entry(fix.loc.file).or_default().push((d, edit));
    }
    for (id, items) in by_file {
        let file = files.get(id);
        let skip_all = |plan: &mut Plan, reason: String| {
            for (d, e) in &items {
                plan.skipped.push(Skip {
                    display: file.display.clone(),
                    line: line_of(file, e.start),
                    code: d.code(),
                    reason: reason.clone(),
                    unsafe_fix: false,
                });
            }
        };
        let path = match std::fs::canonicalize(&file.path) {
            Ok(p) => p,
            Err(e) => {
                skip_all(&mut plan, format!("cannot resolve the path: {e}"));
                continue;
            }
        };
        if !roots.iter().any(|r| path.starts_with(r)) {
            skip_all(
                &mut plan,
                "the file is outside the checked paths (reached through an include); not written"
                    .into(),
            );
            continue;
        }
        let original = match read_capped(&path) {
            Ok(b) => b,
            Err(e) => {
                skip_all(&mut plan, format!("cannot read the file again: {e}"));
                continue;
            }
        };
        if !same_content(file, &original) {
            skip_all(
                &mut plan,
                "the file changed on disk since it was checked; not written".into(),
            );
            continue;
        }
        // Same edit proposed by several findings: once.
        let mut edits: Vec<Edit> = Vec::new();
        for (_, e) in items {
            if !edits.contains(&e) {
                edits.push(e);
            }
        }
        // Stable sort: insertions at one offset keep the findings' order.
        edits.sort_by_key(|e| (e.start, e.end));
        let mut kept: Vec<Edit> = Vec::new();
        for e in edits {
            if kept.iter().any(|k| overlaps(k, &e)) || e.end > original.len() {
                plan.deferred += 1;
            } else {
                kept.push(e);
            }
        }
        plan.files.push(FilePlan {
            path,
            display: file.display.clone(),
            original,
            edits: kept,
        });
    }
    plan
}

fn line_of(file: &SourceFile, original: usize) -> usize {
    // Only used for messages; the decoded offset is close enough for the line.
    let decoded = original.saturating_sub(file.bom_len());
    file.position(decoded).line
}

/// Two edits overlap when they share a byte, or one inserts strictly inside the other.
fn overlaps(a: &Edit, b: &Edit) -> bool {
    let shared = a.start.max(b.start) < a.end.min(b.end);
    let inside = |x: &Edit, y: &Edit| x.start == x.end && y.start < x.start && x.start < y.end;
    shared || inside(a, b) || inside(b, a)
}

/// The replacement as bytes in the file's encoding.
fn encode(file: &SourceFile, replacement: &str) -> Result<Vec<u8>, String> {
    match file.encoding {
        Encoding::Utf8 | Encoding::Utf8Bom => Ok(replacement.as_bytes().to_vec()),
        Encoding::Latin1 { .. } if replacement.is_ascii() => Ok(replacement.as_bytes().to_vec()),
        Encoding::Latin1 { .. } => {
            Err("the file is Latin-1 and the fix is not plain ASCII; not written".into())
        }
        Encoding::Utf16 { .. } => {
            Err("the file is UTF-16; fixes are only written to UTF-8 and Latin-1 files".into())
        }
    }
}

/// Whether `bytes` still decode to the text that was checked.
fn same_content(file: &SourceFile, bytes: &[u8]) -> bool {
    let again = SourceFile::from_bytes(&file.path, String::new(), bytes);
    again.text == file.text && again.encoding == file.encoding && again.bom_len() == file.bom_len()
}

/// Apply sorted, non-overlapping edits.
pub fn apply_edits(original: &[u8], edits: &[Edit]) -> Vec<u8> {
    let mut out = Vec::with_capacity(original.len() + 64);
    let mut at = 0;
    for e in edits {
        let start = e.start.clamp(at, original.len());
        out.extend_from_slice(&original[at..start]);
        out.extend_from_slice(&e.text);
        at = e.end.clamp(start, original.len());
    }
    out.extend_from_slice(&original[at..]);
    out
}

/// Write one file's fixes: temporary file beside it, permissions copied, rename over.
pub fn write(fp: &FilePlan) -> Result<(), String> {
    let now = read_capped(&fp.path).map_err(|e| format!("cannot read: {e}"))?;
    if now != fp.original {
        return Err("the file changed on disk while fixing; not written".into());
    }
    let meta = std::fs::metadata(&fp.path).map_err(|e| e.to_string())?;
    let dir = fp.path.parent().unwrap_or(Path::new("."));
    let name = fp
        .path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let fixed = fp.fixed();
    let mut n = 0u32;
    let (tmp, mut f) = loop {
        let tmp = dir.join(format!(".{name}.depwindow-{}-{n}.tmp", std::process::id()));
        match std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&tmp)
        {
            Ok(f) => break (tmp, f),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists && n < 100 => n += 1,
            Err(e) => return Err(format!("cannot create a temporary file: {e}")),
        }
    };
    let result = f
        .write_all(&fixed)
        .and_then(|_| f.sync_all())
        .and_then(|_| std::fs::set_permissions(&tmp, meta.permissions()))
        .and_then(|_| std::fs::rename(&tmp, &fp.path));
    if let Err(e) = result {
        let _ = std::fs::remove_file(&tmp);
        return Err(format!("cannot write: {e}"));
    }
    Ok(())
}

/// What `--fix` did.
#[derive(Debug, Default)]
pub struct Summary {
    /// Edits written.
    pub fixed: usize,
    pub files_written: Vec<String>,
    /// Fixes not applied in the end, with why.
    pub skipped: Vec<Skip>,
    /// Write failures.
    pub errors: Vec<String>,
}

/// Check, fix, re-check until no fix applies (at most [`MAX_ROUNDS`] rounds). Returns the
/// outcome of the last check: the findings that remain.
pub fn fix_loop(
    first: Outcome,
    rerun: &dyn Fn() -> Outcome,
    roots: &[PathBuf],
    unsafe_fixes: bool,
) -> (Outcome, Summary) {
    let mut summary = Summary::default();
    let mut outcome = first;
    let mut round = 0;
    loop {
        let p = plan(&outcome, roots, unsafe_fixes);
        if p.edit_count() == 0 || round == MAX_ROUNDS {
            summary.skipped = p.skipped;
            break;
        }
        let mut wrote = false;
        for fp in &p.files {
            if fp.edits.is_empty() {
                continue;
            }
            match write(fp) {
                Ok(()) => {
                    wrote = true;
                    summary.fixed += fp.edits.len();
                    if !summary.files_written.contains(&fp.display) {
                        summary.files_written.push(fp.display.clone());
                    }
                }
                Err(e) => summary.errors.push(format!("`{}`: {e}", fp.display)),
            }
        }
        round += 1;
        outcome = rerun();
        if !wrote {
            let p = plan(&outcome, roots, unsafe_fixes);
            summary.skipped = p.skipped;
            break;
        }
    }
    (outcome, summary)
}

/// Lines of `bytes`, each with its terminator; `starts[i]` is where line i begins.
fn line_starts(bytes: &[u8]) -> Vec<usize> {
    let mut v = vec![0];
    for (i, &b) in bytes.iter().enumerate() {
        if b == b'\n' && i + 1 < bytes.len() {
            v.push(i + 1);
        }
    }
    if bytes.is_empty() {
        v.clear();
    }
    v
}

/// A unified diff (`git apply` / `patch -p1` compatible) of one file's edits, with three
/// lines of context.
pub fn unified_diff(fp: &FilePlan) -> Vec<u8> {
    const CONTEXT: usize = 3;
    let old = &fp.original;
    let starts = line_starts(old);
    let nlines = starts.len();
    let line_of = |off: usize| match starts.binary_search(&off) {
        Ok(i) => i,
        Err(i) => i.saturating_sub(1),
    };
    let line_start = |l: usize| starts.get(l).copied().unwrap_or(old.len());
    // The old line range [a, b) each edit touches.
    let mut ranges: Vec<(usize, usize, Vec<&Edit>)> = Vec::new();
    for e in &fp.edits {
        let a = if e.start >= old.len() {
            nlines
        } else {
            line_of(e.start)
        };
        let pure_line_insert = e.start == e.end
            && (e.start == line_start(a) || e.start >= old.len())
            && (e.text.ends_with(b"\n") || e.start >= old.len());
        let b = if pure_line_insert {
            a
        } else if e.end >= old.len() {
            nlines
        } else {
            line_of(e.end.max(e.start)) + 1
        };
        // An insertion at the end of a file without a final newline changes the last line.
        let (a, b) = if e.start >= old.len() && !old.is_empty() && !old.ends_with(b"\n") {
            (nlines - 1, nlines)
        } else {
            (a, b.max(a))
        };
        match ranges.last_mut() {
            Some(last) if a <= last.1 + 2 * CONTEXT => {
                last.0 = last.0.min(a);
                last.1 = last.1.max(b);
                last.2.push(e);
            }
            _ => ranges.push((a, b, vec![e])),
        }
    }
    let mut out = Vec::new();
    if ranges.is_empty() {
        return out;
    }
    out.extend_from_slice(format!("--- a/{}\n+++ b/{}\n", fp.display, fp.display).as_bytes());
    let mut delta: isize = 0;
    for (a, b, edits) in ranges {
        let ctx_a = a.saturating_sub(CONTEXT);
        let ctx_b = (b + CONTEXT).min(nlines);
        let seg_start = line_start(a);
        let seg_end = line_start(b);
        let local: Vec<Edit> = edits
            .iter()
            .map(|e| Edit {
                start: e.start.clamp(seg_start, seg_end) - seg_start,
                end: e.end.clamp(seg_start, seg_end) - seg_start,
                text: e.text.clone(),
            })
            .collect();
        let new_seg = apply_edits(&old[seg_start..seg_end], &local);
        let old_lines = split_lines(&old[seg_start..seg_end]);
        let new_lines = split_lines(&new_seg);
        let before = split_lines(&old[line_start(ctx_a)..seg_start]);
        let after = split_lines(&old[seg_end..line_start(ctx_b)]);
        let old_count = before.len() + old_lines.len() + after.len();
        let new_count = before.len() + new_lines.len() + after.len();
        let old_start = if old_count == 0 { ctx_a } else { ctx_a + 1 };
        let new_first = (ctx_a as isize + delta) as usize;
        let new_start = if new_count == 0 {
            new_first
        } else {
            new_first + 1
        };
        out.extend_from_slice(
            format!("@@ -{old_start},{old_count} +{new_start},{new_count} @@\n").as_bytes(),
        );
        for (prefix, lines) in [
            (b' ', &before),
            (b'-', &old_lines),
            (b'+', &new_lines),
            (b' ', &after),
        ] {
            for l in lines.iter() {
                out.push(prefix);
                out.extend_from_slice(l);
                if !l.ends_with(b"\n") {
                    out.extend_from_slice(b"\n\\ No newline at end of file\n");
                }
            }
        }
        delta += new_lines.len() as isize - old_lines.len() as isize;
    }
    out
}

fn split_lines(bytes: &[u8]) -> Vec<&[u8]> {
    let mut v = Vec::new();
    let mut start = 0;
    for (i, &b) in bytes.iter().enumerate() {
        if b == b'\n' {
            v.push(&bytes[start..=i]);
            start = i + 1;
        }
    }
    if start < bytes.len() {
        v.push(&bytes[start..]);
    }
    v
}

/// What to tell the user about fixes left alone.
pub fn skipped_note(skipped: &[Skip]) -> Vec<String> {
    let mut out = Vec::new();
    let unsafe_count = skipped.iter().filter(|s| s.unsafe_fix).count();
    if unsafe_count > 0 {
        let mut reasons: Vec<&str> = skipped
            .iter()
            .filter(|s| s.unsafe_fix)
            .map(|s| s.reason.as_str())
            .collect();
        reasons.dedup();
        out.push(format!(
            "{unsafe_count} unsafe fix{} not applied ({}); use `--unsafe-fixes` to apply {}",
            if unsafe_count == 1 { "" } else { "es" },
            reasons.join("; "),
            if unsafe_count == 1 { "it" } else { "them" }
        ));
    }
    for s in skipped.iter().filter(|s| !s.unsafe_fix) {
        out.push(format!(
            "{}:{}: {} fix not applied: {}",
            s.display, s.line, s.code, s.reason
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fp(original: &str, edits: &[(usize, usize, &str)]) -> FilePlan {
        FilePlan {
            path: PathBuf::from("r.txt"),
            display: "r.txt".into(),
            original: original.as_bytes().to_vec(),
            edits: edits
                .iter()
                .map(|&(start, end, t)| Edit {
                    start,
                    end,
                    text: t.as_bytes().to_vec(),
                })
                .collect(),
        }
    }

    #[test]
    fn edits_apply_in_order_and_keep_the_rest() {
        let f = fp(
            "a\nnumpy>=1.16\nc",
            &[(2, 2, "tf\n"), (7, 13, ">=1.16,<1.17")],
        );
        assert_eq!(f.fixed(), b"a\ntf\nnumpy>=1.16,<1.17\nc");
    }

    #[test]
    fn overlap_rules() {
        let e = |s, e| Edit {
            start: s,
            end: e,
            text: vec![],
        };
        assert!(overlaps(&e(0, 5), &e(4, 6)));
        assert!(!overlaps(&e(0, 5), &e(5, 6)));
        assert!(!overlaps(&e(3, 3), &e(3, 3)));
        assert!(overlaps(&e(3, 3), &e(1, 5)));
        assert!(!overlaps(&e(5, 5), &e(1, 5)));
    }

    #[test]
    fn diff_of_an_insertion_and_a_final_line_without_newline() {
        let f = fp(
            "tf\nnumpy>=1.16",
            &[(3, 3, "gast<0.3\n"), (14, 14, ",<1.17")],
        );
        let d = String::from_utf8(unified_diff(&f)).unwrap();
        assert_eq!(
            d,
            "--- a/r.txt\n+++ b/r.txt\n@@ -1,2 +1,3 @@\n tf\n-numpy>=1.16\n\\ No newline at end of file\n+gast<0.3\n+numpy>=1.16,<1.17\n\\ No newline at end of file\n"
        );
    }
}

/// What the command line asked for.
#[derive(Clone, Copy, Debug)]
pub struct Mode {
    /// `--diff`: print, write nothing.
    pub diff: bool,
    pub unsafe_fixes: bool,
}

/// `--fix` / `--diff` from the command line. `first` is the outcome of the first check;
/// `rerun` checks the same paths again. With `--diff`, the diff is printed here and the
/// returned outcome is None; with `--fix`, the outcome of the last check is returned with
/// what was done.
pub fn run_cli(
    mode: Mode,
    paths: &[PathBuf],
    first: Outcome,
    rerun: &dyn Fn() -> Outcome,
    out: &mut dyn Write,
) -> Result<(Option<Outcome>, Summary), String> {
    if paths.iter().any(|p| p.as_os_str() == "-") {
        return Err("`--fix` and `--diff` need files, not standard input".into());
    }
    let default = [PathBuf::from(".")];
    let roots = roots(if paths.is_empty() { &default } else { paths });
    if mode.diff {
        let p = plan(&first, &roots, mode.unsafe_fixes);
        let mut summary = Summary {
            skipped: p.skipped.clone(),
            ..Summary::default()
        };
        for fp in &p.files {
            let d = unified_diff(fp);
            if !d.is_empty() {
                summary.fixed += fp.edits.len();
                summary.files_written.push(fp.display.clone());
            }
            if let Err(e) = out.write_all(&d) {
                if e.kind() != std::io::ErrorKind::BrokenPipe {
                    return Err(format!("cannot write output: {e}"));
                }
            }
        }
        if p.deferred > 0 {
            summary.skipped.push(Skip {
                display: String::new(),
                line: 0,
                code: "",
                reason: format!(
                    "{} overlapping fix{} left for a later run (`--fix` applies them in rounds)",
                    p.deferred,
                    if p.deferred == 1 { "" } else { "es" }
                ),
                unsafe_fix: false,
            });
        }
        return Ok((None, summary));
    }
    let (outcome, summary) = fix_loop(first, rerun, &roots, mode.unsafe_fixes);
    Ok((Some(outcome), summary))
}

/// Print what `--fix` / `--diff` did (standard error, so machine-readable output on
/// standard output stays clean).
pub fn report(summary: &Summary, diff: bool) {
    let _ = std::io::stdout().flush();
    let files = summary.files_written.len();
    let verb = if diff { "would fix" } else { "fixed" };
    if summary.fixed > 0 {
        eprintln!(
            "depwindow: {verb} {} finding{} in {files} file{}",
            summary.fixed,
            if summary.fixed == 1 { "" } else { "s" },
            if files == 1 { "" } else { "s" }
        );
    }
    for line in skipped_note(&summary.skipped) {
        let line = line.trim_start_matches(":0: ").trim_start_matches(": ");
        eprintln!("depwindow: note: {line}");
    }
    for e in &summary.errors {
        eprintln!("depwindow: error: {e}");
    }
}
