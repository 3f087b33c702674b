//! The form's rules on realistic permits: every document type passes when filled in correctly,
//! and each of the invalid permits below, broken in one way, is rejected at the right box.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use chrono::NaiveDate;
use contracts::{Permit, Rule, ValidationContext, validate};
use serde_json::{Value, json};

mod common;

use common::VALID as TYPES;

fn ctx() -> ValidationContext {
    ValidationContext {
        today: NaiveDate::from_ymd_opt(2026, 11, 25).unwrap(),
    }
}

fn fixture(name: &str) -> Value {
    let path = format!(
        "{}/tests/fixtures/valid/{name}.json",
        env!("CARGO_MANIFEST_DIR")
    );
    serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap()
}

fn parse(v: &Value) -> Permit {
    Permit::from_json(&serde_json::to_vec(v).unwrap()).unwrap()
}

#[test]
fn realistic_permits_of_every_type_are_valid() {
    for name in TYPES {
        let permit = parse(&fixture(name));
        let problems = validate(&permit, &ctx());
        assert!(problems.is_empty(), "{name}: {problems:#?}");
    }
}

#[test]
fn every_document_type_has_a_fixture() {
    let covered: Vec<_> = TYPES
        .iter()
        .map(|n| parse(&fixture(n)).document_type)
        .collect();
    for t in contracts::DocumentType::ALL {
        assert!(covered.contains(&t), "{t:?} has no valid fixture");
    }
}

type Mutation = fn(&mut Value);
/// (description, fixture, mutation, expected box, expected block, expected rule).
type Case = (
    &'static str,
    &'static str,
    Mutation,
    &'static str,
    Option<&'static str>,
    Rule,
);

