//! C2SP tlog-cosignature `cosignature/v1` (<https://c2sp.org/tlog-cosignature>): timestamped
//! Ed25519 witness cosignatures over a checkpoint.
//!
//! A cosignature says "as of this time, this is the largest consistent tree I have seen for
//! this origin". Its key id uses signature type 0x04 so the same Ed25519 key can never be
//! confused with a plain note key.

use std::fmt;

use ed25519_dalek::{Signer as _, SigningKey, VerifyingKey};

use crate::note::{
    NoteError, NoteSignature, NoteVerify, format_key_string, format_signer_key, is_valid_key_name,
    key_id, parse_signer_key, parse_typed_key, random_seed,
};

/// Signature type byte of timestamped Ed25519 cosignatures.
pub const SIG_TYPE_COSIGNATURE_V1: u8 = 0x04;
/// Length of the signature payload: 8-byte timestamp and 64-byte Ed25519 signature.
pub const COSIGNATURE_LEN: usize = 72;

/// Why a cosignature key or line was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CosignatureError {
    #[error("cosignature key: {0}")]
    Key(#[from] NoteError),
    #[error("cosignature is for key {name}+{key_id:08x}, not this cosigner")]
    WrongKey { name: String, key_id: u32 },
    #[error("cosignature payload is {0} bytes, expected {COSIGNATURE_LEN}")]
    WrongLength(usize),
    #[error("cosignature timestamp {0} exceeds 2^63-1")]
    TimestampOutOfRange(u64),
    #[error("cosignature does not verify")]
    BadSignature,
}

/// The message a `cosignature/v1` signs: header, time line, then the checkpoint body.
pub fn cosigned_message(checkpoint_body: &str, timestamp: u64) -> Vec<u8> {
    let mut m = format!("cosignature/v1\ntime {timestamp}\n").into_bytes();
    m.extend_from_slice(checkpoint_body.as_bytes());
    m
}

/// A witness's cosigning key. `Debug` never shows the seed.
pub struct CosignatureSigner {
    name: String,
    key_id: u32,
    key: SigningKey,
}

impl CosignatureSigner {
    pub fn generate(name: &str) -> Result<Self, CosignatureError> {
        Self::from_seed(name, random_seed()?)
    }

    pub fn from_seed(name: &str, seed: [u8; 32]) -> Result<Self, CosignatureError> {
        if !is_valid_key_name(name) {
            return Err(NoteError::InvalidKeyName(name.to_owned()).into());
        }
        let key = SigningKey::from_bytes(&seed);
        Ok(CosignatureSigner {
            name: name.to_owned(),
            key_id: key_id(
                name,
                SIG_TYPE_COSIGNATURE_V1,
                key.verifying_key().as_bytes(),
            ),
            key,
        })
    }

    /// Parses `PRIVATE+KEY+<name>+<hex key id>+<base64(0x04 || seed)>`.
    pub fn from_key_string(skey: &str) -> Result<Self, CosignatureError> {
        let (name, id, seed) = parse_signer_key(skey, SIG_TYPE_COSIGNATURE_V1)?;
        let s = Self::from_seed(&name, seed)?;
        if s.key_id != id {
            return Err(NoteError::KeyIdMismatch.into());
        }
        Ok(s)
    }

    /// The secret key string; handle like a password.
    pub fn to_key_string(&self) -> String {
        format_signer_key(
            &self.name,
            self.key_id,
            SIG_TYPE_COSIGNATURE_V1,
            self.key.as_bytes(),
        )
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    pub fn key_id(&self) -> u32 {
        self.key_id
    }

    pub fn verifier(&self) -> CosignatureVerifier {
        CosignatureVerifier {
            name: self.name.clone(),
            key_id: self.key_id,
            key: self.key.verifying_key(),
        }
    }

    /// Cosigns a checkpoint body at `timestamp` (POSIX seconds).
    pub fn cosign(
        &self,
        checkpoint_body: &str,
        timestamp: u64,
    ) -> Result<Cosignature, CosignatureError> {
        if timestamp > i64::MAX as u64 {
            return Err(CosignatureError::TimestampOutOfRange(timestamp));
        }
        let sig = self.key.sign(&cosigned_message(checkpoint_body, timestamp));
        Ok(Cosignature {
            name: self.name.clone(),
            key_id: self.key_id,
            timestamp,
            signature: sig.to_bytes(),
        })
    }
}

impl fmt::Debug for CosignatureSigner {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CosignatureSigner")
            .field("name", &self.name)
            .field("key_id", &format_args!("{:08x}", self.key_id))
            .finish_non_exhaustive()
    }
}

