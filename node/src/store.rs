//! The node's one RocksDB: the ledger's column families plus the node's own, so an issued
//! permit's record and its log entry are written in one synced batch (a crash keeps both or
//! neither).

use std::path::Path;
use std::sync::Arc;

use anyhow::Context;
use credentials::Secured;
use rocksdb::{ColumnFamilyDescriptor, DB};
use serde::{Deserialize, Serialize};

/// Issued permits: key `PARTY/NUMBER`, value [`PermitRecord`] JSON.
pub const CF_PERMITS: &str = "node_permits";
/// Status lists: key `revocation` / `suspension` (bitstrings) and `#` + index (big-endian) for
/// each index taken.
pub const CF_STATUS: &str = "node_status";

/// Registry entries on this node's log: key = RFC 6962 leaf hash (to find them without scanning
/// the whole log on start).
pub const CF_REGISTRY: &str = "node_registry";

/// Registry entries found on replicated logs: key = origin, 0x00, index (big-endian); value =
/// the leaf.
pub const CF_REGISTRY_REPLICATED: &str = "node_registry_replicated";

/// Permit entries of replicated logs, so the importing side finds another Party's permit:
/// key = `PARTY/NUMBER`, 0x00, origin, 0x00, index (big-endian). Key 0x01 + origin holds how far
/// that replica has been indexed.
pub const CF_PERMIT_INDEX: &str = "node_permit_index";

/// What the database is: key `schema` = [`SCHEMA_VERSION`] (big-endian u32).
pub const CF_META: &str = "node_meta";

/// The layout this build reads and writes. A database of an older layout is migrated on open;
/// one of a newer layout is refused (it was written by a newer `cites-node`). Version 2: accounts
/// may keep a portal language, and supporting documents have their column family; version 1
/// reads as version 2 unchanged, but a version-1 binary could not read the new accounts.
pub const SCHEMA_VERSION: u32 = 2;

const NODE_COLUMN_FAMILIES: &[&str] = &[
    CF_META,
    CF_PERMITS,
    crate::users::CF_USERS,
    crate::users::CF_CREDENTIALS,
    crate::audit::CF_AUDIT,
    crate::audit::CF_EVENTS,
    crate::workflow::CF_APPLICATIONS,
    crate::oid4vci::CF_OFFERS,
    CF_STATUS,
    CF_REGISTRY,
    CF_REGISTRY_REPLICATED,
    CF_PERMIT_INDEX,
    crate::alerts::CF_ALERTS,
    crate::documents::CF_DOCUMENTS,
];

/// A column family of the node's database.
pub fn cf<'a>(store: &'a ledger::Store, name: &str) -> anyhow::Result<&'a rocksdb::ColumnFamily> {
    store
        .db()
        .cf_handle(name)
        .with_context(|| format!("missing column family {name}"))
}

/// The big-endian `u64` stored under `key` in column family `name`; 0 when there is none.
pub fn get_u64(store: &ledger::Store, name: &str, key: &[u8]) -> anyhow::Result<u64> {
    match store.db().get_cf(cf(store, name)?, key)? {
        Some(b) => Ok(u64::from_be_bytes(b.as_slice().try_into().map_err(
            |_| {
                anyhow::anyhow!(
                    "corrupt counter {:?} in {name}",
                    String::from_utf8_lossy(key)
                )
            },
        )?)),
        None => Ok(0),
    }
}

/// Whether opening the database failed because another process holds it: the node is
/// running. (RocksDB says `While lock file: .../LOCK: Resource temporarily unavailable`.)
pub fn is_locked(error: &anyhow::Error) -> bool {
    let text = format!("{error:#}");
    text.contains("lock file") && text.contains("/LOCK")
}

