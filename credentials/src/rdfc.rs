//! Data Integrity `eddsa-rdfc-2022` (W3C vc-di-eddsa §3.2): RDF Dataset Canonicalization of the
//! JSON-LD document and of the proof configuration, SHA-256 of each, Ed25519 over both.
//!
//! `ssi` does the JSON-LD expansion and RDFC-1.0 canonicalisation with contexts shipped in the
//! binary (`crate::context`), never fetched. The proof itself is assembled and checked here, like
//! `eddsa-jcs-2022`, so both suites share one path for keys, purposes and the issuer binding
//! (`ssi`'s own verifier does not check that the key belongs to the issuer: see
//! `shared/DEPENDENCIES.md`, trap 1).

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};

use serde_json::Value;
use sha2::{Digest, Sha256};
use ssi::json_ld::expansion::{Action, Options, Policy};
use ssi::json_ld::syntax::TryFromJson;
use ssi::json_ld::{Expand, Process};
use ssi::rdf::{AnyLdEnvironment, LdEnvironment};

use crate::context;
use crate::jcs::{JcsError as ProofError, ProofOptions, VerifiedProof};
use crate::keys::{PublicKey, SecretKey, multibase_encode};

/// The cryptosuite name.
pub const CRYPTOSUITE: &str = "eddsa-rdfc-2022";

/// A top-level `@context`, processed.
type Active = ssi::json_ld::Context;

/// Processed top-level contexts, by their JSON text. Loading and processing the VC 2.0 context
/// took most of the time of a canonicalisation, and nearly every document names the same one
/// or two lists: processed once, each is then cloned as the initial active context. Bounded,
/// since a document to verify may name any list of (built-in) contexts.
fn processed(context: &Value) -> Result<Arc<Active>, ProofError> {
    const MAX_CACHED: usize = 32;
    static CACHE: OnceLock<Mutex<HashMap<String, Arc<Active>>>> = OnceLock::new();
    let key = context.to_string();
    let cache = CACHE.get_or_init(Mutex::default);
    if let Some(hit) = cache.lock().ok().and_then(|c| c.get(&key).cloned()) {
        return Ok(hit);
    }
    let syntax = json_value(context.clone()).and_then(|v| {
        ssi::json_ld::syntax::context::Context::try_from_json(v)
            .map_err(|e| ProofError::Canonical(format!("@context: {e}")))
    })?;
    let active: Active =
        futures_executor::block_on(syntax.process(&mut (), context::loader(), None))
            .map_err(|e| ProofError::Canonical(format!("JSON-LD context processing: {e}")))?
            .into_processed();
    let active = Arc::new(active);
    if let Ok(mut c) = cache.lock()
        && c.len() < MAX_CACHED
    {
        c.insert(key, active.clone());
    }
    Ok(active)
}

fn json_value(value: Value) -> Result<ssi::json_ld::syntax::Value, ProofError> {
    serde_json::from_value(value).map_err(|e| ProofError::Canonical(e.to_string()))
}

