//! W3C VC API endpoints: `POST /credentials/issue`, `POST /credentials/verify`,
//! `POST /presentations/verify`, `POST /challenges`, plus the node's status lists and DID
//! document. Bad input answers 400, a failed verification 422 with the checklist, never 500.

// The helpers return a ready HTTP response as their error, the axum way; its size is irrelevant
// next to a network round trip.
#![allow(clippy::result_large_err)]

use std::collections::{HashMap, VecDeque};
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::Utc;
use contracts::Permit;
use credentials::credential::StatusPurpose;
use credentials::verify::{
    Expectations, Use, Verdict, verify_credential, verify_read_presentation,
};
use credentials::{Mechanism, Secured};
use serde::Deserialize;
use serde_json::{Value, json};
use subtle::ConstantTimeEq;

use crate::http::{AppState, internal, parse_json, problem};
use crate::issuance::{self, IssueError};
use crate::trust::NodeTrust;

/// Most challenges (or nonces) outstanding at once.
const MAX_OUTSTANDING: usize = 100_000;
/// How long a challenge may be answered.
const CHALLENGE_TTL: Duration = Duration::from_secs(600);
/// Oldest status a verification accepts (the node's own lists are always current).
const MAX_STATUS_AGE: i64 = 3600;

/// Challenges handed out and not yet used: each answers one presentation, once.
#[derive(Default)]
pub struct Challenges(std::sync::Mutex<Outstanding>);

/// Every challenge lives as long as the others, so the order they were made in is the order
/// they expire in: the expired ones are dropped from the front of a queue as new ones are made,
/// not by a scan of all of them (up to [`MAX_OUTSTANDING`], under the lock) for each new one.
#[derive(Default)]
struct Outstanding {
    live: HashMap<String, Instant>,
    /// By expiry; may still name challenges already used, passed over when reached.
    by_expiry: VecDeque<(Instant, String)>,
}

impl Challenges {
    /// A new value, valid for ten minutes.
    pub(crate) fn create(&self) -> Result<String, String> {
        self.create_at(Instant::now())
    }

    fn create_at(&self, now: Instant) -> Result<String, String> {
        let mut bytes = [0u8; 18];
        getrandom::getrandom(&mut bytes).map_err(|e| e.to_string())?;
        let challenge = URL_SAFE_NO_PAD.encode(bytes);
        let mut o = self.0.lock().map_err(|_| "lock poisoned".to_owned())?;
        while o
            .by_expiry
            .front()
            .is_some_and(|(expires, _)| *expires <= now)
        {
            if let Some((_, gone)) = o.by_expiry.pop_front() {
                o.live.remove(&gone);
            }
        }
        // Used challenges wait in the queue until they expire; once they are most of it, the
        // queue keeps only the live ones (each entry is copied at most once per such pass).
        if o.by_expiry.len() > 2 * o.live.len() + 1024 {
            let Outstanding { live, by_expiry } = &mut *o;
            by_expiry.retain(|(_, c)| live.contains_key(c));
        }
        // Anyone may ask; a bound keeps the map from growing without end.
        if o.live.len() >= MAX_OUTSTANDING {
            return Err("too many outstanding challenges; try again in a few minutes".into());
        }
        let expires = now + CHALLENGE_TTL;
        o.live.insert(challenge.clone(), expires);
        o.by_expiry.push_back((expires, challenge.clone()));
        Ok(challenge)
    }

    /// Consumes a challenge; false if unknown, used or expired.
    pub(crate) fn take(&self, challenge: &str) -> bool {
        self.take_at(challenge, Instant::now())
    }

    fn take_at(&self, challenge: &str, now: Instant) -> bool {
        let Ok(mut o) = self.0.lock() else {
            return false;
        };
        matches!(o.live.remove(challenge), Some(expires) if expires > now)
    }
}

fn bad_request(detail: impl Into<String>) -> Response {
    problem(StatusCode::BAD_REQUEST, "invalid request", detail)
}

