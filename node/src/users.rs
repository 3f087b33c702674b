//! People and machines that use the node: local accounts with argon2id passwords, browser
//! sessions, bearer tokens, and the roles that decide what each may do.
//!
//! Secrets are never stored: passwords as argon2id PHC strings, session and API tokens as their
//! SHA-256 (a leaked database gives no working token). Disabling a user ends its sessions and
//! tokens at once, because every lookup checks the account.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use anyhow::Context;
use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, Utc};
use contracts::Actor;
use serde::{Deserialize, Serialize};
use sha2::{Digest as _, Sha256};

/// Accounts: key = username, value = [`User`] JSON.
pub const CF_USERS: &str = "node_users";
/// Sessions and API tokens: key = `s` or `t` + SHA-256 of the secret, value = [`Credential`].
pub const CF_CREDENTIALS: &str = "node_credentials";

/// How long a browser session lasts without a new login.
pub const SESSION_TTL: Duration = Duration::from_secs(8 * 3600);
/// Shortest password accepted.
pub const MIN_PASSWORD: usize = 12;

/// What a user does; decides every permission.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    Serialize,
    Deserialize,
    clap::ValueEnum,
    utoipa::ToSchema,
)]
#[serde(rename_all = "kebab-case")]
pub enum Role {
    /// A trader: drafts and submits applications, receives permits.
    Applicant,
    /// Management Authority officer: checks, approves, issues, cancels.
    MaOfficer,
    /// Scientific Authority officer: non-detriment findings.
    SaOfficer,
    /// Customs officer: checks permits at the border, records export endorsements.
    CustomsOfficer,
    /// Reads everything, changes nothing; exports the audit trail.
    Auditor,
    /// Manages accounts.
    Admin,
}

impl Role {
    /// Every role.
    pub const ALL: [Role; 6] = [
        Role::Applicant,
        Role::MaOfficer,
        Role::SaOfficer,
        Role::CustomsOfficer,
        Role::Auditor,
        Role::Admin,
    ];

    /// The role's name in JSON, the CLI and messages.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Applicant => "applicant",
            Role::MaOfficer => "ma-officer",
            Role::SaOfficer => "sa-officer",
            Role::CustomsOfficer => "customs-officer",
            Role::Auditor => "auditor",
            Role::Admin => "admin",
        }
    }

    /// The part it plays in the application workflow.
    pub fn actor(self) -> Option<Actor> {
        match self {
            Role::Applicant => Some(Actor::Applicant),
            Role::MaOfficer => Some(Actor::ManagementAuthority),
            Role::SaOfficer => Some(Actor::ScientificAuthority),
            _ => None,
        }
    }

    /// The role an official of this kind has in the registry (applicants are not officials).
    pub fn official(self) -> Option<did_registry::entry::OfficialRole> {
        use did_registry::entry::OfficialRole as O;
        Some(match self {
            Role::Applicant => return None,
            Role::MaOfficer => O::MaOfficer,
            Role::SaOfficer => O::SaOfficer,
            Role::CustomsOfficer => O::CustomsOfficer,
            Role::Auditor => O::Auditor,
            Role::Admin => O::Admin,
        })
    }
}

impl std::fmt::Display for Role {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An account.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct User {
    /// Login name.
    pub username: String,
    /// Full name, for people reading the audit trail.
    pub name: String,
    /// What the user does.
    pub role: Role,
    /// Pseudonymous id that goes on permits (box 13/14) and in registry entries, so the shared
    /// log never carries a name.
    pub official_id: String,
    /// A disabled user cannot log in, and its sessions and tokens stop working.
    pub disabled: bool,
    /// When the account was made.
    pub created: DateTime<Utc>,
    /// Where notifications go.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    /// The portal's language for this user, once chosen.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub language: Option<crate::portal::Lang>,
    /// argon2id PHC string.
    #[serde(rename = "password_hash")]
    password: String,
}

/// What the public sees of a user (never the hash).
#[derive(Debug, Clone, Serialize)]
pub struct UserView<'a> {
    /// Login name.
    pub username: &'a str,
    /// Full name.
    pub name: &'a str,
    /// Role.
    pub role: Role,
    /// Pseudonymous id.
    pub official_id: &'a str,
    /// Disabled?
    pub disabled: bool,
    /// Created.
    pub created: DateTime<Utc>,
    /// E-mail for notifications.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub email: Option<&'a str>,
}

