//! Appends 1,000,000 entries through the sequencer as fast as acknowledgements allow, then
//! reports durable entries/s, proof sizes at 10^6 entries and peak RSS.
//!
//! cargo run --release -p ledger --example load [-- <entries> [<db dir> [<log key file>]]]
//!
//! With a node's `db` directory and its `keys/log.key`, this fills a node's own log (used to
//! measure the node's memory with a 10^6-entry log; see BENCHMARKS.md).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use ledger::{
    Log, NoteSigner, Sequencer, SequencerConfig, Store, verify_consistency, verify_inclusion,
};

fn entry(i: u64) -> Vec<u8> {
    let mut e = format!("entry {i:012} ").into_bytes();
    e.resize(120, b'.');
    e
}

fn vm_hwm_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let total: u64 = args
        .get(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(1_000_000);
    let tmp = tempfile::tempdir().unwrap();
    let path = args
        .get(2)
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| tmp.path().to_owned());
    let signer = match args.get(3) {
        Some(key_file) => {
            NoteSigner::from_key_string(std::fs::read_to_string(key_file).unwrap().trim()).unwrap()
        }
        None => NoteSigner::from_seed("load.example/log", [3; 32]).unwrap(),
    };
    let origin = signer.name().to_owned();
    let log = Log::open(Store::open(&path).unwrap(), &origin).unwrap();
    let start_size = log.tree_size();
    let verifier = signer.verifier();
    let seq = Sequencer::start(log, signer, SequencerConfig::default()).unwrap();
    let acked = Arc::new(AtomicU64::new(0));
    let max_in_flight = 50_000;
    let started = Instant::now();
    for i in 0..total {
        while i - acked.load(Ordering::Acquire) >= max_in_flight {
            std::thread::sleep(Duration::from_micros(100));
        }
        let acked = acked.clone();
        seq.submit(
            entry(start_size + i),
            vec![],
            Box::new(move |r| {
                r.unwrap();
                acked.fetch_add(1, Ordering::AcqRel);
            }),
        );
    }
    while acked.load(Ordering::Acquire) < total {
        std::thread::sleep(Duration::from_millis(1));
    }
    let elapsed = started.elapsed();
    let size = start_size + total;
    let cp = seq
        .wait_for_checkpoint(size, Duration::from_secs(10))
        .unwrap();
    let cp_wait = started.elapsed();
    ledger::SignedCheckpoint::open(cp.note_bytes(), &[&verifier]).unwrap();
    println!(
        "appended {total} entries durably in {:.2} s: {:.0} entries/s (checkpoint of size {} after {:.2} s)",
        elapsed.as_secs_f64(),
        total as f64 / elapsed.as_secs_f64(),
        cp.size(),
        cp_wait.as_secs_f64()
    );
    let reader = seq.reader();
    let idx = size / 3;
    let t = Instant::now();
    let proof = reader.inclusion_proof(idx, size).unwrap();
    let gen_time = t.elapsed();
    verify_inclusion(
        &ledger::leaf_hash(&entry(idx)),
        idx,
        size,
        &proof,
        &cp.root(),
    )
    .unwrap();
    println!(
        "inclusion proof at size {size}: {} hashes, {} bytes (generated in {} us)",
        proof.len(),
        proof.to_bytes().len(),
        gen_time.as_micros()
    );
    let old = size / 2 + 1;
    let old_root = reader.root_at(old).unwrap();
    let cproof = reader.consistency_proof(old, size).unwrap();
    verify_consistency(old, size, &old_root, &cp.root(), &cproof).unwrap();
    println!(
        "consistency proof {old} -> {size}: {} hashes, {} bytes",
        cproof.len(),
        cproof.to_bytes().len()
    );
    println!("signed checkpoint: {} bytes", cp.note_bytes().len());
    drop(seq);
    match vm_hwm_kib() {
        Some(kib) => println!("peak RSS (VmHWM): {:.1} MiB", kib as f64 / 1024.0),
        None => println!("peak RSS unavailable"),
    }
}
