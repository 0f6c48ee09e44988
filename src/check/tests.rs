//! The verdict code on small inputs: what the evaluator decides (check, Pythons, offender,
//! releases let in, picks, fix intent), before any text is made. Inputs are parsed from
//! memory by the real readers; rules are the built-in ones or a small rule of our own.

use std::path::Path;

use super::evaluate::evaluate;
use super::verdict::{Detail, FixIntent, Judgement, PyVerdict, Verdict};
use super::{check_parsed, Check, Options};
use crate::files::Files;
use crate::formats::{self, Format};
use crate::manifest::{GroupKind, Parsed, Role};
use crate::rules::environments::Environment;
use crate::rules::{self, Rule};

/// Parse `text` as the file `name` (the format by its name).
fn parse(name: &str, text: &str) -> (Files, Parsed) {
    let mut files = Files::new(std::env::temp_dir());
    let id = files.add(Path::new(name), text.as_bytes());
    let format = Format::detect(Path::new(name)).expect("a known file name");
    let parsed = formats::parse(format, &mut files, id);
    assert!(
        parsed.problems.is_empty(),
        "{name} should read cleanly: {:?}",
        parsed.problems
    );
    (files, parsed)
}

/// The built-in rule on NumPy.
fn numpy_rule() -> &'static [Rule] {
    let all = rules::builtin();
    let i = all
        .iter()
        .position(|r| r.id == "tensorflow-1.14/numpy")
        .expect("the built-in NumPy rule");
    &all[i..=i]
}

fn per_env<'v, 'a>(v: &'v Verdict<'a>) -> &'v [(&'static Environment, PyVerdict<'a>)] {
    match &v.judgement {
        Judgement::PerEnv(g) => g,
        Judgement::NoSupportedPython { .. } => panic!("a per-environment verdict"),
    }
}

/// The verdict on the Linux environment of each Python, in order (the tests below that
/// are not about operating systems look at Linux).
fn per_python<'v, 'a>(v: &'v Verdict<'a>) -> Vec<(String, &'v PyVerdict<'a>)> {
    per_env(v)
        .iter()
        .filter(|(e, _)| e.platform == "linux")
        .map(|(e, pv)| (e.python.clone(), pv))
        .collect()
}

fn check_of(v: &Verdict) -> Check {
    match &v.judgement {
        Judgement::PerEnv(g) => g[0].1.check,
        Judgement::NoSupportedPython { .. } => Check::NoSupportedPython,
    }
}

/// The distinct Pythons a verdict holds on.
fn pythons<'v>(v: &'v Verdict) -> Vec<&'v str> {
    let mut out: Vec<&str> = Vec::new();
    for (e, _) in per_env(v) {
        if !out.contains(&e.python.as_str()) {
            out.push(&e.python);
        }
    }
    out
}

/// The (python, platform) pairs a verdict holds on.
fn places(v: &Verdict) -> Vec<(String, String)> {
    per_env(v)
        .iter()
        .map(|(e, _)| (e.python.clone(), e.platform.clone()))
        .collect()
}

/// The places of each NumPy verdict on `text`, read as file `name`, with the default options.
fn numpy_places(name: &str, text: &str) -> Vec<Vec<(String, String)>> {
    let (_files, parsed) = parse(name, text);
    evaluate(&parsed, numpy_rule(), &Options::default())
        .iter()
        .map(places)
        .collect()
}

/// The text a requirement was written as.
fn text_of<'f>(files: &'f Files, r: &crate::manifest::Requirement) -> &'f str {
    files.get(r.loc().file).slice(r.loc().span)
}

/// The text of the release a verdict says pip picks.
fn pick_text(rule: &Rule, pick: Option<usize>) -> Option<&str> {
    pick.map(|i| rule.releases.releases[i].text.as_ref())
}

fn release_texts(rule: &Rule, indices: &[usize]) -> Vec<String> {
    indices
        .iter()
        .map(|&i| rule.releases.releases[i].text.to_string())
        .collect()
}

#[test]
fn an_unbounded_range_leaks_per_python_and_names_the_offender() {
    let (files, parsed) = parse("requirements.txt", "tensorflow==1.14.0\nnumpy>=1.14.5\n");
    let rules = numpy_rule();
    let verdicts = evaluate(&parsed, rules, &Options::default());
    assert_eq!(verdicts.len(), 1);
    let v = &verdicts[0];
    assert_eq!(check_of(v), Check::OutsideWindow);
    assert_eq!(pythons(v), ["2.7", "3.5", "3.6", "3.7"]);
    let on_37 = &per_python(v)[3].1;
    let Detail::OutsideWindow {
        offender,
        only_below_declared,
        ..
    } = &on_37.detail
    else {
        panic!("outside-window detail");
    };
    assert_eq!(text_of(&files, offender), "numpy>=1.14.5");
    assert!(!only_below_declared);
    // pip's pick on 3.7 is the newest NumPy below TensorFlow's own <2.0 with a 3.7 wheel.
    assert_eq!(pick_text(&rules[0], on_37.pick), Some("1.21.6"));
    let leak = release_texts(&rules[0], &on_37.leak);
    assert_eq!(leak.first().map(String::as_str), Some("1.17.0"));
    assert!(!leak.iter().any(|r| r.starts_with("2.")), "{leak:?}");
    assert!(matches!(on_37.fix, FixIntent::Narrow(r) if std::ptr::eq(r, *offender)));
}

/// The offender among many distinct requirements is picked once for the environments that
/// share their lists (every environment here: no markers), not once per environment: each
/// requirement's own set is built about once (320k distinct constraint lines once built
/// 320k sets on each of 11 environments, 10.5 s).
#[test]
fn the_offender_among_distinct_requirements_is_picked_once_for_the_environments() {
    let n = 200;
    let mut text = String::from("tensorflow==1.14.0\n");
    for i in 0..n {
        text.push_str(&format!("numpy!=1.{i}\n"));
    }
    let (files, parsed) = parse("requirements.txt", &text);
    let rules = numpy_rule();
    let before = super::evaluate::REQ_SETS_BUILT.with(|c| c.get());
    let verdicts = evaluate(&parsed, rules, &Options::default());
    let built = super::evaluate::REQ_SETS_BUILT.with(|c| c.get()) - before;
    assert_eq!(verdicts.len(), 1);
    let envs = per_env(&verdicts[0]).len();
    assert!(envs > 4, "{envs} environments");
    let Detail::OutsideWindow { offender, .. } = &per_env(&verdicts[0])[0].1.detail else {
        panic!("outside-window detail");
    };
    // The first whose own set leaks the least: `!=1.9` keeps 1.9.0, below the window, out.
    assert_eq!(text_of(&files, offender), "numpy!=1.9");
    assert!(
        built <= 3 * n,
        "{built} sets built for {n} requirements on {envs} environments"
    );
}

