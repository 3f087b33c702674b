//! Permit → `CITESEPermit`.

use std::io;

use chrono::NaiveDate;
use contracts::permit::{
    DocumentReference, ExportEndorsement, SpecialCondition, SpeciesBlock, TradeParty,
};
use contracts::{Permit, Quantity, Unit};
use quick_xml::Writer;
use quick_xml::events::{BytesDecl, BytesText, Event};

use crate::{NS_RAM, NS_RSM, XmlError, document_codes, sentences};

type W = Writer<Vec<u8>>;

/// The permit as a toolkit v2 message, indented, UTF-8.
pub fn to_xml(permit: &Permit) -> Result<String, XmlError> {
    let mut w = Writer::new_with_indent(Vec::new(), b' ', 2);
    w.write_event(Event::Decl(BytesDecl::new("1.0", Some("UTF-8"), None)))?;
    w.create_element("rsm:CITESEPermit")
        .with_attribute(("xmlns:rsm", NS_RSM))
        .with_attribute(("xmlns:ram", NS_RAM))
        .write_inner_content(|w| {
            context(w)?;
            header(w, permit)?;
            consignment(w, permit)
        })?;
    String::from_utf8(w.into_inner()).map_err(|e| XmlError::Write(e.to_string()))
}

fn text(w: &mut W, name: &str, value: &str) -> io::Result<()> {
    if let Some(c) = value.chars().find(|c| !xml_char(*c)) {
        return Err(io::Error::new(
            io::ErrorKind::InvalidData,
            format!(
                "{name} holds the character U+{:04X}, which XML cannot carry",
                u32::from(c)
            ),
        ));
    }
    // A parser turns a literal CR into LF; as a character reference it stays a CR.
    let escaped = quick_xml::escape::escape(value).replace('\r', "&#13;");
    w.create_element(name)
        .write_text_content(BytesText::from_escaped(escaped))?;
    Ok(())
}

/// XML 1.0's `Char` production.
fn xml_char(c: char) -> bool {
    matches!(c, '\t' | '\n' | '\r' | '\u{20}'..='\u{D7FF}' | '\u{E000}'..='\u{FFFD}' | '\u{10000}'..)
}

fn node(w: &mut W, name: &str, inner: impl FnOnce(&mut W) -> io::Result<()>) -> io::Result<()> {
    w.create_element(name).write_inner_content(inner)?;
    Ok(())
}

fn date(w: &mut W, name: &str, day: NaiveDate) -> io::Result<()> {
    text(w, name, &format!("{day}T00:00:00"))
}

fn quantity(w: &mut W, name: &str, q: Quantity, unit: Unit) -> io::Result<()> {
    w.create_element(name)
        .with_attribute(("unitCode", unit.code()))
        .write_text_content(BytesText::new(&q.to_string()))?;
    Ok(())
}

fn context(w: &mut W) -> io::Result<()> {
    node(w, "rsm:SpecifiedExchangedDocumentContext", |w| {
        node(
            w,
            "ram:BusinessProcessSpecifiedDocumentContextParameter",
            |w| {
                text(w, "ram:ID", "1")?;
                text(w, "ram:Value", "CITES Permitting")?;
                node(w, "ram:SpecifiedDocumentVersion", |w| {
                    text(w, "ram:ID", "1")
                })
            },
        )
    })
}

