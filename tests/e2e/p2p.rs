//! The peer-to-peer network with five real nodes (the Secretariat and four Management
//! Authorities, separate processes and RocksDB directories) on 127.0.0.1: every node replicates
//! every log and witnesses the others' checkpoints to the genesis quorum; a node that was down
//! catches up on its own, even when killed in the middle of catching up on a long log; a
//! partition (nodes in network namespaces, cut apart and joined again) heals; a node nobody
//! accredited is refused; a withdrawn node is dropped.

use std::time::{Duration, Instant};

use e2e_support::{Node, agent};
use serde_json::{Value, json};

use crate::bin;
use crate::netns::Lab;

/// One node of the test network.
struct Member {
    id: String,
    node: Node,
    did: String,
    token: String,
}

struct P2pNetwork {
    dir: tempfile::TempDir,
    members: Vec<Member>,
}

/// Adds top-level keys to a config (before its tables).
fn prepend(config: &std::path::Path, text: &str) {
    let old = std::fs::read_to_string(config).unwrap();
    std::fs::write(config, format!("{text}\n{old}")).unwrap();
}

fn get(url: &str) -> Value {
    agent()
        .get(url)
        .call()
        .unwrap()
        .body_mut()
        .read_json()
        .unwrap()
}

/// `/network` of a node.
fn network_status(node: &Node) -> Value {
    get(&format!("{}/network", node.url))
}

/// The log `origin` as `node` holds it: (entries, checkpoint size, cosignatures).
fn held(node: &Node, origin: &str) -> Option<(u64, u64, u64)> {
    network_status(node)["logs"]
        .as_array()?
        .iter()
        .find_map(|l| {
            (l["origin"] == origin).then(|| {
                (
                    l["size"].as_u64().unwrap(),
                    l["checkpoint"].as_u64().unwrap(),
                    l["cosignatures"].as_u64().unwrap(),
                )
            })
        })
}

fn wait_until(what: &str, timeout: Duration, mut done: impl FnMut() -> bool) -> Duration {
    let start = Instant::now();
    while !done() {
        assert!(start.elapsed() < timeout, "timed out: {what}");
        std::thread::sleep(Duration::from_millis(100));
    }
    start.elapsed()
}

/// Waits until log `origin` has stopped growing (nothing appended for 3 s: the audit trail's
/// anchor follows an issuance) and each of `ids` holds all of it under a checkpoint of that
/// size; returns the size.
fn settled(net: &P2pNetwork, origin: &str, ids: &[&str]) -> u64 {
    let owner = net
        .members
        .iter()
        .find(|m| P2pNetwork::origin(&m.id) == origin)
        .unwrap();
    let mut last = (0, Instant::now());
    wait_until(
        &format!("{origin} settled and held by {ids:?}"),
        Duration::from_secs(60),
        || {
            let size = held(&owner.node, origin).map_or(0, |h| h.1);
            if size != last.0 {
                last = (size, Instant::now());
            }
            last.1.elapsed() > Duration::from_secs(3)
                && ids.iter().all(|id| {
                    held(&net.member(id).node, origin)
                        .is_some_and(|(s, cp, _)| s == size && cp == size)
                })
        },
    );
    last.0
}

/// A node's config and its (not yet started) process: on 127.0.0.1 with fresh HTTP and p2p
/// ports, or alone in namespace `i` of a [`Lab`] (which its address is not loopback, so plain
/// HTTP must be allowed).
fn init(
    dir: &std::path::Path,
    id: &str,
    party: &str,
    place: Option<(&Lab, usize)>,
) -> (std::path::PathBuf, String, Node) {
    let Some((lab, i)) = place else {
        let port = e2e_support::free_port();
        let (config, out) = e2e_support::init(&bin(), dir, id, id, party, port);
        prepend(
            &config,
            &format!("p2p_listen = \"127.0.0.1:{}\"", e2e_support::free_port()),
        );
        let node = Node::from_config(&bin(), &config, port);
        return (config, out, node);
    };
    let host = lab.ip(i);
    let listen = format!("{host}:8700");
    let (config, out) = e2e_support::init_on(&bin(), dir, id, id, party, &listen, false);
    prepend(
        &config,
        &format!("p2p_listen = \"{host}:9700\"\nallow_plain_http = true"),
    );
    let node = Node::in_netns(&bin(), &config, &format!("http://{listen}"), &lab.ns(i));
    (config, out, node)
}

