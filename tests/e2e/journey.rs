//! The exporter's side of the journey over real nodes: the MA issues through the workflow, the
//! wallet receives the permit over OpenID4VCI (transaction code, proof of possession), presents
//! it to export customs, who endorse it, and to the importing side's node, which verifies it
//! from its replica. The flow refuses a wrong transaction code, a second redemption, a proof by
//! another key and a replayed proof.

use serde_json::{Value, json};

use crate::workflow::{Client, Ma};

pub(crate) fn offer_and_permit(ma: &Ma, holder: &str) -> (Value, String, String) {
    let id = crate::workflow::new_application_for(ma, "export_permit", holder);
    let app = |verb: &str| format!("/applications/{id}/{verb}");
    assert_eq!(ma.as_("applicant").post_empty(&app("submit")).0, 200);
    assert_eq!(
        ma.as_("ma-officer").post_empty(&app("request-advice")).0,
        200
    );
    let advice = json!({ "favourable": true, "finding": "ranched" });
    assert_eq!(ma.as_("sa-officer").post(&app("advice"), &advice).0, 200);
    assert_eq!(ma.as_("ma-officer").post_empty(&app("approve")).0, 200);
    let pay = json!({ "reference": "R-9", "amount": { "amount": 5000, "currency": "GHS" } });
    assert_eq!(ma.as_("ma-officer").post(&app("payment"), &pay).0, 200);
    let (status, issued) = ma.as_("ma-officer").post_empty(&app("issue"));
    assert_eq!(status, 201, "{issued}");
    let offer = &issued["offer"];
    assert!(
        offer["uri"]
            .as_str()
            .unwrap()
            .starts_with("openid-credential-offer://?credential_offer=")
    );
    assert!(offer["qr_svg"].as_str().unwrap().starts_with("<?xml"));
    (
        offer.clone(),
        issued["permit"].as_str().unwrap().to_owned(),
        offer["tx_code"].as_str().unwrap().to_owned(),
    )
}