fn header(w: &mut W, p: &Permit) -> io::Result<()> {
    node(w, "rsm:HeaderExchangedDocument", |w| {
        text(w, "ram:ID", &p.number)?;
        text(w, "ram:Name", p.document_type.title())?;
        text(w, "ram:TypeCode", &p.document_type.form_code().to_string())?;
        date(w, "ram:IssueDateTime", p.issued.date)?;
        text(
            w,
            "ram:CopyIndicator",
            if p.copy { "true" } else { "false" },
        )?;
        text(w, "ram:PurposeCode", p.purpose.code())?;
        for condition in &p.special_conditions {
            text(w, "ram:Information", &information(condition)?)?;
        }
        if p.annex {
            text(w, "ram:Information", sentences::ANNEX)?;
        }
        if let Some(import) = &p.import_permit {
            reference(
                w,
                "ram:ReferenceReferencedDocument",
                document_codes::IMPORT_LICENCE,
                import,
            )?;
        }
        node(w, "ram:EffectiveSpecifiedPeriod", |w| {
            if let Some(from) = p.valid_from {
                date(w, "ram:StartDateTime", from)?;
            }
            date(w, "ram:EndDateTime", p.valid_until)
        })?;
        node(w, "ram:IssueLogisticsLocation", |w| {
            text(w, "ram:Name", &p.issued.place)
        })?;
        node(w, "ram:FirstSignatoryDocumentAuthentication", |w| {
            text(w, "ram:TypeCode", "A")?;
            if let Some(stamp) = &p.security_stamp {
                text(w, "ram:ID", stamp)?;
            }
            node(w, "ram:ProviderTradeParty", |w| {
                if let Some(did) = &p.authority.did {
                    text(w, "ram:ID", did)?;
                }
                text(w, "ram:Name", &p.authority.name)?;
                address(w, &p.authority.address, p.authority.country)
            })
        })?;
        node(w, "ram:ThirdSignatoryDocumentAuthentication", |w| {
            text(w, "ram:TypeCode", "C")?;
            date(w, "ram:ActualDateTime", p.issued.date)?;
            node(w, "ram:ProviderTradeParty", |w| {
                node(w, "ram:SpecifiedAuthoritativeSignatoryPerson", |w| {
                    text(w, "ram:Name", &p.issued.official)
                })
            })
        })
    })
}

/// A special condition as one line of box 5 (see `sentences`), refused when the line would
/// read back as something else (free text that looks like a fixed sentence, a replaced
/// number containing " of ").
fn information(condition: &SpecialCondition) -> io::Result<String> {
    let line = line_of(condition);
    let (back, annex) = crate::read::condition_of(&line);
    if annex || back != *condition {
        return Err(io::Error::new(
            io::ErrorKind::InvalidData,
            format!("box 5 {line:?} would read back as another condition; reword it"),
        ));
    }
    Ok(line)
}

fn line_of(condition: &SpecialCondition) -> String {
    match condition {
        SpecialCondition::LiveTransport => sentences::LIVE_TRANSPORT.to_owned(),
        SpecialCondition::Replaces {
            number,
            date,
            reason,
        } => format!("{}{number} of {date}: {reason}", sentences::REPLACES),
        SpecialCondition::Retrospective { reason } => {
            format!("{}{reason}", sentences::RETROSPECTIVE)
        }
        SpecialCondition::Text { text } => text.clone(),
    }
}

fn reference(w: &mut W, name: &str, code: &str, r: &DocumentReference) -> io::Result<()> {
    node(w, name, |w| {
        text(w, "ram:ID", &r.number)?;
        text(w, "ram:TypeCode", code)?;
        date(w, "ram:IssueDateTime", r.date)?;
        node(w, "ram:IssuerTradeCountry", |w| {
            text(w, "ram:ID", &r.country.to_string())
        })
    })
}

fn address(w: &mut W, lines: &str, country: contracts::Country) -> io::Result<()> {
    node(w, "ram:PostalTradeAddress", |w| {
        text(w, "ram:StreetName", lines)?;
        text(w, "ram:CountryID", &country.to_string())
    })
}

fn party(w: &mut W, name: &str, p: &TradeParty) -> io::Result<()> {
    node(w, name, |w| {
        text(w, "ram:Name", &p.name)?;
        address(w, &p.address, p.country)
    })
}

fn consignment(w: &mut W, p: &Permit) -> io::Result<()> {
    node(w, "rsm:SpecifiedSupplyChainConsignment", |w| {
        if let Some(exporter) = &p.exporter {
            party(w, "ram:ConsignorTradeParty", exporter)?;
        }
        party(w, "ram:ConsigneeTradeParty", &p.importer)?;
        for (i, e) in p.export_endorsements.iter().enumerate() {
            endorsement(w, i + 1, e)?;
        }
        for block in &p.blocks {
            item(w, block, &p.export_endorsements)?;
        }
        Ok(())
    })
}

