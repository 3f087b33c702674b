//! Golden files pin the canonical bytes of every log entry kind: a change here breaks every
//! existing log, so it must be a deliberate new version, never an accident. Set
//! `UPDATE_GOLDEN=1` to rewrite the files after such a deliberate change.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use chrono::{NaiveDate, TimeZone, Utc};
use contracts::entry::{CancelReason, EntryError, commit};
use contracts::{Digest, EntryKind, LogEntry, Permit, PermitKey, Register, ReplayError};

fn key(n: &str) -> PermitKey {
    PermitKey {
        party: "GH".parse().unwrap(),
        number: n.into(),
    }
}

fn day(s: &str) -> NaiveDate {
    s.parse().unwrap()
}

fn digest(byte: u8) -> Digest {
    Digest([byte; 32])
}

fn examples() -> Vec<(&'static str, LogEntry)> {
    let at = Utc.with_ymd_and_hms(2026, 10, 1, 8, 30, 0).unwrap();
    let k = key("GH2026000142");
    vec![
        (
            "issued",
            LogEntry::new(
                at,
                EntryKind::Issued {
                    permit: k.clone(),
                    document_type: contracts::DocumentType::ExportPermit,
                    valid_from: day("2026-10-01"),
                    valid_until: day("2027-03-31"),
                    credential: digest(0xc1),
                    commitment: digest(0xa7),
                    replaces: Some(key("GH2026000100")),
                },
            ),
        ),
        (
            "endorsed",
            LogEntry::new(
                at,
                EntryKind::Endorsed {
                    permit: k.clone(),
                    on: day("2026-10-10"),
                    commitment: digest(0xe1),
                },
            ),
        ),
        (
            "import_confirmed",
            LogEntry::new(
                at,
                EntryKind::ImportConfirmed {
                    permit: k.clone(),
                    on: day("2026-10-12"),
                    by: "DE".parse().unwrap(),
                    commitment: digest(0xe2),
                },
            ),
        ),
        (
            "cancelled",
            LogEntry::new(
                at,
                EntryKind::Cancelled {
                    permit: k.clone(),
                    on: day("2026-10-13"),
                    reason: CancelReason::Stolen,
                },
            ),
        ),
        (
            "replaced",
            LogEntry::new(
                at,
                EntryKind::Replaced {
                    permit: k.clone(),
                    on: day("2026-10-14"),
                    by: key("GH2026000199"),
                },
            ),
        ),
        (
            "suspended",
            LogEntry::new(
                at,
                EntryKind::Suspended {
                    permit: k.clone(),
                    on: day("2026-10-15"),
                },
            ),
        ),
        (
            "reinstated",
            LogEntry::new(
                at,
                EntryKind::Reinstated {
                    permit: k,
                    on: day("2026-10-16"),
                },
            ),
        ),
    ]
}

#[test]
fn canonical_encoding_is_pinned_by_golden_files() {
    let dir = format!("{}/tests/golden", env!("CARGO_MANIFEST_DIR"));
    for (name, entry) in examples() {
        let bytes = entry.encode().unwrap();
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
        assert_eq!(LogEntry::decode(&golden).unwrap(), entry, "{name} decodes");
    }
}

#[test]
fn only_the_canonical_encoding_decodes() {
    let (_, entry) = &examples()[1];
    let bytes = entry.encode().unwrap();
    let text = String::from_utf8(bytes.clone()).unwrap();

    let spaced = text.replace(",", ", ");
    assert_eq!(
        LogEntry::decode(spaced.as_bytes()),
        Err(EntryError::NotCanonical)
    );

    let value: serde_json::Value = serde_json::from_slice(&bytes).unwrap();
    let pretty = serde_json::to_vec_pretty(&value).unwrap();
    assert_eq!(LogEntry::decode(&pretty), Err(EntryError::NotCanonical));

    let v2 = text.replace("\"v\":1", "\"v\":2");
    assert_eq!(
        LogEntry::decode(v2.as_bytes()),
        Err(EntryError::UnsupportedVersion(2))
    );

    let extra = text.replace("\"v\":1", "\"v\":1,\"x\":0");
    assert!(matches!(
        LogEntry::decode(extra.as_bytes()),
        Err(EntryError::Malformed(_))
    ));

    let upper = text.replace(&"e1".repeat(32), &"E1".repeat(32));
    assert!(matches!(
        LogEntry::decode(upper.as_bytes()),
        Err(EntryError::Malformed(_))
    ));

    assert!(matches!(
        LogEntry::decode(b"\xff\xfe"),
        Err(EntryError::Malformed(_))
    ));
    assert!(matches!(
        LogEntry::decode(b""),
        Err(EntryError::Malformed(_))
    ));
}

#[test]
fn commitments_bind_the_permit_and_the_salt() {
    let path = format!(
        "{}/tests/fixtures/valid/export_permit.json",
        env!("CARGO_MANIFEST_DIR")
    );
    let permit = Permit::from_json(&std::fs::read(path).unwrap()).unwrap();
    let salt = [7u8; 32];
    let c = commit(&permit, &salt).unwrap();
    assert_eq!(c, commit(&permit, &salt).unwrap(), "deterministic");
    assert_ne!(c, commit(&permit, &[8u8; 32]).unwrap(), "salted");
    let mut changed = permit.clone();
    changed.blocks[0].quantity = "49".parse().unwrap();
    assert_ne!(c, commit(&changed, &salt).unwrap(), "binds the quantities");
}

#[test]
fn replaying_a_log_applies_the_rules() {
    let mut reg = Register::new("GH".parse().unwrap());
    let entries = examples();
    let issued = &entries[0].1;
    reg.apply(issued).unwrap();
    assert_eq!(
        reg.apply(issued),
        Err(ReplayError::DuplicateIssuance(key("GH2026000142")))
    );
    reg.apply(&entries[1].1).unwrap(); // endorsed
    reg.apply(&entries[2].1).unwrap(); // import confirmed
    let again = &entries[2].1;
    assert!(matches!(
        reg.apply(again),
        Err(ReplayError::Transition {
            error: contracts::TransitionError::AlreadyConfirmed { .. },
            ..
        })
    ));
    let unknown = LogEntry::new(
        Utc::now(),
        EntryKind::Suspended {
            permit: key("NOPE"),
            on: day("2026-10-15"),
        },
    );
    assert_eq!(
        reg.apply(&unknown),
        Err(ReplayError::UnknownPermit(key("NOPE")))
    );
    let foreign = LogEntry::new(
        Utc::now(),
        EntryKind::Suspended {
            permit: PermitKey {
                party: "TG".parse().unwrap(),
                number: "1".into(),
            },
            on: day("2026-10-15"),
        },
    );
    assert!(matches!(
        reg.apply(&foreign),
        Err(ReplayError::ForeignPermit { .. })
    ));
    assert_eq!(reg.len(), 1);
}
