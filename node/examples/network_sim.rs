//! Simulation of a whole network in one process: the Secretariat and NODES-1 Management
//! Authorities (185 = one per CITES Party plus the Secretariat), each a real node (its own
//! RocksDB, HTTP server and libp2p swarm on 127.0.0.1), the first WITNESSES MAs being the
//! genesis's witnesses with quorum QUORUM.
//!
//! cargo run --release -p node --example network_sim -- [NODES [ROUNDS [WITNESSES [QUORUM [MAX_PEERS [POLL_MS [SETTLE_S]]]]]]]
//!
//! After every node is accredited and holds the Secretariat's log, and SETTLE_S seconds
//! (default 120) for the start-up traffic to pass, each round has one MA append an entry to its
//! log and measures the time until every node holds it under a checkpoint cosigned by the
//! quorum. Prints per-round times, percentiles over rounds and over (node, round) pairs, and
//! the bytes that crossed the loopback interface per round (from /proc/net/dev: the whole
//! machine's loopback, so run it on a quiet machine).

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::{Duration, Instant};

use node::RunningNode;
use node::config::{Config, Role};

fn loopback_bytes() -> u64 {
    let text = std::fs::read_to_string("/proc/net/dev").unwrap_or_default();
    text.lines()
        .find(|l| l.trim_start().starts_with("lo:"))
        .and_then(|l| l.split(':').nth(1))
        .and_then(|rest| rest.split_whitespace().next())
        .and_then(|b| b.parse().ok())
        .unwrap_or(0)
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let i = ((sorted.len() as f64 * p).ceil() as usize).clamp(1, sorted.len()) - 1;
    sorted[i]
}

fn arg(n: usize, default: usize) -> usize {
    std::env::args()
        .nth(n)
        .and_then(|a| a.parse().ok())
        .unwrap_or(default)
}

/// The nodes' data (13 GB for 185 nodes), in one fixed place emptied when a run starts and
/// when it ends: a run that is killed leaves its data for the next run to remove, not in /tmp
/// for good.
struct SimDir(std::path::PathBuf);

impl SimDir {
    fn new() -> anyhow::Result<SimDir> {
        let target = std::env::var_os("CARGO_TARGET_DIR").unwrap_or_else(|| "target".into());
        let dir = std::path::PathBuf::from(target).join("network-sim");
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir)?;
        Ok(SimDir(dir))
    }

    fn path(&self) -> &std::path::Path {
        &self.0
    }
}