#[test]
fn a_marker_limited_bound_holds_only_where_its_marker_does() {
    let text = "tensorflow==1.14.0\n\
                numpy>=1.14.5,<1.17; python_version < \"3.7\"\n\
                numpy>=1.14.5; python_version >= \"3.7\"\n";
    let (files, parsed) = parse("requirements.txt", text);
    let verdicts = evaluate(&parsed, numpy_rule(), &Options::default());
    assert_eq!(verdicts.len(), 1);
    let v = &verdicts[0];
    assert_eq!(check_of(v), Check::OutsideWindow);
    assert_eq!(pythons(v), ["3.7"]);
    let Detail::OutsideWindow { offender, .. } = &per_python(v)[0].1.detail else {
        panic!("outside-window detail");
    };
    assert_eq!(
        text_of(&files, offender),
        "numpy>=1.14.5; python_version >= \"3.7\""
    );

    // A bound whose marker holds on none of the trigger's Pythons constrains nothing.
    let (_, parsed) = parse(
        "requirements.txt",
        "tensorflow==1.14.0\nnumpy>=1.14.5,<1.17; python_version >= \"3.8\"\n",
    );
    let verdicts = evaluate(&parsed, numpy_rule(), &Options::default());
    assert_eq!(verdicts.len(), 1);
    assert_eq!(check_of(&verdicts[0]), Check::Unconstrained);
    assert_eq!(pythons(&verdicts[0]), ["2.7", "3.5", "3.6", "3.7"]);
    assert!(matches!(
        per_python(&verdicts[0])[0].1.fix,
        FixIntent::InsertAfter(r) if r.name.as_ref() == "tensorflow"
    ));
}

#[test]
fn a_constraint_alone_bounds_the_package_the_trigger_brings_in() {
    let pyproject = |constraint: &str| {
        format!(
            "[project]\nname = \"p\"\nversion = \"1\"\ndependencies = [\"tensorflow==1.14.0\"]\n\
             [tool.uv]\nconstraint-dependencies = [\"{constraint}\"]\n"
        )
    };
    // Inside the window: no requirement names numpy, yet it is not unconstrained.
    let (_, parsed) = parse("pyproject.toml", &pyproject("numpy>=1.14.5,<1.17"));
    assert!(parsed
        .requirements
        .iter()
        .any(|r| r.role == Role::Constrain));
    let verdicts = evaluate(&parsed, numpy_rule(), &Options::default());
    assert!(verdicts.is_empty());

    // Too loose: the constraint is the offender.
    let (files, parsed) = parse("pyproject.toml", &pyproject("numpy<1.18"));
    let verdicts = evaluate(&parsed, numpy_rule(), &Options::default());
    assert_eq!(verdicts.len(), 1);
    // NumPy 1.17 has no wheel for Python 2.7: nothing outside gets in there.
    let group = per_python(&verdicts[0]);
    assert!(group[0].1.leak.is_empty());
    let on = &group.iter().find(|(p, _)| p == "3.7").unwrap().1;
    let Detail::OutsideWindow { offender, .. } = &on.detail else {
        panic!("outside-window detail");
    };
    assert_eq!(offender.role, Role::Constrain);
    assert_eq!(text_of(&files, offender), "numpy<1.18");
    assert_eq!(
        release_texts(&numpy_rule()[0], &on.leak),
        ["1.17.0", "1.17.1", "1.17.2", "1.17.3", "1.17.4", "1.17.5"]
    );
}

#[test]
fn a_lock_pin_outside_is_reported_on_the_pin_and_not_edited() {
    let lock = "lock-version = \"1.0\"\ncreated-by = \"pip\"\n\
                [[packages]]\nname = \"numpy\"\nversion = \"1.17.0\"\n\
                [[packages]]\nname = \"tensorflow\"\nversion = \"1.14.0\"\n";
    let (files, parsed) = parse("pylock.toml", lock);
    let verdicts = evaluate(&parsed, numpy_rule(), &Options::default());
    assert_eq!(verdicts.len(), 2);
    // NumPy 1.17.0 needs Python >=3.5: on 2.7 pip installs nothing, and that is
    // `unsatisfiable`, naming the release whose Requires-Python excludes 2.7.
    let on_27 = per_python(&verdicts[0]);
    assert_eq!(on_27.len(), 1);
    assert_eq!(on_27[0].0, "2.7");
    assert_eq!(on_27[0].1.pick, None);
    let Detail::Unsatisfiable(super::verdict::Unsatisfiable::NotInstallable {
        excluded: Some(i),
        yanked: None,
    }) = on_27[0].1.detail
    else {
        panic!("not-installable detail: {:?}", on_27[0].1.detail);
    };
    assert_eq!(&*numpy_rule()[0].releases.releases[i].text, "1.17.0");
    let group = per_python(&verdicts[1]);
    assert_eq!(group[0].0, "3.5");
    let (_, on) = group.iter().find(|(p, _)| p == "3.7").unwrap();
    let Detail::OutsideWindow { offender, .. } = &on.detail else {
        panic!("outside-window detail");
    };
    assert_eq!(offender.role, Role::Locked);
    assert_eq!(files.get(on.primary.file).slice(on.primary.span), "1.17.0");
    assert_eq!(pick_text(&numpy_rule()[0], on.pick), Some("1.17.0"));
    // The intent is to narrow, but a lockfile is never edited: no fix comes of it.
    let diags = check_parsed(&files, &parsed, numpy_rule(), &Options::default());
    let d = diags
        .iter()
        .find(|d| d.check == Check::OutsideWindow)
        .unwrap();
    assert!(d.fix.is_none());

    // A lock that pins the trigger but not the package is incomplete.
    let lock = "lock-version = \"1.0\"\ncreated-by = \"pip\"\n\
                [[packages]]\nname = \"tensorflow\"\nversion = \"1.14.0\"\n";
    let (_, parsed) = parse("pylock.toml", lock);
    let verdicts = evaluate(&parsed, numpy_rule(), &Options::default());
    assert_eq!(verdicts.len(), 1);
    assert_eq!(check_of(&verdicts[0]), Check::LockIncomplete);
}

#[test]
fn pre_releases_get_in_only_when_admitted() {
    // Outside the window this admits only pre-releases of 1.17.0: they get in with --pre.
    let req = "numpy>=1.14.5,!=1.17.0,<=1.17.0";
    let (_, parsed) = parse("requirements.txt", &format!("tensorflow==1.14.0\n{req}\n"));
    assert!(evaluate(&parsed, numpy_rule(), &Options::default()).is_empty());
    let (_, parsed) = parse(
        "requirements.txt",
        &format!("--pre\ntensorflow==1.14.0\n{req}\n"),
    );
    let verdicts = evaluate(&parsed, numpy_rule(), &Options::default());
    assert_eq!(verdicts.len(), 1);
    let on = &per_python(&verdicts[0])[0].1;
    let Detail::OutsideWindow { witness, .. } = &on.detail else {
        panic!("outside-window detail");
    };
    assert!(witness.any_prerelease(), "{witness}");
    // No published final release gets in.
    assert!(on.leak.is_empty());

    // A specifier that names a pre-release admits pre-releases by itself.
    let (_, parsed) = parse(
        "requirements.txt",
        "tensorflow==1.14.0\nnumpy>=1.14.5,<=1.17.0rc1\n",
    );
    let verdicts = evaluate(&parsed, numpy_rule(), &Options::default());
    assert_eq!(verdicts.len(), 1);
    assert_eq!(check_of(&verdicts[0]), Check::OutsideWindow);
}

