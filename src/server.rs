//! `depwindow server`: a language server over stdio (`lsp-server` and `lsp-types`, the
//! crates ruff and rust-analyzer use).
//!
//! What it does with each change: the open buffers go into the file registry's overlay
//! ([`crate::files::set_overlay`]), so includes (`-r`, `-c`, `file:`), sibling lockfiles and
//! configuration read the unsaved text first and the disk second; then every open supported
//! file is checked again through [`run::run_jobs`], the same driver as `check` (profiles from
//! the nearest configuration, selection, severities, inline suppressions, dedupe across
//! including files), and the findings are published per open file. Checking every open
//! file on every change is what makes an edit of `base.txt` re-publish its includers.
//!
//! Positions go out in the negotiated encoding: UTF-8 when the client offers it, else
//! UTF-16 (the protocol's default). A panic inside a check is caught, logged to the client
//! and the server keeps serving; nothing is kept per edit but the latest buffers and
//! findings, so memory stays flat however long the session.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::{Path, PathBuf};
use std::str::FromStr;

use lsp_server::{Connection, Message, Notification, Request, RequestId, Response};
use lsp_types as lt;

use crate::config::{CliOverrides, Mode, Resolver};
use crate::diagnostic::{Applicability, Diagnostic, Severity};
use crate::discover::Candidate;
use crate::files::normalize;
use crate::formats::Format;
use crate::run;
use crate::source::{floor_char_boundary, SourceFile, Span};

/// Run the server on stdin/stdout until the client says `exit`.
pub(crate) fn main() -> Result<(), String> {
    let (conn, io) = Connection::stdio();
    serve(&conn)?;
    drop(conn);
    // After `shutdown` a client may close the pipes before or without `exit` (Neovim's
    // `stop_client` on quit): the session ended as asked, so the exit status is 0.
    let _ = io.join();
    Ok(())
}

/// The protocol on one connection (tests use an in-memory one).
pub(crate) fn serve(conn: &Connection) -> Result<(), String> {
    let (id, params) = conn.initialize_start().map_err(|e| e.to_string())?;
    let init: lt::InitializeParams = serde_json::from_value(params).unwrap_or_default();
    let utf8 = init
        .capabilities
        .general
        .as_ref()
        .and_then(|g| g.position_encodings.as_ref())
        .is_some_and(|v| v.contains(&lt::PositionEncodingKind::UTF8));
    let caps = lt::ServerCapabilities {
        position_encoding: Some(if utf8 {
            lt::PositionEncodingKind::UTF8
        } else {
            lt::PositionEncodingKind::UTF16
        }),
        text_document_sync: Some(lt::TextDocumentSyncCapability::Kind(
            lt::TextDocumentSyncKind::FULL,
        )),
        code_action_provider: Some(lt::CodeActionProviderCapability::Options(
            lt::CodeActionOptions {
                code_action_kinds: Some(vec![
                    lt::CodeActionKind::QUICKFIX,
                    lt::CodeActionKind::SOURCE_FIX_ALL,
                ]),
                ..Default::default()
            },
        )),
        hover_provider: Some(lt::HoverProviderCapability::Simple(true)),
        ..Default::default()
    };
    let result = serde_json::json!({
        "capabilities": caps,
        "serverInfo": {"name": "depwindow", "version": env!("CARGO_PKG_VERSION")},
    });
    conn.initialize_finish(id, result)
        .map_err(|e| e.to_string())?;
    let root = workspace_root(&init)
        .or_else(|| std::env::current_dir().ok())
        .unwrap_or_else(|| PathBuf::from("/"));
    let mut server = Server::new(root, utf8);
    server.confine = true;
    for msg in &conn.receiver {
        match msg {
            Message::Request(req) => {
                if conn.handle_shutdown(&req).unwrap_or(true) {
                    break;
                }
                let resp = server.request(req);
                let _ = conn.sender.send(Message::Response(resp));
            }
            Message::Notification(n) => {
                for out in server.notification(n) {
                    let _ = conn.sender.send(Message::Notification(out));
                }
            }
            Message::Response(_) => {}
        }
    }
    for path in server.docs.keys() {
        crate::files::set_overlay(path, None);
    }
    Ok(())
}

