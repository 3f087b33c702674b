//! The CITES e-permitting toolkit v2 message, `CITESEPermit` (the XML that EPIX exchanges and
//! national permit systems produce), to and from [`contracts::Permit`].
//!
//! The mapping follows the element tree of the toolkit as EPIX uses it (domain file §6.3): box 1
//! in `HeaderExchangedDocument/ID`, the blocks as `IncludedSupplyChainConsignmentItem`, and so
//! on. Where the tree has no element for something a permit holds (the exact document type
//! behind the form code `O`, a block's kingdom, which export endorsement a block quantity
//! belongs to), the value goes in the nearest element the tree has; `MAPPING.md` beside this
//! file lists every box and where it goes. [`to_xml`] then [`from_xml`] gives back the same
//! permit, for every document type.
//!
//! Reading is strict, as everywhere in the project: an unknown code, a missing box or a
//! malformed date is an error naming the element, never a default.

mod read;
mod write;

pub use read::{XmlError, from_xml};
pub use write::to_xml;

/// The toolkit v2 message namespace (`rsm:`).
pub const NS_RSM: &str = "urn:un:unece:uncefact:data:standard:CITESEPermit:2";
/// The UN/CEFACT reusable aggregate business information entities (`ram:`).
pub const NS_RAM: &str =
    "urn:un:unece:uncefact:data:draft:ReusableAggregateBusinessInformationEntity:1";

/// `HeaderExchangedDocument/Information` lines with a meaning of their own; any other line is
/// a free-text special condition (box 5).
mod sentences {
    pub const LIVE_TRANSPORT: &str = "Live specimens: to be prepared and shipped to minimise the risk of injury, damage to health or cruel treatment (CITES Guidelines for the non-air transport of live wild animals and plants, IATA Live Animals Regulations).";
    pub const ANNEX: &str = "The specimens continue on the attached annex.";
    pub const RETROSPECTIVE: &str = "Issued retrospectively: ";
    pub const REPLACES: &str = "Replaces ";
}

/// UNTDID 1001 document codes used in `ReferenceReferencedDocument` and
/// `AssociatedReferencedDocument`.
mod document_codes {
    /// The import permit an export relies on (box 12b of the form's import side).
    pub const IMPORT_LICENCE: &str = "911";
    /// The country-of-origin permit (box 12).
    pub const ORIGIN: &str = "861";
    /// The last re-export certificate (box 12a).
    pub const LAST_RE_EXPORT: &str = "811";
}
