//! A permit as a W3C Verifiable Credential 2.0, and back.
//!
//! The permit travels in `credentialSubject.permit` as its canonical JSON, typed `@json` in the
//! CITES context: the credential then carries every box exactly as the contracts define them,
//! one vocabulary to maintain instead of two, and RDF canonicalisation treats the permit as one
//! JSON literal (itself canonicalised with JCS). The subject's `id` is the holder's DID.

use chrono::{NaiveDate, NaiveTime};
use contracts::{DocumentType, Permit};
use serde_json::{Value, json};

use crate::context::{PERMIT_V1, VC_V2};

/// A `credentialStatus` entry (W3C Bitstring Status List).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatusEntry {
    /// `revocation` or `suspension`.
    pub purpose: StatusPurpose,
    /// URL of the status list credential.
    pub list: String,
    /// Index of this credential's bit.
    pub index: u64,
}

/// What a status bit means.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StatusPurpose {
    /// Set for good: revoked (cancelled or replaced permits).
    Revocation,
    /// May be cleared again.
    Suspension,
}

impl StatusPurpose {
    /// The `statusPurpose` value.
    pub fn as_str(self) -> &'static str {
        match self {
            StatusPurpose::Revocation => "revocation",
            StatusPurpose::Suspension => "suspension",
        }
    }
}

/// Why a credential is not a permit credential.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CredentialError {
    /// Missing or wrong field.
    #[error("not a CITES permit credential: {0}")]
    NotAPermitCredential(String),
    /// The embedded permit does not parse.
    #[error("the embedded permit is invalid: {0}")]
    BadPermit(String),
}

/// The credential type for a document type.
pub fn credential_type(doc: DocumentType) -> &'static str {
    match doc {
        DocumentType::ExportPermit => "ExportPermitCredential",
        DocumentType::ImportPermit => "ImportPermitCredential",
        DocumentType::ReExportCertificate => "ReExportCertificateCredential",
        DocumentType::CertificateOfOrigin => "CertificateOfOriginCredential",
        DocumentType::IntroductionFromTheSea => "IntroductionFromTheSeaCredential",
        DocumentType::PreConventionCertificate => "PreConventionCertificateCredential",
        DocumentType::CaptiveBreedingCertificate => "CaptiveBreedingCertificateCredential",
        DocumentType::TravellingExhibitionCertificate => {
            "TravellingExhibitionCertificateCredential"
        }
        DocumentType::MusicalInstrumentCertificate => "MusicalInstrumentCertificateCredential",
        DocumentType::OwnershipCertificate => "OwnershipCertificateCredential",
    }
}

/// The credential id: the global permit key as a URN (numbers are unique per Party only).
pub fn credential_id(permit: &Permit) -> String {
    format!(
        "urn:cites-permit:{}:{}",
        permit.authority.country, permit.number
    )
}

fn start_of(day: NaiveDate) -> String {
    day.and_time(NaiveTime::MIN)
        .and_utc()
        .format("%Y-%m-%dT%H:%M:%SZ")
        .to_string()
}

fn end_of(day: NaiveDate) -> String {
    day.and_hms_opt(23, 59, 59)
        .map(|t| t.and_utc().format("%Y-%m-%dT%H:%M:%SZ").to_string())
        .unwrap_or_else(|| start_of(day))
}

/// Everything the unsigned credential is built from.
#[derive(Debug, Clone)]
pub struct Draft<'a> {
    /// The permit, as validated.
    pub permit: &'a Permit,
    /// The issuing MA's DID.
    pub issuer: &'a str,
    /// The holder's DID (did:key).
    pub holder: &'a str,
    /// The salt of the permit's commitment on the log (base64url), disclosed to whoever holds
    /// the credential so they can match it against the log.
    pub salt: &'a str,
    /// Status list entries.
    pub status: &'a [StatusEntry],
}

