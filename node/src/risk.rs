//! Risk flags for customs: what in a verified permit, or between the permit and the goods
//! declared, deserves a closer look. Flags inform the officer and are shown beside the
//! verdict; they never change it.
//!
//! Four rules: the declared HS code's goods are none of the permit's specimen terms (a table
//! of HS codes to CITES terms, bundled from the domain file §11.2 and extended by `[risk]
//! hs_codes`); a watched taxon; a watched source code; a block far above what this node has
//! issued before for the same taxon and unit.

use std::cmp::Reverse;
use std::collections::{BTreeMap, BinaryHeap};

use contracts::{Permit, Source, Term, Unit};
use serde::{Deserialize, Serialize};

/// `[risk]` in the node's config.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RiskConfig {
    /// HS codes (or their first digits) and the specimen terms they can hold, beside the
    /// bundled table (an entry here replaces the bundled one for the same code).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub hs_codes: BTreeMap<String, Vec<Term>>,
    /// Taxa that always get a closer look: a genus (`Manis`) or a species; default: a few
    /// taxa often in seizures.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub watch_species: Option<Vec<String>>,
    /// Source codes that get a closer look (default U and I).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sources: Option<Vec<Source>>,
    /// A block more than this many times the median of this node's earlier permits for the
    /// same taxon and unit (three at least) is flagged; default 3.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub history_factor: Option<u32>,
}

impl RiskConfig {
    /// Whether nothing is configured (the defaults apply).
    pub fn is_default(&self) -> bool {
        *self == RiskConfig::default()
    }

    /// The HS codes' terms, bundled table first, then the configured entries.
    fn hs_table(&self) -> BTreeMap<String, Vec<Term>> {
        let mut table: BTreeMap<String, Vec<Term>> = HS_TERMS
            .iter()
            .map(|(hs, terms)| {
                let terms = terms.iter().filter_map(|t| t.parse().ok()).collect();
                (hs.replace('.', ""), terms)
            })
            .collect();
        for (hs, terms) in &self.hs_codes {
            table.insert(digits(hs), terms.clone());
        }
        table
    }
}

/// HS headings and subheadings often relevant to CITES (domain file §11.2) and the specimen
/// terms goods under them are declared as.
const HS_TERMS: &[(&str, &[&str])] = &[
    ("0106", &["LIV"]),
    ("0301", &["LIV"]),
    ("0303.92", &["FIN"]),
    ("0305.71", &["FIN"]),
    ("0307", &["MEA", "LIV", "SHE"]),
    ("0308", &["MEA", "LIV", "BOD"]),
    ("0507.10", &["TUS", "IVP", "POW"]),
    ("0507.90", &["HOR", "CAP", "SHE", "TEE", "CLA", "BON"]),
    ("0508", &["COR", "SHE"]),
    ("0602", &["LIV", "ROO"]),
    ("0603", &["FLO"]),
    ("1211", &["ROO", "CHP", "POW", "DER", "EXT", "LVS"]),
    ("1604.31", &["CAV"]),
    ("1604.32", &["CAV"]),
    ("3301.29", &["OIL", "EXT"]),
    ("4103.20", &["SKI", "SKP"]),
    ("4106.40", &["SKI", "SKP"]),
    ("4113.30", &["SKI", "SKP"]),
    ("4202", &["HAN", "LPS", "LPL"]),
    ("4301", &["SKI"]),
    ("4302", &["SKI", "SKP"]),
    ("4303", &["GAR", "SKP", "LPS"]),
    ("4403", &["LOG", "TIM"]),
    ("4407", &["SAW", "TIM"]),
    ("4408", &["VEN"]),
    ("4412", &["PLY"]),
    ("4420", &["CAR"]),
    ("9113.90", &["WAT"]),
    ("9201", &["CAR", "IVC", "TIM"]),
    ("9202", &["CAR", "TIM"]),
    ("9205", &["CAR", "TIM"]),
    ("9601.10", &["IVC", "CAR"]),
    ("9705", &["BOD", "SKU", "SPE", "BON", "TRO", "HOR", "SHE"]),
    ("9706", &["CAR", "IVC", "OTH"]),
];

const WATCHED: &[&str] = &[
    "Manis",
    "Loxodonta africana",
    "Elephas maximus",
    "Ceratotherium simum",
    "Diceros bicornis",
    "Panthera tigris",
    "Dalbergia",
    "Pterocarpus santalinus",
    "Psittacus erithacus",
];

/// One flag.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Flag {
    /// Which rule: `hs-mismatch`, `hs-unknown`, `watched-species`, `watched-source`,
    /// `quantity-history`.
    pub rule: &'static str,
    /// The permit (`PARTY/NUMBER`).
    pub permit: String,
    /// The block, when the flag is about one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub block: Option<String>,
    /// What to look at, in words.
    pub message: String,
}

