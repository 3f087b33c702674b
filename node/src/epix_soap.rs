//! EPIX for Parties outside the network: the SOAP service of EPIX Connect
//! (`urn:CitesDataExchange`, operations `GetNonFinalCitesCertificate`,
//! `GetFinalCitesCertificate`, `ConfirmQuantities`, `ServiceState`) over HTTPS, on its own
//! port (`[epix] listen`), where every client shows a certificate from its Party's CA in
//! `[epix] clients`. As in EPIX, the calling Party is the certificate subject's `C=`; the
//! rules are those of the node protocol's EPIX (`epix::decide`): a permit is shown to its Party
//! of import and to `epix_allow`, and confirmed only by its Party of import. Permits go out as
//! the toolkit v2 `CITESEPermit` message.

use std::collections::BTreeMap;
use std::io;
use std::sync::Arc;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use quick_xml::Writer;
use quick_xml::events::{BytesDecl, BytesText, Event};

use crate::epix::{Answer, Asked, Decision, Fault, Operation, Requester};
use crate::http::AppState;
use crate::tls::ClientCertificate;

const NS_SOAP: &str = "http://schemas.xmlsoap.org/soap/envelope/";
/// The service namespace; operations may also come namespaced `.../v1/` or `.../v2/`.
const NS_SERVICE: &str = "urn:CitesDataExchange";

/// The EPIX service's routes: `POST /epix` (and `/`, where SOAP clients often post).
pub fn router(state: Arc<AppState>, clients: crate::tls::EpixClients) -> Router {
    Router::new()
        .route("/epix", post(soap))
        .route("/", post(soap))
        .layer(DefaultBodyLimit::max(256 * 1024))
        .layer(axum::Extension(Arc::new(clients)))
        .with_state(state)
}

async fn soap(
    State(s): State<Arc<AppState>>,
    axum::Extension(clients): axum::Extension<Arc<crate::tls::EpixClients>>,
    client: Option<axum::Extension<ClientCertificate>>,
    body: Bytes,
) -> Response {
    // The TLS layer refuses a client without a certificate from one of the CAs.
    let who = match client.map(|c| c.0.party(&clients)) {
        Some(Ok((subject, party))) => Requester {
            id: format!("EPIX client {subject}"),
            party: Some(party),
            acts: true,
        },
        Some(Err(e)) => return fault(Fault::CallerNotFound, &format!("{e:#}")),
        None => return fault(Fault::CallerNotFound, "no client certificate"),
    };
    let asked = match std::str::from_utf8(&body)
        .map_err(|_| "the request is not UTF-8".to_owned())
        .and_then(read_request)
    {
        Ok(a) => a,
        Err(reason) => return fault(Fault::InvalidRequest, &reason),
    };
    tracing::info!(op = ?asked.op, caller = %who.id, "EPIX over HTTPS");
    let op = asked.op;
    let state = s.clone();
    let decided =
        tokio::task::spawn_blocking(move || crate::epix::decide(&state, &asked, &who)).await;
    let answer = match decided {
        Ok(Ok(decision)) => write_answer(op, decision),
        Ok(Err(Answer::Fault { fault: f, reason })) => return fault(f, &reason),
        Ok(Err(_)) => return fault(Fault::NotPossible, "unexpected answer"),
        Err(e) => return fault(Fault::NotPossible, &format!("the node failed: {e}")),
    };
    match answer {
        Ok(xml) => (
            StatusCode::OK,
            [(header::CONTENT_TYPE, "text/xml; charset=utf-8")],
            xml,
        )
            .into_response(),
        Err(e) => fault(Fault::NotPossible, &e.to_string()),
    }
}

