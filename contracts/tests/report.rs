//! The annual trade report: actual trade where endorsed, permits issued otherwise, nothing for
//! cancelled or unused expired permits; and the upload rules catching bad rows.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::fixture;

use std::collections::BTreeMap;

use contracts::report::{Basis, annual_rows, validate_report};
use contracts::species::Checklist;
use contracts::{Event, Lifecycle};

fn day(s: &str) -> chrono::NaiveDate {
    s.parse().unwrap()
}

#[test]
fn a_year_of_permits_reports_actual_trade_first_and_passes_the_upload_rules() {
    // Issued 2026-10-01, valid to 2027-03-31.
    let endorsed = fixture("export_permit");
    let mut endorsed_life = Lifecycle::new(&endorsed);
    let quantities: BTreeMap<_, _> = [
        ("A".to_owned(), "48".parse().unwrap()),
        ("B".to_owned(), "5".parse().unwrap()),
    ]
    .into();
    endorsed_life
        .apply(&Event::Endorse {
            on: day("2026-11-20"),
            quantities,
        })
        .unwrap();

    let mut unused = fixture("export_permit");
    unused.number = "GH2026000143".into();
    let unused_life = Lifecycle::new(&unused);

    let mut cancelled = fixture("export_permit");
    cancelled.number = "GH2026000144".into();
    let mut cancelled_life = Lifecycle::new(&cancelled);
    cancelled_life
        .apply(&Event::Cancel {
            on: day("2026-10-05"),
        })
        .unwrap();

    let re_export = fixture("re_export_certificate");
    let re_life = Lifecycle::new(&re_export);

    let all = [
        (&endorsed, &endorsed_life),
        (&unused, &unused_life),
        (&cancelled, &cancelled_life),
        (&re_export, &re_life),
    ];
    let rows = annual_rows(2026, day("2026-12-01"), all);
    let actual: Vec<_> = rows.iter().filter(|r| r.basis == Basis::Actual).collect();
    assert_eq!(actual.len(), 2, "both blocks of the endorsed permit");
    assert_eq!(
        actual[0].quantity.to_string(),
        "48",
        "the quantity actually exported, not 50"
    );
    assert_eq!(actual[0].trading_partner.to_string(), "DE");
    assert_eq!(actual[0].export_permit.as_deref(), Some("GH2026000142"));
    let issued: Vec<_> = rows.iter().filter(|r| r.basis == Basis::Issued).collect();
    assert_eq!(
        issued.len(),
        2 + 1,
        "the unused permit's two blocks and the re-export"
    );
    assert!(
        rows.iter()
            .all(|r| r.export_permit.as_deref() != Some("GH2026000144")),
        "cancelled: never used"
    );
    let re = rows
        .iter()
        .find(|r| r.species_name == "Crocodylus porosus")
        .unwrap();
    assert_eq!(
        re.country_of_origin.map(|c| c.to_string()).as_deref(),
        Some("AU")
    );
    assert_eq!(re.origin_permit.as_deref(), Some("PWS2025-AU-118822"));
    assert_eq!(validate_report(2026, &rows, Checklist::bundled()), []);

    // An unused permit that expired carried no trade.
    assert!(annual_rows(2026, day("2027-06-01"), [(&unused, &unused_life)]).is_empty());
    // Nothing of another year.
    assert!(annual_rows(2025, day("2026-12-01"), all).is_empty());
}

#[test]
fn rows_breaking_the_upload_rules_are_named_with_their_column() {
    let p = fixture("export_permit");
    let life = Lifecycle::new(&p);
    let mut rows = annual_rows(2026, day("2026-12-01"), [(&p, &life)]);
    rows[0].appendix = "I".parse().unwrap();
    rows[1].trading_partner = "GH".parse().unwrap();
    rows[1].species_name = "Felis catus".into();
    let problems = validate_report(2026, &rows, Checklist::bundled());
    let columns: Vec<_> = problems.iter().map(|p| (p.row, p.column)).collect();
    assert_eq!(
        columns,
        [(1, "appendix"), (2, "species_name"), (2, "trading_partner")],
        "{problems:#?}"
    );
    assert!(problems[0].message.contains("Appendix II"));
}
