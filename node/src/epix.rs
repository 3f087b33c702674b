//! EPIX between nodes: the four operations of the EPIX SOAP service
//! (`GetNonFinalCitesCertificate`, `GetFinalCitesCertificate`, `ConfirmQuantities`,
//! `ServiceState`) as requests of the node protocol.
//!
//! Where EPIX identifies the caller by its client TLS certificate, a request here is a compact
//! JWS (`typ: epix+jwt`) signed by the requesting authority's DID key, checked against the
//! registry as of now; `jti` and `iat` stop a replay. Answers that carry a permit are sealed
//! (JWE, ECDH-ES X25519 + A256GCM) to the requester's key-agreement key. A permit is shown to
//! the Party of import it names, to the Secretariat, and to the Parties in `epix_allow`;
//! quantities are confirmed only by the Party of import. The first confirmation is appended to
//! the exporting node's log; a second one is refused and raises an alert (possible re-use).
//!
//! Faults keep the EPIX names (`CertificateMissing`, `CallerNotFound`, `CalleeNotFound`,
//! `InvalidRequest`) and add what EPIX leaves to adapters (`AccessDenied`, `NotFinal`,
//! `AlreadyConfirmed`, `NotPossible`).

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use anyhow::Context;
use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use chrono::{NaiveDate, Utc};
use contracts::{PermitKey, Quantity};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::alerts::{self, AlertKind};
use crate::audit::RequestInfo;
use crate::auth::Caller;
use crate::http::{AppState, parse_json, problem};
use crate::registry::Standing;
use crate::users::Role;

/// `typ` of an EPIX request.
pub const TYP: &str = "epix+jwt";

/// How far a request's `iat` may be from our clock, in seconds.
const CLOCK_SKEW: i64 = 300;

/// An EPIX operation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Operation {
    /// The permit as issued.
    GetNonFinalCitesCertificate,
    /// The permit after export clearance (box 14 filled in).
    GetFinalCitesCertificate,
    /// The Party of import reports the quantities it inspected, per block.
    ConfirmQuantities,
    /// Whether the service answers.
    ServiceState,
}

/// The claims of a signed EPIX request.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Claims {
    /// What is asked.
    pub op: Operation,
    /// The requesting authority's DID.
    pub iss: String,
    /// The DID of the node asked: a request is good for that node only.
    pub aud: String,
    /// The called (issuing) Party, ISO 3166 alpha-2 (EPIX `IsoCountryCode`).
    pub callee: String,
    /// Box 1 number (EPIX `CertificateNumber`); not for `ServiceState`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub certificate: Option<String>,
    /// `ConfirmQuantities`: inspected quantity per block id (EPIX `CitesPosition`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub quantities: Option<BTreeMap<String, Quantity>>,
    /// `ConfirmQuantities`: day of import (default: today).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub on: Option<NaiveDate>,
    /// Issued at (POSIX seconds).
    pub iat: i64,
    /// A unique id: a request is answered once.
    pub jti: String,
}

pub use protocol::epix::{Answer, Fault};

/// The HTTP status of a fault on the node's JSON EPIX endpoint.
fn fault_status(fault: Fault) -> StatusCode {
    match fault {
        Fault::InvalidRequest => StatusCode::BAD_REQUEST,
        Fault::CallerNotFound | Fault::AccessDenied => StatusCode::FORBIDDEN,
        Fault::CalleeNotFound | Fault::CertificateMissing => StatusCode::NOT_FOUND,
        Fault::NotFinal | Fault::AlreadyConfirmed | Fault::NotPossible => StatusCode::CONFLICT,
    }
}

fn fault(fault: Fault, reason: impl Into<String>) -> Answer {
    Answer::Fault {
        fault,
        reason: reason.into(),
    }
}

/// Request ids seen within the clock window, so a captured request cannot be replayed.
#[derive(Default)]
pub struct SeenRequests(Mutex<BTreeMap<String, i64>>);