/// Box 14 of one export (multi-use certificates have several), numbered so that each block's
/// quantity names the export it belongs to.
fn endorsement(w: &mut W, n: usize, e: &ExportEndorsement) -> io::Result<()> {
    node(w, "ram:ExaminationTransportEvent", |w| {
        text(w, "ram:ID", &n.to_string())?;
        date(w, "ram:ActualOccurrenceDateTime", e.date)?;
        node(w, "ram:OccurrenceLogisticsLocation", |w| {
            text(w, "ram:ID", &e.port)
        })?;
        node(w, "ram:CertifyingTradeParty", |w| {
            text(w, "ram:Name", &e.official)
        })?;
        if let Some(document) = &e.transport_document {
            node(w, "ram:TransportContractReferencedDocument", |w| {
                text(w, "ram:ID", document)
            })?;
        }
        Ok(())
    })
}

fn item(w: &mut W, b: &SpeciesBlock, endorsements: &[ExportEndorsement]) -> io::Result<()> {
    node(w, "ram:IncludedSupplyChainConsignmentItem", |w| {
        text(w, "ram:ID", &b.id)?;
        if !b.marks.is_empty() {
            node(w, "ram:PhysicalLogisticsShippingMarks", |w| {
                b.marks.iter().try_for_each(|m| text(w, "ram:Marking", m))
            })?;
        }
        if let Some(origin) = &b.origin {
            node(w, "ram:OriginTradeCountry", |w| {
                text(w, "ram:ID", &origin.country.to_string())
            })?;
        }
        if let Some(last) = &b.last_re_export {
            node(w, "ram:ExportTradeCountry", |w| {
                text(w, "ram:ID", &last.country.to_string())
            })?;
        }
        if let Some(origin) = &b.origin {
            reference(
                w,
                "ram:AssociatedReferencedDocument",
                document_codes::ORIGIN,
                origin,
            )?;
        }
        if let Some(last) = &b.last_re_export {
            reference(
                w,
                "ram:AssociatedReferencedDocument",
                document_codes::LAST_RE_EXPORT,
                last,
            )?;
        }
        node(w, "ram:TransportLogisticsPackage", |w| {
            quantity(w, "ram:ItemQuantity", b.quantity, b.unit)
        })?;
        node(w, "ram:IncludedSupplyChainTradeLineItem", |w| {
            text(w, "ram:TypeCode", b.appendix.code())?;
            text(w, "ram:TypeExtensionCode", b.source.code())?;
            node(w, "ram:SpecifiedTradeProduct", |w| {
                text(w, "ram:Description", &b.description)?;
                text(w, "ram:TypeCode", b.term.code())?;
                if let Some(common) = &b.common_name {
                    text(w, "ram:CommonName", common)?;
                }
                text(w, "ram:ScientificName", &b.scientific_name)?;
                node(w, "ram:DesignatedProductClassification", |w| {
                    text(w, "ram:ClassName", b.kingdom.code())
                })
            })
        })?;
        for (i, e) in endorsements.iter().enumerate() {
            if let Some(q) = e.quantities.get(&b.id) {
                node(w, "ram:ExaminationTransportEvent", |w| {
                    text(w, "ram:ID", &(i + 1).to_string())?;
                    quantity(w, "ram:UnitQuantity", *q, b.unit)
                })?;
            }
        }
        let regulated =
            b.quota.is_some() || b.acquisition_date.is_some() || b.registered_operation.is_some();
        if regulated {
            node(w, "ram:ApplicableCrossBorderRegulatoryProcedure", |w| {
                if let Some(q) = &b.quota {
                    quantity(w, "ram:UsedToDateQuotaQuantity", q.exported_to_date, q.unit)?;
                    quantity(w, "ram:AnnualQuotaQuantity", q.annual_quota, q.unit)?;
                }
                if let Some(day) = b.acquisition_date {
                    date(w, "ram:AcquisitionDateTime", day)?;
                }
                if let Some(operation) = &b.registered_operation {
                    node(w, "ram:PreviousReferencedDocument", |w| {
                        text(w, "ram:ID", operation)
                    })?;
                }
                Ok(())
            })?;
        }
        Ok(())
    })
}
