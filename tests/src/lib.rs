//! Helpers for end-to-end tests: real `cites-node` processes, each with its own data directory,
//! listening on a free port of 127.0.0.1, stopped (SIGTERM, then SIGKILL) when dropped.

#![allow(clippy::expect_used, clippy::unwrap_used)] // Test support: a failure is a failed test.

use std::collections::BTreeSet;
use std::collections::hash_map::RandomState;
use std::hash::{BuildHasher, Hasher};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// A node process.
pub struct Node {
    /// Base URL, `http://127.0.0.1:PORT` (`https://` for [`Node::over_tls`]).
    pub url: String,
    /// The config file.
    pub config: PathBuf,
    /// An agent that reaches the node (trusting its certificate over TLS).
    pub agent: ureq::Agent,
    child: Option<Child>,
    bin: PathBuf,
    /// The network namespace the process runs in (`ip netns exec`), if not the test's.
    netns: Option<String>,
}

/// A port nobody listens on right now, and that no other call in this process has handed out.
///
/// Ports come from below the kernel's ephemeral range, so an outgoing connection cannot take
/// one between this call and the node's bind; and a port is never handed out twice, so two
/// tests running at once cannot start their nodes on the same port (where the second node's
/// health check would be answered by the first one).
pub fn free_port() -> u16 {
    static GIVEN: Mutex<BTreeSet<u16>> = Mutex::new(BTreeSet::new());
    let ephemeral_from = std::fs::read_to_string("/proc/sys/net/ipv4/ip_local_port_range")
        .ok()
        .and_then(|r| r.split_whitespace().next()?.parse::<u16>().ok())
        .unwrap_or(32768);
    let (low, high) = (10_000, ephemeral_from.max(20_000));
    let mut given = GIVEN.lock().unwrap_or_else(|e| e.into_inner());
    // Start at a different place in each process, so test binaries run side by side rarely meet.
    let seed = RandomState::new().build_hasher().finish();
    let span = u64::from(high - low);
    for i in 0..span {
        let port = low + ((seed + i) % span) as u16;
        if !given.contains(&port) && TcpListener::bind(("127.0.0.1", port)).is_ok() {
            given.insert(port);
            return port;
        }
    }
    panic!("no free port on 127.0.0.1 between {low} and {high}")
}

/// Runs `cites-node` with arguments and returns its output.
pub fn run(bin: &Path, args: &[&str]) -> Output {
    Command::new(bin)
        .args(args)
        .env("RUST_LOG", "warn")
        .output()
        .expect("cannot run cites-node")
}

/// `cites-node init` of a node `id` in `dir` (config `ID.toml`, data in `ID-data`, log origin
/// `cites.test/ID`); returns the config path and what init printed.
pub fn init(
    bin: &Path,
    dir: &Path,
    id: &str,
    name: &str,
    party: &str,
    port: u16,
) -> (PathBuf, String) {
    init_with(bin, dir, id, name, party, port, false)
}

/// [`init`], with a self-signed TLS certificate in `ID-data/tls/cert.pem` when `tls`.
pub fn init_with(
    bin: &Path,
    dir: &Path,
    id: &str,
    name: &str,
    party: &str,
    port: u16,
    tls: bool,
) -> (PathBuf, String) {
    init_on(bin, dir, id, name, party, &format!("127.0.0.1:{port}"), tls)
}

/// [`init_with`] listening on `listen` (an address of a network namespace the test made).
pub fn init_on(
    bin: &Path,
    dir: &Path,
    id: &str,
    name: &str,
    party: &str,
    listen: &str,
    tls: bool,
) -> (PathBuf, String) {
    let config = dir.join(format!("{id}.toml"));
    let port = listen.to_owned();
    let (origin, data) = (format!("cites.test/{id}"), format!("{id}-data"));
    let mut args = vec![
        "init",
        "--config",
        config.to_str().unwrap(),
        "--name",
        name,
        "--party",
        party,
        "--log-origin",
        &origin,
        "--listen",
        &port,
        "--data-dir",
        &data,
        "--address",
        "1 Test Street, Test City",
        "--place",
        "Test City",
    ];
    if tls {
        args.push("--tls-self-signed");
    }
    let out = run(bin, &args);
    assert!(
        out.status.success(),
        "init failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    (config, String::from_utf8(out.stdout).unwrap())
}

/// The value `init` printed after `prefix` (`node DID: `, `witness key: `, ...).
pub fn printed<'a>(stdout: &'a str, prefix: &str) -> &'a str {
    stdout
        .lines()
        .find_map(|l| l.strip_prefix(prefix))
        .unwrap()
        .trim()
}

/// The reason a verifier's answer gives for check `id` of its first credential.
pub fn check_reason(verdict: &serde_json::Value, id: &str) -> String {
    verdict["results"][0]["checks"]
        .as_array()
        .and_then(|checks| checks.iter().find(|c| c["check"] == id))
        .and_then(|c| c["reason"].as_str())
        .unwrap_or_else(|| panic!("no {id} check in {verdict:#}"))
        .to_owned()
}