/// Whether the request carries the node's API token.
pub(crate) fn authorized(state: &AppState, headers: &HeaderMap) -> bool {
    let Some(token) = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
    else {
        return false;
    };
    token.as_bytes().ct_eq(state.api_token.as_bytes()).into()
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct IssueRequest {
    credential: Value,
    #[serde(default)]
    options: IssueOptions,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct IssueOptions {
    #[serde(default)]
    securing: Option<String>,
}

/// `POST /credentials/issue` (the operator's token): the request's
/// credential names the holder (`credentialSubject.id`) and carries the permit
/// (`credentialSubject.permit`); the node builds, signs and anchors the credential with its
/// audit record and answers with it and its evidence bundle.
#[utoipa::path(post, path = "/credentials/issue", tag = "credentials", request_body = serde_json::Value, responses((status = 201, description = "verifiableCredential and evidence bundle"), (status = 400, description = "invalid request", body = crate::http::Problem), (status = 401, description = "no token", body = crate::http::Problem), (status = 409, description = "the number was issued already", body = crate::http::Problem), (status = 422, description = "the permit breaks rules of the form", body = crate::http::Problem)))]
pub async fn issue(
    State(s): State<Arc<AppState>>,
    caller: crate::auth::Caller,
    info: crate::audit::RequestInfo,
    body: Bytes,
) -> Response {
    // Machines of the MA (a national permit system) only: people issue through the workflow,
    // whose rules (SA finding, fee, box 13) this endpoint does not apply.
    if let Err(r) = caller.require(&[crate::users::Role::Admin]) {
        return r;
    }
    let mut request: IssueRequest = match parse_json(&body) {
        Ok(r) => r,
        Err(r) => return r,
    };
    let Some(holder) = request.credential["credentialSubject"]["id"]
        .as_str()
        .map(str::to_owned)
    else {
        return bad_request("credential.credentialSubject.id (the holder's did:key) is required");
    };
    // Taken out of the parsed request, not written out and read again.
    let permit = request
        .credential
        .pointer_mut("/credentialSubject/permit")
        .map(Value::take)
        .unwrap_or(Value::Null);
    let permit: Permit = match contracts::from_value(permit) {
        Ok(p) => p,
        Err(e) => return bad_request(format!("credential.credentialSubject.permit.{e}")),
    };
    let mechanism = match securing(request.options.securing.as_deref(), "options.securing") {
        Ok(m) => m,
        Err(r) => return r,
    };
    issue_permit(&s, &caller, &info, permit, &holder, mechanism).await
}

fn securing(name: Option<&str>, field: &str) -> Result<Option<Mechanism>, Response> {
    name.map(str::parse::<Mechanism>)
        .transpose()
        .map_err(|e| bad_request(format!("{field}: {e}")))
}

/// The query of `POST /credentials/issue/xml`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IssueXmlQuery {
    holder: String,
    #[serde(default)]
    securing: Option<String>,
}

/// `POST /credentials/issue/xml?holder=DID` (the operator's token): as `/credentials/issue`,
/// for a national permit system that speaks the toolkit: the body is a `CITESEPermit`
/// message (`application/xml`), read without loss or refused with the element at fault.
#[utoipa::path(post, path = "/credentials/issue/xml", tag = "credentials", params(("holder" = String, Query, description = "the holder's did:key"), ("securing" = Option<String>, Query, description = "jose, eddsa-rdfc-2022 or eddsa-jcs-2022")), request_body(content = String, content_type = "application/xml", description = "a toolkit v2 CITESEPermit message"), responses((status = 201, description = "verifiableCredential and evidence bundle"), (status = 400, description = "not a CITESEPermit message, with the element at fault", body = crate::http::Problem), (status = 401, description = "no token", body = crate::http::Problem), (status = 409, description = "the number was issued already", body = crate::http::Problem), (status = 415, description = "not XML", body = crate::http::Problem), (status = 422, description = "the permit breaks rules of the form", body = crate::http::Problem)))]
pub async fn issue_xml(
    State(s): State<Arc<AppState>>,
    caller: crate::auth::Caller,
    info: crate::audit::RequestInfo,
    query: Result<axum::extract::Query<IssueXmlQuery>, axum::extract::rejection::QueryRejection>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    if let Err(r) = caller.require(&[crate::users::Role::Admin]) {
        return r;
    }
    let xml_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .is_some_and(|m| matches!(m.trim(), "application/xml" | "text/xml"));
    if !xml_type {
        return problem(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported media type",
            "send the CITESEPermit message as application/xml",
        );
    }
    let axum::extract::Query(query) = match query {
        Ok(q) => q,
        Err(e) => return bad_request(format!("query: {}", e.body_text())),
    };
    let Ok(text) = std::str::from_utf8(&body) else {
        return bad_request("the message is not UTF-8");
    };
    let permit = match toolkit::from_xml(text) {
        Ok(p) => p,
        Err(e) => return bad_request(e.to_string()),
    };
    let mechanism = match securing(query.securing.as_deref(), "securing") {
        Ok(m) => m,
        Err(r) => return r,
    };
    issue_permit(&s, &caller, &info, permit, &query.holder, mechanism).await
}

async fn issue_permit(
    s: &Arc<AppState>,
    caller: &crate::auth::Caller,
    info: &crate::audit::RequestInfo,
    permit: Permit,
    holder: &str,
    mechanism: Option<Mechanism>,
) -> Response {
    let (key, valid_until) = (permit.key().to_string(), permit.valid_until);
    let who = caller.who();
    let mut order = issuance::Order::new(permit, holder, mechanism);
    order.extra = Some(Box::new(|| {
        s.journal.writes(crate::audit::Change {
            permit: Some((key.clone(), valid_until)),
            ..crate::audit::Change::new(&who, info, "credential.issue", &key)
        })
    }));
    match issuance::issue(s, order).await {
        Ok(issued) => {
            let evidence = issued.evidence(s).await;
            let answer = Issued {
                verifiable_credential: &issued.credential,
                evidence,
            };
            (StatusCode::CREATED, Json(answer)).into_response()
        }
        Err(e) => issue_error(e),
    }
}

/// The answer to `POST /credentials/issue`, written straight out (not built as a JSON tree
/// first, which copied the credential and the whole bundle once more).
#[derive(serde::Serialize)]
#[serde(rename_all = "camelCase")]
struct Issued<'a> {
    verifiable_credential: &'a Secured,
    /// `null` when no checkpoint covered the entry in time (`POST /evidence` gives it later).
    evidence: Option<credentials::bundle::Bundle>,
}

