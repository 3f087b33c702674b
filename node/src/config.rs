//! Node configuration: a TOML file written by `cites-node init`, every field overridable by a
//! `CITES_*` environment variable so a container can run the same file everywhere.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use contracts::Country;
use serde::{Deserialize, Serialize};

/// What the node is in the network.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// The CITES Secretariat: root of the registry, auditor of every log.
    Secretariat,
    /// A Party's Management Authority: issues permits.
    ManagementAuthority,
}

/// Everything a node needs to start.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// Display name, e.g. "Management Authority of Ghana".
    pub name: String,
    /// Role in the network.
    pub role: Role,
    /// The Party (ISO 3166 alpha-2); for the Secretariat, the host country of its node.
    pub party: Country,
    /// The log's origin line, also its note key name: unique in the network, e.g.
    /// `cites.example/gh`.
    pub log_origin: String,
    /// HTTP address.
    pub listen: SocketAddr,
    /// Where RocksDB and keys live. Relative paths are relative to the config file.
    pub data_dir: PathBuf,
    /// Longest wait between checkpoints while entries arrive, in milliseconds.
    #[serde(default = "default_checkpoint_interval")]
    pub checkpoint_interval_ms: u64,
    /// The node's DID (did:web). Default: `did:web:HOST%3APORT` of `listen`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub did: Option<String>,
    /// How credentials are secured when a request does not say: `jose` (VC-JOSE, the UNTP
    /// profile), `eddsa-rdfc-2022` or `eddsa-jcs-2022`.
    #[serde(default = "default_securing")]
    pub securing: credentials::Mechanism,
    /// The network's genesis file, pinned by this node (relative paths are relative to the
    /// config file). Without it the node runs alone: no registry, no DID resolution.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub genesis: Option<PathBuf>,
    /// Base URLs of other nodes whose logs this node replicates over HTTP.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub peers: Vec<String>,
    /// Where the node listens for its libp2p peers (`127.0.0.1:4001`); none: no
    /// peer-to-peer network (replication only from `peers` over HTTP).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub p2p_listen: Option<SocketAddr>,
    /// libp2p multiaddrs to dial besides the genesis's bootstrap and the registry's
    /// endpoints (`/ip4/10.0.0.5/tcp/4001/p2p/12D3KooW...`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub p2p_bootstrap: Vec<String>,
    /// How many peers the node dials at most (the Secretariat and the genesis's witnesses are
    /// dialled beyond it); others reach it through gossip and replicas.
    #[serde(default = "default_max_peers")]
    pub p2p_max_peers: usize,
    /// How many requests to peers (syncs, witness submissions) run at once.
    #[serde(default = "default_sync_slots")]
    pub p2p_sync_slots: usize,
    /// Parties (ISO codes, or `*` for all) whose authorities may read any of this node's
    /// permits over EPIX, besides each permit's Party of import and the Secretariat.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub epix_allow: Vec<String>,
    /// How often the peers are polled, in milliseconds.
    #[serde(default = "default_sync_interval")]
    pub sync_interval_ms: u64,
    /// Box 6: the Management Authority's postal address, printed on every permit.
    #[serde(default)]
    pub address: String,
    /// Box 13: the place of issue.
    #[serde(default)]
    pub place: String,
    /// The fee per document type (`export_permit = { amount = 5000, currency = "GHS" }`, in
    /// the currency's minor unit), invoiced when an application is submitted.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub fees: BTreeMap<String, contracts::application::Money>,
    /// Where notifications go: `[notify]` with `smtp = "relay:25"`, `from = "..."`,
    /// `webhooks = ["https://..."]`.
    #[serde(default, skip_serializing_if = "crate::notify::NotifyConfig::is_empty")]
    pub notify: crate::notify::NotifyConfig,
    /// National export quotas (`[[quotas]]` with `party`, `species`, `year`, `quantity`,
    /// `unit`, optional `terms`, `sources`, `purposes`): box 11a is filled from them and
    /// issuance beyond them is refused.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub quotas: Vec<contracts::Quota>,
    /// HTTPS: `[tls]` with `cert` and `key` (PEM files), or `self_signed = true` for a
    /// development certificate the node makes in its data directory.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tls: Option<TlsConfig>,
    /// Certificate authorities (PEM files) that HTTPS peers' certificates must chain to;
    /// none: the public Web PKI roots.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub trust_ca: Vec<PathBuf>,
    /// Serve plain HTTP on an address other than loopback: only behind a TLS-terminating
    /// proxy on the same host or network segment.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub allow_plain_http: bool,
    /// EPIX over HTTPS for Parties outside the network: `[epix]` with `listen` and `clients`
    /// (each Party's CA of EPIX client certificates). Needs `[tls]`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub epix: Option<EpixConfig>,
    /// Risk flags for customs: `[risk]` with `hs_codes`, `watch_species`, `sources`,
    /// `history_factor` (see `risk.rs`).
    #[serde(default, skip_serializing_if = "crate::risk::RiskConfig::is_default")]
    pub risk: crate::risk::RiskConfig,
    /// What one client can hold of the node: `[limits]`.
    #[serde(default, skip_serializing_if = "Limits::is_default")]
    pub limits: Limits,
    /// How long an OpenID4VCI credential offer can be redeemed, in seconds (default 7 days).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub offer_ttl_s: Option<u64>,
    /// Traders cannot register on the portal themselves; the administrator makes their
    /// accounts (`cites-node user add --role applicant`).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub closed_registration: bool,
}

