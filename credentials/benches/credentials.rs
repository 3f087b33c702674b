//! Signing and verifying permit credentials and presentations, per mechanism, in process.
//!
//! cargo bench -p credentials --bench credentials

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::Duration;

use contracts::Permit;
use credentials::credential::{self, Draft, StatusEntry, StatusPurpose};
use credentials::keys::SecretKey;
use credentials::{Mechanism, Signer, presentation};
use criterion::{Criterion, criterion_group, criterion_main};

fn permit() -> Permit {
    let path = format!(
        "{}/../contracts/tests/fixtures/valid/export_permit.json",
        env!("CARGO_MANIFEST_DIR")
    );
    Permit::from_json(&std::fs::read(path).unwrap()).unwrap()
}

fn bench(c: &mut Criterion) {
    let issuer = Signer::new(
        SecretKey::from_seed(&[1; 32]),
        "did:web:cites.gh.example#key-1",
    )
    .unwrap();
    let holder = Signer::holder(SecretKey::from_seed(&[2; 32])).unwrap();
    let p = permit();
    let status = [StatusEntry {
        purpose: StatusPurpose::Revocation,
        list: "https://cites.gh.example/status/revocation".into(),
        index: 1,
    }];
    let holder_did = holder.public().did_key();
    let vc = credential::build(&Draft {
        permit: &p,
        issuer: "did:web:cites.gh.example",
        holder: &holder_did,
        salt: "AAAA",
        status: &status,
    })
    .unwrap();

    // The permit's RFC 8785 form (its log commitment), by the reference implementation and
    // by ours (`contracts::canonical`).
    let mut g = c.benchmark_group("canonical");
    g.bench_function("permit/serde_json_canonicalizer", |b| {
        b.iter(|| serde_json_canonicalizer::to_vec(&p).unwrap())
    });
    g.bench_function("permit/contracts", |b| {
        b.iter(|| contracts::canonical::to_vec(&p).unwrap())
    });
    g.finish();

    let mut g = c.benchmark_group("credential");
    for m in Mechanism::ALL {
        let name = serde_json::to_value(m)
            .unwrap()
            .as_str()
            .unwrap()
            .to_owned();
        g.bench_function(format!("issue/{name}"), |b| {
            b.iter(|| issuer.issue(&vc, m, "2026-10-01T00:00:00Z").unwrap())
        });
        let secured = issuer.issue(&vc, m, "2026-10-01T00:00:00Z").unwrap();
        g.bench_function(format!("verify/{name}"), |b| {
            b.iter(|| secured.verify(&issuer.public(), false).unwrap())
        });
        let vp = presentation::build(&holder_did, std::slice::from_ref(&secured));
        let secured_vp = holder
            .present(&vp, m, "2026-10-10T00:00:00Z", "c", "d")
            .unwrap();
        g.bench_function(format!("verify_presentation_with_credential/{name}"), |b| {
            b.iter(|| {
                let proven = secured_vp.verify(&holder.public(), true).unwrap();
                let (_, inner) = presentation::contents(&proven.document).unwrap();
                inner[0].verify(&issuer.public(), false).unwrap();
            })
        });
    }
    g.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(10).warm_up_time(Duration::from_secs(1)).measurement_time(Duration::from_secs(3));
    targets = bench
}
criterion_main!(benches);
