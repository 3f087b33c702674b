//! Ed25519 keys in the encodings the standards use: Multikey (`z6Mk...`), JWK, raw bytes.
//!
//! Keys cross crate boundaries as bytes or strings (two majors of `ed25519-dalek` live in the
//! dependency tree), so everything here converts from and to those.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use ed25519_dalek::{Signer as _, SigningKey, VerifyingKey};

/// Multicodec prefix of an Ed25519 public key (0xed, varint-encoded).
const ED25519_PUB: [u8; 2] = [0xed, 0x01];
/// Multicodec prefix of an Ed25519 private key (0x1300, varint-encoded).
const ED25519_PRIV: [u8; 2] = [0x80, 0x26];

/// A key that cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KeyError {
    /// Not `z` + base58btc.
    #[error("{0:?} is not a base58btc multibase value (it must start with 'z')")]
    NotMultibase(String),
    /// Wrong multicodec or length.
    #[error("{0:?} is not an Ed25519 Multikey")]
    NotEd25519(String),
    /// The bytes are not a valid Ed25519 point.
    #[error("invalid Ed25519 public key")]
    InvalidKey,
    /// The random source failed.
    #[error("cannot generate a key: {0}")]
    Random(String),
}

/// Decodes `z`-prefixed base58btc.
pub fn multibase_decode(value: &str) -> Result<Vec<u8>, KeyError> {
    let body = value
        .strip_prefix('z')
        .ok_or_else(|| KeyError::NotMultibase(value.to_owned()))?;
    bs58::decode(body)
        .into_vec()
        .map_err(|_| KeyError::NotMultibase(value.to_owned()))
}

/// Encodes as `z`-prefixed base58btc.
pub fn multibase_encode(bytes: &[u8]) -> String {
    format!("z{}", bs58::encode(bytes).into_string())
}

/// An Ed25519 public key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PublicKey(VerifyingKey);

impl PublicKey {
    /// From the 32 raw bytes.
    pub fn from_bytes(bytes: &[u8; 32]) -> Result<PublicKey, KeyError> {
        VerifyingKey::from_bytes(bytes)
            .map(PublicKey)
            .map_err(|_| KeyError::InvalidKey)
    }

    /// From a Multikey `publicKeyMultibase` (`z6Mk...`).
    pub fn from_multikey(value: &str) -> Result<PublicKey, KeyError> {
        let bytes = multibase_decode(value)?;
        let raw: &[u8; 32] = bytes
            .strip_prefix(&ED25519_PUB)
            .and_then(|k| k.try_into().ok())
            .ok_or_else(|| KeyError::NotEd25519(value.to_owned()))?;
        PublicKey::from_bytes(raw)
    }

    /// The Multikey `publicKeyMultibase`.
    pub fn to_multikey(&self) -> String {
        let mut bytes = ED25519_PUB.to_vec();
        bytes.extend_from_slice(self.0.as_bytes());
        multibase_encode(&bytes)
    }

    /// The public JWK (`kty: OKP`, `crv: Ed25519`).
    pub fn to_jwk(&self) -> serde_json::Value {
        serde_json::json!({
            "kty": "OKP",
            "crv": "Ed25519",
            "x": URL_SAFE_NO_PAD.encode(self.0.as_bytes()),
        })
    }

    /// From a public JWK.
    pub fn from_jwk(jwk: &serde_json::Value) -> Result<PublicKey, KeyError> {
        let bad = || KeyError::NotEd25519(jwk.to_string());
        if jwk["kty"] != "OKP" || jwk["crv"] != "Ed25519" {
            return Err(bad());
        }
        let x = jwk["x"].as_str().ok_or_else(bad)?;
        let bytes = URL_SAFE_NO_PAD.decode(x).map_err(|_| bad())?;
        let raw: [u8; 32] = bytes.try_into().map_err(|_| bad())?;
        PublicKey::from_bytes(&raw)
    }

    /// The raw bytes.
    pub fn to_bytes(&self) -> [u8; 32] {
        self.0.to_bytes()
    }

    /// The did:key of this key.
    pub fn did_key(&self) -> String {
        format!("did:key:{}", self.to_multikey())
    }

    /// The did:key verification method id (`did:key:z..#z..`).
    pub fn did_key_method(&self) -> String {
        let m = self.to_multikey();
        format!("did:key:{m}#{m}")
    }

    /// The X25519 key of the same key pair (RFC 7748 birational map, as libsodium's
    /// `crypto_sign_ed25519_pk_to_curve25519`): the key-agreement key a node publishes until it
    /// has a separate one.
    pub fn to_x25519(&self) -> [u8; 32] {
        self.0.to_montgomery().to_bytes()
    }

