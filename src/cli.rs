//! Command line: argument parsing and the top-level flow. Exit codes mean one thing each:
//! 0 nothing at or above error severity, 1 errors found, 2 usage or I/O error.

use std::cell::RefCell;
use std::io::{IsTerminal, Read, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Parser, Subcommand};

use crate::config::{self, CliOverrides, Resolver};
use crate::diagnostic::{Check, Diagnostic, Severity};
use crate::discover::{self, Candidate};
use crate::formats::Format;
use crate::report::{emitter, human, OutputFormat, Report};
use crate::run;

#[derive(Parser, Debug)]
#[command(
    name = "depwindow",
    version,
    about = "Flags Python dependency files that let pip install NumPy (and other packages) outside the versions TensorFlow 1.14.0 was tested with"
)]
pub(crate) struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand, Debug)]
pub(crate) enum Command {
    /// Check dependency files (default: the current directory).
    Check(Box<CheckArgs>),
    /// Explain a check (`DW101`, `outside-window`) or a rule (`tensorflow-1.14/numpy`).
    Rule(RuleArgs),
    /// Print the effective settings for a file or directory and the configuration they come from.
    ShowSettings(ShowSettingsArgs),
    /// Run the language server on stdin/stdout (for editors; see the README).
    Server,
}

/// How configuration files are found (shared by every subcommand).
#[derive(clap::Args, Debug, Clone, Default)]
pub(crate) struct ConfigArgs {
    /// Use this configuration file (`depwindow.toml`, or a `pyproject.toml` with
    /// `[tool.depwindow]`) for every file, instead of the nearest one.
    #[arg(long, value_name = "PATH", conflicts_with = "isolated")]
    pub config: Option<PathBuf>,
    /// Ignore every configuration file.
    #[arg(long)]
    pub isolated: bool,
}

#[derive(clap::Args, Debug)]
pub(crate) struct RuleArgs {
    /// A check code, check name or rule id.
    #[arg(required_unless_present = "all", conflicts_with = "all")]
    pub name: Option<String>,
    /// Print every check and every rule.
    #[arg(long)]
    pub all: bool,
    #[command(flatten)]
    pub config: ConfigArgs,
}

#[derive(clap::Args, Debug)]
pub(crate) struct ShowSettingsArgs {
    /// The file or directory whose settings to show.
    pub path: PathBuf,
    #[command(flatten)]
    pub config: ConfigArgs,
    #[command(flatten)]
    pub selection: SelectionArgs,
}

/// Selection flags (comma-separated, repeatable).
#[derive(clap::Args, Debug, Clone, Default)]
pub(crate) struct SelectionArgs {
    /// Report only these checks or rules (codes, names or rule ids); replaces `select`.
    #[arg(long, value_delimiter = ',', value_name = "CODE")]
    pub select: Option<Vec<String>>,
    /// Also report these checks or rules; adds to `extend-select`.
    #[arg(long, value_delimiter = ',', value_name = "CODE")]
    pub extend_select: Vec<String>,
    /// Do not report these checks or rules; adds to `ignore`.
    #[arg(long, value_delimiter = ',', value_name = "CODE")]
    pub ignore: Vec<String>,
}

