//! The node's view of the trust registry: the pinned genesis plus the registry entries it holds
//! (its own log's, and other logs' once they are replicated), and the entries it writes.
//!
//! An entry is checked against a copy of the registry before it is appended, so a refused entry
//! never reaches the log; the node signs with its own key (`key-1`, the same key that signs its
//! credentials).

use std::sync::RwLock;

use anyhow::Context;
use chrono::Utc;
use credentials::keys::PublicKey;
use did_registry::trust_list::TrustList;
use did_registry::{
    AsOf, Body, DidWeb, Entry, Genesis, Position, Registry, RegistryError, Resolution,
    UnsignedEntry,
};
use ledger::{LogReader, SideWrite, leaf_hash};

use crate::anchor::Anchor;
use crate::store::{CF_REGISTRY, CF_REGISTRY_REPLICATED};

fn replicated_key(origin: &str, index: u64) -> Vec<u8> {
    let mut key = origin.as_bytes().to_vec();
    key.push(0);
    key.extend_from_slice(&index.to_be_bytes());
    key
}

/// The registry and the leaves it was built from (kept for evidence bundles, so issuing a
/// permit does not rescan the store).
struct Held {
    registry: Registry,
    leaves: Vec<(Position, Vec<u8>)>,
    /// Who is accredited now, built when the registry changes: gates, dials, log keys and
    /// status-list fetches read it on every connection, announcement and sync.
    trust: TrustList,
}

fn trust_now(registry: &Registry) -> anyhow::Result<TrustList> {
    TrustList::build(registry, &AsOf::Now).map_err(|e| anyhow::anyhow!("trust list: {e}"))
}

/// Every registry leaf this node holds with its position (its own log's, found through the
/// `node_registry` index, and those found on replicated logs), replayed into a registry.
fn replay(genesis: &Genesis, reader: &LogReader) -> anyhow::Result<(Held, Vec<Refused>)> {
    let leaves = held_leaves(reader)?;
    let (registry, refused) = Registry::replay(genesis, leaves.clone());
    for (position, error) in &refused {
        tracing::warn!(log = %position.log, index = position.index, %error, "registry entry refused on replay");
    }
    let trust = trust_now(&registry)?;
    Ok((
        Held {
            registry,
            leaves,
            trust,
        },
        refused,
    ))
}

/// A registry entry that did not apply, and why.
pub type Refused = (Position, RegistryError);

/// The registry leaves this node holds, with their positions.
fn held_leaves(reader: &LogReader) -> anyhow::Result<Vec<(Position, Vec<u8>)>> {
    let store = reader.store();
    let mut leaves = Vec::new();
    let own = store
        .db()
        .cf_handle(CF_REGISTRY)
        .context("missing registry column family")?;
    for item in store.db().iterator_cf(&own, rocksdb::IteratorMode::Start) {
        let (hash, _) = item?;
        let hash = ledger::Hash::from_slice(&hash).context("corrupt registry index")?;
        let index = reader
            .index_of(&hash)?
            .context("registry index points to a missing leaf")?;
        let leaf = reader.leaf(index)?;
        let entry = Entry::decode(&leaf).context("a registry leaf does not decode")?;
        leaves.push((
            Position {
                log: reader.origin().to_owned(),
                index,
                time: entry.unsigned.at,
            },
            leaf,
        ));
    }
    let replicated = store
        .db()
        .cf_handle(CF_REGISTRY_REPLICATED)
        .context("missing column family")?;
    for item in store
        .db()
        .iterator_cf(&replicated, rocksdb::IteratorMode::Start)
    {
        let (key, leaf) = item?;
        let split = key
            .iter()
            .position(|b| *b == 0)
            .context("corrupt replicated registry key")?;
        let origin = String::from_utf8_lossy(&key[..split]).into_owned();
        let index = u64::from_be_bytes(
            key[split + 1..]
                .try_into()
                .context("corrupt replicated registry key")?,
        );
        let entry = Entry::decode(&leaf).context("a replicated registry leaf does not decode")?;
        leaves.push((
            Position {
                log: origin,
                index,
                time: entry.unsigned.at,
            },
            leaf.to_vec(),
        ));
    }
    Ok(leaves)
}

