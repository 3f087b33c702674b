//! VC-JOSE (W3C "Securing Verifiable Credentials using JOSE and COSE", §3.1.1): the credential
//! is the JWS payload, compact serialisation, EdDSA, media type `application/vc+jwt`.
//!
//! We produce `typ: vc+jwt` as the Recommendation says and accept the older `vc-ld+jwt` on
//! input. josekit assembles and takes apart the JWS; the Ed25519 signature itself is made and
//! checked by the same `ed25519-dalek` keys the Data Integrity suites use:
//! josekit's own EdDSA goes through OpenSSL, whose key decoding and one-shot verify took two
//! fifths of a presentation's verification (BENCHMARKS.md). Ed25519 is deterministic, so the
//! tokens are byte for byte those josekit's OpenSSL signer made (the RFC 8037 vector below).

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use josekit::jws::alg::eddsa::EddsaJwsAlgorithm;
use josekit::jws::{JwsAlgorithm, JwsHeader, JwsSigner, JwsVerifier};
use serde_json::Value;

use crate::keys::{PublicKey, SecretKey};

/// `typ` of a credential.
pub const TYP_CREDENTIAL: &str = "vc+jwt";
/// `typ` of a presentation.
pub const TYP_PRESENTATION: &str = "vp+jwt";

/// Why a JWS could not be made or checked.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum JoseError {
    /// Not three base64url parts with a JSON header and payload.
    #[error("not a compact JWS: {0}")]
    Malformed(String),
    /// A header we do not accept.
    #[error("unacceptable JOSE header: {0}")]
    Header(String),
    /// Signature check failed.
    #[error("the JWS signature does not verify")]
    BadSignature,
    /// The JOSE library refused the key.
    #[error("key error: {0}")]
    Key(String),
}

/// The protected header and payload, before any check.
#[derive(Debug, Clone, PartialEq)]
pub struct Unverified {
    /// Protected header.
    pub header: Value,
    /// Payload (the credential or presentation).
    pub payload: Value,
}

/// The three parts of a compact JWS.
fn parts(token: &str) -> Result<[&str; 3], JoseError> {
    let mut it = token.trim().split('.');
    match (it.next(), it.next(), it.next(), it.next()) {
        (Some(h), Some(p), Some(s), None) => Ok([h, p, s]),
        _ => Err(JoseError::Malformed(
            "expected three '.'-separated parts".into(),
        )),
    }
}

fn json<T: serde::de::DeserializeOwned>(part: &str, what: &str) -> Result<T, JoseError> {
    let bytes = URL_SAFE_NO_PAD
        .decode(part)
        .map_err(|_| JoseError::Malformed(format!("{what} is not base64url")))?;
    serde_json::from_slice(&bytes).map_err(|_| JoseError::Malformed(format!("{what} is not JSON")))
}

/// Splits and decodes a compact JWS without checking it (to learn `kid` and the issuer).
pub fn decode(token: &str) -> Result<Unverified, JoseError> {
    let [header, payload, _] = parts(token)?;
    Ok(Unverified {
        header: json(header, "header")?,
        payload: json(payload, "payload")?,
    })
}

/// Whether `token` is a compact JWS whose header and payload are base64url JSON, as
/// [`decode`] would find, without building the payload (often the larger part).
pub fn check_form(token: &str) -> Result<(), JoseError> {
    let [header, payload, _] = parts(token)?;
    json::<Value>(header, "header")?;
    json::<serde::de::IgnoredAny>(payload, "payload")?;
    Ok(())
}

/// The protected header alone, without checking it (the payload, often the larger part, is
/// left undecoded).
pub fn decode_header(token: &str) -> Result<Value, JoseError> {
    json(parts(token)?[0], "header")
}

/// EdDSA signing over Ed25519 for josekit, with the project's own key.
#[derive(Debug, Clone)]
struct Ed25519Signer(SecretKey);

