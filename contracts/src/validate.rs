//! The rules of the standard form, checked all at once.
//!
//! An officer fixing an application wants every problem in one pass, each pinned to the box
//! where it must be fixed, so [`validate`] never stops at the first failure. Each problem names
//! a [`Rule`] with a stable code, which tests, the portal and API clients match on.

use std::collections::BTreeSet;
use std::fmt;

use chrono::NaiveDate;
use serde::Serialize;

use crate::codes::{Appendix, Dimension, Kingdom, Purpose, Source};
use crate::permit::{DocumentReference, DocumentType, Permit, SpecialCondition, SpeciesBlock};

/// Longest permit or reference number (toolkit v3: an..35).
pub const MAX_NUMBER_LEN: usize = 35;
/// Blocks that fit on the form itself; more need an annex.
pub const BLOCKS_ON_FORM: usize = 4;

/// What the rules need besides the permit.
#[derive(Debug, Clone, Copy)]
pub struct ValidationContext {
    /// Today, in the issuing Party's calendar: no date of issue may lie after it.
    pub today: NaiveDate,
}

/// A rule of the form, with a stable kebab-case code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
#[allow(missing_docs)] // Each variant is described by `Rule::describe`.
pub enum Rule {
    NumberMissing,
    NumberMalformed,
    ValidityOrder,
    ValidityTooLong,
    ValidFromBeforeIssue,
    ImporterMissing,
    ExporterMissing,
    ExporterNotIssuingParty,
    ImporterNotIssuingParty,
    SameCountry,
    ReplacementIncomplete,
    RetrospectiveWithoutReason,
    LiveTransportMissing,
    AppendixIImportPermitMissing,
    ImportPermitCountry,
    PurposeNotAllowed,
    AppendixICommercial,
    AuthorityIncomplete,
    NoBlocks,
    BlocksWithoutAnnex,
    BlockIdInvalid,
    ScientificNameMissing,
    ScientificNameMalformed,
    DescriptionMissing,
    LiveDescriptionIncomplete,
    SourceKingdom,
    SourceDocumentType,
    SourceAppendix,
    RegisteredOperationMissing,
    AcquisitionDateMissing,
    AcquisitionDateOrder,
    QuantityNotPositive,
    QuantityNotWhole,
    UnitTerm,
    QuotaUnit,
    QuotaExceeded,
    QuotaBelowPermit,
    OriginMissing,
    OriginNotReExport,
    OriginSameAsExporter,
    ReferenceDateOrder,
    ReferenceMalformed,
    IssueDateInFuture,
    IssueIncomplete,
    EndorsementOnSingleUse,
    EndorsementUnknownBlock,
    EndorsementExceedsPermitted,
    EndorsementOutsideValidity,
    EndorsementIncomplete,
    TextTooLong,
}

