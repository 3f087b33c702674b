//! RocksDB storage shared by the node's own log, its replicas of other logs and its witness.
//!
//! Everything is keyed by a [`LogId`] derived from the log's origin, so one code path serves
//! every log. Subtree hashes are stored for every complete subtree as (level, index), which
//! makes proofs and tiles a few point reads and keeps the writer's memory at O(log n).
//! Appends, their side writes and the tree-size record go in one synced `WriteBatch`: after a
//! crash either all of a batch is there or none of it.

use std::collections::HashMap;
use std::path::Path;
use std::sync::{Arc, RwLock};

use rocksdb::{
    AsColumnFamilyRef, BlockBasedOptions, ColumnFamilyDescriptor, DB, DBCompressionType, Direction,
    IteratorMode, Options, WriteBatch, WriteOptions,
};

use crate::error::LedgerError;
use crate::hash::{Hash, leaf_hash, sha256};
use crate::proof::{Frontier, HashReader, NodeId, ProofError};

/// Small facts per log: tree size, origin.
pub const CF_META: &str = "ledger_meta";
/// Entries by (log, index).
pub const CF_LEAVES: &str = "ledger_leaves";
/// Complete subtree hashes by (log, level, index).
pub const CF_HASHES: &str = "ledger_hashes";
/// (log, leaf hash, index), to find an entry by its hash.
pub const CF_LEAF_INDEX: &str = "ledger_leaf_index";
/// Signed checkpoints by (log, size); never overwritten.
pub const CF_CHECKPOINTS: &str = "ledger_checkpoints";
/// Cosignature lines by (log, size, cosigner).
pub const CF_COSIGNATURES: &str = "ledger_cosignatures";
/// The witness's latest cosigned checkpoint per log.
pub const CF_WITNESS: &str = "ledger_witness";
/// Evidence of equivocation: pairs of conflicting signed checkpoints.
pub const CF_EVIDENCE: &str = "ledger_evidence";

/// The column families the ledger needs. A node that opens the database itself must
/// include these (with [`Store::cf_options`]) next to its own.
pub const COLUMN_FAMILIES: &[&str] = &[
    CF_META,
    CF_LEAVES,
    CF_HASHES,
    CF_LEAF_INDEX,
    CF_CHECKPOINTS,
    CF_COSIGNATURES,
    CF_WITNESS,
    CF_EVIDENCE,
];

/// Largest entry accepted: entry bundles length-prefix entries with a big-endian u16.
pub const MAX_ENTRY_SIZE: usize = u16::MAX as usize;

/// Storage key prefix of one log, derived from its origin.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub struct LogId(pub [u8; 16]);

impl LogId {
    /// First 16 bytes of SHA-256("cites-ledger/log-id\n" || origin).
    pub fn for_origin(origin: &str) -> Self {
        let mut data = b"cites-ledger/log-id\n".to_vec();
        data.extend_from_slice(origin.as_bytes());
        let h = sha256(&data);
        let mut id = [0u8; 16];
        id.copy_from_slice(&h.0[..16]);
        LogId(id)
    }
}

/// A write into another column family of the same database, committed atomically with the
/// entries it accompanies (e.g. the node's permit state next to the log entry that records it).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SideWrite {
    pub cf: String,
    pub key: Vec<u8>,
    pub value: Vec<u8>,
}

/// A checkpoint as stored: the signed note and when it was published (POSIX seconds).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StoredCheckpoint {
    pub published_at: u64,
    pub note: Vec<u8>,
}

/// Evidence that a log signed two inconsistent checkpoints.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Evidence {
    pub origin: String,
    /// When it was detected (POSIX seconds).
    pub detected_at: u64,
    /// The checkpoint held before, as signed.
    pub held: Vec<u8>,
    /// The conflicting checkpoint, as signed.
    pub conflicting: Vec<u8>,
    pub reason: String,
}

impl Evidence {
    fn encode(&self) -> Vec<u8> {
        let mut out = Vec::new();
        out.extend_from_slice(&self.detected_at.to_be_bytes());
        for field in [
            self.origin.as_bytes(),
            &self.held,
            &self.conflicting,
            self.reason.as_bytes(),
        ] {
            out.extend_from_slice(&(field.len() as u64).to_be_bytes());
            out.extend_from_slice(field);
        }
        out
    }

