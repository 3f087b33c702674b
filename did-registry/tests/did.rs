//! did:web and did:key: the spec's examples, one spelling per DID, round trips, and the shape
//! of generated documents against DID Core.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::*;
use did_registry::did::web_document;
use did_registry::{AsOf, Did, DidDocument, DidKey, DidWeb, Ed25519PublicKey};
use proptest::prelude::*;

#[test]
fn did_web_maps_to_the_https_url_of_its_document() {
    let cases = [
        (
            "did:web:w3c-ccg.github.io",
            "https://w3c-ccg.github.io/.well-known/did.json",
        ),
        (
            "did:web:w3c-ccg.github.io:user:alice",
            "https://w3c-ccg.github.io/user/alice/did.json",
        ),
        (
            "did:web:example.com%3A3000:user:alice",
            "https://example.com:3000/user/alice/did.json",
        ),
        (
            "did:web:example.com%3A8443",
            "https://example.com:8443/.well-known/did.json",
        ),
    ];
    for (d, url) in cases {
        let parsed: DidWeb = d.parse().unwrap();
        assert_eq!(parsed.document_url(), url);
        assert_eq!(parsed.to_string(), d);
    }
    let de: DidWeb = DE.parse().unwrap();
    assert_eq!(de.host(), "bfn.de");
    assert_eq!(de.port(), Some(8443));
    assert_eq!(de.path(), ["cites"]);
}

#[test]
fn did_web_has_one_spelling() {
    for bad in [
        "did:web:",
        "did:web:Example.com",
        "did:web:example.com%3a3000",
        "did:web:example.com%3A03000",
        "did:web:example.com%3A0",
        "did:web:example.com%3A70000",
        "did:web:example.com%2F",
        "did:web:example.com::a",
        "did:web:example.com:a%20b",
        "did:web:example.com:..",
        "did:web:-example.com",
        "did:web:example..com",
        "did:web:exa mple.com",
        "did:webs:example.com",
        "did:key:example.com",
    ] {
        assert!(bad.parse::<DidWeb>().is_err(), "{bad}");
    }
}

#[test]
fn did_key_of_the_spec_example() {
    // did:key spec, Ed25519 example.
    let d = "did:key:z6MkiTBz1ymuepAQ4HEHYSF1H8quG5GLVVQR3djdX3mDooWp";
    let key: DidKey = d.parse().unwrap();
    assert_eq!(key.to_string(), d);
    assert_eq!(
        key.verification_method_id(),
        "did:key:z6MkiTBz1ymuepAQ4HEHYSF1H8quG5GLVVQR3djdX3mDooWp#z6MkiTBz1ymuepAQ4HEHYSF1H8quG5GLVVQR3djdX3mDooWp"
    );
    let doc = key.document();
    check_shape(&doc);
    assert_eq!(doc.capability_invocation, doc.authentication);
    assert!(matches!(d.parse::<Did>().unwrap(), Did::Key(_)));

    // Wrong multicodec (an X25519 key), wrong base, bad base58.
    for bad in [
        "did:key:z6LSeu9HkTHSfLLeUs2nnzUSNedgDUevfNQgQjQC23ZCit6F",
        "did:key:f6MkiTBz1ymuepAQ4HEHYSF1H8quG5GLVVQR3djdX3mDooWp",
        "did:key:z6MkiTBz1ymuepAQ4HEHYSF1H8quG5GLVVQR3djdX3mDooW0",
        "did:key:z",
    ] {
        assert!(bad.parse::<DidKey>().is_err(), "{bad}");
    }
}

#[test]
fn holders_did_key_resolves_locally() {
    let reg = network();
    let holder = DidKey::new(secret(99).public());
    let r = reg.resolve(&holder.to_string(), &AsOf::Now).unwrap();
    assert_eq!(r.did_document, holder.document());
    let vm = holder.verification_method_id();
    assert_eq!(
        reg.key_valid_at(&holder.to_string(), &vm, &AsOf::Now)
            .unwrap(),
        secret(99).public()
    );
}