impl Rule {
    /// Plain-language statement of the rule, for documentation and help text.
    pub fn describe(self) -> &'static str {
        use Rule::*;
        match self {
            NumberMissing => "every document has a number allocated by the issuing MA",
            NumberMalformed => "numbers use letters, digits, '-', '/' and '.' only, at most 35",
            ValidityOrder => "the last day of validity comes after the first",
            ValidityTooLong => "validity may not exceed the maximum for the document type",
            ValidFromBeforeIssue => "validity cannot start before the date of issue",
            ImporterMissing => "the importer's name and address are required",
            ExporterMissing => "the exporter's name and address are required",
            ExporterNotIssuingParty => "the exporter is in the issuing Party",
            ImporterNotIssuingParty => "an import permit is issued by the Party of import",
            SameCountry => "the country of export differs from the country of import",
            ReplacementIncomplete => "a replacement states the replaced number, date and reason",
            RetrospectiveWithoutReason => "a retrospective document states why it was issued late",
            LiveTransportMissing => "live specimens need the live-transport condition",
            AppendixIImportPermitMissing => "an Appendix-I export needs the import permit first",
            ImportPermitCountry => "the import permit comes from the country of import",
            PurposeNotAllowed => "the purpose fits the document type",
            AppendixICommercial => "Appendix-I specimens from the wild are not traded commercially",
            AuthorityIncomplete => "the issuing MA's name and address are required",
            NoBlocks => "a document covers at least one species block",
            BlocksWithoutAnnex => "more than four blocks need an annex",
            BlockIdInvalid => "blocks are lettered A, B, C, ... in order",
            ScientificNameMissing => "the scientific name is required",
            ScientificNameMalformed => "a scientific name is a capitalised genus and an epithet",
            DescriptionMissing => "the specimens are described",
            LiveDescriptionIncomplete => "live animals are described with their sex and age",
            SourceKingdom => "source A is for plants; sources C and R are for animals",
            SourceDocumentType => "the source fits the document type",
            SourceAppendix => "source D is for Appendix-I specimens",
            RegisteredOperationMissing => "source D needs the registered operation's number",
            AcquisitionDateMissing => "pre-Convention specimens need the date of acquisition",
            AcquisitionDateOrder => "the date of acquisition precedes the date of issue",
            QuantityNotPositive => "the quantity is more than zero",
            QuantityNotWhole => "a number of specimens is a whole number",
            UnitTerm => "the unit fits the description of the specimens",
            QuotaUnit => "quota figures use the unit of the quantity",
            QuotaExceeded => "the quantity exported to date stays within the annual quota",
            QuotaBelowPermit => "the quantity exported to date includes this permit",
            OriginMissing => "a re-export names the country of origin, its permit and date",
            OriginNotReExport => "origin and last re-export boxes are for re-exports",
            OriginSameAsExporter => "the country of origin differs from the re-exporting country",
            ReferenceDateOrder => "a referenced document predates this one",
            ReferenceMalformed => "a referenced document has a well-formed number",
            IssueDateInFuture => "the date of issue is not in the future",
            IssueIncomplete => "place of issue and issuing official are recorded",
            EndorsementOnSingleUse => "a single-use document is endorsed once",
            EndorsementUnknownBlock => "endorsed quantities refer to blocks of the document",
            EndorsementExceedsPermitted => "the exported quantity never exceeds the permitted one",
            EndorsementOutsideValidity => "export happens within the validity period",
            EndorsementIncomplete => "an endorsement records port, official and quantities",
            TextTooLong => "free-text fields stay within the form's limits",
        }
    }
}

impl fmt::Display for Rule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The serde name is the stable code.
        let code = serde_json::to_value(self)
            .ok()
            .and_then(|v| v.as_str().map(str::to_owned))
            .unwrap_or_default();
        f.write_str(&code)
    }
}

/// One problem, pinned to a box of the form (and a block, for boxes 7-12b).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Problem {
    /// The box: "1", "2", "3", "3a", "4", "5", "5a", "6", "7" ... "12b", "13", "14", "15".
    #[serde(rename = "box")]
    pub form_box: &'static str,
    /// The block letter, for boxes 7-12b and per-block endorsement quantities.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub block: Option<String>,
    /// The rule broken.
    pub rule: Rule,
    /// What is wrong and how to fix it, in plain language.
    pub message: String,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.block {
            Some(b) => write!(
                f,
                "box {} (block {b}): {} [{}]",
                self.form_box, self.message, self.rule
            ),
            None => write!(f, "box {}: {} [{}]", self.form_box, self.message, self.rule),
        }
    }
}

/// "an export permit", "a re-export certificate": the title in a sentence.
fn with_article(doc: DocumentType) -> String {
    let title = doc.title().to_lowercase();
    let article = if title.starts_with(['a', 'e', 'i', 'o', 'u']) {
        "an"
    } else {
        "a"
    };
    format!("{article} {title}")
}

/// Longest free text in a box (names, addresses, descriptions, conditions).
const MAX_TEXT: usize = 1000;

struct Checker<'a> {
    permit: &'a Permit,
    problems: Vec<Problem>,
}

