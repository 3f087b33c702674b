//! The registry state: who is accredited, with which keys, since when; built by applying
//! registry entries in order and queried "as of" any earlier point.
//!
//! # Order
//! The caller applies the registry entries of every log (the Secretariat's and each
//! authority's) merged in one sequence: within a log by index, across logs by position time
//! (ties in any fixed order, for example by log origin). The registry refuses an entry that
//! would go back in time or back within its log ([`RegistryError::OutOfOrder`]): state after a
//! later entry cannot be revised, so a node that receives an old entry late must rebuild by
//! replaying in merged order. Every applied entry gets the next *order* number; "as of" means
//! "after the first n applied entries".
//!
//! # As of
//! - [`AsOf::Now`]: everything applied.
//! - [`AsOf::Time`]: every entry whose position time is at or before the time.
//! - [`AsOf::Position`]: the state just before the registry applied the first entry of that log
//!   with a larger index, or the current state if there is none yet. This is exact for the
//!   entries of that log (an authority's rotations, for a credential anchored on its log) and
//!   conservative for other logs: it includes every Secretariat entry applied before, so a key
//!   revoked by `recover` or `withdraw` is never reported valid at a later position.
//! - [`AsOf::Anchored`]: both of the above at once (the earlier of the two points), which is
//!   the question a verifier asks about a credential anchored at a position and time: exact for
//!   the issuer's own log even within one second (a permit just before a rotation in the same
//!   second), and exact for Secretariat entries by time (a permit before a `recover` stays
//!   valid, one after it does not).
//!
//! # Refusals
//! A refused entry changes nothing; the error names the rule. The node keeps the leaf (it is on
//! the log) and flags it.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::did::{
    AgreementKey, Did, DidDocument, DidError, DidWeb, Fragment, Service, Token, VerificationKey,
    web_document,
};
use crate::entry::{Body, Entry, EntryError, OfficialRole, Party, Role};
use crate::genesis::Genesis;
use crate::keys::{Ed25519PublicKey, X25519PublicKey};

/// Where the caller found an entry: the log it was read from, its index there, and the log's
/// time for it (the time used for [`AsOf::Time`]).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
pub struct Position {
    /// Origin of the log.
    pub log: String,
    /// Leaf index.
    pub index: u64,
    /// Time of the leaf, as the log records it.
    pub time: DateTime<Utc>,
}

impl Position {
    /// `<log origin>#<index>`, the form used in `versionId` and in messages.
    pub fn id(&self) -> String {
        format!("{}#{}", self.log, self.index)
    }
}

/// A point in the registry's history.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AsOf {
    /// Everything applied so far.
    Now,
    /// Entries at or before this time.
    Time(DateTime<Utc>),
    /// Entries up to this log position (see the module docs).
    Position {
        /// Origin of the log.
        log: String,
        /// Leaf index.
        index: u64,
    },
    /// A credential anchored at this position and time (see the module docs).
    Anchored {
        /// Origin of the log.
        log: String,
        /// Leaf index.
        index: u64,
        /// The log's time for that leaf.
        time: DateTime<Utc>,
    },
}

/// Where an authority stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// Accredited; its entries and credentials count.
    Active,
    /// Suspended by the Secretariat; its entries are refused until reinstated.
    Suspended,
    /// Withdrawn for good; its keys ended with the withdrawal.
    Withdrawn,
}

/// Why a key stopped being valid.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum KeyEnd {
    /// Replaced by its holder (`rotate_keys`): what it signed before stays valid.
    Rotated,
    /// Revoked by the Secretariat (`recover`) after the holder lost it.
    Revoked,
    /// The holder's accreditation was withdrawn.
    Withdrawn,
}

impl std::fmt::Display for KeyEnd {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            KeyEnd::Rotated => "rotated away",
            KeyEnd::Revoked => "revoked by the Secretariat (recovery)",
            KeyEnd::Withdrawn => "ended by the withdrawal of the accreditation",
        })
    }
}

/// Since when and until when a key is valid, in log positions and times. `from` is `None` for
/// the Secretariat's genesis key.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Validity {
    /// The entry that introduced the key.
    pub from: Option<Position>,
    /// The entry that ended it, and why.
    pub until: Option<(Position, KeyEnd)>,
}

/// One signing key of a DID over its whole history.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct KeyRecord {
    /// The key.
    pub key: VerificationKey,
    /// When it was valid.
    pub validity: Validity,
}

/// One key-agreement key of a DID over its whole history.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AgreementRecord {
    /// The key.
    pub key: AgreementKey,
    /// When it was valid.
    pub validity: Validity,
}

