//! The genesis file: strict parsing, a stable id, and a secret that never prints.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::*;
use did_registry::genesis::{GenesisError, Witness, WitnessPolicy};
use did_registry::{Genesis, SecretKey};

const EXAMPLE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/examples/genesis.json");

#[test]
fn the_example_file_is_the_fixture_and_parses() {
    let expected = genesis();
    if std::env::var_os("UPDATE_GOLDEN").is_some() {
        std::fs::write(EXAMPLE, expected.to_json_pretty().unwrap() + "\n").unwrap();
    }
    let parsed = Genesis::from_json(&std::fs::read(EXAMPLE).unwrap()).unwrap();
    assert_eq!(parsed, expected);
}

#[test]
fn genesis_id_is_pinned_and_ignores_layout() {
    let g = genesis();
    let id = g.genesis_id().unwrap().to_string();
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/golden/genesis_id.txt");
    if std::env::var_os("UPDATE_GOLDEN").is_some() {
        std::fs::write(path, &id).unwrap();
    }
    assert_eq!(id, std::fs::read_to_string(path).unwrap());
    assert_eq!(id.len(), 64);

    // Same values, other layout: same id.
    let compact = serde_json::to_vec(&g).unwrap();
    let again = Genesis::from_json(&compact).unwrap();
    assert_eq!(again.genesis_id().unwrap().to_string(), id);

    // Any value changes the id.
    let mut other = g.clone();
    other.witness_policy.quorum = 2;
    assert_ne!(other.genesis_id().unwrap().to_string(), id);
}

fn edited(f: impl FnOnce(&mut serde_json::Value)) -> Result<Genesis, GenesisError> {
    let mut v = serde_json::to_value(genesis()).unwrap();
    f(&mut v);
    Genesis::from_json(&serde_json::to_vec(&v).unwrap())
}

#[test]
fn parsing_is_strict() {
    assert!(edited(|_| {}).is_ok());
    let unknown = edited(|v| v["extra"] = 1.into());
    assert!(matches!(unknown, Err(GenesisError::Malformed(m)) if m.contains("unknown field")));
    let nested = edited(|v| v["secretariat"]["name"] = "x".into());
    assert!(matches!(nested, Err(GenesisError::Malformed(_))));
    let missing = edited(|v| {
        v.as_object_mut().unwrap().remove("bootstrap");
    });
    assert!(matches!(missing, Err(GenesisError::Malformed(_))));

    assert_eq!(
        edited(|v| v["witness_policy"]["quorum"] = 0.into()),
        Err(GenesisError::BadQuorum {
            quorum: 0,
            witnesses: 2
        })
    );
    assert_eq!(
        edited(|v| v["witness_policy"]["quorum"] = 3.into()),
        Err(GenesisError::BadQuorum {
            quorum: 3,
            witnesses: 2
        })
    );
    assert!(matches!(
        edited(|v| v["witness_policy"]["witnesses"][1]["name"] = "witness.gh.example".into()),
        Err(GenesisError::DuplicateWitness(_))
    ));

    for bad_did in [
        "did:key:z6MkiTBz1ymuepAQ4HEHYSF1H8quG5GLVVQR3djdX3mDooWp",
        "did:web:Registry.cites.org",
        "did:web:",
        "https://registry.cites.org",
    ] {
        let r = edited(|v| v["secretariat"]["did"] = bad_did.into());
        assert!(matches!(r, Err(GenesisError::Malformed(_))), "{bad_did}");
    }
    // An X25519 key where the Ed25519 signing key belongs.
    let r = edited(|v| {
        v["secretariat"]["verification_method"]["public_key_multibase"] =
            "z6LSeu9HkTHSfLLeUs2nnzUSNedgDUevfNQgQjQC23ZCit6F".into()
    });
    assert!(matches!(r, Err(GenesisError::Malformed(m)) if m.contains("Ed25519")));
    let r = edited(|v| v["secretariat"]["log_origin"] = "has space".into());
    assert!(matches!(r, Err(GenesisError::Malformed(_))));
}

#[test]
fn a_new_network_gets_a_fresh_secretariat_key_kept_apart() {
    let policy = WitnessPolicy {
        witnesses: vec![Witness {
            name: "w1".parse().unwrap(),
            key: "w1+00000000+AAAA".parse().unwrap(),
        }],
        quorum: 1,
    };
    let (g, key) = Genesis::new_network(
        "cites-dev",
        did(SEC),
        SEC_LOG,
        "registry.cites.org/log+1c6e6a2f+AAAA",
        policy.clone(),
        &["/ip4/127.0.0.1/tcp/4001"],
    )
    .unwrap();
    assert_eq!(
        g.secretariat.verification_method.public_key_multibase,
        key.public()
    );
    assert_eq!(g.secretariat.verification_method.id.as_str(), "key-1");
    let json = g.to_json_pretty().unwrap();
    assert_eq!(Genesis::from_json(json.as_bytes()).unwrap(), g);

    let seed_b64 = format!("{:?}", key.to_seed());
    let debug = format!("{key:?}");
    assert!(debug.contains("redacted"));
    assert!(!debug.contains(&seed_b64));
    assert!(!json.contains(&seed_b64));

    let (g2, key2) =
        Genesis::new_network("cites-dev", did(SEC), SEC_LOG, "k+1+AA", policy, &[]).unwrap();
    assert_ne!(key.public(), key2.public(), "a fresh key each time");
    assert_ne!(g.genesis_id().unwrap(), g2.genesis_id().unwrap());

    let bad = Genesis::new_network(
        "cites-dev",
        did(SEC),
        SEC_LOG,
        "k",
        WitnessPolicy {
            witnesses: vec![],
            quorum: 1,
        },
        &[],
    );
    assert!(matches!(bad, Err(GenesisError::BadQuorum { .. })));
    let _: Option<SecretKey> = None;
}
