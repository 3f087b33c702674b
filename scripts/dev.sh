#!/usr/bin/env bash
# The main job: a whole local network (a Secretariat and two MA nodes) on 127.0.0.1.
# Open the printed URLs in a browser; Ctrl-C stops every node cleanly.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/setup.sh
cargo build --locked --bin cites-node --bin cites-wallet
exec "$CARGO_TARGET_DIR/debug/cites-node" dev "$@"