fn digits(hs: &str) -> String {
    hs.chars().filter(char::is_ascii_digit).collect()
}

/// The flags for the permits of one border check. `declared_hs` is the HS code on the goods
/// declaration, if the officer gave it; `history` holds this node's earlier quantities.
pub fn flags(
    config: &RiskConfig,
    permits: &[Permit],
    declared_hs: Option<&str>,
    history: &History,
) -> Vec<Flag> {
    let mut flags = Vec::new();
    let watched: Vec<String> = match &config.watch_species {
        Some(list) => list.clone(),
        None => WATCHED.iter().map(|s| (*s).to_owned()).collect(),
    };
    let sources = config
        .sources
        .clone()
        .unwrap_or_else(|| vec![Source::Unknown, Source::Confiscated]);
    let factor = f64::from(config.history_factor.unwrap_or(3));
    let table = config.hs_table();
    for permit in permits {
        let key = permit.key().to_string();
        if let Some(hs) = declared_hs.map(digits).filter(|d| !d.is_empty()) {
            // The longest heading of the table the declared code falls under.
            let entry = (2..=hs.len())
                .rev()
                .find_map(|n| table.get_key_value(&hs[..n]));
            match entry {
                None => flags.push(Flag {
                    rule: "hs-unknown",
                    permit: key.clone(),
                    block: None,
                    message: format!(
                        "HS {hs} is not a heading the risk table links to CITES specimens; check that the goods are what the permit covers"
                    ),
                }),
                Some((heading, terms)) => {
                    if !permit.blocks.iter().any(|b| terms.contains(&b.term)) {
                        let covered: Vec<&str> = permit.blocks.iter().map(|b| b.term.code()).collect();
                        let expected: Vec<&str> = terms.iter().map(|t| t.code()).collect();
                        flags.push(Flag {
                            rule: "hs-mismatch",
                            permit: key.clone(),
                            block: None,
                            message: format!(
                                "declared HS {hs} (heading {heading}: {}) but the permit covers {}",
                                expected.join(", "),
                                covered.join(", ")
                            ),
                        });
                    }
                }
            }
        }
        for b in &permit.blocks {
            let name = b.scientific_name.trim();
            if let Some(w) = watched.iter().find(|w| {
                name == w.as_str()
                    || name
                        .strip_prefix(w.as_str())
                        .is_some_and(|r| r.starts_with(' '))
            }) {
                flags.push(Flag {
                    rule: "watched-species",
                    permit: key.clone(),
                    block: Some(b.id.clone()),
                    message: format!("{name} is on the watch list ({w})"),
                });
            }
            if sources.contains(&b.source) {
                flags.push(Flag {
                    rule: "watched-source",
                    permit: key.clone(),
                    block: Some(b.id.clone()),
                    message: format!("source {} ({})", b.source.code(), b.source.label()),
                });
            }
            let Ok(quantity) = b.quantity.to_string().parse::<f64>() else {
                continue;
            };
            if let Some((earlier, median)) = history.median(name, b.unit)
                && earlier >= 3
                && median > 0.0
                && quantity > factor * median
            {
                flags.push(Flag {
                    rule: "quantity-history",
                    permit: key.clone(),
                    block: Some(b.id.clone()),
                    message: format!(
                        "{quantity} {} of {name}: more than {factor} times the median ({median}) of {earlier} earlier permits",
                        b.unit.code(),
                    ),
                });
            }
        }
    }
    flags
}

/// The quantities this node has issued, per taxon and unit: built once from the permit records
/// at start and kept up to date at issuance, so a border check reads a median instead of every
/// permit record the node holds. Each taxon keeps a running median (below it a max-heap, from
/// it up a min-heap): adding a permit costs O(log n), where a sorted list moved half of its
/// quantities on every issuance (8% of an issuance's time on a node of 90,000 permits).
#[derive(Debug, Default)]
pub struct History(BTreeMap<(String, Unit), Median>);

impl History {
    /// Counts the blocks of an issued permit.
    pub fn add(&mut self, permit: &Permit) {
        for b in &permit.blocks {
            let Ok(q) = b.quantity.to_string().parse::<f64>() else {
                continue;
            };
            self.0
                .entry((b.scientific_name.trim().to_owned(), b.unit))
                .or_default()
                .add(q);
        }
    }

    /// How many earlier blocks of `name` in `unit`, and their median.
    pub fn median(&self, name: &str, unit: Unit) -> Option<(usize, f64)> {
        let m = self.0.get(&(name.to_owned(), unit))?;
        Some((m.len(), m.get()?))
    }
}