#[test]
fn an_extra_is_its_own_unit_and_named_by_kind() {
    let text = "[project]\nname = \"p\"\nversion = \"1\"\n\
                dependencies = [\"tensorflow==1.14.0\"]\n\
                [project.optional-dependencies]\nviz = [\"numpy>=1.16\"]\n";
    let (files, parsed) = parse("pyproject.toml", text);
    let verdicts = evaluate(&parsed, numpy_rule(), &Options::default());
    assert_eq!(verdicts.len(), 2);
    // The base install leaves numpy to TensorFlow ...
    assert_eq!(verdicts[0].unit_kind, GroupKind::Base);
    assert_eq!(check_of(&verdicts[0]), Check::Unconstrained);
    // ... the extra bounds it from below only.
    let v = &verdicts[1];
    assert_eq!(v.unit_kind, GroupKind::Extra);
    assert_eq!(v.unit_name, "project[viz]");
    assert_eq!(check_of(v), Check::OutsideWindow);
    let Detail::OutsideWindow { offender, .. } = &per_python(v)[0].1.detail else {
        panic!("outside-window detail");
    };
    assert_eq!(text_of(&files, offender), "numpy>=1.16");
    // Only the derived unit is named in its message.
    let diags = check_parsed(&files, &parsed, numpy_rule(), &Options::default());
    assert_eq!(diags.len(), 2);
    assert!(!diags[0].message.contains("(in `"), "{}", diags[0].message);
    assert!(
        diags[1].message.ends_with(" (in `project[viz]`)"),
        "{}",
        diags[1].message
    );
}

/// A user's own rule: every name in the messages comes from its data.
#[test]
fn a_users_rule_reads_in_its_own_words() {
    let toml = r#"
schema = 1
[trigger]
title = "Torch 1.4.0"
distributions = ["torch"]
version = "==1.4.0"
pythons = ["3.6", "3.7", "3.8"]
[[package]]
id = "torch-1.4/numpy"
name = "numpy"
window = ">=1.16,<1.19"
absence = "finding"
severity = "error"
releases = "numpy"
summary = "NumPy for Torch 1.4"
explanation = "Tested with NumPy 1.16 to 1.18."
sources = ["a source"]
"#;
    let rules = rules::load_rule_file("torch.toml", toml, None).unwrap();
    let (files, parsed) = parse("requirements.txt", "torch==1.4.0\nnumpy>=1.16\n");
    let diags = check_parsed(&files, &parsed, &rules, &Options::default());
    assert_eq!(diags.len(), 1);
    let d = &diags[0];
    assert_eq!(d.check, Check::OutsideWindow);
    assert!(
        d.message.starts_with(
            "`numpy>=1.16` admits numpy outside Torch 1.4.0's tested window `>=1.16,<1.19`: "
        ),
        "{}",
        d.message
    );
    let all = format!("{} {} {:?} {:?}", d.message, d.label, d.help, d.notes);
    assert!(
        !all.contains("TensorFlow") && !all.contains("tensorflow"),
        "{all}"
    );

    let (files, parsed) = parse("requirements.txt", "torch==1.4.0\n");
    let diags = check_parsed(&files, &parsed, &rules, &Options::default());
    assert_eq!(diags[0].check, Check::Unconstrained);
    assert_eq!(
        *diags[0].label,
        "requires Torch 1.4.0 but leaves numpy free"
    );
    assert_eq!(
        diags[0]
            .help
            .as_deref()
            .and_then(|h| h.lines().find(|l| l.starts_with("add"))),
        Some("add `numpy>=1.16,<1.19` next to the Torch 1.4.0 requirement")
    );
}

#[test]
fn requires_python_outside_every_trigger_python_is_no_supported_python() {
    let text = "[project]\nname = \"p\"\nversion = \"1\"\nrequires-python = \">=3.8\"\n\
                dependencies = [\"tensorflow==1.14.0\"]\n";
    let (_, parsed) = parse("pyproject.toml", text);
    let verdicts = evaluate(&parsed, numpy_rule(), &Options::default());
    assert_eq!(verdicts.len(), 1);
    assert!(matches!(
        verdicts[0].judgement,
        Judgement::NoSupportedPython { trigger, .. } if trigger.name.as_ref() == "tensorflow"
    ));
    // A bound inside a series still allows it: `>=3.7.2` allows 3.7.
    let text = text.replace(">=3.8", ">=3.7.2");
    let (_, parsed) = parse("pyproject.toml", &text);
    let verdicts = evaluate(&parsed, numpy_rule(), &Options::default());
    assert_eq!(verdicts.len(), 1);
    assert_eq!(check_of(&verdicts[0]), Check::Unconstrained);
    assert_eq!(pythons(&verdicts[0]), ["3.7"]);
}

/// The DW104 verdict of a pyproject.toml with `requires-python` and one dependency: None
/// when there is none, else the Pythons without wheels (None for "admits only the trigger").
fn no_wheels_verdict(
    requires_python: &str,
    dependency: &str,
) -> Option<Option<super::verdict::NoWheels>> {
    let text = format!(
        "[project]\nname = \"p\"\nversion = \"1\"\nrequires-python = \"{requires_python}\"\n\
         dependencies = [\"{dependency}\", \"numpy>=1.14.5,<1.17\"]\n"
    );
    let (_, parsed) = parse("pyproject.toml", &text);
    let verdicts = evaluate(&parsed, numpy_rule(), &Options::default());
    verdicts.iter().find_map(|v| match &v.judgement {
        Judgement::NoSupportedPython { no_wheels, .. } => Some(no_wheels.clone()),
        Judgement::PerEnv(_) => None,
    })
}

