//! The permissioned peer-to-peer network: TCP + Noise + Yamux, identify, gossipsub for
//! checkpoint announcements and one request-response protocol between nodes (checkpoints,
//! entry ranges with proofs, witnessing, EPIX).
//!
//! Who may connect is the registry's answer, not a list in a config file: a connection is kept
//! only if the remote PeerId belongs to the Secretariat (the genesis pins its key) or to an
//! authority accredited and active now. Accreditation travels on the logs, so a node learns of
//! a new peer when the Secretariat's log replicates, and drops a peer whose withdrawal does.
//!
//! The swarm runs in one task that owns it; everything else talks to it through [`Network`]
//! (a command channel). Requests are answered off the event loop (RocksDB reads, the witness's
//! synced writes), so one slow answer never stalls gossip.

use std::collections::{BTreeMap, BTreeSet};
use std::convert::Infallible;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use anyhow::Context as _;
use libp2p::core::Endpoint;
use libp2p::core::transport::PortUse;
use libp2p::futures::StreamExt;
use libp2p::gossipsub::{self, IdentTopic, MessageAuthenticity, ValidationMode};
use libp2p::identity::Keypair;
use libp2p::request_response::{self, OutboundRequestId, ProtocolSupport, ResponseChannel};
use libp2p::swarm::{
    ConnectionDenied, ConnectionId, FromSwarm, NetworkBehaviour, SwarmEvent, THandler,
    THandlerInEvent, THandlerOutEvent, ToSwarm, dummy,
};
use libp2p::{Multiaddr, PeerId, StreamProtocol, Swarm, identify, noise, tcp, yamux};
use sha2::Digest as _;
use tokio::sync::{mpsc, oneshot, watch};

pub use protocol::{MAX_ENTRIES, NODE_PROTOCOL, Request, Response, proof_from_wire, proof_to_wire};

/// Largest answer accepted (2000 entries of a few KiB each, with their proof).
const MAX_RESPONSE: u64 = 32 * 1024 * 1024;

type NodeBehaviour = request_response::cbor::Behaviour<Request, Response>;

/// Decides which PeerIds may hold a connection (the registry's answer).
pub type PeerPolicy = Arc<dyn Fn(&PeerId) -> bool + Send + Sync>;

/// Refuses connections from PeerIds the policy does not accept. Noise has already
/// authenticated the PeerId when this runs, so the answer cannot be forged.
pub struct Gate {
    allowed: PeerPolicy,
}

/// Why the gate refused a connection.
#[derive(Debug, thiserror::Error)]
#[error("peer {0} is not accredited in this network's registry")]
pub struct NotAccredited(PeerId);

impl Gate {
    fn check(&self, peer: PeerId) -> Result<dummy::ConnectionHandler, ConnectionDenied> {
        if (self.allowed)(&peer) {
            Ok(dummy::ConnectionHandler)
        } else {
            tracing::warn!(%peer, "connection refused: not accredited");
            Err(ConnectionDenied::new(NotAccredited(peer)))
        }
    }
}

impl NetworkBehaviour for Gate {
    type ConnectionHandler = dummy::ConnectionHandler;
    type ToSwarm = Infallible;

    fn handle_established_inbound_connection(
        &mut self,
        _: ConnectionId,
        peer: PeerId,
        _: &Multiaddr,
        _: &Multiaddr,
    ) -> Result<THandler<Self>, ConnectionDenied> {
        self.check(peer)
    }

    fn handle_established_outbound_connection(
        &mut self,
        _: ConnectionId,
        peer: PeerId,
        _: &Multiaddr,
        _: Endpoint,
        _: PortUse,
    ) -> Result<THandler<Self>, ConnectionDenied> {
        self.check(peer)
    }

    fn on_swarm_event(&mut self, _: FromSwarm) {}

    fn on_connection_handler_event(
        &mut self,
        _: PeerId,
        _: ConnectionId,
        event: THandlerOutEvent<Self>,
    ) {
        match event {}
    }

    fn poll(&mut self, _: &mut Context<'_>) -> Poll<ToSwarm<Infallible, THandlerInEvent<Self>>> {
        Poll::Pending
    }
}

#[derive(NetworkBehaviour)]
struct Behaviour {
    gate: Gate,
    identify: identify::Behaviour,
    gossipsub: gossipsub::Behaviour,
    log: NodeBehaviour,
}

