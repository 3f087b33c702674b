//! The permit lifecycle: examples of each rule, and property tests showing that no sequence of
//! events reaches an illegal state and that quantities are conserved.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeMap;

use chrono::{Days, NaiveDate};
use contracts::lifecycle::Crossing;
use contracts::{
    Country, DocumentType, Event, Lifecycle, Permit, PermitKey, Quantity, Status, TransitionError,
};
use proptest::prelude::*;

fn fixture(name: &str) -> Permit {
    let path = format!(
        "{}/tests/fixtures/valid/{name}.json",
        env!("CARGO_MANIFEST_DIR")
    );
    Permit::from_json(&std::fs::read(path).unwrap()).unwrap()
}

fn day(s: &str) -> NaiveDate {
    s.parse().unwrap()
}

fn q(s: &str) -> Quantity {
    s.parse().unwrap()
}

fn quantities(pairs: &[(&str, &str)]) -> BTreeMap<String, Quantity> {
    pairs.iter().map(|(b, x)| (b.to_string(), q(x))).collect()
}

fn de() -> Country {
    "DE".parse().unwrap()
}

#[test]
fn export_permit_journey() {
    let permit = fixture("export_permit"); // A: 50 live pythons, B: 5 tortoises
    let mut l = Lifecycle::new(&permit);
    assert_eq!(l.status, Status::Issued);

    // Import confirmation before export endorsement is refused.
    let early = Event::ConfirmImport {
        on: day("2026-10-05"),
        by: de(),
        quantities: quantities(&[("A", "50")]),
    };
    assert_eq!(l.apply(&early), Err(TransitionError::NotEndorsed));

    // More than permitted is refused, and nothing changes.
    let before = l.clone();
    let too_many = Event::Endorse {
        on: day("2026-10-10"),
        quantities: quantities(&[("A", "51")]),
    };
    assert!(matches!(
        l.apply(&too_many),
        Err(TransitionError::QuantityExceeded { .. })
    ));
    assert_eq!(l, before);

    l.apply(&Event::Endorse {
        on: day("2026-10-10"),
        quantities: quantities(&[("A", "48"), ("B", "5")]),
    })
    .unwrap();
    assert_eq!(l.status, Status::Endorsed);
    assert_eq!(l.remaining(), quantities(&[("A", "0"), ("B", "0")]));

    // One consignment per permit.
    let again = Event::Endorse {
        on: day("2026-10-11"),
        quantities: quantities(&[("A", "2")]),
    };
    assert_eq!(l.apply(&again), Err(TransitionError::AlreadyEndorsed));

    // Never more imported than exported.
    let over = Event::ConfirmImport {
        on: day("2026-10-12"),
        by: de(),
        quantities: quantities(&[("A", "49")]),
    };
    assert!(matches!(
        l.apply(&over),
        Err(TransitionError::QuantityExceeded {
            what: "exported",
            ..
        })
    ));

    l.apply(&Event::ConfirmImport {
        on: day("2026-10-12"),
        by: de(),
        quantities: quantities(&[("A", "47"), ("B", "5")]),
    })
    .unwrap();
    assert_eq!(l.status, Status::ImportConfirmed);

    // The first confirmation wins; a second is flagged as possible re-use.
    let second = Event::ConfirmImport {
        on: day("2026-10-13"),
        by: "AT".parse().unwrap(),
        quantities: quantities(&[("A", "1")]),
    };
    assert_eq!(
        l.apply(&second),
        Err(TransitionError::AlreadyConfirmed {
            by: de(),
            on: day("2026-10-12")
        })
    );
    assert_eq!(
        l.apply(&Event::Cancel {
            on: day("2026-10-14")
        })
        .unwrap_err()
        .to_string(),
        "cancellation is not possible: the permit is import-confirmed"
    );
}

#[test]
fn expiry_allows_only_cancellation() {
    let permit = fixture("export_permit"); // valid until 2027-03-31
    let mut l = Lifecycle::new(&permit);
    assert_eq!(l.status_on(day("2027-03-31")), Status::Issued);
    assert_eq!(l.status_on(day("2027-04-01")), Status::Expired);
    let late = Event::Endorse {
        on: day("2027-04-01"),
        quantities: quantities(&[("A", "1")]),
    };
    assert!(matches!(
        l.apply(&late),
        Err(TransitionError::Expired { .. })
    ));
    assert!(matches!(
        l.apply(&Event::Suspend {
            on: day("2027-04-02")
        }),
        Err(TransitionError::Expired { .. })
    ));
    l.apply(&Event::Cancel {
        on: day("2027-04-02"),
    })
    .unwrap();
    assert_eq!(l.status_on(day("2027-05-01")), Status::Cancelled);
}

