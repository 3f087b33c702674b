//! The genesis file: what defines a network, pinned by every node and every offline verifier.
//!
//! Everything else of the trust registry is derived from entries on logs; the genesis is the one
//! thing that must come from outside, so it is small, strict and hashed. Two nodes with the same
//! [`Genesis::genesis_id`] are on the same network.
//!
//! ```json
//! {
//!   "network": "cites-testnet",
//!   "secretariat": {
//!     "did": "did:web:registry.cites.org",
//!     "verification_method": {
//!       "id": "key-1",
//!       "public_key_multibase": "z6Mkon3Necd6NkkyfoGoHxid2znGc59LU3K7mubaRcFbLfLX"
//!     },
//!     "log_origin": "registry.cites.org/log",
//!     "log_key": "registry.cites.org/log+1c6e6a2f+AWu8gUhbE3P2ukH3D5M2DEDafyeY4BuplKsh1BNlFEb"
//!   },
//!   "witness_policy": {
//!     "witnesses": [
//!       {
//!         "name": "witness.gh.example",
//!         "key": "witness.gh.example+7b8c9d0e+AXbKkdgJ2HSCp5qzKHqm6s1GQn0Mo6qDCVB6t5aS1d4"
//!       },
//!       {
//!         "name": "witness.de.example",
//!         "key": "witness.de.example+0a1b2c3d+AQm2w0e9vH1kqK7l6a5QjR3tX8uY4zP2nB7cD6eF1gH0"
//!       }
//!     ],
//!     "quorum": 1
//!   },
//!   "bootstrap": [
//!     "/dns4/registry.cites.org/tcp/4001/p2p/12D3KooWGzh9o5MrE3WsYaB2Tt1gFS7eFEbjCzkBHRwFzmfXUp1a"
//!   ]
//! }
//! ```
//!
//! Fields (all required, no others allowed):
//! - `network`: the network's name (a token: printable, no spaces). It distinguishes a test
//!   network from production when both share software.
//! - `secretariat.did`: the Secretariat's `did:web`, the root of trust. Only it may accredit.
//! - `secretariat.verification_method`: its first signing key: `id` is the fragment of the
//!   verification method id (`<did>#<id>`), `public_key_multibase` the Ed25519 Multikey
//!   (`z6Mk...`: base58btc of 0xed 0x01 and the 32-byte key). Later keys come from `rotate_keys`
//!   entries on the Secretariat's log.
//! - `secretariat.log_origin`: the origin line of the Secretariat's log (C2SP tlog-checkpoint).
//!   Registry entries signed by the Secretariat are valid only on this log.
//! - `secretariat.log_key`: the C2SP signed-note verifier key of that log (`name+hash+base64`),
//!   kept as an opaque string here and checked by the ledger.
//! - `witness_policy.witnesses`: the witnesses whose cosignatures count, each with a `name` and a
//!   C2SP cosignature verifier `key` (opaque here). Names and keys are unique.
//! - `witness_policy.quorum`: how many of them must cosign a checkpoint, 1 to the number of
//!   witnesses.
//! - `bootstrap`: libp2p multiaddrs to dial first (opaque strings; may be empty).
//!
//! The example above is `did-registry/examples/genesis.json`:
//!
//! ```
//! let path = concat!(env!("CARGO_MANIFEST_DIR"), "/examples/genesis.json");
//! let genesis = did_registry::Genesis::from_json(&std::fs::read(path).unwrap()).unwrap();
//! assert_eq!(genesis.witness_policy.quorum, 1);
//! let id = genesis.genesis_id().unwrap().to_string(); // what every node pins
//! assert_eq!(id.len(), 64);
//! ```

use serde::{Deserialize, Serialize};
use sha2::{Digest as _, Sha256};

use crate::did::{DidError, DidWeb, Fragment, Token, VerificationKey};
use crate::keys::{KeyError, SecretKey};

/// Why a genesis file was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum GenesisError {
    /// Not JSON of the genesis schema (unknown field, bad DID, bad key, ...).
    #[error("not a genesis file: {0}")]
    Malformed(String),
    /// The quorum cannot be met or is meaningless.
    #[error("witness quorum {quorum} must be between 1 and the number of witnesses ({witnesses})")]
    BadQuorum {
        /// The quorum given.
        quorum: u32,
        /// How many witnesses there are.
        witnesses: usize,
    },
    /// Two witnesses with the same name or key.
    #[error("witness {0:?} is listed twice")]
    DuplicateWitness(String),
    /// A field value was refused.
    #[error(transparent)]
    Field(#[from] DidError),
    /// Key generation failed.
    #[error(transparent)]
    Key(#[from] KeyError),
    /// Serialisation failed.
    #[error("cannot encode the genesis: {0}")]
    Encode(String),
}

/// A network definition. Build it with [`Genesis::new_network`] or [`Genesis::from_json`]; both
/// check it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Genesis {
    /// Network name.
    pub network: Token,
    /// The root of trust.
    pub secretariat: SecretariatInfo,
    /// Which checkpoints count as witnessed.
    pub witness_policy: WitnessPolicy,
    /// libp2p multiaddrs to dial first.
    pub bootstrap: Vec<Token>,
}

