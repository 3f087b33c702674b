#!/usr/bin/env bash
# Node CPU per request under load: the figure BENCHMARKS.md compares across commits, steadier
# than requests per second on a VM whose neighbours move throughput by 10-20%.
#
#   scripts/bench-cpu.sh verify MECHANISM [RUNS] [PER_CLIENT]   a fresh `cites-node dev` network
#   scripts/bench-cpu.sh issue MECHANISM [RUNS] [CLIENTS]       a fresh lone node, 10 ms checkpoints
#
# MECHANISM: jose, eddsa-jcs-2022 or eddsa-rdfc-2022. Each run starts from empty data under
# $BENCH_DIR (default /tmp/cites-bench), runs the load harness for 10 s with 32 clients (issue:
# CLIENTS) and prints the harness's summary with the node's user + system CPU time across the
# timed part divided by the requests answered. Release build, shared target directory.
# NODE_BIN=PATH runs that cites-node instead (a copy of an earlier build, to compare two commits
# run for run on a VM whose speed drifts). HARNESS_DIR=DIR takes verify_load and issue_load
# from DIR and builds nothing: a loop of runs then measures the same binaries while sources change.
set -euo pipefail
cd "$(dirname "$0")/.."

usage() {
  sed -n '5,6p' "$0" | sed 's/^# *//' >&2
  exit 2
}
[ $# -ge 2 ] || usage
what=$1 mechanism=$2 runs=${3:-3}
case $what in verify | issue) ;; *) usage ;; esac
case $mechanism in jose | eddsa-jcs-2022 | eddsa-rdfc-2022) ;; *) usage ;; esac
case $runs in '' | *[!0-9]*) usage ;; esac
case ${4:-1} in '' | *[!0-9]*) usage ;; esac

export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$HOME/.cache/cites-target}
if [ -n "${HARNESS_DIR:-}" ]; then
  bin=$HARNESS_DIR
  [ -n "${NODE_BIN:-}" ] || { echo "bench-cpu: HARNESS_DIR needs NODE_BIN" >&2; exit 2; }
else
  # The same set of targets as BENCHMARKS.md's commands: another set unifies other features and
  # rebuilds RocksDB.
  cargo build --release --locked -p node --bin cites-node --example issue_load --example verify_load
  bin=$CARGO_TARGET_DIR/release/examples
fi
node_bin=${NODE_BIN:-$CARGO_TARGET_DIR/release/cites-node}
[ -x "$node_bin" ] || { echo "bench-cpu: $node_bin is not an executable" >&2; exit 2; }
dir=${BENCH_DIR:-/tmp/cites-bench}
tick=$(getconf CLK_TCK)
node_pid=
load=

cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
stop() {
  if [ -n "$load" ]; then
    kill "$load" 2>/dev/null || true
    load=
  fi
  if [ -n "$node_pid" ]; then
    kill "$node_pid" 2>/dev/null || true
    wait "$node_pid" 2>/dev/null || true
    node_pid=
  fi
}
trap stop EXIT

wait_healthy() {
  for _ in $(seq 1 120); do
    curl -sf "$1/healthz" >/dev/null && return 0
    sleep 0.5
  done
  echo "bench-cpu: the node at $1 did not come up (see $dir/node.log)" >&2
  exit 1
}

# Prints the harness summary and the node CPU per request counted in the summary line.
report() {
  local run=$1 before=$2 after=$3 out=$4 counted
  counted=$(grep -oE '[0-9]+ (presentations verified|issued)' "$out" | head -1 | awk '{print $1}' || true)
  if [ -z "$counted" ] || [ "$counted" -eq 0 ]; then
    echo "bench-cpu: run $run answered nothing:" >&2
    cat "$out" >&2
    exit 1
  fi
  echo "run $run: $(tail -1 "$out")"
  echo "run $run: node CPU $(((after - before) * 1000000 / tick / counted)) µs per request"
}

for run in $(seq 1 "$runs"); do
  rm -rf "$dir" && mkdir -p "$dir"
  case $what in
  verify)
    per_client=${4:-1500}
    RUST_LOG=warn "$node_bin" dev --data-dir "$dir/dev" --port 8710 >"$dir/node.log" 2>&1 &
    node_pid=$!
    wait_healthy http://127.0.0.1:8711
    "$bin/verify_load" http://127.0.0.1:8711 "$dir/dev/gh/keys/api.token" \
      "$mechanism" 32 10 "$per_client" >"$dir/load.out" 2>&1 &
    load=$!
    # The presentations are prepared first; only the timed part counts (polled every 0.1 s,
    # so up to a tenth of a second of requests is counted without its CPU: under 1%).
    until grep -q prepared "$dir/load.out"; do
      kill -0 "$load" 2>/dev/null || { cat "$dir/load.out" >&2; exit 1; }
      sleep 0.1
    done
    before=$(cpu_ticks "$node_pid")
    wait "$load" || { cat "$dir/load.out" >&2; exit 1; }
    load=
    ;;
  issue)
    clients=${4:-32}
    "$node_bin" init --config "$dir/node.toml" --name "Bench MA" --party GH \
      --log-origin cites.bench/cpu --listen 127.0.0.1:8796 >"$dir/init.log" 2>&1
    CITES_CHECKPOINT_INTERVAL_MS=10 RUST_LOG=warn "$node_bin" run --config "$dir/node.toml" \
      >"$dir/node.log" 2>&1 &
    node_pid=$!
    wait_healthy http://127.0.0.1:8796
    before=$(cpu_ticks "$node_pid")
    # VERIFY=1 would make the harness verify too, and count that CPU here.
    env -u VERIFY "$bin/issue_load" http://127.0.0.1:8796 "$dir/data/keys/api.token" \
      "$mechanism" "$clients" 10 >"$dir/load.out" 2>&1 || { cat "$dir/load.out" >&2; exit 1; }
    ;;
  esac
  report "$run" "$before" "$(cpu_ticks "$node_pid")" "$dir/load.out"
  stop
done
