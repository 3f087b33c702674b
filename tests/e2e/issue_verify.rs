//! A Management Authority issues a permit credential over the VC API; the credential comes back
//! anchored (its evidence bundle checks against the log's signed checkpoint), verifies on the
//! node in every securing mechanism, and a holder's presentation verifies once, for its
//! challenge only. Bad requests get 4xx and change nothing.

use credentials::bundle::Bundle;
use credentials::keys::SecretKey;
use credentials::{Secured, Signer, presentation};
use e2e_support::{Node, agent};
use ledger::{InclusionProof, LogTrust, NoteVerifier};
use serde_json::{Value, json};

use crate::{bin, fixture};

struct Ma {
    node: Node,
    token: String,
    _secretariat: Node,
}

/// Ghana's accredited MA, in a network with the Secretariat.
fn start() -> (tempfile::TempDir, Ma) {
    let crate::Network {
        dir,
        secretariat,
        gh,
        gh_token,
        ..
    } = crate::network();
    (
        dir,
        Ma {
            node: gh,
            token: gh_token,
            _secretariat: secretariat,
        },
    )
}

fn post(url: &str, token: Option<&str>, body: &Value) -> (u16, Value) {
    let mut req = agent().post(url).header("content-type", "application/json");
    if let Some(t) = token {
        req = req.header("authorization", &format!("Bearer {t}"));
    }
    let mut r = req.send_json(body).unwrap();
    let status = r.status().as_u16();
    (status, r.body_mut().read_json().unwrap_or(Value::Null))
}

fn permit(number: &str) -> Value {
    let mut p: Value =
        serde_json::from_slice(&std::fs::read(fixture("export_permit")).unwrap()).unwrap();
    p["number"] = number.into();
    // Issue today: validity runs from the date of issue.
    let today = chrono::Utc::now().date_naive();
    p["issued"]["date"] = today.to_string().into();
    p["valid_until"] = (today + chrono::Months::new(6) - chrono::Days::new(1))
        .to_string()
        .into();
    p
}

fn holder() -> Signer {
    Signer::holder(SecretKey::from_seed(&[42; 32])).unwrap()
}

pub(crate) fn issue_request(number: &str, securing: &str) -> Value {
    json!({
        "credential": { "credentialSubject": { "id": holder().public().did_key(), "permit": permit(number) } },
        "options": { "securing": securing },
    })
}

#[test]
fn issue_anchor_and_verify_in_every_mechanism() {
    let (_dir, ma) = start();
    let url = &ma.node.url;
    let key = agent()
        .get(format!("{url}/log/key"))
        .call()
        .unwrap()
        .into_body()
        .read_to_string()
        .unwrap();
    let log_key = NoteVerifier::from_key_string(key.trim()).unwrap();

    for (i, securing) in ["jose", "eddsa-rdfc-2022", "eddsa-jcs-2022"]
        .iter()
        .enumerate()
    {
        let number = format!("GH26E2E{i:05}");
        let (status, body) = post(
            &format!("{url}/credentials/issue"),
            Some(&ma.token),
            &issue_request(&number, securing),
        );
        assert_eq!(status, 201, "{securing}: {body}");

        // The bundle proves the issuance entry is in the log under a signed checkpoint.
        let bundle = Bundle::from_json(&serde_json::to_vec(&body["evidence"]).unwrap()).unwrap();
        let entry = bundle.log.entry_bytes().unwrap();
        let proof = InclusionProof {
            hashes: bundle
                .log
                .proof_hashes()
                .unwrap()
                .into_iter()
                .map(ledger::Hash)
                .collect(),
        };
        let trust = LogTrust {
            origin: "cites.test/gh".into(),
            log_key: log_key.clone(),
            witnesses: vec![],
            quorum: 0,
        };
        ledger::verify_entry(
            &entry,
            bundle.log.index,
            &proof,
            bundle.log.checkpoint.as_bytes(),
            &trust,
        )
        .unwrap();
        let logged = contracts::LogEntry::decode(&entry).unwrap();
        let contracts::EntryKind::Issued { credential, .. } = logged.event else {
            panic!("not an issuance")
        };
        let vc: Secured = serde_json::from_value(body["verifiableCredential"].clone()).unwrap();
        assert_eq!(
            credential.0,
            vc.digest(),
            "the log anchors exactly this credential"
        );

        // The node verifies it.
        let (status, verdict) = post(
            &format!("{url}/credentials/verify"),
            None,
            &json!({ "verifiableCredential": body["verifiableCredential"] }),
        );
        assert_eq!(status, 200, "{securing}: {verdict:#}");
        assert_eq!(verdict["verified"], true);

        // A holder presentation for a fresh challenge verifies once.
        let (_, ch) = post(&format!("{url}/challenges"), None, &json!({}));
        let challenge = ch["challenge"].as_str().unwrap().to_owned();
        let domain = ch["domain"].as_str().unwrap().to_owned();
        let h = holder();
        let vp = presentation::build(&h.public().did_key(), &[vc]);
        let vp = h
            .present(
                &vp,
                credentials::Mechanism::EddsaJcs2022,
                "2026-11-25T10:00:00Z",
                &challenge,
                &domain,
            )
            .unwrap();
        let request = json!({ "verifiablePresentation": vp, "options": { "challenge": challenge, "domain": domain, "purpose": "export" } });
        let (status, verdict) = post(&format!("{url}/presentations/verify"), None, &request);
        assert_eq!(status, 200, "{verdict:#}");
        let (status, again) = post(&format!("{url}/presentations/verify"), None, &request);
        assert_eq!(status, 422, "a challenge answers once: {again}");
    }
}