/// DW104's second form: no release the requirement admits has a wheel for a Python the file
/// allows. A Python newer than every wheel list (3.15 and later, which `>=3.8` allows) could
/// only get wheels from a release not yet made, so the claim needs the requirement to admit
/// nothing newer than the newest known release: `tensorflow>=1.14,!=2.*` admits no release
/// with wheels for 3.8-3.14, but admits a future 3.0, so it is a finding only when the file
/// also caps Python below 3.15.
#[test]
fn no_wheels_for_a_future_python_needs_a_range_closed_to_future_releases() {
    let series = |from: u64, to: u64| (from..=to).map(|m| (3, m)).collect::<Vec<_>>();
    let newest = |v: &str| <pep440_rs::Version as std::str::FromStr>::from_str(v).unwrap();
    // Closed above: the future Pythons count, named with the newest known release.
    let nw = no_wheels_verdict(">=3.8", "tensorflow>=1.14,<2")
        .expect("a finding")
        .expect("the no-wheels form");
    assert_eq!(nw.pythons, series(8, 14));
    assert_eq!(nw.newer_than, Some(((3, 14), newest("2.22.0rc0"))));
    // Open to a future release: not a finding while the file allows a future Python ...
    assert_eq!(no_wheels_verdict(">=3.8", "tensorflow>=1.14,!=2.*"), None);
    // ... and a finding once it does not.
    let nw = no_wheels_verdict(">=3.8,<3.15", "tensorflow>=1.14,!=2.*")
        .expect("a finding")
        .expect("the no-wheels form");
    assert_eq!(nw.pythons, series(8, 14));
    assert_eq!(nw.newer_than, None);
    // A file that allows only future Pythons: the future alone decides.
    let nw = no_wheels_verdict(">=3.15", "tensorflow<2")
        .expect("a finding")
        .expect("the no-wheels form");
    assert!(nw.pythons.is_empty());
    assert_eq!(nw.newer_than, Some(((3, 14), newest("2.22.0rc0"))));
    assert_eq!(no_wheels_verdict(">=3.15", "tensorflow>=1.14,!=2.*"), None);
    // tensorflow-gpu's newest known release is 2.11.0: its 2.12.0 placeholder is not one.
    let nw = no_wheels_verdict(">=3.11", "tensorflow-gpu<2.3")
        .expect("a finding")
        .expect("the no-wheels form");
    assert_eq!(nw.newer_than, Some(((3, 14), newest("2.11.0"))));
    assert_eq!(no_wheels_verdict(">=3.11", "tensorflow-gpu>=1.14,!=2.0.*,!=2.1.*,!=2.2.*,!=2.3.*,!=2.4.*,!=2.5.*,!=2.6.*,!=2.7.*,!=2.8.*,!=2.9.*,!=2.10.*,!=2.11.*"), None);
}

/// The rest of the second form: a pre-release counts as installable (3.14's only wheel is
/// 2.22.0rc0, which pip falls back to for `<2.23`); a release with a wheel for the allowed
/// Python is what a range wants (not a finding); `requires-python` must exclude every trigger
/// Python; the first form wins when both hold.
#[test]
fn no_wheels_counts_pre_releases_and_keeps_the_first_form() {
    assert_eq!(
        no_wheels_verdict("==3.14.*", "tensorflow>=1.14,<2.23"),
        None
    );
    assert!(no_wheels_verdict("==3.14.*", "tensorflow>=1.14,<2.22").is_some());
    assert_eq!(no_wheels_verdict(">=3.8", "tensorflow>=1.14"), None);
    // 2.2.0 is the oldest release with a 3.8 wheel; no 2.2 pre-release has one.
    assert!(no_wheels_verdict("==3.8.*", "tensorflow<2.2").is_some());
    assert_eq!(no_wheels_verdict("==3.8.*", "tensorflow<=2.2.0"), None);
    assert_eq!(no_wheels_verdict(">=3.7", "tensorflow>=1.14,<2"), None);
    // TF 1.14.0's relabelled cp33/cp34 files install on 3.3 and 3.4: not "no wheel".
    assert_eq!(no_wheels_verdict(">=3.3,<3.5", "tensorflow>=1.14,<2"), None);
    // Python 3.0-3.2 have no TF wheel at all.
    assert!(no_wheels_verdict(">=3.0,<3.3", "tensorflow>=1.14,<2").is_some());
    assert_eq!(no_wheels_verdict(">=3.8", "tensorflow==1.14.0"), Some(None));
    // A requirement whose marker holds on no allowed Python is never installed: no claim,
    // in either form; a marker that may hold there (another variable) keeps it.
    let dead = "tensorflow>=1.14,<2; python_version < '3.8'";
    assert_eq!(no_wheels_verdict(">=3.8", dead), None);
    let dead_pin = "tensorflow==1.14.0; python_full_version < '3.8.0'";
    assert_eq!(no_wheels_verdict(">=3.8", dead_pin), None);
    assert_eq!(
        no_wheels_verdict("==3.8.*", "tensorflow<2; python_version >= '3.9'"),
        None
    );
    assert!(no_wheels_verdict("==3.8.*", "tensorflow<2; python_version >= '3.8'").is_some());
    assert!(no_wheels_verdict(">=3.8", "tensorflow<2; sys_platform == 'linux'").is_some());
    assert_eq!(no_wheels_verdict(">=3.8", "tensorflow~=1.14.0"), Some(None));
}

/// Only requirements pip installs from the index have the second form: a conda match-spec
/// comes from the channels, whose builds per Python are not in the data. The conda pin
/// `python=3.8` is the file's Python range either way.
#[test]
fn no_wheels_is_for_pip_requirements_in_conda_files() {
    let pip = "dependencies:\n  - python=3.8\n  - pip\n  - pip:\n    - tensorflow<2\n";
    let (_, parsed) = parse("environment.yml", pip);
    let opts = Options {
        conda: true,
        ..Options::default()
    };
    let verdicts = evaluate(&parsed, numpy_rule(), &opts);
    assert!(matches!(
        &verdicts[..],
        [Verdict { judgement: Judgement::NoSupportedPython { no_wheels: Some(nw), .. }, .. }]
            if nw.pythons == [(3, 8)] && nw.newer_than.is_none()
    ));
    let conda = "dependencies:\n  - python=3.8\n  - tensorflow<2\n";
    let (_, parsed) = parse("environment.yml", conda);
    assert!(evaluate(&parsed, numpy_rule(), &opts).is_empty());
    let conda_pin = "dependencies:\n  - python=3.8\n  - tensorflow=1.14.0\n";
    let (_, parsed) = parse("environment.yml", conda_pin);
    assert!(matches!(
        &evaluate(&parsed, numpy_rule(), &opts)[..],
        [Verdict {
            judgement: Judgement::NoSupportedPython {
                no_wheels: None,
                ..
            },
            ..
        }]
    ));
}

#[test]
fn requirements_that_exclude_each_other_are_unsatisfiable_whatever_the_trigger() {
    let (_, parsed) = parse(
        "requirements.txt",
        "tensorflow==1.14.0\nnumpy>=1.14.5\nnumpy<1.14\n",
    );
    let verdicts = evaluate(&parsed, numpy_rule(), &Options::default());
    assert_eq!(verdicts.len(), 1);
    let on = &per_python(&verdicts[0])[0].1;
    assert!(matches!(
        on.detail,
        Detail::Unsatisfiable(super::verdict::Unsatisfiable::Conflict)
    ));
    assert_eq!(on.contributing.len(), 2);
    // Below TensorFlow's own minimum only: the declared range is what it excludes.
    let (_, parsed) = parse("requirements.txt", "tensorflow==1.14.0\nnumpy<1.14\n");
    let verdicts = evaluate(&parsed, numpy_rule(), &Options::default());
    assert!(matches!(
        per_python(&verdicts[0])[0].1.detail,
        Detail::Unsatisfiable(super::verdict::Unsatisfiable::ExcludesDeclared)
    ));
}

