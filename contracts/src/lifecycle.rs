//! The life of a permit after issuance, as a state machine.
//!
//! ```text
//!            endorse               confirm import
//!  Issued ─────────────▶ Endorsed ───────────────▶ ImportConfirmed
//!    │  ▲ reinstate         │   (multi-use: endorse again per crossing,
//!    ▼  │                   │    confirm each crossing, stays Endorsed)
//!  Suspended                ▼
//!    │            Cancelled / Replaced        (Expired: derived from the date)
//! ```
//!
//! Every node replays the same events from the issuing node's log with [`Lifecycle::apply`], so
//! the rules here are the rules of the network: one consignment per permit (Art. VI.5), never more
//! exported than permitted, never more imported than exported, nothing after expiry except
//! cancellation, and the first import confirmation wins. A refused event leaves the lifecycle
//! unchanged.

use std::collections::BTreeMap;
use std::fmt;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::codes::Country;
use crate::permit::{DocumentType, Permit, PermitKey, SpecialCondition};
use crate::quantity::Quantity;

/// Where a permit stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// Signed and valid, not used yet.
    Issued,
    /// Endorsed at export (multi-use: at least one crossing).
    Endorsed,
    /// The importing Party confirmed the quantities: the permit is used up.
    ImportConfirmed,
    /// Cancelled by the issuing MA.
    Cancelled,
    /// Replaced by another document of the same MA.
    Replaced,
    /// Temporarily not usable.
    Suspended,
    /// Past its last day of validity without being used up.
    Expired,
}

impl Status {
    /// Whether no further event but none can follow.
    pub fn is_final(self) -> bool {
        matches!(
            self,
            Status::ImportConfirmed | Status::Cancelled | Status::Replaced
        )
    }
}

impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let s = match self {
            Status::Issued => "issued",
            Status::Endorsed => "endorsed",
            Status::ImportConfirmed => "import-confirmed",
            Status::Cancelled => "cancelled",
            Status::Replaced => "replaced",
            Status::Suspended => "suspended",
            Status::Expired => "expired",
        };
        f.write_str(s)
    }
}

/// Something that happens to an issued permit.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "event", rename_all = "snake_case", deny_unknown_fields)]
pub enum Event {
    /// Box 14: export customs record the quantities actually exported.
    Endorse {
        /// Day of export.
        on: NaiveDate,
        /// Quantity actually exported per block.
        quantities: BTreeMap<String, Quantity>,
    },
    /// The importing Party confirms the quantities it inspected (EPIX ConfirmQuantities).
    ConfirmImport {
        /// Day of import.
        on: NaiveDate,
        /// The confirming Party.
        by: Country,
        /// Quantity imported per block.
        quantities: BTreeMap<String, Quantity>,
    },
    /// The issuing MA cancels the permit.
    Cancel {
        /// Day of cancellation.
        on: NaiveDate,
    },
    /// The issuing MA replaces the permit by another of its own.
    Replace {
        /// Day of replacement.
        on: NaiveDate,
        /// The replacing document.
        by: PermitKey,
    },
    /// The issuing MA suspends the permit.
    Suspend {
        /// Day of suspension.
        on: NaiveDate,
    },
    /// The issuing MA lifts a suspension.
    Reinstate {
        /// Day of reinstatement.
        on: NaiveDate,
    },
}

impl Event {
    /// The day the event happened.
    pub fn on(&self) -> NaiveDate {
        match self {
            Event::Endorse { on, .. }
            | Event::ConfirmImport { on, .. }
            | Event::Cancel { on }
            | Event::Replace { on, .. }
            | Event::Suspend { on }
            | Event::Reinstate { on } => *on,
        }
    }

    /// A short name for messages.
    pub fn name(&self) -> &'static str {
        match self {
            Event::Endorse { .. } => "export endorsement",
            Event::ConfirmImport { .. } => "import confirmation",
            Event::Cancel { .. } => "cancellation",
            Event::Replace { .. } => "replacement",
            Event::Suspend { .. } => "suspension",
            Event::Reinstate { .. } => "reinstatement",
        }
    }
}