#[test]
fn bad_issue_requests_are_refused_and_change_nothing() {
    let (_dir, ma) = start();
    let url = format!("{}/credentials/issue", ma.node.url);
    let size = |url: &str| -> u64 {
        let cp = agent()
            .get(format!("{url}/checkpoint"))
            .call()
            .unwrap()
            .into_body()
            .read_to_string()
            .unwrap();
        cp.lines().nth(1).unwrap().parse().unwrap()
    };

    assert_eq!(
        post(&url, None, &issue_request("GH26BAD00001", "jose")).0,
        401
    );
    assert_eq!(
        post(
            &url,
            Some("wrong-token-wrong-token-wrong-token"),
            &issue_request("GH26BAD00001", "jose")
        )
        .0,
        401
    );

    let mut invalid = issue_request("GH26BAD00002", "jose");
    invalid["credential"]["credentialSubject"]["permit"]["blocks"][0]["quantity"] = "0".into();
    let (status, body) = post(&url, Some(&ma.token), &invalid);
    assert_eq!(status, 422);
    assert_eq!(body["problems"][0]["rule"], "quantity-not-positive");

    let mut foreign = issue_request("GH26BAD00003", "jose");
    foreign["credential"]["credentialSubject"]["permit"]["authority"]["country"] = "TG".into();
    foreign["credential"]["credentialSubject"]["permit"]["exporter"]["country"] = "TG".into();
    assert_eq!(post(&url, Some(&ma.token), &foreign).0, 422);

    let mut bad_holder = issue_request("GH26BAD00004", "jose");
    bad_holder["credential"]["credentialSubject"]["id"] = "did:web:someone.example".into();
    assert_eq!(post(&url, Some(&ma.token), &bad_holder).0, 400);

    assert_eq!(
        post(&url, Some(&ma.token), &issue_request("GH26BAD00005", "rsa")).0,
        400
    );
    assert_eq!(
        post(&url, Some(&ma.token), &json!({"credential": 5})).0,
        400
    );
    assert_eq!(post(&url, Some(&ma.token), &json!({"nope": 1})).0, 400);
    assert_eq!(size(&ma.node.url), 0, "nothing was anchored");

    assert_eq!(
        post(
            &url,
            Some(&ma.token),
            &issue_request("GH26OK000001", "jose")
        )
        .0,
        201
    );
    let (status, body) = post(
        &url,
        Some(&ma.token),
        &issue_request("GH26OK000001", "eddsa-jcs-2022"),
    );
    assert_eq!(status, 409, "{body}");
    assert_eq!(size(&ma.node.url), 1);

    // Verification of garbage is a 400, of a forged credential a 422, never a 500.
    let verify = format!("{}/credentials/verify", ma.node.url);
    assert_eq!(
        post(&verify, None, &json!({"verifiableCredential": "not.a.jws"})).0,
        400
    );
    let forged = {
        let s = Signer::new(
            SecretKey::from_seed(&[3; 32]),
            "did:web:127.0.0.1%3A1#key-1",
        )
        .unwrap();
        let vc = json!({"@context": ["https://www.w3.org/ns/credentials/v2"], "type": ["VerifiableCredential"], "issuer": "did:web:127.0.0.1%3A1"});
        s.issue(&vc, credentials::Mechanism::Jose, "2026-01-01T00:00:00Z")
            .unwrap()
    };
    let (status, body) = post(&verify, None, &json!({"verifiableCredential": forged}));
    assert_eq!(status, 422, "{body}");
    assert_eq!(body["verified"], false);

    // The DID document and status lists are published.
    let did: Value = agent()
        .get(format!("{}/.well-known/did.json", ma.node.url))
        .call()
        .unwrap()
        .body_mut()
        .read_json()
        .unwrap();
    assert_eq!(
        did["assertionMethod"][0],
        format!("{}#key-1", did["id"].as_str().unwrap())
    );
    let list = agent()
        .get(format!("{}/status/revocation", ma.node.url))
        .call()
        .unwrap()
        .into_body()
        .read_to_string()
        .unwrap();
    let payload = credentials::jose::decode(&list).unwrap().payload;
    assert_eq!(payload["credentialSubject"]["statusPurpose"], "revocation");
}