#[test]
fn suspension_blocks_use_until_reinstated() {
    let mut l = Lifecycle::new(&fixture("export_permit"));
    l.apply(&Event::Suspend {
        on: day("2026-10-02"),
    })
    .unwrap();
    let use_it = Event::Endorse {
        on: day("2026-10-03"),
        quantities: quantities(&[("A", "1")]),
    };
    assert!(matches!(
        l.apply(&use_it),
        Err(TransitionError::NotInStatus {
            status: Status::Suspended,
            ..
        })
    ));
    l.apply(&Event::Reinstate {
        on: day("2026-10-04"),
    })
    .unwrap();
    assert_eq!(l.status, Status::Issued);
    l.apply(&Event::Endorse {
        on: day("2026-10-05"),
        quantities: quantities(&[("A", "1")]),
    })
    .unwrap();
}

#[test]
fn replacement_links_both_ways() {
    let old = fixture("export_permit");
    let mut new = old.clone();
    new.number = "GH2026000199".into();
    new.special_conditions
        .push(contracts::permit::SpecialCondition::Replaces {
            number: old.number.clone(),
            date: old.issued.date,
            reason: "original lost in transit".into(),
        });
    let mut old_l = Lifecycle::new(&old);
    let new_l = Lifecycle::new(&new);
    assert_eq!(new_l.replaces, Some(old.key()));

    // Another Party's permit, or itself, cannot be the replacement.
    let foreign = PermitKey {
        party: "TG".parse().unwrap(),
        number: "X1".into(),
    };
    assert_eq!(
        old_l.apply(&Event::Replace {
            on: day("2026-10-20"),
            by: foreign.clone()
        }),
        Err(TransitionError::BadReplacement(foreign))
    );
    assert!(
        old_l
            .apply(&Event::Replace {
                on: day("2026-10-20"),
                by: old.key()
            })
            .is_err()
    );

    old_l
        .apply(&Event::Replace {
            on: day("2026-10-20"),
            by: new.key(),
        })
        .unwrap();
    assert_eq!(old_l.replaced_by, Some(new.key()));
    assert_eq!(old_l.status, Status::Replaced);
    let use_old = Event::Endorse {
        on: day("2026-10-21"),
        quantities: quantities(&[("A", "1")]),
    };
    assert!(old_l.apply(&use_old).is_err());
}

#[test]
fn multi_use_certificate_is_endorsed_per_crossing() {
    let permit = fixture("travelling_exhibition_certificate"); // one tiger
    let mut l = Lifecycle::new(&permit);
    let at = Country::from_str_unchecked("AT");
    for (out, back) in [
        ("2026-06-01", "2026-06-02"),
        ("2026-09-01", "2026-09-01"),
        ("2027-02-01", "2027-02-03"),
    ] {
        l.apply(&Event::Endorse {
            on: day(out),
            quantities: quantities(&[("A", "1")]),
        })
        .unwrap();
        // The same crossing is not confirmed twice.
        l.apply(&Event::ConfirmImport {
            on: day(back),
            by: at,
            quantities: quantities(&[("A", "1")]),
        })
        .unwrap();
        assert!(matches!(
            l.apply(&Event::ConfirmImport {
                on: day(back),
                by: at,
                quantities: quantities(&[("A", "1")])
            }),
            Err(TransitionError::AlreadyConfirmed { .. })
        ));
        assert_eq!(l.status, Status::Endorsed);
    }
    assert_eq!(l.crossings.len(), 3);
}

#[test]
fn import_permit_is_used_at_import() {
    let permit = fixture("import_permit");
    let mut l = Lifecycle::new(&permit);
    let endorse = Event::Endorse {
        on: day("2026-10-01"),
        quantities: quantities(&[("A", "2")]),
    };
    assert!(
        l.apply(&endorse).is_err(),
        "an import permit is not endorsed at export"
    );
    l.apply(&Event::ConfirmImport {
        on: day("2026-10-02"),
        by: "FR".parse().unwrap(),
        quantities: quantities(&[("A", "2")]),
    })
    .unwrap();
    assert_eq!(l.status, Status::ImportConfirmed);
}

#[test]
fn events_out_of_order_are_refused() {
    let mut l = Lifecycle::new(&fixture("export_permit"));
    l.apply(&Event::Suspend {
        on: day("2026-10-10"),
    })
    .unwrap();
    assert!(matches!(
        l.apply(&Event::Reinstate {
            on: day("2026-10-09")
        }),
        Err(TransitionError::OutOfOrder { .. })
    ));
}

trait Unchecked {
    fn from_str_unchecked(s: &str) -> Self;
}
impl Unchecked for Country {
    fn from_str_unchecked(s: &str) -> Country {
        s.parse().unwrap()
    }
}

