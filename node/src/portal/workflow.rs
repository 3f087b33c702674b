//! Applications and permits as officers and applicants follow them: lists, the queue, one
//! application with every problem by box, the decisions, and the permit with its life.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use maud::{Markup, PreEscaped, html};
use serde_json::{Value, json};

use super::{Answer, Done, Form, Msg, Visitor, see_other};
use crate::http::AppState;
use crate::users::Role;

/// Who may read applications (the API decides which ones).
pub const READERS: [Role; 4] = [
    Role::Applicant,
    Role::MaOfficer,
    Role::SaOfficer,
    Role::Auditor,
];

/// The portal's path of a permit, each part percent-encoded (numbers from national systems may
/// hold `/` or `.`).
pub fn permit_href(party: &str, number: &str) -> String {
    let enc = |part: &str| {
        percent_encoding::utf8_percent_encode(part, percent_encoding::NON_ALPHANUMERIC).to_string()
    };
    format!("/portal/permits/{}/{}", enc(party), enc(number))
}

/// [`permit_href`] of a permit key as the API writes it (`GH/GH2026000001`).
pub fn permit_href_of(key: &str) -> String {
    let (party, number) = key.split_once('/').unwrap_or(("", key));
    permit_href(party, number)
}

/// A stage's name in the visitor's language.
pub fn stage_name(v: &Visitor, stage: &str) -> &'static str {
    v.t(match stage {
        "draft" => Msg::StageDraft,
        "submitted" => Msg::StageSubmitted,
        "awaiting_advice" => Msg::StageAwaitingAdvice,
        "advised" => Msg::StageAdvised,
        "approved" => Msg::StageApproved,
        "issued" => Msg::StageIssued,
        "refused" => Msg::StageRefused,
        _ => Msg::StageWithdrawn,
    })
}

/// A permit status in the visitor's language.
pub fn status_name(v: &Visitor, status: &str) -> &'static str {
    v.t(match status {
        "issued" => Msg::StatusIssued,
        "endorsed" => Msg::StatusEndorsed,
        "import_confirmed" => Msg::StatusImportConfirmed,
        "cancelled" => Msg::StatusCancelled,
        "replaced" => Msg::StatusReplaced,
        "suspended" => Msg::StatusSuspended,
        _ => Msg::StatusExpired,
    })
}

/// A document type in the visitor's language.
pub fn document_name(v: &Visitor, doc: &str) -> &'static str {
    v.t(match doc {
        "export_permit" => Msg::DocExportPermit,
        "import_permit" => Msg::DocImportPermit,
        "re_export_certificate" => Msg::DocReExport,
        "certificate_of_origin" => Msg::DocOrigin,
        "introduction_from_the_sea" => Msg::DocSea,
        "pre_convention_certificate" => Msg::DocPreConvention,
        "captive_breeding_certificate" => Msg::DocCaptiveBreeding,
        "travelling_exhibition_certificate" => Msg::DocExhibition,
        "musical_instrument_certificate" => Msg::DocInstrument,
        _ => Msg::DocOwnership,
    })
}

/// The purposes of box 5a, by code.
pub const PURPOSES: [(&str, Msg); 12] = [
    ("T", Msg::PurposeT),
    ("Z", Msg::PurposeZ),
    ("G", Msg::PurposeG),
    ("Q", Msg::PurposeQ),
    ("S", Msg::PurposeS),
    ("H", Msg::PurposeH),
    ("P", Msg::PurposeP),
    ("M", Msg::PurposeM),
    ("E", Msg::PurposeE),
    ("N", Msg::PurposeN),
    ("B", Msg::PurposeB),
    ("L", Msg::PurposeL),
];

/// A purpose code with its name in the visitor's language (`T — commercial`).
pub fn purpose_name(v: &Visitor, code: &str) -> String {
    match PURPOSES.iter().find(|(c, _)| *c == code) {
        Some((c, m)) => format!("{c} — {}", v.t(*m)),
        None => code.to_owned(),
    }
}

/// What a completed action is called in the confirmation line.
fn done_name(v: &Visitor, verb: &str) -> Option<&'static str> {
    Some(v.t(match verb {
        "save" => Msg::DoneSaved,
        "submit" => Msg::DoneSubmitted,
        "request-advice" => Msg::DoneAdviceRequested,
        "advice" => Msg::DoneAdvised,
        "approve" => Msg::DoneApproved,
        "refuse" => Msg::DoneRefused,
        "payment" => Msg::DonePaid,
        "issue" => Msg::DoneIssued,
        "withdraw" => Msg::DoneWithdrawn,
        "cancel" => Msg::DoneCancelled,
        "replace" => Msg::DoneReplaced,
        "suspend" => Msg::DoneSuspended,
        "reinstate" => Msg::DoneReinstated,
        "document" => Msg::DoneDocument,
        "endorsed" => Msg::DoneEndorsed,
        "confirmed" => Msg::DoneConfirmed,
        _ => return None,
    }))
}

