//! Registry entries: the leaves the Secretariat and the authorities append to their logs to
//! accredit, suspend, rotate keys and so on.
//!
//! The encoding follows the rules of the permit entries in `contracts` (one leaf hash per entry,
//! readable forever):
//! - RFC 8785 canonical JSON, `"v": 1`, times `YYYY-MM-DDTHH:MM:SSZ`;
//! - [`Entry::decode`] accepts only the canonical bytes of a known version, with no unknown field;
//! - every entry is signed by its author. The signature is Ed25519 over the canonical JSON of the
//!   entry without its `proof` member, and `proof.key` names the verification method
//!   (`<author>#<fragment>`). The signed bytes include `author`, `seq` and `log`, so an entry
//!   cannot be replayed (`seq` is the author's own counter) nor copied onto another log (`log` is
//!   the origin of the log it was written to).
//!
//! ```json
//! {"at":"2026-10-01T08:30:00Z","author":"did:web:registry.cites.org","log":"registry.cites.org/log",
//!  "proof":{"key":"did:web:registry.cites.org#key-1","sig":"<base64url>"},"reason":"...",
//!  "seq":7,"subject":"did:web:ma.gh.example","type":"suspend","v":1}
//! ```
//!
//! Kinds, and who may write them (enforced by [`crate::Registry`], not by decoding):
//! - on the Secretariat's log, by the Secretariat: `accredit`, `suspend`, `reinstate`,
//!   `withdraw` (final), `recover` (new keys for an authority that lost its key);
//! - on an authority's own log, by that authority about itself: `rotate_keys`, `add_official`,
//!   `remove_official`, `update_endpoints`. The Secretariat may write these about itself on its
//!   own log (that is how it rotates its genesis key).
//!
//! Golden files in `did-registry/tests/golden/` pin every kind.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, NaiveDateTime, SubsecRound as _, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::did::{AgreementKey, DidWeb, Fragment, Service, Text, Token, VerificationKey};
use crate::keys::SecretKey;

/// Current entry format version.
pub const ENTRY_VERSION: u64 = 1;

/// The largest `seq` (RFC 8785 numbers are IEEE doubles; beyond 2^53 integers are not exact).
pub const MAX_SEQ: u64 = (1 << 53) - 1;

const TIME_FORMAT: &str = "%Y-%m-%dT%H:%M:%SZ";

/// Limits that keep a single entry small; a real authority has a handful of keys.
const MAX_KEYS: usize = 16;
const MAX_SERVICES: usize = 32;

/// Every `type` of a registry entry.
pub const KINDS: [&str; 9] = [
    "accredit",
    "suspend",
    "reinstate",
    "withdraw",
    "recover",
    "rotate_keys",
    "add_official",
    "remove_official",
    "update_endpoints",
];

/// Whether a leaf claims to be a registry entry (a JSON object whose top-level `type` is one of
/// [`KINDS`]), so a node can tell registry leaves from permit leaves on the same log before
/// deciding which decoder's verdict counts. It says nothing about validity.
pub fn is_registry_leaf(bytes: &[u8]) -> bool {
    #[derive(Deserialize)]
    struct Kind {
        #[serde(rename = "type")]
        kind: Option<String>,
    }
    serde_json::from_slice::<Kind>(bytes)
        .ok()
        .and_then(|k| k.kind)
        .is_some_and(|k| KINDS.contains(&k.as_str()))
}

/// Why an entry could not be encoded or decoded.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EntryError {
    /// Not JSON of the entry schema.
    #[error("not a registry entry: {0}")]
    Malformed(String),
    /// JSON of the schema, but not in canonical form.
    #[error("registry entry is not in canonical (RFC 8785) form")]
    NotCanonical,
    /// A version this build does not read.
    #[error(
        "registry entry version {0} is not supported (this build reads version {ENTRY_VERSION})"
    )]
    UnsupportedVersion(u64),
    /// Well-formed, but its content breaks a structural rule (empty key set, duplicate ids).
    #[error("invalid registry entry: {0}")]
    Invalid(String),
    /// Serialisation failed.
    #[error("cannot encode the registry entry: {0}")]
    Encode(String),
}

/// Which Party an authority acts for: ISO 3166-1 alpha-2, two upper-case letters. The list of
/// Parties is kept by `contracts`; here only the shape is checked, as the Secretariat decides
/// whom it accredits.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Party([u8; 2]);

impl Party {
    /// The code.
    pub fn as_str(&self) -> &str {
        std::str::from_utf8(&self.0).unwrap_or("??")
    }
}

impl std::str::FromStr for Party {
    type Err = EntryError;
    fn from_str(s: &str) -> Result<Party, EntryError> {
        match s.as_bytes() {
            [a, b] if a.is_ascii_uppercase() && b.is_ascii_uppercase() => Ok(Party([*a, *b])),
            _ => Err(EntryError::Invalid(format!(
                "{s:?} is not a Party code (two upper-case letters, ISO 3166-1 alpha-2)"
            ))),
        }
    }
}