impl Checker<'_> {
    fn add(&mut self, form_box: &'static str, rule: Rule, message: impl Into<String>) {
        self.problems.push(Problem {
            form_box,
            block: None,
            rule,
            message: message.into(),
        });
    }

    fn add_block(
        &mut self,
        block: &SpeciesBlock,
        form_box: &'static str,
        rule: Rule,
        message: impl Into<String>,
    ) {
        self.problems.push(Problem {
            form_box,
            block: Some(block.id.clone()),
            rule,
            message: message.into(),
        });
    }
}

/// Checks every rule and returns every problem found; an empty list means the permit is valid.
pub fn validate(permit: &Permit, ctx: &ValidationContext) -> Vec<Problem> {
    let mut c = Checker {
        permit,
        problems: Vec::new(),
    };
    check_number(&mut c);
    check_validity(&mut c);
    check_parties(&mut c);
    check_conditions(&mut c);
    check_purpose(&mut c);
    check_authority_and_issuance(&mut c, ctx);
    check_blocks(&mut c);
    check_endorsements(&mut c);
    check_text_lengths(&mut c);
    c.problems
}

fn number_problem(number: &str) -> Option<String> {
    if number.len() > MAX_NUMBER_LEN {
        return Some(format!(
            "number {number:?} is {} characters long; the maximum is {MAX_NUMBER_LEN}",
            number.len()
        ));
    }
    if let Some(bad) = number
        .chars()
        .find(|ch| !(ch.is_ascii_alphanumeric() || matches!(ch, '-' | '/' | '.')))
    {
        return Some(format!(
            "number {number:?} contains {bad:?}; use letters, digits, '-', '/' and '.' only"
        ));
    }
    None
}

fn check_number(c: &mut Checker) {
    let number = c.permit.number.trim();
    if number.is_empty() {
        c.add("1", Rule::NumberMissing, "the document number is empty");
    } else if let Some(msg) = number_problem(&c.permit.number) {
        c.add("1", Rule::NumberMalformed, msg);
    }
}

fn check_validity(c: &mut Checker) {
    let p = c.permit;
    let first = p.first_valid_day();
    if p.valid_until < first {
        c.add(
            "2",
            Rule::ValidityOrder,
            format!(
                "valid until {} is before the first day of validity {first}",
                p.valid_until
            ),
        );
    }
    if let Some(from) = p.valid_from
        && from < p.issued.date
    {
        c.add(
            "2",
            Rule::ValidFromBeforeIssue,
            format!(
                "valid from {from} is before the date of issue {}",
                p.issued.date
            ),
        );
    }
    let max = p.document_type.max_validity();
    if let Some(limit) = p.issued.date.checked_add_months(max)
        && p.valid_until > limit
    {
        c.add(
            "2",
            Rule::ValidityTooLong,
            format!(
                "{} is valid at most {} months from issue ({} to {limit}); {} is too late, \
                     and validity cannot be extended",
                with_article(p.document_type),
                max.as_u32(),
                p.issued.date,
                p.valid_until
            ),
        );
    }
}

fn check_parties(c: &mut Checker) {
    let p = c.permit;
    if p.importer.name.trim().is_empty() || p.importer.address.trim().is_empty() {
        c.add(
            "3",
            Rule::ImporterMissing,
            "the importer's name and address are required",
        );
    }
    let issuing = p.authority.country;
    match &p.exporter {
        None if p.document_type != DocumentType::IntroductionFromTheSea => {
            c.add(
                "4",
                Rule::ExporterMissing,
                "the exporter or re-exporter is required",
            );
        }
        None => {}
        Some(exporter) => {
            if exporter.name.trim().is_empty() || exporter.address.trim().is_empty() {
                c.add(
                    "4",
                    Rule::ExporterMissing,
                    "the exporter's name and address are required",
                );
            }
            if exporter.country == p.importer.country {
                c.add(
                    "3a",
                    Rule::SameCountry,
                    format!(
                        "the country of import ({}) is the exporter's country; a CITES document \
                         is for trade between two States",
                        p.importer.country
                    ),
                );
            }
            if p.document_type.issued_by_exporting_party() && exporter.country != issuing {
                c.add(
                    "4",
                    Rule::ExporterNotIssuingParty,
                    format!(
                        "the exporter is in {} but the document is issued by {}; {} is issued \
                         by the Party of export",
                        exporter.country,
                        issuing,
                        with_article(p.document_type)
                    ),
                );
            }
        }
    }
    if !p.document_type.issued_by_exporting_party() && p.importer.country != issuing {
        c.add(
            "3a",
            Rule::ImporterNotIssuingParty,
            format!(
                "{} is issued by the Party of import ({}), not by {issuing}",
                with_article(p.document_type),
                p.importer.country
            ),
        );
    }
}

