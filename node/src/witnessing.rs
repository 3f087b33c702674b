//! Witnessing, following C2SP tlog-witness, over libp2p or HTTP.
//!
//! Every node is a witness for the other logs of its network: an add-checkpoint request (the
//! libp2p node protocol's `AddCheckpoint`, or `POST /add-checkpoint`) takes the
//! old size, a consistency proof and a new signed checkpoint, and answers with a `cosignature/v1`
//! line once the ledger's `Witness` has checked the log's signature (with the key the genesis or
//! the registry gives), the proof and its persisted state; it never cosigns two inconsistent
//! trees. Each node, as a log, submits its new checkpoints to its peers and attaches the
//! cosignatures of witnesses the genesis names, so its checkpoints and evidence bundles carry
//! them.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use anyhow::Context;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use ledger::witness::{Witness, parse_add_checkpoint_request};
use ledger::{CosignatureSigner, CosignatureVerifier, NoteVerifier};

use crate::http::{AppState, internal};

/// The node's witness, with the logs it has learned the keys of.
pub struct NodeWitness {
    witness: Mutex<Witness>,
    /// Per peer URL, the largest size of ours that peer cosigned.
    cosigned: Mutex<BTreeMap<String, u64>>,
}

impl NodeWitness {
    /// The witness with the node's cosignature key.
    pub fn new(store: ledger::Store, key: &str) -> anyhow::Result<NodeWitness> {
        let signer = CosignatureSigner::from_key_string(key).context("the witness key")?;
        Ok(NodeWitness {
            witness: Mutex::new(Witness::new(store, signer)),
            cosigned: Mutex::new(BTreeMap::new()),
        })
    }
}

fn now() -> u64 {
    chrono::Utc::now().timestamp().max(0) as u64
}

/// What the witness answered an add-checkpoint request.
#[derive(Debug)]
pub enum Reply {
    /// Its cosignature line(s).
    Cosigned(String),
    /// It holds this other size of the log (tlog-witness 409).
    Conflict(u64),
    /// Refused with an HTTP status code and why.
    Refused(u16, String),
}

/// Answers a C2SP tlog-witness add-checkpoint request as this node's witness: the log's key
/// comes from the genesis or the registry; the ledger's `Witness` checks the signature, the
/// proof and its persisted state. Blocking (synced writes).
pub fn cosign(state: &AppState, body: &[u8]) -> Reply {
    let (Some(witness), Some(registry)) = (&state.witness, &state.registry) else {
        return Reply::Refused(
            404,
            "this node runs without a genesis: not a witness".into(),
        );
    };
    let origin = match parse_add_checkpoint_request(body) {
        Ok((_, _, note)) => String::from_utf8_lossy(note)
            .lines()
            .next()
            .unwrap_or_default()
            .to_owned(),
        Err(e) => return Reply::Refused(400, e.to_string()),
    };
    let key = match registry.log_key(&origin) {
        Ok(Some(k)) => k,
        Ok(None) => return Reply::Refused(404, format!("unknown log origin {origin:?}")),
        Err(e) => return Reply::Refused(500, format!("{e:#}")),
    };
    let verifier = match NoteVerifier::from_key_string(&key) {
        Ok(v) => v,
        Err(e) => return Reply::Refused(500, format!("registry log key for {origin}: {e}")),
    };
    let Ok(mut w) = witness.witness.lock() else {
        return Reply::Refused(500, "witness unavailable (lock poisoned)".into());
    };
    w.add_log(&origin, verifier);
    match w.handle_add_checkpoint(body, now()) {
        Ok(line) => Reply::Cosigned(line),
        Err(e) => match e.conflict_body().and_then(|b| b.trim().parse().ok()) {
            Some(size) => Reply::Conflict(size),
            None => {
                if e.http_status() >= 500 {
                    tracing::error!(error = %e, "witness failed");
                }
                Reply::Refused(e.http_status(), e.to_string())
            }
        },
    }
}

/// `POST /add-checkpoint` (C2SP tlog-witness).
#[utoipa::path(post, path = "/add-checkpoint", tag = "log", request_body(content = String, description = "C2SP tlog-witness add-checkpoint request", content_type = "text/plain"), responses((status = 200, description = "the cosignature"), (status = 409, description = "old size mismatch"), (status = 403, description = "unknown log or bad signature")))]
pub async fn add_checkpoint(State(s): State<Arc<AppState>>, body: Bytes) -> Response {
    match tokio::task::spawn_blocking(move || cosign(&s, &body)).await {
        Ok(Reply::Cosigned(line)) => {
            ([(header::CONTENT_TYPE, "text/plain; charset=utf-8")], line).into_response()
        }
        Ok(Reply::Conflict(size)) => (
            StatusCode::CONFLICT,
            [(header::CONTENT_TYPE, "text/x.tlog.size")],
            format!("{size}\n"),
        )
            .into_response(),
        Ok(Reply::Refused(code, reason)) => (
            StatusCode::from_u16(code).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
            reason,
        )
            .into_response(),
        Err(e) => internal(e.into()),
    }
}

