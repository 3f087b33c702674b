//! The node on the peer-to-peer network: what it answers its peers (its log and the replicas
//! it holds, its witness), and what it does on its own (dial the accredited nodes, drop the
//! withdrawn ones, replicate on every announcement and on a slower poll, have its checkpoints
//! cosigned and announce them).

use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::Context;
use libp2p::{Multiaddr, PeerId};
use serde_bytes::ByteBuf;
use tokio::sync::{Semaphore, mpsc, watch};

use crate::alerts::{self, AlertKind};
use crate::http::AppState;
use crate::p2p::{self, Announcement, Network, Request, Response};
use crate::replicate::{self, LogSource};
use crate::witnessing::{self, Reply};

/// A witness that has not cosigned for this long raises an alert.
const WITNESS_SILENT_AFTER: Duration = Duration::from_secs(120);

/// Starts the network for a node with a genesis and a `p2p_listen` address.
pub fn start(state: Arc<AppState>, shutdown: watch::Receiver<bool>) -> anyhow::Result<Network> {
    let registry_state = state.clone();
    let policy: p2p::PeerPolicy = Arc::new(move |peer: &PeerId| {
        registry_state
            .registry
            .as_ref()
            .is_some_and(|r| r.peer_allowed(&peer.to_string()))
    });
    let genesis = state
        .registry
        .as_ref()
        .context("the p2p network needs a genesis")?
        .genesis();
    let listen = state.config.p2p_listen.context("no p2p_listen address")?;
    let settings = p2p::Settings {
        keypair: p2p::keypair(&crate::issuer::network_seed(&state.config)?)?,
        listen: socket_multiaddr(listen),
        topic: format!("cites/{}/checkpoints", genesis.network),
        policy,
    };
    let serve_state = state.clone();
    let (announce_tx, announce_rx) = mpsc::channel(4096);
    let (network, dialer) = p2p::start(
        settings,
        Arc::new(move |peer, request| serve(&serve_state, peer, request)),
        announce_tx,
        shutdown.clone(),
    )?;
    tracing::info!(peer_id = %network.peer_id(), "p2p network started");
    // Requests to peers wait on a blocking thread; bounded, so answering peers (which needs
    // blocking threads too) never starves.
    let slots = Arc::new(Semaphore::new(state.config.p2p_sync_slots.max(1)));
    tokio::spawn(on_announcements(
        state.clone(),
        network.clone(),
        announce_rx,
        slots.clone(),
        shutdown.clone(),
    ));
    // Witness submissions have slots of their own: a node busy replicating others still gets
    // its own checkpoints cosigned.
    let witness_slots = Arc::new(Semaphore::new(8));
    tokio::spawn(publish(
        state.clone(),
        network.clone(),
        witness_slots,
        shutdown.clone(),
    ));
    tokio::spawn(maintain(state, network.clone(), dialer, slots, shutdown));
    Ok(network)
}

/// `/ip4/A/tcp/P` of a socket address.
pub fn socket_multiaddr(addr: std::net::SocketAddr) -> Multiaddr {
    let ip = match addr.ip() {
        std::net::IpAddr::V4(ip) => libp2p::multiaddr::Protocol::Ip4(ip),
        std::net::IpAddr::V6(ip) => libp2p::multiaddr::Protocol::Ip6(ip),
    };
    Multiaddr::empty()
        .with(ip)
        .with(libp2p::multiaddr::Protocol::Tcp(addr.port()))
}

/// Entries in one answer stop past this many bytes (the transport accepts answers to 32 MiB).
const MAX_ANSWER_BYTES: usize = 8 * 1024 * 1024;

fn refused(code: u16, reason: impl Into<String>) -> Response {
    Response::Refused {
        code,
        reason: reason.into(),
    }
}

/// Reads log `origin` if this node holds it (its own or a replica), with the size it can
/// serve: every entry up to it is held and a checkpoint of that size is stored.
fn held_log(state: &AppState, origin: &str) -> Result<(ledger::LogReader, u64), Response> {
    let reader = if origin == state.anchor.origin() {
        state.anchor.reader().clone()
    } else {
        ledger::LogReader::new(state.anchor.store().clone(), origin)
    };
    let latest = reader
        .latest_checkpoint()
        .map_err(|e| refused(500, e.to_string()))?
        .ok_or_else(|| refused(404, format!("this node holds no log {origin:?}")))?;
    let size = reader.size().map_err(|e| refused(500, e.to_string()))?;
    if latest.size() > size {
        // A replica between its checkpoint and the entries: ask the log's own node.
        return Err(refused(
            503,
            format!("still fetching {origin} up to {}", latest.size()),
        ));
    }
    Ok((reader, latest.size()))
}