impl std::fmt::Display for Party {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::fmt::Debug for Party {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Party({})", self.as_str())
    }
}

impl Serialize for Party {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for Party {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

/// What an authority is accredited as.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Management Authority: issues permits.
    ManagementAuthority,
    /// Scientific Authority: advises (non-detriment findings).
    ScientificAuthority,
    /// Customs administration: endorses at export, confirms at import.
    Customs,
}

/// What an official does at an authority (the node's account roles that act on permits).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OfficialRole {
    /// Management Authority officer.
    MaOfficer,
    /// Scientific Authority officer.
    SaOfficer,
    /// Customs officer.
    CustomsOfficer,
    /// Auditor.
    Auditor,
    /// Node administrator.
    Admin,
}

/// The kind-specific part of an entry; `type` in JSON.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum Body {
    /// The Secretariat accredits an authority of a Party.
    Accredit {
        /// The authority.
        subject: DidWeb,
        /// Its Party.
        party: Party,
        /// What it is accredited as.
        role: Role,
        /// Its signing keys.
        verification_methods: Vec<VerificationKey>,
        /// Its key for encryption to it (EPIX).
        key_agreement: AgreementKey,
        /// Origin of its log.
        log_origin: Token,
        /// C2SP note verifier key of its log.
        log_key: Token,
        /// Its node's libp2p PeerId.
        peer_id: Token,
        /// Its service endpoints.
        services: Vec<Service>,
    },
    /// The Secretariat suspends an authority; its entries are refused until reinstated.
    Suspend {
        /// The authority.
        subject: DidWeb,
        /// Why.
        reason: Text,
    },
    /// The Secretariat lifts a suspension.
    Reinstate {
        /// The authority.
        subject: DidWeb,
    },
    /// The Secretariat ends an accreditation for good; its keys end here.
    Withdraw {
        /// The authority.
        subject: DidWeb,
        /// Why.
        reason: Text,
    },
    /// The Secretariat replaces the keys of an authority that lost them; the old keys are
    /// revoked as of this entry.
    Recover {
        /// The authority.
        subject: DidWeb,
        /// Its new signing keys.
        verification_methods: Vec<VerificationKey>,
        /// Its new key-agreement key.
        key_agreement: AgreementKey,
    },
    /// An authority replaces its keys; the old ones stay valid for what they signed before.
    RotateKeys {
        /// The author itself.
        subject: DidWeb,
        /// The new signing keys (the whole set).
        verification_methods: Vec<VerificationKey>,
        /// A new key-agreement key, or none to keep the current one.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        key_agreement: Option<AgreementKey>,
    },
    /// An authority registers an official (pseudonymous id).
    AddOfficial {
        /// The author itself.
        subject: DidWeb,
        /// Pseudonymous id.
        official: Token,
        /// What the official does.
        role: OfficialRole,
    },
    /// An authority removes an official.
    RemoveOfficial {
        /// The author itself.
        subject: DidWeb,
        /// Pseudonymous id.
        official: Token,
    },
    /// An authority replaces its service endpoints (the whole set).
    UpdateEndpoints {
        /// The author itself.
        subject: DidWeb,
        /// The new endpoints.
        services: Vec<Service>,
    },
}

