//! Public keys as Multikey strings, and the one secret type.
//!
//! DID documents, the genesis file and registry entries all carry keys as Multikey
//! `publicKeyMultibase` values: `z` (base58btc) over a multicodec prefix and the raw key. Parsing
//! is strict (right prefix, right length, canonical base58) so one key has one spelling and key
//! comparisons can be string comparisons.

use ed25519_dalek::{Signer as _, SigningKey, VerifyingKey};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// Multicodec `ed25519-pub` (0xed) as an unsigned varint.
const ED25519_PUB: [u8; 2] = [0xed, 0x01];
/// Multicodec `x25519-pub` (0xec) as an unsigned varint.
const X25519_PUB: [u8; 2] = [0xec, 0x01];

/// Why a key string or key bytes were refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KeyError {
    /// Not `z` followed by canonical base58btc.
    #[error("{0:?} is not base58btc multibase ('z' followed by base58btc digits)")]
    NotMultibase(String),
    /// Multibase, but not the expected multicodec key.
    #[error("{value:?} is not an {expected} Multikey (multicodec prefix {prefix} and 32 bytes)")]
    WrongCodec {
        /// The value given.
        value: String,
        /// Which key type was expected.
        expected: &'static str,
        /// Its multicodec prefix.
        prefix: &'static str,
    },
    /// Right shape, but not a usable Ed25519 public key (not on the curve, or of small order).
    #[error("{0:?} is not a usable Ed25519 public key")]
    InvalidEd25519(String),
    /// The operating system's random source failed.
    #[error("cannot generate a key: the random source failed: {0}")]
    Random(String),
}

/// `z` + base58btc.
pub fn multibase_encode(bytes: &[u8]) -> String {
    format!("z{}", bs58::encode(bytes).into_string())
}

/// Decodes `z` + base58btc; refuses any other base and any non-canonical spelling.
pub fn multibase_decode(value: &str) -> Result<Vec<u8>, KeyError> {
    let bad = || KeyError::NotMultibase(value.to_owned());
    let body = value.strip_prefix('z').ok_or_else(bad)?;
    let bytes = bs58::decode(body).into_vec().map_err(|_| bad())?;
    if bs58::encode(&bytes).into_string() != body {
        return Err(bad());
    }
    Ok(bytes)
}

fn decode_multikey(
    value: &str,
    prefix: [u8; 2],
    expected: &'static str,
    prefix_name: &'static str,
) -> Result<[u8; 32], KeyError> {
    let bytes = multibase_decode(value)?;
    bytes
        .strip_prefix(&prefix)
        .and_then(|raw| <[u8; 32]>::try_from(raw).ok())
        .ok_or_else(|| KeyError::WrongCodec {
            value: value.to_owned(),
            expected,
            prefix: prefix_name,
        })
}

fn encode_multikey(prefix: [u8; 2], raw: &[u8; 32]) -> String {
    let mut bytes = Vec::with_capacity(34);
    bytes.extend_from_slice(&prefix);
    bytes.extend_from_slice(raw);
    multibase_encode(&bytes)
}

/// An Ed25519 public key that can verify signatures (weak keys are refused on the way in).
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Ed25519PublicKey([u8; 32]);

impl Ed25519PublicKey {
    /// From the 32 raw bytes.
    pub fn from_bytes(bytes: [u8; 32]) -> Result<Ed25519PublicKey, KeyError> {
        let key = VerifyingKey::from_bytes(&bytes)
            .map_err(|_| KeyError::InvalidEd25519(multibase_encode(&bytes)))?;
        if key.is_weak() {
            return Err(KeyError::InvalidEd25519(multibase_encode(&bytes)));
        }
        Ok(Ed25519PublicKey(bytes))
    }

    /// From a Multikey `publicKeyMultibase` (`z6Mk...`).
    pub fn from_multikey(value: &str) -> Result<Ed25519PublicKey, KeyError> {
        let raw = decode_multikey(value, ED25519_PUB, "Ed25519", "0xed01")?;
        Ed25519PublicKey::from_bytes(raw).map_err(|_| KeyError::InvalidEd25519(value.to_owned()))
    }

