//! A whole registry history, checked at every point: accreditation, two rotations, suspension,
//! reinstatement, withdrawal, and another authority's recovery after key loss; then the
//! Secretariat rotating its own genesis key. Every question is asked by time and by position,
//! just before and just after each entry.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::*;
use did_registry::entry::OfficialRole;
use did_registry::{
    AsOf, Body, KeyEnd, Position, Registry, RegistryError, Role, Status, TrustList,
};

/// Whether `key` of `did` is valid; on refusal, the reason text.
fn key(reg: &Registry, did: &str, key: &str, as_of: AsOf) -> Result<(), String> {
    reg.key_valid_at(did, &format!("#{key}"), &as_of)
        .map(|_| ())
        .map_err(|e| e.to_string())
}

fn at(m: i64) -> AsOf {
    AsOf::Time(t(m))
}

fn p(log: &str, index: u64) -> AsOf {
    AsOf::Position {
        log: log.into(),
        index,
    }
}

fn status(reg: &Registry, did: &str, as_of: AsOf) -> Status {
    reg.accreditation_at(did, &as_of).unwrap().status
}

fn history() -> (Registry, Vec<(Position, Vec<u8>)>) {
    let mut reg = Registry::new(&genesis());
    let mut leaves = Vec::new();
    let gh1 = secret(10);
    let gh2 = secret(30);
    let gh3 = secret(31);
    let sec = secret(1);
    let sec_leaf = |seq, m, body| leaf(SEC, seq, SEC_LOG, t(m), body, "key-1", &sec);

    // S#0, t1 and S#1, t2: GH and DE accredited.
    put(
        &mut reg,
        &mut leaves,
        pos(SEC_LOG, 0, t(1)),
        &sec_leaf(1, 1, accredit_gh()),
    );
    put(
        &mut reg,
        &mut leaves,
        pos(SEC_LOG, 1, t(2)),
        &sec_leaf(2, 2, accredit_de()),
    );

    // G#5, t10: first rotation, signed by key-1.
    put(
        &mut reg,
        &mut leaves,
        pos(GH_LOG, 5, t(10)),
        &leaf(
            GH,
            1,
            GH_LOG,
            t(10),
            Body::RotateKeys {
                subject: did(GH),
                verification_methods: vec![vk("key-2", 30)],
                key_agreement: None,
            },
            "key-1",
            &gh1,
        ),
    );
    // G#8, t20: an official, signed by key-2.
    put(
        &mut reg,
        &mut leaves,
        pos(GH_LOG, 8, t(20)),
        &leaf(
            GH,
            2,
            GH_LOG,
            t(20),
            Body::AddOfficial {
                subject: did(GH),
                official: "off-1".parse().unwrap(),
                role: OfficialRole::MaOfficer,
            },
            "key-2",
            &gh2,
        ),
    );
    // G#12, t30: second rotation, new key-agreement key too.
    put(
        &mut reg,
        &mut leaves,
        pos(GH_LOG, 12, t(30)),
        &leaf(
            GH,
            3,
            GH_LOG,
            t(30),
            Body::RotateKeys {
                subject: did(GH),
                verification_methods: vec![vk("key-3", 31)],
                key_agreement: Some(ka("ka-2", 32)),
            },
            "key-2",
            &gh2,
        ),
    );
    // S#2, t40: suspend; S#3, t50: reinstate.
    let reason = "Art. XIII compliance procedure".parse().unwrap();
    put(
        &mut reg,
        &mut leaves,
        pos(SEC_LOG, 2, t(40)),
        &sec_leaf(
            3,
            40,
            Body::Suspend {
                subject: did(GH),
                reason,
            },
        ),
    );
    put(
        &mut reg,
        &mut leaves,
        pos(SEC_LOG, 3, t(50)),
        &sec_leaf(4, 50, Body::Reinstate { subject: did(GH) }),
    );
    // G#20, t60: new endpoints.
    put(
        &mut reg,
        &mut leaves,
        pos(GH_LOG, 20, t(60)),
        &leaf(
            GH,
            4,
            GH_LOG,
            t(60),
            Body::UpdateEndpoints {
                subject: did(GH),
                services: vec![service("node", "CitesNode", "https://node2.cites.gov.gh")],
            },
            "key-3",
            &gh3,
        ),
    );
    // S#4, t70: withdraw.
    let reason = "Designation withdrawn by the Party".parse().unwrap();
    put(
        &mut reg,
        &mut leaves,
        pos(SEC_LOG, 4, t(70)),
        &sec_leaf(
            5,
            70,
            Body::Withdraw {
                subject: did(GH),
                reason,
            },
        ),
    );
    // S#5, t80: DE lost key-1; the Secretariat gives it key-r1.
    put(
        &mut reg,
        &mut leaves,
        pos(SEC_LOG, 5, t(80)),
        &sec_leaf(
            6,
            80,
            Body::Recover {
                subject: did(DE),
                verification_methods: vec![vk("key-r1", 40)],
                key_agreement: ka("ka-r1", 42),
            },
        ),
    );
    // D#3, t90: DE rotates with its recovered key.
    put(
        &mut reg,
        &mut leaves,
        pos(DE_LOG, 3, t(90)),
        &leaf(
            DE,
            1,
            DE_LOG,
            t(90),
            Body::RotateKeys {
                subject: did(DE),
                verification_methods: vec![vk("key-r2", 41)],
                key_agreement: None,
            },
            "key-r1",
            &secret(40),
        ),
    );
    // S#6, t100: the Secretariat rotates its genesis key.
    put(
        &mut reg,
        &mut leaves,
        pos(SEC_LOG, 6, t(100)),
        &sec_leaf(
            7,
            100,
            Body::RotateKeys {
                subject: did(SEC),
                verification_methods: vec![vk("key-2", 2)],
                key_agreement: None,
            },
        ),
    );
    // S#7, t110: and uses the new key.
    let reason = "Late annual reports".parse().unwrap();
    put(
        &mut reg,
        &mut leaves,
        pos(SEC_LOG, 7, t(110)),
        &leaf(
            SEC,
            8,
            SEC_LOG,
            t(110),
            Body::Suspend {
                subject: did(DE),
                reason,
            },
            "key-2",
            &secret(2),
        ),
    );
    (reg, leaves)
}

