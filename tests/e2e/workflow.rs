//! The MA node as a system of record, over real nodes: an application goes from draft through
//! the Scientific Authority's finding, approval and payment to issuance and export
//! endorsement; a refusal; cancellation, suspension and replacement as verifiers see them;
//! every role denied what it must not do; bad input refused without changing anything; the
//! audit trail exported and anchored in the log.

use base64::Engine as _;
use e2e_support::agent;
use serde_json::{Value, json};

use crate::fixture;

const PASSWORD: &str = "correct horse battery staple";

/// A client of one node, as one user.
pub(crate) struct Client {
    pub(crate) url: String,
    pub(crate) auth: (&'static str, String),
}

impl Client {
    pub(crate) fn call(&self, method: &str, path: &str, body: Option<&Value>) -> (u16, Value) {
        let url = format!("{}{path}", self.url);
        let (name, value) = (&self.auth.0, &self.auth.1);
        let r = match (method, body) {
            ("GET", _) => agent().get(&url).header(*name, value).call(),
            ("DELETE", _) => agent().delete(&url).header(*name, value).call(),
            ("PUT", Some(b)) => agent().put(&url).header(*name, value).send_json(b),
            (_, Some(b)) => agent().post(&url).header(*name, value).send_json(b),
            (_, None) => agent().post(&url).header(*name, value).send_empty(),
        };
        let mut r = r.unwrap();
        let status = r.status().as_u16();
        let text = r.body_mut().read_to_string().unwrap_or_default();
        (
            status,
            serde_json::from_str(&text).unwrap_or(Value::String(text)),
        )
    }

    pub(crate) fn get(&self, path: &str) -> (u16, Value) {
        self.call("GET", path, None)
    }

    pub(crate) fn post(&self, path: &str, body: &Value) -> (u16, Value) {
        self.call("POST", path, Some(body))
    }

    pub(crate) fn post_empty(&self, path: &str) -> (u16, Value) {
        self.call("POST", path, None)
    }
}

/// Ghana's node with one user per role; each logs in (sessions for people, a token for the
/// customs gateway).
pub(crate) struct Ma {
    pub(crate) net: crate::Network,
    pub(crate) operator: Client,
    users: std::collections::BTreeMap<&'static str, Client>,
}

impl Ma {
    pub(crate) fn as_(&self, role: &str) -> &Client {
        &self.users[role]
    }

