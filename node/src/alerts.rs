//! Alerts: what the network did that someone must look at. A log that signed two different
//! trees (with both checkpoints as evidence), a permit confirmed twice, an entry by an author
//! the registry does not accredit, a witness that stopped answering, a replica that fell behind.
//!
//! Each alert is stored once per (kind, subject), so a fault seen on every sync round is one
//! alert, and is pushed to the event feed (admins, auditors and MA officers see it, and the
//! notification channels carry it). `GET /alerts` lists them.

use std::sync::Arc;

use axum::Json;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use sha2::Digest as _;

use crate::audit::{Change, RequestInfo, Who};
use crate::auth::Caller;
use crate::http::{AppState, internal};
use crate::users::Role;

/// Column family of alerts, keyed by the SHA-256 of (kind, subject).
pub const CF_ALERTS: &str = "node_alerts";

/// What went wrong.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum AlertKind {
    /// A log signed two trees that cannot both be true.
    Equivocation,
    /// A permit's import was confirmed twice (possible re-use).
    DoubleConfirmation,
    /// A log carries an entry by an author the registry does not accredit.
    UnaccreditedAuthor,
    /// A witness has not answered for a while.
    WitnessSilent,
    /// A replica is behind its log's announced checkpoint.
    ReplicaBehind,
}

impl AlertKind {
    fn as_str(self) -> &'static str {
        match self {
            AlertKind::Equivocation => "equivocation",
            AlertKind::DoubleConfirmation => "double-confirmation",
            AlertKind::UnaccreditedAuthor => "unaccredited-author",
            AlertKind::WitnessSilent => "witness-silent",
            AlertKind::ReplicaBehind => "replica-behind",
        }
    }
}

/// One alert as stored and listed.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Alert {
    /// When it was first raised.
    #[schema(value_type = String, format = DateTime)]
    pub at: DateTime<Utc>,
    /// What went wrong.
    #[schema(value_type = String)]
    pub kind: AlertKind,
    /// About what (a log origin, a permit key, a PeerId).
    pub subject: String,
    /// In words.
    pub summary: String,
    /// What proves it (both checkpoints of an equivocation, both confirmations of a permit).
    #[schema(value_type = Object)]
    pub evidence: serde_json::Value,
}

fn key(kind: AlertKind, subject: &str) -> Vec<u8> {
    let mut h = sha2::Sha256::new();
    h.update(kind.as_str());
    h.update([0]);
    h.update(subject);
    h.finalize().to_vec()
}

/// Records an alert unless one of the same kind and subject is held; returns true if new.
/// Blocking (a synced write).
pub fn raise(
    state: &AppState,
    kind: AlertKind,
    subject: &str,
    summary: String,
    evidence: serde_json::Value,
) -> anyhow::Result<bool> {
    // One raise at a time, so two threads seeing the same fault store one alert.
    static ONE: std::sync::Mutex<()> = std::sync::Mutex::new(());
    let _one = ONE
        .lock()
        .map_err(|_| anyhow::anyhow!("alert lock poisoned"))?;
    let store = state.anchor.store();
    let cf = crate::store::cf(store, CF_ALERTS)?;
    let k = key(kind, subject);
    if store.db().get_cf(cf, &k)?.is_some() {
        return Ok(false);
    }
    tracing::error!(kind = kind.as_str(), subject, %summary, "alert");
    let alert = Alert {
        at: Utc::now(),
        kind,
        subject: subject.to_owned(),
        summary: summary.clone(),
        evidence,
    };
    let who = Who {
        user: "network".into(),
        role: Role::Admin,
    };
    let request = RequestInfo {
        request_id: format!("alert-{}", hex::encode(&k[..8])),
        remote: None,
        method: "P2P".into(),
        path: format!("alert/{}", kind.as_str()),
        headers: Default::default(),
    };
    let action = format!("alert.{}", kind.as_str());
    let writes = vec![ledger::SideWrite {
        cf: CF_ALERTS.into(),
        key: k,
        value: serde_json::to_vec(&alert)?,
    }];
    state.journal.commit(
        store,
        writes,
        Change {
            event: Some((
                action.clone(),
                summary,
                vec![Role::Admin, Role::Auditor, Role::MaOfficer],
                None,
            )),
            ..Change::new(&who, &request, &action, subject)
        },
    )?;
    state.journal.published();
    Ok(true)
}

/// Raises the alert a refused checkpoint calls for (equivocation), logging a failure to
/// store it. True when the refusal is an equivocation already alerted on.
pub fn raise_replica(
    state: &AppState,
    origin: &str,
    peer: &str,
    error: &ledger::ReplicaError,
) -> bool {
    let ledger::ReplicaError::Equivocation { held, conflicting } = error else {
        return false;
    };
    let evidence = serde_json::json!({
        "held": String::from_utf8_lossy(held.note_bytes()),
        "conflicting": String::from_utf8_lossy(conflicting.note_bytes()),
        "from": peer,
    });
    let summary = format!(
        "log {origin} signed two inconsistent trees (sizes {} and {})",
        held.size(),
        conflicting.size()
    );
    match raise(state, AlertKind::Equivocation, origin, summary, evidence) {
        Ok(new) => !new,
        Err(e) => {
            tracing::error!(error = %format!("{e:#}"), "alert not stored");
            false
        }
    }
}

/// Every alert held, oldest first.
pub fn list(store: &ledger::Store) -> anyhow::Result<Vec<Alert>> {
    let mut out = Vec::new();
    for item in store.db().iterator_cf(
        crate::store::cf(store, CF_ALERTS)?,
        rocksdb::IteratorMode::Start,
    ) {
        let (_, v) = item?;
        out.push(serde_json::from_slice::<Alert>(&v)?);
    }
    out.sort_by_key(|a| a.at);
    Ok(out)
}

/// `GET /alerts`: the network's alerts (admins, auditors and MA officers).
#[utoipa::path(get, path = "/alerts", tag = "network", responses((status = 200, description = "alerts, oldest first", body = [Alert]), (status = 401, description = "not signed in"), (status = 403, description = "not allowed")))]
pub async fn list_alerts(State(s): State<Arc<AppState>>, caller: Caller) -> Response {
    if let Err(r) = caller.require(&[Role::Admin, Role::Auditor, Role::MaOfficer]) {
        return r;
    }
    match list(s.anchor.store()) {
        Ok(alerts) => Json(alerts).into_response(),
        Err(e) => internal(e),
    }
}