    fn decode(bytes: &[u8]) -> Result<Self, LedgerError> {
        let corrupt = || LedgerError::Corrupt("malformed evidence record".into());
        let mut r = Reader(bytes);
        let detected_at = r.u64().ok_or_else(corrupt)?;
        let mut field = || -> Result<Vec<u8>, LedgerError> {
            let len = usize::try_from(r.u64().ok_or_else(corrupt)?).map_err(|_| corrupt())?;
            r.take(len).map(<[u8]>::to_vec).ok_or_else(corrupt)
        };
        let origin = String::from_utf8(field()?).map_err(|_| corrupt())?;
        let held = field()?;
        let conflicting = field()?;
        let reason = String::from_utf8(field()?).map_err(|_| corrupt())?;
        Ok(Evidence {
            origin,
            detected_at,
            held,
            conflicting,
            reason,
        })
    }
}

struct Reader<'a>(&'a [u8]);

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Option<&'a [u8]> {
        if self.0.len() < n {
            return None;
        }
        let (a, b) = self.0.split_at(n);
        self.0 = b;
        Some(a)
    }

    fn u64(&mut self) -> Option<u64> {
        let b = self.take(8)?;
        let mut a = [0u8; 8];
        a.copy_from_slice(b);
        Some(u64::from_be_bytes(a))
    }
}

pub(crate) fn be_u64(bytes: &[u8]) -> Option<u64> {
    Reader(bytes).u64()
}

/// The witness's record for one log: the latest checkpoint it cosigned.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WitnessRecord {
    pub size: u64,
    pub root: Hash,
    pub note: Vec<u8>,
}

/// Handle on the database; cheap to clone and shareable between threads.
#[derive(Clone)]
pub struct Store {
    db: Arc<DB>,
    /// Each log's latest checkpoint, written through by [`Store::put_checkpoint_if_absent`]
    /// (the only writer of checkpoints, which are never deleted): every verification and
    /// issuance reads it, and a reverse seek over the checkpoints took 2-3% of one.
    latest: Arc<RwLock<HashMap<LogId, (u64, StoredCheckpoint)>>>,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store")
            .field("path", &self.db.path())
            .finish()
    }
}

/// The error of a thread that panicked holding the latest checkpoints.
fn poisoned() -> LedgerError {
    LedgerError::Corrupt("checkpoint cache lock poisoned".into())
}

fn key(log: &LogId, parts: &[&[u8]]) -> Vec<u8> {
    let mut k = Vec::with_capacity(16 + parts.iter().map(|p| p.len()).sum::<usize>());
    k.extend_from_slice(&log.0);
    for p in parts {
        k.extend_from_slice(p);
    }
    k
}

fn hash_key(log: &LogId, id: NodeId) -> Vec<u8> {
    key(log, &[&[id.level], &id.index.to_be_bytes()])
}

fn size_key(log: &LogId) -> Vec<u8> {
    key(log, &[b"size"])
}

fn origin_key(log: &LogId) -> Vec<u8> {
    key(log, &[b"origin"])
}

fn synced() -> WriteOptions {
    let mut w = WriteOptions::default();
    w.set_sync(true);
    w
}

/// What [`Store::append`] did.
pub(crate) struct Appended {
    pub frontier: Frontier,
    pub first_index: u64,
}

impl Store {
    /// Database options the ledger expects (compression that is compiled in, create missing
    /// column families).
    pub fn db_options() -> Options {
        let mut o = Self::cf_options();
        o.create_if_missing(true);
        o.create_missing_column_families(true);
        o.increase_parallelism(2);
        // Memtables dominate the process's memory under sustained appends; one budget for all
        // column families keeps a node at a predictable size (the log itself holds O(log n)).
        o.set_db_write_buffer_size(64 << 20);
        o
    }

    /// Options for each of the ledger's column families.
    pub fn cf_options() -> Options {
        let mut o = Options::default();
        // L0 and the base level (the level L0 is merged into: RocksDB sizes levels
        // dynamically, so that is the last level while a database is under 256 MB, and
        // about a tenth of the data above) are written uncompressed, the levels below LZ4,
        // as RocksDB's tuning guide advises: LZ4 on every flush and first compaction was a
        // twentieth of the node's CPU under issuance load, for data that is rewritten soon.
        let mut levels = [DBCompressionType::Lz4; 7];
        levels[0] = DBCompressionType::None;
        levels[1] = DBCompressionType::None;
        o.set_compression_per_level(&levels);
        // Point look-ups (is this permit number taken? where is this leaf?) mostly miss or
        // hit one file: a bloom filter answers for the files that cannot hold the key.
        let mut table = BlockBasedOptions::default();
        table.set_bloom_filter(10.0, false);
        o.set_block_based_table_factory(&table);
        o.set_write_buffer_size(16 << 20);
        o
    }

