#!/usr/bin/env bash
# Benchmark: depwindow on a synthetic 2,000-project monorepo against a plain Python checker
# (packaging + tomllib) and the physical floor (read every file once, one thread).
#   bench/run.sh [projects=2000] [repetitions=5]
# Every contender writes its output to a file under target/bench/out/ (not a pipe). Peak RSS
# is also measured on 200 and 2,000 projects (flat memory is the goal).
# DEPWINDOW_BEFORE=path/to/depwindow adds that binary as one more contender (before/after).
# Needs Python 3.11+ with `packaging` (DEPWINDOW_PYTHON, else python3). Not run in CI.
set -euo pipefail
cd "$(dirname "$0")/.."
projects="${1:-2000}"
reps="${2:-5}"
py="${DEPWINDOW_PYTHON:-python3}"
work=target/bench
tree="$work/tree-$projects"
mkdir -p "$work"
"$py" -c "import packaging, tomllib" || { echo "need Python 3.11+ with packaging" >&2; exit 2; }
cargo build --release --quiet
rustc -O --edition 2021 -o "$work/read_floor" bench/read_floor.rs
rustc -O --edition 2021 -o "$work/spawn" bench/spawn.rs
for n in "$projects" 200 2000; do
    if [ ! -d "$work/tree-$n" ]; then
        "$py" bench/gen_tree.py "$work/tree-$n" "$n"
    fi
done
printf 'tensorflow==1.14.0\nnumpy>=1.16\nprotobuf<4\n' > "$work/requirements.txt"
echo "tree: $(find "$tree" -type f | wc -l) files, $(du -sh "$tree" | cut -f1); $(nproc) cores"
"$py" bench/bench.py "$tree" target/release/depwindow "$work/read_floor" "$py" \
    "$work/requirements.txt" "$reps" "$work/tree-200" "$work/tree-2000"
