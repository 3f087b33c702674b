//! The application workflow over HTTP: an applicant drafts and submits, the MA officer checks,
//! asks the Scientific Authority where the Convention requires it, approves or refuses, records
//! the payment and issues. The rules are `contracts::application`'s; handlers here load, apply,
//! and write the new state with its audit record and feed event in one synced batch.

// The helpers return a ready HTTP response as their error, the axum way.
#![allow(clippy::result_large_err)]

use std::sync::Arc;

use anyhow::Context;
use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use chrono::{Datelike, Utc};
use contracts::application::{Money, Request};
use contracts::permit::{Issuance as IssueBox, ManagementAuthority};
use contracts::{
    Action, Application, Permit, PermitKey, Stage, ValidationContext, WorkflowError, validate,
};
use credentials::Mechanism;
use serde::Deserialize;
use serde_json::{Value, json};

use crate::audit::{Change, RequestInfo};
use crate::auth::Caller;
use crate::http::{AppState, internal, problem};
use crate::http::{JsonBody, no_fields, parse_json};
use crate::issuance;
use crate::users::Role;

/// Applications: key `a/ID`, value [`Application`] JSON; counters under `#`.
pub const CF_APPLICATIONS: &str = "node_applications";

const NEXT_ID: &[u8] = b"#next-application";

fn app_key(id: &str) -> Vec<u8> {
    format!("a/{id}").into_bytes()
}

fn counter(store: &ledger::Store, key: &[u8]) -> anyhow::Result<u64> {
    let cf = store
        .db()
        .cf_handle(CF_APPLICATIONS)
        .context("missing applications column family")?;
    Ok(match store.db().get_cf(&cf, key)? {
        Some(b) => u64::from_be_bytes(
            b.as_slice()
                .try_into()
                .map_err(|_| anyhow::anyhow!("corrupt counter"))?,
        ),
        None => 0,
    })
}

fn put(key: Vec<u8>, value: Vec<u8>) -> ledger::SideWrite {
    ledger::SideWrite {
        cf: CF_APPLICATIONS.into(),
        key,
        value,
    }
}

/// An application.
pub fn load(store: &ledger::Store, id: &str) -> anyhow::Result<Option<Application>> {
    let cf = store
        .db()
        .cf_handle(CF_APPLICATIONS)
        .context("missing applications column family")?;
    match store.db().get_cf(&cf, app_key(id))? {
        Some(b) => Ok(Some(
            serde_json::from_slice(&b).context("corrupt application")?,
        )),
        None => Ok(None),
    }
}

/// Every application, oldest first.
pub fn all(store: &ledger::Store) -> anyhow::Result<Vec<Application>> {
    let cf = store
        .db()
        .cf_handle(CF_APPLICATIONS)
        .context("missing applications column family")?;
    let mut out = Vec::new();
    for item in store.db().prefix_iterator_cf(&cf, b"a/") {
        let (k, v) = item?;
        if !k.starts_with(b"a/") {
            break;
        }
        out.push(serde_json::from_slice(&v).context("corrupt application")?);
    }
    Ok(out)
}

/// Box 6 as this node fills it.
pub fn authority(s: &AppState) -> ManagementAuthority {
    ManagementAuthority {
        name: s.config.name.clone(),
        address: s.config.address.clone(),
        country: s.config.party,
        did: Some(s.issuer.did.clone()),
    }
}

/// The permit a request would become if issued today by `official` as `number`.
fn as_permit(s: &AppState, request: &Request, number: String, official: &str) -> Permit {
    request.to_permit(
        number,
        authority(s),
        IssueBox {
            place: s.config.place.clone(),
            date: Utc::now().date_naive(),
            official: official.to_owned(),
        },
    )
}

/// The permit `request` would become if issued today (number and official not known yet).
fn provisional(s: &AppState, request: &Request) -> Permit {
    as_permit(s, request, "PROVISIONAL".into(), "officer")
}

