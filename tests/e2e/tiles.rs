//! The node's log over HTTP, as an outside auditor reads it: the signed checkpoint, hash tiles
//! and entry bundles in the C2SP tlog-tiles layout, checked against the entries themselves, and
//! unchanged after a restart. The node runs in-process here (real RocksDB, real socket) so the
//! test can append entries without going through permit issuance.

use std::time::{Duration, Instant};

use e2e_support::agent;
use ledger::tile::decode_entry_bundle;
use ledger::{Hash, NoteVerifier, NoteVerify, SignedCheckpoint, leaf_hash, node_hash};
use node::RunningNode;
use node::config::{Config, Role};
use tokio::sync::watch;

fn root(leaves: &[Hash]) -> Hash {
    // RFC 6962 §2.1: split at the largest power of two below n.
    match leaves.len() {
        0 => ledger::hash::empty_root(),
        1 => leaves[0],
        n => {
            let mut k = 1;
            while k * 2 < n {
                k *= 2;
            }
            node_hash(&root(&leaves[..k]), &root(&leaves[k..]))
        }
    }
}

fn config(dir: &std::path::Path) -> Config {
    let mut c = Config::new(
        "Management Authority of Ghana",
        Role::ManagementAuthority,
        "GH".parse().unwrap(),
        "cites.test/gh-tiles",
        "127.0.0.1:0".parse().unwrap(),
        dir,
    );
    c.checkpoint_interval_ms = 20;
    c
}

fn checkpoint(url: &str, verifier: &NoteVerifier) -> SignedCheckpoint {
    let note = agent()
        .get(format!("{url}/checkpoint"))
        .call()
        .unwrap()
        .body_mut()
        .read_to_vec()
        .unwrap();
    let verifiers: [&dyn NoteVerify; 1] = [verifier];
    SignedCheckpoint::open_with_origin(&note, "cites.test/gh-tiles", &verifiers)
        .unwrap()
        .0
}

fn get(url: &str) -> (u16, Vec<u8>) {
    let mut r = agent().get(url).call().unwrap();
    (r.status().as_u16(), r.body_mut().read_to_vec().unwrap())
}

#[test]
fn tiles_match_the_entries_and_survive_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let rt = tokio::runtime::Runtime::new().unwrap();
    let entries: Vec<Vec<u8>> = (0..300)
        .map(|i| format!("entry {i}").into_bytes())
        .collect();
    let leaves: Vec<Hash> = entries.iter().map(|e| leaf_hash(e)).collect();

    let (stop, rx) = watch::channel(false);
    let node = rt
        .block_on(RunningNode::start(config(dir.path()), true, rx))
        .unwrap();
    let url = format!("http://{}", node.addr);
    let verifier = NoteVerifier::from_key_string(&node.anchor().verifier_key()).unwrap();
    for (i, e) in entries.iter().enumerate() {
        let index = rt.block_on(node.anchor().append(e.clone())).unwrap();
        assert_eq!(index, i as u64, "acknowledged in order, once each");
    }

    let deadline = Instant::now() + Duration::from_secs(10);
    let cp = loop {
        let cp = checkpoint(&url, &verifier);
        if cp.size() == 300 || Instant::now() > deadline {
            break cp;
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    assert_eq!(cp.size(), 300);
    assert_eq!(
        cp.root(),
        root(&leaves),
        "checkpoint root is the RFC 6962 root of the entries"
    );

    let (status, tile) = get(&format!("{url}/tile/0/000"));
    assert_eq!(status, 200);
    assert_eq!(
        tile,
        leaves[..256].iter().flat_map(|h| h.0).collect::<Vec<u8>>()
    );
    let (_, partial) = get(&format!("{url}/tile/0/001.p/44"));
    assert_eq!(
        partial,
        leaves[256..].iter().flat_map(|h| h.0).collect::<Vec<u8>>()
    );
    let (_, level1) = get(&format!("{url}/tile/1/000.p/1"));
    assert_eq!(level1, root(&leaves[..256]).0.to_vec());
    let (_, bundle) = get(&format!("{url}/tile/entries/001.p/44"));
    assert_eq!(
        decode_entry_bundle(&bundle).unwrap(),
        entries[256..].to_vec()
    );

    assert_eq!(
        get(&format!("{url}/tile/0/001")).0,
        404,
        "a full tile beyond the tree"
    );
    assert_eq!(get(&format!("{url}/tile/0/001.p/45")).0, 404);
    assert_eq!(
        get(&format!("{url}/tile/0/1")).0,
        400,
        "non-canonical index"
    );

    stop.send(true).unwrap();
    rt.block_on(node.stopped()).unwrap();

    // Restart on the same data: same tree, same checkpoint, same key.
    let (_stop, rx) = watch::channel(false);
    let node = rt
        .block_on(RunningNode::start(config(dir.path()), false, rx))
        .unwrap();
    let url = format!("http://{}", node.addr);
    let again = checkpoint(&url, &verifier);
    assert_eq!((again.size(), again.root()), (300, cp.root()));
    assert_eq!(
        get(&format!("{url}/tile/entries/000")).1,
        ledger::tile::encode_entry_bundle(&entries[..256]).unwrap()
    );
}
