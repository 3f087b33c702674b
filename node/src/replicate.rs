//! Replicating other nodes' logs through the ledger's replica API, from peers on the libp2p
//! network or from the HTTP endpoints of the nodes named in `peers`.
//!
//! A sync reads a signed checkpoint, accepts it only with the log key the genesis or the
//! registry gives for that log's origin, checks it is consistent with what it holds (keeping
//! evidence of any conflict), then fetches the missing entries with proofs and stores them only
//! once they lead to the checkpoint. Registry entries found on replicated logs are fed to the
//! node's registry, so an accreditation or a key rotation on one node becomes visible in
//! resolution on the others.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

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

/// The replicas this node holds, by log origin; each behind its own lock, so two logs
/// replicate at once while one log is never written by two syncs.
#[derive(Default)]
pub struct Replicas {
    logs: std::sync::Mutex<BTreeMap<String, Arc<std::sync::Mutex<Replica>>>>,
    /// Verified entries per replica, kept apart from the replicas' locks: a sync holds its
    /// replica's lock for the whole catch-up, and a size must never wait for it.
    sizes: std::sync::Mutex<BTreeMap<String, u64>>,
}

impl Replicas {
    /// Every replica held, with its size.
    pub fn sizes(&self) -> Vec<(String, u64)> {
        self.sizes
            .lock()
            .map(|s| s.iter().map(|(o, n)| (o.clone(), *n)).collect())
            .unwrap_or_default()
    }

    fn set_size(&self, origin: &str, size: u64) {
        if let Ok(mut s) = self.sizes.lock() {
            s.insert(origin.to_owned(), size);
        }
    }

    /// The replica of `origin`, opened on first use.
    fn get(
        &self,
        store: &ledger::Store,
        origin: &str,
        verifier: NoteVerifier,
    ) -> anyhow::Result<Arc<std::sync::Mutex<Replica>>> {
        let mut logs = self
            .logs
            .lock()
            .map_err(|_| anyhow::anyhow!("replica lock poisoned"))?;
        if let Some(r) = logs.get(origin) {
            return Ok(r.clone());
        }
        let opened = Replica::open(store.clone(), origin, verifier)?;
        self.set_size(origin, opened.size());
        let replica = Arc::new(std::sync::Mutex::new(opened));
        logs.insert(origin.to_owned(), replica.clone());
        Ok(replica)
    }
}

/// Where a log's checkpoints and entries come from: a peer over libp2p, or a node's HTTP
/// endpoints. Blocking: replication runs off the async runtime.
pub trait LogSource {
    /// Names the source in logs and errors.
    fn describe(&self) -> String;
    /// The latest signed checkpoint of `origin` (`None`: whatever log the source serves).
    fn checkpoint(&self, origin: Option<&str>) -> anyhow::Result<Vec<u8>>;
    /// The consistency proof between two sizes.
    fn consistency(&self, origin: &str, old: u64, new: u64) -> anyhow::Result<ConsistencyProof>;
    /// Entries `[start, end)` and the consistency proof from `end` to `to`.
    fn entries(
        &self,
        origin: &str,
        start: u64,
        end: u64,
        to: u64,
    ) -> anyhow::Result<(Vec<Vec<u8>>, ConsistencyProof)>;
    /// Most entries asked for at once.
    fn chunk(&self) -> u64;
}

/// A node's own log over its HTTP endpoints (`peers` in the config).
pub struct HttpSource<'a> {
    /// The shared agent.
    pub agent: &'a ureq::Agent,
    /// The node's base URL.
    pub url: &'a str,
}

impl LogSource for HttpSource<'_> {
    fn describe(&self) -> String {
        self.url.to_owned()
    }

    fn checkpoint(&self, _: Option<&str>) -> anyhow::Result<Vec<u8>> {
        let peer = self.url;
        let mut r = self
            .agent
            .get(format!("{peer}/checkpoint"))
            .call()
            .with_context(|| format!("cannot reach {peer}"))?;
        if r.status() != 200 {
            bail!("{peer}/checkpoint answered {}", r.status());
        }
        Ok(r.body_mut().read_to_vec()?)
    }

    fn consistency(&self, _: &str, old: u64, new: u64) -> anyhow::Result<ConsistencyProof> {
        hashes(&get_json(
            self.agent,
            &format!("{}/log/consistency/{old}/{new}", self.url),
        )?)
    }

    fn entries(
        &self,
        origin: &str,
        start: u64,
        end: u64,
        to: u64,
    ) -> anyhow::Result<(Vec<Vec<u8>>, ConsistencyProof)> {
        let peer = self.url;
        let body = get_json(self.agent, &format!("{peer}/log/entries/{start}/{end}"))?;
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
        let proof = if end < to {
            self.consistency(origin, end, to)?
        } else {
            ConsistencyProof { hashes: Vec::new() }
        };
        Ok((entries, proof))
    }

    fn chunk(&self) -> u64 {
        CHUNK
    }
}

/// Catch-up progress is logged at most this often.
const PROGRESS_EVERY: Duration = Duration::from_secs(2);

