//! The wallet on disk: one directory with one file, `wallet.json`, whose contents (the holder
//! key, the credentials and their evidence bundles) are encrypted with XChaCha20-Poly1305 under
//! a key derived from the passphrase with argon2id.
//!
//! The header (format, KDF parameters, salt) is bound to the ciphertext as associated data, so
//! it cannot be altered either. A check value derived from the key tells a wrong passphrase
//! apart from a damaged file. Every save writes a temporary file, syncs it and renames it over
//! the old one, so a crash leaves the old wallet or the new one, never a mix.

use std::io::Write;
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

use argon2::{Algorithm, Argon2, Params, Version};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use chrono::{DateTime, Utc};
use credentials::Secured;
use credentials::keys::SecretKey;
use serde::{Deserialize, Serialize};
use sha2::{Digest as _, Sha256};

/// The file in the wallet directory.
pub const FILE: &str = "wallet.json";
const FORMAT: &str = "cites-wallet/v1";

/// Why the wallet could not be opened or changed. The file on disk is unchanged.
#[derive(Debug, thiserror::Error)]
pub enum WalletError {
    /// No wallet in the directory.
    #[error("no wallet in {0}; create one with `cites-wallet init`")]
    Missing(PathBuf),
    /// A wallet is there already.
    #[error("{0} holds a wallet already")]
    Exists(PathBuf),
    /// The passphrase does not open it.
    #[error("wrong passphrase")]
    WrongPassphrase,
    /// The file is not a wallet, or was altered or damaged.
    #[error("the wallet file {path} is damaged or was altered: {why}")]
    Corrupt {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        why: String,
    },
    /// A passphrase too short to protect the holder key.
    #[error("the passphrase must have at least {MIN_PASSPHRASE} characters")]
    WeakPassphrase,
    /// A credential for another holder.
    #[error("the credential was issued to {subject}, not to this wallet's holder {holder}")]
    OtherHolder {
        /// The credential's subject.
        subject: String,
        /// This wallet's DID.
        holder: String,
    },
    /// No such permit in the wallet.
    #[error("no permit {0} in the wallet (see `cites-wallet list`)")]
    NoPermit(String),
    /// Not a credential.
    #[error("not a permit credential: {0}")]
    NotACredential(String),
    /// Reading or writing failed.
    #[error("{what}: {source}")]
    Io {
        /// What was being done.
        what: String,
        /// The error.
        source: std::io::Error,
    },
}

/// Shortest passphrase accepted.
pub const MIN_PASSPHRASE: usize = 10;

/// A failure that is not a file's: randomness, encoding, encryption.
fn other(what: &str, e: impl std::fmt::Display) -> WalletError {
    WalletError::Io {
        what: what.into(),
        source: std::io::Error::other(e.to_string()),
    }
}

