//! Node-protocol messages as a peer sends them over libp2p (CBOR, decoded as the
//! request-response codec does): no input panics, what decodes encodes back to itself, range
//! checks answer for any numbers, and an entries answer goes through the check a replica
//! makes before storing it.
#![no_main]

use ledger::proof::Frontier;
use ledger::{Hash, leaf_hash, verify_consistency};
use libfuzzer_sys::fuzz_target;
use protocol::{Response, decode_request, decode_response, encode, proof_from_wire};

fuzz_target!(|data: &[u8]| {
    if let Ok(request) = decode_request(data) {
        assert_eq!(
            decode_request(&encode(&request)).ok(),
            Some(request.clone())
        );
        for held in [0, 1, 2000, u64::MAX] {
            let _ = request.range_problem(held);
        }
    }
    let Ok(response) = decode_response(data) else {
        return;
    };
    assert_eq!(
        decode_response(&encode(&response)).ok(),
        Some(response.clone())
    );
    match response {
        Response::Entries { entries, proof } => {
            let Ok(proof) = proof_from_wire(&proof) else {
                return;
            };
            let mut frontier = Frontier::new();
            for entry in &entries {
                frontier.push(leaf_hash(entry), |_, _| {});
            }
            let size = entries.len() as u64;
            let held = Hash::from_slice(&[9; 32]).unwrap();
            let _ = verify_consistency(
                size,
                size.saturating_add(3),
                &frontier.root(),
                &held,
                &proof,
            );
        }
        Response::Consistency { proof } => {
            let _ = proof_from_wire(&proof);
        }
        Response::Checkpoint { note } => {
            let _ = ledger::note::split(&note);
        }
        _ => {}
    }
});
