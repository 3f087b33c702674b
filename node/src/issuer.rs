//! The node's issuing identity: its did:web, the Ed25519 assertion key behind it, and the DID
//! document the node publishes at `/.well-known/did.json` for outside tools.

use std::io::Write;
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};

use anyhow::Context;
use credentials::keys::SecretKey;
use credentials::{Mechanism, Signer};
use serde_json::{Value, json};

use crate::config::Config;

/// The fragment of the node's assertion key.
const KEY_FRAGMENT: &str = "key-1";

/// Who signs the node's credentials.
pub struct Issuer {
    /// The node's DID.
    pub did: String,
    /// Signer for `did#key-1`.
    pub signer: Signer,
    /// The mechanism used when a request does not choose one.
    pub mechanism: Mechanism,
    seed: [u8; 32],
}

impl Issuer {
    /// Loads the issuer key (creating it first when `create`).
    pub fn load(config: &Config, create: bool) -> anyhow::Result<Issuer> {
        let path = config.issuer_key_path();
        if create && !path.exists() {
            create_key(config)?;
        }
        let text = crate::keys::read_secret(&path, "issuer key")?;
        let key = SecretKey::from_multibase(&text)
            .with_context(|| format!("{} does not hold an Ed25519 key", path.display()))?;
        let did = config.did();
        let seed = key.seed();
        let signer = Signer::new(key, &format!("{did}#{KEY_FRAGMENT}"))?;
        Ok(Issuer {
            did,
            signer,
            mechanism: config.securing,
            seed,
        })
    }

    /// The key's seed, for the registry's own key type (the same key signs registry entries).
    pub fn seed(&self) -> [u8; 32] {
        self.seed
    }

    /// The DID document (W3C DID Core, Multikey).
    pub fn did_document(&self) -> Value {
        let method = self.signer.method();
        json!({
            "@context": ["https://www.w3.org/ns/did/v1", "https://w3id.org/security/multikey/v1"],
            "id": self.did,
            "verificationMethod": [{
                "id": method,
                "type": "Multikey",
                "controller": self.did,
                "publicKeyMultibase": self.signer.public().to_multikey(),
            }],
            "assertionMethod": [method],
            "authentication": [method],
        })
    }
}

/// Creates the issuer key file (never replacing one).
pub fn create_key(config: &Config) -> anyhow::Result<()> {
    let path = config.issuer_key_path();
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
        std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700))?;
    }
    let key = SecretKey::generate()?;
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(&path)
        .with_context(|| {
            format!(
                "cannot create {} (does a key exist already?)",
                path.display()
            )
        })?;
    file.write_all(format!("{}\n", key.to_multibase()).as_bytes())?;
    file.sync_all()?;
    Ok(())
}
