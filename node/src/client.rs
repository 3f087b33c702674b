//! The node as an HTTP client of other nodes (replication, witnessing, status lists) and of the
//! `verify` command: one configuration, status codes returned rather than turned into errors,
//! every request bounded in time.

use std::time::Duration;

/// An HTTP agent whose requests give up after `timeout`; HTTPS to the public Web PKI. Cheap
/// to clone; reuse it to keep connections open.
pub fn agent(timeout: Duration) -> ureq::Agent {
    with_roots(timeout, ureq::tls::RootCerts::WebPki)
}

/// The node's agent for its peers: HTTPS to certificates that chain to `trust_ca` (or the Web
/// PKI when the config names none).
pub fn peer_agent(
    config: &crate::config::Config,
    timeout: Duration,
) -> anyhow::Result<ureq::Agent> {
    Ok(with_roots(timeout, crate::tls::client_roots(config)?))
}

/// An agent that accepts only certificates chaining to those of the PEM file `own`: the
/// operator's CLI talking to its own node.
pub fn agent_trusting(own: &std::path::Path, timeout: Duration) -> anyhow::Result<ureq::Agent> {
    Ok(with_roots(timeout, crate::tls::roots_from([own])?))
}

fn with_roots(timeout: Duration, roots: ureq::tls::RootCerts) -> ureq::Agent {
    crate::tls::install_provider();
    let tls = ureq::tls::TlsConfig::builder()
        .provider(ureq::tls::TlsProvider::Rustls)
        .root_certs(roots)
        .build();
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(timeout))
        .tls_config(tls)
        .build()
        .into()
}
