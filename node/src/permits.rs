//! What happens to a permit after issuance, over HTTP: the MA cancels, suspends, reinstates or
//! replaces it; export customs endorse it (box 14). Each event is checked by the permit's
//! [`contracts::Lifecycle`] (with quantities: this is the issuing node), anchored as a log
//! entry, and written in one synced batch with the permit record, the status list bit and the
//! audit record. The status list credentials are re-signed once the batch is durable.

// The helpers return a ready HTTP response as their error, the axum way.
#![allow(clippy::result_large_err)]

use std::collections::BTreeMap;
use std::sync::Arc;

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use chrono::{NaiveDate, Utc};
use contracts::entry::CancelReason;
use contracts::permit::{ExportEndorsement, SpecialCondition};
use contracts::{Digest, EntryKind, Event, LogEntry, Permit, PermitKey, Quantity};
use credentials::Mechanism;
use credentials::credential::StatusPurpose;
use serde::Deserialize;
use serde_json::{Value, json};

use crate::audit::{Change, RequestInfo};
use crate::auth::Caller;
use crate::http::{AppState, internal, problem};
use crate::http::{no_fields, parse_json};
use crate::issuance;
use crate::store::{self, CF_STATUS, PermitRecord};
use crate::users::Role;

fn key_of(party: &str, number: &str) -> Result<PermitKey, Response> {
    let party = party.parse().map_err(|e| {
        problem(
            StatusCode::BAD_REQUEST,
            "invalid permit key",
            format!("{party:?}: {e}"),
        )
    })?;
    Ok(PermitKey {
        party,
        number: number.to_owned(),
    })
}

/// 404 for a permit the node did not issue, or that the caller may not know about.
fn no_such(key: &PermitKey) -> Response {
    problem(
        StatusCode::NOT_FOUND,
        "no such permit",
        format!("this node issued no permit {key}"),
    )
}

fn load(s: &AppState, key: &PermitKey) -> Result<PermitRecord, Response> {
    match store::permit(s.anchor.store(), key) {
        Ok(Some(r)) => Ok(r),
        Ok(None) => Err(no_such(key)),
        Err(e) => Err(internal(e)),
    }
}

/// The record as its readers see it.
pub(crate) fn view(record: &PermitRecord) -> Value {
    let today = Utc::now().date_naive();
    let lifecycle = record.lifecycle();
    json!({
        "permit": record.permit,
        "holder": record.holder,
        "status": lifecycle.status_on(today),
        "lifecycle": lifecycle,
        "application": record.application,
        "verifiableCredential": record.credential,
    })
}

/// `GET /permits/{party}/{number}`: MA officers, customs and auditors; the applicant of the
/// application it answers.
#[utoipa::path(get, path = "/permits/{party}/{number}", tag = "permits", params(("party" = String, Path), ("number" = String, Path)), responses((status = 400, description = "invalid request", body = crate::http::Problem), (status = 401, description = "not logged in", body = crate::http::Problem), (status = 403, description = "role not allowed", body = crate::http::Problem), (status = 200, description = "the permit, its status and lifecycle"), (status = 404, description = "no such permit", body = crate::http::Problem)))]
pub async fn get(
    State(s): State<Arc<AppState>>,
    caller: Caller,
    Path((party, number)): Path<(String, String)>,
) -> Response {
    match readable(&s, &caller, &party, &number) {
        Ok(record) => Json(view(&record)).into_response(),
        Err(r) => r,
    }
}

/// `GET /permits/{party}/{number}/xml`: the permit as it stands (export endorsements
/// included) as a toolkit v2 `CITESEPermit` message, for national systems and EPIX clients.
#[utoipa::path(get, path = "/permits/{party}/{number}/xml", tag = "permits", params(("party" = String, Path), ("number" = String, Path)), responses((status = 200, description = "the CITESEPermit message", content_type = "application/xml"), (status = 401, description = "not logged in", body = crate::http::Problem), (status = 404, description = "no such permit", body = crate::http::Problem)))]
pub async fn xml(
    State(s): State<Arc<AppState>>,
    caller: Caller,
    Path((party, number)): Path<(String, String)>,
) -> Response {
    let record = match readable(&s, &caller, &party, &number) {
        Ok(r) => r,
        Err(r) => return r,
    };
    match toolkit::to_xml(&record.permit) {
        Ok(xml) => (
            [(header::CONTENT_TYPE, "application/xml; charset=utf-8")],
            xml,
        )
            .into_response(),
        Err(e) => internal(anyhow::anyhow!(e)),
    }
}

