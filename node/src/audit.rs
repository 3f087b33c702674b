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
/// to anchor, [`PRUNED`] the first record still kept, and [`RANGE`] + first the last record of
/// each anchored range.
pub const CF_AUDIT: &str = "node_audit";
/// Feed events: key = sequence number (big-endian u64).
pub const CF_EVENTS: &str = "node_events";

const MARK: &[u8] = b"\xffanchored";
const PRUNED: &[u8] = b"\xffpruned";
const RANGE: &[u8] = b"\xffrange/";

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

impl<'a> Change<'a> {
    /// `who` did `action` to `target`; nothing else recorded (set the other fields with
    /// struct update syntax).
    pub fn new(
        who: &'a Who,
        request: &'a RequestInfo,
        action: &'a str,
        target: &'a str,
    ) -> Change<'a> {
        Change {
            who,
            request,
            action,
            target,
            permit: None,
            before: None,
            after: None,
            event: None,
        }
    }
}

/// Numbering of records and events.
pub struct Journal {
    next_audit: AtomicU64,
    next_event: AtomicU64,
    /// Wakes feed readers waiting for a new event.
    pub events: tokio::sync::watch::Sender<u64>,
}

fn next_key(store: &ledger::Store, cf: &str) -> anyhow::Result<u64> {
    // Control keys start with 0xff; the last record is just below them.
    let mut it = store.db().raw_iterator_cf(crate::store::cf(store, cf)?);
    it.seek_for_prev([0xfe; 9]);
    Ok(match it.key().map(<[u8; 8]>::try_from) {
        Some(Ok(k)) => u64::from_be_bytes(k) + 1,
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

    /// Writes `writes` and the record of `change` in one synced batch (for changes that add
    /// no log entry).
    pub fn commit(
        &self,
        store: &ledger::Store,
        mut writes: Vec<ledger::SideWrite>,
        change: Change<'_>,
    ) -> anyhow::Result<()> {
        writes.extend(self.writes(change)?);
        commit(store, writes)
    }

    /// Tells feed readers that events up to the current count are written.
    pub fn published(&self) {
        self.events
            .send_replace(self.next_event.load(Ordering::SeqCst));
    }
}

/// Writes `writes` in one synced batch (for changes that add no log entry).
pub fn commit(store: &ledger::Store, writes: Vec<ledger::SideWrite>) -> anyhow::Result<()> {
    commit_batch(store, rocksdb::WriteBatch::default(), writes)
}

/// Writes `batch` (deletions, say) and `writes` in one synced batch.
pub fn commit_batch(
    store: &ledger::Store,
    mut batch: rocksdb::WriteBatch,
    writes: Vec<ledger::SideWrite>,
) -> anyhow::Result<()> {
    for w in writes {
        batch.put_cf(crate::store::cf(store, &w.cf)?, w.key, w.value);
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
    let mut out = Vec::new();
    let it = store.db().iterator_cf(
        crate::store::cf(store, cf)?,
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
    crate::store::get_u64(store, CF_AUDIT, key)
}

/// The key that records where an anchored range ends: `RANGE` + its first record.
fn range_key(first: u64) -> Vec<u8> {
    let mut k = RANGE.to_vec();
    k.extend_from_slice(&first.to_be_bytes());
    k
}

/// How old a record must be before it is anchored, and how long a missing number is waited
/// for. Records are numbered before their batch is written, so a number can appear late; one
/// still missing after [`GIVE_UP`] belongs to a write that failed.
const SETTLE: chrono::TimeDelta = chrono::TimeDelta::seconds(2);
const GIVE_UP: chrono::TimeDelta = chrono::TimeDelta::seconds(60);

/// Appends an anchor leaf over the settled records not anchored yet; returns how many it
/// covered. The range stops before a record younger than [`SETTLE`], and before a missing
/// number unless what follows it is older than [`GIVE_UP`].
pub async fn anchor_pending(anchor: &crate::anchor::Anchor) -> anyhow::Result<u64> {
    let store = anchor.store();
    let first = control(store, MARK)?.max(control(store, PRUNED)?);
    let now = Utc::now();
    let mut bytes = Vec::new();
    let mut last = None;
    let it = store.db().iterator_cf(
        crate::store::cf(store, CF_AUDIT)?,
        rocksdb::IteratorMode::From(&first.to_be_bytes(), rocksdb::Direction::Forward),
    );
    for item in it {
        let (k, v) = item?;
        let Ok(seq) = <[u8; 8]>::try_from(k.as_ref()).map(u64::from_be_bytes) else {
            break;
        };
        let record: AuditRecord = serde_json::from_slice(&v).context("corrupt audit record")?;
        let expected = last.map_or(first, |l: u64| l + 1);
        let gap_settled = seq == expected || record.at < now - GIVE_UP;
        if record.at >= now - SETTLE || !gap_settled || bytes.len() >= 10_000 {
            break;
        }
        bytes.push(v.to_vec());
        last = Some(seq);
    }
    let Some(last) = last else {
        return Ok(0);
    };
    let leaf = AuditAnchor::new(now, first, last, bytes.iter().map(Vec::as_slice))
        .encode()
        .map_err(|e| anyhow::anyhow!(e))?;
    let writes = vec![
        ledger::SideWrite {
            cf: CF_AUDIT.into(),
            key: MARK.to_vec(),
            value: (last + 1).to_be_bytes().to_vec(),
        },
        ledger::SideWrite {
            cf: CF_AUDIT.into(),
            key: range_key(first),
            value: last.to_be_bytes().to_vec(),
        },
    ];
    anchor.append_with(leaf, writes).await?;
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

/// The batch that deletes the records whose retention has passed, whole anchored range by
/// range from the oldest, stopping at the first range holding a record that must be kept (so
/// every record left can still be checked against its anchor), and how many it deletes.
pub fn prune(
    store: &ledger::Store,
    today: NaiveDate,
) -> anyhow::Result<(rocksdb::WriteBatch, u64)> {
    let cf = crate::store::cf(store, CF_AUDIT)?;
    let mut first = control(store, PRUNED)?;
    let mut batch = rocksdb::WriteBatch::default();
    let mut deleted = 0;
    // A range without its end key is not anchored yet.
    while let Some(end) = store.db().get_cf(cf, range_key(first))? {
        let last = u64::from_be_bytes(
            end.as_slice()
                .try_into()
                .map_err(|_| anyhow::anyhow!("corrupt audit range"))?,
        );
        let span = usize::try_from(last + 1 - first).unwrap_or(usize::MAX);
        let range: Vec<AuditRecord> = records(store, first, span)?
            .into_iter()
            .take_while(|r| r.seq <= last)
            .collect();
        if range.iter().any(|r| r.retain_until >= today) {
            break;
        }
        for r in &range {
            batch.delete_cf(cf, r.seq.to_be_bytes());
        }
        batch.delete_cf(cf, range_key(first));
        deleted += range.len() as u64;
        first = last + 1;
    }
    batch.put_cf(cf, PRUNED, first.to_be_bytes());
    Ok((batch, deleted))
}

/// `POST /audit/prune` (admin): deletes the records whose retention has passed (never one
/// younger than five years after the expiry of the permit it concerns).
#[utoipa::path(post, path = "/audit/prune", tag = "audit", responses((status = 200, description = "how many records were deleted"), (status = 401, description = "not logged in", body = crate::http::Problem), (status = 403, description = "role not allowed", body = crate::http::Problem)))]
pub async fn http_prune(
    axum::extract::State(s): axum::extract::State<Arc<crate::http::AppState>>,
    caller: crate::auth::Caller,
    info: RequestInfo,
) -> axum::response::Response {
    use axum::response::IntoResponse;
    if let Err(r) = caller.require(&[Role::Admin]) {
        return r;
    }
    let state = s.clone();
    let result = tokio::task::spawn_blocking(move || {
        let store = state.anchor.store();
        let (batch, deleted) = prune(store, Utc::now().date_naive())?;
        let count = deleted.to_string();
        let who = caller.who();
        let change = Change::new(&who, &info, "audit.prune", &count);
        commit_batch(store, batch, state.journal.writes(change)?)?;
        Ok::<_, anyhow::Error>(deleted)
    })
    .await;
    match result {
        Ok(Ok(deleted)) => axum::Json(serde_json::json!({ "deleted": deleted })).into_response(),
        Ok(Err(e)) => crate::http::internal(e),
        Err(e) => crate::http::internal(e.into()),
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn only_records_past_their_retention_are_pruned_and_the_trail_stays_one_range() {
        let dir = tempfile::tempdir().unwrap();
        let store = crate::store::open(dir.path()).unwrap();
        let journal = Journal::load(&store).unwrap();
        let who = Who {
            user: "ma-officer".into(),
            role: Role::MaOfficer,
        };
        let info = RequestInfo::default();
        let day = |s: &str| s.parse::<NaiveDate>().unwrap();
        // Expired 2019, 2020, then one still within its five years, then an old one again.
        for (i, expiry) in ["2019-01-01", "2020-06-30", "2025-01-01", "2018-01-01"]
            .iter()
            .enumerate()
        {
            let target = format!("GH/{i}");
            let change = Change {
                permit: Some((target.clone(), day(expiry))),
                ..Change::new(&who, &info, "permit.cancel", &target)
            };
            commit(&store, journal.writes(change).unwrap()).unwrap();
        }
        let today = day("2026-12-01");
        let pruned = |today| {
            let (batch, n) = prune(&store, today).unwrap();
            store.db().write(batch).unwrap();
            n
        };
        assert_eq!(pruned(today), 0, "nothing is anchored yet");
        // Two anchored ranges: records 0-1 and 2-3.
        let range = |first: u64, last: u64| ledger::SideWrite {
            cf: CF_AUDIT.into(),
            key: range_key(first),
            value: last.to_be_bytes().to_vec(),
        };
        let mark = ledger::SideWrite {
            cf: CF_AUDIT.into(),
            key: MARK.to_vec(),
            value: 4u64.to_be_bytes().to_vec(),
        };
        commit(&store, vec![range(0, 1), range(2, 3), mark]).unwrap();
        assert_eq!(pruned(today), 2);
        let left: Vec<u64> = records(&store, 0, 10)
            .unwrap()
            .iter()
            .map(|r| r.seq)
            .collect();
        assert_eq!(
            left,
            [2, 3],
            "the 2018 record stays with the young one of its range"
        );
        assert_eq!(pruned(today), 0);
        assert_eq!(pruned(day("2030-01-02")), 2);
        assert!(records(&store, 0, 10).unwrap().is_empty());
    }
}
