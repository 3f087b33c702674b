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
#[cfg(feature = "store")]
pub mod error;
pub mod hash;
#[cfg(feature = "store")]
pub mod log;
pub mod note;
pub mod offline;
pub mod proof;
#[cfg(feature = "store")]
pub mod replica;
#[cfg(feature = "store")]
pub mod sequencer;
#[cfg(feature = "store")]
pub mod store;
#[cfg(feature = "store")]
pub mod tile;
#[cfg(feature = "store")]
pub mod witness;

pub use checkpoint::{Checkpoint, CheckpointError, SignedCheckpoint};
pub use cosignature::{Cosignature, CosignatureError, CosignatureSigner, CosignatureVerifier};
#[cfg(feature = "store")]
pub use error::LedgerError;
pub use hash::{Hash, leaf_hash, node_hash};
#[cfg(feature = "store")]
pub use log::{AuditReport, Log, LogReader};
pub use note::{NoteError, NoteSigner, NoteVerifier, NoteVerify, OpenedNote};
pub use offline::{LogTrust, OfflineError, VerifiedInclusion, verify_entry};
pub use proof::{
    ConsistencyProof, HashReader, InclusionProof, ProofError, verify_consistency, verify_inclusion,
};
#[cfg(feature = "store")]
pub use replica::{CheckpointUpdate, Replica, ReplicaError};
#[cfg(feature = "store")]
pub use sequencer::{Ack, AppendReceipt, CheckpointHook, Sequencer, SequencerConfig};
#[cfg(feature = "store")]
pub use store::{
    COLUMN_FAMILIES, Evidence, LogId, MAX_ENTRY_SIZE, SideWrite, Store, StoredCheckpoint,
    WitnessRecord,
};
#[cfg(feature = "store")]
pub use tile::{TileError, TileKind, TileRequest};
#[cfg(feature = "store")]
pub use witness::{Witness, WitnessError};
