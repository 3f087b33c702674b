//! The audit trail and the event feed (Decision 18.125 e) iii), iv)).
//!
//! Every request that changes state writes one [`AuditRecord`] (who, in which role, what, the
//! digests of the state before and after, when, from where, the request id and message headers)
//! in the same synced batch as the change itself, so there is never a change without its record
//! or a record without its change. Records are numbered; a background task appends an
//! [`contracts::AuditAnchor`] leaf over each new range to the node's log, so records cannot be
//! altered once their anchor is under a witnessed checkpoint. The same batch writes a
//! [`FeedEvent`] telling the next actor that something waits for them.
//!
//! Nothing younger than [`RETENTION_YEARS`] after the expiry of the permit it concerns can be
//! pruned ([`Journal::prune`]).

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use anyhow::Context;
use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::request::Parts;
use chrono::{DateTime, Months, NaiveDate, Utc};
use contracts::{AuditAnchor, Digest};
use serde::{Deserialize, Serialize};

use crate::users::Role;

/// Audit records: key = sequence number (big-endian u64). Key [`MARK`] holds the next record
/// to anchor, and key [`PRUNED`] the first record still kept.
pub const CF_AUDIT: &str = "node_audit";
/// Feed events: key = sequence number (big-endian u64).
pub const CF_EVENTS: &str = "node_events";

const MARK: &[u8] = b"\xffanchored";
const PRUNED: &[u8] = b"\xffpruned";

/// Records are kept at least this long after the expiry of the document they concern.
pub const RETENTION_YEARS: u32 = 5;

/// Where a request came from and how it was sent.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RequestInfo {
    /// The request id (the client's `x-request-id`, or one made here).
    pub request_id: String,
    /// The peer address.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub remote: Option<String>,
    /// Method and path.
    pub method: String,
    /// Path.
    pub path: String,
    /// Message headers, without credentials (`authorization`, `cookie` are never kept).
    pub headers: BTreeMap<String, String>,
}

/// The headers kept: enough to identify the client and the message, nothing secret.
const KEPT_HEADERS: [&str; 6] = [
    "user-agent",
    "content-type",
    "content-length",
    "x-request-id",
    "x-forwarded-for",
    "date",
];

impl<S: Send + Sync> FromRequestParts<S> for RequestInfo {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        let headers = KEPT_HEADERS
            .iter()
            .filter_map(|h| {
                let v = parts.headers.get(*h)?.to_str().ok()?;
                Some(((*h).to_owned(), v.chars().take(256).collect()))
            })
            .collect::<BTreeMap<_, _>>();
        let request_id = headers
            .get("x-request-id")
            .cloned()
            .unwrap_or_else(|| random_id().unwrap_or_default());
        Ok(RequestInfo {
            request_id,
            remote: parts
                .extensions
                .get::<ConnectInfo<std::net::SocketAddr>>()
                .map(|c| c.0.to_string()),
            method: parts.method.to_string(),
            path: parts.uri.path().to_owned(),
            headers,
        })
    }
}

fn random_id() -> anyhow::Result<String> {
    let mut b = [0u8; 12];
    getrandom::getrandom(&mut b).map_err(|e| anyhow::anyhow!("no randomness: {e}"))?;
    Ok(hex::encode(b))
}

/// Who did it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Who {
    /// Username (`operator` for the node's own API token).
    pub user: String,
    /// Role at the time.
    pub role: Role,
}

/// One state change.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AuditRecord {
    /// Sequence number.
    pub seq: u64,
    /// When.
    pub at: DateTime<Utc>,
    /// Who.
    pub who: Who,
    /// What was done (`application.submit`, `permit.cancel`, `user.disable`...).
    pub action: String,
    /// What it was done to (application id, `PARTY/NUMBER`, username).
    pub target: String,
    /// The permit it concerns, if any (for exports and retention).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub permit: Option<String>,
    /// SHA-256 of the target's stored state before.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub before: Option<Digest>,
    /// SHA-256 of the target's stored state after.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub after: Option<Digest>,
    /// The request.
    pub request: RequestInfo,
    /// Kept at least until this day.
    pub retain_until: NaiveDate,
}

/// Something that waits for someone, for the portal, webhooks and mail.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FeedEvent {
    /// Sequence number (read the feed with `?after=`).
    pub seq: u64,
    /// When.
    pub at: DateTime<Utc>,
    /// What happened (`application.submitted`, `permit.issued`...).
    pub kind: String,
    /// About what (application id or permit key).
    pub subject: String,
    /// In words.
    pub summary: String,
    /// The roles it is for.
    pub for_roles: Vec<Role>,
    /// A user it is also for (the applicant).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub for_user: Option<String>,
}

impl FeedEvent {
    /// Whether `user` in `role` sees it.
    pub fn visible_to(&self, user: &str, role: Role) -> bool {
        self.for_roles.contains(&role)
            || self.for_user.as_deref() == Some(user)
            || role == Role::Auditor
    }
}

