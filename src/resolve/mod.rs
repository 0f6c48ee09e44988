//! `depwindow check --resolve`: a real resolver as the engine. The one mode that uses the
//! network (or a local index): opt-in, after the static run.
//!
//! For each unit that requires a rule's trigger and each environment (Python x platform), the
//! unit's parsed requirement strings go to uv (`uv pip compile -`) or pip (`pip install
//! --dry-run --report`, host only). Never the file: a hostile file's `--extra-index-url`,
//! URL, `-e` and `-r` lines never reach the resolver (`requirement_line` writes name, extras,
//! specifiers and marker only). Index options come from the command line and the
//! environment. The answers are compared with every rule's window:
//! - no solution: `resolution-failure` (DW106), the resolver's reason shortened;
//! - a package with only a source distribution and no `--allow-build`: "needs a build to
//!   resolve" (`unevaluable`, a warning), never a resolution failure;
//! - a covered package resolving outside its window: the static finding on it says
//!   "confirmed: ..." with the packages that required the version; without one,
//!   `resolved-outside` (DW107).
//!
//! Failing to run the resolver or to reach the index is an error (exit 2), never a finding.

pub(crate) mod engine;

use std::collections::BTreeMap;
use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;

use pep440_rs::Version;

use crate::check::{self, Check};
use crate::diagnostic::{Diagnostic, Related, Severity};
use crate::files::Files;
use crate::formats;
use crate::manifest::{Loc, Parsed, Requirement, Role, Syntax, VersionReq};
use crate::rules::Rule;
use crate::run::{Job, Outcome, Profile};
use engine::{Answer, Cache, Engine, Index, Request};

/// What the command line says about resolving.
#[derive(Clone, Debug, Default)]
pub(crate) struct Options {
    pub resolver: Option<engine::Kind>,
    pub index: Index,
    pub allow_build: bool,
    pub refresh: bool,
    /// `linux`, `macos`, `windows`; empty = linux.
    pub platforms: Vec<String>,
    /// Resolver processes at once (0 = the core count, at most 4).
    pub jobs: usize,
}

/// One resolution to run: a unit of a file on one environment.
struct Task {
    /// Index into `units`.
    unit: usize,
    request: Request,
}

/// A unit to resolve, with what the comparison needs.
struct UnitInfo {
    path: PathBuf,
    profile: usize,
    /// The unit's requirements (for locations): name -> loc, first wins.
    locs: Vec<(String, Loc)>,
    /// Where a unit-wide finding points: the trigger requirement.
    anchor: Loc,
}

/// One environment where a covered package resolved outside its window: (Python, "Python
/// X.Y, os", the packages that required the version).
type OutsideEnv = (String, String, Vec<String>);
/// The environments a unit fails on for one reason ((Python, "Python X.Y, os")), and the
/// resolver's full reason.
type Failure = (Vec<(String, String)>, String);

