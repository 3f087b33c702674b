//! `CITESEPermit` → permit.

use std::collections::BTreeMap;
use std::str::FromStr;

use chrono::NaiveDate;
use contracts::permit::{
    DocumentReference, ExportEndorsement, Issuance, ManagementAuthority, QuotaPosition,
    SpecialCondition, TradeParty,
};
use contracts::{DocumentType, Permit, Quantity, SpeciesBlock, Unit};
use roxmltree::{Document, Node};

use crate::{NS_RAM, NS_RSM, document_codes, sentences};

/// Why a message is not a permit. Paths are element names from the root, without prefixes.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum XmlError {
    /// Not well-formed XML.
    #[error("not well-formed XML: {0}")]
    Syntax(String),
    /// Well-formed, but another message.
    #[error("the root element is {0}, not CITESEPermit of {NS_RSM}")]
    NotAPermit(String),
    /// A box the permit must have is not there.
    #[error("{0} is missing")]
    Missing(String),
    /// A value that does not read as what its box holds.
    #[error("{path}: {value:?} {reason}")]
    Bad {
        /// Where.
        path: String,
        /// What was there.
        value: String,
        /// What is wrong with it.
        reason: String,
    },
    /// The permit holds something the message cannot (a control character in a name).
    #[error("cannot write the message: {0}")]
    Write(String),
}

impl From<std::io::Error> for XmlError {
    fn from(e: std::io::Error) -> XmlError {
        XmlError::Write(e.to_string())
    }
}

/// Reads a toolkit v2 message.
pub fn from_xml(xml: &str) -> Result<Permit, XmlError> {
    let doc = Document::parse(xml).map_err(|e| XmlError::Syntax(e.to_string()))?;
    let root = doc.root_element();
    if root.tag_name().name() != "CITESEPermit" || root.tag_name().namespace() != Some(NS_RSM) {
        return Err(XmlError::NotAPermit(format!(
            "{{{}}}{}",
            root.tag_name().namespace().unwrap_or(""),
            root.tag_name().name()
        )));
    }
    read_permit(El {
        node: root,
        path: "CITESEPermit".to_owned(),
    })
}

/// An element and the path that led to it, for errors that say where.
#[derive(Clone)]
struct El<'a, 'i> {
    node: Node<'a, 'i>,
    path: String,
}

impl<'a, 'i> El<'a, 'i> {
    fn children(&self, name: &str) -> impl Iterator<Item = El<'a, 'i>> + use<'a, 'i> {
        let path = format!("{}/{name}", self.path);
        let name = name.to_owned();
        self.node
            .children()
            .filter(move |c| {
                c.is_element()
                    && c.tag_name().name() == name
                    && matches!(c.tag_name().namespace(), Some(NS_RAM | NS_RSM))
            })
            .map(move |node| El {
                node,
                path: path.clone(),
            })
    }

    fn child(&self, name: &str) -> Option<El<'a, 'i>> {
        self.children(name).next()
    }

    fn need(&self, name: &str) -> Result<El<'a, 'i>, XmlError> {
        self.child(name)
            .ok_or_else(|| XmlError::Missing(format!("{}/{name}", self.path)))
    }

    /// The text as written: free text keeps its spaces, so that it round-trips.
    fn text(&self) -> String {
        self.node.text().unwrap_or("").to_owned()
    }

    fn bad(&self, reason: impl Into<String>) -> XmlError {
        XmlError::Bad {
            path: self.path.clone(),
            value: self.text(),
            reason: reason.into(),
        }
    }

    /// The text of a child that must be there.
    fn need_text(&self, name: &str) -> Result<String, XmlError> {
        Ok(self.need(name)?.text())
    }

    fn opt_text(&self, name: &str) -> Option<String> {
        self.child(name).map(|c| c.text())
    }

    fn parse<T: FromStr>(&self) -> Result<T, XmlError>
    where
        T::Err: std::fmt::Display,
    {
        self.text()
            .trim()
            .parse()
            .map_err(|e: T::Err| self.bad(e.to_string()))
    }

    /// A date, written `YYYY-MM-DD` or as the day of an ISO 8601 date-time.
    fn date(&self) -> Result<NaiveDate, XmlError> {
        let text = self.text().trim().to_owned();
        let day = text.get(..10).unwrap_or(&text);
        let rest = text.get(10..).unwrap_or("");
        if !(rest.is_empty() || rest.starts_with('T')) {
            return Err(self.bad("is not a date (YYYY-MM-DD)"));
        }
        NaiveDate::parse_from_str(day, "%Y-%m-%d")
            .map_err(|_| self.bad("is not a date (YYYY-MM-DD)"))
    }

    fn quantity(&self) -> Result<(Quantity, Unit), XmlError> {
        let q = self.parse()?;
        let unit = match self.node.attribute("unitCode") {
            Some(code) => code
                .parse()
                .map_err(|e: contracts::codes::UnknownCode| self.bad(e.to_string()))?,
            None => Unit::Number,
        };
        Ok((q, unit))
    }
}

