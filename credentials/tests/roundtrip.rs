//! Permit credentials in every securing mechanism: they round-trip, and any change to any
//! field, or to any byte of the proof, is detected.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use contracts::Permit;
use credentials::credential::{self, Draft, StatusEntry, StatusPurpose};
use credentials::keys::SecretKey;
use credentials::presentation;
use credentials::{Mechanism, Secured, Signer};
use serde_json::Value;

const ISSUER: &str = "did:web:cites.gh.example";

fn permit(name: &str) -> Permit {
    let path = format!(
        "{}/../contracts/tests/fixtures/valid/{name}.json",
        env!("CARGO_MANIFEST_DIR")
    );
    Permit::from_json(&std::fs::read(path).unwrap()).unwrap()
}

fn issuer() -> Signer {
    Signer::new(SecretKey::from_seed(&[1; 32]), &format!("{ISSUER}#key-1")).unwrap()
}

fn holder() -> Signer {
    Signer::holder(SecretKey::from_seed(&[2; 32])).unwrap()
}

fn unsigned(p: &Permit) -> Value {
    let status = [
        StatusEntry {
            purpose: StatusPurpose::Revocation,
            list: "https://cites.gh.example/status/revocation/1".into(),
            index: 42,
        },
        StatusEntry {
            purpose: StatusPurpose::Suspension,
            list: "https://cites.gh.example/status/suspension/1".into(),
            index: 42,
        },
    ];
    let holder = holder().public().did_key();
    credential::build(&Draft {
        permit: p,
        issuer: ISSUER,
        holder: &holder,
        salt: "c2FsdA",
        status: &status,
    })
    .unwrap()
}

#[test]
fn every_document_type_round_trips_in_every_mechanism() {
    for name in [
        "export_permit",
        "re_export_certificate",
        "travelling_exhibition_certificate",
        "introduction_from_the_sea",
    ] {
        let p = permit(name);
        for m in Mechanism::ALL {
            let secured = issuer()
                .issue(&unsigned(&p), m, "2026-10-01T08:30:00Z")
                .unwrap();
            assert_eq!(secured.mechanism().unwrap(), m);
            let proven = secured.verify(&issuer().public(), false).unwrap();
            assert_eq!(proven.proof.method, format!("{ISSUER}#key-1"));
            assert_eq!(proven.proof.purpose, "assertionMethod");
            let claims = credential::read(&proven.document).unwrap();
            assert_eq!(claims.permit, p, "{name} {m:?}");
            assert_eq!(claims.issuer, ISSUER);
            assert_eq!(claims.status.len(), 2);
            // It survives serialisation as it travels.
            let text = serde_json::to_string(&secured).unwrap();
            let back: Secured = serde_json::from_str(&text).unwrap();
            assert_eq!(back.digest(), secured.digest());
        }
    }
}

/// Every leaf of a JSON value, as (pointer, value).
fn leaves(v: &Value, path: String, out: &mut Vec<(String, Value)>) {
    match v {
        Value::Object(m) => m.iter().for_each(|(k, x)| {
            leaves(
                x,
                format!("{path}/{}", k.replace('~', "~0").replace('/', "~1")),
                out,
            )
        }),
        Value::Array(a) => a
            .iter()
            .enumerate()
            .for_each(|(i, x)| leaves(x, format!("{path}/{i}"), out)),
        other => out.push((path, other.clone())),
    }
}

fn altered(v: &Value) -> Value {
    match v {
        Value::String(s) => Value::String(format!("{s}x")),
        Value::Bool(b) => Value::Bool(!b),
        Value::Number(n) => Value::from(n.as_i64().unwrap_or(0) + 1),
        Value::Null => Value::from("x"),
        other => other.clone(),
    }
}

#[test]
fn tampering_with_any_field_is_detected() {
    let p = permit("export_permit");
    let vc = unsigned(&p);
    let mut fields = Vec::new();
    leaves(&vc, String::new(), &mut fields);
    assert!(fields.len() > 40, "{} fields", fields.len());
    for m in [
        Mechanism::Jose,
        Mechanism::EddsaJcs2022,
        Mechanism::EddsaRdfc2022,
    ] {
        let secured = issuer().issue(&vc, m, "2026-10-01T08:30:00Z").unwrap();
        for (pointer, value) in &fields {
            let tampered = match &secured {
                Secured::Embedded(doc) => {
                    let mut t = doc.clone();
                    *t.pointer_mut(pointer).unwrap() = altered(value);
                    Secured::Embedded(t)
                }
                Secured::Jwt(token) => {
                    let parts: Vec<&str> = token.split('.').collect();
                    let mut payload = credentials::jose::decode(token).unwrap().payload;
                    *payload.pointer_mut(pointer).unwrap() = altered(value);
                    use base64::Engine as _;
                    let b = base64::engine::general_purpose::URL_SAFE_NO_PAD
                        .encode(serde_json::to_vec(&payload).unwrap());
                    Secured::Jwt(format!("{}.{}.{}", parts[0], b, parts[2]))
                }
            };
            assert!(
                tampered.verify(&issuer().public(), false).is_err(),
                "{m:?}: change at {pointer} not detected"
            );
        }
    }
}

