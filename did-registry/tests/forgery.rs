//! Forged, replayed, misplaced and unauthorised entries are refused with the rule they break,
//! and a refused entry changes nothing.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::*;
use did_registry::entry::OfficialRole;
use did_registry::{AsOf, Body, Position, Registry, RegistryError, Resolution};

/// Everything observable about the registry, to check that a refusal changed nothing.
fn snapshot(reg: &Registry) -> (usize, Vec<Resolution>, Vec<Option<u64>>) {
    let dids = [SEC, GH, DE];
    (
        reg.applied_count(),
        dids.iter()
            .map(|d| reg.resolve(d, &AsOf::Now).unwrap())
            .collect(),
        dids.iter().map(|d| reg.next_seq(&did(d))).collect(),
    )
}

/// Applies an entry that must be refused; returns why and checks nothing changed.
fn refused(reg: &mut Registry, p: Position, bytes: &[u8]) -> RegistryError {
    let before = snapshot(reg);
    let err = reg.apply(p, bytes).expect_err("must be refused");
    assert_eq!(
        snapshot(reg),
        before,
        "a refused entry changes nothing ({err})"
    );
    err
}

fn rotate(subject: &str, id: &str, seed: u8) -> Body {
    Body::RotateKeys {
        subject: did(subject),
        verification_methods: vec![vk(id, seed)],
        key_agreement: None,
    }
}

fn add_official(subject: &str, id: &str) -> Body {
    Body::AddOfficial {
        subject: did(subject),
        official: id.parse().unwrap(),
        role: OfficialRole::CustomsOfficer,
    }
}

fn suspend(subject: &str) -> Body {
    Body::Suspend {
        subject: did(subject),
        reason: "test".parse().unwrap(),
    }
}

#[test]
fn an_entry_signed_by_someone_else_is_refused() {
    let mut reg = network();
    // The GH MA forges a Secretariat suspension of DE, naming the Secretariat's key.
    let forged = leaf(SEC, 3, SEC_LOG, t(5), suspend(DE), "key-1", &secret(10));
    let err = refused(&mut reg, pos(SEC_LOG, 2, t(5)), &forged);
    assert!(
        matches!(err, RegistryError::BadSignature { ref key } if key == &format!("{SEC}#key-1")),
        "{err}"
    );
    // A bit flipped in a genuine entry's content.
    let genuine = leaf(
        GH,
        1,
        GH_LOG,
        t(5),
        add_official(GH, "off-1"),
        "key-1",
        &secret(10),
    );
    let tampered = String::from_utf8(genuine.clone())
        .unwrap()
        .replace("off-1", "off-2");
    let err = refused(&mut reg, pos(GH_LOG, 0, t(5)), tampered.as_bytes());
    assert!(matches!(err, RegistryError::BadSignature { .. }), "{err}");
    // The genuine one still applies: the refusals consumed nothing.
    reg.apply(pos(GH_LOG, 0, t(5)), &genuine).unwrap();
}

#[test]
fn a_replayed_entry_is_refused() {
    let mut reg = network();
    let entry = leaf(
        GH,
        1,
        GH_LOG,
        t(5),
        add_official(GH, "off-1"),
        "key-1",
        &secret(10),
    );
    reg.apply(pos(GH_LOG, 0, t(5)), &entry).unwrap();
    let err = refused(&mut reg, pos(GH_LOG, 1, t(6)), &entry);
    assert_eq!(
        err,
        RegistryError::Replay {
            author: GH.into(),
            expected: 2,
            got: 1
        }
    );
    // A new entry reusing the old seq is a replay too, a skipped seq a gap.
    let same_seq = leaf(
        GH,
        1,
        GH_LOG,
        t(6),
        add_official(GH, "off-2"),
        "key-1",
        &secret(10),
    );
    assert!(matches!(
        refused(&mut reg, pos(GH_LOG, 1, t(6)), &same_seq),
        RegistryError::Replay { .. }
    ));
    let gap = leaf(
        GH,
        3,
        GH_LOG,
        t(6),
        add_official(GH, "off-2"),
        "key-1",
        &secret(10),
    );
    assert!(matches!(
        refused(&mut reg, pos(GH_LOG, 1, t(6)), &gap),
        RegistryError::SeqGap {
            expected: 2,
            got: 3,
            ..
        }
    ));
}

