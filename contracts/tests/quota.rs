//! National export quotas: box 11a is filled from the book, and issuing beyond the quota is
//! refused at exactly the right quantity with what remains.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use contracts::{Permit, Quantity, Quota, QuotaBook, QuotaError, Source, Term, Unit};

fn permit(quantity: &str) -> Permit {
    let path = format!(
        "{}/tests/fixtures/valid/export_permit.json",
        env!("CARGO_MANIFEST_DIR")
    );
    let mut p = Permit::from_json(&std::fs::read(path).unwrap()).unwrap();
    p.blocks[0].quota = None;
    p.blocks[0].quantity = quantity.parse().unwrap();
    p
}

fn python_quota(n: u32) -> Quota {
    Quota {
        party: "GH".parse().unwrap(),
        species: "Python regius".into(),
        year: 2026,
        quantity: Quantity::whole(n),
        unit: Unit::Number,
        terms: vec![Term::Live],
        sources: vec![Source::Ranched],
        purposes: vec![],
    }
}

#[test]
fn quota_is_exhausted_at_exactly_its_quantity() {
    let mut book = QuotaBook::new();
    book.add(python_quota(100));
    let mut first = permit("60");
    book.issue(&mut first).unwrap();
    let box11a = first.blocks[0].quota.clone().unwrap();
    assert_eq!(
        (box11a.exported_to_date, box11a.annual_quota),
        (Quantity::whole(60), Quantity::whole(100))
    );

    let mut over = permit("41");
    let err = book.issue(&mut over).unwrap_err();
    assert_eq!(
        err,
        QuotaError::Exceeded {
            block: "A".into(),
            species: "Python regius".into(),
            year: 2026,
            requested: Quantity::whole(41),
            remaining: Quantity::whole(40),
            quota: Quantity::whole(100),
            unit: Unit::Number,
        }
    );
    assert_eq!(
        err.to_string(),
        "block A: 41 NAR of Python regius exceeds the 2026 quota; 40 NAR remain of 100"
    );
    assert_eq!(
        book.used(0),
        Quantity::whole(60),
        "a refused permit counts nothing"
    );

    let mut exact = permit("40");
    book.issue(&mut exact).unwrap();
    assert_eq!(
        exact.blocks[0].quota.as_ref().unwrap().exported_to_date,
        Quantity::whole(100)
    );
    assert!(book.issue(&mut permit("1")).is_err());

    // A cancelled permit gives its quantity back.
    book.release(&exact);
    assert_eq!(book.used(0), Quantity::whole(60));
}

#[test]
fn quota_applies_only_to_its_species_year_term_and_source() {
    let mut book = QuotaBook::new();
    book.add(python_quota(10));
    let mut wild = permit("50");
    wild.blocks[0].source = Source::Wild;
    assert!(
        book.check(&wild).unwrap().is_empty(),
        "source W is outside an R-only quota"
    );
    let mut next_year = permit("50");
    next_year.issued.date = "2027-01-02".parse().unwrap();
    assert!(book.check(&next_year).unwrap().is_empty());
    assert!(book.check(&permit("50")).is_err());
}

#[test]
fn zero_quota_and_unit_mismatch_are_refused() {
    let mut book = QuotaBook::new();
    book.add(python_quota(0));
    assert!(matches!(
        book.check(&permit("1")),
        Err(QuotaError::Exceeded { .. })
    ));

    let mut book = QuotaBook::new();
    let mut by_weight = python_quota(100);
    by_weight.unit = Unit::Kilogram;
    book.add(by_weight);
    assert!(matches!(
        book.check(&permit("1")),
        Err(QuotaError::UnitMismatch { .. })
    ));
}

#[test]
fn two_blocks_of_one_permit_are_summed() {
    let mut book = QuotaBook::new();
    book.add(python_quota(100));
    let mut p = permit("60");
    let mut b = p.blocks[0].clone();
    b.id = "C".into();
    p.blocks.push(b);
    assert!(
        matches!(book.check(&p), Err(QuotaError::Exceeded { block, remaining, .. }) if block == "C" && remaining == Quantity::whole(40))
    );
}
