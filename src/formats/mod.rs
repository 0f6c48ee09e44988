//! One module per input format. Parsers read text into a [`crate::manifest::Parsed`];
//! they never judge, and they never abort: what they cannot read becomes a `Problem`.
//!
//! Adding a format: add a module, a [`Format`] variant, its file-name pattern in
//! [`Format::detect`], and its arm in [`parse`].

use std::path::Path;

use crate::files::Files;
use crate::manifest::{FileId, Loc, Parsed, Problem, ProblemKind, Requirement};
use crate::source::Span;

pub mod conda;
pub mod guard;
pub mod include;
pub mod json_span;
pub mod pdm_lock;
pub mod pep508;
pub mod pipfile;
pub mod pipfile_lock;
pub mod poetry;
pub mod poetry_lock;
pub mod pylock;
pub mod pyproject;
pub mod requirements;
pub mod setup_cfg;
pub mod setup_py;
pub mod setuptools;
pub mod toml_doc;
pub mod uv_lock;
pub mod yaml_span;

/// Every input format depwindow reads.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Format {
    Requirements,
    Pyproject,
    Pipfile,
    PipfileLock,
    SetupCfg,
    SetupPy,
    Conda,
    PoetryLock,
    UvLock,
    PdmLock,
    Pylock,
}

impl Format {
    pub const ALL: [Format; 11] = [
        Format::Requirements,
        Format::Pyproject,
        Format::Pipfile,
        Format::PipfileLock,
        Format::SetupCfg,
        Format::SetupPy,
        Format::Conda,
        Format::PoetryLock,
        Format::UvLock,
        Format::PdmLock,
        Format::Pylock,
    ];

    /// The name used by `--input-format`.
    pub fn name(self) -> &'static str {
        match self {
            Format::Requirements => "requirements",
            Format::Pyproject => "pyproject",
            Format::Pipfile => "pipfile",
            Format::PipfileLock => "pipfile-lock",
            Format::SetupCfg => "setup-cfg",
            Format::SetupPy => "setup-py",
            Format::Conda => "conda",
            Format::PoetryLock => "poetry-lock",
            Format::UvLock => "uv-lock",
            Format::PdmLock => "pdm-lock",
            Format::Pylock => "pylock",
        }
    }

    pub fn from_name(s: &str) -> Option<Format> {
        Format::ALL.into_iter().find(|f| f.name() == s)
    }

    /// The format of a file found by name, or None when the name is not one we read.
    /// `in_requirements_dir`: the file sits under a folder named `requirements`.
    pub fn detect(path: &Path) -> Option<Format> {
        let name = path.file_name()?.to_str()?;
        let lower = name.to_ascii_lowercase();
        let in_req_dir = path
            .parent()
            .and_then(|p| p.file_name())
            .and_then(|n| n.to_str())
            .is_some_and(|n| n.eq_ignore_ascii_case("requirements"));
        Some(match lower.as_str() {
            "pyproject.toml" => Format::Pyproject,
            "pipfile" => Format::Pipfile,
            "pipfile.lock" => Format::PipfileLock,
            "setup.cfg" => Format::SetupCfg,
            "setup.py" => Format::SetupPy,
            "poetry.lock" => Format::PoetryLock,
            "uv.lock" => Format::UvLock,
            "pdm.lock" => Format::PdmLock,
            "pylock.toml" => Format::Pylock,
            "environment.yml" | "environment.yaml" => Format::Conda,
            _ if lower.starts_with("pylock.") && lower.ends_with(".toml") => Format::Pylock,
            _ if lower.ends_with(".txt")
                && (lower.contains("requirements")
                    || lower.contains("constraints")
                    || in_req_dir) =>
            {
                Format::Requirements
            }
            // pip-tools inputs.
            _ if lower.ends_with(".in") && (lower.contains("requirements") || in_req_dir) => {
                Format::Requirements
            }
            _ => return None,
        })
    }

    /// The format of a file named explicitly: by name, else requirements syntax.
    pub fn for_explicit(path: &Path) -> Format {
        Format::detect(path).unwrap_or(match path.extension().and_then(|e| e.to_str()) {
            Some("yml" | "yaml") => Format::Conda,
            _ => Format::Requirements,
        })
    }
}

/// Parse a loaded file (and, for formats with includes, what it includes).
pub fn parse(format: Format, files: &mut Files, id: FileId) -> Parsed {
    let mut parsed = parse_format(format, files, id);
    // Safety net: every problem span lies on character boundaries of its file, so reports
    // can always slice it. (The fuzz targets call the readers directly and fail on any
    // reader that needs this.)
    for p in &mut parsed.problems {
        if let Some(file) = (p.loc.file < files.len()).then(|| files.get(p.loc.file)) {
            p.loc.span = crate::source::snap(&file.text, p.loc.span);
        }
    }
    parsed
}

fn parse_format(format: Format, files: &mut Files, id: FileId) -> Parsed {
    match format {
        Format::Requirements => requirements::parse_unit(files, id),
        Format::PipfileLock => pipfile_lock::parse(files, id),
        Format::SetupCfg => setup_cfg::parse(files, id),
        Format::SetupPy => setup_py::parse(files, id),
        Format::Conda => conda::parse_unit(files, id),
        Format::Pyproject => pyproject::parse(files.get(id).text.as_str(), id),
        Format::Pipfile => pipfile::parse(files.get(id).text.as_str(), id),
        Format::PoetryLock => poetry_lock::parse(files.get(id).text.as_str(), id),
        Format::UvLock => uv_lock::parse(files.get(id).text.as_str(), id),
        Format::PdmLock => pdm_lock::parse(files.get(id).text.as_str(), id),
        Format::Pylock => pylock::parse(files.get(id).text.as_str(), id),
    }
}

/// A problem of `kind` at `span` of `file`, without help text.
pub fn problem(kind: ProblemKind, file: FileId, span: Span, message: String) -> Problem {
    Problem {
        kind,
        loc: Loc { file, span },
        message,
        help: None,
    }
}

/// Add `req` to `out` and its index to `members` (the unit it belongs to).
pub fn push_member(out: &mut Parsed, members: &mut Vec<usize>, req: Requirement) {
    members.push(out.requirements.len());
    out.requirements.push(req);
}

/// What reading one requirement gave: the requirement joins `out` and `members`, a
/// problem joins `out.problems`.
pub fn keep(out: &mut Parsed, members: &mut Vec<usize>, read: Result<Requirement, Problem>) {
    match read {
        Ok(req) => push_member(out, members, req),
        Err(p) => out.problems.push(p),
    }
}