#[derive(clap::Args, Debug)]
pub(crate) struct CheckArgs {
    /// Files or directories to check; `-` reads one file from standard input.
    pub paths: Vec<PathBuf>,
    /// Output format (default: the configuration's `output-format`, else `human`).
    #[arg(
        long = "output-format",
        visible_alias = "format",
        value_name = "FORMAT",
        env = "DEPWINDOW_OUTPUT_FORMAT"
    )]
    pub format: Option<String>,
    /// The lowest severity that fails the run (exit 1, a failing JUnit case): `error`
    /// (default), `warning` or `info`; also `fail-on` in configuration.
    #[arg(long, value_name = "SEVERITY")]
    pub fail_on: Option<String>,
    /// `-q`: print the findings only (no summary, no notes); `-qq`: print nothing, the exit
    /// code says it all.
    #[arg(short, long, action = clap::ArgAction::Count)]
    pub quiet: u8,
    /// Indent the `json` report for people (default: compact, one line); also `pretty =
    /// true` in configuration.
    #[arg(long)]
    pub pretty: bool,
    /// Write the report to this file instead of standard output.
    #[arg(long, value_name = "PATH")]
    pub output_file: Option<PathBuf>,
    /// Colour in human output: `auto` (a terminal, and `NO_COLOR` unset), `always`, `never`.
    #[arg(long, value_name = "WHEN", default_value = "auto", value_parser = ["auto", "always", "never"])]
    pub color: String,
    #[command(flatten)]
    pub config: ConfigArgs,
    #[command(flatten)]
    pub selection: SelectionArgs,
    /// List suppressed findings too (human, json, json-lines).
    #[arg(long)]
    pub show_suppressed: bool,
    /// Print how many findings each check produced instead of the findings.
    #[arg(long)]
    pub statistics: bool,
    /// Also check the requirements files in the repository that include a requirements
    /// file named on the command line (for pre-commit, which passes only changed files).
    #[arg(long)]
    pub include_dependents: bool,
    /// Apply `exclude` even to files named on the command line (for pre-commit).
    #[arg(long)]
    pub force_exclude: bool,
    /// Exit 0 even when errors are found.
    #[arg(long)]
    pub exit_zero: bool,
    /// Read explicitly named files as this format (e.g. `requirements`, `conda`).
    #[arg(long, value_name = "FORMAT")]
    pub input_format: Option<String>,
    /// The file name to assume for standard input (`-`).
    #[arg(long, value_name = "NAME")]
    pub stdin_filename: Option<PathBuf>,
    /// Only consider these Pythons (e.g. `--python 3.7`); repeatable.
    #[arg(long = "python", value_name = "X.Y")]
    pub pythons: Vec<String>,
    /// Only consider these operating systems: `linux`, `darwin`, `win32` (repeatable, or a
    /// comma-separated list).
    #[arg(long = "platform", value_name = "OS", value_delimiter = ',')]
    pub platforms: Vec<String>,
    /// A constraints file applied to every unit, as pip's PIP_CONSTRAINT; repeatable.
    #[arg(long = "constraint", value_name = "FILE")]
    pub constraints: Vec<PathBuf>,
    /// Let includes, `file:` directives and walked symbolic links read files under PATH,
    /// outside the project (repeatable; also `DEPWINDOW_ALLOW_OUTSIDE`, a path list).
    /// Only the command line and the environment can allow this, never configuration.
    #[arg(long = "allow-outside", value_name = "PATH")]
    pub allow_outside: Vec<PathBuf>,
    /// Worker threads (default: the number of cores).
    #[arg(long, default_value_t = 0, hide = true)]
    pub jobs: usize,
    /// Apply the safe fixes in place, then report the findings that remain.
    #[arg(long)]
    pub fix: bool,
    /// Print the fixes as a unified diff; write nothing (exit 1 when there is one).
    #[arg(long, conflicts_with = "fix")]
    pub diff: bool,
    /// Apply unsafe fixes too (e.g. edits that invalidate pip `--hash` checking).
    #[arg(long)]
    pub unsafe_fixes: bool,
    /// Write `# depwindow: ignore[CODE]` on every line with a finding (to adopt the linter
    /// in a large repository); files without comments (JSON locks) are skipped with a note.
    #[arg(long, conflicts_with_all = ["fix", "diff"])]
    pub add_noqa: bool,
    /// With `--fix`: exit 1 when anything was fixed, even if no finding remains.
    #[arg(long)]
    pub exit_non_zero_on_fix: bool,
    #[command(flatten)]
    pub resolve: ResolveArgs,
    /// Audit an installed environment (virtualenv, conda environment or prefix) instead of
    /// dependency files; default: `$VIRTUAL_ENV`, then `$CONDA_PREFIX`, then `.venv`.
    #[arg(long, value_name = "ENV", num_args = 0..=1, default_missing_value = "")]
    pub installed: Option<String>,
    /// Render width for human output (default: terminal width or 100).
    #[arg(long, hide = true)]
    pub width: Option<usize>,
}

/// `--resolve` and its options (`crate::resolve`): the one mode that uses the network.
#[derive(clap::Args, Debug, Clone, Default)]
pub(crate) struct ResolveArgs {
    /// Also resolve each unit with a real resolver (uv, else pip for this machine only) and
    /// report what it installs: uses the network, or the index options below.
    #[arg(long)]
    pub resolve: bool,
    /// The resolver for `--resolve`: `uv` (default when on PATH) or `pip` (this machine's
    /// Python and platform only).
    #[arg(long, value_name = "uv|pip", requires = "resolve")]
    pub resolver: Option<String>,
    /// Base URL of the package index for `--resolve` (as pip's and uv's `--index-url`).
    #[arg(long, value_name = "URL", requires = "resolve")]
    pub index_url: Option<String>,
    /// A directory or page of distributions for `--resolve` (as pip's `--find-links`).
    #[arg(long, value_name = "PATH|URL", requires = "resolve")]
    pub find_links: Vec<String>,
    /// Use no index for `--resolve`, only `--find-links`.
    #[arg(long, requires = "resolve")]
    pub no_index: bool,
    /// Let the resolver build source distributions (runs their code).
    #[arg(long, requires = "resolve")]
    pub allow_build: bool,
    /// Ignore cached resolutions.
    #[arg(long, requires = "resolve")]
    pub refresh: bool,
}

impl ResolveArgs {
    /// `platforms`: the check's `--platform` values (`sys_platform` names); the resolver
    /// gets uv's names for them (`linux`, `macos`, `windows`); none means linux.
    fn options(
        &self,
        cwd: &Path,
        jobs: usize,
        platforms: &[String],
    ) -> Result<crate::resolve::Options, String> {
        use crate::resolve::engine::Kind;
        let resolver = match self.resolver.as_deref() {
            None => None,
            Some("uv") => Some(Kind::Uv),
            Some("pip") => Some(Kind::Pip),
            Some(o) => return Err(format!("unknown resolver `{o}`; expected `uv` or `pip`")),
        };
        let platforms = platforms
            .iter()
            .map(|p| match p.as_str() {
                "linux" => Ok("linux".to_owned()),
                "darwin" => Ok("macos".to_owned()),
                "win32" => Ok("windows".to_owned()),
                o => Err(format!(
                    "unknown platform `{o}`; expected `linux`, `darwin` or `win32`"
                )),
            })
            .collect::<Result<Vec<_>, _>>()?;
        Ok(crate::resolve::Options {
            resolver,
            index: crate::resolve::engine::Index {
                index_url: self.index_url.clone(),
                // The resolver runs in a directory of its own: local paths are made absolute.
                find_links: self
                    .find_links
                    .iter()
                    .map(|f| {
                        if f.contains("://") || Path::new(f).is_absolute() {
                            f.clone()
                        } else {
                            cwd.join(f).to_string_lossy().into_owned()
                        }
                    })
                    .collect(),
                no_index: self.no_index,
            },
            allow_build: self.allow_build,
            refresh: self.refresh,
            platforms,
            jobs,
        })
    }
}

