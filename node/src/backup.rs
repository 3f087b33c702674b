//! Backups: a consistent RocksDB checkpoint of the node's one database (hard links where the
//! file system allows, taken while the node runs), the key files, and a manifest with their
//! digests; and the restore that puts them back on a stopped node.
//!
//! What a restore cannot bring back is the log's growth after the backup: entries appended
//! since are gone from this node, though its peers' replicas and witnesses still hold the
//! larger checkpoints. `restore` reports the size it restored so the operator can compare it
//! with what the network last saw (`/checkpoint` of any peer's replica view).

use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use sha2::{Digest as _, Sha256};

use crate::config::Config;

/// What a backup directory holds, in `MANIFEST.json`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Manifest {
    /// When it was taken.
    pub created: DateTime<Utc>,
    /// The node's name.
    pub node: String,
    /// Its log origin (a restore refuses another node's backup).
    pub log_origin: String,
    /// Entries in the log when the backup was taken.
    pub log_size: u64,
    /// Size of the latest checkpoint in it.
    pub checkpoint_size: u64,
    /// The database's schema version.
    pub schema_version: u32,
    /// SHA-256 of each key file, by name.
    pub keys: std::collections::BTreeMap<String, String>,
}

fn sha256_file(path: &Path) -> anyhow::Result<String> {
    let bytes = std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))?;
    Ok(hex::encode(Sha256::digest(&bytes)))
}

fn copy_secret(from: &Path, to: &Path) -> anyhow::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    std::fs::copy(from, to)
        .with_context(|| format!("cannot copy {} to {}", from.display(), to.display()))?;
    std::fs::set_permissions(to, std::fs::Permissions::from_mode(0o600))?;
    Ok(())
}

fn key_files(dir: &Path) -> anyhow::Result<Vec<PathBuf>> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).with_context(|| format!("cannot read {}", dir.display()))? {
        let path = entry?.path();
        if path.is_file() {
            out.push(path);
        }
    }
    out.sort();
    Ok(out)
}

/// The default place of a new backup: `DATA_DIR/backups/YYYYMMDDTHHMMSSZ`.
pub fn default_dir(config: &Config) -> PathBuf {
    config
        .data_dir
        .join("backups")
        .join(Utc::now().format("%Y%m%dT%H%M%SZ").to_string())
}

/// Takes a backup of the open `store` into `out` (which must not exist).
pub fn create(store: &ledger::Store, config: &Config, out: &Path) -> anyhow::Result<Manifest> {
    if out.exists() {
        bail!("{} exists already; name a new directory", out.display());
    }
    std::fs::create_dir_all(out).with_context(|| format!("cannot create {}", out.display()))?;
    {
        // It holds the keys and personal data: the node's user only.
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(out, std::fs::Permissions::from_mode(0o700))?;
    }
    // The checkpoint first: sizes read after it can only be larger, so the manifest never
    // claims more than the backup holds.
    rocksdb::checkpoint::Checkpoint::new(store.db())
        .and_then(|c| c.create_checkpoint(out.join("db")))
        .with_context(|| format!("cannot write a database checkpoint to {}", out.display()))?;
    let backed_up = crate::store::open(&out.join("db"))?;
    let backed_reader = ledger::LogReader::new(backed_up, &config.log_origin);
    let log_size = backed_reader.size()?;
    let checkpoint_size = backed_reader
        .latest_checkpoint()?
        .map(|c| c.size())
        .unwrap_or(0);
    drop(backed_reader);
    let keys_out = out.join("keys");
    std::fs::create_dir_all(&keys_out)?;
    let mut keys = std::collections::BTreeMap::new();
    for file in key_files(&config.data_dir.join("keys"))? {
        let name = file
            .file_name()
            .and_then(|n| n.to_str())
            .context("a key file name is not UTF-8")?
            .to_owned();
        copy_secret(&file, &keys_out.join(&name))?;
        keys.insert(name, sha256_file(&file)?);
    }
    let manifest = Manifest {
        created: Utc::now(),
        node: config.name.clone(),
        log_origin: config.log_origin.clone(),
        log_size,
        checkpoint_size,
        schema_version: crate::store::SCHEMA_VERSION,
        keys,
    };
    std::fs::write(
        out.join("MANIFEST.json"),
        serde_json::to_vec_pretty(&manifest)?,
    )?;
    tracing::info!(dir = %out.display(), log_size, "backup written");
    Ok(manifest)
}

/// Moves a directory (renaming, or copying then deleting across file systems).
pub fn move_dir(from: &Path, to: &Path) -> anyhow::Result<()> {
    if std::fs::rename(from, to).is_ok() {
        return Ok(());
    }
    copy_dir(from, to)?;
    std::fs::remove_dir_all(from).with_context(|| format!("cannot remove {}", from.display()))
}

fn copy_dir(from: &Path, to: &Path) -> anyhow::Result<()> {
    std::fs::create_dir_all(to)?;
    for entry in std::fs::read_dir(from)? {
        let entry = entry?;
        let target = to.join(entry.file_name());
        if entry.file_type()?.is_dir() {
            copy_dir(&entry.path(), &target)?;
        } else {
            std::fs::copy(entry.path(), &target).with_context(|| {
                format!(
                    "cannot copy {} to {}",
                    entry.path().display(),
                    target.display()
                )
            })?;
        }
    }
    Ok(())
}

/// What a restore did.
#[derive(Debug)]
pub struct Restored {
    /// The backup's manifest.
    pub manifest: Manifest,
    /// Where the database it replaced was moved (never deleted).
    pub previous: Option<PathBuf>,
}

