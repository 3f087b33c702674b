//! Who is calling: the [`Caller`] extractor (session cookie or bearer token), login and logout,
//! API tokens, and account administration over HTTP.

// The helpers return a ready HTTP response as their error, the axum way.
#![allow(clippy::result_large_err)]

use std::sync::Arc;

use axum::Json;
use axum::extract::{FromRequestParts, Path, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::json;
use subtle::ConstantTimeEq;

use crate::audit::{self, Change, RequestInfo, Who};
use crate::http::{AppState, JsonBody, internal, problem};
use crate::users::{Role, Throttle, User, UserError, Users};

/// The session cookie.
pub const SESSION_COOKIE: &str = "cites_session";

/// An authenticated caller.
#[derive(Debug, Clone)]
pub struct Caller {
    /// Username; `operator` for the node's own API token.
    pub user: String,
    /// Role.
    pub role: Role,
    /// Pseudonymous id (goes on permits).
    pub official_id: String,
}

impl Caller {
    fn from_user(u: &User) -> Caller {
        Caller {
            user: u.username.clone(),
            role: u.role,
            official_id: u.official_id.clone(),
        }
    }

    /// For the audit trail.
    pub fn who(&self) -> Who {
        Who {
            user: self.user.clone(),
            role: self.role,
        }
    }

    /// Refuses (403) a caller whose role is not one of `roles`.
    pub fn require(&self, roles: &[Role]) -> Result<(), Response> {
        if roles.contains(&self.role) {
            return Ok(());
        }
        let names: Vec<_> = roles.iter().map(|r| r.as_str()).collect();
        Err(problem(
            StatusCode::FORBIDDEN,
            "forbidden",
            format!(
                "this needs the role {}; {} is {}",
                names.join(" or "),
                self.user,
                self.role
            ),
        ))
    }
}

pub(crate) fn cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find_map(|(k, v)| (k == name).then_some(v))
}

fn bearer(headers: &HeaderMap) -> Option<&str> {
    headers
        .get(header::AUTHORIZATION)?
        .to_str()
        .ok()?
        .strip_prefix("Bearer ")
}

fn unauthorized() -> Response {
    let mut r = problem(
        StatusCode::UNAUTHORIZED,
        "unauthorized",
        "log in (POST /auth/login) or send `Authorization: Bearer <token>`",
    );
    r.headers_mut().insert(
        header::WWW_AUTHENTICATE,
        HeaderValue::from_static("Bearer realm=\"cites-node\""),
    );
    r
}

impl FromRequestParts<Arc<AppState>> for Caller {
    type Rejection = Response;

    async fn from_request_parts(
        parts: &mut Parts,
        s: &Arc<AppState>,
    ) -> Result<Self, Self::Rejection> {
        let found = if let Some(token) = bearer(&parts.headers) {
            if bool::from(token.as_bytes().ct_eq(s.api_token.as_bytes())) {
                // The node's own token: its operator, with the administrator's rights.
                return Ok(Caller {
                    user: "operator".into(),
                    role: Role::Admin,
                    official_id: "operator".into(),
                });
            }
            s.users.by_secret(token, false)
        } else if let Some(session) = cookie(&parts.headers, SESSION_COOKIE) {
            s.users.by_secret(session, true)
        } else {
            return Err(unauthorized());
        };
        match found {
            Ok(Some(user)) => Ok(Caller::from_user(&user)),
            Ok(None) => Err(unauthorized()),
            Err(e) => Err(internal(e)),
        }
    }
}

/// The body of `POST /auth/login`.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Login {
    username: String,
    password: String,
}

impl Login {
    /// A login, for the portal's form.
    pub fn new(username: String, password: String) -> Login {
        Login { username, password }
    }
}

