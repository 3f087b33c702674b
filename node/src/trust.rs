//! The node's answer to the verification pipeline's questions, from what it holds: its own
//! identity, its own log and permit records, its own status lists.
//!
//! Credentials of other Parties fail closed here ("not in this node's registry") until the
//! registry and log replicas arrive over the network. The one thing fetched is another node's
//! status list, from a peer or an accredited node's endpoint, and only by a view that may block.

use std::cell::{Cell, RefCell};
use std::rc::Rc;

use chrono::{DateTime, Utc};
use contracts::{Country, Digest, EntryKind, Lifecycle, LogEntry, PermitKey};
use credentials::credential::StatusEntry;
use credentials::keys::PublicKey;
use credentials::status::StatusList;
use credentials::verify::{Anchor as Anchored, Trust};

use crate::http::AppState;
use crate::store::{self, PermitFacts};

/// A view of the node's state for one verification.
pub struct NodeTrust<'a> {
    /// The node.
    pub state: &'a AppState,
    /// When the view was taken.
    now: DateTime<Utc>,
    /// What was last read of a permit record: the pipeline asks about one permit three times
    /// (anchor, status, use), and each read is a RocksDB look-up and a decoding.
    record: RefCell<Option<(PermitKey, Option<Rc<PermitFacts>>)>>,
    /// Whether this view may fetch another node's status list, a blocking call that may take
    /// seconds on a slow link; a view that may not notes that it needed to in `wanted_fetch`.
    may_fetch: bool,
    wanted_fetch: Cell<bool>,
}