fn put(reg: &mut Registry, leaves: &mut Vec<(Position, Vec<u8>)>, p: Position, bytes: &[u8]) {
    reg.apply(p.clone(), bytes).unwrap();
    leaves.push((p, bytes.to_vec()));
}

fn build() -> Registry {
    history().0
}

fn recorded_leaves() -> Vec<(Position, Vec<u8>)> {
    history().1
}

#[test]
fn keys_are_valid_exactly_between_the_entries_that_add_and_end_them() {
    let reg = build();
    assert_eq!(reg.applied_count(), 13);

    // Before the accreditation GH is unknown.
    assert!(matches!(
        reg.key_valid_at(GH, "#key-1", &at(0)),
        Err(RegistryError::UnknownDid(_))
    ));
    assert!(matches!(
        reg.resolve(GH, &at(0)),
        Err(RegistryError::UnknownDid(_))
    ));

    // key-1: accredited at t1, rotated away at t10 (G#5).
    assert_eq!(key(&reg, GH, "key-1", at(1)), Ok(()));
    assert_eq!(key(&reg, GH, "key-1", at(9)), Ok(()));
    let rotated = key(&reg, GH, "key-1", at(10)).unwrap_err();
    assert!(
        rotated.contains("rotated away") && rotated.contains("cites.gov.gh/log#5"),
        "{rotated}"
    );
    assert_eq!(
        key(&reg, GH, "key-1", p(GH_LOG, 4)),
        Ok(()),
        "a permit before the rotation"
    );
    assert!(key(&reg, GH, "key-1", p(GH_LOG, 5)).is_err());
    assert!(key(&reg, GH, "key-1", p(GH_LOG, 6)).is_err());

    // key-2: from t10 (G#5) to t30 (G#12).
    let early = key(&reg, GH, "key-2", at(9)).unwrap_err();
    assert!(early.contains("not yet valid"), "{early}");
    assert!(key(&reg, GH, "key-2", p(GH_LOG, 4)).is_err());
    assert_eq!(key(&reg, GH, "key-2", at(10)), Ok(()));
    assert_eq!(key(&reg, GH, "key-2", at(29)), Ok(()));
    assert_eq!(key(&reg, GH, "key-2", p(GH_LOG, 5)), Ok(()));
    assert_eq!(key(&reg, GH, "key-2", p(GH_LOG, 11)), Ok(()));
    assert!(key(&reg, GH, "key-2", at(30)).is_err());
    assert!(key(&reg, GH, "key-2", p(GH_LOG, 12)).is_err());

    // key-3: from t30 (G#12) to the withdrawal at t70 (S#4); suspension does not end keys.
    assert!(key(&reg, GH, "key-3", at(29)).is_err());
    for m in [30, 40, 45, 50, 69] {
        assert_eq!(key(&reg, GH, "key-3", at(m)), Ok(()), "t{m}");
    }
    assert_eq!(key(&reg, GH, "key-3", p(GH_LOG, 12)), Ok(()));
    assert_eq!(key(&reg, GH, "key-3", p(GH_LOG, 19)), Ok(()));
    let withdrawn = key(&reg, GH, "key-3", at(70)).unwrap_err();
    assert!(withdrawn.contains("withdrawal"), "{withdrawn}");
    // Past the last GH entry a position means "now", which is after the withdrawal.
    assert!(key(&reg, GH, "key-3", p(GH_LOG, 25)).is_err());
    assert!(key(&reg, GH, "key-3", AsOf::Now).is_err());
    assert_eq!(key(&reg, GH, "key-3", p(SEC_LOG, 3)), Ok(()));
    assert!(key(&reg, GH, "key-3", p(SEC_LOG, 4)).is_err());

    // The full id form and unknown keys.
    assert!(
        reg.key_valid_at(GH, &format!("{GH}#key-3"), &at(35))
            .is_ok()
    );
    assert!(matches!(
        reg.key_valid_at(GH, &format!("{DE}#key-3"), &at(35)),
        Err(RegistryError::UnknownKey { .. })
    ));
    assert!(matches!(
        reg.key_valid_at(GH, "#key-9", &at(35)),
        Err(RegistryError::UnknownKey { .. })
    ));

    // The key history keeps every interval.
    let history = reg.key_history(&did(GH)).unwrap();
    let ends: Vec<_> = history
        .iter()
        .map(|k| {
            let (end, why) = k.validity.until.clone().unwrap();
            (
                k.key.id.to_string(),
                k.validity.from.clone().unwrap().index,
                end.index,
                why,
            )
        })
        .collect();
    assert_eq!(
        ends,
        [
            ("key-1".to_string(), 0, 5, KeyEnd::Rotated),
            ("key-2".to_string(), 5, 12, KeyEnd::Rotated),
            ("key-3".to_string(), 12, 4, KeyEnd::Withdrawn),
        ]
    );
}

