//! The species checklist: which taxa are listed, in which Appendix, under which names.
//!
//! A small checklist ships inside the binary for demonstrations and tests
//! ([`Checklist::bundled`]); an MA loads the full list from a Species+ export
//! ([`Checklist::from_species_plus`]). Lookups are by accepted name or synonym, ignoring case.
//! A split listing (the Appendix depends on the population) is flagged, since the checklist
//! alone cannot say which Appendix a shipment's population is in: the MA decides.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::codes::{Appendix, Kingdom};
use crate::permit::SpeciesBlock;

/// A listed taxon.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Taxon {
    /// Accepted name.
    pub name: String,
    /// Family.
    #[serde(default)]
    pub family: String,
    /// Kingdom.
    pub kingdom: Kingdom,
    /// The Appendices it is listed in, as Species+ writes them: `I`, `II`, `III`, `I/II`.
    pub listing: String,
    /// For a split listing, which populations are in which Appendix.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub split: Option<String>,
    /// Other names for it.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub synonyms: Vec<String>,
    /// Common names.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub common: Vec<String>,
}

impl Taxon {
    /// The Appendices of its listing.
    pub fn appendices(&self) -> Vec<Appendix> {
        self.listing
            .split('/')
            .filter_map(|a| a.trim().parse().ok())
            .collect()
    }
}

/// What the checklist says of a species block.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum Listing {
    /// Listed, in the Appendix the block names.
    Listed {
        /// The taxon.
        taxon: Taxon,
    },
    /// Listed under another name: the block should use the accepted one.
    Synonym {
        /// The taxon, with its accepted name.
        taxon: Taxon,
    },
    /// Split listing: the block's Appendix is one of the taxon's; the MA checks the population.
    Split {
        /// The taxon.
        taxon: Taxon,
    },
    /// Listed, but not in the Appendix the block names.
    WrongAppendix {
        /// The taxon.
        taxon: Taxon,
    },
    /// Not in the checklist.
    Unknown,
}

impl Listing {
    /// Whether an officer needs to look at it.
    pub fn needs_attention(&self) -> bool {
        !matches!(self, Listing::Listed { .. })
    }
}

/// Why a checklist could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("not a species checklist: {0}")]
pub struct ChecklistError(pub String);

#[derive(Deserialize)]
struct File {
    #[serde(default)]
    source: String,
    taxa: Vec<Taxon>,
}

/// The checklist.
#[derive(Debug, Clone, Default)]
pub struct Checklist {
    source: String,
    taxa: Vec<Taxon>,
    by_name: BTreeMap<String, (usize, bool)>,
}

fn key(name: &str) -> String {
    name.split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .to_lowercase()
}

impl Checklist {
    fn new(source: String, taxa: Vec<Taxon>) -> Checklist {
        let mut by_name = BTreeMap::new();
        for (i, t) in taxa.iter().enumerate() {
            by_name.insert(key(&t.name), (i, true));
            for s in &t.synonyms {
                by_name.entry(key(s)).or_insert((i, false));
            }
        }
        Checklist {
            source,
            taxa,
            by_name,
        }
    }