pub fn done_line(v: &Visitor, done: Option<&str>) -> Markup {
    html! {
        @if done == Some("no-file") {
            p role="alert" class="bad" { (v.t(Msg::NoFileChosen)) }
        } @else if let Some(text) = done.and_then(|d| done_name(v, d)) {
            p role="status" class="ok" { (text) }
        }
    }
}

fn str_of(v: &Value) -> &str {
    v.as_str().unwrap_or("")
}

/// Rows per page of a list: a long list stays a small page on a slow link.
const PAGE_ROWS: usize = 50;

/// `?page=` of a list (from 1).
#[derive(serde::Deserialize, Default)]
pub struct Paging {
    page: Option<usize>,
}

/// Page `paging` of `apps`, with links to the pages around it (`base`: the list's path).
fn applications_table(v: &Visitor, apps: &[Value], paging: &Paging, base: &str) -> Markup {
    let pages = apps.len().div_ceil(PAGE_ROWS).max(1);
    let page = paging.page.unwrap_or(1).clamp(1, pages);
    let apps = &apps[(page - 1) * PAGE_ROWS..(page * PAGE_ROWS).min(apps.len())];
    html! {
        @if pages > 1 {
            nav aria-label=(v.t(Msg::Pages)) {
                @if page > 1 { a href={ (base) "?page=" (page - 1) } { "← " (v.t(Msg::PreviousPage)) } " " }
                (v.t(Msg::Page)) " " (page) " / " (pages)
                @if page < pages { " " a href={ (base) "?page=" (page + 1) } { (v.t(Msg::NextPage)) " →" } }
            }
        }
        @if apps.is_empty() {
            p { (v.t(Msg::NothingHere)) }
        } @else {
            table {
                thead { tr {
                    th scope="col" { (v.t(Msg::Application)) }
                    th scope="col" { (v.t(Msg::DocumentType)) }
                    th scope="col" { (v.t(Msg::Importer)) }
                    th scope="col" { (v.t(Msg::Species)) }
                    th scope="col" { (v.t(Msg::Stage)) }
                } }
                tbody {
                    @for a in apps {
                        @let id = str_of(&a["id"]);
                        tr {
                            td { a href={ "/portal/applications/" (id) } { (id) } }
                            td { (document_name(v, str_of(&a["request"]["document_type"]))) }
                            td { (str_of(&a["request"]["importer"]["name"])) " (" (str_of(&a["request"]["importer"]["country"])) ")" }
                            td {
                                @for (i, b) in a["request"]["blocks"].as_array().into_iter().flatten().enumerate() {
                                    @if i > 0 { ", " }
                                    i { (str_of(&b["scientific_name"])) }
                                }
                            }
                            td { (stage_name(v, str_of(&a["stage"]))) }
                        }
                    }
                }
            }
        }
    }
}

