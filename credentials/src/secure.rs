//! One interface over the three securing mechanisms, so issuance, presentation and verification
//! do not care which one a node chose: VC-JOSE (enveloping, a compact JWS string) and Data
//! Integrity `eddsa-rdfc-2022` / `eddsa-jcs-2022` (embedded `proof`).

use serde::{Deserialize, Serialize};
use serde_json::Value;
use sha2::{Digest as _, Sha256};

use crate::jcs::{self, JcsError, ProofOptions, VerifiedProof};
use crate::jose::{self, JoseError, JoseSigner};
use crate::keys::{PublicKey, SecretKey};
use crate::rdfc;

/// How a credential or presentation is secured.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Mechanism {
    /// VC-JOSE: `application/vc+jwt`.
    #[serde(rename = "jose")]
    Jose,
    /// Data Integrity with RDF canonicalisation.
    #[serde(rename = "eddsa-rdfc-2022")]
    EddsaRdfc2022,
    /// Data Integrity with JSON canonicalisation.
    #[serde(rename = "eddsa-jcs-2022")]
    EddsaJcs2022,
}

impl Mechanism {
    /// Every mechanism.
    pub const ALL: [Mechanism; 3] = [
        Mechanism::Jose,
        Mechanism::EddsaRdfc2022,
        Mechanism::EddsaJcs2022,
    ];
}

impl std::str::FromStr for Mechanism {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "jose" | "vc+jwt" => Ok(Mechanism::Jose),
            "eddsa-rdfc-2022" => Ok(Mechanism::EddsaRdfc2022),
            "eddsa-jcs-2022" => Ok(Mechanism::EddsaJcs2022),
            other => Err(format!(
                "unknown securing mechanism {other:?} (use jose, eddsa-rdfc-2022 or eddsa-jcs-2022)"
            )),
        }
    }
}

/// A secured credential or presentation, as it travels.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Secured {
    /// A compact JWS.
    Jwt(String),
    /// A JSON-LD document with an embedded proof.
    Embedded(Value),
}

/// Why securing or checking failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SecureError {
    /// JOSE failure.
    #[error(transparent)]
    Jose(#[from] JoseError),
    /// Data Integrity failure.
    #[error(transparent)]
    Proof(#[from] JcsError),
    /// An embedded document with no proof we know.
    #[error(
        "the document has no proof of a supported cryptosuite (eddsa-rdfc-2022, eddsa-jcs-2022)"
    )]
    UnknownProof,
}

/// What a verified proof says of itself.
#[derive(Debug, Clone, PartialEq)]
pub struct Proof {
    /// The mechanism.
    pub mechanism: Mechanism,
    /// The verification method (`kid` or `verificationMethod`).
    pub method: String,
    /// `assertionMethod` / `authentication` (Data Integrity); for JOSE, implied by `typ`.
    pub purpose: String,
    /// Challenge (DI `challenge`, JOSE `nonce`).
    pub challenge: Option<String>,
    /// Domain (DI `domain`, JOSE `aud`).
    pub domain: Option<String>,
}

/// A verified document and its proof.
#[derive(Debug, Clone, PartialEq)]
pub struct Proven {
    /// The payload without its proof.
    pub document: Value,
    /// What the proof says.
    pub proof: Proof,
}

/// The two JOSE claims a proof answers for; a check reads only these from the payload.
#[derive(Deserialize)]
struct Binding {
    nonce: Option<Value>,
    aud: Option<Value>,
}

impl Secured {
    /// Reads a secured value from text: a JWS or a JSON document.
    pub fn parse(text: &str) -> Result<Secured, SecureError> {
        let trimmed = text.trim();
        if trimmed.starts_with('{') {
            serde_json::from_str(trimmed)
                .map(Secured::Embedded)
                .map_err(|e| SecureError::Jose(JoseError::Malformed(format!("not JSON: {e}"))))
        } else {
            jose::check_form(trimmed)?;
            Ok(Secured::Jwt(trimmed.to_owned()))
        }
    }

    /// As [`Secured::parse`], with the claims before any check
    /// ([`Secured::unverified_document`]): a JWS is decoded once for both.
    pub fn parse_read(text: &str) -> Result<(Secured, Value), SecureError> {
        let trimmed = text.trim();
        if trimmed.starts_with('{') {
            let secured = Secured::parse(trimmed)?;
            let document = secured.unverified_document()?;
            Ok((secured, document))
        } else {
            let document = jose::decode(trimmed)?.payload;
            Ok((Secured::Jwt(trimmed.to_owned()), document))
        }
    }