#[test]
fn the_verify_command_prints_the_checklist() {
    let (dir, ma) = start();
    let url = &ma.node.url;
    let (status, body) = post(
        &format!("{url}/credentials/issue"),
        Some(&ma.token),
        &issue_request("GH26CLI00001", "eddsa-rdfc-2022"),
    );
    assert_eq!(status, 201, "{body}");
    let bundle = dir.path().join("bundle.json");
    std::fs::write(&bundle, serde_json::to_vec(&body["evidence"]).unwrap()).unwrap();
    let out = e2e_support::run(&bin(), &["verify", "--node", url, bundle.to_str().unwrap()]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains("permit GH/GH26CLI00001: VALID"), "{stdout}");
    assert!(stdout.contains("[pass] issuer_signature"), "{stdout}");
    assert!(stdout.contains("[pass] anchored"), "{stdout}");

    // A presentation needs its challenge; with the wrong one it is not valid (exit 1).
    let (_, ch) = post(&format!("{url}/challenges"), None, &json!({}));
    let vc: Secured = serde_json::from_value(body["verifiableCredential"].clone()).unwrap();
    let h = holder();
    let vp = presentation::build(&h.public().did_key(), &[vc]);
    let vp = h
        .present(
            &vp,
            credentials::Mechanism::Jose,
            "2026-11-25T10:00:00Z",
            "not-the-challenge",
            ch["domain"].as_str().unwrap(),
        )
        .unwrap();
    let file = dir.path().join("vp.jwt");
    let Secured::Jwt(token) = vp else {
        panic!("JOSE presentation")
    };
    std::fs::write(&file, token).unwrap();
    let out = e2e_support::run(&bin(), &["verify", "--node", url, file.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2), "no challenge given");
    let out = e2e_support::run(
        &bin(),
        &[
            "verify",
            "--node",
            url,
            "--challenge",
            ch["challenge"].as_str().unwrap(),
            file.to_str().unwrap(),
        ],
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{stdout}");
    assert!(stdout.contains("[FAIL] challenge_domain"), "{stdout}");
}

#[test]
fn a_node_without_genesis_does_not_vouch_for_itself() {
    let dir = tempfile::tempdir().unwrap();
    let node = Node::init_and_start(&bin(), dir.path(), "GH");
    let token = std::fs::read_to_string(dir.path().join("gh-data/keys/api.token"))
        .unwrap()
        .trim()
        .to_owned();
    let (status, body) = post(
        &format!("{}/credentials/issue", node.url),
        Some(&token),
        &issue_request("GH26ALONE001", "jose"),
    );
    assert_eq!(status, 201, "{body}");
    let (status, verdict) = post(
        &format!("{}/credentials/verify", node.url),
        None,
        &json!({ "verifiableCredential": body["verifiableCredential"] }),
    );
    assert_eq!(status, 422, "{verdict:#}");
    let checks = verdict["results"][0]["checks"].as_array().unwrap();
    let accredited = checks
        .iter()
        .find(|c| c["check"] == "issuer_accredited")
        .unwrap();
    assert_eq!(accredited["outcome"], "fail");
    assert!(
        accredited["reason"]
            .as_str()
            .unwrap()
            .contains("no genesis")
    );
}

#[test]
fn a_bundle_verifies_offline_against_the_genesis_alone() {
    let (dir, ma) = start();
    let url = &ma.node.url;
    let (status, body) = post(
        &format!("{url}/credentials/issue"),
        Some(&ma.token),
        &issue_request("GH26OFF00001", "eddsa-jcs-2022"),
    );
    assert_eq!(status, 201, "{body}");
    let genesis = dir.path().join("genesis.json");
    let bundle_path = dir.path().join("offline-bundle.json");
    let offline = |path: &std::path::Path| {
        e2e_support::run(
            &bin(),
            &[
                "verify",
                "--offline",
                genesis.to_str().unwrap(),
                path.to_str().unwrap(),
            ],
        )
    };

    // The witness cosigns within a few sync rounds; the holder refreshes the bundle until then.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    let bundle = loop {
        let (status, bundle) = post(
            &format!("{url}/evidence"),
            None,
            &body["verifiableCredential"],
        );
        assert_eq!(status, 200, "{bundle}");
        std::fs::write(&bundle_path, serde_json::to_vec(&bundle).unwrap()).unwrap();
        let out = offline(&bundle_path);
        if out.status.success() {
            let stdout = String::from_utf8_lossy(&out.stdout);
            assert!(
                stdout.contains("VALID")
                    && stdout.contains("cosigned by 1 of the genesis witnesses"),
                "{stdout}"
            );
            break bundle;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "never valid offline: {}",
            String::from_utf8_lossy(&out.stdout)
        );
        std::thread::sleep(std::time::Duration::from_millis(200));
    };

    // Each way the bundle can be wrong fails with its own reason.
    let check = |bundle: &Value, reason: &str| {
        let path = dir.path().join("tampered.json");
        std::fs::write(&path, serde_json::to_vec(bundle).unwrap()).unwrap();
        let out = offline(&path);
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert_eq!(out.status.code(), Some(1), "{stdout}");
        assert!(stdout.contains(reason), "expected {reason:?} in {stdout}");
    };
    let mut no_cosignature = bundle.clone();
    let note = bundle["log"]["checkpoint"].as_str().unwrap();
    let log_line = note
        .lines()
        .find(|l| l.starts_with("— cites.test/gh "))
        .unwrap();
    let body_end = note.find("\n\n").unwrap() + 2;
    no_cosignature["log"]["checkpoint"] = format!("{}{log_line}\n", &note[..body_end]).into();
    check(
        &no_cosignature,
        "0 valid witness cosignatures, policy requires 1; a bundle taken right after issuance \
         has no cosignatures yet: refresh it (`cites-wallet refresh`",
    );
    let mut wrong_index = bundle.clone();
    wrong_index["log"]["index"] = 7.into();
    check(&wrong_index, "[FAIL] anchored");
    let mut no_registry = bundle.clone();
    no_registry["registry"] = json!([]);
    check(&no_registry, "[FAIL] issuer_accredited");
    let mut no_status = bundle.clone();
    no_status["status"] = json!([]);
    check(&no_status, "has no status list");

    let truncated = dir.path().join("truncated.json");
    let text = serde_json::to_string(&bundle).unwrap();
    std::fs::write(&truncated, &text[..text.len() / 2]).unwrap();
    let out = offline(&truncated);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("is not an evidence bundle"));
}

