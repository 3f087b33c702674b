//! What the Secretariat's auditors and the MA's managers watch: the accredited authorities, the
//! state of every log this node holds, the alerts, and the dashboard of permits (charts as SVG,
//! the same numbers as CSV).

use std::collections::BTreeMap;
use std::sync::Arc;

use axum::extract::{Query, State};
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Datelike, Utc};
use maud::{Markup, html};

use super::workflow::status_name;
use super::{Answer, Msg, Visitor};
use crate::http::AppState;
use crate::users::Role;

const WATCHERS: [Role; 3] = [Role::Auditor, Role::Admin, Role::MaOfficer];

/// `GET /portal/network`: authorities and keys, logs held, alerts, the audit export.
pub async fn network(State(s): State<Arc<AppState>>, v: Visitor) -> Response {
    let caller = match v.require("/portal/network", &WATCHERS) {
        Ok(c) => c,
        Err(r) => return r,
    };
    let status = Answer::of(crate::peering::status(State(s.clone())).await).await;
    let alerts =
        Answer::of(crate::alerts::list_alerts(State(s.clone()), caller.clone()).await).await;
    // A page that cannot say whether there are alerts must not look like "no alerts".
    for answer in [&status, &alerts] {
        if !answer.ok() {
            return v.refusal(answer.status, &answer.detail());
        }
    }
    let view = crate::http::network_view(&s);
    let quorum = status.body["quorum"].as_u64().unwrap_or(0);
    let body = html! {
        h1 { (v.t(Msg::Network)) @if let Some(n) = &view { " " (n.network) } }
        @if let Some(n) = &view {
            p { (v.t(Msg::ThisNode)) ": " code { (n.did) } " · " (n.standing) }
            h2 { (v.t(Msg::Authorities)) }
            table {
                thead { tr { th scope="col" { "Party" } th scope="col" { (v.t(Msg::Role)) } th scope="col" { "DID" } } }
                tbody {
                    @for (party, role, did) in &n.authorities {
                        tr { td { (party) } td { (role) } td { a href={ "/1.0/identifiers/" (did) } { code { (did) } } } }
                    }
                }
            }
        } @else {
            p { (v.t(Msg::NoGenesis)) }
        }
        h2 { (v.t(Msg::Logs)) }
        p { (v.t(Msg::Quorum)) ": " (quorum) " · " (v.t(Msg::PeersConnected)) ": " (status.body["connected"].as_array().map_or(0, Vec::len)) }
        table id="logs" {
            thead { tr {
                th scope="col" { (v.t(Msg::Log)) }
                th scope="col" { (v.t(Msg::EntriesHeld)) }
                th scope="col" { (v.t(Msg::LatestCheckpoint)) }
                th scope="col" { (v.t(Msg::Cosignatures)) }
                th scope="col" { (v.t(Msg::Behind)) }
            } }
            tbody {
                @for log in status.body["logs"].as_array().into_iter().flatten() {
                    @let size = log["size"].as_u64().unwrap_or(0);
                    @let checkpoint = log["checkpoint"].as_u64().unwrap_or(0);
                    @let cosigned = log["cosignatures"].as_u64().unwrap_or(0);
                    tr {
                        td { code { (log["origin"].as_str().unwrap_or("")) } }
                        td { (size) }
                        td { (checkpoint) }
                        td class=(if cosigned >= quorum { "ok" } else { "bad" }) { (cosigned) " / " (quorum) }
                        td { (checkpoint.saturating_sub(size)) }
                    }
                }
            }
        }
        h2 { (v.t(Msg::Alerts)) }
        @let list = alerts.body.as_array().cloned().unwrap_or_default();
        @if list.is_empty() {
            p class="ok" id="no-alerts" { (v.t(Msg::NoAlerts)) }
        } @else {
            table id="alerts" {
                thead { tr { th scope="col" { (v.t(Msg::When)) } th scope="col" { (v.t(Msg::Kind)) } th scope="col" { (v.t(Msg::Subject)) } th scope="col" { (v.t(Msg::Summary)) } } }
                tbody {
                    @for a in &list {
                        tr class="bad" {
                            td { (a["at"].as_str().unwrap_or("").get(..16).unwrap_or("")) }
                            td { (a["kind"].as_str().unwrap_or("")) }
                            td { code { (a["subject"].as_str().unwrap_or("")) } }
                            td { (a["summary"].as_str().unwrap_or("")) }
                        }
                    }
                }
            }
        }
        @if caller.role == Role::Auditor {
            h2 { (v.t(Msg::AuditTrail)) }
            p { a href="/audit?format=csv" download="audit.csv" { (v.t(Msg::DownloadAudit)) } }
        }
    };
    v.page(v.t(Msg::Network), body).into_response()
}