/// Restores the backup in `from` into the (stopped) node of `config`. Refuses a backup of
/// another log, key files that differ from the node's, a backup whose files do not match its
/// manifest, and a running node. The current database is moved aside, not deleted.
pub fn restore(config: &Config, from: &Path) -> anyhow::Result<Restored> {
    let manifest: Manifest = serde_json::from_slice(
        &std::fs::read(from.join("MANIFEST.json"))
            .with_context(|| format!("{} is not a backup (no MANIFEST.json)", from.display()))?,
    )
    .context("MANIFEST.json is not a backup manifest")?;
    if manifest.log_origin != config.log_origin {
        bail!(
            "the backup is of log {:?}, this node's is {:?}",
            manifest.log_origin,
            config.log_origin
        );
    }
    if manifest.schema_version > crate::store::SCHEMA_VERSION {
        bail!(
            "the backup has schema version {}, newer than this cites-node's {}",
            manifest.schema_version,
            crate::store::SCHEMA_VERSION
        );
    }
    let keys_dir = config.data_dir.join("keys");
    for (name, digest) in &manifest.keys {
        let backed = from.join("keys").join(name);
        if sha256_file(&backed)? != *digest {
            bail!(
                "{} does not match the manifest: the backup is damaged",
                backed.display()
            );
        }
        let current = keys_dir.join(name);
        if current.exists() && sha256_file(&current)? != *digest {
            bail!(
                "{} differs from the backup's: this backup is of another installation (restore into an empty data directory)",
                current.display()
            );
        }
    }
    let db_dir = config.db_dir();
    let previous = if db_dir.exists() {
        // Opening it proves the node is stopped (RocksDB holds a lock while it runs).
        match crate::store::open(&db_dir) {
            Ok(store) => drop(store),
            Err(e) if crate::store::is_locked(&e) => {
                bail!("the node is running (its database is locked); stop it first")
            }
            Err(_) => {} // A damaged database is what restores are for.
        }
        let aside = config.data_dir.join(format!(
            "db.before-restore-{}",
            Utc::now().format("%Y%m%dT%H%M%SZ")
        ));
        std::fs::rename(&db_dir, &aside)
            .with_context(|| format!("cannot move {} aside", db_dir.display()))?;
        Some(aside)
    } else {
        None
    };
    copy_dir(&from.join("db"), &db_dir)?;
    std::fs::create_dir_all(&keys_dir)?;
    for name in manifest.keys.keys() {
        let current = keys_dir.join(name);
        if !current.exists() {
            copy_secret(&from.join("keys").join(name), &current)?;
        }
    }
    // The restored log must open: its tree agrees with its stored checkpoints.
    let store = crate::store::open(&db_dir)?;
    ledger::Log::open(store, &config.log_origin)
        .with_context(|| format!("the restored log {} does not open", config.log_origin))?;
    Ok(Restored { manifest, previous })
}

#[derive(Deserialize, Default, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct BackupRequest {
    /// The backup's name under `DATA_DIR/backups` (letters, digits, '.', '_', '-'); default:
    /// the time.
    #[serde(default)]
    name: Option<String>,
}

/// `DATA_DIR/backups/NAME`, for a name that is one plain path component.
pub fn named_dir(config: &Config, name: &str) -> Option<PathBuf> {
    let plain = !name.is_empty()
        && name.len() <= 100
        && !name.starts_with('.')
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"._-".contains(&b));
    plain.then(|| config.data_dir.join("backups").join(name))
}

/// `POST /admin/backup` (admin): takes a backup while the node runs.
#[utoipa::path(post, path = "/admin/backup", tag = "node", request_body(content = BackupRequest, description = "optional: the backup's name"), responses((status = 400, description = "invalid request", body = crate::http::Problem), (status = 401, description = "not logged in", body = crate::http::Problem), (status = 403, description = "role not allowed", body = crate::http::Problem), (status = 201, description = "the backup's directory and manifest"), (status = 409, description = "the directory exists", body = crate::http::Problem)))]
pub async fn http_backup(
    axum::extract::State(s): axum::extract::State<std::sync::Arc<crate::http::AppState>>,
    caller: crate::auth::Caller,
    info: crate::audit::RequestInfo,
    body: axum::body::Bytes,
) -> axum::response::Response {
    use axum::response::IntoResponse;
    if let Err(r) = caller.require(&[crate::users::Role::Admin]) {
        return r;
    }
    let req: BackupRequest = match crate::http::parse_json_or_default(&body) {
        Ok(r) => r,
        Err(r) => return r,
    };
    let dir = match req.name.as_deref().map(|n| named_dir(&s.config, n)) {
        None => default_dir(&s.config),
        Some(Some(d)) => d,
        Some(None) => {
            return crate::http::problem(
                axum::http::StatusCode::BAD_REQUEST,
                "invalid request",
                "name: one path component of letters, digits, '.', '_' and '-'",
            );
        }
    };
    let state = s.clone();
    let target = dir.clone();
    let result = tokio::task::spawn_blocking(move || {
        let manifest = create(state.anchor.store(), &state.config, &target)?;
        let where_ = target.display().to_string();
        state.journal.commit(
            state.anchor.store(),
            Vec::new(),
            crate::audit::Change::new(&caller.who(), &info, "node.backup", &where_),
        )?;
        Ok::<_, anyhow::Error>(manifest)
    })
    .await;
    match result {
        Ok(Ok(manifest)) => (
            axum::http::StatusCode::CREATED,
            axum::Json(serde_json::json!({ "dir": dir, "manifest": manifest })),
        )
            .into_response(),
        Ok(Err(e)) if e.to_string().contains("exists already") => crate::http::problem(
            axum::http::StatusCode::CONFLICT,
            "backup exists",
            e.to_string(),
        ),
        Ok(Err(e)) => crate::http::internal(e),
        Err(e) => crate::http::internal(e.into()),
    }
}