/// `GET /portal/applications`: the applicant's own; every one for officers and auditors.
pub async fn list(
    State(s): State<Arc<AppState>>,
    v: Visitor,
    Query(paging): Query<Paging>,
) -> Response {
    let caller = match v.require("/portal/applications", &READERS) {
        Ok(c) => c,
        Err(r) => return r,
    };
    let answer = Answer::of(
        crate::workflow::list(State(s), caller.clone(), Query(Default::default())).await,
    )
    .await;
    if !answer.ok() {
        return v.refusal(answer.status, &answer.detail());
    }
    let mut apps = answer.body["applications"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    apps.reverse();
    let title = if caller.role == Role::Applicant {
        v.t(Msg::MyApplications)
    } else {
        v.t(Msg::Applications)
    };
    let body = html! {
        h1 { (title) }
        @if caller.role == Role::Applicant {
            p { a class="button" href="/portal/applications/new" { (v.t(Msg::NewApplication)) } }
        }
        (applications_table(&v, &apps, &paging, "/portal/applications"))
    };
    v.page(title, body).into_response()
}

/// `GET /portal/queue`: what waits for the officer.
pub async fn queue(
    State(s): State<Arc<AppState>>,
    v: Visitor,
    Query(paging): Query<Paging>,
) -> Response {
    let caller = match v.require("/portal/queue", &[Role::MaOfficer, Role::SaOfficer]) {
        Ok(c) => c,
        Err(r) => return r,
    };
    let answer = Answer::of(crate::workflow::queue(State(s), caller.clone()).await).await;
    if !answer.ok() {
        return v.refusal(answer.status, &answer.detail());
    }
    let apps: Vec<Value> = answer.body["applications"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|view| view["application"].clone())
        .collect();
    let title = if caller.role == Role::SaOfficer {
        v.t(Msg::AdviceQueue)
    } else {
        v.t(Msg::Queue)
    };
    let body = html! {
        h1 { (title) }
        p { (v.t(Msg::QueueExplained)) }
        (applications_table(&v, &apps, &paging, "/portal/queue"))
    };
    v.page(title, body).into_response()
}

fn problems_table(v: &Visitor, problems: &[Value]) -> Markup {
    html! {
        table class="problems" {
            thead { tr {
                th scope="col" { (v.t(Msg::Box)) }
                th scope="col" { (v.t(Msg::Block)) }
                th scope="col" { (v.t(Msg::Problem)) }
            } }
            tbody {
                @for p in problems {
                    tr {
                        td { (str_of(&p["box"])) }
                        td { (str_of(&p["block"])) }
                        td { (str_of(&p["message"])) " " small { code { (str_of(&p["rule"])) } } }
                    }
                }
            }
        }
    }
}

/// The boxes of a request or permit, as a reader checks them.
pub fn boxes(v: &Visitor, doc: &Value) -> Markup {
    let party = |p: &Value| {
        format!(
            "{}, {} ({})",
            str_of(&p["name"]),
            str_of(&p["address"]),
            str_of(&p["country"])
        )
    };
    html! {
        table {
            tr { th scope="row" { "1 · " (v.t(Msg::DocumentType)) } td { (document_name(v, str_of(&doc["document_type"]))) } }
            @if let Some(until) = doc["valid_until"].as_str() {
                tr { th scope="row" { "2 · " (v.t(Msg::ValidUntil)) } td { (until) } }
            }
            tr { th scope="row" { "3 · " (v.t(Msg::Importer)) } td { (party(&doc["importer"])) } }
            @if doc["exporter"].is_object() {
                tr { th scope="row" { "4 · " (v.t(Msg::Exporter)) } td { (party(&doc["exporter"])) } }
            }
            tr { th scope="row" { "5a · " (v.t(Msg::Purpose)) } td { (purpose_name(v, str_of(&doc["purpose"]))) } }
        }
        table {
            thead { tr {
                th scope="col" { (v.t(Msg::Block)) }
                th scope="col" { "7/8 · " (v.t(Msg::Species)) }
                th scope="col" { "9 · " (v.t(Msg::Description)) }
                th scope="col" { "10 · " (v.t(Msg::AppendixSource)) }
                th scope="col" { "11 · " (v.t(Msg::Quantity)) }
            } }
            tbody {
                @for b in doc["blocks"].as_array().into_iter().flatten() {
                    tr {
                        td { (str_of(&b["id"])) }
                        td { i { (str_of(&b["scientific_name"])) } @if let Some(c) = b["common_name"].as_str() { br; (c) } }
                        td { (str_of(&b["description"])) " (" (str_of(&b["term"])) ")" }
                        td { (str_of(&b["appendix"])) " / " (str_of(&b["source"])) }
                        td { (str_of(&b["quantity"])) " " (str_of(&b["unit"])) }
                    }
                }
            }
        }
    }
}

/// What the officer or applicant may do next, as forms (`typed`: what they entered before a
/// refusal, kept).
fn actions(v: &Visitor, role: Role, app: &Value, view: &Value, typed: Option<&Form>) -> Markup {
    let id = str_of(&app["id"]);
    let stage = str_of(&app["stage"]);
    let typed = |name: &str| typed.map(|f| f.get(name).to_owned()).unwrap_or_default();
    let button = |verb: &str, label: Msg| {
        html! {
            form method="post" action={ "/portal/applications/" (id) "/" (verb) } class="inline" {
                (v.csrf_field())
                button type="submit" { (v.t(label)) }
            }
        }
    };
    let fee = app["invoice"]["amount"].as_u64();
    html! {
        @match (role, stage) {
            (Role::Applicant, "draft") => {
                p { a class="button" href={ "/portal/applications/" (id) "/edit" } { (v.t(Msg::Edit)) } }
                (button("submit", Msg::Submit))
                (button("withdraw", Msg::Withdraw))
            }
            (Role::MaOfficer, "submitted" | "advised") => {
                @if stage == "submitted" && view["needs_scientific_advice"] == true {
                    (button("request-advice", Msg::RequestAdvice))
                }
                (button("approve", Msg::Approve))
                form method="post" action={ "/portal/applications/" (id) "/refuse" } {
                    (v.csrf_field())
                    p {
                        label for="reason" { (v.t(Msg::RefusalReason)) }
                        br;
                        textarea id="reason" name="reason" rows="2" required { (typed("reason")) }
                    }
                    button type="submit" { (v.t(Msg::Refuse)) }
                }
            }
            (Role::MaOfficer, "approved") => {
                @if view["paid"] != true {
                    @if let Some(minor) = fee {
                        form method="post" action={ "/portal/applications/" (id) "/payment" } {
                            (v.csrf_field())
                            h3 { (v.t(Msg::RecordPayment)) }
                            p {
                                label for="reference" { (v.t(Msg::PaymentReference)) }
                                br;
                                input id="reference" name="reference" value=(typed("reference")) required;
                            }
                            p {
                                label for="amount" { (v.t(Msg::AmountPaid)) " (" (str_of(&app["invoice"]["currency"])) ")" }
                                br;
                                input id="amount" name="amount" inputmode="decimal" required
                                    value=({ let t = typed("amount"); if t.is_empty() { format!("{}.{:02}", minor / 100, minor % 100) } else { t } });
                            }
                            button type="submit" { (v.t(Msg::RecordPayment)) }
                        }
                    }
                }
                form method="post" action={ "/portal/applications/" (id) "/issue" } {
                    (v.csrf_field())
                    h3 { (v.t(Msg::Issue)) }
                    p {
                        label for="securing" { (v.t(Msg::Securing)) }
                        br;
                        select id="securing" name="securing" {
                            option value="" { (v.t(Msg::NodeDefault)) }
                            option value="jose" { "VC-JOSE (vc+jwt)" }
                            option value="eddsa-rdfc-2022" { "Data Integrity eddsa-rdfc-2022" }
                            option value="eddsa-jcs-2022" { "Data Integrity eddsa-jcs-2022" }
                        }
                    }
                    button type="submit" { (v.t(Msg::Issue)) }
                }
            }
            (Role::SaOfficer, "awaiting_advice") => {
                form method="post" action={ "/portal/applications/" (id) "/advice" } {
                    (v.csrf_field())
                    fieldset {
                        legend { (v.t(Msg::NonDetrimentFinding)) }
                        @let favourable = typed("favourable");
                        p {
                            input type="radio" id="fav-yes" name="favourable" value="yes" checked[favourable != "no"];
                            label for="fav-yes" { (v.t(Msg::Favourable)) }
                            " "
                            input type="radio" id="fav-no" name="favourable" value="no" checked[favourable == "no"];
                            label for="fav-no" { (v.t(Msg::Unfavourable)) }
                        }
                        p {
                            label for="finding" { (v.t(Msg::Finding)) }
                            br;
                            textarea id="finding" name="finding" rows="3" required { (typed("finding")) }
                        }
                    }
                    button type="submit" { (v.t(Msg::GiveAdvice)) }
                }
            }
            (Role::Applicant | Role::MaOfficer | Role::Auditor, "issued") => {
                @if let Some(permit) = app["permit"].as_object() {
                    p { a class="button" href=(permit_href(permit.get("party").map_or("", str_of), permit.get("number").map_or("", str_of))) { (v.t(Msg::OpenPermit)) } }
                }
            }
            _ => {}
        }
    }
}

fn application_page(
    v: &Visitor,
    role: Role,
    view: &Value,
    done: Option<&str>,
    error: Option<&str>,
    typed: Option<&Form>,
) -> Markup {
    let app = &view["application"];
    let problems = view["problems"].as_array().cloned().unwrap_or_default();
    html! {
        h1 { (v.t(Msg::Application)) " " (str_of(&app["id"])) }
        (done_line(v, done))
        @if let Some(e) = error {
            p role="alert" class="bad" { (e) }
        }
        p { (v.t(Msg::Stage)) ": " strong { (stage_name(v, str_of(&app["stage"]))) } }
        (boxes(v, &app["request"]))
        h2 { (v.t(Msg::ProblemsByBox)) }
        @if problems.is_empty() {
            p class="ok" { (v.t(Msg::NoProblems)) }
        } @else {
            (problems_table(v, &problems))
        }
        @if role != Role::Applicant {
            h2 { (v.t(Msg::ChecklistAndQuota)) }
            ul {
                @for l in view["listing"].as_array().into_iter().flatten() {
                    li {
                        (v.t(Msg::Block)) " " (str_of(&l["block"])) ": " (str_of(&l["listing"]["outcome"]))
                        @if let Some(listing) = l["listing"]["taxon"]["listing"].as_str() {
                            " · " (v.t(Msg::Appendix)) " " (listing)
                        }
                    }
                }
                li {
                    (v.t(Msg::Quota)) ": "
                    @if view["quota"]["fits"] == true {
                        span class="ok" { (v.t(Msg::QuotaFits)) }
                        @for p in view["quota"]["positions"].as_array().into_iter().flatten() {
                            " · " (str_of(&p["block"])) " " (str_of(&p["box_11a"]["exported_to_date"])) "/" (str_of(&p["box_11a"]["annual_quota"]))
                        }
                    } @else if let Some(d) = view["quota"]["detail"].as_str() {
                        span class="bad" { (d) }
                    }
                }
                @if view["needs_scientific_advice"] == true {
                    li { (v.t(Msg::NeedsAdvice)) }
                }
            }
        }
        @if let Some(advice) = app["advice"].as_object() {
            h2 { (v.t(Msg::NonDetrimentFinding)) }
            p {
                @if advice.get("favourable") == Some(&Value::Bool(true)) {
                    span class="ok" { (v.t(Msg::Favourable)) }
                } @else {
                    span class="bad" { (v.t(Msg::Unfavourable)) }
                }
                ": " (advice.get("finding").map(str_of).unwrap_or(""))
            }
        }
        @if let Ok(fee) = serde_json::from_value::<contracts::application::Money>(app["invoice"].clone()) {
            p {
                (v.t(Msg::Fee)) ": " (fee) " · "
                @if view["paid"] == true { span class="ok" { (v.t(Msg::Paid)) } } @else { (v.t(Msg::NotPaid)) }
            }
        }
        @if let Some(reason) = app["decision"]["reason"].as_str() {
            p { (v.t(Msg::RefusalReason)) ": " (reason) }
        }
        h2 { (v.t(Msg::Documents)) }
        @let documents = view["documents"].as_array().cloned().unwrap_or_default();
        @if documents.is_empty() {
            p { (v.t(Msg::NoDocuments)) }
        } @else {
            ul id="documents" {
                @for d in &documents {
                    li {
                        a href={ "/portal/applications/" (str_of(&app["id"])) "/documents/" (d["n"]) } download { (str_of(&d["name"])) }
                        " · " (d["size"].as_u64().unwrap_or(0).div_ceil(1024)) " KiB · " (str_of(&d["content_type"]))
                        " · " small { "SHA-256 " code { (str_of(&d["sha256"]).get(..16).unwrap_or("")) "…" } }
                    }
                }
            }
        }
        @if role == Role::Applicant && str_of(&app["stage"]).parse().is_ok_and(crate::documents::takes_documents) {
            form method="post" enctype="multipart/form-data" action={ "/portal/applications/" (str_of(&app["id"])) "/documents" } {
                (v.csrf_field())
                p {
                    label for="file" { (v.t(Msg::AttachDocument)) }
                    br;
                    input type="file" id="file" name="file" accept="application/pdf,image/png,image/jpeg";
                    " "
                    button type="submit" { (v.t(Msg::Attach)) }
                }
            }
        }
        h2 { (v.t(Msg::WhatYouCanDo)) }
        (actions(v, role, app, view, typed))
        h2 { (v.t(Msg::History)) }
        ol {
            @for step in app["history"].as_array().into_iter().flatten() {
                @let by = str_of(&step["by"]);
                // Officers stay unnamed to applicants, as on the permit.
                @let shown = if role == Role::Applicant && by != str_of(&app["applicant"]) { v.t(Msg::TheAuthority) } else { by };
                li { (str_of(&step["at"]).get(..16).unwrap_or("")) " · " (shown) " · " (str_of(&step["action"])) " → " (stage_name(v, str_of(&step["stage"]))) }
            }
        }
    }
}

async fn load_application(s: &Arc<AppState>, v: &Visitor, id: &str) -> Result<Value, Response> {
    let caller = v.require(&format!("/portal/applications/{id}"), &READERS)?;
    let answer = Answer::of(
        crate::workflow::get(State(s.clone()), caller.clone(), Path(id.to_owned())).await,
    )
    .await;
    if answer.ok() {
        Ok(answer.body)
    } else {
        Err(v.refusal(answer.status, &answer.detail()))
    }
}

/// `GET /portal/applications/{id}`.
pub async fn application(
    State(s): State<Arc<AppState>>,
    v: Visitor,
    Path(id): Path<String>,
    Query(q): Query<Done>,
) -> Response {
    let view = match load_application(&s, &v, &id).await {
        Ok(view) => view,
        Err(r) => return r,
    };
    let role = v.caller.as_ref().map(|c| c.role).unwrap_or(Role::Applicant);
    let title = format!("{} {id}", v.t(Msg::Application));
    v.page(
        &title,
        application_page(&v, role, &view, q.done.as_deref(), None, None),
    )
    .into_response()
}

/// Minor units of a decimal amount typed by a person (`50`, `50.5`, `50.00`).
pub fn minor_units(text: &str) -> Option<u64> {
    let (whole, cents) = match text.trim().split_once(['.', ',']) {
        Some((w, c)) if (1..=2).contains(&c.len()) && c.bytes().all(|b| b.is_ascii_digit()) => {
            (w, format!("{c:0<2}"))
        }
        Some(_) => return None,
        None => (text.trim(), "00".into()),
    };
    if whole.is_empty() || !whole.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    whole
        .parse::<u64>()
        .ok()?
        .checked_mul(100)?
        .checked_add(cents.parse().ok()?)
}

/// The API body of a workflow action from its form, or what is missing.
fn action_body(v: &Visitor, verb: &str, form: &Form, app: &Value) -> Result<Value, &'static str> {
    Ok(match verb {
        "advice" => {
            let finding = form.opt("finding").ok_or(v.t(Msg::FindingNeeded))?;
            json!({ "favourable": form.get("favourable") != "no", "finding": finding })
        }
        "refuse" => json!({ "reason": form.opt("reason").ok_or(v.t(Msg::ReasonNeeded))? }),
        "payment" => {
            let reference = form.opt("reference").ok_or(v.t(Msg::ReferenceNeeded))?;
            let amount = minor_units(form.get("amount")).ok_or(v.t(Msg::AmountUnreadable))?;
            json!({ "reference": reference, "amount": {
                "amount": amount, "currency": app["invoice"]["currency"] } })
        }
        "issue" => match form.opt("securing") {
            Some(m) => json!({ "securing": m }),
            None => json!({}),
        },
        _ => json!({}),
    })
}

