//! The border check: a challenge for the holder's wallet (shown as a QR code), the presentation
//! pasted back, the verdict as a pass/fail checklist, then the export endorsement (this node's
//! permits) or the import confirmation (another Party's, over EPIX).

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use credentials::Secured;
use maud::{Markup, PreEscaped, html};
use serde_json::{Value, json};

use super::workflow::{done_line, qr_inline};
use super::{Answer, Done, Form, Msg, Visitor, see_other};
use crate::http::AppState;
use crate::users::Role;

const CUSTOMS: [Role; 1] = [Role::CustomsOfficer];

/// A check's name in the visitor's language.
fn check_name(v: &Visitor, check: &str) -> &'static str {
    v.t(match check {
        "holder_proof" => Msg::CheckHolderProof,
        "challenge_domain" => Msg::CheckChallenge,
        "holder_binding" => Msg::CheckHolderBinding,
        "issuer_signature" => Msg::CheckIssuerSignature,
        "issuer_accredited" => Msg::CheckIssuerAccredited,
        "key_valid_at_issuance" => Msg::CheckKeyValid,
        "anchored" => Msg::CheckAnchored,
        "status" => Msg::CheckStatus,
        "validity" => Msg::CheckValidity,
        "usage" => Msg::CheckUsage,
        "export_endorsement" => Msg::CheckEndorsement,
        "permit_rules" => Msg::CheckRules,
        _ => Msg::CheckFreshness,
    })
}

fn verify_form(v: &Visitor, challenge: &str, typed: Option<&Form>, error: Option<&str>) -> Markup {
    let purpose = typed.map(|f| f.get("purpose")).unwrap_or("export");
    html! {
        form method="post" action="/portal/customs/verify" {
            (v.csrf_field())
            h2 { (v.t(Msg::CheckPresentation)) }
            p {
                label for="challenge" { (v.t(Msg::Challenge)) }
                br;
                input id="challenge" name="challenge" size="40" required
                    value=(typed.map(|f| f.get("challenge")).unwrap_or(challenge));
            }
            p {
                label for="purpose" { (v.t(Msg::CheckFor)) }
                br;
                select id="purpose" name="purpose" {
                    option value="export" selected[purpose == "export"] { (v.t(Msg::ForExport)) }
                    option value="import" selected[purpose == "import"] { (v.t(Msg::ForImport)) }
                    option value="inspect" selected[purpose == "inspect"] { (v.t(Msg::ForInspection)) }
                }
            }
            p {
                label for="hs_code" { (v.t(Msg::DeclaredHsCode)) }
                br;
                input id="hs_code" name="hs_code" size="12" inputmode="numeric"
                    value=(typed.map(|f| f.get("hs_code")).unwrap_or(""));
            }
            p {
                label for="presentation" { (v.t(Msg::PastePresentation)) }
                br;
                textarea id="presentation" name="presentation" rows="10" required aria-describedby=[error.map(|_| "presentation-error")] {
                    (typed.map(|f| f.get("presentation")).unwrap_or(""))
                }
                @if let Some(e) = error {
                    span id="presentation-error" role="alert" class="bad" { (e) }
                }
            }
            button type="submit" { (v.t(Msg::Verify)) }
        }
    }
}

fn customs_page(
    v: &Visitor,
    top: Markup,
    challenge: &str,
    typed: Option<&Form>,
    error: Option<&str>,
) -> Markup {
    html! {
        h1 { (v.t(Msg::BorderCheck)) }
        (top)
        form method="post" action="/portal/customs/challenge" {
            (v.csrf_field())
            p { (v.t(Msg::ChallengeExplained)) }
            button type="submit" { (v.t(Msg::NewChallenge)) }
        }
        (verify_form(v, challenge, typed, error))
    }
}

/// `GET /portal/customs`.
pub async fn page(v: Visitor, axum::extract::Query(q): axum::extract::Query<Done>) -> Response {
    if let Err(r) = v.require("/portal/customs", &CUSTOMS) {
        return r;
    }
    let top = done_line(&v, q.done.as_deref());
    v.page(v.t(Msg::BorderCheck), customs_page(&v, top, "", None, None))
        .into_response()
}

