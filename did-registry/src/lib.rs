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
//!
//! ```
//! use did_registry::genesis::{Witness, WitnessPolicy};
//! use did_registry::{AsOf, Body, Genesis, Position, Registry, Role, SecretKey, UnsignedEntry};
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let policy = WitnessPolicy {
//!     witnesses: vec![Witness { name: "w1".parse()?, key: "w1+00000000+AAAA".parse()? }],
//!     quorum: 1,
//! };
//! let (genesis, secretariat_key) = Genesis::new_network(
//!     "dev", "did:web:registry.example".parse()?, "registry.example/log",
//!     "registry.example/log+00000000+AAAA", policy, &[],
//! )?;
//! let mut registry = Registry::new(&genesis);
//!
//! // The Secretariat accredits Ghana's Management Authority on its own log.
//! let ma_key = SecretKey::generate()?;
//! let accredit = Body::Accredit {
//!     subject: "did:web:ma.gh.example".parse()?,
//!     party: "GH".parse()?,
//!     role: Role::ManagementAuthority,
//!     verification_methods: vec![did_registry::did::VerificationKey {
//!         id: "key-1".parse()?,
//!         public_key_multibase: ma_key.public(),
//!     }],
//!     key_agreement: did_registry::did::AgreementKey {
//!         id: "ka-1".parse()?,
//!         public_key_multibase: did_registry::X25519PublicKey::from_bytes([9; 32]),
//!     },
//!     log_origin: "ma.gh.example/log".parse()?,
//!     log_key: "ma.gh.example/log+00000000+AAAA".parse()?,
//!     peer_id: "12D3KooWExample".parse()?,
//!     services: vec![],
//! };
//! let now = chrono::Utc::now();
//! let secretariat = &genesis.secretariat;
//! let leaf = UnsignedEntry::new(secretariat.did.clone(), 1, secretariat.log_origin.clone(), now, accredit)
//!     .sign("key-1".parse()?, &secretariat_key)?
//!     .encode()?;
//! let position = Position { log: "registry.example/log".into(), index: 0, time: now };
//! registry.apply(position, &leaf)?;
//!
//! // A verifier's questions.
//! let ma = "did:web:ma.gh.example";
//! assert_eq!(registry.key_valid_at(ma, "#key-1", &AsOf::Now)?, ma_key.public());
//! assert_eq!(registry.accreditation_at(ma, &AsOf::Now)?.party.as_str(), "GH");
//! let doc = registry.resolve(ma, &AsOf::Now)?.did_document;
//! assert_eq!(doc.assertion_method, ["did:web:ma.gh.example#key-1"]);
//! # Ok(())
//! # }
//! ```

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
