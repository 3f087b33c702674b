//! The anchor log of a CITES node: an RFC 6962 Merkle tree of opaque entries, stored in
//! RocksDB, published as C2SP checkpoints, cosigned by witnesses and served as C2SP tiles.
//!
//! The crate knows nothing of permits: a leaf is bytes. It owns no async runtime and no
//! network; the node wires it to HTTP and libp2p.
//!
//! See `README.md` for why the note and tile formats are implemented here rather than taken
//! from Cloudflare's `signed_note` / `tlog_tiles` crates.

pub mod checkpoint;
pub mod cosignature;
pub mod error;
pub mod hash;
pub mod log;
pub mod note;
pub mod offline;
pub mod proof;
pub mod replica;
pub mod sequencer;
pub mod store;
pub mod tile;
pub mod witness;

pub use checkpoint::{Checkpoint, CheckpointError, SignedCheckpoint};
pub use cosignature::{Cosignature, CosignatureError, CosignatureSigner, CosignatureVerifier};
pub use error::LedgerError;
pub use hash::{Hash, leaf_hash, node_hash};
pub use log::{AuditReport, Log, LogReader};
pub use note::{NoteError, NoteSigner, NoteVerifier, NoteVerify, OpenedNote};
pub use offline::{LogTrust, OfflineError, VerifiedInclusion, verify_entry};
pub use proof::{
    ConsistencyProof, HashReader, InclusionProof, ProofError, verify_consistency, verify_inclusion,
};
pub use replica::{CheckpointUpdate, Replica, ReplicaError};
pub use sequencer::{Ack, AppendReceipt, CheckpointHook, Sequencer, SequencerConfig};
pub use store::{
    COLUMN_FAMILIES, Evidence, LogId, MAX_ENTRY_SIZE, SideWrite, Store, StoredCheckpoint,
    WitnessRecord,
};
pub use tile::{TileError, TileKind, TileRequest};
pub use witness::{Witness, WitnessError};
