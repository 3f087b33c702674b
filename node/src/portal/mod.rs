//! The web portal: server-rendered pages for applicants, MA and SA officers, customs and the
//! Secretariat's auditors, in English, French and Spanish.
//!
//! Every form calls the JSON API's handler in-process, so the workflow rules, the role checks
//! and the audit trail are the API's and exist once; the portal only turns form fields into the
//! API's bodies and answers into pages. No JavaScript: each page is one small HTML document
//! that works on a slow link and with a keyboard alone.

// Handlers return a ready HTTP response as their error, the axum way.
#![allow(clippy::result_large_err)]

mod applicant;
mod customs;
mod i18n;
mod oversight;
mod print;
mod workflow;

use std::collections::BTreeMap;
use std::sync::Arc;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{FromRequestParts, Query, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use hmac::{Hmac, Mac};
use maud::{DOCTYPE, Markup, html};
use serde_json::Value;
use sha2::Sha256;
use subtle::ConstantTimeEq;

use crate::audit::RequestInfo;
use crate::auth::{Caller, SESSION_COOKIE, cookie};
use crate::http::AppState;
use crate::users::Role;

pub use i18n::{Lang, Msg};

/// The cookie that keeps an anonymous visitor's language.
const LANG_COOKIE: &str = "cites_lang";
/// The cookie whose value the login form must carry back (double submit: a page on another
/// site can neither read it nor set the form field to match).
const LOGIN_COOKIE: &str = "cites_login";

/// The portal's routes, under `/portal`.
pub fn routes() -> Router<Arc<AppState>> {
    Router::new()
        .route("/portal", get(start))
        .route("/portal/login", get(login_page).post(login))
        .route("/portal/register", get(register_page).post(register))
        .route("/portal/logout", post(logout))
        .route("/portal/language", post(language))
        .route("/portal/style.css", get(style))
        .route("/portal/applications", get(workflow::list))
        .route(
            "/portal/applications/new",
            get(applicant::new_form).post(applicant::save),
        )
        .route("/portal/applications/{id}", get(workflow::application))
        .route("/portal/applications/{id}/edit", get(applicant::edit_form))
        .route(
            "/portal/applications/{id}/documents",
            post(applicant::attach).layer(axum::extract::DefaultBodyLimit::max(
                crate::documents::MAX_DOCUMENT + 16 * 1024,
            )),
        )
        .route(
            "/portal/applications/{id}/documents/{n}",
            get(applicant::document),
        )
        .route("/portal/applications/{id}/{verb}", post(workflow::act))
        .route("/portal/queue", get(workflow::queue))
        .route("/portal/permits/{party}/{number}", get(workflow::permit))
        .route(
            "/portal/permits/{party}/{number}/pdf",
            get(workflow::permit_pdf),
        )
        .route(
            "/portal/permits/{party}/{number}/{verb}",
            post(workflow::permit_act),
        )
        .route("/portal/customs", get(customs::page))
        .route("/portal/customs/challenge", post(customs::challenge))
        .route("/portal/customs/verify", post(customs::verify))
        .route(
            "/portal/customs/{party}/{number}/{verb}",
            post(customs::record),
        )
        .route("/portal/network", get(oversight::network))
        .route("/portal/dashboard", get(oversight::dashboard))
        .route("/portal/{*rest}", get(no_such_page))
}

/// Any other path under `/portal`: the portal's own page, with a way back.
async fn no_such_page(v: Visitor) -> Response {
    v.refusal(StatusCode::NOT_FOUND, v.t(Msg::NoSuchPage))
}

/// Who is looking, in which language, and the token their forms carry.
pub struct Visitor {
    /// The logged-in caller, if any.
    pub caller: Option<Caller>,
    /// The page language.
    pub lang: Lang,
    /// The token a form of this session must carry (sessions only).
    csrf: Option<String>,
    /// For the audit trail of what the forms change.
    pub info: RequestInfo,
    /// The value the login form carries back.
    login_nonce: Option<String>,
    /// The page asked for (the language switch comes back to it).
    path: String,
}

impl Visitor {
    /// The text of `m` in the visitor's language.
    pub fn t(&self, m: Msg) -> &'static str {
        m.text(self.lang)
    }

    /// The hidden field every form of a session carries.
    pub fn csrf_field(&self) -> Markup {
        html! { input type="hidden" name="csrf" value=(self.csrf.as_deref().unwrap_or("")); }
    }

    /// The caller, for a page that needs one of `roles`; otherwise the login page (anonymous)
    /// or a refusal (another role).
    pub fn require(&self, path: &str, roles: &[Role]) -> Result<Caller, Response> {
        let Some(caller) = &self.caller else {
            let next =
                percent_encoding::utf8_percent_encode(path, percent_encoding::NON_ALPHANUMERIC);
            return Err(Redirect::to(&format!("/portal/login?next={next}")).into_response());
        };
        if roles.contains(&caller.role) {
            Ok(caller.clone())
        } else {
            Err(self.refusal(StatusCode::FORBIDDEN, self.t(Msg::NotForYourRole)))
        }
    }

    /// As [`Visitor::require`], for a form: its token must be this session's.
    pub fn require_form(
        &self,
        path: &str,
        roles: &[Role],
        form: &Form,
    ) -> Result<Caller, Response> {
        self.require_token(path, roles, form.get("csrf"))
    }

    /// As [`Visitor::require_form`], for a form read otherwise (a file upload).
    pub fn require_token(
        &self,
        path: &str,
        roles: &[Role],
        sent: &str,
    ) -> Result<Caller, Response> {
        let caller = self.require(path, roles)?;
        match &self.csrf {
            Some(expected) if bool::from(expected.as_bytes().ct_eq(sent.as_bytes())) => Ok(caller),
            _ => Err(self.refusal(StatusCode::FORBIDDEN, self.t(Msg::FormExpired))),
        }
    }

    /// Whether an anonymous form (login, registration) carries this browser's nonce back.
    fn nonce_matches(&self, form: &Form) -> bool {
        self.login_nonce.as_deref().is_some_and(|n| {
            !n.is_empty() && bool::from(n.as_bytes().ct_eq(form.get("nonce").as_bytes()))
        })
    }

    /// A page that says why not.
    pub fn refusal(&self, status: StatusCode, detail: &str) -> Response {
        let body = html! {
            h1 { (self.t(Msg::NotPossible)) }
            p role="alert" class="bad" { (detail) }
            p { a href="/portal" { (self.t(Msg::BackToStart)) } }
        };
        (status, self.page(self.t(Msg::NotPossible), body)).into_response()
    }

    /// A whole page: header with the node, the caller's menu and the language switch. Not
    /// cached: every page carries the session's form token, and some show a one-time code.
    pub fn page(&self, title: &str, main: Markup) -> Response {
        let menu = self
            .caller
            .as_ref()
            .map(|c| menu(c.role))
            .unwrap_or_default();
        let markup = html! {
            (DOCTYPE)
            html lang=(self.lang.code()) {
                head {
                    meta charset="utf-8";
                    meta name="viewport" content="width=device-width, initial-scale=1";
                    title { (title) " — " (self.t(Msg::Portal)) }
                    link rel="stylesheet" href="/portal/style.css";
                }
                body {
                    a class="skip" href="#main" { (self.t(Msg::SkipToContent)) }
                    header {
                        nav aria-label=(self.t(Msg::Menu)) {
                            a href="/portal" { strong { (self.t(Msg::Portal)) } }
                            @for (href, m) in &menu {
                                " " a href=(href) { (self.t(*m)) }
                            }
                        }
                        div class="tools" {
                            form method="post" action="/portal/language" {
                                (self.csrf_field())
                                input type="hidden" name="back" value=(self.path);
                                label for="lang" { (self.t(Msg::Language)) " " }
                                select id="lang" name="lang" {
                                    @for l in Lang::ALL {
                                        option value=(l.code()) selected[l == self.lang] { (l.name()) }
                                    }
                                }
                                " " button type="submit" { (self.t(Msg::Change)) }
                            }
                            @if let Some(c) = &self.caller {
                                form method="post" action="/portal/logout" {
                                    (self.csrf_field())
                                    span { (c.user) " (" (role_name(self, c.role)) ") " }
                                    button type="submit" { (self.t(Msg::LogOut)) }
                                }
                            }
                        }
                    }
                    main id="main" { (main) }
                }
            }
        };
        let mut r = Html(markup.into_string()).into_response();
        r.headers_mut()
            .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
        r
    }
}

