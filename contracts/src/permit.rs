//! The permit or certificate: every box of the CITES standard form (Res. Conf. 12.3).
//!
//! Field names are the stable canonical JSON form (snake_case, documented per field with its
//! box). They are part of the credential vocabulary and of the log commitments: renaming one is
//! a format change, so the golden tests in `tests/golden` pin them.

use std::collections::BTreeMap;
use std::fmt;

use chrono::{Months, NaiveDate};
use serde::{Deserialize, Serialize};

use crate::codes::{Appendix, Country, Kingdom, Purpose, Source, Term, Unit};
use crate::quantity::Quantity;

/// The kind of document, box 1. The standard form ticks Export / Re-export / Import / Other;
/// "Other" is one of the certificates, named here so their rules can differ.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DocumentType {
    /// First export of App. I/II specimens, or App. III from the listing State (Art. III.2, IV.2, V.2).
    ExportPermit,
    /// Prior authorisation of an Appendix-I import (Art. III.3).
    ImportPermit,
    /// Export of previously imported specimens (Art. III.4, IV.5, V.4).
    ReExportCertificate,
    /// App. III specimens exported from a State other than the listing State (Art. V.3).
    CertificateOfOrigin,
    /// Specimens taken in the marine environment beyond national jurisdiction (Art. III.5, IV.6).
    IntroductionFromTheSea,
    /// Specimens acquired before the Convention applied to them (Art. VII.2).
    PreConventionCertificate,
    /// Animals bred in captivity or plants artificially propagated (Art. VII.4-5).
    CaptiveBreedingCertificate,
    /// Circuses and exhibitions crossing borders repeatedly (Art. VII.7).
    TravellingExhibitionCertificate,
    /// Non-commercial movement of instruments containing CITES material (Res. Conf. 16.8).
    MusicalInstrumentCertificate,
    /// Frequent movement of personally owned live animals (Res. Conf. 10.20).
    OwnershipCertificate,
}

impl DocumentType {
    /// Every document type.
    pub const ALL: [DocumentType; 10] = [
        DocumentType::ExportPermit,
        DocumentType::ImportPermit,
        DocumentType::ReExportCertificate,
        DocumentType::CertificateOfOrigin,
        DocumentType::IntroductionFromTheSea,
        DocumentType::PreConventionCertificate,
        DocumentType::CaptiveBreedingCertificate,
        DocumentType::TravellingExhibitionCertificate,
        DocumentType::MusicalInstrumentCertificate,
        DocumentType::OwnershipCertificate,
    ];

    /// The tick on the form and in the toolkit XML `TypeCode`: E, R, I or O.
    pub fn form_code(self) -> char {
        match self {
            DocumentType::ExportPermit => 'E',
            DocumentType::ReExportCertificate => 'R',
            DocumentType::ImportPermit => 'I',
            _ => 'O',
        }
    }

    /// The longest validity, counted from the date of issue (domain file §2, §4.2). Validity
    /// cannot be extended: a new document is needed.
    pub fn max_validity(self) -> Months {
        match self {
            DocumentType::ExportPermit
            | DocumentType::ReExportCertificate
            | DocumentType::PreConventionCertificate
            | DocumentType::CaptiveBreedingCertificate => Months::new(6),
            DocumentType::ImportPermit
            | DocumentType::CertificateOfOrigin
            | DocumentType::IntroductionFromTheSea => Months::new(12),
            DocumentType::TravellingExhibitionCertificate
            | DocumentType::MusicalInstrumentCertificate
            | DocumentType::OwnershipCertificate => Months::new(36),
        }
    }

    /// Multi-use certificates take one export endorsement per border crossing; every other
    /// document covers one consignment (Art. VI.5).
    pub fn is_multi_use(self) -> bool {
        matches!(
            self,
            DocumentType::TravellingExhibitionCertificate
                | DocumentType::MusicalInstrumentCertificate
                | DocumentType::OwnershipCertificate
        )
    }