    /// The libp2p PeerId of this key: base58btc of the identity multihash of the protobuf
    /// `PublicKey { Type: Ed25519, Data }` (the libp2p peer-id specification), `12D3KooW...`.
    pub fn libp2p_peer_id(&self) -> String {
        let mut bytes = vec![0x00, 0x24, 0x08, 0x01, 0x12, 0x20];
        bytes.extend_from_slice(self.0.as_bytes());
        bs58::encode(bytes).into_string()
    }

    /// Verifies an Ed25519 signature (strict: rejects malleable encodings).
    pub fn verify(&self, message: &[u8], signature: &[u8]) -> bool {
        let Ok(sig) = ed25519_dalek::Signature::from_slice(signature) else {
            return false;
        };
        self.0.verify_strict(message, &sig).is_ok()
    }
}

/// An Ed25519 signing key. Its `Debug` never shows the secret.
#[derive(Clone)]
pub struct SecretKey(SigningKey);

impl std::fmt::Debug for SecretKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "SecretKey({})", self.public().to_multikey())
    }
}

impl SecretKey {
    /// A fresh random key.
    pub fn generate() -> Result<SecretKey, KeyError> {
        let mut seed = [0u8; 32];
        getrandom::getrandom(&mut seed).map_err(|e| KeyError::Random(e.to_string()))?;
        Ok(SecretKey::from_seed(&seed))
    }

    /// From the 32-byte seed.
    pub fn from_seed(seed: &[u8; 32]) -> SecretKey {
        SecretKey(SigningKey::from_bytes(seed))
    }

    /// From a `privateKeyMultibase` (`z3u2...`, multicodec ed25519-priv).
    pub fn from_multibase(value: &str) -> Result<SecretKey, KeyError> {
        let bytes = multibase_decode(value)?;
        let seed: &[u8; 32] = bytes
            .strip_prefix(&ED25519_PRIV)
            .and_then(|k| k.try_into().ok())
            .ok_or_else(|| KeyError::NotEd25519("(private key)".to_owned()))?;
        Ok(SecretKey::from_seed(seed))
    }

    /// The `privateKeyMultibase` form, for key files.
    pub fn to_multibase(&self) -> String {
        let mut bytes = ED25519_PRIV.to_vec();
        bytes.extend_from_slice(&self.0.to_bytes());
        multibase_encode(&bytes)
    }

    /// The seed bytes (for handing the key to another library).
    pub fn seed(&self) -> [u8; 32] {
        self.0.to_bytes()
    }

    /// The public half.
    pub fn public(&self) -> PublicKey {
        PublicKey(self.0.verifying_key())
    }

    /// Signs.
    pub fn sign(&self, message: &[u8]) -> [u8; 64] {
        self.0.sign(message).to_bytes()
    }

    /// The private JWK, for other implementations' tools (the interoperability test hands the
    /// holder key to an independent wallet); JOSE here signs with the key itself.
    pub fn to_jwk(&self) -> serde_json::Value {
        let mut jwk = self.public().to_jwk();
        jwk["d"] = URL_SAFE_NO_PAD.encode(self.0.to_bytes()).into();
        jwk
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn w3c_key_pair_decodes() {
        // vc-di-eddsa TestVectors/keyPair.json.
        let secret =
            SecretKey::from_multibase("z3u2en7t5LR2WtQH5PfFqMqwVHBeXouLzo6haApm8XHqvjxq").unwrap();
        assert_eq!(
            secret.public().to_multikey(),
            "z6MkrJVnaZkeFzdQyMZu1cgjg7k1pZZ6pvBQ7XJPt4swbTQ2"
        );
        assert_eq!(
            secret.to_multibase(),
            "z3u2en7t5LR2WtQH5PfFqMqwVHBeXouLzo6haApm8XHqvjxq"
        );
        let public =
            PublicKey::from_multikey("z6MkrJVnaZkeFzdQyMZu1cgjg7k1pZZ6pvBQ7XJPt4swbTQ2").unwrap();
        assert_eq!(PublicKey::from_jwk(&public.to_jwk()).unwrap(), public);
        assert!(format!("{secret:?}").starts_with("SecretKey(z6Mk"));
    }

    #[test]
    fn peer_id_and_x25519_follow_the_specifications() {
        let key = SecretKey::from_seed(&[1; 32]).public();
        let id = key.libp2p_peer_id();
        assert!(id.starts_with("12D3KooW"), "{id}");
        assert_eq!(bs58::decode(&id).into_vec().unwrap().len(), 38);
        assert_ne!(key.to_x25519(), key.to_bytes());
    }

    #[test]
    fn bad_keys_are_refused() {
        assert!(PublicKey::from_multikey("6MkrJVna").is_err());
        assert!(PublicKey::from_multikey("z0OIl").is_err());
        assert!(PublicKey::from_multikey(&multibase_encode(&[0xec, 0x01, 1, 2])).is_err());
        assert!(PublicKey::from_jwk(&serde_json::json!({"kty": "EC"})).is_err());
    }
}
