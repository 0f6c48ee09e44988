//! `depwindow check --installed[=ENV]`: audit an installed environment statically.
//!
//! ENV is a virtualenv, a conda environment or a Python prefix. Its `site-packages` (and
//! Debian's `dist-packages`) are read for `*.dist-info/METADATA` and `*.egg-info/PKG-INFO`
//! (`Name:` and `Version:` headers); no Python runs, nothing is imported. The installed set
//! is judged as the exact pins `name==version`, one per distribution, on the environment's
//! Python (`pyvenv.cfg`, else the `lib/pythonX.Y` directory) and operating system (the
//! platform tags of the `Tag:` lines in each `*.dist-info/WHEEL`: Linux and macOS share one
//! path layout; wheels that disagree are said so and each system is judged; `--platform`
//! overrides), by the same checker as
//! `check`: the same codes, rules, effects and absence settings. Each finding points at the
//! `Version:` header of the distribution's METADATA file. No fixes: an environment is not
//! edited.

use std::path::{Path, PathBuf};

use crate::check::{self, Options};
use crate::diagnostic::Diagnostic;
use crate::files::Files;
use crate::formats::{self, Format};
use crate::manifest::{FileId, Loc};
use crate::run::Profile;
use crate::source::Span;

/// One installed distribution.
struct Dist {
    name: String,
    version: String,
    /// Its metadata file in the registry, and the span of the version value there.
    file: FileId,
    version_span: Span,
    /// The operating systems its `WHEEL` file's `Tag:` lines name (none for `any`, for an
    /// egg-info, or without a `WHEEL` file), with the first tag line that names each.
    platforms: Vec<(&'static str, Loc)>,
}

/// The operating system a wheel's platform tag is built for (the third part of
/// `py-abi-platform`, a `.`-separated set when compressed): `manylinux*`, `musllinux*` and
/// `linux_*` are Linux, `macosx_*` macOS, `win32` / `win_*` Windows; `any` (and anything
/// else) says nothing.
fn platform_of_tag(platform_tag: &str) -> Option<&'static str> {
    let t = platform_tag.to_ascii_lowercase();
    if t.starts_with("manylinux") || t.starts_with("musllinux") || t.starts_with("linux_") {
        Some("linux")
    } else if t.starts_with("macosx_") {
        Some("darwin")
    } else if t == "win32" || t.starts_with("win_") {
        Some("win32")
    } else {
        None
    }
}