fn read_permit(root: El) -> Result<Permit, XmlError> {
    let header = root.need("HeaderExchangedDocument")?;
    let consignment = root.need("SpecifiedSupplyChainConsignment")?;
    let document_type = document_type(&header)?;
    let issue_date = header.need("IssueDateTime")?.date()?;
    let copy = match header.opt_text("CopyIndicator").as_deref() {
        None | Some("false") => false,
        Some("true") => true,
        Some(_) => {
            return Err(header
                .need("CopyIndicator")?
                .bad("is neither true nor false"));
        }
    };
    let (special_conditions, annex) = conditions(&header)?;
    let mut import_permit = None;
    for r in header.children("ReferenceReferencedDocument") {
        match r.need_text("TypeCode")?.trim() {
            document_codes::IMPORT_LICENCE => import_permit = Some(reference(&r)?),
            _ => {
                return Err(r
                    .need("TypeCode")?
                    .bad("is not a document code this permit refers to (911)"));
            }
        }
    }
    let period = header.need("EffectiveSpecifiedPeriod")?;
    let valid_from = period
        .child("StartDateTime")
        .map(|d| d.date())
        .transpose()?;
    let valid_until = period.need("EndDateTime")?.date()?;
    let place = header.need("IssueLogisticsLocation")?.need_text("Name")?;
    let first = header.need("FirstSignatoryDocumentAuthentication")?;
    let provider = first.need("ProviderTradeParty")?;
    let (address, country) = address(&provider)?;
    let authority = ManagementAuthority {
        name: provider.need_text("Name")?,
        address,
        country,
        did: provider.opt_text("ID"),
    };
    let official = header
        .need("ThirdSignatoryDocumentAuthentication")?
        .need("ProviderTradeParty")?
        .need("SpecifiedAuthoritativeSignatoryPerson")?
        .need_text("Name")?;
    let exporter = consignment
        .child("ConsignorTradeParty")
        .map(|p| party(&p))
        .transpose()?;
    let importer = party(&consignment.need("ConsigneeTradeParty")?)?;
    let mut export_endorsements = Vec::new();
    for e in consignment.children("ExaminationTransportEvent") {
        let n = e.need("ID")?;
        if n.text().trim() != (export_endorsements.len() + 1).to_string() {
            return Err(n.bad("is not the next export's number"));
        }
        export_endorsements.push(ExportEndorsement {
            quantities: BTreeMap::new(),
            port: e.need("OccurrenceLogisticsLocation")?.need_text("ID")?,
            date: e.need("ActualOccurrenceDateTime")?.date()?,
            official: e.need("CertifyingTradeParty")?.need_text("Name")?,
            transport_document: e
                .child("TransportContractReferencedDocument")
                .map(|d| d.need_text("ID"))
                .transpose()?,
        });
    }
    let mut blocks = Vec::new();
    for item in consignment.children("IncludedSupplyChainConsignmentItem") {
        blocks.push(block(&item, &mut export_endorsements)?);
    }
    if blocks.is_empty() {
        return Err(XmlError::Missing(format!(
            "{}/IncludedSupplyChainConsignmentItem",
            consignment.path
        )));
    }
    Ok(Permit {
        document_type,
        number: header.need_text("ID")?,
        copy,
        valid_from,
        valid_until,
        importer,
        exporter,
        special_conditions,
        import_permit,
        purpose: header.need("PurposeCode")?.parse()?,
        security_stamp: first.opt_text("ID"),
        authority,
        blocks,
        annex,
        issued: Issuance {
            place,
            date: issue_date,
            official,
        },
        export_endorsements,
    })
}