#[test]
fn the_wallet_receives_over_openid4vci_and_presents_at_both_borders() {
    let ma = crate::workflow::start();
    let dir = tempfile::tempdir().unwrap();
    let mut w = wallet::Wallet::create(&dir.path().join("w"), "a long wallet passphrase").unwrap();
    let (offer, permit, tx_code) = offer_and_permit(&ma, &w.did().unwrap());
    let parsed = wallet::receive::parse_offer(offer["uri"].as_str().unwrap()).unwrap();

    // Refusals: no or wrong transaction code; the wrong key's proof is checked below.
    let key = w.holder_key().unwrap();
    let err = wallet::receive::receive(&parsed, None, &key).err().unwrap();
    assert!(err.to_string().contains("transaction code"), "{err:#}");
    let err = wallet::receive::receive(&parsed, Some("000000"), &key)
        .err()
        .unwrap();
    assert!(format!("{err:#}").contains("invalid_grant"), "{err:#}");

    let other = credentials::keys::SecretKey::from_seed(&[9; 32]);
    let err = wallet::receive::receive(&parsed, Some(&tx_code), &other)
        .err()
        .unwrap();
    assert!(
        format!("{err:#}").contains("invalid_proof"),
        "a proof by another key: {err:#}"
    );
    // That redeemed the code; a second redemption is refused, and a new offer works.
    let err = wallet::receive::receive(&parsed, Some(&tx_code), &key)
        .err()
        .unwrap();
    assert!(format!("{err:#}").contains("redeemed already"), "{err:#}");
    let (status, fresh) = ma
        .as_("applicant")
        .post_empty(&format!("/permits/{permit}/offer"));
    assert_eq!(status, 201, "{fresh}");
    let parsed = wallet::receive::parse_offer(fresh["offer"]["uri"].as_str().unwrap()).unwrap();
    let got = wallet::receive::receive(&parsed, fresh["offer"]["tx_code"].as_str(), &key).unwrap();
    let evidence = wallet::receive::evidence(&got.issuer_url, &got.credential).unwrap();
    w.add(
        got.credential.clone(),
        Some(evidence),
        Some(got.issuer_url.clone()),
    )
    .unwrap();
    w.save().unwrap();
    let held = w.get(&permit).unwrap().clone();
    let reference = wallet::reference(&held).unwrap();
    assert!(reference.starts_with(&format!("CITES1:{permit}:")));
    // The QR reference, resolved by the issuer's node and (from its replica) by another.
    let encode = |r: &str| {
        percent_encoding::utf8_percent_encode(r, percent_encoding::NON_ALPHANUMERIC).to_string()
    };
    let gh = Client {
        url: ma.url(),
        auth: ("x-none", String::new()),
    };
    let (status, answer) = gh.get(&format!("/references?ref={}", encode(&reference)));
    assert_eq!(status, 200, "{answer:#}");
    let sec = Client {
        url: ma.net.secretariat.url.clone(),
        auth: ("x-none", String::new()),
    };
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    while sec
        .get(&format!("/references?ref={}", encode(&reference)))
        .0
        != 200
    {
        assert!(
            std::time::Instant::now() < deadline,
            "the replica never resolved it"
        );
        std::thread::sleep(std::time::Duration::from_millis(200));
    }
    let mut parts: Vec<String> = reference.split(':').map(str::to_owned).collect();
    parts[2] = "0".repeat(64);
    let (status, answer) = gh.get(&format!("/references?ref={}", encode(&parts.join(":"))));
    assert_eq!(
        status, 422,
        "another credential under the same number: {answer}"
    );
    assert_eq!(gh.get("/references?ref=nonsense").0, 400);
    assert!(
        wallet::reference(&held)
            .unwrap()
            .starts_with(&format!("CITES1:{permit}:"))
    );

    // A replayed proof of possession (same nonce) is refused.
    let client = agent();
    let nonce: Value = client
        .post(format!("{}/nonce", ma.url()))
        .send_empty()
        .unwrap()
        .body_mut()
        .read_json()
        .unwrap();
    let signer = credentials::jose::JoseSigner::new(&key, &key.public().did_key_method()).unwrap();
    let proof = signer
        .sign(&json!({ "aud": ma.url(), "iat": chrono::Utc::now().timestamp(), "nonce": nonce["c_nonce"] }), "openid4vci-proof+jwt")
        .unwrap();
    // An access token from a fresh offer of the same permit.
    let access_token = || {
        let (_, again) = ma
            .as_("applicant")
            .post_empty(&format!("/permits/{permit}/offer"));
        let code = wallet::receive::parse_offer(again["offer"]["uri"].as_str().unwrap()).unwrap()
            ["grants"]["urn:ietf:params:oauth:grant-type:pre-authorized_code"]["pre-authorized_code"]
            .as_str()
            .unwrap()
            .to_owned();
        let token: Value = client
            .post(format!("{}/token", ma.url()))
            .send_form([
                (
                    "grant_type",
                    "urn:ietf:params:oauth:grant-type:pre-authorized_code",
                ),
                ("pre-authorized_code", &code),
                ("tx_code", again["offer"]["tx_code"].as_str().unwrap()),
            ])
            .unwrap()
            .body_mut()
            .read_json::<Value>()
            .unwrap();
        token["access_token"].as_str().unwrap().to_owned()
    };
    let ask = |access: &str, proof: &str| {
        let mut r = client
            .post(format!("{}/credential", ma.url()))
            .header("authorization", &format!("Bearer {access}"))
            .send_json(json!({ "proofs": { "jwt": [proof] } }))
            .unwrap();
        (
            r.status().as_u16(),
            r.body_mut().read_json::<Value>().unwrap(),
        )
    };
    let first = access_token();
    assert_eq!(ask(&first, &proof).0, 200);
    let (status, body) = ask(&first, &proof);
    assert_eq!(
        (status, body["error"].as_str()),
        (401, Some("invalid_token")),
        "a token is spent once: {body}"
    );
    let (status, body) = ask(&access_token(), &proof);
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("invalid_nonce")),
        "{body}"
    );

    // Export customs: challenge, presentation from the wallet, verdict, endorsement.
    let gh = Client {
        url: ma.url(),
        auth: ("x-none", String::new()),
    };
    let (_, ch) = gh.post("/challenges", &json!({}));
    let vp = wallet::present(
        w.holder_key().unwrap(),
        std::slice::from_ref(&held.credential),
        credentials::Mechanism::EddsaJcs2022,
        ch["challenge"].as_str().unwrap(),
        ch["domain"].as_str().unwrap(),
        chrono::Utc::now(),
    )
    .unwrap();
    // The goods are declared as handbags (HS 4202): the verdict stands, with a risk flag.
    let request = json!({ "verifiablePresentation": vp, "options": { "challenge": ch["challenge"], "domain": ch["domain"], "purpose": "export", "hsCode": "4202.21" } });
    let (status, verdict) = gh.post("/presentations/verify", &request);
    assert_eq!(status, 200, "{verdict:#}");
    let rules: Vec<&str> = verdict["risk"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["rule"].as_str().unwrap())
        .collect();
    assert_eq!(rules, ["hs-mismatch"], "{verdict:#}");
    let endorse =
        json!({ "quantities": { "A": "50", "B": "5" }, "port": "Kotoka International Airport" });
    assert_eq!(
        ma.as_("customs-officer")
            .post(&format!("/permits/{permit}/endorsement"), &endorse)
            .0,
        200
    );

    // The importing side: another node verifies it from its replica of Ghana's log.
    let importer = Client {
        url: ma.net.secretariat.url.clone(),
        auth: ("x-none", String::new()),
    };
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    loop {
        let (_, ch) = importer.post("/challenges", &json!({}));
        let vp = wallet::present(
            w.holder_key().unwrap(),
            std::slice::from_ref(&held.credential),
            credentials::Mechanism::Jose,
            ch["challenge"].as_str().unwrap(),
            ch["domain"].as_str().unwrap(),
            chrono::Utc::now(),
        )
        .unwrap();
        let request = json!({ "verifiablePresentation": vp, "options": { "challenge": ch["challenge"], "domain": ch["domain"], "purpose": "import" } });
        let (status, verdict) = importer.post("/presentations/verify", &request);
        if status == 200 {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "never valid at the importing node: {verdict:#}"
        );
        std::thread::sleep(std::time::Duration::from_millis(200));
    }
}

