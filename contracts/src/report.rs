//! The CITES annual trade report (Art. VIII.7; Res. Conf. 11.17) in the tabular layout the CITES
//! Trade Database ingests, from the permits a Management Authority issued.
//!
//! Actual trade is preferred: a crossing endorsed at export reports the quantities actually
//! exported, in the year of export (`basis = actual`). A permit not used yet reports what it
//! permits, in its year of issue (`basis = issued`). Cancelled and replaced permits were never
//! used and an expired permit without a crossing carried no trade: neither is reported.
//!
//! [`validate_report`] applies the upload rules of the Trade Database the domain file lists
//! (mandatory fields, the species listed in that Appendix, exporter neither importer nor
//! origin, kingdom and source consistent) before anything is written.

use chrono::{Datelike, NaiveDate};
use serde::Serialize;

use crate::codes::{Appendix, Country, Kingdom, Purpose, Source, Term, Unit};
use crate::lifecycle::{Lifecycle, Status};
use crate::permit::{DocumentType, Permit};
use crate::quantity::Quantity;
use crate::species::Checklist;

/// Where a row's figures come from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Basis {
    /// Quantities endorsed at export.
    Actual,
    /// Quantities permitted (not used yet).
    Issued,
}

impl Basis {
    fn as_str(self) -> &'static str {
        match self {
            Basis::Actual => "actual",
            Basis::Issued => "issued",
        }
    }
}

/// One line of the report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ReportRow {
    /// Appendix.
    pub appendix: Appendix,
    /// Scientific name.
    pub species_name: String,
    /// Kingdom (for the source rule; not a column).
    #[serde(skip)]
    pub kingdom: Kingdom,
    /// Term code.
    pub term_code: Term,
    /// Quantity.
    pub quantity: Quantity,
    /// Unit code.
    pub unit_code: Unit,
    /// Country of destination (exports) or of (re-)export (imports).
    pub trading_partner: Country,
    /// Country of origin (re-exports).
    pub country_of_origin: Option<Country>,
    /// Import permit number.
    pub import_permit: Option<String>,
    /// Export permit or re-export certificate number.
    pub export_permit: Option<String>,
    /// Origin permit number (re-exports).
    pub origin_permit: Option<String>,
    /// Certificate of introduction from the sea.
    pub ifs_permit: Option<String>,
    /// Purpose code.
    pub purpose_code: Purpose,
    /// Source code.
    pub source_code: Source,
    /// Year of trade.
    pub year: i32,
    /// Actual trade or permits issued.
    pub basis: Basis,
    /// The exporting country (for the rules; the reporter for exports).
    #[serde(skip)]
    pub exporter: Option<Country>,
}

/// The columns, in the Trade Database's order, then `basis`.
pub const COLUMNS: [&str; 15] = [
    "appendix",
    "species_name",
    "term_code",
    "quantity",
    "unit_code",
    "trading_partner",
    "country_of_origin",
    "import_permit",
    "export_permit",
    "origin_permit",
    "ifs_permit",
    "purpose_code",
    "source_code",
    "year",
    "basis",
];

impl ReportRow {
    /// The row's cells, in [`COLUMNS`] order.
    pub fn cells(&self) -> [String; 15] {
        let opt = |o: &Option<String>| o.clone().unwrap_or_default();
        [
            self.appendix.code().to_owned(),
            self.species_name.clone(),
            self.term_code.code().to_owned(),
            self.quantity.to_string(),
            self.unit_code.code().to_owned(),
            self.trading_partner.to_string(),
            self.country_of_origin
                .map(|c| c.to_string())
                .unwrap_or_default(),
            opt(&self.import_permit),
            opt(&self.export_permit),
            opt(&self.origin_permit),
            opt(&self.ifs_permit),
            self.purpose_code.code().to_owned(),
            self.source_code.code().to_owned(),
            self.year.to_string(),
            self.basis.as_str().to_owned(),
        ]
    }
}

