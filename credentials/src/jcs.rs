//! Data Integrity `eddsa-jcs-2022` (W3C vc-di-eddsa §3.3): JCS canonical JSON, SHA-256 and
//! Ed25519. `ssi` 0.16 does not implement this suite; it is small, so it lives here and is
//! checked against the specification's test vectors.
//!
//! hashData = SHA-256(JCS(proof configuration)) || SHA-256(JCS(document without proof)), where
//! the proof configuration is the proof without `proofValue` and carries the document's
//! `@context`. The signature over hashData is `proofValue`, base58btc multibase.

use serde_json::{Map, Value};
use sha2::{Digest, Sha256};

use crate::keys::{PublicKey, SecretKey, multibase_decode, multibase_encode};

/// The cryptosuite name.
pub const CRYPTOSUITE: &str = "eddsa-jcs-2022";

/// Why a proof could not be made or does not verify.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum JcsError {
    /// The document is not a JSON object.
    #[error("the document is not a JSON object")]
    NotAnObject,
    /// No `proof`, or not an `eddsa-jcs-2022` DataIntegrityProof.
    #[error("no eddsa-jcs-2022 DataIntegrityProof in the document")]
    NoProof,
    /// A required proof field is missing or of the wrong type.
    #[error("the proof has no valid {0}")]
    ProofField(&'static str),
    /// The proof's `@context` is not a prefix of the document's.
    #[error("the proof's @context does not match the document's")]
    ContextMismatch,
    /// `proofValue` is not base58btc or not 64 bytes.
    #[error("proofValue is not a base58btc Ed25519 signature")]
    BadProofValue,
    /// The signature does not verify with the key.
    #[error("the signature does not verify")]
    BadSignature,
    /// Canonicalisation failed.
    #[error("cannot canonicalise: {0}")]
    Canonical(String),
}

/// Options of a new proof.
#[derive(Debug, Clone)]
pub struct ProofOptions {
    /// Verification method id (`did:...#key`).
    pub verification_method: String,
    /// `assertionMethod` for credentials, `authentication` for presentations.
    pub proof_purpose: String,
    /// `YYYY-MM-DDTHH:MM:SSZ`.
    pub created: String,
    /// Verifier's challenge (presentations).
    pub challenge: Option<String>,
    /// Verifier's domain (presentations).
    pub domain: Option<String>,
}

fn jcs(value: &Value) -> Result<Vec<u8>, JcsError> {
    contracts::canonical::to_vec(value).map_err(|e| JcsError::Canonical(e.to_string()))
}

fn hash_data(proof_config: &Value, document: &Value) -> Result<Vec<u8>, JcsError> {
    let mut out = Sha256::digest(jcs(proof_config)?).to_vec();
    out.extend_from_slice(&Sha256::digest(jcs(document)?));
    Ok(out)
}

/// The proof configuration of a new Data Integrity proof of `cryptosuite`: the proof options
/// with the document's `@context` (both suites hash it in this form).
pub(crate) fn proof_config(
    document: &Value,
    cryptosuite: &str,
    options: &ProofOptions,
) -> Result<Value, JcsError> {
    let object = document.as_object().ok_or(JcsError::NotAnObject)?;
    if object.contains_key("proof") {
        return Err(JcsError::NoProof);
    }
    let mut proof = Map::new();
    proof.insert("type".into(), "DataIntegrityProof".into());
    proof.insert("cryptosuite".into(), cryptosuite.into());
    proof.insert("created".into(), options.created.clone().into());
    proof.insert(
        "verificationMethod".into(),
        options.verification_method.clone().into(),
    );
    proof.insert("proofPurpose".into(), options.proof_purpose.clone().into());
    if let Some(c) = &options.challenge {
        proof.insert("challenge".into(), c.clone().into());
    }
    if let Some(d) = &options.domain {
        proof.insert("domain".into(), d.clone().into());
    }
    if let Some(context) = object.get("@context") {
        proof.insert("@context".into(), context.clone());
    }
    Ok(Value::Object(proof))
}