/// The document type: the form code (box 1), made exact by the document's name for `O`.
fn document_type(header: &El) -> Result<DocumentType, XmlError> {
    let code = header.need("TypeCode")?;
    let name = header.opt_text("Name").unwrap_or_default();
    let of_code: Vec<DocumentType> = DocumentType::ALL
        .into_iter()
        .filter(|t| t.form_code().to_string() == code.text().trim())
        .collect();
    match of_code.as_slice() {
        [] => Err(code.bad("is not a form code (E, R, I or O)")),
        [only] => Ok(*only),
        several => several
            .iter()
            .find(|t| t.title().eq_ignore_ascii_case(&name))
            .copied()
            .ok_or_else(|| XmlError::Bad {
                path: format!("{}/Name", header.path),
                value: name.clone(),
                reason: format!(
                    "does not say which certificate of type O this is ({})",
                    several
                        .iter()
                        .map(|t| t.title())
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            }),
    }
}

/// Box 5: the special conditions in their order, and whether the blocks go on in an annex.
fn conditions(header: &El) -> Result<(Vec<SpecialCondition>, bool), XmlError> {
    let mut conditions = Vec::new();
    let mut annex = false;
    for line in header.children("Information") {
        match condition_of(&line.text()) {
            (_, true) => annex = true,
            (condition, false) => conditions.push(condition),
        }
    }
    Ok((conditions, annex))
}

/// One line of box 5: the condition it says, or (true) the annex sentence.
pub(crate) fn condition_of(text: &str) -> (SpecialCondition, bool) {
    let condition = if text == sentences::ANNEX {
        return (SpecialCondition::LiveTransport, true);
    } else if text == sentences::LIVE_TRANSPORT {
        SpecialCondition::LiveTransport
    } else if let Some(reason) = text.strip_prefix(sentences::RETROSPECTIVE) {
        SpecialCondition::Retrospective {
            reason: reason.to_owned(),
        }
    } else if let Some(replaces) = replaces(text) {
        replaces
    } else {
        SpecialCondition::Text {
            text: text.to_owned(),
        }
    };
    (condition, false)
}

/// `Replaces NUMBER of YYYY-MM-DD: REASON`, or none when the line is not of that form.
fn replaces(text: &str) -> Option<SpecialCondition> {
    let rest = text.strip_prefix(sentences::REPLACES)?;
    let (number, rest) = rest.split_once(" of ")?;
    let (date, reason) = rest.split_once(": ")?;
    Some(SpecialCondition::Replaces {
        number: number.to_owned(),
        date: NaiveDate::parse_from_str(date, "%Y-%m-%d").ok()?,
        reason: reason.to_owned(),
    })
}

fn reference(r: &El) -> Result<DocumentReference, XmlError> {
    Ok(DocumentReference {
        country: r.need("IssuerTradeCountry")?.need("ID")?.parse()?,
        number: r.need_text("ID")?,
        date: r.need("IssueDateTime")?.date()?,
    })
}

fn address(party: &El) -> Result<(String, contracts::Country), XmlError> {
    let address = party.need("PostalTradeAddress")?;
    Ok((
        address.opt_text("StreetName").unwrap_or_default(),
        address.need("CountryID")?.parse()?,
    ))
}

fn party(p: &El) -> Result<TradeParty, XmlError> {
    let (address, country) = address(p)?;
    Ok(TradeParty {
        name: p.need_text("Name")?,
        address,
        country,
    })
}

fn block(item: &El, endorsements: &mut [ExportEndorsement]) -> Result<SpeciesBlock, XmlError> {
    let id = item.need_text("ID")?;
    let line = item.need("IncludedSupplyChainTradeLineItem")?;
    let product = line.need("SpecifiedTradeProduct")?;
    let (quantity, unit) = item
        .need("TransportLogisticsPackage")?
        .need("ItemQuantity")?
        .quantity()?;
    let (mut origin, mut last_re_export) = (None, None);
    for r in item.children("AssociatedReferencedDocument") {
        match r.need_text("TypeCode")?.trim() {
            document_codes::ORIGIN => origin = Some(reference(&r)?),
            document_codes::LAST_RE_EXPORT => last_re_export = Some(reference(&r)?),
            _ => {
                return Err(r
                    .need("TypeCode")?
                    .bad("is neither 861 (origin) nor 811 (last re-export)"));
            }
        }
    }
    for e in item.children("ExaminationTransportEvent") {
        let n = e.need("ID")?;
        let export = n
            .text()
            .trim()
            .parse::<usize>()
            .ok()
            .and_then(|n| n.checked_sub(1))
            .and_then(|i| endorsements.get_mut(i))
            .ok_or_else(|| n.bad("is not the number of an export of this permit"))?;
        let (q, _) = e.need("UnitQuantity")?.quantity()?;
        export.quantities.insert(id.clone(), q);
    }
    let procedure = item.child("ApplicableCrossBorderRegulatoryProcedure");
    let quota = match procedure
        .as_ref()
        .and_then(|p| p.child("AnnualQuotaQuantity"))
    {
        None => None,
        Some(annual) => {
            let (annual_quota, unit) = annual.quantity()?;
            let used = procedure
                .as_ref()
                .and_then(|p| p.child("UsedToDateQuotaQuantity"))
                .ok_or_else(|| {
                    XmlError::Missing(format!("{}/UsedToDateQuotaQuantity", annual.path))
                })?;
            Some(QuotaPosition {
                exported_to_date: used.quantity()?.0,
                annual_quota,
                unit,
            })
        }
    };
    let marks = item
        .child("PhysicalLogisticsShippingMarks")
        .map(|m| m.children("Marking").map(|m| m.text()).collect())
        .unwrap_or_default();
    let kingdom = product
        .need("DesignatedProductClassification")?
        .need("ClassName")?
        .parse()?;
    Ok(SpeciesBlock {
        id,
        scientific_name: product.need_text("ScientificName")?,
        common_name: product.opt_text("CommonName"),
        kingdom,
        description: product.opt_text("Description").unwrap_or_default(),
        term: product.need("TypeCode")?.parse()?,
        marks,
        appendix: line.need("TypeCode")?.parse()?,
        source: line.need("TypeExtensionCode")?.parse()?,
        quantity,
        unit,
        quota,
        origin,
        last_re_export,
        registered_operation: procedure
            .as_ref()
            .and_then(|p| p.child("PreviousReferencedDocument"))
            .map(|d| d.need_text("ID"))
            .transpose()?,
        acquisition_date: procedure
            .as_ref()
            .and_then(|p| p.child("AcquisitionDateTime"))
            .map(|d| d.date())
            .transpose()?,
    })
}
