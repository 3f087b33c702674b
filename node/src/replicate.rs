//! Replicating other nodes' logs over HTTP, through the ledger's replica API.
//!
//! Until the peer-to-peer network carries it, a node polls the peers named in its config: it
//! reads each peer's signed checkpoint, accepts it only with the log key the genesis or the
//! registry gives for that log's origin, checks it is consistent with what it holds (keeping
//! evidence of any conflict), then fetches the missing entries with proofs and stores them only
//! once they lead to the checkpoint. Registry entries found on replicated logs are fed to the
//! node's registry, so an accreditation or a key rotation on one node becomes visible in
//! resolution on the others.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, bail};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use ledger::{ConsistencyProof, Hash, NoteVerifier, Replica};
use serde_json::Value;
use tokio::sync::watch;

use crate::http::AppState;

/// Entries fetched per request.
const CHUNK: u64 = 500;

fn hashes(value: &Value) -> anyhow::Result<ConsistencyProof> {
    let list = value["proof"]
        .as_array()
        .context("no proof in the answer")?;
    let mut out = Vec::with_capacity(list.len());
    for h in list {
        let bytes = STANDARD
            .decode(h.as_str().unwrap_or_default())
            .context("proof hash is not base64")?;
        out.push(Hash::from_slice(&bytes).context("proof hash is not 32 bytes")?);
    }
    Ok(ConsistencyProof { hashes: out })
}

fn get_json(agent: &ureq::Agent, url: &str) -> anyhow::Result<Value> {
    let mut r = agent
        .get(url)
        .call()
        .with_context(|| format!("cannot reach {url}"))?;
    if r.status() != 200 {
        bail!("{url} answered {}", r.status());
    }
    r.body_mut()
        .read_json()
        .with_context(|| format!("{url} did not answer JSON"))
}

/// The replicas this node holds, by log origin.
#[derive(Default)]
pub struct Replicas {
    logs: std::sync::Mutex<BTreeMap<String, Replica>>,
}

impl Replicas {
    /// Every replica held, with its size.
    pub fn sizes(&self) -> Vec<(String, u64)> {
        self.logs
            .lock()
            .map(|logs| logs.iter().map(|(o, r)| (o.clone(), r.size())).collect())
            .unwrap_or_default()
    }
}

/// One round against one peer; returns how many entries were added.
fn sync_peer(state: &AppState, peer: &str) -> anyhow::Result<u64> {
    let registry = state.registry.as_ref().context("no genesis")?;
    let agent = &state.peers_http;
    let mut r = agent
        .get(format!("{peer}/checkpoint"))
        .call()
        .with_context(|| format!("cannot reach {peer}"))?;
    if r.status() != 200 {
        bail!("{peer}/checkpoint answered {}", r.status());
    }
    let note = r.body_mut().read_to_vec()?;
    // Read (not yet trusted) to learn whose log it is; the replica checks the signature.
    let (body, _) = ledger::note::split(&note)
        .with_context(|| format!("{peer}/checkpoint is not a signed note"))?;
    let announced =
        ledger::Checkpoint::parse(&body).with_context(|| format!("{peer}/checkpoint"))?;
    let origin = announced.origin.clone();
    if origin == state.anchor.origin() {
        return Ok(0);
    }
    let Some(log_key) = registry.log_key(&origin)? else {
        bail!("{peer} serves log {origin:?}, which neither the genesis nor the registry knows");
    };
    let verifier = NoteVerifier::from_key_string(&log_key).context("registry log key")?;
    let mut logs = state
        .replicas
        .logs
        .lock()
        .map_err(|_| anyhow::anyhow!("replica lock poisoned"))?;
    if !logs.contains_key(&origin) {
        let replica = Replica::open(state.anchor.store().clone(), &origin, verifier)?;
        logs.insert(origin.clone(), replica);
    }
    let replica = logs.get_mut(&origin).context("replica vanished")?;
    let held = replica.checkpoint().map(|c| c.size()).unwrap_or(0);
    let size = announced.size;
    let proof = if held > 0 && size > held {
        hashes(&get_json(
            agent,
            &format!("{peer}/log/consistency/{held}/{size}"),
        )?)?
    } else {
        ConsistencyProof { hashes: Vec::new() }
    };
    let now = chrono::Utc::now().timestamp().max(0) as u64;
    replica.update_checkpoint(&note, &proof, now).map_err(|e| {
        tracing::error!(log = %origin, error = %e, "replication refused a checkpoint");
        anyhow::anyhow!(e)
    })?;
    let target = replica.checkpoint().map(|c| c.size()).unwrap_or(0);
    let mut added = 0;
    let mut registry_leaves = Vec::new();
    while replica.size() < target {
        let start = replica.size();
        let end = (start + CHUNK).min(target);
        let body = get_json(agent, &format!("{peer}/log/entries/{start}/{end}"))?;
        let entries: Vec<Vec<u8>> = body["entries"]
            .as_array()
            .context("no entries in the answer")?
            .iter()
            .map(|e| {
                STANDARD
                    .decode(e.as_str().unwrap_or_default())
                    .context("entry is not base64")
            })
            .collect::<anyhow::Result<_>>()?;
        if entries.len() as u64 != end - start {
            bail!("{peer} sent {} entries for {start}..{end}", entries.len());
        }
        let proof = if end < target {
            hashes(&get_json(
                agent,
                &format!("{peer}/log/consistency/{end}/{target}"),
            )?)?
        } else {
            ConsistencyProof { hashes: Vec::new() }
        };
        replica.append_entries(start, &entries, &proof)?;
        for (i, e) in entries.iter().enumerate() {
            if did_registry::entry::is_registry_leaf(e) {
                registry_leaves.push((start + i as u64, e.clone()));
            }
        }
        added += end - start;
    }
    drop(logs);
    crate::store::index_replica(state.anchor.store(), &origin)?;
    if !registry_leaves.is_empty() {
        registry.add_replicated(state.anchor.reader(), &origin, registry_leaves)?;
    }
    if added > 0 {
        tracing::info!(log = %origin, added, size = target, "replica updated");
    }
    Ok(added)
}

/// Polls the peers every `interval` until shutdown.
pub async fn run(
    state: Arc<AppState>,
    peers: Vec<String>,
    interval: Duration,
    mut shutdown: watch::Receiver<bool>,
) {
    if peers.is_empty() || state.registry.is_none() {
        return;
    }
    loop {
        for peer in &peers {
            let s = state.clone();
            let p = peer.clone();
            match tokio::task::spawn_blocking(move || sync_peer(&s, &p)).await {
                Ok(Ok(_)) => {}
                Ok(Err(e)) => {
                    tracing::warn!(peer = %peer, error = %format!("{e:#}"), "replication round failed")
                }
                Err(e) => tracing::error!(error = %e, "replication task failed"),
            }
        }
        let s = state.clone();
        let p = peers.clone();
        if let Err(e) = tokio::task::spawn_blocking(move || crate::witnessing::round(&s, &p)).await
        {
            tracing::error!(error = %e, "witnessing task failed");
        }
        tokio::select! {
            _ = tokio::time::sleep(interval) => {}
            _ = shutdown.wait_for(|stop| *stop) => return,
        }
    }
}