impl SeenRequests {
    /// False if `jti` was seen from `iss`; forgets ids older than the window. (Kept in
    /// memory: a restart forgets them, and `iat` still bounds a replay to the window.)
    fn first(&self, iss: &str, jti: &str, iat: i64, now: i64) -> bool {
        let Ok(mut seen) = self.0.lock() else {
            return false;
        };
        seen.retain(|_, t| *t > now.saturating_sub(2 * CLOCK_SKEW));
        seen.insert(format!("{iss} {jti}"), iat).is_none()
    }
}

/// Checks a request's signature, freshness and requester; returns the claims and who asks.
fn check(state: &AppState, jws: &str) -> Result<(Claims, Standing), Answer> {
    let registry = state
        .registry
        .as_ref()
        .ok_or_else(|| fault(Fault::CalleeNotFound, "this node runs without a genesis"))?;
    let unverified =
        credentials::jose::decode(jws).map_err(|e| fault(Fault::InvalidRequest, e.to_string()))?;
    let kid = unverified.header["kid"]
        .as_str()
        .ok_or_else(|| fault(Fault::InvalidRequest, "the JWS header has no kid"))?;
    let (did, _) = kid
        .split_once('#')
        .ok_or_else(|| fault(Fault::InvalidRequest, "kid is not DID#fragment"))?;
    let now = Utc::now();
    let key = registry
        .key_at(did, kid, now, None)
        .map_err(|e| fault(Fault::CallerNotFound, format!("{kid}: {e}")))?;
    let verified = credentials::jose::verify(jws, &key, &[TYP])
        .map_err(|e| fault(Fault::CallerNotFound, e.to_string()))?;
    let claims: Claims = serde_json::from_value(verified.payload)
        .map_err(|e| fault(Fault::InvalidRequest, format!("claims: {e}")))?;
    if claims.iss != did {
        return Err(fault(
            Fault::InvalidRequest,
            "iss is not the DID of the signing key",
        ));
    }
    let now = now.timestamp();
    if claims.iat.abs_diff(now) > CLOCK_SKEW as u64 {
        return Err(fault(
            Fault::InvalidRequest,
            "iat is more than 5 minutes from this node's clock",
        ));
    }
    if claims.aud != state.issuer.did {
        return Err(fault(
            Fault::InvalidRequest,
            format!("the request is for {}, not this node", claims.aud),
        ));
    }
    let standing = registry
        .standing(did)
        .map_err(|e| fault(Fault::CallerNotFound, format!("{e:#}")))?
        .ok_or_else(|| {
            fault(
                Fault::CallerNotFound,
                format!("{did} is not an active authority"),
            )
        })?;
    if claims.jti.is_empty() || !state.epix_seen.first(did, &claims.jti, claims.iat, now) {
        return Err(fault(
            Fault::InvalidRequest,
            "this request was answered already",
        ));
    }
    Ok((claims, standing))
}

/// Who asks, once authenticated: by a signed request over the node protocol, or by a client
/// certificate over HTTPS.
#[derive(Debug, Clone)]
pub struct Requester {
    /// The authority's DID, or the client certificate's subject: who the audit trail names.
    pub id: String,
    /// Its Party; none for the Secretariat.
    pub party: Option<String>,
    /// Whether it may act on permits (a Scientific Authority may not).
    pub acts: bool,
}

/// What is asked, however the request arrived.
#[derive(Debug, Clone, Serialize)]
pub struct Asked {
    /// The operation.
    pub op: Operation,
    /// The called Party (EPIX `IsoCountryCode`).
    pub callee: String,
    /// Box 1 number (EPIX `CertificateNumber`).
    pub certificate: Option<String>,
    /// `ConfirmQuantities`: quantity per block id.
    pub quantities: Option<BTreeMap<String, Quantity>>,
    /// `ConfirmQuantities`: day of import (default: today).
    pub on: Option<NaiveDate>,
    /// The request's id, for the audit trail.
    pub request_id: String,
}