/// The pages each role works from.
fn menu(role: Role) -> Vec<(&'static str, Msg)> {
    match role {
        Role::Applicant => vec![
            ("/portal/applications", Msg::MyApplications),
            ("/portal/applications/new", Msg::NewApplication),
        ],
        Role::MaOfficer => vec![
            ("/portal/queue", Msg::Queue),
            ("/portal/applications", Msg::Applications),
            ("/portal/dashboard", Msg::Dashboard),
        ],
        Role::SaOfficer => vec![
            ("/portal/queue", Msg::AdviceQueue),
            ("/portal/applications", Msg::Applications),
        ],
        Role::CustomsOfficer => vec![("/portal/customs", Msg::BorderCheck)],
        Role::Auditor | Role::Admin => vec![
            ("/portal/network", Msg::Network),
            ("/portal/dashboard", Msg::Dashboard),
        ],
    }
}

/// A role's name in the visitor's language.
pub fn role_name(v: &Visitor, role: Role) -> &'static str {
    v.t(match role {
        Role::Applicant => Msg::RoleApplicant,
        Role::MaOfficer => Msg::RoleMaOfficer,
        Role::SaOfficer => Msg::RoleSaOfficer,
        Role::CustomsOfficer => Msg::RoleCustomsOfficer,
        Role::Auditor => Msg::RoleAuditor,
        Role::Admin => Msg::RoleAdmin,
    })
}