/// A cosigner's public key (`<name>+<hex key id>+<base64(0x04 || public key)>`).
#[derive(Clone, PartialEq, Eq)]
pub struct CosignatureVerifier {
    name: String,
    key_id: u32,
    key: VerifyingKey,
}

impl CosignatureVerifier {
    pub fn from_key_string(vkey: &str) -> Result<Self, CosignatureError> {
        let (name, id, material) = parse_typed_key(vkey, SIG_TYPE_COSIGNATURE_V1)?;
        let key = VerifyingKey::from_bytes(&material)
            .map_err(|_| NoteError::MalformedKey("not a valid Ed25519 public key"))?;
        let computed = key_id(&name, SIG_TYPE_COSIGNATURE_V1, key.as_bytes());
        if computed != id {
            return Err(NoteError::KeyIdMismatch.into());
        }
        Ok(CosignatureVerifier {
            name,
            key_id: id,
            key,
        })
    }

    pub fn to_key_string(&self) -> String {
        format_key_string(
            &self.name,
            self.key_id,
            SIG_TYPE_COSIGNATURE_V1,
            self.key.as_bytes(),
        )
    }

    /// Verifies a cosignature over `checkpoint_body` and returns its timestamp.
    pub fn verify(
        &self,
        checkpoint_body: &str,
        cosignature: &Cosignature,
    ) -> Result<u64, CosignatureError> {
        if cosignature.name != self.name || cosignature.key_id != self.key_id {
            return Err(CosignatureError::WrongKey {
                name: cosignature.name.clone(),
                key_id: cosignature.key_id,
            });
        }
        if cosignature.timestamp > i64::MAX as u64 {
            return Err(CosignatureError::TimestampOutOfRange(cosignature.timestamp));
        }
        let sig = ed25519_dalek::Signature::from_bytes(&cosignature.signature);
        self.key
            .verify_strict(
                &cosigned_message(checkpoint_body, cosignature.timestamp),
                &sig,
            )
            .map_err(|_| CosignatureError::BadSignature)?;
        Ok(cosignature.timestamp)
    }
}

impl NoteVerify for CosignatureVerifier {
    fn name(&self) -> &str {
        &self.name
    }

    fn key_id(&self) -> u32 {
        self.key_id
    }

    fn verify(&self, text: &[u8], signature: &[u8]) -> bool {
        let Ok(text) = std::str::from_utf8(text) else {
            return false;
        };
        let Ok(c) = Cosignature::from_payload(&self.name, self.key_id, signature) else {
            return false;
        };
        CosignatureVerifier::verify(self, text, &c).is_ok()
    }
}

impl fmt::Display for CosignatureVerifier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_key_string())
    }
}

impl fmt::Debug for CosignatureVerifier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "CosignatureVerifier({})", self.to_key_string())
    }
}

/// A parsed `cosignature/v1` signature.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Cosignature {
    pub name: String,
    pub key_id: u32,
    pub timestamp: u64,
    pub signature: [u8; 64],
}

impl Cosignature {
    /// Reads the 72-byte payload (after the key id) of a cosignature line.
    pub fn from_payload(name: &str, key_id: u32, payload: &[u8]) -> Result<Self, CosignatureError> {
        if payload.len() != COSIGNATURE_LEN {
            return Err(CosignatureError::WrongLength(payload.len()));
        }
        let mut ts = [0u8; 8];
        ts.copy_from_slice(&payload[..8]);
        let mut signature = [0u8; 64];
        signature.copy_from_slice(&payload[8..]);
        Ok(Cosignature {
            name: name.to_owned(),
            key_id,
            timestamp: u64::from_be_bytes(ts),
            signature,
        })
    }

