//! The node's OpenID4VCI issuance against a wallet that shares no code with ours: the
//! oid4vc-ts library (`tests/interop`, installed by `scripts/test.sh` with `npm ci`) receives
//! an issued permit, and what it got is the credential the node anchored.

use std::io::Write as _;
use std::path::PathBuf;
use std::process::{Command, Output, Stdio};

use credentials::Secured;
use credentials::keys::SecretKey;
use serde_json::Value;

/// Runs `tests/interop/receive.mjs` with the holder's private JWK on its standard input.
fn independent_wallet(offer: &str, tx_code: &str, holder: &SecretKey) -> Output {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../tests/interop");
    assert!(
        dir.join("node_modules/@openid4vc/openid4vci").is_dir(),
        "the independent wallet is not installed: run `npm ci --prefix tests/interop` \
         (scripts/test.sh does)"
    );
    let mut child = Command::new("node")
        .current_dir(&dir)
        .args([
            "receive.mjs",
            offer,
            tx_code,
            &holder.public().did_key_method(),
        ])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("Node.js runs the independent wallet (scripts/setup.sh installs it)");
    let jwk = holder.to_jwk().to_string();
    // A wallet that exits before reading says why on stderr, which the caller shows.
    let _ = child.stdin.take().unwrap().write_all(jwk.as_bytes());
    child.wait_with_output().unwrap()
}

#[test]
fn an_independent_openid4vci_wallet_receives_a_permit() {
    let ma = crate::workflow::start();
    // The holder key lives in our wallet, which takes the credential afterwards.
    let dir = tempfile::tempdir().unwrap();
    let mut w = wallet::Wallet::create(&dir.path().join("w"), "a long wallet passphrase").unwrap();
    let holder = w.holder_key().unwrap();
    let (offer, permit, tx_code) =
        crate::journey::offer_and_permit(&ma, &holder.public().did_key());
    let uri = offer["uri"].as_str().unwrap();

    // Their client understands our refusal of a wrong transaction code.
    let out = independent_wallet(uri, "000000", &holder);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "a wrong transaction code was taken");
    assert!(stderr.contains("invalid_grant"), "{stderr}");

    let out = independent_wallet(uri, &tx_code, &holder);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "the independent wallet failed: {stderr}"
    );
    let got: Value = serde_json::from_slice(&out.stdout).unwrap();
    let credential = match &got["credentialResponse"]["credentials"][0]["credential"] {
        Value::String(jwt) => Secured::Jwt(jwt.clone()),
        doc @ Value::Object(_) => Secured::Embedded(doc.clone()),
        other => panic!("no credential in {other}"),
    };

    // It is the anchored credential of the offered permit, bound to the holder: the node
    // gives its evidence, and resolves the wallet's reference to it (a reference names the
    // credential's digest, so any other bytes would be refused).
    let evidence = wallet::receive::evidence(&ma.url(), &credential).unwrap();
    w.add(credential, Some(evidence), Some(ma.url())).unwrap();
    let held = w.get(&permit).unwrap().clone();
    let document = held.credential.unverified_document().unwrap();
    assert_eq!(
        document["credentialSubject"]["id"],
        holder.public().did_key().as_str()
    );
    let reference = wallet::reference(&held).unwrap();
    let encoded =
        percent_encoding::utf8_percent_encode(&reference, percent_encoding::NON_ALPHANUMERIC);
    let (status, answer) = ma
        .as_("applicant")
        .get(&format!("/references?ref={encoded}"));
    assert_eq!(status, 200, "{answer:#}");
}
