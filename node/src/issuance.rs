//! Issuing a permit credential: validate, sign, anchor, and hand back the credential with its
//! evidence bundle.
//!
//! The permit record and the log entry go to disk in one synced batch; the credential leaves
//! only after a checkpoint covers its entry, so the holder gets an inclusion proof with it.

use std::collections::BTreeSet;
use std::sync::Mutex;
use std::time::Duration;

use anyhow::Context;
use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use chrono::Utc;
use contracts::entry::commit;
use contracts::{
    Digest, EntryKind, Lifecycle, LogEntry, Permit, PermitKey, Problem, ValidationContext, validate,
};
use credentials::bundle::{Bundle, LogEvidence};
use credentials::credential::{self, Draft, StatusEntry, StatusPurpose};
use credentials::keys::PublicKey;
use credentials::status::StatusList;
use credentials::{Mechanism, Secured};
use ledger::{SideWrite, leaf_hash};

use crate::anchor::Anchor;
use crate::http::AppState;
use crate::store::{self, CF_STATUS, PermitRecord};

/// Longest wait for the checkpoint that covers a new credential.
const CHECKPOINT_WAIT: Duration = Duration::from_secs(10);

/// Why a permit was not issued. Nothing was written.
#[derive(Debug, thiserror::Error)]
pub enum IssueError {
    /// The permit breaks rules of the standard form (422).
    #[error("the permit breaks {} rule(s) of the standard form", .0.len())]
    Invalid(Vec<Problem>),
    /// Another Party's permit (422).
    #[error("this node issues permits of {ours}; the permit's issuing authority is in {theirs}")]
    WrongParty {
        /// This node's Party.
        ours: String,
        /// The permit's.
        theirs: String,
    },
    /// The number was used already (409).
    #[error("permit {0} was already issued")]
    AlreadyIssued(PermitKey),
    /// The holder is not a did:key (400).
    #[error("holder {0:?} is not an Ed25519 did:key")]
    BadHolder(String),
    /// Beyond a national export quota (422).
    #[error(transparent)]
    Quota(#[from] contracts::QuotaError),
    /// Storage, signing or the log failed (500).
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

/// A permit issued: durable and anchored, its evidence still to be gathered.
#[derive(Debug, Clone)]
pub struct Issued {
    /// The credential.
    pub credential: Secured,
    /// The issuance entry (the leaf).
    pub entry: Vec<u8>,
    /// Its index in the log.
    pub leaf_index: u64,
}

impl Issued {
    /// The evidence bundle, once a checkpoint covers the entry. `None` (logged) if none came
    /// in time: the permit is issued all the same, and `POST /evidence` gives the bundle later.
    pub async fn evidence(&self, state: &AppState) -> Option<Bundle> {
        match bundle_for(state, &self.credential, &self.entry, self.leaf_index).await {
            Ok(b) => Some(b),
            Err(e) => {
                tracing::warn!(leaf = self.leaf_index, error = %format!("{e:#}"), "no evidence bundle yet");
                None
            }
        }
    }
}

/// The node's status lists and the permits being issued right now.
pub struct Issuance {
    status: Mutex<StatusState>,
    in_flight: Mutex<BTreeSet<PermitKey>>,
}

struct StatusState {
    next: u64,
    lists: Vec<(StatusPurpose, StatusList)>,
}

impl Issuance {
    /// Loads the status lists and counter from the store.
    pub fn load(store: &ledger::Store) -> anyhow::Result<Issuance> {
        // Concurrent issuances commit in any order, so each records its own index and the next
        // free one is above the highest (`next` is what older versions kept).
        let mut it = store.db().raw_iterator_cf(store::cf(store, CF_STATUS)?);
        it.seek_for_prev(allocated_key(u64::MAX));
        let highest = match it.key() {
            Some(k) if k.len() == 9 && k[0] == b'#' => k[1..]
                .try_into()
                .map(u64::from_be_bytes)
                .ok()
                .map(|i| i + 1),
            _ => None,
        };
        let next = highest
            .unwrap_or(0)
            .max(store::get_u64(store, CF_STATUS, b"next")?);
        let mut lists = Vec::new();
        for purpose in [StatusPurpose::Revocation, StatusPurpose::Suspension] {
            let list = match store::status_value(store, purpose.as_str())? {
                Some(bytes) => StatusList::from_bytes(bytes)
                    .ok_or_else(|| anyhow::anyhow!("corrupt {} list", purpose.as_str()))?,
                None => StatusList::new(),
            };
            lists.push((purpose, list));
        }
        Ok(Issuance {
            status: Mutex::new(StatusState { next, lists }),
            in_flight: Mutex::new(BTreeSet::new()),
        })
    }

    /// The bit of `index` in the status list of `purpose` (without copying the list).
    pub fn bit(&self, purpose: StatusPurpose, index: u64) -> anyhow::Result<bool> {
        let state = self
            .status
            .lock()
            .map_err(|_| anyhow::anyhow!("status lock poisoned"))?;
        let (_, list) = state
            .lists
            .iter()
            .find(|(p, _)| *p == purpose)
            .ok_or_else(|| anyhow::anyhow!("no {} list", purpose.as_str()))?;
        Ok(list.get(index)?)
    }

    /// The status list of `purpose`.
    pub fn list(&self, purpose: StatusPurpose) -> anyhow::Result<StatusList> {
        let state = self
            .status
            .lock()
            .map_err(|_| anyhow::anyhow!("status lock poisoned"))?;
        state
            .lists
            .iter()
            .find(|(p, _)| *p == purpose)
            .map(|(_, l)| l.clone())
            .ok_or_else(|| anyhow::anyhow!("no {} list", purpose.as_str()))
    }

    /// The bytes the list of `purpose` would have with bit `index` set to `value` (to write in
    /// the batch that records the change; [`Issuance::set_bit`] follows once it is durable).
    pub fn with_bit(
        &self,
        purpose: StatusPurpose,
        index: u64,
        value: bool,
    ) -> anyhow::Result<Vec<u8>> {
        let mut list = self.list(purpose)?;
        list.set(index, value)?;
        Ok(list.as_bytes().to_vec())
    }

    /// Sets bit `index` of the list of `purpose` in memory.
    pub fn set_bit(&self, purpose: StatusPurpose, index: u64, value: bool) -> anyhow::Result<()> {
        let mut state = self
            .status
            .lock()
            .map_err(|_| anyhow::anyhow!("status lock poisoned"))?;
        let (_, list) = state
            .lists
            .iter_mut()
            .find(|(p, _)| *p == purpose)
            .ok_or_else(|| anyhow::anyhow!("no {} list", purpose.as_str()))?;
        Ok(list.set(index, value)?)
    }

    fn claim(&self, key: &PermitKey) -> anyhow::Result<bool> {
        Ok(self
            .in_flight
            .lock()
            .map_err(|_| anyhow::anyhow!("lock poisoned"))?
            .insert(key.clone()))
    }

    fn release(&self, key: &PermitKey) {
        if let Ok(mut set) = self.in_flight.lock() {
            set.remove(key);
        }
    }

    fn allocate(&self) -> anyhow::Result<u64> {
        let mut state = self
            .status
            .lock()
            .map_err(|_| anyhow::anyhow!("status lock poisoned"))?;
        let index = state.next;
        state.next += 1;
        Ok(index)
    }
}

/// The key that records that status index `index` is taken.
fn allocated_key(index: u64) -> Vec<u8> {
    let mut k = vec![b'#'];
    k.extend_from_slice(&index.to_be_bytes());
    k
}

/// The status list URL of this node for `purpose`.
pub fn status_url(base: &str, purpose: StatusPurpose) -> String {
    format!("{base}/status/{}", purpose.as_str())
}

/// What to issue, and what else to write with it.
pub struct Order<'a> {
    /// The permit.
    pub permit: Permit,
    /// The holder's did:key.
    pub holder: &'a str,
    /// Securing mechanism (default: the node's).
    pub mechanism: Option<Mechanism>,
    /// The permit this one replaces (anchored on the issuance entry).
    pub replaces: Option<PermitKey>,
    /// The application it answers.
    pub application: Option<String>,
    /// Makes the writes that must be durable together with the issuance (the application's
    /// new stage, the audit record). Called only once the permit passed every check, right
    /// before the batch, so a refused permit numbers no audit record.
    pub extra: Option<Extra<'a>>,
}

/// See [`Order::extra`].
pub type Extra<'a> = Box<dyn FnOnce() -> anyhow::Result<Vec<SideWrite>> + Send + 'a>;

impl<'a> Order<'a> {
    /// Issue `permit` to `holder`, nothing else.
    pub fn new(permit: Permit, holder: &'a str, mechanism: Option<Mechanism>) -> Order<'a> {
        Order {
            permit,
            holder,
            mechanism,
            replaces: None,
            application: None,
            extra: None,
        }
    }
}

/// Issues the order's permit to its holder and anchors it, durably; [`Issued::evidence`]
/// then waits for the checkpoint (callers holding a lock release it first).
pub async fn issue(state: &AppState, mut order: Order<'_>) -> Result<Issued, IssueError> {
    let holder = order.holder;
    let holder_is_did_key = holder
        .strip_prefix("did:key:")
        .is_some_and(|k| PublicKey::from_multikey(k).is_ok());
    if !holder_is_did_key {
        return Err(IssueError::BadHolder(holder.to_owned()));
    }
    let permit = &order.permit;
    let party = state.config.party;
    if permit.authority.country != party {
        return Err(IssueError::WrongParty {
            ours: party.to_string(),
            theirs: permit.authority.country.to_string(),
        });
    }
    let problems = validate(
        permit,
        &ValidationContext {
            today: Utc::now().date_naive(),
        },
    );
    if !problems.is_empty() {
        return Err(IssueError::Invalid(problems));
    }
    let key = permit.key();
    if !state.issuance.claim(&key)? {
        return Err(IssueError::AlreadyIssued(key));
    }
    // The quota is counted now (box 11a filled from it) and given back if issuance fails, so
    // two issuances at once cannot both take its last specimens.
    let counted: Result<(), IssueError> = match state.quotas.lock() {
        Ok(mut book) => book.issue(&mut order.permit).map_err(IssueError::from),
        Err(_) => Err(anyhow::anyhow!("quota lock poisoned").into()),
    };
    if let Err(e) = counted {
        state.issuance.release(&key);
        return Err(e);
    }
    let counted = order.permit.clone();
    let result = issue_claimed(state, order).await;
    if result.is_err()
        && let Ok(mut book) = state.quotas.lock()
    {
        book.release(&counted);
    }
    state.issuance.release(&key);
    result
}

/// From one pass over the permit records: the quota book (the configured quotas with what
/// the permits on record have used of them; cancelled and replaced permits give theirs back)
/// and the history of quantities issued.
pub fn books(
    config: &crate::config::Config,
    store: &ledger::Store,
) -> anyhow::Result<(contracts::QuotaBook, crate::risk::History)> {
    let mut book = contracts::QuotaBook::new();
    for q in &config.quotas {
        book.add(q.clone());
    }
    let mut history = crate::risk::History::default();
    for record in store::permits(store)? {
        history.add(&record.permit);
        let status = record.lifecycle().status;
        if config.quotas.is_empty()
            || matches!(
                status,
                contracts::Status::Cancelled | contracts::Status::Replaced
            )
        {
            continue;
        }
        book.count_issued(&record.permit);
    }
    Ok((book, history))
}

async fn issue_claimed(state: &AppState, order: Order<'_>) -> Result<Issued, IssueError> {
    let (anchor, issuer, issuance) = (&state.anchor, &state.issuer, &state.issuance);
    let Order {
        permit,
        holder,
        mechanism,
        replaces,
        application,
        extra,
    } = order;
    let permit = &permit;
    let key = permit.key();
    if store::permit(anchor.store(), &key)?.is_some() {
        return Err(IssueError::AlreadyIssued(key));
    }
    let index = issuance.allocate()?;
    let mut salt = [0u8; 32];
    getrandom::getrandom(&mut salt).map_err(|e| anyhow::anyhow!("no randomness: {e}"))?;
    let salt_text = URL_SAFE_NO_PAD.encode(salt);
    let status: Vec<StatusEntry> = [StatusPurpose::Revocation, StatusPurpose::Suspension]
        .into_iter()
        .map(|purpose| StatusEntry {
            purpose,
            list: status_url(&state.base_url, purpose),
            index,
        })
        .collect();
    let vc = credential::build(&Draft {
        permit,
        issuer: &issuer.did,
        holder,
        salt: &salt_text,
        status: &status,
    })
    .map_err(|e| anyhow::anyhow!(e))?;
    // Held until the entry is in the log: a rotation waits, so this key is still valid there.
    let _turn = issuer.turn.read().await;
    let now = Utc::now();
    let credential = issuer
        .current()
        .signer
        .issue(
            &vc,
            mechanism.unwrap_or(issuer.mechanism),
            &now.format("%Y-%m-%dT%H:%M:%SZ").to_string(),
        )
        .map_err(|e| anyhow::anyhow!(e))?;

    let entry = LogEntry::new(
        now,
        EntryKind::Issued {
            permit: key.clone(),
            document_type: permit.document_type,
            valid_from: permit.first_valid_day(),
            valid_until: permit.valid_until,
            credential: Digest(credential.digest()),
            commitment: commit(permit, &salt).map_err(|e| anyhow::anyhow!(e))?,
            replaces,
        },
    )
    .encode()
    .map_err(|e| anyhow::anyhow!(e))?;
    let leaf = leaf_hash(&entry);
    let record = PermitRecord {
        lifecycle: Some(Lifecycle::new(permit)),
        permit: permit.clone(),
        holder: holder.to_owned(),
        salt: salt_text,
        credential: credential.clone(),
        status_index: index,
        leaf_hash: leaf.to_hex(),
        application,
    };
    let mut side_writes = vec![
        store::put_permit(&record)?,
        SideWrite {
            cf: CF_STATUS.into(),
            key: allocated_key(index),
            value: Vec::new(),
        },
    ];
    if let Some(extra) = extra {
        side_writes.extend(extra()?);
    }
    let leaf_index = anchor.append_with(entry.clone(), side_writes).await?;
    if let Ok(mut history) = state.history.lock() {
        history.add(permit);
    }
    tracing::info!(permit = %key, leaf = leaf_index, "permit issued");
    Ok(Issued {
        credential,
        entry,
        leaf_index,
    })
}

/// The evidence bundle of an issued credential, against the newest checkpoint that covers it,
/// with the node's current status lists and the registry entries it holds.
pub async fn bundle_for(
    state: &AppState,
    credential: &Secured,
    entry: &[u8],
    leaf_index: u64,
) -> anyhow::Result<Bundle> {
    let anchor = &state.anchor;
    let size = anchor
        .checkpoint_covering(leaf_index + 1, CHECKPOINT_WAIT)
        .await?;
    let (proof, note) = anchor.inclusion(leaf_index, size)?;
    let log = LogEvidence {
        origin: anchor.origin().to_owned(),
        index: leaf_index,
        entry: STANDARD.encode(entry),
        inclusion_proof: proof.hashes.iter().map(|h| STANDARD.encode(h.0)).collect(),
        checkpoint: String::from_utf8_lossy(&note).into_owned(),
    };
    let registry = match &state.registry {
        Some(r) => r.bundle_leaves()?,
        None => Vec::new(),
    };
    Ok(Bundle::new(
        credential.clone(),
        log,
        state.status_credentials()?,
        registry,
    ))
}

/// Where the issuance entry of a permit this node issued sits in its log, from the `leaf_hash`
/// of its record.
pub fn issuance_index(anchor: &Anchor, key: &PermitKey, leaf_hash: &str) -> anyhow::Result<u64> {
    let leaf = ledger::Hash::from_hex(leaf_hash).context("corrupt permit record")?;
    anchor
        .index_of(&leaf)?
        .with_context(|| format!("{key}: issuance entry missing from the log"))
}
