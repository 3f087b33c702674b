//! C2SP signed notes (<https://c2sp.org/signed-note>) with Ed25519 keys.
//!
//! Checkpoints and cosignatures travel as signed notes so that standard transparency tooling
//! (Go's `sumdb/note`, witnesses, monitors) can check what this ledger publishes. Parsing is
//! strict and bounded because notes arrive from other nodes and from the network.

use std::fmt;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use ed25519_dalek::{Signer as _, SigningKey, VerifyingKey};
use sha2::{Digest, Sha256};

use crate::hash::to_hex;

/// Largest note accepted by [`open`]: 1 MiB. A checkpoint with a hundred cosignatures is
/// under 20 KiB, so this only stops abuse.
pub const MAX_NOTE_SIZE: usize = 1 << 20;
/// Most signature lines accepted by [`open`] (the spec requires at least 16).
pub const MAX_SIGNATURES: usize = 100;
/// Signature type byte of plain Ed25519 note signatures.
pub const SIG_TYPE_ED25519: u8 = 0x01;

const SIG_PREFIX: &str = "\u{2014} ";
const PRIVATE_KEY_PREFIX: &str = "PRIVATE+KEY+";

/// Why a key string or a note was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NoteError {
    #[error("invalid key name {0:?}: must be non-empty, without spaces or '+'")]
    InvalidKeyName(String),
    #[error("malformed key string: {0}")]
    MalformedKey(&'static str),
    #[error("key id in key string does not match the key")]
    KeyIdMismatch,
    #[error("unsupported signature type 0x{0:02x}")]
    UnsupportedKeyType(u8),
    #[error("could not get randomness for a new key: {0}")]
    Randomness(String),
    #[error("note is {size} bytes, more than the {max} accepted")]
    TooLarge { size: usize, max: usize },
    #[error("note is not valid UTF-8 (at byte {0})")]
    NotUtf8(usize),
    #[error("note contains control character 0x{byte:02x} at byte {offset}")]
    ControlCharacter { byte: u8, offset: usize },
    #[error("note text must end with a newline")]
    TextNotNewlineTerminated,
    #[error("note has no blank line separating text from signatures")]
    MissingBlankLine,
    #[error("note has no signature lines")]
    NoSignatures,
    #[error("malformed signature line {line}: {reason}")]
    MalformedSignature { line: usize, reason: &'static str },
    #[error("note has more than {0} signatures")]
    TooManySignatures(usize),
    #[error("two known verifiers share the name {name:?} and key id {key_id:08x}")]
    AmbiguousVerifier { name: String, key_id: u32 },
    #[error("signature by known key {name}+{key_id:08x} does not verify")]
    BadSignature { name: String, key_id: u32 },
    #[error("no signature from a known key ({unverified} signatures from unknown keys)")]
    NoKnownSignature { unverified: usize },
}

/// Key id per the signed-note spec: first 4 bytes of SHA-256(name || "\n" || type || key).
pub fn key_id(name: &str, sig_type: u8, public_key: &[u8]) -> u32 {
    let mut h = Sha256::new();
    h.update(name.as_bytes());
    h.update(b"\n");
    h.update([sig_type]);
    h.update(public_key);
    let d = h.finalize();
    u32::from_be_bytes([d[0], d[1], d[2], d[3]])
}

/// Key names: non-empty, no Unicode whitespace, no '+', no control characters.
pub fn is_valid_key_name(name: &str) -> bool {
    !name.is_empty()
        && !name
            .chars()
            .any(|c| c.is_whitespace() || c == '+' || c.is_control())
}

fn check_name(name: &str) -> Result<(), NoteError> {
    if is_valid_key_name(name) {
        Ok(())
    } else {
        Err(NoteError::InvalidKeyName(name.to_owned()))
    }
}

/// Splits `name+hex8+base64` (after any `PRIVATE+KEY+` prefix) and checks the pieces.
/// Returns (name, key id, type byte, key material).
pub(crate) fn parse_key_string(s: &str) -> Result<(String, u32, u8, Vec<u8>), NoteError> {
    let mut parts = s.splitn(3, '+');
    let (Some(name), Some(id_hex), Some(b64)) = (parts.next(), parts.next(), parts.next()) else {
        return Err(NoteError::MalformedKey("expected name+keyid+key"));
    };
    check_name(name)?;
    if id_hex.len() != 8 || !id_hex.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(NoteError::MalformedKey("key id must be 8 hex digits"));
    }
    let key_id =
        u32::from_str_radix(id_hex, 16).map_err(|_| NoteError::MalformedKey("bad key id"))?;
    let raw = STANDARD
        .decode(b64)
        .map_err(|_| NoteError::MalformedKey("key is not valid base64"))?;
    let (&ty, material) = raw
        .split_first()
        .ok_or(NoteError::MalformedKey("empty key"))?;
    Ok((name.to_owned(), key_id, ty, material.to_vec()))
}

