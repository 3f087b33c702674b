//! Durable append throughput by batch size, and proof costs on a tree of 10^6 entries.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::hint::black_box;
use std::time::Duration;

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use ledger::{Log, NoteSigner, Store, leaf_hash, verify_inclusion};

const ONE_MILLION: u64 = 1_000_000;

fn entry(i: u64) -> Vec<u8> {
    // About the size of a canonical log entry: a kind, a digest, a time and some ids.
    let mut e = format!("entry {i:012} ").into_bytes();
    e.resize(120, b'.');
    e
}

fn appends(c: &mut Criterion) {
    let mut group = c.benchmark_group("durable_append");
    for batch in [1u64, 100, 4096] {
        let dir = tempfile::tempdir().unwrap();
        let mut log = Log::open(Store::open(dir.path()).unwrap(), "bench.example/log").unwrap();
        let mut next = 0u64;
        group.throughput(Throughput::Elements(batch));
        group.bench_with_input(BenchmarkId::new("batch", batch), &batch, |b, &batch| {
            b.iter(|| {
                let entries: Vec<Vec<u8>> = (next..next + batch).map(entry).collect();
                next += batch;
                black_box(log.append_batch(&entries, &[]).unwrap());
            });
        });
    }
    group.finish();
}

fn proofs(c: &mut Criterion) {
    let dir = tempfile::tempdir().unwrap();
    let signer = NoteSigner::from_seed("bench.example/log", [1; 32]).unwrap();
    let mut log = Log::open(Store::open(dir.path()).unwrap(), "bench.example/log").unwrap();
    let mut i = 0;
    while i < ONE_MILLION {
        let n = 4096.min(ONE_MILLION - i);
        let entries: Vec<Vec<u8>> = (i..i + n).map(entry).collect();
        log.append_batch(&entries, &[]).unwrap();
        i += n;
    }
    let cp = log.publish_checkpoint(&signer, 0).unwrap();
    let root = cp.root();
    let mut group = c.benchmark_group("proofs_at_1e6");
    group.throughput(Throughput::Elements(1));
    let mut k = 0u64;
    group.bench_function("inclusion_generate", |b| {
        b.iter(|| {
            k = (k + 7_919) % ONE_MILLION;
            black_box(log.inclusion_proof(k, ONE_MILLION).unwrap());
        });
    });
    let samples: Vec<(u64, ledger::Hash, ledger::InclusionProof)> = (0..1024u64)
        .map(|j| {
            let idx = (j * 977) % ONE_MILLION;
            (
                idx,
                leaf_hash(&entry(idx)),
                log.inclusion_proof(idx, ONE_MILLION).unwrap(),
            )
        })
        .collect();
    let mut s = 0usize;
    group.bench_function("inclusion_verify", |b| {
        b.iter(|| {
            s = (s + 1) % samples.len();
            let (idx, leaf, proof) = &samples[s];
            verify_inclusion(leaf, *idx, ONE_MILLION, proof, &root).unwrap();
        });
    });
    let mut old = 1u64;
    group.bench_function("consistency_generate", |b| {
        b.iter(|| {
            old = (old + 104_729) % ONE_MILLION + 1;
            black_box(log.consistency_proof(old, ONE_MILLION).unwrap());
        });
    });
    group.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default()
        .sample_size(10)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3));
    targets = appends, proofs
}
criterion_main!(benches);
