//! The node's issuing identity: its did:web, the Ed25519 assertion key behind it, and the DID
//! document the node publishes at `/.well-known/did.json` for outside tools.
//!
//! The assertion key rotates (see [`crate::rotation`]); the node keeps its retired keys, because
//! EPIX answers sealed to an old key-agreement key may still arrive and its network identity
//! stays the accredited PeerId.
//!
//! # Files (in `DATA_DIR/keys`)
//! - `issuer.key`: the current key, `key-N <multibase seed>` (a bare seed is `key-1`).
//! - `issuer-key-N.retired`: each key rotated away, same format.
//! - `issuer.key.next`: only during a rotation; on start it is finished or dropped, as the log
//!   says (see [`crate::rotation::finish_interrupted`]).
//! - `p2p.key`: the libp2p identity once the first rotation moved it off the issuing key.

use std::path::{Path, PathBuf};
use std::sync::{Arc, RwLock};

use anyhow::{Context, bail};
use credentials::keys::SecretKey;
use credentials::{Mechanism, Signer};
use serde_json::{Value, json};

use crate::config::Config;

/// One issuing key and the verification method it signs as.
pub struct IssuingKey {
    /// Signer for `did#key-N`.
    pub signer: Signer,
    /// N.
    pub number: u32,
    seed: [u8; 32],
}

impl IssuingKey {
    fn new(did: &str, number: u32, key: SecretKey) -> anyhow::Result<IssuingKey> {
        let seed = key.seed();
        let signer = Signer::new(key, &format!("{did}#{}", fragment(number)))?;
        Ok(IssuingKey {
            signer,
            number,
            seed,
        })
    }

    /// A fresh key that would follow `self`.
    pub fn successor(&self, did: &str) -> anyhow::Result<IssuingKey> {
        IssuingKey::new(did, self.number + 1, SecretKey::generate()?)
    }

    /// The verification method's fragment, `key-N`.
    pub fn fragment(&self) -> String {
        fragment(self.number)
    }

    /// The secret (the same key signs registry entries and EPIX messages).
    pub fn secret(&self) -> SecretKey {
        SecretKey::from_seed(&self.seed)
    }

    /// The raw seed, for key types of other crates.
    pub fn seed(&self) -> [u8; 32] {
        self.seed
    }

    /// `key-1` is written bare, as before keys rotated, so tools that read the first key
    /// keep working.
    fn file_text(&self) -> String {
        match self.number {
            1 => format!("{}\n", self.secret().to_multibase()),
            _ => format!("{} {}\n", self.fragment(), self.secret().to_multibase()),
        }
    }

    fn read(path: &Path, did: &str) -> anyhow::Result<IssuingKey> {
        let text = crate::keys::read_secret(path, "issuer key")?;
        let (number, seed) = match text.split_once(' ') {
            Some((f, seed)) => (
                f.strip_prefix("key-")
                    .and_then(|n| n.parse::<u32>().ok())
                    .with_context(|| format!("{}: {f:?} is not key-N", path.display()))?,
                seed,
            ),
            None => (1, text.as_str()),
        };
        let key = SecretKey::from_multibase(seed.trim())
            .with_context(|| format!("{} does not hold an Ed25519 key", path.display()))?;
        IssuingKey::new(did, number, key)
    }
}

fn fragment(number: u32) -> String {
    format!("key-{number}")
}

/// Who signs the node's credentials.
pub struct Issuer {
    /// The node's DID.
    pub did: String,
    /// The mechanism used when a request does not choose one.
    pub mechanism: Mechanism,
    current: RwLock<Arc<IssuingKey>>,
    retired: RwLock<Vec<Arc<IssuingKey>>>,
    /// Taken shared by whatever signs with the current key and anchors the result, and
    /// exclusively by a rotation: nothing signed with the old key lands in the log after the
    /// rotation entry, which would make it unverifiable.
    pub turn: tokio::sync::RwLock<()>,
}

impl Issuer {
    /// Loads the issuer keys (creating the first when `create`).
    pub fn load(config: &Config, create: bool) -> anyhow::Result<Issuer> {
        let path = config.issuer_key_path();
        if create && !path.exists() {
            create_key(config)?;
        }
        let did = config.did();
        let current = IssuingKey::read(&path, &did)?;
        let mut retired = Vec::new();
        for file in retired_files(config)? {
            retired.push(Arc::new(IssuingKey::read(&file, &did)?));
        }
        retired.sort_by_key(|k| k.number);
        Ok(Issuer {
            did,
            mechanism: config.securing,
            current: RwLock::new(Arc::new(current)),
            retired: RwLock::new(retired),
            turn: tokio::sync::RwLock::new(()),
        })
    }

    /// The key to sign with now.
    pub fn current(&self) -> Arc<IssuingKey> {
        match self.current.read() {
            Ok(k) => k.clone(),
            Err(poisoned) => poisoned.into_inner().clone(),
        }
    }

    /// The keys rotated away, oldest first.
    pub fn retired(&self) -> Vec<Arc<IssuingKey>> {
        match self.retired.read() {
            Ok(k) => k.clone(),
            Err(poisoned) => poisoned.into_inner().clone(),
        }
    }

    /// Makes `next` the current key (its files are in place already).
    pub fn install(&self, next: IssuingKey) {
        let mut current = match self.current.write() {
            Ok(k) => k,
            Err(poisoned) => poisoned.into_inner(),
        };
        let old = std::mem::replace(&mut *current, Arc::new(next));
        match self.retired.write() {
            Ok(mut r) => r.push(old),
            Err(poisoned) => poisoned.into_inner().push(old),
        }
    }

