//! The node's own anchor log as the rest of the node sees it: one RocksDB, one sequencer that
//! owns the writer, and read handles for the HTTP handlers.

use std::sync::{Arc, RwLock};
use std::time::Duration;

use anyhow::Context;
use ledger::note::NoteSigner;
use ledger::sequencer::{Sequencer, SequencerConfig};
use ledger::tile::TileRequest;
use ledger::{InclusionProof, Log, LogReader, SideWrite, SignedCheckpoint, Store};

use crate::config::Config;

/// What the home page shows of the log.
pub struct LogStatus {
    /// Durable entries.
    pub size: u64,
    /// Root over them, hex.
    pub root_hex: String,
    /// The latest checkpoint note, with any cosignatures.
    pub checkpoint: Option<String>,
}

/// Why a tile could not be served.
#[derive(Debug, thiserror::Error)]
pub enum TileError {
    /// Not a tile path (400).
    #[error("{0}")]
    BadPath(String),
    /// Beyond the published tree (404).
    #[error("{0}")]
    NotFound(String),
    /// Storage failed (500).
    #[error(transparent)]
    Internal(anyhow::Error),
}

/// The node's log.
pub struct Anchor {
    reader: LogReader,
    verifier_key: String,
    sequencer: RwLock<Option<Arc<Sequencer>>>,
    /// Size of the latest published checkpoint.
    published: tokio::sync::watch::Receiver<u64>,
}

