//! The evidence bundle: what a holder carries so that a border post with no network can verify
//! a permit against nothing but the network's genesis.
//!
//! Format `CitesEvidenceBundle` version 1 (JSON):
//!
//! ```text
//! {
//!   "type": "CitesEvidenceBundle",
//!   "version": 1,
//!   "created": <when the node assembled it, YYYY-MM-DDTHH:MM:SSZ: the age of its status>,
//!   "credential": <the secured credential: a JWS string or a JSON-LD object with its proof>,
//!   "log": {
//!     "origin": <the issuer's log origin>,
//!     "index": <leaf index of the issuance entry>,
//!     "entry": <base64 of the leaf: the canonical permit.issued entry>,
//!     "inclusion_proof": [<base64 SHA-256 hashes, RFC 9162 order>],
//!     "checkpoint": <the C2SP signed note of a checkpoint containing the leaf, with cosignatures>
//!   },
//!   "status": [<secured Bitstring Status List credentials, as of bundling>],
//!   "registry": [{"log": <origin>, "index": <leaf index>, "entry": <base64 registry entry>}, ...]
//!               (every registry entry the issuing node held when bundling: with the genesis,
//!                enough to rebuild the registry and resolve the issuer as of issuance)
//! }
//! ```
//!
//! A newer bundle (a wallet refresh) carries a newer checkpoint and status; the credential and
//! entry never change. Unknown versions are refused rather than half-read.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use serde::{Deserialize, Serialize};

use crate::secure::Secured;

/// The bundle format version this build writes and reads.
pub const VERSION: u32 = 1;

/// Why a bundle cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BundleError {
    /// Not JSON of this shape.
    #[error("not an evidence bundle: {0}")]
    Malformed(String),
    /// A version this build does not read.
    #[error("evidence bundle version {0} is not supported (this build reads version {VERSION})")]
    Version(u32),
}

/// Where the credential is anchored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LogEvidence {
    /// The issuer's log origin.
    pub origin: String,
    /// Leaf index of the issuance entry.
    pub index: u64,
    /// The leaf, base64.
    pub entry: String,
    /// Inclusion proof hashes, base64.
    pub inclusion_proof: Vec<String>,
    /// The checkpoint note (with cosignatures).
    pub checkpoint: String,
}

impl LogEvidence {
    /// The leaf bytes.
    pub fn entry_bytes(&self) -> Result<Vec<u8>, BundleError> {
        STANDARD
            .decode(&self.entry)
            .map_err(|_| BundleError::Malformed("log.entry is not base64".into()))
    }

    /// The proof hashes.
    pub fn proof_hashes(&self) -> Result<Vec<[u8; 32]>, BundleError> {
        self.inclusion_proof
            .iter()
            .map(|h| {
                STANDARD
                    .decode(h)
                    .ok()
                    .and_then(|b| b.try_into().ok())
                    .ok_or_else(|| {
                        BundleError::Malformed(
                            "log.inclusion_proof holds a value that is not a base64 SHA-256 hash"
                                .into(),
                        )
                    })
            })
            .collect()
    }
}

/// A registry entry with its place in the log that carries it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RegistryLeaf {
    /// Origin of the log.
    pub log: String,
    /// Leaf index.
    pub index: u64,
    /// The entry, base64.
    pub entry: String,
}

/// An evidence bundle.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Bundle {
    /// Always `CitesEvidenceBundle`.
    #[serde(rename = "type")]
    pub kind: String,
    /// [`VERSION`].
    pub version: u32,
    /// When the bundle was assembled (UTC, `YYYY-MM-DDTHH:MM:SSZ`).
    pub created: String,
    /// The credential.
    pub credential: Secured,
    /// Its anchoring.
    pub log: LogEvidence,
    /// Status list credentials as of bundling.
    #[serde(default)]
    pub status: Vec<Secured>,
    /// Registry entries, for resolving the issuer offline.
    #[serde(default)]
    pub registry: Vec<RegistryLeaf>,
}

impl Bundle {
    /// A version-1 bundle.
    pub fn new(
        credential: Secured,
        log: LogEvidence,
        status: Vec<Secured>,
        registry: Vec<RegistryLeaf>,
    ) -> Bundle {
        Bundle {
            kind: "CitesEvidenceBundle".into(),
            version: VERSION,
            created: chrono::Utc::now().format("%Y-%m-%dT%H:%M:%SZ").to_string(),
            credential,
            log,
            status,
            registry,
        }
    }

    /// Reads a bundle, refusing other versions and shapes.
    pub fn from_json(bytes: &[u8]) -> Result<Bundle, BundleError> {
        #[derive(Deserialize)]
        struct Head {
            #[serde(rename = "type")]
            kind: String,
            version: u32,
        }
        let head: Head =
            serde_json::from_slice(bytes).map_err(|e| BundleError::Malformed(e.to_string()))?;
        if head.kind != "CitesEvidenceBundle" {
            return Err(BundleError::Malformed(format!("type is {:?}", head.kind)));
        }
        if head.version != VERSION {
            return Err(BundleError::Version(head.version));
        }
        serde_json::from_slice(bytes).map_err(|e| BundleError::Malformed(e.to_string()))
    }
}