#[test]
fn tampering_with_any_proof_byte_is_detected() {
    let vc = unsigned(&permit("certificate_of_origin"));
    for m in Mechanism::ALL {
        let secured = issuer().issue(&vc, m, "2026-10-01T08:30:00Z").unwrap();
        let (text, make): (String, Box<dyn Fn(String) -> Secured>) = match &secured {
            Secured::Jwt(t) => (t.rsplit_once('.').unwrap().1.to_owned(), {
                let head = t.rsplit_once('.').unwrap().0.to_owned();
                Box::new(move |sig| Secured::Jwt(format!("{head}.{sig}")))
            }),
            Secured::Embedded(doc) => (doc["proof"]["proofValue"].as_str().unwrap().to_owned(), {
                let doc = doc.clone();
                Box::new(move |pv| {
                    let mut d = doc.clone();
                    d["proof"]["proofValue"] = pv.into();
                    Secured::Embedded(d)
                })
            }),
        };
        let alphabet = if m == Mechanism::Jose {
            "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
        } else {
            "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"
        };
        for i in 1..text.len() {
            let c = text.as_bytes()[i] as char;
            let replacement = alphabet.chars().find(|x| *x != c).unwrap();
            let mut changed = text.clone();
            changed.replace_range(i..=i, &replacement.to_string());
            let result = make(changed).verify(&issuer().public(), false);
            assert!(
                result.is_err(),
                "{m:?}: proof char {i} changed and still valid"
            );
        }
    }
}

/// `credential` presented by `h` with `m`, for challenge `c-123` and domain
/// `customs.de.example`.
fn presented(h: &Signer, credential: &Secured, m: Mechanism) -> Secured {
    let vp = presentation::build(&h.public().did_key(), std::slice::from_ref(credential));
    h.present(
        &vp,
        m,
        "2026-10-10T09:00:00Z",
        "c-123",
        "customs.de.example",
    )
    .unwrap()
}

#[test]
fn presentations_carry_challenge_and_domain_in_every_mechanism() {
    let vc = unsigned(&permit("export_permit"));
    for cm in Mechanism::ALL {
        let credential = issuer().issue(&vc, cm, "2026-10-01T08:30:00Z").unwrap();
        for pm in Mechanism::ALL {
            let h = holder();
            let secured = presented(&h, &credential, pm);
            let proven = secured.verify(&h.public(), true).unwrap();
            assert_eq!(
                proven.proof.challenge.as_deref(),
                Some("c-123"),
                "{cm:?} in {pm:?}"
            );
            assert_eq!(proven.proof.domain.as_deref(), Some("customs.de.example"));
            assert_eq!(proven.proof.purpose, "authentication");
            let (holder_did, inner) = presentation::contents(&proven.document).unwrap();
            assert_eq!(holder_did, h.public().did_key());
            assert_eq!(inner, vec![credential.clone()]);
            // A credential token is not a presentation token, and vice versa.
            if pm == Mechanism::Jose {
                assert!(secured.verify(&h.public(), false).is_err());
            }
        }
    }
}

/// `fixtures/presentation-eddsa-rdfc-2022.json` was made by this code with the `json-ld` crates
/// as published (0.21.4), before `third_party/` patched them. Everything that goes into it is
/// fixed (keys, dates, challenge) and Ed25519 is deterministic, so the same presentation made
/// today is the same document, proof bytes included, if and only if RDF canonicalisation
/// still gives what the published library gave.
#[test]
fn rdfc_proofs_match_those_of_the_unpatched_json_ld() {
    let path = format!(
        "{}/tests/fixtures/presentation-eddsa-rdfc-2022.json",
        env!("CARGO_MANIFEST_DIR")
    );
    let fixture: Value = serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap();
    let rdfc = Mechanism::EddsaRdfc2022;
    let credential = issuer()
        .issue(
            &unsigned(&permit("export_permit")),
            rdfc,
            "2026-10-01T08:30:00Z",
        )
        .unwrap();
    let h = holder();
    let made = presented(&h, &credential, rdfc);
    assert_eq!(made, Secured::Embedded(fixture.clone()));
    let fixture = Secured::Embedded(fixture);
    let proven = fixture.verify(&h.public(), true).unwrap();
    let (_, inner) = presentation::contents(&proven.document).unwrap();
    inner[0].verify(&issuer().public(), false).unwrap();
}
