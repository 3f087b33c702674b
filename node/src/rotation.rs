//! Rotating the node's issuing key.
//!
//! A `rotate_keys` entry on the node's own log, signed with the old key, makes a fresh key the
//! node's assertion and key-agreement key from that log position on. Permits signed before
//! keep verifying, online and offline, because verifiers judge a key at the credential's
//! anchoring position; the old key signs nothing after the entry, because a rotation holds the
//! issuer's turn lock while everything that signs and anchors holds it shared.
//!
//! The node's libp2p identity does not change: it stays the key whose PeerId the Secretariat
//! accredited (see [`crate::issuer::network_seed`]).

use std::sync::Arc;

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use did_registry::did::{AgreementKey, VerificationKey};
use did_registry::{Body, Ed25519PublicKey, X25519PublicKey};
use serde::Serialize;

use crate::config::Config;
use crate::http::{AppState, internal, problem};
use crate::issuer::files;
use crate::registry::{NodeRegistry, WriteError};

/// A finished rotation.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Rotated {
    /// The verification method rotated away (it stays valid for what it signed).
    pub retired: String,
    /// The verification method that signs from now on.
    pub current: String,
    /// Its public key (Multikey).
    pub public_key_multibase: String,
    /// The `rotate_keys` entry's leaf index in the node's log.
    pub index: u64,
    /// The entry's time.
    #[schema(value_type = String)]
    pub at: DateTime<Utc>,
}

/// Why a rotation did not happen. Nothing changed.
#[derive(Debug, thiserror::Error)]
pub enum RotateError {
    /// The node pins no genesis, so no registry would learn of the new key.
    #[error("this node runs without a genesis: there is no registry to rotate the key in")]
    NoRegistry,
    /// The registry refused the entry, or the node is not in it.
    #[error(transparent)]
    Refused(WriteError),
    /// Storage or the log failed.
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

/// Rotates the issuing key: see the module docs.
pub async fn rotate(state: &AppState) -> Result<Rotated, RotateError> {
    let registry = state.registry.as_ref().ok_or(RotateError::NoRegistry)?;
    let issuer = &state.issuer;
    let _turn = issuer.turn.write().await;
    let current = issuer.current();
    let next = current.successor(&issuer.did)?;
    let public = next.signer.public();
    let body = Body::RotateKeys {
        subject: issuer
            .did
            .parse()
            .map_err(|e| anyhow::anyhow!("the node's DID: {e}"))?,
        verification_methods: vec![VerificationKey {
            id: next
                .fragment()
                .parse()
                .map_err(|e| anyhow::anyhow!("{e}"))?,
            public_key_multibase: Ed25519PublicKey::from_bytes(public.to_bytes())
                .map_err(|e| anyhow::anyhow!("{e}"))?,
        }],
        key_agreement: Some(AgreementKey {
            id: format!("ka-{}", next.number)
                .parse()
                .map_err(|e| anyhow::anyhow!("{e}"))?,
            public_key_multibase: X25519PublicKey::from_bytes(public.to_x25519()),
        }),
    };
    let (retired, current_method) = (
        current.signer.method().to_owned(),
        next.signer.method().to_owned(),
    );
    files::prepare(&state.config, &next)?;
    let mut committed = Ok(());
    let written = registry
        .rotate(&state.anchor, &current, body, || {
            // The log names the new key now: it signs from here on even if its file could not
            // be moved into place (a restart finishes that from `issuer.key.next`).
            committed = files::commit(&state.config);
            issuer.install(next);
        })
        .await;
    let (index, at) = match written {
        Ok(w) => w,
        Err(e) => {
            files::abandon(&state.config)?;
            return Err(match e {
                WriteError::Internal(e) => RotateError::Internal(e),
                refused => RotateError::Refused(refused),
            });
        }
    };
    if let Err(e) = committed {
        tracing::error!(error = %format!("{e:#}"), "the new key is in use but its file is not in place; a restart finishes the move");
    }
    state.resign_status()?;
    // Registry entries may be dated a little ahead (after every entry held); until the clock
    // passes that time, a credential anchored now would be judged before the new key existed.
    let ahead = (at - Utc::now()).to_std().unwrap_or_default();
    if !ahead.is_zero() {
        if ahead > std::time::Duration::from_secs(5) {
            tracing::warn!(
                ?ahead,
                "the rotation entry is dated ahead of this node's clock; issuing waits until then"
            );
        }
        tokio::time::sleep(ahead + std::time::Duration::from_millis(10)).await;
    }
    tracing::info!(%retired, current = %current_method, index, "issuing key rotated");
    Ok(Rotated {
        retired,
        current: current_method,
        public_key_multibase: public.to_multikey(),
        index,
        at,
    })
}

/// On start: finishes a rotation that reached the log but not the key files, or drops the
/// waiting key of one that never reached the log.
pub fn finish_interrupted(config: &Config, registry: Option<&NodeRegistry>) -> anyhow::Result<()> {
    let Some(next) = files::pending(config)? else {
        return Ok(());
    };
    let public = next.signer.public().to_multikey();
    match registry {
        Some(r) if r.asserts_with(&config.did(), &public)? => {
            files::commit(config)?;
            tracing::warn!(current = %next.signer.method(), "finished a key rotation interrupted after its entry was logged");
        }
        _ => {
            files::abandon(config)?;
            tracing::warn!("dropped the key of a rotation that never reached the log");
        }
    }
    Ok(())
}

/// Rotates the node's issuing key (admin). Old permits keep verifying; new ones are signed with
/// the new key; the PeerId stays.
#[utoipa::path(post, path = "/admin/keys/rotate", tag = "node", responses((status = 200, description = "the key was rotated", body = Rotated), (status = 401, description = "not logged in", body = crate::http::Problem), (status = 403, description = "role not allowed", body = crate::http::Problem), (status = 409, description = "no registry", body = crate::http::Problem), (status = 422, description = "refused by the registry rules", body = crate::http::Problem)))]
pub async fn http_rotate(
    State(s): State<Arc<AppState>>,
    caller: crate::auth::Caller,
    info: crate::audit::RequestInfo,
) -> Response {
    if let Err(r) = caller.require(&[crate::users::Role::Admin]) {
        return r;
    }
    match rotate(&s).await {
        Ok(rotated) => {
            let target = format!("{} -> {}", rotated.retired, rotated.current);
            let who = caller.who();
            if let Err(e) = s.journal.commit(
                s.anchor.store(),
                Vec::new(),
                crate::audit::Change::new(&who, &info, "node.rotate_key", &target),
            ) {
                return internal(e);
            }
            Json(rotated).into_response()
        }
        Err(e @ RotateError::NoRegistry) => {
            problem(StatusCode::CONFLICT, "no genesis", e.to_string())
        }
        Err(e @ RotateError::Refused(_)) => problem(
            StatusCode::UNPROCESSABLE_ENTITY,
            "refused by the registry rules",
            e.to_string(),
        ),
        Err(RotateError::Internal(e)) => internal(e),
    }
}
