//! The node's own anchor log as the rest of the node sees it: one RocksDB, one sequencer that
//! owns the writer, and read handles for the HTTP handlers.

use std::sync::Mutex;
use std::time::Duration;

use anyhow::Context;
use ledger::note::NoteSigner;
use ledger::sequencer::{Sequencer, SequencerConfig};
use ledger::tile::TileRequest;
use ledger::{Log, LogReader, Store};

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
    sequencer: Mutex<Option<Sequencer>>,
}

impl Anchor {
    /// Opens (or creates) the store and starts the sequencer.
    pub fn open(config: &Config, signer: NoteSigner) -> anyhow::Result<Anchor> {
        let dir = config.db_dir();
        std::fs::create_dir_all(&dir)
            .with_context(|| format!("cannot create {}", dir.display()))?;
        let store = Store::open(&dir)
            .with_context(|| format!("cannot open the store in {}", dir.display()))?;
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
        let sequencer = Sequencer::start(
            log,
            signer,
            SequencerConfig {
                checkpoint_interval: Duration::from_millis(config.checkpoint_interval_ms),
                ..SequencerConfig::default()
            },
        )
        .context("cannot start the sequencer")?;
        Ok(Anchor {
            reader,
            verifier_key,
            sequencer: Mutex::new(Some(sequencer)),
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
        Ok(self.reader.cosigned_checkpoint(latest.size())?)
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

    /// Appends an entry and returns its index once it is durable. Entries from concurrent
    /// callers share one synced batch (group commit).
    pub async fn append(&self, entry: Vec<u8>) -> anyhow::Result<u64> {
        let (tx, rx) = tokio::sync::oneshot::channel();
        {
            let guard = self
                .sequencer
                .lock()
                .map_err(|_| anyhow::anyhow!("sequencer lock poisoned"))?;
            let sequencer = guard.as_ref().context("the node is shutting down")?;
            sequencer.submit(
                entry,
                Vec::new(),
                Box::new(move |r| {
                    let _ = tx.send(r);
                }),
            );
        }
        let receipt = rx.await.context("the sequencer stopped")??;
        Ok(receipt.index)
    }

    /// Flushes pending entries and stops the sequencer.
    pub fn shutdown(&self) -> anyhow::Result<()> {
        let sequencer = self
            .sequencer
            .lock()
            .map_err(|_| anyhow::anyhow!("sequencer lock poisoned"))?
            .take();
        if let Some(s) = sequencer {
            s.shutdown().context("the sequencer did not stop cleanly")?;
        }
        Ok(())
    }
}
