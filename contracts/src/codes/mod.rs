//! The CITES code lists, stored as codes, never as labels (domain file §5, §13.7).
//!
//! Every enum serialises to its official code (`"T"`, `"W"`, `"II"`, `"LIV"`, `"KGM"`), so the
//! canonical JSON form and the toolkit XML carry the same values. Parsing is strict: an unknown
//! code is an error that names the list and the value, never a silent default.

mod countries;

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::quantity::Quantity;

/// A code that is not on its list.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown {list} code {value:?}")]
pub struct UnknownCode {
    /// Which list was consulted ("purpose", "source", ...).
    pub list: &'static str,
    /// The value as given.
    pub value: String,
}

/// Declares a closed code list: an enum whose serde form and `FromStr` are the official codes.
macro_rules! code_list {
    (
        $(#[$meta:meta])*
        $name:ident, $list:literal {
            $( $(#[$vmeta:meta])* $variant:ident = $code:literal, $label:literal; )+
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub enum $name {
            $( $(#[$vmeta])* #[doc = $label] $variant, )+
        }

        impl $name {
            /// Every code of the list, in the order of the official table.
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            /// The official code.
            pub fn code(self) -> &'static str {
                match self { $($name::$variant => $code),+ }
            }

            /// The English label of the code.
            pub fn label(self) -> &'static str {
                match self { $($name::$variant => $label),+ }
            }
        }

        impl FromStr for $name {
            type Err = UnknownCode;
            fn from_str(s: &str) -> Result<Self, UnknownCode> {
                match s {
                    $($code => Ok($name::$variant),)+
                    _ => Err(UnknownCode { list: $list, value: s.to_owned() }),
                }
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.code())
            }
        }

        impl Serialize for $name {
            fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(self.code())
            }
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let s = String::deserialize(d)?;
                s.parse().map_err(serde::de::Error::custom)
            }
        }
    };
}

code_list! {
    /// Purpose of the transaction, box 5a (CITES Trade Database guide, Annex 2).
    Purpose, "purpose" {
        BreedingOrPropagation = "B", "Breeding in captivity or artificial propagation";
        Educational = "E", "Educational";
        BotanicalGarden = "G", "Botanical garden";
        HuntingTrophy = "H", "Hunting trophy";
        LawEnforcement = "L", "Law enforcement / judicial / forensic";
        Medical = "M", "Medical (including biomedical research)";
        Reintroduction = "N", "Reintroduction or introduction into the wild";
        Personal = "P", "Personal";
        CircusOrExhibition = "Q", "Circus or travelling exhibition";
        Scientific = "S", "Scientific";
        Commercial = "T", "Commercial";
        Zoo = "Z", "Zoo";
    }
}

code_list! {
    /// Source of the specimens, box 10.
    Source, "source" {
        Wild = "W", "Taken from the wild";
        Marine = "X", "Taken in the marine environment not under the jurisdiction of any State";
        Ranched = "R", "Ranched";
        RegisteredAppendixI = "D", "Appendix-I specimens bred or propagated for commercial purposes in registered operations";
        ArtificiallyPropagated = "A", "Plants artificially propagated";
        CaptiveBred = "C", "Animals bred in captivity";
        BornInCaptivity = "F", "Animals born in captivity (F1 or later) not meeting 'bred in captivity'";
        AssistedProduction = "Y", "Assisted production (plants)";
        Unknown = "U", "Source unknown (must be justified)";
        Confiscated = "I", "Confiscated or seized specimens";
        PreConvention = "O", "Pre-Convention specimens";
    }
}

code_list! {
    /// CITES Appendix, box 10.
    Appendix, "appendix" {
        I = "I", "Appendix I";
        II = "II", "Appendix II";
        III = "III", "Appendix III";
    }
}

code_list! {
    /// Kingdom of the taxon; decides which source codes are possible (domain file §5.2).
    Kingdom, "kingdom" {
        Animalia = "Animalia", "Animals";
        Plantae = "Plantae", "Plants";
    }
}

code_list! {
    /// Description-of-specimen ("term") codes, box 9 (CITES Trade Database guide, Annex 1).
    Term, "term" {
        Live = "LIV", "live";
        Skins = "SKI", "skins";
        SkinPieces = "SKP", "skin pieces";
        Bodies = "BOD", "bodies";
        Trophies = "TRO", "trophies";
        Skulls = "SKU", "skulls";
        Tusks = "TUS", "tusks";
        IvoryCarvings = "IVC", "ivory carvings";
        IvoryPieces = "IVP", "ivory pieces";
        Horns = "HOR", "horns";
        Teeth = "TEE", "teeth";
        Claws = "CLA", "claws";
        Meat = "MEA", "meat";
        Extract = "EXT", "extract";
        Derivatives = "DER", "derivatives";
        Eggs = "EGG", "eggs";
        EggsLive = "EGL", "eggs (live)";
        Caviar = "CAV", "caviar";
        Carapaces = "CAP", "carapaces";
        Fins = "FIN", "fins";
        Shells = "SHE", "shells";
        RawCorals = "COR", "raw corals";
        SmallLeatherProducts = "LPS", "small leather products";
        LargeLeatherProducts = "LPL", "large leather products";
        Garments = "GAR", "garments";
        Handbags = "HAN", "handbags";
        Watchstraps = "WAT", "watchstraps";
        Shoes = "SHO", "shoes (pairs)";
        Feathers = "FEA", "feathers";
        Hair = "HAI", "hair";
        Bones = "BON", "bones";
        ScientificSpecimens = "SPE", "scientific specimens";
        Carvings = "CAR", "carvings";
        Other = "OTH", "other";
        Timber = "TIM", "timber";
        Logs = "LOG", "logs";
        SawnWood = "SAW", "sawn wood";
        Veneer = "VEN", "veneer";
        Plywood = "PLY", "plywood";
        Chips = "CHP", "chips";
        Powder = "POW", "powder";
        Oil = "OIL", "oil";
        Seeds = "SEE", "seeds";
        Flowers = "FLO", "flowers";
        Leaves = "LVS", "leaves";
        Roots = "ROO", "roots";
        DriedPlants = "DPL", "dried plants";
        Bark = "BAR", "bark";
        Cultures = "CUL", "cultures";
        PianoKeys = "KEY", "piano keys";
        WoodProduct = "WPR", "wood product";
        Unspecified = "UNS", "unspecified";
    }
}

code_list! {
    /// Current unit codes, box 11 (UN/ECE Rec. 20 style, as the Trade Database uses since 2021).
    /// `NAR` (number of specimens) is what a blank unit means.
    Unit, "unit" {
        Number = "NAR", "number of specimens";
        Kilogram = "KGM", "kilogram";
        Gram = "GRM", "gram";
        Milligram = "MGM", "milligram";
        Litre = "LTR", "litre";
        Millilitre = "MLT", "millilitre";
        Metre = "MTR", "metre";
        Centimetre = "CTM", "centimetre";
        SquareMetre = "MTK", "square metre";
        CubicMetre = "MTQ", "cubic metre";
        CubicCentimetre = "CMQ", "cubic centimetre";
    }
}

code_list! {
    /// Legacy unit codes of the 2011 annual-report guidelines, accepted on input and mapped to
    /// a current [`Unit`] by [`LegacyUnit::normalise`].
    LegacyUnit, "legacy unit" {
        Kil = "KIL", "kilogram";
        Grm = "GRM", "gram";
        Mgm = "MGM", "milligram";
        Myg = "MYG", "microgram";
        Ton = "TON", "tonne";
        Ltr = "LTR", "litre";
        Mlt = "MLT", "millilitre";
        Cum = "CUM", "cubic metre";
        Ccm = "CCM", "cubic centimetre";
        Cuf = "CUF", "cubic foot";
        Sqm = "SQM", "square metre";
        Sqc = "SQC", "square centimetre";
        Sqd = "SQD", "square decimetre";
        Sqf = "SQF", "square foot";
        Mtr = "MTR", "metre";
        Ctm = "CTM", "centimetre";
        Fee = "FEE", "foot";
        Inc = "INC", "inch";
        Bag = "BAG", "bags";
        Bot = "BOT", "bottles";
        Box = "BOX", "boxes";
        Can = "CAN", "cans";
        Cas = "CAS", "cases";
        Crt = "CRT", "cartons";
        Fla = "FLA", "flasks";
        Ite = "ITE", "items";
        Pcs = "PCS", "pieces";
        Pai = "PAI", "pairs";
        Set = "SET", "sets";
        Shp = "SHP", "shipments";
        Bsk = "BSK", "belly skins";
        Hrn = "HRN", "hornback skins";
        Bak = "BAK", "back skins";
        Sid = "SID", "sides";
        Ski = "SKI", "skins";
        Oun = "OUN", "ounce";
        Pnd = "PND", "pound";
    }
}

/// What a quantity measures; a term allows only some dimensions (box 11 against box 9).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Dimension {
    /// A number of specimens or pieces.
    Count,
    /// Kilograms and its fractions.
    Mass,
    /// Litres and cubic metres.
    Volume,
    /// Metres.
    Length,
    /// Square metres.
    Area,
}