/// The example in each check's documentation, phrased for each built-in rule, is a file
/// that the check reports (a lockfile excerpt and the suppression check, which runs after
/// evaluation, excepted).
#[test]
fn every_documented_example_reports_its_check() {
    let mut tried = 0;
    for rule in rules::builtin() {
        for &check in Check::ALL {
            let absence = matches!(check, Check::Unconstrained | Check::LockIncomplete);
            // Suppressions are decided after evaluation; the resolver's checks by a resolver.
            let elsewhere = matches!(
                check,
                Check::UnusedSuppression | Check::ResolutionFailure | Check::ResolvedOutside
            );
            if elsewhere || absence && !rule.absence_is_finding {
                continue;
            }
            let doc = check.doc(Some(rule));
            let (first, body) = doc.example.split_once('\n').unwrap();
            let name = first.trim_start_matches('#').trim();
            if name.contains(' ') {
                // `Pipfile.lock (excerpt)`: not a whole file.
                continue;
            }
            let mut files = Files::new(std::env::temp_dir().join("depwindow-doc-examples"));
            let id = files.add(Path::new(name), body.as_bytes());
            let format = Format::detect(Path::new(name)).expect("a known file name");
            let parsed = formats::parse(format, &mut files, id);
            let diags = check_parsed(
                &files,
                &parsed,
                std::slice::from_ref(rule),
                &Options::default(),
            );
            assert!(
                diags.iter().any(|d| d.check == check),
                "{} example for {} reports {:?}:\n{}",
                check.code(),
                rule.id,
                diags.iter().map(|d| d.check.code()).collect::<Vec<_>>(),
                doc.example
            );
            tried += 1;
        }
    }
    assert!(tried >= 6 * rules::builtin().len(), "{tried}");
}

fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
    list.iter()
        .map(|(p, os)| ((*p).to_owned(), (*os).to_owned()))
        .collect()
}

/// issue 11 §1: a bound under `sys_platform == "linux"` protects Linux on Python 3 only
/// (`sys_platform` is `linux2` on 2.7), and nothing on macOS and Windows.
#[test]
fn a_platform_limited_bound_protects_only_its_platform() {
    let text = "tensorflow==1.14.0\nnumpy>=1.14.5,<1.17; sys_platform == \"linux\"\n";
    let (_files, parsed) = parse("requirements.txt", text);
    let verdicts = evaluate(&parsed, numpy_rule(), &Options::default());
    assert_eq!(verdicts.len(), 1);
    let v = &verdicts[0];
    assert_eq!(check_of(v), Check::Unconstrained);
    assert_eq!(
        places(v),
        pairs(&[
            ("2.7", "linux"),
            ("2.7", "darwin"),
            ("3.5", "darwin"),
            ("3.5", "win32"),
            ("3.6", "darwin"),
            ("3.6", "win32"),
            ("3.7", "darwin"),
            ("3.7", "win32"),
        ])
    );
    // Where TF 1.14.0 installs: 2.7 has no Windows wheel.
    assert_eq!(v.triggered.len(), 11);
    let on_37_mac = per_env(v)
        .iter()
        .find(|(e, _)| e.python == "3.7" && e.platform == "darwin")
        .unwrap();
    assert_eq!(pick_text(v.rule, on_37_mac.1.pick), Some("1.21.6"));
}

/// `tensorflow-gpu==1.14.0` has no macOS wheel: it never triggers there.
#[test]
fn tensorflow_gpu_never_triggers_on_macos() {
    let (_files, parsed) = parse("requirements.txt", "tensorflow-gpu==1.14.0\n");
    let verdicts = evaluate(&parsed, numpy_rule(), &Options::default());
    assert_eq!(verdicts.len(), 1);
    let v = &verdicts[0];
    assert!(places(v).iter().all(|(_, os)| os != "darwin"));
    assert_eq!(places(v).len(), 7, "{:?}", places(v));
    // And `--platform darwin` leaves nothing.
    let opts = Options {
        platforms: Some(vec!["darwin".into()]),
        ..Options::default()
    };
    assert!(evaluate(&parsed, numpy_rule(), &opts).is_empty());
}

/// Beside `tensorflow==1.14.0`, a `tensorflow-gpu==1.14.0` that cannot install on macOS
/// makes pip fail there for the whole file: macOS is not judged, for either trigger. Under a
/// marker that excludes macOS, or one whose value is unknown, it does not.
#[test]
fn an_uninstallable_trigger_removes_its_environments() {
    let macs = |p: &[(String, String)]| p.iter().filter(|(_, os)| os == "darwin").count();
    let v = numpy_places(
        "requirements.txt",
        "tensorflow==1.14.0\ntensorflow-gpu==1.14.0\n",
    );
    assert_eq!(v.len(), 1);
    assert_eq!(macs(&v[0]), 0);
    assert_eq!(v[0].len(), 7, "{:?}", v[0]);

    for marker in ["sys_platform != 'darwin'", "platform_release >= '5'"] {
        let text = format!("tensorflow==1.14.0\ntensorflow-gpu==1.14.0; {marker}\n");
        let v = numpy_places("requirements.txt", &text);
        assert_eq!(v.len(), 1);
        assert_eq!(macs(&v[0]), 4, "{marker}: {:?}", v[0]);
    }
    // A range with a macOS release besides 1.14.0 may install that one: macOS stays.
    let v = numpy_places(
        "requirements.txt",
        "tensorflow==1.14.0\ntensorflow-gpu>=1.0,<1.15\n",
    );
    assert!(macs(&v[0]) > 0);
    // Another pinned release with no macOS wheel fails there just the same.
    let v = numpy_places(
        "requirements.txt",
        "tensorflow==1.14.0\ntensorflow-gpu==1.13.1\n",
    );
    assert_eq!(v[0].len(), 7, "{:?}", v[0]);
    // A direct reference says nothing of its version: the other trigger still counts.
    let text = "tensorflow==1.14.0\ntensorflow-gpu @ https://example.com/tensorflow_gpu-1.14.0-cp37-cp37m-linux_x86_64.whl\n";
    let v = numpy_places("requirements.txt", text);
    assert_eq!(v.len(), 1);
    assert_eq!(v[0].len(), 11, "{:?}", v[0]);
    // A Poetry 1.x lock records no markers: its pins decide nothing per system.
    let lock = "[[package]]\nname = \"tensorflow\"\nversion = \"1.14.0\"\n\
                python-versions = \"*\"\n\n[[package]]\nname = \"tensorflow-gpu\"\n\
                version = \"1.14.0\"\npython-versions = \"*\"\n\n[[package]]\n\
                name = \"numpy\"\nversion = \"1.18.5\"\npython-versions = \">=3.5\"\n\n\
                [metadata]\nlock-version = \"1.1\"\npython-versions = \">=3.6,<3.8\"\n\
                content-hash = \"0\"\n";
    let v = numpy_places("poetry.lock", lock);
    assert_eq!(v.len(), 1);
    assert!(macs(&v[0]) > 0);
}

