//! Issue 13 "Memory flat in tree size", output end: rendering a report holds a bounded
//! amount of memory beyond the findings themselves, whatever their number. Each
//! machine-readable format renders n and 4n findings into a sink; the most heap the
//! rendering held at once (counted by this test binary's allocator, on the rendering
//! thread: `jobs: 1`) may grow by at most half, plus 32 bytes per finding, where a format
//! that gathers the whole document first (SARIF, GitLab and JUnit before this test) grows
//! about fourfold. A counter, not a clock. The human format is rendered by the CLI, not by
//! an emitter.

use depwindow::diagnostic::{Check, Diagnostic, Severity};
use depwindow::manifest::Loc;
use depwindow::report::{emitter, OutputFormat, Report};
use depwindow::source::{Excerpts, Span};

use crate::allocations::peak_live_bytes;

/// What a format may keep per finding while it renders, in bytes.
const BOOKKEEPING: u64 = 32;

/// Files per test run: 30 findings each, as a tree has more files with more findings.
const PER_FILE: usize = 30;

/// `n` findings spread over `n / PER_FILE` files, in report order (by file), each with a
/// headline, a label, three notes and a help text of realistic length; every seventh is
/// suppressed.
fn findings(files: &mut depwindow::files::Files, n: usize) -> Vec<Diagnostic> {
    let text = "tensorflow==1.14.0\nnumpy>=1.16  # pinned\nprotobuf<4\n".repeat(40);
    let count = n.div_ceil(PER_FILE);
    let ids: Vec<_> = (0..count)
        .map(|i| {
            files.add(
                std::path::Path::new(&format!("/p/project-{i:02}/requirements.txt")),
                text.as_bytes(),
            )
        })
        .collect();
    (0..n)
        .map(|i| {
            let at = (i % 40) * 52 + 19;
            let mut d = Diagnostic::problem(
                Check::OutsideWindow,
                if i % 3 == 0 {
                    Severity::Error
                } else {
                    Severity::Warning
                },
                Loc {
                    file: ids[i / PER_FILE],
                    span: Span::new(at, at + 11),
                },
                format!(
                    "numpy>=1.16 lets pip install numpy 1.17.0 through 2.3.4 (finding {i}), \
                     outside the window TensorFlow 1.14.0 was tested with"
                ),
            );
            d.label = "admits releases outside the window".into();
            d.package = Some("numpy".into());
            d.window = Some(">=1.16.0,<1.17".into());
            d.notes = vec![
                format!("pip would pick numpy 1.19.5 on Python 3.6 and 3.7 ({i})"),
                "TensorFlow 1.14.0 is installed on Python 3.5, 3.6 and 3.7".into(),
                "numpy 1.17 changed the C API that TensorFlow's wheels were built against".into(),
            ]
            .into();
            d.help = Some(
                format!(
                    "narrow the requirement to `numpy>=1.16,<1.17` ({i}), or move TensorFlow \
                     to a release tested with the NumPy you need"
                )
                .into(),
            );
            if i % 7 == 0 {
                d.suppressed = Some("known".into());
            }
            d
        })
        .collect()
}

/// The most heap rendering `n` findings in `format` held beyond the findings.
fn rendering_peak(format: OutputFormat, n: usize) -> u64 {
    let mut files = depwindow::files::Files::new(std::path::PathBuf::from("/p"));
    let diagnostics = findings(&mut files, n);
    let excerpts = Excerpts::whole(&files);
    let report = Report {
        files: &excerpts,
        diagnostics: &diagnostics,
        tool_version: "0.0.0-test",
        checked: excerpts.len(),
        show_suppressed: true,
        fail_on: Severity::Error,
        jobs: 1,
    };
    let e = emitter(format, false).expect("a machine-readable format");
    let mut sink = std::io::sink();
    peak_live_bytes(|| e.emit(&report, &mut sink).expect("written"))
}

#[test]
fn rendering_holds_bounded_memory_whatever_the_number_of_findings() {
    const N: usize = 600;
    let mut failures = Vec::new();
    for format in OutputFormat::ALL {
        if format == OutputFormat::Human {
            continue;
        }
        // Once first: what a format builds once per process (SARIF's rule list) is not
        // the report's.
        rendering_peak(format, 10);
        let small = rendering_peak(format, N);
        let large = rendering_peak(format, 4 * N);
        eprintln!(
            "{}: {small} bytes at {N} findings, {large} at {}",
            format.name(),
            4 * N
        );
        // Half again, plus a word or so per extra finding (its place in the list of those
        // shown, a fingerprint seen): the formats that gathered the document held 450-1,500
        // bytes per finding.
        if large > small + small / 2 + BOOKKEEPING * 3 * N as u64 {
            failures.push(format!(
                "{}: {small} bytes at {N} findings, {large} at {}",
                format.name(),
                4 * N
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "rendering grew with the report: {failures:?}"
    );
}
