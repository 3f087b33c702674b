//! Helpers for end-to-end tests: real `cites-node` processes, each with its own data directory,
//! listening on a free port of 127.0.0.1, stopped (SIGTERM, then SIGKILL) when dropped.

#![allow(clippy::expect_used, clippy::unwrap_used)] // Test support: a failure is a failed test.

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

/// A node process.
pub struct Node {
    /// Base URL, `http://127.0.0.1:PORT`.
    pub url: String,
    /// The config file.
    pub config: PathBuf,
    child: Option<Child>,
    bin: PathBuf,
}

/// A port nobody listens on right now.
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("no free port on 127.0.0.1")
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
    let config = dir.join(format!("{id}.toml"));
    let out = run(
        bin,
        &[
            "init",
            "--config",
            config.to_str().unwrap(),
            "--name",
            name,
            "--party",
            party,
            "--log-origin",
            &format!("cites.test/{id}"),
            "--listen",
            &format!("127.0.0.1:{port}"),
            "--data-dir",
            &format!("{id}-data"),
            "--address",
            "1 Test Street, Test City",
            "--place",
            "Test City",
        ],
    );
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

/// An HTTP agent that returns 4xx/5xx responses instead of errors, with a short timeout.
pub fn agent() -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(Duration::from_secs(10)))
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
            child: None,
            bin: bin.to_owned(),
        }
    }

    /// Starts (or restarts) the process and waits until `/healthz` answers.
    pub fn start(&mut self) {
        assert!(self.child.is_none(), "already running");
        let child = Command::new(&self.bin)
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
        let agent = agent();
        while Instant::now() < deadline {
            if let Ok(r) = agent.get(format!("{}/healthz", self.url)).call()
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
