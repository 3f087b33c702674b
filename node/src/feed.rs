//! Reading the journal over HTTP: the event feed (`GET /events`, what waits for the caller)
//! and the audit export (`GET /audit`, auditors only).

use std::sync::Arc;
use std::time::Duration;

use axum::Json;
use axum::extract::{Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use chrono::NaiveDate;
use serde::Deserialize;
use serde_json::json;

use crate::audit::{self, AuditRecord};
use crate::auth::Caller;
use crate::http::{AppState, internal, problem};
use crate::users::Role;

/// Longest a feed request waits for a new event.
const MAX_WAIT: u64 = 30;
/// Most events or records in one answer.
const PAGE: usize = 500;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FeedQuery {
    /// Only events after this sequence number.
    after: Option<u64>,
    /// Wait up to this many seconds for one (long polling; at most 30).
    wait: Option<u64>,
}

/// `GET /events?after=N&wait=S`: events for the caller's role (or for the caller, an
/// applicant), oldest first; `next` is the `after` of the following request.
#[utoipa::path(get, path = "/events", tag = "workflow", params(("after" = Option<u64>, Query, description = "only events after this sequence number"), ("wait" = Option<u64>, Query, description = "long-poll up to this many seconds (30 at most)")), responses((status = 200, description = "events for the caller, and `next`"), (status = 401, description = "not logged in", body = crate::http::Problem)))]
pub async fn events(
    State(s): State<Arc<AppState>>,
    caller: Caller,
    Query(q): Query<FeedQuery>,
) -> Response {
    let wait = Duration::from_secs(q.wait.unwrap_or(0).min(MAX_WAIT));
    let deadline = tokio::time::Instant::now() + wait;
    let mut published = s.journal.events.subscribe();
    loop {
        let found = match audit::events_after(s.anchor.store(), q.after, PAGE) {
            Ok(e) => e,
            Err(e) => return internal(e),
        };
        let last = found.last().map(|e| e.seq);
        let visible: Vec<_> = found
            .into_iter()
            .filter(|e| e.visible_to(&caller.user, caller.role))
            .collect();
        let next = last.or(q.after);
        if !visible.is_empty() || last.is_some() || tokio::time::Instant::now() >= deadline {
            return Json(json!({ "events": visible, "next": next })).into_response();
        }
        if tokio::time::timeout_at(deadline, published.changed())
            .await
            .is_err()
        {
            return Json(json!({ "events": [], "next": q.after })).into_response();
        }
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AuditQuery {
    /// Records about this permit only (`GH/GH2026000001`).
    permit: Option<String>,
    /// From this day (inclusive).
    from: Option<NaiveDate>,
    /// To this day (inclusive).
    to: Option<NaiveDate>,
    /// `json` (default) or `csv`.
    format: Option<String>,
    /// Start at this sequence number (paging).
    start: Option<u64>,
}

fn to_csv(records: &[AuditRecord]) -> anyhow::Result<String> {
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record([
        "seq",
        "at",
        "user",
        "role",
        "action",
        "target",
        "permit",
        "before",
        "after",
        "request_id",
        "remote",
        "method",
        "path",
        "user_agent",
    ])?;
    for r in records {
        let digest = |d: &Option<contracts::Digest>| d.map(|d| d.to_string()).unwrap_or_default();
        w.write_record([
            r.seq.to_string(),
            r.at.to_rfc3339(),
            r.who.user.clone(),
            r.who.role.to_string(),
            r.action.clone(),
            r.target.clone(),
            r.permit.clone().unwrap_or_default(),
            digest(&r.before),
            digest(&r.after),
            r.request.request_id.clone(),
            r.request.remote.clone().unwrap_or_default(),
            r.request.method.clone(),
            r.request.path.clone(),
            r.request
                .headers
                .get("user-agent")
                .cloned()
                .unwrap_or_default(),
        ])?;
    }
    Ok(String::from_utf8(w.into_inner()?)?)
}

/// Up to [`PAGE`] records matching `q`, and where the next page starts.
fn matching(s: &AppState, q: &AuditQuery) -> anyhow::Result<(Vec<AuditRecord>, Option<u64>)> {
    // A permit's trail includes the application it answers (submitted, advised, approved, paid).
    let application = match q.permit.as_deref().and_then(|p| p.split_once('/')) {
        Some((party, number)) => match party.parse() {
            Ok(party) => crate::store::permit(
                s.anchor.store(),
                &contracts::PermitKey {
                    party,
                    number: number.to_owned(),
                },
            )?
            .and_then(|r| r.application),
            Err(_) => None,
        },
        None => None,
    };
    let mut from = q.start.unwrap_or(0);
    let mut out = Vec::new();
    loop {
        let page = audit::records(s.anchor.store(), from, PAGE)?;
        let Some(last) = page.last().map(|r| r.seq) else {
            return Ok((out, None));
        };
        for r in page {
            let day = r.at.date_naive();
            let about_permit = q.permit.as_ref().is_none_or(|p| {
                r.permit.as_ref() == Some(p) || application.as_deref() == Some(r.target.as_str())
            });
            let matches =
                about_permit && q.from.is_none_or(|f| day >= f) && q.to.is_none_or(|t| day <= t);
            let seq = r.seq;
            if matches {
                out.push(r);
                if out.len() == PAGE {
                    return Ok((out, Some(seq + 1)));
                }
            }
        }
        from = last + 1;
    }
}

/// `GET /audit?permit=&from=&to=&format=json|csv&start=`: the audit trail for a permit or a
/// period (auditors). `next` (JSON) or `x-next-start` (CSV) pages on.
#[utoipa::path(get, path = "/audit", tag = "audit", params(("permit" = Option<String>, Query, description = "PARTY/NUMBER"), ("from" = Option<String>, Query, description = "YYYY-MM-DD"), ("to" = Option<String>, Query, description = "YYYY-MM-DD"), ("format" = Option<String>, Query, description = "json or csv"), ("start" = Option<u64>, Query, description = "page from this record")), responses((status = 400, description = "invalid request", body = crate::http::Problem), (status = 401, description = "not logged in", body = crate::http::Problem), (status = 403, description = "role not allowed", body = crate::http::Problem), (status = 200, description = "audit records (JSON with `next`, or CSV)")))]
pub async fn export(
    State(s): State<Arc<AppState>>,
    caller: Caller,
    Query(q): Query<AuditQuery>,
) -> Response {
    if let Err(r) = caller.require(&[Role::Auditor]) {
        return r;
    }
    let csv = match q.format.as_deref() {
        None | Some("json") => false,
        Some("csv") => true,
        Some(other) => {
            return problem(
                StatusCode::BAD_REQUEST,
                "invalid request",
                format!("format {other:?}: use json or csv"),
            );
        }
    };
    let state = s.clone();
    let found = tokio::task::spawn_blocking(move || matching(&state, &q)).await;
    let (out, next) = match found {
        Ok(Ok(found)) => found,
        Ok(Err(e)) => return internal(e),
        Err(e) => return internal(e.into()),
    };
    if csv {
        match to_csv(&out) {
            Ok(text) => {
                let mut r =
                    ([(header::CONTENT_TYPE, "text/csv; charset=utf-8")], text).into_response();
                if let Some(Ok(v)) = next.map(|n| n.to_string().parse()) {
                    r.headers_mut().insert("x-next-start", v);
                }
                r
            }
            Err(e) => internal(e),
        }
    } else {
        Json(json!({ "records": out, "next": next })).into_response()
    }
}
