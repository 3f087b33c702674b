//! The CITES Management Authority node.
//!
//! - [`config`]: the TOML configuration and its `CITES_*` overrides.
//! - [`keys`]: the log signing key on disk.
//! - [`anchor`]: the node's own log (ledger store + sequencer) as the handlers see it.
//! - [`http`]: the HTTP surface (log tiles, permit validation, pages).
//! - [`users`], [`auth`]: accounts, roles, sessions and tokens; [`workflow`]: applications
//!   from draft to issuance; [`permits`]: cancel, suspend, replace, endorse; [`audit`],
//!   [`feed`]: the audit trail (anchored in the log) and the event feed.
//! - [`dev`]: the local development network.
//!
//! The node owns the async runtime and the network; everything below it (`contracts`, `ledger`)
//! is synchronous.

pub mod alerts;
pub mod anchor;
pub mod audit;
pub mod auth;
pub mod backup;
pub mod client;
pub mod config;
pub mod dev;
pub mod did_http;
pub mod documents;
pub mod epix;
pub mod epix_soap;
pub mod feed;
pub mod genesis_cli;
pub mod http;
pub mod issuance;
pub mod issuer;
pub mod keys;
pub mod metrics;
pub mod notify;
pub mod offline;
pub mod oid4vci;
pub mod p2p;
mod pages;
pub mod peering;
pub mod permit_cli;
pub mod permits;
pub mod portal;
pub mod references;
pub mod registry;
pub mod replicate;
pub mod report;
pub mod risk;
pub mod rotation;
pub mod serve;
pub mod shares;
pub mod store;
pub mod tls;
pub mod trust;
pub mod user_cli;
pub mod users;
pub mod vcapi;
pub mod verify_cli;
pub mod witnessing;
pub mod workflow;

use std::sync::Arc;

use anyhow::Context;
use tokio::net::TcpListener;
use tokio::sync::watch;

use crate::anchor::Anchor;
use crate::config::Config;

/// How log lines are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum LogFormat {
    /// Human-readable lines.
    Text,
    /// One JSON object per line, for log collectors.
    Json,
}

/// Installs the tracing subscriber; `RUST_LOG` filters (default `info`).
pub fn init_tracing(format: LogFormat) {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    match format {
        LogFormat::Text => builder.init(),
        LogFormat::Json => builder.json().init(),
    }
}

/// A started node.
pub struct RunningNode {
    /// Its configuration.
    pub config: Config,
    /// The address it listens on (the real port when the config said 0).
    pub addr: std::net::SocketAddr,
    state: Arc<http::AppState>,
    server: tokio::task::JoinHandle<std::io::Result<()>>,
    epix_server: Option<tokio::task::JoinHandle<std::io::Result<()>>>,
}

impl RunningNode {
    /// Opens the store, starts the sequencer and serves HTTP until `shutdown` changes.
    pub async fn start(
        config: Config,
        create_key: bool,
        shutdown: watch::Receiver<bool>,
    ) -> anyhow::Result<RunningNode> {
        config.check_exposure()?;
        tls::install_provider();
        let signer = keys::load_log_key(&config, create_key)?;
        let anchor = {
            let config = config.clone();
            tokio::task::spawn_blocking(move || Anchor::open(&config, signer)).await??
        };
        let listener = TcpListener::bind(config.listen)
            .await
            .with_context(|| format!("{}: cannot listen on {}", config.name, config.listen))?;
        let addr = listener.local_addr()?;
        let registry = match &config.genesis {
            Some(path) => Some(registry::NodeRegistry::load(
                path,
                &config.did(),
                anchor.reader(),
            )?),
            None => None,
        };
        rotation::finish_interrupted(&config, registry.as_ref())?;
        let issuer = issuer::Issuer::load(&config, create_key)?;
        let issuance = issuance::Issuance::load(anchor.store())?;
        let tls = tls::acceptor(&config)?;
        let base_url = format!("{}://{addr}", config.scheme());
        let status_credentials =
            std::sync::RwLock::new(vcapi::sign_status_lists(&issuer, &issuance, &base_url)?);
        let journal = audit::Journal::load(anchor.store())?;
        let (quotas, history) = issuance::books(&config, anchor.store())?;
        let species = config.species()?;
        let users = users::Users::new(anchor.store().clone());
        let api_token = keys::load_api_token(&config, create_key)?;
        let witness = match &config.genesis {
            Some(_) => {
                keys::witness_verifier(&config, create_key)?;
                let key = keys::read_secret(&config.witness_key_path(), "witness key")?;
                Some(witnessing::NodeWitness::new(anchor.store().clone(), &key)?)
            }
            None => None,
        };
        let state = Arc::new(http::AppState {
            config: config.clone(),
            quotas: std::sync::Mutex::new(quotas),
            history: std::sync::Mutex::new(history),
            anchor,
            issuer,
            issuance,
            species,
            status_credentials,
            api_token,
            domain: addr.to_string(),
            base_url,
            challenges: vcapi::Challenges::default(),
            nonces: vcapi::Challenges::default(),
            offers_lock: std::sync::Mutex::new(()),
            registry,
            replicas: replicate::Replicas::default(),
            witness,
            network: std::sync::OnceLock::new(),
            epix_seen: epix::SeenRequests::default(),
            peers_http: client::peer_agent(&config, std::time::Duration::from_secs(20))?,
            users,
            throttle: users::Throttle::default(),
            password_slots: tokio::sync::Semaphore::new(2),
            journal,
            workflow_lock: tokio::sync::Mutex::new(()),
            metrics: metrics::Metrics::default(),
        });
        if config.p2p_listen.is_some() && state.registry.is_some() {
            let network = peering::start(state.clone(), shutdown.clone())?;
            let _ = state.network.set(network);
        }
        let app = http::router(state.clone());
        tokio::spawn(replicate::run(
            state.clone(),
            config.peers.clone(),
            std::time::Duration::from_millis(config.sync_interval_ms),
            shutdown.clone(),
        ));
        tokio::spawn(notify::run(state.clone(), shutdown.clone()));
        tokio::spawn(audit::run_anchoring(
            state.clone(),
            std::time::Duration::from_millis(config.checkpoint_interval_ms.max(1000)),
            shutdown.clone(),
        ));
        let epix_server = match tls::epix_clients(&config)? {
            Some(clients) => {
                let acceptor = tls::epix_acceptor(&config, &clients)?;
                let at = config
                    .epix
                    .as_ref()
                    .map(|e| e.listen)
                    .context("no [epix]")?;
                let listener = TcpListener::bind(at)
                    .await
                    .with_context(|| format!("{}: cannot listen for EPIX on {at}", config.name))?;
                tracing::info!(node = %config.name, %at, "EPIX over HTTPS with client certificates");
                Some(tokio::spawn(serve::serve(
                    listener,
                    Some(acceptor),
                    epix_soap::router(state.clone(), clients),
                    config.limits.clone(),
                    shutdown.clone(),
                )))
            }
            None => None,
        };
        let server = tokio::spawn(serve::serve(
            listener,
            tls,
            app,
            config.limits.clone(),
            shutdown,
        ));
        tracing::info!(node = %config.name, %addr, origin = %config.log_origin, "node started");
        Ok(RunningNode {
            config,
            addr,
            state,
            server,
            epix_server,
        })
    }

