//! A node serves its log read-only in the C2SP tlog-tiles layout and checks permits over HTTP;
//! bad requests get a 4xx problem document and change nothing.

use e2e_support::{Node, agent};
use ledger::{NoteVerifier, NoteVerify, SignedCheckpoint};
use serde_json::Value;

use crate::{bin, fixture};

#[test]
fn node_serves_a_signed_checkpoint_and_tiles() {
    let dir = tempfile::tempdir().unwrap();
    let node = Node::init_and_start(&bin(), dir.path(), "GH");
    let http = agent();

    let key = http
        .get(format!("{}/log/key", node.url))
        .call()
        .unwrap()
        .into_body()
        .read_to_string()
        .unwrap();
    let verifier = NoteVerifier::from_key_string(key.trim()).unwrap();
    assert!(key.starts_with("cites.test/gh+"), "{key}");

    // An empty log publishes a checkpoint of size 0 when it starts.
    let mut r = http.get(format!("{}/checkpoint", node.url)).call().unwrap();
    assert_eq!(r.status(), 200);
    let note = r.body_mut().read_to_vec().unwrap();
    let verifiers: [&dyn NoteVerify; 1] = [&verifier];
    let (cp, _) = SignedCheckpoint::open_with_origin(&note, "cites.test/gh", &verifiers).unwrap();
    assert_eq!(cp.size(), 0);

    // Tiles beyond the tree are 404, malformed paths 400, both as problem documents.
    let r = http
        .get(format!("{}/tile/0/000.p/1", node.url))
        .call()
        .unwrap();
    assert_eq!(r.status(), 404);
    let r = http.get(format!("{}/tile/0/x", node.url)).call().unwrap();
    assert_eq!(r.status(), 400);
    assert_eq!(r.headers()["content-type"], "application/problem+json");
}

#[test]
fn node_checks_permits_over_http() {
    let dir = tempfile::tempdir().unwrap();
    let node = Node::init_and_start(&bin(), dir.path(), "DE");
    let http = agent();
    let url = format!("{}/permits/validate", node.url);

    let body = std::fs::read(fixture("certificate_of_origin")).unwrap();
    let mut r = http
        .post(&url)
        .header("content-type", "application/json")
        .send(&body[..])
        .unwrap();
    assert_eq!(r.status(), 200);
    let v: Value = r.body_mut().read_json().unwrap();
    assert_eq!(v["valid"], true);

    let mut permit: Value = serde_json::from_slice(&body).unwrap();
    permit["blocks"][0]["quantity"] = "0".into();
    let mut r = http
        .post(&url)
        .header("content-type", "application/json")
        .send_json(&permit)
        .unwrap();
    let v: Value = r.body_mut().read_json().unwrap();
    assert_eq!(v["valid"], false);
    assert_eq!(v["problems"][0]["box"], "11");
    assert_eq!(v["problems"][0]["rule"], "quantity-not-positive");

    for bad in [&b"{not json"[..], b"[]", b"{\"number\": 5}"] {
        let mut r = http
            .post(&url)
            .header("content-type", "application/json")
            .send(bad)
            .unwrap();
        assert_eq!(r.status(), 400, "{}", String::from_utf8_lossy(bad));
        let v: Value = r.body_mut().read_json().unwrap();
        assert_eq!(v["title"], "not a permit");
    }

    // Oversized bodies are refused before parsing.
    let huge = vec![b' '; 300 * 1024];
    let r = http
        .post(&url)
        .header("content-type", "application/json")
        .send(&huge[..])
        .unwrap();
    assert_eq!(r.status(), 413);

    // The home page renders and escapes what it shows.
    let page = http
        .get(format!("{}/", node.url))
        .call()
        .unwrap()
        .into_body()
        .read_to_string()
        .unwrap();
    assert!(page.contains("Management Authority of DE") && page.contains("cites.test/de"));
}
