//! `/metrics` in the Prometheus text format, and `/readyz`.
//!
//! Request counts and latencies are counted by a middleware; the log's size and the other
//! gauges are read when scraped, so they can never drift from the store.

use std::sync::Arc;
use std::time::Instant;

use axum::extract::{Request, State};
use axum::http::{StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;

use crate::http::{AppState, internal};

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RequestLabels {
    method: String,
    status: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct ReplicaLabels {
    origin: String,
}

/// The node's metrics.
pub struct Metrics {
    registry: Registry,
    requests: Family<RequestLabels, Counter>,
    latency: Histogram,
    log_size: Gauge,
    replica_size: Family<ReplicaLabels, Gauge>,
    users: Gauge,
    started: Instant,
    uptime: Gauge,
}

impl Default for Metrics {
    fn default() -> Metrics {
        let mut registry = Registry::with_prefix("cites_node");
        let requests = Family::<RequestLabels, Counter>::default();
        registry.register(
            "http_requests",
            "HTTP requests answered, by method and status",
            requests.clone(),
        );
        let latency = Histogram::new(exponential_buckets(0.0005, 2.0, 16));
        registry.register(
            "http_request_duration_seconds",
            "Time to answer an HTTP request",
            latency.clone(),
        );
        let log_size = Gauge::default();
        registry.register(
            "log_size",
            "Entries in the node's own log",
            log_size.clone(),
        );
        let replica_size = Family::<ReplicaLabels, Gauge>::default();
        registry.register(
            "replica_size",
            "Verified entries held of another node's log",
            replica_size.clone(),
        );
        let users = Gauge::default();
        registry.register("users", "Enabled accounts", users.clone());
        let uptime = Gauge::default();
        registry.register(
            "uptime_seconds",
            "Seconds since the node started",
            uptime.clone(),
        );
        Metrics {
            registry,
            requests,
            latency,
            log_size,
            replica_size,
            users,
            started: Instant::now(),
            uptime,
        }
    }
}

/// Counts every request and its latency.
pub async fn track(State(s): State<Arc<AppState>>, request: Request, next: Next) -> Response {
    let start = Instant::now();
    let method = request.method().to_string();
    let response = next.run(request).await;
    s.metrics
        .requests
        .get_or_create(&RequestLabels {
            method,
            status: response.status().as_u16().to_string(),
        })
        .inc();
    s.metrics.latency.observe(start.elapsed().as_secs_f64());
    response
}

/// `GET /metrics`.
#[utoipa::path(get, path = "/metrics", tag = "node", responses((status = 200, description = "Prometheus text format", content_type = "application/openmetrics-text")))]
pub async fn metrics(State(s): State<Arc<AppState>>) -> Response {
    let m = &s.metrics;
    let gauges = (|| {
        m.log_size.set(i64::try_from(s.anchor.reader().size()?)?);
        for (origin, size) in s.replicas.sizes() {
            m.replica_size
                .get_or_create(&ReplicaLabels { origin })
                .set(i64::try_from(size)?);
        }
        let enabled = s.users.list()?.iter().filter(|u| !u.disabled).count();
        m.users.set(i64::try_from(enabled)?);
        m.uptime
            .set(i64::try_from(m.started.elapsed().as_secs()).unwrap_or(i64::MAX));
        Ok::<_, anyhow::Error>(())
    })();
    if let Err(e) = gauges {
        return internal(e);
    }
    let mut text = String::new();
    if let Err(e) = prometheus_client::encoding::text::encode(&mut text, &m.registry) {
        return internal(anyhow::anyhow!("cannot encode metrics: {e}"));
    }
    (
        [(
            header::CONTENT_TYPE,
            "application/openmetrics-text; version=1.0.0; charset=utf-8",
        )],
        text,
    )
        .into_response()
}

/// `GET /readyz`: 200 once the node can take writes (store readable, sequencer running),
/// 503 with the reason otherwise.
#[utoipa::path(get, path = "/readyz", tag = "node", responses((status = 200, description = "takes writes"), (status = 503, description = "not ready, with the reason")))]
pub async fn readyz(State(s): State<Arc<AppState>>) -> Response {
    match s.anchor.ready() {
        Ok(()) => "ready\n".into_response(),
        Err(e) => (
            StatusCode::SERVICE_UNAVAILABLE,
            format!("not ready: {e:#}\n"),
        )
            .into_response(),
    }
}
