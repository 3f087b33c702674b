//! The exporter's wallet: the holder key behind a did:key, and presentations of permit
//! credentials bound to a verifier's challenge and domain.
//!
//! The key file holds the `privateKeyMultibase` form of an Ed25519 key and is created readable by
//! its owner only; the encrypted wallet store and OpenID4VCI receiving build on this.

use std::io::Write;
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::Path;

use anyhow::{Context, bail};
use credentials::keys::SecretKey;
use credentials::{Mechanism, Secured, Signer, presentation};

/// Creates a new holder key file (refusing to overwrite one) and returns the holder's DID.
pub fn create_key(path: &Path) -> anyhow::Result<String> {
    let key = SecretKey::generate()?;
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
        .with_context(|| format!("cannot create {} (does it exist already?)", path.display()))?;
    file.write_all(format!("{}\n", key.to_multibase()).as_bytes())?;
    file.sync_all()?;
    Ok(key.public().did_key())
}

/// Loads a holder key file; refuses one that other users can read.
pub fn load_key(path: &Path) -> anyhow::Result<SecretKey> {
    let meta =
        std::fs::metadata(path).with_context(|| format!("no key file at {}", path.display()))?;
    if meta.permissions().mode() & 0o077 != 0 {
        bail!(
            "{} is readable by other users; run `chmod 600 {}`",
            path.display(),
            path.display()
        );
    }
    let text =
        std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
    SecretKey::from_multibase(text.trim())
        .with_context(|| format!("{} does not hold a holder key", path.display()))
}

/// A presentation of `credentials` answering `challenge` for `domain`.
pub fn present(
    key: SecretKey,
    credentials: &[Secured],
    mechanism: Mechanism,
    challenge: &str,
    domain: &str,
    now: chrono::DateTime<chrono::Utc>,
) -> anyhow::Result<Secured> {
    if challenge.trim().is_empty() || domain.trim().is_empty() {
        bail!("a presentation needs the verifier's challenge and domain");
    }
    let signer = Signer::holder(key)?;
    for c in credentials {
        let vc = c.unverified_document()?;
        let subject = vc["credentialSubject"]["id"].as_str().unwrap_or_default();
        if subject != signer.public().did_key() {
            bail!(
                "the credential was issued to {subject}, not to this wallet's holder {}",
                signer.public().did_key()
            );
        }
    }
    let vp = presentation::build(&signer.public().did_key(), credentials);
    let created = now.format("%Y-%m-%dT%H:%M:%SZ").to_string();
    Ok(signer.present(&vp, mechanism, &created, challenge, domain)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_files_are_private_and_not_overwritten() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("holder.key");
        let did = create_key(&path).unwrap();
        assert!(did.starts_with("did:key:z6Mk"));
        assert_eq!(load_key(&path).unwrap().public().did_key(), did);
        assert!(
            create_key(&path).is_err(),
            "an existing key is never replaced"
        );
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
        assert!(
            load_key(&path)
                .unwrap_err()
                .to_string()
                .contains("readable by other users")
        );
    }
}
