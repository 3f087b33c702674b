//! Whatever order entries arrive in, genuine or forged: the registry never panics, a refused
//! entry changes nothing, and replaying the accepted entries gives the same registry.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::*;
use did_registry::entry::OfficialRole;
use did_registry::{AsOf, Body, Registry, Resolution};
use proptest::prelude::*;

fn pool() -> Vec<(&'static str, Vec<u8>)> {
    let s = secret(1);
    let at = t(0);
    let sec = |seq, body| (SEC_LOG, leaf(SEC, seq, SEC_LOG, at, body, "key-1", &s));
    let reason = || "r".parse().unwrap();
    let rotate = |subject: &str, id: &str, seed| Body::RotateKeys {
        subject: did(subject),
        verification_methods: vec![vk(id, seed)],
        key_agreement: None,
    };
    let official = |subject: &str| Body::AddOfficial {
        subject: did(subject),
        official: "o".parse().unwrap(),
        role: OfficialRole::Auditor,
    };
    let mut pool = vec![
        sec(1, accredit_gh()),
        sec(2, accredit_de()),
        sec(2, accredit_gh()),
        sec(
            3,
            Body::Suspend {
                subject: did(GH),
                reason: reason(),
            },
        ),
        sec(4, Body::Reinstate { subject: did(GH) }),
        sec(
            3,
            Body::Recover {
                subject: did(DE),
                verification_methods: vec![vk("key-r1", 40)],
                key_agreement: ka("ka-r1", 41),
            },
        ),
        sec(
            5,
            Body::Withdraw {
                subject: did(GH),
                reason: reason(),
            },
        ),
        (
            GH_LOG,
            leaf(
                GH,
                1,
                GH_LOG,
                at,
                rotate(GH, "key-2", 30),
                "key-1",
                &secret(10),
            ),
        ),
        (
            GH_LOG,
            leaf(GH, 2, GH_LOG, at, official(GH), "key-2", &secret(30)),
        ),
        (
            GH_LOG,
            leaf(GH, 2, GH_LOG, at, official(GH), "key-1", &secret(10)),
        ),
        (
            GH_LOG,
            leaf(
                GH,
                1,
                GH_LOG,
                at,
                rotate(DE, "key-x", 50),
                "key-1",
                &secret(10),
            ),
        ),
        (
            DE_LOG,
            leaf(
                DE,
                1,
                DE_LOG,
                at,
                rotate(DE, "key-2", 51),
                "key-1",
                &secret(20),
            ),
        ),
        (
            DE_LOG,
            leaf(
                DE,
                1,
                DE_LOG,
                at,
                rotate(DE, "key-2", 51),
                "key-r1",
                &secret(40),
            ),
        ),
        (
            DE_LOG,
            leaf(GH, 3, GH_LOG, at, official(GH), "key-2", &secret(30)),
        ),
    ];
    // A forged copy of each: one signature byte changed.
    let forged: Vec<_> = pool
        .iter()
        .map(|(log, bytes)| {
            let text = String::from_utf8(bytes.clone()).unwrap();
            let i = text.find("\"sig\":\"").unwrap() + 8;
            let mut b = text.into_bytes();
            b[i] = if b[i] == b'A' { b'B' } else { b'A' };
            (*log, b)
        })
        .collect();
    pool.extend(forged);
    pool
}

fn snapshot(reg: &Registry) -> (usize, Vec<Option<Resolution>>, Vec<Option<u64>>) {
    let dids = [SEC, GH, DE];
    (
        reg.applied_count(),
        dids.iter()
            .map(|d| reg.resolve(d, &AsOf::Now).ok())
            .collect(),
        dids.iter().map(|d| reg.next_seq(&did(d))).collect(),
    )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn any_arrival_order_is_safe_and_replayable(
        picks in prop::collection::vec(any::<prop::sample::Index>(), 1..40),
    ) {
        let pool = pool();
        let mut reg = Registry::new(&genesis());
        let mut accepted = Vec::new();
        let mut next_index = std::collections::BTreeMap::new();
        for (step, pick) in picks.iter().enumerate() {
            let (log, bytes) = &pool[pick.index(pool.len())];
            let index = next_index.entry(*log).or_insert(0u64);
            let p = pos(log, *index, t(step as i64));
            *index += 1;
            let before = snapshot(&reg);
            match reg.apply(p.clone(), bytes) {
                Ok(_) => accepted.push((p, bytes.clone())),
                Err(e) => prop_assert_eq!(snapshot(&reg), before, "{}", e),
            }
        }
        let (again, refused) = Registry::replay(&genesis(), accepted);
        prop_assert!(refused.is_empty(), "{:?}", refused);
        for did in [SEC, GH, DE] {
            for as_of in [AsOf::Now, AsOf::Time(t(3)), AsOf::Position { log: GH_LOG.into(), index: 1 }] {
                prop_assert_eq!(reg.resolve(did, &as_of).ok(), again.resolve(did, &as_of).ok());
                for key in ["#key-1", "#key-2", "#key-r1"] {
                    prop_assert_eq!(
                        reg.key_valid_at(did, key, &as_of).ok(),
                        again.key_valid_at(did, key, &as_of).ok()
                    );
                }
            }
        }
    }
}