    /// Descriptors for the ledger's column families, for a node opening a shared database.
    pub fn column_family_descriptors() -> Vec<ColumnFamilyDescriptor> {
        COLUMN_FAMILIES
            .iter()
            .map(|n| ColumnFamilyDescriptor::new(*n, Self::cf_options()))
            .collect()
    }

    /// Opens (creating if needed) a database at `path` with the ledger's column families,
    /// plus any other column families it already has.
    pub fn open(path: impl AsRef<Path>) -> Result<Self, LedgerError> {
        let path = path.as_ref();
        let opts = Self::db_options();
        let mut names: Vec<String> = DB::list_cf(&opts, path).unwrap_or_default();
        for n in COLUMN_FAMILIES {
            if !names.iter().any(|x| x == n) {
                names.push((*n).to_owned());
            }
        }
        let cfs = names
            .iter()
            .map(|n| ColumnFamilyDescriptor::new(n, Self::cf_options()));
        let db = DB::open_cf_descriptors(&opts, path, cfs)?;
        Self::from_db(Arc::new(db))
    }

    /// Uses a database the caller opened; it must include [`COLUMN_FAMILIES`]. Make one `Store`
    /// per database and clone it: each one made here holds its own latest checkpoints.
    pub fn from_db(db: Arc<DB>) -> Result<Self, LedgerError> {
        for n in COLUMN_FAMILIES {
            if db.cf_handle(n).is_none() {
                return Err(LedgerError::MissingColumnFamily((*n).to_owned()));
            }
        }
        Ok(Store {
            db,
            latest: Arc::default(),
        })
    }

    pub fn db(&self) -> &Arc<DB> {
        &self.db
    }