/// Keeps the cosignatures in `text` (lines `— NAME ...`) by witnesses the genesis names, for
/// the checkpoint of `size` of the log `reader` reads; returns how many were kept. A line that
/// does not verify is dropped.
pub fn keep_cosignatures(
    registry: &crate::registry::NodeRegistry,
    reader: &ledger::LogReader,
    size: u64,
    text: &[u8],
) -> usize {
    let text = String::from_utf8_lossy(text);
    let mut kept = 0;
    for line in text.lines().filter(|l| l.starts_with("— ")) {
        let name = line
            .trim_start_matches("— ")
            .split(' ')
            .next()
            .unwrap_or_default();
        // The log's own signature line (a witness may be named like its node's log).
        if name == reader.origin() {
            continue;
        }
        let Some(w) = registry
            .genesis()
            .witness_policy
            .witnesses
            .iter()
            .find(|w| w.name.to_string() == name)
        else {
            continue;
        };
        let attached = CosignatureVerifier::from_key_string(&w.key.to_string())
            .map_err(|e| e.to_string())
            .and_then(|v| {
                reader
                    .attach_cosignature(size, line, &v)
                    .map_err(|e| e.to_string())
            });
        match attached {
            Ok(_) => kept += 1,
            Err(e) => tracing::debug!(witness = name, error = %e, "cosignature not kept"),
        }
    }
    kept
}

/// Submits the node's latest checkpoint to one witness through `send` (which posts an
/// add-checkpoint body and returns the reply) and keeps the cosignature it returns. `peer`
/// names the witness (URL or PeerId). Returns true if the checkpoint is now cosigned by it.
pub fn submit(
    state: &AppState,
    peer: &str,
    send: impl Fn(Vec<u8>) -> anyhow::Result<Reply>,
) -> anyhow::Result<bool> {
    let (Some(witness), Some(registry)) = (&state.witness, &state.registry) else {
        return Ok(false);
    };
    let reader = state.anchor.reader();
    let Some(latest) = reader.latest_checkpoint()? else {
        return Ok(false);
    };
    let old = witness
        .cosigned
        .lock()
        .map_err(|_| anyhow::anyhow!("lock poisoned"))?
        .get(peer)
        .copied()
        .unwrap_or(0);
    if latest.size() <= old && old > 0 {
        return Ok(true);
    }
    let mut old = old;
    for _attempt in 0..2 {
        let proof = if old > 0 && old < latest.size() {
            reader.consistency_proof(old, latest.size())?.hashes
        } else {
            Vec::new()
        };
        let mut body = format!("old {old}\n");
        for h in &proof {
            body.push_str(&h.to_base64());
            body.push('\n');
        }
        body.push('\n');
        let mut request = body.into_bytes();
        request.extend_from_slice(latest.note_bytes());
        match send(request)? {
            Reply::Cosigned(lines) => {
                keep_cosignatures(registry, reader, latest.size(), lines.as_bytes());
                witness
                    .cosigned
                    .lock()
                    .map_err(|_| anyhow::anyhow!("lock poisoned"))?
                    .insert(peer.to_owned(), latest.size());
                return Ok(true);
            }
            // The witness holds another size of our log: resubmit from there.
            Reply::Conflict(size) => {
                if size > latest.size() {
                    anyhow::bail!(
                        "{peer} holds size {size} of our log, larger than our checkpoint {}",
                        latest.size()
                    );
                }
                old = size;
            }
            Reply::Refused(code, reason) => {
                anyhow::bail!("{peer} refused to cosign ({code}): {}", reason.trim())
            }
        }
    }
    Ok(false)
}

/// Posts an add-checkpoint body to a node's HTTP witness endpoint.
fn post(agent: &ureq::Agent, peer: &str, body: Vec<u8>) -> anyhow::Result<Reply> {
    let mut r = agent
        .post(format!("{peer}/add-checkpoint"))
        .send(&body[..])
        .with_context(|| format!("cannot reach {peer}"))?;
    let text = r.body_mut().read_to_string().unwrap_or_default();
    Ok(match r.status().as_u16() {
        200 => Reply::Cosigned(text),
        409 => Reply::Conflict(
            text.trim()
                .parse()
                .with_context(|| format!("{peer} answered 409 without a size"))?,
        ),
        code => Reply::Refused(code, text),
    })
}

/// One round of submissions to every HTTP peer.
pub fn round(state: &AppState, peers: &[String]) {
    for peer in peers {
        if let Err(e) = submit(state, peer, |body| post(&state.peers_http, peer, body)) {
            tracing::warn!(peer = %peer, error = %format!("{e:#}"), "checkpoint not cosigned");
        }
    }
}