fn check_conditions(c: &mut Checker) {
    let p = c.permit;
    for cond in &p.special_conditions {
        match cond {
            SpecialCondition::Replaces {
                number,
                date,
                reason,
            } => {
                if number.trim().is_empty() || reason.trim().is_empty() {
                    c.add(
                        "5",
                        Rule::ReplacementIncomplete,
                        "a replacement states the number of the replaced document and the reason",
                    );
                } else if let Some(msg) = number_problem(number) {
                    c.add(
                        "5",
                        Rule::ReferenceMalformed,
                        format!("replaced document: {msg}"),
                    );
                }
                if *date > p.issued.date {
                    c.add(
                        "5",
                        Rule::ReferenceDateOrder,
                        format!("the replaced document's date {date} is after this one's"),
                    );
                }
            }
            SpecialCondition::Retrospective { reason } if reason.trim().is_empty() => {
                c.add(
                    "5",
                    Rule::RetrospectiveWithoutReason,
                    "a retrospectively issued document must say why",
                );
            }
            _ => {}
        }
    }
    let live_animals = p
        .blocks
        .iter()
        .any(|b| b.term.is_live() && b.kingdom == Kingdom::Animalia);
    if live_animals
        && p.document_type != DocumentType::ImportPermit
        && !p
            .special_conditions
            .contains(&SpecialCondition::LiveTransport)
    {
        c.add(
            "5",
            Rule::LiveTransportMissing,
            "live animals: add the condition that transport must comply with the CITES \
             transport guidelines or the IATA Live Animals Regulations",
        );
    }
    let appendix_i = p.blocks.iter().any(|b| b.appendix == Appendix::I);
    let needs_import_permit = appendix_i
        && matches!(
            p.document_type,
            DocumentType::ExportPermit | DocumentType::ReExportCertificate
        )
        && p.blocks.iter().any(|b| {
            b.appendix == Appendix::I
                && !matches!(
                    b.source,
                    Source::CaptiveBred
                        | Source::ArtificiallyPropagated
                        | Source::RegisteredAppendixI
                )
        });
    match &p.import_permit {
        None if needs_import_permit => c.add(
            "5",
            Rule::AppendixIImportPermitMissing,
            "an Appendix-I export or re-export needs the import permit of the country of import; \
             give its number and date",
        ),
        Some(reference) => {
            if reference.country != p.importer.country {
                c.add(
                    "5",
                    Rule::ImportPermitCountry,
                    format!(
                        "the import permit is from {}, but the country of import is {}",
                        reference.country, p.importer.country
                    ),
                );
            }
            check_reference(c, "5", None, "import permit", reference);
        }
        None => {}
    }
}

