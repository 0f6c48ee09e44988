//! Command line: argument parsing and the top-level flow. Exit codes mean one thing each:
//! 0 nothing at or above error severity, 1 errors found, 2 usage or I/O error.

use std::io::{IsTerminal, Read, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

use crate::diagnostic::Severity;
use crate::discover::{self, Candidate};
use crate::formats::Format;
use crate::report::{emitter, human, OutputFormat, Report};
use crate::run::{self, RunOptions};

#[derive(Parser, Debug)]
#[command(
    name = "depwindow",
    version,
    about = "Flags Python dependency files that let pip install NumPy (and other packages) outside the versions TensorFlow 1.14.0 was tested with"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Check dependency files (default: the current directory).
    Check(CheckArgs),
}

#[derive(clap::Args, Debug)]
pub struct CheckArgs {
    /// Files or directories to check; `-` reads one file from standard input.
    pub paths: Vec<PathBuf>,
    /// Output format.
    #[arg(long, env = "DEPWINDOW_OUTPUT_FORMAT", default_value = "human")]
    pub format: String,
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
    /// A constraints file applied to every unit, as pip's PIP_CONSTRAINT; repeatable.
    #[arg(long = "constraint", value_name = "FILE")]
    pub constraints: Vec<PathBuf>,
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
    /// With `--fix`: exit 1 when anything was fixed, even if no finding remains.
    #[arg(long)]
    pub exit_non_zero_on_fix: bool,
    /// Render width for human output (default: terminal width or 100).
    #[arg(long, hide = true)]
    pub width: Option<usize>,
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
    match cli.command {
        Command::Check(args) => match check(args) {
            Ok(code) => code,
            Err(msg) => {
                eprintln!("depwindow: error: {msg}");
                ExitCode::from(2)
            }
        },
    }
}

fn check(args: CheckArgs) -> Result<ExitCode, String> {
    let cwd =
        std::env::current_dir().map_err(|e| format!("cannot read the current directory: {e}"))?;
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
        if crate::markers::python_interval(p).is_none() || p.split('.').count() != 2 {
            return Err(format!(
                "invalid Python `{p}`: expected `major.minor`, e.g. `3.7`"
            ));
        }
    }
    let rules = crate::rules::builtin();
    let opts = RunOptions {
        pythons: (!args.pythons.is_empty()).then(|| args.pythons.clone()),
        constraints: args.constraints.clone(),
        jobs: args.jobs,
    };
    for c in &opts.constraints {
        if !c.is_file() {
            return Err(format!("constraint file `{}` not found", c.display()));
        }
    }
    let outcome = if args.paths.len() == 1 && args.paths[0].as_os_str() == "-" {
        let name = args
            .stdin_filename
            .clone()
            .unwrap_or_else(|| PathBuf::from("requirements.txt"));
        let mut bytes = Vec::new();
        std::io::stdin()
            .take(crate::files::MAX_FILE_SIZE + 1)
            .read_to_end(&mut bytes)
            .map_err(|e| format!("cannot read standard input: {e}"))?;
        if bytes.len() as u64 > crate::files::MAX_FILE_SIZE {
            return Err("standard input is larger than the size limit".into());
        }
        let format = input_format.unwrap_or_else(|| Format::for_explicit(&name));
        let path = if name.is_absolute() {
            name.clone()
        } else {
            cwd.join(&name)
        };
        let cand = Candidate {
            path,
            format,
            explicit: true,
        };
        let (files, diagnostics) = run::check_one(&cwd, &cand, Some(&bytes), rules, &opts);
        run::Outcome {
            files,
            diagnostics,
            checked: 1,
        }
    } else {
        let paths = if args.paths.is_empty() {
            vec![PathBuf::from(".")]
        } else {
            args.paths.clone()
        };
        for p in &paths {
            if p.as_os_str() == "-" {
                return Err("`-` (standard input) must be the only path".into());
            }
            if !p.exists() && std::fs::symlink_metadata(p).is_err() {
                return Err(format!("`{}`: no such file or directory", p.display()));
            }
        }
        let (candidates, walk_errors) = discover::discover(&paths, input_format, &|_| false);
        for e in walk_errors {
            eprintln!(
                "depwindow: warning: while walking `{}`: {}",
                e.path, e.message
            );
        }
        run::run(&cwd, &candidates, rules, &opts)
    };
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    // Autofix (`apply.rs`): `--diff` prints and stops; `--fix` writes and re-checks.
    let mut outcome = outcome;
    let mut fixed = 0;
    if args.fix || args.diff {
        let rerun = || {
            let paths = if args.paths.is_empty() {
                vec![PathBuf::from(".")]
            } else {
                args.paths.clone()
            };
            let (candidates, _) = discover::discover(&paths, input_format, &|_| false);
            run::run(&cwd, &candidates, rules, &opts)
        };
        let mode = crate::apply::Mode {
            diff: args.diff,
            unsafe_fixes: args.unsafe_fixes,
        };
        let (after, summary) = crate::apply::run_cli(mode, &args.paths, outcome, &rerun, &mut out)?;
        crate::apply::report(&summary, args.diff);
        fixed = summary.fixed;
        match after {
            Some(o) => outcome = o,
            None => return Ok(ExitCode::from(u8::from(fixed > 0))),
        }
    }
    let color = std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
        && std::io::stdout().is_terminal();
    let res = match args.format.as_str() {
        "human" => {
            let style = human::Style {
                color,
                narratable: std::env::var_os("NO_GRAPHICS").is_some_and(|v| !v.is_empty()),
                width: args.width.unwrap_or(100),
            };
            human::emit(
                &outcome.files,
                &outcome.diagnostics,
                outcome.checked,
                style,
                &mut out,
            )
        }
        other => {
            let format = OutputFormat::from_name(other).ok_or_else(|| {
                format!(
                    "unknown output format `{other}`; expected one of: {}",
                    OutputFormat::ALL
                        .iter()
                        .map(|f| f.name())
                        .collect::<Vec<_>>()
                        .join(", ")
                )
            })?;
            let report = Report {
                files: &outcome.files,
                diagnostics: &outcome.diagnostics,
                tool_version: env!("CARGO_PKG_VERSION"),
                checked: outcome.checked,
            };
            match emitter(format) {
                Some(e) => e.emit(&report, &mut out),
                None => Ok(()),
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
        .any(|d| d.severity == Severity::Error && d.suppressed.is_none());
    let fix_exit = args.exit_non_zero_on_fix && fixed > 0;
    Ok(if (errors && !args.exit_zero) || fix_exit {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}