/// (description, fixture, mutation, expected box, expected block, expected rule).
fn cases() -> Vec<Case> {
    use Rule::*;
    vec![
        (
            "empty number",
            "export_permit",
            |p| p["number"] = json!("  "),
            "1",
            None,
            NumberMissing,
        ),
        (
            "junk in number",
            "export_permit",
            |p| p["number"] = json!("GH2026~0001?"),
            "1",
            None,
            NumberMalformed,
        ),
        (
            "number too long",
            "export_permit",
            |p| p["number"] = json!("X".repeat(36)),
            "1",
            None,
            NumberMalformed,
        ),
        (
            "valid until before issue",
            "export_permit",
            |p| p["valid_until"] = json!("2026-09-30"),
            "2",
            None,
            ValidityOrder,
        ),
        (
            "export permit valid 7 months",
            "export_permit",
            |p| p["valid_until"] = json!("2027-05-01"),
            "2",
            None,
            ValidityTooLong,
        ),
        (
            "import permit valid 13 months",
            "import_permit",
            |p| p["valid_until"] = json!("2027-10-15"),
            "2",
            None,
            ValidityTooLong,
        ),
        (
            "TEC valid over 3 years",
            "travelling_exhibition_certificate",
            |p| p["valid_until"] = json!("2029-05-02"),
            "2",
            None,
            ValidityTooLong,
        ),
        (
            "re-export valid 7 months",
            "re_export_certificate",
            |p| p["valid_until"] = json!("2027-06-03"),
            "2",
            None,
            ValidityTooLong,
        ),
        (
            "valid from before issue",
            "export_permit",
            |p| p["valid_from"] = json!("2026-09-01"),
            "2",
            None,
            ValidFromBeforeIssue,
        ),
        (
            "importer without address",
            "export_permit",
            |p| p["importer"]["address"] = json!(""),
            "3",
            None,
            ImporterMissing,
        ),
        (
            "no exporter on an export permit",
            "export_permit",
            |p| {
                p.as_object_mut().unwrap().remove("exporter");
            },
            "4",
            None,
            ExporterMissing,
        ),
        (
            "exporter without name",
            "re_export_certificate",
            |p| p["exporter"]["name"] = json!(" "),
            "4",
            None,
            ExporterMissing,
        ),
        (
            "exporter in another Party than the issuer",
            "export_permit",
            |p| p["exporter"]["country"] = json!("TG"),
            "4",
            None,
            ExporterNotIssuingParty,
        ),
        (
            "import permit issued by a Party that is not the importer's",
            "import_permit",
            |p| p["importer"]["country"] = json!("BE"),
            "3a",
            None,
            ImporterNotIssuingParty,
        ),
        (
            "exporter country equals importer country",
            "import_permit",
            |p| p["exporter"]["country"] = json!("FR"),
            "3a",
            None,
            SameCountry,
        ),
        (
            "replacement without reason",
            "export_permit",
            |p| {
                p["special_conditions"].as_array_mut().unwrap().push(json!({"kind":"replaces","number":"GH2026000100","date":"2026-09-01","reason":""}))
            },
            "5",
            None,
            ReplacementIncomplete,
        ),
        (
            "replaced document dated after this one",
            "export_permit",
            |p| {
                p["special_conditions"].as_array_mut().unwrap().push(json!({"kind":"replaces","number":"GH2026000100","date":"2026-10-02","reason":"lost"}))
            },
            "5",
            None,
            ReferenceDateOrder,
        ),
        (
            "retrospective without reason",
            "export_permit",
            |p| {
                p["special_conditions"]
                    .as_array_mut()
                    .unwrap()
                    .push(json!({"kind":"retrospective","reason":" "}))
            },
            "5",
            None,
            RetrospectiveWithoutReason,
        ),
        (
            "live animals without transport condition",
            "export_permit",
            |p| p["special_conditions"] = json!([]),
            "5",
            None,
            LiveTransportMissing,
        ),
        (
            "Appendix-I export without import permit",
            "export_permit",
            |p| {
                p["blocks"][1]["appendix"] = json!("I");
                p["purpose"] = json!("Z");
            },
            "5",
            None,
            AppendixIImportPermitMissing,
        ),
        (
            "import permit from a third country",
            "export_permit",
            |p| {
                p["import_permit"] =
                    json!({"country":"AT","number":"AT-26-0001","date":"2026-09-01"})
            },
            "5",
            None,
            ImportPermitCountry,
        ),
        (
            "import permit dated after the export permit",
            "export_permit",
            |p| {
                p["import_permit"] =
                    json!({"country":"DE","number":"DE-26-0001","date":"2026-10-05"})
            },
            "5",
            None,
            ReferenceDateOrder,
        ),
        (
            "TEC for commercial purpose",
            "travelling_exhibition_certificate",
            |p| p["purpose"] = json!("Z"),
            "5a",
            None,
            PurposeNotAllowed,
        ),
        (
            "ownership certificate for trade",
            "ownership_certificate",
            |p| p["purpose"] = json!("T"),
            "5a",
            None,
            PurposeNotAllowed,
        ),
        (
            "Appendix-I wild specimens for commercial purpose",
            "import_permit",
            |p| {
                p["blocks"][0]["source"] = json!("W");
                p["purpose"] = json!("T");
            },
            "5a",
            Some("A"),
            AppendixICommercial,
        ),
        (
            "issuing MA without name",
            "export_permit",
            |p| p["authority"]["name"] = json!(""),
            "6",
            None,
            AuthorityIncomplete,
        ),
        (
            "no species block",
            "export_permit",
            |p| p["blocks"] = json!([]),
            "7",
            None,
            NoBlocks,
        ),
        (
            "five blocks without annex",
            "certificate_of_origin",
            |p| {
                let b = p["blocks"][0].clone();
                let blocks: Vec<Value> = ["A", "B", "C", "D", "E"]
                    .iter()
                    .map(|id| {
                        let mut x = b.clone();
                        x["id"] = json!(id);
                        x
                    })
                    .collect();
                p["blocks"] = Value::Array(blocks);
            },
            "7",
            None,
            BlocksWithoutAnnex,
        ),
        (
            "blocks out of order",
            "export_permit",
            |p| p["blocks"][1]["id"] = json!("C"),
            "7",
            Some("C"),
            BlockIdInvalid,
        ),
        (
            "no scientific name",
            "export_permit",
            |p| p["blocks"][0]["scientific_name"] = json!(""),
            "7",
            Some("A"),
            ScientificNameMissing,
        ),
        (
            "common name in box 7",
            "certificate_of_origin",
            |p| p["blocks"][0]["scientific_name"] = json!("bengal fox"),
            "7",
            Some("A"),
            ScientificNameMalformed,
        ),
        (
            "no description",
            "re_export_certificate",
            |p| p["blocks"][0]["description"] = json!(""),
            "9",
            Some("A"),
            DescriptionMissing,
        ),
        (
            "live animals without sex and age",
            "captive_breeding_certificate",
            |p| p["blocks"][0]["description"] = json!("cockatoos"),
            "9",
            Some("A"),
            LiveDescriptionIncomplete,
        ),
        (
            "source A for an animal",
            "certificate_of_origin",
            |p| p["blocks"][0]["source"] = json!("A"),
            "10",
            Some("A"),
            SourceKingdom,
        ),
        (
            "source C for a plant",
            "musical_instrument_certificate",
            |p| {
                p["blocks"][0]["source"] = json!("C");
                p["blocks"][0]
                    .as_object_mut()
                    .unwrap()
                    .remove("acquisition_date");
            },
            "10",
            Some("A"),
            SourceKingdom,
        ),
        (
            "source R for a plant",
            "export_permit",
            |p| {
                p["blocks"][1]["kingdom"] = json!("Plantae");
                p["blocks"][1]["source"] = json!("R");
                p["blocks"][1]["term"] = json!("ROO");
                p["blocks"][1]["scientific_name"] = json!("Cyclamen hederifolium");
            },
            "10",
            Some("B"),
            SourceKingdom,
        ),
        (
            "source X on an export permit",
            "certificate_of_origin",
            |p| {
                p["document_type"] = json!("export_permit");
                p["valid_until"] = json!("2027-02-19");
                p["blocks"][0]["appendix"] = json!("II");
                p["blocks"][0]["source"] = json!("X");
            },
            "10",
            Some("A"),
            SourceDocumentType,
        ),
        (
            "introduction from the sea of wild specimens",
            "introduction_from_the_sea",
            |p| p["blocks"][0]["source"] = json!("W"),
            "10",
            Some("A"),
            SourceDocumentType,
        ),
        (
            "pre-Convention certificate for captive-bred specimens",
            "pre_convention_certificate",
            |p| p["blocks"][0]["source"] = json!("C"),
            "10",
            Some("A"),
            SourceDocumentType,
        ),
        (
            "captive-breeding certificate for wild specimens",
            "captive_breeding_certificate",
            |p| {
                p["blocks"][0]["source"] = json!("W");
                p["purpose"] = json!("Z");
            },
            "10",
            Some("A"),
            SourceDocumentType,
        ),
        (
            "certificate of origin for Appendix II",
            "certificate_of_origin",
            |p| p["blocks"][0]["appendix"] = json!("II"),
            "10",
            Some("A"),
            SourceDocumentType,
        ),
        (
            "source D for Appendix II",
            "captive_breeding_certificate",
            |p| {
                p["blocks"][0]["source"] = json!("D");
                p["blocks"][0]["appendix"] = json!("II");
                p["blocks"][0]["registered_operation"] = json!("A-ZA-517");
            },
            "10",
            Some("A"),
            SourceAppendix,
        ),
        (
            "source D without registered operation",
            "captive_breeding_certificate",
            |p| p["blocks"][0]["source"] = json!("D"),
            "12b",
            Some("A"),
            RegisteredOperationMissing,
        ),
        (
            "pre-Convention without date of acquisition",
            "pre_convention_certificate",
            |p| {
                p["blocks"][0]
                    .as_object_mut()
                    .unwrap()
                    .remove("acquisition_date");
            },
            "12b",
            Some("A"),
            AcquisitionDateMissing,
        ),
        (
            "acquired after issue",
            "pre_convention_certificate",
            |p| p["blocks"][0]["acquisition_date"] = json!("2026-12-01"),
            "12b",
            Some("A"),
            AcquisitionDateOrder,
        ),
        (
            "zero quantity",
            "certificate_of_origin",
            |p| p["blocks"][0]["quantity"] = json!("0"),
            "11",
            Some("A"),
            QuantityNotPositive,
        ),
        (
            "half a skin",
            "certificate_of_origin",
            |p| p["blocks"][0]["quantity"] = json!("2.5"),
            "11",
            Some("A"),
            QuantityNotWhole,
        ),
        (
            "live animals by weight",
            "ownership_certificate",
            |p| p["blocks"][0]["unit"] = json!("KGM"),
            "11",
            Some("A"),
            UnitTerm,
        ),
        (
            "fins counted",
            "introduction_from_the_sea",
            |p| {
                p["blocks"][0]["unit"] = json!("NAR");
                p["blocks"][0]["quantity"] = json!("850");
            },
            "11",
            Some("A"),
            UnitTerm,
        ),
        (
            "quota in another unit",
            "export_permit",
            |p| p["blocks"][0]["quota"]["unit"] = json!("KGM"),
            "11a",
            Some("A"),
            QuotaUnit,
        ),
        (
            "quota exceeded",
            "export_permit",
            |p| p["blocks"][0]["quota"]["exported_to_date"] = json!("4050"),
            "11a",
            Some("A"),
            QuotaExceeded,
        ),
        (
            "quota to date without this permit",
            "export_permit",
            |p| p["blocks"][0]["quota"]["exported_to_date"] = json!("30"),
            "11a",
            Some("A"),
            QuotaBelowPermit,
        ),
        (
            "re-export without origin",
            "re_export_certificate",
            |p| {
                p["blocks"][0].as_object_mut().unwrap().remove("origin");
            },
            "12",
            Some("A"),
            OriginMissing,
        ),
        (
            "origin on an export permit",
            "certificate_of_origin",
            |p| {
                p["document_type"] = json!("export_permit");
                p["valid_until"] = json!("2027-02-19");
                p["blocks"][0]["appendix"] = json!("II");
                p["blocks"][0]["origin"] =
                    json!({"country":"IN","number":"IN-1","date":"2025-01-01"});
            },
            "12",
            Some("A"),
            OriginNotReExport,
        ),
        (
            "origin is the re-exporting country",
            "re_export_certificate",
            |p| p["blocks"][0]["origin"]["country"] = json!("CH"),
            "12",
            Some("A"),
            OriginSameAsExporter,
        ),
        (
            "origin permit dated after the re-export",
            "re_export_certificate",
            |p| p["blocks"][0]["origin"]["date"] = json!("2026-12-24"),
            "12",
            Some("A"),
            ReferenceDateOrder,
        ),
        (
            "last re-export number with junk",
            "re_export_certificate",
            |p| p["blocks"][0]["last_re_export"]["number"] = json!("SG25,RE?"),
            "12a",
            Some("A"),
            ReferenceMalformed,
        ),
        (
            "issued in the future",
            "ownership_certificate",
            |p| {
                p["issued"]["date"] = json!("2026-12-01");
                p["valid_until"] = json!("2029-11-30");
            },
            "13",
            None,
            IssueDateInFuture,
        ),
        (
            "no place of issue",
            "ownership_certificate",
            |p| p["issued"]["place"] = json!(""),
            "13",
            None,
            IssueIncomplete,
        ),
        (
            "export permit endorsed twice",
            "certificate_of_origin",
            |p| {
                let e = json!({"quantities":{"A":"12"},"port":"Tribhuvan Airport","date":"2026-09-01","official":"customs-11"});
                p["export_endorsements"] = json!([e.clone(), e]);
            },
            "14",
            None,
            EndorsementOnSingleUse,
        ),
        (
            "endorsed more than permitted",
            "certificate_of_origin",
            |p| p["export_endorsements"] = json!([{"quantities":{"A":"13"},"port":"Tribhuvan Airport","date":"2026-09-01","official":"customs-11"}]),
            "14",
            Some("A"),
            EndorsementExceedsPermitted,
        ),
        (
            "endorsement for an unknown block",
            "certificate_of_origin",
            |p| p["export_endorsements"] = json!([{"quantities":{"B":"1"},"port":"Tribhuvan Airport","date":"2026-09-01","official":"customs-11"}]),
            "14",
            Some("B"),
            EndorsementUnknownBlock,
        ),
        (
            "exported after expiry",
            "certificate_of_origin",
            |p| p["export_endorsements"] = json!([{"quantities":{"A":"12"},"port":"Tribhuvan Airport","date":"2027-08-20","official":"customs-11"}]),
            "14",
            None,
            EndorsementOutsideValidity,
        ),
        (
            "endorsement without port",
            "certificate_of_origin",
            |p| p["export_endorsements"] = json!([{"quantities":{"A":"12"},"port":"","date":"2026-09-01","official":"customs-11"}]),
            "14",
            None,
            EndorsementIncomplete,
        ),
        (
            "transport document number too long",
            "certificate_of_origin",
            |p| p["export_endorsements"] = json!([{"quantities":{"A":"12"},"port":"KTM","date":"2026-09-01","official":"customs-11","transport_document":"9".repeat(40)}]),
            "15",
            None,
            TextTooLong,
        ),
        (
            "description of 2000 characters",
            "certificate_of_origin",
            |p| p["blocks"][0]["description"] = json!("x".repeat(2000)),
            "9",
            None,
            TextTooLong,
        ),
    ]
}

