//! A transparency log stored in RocksDB: the node's own log ([`Log`], one writer) and the
//! read side shared by HTTP handlers, replication and tiles ([`LogReader`]).

use std::ops::{Deref, Range};

use crate::checkpoint::{Checkpoint, SignedCheckpoint};
use crate::cosignature::{Cosignature, CosignatureVerifier};
use crate::error::LedgerError;
use crate::hash::{Hash, leaf_hash};
use crate::note::NoteSigner;
use crate::proof::{self, ConsistencyProof, Frontier, InclusionProof};
use crate::store::{LogId, SideWrite, Store, StoredCheckpoint};

/// Read access to one log in a [`Store`]. Cheap to clone; safe to use from any thread while
/// a writer appends, because a batch becomes visible all at once.
#[derive(Clone, Debug)]
pub struct LogReader {
    store: Store,
    origin: String,
    id: LogId,
}

impl LogReader {
    /// Reads the log with `origin` (which may be empty, i.e. of size 0).
    pub fn new(store: Store, origin: &str) -> Self {
        LogReader {
            id: LogId::for_origin(origin),
            origin: origin.to_owned(),
            store,
        }
    }

    pub fn origin(&self) -> &str {
        &self.origin
    }

    pub fn log_id(&self) -> LogId {
        self.id
    }

    pub fn store(&self) -> &Store {
        &self.store
    }

    /// Number of durable entries (may be ahead of the latest checkpoint).
    pub fn size(&self) -> Result<u64, LedgerError> {
        self.store.tree_size(&self.id)
    }

    fn check_size(&self, requested: u64) -> Result<(), LedgerError> {
        let size = self.size()?;
        if requested > size {
            return Err(LedgerError::SizeOutOfRange { requested, size });
        }
        Ok(())
    }

    /// The entry at `index`.
    pub fn leaf(&self, index: u64) -> Result<Vec<u8>, LedgerError> {
        let size = self.size()?;
        if index >= size {
            return Err(LedgerError::IndexOutOfRange { index, size });
        }
        self.store
            .leaf(&self.id, index)?
            .ok_or_else(|| LedgerError::Corrupt(format!("leaf {index} is missing")))
    }

    /// Entries `[start, end)`.
    pub fn leaves(&self, start: u64, end: u64) -> Result<Vec<Vec<u8>>, LedgerError> {
        self.check_size(end)?;
        if start > end {
            return Err(LedgerError::IndexOutOfRange {
                index: start,
                size: end,
            });
        }
        self.store.leaves(&self.id, start, end)
    }

    /// RFC 6962 root of the first `size` entries.
    pub fn root_at(&self, size: u64) -> Result<Hash, LedgerError> {
        self.check_size(size)?;
        Ok(proof::tree_hash(size, &self.store.hash_reader(self.id))?)
    }

    pub fn inclusion_proof(&self, index: u64, size: u64) -> Result<InclusionProof, LedgerError> {
        self.check_size(size)?;
        Ok(proof::inclusion_proof(
            index,
            size,
            &self.store.hash_reader(self.id),
        )?)
    }

    pub fn consistency_proof(&self, old: u64, new: u64) -> Result<ConsistencyProof, LedgerError> {
        self.check_size(new)?;
        Ok(proof::consistency_proof(
            old,
            new,
            &self.store.hash_reader(self.id),
        )?)
    }

    /// Index of the first entry whose RFC 6962 leaf hash is `hash`.
    pub fn index_of(&self, hash: &Hash) -> Result<Option<u64>, LedgerError> {
        self.store.index_of(&self.id, hash)
    }

    /// The latest published checkpoint.
    pub fn latest_checkpoint(&self) -> Result<Option<SignedCheckpoint>, LedgerError> {
        match self.store.latest_checkpoint(&self.id)? {
            None => Ok(None),
            Some((_, cp)) => Ok(Some(SignedCheckpoint::from_trusted_bytes(&cp.note)?)),
        }
    }

    /// The checkpoint published at exactly `size`, if any.
    pub fn checkpoint_at(&self, size: u64) -> Result<Option<SignedCheckpoint>, LedgerError> {
        match self.store.checkpoint_at(&self.id, size)? {
            None => Ok(None),
            Some(cp) => Ok(Some(SignedCheckpoint::from_trusted_bytes(&cp.note)?)),
        }
    }

