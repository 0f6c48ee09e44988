//! Pulling a requirements file into another format's unit (conda `pip: [-r file]`,
//! setup.cfg `install_requires = file: requirements.in`).

use std::path::Path;

use crate::files::Files;
use crate::manifest::{FileId, Loc, Parsed, Problem, ProblemKind};
use crate::source::Span;

/// Load `target` (relative to the directory of `from`) as a requirements file, parse it
/// with [`super::requirements::parse_unit`] and merge what it holds into `out`. Returns
/// the indices in `out.requirements` of the merged requirements.
pub fn requirements_file(
    files: &mut Files,
    from: FileId,
    target: &str,
    span: Span,
    out: &mut Parsed,
) -> Vec<usize> {
    let loc = Loc { file: from, span };
    if target.contains("://") {
        out.problems.push(Problem {
            kind: ProblemKind::Include,
            loc,
            message: format!("`{target}` is a URL; depwindow does not fetch includes"),
            help: None,
        });
        return Vec::new();
    }
    let base = files
        .get(from)
        .path
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_default();
    let path = base.join(target);
    let id = match files.load(&path) {
        Ok(id) => id,
        Err(e) => {
            out.problems.push(Problem {
                kind: ProblemKind::Include,
                loc,
                message: format!("cannot read `{target}`: {e}"),
                help: None,
            });
            return Vec::new();
        }
    };
    if id == from {
        out.problems.push(Problem {
            kind: ProblemKind::Include,
            loc,
            message: format!("`{target}` includes the file itself"),
            help: None,
        });
        return Vec::new();
    }
    let child = super::requirements::parse_unit(files, id);
    let base_index = out.requirements.len();
    let n = child.requirements.len();
    out.requirements.extend(child.requirements);
    out.problems.extend(child.problems);
    out.includes.push((id, loc));
    out.includes.extend(child.includes);
    out.hashed |= child.hashed;
    (base_index..base_index + n).collect()
}