impl User {
    /// The public view.
    pub fn view(&self) -> UserView<'_> {
        UserView {
            username: &self.username,
            name: &self.name,
            role: self.role,
            official_id: &self.official_id,
            disabled: self.disabled,
            created: self.created,
            email: self.email.as_deref(),
        }
    }
}

/// A session or API token as stored.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Credential {
    /// Whose.
    pub username: String,
    /// A label for tokens ("customs gateway"); `session` for sessions.
    pub label: String,
    /// When it stops working (sessions only).
    pub expires: Option<DateTime<Utc>>,
    /// When it was made.
    #[serde(default)]
    pub created: Option<DateTime<Utc>>,
}

/// An API token as its owner sees it (never the secret).
#[derive(Debug, Clone, Serialize)]
pub struct TokenView {
    /// Its id: the first 16 hex digits of the secret's SHA-256.
    pub id: String,
    /// Whose.
    pub username: String,
    /// Its label.
    pub label: String,
    /// When it was made.
    pub created: Option<DateTime<Utc>>,
}

/// Why a user could not be made or changed. Nothing was written.
#[derive(Debug, thiserror::Error)]
pub enum UserError {
    /// Username taken.
    #[error("user {0:?} exists already")]
    Exists(String),
    /// No such user.
    #[error("no user {0:?}")]
    Unknown(String),
    /// Bad username.
    #[error(
        "username {0:?}: use 2 to 64 characters among lower-case letters, digits, '.', '_' and '-'"
    )]
    BadUsername(String),
    /// Weak password.
    #[error("the password must have at least {MIN_PASSWORD} characters")]
    WeakPassword,
    /// Empty name.
    #[error("name must not be empty")]
    EmptyName,
    /// Not an e-mail address.
    #[error("email {0:?} is not an e-mail address")]
    BadEmail(String),
    /// Storage failed.
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

/// Whether `u` can be a username (2-64 of `a-z0-9._-`).
pub fn valid_username(u: &str) -> bool {
    (2..=64).contains(&u.len())
        && u.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"._-".contains(&b))
}

fn random_token(bytes: usize) -> anyhow::Result<String> {
    let mut buf = vec![0u8; bytes];
    getrandom::getrandom(&mut buf).map_err(|e| anyhow::anyhow!("no randomness: {e}"))?;
    Ok(URL_SAFE_NO_PAD.encode(buf))
}

fn credential_key(kind: u8, secret: &str) -> Vec<u8> {
    let mut k = vec![kind];
    k.extend_from_slice(&Sha256::digest(secret.as_bytes()));
    k
}

/// A new random password (for accounts made without one: printed once).
pub fn generate_password() -> anyhow::Result<String> {
    random_token(15)
}

/// The account store.
#[derive(Clone)]
pub struct Users {
    store: ledger::Store,
}

impl Users {
    /// Over the node's database.
    pub fn new(store: ledger::Store) -> Users {
        Users { store }
    }

    fn cf(&self, name: &str) -> anyhow::Result<&rocksdb::ColumnFamily> {
        self.store
            .db()
            .cf_handle(name)
            .with_context(|| format!("missing column family {name}"))
    }

    /// A new account, not yet written: the caller writes it with [`Users::put`] in the batch
    /// that also records the change.
    pub fn prepare(
        &self,
        username: &str,
        name: &str,
        role: Role,
        password: &str,
    ) -> Result<User, UserError> {
        if !valid_username(username) {
            return Err(UserError::BadUsername(username.to_owned()));
        }
        if name.trim().is_empty() {
            return Err(UserError::EmptyName);
        }
        if password.chars().count() < MIN_PASSWORD {
            return Err(UserError::WeakPassword);
        }
        if self.get(username)?.is_some() {
            return Err(UserError::Exists(username.to_owned()));
        }
        let salt = SaltString::generate(&mut argon2::password_hash::rand_core::OsRng);
        let hash = Argon2::default()
            .hash_password(password.as_bytes(), &salt)
            .map_err(|e| anyhow::anyhow!("cannot hash the password: {e}"))?
            .to_string();
        Ok(User {
            username: username.to_owned(),
            name: name.trim().to_owned(),
            role,
            official_id: format!("off-{}", &random_token(6)?.to_lowercase()),
            disabled: false,
            created: Utc::now(),
            email: None,
            language: None,
            password: hash,
        })
    }

    /// The write that stores `user`.
    pub fn put(user: &User) -> anyhow::Result<ledger::SideWrite> {
        Ok(ledger::SideWrite {
            cf: CF_USERS.into(),
            key: user.username.as_bytes().to_vec(),
            value: serde_json::to_vec(user)?,
        })
    }