/// The Secretariat and the MAs of `parties`, all on the p2p network (no HTTP `peers`), every
/// MA accredited; the MAs are the genesis's witnesses, quorum 2.
fn start(parties: &[&str]) -> P2pNetwork {
    start_in(parties, None)
}

/// [`start`], each node in a namespace of `lab` (the Secretariat in the first) when given.
fn start_in(parties: &[&str], lab: Option<&Lab>) -> P2pNetwork {
    let dir = tempfile::tempdir().unwrap();
    let place = |i: usize| lab.map(|l| (l, i));
    let (sec_config, sec_out, sec_node) = init(dir.path(), "secretariat", "CH", place(0));
    let mut configs = vec![(
        "secretariat".to_owned(),
        sec_config.clone(),
        sec_out,
        sec_node,
    )];
    for (i, party) in parties.iter().enumerate() {
        let id = party.to_lowercase();
        let (c, o, n) = init(dir.path(), &id, party, place(i + 1));
        configs.push((id, c, o, n));
    }
    let genesis = dir.path().join("genesis.json");
    let mut args = vec![
        "genesis".to_owned(),
        "new".into(),
        "--config".into(),
        sec_config.to_str().unwrap().into(),
        "--network".into(),
        "cites-p2p".into(),
        "--quorum".into(),
        "2".into(),
        "--out".into(),
        genesis.to_str().unwrap().into(),
    ];
    for (_, _, out, _) in &configs[1..] {
        args.push("--witness".into());
        args.push(e2e_support::printed(out, "witness key: ").into());
    }
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    cli(&args);
    let mut members = Vec::new();
    for (id, config, out, mut node) in configs {
        prepend(&config, "genesis = \"genesis.json\"");
        node.start();
        let token = std::fs::read_to_string(dir.path().join(format!("{id}-data/keys/api.token")))
            .unwrap()
            .trim()
            .to_owned();
        members.push(Member {
            id,
            node,
            did: e2e_support::printed(&out, "node DID: ").to_owned(),
            token,
        });
    }
    let net = P2pNetwork { dir, members };
    for m in &net.members[1..] {
        accredit(&net, m);
    }
    net
}

/// The Secretariat writes `entry` on its log.
fn secretariat_writes(net: &P2pNetwork, entry: &Value) {
    let sec = &net.members[0];
    let r = agent()
        .post(format!("{}/registry/entries", sec.node.url))
        .header("authorization", &format!("Bearer {}", sec.token))
        .send_json(entry)
        .unwrap();
    assert_eq!(r.status(), 201);
}

fn accredit(net: &P2pNetwork, m: &Member) {
    let request = get(&format!("{}/registry/accreditation-request", m.node.url));
    assert!(
        request["services"]
            .as_array()
            .unwrap()
            .iter()
            .any(|s| s["type"] == "LibP2P"),
        "the accreditation request lists the node's libp2p address: {request}"
    );
    secretariat_writes(net, &request);
}

const PASSWORD: &str = "a long passphrase for the p2p test";

/// Signs in a new `role` official at `m`'s node; returns the session cookie.
fn official(m: &Member, role: &str) -> String {
    let r = agent()
        .post(format!("{}/users", m.node.url))
        .header("authorization", &format!("Bearer {}", m.token))
        .send_json(json!({"username": role, "name": format!("{role} of {}", m.id), "role": role, "password": PASSWORD}))
        .unwrap();
    assert_eq!(r.status(), 201);
    let r = agent()
        .post(format!("{}/auth/login", m.node.url))
        .send_json(json!({"username": role, "password": PASSWORD}))
        .unwrap();
    assert_eq!(r.status(), 200);
    let cookie = r.headers().get("set-cookie").unwrap().to_str().unwrap();
    cookie.split(';').next().unwrap().to_owned()
}

/// `POST url` with a session cookie; status and JSON body.
fn post_as(cookie: &str, url: &str, body: Option<Value>) -> (u16, Value) {
    let req = agent().post(url).header("cookie", cookie);
    let mut r = match body {
        Some(b) => req.send_json(b).unwrap(),
        None => req.send_empty().unwrap(),
    };
    (
        r.status().as_u16(),
        r.body_mut().read_json().unwrap_or(Value::Null),
    )
}

impl P2pNetwork {
    fn member(&self, id: &str) -> &Member {
        self.members.iter().find(|m| m.id == id).unwrap()
    }

    fn origin(id: &str) -> String {
        format!("cites.test/{id}")
    }