/// `POST /auth/login`: checks the password and opens a session (cookie). Five failures in a
/// quarter of an hour lock the username for the rest of it.
#[utoipa::path(post, path = "/auth/login", tag = "accounts", request_body = Login, responses((status = 200, description = "logged in; the session cookie is set"), (status = 401, description = "unknown user, wrong password or disabled account", body = crate::http::Problem), (status = 429, description = "locked out after five failures", body = crate::http::Problem)))]
pub async fn login(
    State(s): State<Arc<AppState>>,
    info: RequestInfo,
    JsonBody(login): JsonBody<Login>,
) -> Response {
    let failed = || {
        problem(
            StatusCode::UNAUTHORIZED,
            "login failed",
            "unknown user, wrong password or disabled account",
        )
    };
    if !crate::users::valid_username(&login.username) {
        return failed();
    }
    if let Err(wait) = s.throttle.attempt(&login.username) {
        let mut r = problem(
            StatusCode::TOO_MANY_REQUESTS,
            "too many failed logins",
            format!(
                "{} failed logins for {:?}; try again in {} s",
                Throttle::MAX_FAILURES,
                login.username,
                wait.as_secs()
            ),
        );
        if let Ok(v) = HeaderValue::from_str(&wait.as_secs().to_string()) {
            r.headers_mut().insert(header::RETRY_AFTER, v);
        }
        return r;
    }
    let users = s.users.clone();
    let (name, password) = (login.username.clone(), login.password);
    // argon2 is slow on purpose: at most two at a time, so logins cannot take the node's cores.
    let Ok(_slot) = s.password_slots.acquire().await else {
        return internal(anyhow::anyhow!("password checks closed"));
    };
    let checked = tokio::task::spawn_blocking(move || {
        users.purge_expired_sessions()?;
        users.check_password(&name, &password)
    })
    .await;
    let user = match checked {
        Ok(Ok(Some(u))) => u,
        Ok(Ok(None)) => {
            tracing::info!(user = %login.username, remote = ?info.remote, "failed login");
            return failed();
        }
        Ok(Err(e)) => return internal(e),
        Err(e) => return internal(e.into()),
    };
    s.throttle.succeeded(&user.username);
    let result = (|| {
        let (secret, write) = Users::new_session(&user)?;
        let writes = vec![write];
        s.journal.commit(
            s.anchor.store(),
            writes,
            Change::new(
                &Caller::from_user(&user).who(),
                &info,
                "auth.login",
                &user.username,
            ),
        )?;
        Ok::<_, anyhow::Error>(secret)
    })();
    let secret = match result {
        Ok(secret) => secret,
        Err(e) => return internal(e),
    };
    let secure = if s.base_url.starts_with("https://") {
        "; Secure"
    } else {
        ""
    };
    let cookie = format!(
        "{SESSION_COOKIE}={secret}; HttpOnly; SameSite=Strict; Path=/; Max-Age={}{secure}",
        crate::users::SESSION_TTL.as_secs()
    );
    let mut r = Json(json!({ "user": user.view() })).into_response();
    if let Ok(v) = HeaderValue::from_str(&cookie) {
        r.headers_mut().insert(header::SET_COOKIE, v);
    }
    r
}

/// `POST /auth/logout`: ends the session.
#[utoipa::path(post, path = "/auth/logout", tag = "accounts", responses((status = 204, description = "session ended")))]
pub async fn logout(State(s): State<Arc<AppState>>, headers: HeaderMap) -> Response {
    if let Some(secret) = cookie(&headers, SESSION_COOKIE)
        && let Err(e) = s.users.end_session(secret)
    {
        return internal(e);
    }
    let mut r = StatusCode::NO_CONTENT.into_response();
    r.headers_mut().insert(
        header::SET_COOKIE,
        HeaderValue::from_static("cites_session=; HttpOnly; SameSite=Strict; Path=/; Max-Age=0"),
    );
    r
}

/// `GET /auth/me`.
#[utoipa::path(get, path = "/auth/me", tag = "accounts", responses((status = 200, description = "the caller"), (status = 401, description = "not logged in", body = crate::http::Problem)))]
pub async fn me(State(s): State<Arc<AppState>>, caller: Caller) -> Response {
    match s.users.get(&caller.user) {
        Ok(Some(u)) => Json(json!({ "user": u.view() })).into_response(),
        Ok(None) => Json(json!({ "user": { "username": caller.user, "role": caller.role } }))
            .into_response(),
        Err(e) => internal(e),
    }
}

/// The body of `POST /auth/tokens`.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewToken {
    label: String,
}