    /// When the checkpoint at `size` was published (POSIX seconds).
    pub fn checkpoint_published_at(&self, size: u64) -> Result<Option<u64>, LedgerError> {
        Ok(self
            .store
            .checkpoint_at(&self.id, size)?
            .map(|c| c.published_at))
    }

    /// Verifies a witness's cosignature line on the checkpoint published at `size` and keeps
    /// it with that checkpoint (one per witness key); returns the cosignature's timestamp.
    pub fn attach_cosignature(
        &self,
        size: u64,
        line: &str,
        witness: &CosignatureVerifier,
    ) -> Result<u64, LedgerError> {
        let cp = self
            .checkpoint_at(size)?
            .ok_or(LedgerError::NoCheckpoint(size))?;
        let cosig = Cosignature::parse_line(line)?;
        let timestamp = witness.verify(&cp.checkpoint().to_text(), &cosig)?;
        self.store
            .put_cosignature(&self.id, size, &cosig.name, cosig.key_id, &cosig.to_line())?;
        Ok(timestamp)
    }

    /// The checkpoint at `size` with every cosignature collected for it appended.
    pub fn cosigned_checkpoint(&self, size: u64) -> Result<Option<Vec<u8>>, LedgerError> {
        self.checkpoint_at(size)?
            .map(|cp| self.cosigned(&cp))
            .transpose()
    }

    /// `checkpoint`, already read, with every cosignature collected for it appended.
    pub fn cosigned(&self, checkpoint: &SignedCheckpoint) -> Result<Vec<u8>, LedgerError> {
        let lines = self.store.cosignatures(&self.id, checkpoint.size())?;
        Ok(checkpoint.with_extra_signatures(&lines))
    }
}

/// What [`LogReader::audit`] checked.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AuditReport {
    pub entries: u64,
    pub hashes: u64,
    pub checkpoints: u64,
}

impl LogReader {
    /// Recomputes every stored hash from the stored entries and checks every stored
    /// checkpoint against them. O(n) reads; an operator's tool, not something for each start
    /// (opening checks only the latest checkpoint against the frontier).
    pub fn audit(&self) -> Result<AuditReport, LedgerError> {
        const CHUNK: u64 = 1 << 14;
        let size = self.size()?;
        let checkpoints = self.store.checkpoint_sizes(&self.id)?;
        let mut next_cp = 0;
        let mut frontier = Frontier::new();
        let mut hashes = 0u64;
        self.check_checkpoints_at(&frontier, &checkpoints, &mut next_cp)?;
        let mut start = 0;
        while start < size {
            let end = (start + CHUNK).min(size);
            let leaves = self.store.leaves(&self.id, start, end)?;
            for leaf in &leaves {
                let mut computed = Vec::new();
                frontier.push(leaf_hash(leaf), |id, h| computed.push((id, h)));
                let ids: Vec<_> = computed.iter().map(|(id, _)| *id).collect();
                let stored = self.store.read_hashes(&self.id, &ids)?;
                for ((id, want), got) in computed.iter().zip(&stored) {
                    if want != got {
                        return Err(LedgerError::Corrupt(format!(
                            "stored hash at level {} index {} does not match the entries",
                            id.level, id.index
                        )));
                    }
                }
                hashes += ids.len() as u64;
                self.check_checkpoints_at(&frontier, &checkpoints, &mut next_cp)?;
            }
            start = end;
        }
        if let Some(&beyond) = checkpoints.get(next_cp) {
            return Err(LedgerError::CheckpointBeyondTree {
                checkpoint_size: beyond,
                tree_size: size,
            });
        }
        Ok(AuditReport {
            entries: size,
            hashes,
            checkpoints: checkpoints.len() as u64,
        })
    }

    /// Checks the checkpoints at the frontier's size (sizes ascending, `next` the first
    /// unchecked one).
    fn check_checkpoints_at(
        &self,
        frontier: &Frontier,
        sizes: &[u64],
        next: &mut usize,
    ) -> Result<(), LedgerError> {
        while sizes.get(*next) == Some(&frontier.size()) {
            let cp = self
                .checkpoint_at(frontier.size())?
                .ok_or(LedgerError::NoCheckpoint(frontier.size()))?;
            if cp.root() != frontier.root() {
                return Err(LedgerError::CheckpointMismatch {
                    size: cp.size(),
                    checkpoint_root: cp.root(),
                    tree_root: frontier.root(),
                });
            }
            *next += 1;
        }
        Ok(())
    }
}

