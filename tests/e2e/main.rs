//! End-to-end tests over real `cites-node` processes on 127.0.0.1: real RocksDB, real sockets,
//! real signatures. One test binary with modules keeps link time and disk use down.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod cli;
mod issue_verify;
mod log_http;
mod registry;
mod tiles;

use std::path::PathBuf;

/// The `cites-node` binary cargo built for this test run.
pub fn bin() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_cites-node"))
}

/// A fixture permit from the contracts crate.
pub fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../contracts/tests/fixtures/valid")
        .join(format!("{name}.json"))
}