    /// The node's shared state, for in-process tools (the dev network).
    pub fn state(&self) -> &Arc<http::AppState> {
        &self.state
    }

    /// The node's log, for in-process tests and tools.
    pub fn anchor(&self) -> &Anchor {
        &self.state.anchor
    }

    /// Waits for the HTTP server to finish (after shutdown was signalled), then flushes and
    /// closes the log.
    pub async fn stopped(self) -> anyhow::Result<()> {
        self.server.await??;
        if let Some(epix) = self.epix_server {
            epix.await??;
        }
        let name = self.config.name.clone();
        let state = self.state;
        // The background tasks (replication, notifications, audit anchoring) drop their share
        // of the state once they see the shutdown; the store closes only when the last share
        // goes, and a restart in this process needs it closed.
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
        while Arc::strong_count(&state) > 1 && std::time::Instant::now() < deadline {
            tokio::time::sleep(std::time::Duration::from_millis(10)).await;
        }
        tokio::task::spawn_blocking(move || state.anchor.shutdown()).await??;
        tracing::info!(node = %name, "node stopped");
        Ok(())
    }
}

/// Runs nodes until Ctrl-C or SIGTERM, then stops them cleanly.
pub async fn run_until_signal(configs: Vec<Config>) -> anyhow::Result<()> {
    // Installed first, so a signal during start-up still stops the nodes cleanly.
    use tokio::signal::unix::{SignalKind, signal};
    let mut term = signal(SignalKind::terminate())?;
    let mut int = signal(SignalKind::interrupt())?;
    let dev = configs.len() > 1;
    let (tx, rx) = watch::channel(false);
    let mut nodes = Vec::new();
    for config in configs {
        nodes.push(RunningNode::start(config, dev, rx.clone()).await?);
    }
    if dev {
        dev::accredit_all(&nodes).await?;
        dev::demo_users(&nodes).await?;
    }
    println!();
    for n in &nodes {
        let url = format!("{}://{}", n.config.scheme(), n.addr);
        println!("  {:<34} {url}/   portal: {url}/portal", n.config.name);
        if n.config.tls.as_ref().is_some_and(|t| t.self_signed) {
            let cert = n.config.self_signed_paths().0;
            println!("  {:<34} self-signed certificate {}", "", cert.display());
        }
    }
    if dev {
        println!(
            "\nLogins on every node, in the portal or with POST /auth/login (browsers share cookies \
             across ports: open each node's portal in its own private window):"
        );
        for role in dev::DEMO_ROLES {
            println!(
                "  {:<16} password {}",
                role.as_str(),
                dev::demo_password(role)
            );
        }
    }
    println!("\nPress Ctrl-C to stop.");
    wait_for_signal(&mut term, &mut int).await?;
    tracing::info!("stopping");
    let _ = tx.send(true);
    for n in nodes {
        n.stopped().await?;
    }
    Ok(())
}

async fn wait_for_signal(
    term: &mut tokio::signal::unix::Signal,
    int: &mut tokio::signal::unix::Signal,
) -> anyhow::Result<()> {
    tokio::select! {
        _ = int.recv() => {}
        _ = term.recv() => {}
    }
    Ok(())
}