/// The node's own log. Only one `Log` may write a given origin at a time (the sequencer owns
/// it); memory is the O(log n) frontier plus the latest checkpoint.
#[derive(Debug)]
pub struct Log {
    reader: LogReader,
    frontier: Frontier,
    latest: Option<SignedCheckpoint>,
}

impl Deref for Log {
    type Target = LogReader;

    fn deref(&self) -> &LogReader {
        &self.reader
    }
}

impl Log {
    /// Opens the log for `origin`, rebuilding the frontier from stored hashes and refusing to
    /// start if the stored tree disagrees with the latest published checkpoint.
    pub fn open(store: Store, origin: &str) -> Result<Self, LedgerError> {
        let reader = LogReader::new(store, origin);
        reader.store.claim_origin(&reader.id, origin)?;
        let size = reader.size()?;
        let frontier = Frontier::load(size, &reader.store.hash_reader(reader.id))?;
        let latest = reader.latest_checkpoint()?;
        if let Some(cp) = &latest {
            if cp.origin() != origin {
                return Err(LedgerError::OriginMismatch {
                    stored: cp.origin().to_owned(),
                    requested: origin.to_owned(),
                });
            }
            if cp.size() > size {
                return Err(LedgerError::CheckpointBeyondTree {
                    checkpoint_size: cp.size(),
                    tree_size: size,
                });
            }
            let tree_root = if cp.size() == size {
                frontier.root()
            } else {
                reader.root_at(cp.size())?
            };
            if tree_root != cp.root() {
                return Err(LedgerError::CheckpointMismatch {
                    size: cp.size(),
                    checkpoint_root: cp.root(),
                    tree_root,
                });
            }
        }
        Ok(Log {
            reader,
            frontier,
            latest,
        })
    }

    /// A read handle for other threads.
    pub fn reader(&self) -> LogReader {
        self.reader.clone()
    }

    /// Number of durable entries.
    pub fn tree_size(&self) -> u64 {
        self.frontier.size()
    }

    /// Root over all durable entries.
    pub fn root(&self) -> Hash {
        self.frontier.root()
    }

    /// Appends entries and the caller's side writes in one synced batch and returns the
    /// indices given to the entries, once they are durable. On error nothing was written.
    pub fn append_batch<E: AsRef<[u8]>>(
        &mut self,
        entries: &[E],
        side_writes: &[SideWrite],
    ) -> Result<Range<u64>, LedgerError> {
        let appended = self.reader.store.append(
            &self.reader.id,
            &self.frontier,
            entries,
            side_writes,
            |_, _| Ok(()),
        )?;
        let range = appended.first_index..appended.frontier.size();
        self.frontier = appended.frontier;
        Ok(range)
    }

    /// The latest checkpoint published by this log.
    pub fn latest(&self) -> Option<&SignedCheckpoint> {
        self.latest.as_ref()
    }

    /// Signs and durably stores a checkpoint for the current size. If one already exists at
    /// this size it is returned unchanged: a published checkpoint is never rewritten.
    pub fn publish_checkpoint(
        &mut self,
        signer: &NoteSigner,
        now: u64,
    ) -> Result<SignedCheckpoint, LedgerError> {
        let size = self.frontier.size();
        if let Some(cp) = &self.latest
            && cp.size() == size
        {
            return Ok(cp.clone());
        }
        let cp = SignedCheckpoint::sign(
            Checkpoint::new(&self.reader.origin, size, self.frontier.root()),
            &[signer],
        )?;
        let stored = self.reader.store.put_checkpoint_if_absent(
            &self.reader.id,
            size,
            &StoredCheckpoint {
                published_at: now,
                note: cp.note_bytes().to_vec(),
            },
        )?;
        let cp = SignedCheckpoint::from_trusted_bytes(&stored.note)?;
        if cp.root() != self.frontier.root() {
            return Err(LedgerError::CheckpointMismatch {
                size,
                checkpoint_root: cp.root(),
                tree_root: self.frontier.root(),
            });
        }
        self.latest = Some(cp.clone());
        Ok(cp)
    }