impl JwsSigner for Ed25519Signer {
    fn algorithm(&self) -> &dyn JwsAlgorithm {
        &EddsaJwsAlgorithm::Eddsa
    }
    fn key_id(&self) -> Option<&str> {
        // The caller writes `kid` into the header it passes.
        None
    }
    fn signature_len(&self) -> usize {
        64
    }
    fn sign(&self, message: &[u8]) -> Result<Vec<u8>, josekit::JoseError> {
        Ok(self.0.sign(message).to_vec())
    }
    fn box_clone(&self) -> Box<dyn JwsSigner> {
        Box::new(self.clone())
    }
}

/// EdDSA verification over Ed25519 for josekit (strict: no malleable signatures, no
/// small-order keys).
#[derive(Debug, Clone)]
struct Ed25519Verifier(PublicKey);

impl JwsVerifier for Ed25519Verifier {
    fn algorithm(&self) -> &dyn JwsAlgorithm {
        &EddsaJwsAlgorithm::Eddsa
    }
    fn key_id(&self) -> Option<&str> {
        // The caller checks `kid` against the issuer's or holder's keys.
        None
    }
    fn verify(&self, message: &[u8], signature: &[u8]) -> Result<(), josekit::JoseError> {
        if self.0.verify(message, signature) {
            Ok(())
        } else {
            Err(josekit::JoseError::InvalidSignature(anyhow::anyhow!(
                "EdDSA signature does not verify"
            )))
        }
    }
    fn box_clone(&self) -> Box<dyn JwsVerifier> {
        Box::new(self.clone())
    }
}

/// A JOSE signer for one key and verification method.
pub struct JoseSigner {
    signer: Ed25519Signer,
    kid: String,
}

impl std::fmt::Debug for JoseSigner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "JoseSigner({})", self.kid)
    }
}

impl JoseSigner {
    /// A signer for `key`, naming `kid` (the verification method id) in every header.
    pub fn new(key: &SecretKey, kid: &str) -> Result<JoseSigner, JoseError> {
        Ok(JoseSigner {
            signer: Ed25519Signer(key.clone()),
            kid: kid.to_owned(),
        })
    }

    /// Signs a credential (`typ: vc+jwt`) or presentation (`typ: vp+jwt`).
    pub fn sign(&self, payload: &Value, typ: &str) -> Result<String, JoseError> {
        let mut header = JwsHeader::new();
        header.set_token_type(typ);
        header.set_key_id(&self.kid);
        let bytes = serde_json::to_vec(payload).map_err(|e| JoseError::Malformed(e.to_string()))?;
        josekit::jws::serialize_compact(&bytes, &header, &self.signer)
            .map_err(|e| JoseError::Key(e.to_string()))
    }

    /// The `kid` this signer writes.
    pub fn kid(&self) -> &str {
        &self.kid
    }
}

/// Checks a compact JWS with `key`: EdDSA only, `typ` one of `accepted`, signature valid.
/// Returns the verified header and payload. The caller checks that `kid` belongs to the issuer.
pub fn verify(token: &str, key: &PublicKey, accepted: &[&str]) -> Result<Unverified, JoseError> {
    let (header, payload) = verify_as(token, key, accepted)?;
    Ok(Unverified { header, payload })
}

/// As [`verify`], reading from the payload only what `T` asks for.
pub fn verify_as<T: serde::de::DeserializeOwned>(
    token: &str,
    key: &PublicKey,
    accepted: &[&str],
) -> Result<(Value, T), JoseError> {
    let verifier = Ed25519Verifier(*key);
    // josekit decodes the header once and shows it here before it checks the signature.
    let selector = |header: &JwsHeader| -> Result<Option<&dyn JwsVerifier>, josekit::JoseError> {
        acceptable(header.claims_set(), accepted)
            .map(|()| Some(&verifier as &dyn JwsVerifier))
            .map_err(|e| josekit::JoseError::InvalidJwsFormat(anyhow::anyhow!(e.to_string())))
    };
    // josekit checks the signature over the exact header and payload text and hands back the
    // header and payload it verified: each decoded once, here. Its errors are only text, so a
    // refusal is explained again from the token (the failure path alone decodes twice).
    let (payload, header) = josekit::jws::deserialize_compact_with_selector(token.trim(), selector)
        .map_err(|_| match decode_header(token) {
            Err(form) => form,
            Ok(Value::Object(header)) => acceptable(&header, accepted)
                .err()
                .unwrap_or(JoseError::BadSignature),
            Ok(_) => JoseError::Header("the header is not a JSON object".into()),
        })?;
    // A JSON object, as a credential or presentation is (a derived struct would also take an
    // array, field by field).
    if payload.trim_ascii_start().first() != Some(&b'{') {
        return Err(JoseError::Malformed("payload is not a JSON object".into()));
    }
    let payload = serde_json::from_slice(&payload)
        .map_err(|e| JoseError::Malformed(format!("payload: {e}")))?;
    Ok((Value::Object(header.into_map()), payload))
}

