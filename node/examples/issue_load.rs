//! Load harness: issue and verify permit credentials over HTTP against a running node.
//!
//! cargo run --release -p node --example issue_load -- URL TOKEN_FILE MECHANISM CLIENTS SECONDS [RATE]
//!
//! CLIENTS clients each send POST /credentials/issue (then, if VERIFY=1 in the environment,
//! POST /credentials/verify of the result) back to back for SECONDS, or, with RATE, at RATE
//! requests per second in total. Prints requests/s, errors and latency percentiles, and the CPU
//! time the harness itself took. The clients are tasks on one thread with kept-alive
//! connections, and each body is the permit template with its own number pasted in, so that
//! the two cores go to the node. Every request is bounded by a 30 s timeout; the run stops by
//! itself.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use hyper::body::Bytes;
use serde_json::{Value, json};

mod common;
use common::{Connection, cpu_seconds, percentile, permit};

/// Stands in the template for each request's permit number.
const NUMBER: &str = "NUMBER-OF-THIS-REQUEST";

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args.len() < 6 {
        eprintln!("usage: issue_load URL TOKEN_FILE MECHANISM CLIENTS SECONDS [RATE]");
        std::process::exit(2);
    }
    let url = args[1].clone();
    let token: Arc<str> = std::fs::read_to_string(&args[2]).unwrap().trim().into();
    let mechanism = args[3].clone();
    let clients: u64 = args[4].parse().unwrap();
    let seconds: u64 = args[5].parse().unwrap();
    let rate: Option<f64> = args.get(6).map(|r| r.parse().unwrap());
    let verify = std::env::var("VERIFY").is_ok_and(|v| v == "1");
    let holder = "did:key:z6MkrJVnaZkeFzdQyMZu1cgjg7k1pZZ6pvBQ7XJPt4swbTQ2";
    let run_id = std::process::id();
    let template = json!({
        "credential": {"credentialSubject": {"id": holder, "permit": permit(NUMBER)}},
        "options": {"securing": mechanism},
    })
    .to_string();
    let (before, after) = template.split_once(NUMBER).unwrap();
    let (before, after): (Arc<str>, Arc<str>) = (before.into(), after.into());
    let issue_url: hyper::Uri = format!("{url}/credentials/issue").parse().unwrap();
    let verify_url: hyper::Uri = format!("{url}/credentials/verify").parse().unwrap();
    let counter = Arc::new(AtomicU64::new(0));
    let errors = Arc::new(AtomicU64::new(0));
    let cpu_before = cpu_seconds();
    let start = Instant::now();
    let deadline = start + Duration::from_secs(seconds);

    let tasks: Vec<_> = (0..clients)
        .map(|c| {
            let (token, counter, errors) = (token.clone(), counter.clone(), errors.clone());
            let (before, after) = (before.clone(), after.clone());
            let (issue_url, verify_url) = (issue_url.clone(), verify_url.clone());
            tokio::spawn(async move {
                let mut connection = Connection::new(&issue_url);
                let mut latencies = Vec::new();
                let mut verify_latencies = Vec::new();
                let interval = rate.map(|r| Duration::from_secs_f64(clients as f64 / r));
                let mut next = tokio::time::Instant::now() + Duration::from_millis(c * 7);
                while Instant::now() < deadline {
                    if let Some(i) = interval {
                        tokio::time::sleep_until(next).await;
                        next += i;
                    }
                    let n = counter.fetch_add(1, Ordering::Relaxed);
                    let body = Bytes::from(format!("{before}L{run_id}-{n}{after}"));
                    let t = Instant::now();
                    match connection.post(&issue_url, Some(&token), body).await {
                        Some((201, answer)) => {
                            latencies.push(t.elapsed());
                            if verify {
                                let v: Value = serde_json::from_slice(&answer).unwrap();
                                let body =
                                    json!({"verifiableCredential": v["verifiableCredential"]});
                                let t = Instant::now();
                                match connection
                                    .post(&verify_url, None, body.to_string().into())
                                    .await
                                {
                                    Some((200, _)) => verify_latencies.push(t.elapsed()),
                                    _ => {
                                        errors.fetch_add(1, Ordering::Relaxed);
                                    }
                                }
                            }
                        }
                        _ => {
                            errors.fetch_add(1, Ordering::Relaxed);
                        }
                    }
                }
                (latencies, verify_latencies)
            })
        })
        .collect();
    let mut all = Vec::new();
    let mut all_verify = Vec::new();
    for t in tasks {
        let (l, v) = t.await.unwrap();
        all.extend(l);
        all_verify.extend(v);
    }
    let elapsed = start.elapsed().as_secs_f64();
    all.sort();
    all_verify.sort();
    println!(
        "mechanism {mechanism}, {clients} clients, {seconds} s{}: {} issued ({:.0}/s), {} errors; issue latency p50 {:?} p99 {:?} max {:?}; harness CPU {:.1} s",
        rate.map(|r| format!(" at {r}/s")).unwrap_or_default(),
        all.len(),
        all.len() as f64 / elapsed,
        errors.load(Ordering::Relaxed),
        percentile(&all, 0.50),
        percentile(&all, 0.99),
        all.last().copied().unwrap_or_default(),
        cpu_seconds() - cpu_before,
    );
    if verify {
        println!(
            "verified {} ({:.0}/s); verify latency p50 {:?} p99 {:?}",
            all_verify.len(),
            all_verify.len() as f64 / elapsed,
            percentile(&all_verify, 0.50),
            percentile(&all_verify, 0.99)
        );
    }
}
