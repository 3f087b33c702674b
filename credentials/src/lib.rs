//! Permits as W3C Verifiable Credentials 2.0.
//!
//! - [`credential`]: a [`contracts::Permit`] as a VC 2.0 credential and back.
//! - [`secure`]: one interface over VC-JOSE ([`jose`]) and Data Integrity `eddsa-rdfc-2022`
//!   ([`rdfc`]) and `eddsa-jcs-2022` ([`jcs`]).
//! - [`presentation`]: holder presentations bound to a challenge and domain.
//! - [`status`]: Bitstring Status Lists.
//! - [`context`]: every JSON-LD context, built in; nothing is fetched.
//! - [`keys`]: Ed25519 keys as Multikey, JWK and did:key.

pub mod bundle;
pub mod context;
pub mod credential;
pub mod jcs;
pub mod jose;
pub mod keys;
pub mod presentation;
pub mod rdfc;
pub mod sealed;
pub mod secure;
pub mod status;
pub mod verify;

pub use secure::{Mechanism, Proven, Secured, Signer};