/// The Secretariat as the genesis pins it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SecretariatInfo {
    /// Its DID.
    pub did: DidWeb,
    /// Its first signing key.
    pub verification_method: VerificationKey,
    /// Origin of its log.
    pub log_origin: Token,
    /// C2SP note verifier key of its log.
    pub log_key: Token,
}

/// Witnesses and quorum.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WitnessPolicy {
    /// The witnesses that count.
    pub witnesses: Vec<Witness>,
    /// Cosignatures a checkpoint needs.
    pub quorum: u32,
}

/// One witness.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Witness {
    /// Its name (as in its cosignature lines).
    pub name: Token,
    /// Its C2SP cosignature verifier key.
    pub key: Token,
}

/// SHA-256 of the canonical JSON of a genesis, written as 64 lower-case hex digits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct GenesisId(pub [u8; 32]);

impl std::fmt::Display for GenesisId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.iter().try_for_each(|b| write!(f, "{b:02x}"))
    }
}

impl Serialize for GenesisId {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl WitnessPolicy {
    fn check(&self) -> Result<(), GenesisError> {
        let n = self.witnesses.len();
        if self.quorum == 0 || self.quorum as usize > n {
            return Err(GenesisError::BadQuorum {
                quorum: self.quorum,
                witnesses: n,
            });
        }
        for (i, w) in self.witnesses.iter().enumerate() {
            for other in &self.witnesses[..i] {
                if other.name == w.name {
                    return Err(GenesisError::DuplicateWitness(w.name.to_string()));
                }
                if other.key == w.key {
                    return Err(GenesisError::DuplicateWitness(w.key.to_string()));
                }
            }
        }
        Ok(())
    }
}

impl Genesis {
    /// Defines a new network and generates the Secretariat's first signing key (id `key-1`).
    /// The key is returned apart from the genesis: it is the root secret of the network and
    /// must be stored by the caller, never published.
    pub fn new_network(
        network: &str,
        secretariat: DidWeb,
        log_origin: &str,
        log_key: &str,
        witness_policy: WitnessPolicy,
        bootstrap: &[&str],
    ) -> Result<(Genesis, SecretKey), GenesisError> {
        let key = SecretKey::generate()?;
        let genesis = Genesis {
            network: network.parse()?,
            secretariat: SecretariatInfo {
                did: secretariat,
                verification_method: VerificationKey {
                    id: "key-1".parse::<Fragment>()?,
                    public_key_multibase: key.public(),
                },
                log_origin: log_origin.parse()?,
                log_key: log_key.parse()?,
            },
            witness_policy,
            bootstrap: bootstrap
                .iter()
                .map(|a| a.parse())
                .collect::<Result<_, _>>()?,
        };
        genesis.check()?;
        Ok((genesis, key))
    }

    /// Parses and checks a genesis file (any JSON layout; the id does not depend on it).
    pub fn from_json(bytes: &[u8]) -> Result<Genesis, GenesisError> {
        let genesis: Genesis =
            serde_json::from_slice(bytes).map_err(|e| GenesisError::Malformed(e.to_string()))?;
        genesis.check()?;
        Ok(genesis)
    }

    /// Checks the rules the types alone cannot express.
    pub fn check(&self) -> Result<(), GenesisError> {
        self.witness_policy.check()
    }

    /// Pretty JSON for people and files.
    pub fn to_json_pretty(&self) -> Result<String, GenesisError> {
        serde_json::to_string_pretty(self).map_err(|e| GenesisError::Encode(e.to_string()))
    }

    /// RFC 8785 canonical JSON: what [`Genesis::genesis_id`] hashes.
    pub fn canonical_json(&self) -> Result<Vec<u8>, GenesisError> {
        serde_json_canonicalizer::to_vec(self).map_err(|e| GenesisError::Encode(e.to_string()))
    }

    /// The network's identity: SHA-256 of the canonical JSON, so whitespace and key order in
    /// the file do not matter but every value does.
    pub fn genesis_id(&self) -> Result<GenesisId, GenesisError> {
        Ok(GenesisId(Sha256::digest(self.canonical_json()?).into()))
    }
}
