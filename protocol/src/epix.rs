//! EPIX answers as they cross the peer-to-peer network (the node's `epix` module makes them).

use serde::{Deserialize, Serialize};

/// Why an EPIX request failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Fault {
    /// Not a well-formed, signed, fresh request.
    InvalidRequest,
    /// The requester is not an accredited authority, or its signature does not verify.
    CallerNotFound,
    /// This node is not the called Party's.
    CalleeNotFound,
    /// No such permit.
    CertificateMissing,
    /// The requester may not see this permit, or may not confirm it.
    AccessDenied,
    /// The permit has not been endorsed at export yet.
    NotFinal,
    /// The import was confirmed already (possible re-use of the permit).
    AlreadyConfirmed,
    /// The permit's life does not allow it (cancelled, expired, quantities above those
    /// exported...).
    NotPossible,
}

/// The answer to an EPIX request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Answer {
    /// A JSON document sealed to the requester.
    Sealed { jwe: String },
    /// `ServiceState`.
    State { party: String, available: bool },
    /// Refused.
    Fault { fault: Fault, reason: String },
}