impl Anchor {
    /// Opens (or creates) the store and starts the sequencer.
    pub fn open(config: &Config, signer: NoteSigner) -> anyhow::Result<Anchor> {
        let store = crate::store::open(&config.db_dir())?;
        let mut log = Log::open(store, &config.log_origin)
            .with_context(|| format!("cannot open log {}", config.log_origin))?;
        if log.latest().is_none() {
            // A new log publishes its empty tree, so auditors and witnesses can start from it.
            let now = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_secs())
                .unwrap_or(0);
            log.publish_checkpoint(&signer, now)
                .context("cannot publish the first checkpoint")?;
        }
        let reader = log.reader();
        let verifier_key = signer.verifier().to_key_string();
        let (published_tx, published) =
            tokio::sync::watch::channel(log.latest().map(|c| c.size()).unwrap_or(0));
        let sequencer = Sequencer::start(
            log,
            signer,
            SequencerConfig {
                checkpoint_interval: Duration::from_millis(config.checkpoint_interval_ms),
                // Tell waiting requests without a thread per waiter: a watch channel is cheap
                // to update from the writer thread and awaited by many.
                on_checkpoint: Some(Arc::new(move |cp: &SignedCheckpoint| {
                    published_tx.send_replace(cp.size());
                })),
                ..SequencerConfig::default()
            },
        )
        .context("cannot start the sequencer")?;
        Ok(Anchor {
            reader,
            verifier_key,
            sequencer: RwLock::new(Some(Arc::new(sequencer))),
            published,
        })
    }

    /// The verifier key of the log's checkpoints, `name+id+key`.
    pub fn verifier_key(&self) -> String {
        self.verifier_key.clone()
    }

    /// Size, root and latest checkpoint.
    pub fn status(&self) -> anyhow::Result<LogStatus> {
        let size = self.reader.size()?;
        let root_hex = self.reader.root_at(size)?.to_hex();
        let checkpoint = self
            .checkpoint_note()?
            .map(|n| String::from_utf8_lossy(&n).into_owned());
        Ok(LogStatus {
            size,
            root_hex,
            checkpoint,
        })
    }

    /// The latest checkpoint as a signed note, with the cosignatures gathered so far.
    pub fn checkpoint_note(&self) -> anyhow::Result<Option<Vec<u8>>> {
        let Some(latest) = self.reader.latest_checkpoint()? else {
            return Ok(None);
        };
        Ok(Some(self.reader.cosigned(&latest)?))
    }

    /// A tile of the tree of the latest checkpoint, at `path` (`tile/<L>/<N>[.p/<W>]` or
    /// `tile/entries/<N>[.p/<W>]`); returns whether the tile is partial with its bytes.
    pub fn tile(&self, path: &str) -> Result<(bool, Vec<u8>), TileError> {
        let request = TileRequest::parse(path).map_err(|e| TileError::BadPath(e.to_string()))?;
        match self.reader.tile(&request) {
            Ok(bytes) => Ok((request.is_partial(), bytes)),
            Err(e @ ledger::LedgerError::TileBeyondTree { .. }) => {
                Err(TileError::NotFound(e.to_string()))
            }
            Err(e) => Err(TileError::Internal(e.into())),
        }
    }

    fn sequencer(&self) -> anyhow::Result<Arc<Sequencer>> {
        let guard = self
            .sequencer
            .read()
            .map_err(|_| anyhow::anyhow!("sequencer lock poisoned"))?;
        guard.clone().context("the node is shutting down")
    }

    /// Whether the log takes writes: the sequencer runs and the store answers.
    pub fn ready(&self) -> anyhow::Result<()> {
        self.sequencer()?;
        self.reader.size()?;
        Ok(())
    }

    /// The store shared with the rest of the node.
    pub fn store(&self) -> &Store {
        self.reader.store()
    }

    /// The log's origin.
    pub fn origin(&self) -> &str {
        self.reader.origin()
    }

    /// Appends an entry and returns its index once it is durable. Entries from concurrent
    /// callers share one synced batch (group commit).
    pub async fn append(&self, entry: Vec<u8>) -> anyhow::Result<u64> {
        self.append_with(entry, Vec::new()).await
    }

    /// Appends an entry together with writes to the node's own column families, in one synced
    /// batch: both are durable, or neither.
    pub async fn append_with(
        &self,
        entry: Vec<u8>,
        side_writes: Vec<SideWrite>,
    ) -> anyhow::Result<u64> {
        let (tx, rx) = tokio::sync::oneshot::channel();
        self.sequencer()?.submit(
            entry,
            side_writes,
            Box::new(move |r| {
                let _ = tx.send(r);
            }),
        );
        let receipt = rx.await.context("the sequencer stopped")??;
        Ok(receipt.index)
    }

    /// Waits (without blocking the async runtime) for a checkpoint of at least `size` entries;
    /// the size of the newest one published. The sequencer tells it, so nothing is read back.
    pub async fn checkpoint_covering(&self, size: u64, timeout: Duration) -> anyhow::Result<u64> {
        let mut published = self.published.clone();
        let covering = tokio::time::timeout(timeout, published.wait_for(|s| *s >= size))
            .await
            .with_context(|| format!("no checkpoint covering {size} entries within {timeout:?}"))?
            .context("the sequencer stopped")?;
        Ok(*covering)
    }

    /// Inclusion proof of leaf `index` in the tree of `size`, and that checkpoint's note with
    /// its cosignatures.
    pub fn inclusion(&self, index: u64, size: u64) -> anyhow::Result<(InclusionProof, Vec<u8>)> {
        let proof = self.reader.inclusion_proof(index, size)?;
        let note = self
            .reader
            .cosigned_checkpoint(size)?
            .with_context(|| format!("no checkpoint of size {size}"))?;
        Ok((proof, note))
    }

    /// The index of an entry, by its RFC 6962 leaf hash.
    pub fn index_of(&self, leaf_hash: &ledger::Hash) -> anyhow::Result<Option<u64>> {
        Ok(self.reader.index_of(leaf_hash)?)
    }

    /// The reader, for replay and proofs.
    pub fn reader(&self) -> &LogReader {
        &self.reader
    }

    /// Flushes pending entries and stops the sequencer, once in-flight callers are done with it.
    pub fn shutdown(&self) -> anyhow::Result<()> {
        let taken = self
            .sequencer
            .write()
            .map_err(|_| anyhow::anyhow!("sequencer lock poisoned"))?
            .take();
        let Some(mut sequencer) = taken else {
            return Ok(());
        };
        // Callers still waiting for a checkpoint hold a clone for at most their timeout.
        let deadline = std::time::Instant::now() + Duration::from_secs(15);
        loop {
            match Arc::try_unwrap(sequencer) {
                Ok(s) => {
                    s.shutdown().context("the sequencer did not stop cleanly")?;
                    return Ok(());
                }
                Err(shared) if std::time::Instant::now() < deadline => {
                    sequencer = shared;
                    std::thread::sleep(Duration::from_millis(10));
                }
                Err(_) => anyhow::bail!(
                    "the sequencer is still in use after 15 s; pending entries were not flushed"
                ),
            }
        }
    }
}
