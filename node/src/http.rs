//! The node's HTTP surface. Handlers are thin: they parse, call the anchor or the contracts, and
//! map errors to status codes with a problem description; nothing here holds state of its own.

// Body helpers return a ready HTTP response as their error, the axum way.
#![allow(clippy::result_large_err)]

use std::sync::Arc;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, Path, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::{get, post};
use contracts::{Permit, ValidationContext, validate};
use serde_json::json;

use crate::anchor::{Anchor, TileError};
use crate::config::Config;
use crate::pages;

/// Largest request body: a permit with a long annex is far below this.
pub const MAX_BODY: usize = 256 * 1024;

/// What every handler can reach.
pub struct AppState {
    /// The node's configuration.
    pub config: Config,
    /// The node's log.
    pub anchor: Anchor,
    /// The node's issuing identity.
    pub issuer: crate::issuer::Issuer,
    /// Status lists and permits in flight.
    pub issuance: crate::issuance::Issuance,
    /// The species checklist (`DATA_DIR/species.json`, else the bundled one).
    pub species: contracts::species::Checklist,
    /// National export quotas and what is used of them.
    pub quotas: std::sync::Mutex<contracts::QuotaBook>,
    /// What this node has issued before, for the risk flags.
    pub history: std::sync::Mutex<crate::risk::History>,
    /// Signed status list credentials (revocation, suspension), re-signed on change.
    pub status_credentials: std::sync::RwLock<Vec<credentials::Secured>>,
    /// Bearer token for machine clients that issue.
    pub api_token: String,
    /// The node's public base URL (`http://HOST:PORT`).
    pub base_url: String,
    /// The domain presentations to this node are bound to.
    pub domain: String,
    /// Challenges handed out.
    pub challenges: crate::vcapi::Challenges,
    /// OpenID4VCI nonces handed out (single use, like challenges).
    pub nonces: crate::vcapi::Challenges,
    /// One redemption of an OpenID4VCI offer at a time (anonymous callers do not wait on the
    /// workflow's lock).
    pub offers_lock: std::sync::Mutex<()>,
    /// The trust registry, when the node pins a genesis.
    pub registry: Option<crate::registry::NodeRegistry>,
    /// Replicas of other nodes' logs.
    pub replicas: crate::replicate::Replicas,
    /// The node as a witness of the other logs (with a genesis only).
    pub witness: Option<crate::witnessing::NodeWitness>,
    /// The peer-to-peer network, once started (nodes with a genesis and `p2p_listen`).
    pub network: std::sync::OnceLock<crate::p2p::Network>,
    /// EPIX request ids answered recently.
    pub epix_seen: crate::epix::SeenRequests,
    /// HTTP client for peers (replication, witnessing, status lists).
    pub peers_http: ureq::Agent,
    /// Accounts, sessions and tokens.
    pub users: crate::users::Users,
    /// Failed logins.
    pub throttle: crate::users::Throttle,
    /// argon2 runs at most this many at a time.
    pub password_slots: tokio::sync::Semaphore,
    /// Audit records and feed events.
    pub journal: crate::audit::Journal,
    /// One change of workflow state at a time (applications, permit events, accounts), so each
    /// reads the state the previous one left.
    pub workflow_lock: tokio::sync::Mutex<()>,
    /// Request counters for `/metrics`.
    pub metrics: crate::metrics::Metrics,
}

impl AppState {
    /// The signed status list credentials.
    pub fn status_credentials(&self) -> anyhow::Result<Vec<credentials::Secured>> {
        Ok(self
            .status_credentials
            .read()
            .map_err(|_| anyhow::anyhow!("status credentials lock poisoned"))?
            .clone())
    }

    /// Signs the status lists again after a change.
    pub fn resign_status(&self) -> anyhow::Result<()> {
        // Signing under the lock: the last lists stored are signed with the key current then,
        // even when a rotation resigns at the same moment.
        let mut stored = self
            .status_credentials
            .write()
            .map_err(|_| anyhow::anyhow!("status credentials lock poisoned"))?;
        *stored = crate::vcapi::sign_status_lists(&self.issuer, &self.issuance, &self.base_url)?;
        Ok(())
    }
}