impl Unit {
    /// The dimension the unit measures.
    pub fn dimension(self) -> Dimension {
        match self {
            Unit::Number => Dimension::Count,
            Unit::Kilogram | Unit::Gram | Unit::Milligram => Dimension::Mass,
            Unit::Litre | Unit::Millilitre | Unit::CubicMetre | Unit::CubicCentimetre => {
                Dimension::Volume
            }
            Unit::Metre | Unit::Centimetre => Dimension::Length,
            Unit::SquareMetre => Dimension::Area,
        }
    }

    /// Parses a current code, a legacy code (mapped, with its conversion applied by the caller
    /// through [`LegacyUnit::normalise`]) or a blank (number of specimens).
    pub fn parse_any(code: &str) -> Result<(Unit, Option<LegacyUnit>), UnknownCode> {
        let code = code.trim();
        if code.is_empty() {
            return Ok((Unit::Number, None));
        }
        if let Ok(unit) = code.parse::<Unit>() {
            return Ok((unit, None));
        }
        let legacy: LegacyUnit = code.parse().map_err(|_| UnknownCode {
            list: "unit",
            value: code.to_owned(),
        })?;
        Ok((legacy.target(), Some(legacy)))
    }
}

impl LegacyUnit {
    /// The current unit a legacy code maps to (the WCMC normalisation: pairs and packages become
    /// counts, imperial and small units become metric base units).
    pub fn target(self) -> Unit {
        use LegacyUnit::*;
        match self {
            Kil | Ton | Oun | Pnd => Unit::Kilogram,
            Grm => Unit::Gram,
            Mgm | Myg => Unit::Milligram,
            Ltr => Unit::Litre,
            Mlt => Unit::Millilitre,
            Cum | Cuf => Unit::CubicMetre,
            Ccm => Unit::CubicCentimetre,
            Sqm | Sqc | Sqd | Sqf => Unit::SquareMetre,
            Mtr | Fee | Inc => Unit::Metre,
            Ctm => Unit::Centimetre,
            Bag | Bot | Box | Can | Cas | Crt | Fla | Ite | Pcs | Pai | Set | Shp | Bsk | Hrn
            | Bak | Sid | Ski => Unit::Number,
        }
    }