/// 422 with every problem of a permit, by box.
pub(crate) fn invalid_permit(problems: Vec<contracts::Problem>) -> Response {
    let body = json!({
        "type": "about:blank", "title": "the permit breaks rules of the standard form",
        "status": 422, "detail": format!("{} problem(s)", problems.len()), "problems": problems,
    });
    (
        StatusCode::UNPROCESSABLE_ENTITY,
        [(header::CONTENT_TYPE, "application/problem+json")],
        body.to_string(),
    )
        .into_response()
}

/// Why a permit was not issued, as an HTTP answer.
pub(crate) fn issue_error(e: IssueError) -> Response {
    match e {
        IssueError::Invalid(problems) => invalid_permit(problems),
        e @ IssueError::WrongParty { .. } => problem(
            StatusCode::UNPROCESSABLE_ENTITY,
            "wrong Party",
            e.to_string(),
        ),
        e @ IssueError::AlreadyIssued(_) => {
            problem(StatusCode::CONFLICT, "already issued", e.to_string())
        }
        e @ IssueError::BadHolder(_) => bad_request(e.to_string()),
        e @ IssueError::Quota(_) => problem(
            StatusCode::UNPROCESSABLE_ENTITY,
            "beyond the export quota",
            e.to_string(),
        ),
        IssueError::Internal(e) => internal(e),
    }
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct VerifyOptions {
    #[serde(default)]
    challenge: Option<String>,
    #[serde(default)]
    domain: Option<String>,
    /// `export`, `import` or `inspect` (default).
    #[serde(default)]
    purpose: Option<String>,
    /// The HS code on the goods declaration, for the risk flags (`0106.20`).
    #[serde(default, rename = "hsCode")]
    hs_code: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct VerifyCredentialRequest {
    verifiable_credential: Value,
    #[serde(default)]
    options: VerifyOptions,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct VerifyPresentationRequest {
    verifiable_presentation: Value,
    #[serde(default)]
    options: VerifyOptions,
}

fn purpose_of(options: &VerifyOptions) -> Result<Use, Response> {
    match options.purpose.as_deref() {
        None | Some("inspect") => Ok(Use::Inspect),
        Some("export") => Ok(Use::Export),
        Some("import") => Ok(Use::Import),
        Some(other) => Err(bad_request(format!(
            "options.purpose {other:?}: use export, import or inspect"
        ))),
    }
}

fn secured_of(value: Value) -> Result<Secured, Response> {
    match value {
        Value::String(s) => Secured::parse(&s).map_err(|e| bad_request(e.to_string())),
        v @ Value::Object(_) => Ok(Secured::Embedded(v)),
        _ => Err(bad_request("expected a JWS string or a JSON-LD object")),
    }
}

/// As [`secured_of`], with the document read before any check (`None` if it cannot be): a
/// JWS is decoded once for both.
fn read_secured(value: Value) -> Result<(Secured, Option<Value>), Response> {
    match value {
        Value::String(s) => Secured::parse_read(&s)
            .map(|(secured, document)| (secured, Some(document)))
            .map_err(|e| bad_request(e.to_string())),
        other => {
            let secured = secured_of(other)?;
            let document = secured.unverified_document().ok();
            Ok((secured, document))
        }
    }
}

fn answer(verdicts: Vec<Verdict>, risk: Vec<crate::risk::Flag>) -> Response {
    /// The VC API's verification answer, written out as it is (not built as a `Value` first).
    #[derive(serde::Serialize)]
    struct Answer<'a> {
        verified: bool,
        results: &'a [Verdict],
        errors: Vec<&'a str>,
        warnings: [(); 0],
        risk: Vec<crate::risk::Flag>,
    }
    let verified = !verdicts.is_empty() && verdicts.iter().all(|v| v.valid);
    let errors = verdicts
        .iter()
        .flat_map(|v| v.checks.iter())
        .filter(|c| c.outcome == credentials::verify::Outcome::Fail)
        .map(|c| c.reason.as_str())
        .collect();
    let body = Answer {
        verified,
        results: &verdicts,
        errors,
        warnings: [],
        risk,
    };
    let status = if verified {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    (status, Json(body)).into_response()
}

/// Verifications cheap enough for the async runtime: a request of at most this many bytes,
/// holding at most [`INLINE_MAX_CREDENTIALS`] credentials, none of them (nor the presentation)
/// secured with `eddsa-rdfc-2022`. That is a few hundred microseconds of signature checks and
/// RocksDB reads (block-cache hits, as a rule), where handing them to the blocking pool and back
/// cost the node 6% (JOSE) to 31% (`eddsa-jcs-2022`) of its CPU per presentation
/// (BENCHMARKS.md). RDF canonicalisation takes milliseconds a credential, and more for crafted
/// blank-node graphs, so anything that holds it goes to the pool.
const INLINE_MAX_BYTES: usize = 64 * 1024;
const INLINE_MAX_CREDENTIALS: usize = 4;

/// Whether checking `secured` needs no RDF canonicalisation. Unreadable proofs fail before
/// any, so they count as cheap.
fn without_rdfc(secured: &Secured) -> bool {
    !matches!(secured.mechanism(), Ok(Mechanism::EddsaRdfc2022))
}

/// Whether a credential request of `len` bytes is cheap (see [`INLINE_MAX_BYTES`]).
fn cheap_credential(secured: &Secured, len: usize) -> bool {
    len <= INLINE_MAX_BYTES && without_rdfc(secured)
}

/// Whether a presentation request of `len` bytes, whose document reads as `document`, is
/// cheap: its credentials are read (not checked) to know, since a presentation secured one way
/// may carry credentials secured another.
fn cheap_presentation(secured: &Secured, document: Option<&Value>, len: usize) -> bool {
    if !cheap_credential(secured, len) {
        return false;
    }
    let Some(document) = document else {
        return true;
    };
    match credentials::presentation::contents(document) {
        Ok((_, held)) => held.len() <= INLINE_MAX_CREDENTIALS && held.iter().all(without_rdfc),
        // The pipeline stops at the holder check, before any credential.
        Err(_) => true,
    }
}

/// Runs a verification and answers with the verdicts: on the async runtime when `cheap` and the
/// node holds every answer, otherwise (again) on the blocking pool, where it may also fetch
/// another node's status list. Verification only reads, so running it twice changes nothing.
async fn run_verification(
    s: Arc<AppState>,
    expect: Expectations,
    cheap: bool,
    verify: impl Fn(&NodeTrust, &Expectations) -> (Vec<Verdict>, Vec<crate::risk::Flag>)
    + Send
    + 'static,
) -> Response {
    if cheap {
        // As the pool's join handle does, a panic answers 500 instead of dropping the
        // connection.
        let inline = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            let trust = NodeTrust::local(&s, expect.now);
            let answers = verify(&trust, &expect);
            (!trust.wanted_fetch()).then_some(answers)
        }));
        match inline {
            Ok(Some((verdicts, risk))) => return answer(verdicts, risk),
            Ok(None) => {}
            Err(_) => return internal(anyhow::anyhow!("the verification panicked")),
        }
    }
    let result =
        tokio::task::spawn_blocking(move || verify(&NodeTrust::new(&s, expect.now), &expect)).await;
    match result {
        Ok((verdicts, risk)) => answer(verdicts, risk),
        Err(e) => internal(e.into()),
    }
}

