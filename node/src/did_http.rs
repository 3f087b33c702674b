//! DID resolution over HTTP (W3C DID Resolution, HTTP(S) binding: `GET /1.0/identifiers/{did}`
//! with optional `versionTime`), the pinned genesis, and registry entries written by this node.
//! Resolution reads the registry this node holds; it never fetches anything.

use std::sync::Arc;

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use did_registry::{AsOf, Body, RegistryError};
use serde::Deserialize;
use serde_json::json;

use crate::http::{AppState, internal, problem};
use crate::registry::WriteError;

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ResolveQuery {
    version_time: Option<String>,
}

fn resolution_error(status: StatusCode, error: &str, message: String) -> Response {
    let body = json!({
        "@context": "https://w3id.org/did-resolution/v1",
        "didDocument": null,
        "didResolutionMetadata": { "error": error, "errorMessage": message },
        "didDocumentMetadata": {},
    });
    (
        status,
        [(header::CONTENT_TYPE, "application/did-resolution+json")],
        body.to_string(),
    )
        .into_response()
}

/// The DID as the client wrote it in the path. The binding asks clients to percent-encode the
/// DID, but a did:web already contains `%3A` and many clients send it as is: a path holding
/// `%25` was encoded (decode it once), any other is taken literally.
fn did_from_path(uri: &axum::http::Uri) -> Option<String> {
    let raw = uri.path().strip_prefix("/1.0/identifiers/")?;
    if raw.contains("%25") {
        percent_encoding::percent_decode_str(raw)
            .decode_utf8()
            .ok()
            .map(|d| d.into_owned())
    } else {
        Some(raw.to_owned())
    }
}

/// `GET /1.0/identifiers/{did}?versionTime=...`.
#[utoipa::path(get, path = "/1.0/identifiers/{did}", tag = "registry", params(("did" = String, Path), ("versionTime" = Option<String>, Query, description = "resolve as of this time (RFC 3339)")), responses((status = 200, description = "W3C DID resolution result"), (status = 404, description = "notFound")))]
pub async fn resolve(
    State(s): State<Arc<AppState>>,
    uri: axum::http::Uri,
    Query(q): Query<ResolveQuery>,
) -> Response {
    let Some(did) = did_from_path(&uri) else {
        return resolution_error(
            StatusCode::BAD_REQUEST,
            "invalidDid",
            "no DID in the path".into(),
        );
    };
    let Some(registry) = &s.registry else {
        return resolution_error(
            StatusCode::NOT_IMPLEMENTED,
            "methodNotSupported",
            "this node runs without a genesis: no registry".into(),
        );
    };
    let as_of = match q
        .version_time
        .as_deref()
        .map(|t| t.parse::<chrono::DateTime<chrono::Utc>>())
    {
        None => AsOf::Now,
        Some(Ok(t)) => AsOf::Time(t),
        Some(Err(_)) => {
            return resolution_error(
                StatusCode::BAD_REQUEST,
                "invalidOptions",
                "versionTime must be an RFC 3339 date-time".into(),
            );
        }
    };
    match registry.resolve(&did, &as_of) {
        Ok(Ok(resolution)) => {
            let body = json!({
                "@context": "https://w3id.org/did-resolution/v1",
                "didDocument": resolution.did_document,
                "didResolutionMetadata": { "contentType": "application/did+ld+json" },
                "didDocumentMetadata": resolution.did_document_metadata,
            });
            (
                StatusCode::OK,
                [(header::CONTENT_TYPE, "application/did-resolution+json")],
                body.to_string(),
            )
                .into_response()
        }
        Ok(Err(e @ RegistryError::UnknownDid(_))) => {
            resolution_error(StatusCode::NOT_FOUND, "notFound", e.to_string())
        }
        Ok(Err(e @ RegistryError::Did(_))) => {
            resolution_error(StatusCode::BAD_REQUEST, "invalidDid", e.to_string())
        }
        Ok(Err(e)) => resolution_error(StatusCode::NOT_FOUND, "notFound", e.to_string()),
        Err(e) => internal(e),
    }
}

/// `GET /genesis`: the genesis this node pins.
#[utoipa::path(get, path = "/genesis", tag = "registry", responses((status = 200, description = "the pinned genesis file"), (status = 404, description = "this node pins no genesis", body = crate::http::Problem)))]
pub async fn genesis(State(s): State<Arc<AppState>>) -> Response {
    match &s.registry {
        Some(r) => match r.genesis().to_json_pretty() {
            Ok(text) => ([(header::CONTENT_TYPE, "application/json")], text).into_response(),
            Err(e) => internal(anyhow::anyhow!("{e}")),
        },
        None => problem(
            StatusCode::NOT_FOUND,
            "no genesis",
            "this node runs without a genesis",
        ),
    }
}

