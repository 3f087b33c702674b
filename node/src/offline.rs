//! Verification with no network: the pinned genesis and an evidence bundle are all a border
//! post has. The registry is rebuilt from the bundle's registry entries (each checked against
//! the genesis, signature by signature), the issuance entry is checked against a checkpoint
//! cosigned by the genesis witness quorum, and the status comes from the issuer's signed status
//! lists in the bundle. Whatever the bundle does not prove fails, with its reason.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use chrono::{DateTime, TimeZone, Utc};
use contracts::{Country, Digest, EntryKind, Lifecycle, LogEntry, PermitKey};
use credentials::bundle::Bundle;
use credentials::credential::{self, StatusEntry};
use credentials::keys::PublicKey;
use credentials::status::StatusList;
use credentials::verify::{Anchor, Trust};
use did_registry::{AsOf, Entry, Genesis, Position, Registry};
use ledger::{CosignatureVerifier, InclusionProof, LogTrust, NoteVerifier};

/// What an offline verifier knows: the genesis and one bundle.
pub struct OfflineTrust {
    genesis: Genesis,
    registry: Registry,
    bundle: Bundle,
    /// Refusals while rebuilding the registry (reported in reasons).
    refused: usize,
}

impl OfflineTrust {
    /// Rebuilds the registry from the bundle's entries.
    pub fn new(genesis: Genesis, bundle: Bundle) -> anyhow::Result<OfflineTrust> {
        let mut leaves = Vec::new();
        for leaf in &bundle.registry {
            let bytes = STANDARD
                .decode(&leaf.entry)
                .map_err(|_| anyhow::anyhow!("a registry entry in the bundle is not base64"))?;
            let at = Entry::decode(&bytes)
                .map_err(|e| anyhow::anyhow!("a registry entry in the bundle: {e}"))?
                .unsigned
                .at;
            leaves.push((
                Position {
                    log: leaf.log.clone(),
                    index: leaf.index,
                    time: at,
                },
                bytes,
            ));
        }
        let (registry, refused) = Registry::replay(&genesis, leaves);
        Ok(OfflineTrust {
            genesis,
            registry,
            bundle,
            refused: refused.len(),
        })
    }

    /// The issuer the bundle's credential names.
    fn issuer(&self) -> Result<String, String> {
        let document = self
            .bundle
            .credential
            .unverified_document()
            .map_err(|e| e.to_string())?;
        Ok(credential::read(&document)
            .map_err(|e| e.to_string())?
            .issuer)
    }

    fn log_trust(&self, issuer: &str) -> Result<LogTrust, String> {
        let list = did_registry::trust_list::TrustList::build(&self.registry, &AsOf::Now)
            .map_err(|e| e.to_string())?;
        let authority = list
            .parties
            .values()
            .flatten()
            .find(|a| a.did.to_string() == issuer)
            .ok_or_else(|| {
                format!("{issuer} is not an accredited authority in the bundle's registry entries")
            })?;
        if authority.log_origin.to_string() != self.bundle.log.origin {
            return Err(format!(
                "the bundle's log {} is not {issuer}'s log {}",
                self.bundle.log.origin, authority.log_origin
            ));
        }
        let policy = &self.genesis.witness_policy;
        let witnesses = policy
            .witnesses
            .iter()
            .map(|w| {
                CosignatureVerifier::from_key_string(&w.key.to_string()).map_err(|e| e.to_string())
            })
            .collect::<Result<Vec<_>, _>>()?;
        Ok(LogTrust {
            origin: self.bundle.log.origin.clone(),
            log_key: NoteVerifier::from_key_string(&authority.log_key.to_string())
                .map_err(|e| e.to_string())?,
            witnesses,
            quorum: policy.quorum as usize,
        })
    }

    /// When the bundle was assembled: what it says of the permit's life is as of then.
    fn as_of(&self) -> Result<DateTime<Utc>, String> {
        self.bundle.created.parse().map_err(|_| {
            format!(
                "the bundle's creation time {:?} is not a date-time",
                self.bundle.created
            )
        })
    }
}