/// `POST /portal/customs/challenge`: a single-use challenge, as text and as a QR code.
pub async fn challenge(State(s): State<Arc<AppState>>, v: Visitor, form: Form) -> Response {
    if let Err(r) = v.require_form("/portal/customs", &CUSTOMS, &form) {
        return r;
    }
    let answer = Answer::of(crate::vcapi::challenge(State(s)).await).await;
    if !answer.ok() {
        return v.refusal(answer.status, &answer.detail());
    }
    let challenge = answer.body["challenge"].as_str().unwrap_or("").to_owned();
    let domain = answer.body["domain"].as_str().unwrap_or("").to_owned();
    let payload = json!({ "challenge": challenge, "domain": domain }).to_string();
    let qr = qrcode::QrCode::new(payload.as_bytes())
        .map(|q| {
            q.render::<qrcode::render::svg::Color<'_>>()
                .min_dimensions(200, 200)
                .build()
        })
        .unwrap_or_default();
    let top = html! {
        section aria-labelledby="challenge-title" {
            h2 id="challenge-title" { (v.t(Msg::ChallengeForHolder)) }
            div class="qr" { (PreEscaped(qr_inline(&qr))) }
            p { (v.t(Msg::Challenge)) ": " code id="challenge-value" { (challenge) } " · " (v.t(Msg::Domain)) ": " code id="domain-value" { (domain) } }
            p { small { (v.t(Msg::WalletCommand)) " " code { "cites-wallet present --challenge " (challenge) " --domain " (domain) } } }
        }
    };
    v.page(
        v.t(Msg::BorderCheck),
        customs_page(&v, top, &challenge, None, None),
    )
    .into_response()
}

/// The presentation in what was pasted: a wallet's package, a JWS, or a JSON-LD object.
fn presentation_of(text: &str) -> Option<Value> {
    let text = text.trim();
    match serde_json::from_str::<Value>(text) {
        Ok(Value::Object(o)) => match o.get("verifiablePresentation") {
            Some(vp) => Some(vp.clone()),
            None => Some(Value::Object(o)),
        },
        Ok(Value::String(s)) => Some(Value::String(s)),
        Ok(_) => None,
        Err(_) => Secured::parse(text)
            .ok()
            .map(|_| Value::String(text.to_owned())),
    }
}

/// The permits inside a pasted presentation (see `vcapi::permits_in`).
fn permits_in(vp: &Value) -> Vec<contracts::Permit> {
    let secured = match vp {
        Value::String(s) => Secured::parse(s).ok(),
        v => Some(Secured::Embedded(v.clone())),
    };
    secured
        .map(|s| crate::vcapi::permits_in(&s))
        .unwrap_or_default()
}

fn verdict_markup(v: &Visitor, body: &Value) -> Markup {
    let verified = body["verified"] == true;
    html! {
        section aria-labelledby="verdict" {
            @if verified {
                h2 id="verdict" class="pass" { "✔ " (v.t(Msg::VerdictValid)) }
            } @else {
                h2 id="verdict" class="fail" { "✘ " (v.t(Msg::VerdictNotValid)) }
            }
            @for r in body["results"].as_array().into_iter().flatten() {
                @if let Some(p) = r["permit"].as_object() {
                    h3 { (p.get("party").and_then(Value::as_str).unwrap_or("")) "/" (p.get("number").and_then(Value::as_str).unwrap_or("")) }
                }
                table class="checklist" {
                    thead { tr { th scope="col" { (v.t(Msg::Check)) } th scope="col" { (v.t(Msg::Outcome)) } th scope="col" { (v.t(Msg::Why)) } } }
                    tbody {
                        @for c in r["checks"].as_array().into_iter().flatten() {
                            @let outcome = c["outcome"].as_str().unwrap_or("");
                            tr class=(outcome) {
                                td { (check_name(v, c["check"].as_str().unwrap_or(""))) }
                                td {
                                    @match outcome {
                                        "pass" => { span class="pass" { "✔ " (v.t(Msg::Pass)) } }
                                        "fail" => { span class="fail" { "✘ " (v.t(Msg::Fail)) } }
                                        _ => { (v.t(Msg::NotApplicable)) }
                                    }
                                }
                                td { (c["reason"].as_str().unwrap_or("")) }
                            }
                        }
                    }
                }
            }
            @if let Some(flags) = body["risk"].as_array().filter(|f| !f.is_empty()) {
                h3 id="risk" { "⚠ " (v.t(Msg::RiskFlags)) }
                ul aria-labelledby="risk" {
                    @for f in flags {
                        li {
                            (f["permit"].as_str().unwrap_or(""))
                            @if let Some(b) = f["block"].as_str() { " " (v.t(Msg::Block)) " " (b) }
                            ": " (f["message"].as_str().unwrap_or(""))
                        }
                    }
                }
            }
        }
    }
}

