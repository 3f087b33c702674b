//! A node's verified copy of another node's log.
//!
//! Nothing is stored before it is verified: a checkpoint must carry the log's signature and
//! be consistent with the checkpoint already held; entries must, together with what is
//! stored, produce a tree that the held checkpoint extends. Entries can arrive in any number
//! of calls, so replication resumes where it stopped. A checkpoint that provably conflicts
//! with one held is kept as evidence and reported as [`ReplicaError::Equivocation`].

use crate::checkpoint::{CheckpointError, SignedCheckpoint};
use crate::error::LedgerError;
use crate::hash::{Hash, leaf_hash};
use crate::log::LogReader;
use crate::note::NoteVerifier;
use crate::proof::{ConsistencyProof, Frontier, ProofError, verify_consistency};
use crate::store::{Evidence, Store, StoredCheckpoint};

/// Why replication data was refused.
#[derive(Debug, thiserror::Error)]
pub enum ReplicaError {
    #[error("checkpoint refused: {0}")]
    Checkpoint(#[from] CheckpointError),
    #[error(
        "log equivocated: checkpoint of size {} conflicts with held checkpoint of size {}",
        conflicting.size(), held.size()
    )]
    Equivocation {
        held: Box<SignedCheckpoint>,
        conflicting: Box<SignedCheckpoint>,
    },
    #[error("consistency proof from the held checkpoint does not verify: {0}")]
    InvalidProof(ProofError),
    #[error("entries up to {size} do not lead to the held checkpoint: {source}")]
    EntriesDoNotMatch {
        size: u64,
        #[source]
        source: ProofError,
    },
    #[error("entries must start at {expected}, got {got}")]
    NotContiguous { expected: u64, got: u64 },
    #[error("entries up to {end} go beyond the held checkpoint of size {checkpoint_size}")]
    BeyondCheckpoint { end: u64, checkpoint_size: u64 },
    #[error("no checkpoint held yet: ingest a checkpoint before entries")]
    NoCheckpoint,
    #[error("replica storage: {0}")]
    Storage(#[from] LedgerError),
}

/// What a checkpoint did to the replica.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CheckpointUpdate {
    /// The held checkpoint moved forward.
    Advanced { from: u64, to: u64 },
    /// Same checkpoint as held.
    Unchanged,
    /// An older checkpoint, consistent with the one held.
    Older,
}

/// A verified replica of the log with a given origin and key.
#[derive(Debug)]
pub struct Replica {
    reader: LogReader,
    verifier: NoteVerifier,
    frontier: Frontier,
    held: Option<SignedCheckpoint>,
}

impl Replica {
    /// Opens (or starts) the replica of `origin`, whose checkpoints `verifier` must sign.
    pub fn open(store: Store, origin: &str, verifier: NoteVerifier) -> Result<Self, ReplicaError> {
        let reader = LogReader::new(store, origin);
        reader.store().claim_origin(&reader.log_id(), origin)?;
        let size = reader.size()?;
        let frontier = Frontier::load(size, &reader.store().hash_reader(reader.log_id()))
            .map_err(LedgerError::from)?;
        let held = reader.latest_checkpoint()?;
        match &held {
            None if size > 0 => {
                return Err(
                    LedgerError::Corrupt("replica has entries but no checkpoint".into()).into(),
                );
            }
            Some(cp) if cp.size() < size => {
                return Err(LedgerError::CheckpointMismatch {
                    size: cp.size(),
                    checkpoint_root: cp.root(),
                    tree_root: frontier.root(),
                }
                .into());
            }
            Some(cp) if cp.size() == size && cp.root() != frontier.root() => {
                return Err(LedgerError::CheckpointMismatch {
                    size,
                    checkpoint_root: cp.root(),
                    tree_root: frontier.root(),
                }
                .into());
            }
            _ => {}
        }
        Ok(Replica {
            reader,
            verifier,
            frontier,
            held,
        })
    }

    /// Read access (proofs, tiles, entries) to the replicated log.
    pub fn reader(&self) -> LogReader {
        self.reader.clone()
    }

    /// Entries held and verified.
    pub fn size(&self) -> u64 {
        self.frontier.size()
    }

    /// The largest verified checkpoint held.
    pub fn checkpoint(&self) -> Option<&SignedCheckpoint> {
        self.held.as_ref()
    }