    /// Every running member holds `origin` up to at least `size`, under a checkpoint with the
    /// quorum of cosignatures.
    fn replicated_everywhere(&self, origin: &str, size: u64, except: &[&str]) -> bool {
        self.members
            .iter()
            .filter(|m| !except.contains(&m.id.as_str()))
            .all(|m| {
                held(&m.node, origin)
                    .is_some_and(|(s, cp, cosigs)| s >= size && cp == s && cosigs >= 2)
            })
    }

    /// Ghana issues permit `number`; returns its log's size after it.
    fn issue(&self, number: &str) -> u64 {
        self.issue_credential(number).0
    }

    /// Ghana issues permit `number`; returns its log's size after it and the credential.
    fn issue_credential(&self, number: &str) -> (u64, Value) {
        self.issue_at("gh", crate::issue_verify::issue_request(number, "jose"))
    }

    /// Member `id` issues what `request` asks; returns its log's size after it and the
    /// credential.
    fn issue_at(&self, id: &str, request: Value) -> (u64, Value) {
        let m = self.member(id);
        let mut r = agent()
            .post(format!("{}/credentials/issue", m.node.url))
            .header("authorization", &format!("Bearer {}", m.token))
            .send_json(request)
            .unwrap();
        let status = r.status();
        let body: Value = r.body_mut().read_json().unwrap();
        assert_eq!(status, 201, "{body}");
        // Issuance returns once the entry is under a checkpoint.
        let size = held(&m.node, &Self::origin(id)).unwrap().0;
        (size, body["verifiableCredential"].clone())
    }
}