#[test]
fn a_credential_is_checked_as_of_its_anchoring_position_and_time() {
    let reg = build();
    let anchored = |log: &str, index, m| AsOf::Anchored {
        log: log.into(),
        index,
        time: t(m),
    };
    // A permit at G#4 in the same second as the rotation at G#5: by time alone the rotation
    // already happened; by position it had not.
    assert!(key(&reg, GH, "key-1", at(10)).is_err());
    assert_eq!(key(&reg, GH, "key-1", anchored(GH_LOG, 4, 10)), Ok(()));
    assert!(key(&reg, GH, "key-1", anchored(GH_LOG, 6, 10)).is_err());
    assert_eq!(key(&reg, GH, "key-2", anchored(GH_LOG, 6, 10)), Ok(()));
    // A DE permit at D#1 before the recovery (t79) keeps its key; by position alone (no later
    // DE entry known before D#3) the recovery would count.
    assert!(key(&reg, DE, "key-1", p(DE_LOG, 1)).is_err());
    assert_eq!(key(&reg, DE, "key-1", anchored(DE_LOG, 1, 79)), Ok(()));
    assert!(key(&reg, DE, "key-1", anchored(DE_LOG, 2, 81)).is_err());
    // A GH permit during the suspension.
    assert_eq!(
        reg.accreditation_at(GH, &anchored(GH_LOG, 15, 45))
            .unwrap()
            .status,
        Status::Suspended
    );
    assert_eq!(
        reg.accreditation_at(GH, &anchored(GH_LOG, 15, 55))
            .unwrap()
            .status,
        Status::Active
    );
}

