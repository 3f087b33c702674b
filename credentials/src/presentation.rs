//! Verifiable Presentations: the holder wraps permit credentials and signs with its did:key,
//! bound to the verifier's challenge and domain so a recorded presentation cannot be replayed at
//! another border post or later.
//!
//! A JOSE credential goes in as an `EnvelopedVerifiableCredential` (`data:application/vc+jwt,`
//! URL, as VC 2.0 and VC-JOSE-COSE define); a Data Integrity credential goes in as it is.

use serde_json::{Value, json};

use crate::context::VC_V2;
use crate::secure::Secured;

const ENVELOPED_PREFIX: &str = "data:application/vc+jwt,";

/// Why a presentation's contents cannot be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PresentationError {
    /// Missing or wrong field.
    #[error("not a verifiable presentation: {0}")]
    Malformed(String),
}

/// The unsigned presentation of `credentials` by `holder`.
pub fn build(holder: &str, credentials: &[Secured]) -> Value {
    let embedded: Vec<Value> = credentials
        .iter()
        .map(|c| match c {
            Secured::Jwt(token) => json!({
                "@context": VC_V2,
                "id": format!("{ENVELOPED_PREFIX}{token}"),
                "type": "EnvelopedVerifiableCredential",
            }),
            Secured::Embedded(doc) => doc.clone(),
        })
        .collect();
    json!({
        "@context": [VC_V2],
        "type": ["VerifiablePresentation"],
        "holder": holder,
        "verifiableCredential": embedded,
    })
}

/// The holder and the credentials inside a presentation (not yet verified: each one must be
/// verified on its own; a valid presentation proof says nothing about them).
pub fn contents(vp: &Value) -> Result<(String, Vec<Secured>), PresentationError> {
    let bad = |what: &str| PresentationError::Malformed(what.to_owned());
    let types = vp["type"]
        .as_array()
        .cloned()
        .unwrap_or_else(|| vec![vp["type"].clone()]);
    if !types.iter().any(|t| t == "VerifiablePresentation") {
        return Err(bad("type must include VerifiablePresentation"));
    }
    let holder = vp["holder"]
        .as_str()
        .ok_or_else(|| bad("no holder"))?
        .to_owned();
    let list = match &vp["verifiableCredential"] {
        Value::Array(items) => items.clone(),
        Value::Object(_) => vec![vp["verifiableCredential"].clone()],
        _ => return Err(bad("no verifiableCredential")),
    };
    let mut credentials = Vec::new();
    for item in list {
        if item["type"] == "EnvelopedVerifiableCredential" {
            let id = item["id"]
                .as_str()
                .ok_or_else(|| bad("enveloped credential without id"))?;
            let token = id
                .strip_prefix(ENVELOPED_PREFIX)
                .ok_or_else(|| bad("enveloped credential is not a data:application/vc+jwt URL"))?;
            credentials.push(Secured::Jwt(token.to_owned()));
        } else if item.is_object() {
            credentials.push(Secured::Embedded(item));
        } else {
            return Err(bad("verifiableCredential entries must be objects"));
        }
    }
    if credentials.is_empty() {
        return Err(bad("no credential in the presentation"));
    }
    Ok((holder, credentials))
}