/// Run the resolver over the checked files and add its findings to `outcome`. Prints the
/// resolver and index used on stderr. `Err` is exit 2.
pub(crate) fn run(
    outcome: &mut Outcome,
    cwd: &Path,
    jobs: &[Job],
    profiles: &[Profile],
    opts: &Options,
) -> Result<(), String> {
    let engine = engine::find(opts.resolver)?;
    let cache = Cache::new(opts.refresh);
    let platforms: Vec<String> = if opts.platforms.is_empty() {
        vec!["linux".into()]
    } else {
        opts.platforms.clone()
    };
    if engine.kind == engine::Kind::Pip && platforms.iter().any(|p| p != host_platform()) {
        return Err(format!(
            "the pip resolver evaluates markers for this machine ({}) only (pypa/pip#11664); install uv for `--platform {}`",
            host_platform(),
            platforms.join(",")
        ));
    }
    eprintln!(
        "depwindow: resolving with {} ({}), index: {}{}",
        engine.name(),
        engine.version,
        opts.index.describe(),
        cache
            .dir()
            .map(|d| format!(", cache: {}", d.display()))
            .unwrap_or_default()
    );

    let mut units: Vec<UnitInfo> = Vec::new();
    let mut tasks: Vec<Task> = Vec::new();
    // The report keeps excerpts, not texts: the files are read again to build requests,
    // and the new findings keep excerpts of them (`run::adopt_excerpts`).
    let mut read = Files::new(cwd.to_path_buf());
    // Files not handed over because a constraint file of theirs cannot be read.
    let mut unread_constraints = 0usize;
    for job in jobs {
        if job.candidate.format.imp().conda_names() {
            continue; // conda packages are not an index's
        }
        let id = match find_or_load(&mut read, job) {
            Some(id) => id,
            None => continue,
        };
        let mut parsed = formats::parse(job.candidate.format, &mut read, id);
        let profile = &profiles[job.profile];
        // The global constraint files restrict the request as they restrict the check;
        // one that cannot be read is the check's finding already.
        if crate::run::add_global_constraints(&mut parsed, &mut read, id, &profile.opts.constraints)
            .is_err()
        {
            unread_constraints += 1;
            continue;
        }
        for unit in check::units(&parsed) {
            let Some(built) = unit_request(&parsed, &unit.all_requirements(), &profile.rules)
            else {
                continue;
            };
            let pythons = pythons_for(&parsed, &profile.rules, profile, &engine);
            let u = units.len();
            units.push(UnitInfo {
                path: job.candidate.path.clone(),
                profile: job.profile,
                locs: built.locs,
                anchor: built.anchor,
            });
            for py in &pythons {
                for plat in &platforms {
                    tasks.push(Task {
                        unit: u,
                        request: Request {
                            requirements: built.requirements.clone(),
                            constraints: built.constraints.clone(),
                            pre: built.pre,
                            overrides: built.overrides.clone(),
                            python: py.clone(),
                            platform: plat.clone(),
                            allow_build: opts.allow_build,
                        },
                    });
                }
            }
        }
    }

    if unread_constraints > 0 {
        eprintln!(
            "depwindow: note: {unread_constraints} file{} not resolved: a constraint file of {} cannot be read (see its finding)",
            if unread_constraints == 1 { "" } else { "s" },
            if unread_constraints == 1 { "it" } else { "theirs" },
        );
    } else if tasks.is_empty() {
        eprintln!(
            "depwindow: note: nothing to resolve: no unit requires a rule's trigger on a Python {}",
            match &engine.host_python {
                Some(h) => format!("the pip resolver can target (this machine's {h})"),
                None => "left after `--python` and `requires-python`".to_owned(),
            }
        );
    }
    let answers = run_tasks(&engine, &tasks, &opts.index, &cache, opts.jobs)?;

    let mut new = Vec::new();
    // (diagnostic index, text) of confirmations to add, merged per finding.
    let mut confirm: BTreeMap<usize, Vec<String>> = BTreeMap::new();
    // Resolved-outside findings merged per (unit, rule, version).
    let mut outside: BTreeMap<(usize, String, String), Vec<OutsideEnv>> = BTreeMap::new();
    let mut failures: BTreeMap<(usize, String), Failure> = BTreeMap::new();
    for (task, answer) in tasks.iter().zip(answers) {
        let unit = &units[task.unit];
        let env = format!("Python {}, {}", task.request.python, task.request.platform);
        match answer {
            Answer::Failed(reason) => {
                // One finding per unit and reason, naming every environment it holds on.
                let e = failures
                    .entry((task.unit, engine::shorten(&reason)))
                    .or_insert_with(|| (Vec::new(), reason.clone()));
                e.0.push((task.request.python.clone(), env));
            }
            Answer::NeedsBuild(reason) => {
                let mut d = Diagnostic::problem(
                    Check::Unevaluable,
                    Severity::Warning,
                    unit.anchor,
                    format!(
                        "needs a build to resolve on {env}: {}",
                        engine::shorten(&reason)
                    ),
                );
                d.help = Some(
                    "building a source distribution runs its code; rerun with `--allow-build` to let the resolver build it"
                        .into(),
                );
                new.push(d);
            }
            Answer::Resolved(pins) => {
                let rules = &profiles[unit.profile].rules;
                for rule in rules {
                    if !rule.holds_on(&task.request.python) || !trigger_resolved(rule, &pins) {
                        continue;
                    }
                    let name = engine::normalize(rule.package.as_ref());
                    let Some(pin) = pins.iter().find(|p| p.name == name) else {
                        continue;
                    };
                    let Ok(v) = pin.version.parse::<Version>() else {
                        continue;
                    };
                    if rule.window.set.contains_any(&v) {
                        continue;
                    }
                    let via = if pin.via.is_empty() {
                        String::new()
                    } else {
                        format!(" (required by {})", pin.via.join(", "))
                    };
                    let text = format!(
                        "confirmed: {} resolves {} {} on {env}{via}",
                        engine.name(),
                        pin.name,
                        pin.version
                    );
                    match static_finding(outcome, &unit.path, &rule.id) {
                        Some(i) => confirm.entry(i).or_default().push(text),
                        None => outside
                            .entry((task.unit, rule.id.clone(), pin.version.clone()))
                            .or_default()
                            .push((task.request.python.clone(), env.clone(), pin.via.clone())),
                    }
                }
            }
        }
    }
    for ((u, short), (envs, reason)) in failures {
        let unit = &units[u];
        let names: Vec<&str> = envs.iter().map(|e| e.1.as_str()).collect();
        let mut d = Diagnostic::problem(
            Check::ResolutionFailure,
            Severity::Error,
            unit.anchor,
            format!(
                "{} cannot resolve this on {}: {short}",
                engine.name(),
                names.join("; ")
            ),
        );
        d.pythons = envs.iter().map(|e| e.0.clone().into()).collect();
        d.pythons.dedup();
        d.label = "cannot be installed together".into();
        for (name, loc) in &unit.locs {
            if *loc != unit.anchor && mentions(&short, name) {
                d.related.push(Related {
                    loc: *loc,
                    message: format!("`{name}` takes part"),
                });
            }
        }
        d.help = Some(
            format!(
                "the resolver's reason: {}",
                reason.split_whitespace().collect::<Vec<_>>().join(" ")
            )
            .into(),
        );
        new.push(d);
    }
    for (i, texts) in confirm {
        let d = &mut outcome.diagnostics[i];
        let mut help = d.help.take().unwrap_or_default();
        for t in texts {
            if !help.is_empty() {
                help.push('\n');
            }
            help.push_str(&t);
        }
        d.help = Some(help);
    }
    for ((u, rule_id, version), envs) in outside {
        let unit = &units[u];
        let Some(rule) = profiles[unit.profile]
            .rules
            .iter()
            .find(|r| r.id == rule_id)
        else {
            continue;
        };
        let mut via: Vec<String> = envs.iter().flat_map(|e| e.2.clone()).collect();
        via.sort();
        via.dedup();
        let envs_text: Vec<&str> = envs.iter().map(|e| e.1.as_str()).collect();
        let mut d = Diagnostic::problem(
            Check::ResolvedOutside,
            rule.severity,
            unit.anchor,
            format!(
                "{} resolves {} {version} here, outside the window {} {} was tested with ({}{})",
                engine.name(),
                rule.package,
                rule.window.text,
                rule.trigger.title,
                envs_text.join("; "),
                if via.is_empty() {
                    String::new()
                } else {
                    format!("; required by {}", via.join(", "))
                }
            ),
        );
        d.rule = Some(rule.id.clone());
        d.package = Some(rule.package.to_string());
        d.window = Some(rule.window.text.clone());
        d.label = format!("resolves {} {version}", rule.package).into();
        d.pythons = envs.iter().map(|e| e.0.clone().into()).collect();
        d.pythons.dedup();
        d.help = Some(
            format!(
                "add `{}{}` to this file so the resolver stays inside the window",
                rule.package, rule.window.text
            )
            .into(),
        );
        new.push(d);
    }
    crate::run::adopt_excerpts(&mut outcome.files, &read, &mut new);
    outcome.diagnostics.extend(new);
    outcome.diagnostics.sort_by(|a, b| {
        (a.loc.file, a.loc.span.start, a.check).cmp(&(b.loc.file, b.loc.span.start, b.check))
    });
    Ok(())
}

