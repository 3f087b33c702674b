//! Group commit for the node's own log, on a plain thread.
//!
//! A durable write costs one fsync (milliseconds), so entries are queued and the writer
//! commits everything waiting, up to `max_batch`, in one synced batch: throughput grows with
//! load while each caller still hears back only once its entry is on disk. Checkpoints are
//! signed at most every `checkpoint_interval`, and sooner when a batch was full.

use std::collections::VecDeque;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError};
use std::thread::JoinHandle;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use crate::checkpoint::SignedCheckpoint;
use crate::error::LedgerError;
use crate::hash::{Hash, leaf_hash};
use crate::log::{Log, LogReader};
use crate::note::NoteSigner;
use crate::store::{COLUMN_FAMILIES, MAX_ENTRY_SIZE, SideWrite};

/// Called with each checkpoint right after it is durably stored (e.g. to send it to
/// witnesses and peers). Runs on the writer thread: keep it short.
pub type CheckpointHook = Arc<dyn Fn(&SignedCheckpoint) + Send + Sync>;

/// Receives the outcome of one submitted entry. Runs on the writer thread: it must be quick
/// and must not wait on the sequencer itself (e.g. call `append`), or the writer deadlocks.
pub type Ack = Box<dyn FnOnce(Result<AppendReceipt, LedgerError>) + Send>;

#[derive(Clone)]
pub struct SequencerConfig {
    /// Shortest time between two checkpoints (default 500 ms).
    pub checkpoint_interval: Duration,
    /// Most entries committed in one batch (default 4096).
    pub max_batch: usize,
    pub on_checkpoint: Option<CheckpointHook>,
}

impl Default for SequencerConfig {
    fn default() -> Self {
        SequencerConfig {
            checkpoint_interval: Duration::from_millis(500),
            max_batch: 4096,
            on_checkpoint: None,
        }
    }
}

impl std::fmt::Debug for SequencerConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SequencerConfig")
            .field("checkpoint_interval", &self.checkpoint_interval)
            .field("max_batch", &self.max_batch)
            .field("on_checkpoint", &self.on_checkpoint.is_some())
            .finish()
    }
}

/// Where a durable entry landed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AppendReceipt {
    pub index: u64,
    pub leaf_hash: Hash,
}

struct Pending {
    entry: Vec<u8>,
    side_writes: Vec<SideWrite>,
    ack: Ack,
}

#[derive(Default)]
struct Queue {
    items: VecDeque<Pending>,
    stopping: bool,
}

#[derive(Default)]
struct Published {
    latest: Option<SignedCheckpoint>,
    stopped: bool,
    last_error: Option<String>,
}

#[derive(Default)]
struct Shared {
    queue: Mutex<Queue>,
    work: Condvar,
    published: Mutex<Published>,
    published_changed: Condvar,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

fn call_ack(ack: Ack, result: Result<AppendReceipt, LedgerError>) {
    // A panicking callback must not take the writer (and every later entry) down with it.
    let _ = catch_unwind(AssertUnwindSafe(move || ack(result)));
}

/// The single writer of the node's log.
pub struct Sequencer {
    shared: Arc<Shared>,
    reader: LogReader,
    handle: Option<JoinHandle<Log>>,
}

impl std::fmt::Debug for Sequencer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Sequencer")
            .field("origin", &self.reader.origin())
            .finish_non_exhaustive()
    }
}

impl Sequencer {
    /// Starts the writer thread, which owns `log` until [`Sequencer::shutdown`].
    pub fn start(
        log: Log,
        signer: NoteSigner,
        config: SequencerConfig,
    ) -> Result<Self, LedgerError> {
        let shared = Arc::new(Shared::default());
        lock(&shared.published).latest = log.latest().cloned();
        let reader = log.reader();
        let thread_shared = shared.clone();
        let handle = std::thread::Builder::new()
            .name(format!("sequencer {}", reader.origin()))
            .spawn(move || writer(log, signer, config, &thread_shared))
            .map_err(|e| LedgerError::BatchFailed(format!("cannot start writer thread: {e}")))?;
        Ok(Sequencer {
            shared,
            reader,
            handle: Some(handle),
        })
    }

    /// A read handle on the log.
    pub fn reader(&self) -> LogReader {
        self.reader.clone()
    }

    /// Queues an entry; `ack` is called once it is durable (with its index) or has failed.
    /// Invalid submissions are refused at once, so they never fail a batch for others.
    pub fn submit(&self, entry: Vec<u8>, side_writes: Vec<SideWrite>, ack: Ack) {
        if entry.len() > MAX_ENTRY_SIZE {
            return call_ack(
                ack,
                Err(LedgerError::EntryTooLarge {
                    len: entry.len(),
                    max: MAX_ENTRY_SIZE,
                }),
            );
        }
        for w in &side_writes {
            if COLUMN_FAMILIES.contains(&w.cf.as_str()) {
                return call_ack(ack, Err(LedgerError::ProtectedColumnFamily(w.cf.clone())));
            }
            if self.reader.store().db().cf_handle(&w.cf).is_none() {
                return call_ack(ack, Err(LedgerError::UnknownColumnFamily(w.cf.clone())));
            }
        }
        let mut q = lock(&self.shared.queue);
        if q.stopping {
            drop(q);
            return call_ack(ack, Err(LedgerError::SequencerStopped));
        }
        q.items.push_back(Pending {
            entry,
            side_writes,
            ack,
        });
        drop(q);
        self.shared.work.notify_one();
    }

