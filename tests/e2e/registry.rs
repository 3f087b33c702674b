//! The trust registry on real nodes: the Secretariat creates a network's genesis from its node,
//! pins it, accredits a Management Authority on its log, and resolves DIDs over the W3C DID
//! Resolution HTTP binding, as of now or an earlier time, also after a restart. Documents pass
//! `ssi`'s DID document parser.

use e2e_support::{agent, run};
use serde_json::{Value, json};

use crate::bin;

fn ssi_parses(doc: &Value) {
    ssi::dids::Document::from_json(&doc.to_string())
        .unwrap_or_else(|e| panic!("ssi refuses {doc:#}: {e}"));
}

#[test]
fn secretariat_accredits_and_resolves() {
    let mut net = crate::network_unaccredited();
    let dir = net.dir.path().to_owned();
    let gh_did = net.gh_did.clone();
    let gh_log_key = agent()
        .get(format!("{}/log/key", net.gh.url))
        .call()
        .unwrap()
        .into_body()
        .read_to_string()
        .unwrap()
        .trim()
        .to_owned();

    // The network's genesis is never replaced.
    let genesis = dir.join("genesis.json");
    let pinned_file: Value = serde_json::from_slice(&std::fs::read(&genesis).unwrap()).unwrap();
    let witness = pinned_file["witness_policy"]["witnesses"][0]["key"]
        .as_str()
        .unwrap();
    let again = run(
        &bin(),
        &[
            "genesis",
            "new",
            "--config",
            dir.join("secretariat.toml").to_str().unwrap(),
            "--network",
            "x",
            "--witness",
            witness,
            "--out",
            genesis.to_str().unwrap(),
        ],
    );
    assert_eq!(again.status.code(), Some(2), "a genesis is never replaced");

    let sec = &mut net.secretariat;
    let token = std::fs::read_to_string(dir.join("secretariat-data/keys/api.token")).unwrap();
    let http = agent();
    let pinned: Value = http
        .get(format!("{}/genesis", sec.url))
        .call()
        .unwrap()
        .body_mut()
        .read_json()
        .unwrap();
    assert_eq!(pinned["network"], "cites-test");
    let sec_did = pinned["secretariat"]["did"].as_str().unwrap().to_owned();

    // The Secretariat resolves itself from the genesis; its well-known document agrees.
    let mut r = http
        .get(format!("{}/1.0/identifiers/{sec_did}", sec.url))
        .call()
        .unwrap();
    assert_eq!(r.status(), 200);
    let resolved: Value = r.body_mut().read_json().unwrap();
    ssi_parses(&resolved["didDocument"]);
    let well_known: Value = http
        .get(format!("{}/.well-known/did.json", sec.url))
        .call()
        .unwrap()
        .body_mut()
        .read_json()
        .unwrap();
    ssi_parses(&well_known);
    assert_eq!(well_known, resolved["didDocument"]);

    // Before accreditation, Ghana's MA is unknown.
    let before = chrono::Utc::now();
    std::thread::sleep(std::time::Duration::from_millis(1100));
    let r = http
        .get(format!("{}/1.0/identifiers/{gh_did}", sec.url))
        .call()
        .unwrap();
    assert_eq!(r.status(), 404);

    let gh_key = std::fs::read_to_string(dir.join("gh-data/keys/issuer.key")).unwrap();
    let gh_public = credentials::keys::SecretKey::from_multibase(gh_key.trim())
        .unwrap()
        .public()
        .to_multikey();
    let accredit = json!({
        "type": "accredit",
        "subject": gh_did,
        "party": "GH",
        "role": "management_authority",
        "verification_methods": [{"id": "key-1", "public_key_multibase": gh_public}],
        "key_agreement": {"id": "ka-1", "public_key_multibase": did_registry::X25519PublicKey::from_bytes([9; 32]).to_string()},
        "log_origin": "cites.test/gh",
        "log_key": gh_log_key,
        "peer_id": "12D3KooWGhanaTestPeer",
        "services": [],
    });
    let post = |body: &Value, auth: bool| {
        let mut req = http
            .post(format!("{}/registry/entries", sec.url))
            .header("content-type", "application/json");
        if auth {
            req = req.header("authorization", &format!("Bearer {}", token.trim()));
        }
        let mut r = req.send_json(body).unwrap();
        (
            r.status().as_u16(),
            r.body_mut().read_json::<Value>().unwrap_or(Value::Null),
        )
    };
    assert_eq!(post(&accredit, false).0, 401);
    let (status, body) = post(&accredit, true);
    assert_eq!(status, 201, "{body}");
    let (status, body) = post(&accredit, true);
    assert_eq!(status, 422, "accredited twice: {body}");
    let (status, _) = post(&json!({"type": "accredit"}), true);
    assert_eq!(status, 400);

    let check_gh = |url: &str| {
        let mut r = http
            .get(format!("{url}/1.0/identifiers/{gh_did}"))
            .call()
            .unwrap();
        assert_eq!(r.status(), 200);
        let resolved: Value = r.body_mut().read_json().unwrap();
        ssi_parses(&resolved["didDocument"]);
        assert_eq!(
            resolved["didDocument"]["assertionMethod"][0],
            format!("{gh_did}#key-1")
        );
        assert_eq!(
            resolved["didDocumentMetadata"]["accreditation"]["party"],
            "GH"
        );
        let r = http
            .get(format!(
                "{url}/1.0/identifiers/{gh_did}?versionTime={}",
                before.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
            ))
            .call()
            .unwrap();
        assert_eq!(r.status(), 404, "not accredited yet at that time");
    };
    check_gh(&sec.url);
    let r = http
        .get(format!("{}/1.0/identifiers/did:web:", sec.url))
        .call()
        .unwrap();
    assert_eq!(r.status(), 400);

    // The registry is rebuilt from the log after a restart.
    sec.stop();
    sec.start();
    check_gh(&sec.url);
}