/// Answers one request of the node protocol (blocking: store reads and the witness's writes).
fn serve(state: &AppState, _peer: PeerId, request: Request) -> Response {
    let outcome = match &request {
        Request::Checkpoint { origin } => held_log(state, origin).and_then(|(reader, size)| {
            match reader.cosigned_checkpoint(size) {
                Ok(Some(note)) => Ok(Response::Checkpoint {
                    note: ByteBuf::from(note),
                }),
                Ok(None) => Err(refused(404, "no checkpoint")),
                Err(e) => Err(refused(500, e.to_string())),
            }
        }),
        &Request::Entries {
            ref origin,
            start,
            end,
            to,
        } => held_log(state, origin).and_then(|(reader, size)| {
            if let Some(problem) = request.range_problem(size) {
                return Err(refused(400, problem));
            }
            // Read in small pieces and stop past a byte budget, so one answer stays bounded
            // whatever the entries' sizes; the requester asks again from where it ends.
            let mut entries = Vec::new();
            let mut bytes = 0usize;
            let mut at = start;
            while at < end && bytes < MAX_ANSWER_BYTES {
                let piece = reader
                    .leaves(at, (at + 100).min(end))
                    .map_err(|e| refused(500, e.to_string()))?;
                for leaf in piece {
                    if bytes >= MAX_ANSWER_BYTES {
                        break;
                    }
                    bytes += leaf.len();
                    entries.push(leaf);
                    at += 1;
                }
            }
            let end = at;
            let proof = if end < to {
                reader
                    .consistency_proof(end, to)
                    .map_err(|e| refused(500, e.to_string()))?
                    .hashes
            } else {
                Vec::new()
            };
            Ok(Response::Entries {
                entries: entries.into_iter().map(ByteBuf::from).collect(),
                proof: p2p::proof_to_wire(&proof),
            })
        }),
        &Request::Consistency {
            ref origin,
            old,
            new,
        } => held_log(state, origin).and_then(|(reader, size)| {
            if let Some(problem) = request.range_problem(size) {
                return Err(refused(400, problem));
            }
            reader
                .consistency_proof(old, new)
                .map(|p| Response::Consistency {
                    proof: p2p::proof_to_wire(&p.hashes),
                })
                .map_err(|e| refused(500, e.to_string()))
        }),
        Request::Epix { jws } => Ok(Response::Epix(crate::epix::serve(state, jws))),
        Request::Heads => {
            // Our own log at its latest checkpoint: entries not yet covered cannot be fetched.
            let own = state
                .anchor
                .reader()
                .latest_checkpoint()
                .ok()
                .flatten()
                .map_or(0, |c| c.size());
            let mut heads = vec![(state.anchor.origin().to_owned(), own)];
            heads.extend(state.replicas.sizes());
            Ok(Response::Heads { heads })
        }
        Request::AddCheckpoint { body } => Ok(match witnessing::cosign(state, body) {
            Reply::Cosigned(lines) => Response::Cosigned { lines },
            Reply::Conflict(size) => Response::Conflict { size },
            Reply::Refused(code, reason) => refused(code, reason),
        }),
    };
    outcome.unwrap_or_else(|r| r)
}

/// Logs fetched from peers over libp2p: each call tries the peers in turn, so a relay that
/// has not caught up yet hands over to the log's own node. Mixing peers within one sync is
/// safe: every entry is checked against the one checkpoint.
pub struct P2pSource {
    network: Network,
    peers: Vec<PeerId>,
}

impl P2pSource {
    fn ask(&self, request: Request) -> anyhow::Result<Response> {
        let mut last = anyhow::anyhow!("no peer to ask");
        for peer in &self.peers {
            match self.network.request_blocking(*peer, request.clone()) {
                Ok(Response::Refused { code, reason }) => {
                    last = anyhow::anyhow!("{peer} refused ({code}): {reason}");
                }
                Ok(r) => return Ok(r),
                Err(e) => last = e,
            }
        }
        Err(last)
    }
}

