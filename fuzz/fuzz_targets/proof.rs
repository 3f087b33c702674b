//! Inclusion and consistency proofs with any sizes and indices (overflow, empty trees, the
//! last leaf): verification answers, it never panics.
#![no_main]

use ledger::{ConsistencyProof, Hash, InclusionProof, verify_consistency, verify_inclusion};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|input: (u64, u64, [u8; 32], [u8; 32], Vec<u8>)| {
    let (a, b, x, y, proof) = input;
    let (Ok(x), Ok(y)) = (Hash::from_slice(&x), Hash::from_slice(&y)) else {
        return;
    };
    if let Ok(p) = InclusionProof::from_bytes(&proof) {
        let _ = verify_inclusion(&x, a, b, &p, &y);
        let again = InclusionProof::from_bytes(&p.to_bytes()).unwrap();
        assert_eq!(again.to_bytes(), p.to_bytes());
    }
    if let Ok(p) = ConsistencyProof::from_bytes(&proof) {
        let _ = verify_consistency(a, b, &x, &y, &p);
    }
});
