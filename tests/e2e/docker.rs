//! The commands the containers of `docker/compose.yaml` run, run here on the host: the same
//! scripts set up and accredit a network of three HTTPS nodes, each started with `run --config`.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use crate::bin;

fn docker_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../docker")
}

fn script(name: &str, args: &[String]) -> String {
    let out = Command::new("bash")
        .arg(docker_dir().join(name))
        .args(args)
        .env("CITES_NODE", bin())
        .env("RUST_LOG", "warn")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{name} failed: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

fn accredited(node: &e2e_support::Node, did: &str) -> bool {
    let deadline = Instant::now() + Duration::from_secs(30);
    while Instant::now() < deadline {
        let r = node
            .agent
            .get(format!("{}/1.0/identifiers/{did}", node.url))
            .call()
            .unwrap();
        if r.status() == 200 {
            return true;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    false
}

#[test]
fn docker_network_commands_set_up_a_network() {
    let compose = std::fs::read_to_string(docker_dir().join("compose.yaml")).unwrap();
    for command in [
        r#"entrypoint: ["network.sh"]"#,
        r#"command: ["/network", "secretariat:CH:secretariat:8700", "gh:GH:gh:8700", "de:DE:de:8700"]"#,
        r#"command: ["run", "--config", "/network/secretariat/node.toml"]"#,
        r#"command: ["run", "--config", "/network/gh/node.toml"]"#,
        r#"command: ["run", "--config", "/network/de/node.toml"]"#,
        r#"entrypoint: ["accredit.sh"]"#,
    ] {
        assert!(
            compose.contains(command),
            "compose.yaml no longer runs {command}"
        );
    }

    let _one = crate::networked();
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().to_str().unwrap().to_owned();
    let nodes = [("secretariat", "CH"), ("gh", "GH"), ("de", "DE")];
    let ports: Vec<u16> = nodes.iter().map(|_| e2e_support::free_port()).collect();
    let mut args = vec![root.clone()];
    args.extend(
        nodes
            .iter()
            .zip(&ports)
            .map(|((id, party), port)| format!("{id}:{party}:127.0.0.1:{port}")),
    );
    let made = script("network.sh", &args);
    assert!(made.contains("3 nodes in"), "{made}");

    let config = |id: &str| Path::new(&root).join(id).join("node.toml");
    let mut running: Vec<e2e_support::Node> = nodes
        .iter()
        .zip(&ports)
        .map(|((id, _), port)| {
            let cert = Path::new(&root).join(id).join("data/tls/cert.pem");
            e2e_support::Node::over_tls(&bin(), &config(id), *port, &cert)
        })
        .collect();
    running.iter_mut().for_each(e2e_support::Node::start);

    let mut urls = vec![root.clone()];
    urls.extend(
        nodes
            .iter()
            .zip(&running)
            .map(|((id, _), node)| format!("{id}={}", node.url)),
    );
    let said = script("accredit.sh", &urls);
    assert_eq!(
        said.matches("accredited by secretariat").count(),
        2,
        "{said}"
    );
    // Each MA learns its accreditation by replicating the Secretariat's log over HTTPS.
    for ((_, _), (node, port)) in nodes.iter().zip(running.iter().zip(&ports)).skip(1) {
        let did = format!("did:web:127.0.0.1%3A{port}");
        assert!(
            accredited(node, &did),
            "{did} never learned its accreditation"
        );
    }

    // Both scripts can run again on every container start.
    let again = script("accredit.sh", &urls);
    assert_eq!(again.matches("accredited already").count(), 2, "{again}");
    let again = script("network.sh", &args);
    assert!(again.contains("nothing to do"), "{again}");
}