/// Parses a key string of signature type `ty` into (name, key id, the 32 key bytes).
pub(crate) fn parse_typed_key(s: &str, ty: u8) -> Result<(String, u32, [u8; 32]), NoteError> {
    let (name, id, found, material) = parse_key_string(s)?;
    if found != ty {
        return Err(NoteError::UnsupportedKeyType(found));
    }
    Ok((name, id, key_array(&material)?))
}

/// Parses a signer key string (`PRIVATE+KEY+name+id+base64(ty || seed)`) of type `ty`.
pub(crate) fn parse_signer_key(s: &str, ty: u8) -> Result<(String, u32, [u8; 32]), NoteError> {
    let rest = s
        .strip_prefix(PRIVATE_KEY_PREFIX)
        .ok_or(NoteError::MalformedKey(
            "signer key must start with PRIVATE+KEY+",
        ))?;
    parse_typed_key(rest, ty)
}

/// `name+hex8+base64(ty || key)`, the key string format shared by note and cosignature keys.
pub(crate) fn format_key_string(name: &str, key_id: u32, ty: u8, key: &[u8]) -> String {
    let mut raw = vec![ty];
    raw.extend_from_slice(key);
    format!("{name}+{key_id:08x}+{}", STANDARD.encode(raw))
}

/// The signer key string: [`format_key_string`] behind `PRIVATE+KEY+`.
pub(crate) fn format_signer_key(name: &str, key_id: u32, ty: u8, seed: &[u8]) -> String {
    format!(
        "{PRIVATE_KEY_PREFIX}{}",
        format_key_string(name, key_id, ty, seed)
    )
}

pub(crate) fn key_array(material: &[u8]) -> Result<[u8; 32], NoteError> {
    material
        .try_into()
        .map_err(|_| NoteError::MalformedKey("Ed25519 keys are 32 bytes"))
}

pub(crate) fn random_seed() -> Result<[u8; 32], NoteError> {
    let mut seed = [0u8; 32];
    getrandom::getrandom(&mut seed).map_err(|e| NoteError::Randomness(e.to_string()))?;
    Ok(seed)
}

/// Something that can check signature lines of a note: a log key, a cosigner key.
pub trait NoteVerify {
    fn name(&self) -> &str;
    fn key_id(&self) -> u32;
    /// Verifies `signature` (the bytes after the 4-byte key id) over the note text.
    fn verify(&self, text: &[u8], signature: &[u8]) -> bool;
}

/// An Ed25519 note signing key. The seed is secret: `Debug` shows only the public parts.
pub struct NoteSigner {
    name: String,
    key_id: u32,
    key: SigningKey,
}

impl NoteSigner {
    /// A new random key for `name`.
    pub fn generate(name: &str) -> Result<Self, NoteError> {
        Self::from_seed(name, random_seed()?)
    }