fn wait_for(what: &str, mut f: impl FnMut() -> bool) {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    while !f() {
        assert!(
            std::time::Instant::now() < deadline,
            "timed out waiting for {what}"
        );
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
}

/// The key rotation runbook: `cites-node key rotate` on a running node; permits signed before
/// and after verify on another node and offline; the node signs with the new key from then on,
/// also after a restart; its PeerId and DID document follow.
#[test]
fn a_rotated_key_keeps_old_permits_valid_and_signs_new_ones() {
    let mut net = crate::network_unaccredited();
    let gh_did = net.gh_did.clone();
    let http = agent();
    let token = |name: &str| {
        std::fs::read_to_string(net.dir.path().join(format!("{name}-data/keys/api.token")))
            .unwrap()
            .trim()
            .to_owned()
    };
    let gh_config = net.gh.config.to_str().unwrap().to_owned();
    let rotate = || e2e_support::run(&crate::bin(), &["key", "rotate", "--config", &gh_config]);
    let resolve = |url: &str, query: &str| -> Option<Value> {
        let mut r = http
            .get(format!("{url}/1.0/identifiers/{gh_did}{query}"))
            .call()
            .unwrap();
        (r.status() == 200).then(|| r.body_mut().read_json().unwrap())
    };

    // Before accreditation there is no registry entry to rotate.
    let refused = rotate();
    assert!(!refused.status.success());
    assert!(
        String::from_utf8_lossy(&refused.stderr).contains("not in the registry"),
        "{}",
        String::from_utf8_lossy(&refused.stderr)
    );
    crate::accredit_gh(&net);
    let (gh, sec) = (net.gh.url.clone(), net.secretariat.url.clone());
    wait_for("Ghana to see its accreditation", || {
        resolve(&gh, "").is_some()
    });
    let issue = |number: &str| -> Value {
        let holder = credentials::keys::SecretKey::generate()
            .unwrap()
            .public()
            .did_key();
        let mut permit: Value =
            serde_json::from_slice(&std::fs::read(crate::fixture("export_permit")).unwrap())
                .unwrap();
        permit["number"] = number.into();
        let mut r = http
            .post(format!("{gh}/credentials/issue"))
            .header("authorization", &format!("Bearer {}", token("gh")))
            .send_json(
                json!({"credential": {"credentialSubject": {"id": holder, "permit": permit}}}),
            )
            .unwrap();
        assert_eq!(r.status(), 201);
        r.body_mut().read_json().unwrap()
    };
    let method = |issued: &Value| -> String {
        serde_json::from_value::<credentials::Secured>(issued["verifiableCredential"].clone())
            .unwrap()
            .unverified_method()
            .unwrap()
    };
    // The PeerId the node would be accredited with, as it authenticates on the p2p network.
    let peer_id = |node: &e2e_support::Node| -> Value {
        node.agent
            .get(format!("{}/registry/accreditation-request", node.url))
            .call()
            .unwrap()
            .body_mut()
            .read_json::<Value>()
            .unwrap()["peer_id"]
            .clone()
    };
    let before = issue("GH26ROT00001");
    assert_eq!(method(&before), format!("{gh_did}#key-1"));
    // An operator may not rotate the node's own key behind its back.
    let mut r = http
        .post(format!("{gh}/registry/entries"))
        .header("authorization", &format!("Bearer {}", token("gh")))
        .send_json(json!({
            "type": "rotate_keys",
            "subject": gh_did,
            "verification_methods": [{"id": "key-9", "public_key_multibase": credentials::keys::SecretKey::generate().unwrap().public().to_multikey()}],
        }))
        .unwrap();
    assert_eq!(
        r.status(),
        422,
        "{}",
        r.body_mut().read_to_string().unwrap()
    );
    let peer_before = peer_id(&net.gh);

    let out = rotate();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        stdout.contains(&format!("{gh_did}#key-1 -> {gh_did}#key-2")),
        "{stdout}"
    );
    let after = issue("GH26ROT00002");
    assert_eq!(method(&after), format!("{gh_did}#key-2"));

    // The Secretariat replicates the rotation and verifies both permits with its replica.
    wait_for("the Secretariat to see the rotation", || {
        resolve(&sec, "")
            .is_some_and(|r| r["didDocument"]["assertionMethod"][0] == format!("{gh_did}#key-2"))
    });
    for (issued, number) in [(&before, "GH26ROT00001"), (&after, "GH26ROT00002")] {
        let file = net.dir.path().join(format!("{number}.bundle.json"));
        std::fs::write(&file, issued["evidence"].to_string()).unwrap();
        // The second permit's entry may still be on its way to the Secretariat's replica.
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
        loop {
            let online = e2e_support::run(
                &crate::bin(),
                &["verify", "--node", &sec, file.to_str().unwrap()],
            );
            if online.status.success() {
                break;
            }
            assert!(
                std::time::Instant::now() < deadline,
                "{number} online: {}",
                String::from_utf8_lossy(&online.stdout)
            );
            std::thread::sleep(std::time::Duration::from_millis(200));
        }
        // Offline, with a fresh bundle once a witness cosigned: it carries the rotation entry,
        // so the old permit is judged by its position before it.
        let genesis = net.dir.path().join("genesis.json");
        wait_for(&format!("{number} to verify offline"), || {
            let mut r = http
                .post(format!("{gh}/evidence"))
                .send_json(json!({"verifiableCredential": issued["verifiableCredential"]}))
                .unwrap();
            std::fs::write(&file, r.body_mut().read_to_string().unwrap()).unwrap();
            e2e_support::run(
                &crate::bin(),
                &[
                    "verify",
                    "--offline",
                    genesis.to_str().unwrap(),
                    file.to_str().unwrap(),
                ],
            )
            .status
            .success()
        });
    }

    // The DID document lists both keys; only the new one asserts.
    let did: Value = http
        .get(format!("{gh}/.well-known/did.json"))
        .call()
        .unwrap()
        .body_mut()
        .read_json()
        .unwrap();
    assert_eq!(did["assertionMethod"], json!([format!("{gh_did}#key-2")]));
    assert_eq!(did["verificationMethod"].as_array().unwrap().len(), 2);

    // After a restart the node still signs with key-2, keeps its PeerId, and a second rotation
    // goes on from there.
    net.gh.stop();
    net.gh.start();
    assert_eq!(peer_id(&net.gh), peer_before);
    assert_eq!(method(&issue("GH26ROT00003")), format!("{gh_did}#key-2"));
    let again = rotate();
    assert!(
        String::from_utf8_lossy(&again.stdout).contains("#key-2 -> "),
        "{}",
        String::from_utf8_lossy(&again.stderr)
    );
    assert_eq!(method(&issue("GH26ROT00004")), format!("{gh_did}#key-3"));
}