fn check_purpose(c: &mut Checker) {
    let p = c.permit;
    let allowed: Option<&[Purpose]> = match p.document_type {
        DocumentType::TravellingExhibitionCertificate => Some(&[Purpose::CircusOrExhibition]),
        DocumentType::OwnershipCertificate | DocumentType::MusicalInstrumentCertificate => Some(&[
            Purpose::Personal,
            Purpose::CircusOrExhibition,
            Purpose::Educational,
        ]),
        _ => None,
    };
    if let Some(allowed) = allowed
        && !allowed.contains(&p.purpose)
    {
        let codes: Vec<_> = allowed.iter().map(|x| x.code()).collect();
        c.add(
            "5a",
            Rule::PurposeNotAllowed,
            format!(
                "{} is for non-commercial movement; purpose {} ({}) is not allowed, use {}",
                with_article(p.document_type),
                p.purpose,
                p.purpose.label(),
                codes.join(", ")
            ),
        );
    }
    if p.purpose == Purpose::Commercial {
        for b in &p.blocks {
            // Art. VII.4-5: App. I specimens bred in captivity or artificially propagated for
            // commercial purposes are treated as App. II; everything else in App. I is not.
            let exempt = matches!(
                b.source,
                Source::RegisteredAppendixI | Source::CaptiveBred | Source::ArtificiallyPropagated
            );
            if b.appendix == Appendix::I && !exempt {
                c.add_block(
                    b,
                    "5a",
                    Rule::AppendixICommercial,
                    format!(
                        "{} is in Appendix I with source {}: trade for commercial purposes (T) \
                         is not allowed",
                        b.scientific_name, b.source
                    ),
                );
            }
        }
    }
}

fn check_authority_and_issuance(c: &mut Checker, ctx: &ValidationContext) {
    let p = c.permit;
    if p.authority.name.trim().is_empty() || p.authority.address.trim().is_empty() {
        c.add(
            "6",
            Rule::AuthorityIncomplete,
            "the issuing MA's name and address are required",
        );
    }
    if p.issued.date > ctx.today {
        c.add(
            "13",
            Rule::IssueDateInFuture,
            format!(
                "the date of issue {} is after today ({})",
                p.issued.date, ctx.today
            ),
        );
    }
    if p.issued.place.trim().is_empty() || p.issued.official.trim().is_empty() {
        c.add(
            "13",
            Rule::IssueIncomplete,
            "the place of issue and the issuing official are required",
        );
    }
}

fn is_scientific_name(name: &str) -> bool {
    let mut words = name.split_whitespace();
    let Some(genus) = words.next() else {
        return false;
    };
    let mut chars = genus.chars();
    let genus_ok = chars.next().is_some_and(|ch| ch.is_ascii_uppercase())
        && chars.all(|ch| ch.is_ascii_lowercase() || ch == '-');
    let rest: Vec<&str> = words.collect();
    let epithet_ok = !rest.is_empty()
        && rest.iter().enumerate().all(|(i, w)| {
            w.chars()
                .all(|ch| ch.is_ascii_lowercase() || ch == '-' || ch == '.' || ch == '×')
                || (i > 0 && !w.is_empty())
        });
    genus_ok && epithet_ok && genus.len() > 1
}

fn check_blocks(c: &mut Checker) {
    let p = c.permit;
    if p.blocks.is_empty() {
        c.add(
            "7",
            Rule::NoBlocks,
            "the document lists no specimens; add block A",
        );
        return;
    }
    if p.blocks.len() > BLOCKS_ON_FORM && !p.annex {
        c.add(
            "7",
            Rule::BlocksWithoutAnnex,
            format!(
                "{} blocks do not fit on the form (at most {BLOCKS_ON_FORM}); attach an annex",
                p.blocks.len()
            ),
        );
    }
    let mut seen = BTreeSet::new();
    for (i, b) in p.blocks.iter().enumerate() {
        let expected = block_letter(i);
        if b.id != expected || !seen.insert(b.id.clone()) {
            c.add_block(
                b,
                "7",
                Rule::BlockIdInvalid,
                format!("block {} should be lettered {expected}", i + 1),
            );
        }
        check_block(c, b);
    }
}

/// The letter of the block at position `i`: A..Z, then AA, AB... on long annexes.
pub fn block_letter(i: usize) -> String {
    let letters = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ";
    if i < 26 {
        char::from(letters[i]).to_string()
    } else {
        format!(
            "{}{}",
            block_letter(i / 26 - 1),
            char::from(letters[i % 26])
        )
    }
}