/// Brings the replica of one log up to the source's checkpoint (`note`, when an announcement
/// already carried it): the checkpoint is accepted only with the log key the genesis or the
/// registry gives for its origin and only if consistent with what is held (evidence of any
/// conflict is kept), then the missing entries are fetched in chunks, each checked against the
/// checkpoint before it is stored. Returns how many entries were added.
pub fn sync(
    state: &AppState,
    source: &dyn LogSource,
    asked: Option<&str>,
    note: Option<Vec<u8>>,
) -> anyhow::Result<u64> {
    let registry = state.registry.as_ref().context("no genesis")?;
    let peer = source.describe();
    let note = match note {
        Some(n) => n,
        None => source.checkpoint(asked)?,
    };
    // Read (not yet trusted) to learn whose log it is; the replica checks the signature.
    let (body, _) = ledger::note::split(&note)
        .with_context(|| format!("{peer}: the checkpoint is not a signed note"))?;
    let announced =
        ledger::Checkpoint::parse(&body).with_context(|| format!("{peer}: checkpoint"))?;
    let origin = announced.origin.clone();
    if origin == state.anchor.origin() {
        return Ok(0);
    }
    if let Some(asked) = asked.filter(|a| *a != origin) {
        bail!("{peer} answered with a checkpoint of {origin:?}, not of {asked:?}");
    }
    let Some(log_key) = registry.log_key(&origin)? else {
        bail!("{peer} serves log {origin:?}, which neither the genesis nor the registry knows");
    };
    let verifier = NoteVerifier::from_key_string(&log_key).context("registry log key")?;
    let replica = state
        .replicas
        .get(state.anchor.store(), &origin, verifier)?;
    let mut replica = replica
        .lock()
        .map_err(|_| anyhow::anyhow!("replica lock poisoned"))?;
    let held = replica.checkpoint().map(|c| c.size()).unwrap_or(0);
    let size = announced.size;
    let proof = if held > 0 && size > held {
        source.consistency(&origin, held, size)?
    } else if size < held && size > replica.size() {
        // Older than the checkpoint held, beyond the entries held: proven against the held one.
        source.consistency(&origin, size, held)?
    } else {
        ConsistencyProof { hashes: Vec::new() }
    };
    let now = chrono::Utc::now().timestamp().max(0) as u64;
    replica.update_checkpoint(&note, &proof, now).map_err(|e| {
        // A fork already alerted on is met again at every poll that compares the log.
        if crate::alerts::raise_replica(state, &origin, &peer, &e) {
            tracing::debug!(log = %origin, error = %e, "replication refused a checkpoint");
        } else {
            tracing::error!(log = %origin, error = %e, "replication refused a checkpoint");
        }
        anyhow::anyhow!(e)
    })?;
    crate::witnessing::keep_cosignatures(registry, &replica.reader(), size, &note);
    let target = replica.checkpoint().map(|c| c.size()).unwrap_or(0);
    let mut added = 0;
    let mut registry_leaves = Vec::new();
    let (started, mut reported) = (Instant::now(), Instant::now());
    while replica.size() < target {
        let start = replica.size();
        let end = (start + source.chunk()).min(target);
        let (entries, proof) = source.entries(&origin, start, end, target)?;
        // A source may send fewer (its answers are capped in bytes), never none or more.
        if entries.is_empty() || entries.len() as u64 > end - start {
            bail!("{peer} sent {} entries for {start}..{end}", entries.len());
        }
        let end = start + entries.len() as u64;
        replica.append_entries(start, &entries, &proof)?;
        state.replicas.set_size(&origin, end);
        for (i, e) in entries.iter().enumerate() {
            if did_registry::entry::is_registry_leaf(e) {
                registry_leaves.push((start + i as u64, e.clone()));
            }
        }
        added += end - start;
        if reported.elapsed() >= PROGRESS_EVERY {
            reported = Instant::now();
            let rate = added as f64 / started.elapsed().as_secs_f64().max(1e-3);
            tracing::info!(
                log = %origin, from = %peer, entries = end, of = target,
                rate = format!("{rate:.0}/s"),
                remaining_s = format!("{:.0}", (target - end) as f64 / rate.max(1.0)),
                "catching up"
            );
        }
    }
    // Still under the replica's lock: a second sync of this log must not replay the registry
    // with its later entries before these are recorded.
    crate::store::index_replica(state.anchor.store(), &origin)?;
    if !registry_leaves.is_empty() {
        let refused = registry.add_replicated(state.anchor.reader(), &origin, registry_leaves)?;
        for (position, error) in refused {
            let subject = format!("{}/{}", position.log, position.index);
            let summary = format!("registry entry {subject} refused: {error}");
            if let Err(e) = crate::alerts::raise(
                state,
                crate::alerts::AlertKind::UnaccreditedAuthor,
                &subject,
                summary,
                serde_json::Value::Null,
            ) {
                tracing::error!(error = %format!("{e:#}"), "alert not stored");
            }
        }
    }
    drop(replica);
    if added > 0 {
        tracing::info!(log = %origin, from = %peer, added, size = target, "replica updated");
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
            match tokio::task::spawn_blocking(move || {
                let source = HttpSource {
                    agent: &s.peers_http,
                    url: &p,
                };
                sync(&s, &source, None, None)
            })
            .await
            {
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