impl LogSource for P2pSource {
    fn describe(&self) -> String {
        self.peers
            .first()
            .map(|p| p.to_string())
            .unwrap_or_default()
    }

    fn checkpoint(&self, origin: Option<&str>) -> anyhow::Result<Vec<u8>> {
        let origin = origin.context("a peer serves several logs: name the origin")?;
        match self.ask(Request::Checkpoint {
            origin: origin.to_owned(),
        })? {
            Response::Checkpoint { note } => Ok(note.into_vec()),
            other => anyhow::bail!("unexpected answer to a checkpoint request: {other:?}"),
        }
    }

    fn consistency(
        &self,
        origin: &str,
        old: u64,
        new: u64,
    ) -> anyhow::Result<ledger::ConsistencyProof> {
        match self.ask(Request::Consistency {
            origin: origin.to_owned(),
            old,
            new,
        })? {
            Response::Consistency { proof } => Ok(p2p::proof_from_wire(&proof)?),
            other => anyhow::bail!("unexpected answer to a consistency request: {other:?}"),
        }
    }

    fn entries(
        &self,
        origin: &str,
        start: u64,
        end: u64,
        to: u64,
    ) -> anyhow::Result<(Vec<Vec<u8>>, ledger::ConsistencyProof)> {
        match self.ask(Request::Entries {
            origin: origin.to_owned(),
            start,
            end,
            to,
        })? {
            Response::Entries { entries, proof } => Ok((
                entries.into_iter().map(ByteBuf::into_vec).collect(),
                p2p::proof_from_wire(&proof)?,
            )),
            other => anyhow::bail!("unexpected answer to an entries request: {other:?}"),
        }
    }

    fn chunk(&self) -> u64 {
        p2p::MAX_ENTRIES
    }
}

/// The PeerId of the node whose log is `origin`, if the registry knows it.
fn owner_of(state: &AppState, origin: &str) -> Option<PeerId> {
    let peers = state.registry.as_ref()?.p2p_peers().ok()?;
    peers
        .into_iter()
        .find(|p| p.log_origin == origin)
        .and_then(|p| p.peer_id.parse().ok())
}

/// An announcement whose sync failed for a reason of the moment (a peer busy, a relay still
/// fetching) is tried again after each of these waits, from more peers, before it is left to
/// the next poll: gossipsub delivers each message once, so without a retry a node that missed
/// it waits a whole poll interval.
const ANNOUNCEMENT_RETRIES: [Duration; 3] = [
    Duration::from_millis(200),
    Duration::from_millis(400),
    Duration::from_millis(800),
];

/// Connected peers added as sources when an announcement's sync is retried.
const RETRY_PEERS: usize = 3;

/// Replicates on every announcement, from the peer that passed it on (then from the log's
/// own node, then on a retry from other peers), and tells gossipsub whether to pass it on.
async fn on_announcements(
    state: Arc<AppState>,
    network: Network,
    mut rx: mpsc::Receiver<Announcement>,
    slots: Arc<Semaphore>,
    mut shutdown: watch::Receiver<bool>,
) {
    loop {
        let announcement = tokio::select! {
            a = rx.recv() => match a { Some(a) => a, None => return },
            _ = shutdown.wait_for(|stop| *stop) => return,
        };
        // Waiting for a slot before taking the next announcement keeps the backlog in the
        // channel, which drops what does not fit.
        let Ok(slot) = slots.clone().acquire_owned().await else {
            return;
        };
        let origin = ledger::note::split(&announcement.note)
            .ok()
            .and_then(|(body, _)| ledger::Checkpoint::parse(&body).ok())
            .map(|c| c.origin);
        let Some(origin) = origin else {
            tracing::debug!(from = %announcement.from, "announcement is not a checkpoint");
            network.judge(announcement, p2p::Verdict::Reject).await;
            continue;
        };
        tokio::spawn(replicate_announced(
            state.clone(),
            network.clone(),
            announcement,
            origin,
            (slot, slots.clone()),
        ));
    }
}