/// The permits inside a presentation, read without verifying (the verdict says whether to
/// trust them).
pub(crate) fn permits_in(secured: &Secured) -> Vec<contracts::Permit> {
    let Ok(doc) = secured.unverified_document() else {
        return Vec::new();
    };
    let Ok((_, credentials)) = credentials::presentation::contents(&doc) else {
        return Vec::new();
    };
    credentials
        .iter()
        .filter_map(|c| c.unverified_document().ok())
        .filter_map(|d| credentials::credential::read(&d).ok())
        .map(|claims| claims.permit)
        .collect()
}

/// The risk flags for the permits whose credentials verified.
fn risk_of(s: &AppState, verdicts: &[Verdict], hs: Option<&str>) -> Vec<crate::risk::Flag> {
    let permits: Vec<contracts::Permit> = verdicts
        .iter()
        .filter(|v| v.valid)
        .filter_map(|v| v.stated.as_deref().cloned())
        .collect();
    if permits.is_empty() {
        return Vec::new();
    }
    let Ok(history) = s.history.lock() else {
        return Vec::new();
    };
    crate::risk::flags(&s.config.risk, &permits, hs, &history)
}

fn expectations(purpose: Use, challenge: Option<String>, domain: Option<String>) -> Expectations {
    Expectations {
        challenge,
        domain,
        now: Utc::now(),
        purpose,
        max_status_age: MAX_STATUS_AGE,
    }
}

