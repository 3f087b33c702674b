//! Replaying a log: the rules every node applies to another MA's entries.
//!
//! A replica sees only [`LogEntry`]s (keys, kinds, days, commitments), so it rebuilds each
//! permit's [`Lifecycle`] with quantities redacted and applies the status rules: one issuance per
//! key, only the log owner's own permits, one consignment per permit, the first import
//! confirmation wins, nothing after expiry but cancellation. An entry that breaks them is
//! reported, not applied; the caller decides whether it is an alert.

use std::collections::BTreeMap;

use crate::codes::Country;
use crate::entry::{EntryKind, LogEntry};
use crate::lifecycle::{Lifecycle, TransitionError};
use crate::permit::PermitKey;

/// Why an entry was not applied.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ReplayError {
    /// A log may only carry permits of its own Party.
    #[error("entry for {permit} on the log of {owner}: a log carries its own Party's permits only")]
    ForeignPermit {
        /// The permit.
        permit: PermitKey,
        /// Party of the log owner.
        owner: Country,
    },
    /// The same key issued twice.
    #[error("{0} was already issued")]
    DuplicateIssuance(PermitKey),
    /// An event for a permit never issued.
    #[error("{0} was never issued on this log")]
    UnknownPermit(PermitKey),
    /// The event breaks the lifecycle rules.
    #[error("{permit}: {error}")]
    Transition {
        /// The permit.
        permit: PermitKey,
        /// The broken rule.
        error: TransitionError,
    },
}

/// The permits of one log, as replayed from its entries.
#[derive(Debug, Clone)]
pub struct Register {
    owner: Country,
    permits: BTreeMap<PermitKey, Lifecycle>,
}

impl Register {
    /// An empty register for the log of `owner`.
    pub fn new(owner: Country) -> Register {
        Register {
            owner,
            permits: BTreeMap::new(),
        }
    }

    /// The lifecycle of a permit.
    pub fn get(&self, key: &PermitKey) -> Option<&Lifecycle> {
        self.permits.get(key)
    }

    /// Number of permits.
    pub fn len(&self) -> usize {
        self.permits.len()
    }

    /// Whether no permit was issued.
    pub fn is_empty(&self) -> bool {
        self.permits.is_empty()
    }

    /// Applies one entry, or reports why it breaks the rules and changes nothing.
    pub fn apply(&mut self, entry: &LogEntry) -> Result<(), ReplayError> {
        let key = entry.event.permit().clone();
        if key.party != self.owner {
            return Err(ReplayError::ForeignPermit {
                permit: key,
                owner: self.owner,
            });
        }
        if let EntryKind::Issued {
            document_type,
            valid_from,
            valid_until,
            replaces,
            ..
        } = &entry.event
        {
            if self.permits.contains_key(&key) {
                return Err(ReplayError::DuplicateIssuance(key));
            }
            let lifecycle = Lifecycle::redacted(
                key.clone(),
                *document_type,
                *valid_from,
                *valid_until,
                replaces.clone(),
            );
            self.permits.insert(key, lifecycle);
            return Ok(());
        }
        let Some(lifecycle) = self.permits.get_mut(&key) else {
            return Err(ReplayError::UnknownPermit(key));
        };
        let Some(event) = entry.event.to_event() else {
            return Ok(());
        };
        lifecycle
            .apply(&event)
            .map_err(|error| ReplayError::Transition { permit: key, error })
    }
}
