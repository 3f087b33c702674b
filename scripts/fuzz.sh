#!/usr/bin/env bash
# Replays every input that once crashed a fuzz target (fuzz/regressions/TARGET/), then runs
# each target for FUZZ_SECONDS seconds (default 20) from its seeds (fuzz/seeds/TARGET/).
# A crash fails the run and leaves its input in fuzz/artifacts/TARGET/: copy it into
# fuzz/regressions/TARGET/ with the fix, so it is replayed from then on.
#
# The Rust code forbids `unsafe`, so the targets are built without a sanitizer (`-s none`),
# which works on the stable toolchain; libFuzzer still guides them by coverage. They are built
# unoptimised (`--dev`): a cold optimised build of ssi costs CI a quarter of an hour, and the
# runs are bounded in time anyway (FUZZ_RELEASE=1 for long runs by hand).
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${FUZZ_SECONDS:-20}"
if ! cargo fuzz --version >/dev/null 2>&1; then
  echo "fuzz: installing cargo-fuzz" >&2
  cargo install cargo-fuzz --locked --version 0.13.2
fi
profile="--dev"
[ "${FUZZ_RELEASE:-0}" = 1 ] && profile="--release"
# Builds and corpora go beside the workspace's builds when they share a target dir.
out="${CARGO_TARGET_DIR:-$PWD/fuzz/target}/fuzz"
cd fuzz
targets=$(cargo fuzz list)
cargo fuzz build $profile -s none --target-dir "$out"
for t in $targets; do
  mkdir -p "$out/corpus/$t"
  regressions=$(find "regressions/$t" -type f ! -name .keep | wc -l)
  if [ "$regressions" -gt 0 ]; then
    echo "fuzz: $t: replaying $regressions regression inputs" >&2
    cargo fuzz run $profile -s none --target-dir "$out" "$t" "regressions/$t" -- -runs=0
  fi
  echo "fuzz: $t: ${seconds} s" >&2
  # New inputs go to the corpus beside the build (kept between runs, out of git); the
  # seeds are only read.
  log="$out/$t.log"
  status=0
  cargo fuzz run $profile -s none --target-dir "$out" "$t" "$out/corpus/$t" "seeds/$t" -- \
    -max_total_time="$seconds" -rss_limit_mb=2048 -max_len=65536 -print_final_stats=1 >"$log" 2>&1 ||
    status=$?
  if [ "$status" -ne 0 ]; then
    tail -40 "$log" >&2
    if [ -n "$(find "artifacts/$t" -type f 2>/dev/null | head -1)" ]; then
      echo "fuzz: $t found a crash; its input is in fuzz/artifacts/$t/" >&2
    else
      # libFuzzer exits 72 when a signal interrupts it: no input to keep.
      echo "fuzz: $t stopped with status $status and left no crash input (interrupted?)" >&2
    fi
    exit 1
  fi
  grep -E "^(stat::number_of_executed_units|stat::peak_rss_mb)" "$log" | tr '\n' ' ' >&2
  echo >&2
done
echo "fuzz: every target ran ${seconds} s without a crash" >&2