/// A quantity ordered by `f64::total_cmp`, for the heaps.
#[derive(Debug, Clone, Copy)]
struct Quantity(f64);

impl PartialEq for Quantity {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other).is_eq()
    }
}
impl Eq for Quantity {}
impl PartialOrd for Quantity {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for Quantity {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.0.total_cmp(&other.0)
    }
}

/// The running median of a growing list: the element at position `len / 2` once sorted (the
/// upper one of an even count). `lower` holds the `len / 2` smallest, `upper` the rest.
#[derive(Debug, Default)]
pub struct Median {
    lower: BinaryHeap<Quantity>,
    upper: BinaryHeap<Reverse<Quantity>>,
}

impl Median {
    fn add(&mut self, q: f64) {
        let q = Quantity(q);
        match self.upper.peek() {
            Some(Reverse(min)) if q < *min => self.lower.push(q),
            _ => self.upper.push(Reverse(q)),
        }
        let half = self.len() / 2;
        if self.lower.len() > half {
            if let Some(max) = self.lower.pop() {
                self.upper.push(Reverse(max));
            }
        } else if self.lower.len() < half
            && let Some(Reverse(min)) = self.upper.pop()
        {
            self.lower.push(min);
        }
    }

    fn len(&self) -> usize {
        self.lower.len() + self.upper.len()
    }

    fn get(&self) -> Option<f64> {
        self.upper.peek().map(|Reverse(q)| q.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn permit() -> Permit {
        let path = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../contracts/tests/fixtures/valid/export_permit.json"
        );
        contracts::from_json(&std::fs::read(path).unwrap()).unwrap()
    }

    fn rules(flags: &[Flag]) -> Vec<&str> {
        flags.iter().map(|f| f.rule).collect()
    }

    #[test]
    fn each_rule_flags_what_it_is_about_and_nothing_else() {
        let p = permit(); // Python regius (R) and Kinixys homeana (W), both live, 50 and 5.
        let none = History::default();
        let config = RiskConfig::default();
        assert!(flags(&config, std::slice::from_ref(&p), Some("0106.20"), &none).is_empty());
        let f = flags(&config, std::slice::from_ref(&p), Some("4202.21"), &none);
        assert_eq!(rules(&f), ["hs-mismatch"]);
        assert!(
            f[0].message.contains("HAN, LPS, LPL") && f[0].message.contains("LIV"),
            "{}",
            f[0].message
        );
        assert_eq!(
            rules(&flags(
                &config,
                std::slice::from_ref(&p),
                Some("8471"),
                &none
            )),
            ["hs-unknown"]
        );

        let watching = RiskConfig {
            watch_species: Some(vec!["Python".into()]),
            sources: Some(vec![Source::Wild]),
            hs_codes: BTreeMap::from([("0106.20".into(), vec![Term::Skins])]),
            ..Default::default()
        };
        let f = flags(&watching, std::slice::from_ref(&p), Some("010620"), &none);
        assert_eq!(
            rules(&f),
            ["hs-mismatch", "watched-species", "watched-source"]
        );
        assert_eq!(f[1].block.as_deref(), Some("A"));
        assert_eq!(f[2].block.as_deref(), Some("B"));

        // 50 pythons against earlier permits of 10, 12 and 15: more than three times 12.
        let mut history = History::default();
        for quantity in ["10", "15", "12"] {
            let mut earlier = p.clone();
            earlier.blocks.truncate(1);
            earlier.blocks[0].quantity = quantity.parse().unwrap();
            history.add(&earlier);
        }
        let f = flags(&config, std::slice::from_ref(&p), None, &history);
        assert_eq!(rules(&f), ["quantity-history"]);
        assert!(f[0].message.contains("median (12)"), "{}", f[0].message);
    }

    use proptest::strategy::Strategy as _;

    proptest::proptest! {
        /// The running median is the sorted list's element at `len / 2`, after every addition.
        #[test]
        fn the_running_median_is_the_sorted_lists_middle(
            // Whole numbers from a short range too, so that equal quantities come up.
            quantities in proptest::collection::vec(
                proptest::prop_oneof![-1e6f64..1e6, (0u8..8).prop_map(f64::from)],
                1..200,
            )
        ) {
            let mut median = Median::default();
            let mut sorted: Vec<f64> = Vec::new();
            for q in quantities {
                median.add(q);
                sorted.push(q);
                sorted.sort_by(f64::total_cmp);
                proptest::prop_assert_eq!(median.len(), sorted.len());
                proptest::prop_assert_eq!(median.get(), Some(sorted[sorted.len() / 2]));
            }
        }
    }
}