/// The operation and its fields from a SOAP 1.1 or 1.2 envelope (element names are matched
/// by their local name; the operation must be in the service's namespace).
fn read_request(xml: &str) -> Result<Asked, String> {
    let doc = roxmltree::Document::parse(xml).map_err(|e| format!("not well-formed XML: {e}"))?;
    let envelope = doc.root_element();
    if envelope.tag_name().name() != "Envelope" {
        return Err("not a SOAP envelope".into());
    }
    let body = envelope
        .children()
        .find(|n| n.is_element() && n.tag_name().name() == "Body")
        .ok_or("the envelope has no Body")?;
    let call = body
        .children()
        .find(|n| n.is_element())
        .ok_or("the Body is empty")?;
    if !call
        .tag_name()
        .namespace()
        .is_some_and(|ns| ns.starts_with(NS_SERVICE))
    {
        return Err(format!(
            "{} is not an operation of {NS_SERVICE}",
            call.tag_name().name()
        ));
    }
    let op = match call.tag_name().name() {
        "GetNonFinalCitesCertificate" => Operation::GetNonFinalCitesCertificate,
        "GetFinalCitesCertificate" => Operation::GetFinalCitesCertificate,
        "ConfirmQuantities" => Operation::ConfirmQuantities,
        "ServiceState" => Operation::ServiceState,
        other => return Err(format!("{other} is not an EPIX operation")),
    };
    let field = |node: roxmltree::Node, name: &str| {
        node.children()
            .find(|n| n.is_element() && n.tag_name().name() == name)
            .map(|n| n.text().unwrap_or("").trim().to_owned())
    };
    let callee = field(call, "IsoCountryCode").ok_or("IsoCountryCode is missing")?;
    let certificate = field(call, "CertificateNumber");
    if op != Operation::ServiceState && certificate.as_deref().is_none_or(str::is_empty) {
        return Err("CertificateNumber is missing".into());
    }
    let quantities = match op {
        Operation::ConfirmQuantities => {
            let list = call
                .children()
                .find(|n| n.is_element() && n.tag_name().name() == "ConfirmedQuantities")
                .ok_or("ConfirmedQuantities is missing")?;
            let mut quantities = BTreeMap::new();
            for position in list
                .children()
                .filter(|n| n.is_element() && n.tag_name().name() == "CitesPosition")
            {
                let id = field(position, "ID").ok_or("CitesPosition/ID is missing")?;
                if id.is_empty() || id.contains(char::is_whitespace) {
                    return Err(format!("CitesPosition/ID {id:?} is empty or has spaces"));
                }
                let q = field(position, "InspectedUnitQuantity")
                    .ok_or("CitesPosition/InspectedUnitQuantity is missing")?;
                let q = q
                    .parse()
                    .map_err(|e| format!("CitesPosition {id}: InspectedUnitQuantity {q:?}: {e}"))?;
                quantities.insert(id, q);
            }
            if quantities.is_empty() {
                return Err("ConfirmedQuantities holds no CitesPosition".into());
            }
            Some(quantities)
        }
        _ => None,
    };
    let mut id = [0u8; 16];
    getrandom::getrandom(&mut id).map_err(|e| format!("no randomness: {e}"))?;
    Ok(Asked {
        op,
        callee,
        certificate,
        quantities,
        on: None,
        request_id: format!("epix-https-{}", hex::encode(id)),
    })
}

type W = Writer<Vec<u8>>;

fn envelope(inner: impl FnOnce(&mut W) -> io::Result<()>) -> io::Result<String> {
    let mut w = Writer::new(Vec::new());
    w.write_event(Event::Decl(BytesDecl::new("1.0", Some("UTF-8"), None)))?;
    w.create_element("soap:Envelope")
        .with_attribute(("xmlns:soap", NS_SOAP))
        .write_inner_content(|w| {
            w.create_element("soap:Body").write_inner_content(inner)?;
            Ok(())
        })?;
    String::from_utf8(w.into_inner()).map_err(io::Error::other)
}

fn text(w: &mut W, name: &str, value: &str) -> io::Result<()> {
    w.create_element(name)
        .write_text_content(BytesText::new(value))?;
    Ok(())
}