/// The router, with its state. Documented handlers are registered through their
/// `#[utoipa::path]` annotation, so `/openapi.json` and the routes come from one place.
pub fn router(state: Arc<AppState>) -> Router {
    use crate::{auth, backup, did_http, feed, metrics, permits, vcapi, witnessing, workflow};
    use utoipa_axum::router::UtoipaMethodRouterExt;
    use utoipa_axum::routes;
    let (router, api) = utoipa_axum::router::OpenApiRouter::with_openapi(api_info())
        .routes(routes!(checkpoint))
        .routes(routes!(log_key))
        .routes(routes!(consistency))
        .routes(routes!(entries))
        .routes(routes!(validate_json))
        .routes(routes!(vcapi::issue))
        .routes(routes!(vcapi::issue_xml))
        .routes(routes!(vcapi::verify_vc))
        .routes(routes!(vcapi::verify_vp))
        .routes(routes!(vcapi::challenge))
        .routes(routes!(vcapi::evidence))
        .routes(routes!(vcapi::status_list))
        .routes(routes!(vcapi::did_document))
        .routes(routes!(did_http::resolve))
        .routes(routes!(did_http::genesis))
        .routes(routes!(did_http::trust_list))
        .routes(routes!(did_http::write_entry))
        .routes(routes!(did_http::accreditation_request))
        .routes(routes!(witnessing::add_checkpoint))
        .routes(routes!(crate::alerts::list_alerts))
        .routes(routes!(crate::peering::status))
        .routes(routes!(crate::epix::request))
        .routes(routes!(crate::epix::service_state))
        .routes(routes!(metrics::readyz))
        .routes(routes!(metrics::metrics))
        .routes(routes!(auth::login))
        .routes(routes!(auth::logout))
        .routes(routes!(auth::me))
        .routes(routes!(auth::new_token, auth::list_tokens))
        .routes(routes!(auth::revoke_token))
        .routes(routes!(auth::create_user, auth::list_users))
        .routes(routes!(auth::disable_user))
        .routes(routes!(workflow::create, workflow::list))
        .routes(routes!(workflow::get, workflow::amend))
        .routes(routes!(workflow::act))
        .routes(routes!(workflow::queue))
        .routes(routes!(permits::get))
        .routes(routes!(permits::xml))
        .routes(routes!(permits::act))
        .routes(routes!(backup::http_backup))
        .routes(routes!(crate::rotation::http_rotate))
        .routes(routes!(crate::oid4vci::issuer_metadata))
        .routes(routes!(crate::oid4vci::authorization_metadata))
        .routes(routes!(crate::oid4vci::token))
        .routes(routes!(crate::oid4vci::nonce))
        .routes(routes!(crate::oid4vci::credential))
        .routes(routes!(crate::workflow::species))
        .routes(
            routes!(crate::documents::upload)
                .layer(DefaultBodyLimit::max(crate::documents::MAX_DOCUMENT + 1024)),
        )
        .routes(routes!(crate::documents::download))
        .routes(routes!(crate::references::resolve))
        .routes(routes!(crate::report::annual))
        .routes(routes!(crate::report::quotas))
        .routes(routes!(feed::events))
        .routes(routes!(feed::export))
        .routes(routes!(crate::audit::http_prune))
        .split_for_parts();
    let api = Arc::new(api);
    router
        .merge(crate::portal::routes())
        .route("/", get(home))
        .route("/healthz", get(|| async { "ok\n" }))
        // C2SP tlog-tiles paths (`tile/<L>/<N>[.p/<W>]`, `tile/entries/...`), as that spec
        // defines them.
        .route("/tile/{*path}", get(tile))
        .route("/validate", post(validate_form))
        .route(
            "/openapi.json",
            get(move || {
                let api = api.clone();
                async move { axum::Json(api.as_ref().clone()) }
            }),
        )
        .layer(DefaultBodyLimit::max(MAX_BODY))
        .layer(axum::middleware::from_fn(security_headers))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            crate::metrics::track,
        ))
        .with_state(state)
}

/// Headers every answer carries: no sniffing, no framing, no referrer, and a content policy
/// that lets pages load only what the node itself serves.
async fn security_headers(
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    let mut response = next.run(request).await;
    let h = response.headers_mut();
    for (name, value) in [
        ("x-content-type-options", "nosniff"),
        ("x-frame-options", "DENY"),
        ("referrer-policy", "no-referrer"),
        (
            "content-security-policy",
            "default-src 'self'; style-src 'self' 'unsafe-inline'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'",
        ),
    ] {
        h.insert(name, HeaderValue::from_static(value));
    }
    response
}