    pub(crate) fn url(&self) -> String {
        self.net.gh.url.clone()
    }
}

fn login(url: &str, username: &str) -> String {
    let r = agent()
        .post(format!("{url}/auth/login"))
        .send_json(json!({ "username": username, "password": PASSWORD }))
        .unwrap();
    assert_eq!(r.status(), 200, "login of {username}");
    let cookie = r
        .headers()
        .get("set-cookie")
        .unwrap()
        .to_str()
        .unwrap()
        .to_owned();
    assert!(cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict"));
    cookie.split(';').next().unwrap().to_owned()
}

pub(crate) fn start() -> Ma {
    let net = crate::network();
    let url = net.gh.url.clone();
    let operator = Client {
        url: url.clone(),
        auth: ("authorization", format!("Bearer {}", net.gh_token)),
    };
    let mut users = std::collections::BTreeMap::new();
    for role in [
        "applicant",
        "ma-officer",
        "sa-officer",
        "customs-officer",
        "auditor",
        "admin",
    ] {
        let (status, body) = operator.post(
            "/users",
            &json!({ "username": role, "name": format!("Test {role}"), "role": role, "password": PASSWORD }),
        );
        assert_eq!(status, 201, "{body}");
        if role != "applicant" {
            assert!(
                body["registry"].as_str().unwrap().starts_with("written"),
                "an official is announced on the log: {body}"
            );
        }
        let auth = if role == "customs-officer" {
            // A machine client: a bearer token made from a session.
            let cookie = login(&url, role);
            let c = Client {
                url: url.clone(),
                auth: ("cookie", cookie),
            };
            let (status, t) = c.post("/auth/tokens", &json!({ "label": "border gateway" }));
            assert_eq!(status, 201);
            (
                "authorization",
                format!("Bearer {}", t["token"].as_str().unwrap()),
            )
        } else {
            ("cookie", login(&url, role))
        };
        users.insert(
            role,
            Client {
                url: url.clone(),
                auth,
            },
        );
    }
    Ma {
        net,
        operator,
        users,
    }
}

/// The boxes an applicant fills, from a fixture permit, for an exporter in Ghana.
fn request(fixture_name: &str) -> Value {
    let mut p: Value =
        serde_json::from_slice(&std::fs::read(fixture(fixture_name)).unwrap()).unwrap();
    let obj = p.as_object_mut().unwrap();
    for k in [
        "number",
        "authority",
        "issued",
        "security_stamp",
        "valid_until",
        "valid_from",
    ] {
        obj.remove(k);
    }
    p["exporter"]["country"] = "GH".into();
    p
}

fn holder() -> String {
    let key = credentials::keys::SecretKey::from_seed(&[7; 32]);
    credentials::Signer::holder(key).unwrap().public().did_key()
}

fn new_application(ma: &Ma, fixture_name: &str) -> String {
    new_application_for(ma, fixture_name, &holder())
}

/// A draft by the applicant, for the permit to be issued to `holder`.
pub(crate) fn new_application_for(ma: &Ma, fixture_name: &str, holder: &str) -> String {
    let (status, body) = ma.as_("applicant").post(
        "/applications",
        &json!({ "holder": holder, "request": request(fixture_name) }),
    );
    assert_eq!(status, 201, "{body}");
    assert_eq!(body["application"]["stage"], "draft");
    body["application"]["id"].as_str().unwrap().to_owned()
}

fn stage(ma: &Ma, id: &str) -> Value {
    ma.as_("ma-officer").get(&format!("/applications/{id}")).1["application"].clone()
}

#[test]
fn application_to_issuance_and_endorsement_and_a_refusal() {
    let ma = start();
    let id = new_application(&ma, "export_permit");
    let app = |verb: &str| format!("/applications/{id}/{verb}");

    let (status, body) = ma.as_("applicant").post_empty(&app("submit"));
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["application"]["stage"], "submitted");
    assert_eq!(body["application"]["invoice"]["amount"], 5000);
    assert_eq!(body["needs_scientific_advice"], true);
    // The officer sees each block against the species checklist.
    assert_eq!(body["listing"][0]["listing"]["outcome"], "listed", "{body}");
    assert_eq!(body["listing"][0]["listing"]["taxon"]["listing"], "II");
    let (_, found) = ma.as_("applicant").get("/species?name=ball%20py");
    assert_eq!(found["taxa"][0]["name"], "Python regius", "{found}");

    // The MA's queue has it; the SA's does not yet.
    let (_, q) = ma.as_("ma-officer").get("/queue");
    assert!(
        q["applications"]
            .as_array()
            .unwrap()
            .iter()
            .any(|a| a["application"]["id"] == id.as_str())
    );
    let (_, q) = ma.as_("sa-officer").get("/queue");
    assert!(q["applications"].as_array().unwrap().is_empty());

    let (status, body) = ma.as_("ma-officer").post_empty(&app("approve"));
    assert_eq!(
        status, 422,
        "an App. II export needs the SA's finding: {body}"
    );
    assert!(body["detail"].as_str().unwrap().contains("non-detriment"));
    assert_eq!(
        ma.as_("ma-officer").post_empty(&app("request-advice")).0,
        200
    );
    let (_, q) = ma.as_("sa-officer").get("/queue");
    assert_eq!(q["applications"].as_array().unwrap().len(), 1);
    let (status, _) = ma.as_("sa-officer").post(
        &app("advice"),
        &json!({ "favourable": true, "finding": "ranched stock within the national quota" }),
    );
    assert_eq!(status, 200);
    assert_eq!(ma.as_("ma-officer").post_empty(&app("approve")).0, 200);

    let (status, body) = ma.as_("ma-officer").post_empty(&app("issue"));
    assert_eq!(status, 422, "unpaid: {body}");
    assert!(body["detail"].as_str().unwrap().contains("50.00 GHS"));
    let (status, _) = ma.as_("ma-officer").post(
        &app("payment"),
        &json!({ "reference": "GCB-7781", "amount": { "amount": 4000, "currency": "GHS" } }),
    );
    assert_eq!(status, 422, "wrong amount");
    let (status, _) = ma.as_("ma-officer").post(
        &app("payment"),
        &json!({ "reference": "GCB-7781", "amount": { "amount": 5000, "currency": "GHS" } }),
    );
    assert_eq!(status, 200);
    let (status, issued) = ma
        .as_("ma-officer")
        .post(&app("issue"), &json!({ "securing": "eddsa-rdfc-2022" }));
    assert_eq!(status, 201, "{issued}");
    let permit = issued["permit"].as_str().unwrap().to_owned();
    assert!(permit.starts_with("GH/GH20"), "{permit}");
    assert_eq!(issued["application"]["stage"], "issued");

    // The credential verifies at the node, and the officer who issued it is on box 13.
    let (status, verdict) = ma.operator.post(
        "/credentials/verify",
        &json!({ "verifiableCredential": issued["verifiableCredential"] }),
    );
    assert_eq!(status, 200, "{verdict:#}");
    let (_, record) = ma.as_("ma-officer").get(&format!("/permits/{permit}"));
    let (_, me) = ma.as_("ma-officer").get("/auth/me");
    assert_eq!(
        record["permit"]["issued"]["official"],
        me["user"]["official_id"]
    );
    assert_eq!(record["status"], "issued");
    // The applicant sees its own permit.
    assert_eq!(
        ma.as_("applicant").get(&format!("/permits/{permit}")).0,
        200
    );

    // Export customs endorse the actual quantities; a second endorsement is refused.
    let endorse = json!({ "quantities": { "A": "48", "B": "5" }, "port": "Kotoka International Airport", "transport_document": "AWB 176-12345675" });
    let (status, body) = ma
        .as_("customs-officer")
        .post(&format!("/permits/{permit}/endorsement"), &endorse);
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["status"], "endorsed");
    assert_eq!(
        body["permit"]["export_endorsements"][0]["port"],
        "Kotoka International Airport"
    );
    let (status, body) = ma
        .as_("customs-officer")
        .post(&format!("/permits/{permit}/endorsement"), &endorse);
    assert_eq!(status, 409, "{body}");
    let tomorrow = (chrono::Utc::now().date_naive() + chrono::Days::new(1)).to_string();
    let future = json!({ "quantities": { "A": "1" }, "port": "Tema", "date": tomorrow });
    assert_eq!(
        ma.as_("customs-officer")
            .post(&format!("/permits/{permit}/endorsement"), &future)
            .0,
        400,
        "an endorsement cannot be dated in the future"
    );
    let too_much = json!({ "quantities": { "A": "51" }, "port": "Tema" });
    let record_before = ma.as_("ma-officer").get(&format!("/permits/{permit}")).1;
    assert_eq!(
        ma.as_("customs-officer")
            .post(&format!("/permits/{permit}/endorsement"), &too_much)
            .0,
        409
    );
    assert_eq!(
        ma.as_("ma-officer").get(&format!("/permits/{permit}")).1,
        record_before
    );