/// A bound under a marker the environments do not fix (`platform_release`) cannot be
/// relied on: the package counts as unconstrained, and an unsatisfiable range under it
/// is not DW103. A trigger under such a marker may be installed, so it counts.
#[test]
fn a_marker_on_an_unfixed_variable_is_unknown() {
    let text = "tensorflow==1.14.0\nnumpy>=1.14.5,<1.17; platform_release >= \"5\"\n";
    let (_files, parsed) = parse("requirements.txt", text);
    let verdicts = evaluate(&parsed, numpy_rule(), &Options::default());
    assert_eq!(verdicts.len(), 1);
    assert_eq!(check_of(&verdicts[0]), Check::Unconstrained);

    let text =
        "tensorflow==1.14.0\nnumpy>=1.14.5,<1.17\nnumpy==1.13.3; platform_release >= \"5\"\n";
    let (_files, parsed) = parse("requirements.txt", text);
    assert!(evaluate(&parsed, numpy_rule(), &Options::default()).is_empty());

    let text = "tensorflow==1.14.0; platform_version >= \"1\"\n";
    let (_files, parsed) = parse("requirements.txt", text);
    let verdicts = evaluate(&parsed, numpy_rule(), &Options::default());
    assert_eq!(verdicts.len(), 1);
    assert_eq!(places(&verdicts[0]).len(), 11);
}

/// `sys_platform == "linux2"` is Python 2.7 on Linux, exactly.
#[test]
fn linux2_is_python_2_7_on_linux() {
    let text = "tensorflow==1.14.0\nnumpy>=1.14.5,<1.17; sys_platform == \"linux2\" or sys_platform != \"linux\"\nnumpy>=1.14.5,<1.17; sys_platform == \"linux\"\n";
    let (_files, parsed) = parse("requirements.txt", text);
    assert!(evaluate(&parsed, numpy_rule(), &Options::default()).is_empty());

    let text = "tensorflow==1.14.0\nnumpy>=1.14.5,<1.17; sys_platform == \"linux2\"\n";
    let (_files, parsed) = parse("requirements.txt", text);
    let verdicts = evaluate(&parsed, numpy_rule(), &Options::default());
    assert_eq!(verdicts.len(), 1);
    assert!(!places(&verdicts[0]).contains(&("2.7".to_owned(), "linux".to_owned())));
    assert_eq!(places(&verdicts[0]).len(), 10);
}

#[test]
fn units_with_the_same_install_are_judged_once_and_all_named() {
    // Groups `a` and `c` install the same packages (numpy and TensorFlow), `b` only
    // TensorFlow: `a` is judged, `c` and `all` (which installs the same; its kind only
    // labels it) share its verdicts, and the finding names all three, in order, as judging
    // each would.
    let text =
        "[metadata]\ngroups = [\"default\", \"a\", \"b\", \"c\"]\nlock_version = \"4.4\"\n\n\
                [[package]]\nname = \"numpy\"\nversion = \"1.19.0\"\ngroups = [\"a\", \"c\"]\n\n\
                [[package]]\nname = \"tensorflow\"\nversion = \"1.14.0\"\n\
                groups = [\"default\", \"a\", \"b\", \"c\"]\n";
    let (files, parsed) = parse("pdm.lock", text);
    let names: Vec<&str> = parsed.groups.iter().map(|g| g.name.as_str()).collect();
    let verdicts = evaluate(&parsed, numpy_rule(), &Options::default());
    let mut judged: Vec<&str> = verdicts.iter().map(|v| v.unit_name).collect();
    judged.dedup();
    assert_eq!(judged, ["default", "default+a"], "{names:?}");
    let diags = check_parsed(&files, &parsed, numpy_rule(), &Options::default());
    let outside: Vec<&str> = diags
        .iter()
        .filter(|d| d.check == Check::OutsideWindow)
        .map(|d| d.message.as_str())
        .collect();
    assert_eq!(outside.len(), 1, "{diags:#?}");
    assert!(
        outside[0].ends_with(" (in `default+a`, `default+c`, `all`)"),
        "{names:?}: {}",
        outside[0]
    );
}

/// A line that does not parse but names its package leaves no requirement behind
/// (`formats::parse` takes the stand-in out), is recorded with the groups it was in, and the
/// evaluator claims nothing about that package in those units only (issue 11 §5).
#[test]
fn an_unparsed_line_silences_its_package_in_its_own_units() {
    let text = "[project]\nname = \"p\"\nversion = \"1\"\n\
        dependencies = [\"tensorflow==1.14.0\", \"numpy>=>1.14.5\"]\n\
        [project.optional-dependencies]\nx = [\"h5py<3,,\"]\n";
    let mut files = Files::new(std::env::temp_dir());
    let id = files.add(Path::new("pyproject.toml"), text.as_bytes());
    let parsed = formats::parse(Format::Pyproject, &mut files, id);
    assert!(parsed.requirements.iter().all(|r| r.role != Role::Unparsed));
    let names: Vec<(&str, usize)> = parsed
        .unparsed
        .iter()
        .map(|u| (u.name.as_ref(), u.groups.len()))
        .collect();
    // numpy is in the base (and so in `project[x]`, which adds to it); h5py only in
    // `project[x]`.
    assert_eq!(names, [("numpy", 1), ("h5py", 1)]);
    let silenced: Vec<(bool, bool)> = crate::check::units(&parsed)
        .map(|u| {
            let name = |n: &str| pep508_rs::PackageName::new(n.to_owned()).unwrap();
            (
                u.names_unparsed(&name("numpy")),
                u.names_unparsed(&name("h5py")),
            )
        })
        .collect();
    assert_eq!(silenced, [(true, false), (true, true)]);
    for g in &parsed.groups {
        assert!(g.members.iter().all(|&m| m < parsed.requirements.len()));
    }
    let all = rules::builtin();
    let verdicts = evaluate(&parsed, all, &Options::default());
    let about = |pkg: &str, kind: GroupKind| {
        verdicts
            .iter()
            .filter(|v| v.rule.package.as_ref() == pkg && v.unit_kind == kind)
            .count()
    };
    assert_eq!(about("numpy", GroupKind::Base), 0);
    assert_eq!(about("numpy", GroupKind::Extra), 0);
    // h5py is claimed unconstrained in the base, not in the extra whose line is broken.
    assert_eq!(about("h5py", GroupKind::Base), 1);
    assert_eq!(about("h5py", GroupKind::Extra), 0);
    // Other packages keep their findings.
    assert!(about("gast", GroupKind::Base) > 0);
}