#[test]
fn checkpoints_are_cosigned_by_the_genesis_witnesses() {
    let net = crate::network();
    let http = agent();
    let genesis: Value = http
        .get(format!("{}/genesis", net.secretariat.url))
        .call()
        .unwrap()
        .body_mut()
        .read_json()
        .unwrap();
    let witness = &genesis["witness_policy"]["witnesses"][0];
    let trust = ledger::LogTrust {
        origin: genesis["secretariat"]["log_origin"]
            .as_str()
            .unwrap()
            .into(),
        log_key: ledger::NoteVerifier::from_key_string(
            genesis["secretariat"]["log_key"].as_str().unwrap(),
        )
        .unwrap(),
        witnesses: vec![
            ledger::CosignatureVerifier::from_key_string(witness["key"].as_str().unwrap()).unwrap(),
        ],
        quorum: 1,
    };
    // The Secretariat's log holds the accreditation (leaf 0); Ghana's node, a genesis witness,
    // cosigns the Secretariat's checkpoints.
    let entries: Value = http
        .get(format!("{}/log/entries/0/1", net.secretariat.url))
        .call()
        .unwrap()
        .body_mut()
        .read_json()
        .unwrap();
    use base64::Engine as _;
    let entry = base64::engine::general_purpose::STANDARD
        .decode(entries["entries"][0].as_str().unwrap())
        .unwrap();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    loop {
        let note = http
            .get(format!("{}/checkpoint", net.secretariat.url))
            .call()
            .unwrap()
            .body_mut()
            .read_to_vec()
            .unwrap();
        let size: u64 = String::from_utf8_lossy(&note)
            .lines()
            .nth(1)
            .unwrap()
            .parse()
            .unwrap();
        if size == 1 {
            let proof = ledger::InclusionProof { hashes: vec![] };
            match ledger::verify_entry(&entry, 0, &proof, &note, &trust) {
                Ok(v) => {
                    assert_eq!(
                        v.witnesses,
                        vec![witness["name"].as_str().unwrap().to_owned()]
                    );
                    break;
                }
                Err(e) => assert!(std::time::Instant::now() < deadline, "no quorum: {e}"),
            }
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the checkpoint did not settle"
        );
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    // A witness refuses a checkpoint it cannot authenticate.
    let r = http
        .post(format!("{}/add-checkpoint", net.gh.url))
        .send(&b"old 0\n\nnot a checkpoint\n"[..])
        .unwrap();
    assert!(r.status().is_client_error());
}