/// Adds an `eddsa-jcs-2022` proof to `document` (a document with a proof already is refused:
/// proof sets are not used here). The proof keeps its `@context`, as the suite specifies.
pub fn sign(document: &Value, key: &SecretKey, options: &ProofOptions) -> Result<Value, JcsError> {
    let proof_config = proof_config(document, CRYPTOSUITE, options)?;
    let signature = key.sign(&hash_data(&proof_config, document)?);
    let mut proof = proof_config;
    proof["proofValue"] = multibase_encode(&signature).into();
    let mut secured = document.clone();
    secured["proof"] = proof;
    Ok(secured)
}

/// A verified proof: who signed, for what purpose.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifiedProof {
    /// `verificationMethod`.
    pub verification_method: String,
    /// `proofPurpose`.
    pub proof_purpose: String,
    /// `created`.
    pub created: Option<String>,
    /// `challenge`.
    pub challenge: Option<String>,
    /// `domain`.
    pub domain: Option<String>,
}

/// The proof's fields, without checking the signature: the caller needs the verification
/// method to find the key.
pub fn proof_of(secured: &Value) -> Result<VerifiedProof, JcsError> {
    data_integrity_proof(secured, CRYPTOSUITE)
}

/// The fields of a `DataIntegrityProof` of `cryptosuite`, shared by both Data Integrity suites.
pub(crate) fn data_integrity_proof(
    secured: &Value,
    cryptosuite: &str,
) -> Result<VerifiedProof, JcsError> {
    let proof = secured.get("proof").ok_or(JcsError::NoProof)?;
    if proof["type"] != "DataIntegrityProof" || proof["cryptosuite"] != cryptosuite {
        return Err(JcsError::NoProof);
    }
    let text = |name: &'static str| proof.get(name).and_then(Value::as_str).map(str::to_owned);
    Ok(VerifiedProof {
        verification_method: text("verificationMethod")
            .ok_or(JcsError::ProofField("verificationMethod"))?,
        proof_purpose: text("proofPurpose").ok_or(JcsError::ProofField("proofPurpose"))?,
        created: text("created"),
        challenge: text("challenge"),
        domain: text("domain"),
    })
}

/// Verifies the proof with `key`. The caller checks that the key belongs to the verification
/// method and that the method may be used for the proof's purpose.
pub fn verify(secured: &Value, key: &PublicKey) -> Result<VerifiedProof, JcsError> {
    let fields = proof_of(secured)?;
    let (proof_config, document, signature) = take_proof(secured)?;
    if let Some(proof_context) = proof_config.get("@context") {
        let as_list = |v: &Value| match v {
            Value::Array(items) => items.clone(),
            other => vec![other.clone()],
        };
        let doc_context = document.get("@context").map(as_list).unwrap_or_default();
        if !doc_context.starts_with(&as_list(proof_context)) {
            return Err(JcsError::ContextMismatch);
        }
    }
    if !key.verify(&hash_data(&proof_config, &document)?, &signature) {
        return Err(JcsError::BadSignature);
    }
    Ok(fields)
}