    /// The Multikey `publicKeyMultibase`.
    pub fn to_multikey(&self) -> String {
        encode_multikey(ED25519_PUB, &self.0)
    }

    /// The raw bytes.
    pub fn to_bytes(&self) -> [u8; 32] {
        self.0
    }

    /// Verifies a signature with the strict rules (no malleable or small-order encodings), so
    /// a signature that verifies here verifies in every other strict implementation.
    pub fn verify(&self, message: &[u8], signature: &[u8; 64]) -> bool {
        let Ok(key) = VerifyingKey::from_bytes(&self.0) else {
            return false;
        };
        let sig = ed25519_dalek::Signature::from_bytes(signature);
        key.verify_strict(message, &sig).is_ok()
    }
}

/// An X25519 public key, for encrypting to an authority (key agreement). Any 32 bytes are a
/// valid X25519 public key, so only the encoding is checked.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct X25519PublicKey([u8; 32]);

impl X25519PublicKey {
    /// From the 32 raw bytes.
    pub fn from_bytes(bytes: [u8; 32]) -> X25519PublicKey {
        X25519PublicKey(bytes)
    }

    /// From a Multikey `publicKeyMultibase` (`z6LS...`).
    pub fn from_multikey(value: &str) -> Result<X25519PublicKey, KeyError> {
        decode_multikey(value, X25519_PUB, "X25519", "0xec01").map(X25519PublicKey)
    }

    /// The Multikey `publicKeyMultibase`.
    pub fn to_multikey(&self) -> String {
        encode_multikey(X25519_PUB, &self.0)
    }

    /// The raw bytes.
    pub fn to_bytes(&self) -> [u8; 32] {
        self.0
    }
}

macro_rules! multikey_text {
    ($ty:ty) => {
        impl std::fmt::Display for $ty {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(&self.to_multikey())
            }
        }
        impl std::fmt::Debug for $ty {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                write!(f, "{}({})", stringify!($ty), self.to_multikey())
            }
        }
        impl std::str::FromStr for $ty {
            type Err = KeyError;
            fn from_str(s: &str) -> Result<Self, KeyError> {
                <$ty>::from_multikey(s)
            }
        }
        impl Serialize for $ty {
            fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(&self.to_multikey())
            }
        }
        impl<'de> Deserialize<'de> for $ty {
            fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let s = String::deserialize(d)?;
                s.parse().map_err(serde::de::Error::custom)
            }
        }
    };
}

multikey_text!(Ed25519PublicKey);
multikey_text!(X25519PublicKey);

/// An Ed25519 signing key. It never prints its secret half, has no `Clone` (one owner, wiped on
/// drop by `ed25519-dalek`), and leaves the crate only as bytes for the caller to store.
pub struct SecretKey(SigningKey);

impl SecretKey {
    /// A fresh key from the operating system's random source.
    pub fn generate() -> Result<SecretKey, KeyError> {
        let mut seed = [0u8; 32];
        getrandom::getrandom(&mut seed).map_err(|e| KeyError::Random(e.to_string()))?;
        let key = SecretKey(SigningKey::from_bytes(&seed));
        seed.fill(0);
        Ok(key)
    }

    /// From the 32-byte seed (as stored by the caller).
    pub fn from_seed(seed: &[u8; 32]) -> SecretKey {
        SecretKey(SigningKey::from_bytes(seed))
    }

    /// The 32-byte seed, for the caller to store (0600 key files in the node).
    pub fn to_seed(&self) -> [u8; 32] {
        self.0.to_bytes()
    }

    /// The public half.
    pub fn public(&self) -> Ed25519PublicKey {
        Ed25519PublicKey(self.0.verifying_key().to_bytes())
    }

    /// Signs a message.
    pub fn sign(&self, message: &[u8]) -> [u8; 64] {
        self.0.sign(message).to_bytes()
    }
}

impl std::fmt::Debug for SecretKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "SecretKey(public {}, secret redacted)", self.public())
    }
}