#[test]
fn accreditation_follows_suspension_reinstatement_and_withdrawal() {
    let reg = build();
    assert!(matches!(
        reg.accreditation_at(GH, &at(0)),
        Err(RegistryError::NotAccredited(_))
    ));
    let a = reg.accreditation_at(GH, &at(1)).unwrap();
    assert_eq!(
        (a.party.as_str(), a.role, a.status),
        ("GH", Role::ManagementAuthority, Status::Active)
    );
    assert_eq!(status(&reg, GH, at(39)), Status::Active);
    assert_eq!(status(&reg, GH, at(40)), Status::Suspended);
    assert_eq!(status(&reg, GH, at(49)), Status::Suspended);
    assert_eq!(status(&reg, GH, p(SEC_LOG, 2)), Status::Suspended);
    assert_eq!(status(&reg, GH, p(SEC_LOG, 1)), Status::Active);
    assert_eq!(status(&reg, GH, at(50)), Status::Active);
    assert_eq!(status(&reg, GH, at(69)), Status::Active);
    assert_eq!(status(&reg, GH, at(70)), Status::Withdrawn);
    let now = reg.accreditation_at(GH, &AsOf::Now).unwrap();
    assert_eq!(now.status_since.index, 4);
    assert_eq!(now.accredited.index, 0);
    // The Secretariat is the root, not an accredited authority.
    assert!(matches!(
        reg.accreditation_at(SEC, &AsOf::Now),
        Err(RegistryError::NotAccredited(_))
    ));
    assert_eq!(
        reg.active_peer("12D3KooWQYhTNQdmr3ArTeUHRYzFg94BKyTkoWBDWez9kSCVe2Xo"),
        None,
        "GH withdrawn"
    );
    assert_eq!(
        reg.active_peer("12D3KooWDpJ7As7BWAwRMfu1VU2WCqNjvq387JEYKDBj4kx6nXTN"),
        None,
        "DE suspended"
    );
    assert_eq!(
        network().active_peer("12D3KooWQYhTNQdmr3ArTeUHRYzFg94BKyTkoWBDWez9kSCVe2Xo"),
        Some(&did(GH))
    );
    assert_eq!(network().active_peer("12D3KooWUnknown"), None);
    assert_eq!(status(&reg, DE, at(109)), Status::Active);
    assert_eq!(status(&reg, DE, at(110)), Status::Suspended);
}

