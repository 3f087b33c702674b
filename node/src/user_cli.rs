//! `cites-node user add | list | disable`: account administration of a running node, over its
//! HTTP API with the operator's token (the node holds the database open, so the CLI never
//! touches it directly; every change goes through the same checks and audit trail).

use std::io::{BufRead, Write};

use anyhow::{Context, bail};
use serde_json::{Value, json};

use crate::config::Config;
use crate::users::Role;

/// Calls the running node's API as its operator (the token in its data directory); a refusal
/// becomes an error carrying the node's problem detail.
pub fn call(
    config: &Config,
    method: &str,
    path: &str,
    body: Option<Value>,
) -> anyhow::Result<Value> {
    let token = crate::keys::read_secret(&config.api_token_path(), "API token")?;
    let (base, agent) = local_api(config, std::time::Duration::from_secs(30))?;
    let url = format!("{base}{path}");
    let auth = format!("Bearer {token}");
    let response = match (method, body) {
        ("POST", Some(b)) => agent
            .post(&url)
            .header("authorization", &auth)
            .send_json(&b),
        ("POST", None) => agent.post(&url).header("authorization", &auth).send_empty(),
        _ => agent.get(&url).header("authorization", &auth).call(),
    };
    let mut r = response.with_context(|| {
        format!("cannot reach the node at {url}; is it running (`cites-node run --config ...`)?")
    })?;
    let status = r.status().as_u16();
    let text = r.body_mut().read_to_string().unwrap_or_default();
    let value: Value = serde_json::from_str(&text).unwrap_or(Value::String(text));
    if status >= 400 {
        let detail = value["detail"].as_str().unwrap_or("no detail");
        bail!("the node refused ({status}): {detail}");
    }
    Ok(value)
}

/// Where the operator's commands reach the running node from its own machine: its listening
/// address (loopback when it listens on every interface), over HTTPS when it serves HTTPS,
/// trusting the node's own certificate alone, so the token goes to this node and no other.
/// `CITES_ADMIN_URL` overrides the address, for a certificate that names only the public host;
/// plain `http://` is taken only to a loopback address.
pub fn local_api(
    config: &Config,
    timeout: std::time::Duration,
) -> anyhow::Result<(String, ureq::Agent)> {
    let base = match std::env::var("CITES_ADMIN_URL") {
        Ok(url) if !url.trim().is_empty() => {
            let url = url.trim().trim_end_matches('/').to_owned();
            check_admin_url(&url)?;
            url
        }
        _ => {
            let mut addr = config.listen;
            if addr.ip().is_unspecified() {
                // Also the way in to a dual-stack `[::]` listener; the development
                // certificate names 127.0.0.1.
                addr.set_ip(std::net::Ipv4Addr::LOCALHOST.into());
            }
            format!("{}://{addr}", config.scheme())
        }
    };
    let agent = match &config.tls {
        None => crate::client::agent(timeout),
        Some(tls) => {
            let own = match &tls.cert {
                Some(cert) if !tls.self_signed => cert.clone(),
                _ => config.self_signed_paths().0,
            };
            crate::client::agent_trusting(&own, timeout)?
        }
    };
    Ok((base, agent))
}

/// Refuses a `CITES_ADMIN_URL` that would send the operator's token in clear off the machine.
fn check_admin_url(url: &str) -> anyhow::Result<()> {
    let parsed =
        url::Url::parse(url).with_context(|| format!("CITES_ADMIN_URL {url:?} is not a URL"))?;
    let loopback = match parsed.host() {
        Some(url::Host::Domain(name)) => name == "localhost",
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        None => false,
    };
    match parsed.scheme() {
        "https" => Ok(()),
        "http" if loopback => Ok(()),
        "http" => bail!(
            "CITES_ADMIN_URL {url:?}: the operator's token goes over plain HTTP to loopback only; use https://"
        ),
        other => bail!("CITES_ADMIN_URL {url:?}: {other}: is not http: or https:"),
    }
}

