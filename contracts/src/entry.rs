//! Log entries for permit events, and their canonical byte encoding.
//!
//! A leaf of an MA's log is the encoding of one [`LogEntry`]. Other nodes replay these leaves,
//! witnesses and auditors hash them, and old leaves must decode forever, so the encoding is
//! fixed and versioned:
//!
//! - The bytes are the RFC 8785 JSON Canonicalization Scheme (JCS) form of the entry: UTF-8,
//!   object keys sorted, no insignificant whitespace. Outside tools can reproduce it.
//! - Every entry has `"v": 1`; a change of meaning gets a new version, never a silent change.
//! - Numbers are integers; quantities never appear (they stay on the issuing node, the log
//!   carries commitments); times are UTC to the second, `YYYY-MM-DDTHH:MM:SSZ`.
//! - [`LogEntry::decode`] accepts only canonical bytes, so each entry has exactly one encoding and
//!   one leaf hash.
//!
//! Field names and kinds are pinned by golden files in `contracts/tests/golden/`.

use chrono::{DateTime, NaiveDate, SubsecRound, Utc};
use serde::{Deserialize, Serialize};
use sha2::{Digest as _, Sha256};

use crate::codes::Country;
use crate::lifecycle::Event;
use crate::permit::{DocumentType, Permit, PermitKey};

/// Current entry format version.
pub const ENTRY_VERSION: u32 = 1;

/// Domain separation for permit commitments, so a commitment cannot be confused with any other
/// SHA-256 in the system.
const COMMITMENT_TAG: &[u8] = b"cites-permit-commitment/v1\n";

/// A SHA-256 digest, written as 64 lower-case hex digits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Digest(pub [u8; 32]);

impl Digest {
    /// SHA-256 of bytes.
    pub fn of(bytes: &[u8]) -> Digest {
        Digest(Sha256::digest(bytes).into())
    }
}

impl std::fmt::Display for Digest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&hex::encode(self.0))
    }
}

impl std::str::FromStr for Digest {
    type Err = EntryError;
    fn from_str(s: &str) -> Result<Digest, EntryError> {
        let bad = || EntryError::BadDigest(s.to_owned());
        if s.len() != 64 || s.bytes().any(|b| b.is_ascii_uppercase()) {
            return Err(bad());
        }
        let bytes = hex::decode(s).map_err(|_| bad())?;
        Ok(Digest(bytes.try_into().map_err(|_| bad())?))
    }
}

impl Serialize for Digest {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Digest {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

/// A salted commitment to the full permit. The salt stays with the permit data on the issuing
/// node and travels only with the permit (EPIX, evidence bundle), so the log reveals nothing a
/// guesser could confirm, yet anyone given the permit and salt can check it against the log.
pub fn commit(permit: &Permit, salt: &[u8; 32]) -> Result<Digest, EntryError> {
    let json = canonical_json(permit)?;
    let mut h = Sha256::new();
    h.update(COMMITMENT_TAG);
    h.update(salt);
    h.update(&json);
    Ok(Digest(h.finalize().into()))
}

/// RFC 8785 canonical JSON of any serialisable value.
pub fn canonical_json<T: Serialize>(value: &T) -> Result<Vec<u8>, EntryError> {
    crate::canonical::to_vec(value).map_err(|e| EntryError::Encode(e.to_string()))
}

/// Why an entry could not be encoded or decoded.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EntryError {
    /// Not JSON of the entry schema.
    #[error("not a log entry: {0}")]
    Malformed(String),
    /// JSON, but not in canonical form (keys unsorted, whitespace, escapes).
    #[error("log entry is not in canonical (RFC 8785) form")]
    NotCanonical,
    /// A version this build does not know.
    #[error("log entry version {0} is not supported (this build reads version {ENTRY_VERSION})")]
    UnsupportedVersion(u32),
    /// A digest that is not 64 lower-case hex digits.
    #[error("{0:?} is not a SHA-256 digest (64 lower-case hex digits)")]
    BadDigest(String),
    /// Serialisation failed.
    #[error("cannot encode: {0}")]
    Encode(String),
}

/// Why a permit was cancelled (domain file §4.7).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CancelReason {
    /// The document was lost.
    Lost,
    /// The document was stolen.
    Stolen,
    /// The document was destroyed.
    Destroyed,
    /// Issued in error or withdrawn by the MA.
    Withdrawn,
    /// The applicant gave up the shipment.
    NotUsed,
}

