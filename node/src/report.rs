//! The annual trade report of this MA (`GET /reports/annual`, `cites-node report annual`):
//! rows from its permit records, checked against the Trade Database's upload rules before they
//! are written, as JSON, CSV or XLSX.

use std::sync::Arc;

use axum::Json;
use axum::extract::{Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use contracts::report::{COLUMNS, ReportRow, RowProblem, annual_rows, validate_report};
use serde::Deserialize;
use serde_json::json;

use crate::auth::Caller;
use crate::http::{AppState, internal, problem};
use crate::store;
use crate::users::Role;

/// The rows of `year` from every permit record of the node, and the problems they have.
pub fn build(
    store: &ledger::Store,
    checklist: &contracts::species::Checklist,
    year: i32,
) -> anyhow::Result<(Vec<ReportRow>, Vec<RowProblem>)> {
    let records: Vec<_> = store::permits(store)?
        .into_iter()
        .map(|r| {
            let life = r.lifecycle();
            (r.permit, life)
        })
        .collect();
    let today = chrono::Utc::now().date_naive();
    let rows = annual_rows(year, today, records.iter().map(|(p, l)| (p, l)));
    let problems = validate_report(year, &rows, checklist);
    Ok((rows, problems))
}

/// The report as CSV.
pub fn csv(rows: &[ReportRow]) -> anyhow::Result<Vec<u8>> {
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record(COLUMNS)?;
    for r in rows {
        w.write_record(r.cells())?;
    }
    Ok(w.into_inner()?)
}

/// The report as an XLSX workbook (one sheet, the same columns; quantities and years as
/// numbers).
pub fn xlsx(rows: &[ReportRow], title: &str) -> anyhow::Result<Vec<u8>> {
    let mut book = rust_xlsxwriter::Workbook::new();
    let sheet = book.add_worksheet();
    sheet.set_name("annual report")?;
    let bold = rust_xlsxwriter::Format::new().set_bold();
    for (c, name) in COLUMNS.iter().enumerate() {
        sheet.write_string_with_format(0, u16::try_from(c)?, *name, &bold)?;
    }
    for (i, r) in rows.iter().enumerate() {
        let row = u32::try_from(i + 1)?;
        for (c, cell) in r.cells().iter().enumerate() {
            let col = u16::try_from(c)?;
            match COLUMNS[c] {
                "quantity" | "year" => match cell.parse::<f64>() {
                    Ok(n) => sheet.write_number(row, col, n)?,
                    Err(_) => sheet.write_string(row, col, cell)?,
                },
                _ => sheet.write_string(row, col, cell)?,
            };
        }
    }
    book.set_properties(&rust_xlsxwriter::DocProperties::new().set_title(title));
    Ok(book.save_to_buffer()?)
}

/// `GET /quotas`: each national export quota with what is used and what remains (MA officers,
/// auditors, the operator).
#[utoipa::path(get, path = "/quotas", tag = "reports", responses((status = 200, description = "quotas, used and remaining"), (status = 403, description = "role not allowed", body = crate::http::Problem)))]
pub async fn quotas(State(s): State<Arc<AppState>>, caller: Caller) -> Response {
    if let Err(r) = caller.require(&[Role::MaOfficer, Role::Auditor, Role::Admin]) {
        return r;
    }
    let Ok(book) = s.quotas.lock() else {
        return internal(anyhow::anyhow!("quota lock poisoned"));
    };
    let rows: Vec<_> = book
        .quotas()
        .iter()
        .enumerate()
        .map(|(i, q)| {
            let used = book.used(i);
            json!({
                "quota": q,
                "used": used,
                "remaining": q.quantity.saturating_sub(used),
            })
        })
        .collect();
    Json(json!({ "party": s.config.party, "quotas": rows })).into_response()
}

#[derive(Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct ReportQuery {
    /// The calendar year.
    year: i32,
    /// `json` (default), `csv` or `xlsx`.
    format: Option<String>,
}

/// `GET /reports/annual?year=&format=`: the annual trade report (MA officers, auditors, the
/// operator). A
/// report breaking an upload rule is not written: 422 lists every problem by row and column.
#[utoipa::path(get, path = "/reports/annual", tag = "reports", params(ReportQuery), responses((status = 200, description = "the report (JSON, CSV or XLSX)"), (status = 400, description = "bad year or format", body = crate::http::Problem), (status = 403, description = "role not allowed", body = crate::http::Problem), (status = 422, description = "rows that break the upload rules")))]
pub async fn annual(
    State(s): State<Arc<AppState>>,
    caller: Caller,
    Query(q): Query<ReportQuery>,
) -> Response {
    if let Err(r) = caller.require(&[Role::MaOfficer, Role::Auditor, Role::Admin]) {
        return r;
    }
    if !(1975..=9999).contains(&q.year) {
        return problem(
            StatusCode::BAD_REQUEST,
            "invalid request",
            format!("year {}: the Convention's years start in 1975", q.year),
        );
    }
    let format = q.format.unwrap_or_else(|| "json".into());
    if !matches!(format.as_str(), "json" | "csv" | "xlsx") {
        return problem(
            StatusCode::BAD_REQUEST,
            "invalid request",
            format!("format {format:?}: use json, csv or xlsx"),
        );
    }
    let state = s.clone();
    let built =
        tokio::task::spawn_blocking(move || build(state.anchor.store(), &state.species, q.year))
            .await;
    let (rows, problems) = match built {
        Ok(Ok(b)) => b,
        Ok(Err(e)) => return internal(e),
        Err(e) => return internal(e.into()),
    };
    if !problems.is_empty() {
        return (
            StatusCode::UNPROCESSABLE_ENTITY,
            Json(json!({ "year": q.year, "problems": problems })),
        )
            .into_response();
    }
    let name = format!("cites-annual-report-{}-{}", s.config.party, q.year);
    let file = |ext: &str, mime: &'static str, bytes: Vec<u8>| {
        (
            [
                (header::CONTENT_TYPE, mime.to_owned()),
                (
                    header::CONTENT_DISPOSITION,
                    format!("attachment; filename=\"{name}.{ext}\""),
                ),
            ],
            bytes,
        )
            .into_response()
    };
    match format.as_str() {
        "csv" => match csv(&rows) {
            Ok(b) => file("csv", "text/csv; charset=utf-8", b),
            Err(e) => internal(e),
        },
        "xlsx" => match xlsx(&rows, &name) {
            Ok(b) => file(
                "xlsx",
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                b,
            ),
            Err(e) => internal(e),
        },
        _ => Json(json!({ "year": q.year, "party": s.config.party, "rows": rows })).into_response(),
    }
}
