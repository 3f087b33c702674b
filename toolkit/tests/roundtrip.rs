//! Every document type through the toolkit XML and back, without loss; strict reading.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeMap;
use std::path::PathBuf;

use contracts::Permit;
use contracts::permit::{DocumentReference, ExportEndorsement, QuotaPosition, SpecialCondition};
use proptest::prelude::*;

fn fixture(name: &str) -> Permit {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../contracts/tests/fixtures/valid")
        .join(format!("{name}.json"));
    contracts::from_json(&std::fs::read(path).unwrap()).unwrap()
}

fn all_fixtures() -> Vec<Permit> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../contracts/tests/fixtures/valid");
    let mut names: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    names.sort();
    names
        .iter()
        .map(|p| contracts::from_json(&std::fs::read(p).unwrap()).unwrap())
        .collect()
}

fn round_trip(permit: &Permit) -> Permit {
    let xml = toolkit::to_xml(permit).unwrap();
    toolkit::from_xml(&xml).unwrap_or_else(|e| panic!("{e}\n{xml}"))
}

#[test]
fn every_document_type_round_trips_without_loss() {
    let fixtures = all_fixtures();
    let types: std::collections::BTreeSet<_> = fixtures.iter().map(|p| p.document_type).collect();
    assert_eq!(types.len(), contracts::DocumentType::ALL.len());
    for permit in &fixtures {
        assert_eq!(&round_trip(permit), permit, "{:?}", permit.document_type);
    }
}

/// Every optional box filled at once: two exports, origin and re-export documents, quota,
/// acquisition date, registered operation, every kind of special condition, annex, copy.
fn everything() -> Permit {
    let mut p = fixture("export_permit");
    p.copy = true;
    p.annex = true;
    p.valid_from = Some("2026-10-02".parse().unwrap());
    p.authority.did = Some("did:web:cites.gov.gh".into());
    p.import_permit = Some(DocumentReference {
        country: "DE".parse().unwrap(),
        number: "DE-I-2026-77".into(),
        date: "2026-09-20".parse().unwrap(),
    });
    p.special_conditions = vec![
        SpecialCondition::Text {
            text: "  Only through Kotoka <Accra> & Tema  ".into(),
        },
        SpecialCondition::LiveTransport,
        SpecialCondition::Replaces {
            number: "GH2026000100".into(),
            date: "2026-09-01".parse().unwrap(),
            reason: "lost in transit".into(),
        },
        SpecialCondition::Retrospective {
            reason: "seized and returned".into(),
        },
    ];
    let b = &mut p.blocks[1];
    b.origin = Some(DocumentReference {
        country: "TG".parse().unwrap(),
        number: "TG-77".into(),
        date: "2025-01-10".parse().unwrap(),
    });
    b.last_re_export = Some(DocumentReference {
        country: "BJ".parse().unwrap(),
        number: "BJ-R-3".into(),
        date: "2025-06-30".parse().unwrap(),
    });
    b.acquisition_date = Some("1970-05-01".parse().unwrap());
    b.registered_operation = Some("A-GH-501".into());
    b.quota = Some(QuotaPosition {
        exported_to_date: "1.5".parse().unwrap(),
        annual_quota: "10".parse().unwrap(),
        unit: "KGM".parse().unwrap(),
    });
    p.export_endorsements = vec![
        ExportEndorsement {
            quantities: BTreeMap::from([("A".into(), "20".parse().unwrap())]),
            port: "GHACC".into(),
            date: "2026-10-05".parse().unwrap(),
            official: "customs-11".into(),
            transport_document: Some("AWB 020-12345675".into()),
        },
        ExportEndorsement {
            quantities: BTreeMap::from([
                ("A".into(), "30".parse().unwrap()),
                ("B".into(), "5".parse().unwrap()),
            ]),
            port: "GHTEM".into(),
            date: "2026-10-09".parse().unwrap(),
            official: "customs-12".into(),
            transport_document: None,
        },
    ];
    p
}