#[test]
fn another_node_verifies_from_its_replica_of_the_issuers_log() {
    let net = crate::network();
    let (status, body) = post(
        &format!("{}/credentials/issue", net.gh.url),
        Some(&net.gh_token),
        &issue_request("GH26REP00001", "eddsa-rdfc-2022"),
    );
    assert_eq!(status, 201, "{body}");
    // The Secretariat's node replicates Ghana's log, then verifies the presentation on its own.
    let sec = &net.secretariat.url;
    let h = holder();
    let vc: Secured = serde_json::from_value(body["verifiableCredential"].clone()).unwrap();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    loop {
        let (_, ch) = post(&format!("{sec}/challenges"), None, &json!({}));
        let (challenge, domain) = (
            ch["challenge"].as_str().unwrap().to_owned(),
            ch["domain"].as_str().unwrap().to_owned(),
        );
        let vp = presentation::build(&h.public().did_key(), std::slice::from_ref(&vc));
        let vp = h
            .present(
                &vp,
                credentials::Mechanism::Jose,
                "2026-11-25T10:00:00Z",
                &challenge,
                &domain,
            )
            .unwrap();
        let request = json!({ "verifiablePresentation": vp, "options": { "challenge": challenge, "domain": domain } });
        let (status, verdict) = post(&format!("{sec}/presentations/verify"), None, &request);
        if status == 200 {
            let anchored = e2e_support::check_reason(&verdict, "anchored");
            assert!(anchored.contains("cites.test/gh"), "{anchored}");
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "never valid at the Secretariat: {verdict:#}"
        );
        std::thread::sleep(std::time::Duration::from_millis(200));
    }
}