/// Why an event was refused. The lifecycle is unchanged.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TransitionError {
    /// The event cannot follow the current status.
    #[error("{event} is not possible: the permit is {status}")]
    NotInStatus {
        /// The refused event.
        event: &'static str,
        /// The permit's status.
        status: Status,
    },
    /// A single-use permit was already endorsed (one consignment per permit).
    #[error("the permit was already endorsed for export: one consignment per permit")]
    AlreadyEndorsed,
    /// A second import confirmation: the permit may be being re-used.
    #[error("the permit was already confirmed at import by {by} on {on}: possible re-use")]
    AlreadyConfirmed {
        /// Who confirmed first.
        by: Country,
        /// When.
        on: NaiveDate,
    },
    /// An import confirmation for a document that must be endorsed at export first.
    #[error("the permit has no export endorsement; the exporting Party must endorse it first")]
    NotEndorsed,
    /// After the last day of validity only cancellation is possible.
    #[error("{event} on {on} is after the last day of validity {valid_until}")]
    Expired {
        /// The refused event.
        event: &'static str,
        /// Its day.
        on: NaiveDate,
        /// Last day of validity.
        valid_until: NaiveDate,
    },
    /// Used before the first day of validity.
    #[error("{event} on {on} is before the first day of validity {valid_from}")]
    NotYetValid {
        /// The refused event.
        event: &'static str,
        /// Its day.
        on: NaiveDate,
        /// First day of validity.
        valid_from: NaiveDate,
    },
    /// Events arrive in log order; one dated before the previous is refused.
    #[error("{event} on {on} is dated before the previous event ({last})")]
    OutOfOrder {
        /// The refused event.
        event: &'static str,
        /// Its day.
        on: NaiveDate,
        /// Day of the last accepted event.
        last: NaiveDate,
    },
    /// A block the permit does not have.
    #[error("block {0} is not on the permit")]
    UnknownBlock(String),
    /// No quantity, or only zeros.
    #[error("no quantity was given")]
    NoQuantity,
    /// More than the limit for a block.
    #[error("block {block}: {requested} is more than the {limit} {what}")]
    QuantityExceeded {
        /// Block id.
        block: String,
        /// Quantity asked.
        requested: Quantity,
        /// The limit.
        limit: Quantity,
        /// "permitted" or "exported".
        what: &'static str,
    },
    /// A replacement must be another document of the same MA.
    #[error("a permit is replaced by another permit of the same Party, not {0}")]
    BadReplacement(PermitKey),
}

/// One border crossing: what was exported and, once confirmed, what was imported.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Crossing {
    /// Day of export (absent for documents used at import only).
    pub exported_on: Option<NaiveDate>,
    /// Quantities exported per block.
    pub exported: BTreeMap<String, Quantity>,
    /// The import confirmation, if any.
    pub imported: Option<ImportConfirmation>,
}

/// What the importing Party confirmed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImportConfirmation {
    /// The confirming Party.
    pub by: Country,
    /// Day.
    pub on: NaiveDate,
    /// Quantities per block.
    pub quantities: BTreeMap<String, Quantity>,
}

/// The state of one permit, rebuilt from its events.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Lifecycle {
    /// The permit.
    pub key: PermitKey,
    /// Its type (decides single or multi use).
    pub document_type: DocumentType,
    /// First day of validity.
    pub valid_from: NaiveDate,
    /// Last day of validity.
    pub valid_until: NaiveDate,
    /// Permitted quantity per block.
    pub permitted: BTreeMap<String, Quantity>,
    /// Status as recorded by events (expiry is applied by [`Lifecycle::status_on`]).
    pub status: Status,
    /// Status before a suspension, restored on reinstatement.
    pub before_suspension: Option<Status>,
    /// Crossings, in order.
    pub crossings: Vec<Crossing>,
    /// The document this one replaces.
    pub replaces: Option<PermitKey>,
    /// The document that replaced this one.
    pub replaced_by: Option<PermitKey>,
    /// Day of the last accepted event.
    pub last_event: Option<NaiveDate>,
    /// Rebuilt from log entries alone: quantities travel as commitments, so the quantity rules
    /// were checked by the issuing node and only the status rules are checked here.
    #[serde(default)]
    pub redacted: bool,
}