/// The document's header: what the API is and how callers authenticate.
fn api_info() -> utoipa::openapi::OpenApi {
    use utoipa::openapi::security::{
        ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme,
    };
    let mut api = utoipa::openapi::OpenApiBuilder::new()
        .info(
            utoipa::openapi::InfoBuilder::new()
                .title("cites-node")
                .version(env!("CARGO_PKG_VERSION"))
                .description(Some(
                    "A CITES Management Authority node: the application workflow, permits as W3C \
                     Verifiable Credentials (W3C VC API), the anchor log (C2SP tlog-tiles, \
                     tlog-witness), the trust registry (W3C DID Resolution). Errors are RFC 9457 \
                     problem documents.",
                ))
                .license(Some(utoipa::openapi::License::new("Apache-2.0")))
                .build(),
        )
        .build();
    let components = api.components.get_or_insert_with(Default::default);
    components.add_security_scheme(
        "bearer",
        SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
    );
    components.add_security_scheme(
        "session",
        SecurityScheme::ApiKey(ApiKey::Cookie(ApiKeyValue::new(
            crate::auth::SESSION_COOKIE,
        ))),
    );
    api
}

/// Parses a JSON body, naming the field at fault.
pub fn parse_json<T: serde::de::DeserializeOwned>(body: &Bytes) -> Result<T, Response> {
    let de = &mut serde_json::Deserializer::from_slice(body);
    serde_path_to_error::deserialize(de).map_err(|e| {
        let path = e.path().to_string();
        let detail = if path == "." {
            e.inner().to_string()
        } else {
            format!("{path}: {}", e.inner())
        };
        problem(StatusCode::BAD_REQUEST, "invalid request", detail)
    })
}

/// Parses an optional JSON body: empty means the defaults.
pub fn parse_json_or_default<T: serde::de::DeserializeOwned + Default>(
    body: &Bytes,
) -> Result<T, Response> {
    if body.iter().all(u8::is_ascii_whitespace) {
        Ok(T::default())
    } else {
        parse_json(body)
    }
}

/// Refuses a body with fields, for actions that take none (an empty body or `{}` is fine).
pub fn no_fields(body: &Bytes) -> Result<(), Response> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(());
    }
    match parse_json::<serde_json::Map<String, serde_json::Value>>(body) {
        Ok(m) if m.is_empty() => Ok(()),
        Ok(_) => Err(problem(
            StatusCode::BAD_REQUEST,
            "invalid request",
            "this action takes no fields",
        )),
        Err(r) => Err(r),
    }
}

/// A JSON body, parsed with the path of the field at fault; a bad body is refused with 400
/// before the handler runs (the body limit applies as for any body).
pub struct JsonBody<T>(pub T);

impl<S: Send + Sync, T: serde::de::DeserializeOwned> axum::extract::FromRequest<S> for JsonBody<T> {
    type Rejection = Response;

    async fn from_request(req: axum::extract::Request, state: &S) -> Result<Self, Self::Rejection> {
        // JSON only: a cross-site form post (text/plain, urlencoded) never reaches a handler.
        let json = req
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split(';').next())
            .is_some_and(|m| {
                let m = m.trim();
                m == "application/json" || m.ends_with("+json")
            });
        if !json {
            return Err(problem(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "unsupported media type",
                "send the body as application/json",
            ));
        }
        let body = Bytes::from_request(req, state)
            .await
            .map_err(IntoResponse::into_response)?;
        parse_json(&body).map(JsonBody)
    }
}

/// An RFC 9457 problem description: every refusal of the API has this shape (some add
/// fields, such as `problems` by box for an invalid permit).
#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct Problem {
    /// Always `about:blank`.
    #[serde(rename = "type")]
    pub kind: &'static str,
    /// What kind of refusal.
    pub title: String,
    /// The HTTP status.
    pub status: u16,
    /// What is wrong and how to fix it.
    pub detail: String,
}

/// A problem response.
pub(crate) fn problem(status: StatusCode, title: &str, detail: impl Into<String>) -> Response {
    let body = Problem {
        kind: "about:blank",
        title: title.to_owned(),
        status: status.as_u16(),
        detail: detail.into(),
    };
    (
        status,
        [(header::CONTENT_TYPE, "application/problem+json")],
        serde_json::to_string(&body).unwrap_or_default(),
    )
        .into_response()
}

pub(crate) fn internal(e: anyhow::Error) -> Response {
    tracing::error!(error = %format!("{e:#}"), "request failed");
    problem(
        StatusCode::INTERNAL_SERVER_ERROR,
        "internal error",
        "the node could not answer; see its log",
    )
}

