//! A C2SP tlog-witness (<https://c2sp.org/tlog-witness>): cosigns a log's checkpoint only
//! if it is consistent with the last one it cosigned for that log, and never two
//! inconsistent trees.
//!
//! The check of the old size and the update of the stored record happen under one lock and
//! the record is synced before the cosignature is made, so a concurrent or crashed request
//! can never roll the witness back (the race described in the spec).

use std::collections::HashMap;
use std::sync::{Mutex, PoisonError};

use crate::checkpoint::{CheckpointError, SignedCheckpoint};
use crate::cosignature::{CosignatureError, CosignatureSigner, CosignatureVerifier};
use crate::error::LedgerError;
use crate::hash::Hash;
use crate::note::{self, NoteError, NoteVerifier};
use crate::proof::{ConsistencyProof, ProofError, verify_consistency};
use crate::store::{Evidence, LogId, Store, WitnessRecord};

/// Most consistency proof lines accepted in a request (the spec's client limit).
pub const MAX_PROOF_LINES: usize = 63;

/// Why a checkpoint was not cosigned; [`WitnessError::http_status`] gives the spec's answer.
#[derive(Debug, thiserror::Error)]
pub enum WitnessError {
    #[error("malformed request: {0}")]
    Malformed(String),
    #[error("unknown log origin {0:?}")]
    UnknownOrigin(String),
    #[error("checkpoint not signed by the log's known key: {0}")]
    Unauthenticated(NoteError),
    #[error("checkpoint: {0}")]
    BadCheckpoint(CheckpointError),
    #[error("old size {old} is larger than the checkpoint size {size}")]
    OldSizeTooLarge { old: u64, size: u64 },
    #[error("old size does not match the latest cosigned size {held_size}")]
    Conflict { held_size: u64 },
    #[error(
        "checkpoint of size {size} has a different root than the one already cosigned; \
         evidence recorded"
    )]
    Equivocation { size: u64 },
    #[error("consistency proof does not verify: {0}")]
    InvalidProof(ProofError),
    #[error("cosigning: {0}")]
    Cosign(#[from] CosignatureError),
    #[error("witness storage: {0}")]
    Storage(#[from] LedgerError),
}

impl WitnessError {
    /// The HTTP status the tlog-witness spec assigns to this failure.
    pub fn http_status(&self) -> u16 {
        match self {
            WitnessError::Malformed(_)
            | WitnessError::BadCheckpoint(_)
            | WitnessError::OldSizeTooLarge { .. } => 400,
            WitnessError::Unauthenticated(_) => 403,
            WitnessError::UnknownOrigin(_) => 404,
            WitnessError::Conflict { .. } | WitnessError::Equivocation { .. } => 409,
            WitnessError::InvalidProof(_) => 422,
            WitnessError::Cosign(_) | WitnessError::Storage(_) => 500,
        }
    }

    /// For a 409 on the old size, the body of the answer: the held size and a newline
    /// (`Content-Type: text/x.tlog.size`).
    pub fn conflict_body(&self) -> Option<String> {
        match self {
            WitnessError::Conflict { held_size } => Some(format!("{held_size}\n")),
            _ => None,
        }
    }
}

/// Parses an `add-checkpoint` request body: `old <size>`, up to 63 base64 proof lines, an
/// empty line, then the signed checkpoint.
pub fn parse_add_checkpoint_request(
    body: &[u8],
) -> Result<(u64, ConsistencyProof, &[u8]), WitnessError> {
    let bad = |m: &str| WitnessError::Malformed(m.to_owned());
    if body.len() > note::MAX_NOTE_SIZE + 64 * 64 {
        return Err(bad("request too large"));
    }
    let mut rest = body;
    let mut next_line = || -> Result<&str, WitnessError> {
        let nl = rest
            .iter()
            .position(|&b| b == b'\n')
            .ok_or_else(|| bad("unterminated line"))?;
        let line = std::str::from_utf8(&rest[..nl]).map_err(|_| bad("line is not UTF-8"))?;
        rest = &rest[nl + 1..];
        Ok(line)
    };
    let first = next_line()?;
    let old = first
        .strip_prefix("old ")
        .and_then(crate::checkpoint::parse_decimal)
        .ok_or_else(|| bad("first line must be `old <size>`"))?;
    let mut hashes = Vec::new();
    loop {
        let line = next_line()?;
        if line.is_empty() {
            break;
        }
        if hashes.len() == MAX_PROOF_LINES {
            return Err(bad("more than 63 consistency proof lines"));
        }
        hashes.push(Hash::from_base64(line).map_err(|e| bad(&format!("proof line: {e}")))?);
    }
    Ok((old, ConsistencyProof::new(hashes), rest))
}

/// A witness for a fixed set of logs, keeping its state in the store.
pub struct Witness {
    store: Store,
    signer: CosignatureSigner,
    logs: HashMap<String, NoteVerifier>,
    lock: Mutex<()>,
}

impl std::fmt::Debug for Witness {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Witness")
            .field("name", &self.signer.name())
            .field("logs", &self.logs.keys().collect::<Vec<_>>())
            .finish()
    }
}