    /// The key derived from a 32-byte Ed25519 seed (RFC 8032 private key).
    pub fn from_seed(name: &str, seed: [u8; 32]) -> Result<Self, NoteError> {
        check_name(name)?;
        let key = SigningKey::from_bytes(&seed);
        let key_id = key_id(name, SIG_TYPE_ED25519, key.verifying_key().as_bytes());
        Ok(NoteSigner {
            name: name.to_owned(),
            key_id,
            key,
        })
    }

    /// Parses `PRIVATE+KEY+<name>+<hex key id>+<base64(0x01 || seed)>`.
    pub fn from_key_string(skey: &str) -> Result<Self, NoteError> {
        let (name, id, seed) = parse_signer_key(skey, SIG_TYPE_ED25519)?;
        let signer = Self::from_seed(&name, seed)?;
        if signer.key_id != id {
            return Err(NoteError::KeyIdMismatch);
        }
        Ok(signer)
    }

    /// The secret key string; handle like a password.
    pub fn to_key_string(&self) -> String {
        format_signer_key(
            &self.name,
            self.key_id,
            SIG_TYPE_ED25519,
            self.key.as_bytes(),
        )
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    pub fn key_id(&self) -> u32 {
        self.key_id
    }

    pub fn verifier(&self) -> NoteVerifier {
        NoteVerifier {
            name: self.name.clone(),
            key_id: self.key_id,
            key: self.key.verifying_key(),
        }
    }

    /// The signature line for `text` (which must already be a valid note text).
    pub fn signature_line(&self, text: &str) -> String {
        let sig = self.key.sign(text.as_bytes());
        let mut raw = self.key_id.to_be_bytes().to_vec();
        raw.extend_from_slice(&sig.to_bytes());
        format!("{SIG_PREFIX}{} {}\n", self.name, STANDARD.encode(raw))
    }
}

impl fmt::Debug for NoteSigner {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("NoteSigner")
            .field("name", &self.name)
            .field("key_id", &format_args!("{:08x}", self.key_id))
            .finish_non_exhaustive()
    }
}

/// An Ed25519 note verifier key (`<name>+<hex key id>+<base64(0x01 || public key)>`).
#[derive(Clone, PartialEq, Eq)]
pub struct NoteVerifier {
    name: String,
    key_id: u32,
    key: VerifyingKey,
}

impl NoteVerifier {
    /// Parses a verifier key string, checking that the key id matches the key.
    pub fn from_key_string(vkey: &str) -> Result<Self, NoteError> {
        let (name, id, key) = parse_typed_key(vkey, SIG_TYPE_ED25519)?;
        Self::from_public_key(&name, key).and_then(|v| {
            if v.key_id == id {
                Ok(v)
            } else {
                Err(NoteError::KeyIdMismatch)
            }
        })
    }

    /// A verifier from a name and a raw 32-byte Ed25519 public key.
    pub fn from_public_key(name: &str, public_key: [u8; 32]) -> Result<Self, NoteError> {
        check_name(name)?;
        let key = VerifyingKey::from_bytes(&public_key)
            .map_err(|_| NoteError::MalformedKey("not a valid Ed25519 public key"))?;
        Ok(NoteVerifier {
            name: name.to_owned(),
            key_id: key_id(name, SIG_TYPE_ED25519, &public_key),
            key,
        })
    }

    pub fn to_key_string(&self) -> String {
        format_key_string(
            &self.name,
            self.key_id,
            SIG_TYPE_ED25519,
            self.key.as_bytes(),
        )
    }

    pub fn public_key(&self) -> [u8; 32] {
        self.key.to_bytes()
    }
}

impl NoteVerify for NoteVerifier {
    fn name(&self) -> &str {
        &self.name
    }

    fn key_id(&self) -> u32 {
        self.key_id
    }

    fn verify(&self, text: &[u8], signature: &[u8]) -> bool {
        let Ok(sig) = ed25519_dalek::Signature::from_slice(signature) else {
            return false;
        };
        self.key.verify_strict(text, &sig).is_ok()
    }
}