/// Syncs log `origin` up to an announced checkpoint, retrying what may succeed later, and
/// judges the announcement. The sync slot is held only while syncing, not while waiting.
async fn replicate_announced(
    state: Arc<AppState>,
    network: Network,
    announcement: Announcement,
    origin: String,
    (slot, slots): (tokio::sync::OwnedSemaphorePermit, Arc<Semaphore>),
) {
    let mut peers = vec![announcement.from];
    if let Some(owner) = owner_of(&state, &origin).filter(|o| *o != announcement.from) {
        peers.push(owner);
    }
    let mut slot = Some(slot);
    let mut verdict = p2p::Verdict::Ignore;
    let received = Instant::now();
    for attempt in 0..=ANNOUNCEMENT_RETRIES.len() {
        if attempt > 0 {
            tokio::time::sleep(ANNOUNCEMENT_RETRIES[attempt - 1]).await;
            let more: Vec<PeerId> = network
                .connected()
                .into_iter()
                .filter(|p| !peers.contains(p))
                .take(RETRY_PEERS)
                .collect();
            peers.extend(more);
        }
        let held = match slot.take() {
            Some(s) => s,
            None => match slots.clone().acquire_owned().await {
                Ok(s) => s,
                Err(_) => return,
            },
        };
        let source = P2pSource {
            network: network.clone(),
            peers: peers.clone(),
        };
        let (state, note, log) = (state.clone(), announcement.note.clone(), origin.clone());
        let outcome = tokio::task::spawn_blocking(move || {
            let _slot = held;
            replicate::sync(&state, &source, Some(&log), Some(note))
        })
        .await;
        let e = match outcome {
            Ok(Ok(added)) => {
                tracing::debug!(log = %origin, from = %announcement.from, added, attempt,
                    ms = received.elapsed().as_millis() as u64, "announcement replicated");
                verdict = p2p::Verdict::Accept;
                break;
            }
            Ok(Err(e)) => e,
            Err(e) => {
                tracing::error!(error = %e, "replication task failed");
                break;
            }
        };
        // A checkpoint the log's key does not sign, or one that contradicts what is held, is
        // the sender's fault and no retry changes it; anything else may pass later.
        if matches!(
            e.downcast_ref::<ledger::ReplicaError>(),
            Some(ledger::ReplicaError::Equivocation { .. } | ledger::ReplicaError::Checkpoint(_))
        ) {
            tracing::warn!(log = %origin, error = %format!("{e:#}"), "announcement refused");
            verdict = p2p::Verdict::Reject;
            break;
        }
        if attempt == ANNOUNCEMENT_RETRIES.len() {
            tracing::warn!(log = %origin, error = %format!("{e:#}"), "replication from an announcement failed; left to the next poll");
        } else {
            tracing::debug!(log = %origin, attempt, error = %format!("{e:#}"), "replication from an announcement failed; trying again");
        }
    }
    network.judge(announcement, verdict).await;
}

/// Where a peer sits in this node's preference for connections: the Secretariat and the
/// genesis's witnesses first, then an order of its own (a hash of both PeerIds), so a
/// network of nodes with `p2p_max_peers` below its size is a random graph, not a star.
fn preference(
    own: &PeerId,
    peer: &crate::registry::P2pPeer,
    witnesses: &[String],
) -> (u8, Vec<u8>) {
    use sha2::Digest as _;
    let rank = if peer.party.is_none() {
        0
    } else if witnesses.contains(&peer.log_origin) {
        1
    } else {
        2
    };
    let mut h = sha2::Sha256::new();
    h.update(own.to_bytes());
    h.update(peer.peer_id.as_bytes());
    (rank, h.finalize().to_vec())
}

