//! The species checklist: lookups by accepted name and synonym, blocks checked against the
//! listing, and a Species+ export read.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::fixture;

use contracts::species::{Checklist, Listing};

#[test]
fn every_species_of_the_fixtures_is_in_the_bundled_checklist_at_its_appendix() {
    let list = Checklist::bundled();
    assert!(list.taxa().len() >= 40);
    for name in common::VALID {
        for block in &fixture(name).blocks {
            let listing = list.check(block);
            assert!(
                matches!(listing, Listing::Listed { .. } | Listing::Split { .. }),
                "{name} block {}: {listing:?}",
                block.id
            );
        }
    }
}

#[test]
fn synonyms_wrong_appendices_split_listings_and_unknown_names() {
    let list = Checklist::bundled();
    let mut block = fixture("export_permit").blocks[0].clone();
    block.scientific_name = "  python   REGIUS ".into();
    assert!(
        matches!(list.check(&block), Listing::Listed { .. }),
        "case and spaces do not matter"
    );
    block.appendix = "I".parse().unwrap();
    assert!(matches!(list.check(&block), Listing::WrongAppendix { .. }));
    block.scientific_name = "Strombus gigas".into();
    block.appendix = "II".parse().unwrap();
    let Listing::Synonym { taxon } = list.check(&block) else {
        panic!("a synonym")
    };
    assert_eq!(taxon.name, "Aliger gigas");
    block.scientific_name = "Loxodonta africana".into();
    let listing = list.check(&block);
    assert!(matches!(listing, Listing::Split { .. }), "{listing:?}");
    assert!(listing.needs_attention());
    block.scientific_name = "Felis catus".into();
    assert_eq!(list.check(&block), Listing::Unknown);
    let found: Vec<_> = list
        .search("pyth", 10)
        .iter()
        .map(|t| t.name.clone())
        .collect();
    assert!(found.contains(&"Python regius".to_owned()), "{found:?}");
    assert!(
        list.search("ball", 10)
            .iter()
            .any(|t| t.name == "Python regius"),
        "by common name"
    );
}

#[test]
fn a_species_plus_export_is_read_and_round_trips() {
    let export = br#"{"taxon_concepts": [
      {"id": 4521, "full_name": "Loxodonta africana", "name_status": "A", "rank": "SPECIES", "active": true,
       "cites_listing": "I/II", "higher_taxa": {"kingdom": "Animalia", "family": "Elephantidae"},
       "synonyms": [{"id": 1, "full_name": "Elephas africanus"}],
       "common_names": [{"name": "African Elephant", "language": "EN"}, {"name": "Elefante africano", "language": "ES"}]},
      {"id": 2, "full_name": "Elephas africanus", "name_status": "S", "cites_listing": "I/II",
       "higher_taxa": {"kingdom": "Animalia"}},
      {"id": 3, "full_name": "Canis lupus", "name_status": "A", "cites_listing": "I/II/NC",
       "higher_taxa": {"kingdom": "Animalia", "family": "Canidae"}},
      {"id": 4, "full_name": "Felis catus", "name_status": "A", "cites_listing": "NC",
       "higher_taxa": {"kingdom": "Animalia"}}
    ]}"#;
    let list = Checklist::from_species_plus(export).unwrap();
    assert_eq!(
        list.taxa().len(),
        2,
        "the synonym record and the unlisted cat are left out"
    );
    let (t, accepted) = list.lookup("Elephas africanus").unwrap();
    assert_eq!((t.name.as_str(), accepted), ("Loxodonta africana", false));
    assert_eq!(t.common, ["African Elephant"]);
    assert_eq!(list.lookup("Canis lupus").unwrap().0.listing, "I/II");
    let again = Checklist::from_json(&list.to_json()).unwrap();
    assert_eq!(again.taxa(), list.taxa());
    assert!(Checklist::from_species_plus(b"[]").is_err());
    assert!(Checklist::from_species_plus(b"{").is_err());
}