impl Body {
    /// The `type` string.
    pub fn kind(&self) -> &'static str {
        match self {
            Body::Accredit { .. } => "accredit",
            Body::Suspend { .. } => "suspend",
            Body::Reinstate { .. } => "reinstate",
            Body::Withdraw { .. } => "withdraw",
            Body::Recover { .. } => "recover",
            Body::RotateKeys { .. } => "rotate_keys",
            Body::AddOfficial { .. } => "add_official",
            Body::RemoveOfficial { .. } => "remove_official",
            Body::UpdateEndpoints { .. } => "update_endpoints",
        }
    }

    /// The DID the entry is about.
    pub fn subject(&self) -> &DidWeb {
        match self {
            Body::Accredit { subject, .. }
            | Body::Suspend { subject, .. }
            | Body::Reinstate { subject }
            | Body::Withdraw { subject, .. }
            | Body::Recover { subject, .. }
            | Body::RotateKeys { subject, .. }
            | Body::AddOfficial { subject, .. }
            | Body::RemoveOfficial { subject, .. }
            | Body::UpdateEndpoints { subject, .. } => subject,
        }
    }

    /// Kinds only the Secretariat may write.
    pub fn is_secretariat_only(&self) -> bool {
        matches!(
            self,
            Body::Accredit { .. }
                | Body::Suspend { .. }
                | Body::Reinstate { .. }
                | Body::Withdraw { .. }
                | Body::Recover { .. }
        )
    }

    /// Structural rules: key sets are not empty and not too large, and the ids of keys and
    /// services are unique within the entry (they become ids in one DID document).
    fn check(&self) -> Result<(), EntryError> {
        let (keys, agreement, services): (&[VerificationKey], Option<&AgreementKey>, &[Service]) =
            match self {
                Body::Accredit {
                    verification_methods,
                    key_agreement,
                    services,
                    ..
                } => (verification_methods, Some(key_agreement), services),
                Body::Recover {
                    verification_methods,
                    key_agreement,
                    ..
                } => (verification_methods, Some(key_agreement), &[]),
                Body::RotateKeys {
                    verification_methods,
                    key_agreement,
                    ..
                } => (verification_methods, key_agreement.as_ref(), &[]),
                Body::UpdateEndpoints { services, .. } => (&[], None, services),
                _ => return Ok(()),
            };
        let has_key_set = !matches!(self, Body::UpdateEndpoints { .. });
        if has_key_set && keys.is_empty() {
            return Err(EntryError::Invalid(format!(
                "{}: verification_methods must not be empty",
                self.kind()
            )));
        }
        if keys.len() > MAX_KEYS || services.len() > MAX_SERVICES {
            return Err(EntryError::Invalid(format!(
                "{}: at most {MAX_KEYS} keys and {MAX_SERVICES} services",
                self.kind()
            )));
        }
        let mut ids: Vec<&Fragment> = keys.iter().map(|k| &k.id).collect();
        ids.extend(agreement.map(|k| &k.id));
        ids.extend(services.iter().map(|s| &s.id));
        ids.sort();
        if let Some(w) = ids.windows(2).find(|w| w[0] == w[1]) {
            return Err(EntryError::Invalid(format!(
                "{}: id {:?} is used twice",
                self.kind(),
                w[0].as_str()
            )));
        }
        let mut signing: Vec<_> = keys.iter().map(|k| k.public_key_multibase).collect();
        signing.sort();
        if signing.windows(2).any(|w| w[0] == w[1]) {
            return Err(EntryError::Invalid(format!(
                "{}: the same key is listed twice",
                self.kind()
            )));
        }
        Ok(())
    }
}

/// An entry before signing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnsignedEntry {
    /// Who signs it.
    pub author: DidWeb,
    /// The author's counter: 1 for its first entry, then exactly one more each time.
    pub seq: u64,
    /// Origin of the log it is written to.
    pub log: Token,
    /// When the author wrote it (UTC, whole seconds).
    pub at: DateTime<Utc>,
    /// What it says.
    pub body: Body,
}

/// The signature of an entry.
#[derive(Clone, PartialEq, Eq)]
pub struct Proof {
    /// Fragment of the author's verification method that signed (`<author>#<key>` on the wire).
    pub key: Fragment,
    /// Ed25519 signature over [`UnsignedEntry::signing_bytes`].
    pub sig: [u8; 64],
}

impl std::fmt::Debug for Proof {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "Proof(#{}, {})",
            self.key,
            URL_SAFE_NO_PAD.encode(self.sig)
        )
    }
}

/// A signed entry, as one log leaf.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    /// The signed content.
    pub unsigned: UnsignedEntry,
    /// Its signature.
    pub proof: Proof,
}

fn to_canonical(value: &Value) -> Result<Vec<u8>, EntryError> {
    serde_json_canonicalizer::to_vec(value).map_err(|e| EntryError::Encode(e.to_string()))
}

impl UnsignedEntry {
    /// A current-version entry; `at` is truncated to whole seconds.
    pub fn new(author: DidWeb, seq: u64, log: Token, at: DateTime<Utc>, body: Body) -> Self {
        UnsignedEntry {
            author,
            seq,
            log,
            at: at.trunc_subsecs(0),
            body,
        }
    }

    fn to_map(&self) -> Result<Map<String, Value>, EntryError> {
        if self.seq == 0 || self.seq > MAX_SEQ {
            return Err(EntryError::Invalid(format!(
                "seq {} is not between 1 and {MAX_SEQ}",
                self.seq
            )));
        }
        if self.at.trunc_subsecs(0) != self.at {
            return Err(EntryError::Invalid("at must be whole seconds".into()));
        }
        self.body.check()?;
        let Value::Object(mut map) =
            serde_json::to_value(&self.body).map_err(|e| EntryError::Encode(e.to_string()))?
        else {
            return Err(EntryError::Encode("body is not a JSON object".into()));
        };
        map.insert("v".into(), ENTRY_VERSION.into());
        map.insert("author".into(), self.author.to_string().into());
        map.insert("seq".into(), self.seq.into());
        map.insert("log".into(), self.log.to_string().into());
        map.insert("at".into(), self.at.format(TIME_FORMAT).to_string().into());
        Ok(map)
    }