/// Every `sync_interval_ms`: dial accredited nodes (up to `p2p_max_peers`), drop peers no
/// longer accredited, and poll every log: from its own node when connected, else from a
/// connected peer's replica (a different one each round).
async fn maintain(
    state: Arc<AppState>,
    network: Network,
    dialer: p2p::Dialer,
    slots: Arc<Semaphore>,
    mut shutdown: watch::Receiver<bool>,
) {
    let interval = Duration::from_millis(state.config.sync_interval_ms.max(100));
    let mut backoff = p2p::DialBackoff::default();
    let polling: Arc<Polls> = Arc::default();
    let bootstrap: Vec<Multiaddr> = state
        .config
        .p2p_bootstrap
        .iter()
        .filter_map(|a| a.parse().ok())
        .collect();
    let mut turn = 0usize;
    loop {
        turn = turn.wrapping_add(1);
        let ctx = (&dialer, &bootstrap[..], &slots);
        if let Err(e) = round(&state, &network, ctx, &mut backoff, &polling, turn).await {
            tracing::warn!(error = %format!("{e:#}"), "p2p round failed");
        }
        tokio::select! {
            _ = tokio::time::sleep(interval) => {}
            _ = shutdown.wait_for(|stop| *stop) => return,
        }
    }
}

fn witness_names(state: &AppState) -> Vec<String> {
    state.registry.as_ref().map_or_else(Vec::new, |r| {
        r.genesis()
            .witness_policy
            .witnesses
            .iter()
            .map(|w| w.name.to_string())
            .collect()
    })
}

async fn round(
    state: &Arc<AppState>,
    network: &Network,
    (dialer, bootstrap, slots): (&p2p::Dialer, &[Multiaddr], &Arc<Semaphore>),
    backoff: &mut p2p::DialBackoff,
    polling: &Arc<Polls>,
    turn: usize,
) -> anyhow::Result<()> {
    let registry = state.registry.as_ref().context("no genesis")?;
    let own = network.peer_id();
    let witnesses = witness_names(state);
    let mut peers: Vec<_> = registry
        .p2p_peers()?
        .into_iter()
        .filter(|p| p.peer_id != own.to_string())
        .collect();
    peers.sort_by_cached_key(|p| preference(&own, p, &witnesses));
    let connected: BTreeSet<PeerId> = network.connected().into_iter().collect();
    // Drop.
    for peer in &connected {
        if !registry.peer_allowed(&peer.to_string()) {
            dialer.drop_peer(*peer).await;
        }
    }
    // Dial the configured addresses (the swarm skips peers already connected), then the
    // registry's, in order of preference, while below the cap.
    let mut to_dial: Vec<Multiaddr> = bootstrap.to_vec();
    let mut planned = connected.len();
    for p in &peers {
        let Ok(id) = p.peer_id.parse::<PeerId>() else {
            continue;
        };
        if connected.contains(&id) {
            continue;
        }
        // The Secretariat and the witnesses are always dialled.
        if planned >= state.config.p2p_max_peers && preference(&own, p, &witnesses).0 == 2 {
            break;
        }
        let addrs: Vec<Multiaddr> = p.addrs.iter().filter_map(|a| a.parse().ok()).collect();
        if !addrs.is_empty() {
            planned += 1;
        }
        to_dial.extend(addrs);
    }
    for addr in to_dial {
        if backoff.attempt(&addr) {
            dialer.dial(addr).await;
        }
    }
    // Poll: ask a few connected peers (a different few each round) for the size of every log
    // they hold, catch up on each log they hold more of, and compare one they hold as much of.
    // What gossip missed arrives this way.
    let relays: Vec<PeerId> = connected.iter().copied().collect();
    for k in 0..POLLED_PER_ROUND.min(relays.len()) {
        let peer = relays[(turn * POLLED_PER_ROUND + k) % relays.len()];
        let Ok(slot) = slots.clone().try_acquire_owned() else {
            break;
        };
        let (state, network, polling) = (state.clone(), network.clone(), polling.clone());
        tokio::task::spawn_blocking(move || {
            let _slot = slot;
            if let Err(e) = catch_up_from(&state, &network, peer, &polling, turn) {
                tracing::debug!(%peer, error = %format!("{e:#}"), "poll failed");
            }
        });
    }
    Ok(())
}

/// Peers asked for their heads each round.
const POLLED_PER_ROUND: usize = 3;

/// What polls share: the logs being synced by one, and since when each log has been behind
/// what a peer holds.
#[derive(Default)]
struct Polls {
    busy: Mutex<BTreeSet<String>>,
    behind: Mutex<BTreeMap<String, Instant>>,
}

/// A replica behind a peer's for this long raises an alert.
const BEHIND_AFTER: Duration = Duration::from_secs(300);