/// Who a DID is in the network now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Standing {
    /// The Secretariat (the genesis's root).
    Secretariat,
    /// An accredited, active authority.
    Authority {
        /// Its Party.
        party: String,
        /// What it is accredited as.
        role: did_registry::Role,
    },
}

/// `http[s]://host[:port]` and nothing else (no path, query, user or empty host).
fn is_origin(url: &str) -> bool {
    let rest = url
        .strip_prefix("https://")
        .or_else(|| url.strip_prefix("http://"));
    rest.is_some_and(|r| {
        !r.is_empty()
            && !r.starts_with(':')
            && r.chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | ':' | '[' | ']'))
    })
}

/// The service type under which an authority's node lists its HTTP endpoint.
pub const NODE_SERVICE: &str = "CitesNode";

/// The service type under which an authority's node lists its libp2p multiaddr.
pub const P2P_SERVICE: &str = "LibP2P";

/// A node of the network, for dialling and for replicating its log.
#[derive(Debug, Clone)]
pub struct P2pPeer {
    /// Its DID.
    pub did: String,
    /// Its Party (`None`: the Secretariat).
    pub party: Option<String>,
    /// What it is accredited as (`None`: the Secretariat).
    pub role: Option<did_registry::Role>,
    /// Its PeerId.
    pub peer_id: String,
    /// Its log's origin.
    pub log_origin: String,
    /// Multiaddrs to dial (may be empty: it dials us).
    pub addrs: Vec<String>,
}

/// The `accredit` entry the Secretariat would write for this node: its DID, Party, keys (the
/// X25519 key-agreement key is derived from its Ed25519 key), log, libp2p PeerId (of the same
/// key) and its HTTP endpoint. The Secretariat checks it out of band and posts it to its own
/// node's `/registry/entries`.
pub fn accreditation_request(state: &crate::http::AppState) -> anyhow::Result<serde_json::Value> {
    if state.config.role != crate::config::Role::ManagementAuthority {
        anyhow::bail!("only a Management Authority's node is accredited this way");
    }
    let key = state.issuer.current();
    let public = key.signer.public();
    let agreement = did_registry::X25519PublicKey::from_bytes(public.to_x25519());
    let peer_id = crate::issuer::network_peer_id(&state.config)?;
    let mut services =
        vec![serde_json::json!({"id": "node", "type": NODE_SERVICE, "endpoint": state.base_url})];
    if let Some(addr) = state.config.p2p_listen {
        let ip = match addr.ip() {
            std::net::IpAddr::V4(ip) => format!("/ip4/{ip}"),
            std::net::IpAddr::V6(ip) => format!("/ip6/{ip}"),
        };
        let endpoint = format!("{ip}/tcp/{}/p2p/{}", addr.port(), peer_id);
        services.push(serde_json::json!({"id": "p2p", "type": P2P_SERVICE, "endpoint": endpoint}));
    }
    Ok(serde_json::json!({
        "type": "accredit",
        "subject": state.issuer.did,
        "party": state.config.party.code(),
        "role": "management_authority",
        "verification_methods": [{"id": key.fragment(), "public_key_multibase": public.to_multikey()}],
        "key_agreement": {"id": format!("ka-{}", key.number), "public_key_multibase": agreement.to_string()},
        "log_origin": state.anchor.origin(),
        "log_key": state.anchor.verifier_key(),
        "peer_id": peer_id,
        "services": services,
    }))
}

/// The registry point a credential's key is judged at: its anchoring position when known
/// (exact even when the issuer rotated its key within the same second), else its time.
pub fn anchored_at(
    at: chrono::DateTime<Utc>,
    anchor: Option<&credentials::verify::Anchor>,
) -> AsOf {
    match anchor {
        Some(a) => AsOf::Anchored {
            log: a.origin.clone(),
            index: a.index,
            time: at,
        },
        None => AsOf::Time(at),
    }
}