impl Lifecycle {
    /// A freshly issued permit.
    pub fn new(permit: &Permit) -> Lifecycle {
        let replaces = permit.special_conditions.iter().find_map(|c| match c {
            SpecialCondition::Replaces { number, .. } => Some(PermitKey {
                party: permit.authority.country,
                number: number.clone(),
            }),
            _ => None,
        });
        Lifecycle {
            permitted: permit.permitted_quantities(),
            redacted: false,
            ..Lifecycle::redacted(
                permit.key(),
                permit.document_type,
                permit.first_valid_day(),
                permit.valid_until,
                replaces,
            )
        }
    }

    /// A freshly issued permit known only from its log entry: quantities are commitments there,
    /// so only the status rules can be checked (its `redacted` flag is set).
    pub fn redacted(
        key: PermitKey,
        document_type: DocumentType,
        valid_from: NaiveDate,
        valid_until: NaiveDate,
        replaces: Option<PermitKey>,
    ) -> Lifecycle {
        Lifecycle {
            key,
            document_type,
            valid_from,
            valid_until,
            permitted: BTreeMap::new(),
            status: Status::Issued,
            before_suspension: None,
            crossings: Vec::new(),
            replaces,
            replaced_by: None,
            last_event: None,
            redacted: true,
        }
    }

    /// The status on a given day: [`Status::Expired`] once validity has passed unless the permit
    /// reached a final status first.
    pub fn status_on(&self, day: NaiveDate) -> Status {
        if !self.status.is_final() && day > self.valid_until {
            Status::Expired
        } else {
            self.status
        }
    }

    /// Quantity still exportable per block on a single-use permit (zero once endorsed).
    pub fn remaining(&self) -> BTreeMap<String, Quantity> {
        let used_up = !self.document_type.is_multi_use() && !self.crossings.is_empty();
        self.permitted
            .iter()
            .map(|(b, q)| (b.clone(), if used_up { Quantity::ZERO } else { *q }))
            .collect()
    }

    /// Applies an event, or refuses it and changes nothing.
    pub fn apply(&mut self, event: &Event) -> Result<(), TransitionError> {
        let mut next = self.clone();
        next.transition(event)?;
        next.last_event = Some(event.on());
        *self = next;
        Ok(())
    }

    fn transition(&mut self, event: &Event) -> Result<(), TransitionError> {
        let on = event.on();
        let name = event.name();
        if let Some(last) = self.last_event
            && on < last
        {
            return Err(TransitionError::OutOfOrder {
                event: name,
                on,
                last,
            });
        }
        if self.status.is_final() {
            return Err(match (&self.status, event, self.crossings.last()) {
                (
                    Status::ImportConfirmed,
                    Event::ConfirmImport { .. },
                    Some(Crossing {
                        imported: Some(first),
                        ..
                    }),
                ) => TransitionError::AlreadyConfirmed {
                    by: first.by,
                    on: first.on,
                },
                _ => TransitionError::NotInStatus {
                    event: name,
                    status: self.status,
                },
            });
        }
        if !matches!(event, Event::Cancel { .. }) && on > self.valid_until {
            return Err(TransitionError::Expired {
                event: name,
                on,
                valid_until: self.valid_until,
            });
        }
        match event {
            Event::Endorse { on, quantities } => self.endorse(*on, quantities),
            Event::ConfirmImport { on, by, quantities } => self.confirm(*on, *by, quantities),
            Event::Cancel { .. } => {
                self.status = Status::Cancelled;
                Ok(())
            }
            Event::Replace { by, .. } => {
                if by.party != self.key.party || *by == self.key {
                    return Err(TransitionError::BadReplacement(by.clone()));
                }
                let unused = self.status == Status::Issued
                    || (self.status == Status::Suspended
                        && self.before_suspension == Some(Status::Issued));
                if !unused {
                    return Err(TransitionError::NotInStatus {
                        event: name,
                        status: self.status,
                    });
                }
                self.status = Status::Replaced;
                self.replaced_by = Some(by.clone());
                Ok(())
            }
            Event::Suspend { .. } => {
                if self.status == Status::Suspended {
                    return Err(TransitionError::NotInStatus {
                        event: name,
                        status: self.status,
                    });
                }
                self.before_suspension = Some(self.status);
                self.status = Status::Suspended;
                Ok(())
            }
            Event::Reinstate { .. } => match self.before_suspension.take() {
                Some(previous) if self.status == Status::Suspended => {
                    self.status = previous;
                    Ok(())
                }
                _ => Err(TransitionError::NotInStatus {
                    event: name,
                    status: self.status,
                }),
            },
        }
    }