#[test]
fn five_nodes_replicate_witness_catch_up_and_refuse_strangers() {
    let _one = crate::networked();
    let mut net = start(&["GH", "DE", "FR", "KE"]);
    let ids: Vec<String> = net.members.iter().map(|m| m.id.clone()).collect();

    // Every node ends up with a verified, quorum-cosigned replica of every log.
    wait_until(
        "every log replicated and cosigned everywhere",
        Duration::from_secs(60),
        || {
            ids.iter().all(|id| {
                let owner = net.member(id);
                let (size, _, _) = held(&owner.node, &P2pNetwork::origin(id)).unwrap();
                net.replicated_everywhere(&P2pNetwork::origin(id), size, &[])
            })
        },
    );
    for m in &net.members {
        let s = network_status(&m.node);
        assert_eq!(
            s["connected"].as_array().unwrap().len(),
            4,
            "{} is connected to every other node: {s}",
            m.id
        );
    }

    // A permit issued in Ghana reaches every node, cosigned by the quorum.
    let (size, credential) = net.issue_credential("GH26P2P00001");
    let took = wait_until("Ghana's permit replicated", Duration::from_secs(30), || {
        net.replicated_everywhere(&P2pNetwork::origin("gh"), size, &[])
    });
    println!("Ghana's log at size {size} replicated and cosigned everywhere in {took:?}");
    // France's node verifies it from its replica, with Ghana's status lists fetched from the
    // node endpoint the registry lists for Ghana (no HTTP peers are configured).
    let mut r = agent()
        .post(format!("{}/credentials/verify", net.member("fr").node.url))
        .send_json(json!({ "verifiableCredential": credential }))
        .unwrap();
    let (status, verdict) = (r.status(), r.body_mut().read_json::<Value>().unwrap());
    assert_eq!(status, 200, "valid at another Party's node: {verdict:#}");
    // Its anchor names the witnesses' cosignatures on the covering checkpoint, which France
    // holds with its replica.
    let reason = e2e_support::check_reason(&verdict, "anchored");
    assert!(
        reason.contains("witness cosignature(s)") && !reason.contains("(0 witness"),
        "{reason}"
    );

    // EPIX: Germany (the Party of import) reads the permit from Ghana's node; France may not.
    let de_customs = official(net.member("de"), "customs-officer");
    let fr_customs = official(net.member("fr"), "customs-officer");
    let gh_customs = official(net.member("gh"), "customs-officer");
    let (de_url, fr_url, gh_url) = (
        net.member("de").node.url.clone(),
        net.member("fr").node.url.clone(),
        net.member("gh").node.url.clone(),
    );
    let epix = |cookie: &str, url: &str, op: &str, body: Option<Value>| {
        post_as(cookie, &format!("{url}/epix/GH/GH26P2P00001/{op}"), body)
    };
    let (status, body) = epix(&de_customs, &de_url, "non-final", None);
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["permit"]["number"], "GH26P2P00001");
    assert_eq!(body["status"], "issued");
    let (status, body) = epix(&de_customs, &de_url, "final", None);
    assert_eq!(
        (status, body["title"].as_str()),
        (409, Some("NotFinal")),
        "{body}"
    );
    // To France, Ghana's permit for Germany does not exist (nor does a number never issued).
    let (status, body) = epix(&fr_customs, &fr_url, "non-final", None);
    assert_eq!(
        (status, body["title"].as_str()),
        (404, Some("CertificateMissing")),
        "{body}"
    );
    let (status, body) = post_as(
        &de_customs,
        &format!("{de_url}/epix/GH/GH26NOPE0001/non-final"),
        None,
    );
    assert_eq!(
        (status, body["title"].as_str()),
        (404, Some("CertificateMissing")),
        "{body}"
    );
    let (status, body) = epix(&de_customs, &de_url, "non-final", Some(json!({"x": 1})));
    assert_eq!(status, 400, "an unexpected body is refused: {body}");
    let (status, body) = post_as(&de_customs, &format!("{de_url}/epix/ZZ/state"), None);
    assert_eq!(status, 405, "state is a GET: {body}");
    let r = agent()
        .get(format!("{de_url}/epix/GH/state"))
        .header("cookie", &de_customs)
        .call()
        .unwrap()
        .body_mut()
        .read_json::<Value>()
        .unwrap();
    assert_eq!(r, json!({"party": "GH", "available": true}));

    // Ghana's customs endorse the export; Germany reads the final permit and confirms.
    let (status, body) = post_as(
        &gh_customs,
        &format!("{gh_url}/permits/GH/GH26P2P00001/endorsement"),
        Some(
            json!({ "quantities": { "A": "48", "B": "5" }, "port": "Kotoka International Airport" }),
        ),
    );
    assert_eq!(status, 200, "{body}");
    let (status, body) = epix(&de_customs, &de_url, "final", None);
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        body["permit"]["export_endorsements"][0]["port"],
        "Kotoka International Airport"
    );
    let (status, body) = epix(
        &fr_customs,
        &fr_url,
        "confirm",
        Some(json!({"quantities": {"A": "48"}})),
    );
    assert_eq!(
        (status, body["title"].as_str()),
        (404, Some("CertificateMissing")),
        "{body}"
    );
    // Entries are served up to the latest checkpoint.
    let published = || {
        let node = &net.member("gh").node;
        wait_until(
            "Ghana's checkpoint covers its log",
            Duration::from_secs(10),
            || held(node, &P2pNetwork::origin("gh")).is_some_and(|(s, cp, _)| cp == s),
        );
        held(node, &P2pNetwork::origin("gh")).unwrap().1
    };
    let before = published();
    let confirm = json!({"quantities": {"A": "48", "B": "5"}});
    let (status, body) = epix(&de_customs, &de_url, "confirm", Some(confirm.clone()));
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["status"], "import_confirmed");
    let after = published();
    let entries = get(&format!("{gh_url}/log/entries/{before}/{after}"));
    let texts: Vec<String> = entries["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            use base64::Engine as _;
            let bytes = base64::engine::general_purpose::STANDARD
                .decode(e.as_str().unwrap())
                .unwrap();
            String::from_utf8_lossy(&bytes).into_owned()
        })
        .collect();
    assert!(
        texts.iter().any(|t| t.contains("permit.import_confirmed")),
        "the confirmation is an entry of Ghana's log: {texts:?}"
    );
    // The same confirmation again (a retry after a lost answer) changes nothing; another
    // one (a second consignment on the same permit) is refused and flagged.
    let (status, body) = epix(&de_customs, &de_url, "confirm", Some(confirm));
    assert_eq!(
        (status, &body["status"]),
        (200, &json!("import_confirmed")),
        "{body}"
    );
    assert_eq!(
        body["lifecycle"]["crossings"].as_array().map(Vec::len),
        Some(1),
        "a retry records nothing new: {body}"
    );
    let again = json!({"quantities": {"A": "40", "B": "5"}});
    let (status, body) = epix(&de_customs, &de_url, "confirm", Some(again));
    assert_eq!(
        (status, body["title"].as_str()),
        (409, Some("AlreadyConfirmed")),
        "{body}"
    );
    let alerts: Value = agent()
        .get(format!("{gh_url}/alerts"))
        .header(
            "authorization",
            &format!("Bearer {}", net.member("gh").token),
        )
        .call()
        .unwrap()
        .body_mut()
        .read_json()
        .unwrap();
    assert!(
        alerts
            .as_array()
            .unwrap()
            .iter()
            .any(|a| a["kind"] == "double-confirmation" && a["subject"] == "GH/GH26P2P00001"),
        "{alerts}"
    );
    let size = after;
    // Germany's node goes down; Ghana issues more; back up, it catches up on its own.
    let de_index = net.members.iter().position(|m| m.id == "de").unwrap();
    net.members[de_index].node.kill();
    let mut size = size;
    for i in 2..=4 {
        size = net.issue(&format!("GH26P2P{i:05}"));
    }
    wait_until(
        "the running nodes replicated",
        Duration::from_secs(30),
        || net.replicated_everywhere(&P2pNetwork::origin("gh"), size, &["de"]),
    );
    net.members[de_index].node.start();
    wait_until(
        "Germany caught up after its restart",
        Duration::from_secs(30),
        || net.replicated_everywhere(&P2pNetwork::origin("gh"), size, &[]),
    );

    // A node pinning the same genesis but not accredited gets nothing.
    let (config, _, mut stranger) = init(net.dir.path(), "stranger", "BR", None);
    let sec_p2p = {
        let text = std::fs::read_to_string(&net.member("secretariat").node.config).unwrap();
        let line = text
            .lines()
            .find(|l| l.starts_with("p2p_listen"))
            .unwrap()
            .to_owned();
        line.split('"').nth(1).unwrap().to_owned()
    };
    let sec_peer = network_status(&net.member("secretariat").node)["peer_id"]
        .as_str()
        .unwrap()
        .to_owned();
    let (ip, p) = sec_p2p.split_once(':').unwrap();
    prepend(
        &config,
        &format!(
            "genesis = \"genesis.json\"\np2p_bootstrap = [\"/ip4/{ip}/tcp/{p}/p2p/{sec_peer}\"]"
        ),
    );
    stranger.start();
    std::thread::sleep(Duration::from_secs(4));
    let s = network_status(&stranger);
    assert_eq!(
        s["connected"],
        json!([]),
        "nobody keeps a connection with a stranger: {s}"
    );
    assert_eq!(
        s["logs"].as_array().unwrap().len(),
        1,
        "the stranger holds only its own log: {s}"
    );
    let stranger_peer = s["peer_id"].as_str().unwrap().to_owned();
    for m in &net.members {
        let connected = network_status(&m.node)["connected"].clone();
        assert!(
            !connected
                .as_array()
                .unwrap()
                .iter()
                .any(|p| p == stranger_peer.as_str()),
            "{} refused the stranger",
            m.id
        );
    }
    drop(stranger);

    // The Secretariat withdraws Kenya's accreditation: every node drops Kenya's connection.
    let ke = net.member("ke");
    let ke_peer = network_status(&ke.node)["peer_id"]
        .as_str()
        .unwrap()
        .to_owned();
    secretariat_writes(
        &net,
        &json!({"type": "withdraw", "subject": ke.did, "reason": "end of the e2e test"}),
    );
    wait_until(
        "Kenya dropped by every other node",
        Duration::from_secs(30),
        || {
            net.members.iter().filter(|m| m.id != "ke").all(|m| {
                !network_status(&m.node)["connected"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .any(|p| p == ke_peer.as_str())
            })
        },
    );
}