#[allow(deprecated)] // `root_uri`: older clients send only that.
fn workspace_root(init: &lt::InitializeParams) -> Option<PathBuf> {
    init.workspace_folders
        .as_ref()
        .and_then(|f| f.first())
        .map(|f| &f.uri)
        .or(init.root_uri.as_ref())
        .and_then(uri_to_path)
}

struct Doc {
    uri: lt::Uri,
}

/// One published finding with what code actions and hovers need.
struct Found {
    diag: lt::Diagnostic,
    fix: Option<FixAction>,
    suppress: Option<lt::TextEdit>,
    hover: Option<String>,
}

struct FixAction {
    uri: lt::Uri,
    edit: lt::TextEdit,
    safe: bool,
    title: String,
}

/// The checking driver: [`run::run_jobs`] (a seam so a test can make a check panic).
type Driver = fn(&Path, &[run::Job], &[run::Profile], usize) -> run::Outcome;

struct Server {
    driver: Driver,
    /// Confine reads to the open files' projects (the process-wide `files::confine`; off in
    /// unit tests, which share their process with other tests).
    confine: bool,
    root: PathBuf,
    utf8: bool,
    docs: BTreeMap<PathBuf, Doc>,
    resolver: Resolver,
    found: HashMap<PathBuf, Vec<Found>>,
}

impl Server {
    fn new(root: PathBuf, utf8: bool) -> Server {
        let resolver = Resolver::new(Mode::Discover, &root, CliOverrides::default());
        Server {
            driver: run::run_jobs,
            confine: false,
            root,
            utf8,
            docs: BTreeMap::new(),
            resolver,
            found: HashMap::new(),
        }
    }

    fn request(&mut self, req: Request) -> Response {
        let id = req.id.clone();
        let outcome = catch_unwind(AssertUnwindSafe(|| self.answer(req)));
        match outcome {
            Ok(Ok(v)) => Response::new_ok(id, v),
            Ok(Err(msg)) => error_response(id, msg),
            Err(p) => error_response(id, format!("internal error: {}", panic_text(&p))),
        }
    }

    fn answer(&mut self, req: Request) -> Result<serde_json::Value, String> {
        match req.method.as_str() {
            "textDocument/codeAction" => {
                let p: lt::CodeActionParams =
                    serde_json::from_value(req.params).map_err(|e| e.to_string())?;
                Ok(serde_json::to_value(self.code_actions(&p)).unwrap_or_default())
            }
            "textDocument/hover" => {
                let p: lt::HoverParams =
                    serde_json::from_value(req.params).map_err(|e| e.to_string())?;
                Ok(serde_json::to_value(self.hover(&p)).unwrap_or_default())
            }
            other => Err(format!("method not supported: {other}")),
        }
    }

    fn notification(&mut self, n: Notification) -> Vec<Notification> {
        let mut out = Vec::new();
        let changed = match n.method.as_str() {
            "textDocument/didOpen" => {
                match serde_json::from_value::<lt::DidOpenTextDocumentParams>(n.params) {
                    Ok(p) => self.set_text(p.text_document.uri, Some(p.text_document.text)),
                    Err(e) => log(&mut out, format!("bad didOpen: {e}")),
                }
            }
            "textDocument/didChange" => {
                match serde_json::from_value::<lt::DidChangeTextDocumentParams>(n.params) {
                    // Full sync: the last change holds the whole text.
                    Ok(p) => match p.content_changes.into_iter().last() {
                        Some(c) => self.set_text(p.text_document.uri, Some(c.text)),
                        None => false,
                    },
                    Err(e) => log(&mut out, format!("bad didChange: {e}")),
                }
            }
            "textDocument/didClose" => {
                match serde_json::from_value::<lt::DidCloseTextDocumentParams>(n.params) {
                    Ok(p) => {
                        // Its findings go with it.
                        out.push(publish(p.text_document.uri.clone(), Vec::new()));
                        self.set_text(p.text_document.uri, None)
                    }
                    Err(e) => log(&mut out, format!("bad didClose: {e}")),
                }
            }
            // A configuration or included file changed on disk.
            "textDocument/didSave" | "workspace/didChangeWatchedFiles" => {
                self.reset_config();
                true
            }
            _ => false,
        };
        if changed {
            self.recheck(&mut out);
        }
        out
    }