    /// The mechanism, from the token or the proof.
    pub fn mechanism(&self) -> Result<Mechanism, SecureError> {
        match self {
            Secured::Jwt(_) => Ok(Mechanism::Jose),
            Secured::Embedded(doc) => match doc["proof"]["cryptosuite"].as_str() {
                Some(rdfc::CRYPTOSUITE) => Ok(Mechanism::EddsaRdfc2022),
                Some(jcs::CRYPTOSUITE) => Ok(Mechanism::EddsaJcs2022),
                _ => Err(SecureError::UnknownProof),
            },
        }
    }

    /// The claims before any check (to find the issuer and key).
    pub fn unverified_document(&self) -> Result<Value, SecureError> {
        match self {
            Secured::Jwt(t) => Ok(jose::decode(t)?.payload),
            Secured::Embedded(doc) => {
                let mut doc = doc.clone();
                if let Some(o) = doc.as_object_mut() {
                    o.remove("proof");
                }
                Ok(doc)
            }
        }
    }

    /// [`Secured::unverified_document`] and [`Secured::unverified_method`] together: a JWS is
    /// decoded once for both. Either may fail on its own.
    pub fn unverified_parts(&self) -> (Result<Value, SecureError>, Result<String, SecureError>) {
        match self {
            Secured::Jwt(t) => match jose::decode(t) {
                Ok(jose::Unverified { header, payload }) => (Ok(payload), method_of(&header)),
                Err(e) => (Err(e.clone().into()), Err(e.into())),
            },
            Secured::Embedded(_) => (self.unverified_document(), self.unverified_method()),
        }
    }

    /// The verification method named, before any check.
    pub fn unverified_method(&self) -> Result<String, SecureError> {
        match self {
            Secured::Jwt(t) => method_of(&jose::decode_header(t)?),
            Secured::Embedded(doc) => Ok(match self.mechanism()? {
                Mechanism::EddsaRdfc2022 => rdfc::proof_of(doc)?.verification_method,
                _ => jcs::proof_of(doc)?.verification_method,
            }),
        }
    }

    /// SHA-256 of the exact secured bytes: the JWS text, or the JCS form of the document with
    /// its proof. This is the digest anchored in the issuer's log.
    pub fn digest(&self) -> [u8; 32] {
        match self {
            Secured::Jwt(t) => Sha256::digest(t.as_bytes()).into(),
            Secured::Embedded(doc) => {
                Sha256::digest(contracts::canonical::to_vec(doc).unwrap_or_default()).into()
            }
        }
    }

    /// Checks the signature with `key` and returns the verified document. `presentation`
    /// selects the accepted JOSE `typ`.
    pub fn verify(&self, key: &PublicKey, presentation: bool) -> Result<Proven, SecureError> {
        match self {
            Secured::Jwt(token) => {
                let (header, document) =
                    jose::verify_as::<Value>(token, key, jose_typs(presentation))?;
                let proof = jose_proof(
                    &header,
                    document.get("nonce").cloned(),
                    document.get("aud").cloned(),
                    presentation,
                )?;
                Ok(Proven { document, proof })
            }
            Secured::Embedded(_) => Ok(Proven {
                proof: self.check(key, presentation)?,
                document: self.unverified_document()?,
            }),
        }
    }

    /// Checks the signature with `key`, without building the document again: for callers
    /// that read it before checking (the verification pipeline reads the claims first, to
    /// find the issuer and key; decoding a JOSE payload twice took a tenth of a check).
    pub fn check(&self, key: &PublicKey, presentation: bool) -> Result<Proof, SecureError> {
        match self {
            Secured::Jwt(token) => {
                let (header, binding) =
                    jose::verify_as::<Binding>(token, key, jose_typs(presentation))?;
                jose_proof(&header, binding.nonce, binding.aud, presentation)
            }
            Secured::Embedded(doc) => {
                let mechanism = self.mechanism()?;
                let VerifiedProof {
                    verification_method,
                    proof_purpose,
                    challenge,
                    domain,
                    ..
                } = match mechanism {
                    Mechanism::EddsaRdfc2022 => rdfc::verify(doc, key)?,
                    _ => jcs::verify(doc, key)?,
                };
                Ok(Proof {
                    mechanism,
                    method: verification_method,
                    purpose: proof_purpose,
                    challenge,
                    domain,
                })
            }
        }
    }
}

