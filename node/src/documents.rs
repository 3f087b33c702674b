//! Supporting documents of an application (proof of legal acquisition, a captive-breeding
//! registration, an invoice): kept on the node beside the application, never on the log, read
//! by the applicant and the officers who may read the application.
//!
//! Only PDF, PNG and JPEG are taken, recognised by their first bytes (a declared type proves
//! nothing), and they are served as downloads, so a document can never run in the portal's
//! pages.

// Handlers return a ready HTTP response as their error, the axum way.
#![allow(clippy::result_large_err)]

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::audit::{Change, RequestInfo};
use crate::auth::Caller;
use crate::http::{AppState, internal, problem};
use crate::users::Role;

/// Column family: `m/<application>/<n>` → [`Document`], `d/<application>/<n>` → its bytes.
pub const CF_DOCUMENTS: &str = "node_documents";
/// Largest document.
pub const MAX_DOCUMENT: usize = 4 * 1024 * 1024;
/// Most documents on one application.
pub const MAX_PER_APPLICATION: usize = 10;

/// A document as listed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Document {
    /// Its number on the application, from 1.
    pub n: u32,
    /// The file name the applicant gave.
    pub name: String,
    /// `application/pdf`, `image/png` or `image/jpeg`.
    pub content_type: String,
    /// Bytes.
    pub size: u64,
    /// SHA-256, hex: what the officer read is what was sent.
    pub sha256: String,
    /// When it was added.
    #[schema(value_type = String, format = DateTime)]
    pub added: DateTime<Utc>,
    /// Who added it.
    pub by: String,
}

fn key(kind: char, application: &str, n: u32) -> Vec<u8> {
    format!("{kind}/{application}/{n:04}").into_bytes()
}

/// The documents of `application`, in order.
pub fn list(store: &ledger::Store, application: &str) -> anyhow::Result<Vec<Document>> {
    let cf = crate::store::cf(store, CF_DOCUMENTS)?;
    let prefix = format!("m/{application}/").into_bytes();
    let mut out = Vec::new();
    for item in store.db().prefix_iterator_cf(cf, &prefix) {
        let (k, v) = item?;
        if !k.starts_with(&prefix) {
            break;
        }
        out.push(serde_json::from_slice(&v)?);
    }
    Ok(out)
}

/// What the first bytes say a file is, if it is a kind the node takes.
pub fn kind_of(bytes: &[u8]) -> Option<&'static str> {
    if bytes.starts_with(b"%PDF-") {
        Some("application/pdf")
    } else if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
        Some("image/png")
    } else if bytes.starts_with(&[0xff, 0xd8, 0xff]) {
        Some("image/jpeg")
    } else {
        None
    }
}

/// A file name safe to keep and to send back in a header: its last path part, printable
/// characters only, at most 100 of them.
pub fn clean_name(name: &str) -> Option<String> {
    let base = name.rsplit(['/', '\\']).next().unwrap_or("");
    let clean: String = base
        .chars()
        .filter(|c| !c.is_control() && *c != '"')
        .take(100)
        .collect();
    let clean = clean.trim().to_owned();
    (!clean.is_empty() && clean != "." && clean != "..").then_some(clean)
}

/// Whether an application in `stage` takes documents: until the MA decides.
pub fn takes_documents(stage: contracts::Stage) -> bool {
    use contracts::Stage;
    matches!(
        stage,
        Stage::Draft | Stage::Submitted | Stage::AwaitingAdvice | Stage::Advised
    )
}

/// Adds a document to an application of the caller's (applicants only, before a decision).
pub async fn add(
    s: &AppState,
    caller: &Caller,
    info: &RequestInfo,
    application: &str,
    name: &str,
    bytes: &[u8],
) -> Result<Document, Response> {
    caller.require(&[Role::Applicant])?;
    let Some(name) = clean_name(name) else {
        return Err(problem(
            StatusCode::BAD_REQUEST,
            "invalid request",
            "name: give the document a file name",
        ));
    };
    if bytes.len() > MAX_DOCUMENT {
        return Err(problem(
            StatusCode::PAYLOAD_TOO_LARGE,
            "document too large",
            format!(
                "{name} has {} bytes; a document may have {MAX_DOCUMENT}",
                bytes.len()
            ),
        ));
    }
    let Some(content_type) = kind_of(bytes) else {
        return Err(problem(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "not a PDF, PNG or JPEG",
            format!("{name} is not a PDF, PNG or JPEG file"),
        ));
    };
    let _one = s.workflow_lock.lock().await;
    let store = s.anchor.store();
    let app = match crate::workflow::load(store, application) {
        Ok(Some(a)) if a.applicant == caller.user => a,
        Ok(_) => {
            return Err(problem(
                StatusCode::NOT_FOUND,
                "no such application",
                format!("there is no application {application:?}"),
            ));
        }
        Err(e) => return Err(internal(e)),
    };
    if !takes_documents(app.stage) {
        return Err(problem(
            StatusCode::CONFLICT,
            "not possible",
            format!(
                "{application} is {}: documents are added before the decision",
                app.stage
            ),
        ));
    }
    let existing = list(store, application).map_err(internal)?;
    if existing.len() >= MAX_PER_APPLICATION {
        return Err(problem(
            StatusCode::CONFLICT,
            "too many documents",
            format!("{application} has {MAX_PER_APPLICATION} documents already"),
        ));
    }
    let n = existing.last().map_or(1, |d| d.n + 1);
    let document = Document {
        n,
        name,
        content_type: content_type.to_owned(),
        size: bytes.len() as u64,
        sha256: hex::encode(Sha256::digest(bytes)),
        added: Utc::now(),
        by: caller.user.clone(),
    };
    let meta = serde_json::to_vec(&document).map_err(|e| internal(e.into()))?;
    let writes = vec![
        ledger::SideWrite {
            cf: CF_DOCUMENTS.into(),
            key: key('m', application, n),
            value: meta.clone(),
        },
        ledger::SideWrite {
            cf: CF_DOCUMENTS.into(),
            key: key('d', application, n),
            value: bytes.to_vec(),
        },
    ];
    s.journal
        .commit(
            store,
            writes,
            Change {
                after: Some(&meta),
                ..Change::new(&caller.who(), info, "application.document", application)
            },
        )
        .map_err(internal)?;
    tracing::info!(application, n, size = bytes.len(), "document added");
    Ok(document)
}