/// A checkpoint announcement received by gossip. It is passed on only once judged
/// ([`Network::judge`]): a node forwards a checkpoint when it holds the entries, so whoever
/// hears of it from that node can fetch them there.
#[derive(Debug, Clone)]
pub struct Announcement {
    /// The peer that passed it on (it holds the entries: it judged the announcement first).
    pub from: PeerId,
    /// The signed note, as announced (not yet verified).
    pub note: Vec<u8>,
    /// Gossipsub's id of the message.
    pub id: gossipsub::MessageId,
}

/// What a node made of an announcement.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// Verified and replicated: forward it.
    Accept,
    /// Not a valid checkpoint of a known log (the sender is penalised).
    Reject,
    /// Could not be checked now (the entries could not be fetched): drop it quietly.
    Ignore,
}

enum Command {
    Request {
        peer: PeerId,
        request: Request,
        reply: oneshot::Sender<Result<Response, String>>,
    },
    Respond {
        channel: ResponseChannel<Response>,
        response: Response,
    },
    Announce {
        note: Vec<u8>,
    },
    Judge {
        announcement: Announcement,
        verdict: Verdict,
    },
}

/// The running network, as the rest of the node sees it. Cheap to clone.
#[derive(Clone)]
pub struct Network {
    commands: mpsc::Sender<Command>,
    peer_id: PeerId,
    connected: Arc<Mutex<BTreeSet<PeerId>>>,
    listening: watch::Receiver<Vec<Multiaddr>>,
}

impl Network {
    /// This node's PeerId.
    pub fn peer_id(&self) -> PeerId {
        self.peer_id
    }

    /// Peers connected now (all accredited: the gate let them in).
    pub fn connected(&self) -> Vec<PeerId> {
        self.connected
            .lock()
            .map(|c| c.iter().copied().collect())
            .unwrap_or_default()
    }

    /// The addresses the swarm listens on, once it does.
    pub async fn listen_addrs(&self) -> Vec<Multiaddr> {
        let mut rx = self.listening.clone();
        let _ = rx.wait_for(|a| !a.is_empty()).await;
        rx.borrow().clone()
    }

    /// Sends a request and waits for the answer (bounded by the protocol's timeout).
    pub async fn request(&self, peer: PeerId, request: Request) -> anyhow::Result<Response> {
        let (reply, rx) = oneshot::channel();
        self.commands
            .send(Command::Request {
                peer,
                request,
                reply,
            })
            .await
            .map_err(|_| anyhow::anyhow!("the network has stopped"))?;
        rx.await
            .map_err(|_| anyhow::anyhow!("the network has stopped"))?
            .map_err(|e| anyhow::anyhow!("{peer}: {e}"))
    }

    /// [`Network::request`] from a blocking thread of the runtime (replication runs there).
    pub fn request_blocking(&self, peer: PeerId, request: Request) -> anyhow::Result<Response> {
        tokio::runtime::Handle::current().block_on(self.request(peer, request))
    }

    /// Announces a signed checkpoint (ours, cosigned) to the network.
    pub async fn announce(&self, note: Vec<u8>) {
        let _ = self.commands.send(Command::Announce { note }).await;
    }

    /// Reports what became of an announcement, so gossipsub forwards, drops or penalises it.
    pub async fn judge(&self, announcement: Announcement, verdict: Verdict) {
        let _ = self
            .commands
            .send(Command::Judge {
                announcement,
                verdict,
            })
            .await;
    }
}

/// The libp2p identity of a node: its Ed25519 issuing key, so the PeerId the Secretariat
/// accredits is the one Noise authenticates.
pub fn keypair(seed: &[u8; 32]) -> anyhow::Result<Keypair> {
    let mut bytes = *seed;
    Keypair::ed25519_from_bytes(&mut bytes).context("the node's key as a libp2p identity")
}

/// The PeerId of an Ed25519 public key.
pub fn peer_id_of(public: [u8; 32]) -> anyhow::Result<PeerId> {
    let key = libp2p::identity::ed25519::PublicKey::try_from_bytes(&public)
        .context("not an Ed25519 public key")?;
    Ok(libp2p::identity::PublicKey::from(key).to_peer_id())
}