/// RDFC-1.0 canonical N-Quads of a JSON-LD document, every context from the built-in set.
///
/// The document's top-level `@context` is processed once (see [`processed`]) and given to the
/// expansion as its initial active context, with the `@context` entry taken out: the
/// expansion algorithm would process that entry against the empty context first, which is
/// the same. Nested and scoped contexts are processed by the expansion, which remembers each
/// result (the patched `json-ld`, third_party/README.md).
pub fn canonical_nquads(document: &Value) -> Result<String, ProofError> {
    let mut document = document.clone();
    let active = match document.as_object_mut().and_then(|o| o.remove("@context")) {
        Some(context) => (*processed(&context)?).clone(),
        None => Active::default(),
    };
    let json = json_value(document)?;
    let options = Options {
        // As `ssi` expands: terms that expand to nothing are errors, not silently dropped.
        policy: Policy {
            invalid: Action::Reject,
            allow_undefined: false,
            ..Default::default()
        },
        ..Default::default()
    };
    futures_executor::block_on(async {
        let mut ld = LdEnvironment::default();
        let expanded = json
            .expand_full(
                &mut ld.vocabulary,
                active,
                None,
                context::loader(),
                options,
                (),
            )
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

    #[test]
    fn the_w3c_test_vector_verifies_again_once_its_contexts_are_remembered() {
        let signed: Value = serde_json::from_str(SIGNED).unwrap();
        let first = canonical_nquads(&signed).unwrap();
        for _ in 0..3 {
            verify(&signed, &key().public()).unwrap();
            assert_eq!(canonical_nquads(&signed).unwrap(), first);
        }
    }

    /// A credential whose second context defines `flavour` inline, and optionally a type whose
    /// scoped context defines it again.
    fn flavoured(inline: &str, value: &str, typed: bool) -> Value {
        let mut subject = serde_json::json!({"id": "did:example:subject", "flavour": value});
        if typed {
            subject["type"] = "Sweet".into();
        }
        serde_json::json!({
            "@context": [
                context::VC_V2,
                {
                    "flavour": inline,
                    "Sweet": {
                        "@id": "https://sweet.example/Sweet",
                        "@context": {"flavour": "https://sweet.example/flavour"}
                    }
                }
            ],
            "type": ["VerifiableCredential"],
            "issuer": "did:example:issuer",
            "credentialSubject": subject
        })
    }

    fn has(nquads: &str, predicate: &str, value: &str) -> bool {
        nquads.contains(&format!("<{predicate}> \"{value}\""))
    }

    /// Processed contexts are remembered (the patched `json-ld`, third_party/README.md): what
    /// a document means must still come from its own contexts, whatever came before it,
    /// including inline, type-scoped and embedded ones that differ by one term.
    #[test]
    fn remembered_contexts_never_leak_between_documents() {
        let a = "https://a.example/flavour";
        let b = "https://b.example/flavour";
        let sweet = "https://sweet.example/flavour";
        let first_a = canonical_nquads(&flavoured(a, "x", false)).unwrap();
        assert!(has(&first_a, a, "x"), "{first_a}");
        let first_b = canonical_nquads(&flavoured(b, "x", false)).unwrap();
        assert!(has(&first_b, b, "x") && !first_b.contains(a), "{first_b}");
        let typed = canonical_nquads(&flavoured(a, "x", true)).unwrap();
        assert!(has(&typed, sweet, "x") && !typed.contains(a), "{typed}");
        // Again, every context now processed before.
        assert_eq!(
            canonical_nquads(&flavoured(a, "x", false)).unwrap(),
            first_a
        );
        assert_eq!(
            canonical_nquads(&flavoured(b, "x", false)).unwrap(),
            first_b
        );
        assert_eq!(canonical_nquads(&flavoured(a, "x", true)).unwrap(), typed);

        // Embedded in one presentation, each credential keeps its own `flavour`.
        let presentation = serde_json::json!({
            "@context": [context::VC_V2],
            "type": ["VerifiablePresentation"],
            "verifiableCredential": [
                flavoured(a, "one", false),
                flavoured(b, "two", false),
                flavoured(b, "three", true)
            ]
        });
        let nquads = canonical_nquads(&presentation).unwrap();
        assert!(has(&nquads, a, "one"), "{nquads}");
        assert!(has(&nquads, b, "two"), "{nquads}");
        assert!(has(&nquads, sweet, "three"), "{nquads}");
        assert!(
            !has(&nquads, a, "two") && !has(&nquads, b, "one"),
            "{nquads}"
        );
        assert_eq!(canonical_nquads(&presentation).unwrap(), nquads);
    }

    /// A presentation whose own context carries the unused term `marker`, holding one
    /// credential with the context `inner`: a new marker gives the credential's context an
    /// active context nothing was processed against before.
    fn in_presentation(marker: &str, inner: &Value, subject: &str) -> Result<String, ProofError> {
        let marker = serde_json::json!({ marker: "https://marker.example/term" });
        canonical_nquads(&serde_json::json!({
            "@context": [context::VC_V2, marker],
            "type": ["VerifiablePresentation"],
            "verifiableCredential": [{
                "@context": inner,
                "type": ["VerifiableCredential"],
                "issuer": "did:example:issuer",
                "credentialSubject": {"id": subject, "note": "x"}
            }]
        }))
    }

    /// Contexts that the library's own equality calls equal but that mean different things
    /// (a language tag's case, an IRI's percent-encoding, the order of term definitions, on
    /// which a scoped context's validation depends): after one was remembered, the other
    /// must still be processed as written.
    #[test]
    fn contexts_equal_but_for_spelling_are_remembered_apart() {
        let vc = context::VC_V2;
        let note = "https://note.example/note";
        let cases = [
            (
                serde_json::json!([vc, {"@language": "EN", "note": note}]),
                serde_json::json!([vc, {"@language": "en", "note": note}]),
                "did:example:subject",
            ),
            (
                serde_json::json!([vc, {"@base": "https://ex.example/%61/", "note": note}]),
                serde_json::json!([vc, {"@base": "https://ex.example/a/", "note": note}]),
                "subject",
            ),
            (
                serde_json::json!([vc, {
                    "T": {"@id": "https://ex.example/T", "@context": {"ex:foo": {"@id": "https://ex.example/foo"}}},
                    "ex": "https://ex.example/",
                    "note": note
                }]),
                serde_json::json!([vc, {
                    "ex": "https://ex.example/",
                    "T": {"@id": "https://ex.example/T", "@context": {"ex:foo": {"@id": "https://ex.example/foo"}}},
                    "note": note
                }]),
                "did:example:subject",
            ),
        ];
        for (i, (written, alike, subject)) in cases.iter().enumerate() {
            let cold = in_presentation(&format!("cold{i}"), written, subject);
            in_presentation(&format!("warm{i}"), alike, subject).ok();
            let warm = in_presentation(&format!("warm{i}"), written, subject);
            assert_eq!(warm, cold, "case {i}");
        }
    }
}