/// The node's own HTTPS.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TlsConfig {
    /// The certificate chain, leaf first (PEM).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cert: Option<PathBuf>,
    /// Its private key (PEM), readable only by the node's user.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key: Option<PathBuf>,
    /// Make (once) and use a self-signed certificate in `DATA_DIR/tls/`: for development
    /// and tests, where clients are told to trust that file.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub self_signed: bool,
}

/// The EPIX SOAP service over HTTPS with client certificates (EPIX Connect's way of knowing
/// the calling Party: the certificate's subject `C=`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EpixConfig {
    /// Where the service listens (its own port: every client there must show a certificate).
    pub listen: SocketAddr,
    /// Each Party (ISO code) and the PEM file of the CA that issues its EPIX client
    /// certificates: a certificate speaks for the Party of its `C=` only if that Party's CA
    /// issued it, so one Party's CA cannot vouch for another's.
    pub clients: BTreeMap<String, PathBuf>,
}

/// Bounds on what one client can hold, so that a slow, flooding or malformed client cannot
/// take the node down for everyone else.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Limits {
    /// Seconds a client has to send a request's headers (and to finish a TLS handshake).
    pub header_timeout_s: u64,
    /// Seconds a request may take from its headers to the end of its answer (uploads over
    /// a slow link included).
    pub request_timeout_s: u64,
    /// Connections served at once; more wait in the kernel's queue.
    pub max_connections: usize,
    /// Connections one client address may hold at once (0: no limit); one more is closed
    /// before its TLS handshake, so slow clients from one address cannot fill the slots.
    pub max_connections_per_address: usize,
    /// Requests a minute one client address may make (0: no limit), in a burst of up to a
    /// tenth of that.
    pub requests_per_minute: u32,
    /// Count loopback clients too. Off by default: on loopback are the host's own tools and
    /// a TLS-terminating proxy, behind which every client has the proxy's address.
    pub limit_loopback: bool,
}

impl Default for Limits {
    fn default() -> Limits {
        Limits {
            header_timeout_s: 10,
            request_timeout_s: 300,
            max_connections: 1024,
            max_connections_per_address: 64,
            requests_per_minute: 6000,
            limit_loopback: false,
        }
    }
}

impl Limits {
    fn is_default(&self) -> bool {
        *self == Limits::default()
    }