/// A change to write: the audit record's content, and the event to publish, if any.
pub struct Change<'a> {
    /// Who.
    pub who: &'a Who,
    /// The request.
    pub request: &'a RequestInfo,
    /// What (`application.approve`).
    pub action: &'a str,
    /// To what.
    pub target: &'a str,
    /// The permit concerned and its last day of validity.
    pub permit: Option<(String, NaiveDate)>,
    /// State before and after (their bytes are digested).
    pub before: Option<&'a [u8]>,
    /// State after.
    pub after: Option<&'a [u8]>,
    /// The event for the next actor.
    pub event: Option<(String, String, Vec<Role>, Option<String>)>,
}

/// Numbering of records and events.
pub struct Journal {
    next_audit: AtomicU64,
    next_event: AtomicU64,
    /// Wakes feed readers waiting for a new event.
    pub events: tokio::sync::watch::Sender<u64>,
}

fn next_key(store: &ledger::Store, cf: &str) -> anyhow::Result<u64> {
    let cf = store
        .db()
        .cf_handle(cf)
        .with_context(|| format!("missing column family {cf}"))?;
    // Control keys start with 0xff; the last record is just below them.
    let mut it = store.db().raw_iterator_cf(&cf);
    it.seek_for_prev([0xfe; 9]);
    Ok(match it.key() {
        Some(k) if k.len() == 8 => u64::from_be_bytes(k.try_into().unwrap_or_default()) + 1,
        _ => 0,
    })
}

impl Journal {
    /// Loads the counters from the store.
    pub fn load(store: &ledger::Store) -> anyhow::Result<Journal> {
        let next_event = next_key(store, CF_EVENTS)?;
        Ok(Journal {
            next_audit: AtomicU64::new(next_key(store, CF_AUDIT)?),
            next_event: AtomicU64::new(next_event),
            events: tokio::sync::watch::channel(next_event).0,
        })
    }

    /// The writes that record `change`: its audit record and its event.
    pub fn writes(&self, change: Change<'_>) -> anyhow::Result<Vec<ledger::SideWrite>> {
        let now = Utc::now();
        let years = Months::new(12 * RETENTION_YEARS);
        let base = change.permit.as_ref().map_or(now.date_naive(), |(_, d)| *d);
        let record = AuditRecord {
            seq: self.next_audit.fetch_add(1, Ordering::SeqCst),
            at: now,
            who: change.who.clone(),
            action: change.action.to_owned(),
            target: change.target.to_owned(),
            permit: change.permit.map(|(p, _)| p),
            before: change.before.map(Digest::of),
            after: change.after.map(Digest::of),
            request: change.request.clone(),
            retain_until: base.checked_add_months(years).unwrap_or(NaiveDate::MAX),
        };
        let mut writes = vec![ledger::SideWrite {
            cf: CF_AUDIT.into(),
            key: record.seq.to_be_bytes().to_vec(),
            value: serde_json::to_vec(&record)?,
        }];
        if let Some((kind, summary, for_roles, for_user)) = change.event {
            let event = FeedEvent {
                seq: self.next_event.fetch_add(1, Ordering::SeqCst),
                at: now,
                kind,
                subject: change.target.to_owned(),
                summary,
                for_roles,
                for_user,
            };
            writes.push(ledger::SideWrite {
                cf: CF_EVENTS.into(),
                key: event.seq.to_be_bytes().to_vec(),
                value: serde_json::to_vec(&event)?,
            });
        }
        Ok(writes)
    }

    /// Tells feed readers that events up to the current count are written.
    pub fn published(&self) {
        self.events
            .send_replace(self.next_event.load(Ordering::SeqCst));
    }
}

/// Writes `writes` in one synced batch (for changes that add no log entry).
pub fn commit(store: &ledger::Store, writes: Vec<ledger::SideWrite>) -> anyhow::Result<()> {
    let mut batch = rocksdb::WriteBatch::default();
    for w in writes {
        let cf = store
            .db()
            .cf_handle(&w.cf)
            .with_context(|| format!("missing column family {}", w.cf))?;
        batch.put_cf(&cf, w.key, w.value);
    }
    let mut opts = rocksdb::WriteOptions::default();
    opts.set_sync(true);
    store.db().write_opt(batch, &opts)?;
    Ok(())
}

fn read_range<T: serde::de::DeserializeOwned>(
    store: &ledger::Store,
    cf: &str,
    from: u64,
    limit: usize,
) -> anyhow::Result<Vec<T>> {
    let handle = store
        .db()
        .cf_handle(cf)
        .with_context(|| format!("missing column family {cf}"))?;
    let mut out = Vec::new();
    let it = store.db().iterator_cf(
        &handle,
        rocksdb::IteratorMode::From(&from.to_be_bytes(), rocksdb::Direction::Forward),
    );
    for item in it {
        let (k, v) = item?;
        if k.len() != 8 || out.len() >= limit {
            break;
        }
        out.push(serde_json::from_slice(&v).with_context(|| format!("corrupt {cf} record"))?);
    }
    Ok(out)
}