/// What the node answers, before it is sealed or written as SOAP.
pub enum Decision {
    /// `ServiceState`.
    State { party: String, available: bool },
    /// The permit's view (with its toolkit message in `citesEPermit`), or the permit after
    /// the confirmation.
    Document(Value),
}

/// Answers one EPIX request as the issuing Party's node (blocking).
pub fn serve(state: &AppState, jws: &str) -> Answer {
    let (claims, standing) = match check(state, jws) {
        Ok(c) => c,
        Err(a) => return a,
    };
    let requester = match &standing {
        Standing::Secretariat => Requester {
            id: claims.iss.clone(),
            party: None,
            acts: true,
        },
        Standing::Authority { party, role } => Requester {
            id: claims.iss.clone(),
            party: Some(party.clone()),
            // Management Authorities and customs act on permits; a Scientific Authority does not.
            acts: matches!(
                role,
                did_registry::Role::ManagementAuthority | did_registry::Role::Customs
            ),
        },
    };
    let asked = Asked {
        op: claims.op,
        callee: claims.callee.clone(),
        certificate: claims.certificate.clone(),
        quantities: claims.quantities.clone(),
        on: claims.on,
        request_id: claims.jti.clone(),
    };
    match decide(state, &asked, &requester) {
        Ok(Decision::State { party, available }) => Answer::State { party, available },
        Ok(Decision::Document(document)) => seal_to(state, &claims.iss, &document),
        Err(a) => a,
    }
}

/// The rules of EPIX, whoever asks and however: the called Party, who may see a permit, who
/// may confirm it, final or not.
pub fn decide(state: &AppState, asked: &Asked, who: &Requester) -> Result<Decision, Answer> {
    let party = state.config.party.code().to_owned();
    if asked.callee != party {
        return Err(fault(
            Fault::CalleeNotFound,
            format!("this is the node of {party}, not of {}", asked.callee),
        ));
    }
    if asked.op == Operation::ServiceState {
        return Ok(Decision::State {
            party,
            available: true,
        });
    }
    let Some(number) = asked.certificate.clone() else {
        return Err(fault(Fault::InvalidRequest, "certificate: missing"));
    };
    let key = PermitKey {
        party: state.config.party,
        number,
    };
    // A permit the requester may not see answers as a missing one: the answer must not tell
    // an authority of another Party which numbers exist.
    let missing = || {
        fault(
            Fault::CertificateMissing,
            format!("{party} has no permit {} for you", key.number),
        )
    };
    let record = match crate::store::permit(state.anchor.store(), &key) {
        Ok(Some(r)) => r,
        Ok(None) => return Err(missing()),
        Err(e) => return Err(fault(Fault::NotPossible, format!("{e:#}"))),
    };
    let import_party = record.permit.importer.country.code().to_owned();
    if !who.acts {
        return Err(missing());
    }
    let requester_party = who.party.as_deref();
    let reads = requester_party.is_none()
        || requester_party == Some(import_party.as_str())
        || state
            .config
            .epix_allow
            .iter()
            .any(|p| p == "*" || Some(p.as_str()) == requester_party);
    if !reads {
        return Err(missing());
    }
    match asked.op {
        Operation::GetNonFinalCitesCertificate | Operation::GetFinalCitesCertificate => {
            let endorsed = !record.permit.export_endorsements.is_empty();
            if asked.op == Operation::GetFinalCitesCertificate && !endorsed {
                return Err(fault(
                    Fault::NotFinal,
                    format!("{key} has not been endorsed at export"),
                ));
            }
            // EPIX clients read the toolkit message; the view adds status and lifecycle.
            let mut view = crate::permits::view(&record);
            match toolkit::to_xml(&record.permit) {
                Ok(xml) => view["citesEPermit"] = Value::String(xml),
                Err(e) => return Err(fault(Fault::NotPossible, e.to_string())),
            }
            Ok(Decision::Document(view))
        }
        Operation::ConfirmQuantities => {
            if requester_party != Some(import_party.as_str()) {
                return Err(fault(
                    Fault::AccessDenied,
                    format!("only the Party of import ({import_party}) confirms {key}"),
                ));
            }
            confirm(state, asked, who, &record, key).map(Decision::Document)
        }
        Operation::ServiceState => Err(fault(Fault::InvalidRequest, "unreachable")),
    }
}

