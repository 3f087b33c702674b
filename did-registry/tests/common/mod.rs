//! A small fixed network for the tests: deterministic keys (Ed25519 signatures are
//! deterministic too, so entries have fixed bytes) and helpers to write entries.

#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use chrono::{DateTime, Duration, TimeZone, Utc};
use did_registry::did::{AgreementKey, Service, VerificationKey};
use did_registry::genesis::{SecretariatInfo, Witness, WitnessPolicy};
use did_registry::registry::Applied;
use did_registry::{
    Body, DidWeb, Genesis, Position, Registry, RegistryError, SecretKey, UnsignedEntry,
    X25519PublicKey,
};

pub const SEC: &str = "did:web:registry.cites.org";
pub const SEC_LOG: &str = "registry.cites.org/log";
pub const GH: &str = "did:web:cites.gov.gh:ma";
pub const GH_LOG: &str = "cites.gov.gh/log";
pub const DE: &str = "did:web:bfn.de%3A8443:cites";
pub const DE_LOG: &str = "bfn.de/log";

pub fn secret(n: u8) -> SecretKey {
    SecretKey::from_seed(&[n; 32])
}

pub fn did(s: &str) -> DidWeb {
    s.parse().unwrap()
}

/// Minutes after 2026-01-01T00:00:00Z.
pub fn t(minutes: i64) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap() + Duration::minutes(minutes)
}

pub fn vk(id: &str, seed: u8) -> VerificationKey {
    VerificationKey {
        id: id.parse().unwrap(),
        public_key_multibase: secret(seed).public(),
    }
}

pub fn ka(id: &str, byte: u8) -> AgreementKey {
    AgreementKey {
        id: id.parse().unwrap(),
        public_key_multibase: X25519PublicKey::from_bytes([byte; 32]),
    }
}

pub fn service(id: &str, kind: &str, endpoint: &str) -> Service {
    Service {
        id: id.parse().unwrap(),
        kind: kind.parse().unwrap(),
        endpoint: endpoint.parse().unwrap(),
    }
}

pub fn genesis() -> Genesis {
    Genesis {
        network: "cites-testnet".parse().unwrap(),
        secretariat: SecretariatInfo {
            did: did(SEC),
            verification_method: vk("key-1", 1),
            log_origin: SEC_LOG.parse().unwrap(),
            log_key: "registry.cites.org/log+1c6e6a2f+AWu8gUhbE3P2ukH3D5M2DEDafyeY4BuplKsh1BNlFEb"
                .parse()
                .unwrap(),
        },
        witness_policy: WitnessPolicy {
            witnesses: vec![
                Witness {
                    name: "witness.gh.example".parse().unwrap(),
                    key: "witness.gh.example+7b8c9d0e+AXbKkdgJ2HSCp5qzKHqm6s1GQn0Mo6qDCVB6t5aS1d4"
                        .parse()
                        .unwrap(),
                },
                Witness {
                    name: "witness.de.example".parse().unwrap(),
                    key: "witness.de.example+0a1b2c3d+AQm2w0e9vH1kqK7l6a5QjR3tX8uY4zP2nB7cD6eF1gH0"
                        .parse()
                        .unwrap(),
                },
            ],
            quorum: 1,
        },
        bootstrap: vec![
            "/dns4/registry.cites.org/tcp/4001/p2p/12D3KooWGzh9o5MrE3WsYaB2Tt1gFS7eFEbjCzkBHRwFzmfXUp1a"
                .parse()
                .unwrap(),
        ],
    }
}

/// Signs an entry and returns its leaf bytes.
pub fn leaf(
    author: &str,
    seq: u64,
    log: &str,
    at: DateTime<Utc>,
    body: Body,
    key: &str,
    secret: &SecretKey,
) -> Vec<u8> {
    UnsignedEntry::new(did(author), seq, log.parse().unwrap(), at, body)
        .sign(key.parse().unwrap(), secret)
        .unwrap()
        .encode()
        .unwrap()
}

pub fn pos(log: &str, index: u64, time: DateTime<Utc>) -> Position {
    Position {
        log: log.into(),
        index,
        time,
    }
}

pub fn accredit_gh() -> Body {
    Body::Accredit {
        subject: did(GH),
        party: "GH".parse().unwrap(),
        role: did_registry::Role::ManagementAuthority,
        verification_methods: vec![vk("key-1", 10)],
        key_agreement: ka("ka-1", 11),
        log_origin: GH_LOG.parse().unwrap(),
        log_key: "cites.gov.gh/log+5e1f2a3b+AcdX2tq8u3kPq9Yy7LmN4oR1sT6vW0xZ2aB3cD4eF5gH"
            .parse()
            .unwrap(),
        peer_id: "12D3KooWQYhTNQdmr3ArTeUHRYzFg94BKyTkoWBDWez9kSCVe2Xo"
            .parse()
            .unwrap(),
        services: vec![service("node", "CitesNode", "https://node.cites.gov.gh")],
    }
}

pub fn accredit_de() -> Body {
    Body::Accredit {
        subject: did(DE),
        party: "DE".parse().unwrap(),
        role: did_registry::Role::ManagementAuthority,
        verification_methods: vec![vk("key-1", 20)],
        key_agreement: ka("ka-1", 21),
        log_origin: DE_LOG.parse().unwrap(),
        log_key: "bfn.de/log+9a8b7c6d+AaBbCcDdEeFfGgHhIiJjKkLlMmNnOoPpQqRrSsTtUuVvWwXx"
            .parse()
            .unwrap(),
        peer_id: "12D3KooWDpJ7As7BWAwRMfu1VU2WCqNjvq387JEYKDBj4kx6nXTN"
            .parse()
            .unwrap(),
        services: vec![service("node", "CitesNode", "https://cites.bfn.de")],
    }
}

/// A registry with GH accredited at S#0 (t=1) and DE at S#1 (t=2).
pub fn network() -> Registry {
    let mut reg = Registry::new(&genesis());
    let sec = secret(1);
    reg.apply(
        pos(SEC_LOG, 0, t(1)),
        &leaf(SEC, 1, SEC_LOG, t(1), accredit_gh(), "key-1", &sec),
    )
    .unwrap();
    reg.apply(
        pos(SEC_LOG, 1, t(2)),
        &leaf(SEC, 2, SEC_LOG, t(2), accredit_de(), "key-1", &sec),
    )
    .unwrap();
    reg
}

pub fn apply(reg: &mut Registry, p: Position, bytes: &[u8]) -> Result<Applied, RegistryError> {
    reg.apply(p, bytes)
}
