#!/usr/bin/env bash
# The project's test command: formatting, lints, then every test of the workspace.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/setup.sh
# The portal's browser test drives Debian's Chromium through chromedriver; the docker
# scripts' test runs curl, as the containers do; the interoperability test runs an
# independent OpenID4VCI wallet on Node.js.
wanted=()
command -v chromium >/dev/null 2>&1 || wanted+=(chromium)
command -v chromedriver >/dev/null 2>&1 || wanted+=(chromium-driver)
command -v curl >/dev/null 2>&1 || wanted+=(curl)
command -v node >/dev/null 2>&1 || wanted+=(nodejs)
command -v npm >/dev/null 2>&1 || wanted+=(npm)
# The partition test puts nodes in network namespaces of its own (needs root, as CI runs).
command -v ip >/dev/null 2>&1 || wanted+=(iproute2)
if [ ${#wanted[@]} -gt 0 ]; then
  echo "test: installing ${wanted[*]} (for the browser, docker-script, interop and partition tests)" >&2
  SUDO=""
  if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${wanted[@]}" >/dev/null
fi
echo "test: target dir $CARGO_TARGET_DIR" >&2
cargo fmt --all --check
(cd fuzz && cargo fmt --check)
cargo clippy --workspace --all-targets --locked -- -D warnings
# Supply chain: licences, bans and sources by deny.toml. RustSec's advisory database is
# fetched from GitHub; where that cannot be reached the run says so and goes on.
if ! cargo deny --version >/dev/null 2>&1; then
  echo "test: installing cargo-deny" >&2
  cargo install cargo-deny --locked --version 0.20.2
fi
cargo deny --log-level error check bans licenses sources
if cargo deny --log-level error fetch db >/dev/null 2>&1; then
  cargo deny --log-level error check advisories
else
  echo "test: RustSec advisory database unreachable: advisories not checked" >&2
fi
bash scripts/fuzz.sh
# The independent wallet, at the versions package-lock.json pins.
npm ci --prefix tests/interop --no-audit --no-fund --loglevel=error
log="$(mktemp)"
trap 'rm -f "$log"' EXIT
cargo test --workspace --locked 2>&1 | tee "$log"
# One closing line over every test binary (cargo prints one per binary, the last often a
# doc-test run with nothing in it).
awk '/^test result:/ { for (i = 1; i <= NF; i++) { if ($(i+1) ~ /^passed/) p += $i; if ($(i+1) ~ /^failed/) f += $i } }
     END { printf "%d passed, %d failed\n", p, f }' "$log"