/// Feed events after `after` (exclusive), at most `limit`.
pub fn events_after(
    store: &ledger::Store,
    after: Option<u64>,
    limit: usize,
) -> anyhow::Result<Vec<FeedEvent>> {
    read_range(store, CF_EVENTS, after.map_or(0, |a| a + 1), limit)
}

/// Audit records from `from`, at most `limit`.
pub fn records(store: &ledger::Store, from: u64, limit: usize) -> anyhow::Result<Vec<AuditRecord>> {
    read_range(store, CF_AUDIT, from, limit)
}

fn control(store: &ledger::Store, key: &[u8]) -> anyhow::Result<u64> {
    let cf = store
        .db()
        .cf_handle(CF_AUDIT)
        .context("missing audit column family")?;
    Ok(match store.db().get_cf(&cf, key)? {
        Some(b) => u64::from_be_bytes(
            b.as_slice()
                .try_into()
                .map_err(|_| anyhow::anyhow!("corrupt audit mark"))?,
        ),
        None => 0,
    })
}

/// How old a record must be before it is anchored: records are numbered before their batch is
/// written, so a number still missing after this long belongs to a write that failed.
const SETTLE: chrono::TimeDelta = chrono::TimeDelta::seconds(5);

/// Appends an anchor leaf over the settled records not anchored yet; returns how many it
/// covered.
pub async fn anchor_pending(anchor: &crate::anchor::Anchor) -> anyhow::Result<u64> {
    let store = anchor.store();
    let first = control(store, MARK)?.max(control(store, PRUNED)?);
    let cutoff = Utc::now() - SETTLE;
    let mut bytes = Vec::new();
    let mut last = None;
    {
        let cf = store
            .db()
            .cf_handle(CF_AUDIT)
            .context("missing audit column family")?;
        let it = store.db().iterator_cf(
            &cf,
            rocksdb::IteratorMode::From(&first.to_be_bytes(), rocksdb::Direction::Forward),
        );
        for item in it {
            let (k, v) = item?;
            let Ok(seq) = <[u8; 8]>::try_from(k.as_ref()).map(u64::from_be_bytes) else {
                break;
            };
            let record: AuditRecord = serde_json::from_slice(&v).context("corrupt audit record")?;
            if record.at >= cutoff || bytes.len() >= 10_000 {
                break;
            }
            bytes.push(v.to_vec());
            last = Some(seq);
        }
    }
    let Some(last) = last else {
        return Ok(0);
    };
    let leaf = AuditAnchor::new(Utc::now(), first, last, bytes.iter().map(Vec::as_slice))
        .encode()
        .map_err(|e| anyhow::anyhow!(e))?;
    let mark = ledger::SideWrite {
        cf: CF_AUDIT.into(),
        key: MARK.to_vec(),
        value: (last + 1).to_be_bytes().to_vec(),
    };
    anchor.append_with(leaf, vec![mark]).await?;
    Ok(bytes.len() as u64)
}

/// Anchors the audit trail every `every` until `shutdown`.
pub async fn run_anchoring(
    state: Arc<crate::http::AppState>,
    every: std::time::Duration,
    mut shutdown: tokio::sync::watch::Receiver<bool>,
) {
    loop {
        tokio::select! {
            _ = tokio::time::sleep(every) => {}
            _ = shutdown.wait_for(|s| *s) => return,
        }
        if let Err(e) = anchor_pending(&state.anchor).await {
            tracing::warn!(error = %format!("{e:#}"), "cannot anchor the audit trail");
        }
    }
}

/// Deletes records older than `before` whose retention has passed, from the oldest on,
/// stopping at the first record that must be kept (the trail stays one unbroken range). Only
/// anchored records are pruned. Returns how many were deleted.
pub fn prune(store: &ledger::Store, today: NaiveDate) -> anyhow::Result<u64> {
    let cf = store
        .db()
        .cf_handle(CF_AUDIT)
        .context("missing audit column family")?;
    let anchored = control(store, MARK)?;
    let mut first = control(store, PRUNED)?;
    let start = first;
    let mut batch = rocksdb::WriteBatch::default();
    for r in records(store, first, usize::MAX)? {
        if r.seq >= anchored || r.retain_until >= today {
            break;
        }
        batch.delete_cf(&cf, r.seq.to_be_bytes());
        first = r.seq + 1;
    }
    batch.put_cf(&cf, PRUNED, first.to_be_bytes());
    let mut opts = rocksdb::WriteOptions::default();
    opts.set_sync(true);
    store.db().write_opt(batch, &opts)?;
    Ok(first - start)
}
