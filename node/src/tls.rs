//! The node's HTTPS (rustls over aws-lc-rs) and the trust its HTTPS client places in peers.
//!
//! A node in production gets its certificate from the administration's CA or a public one
//! (`[tls] cert`, `key`). For development and tests, `self_signed = true` makes one for
//! `localhost` and the listening address once, keeps it in the data directory, and clients are
//! given that file to trust; nothing is ever trusted on first use.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::{Context, bail};
use rustls::ServerConfig;
use rustls::server::danger::ClientCertVerifier;
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, PrivateKeyDer};
use sha2::{Digest, Sha256};

use crate::config::Config;

/// The crypto provider every TLS use in the process shares (the node's server, its ureq
/// client). Installing twice is harmless.
pub fn install_provider() {
    let _ = rustls::crypto::aws_lc_rs::default_provider().install_default();
}

/// The TLS acceptor for the node's listener, or none when it serves plain HTTP.
pub fn acceptor(config: &Config) -> anyhow::Result<Option<tokio_rustls::TlsAcceptor>> {
    if config.tls.is_none() {
        return Ok(None);
    }
    acceptor_with(config, None).map(Some)
}

/// The verifiers of EPIX client certificates: one for each Party's own CA, and one for all of
/// them together (the handshake's), read once when the node starts.
pub struct EpixClients {
    /// By Party code.
    pub by_party: std::collections::BTreeMap<String, Arc<dyn ClientCertVerifier>>,
    all: Arc<dyn ClientCertVerifier>,
}

/// The `[epix] clients` verifiers, or none when the node has no EPIX port.
pub fn epix_clients(config: &Config) -> anyhow::Result<Option<EpixClients>> {
    let Some(epix) = &config.epix else {
        return Ok(None);
    };
    let mut by_party = std::collections::BTreeMap::new();
    for (party, path) in &epix.clients {
        by_party.insert(party.clone(), verifier(std::slice::from_ref(path))?);
    }
    let all: Vec<PathBuf> = epix.clients.values().cloned().collect();
    Ok(Some(EpixClients {
        by_party,
        all: verifier(&all)?,
    }))
}

/// A verifier of client certificates chaining to the CAs in the PEM files `cas`.
fn verifier(cas: &[PathBuf]) -> anyhow::Result<Arc<dyn ClientCertVerifier>> {
    let mut roots = rustls::RootCertStore::empty();
    for path in cas {
        for der in read_certificates(path)? {
            roots
                .add(der)
                .with_context(|| format!("{}: not a CA certificate", path.display()))?;
        }
    }
    rustls::server::WebPkiClientVerifier::builder_with_provider(
        Arc::new(roots),
        Arc::new(rustls::crypto::aws_lc_rs::default_provider()),
    )
    .build()
    .context("epix.clients")
}

/// The acceptor of the EPIX service: the node's certificate, and a client certificate that
/// chains to one of the CAs in `[epix] clients` required of every client.
pub fn epix_acceptor(
    config: &Config,
    clients: &EpixClients,
) -> anyhow::Result<tokio_rustls::TlsAcceptor> {
    acceptor_with(config, Some(clients.all.clone()))
}

/// The node's certificate, HTTP/1.1, and client certificates checked by `clients` if given.
fn acceptor_with(
    config: &Config,
    clients: Option<Arc<dyn ClientCertVerifier>>,
) -> anyhow::Result<tokio_rustls::TlsAcceptor> {
    let (chain, key, cert) = identity(config)?;
    let builder = ServerConfig::builder_with_provider(Arc::new(
        rustls::crypto::aws_lc_rs::default_provider(),
    ))
    .with_safe_default_protocol_versions()?;
    let builder = match clients {
        Some(verifier) => builder.with_client_cert_verifier(verifier),
        None => builder.with_no_client_auth(),
    };
    let mut server = builder.with_single_cert(chain, key).with_context(|| {
        format!(
            "{}: the key does not go with the certificate",
            cert.display()
        )
    })?;
    server.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(tokio_rustls::TlsAcceptor::from(Arc::new(server)))
}

/// The node's certificate chain and key (making the development certificate first when
/// `self_signed` and there is none), and the certificate file's path for messages.
type Identity = (
    Vec<CertificateDer<'static>>,
    PrivateKeyDer<'static>,
    PathBuf,
);

fn identity(config: &Config) -> anyhow::Result<Identity> {
    let Some(tls) = &config.tls else {
        bail!("no [tls] in the config");
    };
    let (cert, key) = if tls.self_signed {
        let (cert, key) = config.self_signed_paths();
        if !cert.exists() {
            make_self_signed(config)?;
        }
        (cert, key)
    } else {
        match (&tls.cert, &tls.key) {
            (Some(c), Some(k)) => (c.clone(), k.clone()),
            _ => bail!("tls: give both cert and key (PEM files), or self_signed = true"),
        }
    };
    let chain = read_certificates(&cert)?;
    // The key file must be the node user's alone, as every other secret of the node.
    let key_pem = crate::keys::read_secret(&key, "TLS key")?;
    let key = PrivateKeyDer::from_pem_slice(key_pem.as_bytes())
        .with_context(|| format!("{}: no PEM private key", key.display()))?;
    Ok((chain, key, cert))
}

/// A client's certificate as the TLS handshake gave it, for handlers that identify the
/// caller by it (EPIX): the leaf, then the intermediates the client sent.
#[derive(Debug, Clone)]
pub struct ClientCertificate(pub Vec<u8>, pub Vec<Vec<u8>>);