impl fmt::Display for NoteVerifier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_key_string())
    }
}

impl fmt::Debug for NoteVerifier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "NoteVerifier({})", self.to_key_string())
    }
}

/// One signature line of a note.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NoteSignature {
    pub name: String,
    pub key_id: u32,
    /// The signature bytes after the 4-byte key id.
    pub signature: Vec<u8>,
}

impl NoteSignature {
    /// The line as it appears in a note, newline included.
    pub fn to_line(&self) -> String {
        let mut raw = self.key_id.to_be_bytes().to_vec();
        raw.extend_from_slice(&self.signature);
        format!("{SIG_PREFIX}{} {}\n", self.name, STANDARD.encode(raw))
    }

    /// Parses one signature line (with or without its final newline).
    pub fn parse_line(line: &str) -> Result<Self, NoteError> {
        parse_signature_line(line.strip_suffix('\n').unwrap_or(line), 1)
    }
}

/// A note whose signatures were checked by [`open`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OpenedNote {
    /// The signed text, final newline included.
    pub text: String,
    /// Signatures by known keys, all verified (one per key).
    pub verified: Vec<NoteSignature>,
    /// Signatures by keys the caller did not supply; not checked.
    pub unverified: Vec<NoteSignature>,
}

/// Checks that `text` can be the text of a note.
pub fn check_text(text: &str) -> Result<(), NoteError> {
    if let Some((offset, byte)) = text
        .bytes()
        .enumerate()
        .find(|&(_, b)| b < 0x20 && b != b'\n')
    {
        return Err(NoteError::ControlCharacter { byte, offset });
    }
    if !text.ends_with('\n') {
        return Err(NoteError::TextNotNewlineTerminated);
    }
    Ok(())
}

/// Signs `text` with every signer and returns the note.
pub fn sign(text: &str, signers: &[&NoteSigner]) -> Result<String, NoteError> {
    check_text(text)?;
    if signers.is_empty() {
        return Err(NoteError::NoSignatures);
    }
    let mut note = String::with_capacity(text.len() + 1 + signers.len() * 100);
    note.push_str(text);
    note.push('\n');
    for s in signers {
        note.push_str(&s.signature_line(text));
    }
    Ok(note)
}

fn parse_signature_line(line: &str, number: usize) -> Result<NoteSignature, NoteError> {
    let bad = |reason| NoteError::MalformedSignature {
        line: number,
        reason,
    };
    let rest = line
        .strip_prefix(SIG_PREFIX)
        .ok_or_else(|| bad("must start with an em dash and a space"))?;
    let (name, b64) = rest
        .split_once(' ')
        .ok_or_else(|| bad("expected key name, space, signature"))?;
    if !is_valid_key_name(name) {
        return Err(bad("invalid key name"));
    }
    let raw = STANDARD
        .decode(b64)
        .map_err(|_| bad("signature is not valid base64"))?;
    if raw.len() < 5 {
        return Err(bad("signature too short"));
    }
    let key_id = u32::from_be_bytes([raw[0], raw[1], raw[2], raw[3]]);
    Ok(NoteSignature {
        name: name.to_owned(),
        key_id,
        signature: raw[4..].to_vec(),
    })
}