/// Ok if `did` was an active Management Authority of `party` at `at` in `registry` (the
/// verifier's "issuer accredited at issuance" check, online and offline).
pub fn management_authority_at(
    registry: &Registry,
    did: &str,
    party: &str,
    at: chrono::DateTime<Utc>,
) -> Result<(), String> {
    let a = registry
        .accreditation_at(did, &AsOf::Time(at))
        .map_err(|e| e.to_string())?;
    if a.party.as_str() != party {
        return Err(format!(
            "{did} is accredited for {}, not for {party}",
            a.party.as_str()
        ));
    }
    if a.role != did_registry::Role::ManagementAuthority {
        return Err(format!("{did} is not accredited as a Management Authority"));
    }
    if a.status != did_registry::Status::Active {
        return Err(format!("{did} was {:?} on {at}", a.status).to_lowercase());
    }
    Ok(())
}

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
    held: RwLock<Held>,
    /// Keys of registry records, decompressed (an Ed25519 point decompression is a field
    /// exponentiation, a tenth of a signature check). A `did:key` resolves to the key in its
    /// own name, which anyone can make up, so those are not kept; [`KEPT_POINTS`] bounds the
    /// rest.
    points: std::sync::Mutex<std::collections::HashMap<[u8; 32], PublicKey>>,
    write: tokio::sync::Mutex<()>,
    /// The Secretariat's PeerId (of the key the genesis pins).
    secretariat_peer: String,
}

/// At most this many decompressed registry keys are kept (far more than the keys of every
/// Party's authorities and their rotations).
const KEPT_POINTS: usize = 4096;

fn read_lock(l: &RwLock<Held>) -> anyhow::Result<std::sync::RwLockReadGuard<'_, Held>> {
    l.read()
        .map_err(|_| anyhow::anyhow!("registry lock poisoned"))
}

fn write_lock(l: &RwLock<Held>) -> anyhow::Result<std::sync::RwLockWriteGuard<'_, Held>> {
    l.write()
        .map_err(|_| anyhow::anyhow!("registry lock poisoned"))
}

impl NodeRegistry {
    /// Loads the genesis and replays the registry entries this node holds.
    pub fn load(
        genesis_path: &std::path::Path,
        did: &str,
        reader: &LogReader,
    ) -> anyhow::Result<NodeRegistry> {
        let bytes = std::fs::read(genesis_path)
            .with_context(|| format!("cannot read genesis {}", genesis_path.display()))?;
        let genesis = Genesis::from_json(&bytes)
            .with_context(|| format!("{} is not a valid genesis file", genesis_path.display()))?;
        let did: DidWeb = did
            .parse()
            .with_context(|| format!("the node's DID {did:?}"))?;
        let (held, _) = replay(&genesis, reader)?;
        let secretariat_peer = PublicKey::from_bytes(
            &genesis
                .secretariat
                .verification_method
                .public_key_multibase
                .to_bytes(),
        )
        .map_err(|e| anyhow::anyhow!("the genesis's Secretariat key: {e}"))?
        .libp2p_peer_id();
        Ok(NodeRegistry {
            secretariat_peer,
            genesis,
            did,
            held: RwLock::new(held),
            points: Default::default(),
            write: tokio::sync::Mutex::new(()),
        })
    }

    /// The verifier key of log `origin`, as the genesis (the Secretariat's) or the registry (an
    /// accredited authority's) gives it.
    pub fn log_key(&self, origin: &str) -> anyhow::Result<Option<String>> {
        if self.genesis.secretariat.log_origin.to_string() == origin {
            return Ok(Some(self.genesis.secretariat.log_key.to_string()));
        }
        self.with_trust(|list| {
            list.parties
                .values()
                .flatten()
                .find(|a| a.log_origin.as_str() == origin)
                .map(|a| a.log_key.to_string())
        })
    }