impl Polls {
    /// Notes whether log `origin` is still behind `size` after a sync; true the first time it
    /// has been behind for [`BEHIND_AFTER`].
    fn still_behind(&self, origin: &str, behind: bool) -> Option<Duration> {
        let mut map = self.behind.lock().ok()?;
        if !behind {
            map.remove(origin);
            return None;
        }
        let since = *map.entry(origin.to_owned()).or_insert_with(Instant::now);
        let late = since.elapsed();
        (late >= BEHIND_AFTER).then_some(late)
    }
}

/// Syncs every log `peer` holds more of than this node, and compares the checkpoint of one log
/// it holds as much of, a different one each `turn` (blocking).
fn catch_up_from(
    state: &AppState,
    network: &Network,
    peer: PeerId,
    polling: &Polls,
    turn: usize,
) -> anyhow::Result<()> {
    let Response::Heads { heads } = network.request_blocking(peer, Request::Heads)? else {
        anyhow::bail!("{peer} did not answer with its heads");
    };
    let ours: BTreeMap<String, u64> = state.replicas.sizes().into_iter().collect();
    // Equal sizes say nothing of roots: a peer holding a fork of a log at the size this node
    // holds (a log showing one history to some nodes and another to the rest, or a fork
    // announced while nobody listened) shows here only as the same number. Syncing to its
    // checkpoint compares the roots, and a fork raises the equivocation alert.
    let level: Vec<&String> = heads
        .iter()
        .filter(|(o, s)| *s > 0 && *o != state.anchor.origin() && ours.get(o) == Some(s))
        .map(|(o, _)| o)
        .collect();
    let compared = (!level.is_empty()).then(|| level[turn % level.len()].clone());
    for (origin, size) in heads {
        if origin == state.anchor.origin() {
            continue;
        }
        if ours.get(&origin).copied().unwrap_or(0) >= size && compared.as_ref() != Some(&origin) {
            polling.still_behind(&origin, false);
            continue;
        }
        // One sync of a log at a time from polls (announcements go their own way).
        if !polling
            .busy
            .lock()
            .map_err(|_| anyhow::anyhow!("lock poisoned"))?
            .insert(origin.clone())
        {
            continue;
        }
        let source = P2pSource {
            network: network.clone(),
            peers: vec![peer],
        };
        let result = replicate::sync(state, &source, Some(&origin), None);
        if let Ok(mut p) = polling.busy.lock() {
            p.remove(&origin);
        }
        if let Err(e) = &result {
            tracing::debug!(log = %origin, %peer, error = %format!("{e:#}"), "poll of a log failed");
        }
        let held = state
            .replicas
            .sizes()
            .into_iter()
            .find(|(o, _)| *o == origin)
            .map_or(0, |(_, s)| s);
        if let Some(late) = polling.still_behind(&origin, held < size) {
            let summary = format!(
                "the replica of {origin} holds {held} entries; {peer} has held {size} for {} s",
                late.as_secs()
            );
            let evidence = serde_json::json!({"held": held, "peer": peer.to_string(), "peer_size": size,
                "last_error": result.err().map(|e| format!("{e:#}"))});
            if let Err(e) =
                alerts::raise(state, AlertKind::ReplicaBehind, &origin, summary, evidence)
            {
                tracing::error!(error = %format!("{e:#}"), "alert not stored");
            }
        }
    }
    Ok(())
}

/// A witness that failed is asked again after this long.
const WITNESS_RETRY: Duration = Duration::from_secs(2);

/// As soon as this node publishes a checkpoint: submit it to every connected witness the
/// genesis names (at once), then announce it with the cosignatures gathered, once per new
/// size or new cosignature.
async fn publish(
    state: Arc<AppState>,
    network: Network,
    slots: Arc<Semaphore>,
    mut shutdown: watch::Receiver<bool>,
) {
    let interval = Duration::from_millis(state.config.checkpoint_interval_ms.clamp(50, 1000));
    let started = Instant::now();
    let mut announced = (0u64, 0usize);
    let mut witnessed: BTreeMap<String, Instant> = BTreeMap::new();
    let mut failed: BTreeMap<String, Instant> = BTreeMap::new();
    loop {
        let memory = (&mut announced, &mut witnessed, &mut failed);
        if let Err(e) = witness_and_announce(&state, &network, &slots, memory, started).await {
            tracing::warn!(error = %format!("{e:#}"), "checkpoint not published");
        }
        tokio::select! {
            _ = tokio::time::sleep(interval) => {}
            _ = shutdown.wait_for(|stop| *stop) => return,
        }
    }
}