fn seal_to(state: &AppState, did: &str, document: &Value) -> Answer {
    let sealed = (|| {
        let registry = state.registry.as_ref().context("no genesis")?;
        let (kid, key) = registry.agreement_key(did)?;
        Ok::<_, anyhow::Error>(credentials::sealed::seal(
            &key,
            &kid,
            &serde_json::to_vec(document)?,
        )?)
    })();
    match sealed {
        Ok(jwe) => Answer::Sealed { jwe },
        Err(e) => fault(Fault::NotPossible, format!("cannot seal the answer: {e:#}")),
    }
}

/// Records the import confirmation, or refuses a second one with an alert.
fn confirm(
    state: &AppState,
    asked: &Asked,
    who: &Requester,
    record: &crate::store::PermitRecord,
    key: PermitKey,
) -> Result<Value, Answer> {
    let Some(quantities) = asked.quantities.clone() else {
        return Err(fault(Fault::InvalidRequest, "quantities: missing"));
    };
    let by = record.permit.importer.country;
    let on = asked.on.unwrap_or_else(|| Utc::now().date_naive());
    let caller = Caller {
        user: who.id.clone(),
        role: Role::CustomsOfficer,
        official_id: who.id.clone(),
    };
    let info = RequestInfo {
        request_id: asked.request_id.clone(),
        remote: None,
        method: "EPIX".into(),
        path: "ConfirmQuantities".into(),
        headers: Default::default(),
    };
    let handle = tokio::runtime::Handle::current();
    let result = handle.block_on(crate::permits::confirm_import(
        state,
        &caller,
        &info,
        &key,
        by,
        on,
        quantities.clone(),
    ));
    match result {
        Ok(record) => Ok(crate::permits::view(&record)),
        Err(response) => {
            let status = response.status();
            let body = handle
                .block_on(axum::body::to_bytes(response.into_body(), 64 * 1024))
                .unwrap_or_default();
            let detail = serde_json::from_slice::<Value>(&body)
                .ok()
                .and_then(|v| v["detail"].as_str().map(str::to_owned))
                .unwrap_or_else(|| String::from_utf8_lossy(&body).into_owned());
            let first = crate::store::permit(state.anchor.store(), &key)
                .ok()
                .flatten()
                .and_then(|r| {
                    r.lifecycle()
                        .crossings
                        .iter()
                        .rev()
                        .find_map(|c| c.imported.clone())
                });
            match first {
                // The same confirmation again (a retry after a lost answer) is not re-use.
                Some(first)
                    if status == StatusCode::CONFLICT
                        && first.by == by
                        && first.on == on
                        && asked.quantities.as_ref() == Some(&first.quantities) =>
                {
                    crate::store::permit(state.anchor.store(), &key)
                        .ok()
                        .flatten()
                        .map(|r| crate::permits::view(&r))
                        .ok_or_else(|| fault(Fault::NotPossible, detail))
                }
                Some(first) if status == StatusCode::CONFLICT => {
                    let summary = format!(
                        "{key}: import confirmed a second time by {} (possible re-use of the permit)",
                        who.id
                    );
                    let evidence = json!({"first": first, "second": asked, "by": who.id});
                    if let Err(e) = alerts::raise(
                        state,
                        AlertKind::DoubleConfirmation,
                        &key.to_string(),
                        summary,
                        evidence,
                    ) {
                        tracing::error!(error = %format!("{e:#}"), "alert not stored");
                    }
                    Err(fault(
                        Fault::AlreadyConfirmed,
                        format!("{key} was confirmed on {} by {}", first.on, first.by),
                    ))
                }
                _ if status.is_client_error() => Err(fault(Fault::NotPossible, detail)),
                _ => Err(fault(
                    Fault::NotPossible,
                    format!("the node failed: {detail}"),
                )),
            }
        }
    }
}