/// The header checks: EdDSA only, `typ` one of `accepted`, no `crit` or `b64` extension.
fn acceptable(header: &serde_json::Map<String, Value>, accepted: &[&str]) -> Result<(), JoseError> {
    let alg = header.get("alg").unwrap_or(&Value::Null);
    if alg != "EdDSA" {
        return Err(JoseError::Header(format!(
            "alg {alg} (only EdDSA is accepted)"
        )));
    }
    let typ = header.get("typ").and_then(Value::as_str).unwrap_or("");
    if !accepted.contains(&typ) {
        return Err(JoseError::Header(format!(
            "typ {typ:?} (expected one of {accepted:?})"
        )));
    }
    if header.contains_key("crit") || header.contains_key("b64") {
        return Err(JoseError::Header(
            "crit/b64 extensions are not accepted".into(),
        ));
    }
    Ok(())
}

/// Accepted `typ` values for credentials (the Recommendation's, and the draft's that `ssi` and
/// others still emit).
pub const CREDENTIAL_TYPS: &[&str] = &["vc+jwt", "vc-ld+jwt"];
/// Accepted `typ` values for presentations.
pub const PRESENTATION_TYPS: &[&str] = &["vp+jwt", "vp-ld+jwt"];

#[cfg(test)]
mod tests {
    use super::*;

    fn key() -> SecretKey {
        SecretKey::from_seed(&[7; 32])
    }

    /// RFC 8037 appendix A.4: the Ed25519 JWS of "Example of Ed25519 signing" under the key
    /// of A.1, made and checked by josekit with our signer and verifier (the same bytes as any
    /// other EdDSA implementation, OpenSSL's included).
    #[test]
    fn reproduces_the_rfc_8037_ed25519_jws() {
        let d: [u8; 32] = URL_SAFE_NO_PAD
            .decode("nWGxne_9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A")
            .unwrap()
            .try_into()
            .unwrap();
        let key = SecretKey::from_seed(&d);
        assert_eq!(
            URL_SAFE_NO_PAD.encode(key.public().to_bytes()),
            "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"
        );
        let expected = "eyJhbGciOiJFZERTQSJ9.RXhhbXBsZSBvZiBFZDI1NTE5IHNpZ25pbmc.hgyY0il_MGCjP0JzlnLWG1PPOt7-09PGcvMg3AIbQR6dWbhijcNR4ki4iylGjg5BhVsPt9g7sVvpAr_MuM0KAg";
        let payload = b"Example of Ed25519 signing";
        let signer = Ed25519Signer(key.clone());
        let token = josekit::jws::serialize_compact(payload, &JwsHeader::new(), &signer).unwrap();
        assert_eq!(token, expected);
        let verifier = Ed25519Verifier(key.public());
        let (verified, _) = josekit::jws::deserialize_compact(expected, &verifier).unwrap();
        assert_eq!(verified, payload);
    }