/// `POST /auth/tokens`: a bearer token with the caller's own rights, shown once.
#[utoipa::path(post, path = "/auth/tokens", tag = "accounts", request_body = NewToken, responses((status = 400, description = "invalid request", body = crate::http::Problem), (status = 401, description = "not logged in", body = crate::http::Problem), (status = 403, description = "role not allowed", body = crate::http::Problem), (status = 201, description = "the token, shown once")))]
pub async fn new_token(
    State(s): State<Arc<AppState>>,
    caller: Caller,
    info: RequestInfo,
    JsonBody(req): JsonBody<NewToken>,
) -> Response {
    if req.label.trim().is_empty() {
        return problem(
            StatusCode::BAD_REQUEST,
            "invalid request",
            "label: must not be empty",
        );
    }
    let user = match s.users.get(&caller.user) {
        Ok(Some(u)) => u,
        Ok(None) => {
            return problem(
                StatusCode::BAD_REQUEST,
                "invalid request",
                "the operator token cannot make user tokens; log in as a user",
            );
        }
        Err(e) => return internal(e),
    };
    let result = (|| {
        let (secret, write) = Users::new_token(&user, req.label.trim())?;
        let writes = vec![write];
        s.journal.commit(
            s.anchor.store(),
            writes,
            Change::new(&caller.who(), &info, "auth.token", &user.username),
        )?;
        Ok::<_, anyhow::Error>(secret)
    })();
    match result {
        Ok(token) => (StatusCode::CREATED, Json(json!({ "token": token }))).into_response(),
        Err(e) => internal(e),
    }
}

/// `GET /auth/tokens`: the caller's API tokens (every user's for an admin), never their
/// secrets.
#[utoipa::path(get, path = "/auth/tokens", tag = "accounts", responses((status = 200, description = "the tokens"), (status = 401, description = "not logged in", body = crate::http::Problem)))]
pub async fn list_tokens(State(s): State<Arc<AppState>>, caller: Caller) -> Response {
    let whose = (caller.role != Role::Admin).then_some(caller.user.as_str());
    match s.users.tokens(whose) {
        Ok(tokens) => Json(json!({ "tokens": tokens })).into_response(),
        Err(e) => internal(e),
    }
}

/// `DELETE /auth/tokens/{id}`: revokes one of the caller's tokens (any, for an admin).
#[utoipa::path(delete, path = "/auth/tokens/{id}", tag = "accounts", params(("id" = String, Path)), responses((status = 204, description = "revoked"), (status = 401, description = "not logged in", body = crate::http::Problem), (status = 404, description = "no such token", body = crate::http::Problem)))]
pub async fn revoke_token(
    State(s): State<Arc<AppState>>,
    caller: Caller,
    info: RequestInfo,
    Path(id): Path<String>,
) -> Response {
    let found = match s.users.token_key(&id) {
        Ok(f) => f,
        Err(e) => return internal(e),
    };
    match found {
        Some((key, cred)) if caller.role == Role::Admin || cred.username == caller.user => {
            let who = caller.who();
            let change = Change::new(&who, &info, "auth.revoke_token", &cred.username);
            let result = s.users.revoke(&key).and_then(|batch| {
                audit::commit_batch(s.anchor.store(), batch, s.journal.writes(change)?)
            });
            match result {
                Ok(()) => StatusCode::NO_CONTENT.into_response(),
                Err(e) => internal(e),
            }
        }
        _ => problem(
            StatusCode::NOT_FOUND,
            "no such token",
            format!("{id:?} is not one of your tokens"),
        ),
    }
}

/// The body of `POST /users`.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewUser {
    username: String,
    name: String,
    role: Role,
    password: String,
    /// Where notifications go.
    #[serde(default)]
    email: Option<String>,
}

/// What became of the registry entry that tells the Secretariat about an official.
async fn tell_registry(s: &AppState, body: did_registry::Body) -> String {
    let Some(registry) = &s.registry else {
        return "not written: this node pins no genesis".into();
    };
    match registry.write(&s.anchor, &s.issuer, body).await {
        Ok(index) => format!("written at leaf {index}"),
        Err(e) => {
            tracing::warn!(error = %e, "registry entry for an official not written");
            format!("not written: {e}")
        }
    }
}

