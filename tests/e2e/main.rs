//! End-to-end tests over real `cites-node` processes on 127.0.0.1: real RocksDB, real sockets,
//! real signatures. One test binary with modules keeps link time and disk use down.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod cli;
mod issue_verify;
mod journey;
mod log_http;
mod p2p;
mod portal;
mod registry;
mod tiles;
mod workflow;

use std::path::PathBuf;

/// The `cites-node` binary cargo built for this test run.
pub fn bin() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_cites-node"))
}

/// Held by the tests that run whole peer-to-peer networks (several nodes each, timed waits):
/// two at once on two cores starve each other's timers, and dialled ports freed by one test
/// can be taken by the other's nodes.
pub fn networked() -> std::sync::MutexGuard<'static, ()> {
    static ONE: std::sync::Mutex<()> = std::sync::Mutex::new(());
    ONE.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// A fixture permit from the contracts crate.
pub fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../contracts/tests/fixtures/valid")
        .join(format!("{name}.json"))
}

/// A small network: the Secretariat and Ghana's MA, both pinning one genesis and replicating
/// each other; Ghana's MA is accredited and knows it.
pub struct Network {
    /// Keeps the data directories.
    pub dir: tempfile::TempDir,
    /// The Secretariat's node.
    pub secretariat: e2e_support::Node,
    /// Ghana's MA node.
    pub gh: e2e_support::Node,
    /// Ghana's API token.
    pub gh_token: String,
    /// Ghana's DID.
    pub gh_did: String,
}

/// Starts a [`Network`] in which Ghana's MA is accredited and knows it.
pub fn network() -> Network {
    let net = network_unaccredited();
    accredit_gh(&net);
    net
}

/// Starts a [`Network`] before the Secretariat accredits Ghana's MA.
pub fn network_unaccredited() -> Network {
    let dir = tempfile::tempdir().unwrap();
    let (sec_port, gh_port) = (e2e_support::free_port(), e2e_support::free_port());
    let (sec_config, sec_out) = e2e_support::init(
        &bin(),
        dir.path(),
        "secretariat",
        "secretariat",
        "CH",
        sec_port,
    );
    let (gh_config, gh_out) = e2e_support::init(&bin(), dir.path(), "gh", "gh", "GH", gh_port);
    let genesis = dir.path().join("genesis.json");
    let out = e2e_support::run(
        &bin(),
        &[
            "genesis",
            "new",
            "--config",
            sec_config.to_str().unwrap(),
            "--network",
            "cites-test",
            "--witness",
            e2e_support::printed(&gh_out, "witness key: "),
            "--witness",
            e2e_support::printed(&sec_out, "witness key: "),
            "--out",
            genesis.to_str().unwrap(),
        ],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    for (config, peer, fees) in [
        (&sec_config, gh_port, ""),
        // Ghana charges for export permits, so the workflow test sees an invoice.
        (
            &gh_config,
            sec_port,
            "[fees]\nexport_permit = { amount = 5000, currency = \"GHS\" }\n",
        ),
    ] {
        let text = std::fs::read_to_string(config).unwrap();
        std::fs::write(
            config,
            format!(
                "{text}genesis = \"genesis.json\"\npeers = [\"http://127.0.0.1:{peer}\"]\n{fees}"
            ),
        )
        .unwrap();
    }
    let mut secretariat = e2e_support::Node::from_config(&bin(), &sec_config, sec_port);
    let mut gh = e2e_support::Node::from_config(&bin(), &gh_config, gh_port);
    secretariat.start();
    gh.start();
    let token = |name: &str| {
        std::fs::read_to_string(dir.path().join(format!("{name}-data/keys/api.token")))
            .unwrap()
            .trim()
            .to_owned()
    };
    let gh_did = e2e_support::printed(&gh_out, "node DID: ").to_owned();
    let gh_token = token("gh");
    Network {
        dir,
        secretariat,
        gh,
        gh_token,
        gh_did,
    }
}

/// The Secretariat accredits Ghana's MA (from its accreditation request); waits until Ghana's
/// node has replicated it.
pub fn accredit_gh(net: &Network) {
    let (gh, secretariat, gh_did) = (&net.gh, &net.secretariat, &net.gh_did);
    let token = |name: &str| {
        std::fs::read_to_string(net.dir.path().join(format!("{name}-data/keys/api.token")))
            .unwrap()
            .trim()
            .to_owned()
    };
    let http = e2e_support::agent();
    let accredit: serde_json::Value = http
        .get(format!("{}/registry/accreditation-request", gh.url))
        .call()
        .unwrap()
        .body_mut()
        .read_json()
        .unwrap();
    assert_eq!(accredit["subject"], gh_did.as_str());
    let r = http
        .post(format!("{}/registry/entries", secretariat.url))
        .header("authorization", &format!("Bearer {}", token("secretariat")))
        .send_json(&accredit)
        .unwrap();
    assert_eq!(r.status(), 201);
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    while http
        .get(format!("{}/1.0/identifiers/{gh_did}", gh.url))
        .call()
        .unwrap()
        .status()
        != 200
    {
        assert!(
            std::time::Instant::now() < deadline,
            "Ghana did not learn its accreditation"
        );
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
}