/// What `publish` remembers: the (size, cosignatures) last announced, when each witness last
/// cosigned, when each last failed.
type Memory<'a> = (
    &'a mut (u64, usize),
    &'a mut BTreeMap<String, Instant>,
    &'a mut BTreeMap<String, Instant>,
);

async fn witness_and_announce(
    state: &Arc<AppState>,
    network: &Network,
    slots: &Arc<Semaphore>,
    (announced, witnessed, failed): Memory<'_>,
    started: Instant,
) -> anyhow::Result<()> {
    let reader = state.anchor.reader();
    let Some(latest) = reader.latest_checkpoint()? else {
        return Ok(());
    };
    let cosigned = |reader: &ledger::LogReader| -> anyhow::Result<(Vec<u8>, usize)> {
        let lines = reader
            .store()
            .cosignatures(&reader.log_id(), latest.size())?;
        Ok((latest.with_extra_signatures(&lines), lines.len()))
    };
    let witnesses: Vec<String> = witness_names(state)
        .into_iter()
        .filter(|name| *name != state.config.log_origin)
        .collect();
    let (_, count) = cosigned(reader)?;
    let now = Instant::now();
    if (latest.size(), count) == *announced && count >= witnesses.len() {
        return Ok(());
    }
    let peers = state.registry.as_ref().context("no genesis")?.p2p_peers()?;
    let connected: BTreeSet<PeerId> = network.connected().into_iter().collect();
    let mut tasks = tokio::task::JoinSet::new();
    for name in &witnesses {
        if failed
            .get(name)
            .is_some_and(|t| now.duration_since(*t) < WITNESS_RETRY)
        {
            continue;
        }
        // A witness is named after its node's log.
        let peer = peers
            .iter()
            .find(|p| p.log_origin == *name)
            .and_then(|p| p.peer_id.parse::<PeerId>().ok())
            .filter(|id| connected.contains(id));
        let Some(peer) = peer else { continue };
        let (state, network, name) = (state.clone(), network.clone(), name.clone());
        let slot = slots.clone().acquire_owned().await?;
        tasks.spawn_blocking(move || {
            let _slot = slot;
            let done = witnessing::submit(&state, &peer.to_string(), |body| {
                Ok(
                    match network.request_blocking(
                        peer,
                        Request::AddCheckpoint {
                            body: ByteBuf::from(body),
                        },
                    )? {
                        Response::Cosigned { lines } => Reply::Cosigned(lines),
                        Response::Conflict { size } => Reply::Conflict(size),
                        Response::Refused { code, reason } => Reply::Refused(code, reason),
                        other => Reply::Refused(500, format!("unexpected answer {other:?}")),
                    },
                )
            });
            match done {
                Ok(ok) => (name, ok),
                Err(e) => {
                    tracing::warn!(witness = %name, error = %format!("{e:#}"), "checkpoint not cosigned");
                    (name, false)
                }
            }
        });
    }
    // Announced once the quorum has cosigned and the others had a moment more: one slow
    // witness does not hold the network back, and its cosignature follows in a second
    // announcement.
    let quorum = state
        .registry
        .as_ref()
        .map_or(0, |r| r.genesis().witness_policy.quorum as usize);
    let mut deadline: Option<tokio::time::Instant> = None;
    loop {
        let next = match deadline {
            Some(at) => match tokio::time::timeout_at(at, tasks.join_next()).await {
                Ok(next) => next,
                Err(_) => {
                    deadline = None;
                    announce_new(network, cosigned(reader)?, latest.size(), announced).await;
                    continue;
                }
            },
            None => tasks.join_next().await,
        };
        let Some(task) = next else { break };
        match task {
            Ok((name, true)) => {
                failed.remove(&name);
                witnessed.insert(name, now);
            }
            Ok((name, false)) => {
                failed.insert(name, now);
            }
            Err(e) => tracing::error!(error = %e, "witnessing task failed"),
        }
        if deadline.is_none()
            && !tasks.is_empty()
            && announced.0 != latest.size()
            && cosigned(reader)?.1 >= quorum
        {
            deadline = Some(tokio::time::Instant::now() + QUORUM_GRACE);
        }
    }
    for name in &witnesses {
        let last = witnessed.get(name).copied().unwrap_or(started);
        if now.duration_since(last) > WITNESS_SILENT_AFTER {
            let summary = format!(
                "witness {name} has not cosigned this node's checkpoints for {} s",
                now.duration_since(last).as_secs()
            );
            let state = state.clone();
            let name = name.clone();
            tokio::task::spawn_blocking(move || {
                alerts::raise(
                    &state,
                    AlertKind::WitnessSilent,
                    &name,
                    summary,
                    serde_json::Value::Null,
                )
            });
        }
    }
    announce_new(network, cosigned(reader)?, latest.size(), announced).await;
    Ok(())
}