/// How the network is set up.
pub struct Settings {
    /// The node's identity.
    pub keypair: Keypair,
    /// Where to listen (`/ip4/127.0.0.1/tcp/4001`).
    pub listen: Multiaddr,
    /// The gossip topic (one per network: `cites/NETWORK/checkpoints`).
    pub topic: String,
    /// Who may connect.
    pub policy: PeerPolicy,
}

/// Builds the swarm, starts listening and spawns its event loop. Requests are answered by
/// `serve`; announcements go to `announcements`.
pub fn start(
    settings: Settings,
    serve: Arc<dyn Fn(PeerId, Request) -> Response + Send + Sync>,
    announcements: mpsc::Sender<Announcement>,
    shutdown: watch::Receiver<bool>,
) -> anyhow::Result<(Network, Dialer)> {
    let Settings {
        keypair,
        listen,
        topic,
        policy,
    } = settings;
    let peer_id = keypair.public().to_peer_id();
    let mut swarm = libp2p::SwarmBuilder::with_existing_identity(keypair)
        .with_tokio()
        .with_tcp(
            tcp::Config::default().nodelay(true),
            noise::Config::new,
            yamux::Config::default,
        )
        .context("the TCP transport")?
        .with_behaviour(
            |key| -> Result<Behaviour, Box<dyn std::error::Error + Send + Sync>> {
                let gossip = gossipsub::ConfigBuilder::default()
                    .heartbeat_interval(Duration::from_millis(500))
                    // Every node keeps the mesh links its peers graft instead of pruning back to
                    // six past twelve: the Secretariat and the witnesses, which every node
                    // connects to, then relay to most of the network at once and an
                    // announcement is two hops from everyone instead of four or five (each hop
                    // replicates before it forwards). Each node still grafts only six itself.
                    .mesh_n_high(MESH_HIGH)
                    .validation_mode(ValidationMode::Strict)
                    .max_transmit_size(64 * 1024)
                    .validate_messages()
                    // A node forwards an announcement after replicating it, which can take a few
                    // heartbeats on a busy node: keep messages that long.
                    .history_length(20)
                    .message_id_fn(|m| {
                        gossipsub::MessageId::from(sha2::Sha256::digest(&m.data).to_vec())
                    })
                    .build()?;
                let codec = request_response::cbor::codec::Codec::default()
                    .set_response_size_maximum(MAX_RESPONSE)
                    .set_request_size_maximum(1024 * 1024);
                Ok(Behaviour {
                    gate: Gate { allowed: policy },
                    identify: identify::Behaviour::new(identify::Config::new(
                        "/cites/1.0.0".into(),
                        key.public(),
                    )),
                    gossipsub: gossipsub::Behaviour::new(
                        MessageAuthenticity::Signed(key.clone()),
                        gossip,
                    )?,
                    log: NodeBehaviour::with_codec(
                        codec,
                        [(StreamProtocol::new(NODE_PROTOCOL), ProtocolSupport::Full)],
                        request_response::Config::default()
                            .with_request_timeout(Duration::from_secs(30))
                            .with_max_concurrent_streams(256),
                    ),
                })
            },
        )
        .context("the network behaviour")?
        .with_swarm_config(|c| c.with_idle_connection_timeout(Duration::from_secs(24 * 3600)))
        .build();
    let topic = IdentTopic::new(topic);
    swarm
        .behaviour_mut()
        .gossipsub
        .subscribe(&topic)
        .map_err(|e| anyhow::anyhow!("cannot subscribe to {topic}: {e}"))?;
    swarm
        .listen_on(listen.clone())
        .with_context(|| format!("cannot listen on {listen}"))?;
    let (commands, rx) = mpsc::channel(1024);
    let (dials, dial_rx) = mpsc::channel(256);
    let (listening_tx, listening) = watch::channel(Vec::new());
    let connected = Arc::new(Mutex::new(BTreeSet::new()));
    let network = Network {
        commands: commands.clone(),
        peer_id,
        connected: connected.clone(),
        listening,
    };
    let event_loop = EventLoop {
        swarm,
        topic,
        commands: rx,
        responder: commands,
        dials: dial_rx,
        pending: BTreeMap::new(),
        serve,
        announcements,
        connected,
        listening: listening_tx,
        serving: Arc::new(tokio::sync::Semaphore::new(SERVING)),
        per_peer: crate::shares::Shares::new(SERVING_PER_PEER),
    };
    tokio::spawn(event_loop.run(shutdown));
    Ok((network, Dialer { dials }))
}