    fn equivocation(
        &self,
        held: &SignedCheckpoint,
        conflicting: SignedCheckpoint,
        now: u64,
        reason: String,
    ) -> ReplicaError {
        let ev = Evidence {
            origin: self.reader.origin().to_owned(),
            detected_at: now,
            held: held.note_bytes().to_vec(),
            conflicting: conflicting.note_bytes().to_vec(),
            reason,
        };
        if let Err(e) = self.reader.store().put_evidence(&self.reader.log_id(), &ev) {
            return e.into();
        }
        ReplicaError::Equivocation {
            held: Box::new(held.clone()),
            conflicting: Box::new(conflicting),
        }
    }

    /// Evidence of equivocation recorded for this log.
    pub fn evidence(&self) -> Result<Vec<Evidence>, ReplicaError> {
        Ok(self.reader.store().evidence(&self.reader.log_id())?)
    }

    /// Verifies and stores a new signed checkpoint. `proof` is the consistency proof between
    /// the held checkpoint and the new one (from the smaller to the larger size); it is
    /// empty for the first checkpoint. `now` is recorded as the time it was received.
    pub fn update_checkpoint(
        &mut self,
        signed: &[u8],
        proof: &ConsistencyProof,
        now: u64,
    ) -> Result<CheckpointUpdate, ReplicaError> {
        let (cp, _) =
            SignedCheckpoint::open_with_origin(signed, self.reader.origin(), &[&self.verifier])?;
        let store = self.reader.store();
        let id = self.reader.log_id();
        if let Some(existing) = store.checkpoint_at(&id, cp.size())? {
            let existing = SignedCheckpoint::from_trusted_bytes(&existing.note)?;
            if existing.root() != cp.root() {
                let reason = format!("two roots for tree size {}", cp.size());
                return Err(self.equivocation(&existing, cp, now, reason));
            }
        }
        let outcome = match &self.held {
            None => CheckpointUpdate::Advanced {
                from: 0,
                to: cp.size(),
            },
            Some(held) if cp.size() == held.size() => {
                if cp.root() != held.root() {
                    let reason = format!("two roots for tree size {}", cp.size());
                    return Err(self.equivocation(held, cp, now, reason));
                }
                return Ok(CheckpointUpdate::Unchanged);
            }
            Some(held) if cp.size() > held.size() => {
                verify_consistency(held.size(), cp.size(), &held.root(), &cp.root(), proof)
                    .map_err(ReplicaError::InvalidProof)?;
                CheckpointUpdate::Advanced {
                    from: held.size(),
                    to: cp.size(),
                }
            }
            Some(held) => {
                if cp.size() <= self.frontier.size() {
                    // We hold the entries: the stored tree decides.
                    let root = self.reader.root_at(cp.size())?;
                    if root != cp.root() {
                        let reason = format!(
                            "checkpoint of size {} disagrees with the entries proven by the held \
                             checkpoint",
                            cp.size()
                        );
                        return Err(self.equivocation(held, cp, now, reason));
                    }
                } else {
                    verify_consistency(cp.size(), held.size(), &cp.root(), &held.root(), proof)
                        .map_err(ReplicaError::InvalidProof)?;
                }
                CheckpointUpdate::Older
            }
        };
        store.put_checkpoint_if_absent(
            &id,
            cp.size(),
            &StoredCheckpoint {
                published_at: now,
                note: signed.to_vec(),
            },
        )?;
        if matches!(outcome, CheckpointUpdate::Advanced { .. }) {
            self.held = Some(cp);
        }
        Ok(outcome)
    }

    /// Verifies and stores entries `[start, start + entries.len())`. `proof` is the
    /// consistency proof from the new size to the held checkpoint's size (empty when the
    /// entries reach it). Returns the new number of entries held.
    pub fn append_entries<E: AsRef<[u8]>>(
        &mut self,
        start: u64,
        entries: &[E],
        proof: &ConsistencyProof,
    ) -> Result<u64, ReplicaError> {
        let held = self.held.as_ref().ok_or(ReplicaError::NoCheckpoint)?;
        if start != self.frontier.size() {
            return Err(ReplicaError::NotContiguous {
                expected: self.frontier.size(),
                got: start,
            });
        }
        let end = start + entries.len() as u64;
        if end > held.size() {
            return Err(ReplicaError::BeyondCheckpoint {
                end,
                checkpoint_size: held.size(),
            });
        }
        let mut next = self.frontier.clone();
        for e in entries {
            next.push(leaf_hash(e.as_ref()), |_, _| {});
        }
        verify_consistency(end, held.size(), &next.root(), &held.root(), proof)
            .map_err(|source| ReplicaError::EntriesDoNotMatch { size: end, source })?;
        let appended = self.reader.store().append(
            &self.reader.log_id(),
            &self.frontier,
            entries,
            &[],
            |_, _| Ok(()),
        )?;
        self.frontier = appended.frontier;
        Ok(end)
    }