/// Indexes the permit entries a replica holds beyond what was indexed before (resumes after a
/// crash between replication and indexing).
pub fn index_replica(store: &ledger::Store, origin: &str) -> anyhow::Result<u64> {
    let cf = store
        .db()
        .cf_handle(CF_PERMIT_INDEX)
        .context("missing permit index column family")?;
    let mut mark_key = vec![1u8];
    mark_key.extend_from_slice(origin.as_bytes());
    let from = match store.db().get_cf(&cf, &mark_key)? {
        Some(b) => u64::from_be_bytes(
            b.try_into()
                .map_err(|_| anyhow::anyhow!("corrupt index mark"))?,
        ),
        None => 0,
    };
    let reader = ledger::LogReader::new(store.clone(), origin);
    let size = reader.size()?;
    let mut start = from;
    while start < size {
        let end = (start + 1000).min(size);
        let mut batch = rocksdb::WriteBatch::default();
        for (i, leaf) in reader.leaves(start, end)?.iter().enumerate() {
            if let Ok(entry) = contracts::LogEntry::decode(leaf) {
                let key = entry.event.permit();
                let mut k = format!("{}/{}", key.party, key.number).into_bytes();
                k.push(0);
                k.extend_from_slice(origin.as_bytes());
                k.push(0);
                k.extend_from_slice(&(start + i as u64).to_be_bytes());
                batch.put_cf(&cf, k, []);
            }
        }
        batch.put_cf(&cf, &mark_key, end.to_be_bytes());
        store.db().write(batch)?;
        start = end;
    }
    Ok(size - from)
}

/// The replicated log entries of a permit, in log order: (origin, index).
pub fn permit_entries(
    store: &ledger::Store,
    key: &contracts::PermitKey,
) -> anyhow::Result<Vec<(String, u64)>> {
    let cf = store
        .db()
        .cf_handle(CF_PERMIT_INDEX)
        .context("missing permit index column family")?;
    let mut prefix = permit_key(key);
    prefix.push(0);
    let mut out = Vec::new();
    for item in store.db().prefix_iterator_cf(&cf, &prefix) {
        let (k, _) = item?;
        if !k.starts_with(&prefix) {
            break;
        }
        let rest = &k[prefix.len()..];
        let split = rest
            .iter()
            .position(|b| *b == 0)
            .context("corrupt permit index key")?;
        let origin = String::from_utf8_lossy(&rest[..split]).into_owned();
        let index = u64::from_be_bytes(
            rest[split + 1..]
                .try_into()
                .map_err(|_| anyhow::anyhow!("corrupt permit index key"))?,
        );
        out.push((origin, index));
    }
    Ok(out)
}

/// Opens (creating) the node's database with every column family.
pub fn open(dir: &Path) -> anyhow::Result<ledger::Store> {
    std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    let opts = ledger::Store::db_options();
    let mut cfs = ledger::Store::column_family_descriptors();
    cfs.extend(
        NODE_COLUMN_FAMILIES
            .iter()
            .map(|n| ColumnFamilyDescriptor::new(*n, ledger::Store::cf_options())),
    );
    let db = DB::open_cf_descriptors(&opts, dir, cfs)
        .with_context(|| format!("cannot open the database in {}", dir.display()))?;
    check_schema(&db, dir)?;
    Ok(ledger::Store::from_db(Arc::new(db))?)
}

/// Records the schema version of a new database, refuses a newer one. Version 1 is the first
/// layout with a version; a database without one is either new or of that same layout (the
/// column families it adds are created empty on open), so both are stamped 1.
fn check_schema(db: &DB, dir: &Path) -> anyhow::Result<()> {
    let cf = db
        .cf_handle(CF_META)
        .context("missing meta column family")?;
    match db.get_cf(&cf, b"schema")? {
        Some(b) => {
            let version = u32::from_be_bytes(
                b.as_slice()
                    .try_into()
                    .map_err(|_| anyhow::anyhow!("corrupt schema version"))?,
            );
            if version > SCHEMA_VERSION {
                anyhow::bail!(
                    "the database in {} has schema version {version}, newer than this cites-node's {SCHEMA_VERSION}; run a newer cites-node",
                    dir.display()
                );
            }
            if version < SCHEMA_VERSION {
                // Every older layout reads as this one; stamping it keeps an older binary
                // from misreading what this one writes.
                let mut opts = rocksdb::WriteOptions::default();
                opts.set_sync(true);
                db.put_cf_opt(&cf, b"schema", SCHEMA_VERSION.to_be_bytes(), &opts)?;
                tracing::info!(
                    from = version,
                    to = SCHEMA_VERSION,
                    "database schema migrated"
                );
            }
        }
        None => {
            let mut opts = rocksdb::WriteOptions::default();
            opts.set_sync(true);
            db.put_cf_opt(&cf, b"schema", SCHEMA_VERSION.to_be_bytes(), &opts)?;
        }
    }
    Ok(())
}