#[test]
fn each_broken_rule_is_reported_at_its_box() {
    let cases = cases();
    assert!(cases.len() >= 40, "only {} invalid permits", cases.len());
    let mut rules = std::collections::BTreeSet::new();
    let mut failures = Vec::new();
    for (what, name, mutate, form_box, block, rule) in cases {
        let mut v = fixture(name);
        mutate(&mut v);
        let permit = parse(&v);
        let problems = validate(&permit, &ctx());
        let got: Vec<_> = problems
            .iter()
            .map(|p| (p.form_box, p.block.as_deref(), p.rule))
            .collect();
        if got != [(form_box, block, rule)] || problems[0].message.is_empty() {
            failures.push(format!(
                "{what}: expected box {form_box} {block:?} {rule}, got {problems:#?}"
            ));
        }
        rules.insert(rule);
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    assert!(
        rules.len() >= 40,
        "only {} distinct rules exercised",
        rules.len()
    );
}

#[test]
fn all_problems_are_reported_at_once() {
    let mut v = fixture("export_permit");
    v["number"] = json!("");
    v["valid_until"] = json!("2028-01-01");
    v["blocks"][0]["quantity"] = json!("0");
    v["special_conditions"] = json!([]);
    let problems = validate(&parse(&v), &ctx());
    let rules: Vec<Rule> = problems.iter().map(|p| p.rule).collect();
    for r in [
        Rule::NumberMissing,
        Rule::ValidityTooLong,
        Rule::QuantityNotPositive,
        Rule::LiveTransportMissing,
    ] {
        assert!(rules.contains(&r), "{r} missing from {rules:?}");
    }
}

#[test]
fn malformed_json_names_the_field() {
    let mut v = fixture("export_permit");
    v["blocks"][1]["source"] = json!("Q");
    let err = Permit::from_json(&serde_json::to_vec(&v).unwrap()).unwrap_err();
    assert_eq!(err.path, "blocks[1].source");
    assert!(
        err.to_string().contains("unknown source code \"Q\""),
        "{err}"
    );

    let mut v = fixture("export_permit");
    v["blocks"][0]["quantity"] = json!("-5");
    let err = Permit::from_json(&serde_json::to_vec(&v).unwrap()).unwrap_err();
    assert_eq!(err.path, "blocks[0].quantity");

    let mut v = fixture("export_permit");
    v["importer"]["country"] = json!("ZZ");
    let err = Permit::from_json(&serde_json::to_vec(&v).unwrap()).unwrap_err();
    assert_eq!(err.path, "importer.country");

    let mut v = fixture("export_permit");
    v["colour"] = json!("blue");
    let err = Permit::from_json(&serde_json::to_vec(&v).unwrap()).unwrap_err();
    assert!(err.message.contains("unknown field `colour`"), "{err}");

    assert!(Permit::from_json(b"{\"number\": ").is_err());
}

#[test]
fn canonical_json_round_trips_every_fixture() {
    for name in TYPES {
        let permit = parse(&fixture(name));
        let json = serde_json::to_vec(&permit).unwrap();
        assert_eq!(Permit::from_json(&json).unwrap(), permit, "{name}");
    }
}

/// Every commitment on a log was made with `serde_json_canonicalizer`: our RFC 8785 writer
/// gives the same bytes for every kind of permit, straight from the typed value.
#[test]
fn commitment_bytes_match_the_reference_for_every_fixture() {
    for name in TYPES {
        let permit = parse(&fixture(name));
        assert_eq!(
            contracts::canonical::to_vec(&permit).unwrap(),
            serde_json_canonicalizer::to_vec(&permit).unwrap(),
            "{name}"
        );
    }
}