    // A refusal: unfavourable advice can only lead there.
    let other = new_application(&ma, "export_permit");
    let app2 = |verb: &str| format!("/applications/{other}/{verb}");
    assert_eq!(ma.as_("applicant").post_empty(&app2("submit")).0, 200);
    assert_eq!(
        ma.as_("ma-officer").post_empty(&app2("request-advice")).0,
        200
    );
    assert_eq!(
        ma.as_("sa-officer")
            .post(
                &app2("advice"),
                &json!({ "favourable": false, "finding": "wild population declining" })
            )
            .0,
        200
    );
    assert_eq!(ma.as_("ma-officer").post_empty(&app2("approve")).0, 422);
    let (status, body) = ma
        .as_("ma-officer")
        .post(&app2("refuse"), &json!({ "reason": "SA: detrimental" }));
    assert_eq!(status, 200);
    assert_eq!(body["application"]["stage"], "refused");
    assert_eq!(ma.as_("ma-officer").post_empty(&app2("approve")).0, 409);

    // The applicant's feed told it each step that concerned it; the SA's feed the request.
    let (_, feed) = ma.as_("applicant").get("/events");
    let kinds: Vec<_> = feed["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["kind"].as_str().unwrap().to_owned())
        .collect();
    for k in [
        "application.approved",
        "application.issued",
        "application.refused",
        "permit.endorsed",
    ] {
        assert!(kinds.iter().any(|x| x == k), "{k} missing from {kinds:?}");
    }
    let (_, feed) = ma.as_("sa-officer").get("/events");
    assert!(
        feed["events"]
            .as_array()
            .unwrap()
            .iter()
            .all(|e| e["kind"] == "application.advice_requested"),
        "{feed}"
    );
    let next = feed["next"].as_u64().unwrap();
    let (_, later) = ma.as_("sa-officer").get(&format!("/events?after={next}"));
    assert!(later["events"].as_array().unwrap().is_empty());

    // The annual report counts what was actually exported, and passes the upload rules.
    let year = chrono::Utc::now().format("%Y").to_string();
    let (status, report) = ma
        .as_("auditor")
        .get(&format!("/reports/annual?year={year}"));
    assert_eq!(status, 200, "{report}");
    let rows = report["rows"].as_array().unwrap();
    let python = rows
        .iter()
        .find(|r| r["species_name"] == "Python regius")
        .unwrap();
    assert_eq!(
        (python["quantity"].as_str(), python["basis"].as_str()),
        (Some("48"), Some("actual"))
    );
    assert_eq!(python["trading_partner"], "DE");
    let (status, csv) = ma
        .as_("auditor")
        .get(&format!("/reports/annual?year={year}&format=csv"));
    assert_eq!(status, 200);
    assert!(
        csv.as_str()
            .unwrap()
            .starts_with("appendix,species_name,term_code,quantity")
    );
    let r = agent()
        .get(format!(
            "{}/reports/annual?year={year}&format=xlsx",
            ma.url()
        ))
        .header(ma.as_("auditor").auth.0, &ma.as_("auditor").auth.1)
        .call()
        .unwrap();
    assert_eq!(r.status(), 200);
    assert!(
        r.into_body().read_to_vec().unwrap().starts_with(b"PK"),
        "an XLSX (zip) file"
    );
    assert_eq!(
        ma.as_("applicant")
            .get(&format!("/reports/annual?year={year}"))
            .0,
        403
    );
    assert_eq!(ma.as_("auditor").get("/reports/annual?year=12").0, 400);
    let out = ma.net.dir.path().join("report.csv");
    let cli = e2e_support::run(
        &crate::bin(),
        &[
            "report",
            "annual",
            "--config",
            ma.net.gh.config.to_str().unwrap(),
            "--year",
            &year,
            "--out",
            out.to_str().unwrap(),
        ],
    );
    assert!(
        cli.status.success(),
        "{}",
        String::from_utf8_lossy(&cli.stderr)
    );
    assert!(
        std::fs::read_to_string(&out)
            .unwrap()
            .contains("Python regius")
    );

    // The auditor exports the permit's trail; it is anchored in the log within seconds.
    let (status, trail) = ma.as_("auditor").get(&format!("/audit?permit={permit}"));
    assert_eq!(status, 200);
    let actions: Vec<_> = trail["records"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["action"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(
        actions,
        [
            "application.create",
            "application.submit",
            "application.request_advice",
            "application.advise",
            "application.approve",
            "application.record_payment",
            "application.issue",
            "permit.endorse"
        ],
        "the permit's trail, from its application on: {trail:#}"
    );
    let first = &trail["records"][6];
    assert_eq!(first["who"]["user"], "ma-officer");
    assert!(
        first["request"]["remote"]
            .as_str()
            .unwrap()
            .starts_with("127.0.0.1:")
    );
    assert!(
        first["request"]["headers"].get("cookie").is_none(),
        "credentials are never kept"
    );
    let (status, csv) = ma.as_("auditor").get("/audit?format=csv");
    assert_eq!(status, 200);
    let csv = csv.as_str().unwrap().to_owned();
    assert!(csv.starts_with("seq,at,user,role,action"));
    assert!(csv.contains("application.submit"));

    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    loop {
        let size: u64 = agent()
            .get(format!("{}/checkpoint", ma.net.gh.url))
            .call()
            .unwrap()
            .into_body()
            .read_to_string()
            .unwrap()
            .lines()
            .nth(1)
            .unwrap()
            .parse()
            .unwrap();
        let mut anchored = 0;
        let mut anchors = Vec::new();
        let mut start = 0;
        while start < size {
            let end = (start + 1000).min(size);
            let (_, e) = ma.operator.get(&format!("/log/entries/{start}/{end}"));
            for leaf in e["entries"].as_array().unwrap() {
                let bytes = base64::engine::general_purpose::STANDARD
                    .decode(leaf.as_str().unwrap())
                    .unwrap();
                if let Ok(a) = contracts::AuditAnchor::decode(&bytes) {
                    anchored += a.count;
                    anchors.push(a);
                }
            }
            start = end;
        }
        let total = trail["records"].as_array().unwrap().len() as u64;
        if anchored >= total + 10 {
            // An auditor holding the exported records checks each anchor's digest over them.
            for a in &anchors {
                let (_, page) = ma.as_("auditor").get(&format!("/audit?start={}", a.first));
                let records: Vec<Vec<u8>> = page["records"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|r| serde_json::from_value::<node::audit::AuditRecord>(r.clone()).unwrap())
                    .filter(|r| r.seq <= a.last)
                    .map(|r| serde_json::to_vec(&r).unwrap())
                    .collect();
                let (count, digest) =
                    contracts::AuditAnchor::digest_of(records.iter().map(Vec::as_slice));
                assert_eq!(
                    (count, digest),
                    (a.count, a.digest),
                    "anchor {}..={}",
                    a.first,
                    a.last
                );
            }
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "audit trail not anchored: {anchored} records"
        );
        std::thread::sleep(std::time::Duration::from_millis(250));
    }
}

fn verdict_reasons(ma: &Ma, vc: &Value) -> (u16, String) {
    let (status, v) = ma.operator.post(
        "/credentials/verify",
        &json!({ "verifiableCredential": vc }),
    );
    (status, v["errors"].to_string())
}

#[test]
fn suspension_cancellation_and_replacement_reach_verifiers() {
    let ma = start();
    let mut permits = Vec::new();
    for _ in 0..2 {
        let id = new_application(&ma, "re_export_certificate");
        let app = |verb: &str| format!("/applications/{id}/{verb}");
        assert_eq!(ma.as_("applicant").post_empty(&app("submit")).0, 200);
        assert_eq!(
            ma.as_("ma-officer").post_empty(&app("approve")).0,
            200,
            "no finding needed for a re-export"
        );
        let (status, issued) = ma.as_("ma-officer").post_empty(&app("issue"));
        assert_eq!(status, 201, "{issued}");
        permits.push((
            issued["permit"].as_str().unwrap().to_owned(),
            issued["verifiableCredential"].clone(),
        ));
    }
    let (first, vc) = &permits[0];
    let ma_ = ma.as_("ma-officer");

    assert_eq!(ma_.post_empty(&format!("/permits/{first}/suspend")).0, 200);
    let (status, reasons) = verdict_reasons(&ma, vc);
    assert_eq!(status, 422);
    assert!(reasons.contains("suspended"), "{reasons}");
    assert_eq!(
        ma_.post_empty(&format!("/permits/{first}/suspend")).0,
        409,
        "suspended already"
    );
    assert_eq!(
        ma_.post_empty(&format!("/permits/{first}/reinstate")).0,
        200
    );
    assert_eq!(verdict_reasons(&ma, vc).0, 200, "valid again");

    let (status, body) = ma_.post(
        &format!("/permits/{first}/replace"),
        &json!({ "reason": "lost in transit" }),
    );
    assert_eq!(status, 201, "{body}");
    let replacement = body["permit"].as_str().unwrap().to_owned();
    assert_eq!(body["replaced"]["status"], "replaced");
    assert_eq!(
        body["replaced"]["lifecycle"]["replaced_by"]["number"],
        replacement.split('/').nth(1).unwrap()
    );
    let (status, reasons) = verdict_reasons(&ma, vc);
    assert_eq!(status, 422);
    assert!(
        reasons.contains("replaced") || reasons.contains("revoked"),
        "{reasons}"
    );
    assert_eq!(
        verdict_reasons(&ma, &body["verifiableCredential"]).0,
        200,
        "the replacement is valid"
    );
    let (_, new) = ma_.get(&format!("/permits/{replacement}"));
    assert!(
        new["permit"]["special_conditions"]
            .to_string()
            .contains("lost in transit")
    );

    let (second, vc2) = &permits[1];
    assert_eq!(
        ma_.post(
            &format!("/permits/{second}/cancel"),
            &json!({ "reason": "stolen" })
        )
        .0,
        200
    );
    let (status, reasons) = verdict_reasons(&ma, vc2);
    assert_eq!(status, 422);
    assert!(
        reasons.contains("cancelled") || reasons.contains("revoked"),
        "{reasons}"
    );
    assert_eq!(
        ma_.post_empty(&format!("/permits/{second}/suspend")).0,
        409,
        "nothing after cancellation"
    );

    // Ghana's log carries each event for every replica (the Secretariat's, here).
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    let sec = Client {
        url: ma.net.secretariat.url.clone(),
        auth: ("x-none", String::new()),
    };
    loop {
        let (status, _) = sec.post(
            "/credentials/verify",
            &json!({ "verifiableCredential": vc2 }),
        );
        if status == 422 {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the Secretariat never saw the cancellation"
        );
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
}

#[test]
fn every_role_is_denied_what_it_must_not_do_and_bad_input_changes_nothing() {
    let ma = start();
    let id = new_application(&ma, "export_permit");
    let app = |verb: &str| format!("/applications/{id}/{verb}");

    // Who may not do what (status expected).
    let empty = json!({});
    let matrix: &[(&str, &str, &str, Option<Value>, u16)] = &[
        (
            "customs-officer",
            "POST",
            "/applications",
            Some(json!({ "holder": holder(), "request": request("export_permit") })),
            403,
        ),
        (
            "ma-officer",
            "POST",
            "/applications",
            Some(json!({ "holder": holder(), "request": request("export_permit") })),
            403,
        ),
        (
            "auditor",
            "POST",
            "/users",
            Some(json!({ "username": "x1", "name": "X", "role": "admin", "password": PASSWORD })),
            403,
        ),
        (
            "ma-officer",
            "POST",
            "/users",
            Some(json!({ "username": "x1", "name": "X", "role": "admin", "password": PASSWORD })),
            403,
        ),
        ("applicant", "GET", "/users", None, 403),
        ("applicant", "GET", "/audit", None, 403),
        ("ma-officer", "GET", "/audit", None, 403),
        ("customs-officer", "GET", "/applications", None, 403),
        ("admin", "GET", "/applications", None, 403),
        ("ma-officer", "POST", &app("submit"), None, 403),
        ("sa-officer", "POST", &app("submit"), None, 403),
        ("customs-officer", "POST", &app("submit"), None, 403),
        ("auditor", "POST", &app("submit"), None, 403),
        ("applicant", "POST", &app("approve"), None, 403),
        ("applicant", "POST", &app("issue"), Some(empty.clone()), 403),
        ("sa-officer", "POST", &app("approve"), None, 403),
        (
            "ma-officer",
            "POST",
            &app("advice"),
            Some(json!({ "favourable": true, "finding": "x" })),
            403,
        ),
        (
            "customs-officer",
            "POST",
            "/permits/GH/GH2026999999/cancel",
            Some(json!({ "reason": "lost" })),
            403,
        ),
        (
            "ma-officer",
            "POST",
            "/permits/GH/GH2026999999/endorsement",
            Some(json!({ "quantities": { "A": "1" }, "port": "Tema" })),
            403,
        ),
        (
            "applicant",
            "POST",
            "/permits/GH/GH2026999999/suspend",
            None,
            403,
        ),
    ];
    let before = stage(&ma, &id);
    for (role, method, path, body, expected) in matrix {
        let (status, answer) = ma.as_(role).call(method, path, body.as_ref());
        assert_eq!(status, *expected, "{role} {method} {path}: {answer}");
        assert!(
            answer["detail"].is_string(),
            "a problem description: {answer}"
        );
    }
    assert_eq!(stage(&ma, &id), before, "refusals changed nothing");

    // Another applicant does not even see the application.
    let (status, _) = ma.operator.post("/users", &json!({ "username": "other", "name": "Other trader", "role": "applicant", "password": PASSWORD }));
    assert_eq!(status, 201);
    let other = Client {
        url: ma.net.gh.url.clone(),
        auth: ("cookie", login(&ma.net.gh.url, "other")),
    };
    assert_eq!(other.get(&format!("/applications/{id}")).0, 404);
    assert_eq!(other.post_empty(&app("submit")).0, 404);

    // No credentials: 401; a wrong password: 401, then locked out.
    let anon = Client {
        url: ma.net.gh.url.clone(),
        auth: ("x-none", String::new()),
    };
    assert_eq!(anon.get("/queue").0, 401);
    assert_eq!(anon.post_empty(&app("submit")).0, 401);
    for _ in 0..5 {
        assert_eq!(
            anon.post(
                "/auth/login",
                &json!({ "username": "auditor", "password": "wrong password!" })
            )
            .0,
            401
        );
    }
    let (status, body) = anon.post(
        "/auth/login",
        &json!({ "username": "auditor", "password": PASSWORD }),
    );
    assert_eq!(
        status, 429,
        "locked out even with the right password: {body}"
    );

    // Bad input: each gets 4xx naming the problem, and the application is unchanged.
    let applicant = ma.as_("applicant");
    let raw = |path: &str, body: &[u8]| {
        let r = agent()
            .post(format!("{}{path}", ma.net.gh.url))
            .header(applicant.auth.0, &applicant.auth.1)
            .header("content-type", "application/json")
            .send(body)
            .unwrap();
        r.status().as_u16()
    };
    assert_eq!(raw("/applications", b"{not json"), 400);
    let (status, body) = applicant.post("/applications", &json!({ "holder": holder() }));
    assert_eq!(status, 400);
    assert!(
        body["detail"].as_str().unwrap().contains("request"),
        "{body}"
    );
    let mut wrong_type = request("export_permit");
    wrong_type["blocks"][0]["quantity"] = json!([1]);
    let (status, body) = applicant.post(
        "/applications",
        &json!({ "holder": holder(), "request": wrong_type }),
    );
    assert_eq!(status, 400);
    assert!(
        body["detail"]
            .as_str()
            .unwrap()
            .contains("blocks[0].quantity"),
        "{body}"
    );
    let (status, body) = applicant.post(
        "/applications",
        &json!({ "holder": "did:web:example.com", "request": request("export_permit") }),
    );
    assert_eq!(status, 400, "{body}");
    let huge = vec![b' '; 300 * 1024];
    assert_eq!(raw("/applications", &huge), 413);
    assert_eq!(
        applicant.post_empty("/applications/GH-A999999/submit").0,
        404
    );
    assert_eq!(ma.as_("ma-officer").get("/permits/GH/GH2026999999").0, 404);
    assert_eq!(
        ma.as_("ma-officer")
            .post_empty(&format!("/applications/{id}/frobnicate"))
            .0,
        404
    );
    assert_eq!(
        applicant.post(&app("submit"), &json!({ "extra": 1 })).0,
        400
    );
    let (status, body) = ma.as_("ma-officer").post(&app("refuse"), &json!({}));
    assert_eq!(status, 400);
    assert!(
        body["detail"].as_str().unwrap().contains("reason"),
        "{body}"
    );
    let mut invalid = request("export_permit");
    invalid["blocks"][0]["quantity"] = "0".into();
    let (status, _) = applicant.call(
        "PUT",
        &format!("/applications/{id}"),
        Some(&json!({ "request": invalid })),
    );
    assert_eq!(status, 200, "a draft may be wrong");
    let (status, body) = applicant.post_empty(&app("submit"));
    assert_eq!(status, 422, "but it cannot be submitted: {body}");
    assert!(
        body["problems"]
            .as_array()
            .unwrap()
            .iter()
            .any(|p| p["box"] == "11"),
        "{body}"
    );
    assert_eq!(stage(&ma, &id)["stage"], "draft");

    // A token can be listed (never its secret) and revoked by its owner; then it stops.
    let customs = ma.as_("customs-officer");
    let (status, tokens) = customs.get("/auth/tokens");
    assert_eq!(status, 200);
    let tokens = tokens["tokens"].as_array().unwrap().clone();
    assert_eq!(tokens.len(), 1, "{tokens:?}");
    assert_eq!(tokens[0]["label"], "border gateway");
    assert!(
        !tokens[0]
            .to_string()
            .contains(customs.auth.1.trim_start_matches("Bearer "))
    );
    let id = tokens[0]["id"].as_str().unwrap().to_owned();
    assert_eq!(
        ma.as_("applicant")
            .call("DELETE", &format!("/auth/tokens/{id}"), None)
            .0,
        404,
        "not the applicant's"
    );
    assert_eq!(
        customs
            .call("DELETE", &format!("/auth/tokens/{id}"), None)
            .0,
        204
    );
    assert_eq!(
        customs.get("/queue").0,
        401,
        "a revoked token stops at once"
    );

    // Disabling an official ends its session at once and tells the Secretariat.
    let (status, body) = ma.operator.post_empty("/users/ma-officer/disable");
    assert_eq!(status, 200, "{body}");
    assert!(
        body["registry"].as_str().unwrap().starts_with("written"),
        "{body}"
    );
    assert_eq!(ma.as_("ma-officer").get("/queue").0, 401);
    assert_eq!(ma.operator.post_empty("/users/ma-officer/disable").0, 409);
    assert_eq!(ma.operator.post_empty("/users/nobody/disable").0, 404);
}

/// A VC API issuance request (the MA's own systems) for the export permit fixture as `number`,
/// issued today.
fn issue_request(number: &str) -> Value {
    let mut p: Value =
        serde_json::from_slice(&std::fs::read(fixture("export_permit")).unwrap()).unwrap();
    p["number"] = number.into();
    let today = chrono::Utc::now().date_naive();
    p["issued"]["date"] = today.to_string().into();
    p["valid_until"] = (today + chrono::Days::new(90)).to_string().into();
    json!({ "credential": { "credentialSubject": { "id": holder(), "permit": p } } })
}

#[test]
fn a_node_killed_mid_burst_keeps_every_acknowledged_permit_with_its_entry_and_audit_record() {
    let mut ma = start();
    let url = ma.net.gh.url.clone();
    let token = ma.net.gh_token.clone();
    // Four clients issue as fast as they can; the node is killed while they do.
    let acked = std::sync::Arc::new(std::sync::Mutex::new(Vec::<(String, Value)>::new()));
    let threads: Vec<_> = (0..4)
        .map(|t| {
            let (url, token, acked) = (url.clone(), token.clone(), acked.clone());
            let body = (0..1000)
                .map(|i| format!("GHKILL{t}{i:04}"))
                .map(|n| (n.clone(), issue_request(&n)))
                .collect::<Vec<_>>();
            std::thread::spawn(move || {
                for (number, body) in body {
                    let r = agent()
                        .post(format!("{url}/credentials/issue"))
                        .header("authorization", &format!("Bearer {token}"))
                        .send_json(&body);
                    match r {
                        Ok(mut r) if r.status() == 201 => {
                            let v: Value = r.body_mut().read_json().unwrap();
                            acked
                                .lock()
                                .unwrap()
                                .push((number, v["evidence"]["log"].clone()));
                        }
                        _ => return,
                    }
                }
            })
        })
        .collect();
    while acked.lock().unwrap().len() < 40 {
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
    ma.net.gh.kill();
    for t in threads {
        t.join().unwrap();
    }
    let acked = acked.lock().unwrap().clone();
    ma.net.gh.start();

    let auditor = Client {
        url: url.clone(),
        auth: ("cookie", login(&url, "auditor")),
    };
    let mut audited: std::collections::BTreeSet<String> = Default::default();
    let mut next = Some(0);
    while let Some(start) = next {
        let (_, page) = auditor.get(&format!("/audit?start={start}"));
        for r in page["records"].as_array().unwrap() {
            if r["action"] == "credential.issue" {
                audited.insert(r["permit"].as_str().unwrap().to_owned());
            }
        }
        next = page["next"].as_u64();
    }
    for (number, log) in &acked {
        let (status, _) = auditor.get(&format!("/permits/GH/{number}"));
        assert_eq!(status, 200, "acknowledged {number} lost");
        assert!(
            audited.contains(&format!("GH/{number}")),
            "audit record of {number} lost"
        );
        let index = log["index"].as_u64().unwrap();
        let (_, e) = ma
            .operator
            .get(&format!("/log/entries/{index}/{}", index + 1));
        assert_eq!(e["entries"][0], log["entry"], "log entry of {number}");
    }
    // Nothing half-written: a permit record exists exactly when its audit record does.
    for t in 0..4 {
        for i in 0..1000 {
            let number = format!("GHKILL{t}{i:04}");
            let present = auditor.get(&format!("/permits/GH/{number}")).0 == 200;
            assert_eq!(
                present,
                audited.contains(&format!("GH/{number}")),
                "{number}"
            );
            if !present && i > 0 {
                break;
            }
        }
    }
    assert!(acked.len() >= 40);
}

#[test]
fn a_backup_taken_while_running_restores_into_the_stopped_node() {
    let mut ma = start();
    let config = ma.net.gh.config.to_str().unwrap().to_owned();
    let issue = |number: &str| {
        let (status, body) = ma
            .operator
            .post("/credentials/issue", &issue_request(number));
        assert_eq!(status, 201, "{body}");
    };
    issue("GHBACKUP0001");
    let backup = ma.net.dir.path().join("backup-1");
    let out = e2e_support::run(
        &crate::bin(),
        &[
            "backup",
            "--config",
            &config,
            "--out",
            backup.to_str().unwrap(),
        ],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("log entries"));
    let again = e2e_support::run(
        &crate::bin(),
        &[
            "backup",
            "--config",
            &config,
            "--out",
            backup.to_str().unwrap(),
        ],
    );
    assert!(!again.status.success(), "a backup never overwrites another");
    issue("GHBACKUP0002");

    // Restoring into a running node is refused and changes nothing.
    let refused = e2e_support::run(
        &crate::bin(),
        &[
            "restore",
            "--config",
            &config,
            "--from",
            backup.to_str().unwrap(),
        ],
    );
    assert!(!refused.status.success());
    assert!(
        String::from_utf8_lossy(&refused.stderr).contains("running"),
        "{}",
        String::from_utf8_lossy(&refused.stderr)
    );
    assert_eq!(ma.as_("auditor").get("/permits/GH/GHBACKUP0002").0, 200);

    ma.net.gh.stop();
    let restored = e2e_support::run(
        &crate::bin(),
        &[
            "restore",
            "--config",
            &config,
            "--from",
            backup.to_str().unwrap(),
        ],
    );
    assert!(
        restored.status.success(),
        "{}",
        String::from_utf8_lossy(&restored.stderr)
    );
    let text = String::from_utf8_lossy(&restored.stdout).into_owned();
    assert!(text.contains("db.before-restore-"), "{text}");
    ma.net.gh.start();
    let auditor = Client {
        url: ma.net.gh.url.clone(),
        auth: ("cookie", login(&ma.net.gh.url, "auditor")),
    };
    assert_eq!(
        auditor.get("/permits/GH/GHBACKUP0001").0,
        200,
        "in the backup"
    );
    assert_eq!(
        auditor.get("/permits/GH/GHBACKUP0002").0,
        404,
        "issued after the backup"
    );

    // A backup of another node is refused.
    let (other_config, _) = e2e_support::init(
        &crate::bin(),
        ma.net.dir.path(),
        "other",
        "other",
        "GH",
        e2e_support::free_port(),
    );
    let wrong = e2e_support::run(
        &crate::bin(),
        &[
            "restore",
            "--config",
            other_config.to_str().unwrap(),
            "--from",
            backup.to_str().unwrap(),
        ],
    );
    assert!(!wrong.status.success());
    assert!(
        String::from_utf8_lossy(&wrong.stderr).contains("log"),
        "{}",
        String::from_utf8_lossy(&wrong.stderr)
    );
}

#[test]
fn the_openapi_document_describes_every_route_it_registers() {
    let net = crate::network();
    let mut r = agent()
        .get(format!("{}/openapi.json", net.gh.url))
        .call()
        .unwrap();
    assert_eq!(r.status(), 200);
    for (header, value) in [
        ("x-frame-options", "DENY"),
        ("x-content-type-options", "nosniff"),
    ] {
        assert_eq!(r.headers()[header], value, "every answer carries {header}");
    }
    let api: Value = r.body_mut().read_json().unwrap();
    assert!(
        api["openapi"].as_str().unwrap().starts_with("3."),
        "{}",
        api["openapi"]
    );
    let paths = api["paths"].as_object().unwrap();
    for p in [
        "/applications",
        "/applications/{id}",
        "/applications/{id}/{verb}",
        "/permits/{party}/{number}/{verb}",
        "/credentials/issue",
        "/presentations/verify",
        "/auth/login",
        "/users/{username}/disable",
        "/audit",
        "/events",
        "/checkpoint",
        "/1.0/identifiers/{did}",
    ] {
        assert!(paths.contains_key(p), "{p} is not documented");
    }
    assert!(paths["/applications"]["post"]["requestBody"].is_object());
    let schemas = api["components"]["schemas"].as_object().unwrap();
    assert!(schemas.contains_key("Problem") && schemas.contains_key("NewApplication"));
    // Every documented GET without parameters is served: a missing route is a bare 404, a
    // refusal of ours a problem document.
    for (path, item) in paths {
        if item.get("get").is_some() && !path.contains('{') {
            let r = agent().get(format!("{}{path}", net.gh.url)).call().unwrap();
            let problem = r
                .headers()
                .get("content-type")
                .is_some_and(|c| c.to_str().unwrap().contains("problem+json"));
            assert!(
                r.status() != 404 || problem,
                "{path} is documented but not served"
            );
            assert_ne!(r.status(), 405, "{path} is documented but not served");
        }
    }
}

#[test]
fn the_next_actor_is_told_by_mail_and_webhook() {
    let mut ma = start();
    let (smtp, hook) = (
        e2e_support::SmtpSink::start(),
        e2e_support::HttpSink::start(),
    );
    ma.net.gh.stop();
    let text = std::fs::read_to_string(&ma.net.gh.config).unwrap();
    std::fs::write(
        &ma.net.gh.config,
        format!(
            "{text}\n[notify]\nsmtp = \"{}\"\nfrom = \"permits@ma.test\"\nwebhooks = [\"{}\"]\n",
            smtp.addr, hook.url
        ),
    )
    .unwrap();
    ma.net.gh.start();
    let (status, body) = ma.operator.post(
        "/users",
        &json!({ "username": "officer2", "name": "Ama Mensah", "role": "ma-officer", "password": PASSWORD, "email": "ama@ma.test" }),
    );
    assert_eq!(status, 201, "{body}");
    let (status, _) = ma.operator.post(
        "/users",
        &json!({ "username": "bad-mail", "name": "X", "role": "ma-officer", "password": PASSWORD, "email": "not an address" }),
    );
    assert_eq!(status, 400);
    let id = new_application(&ma, "export_permit");
    assert_eq!(
        ma.as_("applicant")
            .post_empty(&format!("/applications/{id}/submit"))
            .0,
        200
    );

    let mail = smtp
        .wait_for(
            &format!("{id} waits for a decision"),
            std::time::Duration::from_secs(20),
        )
        .expect("the MA officer was mailed");
    assert!(
        mail.contains("ama@ma.test") || mail.contains("Subject:"),
        "{mail}"
    );
    let (headers, body) = hook
        .wait_for("application.submitted", std::time::Duration::from_secs(20))
        .expect("the webhook was called");
    let header = |k: &str| {
        headers
            .iter()
            .find(|(h, _)| h == k)
            .map(|(_, v)| v.clone())
            .unwrap()
    };
    let key = std::fs::read_to_string(ma.net.dir.path().join("gh-data/keys/webhook.key")).unwrap();
    assert_eq!(
        header("x-cites-signature"),
        node::notify::signature(key.trim(), &body).unwrap()
    );
    assert_eq!(header("x-cites-event"), "application.submitted");
}

#[test]
fn a_quota_fills_box_11a_and_refuses_issuance_beyond_it() {
    let mut ma = start();
    let year = chrono::Utc::now().format("%Y").to_string();
    ma.net.gh.stop();
    let text = std::fs::read_to_string(&ma.net.gh.config).unwrap();
    std::fs::write(
        &ma.net.gh.config,
        format!(
            "{text}\n[[quotas]]\nparty = \"GH\"\nspecies = \"Python regius\"\nyear = {year}\nquantity = \"60\"\nunit = \"NAR\"\n"
        ),
    )
    .unwrap();
    ma.net.gh.start();
    // Re-login: sessions survive a restart, but be explicit about who acts.
    let issue_one = |ma: &Ma| {
        let id = new_application(ma, "export_permit");
        let app = |verb: &str| format!("/applications/{id}/{verb}");
        assert_eq!(ma.as_("applicant").post_empty(&app("submit")).0, 200);
        assert_eq!(
            ma.as_("ma-officer").post_empty(&app("request-advice")).0,
            200
        );
        let advice = json!({ "favourable": true, "finding": "within quota" });
        assert_eq!(ma.as_("sa-officer").post(&app("advice"), &advice).0, 200);
        assert_eq!(ma.as_("ma-officer").post_empty(&app("approve")).0, 200);
        let pay = json!({ "reference": "Q", "amount": { "amount": 5000, "currency": "GHS" } });
        assert_eq!(ma.as_("ma-officer").post(&app("payment"), &pay).0, 200);
        let view = ma.as_("ma-officer").get(&format!("/applications/{id}")).1;
        (
            id.clone(),
            view["quota"].clone(),
            ma.as_("ma-officer").post_empty(&app("issue")),
        )
    };
    let (_, quota, (status, issued)) = issue_one(&ma);
    assert_eq!(quota["fits"], true, "{quota}");
    assert_eq!(status, 201, "{issued}");
    let permit = issued["permit"].as_str().unwrap().to_owned();
    let (_, record) = ma.as_("ma-officer").get(&format!("/permits/{permit}"));
    assert_eq!(
        record["permit"]["blocks"][0]["quota"]["exported_to_date"],
        "50"
    );
    assert_eq!(record["permit"]["blocks"][0]["quota"]["annual_quota"], "60");

    let (id, quota, (status, body)) = issue_one(&ma);
    assert_eq!(
        quota["fits"], false,
        "the officer sees it before issuing: {quota}"
    );
    assert_eq!(status, 422, "{body}");
    assert!(
        body["detail"]
            .as_str()
            .unwrap()
            .contains("10 NAR remain of 60"),
        "{body}"
    );
    assert_eq!(stage(&ma, &id)["stage"], "approved", "nothing changed");

    let (_, report) = ma.as_("auditor").get("/quotas");
    assert_eq!(report["quotas"][0]["used"], "50", "{report}");
    assert_eq!(report["quotas"][0]["remaining"], "10");

    // Cancelling the first gives its 50 back; the second fits now.
    let cancel = json!({ "reason": "not_used" });
    assert_eq!(
        ma.as_("ma-officer")
            .post(&format!("/permits/{permit}/cancel"), &cancel)
            .0,
        200
    );
    let (status, body) = ma
        .as_("ma-officer")
        .post_empty(&format!("/applications/{id}/issue"));
    assert_eq!(status, 201, "{body}");
}
