//! OpenID for Verifiable Credential Issuance 1.0, pre-authorised code flow: how an issued
//! permit reaches the exporter's wallet.
//!
//! The MA issues the credential to the application's holder DID; the node then makes a
//! credential offer (a link and a QR code) with a pre-authorised code and a six-digit
//! transaction code, which reach the applicant by different ways. The wallet trades code and
//! transaction code for an access token (`POST /token`), asks for a nonce (`POST /nonce`),
//! and fetches the credential (`POST /credential`) with a proof of possession signed by the
//! holder key: the proof's key must be the holder's, its nonce fresh and unused, its audience
//! this issuer. Codes and tokens are stored as SHA-256 only; a code is redeemed once, and three
//! wrong transaction codes burn it.

// The helpers return a ready HTTP response as their error, the axum way.
#![allow(clippy::result_large_err)]

use std::sync::Arc;

use anyhow::Context;
use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, TimeDelta, Utc};
use credentials::keys::PublicKey;
use credentials::{Mechanism, Secured};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use sha2::{Digest as _, Sha256};

use crate::http::{AppState, internal};

/// Offers and access tokens: key `o` or `t` + SHA-256 of the secret.
pub const CF_OFFERS: &str = "node_offers";

/// The grant type of the pre-authorised code flow.
pub const PRE_AUTHORIZED: &str = "urn:ietf:params:oauth:grant-type:pre-authorized_code";
/// How long an offer can be redeemed unless the config says otherwise (`offer_ttl_s`).
pub const OFFER_TTL: TimeDelta = TimeDelta::days(7);
/// How long an access token lasts.
pub const TOKEN_TTL: TimeDelta = TimeDelta::minutes(5);
/// Wrong transaction codes before an offer is burned.
pub const MAX_TX_FAILURES: u32 = 3;