/// An authority's accreditation at some point.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Accreditation {
    /// Its Party.
    pub party: Party,
    /// What it is accredited as.
    pub role: Role,
    /// Where it stands.
    pub status: Status,
    /// The `accredit` entry.
    pub accredited: Position,
    /// The entry that set the current status.
    pub status_since: Position,
}

/// DID resolution metadata (W3C DID Resolution `didDocumentMetadata`, plus the accreditation).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DocumentMetadata {
    /// When the DID entered the registry (`None` for the Secretariat and for did:key).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub created: Option<DateTime<Utc>>,
    /// When the document last changed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub updated: Option<DateTime<Utc>>,
    /// Whether the accreditation was withdrawn.
    pub deactivated: bool,
    /// The last entry about this DID that was applied, as `<log origin>#<index>`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub version_id: Option<String>,
    /// The same entry's full position.
    #[serde(skip)]
    pub version: Option<Position>,
    /// The accreditation then (authorities only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub accreditation: Option<Accreditation>,
}

/// A DID document as it was at some point, with its metadata.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Resolution {
    /// The document.
    pub did_document: DidDocument,
    /// Its metadata.
    pub did_document_metadata: DocumentMetadata,
}

/// What an applied entry did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Applied {
    /// The entry.
    pub entry: Entry,
    /// Its order number in the registry (1 for the first applied entry).
    pub order: usize,
}