/// `POST /portal/applications/{id}/{verb}`: a decision or step, through the API's handler.
pub async fn act(
    State(s): State<Arc<AppState>>,
    v: Visitor,
    Path((id, verb)): Path<(String, String)>,
    form: Form,
) -> Response {
    let path = format!("/portal/applications/{id}");
    let caller = match v.require_form(&path, &READERS, &form) {
        Ok(c) => c,
        Err(r) => return r,
    };
    let view = match load_application(&s, &v, &id).await {
        Ok(view) => view,
        Err(r) => return r,
    };
    let refused = |status: StatusCode, detail: &str| {
        let title = format!("{} {id}", v.t(Msg::Application));
        let body = application_page(&v, caller.role, &view, None, Some(detail), Some(&form));
        (status, v.page(&title, body)).into_response()
    };
    let body = match action_body(&v, &verb, &form, &view["application"]) {
        Ok(b) => b,
        Err(missing) => return refused(StatusCode::BAD_REQUEST, missing),
    };
    let answer = Answer::of(
        crate::workflow::act(
            State(s.clone()),
            caller.clone(),
            v.info.clone(),
            Path((id.clone(), verb.clone())),
            Bytes::from(body.to_string()),
        )
        .await,
    )
    .await;
    if !answer.ok() {
        let mut detail = answer.detail();
        if let Some(problems) = answer.body["problems"].as_array() {
            for p in problems {
                detail.push_str(&format!(
                    " · {} {}: {}",
                    v.t(Msg::Box),
                    str_of(&p["box"]),
                    str_of(&p["message"])
                ));
            }
        }
        return refused(answer.status, &detail);
    }
    match answer.body["permit"].as_str() {
        Some(permit) => see_other(&format!("{}?done=issue", permit_href_of(permit))),
        None => see_other(&format!("{path}?done={verb}")),
    }
}