/// Fetches `path` from the running node as its operator: the body, or the node's refusal (its
/// problem detail, or each row problem of a report) as the error.
pub fn fetch(config: &Config, path: &str) -> anyhow::Result<Vec<u8>> {
    let token = crate::keys::read_secret(&config.api_token_path(), "API token")?;
    let (base, agent) = local_api(config, std::time::Duration::from_secs(60))?;
    let url = format!("{base}{path}");
    let mut r = agent
        .get(&url)
        .header("authorization", &format!("Bearer {token}"))
        .call()
        .with_context(|| format!("cannot reach the node at {url}"))?;
    let status = r.status().as_u16();
    let body = r.body_mut().read_to_vec().unwrap_or_default();
    if status >= 400 {
        let v: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
        let mut why = v["detail"].as_str().unwrap_or("").to_owned();
        for p in v["problems"].as_array().into_iter().flatten() {
            why.push_str(&format!(
                "\n  row {} {}: {}",
                p["row"],
                p["column"].as_str().unwrap_or(""),
                p["message"].as_str().unwrap_or("")
            ));
        }
        bail!("the node refused ({status}): {why}");
    }
    Ok(body)
}

/// Adds a user; with `password_stdin` the password is the first line of standard input,
/// otherwise one is generated and printed once.
pub fn add(
    config: &Config,
    username: &str,
    name: &str,
    role: Role,
    email: Option<&str>,
    password_stdin: bool,
    out: &mut impl Write,
) -> anyhow::Result<()> {
    let (password, generated) = if password_stdin {
        let mut line = String::new();
        std::io::stdin()
            .lock()
            .read_line(&mut line)
            .context("cannot read the password from standard input")?;
        (line.trim_end_matches(['\r', '\n']).to_owned(), false)
    } else {
        (crate::users::generate_password()?, true)
    };
    let answer = call(
        config,
        "POST",
        "/users",
        Some(
            json!({ "username": username, "name": name, "role": role, "password": password, "email": email }),
        ),
    )?;
    writeln!(
        out,
        "created {username} ({role}), official id {}",
        answer["user"]["official_id"].as_str().unwrap_or("?")
    )?;
    if let Some(r) = answer["registry"].as_str() {
        writeln!(out, "registry entry: {r}")?;
    }
    if generated {
        writeln!(out, "password (shown once): {password}")?;
    }
    Ok(())
}

/// Lists users.
pub fn list(config: &Config, out: &mut impl Write) -> anyhow::Result<()> {
    let answer = call(config, "GET", "/users", None)?;
    writeln!(
        out,
        "{:<24} {:<16} {:<10} name",
        "username", "role", "state"
    )?;
    for u in answer["users"].as_array().into_iter().flatten() {
        let text = |k: &str| u[k].as_str().unwrap_or_default().to_owned();
        let state = if u["disabled"].as_bool() == Some(true) {
            "disabled"
        } else {
            "active"
        };
        writeln!(
            out,
            "{:<24} {:<16} {:<10} {}",
            text("username"),
            text("role"),
            state,
            text("name")
        )?;
    }
    Ok(())
}

/// Disables a user.
pub fn disable(config: &Config, username: &str, out: &mut impl Write) -> anyhow::Result<()> {
    let answer = call(config, "POST", &format!("/users/{username}/disable"), None)?;
    writeln!(out, "disabled {username}")?;
    if let Some(r) = answer["registry"].as_str() {
        writeln!(out, "registry entry: {r}")?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_token_goes_in_clear_to_loopback_only() {
        for good in [
            "https://cites.example.gov",
            "http://127.0.0.1:8700",
            "http://localhost:8700/",
            "http://[::1]:8700",
        ] {
            assert!(super::check_admin_url(good).is_ok(), "{good}");
        }
        for bad in [
            "http://10.0.0.5:8700",
            "http://cites.example.gov",
            "ftp://127.0.0.1",
            "127.0.0.1:8700",
        ] {
            assert!(super::check_admin_url(bad).is_err(), "{bad}");
        }
    }
}