/// Why an entry was refused or a query has no answer. Each variant is one rule.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RegistryError {
    /// The leaf is not a registry entry.
    #[error(transparent)]
    Entry(#[from] EntryError),
    /// A DID could not be parsed.
    #[error(transparent)]
    Did(#[from] DidError),
    /// The caller applied entries out of order (not a forgery: replay in merged order).
    #[error("out of order: {0}")]
    OutOfOrder(String),
    /// The entry names another log than the one it was found on (a copy).
    #[error("entry is bound to log {entry_log:?} but was found on log {position_log:?}")]
    WrongLog {
        /// `log` in the entry.
        entry_log: String,
        /// Where it was found.
        position_log: String,
    },
    /// The author is writing on a log that is not its own.
    #[error("{author} writes only to its own log {own:?}, not to {log:?}")]
    NotOwnLog {
        /// The author.
        author: String,
        /// Its log.
        own: String,
        /// The log of the entry.
        log: String,
    },
    /// The author is neither the Secretariat nor an accredited authority.
    #[error("author {0} is not in the registry")]
    UnknownAuthor(String),
    /// A DID that is not (or not yet) accredited.
    #[error("{0} is not accredited")]
    NotAccredited(String),
    /// The DID is suspended.
    #[error("{0} is suspended")]
    Suspended(String),
    /// The DID's accreditation was withdrawn (final).
    #[error("the accreditation of {0} was withdrawn; withdrawal is final")]
    Withdrawn(String),
    /// A kind only the Secretariat may write.
    #[error("only the Secretariat may write {kind:?} entries, not {author}")]
    NotSecretariat {
        /// The author.
        author: String,
        /// The entry kind.
        kind: &'static str,
    },
    /// The Secretariat cannot accredit, suspend, withdraw or recover itself.
    #[error("the Secretariat cannot be the subject of a {0:?} entry")]
    SubjectIsSecretariat(&'static str),
    /// An authority wrote about another DID.
    #[error("{author} may only write about itself, not about {subject}{}", party.map(|p| format!(" (an authority of {p})")).unwrap_or_default())]
    ForeignSubject {
        /// The author.
        author: String,
        /// The subject.
        subject: String,
        /// The subject's Party, if accredited.
        party: Option<Party>,
    },
    /// The signature does not verify with the named key.
    #[error("bad signature: the entry is not signed by {key}")]
    BadSignature {
        /// The key named by the proof.
        key: String,
    },
    /// The DID never had a key with this id.
    #[error("{did} has no key {key:?}")]
    UnknownKey {
        /// The DID.
        did: String,
        /// The key id.
        key: String,
    },
    /// The key exists but is not valid at the point asked.
    #[error("key {key} is not valid there: {why}")]
    KeyNotValid {
        /// The key id.
        key: String,
        /// Why.
        why: String,
    },
    /// A `seq` the author already used.
    #[error("replay: {author} already wrote seq {got} (next is {expected})")]
    Replay {
        /// The author.
        author: String,
        /// The next seq.
        expected: u64,
        /// The entry's seq.
        got: u64,
    },
    /// A `seq` beyond the next: an entry of the author is missing.
    #[error("seq gap: {author}'s next seq is {expected}, the entry has {got}")]
    SeqGap {
        /// The author.
        author: String,
        /// The next seq.
        expected: u64,
        /// The entry's seq.
        got: u64,
    },
    /// The entry claims to be written after the log recorded it.
    #[error("entry time {at} is after its log time {time}")]
    FromTheFuture {
        /// `at` of the entry.
        at: DateTime<Utc>,
        /// Position time.
        time: DateTime<Utc>,
    },
    /// `accredit` of a DID that is already accredited.
    #[error("{0} is already accredited")]
    AlreadyAccredited(String),
    /// `suspend` of a suspended DID.
    #[error("{0} is already suspended")]
    AlreadySuspended(String),
    /// `reinstate` of a DID that is not suspended.
    #[error("{0} is not suspended")]
    NotSuspended(String),
    /// A log origin that already belongs to another DID.
    #[error("log origin {origin:?} already belongs to {owner}")]
    LogOriginTaken {
        /// The origin.
        origin: String,
        /// Its owner.
        owner: String,
    },
    /// A PeerId that already belongs to another DID.
    #[error("PeerId {peer:?} already belongs to {owner}")]
    PeerIdTaken {
        /// The PeerId.
        peer: String,
        /// Its owner.
        owner: String,
    },
    /// A key id or key that the DID used before (ids name one key forever; old keys do not
    /// come back).
    #[error("{did} already used {what}; new keys and services need new ids and new keys")]
    Reused {
        /// The DID.
        did: String,
        /// What was reused.
        what: String,
    },
    /// `add_official` of an id already present.
    #[error("official {0:?} is already registered")]
    OfficialExists(String),
    /// `remove_official` of an id not present.
    #[error("official {0:?} is not registered")]
    UnknownOfficial(String),
    /// A DID the registry does not know at the point asked.
    #[error("{0} is not in the registry at that point")]
    UnknownDid(String),
}

#[derive(Debug, Clone)]
struct State {
    accreditation: Option<(Party, Role, Position)>,
    status: Status,
    status_since: Option<Position>,
    log_origin: Token,
    log_key: Token,
    peer_id: Option<Token>,
    services: Vec<Service>,
    officials: BTreeMap<Token, OfficialRole>,
    keys: Vec<KeyRecord>,
    agreement: Vec<AgreementRecord>,
    last_seq: u64,
    created: Option<Position>,
    updated: Option<Position>,
}

impl State {
    fn current_keys(&self) -> Vec<VerificationKey> {
        self.keys
            .iter()
            .filter(|k| k.validity.until.is_none())
            .map(|k| k.key.clone())
            .collect()
    }

    fn current_agreement(&self) -> Option<&AgreementKey> {
        self.agreement
            .iter()
            .find(|k| k.validity.until.is_none())
            .map(|k| &k.key)
    }

    fn end_keys(&mut self, at: &Position, why: KeyEnd) {
        for k in self.keys.iter_mut().filter(|k| k.validity.until.is_none()) {
            k.validity.until = Some((at.clone(), why));
        }
    }

    fn end_agreement(&mut self, at: &Position, why: KeyEnd) {
        for k in self
            .agreement
            .iter_mut()
            .filter(|k| k.validity.until.is_none())
        {
            k.validity.until = Some((at.clone(), why));
        }
    }

    /// Refuses ids and key material this DID used before, so an id in an old signature names
    /// one key forever and a rotated or revoked key never becomes valid again.
    fn check_fresh(
        &self,
        did: &DidWeb,
        keys: &[VerificationKey],
        agreement: Option<&AgreementKey>,
        services: &[Service],
    ) -> Result<(), RegistryError> {
        let reused = |what: String| RegistryError::Reused {
            did: did.to_string(),
            what,
        };
        let key_ids = self
            .keys
            .iter()
            .map(|k| &k.key.id)
            .chain(self.agreement.iter().map(|k| &k.key.id));
        let service_ids = self.services.iter().map(|s| &s.id);
        let old_ids: Vec<&Fragment> = key_ids.chain(service_ids).collect();
        let new_ids = keys
            .iter()
            .map(|k| &k.id)
            .chain(agreement.map(|k| &k.id))
            .chain(services.iter().map(|s| &s.id));
        for id in new_ids {
            if old_ids.contains(&id) {
                return Err(reused(format!("the id #{id}")));
            }
        }
        for k in keys {
            if self
                .keys
                .iter()
                .any(|old| old.key.public_key_multibase == k.public_key_multibase)
            {
                return Err(reused(format!("the key {}", k.public_key_multibase)));
            }
        }
        if let Some(a) = agreement
            && self
                .agreement
                .iter()
                .any(|old| old.key.public_key_multibase == a.public_key_multibase)
        {
            return Err(reused(format!("the key {}", a.public_key_multibase)));
        }
        Ok(())
    }

    fn add_keys(
        &mut self,
        keys: &[VerificationKey],
        agreement: Option<&AgreementKey>,
        at: &Position,
    ) {
        for k in keys {
            self.keys.push(KeyRecord {
                key: k.clone(),
                validity: Validity {
                    from: Some(at.clone()),
                    until: None,
                },
            });
        }
        if let Some(a) = agreement {
            self.agreement.push(AgreementRecord {
                key: a.clone(),
                validity: Validity {
                    from: Some(at.clone()),
                    until: None,
                },
            });
        }
    }
}

/// Every version of one DID's state, each with the order number of the entry that produced it.
#[derive(Debug, Clone)]
struct History {
    did: DidWeb,
    versions: Vec<(usize, State)>,
}

impl History {
    fn at(&self, cut: usize) -> Option<&State> {
        let n = self.versions.partition_point(|(order, _)| *order <= cut);
        n.checked_sub(1).map(|i| &self.versions[i].1)
    }

    fn latest(&self) -> Option<&State> {
        self.versions.last().map(|(_, s)| s)
    }
}

/// The trust registry of one network.
#[derive(Debug, Clone)]
pub struct Registry {
    genesis: Genesis,
    secretariat: DidWeb,
    secretariat_log: String,
    histories: BTreeMap<String, History>,
    log_owners: BTreeMap<String, String>,
    peer_owners: BTreeMap<String, String>,
    applied: Vec<Position>,
    per_log: BTreeMap<String, Vec<(u64, usize)>>,
}

impl Registry {
    /// The registry of a network before any entry: the Secretariat with its genesis key.
    pub fn new(genesis: &Genesis) -> Registry {
        let s = &genesis.secretariat;
        let state = State {
            accreditation: None,
            status: Status::Active,
            status_since: None,
            log_origin: s.log_origin.clone(),
            log_key: s.log_key.clone(),
            peer_id: None,
            services: Vec::new(),
            officials: BTreeMap::new(),
            keys: vec![KeyRecord {
                key: s.verification_method.clone(),
                validity: Validity {
                    from: None,
                    until: None,
                },
            }],
            agreement: Vec::new(),
            last_seq: 0,
            created: None,
            updated: None,
        };
        let did = s.did.to_string();
        Registry {
            genesis: genesis.clone(),
            secretariat: s.did.clone(),
            secretariat_log: s.log_origin.to_string(),
            histories: BTreeMap::from([(
                did.clone(),
                History {
                    did: s.did.clone(),
                    versions: vec![(0, state)],
                },
            )]),
            log_owners: BTreeMap::from([(s.log_origin.to_string(), did)]),
            peer_owners: BTreeMap::new(),
            applied: Vec::new(),
            per_log: BTreeMap::new(),
        }
    }

    /// The genesis the registry started from.
    pub fn genesis(&self) -> &Genesis {
        &self.genesis
    }

    /// The root of trust.
    pub fn secretariat(&self) -> &DidWeb {
        &self.secretariat
    }

    /// Origin of the Secretariat's log.
    pub fn secretariat_log(&self) -> &str {
        &self.secretariat_log
    }

    /// Whose log this is (origins are never reassigned, even after a withdrawal).
    pub fn log_owner(&self, origin: &str) -> Option<&DidWeb> {
        let did = self.log_owners.get(origin)?;
        self.histories.get(did).map(|h| &h.did)
    }

    /// The authority whose node has this libp2p PeerId, if it is accredited and active now:
    /// the gate for incoming connections.
    pub fn active_peer(&self, peer_id: &str) -> Option<&DidWeb> {
        let history = self.histories.get(self.peer_owners.get(peer_id)?)?;
        let state = history.latest()?;
        let active = state.status == Status::Active
            && state
                .peer_id
                .as_ref()
                .is_some_and(|p| p.as_str() == peer_id);
        active.then_some(&history.did)
    }

    /// The `seq` the DID's next entry must carry (for a node writing its own entries).
    pub fn next_seq(&self, did: &DidWeb) -> Option<u64> {
        let state = self.histories.get(&did.to_string())?.latest()?;
        Some(state.last_seq + 1)
    }

    /// How many entries were applied.
    pub fn applied_count(&self) -> usize {
        self.applied.len()
    }

    /// Builds the registry from registry leaves of any number of logs, in any order: they are
    /// applied merged by (time, log origin, index), the order [`Registry::apply`] requires.
    /// Refused leaves are returned with their reasons (the caller flags them); the others apply.
    /// Registry entries are few, so a node that receives an old entry late can simply rebuild.
    pub fn replay(
        genesis: &Genesis,
        leaves: impl IntoIterator<Item = (Position, Vec<u8>)>,
    ) -> (Registry, Vec<(Position, RegistryError)>) {
        let mut leaves: Vec<(Position, Vec<u8>)> = leaves.into_iter().collect();
        leaves.sort_by(|(a, _), (b, _)| (a.time, &a.log, a.index).cmp(&(b.time, &b.log, b.index)));
        let mut registry = Registry::new(genesis);
        let mut refused = Vec::new();
        for (position, bytes) in leaves {
            if let Err(e) = registry.apply(position.clone(), &bytes) {
                refused.push((position, e));
            }
        }
        (registry, refused)
    }

    /// Checks an entry against the current state and applies it. On error nothing changes.
    pub fn apply(&mut self, position: Position, bytes: &[u8]) -> Result<Applied, RegistryError> {
        let entry = Entry::decode(bytes)?;
        self.check_order(&position)?;
        let author_state = self.authorise(&entry, &position)?;
        let u = &entry.unsigned;
        let author = u.author.to_string();
        let order = self.applied.len() + 1;
        let mut new_author = author_state.clone();
        new_author.last_seq = u.seq;
        let subject = u.body.subject();
        let subject_key = subject.to_string();
        let mut changes: Vec<(String, State)> = Vec::new();
        let mut new_log: Option<(String, String)> = None;
        let mut new_peer: Option<(String, String)> = None;

        if u.body.is_secretariat_only() {
            if *subject == self.secretariat {
                return Err(RegistryError::SubjectIsSecretariat(u.body.kind()));
            }
            let subject_state = self.histories.get(&subject_key).and_then(History::latest);
            let next = self.secretariat_change(&u.body, subject, subject_state, &position)?;
            if let Body::Accredit {
                log_origin,
                peer_id,
                ..
            } = &u.body
            {
                new_log = Some((log_origin.to_string(), subject_key.clone()));
                new_peer = Some((peer_id.to_string(), subject_key.clone()));
            }
            changes.push((author.clone(), new_author));
            changes.push((subject_key, next));
        } else {
            if *subject != u.author {
                let party = self
                    .histories
                    .get(&subject_key)
                    .and_then(History::latest)
                    .and_then(|s| s.accreditation.as_ref())
                    .map(|(p, _, _)| *p);
                return Err(RegistryError::ForeignSubject {
                    author,
                    subject: subject_key,
                    party,
                });
            }
            self_change(&u.body, subject, &mut new_author, &position)?;
            new_author.updated = Some(position.clone());
            changes.push((author, new_author));
        }

        for (did, state) in changes {
            match self.histories.get_mut(&did) {
                Some(h) => h.versions.push((order, state)),
                None => {
                    self.histories.insert(
                        did,
                        History {
                            did: subject.clone(),
                            versions: vec![(order, state)],
                        },
                    );
                }
            }
        }
        if let Some((origin, did)) = new_log {
            self.log_owners.insert(origin, did);
        }
        if let Some((peer, did)) = new_peer {
            self.peer_owners.insert(peer, did);
        }
        self.per_log
            .entry(position.log.clone())
            .or_default()
            .push((position.index, order));
        self.applied.push(position);
        Ok(Applied { entry, order })
    }

    /// Every rule about who may write this entry, where, with which key and in which sequence;
    /// returns the author's current state.
    fn authorise(&self, entry: &Entry, position: &Position) -> Result<&State, RegistryError> {
        let u = &entry.unsigned;
        if u.log.as_str() != position.log {
            return Err(RegistryError::WrongLog {
                entry_log: u.log.to_string(),
                position_log: position.log.clone(),
            });
        }
        let author = u.author.to_string();
        let is_secretariat = u.author == self.secretariat;
        let author_state = self
            .histories
            .get(&author)
            .and_then(History::latest)
            .ok_or_else(|| RegistryError::UnknownAuthor(author.clone()))?;
        if author_state.log_origin.as_str() != position.log {
            return Err(RegistryError::NotOwnLog {
                author,
                own: author_state.log_origin.to_string(),
                log: position.log.clone(),
            });
        }
        if u.body.is_secretariat_only() && !is_secretariat {
            return Err(RegistryError::NotSecretariat {
                author,
                kind: u.body.kind(),
            });
        }
        match author_state.status {
            Status::Active => {}
            Status::Suspended => return Err(RegistryError::Suspended(author)),
            Status::Withdrawn => return Err(RegistryError::Withdrawn(author)),
        }
        let key_id = u.author.url(&entry.proof.key);
        let record = author_state
            .keys
            .iter()
            .find(|k| k.key.id == entry.proof.key)
            .ok_or_else(|| RegistryError::UnknownKey {
                did: author.clone(),
                key: key_id.clone(),
            })?;
        if let Some((at, why)) = &record.validity.until {
            return Err(RegistryError::KeyNotValid {
                key: key_id,
                why: format!("{why} at {} ({})", at.id(), at.time),
            });
        }
        if !record
            .key
            .public_key_multibase
            .verify(&u.signing_bytes()?, &entry.proof.sig)
        {
            return Err(RegistryError::BadSignature { key: key_id });
        }
        let expected = author_state.last_seq + 1;
        if u.seq < expected {
            return Err(RegistryError::Replay {
                author,
                expected,
                got: u.seq,
            });
        }
        if u.seq > expected {
            return Err(RegistryError::SeqGap {
                author,
                expected,
                got: u.seq,
            });
        }
        if u.at > position.time {
            return Err(RegistryError::FromTheFuture {
                at: u.at,
                time: position.time,
            });
        }

        Ok(author_state)
    }

    fn check_order(&self, position: &Position) -> Result<(), RegistryError> {
        if let Some(last) = self.applied.last()
            && position.time < last.time
        {
            return Err(RegistryError::OutOfOrder(format!(
                "{}#{} at {} is before the last applied entry ({}#{} at {})",
                position.log, position.index, position.time, last.log, last.index, last.time
            )));
        }
        if let Some(&(index, _)) = self.per_log.get(&position.log).and_then(|v| v.last())
            && position.index <= index
        {
            return Err(RegistryError::OutOfOrder(format!(
                "index {} of log {:?} is not after the last applied index {index}",
                position.index, position.log
            )));
        }
        Ok(())
    }

    /// The new state of the subject of a Secretariat entry.
    fn secretariat_change(
        &self,
        body: &Body,
        subject: &DidWeb,
        current: Option<&State>,
        at: &Position,
    ) -> Result<State, RegistryError> {
        let did = subject.to_string();
        if let Body::Accredit {
            party,
            role,
            verification_methods,
            key_agreement,
            log_origin,
            log_key,
            peer_id,
            services,
            ..
        } = body
        {
            match current.map(|s| s.status) {
                None => {}
                Some(Status::Withdrawn) => return Err(RegistryError::Withdrawn(did)),
                Some(_) => return Err(RegistryError::AlreadyAccredited(did)),
            }
            if let Some(owner) = self.log_owners.get(log_origin.as_str()) {
                return Err(RegistryError::LogOriginTaken {
                    origin: log_origin.to_string(),
                    owner: owner.clone(),
                });
            }
            if let Some(owner) = self.peer_owners.get(peer_id.as_str()) {
                return Err(RegistryError::PeerIdTaken {
                    peer: peer_id.to_string(),
                    owner: owner.clone(),
                });
            }
            let mut state = State {
                accreditation: Some((*party, *role, at.clone())),
                status: Status::Active,
                status_since: Some(at.clone()),
                log_origin: log_origin.clone(),
                log_key: log_key.clone(),
                peer_id: Some(peer_id.clone()),
                services: services.clone(),
                officials: BTreeMap::new(),
                keys: Vec::new(),
                agreement: Vec::new(),
                last_seq: 0,
                created: Some(at.clone()),
                updated: Some(at.clone()),
            };
            state.add_keys(verification_methods, Some(key_agreement), at);
            return Ok(state);
        }
        let mut state = current
            .cloned()
            .ok_or_else(|| RegistryError::NotAccredited(did.clone()))?;
        if state.status == Status::Withdrawn {
            return Err(RegistryError::Withdrawn(did));
        }
        match body {
            Body::Suspend { .. } => {
                if state.status == Status::Suspended {
                    return Err(RegistryError::AlreadySuspended(did));
                }
                state.status = Status::Suspended;
                state.status_since = Some(at.clone());
            }
            Body::Reinstate { .. } => {
                if state.status != Status::Suspended {
                    return Err(RegistryError::NotSuspended(did));
                }
                state.status = Status::Active;
                state.status_since = Some(at.clone());
            }
            Body::Withdraw { .. } => {
                state.status = Status::Withdrawn;
                state.status_since = Some(at.clone());
                state.end_keys(at, KeyEnd::Withdrawn);
                state.end_agreement(at, KeyEnd::Withdrawn);
                state.services.clear();
            }
            Body::Recover {
                verification_methods,
                key_agreement,
                ..
            } => {
                state.check_fresh(subject, verification_methods, Some(key_agreement), &[])?;
                state.end_keys(at, KeyEnd::Revoked);
                state.end_agreement(at, KeyEnd::Revoked);
                state.add_keys(verification_methods, Some(key_agreement), at);
            }
            _ => {}
        }
        state.updated = Some(at.clone());
        Ok(state)
    }

    /// The order number that "as of" stands for: entries with an order at or below it count.
    fn cut(&self, as_of: &AsOf) -> usize {
        match as_of {
            AsOf::Now => self.applied.len(),
            AsOf::Time(t) => self.applied.partition_point(|p| p.time <= *t),
            AsOf::Position { log, index } => self
                .per_log
                .get(log)
                .and_then(|entries| entries.iter().find(|(i, _)| i > index))
                .map(|(_, order)| order - 1)
                .unwrap_or(self.applied.len()),
            AsOf::Anchored { log, index, time } => {
                let by_position = AsOf::Position {
                    log: log.clone(),
                    index: *index,
                };
                self.cut(&by_position).min(self.cut(&AsOf::Time(*time)))
            }
        }
    }

    fn history(&self, did: &DidWeb) -> Result<&History, RegistryError> {
        self.histories
            .get(&did.to_string())
            .ok_or_else(|| RegistryError::UnknownDid(did.to_string()))
    }

    fn state_at(&self, did: &DidWeb, as_of: &AsOf) -> Result<&State, RegistryError> {
        self.history(did)?
            .at(self.cut(as_of))
            .ok_or_else(|| RegistryError::UnknownDid(did.to_string()))
    }

    /// The DID document as it was, with metadata. did:key documents are generated locally.
    pub fn resolve(&self, did: &str, as_of: &AsOf) -> Result<Resolution, RegistryError> {
        let web = match did.parse::<Did>()? {
            Did::Key(key) => {
                return Ok(Resolution {
                    did_document: key.document(),
                    did_document_metadata: DocumentMetadata {
                        created: None,
                        updated: None,
                        deactivated: false,
                        version_id: None,
                        version: None,
                        accreditation: None,
                    },
                });
            }
            Did::Web(web) => web,
        };
        let state = self.state_at(&web, as_of)?;
        let keys = state.current_keys();
        Ok(Resolution {
            did_document: web_document(&web, &keys, state.current_agreement(), &state.services),
            did_document_metadata: DocumentMetadata {
                created: state.created.as_ref().map(|p| p.time),
                updated: state.updated.as_ref().map(|p| p.time),
                deactivated: state.status == Status::Withdrawn,
                version_id: state.updated.as_ref().map(Position::id),
                version: state.updated.clone(),
                accreditation: accreditation_of(state),
            },
        })
    }

    /// The public key of `key_id` if it was a valid signing key of `did` at that point.
    /// `key_id` is the verification method id (`did#fragment`) or just `#fragment`.
    /// Suspension does not end keys (see [`Registry::accreditation_at`]); rotation, recovery and
    /// withdrawal do.
    pub fn key_valid_at(
        &self,
        did: &str,
        key_id: &str,
        as_of: &AsOf,
    ) -> Result<Ed25519PublicKey, RegistryError> {
        let fragment = match key_id.split_once('#') {
            Some((prefix, f)) if prefix.is_empty() || prefix == did => f,
            _ => {
                return Err(RegistryError::UnknownKey {
                    did: did.to_owned(),
                    key: key_id.to_owned(),
                });
            }
        };
        let full = format!("{did}#{fragment}");
        let unknown = || RegistryError::UnknownKey {
            did: did.to_owned(),
            key: full.clone(),
        };
        let web = match did.parse::<Did>()? {
            Did::Key(key) if fragment == key.key().to_multikey() => return Ok(key.key()),
            Did::Key(_) => return Err(unknown()),
            Did::Web(web) => web,
        };
        let history = self.history(&web)?;
        let find = |state: &State| -> Option<KeyRecord> {
            state
                .keys
                .iter()
                .find(|k| k.key.id.as_str() == fragment)
                .cloned()
        };
        let state = history
            .at(self.cut(as_of))
            .ok_or_else(|| RegistryError::UnknownDid(did.to_owned()))?;
        let Some(record) = find(state) else {
            if history.latest().and_then(find).is_some() {
                return Err(RegistryError::KeyNotValid {
                    key: full,
                    why: "not yet valid at that point".into(),
                });
            }
            return Err(unknown());
        };
        match record.validity.until {
            None => Ok(record.key.public_key_multibase),
            Some((at, why)) => Err(RegistryError::KeyNotValid {
                key: full,
                why: format!("{why} at {} ({})", at.id(), at.time),
            }),
        }
    }

    /// The key others encrypt to (EPIX), at that point.
    pub fn key_agreement_at(
        &self,
        did: &DidWeb,
        as_of: &AsOf,
    ) -> Result<(String, X25519PublicKey), RegistryError> {
        let state = self.state_at(did, as_of)?;
        state
            .current_agreement()
            .map(|k| (did.url(&k.id), k.public_key_multibase))
            .ok_or_else(|| RegistryError::NotAccredited(did.to_string()))
    }

    /// Party, role and status of an authority at that point. The Secretariat is the root of
    /// trust, not an accredited authority: it answers `NotAccredited`.
    pub fn accreditation_at(
        &self,
        did: &str,
        as_of: &AsOf,
    ) -> Result<Accreditation, RegistryError> {
        let web: DidWeb = did.parse()?;
        let state = self
            .state_at(&web, as_of)
            .map_err(|_| RegistryError::NotAccredited(did.to_owned()))?;
        accreditation_of(state).ok_or_else(|| RegistryError::NotAccredited(did.to_owned()))
    }

    /// Every signing key the DID ever had, with its validity.
    pub fn key_history(&self, did: &DidWeb) -> Result<Vec<KeyRecord>, RegistryError> {
        let history = self.history(did)?;
        Ok(history.latest().map(|s| s.keys.clone()).unwrap_or_default())
    }

    /// The officials an authority had registered at that point.
    pub fn officials_at(
        &self,
        did: &DidWeb,
        as_of: &AsOf,
    ) -> Result<BTreeMap<Token, OfficialRole>, RegistryError> {
        Ok(self.state_at(did, as_of)?.officials.clone())
    }

    /// Each DID's state at a point, for the trust list.
    pub(crate) fn authorities_at(&self, as_of: &AsOf) -> Vec<AuthorityView<'_>> {
        let cut = self.cut(as_of);
        self.histories
            .values()
            .filter_map(|h| {
                let state = h.at(cut)?;
                let (party, role, _) = state.accreditation.as_ref()?;
                Some(AuthorityView {
                    did: &h.did,
                    party: *party,
                    role: *role,
                    status: state.status,
                    keys: state.current_keys(),
                    agreement: state.current_agreement().cloned(),
                    log_origin: &state.log_origin,
                    log_key: &state.log_key,
                    peer_id: state.peer_id.as_ref(),
                    services: &state.services,
                })
            })
            .collect()
    }

    /// The cut's last applied position, for labelling a trust list.
    pub(crate) fn position_of(&self, as_of: &AsOf) -> Option<&Position> {
        self.cut(as_of)
            .checked_sub(1)
            .and_then(|i| self.applied.get(i))
    }
}

pub(crate) struct AuthorityView<'a> {
    pub did: &'a DidWeb,
    pub party: Party,
    pub role: Role,
    pub status: Status,
    pub keys: Vec<VerificationKey>,
    pub agreement: Option<AgreementKey>,
    pub log_origin: &'a Token,
    pub log_key: &'a Token,
    pub peer_id: Option<&'a Token>,
    pub services: &'a [Service],
}

