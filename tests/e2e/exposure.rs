//! A node exposed to a network: HTTPS with its own certificate, and clients that are slow,
//! malformed, oversized or flooding.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

use crate::{accredit_gh, bin, network_serving};

#[test]
fn nodes_serve_https_and_replicate_over_it_trusting_only_the_certificates_they_are_given() {
    let _one = crate::networked();
    let net = network_serving(true);
    assert!(net.gh.url.starts_with("https://"));
    // Ghana learns its accreditation by replicating the Secretariat's log over HTTPS.
    accredit_gh(&net);
    let meta: serde_json::Value = net
        .gh
        .agent
        .get(format!(
            "{}/.well-known/openid-credential-issuer",
            net.gh.url
        ))
        .call()
        .unwrap()
        .body_mut()
        .read_json()
        .unwrap();
    assert_eq!(meta["credential_issuer"], net.gh.url.as_str());
    let r = net
        .gh
        .agent
        .get(format!("{}/healthz", net.gh.url))
        .call()
        .unwrap();
    assert_eq!(
        r.headers()["strict-transport-security"],
        "max-age=31536000",
        "browsers are told never to come back in cleartext"
    );
    // The Secretariat's agent trusts the Secretariat's certificate only.
    assert!(
        net.secretariat
            .agent
            .get(format!("{}/healthz", net.gh.url))
            .call()
            .is_err(),
        "a certificate nobody was told to trust is refused"
    );
    // Cleartext to the TLS port gets no answer.
    let plain = net.gh.url.replacen("https://", "http://", 1);
    assert!(
        e2e_support::agent()
            .get(format!("{plain}/healthz"))
            .call()
            .is_err()
    );
    // The operator's commands reach the node over HTTPS too, trusting its certificate.
    let out = e2e_support::run(
        &bin(),
        &["user", "list", "--config", net.gh.config.to_str().unwrap()],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// A node with tight limits, so the test's clients reach them quickly.
fn limited_node(dir: &std::path::Path) -> e2e_support::Node {
    let port = e2e_support::free_port();
    let (config, _) = e2e_support::init(&bin(), dir, "gh", "gh", "GH", port);
    let text = std::fs::read_to_string(&config).unwrap();
    std::fs::write(
        &config,
        format!(
            "{text}\n[limits]\nheader_timeout_s = 1\nmax_connections = 16\nmax_connections_per_address = 8\nrequests_per_minute = 600\nlimit_loopback = true\n"
        ),
    )
    .unwrap();
    let mut node = e2e_support::Node::from_config(&bin(), &config, port);
    node.start();
    node
}

/// Reads until the server closes the connection; `None` if it kept it open for 10 s.
fn closed_by_server(mut stream: TcpStream) -> Option<Vec<u8>> {
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    let mut got = Vec::new();
    match stream.read_to_end(&mut got) {
        Ok(_) => Some(got),
        Err(e) if e.kind() == std::io::ErrorKind::ConnectionReset => Some(got),
        Err(_) => None,
    }
}

fn healthy(node: &e2e_support::Node) -> bool {
    let deadline = Instant::now() + Duration::from_secs(20);
    while Instant::now() < deadline {
        if let Ok(r) = node.agent.get(format!("{}/healthz", node.url)).call()
            && r.status() == 200
        {
            return true;
        }
        std::thread::sleep(Duration::from_millis(200));
    }
    false
}

#[test]
fn slow_malformed_oversized_and_flooding_clients_do_not_take_a_node_down() {
    let dir = tempfile::tempdir().unwrap();
    let node = limited_node(dir.path());
    let addr = node.url.trim_start_matches("http://").to_owned();

    // Slow clients: more than the node serves at once, each sending half a request or nothing.
    let slow: Vec<TcpStream> = (0..40)
        .map(|i| {
            let mut s = TcpStream::connect(&addr).unwrap();
            if i % 2 == 0 {
                s.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n")
                    .unwrap();
            }
            s
        })
        .collect();
    // Everyone else is still served once the slow ones have had their second.
    assert!(
        healthy(&node),
        "a node with 40 slow clients stopped answering"
    );
    for s in slow {
        assert!(
            closed_by_server(s).is_some(),
            "a client that never finished its headers kept its connection"
        );
    }

    // One address holding its eight connections with bodies that never come gets no ninth:
    // it is closed unanswered, and served again once the eight are gone. (First the node
    // closes the test agent's idle connections, after `header_timeout_s`.)
    std::thread::sleep(Duration::from_secs(3));
    let stalled: Vec<TcpStream> = (0..8)
        .map(|_| {
            let mut s = TcpStream::connect(&addr).unwrap();
            s.write_all(
                b"POST /permits/validate HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n",
            )
            .unwrap();
            s
        })
        .collect();
    std::thread::sleep(Duration::from_millis(200));
    let mut ninth = TcpStream::connect(&addr).unwrap();
    let _ = ninth.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n");
    assert_eq!(
        closed_by_server(ninth).as_deref(),
        Some(&b""[..]),
        "a ninth connection from one address was served"
    );
    drop(stalled);
    assert!(healthy(&node));

    // Malformed and oversized requests are refused on their own connection.
    let mut garbage = TcpStream::connect(&addr).unwrap();
    garbage
        .write_all(b"\x16\x03\x01\x02\x00 not http\r\n\r\n")
        .unwrap();
    let answer = closed_by_server(garbage).unwrap();
    assert!(
        answer.is_empty() || answer.starts_with(b"HTTP/1.1 400"),
        "{}",
        String::from_utf8_lossy(&answer)
    );
    let mut huge = TcpStream::connect(&addr).unwrap();
    let header = format!(
        "GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: {}\r\n",
        "a".repeat(1 << 20)
    );
    let _ = huge.write_all(header.as_bytes());
    let answer = closed_by_server(huge).unwrap();
    assert!(
        answer.is_empty() || answer.starts_with(b"HTTP/1.1 431"),
        "{}",
        String::from_utf8_lossy(&answer)
    );
    let r = node
        .agent
        .post(format!("{}/permits/validate", node.url))
        .header("content-type", "application/json")
        .send(vec![b' '; 300 * 1024])
        .unwrap();
    assert_eq!(r.status(), 413);
    assert!(healthy(&node));

    // A flood from one address: refused with Retry-After once its burst is spent.
    let started = Instant::now();
    let statuses: Vec<_> = (0..120)
        .map(|_| {
            let r = node
                .agent
                .get(format!("{}/healthz", node.url))
                .call()
                .unwrap();
            (r.status().as_u16(), r.headers().contains_key("retry-after"))
        })
        .collect();
    let refused = statuses.iter().filter(|(s, _)| *s == 429).count();
    assert!(
        refused > 0 || started.elapsed() > Duration::from_secs(6),
        "120 requests in {:?} were all served",
        started.elapsed()
    );
    assert!(
        statuses
            .iter()
            .all(|(s, retry)| *s == 200 || (*s == 429 && *retry))
    );
    // The bucket refills: the same client is served again a moment later.
    assert!(healthy(&node));
}
