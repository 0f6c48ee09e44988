//! The one include resolver: how a file of requirements lines pulls in other files, for
//! requirements files (`-r` / `-c`), conda's `pip:` entries (which conda hands to pip as a
//! requirements file) and setup.cfg's `file:`.
//!
//! pip's rules (`pip/_internal/req/req_file.py`, `RequirementsFileParser._parse_and_recurse`):
//! - a target whose scheme is `http`, `https` or `file` (`SCHEME_RE`, any case) is fetched
//!   through the network session: depwindow never fetches, it reports the include;
//! - anything else is a path, joined to the directory of the file that holds the line
//!   (`os.path.join(os.path.dirname(filename), req_path)`; an absolute target replaces the
//!   directory) and normalised lexically (pip 24.3+ takes `os.path.abspath` of it);
//! - `-r` reads the nested file as requirements and `-c` as constraints, whatever the
//!   including file is (`nested_constraint` depends only on the option);
//! - the nested file's lines come where the include line is.
//!
//! Bounds: [`MAX_INCLUDE_DEPTH`] deep, [`MAX_INCLUDED_FILES`] include lines per unit; an
//! include of a file already on the chain is a cycle, reported and not followed.

use crate::hash::HashSet;
use std::path::Path;

use super::requirements::{parse_text_with, FileParse, Include, IncludeKind};
use crate::files::Files;
use crate::manifest::{FileId, Loc, Parsed, Problem, ProblemKind, Role};
use crate::source::{Encoding, Span};

/// Deepest chain of `-r` / `-c` includes followed from one root file.
pub(crate) const MAX_INCLUDE_DEPTH: usize = 64;
/// Most include lines followed for one unit (a root file and everything it pulls in).
pub(crate) const MAX_INCLUDED_FILES: usize = 10_000;

/// One unit's walk over its includes.
#[derive(Default)]
pub(crate) struct Resolver {
    parsed: Parsed,
    pre: bool,
    /// (file, read as constraints) pairs already read for this unit. pip would read a file
    /// reached twice twice; the requirements would be the same, and the verdict is an
    /// intersection, so reading it once changes nothing.
    done: HashSet<(FileId, bool)>,
    /// The include chain being followed, for cycle detection.
    stack: Vec<FileId>,
    followed: usize,
    budget_reported: bool,
}

impl Resolver {
    /// Read file `id` as a requirements file (`constraint`: as a constraints file) and
    /// everything it includes.
    pub(crate) fn read_file(
        &mut self,
        files: &mut Files,
        id: FileId,
        constraint: bool,
        depth: usize,
    ) {
        if !self.done.insert((id, constraint)) {
            return;
        }
        let (fp, dir) = {
            let f = files.get(id);
            if f.encoding == (Encoding::Latin1 { fallback: true }) {
                self.parsed.problems.push(Problem {
                    kind: ProblemKind::Note,
                    loc: Loc {
                        file: id,
                        span: Span::new(0, 0),
                    },
                    message: "file is not valid UTF-8; read it as Latin-1".into(),
                    help: Some(
                        "pip would decode it with the locale's encoding, so what it reads \
                         depends on the machine; save the file as UTF-8"
                            .into(),
                    ),
                });
            }
            let role = if constraint {
                Role::Constrain
            } else {
                Role::Require
            };
            let dir = f.dir();
            (parse_text_with(id, &f.text, 0, role, files.relevant()), dir)
        };
        self.read_lines(files, id, fp, &dir, depth);
    }

    /// Merge lines already read from file `from` (conda's `pip:` entries), and follow their
    /// includes relative to `dir`.
    pub(crate) fn read_lines(
        &mut self,
        files: &mut Files,
        from: FileId,
        fp: FileParse,
        dir: &Path,
        depth: usize,
    ) {
        self.stack.push(from);
        self.parsed.problems.extend(fp.problems);
        self.parsed.hashed |= fp.hashed;
        self.pre |= fp.pre;
        // Keep pip's order: an included file's lines come where the include line is.
        if self.parsed.requirements.is_empty() && fp.includes.is_empty() {
            // The first file, with no includes: its requirements are the unit's so far,
            // moved, not copied (a copy doubled the peak memory of a 750k-line file).
            self.parsed.requirements = fp.requirements;
            self.stack.pop();
            return;
        }
        let mut reqs = fp.requirements.into_iter();
        let mut taken = 0;
        for inc in fp.includes {
            let n = inc.position.saturating_sub(taken);
            self.parsed.requirements.extend(reqs.by_ref().take(n));
            taken += n;
            self.follow(files, &inc, dir, depth);
        }
        // The lines after the last include: collected in place (no new allocation) and
        // appended without holding two copies of the longer list.
        append(&mut self.parsed.requirements, reqs.collect());
        self.stack.pop();
    }

    /// What the unit holds. pip applies `--pre` and hash-checking mode to the whole install,
    /// whichever file of the unit switched them on (`handle_option_line` sets them on the
    /// shared finder/options).
    pub(crate) fn finish(self) -> Parsed {
        let Resolver {
            mut parsed, pre, ..
        } = self;
        for r in &mut parsed.requirements {
            r.hashed = parsed.hashed;
            r.pre = pre;
        }
        parsed.pre = pre;
        parsed
    }

