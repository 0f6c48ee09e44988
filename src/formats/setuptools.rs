//! What setup.cfg and setup.py share: setuptools reads both into the same
//! `install_requires` / `extras_require` and cleans requirement strings the same way.

use crate::hash::{HashMap, HashSet};
use std::str::FromStr;

use pep508_rs::ExtraName;

use crate::manifest::{FileId, Group, GroupKind, Loc, Parsed, ProblemKind};
use crate::source::Span;

/// The requirements of each extra, in the order the extras first appear, with an index by
/// name (50,000 extras are looked up 50,000 times: a scan each was quadratic).
#[derive(Debug, Default)]
pub(crate) struct Extras {
    list: Vec<(ExtraName, Vec<usize>)>,
    index: HashMap<ExtraName, usize>,
}

impl Extras {
    /// Add requirements to extra `name`; an extra named twice gets both lists.
    pub(crate) fn add(&mut self, name: ExtraName, members: Vec<usize>) {
        match self.index.get(&name) {
            Some(&i) => self.list[i].1.extend(members),
            None => {
                self.index.insert(name.clone(), self.list.len());
                self.list.push((name, members));
            }
        }
    }

    /// The units: `install_requires`, and `extra:<name>` = install_requires + that extra
    /// (what `pip install project[name]` installs).
    /// An extra that names the project itself (`"all": ["demo[tf,np]"]`) pulls in those
    /// extras' requirements too, transitively, as pip installs them.
    ///
    /// Cost: an extra that names no other extra of the project (the usual case) is its own
    /// closure, found without a search; the transitive walk runs only from extras that do,
    /// with each extra's self-references collected once.
    pub(crate) fn into_groups(self, out: &mut Parsed, base: Vec<usize>, project: Option<&str>) {
        let project = project.and_then(|p| pep508_rs::PackageName::new(p.to_owned()).ok());
        // Per extra, the extras of this project it requests (indices into `list`; names
        // that are no extra here are kept as names: they count in the unit's extras).
        let refs: Vec<Vec<ExtraName>> = self
            .list
            .iter()
            .map(|(_, m)| match &project {
                None => Vec::new(),
                Some(p) => m
                    .iter()
                    .filter_map(|i| out.requirements.get(*i))
                    .filter(|r| &r.name == p)
                    .flat_map(|r| r.extras().iter().cloned())
                    .collect(),
            })
            .collect();
        let expand = |start: usize| -> (Vec<usize>, Vec<ExtraName>) {
            if refs[start].is_empty() {
                return (self.list[start].1.clone(), vec![self.list[start].0.clone()]);
            }
            let mut seen: HashSet<&ExtraName> = HashSet::default();
            let mut order: Vec<ExtraName> = Vec::new();
            let mut members = Vec::new();
            let mut work = vec![&self.list[start].0];
            while let Some(x) = work.pop() {
                if !seen.insert(x) {
                    continue;
                }
                order.push(x.clone());
                if let Some(&i) = self.index.get(x) {
                    members.extend(self.list[i].1.iter().copied());
                    work.extend(refs[i].iter());
                }
            }
            (members, order)
        };
        let derived: Vec<_> = (0..self.list.len()).map(expand).collect();
        // Each extra adds to `install_requires` (`Group::base`), read sorted and each once
        // as setuptools' union is; it is not copied into every extra.
        let base_group = out.groups.len();
        let mut sorted = base.clone();
        sorted.sort_unstable();
        sorted.dedup();
        out.groups.push(Group {
            kind: GroupKind::Base,
            tool: None,
            name: "install_requires".into(),
            members: base.clone(),
            extras: vec![],
            base: None,
        });
        for ((name, _), (members, extras)) in self.list.iter().zip(derived) {
            let mut group = Group {
                kind: GroupKind::Extra,
                tool: None,
                name: format!("extra:{name}"),
                members,
                extras,
                base: None,
            };
            group.add_to(base_group, &sorted);
            out.groups.push(group);
        }
    }
}

/// An `extras_require` key as setuptools reads it: split at the first `:` into an extra name
/// and a marker (`"gpu:sys_platform == 'linux'"`); an empty name (`":python_version < '3.8'"`)
/// makes the requirements base dependencies under the marker (pkg_resources'
/// `Distribution._dep_map` / `_filter_extras`, setuptools' `_convert_extras_requirements` and
/// `_core_metadata`: `Requires-Dist: <req> ; (<marker>) and extra == "<x>"`, or without the
/// `extra` clause for an empty name). The name is made safe as setuptools does
/// (`safe_extra`: each run of characters other than ASCII letters, digits, `-` and `.` becomes
/// `_`, lower-cased), so `tensorflow with gpu` is the extra `tensorflow-with-gpu` once
/// normalised (PEP 685).
pub(crate) struct ExtraKey<'k> {
    /// `None`: the base dependencies.
    pub name: Option<Result<ExtraName, String>>,
    pub marker: Option<&'k str>,
}