/// A (unit, rule) is judged once per distinct set of requirements that matter to the rule:
/// 200 extras that each bound numpy are 200 judgements on the numpy rule, and none on the
/// other rules, whose verdicts the extras share with the base (counted by the verdicts the
/// evaluator makes: each judged (unit, rule) makes its own).
#[test]
fn extras_that_add_nothing_on_a_package_share_the_base_verdicts_on_it() {
    let mut text = String::from(
        "[project]\nname = \"p\"\nversion = \"1\"\n\
         dependencies = [\"tensorflow==1.14.0\", \"numpy>=1.0\"]\n\
         [project.optional-dependencies]\n",
    );
    for i in 0..200 {
        text.push_str(&format!("e{i} = [\"numpy>=1.{i}\"]\n"));
    }
    let (files, parsed) = parse("pyproject.toml", &text);
    let all = rules::builtin();
    let verdicts = evaluate(&parsed, all, &Options::default());
    let others = verdicts
        .iter()
        .filter(|v| v.rule.package.as_ref() != "numpy")
        .inspect(|v| assert_eq!(v.unit_kind, GroupKind::Base, "{}", v.unit_name))
        .count();
    assert!(others > 0, "the base's verdicts on the other packages");
    let numpy_units: std::collections::HashSet<&str> = verdicts
        .iter()
        .filter(|v| v.rule.package.as_ref() == "numpy")
        .map(|v| v.unit_name)
        .collect();
    assert_eq!(numpy_units.len(), 201, "the base and each extra, once");
    // Every extra still reaches the other packages' findings: they are the base's, so
    // none names an extra.
    let diags = check_parsed(&files, &parsed, all, &Options::default());
    let unconstrained: Vec<&str> = diags
        .iter()
        .filter(|d| d.check == Check::Unconstrained)
        .map(|d| d.message.as_str())
        .collect();
    assert!(!unconstrained.is_empty());
    assert!(
        unconstrained.iter().all(|m| !m.contains("(in `")),
        "{unconstrained:?}"
    );
}

/// Findings alike across files (thousands of projects leave protobuf free beside the same
/// TensorFlow pin, or write the same NumPy range) are worked out once, not once per file:
/// which TensorFlow the pin lets in on each environment, pip's pick from the declared range
/// and the releases it lets in per (rule, environment), the counts of releases outside the
/// window, each finding's headline, label, notes and help, the pick notes and a range's
/// replacement once per distinct key; and the findings hold the first file's headlines and
/// notes, not copies. The first file works them out; the next ones only look them up,
/// and their findings say the same.
#[test]
fn findings_alike_across_files_are_worked_out_once() {
    let rules = rules::builtin();
    let names = [
        "declared-range outcomes",
        "pick notes",
        "outside counts",
        "finding texts",
        "trigger wheel answers",
        "range replacements",
    ];
    let count = || {
        [
            super::evaluate::DECLARED_OUTCOMES.with(|c| c.get()),
            super::message::PICK_NOTES_PHRASED.with(|c| c.get()),
            super::message::OUTSIDE_COUNTED.with(|c| c.get()),
            super::message::TEXTS_PHRASED.with(|c| c.get()),
            super::evaluate::WHEEL_OUTCOMES.with(|c| c.get()),
            super::fix_proposal::REPLACEMENTS_WORKED_OUT.with(|c| c.get()),
        ]
    };
    let start = count();
    let mut after_first = start;
    let mut first_said: Vec<Vec<String>> = Vec::new();
    let mut first_held: Vec<[Option<usize>; 2]> = Vec::new();
    for i in 0..12 {
        let text = format!("tensorflow==1.14.0\nnumpy>=1.16\nunrelated-{i}==1.0\n");
        let (files, parsed) = parse("requirements.txt", &text);
        let found = check_parsed(&files, &parsed, rules, &Options::default());
        let free = found
            .iter()
            .filter(|d| d.check == Check::Unconstrained)
            .count();
        assert!(free >= 3, "{free} unconstrained packages");
        assert!(
            found
                .iter()
                .any(|d| d.check == Check::OutsideWindow && d.fix.is_some()),
            "numpy>=1.16 is narrowed"
        );
        let said: Vec<Vec<String>> = found
            .iter()
            .map(|d| {
                let mut said = vec![d.message.to_string(), d.label.to_string()];
                said.extend(d.help.as_deref().cloned());
                said.extend(d.notes.iter().cloned());
                said.extend(d.fix.as_ref().map(|f| f.replacement.clone()));
                said
            })
            .collect();
        // The headlines and notes are the first file's lists, not copies.
        let held: Vec<[Option<usize>; 2]> = found
            .iter()
            .map(|d| [d.message.id(), d.notes.id()])
            .collect();
        if i == 0 {
            after_first = count();
            first_said = said;
            first_held = held;
        } else {
            assert_eq!(said, first_said, "file {i}");
            assert_eq!(held, first_held, "file {i} holds copies");
        }
    }
    let first: Vec<String> = names
        .iter()
        .zip(after_first.iter().zip(start))
        .map(|(name, (after, before))| format!("{} {name}", after - before))
        .collect();
    assert!(
        after_first
            .iter()
            .zip(start)
            .all(|(after, before)| after > &before),
        "the first file works each out: {first:?}"
    );
    assert_eq!(
        count(),
        after_first,
        "later files work out again what the first did ({first:?})"
    );
}

/// `compact`'s fast path (text already one line of single ASCII spaces) gives what the
/// collapse gives, and every other text still goes through the collapse.
#[test]
fn compact_is_the_collapse_of_whitespace() {
    for s in [
        "numpy>=1.16",
        "numpy >= 1.0 ; python_version<'3'",
        "",
        " ",
        "a  b",
        " a",
        "a ",
        "a\\\nb",
        "a\\\r\nb",
        "a\\b",
        "a\tb",
        "a\u{a0}b",
        "x\u{3000}y",
        "a\u{85}b",
        "é b",
    ] {
        let slow = s
            .replace("\\\r\n", " ")
            .replace("\\\n", " ")
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ");
        assert_eq!(super::compact(s), slow, "{s:?}");
    }
}

/// The evaluator's hasher spreads short version spellings over the low bits a hash table
/// picks buckets by: 100 spellings of one length (`1.0.0` … `1.9.9`) land in at least 48 of
/// 128 buckets (about 69 expected at random). Without the final rotation, spellings of one
/// length sharing their first byte all started in one bucket.
#[test]
fn fast_hash_spreads_short_spellings_over_the_low_bits() {
    use std::hash::BuildHasher;
    let buckets: std::collections::HashSet<u64> = (0..100)
        .map(|i| format!("1.{}.{}", i / 10, i % 10))
        .map(|s| super::FastHash.hash_one(s.as_bytes()) & 127)
        .collect();
    assert!(buckets.len() >= 48, "{} buckets", buckets.len());
}

/// The evaluator's hasher reads a byte string as little-endian words of eight bytes, the
/// last padded with zeros, whatever the length: whole words are read in place, the rest
/// copied into a padded word, and both give the words written one by one.
#[test]
fn fast_hash_reads_bytes_as_padded_words() {
    use std::hash::{BuildHasher, Hasher};
    let bytes: Vec<u8> = (1..=40u8).map(|b| b.wrapping_mul(37)).collect();
    for len in 0..=bytes.len() {
        let mut whole = super::FastHash.build_hasher();
        whole.write(&bytes[..len]);
        let mut by_word = super::FastHash.build_hasher();
        for chunk in bytes[..len].chunks(8) {
            let mut word = [0u8; 8];
            word[..chunk.len()].copy_from_slice(chunk);
            by_word.write_u64(u64::from_le_bytes(word));
        }
        assert_eq!(whole.finish(), by_word.finish(), "{len} bytes");
    }
}