/// The operating systems the `Tag:` lines of a `WHEEL` file name, each with the span of the
/// first tag that names it.
fn wheel_platforms(text: &str) -> Vec<(&'static str, Span)> {
    let mut out: Vec<(&'static str, Span)> = Vec::new();
    let mut offset = 0;
    for line in text.split_inclusive('\n') {
        let body = line.trim_end_matches(['\r', '\n']);
        if let Some((k, v)) = body.split_once(':') {
            if k.trim().eq_ignore_ascii_case("Tag") {
                let lead = v.len() - v.trim_start().len();
                let value = v.trim();
                let start = offset + k.len() + 1 + lead;
                let span = Span {
                    start,
                    end: start + value.len(),
                };
                let plat = value.rsplit('-').next().unwrap_or("");
                for os in plat.split('.').filter_map(platform_of_tag) {
                    if !out.iter().any(|(o, _)| *o == os) {
                        out.push((os, span));
                    }
                }
            }
        }
        offset += line.len();
    }
    out
}

/// The environment to audit: `--installed=ENV`, else `$VIRTUAL_ENV`, `$CONDA_PREFIX`,
/// `.venv`.
pub(crate) fn resolve_env(given: Option<&Path>, cwd: &Path) -> Result<PathBuf, String> {
    let env = match given.filter(|p| !p.as_os_str().is_empty()) {
        Some(p) => p.to_path_buf(),
        None => ["VIRTUAL_ENV", "CONDA_PREFIX"]
            .iter()
            .find_map(|v| std::env::var_os(v).filter(|s| !s.is_empty()))
            .map(PathBuf::from)
            .unwrap_or_else(|| PathBuf::from(".venv")),
    };
    let env = if env.is_absolute() {
        env
    } else {
        cwd.join(env)
    };
    if !env.is_dir() {
        return Err(format!(
            "`--installed`: `{}` is not a directory (a virtualenv, conda environment or prefix)",
            env.display()
        ));
    }
    Ok(env)
}

/// The site-packages directories of an environment (or ENV itself when it is one).
fn site_dirs(env: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let name = env.file_name().and_then(|n| n.to_str()).unwrap_or("");
    if matches!(name, "site-packages" | "dist-packages") {
        out.push(env.to_path_buf());
        return out;
    }
    for lib in ["lib", "lib64", "local/lib"] {
        let Ok(rd) = std::fs::read_dir(env.join(lib)) else {
            continue;
        };
        let mut pys: Vec<PathBuf> = rd
            .flatten()
            .map(|e| e.path())
            .filter(|p| {
                p.file_name()
                    .and_then(|n| n.to_str())
                    .is_some_and(|n| n.starts_with("python"))
            })
            .collect();
        pys.sort();
        for py in pys {
            for sp in ["site-packages", "dist-packages"] {
                if py.join(sp).is_dir() {
                    out.push(py.join(sp));
                }
            }
        }
    }
    if env.join("Lib/site-packages").is_dir() {
        out.push(env.join("Lib/site-packages"));
    }
    // `lib64` is a link to `lib` in virtualenvs: each directory once.
    let mut seen = std::collections::BTreeSet::new();
    out.retain(|p| seen.insert(std::fs::canonicalize(p).unwrap_or_else(|_| p.clone())));
    out
}

/// Where the environment's Python was read from.
enum PythonFrom {
    /// `pyvenv.cfg`'s `version` / `version_info`.
    Cfg(PathBuf),
    /// The `pythonX.Y` directory a site-packages lies in.
    SitePath(PathBuf),
}

/// The environment's Python `X.Y` and where it was read from: `pyvenv.cfg`'s
/// `version`/`version_info`, else the `pythonX.Y` directory its site-packages lies in.
fn python_of(env: &Path, sites: &[PathBuf]) -> Option<(String, PythonFrom)> {
    let cfg = env.join("pyvenv.cfg");
    if let Ok(bytes) = crate::files::read_capped(&cfg) {
        let text = String::from_utf8_lossy(&bytes);
        for line in text.lines() {
            let Some((k, v)) = line.split_once('=') else {
                continue;
            };
            if matches!(k.trim(), "version" | "version_info") {
                let mut parts = v.trim().split('.');
                if let (Some(a), Some(b)) = (parts.next(), parts.next()) {
                    return Some((format!("{a}.{b}"), PythonFrom::Cfg(cfg)));
                }
            }
        }
    }
    sites.iter().find_map(|s| {
        let n = s.parent()?.file_name()?.to_str()?;
        let v = n.strip_prefix("python")?;
        let mut parts = v.split('.');
        let (a, b) = (parts.next()?, parts.next()?);
        (a.parse::<u32>().is_ok() && b.parse::<u32>().is_ok())
            .then(|| (format!("{a}.{b}"), PythonFrom::SitePath(s.clone())))
    })
}

/// A path for a message: relative to the working directory when inside it, escaped.
fn shown(cwd: &Path, p: &Path) -> String {
    let p = p.strip_prefix(cwd).unwrap_or(p);
    crate::report::escape_display(&p.to_string_lossy()).into_owned()
}

/// The environment's own Python is not one any selected rule's trigger supports: the one
/// thing said (as `check --python 3.8` says it, an error since no chosen Python is one),
/// naming the Python and where it was read from. An installed distribution that a trigger
/// admits but that has no wheel for that Python makes the environment inconsistent (built
/// from source, copied in, or the Python changed under it): said too, at its METADATA.
fn unsupported_python(
    cwd: &Path,
    python: &str,
    from: &PythonFrom,
    dists: &[Dist],
    files: &Files,
    rules: &[crate::rules::Rule],
) -> String {
    let from = match from {
        PythonFrom::Cfg(p) => format!("`{}`", shown(cwd, p)),
        PythonFrom::SitePath(p) => format!("the site-packages path `{}`", shown(cwd, p)),
    };
    let mut msg = format!(
        "no chosen Python ({python}, the environment's, read from {from}) is one that a selected rule's trigger supports ({}): nothing is checked; `--python` judges the installed set on another Python",
        crate::cli::trigger_pythons(rules)
    );
    for d in dists {
        let (Ok(name), Ok(version)) = (
            d.name.parse::<pep508_rs::PackageName>(),
            d.version.parse::<pep440_rs::Version>(),
        ) else {
            continue;
        };
        let admitted = rules.iter().map(|r| &r.trigger).find(|t| {
            (t.distributions.contains(&name) || t.conda_distributions.contains(&name))
                && t.version.set.contains(&version)
        });
        let Some(t) = admitted else { continue };
        let has_wheel = match &t.wheels {
            Some(w) => w
                .versions(python, t.releases_name(&name).as_ref())
                .is_some_and(|vs| vs.contains(&version)),
            None => t.pythons.iter().any(|p| p == python),
        };
        if !has_wheel {
            msg.push_str(&format!(
                "\nnote: the environment is inconsistent: {name} {version} is installed (`{}`), but {name} {version} has no wheel for Python {python}: it was built from source or copied in, or the environment's Python changed",
                crate::report::escape_display(&files.get(d.file).display),
                name = crate::report::escape_display(&d.name),
                version = crate::report::escape_display(&d.version),
            ));
        }
    }
    msg
}

/// A finding's help without the lines that offer a file fix (`fix: …`, `fix (unsafe): …`):
/// an installed environment has no file to fix, its advice is what to install. `None` when
/// nothing else is left.
fn without_fix_lines(help: Option<&str>) -> Option<String> {
    let kept: Vec<&str> = help?
        .lines()
        .filter(|l| {
            !l.strip_prefix("fix")
                .is_some_and(|rest| rest.starts_with(':') || rest.starts_with(" ("))
        })
        .collect();
    (!kept.is_empty()).then(|| kept.join("\n"))
}

/// The value of an email-style header (`Name: numpy`) and its span, before the body.
fn header(text: &str, key: &str) -> Option<(String, Span)> {
    let mut offset = 0;
    for line in text.split_inclusive('\n') {
        let body = line.trim_end_matches(['\r', '\n']);
        if body.is_empty() {
            break;
        }
        if let Some((k, v)) = body.split_once(':') {
            if k.eq_ignore_ascii_case(key) {
                let lead = v.len() - v.trim_start().len();
                let value = v.trim();
                let start = offset + k.len() + 1 + lead;
                return Some((
                    value.to_owned(),
                    Span {
                        start,
                        end: start + value.len(),
                    },
                ));
            }
        }
        offset += line.len();
    }
    None
}

fn read_dists(sites: &[PathBuf], files: &mut Files) -> Vec<Dist> {
    let mut out = Vec::new();
    for site in sites {
        let Ok(rd) = std::fs::read_dir(site) else {
            continue;
        };
        let mut entries: Vec<PathBuf> = rd.flatten().map(|e| e.path()).collect();
        entries.sort();
        for p in entries {
            let n = p.file_name().and_then(|n| n.to_str()).unwrap_or("");
            let meta = if n.ends_with(".dist-info") {
                p.join("METADATA")
            } else if n.ends_with(".egg-info") {
                if p.is_dir() {
                    p.join("PKG-INFO")
                } else {
                    p.clone()
                }
            } else {
                continue;
            };
            let Ok(id) = files.load(&meta) else { continue };
            let text = &files.get(id).text;
            let (Some((name, _)), Some((version, version_span))) =
                (header(text, "Name"), header(text, "Version"))
            else {
                continue;
            };
            // Only what reads as a plain pin (a name and a PEP 440 version).
            let plain_name = !name.is_empty()
                && name
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || "._-".contains(c));
            if !plain_name || version.parse::<pep440_rs::Version>().is_err() {
                continue;
            }
            // A wheel's `WHEEL` file says which operating system it was built for.
            let platforms = if n.ends_with(".dist-info") {
                match files.load(&p.join("WHEEL")) {
                    Ok(wid) => wheel_platforms(&files.get(wid).text)
                        .into_iter()
                        .map(|(os, span)| (os, Loc { file: wid, span }))
                        .collect(),
                    Err(_) => Vec::new(),
                }
            } else {
                Vec::new()
            };
            out.push(Dist {
                name,
                version,
                file: id,
                version_span,
                platforms,
            });
        }
    }
    out
}