/// How long the witnesses still out may take, once a quorum has cosigned, before the
/// checkpoint is announced without them.
const QUORUM_GRACE: Duration = Duration::from_millis(50);

/// Announces our checkpoint of `size` with its `count` cosignatures unless that was the last
/// thing announced.
async fn announce_new(
    network: &Network,
    (note, count): (Vec<u8>, usize),
    size: u64,
    announced: &mut (u64, usize),
) {
    if (size, count) != *announced {
        network.announce(note).await;
        *announced = (size, count);
    }
}

/// One log as this node holds it, for `GET /network`.
#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct HeldLog {
    /// The log's origin.
    pub origin: String,
    /// Entries held and verified.
    pub size: u64,
    /// Size of the latest checkpoint held.
    pub checkpoint: u64,
    /// Cosignatures held for it by witnesses the genesis names.
    pub cosignatures: usize,
}

/// What `GET /network` answers.
#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct NetworkStatus {
    /// This node's PeerId (none: no peer-to-peer network configured).
    pub peer_id: Option<String>,
    /// Peers connected now.
    pub connected: Vec<String>,
    /// This node's log and every replica.
    pub logs: Vec<HeldLog>,
    /// Cosignatures a checkpoint needs (the genesis's quorum).
    pub quorum: u32,
}

/// How this node holds log `origin` (its own or a replica).
pub fn log_status(state: &AppState, origin: &str) -> anyhow::Result<HeldLog> {
    let reader = ledger::LogReader::new(state.anchor.store().clone(), origin);
    let (checkpoint, cosignatures) = match reader.latest_checkpoint()? {
        Some(cp) => (
            cp.size(),
            state
                .anchor
                .store()
                .cosignatures(&reader.log_id(), cp.size())?
                .len(),
        ),
        None => (0, 0),
    };
    Ok(HeldLog {
        origin: origin.to_owned(),
        size: reader.size()?,
        checkpoint,
        cosignatures,
    })
}

/// `GET /network`: this node on the peer-to-peer network (its peers, the logs it holds).
#[utoipa::path(get, path = "/network", tag = "network", responses((status = 200, description = "peers and logs held", body = NetworkStatus)))]
pub async fn status(
    axum::extract::State(s): axum::extract::State<Arc<AppState>>,
) -> axum::response::Response {
    use axum::response::IntoResponse;
    let state = s.clone();
    let result = tokio::task::spawn_blocking(move || -> anyhow::Result<NetworkStatus> {
        let mut logs = vec![log_status(&state, state.anchor.origin())?];
        for (origin, _) in state.replicas.sizes() {
            logs.push(log_status(&state, &origin)?);
        }
        let network = state.network.get();
        Ok(NetworkStatus {
            peer_id: network.map(|n| n.peer_id().to_string()),
            connected: network
                .map(|n| n.connected().iter().map(|p| p.to_string()).collect())
                .unwrap_or_default(),
            logs,
            quorum: state
                .registry
                .as_ref()
                .map_or(0, |r| r.genesis().witness_policy.quorum),
        })
    })
    .await;
    match result {
        Ok(Ok(status)) => axum::Json(status).into_response(),
        Ok(Err(e)) => crate::http::internal(e),
        Err(e) => crate::http::internal(e.into()),
    }
}