// ---- Property tests -------------------------------------------------------------------------

fn arb_event(start: NaiveDate) -> impl Strategy<Value = Event> {
    let day = (0u64..500).prop_map(move |d| start + Days::new(d));
    let qty = prop::collection::btree_map(
        prop::sample::select(vec!["A".to_string(), "B".to_string(), "C".to_string()]),
        (0u64..60_000).prop_map(Quantity::from_milli),
        0..3,
    );
    let party =
        prop::sample::select(vec!["DE", "AT", "FR"]).prop_map(|c| c.parse::<Country>().unwrap());
    let other = prop::sample::select(vec![("GH", "R1"), ("GH", "GH2026000142"), ("TG", "R2")])
        .prop_map(|(p, n)| PermitKey {
            party: p.parse().unwrap(),
            number: n.into(),
        });
    prop_oneof![
        3 => (day.clone(), qty.clone()).prop_map(|(on, quantities)| Event::Endorse { on, quantities }),
        3 => (day.clone(), party, qty).prop_map(|(on, by, quantities)| Event::ConfirmImport { on, by, quantities }),
        1 => day.clone().prop_map(|on| Event::Cancel { on }),
        1 => (day.clone(), other).prop_map(|(on, by)| Event::Replace { on, by }),
        1 => day.clone().prop_map(|on| Event::Suspend { on }),
        1 => day.prop_map(|on| Event::Reinstate { on }),
    ]
}

fn check_invariants(l: &Lifecycle) -> Result<(), TestCaseError> {
    // Quantities are conserved: imported <= exported <= permitted, per crossing and block.
    for Crossing {
        exported,
        imported,
        exported_on,
    } in &l.crossings
    {
        for (block, x) in exported {
            prop_assert!(
                l.permitted.get(block).is_some_and(|p| x <= p),
                "exported {x} of {block}"
            );
        }
        if let Some(imp) = imported {
            for (block, y) in &imp.quantities {
                let limit = if exported_on.is_some() {
                    exported.get(block)
                } else {
                    l.permitted.get(block)
                };
                prop_assert!(limit.is_some_and(|e| y <= e), "imported {y} of {block}");
            }
        }
        if let Some(d) = exported_on {
            prop_assert!(
                *d >= l.valid_from && *d <= l.valid_until,
                "export outside validity"
            );
        }
    }
    // One consignment for single-use documents.
    if !l.document_type.is_multi_use() {
        prop_assert!(l.crossings.len() <= 1);
    }
    // Status agrees with the history.
    match l.status {
        Status::Issued => prop_assert!(l.crossings.is_empty()),
        Status::Endorsed => prop_assert!(!l.crossings.is_empty()),
        Status::ImportConfirmed => {
            prop_assert!(l.crossings.last().is_some_and(|c| c.imported.is_some()));
            prop_assert!(!l.document_type.is_multi_use());
        }
        Status::Replaced => {
            prop_assert!(
                l.replaced_by
                    .as_ref()
                    .is_some_and(|r| r.party == l.key.party && *r != l.key)
            );
            prop_assert!(l.crossings.is_empty(), "a used permit was replaced");
        }
        Status::Suspended => prop_assert!(l.before_suspension.is_some()),
        Status::Cancelled => {}
        Status::Expired => prop_assert!(false, "expiry is derived, never stored"),
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn no_event_sequence_reaches_an_illegal_state(
        doc in prop::sample::select(vec!["export_permit", "re_export_certificate", "travelling_exhibition_certificate", "import_permit"]),
        events in prop::collection::vec(arb_event(NaiveDate::from_ymd_opt(2026, 3, 1).unwrap()), 0..25),
    ) {
        let permit = fixture(doc);
        let mut l = Lifecycle::new(&permit);
        let mut final_status = None;
        for e in &events {
            let before = l.clone();
            match l.apply(e) {
                Ok(()) => {
                    prop_assert!(before.status_on(e.on()) != Status::Expired || matches!(e, Event::Cancel { .. }),
                        "{} accepted after expiry", e.name());
                    prop_assert!(!before.status.is_final(), "event accepted after a final status");
                }
                Err(_) => prop_assert_eq!(&l, &before, "a refused event changed the lifecycle"),
            }
            check_invariants(&l)?;
            if l.status.is_final() {
                // Once final, a status never changes again.
                if let Some(s) = final_status { prop_assert_eq!(s, l.status); }
                final_status = Some(l.status);
            }
        }
        let single_use = !matches!(permit.document_type, DocumentType::TravellingExhibitionCertificate);
        let confirmations = l.crossings.iter().filter(|c| c.imported.is_some()).count();
        if single_use { prop_assert!(confirmations <= 1, "a single-use permit confirmed twice"); }
    }
}