/// What happened, as the shared log records it: keys, kinds, days, digests; no names,
/// addresses or quantities.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", deny_unknown_fields)]
pub enum EntryKind {
    /// A credential was issued for a permit.
    #[serde(rename = "permit.issued")]
    Issued {
        /// The permit.
        permit: PermitKey,
        /// Its type.
        document_type: DocumentType,
        /// First day of validity.
        valid_from: NaiveDate,
        /// Last day of validity.
        valid_until: NaiveDate,
        /// SHA-256 of the credential as issued (the exact bytes handed to the holder).
        credential: Digest,
        /// Salted commitment to the full permit ([`commit`]).
        commitment: Digest,
        /// The permit this one replaces.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        replaces: Option<PermitKey>,
    },
    /// Export customs endorsed a crossing (box 14).
    #[serde(rename = "permit.endorsed")]
    Endorsed {
        /// The permit.
        permit: PermitKey,
        /// Day of export.
        on: NaiveDate,
        /// Commitment to the endorsement record (quantities, port, official).
        commitment: Digest,
    },
    /// The importing Party confirmed the quantities.
    #[serde(rename = "permit.import_confirmed")]
    ImportConfirmed {
        /// The permit.
        permit: PermitKey,
        /// Day of import.
        on: NaiveDate,
        /// The confirming Party.
        by: Country,
        /// Commitment to the confirmed quantities.
        commitment: Digest,
    },
    /// The MA cancelled the permit.
    #[serde(rename = "permit.cancelled")]
    Cancelled {
        /// The permit.
        permit: PermitKey,
        /// Day.
        on: NaiveDate,
        /// Why.
        reason: CancelReason,
    },
    /// The MA replaced the permit.
    #[serde(rename = "permit.replaced")]
    Replaced {
        /// The permit.
        permit: PermitKey,
        /// Day.
        on: NaiveDate,
        /// The replacing permit.
        by: PermitKey,
    },
    /// The MA suspended the permit.
    #[serde(rename = "permit.suspended")]
    Suspended {
        /// The permit.
        permit: PermitKey,
        /// Day.
        on: NaiveDate,
    },
    /// The MA lifted a suspension.
    #[serde(rename = "permit.reinstated")]
    Reinstated {
        /// The permit.
        permit: PermitKey,
        /// Day.
        on: NaiveDate,
    },
}

impl EntryKind {
    /// The permit concerned.
    pub fn permit(&self) -> &PermitKey {
        match self {
            EntryKind::Issued { permit, .. }
            | EntryKind::Endorsed { permit, .. }
            | EntryKind::ImportConfirmed { permit, .. }
            | EntryKind::Cancelled { permit, .. }
            | EntryKind::Replaced { permit, .. }
            | EntryKind::Suspended { permit, .. }
            | EntryKind::Reinstated { permit, .. } => permit,
        }
    }

    /// The lifecycle event a later entry stands for, with quantities redacted; `None` for the
    /// issuance itself.
    pub fn to_event(&self) -> Option<Event> {
        Some(match self {
            EntryKind::Issued { .. } => return None,
            EntryKind::Endorsed { on, .. } => Event::Endorse {
                on: *on,
                quantities: Default::default(),
            },
            EntryKind::ImportConfirmed { on, by, .. } => Event::ConfirmImport {
                on: *on,
                by: *by,
                quantities: Default::default(),
            },
            EntryKind::Cancelled { on, .. } => Event::Cancel { on: *on },
            EntryKind::Replaced { on, by, .. } => Event::Replace {
                on: *on,
                by: by.clone(),
            },
            EntryKind::Suspended { on, .. } => Event::Suspend { on: *on },
            EntryKind::Reinstated { on, .. } => Event::Reinstate { on: *on },
        })
    }
}

/// One leaf of an MA's log.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LogEntry {
    /// Format version, [`ENTRY_VERSION`].
    pub v: u32,
    /// When the node recorded it (UTC, whole seconds).
    #[serde(with = "utc_seconds")]
    pub at: DateTime<Utc>,
    /// What happened.
    pub event: EntryKind,
}

impl LogEntry {
    /// A current-version entry; the time is truncated to whole seconds.
    pub fn new(at: DateTime<Utc>, event: EntryKind) -> LogEntry {
        LogEntry {
            v: ENTRY_VERSION,
            at: at.trunc_subsecs(0),
            event,
        }
    }

    /// The canonical bytes: the leaf.
    pub fn encode(&self) -> Result<Vec<u8>, EntryError> {
        canonical_json(self)
    }