/// Entry point used by `main`.
pub fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let _ = e.print();
            return if e.use_stderr() {
                ExitCode::from(2)
            } else {
                ExitCode::SUCCESS
            };
        }
    };
    let res = match cli.command {
        Command::Check(args) => check(*args),
        Command::Rule(args) => rule(args),
        Command::ShowSettings(args) => show_settings(args),
        Command::Server => crate::server::main().map(|()| ExitCode::SUCCESS),
    };
    if std::env::var_os(crate::files::counts::ENV).is_some() {
        eprintln!("depwindow: io counts: {}", crate::files::counts::line());
    }
    match res {
        Ok(code) => code,
        Err(msg) => {
            eprintln!("depwindow: error: {msg}");
            ExitCode::from(2)
        }
    }
}

fn cwd() -> Result<PathBuf, String> {
    std::env::current_dir().map_err(|e| format!("cannot read the current directory: {e}"))
}

fn mode(args: &ConfigArgs) -> Result<config::Mode, String> {
    Ok(match (&args.config, args.isolated) {
        (_, true) => config::Mode::Isolated,
        (Some(p), false) => {
            if !p.is_file() {
                return Err(format!("configuration file `{}` not found", p.display()));
            }
            config::Mode::Explicit(p.clone())
        }
        (None, false) => config::Mode::Discover,
    })
}

fn overrides(
    sel: &SelectionArgs,
    pythons: &[String],
    platforms: &[String],
    constraints: &[PathBuf],
) -> CliOverrides {
    CliOverrides {
        select: sel.select.clone(),
        extend_select: sel.extend_select.clone(),
        ignore: sel.ignore.clone(),
        pythons: (!pythons.is_empty()).then(|| pythons.to_vec()),
        platforms: (!platforms.is_empty()).then(|| platforms.to_vec()),
        constraints: (!constraints.is_empty()).then(|| constraints.to_vec()),
        allow_outside: allow_outside_env(),
    }
}

/// `DEPWINDOW_ALLOW_OUTSIDE`: places outside the project the environment allows.
fn allow_outside_env() -> Vec<PathBuf> {
    match std::env::var_os("DEPWINDOW_ALLOW_OUTSIDE") {
        Some(v) => std::env::split_paths(&v)
            .filter(|p| !p.as_os_str().is_empty())
            .collect(),
        None => Vec::new(),
    }
}

fn show_settings(args: ShowSettingsArgs) -> Result<ExitCode, String> {
    let cwd = cwd()?;
    if !args.path.exists() {
        return Err(format!(
            "`{}`: no such file or directory",
            args.path.display()
        ));
    }
    let mut resolver = Resolver::new(
        mode(&args.config)?,
        &cwd,
        overrides(&args.selection, &[], &[], &[]),
    );
    let i = resolver.for_path(&args.path).map_err(|e| e.to_string())?;
    let text = resolver.profiles[i].describe(&cwd);
    print_or_quiet(&text)
}

fn print_or_quiet(text: &str) -> Result<ExitCode, String> {
    let mut out = std::io::stdout().lock();
    match out.write_all(text.as_bytes()).and_then(|_| out.flush()) {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => {
            Err(format!("cannot write output: {e}"))
        }
        _ => Ok(ExitCode::SUCCESS),
    }
}

fn rule(args: RuleArgs) -> Result<ExitCode, String> {
    let cwd = cwd()?;
    let mut resolver = Resolver::new(mode(&args.config)?, &cwd, CliOverrides::default());
    let i = resolver.for_path(&cwd).map_err(|e| e.to_string())?;
    let rules = &resolver.profiles[i].all_rules;
    let text = if args.all {
        crate::docs::all_markdown(rules)
    } else {
        let name = args.name.unwrap_or_default();
        if let Some(c) = Check::from_str_loose(&name) {
            crate::docs::check_doc(c, rules).markdown()
        } else if let Some(r) = rules.iter().find(|r| r.id == name) {
            crate::docs::rule_markdown(r)
        } else {
            return Err(format!(
                "unknown check or rule `{name}`\nhint: `depwindow rule --all` lists every check and rule"
            ));
        }
    };
    print_or_quiet(&text)
}

/// `--python` / `pythons` naming a Python that no selected rule's trigger supports: said
/// once per Python on stderr; an error (exit 2) when no chosen Python is one, since nothing
/// would be checked.
fn unsupported_pythons(profiles: &[run::Profile]) -> Result<(), String> {
    let mut said: Vec<String> = Vec::new();
    for profile in profiles {
        let Some(chosen) = &profile.opts.pythons else {
            continue;
        };
        let supports = |p: &String| profile.rules.iter().any(|r| r.trigger.pythons.contains(p));
        let triggers = trigger_pythons(&profile.rules);
        if !chosen.iter().any(supports) && !profile.rules.is_empty() {
            return Err(format!(
                "no chosen Python ({}) is one that a selected rule's trigger supports ({triggers})",
                chosen.join(", "),
            ));
        }
        for p in chosen.iter().filter(|p| !supports(p)) {
            if !said.contains(p) {
                eprintln!(
                    "depwindow: note: Python {p} is not a Python any selected rule's trigger supports ({triggers}): nothing is checked on it",
                );
                said.push(p.clone());
            }
        }
    }
    Ok(())
}

