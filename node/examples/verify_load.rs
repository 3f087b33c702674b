//! Load harness: presentations verified per second over HTTP against a running node.
//!
//! cargo run --release -p node --example verify_load -- URL TOKEN_FILE MECHANISM CLIENTS SECONDS [PER_CLIENT]
//!
//! Issues one permit (`POST /credentials/issue`, the operator's token) to a holder key of its
//! own, then has each of CLIENTS threads prepare PER_CLIENT presentations (default 2000), each
//! answering a single-use challenge of its own from `POST /challenges`, so that the measured
//! time goes to the node's verification and not to the clients' signing. CLIENTS tasks on one
//! thread then send them, written out beforehand, as `POST /presentations/verify` back to back
//! over kept-alive connections for SECONDS (or until their presentations run out, which is
//! reported). Prints verifications/s, refusals, latency percentiles and the harness's own CPU
//! time. The node must be accredited (an MA of a `dev` network): a lone node's verifications
//! fail closed.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::{Duration, Instant};

use credentials::keys::SecretKey;
use credentials::{Mechanism, Secured};
use hyper::body::Bytes;
use serde_json::{Value, json};

mod common;
use common::{Connection, agent, cpu_seconds, percentile, permit};

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args.len() < 6 {
        eprintln!("usage: verify_load URL TOKEN_FILE MECHANISM CLIENTS SECONDS [PER_CLIENT]");
        std::process::exit(2);
    }
    let url = args[1].clone();
    let token = std::fs::read_to_string(&args[2]).unwrap().trim().to_owned();
    let mechanism: Mechanism = args[3].parse().unwrap();
    let clients: usize = args[4].parse().unwrap();
    let seconds: u64 = args[5].parse().unwrap();
    let per_client: usize = args.get(6).map_or(2000, |n| n.parse().unwrap());

    let holder = SecretKey::from_seed(&[7; 32]);
    let number = format!("GH26VL{:06}", std::process::id() % 1_000_000);
    let mut r = agent()
        .post(format!("{url}/credentials/issue"))
        .header("authorization", &format!("Bearer {token}"))
        .send_json(json!({
            "credential": {"credentialSubject": {"id": holder.public().did_key(), "permit": permit(&number)}},
            "options": {"securing": args[3]},
        }))
        .unwrap();
    let issued: Value = r.body_mut().read_json().unwrap();
    assert_eq!(r.status(), 201, "{issued}");
    let credential: Secured =
        serde_json::from_value(issued["verifiableCredential"].clone()).unwrap();

    let prepared_at = Instant::now();
    let prepare: Vec<_> = (0..clients)
        .map(|_| {
            let (url, holder, credential) = (url.clone(), holder.clone(), credential.clone());
            std::thread::spawn(move || {
                let agent = agent();
                (0..per_client)
                    .map(|_| {
                        let c: Value = agent
                            .post(format!("{url}/challenges"))
                            .send_empty()
                            .unwrap()
                            .body_mut()
                            .read_json()
                            .unwrap();
                        let (challenge, domain) =
                            (c["challenge"].as_str().unwrap(), c["domain"].as_str().unwrap());
                        let vp = wallet::present(
                            holder.clone(),
                            std::slice::from_ref(&credential),
                            mechanism,
                            challenge,
                            domain,
                            chrono::Utc::now(),
                        )
                        .unwrap();
                        json!({"verifiablePresentation": vp, "options": {"challenge": challenge, "domain": domain}})
                    })
                    .collect::<Vec<Value>>()
            })
        })
        .collect();
    let prepared: Vec<Vec<Value>> = prepare.into_iter().map(|t| t.join().unwrap()).collect();
    eprintln!(
        "prepared {} presentations in {:.1} s",
        clients * per_client,
        prepared_at.elapsed().as_secs_f64()
    );

    // Written out before the clock starts: the timed part only sends bytes.
    let prepared: Vec<Vec<Bytes>> = prepared
        .into_iter()
        .map(|bodies| bodies.iter().map(|b| Bytes::from(b.to_string())).collect())
        .collect();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let verify_url: hyper::Uri = format!("{url}/presentations/verify").parse().unwrap();
    let cpu_before = cpu_seconds();
    let start = Instant::now();
    let deadline = start + Duration::from_secs(seconds);
    let (mut all, refused, ran_out) = runtime.block_on(async {
        let tasks: Vec<_> = prepared
            .into_iter()
            .map(|bodies| {
                let verify_url = verify_url.clone();
                tokio::spawn(async move {
                    let mut connection = Connection::new(&verify_url);
                    let (mut latencies, mut refused, mut ran_out) = (Vec::new(), 0u64, true);
                    for body in bodies {
                        if Instant::now() >= deadline {
                            ran_out = false;
                            break;
                        }
                        let t = Instant::now();
                        match connection.post(&verify_url, None, body).await {
                            Some((200, _)) => latencies.push(t.elapsed()),
                            _ => refused += 1,
                        }
                    }
                    (latencies, refused, ran_out)
                })
            })
            .collect();
        let (mut all, mut refused, mut ran_out) = (Vec::new(), 0, 0);
        for t in tasks {
            let (l, r, out) = t.await.unwrap();
            all.extend(l);
            refused += r;
            ran_out += usize::from(out);
        }
        (all, refused, ran_out)
    });
    let elapsed = start.elapsed().as_secs_f64();
    all.sort();
    println!(
        "mechanism {mechanism:?}, {clients} clients, {elapsed:.1} s: {} presentations verified ({:.0}/s), {refused} refused, {ran_out} clients ran out of presentations; latency p50 {:?} p99 {:?} max {:?}; harness CPU {:.1} s",
        all.len(),
        all.len() as f64 / elapsed,
        percentile(&all, 0.5),
        percentile(&all, 0.99),
        all.last().copied().unwrap_or_default(),
        cpu_seconds() - cpu_before,
    );
}