/// `POST /credentials/verify`.
#[utoipa::path(post, path = "/credentials/verify", tag = "credentials", request_body = serde_json::Value, responses((status = 200, description = "verified, with the checklist"), (status = 400, description = "invalid request", body = crate::http::Problem), (status = 422, description = "not valid, with the checklist")))]
pub async fn verify_vc(State(s): State<Arc<AppState>>, body: Bytes) -> Response {
    let request: VerifyCredentialRequest = match parse_json(&body) {
        Ok(r) => r,
        Err(r) => return r,
    };
    let purpose = match purpose_of(&request.options) {
        Ok(p) => p,
        Err(r) => return r,
    };
    let secured = match secured_of(request.verifiable_credential) {
        Ok(v) => v,
        Err(r) => return r,
    };
    run_verification(
        s,
        expectations(purpose, None, None),
        cheap_credential(&secured, body.len()),
        move |trust, expect| (vec![verify_credential(&secured, trust, expect)], Vec::new()),
    )
    .await
}

/// `POST /presentations/verify`: the challenge must be one this node issued, unused.
#[utoipa::path(post, path = "/presentations/verify", tag = "credentials", request_body = serde_json::Value, responses((status = 200, description = "verified, with the checklist"), (status = 400, description = "invalid request", body = crate::http::Problem), (status = 422, description = "not valid, with the checklist")))]
pub async fn verify_vp(State(s): State<Arc<AppState>>, body: Bytes) -> Response {
    let request: VerifyPresentationRequest = match parse_json(&body) {
        Ok(r) => r,
        Err(r) => return r,
    };
    let purpose = match purpose_of(&request.options) {
        Ok(p) => p,
        Err(r) => return r,
    };
    let Some(challenge) = request.options.challenge.clone() else {
        return bad_request("options.challenge is required (get one from POST /challenges)");
    };
    // Parse before spending the challenge: a malformed request must not use it up.
    let (secured, document) = match read_secured(request.verifiable_presentation) {
        Ok(v) => v,
        Err(r) => return r,
    };
    if !s.challenges.take(&challenge) {
        return problem(
            StatusCode::UNPROCESSABLE_ENTITY,
            "unknown challenge",
            "the challenge was not issued by this node, was used already, or expired",
        );
    }
    let domain = request
        .options
        .domain
        .clone()
        .unwrap_or_else(|| s.domain.clone());
    let expect = expectations(purpose, Some(challenge), Some(domain));
    let hs = request.options.hs_code.clone();
    // Read once, for where to verify and for the verification.
    let cheap = cheap_presentation(&secured, document.as_ref(), body.len());
    run_verification(s, expect, cheap, move |trust, expect| {
        let verdicts = verify_read_presentation(&secured, document.as_ref(), trust, expect);
        let risk = risk_of(trust.state, &verdicts, hs.as_deref());
        (verdicts, risk)
    })
    .await
}