impl ClientCertificate {
    /// The certificate's subject and the Party it speaks for: the one `C=` of its subject,
    /// provided the chain (the leaf, then the intermediates it came with) verifies against
    /// that Party's own CA in `clients`; the handshake only checked it against some CA.
    pub fn party(&self, clients: &EpixClients) -> anyhow::Result<(String, String)> {
        let (_, cert) = x509_parser::parse_x509_certificate(&self.0)
            .map_err(|e| anyhow::anyhow!("unreadable client certificate: {e}"))?;
        let subject = cert.subject();
        let countries: Vec<&str> = subject
            .iter_country()
            .filter_map(|c| c.as_str().ok())
            .collect();
        let [party] = countries.as_slice() else {
            bail!(
                "the client certificate ({subject}) must name one country (C=), not {}",
                countries.len()
            );
        };
        let party = party.trim().to_ascii_uppercase();
        // The chain again, against that Party's CA alone (names can be copied; keys cannot).
        let verifier = clients
            .by_party
            .get(&party)
            .with_context(|| format!("{party} is not a Party this node takes EPIX clients of"))?;
        let leaf = CertificateDer::from(self.0.clone());
        let intermediates: Vec<CertificateDer> = self
            .1
            .iter()
            .map(|c| CertificateDer::from(c.clone()))
            .collect();
        if verifier
            .verify_client_cert(&leaf, &intermediates, rustls_pki_types::UnixTime::now())
            .is_err()
        {
            bail!(
                "the client certificate ({subject}) names {party}, but {party}'s CA did not issue it"
            );
        }
        Ok((subject.to_string(), party))
    }
}

/// Makes the development certificate and key for `localhost`, the listening address and
/// the host of the node's did:web (refusing to replace them); returns the certificate's
/// SHA-256 fingerprint.
pub fn make_self_signed(config: &Config) -> anyhow::Result<String> {
    let (cert_path, key_path) = config.self_signed_paths();
    let mut names = vec!["localhost".to_owned(), "127.0.0.1".to_owned()];
    let ip = config.listen.ip();
    if !ip.is_unspecified() && !ip.is_loopback() {
        names.push(ip.to_string());
    }
    if let Some(host) = did_web_host(&config.did())
        && !names.contains(&host)
    {
        names.push(host);
    }
    let made = rcgen::generate_simple_self_signed(names)
        .context("cannot make a development certificate")?;
    crate::keys::write_secret(&key_path, made.key_pair.serialize_pem().as_bytes())?;
    let pem = made.cert.pem();
    std::fs::write(&cert_path, &pem)
        .with_context(|| format!("cannot write {}", cert_path.display()))?;
    Ok(fingerprint(made.cert.der()))
}

/// The host name of a did:web (`did:web:gh%3A8700:cites` is `gh`).
fn did_web_host(did: &str) -> Option<String> {
    let authority = did.strip_prefix("did:web:")?.split(':').next()?;
    let decoded = percent_encoding::percent_decode_str(authority)
        .decode_utf8()
        .ok()?;
    let host = match decoded.rsplit_once(':') {
        Some((host, port)) if port.bytes().all(|b| b.is_ascii_digit()) => host,
        _ => &decoded,
    };
    (!host.is_empty()).then(|| host.to_owned())
}

/// The certificates of a PEM file, leaf first.
pub fn read_certificates(path: &Path) -> anyhow::Result<Vec<CertificateDer<'static>>> {
    let pem = std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))?;
    let chain = CertificateDer::pem_slice_iter(&pem)
        .collect::<Result<Vec<_>, _>>()
        .with_context(|| format!("{}: not a PEM certificate file", path.display()))?;
    if chain.is_empty() {
        bail!("{}: no certificate in it", path.display());
    }
    Ok(chain)
}

/// `SHA256:` and the hex digest of a DER certificate, as browsers show it.
pub fn fingerprint(der: &[u8]) -> String {
    format!("SHA256:{}", hex::encode(Sha256::digest(der)))
}

/// The root certificates the node's HTTPS client accepts for peers: the `trust_ca` files,
/// or the public Web PKI when there are none.
pub fn client_roots(config: &Config) -> anyhow::Result<ureq::tls::RootCerts> {
    if config.trust_ca.is_empty() {
        return Ok(ureq::tls::RootCerts::WebPki);
    }
    roots_from(config.trust_ca.iter().map(PathBuf::as_path))
}

/// The certificates of PEM files as the only roots a client accepts.
pub fn roots_from<'a>(
    paths: impl IntoIterator<Item = &'a Path>,
) -> anyhow::Result<ureq::tls::RootCerts> {
    let mut roots = Vec::new();
    for path in paths {
        for der in read_certificates(path)? {
            roots.push(ureq::tls::Certificate::from_der(der.as_ref()).to_owned());
        }
    }
    Ok(ureq::tls::RootCerts::new_with_certs(&roots))
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_host_of_a_did_web_is_a_name_of_the_development_certificate() {
        assert_eq!(
            super::did_web_host("did:web:gh%3A8700").as_deref(),
            Some("gh")
        );
        assert_eq!(
            super::did_web_host("did:web:cites.gov.gh:ma").as_deref(),
            Some("cites.gov.gh")
        );
        assert_eq!(super::did_web_host("did:key:z6Mk"), None);
    }
}