    /// Decodes a leaf; refuses anything but the canonical encoding of a known version.
    pub fn decode(bytes: &[u8]) -> Result<LogEntry, EntryError> {
        #[derive(Deserialize)]
        struct Version {
            v: u32,
        }
        // One parse for a good leaf; the version alone is read only to explain a failure (an
        // entry of another version may not have this one's shape).
        let entry: LogEntry = match serde_json::from_slice(bytes) {
            Ok(entry) => entry,
            Err(e) => {
                let version: Version = serde_json::from_slice(bytes)
                    .map_err(|e| EntryError::Malformed(e.to_string()))?;
                return Err(if version.v == ENTRY_VERSION {
                    EntryError::Malformed(e.to_string())
                } else {
                    EntryError::UnsupportedVersion(version.v)
                });
            }
        };
        if entry.v != ENTRY_VERSION {
            return Err(EntryError::UnsupportedVersion(entry.v));
        }
        if entry.encode()? != bytes {
            return Err(EntryError::NotCanonical);
        }
        Ok(entry)
    }
}

/// Domain separation for audit-trail digests.
const AUDIT_TAG: &[u8] = b"cites-audit-anchor/v1\n";

/// The `type` of an [`AuditAnchor`] leaf.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum AuditAnchorType {
    /// The only one.
    #[serde(rename = "audit.anchored")]
    Anchored,
}

/// A leaf that anchors the records numbered `first ..= last` of the node's audit trail (`count`
/// of them: a number whose write failed leaves a gap). The records stay on the node (they name
/// officials and traders); the log carries their digest, so an auditor given the records can
/// prove they were not altered after the anchor's checkpoint.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AuditAnchor {
    /// Format version, [`ENTRY_VERSION`].
    pub v: u32,
    /// When the node anchored the range.
    #[serde(with = "utc_seconds")]
    pub at: DateTime<Utc>,
    /// Always [`AuditAnchorType::Anchored`].
    #[serde(rename = "type")]
    pub kind: AuditAnchorType,
    /// Sequence number of the first record.
    pub first: u64,
    /// Sequence number of the last record.
    pub last: u64,
    /// Number of records in the range.
    pub count: u64,
    /// [`AuditAnchor::digest_of`] the records' bytes, in order.
    pub digest: Digest,
}

impl AuditAnchor {
    /// An anchor over `records` (each record's stored bytes, in order) numbered `first ..= last`.
    pub fn new<'a>(
        at: DateTime<Utc>,
        first: u64,
        last: u64,
        records: impl IntoIterator<Item = &'a [u8]>,
    ) -> AuditAnchor {
        let (count, digest) = Self::digest_of(records);
        AuditAnchor {
            v: ENTRY_VERSION,
            at: at.trunc_subsecs(0),
            kind: AuditAnchorType::Anchored,
            first,
            last,
            count,
            digest,
        }
    }

    /// SHA-256 over the tag and each record's SHA-256, with how many records there were.
    pub fn digest_of<'a>(records: impl IntoIterator<Item = &'a [u8]>) -> (u64, Digest) {
        let mut h = Sha256::new();
        h.update(AUDIT_TAG);
        let mut count = 0;
        for r in records {
            h.update(Sha256::digest(r));
            count += 1;
        }
        (count, Digest(h.finalize().into()))
    }

    /// The canonical bytes: the leaf.
    pub fn encode(&self) -> Result<Vec<u8>, EntryError> {
        canonical_json(self)
    }

    /// Decodes a leaf; refuses anything but the canonical encoding.
    pub fn decode(bytes: &[u8]) -> Result<AuditAnchor, EntryError> {
        let anchor: AuditAnchor =
            serde_json::from_slice(bytes).map_err(|e| EntryError::Malformed(e.to_string()))?;
        if anchor.v != ENTRY_VERSION {
            return Err(EntryError::UnsupportedVersion(anchor.v));
        }
        if anchor.encode()? != bytes {
            return Err(EntryError::NotCanonical);
        }
        Ok(anchor)
    }
}

mod utc_seconds {
    use chrono::{DateTime, NaiveDateTime, Utc};
    use serde::{Deserialize, Deserializer, Serializer};

    const FORMAT: &str = "%Y-%m-%dT%H:%M:%SZ";

    pub fn serialize<S: Serializer>(t: &DateTime<Utc>, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(&t.format(FORMAT))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<DateTime<Utc>, D::Error> {
        let s = String::deserialize(d)?;
        NaiveDateTime::parse_from_str(&s, FORMAT)
            .map(|t| t.and_utc())
            .map_err(|_| serde::de::Error::custom(format!("{s:?} is not YYYY-MM-DDTHH:MM:SSZ")))
    }
}