    /// The checklist shipped with the binary.
    pub fn bundled() -> &'static Checklist {
        static BUNDLED: std::sync::OnceLock<Checklist> = std::sync::OnceLock::new();
        BUNDLED.get_or_init(|| {
            Checklist::from_json(include_bytes!("../data/species.json")).unwrap_or_default()
        })
    }

    /// A checklist in this crate's format (`{"source", "taxa": [...]}`).
    pub fn from_json(bytes: &[u8]) -> Result<Checklist, ChecklistError> {
        let file: File =
            serde_json::from_slice(bytes).map_err(|e| ChecklistError(e.to_string()))?;
        Ok(Checklist::new(file.source, file.taxa))
    }

    /// A checklist from a Species+ `taxon_concepts` export: an array of taxon concepts, or an
    /// object with one under `taxon_concepts`. Accepted species (and lower ranks) with a current
    /// CITES listing are kept; `NC` (not currently listed) parts of a listing are dropped.
    pub fn from_species_plus(bytes: &[u8]) -> Result<Checklist, ChecklistError> {
        let value: serde_json::Value =
            serde_json::from_slice(bytes).map_err(|e| ChecklistError(e.to_string()))?;
        let concepts = match &value {
            serde_json::Value::Array(a) => a,
            other => other["taxon_concepts"]
                .as_array()
                .ok_or_else(|| ChecklistError("no taxon_concepts array".into()))?,
        };
        let mut taxa = Vec::new();
        for c in concepts {
            let text = |v: &serde_json::Value| v.as_str().unwrap_or_default().to_owned();
            if text(&c["name_status"]) != "A"
                || c["active"] == false
                || text(&c["full_name"]).trim().is_empty()
            {
                continue;
            }
            let listing: Vec<&str> = c["cites_listing"]
                .as_str()
                .unwrap_or_default()
                .split('/')
                .map(str::trim)
                .filter(|a| matches!(*a, "I" | "II" | "III"))
                .collect();
            if listing.is_empty() {
                continue;
            }
            let kingdom = match c["higher_taxa"]["kingdom"].as_str() {
                Some("Plantae") => Kingdom::Plantae,
                Some("Animalia") => Kingdom::Animalia,
                _ => continue,
            };
            let names = |field: &str, only_en: bool| -> Vec<String> {
                c[field]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .filter(|n| {
                        !only_en
                            || n["language"]
                                .as_str()
                                .is_none_or(|l| l == "EN" || l == "en")
                    })
                    .filter_map(|n| n["full_name"].as_str().or(n["name"].as_str()))
                    .map(str::to_owned)
                    .collect()
            };
            taxa.push(Taxon {
                name: text(&c["full_name"]),
                family: text(&c["higher_taxa"]["family"]),
                kingdom,
                split: (listing.len() > 1).then(|| "split listing: see Species+".to_owned()),
                listing: listing.join("/"),
                synonyms: names("synonyms", false),
                common: names("common_names", true),
            });
        }
        if taxa.is_empty() {
            return Err(ChecklistError(
                "no accepted, currently listed taxon in the export".into(),
            ));
        }
        Ok(Checklist::new("Species+ export".into(), taxa))
    }

    /// Where the data comes from.
    pub fn source(&self) -> &str {
        &self.source
    }

    /// Every taxon.
    pub fn taxa(&self) -> &[Taxon] {
        &self.taxa
    }

    /// The checklist in this crate's format, to store.
    pub fn to_json(&self) -> Vec<u8> {
        serde_json::to_vec_pretty(&serde_json::json!({ "source": self.source, "taxa": self.taxa }))
            .unwrap_or_default()
    }

    /// The taxon of a name (accepted or synonym), and whether the name is the accepted one.
    pub fn lookup(&self, name: &str) -> Option<(&Taxon, bool)> {
        let (i, accepted) = self.by_name.get(&key(name))?;
        Some((self.taxa.get(*i)?, *accepted))
    }

    /// Taxa whose accepted name, a synonym or a common name starts with `prefix` (at most
    /// `limit`), for a species lookup as the applicant types.
    pub fn search(&self, prefix: &str, limit: usize) -> Vec<&Taxon> {
        let p = key(prefix);
        if p.is_empty() {
            return Vec::new();
        }
        self.taxa
            .iter()
            .filter(|t| {
                std::iter::once(&t.name)
                    .chain(&t.synonyms)
                    .chain(&t.common)
                    .any(|n| key(n).starts_with(&p))
            })
            .take(limit)
            .collect()
    }

    /// What the checklist says of a block: its name and Appendix against the listing.
    pub fn check(&self, block: &SpeciesBlock) -> Listing {
        let Some((taxon, accepted)) = self.lookup(&block.scientific_name) else {
            return Listing::Unknown;
        };
        let taxon = taxon.clone();
        let appendices = taxon.appendices();
        if !appendices.contains(&block.appendix) {
            Listing::WrongAppendix { taxon }
        } else if !accepted {
            Listing::Synonym { taxon }
        } else if appendices.len() > 1 {
            Listing::Split { taxon }
        } else {
            Listing::Listed { taxon }
        }
    }
}