/// A session's form token: a MAC of the session secret under the node's API token, so it needs
/// no storage and dies with the session.
fn csrf_token(s: &AppState, session: &str) -> String {
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(s.api_token.as_bytes())
        .unwrap_or_else(|_| unreachable!("HMAC takes keys of any length"));
    mac.update(b"cites-portal-form\n");
    mac.update(session.as_bytes());
    hex::encode(mac.finalize().into_bytes())
}

impl FromRequestParts<Arc<AppState>> for Visitor {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut Parts,
        s: &Arc<AppState>,
    ) -> Result<Self, Self::Rejection> {
        let caller = Caller::from_request_parts(parts, s).await.ok();
        let session = cookie(&parts.headers, SESSION_COOKIE);
        let csrf = match (&caller, session) {
            (Some(_), Some(secret)) => Some(csrf_token(s, secret)),
            _ => None,
        };
        // The account's choice, else this browser's, else what the browser asks for.
        let chosen = caller
            .as_ref()
            .and_then(|c| s.users.get(&c.user).ok().flatten())
            .and_then(|u| u.language);
        let lang = chosen
            .or_else(|| cookie(&parts.headers, LANG_COOKIE).and_then(Lang::parse))
            .or_else(|| {
                parts
                    .headers
                    .get(header::ACCEPT_LANGUAGE)
                    .and_then(|v| v.to_str().ok())
                    .and_then(Lang::from_accept_language)
            })
            .unwrap_or(Lang::En);
        let login_nonce = cookie(&parts.headers, LOGIN_COOKIE).map(str::to_owned);
        // A page that answered a form cannot be asked for again: the switch goes to the start.
        let path = match parts.uri.path_and_query() {
            Some(p) if parts.method == axum::http::Method::GET => p.as_str().to_owned(),
            _ => "/portal".into(),
        };
        let Ok(info) = RequestInfo::from_request_parts(parts, s).await;
        Ok(Visitor {
            caller,
            lang,
            csrf,
            info,
            login_nonce,
            path,
        })
    }
}

/// A submitted form: its fields by name (a repeated name keeps its last value).
pub struct Form(BTreeMap<String, String>);

impl Form {
    /// The field's value, trimmed; empty when absent.
    pub fn get(&self, name: &str) -> &str {
        self.0.get(name).map(|v| v.trim()).unwrap_or("")
    }

    /// The field's value, or `None` when absent or blank.
    pub fn opt(&self, name: &str) -> Option<&str> {
        Some(self.get(name)).filter(|v| !v.is_empty())
    }

    /// Every field.
    pub fn fields(&self) -> &BTreeMap<String, String> {
        &self.0
    }
}

impl<S: Send + Sync> axum::extract::FromRequest<S> for Form {
    type Rejection = Response;

    async fn from_request(req: axum::extract::Request, state: &S) -> Result<Self, Self::Rejection> {
        let body = Bytes::from_request(req, state)
            .await
            .map_err(IntoResponse::into_response)?;
        let pairs: Vec<(String, String)> = serde_urlencoded::from_bytes(&body).map_err(|e| {
            (StatusCode::BAD_REQUEST, format!("unreadable form: {e}\n")).into_response()
        })?;
        Ok(Form(pairs.into_iter().collect()))
    }
}

