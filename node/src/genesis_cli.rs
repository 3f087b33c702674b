//! `cites-node genesis new`: the Secretariat creates the genesis of a new network from its own
//! node (its did:web, its assertion key, its log) and the witnesses' keys.

use std::path::Path;

use anyhow::{Context, bail};
use did_registry::Genesis;
use did_registry::did::VerificationKey;
use did_registry::genesis::{SecretariatInfo, Witness, WitnessPolicy};

use crate::config::Config;

/// Builds, checks and writes the genesis (refusing to overwrite a file); returns its id.
pub fn create(
    config: &Config,
    network: &str,
    witnesses: &[String],
    quorum: u32,
    bootstrap: &[String],
    out: &Path,
) -> anyhow::Result<String> {
    let issuer = crate::issuer::Issuer::load(config, false)?;
    let log_key = crate::keys::load_log_key(config, false)?
        .verifier()
        .to_key_string();
    let public =
        did_registry::Ed25519PublicKey::from_bytes(issuer.current().signer.public().to_bytes())
            .map_err(|e| anyhow::anyhow!("the node's key: {e}"))?;
    let mut policy = WitnessPolicy {
        witnesses: Vec::new(),
        quorum,
    };
    for w in witnesses {
        let name = w.split('+').next().unwrap_or_default();
        policy.witnesses.push(Witness {
            name: name
                .parse()
                .map_err(|e| anyhow::anyhow!("witness {w:?}: {e}"))?,
            key: w
                .parse()
                .map_err(|e| anyhow::anyhow!("witness {w:?}: {e}"))?,
        });
    }
    let genesis = Genesis {
        network: network
            .parse()
            .map_err(|e| anyhow::anyhow!("--network: {e}"))?,
        secretariat: SecretariatInfo {
            did: issuer
                .did
                .parse()
                .map_err(|e| anyhow::anyhow!("the node's DID: {e}"))?,
            verification_method: VerificationKey {
                id: "key-1".parse().map_err(|e| anyhow::anyhow!("{e}"))?,
                public_key_multibase: public,
            },
            log_origin: config
                .log_origin
                .parse()
                .map_err(|e| anyhow::anyhow!("log origin: {e}"))?,
            log_key: log_key
                .parse()
                .map_err(|e| anyhow::anyhow!("log key: {e}"))?,
        },
        witness_policy: policy,
        bootstrap: bootstrap_addrs(config, bootstrap)?,
    };
    genesis
        .check()
        .map_err(|e| anyhow::anyhow!("the genesis would be invalid: {e}"))?;
    if out.exists() {
        bail!(
            "{} exists already; a network's genesis is never replaced",
            out.display()
        );
    }
    let text = genesis
        .to_json_pretty()
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    std::fs::write(out, text).with_context(|| format!("cannot write {}", out.display()))?;
    Ok(genesis
        .genesis_id()
        .map_err(|e| anyhow::anyhow!("{e}"))?
        .to_string())
}

/// The bootstrap multiaddrs: those given, else the Secretariat node's own `p2p_listen` with its
/// PeerId (when it listens on a dialable address).
fn bootstrap_addrs(
    config: &Config,
    given: &[String],
) -> anyhow::Result<Vec<did_registry::did::Token>> {
    let mut addrs: Vec<String> = given.to_vec();
    if addrs.is_empty()
        && let Some(listen) = config.p2p_listen.filter(|a| !a.ip().is_unspecified())
    {
        addrs.push(format!(
            "{}/p2p/{}",
            crate::peering::socket_multiaddr(listen),
            crate::issuer::network_peer_id(config)?
        ));
    }
    addrs
        .iter()
        .map(|a| {
            a.parse::<libp2p::Multiaddr>()
                .with_context(|| format!("--bootstrap {a:?} is not a libp2p multiaddr"))?;
            a.parse()
                .map_err(|e| anyhow::anyhow!("--bootstrap {a:?}: {e}"))
        })
        .collect()
}
