//! Golden files pin the canonical bytes of every registry entry kind: a change here breaks
//! every existing log, so it must be a deliberate new version. Set `UPDATE_GOLDEN=1` to rewrite
//! the files after such a change.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::*;
use did_registry::entry::OfficialRole;
use did_registry::{Body, Entry, EntryError};
use proptest::prelude::*;

fn examples() -> Vec<(&'static str, Vec<u8>)> {
    let sec = secret(1);
    let gh = secret(10);
    let at = t(90);
    let s = |seq, body| leaf(SEC, seq, SEC_LOG, at, body, "key-1", &sec);
    let g = |seq, body| leaf(GH, seq, GH_LOG, at, body, "key-1", &gh);
    vec![
        ("accredit", s(1, accredit_gh())),
        (
            "suspend",
            s(
                2,
                Body::Suspend {
                    subject: did(GH),
                    reason: "Standing Committee recommendation SC78 (Art. XIII)"
                        .parse()
                        .unwrap(),
                },
            ),
        ),
        ("reinstate", s(3, Body::Reinstate { subject: did(GH) })),
        (
            "withdraw",
            s(
                4,
                Body::Withdraw {
                    subject: did(GH),
                    reason: "Designation withdrawn by the Party".parse().unwrap(),
                },
            ),
        ),
        (
            "recover",
            s(
                5,
                Body::Recover {
                    subject: did(GH),
                    verification_methods: vec![vk("key-r1", 12)],
                    key_agreement: ka("ka-r1", 13),
                },
            ),
        ),
        (
            "rotate_keys",
            g(
                1,
                Body::RotateKeys {
                    subject: did(GH),
                    verification_methods: vec![vk("key-2", 14), vk("key-3", 15)],
                    key_agreement: Some(ka("ka-2", 16)),
                },
            ),
        ),
        (
            "add_official",
            g(
                2,
                Body::AddOfficial {
                    subject: did(GH),
                    official: "off-7f3a9c".parse().unwrap(),
                    role: OfficialRole::MaOfficer,
                },
            ),
        ),
        (
            "remove_official",
            g(
                3,
                Body::RemoveOfficial {
                    subject: did(GH),
                    official: "off-7f3a9c".parse().unwrap(),
                },
            ),
        ),
        (
            "update_endpoints",
            g(
                4,
                Body::UpdateEndpoints {
                    subject: did(GH),
                    services: vec![
                        service("node", "CitesNode", "https://node2.cites.gov.gh"),
                        service("epix", "EpixService", "https://epix.cites.gov.gh/v1"),
                    ],
                },
            ),
        ),
    ]
}

#[test]
fn canonical_encoding_is_pinned_by_golden_files() {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/golden");
    for (name, bytes) in examples() {
        let path = format!("{dir}/entry_{name}.json");
        if std::env::var_os("UPDATE_GOLDEN").is_some() {
            std::fs::write(&path, &bytes).unwrap();
        }
        let golden = std::fs::read(&path)
            .unwrap_or_else(|_| panic!("{path} missing; run with UPDATE_GOLDEN=1 once"));
        assert_eq!(
            String::from_utf8_lossy(&bytes),
            String::from_utf8_lossy(&golden),
            "{name}"
        );
        let entry = Entry::decode(&golden).unwrap();
        assert_eq!(entry.unsigned.body.kind(), name);
        assert_eq!(entry.encode().unwrap(), golden, "{name} re-encodes");
        let text = String::from_utf8(golden).unwrap();
        assert!(text.contains("\"v\":1"), "{name}");
        assert!(text.contains(&format!("\"type\":\"{name}\"")), "{name}");
        assert!(did_registry::entry::is_registry_leaf(text.as_bytes()));
        assert!(did_registry::entry::KINDS.contains(&name));
    }
}

#[test]
fn permit_leaves_are_not_registry_leaves() {
    let permit = br#"{"at":"2026-10-01T08:30:00Z","event":{"on":"2026-10-15","permit":{"number":"GH2026000142","party":"GH"},"type":"permit.suspended"},"v":1}"#;
    assert!(!did_registry::entry::is_registry_leaf(permit));
    assert!(!did_registry::entry::is_registry_leaf(b"\x00"));
    assert!(!did_registry::entry::is_registry_leaf(
        br#"{"type":"promote"}"#
    ));
}

#[test]
fn the_signature_covers_everything_but_the_proof() {
    let (_, bytes) = &examples()[1];
    let entry = Entry::decode(bytes).unwrap();
    let signed = String::from_utf8(entry.unsigned.signing_bytes().unwrap()).unwrap();
    assert!(!signed.contains("proof"));
    for field in [
        "\"v\":1",
        "\"author\"",
        "\"seq\":2",
        "\"log\"",
        "\"at\"",
        "\"reason\"",
    ] {
        assert!(signed.contains(field), "{field}");
    }
    assert!(
        secret(1)
            .public()
            .verify(signed.as_bytes(), &entry.proof.sig)
    );
    let text = String::from_utf8(bytes.clone()).unwrap();
    assert!(text.contains(&format!("\"key\":\"{SEC}#key-1\"")));
}