    /// Conversion factor to [`LegacyUnit::target`] as a fraction (numerator, denominator), so
    /// the conversion is exact where it can be and rounds once where it cannot.
    fn factor(self) -> (u128, u128) {
        use LegacyUnit::*;
        match self {
            Ton => (1000, 1),
            Myg => (1, 1000),
            Oun => (28_349_523_125, 1_000_000_000_000),
            Pnd => (45_359_237, 100_000_000),
            Cuf => (28_316_846_592, 1_000_000_000_000),
            Sqc => (1, 10_000),
            Sqd => (1, 100),
            Sqf => (9_290_304, 100_000_000),
            Fee => (3048, 10_000),
            Inc => (254, 10_000),
            Pai => (2, 1),
            Sid => (1, 2),
            _ => (1, 1),
        }
    }

    /// Maps a quantity in this legacy unit to its current unit, rounding to the nearest
    /// thousandth (the precision of [`Quantity`]).
    pub fn normalise(self, quantity: Quantity) -> (Unit, Quantity) {
        let (num, den) = self.factor();
        let milli = u128::from(quantity.milli());
        let converted = (milli * num + den / 2) / den;
        let converted = u64::try_from(converted).unwrap_or(u64::MAX);
        (self.target(), Quantity::from_milli(converted))
    }
}

impl Term {
    /// The dimensions a quantity of this term may be given in (annual-report guidance: live
    /// animals, skins, trophies are counted; meat and extracts are weighed; timber is measured
    /// in cubic metres or weighed).
    pub fn allowed_dimensions(self) -> &'static [Dimension] {
        use Dimension::*;
        use Term::*;
        match self {
            Live | EggsLive | Bodies | Skins | Trophies | Skulls | Garments | Handbags
            | Watchstraps | Shoes | SmallLeatherProducts | LargeLeatherProducts | PianoKeys => {
                &[Count]
            }
            Tusks | IvoryCarvings | IvoryPieces | Horns | Teeth | Claws | Eggs | Carapaces
            | Shells | RawCorals | Feathers | Bones | Carvings | Seeds | Flowers | Leaves
            | Roots | DriedPlants => &[Count, Mass],
            SkinPieces => &[Count, Mass, Area],
            Meat | Caviar | Fins | Bark | Powder | Chips | Hair => &[Mass],
            Extract | Derivatives | Oil => &[Mass, Volume],
            Timber | Logs | SawnWood => &[Volume, Mass],
            Veneer | Plywood => &[Area, Volume, Mass],
            WoodProduct => &[Count, Volume, Mass],
            Cultures => &[Count, Volume],
            ScientificSpecimens | Other | Unspecified => &[Count, Mass, Volume, Length, Area],
        }
    }

    /// Whether the term describes live specimens, which need age/sex in box 9 and the
    /// live-transport condition in box 5.
    pub fn is_live(self) -> bool {
        matches!(self, Term::Live | Term::EggsLive)
    }
}