    /// The DID document (W3C DID Core, Multikey). Retired keys stay listed as verification
    /// methods, for tools that check old permits; only the current key may assert, because a
    /// did:web document says nothing about when a key was valid (the registry does).
    pub fn did_document(&self) -> Value {
        let current = self.current();
        let method = current.signer.method().to_owned();
        let entry = |k: &IssuingKey| {
            json!({
                "id": k.signer.method(),
                "type": "Multikey",
                "controller": self.did,
                "publicKeyMultibase": k.signer.public().to_multikey(),
            })
        };
        let mut methods = vec![entry(&current)];
        methods.extend(self.retired().iter().rev().map(|k| entry(k)));
        json!({
            "@context": ["https://www.w3.org/ns/did/v1", "https://w3id.org/security/multikey/v1"],
            "id": self.did,
            "verificationMethod": methods,
            "assertionMethod": [method],
            "authentication": [method],
        })
    }
}

/// Creates the issuer key file (never replacing one).
pub fn create_key(config: &Config) -> anyhow::Result<()> {
    let first = IssuingKey::new(&config.did(), 1, SecretKey::generate()?)?;
    crate::keys::write_secret(&config.issuer_key_path(), first.file_text().as_bytes())
}

/// The seed of the node's libp2p identity: the key the Secretariat accredited the PeerId of.
/// That is the first issuing key until a rotation moves it to `p2p.key`, so rotating the
/// issuing key does not change the node's PeerId (which only an accreditation sets).
pub fn network_seed(config: &Config) -> anyhow::Result<[u8; 32]> {
    let path = p2p_key_path(config);
    let key = if path.exists() {
        IssuingKey::read(&path, &config.did())?
    } else {
        IssuingKey::read(&config.issuer_key_path(), &config.did())?
    };
    Ok(key.seed)
}

/// The node's libp2p PeerId.
pub fn network_peer_id(config: &Config) -> anyhow::Result<String> {
    Ok(SecretKey::from_seed(&network_seed(config)?)
        .public()
        .libp2p_peer_id())
}

fn keys_dir(config: &Config) -> PathBuf {
    config
        .issuer_key_path()
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_default()
}

fn p2p_key_path(config: &Config) -> PathBuf {
    keys_dir(config).join("p2p.key")
}

fn next_key_path(config: &Config) -> PathBuf {
    keys_dir(config).join("issuer.key.next")
}

fn retired_path(config: &Config, number: u32) -> PathBuf {
    keys_dir(config).join(format!("issuer-key-{number}.retired"))
}

fn retired_files(config: &Config) -> anyhow::Result<Vec<PathBuf>> {
    let dir = keys_dir(config);
    let mut out = Vec::new();
    for entry in
        std::fs::read_dir(&dir).with_context(|| format!("cannot read {}", dir.display()))?
    {
        let path = entry?.path();
        let name = path
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or_default();
        if name.starts_with("issuer-key-") && name.ends_with(".retired") {
            out.push(path);
        }
    }
    Ok(out)
}

/// The files of a rotation, written so that a crash at any point leaves either the old key
/// in use with nothing anchored, or everything needed to finish.
pub mod files {
    use super::*;

    /// Before the rotation entry is written: the next key waits in `issuer.key.next`, and the
    /// network identity is pinned to the key it is now.
    pub fn prepare(config: &Config, next: &IssuingKey) -> anyhow::Result<()> {
        let p2p = p2p_key_path(config);
        if !p2p.exists() {
            let seed = network_seed(config)?;
            let text = format!("{}\n", SecretKey::from_seed(&seed).to_multibase());
            crate::keys::write_secret(&p2p, text.as_bytes())?;
        }
        let path = next_key_path(config);
        if path.exists() {
            std::fs::remove_file(&path)
                .with_context(|| format!("cannot remove the stale {}", path.display()))?;
        }
        crate::keys::write_secret(&path, next.file_text().as_bytes())
    }

    /// The next key waiting, if a rotation was interrupted.
    pub fn pending(config: &Config) -> anyhow::Result<Option<IssuingKey>> {
        let path = next_key_path(config);
        if !path.exists() {
            return Ok(None);
        }
        IssuingKey::read(&path, &config.did()).map(Some)
    }

    /// After the rotation entry is in the log: the current key is retired and the next one
    /// takes its place (a rename, so `issuer.key` is always one whole key).
    pub fn commit(config: &Config) -> anyhow::Result<()> {
        let did = config.did();
        let path = config.issuer_key_path();
        let current = IssuingKey::read(&path, &did)?;
        let retired = retired_path(config, current.number);
        if !retired.exists() {
            crate::keys::write_secret(&retired, current.file_text().as_bytes())?;
        }
        let next = next_key_path(config);
        let waiting = IssuingKey::read(&next, &did)?;
        if waiting.number <= current.number {
            bail!(
                "{} holds key-{}, not a successor of key-{}",
                next.display(),
                waiting.number,
                current.number
            );
        }
        std::fs::rename(&next, &path)
            .with_context(|| format!("cannot move {} to {}", next.display(), path.display()))?;
        std::fs::File::open(keys_dir(config))
            .and_then(|d| d.sync_all())
            .context("cannot sync the keys directory")
    }

    /// The rotation never reached the log: the waiting key goes.
    pub fn abandon(config: &Config) -> anyhow::Result<()> {
        let path = next_key_path(config);
        if path.exists() {
            std::fs::remove_file(&path)
                .with_context(|| format!("cannot remove {}", path.display()))?;
        }
        Ok(())
    }
}