fn host_platform() -> &'static str {
    if cfg!(target_os = "macos") {
        "macos"
    } else if cfg!(windows) {
        "windows"
    } else {
        "linux"
    }
}

fn mentions(text: &str, name: &str) -> bool {
    let lower = text.to_ascii_lowercase();
    lower.match_indices(name).any(|(i, _)| {
        let before = lower[..i].chars().next_back();
        let after = lower[i + name.len()..].chars().next();
        let word =
            |c: Option<char>| c.is_some_and(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
        !word(before) && !word(after)
    })
}

/// The static finding on this rule in this file, if any (outside-window, unconstrained,
/// unsatisfiable, lock-incomplete).
fn static_finding(outcome: &Outcome, path: &Path, rule: &str) -> Option<usize> {
    let want = crate::files::normalize(path);
    outcome.diagnostics.iter().position(|d| {
        d.rule.as_deref() == Some(rule)
            && crate::files::normalize(&outcome.files.get(d.loc.file).path) == want
    })
}

fn trigger_resolved(rule: &Rule, pins: &[engine::Pin]) -> bool {
    rule.trigger.distributions.iter().any(|dist| {
        let n = engine::normalize(dist.as_ref());
        pins.iter().any(|p| {
            p.name == n
                && p.version
                    .parse::<Version>()
                    .is_ok_and(|v| rule.trigger.version.set.contains_any(&v))
        })
    })
}

fn find_or_load(files: &mut Files, job: &Job) -> Option<usize> {
    let want = crate::files::normalize(&job.candidate.path);
    if let Some((id, _)) = files
        .iter()
        .find(|(_, f)| crate::files::normalize(&f.path) == want)
    {
        return Some(id);
    }
    match &job.stdin {
        Some(bytes) => Some(files.add(&job.candidate.path, bytes)),
        None => files.load(&job.candidate.path).ok(),
    }
}

/// The Pythons to resolve for: the rules' trigger Pythons, restricted by `--python` and
/// the file's `requires-python`; pip: the host's only.
fn pythons_for(parsed: &Parsed, rules: &[Rule], profile: &Profile, engine: &Engine) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for r in rules {
        for p in &r.trigger.pythons {
            let wanted = profile.opts.pythons.as_ref().is_none_or(|l| l.contains(p));
            let allowed = parsed
                .requires_python
                .as_ref()
                .is_none_or(|(spec, _)| crate::python::allows_python(spec, p));
            if wanted && allowed && !out.contains(p) {
                out.push(p.clone());
            }
        }
    }
    if let Some(host) = &engine.host_python {
        out.retain(|p| p == host);
    }
    out
}

