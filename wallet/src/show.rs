//! A permit as a person reads it: the boxes of the standard form, with code labels.

use std::fmt::Write;

use contracts::Permit;
use contracts::permit::{SpecialCondition, TradeParty};

fn party(p: &TradeParty) -> String {
    format!("{}, {} ({})", p.name, p.address, p.country.name())
}

/// The permit's boxes, one per line.
pub fn render(p: &Permit, issuer: &str) -> String {
    let mut s = String::new();
    let mut line = |label: &str, value: String| {
        let _ = writeln!(s, "{label:<28} {value}");
    };
    line(
        "1  Document",
        format!(
            "{} No. {}{}",
            p.document_type.title(),
            p.number,
            if p.copy { " (COPY)" } else { "" }
        ),
    );
    line(
        "2  Valid",
        format!("{} to {}", p.first_valid_day(), p.valid_until),
    );
    line("3  Importer", party(&p.importer));
    if let Some(e) = &p.exporter {
        line("4  Exporter", party(e));
    }
    for c in &p.special_conditions {
        let text = match c {
            SpecialCondition::LiveTransport => {
                "live specimens: CITES guidelines / IATA Live Animals Regulations".to_owned()
            }
            SpecialCondition::Replaces {
                number,
                date,
                reason,
            } => format!("replaces {number} of {date}: {reason}"),
            SpecialCondition::Retrospective { reason } => {
                format!("issued retrospectively: {reason}")
            }
            SpecialCondition::Text { text } => text.clone(),
        };
        line("5  Special conditions", text);
    }
    if let Some(r) = &p.import_permit {
        line(
            "5  Import permit",
            format!("{} {} of {}", r.country, r.number, r.date),
        );
    }
    line(
        "5a Purpose",
        format!("{} ({})", p.purpose.code(), p.purpose.label()),
    );
    line(
        "6  Management Authority",
        format!(
            "{}, {} ({})",
            p.authority.name,
            p.authority.address,
            p.authority.country.name()
        ),
    );
    line("   Issuer DID", issuer.to_owned());
    for b in &p.blocks {
        line(
            &format!("{}  7/8 Species", b.id),
            match &b.common_name {
                Some(c) => format!("{} ({c})", b.scientific_name),
                None => b.scientific_name.clone(),
            },
        );
        line(
            "   9  Description",
            format!("{} [{} {}]", b.description, b.term.code(), b.term.label()),
        );
        line(
            "   10 Appendix / source",
            format!(
                "{} / {} ({})",
                b.appendix,
                b.source.code(),
                b.source.label()
            ),
        );
        line(
            "   11 Quantity",
            format!("{} {} ({})", b.quantity, b.unit.code(), b.unit.label()),
        );
        if let Some(q) = &b.quota {
            line(
                "   11a Quota",
                format!(
                    "{} of {} {} exported this year",
                    q.exported_to_date, q.annual_quota, q.unit
                ),
            );
        }
        if let Some(o) = &b.origin {
            line(
                "   12 Origin",
                format!("{} {} of {}", o.country, o.number, o.date),
            );
        }
    }
    line(
        "13 Issued",
        format!(
            "{}, {} by {}",
            p.issued.place, p.issued.date, p.issued.official
        ),
    );
    for e in &p.export_endorsements {
        let q: Vec<_> = e
            .quantities
            .iter()
            .map(|(b, q)| format!("{b}: {q}"))
            .collect();
        line(
            "14 Export endorsement",
            format!("{} at {} ({})", e.date, e.port, q.join(", ")),
        );
    }
    s
}