/// Every problem a permit would have if issued today, by box.
fn problems_of(permit: &Permit) -> Vec<contracts::Problem> {
    validate(
        permit,
        &ValidationContext {
            today: Utc::now().date_naive(),
        },
    )
}

/// The application with what an officer needs to decide: every problem of the would-be permit
/// by box, whether SA advice is needed, and whose turn it is.
fn view(s: &AppState, app: &Application) -> Value {
    let provisional = provisional(s, &app.request);
    let quota = s.quotas.lock().ok().map(|book| match book.check(&provisional) {
        Ok(uses) => json!({
            "fits": true,
            "positions": uses.iter().map(|u| json!({ "block": u.block, "box_11a": u.position })).collect::<Vec<_>>(),
        }),
        Err(e) => json!({ "fits": false, "detail": e.to_string() }),
    });
    let listing: Vec<_> = provisional
        .blocks
        .iter()
        .map(|b| json!({ "block": b.id, "listing": s.species.check(b) }))
        .collect();
    json!({
        "application": app,
        "quota": quota,
        "listing": listing,
        "problems": problems_of(&provisional),
        "needs_scientific_advice": app.request.needs_scientific_advice(),
        "documents": crate::documents::list(s.anchor.store(), &app.id).unwrap_or_default(),
        "waiting_for": app.stage.waiting_for(),
        "paid": app.is_paid(),
    })
}

#[derive(Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct SpeciesQuery {
    /// The start of a scientific, former or common name.
    name: String,
}

/// `GET /species?name=`: listed taxa whose names start with `name` (at most 20), for the
/// species lookup of an application form. The checklist is public.
#[utoipa::path(get, path = "/species", tag = "workflow", params(SpeciesQuery), responses((status = 200, description = "matching taxa, with their Appendices")))]
pub async fn species(State(s): State<Arc<AppState>>, Query(q): Query<SpeciesQuery>) -> Response {
    let found = s.species.search(&q.name, 20);
    Json(json!({ "source": s.species.source(), "taxa": found })).into_response()
}

/// Who may read `app`: its applicant, and the officers and auditors of the MA.
pub(crate) fn may_read(caller: &Caller, app: &Application) -> bool {
    match caller.role {
        Role::Applicant => app.applicant == caller.user,
        Role::MaOfficer | Role::SaOfficer | Role::Auditor => true,
        Role::CustomsOfficer | Role::Admin => false,
    }
}

fn not_found(id: &str) -> Response {
    problem(
        StatusCode::NOT_FOUND,
        "no such application",
        format!("there is no application {id:?}"),
    )
}

fn refused(e: &WorkflowError) -> Response {
    let status = match e {
        WorkflowError::WrongActor { .. } => StatusCode::FORBIDDEN,
        WorkflowError::NotInStage { .. } | WorkflowError::AlreadyPaid(_) => StatusCode::CONFLICT,
        _ => StatusCode::UNPROCESSABLE_ENTITY,
    };
    problem(status, "not possible", e.to_string())
}

fn holder_ok(holder: &str) -> bool {
    holder
        .strip_prefix("did:key:")
        .is_some_and(|k| credentials::keys::PublicKey::from_multikey(k).is_ok())
}

/// The body of `POST /applications`.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewApplication {
    /// The applicant's wallet did:key, the permit's holder.
    pub(crate) holder: String,
    /// The boxes the applicant fills (the permit's canonical JSON without number, box 6 and
    /// box 13).
    #[schema(value_type = Object)]
    pub(crate) request: Request,
}