    fn cf(&self, name: &str) -> Result<impl AsColumnFamilyRef + '_, LedgerError> {
        self.db
            .cf_handle(name)
            .ok_or_else(|| LedgerError::MissingColumnFamily(name.to_owned()))
    }

    fn get(&self, cf: &str, k: &[u8]) -> Result<Option<Vec<u8>>, LedgerError> {
        let h = self.cf(cf)?;
        Ok(self.db.get_cf(&h, k)?)
    }

    fn put_synced(&self, cf: &str, k: &[u8], v: &[u8]) -> Result<(), LedgerError> {
        let h = self.cf(cf)?;
        Ok(self.db.put_cf_opt(&h, k, v, &synced())?)
    }

    /// Number of leaves stored for `log`.
    pub fn tree_size(&self, log: &LogId) -> Result<u64, LedgerError> {
        match self.get(CF_META, &size_key(log))? {
            None => Ok(0),
            Some(v) => be_u64(&v)
                .filter(|_| v.len() == 8)
                .ok_or_else(|| LedgerError::Corrupt("tree size record is not 8 bytes".into())),
        }
    }

    /// The origin recorded for `log`, if any leaf or checkpoint was ever stored.
    pub fn origin(&self, log: &LogId) -> Result<Option<String>, LedgerError> {
        self.get(CF_META, &origin_key(log))?
            .map(|v| {
                String::from_utf8(v).map_err(|_| LedgerError::Corrupt("origin is not UTF-8".into()))
            })
            .transpose()
    }

    /// Records the origin for `log`, or checks it against the one recorded.
    pub(crate) fn claim_origin(&self, log: &LogId, origin: &str) -> Result<(), LedgerError> {
        match self.origin(log)? {
            Some(stored) if stored == origin => Ok(()),
            Some(stored) => Err(LedgerError::OriginMismatch {
                stored,
                requested: origin.to_owned(),
            }),
            None => self.put_synced(CF_META, &origin_key(log), origin.as_bytes()),
        }
    }

    /// Reads stored subtree hashes.
    pub fn read_hashes(&self, log: &LogId, ids: &[NodeId]) -> Result<Vec<Hash>, LedgerError> {
        let h = self.cf(CF_HASHES)?;
        let keys: Vec<Vec<u8>> = ids.iter().map(|id| hash_key(log, *id)).collect();
        let values = self
            .db
            .multi_get_cf(keys.iter().map(|k| (&h, k.as_slice())));
        ids.iter()
            .zip(values)
            .map(|(id, v)| match v? {
                Some(bytes) => Hash::from_slice(&bytes).map_err(|_| {
                    LedgerError::Corrupt(format!(
                        "hash at level {} index {} is {} bytes",
                        id.level,
                        id.index,
                        bytes.len()
                    ))
                }),
                None => Err(LedgerError::Proof(ProofError::MissingHash {
                    level: id.level,
                    index: id.index,
                })),
            })
            .collect()
    }

    /// A [`HashReader`] over one log's stored hashes.
    pub fn hash_reader(&self, log: LogId) -> StoredHashes<'_> {
        StoredHashes { store: self, log }
    }

    pub fn leaf(&self, log: &LogId, index: u64) -> Result<Option<Vec<u8>>, LedgerError> {
        self.get(CF_LEAVES, &key(log, &[&index.to_be_bytes()]))
    }

    /// Leaves `[start, end)`; fails if one is missing.
    pub fn leaves(&self, log: &LogId, start: u64, end: u64) -> Result<Vec<Vec<u8>>, LedgerError> {
        let h = self.cf(CF_LEAVES)?;
        let from = key(log, &[&start.to_be_bytes()]);
        let mut out = Vec::with_capacity(usize::try_from(end.saturating_sub(start)).unwrap_or(0));
        let mut expected = start;
        for item in self
            .db
            .iterator_cf(&h, IteratorMode::From(&from, Direction::Forward))
        {
            if expected >= end {
                break;
            }
            let (k, v) = item?;
            if k.len() != 24 || k[..16] != log.0 || be_u64(&k[16..]) != Some(expected) {
                return Err(LedgerError::Corrupt(format!("leaf {expected} is missing")));
            }
            out.push(v.into_vec());
            expected += 1;
        }
        if expected < end {
            return Err(LedgerError::Corrupt(format!("leaf {expected} is missing")));
        }
        Ok(out)
    }

    /// Smallest index whose leaf hash is `hash`.
    pub fn index_of(&self, log: &LogId, hash: &Hash) -> Result<Option<u64>, LedgerError> {
        let h = self.cf(CF_LEAF_INDEX)?;
        let prefix = key(log, &[&hash.0]);
        let mut it = self
            .db
            .iterator_cf(&h, IteratorMode::From(&prefix, Direction::Forward));
        match it.next() {
            Some(item) => {
                let (k, _) = item?;
                if k.len() == prefix.len() + 8 && k.starts_with(&prefix) {
                    Ok(be_u64(&k[prefix.len()..]))
                } else {
                    Ok(None)
                }
            }
            None => Ok(None),
        }
    }

    /// Appends entries after the tree described by `frontier`, in one synced batch together
    /// with `side_writes` and `extra` writes. Returns the new frontier only once durable.
    pub(crate) fn append<E: AsRef<[u8]>>(
        &self,
        log: &LogId,
        frontier: &Frontier,
        entries: &[E],
        side_writes: &[SideWrite],
        extra: impl FnOnce(&mut WriteBatch, &Self) -> Result<(), LedgerError>,
    ) -> Result<Appended, LedgerError> {
        for e in entries {
            if e.as_ref().len() > MAX_ENTRY_SIZE {
                return Err(LedgerError::EntryTooLarge {
                    len: e.as_ref().len(),
                    max: MAX_ENTRY_SIZE,
                });
            }
        }
        let leaves = self.cf(CF_LEAVES)?;
        let hashes = self.cf(CF_HASHES)?;
        let index = self.cf(CF_LEAF_INDEX)?;
        let meta = self.cf(CF_META)?;
        let mut batch = WriteBatch::default();
        for w in side_writes {
            if COLUMN_FAMILIES.contains(&w.cf.as_str()) {
                return Err(LedgerError::ProtectedColumnFamily(w.cf.clone()));
            }
            let h = self
                .db
                .cf_handle(&w.cf)
                .ok_or_else(|| LedgerError::UnknownColumnFamily(w.cf.clone()))?;
            batch.put_cf(&h, &w.key, &w.value);
        }
        let mut next = frontier.clone();
        let first_index = next.size();
        for e in entries {
            let e = e.as_ref();
            let i = next.size();
            let lh = leaf_hash(e);
            batch.put_cf(&leaves, key(log, &[&i.to_be_bytes()]), e);
            batch.put_cf(&index, key(log, &[&lh.0, &i.to_be_bytes()]), b"");
            next.push(lh, |id, h| batch.put_cf(&hashes, hash_key(log, id), h.0));
        }
        batch.put_cf(&meta, size_key(log), next.size().to_be_bytes());
        extra(&mut batch, self)?;
        self.db.write_opt(batch, &synced())?;
        Ok(Appended {
            frontier: next,
            first_index,
        })
    }

    pub fn checkpoint_at(
        &self,
        log: &LogId,
        size: u64,
    ) -> Result<Option<StoredCheckpoint>, LedgerError> {
        self.get(CF_CHECKPOINTS, &key(log, &[&size.to_be_bytes()]))?
            .map(|v| decode_checkpoint(&v))
            .transpose()
    }

    /// The stored checkpoint of the largest size.
    pub fn latest_checkpoint(
        &self,
        log: &LogId,
    ) -> Result<Option<(u64, StoredCheckpoint)>, LedgerError> {
        if let Some(held) = self.latest.read().map_err(|_| poisoned())?.get(log) {
            return Ok(Some(held.clone()));
        }
        // Read under the lock: a checkpoint stored meanwhile then either finds this one held
        // (and replaces it) or is what the read finds.
        let mut held = self.latest.write().map_err(|_| poisoned())?;
        if let Some(latest) = held.get(log) {
            return Ok(Some(latest.clone()));
        }
        let stored = self.read_latest_checkpoint(log)?;
        if let Some(latest) = &stored {
            held.insert(*log, latest.clone());
        }
        Ok(stored)
    }

    fn read_latest_checkpoint(
        &self,
        log: &LogId,
    ) -> Result<Option<(u64, StoredCheckpoint)>, LedgerError> {
        let h = self.cf(CF_CHECKPOINTS)?;
        let upper = key(log, &[&u64::MAX.to_be_bytes()]);
        let mut it = self
            .db
            .iterator_cf(&h, IteratorMode::From(&upper, Direction::Reverse));
        match it.next() {
            Some(item) => {
                let (k, v) = item?;
                if k.len() != 24 || k[..16] != log.0 {
                    return Ok(None);
                }
                let size = be_u64(&k[16..])
                    .ok_or_else(|| LedgerError::Corrupt("checkpoint key".into()))?;
                Ok(Some((size, decode_checkpoint(&v)?)))
            }
            None => Ok(None),
        }
    }

    /// Sizes of all checkpoints stored for `log`, ascending.
    pub fn checkpoint_sizes(&self, log: &LogId) -> Result<Vec<u64>, LedgerError> {
        let h = self.cf(CF_CHECKPOINTS)?;
        let mut out = Vec::new();
        for item in self
            .db
            .iterator_cf(&h, IteratorMode::From(&log.0, Direction::Forward))
        {
            let (k, _) = item?;
            if !k.starts_with(&log.0) {
                break;
            }
            out.push(
                be_u64(&k[16..]).ok_or_else(|| LedgerError::Corrupt("checkpoint key".into()))?,
            );
        }
        Ok(out)
    }

    /// Stores a checkpoint unless one is already stored at that size; returns the one that
    /// is stored afterwards (a published checkpoint is never rewritten).
    pub(crate) fn put_checkpoint_if_absent(
        &self,
        log: &LogId,
        size: u64,
        cp: &StoredCheckpoint,
    ) -> Result<StoredCheckpoint, LedgerError> {
        let stored = match self.checkpoint_at(log, size)? {
            Some(existing) => existing,
            None => {
                let mut v = cp.published_at.to_be_bytes().to_vec();
                v.extend_from_slice(&cp.note);
                self.put_synced(CF_CHECKPOINTS, &key(log, &[&size.to_be_bytes()]), &v)?;
                cp.clone()
            }
        };
        // Raised in both cases: another writer may have stored this size a moment ago. A log
        // not held yet is read from the database when it is first asked for.
        let mut held = self.latest.write().map_err(|_| poisoned())?;
        if let Some(latest) = held.get_mut(log).filter(|(held, _)| *held < size) {
            *latest = (size, stored.clone());
        }
        Ok(stored)
    }

    /// Attaches a cosignature line to the checkpoint of `size` (one per cosigner key).
    pub fn put_cosignature(
        &self,
        log: &LogId,
        size: u64,
        cosigner: &str,
        key_id: u32,
        line: &str,
    ) -> Result<(), LedgerError> {
        let k = key(
            log,
            &[
                &size.to_be_bytes(),
                cosigner.as_bytes(),
                &[0],
                &key_id.to_be_bytes(),
            ],
        );
        self.put_synced(CF_COSIGNATURES, &k, line.as_bytes())
    }

    /// Cosignature lines attached to the checkpoint of `size`.
    pub fn cosignatures(&self, log: &LogId, size: u64) -> Result<Vec<String>, LedgerError> {
        let h = self.cf(CF_COSIGNATURES)?;
        let prefix = key(log, &[&size.to_be_bytes()]);
        let mut out = Vec::new();
        for item in self
            .db
            .iterator_cf(&h, IteratorMode::From(&prefix, Direction::Forward))
        {
            let (k, v) = item?;
            if !k.starts_with(&prefix) {
                break;
            }
            out.push(
                String::from_utf8(v.into_vec())
                    .map_err(|_| LedgerError::Corrupt("cosignature is not UTF-8".into()))?,
            );
        }
        Ok(out)
    }

    pub fn witness_record(&self, log: &LogId) -> Result<Option<WitnessRecord>, LedgerError> {
        let Some(v) = self.get(CF_WITNESS, &log.0)? else {
            return Ok(None);
        };
        let corrupt = || LedgerError::Corrupt("malformed witness record".into());
        let mut r = Reader(&v);
        let size = r.u64().ok_or_else(corrupt)?;
        let root = Hash::from_slice(r.take(32).ok_or_else(corrupt)?).map_err(|_| corrupt())?;
        Ok(Some(WitnessRecord {
            size,
            root,
            note: r.0.to_vec(),
        }))
    }

    /// Durably replaces the witness record of `log`.
    pub(crate) fn put_witness_record(
        &self,
        log: &LogId,
        rec: &WitnessRecord,
    ) -> Result<(), LedgerError> {
        let mut v = rec.size.to_be_bytes().to_vec();
        v.extend_from_slice(&rec.root.0);
        v.extend_from_slice(&rec.note);
        self.put_synced(CF_WITNESS, &log.0, &v)
    }

    /// Durably records equivocation evidence (idempotent for the same pair).
    pub fn put_evidence(&self, log: &LogId, ev: &Evidence) -> Result<(), LedgerError> {
        let mut pair = ev.held.clone();
        pair.extend_from_slice(&ev.conflicting);
        let digest = sha256(&pair);
        let k = key(log, &[&digest.0[..16]]);
        self.put_synced(CF_EVIDENCE, &k, &ev.encode())
    }

    /// All evidence recorded against `log`.
    pub fn evidence(&self, log: &LogId) -> Result<Vec<Evidence>, LedgerError> {
        let h = self.cf(CF_EVIDENCE)?;
        let mut out = Vec::new();
        for item in self
            .db
            .iterator_cf(&h, IteratorMode::From(&log.0, Direction::Forward))
        {
            let (k, v) = item?;
            if !k.starts_with(&log.0) {
                break;
            }
            out.push(Evidence::decode(&v)?);
        }
        out.sort_by_key(|e| e.detected_at);
        Ok(out)
    }
}

fn decode_checkpoint(v: &[u8]) -> Result<StoredCheckpoint, LedgerError> {
    let published_at =
        be_u64(v).ok_or_else(|| LedgerError::Corrupt("checkpoint record is too short".into()))?;
    Ok(StoredCheckpoint {
        published_at,
        note: v[8..].to_vec(),
    })
}

/// [`HashReader`] over the hashes of one log in a [`Store`].
pub struct StoredHashes<'a> {
    store: &'a Store,
    log: LogId,
}

impl HashReader for StoredHashes<'_> {
    fn read_hashes(&self, nodes: &[NodeId]) -> Result<Vec<Hash>, ProofError> {
        self.store
            .read_hashes(&self.log, nodes)
            .map_err(|e| match e {
                LedgerError::Proof(p) => p,
                other => ProofError::Storage(Box::new(other)),
            })
    }
}