    /// The key of `method` if it was a valid key of `did` at `at`, or for a credential
    /// anchored at `anchor` (see [`anchored_at`]).
    pub fn key_at(
        &self,
        did: &str,
        method: &str,
        at: chrono::DateTime<Utc>,
        anchor: Option<&credentials::verify::Anchor>,
    ) -> Result<PublicKey, String> {
        let bytes = read_lock(&self.held)
            .map_err(|e| e.to_string())?
            .registry
            .key_valid_at(did, method, &anchored_at(at, anchor))
            .map_err(|e| e.to_string())?
            .to_bytes();
        if did.starts_with("did:key:") {
            return PublicKey::from_bytes(&bytes).map_err(|e| e.to_string());
        }
        let mut points = self
            .points
            .lock()
            .map_err(|_| "registry key cache lock poisoned".to_owned())?;
        if let Some(key) = points.get(&bytes) {
            return Ok(*key);
        }
        let key = PublicKey::from_bytes(&bytes).map_err(|e| e.to_string())?;
        if points.len() >= KEPT_POINTS {
            points.clear();
        }
        points.insert(bytes, key);
        Ok(key)
    }

    /// Ok if `did` was an active Management Authority of `party` at `at`.
    pub fn management_authority_at(
        &self,
        did: &str,
        party: &str,
        at: chrono::DateTime<Utc>,
    ) -> Result<(), String> {
        let held = read_lock(&self.held).map_err(|e| e.to_string())?;
        management_authority_at(&held.registry, did, party, at)
    }

    /// The trust list as of now.
    pub fn trust_list(&self) -> anyhow::Result<serde_json::Value> {
        Ok(self.with_trust(|list| serde_json::to_value(list))??)
    }

    /// The registry entries this node holds, for an evidence bundle: with the genesis, enough
    /// to resolve the issuer offline.
    pub fn bundle_leaves(&self) -> anyhow::Result<Vec<credentials::bundle::RegistryLeaf>> {
        use base64::Engine as _;
        let held = read_lock(&self.held)?;
        Ok(held
            .leaves
            .iter()
            .map(|(p, leaf)| credentials::bundle::RegistryLeaf {
                log: p.log.clone(),
                index: p.index,
                entry: base64::engine::general_purpose::STANDARD.encode(leaf),
            })
            .collect())
    }

    /// Records registry entries found on a replicated log and rebuilds the registry with them;
    /// returns those of them the registry refuses (an author it does not accredit, a bad
    /// signature...).
    pub fn add_replicated(
        &self,
        reader: &LogReader,
        origin: &str,
        leaves: Vec<(u64, Vec<u8>)>,
    ) -> anyhow::Result<Vec<Refused>> {
        let store = reader.store();
        let cf = store
            .db()
            .cf_handle(CF_REGISTRY_REPLICATED)
            .context("missing column family")?;
        let mut batch = rocksdb::WriteBatch::default();
        for (index, leaf) in &leaves {
            batch.put_cf(&cf, replicated_key(origin, *index), leaf);
        }
        let mut options = rocksdb::WriteOptions::default();
        options.set_sync(true);
        store.db().write_opt(batch, &options)?;
        // Not while this node is writing an entry of its own (called off the async runtime).
        let _one_writer = self.write.blocking_lock();
        let (rebuilt, refused) = replay(&self.genesis, reader)?;
        *write_lock(&self.held)? = rebuilt;
        Ok(refused
            .into_iter()
            .filter(|(p, _)| p.log == origin && leaves.iter().any(|(i, _)| *i == p.index))
            .collect())
    }

    /// Whether a libp2p peer may hold a connection: the Secretariat's node (the genesis pins
    /// its key) or the node of an authority accredited and active now.
    pub fn peer_allowed(&self, peer_id: &str) -> bool {
        if self.secretariat_peer == peer_id {
            return true;
        }
        read_lock(&self.held).is_ok_and(|h| h.registry.active_peer(peer_id).is_some())
    }