/// Splits a note into text and signature lines without checking any signature. Useful to
/// read the origin of a checkpoint before choosing the verifier; never trust the result.
pub fn split(note: &[u8]) -> Result<(String, Vec<NoteSignature>), NoteError> {
    if note.len() > MAX_NOTE_SIZE {
        return Err(NoteError::TooLarge {
            size: note.len(),
            max: MAX_NOTE_SIZE,
        });
    }
    let s = std::str::from_utf8(note).map_err(|e| NoteError::NotUtf8(e.valid_up_to()))?;
    if let Some((offset, byte)) = s.bytes().enumerate().find(|&(_, b)| b < 0x20 && b != b'\n') {
        return Err(NoteError::ControlCharacter { byte, offset });
    }
    let split = s.rfind("\n\n").ok_or(NoteError::MissingBlankLine)?;
    let (text, sigs) = (&s[..=split], &s[split + 2..]);
    if sigs.is_empty() {
        return Err(NoteError::NoSignatures);
    }
    if !sigs.ends_with('\n') {
        return Err(NoteError::MalformedSignature {
            line: sigs.lines().count(),
            reason: "last signature line must end with a newline",
        });
    }
    let lines: Vec<&str> = sigs[..sigs.len() - 1].split('\n').collect();
    if lines.len() > MAX_SIGNATURES {
        return Err(NoteError::TooManySignatures(MAX_SIGNATURES));
    }
    let signatures = lines
        .iter()
        .enumerate()
        .map(|(i, line)| parse_signature_line(line, i + 1))
        .collect::<Result<Vec<_>, _>>()?;
    Ok((text.to_owned(), signatures))
}

/// Parses a note and verifies every signature made by one of `verifiers`. Fails unless at
/// least one known key signed, and fails if any known key's signature is bad. Signatures by
/// other keys are returned unchecked (the spec requires ignoring them).
pub fn open(note: &[u8], verifiers: &[&dyn NoteVerify]) -> Result<OpenedNote, NoteError> {
    for (i, a) in verifiers.iter().enumerate() {
        if verifiers[i + 1..]
            .iter()
            .any(|b| a.name() == b.name() && a.key_id() == b.key_id())
        {
            return Err(NoteError::AmbiguousVerifier {
                name: a.name().to_owned(),
                key_id: a.key_id(),
            });
        }
    }
    let (text, signatures) = split(note)?;
    let mut verified: Vec<NoteSignature> = Vec::new();
    let mut unverified: Vec<NoteSignature> = Vec::new();
    for sig in signatures {
        let known = verifiers
            .iter()
            .find(|v| v.name() == sig.name && v.key_id() == sig.key_id);
        match known {
            None => {
                if !unverified.contains(&sig) {
                    unverified.push(sig);
                }
            }
            Some(v) => {
                if !v.verify(text.as_bytes(), &sig.signature) {
                    return Err(NoteError::BadSignature {
                        name: sig.name,
                        key_id: sig.key_id,
                    });
                }
                if !verified
                    .iter()
                    .any(|s| s.name == sig.name && s.key_id == sig.key_id)
                {
                    verified.push(sig);
                }
            }
        }
    }
    if verified.is_empty() {
        return Err(NoteError::NoKnownSignature {
            unverified: unverified.len(),
        });
    }
    Ok(OpenedNote {
        text,
        verified,
        unverified,
    })
}

