//! Load harness: many clients issuing and reading at once against a running node.
//!
//! cargo run --release -p node --example mixed_load -- URL TOKEN_FILE CLIENTS SECONDS
//!
//! Each of CLIENTS threads loops for SECONDS: one request in five issues a permit
//! (`POST /credentials/issue`, JOSE), the others read what the client issued: the permit record
//! as an auditor (`GET /permits/...`, session cookie), its verification
//! (`POST /credentials/verify`), the checkpoint and the revocation list. Prints requests/s,
//! errors and latency percentiles per kind. Every request is bounded by a 30 s timeout; the
//! run stops by itself.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

mod common;
use common::{agent, percentile, permit, status_of};

const KINDS: [&str; 5] = ["issue", "permit", "verify", "checkpoint", "status"];

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args.len() < 5 {
        eprintln!("usage: mixed_load URL TOKEN_FILE CLIENTS SECONDS");
        std::process::exit(2);
    }
    let url = args[1].clone();
    let token = std::fs::read_to_string(&args[2]).unwrap().trim().to_owned();
    let clients: u64 = args[3].parse().unwrap();
    let seconds: u64 = args[4].parse().unwrap();
    // An auditor account to read permit records with (made once; 409 if it exists).
    let password = "load-harness-password";
    let _ = agent()
        .post(format!("{url}/users"))
        .header("authorization", &format!("Bearer {token}"))
        .send_json(json!({ "username": "load-auditor", "name": "Load harness", "role": "auditor", "password": password }));
    let r = agent()
        .post(format!("{url}/auth/login"))
        .send_json(json!({ "username": "load-auditor", "password": password }))
        .unwrap();
    assert_eq!(r.status(), 200, "cannot log in as load-auditor");
    let cookie = r.headers()["set-cookie"]
        .to_str()
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .to_owned();

    let holder = "did:key:z6MkrJVnaZkeFzdQyMZu1cgjg7k1pZZ6pvBQ7XJPt4swbTQ2";
    let run_id = std::process::id();
    let counter = Arc::new(AtomicU64::new(0));
    let errors = Arc::new(AtomicU64::new(0));
    let start = Instant::now();
    let deadline = start + Duration::from_secs(seconds);
    let threads: Vec<_> = (0..clients)
        .map(|c| {
            let (url, token, cookie, counter, errors) = (
                url.clone(),
                token.clone(),
                cookie.clone(),
                counter.clone(),
                errors.clone(),
            );
            std::thread::spawn(move || {
                let agent = agent();
                let mut latencies: Vec<Vec<Duration>> = vec![Vec::new(); KINDS.len()];
                let mut mine: Option<(String, Value)> = None;
                std::thread::sleep(Duration::from_millis(c * 5));
                let mut i = 0u64;
                while Instant::now() < deadline {
                    // Issue first, then cycle: issue, read the record, verify, checkpoint, status.
                    let kind = if mine.is_none() { 0 } else { (i % 5) as usize };
                    i += 1;
                    let t = Instant::now();
                    let ok = match kind {
                        0 => {
                            let number = format!("M{run_id}-{}", counter.fetch_add(1, Ordering::Relaxed));
                            let body = json!({ "credential": { "credentialSubject": { "id": holder, "permit": permit(&number) } } });
                            match agent
                                .post(format!("{url}/credentials/issue"))
                                .header("authorization", &format!("Bearer {token}"))
                                .send_json(&body)
                            {
                                Ok(mut r) if r.status() == 201 => {
                                    let v: Value = r.body_mut().read_json().unwrap();
                                    mine = Some((number, v["verifiableCredential"].clone()));
                                    true
                                }
                                other => {
                                    // Read, so the connection is used again.
                                    status_of(other);
                                    false
                                }
                            }
                        }
                        1 => {
                            let (n, _) = mine.as_ref().unwrap();
                            status_of(
                                agent
                                    .get(format!("{url}/permits/GH/{n}"))
                                    .header("cookie", &cookie)
                                    .call(),
                            ) == Some(200)
                        }
                        2 => {
                            let (_, vc) = mine.as_ref().unwrap();
                            status_of(
                                agent
                                    .post(format!("{url}/credentials/verify"))
                                    .send_json(json!({ "verifiableCredential": vc })),
                            ) == Some(200)
                        }
                        3 => status_of(agent.get(format!("{url}/checkpoint")).call()) == Some(200),
                        _ => status_of(agent.get(format!("{url}/status/revocation")).call()) == Some(200),
                    };
                    if ok {
                        latencies[kind].push(t.elapsed());
                    } else {
                        errors.fetch_add(1, Ordering::Relaxed);
                    }
                }
                latencies
            })
        })
        .collect();
    let mut all: Vec<Vec<Duration>> = vec![Vec::new(); KINDS.len()];
    for t in threads {
        for (k, l) in t.join().unwrap().into_iter().enumerate() {
            all[k].extend(l);
        }
    }
    let elapsed = start.elapsed().as_secs_f64();
    let total: usize = all.iter().map(Vec::len).sum();
    let mut every: Vec<Duration> = all.iter().flatten().copied().collect();
    every.sort();
    println!(
        "{clients} clients, {seconds} s: {total} requests ({:.0}/s), {} errors; all: p50 {:?} p99 {:?} max {:?}",
        total as f64 / elapsed,
        errors.load(Ordering::Relaxed),
        percentile(&every, 0.5),
        percentile(&every, 0.99),
        every.last().copied().unwrap_or_default()
    );
    for (k, mut l) in all.into_iter().enumerate() {
        l.sort();
        println!(
            "  {:<10} {:>7} ({:>5.0}/s)  p50 {:?}  p99 {:?}",
            KINDS[k],
            l.len(),
            l.len() as f64 / elapsed,
            percentile(&l, 0.5),
            percentile(&l, 0.99)
        );
    }
}