    /// The bytes the author signs: the canonical JSON of the entry without `proof`.
    pub fn signing_bytes(&self) -> Result<Vec<u8>, EntryError> {
        to_canonical(&Value::Object(self.to_map()?))
    }

    /// Signs with the author's key `key` (the fragment of its verification method id).
    pub fn sign(self, key: Fragment, secret: &SecretKey) -> Result<Entry, EntryError> {
        let sig = secret.sign(&self.signing_bytes()?);
        Ok(Entry {
            unsigned: self,
            proof: Proof { key, sig },
        })
    }
}

impl Entry {
    /// The canonical bytes: the leaf.
    pub fn encode(&self) -> Result<Vec<u8>, EntryError> {
        let mut map = self.unsigned.to_map()?;
        let mut proof = Map::new();
        proof.insert(
            "key".into(),
            self.unsigned.author.url(&self.proof.key).into(),
        );
        proof.insert("sig".into(), URL_SAFE_NO_PAD.encode(self.proof.sig).into());
        map.insert("proof".into(), Value::Object(proof));
        to_canonical(&Value::Object(map))
    }

    /// Decodes a leaf; refuses anything but the canonical encoding of a known version. The
    /// signature is not checked here: whether it is valid depends on the registry's state.
    pub fn decode(bytes: &[u8]) -> Result<Entry, EntryError> {
        let malformed = |what: String| EntryError::Malformed(what);
        let value: Value = serde_json::from_slice(bytes).map_err(|e| malformed(e.to_string()))?;
        let Value::Object(mut map) = value else {
            return Err(malformed("not a JSON object".into()));
        };
        let version = match map.remove("v") {
            Some(Value::Number(n)) => n
                .as_u64()
                .ok_or_else(|| malformed(format!("v {n} is not a version number")))?,
            Some(other) => return Err(malformed(format!("v {other} is not a version number"))),
            None => return Err(malformed("missing field `v`".into())),
        };
        if version != ENTRY_VERSION {
            return Err(EntryError::UnsupportedVersion(version));
        }
        let mut text = |name: &str| -> Result<String, EntryError> {
            match map.remove(name) {
                Some(Value::String(s)) => Ok(s),
                Some(_) => Err(malformed(format!("`{name}` must be a string"))),
                None => Err(malformed(format!("missing field `{name}`"))),
            }
        };
        let author: DidWeb = text("author")?
            .parse()
            .map_err(|e| malformed(format!("author: {e}")))?;
        let log: Token = text("log")?
            .parse()
            .map_err(|e| malformed(format!("log: {e}")))?;
        let at_text = text("at")?;
        let at = NaiveDateTime::parse_from_str(&at_text, TIME_FORMAT)
            .map_err(|_| malformed(format!("at {at_text:?} is not YYYY-MM-DDTHH:MM:SSZ")))?
            .and_utc();
        let seq = match map.remove("seq") {
            Some(Value::Number(n)) => n
                .as_u64()
                .filter(|s| (1..=MAX_SEQ).contains(s))
                .ok_or_else(|| malformed(format!("seq {n} is not between 1 and {MAX_SEQ}")))?,
            _ => return Err(malformed("`seq` must be a number".into())),
        };
        let proof = match map.remove("proof") {
            Some(proof) => {
                #[derive(Deserialize)]
                #[serde(deny_unknown_fields)]
                struct WireProof {
                    key: String,
                    sig: String,
                }
                let wire: WireProof =
                    serde_json::from_value(proof).map_err(|e| malformed(format!("proof: {e}")))?;
                let fragment = wire
                    .key
                    .split_once('#')
                    .filter(|(did, _)| *did == author.to_string())
                    .and_then(|(_, f)| f.parse::<Fragment>().ok())
                    .ok_or_else(|| {
                        malformed(format!(
                            "proof.key {:?} is not a key of the author ({author}#...)",
                            wire.key
                        ))
                    })?;
                let sig: [u8; 64] = URL_SAFE_NO_PAD
                    .decode(&wire.sig)
                    .ok()
                    .and_then(|b| b.try_into().ok())
                    .ok_or_else(|| {
                        malformed("proof.sig is not 64 bytes of base64url without padding".into())
                    })?;
                Proof { key: fragment, sig }
            }
            None => return Err(malformed("missing field `proof`".into())),
        };
        let body: Body =
            serde_json::from_value(Value::Object(map)).map_err(|e| malformed(e.to_string()))?;
        body.check()?;
        let entry = Entry {
            unsigned: UnsignedEntry {
                author,
                seq,
                log,
                at,
                body,
            },
            proof,
        };
        if entry.encode()? != bytes {
            return Err(EntryError::NotCanonical);
        }
        Ok(entry)
    }
}