    /// Put (or remove) a buffer; true when something is to be re-checked.
    fn set_text(&mut self, uri: lt::Uri, text: Option<String>) -> bool {
        let Some(path) = uri_to_path(&uri) else {
            return false;
        };
        let path = normalize(&path);
        let is_config = matches!(
            path.file_name().and_then(|n| n.to_str()),
            Some("depwindow.toml" | "pyproject.toml")
        );
        match text {
            Some(t) => {
                crate::files::set_overlay(&path, Some(t.into_bytes()));
                self.docs.insert(path, Doc { uri });
            }
            None => {
                crate::files::set_overlay(&path, None);
                self.docs.remove(&path);
                self.found.remove(&path);
            }
        }
        if is_config {
            self.reset_config();
        }
        true
    }

    fn reset_config(&mut self) {
        self.resolver = Resolver::new(Mode::Discover, &self.root, CliOverrides::default());
    }

    /// Check every open file again and publish each one's findings.
    fn recheck(&mut self, out: &mut Vec<Notification>) {
        let computed = catch_unwind(AssertUnwindSafe(|| self.compute(out)));
        match computed {
            Ok(found) => {
                for (path, doc) in &self.docs {
                    let list = found
                        .get(path)
                        .map(|v| v.iter().map(|f| f.diag.clone()).collect())
                        .unwrap_or_default();
                    out.push(publish(doc.uri.clone(), list));
                }
                self.found = found;
            }
            Err(p) => {
                log(
                    out,
                    format!(
                        "a check failed with an internal error ({}); the previous findings stay",
                        panic_text(&p)
                    ),
                );
            }
        }
    }

    fn compute(&mut self, out: &mut Vec<Notification>) -> HashMap<PathBuf, Vec<Found>> {
        let mut jobs = Vec::new();
        let mut shown: BTreeSet<PathBuf> = BTreeSet::new();
        for path in self.docs.keys() {
            let profile = match self.resolver.for_path(path) {
                Ok(i) => i,
                Err(e) => {
                    log(out, format!("configuration error: {e}"));
                    continue;
                }
            };
            // An excluded file gets no findings (as in ruff's server).
            if self.resolver.profiles[profile].is_excluded(path) {
                continue;
            }
            // Findings reached through an including file show in any open file.
            shown.insert(path.clone());
            let Some(format) = Format::detect(path) else {
                continue;
            };
            jobs.push(run::Job {
                candidate: Candidate {
                    path: path.clone(),
                    format,
                    explicit: true,
                    sniff: false,
                },
                profile,
                stdin: None,
                read: Default::default(),
            });
        }
        // What a file says stays in the project (as in `check`): the workspace's project
        // root and each open file's. Includes, `file:` and links leading elsewhere get DW002.
        let mut roots: Vec<PathBuf> = std::iter::once(self.root.as_path())
            .chain(self.docs.keys().filter_map(|p| p.parent()))
            .filter_map(|d| std::fs::canonicalize(d).ok())
            .map(|d| crate::files::project_root(&d))
            .collect();
        roots.sort();
        roots.dedup();
        let allowed = self
            .docs
            .keys()
            .filter_map(|p| std::fs::canonicalize(p).ok())
            .collect();
        if self.confine {
            crate::files::confine(crate::files::Confinement { roots, allowed });
        }
        let profiles: Vec<run::Profile> = self
            .resolver
            .profiles
            .iter()
            .map(|s| run::Profile::new(s.clone()))
            .collect();
        let outcome = (self.driver)(&self.root, &jobs, &profiles, 1);
        let rules: Vec<&crate::rules::Rule> = profiles
            .iter()
            .flat_map(|p| &p.settings.all_rules)
            .collect();
        let mut found: HashMap<PathBuf, Vec<Found>> = HashMap::new();
        let sources = reread(&self.root, &outcome.files);
        for d in outcome
            .diagnostics
            .iter()
            .filter(|d| d.suppressed.is_none())
        {
            let file = outcome.files.get(d.loc.file);
            let path = normalize(&file.path);
            if !shown.contains(&path) {
                continue;
            }
            let f = self.found_for(&sources, d, &rules);
            found.entry(path).or_default().push(f);
        }
        found
    }

