#!/usr/bin/env bash
# Fuzz targets for a bounded time: fuzz/run.sh [seconds-per-target] [target...]
# Without target names, every target in fuzz/Cargo.toml (`cargo fuzz list`), which
# tests/integration/fuzz_corpus.rs keeps equal to `fuzz_targets::targets()` (the format
# registry): one per reader, the Poetry constraint translator, and `pipeline` (every reader,
# picked by the first byte, then the checks).
# FUZZ_SEED=N fixes libFuzzer's seed (CI does, so a CI run explores the same inputs as a
# local run with that seed). FUZZ_BUILD picks the build: `-O` (default; release with debug
# assertions) or `--dev` (unoptimised, cheaper to compile; CI uses it).
#
# Works on the stable toolchain: `cargo install cargo-fuzz`, then libFuzzer without a
# sanitizer (`--sanitizer none`; the panics are what we look for, and the code has no
# `unsafe`). New inputs go to fuzz/target/corpus/<target> (ignored by git); the committed
# seeds in fuzz/corpus/<target> are read, never written. Crashes land in
# fuzz/artifacts/<target>/: add each one to fuzz/corpus/<target>/ as a regression seed
# (tests/integration/fuzz_corpus.rs replays the corpus in plain `cargo test`).
set -euo pipefail
cd "$(dirname "$0")"
secs="${1:-60}"
shift || true
if ! cargo fuzz --version >/dev/null 2>&1; then
    echo "cargo-fuzz missing: cargo install cargo-fuzz" >&2
    exit 2
fi
build="${FUZZ_BUILD:--O}"
if [ "$#" -gt 0 ]; then
    targets=("$@")
else
    mapfile -t targets < <(cargo fuzz list)
fi
status=0
for t in "${targets[@]}"; do
    # Shows cargo's progress; the instrumented dependencies are built once for all targets.
    cargo fuzz build --sanitizer none "$build" "$t"
    mkdir -p "target/corpus/$t"
    echo "== $t (${secs}s)"
    if ! cargo fuzz run --sanitizer none "$build" "$t" "target/corpus/$t" "corpus/$t" -- \
        -max_total_time="$secs" -max_len=65536 -rss_limit_mb=2048 -timeout=10 \
        -print_final_stats=1 ${FUZZ_SEED:+-seed="$FUZZ_SEED"} 2>"target/$t.log"; then
        echo "!! $t found a crash, see fuzz/artifacts/$t and fuzz/target/$t.log"
        tail -n 40 "target/$t.log"
        status=1
    fi
    grep -E "^stat::(number_of_executed_units|peak_rss_mb)|Done [0-9]+ runs" "target/$t.log" || true
done
exit $status