/// What an API handler answered: its status and JSON body.
pub struct Answer {
    pub status: StatusCode,
    pub body: Value,
}

impl Answer {
    /// Reads a handler's response.
    pub async fn of(response: Response) -> Answer {
        let status = response.status();
        let bytes = axum::body::to_bytes(response.into_body(), 64 << 20)
            .await
            .unwrap_or_default();
        Answer {
            status,
            body: serde_json::from_slice(&bytes).unwrap_or(Value::Null),
        }
    }

    /// Whether the handler did what was asked.
    pub fn ok(&self) -> bool {
        self.status.is_success()
    }

    /// The refusal's explanation (the API's `detail`).
    pub fn detail(&self) -> String {
        self.body["detail"]
            .as_str()
            .map(str::to_owned)
            .unwrap_or_else(|| format!("the node answered {}", self.status))
    }
}

/// `?done=`: what the page confirms was just done (a form's redirect says it).
#[derive(serde::Deserialize, Default)]
pub struct Done {
    pub done: Option<String>,
}

/// The code a value has in the canonical JSON (`II`, `W`, `export_permit`).
pub fn code<T: serde::Serialize>(value: &T) -> String {
    serde_json::to_value(value)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default()
}

/// `303 See Other` to `path`: a form's answer, so reloading the page does not post again.
pub fn see_other(path: &str) -> Response {
    Redirect::to(path).into_response()
}

#[derive(serde::Deserialize)]
struct Next {
    next: Option<String>,
    registered: Option<String>,
}

/// Only a page of the portal is a place to go after logging in (no open redirect).
fn safe_next(next: Option<&str>) -> &str {
    match next {
        Some(n)
            if n.starts_with("/portal")
                && !n.contains("..")
                && !n.contains("://")
                && !n.contains('\\')
                && !n.chars().any(char::is_control) =>
        {
            n
        }
        _ => "/portal",
    }
}

async fn start(v: Visitor) -> Response {
    let Some(c) = &v.caller else {
        return see_other("/portal/login");
    };
    see_other(menu(c.role)[0].0)
}

async fn style() -> Response {
    let mut r = crate::pages::STYLE.into_response();
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/css; charset=utf-8"),
    );
    r.headers_mut().insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("public, max-age=3600"),
    );
    r
}

/// The login form (`registered`: just after a registration, which it confirms).
fn login_markup(
    v: &Visitor,
    next: &str,
    username: &str,
    error: Option<&str>,
    nonce: &str,
    registered: bool,
) -> Markup {
    html! {
        h1 { (v.t(Msg::LogIn)) }
        @if registered {
            p role="status" class="ok" { (v.t(Msg::Registered)) }
        }
        @if let Some(e) = error {
            p role="alert" class="bad" id="login-error" { (e) }
        }
        form method="post" action="/portal/login" {
            input type="hidden" name="nonce" value=(nonce);
            input type="hidden" name="next" value=(next);
            p {
                label for="username" { (v.t(Msg::Username)) }
                br;
                input id="username" name="username" value=(username) autocomplete="username" required;
            }
            p {
                label for="password" { (v.t(Msg::Password)) }
                br;
                input id="password" name="password" type="password" autocomplete="current-password" required;
            }
            p { button type="submit" { (v.t(Msg::LogIn)) } }
        }
        p { (v.t(Msg::NoAccountYet)) " " a href="/portal/register" { (v.t(Msg::Register)) } }
    }
}

/// What the registration form shows: the values typed (never the passwords) and problems by
/// field.
#[derive(Default)]
struct Registration {
    username: String,
    name: String,
    email: String,
    problems: BTreeMap<&'static str, String>,
}