/// pip's pick from the declared range and the releases it lets in are worked out once per
/// rule and Python, not once per operating system: they read the Python only. A file that
/// leaves the rules' packages free on every environment works out one answer for each
/// (rule, Python) its unconstrained findings hold on (three operating systems each).
#[test]
fn declared_outcomes_are_worked_out_once_per_python() {
    let (files, parsed) = parse("requirements.txt", "tensorflow==1.14.0\n");
    let before = super::evaluate::DECLARED_OUTCOMES.with(|c| c.get());
    let found = check_parsed(&files, &parsed, rules::builtin(), &Options::default());
    let worked_out = super::evaluate::DECLARED_OUTCOMES.with(|c| c.get()) - before;
    let free: Vec<_> = found
        .iter()
        .filter(|d| d.check == Check::Unconstrained)
        .collect();
    let pythons: std::collections::HashSet<(&str, &str)> = free
        .iter()
        .flat_map(|d| {
            let rule = d.rule.as_deref().unwrap_or_default();
            d.environments.iter().map(move |p| (rule, p.python))
        })
        .collect();
    let places: usize = free.iter().map(|d| d.environments.len()).sum();
    assert!(places > pythons.len(), "several systems per Python");
    assert_eq!(worked_out, pythons.len(), "{places} environments");
}

/// Every fixture file's findings, phrased through the texts memo (a file's findings hit what
/// the files before it phrased, and a second pass hits for every finding), say exactly what
/// they say phrased afresh: the memo's key holds everything the texts read. Checked as a
/// file, as an installed environment, beside a lock that pins the packages, and on Linux.
#[test]
fn memoised_texts_are_the_fresh_texts_on_every_fixture() {
    fn walk(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
        let mut entries: Vec<_> = std::fs::read_dir(dir)
            .expect("a fixture directory")
            .map(|e| e.expect("an entry").path())
            .collect();
        entries.sort();
        for p in entries {
            if p.is_dir() {
                walk(&p, out);
            } else if Format::detect(&p).is_some() {
                out.push(p);
            }
        }
    }
    let mut paths = Vec::new();
    walk(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures"),
        &mut paths,
    );
    let pins: std::collections::BTreeMap<_, _> =
        ["numpy==1.18.5", "protobuf==4.21.1", "gast==0.2.2"]
            .iter()
            .map(|pin| {
                let (name, version) = pin.split_once("==").unwrap();
                (
                    name.parse().unwrap(),
                    version.parse::<pep440_rs::Version>().unwrap(),
                )
            })
            .collect();
    let variants = [
        Options::default(),
        Options {
            source: super::Source::Installed,
            ..Options::default()
        },
        Options {
            sibling_lock: Some(super::SiblingLock {
                path: "uv.lock".to_owned(),
                pins,
            }),
            ..Options::default()
        },
        // Linux alone: `tensorflow` and `tensorflow-gpu` (no macOS wheels) hold on the same
        // places there.
        Options {
            platforms: Some(vec!["linux".to_owned()]),
            ..Options::default()
        },
    ];
    // Inputs that differ in one thing the texts read, beside the fixtures: the trigger's
    // distribution (the `via` note names it), how many requirements on the package go
    // unlisted, a range that keeps the declared one out on Python 2.7 too or not, a lock's
    // pin spelled two ways that compare equal (`1.16.7`, `1.16.7.0`).
    let many = |n: usize| format!("tensorflow==1.14.0\n{}", "numpy>=1.16\n".repeat(n));
    let lock = |pin: &str| {
        format!(
            "lock-version = \"1.0\"\ncreated-by = \"pip\"\nrequires-python = \">=3.6,<3.8\"\n\n\
             [[packages]]\nname = \"tensorflow\"\nversion = \"1.14.0\"\n\n\
             [[packages]]\nname = \"numpy\"\nversion = \"{pin}\"\n"
        )
    };
    let made: Vec<(std::path::PathBuf, String)> = [
        "tensorflow==1.14.0\n".to_owned(),
        "tensorflow-gpu==1.14.0\n".to_owned(),
        many(23),
        many(24),
        "tensorflow==1.14.0\nnumpy<1.14\n".to_owned(),
        "tensorflow==1.14.0\nnumpy<1.14; python_version >= '3'\n".to_owned(),
        lock("1.16.7"),
        lock("1.16.7.0"),
    ]
    .into_iter()
    .enumerate()
    .map(|(i, text)| {
        let name = match text.starts_with("lock-version") {
            true => "pylock.toml",
            false => "requirements.txt",
        };
        (std::env::temp_dir().join(format!("made-{i}/{name}")), text)
    })
    .collect();
    let said = |unmemoised: bool| {
        super::message::TEXTS_UNMEMOISED.with(|c| c.set(unmemoised));
        let mut said: Vec<String> = Vec::new();
        for opts in &variants {
            let fixtures = paths
                .iter()
                .map(|p| (p.clone(), std::fs::read(p).expect("a fixture")));
            let made = made
                .iter()
                .map(|(p, t)| (p.clone(), t.clone().into_bytes()));
            for (p, bytes) in fixtures.chain(made) {
                let p = &p;
                let format = Format::detect(p).expect("a known file name");
                let mut files = Files::new(p.parent().expect("a directory").to_path_buf());
                let id = files.add(p, &bytes);
                let parsed = formats::parse(format, &mut files, id);
                let found = check_parsed(&files, &parsed, rules::builtin(), opts);
                said.extend(found.iter().map(|d| {
                    let released: Vec<&str> = d.outside_released.iter().collect();
                    format!(
                        "{}: {:?} {:?} {:?} {:?} {:?} {:?} {:?} {:?} {:?} {:?} {:?} {:?} {:?} {:?} {:?} {:?} {:?} {:?}",
                        p.display(),
                        d.check,
                        d.rule,
                        d.severity,
                        d.loc,
                        d.message,
                        d.label,
                        d.package,
                        d.window,
                        d.environments,
                        d.pythons,
                        d.platforms,
                        released,
                        d.outside_released_summary,
                        d.outside_installable,
                        d.pip_would_pick,
                        d.related,
                        d.fix,
                        (&d.help, &d.notes)
                    )
                }));
            }
        }
        said
    };
    let fresh = said(true);
    let before = super::message::TEXTS_PHRASED.with(|c| c.get());
    let memoised = said(false);
    let phrased = super::message::TEXTS_PHRASED.with(|c| c.get()) - before;
    let again = said(false);
    assert_eq!(
        super::message::TEXTS_PHRASED.with(|c| c.get()) - before,
        phrased,
        "the second pass phrases nothing"
    );
    let findings = fresh.iter().filter(|d| d.contains(" Some(\"")).count();
    assert!(
        findings > 300 && phrased < findings,
        "{phrased} phrased for {findings} findings"
    );
    for (i, (m, f)) in memoised.iter().zip(&fresh).enumerate() {
        assert_eq!(m, f, "finding {i}");
    }
    assert_eq!(memoised.len(), fresh.len());
    assert_eq!(again, fresh);
}