pub(crate) fn extra_key(key: &str) -> ExtraKey<'_> {
    let (name, marker) = match key.split_once(':') {
        Some((n, m)) => (n.trim(), Some(m.trim())),
        None => (key.trim(), None),
    };
    if name.is_empty() {
        return ExtraKey { name: None, marker };
    }
    ExtraKey {
        name: Some(ExtraName::from_str(&safe_extra(name)).map_err(|e| e.to_string())),
        marker,
    }
}

/// setuptools' `safe_extra`: runs of characters other than `[A-Za-z0-9.-]` become `_`,
/// lower-cased.
pub(crate) fn safe_extra(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    let mut run = false;
    for c in name.chars() {
        if c.is_ascii_alphanumeric() || c == '.' || c == '-' {
            out.push(c.to_ascii_lowercase());
            run = false;
        } else if !run {
            out.push('_');
            run = true;
        }
    }
    out
}

/// A requirements file that setuptools reads as a list of requirement strings (setup.py's
/// `open("requirements.txt").read().splitlines()`, pyproject's
/// `[tool.setuptools.dynamic] dependencies = {file = [...]}`): every line goes through
/// [`entry`] (blank lines and `#` comments dropped, ` #` cut) and must be a requirement.
/// Nothing else is special: `-r other.txt` or `--hash` is an invalid requirement to
/// setuptools (`_reqs.parse`, `_expand.read_files` + `_parse_requirements_list`), so it is a
/// parse error here. `target` is relative to the directory of `from`; the file is read
/// through the registry (confined). Returns the indices of the requirements read.
pub(crate) fn requirement_lines(
    files: &mut crate::files::Files,
    from: FileId,
    target: &str,
    span: Span,
    out: &mut Parsed,
) -> Vec<usize> {
    let dir = files.get(from).dir();
    let at = Loc { file: from, span };
    let path = crate::files::normalize(&dir.join(target));
    let child = match files.load(&path) {
        Ok(c) => c,
        Err(e) => {
            out.problems.push(super::problem(
                ProblemKind::Include,
                from,
                span,
                format!("cannot read `{target}`: {e}"),
            ));
            return Vec::new();
        }
    };
    out.includes.push((child, at));
    let text = files.get(child).text.clone();
    let mut members = Vec::new();
    let mut off = 0;
    for line in text.split_inclusive('\n') {
        let here = off;
        off += line.len();
        let body = line.trim_end_matches(['\n', '\r']);
        let Some((lead, t)) = entry(body) else {
            continue;
        };
        let s = here + lead;
        let read = super::pep508::requirement_at(
            &text,
            Span::new(s, s + t.len()),
            child,
            crate::manifest::Role::Require,
            super::Format::Requirements,
        );
        super::keep(out, &mut members, read, t);
    }
    members
}

/// `python_requires`, a PEP 440 specifier set (`value`, trimmed, at `span`): the project's
/// Python range, or a problem.
pub(crate) fn python_requires(out: &mut Parsed, file: FileId, value: &str, span: Span) {
    match crate::versions::read_specifiers(value) {
        Ok(v) => out.requires_python = Some((v, Loc { file, span })),
        Err(e) => out.problems.push(super::problem(
            ProblemKind::Parse,
            file,
            span,
            format!(
                "invalid python_requires: {}",
                crate::versions::specifiers_error(&e)
            ),
        )),
    }
}

/// One entry of a requirement list as setuptools reads it (`yield_lines`, then
/// `jaraco.text.drop_comment`): trimmed, `None` when blank or a `#` comment, cut at ` #`
/// (space, hash). Returns the offset of the text in `raw` and the text.
pub(crate) fn entry(raw: &str) -> Option<(usize, &str)> {
    let lead = raw.len() - raw.trim_start().len();
    let mut t = raw.trim();
    if t.is_empty() || t.starts_with('#') {
        return None;
    }
    if let Some(i) = t.find(" #") {
        t = t[..i].trim_end();
    }
    Some((lead, t))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries_are_trimmed_and_comments_dropped() {
        assert_eq!(entry("  numpy>=1.16  # why\r"), Some((2, "numpy>=1.16")));
        assert_eq!(entry("numpy#egg"), Some((0, "numpy#egg")));
        assert_eq!(entry("   # only a comment"), None);
        assert_eq!(entry(" \t "), None);
    }

    #[test]
    fn extras_named_twice_add_up_and_keep_first_order() {
        let name = |s: &str| ExtraName::new(s.to_owned()).unwrap();
        let mut e = Extras::default();
        e.add(name("b"), vec![1]);
        e.add(name("a"), vec![2]);
        e.add(name("b"), vec![3]);
        let mut out = Parsed::default();
        e.into_groups(&mut out, vec![0], None);
        let g: Vec<(&str, Vec<usize>)> = (0..out.groups.len())
            .map(|i| (out.groups[i].name.as_str(), out.members(i)))
            .collect();
        assert_eq!(
            g,
            [
                ("install_requires", vec![0]),
                ("extra:b", vec![0, 1, 3]),
                ("extra:a", vec![0, 2])
            ]
        );
        // The extras refer to the base; they hold only what they add.
        assert_eq!(out.groups[1].members, [1, 3]);
        assert_eq!(out.groups[1].base, Some(0));
    }
}