    /// Appends one entry and blocks until it is durable.
    pub fn append(
        &self,
        entry: Vec<u8>,
        side_writes: Vec<SideWrite>,
    ) -> Result<AppendReceipt, LedgerError> {
        let (tx, rx) = std::sync::mpsc::sync_channel(1);
        self.submit(
            entry,
            side_writes,
            Box::new(move |r| {
                let _ = tx.send(r);
            }),
        );
        rx.recv().map_err(|_| LedgerError::SequencerStopped)?
    }

    /// The latest checkpoint published.
    pub fn latest_checkpoint(&self) -> Option<SignedCheckpoint> {
        lock(&self.shared.published).latest.clone()
    }

    /// Waits until a checkpoint of at least `min_size` entries is published, so that an
    /// entry at index `min_size - 1` can leave with its inclusion proof.
    pub fn wait_for_checkpoint(
        &self,
        min_size: u64,
        timeout: Duration,
    ) -> Result<SignedCheckpoint, LedgerError> {
        let deadline = Instant::now() + timeout;
        let mut p = lock(&self.shared.published);
        loop {
            if let Some(cp) = &p.latest
                && cp.size() >= min_size
            {
                return Ok(cp.clone());
            }
            if p.stopped {
                return Err(LedgerError::SequencerStopped);
            }
            let now = Instant::now();
            if now >= deadline {
                return Err(LedgerError::Timeout(min_size));
            }
            p = self
                .shared
                .published_changed
                .wait_timeout(p, deadline - now)
                .unwrap_or_else(PoisonError::into_inner)
                .0;
        }
    }

    /// The last error the writer hit while publishing a checkpoint, if any.
    pub fn last_error(&self) -> Option<String> {
        lock(&self.shared.published).last_error.clone()
    }

    /// Stops accepting entries, commits everything queued, publishes a final checkpoint and
    /// returns the log.
    pub fn shutdown(mut self) -> Result<Log, LedgerError> {
        self.stop()
            .ok_or_else(|| LedgerError::BatchFailed("writer thread panicked".into()))
    }

    fn stop(&mut self) -> Option<Log> {
        lock(&self.shared.queue).stopping = true;
        self.shared.work.notify_all();
        self.handle.take().and_then(|h| h.join().ok())
    }
}

impl Drop for Sequencer {
    fn drop(&mut self) {
        let _ = self.stop();
    }
}

fn writer(mut log: Log, signer: NoteSigner, config: SequencerConfig, shared: &Shared) -> Log {
    let max_batch = config.max_batch.max(1);
    let mut last_checkpoint = Instant::now();
    let mut dirty = log.latest().map(|c| c.size()) != Some(log.tree_size());
    loop {
        let (batch, stopping) = {
            let mut q = lock(&shared.queue);
            while q.items.is_empty() && !q.stopping {
                if dirty {
                    let due = last_checkpoint + config.checkpoint_interval;
                    let now = Instant::now();
                    if now >= due {
                        break;
                    }
                    q = shared
                        .work
                        .wait_timeout(q, due - now)
                        .unwrap_or_else(PoisonError::into_inner)
                        .0;
                } else {
                    q = shared.work.wait(q).unwrap_or_else(PoisonError::into_inner);
                }
            }
            let n = q.items.len().min(max_batch);
            let batch: Vec<Pending> = q.items.drain(..n).collect();
            (batch, q.stopping && q.items.is_empty())
        };
        let full = batch.len() == max_batch;
        if !batch.is_empty() {
            commit(&mut log, batch);
            dirty = log.latest().map(|c| c.size()) != Some(log.tree_size());
        }
        let due = last_checkpoint.elapsed() >= config.checkpoint_interval;
        if dirty && (due || full || stopping) {
            last_checkpoint = Instant::now();
            match log.publish_checkpoint(&signer, unix_now()) {
                Ok(cp) => {
                    dirty = false;
                    if let Some(hook) = &config.on_checkpoint {
                        let _ = catch_unwind(AssertUnwindSafe(|| hook(&cp)));
                    }
                    lock(&shared.published).latest = Some(cp);
                    shared.published_changed.notify_all();
                }
                Err(e) => lock(&shared.published).last_error = Some(e.to_string()),
            }
        }
        if stopping {
            break;
        }
    }
    lock(&shared.published).stopped = true;
    shared.published_changed.notify_all();
    log
}