impl<'a> NodeTrust<'a> {
    /// A view of `state` as of `now`.
    pub fn new(state: &'a AppState, now: DateTime<Utc>) -> NodeTrust<'a> {
        NodeTrust {
            state,
            now,
            record: RefCell::new(None),
            may_fetch: true,
            wanted_fetch: Cell::new(false),
        }
    }

    /// A view that answers only from what the node holds, for a verification run on the async
    /// runtime: where [`NodeTrust::new`] would fetch a status list from another node, this one
    /// fails the check and [`NodeTrust::wanted_fetch`] tells the caller to run it again where
    /// blocking is allowed.
    pub fn local(state: &'a AppState, now: DateTime<Utc>) -> NodeTrust<'a> {
        NodeTrust {
            may_fetch: false,
            ..NodeTrust::new(state, now)
        }
    }

    /// Whether a [`NodeTrust::local`] view's answers lack a status list it would have fetched.
    pub fn wanted_fetch(&self) -> bool {
        self.wanted_fetch.get()
    }

    /// What this node's record of `permit` says, if it issued it.
    fn record(&self, permit: &PermitKey) -> Result<Option<Rc<PermitFacts>>, String> {
        if let Some((key, record)) = &*self.record.borrow()
            && key == permit
        {
            return Ok(record.clone());
        }
        let record = store::permit_facts(self.state.anchor.store(), permit)
            .map_err(|e| e.to_string())?
            .map(Rc::new);
        *self.record.borrow_mut() = Some((permit.clone(), record.clone()));
        Ok(record)
    }

    fn own(&self, issuer: &str) -> Result<(), String> {
        if issuer == self.state.issuer.did {
            Ok(())
        } else {
            Err(format!(
                "{issuer} is not in this node's registry (only {} is, until replication)",
                self.state.issuer.did
            ))
        }
    }

    /// Another node's status list, fetched from it (only from a configured peer or a node
    /// endpoint the registry lists for an accredited authority: a credential does not get to
    /// make this node fetch arbitrary URLs) and checked against its issuer's key in the
    /// registry.
    fn foreign_status_bit(&self, entry: &StatusEntry) -> Result<(bool, DateTime<Utc>), String> {
        let registry = self
            .state
            .registry
            .as_ref()
            .ok_or("this node pins no genesis")?;
        // An accredited node's endpoint serves its own status lists only.
        let accredited = registry.node_endpoints().map_err(|e| format!("{e:#}"))?;
        let owner = accredited
            .iter()
            .find(|(_, url)| entry.list.starts_with(&format!("{url}/status/")))
            .map(|(did, _)| did.clone());
        let peer = self
            .state
            .config
            .peers
            .iter()
            .chain(
                accredited
                    .iter()
                    .filter(|(did, _)| Some(did) == owner.as_ref())
                    .map(|(_, url)| url),
            )
            .find(|p| {
                entry
                    .list
                    .starts_with(&format!("{}/", p.trim_end_matches('/')))
            })
            .ok_or_else(|| {
                format!(
                    "status list {} is not served by a peer of this node or an accredited node",
                    entry.list
                )
            })?;
        // Only a list this node would fetch makes the caller run the verification again.
        if !self.may_fetch {
            self.wanted_fetch.set(true);
            return Err(format!(
                "{} is not fetched on the async runtime",
                entry.list
            ));
        }
        let mut r = self
            .state
            .peers_http
            .get(&entry.list)
            .call()
            .map_err(|e| format!("cannot fetch the status list from {peer}: {e}"))?;
        if r.status() != 200 {
            return Err(format!("{} answered {}", entry.list, r.status()));
        }
        let text = r.body_mut().read_to_string().map_err(|e| e.to_string())?;
        let (secured, doc) = credentials::Secured::parse_read(&text).map_err(|e| e.to_string())?;
        if doc["id"] != entry.list.as_str() {
            return Err("the status list answered is not the one the credential names".into());
        }
        let issuer = doc["issuer"]
            .as_str()
            .ok_or("status list without issuer")?
            .to_owned();
        if owner.as_ref().is_some_and(|o| *o != issuer) {
            return Err(format!(
                "the status list at {} is signed by {issuer}, not by the node's authority",
                entry.list
            ));
        }
        let method = secured.unverified_method().map_err(|e| e.to_string())?;
        let key = registry.key_at(&issuer, &method, self.now, None)?;
        secured
            .check(&key, false)
            .map_err(|e| format!("status list signature: {e}"))?;
        let list = StatusList::from_credential(&doc, entry.purpose).map_err(|e| e.to_string())?;
        Ok((list.get(entry.index).map_err(|e| e.to_string())?, self.now))
    }

    /// Where another Party's issuance of `permit` sits in our replicas.
    fn foreign_issuance(&self, permit: &PermitKey) -> Result<(ledger::LogReader, u64), String> {
        for (origin, index) in
            store::permit_entries(self.state.anchor.store(), permit).map_err(|e| e.to_string())?
        {
            let reader = ledger::LogReader::new(self.state.anchor.store().clone(), &origin);
            let leaf = reader.leaf(index).map_err(|e| e.to_string())?;
            if matches!(
                LogEntry::decode(&leaf).map(|e| e.event),
                Ok(EntryKind::Issued { .. })
            ) {
                return Ok((reader, index));
            }
        }
        Err(format!(
            "{permit} is neither issued by this node nor in its replicas of the other logs"
        ))
    }
}

impl Trust for NodeTrust<'_> {
    fn issuer_key(
        &self,
        issuer: &str,
        method: &str,
        at: DateTime<Utc>,
        anchor: Option<&Anchored>,
    ) -> Result<PublicKey, String> {
        match &self.state.registry {
            // The registry decides, as of the issuance time: rotated, recovered or withdrawn
            // keys are not valid for what was signed after.
            Some(registry) => registry.key_at(issuer, method, at, anchor),
            None => {
                self.own(issuer)?;
                let key = self.state.issuer.current();
                if method != key.signer.method() {
                    return Err(format!("{method} is not an assertion key of {issuer}"));
                }
                Ok(key.signer.public())
            }
        }
    }

    fn accredited(&self, issuer: &str, party: Country, at: DateTime<Utc>) -> Result<(), String> {
        match &self.state.registry {
            Some(registry) => registry.management_authority_at(issuer, party.code(), at),
            // Fail closed: without a genesis nobody vouches for this node, itself included.
            None => Err("this node pins no genesis, so it cannot check any accreditation".into()),
        }
    }

    fn anchor(&self, permit: &PermitKey, credential: &Digest) -> Result<Anchored, String> {
        // Our own permit: its record points to the leaf. Another Party's: the replica index.
        let (reader, index) = match self.record(permit)? {
            Some(record) => (
                self.state.anchor.reader().clone(),
                crate::issuance::issuance_index(&self.state.anchor, permit, &record.leaf_hash)
                    .map_err(|e| e.to_string())?,
            ),
            None => self.foreign_issuance(permit)?,
        };
        let origin = reader.origin().to_owned();
        let checkpoint = reader
            .latest_checkpoint()
            .map_err(|e| e.to_string())?
            .filter(|c| c.size() > index)
            .ok_or_else(|| format!("no checkpoint of {origin} covers the issuance yet"))?;
        let leaf_bytes = reader.leaf(index).map_err(|e| e.to_string())?;
        let proof = reader
            .inclusion_proof(index, checkpoint.size())
            .map_err(|e| e.to_string())?;
        ledger::verify_inclusion(
            &ledger::leaf_hash(&leaf_bytes),
            index,
            checkpoint.size(),
            &proof,
            &checkpoint.root(),
        )
        .map_err(|e| format!("inclusion proof failed: {e}"))?;
        let entry = LogEntry::decode(&leaf_bytes).map_err(|e| e.to_string())?;
        let EntryKind::Issued {
            credential: anchored,
            commitment,
            permit: key,
            ..
        } = entry.event
        else {
            return Err("the entry is not an issuance".into());
        };
        if key != *permit || anchored != *credential {
            return Err("this is not the credential the issuer's log recorded".into());
        }
        let note = reader.cosigned(&checkpoint).map_err(|e| e.to_string())?;
        // Signature lines other than the log's own are witness cosignatures.
        let own = format!("— {origin} ");
        let cosignatures = String::from_utf8_lossy(&note)
            .lines()
            .filter(|l| l.starts_with("— ") && !l.starts_with(&own))
            .count();
        Ok(Anchored {
            issued_at: entry.at,
            commitment,
            origin: origin.clone(),
            index,
            evidence: format!(
                "leaf {index} of {origin} under checkpoint {} ({cosignatures} witness cosignature(s))",
                checkpoint.size()
            ),
        })
    }

    fn lifecycle(&self, permit: &PermitKey) -> Result<(Lifecycle, DateTime<Utc>), String> {
        if let Some(record) = self.record(permit)? {
            return Ok((record.lifecycle.clone(), self.now));
        }
        // Another Party's permit: replay its entries from our replica of the issuer's log,
        // with the same rules every node applies (quantities stay on the issuing node).
        let mut register = contracts::Register::new(permit.party);
        for (origin, index) in
            store::permit_entries(self.state.anchor.store(), permit).map_err(|e| e.to_string())?
        {
            let reader = ledger::LogReader::new(self.state.anchor.store().clone(), &origin);
            let entry = LogEntry::decode(&reader.leaf(index).map_err(|e| e.to_string())?)
                .map_err(|e| e.to_string())?;
            if let Err(e) = register.apply(&entry) {
                tracing::warn!(permit = %permit, %origin, index, error = %e, "replicated permit entry breaks the rules");
            }
        }
        let lifecycle = register
            .get(permit)
            .cloned()
            .ok_or_else(|| format!("{permit} is not in this node's replicas"))?;
        Ok((lifecycle, self.now))
    }

    fn status_bit(&self, entry: &StatusEntry) -> Result<(bool, DateTime<Utc>), String> {
        if entry.list != crate::issuance::status_url(&self.state.base_url, entry.purpose) {
            return self.foreign_status_bit(entry);
        }
        let bit = self
            .state
            .issuance
            .bit(entry.purpose, entry.index)
            .map_err(|e| e.to_string())?;
        Ok((bit, self.now))
    }
}