#[test]
fn an_entry_copied_onto_another_log_is_refused() {
    let mut reg = network();
    let gh_entry = leaf(
        GH,
        1,
        GH_LOG,
        t(5),
        add_official(GH, "off-1"),
        "key-1",
        &secret(10),
    );
    let err = refused(&mut reg, pos(DE_LOG, 0, t(5)), &gh_entry);
    assert_eq!(
        err,
        RegistryError::WrongLog {
            entry_log: GH_LOG.into(),
            position_log: DE_LOG.into()
        }
    );
    // The Secretariat's accreditation copied onto the GH log.
    let sec_entry = leaf(SEC, 3, SEC_LOG, t(5), suspend(DE), "key-1", &secret(1));
    assert!(matches!(
        refused(&mut reg, pos(GH_LOG, 0, t(5)), &sec_entry),
        RegistryError::WrongLog { .. }
    ));
    // An entry that names the log it is on, but the log is not the author's.
    let on_de_log = leaf(
        GH,
        1,
        DE_LOG,
        t(5),
        add_official(GH, "off-1"),
        "key-1",
        &secret(10),
    );
    assert!(matches!(
        refused(&mut reg, pos(DE_LOG, 0, t(5)), &on_de_log),
        RegistryError::NotOwnLog { .. }
    ));
}

#[test]
fn an_entry_about_another_partys_authority_is_refused() {
    let mut reg = network();
    let err = refused(
        &mut reg,
        pos(GH_LOG, 0, t(5)),
        &leaf(
            GH,
            1,
            GH_LOG,
            t(5),
            rotate(DE, "key-x", 50),
            "key-1",
            &secret(10),
        ),
    );
    assert_eq!(
        err,
        RegistryError::ForeignSubject {
            author: GH.into(),
            subject: DE.into(),
            party: Some("DE".parse().unwrap())
        }
    );
    assert!(err.to_string().contains("an authority of DE"), "{err}");
    let officials = leaf(
        GH,
        1,
        GH_LOG,
        t(5),
        add_official(DE, "off-1"),
        "key-1",
        &secret(10),
    );
    assert!(matches!(
        refused(&mut reg, pos(GH_LOG, 0, t(5)), &officials),
        RegistryError::ForeignSubject { .. }
    ));
}

#[test]
fn a_rotation_signed_by_the_rotated_away_key_is_refused() {
    let mut reg = network();
    reg.apply(
        pos(GH_LOG, 0, t(5)),
        &leaf(
            GH,
            1,
            GH_LOG,
            t(5),
            rotate(GH, "key-2", 30),
            "key-1",
            &secret(10),
        ),
    )
    .unwrap();
    let err = refused(
        &mut reg,
        pos(GH_LOG, 1, t(6)),
        &leaf(
            GH,
            2,
            GH_LOG,
            t(6),
            rotate(GH, "key-9", 59),
            "key-1",
            &secret(10),
        ),
    );
    assert!(
        matches!(err, RegistryError::KeyNotValid { ref why, .. } if why.contains("rotated")),
        "{err}"
    );
    // A key the author never had.
    let err = refused(
        &mut reg,
        pos(GH_LOG, 1, t(6)),
        &leaf(
            GH,
            2,
            GH_LOG,
            t(6),
            rotate(GH, "key-9", 59),
            "key-7",
            &secret(10),
        ),
    );
    assert!(matches!(err, RegistryError::UnknownKey { .. }), "{err}");
    // Old ids and old keys do not come back.
    let err = refused(
        &mut reg,
        pos(GH_LOG, 1, t(6)),
        &leaf(
            GH,
            2,
            GH_LOG,
            t(6),
            rotate(GH, "key-1", 59),
            "key-2",
            &secret(30),
        ),
    );
    assert!(matches!(err, RegistryError::Reused { .. }), "{err}");
    let err = refused(
        &mut reg,
        pos(GH_LOG, 1, t(6)),
        &leaf(
            GH,
            2,
            GH_LOG,
            t(6),
            rotate(GH, "key-3", 10),
            "key-2",
            &secret(30),
        ),
    );
    assert!(matches!(err, RegistryError::Reused { .. }), "{err}");
}

#[test]
fn secretariat_kinds_from_an_authority_are_refused() {
    let mut reg = network();
    let mut body = accredit_gh();
    if let Body::Accredit {
        subject,
        log_origin,
        peer_id,
        ..
    } = &mut body
    {
        *subject = did("did:web:rogue.gh.example");
        *log_origin = "rogue.gh.example/log".parse().unwrap();
        *peer_id = "12D3KooWRogue".parse().unwrap();
    }
    let err = refused(
        &mut reg,
        pos(GH_LOG, 0, t(5)),
        &leaf(GH, 1, GH_LOG, t(5), body.clone(), "key-1", &secret(10)),
    );
    assert_eq!(
        err,
        RegistryError::NotSecretariat {
            author: GH.into(),
            kind: "accredit"
        }
    );
    for kind in [suspend(DE), Body::Reinstate { subject: did(DE) }] {
        let err = refused(
            &mut reg,
            pos(GH_LOG, 0, t(5)),
            &leaf(GH, 1, GH_LOG, t(5), kind, "key-1", &secret(10)),
        );
        assert!(matches!(err, RegistryError::NotSecretariat { .. }), "{err}");
    }
    // Written for the Secretariat's log: not the author's log.
    let err = refused(
        &mut reg,
        pos(SEC_LOG, 2, t(5)),
        &leaf(GH, 1, SEC_LOG, t(5), body, "key-1", &secret(10)),
    );
    assert!(matches!(err, RegistryError::NotOwnLog { .. }), "{err}");
}

