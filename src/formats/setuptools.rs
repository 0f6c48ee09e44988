//! What setup.cfg and setup.py share: setuptools reads both into the same
//! `install_requires` / `extras_require` and cleans requirement strings the same way.

use std::str::FromStr;

use pep440_rs::VersionSpecifiers;
use pep508_rs::ExtraName;

use crate::manifest::{FileId, Group, GroupKind, Loc, Parsed, ProblemKind};
use crate::source::Span;

/// The requirements of each extra, in the order the extras first appear.
#[derive(Debug, Default)]
pub struct Extras(Vec<(ExtraName, Vec<usize>)>);

impl Extras {
    /// Add requirements to extra `name`; an extra named twice gets both lists.
    pub fn add(&mut self, name: ExtraName, members: Vec<usize>) {
        match self.0.iter_mut().find(|(n, _)| *n == name) {
            Some((_, m)) => m.extend(members),
            None => self.0.push((name, members)),
        }
    }

    /// The units: `install_requires`, and `extra:<name>` = install_requires + that extra
    /// (what `pip install project[name]` installs).
    pub fn into_groups(self, out: &mut Parsed, base: Vec<usize>) {
        out.groups.push(Group {
            kind: GroupKind::Base,
            name: "install_requires".into(),
            members: base.clone(),
            extras: vec![],
        });
        for (name, members) in self.0 {
            let mut all = base.clone();
            all.extend(members);
            out.groups.push(Group {
                kind: GroupKind::Extra,
                name: format!("extra:{name}"),
                members: all,
                extras: vec![name],
            });
        }
    }
}

/// `python_requires`, a PEP 440 specifier set (`value`, trimmed, at `span`): the project's
/// Python range, or a problem.
pub fn python_requires(out: &mut Parsed, file: FileId, value: &str, span: Span) {
    match VersionSpecifiers::from_str(value) {
        Ok(v) => out.requires_python = Some((v, Loc { file, span })),
        Err(e) => out.problems.push(super::problem(
            ProblemKind::Parse,
            file,
            span,
            format!("invalid python_requires: {e}"),
        )),
    }
}

/// One entry of a requirement list as setuptools reads it (`yield_lines`, then
/// `jaraco.text.drop_comment`): trimmed, `None` when blank or a `#` comment, cut at ` #`
/// (space, hash). Returns the offset of the text in `raw` and the text.
pub fn entry(raw: &str) -> Option<(usize, &str)> {
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
        e.into_groups(&mut out, vec![0]);
        let g: Vec<(&str, &[usize])> = out
            .groups
            .iter()
            .map(|g| (g.name.as_str(), g.members.as_slice()))
            .collect();
        assert_eq!(
            g,
            [
                ("install_requires", &[0][..]),
                ("extra:b", &[0, 1, 3]),
                ("extra:a", &[0, 2])
            ]
        );
    }
}