/// One block of the crossing form: letter, species, what the permit allows, what is typed.
struct Row {
    block: String,
    species: String,
    permitted: String,
    quantity: String,
}

/// The form that records what crossed, for permit `party/number` (`verb`: `endorsement` or
/// `confirm`). `n` numbers the form on its page (a presentation may hold several permits), so
/// its ids are unique; `typed` is what the officer entered before a refusal.
fn crossing_form(
    v: &Visitor,
    n: usize,
    (party, number): (&str, &str),
    verb: &str,
    rows: &[Row],
    typed: Option<&Form>,
) -> Markup {
    let (title, button) = if verb == "endorsement" {
        (Msg::EndorseExport, Msg::RecordEndorsement)
    } else {
        (Msg::ConfirmImport, Msg::SendConfirmation)
    };
    let enc = |x: &str| {
        percent_encoding::utf8_percent_encode(x, percent_encoding::NON_ALPHANUMERIC).to_string()
    };
    let id = |name: &str| format!("p{n}-{name}");
    let typed = |name: &str| typed.map(|f| f.get(name).to_owned()).unwrap_or_default();
    html! {
        form method="post" action={ "/portal/customs/" (enc(party)) "/" (enc(number)) "/" (verb) } {
            (v.csrf_field())
            h2 { (v.t(title)) " " (party) "/" (number) }
            table {
                thead { tr { th scope="col" { (v.t(Msg::Block)) } th scope="col" { (v.t(Msg::Species)) } th scope="col" { (v.t(Msg::Permitted)) } th scope="col" { (v.t(Msg::QuantityCrossing)) } } }
                tbody {
                    @for r in rows {
                        @let name = format!("q_{}", r.block);
                        tr {
                            td { (r.block) }
                            td { i { (r.species) } }
                            td { (r.permitted) }
                            td {
                                label for=(id(&name)) class="visually-hidden" { (v.t(Msg::QuantityCrossing)) " " (r.block) }
                                input id=(id(&name)) name=(name) value=(r.quantity) inputmode="decimal" size="8";
                            }
                        }
                    }
                }
            }
            @if verb == "endorsement" {
                p {
                    label for=(id("port")) { (v.t(Msg::Port)) }
                    br;
                    input id=(id("port")) name="port" value=(typed("port")) required;
                }
                p {
                    label for=(id("transport_document")) { (v.t(Msg::TransportDocument)) }
                    br;
                    input id=(id("transport_document")) name="transport_document" value=(typed("transport_document"));
                }
            }
            button type="submit" { (v.t(button)) }
        }
    }
}

/// The crossing form for a permit just verified: an endorsement for this node's own permits at
/// export, a confirmation to the issuer at import.
fn record_form(
    v: &Visitor,
    n: usize,
    permit: &contracts::Permit,
    purpose: &str,
    own: bool,
) -> Markup {
    let verb = match (purpose, own) {
        ("export", true) => "endorsement",
        ("import", _) => "confirm",
        _ => return html! {},
    };
    let rows: Vec<Row> = permit
        .blocks
        .iter()
        .map(|b| Row {
            block: b.id.clone(),
            species: b.scientific_name.clone(),
            permitted: format!("{} {}", b.quantity, super::code(&b.unit)),
            quantity: b.quantity.to_string(),
        })
        .collect();
    let key = permit.key();
    let party = key.party.to_string();
    crossing_form(v, n, (&party, &key.number), verb, &rows, None)
}