/// Hex of a key id, as it appears in key strings.
pub fn key_id_hex(id: u32) -> String {
    to_hex(&id.to_be_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    // The example key and note of Go's golang.org/x/mod/sumdb/note package documentation
    // and tests (reproduced as data).
    const VKEY: &str = "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW";
    const SKEY: &str =
        "PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz";
    const TEXT: &str = "If you think cryptography is the answer to your problem,\n\
                        then you don't know what your problem is.\n";
    const SIG_LINE: &str = "\u{2014} PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n";

    fn reference_note() -> String {
        format!("{TEXT}\n{SIG_LINE}")
    }

    #[test]
    fn reference_keys_parse_and_format_identically() {
        let v = NoteVerifier::from_key_string(VKEY).unwrap();
        assert_eq!(v.to_key_string(), VKEY);
        assert_eq!(v.key_id(), 0xc74f20a3);
        let s = NoteSigner::from_key_string(SKEY).unwrap();
        assert_eq!(s.to_key_string(), SKEY);
        assert_eq!(s.verifier(), v);
    }

    #[test]
    fn signing_reproduces_reference_note_byte_for_byte() {
        let s = NoteSigner::from_key_string(SKEY).unwrap();
        assert_eq!(sign(TEXT, &[&s]).unwrap(), reference_note());
    }

    #[test]
    fn reference_note_opens() {
        let v = NoteVerifier::from_key_string(VKEY).unwrap();
        let opened = open(reference_note().as_bytes(), &[&v]).unwrap();
        assert_eq!(opened.text, TEXT);
        assert_eq!(opened.verified.len(), 1);
        assert_eq!(opened.verified[0].name, "PeterNeumann");
        assert!(opened.unverified.is_empty());
    }

    #[test]
    fn signer_debug_does_not_leak_the_seed() {
        let s = NoteSigner::from_key_string(SKEY).unwrap();
        let dbg = format!("{s:?}");
        assert!(dbg.contains("PeterNeumann"));
        assert!(!dbg.contains("AYEKFALV"));
        assert!(!dbg.contains("PRIVATE"));
    }

    #[test]
    fn mangled_key_strings_are_refused() {
        assert!(NoteVerifier::from_key_string(VKEY).is_ok());
        // Every strict substring and every single-byte change must fail.
        let b = VKEY.as_bytes();
        for i in 0..b.len() {
            for j in i + 1..=b.len() {
                if (i != 0 || j != b.len())
                    && let Ok(s) = std::str::from_utf8(&b[i..j])
                {
                    assert!(NoteVerifier::from_key_string(s).is_err(), "{s}");
                }
            }
        }
        // Changing one byte must fail, except where base64 cannot notice (a change in the
        // unused low bits of the last character would decode to the same key).
        let mut m = b.to_vec();
        for i in 0..m.len() - 1 {
            m[i] = m[i].wrapping_add(1);
            if let Ok(s) = std::str::from_utf8(&m) {
                assert!(NoteVerifier::from_key_string(s).is_err(), "{s}");
            }
            m[i] = m[i].wrapping_sub(1);
        }
        assert_eq!(
            NoteVerifier::from_key_string(
                "PeterNeumann+cc469956+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW"
            ),
            Err(NoteError::KeyIdMismatch)
        );
        assert!(matches!(
            NoteVerifier::from_key_string(
                "PeterNeumann+c74f20a3+AhpczkcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW"
            ),
            Err(NoteError::UnsupportedKeyType(2))
        ));
        assert!(matches!(
            NoteSigner::from_key_string(VKEY),
            Err(NoteError::MalformedKey(_))
        ));
    }

    #[test]
    fn bad_signature_by_known_key_is_refused() {
        let v = NoteVerifier::from_key_string(VKEY).unwrap();
        let tampered = reference_note().replace("cryptography", "cryptographY");
        assert_eq!(
            open(tampered.as_bytes(), &[&v]),
            Err(NoteError::BadSignature {
                name: "PeterNeumann".into(),
                key_id: 0xc74f20a3
            })
        );
    }

    #[test]
    fn unknown_keys_are_ignored_but_one_known_key_is_required() {
        let other = NoteSigner::from_seed("other.example/key", [7; 32]).unwrap();
        let v = NoteVerifier::from_key_string(VKEY).unwrap();
        // Signed by an unknown key only.
        let note = sign(TEXT, &[&other]).unwrap();
        assert_eq!(
            open(note.as_bytes(), &[&v]),
            Err(NoteError::NoKnownSignature { unverified: 1 })
        );
        // Both: opens, the unknown one is reported unverified.
        let both = format!("{}{}", reference_note(), other.signature_line(TEXT));
        let opened = open(both.as_bytes(), &[&v]).unwrap();
        assert_eq!(opened.verified.len(), 1);
        assert_eq!(opened.unverified.len(), 1);
        // Same name as a known key but another id: ignored, not an error.
        let impostor = NoteSigner::from_seed("PeterNeumann", [9; 32]).unwrap();
        let with_impostor = format!("{}{}", reference_note(), impostor.signature_line(TEXT));
        let opened = open(with_impostor.as_bytes(), &[&v]).unwrap();
        assert_eq!(opened.unverified.len(), 1);
    }

    #[test]
    fn malformed_notes_are_refused_with_clear_errors() {
        let v = NoteVerifier::from_key_string(VKEY).unwrap();
        let open1 = |n: &[u8]| open(n, &[&v]);
        let good = reference_note();
        assert_eq!(
            open1(&[0xff, 0xfe, b'\n', b'\n']),
            Err(NoteError::NotUtf8(0))
        );
        assert_eq!(open1(TEXT.as_bytes()), Err(NoteError::MissingBlankLine));
        assert_eq!(
            open1(format!("{TEXT}\n").as_bytes()),
            Err(NoteError::NoSignatures)
        );
        // Truncated: the last signature line lost its newline or part of itself.
        assert!(matches!(
            open1(&good.as_bytes()[..good.len() - 1]),
            Err(NoteError::MalformedSignature { .. })
        ));
        assert!(matches!(
            open1(&good.as_bytes()[..good.len() - 10]),
            Err(NoteError::MalformedSignature { .. })
        ));
        // Not an em dash.
        let hyphen = good.replace('\u{2014}', "-");
        assert!(matches!(
            open1(hyphen.as_bytes()),
            Err(NoteError::MalformedSignature { .. })
        ));
        // Control characters.
        let tab = good.replace("If you", "If\tyou");
        assert!(matches!(
            open1(tab.as_bytes()),
            Err(NoteError::ControlCharacter { byte: 9, .. })
        ));
        let cr = good.replace("problem,\n", "problem,\r\n");
        assert!(matches!(
            open1(cr.as_bytes()),
            Err(NoteError::ControlCharacter { byte: 13, .. })
        ));
        // Oversized.
        let huge = format!("{}\n\n{SIG_LINE}", "a".repeat(MAX_NOTE_SIZE));
        assert!(matches!(
            open1(huge.as_bytes()),
            Err(NoteError::TooLarge { .. })
        ));
        // Too many signatures.
        let many = format!("{good}{}", SIG_LINE.repeat(MAX_SIGNATURES));
        assert_eq!(
            open1(many.as_bytes()),
            Err(NoteError::TooManySignatures(MAX_SIGNATURES))
        );
        // Exactly the maximum is fine (duplicates of a known key count once).
        let max = format!("{good}{}", SIG_LINE.repeat(MAX_SIGNATURES - 1));
        assert_eq!(open1(max.as_bytes()).unwrap().verified.len(), 1);
        // Signing refuses text that could not be opened.
        let s = NoteSigner::from_key_string(SKEY).unwrap();
        assert_eq!(
            sign("no newline", &[&s]),
            Err(NoteError::TextNotNewlineTerminated)
        );
    }

    #[test]
    fn text_may_contain_blank_lines() {
        let s = NoteSigner::generate("example.com/log").unwrap();
        let text = "line one\n\nline three\n\n";
        let note = sign(text, &[&s]).unwrap();
        let opened = open(note.as_bytes(), &[&s.verifier()]).unwrap();
        assert_eq!(opened.text, text);
    }

    #[test]
    fn ambiguous_verifiers_are_refused() {
        let v = NoteVerifier::from_key_string(VKEY).unwrap();
        assert!(matches!(
            open(reference_note().as_bytes(), &[&v, &v.clone()]),
            Err(NoteError::AmbiguousVerifier { .. })
        ));
    }

    #[test]
    fn generated_keys_round_trip() {
        let s = NoteSigner::generate("example.com/log42").unwrap();
        let again = NoteSigner::from_key_string(&s.to_key_string()).unwrap();
        assert_eq!(again.verifier(), s.verifier());
        let v = NoteVerifier::from_key_string(&s.verifier().to_key_string()).unwrap();
        assert_eq!(v, s.verifier());
        assert!(NoteSigner::generate("bad name").is_err());
        assert!(NoteSigner::generate("bad+name").is_err());
        assert!(NoteSigner::generate("").is_err());
    }
}
