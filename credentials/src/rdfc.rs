//! Data Integrity `eddsa-rdfc-2022` (W3C vc-di-eddsa §3.2): RDF Dataset Canonicalization of the
//! JSON-LD document and of the proof configuration, SHA-256 of each, Ed25519 over both.
//!
//! `ssi` does the JSON-LD expansion and RDFC-1.0 canonicalisation with contexts shipped in the
//! binary (`crate::context`), never fetched. The proof itself is assembled and checked here, like
//! `eddsa-jcs-2022`, so both suites share one path for keys, purposes and the issuer binding
//! (`ssi`'s own verifier does not check that the key belongs to the issuer: see
//! `shared/DEPENDENCIES.md`, trap 1).

use serde_json::Value;
use sha2::{Digest, Sha256};
use ssi::json_ld::{CompactJsonLd, Expandable};
use ssi::rdf::{AnyLdEnvironment, LdEnvironment};

use crate::context;
use crate::jcs::{JcsError as ProofError, ProofOptions, VerifiedProof};
use crate::keys::{PublicKey, SecretKey, multibase_encode};

/// The cryptosuite name.
pub const CRYPTOSUITE: &str = "eddsa-rdfc-2022";

/// RDFC-1.0 canonical N-Quads of a JSON-LD document, every context from the built-in set.
pub fn canonical_nquads(document: &Value) -> Result<String, ProofError> {
    let json: ssi::json_ld::syntax::Value = serde_json::from_value(document.clone())
        .map_err(|e| ProofError::Canonical(e.to_string()))?;
    let doc = CompactJsonLd(json);
    futures_executor::block_on(async {
        let mut ld = LdEnvironment::default();
        let expanded = doc
            .expand_with(&mut ld, context::loader())
            .await
            .map_err(|e| ProofError::Canonical(format!("JSON-LD expansion: {e}")))?;
        let lines = ld
            .canonical_form_of(&expanded)
            .map_err(|e| ProofError::Canonical(format!("RDF canonicalisation: {e}")))?;
        Ok(lines.concat())
    })
}

fn hash_data(proof_config: &Value, document: &Value) -> Result<Vec<u8>, ProofError> {
    let mut out = Sha256::digest(canonical_nquads(proof_config)?.as_bytes()).to_vec();
    out.extend_from_slice(&Sha256::digest(canonical_nquads(document)?.as_bytes()));
    Ok(out)
}

/// Adds an `eddsa-rdfc-2022` proof.
pub fn sign(
    document: &Value,
    key: &SecretKey,
    options: &ProofOptions,
) -> Result<Value, ProofError> {
    let config = crate::jcs::proof_config(document, CRYPTOSUITE, options)?;
    let signature = key.sign(&hash_data(&config, document)?);
    let mut proof = config;
    if let Some(p) = proof.as_object_mut() {
        // The secured document carries the context once, at the top.
        p.remove("@context");
        p.insert("proofValue".into(), multibase_encode(&signature).into());
    }
    let mut secured = document.clone();
    secured["proof"] = proof;
    Ok(secured)
}

/// The proof's fields, unverified (to find the key).
pub fn proof_of(secured: &Value) -> Result<VerifiedProof, ProofError> {
    crate::jcs::data_integrity_proof(secured, CRYPTOSUITE)
}

/// Verifies the proof with `key`; the caller checks the key's binding and purpose.
pub fn verify(secured: &Value, key: &PublicKey) -> Result<VerifiedProof, ProofError> {
    let fields = proof_of(secured)?;
    let (mut config, document, signature) = crate::jcs::take_proof(secured)?;
    // The configuration is hashed with the document's context, which the secured form
    // carries once, at the top.
    if let (Some(c), Some(context)) = (config.as_object_mut(), document.get("@context")) {
        c.insert("@context".into(), context.clone());
    }
    if !key.verify(&hash_data(&config, &document)?, &signature) {
        return Err(ProofError::BadSignature);
    }
    Ok(fields)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// W3C vc-di-eddsa TestVectors/eddsa-rdfc-2022/signedDataInt.json, key TestVectors/keyPair.json.
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
        "cryptosuite": "eddsa-rdfc-2022",
        "created": "2023-02-24T23:36:38Z",
        "verificationMethod": "https://vc.example/issuers/5678#z6MkrJVnaZkeFzdQyMZu1cgjg7k1pZZ6pvBQ7XJPt4swbTQ2",
        "proofPurpose": "assertionMethod",
        "proofValue": "z21EVs3eXERqTn4acNHT9viboqgzUaQ3kTmhPT3eA8qrVPE7CrQq78WkzctnMX5W4CrzcKnHw8V6dvy5pgWYCU5e9"
      }
    }"#;

    fn key() -> SecretKey {
        SecretKey::from_multibase("z3u2en7t5LR2WtQH5PfFqMqwVHBeXouLzo6haApm8XHqvjxq").unwrap()
    }

    #[test]
    fn verifies_and_reproduces_the_w3c_test_vector() {
        let signed: Value = serde_json::from_str(SIGNED).unwrap();
        verify(&signed, &key().public()).unwrap();
        let mut unsigned = signed.clone();
        unsigned.as_object_mut().unwrap().remove("proof");
        let options = ProofOptions {
            verification_method: signed["proof"]["verificationMethod"]
                .as_str()
                .unwrap()
                .into(),
            proof_purpose: "assertionMethod".into(),
            created: "2023-02-24T23:36:38Z".into(),
            challenge: None,
            domain: None,
        };
        let again = sign(&unsigned, &key(), &options).unwrap();
        assert_eq!(again["proof"]["proofValue"], signed["proof"]["proofValue"]);
    }

    #[test]
    fn tampering_and_unknown_contexts_fail() {
        let signed: Value = serde_json::from_str(SIGNED).unwrap();
        let mut t = signed.clone();
        t["credentialSubject"]["alumniOf"] = "Elsewhere".into();
        assert_eq!(verify(&t, &key().public()), Err(ProofError::BadSignature));
        let mut t = signed.clone();
        t["@context"][1] = "https://unknown.example/context".into();
        assert!(matches!(
            verify(&t, &key().public()),
            Err(ProofError::Canonical(_))
        ));
        // The examples context maps unknown terms with @vocab, so an added term changes the
        // canonical form rather than disappearing from it.
        let mut t = signed;
        t["credentialSubject"]["addedTerm"] = "x".into();
        assert_eq!(verify(&t, &key().public()), Err(ProofError::BadSignature));
    }
}