/// Offline at a border post: the wallet's presentation package (presentation + evidence)
/// checked against the genesis alone, for the challenge and domain the officer gave.
#[test]
fn a_presentation_with_its_evidence_verifies_offline_for_its_challenge_only() {
    let ma = crate::workflow::start();
    let dir = tempfile::tempdir().unwrap();
    let mut w = wallet::Wallet::create(&dir.path().join("w"), "a long wallet passphrase").unwrap();
    let (offer, permit, tx_code) = offer_and_permit(&ma, &w.did().unwrap());
    let parsed = wallet::receive::parse_offer(offer["uri"].as_str().unwrap()).unwrap();
    let got = wallet::receive::receive(&parsed, Some(&tx_code), &w.holder_key().unwrap()).unwrap();
    w.add(got.credential.clone(), None, Some(got.issuer_url.clone()))
        .unwrap();
    let genesis = ma.net.dir.path().join("genesis.json");
    let package = dir.path().join("vp.json");
    let verify = |challenge: &str, domain: &str| {
        e2e_support::run(
            &crate::bin(),
            &[
                "verify",
                "--offline",
                genesis.to_str().unwrap(),
                "--challenge",
                challenge,
                "--domain",
                domain,
                "--purpose",
                "export",
                package.to_str().unwrap(),
            ],
        )
    };
    let write_package = |w: &wallet::Wallet| {
        let held = w.get(&permit).unwrap();
        let vp = wallet::present(
            w.holder_key().unwrap(),
            std::slice::from_ref(&held.credential),
            credentials::Mechanism::EddsaJcs2022,
            "border-1",
            "customs.gh.example",
            chrono::Utc::now(),
        )
        .unwrap();
        let evidence: Vec<_> = held.evidence.iter().cloned().collect();
        std::fs::write(
            &package,
            json!({ "verifiablePresentation": vp, "evidence": evidence }).to_string(),
        )
        .unwrap();
    };
    // The witnesses cosign within a second or two; refresh until the bundle has the quorum.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    loop {
        let bundle = wallet::receive::evidence(&got.issuer_url, &got.credential).unwrap();
        w.set_evidence(&permit, bundle).unwrap();
        write_package(&w);
        let out = verify("border-1", "customs.gh.example");
        if out.status.success() {
            assert!(String::from_utf8_lossy(&out.stdout).contains("VALID"));
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "{}",
            String::from_utf8_lossy(&out.stdout)
        );
        std::thread::sleep(std::time::Duration::from_millis(300));
    }
    let wrong = verify("border-2", "customs.gh.example");
    assert_eq!(wrong.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&wrong.stdout).contains("challenge_domain"),
        "{}",
        String::from_utf8_lossy(&wrong.stdout)
    );
    let wrong = verify("border-1", "elsewhere.example");
    assert_eq!(wrong.status.code(), Some(1));
    let missing = e2e_support::run(
        &crate::bin(),
        &[
            "verify",
            "--offline",
            genesis.to_str().unwrap(),
            package.to_str().unwrap(),
        ],
    );
    assert_eq!(
        missing.status.code(),
        Some(2),
        "a presentation needs the challenge and domain"
    );

    // A presentation altered after signing fails on its holder proof.
    let good = std::fs::read_to_string(&package).unwrap();
    let mut altered: Value = serde_json::from_str(&good).unwrap();
    altered["verifiablePresentation"]["holder"] =
        "did:key:z6MkrJVnaZkeFzdQyMZu1cgjg7k1pZZ6pvBQ7XJPt4swbTQ2".into();
    std::fs::write(&package, altered.to_string()).unwrap();
    let out = verify("border-1", "customs.gh.example");
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );

    // Cancelled at home: the refreshed evidence carries the revocation, offline too.
    let cancel = json!({ "reason": "stolen" });
    assert_eq!(
        ma.as_("ma-officer")
            .post(&format!("/permits/{permit}/cancel"), &cancel)
            .0,
        200
    );
    let bundle = wallet::receive::evidence(&got.issuer_url, &got.credential).unwrap();
    w.set_evidence(&permit, bundle).unwrap();
    write_package(&w);
    let out = verify("border-1", "customs.gh.example");
    assert_eq!(out.status.code(), Some(1));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("[FAIL] status"), "{text}");
    // Nor is a cancelled permit handed out over OpenID4VCI any more.
    let (status, fresh) = ma
        .as_("applicant")
        .post_empty(&format!("/permits/{permit}/offer"));
    assert_eq!(status, 201, "{fresh}");
    let parsed = wallet::receive::parse_offer(fresh["offer"]["uri"].as_str().unwrap()).unwrap();
    let err = wallet::receive::receive(
        &parsed,
        fresh["offer"]["tx_code"].as_str(),
        &w.holder_key().unwrap(),
    )
    .err()
    .unwrap();
    assert!(format!("{err:#}").contains("not handed out"), "{err:#}");
}

