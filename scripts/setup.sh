#!/usr/bin/env bash
# Installs what a fresh machine lacks to build the workspace, then exports the shared target dir.
# Sourced by scripts/dev.sh and scripts/test.sh; safe to run again (it only installs what is missing).
set -euo pipefail

missing=()
command -v clang >/dev/null 2>&1 || missing+=(clang)
# bindgen (RocksDB's Rust bindings) needs libclang's shared library.
if ! ls /usr/lib/llvm-*/lib/libclang*.so* >/dev/null 2>&1 && ! ls /usr/lib/x86_64-linux-gnu/libclang*.so* >/dev/null 2>&1; then
  missing+=(libclang-dev)
fi
command -v c++ >/dev/null 2>&1 || missing+=(g++)
# josekit links the system OpenSSL through openssl-sys.
command -v pkg-config >/dev/null 2>&1 || missing+=(pkg-config)
[ -e /usr/include/openssl/ssl.h ] || missing+=(libssl-dev)
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing ${missing[*]} (needed to build RocksDB and OpenSSL bindings)" >&2
  SUDO=""
  if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}" >/dev/null
fi

if ! command -v cargo >/dev/null 2>&1; then
  echo "setup: cargo not found; install Rust 1.95 or newer (https://rustup.rs) and try again" >&2
  exit 1
fi

# One target directory outside the clone, shared by every build on this machine: RocksDB's C++
# build is the longest part of a cold build and is done once.
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/cites-target}"
