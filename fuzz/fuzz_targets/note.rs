//! Signed notes, checkpoints, cosignatures and verifier keys, as a replica or witness reads
//! them from a peer: no input panics, and what parses prints back to itself.
#![no_main]

use ledger::note::{self, NoteSigner, NoteVerifier};
use ledger::{Checkpoint, Cosignature, CosignatureVerifier, SignedCheckpoint};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let log = NoteSigner::from_seed("cites.fuzz/log", [7; 32]).unwrap();
    let verifier = log.verifier();
    let _ = note::open(data, &[&verifier]);
    let _ = SignedCheckpoint::open(data, &[&verifier]);
    let _ = SignedCheckpoint::from_trusted_bytes(data);
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(checkpoint) = Checkpoint::parse(text) {
        assert_eq!(Checkpoint::parse(&checkpoint.to_text()), Ok(checkpoint));
    }
    for line in text.lines() {
        let _ = Cosignature::parse_line(line);
        let _ = NoteVerifier::from_key_string(line);
        let _ = CosignatureVerifier::from_key_string(line);
    }
});