    /// Whether a client at `ip` is held to the per-address limits.
    pub fn counts(&self, ip: std::net::IpAddr) -> bool {
        self.limit_loopback || !ip.to_canonical().is_loopback()
    }
}

fn default_sync_slots() -> usize {
    16
}

fn default_max_peers() -> usize {
    64
}

fn default_sync_interval() -> u64 {
    2000
}

fn default_securing() -> credentials::Mechanism {
    credentials::Mechanism::Jose
}

fn default_checkpoint_interval() -> u64 {
    500
}

impl Config {
    /// A configuration with the defaults for everything but who the node is and where it
    /// listens and keeps its data.
    pub fn new(
        name: impl Into<String>,
        role: Role,
        party: Country,
        log_origin: impl Into<String>,
        listen: SocketAddr,
        data_dir: impl Into<PathBuf>,
    ) -> Config {
        Config {
            name: name.into(),
            role,
            party,
            log_origin: log_origin.into(),
            listen,
            data_dir: data_dir.into(),
            checkpoint_interval_ms: default_checkpoint_interval(),
            did: None,
            securing: default_securing(),
            genesis: None,
            peers: Vec::new(),
            p2p_listen: None,
            p2p_bootstrap: Vec::new(),
            epix_allow: Vec::new(),
            p2p_max_peers: default_max_peers(),
            p2p_sync_slots: default_sync_slots(),
            sync_interval_ms: default_sync_interval(),
            address: String::new(),
            place: String::new(),
            fees: BTreeMap::new(),
            notify: Default::default(),
            quotas: Vec::new(),
            tls: None,
            trust_ca: Vec::new(),
            epix: None,
            risk: Default::default(),
            allow_plain_http: false,
            limits: Limits::default(),
            closed_registration: false,
            offer_ttl_s: None,
        }
    }