fn accreditation_of(state: &State) -> Option<Accreditation> {
    let (party, role, accredited) = state.accreditation.as_ref()?;
    Some(Accreditation {
        party: *party,
        role: *role,
        status: state.status,
        accredited: accredited.clone(),
        status_since: state
            .status_since
            .clone()
            .unwrap_or_else(|| accredited.clone()),
    })
}

/// Applies an entry an authority (or the Secretariat) writes about itself.
fn self_change(
    body: &Body,
    did: &DidWeb,
    state: &mut State,
    at: &Position,
) -> Result<(), RegistryError> {
    match body {
        Body::RotateKeys {
            verification_methods,
            key_agreement,
            ..
        } => {
            state.check_fresh(did, verification_methods, key_agreement.as_ref(), &[])?;
            state.end_keys(at, KeyEnd::Rotated);
            if key_agreement.is_some() {
                state.end_agreement(at, KeyEnd::Rotated);
            }
            state.add_keys(verification_methods, key_agreement.as_ref(), at);
        }
        Body::AddOfficial { official, role, .. } => {
            if state.officials.contains_key(official) {
                return Err(RegistryError::OfficialExists(official.to_string()));
            }
            state.officials.insert(official.clone(), *role);
        }
        Body::RemoveOfficial { official, .. } => {
            state
                .officials
                .remove(official)
                .ok_or_else(|| RegistryError::UnknownOfficial(official.to_string()))?;
        }
        Body::UpdateEndpoints { services, .. } => {
            let mut without_services = state.clone();
            without_services.services.clear();
            without_services.check_fresh(did, &[], None, services)?;
            state.services = services.clone();
        }
        _ => {}
    }
    Ok(())
}