/// `POST /portal/customs/verify`: the presentation checked against the challenge this node
/// gave, with the verdict line by line.
pub async fn verify(State(s): State<Arc<AppState>>, v: Visitor, form: Form) -> Response {
    if let Err(r) = v.require_form("/portal/customs", &CUSTOMS, &form) {
        return r;
    }
    let again = |status: StatusCode, error: &str| {
        let page = customs_page(&v, html! {}, "", Some(&form), Some(error));
        (status, v.page(v.t(Msg::BorderCheck), page)).into_response()
    };
    let Some(vp) = presentation_of(form.get("presentation")) else {
        return again(StatusCode::BAD_REQUEST, v.t(Msg::NotAPresentation));
    };
    let purpose = form.get("purpose").to_owned();
    let request = json!({
        "verifiablePresentation": vp,
        "options": { "challenge": form.get("challenge"), "purpose": purpose, "hsCode": form.opt("hs_code") },
    });
    let answer = Answer::of(
        crate::vcapi::verify_vp(State(s.clone()), Bytes::from(request.to_string())).await,
    )
    .await;
    if answer.body.get("results").is_none() {
        return again(answer.status, &answer.detail());
    }
    let verified = answer.body["verified"] == true;
    let permits = permits_in(&vp);
    let body = html! {
        h1 { (v.t(Msg::BorderCheck)) }
        (verdict_markup(&v, &answer.body))
        @if verified {
            @for (n, p) in permits.iter().enumerate() {
                (record_form(&v, n, p, &purpose, p.key().party == s.config.party))
            }
        }
        p { a class="button" href="/portal/customs" { (v.t(Msg::NextCheck)) } }
    };
    let status = if verified {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    (status, v.page(v.t(Msg::BorderCheck), body)).into_response()
}

/// `POST /portal/customs/{party}/{number}/{endorsement|confirm}`.
pub async fn record(
    State(s): State<Arc<AppState>>,
    v: Visitor,
    Path((party, number, verb)): Path<(String, String, String)>,
    form: Form,
) -> Response {
    let caller = match v.require_form("/portal/customs", &CUSTOMS, &form) {
        Ok(c) => c,
        Err(r) => return r,
    };
    let quantities: serde_json::Map<String, Value> = form
        .fields()
        .iter()
        .filter_map(|(k, q)| {
            let block = k.strip_prefix("q_")?;
            let q = q.trim();
            (!q.is_empty()).then(|| (block.to_owned(), Value::String(q.to_owned())))
        })
        .collect();
    let response = match verb.as_str() {
        "endorsement" => {
            let mut body = json!({ "quantities": quantities, "port": form.get("port") });
            if let Some(t) = form.opt("transport_document") {
                body["transport_document"] = t.into();
            }
            crate::permits::act(
                State(s.clone()),
                caller,
                v.info.clone(),
                Path((party.clone(), number.clone(), verb.clone())),
                Bytes::from(body.to_string()),
            )
            .await
        }
        "confirm" => {
            let body = json!({ "quantities": quantities });
            crate::epix::request(
                State(s.clone()),
                caller,
                Path((party.clone(), number.clone(), verb.clone())),
                Bytes::from(body.to_string()),
            )
            .await
        }
        _ => return v.refusal(StatusCode::NOT_FOUND, v.t(Msg::NotPossible)),
    };
    let answer = Answer::of(response).await;
    if !answer.ok() {
        // The verdict stays valid; the officer corrects what was typed and sends it again.
        let rows: Vec<Row> = quantities
            .iter()
            .map(|(block, q)| Row {
                block: block.clone(),
                species: String::new(),
                permitted: String::new(),
                quantity: q.as_str().unwrap_or("").to_owned(),
            })
            .collect();
        let body = html! {
            h1 { (v.t(Msg::BorderCheck)) }
            p role="alert" class="bad" { (answer.detail()) }
            (crossing_form(&v, 0, (&party, &number), &verb, &rows, Some(&form)))
            p { a class="button" href="/portal/customs" { (v.t(Msg::NextCheck)) } }
        };
        return (answer.status, v.page(v.t(Msg::BorderCheck), body)).into_response();
    }
    let done = if verb == "confirm" {
        "confirmed"
    } else {
        "endorsed"
    };
    see_other(&format!("/portal/customs?done={done}"))
}

#[cfg(test)]
mod tests {
    use super::presentation_of;

    #[test]
    fn a_presentation_pasted_in_any_of_its_forms() {
        let package =
            r#"{"verifiablePresentation": {"type": "VerifiablePresentation"}, "evidence": []}"#;
        assert_eq!(
            presentation_of(package).unwrap()["type"],
            "VerifiablePresentation"
        );
        let object = r#"{"type": "VerifiablePresentation"}"#;
        assert!(presentation_of(object).unwrap().is_object());
        assert!(presentation_of("[1, 2]").is_none());
        assert!(presentation_of("not a presentation").is_none());
    }
}