/// The credential configuration for a securing mechanism.
pub fn configuration(mechanism: Mechanism) -> &'static str {
    match mechanism {
        Mechanism::Jose => "cites_permit_jwt",
        _ => "cites_permit_ldp",
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Stored {
    /// `PARTY/NUMBER`.
    permit: String,
    /// The holder DID the credential was issued to.
    holder: String,
    /// SHA-256 of the transaction code (offers only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    tx_code: Option<String>,
    expires: DateTime<Utc>,
    #[serde(default)]
    failures: u32,
    #[serde(default)]
    redeemed: bool,
}

fn digest_key(kind: u8, secret: &str) -> Vec<u8> {
    let mut k = vec![kind];
    k.extend_from_slice(&Sha256::digest(secret.as_bytes()));
    k
}

fn random(bytes: usize) -> anyhow::Result<String> {
    let mut b = vec![0u8; bytes];
    getrandom::getrandom(&mut b).map_err(|e| anyhow::anyhow!("no randomness: {e}"))?;
    Ok(URL_SAFE_NO_PAD.encode(b))
}

fn load(store: &ledger::Store, key: &[u8]) -> anyhow::Result<Option<Stored>> {
    match store
        .db()
        .get_cf(crate::store::cf(store, CF_OFFERS)?, key)?
    {
        Some(b) => Ok(Some(serde_json::from_slice(&b).context("corrupt offer")?)),
        None => Ok(None),
    }
}

/// Deletes offers and tokens that expired more than a day ago (called at each redemption: they
/// are few; the day keeps "expired" answers for a while instead of "unknown code").
fn purge_expired(store: &ledger::Store) -> anyhow::Result<u64> {
    let cf = crate::store::cf(store, CF_OFFERS)?;
    let now = Utc::now() - TimeDelta::days(1);
    let mut batch = rocksdb::WriteBatch::default();
    let mut n = 0;
    for item in store.db().iterator_cf(cf, rocksdb::IteratorMode::Start) {
        let (k, v) = item?;
        let stale = serde_json::from_slice::<Stored>(&v)
            .map(|s| s.expires < now)
            .unwrap_or(true);
        if stale {
            batch.delete_cf(cf, k);
            n += 1;
        }
    }
    store.db().write(batch)?;
    Ok(n)
}

fn save(store: &ledger::Store, key: Vec<u8>, value: &Stored) -> anyhow::Result<()> {
    crate::audit::commit(
        store,
        vec![ledger::SideWrite {
            cf: CF_OFFERS.into(),
            key,
            value: serde_json::to_vec(value)?,
        }],
    )
}

/// A credential offer for a permit the node issued to `holder`.
#[derive(Debug, Clone, Serialize)]
pub struct Offer {
    /// The `openid-credential-offer://` link.
    pub uri: String,
    /// The same as a QR code (SVG).
    pub qr_svg: String,
    /// The transaction code: to reach the applicant by another way than the link.
    pub tx_code: String,
    /// Until when it can be redeemed.
    pub expires: DateTime<Utc>,
}

/// Makes (and stores) an offer of the credential of `permit`.
pub fn create_offer(
    s: &AppState,
    permit: &str,
    holder: &str,
    mechanism: Mechanism,
) -> anyhow::Result<Offer> {
    let code = random(32)?;
    let mut pin = [0u8; 4];
    getrandom::getrandom(&mut pin).map_err(|e| anyhow::anyhow!("no randomness: {e}"))?;
    let tx_code = format!("{:06}", u32::from_be_bytes(pin) % 1_000_000);
    let ttl = s
        .config
        .offer_ttl_s
        .and_then(|t| TimeDelta::try_seconds(i64::try_from(t).ok()?))
        .unwrap_or(OFFER_TTL);
    let expires = Utc::now() + ttl;
    let stored = Stored {
        permit: permit.to_owned(),
        holder: holder.to_owned(),
        tx_code: Some(hex::encode(Sha256::digest(tx_code.as_bytes()))),
        expires,
        failures: 0,
        redeemed: false,
    };
    save(s.anchor.store(), digest_key(b'o', &code), &stored)?;
    let offer = json!({
        "credential_issuer": s.base_url,
        "credential_configuration_ids": [configuration(mechanism)],
        "grants": { PRE_AUTHORIZED: {
            "pre-authorized_code": code,
            "tx_code": { "input_mode": "numeric", "length": 6,
                         "description": "the code the Management Authority sent you with this offer" },
        }},
    });
    let encoded = percent_encoding::utf8_percent_encode(
        &offer.to_string(),
        percent_encoding::NON_ALPHANUMERIC,
    )
    .to_string();
    let uri = format!("openid-credential-offer://?credential_offer={encoded}");
    let qr_svg = qrcode::QrCode::new(uri.as_bytes())
        .map(|q| {
            q.render::<qrcode::render::svg::Color<'_>>()
                .min_dimensions(240, 240)
                .build()
        })
        .context("the offer does not fit a QR code")?;
    Ok(Offer {
        uri,
        qr_svg,
        tx_code,
        expires,
    })
}

/// `GET /.well-known/openid-credential-issuer`: the issuer's metadata.
#[utoipa::path(get, path = "/.well-known/openid-credential-issuer", tag = "oid4vci", responses((status = 200, description = "OpenID4VCI credential issuer metadata")))]
pub async fn issuer_metadata(State(s): State<Arc<AppState>>) -> Response {
    let config = |format: &str| {
        json!({
            "format": format,
            "scope": "cites_permit",
            "cryptographic_binding_methods_supported": ["did:key"],
            "credential_signing_alg_values_supported": ["EdDSA"],
            "proof_types_supported": { "jwt": { "proof_signing_alg_values_supported": ["EdDSA"] } },
            "credential_definition": { "type": ["VerifiableCredential", "CitesPermit"] },
            "display": [{ "name": "CITES permit or certificate", "locale": "en" }],
        })
    };
    Json(json!({
        "credential_issuer": s.base_url,
        "authorization_servers": [s.base_url],
        "credential_endpoint": format!("{}/credential", s.base_url),
        "nonce_endpoint": format!("{}/nonce", s.base_url),
        "display": [{ "name": s.config.name, "locale": "en" }],
        "credential_configurations_supported": {
            "cites_permit_jwt": config("jwt_vc_json"),
            "cites_permit_ldp": config("ldp_vc"),
        },
    }))
    .into_response()
}

/// `GET /.well-known/oauth-authorization-server`: the token endpoint and the grant.
#[utoipa::path(get, path = "/.well-known/oauth-authorization-server", tag = "oid4vci", responses((status = 200, description = "RFC 8414 authorization server metadata")))]
pub async fn authorization_metadata(State(s): State<Arc<AppState>>) -> Response {
    Json(json!({
        "issuer": s.base_url,
        "token_endpoint": format!("{}/token", s.base_url),
        "grant_types_supported": [PRE_AUTHORIZED],
        "pre-authorized_grant_anonymous_access_supported": true,
        "response_types_supported": [],
    }))
    .into_response()
}

/// An OAuth error (RFC 6749 §5.2 and OpenID4VCI §8.3.1).
fn oauth_error(status: StatusCode, error: &str, description: impl Into<String>) -> Response {
    (
        status,
        [(header::CACHE_CONTROL, "no-store")],
        Json(json!({ "error": error, "error_description": description.into() })),
    )
        .into_response()
}

#[derive(Deserialize)]
struct TokenRequest {
    grant_type: String,
    #[serde(rename = "pre-authorized_code")]
    pre_authorized_code: Option<String>,
    tx_code: Option<String>,
}

/// `POST /token` (form): the pre-authorised code and transaction code for an access token.
#[utoipa::path(post, path = "/token", tag = "oid4vci", request_body(content = String, content_type = "application/x-www-form-urlencoded", description = "grant_type, pre-authorized_code, tx_code"), responses((status = 200, description = "access token"), (status = 400, description = "invalid_request or invalid_grant")))]
pub async fn token(State(s): State<Arc<AppState>>, body: Bytes) -> Response {
    let req: TokenRequest = match serde_urlencoded::from_bytes(&body) {
        Ok(r) => r,
        Err(e) => return oauth_error(StatusCode::BAD_REQUEST, "invalid_request", e.to_string()),
    };
    if req.grant_type != PRE_AUTHORIZED {
        return oauth_error(
            StatusCode::BAD_REQUEST,
            "unsupported_grant_type",
            format!("only {PRE_AUTHORIZED} is supported"),
        );
    }
    let Some(code) = req.pre_authorized_code else {
        return oauth_error(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            "pre-authorized_code is missing",
        );
    };
    let Ok(_one) = s.offers_lock.lock() else {
        return internal(anyhow::anyhow!("offers lock poisoned"));
    };
    let store = s.anchor.store();
    if let Err(e) = purge_expired(store) {
        tracing::warn!(error = %format!("{e:#}"), "cannot purge expired offers");
    }
    let key = digest_key(b'o', &code);
    let mut offer = match load(store, &key) {
        Ok(Some(o)) => o,
        Ok(None) => {
            return oauth_error(StatusCode::BAD_REQUEST, "invalid_grant", "unknown code");
        }
        Err(e) => return internal(e),
    };
    let refuse = |why: &str| oauth_error(StatusCode::BAD_REQUEST, "invalid_grant", why);
    if offer.redeemed {
        return refuse(
            "the offer was redeemed already; ask the Management Authority for a new one",
        );
    }
    if offer.expires < Utc::now() {
        return refuse("the offer has expired; ask the Management Authority for a new one");
    }
    if offer.failures >= MAX_TX_FAILURES {
        return refuse("too many wrong transaction codes; ask for a new offer");
    }
    let given = req
        .tx_code
        .map(|t| hex::encode(Sha256::digest(t.trim().as_bytes())));
    if given != offer.tx_code {
        offer.failures += 1;
        if let Err(e) = save(store, key, &offer) {
            return internal(e);
        }
        return refuse("wrong or missing tx_code");
    }
    let result = (|| {
        let access = random(32)?;
        offer.redeemed = true;
        let grant = Stored {
            tx_code: None,
            expires: Utc::now() + TOKEN_TTL,
            failures: 0,
            redeemed: false,
            ..offer.clone()
        };
        // The offer is used up exactly when its token exists: one batch.
        let put = |key: Vec<u8>, value: &Stored| -> anyhow::Result<ledger::SideWrite> {
            Ok(ledger::SideWrite {
                cf: CF_OFFERS.into(),
                key,
                value: serde_json::to_vec(value)?,
            })
        };
        crate::audit::commit(
            store,
            vec![
                put(key.clone(), &offer)?,
                put(digest_key(b't', &access), &grant)?,
            ],
        )?;
        Ok::<_, anyhow::Error>(access)
    })();
    match result {
        Ok(access) => (
            [(header::CACHE_CONTROL, "no-store")],
            Json(json!({
                "access_token": access,
                "token_type": "Bearer",
                "expires_in": TOKEN_TTL.num_seconds(),
            })),
        )
            .into_response(),
        Err(e) => internal(e),
    }
}

/// `POST /nonce`: a fresh single-use nonce for a proof of possession.
#[utoipa::path(post, path = "/nonce", tag = "oid4vci", responses((status = 200, description = "c_nonce")))]
pub async fn nonce(State(s): State<Arc<AppState>>) -> Response {
    match s.nonces.create() {
        Ok(n) => (
            [(header::CACHE_CONTROL, "no-store")],
            Json(json!({ "c_nonce": n })),
        )
            .into_response(),
        Err(e) => internal(anyhow::anyhow!(e)),
    }
}

#[derive(Deserialize)]
struct CredentialRequest {
    #[serde(default)]
    credential_configuration_id: Option<String>,
    /// OpenID4VCI 1.0.
    #[serde(default)]
    proofs: Option<Proofs>,
    /// Earlier drafts.
    #[serde(default)]
    proof: Option<LegacyProof>,
}

#[derive(Deserialize)]
struct Proofs {
    jwt: Vec<String>,
}

#[derive(Deserialize)]
struct LegacyProof {
    proof_type: String,
    jwt: String,
}

/// The holder DID a proof of possession was signed by, once it checks: EdDSA, `typ`
/// `openid4vci-proof+jwt`, a `kid` that is a did:key URL, audience this issuer, a fresh nonce
/// (consumed), issued within five minutes.
fn check_proof(s: &AppState, jwt: &str) -> Result<String, Response> {
    let invalid = |why: String| oauth_error(StatusCode::BAD_REQUEST, "invalid_proof", why);
    let unverified = credentials::jose::decode(jwt).map_err(|e| invalid(format!("proof: {e}")))?;
    let kid = unverified.header["kid"].as_str().unwrap_or_default();
    let did = kid.split('#').next().unwrap_or_default().to_owned();
    let key = did
        .strip_prefix("did:key:")
        .and_then(|k| PublicKey::from_multikey(k).ok())
        .ok_or_else(|| invalid(format!("kid {kid:?} is not a did:key verification method")))?;
    let proven = credentials::jose::verify(jwt, &key, &["openid4vci-proof+jwt"])
        .map_err(|e| invalid(format!("proof: {e}")))?;
    let claims = &proven.payload;
    let aud_ok = match &claims["aud"] {
        Value::String(a) => *a == s.base_url,
        Value::Array(all) => all.iter().any(|a| *a == s.base_url.as_str()),
        _ => false,
    };
    if !aud_ok {
        return Err(invalid(format!("aud must be {}", s.base_url)));
    }
    let Some(iat) = claims["iat"].as_i64() else {
        return Err(invalid("iat is missing".into()));
    };
    if Utc::now().timestamp().abs_diff(iat) > 300 {
        return Err(invalid("iat is not within five minutes of now".into()));
    }
    let nonce = claims["nonce"].as_str().unwrap_or_default();
    if !s.nonces.take(nonce) {
        return Err(oauth_error(
            StatusCode::BAD_REQUEST,
            "invalid_nonce",
            "the nonce is unknown, used or expired; get a new one from the nonce endpoint",
        ));
    }
    Ok(did)
}

/// `POST /credential` (Bearer access token): the credential, for a proof of possession of the
/// holder key it was issued to.
#[utoipa::path(post, path = "/credential", tag = "oid4vci", request_body = serde_json::Value, responses((status = 200, description = "the credential"), (status = 400, description = "invalid_proof, invalid_nonce or invalid_credential_request"), (status = 401, description = "invalid_token")))]
pub async fn credential(
    State(s): State<Arc<AppState>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let Some(token) = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
    else {
        return oauth_error(StatusCode::UNAUTHORIZED, "invalid_token", "no access token");
    };
    let token_key = digest_key(b't', token);
    let grant = match load(s.anchor.store(), &token_key) {
        Ok(Some(g)) if g.expires > Utc::now() && !g.redeemed => g,
        Ok(_) => {
            return oauth_error(
                StatusCode::UNAUTHORIZED,
                "invalid_token",
                "unknown or expired access token",
            );
        }
        Err(e) => return internal(e),
    };
    let req: CredentialRequest = match serde_json::from_slice(&body) {
        Ok(r) => r,
        Err(e) => {
            return oauth_error(
                StatusCode::BAD_REQUEST,
                "invalid_credential_request",
                e.to_string(),
            );
        }
    };
    let jwt = match (req.proofs, req.proof) {
        (Some(p), _) if p.jwt.len() == 1 => p.jwt.into_iter().next().unwrap_or_default(),
        (None, Some(p)) if p.proof_type == "jwt" => p.jwt,
        _ => {
            return oauth_error(
                StatusCode::BAD_REQUEST,
                "invalid_proof",
                "exactly one jwt proof of possession is needed",
            );
        }
    };
    let holder = match check_proof(&s, &jwt) {
        Ok(h) => h,
        Err(r) => return r,
    };
    if holder != grant.holder {
        return oauth_error(
            StatusCode::BAD_REQUEST,
            "invalid_proof",
            format!(
                "this offer is for {}, and the proof is by {holder}",
                grant.holder
            ),
        );
    }
    let Some((party, number)) = grant.permit.split_once('/') else {
        return internal(anyhow::anyhow!("corrupt grant"));
    };
    let key = contracts::PermitKey {
        party: match party.parse() {
            Ok(p) => p,
            Err(e) => return internal(anyhow::anyhow!("corrupt grant: {e}")),
        },
        number: number.to_owned(),
    };
    let record = match crate::store::permit(s.anchor.store(), &key) {
        Ok(Some(r)) => r,
        Ok(None) => return internal(anyhow::anyhow!("offered permit {key} is missing")),
        Err(e) => return internal(e),
    };
    let status = record.lifecycle().status_on(Utc::now().date_naive());
    if !matches!(
        status,
        contracts::Status::Issued | contracts::Status::Endorsed
    ) {
        return oauth_error(
            StatusCode::BAD_REQUEST,
            "invalid_credential_request",
            format!("the permit is {status}; it is not handed out any more"),
        );
    }
    let mechanism = match record.credential.mechanism() {
        Ok(m) => m,
        Err(e) => return internal(anyhow::anyhow!("the stored credential of {key}: {e}")),
    };
    if let Some(id) = req.credential_configuration_id
        && id != configuration(mechanism)
    {
        return oauth_error(
            StatusCode::BAD_REQUEST,
            "invalid_credential_request",
            format!("this offer is of {}", configuration(mechanism)),
        );
    }
    // The token is spent with this answer.
    let spent = Stored {
        redeemed: true,
        ..grant
    };
    if let Err(e) = save(s.anchor.store(), token_key, &spent) {
        return internal(e);
    }
    let credential = match record.credential {
        Secured::Jwt(t) => Value::String(t),
        Secured::Embedded(doc) => doc,
    };
    (
        [(header::CACHE_CONTROL, "no-store")],
        Json(json!({ "credentials": [{ "credential": credential }] })),
    )
        .into_response()
}