/// `POST /applications` (applicant): a new draft, answered with the problems its permit would
/// have so the applicant can fix them before submitting.
#[utoipa::path(post, path = "/applications", tag = "workflow", request_body = NewApplication, responses((status = 400, description = "invalid request", body = crate::http::Problem), (status = 401, description = "not logged in", body = crate::http::Problem), (status = 403, description = "role not allowed", body = crate::http::Problem), (status = 201, description = "the draft and the problems its permit would have")))]
pub async fn create(
    State(s): State<Arc<AppState>>,
    caller: Caller,
    info: RequestInfo,
    JsonBody(req): JsonBody<NewApplication>,
) -> Response {
    if let Err(r) = caller.require(&[Role::Applicant]) {
        return r;
    }
    if !holder_ok(&req.holder) {
        return problem(
            StatusCode::BAD_REQUEST,
            "invalid request",
            format!(
                "holder: {:?} is not an Ed25519 did:key (make one with `cites-wallet init`)",
                req.holder
            ),
        );
    }
    let _one = s.workflow_lock.lock().await;
    let result = (|| {
        let n = counter(s.anchor.store(), NEXT_ID)? + 1;
        let id = format!("{}-A{n:06}", s.config.party);
        let app = Application::new(
            id.clone(),
            caller.user.clone(),
            req.holder,
            req.request,
            Utc::now(),
        );
        let bytes = serde_json::to_vec(&app)?;
        let writes = vec![
            put(NEXT_ID.to_vec(), n.to_be_bytes().to_vec()),
            put(app_key(&id), bytes.clone()),
        ];
        s.journal.commit(
            s.anchor.store(),
            writes,
            Change {
                after: Some(&bytes),
                ..Change::new(&caller.who(), &info, "application.create", &id)
            },
        )?;
        Ok::<_, anyhow::Error>(app)
    })();
    match result {
        Ok(app) => (StatusCode::CREATED, Json(view(&s, &app))).into_response(),
        Err(e) => internal(e),
    }
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct ListQuery {
    stage: Option<String>,
}

/// `GET /applications?stage=`: the applicant's own, or every one for MA and SA officers and
/// auditors.
#[utoipa::path(get, path = "/applications", tag = "workflow", params(("stage" = Option<String>, Query)), responses((status = 400, description = "invalid request", body = crate::http::Problem), (status = 401, description = "not logged in", body = crate::http::Problem), (status = 403, description = "role not allowed", body = crate::http::Problem), (status = 200, description = "applications the caller may read")))]
pub async fn list(
    State(s): State<Arc<AppState>>,
    caller: Caller,
    Query(q): Query<ListQuery>,
) -> Response {
    if let Err(r) = caller.require(&[
        Role::Applicant,
        Role::MaOfficer,
        Role::SaOfficer,
        Role::Auditor,
    ]) {
        return r;
    }
    let stage = match q.stage.as_deref().map(str::parse::<Stage>) {
        None => None,
        Some(Ok(st)) => Some(st),
        Some(Err(e)) => return problem(StatusCode::BAD_REQUEST, "invalid request", e),
    };
    match all(s.anchor.store()) {
        Ok(apps) => {
            let apps: Vec<_> = apps
                .into_iter()
                .filter(|a| may_read(&caller, a) && stage.is_none_or(|st| a.stage == st))
                .collect();
            Json(json!({ "applications": apps })).into_response()
        }
        Err(e) => internal(e),
    }
}

/// `GET /queue`: what waits for the caller (drafts for an applicant, decisions for the MA,
/// findings for the SA).
#[utoipa::path(get, path = "/queue", tag = "workflow", responses((status = 200, description = "what waits for the caller"), (status = 401, description = "not logged in", body = crate::http::Problem)))]
pub async fn queue(State(s): State<Arc<AppState>>, caller: Caller) -> Response {
    let Some(actor) = caller.role.actor() else {
        return Json(json!({ "applications": [] })).into_response();
    };
    match all(s.anchor.store()) {
        Ok(apps) => {
            let apps: Vec<_> = apps
                .into_iter()
                .filter(|a| a.stage.waiting_for() == Some(actor) && may_read(&caller, a))
                .map(|a| view(&s, &a))
                .collect();
            Json(json!({ "applications": apps })).into_response()
        }
        Err(e) => internal(e),
    }
}

/// `GET /applications/{id}`.
#[utoipa::path(get, path = "/applications/{id}", tag = "workflow", params(("id" = String, Path)), responses((status = 400, description = "invalid request", body = crate::http::Problem), (status = 401, description = "not logged in", body = crate::http::Problem), (status = 403, description = "role not allowed", body = crate::http::Problem), (status = 200, description = "the application, its problems, whose turn it is"), (status = 404, description = "no such application", body = crate::http::Problem)))]
pub async fn get(
    State(s): State<Arc<AppState>>,
    caller: Caller,
    Path(id): Path<String>,
) -> Response {
    match load(s.anchor.store(), &id) {
        Ok(Some(app)) if may_read(&caller, &app) => Json(view(&s, &app)).into_response(),
        Ok(_) => not_found(&id),
        Err(e) => internal(e),
    }
}

/// The body of `PUT /applications/{id}`.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Amend {
    /// The new request.
    #[schema(value_type = Object)]
    pub(crate) request: Request,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Advise {
    favourable: bool,
    finding: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Refuse {
    reason: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Pay {
    reference: String,
    amount: Money,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct IssueOptions {
    #[serde(default)]
    securing: Option<Mechanism>,
}

/// The feed event an action raises: kind, summary, roles, and whether the applicant is told.
fn event_for(app: &Application, action: &str) -> (String, String, Vec<Role>, Option<String>) {
    let id = &app.id;
    let applicant = Some(app.applicant.clone());
    let (kind, summary, roles, user) = match action {
        "submit" => (
            "submitted",
            format!("{id} waits for a decision"),
            vec![Role::MaOfficer],
            None,
        ),
        "request_advice" => (
            "advice_requested",
            format!("{id} went to the Scientific Authority for a non-detriment finding"),
            vec![Role::SaOfficer],
            applicant,
        ),
        "advise" => (
            "advised",
            format!("the SA advised on {id}"),
            vec![Role::MaOfficer],
            None,
        ),
        "approve" => (
            "approved",
            match &app.invoice {
                Some(m) if !app.is_paid() => format!("{id} approved; the fee of {m} is due"),
                _ => format!("{id} approved"),
            },
            vec![Role::MaOfficer],
            applicant,
        ),
        "refuse" => ("refused", format!("{id} was refused"), vec![], applicant),
        "record_payment" => (
            "paid",
            format!("the fee for {id} was paid"),
            vec![Role::MaOfficer],
            applicant,
        ),
        "issue" => (
            "issued",
            format!("{id}: the permit was issued"),
            vec![],
            applicant,
        ),
        "withdraw" => (
            "withdrawn",
            format!("{id} was withdrawn"),
            vec![Role::MaOfficer],
            None,
        ),
        _ => ("amended", format!("{id} was amended"), vec![], None),
    };
    (format!("application.{kind}"), summary, roles, user)
}

/// `PUT /applications/{id}`: the applicant replaces the request of a draft.
#[utoipa::path(put, path = "/applications/{id}", tag = "workflow", params(("id" = String, Path)), request_body = Amend, responses((status = 400, description = "invalid request", body = crate::http::Problem), (status = 401, description = "not logged in", body = crate::http::Problem), (status = 403, description = "role not allowed", body = crate::http::Problem), (status = 200, description = "amended"), (status = 409, description = "not a draft", body = crate::http::Problem)))]
pub async fn amend(
    State(s): State<Arc<AppState>>,
    caller: Caller,
    info: RequestInfo,
    Path(id): Path<String>,
    JsonBody(req): JsonBody<Amend>,
) -> Response {
    step(
        &s,
        &caller,
        &info,
        &id,
        Action::Amend {
            request: Box::new(req.request),
        },
    )
    .await
}

/// `POST /applications/{id}/{verb}`: `submit`, `request-advice`, `advice`, `approve`,
/// `refuse`, `payment`, `issue`, `withdraw`.
#[utoipa::path(post, path = "/applications/{id}/{verb}", tag = "workflow", params(("id" = String, Path), ("verb" = String, Path, description = "submit, request-advice, advice, approve, refuse, payment, issue, withdraw")), request_body(content = serde_json::Value, description = "advice: {favourable, finding}; refuse: {reason}; payment: {reference, amount}; issue: {securing}; the others: nothing"), responses((status = 400, description = "invalid request", body = crate::http::Problem), (status = 401, description = "not logged in", body = crate::http::Problem), (status = 403, description = "role not allowed", body = crate::http::Problem), (status = 200, description = "the application after the step"), (status = 201, description = "issue: the credential and its evidence bundle"), (status = 404, description = "no such application or action", body = crate::http::Problem), (status = 409, description = "not possible in this stage", body = crate::http::Problem), (status = 422, description = "refused by the workflow rules (SA finding, payment, invalid permit)", body = crate::http::Problem)))]
pub async fn act(
    State(s): State<Arc<AppState>>,
    caller: Caller,
    info: RequestInfo,
    Path((id, verb)): Path<(String, String)>,
    body: Bytes,
) -> Response {
    let action = match verb.as_str() {
        "submit" => no_fields(&body).map(|()| Action::Submit { invoice: None }),
        "request-advice" => no_fields(&body).map(|()| Action::RequestAdvice),
        "advice" => parse_json::<Advise>(&body).map(|a| Action::Advise {
            favourable: a.favourable,
            finding: a.finding,
        }),
        "approve" => no_fields(&body).map(|()| Action::Approve),
        "refuse" => parse_json::<Refuse>(&body).map(|r| Action::Refuse { reason: r.reason }),
        "payment" => parse_json::<Pay>(&body).map(|p| Action::RecordPayment {
            reference: p.reference,
            amount: p.amount,
        }),
        "withdraw" => no_fields(&body).map(|()| Action::Withdraw),
        "issue" => {
            let options: IssueOptions = match crate::http::parse_json_or_default(&body) {
                Ok(o) => o,
                Err(r) => return r,
            };
            return issue(&s, &caller, &info, &id, options.securing).await;
        }
        _ => Err(problem(
            StatusCode::NOT_FOUND,
            "no such action",
            format!(
                "{verb:?} is not an action; use submit, request-advice, advice, approve, refuse, payment, issue or withdraw"
            ),
        )),
    };
    match action {
        Ok(action) => step(&s, &caller, &info, &id, action).await,
        Err(r) => r,
    }
}

/// The caller's part in the workflow, and the application as the caller may see it; or the
/// response that says why not.
fn load_for(
    s: &AppState,
    caller: &Caller,
    id: &str,
) -> Result<(contracts::Actor, Application), Response> {
    let Some(actor) = caller.role.actor() else {
        return Err(problem(
            StatusCode::FORBIDDEN,
            "forbidden",
            format!("{} has no part in the application workflow", caller.role),
        ));
    };
    match load(s.anchor.store(), id) {
        Ok(Some(app)) if may_read(caller, &app) => Ok((actor, app)),
        Ok(_) => Err(not_found(id)),
        Err(e) => Err(internal(e)),
    }
}

async fn step(
    s: &AppState,
    caller: &Caller,
    info: &RequestInfo,
    id: &str,
    action: Action,
) -> Response {
    let _one = s.workflow_lock.lock().await;
    let (actor, mut app) = match load_for(s, caller, id) {
        Ok(a) => a,
        Err(r) => return r,
    };
    let action = match action {
        Action::Submit { .. } if actor == contracts::Actor::Applicant => {
            // Only a request whose permit would pass every rule of the form goes to the MA.
            let problems = problems_of(&provisional(s, &app.request));
            if !problems.is_empty() {
                return crate::vcapi::invalid_permit(problems);
            }
            Action::Submit {
                invoice: s.config.fee(app.request.document_type),
            }
        }
        other => other,
    };
    let name = action.name();
    let before = serde_json::to_vec(&app).unwrap_or_default();
    if let Err(e) = app.apply(actor, &caller.user, Utc::now(), action) {
        return refused(&e);
    }
    let result = (|| {
        let after = serde_json::to_vec(&app)?;
        let writes = vec![put(app_key(id), after.clone())];
        s.journal.commit(
            s.anchor.store(),
            writes,
            Change {
                before: Some(&before),
                after: Some(&after),
                event: (name != "amend").then(|| event_for(&app, name)),
                ..Change::new(&caller.who(), info, &format!("application.{name}"), id)
            },
        )
    })();
    if let Err(e) = result {
        return internal(e);
    }
    s.journal.published();
    tracing::info!(application = %id, action = name, by = %caller.user, stage = %app.stage, "application");
    Json(view(s, &app)).into_response()
}

/// The next permit number of this node: Party, year, six digits (`GH2026000001`).
pub(crate) fn next_number(s: &AppState) -> anyhow::Result<(String, ledger::SideWrite)> {
    let year = Utc::now().year();
    let key = format!("#permit/{year}").into_bytes();
    let mut n = counter(s.anchor.store(), &key)?;
    // `/credentials/issue` takes numbers from the national system, which may use this series.
    let number = loop {
        n += 1;
        let number = format!("{}{year}{n:06}", s.config.party);
        let taken = PermitKey {
            party: s.config.party,
            number: number.clone(),
        };
        if crate::store::permit(s.anchor.store(), &taken)?.is_none() {
            break number;
        }
    };
    Ok((number, put(key, n.to_be_bytes().to_vec())))
}

async fn issue(
    s: &AppState,
    caller: &Caller,
    info: &RequestInfo,
    id: &str,
    securing: Option<Mechanism>,
) -> Response {
    let one = s.workflow_lock.lock().await;
    let (actor, mut app) = match load_for(s, caller, id) {
        Ok(a) => a,
        Err(r) => return r,
    };
    let before = serde_json::to_vec(&app).unwrap_or_default();
    let (number, counter_write) = match next_number(s) {
        Ok(n) => n,
        Err(e) => return internal(e),
    };
    let permit = as_permit(s, &app.request, number, &caller.official_id);
    let key: PermitKey = permit.key();
    if let Err(e) = app.apply(
        actor,
        &caller.user,
        Utc::now(),
        Action::Issue {
            permit: key.clone(),
        },
    ) {
        return refused(&e);
    }
    let (valid_until, after) = match serde_json::to_vec(&app) {
        Ok(after) => (permit.valid_until, after),
        Err(e) => return internal(e.into()),
    };
    let (who, event, permit_text) = (caller.who(), event_for(&app, "issue"), key.to_string());
    let holder = app.holder.clone();
    let mut order = issuance::Order::new(permit, &holder, securing);
    order.application = Some(id.to_owned());
    order.extra = Some(Box::new(move || {
        let mut writes = vec![counter_write, put(app_key(id), after.clone())];
        writes.extend(s.journal.writes(Change {
            permit: Some((permit_text, valid_until)),
            before: Some(&before),
            after: Some(&after),
            event: Some(event),
            ..Change::new(&who, info, "application.issue", id)
        })?);
        Ok(writes)
    }));
    let issued = issuance::issue(s, order).await;
    // Durable now (or refused): the wait for the checkpoint need not hold up other changes.
    drop(one);
    match issued {
        Ok(issued) => {
            s.journal.published();
            tracing::info!(application = %id, permit = %key, by = %caller.user, "application issued");
            // The exporter's wallet fetches it over OpenID4VCI; an offer can be made again.
            let offer = crate::oid4vci::create_offer(
                s,
                &key.to_string(),
                &app.holder,
                securing.unwrap_or(s.issuer.mechanism),
            )
            .map_err(|e| tracing::warn!(error = %format!("{e:#}"), "no credential offer"))
            .ok();
            (
                StatusCode::CREATED,
                Json(json!({
                    "application": app,
                    "permit": key.to_string(),
                    "verifiableCredential": issued.credential,
                    "evidence": issued.evidence(s).await,
                    "offer": offer,
                })),
            )
                .into_response()
        }
        Err(e) => crate::vcapi::issue_error(e),
    }
}
