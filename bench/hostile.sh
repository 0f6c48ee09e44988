#!/usr/bin/env bash
# Issue 15 §4: check each hostile input (bench/hostile_inputs.py) once, print wall time and
# peak RSS, and CPU time (user + sys: on a loaded machine, the number to compare).
# Goal: every case under 2 s and 200 MB.   bench/hostile.sh [scale=1.0] [timeout=300]
set -uo pipefail
cd "$(dirname "$0")/.."
scale="${1:-1.0}"
limit="${2:-300}"
out="target/bench/hostile-$scale"
bin="${DEPWINDOW_BIN:-$PWD/target/release/depwindow}"
[ -n "${DEPWINDOW_BIN:-}" ] || cargo build --release --quiet
[ -d "$out" ] || python3 bench/hostile_inputs.py "$out" --scale "$scale" >/dev/null
printf '%-30s %10s %10s %10s %5s\n' input wall_s cpu_s rss_MB exit
tmp=$(mktemp)
for d in "$out"/*/; do
    name=$(basename "$d")
    (cd "$d" && /usr/bin/time -o "$tmp" -f '%e %M %U %S' timeout "$limit" "$bin" check \
        --output-format json . >/dev/null 2>&1)
    rc=$?
    read -r wall rss user sys < <(tail -1 "$tmp")
    cpu=$(awk -v u="$user" -v s="$sys" 'BEGIN { printf "%.2f", u + s }')
    printf '%-30s %10s %10s %10s %5s\n' "$name" "$wall" "$cpu" "$((rss / 1024))" "$rc"
done
rm -f "$tmp"