/// The selected rules' triggers with the Pythons each supports, for messages:
/// `TensorFlow 1.14.0: 2.7, 3.5, 3.6, 3.7` (`; ` between distinct triggers).
pub(crate) fn trigger_pythons(rules: &[crate::rules::Rule]) -> String {
    let mut t: Vec<String> = Vec::new();
    for r in rules {
        let line = format!("{}: {}", r.trigger.title, r.trigger.pythons.join(", "));
        if !t.contains(&line) {
            t.push(line);
        }
    }
    t.join("; ")
}

/// Standard output, for the report. On Unix, a duplicate of its descriptor, written
/// without `Stdout`'s line buffering (the report is buffered above it): `Stdout` scanned
/// every chunk of the compact JSON back to front for a newline, 1% of a run's instructions
/// on the 200-project tree. Elsewhere, or when the descriptor cannot be duplicated,
/// `Stdout` itself.
fn report_out(stdout: &std::io::Stdout) -> Box<dyn Write> {
    #[cfg(unix)]
    {
        use std::os::fd::AsFd;
        if let Ok(fd) = stdout.as_fd().try_clone_to_owned() {
            return Box::new(std::fs::File::from(fd));
        }
    }
    Box::new(stdout.lock())
}

fn check(args: CheckArgs) -> Result<ExitCode, String> {
    let cwd = cwd()?;
    let input_format = match &args.input_format {
        None => None,
        Some(name) => Some(Format::from_name(name).ok_or_else(|| {
            format!(
                "unknown input format `{name}`; expected one of: {}",
                Format::ALL
                    .iter()
                    .map(|f| f.name())
                    .collect::<Vec<_>>()
                    .join(", ")
            )
        })?),
    };
    for p in &args.pythons {
        config::validate_python(p)?;
        if crate::markers::python_interval(p).is_none() {
            return Err(format!(
                "invalid Python `{p}`: expected `major.minor`, e.g. `3.7`"
            ));
        }
    }
    for p in &args.platforms {
        config::validate_platform(p)?;
    }
    for c in &args.constraints {
        constraint_readable(c)?;
    }
    let stdin_mode = args.paths.len() == 1 && args.paths[0].as_os_str() == "-";
    // Usage errors are reported together (a bad format and a missing path at once).
    {
        let mut errors = Vec::new();
        if let Some(f) = &args.format {
            if OutputFormat::from_name(f).is_none() {
                errors.push(config::unknown_format(f));
            }
        }
        if let Some(f) = &args.fail_on {
            if let Err(e) = config::parse_fail_on(f) {
                errors.push(e);
            }
        }
        if !stdin_mode {
            for p in &args.paths {
                if p.as_os_str() == "-" {
                    errors.push("`-` (standard input) must be the only path".into());
                } else if !p.exists() && std::fs::symlink_metadata(p).is_err() {
                    errors.push(format!("`{}`: no such file or directory", escape_path(p)));
                }
            }
        }
        if !errors.is_empty() {
            return Err(errors.join("\ndepwindow: error: "));
        }
    }
    let mut cli_overrides = overrides(
        &args.selection,
        &args.pythons,
        &args.platforms,
        &args.constraints,
    );
    cli_overrides
        .allow_outside
        .extend(args.allow_outside.iter().cloned());
    let resolver = RefCell::new(Resolver::new(mode(&args.config)?, &cwd, cli_overrides));
    let config_error: RefCell<Option<config::ConfigError>> = RefCell::new(None);
    // A configuration error is remembered and ends the run below.
    let remember = |found: Result<usize, config::ConfigError>| -> Option<usize> {
        found
            .map_err(|e| {
                config_error.borrow_mut().get_or_insert(e);
            })
            .ok()
    };
    // Settings for a path.
    let settings_for = |path: &Path| remember(resolver.borrow_mut().for_path(path));
    // The same for a path known to name a file (walked or named): no `stat` to ask.
    let settings_for_file = |path: &Path| remember(resolver.borrow_mut().for_file(path));
    let is_excluded = |path: &Path| -> bool {
        match settings_for_file(path) {
            Some(i) => resolver.borrow().profiles[i].is_excluded(path),
            None => true,
        }
    };

    let mut jobs: Vec<(Candidate, Option<Vec<u8>>)> = Vec::new();
    // The directories the walk listed, for the sibling lockfile lookups.
    let listings = run::Listings::default();
    // The outcome and jobs of a run that checked the files as the walk found them.
    let mut streamed: Option<(run::Outcome, Vec<run::Job>)> = None;
    // The profiles the streamed run built, in the resolver's order (not built twice).
    let mut streamed_profiles: Vec<run::Profile> = Vec::new();
    // A directory the walk could not read (or a path too long to walk): exit 2.
    let mut walk_failed = false;
    // The confinement set before a streamed walk, when nothing the final one depends on
    // can differ (no `--config`, whose constraint files it trusts): not computed twice.
    let mut confined_already = false;
    if stdin_mode {
        // Without `--stdin-filename` the input is reported as `-` and its format is read
        // from its content (`formats::sniff`).
        let name = args
            .stdin_filename
            .clone()
            .unwrap_or_else(|| PathBuf::from("-"));
        let mut bytes = Vec::new();
        std::io::stdin()
            .take(crate::files::MAX_FILE_SIZE + 1)
            .read_to_end(&mut bytes)
            .map_err(|e| format!("cannot read standard input: {e}"))?;
        if bytes.len() as u64 > crate::files::MAX_FILE_SIZE {
            return Err("standard input is larger than the size limit".into());
        }
        let format = input_format.unwrap_or_else(|| Format::for_explicit(&name));
        let sniff = input_format.is_none() && Format::name_says_nothing(&name);
        let path = if name.is_absolute() {
            name.clone()
        } else {
            cwd.join(&name)
        };
        jobs.push((
            Candidate {
                path,
                format,
                explicit: true,
                sniff,
            },
            Some(bytes),
        ));
    } else if args.installed.is_none() {
        let paths = if args.paths.is_empty() {
            vec![PathBuf::from(".")]
        } else {
            args.paths.clone()
        };
        // The paths given were checked with the other usage errors above: only the
        // default `.` is looked at here (one `stat` per named path, not two).
        for p in paths.iter().filter(|_| args.paths.is_empty()) {
            if !p.exists() && std::fs::symlink_metadata(p).is_err() {
                return Err(format!("`{}`: no such file or directory", escape_path(p)));
            }
        }
        // Discovery feeds the workers as it walks (`run::run_streamed`), unless every file
        // must be known first (`--include-dependents`) or one thread does everything
        // (`--jobs 1`: checked after the walk, as a profile reads it).
        let stream = !args.include_dependents && args.jobs != 1;
        // Checking starts during the walk, so the confinement is final before it: an
        // explicitly given configuration's constraint files are trusted like `--constraint`.
        let trusted: Vec<PathBuf> = if stream && args.config.config.is_some() {
            let _ = settings_for(&cwd);
            let r = resolver.borrow();
            r.profiles
                .iter()
                .flat_map(|s| s.constraints.iter().cloned())
                .collect()
        } else {
            Vec::new()
        };
        confine_to_project(&cwd, &resolver, &paths, &args, &trusted)?;
        confined_already = stream && args.config.config.is_none();
        // Each directory the walk lists serves the configuration lookup and the sibling
        // lockfiles too: neither lists nor probes it again.
        let mut on_listing = |listing: &discover::Listing| {
            resolver.borrow_mut().listed(listing);
            listings.walked(listing);
        };
        let (mut candidates, walk_errors) = if stream {
            let mut walk_errors = Vec::new();
            let dirs = resolver.borrow().dirs();
            let walked = listings.clone();
            let (outcome, jobs, built) =
                run::run_streamed(&cwd, args.jobs, dirs, walked, &mut |stream| {
                    walk_errors = discover::discover_each(
                        &paths,
                        input_format,
                        &is_excluded,
                        &mut |c| {
                            // A configuration error ends the run once the walk is reported.
                            if config_error.borrow().is_some()
                                || (args.force_exclude && c.explicit && is_excluded(&c.path))
                            {
                                return;
                            }
                            let Some(profile) = settings_for_file(&c.path) else {
                                return;
                            };
                            {
                                let r = resolver.borrow();
                                for s in r.profiles.iter().skip(stream.profiles()) {
                                    stream.profile(run::Profile::new(s.clone()));
                                }
                            }
                            // A pyproject.toml the configuration lookup read is checked from
                            // those bytes.
                            let read = resolver.borrow_mut().take_read(&c.path);
                            stream.job(run::Job {
                                candidate: c,
                                profile,
                                stdin: None,
                                read: std::sync::Mutex::new(read),
                            });
                        },
                        &mut on_listing,
                    );
                });
            streamed = Some((outcome, jobs));
            streamed_profiles = built;
            (Vec::new(), walk_errors)
        } else {
            let mut found = Vec::new();
            let errors = discover::discover_each(
                &paths,
                input_format,
                &is_excluded,
                &mut |c| found.push(c),
                &mut on_listing,
            );
            (found, errors)
        };
        for e in walk_errors {
            let level = if e.fatal { "error" } else { "warning" };
            walk_failed |= e.fatal;
            eprintln!(
                "depwindow: {level}: while walking `{}`: {}",
                crate::report::escape_display(&e.path),
                crate::report::escape_display(&e.message)
            );
        }
        // Files named explicitly are checked even when excluded, unless `--force-exclude`
        // (pre-commit names every changed file).
        if args.force_exclude {
            candidates.retain(|c| !c.explicit || !is_excluded(&c.path));
        }
        if args.include_dependents {
            let more = crate::dependents::find(&cwd, &candidates, &is_excluded);
            candidates.extend(more);
        }
        jobs.extend(candidates.into_iter().map(|c| (c, None)));
    }
    let (streamed, mut run_jobs) = match streamed {
        Some((outcome, jobs)) => (Some(outcome), jobs),
        None => (None, Vec::with_capacity(jobs.len())),
    };
    for (candidate, stdin) in jobs {
        let Some(profile) = settings_for_file(&candidate.path) else {
            break;
        };
        // A pyproject.toml the configuration lookup read is checked from those bytes.
        let read = if stdin.is_none() {
            resolver.borrow_mut().take_read(&candidate.path)
        } else {
            None
        };
        run_jobs.push(run::Job {
            candidate,
            profile,
            stdin,
            read: std::sync::Mutex::new(read),
        });
    }
    resolver.borrow_mut().drop_reads();
    // The output format comes from the configuration of the working directory (or the
    // stdin file's), like every other run-wide choice.
    let here = if stdin_mode {
        run_jobs
            .first()
            .map(|j| j.candidate.path.clone())
            .unwrap_or(cwd.clone())
    } else {
        cwd.clone()
    };
    let format_name = match &args.format {
        Some(f) => f.clone(),
        None => settings_for(&here)
            .and_then(|i| resolver.borrow().profiles[i].output_format)
            .unwrap_or(OutputFormat::Human)
            .name()
            .to_owned(),
    };
    if let Some(e) = config_error.borrow_mut().take() {
        return Err(e.to_string());
    }
    let format = OutputFormat::from_name(&format_name)
        .ok_or_else(|| config::unknown_format(&format_name))?;
    // `--fail-on` wins over the configuration's `fail-on` (of the working directory).
    let fail_on = match &args.fail_on {
        Some(f) => config::parse_fail_on(f)?,
        None => settings_for(&cwd)
            .and_then(|i| resolver.borrow().profiles[i].fail_on)
            .unwrap_or(Severity::Error),
    };
    // `--pretty`, else the `pretty` of the configuration the output format comes from.
    let pretty = args.pretty
        || (format == OutputFormat::Json
            && settings_for(&here)
                .is_some_and(|i| resolver.borrow().profiles[i].pretty == Some(true)));
    // Settings looked up after the walk (the working directory's) may add profiles.
    let mut profiles = streamed_profiles;
    profiles.extend(
        resolver
            .borrow()
            .profiles
            .iter()
            .skip(profiles.len())
            .map(|s| run::Profile::new(s.clone())),
    );
    unsupported_pythons(&profiles)?;
    if !confined_already {
        // Constraint files named by an explicitly given configuration are trusted like
        // `--constraint`; those of a discovered (repository) configuration are not.
        let trusted: Vec<PathBuf> = if args.config.config.is_some() {
            profiles
                .iter()
                .flat_map(|p| p.opts.constraints.iter().cloned())
                .collect()
        } else {
            Vec::new()
        };
        // Standard input is file content too: its includes stay in the working
        // directory's project.
        let paths = if stdin_mode {
            Vec::new()
        } else if args.paths.is_empty() {
            vec![PathBuf::from(".")]
        } else {
            args.paths.clone()
        };
        confine_to_project(&cwd, &resolver, &paths, &args, &trusted)?;
    }
    let resolve_opts = if args.resolve.resolve {
        Some(args.resolve.options(&cwd, args.jobs, &args.platforms)?)
    } else {
        None
    };
    let mut outcome = match &args.installed {
        Some(env) => {
            let env = crate::installed::resolve_env(Some(Path::new(env)), &cwd)?;
            let i = settings_for(&env).ok_or("configuration error")?;
            let profile = run::Profile::new(resolver.borrow().profiles[i].clone());
            crate::installed::outcome(&cwd, &env, &profile)?
        }
        None => match streamed {
            Some(outcome) => outcome,
            None => run::run_listed(&cwd, &run_jobs, &profiles, args.jobs, &listings),
        },
    };
    if let Some(opts) = &resolve_opts {
        crate::resolve::run(&mut outcome, &cwd, &run_jobs, &profiles, opts)?;
    }
    // A walk that found no dependency file at all is said, as ruff says "No Python files
    // found": "All checks passed! (0 files checked)" alone read like a clean bill of health
    // for a tree whose files were all skipped (an environment file with another name, a
    // wrong path). The report and the exit code do not change.
    let walked_only = args.paths.iter().all(|p| p.is_dir());
    if outcome.checked == 0
        && walked_only
        && args.installed.is_none()
        && !stdin_mode
        && args.quiet == 0
    {
        // No path named is the current directory (as the walk takes it).
        let named: Vec<String> = args
            .paths
            .iter()
            .map(|p| format!("`{}`", escape_path(p)))
            .collect();
        let paths = if named.is_empty() {
            vec!["`.`".to_owned()]
        } else {
            named
        };
        eprintln!(
            "depwindow: warning: no dependency files found under {}; nothing was checked",
            paths.join(", ")
        );
    }

    // Where the report goes: standard output, `--output-file`, or nowhere (`-qq`).
    let stdout = std::io::stdout();
    let mut out: Box<dyn Write> = if args.quiet >= 2 {
        Box::new(std::io::sink())
    } else if let Some(p) = &args.output_file {
        Box::new(
            std::fs::File::create(p)
                .map_err(|e| format!("cannot create the output file `{}`: {e}", escape_path(p)))?,
        )
    } else {
        report_out(&stdout)
    };
    if args.add_noqa {
        if stdin_mode {
            return Err("`--add-noqa` needs files, not standard input".into());
        }
        let summary = crate::apply::add_noqa(&outcome, &args.paths);
        if args.quiet == 0 {
            eprintln!(
                "depwindow: added {} suppression{} in {} file{}",
                summary.fixed,
                if summary.fixed == 1 { "" } else { "s" },
                summary.files_written.len(),
                if summary.files_written.len() == 1 {
                    ""
                } else {
                    "s"
                }
            );
            for note in &summary.refused {
                eprintln!("depwindow: note: {note}");
            }
        }
        for e in &summary.errors {
            eprintln!("depwindow: error: {e}");
        }
        return Ok(ExitCode::from(if summary.errors.is_empty() {
            0
        } else {
            2
        }));
    }
    // Autofix (`apply.rs`): `--diff` prints and stops; `--fix` writes and re-checks.
    let mut fixed = 0;
    let mut fix_failed = false;
    if args.fix || args.diff {
        // The same files with the same settings, read again after the writes.
        let rerun = || {
            let mut o = run::run_listed(&cwd, &run_jobs, &profiles, args.jobs, &listings);
            if let Some(opts) = &resolve_opts {
                // The first run reached the resolver, and the cache answers what did not
                // change; a failure now is said, and the static findings stand.
                if let Err(e) = crate::resolve::run(&mut o, &cwd, &run_jobs, &profiles, opts) {
                    eprintln!("depwindow: error: after the fixes: {e}");
                }
            }
            o
        };
        let mode = crate::apply::Mode {
            diff: args.diff,
            unsafe_fixes: args.unsafe_fixes,
        };
        let (mut after, summary) =
            crate::apply::run_cli(mode, &args.paths, outcome, &rerun, &mut out)?;
        if let Some(o) = &mut after {
            // "fixed in the source" only for the findings whose own fix was written.
            crate::generated::mark_fixed(&o.files, &mut o.diagnostics, &summary.applied);
        }
        if args.quiet == 0 {
            crate::apply::report(&summary, args.diff);
            if let Some(o) = &after {
                crate::generated::print_recompile(&o.diagnostics);
            }
        }
        fixed = summary.fixed;
        // A fix that failed with an I/O error is exit 2, like any unreadable input; a fix
        // refused by design is a note, and the exit code follows the findings.
        fix_failed = !summary.errors.is_empty();
        match after {
            Some(o) => outcome = o,
            None if walk_failed || fix_failed => return Ok(ExitCode::from(2)),
            None => return Ok(ExitCode::from(u8::from(fixed > 0))),
        }
    }
    let color = match args.color.as_str() {
        "always" => true,
        "never" => false,
        _ => {
            args.output_file.is_none()
                && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
                && std::io::stdout().is_terminal()
        }
    };
    // The report is written in many small pieces (serde_json writes each token): buffer them
    // rather than let the line-buffered stdout scan and write every line on its own.
    let mut out = std::io::BufWriter::with_capacity(1 << 16, &mut out);
    let res = if args.statistics {
        statistics(&outcome.diagnostics, format, &mut out)
    } else {
        match format {
            OutputFormat::Human => {
                let style = human::Style {
                    color,
                    narratable: std::env::var_os("NO_GRAPHICS").is_some_and(|v| !v.is_empty()),
                    width: args.width.unwrap_or(100),
                    summary: args.quiet == 0,
                };
                let hidden = if args.show_suppressed {
                    0
                } else {
                    outcome
                        .diagnostics
                        .iter()
                        .filter(|d| d.suppressed.is_some())
                        .count()
                };
                human::emit(
                    &outcome.files,
                    &outcome.diagnostics,
                    args.show_suppressed,
                    outcome.checked,
                    style,
                    &mut out,
                )
                .and_then(
                    |_| {
                        if hidden > 0 && args.quiet == 0 {
                            writeln!(
                                out,
                                "{hidden} suppressed finding{} not shown (`--show-suppressed` lists {}).",
                                if hidden == 1 { "" } else { "s" },
                                if hidden == 1 { "it" } else { "them" }
                            )
                        } else {
                            Ok(())
                        }
                    },
                )
            }
            OutputFormat::Concise if args.quiet > 0 => {
                // Findings only: the lines without the closing summary.
                let report = Report {
                    files: &outcome.files,
                    diagnostics: &outcome.diagnostics,
                    tool_version: env!("CARGO_PKG_VERSION"),
                    checked: outcome.checked,
                    show_suppressed: args.show_suppressed,
                    fail_on,
                    jobs: args.jobs,
                };
                outcome
                    .diagnostics
                    .iter()
                    .filter_map(|d| crate::report::concise::line(&report, d))
                    .try_for_each(|l| writeln!(out, "{l}"))
            }
            other => {
                let report = Report {
                    files: &outcome.files,
                    diagnostics: &outcome.diagnostics,
                    tool_version: env!("CARGO_PKG_VERSION"),
                    checked: outcome.checked,
                    show_suppressed: args.show_suppressed,
                    fail_on,
                    jobs: args.jobs,
                };
                match emitter(other, pretty) {
                    Some(e) => e.emit(&report, &mut out),
                    None => Ok(()),
                }
            }
        }
    };
    if let Err(e) = res.and_then(|_| out.flush()) {
        // A closed pipe (`| head`) is a quiet exit, not an error.
        if e.kind() != std::io::ErrorKind::BrokenPipe {
            return Err(format!("cannot write output: {e}"));
        }
    }
    let errors = outcome
        .diagnostics
        .iter()
        .any(|d| d.severity >= fail_on && d.suppressed.is_none());
    let unreadable = outcome.unreadable;
    // The process ends next: freeing every finding and file one by one would only cost
    // time (the report of a large tree is tens of thousands of allocations), and so would
    // freeing the jobs (a path each), the profiles (their rules) and the resolver's memo.
    std::mem::forget(outcome);
    std::mem::forget(run_jobs);
    std::mem::forget(profiles);
    std::mem::forget(resolver);
    let fix_exit = args.exit_non_zero_on_fix && fixed > 0;
    // A file to check that could not be read at all is an I/O error, like a missing path:
    // exit 2 (after reporting everything else), whatever `--exit-zero` says.
    if unreadable > 0 {
        eprintln!(
            "depwindow: error: {} file{} could not be read (see the parse-error findings)",
            unreadable,
            if unreadable == 1 { "" } else { "s" }
        );
        return Ok(ExitCode::from(2));
    }
    if walk_failed || fix_failed {
        return Ok(ExitCode::from(2));
    }
    Ok(if (errors && !args.exit_zero) || fix_exit {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

/// A `--constraint` is read like any input file: say what it is when it cannot be (a URL,
/// a device, a directory), not just "not found" (the same words as a configuration's
/// `constraints`).
fn constraint_readable(c: &Path) -> Result<(), String> {
    config::constraint_readable(c, &escape_path(c))
}

/// A path for a message: lossy UTF-8, control characters as `\xNN`.
fn escape_path(p: &Path) -> String {
    crate::report::escape_display(&p.to_string_lossy()).into_owned()
}

/// Installs the run's confinement ([`confinement`]), from the working directory's canonical
/// path the resolver already looked up.
fn confine_to_project(
    cwd: &Path,
    resolver: &RefCell<Resolver>,
    paths: &[PathBuf],
    args: &CheckArgs,
    trusted: &[PathBuf],
) -> Result<(), String> {
    let canon_cwd = resolver.borrow().dirs().base().map(Path::to_path_buf);
    crate::files::confine(confinement(
        cwd,
        canon_cwd.as_deref(),
        paths,
        args,
        trusted,
    )?);
    Ok(())
}

/// Where reads on behalf of file content may go (`files::Confinement`): the project root
/// of the working directory and of each named path; plus what the person running the
/// command named (paths, `--config`, `--constraint`, constraints of an explicit
/// `--config`, `--allow-outside`, `DEPWINDOW_ALLOW_OUTSIDE`).
/// `canon_cwd` is the working directory made canonical (the run's `files::Dirs` has it):
/// neither it nor its project root is looked up twice (`.`, the default path, is it).
fn confinement(
    cwd: &Path,
    canon_cwd: Option<&Path>,
    paths: &[PathBuf],
    args: &CheckArgs,
    trusted: &[PathBuf],
) -> Result<crate::files::Confinement, String> {
    let canon = |p: &Path| match canon_cwd {
        Some(c) if p == cwd || p.as_os_str() == "." => Some(c.to_path_buf()),
        _ => std::fs::canonicalize(cwd.join(p)).ok(),
    };
    let cwd_root = canon_cwd.map(crate::files::project_root);
    let mut roots = Vec::new();
    roots.extend(cwd_root.clone());
    let mut allowed = Vec::new();
    for p in paths {
        let Some(c) = canon(p) else { continue };
        let root = match (&cwd_root, canon_cwd) {
            (Some(root), Some(here)) if c == here => root.clone(),
            _ => {
                let dir = if c.is_dir() {
                    c.clone()
                } else {
                    c.parent()
                        .map(Path::to_path_buf)
                        .unwrap_or_else(|| c.clone())
                };
                crate::files::project_root(&dir)
            }
        };
        roots.push(root);
        // A named file is trusted even when it is a link out of its directory.
        allowed.push(c);
    }
    let mut outside: Vec<PathBuf> = args.allow_outside.clone();
    outside.extend(allow_outside_env());
    for p in &outside {
        match canon(p) {
            Some(c) => allowed.push(c),
            None => {
                return Err(format!(
                    "`--allow-outside {}`: no such file or directory",
                    escape_path(p)
                ))
            }
        }
    }
    let named = args
        .config
        .config
        .iter()
        .chain(&args.constraints)
        .chain(trusted);
    allowed.extend(named.filter_map(|p| canon(p)));
    roots.sort();
    roots.dedup();
    allowed.sort();
    allowed.dedup();
    Ok(crate::files::Confinement { roots, allowed })
}

/// `--statistics`: one line per check with its count of unsuppressed findings, most
/// frequent first (`  3  DW101  outside-window`); JSON as an array with `--format json`.
fn statistics(
    diags: &[Diagnostic],
    format: OutputFormat,
    out: &mut dyn Write,
) -> std::io::Result<()> {
    let mut counts: std::collections::BTreeMap<Check, usize> = std::collections::BTreeMap::new();
    for d in diags.iter().filter(|d| d.suppressed.is_none()) {
        *counts.entry(d.check).or_insert(0) += 1;
    }
    let mut rows: Vec<(Check, usize)> = counts.into_iter().collect();
    rows.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.code().cmp(b.0.code())));
    if format == OutputFormat::Json {
        let v: Vec<serde_json::Value> = rows
            .iter()
            .map(|(c, n)| serde_json::json!({"code": c.code(), "name": c.name(), "count": n}))
            .collect();
        serde_json::to_writer_pretty(&mut *out, &v)?;
        return writeln!(out);
    }
    let width = rows
        .iter()
        .map(|(_, n)| n.to_string().len())
        .max()
        .unwrap_or(1);
    for (c, n) in rows {
        writeln!(out, "{n:>width$}  {}  {}", c.code(), c.name())?;
    }
    Ok(())
}