impl Trust for OfflineTrust {
    fn issuer_key(
        &self,
        issuer: &str,
        method: &str,
        at: DateTime<Utc>,
        anchor: Option<&credentials::verify::Anchor>,
    ) -> Result<PublicKey, String> {
        let key = self
            .registry
            .key_valid_at(issuer, method, &crate::registry::anchored_at(at, anchor))
            .map_err(|e| {
                format!(
                    "{e} (from the bundle's {} registry entries, {} refused)",
                    self.bundle.registry.len(),
                    self.refused
                )
            })?;
        PublicKey::from_bytes(&key.to_bytes()).map_err(|e| e.to_string())
    }

    fn accredited(&self, issuer: &str, party: Country, at: DateTime<Utc>) -> Result<(), String> {
        crate::registry::management_authority_at(&self.registry, issuer, party.code(), at)
    }

    fn anchor(&self, permit: &PermitKey, credential: &Digest) -> Result<Anchor, String> {
        let log = &self.bundle.log;
        let entry_bytes = log.entry_bytes().map_err(|e| e.to_string())?;
        let entry = LogEntry::decode(&entry_bytes).map_err(|e| e.to_string())?;
        let EntryKind::Issued {
            permit: key,
            credential: anchored,
            commitment,
            ..
        } = &entry.event
        else {
            return Err("the bundle's log entry is not an issuance".into());
        };
        if key != permit || anchored != credential {
            return Err("the bundle's log entry is not this credential's issuance".into());
        }
        let issuer = self.issuer()?;
        let trust = self.log_trust(&issuer)?;
        let proof = InclusionProof {
            hashes: log
                .proof_hashes()
                .map_err(|e| e.to_string())?
                .into_iter()
                .map(ledger::Hash)
                .collect(),
        };
        let verified = ledger::verify_entry(
            &entry_bytes,
            log.index,
            &proof,
            log.checkpoint.as_bytes(),
            &trust,
        )
        .map_err(|e| match e {
            // Usually a bundle taken at issuance, before the witnesses' first round.
            ledger::OfflineError::NotEnoughCosignatures { got: 0, .. } => format!(
                "{e}; a bundle taken right after issuance has no cosignatures yet: refresh it \
                 (`cites-wallet refresh`, or POST /evidence to the issuing node) once the \
                 witnesses have cosigned, a few seconds later"
            ),
            e => e.to_string(),
        })?;
        let since = verified
            .cosigned_since
            .and_then(|t| Utc.timestamp_opt(t as i64, 0).single())
            .map(|t| format!(", cosigned since {t}"))
            .unwrap_or_default();
        Ok(Anchor {
            issued_at: entry.at,
            commitment: *commitment,
            origin: log.origin.clone(),
            index: log.index,
            evidence: format!(
                "leaf {} of {} under checkpoint {} cosigned by {} of the genesis witnesses (quorum {}){since}",
                log.index,
                log.origin,
                verified.checkpoint.size(),
                verified.witnesses.len(),
                trust.quorum
            ),
        })
    }

    fn lifecycle(&self, permit: &PermitKey) -> Result<(Lifecycle, DateTime<Utc>), String> {
        // Offline, the bundle's issuance is all that is known of the permit's life; the status
        // lists say whether it was revoked or suspended since.
        let claims = credential::read(
            &self
                .bundle
                .credential
                .unverified_document()
                .map_err(|e| e.to_string())?,
        )
        .map_err(|e| e.to_string())?;
        if claims.permit.key() != *permit {
            return Err("the bundle is for another permit".into());
        }
        Ok((Lifecycle::new(&claims.permit), self.as_of()?))
    }

    fn status_bit(&self, entry: &StatusEntry) -> Result<(bool, DateTime<Utc>), String> {
        let issuer = self.issuer()?;
        for secured in &self.bundle.status {
            let doc = secured.unverified_document().map_err(|e| e.to_string())?;
            if doc["id"] != entry.list.as_str() {
                continue;
            }
            let method = secured.unverified_method().map_err(|e| e.to_string())?;
            let key = self.issuer_key(&issuer, &method, Utc::now(), None)?;
            secured
                .check(&key, false)
                .map_err(|e| format!("status list: {e}"))?;
            let list =
                StatusList::from_credential(&doc, entry.purpose).map_err(|e| e.to_string())?;
            let as_of = doc["validFrom"]
                .as_str()
                .and_then(|t| t.parse::<DateTime<Utc>>().ok())
                .ok_or_else(|| "status list without validFrom".to_owned())?;
            return Ok((list.get(entry.index).map_err(|e| e.to_string())?, as_of));
        }
        Err(format!("the bundle has no status list {}", entry.list))
    }
}
