//! The node protocol (`/cites/node/1`): what one node asks another over libp2p and what it
//! answers, as serde types carried in CBOR by libp2p's request-response `cbor` codec.
//!
//! The types live apart from the node so that what reads them can be tested on its own:
//! [`decode_request`] and [`decode_response`] decode as the codec does (`cbor4ii::serde`),
//! and the fuzz target `p2p_message` feeds them arbitrary bytes. The checks on a request's
//! ranges ([`Request::range_problem`]) are here for the same reason.

pub mod epix;

use serde::{Deserialize, Serialize};
use serde_bytes::ByteBuf;

/// The protocol's name on libp2p.
pub const NODE_PROTOCOL: &str = "/cites/node/1";

/// Entries answered by one request at most.
pub const MAX_ENTRIES: u64 = 2000;

/// A request of the node protocol.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Request {
    /// The latest checkpoint of `origin` the peer holds entries for, with its cosignatures.
    Checkpoint { origin: String },
    /// Entries `[start, end)` of `origin`, with the consistency proof from `end` to `to`
    /// (empty when `end == to`), so the entries can be checked against a held checkpoint.
    Entries {
        origin: String,
        start: u64,
        end: u64,
        to: u64,
    },
    /// The consistency proof of `origin` between two sizes.
    Consistency { origin: String, old: u64, new: u64 },
    /// A C2SP tlog-witness add-checkpoint request body, for the peer as a witness.
    AddCheckpoint { body: ByteBuf },
    /// An EPIX operation: a compact JWS signed by the requesting authority.
    Epix { jws: String },
    /// The size of every log the peer can serve (its own and its replicas).
    Heads,
}

/// An answer of the node protocol.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Response {
    /// A signed note, cosignature lines included.
    Checkpoint { note: ByteBuf },
    /// Entries and a consistency proof (32-byte hashes).
    Entries {
        entries: Vec<ByteBuf>,
        proof: Vec<ByteBuf>,
    },
    /// A consistency proof (32-byte hashes).
    Consistency { proof: Vec<ByteBuf> },
    /// The witness's cosignature line(s).
    Cosigned { lines: String },
    /// The witness holds another size of the log (tlog-witness 409).
    Conflict { size: u64 },
    /// The answer to an EPIX operation.
    Epix(epix::Answer),
    /// (origin, size) of every log held.
    Heads { heads: Vec<(String, u64)> },
    /// Refused, with an HTTP-like code (400 bad request, 403 bad signature, 404 unknown log,
    /// 422 bad proof, 500 failure) and why.
    Refused { code: u16, reason: String },
}

impl Request {
    /// Why a range request cannot be answered from a log whose latest checkpoint covers
    /// `held` entries; `None` for a good range and for requests without one.
    pub fn range_problem(&self, held: u64) -> Option<String> {
        match *self {
            Request::Entries { start, end, to, .. }
                if start >= end || end > to || to > held || end - start > MAX_ENTRIES =>
            {
                Some(format!(
                    "bad range {start}..{end} to {to}: this node serves up to {held}, at most {MAX_ENTRIES} entries at a time"
                ))
            }
            Request::Consistency { old, new, .. } if old == 0 || old > new || new > held => {
                Some(format!("bad sizes {old}..{new} (held {held})"))
            }
            _ => None,
        }
    }
}

/// Why bytes are not a message of the protocol.
#[derive(Debug, thiserror::Error)]
pub enum WireError {
    #[error("not a message of the node protocol: {0}")]
    Decode(String),
    #[error("a proof hash is {0} bytes, not 32")]
    ProofHash(usize),
}

/// The CBOR of a message, as the codec sends it.
pub fn encode<T: Serialize>(message: &T) -> Vec<u8> {
    // Writing to a Vec fails only when memory runs out, which aborts anyway.
    cbor4ii::serde::to_vec(Vec::new(), message).unwrap_or_default()
}

/// A request from its CBOR, as the codec reads it.
pub fn decode_request(bytes: &[u8]) -> Result<Request, WireError> {
    cbor4ii::serde::from_slice(bytes).map_err(|e| WireError::Decode(e.to_string()))
}

/// An answer from its CBOR, as the codec reads it.
pub fn decode_response(bytes: &[u8]) -> Result<Response, WireError> {
    cbor4ii::serde::from_slice(bytes).map_err(|e| WireError::Decode(e.to_string()))
}

/// Hashes of a proof for the wire.
pub fn proof_to_wire(proof: &[ledger::Hash]) -> Vec<ByteBuf> {
    proof
        .iter()
        .map(|h| ByteBuf::from(h.as_bytes().to_vec()))
        .collect()
}

/// Hashes of a proof from the wire.
pub fn proof_from_wire(proof: &[ByteBuf]) -> Result<ledger::ConsistencyProof, WireError> {
    let hashes = proof
        .iter()
        .map(|h| ledger::Hash::from_slice(h).map_err(|_| WireError::ProofHash(h.len())))
        .collect::<Result<_, _>>()?;
    Ok(ledger::ConsistencyProof { hashes })
}

#[cfg(test)]
mod tests;