/// `GET /trust-list`: the Secretariat's signed list of the currently accredited authorities per
/// Party (VC-JOSE), for wallets and offline verifiers. Only the Secretariat's node signs it.
#[utoipa::path(get, path = "/trust-list", tag = "registry", responses((status = 200, description = "the Secretariat-signed list of accredited authorities (VC-JOSE)")))]
pub async fn trust_list(State(s): State<Arc<AppState>>) -> Response {
    let Some(registry) = &s.registry else {
        return problem(
            StatusCode::NOT_FOUND,
            "no genesis",
            "this node runs without a genesis",
        );
    };
    if registry.genesis().secretariat.did.to_string() != s.issuer.did {
        return problem(
            StatusCode::NOT_FOUND,
            "not the Secretariat",
            "only the Secretariat's node signs the trust list",
        );
    }
    let list = match registry.trust_list() {
        Ok(l) => l,
        Err(e) => return internal(e),
    };
    let now = chrono::Utc::now().format("%Y-%m-%dT%H:%M:%SZ").to_string();
    let vc = json!({
        "@context": [credentials::context::VC_V2, credentials::context::PERMIT_V1],
        "type": ["VerifiableCredential", "CitesTrustListCredential"],
        "issuer": s.issuer.did,
        "validFrom": now,
        "credentialSubject": { "id": s.issuer.did, "trustList": list },
    });
    match s
        .issuer
        .current()
        .signer
        .issue(&vc, credentials::Mechanism::Jose, &now)
    {
        Ok(credentials::Secured::Jwt(t)) => {
            ([(header::CONTENT_TYPE, "application/vc+jwt")], t).into_response()
        }
        Ok(credentials::Secured::Embedded(d)) => Json(d).into_response(),
        Err(e) => internal(anyhow::anyhow!(e)),
    }
}

/// `GET /registry/accreditation-request`: the `accredit` entry for this node, for its
/// Management Authority to hand to the Secretariat.
#[utoipa::path(get, path = "/registry/accreditation-request", tag = "registry", responses((status = 200, description = "the accredit entry the Secretariat would write for this node")))]
pub async fn accreditation_request(State(s): State<Arc<AppState>>) -> Response {
    match crate::registry::accreditation_request(&s) {
        Ok(body) => Json(body).into_response(),
        Err(e) => problem(
            StatusCode::NOT_FOUND,
            "not a Management Authority",
            e.to_string(),
        ),
    }
}

/// `POST /registry/entries` (bearer token): the node signs the entry (a registry `Body`) as
/// itself, checks it against the registry and appends it to its log.
#[utoipa::path(post, path = "/registry/entries", tag = "registry", request_body = serde_json::Value, responses((status = 201, description = "written to the node's log"), (status = 401, description = "the operator token is needed", body = crate::http::Problem), (status = 422, description = "refused by the registry rules", body = crate::http::Problem)))]
pub async fn write_entry(
    State(s): State<Arc<AppState>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    if !crate::vcapi::authorized(&s, &headers) {
        return problem(
            StatusCode::UNAUTHORIZED,
            "unauthorized",
            "writing registry entries needs `Authorization: Bearer <api token>`",
        );
    }
    let Some(registry) = &s.registry else {
        return problem(
            StatusCode::CONFLICT,
            "no genesis",
            "this node runs without a genesis: no registry",
        );
    };
    let de = &mut serde_json::Deserializer::from_slice(&body);
    let entry: Body = match serde_path_to_error::deserialize(de) {
        Ok(b) => b,
        Err(e) => {
            return problem(
                StatusCode::BAD_REQUEST,
                "not a registry entry",
                format!("{}: {}", e.path(), e.inner()),
            );
        }
    };
    if matches!(entry, Body::RotateKeys { .. }) && entry.subject().to_string() == s.issuer.did {
        return problem(
            StatusCode::UNPROCESSABLE_ENTITY,
            "rotate with the node",
            "the node's own keys rotate with `cites-node key rotate` (POST /admin/keys/rotate), which also switches the key it signs with",
        );
    }
    match registry.write(&s.anchor, &s.issuer, entry).await {
        Ok(index) => (StatusCode::CREATED, Json(json!({ "index": index }))).into_response(),
        Err(e @ (WriteError::Refused(_) | WriteError::NotAnAuthor(_))) => problem(
            StatusCode::UNPROCESSABLE_ENTITY,
            "refused by the registry rules",
            e.to_string(),
        ),
        Err(WriteError::Internal(e)) => internal(e),
    }
}
