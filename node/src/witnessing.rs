//! Witnessing over HTTP, following C2SP tlog-witness, until the peer-to-peer network carries it.
//!
//! Every node is a witness for the other logs of its network: `POST /add-checkpoint` takes the
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

use crate::http::{AppState, internal, problem};

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

/// `POST /add-checkpoint` (C2SP tlog-witness).
#[utoipa::path(post, path = "/add-checkpoint", tag = "log", request_body(content = String, description = "C2SP tlog-witness add-checkpoint request", content_type = "text/plain"), responses((status = 200, description = "the cosignature"), (status = 409, description = "old size mismatch"), (status = 403, description = "unknown log or bad signature")))]
pub async fn add_checkpoint(State(s): State<Arc<AppState>>, body: Bytes) -> Response {
    let (Some(_), Some(registry)) = (&s.witness, &s.registry) else {
        return problem(
            StatusCode::NOT_FOUND,
            "not a witness",
            "this node runs without a genesis",
        );
    };
    // Learn the log's key from the genesis or the registry before the witness checks it.
    let origin = match parse_add_checkpoint_request(&body) {
        Ok((_, _, note)) => String::from_utf8_lossy(note)
            .lines()
            .next()
            .unwrap_or_default()
            .to_owned(),
        Err(e) => return (StatusCode::BAD_REQUEST, e.to_string()).into_response(),
    };
    let key = match registry.log_key(&origin) {
        Ok(Some(k)) => k,
        Ok(None) => {
            return (
                StatusCode::NOT_FOUND,
                format!("unknown log origin {origin:?}"),
            )
                .into_response();
        }
        Err(e) => return internal(e),
    };
    let verifier = match NoteVerifier::from_key_string(&key) {
        Ok(v) => v,
        Err(e) => return internal(anyhow::anyhow!("registry log key for {origin}: {e}")),
    };
    let state = s.clone();
    let result = tokio::task::spawn_blocking(move || {
        let witness = state.witness.as_ref().ok_or(None)?;
        let mut w = witness.witness.lock().map_err(|_| None)?;
        w.add_log(&origin, verifier);
        w.handle_add_checkpoint(&body, now()).map_err(Some)
    })
    .await;
    match result {
        Ok(Ok(line)) => {
            ([(header::CONTENT_TYPE, "text/plain; charset=utf-8")], line).into_response()
        }
        Ok(Err(Some(e))) => {
            let status =
                StatusCode::from_u16(e.http_status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
            match e.conflict_body() {
                Some(size) => {
                    (status, [(header::CONTENT_TYPE, "text/x.tlog.size")], size).into_response()
                }
                None => {
                    if status.is_server_error() {
                        tracing::error!(error = %e, "witness failed");
                    }
                    (status, e.to_string()).into_response()
                }
            }
        }
        Ok(Err(None)) => internal(anyhow::anyhow!("witness unavailable (lock poisoned)")),
        Err(e) => internal(e.into()),
    }
}

/// Submits the node's latest checkpoint to one peer and attaches the cosignature it returns.
fn submit(state: &AppState, peer: &str) -> anyhow::Result<()> {
    let (Some(witness), Some(registry)) = (&state.witness, &state.registry) else {
        return Ok(());
    };
    let reader = state.anchor.reader();
    let Some(latest) = reader.latest_checkpoint()? else {
        return Ok(());
    };
    let old = witness
        .cosigned
        .lock()
        .map_err(|_| anyhow::anyhow!("lock poisoned"))?
        .get(peer)
        .copied()
        .unwrap_or(0);
    if latest.size() <= old && old > 0 {
        return Ok(());
    }
    let agent = &state.peers_http;
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
        let mut r = agent
            .post(format!("{peer}/add-checkpoint"))
            .send(&request[..])
            .with_context(|| format!("cannot reach {peer}"))?;
        let text = r.body_mut().read_to_string().unwrap_or_default();
        match r.status().as_u16() {
            200 => {
                for line in text.lines().filter(|l| l.starts_with("— ")) {
                    let name = line
                        .trim_start_matches("— ")
                        .split(' ')
                        .next()
                        .unwrap_or_default();
                    let Some(w) = registry
                        .genesis()
                        .witness_policy
                        .witnesses
                        .iter()
                        .find(|w| w.name.to_string() == name)
                    else {
                        continue;
                    };
                    let verifier = CosignatureVerifier::from_key_string(&w.key.to_string())
                        .context("genesis witness key")?;
                    reader.attach_cosignature(latest.size(), line, &verifier)?;
                }
                witness
                    .cosigned
                    .lock()
                    .map_err(|_| anyhow::anyhow!("lock poisoned"))?
                    .insert(peer.to_owned(), latest.size());
                return Ok(());
            }
            409 => {
                // The witness holds another size of our log: resubmit from there.
                old = text
                    .trim()
                    .parse()
                    .with_context(|| format!("{peer} answered 409 without a size"))?;
                if old > latest.size() {
                    anyhow::bail!(
                        "{peer} holds size {old} of our log, larger than our checkpoint {}",
                        latest.size()
                    );
                }
            }
            status => anyhow::bail!("{peer} refused to cosign ({status}): {}", text.trim()),
        }
    }
    Ok(())
}

/// One round of submissions to every peer.
pub fn round(state: &AppState, peers: &[String]) {
    for peer in peers {
        if let Err(e) = submit(state, peer) {
            tracing::warn!(peer = %peer, error = %format!("{e:#}"), "checkpoint not cosigned");
        }
    }
}