fn permit_page(
    v: &Visitor,
    role: Role,
    record: &Value,
    done: Option<&str>,
    error: Option<&str>,
    offer: Option<&Value>,
) -> Markup {
    let p = &record["permit"];
    let key = format!(
        "{}/{}",
        str_of(&p["authority"]["country"]),
        str_of(&p["number"])
    );
    let href = permit_href(str_of(&p["authority"]["country"]), str_of(&p["number"]));
    let status = str_of(&record["status"]);
    let form = |verb: &str, label: Msg, extra: Markup| {
        html! {
            form method="post" action={ (href) "/" (verb) } class="inline" {
                (v.csrf_field())
                (extra)
                button type="submit" { (v.t(label)) }
            }
        }
    };
    html! {
        h1 { (document_name(v, str_of(&p["document_type"]))) " " (str_of(&p["number"])) }
        (done_line(v, done))
        @if let Some(e) = error {
            p role="alert" class="bad" { (e) }
        }
        p { (v.t(Msg::Status)) ": " strong { (status_name(v, status)) } }
        p { (v.t(Msg::IssuedBy)) ": " (str_of(&p["authority"]["name"])) " · " (str_of(&p["issued"]["place"])) ", " (str_of(&p["issued"]["date"])) }
        (boxes(v, p))
        @let crossings = record["lifecycle"]["crossings"].as_array().cloned().unwrap_or_default();
        @if !crossings.is_empty() {
            h2 { (v.t(Msg::Crossings)) }
            ul {
                @for c in &crossings {
                    @let amounts = |side: &Value| side.as_object().map(|m| {
                        m.iter().map(|(b, q)| format!("{b} {}", str_of(q))).collect::<Vec<_>>().join(", ")
                    });
                    li {
                        (v.t(Msg::ExportedOn)) " " (str_of(&c["exported_on"]))
                        @if let Some(a) = amounts(&c["exported"]) { ": " (a) }
                        @if let Some(a) = amounts(&c["imported"]["quantities"]) {
                            " · " (v.t(Msg::ImportedOn)) " " (str_of(&c["imported"]["on"])) " (" (str_of(&c["imported"]["by"])) "): " (a)
                        }
                    }
                }
            }
        }
        h2 { (v.t(Msg::Reference)) }
        p { (v.t(Msg::ReferenceExplained)) " " code { (key) } }
        p class="noprint" { a href={ (href) "/pdf" } download { (v.t(Msg::DownloadPdf)) } }
        @if let Some(offer) = offer {
            h2 { (v.t(Msg::WalletOffer)) }
            p { (v.t(Msg::WalletOfferExplained)) }
            div class="qr" { (PreEscaped(qr_inline(str_of(&offer["qr_svg"])))) }
            p { (v.t(Msg::TransactionCode)) ": " strong id="tx-code" { (str_of(&offer["tx_code"])) } }
            details { summary { (v.t(Msg::OfferLink)) } p { code class="wrap" { (str_of(&offer["uri"])) } } }
        }
        h2 class="noprint" { (v.t(Msg::WhatYouCanDo)) }
        div class="noprint" {
            @if matches!(role, Role::Applicant | Role::MaOfficer) && !matches!(status, "cancelled" | "replaced" | "import_confirmed") {
                (form("offer", Msg::ShowOffer, html! {}))
            }
            @if role == Role::MaOfficer {
                @if status == "suspended" {
                    (form("reinstate", Msg::Reinstate, html! {}))
                } @else if matches!(status, "issued" | "endorsed") {
                    (form("suspend", Msg::Suspend, html! {}))
                    (form("cancel", Msg::Cancel, html! {
                        label for="cancel-reason" { (v.t(Msg::CancelReason)) " " }
                        select id="cancel-reason" name="reason" {
                            option value="lost" { (v.t(Msg::ReasonLost)) }
                            option value="stolen" { (v.t(Msg::ReasonStolen)) }
                            option value="destroyed" { (v.t(Msg::ReasonDestroyed)) }
                            option value="withdrawn" { (v.t(Msg::ReasonWithdrawn)) }
                            option value="not_used" { (v.t(Msg::ReasonNotUsed)) }
                        }
                        " "
                    }))
                    (form("replace", Msg::Replace, html! {
                        label for="replace-reason" { (v.t(Msg::ReplaceReason)) " " }
                        input id="replace-reason" name="reason" required;
                        " "
                    }))
                }
            }
            @if let Some(app) = record["application"].as_str() {
                p { a href={ "/portal/applications/" (app) } { (v.t(Msg::Application)) " " (app) } }
            }
        }
    }
}

