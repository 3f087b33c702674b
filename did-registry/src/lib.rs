//! The network's trust registry: the genesis that defines a network, the DIDs of its
//! authorities and holders, the signed registry entries the Secretariat and the authorities put
//! on their logs, and resolution of a DID "as of" a log position or a time.
//!
//! Pure and synchronous: the caller reads logs and hands each registry leaf to
//! [`Registry::apply`] with its [`Position`]; nothing here does I/O.
//!
//! - [`genesis`]: [`Genesis`] (the pinned network definition) and [`GenesisId`].
//! - [`did`]: [`DidWeb`], [`DidKey`], [`DidDocument`] and the key/service shapes our formats use.
//! - [`keys`]: Ed25519 and X25519 Multikeys, [`SecretKey`].
//! - [`entry`]: [`Entry`], [`UnsignedEntry`], [`Body`]: the signed leaves, canonical bytes.
//! - [`registry`]: [`Registry::apply`], [`Registry::resolve`], [`Registry::key_valid_at`],
//!   [`Registry::accreditation_at`].
//! - [`trust_list`]: [`TrustList`], the active authorities per Party.

pub mod did;
pub mod entry;
pub mod genesis;
pub mod keys;
pub mod registry;
pub mod trust_list;

pub use did::{Did, DidDocument, DidError, DidKey, DidWeb};
pub use entry::{Body, Entry, EntryError, Party, Role, UnsignedEntry};
pub use genesis::{Genesis, GenesisError, GenesisId};
pub use keys::{Ed25519PublicKey, KeyError, SecretKey, X25519PublicKey};
pub use registry::{
    Accreditation, Applied, AsOf, KeyEnd, Position, Registry, RegistryError, Resolution, Status,
};
pub use trust_list::TrustList;