    #[test]
    fn signs_and_verifies_with_the_recommendations_header() {
        let kid = "did:web:ma.example#key-1";
        let signer = JoseSigner::new(&key(), kid).unwrap();
        let vc = serde_json::json!({"@context": ["https://www.w3.org/ns/credentials/v2"], "type": ["VerifiableCredential"], "issuer": "did:web:ma.example"});
        let token = signer.sign(&vc, TYP_CREDENTIAL).unwrap();
        let v = verify(&token, &key().public(), CREDENTIAL_TYPS).unwrap();
        assert_eq!(v.header["typ"], "vc+jwt");
        assert_eq!(v.header["alg"], "EdDSA");
        assert_eq!(v.header["kid"], kid);
        assert_eq!(v.payload, vc);
    }

    /// A signed payload that is JSON but not an object is refused as such, whatever the
    /// caller reads from it (a struct of two fields would take an array).
    #[test]
    fn payloads_other_than_objects_are_refused() {
        let signer = JoseSigner::new(&key(), "did:key:z#z").unwrap();
        for payload in [serde_json::json!(["c-1", "domain"]), serde_json::json!("x")] {
            let token = signer.sign(&payload, TYP_PRESENTATION).unwrap();
            let refused = Some(JoseError::Malformed("payload is not a JSON object".into()));
            assert_eq!(
                verify(&token, &key().public(), PRESENTATION_TYPS).err(),
                refused
            );
            assert_eq!(
                verify_as::<(String, String)>(&token, &key().public(), PRESENTATION_TYPS).err(),
                refused
            );
        }
    }

    /// `check_form` (what parsing a request checks) accepts exactly what `decode` does.
    #[test]
    fn the_form_check_agrees_with_decoding() {
        let b64 = |s: &str| URL_SAFE_NO_PAD.encode(s);
        let header = b64(r#"{"alg":"EdDSA"}"#);
        let cases = [
            format!("{header}.{}.sig", b64(r#"{"a":[1,{"b":"c"}]}"#)),
            format!("{header}.{}.sig", b64("[1,2]")),
            format!("{header}.{}.sig", b64(r#"{"a":"#)),
            format!("{header}.{}.sig", b64(r#"{"a":1} x"#)),
            format!("{header}.not*base64.sig"),
            format!("{}.{}.sig", b64("{"), b64("{}")),
            format!("{header}.{}", b64("{}")),
            format!("{header}.{}.sig.more", b64("{}")),
        ];
        for token in cases {
            assert_eq!(check_form(&token).err(), decode(&token).err(), "{token}");
        }
    }

    #[test]
    fn tampered_or_foreign_tokens_fail() {
        let signer = JoseSigner::new(&key(), "did:web:ma.example#key-1").unwrap();
        let token = signer
            .sign(&serde_json::json!({"a": 1}), TYP_CREDENTIAL)
            .unwrap();
        let other = SecretKey::from_seed(&[8; 32]).public();
        assert_eq!(
            verify(&token, &other, CREDENTIAL_TYPS),
            Err(JoseError::BadSignature)
        );
        let parts: Vec<&str> = token.split('.').collect();
        let forged_payload = URL_SAFE_NO_PAD.encode(br#"{"a":2}"#);
        let forged = format!("{}.{}.{}", parts[0], forged_payload, parts[2]);
        assert_eq!(
            verify(&forged, &key().public(), CREDENTIAL_TYPS),
            Err(JoseError::BadSignature)
        );
        assert!(matches!(
            verify(&token, &key().public(), PRESENTATION_TYPS),
            Err(JoseError::Header(_))
        ));
        assert!(matches!(
            verify("a.b", &key().public(), CREDENTIAL_TYPS),
            Err(JoseError::Malformed(_))
        ));
        // Headers josekit refuses before showing them to the checks: still header faults.
        for header in [
            r#"{"alg":"none","typ":"vc+jwt"}"#,
            r#"{"alg":null,"typ":"vc+jwt"}"#,
            r#"{"alg":"EdDSA","typ":7}"#,
            r#"["EdDSA"]"#,
        ] {
            let unsigned = format!("{}.{}.", URL_SAFE_NO_PAD.encode(header), parts[1]);
            assert!(
                matches!(
                    verify(&unsigned, &key().public(), CREDENTIAL_TYPS),
                    Err(JoseError::Header(_))
                ),
                "{header}"
            );
        }
    }
}