/// Asks the swarm to dial addresses or to drop peers.
#[derive(Clone)]
pub struct Dialer {
    dials: mpsc::Sender<Dial>,
}

enum Dial {
    Address(Multiaddr),
    Drop(PeerId),
}

impl Dialer {
    /// Dials `addr` unless already connected to the peer it names.
    pub async fn dial(&self, addr: Multiaddr) {
        let _ = self.dials.send(Dial::Address(addr)).await;
    }

    /// Closes every connection to `peer` (after its withdrawal replicated).
    pub async fn drop_peer(&self, peer: PeerId) {
        let _ = self.dials.send(Dial::Drop(peer)).await;
    }
}

struct EventLoop {
    swarm: Swarm<Behaviour>,
    topic: IdentTopic,
    commands: mpsc::Receiver<Command>,
    responder: mpsc::Sender<Command>,
    dials: mpsc::Receiver<Dial>,
    pending: BTreeMap<OutboundRequestId, oneshot::Sender<Result<Response, String>>>,
    serve: Arc<dyn Fn(PeerId, Request) -> Response + Send + Sync>,
    announcements: mpsc::Sender<Announcement>,
    connected: Arc<Mutex<BTreeSet<PeerId>>>,
    listening: watch::Sender<Vec<Multiaddr>>,
    /// Requests being answered at most at once.
    serving: Arc<tokio::sync::Semaphore>,
    /// Requests being answered per peer.
    per_peer: Arc<crate::shares::Shares<PeerId>>,
}

/// Most mesh links a node keeps (above the size of the network the project plans for: one
/// node per Party and the Secretariat).
const MESH_HIGH: usize = 256;

/// Requests from peers answered at once.
const SERVING: usize = 64;

/// Requests from one peer answered at once: a peer that floods gets "busy" for the rest
/// while the others are still served.
const SERVING_PER_PEER: usize = 16;

impl EventLoop {
    async fn run(mut self, mut shutdown: watch::Receiver<bool>) {
        loop {
            tokio::select! {
                event = self.swarm.select_next_some() => self.on_event(event),
                Some(command) = self.commands.recv() => self.on_command(command),
                Some(dial) = self.dials.recv() => self.on_dial(dial),
                _ = shutdown.wait_for(|stop| *stop) => return,
            }
        }
    }

    fn on_dial(&mut self, dial: Dial) {
        match dial {
            Dial::Address(addr) => {
                let peer = addr.iter().find_map(|p| match p {
                    libp2p::multiaddr::Protocol::P2p(id) => Some(id),
                    _ => None,
                });
                if peer.is_some_and(|p| {
                    self.swarm.is_connected(&p) || p == *self.swarm.local_peer_id()
                }) {
                    return;
                }
                if let Err(e) = self.swarm.dial(addr.clone()) {
                    tracing::debug!(%addr, error = %e, "dial failed");
                }
            }
            Dial::Drop(peer) => {
                if self.swarm.disconnect_peer_id(peer).is_ok() {
                    tracing::warn!(%peer, "disconnected: no longer accredited");
                }
            }
        }
    }

    fn on_command(&mut self, command: Command) {
        match command {
            Command::Request {
                peer,
                request,
                reply,
            } => {
                let id = self.swarm.behaviour_mut().log.send_request(&peer, request);
                self.pending.insert(id, reply);
            }
            Command::Respond { channel, response } => {
                // The requester may have gone; nothing to do then.
                let _ = self
                    .swarm
                    .behaviour_mut()
                    .log
                    .send_response(channel, response);
            }
            Command::Judge {
                announcement,
                verdict,
            } => {
                let acceptance = match verdict {
                    Verdict::Accept => gossipsub::MessageAcceptance::Accept,
                    Verdict::Reject => gossipsub::MessageAcceptance::Reject,
                    Verdict::Ignore => gossipsub::MessageAcceptance::Ignore,
                };
                self.swarm
                    .behaviour_mut()
                    .gossipsub
                    .report_message_validation_result(
                        &announcement.id,
                        &announcement.from,
                        acceptance,
                    );
            }
            Command::Announce { note } => {
                match self
                    .swarm
                    .behaviour_mut()
                    .gossipsub
                    .publish(self.topic.clone(), note)
                {
                    Ok(_)
                    | Err(gossipsub::PublishError::Duplicate)
                    | Err(gossipsub::PublishError::NoPeersSubscribedToTopic) => {}
                    Err(e) => tracing::warn!(error = %e, "checkpoint not announced"),
                }
            }
        }
    }