/// A QR code's SVG for inlining in HTML (without its XML declaration).
pub fn qr_inline(svg: &str) -> &str {
    match svg.find("<svg") {
        Some(i) => &svg[i..],
        None => "",
    }
}

async fn load_permit(
    s: &Arc<AppState>,
    v: &Visitor,
    party: &str,
    number: &str,
) -> Result<(Role, Value), Response> {
    let caller = v.require(
        &permit_href(party, number),
        &[
            Role::Applicant,
            Role::MaOfficer,
            Role::CustomsOfficer,
            Role::Auditor,
        ],
    )?;
    let answer = Answer::of(
        crate::permits::get(
            State(s.clone()),
            caller.clone(),
            Path((party.to_owned(), number.to_owned())),
        )
        .await,
    )
    .await;
    if answer.ok() {
        Ok((caller.role, answer.body))
    } else {
        Err(v.refusal(answer.status, &answer.detail()))
    }
}

/// `GET /portal/permits/{party}/{number}`.
pub async fn permit(
    State(s): State<Arc<AppState>>,
    v: Visitor,
    Path((party, number)): Path<(String, String)>,
    Query(q): Query<Done>,
) -> Response {
    match load_permit(&s, &v, &party, &number).await {
        Ok((role, record)) => v
            .page(
                &number,
                permit_page(&v, role, &record, q.done.as_deref(), None, None),
            )
            .into_response(),
        Err(r) => r,
    }
}