    /// The libp2p peers of the network as the registry knows them: PeerId, the origin of the
    /// node's log, and where to dial it (the genesis's bootstrap for the Secretariat, the
    /// `LibP2P` service endpoints of accredited authorities).
    pub fn p2p_peers(&self) -> anyhow::Result<Vec<P2pPeer>> {
        let mut out = vec![P2pPeer {
            did: self.genesis.secretariat.did.to_string(),
            party: None,
            role: None,
            peer_id: self.secretariat_peer.clone(),
            log_origin: self.genesis.secretariat.log_origin.to_string(),
            addrs: self
                .genesis
                .bootstrap
                .iter()
                .map(|a| a.to_string())
                .collect(),
        }];
        self.with_trust(|list| {
            for (party, a) in list
                .parties
                .iter()
                .flat_map(|(p, list)| list.iter().map(move |a| (p, a)))
            {
                let Some(peer_id) = &a.peer_id else { continue };
                out.push(P2pPeer {
                    did: a.did.to_string(),
                    party: Some(party.to_string()),
                    role: Some(a.role),
                    peer_id: peer_id.to_string(),
                    log_origin: a.log_origin.to_string(),
                    addrs: a
                        .services
                        .iter()
                        .filter(|s| s.kind.as_str() == P2P_SERVICE)
                        .map(|s| s.endpoint.to_string())
                        .collect(),
                });
            }
            out
        })
    }

    /// The HTTP endpoints (`CitesNode` services) of the authorities accredited and active now,
    /// with their DIDs: the nodes this node may fetch another Party's status lists from. Only
    /// endpoints that are a bare origin (`http[s]://host[:port]`) count.
    pub fn node_endpoints(&self) -> anyhow::Result<Vec<(String, String)>> {
        self.with_trust(|list| {
            list.parties
                .values()
                .flatten()
                .flat_map(|a| a.services.iter().map(move |s| (a, s)))
                .filter(|(_, s)| s.kind.as_str() == NODE_SERVICE && is_origin(s.endpoint.as_str()))
                .map(|(a, s)| (a.did.to_string(), s.endpoint.to_string()))
                .collect()
        })
    }

    /// Who `did` is now: the Secretariat, or the Party and role of an authority accredited and
    /// active now (`None`: neither).
    pub fn standing(&self, did: &str) -> anyhow::Result<Option<Standing>> {
        if self.genesis.secretariat.did.to_string() == did {
            return Ok(Some(Standing::Secretariat));
        }
        let held = read_lock(&self.held)?;
        Ok(match held.registry.accreditation_at(did, &AsOf::Now) {
            Ok(a) if a.status == did_registry::Status::Active => Some(Standing::Authority {
                party: a.party.to_string(),
                role: a.role,
            }),
            _ => None,
        })
    }

    /// The key-agreement key of `did` now (id and X25519 bytes); the Secretariat's is derived
    /// from the key the genesis pins.
    pub fn agreement_key(&self, did: &str) -> anyhow::Result<(String, [u8; 32])> {
        if self.genesis.secretariat.did.to_string() == did {
            let key = PublicKey::from_bytes(
                &self
                    .genesis
                    .secretariat
                    .verification_method
                    .public_key_multibase
                    .to_bytes(),
            )
            .map_err(|e| anyhow::anyhow!("the genesis's Secretariat key: {e}"))?;
            return Ok((format!("{did}#key-1"), key.to_x25519()));
        }
        let web: DidWeb = did
            .parse()
            .with_context(|| format!("{did:?} is not a did:web"))?;
        let held = read_lock(&self.held)?;
        let (id, key) = held
            .registry
            .key_agreement_at(&web, &AsOf::Now)
            .map_err(|e| anyhow::anyhow!("{e}"))?;
        Ok((id, key.to_bytes()))
    }

    /// Reads who is accredited now (built when the registry last changed).
    fn with_trust<R>(&self, f: impl FnOnce(&TrustList) -> R) -> anyhow::Result<R> {
        Ok(f(&read_lock(&self.held)?.trust))
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
        Ok(read_lock(&self.held)?.registry.resolve(did, as_of))
    }

    /// Signs `body` as this node with its current key, checks it against the registry,
    /// appends it to the node's log and applies it. Returns the leaf index.
    pub async fn write(
        &self,
        anchor: &Anchor,
        issuer: &crate::issuer::Issuer,
        body: Body,
    ) -> Result<u64, WriteError> {
        let _one_writer = self.write.lock().await;
        Ok(self.append(anchor, &issuer.current(), body).await?.0)
    }