    fn set_connected(&self, peer: PeerId, up: bool) {
        if let Ok(mut c) = self.connected.lock() {
            if up {
                c.insert(peer);
            } else {
                c.remove(&peer);
            }
        }
    }

    fn on_event(&mut self, event: SwarmEvent<BehaviourEvent>) {
        match event {
            SwarmEvent::NewListenAddr { address, .. } => {
                tracing::info!(%address, "p2p listening");
                self.listening.send_modify(|a| a.push(address));
            }
            SwarmEvent::ConnectionEstablished { peer_id, .. } => {
                tracing::debug!(peer = %peer_id, "peer connected");
                self.set_connected(peer_id, true);
            }
            SwarmEvent::ConnectionClosed {
                peer_id,
                num_established: 0,
                ..
            } => {
                tracing::debug!(peer = %peer_id, "peer disconnected");
                self.set_connected(peer_id, false);
            }
            SwarmEvent::Behaviour(BehaviourEvent::Log(event)) => self.on_log(event),
            SwarmEvent::Behaviour(BehaviourEvent::Gossipsub(gossipsub::Event::Message {
                propagation_source,
                message,
                message_id,
            })) => {
                let announcement = Announcement {
                    from: propagation_source,
                    note: message.data,
                    id: message_id,
                };
                if self.announcements.try_send(announcement).is_err() {
                    tracing::debug!("announcement dropped: replication is busy");
                }
            }
            _ => {}
        }
    }

    fn on_log(&mut self, event: request_response::Event<Request, Response>) {
        use request_response::{Event, Message};
        match event {
            Event::Message {
                peer,
                message:
                    Message::Request {
                        request, channel, ..
                    },
                ..
            } => {
                // Answers run on blocking threads; bounded overall and per peer, a flood of
                // requests gets "busy".
                let share = crate::shares::Shares::take(&self.per_peer, peer);
                let slot = self.serving.clone().try_acquire_owned().ok();
                let (Some(share), Some(slot)) = (share, slot) else {
                    tracing::debug!(%peer, "request refused: busy");
                    let busy = Response::Refused {
                        code: 503,
                        reason: "busy: ask again later".into(),
                    };
                    let _ = self.swarm.behaviour_mut().log.send_response(channel, busy);
                    return;
                };
                let serve = self.serve.clone();
                let responder = self.responder.clone();
                tokio::task::spawn_blocking(move || {
                    let _held = (slot, share);
                    let response = serve(peer, request);
                    let _ = responder.blocking_send(Command::Respond { channel, response });
                });
            }
            Event::Message {
                message:
                    Message::Response {
                        request_id,
                        response,
                    },
                ..
            } => {
                if let Some(reply) = self.pending.remove(&request_id) {
                    let _ = reply.send(Ok(response));
                }
            }
            Event::OutboundFailure {
                request_id, error, ..
            } => {
                if let Some(reply) = self.pending.remove(&request_id) {
                    let _ = reply.send(Err(error.to_string()));
                }
            }
            Event::InboundFailure { peer, error, .. } => {
                tracing::debug!(%peer, error = %error, "request from peer failed");
            }
            Event::ResponseSent { .. } => {}
        }
    }
}

/// Redials each address at most this often.
pub const REDIAL: Duration = Duration::from_secs(3);

/// Remembers when each address was last dialled, so an unreachable peer is not hammered.
#[derive(Default)]
pub struct DialBackoff {
    last: BTreeMap<String, Instant>,
}

impl DialBackoff {
    /// True if `addr` may be dialled now (and records the attempt).
    pub fn attempt(&mut self, addr: &Multiaddr) -> bool {
        let now = Instant::now();
        let key = addr.to_string();
        match self.last.get(&key) {
            Some(t) if now.duration_since(*t) < REDIAL => false,
            _ => {
                self.last.insert(key, now);
                true
            }
        }
    }
}