struct Built {
    requirements: Vec<String>,
    constraints: Vec<String>,
    /// Some requirement admits pre-releases (`--pre`, Pipfile `allow_prereleases`): the
    /// resolver is told to admit them too.
    pre: bool,
    overrides: Vec<String>,
    locs: Vec<(String, Loc)>,
    anchor: Loc,
}

/// The unit's requirement strings, when it requires a rule's trigger.
fn unit_request(_parsed: &Parsed, reqs: &[&Requirement], rules: &[Rule]) -> Option<Built> {
    let trigger = reqs.iter().find(|r| {
        r.role == Role::Require
            && rules
                .iter()
                .any(|rule| rule.trigger.distributions.contains(&r.name))
    })?;
    if reqs.iter().any(|r| r.syntax == Syntax::Conda) {
        return None;
    }
    let mut b = Built {
        requirements: Vec::new(),
        constraints: Vec::new(),
        pre: reqs.iter().any(|r| r.pre),
        overrides: Vec::new(),
        locs: Vec::new(),
        anchor: trigger.loc(),
    };
    for r in reqs {
        let line = requirement_line(r);
        let list = match r.role {
            Role::Require => &mut b.requirements,
            Role::Constrain | Role::Locked => &mut b.constraints,
            Role::Override => &mut b.overrides,
            // Taken out by `formats::parse`: no unit holds one.
            Role::Unparsed => continue,
        };
        if !list.contains(&line) {
            list.push(line);
        }
        let name = r.name.to_string();
        if !b.locs.iter().any(|(n, _)| *n == name) {
            b.locs.push((name, r.loc()));
        }
    }
    Some(b)
}