/// `POST /evidence`: a fresh evidence bundle (newest cosigned checkpoint, current status) for a
/// credential this node issued. Whoever holds the credential holds its data already, so the
/// credential itself is the right to ask.
#[utoipa::path(post, path = "/evidence", tag = "credentials", request_body = serde_json::Value, responses((status = 200, description = "a fresh evidence bundle"), (status = 400, description = "invalid request", body = crate::http::Problem), (status = 404, description = "not a credential of this node", body = crate::http::Problem)))]
pub async fn evidence(State(s): State<Arc<AppState>>, body: Bytes) -> Response {
    // The credential as it was issued, or wrapped as `{"verifiableCredential": ...}`.
    let value = match serde_json::from_slice::<Value>(&body) {
        Ok(Value::Object(mut o)) if o.contains_key("verifiableCredential") => {
            o.remove("verifiableCredential").unwrap_or(Value::Null)
        }
        Ok(other) => other,
        Err(e) => return bad_request(format!("not JSON: {e}")),
    };
    let secured = match secured_of(value) {
        Ok(s) => s,
        Err(r) => return r,
    };
    let claims = match secured
        .unverified_document()
        .map_err(|e| e.to_string())
        .and_then(|d| credentials::credential::read(&d).map_err(|e| e.to_string()))
    {
        Ok(c) => c,
        Err(e) => return bad_request(e),
    };
    let key = claims.permit.key();
    let record = match crate::store::permit(s.anchor.store(), &key) {
        Ok(Some(r)) => r,
        Ok(None) => {
            return problem(
                StatusCode::NOT_FOUND,
                "unknown permit",
                format!("{key} was not issued by this node"),
            );
        }
        Err(e) => return internal(e),
    };
    if record.credential.digest() != secured.digest() {
        return problem(
            StatusCode::NOT_FOUND,
            "unknown credential",
            "this is not the credential this node issued for that permit",
        );
    }
    let bundle = async {
        let index = issuance::issuance_index(&s.anchor, &key, &record.leaf_hash)?;
        let entry = s.anchor.reader().leaf(index)?;
        issuance::bundle_for(&s, &record.credential, &entry, index).await
    };
    match bundle.await {
        Ok(bundle) => Json(bundle).into_response(),
        Err(e) => internal(e),
    }
}