/// Opens an answer sealed to this node: with its current key, or (for an answer sealed while
/// a rotation replicated) with a retired one.
fn open_sealed(state: &AppState, jwe: &str) -> Result<Vec<u8>, credentials::jose::JoseError> {
    let current = credentials::sealed::open(&state.issuer.current().secret(), jwe);
    if current.is_ok() {
        return current;
    }
    // If no retired key opens it either, the current key's error says why.
    state
        .issuer
        .retired()
        .iter()
        .rev()
        .find_map(|key| credentials::sealed::open(&key.secret(), jwe).ok())
        .map_or(current, Ok)
}

/// Signs a request as this node's authority.
fn sign(state: &AppState, claims: &Claims) -> anyhow::Result<String> {
    let key = state.issuer.current();
    let signer = credentials::jose::JoseSigner::new(&key.secret(), key.signer.method())?;
    Ok(signer.sign(&serde_json::to_value(claims)?, TYP)?)
}

/// What went wrong asking another node.
#[derive(Debug)]
pub enum AskError {
    /// Its answer.
    Fault(Fault, String),
    /// It could not be asked (no network, no such Party, no answer).
    Unreachable(String),
}

/// Sends `op` to the node of Party `callee` and opens its answer.
pub async fn ask(
    state: &Arc<AppState>,
    callee: &str,
    op: Operation,
    certificate: Option<String>,
    quantities: Option<BTreeMap<String, Quantity>>,
    on: Option<NaiveDate>,
) -> Result<Value, AskError> {
    let unreachable = |e: String| AskError::Unreachable(e);
    let network = state
        .network
        .get()
        .ok_or_else(|| unreachable("this node is not on the peer-to-peer network".into()))?;
    let registry = state
        .registry
        .as_ref()
        .ok_or_else(|| unreachable("this node runs without a genesis".into()))?;
    let (peer, aud) = registry
        .p2p_peers()
        .map_err(|e| unreachable(format!("{e:#}")))?
        .into_iter()
        .find(|p| {
            p.party.as_deref() == Some(callee)
                && p.role == Some(did_registry::Role::ManagementAuthority)
        })
        .and_then(|p| Some((p.peer_id.parse::<libp2p::PeerId>().ok()?, p.did)))
        .ok_or_else(|| {
            unreachable(format!(
                "no accredited Management Authority of {callee} on the network"
            ))
        })?;
    let mut jti = [0u8; 16];
    getrandom::getrandom(&mut jti).map_err(|e| unreachable(e.to_string()))?;
    let claims = Claims {
        op,
        iss: state.issuer.did.clone(),
        aud,
        callee: callee.to_owned(),
        certificate,
        quantities,
        on,
        iat: Utc::now().timestamp(),
        jti: hex::encode(jti),
    };
    let jws = sign(state, &claims).map_err(|e| unreachable(format!("{e:#}")))?;
    let answer = network
        .request(peer, crate::p2p::Request::Epix { jws })
        .await
        .map_err(|e| unreachable(format!("{e:#}")))?;
    match answer {
        crate::p2p::Response::Epix(Answer::Sealed { jwe }) => {
            let bytes = open_sealed(state, &jwe)
                .map_err(|e| unreachable(format!("cannot open the answer: {e}")))?;
            serde_json::from_slice(&bytes).map_err(|e| unreachable(e.to_string()))
        }
        crate::p2p::Response::Epix(Answer::State { party, available }) => {
            Ok(json!({"party": party, "available": available}))
        }
        crate::p2p::Response::Epix(Answer::Fault { fault, reason }) => {
            Err(AskError::Fault(fault, reason))
        }
        other => Err(unreachable(format!("unexpected answer {other:?}"))),
    }
}