#[test]
fn a_suspended_or_withdrawn_authority_cannot_write() {
    let mut reg = network();
    let sec = secret(1);
    reg.apply(
        pos(SEC_LOG, 2, t(5)),
        &leaf(SEC, 3, SEC_LOG, t(5), suspend(GH), "key-1", &sec),
    )
    .unwrap();
    let entry = leaf(
        GH,
        1,
        GH_LOG,
        t(6),
        add_official(GH, "off-1"),
        "key-1",
        &secret(10),
    );
    assert_eq!(
        refused(&mut reg, pos(GH_LOG, 0, t(6)), &entry),
        RegistryError::Suspended(GH.into())
    );
    assert!(matches!(
        refused(
            &mut reg,
            pos(SEC_LOG, 3, t(6)),
            &leaf(SEC, 4, SEC_LOG, t(6), suspend(GH), "key-1", &sec)
        ),
        RegistryError::AlreadySuspended(_)
    ));
    reg.apply(
        pos(SEC_LOG, 3, t(7)),
        &leaf(
            SEC,
            4,
            SEC_LOG,
            t(7),
            Body::Reinstate { subject: did(GH) },
            "key-1",
            &sec,
        ),
    )
    .unwrap();
    assert!(matches!(
        refused(
            &mut reg,
            pos(SEC_LOG, 4, t(7)),
            &leaf(
                SEC,
                5,
                SEC_LOG,
                t(7),
                Body::Reinstate { subject: did(GH) },
                "key-1",
                &sec
            )
        ),
        RegistryError::NotSuspended(_)
    ));
    // Reinstated: the same entry now applies (at a later position and time).
    reg.apply(pos(GH_LOG, 1, t(8)), &entry).unwrap();

    let withdraw = Body::Withdraw {
        subject: did(GH),
        reason: "test".parse().unwrap(),
    };
    reg.apply(
        pos(SEC_LOG, 4, t(9)),
        &leaf(SEC, 5, SEC_LOG, t(9), withdraw, "key-1", &sec),
    )
    .unwrap();
    let after = leaf(
        GH,
        2,
        GH_LOG,
        t(10),
        add_official(GH, "off-2"),
        "key-1",
        &secret(10),
    );
    assert_eq!(
        refused(&mut reg, pos(GH_LOG, 2, t(10)), &after),
        RegistryError::Withdrawn(GH.into())
    );
    // Withdrawal is final: no re-accreditation, no reinstatement.
    assert_eq!(
        refused(
            &mut reg,
            pos(SEC_LOG, 5, t(10)),
            &leaf(SEC, 6, SEC_LOG, t(10), accredit_gh(), "key-1", &sec)
        ),
        RegistryError::Withdrawn(GH.into())
    );
    assert_eq!(
        refused(
            &mut reg,
            pos(SEC_LOG, 5, t(10)),
            &leaf(
                SEC,
                6,
                SEC_LOG,
                t(10),
                Body::Reinstate { subject: did(GH) },
                "key-1",
                &sec
            )
        ),
        RegistryError::Withdrawn(GH.into())
    );
}