/// Splits a secured document into its proof without `proofValue`, the document without its
/// proof, and the 64-byte signature (shared by both Data Integrity suites).
pub(crate) fn take_proof(secured: &Value) -> Result<(Value, Value, Vec<u8>), JcsError> {
    let mut document = secured.clone();
    let mut proof = document
        .as_object_mut()
        .ok_or(JcsError::NotAnObject)?
        .remove("proof")
        .ok_or(JcsError::NoProof)?;
    let proof_value = proof
        .as_object_mut()
        .and_then(|p| p.remove("proofValue"))
        .and_then(|v| v.as_str().map(str::to_owned))
        .ok_or(JcsError::ProofField("proofValue"))?;
    let signature = multibase_decode(&proof_value).map_err(|_| JcsError::BadProofValue)?;
    if signature.len() != 64 {
        return Err(JcsError::BadProofValue);
    }
    Ok((proof, document, signature))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// W3C vc-di-eddsa TestVectors/eddsa-jcs-2022/signedJCS.json, signed with
    /// TestVectors/keyPair.json.
    const SIGNED: &str = r#"{
      "@context": ["https://www.w3.org/ns/credentials/v2", "https://www.w3.org/ns/credentials/examples/v2"],
      "id": "urn:uuid:58172aac-d8ba-11ed-83dd-0b3aef56cc33",
      "type": ["VerifiableCredential", "AlumniCredential"],
      "name": "Alumni Credential",
      "description": "A minimum viable example of an Alumni Credential.",
      "issuer": "https://vc.example/issuers/5678",
      "validFrom": "2023-01-01T00:00:00Z",
      "credentialSubject": {"id": "did:example:abcdefgh", "alumniOf": "The School of Examples"},
      "proof": {
        "type": "DataIntegrityProof",
        "cryptosuite": "eddsa-jcs-2022",
        "created": "2023-02-24T23:36:38Z",
        "verificationMethod": "https://vc.example/issuers/5678#z6MkrJVnaZkeFzdQyMZu1cgjg7k1pZZ6pvBQ7XJPt4swbTQ2",
        "proofPurpose": "assertionMethod",
        "@context": ["https://www.w3.org/ns/credentials/v2", "https://www.w3.org/ns/credentials/examples/v2"],
        "proofValue": "z63t83Y53KfzJ5ZosfKTnqfMcKB2dmTrfjSaQjeNNjAD5srBowQfmWqeRb8rRjmeEuCBEsddF9LsVogtuTsijJKh4"
      }
    }"#;

    fn key() -> SecretKey {
        SecretKey::from_multibase("z3u2en7t5LR2WtQH5PfFqMqwVHBeXouLzo6haApm8XHqvjxq").unwrap()
    }

    #[test]
    fn verifies_and_reproduces_the_w3c_test_vector() {
        let signed: Value = serde_json::from_str(SIGNED).unwrap();
        let proof = verify(&signed, &key().public()).unwrap();
        assert_eq!(proof.proof_purpose, "assertionMethod");

        // Ed25519 is deterministic: signing the same document with the same options gives the
        // vector's proofValue byte for byte.
        let mut unsigned = signed.clone();
        unsigned.as_object_mut().unwrap().remove("proof");
        let options = ProofOptions {
            verification_method: proof.verification_method,
            proof_purpose: proof.proof_purpose,
            created: "2023-02-24T23:36:38Z".into(),
            challenge: None,
            domain: None,
        };
        let again = sign(&unsigned, &key(), &options).unwrap();
        assert_eq!(again["proof"]["proofValue"], signed["proof"]["proofValue"]);
    }

    #[test]
    fn any_change_breaks_the_proof() {
        let signed: Value = serde_json::from_str(SIGNED).unwrap();
        let public = key().public();
        let mut t = signed.clone();
        t["credentialSubject"]["alumniOf"] = "Another School".into();
        assert_eq!(verify(&t, &public), Err(JcsError::BadSignature));
        let mut t = signed.clone();
        t["proof"]["created"] = "2023-02-24T23:36:39Z".into();
        assert_eq!(verify(&t, &public), Err(JcsError::BadSignature));
        let mut t = signed.clone();
        t["@context"] = serde_json::json!(["https://www.w3.org/ns/credentials/v2"]);
        assert_eq!(verify(&t, &public), Err(JcsError::ContextMismatch));
        let mut t = signed.clone();
        t["proof"]["proofValue"] = "zzz".into();
        assert_eq!(verify(&t, &public), Err(JcsError::BadProofValue));
        let other = SecretKey::from_seed(&[9; 32]).public();
        assert_eq!(verify(&signed, &other), Err(JcsError::BadSignature));
        let mut t = signed;
        t.as_object_mut().unwrap().remove("proof");
        assert_eq!(verify(&t, &public), Err(JcsError::NoProof));
    }
}