    /// Root of the entries held.
    pub fn root(&self) -> Hash {
        self.frontier.root()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::log::Log;
    use crate::note::NoteSigner;

    const ORIGIN: &str = "source.example/log";

    fn source(dir: &std::path::Path, n: u32, tag: &str) -> (Log, NoteSigner) {
        let signer = NoteSigner::from_seed(ORIGIN, [11; 32]).unwrap();
        let mut log = Log::open(Store::open(dir).unwrap(), ORIGIN).unwrap();
        let entries: Vec<Vec<u8>> = (0..n).map(|i| format!("{tag}{i}").into_bytes()).collect();
        log.append_batch(&entries, &[]).unwrap();
        (log, signer)
    }

    #[test]
    fn replicates_in_several_calls_and_resumes_after_reopen() {
        let src_dir = tempfile::tempdir().unwrap();
        let rep_dir = tempfile::tempdir().unwrap();
        let (mut src, key) = source(src_dir.path(), 100, "e");
        let cp100 = src.publish_checkpoint(&key, 1).unwrap();
        {
            let mut rep =
                Replica::open(Store::open(rep_dir.path()).unwrap(), ORIGIN, key.verifier())
                    .unwrap();
            assert!(matches!(
                rep.append_entries(0, &src.leaves(0, 10).unwrap(), &ConsistencyProof::default()),
                Err(ReplicaError::NoCheckpoint)
            ));
            assert_eq!(
                rep.update_checkpoint(cp100.note_bytes(), &ConsistencyProof::default(), 1)
                    .unwrap(),
                CheckpointUpdate::Advanced { from: 0, to: 100 }
            );
            let p = src.consistency_proof(40, 100).unwrap();
            assert_eq!(
                rep.append_entries(0, &src.leaves(0, 40).unwrap(), &p)
                    .unwrap(),
                40
            );
        }
        // Resume after a restart.
        let mut rep =
            Replica::open(Store::open(rep_dir.path()).unwrap(), ORIGIN, key.verifier()).unwrap();
        assert_eq!(rep.size(), 40);
        assert!(matches!(
            rep.append_entries(
                39,
                &src.leaves(39, 100).unwrap(),
                &ConsistencyProof::default()
            ),
            Err(ReplicaError::NotContiguous {
                expected: 40,
                got: 39
            })
        ));
        rep.append_entries(
            40,
            &src.leaves(40, 100).unwrap(),
            &ConsistencyProof::default(),
        )
        .unwrap();
        assert_eq!(rep.root(), cp100.root());
        // The source grows; the replica follows with a consistency proof.
        src.append_batch(&[b"more".to_vec(), b"and more".to_vec()], &[])
            .unwrap();
        let cp102 = src.publish_checkpoint(&key, 2).unwrap();
        let p = src.consistency_proof(100, 102).unwrap();
        rep.update_checkpoint(cp102.note_bytes(), &p, 2).unwrap();
        assert!(matches!(
            rep.append_entries(
                100,
                &src.leaves(100, 102).unwrap()[..1],
                &ConsistencyProof::default()
            ),
            Err(ReplicaError::EntriesDoNotMatch { .. })
        ));
        let p = src.consistency_proof(101, 102).unwrap();
        rep.append_entries(100, &src.leaves(100, 101).unwrap(), &p)
            .unwrap();
        rep.append_entries(
            101,
            &src.leaves(101, 102).unwrap(),
            &ConsistencyProof::default(),
        )
        .unwrap();
        assert_eq!(rep.root(), cp102.root());
        // The replica serves proofs like the source.
        let r = rep.reader();
        assert_eq!(
            r.inclusion_proof(5, 102).unwrap(),
            src.inclusion_proof(5, 102).unwrap()
        );
        // Re-sending the held checkpoint or an older one is harmless.
        assert_eq!(
            rep.update_checkpoint(cp102.note_bytes(), &ConsistencyProof::default(), 3)
                .unwrap(),
            CheckpointUpdate::Unchanged
        );
        assert_eq!(
            rep.update_checkpoint(cp100.note_bytes(), &ConsistencyProof::default(), 3)
                .unwrap(),
            CheckpointUpdate::Older
        );
    }

    #[test]
    fn refuses_forged_tampered_and_inconsistent_data() {
        let src_dir = tempfile::tempdir().unwrap();
        let rep_dir = tempfile::tempdir().unwrap();
        let (mut src, key) = source(src_dir.path(), 50, "e");
        let cp = src.publish_checkpoint(&key, 1).unwrap();
        let mut rep =
            Replica::open(Store::open(rep_dir.path()).unwrap(), ORIGIN, key.verifier()).unwrap();
        // Signed by someone else.
        let rogue = NoteSigner::from_seed(ORIGIN, [12; 32]).unwrap();
        let fake_dir = tempfile::tempdir().unwrap();
        let (mut fake, _) = source(fake_dir.path(), 50, "e");
        let forged = fake.publish_checkpoint(&rogue, 1).unwrap();
        assert!(matches!(
            rep.update_checkpoint(forged.note_bytes(), &ConsistencyProof::default(), 1),
            Err(ReplicaError::Checkpoint(_))
        ));
        rep.update_checkpoint(cp.note_bytes(), &ConsistencyProof::default(), 1)
            .unwrap();
        // Tampered entries: nothing is stored.
        let mut entries = src.leaves(0, 50).unwrap();
        entries[7] = b"tampered".to_vec();
        assert!(matches!(
            rep.append_entries(0, &entries, &ConsistencyProof::default()),
            Err(ReplicaError::EntriesDoNotMatch { .. })
        ));
        assert_eq!(rep.size(), 0);
        assert_eq!(rep.reader().size().unwrap(), 0);
        // A larger checkpoint with a bogus proof.
        src.append_batch(&[b"x".to_vec()], &[]).unwrap();
        let cp51 = src.publish_checkpoint(&key, 2).unwrap();
        let wrong = src.consistency_proof(49, 51).unwrap();
        assert!(matches!(
            rep.update_checkpoint(cp51.note_bytes(), &wrong, 2),
            Err(ReplicaError::InvalidProof(_))
        ));
        assert_eq!(rep.checkpoint().unwrap().size(), 50);
    }

    #[test]
    fn equivocation_is_reported_with_both_checkpoints_and_stored() {
        let src_dir = tempfile::tempdir().unwrap();
        let fork_dir = tempfile::tempdir().unwrap();
        let rep_dir = tempfile::tempdir().unwrap();
        let (mut src, key) = source(src_dir.path(), 30, "e");
        // The same log key signs a different history (a split view).
        let (mut fork, _) = source(fork_dir.path(), 30, "f");
        let honest = src.publish_checkpoint(&key, 1).unwrap();
        let forked = fork.publish_checkpoint(&key, 1).unwrap();
        let mut rep =
            Replica::open(Store::open(rep_dir.path()).unwrap(), ORIGIN, key.verifier()).unwrap();
        rep.update_checkpoint(honest.note_bytes(), &ConsistencyProof::default(), 1)
            .unwrap();
        rep.append_entries(0, &src.leaves(0, 30).unwrap(), &ConsistencyProof::default())
            .unwrap();
        match rep.update_checkpoint(forked.note_bytes(), &ConsistencyProof::default(), 9) {
            Err(ReplicaError::Equivocation { held, conflicting }) => {
                assert_eq!(held.note_bytes(), honest.note_bytes());
                assert_eq!(conflicting.note_bytes(), forked.note_bytes());
            }
            other => panic!("expected equivocation, got {other:?}"),
        }
        // An older checkpoint of the fork contradicts the stored entries too.
        let small_dir = tempfile::tempdir().unwrap();
        let (mut small_fork, _) = source(small_dir.path(), 10, "f");
        let old_forked = small_fork.publish_checkpoint(&key, 1).unwrap();
        assert!(matches!(
            rep.update_checkpoint(old_forked.note_bytes(), &ConsistencyProof::default(), 10),
            Err(ReplicaError::Equivocation { .. })
        ));
        let ev = rep.evidence().unwrap();
        assert_eq!(ev.len(), 2);
        assert_eq!(ev[0].held, honest.note_bytes());
        assert_eq!(ev[0].conflicting, forked.note_bytes());
        // The replica still holds the honest view.
        assert_eq!(rep.checkpoint().unwrap().root(), honest.root());
    }
}