    fn found_for(
        &self,
        files: &crate::files::Files,
        d: &Diagnostic,
        rules: &[&crate::rules::Rule],
    ) -> Found {
        let file = files.get(d.loc.file);
        let related = d
            .related
            .iter()
            .map(|r| {
                let rf = files.get(r.loc.file);
                lt::DiagnosticRelatedInformation {
                    location: lt::Location {
                        uri: path_to_uri(&rf.path),
                        range: range(rf, r.loc.span, self.utf8),
                    },
                    message: r.message.clone(),
                }
            })
            .collect::<Vec<_>>();
        let diag = lt::Diagnostic {
            range: range(file, d.loc.span, self.utf8),
            severity: Some(match d.severity {
                Severity::Error => lt::DiagnosticSeverity::ERROR,
                Severity::Warning => lt::DiagnosticSeverity::WARNING,
                Severity::Info => lt::DiagnosticSeverity::INFORMATION,
            }),
            code: Some(lt::NumberOrString::String(d.code().to_owned())),
            code_description: lt::Uri::from_str(&docs_url(d))
                .ok()
                .map(|href| lt::CodeDescription { href }),
            source: Some("depwindow".to_owned()),
            // The headline, then each note on a line of its own (notes have no location,
            // so they are not `relatedInformation`).
            message: std::iter::once(d.message.to_string())
                .chain(d.notes.iter().map(|n| format!("note: {n}")))
                .collect::<Vec<_>>()
                .join("\n"),
            related_information: (!related.is_empty()).then_some(related),
            tags: None,
            data: None,
        };
        let fix = d.fix.as_ref().map(|fx| {
            let ff = files.get(fx.loc.file);
            let safe = fx.applicability == Applicability::Safe;
            let what = if fx.loc.span.is_empty() {
                format!("insert `{}`", fx.replacement)
            } else {
                format!(
                    "replace `{}` with `{}`",
                    ff.slice(fx.loc.span),
                    fx.replacement
                )
            };
            let title = match (safe, &fx.reason) {
                (true, _) => format!("Fix {}: {what}", d.code()),
                (false, Some(why)) => format!("Fix {} (unsafe: {why}): {what}", d.code()),
                (false, None) => format!("Fix {} (unsafe): {what}", d.code()),
            };
            FixAction {
                uri: path_to_uri(&ff.path),
                edit: lt::TextEdit {
                    range: range(ff, fx.loc.span, self.utf8),
                    new_text: fx.replacement.clone(),
                },
                safe,
                title,
            }
        });
        Found {
            diag,
            fix,
            suppress: suppression_edit(file, d, self.utf8),
            hover: hover_text(d, rules),
        }
    }