impl Witness {
    pub fn new(store: Store, signer: CosignatureSigner) -> Self {
        Witness {
            store,
            signer,
            logs: HashMap::new(),
            lock: Mutex::new(()),
        }
    }

    /// Trusts `verifier` as the key of the log with `origin`.
    pub fn add_log(&mut self, origin: &str, verifier: NoteVerifier) {
        self.logs.insert(origin.to_owned(), verifier);
    }

    /// This witness's public key, for logs and clients.
    pub fn verifier(&self) -> CosignatureVerifier {
        self.signer.verifier()
    }

    /// The latest checkpoint cosigned for `origin`.
    pub fn latest(&self, origin: &str) -> Result<Option<WitnessRecord>, LedgerError> {
        self.store.witness_record(&LogId::for_origin(origin))
    }

    /// Evidence of equivocation recorded against `origin`.
    pub fn evidence(&self, origin: &str) -> Result<Vec<Evidence>, LedgerError> {
        self.store.evidence(&LogId::for_origin(origin))
    }

    /// Handles a whole `add-checkpoint` request body; returns the response body.
    pub fn handle_add_checkpoint(&self, body: &[u8], now: u64) -> Result<String, WitnessError> {
        let (old, proof, checkpoint) = parse_add_checkpoint_request(body)?;
        self.add_checkpoint(old, &proof, checkpoint, now)
    }