fn subject(s: &AppState) -> Result<did_registry::DidWeb, Response> {
    s.issuer
        .did
        .parse()
        .map_err(|e| internal(anyhow::anyhow!("the node's DID: {e}")))
}

fn official_token(id: &str) -> Result<did_registry::did::Token, Response> {
    id.parse()
        .map_err(|e| internal(anyhow::anyhow!("official id {id:?}: {e}")))
}

/// `POST /users` (admin): a new account. Officials are announced on the node's log
/// (`add_official`), so the Secretariat knows every authenticated official.
#[utoipa::path(post, path = "/users", tag = "accounts", request_body = NewUser, responses((status = 400, description = "invalid request", body = crate::http::Problem), (status = 401, description = "not logged in", body = crate::http::Problem), (status = 403, description = "role not allowed", body = crate::http::Problem), (status = 201, description = "created; officials are announced in the registry"), (status = 409, description = "exists", body = crate::http::Problem)))]
pub async fn create_user(
    State(s): State<Arc<AppState>>,
    caller: Caller,
    info: RequestInfo,
    JsonBody(req): JsonBody<NewUser>,
) -> Response {
    if let Err(r) = caller.require(&[Role::Admin]) {
        return r;
    }
    let account = NewAccount {
        username: &req.username,
        name: &req.name,
        role: req.role,
        password: &req.password,
        email: req.email.as_deref(),
    };
    match add_user(&s, &caller.who(), &info, account).await {
        Ok((user, registry)) => (
            StatusCode::CREATED,
            Json(json!({ "user": user.view(), "registry": registry })),
        )
            .into_response(),
        Err(UserError::Internal(e)) => internal(e),
        Err(e @ UserError::Exists(_)) => {
            problem(StatusCode::CONFLICT, "user exists", e.to_string())
        }
        Err(e) => problem(StatusCode::BAD_REQUEST, "invalid user", e.to_string()),
    }
}

/// An account to make.
pub struct NewAccount<'a> {
    /// Login name.
    pub username: &'a str,
    /// Full name.
    pub name: &'a str,
    /// Role.
    pub role: Role,
    /// Password.
    pub password: &'a str,
    /// E-mail for notifications.
    pub email: Option<&'a str>,
}

/// Makes an account (hashing off the runtime), records it, and announces an official.
pub async fn add_user(
    s: &AppState,
    who: &Who,
    info: &RequestInfo,
    account: NewAccount<'_>,
) -> Result<(User, Option<String>), UserError> {
    let NewAccount {
        username,
        name,
        role,
        password,
        email,
    } = account;
    if let Some(e) = email
        && !crate::notify::valid_email(e)
    {
        return Err(UserError::BadEmail(e.to_owned()));
    }
    let users = s.users.clone();
    let (u, n, p) = (username.to_owned(), name.to_owned(), password.to_owned());
    let _slot = s
        .password_slots
        .acquire()
        .await
        .map_err(|e| anyhow::anyhow!("password checks closed: {e}"))?;
    let mut user = tokio::task::spawn_blocking(move || users.prepare(&u, &n, role, &p))
        .await
        .map_err(|e| UserError::Internal(e.into()))??;
    user.email = email.map(str::to_owned);
    let one = s.workflow_lock.lock().await;
    if s.users.get(username)?.is_some() {
        return Err(UserError::Exists(username.to_owned()));
    }
    let bytes = serde_json::to_vec(&user.view()).map_err(anyhow::Error::from)?;
    s.journal.commit(
        s.anchor.store(),
        vec![Users::put(&user)?],
        Change {
            after: Some(&bytes),
            ..Change::new(who, info, "user.create", username)
        },
    )?;
    drop(one);
    let registry = match role.official() {
        Some(official_role) => {
            let (subject, official) = match (subject(s), official_token(&user.official_id)) {
                (Ok(a), Ok(b)) => (a, b),
                _ => return Ok((user, Some("not written: bad DID or official id".into()))),
            };
            Some(
                tell_registry(
                    s,
                    did_registry::Body::AddOfficial {
                        subject,
                        official,
                        role: official_role,
                    },
                )
                .await,
            )
        }
        None => None,
    };
    Ok((user, registry))
}