fn rows_of(
    p: &Permit,
    quantities: &dyn Fn(&str) -> Option<Quantity>,
    year: i32,
    basis: Basis,
) -> Vec<ReportRow> {
    let exporting = p.document_type.issued_by_exporting_party();
    p.blocks
        .iter()
        .filter_map(|b| {
            let quantity = quantities(&b.id)?;
            if quantity.is_zero() {
                return None;
            }
            Some(ReportRow {
                appendix: b.appendix,
                species_name: b.scientific_name.trim().to_owned(),
                kingdom: b.kingdom,
                term_code: b.term,
                quantity,
                unit_code: b.unit,
                trading_partner: if exporting {
                    p.importer.country
                } else {
                    p.exporter
                        .as_ref()
                        .map(|e| e.country)
                        .unwrap_or(p.importer.country)
                },
                country_of_origin: b.origin.as_ref().map(|o| o.country),
                import_permit: match p.document_type {
                    DocumentType::ImportPermit => Some(p.number.clone()),
                    _ => p.import_permit.as_ref().map(|r| r.number.clone()),
                },
                export_permit: exporting.then(|| p.number.clone()),
                origin_permit: b.origin.as_ref().map(|o| o.number.clone()),
                ifs_permit: (p.document_type == DocumentType::IntroductionFromTheSea)
                    .then(|| p.number.clone()),
                purpose_code: p.purpose,
                source_code: b.source,
                year,
                basis,
                exporter: if exporting {
                    Some(p.authority.country)
                } else {
                    p.exporter.as_ref().map(|e| e.country)
                },
            })
        })
        .collect()
}

/// The report's rows for `year`, from each permit with its life, and the day the report is
/// made (an unused permit still valid then is reported as issued).
pub fn annual_rows<'a>(
    year: i32,
    today: NaiveDate,
    permits: impl IntoIterator<Item = (&'a Permit, &'a Lifecycle)>,
) -> Vec<ReportRow> {
    let mut rows = Vec::new();
    for (p, life) in permits {
        if matches!(life.status, Status::Cancelled | Status::Replaced) {
            continue;
        }
        let mut crossed = false;
        for c in &life.crossings {
            let (day, amounts) = match (&c.exported_on, &c.imported) {
                (Some(day), _) => (*day, &c.exported),
                (None, Some(i)) => (i.on, &i.quantities),
                (None, None) => continue,
            };
            crossed = true;
            if day.year() == year {
                let q = |b: &str| amounts.get(b).copied();
                rows.extend(rows_of(p, &q, year, Basis::Actual));
            }
        }
        let unused_and_valid = !crossed && life.status_on(today) != Status::Expired;
        if unused_and_valid && p.issued.date.year() == year {
            let permitted = p.permitted_quantities();
            let q = |b: &str| permitted.get(b).copied();
            rows.extend(rows_of(p, &q, year, Basis::Issued));
        }
    }
    rows
}

/// A row that breaks an upload rule.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RowProblem {
    /// Row number, from 1 (the header is row 0).
    pub row: usize,
    /// The column at fault.
    pub column: &'static str,
    /// What is wrong.
    pub message: String,
}

/// Every problem of a report under the Trade Database's upload rules.
pub fn validate_report(year: i32, rows: &[ReportRow], checklist: &Checklist) -> Vec<RowProblem> {
    let mut problems = Vec::new();
    for (i, r) in rows.iter().enumerate() {
        let mut fail = |column, message: String| {
            problems.push(RowProblem {
                row: i + 1,
                column,
                message,
            })
        };
        if r.year != year || !(1000..=9999).contains(&r.year) {
            fail("year", format!("{} is not the report year {year}", r.year));
        }
        if r.species_name.is_empty() {
            fail("species_name", "missing".into());
        }
        if r.quantity.is_zero() {
            fail("quantity", "must be more than zero".into());
        }
        match checklist.lookup(&r.species_name) {
            Some((taxon, _)) if !taxon.appendices().contains(&r.appendix) => fail(
                "appendix",
                format!(
                    "{} is listed in Appendix {}, not {}",
                    taxon.name, taxon.listing, r.appendix
                ),
            ),
            Some(_) => {}
            None => fail(
                "species_name",
                format!("{} is not in the species checklist", r.species_name),
            ),
        }
        if Some(r.trading_partner) == r.exporter {
            fail(
                "trading_partner",
                "the exporter cannot be the importer".into(),
            );
        }
        if r.exporter.is_some() && r.country_of_origin == r.exporter {
            fail(
                "country_of_origin",
                "the exporter cannot be the country of origin".into(),
            );
        }
        let source = r.source_code.code();
        let bad_source = match r.kingdom {
            Kingdom::Animalia => source == "A",
            Kingdom::Plantae => matches!(source, "C" | "R"),
        };
        if bad_source {
            fail(
                "source_code",
                format!("source {source} is not possible for {:?}", r.kingdom),
            );
        }
    }
    problems
}
