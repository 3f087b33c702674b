//! EPIX for a Party outside the network: the SOAP operations over HTTPS on the node's EPIX
//! port, the calling Party known by its client certificate's `C=`.

use std::path::Path;

use rcgen::{BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, KeyPair};

use crate::{accredit_gh, network_serving};

/// A CA of the Parties' EPIX clients, and a client certificate for each country.
struct Clients {
    ca: rcgen::Certificate,
    ca_key: KeyPair,
}

impl Clients {
    fn new() -> Clients {
        let ca_key = KeyPair::generate().unwrap();
        let mut params = CertificateParams::new(Vec::new()).unwrap();
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        params
            .distinguished_name
            .push(DnType::CommonName, "EPIX clients CA");
        let ca = params.self_signed(&ca_key).unwrap();
        Clients { ca, ca_key }
    }

    /// An agent presenting a certificate for `country`, trusting the node's certificate.
    fn agent(&self, country: &str, node_cert: &Path) -> ureq::Agent {
        let key = KeyPair::generate().unwrap();
        let mut params = CertificateParams::new(Vec::new()).unwrap();
        params.distinguished_name.push(DnType::CountryName, country);
        params.distinguished_name.push(
            DnType::OrganizationName,
            format!("Management Authority of {country}"),
        );
        params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ClientAuth];
        let cert = params.signed_by(&key, &self.ca, &self.ca_key).unwrap();
        e2e_support::agent_presenting(node_cert, Some((&cert.pem(), &key.serialize_pem())))
    }
}

fn call(
    agent: &ureq::Agent,
    url: &str,
    op: &str,
    fields: &str,
) -> Result<(u16, String), ureq::Error> {
    let body = format!(
        r#"<?xml version="1.0"?><soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"><soap:Body><{op} xmlns="urn:CitesDataExchange/v1/">{fields}</{op}></soap:Body></soap:Envelope>"#
    );
    let mut r = agent
        .post(url)
        .header("content-type", "text/xml; charset=utf-8")
        .header("soapaction", &format!("urn:CitesDataExchange/v1/{op}"))
        .send(body.as_str())?;
    Ok((r.status().as_u16(), r.body_mut().read_to_string().unwrap()))
}

