//! The node's answer to the verification pipeline's questions, from what it holds: its own
//! identity, its own log and permit records, its own status lists.
//!
//! Credentials of other Parties fail closed here ("not in this node's registry") until the
//! registry and log replicas arrive over the network; nothing is ever fetched.

use chrono::{DateTime, Utc};
use contracts::{Country, Digest, EntryKind, Lifecycle, LogEntry, PermitKey};
use credentials::credential::StatusEntry;
use credentials::keys::PublicKey;
use credentials::verify::{Anchor as Anchored, Trust};
use ledger::Hash;

use crate::http::AppState;
use crate::store;

/// A view of the node's state for one verification.
pub struct NodeTrust<'a> {
    /// The node.
    pub state: &'a AppState,
    /// When the view was taken.
    pub now: DateTime<Utc>,
}

impl NodeTrust<'_> {
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

    fn record(&self, permit: &PermitKey) -> Result<store::PermitRecord, String> {
        store::permit(self.state.anchor.store(), permit)
            .map_err(|e| e.to_string())?
            .ok_or_else(|| format!("{permit} was not issued by this node"))
    }
}

impl Trust for NodeTrust<'_> {
    fn issuer_key(
        &self,
        issuer: &str,
        method: &str,
        at: DateTime<Utc>,
    ) -> Result<PublicKey, String> {
        match &self.state.registry {
            // The registry decides, as of the issuance time: rotated, recovered or withdrawn
            // keys are not valid for what was signed after.
            Some(registry) => {
                let bytes = registry.key_at(issuer, method, at)?;
                PublicKey::from_bytes(&bytes).map_err(|e| e.to_string())
            }
            None => {
                self.own(issuer)?;
                if method != self.state.issuer.signer.method() {
                    return Err(format!("{method} is not an assertion key of {issuer}"));
                }
                Ok(self.state.issuer.signer.public())
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
        let record = self.record(permit)?;
        let leaf = Hash::from_hex(&record.leaf_hash).map_err(|e| e.to_string())?;
        let reader = self.state.anchor.reader();
        let index = reader
            .index_of(&leaf)
            .map_err(|e| e.to_string())?
            .ok_or_else(|| format!("{permit}: issuance entry missing from the log"))?;
        let checkpoint = reader
            .latest_checkpoint()
            .map_err(|e| e.to_string())?
            .filter(|c| c.size() > index)
            .ok_or_else(|| "no checkpoint covers the issuance yet".to_owned())?;
        let proof = reader
            .inclusion_proof(index, checkpoint.size())
            .map_err(|e| e.to_string())?;
        ledger::verify_inclusion(&leaf, index, checkpoint.size(), &proof, &checkpoint.root())
            .map_err(|e| format!("inclusion proof failed: {e}"))?;
        let entry = LogEntry::decode(&reader.leaf(index).map_err(|e| e.to_string())?)
            .map_err(|e| e.to_string())?;
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
        let note = reader
            .cosigned_checkpoint(checkpoint.size())
            .map_err(|e| e.to_string())?
            .unwrap_or_default();
        // Signature lines other than the log's own are witness cosignatures.
        let origin = self.state.anchor.origin();
        let cosignatures = String::from_utf8_lossy(&note)
            .lines()
            .filter(|l| l.starts_with("— ") && !l.starts_with(&format!("— {origin} ")))
            .count();
        Ok(Anchored {
            issued_at: entry.at,
            commitment,
            evidence: format!(
                "leaf {index} of {origin} under checkpoint {} ({cosignatures} witness cosignature(s))",
                checkpoint.size()
            ),
        })
    }

    fn lifecycle(&self, permit: &PermitKey) -> Result<(Lifecycle, DateTime<Utc>), String> {
        Ok((Lifecycle::new(&self.record(permit)?.permit), self.now))
    }

    fn status_bit(&self, entry: &StatusEntry) -> Result<(bool, DateTime<Utc>), String> {
        if entry.list != crate::issuance::status_url(&self.state.base_url, entry.purpose) {
            return Err(format!("status list {} is not this node's", entry.list));
        }
        let list = self
            .state
            .issuance
            .list(entry.purpose)
            .map_err(|e| e.to_string())?;
        Ok((list.get(entry.index).map_err(|e| e.to_string())?, self.now))
    }
}