#[test]
fn documents_and_metadata_as_of_each_point() {
    let reg = build();
    let at_pos = |log: &str, index: u64, m: i64| Position {
        log: log.into(),
        index,
        time: t(m),
    };

    let first = reg.resolve(GH, &at(5)).unwrap();
    assert_eq!(first.did_document.assertion_method, [format!("{GH}#key-1")]);
    assert_eq!(first.did_document.key_agreement, [format!("{GH}#ka-1")]);
    assert_eq!(first.did_document_metadata.created, Some(t(1)));
    assert_eq!(
        first.did_document_metadata.version,
        Some(at_pos(SEC_LOG, 0, 1))
    );

    let after_first_rotation = reg.resolve(GH, &p(GH_LOG, 5)).unwrap();
    assert_eq!(
        after_first_rotation.did_document.assertion_method,
        [format!("{GH}#key-2")]
    );
    assert_eq!(
        after_first_rotation.did_document.key_agreement,
        [format!("{GH}#ka-1")],
        "kept"
    );
    assert_eq!(
        after_first_rotation.did_document_metadata.updated,
        Some(t(10))
    );

    let second = reg.resolve(GH, &at(35)).unwrap();
    assert_eq!(second.did_document.authentication, [format!("{GH}#key-3")]);
    assert_eq!(second.did_document.key_agreement, [format!("{GH}#ka-2")]);
    assert_eq!(
        second.did_document_metadata.version,
        Some(at_pos(GH_LOG, 12, 30))
    );
    assert_eq!(second.did_document_metadata.created, Some(t(1)));

    let suspended = reg.resolve(GH, &at(45)).unwrap();
    assert!(!suspended.did_document_metadata.deactivated);
    assert_eq!(
        suspended
            .did_document_metadata
            .accreditation
            .as_ref()
            .unwrap()
            .status,
        Status::Suspended
    );
    assert_eq!(
        suspended.did_document_metadata.version,
        Some(at_pos(SEC_LOG, 2, 40))
    );
    assert_eq!(
        suspended.did_document.verification_method.len(),
        2,
        "keys stay"
    );

    let moved = reg.resolve(GH, &at(65)).unwrap();
    assert_eq!(
        moved.did_document.service[0].service_endpoint,
        "https://node2.cites.gov.gh"
    );
    assert_eq!(
        reg.resolve(GH, &at(59)).unwrap().did_document.service[0].service_endpoint,
        "https://node.cites.gov.gh"
    );

    let gone = reg.resolve(GH, &AsOf::Now).unwrap();
    assert!(gone.did_document_metadata.deactivated);
    assert!(gone.did_document.verification_method.is_empty());
    assert!(gone.did_document.assertion_method.is_empty());
    assert!(gone.did_document.service.is_empty());
    assert_eq!(
        gone.did_document_metadata.version,
        Some(at_pos(SEC_LOG, 4, 70))
    );
    assert_eq!(gone.did_document_metadata.updated, Some(t(70)));
    let json = serde_json::to_value(&gone).unwrap();
    assert_eq!(
        json["didDocumentMetadata"]["versionId"],
        "registry.cites.org/log#4"
    );

    // Officials as of before and after their registration.
    assert!(reg.officials_at(&did(GH), &at(19)).unwrap().is_empty());
    assert_eq!(
        reg.officials_at(&did(GH), &at(20))
            .unwrap()
            .get(&"off-1".parse().unwrap()),
        Some(&OfficialRole::MaOfficer)
    );
    assert_eq!(reg.log_owner(GH_LOG), Some(&did(GH)));
    assert_eq!(reg.next_seq(&did(GH)), Some(5));
    assert_eq!(reg.next_seq(&did(SEC)), Some(9));
}

#[test]
fn recovery_revokes_the_lost_key_from_that_point_on() {
    let reg = build();
    assert_eq!(key(&reg, DE, "key-1", at(79)), Ok(()));
    assert_eq!(key(&reg, DE, "key-1", p(SEC_LOG, 4)), Ok(()));
    let revoked = key(&reg, DE, "key-1", at(80)).unwrap_err();
    assert!(
        revoked.contains("revoked") && revoked.contains("registry.cites.org/log#5"),
        "{revoked}"
    );
    assert!(key(&reg, DE, "key-1", p(SEC_LOG, 5)).is_err());
    assert!(key(&reg, DE, "key-1", AsOf::Now).is_err());

    assert_eq!(key(&reg, DE, "key-r1", at(80)), Ok(()));
    assert_eq!(key(&reg, DE, "key-r1", at(89)), Ok(()));
    assert!(key(&reg, DE, "key-r1", at(90)).is_err());
    assert_eq!(key(&reg, DE, "key-r2", at(90)), Ok(()));
    // Suspension at t110 does not end keys.
    assert_eq!(key(&reg, DE, "key-r2", AsOf::Now), Ok(()));

    let (id, _) = reg.key_agreement_at(&did(DE), &at(85)).unwrap();
    assert_eq!(id, format!("{DE}#ka-r1"));
    let (id, _) = reg.key_agreement_at(&did(DE), &at(79)).unwrap();
    assert_eq!(id, format!("{DE}#ka-1"));
}

