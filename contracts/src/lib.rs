//! What a CITES permit is and which rules it obeys, with no I/O.
//!
//! - [`permit`]: every box of the standard form (Res. Conf. 12.3) as a [`Permit`], whose serde
//!   form is the project's canonical JSON.
//! - [`codes`]: the code lists (purpose, source, appendix, term, unit with the legacy mapping,
//!   ISO 3166 countries with the CITES XX/XV codes).
//! - [`validate()`]: every rule of the form at once, each problem pinned to its box.
//! - [`application`]: a permit application from draft to issuance (SA advice, decision, fee).
//! - [`lifecycle`]: issued → endorsed → import-confirmed, with cancellation, replacement,
//!   suspension and expiry, as a state machine that refuses illegal events.
//! - [`quota`]: national export quotas, checked before signing, filling box 11a.
//! - [`entry`]: the log entries for permit events and their canonical (RFC 8785) bytes.
//! - [`register`]: replaying another MA's log with the same rules.
//! - [`report`]: the annual trade report's rows and the Trade Database's upload rules.
//! - [`species`]: the species checklist (bundled, or from a Species+ export) and its lookups.
//!
//! Everything here is deterministic and synchronous so that every node, the wallet and an
//! offline verifier reach the same verdict from the same inputs.

pub mod application;
pub mod canonical;
pub mod codes;
pub mod entry;
pub mod lifecycle;
pub mod permit;
pub mod quantity;
pub mod quota;
pub mod register;
pub mod report;
pub mod species;
pub mod validate;

pub use application::{Action, Actor, Application, Stage, WorkflowError};
pub use codes::{Appendix, Country, Kingdom, LegacyUnit, Purpose, Source, Term, Unit};
pub use entry::{AuditAnchor, Digest, EntryKind, LogEntry};
pub use lifecycle::{Event, Lifecycle, Status, TransitionError};
pub use permit::{DocumentType, Permit, PermitKey, SpeciesBlock};
pub use quantity::Quantity;
pub use quota::{Quota, QuotaBook, QuotaError};
pub use register::{Register, ReplayError};
pub use validate::{Problem, Rule, ValidationContext, validate};

/// JSON that is not a permit, with the path of the offending field (`blocks[0].quantity`).
#[derive(Debug, thiserror::Error)]
#[error("{}: {message}", if path.is_empty() || path == "." { "document" } else { path.as_str() })]
pub struct ParseError {
    /// Where in the document: `blocks[1].source`, or `.` for the whole document.
    pub path: String,
    /// What is wrong there.
    pub message: String,
    /// 1-based line of the error in the input, when known (0 otherwise).
    pub line: usize,
}

/// Parses JSON into a contracts type, reporting the field path of the first error.
pub fn from_json<T: serde::de::DeserializeOwned>(bytes: &[u8]) -> Result<T, ParseError> {
    parse_error(serde_path_to_error::deserialize(
        &mut serde_json::Deserializer::from_slice(bytes),
    ))
}

/// As [`from_json`], from JSON already parsed (a field of a larger request), owned or borrowed
/// (`Value` or `&Value`): no second pass over text, and no line numbers (`line` is 0), which
/// would be those of a re-serialisation.
pub fn from_value<'de, T: serde::Deserialize<'de>>(
    value: impl serde::Deserializer<'de, Error = serde_json::Error>,
) -> Result<T, ParseError> {
    parse_error(serde_path_to_error::deserialize(value))
}

fn parse_error<T>(
    result: Result<T, serde_path_to_error::Error<serde_json::Error>>,
) -> Result<T, ParseError> {
    result.map_err(|e| {
        let path = e.path().to_string();
        let inner = e.into_inner();
        ParseError {
            path,
            line: inner.line(),
            message: inner.to_string(),
        }
    })
}