fn io(what: impl Into<String>) -> impl FnOnce(std::io::Error) -> WalletError {
    let what = what.into();
    move |source| WalletError::Io { what, source }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Kdf {
    algorithm: String,
    memory_kib: u32,
    iterations: u32,
    parallelism: u32,
    salt: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Header {
    format: String,
    kdf: Kdf,
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Envelope {
    #[serde(flatten)]
    header: Header,
    check: String,
    nonce: String,
    ciphertext: String,
}

/// A permit credential held, with what came with it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Held {
    /// `PARTY/NUMBER`.
    pub permit: String,
    /// The issuer's DID.
    pub issuer: String,
    /// The credential as issued.
    pub credential: Secured,
    /// Its latest evidence bundle.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub evidence: Option<serde_json::Value>,
    /// The node it came from (where `refresh` asks first).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub node: Option<String>,
    /// When it arrived.
    pub received: DateTime<Utc>,
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Contents {
    /// The holder key, `privateKeyMultibase`.
    holder_key: String,
    credentials: Vec<Held>,
}

/// An open wallet.
pub struct Wallet {
    dir: PathBuf,
    header: Header,
    key: [u8; 32],
    contents: Contents,
}

impl Drop for Wallet {
    fn drop(&mut self) {
        zeroize::Zeroize::zeroize(&mut self.key);
    }
}

impl std::fmt::Debug for Wallet {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Wallet")
            .field("dir", &self.dir)
            .field("credentials", &self.contents.credentials.len())
            .finish_non_exhaustive()
    }
}

fn derive(passphrase: &str, kdf: &Kdf) -> Result<[u8; 32], WalletError> {
    let corrupt = |why: String| WalletError::Corrupt {
        path: PathBuf::from(FILE),
        why,
    };
    if kdf.algorithm != "argon2id" {
        return Err(corrupt(format!(
            "unknown key derivation {:?}",
            kdf.algorithm
        )));
    }
    // The parameters come from the file: bound them, or a crafted file could make the key
    // derivation take all memory or time before the passphrase is even checked.
    if kdf.memory_kib > 1024 * 1024 || kdf.iterations > 16 || kdf.parallelism > 8 {
        return Err(corrupt(format!(
            "key derivation parameters out of bounds (m={} KiB, t={}, p={})",
            kdf.memory_kib, kdf.iterations, kdf.parallelism
        )));
    }
    let salt = B64
        .decode(&kdf.salt)
        .map_err(|e| corrupt(format!("salt: {e}")))?;
    let params = Params::new(kdf.memory_kib, kdf.iterations, kdf.parallelism, Some(32))
        .map_err(|e| corrupt(format!("key derivation parameters: {e}")))?;
    let mut key = [0u8; 32];
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
        .hash_password_into(passphrase.as_bytes(), &salt, &mut key)
        .map_err(|e| corrupt(format!("key derivation: {e}")))?;
    Ok(key)
}

fn check_value(key: &[u8; 32]) -> String {
    let mut h = Sha256::new();
    h.update(b"cites-wallet/v1 passphrase check\n");
    h.update(key);
    hex::encode(h.finalize())
}

impl Wallet {
    /// The wallet file of a directory.
    pub fn path(dir: &Path) -> PathBuf {
        dir.join(FILE)
    }

    /// Creates a wallet with a new holder key in `dir` (made if missing, private to its owner).
    pub fn create(dir: &Path, passphrase: &str) -> Result<Wallet, WalletError> {
        if passphrase.chars().count() < MIN_PASSPHRASE {
            return Err(WalletError::WeakPassphrase);
        }
        let path = Wallet::path(dir);
        if path.exists() {
            return Err(WalletError::Exists(dir.to_owned()));
        }
        if !dir.exists() {
            std::fs::create_dir_all(dir).map_err(io(format!("cannot create {}", dir.display())))?;
            std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700))
                .map_err(io(format!("cannot make {} private", dir.display())))?;
        }
        let mut salt = [0u8; 16];
        getrandom::getrandom(&mut salt).map_err(|e| other("no randomness", e))?;
        let header = Header {
            format: FORMAT.into(),
            kdf: Kdf {
                algorithm: "argon2id".into(),
                memory_kib: Params::DEFAULT_M_COST,
                iterations: Params::DEFAULT_T_COST,
                parallelism: Params::DEFAULT_P_COST,
                salt: B64.encode(salt),
            },
        };
        let key = derive(passphrase, &header.kdf)?;
        let holder = SecretKey::generate().map_err(|e| other("cannot make a key", e))?;
        let wallet = Wallet {
            dir: dir.to_owned(),
            header,
            key,
            contents: Contents {
                holder_key: holder.to_multibase(),
                credentials: Vec::new(),
            },
        };
        wallet.write(false)?;
        Ok(wallet)
    }

    /// Opens the wallet in `dir`.
    pub fn open(dir: &Path, passphrase: &str) -> Result<Wallet, WalletError> {
        let path = Wallet::path(dir);
        let bytes = match std::fs::read(&path) {
            Ok(b) => b,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Err(WalletError::Missing(dir.to_owned()));
            }
            Err(e) => return Err(io(format!("cannot read {}", path.display()))(e)),
        };
        let corrupt = |why: String| WalletError::Corrupt {
            path: path.clone(),
            why,
        };
        let envelope: Envelope = serde_json::from_slice(&bytes)
            .map_err(|e| corrupt(format!("not a wallet file: {e}")))?;
        if envelope.header.format != FORMAT {
            return Err(corrupt(format!(
                "format {:?} (this cites-wallet reads {FORMAT})",
                envelope.header.format
            )));
        }
        let key = derive(passphrase, &envelope.header.kdf)?;
        if check_value(&key) != envelope.check {
            return Err(WalletError::WrongPassphrase);
        }
        let nonce = B64
            .decode(&envelope.nonce)
            .ok()
            .filter(|n| n.len() == 24)
            .ok_or_else(|| corrupt("nonce".into()))?;
        let ciphertext = B64
            .decode(&envelope.ciphertext)
            .map_err(|e| corrupt(format!("ciphertext: {e}")))?;
        let aad = serde_json::to_vec(&envelope.header).map_err(|e| corrupt(e.to_string()))?;
        let plain = XChaCha20Poly1305::new((&key).into())
            .decrypt(
                XNonce::from_slice(&nonce),
                Payload {
                    msg: &ciphertext,
                    aad: &aad,
                },
            )
            .map_err(|_| corrupt("it does not decrypt (altered or truncated)".into()))?;
        let contents: Contents =
            serde_json::from_slice(&plain).map_err(|e| corrupt(format!("contents: {e}")))?;
        Ok(Wallet {
            dir: dir.to_owned(),
            header: envelope.header,
            key,
            contents,
        })
    }

    /// Writes the wallet: a new temporary file, synced, renamed over the old one.
    pub fn save(&self) -> Result<(), WalletError> {
        self.write(true)
    }

    /// Writes the wallet file, replacing the old one only if `replace` (a new wallet never
    /// replaces one that appeared meanwhile).
    fn write(&self, replace: bool) -> Result<(), WalletError> {
        let mut nonce = [0u8; 24];
        getrandom::getrandom(&mut nonce).map_err(|e| other("no randomness", e))?;
        let aad = serde_json::to_vec(&self.header).map_err(|e| other("cannot encode", e))?;
        let plain = serde_json::to_vec(&self.contents).map_err(|e| other("cannot encode", e))?;
        let ciphertext = XChaCha20Poly1305::new((&self.key).into())
            .encrypt(
                XNonce::from_slice(&nonce),
                Payload {
                    msg: &plain,
                    aad: &aad,
                },
            )
            .map_err(|_| other("cannot encrypt", "AEAD failure"))?;
        let envelope = Envelope {
            header: self.header.clone(),
            check: check_value(&self.key),
            nonce: B64.encode(nonce),
            ciphertext: B64.encode(ciphertext),
        };
        let bytes = serde_json::to_vec_pretty(&envelope).map_err(|e| other("cannot encode", e))?;
        let path = Wallet::path(&self.dir);
        let tmp = self.dir.join(format!(".{FILE}.tmp"));
        let _ = std::fs::remove_file(&tmp);
        let mut file = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(&tmp)
            .map_err(io(format!("cannot write {}", tmp.display())))?;
        file.write_all(&bytes)
            .and_then(|()| file.sync_all())
            .map_err(io(format!("cannot write {}", tmp.display())))?;
        if replace {
            std::fs::rename(&tmp, &path)
                .map_err(io(format!("cannot replace {}", path.display())))?;
        } else {
            // A hard link fails if the name exists: no other `init` is overwritten.
            let linked = std::fs::hard_link(&tmp, &path);
            let _ = std::fs::remove_file(&tmp);
            linked.map_err(|e| match e.kind() {
                std::io::ErrorKind::AlreadyExists => WalletError::Exists(self.dir.clone()),
                _ => WalletError::Io {
                    what: format!("cannot create {}", path.display()),
                    source: e,
                },
            })?;
        }
        std::fs::File::open(&self.dir)
            .and_then(|d| d.sync_all())
            .map_err(io(format!("cannot sync {}", self.dir.display())))?;
        Ok(())
    }

    /// The holder's key.
    pub fn holder_key(&self) -> Result<SecretKey, WalletError> {
        SecretKey::from_multibase(&self.contents.holder_key).map_err(|e| WalletError::Corrupt {
            path: Wallet::path(&self.dir),
            why: format!("holder key: {e}"),
        })
    }

    /// The holder's DID.
    pub fn did(&self) -> Result<String, WalletError> {
        Ok(self.holder_key()?.public().did_key())
    }

    /// Every credential held.
    pub fn credentials(&self) -> &[Held] {
        &self.contents.credentials
    }

    /// The credential of a permit (`PARTY/NUMBER`, or the number alone if it is unique).
    pub fn get(&self, permit: &str) -> Result<&Held, WalletError> {
        let all = &self.contents.credentials;
        all.iter()
            .find(|h| h.permit == permit)
            .or_else(|| {
                let mut by_number = all
                    .iter()
                    .filter(|h| h.permit.split_once('/').is_some_and(|(_, n)| n == permit));
                match (by_number.next(), by_number.next()) {
                    (Some(h), None) => Some(h),
                    _ => None,
                }
            })
            .ok_or_else(|| WalletError::NoPermit(permit.to_owned()))
    }

    /// Adds (or replaces, for the same permit) a credential issued to this wallet's holder.
    /// Not saved until [`Wallet::save`].
    pub fn add(
        &mut self,
        credential: Secured,
        evidence: Option<serde_json::Value>,
        node: Option<String>,
    ) -> Result<&Held, WalletError> {
        let doc = credential
            .unverified_document()
            .map_err(|e| WalletError::NotACredential(e.to_string()))?;
        let subject = doc["credentialSubject"]["id"]
            .as_str()
            .unwrap_or_default()
            .to_owned();
        let holder = self.did()?;
        if subject != holder {
            return Err(WalletError::OtherHolder { subject, holder });
        }
        let permit = &doc["credentialSubject"]["permit"];
        let (Some(party), Some(number)) = (
            permit["authority"]["country"].as_str(),
            permit["number"].as_str(),
        ) else {
            return Err(WalletError::NotACredential(
                "no permit (authority.country, number) in credentialSubject".into(),
            ));
        };
        // Without a node given, the issuer's is where its status list is served.
        let node = node.or_else(|| {
            let list = doc["credentialStatus"][0]["statusListCredential"].as_str()?;
            list.rfind("/status/").map(|i| list[..i].to_owned())
        });
        let held = Held {
            permit: format!("{party}/{number}"),
            issuer: doc["issuer"].as_str().unwrap_or_default().to_owned(),
            credential,
            evidence,
            node,
            received: Utc::now(),
        };
        if let Some(old) = self
            .contents
            .credentials
            .iter()
            .find(|h| h.permit == held.permit && h.issuer != held.issuer)
        {
            return Err(WalletError::NotACredential(format!(
                "the wallet holds {} from {}; a credential from {} does not replace it",
                held.permit, old.issuer, held.issuer
            )));
        }
        let all = &mut self.contents.credentials;
        all.retain(|h| h.permit != held.permit);
        all.push(held);
        all.last()
            .ok_or_else(|| WalletError::NoPermit(String::new()))
    }

    /// Replaces the evidence of a permit held. Not saved until [`Wallet::save`].
    pub fn set_evidence(
        &mut self,
        permit: &str,
        evidence: serde_json::Value,
    ) -> Result<(), WalletError> {
        let held = self
            .contents
            .credentials
            .iter_mut()
            .find(|h| h.permit == permit)
            .ok_or_else(|| WalletError::NoPermit(permit.to_owned()))?;
        held.evidence = Some(evidence);
        Ok(())
    }
}
