//! The node's secrets on disk (log key, witness key, API token; the issuer key is in
//! `issuer.rs`): created once, readable only by the node's user, refused otherwise.

use std::io::Write;
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::Path;

use anyhow::{Context, bail};
use ledger::note::NoteSigner;

use crate::config::Config;

/// Reads a secret file, refusing one that other users can read. `what` names it in errors.
pub fn read_secret(path: &Path, what: &str) -> anyhow::Result<String> {
    let meta = std::fs::metadata(path).with_context(|| {
        format!(
            "no {what} at {}; run `cites-node init` first",
            path.display()
        )
    })?;
    let mode = meta.permissions().mode();
    if mode & 0o077 != 0 {
        bail!(
            "{} is readable by other users (mode {:o}); run `chmod 600 {}`",
            path.display(),
            mode & 0o777,
            path.display()
        );
    }
    let text =
        std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
    Ok(text.trim().to_owned())
}

/// Creates the log key (refusing to replace one) and returns the verifier key string to
/// publish.
pub fn create_log_key(config: &Config) -> anyhow::Result<String> {
    let path = config.log_key_path();
    let signer = NoteSigner::generate(&config.log_origin)
        .with_context(|| format!("cannot create a key named {:?}", config.log_origin))?;
    write_secret(&path, signer.to_key_string().as_bytes())?;
    Ok(signer.verifier().to_key_string())
}

/// Loads the log key, creating it on first use when `create` is set (the `dev` network).
pub fn load_log_key(config: &Config, create: bool) -> anyhow::Result<NoteSigner> {
    let path = config.log_key_path();
    if create && !path.exists() {
        create_log_key(config)?;
    }
    let text = read_secret(&path, "log key")?;
    let signer = NoteSigner::from_key_string(&text)
        .with_context(|| format!("{} does not hold a log signing key", path.display()))?;
    if signer.name() != config.log_origin {
        bail!(
            "the key in {} is for log {:?}, but the config says {:?}",
            path.display(),
            signer.name(),
            config.log_origin
        );
    }
    Ok(signer)
}

/// Creates the node's witness (cosignature) key and returns its verifier key string, which a
/// genesis lists when this node witnesses others' checkpoints.
pub fn create_witness_key(config: &Config) -> anyhow::Result<String> {
    let signer = ledger::CosignatureSigner::generate(&config.log_origin)
        .with_context(|| format!("cannot create a witness key named {:?}", config.log_origin))?;
    write_secret(
        &config.witness_key_path(),
        signer.to_key_string().as_bytes(),
    )?;
    Ok(signer.verifier().to_key_string())
}

/// The witness verifier key of this node, creating the key first when `create`.
pub fn witness_verifier(config: &Config, create: bool) -> anyhow::Result<String> {
    let path = config.witness_key_path();
    if create && !path.exists() {
        return create_witness_key(config);
    }
    let text = read_secret(&path, "witness key")?;
    let signer = ledger::CosignatureSigner::from_key_string(&text)
        .with_context(|| format!("{} does not hold a witness key", path.display()))?;
    Ok(signer.verifier().to_key_string())
}

/// The bearer token machine clients present to issue (created on first use when `create`).
pub fn load_api_token(config: &Config, create: bool) -> anyhow::Result<String> {
    let path = config.api_token_path();
    if create && !path.exists() {
        create_api_token(config)?;
    }
    let token = read_secret(&path, "API token")?;
    if token.len() < 32 {
        bail!(
            "the API token in {} is too short (at least 32 characters)",
            path.display()
        );
    }
    Ok(token)
}

/// Creates a random API token file and returns the token.
pub fn create_api_token(config: &Config) -> anyhow::Result<String> {
    let mut bytes = [0u8; 32];
    getrandom::getrandom(&mut bytes).map_err(|e| anyhow::anyhow!("no randomness: {e}"))?;
    let token: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    write_secret(&config.api_token_path(), token.as_bytes())?;
    Ok(token)
}

/// Writes a new secret file, readable only by the node's user.
pub fn write_secret(path: &Path, bytes: &[u8]) -> anyhow::Result<()> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
        std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700))?;
    }
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
        .with_context(|| {
            format!(
                "cannot create {} (does a key exist already?)",
                path.display()
            )
        })?;
    file.write_all(bytes)?;
    file.sync_all()?;
    Ok(())
}