/// What the node keeps of a permit it issued (home data: it never leaves the node except to
/// the holder and, encrypted, over EPIX).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PermitRecord {
    /// The permit as issued.
    pub permit: contracts::Permit,
    /// The holder's DID.
    pub holder: String,
    /// Salt of the commitment on the log (base64url).
    pub salt: String,
    /// The secured credential as handed to the holder.
    pub credential: Secured,
    /// Index of the permit's bits in the status lists.
    pub status_index: u64,
    /// SHA-256 of the issuance entry's leaf (RFC 6962 leaf hash), to find it in the log.
    pub leaf_hash: String,
    /// Its life since issuance, with quantities (the log has only commitments). Records
    /// written before lifecycles were kept have none: they were never changed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lifecycle: Option<contracts::Lifecycle>,
    /// The application it answers, when issued through the workflow.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub application: Option<String>,
}

impl PermitRecord {
    /// The permit's life so far.
    pub fn lifecycle(&self) -> contracts::Lifecycle {
        self.lifecycle
            .clone()
            .unwrap_or_else(|| contracts::Lifecycle::new(&self.permit))
    }
}

/// The write that stores a permit record.
pub fn put_permit(record: &PermitRecord) -> anyhow::Result<ledger::SideWrite> {
    Ok(ledger::SideWrite {
        cf: CF_PERMITS.into(),
        key: permit_key(&record.permit.key()),
        value: serde_json::to_vec(record)?,
    })
}

/// Every permit record of the node, in key order.
pub fn permits(store: &ledger::Store) -> anyhow::Result<Vec<PermitRecord>> {
    let mut out = Vec::new();
    for item in store
        .db()
        .iterator_cf(cf(store, CF_PERMITS)?, rocksdb::IteratorMode::Start)
    {
        let (_, v) = item?;
        out.push(serde_json::from_slice(&v).context("corrupt permit record")?);
    }
    Ok(out)
}

/// The record key of a permit.
pub fn permit_key(key: &contracts::PermitKey) -> Vec<u8> {
    format!("{}/{}", key.party, key.number).into_bytes()
}

/// Reads a permit record.
pub fn permit(
    store: &ledger::Store,
    key: &contracts::PermitKey,
) -> anyhow::Result<Option<PermitRecord>> {
    permit_bytes(store, key)?
        .map(|bytes| serde_json::from_slice(&bytes).context("corrupt permit record"))
        .transpose()
}

/// The stored bytes of a permit record.
fn permit_bytes<'a>(
    store: &'a ledger::Store,
    key: &contracts::PermitKey,
) -> anyhow::Result<Option<rocksdb::DBPinnableSlice<'a>>> {
    Ok(store
        .db()
        .get_pinned_cf(cf(store, CF_PERMITS)?, permit_key(key))?)
}

/// What a verification asks of a permit record: where its issuance entry is and its life so
/// far. Reading only these skips decoding the permit and the credential, most of a record and
/// three quarters of the time it took to read one.
#[derive(Debug, Clone, PartialEq)]
pub struct PermitFacts {
    /// As [`PermitRecord::leaf_hash`].
    pub leaf_hash: String,
    /// As [`PermitRecord::lifecycle`].
    pub lifecycle: contracts::Lifecycle,
}

/// Reads the [`PermitFacts`] of a permit record.
pub fn permit_facts(
    store: &ledger::Store,
    key: &contracts::PermitKey,
) -> anyhow::Result<Option<PermitFacts>> {
    #[derive(Deserialize)]
    struct Stored {
        leaf_hash: String,
        lifecycle: Option<contracts::Lifecycle>,
    }
    let Some(bytes) = permit_bytes(store, key)? else {
        return Ok(None);
    };
    let stored: Stored = serde_json::from_slice(&bytes).context("corrupt permit record")?;
    let lifecycle = match stored.lifecycle {
        Some(l) => l,
        // Written before lifecycles were kept: built from the permit, as `lifecycle()` does.
        None => serde_json::from_slice::<PermitRecord>(&bytes)
            .context("corrupt permit record")?
            .lifecycle(),
    };
    Ok(Some(PermitFacts {
        leaf_hash: stored.leaf_hash,
        lifecycle,
    }))
}

/// Reads a value of the status column family.
pub fn status_value(store: &ledger::Store, key: &str) -> anyhow::Result<Option<Vec<u8>>> {
    let cf = store
        .db()
        .cf_handle(CF_STATUS)
        .context("missing status column family")?;
    Ok(store.db().get_cf(&cf, key.as_bytes())?)
}