/// The permit's QR reference (`CITES1:PARTY/NUMBER:DIGEST:ORIGIN:INDEX`), from this node's
/// record and log.
fn reference_of(s: &AppState, key: &contracts::PermitKey) -> anyhow::Result<String> {
    let record = crate::store::permit(s.anchor.store(), key)?
        .ok_or_else(|| anyhow::anyhow!("{key} is not a permit of this node"))?;
    let leaf = ledger::Hash::from_hex(&record.leaf_hash)
        .map_err(|e| anyhow::anyhow!("the stored leaf hash of {key}: {e}"))?;
    let index = s
        .anchor
        .index_of(&leaf)?
        .ok_or_else(|| anyhow::anyhow!("{key} is not in the log yet"))?;
    let reference = crate::references::Reference {
        permit: key.clone(),
        digest: contracts::Digest(record.credential.digest()),
        origin: s.anchor.origin().to_owned(),
        index,
    };
    Ok(reference.to_string())
}

/// `GET /portal/permits/{party}/{number}/pdf`: the printable permit, for whoever may read it.
pub async fn permit_pdf(
    State(s): State<Arc<AppState>>,
    v: Visitor,
    Path((party, number)): Path<(String, String)>,
) -> Response {
    let (_, record) = match load_permit(&s, &v, &party, &number).await {
        Ok(r) => r,
        Err(r) => return r,
    };
    let permit: contracts::Permit = match serde_json::from_value(record["permit"].clone()) {
        Ok(p) => p,
        Err(e) => return crate::http::internal(e.into()),
    };
    let reference = match reference_of(&s, &permit.key()) {
        Ok(r) => r,
        Err(e) => return crate::http::internal(e),
    };
    let document = document_name(&v, str_of(&record["permit"]["document_type"]));
    let pdf = super::print::permit_pdf(&permit, document, &reference, v.lang);
    let disposition = format!(
        "inline; filename=\"{}.pdf\"",
        permit.number.replace('"', "")
    );
    let mut r = pdf.into_response();
    let h = r.headers_mut();
    h.insert(
        axum::http::header::CONTENT_TYPE,
        axum::http::HeaderValue::from_static("application/pdf"),
    );
    if let Ok(d) = axum::http::HeaderValue::from_str(&disposition) {
        h.insert(axum::http::header::CONTENT_DISPOSITION, d);
    }
    r
}