/// `GET /users` (admin, auditor).
#[utoipa::path(get, path = "/users", tag = "accounts", responses((status = 400, description = "invalid request", body = crate::http::Problem), (status = 401, description = "not logged in", body = crate::http::Problem), (status = 403, description = "role not allowed", body = crate::http::Problem), (status = 200, description = "every account")))]
pub async fn list_users(State(s): State<Arc<AppState>>, caller: Caller) -> Response {
    if let Err(r) = caller.require(&[Role::Admin, Role::Auditor]) {
        return r;
    }
    match s.users.list() {
        Ok(users) => {
            let views: Vec<_> = users.iter().map(User::view).collect();
            Json(json!({ "users": views })).into_response()
        }
        Err(e) => internal(e),
    }
}

/// `POST /users/{username}/disable` (admin): the account stops working at once (sessions and
/// tokens included) and, for an official, a `remove_official` entry tells the Secretariat
/// (Decision 18.125 e) vi)).
#[utoipa::path(post, path = "/users/{username}/disable", tag = "accounts", params(("username" = String, Path)), responses((status = 400, description = "invalid request", body = crate::http::Problem), (status = 401, description = "not logged in", body = crate::http::Problem), (status = 403, description = "role not allowed", body = crate::http::Problem), (status = 200, description = "disabled"), (status = 404, description = "no such user", body = crate::http::Problem), (status = 409, description = "disabled already", body = crate::http::Problem)))]
pub async fn disable_user(
    State(s): State<Arc<AppState>>,
    caller: Caller,
    info: RequestInfo,
    Path(username): Path<String>,
) -> Response {
    if let Err(r) = caller.require(&[Role::Admin]) {
        return r;
    }
    let guard = s.workflow_lock.lock().await;
    let mut user = match s.users.get(&username) {
        Ok(Some(u)) => u,
        Ok(None) => {
            return problem(
                StatusCode::NOT_FOUND,
                "no such user",
                UserError::Unknown(username).to_string(),
            );
        }
        Err(e) => return internal(e),
    };
    if user.disabled {
        return problem(
            StatusCode::CONFLICT,
            "already disabled",
            format!("{username} is disabled already"),
        );
    }
    let before = serde_json::to_vec(&user.view()).unwrap_or_default();
    user.disabled = true;
    let after = serde_json::to_vec(&user.view()).unwrap_or_default();
    let result = (|| {
        let writes = vec![Users::put(&user)?];
        s.journal.commit(
            s.anchor.store(),
            writes,
            Change {
                before: Some(&before),
                after: Some(&after),
                event: Some((
                    "user.disabled".into(),
                    format!("{} ({}) was disabled", user.name, user.role),
                    vec![Role::Admin],
                    None,
                )),
                ..Change::new(&caller.who(), &info, "user.disable", &username)
            },
        )
    })();
    if let Err(e) = result {
        return internal(e);
    }
    drop(guard);
    s.journal.published();
    tracing::info!(user = %username, by = %caller.user, "user disabled");
    let registry = match user.role.official() {
        Some(_) => match (subject(&s), official_token(&user.official_id)) {
            (Ok(subject), Ok(official)) => Some(
                tell_registry(&s, did_registry::Body::RemoveOfficial { subject, official }).await,
            ),
            _ => Some("not written: bad DID or official id".into()),
        },
        None => None,
    };
    Json(json!({ "user": user.view(), "registry": registry })).into_response()
}

/// Keeps the portal language `lang` on the caller's account.
pub async fn set_language(
    s: &AppState,
    caller: &Caller,
    info: &RequestInfo,
    lang: crate::portal::Lang,
) -> anyhow::Result<()> {
    let _one = s.workflow_lock.lock().await;
    let Some(mut user) = s.users.get(&caller.user)? else {
        // The node's operator token has no account to keep it on.
        return Ok(());
    };
    if user.language == Some(lang) {
        return Ok(());
    }
    user.language = Some(lang);
    s.journal.commit(
        s.anchor.store(),
        vec![Users::put(&user)?],
        Change::new(&caller.who(), info, "user.language", &caller.user),
    )?;
    Ok(())
}
