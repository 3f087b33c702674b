//! The web portal in a real browser (headless Chromium through chromedriver) across a `dev`
//! network: the applicant drafts (with mistakes, shown next to their boxes) and submits in
//! French; the MA asks the SA, who advises; the MA approves, records the fee and issues; the
//! applicant's wallet takes the permit from the offer QR's link; Ghana's customs check the
//! presentation and endorse the export; Germany's customs (in Spanish) check it from their
//! replica and confirm the import over EPIX; the MA sees it used up and on the dashboard; the
//! Secretariat's auditor sees the logs cosigned and no alert. Every main page is screenshotted.

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::json;

/// No page may weigh more than this on first load (HTML and its one stylesheet).
const PAGE_BUDGET: usize = 200 * 1024;

struct Killed(Child);

impl Drop for Killed {
    fn drop(&mut self) {
        let _ = Command::new("kill")
            .arg("-TERM")
            .arg(self.0.id().to_string())
            .status();
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.0.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn which(name: &str) -> Option<PathBuf> {
    std::env::var_os("PATH")?
        .to_str()?
        .split(':')
        .map(|d| PathBuf::from(d).join(name))
        .find(|p| p.is_file())
}

/// Ports `p`, `p+1`, `p+2` (HTTP) and `p+100`.. (`dev`'s libp2p) all free.
fn dev_ports() -> u16 {
    loop {
        let p = e2e_support::free_port();
        let free = |q: u16| std::net::TcpListener::bind(("127.0.0.1", q)).is_ok();
        if p < 65000 && (1..3).all(|i| free(p + i)) && (100..103).all(|i| free(p + i)) {
            return p;
        }
    }
}

fn screenshots() -> PathBuf {
    let base = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(std::env::temp_dir);
    let dir = base.join("portal-screenshots");
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

struct Browser {
    c: Client,
    base: String,
    shots: PathBuf,
}

impl Browser {
    async fn open(driver: &str, base: &str, language: &str) -> Browser {
        let mut caps = serde_json::Map::new();
        caps.insert(
            "goog:chromeOptions".into(),
            json!({
                "args": ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                         "--window-size=1100,2000", format!("--lang={language}")],
                "prefs": { "intl.accept_languages": language },
            }),
        );
        let c = ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new())
            .capabilities(caps)
            .connect(driver)
            .await
            .expect("a chromedriver session");
        Browser {
            c,
            base: base.to_owned(),
            shots: screenshots(),
        }
    }

    /// Opens `path` and checks what every page must be: small, and with no script.
    async fn go(&self, path: &str) {
        self.c.goto(&format!("{}{path}", self.base)).await.unwrap();
        self.check_page().await;
    }

    async fn check_page(&self) {
        let html = self.c.source().await.unwrap();
        assert!(
            html.len() + 8 * 1024 < PAGE_BUDGET,
            "{} is {} bytes",
            self.c.current_url().await.unwrap(),
            html.len()
        );
        assert!(!html.contains("<script"), "the portal needs no script");
    }

    async fn fill(&self, id: &str, text: &str) {
        let e = self.c.find(Locator::Id(id)).await.unwrap();
        e.clear().await.unwrap();
        e.send_keys(text).await.unwrap();
    }

    /// Sets a long value at once (typing a presentation key by key takes minutes).
    async fn paste(&self, id: &str, text: &str) {
        let e = self.c.find(Locator::Id(id)).await.unwrap();
        self.c
            .execute(
                "arguments[0].value = arguments[1];",
                vec![serde_json::to_value(&e).unwrap(), json!(text)],
            )
            .await
            .unwrap();
    }

    async fn choose(&self, id: &str, value: &str) {
        self.c
            .find(Locator::Css(&format!("#{id} option[value=\"{value}\"]")))
            .await
            .unwrap()
            .click()
            .await
            .unwrap();
    }

    /// Clicks what leads to another page (a link, a form's button) and waits for that page: a
    /// click returns before a form's answer has replaced the document.
    async fn click(&self, css: &str) {
        let old = self.c.find(Locator::Css("html")).await.unwrap();
        self.press(css).await;
        let deadline = Instant::now() + Duration::from_secs(20);
        // The old document's element goes stale once the new page is in.
        while old.tag_name().await.is_ok() {
            assert!(Instant::now() < deadline, "{css} led nowhere");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        self.check_page().await;
    }

    /// Clicks what stays on the page (a checkbox, a button the browser's validation holds).
    async fn press(&self, css: &str) {
        self.c
            .find(Locator::Css(css))
            .await
            .unwrap_or_else(|e| panic!("{css}: {e}"))
            .click()
            .await
            .unwrap();
    }

    async fn text(&self, css: &str) -> String {
        match self.c.find(Locator::Css(css)).await {
            Ok(e) => e.text().await.unwrap(),
            Err(e) => panic!(
                "{css}: {e}\non {}:\n{}",
                self.c.current_url().await.unwrap(),
                self.c.source().await.unwrap_or_default()
            ),
        }
    }

    async fn value(&self, id: &str) -> String {
        self.c
            .find(Locator::Id(id))
            .await
            .unwrap()
            .prop("value")
            .await
            .unwrap()
            .unwrap_or_default()
    }

    async fn body(&self) -> String {
        self.text("main").await
    }

    async fn shot(&self, name: &str) {
        let png = self.c.screenshot().await.unwrap();
        std::fs::write(self.shots.join(format!("{name}.png")), png).unwrap();
    }

    /// Logs in as one of `dev`'s demo accounts.
    async fn login(&self, role: &str) {
        self.login_as(role, &format!("cites-dev-{role}")).await;
    }

    async fn login_as(&self, user: &str, password: &str) {
        self.go("/portal").await;
        self.fill("username", user).await;
        self.fill("password", password).await;
        self.click("main form button[type=submit]").await;
        let header = self.text("header").await;
        assert!(header.contains(user), "logged in as {user}: {header}");
    }

    /// What the browser's session gets at `path` (for downloads, which a headless browser
    /// saves rather than shows).
    async fn fetch(&self, path: &str) -> Vec<u8> {
        let session = self
            .c
            .get_all_cookies()
            .await
            .unwrap()
            .into_iter()
            .find(|c| c.name() == "cites_session")
            .expect("a session");
        let mut r = e2e_support::agent()
            .get(format!("{}{path}", self.base))
            .header("cookie", &format!("cites_session={}", session.value()))
            .call()
            .unwrap();
        assert_eq!(r.status(), 200, "{path}");
        r.body_mut()
            .with_config()
            .limit(16 << 20)
            .read_to_vec()
            .unwrap()
    }

    /// Chooses `file` in the upload form and sends it.
    async fn attach(&self, file: &std::path::Path) {
        self.c
            .find(Locator::Id("file"))
            .await
            .unwrap()
            .send_keys(file.to_str().unwrap())
            .await
            .unwrap();
        self.click("form[enctype='multipart/form-data'] button")
            .await;
    }

    async fn close(self) {
        self.c.close().await.unwrap();
    }
}

fn present(w: &wallet::Wallet, permit: &str, challenge: &str, domain: &str) -> String {
    let held = w.get(permit).unwrap().clone();
    let vp = wallet::present(
        w.holder_key().unwrap(),
        std::slice::from_ref(&held.credential),
        credentials::Mechanism::Jose,
        challenge,
        domain,
        chrono::Utc::now(),
    )
    .unwrap();
    json!({ "verifiablePresentation": vp }).to_string()
}

/// Checks the holder's presentation at `b`'s border for `purpose` until the verdict is
/// `wanted` (`pass` or `fail`): the node's replica may not hold the issuer's latest events yet,
/// and each try needs a fresh challenge.
async fn check_until(b: &Browser, w: &wallet::Wallet, permit: &str, purpose: &str, wanted: &str) {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        b.go("/portal/customs").await;
        b.click("form[action='/portal/customs/challenge'] button")
            .await;
        let challenge = b.text("#challenge-value").await;
        let domain = b.text("#domain-value").await;
        b.paste("presentation", &present(w, permit, &challenge, &domain))
            .await;
        b.choose("purpose", purpose).await;
        b.click("form[action='/portal/customs/verify'] button")
            .await;
        if b.c
            .find(Locator::Css(&format!("#verdict.{wanted}")))
            .await
            .is_ok()
        {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "the verdict at {} never was {wanted}: {}",
            b.base,
            b.body().await
        );
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
}

#[test]
fn every_role_walks_the_journey_through_the_pages() {
    let _one = crate::networked();
    let (Some(chromedriver), true) = (
        which("chromedriver"),
        which("chromium").is_some() || which("chromium-browser").is_some(),
    ) else {
        panic!(
            "the portal's browser test needs chromium and chromedriver (scripts/test.sh installs them)"
        );
    };
    let dir = tempfile::tempdir().unwrap();
    let port = dev_ports();
    let mut dev = Command::new(crate::bin())
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
    let stdout = dev.stdout.take().unwrap();
    let _dev = Killed(dev);
    // Ready once it prints the logins (the demo accounts exist then).
    let mut lines = BufReader::new(stdout).lines();
    loop {
        let line = lines.next().expect("dev stopped").unwrap();
        if line.contains("Press Ctrl-C") {
            break;
        }
    }
    std::thread::spawn(move || for _ in lines {});
    let driver_port = e2e_support::free_port();
    let _driver = Killed(
        Command::new(chromedriver)
            .arg(format!("--port={driver_port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    let driver = format!("http://127.0.0.1:{driver_port}");
    let deadline = Instant::now() + Duration::from_secs(20);
    while e2e_support::agent()
        .get(format!("{driver}/status"))
        .call()
        .is_err()
    {
        assert!(Instant::now() < deadline, "chromedriver did not start");
        std::thread::sleep(Duration::from_millis(100));
    }
    let (sec, gh, de) = (
        format!("http://127.0.0.1:{port}"),
        format!("http://127.0.0.1:{}", port + 1),
        format!("http://127.0.0.1:{}", port + 2),
    );
    let runtime = tokio::runtime::Runtime::new().unwrap();
    runtime.block_on(journey(&driver, &sec, &gh, &de, dir.path()));
}

async fn journey(driver: &str, sec: &str, gh: &str, de: &str, dir: &std::path::Path) {
    let mut w = wallet::Wallet::create(&dir.join("wallet"), "a long wallet passphrase").unwrap();

    // The applicant, in French, with a mistake the form catches before anything is saved.
    let applicant = Browser::open(driver, gh, "fr").await;
    applicant.go("/portal/applications").await;
    assert!(
        applicant.text("h1").await.contains("Se connecter"),
        "French from the browser"
    );
    applicant.shot("01-login").await;
    // A trader registers (a mismatch first: shown next to the field, the rest kept).
    applicant.click("a[href='/portal/register']").await;
    applicant.fill("username", "volta-farm").await;
    applicant.fill("name", "Volta Reptile Farm Ltd").await;
    applicant.fill("password", "a long trader password").await;
    applicant.fill("password2", "a long trader passw0rd").await;
    applicant.click("main form button").await;
    assert!(
        applicant
            .text("#password2-error")
            .await
            .contains("diffèrent")
    );
    assert_eq!(applicant.value("username").await, "volta-farm");
    applicant.fill("password", "a long trader password").await;
    applicant.fill("password2", "a long trader password").await;
    applicant.click("main form button").await;
    assert!(applicant.body().await.contains("Votre compte a été créé"));
    applicant
        .login_as("volta-farm", "a long trader password")
        .await;
    applicant.click("a[href='/portal/applications/new']").await;
    assert_eq!(applicant.text("h1").await, "Nouvelle demande");
    applicant.fill("holder", &w.did().unwrap()).await;
    applicant
        .fill("importer_name", "Reptilienhaus Berlin GmbH")
        .await;
    applicant
        .fill("importer_address", "Unter den Linden 5, 10117 Berlin")
        .await;
    applicant.fill("importer_country", "DE").await;
    applicant
        .fill("exporter_name", "Volta Reptile Farm Ltd")
        .await;
    applicant
        .fill("exporter_address", "PO Box 1203, Accra")
        .await;
    applicant.press("#live_transport").await;
    applicant.fill("species_lookup", "ball py").await;
    applicant.click("button[value=lookup]").await;
    assert!(applicant.text("#taxa").await.contains("Python regius"));
    assert_eq!(
        applicant.value("importer_name").await,
        "Reptilienhaus Berlin GmbH",
        "a lookup keeps what was typed"
    );
    applicant.fill("bA_scientific_name", "Python regius").await;
    applicant
        .fill("bA_description", "juvenile, unsexed, hatched 2026")
        .await;
    applicant.fill("bA_term", "LIV").await;
    applicant.choose("bA_source", "R").await;
    applicant.fill("bA_quantity", "fifty").await;
    applicant.click("button[value=lookup]").await;
    assert_eq!(
        applicant.value("bA_appendix").await,
        "II",
        "the checklist fills the Appendix"
    );
    applicant.click("button[value=save]").await;
    let error = applicant.text("#err-field-bA_quantity").await;
    assert!(error.contains("fifty"), "next to the quantity: {error}");
    assert_eq!(
        applicant.value("bA_quantity").await,
        "fifty",
        "kept as typed"
    );
    assert_eq!(applicant.value("id").await, "", "nothing was saved");
    applicant.shot("02-application-form-errors").await;
    applicant.fill("bA_quantity", "50").await;
    applicant.fill("importer_name", " ").await;
    applicant.click("button[value=submit]").await;
    // The draft is kept, but a permit without an importer's name cannot be submitted.
    assert!(applicant.value("id").await.starts_with("GH-A"));
    assert!(
        !applicant.text("#err-box-3").await.is_empty(),
        "the problem of box 3 is shown next to it"
    );
    applicant
        .fill("importer_name", "Reptilienhaus Berlin GmbH")
        .await;
    applicant.click("button[value=submit]").await;
    assert!(
        applicant
            .body()
            .await
            .contains("Soumise à l'organe de gestion"),
        "{}",
        applicant.body().await
    );
    let url = applicant.c.current_url().await.unwrap();
    let id = url
        .path()
        .trim_start_matches("/portal/applications/")
        .to_owned();
    // A supporting document: a web page is refused, a PDF kept.
    let fake = dir.join("invoice.html");
    std::fs::write(&fake, "<html><script>alert(1)</script>").unwrap();
    applicant.attach(&fake).await;
    assert!(applicant.body().await.contains("not a PDF, PNG or JPEG"));
    applicant.go(&format!("/portal/applications/{id}")).await;
    let scan = dir.join("ranch-registration.pdf");
    std::fs::write(&scan, b"%PDF-1.4\n% the ranch's registration\n").unwrap();
    applicant.attach(&scan).await;
    assert!(
        applicant
            .text("#documents")
            .await
            .contains("ranch-registration.pdf")
    );
    applicant.shot("03-application-submitted").await;
    // The account keeps the language: switched to English and back, it stays as chosen.
    applicant.choose("lang", "en").await;
    applicant
        .click("header form[action='/portal/language'] button")
        .await;
    assert!(applicant.body().await.contains("Application"));
    applicant.choose("lang", "fr").await;
    applicant
        .click("header form[action='/portal/language'] button")
        .await;
    assert_eq!(
        applicant
            .c
            .find(Locator::Css("html"))
            .await
            .unwrap()
            .attr("lang")
            .await
            .unwrap()
            .as_deref(),
        Some("fr")
    );

    // The MA officer: the queue, a refusal of the rules (no SA finding yet), then the SA.
    let ma = Browser::open(driver, gh, "en").await;
    ma.login("ma-officer").await;
    assert!(ma.text("main").await.contains(&id), "the queue has it");
    ma.shot("04-ma-queue").await;
    ma.click(&format!("a[href='/portal/applications/{id}']"))
        .await;
    assert!(ma.body().await.contains("Needs a non-detriment finding"));
    ma.shot("05-ma-application").await;
    assert_eq!(
        ma.fetch(&format!("/portal/applications/{id}/documents/1"))
            .await,
        std::fs::read(&scan).unwrap(),
        "the officer reads what the applicant sent"
    );
    ma.click(&format!("form[action$='/{id}/approve'] button"))
        .await;
    assert!(
        ma.text("p[role=alert]").await.contains("non-detriment"),
        "the rules refuse it"
    );
    ma.click(&format!("form[action$='/{id}/request-advice'] button"))
        .await;
    assert!(ma.body().await.contains("Sent to the Scientific Authority"));

    let sa = Browser::open(driver, gh, "en").await;
    sa.login("sa-officer").await;
    assert!(sa.body().await.contains(&id));
    sa.click(&format!("a[href='/portal/applications/{id}']"))
        .await;
    sa.press(&format!("form[action$='/{id}/advice'] button"))
        .await;
    assert!(
        sa.c.find(Locator::Css("#finding:invalid")).await.is_ok()
            && !sa.body().await.contains("Advice given"),
        "the browser asks for the finding before sending"
    );
    sa.fill("finding", "ranched stock within the national quota")
        .await;
    sa.shot("06-sa-advice").await;
    sa.click(&format!("form[action$='/{id}/advice'] button"))
        .await;
    assert!(sa.body().await.contains("Advice given"));
    sa.close().await;

    ma.go(&format!("/portal/applications/{id}")).await;
    ma.click(&format!("form[action$='/{id}/approve'] button"))
        .await;
    assert!(ma.body().await.contains("Approved"));
    ma.fill("reference", "GCB-7781").await;
    ma.fill("amount", "40").await;
    ma.click(&format!("form[action$='/{id}/payment'] button"))
        .await;
    assert_eq!(
        ma.value("reference").await,
        "GCB-7781",
        "kept after a refusal"
    );
    ma.fill("amount", "50.00").await;
    ma.click(&format!("form[action$='/{id}/payment'] button"))
        .await;
    assert!(ma.body().await.contains("Payment recorded"));
    ma.click(&format!("form[action$='/{id}/issue'] button"))
        .await;
    assert!(ma.body().await.contains("anchored in the log"));
    let permit_url = ma.c.current_url().await.unwrap();
    let permit_path = permit_url.path().to_owned();
    let permit = permit_path
        .trim_start_matches("/portal/permits/")
        .to_owned();
    assert!(permit.starts_with("GH/GH20"), "{permit}");
    ma.shot("07-ma-permit-issued").await;

    // The applicant takes it into the wallet from the offer.
    applicant.go(&permit_path).await;
    applicant.click("form[action$='/offer'] button").await;
    let tx_code = applicant.text("#tx-code").await;
    let uri = applicant
        .c
        .find(Locator::Css("code.wrap"))
        .await
        .unwrap()
        .prop("textContent")
        .await
        .unwrap()
        .unwrap();
    applicant.shot("08-applicant-offer-qr").await;
    // The printable permit, with the QR reference of this credential.
    let pdf = applicant.fetch(&format!("{permit_path}/pdf")).await;
    assert!(pdf.starts_with(b"%PDF-"), "a PDF");
    assert!(String::from_utf8_lossy(&pdf).contains(&format!("CITES1:{permit}:")));
    std::fs::write(applicant.shots.join("08-permit.pdf"), &pdf).unwrap();
    let parsed = wallet::receive::parse_offer(&uri).unwrap();
    let got = wallet::receive::receive(&parsed, Some(&tx_code), &w.holder_key().unwrap()).unwrap();
    let evidence = wallet::receive::evidence(&got.issuer_url, &got.credential).unwrap();
    w.add(got.credential, Some(evidence), Some(got.issuer_url))
        .unwrap();
    w.save().unwrap();
    applicant.close().await;

    // Ghana's customs: challenge, presentation, verdict, endorsement.
    let customs = Browser::open(driver, gh, "en").await;
    customs.login("customs-officer").await;
    customs
        .click("form[action='/portal/customs/challenge'] button")
        .await;
    let challenge = customs.text("#challenge-value").await;
    let domain = customs.text("#domain-value").await;
    customs.shot("09-customs-challenge").await;
    customs.paste("presentation", "{ not json").await;
    customs
        .click("form[action='/portal/customs/verify'] button")
        .await;
    assert!(
        customs
            .text("#presentation-error")
            .await
            .contains("not a presentation")
    );
    assert_eq!(customs.value("challenge").await, challenge, "kept");
    customs
        .paste("presentation", &present(&w, &permit, &challenge, &domain))
        .await;
    customs
        .click("form[action='/portal/customs/verify'] button")
        .await;
    assert!(
        customs.text("#verdict").await.contains("Valid"),
        "{}",
        customs.body().await
    );
    customs.shot("10-customs-verdict").await;
    customs
        .fill("p0-port", "Kotoka International Airport")
        .await;
    customs.fill("p0-q_A", "48").await;
    customs.click("form[action$='/endorsement'] button").await;
    assert!(customs.body().await.contains("Export endorsed"));
    customs.close().await;

    // Germany's customs, in Spanish, from their replica; then the import confirmed over EPIX.
    let importer = Browser::open(driver, de, "es").await;
    importer.login("customs-officer").await;
    assert_eq!(importer.text("h1").await, "Control fronterizo");
    check_until(&importer, &w, &permit, "import", "pass").await;
    importer.shot("11-import-verdict-es").await;
    // More than was exported: the issuer refuses, the form comes back as typed.
    importer.fill("p0-q_A", "50").await;
    importer.click("form[action$='/confirm'] button").await;
    assert!(importer.text("p[role=alert]").await.contains("48"));
    assert_eq!(importer.value("p0-q_A").await, "50");
    importer.fill("p0-q_A", "48").await;
    importer.click("form[action$='/confirm'] button").await;
    assert!(
        importer.body().await.contains("Importación confirmada"),
        "{}",
        importer.body().await
    );
    // The same permit again, at the same border: refused once the replica has the confirmation.
    check_until(&importer, &w, &permit, "import", "fail").await;
    let checklist = importer.text("table.checklist").await;
    assert!(
        checklist.contains("already confirmed at import"),
        "{checklist}"
    );
    assert!(
        importer
            .c
            .find(Locator::Css("form[action$='/confirm']"))
            .await
            .is_err(),
        "no confirmation is offered for a refused permit"
    );
    importer.shot("12-second-import-refused-es").await;
    importer.close().await;

    // The MA sees the permit used up, on its dashboard too.
    ma.go(&permit_path).await;
    assert!(ma.body().await.contains("import confirmed"));
    ma.go("/portal/dashboard").await;
    let table = ma.text("#by-status").await;
    assert!(table.contains("import confirmed"), "{table}");
    assert!(
        ma.c.find(Locator::Css("figure svg rect")).await.is_ok(),
        "a chart"
    );
    ma.shot("13-dashboard").await;
    // The same numbers as CSV.
    let csv = String::from_utf8(ma.fetch("/portal/dashboard?format=csv").await).unwrap();
    assert!(csv.contains("permits_by_status,"), "{csv}");
    assert!(csv.contains("import_confirmed,1"), "{csv}");
    ma.close().await;

    // The Secretariat holds every event of the permit's life in its replica of Ghana's log: its
    // node resolves the QR reference to a used-up permit.
    let reference = wallet::reference(w.get(&permit).unwrap()).unwrap();
    let encoded =
        percent_encoding::utf8_percent_encode(&reference, percent_encoding::NON_ALPHANUMERIC);
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let mut r = e2e_support::agent()
            .get(format!("{sec}/references?ref={encoded}"))
            .call()
            .unwrap();
        let body: serde_json::Value = r.body_mut().read_json().unwrap_or_default();
        if body.to_string().contains("the permit is import-confirmed") {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the Secretariat never saw it used: {body}"
        );
        tokio::time::sleep(Duration::from_millis(300)).await;
    }

    // The Secretariat's auditor: the logs cosigned, no alert.
    let auditor = Browser::open(driver, sec, "en").await;
    auditor.login("auditor").await;
    let logs = auditor.text("#logs").await;
    assert!(logs.contains("cites.dev"), "{logs}");
    assert!(auditor.c.find(Locator::Id("no-alerts")).await.is_ok());
    auditor.shot("14-secretariat-network").await;
    auditor.close().await;
}

/// A form posted from elsewhere (no token, another session's token, no login nonce) is refused
/// and changes nothing; a page of the portal needs a login, and the wrong role gets a refusal.
#[test]
fn portal_forms_without_their_token_change_nothing() {
    let ma = crate::workflow::start();
    let key = credentials::keys::SecretKey::from_seed(&[7; 32]);
    let holder = credentials::Signer::holder(key).unwrap().public().did_key();
    let id = crate::workflow::new_application_for(&ma, "export_permit", &holder);
    let applicant = ma.as_("applicant");
    // Redirects not followed: a form's answer is a 303.
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .max_redirects(0)
        .build()
        .into();
    let post = |cookie: &str, path: &str, form: &str| {
        let mut r = agent
            .post(format!("{}{path}", ma.url()))
            .header("cookie", cookie)
            .header("content-type", "application/x-www-form-urlencoded")
            .send(form)
            .unwrap();
        let status = r.status().as_u16();
        (status, r.body_mut().read_to_string().unwrap_or_default())
    };
    let stage = || {
        applicant.get(&format!("/applications/{id}")).1["application"]["stage"]
            .as_str()
            .unwrap()
            .to_owned()
    };
    let submit = format!("/portal/applications/{id}/submit");
    let (status, page) = post(&applicant.auth.1, &submit, "");
    assert_eq!(status, 403, "no token: {page}");
    assert!(page.contains("expired"));
    // The form token a page gives a session.
    let token_of = |cookie: &str, path: &str| {
        let page = e2e_support::agent()
            .get(format!("{}{path}", ma.url()))
            .header("cookie", cookie)
            .call()
            .unwrap()
            .body_mut()
            .read_to_string()
            .unwrap();
        page.split("name=\"csrf\" value=\"")
            .nth(1)
            .and_then(|rest| rest.split('"').next())
            .unwrap()
            .to_owned()
    };
    // The MA officer's token is not the applicant's.
    let token = token_of(&ma.as_("ma-officer").auth.1, "/portal/queue");
    assert_eq!(token.len(), 64);
    let (status, _) = post(&applicant.auth.1, &submit, &format!("csrf={token}"));
    assert_eq!(status, 403, "another session's token");
    assert_eq!(stage(), "draft", "nothing changed");
    // With its own token, the same form works.
    let token = token_of(&applicant.auth.1, &format!("/portal/applications/{id}"));
    let (status, _) = post(&applicant.auth.1, &submit, &format!("csrf={token}"));
    assert_eq!(status, 303);
    assert_eq!(stage(), "submitted");

    // A login posted without the browser's nonce is refused before the password is checked.
    let (status, _) = post(
        "",
        "/portal/login",
        "username=applicant&password=x&nonce=abc",
    );
    assert_eq!(status, 403);
    // Anonymous: to the login page, then back; the wrong role: refused.
    let r = e2e_support::agent()
        .get(format!("{}/portal/queue", ma.url()))
        .call()
        .unwrap();
    assert_eq!(r.status(), 200, "the agent followed to the login page");
    let r = e2e_support::agent()
        .get(format!("{}/portal/customs", ma.url()))
        .header("cookie", &applicant.auth.1)
        .call()
        .unwrap();
    assert_eq!(r.status(), 403);
    let mut r = e2e_support::agent()
        .get(format!("{}/portal/no/such/page", ma.url()))
        .call()
        .unwrap();
    assert_eq!(r.status(), 404);
    assert!(
        r.body_mut()
            .read_to_string()
            .unwrap()
            .contains("There is no such page")
    );
}