    fn code_actions(&self, p: &lt::CodeActionParams) -> Vec<lt::CodeActionOrCommand> {
        let Some(path) = uri_to_path(&p.text_document.uri).map(|p| normalize(&p)) else {
            return Vec::new();
        };
        let Some(found) = self.found.get(&path) else {
            return Vec::new();
        };
        let uri = &p.text_document.uri;
        let wants = |k: &lt::CodeActionKind| {
            p.context.only.as_ref().is_none_or(|only| {
                only.iter().any(|o| {
                    k.as_str() == o.as_str() || k.as_str().starts_with(&format!("{}.", o.as_str()))
                })
            })
        };
        let mut actions = Vec::new();
        if wants(&lt::CodeActionKind::QUICKFIX) {
            for f in found.iter().filter(|f| overlaps(f.diag.range, p.range)) {
                if let Some(fx) = &f.fix {
                    actions.push(action(
                        fx.title.clone(),
                        lt::CodeActionKind::QUICKFIX,
                        &f.diag,
                        fx.safe,
                        [(fx.uri.clone(), vec![fx.edit.clone()])],
                    ));
                }
                if let Some(edit) = &f.suppress {
                    let code = match &f.diag.code {
                        Some(lt::NumberOrString::String(c)) => c.clone(),
                        _ => String::new(),
                    };
                    actions.push(action(
                        format!("Suppress {code} on this line"),
                        lt::CodeActionKind::QUICKFIX,
                        &f.diag,
                        false,
                        [(uri.clone(), vec![edit.clone()])],
                    ));
                }
            }
        }
        // Every safe fix in this file, non-overlapping, in one edit.
        let mut safe: Vec<&FixAction> = found
            .iter()
            .filter_map(|f| f.fix.as_ref())
            .filter(|fx| fx.safe && fx.uri == *uri)
            .collect();
        safe.sort_by_key(|fx| (fx.edit.range.start.line, fx.edit.range.start.character));
        let mut edits: Vec<lt::TextEdit> = Vec::new();
        for fx in safe {
            if edits
                .last()
                .is_none_or(|e| !pos_lt(fx.edit.range.start, e.range.end))
                && !edits.iter().any(|e| e.range == fx.edit.range)
            {
                edits.push(fx.edit.clone());
            }
        }
        if !edits.is_empty() {
            for kind in [
                lt::CodeActionKind::SOURCE_FIX_ALL,
                lt::CodeActionKind::QUICKFIX,
            ] {
                if wants(&kind) {
                    let mut a = lt::CodeAction {
                        title: "Fix all safe depwindow fixes in this file".to_owned(),
                        kind: Some(kind),
                        edit: Some(workspace_edit([(uri.clone(), edits.clone())])),
                        ..Default::default()
                    };
                    a.is_preferred = Some(false);
                    actions.push(lt::CodeActionOrCommand::CodeAction(a));
                    break;
                }
            }
        }
        actions
    }

    fn hover(&mut self, p: &lt::HoverParams) -> Option<lt::Hover> {
        let at = &p.text_document_position_params;
        let path = normalize(&uri_to_path(&at.text_document.uri)?);
        let empty = Vec::new();
        let found = self.found.get(&path).unwrap_or(&empty);
        let with_finding = found.iter().any(|f| {
            f.hover.is_some()
                && (f.diag.range.start.line..=f.diag.range.end.line).contains(&at.position.line)
        });
        if !with_finding {
            return self.hover_covered(&path, at.position);
        }
        let f = found.iter().find(|f| {
            f.hover.is_some()
                && !pos_lt(at.position, f.diag.range.start)
                && !pos_lt(f.diag.range.end, at.position)
        });
        let f = match f {
            Some(f) => f,
            // On the requirement's line, anywhere.
            None => found.iter().find(|f| {
                f.hover.is_some()
                    && (f.diag.range.start.line..=f.diag.range.end.line).contains(&at.position.line)
            })?,
        };
        Some(lt::Hover {
            contents: lt::HoverContents::Markup(lt::MarkupContent {
                kind: lt::MarkupKind::Markdown,
                value: f.hover.clone()?,
            }),
            range: Some(f.diag.range),
        })
    }
}

