//! `cites-node dev`: a whole network on 127.0.0.1 in one command, for trying the system out.
//! The data directory is kept between runs, so logs grow and keys stay the same.

use std::path::Path;

use anyhow::Context;

use crate::config::{Config, Role};

/// The nodes of the development network: the Secretariat and the MAs of Ghana and Germany
/// (the two Parties of the example permits).
pub fn configs(data_dir: &Path, first_port: u16, tls: bool) -> anyhow::Result<Vec<Config>> {
    std::fs::create_dir_all(data_dir)
        .with_context(|| format!("cannot create {}", data_dir.display()))?;
    let data_dir = data_dir
        .canonicalize()
        .with_context(|| format!("cannot resolve {}", data_dir.display()))?;
    let nodes = [
        (
            "secretariat",
            "CITES Secretariat",
            Role::Secretariat,
            "CH",
            ("Palais des Nations, 1211 Geneva", "Geneva", "CHF"),
        ),
        (
            "gh",
            "Management Authority of Ghana",
            Role::ManagementAuthority,
            "GH",
            ("Wildlife Division, PO Box MB 239, Accra", "Accra", "GHS"),
        ),
        (
            "de",
            "Management Authority of Germany",
            Role::ManagementAuthority,
            "DE",
            (
                "Bundesamt für Naturschutz, Konstantinstr. 110, 53179 Bonn",
                "Bonn",
                "EUR",
            ),
        ),
    ];
    let mut configs = Vec::new();
    for (i, (id, name, role, party, (address, place, currency))) in nodes.into_iter().enumerate() {
        let port = first_port
            .checked_add(i as u16)
            .context("--port is too high for three nodes")?;
        let config = Config::new(
            name,
            role,
            party.parse()?,
            format!("cites.dev/{id}"),
            ([127, 0, 0, 1], port).into(),
            data_dir.join(id),
        );
        let mut config = config;
        config.address = address.into();
        config.place = place.into();
        for (kind, amount) in [("export_permit", 5000), ("re_export_certificate", 3000)] {
            let fee = contracts::application::Money {
                amount,
                currency: currency.into(),
            };
            config.fees.insert(kind.into(), fee);
        }
        if tls {
            config.tls = Some(crate::config::TlsConfig {
                self_signed: true,
                ..Default::default()
            });
        }
        config.check()?;
        configs.push(config);
    }
    // Every node is on the peer-to-peer network, 100 ports above its HTTP port.
    for c in configs.iter_mut() {
        let p2p = c
            .listen
            .port()
            .checked_add(100)
            .context("--port is too high for the p2p ports")?;
        c.p2p_listen = Some(([127, 0, 0, 1], p2p).into());
        c.sync_interval_ms = 500;
    }
    pin_genesis(&data_dir, &mut configs)?;
    // Every node dials the others directly: a data directory from before the nodes listed
    // their libp2p address in their accreditation still forms the whole mesh.
    let addrs: Vec<String> = configs
        .iter()
        .map(|c| {
            Ok(format!(
                "{}/p2p/{}",
                crate::peering::socket_multiaddr(c.p2p_listen.context("no p2p address")?),
                crate::issuer::network_peer_id(c)?
            ))
        })
        .collect::<anyhow::Result<_>>()?;
    for (i, c) in configs.iter_mut().enumerate() {
        c.p2p_bootstrap = addrs
            .iter()
            .enumerate()
            .filter(|(j, _)| *j != i)
            .map(|(_, a)| a.clone())
            .collect();
    }
    Ok(configs)
}

/// On the first run, the Secretariat accredits the MA nodes (from their own accreditation
/// requests), so the dev network verifies across nodes as a real one does.
pub async fn accredit_all(nodes: &[crate::RunningNode]) -> anyhow::Result<()> {
    let secretariat = nodes
        .iter()
        .find(|n| n.config.role == Role::Secretariat)
        .context("the dev network has no Secretariat")?;
    let state = secretariat.state();
    let registry = state
        .registry
        .as_ref()
        .context("the Secretariat pins no genesis")?;
    for node in nodes
        .iter()
        .filter(|n| n.config.role == Role::ManagementAuthority)
    {
        let did = node.state().issuer.did.clone();
        if registry.resolve(&did, &did_registry::AsOf::Now)?.is_ok() {
            continue;
        }
        let request = crate::registry::accreditation_request(node.state())?;
        let body: did_registry::Body = serde_json::from_value(request)?;
        registry
            .write(&state.anchor, &state.issuer, body)
            .await
            .with_context(|| format!("the Secretariat could not accredit {did}"))?;
        tracing::info!(%did, "accredited in the dev network");
    }
    Ok(())
}

/// Creates every node's keys and, on the first run, the network's genesis (the Secretariat as
/// root, the MA nodes as witnesses, quorum 1); every node pins it.
fn pin_genesis(data_dir: &Path, configs: &mut [Config]) -> anyhow::Result<()> {
    for c in configs.iter() {
        crate::keys::load_log_key(c, true)?;
        crate::issuer::Issuer::load(c, true)?;
        crate::keys::load_api_token(c, true)?;
        crate::keys::witness_verifier(c, true)?;
    }
    let path = data_dir.join("genesis.json");
    if !path.exists() {
        let witnesses = configs
            .iter()
            .filter(|c| c.role == Role::ManagementAuthority)
            .map(|c| crate::keys::witness_verifier(c, false))
            .collect::<anyhow::Result<Vec<_>>>()?;
        let secretariat = configs
            .iter()
            .find(|c| c.role == Role::Secretariat)
            .context("the dev network has no Secretariat")?;
        crate::genesis_cli::create(secretariat, "cites-dev", &witnesses, 1, &[], &path)?;
    }
    for c in configs.iter_mut() {
        c.genesis = Some(path.clone());
    }
    Ok(())
}

/// The demo accounts of every node: one per role, username = role, password `cites-dev-ROLE`.
pub const DEMO_ROLES: [crate::users::Role; 6] = crate::users::Role::ALL;

/// The password of a demo account.
pub fn demo_password(role: crate::users::Role) -> String {
    format!("cites-dev-{role}")
}

/// Creates the demo accounts that do not exist yet (announcing the officials on each log).
pub async fn demo_users(nodes: &[crate::RunningNode]) -> anyhow::Result<()> {
    let who = crate::audit::Who {
        user: "operator".into(),
        role: crate::users::Role::Admin,
    };
    let info = crate::audit::RequestInfo {
        request_id: "dev-setup".into(),
        method: "CLI".into(),
        path: "cites-node dev".into(),
        ..Default::default()
    };
    for node in nodes {
        let state = node.state();
        // An MA writes registry entries (its officials) only once it has replicated its own
        // accreditation from the Secretariat's log.
        if let Some(registry) = &state.registry {
            let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
            while registry
                .resolve(&state.issuer.did, &did_registry::AsOf::Now)?
                .is_err()
                && std::time::Instant::now() < deadline
            {
                tokio::time::sleep(std::time::Duration::from_millis(100)).await;
            }
        }
        for role in DEMO_ROLES {
            if state.users.get(role.as_str())?.is_some() {
                continue;
            }
            let name = format!("Demo {role} ({})", node.config.party);
            let account = crate::auth::NewAccount {
                username: role.as_str(),
                name: &name,
                role,
                password: &demo_password(role),
                email: None,
            };
            crate::auth::add_user(state, &who, &info, account)
                .await
                .with_context(|| {
                    format!("cannot create the demo {role} of {}", node.config.name)
                })?;
        }
    }
    Ok(())
}