    /// RFC 6962 leaf hash of an entry, as used by [`LogReader::index_of`].
    pub fn leaf_hash(entry: &[u8]) -> Hash {
        leaf_hash(entry)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::proof::{verify_consistency, verify_inclusion};

    fn entry(i: u64) -> Vec<u8> {
        format!("entry {i}").into_bytes()
    }

    #[test]
    fn append_reopen_prove_and_never_rewrite_checkpoints() {
        let dir = tempfile::tempdir().unwrap();
        let signer = NoteSigner::generate("example.com/log").unwrap();
        let v = signer.verifier();
        let (cp1, cp2);
        {
            let store = Store::open(dir.path()).unwrap();
            let mut log = Log::open(store, "example.com/log").unwrap();
            let entries: Vec<Vec<u8>> = (0..1000).map(entry).collect();
            assert_eq!(log.append_batch(&entries[..600], &[]).unwrap(), 0..600);
            cp1 = log.publish_checkpoint(&signer, 1).unwrap();
            assert_eq!(log.append_batch(&entries[600..], &[]).unwrap(), 600..1000);
            cp2 = log.publish_checkpoint(&signer, 2).unwrap();
            // Publishing again at the same size returns the same bytes.
            let again = log.publish_checkpoint(&signer, 3).unwrap();
            assert_eq!(again.note_bytes(), cp2.note_bytes());
        }
        let store = Store::open(dir.path()).unwrap();
        let log = Log::open(store.clone(), "example.com/log").unwrap();
        assert_eq!(log.tree_size(), 1000);
        assert_eq!(log.root(), cp2.root());
        assert_eq!(
            log.latest_checkpoint().unwrap().unwrap().note_bytes(),
            cp2.note_bytes()
        );
        assert_eq!(log.checkpoint_published_at(1000).unwrap(), Some(2));
        assert_eq!(
            log.checkpoint_at(600).unwrap().unwrap().note_bytes(),
            cp1.note_bytes()
        );
        SignedCheckpoint::open(cp2.note_bytes(), &[&v]).unwrap();
        for i in [0u64, 1, 599, 600, 999] {
            let p = log.inclusion_proof(i, 1000).unwrap();
            verify_inclusion(&leaf_hash(&entry(i)), i, 1000, &p, &cp2.root()).unwrap();
            assert_eq!(log.leaf(i).unwrap(), entry(i));
            assert_eq!(log.index_of(&leaf_hash(&entry(i))).unwrap(), Some(i));
        }
        let c = log.consistency_proof(600, 1000).unwrap();
        verify_consistency(600, 1000, &cp1.root(), &cp2.root(), &c).unwrap();
        assert_eq!(
            log.leaves(10, 13).unwrap(),
            vec![entry(10), entry(11), entry(12)]
        );
        assert!(matches!(
            log.leaf(1000),
            Err(LedgerError::IndexOutOfRange { .. })
        ));
        assert!(matches!(
            log.inclusion_proof(0, 1001),
            Err(LedgerError::SizeOutOfRange { .. })
        ));
        assert_eq!(log.index_of(&leaf_hash(b"nope")).unwrap(), None);
    }

    #[test]
    fn witness_cosignatures_are_verified_and_served_with_the_checkpoint() {
        use crate::cosignature::CosignatureSigner;
        use crate::proof::ConsistencyProof;
        use crate::witness::Witness;
        let dir = tempfile::tempdir().unwrap();
        let wdir = tempfile::tempdir().unwrap();
        let signer = NoteSigner::generate("example.com/log").unwrap();
        let mut log = Log::open(Store::open(dir.path()).unwrap(), "example.com/log").unwrap();
        log.append_batch(&[b"a".to_vec(), b"b".to_vec()], &[])
            .unwrap();
        let cp = log.publish_checkpoint(&signer, 1).unwrap();
        let mut witness = Witness::new(
            Store::open(wdir.path()).unwrap(),
            CosignatureSigner::generate("witness.example/w").unwrap(),
        );
        witness.add_log("example.com/log", signer.verifier());
        let line = witness
            .add_checkpoint(0, &ConsistencyProof::default(), cp.note_bytes(), 77)
            .unwrap();
        assert_eq!(
            log.attach_cosignature(2, &line, &witness.verifier())
                .unwrap(),
            77
        );
        let other = CosignatureSigner::generate("witness.example/other").unwrap();
        assert!(matches!(
            log.attach_cosignature(2, &line, &other.verifier()),
            Err(LedgerError::Cosignature(_))
        ));
        assert!(matches!(
            log.attach_cosignature(1, &line, &witness.verifier()),
            Err(LedgerError::NoCheckpoint(1))
        ));
        let note = log.cosigned_checkpoint(2).unwrap().unwrap();
        let wv = witness.verifier();
        let lv = signer.verifier();
        let opened = crate::note::open(&note, &[&lv, &wv]).unwrap();
        assert_eq!(opened.verified.len(), 2);
    }

    #[test]
    fn side_writes_are_atomic_with_entries_and_checked() {
        let dir = tempfile::tempdir().unwrap();
        let opts = Store::db_options();
        let mut cfs = Store::column_family_descriptors();
        cfs.push(rocksdb::ColumnFamilyDescriptor::new(
            "node_permits",
            Store::cf_options(),
        ));
        let db =
            std::sync::Arc::new(rocksdb::DB::open_cf_descriptors(&opts, dir.path(), cfs).unwrap());
        let store = Store::from_db(db.clone()).unwrap();
        let mut log = Log::open(store, "example.com/log").unwrap();
        let w = SideWrite {
            cf: "node_permits".into(),
            key: b"permit-1".to_vec(),
            value: b"issued".to_vec(),
        };
        log.append_batch(&[b"e0".to_vec()], &[w]).unwrap();
        let cf = db.cf_handle("node_permits").unwrap();
        assert_eq!(
            db.get_cf(&cf, b"permit-1").unwrap(),
            Some(b"issued".to_vec())
        );
        // Unknown or ledger-owned column families are refused and nothing is written.
        let bad = SideWrite {
            cf: "nope".into(),
            key: vec![],
            value: vec![],
        };
        assert!(matches!(
            log.append_batch(&[b"e1".to_vec()], &[bad]),
            Err(LedgerError::UnknownColumnFamily(_))
        ));
        let own = SideWrite {
            cf: crate::store::CF_LEAVES.into(),
            key: vec![],
            value: vec![],
        };
        assert!(matches!(
            log.append_batch(&[b"e1".to_vec()], &[own]),
            Err(LedgerError::ProtectedColumnFamily(_))
        ));
        assert_eq!(log.tree_size(), 1);
        assert_eq!(log.size().unwrap(), 1);
        // A database without the ledger's column families is refused.
        let dir2 = tempfile::tempdir().unwrap();
        let plain = rocksdb::DB::open_default(dir2.path()).unwrap();
        assert!(matches!(
            Store::from_db(std::sync::Arc::new(plain)),
            Err(LedgerError::MissingColumnFamily(_))
        ));
    }

    #[test]
    fn a_stored_checkpoint_is_never_overwritten() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).unwrap();
        let id = LogId::for_origin("o");
        let first = StoredCheckpoint {
            published_at: 1,
            note: b"first".to_vec(),
        };
        let second = StoredCheckpoint {
            published_at: 2,
            note: b"second".to_vec(),
        };
        assert_eq!(
            store.put_checkpoint_if_absent(&id, 5, &first).unwrap(),
            first
        );
        assert_eq!(
            store.put_checkpoint_if_absent(&id, 5, &second).unwrap(),
            first
        );
        drop(store);
        let store = Store::open(dir.path()).unwrap();
        assert_eq!(store.checkpoint_at(&id, 5).unwrap(), Some(first));
    }

    /// The latest checkpoint is held in memory once read: a larger one stored later replaces
    /// it, an older one stored later (a replica filling in history) does not, and a second
    /// handle on the database agrees.
    #[test]
    fn the_latest_checkpoint_follows_what_is_stored() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).unwrap();
        let id = LogId::for_origin("o");
        let at = |n: u64| StoredCheckpoint {
            published_at: n,
            note: format!("checkpoint {n}").into_bytes(),
        };
        assert_eq!(store.latest_checkpoint(&id).unwrap(), None);
        store.put_checkpoint_if_absent(&id, 5, &at(5)).unwrap();
        assert_eq!(store.latest_checkpoint(&id).unwrap(), Some((5, at(5))));
        store.put_checkpoint_if_absent(&id, 9, &at(9)).unwrap();
        store.put_checkpoint_if_absent(&id, 7, &at(7)).unwrap();
        assert_eq!(store.latest_checkpoint(&id).unwrap(), Some((9, at(9))));
        let other = LogId::for_origin("p");
        assert_eq!(store.latest_checkpoint(&other).unwrap(), None);
        drop(store);
        let store = Store::open(dir.path()).unwrap();
        assert_eq!(store.latest_checkpoint(&id).unwrap(), Some((9, at(9))));
    }
    #[test]
    fn audit_finds_tampering_that_opening_cannot_see() {
        let dir = tempfile::tempdir().unwrap();
        let signer = NoteSigner::generate("o").unwrap();
        {
            let mut log = Log::open(Store::open(dir.path()).unwrap(), "o").unwrap();
            for chunk in (0..1000u64).collect::<Vec<_>>().chunks(100) {
                let entries: Vec<Vec<u8>> = chunk.iter().map(|i| entry(*i)).collect();
                log.append_batch(&entries, &[]).unwrap();
                log.publish_checkpoint(&signer, 0).unwrap();
            }
            let report = log.audit().unwrap();
            assert_eq!(report.entries, 1000);
            assert_eq!(report.checkpoints, 10);
            // Every complete subtree: 2n - popcount(n) hashes.
            assert_eq!(report.hashes, 2 * 1000 - u64::from(1000u32.count_ones()));
        }
        // Rewrite entry 3 behind the log's back: the frontier still matches, so the log opens,
        // but the audit notices.
        let store = Store::open(dir.path()).unwrap();
        let id = LogId::for_origin("o");
        let cf = store.db().cf_handle(crate::store::CF_LEAVES).unwrap();
        let mut k = id.0.to_vec();
        k.extend_from_slice(&3u64.to_be_bytes());
        store.db().put_cf(&cf, k, b"forged").unwrap();
        let log = Log::open(store, "o").unwrap();
        assert!(matches!(log.audit(), Err(LedgerError::Corrupt(_))));
    }

    #[test]
    fn oversized_entries_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        let mut log = Log::open(Store::open(dir.path()).unwrap(), "o").unwrap();
        let big = vec![0u8; 65536];
        assert!(matches!(
            log.append_batch(&[big], &[]),
            Err(LedgerError::EntryTooLarge { len: 65536, .. })
        ));
        log.append_batch(&[vec![0u8; 65535]], &[]).unwrap();
    }

    #[test]
    fn refuses_to_start_when_tree_disagrees_with_checkpoint() {
        let dir = tempfile::tempdir().unwrap();
        let signer = NoteSigner::generate("o").unwrap();
        {
            let mut log = Log::open(Store::open(dir.path()).unwrap(), "o").unwrap();
            log.append_batch(&[b"a".to_vec(), b"b".to_vec()], &[])
                .unwrap();
            log.publish_checkpoint(&signer, 1).unwrap();
        }
        // Tamper with a stored hash behind the log's back.
        {
            let store = Store::open(dir.path()).unwrap();
            let id = LogId::for_origin("o");
            let cf = store.db().cf_handle(crate::store::CF_HASHES).unwrap();
            let mut k = id.0.to_vec();
            k.push(1);
            k.extend_from_slice(&0u64.to_be_bytes());
            store.db().put_cf(&cf, k, [7u8; 32]).unwrap();
        }
        let err = Log::open(Store::open(dir.path()).unwrap(), "o").unwrap_err();
        assert!(
            matches!(err, LedgerError::CheckpointMismatch { size: 2, .. }),
            "{err}"
        );
    }

    #[test]
    fn two_logs_share_a_store_without_mixing() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).unwrap();
        let mut a = Log::open(store.clone(), "a.example/log").unwrap();
        let mut b = Log::open(store, "b.example/log").unwrap();
        a.append_batch(&[b"x".to_vec()], &[]).unwrap();
        b.append_batch(&[b"y".to_vec(), b"z".to_vec()], &[])
            .unwrap();
        assert_eq!(a.size().unwrap(), 1);
        assert_eq!(b.size().unwrap(), 2);
        assert_eq!(a.leaf(0).unwrap(), b"x");
        assert_eq!(b.leaf(0).unwrap(), b"y");
    }
}