impl Server {
    /// Hover on a requirement of a covered package that has no finding: the window and
    /// the rule, and that nothing is reported for it.
    fn hover_covered(&mut self, path: &Path, at: lt::Position) -> Option<lt::Hover> {
        let format = Format::detect(path).unwrap_or(Format::Requirements);
        let profile = self.resolver.for_path(path).ok()?;
        let rules = self.resolver.profiles[profile].all_rules.clone();
        let mut files = crate::files::Files::new(self.root.clone());
        let id = files.load(path).ok()?;
        let parsed = crate::formats::parse(format, &mut files, id);
        let file = files.get(id);
        let req = parsed.requirements.iter().find(|r| {
            let rg = range(file, r.loc().span, self.utf8);
            r.loc().file == id && (rg.start.line..=rg.end.line).contains(&at.line)
        })?;
        let matching: Vec<&crate::rules::Rule> =
            rules.iter().filter(|r| r.package == req.name).collect();
        if matching.is_empty() {
            return None;
        }
        let mut s = format!("**{}**", req.name);
        for r in &matching {
            s.push_str(&format!(
                "\n\n`{}`: tested window `{}` ({})",
                r.id, r.window.text, r.summary
            ));
            if let Some(src) = r.sources.first() {
                s.push_str(&format!("\n\nSource: {src}"));
            }
        }
        s.push_str("\n\ndepwindow reports nothing for this requirement here.");
        Some(lt::Hover {
            contents: lt::HoverContents::Markup(lt::MarkupContent {
                kind: lt::MarkupKind::Markdown,
                value: s,
            }),
            range: Some(range(file, req.loc().span, self.utf8)),
        })
    }
}

fn action<const N: usize>(
    title: String,
    kind: lt::CodeActionKind,
    diag: &lt::Diagnostic,
    preferred: bool,
    changes: [(lt::Uri, Vec<lt::TextEdit>); N],
) -> lt::CodeActionOrCommand {
    lt::CodeActionOrCommand::CodeAction(lt::CodeAction {
        title,
        kind: Some(kind),
        diagnostics: Some(vec![diag.clone()]),
        edit: Some(workspace_edit(changes)),
        is_preferred: Some(preferred),
        ..Default::default()
    })
}

fn workspace_edit<const N: usize>(changes: [(lt::Uri, Vec<lt::TextEdit>); N]) -> lt::WorkspaceEdit {
    lt::WorkspaceEdit {
        changes: Some(changes.into_iter().collect()),
        ..Default::default()
    }
}

fn pos_lt(a: lt::Position, b: lt::Position) -> bool {
    (a.line, a.character) < (b.line, b.character)
}

fn overlaps(a: lt::Range, b: lt::Range) -> bool {
    !pos_lt(a.end, b.start) && !pos_lt(b.end, a.start)
}

fn publish(uri: lt::Uri, diagnostics: Vec<lt::Diagnostic>) -> Notification {
    Notification::new(
        "textDocument/publishDiagnostics".to_owned(),
        lt::PublishDiagnosticsParams {
            uri,
            diagnostics,
            version: None,
        },
    )
}

/// Queue a `window/logMessage`; returns false so it can stand for "nothing changed".
fn log(out: &mut Vec<Notification>, message: String) -> bool {
    eprintln!("depwindow server: {message}");
    out.push(Notification::new(
        "window/logMessage".to_owned(),
        lt::LogMessageParams {
            typ: lt::MessageType::ERROR,
            message,
        },
    ));
    false
}

fn error_response(id: RequestId, message: String) -> Response {
    Response::new_err(id, lsp_server::ErrorCode::InternalError as i32, message)
}

fn panic_text(p: &Box<dyn std::any::Any + Send>) -> String {
    p.downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| p.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "panic".to_owned())
}

/// The files a run's report points into, read again whole and with the report's ids: code
/// actions need more than the report keeps (a suppression goes after a continued line), and
/// the open files are few. The reads see the same buffers (`files::set_overlay`) the check
/// just read; a file that cannot be read again, or reads differently, stands as empty.
fn reread(root: &Path, excerpts: &crate::source::Excerpts) -> crate::files::Files {
    let mut files = crate::files::Files::new(root.to_path_buf());
    for (id, e) in excerpts.iter() {
        match files.load(&e.path) {
            // Read again, at the report's id: kept only when it reads as it was checked.
            Ok(got) if got == id => {
                if !e.same_text(files.get(got)) {
                    files.blank(got);
                }
            }
            // Not read (or not at its id: nothing was added): an empty stand-in at the id.
            _ => {
                files.add(&e.path, b"");
            }
        }
    }
    files
}

