//! Payloads sealed to an authority's key-agreement key: compact JWE, `ECDH-ES` with X25519
//! and `A256GCM` (RFC 7518 §4.6, RFC 8037). EPIX answers travel this way so only the
//! requesting authority reads the permit, whatever relays it.
//!
//! An authority's X25519 key is derived from its Ed25519 key (RFC 7748 / the usual
//! Ed25519-to-X25519 map), which is what the registry's `key_agreement` carries.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use josekit::jwe::{ECDH_ES, JweHeader};
use josekit::jwk::Jwk;
use sha2::Digest as _;

use crate::jose::JoseError;
use crate::keys::SecretKey;

/// Content encryption of every sealed payload.
const ENC: &str = "A256GCM";

fn x25519_jwk(public: &[u8; 32], secret: Option<&[u8; 32]>) -> Result<Jwk, JoseError> {
    let mut jwk = Jwk::new("OKP");
    jwk.set_curve("X25519");
    jwk.set_parameter("x", Some(URL_SAFE_NO_PAD.encode(public).into()))
        .map_err(|e| JoseError::Key(e.to_string()))?;
    if let Some(d) = secret {
        jwk.set_parameter("d", Some(URL_SAFE_NO_PAD.encode(d).into()))
            .map_err(|e| JoseError::Key(e.to_string()))?;
    }
    Ok(jwk)
}

/// The X25519 secret of an Ed25519 key (the clamping is X25519's own).
fn x25519_secret(key: &SecretKey) -> [u8; 32] {
    let hash = sha2::Sha512::digest(key.seed());
    let mut out = [0u8; 32];
    out.copy_from_slice(&hash[..32]);
    out
}

/// Seals `payload` to the X25519 key `recipient` (named `kid` in the header).
pub fn seal(recipient: &[u8; 32], kid: &str, payload: &[u8]) -> Result<String, JoseError> {
    let mut header = JweHeader::new();
    header.set_content_encryption(ENC);
    header.set_key_id(kid);
    let encrypter = ECDH_ES
        .encrypter_from_jwk(&x25519_jwk(recipient, None)?)
        .map_err(|e| JoseError::Key(e.to_string()))?;
    josekit::jwe::serialize_compact(payload, &header, &encrypter)
        .map_err(|e| JoseError::Key(e.to_string()))
}

/// Largest sealed payload opened (a permit with its credential is a few KiB).
pub const MAX_SEALED: usize = 1024 * 1024;

/// Opens a payload sealed to `key`'s X25519 key. Compressed payloads (`zip`) are refused
/// before anything is decrypted: inflating what a peer sent is how a small answer becomes a
/// memory exhaustion.
pub fn open(key: &SecretKey, jwe: &str) -> Result<Vec<u8>, JoseError> {
    let jwe = jwe.trim();
    if jwe.len() > MAX_SEALED {
        return Err(JoseError::Malformed(format!(
            "a sealed payload is at most {MAX_SEALED} bytes"
        )));
    }
    let header = jwe.split('.').next().unwrap_or_default();
    let header: serde_json::Value = URL_SAFE_NO_PAD
        .decode(header)
        .ok()
        .and_then(|b| serde_json::from_slice(&b).ok())
        .ok_or_else(|| JoseError::Malformed("the JWE header is not base64url JSON".into()))?;
    if header.get("zip").is_some() {
        return Err(JoseError::Header(
            "compressed (zip) payloads are refused".into(),
        ));
    }
    let secret = x25519_secret(key);
    let jwk = x25519_jwk(&key.public().to_x25519(), Some(&secret))?;
    let decrypter = ECDH_ES
        .decrypter_from_jwk(&jwk)
        .map_err(|e| JoseError::Key(e.to_string()))?;
    let (payload, header) = josekit::jwe::deserialize_compact(jwe, &decrypter)
        .map_err(|e| JoseError::Malformed(e.to_string()))?;
    if header.content_encryption() != Some(ENC) {
        return Err(JoseError::Header(format!("enc must be {ENC}")));
    }
    Ok(payload)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn only_the_recipient_opens_a_sealed_payload() {
        let alice = SecretKey::from_seed(&[1; 32]);
        let eve = SecretKey::from_seed(&[2; 32]);
        let jwe = seal(&alice.public().to_x25519(), "did:web:a#ka-1", b"permit").unwrap();
        assert_eq!(open(&alice, &jwe).unwrap(), b"permit");
        assert!(open(&eve, &jwe).is_err());
        let mut tampered = jwe.clone();
        tampered.pop();
        tampered.push(if jwe.ends_with('A') { 'B' } else { 'A' });
        assert!(open(&alice, &tampered).is_err());
    }

    #[test]
    fn a_compressed_payload_is_refused_before_decryption() {
        let alice = SecretKey::from_seed(&[1; 32]);
        let mut header = JweHeader::new();
        header.set_content_encryption(ENC);
        header.set_compression("DEF");
        let encrypter = ECDH_ES
            .encrypter_from_jwk(&x25519_jwk(&alice.public().to_x25519(), None).unwrap())
            .unwrap();
        let jwe = josekit::jwe::serialize_compact(&[0u8; 4096], &header, &encrypter).unwrap();
        assert!(matches!(open(&alice, &jwe), Err(JoseError::Header(_))));
    }
}