    fn follow(&mut self, files: &mut Files, inc: &Include, dir: &Path, depth: usize) {
        let shown = match inc.kind {
            IncludeKind::Requirements => format!("-r {}", inc.target),
            IncludeKind::Constraints => format!("-c {}", inc.target),
            IncludeKind::SetuptoolsFile => format!("file: {}", inc.target),
        };
        // pip: `SCHEME_RE = re.compile(r"^(http|https|file):", re.I)`; such includes are
        // fetched through the network session (file: through its local adapter).
        let scheme = inc.target.split_once(':').map(|(s, _)| s);
        if scheme.is_some_and(|s| {
            ["http", "https", "file"]
                .iter()
                .any(|k| s.eq_ignore_ascii_case(k))
        }) {
            self.problem(
                inc.loc,
                format!("`{shown}` is a URL; depwindow never fetches includes"),
                Some("its requirements are not checked; vendor the file and include it by path"),
            );
            return;
        }
        if depth + 1 > MAX_INCLUDE_DEPTH {
            self.problem(
                inc.loc,
                format!(
                    "`{shown}` is nested more than {MAX_INCLUDE_DEPTH} includes deep; not followed"
                ),
                None,
            );
            return;
        }
        if self.followed >= MAX_INCLUDED_FILES {
            if !self.budget_reported {
                self.budget_reported = true;
                self.problem(
                    inc.loc,
                    format!(
                        "more than {MAX_INCLUDED_FILES} includes in one unit; `{shown}` and \
                         later includes are not followed"
                    ),
                    None,
                );
            }
            return;
        }
        self.followed += 1;
        let path = crate::files::normalize(&dir.join(&inc.target));
        let child = match files.load(&path) {
            Ok(child) => child,
            Err(e) => {
                self.problem(inc.loc, format!("cannot read `{shown}`: {e}"), None);
                return;
            }
        };
        self.parsed.includes.push((child, inc.loc));
        if let Some(pos) = self.stack.iter().position(|&f| f == child) {
            let chain: Vec<&str> = self.stack[pos..]
                .iter()
                .chain(std::iter::once(&child))
                .map(|&f| files.get(f).display.as_str())
                .collect();
            let message = format!("include cycle: {}", chain.join(" -> "));
            self.problem(inc.loc, message, None);
            return;
        }
        self.read_file(
            files,
            child,
            inc.kind == IncludeKind::Constraints,
            depth + 1,
        );
    }

    fn problem(&mut self, loc: Loc, message: String, help: Option<&str>) {
        self.parsed.problems.push(Problem {
            kind: ProblemKind::Include,
            loc,
            message,
            help: help.map(str::to_owned),
        });
    }
}

/// Merge a unit read by a [`Resolver`] into `out`; returns the indices in
/// `out.requirements` of the merged requirements.
pub(crate) fn merge(out: &mut Parsed, unit: Parsed) -> Vec<usize> {
    let base = out.requirements.len();
    let n = unit.requirements.len();
    // Nothing before: moved, not copied (a copy held every requirement twice at the peak of
    // a 1.2M-entry conda `pip:` list).
    append(&mut out.requirements, unit.requirements);
    out.problems.extend(unit.problems);
    out.includes.extend(unit.includes);
    out.hashed |= unit.hashed;
    (base..base + n).collect()
}

/// setup.cfg `install_requires = file: target`: `target` (relative to the directory of
/// `from`) read as a requirements file with its includes, merged into `out`. Returns the
/// indices in `out.requirements` of the merged requirements.
pub(crate) fn requirements_file(
    files: &mut Files,
    from: FileId,
    target: &str,
    span: Span,
    out: &mut Parsed,
) -> Vec<usize> {
    let dir = files.get(from).dir();
    let include = Include {
        kind: IncludeKind::SetuptoolsFile,
        target: target.to_owned(),
        loc: Loc { file: from, span },
        position: 0,
    };
    let fp = FileParse {
        includes: vec![include],
        ..FileParse::default()
    };
    let mut resolver = Resolver::default();
    resolver.read_lines(files, from, fp, &dir, 0);
    merge(out, resolver.finish())
}

/// `dest` followed by `more`, in `dest`: the shorter list is moved into the longer one's
/// allocation, so a long list (a 525k-line constraints file after its including file's few
/// lines) is never copied into a second allocation of its size (which held every requirement
/// twice at the peak, issue 15 §4).
fn append<T>(dest: &mut Vec<T>, mut more: Vec<T>) {
    if dest.len() < more.len() {
        // Room for exactly the shorter list: growing a long list's allocation moves it
        // (`realloc`) without a second copy, but a doubling would reserve its size again.
        more.reserve_exact(dest.len());
        more.splice(0..0, std::mem::take(dest));
        *dest = more;
    } else {
        dest.append(&mut more);
    }
}