fn register_markup(v: &Visitor, r: &Registration, nonce: &str) -> Markup {
    let field =
        |id: &'static str, label: Msg, kind: &str, value: &str, hint: Option<Msg>, auto: &str| {
            let err = format!("{id}-error");
            html! {
                p {
                    label for=(id) { (v.t(label)) }
                    br;
                    input id=(id) name=(id) type=(kind) value=(value) autocomplete=(auto)
                        aria-describedby=[r.problems.contains_key(id).then_some(&err)]
                        aria-invalid=[r.problems.contains_key(id).then_some("true")];
                    @if let Some(h) = hint { br; small { (v.t(h)) } }
                    @if let Some(p) = r.problems.get(id) {
                        br;
                        span id=(err) role="alert" class="bad" { (p) }
                    }
                }
            }
        };
    html! {
        h1 { (v.t(Msg::Register)) }
        p { (v.t(Msg::RegisterExplained)) }
        form method="post" action="/portal/register" novalidate {
            input type="hidden" name="nonce" value=(nonce);
            (field("username", Msg::Username, "text", &r.username, Some(Msg::UsernameHint), "username"))
            (field("name", Msg::FullName, "text", &r.name, None, "name"))
            (field("email", Msg::EmailOptional, "email", &r.email, None, "email"))
            (field("password", Msg::Password, "password", "", Some(Msg::PasswordHint), "new-password"))
            (field("password2", Msg::PasswordAgain, "password", "", None, "new-password"))
            p { button type="submit" { (v.t(Msg::Register)) } }
        }
        p { (v.t(Msg::HaveAccount)) " " a href="/portal/login" { (v.t(Msg::LogIn)) } }
    }
}

/// The form, with a login nonce cookie set when the browser has none yet.
fn with_nonce(v: &Visitor, status: StatusCode, page: impl FnOnce(&str) -> Response) -> Response {
    let (nonce, set) = login_nonce(v);
    let mut r = (status, page(&nonce)).into_response();
    if let Some(set) = set {
        r.headers_mut().insert(header::SET_COOKIE, set);
    }
    r
}

async fn register_page(State(s): State<Arc<AppState>>, v: Visitor) -> Response {
    if s.config.closed_registration {
        return v.refusal(StatusCode::FORBIDDEN, v.t(Msg::RegistrationClosed));
    }
    with_nonce(&v, StatusCode::OK, |nonce| {
        v.page(
            v.t(Msg::Register),
            register_markup(&v, &Registration::default(), nonce),
        )
    })
}

/// `POST /portal/register`: a trader's own applicant account.
async fn register(State(s): State<Arc<AppState>>, v: Visitor, form: Form) -> Response {
    if s.config.closed_registration {
        return v.refusal(StatusCode::FORBIDDEN, v.t(Msg::RegistrationClosed));
    }
    let mut r = Registration {
        username: form.get("username").to_owned(),
        name: form.get("name").to_owned(),
        email: form.get("email").to_owned(),
        problems: BTreeMap::new(),
    };
    let again = |status: StatusCode, r: &Registration| {
        with_nonce(&v, status, |nonce| {
            v.page(v.t(Msg::Register), register_markup(&v, r, nonce))
        })
    };
    if !v.nonce_matches(&form) {
        r.problems
            .insert("username", v.t(Msg::FormExpired).to_owned());
        return again(StatusCode::FORBIDDEN, &r);
    }
    if r.username == "operator" {
        // The audit trail's name for the node's own API token.
        r.problems
            .insert("username", v.t(Msg::UsernameTaken).to_owned());
        return again(StatusCode::BAD_REQUEST, &r);
    }
    let password = form.fields().get("password").cloned().unwrap_or_default();
    if form.fields().get("password2") != Some(&password) {
        r.problems
            .insert("password2", v.t(Msg::PasswordsDiffer).to_owned());
        return again(StatusCode::BAD_REQUEST, &r);
    }
    let account = crate::auth::NewAccount {
        username: &r.username,
        name: &r.name,
        role: Role::Applicant,
        password: &password,
        email: form.opt("email"),
    };
    let who = crate::audit::Who {
        user: r.username.clone(),
        role: Role::Applicant,
    };
    match crate::auth::add_user(&s, &who, &v.info, account).await {
        Ok(_) => see_other("/portal/login?registered=1"),
        Err(e) => {
            use crate::users::UserError as E;
            let (field, message) = match &e {
                E::Exists(_) | E::Unknown(_) => ("username", Msg::UsernameTaken),
                E::BadUsername(_) => ("username", Msg::UsernameHint),
                E::EmptyName => ("name", Msg::NameNeeded),
                E::WeakPassword => ("password", Msg::PasswordHint),
                E::BadEmail(_) => ("email", Msg::EmailInvalid),
                E::Internal(e) => return crate::http::internal(anyhow::anyhow!("{e:#}")),
            };
            r.problems.insert(field, v.t(message).to_owned());
            again(StatusCode::BAD_REQUEST, &r)
        }
    }
}