    /// Whether the issuing Party is the Party the specimens leave (so box 4 is in that Party).
    /// Import permits and introductions from the sea are issued by the receiving State.
    pub fn issued_by_exporting_party(self) -> bool {
        !matches!(
            self,
            DocumentType::ImportPermit | DocumentType::IntroductionFromTheSea
        )
    }

    /// Human name, as printed on the form.
    pub fn title(self) -> &'static str {
        match self {
            DocumentType::ExportPermit => "Export permit",
            DocumentType::ImportPermit => "Import permit",
            DocumentType::ReExportCertificate => "Re-export certificate",
            DocumentType::CertificateOfOrigin => "Certificate of origin",
            DocumentType::IntroductionFromTheSea => "Certificate of introduction from the sea",
            DocumentType::PreConventionCertificate => "Pre-Convention certificate",
            DocumentType::CaptiveBreedingCertificate => {
                "Certificate of captive breeding / artificial propagation"
            }
            DocumentType::TravellingExhibitionCertificate => "Travelling-exhibition certificate",
            DocumentType::MusicalInstrumentCertificate => "Musical-instrument certificate",
            DocumentType::OwnershipCertificate => "Certificate of ownership",
        }
    }
}

/// The global permit key: permit numbers are unique only per issuing Party (domain file §4.9).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct PermitKey {
    /// Issuing Party.
    pub party: Country,
    /// Box 1 number.
    pub number: String,
}

impl fmt::Display for PermitKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.party, self.number)
    }
}

/// A person or company in box 3 or 4.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TradeParty {
    /// Name.
    pub name: String,
    /// Postal address (street, city, postcode), without the country.
    pub address: String,
    /// Country (box 3a for the importer).
    pub country: Country,
}

/// Box 6: the issuing Management Authority.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ManagementAuthority {
    /// Name of the MA.
    pub name: String,
    /// Address.
    pub address: String,
    /// Country of the MA: the issuing Party.
    pub country: Country,
    /// The MA's DID, when issued as a credential.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub did: Option<String>,
}

/// A reference to another CITES document (boxes 5, 12, 12a).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DocumentReference {
    /// Issuing country of the referenced document.
    pub country: Country,
    /// Its number.
    pub number: String,
    /// Its date of issue.
    pub date: NaiveDate,
}

/// A condition written in box 5. Structured where the rules depend on it, free text otherwise.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum SpecialCondition {
    /// "Valid only if transport conditions comply with the CITES Guidelines for the non-air
    /// transport of live wild animals and plants or, in the case of air transport, with the IATA
    /// Live Animals Regulations."
    LiveTransport,
    /// This document replaces another (lost, stolen, destroyed or cancelled).
    Replaces {
        /// Number of the replaced document.
        number: String,
        /// Its date of issue.
        date: NaiveDate,
        /// Why it was replaced.
        reason: String,
    },
    /// Issued after the shipment left or arrived (domain file §4.8).
    Retrospective {
        /// Why, as both MAs agreed.
        reason: String,
    },
    /// Free text.
    Text {
        /// The text.
        text: String,
    },
}

/// Box 11a: the quota position for this species, including this permit.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct QuotaPosition {
    /// Quantity exported so far in the quota year, including this permit.
    pub exported_to_date: Quantity,
    /// The annual quota.
    pub annual_quota: Quantity,
    /// Unit of both figures.
    pub unit: Unit,
}

/// One species block A-D (boxes 7 to 12b).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SpeciesBlock {
    /// Block letter: A, B, C, D, then E... on the annex.
    pub id: String,
    /// Box 7: scientific name (genus and species).
    pub scientific_name: String,
    /// Box 8: common name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub common_name: Option<String>,
    /// Kingdom of the taxon, from the species checklist; decides the possible sources.
    pub kingdom: Kingdom,
    /// Box 9: description of the specimens (age and sex if live).
    pub description: String,
    /// Box 9: term code.
    pub term: Term,
    /// Box 9: identifying marks (tags, rings, microchips, labels).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub marks: Vec<String>,
    /// Box 10: Appendix.
    pub appendix: Appendix,
    /// Box 10: source.
    pub source: Source,
    /// Box 11: quantity.
    pub quantity: Quantity,
    /// Box 11: unit; number of specimens when absent.
    #[serde(default = "number_unit")]
    pub unit: Unit,
    /// Box 11a: quota position, for species under a national export quota.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub quota: Option<QuotaPosition>,
    /// Box 12: country of origin, permit number, date (re-exports).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub origin: Option<DocumentReference>,
    /// Box 12a: country of last re-export, certificate number, date.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_re_export: Option<DocumentReference>,
    /// Box 12b: number of the registered operation (source D).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub registered_operation: Option<String>,
    /// Box 12b: date of acquisition (pre-Convention specimens).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub acquisition_date: Option<NaiveDate>,
}