#[test]
fn a_national_system_issues_from_toolkit_xml_and_reads_the_permit_back_as_xml() {
    let (dir, ma) = start();
    let url = &ma.node.url;
    let permit = permit("GH26XML00001");
    let json_file = dir.path().join("permit.json");
    std::fs::write(&json_file, serde_json::to_vec(&permit).unwrap()).unwrap();
    let out = e2e_support::run(
        &crate::bin(),
        &["permit", "to-xml", json_file.to_str().unwrap()],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let xml = String::from_utf8(out.stdout).unwrap();
    assert!(xml.contains("<rsm:CITESEPermit"), "{xml}");

    let holder = holder().public().did_key();
    let send = |body: &str, content_type: &str, query: &str| {
        let mut r = agent()
            .post(format!("{url}/credentials/issue/xml{query}"))
            .header("authorization", &format!("Bearer {}", ma.token))
            .header("content-type", content_type)
            .send(body)
            .unwrap();
        let status = r.status().as_u16();
        (
            status,
            r.body_mut().read_json::<Value>().unwrap_or(Value::Null),
        )
    };
    let query = format!("?holder={holder}&securing=eddsa-jcs-2022");
    // Refusals name what is wrong and issue nothing.
    let bad = xml.replace("<ram:PurposeCode>T<", "<ram:PurposeCode>XX<");
    let (status, body) = send(&bad, "application/xml", &query);
    assert_eq!(status, 400, "{body}");
    assert!(
        body["detail"].as_str().unwrap().contains("PurposeCode"),
        "{body}"
    );
    assert_eq!(send(&xml, "application/json", &query).0, 415);
    assert_eq!(send(&xml, "application/xml", "").0, 400, "no holder");

    let (status, body) = send(&xml, "application/xml", &query);
    assert_eq!(status, 201, "{body}");
    let (status, verified) = post(
        &format!("{url}/credentials/verify"),
        None,
        &json!({ "verifiableCredential": body["verifiableCredential"] }),
    );
    assert_eq!(status, 200, "{verified}");
    assert_eq!(send(&xml, "application/xml", &query).0, 409, "issued once");

    // An auditor reads it back as the same message.
    let (status, _) = post(
        &format!("{url}/users"),
        Some(&ma.token),
        &json!({ "username": "auditor", "name": "Auditor", "role": "auditor", "password": "a long test password" }),
    );
    assert_eq!(status, 201);
    let login = agent()
        .post(format!("{url}/auth/login"))
        .send_json(json!({ "username": "auditor", "password": "a long test password" }))
        .unwrap();
    let cookie = login.headers()["set-cookie"].to_str().unwrap();
    let cookie = cookie.split(';').next().unwrap().to_owned();
    let mut r = agent()
        .get(format!("{url}/permits/GH/GH26XML00001/xml"))
        .header("cookie", &cookie)
        .call()
        .unwrap();
    assert_eq!(r.status(), 200);
    assert!(
        r.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("application/xml")
    );
    let back = r.body_mut().read_to_string().unwrap();
    let expected: contracts::Permit =
        contracts::from_json(&serde_json::to_vec(&permit).unwrap()).unwrap();
    assert_eq!(toolkit::from_xml(&back).unwrap(), expected);
    let other = agent()
        .get(format!("{url}/permits/GH/GH26XML99999/xml"))
        .header("cookie", &cookie)
        .call()
        .unwrap();
    assert_eq!(other.status(), 404);
}