/// DID Core: ids are DID URLs of the subject, methods name their controller, every
/// relationship references a listed method, ids are unique, Multikey values match their use.
fn check_shape(doc: &DidDocument) {
    assert_eq!(
        doc.context,
        [
            "https://www.w3.org/ns/did/v1",
            "https://w3id.org/security/multikey/v1"
        ]
    );
    let json = serde_json::to_value(doc).unwrap();
    assert_eq!(json["id"], doc.id.as_str());
    let mut ids: Vec<&str> = Vec::new();
    for vm in &doc.verification_method {
        assert!(vm.id.starts_with(&format!("{}#", doc.id)), "{}", vm.id);
        assert_eq!(vm.controller, doc.id);
        assert_eq!(vm.kind, "Multikey");
        assert!(vm.public_key_multibase.starts_with('z'));
        ids.push(&vm.id);
    }
    for s in &doc.service {
        assert!(s.id.starts_with(&format!("{}#", doc.id)));
        ids.push(&s.id);
    }
    let mut unique = ids.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(unique.len(), ids.len(), "ids are unique");
    for r in doc.assertion_method.iter().chain(&doc.authentication) {
        let vm = doc
            .verification_method(r)
            .expect("references a listed method");
        assert!(vm.public_key_multibase.starts_with("z6Mk"), "Ed25519");
    }
    for r in &doc.key_agreement {
        let vm = doc
            .verification_method(r)
            .expect("references a listed method");
        assert!(vm.public_key_multibase.starts_with("z6LS"), "X25519");
    }
    for relationship in ["assertionMethod", "authentication"] {
        assert!(json[relationship].as_array().is_some_and(|a| !a.is_empty()));
    }
}

#[test]
fn an_authority_document_has_the_did_core_shape() {
    let reg = network();
    let r = reg.resolve(GH, &AsOf::Now).unwrap();
    let doc = &r.did_document;
    check_shape(doc);
    assert_eq!(doc.id, GH);
    assert_eq!(doc.assertion_method, [format!("{GH}#key-1")]);
    assert_eq!(doc.key_agreement, [format!("{GH}#ka-1")]);
    assert_eq!(doc.service[0].service_endpoint, "https://node.cites.gov.gh");
    let json = serde_json::to_value(&r).unwrap();
    assert_eq!(
        json["didDocument"]["verificationMethod"][0]["type"],
        "Multikey"
    );
    assert_eq!(
        json["didDocument"]["service"][0]["serviceEndpoint"],
        "https://node.cites.gov.gh"
    );
    assert_eq!(json["didDocumentMetadata"]["deactivated"], false);
    assert_eq!(
        json["didDocumentMetadata"]["created"],
        "2026-01-01T00:01:00Z"
    );
    // Round trip through DID Core JSON.
    let back: DidDocument = serde_json::from_value(json["didDocument"].clone()).unwrap();
    assert_eq!(&back, doc);

    let secretariat = reg.resolve(SEC, &AsOf::Now).unwrap().did_document;
    check_shape(&secretariat);
    assert!(secretariat.key_agreement.is_empty());
    let empty = web_document(&did(GH), &[], None, &[]);
    assert!(empty.verification_method.is_empty());
}

fn label() -> impl Strategy<Value = String> {
    "[a-z0-9]([a-z0-9-]{0,10}[a-z0-9])?"
}

fn segment() -> impl Strategy<Value = String> {
    "[A-Za-z0-9_.-]{1,12}".prop_filter("not . or ..", |s| s != "." && s != "..")
}

proptest! {
    #[test]
    fn did_web_round_trips(
        labels in prop::collection::vec(label(), 1..4),
        port in prop::option::of(1u16..),
        path in prop::collection::vec(segment(), 0..4),
    ) {
        let host = labels.join(".");
        let path: Vec<&str> = path.iter().map(String::as_str).collect();
        let d = DidWeb::new(&host, port, &path).unwrap();
        let text = d.to_string();
        let back: DidWeb = text.parse().unwrap();
        prop_assert_eq!(&back, &d);
        prop_assert_eq!(back.to_string(), text.clone());
        let json = serde_json::to_string(&d).unwrap();
        prop_assert_eq!(serde_json::from_str::<DidWeb>(&json).unwrap(), d);
        let prefix = format!("https://{}", host);
        prop_assert!(back.document_url().starts_with(&prefix));
    }

    #[test]
    fn did_key_round_trips(seed in any::<[u8; 32]>()) {
        let key = did_registry::SecretKey::from_seed(&seed).public();
        let d = DidKey::new(key);
        let text = d.to_string();
        prop_assert!(text.starts_with("did:key:z6Mk"));
        let back: DidKey = text.parse().unwrap();
        prop_assert_eq!(back, d);
        prop_assert_eq!(Ed25519PublicKey::from_multikey(&key.to_multikey()).unwrap(), key);
    }

    #[test]
    fn any_text_parses_to_the_same_text_or_not_at_all(s in "did:(web|key):[a-zA-Z0-9%:._-]{0,40}") {
        if let Ok(d) = s.parse::<Did>() {
            prop_assert_eq!(d.to_string(), s);
        }
    }
}