fn commit(log: &mut Log, batch: Vec<Pending>) {
    let mut entries = Vec::with_capacity(batch.len());
    let mut side_writes = Vec::new();
    let mut acks = Vec::with_capacity(batch.len());
    for p in batch {
        entries.push(p.entry);
        side_writes.extend(p.side_writes);
        acks.push(p.ack);
    }
    match log.append_batch(&entries, &side_writes) {
        Ok(range) => {
            for ((ack, entry), index) in acks.into_iter().zip(&entries).zip(range) {
                call_ack(
                    ack,
                    Ok(AppendReceipt {
                        index,
                        leaf_hash: leaf_hash(entry),
                    }),
                );
            }
        }
        Err(e) => {
            let msg = e.to_string();
            for ack in acks {
                call_ack(ack, Err(LedgerError::BatchFailed(msg.clone())));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::proof::verify_inclusion;
    use crate::store::Store;

    fn start(dir: &std::path::Path, interval_ms: u64) -> (Sequencer, NoteSigner) {
        let signer = NoteSigner::from_seed("example.com/log", [1; 32]).unwrap();
        let log = Log::open(Store::open(dir).unwrap(), "example.com/log").unwrap();
        let cfg = SequencerConfig {
            checkpoint_interval: Duration::from_millis(interval_ms),
            ..Default::default()
        };
        let seq = Sequencer::start(
            log,
            NoteSigner::from_seed("example.com/log", [1; 32]).unwrap(),
            cfg,
        )
        .unwrap();
        (seq, signer)
    }

    #[test]
    fn concurrent_appends_get_distinct_indices_and_a_checkpoint_covers_them() {
        let dir = tempfile::tempdir().unwrap();
        let (seq, signer) = start(dir.path(), 50);
        let seq = Arc::new(seq);
        let mut threads = Vec::new();
        for t in 0..4u8 {
            let seq = seq.clone();
            threads.push(std::thread::spawn(move || {
                (0..50u8)
                    .map(|i| {
                        let e = vec![t, i];
                        (e.clone(), seq.append(e, vec![]).unwrap())
                    })
                    .collect::<Vec<_>>()
            }));
        }
        let mut all: Vec<(Vec<u8>, AppendReceipt)> = threads
            .into_iter()
            .flat_map(|t| t.join().unwrap())
            .collect();
        all.sort_by_key(|(_, r)| r.index);
        let indices: Vec<u64> = all.iter().map(|(_, r)| r.index).collect();
        assert_eq!(indices, (0..200).collect::<Vec<_>>());
        let cp = seq
            .wait_for_checkpoint(200, Duration::from_secs(5))
            .unwrap();
        assert_eq!(cp.size(), 200);
        SignedCheckpoint::open(cp.note_bytes(), &[&signer.verifier()]).unwrap();
        let reader = seq.reader();
        for (entry, r) in &all {
            assert_eq!(&reader.leaf(r.index).unwrap(), entry);
            let p = reader.inclusion_proof(r.index, cp.size()).unwrap();
            verify_inclusion(&r.leaf_hash, r.index, cp.size(), &p, &cp.root()).unwrap();
        }
    }

    #[test]
    fn shutdown_flushes_pending_entries_and_publishes() {
        let dir = tempfile::tempdir().unwrap();
        let (seq, _) = start(dir.path(), 60_000);
        let (tx, rx) = std::sync::mpsc::channel();
        for i in 0..100u32 {
            let tx = tx.clone();
            seq.submit(
                i.to_be_bytes().to_vec(),
                vec![],
                Box::new(move |r| tx.send(r.map(|r| r.index)).unwrap()),
            );
        }
        let log = seq.shutdown().unwrap();
        drop(tx);
        let acked: Vec<u64> = rx.iter().map(|r| r.unwrap()).collect();
        assert_eq!(acked.len(), 100);
        assert_eq!(log.tree_size(), 100);
        assert_eq!(log.latest().unwrap().size(), 100);
    }

    #[test]
    fn invalid_submissions_fail_alone() {
        let dir = tempfile::tempdir().unwrap();
        let (seq, _) = start(dir.path(), 10);
        assert!(matches!(
            seq.append(vec![0; MAX_ENTRY_SIZE + 1], vec![]),
            Err(LedgerError::EntryTooLarge { .. })
        ));
        let bad = SideWrite {
            cf: "missing".into(),
            key: vec![1],
            value: vec![],
        };
        assert!(matches!(
            seq.append(b"x".to_vec(), vec![bad]),
            Err(LedgerError::UnknownColumnFamily(_))
        ));
        assert_eq!(seq.append(b"ok".to_vec(), vec![]).unwrap().index, 0);
        assert!(matches!(
            seq.wait_for_checkpoint(5, Duration::from_millis(100)),
            Err(LedgerError::Timeout(5))
        ));
    }
}