fn answer(result: Result<Value, AskError>) -> Response {
    match result {
        Ok(v) => Json(v).into_response(),
        Err(AskError::Fault(f, reason)) => problem(fault_status(f), &format!("{f:?}"), reason),
        Err(AskError::Unreachable(reason)) => {
            problem(StatusCode::BAD_GATEWAY, "not reachable", reason)
        }
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Confirmation {
    quantities: BTreeMap<String, Quantity>,
    #[serde(default)]
    on: Option<NaiveDate>,
}

/// `POST /epix/{party}/{number}/{op}`: asks Party `party`'s node, over the peer-to-peer
/// network, for its permit `number` (`non-final`, `final`: MA and customs officers) or
/// confirms the quantities imported (`confirm` `{quantities, on}`: customs officers).
#[utoipa::path(post, path = "/epix/{party}/{number}/{op}", tag = "epix", params(("party" = String, Path, description = "the issuing Party"), ("number" = String, Path), ("op" = String, Path, description = "non-final, final or confirm")), request_body(content = serde_json::Value, description = "confirm: {quantities: {block: quantity}, on}; otherwise nothing"), responses((status = 200, description = "the permit as the issuing node holds it"), (status = 400, description = "invalid request", body = crate::http::Problem), (status = 403, description = "not allowed", body = crate::http::Problem), (status = 404, description = "no such permit or Party", body = crate::http::Problem), (status = 409, description = "not final, or confirmed already", body = crate::http::Problem), (status = 502, description = "the issuing node cannot be reached", body = crate::http::Problem)))]
pub async fn request(
    State(s): State<Arc<AppState>>,
    caller: Caller,
    Path((party, number, op)): Path<(String, String, String)>,
    body: Bytes,
) -> Response {
    let (op, roles, confirmation): (_, &[Role], _) = match op.as_str() {
        "non-final" => (
            Operation::GetNonFinalCitesCertificate,
            &[Role::MaOfficer, Role::CustomsOfficer],
            None,
        ),
        "final" => (
            Operation::GetFinalCitesCertificate,
            &[Role::MaOfficer, Role::CustomsOfficer],
            None,
        ),
        "confirm" => match parse_json::<Confirmation>(&body) {
            Ok(c) => (
                Operation::ConfirmQuantities,
                &[Role::CustomsOfficer],
                Some(c),
            ),
            Err(r) => return r,
        },
        _ => {
            return problem(
                StatusCode::NOT_FOUND,
                "no such operation",
                format!("{op:?}: use non-final, final or confirm"),
            );
        }
    };
    if let Err(r) = caller.require(roles) {
        return r;
    }
    if op != Operation::ConfirmQuantities
        && let Err(r) = crate::http::no_fields(&body)
    {
        return r;
    }
    let (quantities, on) = match confirmation {
        Some(c) => (Some(c.quantities), c.on),
        None => (None, None),
    };
    answer(ask(&s, &party.to_uppercase(), op, Some(number), quantities, on).await)
}

/// `GET /epix/{party}/state`: whether Party `party`'s node answers (EPIX `ServiceState`).
#[utoipa::path(get, path = "/epix/{party}/state", tag = "epix", params(("party" = String, Path)), responses((status = 200, description = "{party, available}"), (status = 502, description = "not reachable", body = crate::http::Problem)))]
pub async fn service_state(
    State(s): State<Arc<AppState>>,
    caller: Caller,
    Path(party): Path<String>,
) -> Response {
    if let Err(r) = caller.require(&[Role::MaOfficer, Role::CustomsOfficer, Role::Admin]) {
        return r;
    }
    answer(
        ask(
            &s,
            &party.to_uppercase(),
            Operation::ServiceState,
            None,
            None,
            None,
        )
        .await,
    )
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn a_request_id_is_answered_once_within_the_window() {
        let seen = SeenRequests::default();
        assert!(seen.first("x", "a", 1000, 1000));
        assert!(!seen.first("x", "a", 1000, 1001));
        assert!(seen.first("x", "b", 1000, 1001));
        assert!(seen.first("y", "a", 1000, 1001), "ids are per requester");
        // Long after, the id is forgotten (and the iat check refuses the replay anyway).
        assert!(seen.first("x", "a", 5000, 5000));
    }
}
