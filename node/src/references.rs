//! `GET /references?ref=CITES1:...`: the compact QR reference of a permit resolved against what
//! this node holds (its own log, or its replica of the issuer's), for a quick check at the
//! border: is this exact credential anchored by an accredited authority, and is the permit
//! still usable? It proves nothing about who carries it: the holder's presentation does that.

use std::sync::Arc;

use axum::Json;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use chrono::Utc;
use contracts::{Digest, PermitKey, Status};
use credentials::verify::Trust;
use serde::Deserialize;
use serde_json::{Value, json};

use crate::http::{AppState, internal, problem};
use crate::trust::NodeTrust;

/// A parsed reference: `CITES1:PARTY/NUMBER:DIGEST:ORIGIN:INDEX`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reference {
    /// The permit.
    pub permit: PermitKey,
    /// SHA-256 of the credential.
    pub digest: Digest,
    /// The issuer's log.
    pub origin: String,
    /// The issuance entry's index in it.
    pub index: u64,
}

impl std::fmt::Display for Reference {
    /// The form [`FromStr`](std::str::FromStr) reads back.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "CITES1:{}:{}:{}:{}",
            self.permit, self.digest, self.origin, self.index
        )
    }
}

impl std::str::FromStr for Reference {
    type Err = String;
    fn from_str(s: &str) -> Result<Reference, String> {
        let bad = || "a reference is CITES1:PARTY/NUMBER:DIGEST:ORIGIN:INDEX".to_owned();
        // The origin may hold a ':' (a port): the index is after the last one.
        let (head, index) = s.trim().rsplit_once(':').ok_or_else(bad)?;
        let parts: Vec<&str> = head.splitn(4, ':').collect();
        let ["CITES1", permit, digest, origin] = parts.as_slice() else {
            return Err(bad());
        };
        let (party, number) = permit.split_once('/').ok_or("the permit is PARTY/NUMBER")?;
        Ok(Reference {
            permit: PermitKey {
                party: party.parse().map_err(|e| format!("party: {e}"))?,
                number: (*number).to_owned(),
            },
            digest: digest.parse().map_err(|e| format!("digest: {e}"))?,
            origin: (*origin).to_owned(),
            index: index
                .parse()
                .map_err(|_| "index: not a number".to_owned())?,
        })
    }
}

#[derive(Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct ReferenceQuery {
    /// The reference read from the QR code.
    #[serde(rename = "ref")]
    reference: String,
}

fn check(id: &str, r: Result<String, String>) -> Value {
    match r {
        Ok(reason) => json!({ "check": id, "outcome": "pass", "reason": reason }),
        Err(reason) => json!({ "check": id, "outcome": "fail", "reason": reason }),
    }
}

/// The checks of a reference, from the node's own log or replicas.
fn resolve_on(s: &AppState, r: &Reference) -> Vec<Value> {
    let trust = NodeTrust::new(s, Utc::now());
    let anchored = trust.anchor(&r.permit, &r.digest).and_then(|a| {
        if a.origin == r.origin && a.index == r.index {
            Ok(a)
        } else {
            Err(format!(
                "the credential is anchored ({}), not where the reference says",
                a.evidence
            ))
        }
    });
    let mut checks = vec![check(
        "anchored",
        anchored
            .as_ref()
            .map(|a| a.evidence.clone())
            .map_err(Clone::clone),
    )];
    let issuer = s
        .registry
        .as_ref()
        .and_then(|reg| reg.trust_list().ok())
        .and_then(|list| {
            list["parties"]
                .as_object()?
                .values()
                .flat_map(|v| v.as_array().cloned().unwrap_or_default())
                .find(|a| a["log_origin"] == r.origin.as_str())
                .and_then(|a| a["did"].as_str().map(str::to_owned))
        });
    let accredited = match (&anchored, &issuer) {
        (Ok(a), Some(did)) => trust
            .accredited(did, r.permit.party, a.issued_at)
            .map(|()| format!("{did} was accredited for {} at issuance", r.permit.party)),
        (Ok(_), None) => Err(format!("no accredited authority keeps log {}", r.origin)),
        (Err(_), _) => Err("not anchored".into()),
    };
    checks.push(check("issuer_accredited", accredited));
    let today = Utc::now().date_naive();
    match trust.lifecycle(&r.permit) {
        Ok((life, _)) => {
            let status = life.status_on(today);
            let usable = matches!(status, Status::Issued | Status::Endorsed);
            checks.push(check(
                "status",
                if usable {
                    Ok(format!("{status}"))
                } else {
                    Err(format!("the permit is {status}"))
                },
            ));
            let within = life.valid_from <= today && today <= life.valid_until;
            let dates = format!("valid {} to {}", life.valid_from, life.valid_until);
            checks.push(check(
                "validity",
                if within { Ok(dates) } else { Err(dates) },
            ));
        }
        Err(e) => checks.push(check("status", Err(e))),
    }
    checks
}

/// `GET /references?ref=`: a permit's QR reference checked against this node's log and replicas.
#[utoipa::path(get, path = "/references", tag = "credentials", params(ReferenceQuery), responses((status = 200, description = "anchored, accredited, usable: each check with its reason"), (status = 400, description = "not a reference", body = crate::http::Problem), (status = 422, description = "not valid, with the checks")))]
pub async fn resolve(State(s): State<Arc<AppState>>, Query(q): Query<ReferenceQuery>) -> Response {
    let reference: Reference = match q.reference.parse() {
        Ok(r) => r,
        Err(e) => return problem(StatusCode::BAD_REQUEST, "not a reference", e),
    };
    let state = s.clone();
    let r = reference.clone();
    let checks = match tokio::task::spawn_blocking(move || resolve_on(&state, &r)).await {
        Ok(c) => c,
        Err(e) => return internal(e.into()),
    };
    let valid = checks.iter().all(|c| c["outcome"] == "pass");
    let body = json!({
        "reference": q.reference.trim(),
        "permit": reference.permit.to_string(),
        "valid": valid,
        "checks": checks,
    });
    let status = if valid {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    (status, Json(body)).into_response()
}
