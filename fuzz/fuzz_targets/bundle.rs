//! Evidence bundles as a holder carries them to an offline border post: parsing and reading
//! the entry and proof out of one never panics.
#![no_main]

use credentials::bundle::Bundle;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(bundle) = Bundle::from_json(data) {
        let _ = bundle.log.entry_bytes();
        let _ = bundle.log.proof_hashes();
    }
});