fn number_unit() -> Unit {
    Unit::Number
}

/// Box 13: who issued the document, where and when.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Issuance {
    /// Place of issue.
    pub place: String,
    /// Date of issue; validity runs from it.
    pub date: NaiveDate,
    /// The issuing official (pseudonymous id of an authenticated user).
    pub official: String,
}

/// Box 14: the export endorsement, entered by the inspecting official at export. Multi-use
/// certificates carry one per crossing.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExportEndorsement {
    /// Quantity actually exported, per block id.
    pub quantities: BTreeMap<String, Quantity>,
    /// Port of export.
    pub port: String,
    /// Date of export.
    pub date: NaiveDate,
    /// The endorsing official (pseudonymous id).
    pub official: String,
    /// Box 15: bill of lading or air waybill number.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub transport_document: Option<String>,
}

/// A permit or certificate: the document the MA signs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Permit {
    /// Box 1: document type.
    pub document_type: DocumentType,
    /// Box 1: number allocated by the issuing MA.
    pub number: String,
    /// Header: original (false) or copy (true); a copy cannot stand in for the original.
    #[serde(default)]
    pub copy: bool,
    /// Box 2: valid from (defaults to the date of issue).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub valid_from: Option<NaiveDate>,
    /// Box 2: valid until (last day of validity).
    pub valid_until: NaiveDate,
    /// Box 3 and 3a: importer and country of import.
    pub importer: TradeParty,
    /// Box 4: exporter or re-exporter. Absent only for an introduction from the sea.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exporter: Option<TradeParty>,
    /// Box 5: special conditions.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub special_conditions: Vec<SpecialCondition>,
    /// Box 5: the import permit an Appendix-I export relies on (Art. III.2(d)).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub import_permit: Option<DocumentReference>,
    /// Box 5a: purpose of the transaction.
    pub purpose: Purpose,
    /// Box 5b: security stamp number (paper documents).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub security_stamp: Option<String>,
    /// Box 6: the issuing Management Authority.
    pub authority: ManagementAuthority,
    /// Boxes 7-12b: species blocks A-D (more only with an annex).
    pub blocks: Vec<SpeciesBlock>,
    /// Whether an annex carries blocks beyond the fourth.
    #[serde(default)]
    pub annex: bool,
    /// Box 13: issuance.
    pub issued: Issuance,
    /// Box 14 (and 15 inside): export endorsements; empty on issuance.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub export_endorsements: Vec<ExportEndorsement>,
}

impl Permit {
    /// The global key (issuing Party, number).
    pub fn key(&self) -> PermitKey {
        PermitKey {
            party: self.authority.country,
            number: self.number.clone(),
        }
    }

    /// The first day of validity.
    pub fn first_valid_day(&self) -> NaiveDate {
        self.valid_from.unwrap_or(self.issued.date)
    }

    /// Whether the permit may be used on `day` by its dates alone.
    pub fn is_valid_on(&self, day: NaiveDate) -> bool {
        self.first_valid_day() <= day && day <= self.valid_until
    }

    /// Permitted quantity per block id.
    pub fn permitted_quantities(&self) -> BTreeMap<String, Quantity> {
        self.blocks
            .iter()
            .map(|b| (b.id.clone(), b.quantity))
            .collect()
    }

    /// Parses the canonical JSON form, with the path of the first error.
    pub fn from_json(bytes: &[u8]) -> Result<Permit, crate::ParseError> {
        crate::from_json(bytes)
    }
}
