#!/usr/bin/env python3
"""Timing harness for bench/run.sh: alternates the contenders on the same tree in one run,
several repetitions, each writing its output to a file (not a pipe), and reports medians,
ratios, single-file latency and peak memory (per child, from wait4's rusage, taken by the
small runner `spawn` beside FLOOR: see bench/spawn.rs for why not from here).

Usage: bench.py TREE DEPWINDOW FLOOR PYTHON SMALL REPS [RSS_TREE ...]
- DEPWINDOW_BEFORE=path: a second depwindow binary (say, a build of main) run alternately as
  one more contender, for before/after tables from one run.
- RSS_TREE ...: more trees (say, 200 and 2,000 projects) on which depwindow's peak RSS and
  median time are measured, to see whether memory stays flat as the tree grows."""
import os, statistics, subprocess, sys

tree, depwindow, floor, python, small, reps = sys.argv[1:7]
rss_trees = sys.argv[7:]
reps = int(reps)
here = os.path.dirname(os.path.abspath(__file__))
out_dir = os.path.join(os.path.dirname(os.path.abspath(floor)), "out")
spawn = os.path.join(os.path.dirname(os.path.abspath(floor)), "spawn")
os.makedirs(out_dir, exist_ok=True)

cpu = {}

def run(argv, out_name):
    """Run one contender through `spawn`, its standard output going to a file; wall time,
    peak RSS (KiB), exit code. Its CPU time (user + system, from the same rusage: steadier
    than wall time on a loaded machine) is kept in `cpu[out_name]`."""
    report = subprocess.run([spawn, os.path.join(out_dir, out_name), *argv],
                            check=True, capture_output=True, text=True).stdout.split()
    wall, maxrss, cpu_s, code = float(report[0]), int(report[1]), float(report[2]), int(report[3])
    cpu.setdefault(out_name, []).append(cpu_s)
    return wall, maxrss, code

def depwindow_argv(binary, target):
    return [binary, "check", "--format", "json", "--exit-zero", target]

contenders = {"read floor": [floor, tree], "depwindow": depwindow_argv(depwindow, tree)}
before = os.environ.get("DEPWINDOW_BEFORE")
if before:
    contenders["depwindow (before)"] = depwindow_argv(before, tree)
contenders["python checker"] = [python, os.path.join(here, "reference_checker.py"), tree]

def out_name(name):
    return name.replace(" ", "_").replace("(", "").replace(")", "") + ".out"

times = {k: [] for k in contenders}
rss = {k: 0 for k in contenders}
for name, argv in contenders.items():  # warm the page cache and check exit codes
    _, _, code = run(argv, out_name(name))
    print(f"warm-up {name}: exit {code}", file=sys.stderr)
for i in range(reps):
    for name, argv in contenders.items():
        dt, mr, _ = run(argv, out_name(name))
        times[name].append(dt)
        rss[name] = max(rss[name], mr)
med = {k: statistics.median(v) for k, v in times.items()}
print(f"outputs in {out_dir}/")
for k in contenders:
    size = os.path.getsize(os.path.join(out_dir, out_name(k)))
    c = statistics.median(cpu[out_name(k)][1:])  # without the warm-up
    print(f"{k:19s} median {med[k]*1000:9.1f} ms  (runs: {', '.join(f'{t*1000:.0f}' for t in times[k])})"
          f"  CPU {c*1000:8.1f} ms  peak RSS {rss[k]/1024:6.1f} MB  output {size/1e6:6.2f} MB")
print(f"depwindow / read floor     = {med['depwindow']/med['read floor']:.2f}x")
print(f"python checker / depwindow = {med['python checker']/med['depwindow']:.1f}x")
if before:
    print(f"depwindow before / after   = {med['depwindow (before)']/med['depwindow']:.2f}x")

# One small file, start-up included, alternating the binaries.
n = 200
small_bins = {"depwindow": depwindow}
if before:
    small_bins["depwindow (before)"] = before
lat = {k: [] for k in small_bins}
mr_small = {k: 0 for k in small_bins}
for _ in range(n):
    for k, b in small_bins.items():
        dt, mr, _ = run(depwindow_argv(b, small), "small-" + out_name(k))
        lat[k].append(dt)
        mr_small[k] = max(mr_small[k], mr)
for k in small_bins:
    s = sorted(lat[k])
    c = statistics.median(cpu["small-" + out_name(k)])
    print(f"single small file, {k}: median {statistics.median(s)*1000:.2f} ms, "
          f"p90 {s[int(len(s)*0.9)]*1000:.2f} ms, min {s[0]*1000:.2f} ms over {n} runs; "
          f"CPU {c*1000:.2f} ms; peak RSS {mr_small[k]/1024:.1f} MB")

# Peak RSS as the tree grows (flat is the goal).
for t in rss_trees:
    files = sum(len(f) for _, _, f in os.walk(t))
    for k, b in small_bins.items():
        ts, mr = [], 0
        for _ in range(max(3, reps // 2)):
            name = f"rss-{os.path.basename(t)}-" + out_name(k)
            dt, m, _ = run(depwindow_argv(b, t), name)
            ts.append(dt)
            mr = max(mr, m)
        print(f"{os.path.basename(t)} ({files} files), {k}: median {statistics.median(ts)*1000:.0f} ms, "
              f"CPU {statistics.median(cpu[name])*1000:.0f} ms, peak RSS {mr/1024:.1f} MB")