#[test]
fn registry_rules_on_subjects_and_order() {
    let mut reg = network();
    let sec = secret(1);

    // An author the registry never heard of.
    let rogue = leaf(
        "did:web:rogue.example",
        1,
        "rogue.example/log",
        t(5),
        add_official("did:web:rogue.example", "x"),
        "key-1",
        &secret(66),
    );
    assert_eq!(
        refused(&mut reg, pos("rogue.example/log", 0, t(5)), &rogue),
        RegistryError::UnknownAuthor("did:web:rogue.example".into())
    );
    // Accrediting twice, taking another's log, suspending an unknown DID, or the Secretariat.
    assert!(matches!(
        refused(
            &mut reg,
            pos(SEC_LOG, 2, t(5)),
            &leaf(SEC, 3, SEC_LOG, t(5), accredit_gh(), "key-1", &sec)
        ),
        RegistryError::AlreadyAccredited(_)
    ));
    let mut taken = accredit_gh();
    if let Body::Accredit {
        subject, peer_id, ..
    } = &mut taken
    {
        *subject = did("did:web:other.gh.example");
        *peer_id = "12D3KooWOther".parse().unwrap();
    }
    assert!(matches!(
        refused(
            &mut reg,
            pos(SEC_LOG, 2, t(5)),
            &leaf(SEC, 3, SEC_LOG, t(5), taken, "key-1", &sec)
        ),
        RegistryError::LogOriginTaken { .. }
    ));
    let mut peer_taken = accredit_gh();
    if let Body::Accredit {
        subject,
        log_origin,
        ..
    } = &mut peer_taken
    {
        *subject = did("did:web:other.gh.example");
        *log_origin = "other.gh.example/log".parse().unwrap();
    }
    assert!(matches!(
        refused(
            &mut reg,
            pos(SEC_LOG, 2, t(5)),
            &leaf(SEC, 3, SEC_LOG, t(5), peer_taken, "key-1", &sec)
        ),
        RegistryError::PeerIdTaken { .. }
    ));
    let mut secretariat_log = accredit_gh();
    if let Body::Accredit {
        subject,
        log_origin,
        peer_id,
        ..
    } = &mut secretariat_log
    {
        *subject = did("did:web:other.gh.example");
        *log_origin = SEC_LOG.parse().unwrap();
        *peer_id = "12D3KooWOther".parse().unwrap();
    }
    assert!(matches!(
        refused(&mut reg, pos(SEC_LOG, 2, t(5)), &leaf(SEC, 3, SEC_LOG, t(5), secretariat_log, "key-1", &sec)),
        RegistryError::LogOriginTaken { ref owner, .. } if owner == SEC
    ));
    assert!(matches!(
        refused(
            &mut reg,
            pos(SEC_LOG, 2, t(5)),
            &leaf(
                SEC,
                3,
                SEC_LOG,
                t(5),
                suspend("did:web:nobody.example"),
                "key-1",
                &sec
            )
        ),
        RegistryError::NotAccredited(_)
    ));
    assert_eq!(
        refused(
            &mut reg,
            pos(SEC_LOG, 2, t(5)),
            &leaf(SEC, 3, SEC_LOG, t(5), suspend(SEC), "key-1", &sec)
        ),
        RegistryError::SubjectIsSecretariat("suspend")
    );
    // Officials: no duplicates, no removal of strangers.
    reg.apply(
        pos(GH_LOG, 0, t(5)),
        &leaf(
            GH,
            1,
            GH_LOG,
            t(5),
            add_official(GH, "off-1"),
            "key-1",
            &secret(10),
        ),
    )
    .unwrap();
    assert!(matches!(
        refused(
            &mut reg,
            pos(GH_LOG, 1, t(6)),
            &leaf(
                GH,
                2,
                GH_LOG,
                t(6),
                add_official(GH, "off-1"),
                "key-1",
                &secret(10)
            )
        ),
        RegistryError::OfficialExists(_)
    ));
    let remove = |id: &str| Body::RemoveOfficial {
        subject: did(GH),
        official: id.parse().unwrap(),
    };
    assert!(matches!(
        refused(
            &mut reg,
            pos(GH_LOG, 1, t(6)),
            &leaf(GH, 2, GH_LOG, t(6), remove("off-9"), "key-1", &secret(10))
        ),
        RegistryError::UnknownOfficial(_)
    ));

    // Order: back in time, back in the log, an entry dated after its log time.
    let next = leaf(GH, 2, GH_LOG, t(6), remove("off-1"), "key-1", &secret(10));
    assert!(matches!(
        refused(&mut reg, pos(GH_LOG, 1, t(4)), &next),
        RegistryError::OutOfOrder(_)
    ));
    assert!(matches!(
        refused(&mut reg, pos(GH_LOG, 0, t(6)), &next),
        RegistryError::OutOfOrder(_)
    ));
    assert!(matches!(
        refused(&mut reg, pos(GH_LOG, 1, t(5)), &next),
        RegistryError::FromTheFuture { .. }
    ));
    // Not canonical bytes.
    let spaced = String::from_utf8(next.clone())
        .unwrap()
        .replacen(',', ", ", 1);
    assert!(matches!(
        refused(&mut reg, pos(GH_LOG, 1, t(6)), spaced.as_bytes()),
        RegistryError::Entry(_)
    ));
    reg.apply(pos(GH_LOG, 1, t(6)), &next).unwrap();
    assert!(reg.officials_at(&did(GH), &AsOf::Now).unwrap().is_empty());
}