#[test]
fn only_the_canonical_encoding_decodes() {
    let (_, bytes) = &examples()[1];
    let text = String::from_utf8(bytes.clone()).unwrap();

    let spaced = text.replace(",", ", ");
    assert_eq!(
        Entry::decode(spaced.as_bytes()),
        Err(EntryError::NotCanonical)
    );
    let value: serde_json::Value = serde_json::from_slice(bytes).unwrap();
    let pretty = serde_json::to_vec_pretty(&value).unwrap();
    assert_eq!(Entry::decode(&pretty), Err(EntryError::NotCanonical));
    let escaped = text.replace("Standing", "\\u0053tanding");
    assert_eq!(
        Entry::decode(escaped.as_bytes()),
        Err(EntryError::NotCanonical)
    );

    let v2 = text.replace("\"v\":1", "\"v\":2");
    assert_eq!(
        Entry::decode(v2.as_bytes()),
        Err(EntryError::UnsupportedVersion(2))
    );

    let malformed = |s: &str| matches!(Entry::decode(s.as_bytes()), Err(EntryError::Malformed(_)));
    assert!(
        malformed(&text.replace("\"v\":1", "\"v\":1,\"x\":0")),
        "unknown field"
    );
    assert!(malformed(
        &text.replace("\"type\":\"suspend\"", "\"type\":\"promote\"")
    ));
    assert!(
        malformed(&text.replace("\"seq\":2", "\"seq\":0")),
        "seq starts at 1"
    );
    assert!(malformed(&text.replace("\"seq\":2", "\"seq\":-2")));
    assert!(malformed(&text.replace("\"seq\":2", "\"seq\":2.5")));
    assert!(
        malformed(&text.replace("T01:30:00Z", "T01:30:00+00:00")),
        "time format"
    );
    assert!(
        malformed(&text.replace("did:web:registry", "did:web:Registry")),
        "DID spelling"
    );
    assert!(
        malformed(&text.replace(&format!("{SEC}#key-1"), &format!("{GH}#key-1"))),
        "proof key of another DID"
    );
    assert!(malformed(
        &text.replace("\"reason\":\"Standing", "\"reason\":\"\\nStanding")
    ));
    assert!(
        malformed(&text.replace("Standing", "\u{202E}Standing")),
        "bidi override"
    );
    let no_proof = serde_json::to_vec(&{
        let mut v = value.clone();
        v.as_object_mut().unwrap().remove("proof");
        v
    })
    .unwrap();
    assert!(matches!(
        Entry::decode(&no_proof),
        Err(EntryError::Malformed(_))
    ));
    assert!(matches!(
        Entry::decode(b"\xff\xfe"),
        Err(EntryError::Malformed(_))
    ));
    assert!(matches!(Entry::decode(b""), Err(EntryError::Malformed(_))));
    assert!(matches!(
        Entry::decode(b"[]"),
        Err(EntryError::Malformed(_))
    ));

    // Structural rules: an empty key set, an id used twice.
    let empty = leaf_result(Body::RotateKeys {
        subject: did(GH),
        verification_methods: vec![],
        key_agreement: None,
    });
    assert!(matches!(empty, Err(EntryError::Invalid(m)) if m.contains("empty")));
    let twice = leaf_result(Body::RotateKeys {
        subject: did(GH),
        verification_methods: vec![vk("k", 2)],
        key_agreement: Some(ka("k", 3)),
    });
    assert!(matches!(twice, Err(EntryError::Invalid(m)) if m.contains("twice")));
}

fn leaf_result(body: Body) -> Result<Vec<u8>, EntryError> {
    did_registry::UnsignedEntry::new(did(GH), 1, GH_LOG.parse().unwrap(), t(0), body)
        .sign("key-1".parse().unwrap(), &secret(10))?
        .encode()
}

proptest! {
    #[test]
    fn random_bytes_never_panic_the_decoder(bytes in prop::collection::vec(any::<u8>(), 0..512)) {
        let _ = Entry::decode(&bytes);
    }

    #[test]
    fn mutated_entries_never_panic_and_never_decode_to_another_encoding(
        which in 0usize..9,
        at in any::<prop::sample::Index>(),
        byte in any::<u8>(),
    ) {
        let (_, bytes) = &examples()[which];
        let mut mutated = bytes.clone();
        let i = at.index(mutated.len());
        mutated[i] = byte;
        if let Ok(entry) = Entry::decode(&mutated) {
            prop_assert_eq!(entry.encode().unwrap(), mutated);
        }
    }
}