/// The dashboard's numbers, from this node's applications and permits.
#[derive(Default)]
struct Figures {
    /// (year, status) → permits.
    by_status: BTreeMap<(i32, String), u64>,
    /// YYYY-MM → permits issued.
    by_month: BTreeMap<String, u64>,
    /// YYYY-MM of issuance → hours from submission to issuance, each application.
    hours: BTreeMap<String, Vec<f64>>,
    exporters: BTreeMap<String, u64>,
    importers: BTreeMap<String, u64>,
}

impl Figures {
    fn gather(s: &AppState) -> anyhow::Result<Figures> {
        let store = s.anchor.store();
        let today = Utc::now().date_naive();
        let mut f = Figures::default();
        for record in crate::store::permits(store)? {
            let p = &record.permit;
            let status = super::code(&record.lifecycle().status_on(today));
            *f.by_status
                .entry((p.issued.date.year(), status))
                .or_default() += 1;
            *f.by_month
                .entry(p.issued.date.format("%Y-%m").to_string())
                .or_default() += 1;
            if let Some(e) = &p.exporter {
                *f.exporters.entry(e.name.clone()).or_default() += 1;
            }
            *f.importers
                .entry(format!("{} ({})", p.importer.name, p.importer.country))
                .or_default() += 1;
        }
        for app in crate::workflow::all(store)? {
            let at = |action: &str| -> Option<DateTime<Utc>> {
                app.history
                    .iter()
                    .find(|st| st.action == action)
                    .map(|st| st.at)
            };
            if let (Some(from), Some(to)) = (at("submit"), at("issue")) {
                let hours = (to - from).num_seconds() as f64 / 3600.0;
                f.hours
                    .entry(to.format("%Y-%m").to_string())
                    .or_default()
                    .push(hours);
            }
        }
        Ok(f)
    }

    fn mean_hours(&self) -> Vec<(String, f64)> {
        self.hours
            .iter()
            .map(|(m, h)| (m.clone(), h.iter().sum::<f64>() / h.len().max(1) as f64))
            .collect()
    }

    /// Every figure as `table,key,value` rows.
    fn csv(&self) -> anyhow::Result<Vec<u8>> {
        let mut w = csv::Writer::from_writer(Vec::new());
        w.write_record(["table", "key", "value"])?;
        for ((year, status), n) in &self.by_status {
            w.write_record([
                "permits_by_status",
                &format!("{year} {status}"),
                &n.to_string(),
            ])?;
        }
        for (month, n) in &self.by_month {
            w.write_record(["permits_issued_by_month", month, &n.to_string()])?;
        }
        for (month, h) in self.mean_hours() {
            w.write_record(["mean_processing_hours_by_month", &month, &format!("{h:.1}")])?;
        }
        for (name, n) in top(&self.exporters) {
            w.write_record(["top_exporters", &name, &n.to_string()])?;
        }
        for (name, n) in top(&self.importers) {
            w.write_record(["top_importers", &name, &n.to_string()])?;
        }
        Ok(w.into_inner()?)
    }
}

/// The ten largest counts, largest first.
fn top(counts: &BTreeMap<String, u64>) -> Vec<(String, u64)> {
    let mut v: Vec<_> = counts.iter().map(|(k, n)| (k.clone(), *n)).collect();
    v.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    v.truncate(10);
    v
}

/// A bar chart as inline SVG. Labels and numbers are text elements, which screen readers read
/// (no `role="img"`, which would hide them behind one label).
fn bars(title: &str, data: &[(String, f64)], unit: &str) -> Markup {
    let max = data.iter().map(|d| d.1).fold(0.0_f64, f64::max).max(1.0);
    let (width, row) = (560.0, 22.0);
    let height = row * data.len().max(1) as f64 + 4.0;
    html! {
        figure {
            figcaption { (title) }
            svg xmlns="http://www.w3.org/2000/svg"
                width=(width) height=(height) viewBox={ "0 0 " (width) " " (height) } {
                @for (i, (label, value)) in data.iter().enumerate() {
                    @let y = i as f64 * row + 2.0;
                    @let w = (value / max) * 300.0;
                    text x="0" y=(y + 15.0) font-size="12" { (label) }
                    rect x="200" y=(y) width=(w.max(1.0)) height=(row - 6.0) fill="#1d5e8c" {}
                    text x=(205.0 + w) y=(y + 15.0) font-size="12" { (format!("{value:.1}").trim_end_matches(".0")) " " (unit) }
                }
            }
        }
    }
}