#[test]
fn the_secretariat_rotates_its_genesis_key() {
    let reg = build();
    assert_eq!(key(&reg, SEC, "key-1", at(0)), Ok(()), "valid from genesis");
    assert_eq!(key(&reg, SEC, "key-1", at(99)), Ok(()));
    assert!(key(&reg, SEC, "key-1", at(100)).is_err());
    assert_eq!(key(&reg, SEC, "key-2", at(100)), Ok(()));
    let doc = reg.resolve(SEC, &AsOf::Now).unwrap();
    assert_eq!(doc.did_document.assertion_method, [format!("{SEC}#key-2")]);
    assert_eq!(doc.did_document_metadata.created, None);

    // The old key can no longer write.
    let mut reg = reg;
    let stale = leaf(
        SEC,
        9,
        SEC_LOG,
        t(120),
        Body::Reinstate { subject: did(DE) },
        "key-1",
        &secret(1),
    );
    assert!(matches!(
        reg.apply(pos(SEC_LOG, 8, t(120)), &stale),
        Err(RegistryError::KeyNotValid { .. })
    ));
}

#[test]
fn the_trust_list_has_the_active_authorities_per_party() {
    let reg = build();
    let g = genesis();
    let gh = "GH".parse().unwrap();
    let de = "DE".parse().unwrap();
    let ma = Role::ManagementAuthority;

    let both = TrustList::build(&reg, &at(35)).unwrap();
    assert!(both.contains(gh, &did(GH), ma));
    assert!(both.contains(de, &did(DE), ma));
    assert_eq!(both.as_of.as_ref().unwrap().index, 12);
    assert_eq!(both.parties[&gh][0].verification_methods, [vk("key-3", 31)]);
    assert_eq!(both.genesis_id, g.genesis_id().unwrap());

    let suspended = TrustList::build(&reg, &at(45)).unwrap();
    assert!(!suspended.contains(gh, &did(GH), ma));
    assert!(suspended.contains(de, &did(DE), ma));
    assert!(
        TrustList::build(&reg, &at(55))
            .unwrap()
            .contains(gh, &did(GH), ma)
    );

    let recovered = TrustList::build(&reg, &at(95)).unwrap();
    assert!(!recovered.parties.contains_key(&gh), "withdrawn");
    assert_eq!(
        recovered.parties[&de][0].verification_methods,
        [vk("key-r2", 41)]
    );

    let now = TrustList::build(&reg, &AsOf::Now).unwrap();
    assert!(now.parties.is_empty());
    let genesis_only = TrustList::build(&Registry::new(&g), &AsOf::Now).unwrap();
    assert_eq!(genesis_only.as_of, None);

    let json = serde_json::to_value(&both).unwrap();
    assert_eq!(json["parties"]["GH"][0]["did"], GH);
    assert_eq!(json["parties"]["GH"][0]["role"], "management_authority");
    assert_eq!(json["parties"]["GH"][0]["log_origin"], GH_LOG);
    assert_eq!(json["network"], "cites-testnet");
}

#[test]
fn replaying_the_leaves_in_any_order_gives_the_same_registry() {
    let reg = build();
    let leaves = recorded_leaves();
    let mut shuffled = leaves.clone();
    shuffled.reverse();
    shuffled.swap(1, 5);
    let (again, refused) = Registry::replay(&genesis(), shuffled);
    assert!(refused.is_empty(), "{refused:?}");
    for did in [SEC, GH, DE] {
        for m in [0, 5, 10, 35, 45, 75, 85, 95, 120] {
            assert_eq!(
                reg.resolve(did, &at(m)).ok(),
                again.resolve(did, &at(m)).ok(),
                "{did} at t{m}"
            );
        }
    }
    // A forged leaf among them is reported, the rest apply.
    let mut with_forgery = leaves;
    with_forgery.push((
        pos(GH_LOG, 30, t(200)),
        leaf(
            GH,
            5,
            GH_LOG,
            t(200),
            Body::AddOfficial {
                subject: did(GH),
                official: "off-9".parse().unwrap(),
                role: OfficialRole::Admin,
            },
            "key-3",
            &secret(31),
        ),
    ));
    let (again, refused) = Registry::replay(&genesis(), with_forgery);
    assert_eq!(refused.len(), 1);
    assert!(matches!(refused[0].1, RegistryError::Withdrawn(_)));
    assert_eq!(again.applied_count(), reg.applied_count());
}