impl Drop for SimDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let (nodes, rounds, witnesses, quorum, max_peers) =
        (arg(1, 185), arg(2, 20), arg(3, 7), arg(4, 4), arg(5, 8));
    let poll_ms = arg(6, 5000) as u64;
    let settle_s = arg(7, 120) as u64;
    tracing_subscriber::fmt()
        .with_env_filter(
            std::env::var("RUST_LOG").unwrap_or_else(|_| "error,network_sim=info".into()),
        )
        .init();
    let dir = SimDir::new()?;
    let parties: Vec<contracts::Country> = contracts::Country::all()
        .filter(|c| c.code() != "CH")
        .take(nodes - 1)
        .collect();
    anyhow::ensure!(parties.len() == nodes - 1, "not enough Party codes");
    let mut configs = Vec::new();
    for i in 0..nodes {
        let (role, party, id) = if i == 0 {
            (Role::Secretariat, "CH".parse()?, "secretariat".to_owned())
        } else {
            let p = parties[i - 1];
            (Role::ManagementAuthority, p, p.code().to_lowercase())
        };
        let mut c = Config::new(
            format!("node {id}"),
            role,
            party,
            format!("cites.sim/{id}"),
            ([127, 0, 0, 1], e2e_support::free_port()).into(),
            dir.path().join(&id),
        );
        c.address = "1 Simulation Street".into();
        c.place = "Simulation".into();
        c.p2p_listen = Some(([127, 0, 0, 1], e2e_support::free_port()).into());
        c.p2p_max_peers = max_peers;
        // One process shares tokio's 512 blocking threads among all the nodes.
        c.p2p_sync_slots = 2;
        c.sync_interval_ms = poll_ms;
        c.checkpoint_interval_ms = 100;
        node::keys::load_log_key(&c, true)?;
        node::issuer::Issuer::load(&c, true)?;
        node::keys::load_api_token(&c, true)?;
        node::keys::witness_verifier(&c, true)?;
        configs.push(c);
    }
    let witness_keys = configs[1..=witnesses]
        .iter()
        .map(|c| node::keys::witness_verifier(c, false))
        .collect::<anyhow::Result<Vec<_>>>()?;
    let genesis = dir.path().join("genesis.json");
    node::genesis_cli::create(
        &configs[0],
        "cites-sim",
        &witness_keys,
        quorum as u32,
        &[],
        &genesis,
    )?;
    let bootstrap = format!(
        "{}/p2p/{}",
        node::peering::socket_multiaddr(configs[0].p2p_listen.unwrap()),
        node::issuer::network_peer_id(&configs[0])?
    );
    for c in configs.iter_mut() {
        c.genesis = Some(genesis.clone());
        c.p2p_bootstrap = vec![bootstrap.clone()];
    }
    let (_stop, rx) = tokio::sync::watch::channel(false);
    let started = Instant::now();
    let mut running: Vec<RunningNode> = Vec::new();
    for c in configs {
        running.push(RunningNode::start(c, true, rx.clone()).await?);
    }
    tracing::info!(nodes, elapsed = ?started.elapsed(), "nodes started");
    node::dev::accredit_all(&running).await?;
    tracing::info!(elapsed = ?started.elapsed(), "every MA accredited");

    // Wait until every node holds every log (the Secretariat's accreditations included).
    let origins: Vec<String> = running
        .iter()
        .map(|n| n.anchor().origin().to_owned())
        .collect();
    let everywhere = |origin: &str, size: u64, cosigned: bool| {
        running.iter().all(|n| {
            node::peering::log_status(n.state(), origin).is_ok_and(|h| {
                h.size >= size && h.checkpoint >= size && (!cosigned || h.cosignatures >= quorum)
            })
        })
    };
    let deadline = Instant::now() + Duration::from_secs(600);
    loop {
        let sec_size = node::peering::log_status(running[0].state(), &origins[0])?.size;
        if everywhere(&origins[0], sec_size, false) {
            break;
        }
        anyhow::ensure!(
            Instant::now() < deadline,
            "the network did not converge in 10 minutes"
        );
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    let connections: usize = running
        .iter()
        .map(|n| {
            n.state()
                .network
                .get()
                .map_or(0, |net| net.connected().len())
        })
        .sum();
    tracing::info!(
        elapsed = ?started.elapsed(),
        connections = connections / 2,
        "the Secretariat's log is everywhere"
    );
    // Each MA announces its empty log's first checkpoint at start: 185 x 184 replications,
    // which ran past the Secretariat's log and into round 0 on one VM (round 0 took 5-13 s
    // there, the others under 1 s). Nothing a node holds tells when that wave has passed, so
    // the sim waits SETTLE_S and then reports the idle traffic, which shows whether it had.
    tracing::info!(settle_s, "letting the start-up announcements pass");
    tokio::time::sleep(Duration::from_secs(settle_s)).await;
    let idle_from = (loopback_bytes(), Instant::now());
    tokio::time::sleep(Duration::from_secs(10)).await;
    let idle_rate = (loopback_bytes() - idle_from.0) as f64 / idle_from.1.elapsed().as_secs_f64();

    let mut per_round = Vec::new();
    let mut per_node = Vec::new();
    let mut at_owner = Vec::new();
    let mut bytes = Vec::new();
    for round in 0..rounds {
        let writer = 1 + (round * 37) % (nodes - 1);
        let origin = &origins[writer];
        let before = loopback_bytes();
        tracing::info!(round, %origin, "round starts");
        let t0 = Instant::now();
        let index = running[writer]
            .anchor()
            .append_with(format!("simulation entry {round}").into_bytes(), Vec::new())
            .await?;
        let size = index + 1;
        let mut done: Vec<Option<Duration>> = vec![None; nodes];
        // When the writer itself holds the quorum's cosignatures: the rest is replication.
        let mut cosigned = None;
        let deadline = Instant::now() + Duration::from_secs(30);
        while done.iter().any(Option::is_none) && Instant::now() < deadline {
            if cosigned.is_none()
                && node::peering::log_status(running[writer].state(), origin)
                    .is_ok_and(|h| h.checkpoint >= size && h.cosignatures >= quorum)
            {
                cosigned = Some(t0.elapsed());
            }
            for (i, n) in running.iter().enumerate() {
                if done[i].is_none()
                    && node::peering::log_status(n.state(), origin).is_ok_and(|h| {
                        h.size >= size && h.checkpoint >= size && h.cosignatures >= quorum
                    })
                {
                    done[i] = Some(t0.elapsed());
                }
            }
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        let missing = done.iter().filter(|d| d.is_none()).count();
        for (i, _) in done.iter().enumerate().filter(|(_, d)| d.is_none()) {
            let state = running[i].state();
            let held = node::peering::log_status(state, origin).ok();
            let peers = state.network.get().map_or(0, |n| n.connected().len());
            println!(
                "  missing at {}: {:?} (size, checkpoint, cosignatures), {peers} peers",
                origins[i],
                held.map(|h| (h.size, h.checkpoint, h.cosignatures))
            );
        }
        let slowest = done.iter().flatten().max().copied().unwrap_or_default();
        let used = loopback_bytes() - before;
        println!(
            "round {round:2}: {origin} size {size}: cosigned at its node in {:?}, everywhere in {slowest:?}{} ({used} bytes on lo)",
            cosigned.unwrap_or_default(),
            if missing > 0 {
                format!(", {missing} nodes missing after 30 s")
            } else {
                String::new()
            }
        );
        per_round.push(slowest);
        at_owner.extend(cosigned);
        per_node.extend(done.into_iter().flatten());
        bytes.push(used);
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    per_round.sort();
    per_node.sort();
    at_owner.sort();
    println!(
        "\n{nodes} nodes, {witnesses} witnesses, quorum {quorum}, max_peers {max_peers}, polls every {poll_ms} ms, {} connections",
        connections / 2
    );
    println!(
        "time until replicated and cosigned everywhere, per round: p50 {:?} p99 {:?} max {:?}",
        percentile(&per_round, 0.5),
        percentile(&per_round, 0.99),
        per_round.last().copied().unwrap_or_default()
    );
    println!(
        "per (node, round): p50 {:?} p99 {:?}",
        percentile(&per_node, 0.5),
        percentile(&per_node, 0.99)
    );
    println!(
        "cosigned by the quorum at the writer's node: p50 {:?} p99 {:?}",
        percentile(&at_owner, 0.5),
        percentile(&at_owner, 0.99)
    );
    let mean_bytes = bytes.iter().sum::<u64>() as f64 / bytes.len().max(1) as f64;
    println!(
        "loopback bytes per round (incl. background): mean {:.0} KiB; idle background {:.0} KiB/s",
        mean_bytes / 1024.0,
        idle_rate / 1024.0
    );
    Ok(())
}