fn agent() -> ureq::Agent {
    e2e_support::agent()
}

#[test]
fn an_expired_offer_is_refused_and_a_new_one_works() {
    let mut ma = crate::workflow::start();
    ma.net.gh.stop();
    let text = std::fs::read_to_string(&ma.net.gh.config).unwrap();
    // A top-level key goes before the tables the file ends with.
    std::fs::write(&ma.net.gh.config, format!("offer_ttl_s = 1\n{text}")).unwrap();
    ma.net.gh.start();
    let dir = tempfile::tempdir().unwrap();
    let w = wallet::Wallet::create(&dir.path().join("w"), "a long wallet passphrase").unwrap();
    let (offer, permit, tx_code) = offer_and_permit(&ma, &w.did().unwrap());
    std::thread::sleep(std::time::Duration::from_millis(2100));
    let parsed = wallet::receive::parse_offer(offer["uri"].as_str().unwrap()).unwrap();
    let err = wallet::receive::receive(&parsed, Some(&tx_code), &w.holder_key().unwrap())
        .err()
        .unwrap();
    assert!(format!("{err:#}").contains("expired"), "{err:#}");
    let (status, fresh) = ma
        .as_("applicant")
        .post_empty(&format!("/permits/{permit}/offer"));
    assert_eq!(status, 201);
    let parsed = wallet::receive::parse_offer(fresh["offer"]["uri"].as_str().unwrap()).unwrap();
    wallet::receive::receive(
        &parsed,
        fresh["offer"]["tx_code"].as_str(),
        &w.holder_key().unwrap(),
    )
    .unwrap();
}