    /// Verifies and cosigns a checkpoint; returns the cosignature line. `now` is the
    /// cosignature timestamp (POSIX seconds).
    pub fn add_checkpoint(
        &self,
        old_size: u64,
        proof: &ConsistencyProof,
        signed_checkpoint: &[u8],
        now: u64,
    ) -> Result<String, WitnessError> {
        // The origin is read from the unverified text only to pick the key that must verify.
        let (text, _) = note::split(signed_checkpoint).map_err(WitnessError::Unauthenticated)?;
        let origin = text.split('\n').next().unwrap_or_default().to_owned();
        let verifier = self
            .logs
            .get(&origin)
            .ok_or_else(|| WitnessError::UnknownOrigin(origin.clone()))?;
        let (cp, _) =
            SignedCheckpoint::open(signed_checkpoint, &[verifier]).map_err(|e| match e {
                CheckpointError::Note(n) => WitnessError::Unauthenticated(n),
                other => WitnessError::BadCheckpoint(other),
            })?;
        if old_size > cp.size() {
            return Err(WitnessError::OldSizeTooLarge {
                old: old_size,
                size: cp.size(),
            });
        }
        let id = LogId::for_origin(&origin);
        let _guard = self.lock.lock().unwrap_or_else(PoisonError::into_inner);
        let held = self.store.witness_record(&id)?;
        let held_size = held.as_ref().map_or(0, |h| h.size);
        if old_size != held_size {
            return Err(WitnessError::Conflict { held_size });
        }
        match &held {
            Some(h) if h.size == cp.size() => {
                if h.root != cp.root() {
                    self.store.put_evidence(
                        &id,
                        &Evidence {
                            origin: origin.clone(),
                            detected_at: now,
                            held: h.note.clone(),
                            conflicting: signed_checkpoint.to_vec(),
                            reason: format!("two roots for tree size {}", cp.size()),
                        },
                    )?;
                    return Err(WitnessError::Equivocation { size: cp.size() });
                }
                if !proof.is_empty() {
                    return Err(WitnessError::InvalidProof(ProofError::WrongLength {
                        expected: 0,
                        got: proof.len(),
                    }));
                }
            }
            Some(h) => {
                verify_consistency(h.size, cp.size(), &h.root, &cp.root(), proof)
                    .map_err(WitnessError::InvalidProof)?;
            }
            None => {
                if !proof.is_empty() {
                    return Err(WitnessError::InvalidProof(ProofError::WrongLength {
                        expected: 0,
                        got: proof.len(),
                    }));
                }
            }
        }
        // Persist first: a cosignature may only exist for a state the witness has recorded.
        if held.as_ref().map(|h| h.size) != Some(cp.size()) {
            self.store.put_witness_record(
                &id,
                &WitnessRecord {
                    size: cp.size(),
                    root: cp.root(),
                    note: signed_checkpoint.to_vec(),
                },
            )?;
        }
        let body = cp.checkpoint().to_text();
        Ok(self.signer.cosign(&body, now)?.to_line())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checkpoint::Checkpoint;
    use crate::cosignature::Cosignature;
    use crate::hash::leaf_hash;
    use crate::note::NoteSigner;
    use crate::proof::{MemoryTree, consistency_proof, tree_hash};

    const ORIGIN: &str = "example.com/log";

    struct Fixture {
        _dir: tempfile::TempDir,
        path: std::path::PathBuf,
        log_key: NoteSigner,
        tree: MemoryTree,
    }

    impl Fixture {
        fn new() -> Self {
            let dir = tempfile::tempdir().unwrap();
            let mut tree = MemoryTree::new();
            for i in 0..100u32 {
                tree.push(leaf_hash(&i.to_be_bytes()));
            }
            Fixture {
                path: dir.path().to_owned(),
                _dir: dir,
                log_key: NoteSigner::from_seed(ORIGIN, [5; 32]).unwrap(),
                tree,
            }
        }

        fn witness(&self) -> Witness {
            let mut w = Witness::new(
                Store::open(&self.path).unwrap(),
                CosignatureSigner::from_seed("witness.example/w", [6; 32]).unwrap(),
            );
            w.add_log(ORIGIN, self.log_key.verifier());
            w
        }

        fn checkpoint(&self, size: u64) -> Vec<u8> {
            let root = tree_hash(size, &self.tree).unwrap();
            SignedCheckpoint::sign(Checkpoint::new(ORIGIN, size, root), &[&self.log_key])
                .unwrap()
                .note_bytes()
                .to_vec()
        }

        fn proof(&self, old: u64, new: u64) -> ConsistencyProof {
            consistency_proof(old, new, &self.tree).unwrap()
        }
    }

    #[test]
    fn cosigns_a_consistent_sequence_and_survives_restart() {
        let f = Fixture::new();
        {
            let w = f.witness();
            let line = w
                .add_checkpoint(0, &ConsistencyProof::default(), &f.checkpoint(10), 1000)
                .unwrap();
            let cosig = Cosignature::parse_line(&line).unwrap();
            let body = SignedCheckpoint::from_trusted_bytes(&f.checkpoint(10))
                .unwrap()
                .checkpoint()
                .to_text();
            assert_eq!(w.verifier().verify(&body, &cosig), Ok(1000));
            w.add_checkpoint(10, &f.proof(10, 50), &f.checkpoint(50), 1001)
                .unwrap();
        }
        // After a restart the witness still holds size 50.
        let w = f.witness();
        assert_eq!(w.latest(ORIGIN).unwrap().unwrap().size, 50);
        let err = w
            .add_checkpoint(10, &f.proof(10, 60), &f.checkpoint(60), 1002)
            .unwrap_err();
        assert!(matches!(err, WitnessError::Conflict { held_size: 50 }));
        assert_eq!(err.http_status(), 409);
        assert_eq!(err.conflict_body().unwrap(), "50\n");
        w.add_checkpoint(50, &f.proof(50, 60), &f.checkpoint(60), 1003)
            .unwrap();
        // Same size, same root: cosigned again.
        w.add_checkpoint(60, &ConsistencyProof::default(), &f.checkpoint(60), 1004)
            .unwrap();
    }

    #[test]
    fn refuses_bad_proofs_keys_origins_and_sizes() {
        let f = Fixture::new();
        let w = f.witness();
        w.add_checkpoint(0, &ConsistencyProof::default(), &f.checkpoint(10), 1)
            .unwrap();
        // Wrong proof: 422, and the state does not move.
        let err = w
            .add_checkpoint(10, &f.proof(11, 20), &f.checkpoint(20), 2)
            .unwrap_err();
        assert_eq!(err.http_status(), 422, "{err}");
        assert_eq!(w.latest(ORIGIN).unwrap().unwrap().size, 10);
        // Old size above the checkpoint size: 400.
        let err = w
            .add_checkpoint(30, &f.proof(10, 20), &f.checkpoint(20), 2)
            .unwrap_err();
        assert_eq!(err.http_status(), 400);
        // Signed by another key: 403.
        let rogue = NoteSigner::from_seed(ORIGIN, [9; 32]).unwrap();
        let forged = SignedCheckpoint::sign(
            Checkpoint::new(ORIGIN, 20, tree_hash(20, &f.tree).unwrap()),
            &[&rogue],
        )
        .unwrap();
        let err = w
            .add_checkpoint(10, &f.proof(10, 20), forged.note_bytes(), 2)
            .unwrap_err();
        assert_eq!(err.http_status(), 403, "{err}");
        // Unknown origin: 404.
        let other = NoteSigner::from_seed("other.example/log", [9; 32]).unwrap();
        let cp = SignedCheckpoint::sign(
            Checkpoint::new("other.example/log", 1, leaf_hash(b"x")),
            &[&other],
        )
        .unwrap();
        let err = w
            .add_checkpoint(0, &ConsistencyProof::default(), cp.note_bytes(), 2)
            .unwrap_err();
        assert_eq!(err.http_status(), 404);
        // Non-empty proof from size 0: 422.
        let f2 = Fixture::new();
        let w2 = f2.witness();
        let err = w2
            .add_checkpoint(0, &f2.proof(5, 10), &f2.checkpoint(10), 1)
            .unwrap_err();
        assert_eq!(err.http_status(), 422);
    }

    #[test]
    fn records_equivocation_and_never_cosigns_the_fork() {
        let f = Fixture::new();
        let w = f.witness();
        let honest = f.checkpoint(10);
        w.add_checkpoint(0, &ConsistencyProof::default(), &honest, 1)
            .unwrap();
        let fork = SignedCheckpoint::sign(
            Checkpoint::new(ORIGIN, 10, leaf_hash(b"other history")),
            &[&f.log_key],
        )
        .unwrap();
        let err = w
            .add_checkpoint(10, &ConsistencyProof::default(), fork.note_bytes(), 5)
            .unwrap_err();
        assert!(matches!(err, WitnessError::Equivocation { size: 10 }));
        let ev = w.evidence(ORIGIN).unwrap();
        assert_eq!(ev.len(), 1);
        assert_eq!(ev[0].held, honest);
        assert_eq!(ev[0].conflicting, fork.note_bytes());
        // The fork cannot be extended either: no proof links it to what the witness holds.
        assert_eq!(w.latest(ORIGIN).unwrap().unwrap().note, honest);
    }

    #[test]
    fn parses_the_spec_request_format() {
        let f = Fixture::new();
        let w = f.witness();
        let mut body = b"old 0\n\n".to_vec();
        body.extend_from_slice(&f.checkpoint(10));
        let line = w.handle_add_checkpoint(&body, 7).unwrap();
        assert!(line.starts_with("\u{2014} witness.example/w "));
        let mut body = b"old 10\n".to_vec();
        for h in &f.proof(10, 20).hashes {
            body.extend_from_slice(format!("{}\n", h.to_base64()).as_bytes());
        }
        body.push(b'\n');
        body.extend_from_slice(&f.checkpoint(20));
        w.handle_add_checkpoint(&body, 8).unwrap();
        for bad in [
            &b"old 01\n\n"[..],
            b"old x\n\n",
            b"new 1\n\n",
            b"old 1\nnot-base64\n\n",
            b"old 1",
        ] {
            let err = parse_add_checkpoint_request(bad).unwrap_err();
            assert_eq!(err.http_status(), 400, "{:?}", String::from_utf8_lossy(bad));
        }
        let many = format!(
            "old 1\n{}\n",
            format!("{}\n", leaf_hash(b"").to_base64()).repeat(64)
        );
        assert!(parse_add_checkpoint_request(many.as_bytes()).is_err());
    }
}