/// An ISO 3166-1 alpha-2 country code, or the CITES trade-data codes XV (various) and XX
/// (unknown). A validated newtype rather than a 251-variant enum: the list is data, and the
/// code is what every format (XML `CountryID`, Species+ `iso_code2`) carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Country([u8; 2]);

impl Country {
    /// The two-letter code.
    pub fn code(&self) -> &str {
        // Only ever constructed from two ASCII upper-case letters.
        std::str::from_utf8(&self.0).unwrap_or("??")
    }

    /// The English short name.
    pub fn name(&self) -> &'static str {
        countries::COUNTRIES
            .binary_search_by(|(c, _)| c.as_bytes().cmp(&self.0[..]))
            .map(|i| countries::COUNTRIES[i].1)
            .unwrap_or("?")
    }

    /// Whether the code names a real Party rather than "various" or "unknown".
    pub fn is_specific(&self) -> bool {
        !matches!(&self.0, b"XV" | b"XX")
    }

    /// Every accepted code.
    pub fn all() -> impl Iterator<Item = Country> {
        countries::COUNTRIES
            .iter()
            .filter_map(|(c, _)| c.parse().ok())
    }
}

impl FromStr for Country {
    type Err = UnknownCode;
    fn from_str(s: &str) -> Result<Self, UnknownCode> {
        let unknown = || UnknownCode {
            list: "ISO 3166-1 alpha-2 country",
            value: s.to_owned(),
        };
        let bytes: [u8; 2] = s.as_bytes().try_into().map_err(|_| unknown())?;
        countries::COUNTRIES
            .binary_search_by(|(c, _)| c.as_bytes().cmp(&bytes[..]))
            .map(|_| Country(bytes))
            .map_err(|_| unknown())
    }
}

impl fmt::Display for Country {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

impl Serialize for Country {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.code())
    }
}

impl<'de> Deserialize<'de> for Country {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn country_list_is_sorted_and_complete() {
        let codes: Vec<_> = countries::COUNTRIES.iter().map(|(c, _)| *c).collect();
        let mut sorted = codes.clone();
        sorted.sort_unstable();
        sorted.dedup();
        assert_eq!(
            codes, sorted,
            "binary search needs a sorted, duplicate-free list"
        );
        assert_eq!(codes.len(), 251);
        for code in ["FR", "CH", "KE", "ZA", "XX", "XV", "CW", "SS"] {
            assert!(code.parse::<Country>().is_ok(), "{code}");
        }
        for bad in ["", "F", "fr", "FRA", "ZZ", "XA", "É1"] {
            assert!(bad.parse::<Country>().is_err(), "{bad}");
        }
        assert_eq!("KE".parse::<Country>().map(|c| c.name()), Ok("Kenya"));
    }

    #[test]
    fn codes_round_trip() {
        for p in Purpose::ALL {
            assert_eq!(p.code().parse::<Purpose>(), Ok(*p));
        }
        for s in Source::ALL {
            assert_eq!(s.code().parse::<Source>(), Ok(*s));
        }
        for t in Term::ALL {
            assert_eq!(t.code().parse::<Term>(), Ok(*t));
            assert!(!t.allowed_dimensions().is_empty());
        }
        for u in Unit::ALL {
            assert_eq!(Unit::parse_any(u.code()), Ok((*u, None)));
        }
        assert_eq!(Purpose::ALL.len(), 12);
        assert_eq!(Source::ALL.len(), 11);
        let err = "Q".parse::<Source>().unwrap_err();
        assert_eq!(err.to_string(), "unknown source code \"Q\"");
    }

    #[test]
    fn legacy_units_map_to_current_ones() {
        let q = |s: &str| s.parse::<Quantity>().unwrap();
        assert_eq!(
            Unit::parse_any("KIL"),
            Ok((Unit::Kilogram, Some(LegacyUnit::Kil)))
        );
        assert_eq!(Unit::parse_any(""), Ok((Unit::Number, None)));
        assert_eq!(Unit::parse_any("CUM").map(|u| u.0), Ok(Unit::CubicMetre));
        assert_eq!(Unit::parse_any("SQM").map(|u| u.0), Ok(Unit::SquareMetre));
        assert_eq!(
            LegacyUnit::Ton.normalise(q("1.5")),
            (Unit::Kilogram, q("1500"))
        );
        assert_eq!(LegacyUnit::Pai.normalise(q("3")), (Unit::Number, q("6")));
        assert_eq!(LegacyUnit::Sid.normalise(q("4")), (Unit::Number, q("2")));
        assert_eq!(
            LegacyUnit::Pnd.normalise(q("10")),
            (Unit::Kilogram, q("4.536"))
        );
        assert_eq!(
            LegacyUnit::Myg.normalise(q("2500")),
            (Unit::Milligram, q("2.5"))
        );
        assert!(Unit::parse_any("XYZ").is_err());
    }
}
