#!/usr/bin/env python3
"""Timing harness for bench/run.sh: alternates the three contenders on the same tree, several
repetitions, and reports medians, ratios, single-file latency and peak memory (per child,
from wait4's rusage)."""
import os, statistics, subprocess, sys, time

tree, depwindow, floor, python, small, reps = sys.argv[1:7]
reps = int(reps)
here = os.path.dirname(os.path.abspath(__file__))

def run(argv, cwd=None):
    t0 = time.perf_counter()
    p = subprocess.Popen(argv, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _, status, ru = os.wait4(p.pid, 0)
    dt = time.perf_counter() - t0
    code = os.waitstatus_to_exitcode(status)
    return dt, ru.ru_maxrss, code

contenders = {
    "read floor": [floor, tree],
    "depwindow": [depwindow, "check", "--format", "json", tree],
    "python checker": [python, os.path.join(here, "reference_checker.py"), tree],
}
times = {k: [] for k in contenders}
rss = {k: 0 for k in contenders}
for name, argv in contenders.items():  # warm the page cache and check exit codes
    _, _, code = run(argv)
    print(f"warm-up {name}: exit {code}", file=sys.stderr)
for i in range(reps):
    for name, argv in contenders.items():
        dt, mr, _ = run(argv)
        times[name].append(dt)
        rss[name] = max(rss[name], mr)
med = {k: statistics.median(v) for k, v in times.items()}
for k in contenders:
    print(f"{k:15s} median {med[k]*1000:9.1f} ms  (runs: {', '.join(f'{t*1000:.0f}' for t in times[k])})  peak RSS {rss[k]/1024:.1f} MB")
print(f"depwindow / read floor     = {med['depwindow']/med['read floor']:.2f}x")
print(f"python checker / depwindow = {med['python checker']/med['depwindow']:.1f}x")
# One small file, start-up included.
n = 200
lat, mr_small = [], 0
for _ in range(n):
    dt, mr, _ = run([depwindow, "check", "--format", "json", small])
    lat.append(dt)
    mr_small = max(mr_small, mr)
print(f"single small file: median {statistics.median(lat)*1000:.2f} ms, "
      f"min {min(lat)*1000:.2f} ms over {n} runs; peak RSS {mr_small/1024:.1f} MB")
