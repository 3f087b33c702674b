//! The node's view of the trust registry: the pinned genesis plus the registry entries it holds
//! (its own log's, and other logs' once they are replicated), and the entries it writes.
//!
//! An entry is checked against a copy of the registry before it is appended, so a refused entry
//! never reaches the log; the node signs with its own key (`key-1`, the same key that signs its
//! credentials).

use std::sync::RwLock;

use anyhow::Context;
use chrono::Utc;
use did_registry::{
    AsOf, Body, DidWeb, Entry, Genesis, Position, Registry, RegistryError, Resolution,
    UnsignedEntry,
};
use ledger::{LogReader, SideWrite, leaf_hash};

use crate::anchor::Anchor;
use crate::store::CF_REGISTRY;

/// Why an entry was not written. Nothing was appended.
#[derive(Debug, thiserror::Error)]
pub enum WriteError {
    /// The registry's rules refuse it (422).
    #[error(transparent)]
    Refused(#[from] RegistryError),
    /// The node is not in the registry, so it cannot author entries (422).
    #[error("this node ({0}) is not in the registry; the Secretariat must accredit it first")]
    NotAnAuthor(String),
    /// Storage or the log failed (500).
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

/// The registry as this node knows it.
pub struct NodeRegistry {
    genesis: Genesis,
    did: DidWeb,
    key: did_registry::SecretKey,
    registry: RwLock<Registry>,
    write: tokio::sync::Mutex<()>,
}

fn read_lock<'a>(
    l: &'a RwLock<Registry>,
) -> anyhow::Result<std::sync::RwLockReadGuard<'a, Registry>> {
    l.read()
        .map_err(|_| anyhow::anyhow!("registry lock poisoned"))
}

impl NodeRegistry {
    /// Loads the genesis and replays the registry entries this node holds.
    pub fn load(
        genesis_path: &std::path::Path,
        did: &str,
        seed: &[u8; 32],
        reader: &LogReader,
    ) -> anyhow::Result<NodeRegistry> {
        let bytes = std::fs::read(genesis_path)
            .with_context(|| format!("cannot read genesis {}", genesis_path.display()))?;
        let genesis = Genesis::from_json(&bytes)
            .with_context(|| format!("{} is not a valid genesis file", genesis_path.display()))?;
        let did: DidWeb = did
            .parse()
            .with_context(|| format!("the node's DID {did:?}"))?;
        let mut leaves = Vec::new();
        let cf = reader
            .store()
            .db()
            .cf_handle(CF_REGISTRY)
            .context("missing registry column family")?;
        for item in reader
            .store()
            .db()
            .iterator_cf(&cf, rocksdb::IteratorMode::Start)
        {
            let (hash, _) = item?;
            let hash = ledger::Hash::from_slice(&hash).context("corrupt registry index")?;
            let index = reader
                .index_of(&hash)?
                .context("registry index points to a missing leaf")?;
            let leaf = reader.leaf(index)?;
            let entry = Entry::decode(&leaf).context("a registry leaf does not decode")?;
            let position = Position {
                log: reader.origin().to_owned(),
                index,
                time: entry.unsigned.at,
            };
            leaves.push((position, leaf));
        }
        let (registry, refused) = Registry::replay(&genesis, leaves);
        for (position, error) in refused {
            tracing::warn!(log = %position.log, index = position.index, %error, "registry entry on this log refused on replay");
        }
        Ok(NodeRegistry {
            genesis,
            did,
            key: did_registry::SecretKey::from_seed(seed),
            registry: RwLock::new(registry),
            write: tokio::sync::Mutex::new(()),
        })
    }

    /// The pinned genesis.
    pub fn genesis(&self) -> &Genesis {
        &self.genesis
    }

    /// Resolves a DID as of a time or now.
    pub fn resolve(
        &self,
        did: &str,
        as_of: &AsOf,
    ) -> anyhow::Result<Result<Resolution, RegistryError>> {
        Ok(read_lock(&self.registry)?.resolve(did, as_of))
    }

    /// Signs `body` as this node, checks it against the registry, appends it to the node's log
    /// and applies it. Returns the leaf index.
    pub async fn write(&self, anchor: &Anchor, body: Body) -> Result<u64, WriteError> {
        let _one_writer = self.write.lock().await;
        let now = Utc::now();
        let (leaf, mut probe) = {
            let registry = read_lock(&self.registry)?;
            let seq = registry
                .next_seq(&self.did)
                .ok_or_else(|| WriteError::NotAnAuthor(self.did.to_string()))?;
            let origin = anchor
                .origin()
                .parse()
                .map_err(|e| anyhow::anyhow!("log origin: {e}"))?;
            let entry = UnsignedEntry::new(self.did.clone(), seq, origin, now, body)
                .sign(
                    "key-1".parse().map_err(|e| anyhow::anyhow!("{e}"))?,
                    &self.key,
                )
                .map_err(|e| anyhow::anyhow!("cannot sign the entry: {e}"))?;
            (
                entry.encode().map_err(|e| anyhow::anyhow!("{e}"))?,
                registry.clone(),
            )
        };
        let size = anchor.reader().size().map_err(anyhow::Error::from)?;
        let position = |index| Position {
            log: anchor.origin().to_owned(),
            index,
            time: now,
        };
        probe.apply(position(size), &leaf)?;
        let side = vec![SideWrite {
            cf: CF_REGISTRY.into(),
            key: leaf_hash(&leaf).0.to_vec(),
            value: Vec::new(),
        }];
        let index = anchor.append_with(leaf.clone(), side).await?;
        let mut registry = self
            .registry
            .write()
            .map_err(|_| anyhow::anyhow!("registry lock poisoned"))?;
        registry.apply(position(index), &leaf).map_err(|e| {
            tracing::error!(index, error = %e, "an appended registry entry was refused on apply");
            WriteError::Refused(e)
        })?;
        tracing::info!(index, "registry entry written");
        Ok(index)
    }
}