#[test]
fn a_party_outside_the_network_uses_epix_with_its_client_certificate() {
    let _one = crate::networked();
    let mut net = network_serving(true);
    accredit_gh(&net);
    let number = "GH26EPIXS0001";
    let r = net
        .gh
        .agent
        .post(format!("{}/credentials/issue", net.gh.url))
        .header("authorization", &format!("Bearer {}", net.gh_token))
        .send_json(crate::issue_verify::issue_request(number, "jose"))
        .unwrap();
    assert_eq!(r.status(), 201);

    // Ghana's node opens its EPIX port to the clients of one CA.
    // Germany's and France's clients come from one CA; Kenya has a CA of its own.
    let clients = Clients::new();
    let kenya = Clients::new();
    std::fs::write(net.dir.path().join("parties-ca.pem"), clients.ca.pem()).unwrap();
    std::fs::write(net.dir.path().join("kenya-ca.pem"), kenya.ca.pem()).unwrap();
    let port = e2e_support::free_port();
    net.gh.stop();
    let mut text = std::fs::read_to_string(&net.gh.config).unwrap();
    text.push_str(&format!(
        "\n[epix]\nlisten = \"127.0.0.1:{port}\"\n[epix.clients]\nDE = \"parties-ca.pem\"\nFR = \"parties-ca.pem\"\nKE = \"kenya-ca.pem\"\n"
    ));
    std::fs::write(&net.gh.config, text).unwrap();
    net.gh.start();

    let node_cert = net.dir.path().join("gh-data/tls/cert.pem");
    let url = format!("https://127.0.0.1:{port}/epix");
    let germany = clients.agent("DE", &node_cert);
    let france = clients.agent("FR", &node_cert);
    let asks = format!(
        "<CertificateNumber>{number}</CertificateNumber><TokenId/><IsoCountryCode>GH</IsoCountryCode>"
    );

    let (status, state) = call(
        &germany,
        &url,
        "ServiceState",
        "<IsoCountryCode>GH</IsoCountryCode>",
    )
    .unwrap();
    assert_eq!(status, 200, "{state}");
    assert!(
        state.contains("<ServiceState>Available</ServiceState>"),
        "{state}"
    );

    // The Party of import reads the permit as the toolkit message.
    let (status, answer) = call(&germany, &url, "GetNonFinalCitesCertificate", &asks).unwrap();
    assert_eq!(status, 200, "{answer}");
    let start = answer.find("<rsm:CITESEPermit").unwrap();
    let end = answer.find("</rsm:CITESEPermit>").unwrap() + "</rsm:CITESEPermit>".len();
    let permit = toolkit::from_xml(&answer[start..end]).unwrap();
    assert_eq!(permit.number, number);
    assert!(answer.contains("<Composite>false</Composite>"));

    // Faults keep the EPIX names.
    let fault = |agent: &ureq::Agent, op: &str, fields: &str| {
        let (status, body) = call(agent, &url, op, fields).unwrap();
        assert_eq!(status, 500, "{body}");
        let name = body.split("<faultstring>").nth(1).unwrap();
        name.split('<').next().unwrap().to_owned()
    };
    assert_eq!(
        fault(&germany, "GetFinalCitesCertificate", &asks),
        "NotFinal"
    );
    // Another Party's client certificate: the permit is not there for it.
    assert_eq!(
        fault(&france, "GetNonFinalCitesCertificate", &asks),
        "CertificateMissing"
    );
    assert_eq!(
        fault(
            &france,
            "ConfirmQuantities",
            &format!(
                "{asks}<ConfirmedQuantities><CitesPosition><ID>A</ID><InspectedUnitQuantity>48</InspectedUnitQuantity></CitesPosition></ConfirmedQuantities>"
            )
        ),
        "CertificateMissing"
    );
    let elsewhere = asks.replace("<IsoCountryCode>GH", "<IsoCountryCode>DE");
    assert_eq!(
        fault(&germany, "GetNonFinalCitesCertificate", &elsewhere),
        "CalleeNotFound"
    );
    assert_eq!(
        fault(
            &germany,
            "GetNonFinalCitesCertificate",
            "<IsoCountryCode>GH</IsoCountryCode>"
        ),
        "InvalidRequest"
    );
    // Nothing was exported yet, so there is nothing to confirm.
    assert_eq!(
        fault(
            &germany,
            "ConfirmQuantities",
            &format!(
                "{asks}<ConfirmedQuantities><CitesPosition><ID>A</ID><InspectedUnitQuantity>48</InspectedUnitQuantity></CitesPosition></ConfirmedQuantities>"
            )
        ),
        "NotPossible"
    );

    // Kenya's CA cannot speak for Germany, and no CA for a Party not listed.
    assert_eq!(
        fault(
            &kenya.agent("DE", &node_cert),
            "GetNonFinalCitesCertificate",
            &asks
        ),
        "CallerNotFound"
    );
    assert_eq!(
        fault(
            &clients.agent("IT", &node_cert),
            "ServiceState",
            "<IsoCountryCode>GH</IsoCountryCode>"
        ),
        "CallerNotFound"
    );
    let (status, _) = call(
        &kenya.agent("KE", &node_cert),
        &url,
        "ServiceState",
        "<IsoCountryCode>GH</IsoCountryCode>",
    )
    .unwrap();
    assert_eq!(status, 200);

    // No certificate, or one from another CA: no connection at all.
    assert!(
        call(
            &e2e_support::agent_trusting(&node_cert),
            &url,
            "ServiceState",
            ""
        )
        .is_err()
    );
    let strangers = Clients::new();
    assert!(call(&strangers.agent("DE", &node_cert), &url, "ServiceState", "").is_err());
}