    /// An account.
    pub fn get(&self, username: &str) -> anyhow::Result<Option<User>> {
        match self
            .store
            .db()
            .get_cf(self.cf(CF_USERS)?, username.as_bytes())?
        {
            Some(b) => Ok(Some(
                serde_json::from_slice(&b).context("corrupt user record")?,
            )),
            None => Ok(None),
        }
    }

    /// Every account, by username.
    pub fn list(&self) -> anyhow::Result<Vec<User>> {
        let cf = self.cf(CF_USERS)?;
        let mut out = Vec::new();
        for item in self
            .store
            .db()
            .iterator_cf(cf, rocksdb::IteratorMode::Start)
        {
            let (_, v) = item?;
            out.push(serde_json::from_slice(&v).context("corrupt user record")?);
        }
        Ok(out)
    }

    /// The account behind a username and password, if the password is right and the account
    /// enabled. Runs argon2: call it off the async runtime.
    pub fn check_password(&self, username: &str, password: &str) -> anyhow::Result<Option<User>> {
        let Some(user) = self.get(username)? else {
            // Same work as for a real account, so timing does not tell which usernames exist.
            let _ = Argon2::default().verify_password(
                password.as_bytes(),
                &PasswordHash::new(DUMMY_HASH).map_err(|e| anyhow::anyhow!("{e}"))?,
            );
            return Ok(None);
        };
        let hash = PasswordHash::new(&user.password)
            .map_err(|e| anyhow::anyhow!("corrupt password hash of {username}: {e}"))?;
        let ok = Argon2::default()
            .verify_password(password.as_bytes(), &hash)
            .is_ok();
        Ok((ok && !user.disabled).then_some(user))
    }

    /// A new session for `user`: the secret for the cookie, and the write that stores it.
    pub fn new_session(user: &User) -> anyhow::Result<(String, ledger::SideWrite)> {
        let secret = random_token(32)?;
        let cred = Credential {
            username: user.username.clone(),
            label: "session".into(),
            expires: Some(Utc::now() + SESSION_TTL),
            created: Some(Utc::now()),
        };
        Ok((
            secret.clone(),
            ledger::SideWrite {
                cf: CF_CREDENTIALS.into(),
                key: credential_key(b's', &secret),
                value: serde_json::to_vec(&cred)?,
            },
        ))
    }

    /// A new API token for `user`: the secret (shown once) and the write that stores it.
    pub fn new_token(user: &User, label: &str) -> anyhow::Result<(String, ledger::SideWrite)> {
        let secret = format!("cites_{}", random_token(32)?);
        let cred = Credential {
            username: user.username.clone(),
            label: label.to_owned(),
            expires: None,
            created: Some(Utc::now()),
        };
        Ok((
            secret.clone(),
            ledger::SideWrite {
                cf: CF_CREDENTIALS.into(),
                key: credential_key(b't', &secret),
                value: serde_json::to_vec(&cred)?,
            },
        ))
    }

    /// Ends a session.
    pub fn end_session(&self, secret: &str) -> anyhow::Result<()> {
        let mut opts = rocksdb::WriteOptions::default();
        opts.set_sync(true);
        self.store.db().delete_cf_opt(
            self.cf(CF_CREDENTIALS)?,
            credential_key(b's', secret),
            &opts,
        )?;
        Ok(())
    }

    /// The API tokens of `username` (every user's for `None`).
    pub fn tokens(&self, username: Option<&str>) -> anyhow::Result<Vec<TokenView>> {
        let mut out = Vec::new();
        let it = self
            .store
            .db()
            .prefix_iterator_cf(self.cf(CF_CREDENTIALS)?, b"t");
        for item in it {
            let (k, v) = item?;
            if k.first() != Some(&b't') {
                break;
            }
            let cred: Credential = serde_json::from_slice(&v).context("corrupt credential")?;
            if username.is_none_or(|u| u == cred.username) {
                out.push(TokenView {
                    id: hex::encode(&k[1..9.min(k.len())]),
                    username: cred.username,
                    label: cred.label,
                    created: cred.created,
                });
            }
        }
        Ok(out)
    }