/// A fresh nonce for the login form, and the cookie that carries it.
fn login_nonce(v: &Visitor) -> (String, Option<HeaderValue>) {
    if let Some(n) = &v.login_nonce {
        return (n.clone(), None);
    }
    let mut bytes = [0u8; 16];
    if getrandom::getrandom(&mut bytes).is_err() {
        return (String::new(), None);
    }
    let nonce = hex::encode(bytes);
    let cookie = format!("{LOGIN_COOKIE}={nonce}; HttpOnly; SameSite=Strict; Path=/portal");
    (nonce, HeaderValue::from_str(&cookie).ok())
}

async fn login_page(v: Visitor, Query(q): Query<Next>) -> Response {
    let next = safe_next(q.next.as_deref());
    let registered = q.registered.is_some();
    with_nonce(&v, StatusCode::OK, |nonce| {
        v.page(
            v.t(Msg::LogIn),
            login_markup(&v, next, "", None, nonce, registered),
        )
    })
}

async fn login(State(s): State<Arc<AppState>>, v: Visitor, form: Form) -> Response {
    let next = safe_next(form.opt("next")).to_owned();
    let username = form.get("username").to_owned();
    let again = |status: StatusCode, error: &str| {
        with_nonce(&v, status, |nonce| {
            v.page(
                v.t(Msg::LogIn),
                login_markup(&v, &next, &username, Some(error), nonce, false),
            )
        })
    };
    if !v.nonce_matches(&form) {
        return again(StatusCode::FORBIDDEN, v.t(Msg::FormExpired));
    }
    // The password as typed: spaces at either end are part of it.
    let password = form.fields().get("password").cloned().unwrap_or_default();
    let body = crate::auth::Login::new(username.clone(), password);
    let answer = crate::auth::login(State(s), v.info.clone(), crate::http::JsonBody(body)).await;
    let set_cookie = answer.headers().get(header::SET_COOKIE).cloned();
    let answer = Answer::of(answer).await;
    match (answer.ok(), set_cookie) {
        (true, Some(set)) => {
            let mut r = see_other(&next);
            r.headers_mut().insert(header::SET_COOKIE, set);
            r
        }
        _ if answer.status == StatusCode::TOO_MANY_REQUESTS => {
            again(answer.status, v.t(Msg::LockedOut))
        }
        _ => again(StatusCode::UNAUTHORIZED, v.t(Msg::WrongLogin)),
    }
}

async fn logout(
    State(s): State<Arc<AppState>>,
    v: Visitor,
    headers: HeaderMap,
    form: Form,
) -> Response {
    if v.require_form("/portal", &Role::ALL, &form).is_err() {
        return see_other("/portal/login");
    }
    let answer = crate::auth::logout(State(s), headers).await;
    let mut r = see_other("/portal/login");
    if let Some(set) = answer.headers().get(header::SET_COOKIE).cloned() {
        r.headers_mut().insert(header::SET_COOKIE, set);
    }
    r
}

/// The language switch: kept on the account when logged in, in a cookie otherwise.
async fn language(State(s): State<Arc<AppState>>, v: Visitor, form: Form) -> Response {
    let Some(lang) = Lang::parse(form.get("lang")) else {
        return v.refusal(StatusCode::BAD_REQUEST, v.t(Msg::UnknownLanguage));
    };
    if v.caller.is_some() {
        let caller = match v.require_form("/portal", &Role::ALL, &form) {
            Ok(c) => c,
            Err(r) => return r,
        };
        if let Err(e) = crate::auth::set_language(&s, &caller, &v.info, lang).await {
            return crate::http::internal(e);
        }
    }
    // Back to the page the switch was on (a page of the portal only).
    let mut r = see_other(safe_next(form.opt("back")));
    let cookie = format!(
        "{LANG_COOKIE}={}; SameSite=Lax; Path=/; Max-Age=31536000",
        lang.code()
    );
    if let Ok(set) = HeaderValue::from_str(&cookie) {
        r.headers_mut().insert(header::SET_COOKIE, set);
    }
    r
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_portal_pages_are_places_to_go_after_login() {
        assert_eq!(safe_next(Some("/portal/queue")), "/portal/queue");
        assert_eq!(safe_next(Some("https://evil.example/portal")), "/portal");
        assert_eq!(safe_next(Some("//evil.example")), "/portal");
        assert_eq!(safe_next(Some("/auth/tokens")), "/portal");
        assert_eq!(safe_next(Some("/portal/../audit")), "/portal");
        assert_eq!(safe_next(Some("/portal\r\nx")), "/portal");
        assert_eq!(safe_next(None), "/portal");
    }
}