    fn check_quantities(
        &self,
        quantities: &BTreeMap<String, Quantity>,
        limits: &BTreeMap<String, Quantity>,
        what: &'static str,
    ) -> Result<(), TransitionError> {
        if self.redacted {
            return Ok(());
        }
        if quantities.values().all(|q| q.is_zero()) {
            return Err(TransitionError::NoQuantity);
        }
        for (block, q) in quantities {
            if !self.permitted.contains_key(block) {
                return Err(TransitionError::UnknownBlock(block.clone()));
            }
            let limit = limits.get(block).copied().unwrap_or(Quantity::ZERO);
            if *q > limit {
                return Err(TransitionError::QuantityExceeded {
                    block: block.clone(),
                    requested: *q,
                    limit,
                    what,
                });
            }
        }
        Ok(())
    }

    fn endorse(
        &mut self,
        on: NaiveDate,
        quantities: &BTreeMap<String, Quantity>,
    ) -> Result<(), TransitionError> {
        let name = "export endorsement";
        match self.status {
            Status::Issued => {}
            Status::Endorsed if self.document_type.is_multi_use() => {}
            Status::Endorsed => return Err(TransitionError::AlreadyEndorsed),
            status => {
                return Err(TransitionError::NotInStatus {
                    event: name,
                    status,
                });
            }
        }
        if !self.document_type.issued_by_exporting_party() {
            return Err(TransitionError::NotInStatus {
                event: name,
                status: self.status,
            });
        }
        if on < self.valid_from {
            return Err(TransitionError::NotYetValid {
                event: name,
                on,
                valid_from: self.valid_from,
            });
        }
        self.check_quantities(quantities, &self.permitted, "permitted")?;
        self.crossings.push(Crossing {
            exported_on: Some(on),
            exported: quantities.clone(),
            imported: None,
        });
        self.status = Status::Endorsed;
        Ok(())
    }

    fn confirm(
        &mut self,
        on: NaiveDate,
        by: Country,
        quantities: &BTreeMap<String, Quantity>,
    ) -> Result<(), TransitionError> {
        let name = "import confirmation";
        if on < self.valid_from {
            return Err(TransitionError::NotYetValid {
                event: name,
                on,
                valid_from: self.valid_from,
            });
        }
        let confirmation = ImportConfirmation {
            by,
            on,
            quantities: quantities.clone(),
        };
        if !self.document_type.issued_by_exporting_party() {
            // Import permits and introductions from the sea are used at import itself.
            if self.status != Status::Issued {
                return Err(TransitionError::NotInStatus {
                    event: name,
                    status: self.status,
                });
            }
            self.check_quantities(quantities, &self.permitted, "permitted")?;
            self.crossings.push(Crossing {
                exported_on: None,
                exported: BTreeMap::new(),
                imported: Some(confirmation),
            });
            self.status = Status::ImportConfirmed;
            return Ok(());
        }
        match self.status {
            Status::Endorsed => {}
            Status::Issued => return Err(TransitionError::NotEndorsed),
            status => {
                return Err(TransitionError::NotInStatus {
                    event: name,
                    status,
                });
            }
        }
        let Some(crossing) = self.crossings.last() else {
            return Err(TransitionError::NotEndorsed);
        };
        if let Some(first) = &crossing.imported {
            // Multi-use: this crossing is confirmed already; the next needs a new endorsement.
            return Err(TransitionError::AlreadyConfirmed {
                by: first.by,
                on: first.on,
            });
        }
        let exported = crossing.exported.clone();
        self.check_quantities(quantities, &exported, "exported")?;
        if let Some(crossing) = self.crossings.last_mut() {
            crossing.imported = Some(confirmation);
        }
        if !self.document_type.is_multi_use() {
            self.status = Status::ImportConfirmed;
        }
        Ok(())
    }
}
