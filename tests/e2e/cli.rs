//! `cites-node permit validate` as an MA officer uses it: valid permits pass with exit 0, broken
//! ones print each problem with its box and exit 1, unreadable input exits 2 with the field.

use e2e_support::run;
use serde_json::Value;

use crate::{bin, fixture};

#[test]
fn validate_accepts_every_realistic_permit() {
    let names = [
        "export_permit",
        "import_permit",
        "re_export_certificate",
        "certificate_of_origin",
        "introduction_from_the_sea",
        "pre_convention_certificate",
        "captive_breeding_certificate",
        "travelling_exhibition_certificate",
        "musical_instrument_certificate",
        "ownership_certificate",
    ];
    let files: Vec<String> = names
        .iter()
        .map(|n| fixture(n).display().to_string())
        .collect();
    let mut args = vec!["permit", "validate", "--today", "2026-11-25"];
    args.extend(files.iter().map(String::as_str));
    let out = run(&bin(), &args);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(stdout.matches(": valid").count(), names.len(), "{stdout}");
}

#[test]
fn validate_reports_each_problem_with_its_box() {
    let dir = tempfile::tempdir().unwrap();
    let mut permit: Value =
        serde_json::from_slice(&std::fs::read(fixture("export_permit")).unwrap()).unwrap();
    permit["valid_until"] = "2027-05-01".into();
    permit["blocks"][1]["unit"] = "KGM".into();
    let path = dir.path().join("broken.json");
    std::fs::write(&path, serde_json::to_vec(&permit).unwrap()).unwrap();

    let out = run(
        &bin(),
        &[
            "permit",
            "validate",
            "--today",
            "2026-11-25",
            path.to_str().unwrap(),
        ],
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{stdout}");
    assert!(stdout.contains("2 problem(s)"), "{stdout}");
    assert!(
        stdout.contains("box 2: ") && stdout.contains("[validity-too-long]"),
        "{stdout}"
    );
    assert!(
        stdout.contains("box 11 (block B): ") && stdout.contains("[unit-term]"),
        "{stdout}"
    );

    let out = run(
        &bin(),
        &[
            "permit",
            "validate",
            "--format",
            "json",
            "--today",
            "2026-11-25",
            path.to_str().unwrap(),
        ],
    );
    let problems: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(problems[0]["box"], "2");
    assert_eq!(problems[1]["rule"], "unit-term");
    assert_eq!(problems[1]["block"], "B");
}

#[test]
fn validate_names_the_bad_field_of_a_non_permit() {
    let dir = tempfile::tempdir().unwrap();
    let mut permit: Value =
        serde_json::from_slice(&std::fs::read(fixture("export_permit")).unwrap()).unwrap();
    permit["blocks"][1]["source"] = "Q".into();
    let path = dir.path().join("bad.json");
    std::fs::write(&path, serde_json::to_vec(&permit).unwrap()).unwrap();
    let out = run(&bin(), &["permit", "validate", path.to_str().unwrap()]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr.contains("blocks[1].source") && stderr.contains("unknown source code \"Q\""),
        "{stderr}"
    );

    let out = run(&bin(), &["permit", "validate", "/nonexistent/permit.json"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("cannot read /nonexistent/permit.json"));
}

#[test]
fn dev_starts_three_nodes_sharing_a_genesis_and_stops_cleanly() {
    use std::process::{Command, Stdio};
    use std::time::{Duration, Instant};
    let dir = tempfile::tempdir().unwrap();
    // Three consecutive free ports: probe until a run of three is free.
    let port = loop {
        let p = e2e_support::free_port();
        if p < 65000 && (1..3).all(|i| std::net::TcpListener::bind(("127.0.0.1", p + i)).is_ok()) {
            break p;
        }
    };
    let mut child = Command::new(bin())
        .args([
            "dev",
            "--data-dir",
            dir.path().to_str().unwrap(),
            "--port",
            &port.to_string(),
        ])
        .env("RUST_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap();
    let http = e2e_support::agent();
    let deadline = Instant::now() + Duration::from_secs(30);
    let mut genesis = Vec::new();
    for p in port..port + 3 {
        loop {
            if let Ok(mut r) = http.get(format!("http://127.0.0.1:{p}/genesis")).call()
                && r.status() == 200
            {
                genesis.push(r.body_mut().read_to_string().unwrap());
                break;
            }
            assert!(Instant::now() < deadline, "node on port {p} did not start");
            std::thread::sleep(Duration::from_millis(50));
        }
    }
    assert!(
        genesis.iter().all(|g| g == &genesis[0]),
        "every node pins the same genesis"
    );
    let _ = Command::new("kill")
        .arg("-TERM")
        .arg(child.id().to_string())
        .status();
    let status = child.wait().unwrap();
    assert!(status.success(), "dev exits cleanly on SIGTERM: {status}");
    let mut out = String::new();
    std::io::Read::read_to_string(child.stdout.as_mut().unwrap(), &mut out).unwrap();
    assert!(
        out.contains("Management Authority of Ghana")
            && out.contains(&format!("http://127.0.0.1:{}/", port + 1)),
        "{out}"
    );
}

/// Plain HTTP beyond loopback carries passwords and tokens in the clear: the node refuses to
/// start there unless told a TLS proxy is in front (nothing is bound before it refuses).
#[test]
fn a_node_refuses_plain_http_beyond_loopback_unless_told() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("n.toml");
    let out = run(
        &bin(),
        &[
            "init",
            "--config",
            config.to_str().unwrap(),
            "--name",
            "Exposed MA",
            "--party",
            "GH",
            "--log-origin",
            "cites.test/exposed",
            "--listen",
            "0.0.0.0:18799",
        ],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = run(&bin(), &["run", "--config", config.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("plain HTTP") && err.contains("allow_plain_http"),
        "{err}"
    );
}