    /// Parses a note signature line holding a cosignature.
    pub fn parse_line(line: &str) -> Result<Self, CosignatureError> {
        let sig = NoteSignature::parse_line(line)?;
        Self::from_payload(&sig.name, sig.key_id, &sig.signature)
    }

    /// The note signature line, newline included.
    pub fn to_line(&self) -> String {
        let mut payload = self.timestamp.to_be_bytes().to_vec();
        payload.extend_from_slice(&self.signature);
        NoteSignature {
            name: self.name.clone(),
            key_id: self.key_id,
            signature: payload,
        }
        .to_line()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checkpoint::{Checkpoint, SignedCheckpoint};
    use crate::hash::leaf_hash;
    use crate::note::{NoteSigner, open};

    #[test]
    fn cosign_verify_and_line_round_trip() {
        let w = CosignatureSigner::from_seed("witness.example/w1", [3; 32]).unwrap();
        let body = Checkpoint::new("example.com/log", 10, leaf_hash(b"r")).to_text();
        let c = w.cosign(&body, 1_679_315_147).unwrap();
        let line = c.to_line();
        assert!(line.starts_with("\u{2014} witness.example/w1 "));
        let parsed = Cosignature::parse_line(&line).unwrap();
        assert_eq!(parsed, c);
        let v = w.verifier();
        assert_eq!(v.verify(&body, &parsed), Ok(1_679_315_147));
        // Another body, another time or another key: refused.
        let other = Checkpoint::new("example.com/log", 11, leaf_hash(b"r")).to_text();
        assert_eq!(
            v.verify(&other, &parsed),
            Err(CosignatureError::BadSignature)
        );
        let mut later = parsed.clone();
        later.timestamp += 1;
        assert_eq!(v.verify(&body, &later), Err(CosignatureError::BadSignature));
        let w2 = CosignatureSigner::generate("witness.example/w2").unwrap();
        assert!(matches!(
            w2.verifier().verify(&body, &parsed),
            Err(CosignatureError::WrongKey { .. })
        ));
    }

    #[test]
    fn key_strings_round_trip_and_use_type_0x04() {
        let w = CosignatureSigner::generate("witness.example/w1").unwrap();
        let v = CosignatureVerifier::from_key_string(&w.verifier().to_key_string()).unwrap();
        assert_eq!(v, w.verifier());
        let again = CosignatureSigner::from_key_string(&w.to_key_string()).unwrap();
        assert_eq!(again.verifier(), v);
        // A note (0x01) key string is not a cosigner key.
        let n = NoteSigner::generate("witness.example/w1").unwrap();
        assert!(matches!(
            CosignatureVerifier::from_key_string(&n.verifier().to_key_string()),
            Err(CosignatureError::Key(NoteError::UnsupportedKeyType(1)))
        ));
        assert!(!format!("{w:?}").contains("PRIVATE"));
    }

    #[test]
    fn cosigned_checkpoint_opens_with_both_log_and_witness_keys() {
        let log = NoteSigner::generate("example.com/log").unwrap();
        let w = CosignatureSigner::generate("witness.example/w1").unwrap();
        let cp = SignedCheckpoint::sign(
            Checkpoint::new("example.com/log", 3, leaf_hash(b"x")),
            &[&log],
        )
        .unwrap();
        let body = cp.checkpoint().to_text();
        let line = w.cosign(&body, 100).unwrap().to_line();
        let note = cp.with_extra_signatures(&[line]);
        let lv = log.verifier();
        let wv = w.verifier();
        let opened = open(&note, &[&lv, &wv]).unwrap();
        assert_eq!(opened.verified.len(), 2);
        // With only the log key the cosignature is simply unverified.
        let opened = open(&note, &[&lv]).unwrap();
        assert_eq!(opened.unverified.len(), 1);
    }

    #[test]
    fn message_layout_matches_spec() {
        let body =
            "example.com/behind-the-sofa\n20852163\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n";
        assert_eq!(
            cosigned_message(body, 1679315147),
            format!("cosignature/v1\ntime 1679315147\n{body}").into_bytes()
        );
    }
}
