//! End-to-end tests over real `cites-node` processes on 127.0.0.1: real RocksDB, real sockets,
//! real signatures. One test binary with modules keeps link time and disk use down.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod cli;
mod docker;
mod epix_https;
mod exposure;
mod interop;
mod issue_verify;
mod journey;
mod log_http;
mod netns;
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
    network_serving(false)
}

/// Starts a [`Network`] before the Secretariat accredits Ghana's MA; with `tls`, each node
/// serves HTTPS with its own self-signed certificate and trusts only the other's.
pub fn network_serving(tls: bool) -> Network {
    let dir = tempfile::tempdir().unwrap();
    let (sec_port, gh_port) = (e2e_support::free_port(), e2e_support::free_port());
    let (sec_config, sec_out) = e2e_support::init_with(
        &bin(),
        dir.path(),
        "secretariat",
        "secretariat",
        "CH",
        sec_port,
        tls,
    );
    let (gh_config, gh_out) =
        e2e_support::init_with(&bin(), dir.path(), "gh", "gh", "GH", gh_port, tls);
    let cert = |id: &str| dir.path().join(format!("{id}-data/tls/cert.pem"));
    let scheme = if tls { "https" } else { "http" };
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
    for (config, peer, other, fees) in [
        (&sec_config, gh_port, "gh", ""),
        // Ghana charges for export permits, so the workflow test sees an invoice.
        (
            &gh_config,
            sec_port,
            "secretariat",
            "[fees]\nexport_permit = { amount = 5000, currency = \"GHS\" }\n",
        ),
    ] {
        let text = std::fs::read_to_string(config).unwrap();
        // Top-level keys go before the file's first table.
        let (top, tables) = text.split_at(text.find("\n[").map_or(text.len(), |i| i + 1));
        let trust = if tls {
            format!("trust_ca = [{:?}]\n", cert(other))
        } else {
            String::new()
        };
        std::fs::write(
            config,
            format!(
                "{top}genesis = \"genesis.json\"\npeers = [\"{scheme}://127.0.0.1:{peer}\"]\n{trust}{tables}{fees}"
            ),
        )
        .unwrap();
    }
    let node = |config: &std::path::Path, port: u16, id: &str| {
        if tls {
            e2e_support::Node::over_tls(&bin(), config, port, &cert(id))
        } else {
            e2e_support::Node::from_config(&bin(), config, port)
        }
    };
    let mut secretariat = node(&sec_config, sec_port, "secretariat");
    let mut gh = node(&gh_config, gh_port, "gh");
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
    let accredit: serde_json::Value = gh
        .agent
        .get(format!("{}/registry/accreditation-request", gh.url))
        .call()
        .unwrap()
        .body_mut()
        .read_json()
        .unwrap();
    assert_eq!(accredit["subject"], gh_did.as_str());
    let r = secretariat
        .agent
        .post(format!("{}/registry/entries", secretariat.url))
        .header("authorization", &format!("Bearer {}", token("secretariat")))
        .send_json(&accredit)
        .unwrap();
    assert_eq!(r.status(), 201);
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    while gh
        .agent
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