/// A decoded offset as an LSP position in the negotiated encoding.
fn position(file: &SourceFile, offset: usize, utf8: bool) -> lt::Position {
    let text = &file.text;
    let offset = floor_char_boundary(text, offset.min(text.len()));
    let line = file.line_index(offset);
    let start = file.line_start(line).min(offset);
    let before = &text[start..offset];
    let character = if utf8 {
        before.len()
    } else {
        before.encode_utf16().count()
    };
    lt::Position {
        line: u32::try_from(line).unwrap_or(u32::MAX),
        character: u32::try_from(character).unwrap_or(u32::MAX),
    }
}

fn range(file: &SourceFile, span: Span, utf8: bool) -> lt::Range {
    lt::Range {
        start: position(file, span.start, utf8),
        end: position(file, span.end, utf8),
    }
}

/// `# depwindow: ignore[CODE]` at the end of the finding's (logical) line; None for JSON
/// files, which have no comments.
fn suppression_edit(file: &SourceFile, d: &Diagnostic, utf8: bool) -> Option<lt::TextEdit> {
    let name = file.path.file_name()?.to_str()?;
    if name.ends_with(".json") || name == "Pipfile.lock" || file.text.is_empty() {
        return None;
    }
    let mut line = file.line_index(d.loc.span.end.min(file.text.len()));
    // Past backslash continuations: the comment goes after the last physical line.
    while file.line_text(line).trim_end().ends_with('\\') && line + 1 < file.line_count() {
        line += 1;
    }
    let end = file.line_start(line) + file.line_text(line).len();
    let at = position(file, end, utf8);
    // A second `#` on a commented line is fine: the directive may follow other text.
    Some(lt::TextEdit {
        range: lt::Range { start: at, end: at },
        new_text: format!("  # depwindow: ignore[{}]", d.code()),
    })
}

/// Markdown for a finding about a covered package: the window, where the rule comes from,
/// a short list of the releases admitted outside it, and pip's pick per Python.
fn hover_text(d: &Diagnostic, rules: &[&crate::rules::Rule]) -> Option<String> {
    let package = d.package.as_ref()?;
    let window = d.window.as_ref()?;
    let rule_id = d.rule.as_ref()?;
    let rule = rules.iter().find(|r| &r.id == rule_id);
    let mut s = format!("**{package}**: tested window `{window}` (rule `{rule_id}`)\n\n");
    if let Some(r) = rule {
        s.push_str(&format!("{}\n\n", r.summary));
        if let Some(src) = r.sources.first() {
            s.push_str(&format!("Source: {src}\n\n"));
        }
    }
    if !d.outside_released.is_empty() {
        const SHOWN: usize = 6;
        let n = d.outside_released.len();
        let mut list: Vec<String> = d
            .outside_released
            .iter()
            .take(SHOWN)
            .map(str::to_owned)
            .collect();
        if n > SHOWN {
            list.push(format!("… ({n} releases in all)"));
        }
        s.push_str(&format!(
            "Admitted outside the window: {}\n\n",
            list.join(", ")
        ));
    }
    if !d.pip_would_pick.is_empty() {
        s.push_str("pip's pick:\n");
        for p in &d.pip_would_pick {
            s.push_str(&format!(
                "- Python {}, {}: {package} {}\n",
                p.python, p.platform, p.version
            ));
        }
    }
    Some(s)
}

/// Where a check's documentation lives: the repository's check page when Cargo metadata
/// names a repository, else the crate's API docs (the check module's doc is its `.md`).
fn docs_url(d: &Diagnostic) -> String {
    let module = d.check.name().replace('-', "_");
    let repo = env!("CARGO_PKG_REPOSITORY");
    if repo.is_empty() {
        format!(
            "https://docs.rs/depwindow/{}/depwindow/check/{module}/index.html",
            env!("CARGO_PKG_VERSION")
        )
    } else {
        format!(
            "{}/blob/main/src/check/{module}.md",
            repo.trim_end_matches('/')
        )
    }
}