    /// The write-ready key of the token with `id` (from [`Users::tokens`]).
    pub fn token_key(&self, id: &str) -> anyhow::Result<Option<(Vec<u8>, Credential)>> {
        let Ok(prefix) = hex::decode(id) else {
            return Ok(None);
        };
        if prefix.len() != 8 {
            return Ok(None);
        }
        let mut start = vec![b't'];
        start.extend_from_slice(&prefix);
        let mut it = self
            .store
            .db()
            .prefix_iterator_cf(self.cf(CF_CREDENTIALS)?, &start);
        match it.next().transpose()? {
            Some((k, v)) if k.starts_with(&start) => {
                let cred = serde_json::from_slice(&v).context("corrupt credential")?;
                Ok(Some((k.to_vec(), cred)))
            }
            _ => Ok(None),
        }
    }

    /// The batch that deletes a credential by its stored key.
    pub fn revoke(&self, key: &[u8]) -> anyhow::Result<rocksdb::WriteBatch> {
        let mut batch = rocksdb::WriteBatch::default();
        batch.delete_cf(self.cf(CF_CREDENTIALS)?, key);
        Ok(batch)
    }

    /// Deletes the sessions that have expired (called on login: sessions are few).
    pub fn purge_expired_sessions(&self) -> anyhow::Result<u64> {
        let now = Utc::now();
        let mut batch = rocksdb::WriteBatch::default();
        let mut n = 0;
        let cf = self.cf(CF_CREDENTIALS)?;
        for item in self.store.db().prefix_iterator_cf(cf, b"s") {
            let (k, v) = item?;
            if k.first() != Some(&b's') {
                break;
            }
            let cred: Credential = serde_json::from_slice(&v).context("corrupt credential")?;
            if cred.expires.is_some_and(|e| e < now) {
                batch.delete_cf(cf, k);
                n += 1;
            }
        }
        self.store.db().write(batch)?;
        Ok(n)
    }

    /// The enabled account behind a session cookie (`session`) or bearer token.
    pub fn by_secret(&self, secret: &str, session: bool) -> anyhow::Result<Option<User>> {
        let key = credential_key(if session { b's' } else { b't' }, secret);
        let Some(bytes) = self.store.db().get_cf(self.cf(CF_CREDENTIALS)?, key)? else {
            return Ok(None);
        };
        let cred: Credential = serde_json::from_slice(&bytes).context("corrupt credential")?;
        if cred.expires.is_some_and(|e| e < Utc::now()) {
            return Ok(None);
        }
        Ok(self.get(&cred.username)?.filter(|u| !u.disabled))
    }
}

/// An argon2id hash of a random password, verified against when the username is unknown.
const DUMMY_HASH: &str = "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$2WGpBwOjSOaV7HlF1Ob2k7Hz0ZP4UfAQbCeSxiEyAAk";

/// Failed logins per username; after [`Throttle::MAX_FAILURES`] within the window, further
/// attempts are refused until it passes, whatever the password.
#[derive(Default)]
pub struct Throttle(Mutex<HashMap<String, (u32, Instant)>>);

impl Throttle {
    /// Failures allowed in a window.
    pub const MAX_FAILURES: u32 = 5;
    /// The window.
    pub const WINDOW: Duration = Duration::from_secs(15 * 60);

    /// Counts an attempt before the password is checked (so parallel guesses count too), or
    /// refuses it with the time left when `username` is locked out.
    pub fn attempt(&self, username: &str) -> Result<(), Duration> {
        let Ok(mut map) = self.0.lock() else {
            return Err(Self::WINDOW);
        };
        let now = Instant::now();
        map.retain(|_, (_, since)| now.duration_since(*since) < Self::WINDOW);
        let (tries, since) = map.entry(username.to_owned()).or_insert((0, now));
        if *tries >= Self::MAX_FAILURES {
            return Err(Self::WINDOW.saturating_sub(now.duration_since(*since)));
        }
        *tries += 1;
        Ok(())
    }

    /// Clears the count after a successful login (the attempt did not fail).
    pub fn succeeded(&self, username: &str) {
        if let Ok(mut map) = self.0.lock() {
            map.remove(username);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_dummy_hash_parses() {
        assert!(PasswordHash::new(DUMMY_HASH).is_ok());
    }

    #[test]
    fn usernames() {
        assert!(valid_username("ma.officer-1"));
        assert!(!valid_username("A"));
        assert!(!valid_username("has space"));
        assert!(!valid_username("Upper"));
    }

    #[test]
    fn throttle_locks_after_five_failures() {
        let t = Throttle::default();
        for _ in 0..5 {
            assert!(t.attempt("u").is_ok());
        }
        assert!(t.attempt("u").is_err());
        assert!(t.attempt("other").is_ok());
        t.succeeded("u");
        assert!(t.attempt("u").is_ok());
    }
}