/// An HTTP agent that returns 4xx/5xx responses instead of errors, with a short timeout.
pub fn agent() -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(Duration::from_secs(10)))
        .build()
        .into()
}

/// [`agent`] for HTTPS, trusting only the certificates in the PEM file `ca`.
pub fn agent_trusting(ca: &Path) -> ureq::Agent {
    agent_presenting(ca, None)
}

/// [`agent_trusting`] that also presents a client certificate (`cert` and `key`, PEM).
pub fn agent_presenting(ca: &Path, identity: Option<(&str, &str)>) -> ureq::Agent {
    let _ = rustls::crypto::aws_lc_rs::default_provider().install_default();
    let pem = std::fs::read(ca).expect("cannot read the CA file");
    let roots: Vec<_> = ureq::tls::parse_pem(&pem)
        .filter_map(|item| match item.expect("bad PEM") {
            ureq::tls::PemItem::Certificate(c) => Some(c),
            _ => None,
        })
        .collect();
    let mut tls = ureq::tls::TlsConfig::builder()
        .provider(ureq::tls::TlsProvider::Rustls)
        .root_certs(ureq::tls::RootCerts::new_with_certs(&roots));
    if let Some((cert, key)) = identity {
        let cert = ureq::tls::Certificate::from_pem(cert.as_bytes()).expect("bad certificate");
        let key = ureq::tls::PrivateKey::from_pem(key.as_bytes()).expect("bad key");
        tls = tls.client_cert(Some(ureq::tls::ClientCert::new_with_certs(&[cert], key)));
    }
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(Duration::from_secs(10)))
        .tls_config(tls.build())
        .build()
        .into()
}

impl Node {
    /// `cites-node init` a node for `party` in `dir`, then start it.
    pub fn init_and_start(bin: &Path, dir: &Path, party: &str) -> Node {
        let port = free_port();
        let name = format!("Management Authority of {party}");
        let (config, _) = init(bin, dir, &party.to_lowercase(), &name, party, port);
        let mut node = Node::from_config(bin, &config, port);
        node.start();
        node
    }

    /// A node for an existing config file listening on `port`; call [`Node::start`].
    pub fn from_config(bin: &Path, config: &Path, port: u16) -> Node {
        Node {
            url: format!("http://127.0.0.1:{port}"),
            config: config.to_owned(),
            agent: agent(),
            child: None,
            bin: bin.to_owned(),
            netns: None,
        }
    }

    /// A node that runs in the network namespace `netns` and answers at `url`; call
    /// [`Node::start`].
    pub fn in_netns(bin: &Path, config: &Path, url: &str, netns: &str) -> Node {
        let mut node = Node::from_config(bin, config, 0);
        node.url = url.to_owned();
        node.netns = Some(netns.to_owned());
        node
    }

    /// A node serving HTTPS with the certificate in the PEM file `cert`; call [`Node::start`].
    pub fn over_tls(bin: &Path, config: &Path, port: u16, cert: &Path) -> Node {
        let mut node = Node::from_config(bin, config, port);
        node.url = format!("https://127.0.0.1:{port}");
        node.agent = agent_trusting(cert);
        node
    }