#[test]
fn every_box_round_trips_when_all_are_filled() {
    let p = everything();
    assert_eq!(round_trip(&p), p);
    let xml = toolkit::to_xml(&p).unwrap();
    for element in [
        "<rsm:CITESEPermit xmlns:rsm=\"urn:un:unece:uncefact:data:standard:CITESEPermit:2\"",
        "<ram:ID>GH2026000142</ram:ID>",
        "<ram:TypeCode>E</ram:TypeCode>",
        "<ram:Value>CITES Permitting</ram:Value>",
        "<ram:ItemQuantity unitCode=\"NAR\">50</ram:ItemQuantity>",
        "<ram:TypeCode>861</ram:TypeCode>",
        "<ram:AnnualQuotaQuantity unitCode=\"KGM\">10</ram:AnnualQuotaQuantity>",
        "Only through Kotoka &lt;Accra&gt; &amp; Tema",
    ] {
        assert!(xml.contains(element), "{element} not in\n{xml}");
    }
}

#[test]
fn a_message_from_elsewhere_is_read_strictly_with_the_element_named() {
    let xml = toolkit::to_xml(&fixture("export_permit")).unwrap();
    let cases = [
        (
            xml.replace("<ram:PurposeCode>T<", "<ram:PurposeCode>XX<"),
            "PurposeCode",
        ),
        (
            xml.replace("unitCode=\"NAR\"", "unitCode=\"FOO\""),
            "ItemQuantity",
        ),
        (
            xml.replace("<ram:TypeCode>E<", "<ram:TypeCode>Q<"),
            "HeaderExchangedDocument/TypeCode",
        ),
        (
            xml.replace("2027-03-31T00:00:00", "31/03/2027"),
            "EndDateTime",
        ),
        (
            xml.replace("<ram:ScientificName>Python regius</ram:ScientificName>", ""),
            "ScientificName is missing",
        ),
        (
            xml.replace(toolkit::NS_RSM, "urn:example:other"),
            "not CITESEPermit",
        ),
        (xml.replace("</rsm:CITESEPermit>", ""), "not well-formed"),
    ];
    for (bad, expected) in cases {
        let err = toolkit::from_xml(&bad).unwrap_err().to_string();
        assert!(err.contains(expected), "{expected:?} not in {err:?}");
    }
    // What XML cannot carry is refused on the way out, naming the box.
    let mut control = fixture("export_permit");
    control.importer.name = "Reptile\u{1}House".into();
    let err = toolkit::to_xml(&control).unwrap_err().to_string();
    assert!(err.contains("ram:Name holds the character U+0001"), "{err}");
    // Free text that would read back as a fixed sentence is refused, not silently changed.
    let mut lookalike = fixture("export_permit");
    lookalike.special_conditions = vec![SpecialCondition::Text {
        text: "Issued retrospectively: no".into(),
    }];
    let err = toolkit::to_xml(&lookalike).unwrap_err().to_string();
    assert!(
        err.contains("would read back as another condition"),
        "{err}"
    );
    // Certificates of type O say which one they are by name; an unknown name is refused.
    let o = toolkit::to_xml(&fixture("pre_convention_certificate")).unwrap();
    let err = toolkit::from_xml(&o.replace("Pre-Convention certificate", "Some certificate"))
        .unwrap_err()
        .to_string();
    assert!(err.contains("which certificate of type O"), "{err}");
}

/// Any character XML can carry.
const TEXT: &str = "([^\\p{Cc}\\x{FFFE}\\x{FFFF}]|\r|\n|\t){1,40}";

proptest! {
    /// Free text of any kind (markup characters, quotes, non-Latin scripts, tabs, line
    /// breaks with CR, spaces at either end) survives the round trip.
    #[test]
    fn free_text_survives(
        name in TEXT,
        description in "([^\\p{Cc}\\x{FFFE}\\x{FFFF}]|\r|\n|\t){0,60}",
        note in TEXT,
        mark in TEXT,
    ) {
        let mut p = fixture("export_permit");
        p.importer.name = name;
        p.blocks[0].description = description;
        p.blocks[0].marks = vec![mark];
        p.special_conditions = vec![SpecialCondition::Text { text: note }];
        let back = round_trip(&p);
        prop_assert_eq!(back, p);
    }
}