/// The `kid` of a JOSE header.
fn method_of(header: &Value) -> Result<String, SecureError> {
    header["kid"]
        .as_str()
        .map(str::to_owned)
        .ok_or(SecureError::Jose(JoseError::Header("no kid".into())))
}

/// The JOSE `typ` values accepted for a credential or a presentation.
fn jose_typs(presentation: bool) -> &'static [&'static str] {
    if presentation {
        jose::PRESENTATION_TYPS
    } else {
        jose::CREDENTIAL_TYPS
    }
}

/// What a verified JWS says of itself: its header's `kid`, and `nonce` and `aud` from its
/// payload (strings only: another `aud` shape names no domain).
fn jose_proof(
    header: &Value,
    nonce: Option<Value>,
    aud: Option<Value>,
    presentation: bool,
) -> Result<Proof, SecureError> {
    let text = |v: Option<Value>| match v {
        Some(Value::String(s)) => Some(s),
        _ => None,
    };
    Ok(Proof {
        challenge: text(nonce),
        domain: text(aud),
        method: method_of(header)?,
        purpose: if presentation {
            "authentication"
        } else {
            "assertionMethod"
        }
        .into(),
        mechanism: Mechanism::Jose,
    })
}

/// Signs with one key and verification method, in any mechanism.
pub struct Signer {
    key: SecretKey,
    method: String,
    jose: JoseSigner,
}

impl std::fmt::Debug for Signer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Signer({})", self.method)
    }
}

impl Signer {
    /// A signer for `key` under verification method `method` (`did:...#...`).
    pub fn new(key: SecretKey, method: &str) -> Result<Signer, SecureError> {
        let jose = JoseSigner::new(&key, method)?;
        Ok(Signer {
            key,
            method: method.to_owned(),
            jose,
        })
    }

    /// A holder signer for a did:key.
    pub fn holder(key: SecretKey) -> Result<Signer, SecureError> {
        let method = key.public().did_key_method();
        Signer::new(key, &method)
    }

    /// The verification method.
    pub fn method(&self) -> &str {
        &self.method
    }

    /// The public key.
    pub fn public(&self) -> PublicKey {
        self.key.public()
    }

    /// Secures a credential (`assertionMethod`).
    pub fn issue(
        &self,
        credential: &Value,
        mechanism: Mechanism,
        created: &str,
    ) -> Result<Secured, SecureError> {
        self.secure(
            credential,
            mechanism,
            "assertionMethod",
            created,
            None,
            None,
        )
    }

    /// Secures a presentation (`authentication`), bound to the verifier's challenge and domain.
    pub fn present(
        &self,
        presentation: &Value,
        mechanism: Mechanism,
        created: &str,
        challenge: &str,
        domain: &str,
    ) -> Result<Secured, SecureError> {
        self.secure(
            presentation,
            mechanism,
            "authentication",
            created,
            Some(challenge),
            Some(domain),
        )
    }

    fn secure(
        &self,
        document: &Value,
        mechanism: Mechanism,
        purpose: &str,
        created: &str,
        challenge: Option<&str>,
        domain: Option<&str>,
    ) -> Result<Secured, SecureError> {
        let options = ProofOptions {
            verification_method: self.method.clone(),
            proof_purpose: purpose.to_owned(),
            created: created.to_owned(),
            challenge: challenge.map(str::to_owned),
            domain: domain.map(str::to_owned),
        };
        Ok(match mechanism {
            Mechanism::Jose => {
                let mut payload = document.clone();
                if let Some(c) = challenge {
                    payload["nonce"] = c.into();
                }
                if let Some(d) = domain {
                    payload["aud"] = d.into();
                }
                let typ = if purpose == "authentication" {
                    jose::TYP_PRESENTATION
                } else {
                    jose::TYP_CREDENTIAL
                };
                Secured::Jwt(self.jose.sign(&payload, typ)?)
            }
            Mechanism::EddsaRdfc2022 => {
                Secured::Embedded(rdfc::sign(document, &self.key, &options)?)
            }
            Mechanism::EddsaJcs2022 => Secured::Embedded(jcs::sign(document, &self.key, &options)?),
        })
    }
}
