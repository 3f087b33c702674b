//! National export quotas (Res. Conf. 14.7): a ceiling per Party, species and calendar year,
//! optionally narrowed to terms, sources and purposes.
//!
//! A quota is checked before signing: issuing beyond it is refused with what remains, and box 11a
//! is filled from the same figures. The book is plain data; the node persists it.

use std::collections::BTreeMap;

use chrono::Datelike;
use serde::{Deserialize, Serialize};

use crate::codes::{Country, Purpose, Source, Term, Unit};
use crate::permit::{DocumentType, Permit, QuotaPosition, SpeciesBlock};
use crate::quantity::Quantity;

/// One quota.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Quota {
    /// Exporting Party.
    pub party: Country,
    /// Accepted scientific name.
    pub species: String,
    /// Calendar year.
    pub year: i32,
    /// The ceiling (zero: no export allowed).
    pub quantity: Quantity,
    /// Its unit.
    #[serde(default = "number")]
    pub unit: Unit,
    /// Terms it covers (empty: all).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub terms: Vec<Term>,
    /// Sources it covers (empty: all).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub sources: Vec<Source>,
    /// Purposes it covers (empty: all).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub purposes: Vec<Purpose>,
}

fn number() -> Unit {
    Unit::Number
}

impl Quota {
    fn covers(&self, party: Country, year: i32, purpose: Purpose, block: &SpeciesBlock) -> bool {
        self.party == party
            && self.year == year
            && self
                .species
                .eq_ignore_ascii_case(block.scientific_name.trim())
            && (self.terms.is_empty() || self.terms.contains(&block.term))
            && (self.sources.is_empty() || self.sources.contains(&block.source))
            && (self.purposes.is_empty() || self.purposes.contains(&purpose))
    }
}

/// Why a permit cannot be issued under the quotas.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum QuotaError {
    /// Issuing would exceed the quota.
    #[error(
        "block {block}: {requested} {unit} of {species} exceeds the {year} quota; {remaining} {unit} remain of {quota}"
    )]
    Exceeded {
        /// Block id.
        block: String,
        /// Species.
        species: String,
        /// Quota year.
        year: i32,
        /// Quantity asked for.
        requested: Quantity,
        /// What is left.
        remaining: Quantity,
        /// The quota.
        quota: Quantity,
        /// Unit.
        unit: Unit,
    },
    /// The block is in another unit than the quota, so it cannot be counted against it.
    #[error("block {block}: the {species} quota is in {quota_unit}, the block in {block_unit}")]
    UnitMismatch {
        /// Block id.
        block: String,
        /// Species.
        species: String,
        /// Quota unit.
        quota_unit: Unit,
        /// Block unit.
        block_unit: Unit,
    },
}

/// Quotas and what has been used of them.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct QuotaBook {
    quotas: Vec<Quota>,
    used: BTreeMap<usize, Quantity>,
}

/// The quota a block counts against, with the box-11a figures it produces.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QuotaUse {
    /// Block id.
    pub block: String,
    /// Index of the quota in the book.
    pub quota: usize,
    /// Box 11a.
    pub position: QuotaPosition,
}

impl QuotaBook {
    /// An empty book.
    pub fn new() -> QuotaBook {
        QuotaBook::default()
    }

    /// Adds a quota and returns its index.
    pub fn add(&mut self, quota: Quota) -> usize {
        self.quotas.push(quota);
        self.quotas.len() - 1
    }

    /// The quotas.
    pub fn quotas(&self) -> &[Quota] {
        &self.quotas
    }

    /// Used quantity of quota `index`.
    pub fn used(&self, index: usize) -> Quantity {
        self.used.get(&index).copied().unwrap_or_default()
    }

    /// Checks every block of a permit against the quotas that cover it, in the year of issue.
    /// Blocks of one permit counting against the same quota are summed.
    pub fn check(&self, permit: &Permit) -> Result<Vec<QuotaUse>, QuotaError> {
        // National export quotas count exports of the Party's own specimens: export permits.
        if permit.document_type != DocumentType::ExportPermit {
            return Ok(Vec::new());
        }
        let party = permit.authority.country;
        let year = permit.issued.date.year();
        let mut pending: BTreeMap<usize, Quantity> = BTreeMap::new();
        let mut uses = Vec::new();
        for block in &permit.blocks {
            for (index, quota) in self.quotas.iter().enumerate() {
                if !quota.covers(party, year, permit.purpose, block) {
                    continue;
                }
                if quota.unit != block.unit {
                    return Err(QuotaError::UnitMismatch {
                        block: block.id.clone(),
                        species: quota.species.clone(),
                        quota_unit: quota.unit,
                        block_unit: block.unit,
                    });
                }
                let before = self
                    .used(index)
                    .checked_add(pending.get(&index).copied().unwrap_or_default())
                    .unwrap_or(Quantity::from_milli(u64::MAX));
                let after = before.checked_add(block.quantity);
                match after {
                    Some(after) if after <= quota.quantity => {
                        pending.insert(index, after.saturating_sub(self.used(index)));
                        uses.push(QuotaUse {
                            block: block.id.clone(),
                            quota: index,
                            position: QuotaPosition {
                                exported_to_date: after,
                                annual_quota: quota.quantity,
                                unit: quota.unit,
                            },
                        });
                    }
                    _ => {
                        return Err(QuotaError::Exceeded {
                            block: block.id.clone(),
                            species: quota.species.clone(),
                            year,
                            requested: block.quantity,
                            remaining: quota.quantity.saturating_sub(before),
                            quota: quota.quantity,
                            unit: quota.unit,
                        });
                    }
                }
            }
        }
        Ok(uses)
    }

    /// Checks and, if the permit fits, counts it and fills its box 11a.
    pub fn issue(&mut self, permit: &mut Permit) -> Result<(), QuotaError> {
        let uses = self.check(permit)?;
        for u in uses {
            let add = permit
                .blocks
                .iter()
                .find(|b| b.id == u.block)
                .map(|b| b.quantity)
                .unwrap_or_default();
            let used = self.used.entry(u.quota).or_default();
            *used = used.checked_add(add).unwrap_or(*used);
            if let Some(block) = permit.blocks.iter_mut().find(|b| b.id == u.block) {
                block.quota = Some(u.position);
            }
        }
        Ok(())
    }

    /// Counts a permit issued earlier, even beyond today's quota (the quota may have been
    /// lowered since): what was issued stays counted, so a later release gives back only that.
    pub fn count_issued(&mut self, permit: &Permit) {
        self.adjust(permit, true);
    }

    /// Gives back what a cancelled or replaced permit had counted (it was never used).
    pub fn release(&mut self, permit: &Permit) {
        self.adjust(permit, false);
    }

    fn adjust(&mut self, permit: &Permit, add: bool) {
        if permit.document_type != DocumentType::ExportPermit {
            return;
        }
        let party = permit.authority.country;
        let year = permit.issued.date.year();
        for block in &permit.blocks {
            for (index, quota) in self.quotas.iter().enumerate() {
                if quota.covers(party, year, permit.purpose, block) && quota.unit == block.unit {
                    let used = self.used.entry(index).or_default();
                    *used = if add {
                        used.checked_add(block.quantity).unwrap_or(*used)
                    } else {
                        used.saturating_sub(block.quantity)
                    };
                }
            }
        }
    }
}