/// `POST /challenges`: a single-use challenge for a holder's presentation.
#[utoipa::path(post, path = "/challenges", tag = "credentials", responses((status = 200, description = "a single-use challenge and the domain")))]
pub async fn challenge(State(s): State<Arc<AppState>>) -> Response {
    match s.challenges.create() {
        Ok(c) => (
            StatusCode::CREATED,
            Json(
                json!({ "challenge": c, "domain": s.domain, "expiresIn": CHALLENGE_TTL.as_secs() }),
            ),
        )
            .into_response(),
        Err(e) => internal(anyhow::anyhow!(e)),
    }
}

/// `GET /status/{purpose}`: the signed Bitstring Status List credential.
#[utoipa::path(get, path = "/status/{purpose}", tag = "credentials", params(("purpose" = String, Path, description = "revocation or suspension")), responses((status = 200, description = "Bitstring Status List credential"), (status = 404, description = "no such list", body = crate::http::Problem)))]
pub async fn status_list(State(s): State<Arc<AppState>>, Path(purpose): Path<String>) -> Response {
    let index = match purpose.as_str() {
        "revocation" => 0,
        "suspension" => 1,
        _ => {
            return problem(
                StatusCode::NOT_FOUND,
                "no such status list",
                "use /status/revocation or /status/suspension",
            );
        }
    };
    let lists = match s.status_credentials() {
        Ok(l) => l,
        Err(e) => return internal(e),
    };
    match &lists[index] {
        Secured::Jwt(t) => {
            ([(header::CONTENT_TYPE, "application/vc+jwt")], t.clone()).into_response()
        }
        Secured::Embedded(doc) => {
            ([(header::CONTENT_TYPE, "application/vc")], doc.to_string()).into_response()
        }
    }
}

/// `GET /.well-known/did.json`: the node's did:web document.
#[utoipa::path(get, path = "/.well-known/did.json", tag = "registry", responses((status = 200, description = "the node's did:web document")))]
pub async fn did_document(State(s): State<Arc<AppState>>) -> Response {
    (
        [(header::CONTENT_TYPE, "application/did+json")],
        s.issuer.did_document().to_string(),
    )
        .into_response()
}