#[derive(Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct Upload {
    /// The file name.
    name: String,
}

/// `POST /applications/{id}/documents?name=`: the body is the file (PDF, PNG or JPEG).
#[utoipa::path(post, path = "/applications/{id}/documents", tag = "workflow", params(("id" = String, Path), Upload), request_body(content = Vec<u8>, content_type = "application/octet-stream"), responses((status = 201, description = "added", body = Document), (status = 400, description = "no file name", body = crate::http::Problem), (status = 404, description = "no such application of the caller's", body = crate::http::Problem), (status = 409, description = "decided already, or ten documents already", body = crate::http::Problem), (status = 413, description = "larger than 4 MiB", body = crate::http::Problem), (status = 415, description = "not a PDF, PNG or JPEG", body = crate::http::Problem)))]
pub async fn upload(
    State(s): State<Arc<AppState>>,
    caller: Caller,
    info: RequestInfo,
    Path(id): Path<String>,
    Query(q): Query<Upload>,
    body: Bytes,
) -> Response {
    match add(&s, &caller, &info, &id, &q.name, &body).await {
        Ok(d) => (StatusCode::CREATED, axum::Json(d)).into_response(),
        Err(r) => r,
    }
}

/// `GET /applications/{id}/documents/{n}`: the file, as a download, for whoever may read the
/// application.
#[utoipa::path(get, path = "/applications/{id}/documents/{n}", tag = "workflow", params(("id" = String, Path), ("n" = u32, Path)), responses((status = 200, description = "the file"), (status = 404, description = "no such document", body = crate::http::Problem)))]
pub async fn download(
    State(s): State<Arc<AppState>>,
    caller: Caller,
    Path((id, n)): Path<(String, u32)>,
) -> Response {
    let no_such = || {
        problem(
            StatusCode::NOT_FOUND,
            "no such document",
            format!("application {id:?} has no document {n}"),
        )
    };
    let store = s.anchor.store();
    match crate::workflow::load(store, &id) {
        Ok(Some(app)) if crate::workflow::may_read(&caller, &app) => {}
        Ok(_) => return no_such(),
        Err(e) => return internal(e),
    }
    let read = || -> anyhow::Result<Option<(Document, Vec<u8>)>> {
        let cf = crate::store::cf(store, CF_DOCUMENTS)?;
        let (Some(meta), Some(data)) = (
            store.db().get_cf(cf, key('m', &id, n))?,
            store.db().get_cf(cf, key('d', &id, n))?,
        ) else {
            return Ok(None);
        };
        Ok(Some((serde_json::from_slice(&meta)?, data)))
    };
    match read() {
        Ok(Some((doc, data))) => {
            let mut r = data.into_response();
            let h = r.headers_mut();
            if let Ok(v) = HeaderValue::from_str(&doc.content_type) {
                h.insert(header::CONTENT_TYPE, v);
            }
            let ascii: String = doc
                .name
                .chars()
                .map(|c| {
                    if c.is_ascii_graphic() || c == ' ' {
                        c
                    } else {
                        '_'
                    }
                })
                .collect();
            if let Ok(v) = HeaderValue::from_str(&format!("attachment; filename=\"{ascii}\"")) {
                h.insert(header::CONTENT_DISPOSITION, v);
            }
            r
        }
        Ok(None) => no_such(),
        Err(e) => internal(e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn files_are_known_by_their_first_bytes() {
        assert_eq!(kind_of(b"%PDF-1.7\n..."), Some("application/pdf"));
        assert_eq!(kind_of(b"\x89PNG\r\n\x1a\n...."), Some("image/png"));
        assert_eq!(kind_of(&[0xff, 0xd8, 0xff, 0xe0]), Some("image/jpeg"));
        assert_eq!(kind_of(b"<html><script>"), None);
        assert_eq!(kind_of(b""), None);
    }

    #[test]
    fn names_are_kept_safe() {
        assert_eq!(
            clean_name("C:\\scans\\invoice.pdf").as_deref(),
            Some("invoice.pdf")
        );
        assert_eq!(clean_name("../../etc/passwd").as_deref(), Some("passwd"));
        assert_eq!(clean_name("a\"b\r\n.pdf").as_deref(), Some("ab.pdf"));
        assert_eq!(clean_name("dir/"), None);
        assert_eq!(clean_name(".."), None);
        assert_eq!(clean_name(&"x".repeat(300)).map(|n| n.len()), Some(100));
    }
}