    /// Reads a config file, then applies `CITES_*` overrides.
    pub fn load(path: &Path) -> anyhow::Result<Config> {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("cannot read config {}", path.display()))?;
        let mut config: Config =
            toml::from_str(&text).with_context(|| format!("invalid config {}", path.display()))?;
        if let (Some(g), Some(dir)) = (config.genesis.as_ref(), path.parent())
            && g.is_relative()
        {
            config.genesis = Some(dir.join(g));
        }
        if let Some(dir) = path.parent() {
            let relative = |p: &mut PathBuf| {
                if p.is_relative() {
                    *p = dir.join(&*p);
                }
            };
            if let Some(tls) = config.tls.as_mut() {
                tls.cert
                    .iter_mut()
                    .chain(tls.key.iter_mut())
                    .for_each(relative);
            }
            config.trust_ca.iter_mut().for_each(relative);
            if let Some(epix) = config.epix.as_mut() {
                epix.clients.values_mut().for_each(relative);
            }
        }
        if config.data_dir.is_relative()
            && let Some(dir) = path.parent()
        {
            config.data_dir = dir.join(&config.data_dir);
        }
        config.apply_env(|k| std::env::var(k).ok())?;
        config.check()?;
        Ok(config)
    }

    /// Applies `CITES_NAME`, `CITES_LISTEN`, `CITES_DATA_DIR`, `CITES_LOG_ORIGIN`,
    /// `CITES_CHECKPOINT_INTERVAL_MS` from `get` (the environment, or a map in tests).
    pub fn apply_env(&mut self, get: impl Fn(&str) -> Option<String>) -> anyhow::Result<()> {
        if let Some(v) = get("CITES_NAME") {
            self.name = v;
        }
        if let Some(v) = get("CITES_LISTEN") {
            self.listen = v
                .parse()
                .with_context(|| format!("CITES_LISTEN={v:?} is not host:port"))?;
        }
        if let Some(v) = get("CITES_DATA_DIR") {
            self.data_dir = v.into();
        }
        if let Some(v) = get("CITES_LOG_ORIGIN") {
            self.log_origin = v;
        }
        if let Some(v) = get("CITES_PEERS") {
            self.peers = v
                .split(',')
                .map(str::trim)
                .filter(|p| !p.is_empty())
                .map(str::to_owned)
                .collect();
        }
        if let Some(v) = get("CITES_P2P_LISTEN") {
            self.p2p_listen = Some(
                v.parse()
                    .with_context(|| format!("CITES_P2P_LISTEN={v:?} is not host:port"))?,
            );
        }
        if let Some(v) = get("CITES_SYNC_INTERVAL_MS") {
            self.sync_interval_ms = v
                .parse()
                .with_context(|| format!("CITES_SYNC_INTERVAL_MS={v:?} is not a number"))?;
        }
        if let Some(v) = get("CITES_GENESIS") {
            self.genesis = Some(v.into());
        }
        if let Some(v) = get("CITES_DID") {
            self.did = Some(v);
        }
        if let Some(v) = get("CITES_SECURING") {
            self.securing = v
                .parse()
                .map_err(|e: String| anyhow::anyhow!("CITES_SECURING: {e}"))?;
        }
        if let Some(v) = get("CITES_OFFER_TTL_S") {
            self.offer_ttl_s = Some(
                v.parse()
                    .with_context(|| format!("CITES_OFFER_TTL_S={v:?} is not a number"))?,
            );
        }
        if let Some(v) = get("CITES_ALLOW_PLAIN_HTTP") {
            self.allow_plain_http = matches!(v.as_str(), "1" | "true" | "yes");
        }
        if let Some(v) = get("CITES_TLS_CERT") {
            self.tls.get_or_insert_default().cert = Some(v.into());
        }
        if let Some(v) = get("CITES_TLS_KEY") {
            self.tls.get_or_insert_default().key = Some(v.into());
        }
        if let Some(v) = get("CITES_TLS_SELF_SIGNED") {
            self.tls.get_or_insert_default().self_signed =
                matches!(v.as_str(), "1" | "true" | "yes");
        }
        if let Some(v) = get("CITES_CHECKPOINT_INTERVAL_MS") {
            self.checkpoint_interval_ms = v
                .parse()
                .with_context(|| format!("CITES_CHECKPOINT_INTERVAL_MS={v:?} is not a number"))?;
        }
        Ok(())
    }

    /// Refuses values that would only fail later, less clearly.
    pub fn check(&self) -> anyhow::Result<()> {
        if !ledger::note::is_valid_key_name(&self.log_origin) {
            bail!(
                "log_origin {:?} is not a valid note key name (non-empty, no spaces or '+')",
                self.log_origin
            );
        }
        if self.checkpoint_interval_ms == 0 || self.checkpoint_interval_ms > 60_000 {
            bail!(
                "checkpoint_interval_ms must be between 1 and 60000, not {}",
                self.checkpoint_interval_ms
            );
        }
        if self.name.trim().is_empty() {
            bail!("name is empty");
        }
        if self.p2p_listen.is_some_and(|a| a.port() == 0) {
            bail!("p2p_listen needs a fixed port: the registry tells peers where to dial");
        }
        for a in &self.p2p_bootstrap {
            a.parse::<libp2p::Multiaddr>()
                .with_context(|| format!("p2p_bootstrap: {a:?} is not a libp2p multiaddr"))?;
        }
        for (kind, fee) in &self.fees {
            if !contracts::DocumentType::ALL.iter().any(|d| {
                serde_json::to_value(d)
                    .ok()
                    .as_ref()
                    .and_then(|v| v.as_str())
                    == Some(kind)
            }) {
                bail!("fees: {kind:?} is not a document type (export_permit, import_permit, ...)");
            }
            if fee.currency.len() != 3 || !fee.currency.bytes().all(|b| b.is_ascii_uppercase()) {
                bail!(
                    "fees.{kind}: currency {:?} is not an ISO 4217 code",
                    fee.currency
                );
            }
        }
        if let Some(tls) = &self.tls {
            match (&tls.cert, &tls.key, tls.self_signed) {
                (Some(_), Some(_), false) | (None, None, true) => {}
                (_, _, true) => {
                    bail!("tls: self_signed = true makes its own certificate; remove cert and key")
                }
                _ => bail!("tls: give both cert and key (PEM files), or self_signed = true"),
            }
        }
        if let Some(epix) = &self.epix {
            if self.tls.is_none() {
                bail!("epix: the EPIX service is HTTPS only; give the node [tls] cert and key");
            }
            if epix.clients.is_empty() {
                bail!("epix: clients names no Party and its CA, so no client could call");
            }
            if let Some(p) = epix.clients.keys().find(|p| p.parse::<Country>().is_err()) {
                bail!("epix.clients: {p:?} is not an ISO 3166 alpha-2 Party code");
            }
            if epix.listen == self.listen {
                bail!("epix: listen must differ from the node's own listen address");
            }
        }
        let l = &self.limits;
        if l.header_timeout_s == 0 || l.request_timeout_s == 0 || l.max_connections == 0 {
            bail!(
                "limits: header_timeout_s, request_timeout_s and max_connections must be above 0"
            );
        }
        self.notify.check()?;
        if let Some(q) = self.quotas.iter().find(|q| q.party != self.party) {
            bail!(
                "quotas: the {} quota for {} is another Party's; a node counts its own",
                q.species,
                q.party
            );
        }
        let did = self.did();
        if !did.starts_with("did:web:") || did.len() <= "did:web:".len() {
            bail!("did {did:?} is not a did:web DID");
        }
        Ok(())
    }

    /// Writes the file (refusing to overwrite one that exists).
    pub fn write_new(&self, path: &Path) -> anyhow::Result<()> {
        let text = toml::to_string_pretty(self)?;
        let mut file = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(path)
            .with_context(|| {
                format!("cannot create {} (does it exist already?)", path.display())
            })?;
        std::io::Write::write_all(&mut file, text.as_bytes())?;
        Ok(())
    }

    /// RocksDB directory.
    pub fn db_dir(&self) -> PathBuf {
        self.data_dir.join("db")
    }

    /// Refuses to serve passwords, session cookies and tokens in the clear beyond this host:
    /// plain HTTP only on loopback unless `allow_plain_http` says a TLS proxy is in front.
    pub fn check_exposure(&self) -> anyhow::Result<()> {
        if !self.listen.ip().is_loopback() && !self.allow_plain_http && self.tls.is_none() {
            bail!(
                "{} is not a loopback address and the node speaks plain HTTP: give it a certificate ([tls] cert and key), or put it behind a TLS-terminating proxy and set allow_plain_http = true (or CITES_ALLOW_PLAIN_HTTP=1), or listen on 127.0.0.1",
                self.listen
            );
        }
        Ok(())
    }

    /// Where a self-signed development certificate and its key live.
    pub fn self_signed_paths(&self) -> (PathBuf, PathBuf) {
        let dir = self.data_dir.join("tls");
        (dir.join("cert.pem"), dir.join("key.pem"))
    }

    /// The base URL the node serves, for links and credential offers.
    pub fn scheme(&self) -> &'static str {
        if self.tls.is_some() { "https" } else { "http" }
    }

    /// The species checklist file an MA imported (`cites-node species import`).
    pub fn species_path(&self) -> PathBuf {
        self.data_dir.join("species.json")
    }

    /// The imported species checklist, or the bundled one.
    pub fn species(&self) -> anyhow::Result<contracts::species::Checklist> {
        let path = self.species_path();
        match std::fs::read(&path) {
            Ok(bytes) => contracts::species::Checklist::from_json(&bytes)
                .with_context(|| format!("{} is not a species checklist", path.display())),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                Ok(contracts::species::Checklist::bundled().clone())
            }
            Err(e) => Err(e).with_context(|| format!("cannot read {}", path.display())),
        }
    }

    /// The fee for a document type, if the MA charges one.
    pub fn fee(&self, kind: contracts::DocumentType) -> Option<contracts::application::Money> {
        let name = serde_json::to_value(kind).ok()?;
        self.fees.get(name.as_str()?).cloned()
    }

    /// The node's DID.
    pub fn did(&self) -> String {
        self.did
            .clone()
            .unwrap_or_else(|| format!("did:web:{}%3A{}", self.listen.ip(), self.listen.port()))
    }

    /// The issuer (assertion) key file.
    pub fn issuer_key_path(&self) -> PathBuf {
        self.data_dir.join("keys").join("issuer.key")
    }

    /// The bearer token that machines present to issue credentials.
    pub fn api_token_path(&self) -> PathBuf {
        self.data_dir.join("keys").join("api.token")
    }

    /// The witness (cosignature) key file.
    pub fn witness_key_path(&self) -> PathBuf {
        self.data_dir.join("keys").join("witness.key")
    }

    /// The log's signing key file.
    pub fn log_key_path(&self) -> PathBuf {
        self.data_dir.join("keys").join("log.key")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Config {
        Config::new(
            "Management Authority of Ghana",
            Role::ManagementAuthority,
            "GH".parse().unwrap(),
            "cites.example/gh",
            "127.0.0.1:8701".parse().unwrap(),
            "data",
        )
    }

    #[test]
    fn toml_round_trips_and_env_overrides() {
        let c = sample();
        let text = toml::to_string_pretty(&c).unwrap();
        let mut back: Config = toml::from_str(&text).unwrap();
        assert_eq!(back, c);
        back.apply_env(|k| match k {
            "CITES_LISTEN" => Some("127.0.0.1:9999".into()),
            "CITES_CHECKPOINT_INTERVAL_MS" => Some("50".into()),
            _ => None,
        })
        .unwrap();
        assert_eq!(back.listen.port(), 9999);
        assert_eq!(back.checkpoint_interval_ms, 50);
        let err = back
            .apply_env(|k| (k == "CITES_LISTEN").then(|| "nowhere".into()))
            .unwrap_err();
        assert!(err.to_string().contains("CITES_LISTEN"), "{err}");
    }

    #[test]
    fn plain_http_beyond_loopback_needs_saying_so() {
        let mut c = sample();
        assert!(c.check_exposure().is_ok());
        c.listen = "0.0.0.0:8701".parse().unwrap();
        let err = c.check_exposure().unwrap_err().to_string();
        assert!(err.contains("allow_plain_http"), "{err}");
        c.apply_env(|k| (k == "CITES_ALLOW_PLAIN_HTTP").then(|| "1".into()))
            .unwrap();
        assert!(c.check_exposure().is_ok());
    }

    #[test]
    fn a_certificate_allows_any_address_and_half_a_tls_config_is_refused() {
        let mut c = sample();
        c.listen = "0.0.0.0:8701".parse().unwrap();
        c.apply_env(|k| (k == "CITES_TLS_CERT").then(|| "cert.pem".into()))
            .unwrap();
        let err = c.check().unwrap_err().to_string();
        assert!(err.contains("both cert and key"), "{err}");
        c.apply_env(|k| (k == "CITES_TLS_KEY").then(|| "key.pem".into()))
            .unwrap();
        c.check().unwrap();
        c.check_exposure().unwrap();
        assert_eq!(c.scheme(), "https");
        c.limits.max_connections = 0;
        assert!(
            c.check()
                .unwrap_err()
                .to_string()
                .contains("max_connections")
        );
    }

    #[test]
    fn bad_values_are_refused() {
        let mut c = sample();
        c.log_origin = "has space".into();
        assert!(c.check().is_err());
        let mut c = sample();
        c.checkpoint_interval_ms = 0;
        assert!(c.check().is_err());
        assert!(toml::from_str::<Config>("name = 1").is_err());
    }
}