/// Signs the current status lists (at start, and after every status change).
pub fn sign_status_lists(
    state_issuer: &crate::issuer::Issuer,
    issuance: &issuance::Issuance,
    base_url: &str,
) -> anyhow::Result<Vec<Secured>> {
    let now = Utc::now().format("%Y-%m-%dT%H:%M:%SZ").to_string();
    let mut out = Vec::new();
    for purpose in [StatusPurpose::Revocation, StatusPurpose::Suspension] {
        let list = issuance.list(purpose)?;
        let vc = list.credential(
            &issuance::status_url(base_url, purpose),
            &state_issuer.did,
            purpose,
            &now,
        );
        out.push(
            state_issuer
                .current()
                .signer
                .issue(&vc, Mechanism::Jose, &now)?,
        );
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_challenge_answers_once_and_only_before_it_expires() {
        let challenges = Challenges::default();
        let t0 = Instant::now();
        let (a, b) = (
            challenges.create_at(t0).unwrap(),
            challenges.create_at(t0).unwrap(),
        );
        assert!(challenges.take_at(&a, t0));
        assert!(!challenges.take_at(&a, t0), "used already");
        assert!(!challenges.take_at(&b, t0 + CHALLENGE_TTL), "expired");
        assert!(!challenges.take_at("never-handed-out", t0));
    }

    #[test]
    fn outstanding_challenges_are_bounded_and_used_or_expired_ones_make_room() {
        let challenges = Challenges::default();
        let t0 = Instant::now();
        let made: Vec<String> = (0..MAX_OUTSTANDING)
            .map(|_| challenges.create_at(t0).unwrap())
            .collect();
        assert!(challenges.create_at(t0).is_err(), "full");
        assert!(challenges.take_at(&made[0], t0));
        let last = challenges.create_at(t0).unwrap();
        assert!(challenges.create_at(t0).is_err(), "full again");
        // Once they expire, all the room is back and none of them answers.
        let later = t0 + CHALLENGE_TTL;
        let fresh = challenges.create_at(later).unwrap();
        assert!(!challenges.take_at(&last, later));
        assert!(!challenges.take_at(&made[1], later));
        assert!(challenges.take_at(&fresh, later));
    }

    #[test]
    fn used_challenges_do_not_pile_up() {
        let challenges = Challenges::default();
        let t0 = Instant::now();
        for _ in 0..10_000 {
            let c = challenges.create_at(t0).unwrap();
            assert!(challenges.take_at(&c, t0));
        }
        let outstanding = challenges.0.lock().unwrap();
        assert!(outstanding.live.is_empty());
        assert!(
            outstanding.by_expiry.len() <= 1025,
            "{}",
            outstanding.by_expiry.len()
        );
    }

    fn proven(suite: &str) -> Value {
        json!({ "type": ["VerifiableCredential"], "proof": { "type": "DataIntegrityProof", "cryptosuite": suite } })
    }

    fn presentation(suite: &str, held: Vec<Value>) -> Secured {
        Secured::Embedded(json!({
            "type": ["VerifiablePresentation"],
            "holder": "did:key:z6Mk",
            "verifiableCredential": held,
            "proof": { "type": "DataIntegrityProof", "cryptosuite": suite },
        }))
    }

    #[test]
    fn rdf_canonicalisation_anywhere_in_a_request_sends_it_to_the_blocking_pool() {
        let (jcs, rdfc) = ("eddsa-jcs-2022", "eddsa-rdfc-2022");
        let cheap =
            |vp: &Secured, len| cheap_presentation(vp, vp.unverified_document().ok().as_ref(), len);
        assert!(cheap(&presentation(jcs, vec![proven(jcs)]), 1_000));
        assert!(!cheap(&presentation(rdfc, vec![proven(jcs)]), 1_000));
        // A presentation secured one way may carry a credential secured another.
        assert!(!cheap(
            &presentation(jcs, vec![proven(jcs), proven(rdfc)]),
            1_000
        ));
        let many = vec![proven(jcs); INLINE_MAX_CREDENTIALS + 1];
        assert!(!cheap(&presentation(jcs, many), 1_000));
        assert!(!cheap(
            &presentation(jcs, vec![proven(jcs)]),
            INLINE_MAX_BYTES + 1
        ));
        assert!(cheap_credential(&Secured::Embedded(proven(jcs)), 1_000));
        assert!(!cheap_credential(&Secured::Embedded(proven(rdfc)), 1_000));
        // Unreadable: the pipeline fails it before any cryptography.
        assert!(cheap(&Secured::Embedded(json!([])), 10));
    }
}