/// `POST /portal/permits/{party}/{number}/{verb}`: `offer` (a QR for the wallet), `suspend`,
/// `reinstate`, `cancel`.
pub async fn permit_act(
    State(s): State<Arc<AppState>>,
    v: Visitor,
    Path((party, number, verb)): Path<(String, String, String)>,
    form: Form,
) -> Response {
    let path = permit_href(&party, &number);
    let caller = match v.require_form(&path, &[Role::Applicant, Role::MaOfficer], &form) {
        Ok(c) => c,
        Err(r) => return r,
    };
    let body = match verb.as_str() {
        "cancel" => json!({ "reason": form.get("reason") }),
        "replace" => match form.opt("reason") {
            Some(reason) => json!({ "reason": reason }),
            None => {
                let (role, record) = match load_permit(&s, &v, &party, &number).await {
                    Ok(r) => r,
                    Err(r) => return r,
                };
                let page = permit_page(&v, role, &record, None, Some(v.t(Msg::ReasonNeeded)), None);
                return (StatusCode::BAD_REQUEST, v.page(&number, page)).into_response();
            }
        },
        _ => json!({}),
    };
    let answer = Answer::of(
        crate::permits::act(
            State(s.clone()),
            caller,
            v.info.clone(),
            Path((party.clone(), number.clone(), verb.clone())),
            Bytes::from(body.to_string()),
        )
        .await,
    )
    .await;
    // The permit is read again only for a page shown here (a refusal, the offer); a done
    // action redirects and its page reads it then.
    if !answer.ok() || verb == "offer" {
        let (role, record) = match load_permit(&s, &v, &party, &number).await {
            Ok(r) => r,
            Err(r) => return r,
        };
        if !answer.ok() {
            let page = permit_page(&v, role, &record, None, Some(&answer.detail()), None);
            return (answer.status, v.page(&number, page)).into_response();
        }
        // The offer is shown once, on this answer: its code is a secret not kept anywhere.
        let page = permit_page(&v, role, &record, None, None, Some(&answer.body["offer"]));
        return v.page(&number, page).into_response();
    }
    match answer.body["permit"].as_str() {
        // A replacement: the new permit is where the officer goes on.
        Some(new) if verb == "replace" => {
            see_other(&format!("{}?done=replace", permit_href_of(new)))
        }
        _ => see_other(&format!("{path}?done={verb}")),
    }
}

#[cfg(test)]
mod tests {
    use super::minor_units;

    #[test]
    fn amounts_as_people_type_them() {
        assert_eq!(minor_units("50"), Some(5000));
        assert_eq!(minor_units("50.5"), Some(5050));
        assert_eq!(minor_units("50,05"), Some(5005));
        assert_eq!(minor_units(" 0.99 "), Some(99));
        for bad in [
            "",
            "abc",
            "5.005",
            "-1",
            ".5",
            "1e3",
            "99999999999999999999",
        ] {
            assert_eq!(minor_units(bad), None, "{bad}");
        }
    }
}