/// Runs `cites-node` with `args`; it must succeed.
fn cli(args: &[&str]) {
    let out = e2e_support::run(&bin(), args);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

fn alerts(m: &Member) -> Value {
    agent()
        .get(format!("{}/alerts", m.node.url))
        .header("authorization", &format!("Bearer {}", m.token))
        .call()
        .unwrap()
        .body_mut()
        .read_json()
        .unwrap()
}

/// A node restored from a backup and writing again signs a second tree for sizes its peers
/// already hold (an equivocation, whatever the intent): every honest node keeps both
/// checkpoints as evidence and raises the alert.
#[test]
fn a_log_that_forks_is_caught_by_every_honest_node() {
    let _one = crate::networked();
    let (mut net, gh_origin) = ghana_permit_everywhere("GH26FRK00001");
    let backup = net.dir.path().join("gh-backup");
    let config = net.member("gh").node.config.clone();
    cli(&[
        "backup",
        "--config",
        config.to_str().unwrap(),
        "--out",
        backup.to_str().unwrap(),
    ]);

    // Ghana writes on, its peers replicate; then Ghana goes back to the backup and writes
    // something else at the same positions.
    let size = net.issue("GH26FRK00002");
    wait_until(
        "Ghana's second permit replicated",
        Duration::from_secs(30),
        || net.replicated_everywhere(&gh_origin, size, &["gh"]),
    );
    let gh = net.members.iter().position(|m| m.id == "gh").unwrap();
    net.members[gh].node.stop();
    cli(&[
        "restore",
        "--config",
        config.to_str().unwrap(),
        "--from",
        backup.to_str().unwrap(),
    ]);
    net.members[gh].node.start();
    // The fork reaches the others as gossip, heard only by nodes connected at that moment: wait
    // for the restored node to be back in touch with every other one. (A fork at a size the
    // others hold, announced while nobody listens, is left to the polls, which compare one
    // such log a round: see the next test.)
    let others = net.members.len() - 1;
    wait_until(
        "Ghana reconnected to every other node",
        Duration::from_secs(60),
        || {
            network_status(&net.members[gh].node)["connected"]
                .as_array()
                .is_some_and(|c| c.len() >= others)
        },
    );
    net.issue("GH26FRK00003");

    equivocation_alerted(
        &net,
        &["secretariat", "de", "fr"],
        &gh_origin,
        Duration::from_secs(60),
    );
}

/// Ghana, Germany and France, with permit `number` issued by Ghana and replicated everywhere;
/// and Ghana's log origin.
fn ghana_permit_everywhere(number: &str) -> (P2pNetwork, String) {
    let net = start(&["GH", "DE", "FR"]);
    let gh_origin = P2pNetwork::origin("gh");
    let size = net.issue(number);
    wait_until(
        "Ghana's first permit replicated",
        Duration::from_secs(60),
        || net.replicated_everywhere(&gh_origin, size, &[]),
    );
    (net, gh_origin)
}

/// Waits until each of `nodes` holds an equivocation alert on log `origin`, with both signed
/// checkpoints as its evidence.
fn equivocation_alerted(net: &P2pNetwork, nodes: &[&str], origin: &str, timeout: Duration) {
    let alert = |id: &str| {
        alerts(net.member(id))
            .as_array()
            .unwrap()
            .iter()
            .find(|a| a["kind"] == "equivocation" && a["subject"] == origin)
            .cloned()
    };
    wait_until("the equivocation alert raised", timeout, || {
        nodes.iter().all(|id| alert(id).is_some())
    });
    for id in nodes {
        let alert = alert(id).unwrap();
        let (held, conflicting) = (
            alert["evidence"]["held"].as_str().unwrap(),
            alert["evidence"]["conflicting"].as_str().unwrap(),
        );
        assert!(held.starts_with(origin) && conflicting.starts_with(origin));
        assert_ne!(held, conflicting, "{id} keeps both signed checkpoints");
    }
}

/// A node holding another history of a log at the very size the others hold (what a log that
/// shows one history to one node and another to the rest gives it) announces nothing and
/// differs from the others in no size: the polls, comparing checkpoints of logs held alike,
/// find it, and the nodes holding the true history raise the equivocation alert.
#[test]
fn a_fork_held_at_the_same_size_is_found_by_the_polls() {
    let _one = crate::networked();
    let (mut net, gh_origin) = ghana_permit_everywhere("GH26SPL00001");
    // France stops once it holds all of Ghana's log under a checkpoint of that size: a node
    // stopped between taking a checkpoint and fetching its entries holds fewer entries than its
    // checkpoint proves, and the fork below must start where both end.
    settled(&net, &gh_origin, &["secretariat", "de", "fr"]);
    let fr = net.members.iter().position(|m| m.id == "fr").unwrap();
    net.members[fr].node.stop();
    net.issue("GH26SPL00002");
    let size = settled(&net, &gh_origin, &["secretariat", "de"]);
    fork_replica(&net, "fr", "gh", size);
    net.members[fr].node.start();

    // The nodes holding Ghana's true log.
    equivocation_alerted(
        &net,
        &["secretariat", "de"],
        &gh_origin,
        Duration::from_secs(90),
    );
}

/// Gives the stopped node `holder` another history of `log`'s log from where its replica ends
/// to `size` entries, under a checkpoint signed with the log's key.
fn fork_replica(net: &P2pNetwork, holder: &str, log: &str, size: u64) {
    let origin = P2pNetwork::origin(log);
    let dir = net.dir.path();
    let signer = log_signer(net, log);
    let store = ledger::Store::open(dir.join(format!("{holder}-data/db"))).unwrap();
    let mut replica = ledger::Replica::open(store, &origin, signer.verifier()).unwrap();
    let start = replica.size();
    assert_eq!(
        replica.checkpoint().map(|c| c.size()),
        Some(start),
        "{holder}'s checkpoint of {origin} proves as many entries as it holds"
    );
    assert!(
        start < size,
        "{holder} holds {start} entries of {origin}, not fewer than {size}"
    );
    let fork: Vec<Vec<u8>> = (start..size)
        .map(|i| format!("another history, entry {i}").into_bytes())
        .collect();
    let mut other = ledger::Log::open(
        ledger::Store::open(dir.join(format!("{log}-fork-db"))).unwrap(),
        &origin,
    )
    .unwrap();
    other
        .append_batch(&replica.reader().leaves(0, start).unwrap(), &[])
        .unwrap();
    other.append_batch(&fork, &[]).unwrap();
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let checkpoint = other.publish_checkpoint(&signer, now).unwrap();
    let proof = other.reader().consistency_proof(start, size).unwrap();
    replica
        .update_checkpoint(checkpoint.note_bytes(), &proof, now)
        .unwrap();
    let none = ledger::ConsistencyProof { hashes: vec![] };
    replica.append_entries(start, &fork, &none).unwrap();
}

/// Member `id`'s log key, as its node signs checkpoints with it.
fn log_signer(net: &P2pNetwork, id: &str) -> ledger::NoteSigner {
    let path = net.dir.path().join(format!("{id}-data/keys/log.key"));
    let key = std::fs::read_to_string(path).unwrap();
    ledger::NoteSigner::from_key_string(key.trim()).unwrap()
}

/// Appends `count` entries to the stopped node `id`'s own log, as its sequencer would (its log
/// key signs the checkpoint), so a peer has a long log to catch up on.
fn fill_log(net: &P2pNetwork, id: &str, count: u64) -> u64 {
    let data = net.dir.path().join(format!("{id}-data"));
    let signer = log_signer(net, id);
    let log = ledger::Log::open(
        ledger::Store::open(data.join("db")).unwrap(),
        &P2pNetwork::origin(id),
    )
    .unwrap();
    let start = log.tree_size();
    let sequencer =
        ledger::Sequencer::start(log, signer, ledger::SequencerConfig::default()).unwrap();
    let acked = std::sync::Arc::new(std::sync::atomic::AtomicU64::new(0));
    for i in 0..count {
        let acked = acked.clone();
        let mut entry = format!("filler entry {:012} ", start + i).into_bytes();
        entry.resize(120, b'.');
        sequencer.submit(
            entry,
            vec![],
            Box::new(move |r| {
                r.unwrap();
                acked.fetch_add(1, std::sync::atomic::Ordering::AcqRel);
            }),
        );
    }
    let size = start + count;
    sequencer
        .wait_for_checkpoint(size, Duration::from_secs(60))
        .unwrap();
    assert_eq!(acked.load(std::sync::atomic::Ordering::Acquire), count);
    size
}

#[test]
fn a_node_killed_while_catching_up_resumes_where_it_stopped() {
    let _one = crate::networked();
    let mut net = start(&["GH", "DE", "FR"]);
    let gh = P2pNetwork::origin("gh");
    let gh_index = net.members.iter().position(|m| m.id == "gh").unwrap();
    let de_index = net.members.iter().position(|m| m.id == "de").unwrap();
    let before = held(&net.members[gh_index].node, &gh).unwrap().0;
    wait_until(
        "Germany holds Ghana's log as it starts",
        Duration::from_secs(30),
        || held(&net.members[de_index].node, &gh).is_some_and(|(s, _, _)| s >= before),
    );

    // Ghana's log grows by 100,000 entries while its node is down; then it comes back.
    net.members[gh_index].node.stop();
    let size = fill_log(&net, "gh", 100_000);
    net.members[gh_index].node.start();

    // Germany is killed (no clean shutdown) in the middle of catching up.
    let mut seen = 0;
    wait_until(
        "Germany started catching up",
        Duration::from_secs(60),
        || {
            seen = held(&net.members[de_index].node, &gh).map_or(0, |h| h.0);
            seen > before + 2000
        },
    );
    net.members[de_index].node.kill();
    // What it had stored when it died, read from its database.
    let stored = ledger::LogReader::new(
        ledger::Store::open(net.dir.path().join("de-data/db")).unwrap(),
        &gh,
    )
    .size()
    .unwrap();
    assert!(
        seen <= stored && stored < size,
        "Germany was not killed mid-sync (it reported {seen}, stored {stored} of {size})"
    );

    // Back up, it holds at least what it had stored, and goes on to the whole log (a replica
    // stores a chunk only once it is proven consistent with Ghana's signed checkpoint).
    net.members[de_index].node.start();
    let mut after_restart = 0;
    wait_until(
        "Germany lists Ghana's log again",
        Duration::from_secs(30),
        || {
            after_restart = held(&net.members[de_index].node, &gh).map_or(0, |h| h.0);
            after_restart > 0
        },
    );
    assert!(
        after_restart >= stored,
        "Germany lost entries it had stored: {after_restart} < {stored}"
    );
    wait_until(
        "Germany caught up after being killed mid-sync",
        Duration::from_secs(120),
        || held(&net.members[de_index].node, &gh).is_some_and(|(s, cp, _)| s >= size && cp >= size),
    );
}

#[test]
fn a_partition_heals_and_every_node_ends_with_every_log() {
    let _one = crate::networked();
    let lab = Lab::new(5);
    let net = start_in(&["GH", "DE", "FR", "KE"], Some(&lab));
    let (gh, ke) = (P2pNetwork::origin("gh"), P2pNetwork::origin("ke"));
    let kenyan = |number: &str| {
        let mut request = crate::issue_verify::issue_request(number, "jose");
        let permit = &mut request["credential"]["credentialSubject"]["permit"];
        permit["authority"]["country"] = "KE".into();
        permit["exporter"]["country"] = "KE".into();
        request
    };
    let (ke_before, _) = net.issue_at("ke", kenyan("KE26PART00001"));
    wait_until(
        "Kenya's first permit everywhere",
        Duration::from_secs(60),
        || net.replicated_everywhere(&ke, ke_before, &[]),
    );

    // Kenya is cut off from everyone else; both sides go on issuing. Ghana's witnesses
    // (Germany, France) are on its side; Kenya's checkpoints get no cosignature.
    let everyone_else = [0, 1, 2, 3];
    lab.cut(&everyone_else, &[4]);
    let mut gh_size = 0;
    for i in 1..=3 {
        gh_size = net.issue(&format!("GH26PART{i:05}"));
    }
    let (ke_size, _) = net.issue_at("ke", kenyan("KE26PART00002"));
    wait_until(
        "Ghana's permits on its side of the cut",
        Duration::from_secs(60),
        || net.replicated_everywhere(&gh, gh_size, &["ke"]),
    );
    let kenya = &net.member("ke").node;
    assert!(
        held(kenya, &gh).is_none_or(|(s, _, _)| s < gh_size),
        "Kenya got Ghana's entries through the cut"
    );
    for m in net.members.iter().filter(|m| m.id != "ke") {
        assert!(
            held(&m.node, &ke).is_some_and(|(s, _, _)| s < ke_size),
            "{} got Kenya's entry through the cut",
            m.id
        );
    }

    // Healed: every node ends with both logs whole, cosigned to the quorum, and not one entry
    // more than each log has.
    lab.heal(&everyone_else, &[4]);
    wait_until(
        "every log everywhere after the partition healed",
        Duration::from_secs(120),
        || {
            net.replicated_everywhere(&gh, gh_size, &[])
                && net.replicated_everywhere(&ke, ke_size, &[])
        },
    );
    // The logs grow on their own too (each node anchors its audit trail), so the check is that
    // every replica comes to the size its owner holds, never beyond.
    for (origin, owner) in [(&gh, "gh"), (&ke, "ke")] {
        wait_until(
            &format!("every replica of {origin} at its owner's size"),
            Duration::from_secs(60),
            || {
                let sizes: Vec<u64> = net
                    .members
                    .iter()
                    .map(|m| held(&m.node, origin).map_or(0, |h| h.0))
                    .collect();
                // Read last: a log only grows, so no replica read before can be beyond it.
                let own = held(&net.member(owner).node, origin).unwrap().0;
                assert!(
                    sizes.iter().all(|s| *s <= own),
                    "a replica beyond its log: {sizes:?} > {own}"
                );
                sizes.iter().all(|s| *s == own)
            },
        );
    }
}