    /// Starts (or restarts) the process and waits until `/healthz` answers.
    pub fn start(&mut self) {
        assert!(self.child.is_none(), "already running");
        // `ip netns exec` execs the node in place, so the child is the node itself.
        let mut command = match &self.netns {
            Some(ns) => {
                let mut c = Command::new("ip");
                c.args(["netns", "exec", ns]).arg(&self.bin);
                c
            }
            None => Command::new(&self.bin),
        };
        let child = command
            .args(["run", "--config", self.config.to_str().unwrap()])
            .env("RUST_LOG", "warn")
            .env("CITES_CHECKPOINT_INTERVAL_MS", "50")
            .env("CITES_SYNC_INTERVAL_MS", "100")
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("cannot start cites-node");
        self.child = Some(child);
        let deadline = Instant::now() + Duration::from_secs(30);
        while Instant::now() < deadline {
            if let Ok(r) = self.agent.get(format!("{}/healthz", self.url)).call()
                && r.status() == 200
            {
                return;
            }
            if let Some(Ok(Some(status))) = self.child.as_mut().map(|c| c.try_wait()) {
                panic!("cites-node exited early with {status}");
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        panic!("cites-node did not answer /healthz within 30 s");
    }

    /// Asks the node to stop (SIGTERM) and waits for it; returns its exit status.
    pub fn stop(&mut self) -> Option<std::process::ExitStatus> {
        let mut child = self.child.take()?;
        let _ = Command::new("kill")
            .arg("-TERM")
            .arg(child.id().to_string())
            .status();
        let deadline = Instant::now() + Duration::from_secs(15);
        while Instant::now() < deadline {
            if let Ok(Some(status)) = child.try_wait() {
                return Some(status);
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = child.kill();
        child.wait().ok()
    }

    /// Kills the node without warning (SIGKILL).
    pub fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

impl Drop for Node {
    fn drop(&mut self) {
        self.kill();
    }
}

/// A local SMTP server that takes every message and keeps it, after its envelope's `RCPT TO`
/// lines: the relay end of notification tests. It offers no STARTTLS, as a relay on the same
/// host may not.
pub struct SmtpSink {
    /// `host:port` to configure as the relay.
    pub addr: String,
    messages: std::sync::Arc<std::sync::Mutex<Vec<String>>>,
}

impl SmtpSink {
    /// Listens on a free port of 127.0.0.1.
    pub fn start() -> SmtpSink {
        use std::io::{BufRead, BufReader, Write};
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap().to_string();
        let messages = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
        let kept = messages.clone();
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let kept = kept.clone();
                std::thread::spawn(move || {
                    let mut out = stream.try_clone().unwrap();
                    let mut lines = BufReader::new(stream);
                    let _ = out.write_all(b"220 sink ESMTP\r\n");
                    let mut line = String::new();
                    let mut envelope = String::new();
                    while lines.read_line(&mut line).unwrap_or(0) > 0 {
                        let verb = line.get(..4).unwrap_or("").to_ascii_uppercase();
                        let reply: &[u8] = match verb.as_str() {
                            "EHLO" | "HELO" => b"250-sink\r\n250 OK\r\n",
                            "RCPT" => {
                                envelope.push_str(&line);
                                b"250 OK\r\n"
                            }
                            "DATA" => {
                                let _ = out.write_all(b"354 end with .\r\n");
                                // The envelope's recipients first, then the message.
                                let mut message = std::mem::take(&mut envelope);
                                let mut l = String::new();
                                while lines.read_line(&mut l).unwrap_or(0) > 0 && l != ".\r\n" {
                                    message.push_str(&l);
                                    l.clear();
                                }
                                kept.lock().unwrap().push(message);
                                b"250 queued\r\n"
                            }
                            "QUIT" => {
                                let _ = out.write_all(b"221 bye\r\n");
                                return;
                            }
                            _ => b"250 OK\r\n",
                        };
                        let _ = out.write_all(reply);
                        line.clear();
                    }
                });
            }
        });
        SmtpSink { addr, messages }
    }

    /// Waits up to `timeout` for a message containing `text`.
    pub fn wait_for(&self, text: &str, timeout: Duration) -> Option<String> {
        let deadline = Instant::now() + timeout;
        while Instant::now() < deadline {
            if let Some(m) = self
                .messages
                .lock()
                .unwrap()
                .iter()
                .find(|m| m.contains(text))
            {
                return Some(m.clone());
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        None
    }
}

/// One request an [`HttpSink`] received: its headers (names lower-cased) and body.
pub type Received = (Vec<(String, String)>, Vec<u8>);

/// A local HTTP endpoint that answers 200 to every POST and keeps each request's headers
/// (lower-cased) and body: the receiving end of webhook tests.
pub struct HttpSink {
    /// Its URL.
    pub url: String,
    requests: std::sync::Arc<std::sync::Mutex<Vec<Received>>>,
}

impl HttpSink {
    /// Listens on a free port of 127.0.0.1.
    pub fn start() -> HttpSink {
        use std::io::{BufRead, BufReader, Read, Write};
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}/hook", listener.local_addr().unwrap());
        let requests = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
        let kept = requests.clone();
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let mut out = stream.try_clone().unwrap();
                let mut reader = BufReader::new(stream);
                let mut headers = Vec::new();
                let mut line = String::new();
                let mut length = 0;
                while reader.read_line(&mut line).unwrap_or(0) > 0 && line != "\r\n" {
                    if let Some((k, v)) = line.trim_end().split_once(':') {
                        let (k, v) = (k.trim().to_ascii_lowercase(), v.trim().to_owned());
                        if k == "content-length" {
                            length = v.parse().unwrap_or(0);
                        }
                        headers.push((k, v));
                    }
                    line.clear();
                }
                let mut body = vec![0; length];
                let _ = reader.read_exact(&mut body);
                kept.lock().unwrap().push((headers, body));
                let _ = out.write_all(
                    b"HTTP/1.1 200 OK\r\ncontent-length: 0\r\nconnection: close\r\n\r\n",
                );
            }
        });
        HttpSink { url, requests }
    }

    /// Waits up to `timeout` for a request whose body contains `text`.
    pub fn wait_for(&self, text: &str, timeout: Duration) -> Option<Received> {
        let deadline = Instant::now() + timeout;
        while Instant::now() < deadline {
            if let Some(r) = self
                .requests
                .lock()
                .unwrap()
                .iter()
                .find(|(_, b)| String::from_utf8_lossy(b).contains(text))
            {
                return Some(r.clone());
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        None
    }
}