/// A requirement as a PEP 508 string written from its parsed parts: name, extras, version
/// specifiers, marker. Nothing else of the line (URLs, options) is kept.
pub(crate) fn requirement_line(r: &Requirement) -> String {
    let mut s = r.name.to_string();
    if !r.extras().is_empty() {
        let e: Vec<String> = r.extras().iter().map(ToString::to_string).collect();
        s.push('[');
        s.push_str(&e.join(","));
        s.push(']');
    }
    match &r.version {
        VersionReq::Specifiers { specifiers, .. } => s.push_str(&specifiers.to_string()),
        VersionReq::Exact { version, .. } => {
            s.push_str("==");
            s.push_str(&version.to_string());
        }
        // A union has no single specifier set; the resolver sees the name (looser, never
        // stricter than the file).
        VersionReq::AnyOf { .. } | VersionReq::Any | VersionReq::Unversioned => {}
    }
    if let Some(m) = r.marker().try_to_string() {
        s.push_str(" ; ");
        s.push_str(&m);
    }
    s
}

/// Run the tasks with at most `jobs` resolver processes at once; progress on a terminal.
fn run_tasks(
    engine: &Engine,
    tasks: &[Task],
    index: &Index,
    cache: &Cache,
    jobs: usize,
) -> Result<Vec<Answer>, String> {
    let workers = match jobs {
        0 => std::thread::available_parallelism()
            .map_or(2, |n| n.get())
            .min(4),
        n => n,
    }
    .min(tasks.len().max(1));
    let next = AtomicUsize::new(0);
    let done = AtomicUsize::new(0);
    let results: Mutex<Vec<Option<Result<Answer, String>>>> =
        Mutex::new((0..tasks.len()).map(|_| None).collect());
    let progress = std::io::stderr().is_terminal() && !tasks.is_empty();
    std::thread::scope(|s| {
        for _ in 0..workers {
            s.spawn(|| loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                let Some(task) = tasks.get(i) else { break };
                let r = engine.resolve(&task.request, index, cache);
                let failed = r.is_err();
                if let Ok(mut all) = results.lock() {
                    all[i] = Some(r);
                }
                let n = done.fetch_add(1, Ordering::Relaxed) + 1;
                if progress {
                    eprint!("\rdepwindow: resolved {n}/{} ", tasks.len());
                }
                if failed {
                    // Stop handing out work: the run ends with an error anyway.
                    next.store(tasks.len(), Ordering::Relaxed);
                }
            });
        }
    });
    if progress {
        eprintln!();
    }
    let all = results
        .into_inner()
        .map_err(|_| "a resolver thread panicked".to_owned())?;
    let mut out = Vec::with_capacity(all.len());
    for r in all {
        match r {
            Some(Ok(a)) => out.push(a),
            Some(Err(e)) => return Err(e),
            None => {}
        }
    }
    if out.len() != tasks.len() {
        return Err("the resolver stopped before every environment was resolved".into());
    }
    Ok(out)
}