fn text(body: impl Into<String>) -> Response {
    (
        [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
        body.into(),
    )
        .into_response()
}

/// The network part of the home page, from the registry and the replicas.
pub(crate) fn network_view(s: &AppState) -> Option<pages::NetworkView> {
    let registry = s.registry.as_ref()?;
    let list: serde_json::Value = registry.trust_list().ok()?;
    let mut authorities = Vec::new();
    for (party, entries) in list["parties"].as_object().into_iter().flatten() {
        for a in entries.as_array().into_iter().flatten() {
            let text = |k: &str| a[k].as_str().unwrap_or_default().to_owned();
            authorities.push((party.clone(), text("role").replace('_', " "), text("did")));
        }
    }
    let standing = match registry.resolve(&s.issuer.did, &did_registry::AsOf::Now) {
        Ok(Ok(r)) => match r.did_document_metadata.accreditation {
            Some(a) => format!(
                "accredited for {} ({})",
                a.party.as_str(),
                format!("{:?}", a.status).to_lowercase()
            ),
            None => "root of trust (the genesis names this node)".into(),
        },
        _ => "not accredited (yet): the Secretariat accredits this node from GET /registry/accreditation-request".into(),
    };
    Some(pages::NetworkView {
        network: registry.genesis().network.to_string(),
        did: s.issuer.did.clone(),
        standing,
        authorities,
        replicas: s.replicas.sizes(),
    })
}

async fn home(State(s): State<Arc<AppState>>) -> Response {
    match s.anchor.status() {
        Ok(status) => {
            let network = network_view(&s);
            Html(
                pages::home(
                    &s.config,
                    &status,
                    &s.anchor.verifier_key(),
                    network.as_ref(),
                    None,
                )
                .into_string(),
            )
            .into_response()
        }
        Err(e) => internal(e),
    }
}

#[utoipa::path(get, path = "/checkpoint", tag = "log", responses((status = 200, description = "C2SP tlog-checkpoint signed note with cosignatures", content_type = "text/plain")))]
async fn checkpoint(State(s): State<Arc<AppState>>) -> Response {
    match s.anchor.checkpoint_note() {
        Ok(Some(note)) => {
            let mut r = text(String::from_utf8_lossy(&note).into_owned());
            // Checkpoints change; tiles (below) do not.
            r.headers_mut()
                .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
            r
        }
        Ok(None) => problem(
            StatusCode::NOT_FOUND,
            "no checkpoint yet",
            "the log has not published a checkpoint",
        ),
        Err(e) => internal(e),
    }
}

#[utoipa::path(get, path = "/log/key", tag = "log", responses((status = 200, description = "the checkpoint verifier key", content_type = "text/plain")))]
async fn log_key(State(s): State<Arc<AppState>>) -> Response {
    text(format!("{}\n", s.anchor.verifier_key()))
}

async fn tile(State(s): State<Arc<AppState>>, Path(path): Path<String>) -> Response {
    let state = s.clone();
    let result =
        tokio::task::spawn_blocking(move || state.anchor.tile(&format!("tile/{path}"))).await;
    match result {
        Ok(Ok((partial, bytes))) => {
            // A full tile never changes; a partial one is superseded as the log grows.
            let cache = if partial {
                "public, max-age=5"
            } else {
                "public, max-age=31536000, immutable"
            };
            (
                [
                    (header::CONTENT_TYPE, "application/octet-stream"),
                    (header::CACHE_CONTROL, cache),
                ],
                bytes,
            )
                .into_response()
        }
        Ok(Err(TileError::BadPath(msg))) => problem(StatusCode::BAD_REQUEST, "bad tile path", msg),
        Ok(Err(TileError::NotFound(msg))) => problem(StatusCode::NOT_FOUND, "no such tile", msg),
        Ok(Err(TileError::Internal(e))) => internal(e),
        Err(e) => internal(e.into()),
    }
}

/// Most entries answered by one `/log/entries` request.
const MAX_ENTRIES: u64 = 1000;

fn published_size(s: &AppState) -> anyhow::Result<u64> {
    Ok(s.anchor
        .reader()
        .latest_checkpoint()?
        .map(|c| c.size())
        .unwrap_or(0))
}

/// `GET /log/consistency/{old}/{new}`: RFC 9162 consistency proof between two sizes of the
/// published tree (for replicas and auditors).
#[utoipa::path(get, path = "/log/consistency/{old}/{new}", tag = "log", params(("old" = u64, Path), ("new" = u64, Path)), responses((status = 200, description = "RFC 9162 consistency proof"), (status = 400, description = "bad range", body = crate::http::Problem)))]
async fn consistency(
    State(s): State<Arc<AppState>>,
    Path((old, new)): Path<(u64, u64)>,
) -> Response {
    let result =
        tokio::task::spawn_blocking(move || -> anyhow::Result<Result<Vec<String>, String>> {
            let size = published_size(&s)?;
            if old > new || new > size {
                return Ok(Err(format!(
                    "need old <= new <= {size} (the published tree)"
                )));
            }
            let proof = s.anchor.reader().consistency_proof(old, new)?;
            Ok(Ok(proof.hashes.iter().map(|h| h.to_base64()).collect()))
        })
        .await;
    match result {
        Ok(Ok(Ok(proof))) => axum::Json(json!({ "proof": proof })).into_response(),
        Ok(Ok(Err(msg))) => problem(StatusCode::BAD_REQUEST, "bad range", msg),
        Ok(Err(e)) => internal(e),
        Err(e) => internal(e.into()),
    }
}

/// `GET /log/entries/{start}/{end}`: entries `[start, end)` of the published tree, base64.
#[utoipa::path(get, path = "/log/entries/{start}/{end}", tag = "log", params(("start" = u64, Path), ("end" = u64, Path)), responses((status = 200, description = "entries [start, end), base64"), (status = 400, description = "bad range", body = crate::http::Problem)))]
async fn entries(State(s): State<Arc<AppState>>, Path((start, end)): Path<(u64, u64)>) -> Response {
    let result =
        tokio::task::spawn_blocking(move || -> anyhow::Result<Result<Vec<String>, String>> {
            let size = published_size(&s)?;
            if start >= end || end > size || end - start > MAX_ENTRIES {
                return Ok(Err(format!(
                    "need start < end <= {size}, at most {MAX_ENTRIES} entries"
                )));
            }
            let leaves = s.anchor.reader().leaves(start, end)?;
            use base64::Engine as _;
            Ok(Ok(leaves
                .iter()
                .map(|l| base64::engine::general_purpose::STANDARD.encode(l))
                .collect()))
        })
        .await;
    match result {
        Ok(Ok(Ok(entries))) => axum::Json(json!({ "entries": entries })).into_response(),
        Ok(Ok(Err(msg))) => problem(StatusCode::BAD_REQUEST, "bad range", msg),
        Ok(Err(e)) => internal(e),
        Err(e) => internal(e.into()),
    }
}

fn today() -> chrono::NaiveDate {
    chrono::Utc::now().date_naive()
}

#[utoipa::path(post, path = "/permits/validate", tag = "permits", request_body(content = serde_json::Value, description = "a permit in canonical JSON"), responses((status = 200, description = "every problem, by box"), (status = 400, description = "not a permit", body = crate::http::Problem)))]
async fn validate_json(body: Bytes) -> Response {
    match Permit::from_json(&body) {
        Ok(permit) => {
            let problems = validate(&permit, &ValidationContext { today: today() });
            axum::Json(json!({ "valid": problems.is_empty(), "problems": problems }))
                .into_response()
        }
        Err(e) => {
            let body = json!({
                "type": "about:blank", "title": "not a permit", "status": 400,
                "detail": e.to_string(), "path": e.path,
            });
            (
                StatusCode::BAD_REQUEST,
                [(header::CONTENT_TYPE, "application/problem+json")],
                body.to_string(),
            )
                .into_response()
        }
    }
}

#[derive(serde::Deserialize)]
struct ValidateForm {
    permit: String,
}

async fn validate_form(
    State(s): State<Arc<AppState>>,
    axum::Form(form): axum::Form<ValidateForm>,
) -> Response {
    let outcome = match Permit::from_json(form.permit.as_bytes()) {
        Ok(permit) => {
            pages::Checked::Problems(validate(&permit, &ValidationContext { today: today() }))
        }
        Err(e) => pages::Checked::NotAPermit(e.to_string()),
    };
    match s.anchor.status() {
        Ok(status) => Html(
            pages::home(
                &s.config,
                &status,
                &s.anchor.verifier_key(),
                network_view(&s).as_ref(),
                Some((&form.permit, &outcome)),
            )
            .into_string(),
        )
        .into_response(),
        Err(e) => internal(e),
    }
}
