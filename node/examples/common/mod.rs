//! What the load harnesses share: the permit they issue, their HTTP agent, percentiles.

// Each harness uses some of these.
#![allow(dead_code)]

use std::time::Duration;

use serde_json::Value;

/// The example export permit with number `number`, issued today, valid six months.
pub fn permit(number: &str) -> Value {
    static TEMPLATE: std::sync::OnceLock<Value> = std::sync::OnceLock::new();
    let template = TEMPLATE.get_or_init(|| {
        let path = format!(
            "{}/../contracts/tests/fixtures/valid/export_permit.json",
            env!("CARGO_MANIFEST_DIR")
        );
        serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap()
    });
    let mut p = template.clone();
    let today = chrono::Utc::now().date_naive();
    p["number"] = number.into();
    p["issued"]["date"] = today.to_string().into();
    p["valid_until"] = (today + chrono::Months::new(6) - chrono::Days::new(1))
        .to_string()
        .into();
    p
}

/// The `p` quantile of sorted latencies.
pub fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    sorted[(((sorted.len() - 1) as f64) * p).round() as usize]
}

/// The status of an answer, its body read to the end: an answer dropped unread closes its
/// connection, and a harness that opens one per request measures TCP set-up, not the node.
pub fn status_of(r: Result<ureq::http::Response<ureq::Body>, ureq::Error>) -> Option<u16> {
    let mut r = r.ok()?;
    r.body_mut().read_to_vec().ok()?;
    Some(r.status().as_u16())
}

/// An agent that hands back every status and gives up after 30 s.
pub fn agent() -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(Duration::from_secs(30)))
        .build()
        .into()
}