/// The permit's record, if the caller may read it (404 otherwise, as for no permit).
fn readable(
    s: &AppState,
    caller: &Caller,
    party: &str,
    number: &str,
) -> Result<PermitRecord, Response> {
    let key = key_of(party, number)?;
    let record = load(s, &key)?;
    let allowed = match caller.role {
        Role::MaOfficer | Role::CustomsOfficer | Role::Auditor => true,
        Role::Applicant => record
            .application
            .as_deref()
            .and_then(|id| crate::workflow::load(s.anchor.store(), id).ok().flatten())
            .is_some_and(|a| a.applicant == caller.user),
        Role::SaOfficer | Role::Admin => false,
    };
    if !allowed {
        // Not 403: whether a permit exists is not the caller's business.
        return Err(no_such(&key));
    }
    Ok(record)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Cancel {
    reason: CancelReason,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Replace {
    /// Why (printed in box 5 of the replacement).
    reason: String,
    #[serde(default)]
    securing: Option<Mechanism>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Endorse {
    quantities: BTreeMap<String, Quantity>,
    port: String,
    #[serde(default)]
    date: Option<NaiveDate>,
    #[serde(default)]
    transport_document: Option<String>,
}

/// `POST /permits/{party}/{number}/{verb}`: `cancel` `{reason}`, `suspend`, `reinstate`,
/// `replace` `{reason}` (MA officers), `endorsement` `{quantities, port, date,
/// transport_document}` (customs officers).
#[utoipa::path(post, path = "/permits/{party}/{number}/{verb}", tag = "permits", params(("party" = String, Path), ("number" = String, Path), ("verb" = String, Path, description = "cancel, suspend, reinstate, replace (MA officer), endorsement (customs officer) or offer (MA officer, the applicant: a new OpenID4VCI offer)")), request_body(content = serde_json::Value, description = "cancel: {reason}; replace: {reason, securing}; endorsement: {quantities, port, date, transport_document}; suspend, reinstate: nothing"), responses((status = 400, description = "invalid request", body = crate::http::Problem), (status = 401, description = "not logged in", body = crate::http::Problem), (status = 403, description = "role not allowed", body = crate::http::Problem), (status = 200, description = "the permit after the event"), (status = 201, description = "replace: the replacement credential and bundle"), (status = 404, description = "no such permit or action", body = crate::http::Problem), (status = 409, description = "the lifecycle refuses the event", body = crate::http::Problem)))]
pub async fn act(
    State(s): State<Arc<AppState>>,
    caller: Caller,
    info: RequestInfo,
    Path((party, number, verb)): Path<(String, String, String)>,
    body: Bytes,
) -> Response {
    let key = match key_of(&party, &number) {
        Ok(k) => k,
        Err(r) => return r,
    };
    if verb == "offer" {
        return offer(&s, &caller, &key, &body);
    }
    let roles: &[Role] = if verb == "endorsement" {
        &[Role::CustomsOfficer]
    } else {
        &[Role::MaOfficer]
    };
    if let Err(r) = caller.require(roles) {
        return r;
    }
    let today = Utc::now().date_naive();
    let parsed = match verb.as_str() {
        "cancel" => parse_json::<Cancel>(&body).map(|c| Some(Kind::Cancel(c.reason))),
        "suspend" => no_fields(&body).map(|()| Some(Kind::Suspend)),
        "reinstate" => no_fields(&body).map(|()| Some(Kind::Reinstate)),
        "endorsement" => parse_json::<Endorse>(&body).map(|e| Some(Kind::Endorse(e))),
        "replace" => match parse_json::<Replace>(&body) {
            Ok(r) => return replace(&s, &caller, &info, &key, r).await,
            Err(r) => Err(r),
        },
        _ => Ok(None),
    };
    let kind = match parsed {
        Ok(Some(k)) => k,
        Ok(None) => {
            return problem(
                StatusCode::NOT_FOUND,
                "no such action",
                format!(
                    "{verb:?}: use cancel, suspend, reinstate, replace (MA) or endorsement (customs)"
                ),
            );
        }
        Err(r) => return r,
    };
    let _one = s.workflow_lock.lock().await;
    match record_event(&s, &caller, &info, &key, kind, today).await {
        Ok(record) => Json(view(&record)).into_response(),
        Err(r) => r,
    }
}

enum Kind {
    ConfirmImport {
        by: contracts::Country,
        on: NaiveDate,
        quantities: BTreeMap<String, Quantity>,
    },
    Cancel(CancelReason),
    Suspend,
    Reinstate,
    Endorse(Endorse),
    Replaced(PermitKey),
}

/// A commitment on the log to what an event recorded: salted with the permit's own secret
/// salt, so the log reveals nothing a guesser could confirm, and numbered so two identical
/// crossings commit differently.
fn commitment(
    tag: &[u8],
    salt: &str,
    n: u64,
    what: &impl serde::Serialize,
) -> Result<Digest, Response> {
    let bytes = contracts::entry::canonical_json(what).map_err(|e| internal(anyhow::anyhow!(e)))?;
    let mut tagged = tag.to_vec();
    tagged.extend_from_slice(salt.as_bytes());
    tagged.extend_from_slice(&n.to_be_bytes());
    tagged.extend_from_slice(&bytes);
    Ok(Digest::of(&tagged))
}

/// Records the Party of import's confirmation of the quantities it inspected (EPIX
/// `ConfirmQuantities`, through [`crate::epix`]).
pub(crate) async fn confirm_import(
    s: &AppState,
    caller: &Caller,
    info: &RequestInfo,
    key: &PermitKey,
    by: contracts::Country,
    on: NaiveDate,
    quantities: BTreeMap<String, Quantity>,
) -> Result<PermitRecord, Response> {
    let _one = s.workflow_lock.lock().await;
    let today = Utc::now().date_naive();
    let kind = Kind::ConfirmImport { by, on, quantities };
    record_event(s, caller, info, key, kind, today).await
}

/// Applies one event to a permit this node issued: lifecycle, log entry, status bit, record
/// and audit, durable together. The caller holds the workflow lock.
async fn record_event(
    s: &AppState,
    caller: &Caller,
    info: &RequestInfo,
    key: &PermitKey,
    kind: Kind,
    today: NaiveDate,
) -> Result<PermitRecord, Response> {
    let mut record = load(s, key)?;
    let before = serde_json::to_vec(&record).unwrap_or_default();
    let mut lifecycle = record.lifecycle();
    let (event, entry, status, action) = match kind {
        Kind::Cancel(reason) => (
            Event::Cancel { on: today },
            EntryKind::Cancelled {
                permit: key.clone(),
                on: today,
                reason,
            },
            Some((StatusPurpose::Revocation, true)),
            "permit.cancel",
        ),
        Kind::Suspend => (
            Event::Suspend { on: today },
            EntryKind::Suspended {
                permit: key.clone(),
                on: today,
            },
            Some((StatusPurpose::Suspension, true)),
            "permit.suspend",
        ),
        Kind::Reinstate => (
            Event::Reinstate { on: today },
            EntryKind::Reinstated {
                permit: key.clone(),
                on: today,
            },
            Some((StatusPurpose::Suspension, false)),
            "permit.reinstate",
        ),
        Kind::Replaced(by) => (
            Event::Replace {
                on: today,
                by: by.clone(),
            },
            EntryKind::Replaced {
                permit: key.clone(),
                on: today,
                by,
            },
            Some((StatusPurpose::Revocation, true)),
            "permit.replaced",
        ),
        Kind::ConfirmImport { by, on, quantities } => {
            if on > today {
                return Err(problem(
                    StatusCode::BAD_REQUEST,
                    "invalid request",
                    format!("on: {on} is in the future"),
                ));
            }
            let commitment = commitment(
                b"cites-import-commitment/v1\n",
                &record.salt,
                0,
                &quantities,
            )?;
            (
                Event::ConfirmImport { on, by, quantities },
                EntryKind::ImportConfirmed {
                    permit: key.clone(),
                    on,
                    by,
                    commitment,
                },
                None,
                "permit.confirm_import",
            )
        }
        Kind::Endorse(e) => {
            if e.port.trim().is_empty() {
                return Err(problem(
                    StatusCode::BAD_REQUEST,
                    "invalid request",
                    "port: must not be empty",
                ));
            }
            let on = e.date.unwrap_or(today);
            if on > today {
                return Err(problem(
                    StatusCode::BAD_REQUEST,
                    "invalid request",
                    format!("date: {on} is in the future; endorse on the day of export"),
                ));
            }
            let endorsement = ExportEndorsement {
                quantities: e.quantities.clone(),
                port: e.port.trim().to_owned(),
                date: on,
                official: caller.official_id.clone(),
                transport_document: e.transport_document.filter(|t| !t.trim().is_empty()),
            };
            let commitment = commitment(
                b"cites-endorsement-commitment/v1\n",
                &record.salt,
                record.permit.export_endorsements.len() as u64,
                &endorsement,
            )?;
            record.permit.export_endorsements.push(endorsement);
            (
                Event::Endorse {
                    on,
                    quantities: e.quantities,
                },
                EntryKind::Endorsed {
                    permit: key.clone(),
                    on,
                    commitment,
                },
                None,
                "permit.endorse",
            )
        }
    };
    if let Err(e) = lifecycle.apply(&event) {
        return Err(problem(
            StatusCode::CONFLICT,
            "not possible",
            format!("{key}: {e}"),
        ));
    }
    record.lifecycle = Some(lifecycle);
    let leaf = LogEntry::new(Utc::now(), entry)
        .encode()
        .map_err(|e| internal(anyhow::anyhow!(e)))?;
    let writes = (|| {
        let after = serde_json::to_vec(&record)?;
        let mut writes = vec![store::put_permit(&record)?];
        if let Some((purpose, value)) = status {
            writes.push(ledger::SideWrite {
                cf: CF_STATUS.into(),
                key: purpose.as_str().as_bytes().to_vec(),
                value: s.issuance.with_bit(purpose, record.status_index, value)?,
            });
        }
        let kind = match action {
            "permit.cancel" => "permit.cancelled",
            "permit.suspend" => "permit.suspended",
            "permit.reinstate" => "permit.reinstated",
            "permit.endorse" => "permit.endorsed",
            "permit.confirm_import" => "permit.import_confirmed",
            _ => "permit.replaced",
        };
        let event = Some((
            kind.to_owned(),
            format!("{key}: {}", event.name()),
            vec![Role::MaOfficer],
            holder_applicant(s, &record),
        ));
        writes.extend(s.journal.writes(Change {
            permit: Some((key.to_string(), record.permit.valid_until)),
            before: Some(&before),
            after: Some(&after),
            event,
            ..Change::new(&caller.who(), info, action, &key.to_string())
        })?);
        Ok::<_, anyhow::Error>(writes)
    })()
    .map_err(internal)?;
    let index = s.anchor.append_with(leaf, writes).await.map_err(internal)?;
    if let Some((purpose, value)) = status {
        // The event is durable; a list not re-signed now is re-signed from the store at the
        // next start, so this is logged rather than refused.
        if let Err(e) = s
            .issuance
            .set_bit(purpose, record.status_index, value)
            .and_then(|()| s.resign_status())
        {
            tracing::error!(permit = %key, error = %format!("{e:#}"), "status list not re-signed");
        }
    }
    // (A replacement gave the original's quota back before it was issued.)
    if action == "permit.cancel"
        && let Ok(mut book) = s.quotas.lock()
    {
        // Never used: its quantities go back to the quota.
        book.release(&record.permit);
    }
    s.journal.published();
    tracing::info!(permit = %key, leaf = index, action, by = %caller.user, "permit event");
    Ok(record)
}

/// A fresh OpenID4VCI credential offer of a permit (MA officers, and its applicant): for a
/// wallet that lost the first, or an offer that expired.
fn offer(s: &AppState, caller: &Caller, key: &PermitKey, body: &Bytes) -> Response {
    if let Err(r) = no_fields(body) {
        return r;
    }
    let record = match load(s, key) {
        Ok(r) => r,
        Err(r) => return r,
    };
    let allowed = caller.role == Role::MaOfficer
        || (caller.role == Role::Applicant
            && holder_applicant(s, &record).as_deref() == Some(caller.user.as_str()));
    if !allowed {
        return no_such(key);
    }
    let mechanism = match record.credential.mechanism() {
        Ok(m) => m,
        Err(e) => return internal(anyhow::anyhow!("the stored credential of {key}: {e}")),
    };
    match crate::oid4vci::create_offer(s, &key.to_string(), &record.holder, mechanism) {
        Ok(offer) => (StatusCode::CREATED, Json(json!({ "offer": offer }))).into_response(),
        Err(e) => internal(e),
    }
}

/// The applicant behind a permit issued through the workflow.
fn holder_applicant(s: &AppState, record: &PermitRecord) -> Option<String> {
    let id = record.application.as_deref()?;
    crate::workflow::load(s.anchor.store(), id)
        .ok()
        .flatten()
        .map(|a| a.applicant)
}

/// Issues a replacement (same boxes, new number, box 5 naming the replaced document, the
/// original's last day of validity: validity cannot be extended) and marks the original
/// replaced. The replacement's issuance entry names the original, so a crash between the two
/// entries leaves a replacement that says what it replaces.
async fn replace(
    s: &AppState,
    caller: &Caller,
    info: &RequestInfo,
    key: &PermitKey,
    req: Replace,
) -> Response {
    if req.reason.trim().is_empty() {
        return problem(
            StatusCode::BAD_REQUEST,
            "invalid request",
            "reason: must not be empty",
        );
    }
    let one = s.workflow_lock.lock().await;
    let old = match load(s, key) {
        Ok(r) => r,
        Err(r) => return r,
    };
    let today = Utc::now().date_naive();
    let status = old.lifecycle().status_on(today);
    if status != contracts::Status::Issued {
        return problem(
            StatusCode::CONFLICT,
            "not possible",
            format!("{key} is {status}: only an unused permit can be replaced"),
        );
    }
    let mut permit: Permit = old.permit.clone();
    let number = match crate::workflow::next_number(s) {
        Ok(n) => n,
        Err(e) => return internal(e),
    };
    permit.number = number.0;
    permit.issued.date = today;
    permit.issued.official = caller.official_id.clone();
    permit.valid_from = None;
    permit
        .special_conditions
        .retain(|c| !matches!(c, SpecialCondition::Replaces { .. }));
    permit.special_conditions.push(SpecialCondition::Replaces {
        number: old.permit.number.clone(),
        date: old.permit.issued.date,
        reason: req.reason.trim().to_owned(),
    });
    let new_key = permit.key();
    let (valid_until, target, who) = (permit.valid_until, new_key.to_string(), caller.who());
    let mut order = issuance::Order::new(permit, &old.holder, req.securing);
    order.replaces = Some(key.clone());
    order.application = old.application.clone();
    order.extra = Some(Box::new(move || {
        let mut writes = s.journal.writes(Change {
            permit: Some((target.clone(), valid_until)),
            ..Change::new(&who, info, "permit.replace", &target)
        })?;
        writes.push(number.1);
        Ok(writes)
    }));
    // The replacement takes the original's place in the quota: given back first, counted
    // again if the replacement is not issued.
    if let Ok(mut book) = s.quotas.lock() {
        book.release(&old.permit);
    }
    let issued = match issuance::issue(s, order).await {
        Ok(i) => i,
        Err(e) => {
            if let Ok(mut book) = s.quotas.lock() {
                book.count_issued(&old.permit);
            }
            return crate::vcapi::issue_error(e);
        }
    };
    let replaced = record_event(s, caller, info, key, Kind::Replaced(new_key.clone()), today).await;
    drop(one);
    match replaced {
        Ok(record) => (
            StatusCode::CREATED,
            Json(json!({
                "replaced": view(&record),
                "permit": new_key.to_string(),
                "verifiableCredential": issued.credential,
                "evidence": issued.evidence(s).await,
            })),
        )
            .into_response(),
        Err(r) => r,
    }
}