/// `file:///a%20b/c.txt` -> `/a b/c.txt`; None for other schemes.
pub(crate) fn uri_to_path(uri: &lt::Uri) -> Option<PathBuf> {
    let s = uri.as_str();
    let rest = s.strip_prefix("file://")?;
    // `file://localhost/x` and `file:///x`.
    let rest = rest.strip_prefix("localhost").unwrap_or(rest);
    let bytes = rest.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = bytes
            .get(i + 1..i + 3)
            .and_then(|h| std::str::from_utf8(h).ok())
            .and_then(|h| u8::from_str_radix(h, 16).ok());
        if let (b'%', Some(b)) = (bytes[i], hex) {
            out.push(b);
            i += 3;
            continue;
        }
        out.push(bytes[i]);
        i += 1;
    }
    #[cfg(unix)]
    {
        use std::os::unix::ffi::OsStringExt;
        Some(PathBuf::from(std::ffi::OsString::from_vec(out)))
    }
    #[cfg(not(unix))]
    {
        Some(PathBuf::from(String::from_utf8_lossy(&out).into_owned()))
    }
}

/// An absolute path as a `file:` URI (percent-encoded as SARIF does).
pub(crate) fn path_to_uri(path: &Path) -> lt::Uri {
    let abs = std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf());
    let s = format!(
        "file://{}",
        crate::report::sarif::encode_path(&abs.to_string_lossy())
    );
    lt::Uri::from_str(&s).unwrap_or_else(|_| lt::Uri::from_str("file:///").expect("valid URI"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn positions_count_utf16_units_or_bytes() {
        let f = SourceFile::from_text("r.txt", "r.txt".into(), "# é😀\nnumpy>=1\n😀x\n");
        // `x` on line 2 after one astral character: 2 UTF-16 units, 4 bytes.
        let off = f.text.find('x').unwrap();
        assert_eq!(position(&f, off, false), lt::Position::new(2, 2));
        assert_eq!(position(&f, off, true), lt::Position::new(2, 4));
        let off = f.text.find('😀').unwrap() + 4;
        assert_eq!(position(&f, off, false), lt::Position::new(0, 5));
    }

    fn panicking_driver(_: &Path, _: &[run::Job], _: &[run::Profile], _: usize) -> run::Outcome {
        panic!("a check broke")
    }

    fn open(server: &mut Server, path: &Path, text: &str) -> Vec<Notification> {
        let params = lt::DidOpenTextDocumentParams {
            text_document: lt::TextDocumentItem {
                uri: path_to_uri(path),
                language_id: "pip-requirements".into(),
                version: 1,
                text: text.into(),
            },
        };
        server.notification(Notification::new("textDocument/didOpen".into(), params))
    }

    #[test]
    fn a_panic_in_a_check_is_logged_and_the_server_keeps_serving() {
        let dir = std::env::temp_dir().join(format!("dw-server-panic-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("requirements.txt");
        let text = "tensorflow==1.14.0\nnumpy>=1.16\nprotobuf>=3.6.1,<4\ngast==0.2.2\n";
        let mut server = Server::new(dir.clone(), false);
        server.driver = panicking_driver;
        let out = open(&mut server, &path, text);
        // No publish, one logged error naming the panic.
        assert_eq!(out.len(), 1, "{out:?}");
        assert_eq!(out[0].method, "window/logMessage");
        assert!(out[0].params["message"]
            .as_str()
            .unwrap()
            .contains("a check broke"));
        // The same server, with a working check, serves the next change.
        server.driver = run::run_jobs;
        let out = open(&mut server, &path, text);
        let publish = out
            .iter()
            .find(|n| n.method == "textDocument/publishDiagnostics")
            .unwrap();
        // numpy>=1.16 (DW101) and the unconstrained h5py (DW102).
        let mut codes: Vec<&str> = publish.params["diagnostics"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|d| d["code"].as_str())
            .collect();
        codes.sort_unstable();
        assert_eq!(codes, ["DW101", "DW102"], "{publish:?}");
        crate::files::set_overlay(&path, None);
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn file_uris_round_trip() {
        let p = Path::new("/tmp/a b/é/requirements.txt");
        let uri = path_to_uri(p);
        assert_eq!(uri.as_str(), "file:///tmp/a%20b/%C3%A9/requirements.txt");
        assert_eq!(uri_to_path(&uri).as_deref(), Some(p));
    }
}