    /// Writes a `rotate_keys` entry signed with the current key and, once it is in the log,
    /// lets `then` make its key current before any other entry is signed. Returns the leaf
    /// index and the entry's time.
    pub async fn rotate(
        &self,
        anchor: &Anchor,
        current: &crate::issuer::IssuingKey,
        body: Body,
        then: impl FnOnce(),
    ) -> Result<(u64, chrono::DateTime<Utc>), WriteError> {
        let _one_writer = self.write.lock().await;
        let written = self.append(anchor, current, body).await?;
        then();
        Ok(written)
    }

    /// Whether `public` (Multikey) is a current assertion key of `did`.
    pub fn asserts_with(&self, did: &str, public: &str) -> anyhow::Result<bool> {
        Ok(match self.resolve(did, &AsOf::Now)? {
            Ok(r) => {
                let doc = r.did_document;
                doc.verification_method.iter().any(|m| {
                    m.public_key_multibase == public && doc.assertion_method.contains(&m.id)
                })
            }
            Err(_) => false,
        })
    }

    async fn append(
        &self,
        anchor: &Anchor,
        key: &crate::issuer::IssuingKey,
        body: Body,
    ) -> Result<(u64, chrono::DateTime<Utc>), WriteError> {
        let (leaf, time, mut probe) = {
            let held = read_lock(&self.held)?;
            let seq = held
                .registry
                .next_seq(&self.did)
                .ok_or_else(|| WriteError::NotAnAuthor(self.did.to_string()))?;
            let origin = anchor
                .origin()
                .parse()
                .map_err(|e| anyhow::anyhow!("log origin: {e}"))?;
            // Registry entries of all logs are replayed in order of their (whole-second) times;
            // dating ours after every entry we hold keeps an entry after those it depends on
            // (an MA's first entries come right after its accreditation replicates).
            let now = Utc::now();
            let at = match held.leaves.iter().map(|(p, _)| p.time).max() {
                Some(latest) if latest.timestamp() >= now.timestamp() => {
                    latest + chrono::TimeDelta::seconds(1)
                }
                _ => now,
            };
            let entry = UnsignedEntry::new(self.did.clone(), seq, origin, at, body)
                .sign(
                    key.fragment().parse().map_err(|e| anyhow::anyhow!("{e}"))?,
                    &did_registry::SecretKey::from_seed(&key.seed()),
                )
                .map_err(|e| anyhow::anyhow!("cannot sign the entry: {e}"))?;
            (
                entry.encode().map_err(|e| anyhow::anyhow!("{e}"))?,
                // The position's time is the entry's own (whole seconds), as on replay.
                entry.unsigned.at,
                held.registry.clone(),
            )
        };
        let size = anchor.reader().size().map_err(anyhow::Error::from)?;
        let position = |index| Position {
            log: anchor.origin().to_owned(),
            index,
            time,
        };
        probe.apply(position(size), &leaf)?;
        let side = vec![SideWrite {
            cf: CF_REGISTRY.into(),
            key: leaf_hash(&leaf).0.to_vec(),
            value: Vec::new(),
        }];
        let index = anchor.append_with(leaf.clone(), side).await?;
        let mut held = write_lock(&self.held)?;
        held.registry.apply(position(index), &leaf).map_err(|e| {
            tracing::error!(index, error = %e, "an appended registry entry was refused on apply");
            WriteError::Refused(e)
        })?;
        held.leaves.push((position(index), leaf));
        held.trust = trust_now(&held.registry).map_err(WriteError::Internal)?;
        tracing::info!(index, "registry entry written");
        Ok((index, time))
    }
}

#[cfg(test)]
mod tests {
    use super::is_origin;

    #[test]
    fn only_a_bare_origin_is_a_node_endpoint() {
        for ok in [
            "https://ma.example",
            "http://127.0.0.1:8701",
            "https://[::1]:443",
        ] {
            assert!(is_origin(ok), "{ok}");
        }
        for bad in [
            "https:",
            "https://",
            "http://:80",
            "https://ma.example/",
            "https://ma.example/status",
            "https://user@ma.example",
            "https://ma.example?x=1",
            "ftp://ma.example",
            "/ip4/127.0.0.1/tcp/4001",
        ] {
            assert!(!is_origin(bad), "{bad}");
        }
    }
}