fn write_answer(op: Operation, decision: Decision) -> io::Result<String> {
    let response = format!("{op:?}Response");
    envelope(|w| {
        w.create_element(response.as_str())
            .with_attribute(("xmlns", "urn:CitesDataExchange/v1/"))
            .write_inner_content(|w| match decision {
                Decision::State { party, available } => {
                    text(w, "IsoCountryCode", &party)?;
                    text(
                        w,
                        "ServiceState",
                        if available {
                            "Available"
                        } else {
                            "Unavailable"
                        },
                    )
                }
                Decision::Document(view) if op == Operation::ConfirmQuantities => {
                    text(w, "Result", "Confirmed")?;
                    text(w, "Status", view["status"].as_str().unwrap_or(""))
                }
                Decision::Document(view) => {
                    let message = view["citesEPermit"].as_str().unwrap_or("");
                    // The toolkit message goes in as it is, without its XML declaration.
                    let message = match message.strip_prefix("<?xml") {
                        Some(rest) => rest.split_once("?>").map_or("", |(_, m)| m),
                        None => message,
                    };
                    w.get_mut().extend_from_slice(message.trim().as_bytes());
                    text(w, "Composite", "false")
                }
            })?;
        Ok(())
    })
}

/// A SOAP fault: `faultstring` is the EPIX fault's name, `detail` says why.
fn fault(fault: Fault, reason: &str) -> Response {
    let name = format!("{fault:?}");
    let code = match fault {
        Fault::InvalidRequest | Fault::CallerNotFound | Fault::AccessDenied => "soap:Client",
        _ => "soap:Server",
    };
    let xml = envelope(|w| {
        w.create_element("soap:Fault").write_inner_content(|w| {
            text(w, "faultcode", code)?;
            text(w, "faultstring", &name)?;
            text(w, "detail", reason)
        })?;
        Ok(())
    });
    match xml {
        Ok(xml) => (
            StatusCode::INTERNAL_SERVER_ERROR,
            [(header::CONTENT_TYPE, "text/xml; charset=utf-8")],
            xml,
        )
            .into_response(),
        Err(_) => StatusCode::INTERNAL_SERVER_ERROR.into_response(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn envelope_of(call: &str) -> String {
        format!(
            r#"<soap:Envelope xmlns:soap="{NS_SOAP}"><soap:Body>{call}</soap:Body></soap:Envelope>"#
        )
    }

    #[test]
    fn requests_are_read_by_their_epix_names_and_bad_ones_say_what_is_wrong() {
        let ok = read_request(&envelope_of(
            r#"<ConfirmQuantities xmlns="urn:CitesDataExchange/v2/"><CertificateNumber>GH1</CertificateNumber><IsoCountryCode>GH</IsoCountryCode><ConfirmedQuantities><CitesPosition><ID>A</ID><InspectedUnitQuantity>48</InspectedUnitQuantity></CitesPosition></ConfirmedQuantities></ConfirmQuantities>"#,
        ))
        .unwrap();
        assert_eq!(ok.op, Operation::ConfirmQuantities);
        assert_eq!(ok.certificate.as_deref(), Some("GH1"));
        assert_eq!(ok.quantities.unwrap()["A"].to_string(), "48");
        for (call, expected) in [
            (
                "<GetFinalCitesCertificate xmlns=\"urn:other\"/>",
                "not an operation",
            ),
            (
                "<Steal xmlns=\"urn:CitesDataExchange/v1/\"/>",
                "not an EPIX operation",
            ),
            (
                "<GetFinalCitesCertificate xmlns=\"urn:CitesDataExchange/v1/\"><IsoCountryCode>GH</IsoCountryCode></GetFinalCitesCertificate>",
                "CertificateNumber is missing",
            ),
            (
                "<ConfirmQuantities xmlns=\"urn:CitesDataExchange/v1/\"><CertificateNumber>1</CertificateNumber><IsoCountryCode>GH</IsoCountryCode><ConfirmedQuantities><CitesPosition><ID>A B</ID><InspectedUnitQuantity>1</InspectedUnitQuantity></CitesPosition></ConfirmedQuantities></ConfirmQuantities>",
                "has spaces",
            ),
        ] {
            let err = read_request(&envelope_of(call)).unwrap_err();
            assert!(err.contains(expected), "{expected:?} not in {err:?}");
        }
        assert!(
            read_request("<x/>")
                .unwrap_err()
                .contains("not a SOAP envelope")
        );
    }
}