fn check_block(c: &mut Checker, b: &SpeciesBlock) {
    let p = c.permit;
    if b.scientific_name.trim().is_empty() {
        c.add_block(
            b,
            "7",
            Rule::ScientificNameMissing,
            "the scientific name is required",
        );
    } else if !is_scientific_name(&b.scientific_name) {
        c.add_block(
            b,
            "7",
            Rule::ScientificNameMalformed,
            format!(
                "{:?} is not a scientific name: write the genus with a capital and the epithet \
                 in lower case, e.g. \"Psittacus erithacus\"",
                b.scientific_name
            ),
        );
    }
    if b.description.trim().is_empty() {
        c.add_block(b, "9", Rule::DescriptionMissing, "describe the specimens");
    } else if b.term.is_live() && b.kingdom == Kingdom::Animalia {
        let d = b.description.to_lowercase();
        let has_sex = ["male", "female", "unsexed", "sex unknown", "mixed sexes"]
            .iter()
            .any(|w| d.contains(w));
        let has_age = [
            "adult",
            "juvenile",
            "subadult",
            "year",
            "month",
            "week",
            "age",
            "hatchling",
            "egg",
        ]
        .iter()
        .any(|w| d.contains(w));
        if !(has_sex && has_age) {
            c.add_block(
                b,
                "9",
                Rule::LiveDescriptionIncomplete,
                "live animals: state sex (male, female, unsexed) and age (adult, juvenile, age in \
                 years or months)",
            );
        }
    }
    // Source against kingdom (SAPI TaxonConceptSourceValidationRule).
    match (b.kingdom, b.source) {
        (Kingdom::Animalia, Source::ArtificiallyPropagated | Source::AssistedProduction) => c
            .add_block(
                b,
                "10",
                Rule::SourceKingdom,
                format!(
                    "source {} ({}) is for plants; {} is an animal",
                    b.source,
                    b.source.label(),
                    b.scientific_name
                ),
            ),
        (Kingdom::Plantae, Source::CaptiveBred | Source::Ranched | Source::BornInCaptivity) => c
            .add_block(
                b,
                "10",
                Rule::SourceKingdom,
                format!(
                    "source {} ({}) is for animals; {} is a plant",
                    b.source,
                    b.source.label(),
                    b.scientific_name
                ),
            ),
        _ => {}
    }
    check_source_against_document(c, b);
    if b.source == Source::RegisteredAppendixI {
        if b.appendix != Appendix::I {
            c.add_block(
                b,
                "10",
                Rule::SourceAppendix,
                format!(
                    "source D is for Appendix-I specimens; this block is Appendix {}",
                    b.appendix
                ),
            );
        }
        if b.registered_operation
            .as_deref()
            .is_none_or(|s| s.trim().is_empty())
        {
            c.add_block(
                b,
                "12b",
                Rule::RegisteredOperationMissing,
                "source D: give the number of the operation registered with the Secretariat",
            );
        }
    }
    if b.source == Source::PreConvention {
        match b.acquisition_date {
            None => c.add_block(
                b,
                "12b",
                Rule::AcquisitionDateMissing,
                "pre-Convention specimens: give the date of acquisition",
            ),
            Some(d) if d > p.issued.date => c.add_block(
                b,
                "12b",
                Rule::AcquisitionDateOrder,
                format!("the date of acquisition {d} is after the date of issue"),
            ),
            Some(_) => {}
        }
    }
    // Quantity and unit.
    if b.quantity.is_zero() {
        c.add_block(
            b,
            "11",
            Rule::QuantityNotPositive,
            "the quantity must be more than zero",
        );
    }
    let dimension = b.unit.dimension();
    if !b.term.allowed_dimensions().contains(&dimension) {
        let allowed: Vec<_> = b
            .term
            .allowed_dimensions()
            .iter()
            .map(|d| format!("{d:?}").to_lowercase())
            .collect();
        c.add_block(
            b,
            "11",
            Rule::UnitTerm,
            format!(
                "{} ({}) cannot be measured in {} ({}); use a unit of {}",
                b.term,
                b.term.label(),
                b.unit,
                b.unit.label(),
                allowed.join(" or ")
            ),
        );
    }
    if dimension == Dimension::Count && !b.quantity.is_whole() {
        c.add_block(
            b,
            "11",
            Rule::QuantityNotWhole,
            format!("{} specimens is not a whole number", b.quantity),
        );
    }
    if let Some(q) = &b.quota {
        if q.unit != b.unit {
            c.add_block(
                b,
                "11a",
                Rule::QuotaUnit,
                format!(
                    "the quota is in {} but the quantity is in {}",
                    q.unit, b.unit
                ),
            );
        }
        if q.exported_to_date > q.annual_quota {
            c.add_block(
                b,
                "11a",
                Rule::QuotaExceeded,
                format!(
                    "{} exported to date is above the annual quota of {}",
                    q.exported_to_date, q.annual_quota
                ),
            );
        }
        if q.unit == b.unit && q.exported_to_date < b.quantity {
            c.add_block(
                b,
                "11a",
                Rule::QuotaBelowPermit,
                format!(
                    "exported to date ({}) must include this permit's {}",
                    q.exported_to_date, b.quantity
                ),
            );
        }
    }
    check_origin(c, b);
}