#[derive(serde::Deserialize, Default)]
pub struct Format {
    format: Option<String>,
}

/// `GET /portal/dashboard[?format=csv]`.
pub async fn dashboard(
    State(s): State<Arc<AppState>>,
    v: Visitor,
    Query(q): Query<Format>,
) -> Response {
    if let Err(r) = v.require("/portal/dashboard", &WATCHERS) {
        return r;
    }
    let state = s.clone();
    let figures = match tokio::task::spawn_blocking(move || Figures::gather(&state)).await {
        Ok(Ok(f)) => f,
        Ok(Err(e)) => return crate::http::internal(e),
        Err(e) => return crate::http::internal(e.into()),
    };
    if q.format.as_deref() == Some("csv") {
        return match figures.csv() {
            Ok(bytes) => {
                let mut r = bytes.into_response();
                let h = r.headers_mut();
                h.insert(
                    header::CONTENT_TYPE,
                    HeaderValue::from_static("text/csv; charset=utf-8"),
                );
                h.insert(
                    header::CONTENT_DISPOSITION,
                    HeaderValue::from_static("attachment; filename=\"dashboard.csv\""),
                );
                r
            }
            Err(e) => crate::http::internal(e),
        };
    }
    let years: Vec<i32> = {
        let mut y: Vec<_> = figures.by_status.keys().map(|k| k.0).collect();
        y.dedup();
        y
    };
    let statuses = [
        "issued",
        "endorsed",
        "import_confirmed",
        "suspended",
        "cancelled",
        "replaced",
        "expired",
    ];
    let count = |f: &BTreeMap<String, u64>| -> Vec<(String, f64)> {
        top(f).into_iter().map(|(k, n)| (k, n as f64)).collect()
    };
    let month: Vec<(String, f64)> = figures
        .by_month
        .iter()
        .map(|(m, n)| (m.clone(), *n as f64))
        .collect();
    let body = html! {
        h1 { (v.t(Msg::Dashboard)) }
        p { a href="/portal/dashboard?format=csv" { (v.t(Msg::NumbersAsCsv)) } }
        h2 { (v.t(Msg::PermitsByStatus)) }
        @if years.is_empty() {
            p { (v.t(Msg::NothingHere)) }
        } @else {
            table id="by-status" {
                thead { tr { th scope="col" { (v.t(Msg::Year)) } @for st in statuses { th scope="col" { (status_name(&v, st)) } } } }
                tbody {
                    @for y in &years {
                        tr {
                            th scope="row" { (y) }
                            @for st in statuses {
                                td { (figures.by_status.get(&(*y, st.to_owned())).copied().unwrap_or(0)) }
                            }
                        }
                    }
                }
            }
        }
        (bars(v.t(Msg::IssuedPerMonth), &month, ""))
        (bars(v.t(Msg::ProcessingHours), &figures.mean_hours(), "h"))
        (bars(v.t(Msg::TopExporters), &count(&figures.exporters), ""))
        (bars(v.t(Msg::TopImporters), &count(&figures.importers), ""))
    };
    v.page(v.t(Msg::Dashboard), body).into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_largest_first_and_ties_by_name() {
        let counts: BTreeMap<String, u64> = [("b", 2), ("a", 2), ("c", 5)]
            .into_iter()
            .map(|(k, n)| (k.to_owned(), n))
            .collect();
        let names: Vec<_> = top(&counts).into_iter().map(|(k, _)| k).collect();
        assert_eq!(names, ["c", "a", "b"]);
    }

    #[test]
    fn the_csv_has_every_table() {
        let mut f = Figures::default();
        f.by_status.insert((2026, "issued".into()), 3);
        f.by_month.insert("2026-12".into(), 3);
        f.hours.insert("2026-12".into(), vec![1.0, 2.0]);
        f.exporters.insert("Volta Reptile Farm Ltd".into(), 3);
        f.importers
            .insert("Reptilienhaus Berlin GmbH (DE)".into(), 3);
        let text = String::from_utf8(f.csv().unwrap()).unwrap();
        assert!(text.contains("permits_by_status,2026 issued,3"), "{text}");
        assert!(
            text.contains("mean_processing_hours_by_month,2026-12,1.5"),
            "{text}"
        );
        assert!(
            text.contains("top_importers,Reptilienhaus Berlin GmbH (DE),3"),
            "{text}"
        );
    }
}
