//! Load harness: issue and verify permit credentials over HTTP against a running node.
//!
//! cargo run --release -p node --example issue_load -- URL TOKEN_FILE MECHANISM CLIENTS SECONDS [RATE]
//!
//! CLIENTS threads each send POST /credentials/issue (then, if VERIFY=1 in the environment,
//! POST /credentials/verify of the result) back to back for SECONDS, or, with RATE, at RATE
//! requests per second in total. Prints requests/s, errors and latency percentiles. Every request
//! is bounded by a 30 s timeout; the run stops by itself.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

mod common;
use common::{percentile, permit, status_of};

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args.len() < 6 {
        eprintln!("usage: issue_load URL TOKEN_FILE MECHANISM CLIENTS SECONDS [RATE]");
        std::process::exit(2);
    }
    let url = args[1].clone();
    let token = std::fs::read_to_string(&args[2]).unwrap().trim().to_owned();
    let mechanism = args[3].clone();
    let clients: u64 = args[4].parse().unwrap();
    let seconds: u64 = args[5].parse().unwrap();
    let rate: Option<f64> = args.get(6).map(|r| r.parse().unwrap());
    let verify = std::env::var("VERIFY").is_ok_and(|v| v == "1");
    let holder = "did:key:z6MkrJVnaZkeFzdQyMZu1cgjg7k1pZZ6pvBQ7XJPt4swbTQ2";
    let run_id = std::process::id();
    let counter = Arc::new(AtomicU64::new(0));
    let errors = Arc::new(AtomicU64::new(0));
    let start = Instant::now();
    let deadline = start + Duration::from_secs(seconds);

    let threads: Vec<_> = (0..clients)
        .map(|c| {
            let (url, token, mechanism, counter, errors) =
                (url.clone(), token.clone(), mechanism.clone(), counter.clone(), errors.clone());
            std::thread::spawn(move || {
                let agent: ureq::Agent = ureq::Agent::config_builder()
                    .http_status_as_error(false)
                    .timeout_global(Some(Duration::from_secs(30)))
                    .build()
                    .into();
                let mut latencies = Vec::new();
                let mut verify_latencies = Vec::new();
                let interval = rate.map(|r| Duration::from_secs_f64(clients as f64 / r));
                let mut next = Instant::now() + Duration::from_millis(c * 7);
                while Instant::now() < deadline {
                    if let Some(i) = interval {
                        let now = Instant::now();
                        if next > now {
                            std::thread::sleep(next - now);
                        }
                        next += i;
                    }
                    let n = counter.fetch_add(1, Ordering::Relaxed);
                    let body = json!({
                        "credential": {"credentialSubject": {"id": holder, "permit": permit(&format!("L{run_id}-{n}"))}},
                        "options": {"securing": mechanism},
                    });
                    let t = Instant::now();
                    let r = agent
                        .post(format!("{url}/credentials/issue"))
                        .header("authorization", &format!("Bearer {token}"))
                        .send_json(&body);
                    match r {
                        Ok(mut r) if r.status() == 201 => {
                            latencies.push(t.elapsed());
                            if !verify {
                                // Read to the end, so the connection is used again.
                                if r.body_mut().read_to_vec().is_err() {
                                    errors.fetch_add(1, Ordering::Relaxed);
                                }
                            } else {
                                let v: Value = r.body_mut().read_json().unwrap();
                                let t = Instant::now();
                                let status = status_of(
                                    agent
                                        .post(format!("{url}/credentials/verify"))
                                        .send_json(json!({"verifiableCredential": v["verifiableCredential"]})),
                                );
                                if status == Some(200) {
                                    verify_latencies.push(t.elapsed());
                                } else {
                                    errors.fetch_add(1, Ordering::Relaxed);
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
    for t in threads {
        let (l, v) = t.join().unwrap();
        all.extend(l);
        all_verify.extend(v);
    }
    let elapsed = start.elapsed().as_secs_f64();
    all.sort();
    all_verify.sort();
    println!(
        "mechanism {mechanism}, {clients} clients, {seconds} s{}: {} issued ({:.0}/s), {} errors; issue latency p50 {:?} p99 {:?} max {:?}",
        rate.map(|r| format!(" at {r}/s")).unwrap_or_default(),
        all.len(),
        all.len() as f64 / elapsed,
        errors.load(Ordering::Relaxed),
        percentile(&all, 0.50),
        percentile(&all, 0.99),
        all.last().copied().unwrap_or_default(),
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
