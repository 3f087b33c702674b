//! What the contracts' integration tests share: the realistic permits of every document type.

#![allow(clippy::unwrap_used, dead_code)]

use contracts::Permit;

/// The fixture of each document type, in `tests/fixtures/valid/`.
pub const VALID: [&str; 10] = [
    "export_permit",
    "import_permit",
    "re_export_certificate",
    "certificate_of_origin",
    "introduction_from_the_sea",
    "pre_convention_certificate",
    "captive_breeding_certificate",
    "travelling_exhibition_certificate",
    "musical_instrument_certificate",
    "ownership_certificate",
];

/// A valid fixture permit.
pub fn fixture(name: &str) -> Permit {
    let path = format!(
        "{}/tests/fixtures/valid/{name}.json",
        env!("CARGO_MANIFEST_DIR")
    );
    Permit::from_json(&std::fs::read(path).unwrap()).unwrap()
}
