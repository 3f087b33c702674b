//! The error type of the stored log, the sequencer and the store.

use crate::checkpoint::CheckpointError;
use crate::cosignature::CosignatureError;
use crate::hash::Hash;
use crate::note::NoteError;
use crate::proof::ProofError;

/// Errors of the stored log. Callers branch on the variant (e.g. `IndexOutOfRange` is a
/// 404, `Storage` a 500), so each failure has its own.
#[derive(Debug, thiserror::Error)]
pub enum LedgerError {
    #[error("storage: {0}")]
    Storage(#[from] rocksdb::Error),
    #[error("the database lacks column family {0:?} (open it with ledger::COLUMN_FAMILIES)")]
    MissingColumnFamily(String),
    #[error("side write targets unknown column family {0:?}")]
    UnknownColumnFamily(String),
    #[error("side write targets the ledger's own column family {0:?}")]
    ProtectedColumnFamily(String),
    #[error("corrupt store: {0}")]
    Corrupt(String),
    #[error("entry of {len} bytes exceeds the {max}-byte limit of tlog-tiles entry bundles")]
    EntryTooLarge { len: usize, max: usize },
    #[error("leaf index {index} is not below tree size {size}")]
    IndexOutOfRange { index: u64, size: u64 },
    #[error("tree size {requested} is beyond the current tree size {size}")]
    SizeOutOfRange { requested: u64, size: u64 },
    #[error(
        "stored checkpoint at size {size} has root {checkpoint_root}, but the stored tree gives \
         {tree_root}; refusing to start"
    )]
    CheckpointMismatch {
        size: u64,
        checkpoint_root: Hash,
        tree_root: Hash,
    },
    #[error(
        "stored checkpoint at size {checkpoint_size} is beyond the stored tree of {tree_size} \
         leaves (entries were lost); refusing to start"
    )]
    CheckpointBeyondTree {
        checkpoint_size: u64,
        tree_size: u64,
    },
    #[error("store holds log {stored:?} under the id derived from {requested:?}")]
    OriginMismatch { stored: String, requested: String },
    #[error("proof: {0}")]
    Proof(#[from] ProofError),
    #[error("note: {0}")]
    Note(#[from] NoteError),
    #[error("checkpoint: {0}")]
    Checkpoint(#[from] CheckpointError),
    #[error("tile {path} needs leaves beyond the tree of size {tree_size}")]
    TileBeyondTree { path: String, tree_size: u64 },
    #[error("no checkpoint is published at size {0}")]
    NoCheckpoint(u64),
    #[error("cosignature: {0}")]
    Cosignature(#[from] CosignatureError),
    #[error("the sequencer has stopped")]
    SequencerStopped,
    #[error("appending the batch failed: {0}")]
    BatchFailed(String),
    #[error("timed out waiting for a checkpoint of size {0} or more")]
    Timeout(u64),
}