fn check_source_against_document(c: &mut Checker, b: &SpeciesBlock) {
    let doc = c.permit.document_type;
    let problem = match doc {
        DocumentType::IntroductionFromTheSea if b.source != Source::Marine => {
            Some("an introduction from the sea covers source X only".to_owned())
        }
        _ if b.source == Source::Marine && doc != DocumentType::IntroductionFromTheSea => Some(
            "source X (marine, beyond national jurisdiction) needs a certificate of introduction \
             from the sea"
                .to_owned(),
        ),
        DocumentType::PreConventionCertificate if b.source != Source::PreConvention => {
            Some("a pre-Convention certificate covers source O only".to_owned())
        }
        DocumentType::CaptiveBreedingCertificate
            if !matches!(
                b.source,
                Source::CaptiveBred | Source::ArtificiallyPropagated | Source::RegisteredAppendixI
            ) =>
        {
            Some(
                "a captive-breeding / artificial-propagation certificate covers sources C, A and D"
                    .to_owned(),
            )
        }
        DocumentType::CertificateOfOrigin if b.appendix != Appendix::III => Some(format!(
            "a certificate of origin is for Appendix-III specimens; this block is Appendix {}",
            b.appendix
        )),
        _ => None,
    };
    if let Some(message) = problem {
        c.add_block(b, "10", Rule::SourceDocumentType, message);
    }
}

fn check_origin(c: &mut Checker, b: &SpeciesBlock) {
    let p = c.permit;
    let is_re_export = p.document_type == DocumentType::ReExportCertificate;
    if is_re_export {
        match &b.origin {
            None => c.add_block(
                b,
                "12",
                Rule::OriginMissing,
                "a re-export gives the country of origin, the origin permit number and its date",
            ),
            Some(origin) => {
                if origin.country.is_specific()
                    && Some(origin.country) == p.exporter.as_ref().map(|e| e.country)
                {
                    c.add_block(
                        b,
                        "12",
                        Rule::OriginSameAsExporter,
                        format!(
                            "the country of origin {} is the re-exporting country; this is an \
                             export, not a re-export",
                            origin.country
                        ),
                    );
                }
                check_reference(c, "12", Some(b), "origin permit", origin);
            }
        }
        if let Some(last) = &b.last_re_export {
            check_reference(c, "12a", Some(b), "last re-export certificate", last);
        }
    } else if matches!(
        p.document_type,
        DocumentType::ExportPermit | DocumentType::CertificateOfOrigin
    ) && (b.origin.is_some() || b.last_re_export.is_some())
    {
        c.add_block(
            b,
            "12",
            Rule::OriginNotReExport,
            "boxes 12 and 12a are for re-exports; specimens on an export permit originate in the \
             exporting country",
        );
    }
}