/// Audit one environment with one profile: the diagnostics point into its metadata files.
pub(crate) fn audit(
    cwd: &Path,
    env: &Path,
    profile: &Profile,
) -> Result<(Files, Vec<Diagnostic>), String> {
    let sites = site_dirs(env);
    if sites.is_empty() {
        return Err(format!(
            "`--installed`: no site-packages or dist-packages under `{}`",
            env.display()
        ));
    }
    let mut files = Files::new(cwd.to_path_buf());
    let dists = read_dists(&sites, &mut files);
    // The installed set as exact pins, one line per distribution.
    let text: String = dists
        .iter()
        .map(|d| format!("{}=={}\n", d.name, d.version))
        .collect();
    let synthetic = files.add(&env.join("<installed>"), text.as_bytes());
    let parsed = formats::parse(Format::Requirements, &mut files, synthetic);
    let pythons = match (&profile.opts.pythons, python_of(env, &sites)) {
        (Some(p), _) => Some(p.clone()),
        (None, Some((py, from))) => {
            let supports = |r: &crate::rules::Rule| r.trigger.pythons.contains(&py);
            if !profile.rules.is_empty() && !profile.rules.iter().any(supports) {
                return Err(unsupported_python(
                    cwd,
                    &py,
                    &from,
                    &dists,
                    &files,
                    &profile.rules,
                ));
            }
            Some(vec![py])
        }
        (None, None) => None,
    };
    // The operating system: `--platform` (or the configuration) when given, else the one
    // the installed wheels are built for (Linux and macOS share one path layout, so the
    // layout cannot tell). Wheels that disagree are said so, and every one they name is
    // judged; no platform tag at all (`any` wheels only) leaves every operating system.
    let mut notes = Vec::new();
    let platforms = match &profile.opts.platforms {
        Some(p) => Some(p.clone()),
        None => {
            let mut found: Vec<(&'static str, &Dist, Loc)> = Vec::new();
            for d in &dists {
                for &(os, loc) in &d.platforms {
                    if !found.iter().any(|(o, _, _)| *o == os) {
                        found.push((os, d, loc));
                    }
                }
            }
            if found.len() > 1 {
                let named: Vec<String> = found
                    .iter()
                    .map(|(os, d, _)| {
                        format!(
                            "{} for {} {}",
                            crate::rules::environments::platform_title(os),
                            d.name,
                            d.version
                        )
                    })
                    .collect();
                notes.push(Diagnostic::problem(
                    crate::check::Check::Unevaluable,
                    crate::diagnostic::Severity::Info,
                    found[1].2,
                    format!(
                        "the installed wheels are built for more than one operating system ({}): judged on each of them; `--platform` names the one meant",
                        named.join(", ")
                    ),
                ));
            }
            (!found.is_empty()).then(|| found.iter().map(|(os, _, _)| os.to_string()).collect())
        }
    };
    let opts = Options {
        pythons,
        platforms,
        conda: false,
        sibling_lock: None,
        source: check::Source::Installed,
    };
    let mut diags = check::check_parsed(&files, &parsed, &profile.rules, &opts);
    diags.extend(notes);
    profile.settings.apply(&mut diags);
    // Lines of the synthetic text are distributions: point at their metadata.
    let map = |loc: &mut Loc| {
        if loc.file == synthetic {
            let line = files.get(synthetic).line_index(loc.span.start);
            if let Some(d) = dists.get(line) {
                *loc = Loc {
                    file: d.file,
                    span: d.version_span,
                };
            }
        }
    };
    for d in &mut diags {
        map(&mut d.loc);
        for r in &mut d.related {
            map(&mut r.loc);
        }
        d.fix = None;
        d.help = without_fix_lines(d.help_str()).map(Into::into);
    }
    diags.retain(|d| d.loc.file != synthetic);
    let mut kept = Files::new(cwd.to_path_buf());
    let mut ids = std::collections::BTreeMap::new();
    for (old, f) in files.into_files().into_iter().enumerate() {
        if old != synthetic {
            ids.insert(old, kept.adopt(f));
        }
    }
    for d in &mut diags {
        d.loc.file = ids[&d.loc.file];
        for r in &mut d.related {
            r.loc.file = ids.get(&r.loc.file).copied().unwrap_or(d.loc.file);
        }
    }
    Ok((kept, diags))
}

/// `check --installed[=ENV]` as a run outcome (the CLI reports it like any other).
pub(crate) fn outcome(
    cwd: &Path,
    env: &Path,
    profile: &Profile,
) -> Result<crate::run::Outcome, String> {
    // The environment is named by the person running the command: its files may be read.
    if let Ok(c) = std::fs::canonicalize(env) {
        crate::files::allow(c);
    }
    let (files, mut diagnostics) = audit(cwd, env, profile)?;
    let files = crate::run::keep_excerpts(&files, &mut diagnostics);
    diagnostics.sort_by(|a, b| {
        let fa = files.get(a.loc.file);
        let fb = files.get(b.loc.file);
        (&fa.display, a.loc.span.start, a.code()).cmp(&(&fb.display, b.loc.span.start, b.code()))
    });
    Ok(crate::run::Outcome {
        files,
        diagnostics,
        checked: 1,
        unreadable: 0,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn platform_tags_name_the_operating_system() {
        for (tag, want) in [
            ("manylinux1_x86_64", Some("linux")),
            ("manylinux_2_17_aarch64", Some("linux")),
            ("musllinux_1_1_x86_64", Some("linux")),
            ("linux_x86_64", Some("linux")),
            ("macosx_10_11_x86_64", Some("darwin")),
            ("macosx_11_0_arm64", Some("darwin")),
            ("win32", Some("win32")),
            ("win_amd64", Some("win32")),
            ("WIN_AMD64", Some("win32")),
            ("any", None),
            ("linux", None),
            ("cygwin", None),
        ] {
            assert_eq!(platform_of_tag(tag), want, "{tag}");
        }
        let text = "Wheel-Version: 1.0\nTag: cp37-cp37m-manylinux_2_12_x86_64.manylinux2010_x86_64\nTag: py3-none-any\r\nTag: cp37-cp37m-win_amd64\n";
        let got = wheel_platforms(text);
        assert_eq!(got.len(), 2, "{got:?}");
        assert_eq!(got[0].0, "linux");
        assert_eq!(
            &text[got[0].1.start..got[0].1.end],
            "cp37-cp37m-manylinux_2_12_x86_64.manylinux2010_x86_64"
        );
        assert_eq!(got[1].0, "win32");
        assert_eq!(&text[got[1].1.start..got[1].1.end], "cp37-cp37m-win_amd64");
        assert!(wheel_platforms("Tag: py2.py3-none-any\n").is_empty());
    }

    #[test]
    fn installed_findings_never_offer_file_fixes() {
        let help = "narrow the range\nfix: `numpy>=1.14.5,<1.17`\nfix (unsafe): insert `gast>=0.2.0,<0.3` after line 1\nfixing is done with pip";
        assert_eq!(
            without_fix_lines(Some(help)).as_deref(),
            Some("narrow the range\nfixing is done with pip")
        );
        assert_eq!(
            without_fix_lines(Some("fix (unsafe): `numpy==1.16.6`")),
            None
        );
        assert_eq!(without_fix_lines(None), None);
    }
}