/// The unsigned credential.
pub fn build(draft: &Draft) -> Result<Value, CredentialError> {
    let p = draft.permit;
    let permit = serde_json::to_value(p).map_err(|e| CredentialError::BadPermit(e.to_string()))?;
    let mut vc = json!({
        "@context": [VC_V2, PERMIT_V1],
        "id": credential_id(p),
        "type": ["VerifiableCredential", "CitesPermitCredential", credential_type(p.document_type)],
        "issuer": draft.issuer,
        "validFrom": start_of(p.first_valid_day()),
        "validUntil": end_of(p.valid_until),
        "credentialSubject": {
            "id": draft.holder,
            "type": "CitesPermitHolder",
            "permit": permit,
            "salt": draft.salt,
        },
    });
    if !draft.status.is_empty() {
        let entries: Vec<Value> = draft
            .status
            .iter()
            .map(|s| {
                json!({
                    "id": format!("{}#{}", s.list, s.index),
                    "type": "BitstringStatusListEntry",
                    "statusPurpose": s.purpose.as_str(),
                    "statusListIndex": s.index.to_string(),
                    "statusListCredential": s.list,
                })
            })
            .collect();
        vc["credentialStatus"] = Value::Array(entries);
    }
    Ok(vc)
}

/// What a permit credential says, read back.
#[derive(Debug, Clone, PartialEq)]
pub struct PermitClaims {
    /// The permit.
    pub permit: Permit,
    /// Issuer DID.
    pub issuer: String,
    /// Holder DID.
    pub holder: String,
    /// Commitment salt.
    pub salt: String,
    /// Status entries.
    pub status: Vec<StatusEntry>,
}

/// Reads a (verified or not) credential's claims. Checks shape only, not proofs.
pub fn read(vc: &Value) -> Result<PermitClaims, CredentialError> {
    let bad = |what: &str| CredentialError::NotAPermitCredential(what.to_owned());
    let types: Vec<&str> = vc["type"]
        .as_array()
        .map(|a| a.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    if !types.contains(&"VerifiableCredential") || !types.contains(&"CitesPermitCredential") {
        return Err(bad(
            "type must include VerifiableCredential and CitesPermitCredential",
        ));
    }
    let contexts: Vec<&str> = vc["@context"]
        .as_array()
        .map(|a| a.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    if contexts.first() != Some(&VC_V2) || !contexts.contains(&PERMIT_V1) {
        return Err(bad(
            "@context must start with the VC 2.0 context and include the CITES permit context",
        ));
    }
    let issuer = match &vc["issuer"] {
        Value::String(s) => s.clone(),
        Value::Object(o) => o
            .get("id")
            .and_then(Value::as_str)
            .ok_or_else(|| bad("issuer.id"))?
            .to_owned(),
        _ => return Err(bad("issuer")),
    };
    let subject = &vc["credentialSubject"];
    let holder = subject["id"]
        .as_str()
        .ok_or_else(|| bad("credentialSubject.id"))?
        .to_owned();
    let salt = subject["salt"]
        .as_str()
        .ok_or_else(|| bad("credentialSubject.salt"))?
        .to_owned();
    let permit: Permit = contracts::from_value(&subject["permit"])
        .map_err(|e| CredentialError::BadPermit(e.to_string()))?;
    if !types.contains(&credential_type(permit.document_type)) {
        return Err(bad(
            "the credential type does not match the permit's document type",
        ));
    }
    if vc["id"] != credential_id(&permit) {
        return Err(bad("the credential id does not match the permit's key"));
    }
    let mut status = Vec::new();
    if let Some(entries) = vc["credentialStatus"].as_array() {
        for e in entries {
            let purpose = match e["statusPurpose"].as_str() {
                Some("revocation") => StatusPurpose::Revocation,
                Some("suspension") => StatusPurpose::Suspension,
                _ => return Err(bad("credentialStatus.statusPurpose")),
            };
            let index = e["statusListIndex"]
                .as_str()
                .and_then(|s| s.parse().ok())
                .ok_or_else(|| bad("credentialStatus.statusListIndex"))?;
            let list = e["statusListCredential"]
                .as_str()
                .ok_or_else(|| bad("credentialStatus.statusListCredential"))?;
            status.push(StatusEntry {
                purpose,
                list: list.to_owned(),
                index,
            });
        }
    }
    Ok(PermitClaims {
        permit,
        issuer,
        holder,
        salt,
        status,
    })
}