fn check_reference(
    c: &mut Checker,
    form_box: &'static str,
    block: Option<&SpeciesBlock>,
    what: &str,
    reference: &DocumentReference,
) {
    let problem = |rule: Rule, message: String| Problem {
        form_box,
        block: block.map(|b| b.id.clone()),
        rule,
        message,
    };
    if reference.number.trim().is_empty() {
        c.problems.push(problem(
            Rule::ReferenceMalformed,
            format!("the {what} number is empty"),
        ));
    } else if let Some(msg) = number_problem(&reference.number) {
        c.problems
            .push(problem(Rule::ReferenceMalformed, format!("{what}: {msg}")));
    }
    if reference.date > c.permit.issued.date {
        c.problems.push(problem(
            Rule::ReferenceDateOrder,
            format!(
                "the {what} is dated {}, after this document's date of issue {}",
                reference.date, c.permit.issued.date
            ),
        ));
    }
}

fn check_endorsements(c: &mut Checker) {
    let p = c.permit;
    if p.export_endorsements.len() > 1 && !p.document_type.is_multi_use() {
        c.add(
            "14",
            Rule::EndorsementOnSingleUse,
            format!(
                "{} covers one consignment and is endorsed once; it carries {} endorsements",
                with_article(p.document_type),
                p.export_endorsements.len()
            ),
        );
    }
    let permitted = p.permitted_quantities();
    for e in &p.export_endorsements {
        if e.port.trim().is_empty() || e.official.trim().is_empty() || e.quantities.is_empty() {
            c.add(
                "14",
                Rule::EndorsementIncomplete,
                "the endorsement records the port of export, the official and a quantity per block",
            );
        }
        if !p.is_valid_on(e.date) {
            c.add(
                "14",
                Rule::EndorsementOutsideValidity,
                format!(
                    "export on {} is outside the validity {} to {}",
                    e.date,
                    p.first_valid_day(),
                    p.valid_until
                ),
            );
        }
        for (block, q) in &e.quantities {
            let problem = |rule, message| Problem {
                form_box: "14",
                block: Some(block.clone()),
                rule,
                message,
            };
            match permitted.get(block) {
                None => c.problems.push(problem(
                    Rule::EndorsementUnknownBlock,
                    format!("block {block} is not on the document"),
                )),
                Some(max) if q > max => c.problems.push(problem(
                    Rule::EndorsementExceedsPermitted,
                    format!("{q} exported is more than the {max} permitted"),
                )),
                Some(_) => {}
            }
        }
        if let Some(doc) = &e.transport_document
            && doc.len() > MAX_NUMBER_LEN
        {
            c.add(
                "15",
                Rule::TextTooLong,
                format!("the transport document number is over {MAX_NUMBER_LEN} characters"),
            );
        }
    }
}

fn check_text_lengths(c: &mut Checker) {
    let p = c.permit;
    let mut fields: Vec<(&'static str, &str)> = vec![
        ("3", &p.importer.name),
        ("3", &p.importer.address),
        ("6", &p.authority.name),
        ("6", &p.authority.address),
        ("13", &p.issued.place),
    ];
    if let Some(e) = &p.exporter {
        fields.push(("4", &e.name));
        fields.push(("4", &e.address));
    }
    for cond in &p.special_conditions {
        match cond {
            SpecialCondition::Text { text } => fields.push(("5", text)),
            SpecialCondition::Retrospective { reason }
            | SpecialCondition::Replaces { reason, .. } => fields.push(("5", reason)),
            SpecialCondition::LiveTransport => {}
        }
    }
    for b in &p.blocks {
        fields.push(("9", &b.description));
    }
    for (form_box, text) in fields {
        if text.chars().count() > MAX_TEXT {
            c.add(
                form_box,
                Rule::TextTooLong,
                format!("text over {MAX_TEXT} characters"),
            );
        }
    }
    if let Some(stamp) = &p.security_stamp
        && stamp.len() > MAX_NUMBER_LEN
    {
        c.add(
            "5b",
            Rule::TextTooLong,
            format!("the security stamp number is over {MAX_NUMBER_LEN} characters"),
        );
    }
}
