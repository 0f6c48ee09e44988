//! Runs one contender for bench.py and reports its own rusage.
//!
//! A child's `ru_maxrss` on Linux starts at the high-water mark of the memory it was forked
//! from: exec records the old address space's peak. bench.py is a Python process of about
//! 12 MB, so every contender it spawned directly reported at least that (the read floor,
//! 2 MB under `/usr/bin/time`, showed 12 MB). This runner is small: its children start from
//! its own peak of about 1 MB, as under `/usr/bin/time`.
//!
//! Usage: spawn OUT CMD [ARG...]  (stdout to OUT, stderr discarded)
//! Prints: `<wall seconds> <peak RSS KiB> <user+sys seconds> <exit code>`.
use std::process::{Command, Stdio};
use std::time::Instant;

/// `struct rusage` of Linux (x86_64 and aarch64): two timevals and fourteen longs.
#[repr(C)]
#[derive(Default)]
struct Rusage {
    utime: [i64; 2],
    stime: [i64; 2],
    maxrss: i64,
    rest: [i64; 13],
}

extern "C" {
    fn wait4(pid: i32, status: *mut i32, options: i32, rusage: *mut Rusage) -> i32;
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [out, cmd, rest @ ..] = args.as_slice() else {
        eprintln!("usage: spawn OUT CMD [ARG...]");
        std::process::exit(2);
    };
    let out = std::fs::File::create(out).expect("create the output file");
    let start = Instant::now();
    let child = Command::new(cmd)
        .args(rest)
        .stdout(out)
        .stderr(Stdio::null())
        .spawn()
        .expect("start the contender");
    let (mut status, mut ru) = (0, Rusage::default());
    // SAFETY: `status` and `ru` are valid for writes; the pid is our own child's, reaped here
    // and never waited on through `child` afterwards.
    let pid = unsafe { wait4(child.id() as i32, &mut status, 0, &mut ru) };
    let wall = start.elapsed().as_secs_f64();
    assert!(pid > 0, "wait4 failed");
    let secs = |t: [i64; 2]| t[0] as f64 + t[1] as f64 / 1e6;
    // WIFEXITED / WEXITSTATUS; a signal is reported as 128 + its number, as shells do.
    let code = if status & 0x7f == 0 { (status >> 8) & 0xff } else { 128 + (status & 0x7f) };
    println!("{wall:.6} {} {:.6} {code}", ru.maxrss, secs(ru.utime) + secs(ru.stime));
}
