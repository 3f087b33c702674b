//! `cites-wallet` as an exporter uses it: create the wallet, import a permit, show it, answer
//! a verifier's challenge with a presentation the verifier can check, print its QR reference;
//! and the wallet stays intact through a wrong passphrase, a damaged file and a credential for
//! someone else.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::Path;
use std::process::Command;

use contracts::Permit;
use credentials::credential::{self, Draft};
use credentials::keys::{PublicKey, SecretKey};
use credentials::{Mechanism, Secured, Signer, presentation};

const PASSPHRASE: &str = "a long wallet passphrase";

fn wallet(dir: &Path, passphrase: &str, args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_cites-wallet"))
        .arg("--wallet")
        .arg(dir)
        .args(args)
        .env("CITES_WALLET_PASSPHRASE", passphrase)
        .output()
        .unwrap()
}

fn ok(out: &std::process::Output) -> String {
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout.clone()).unwrap()
}

fn permit() -> Permit {
    let path = format!(
        "{}/../contracts/tests/fixtures/valid/export_permit.json",
        env!("CARGO_MANIFEST_DIR")
    );
    Permit::from_json(&std::fs::read(path).unwrap()).unwrap()
}

fn issue(holder: &str, m: Mechanism) -> Secured {
    let vc = credential::build(&Draft {
        permit: &permit(),
        issuer: "did:web:ma.example",
        holder,
        salt: "AA",
        status: &[],
    })
    .unwrap();
    let issuer = Signer::new(SecretKey::from_seed(&[1; 32]), "did:web:ma.example#key-1").unwrap();
    issuer.issue(&vc, m, "2026-10-01T00:00:00Z").unwrap()
}

#[test]
fn init_import_show_present_and_qr() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("w");
    let did = ok(&wallet(&dir, PASSPHRASE, &["init"])).trim().to_owned();
    assert!(did.starts_with("did:key:z6Mk"));
    assert_eq!(ok(&wallet(&dir, PASSPHRASE, &["did"])).trim(), did);
    let again = wallet(&dir, PASSPHRASE, &["init"]);
    assert_eq!(
        again.status.code(),
        Some(2),
        "an existing wallet is never replaced"
    );
    let meta = std::fs::metadata(dir.join("wallet.json")).unwrap();
    use std::os::unix::fs::PermissionsExt;
    assert_eq!(meta.permissions().mode() & 0o077, 0, "private to its owner");
    let on_disk = std::fs::read_to_string(dir.join("wallet.json")).unwrap();
    assert!(
        !on_disk.contains("GH2026000142") && !on_disk.contains(&did[8..]),
        "encrypted"
    );

    for m in Mechanism::ALL {
        let credential = issue(&did, m);
        let file = tmp.path().join("permit.vc");
        let text = match &credential {
            Secured::Jwt(t) => t.clone(),
            Secured::Embedded(d) => d.to_string(),
        };
        std::fs::write(&file, text).unwrap();
        assert!(
            ok(&wallet(
                &dir,
                PASSPHRASE,
                &["import", file.to_str().unwrap()]
            ))
            .contains("GH/GH2026000142")
        );
        let list = ok(&wallet(&dir, PASSPHRASE, &["list"]));
        assert_eq!(
            list.lines().filter(|l| l.starts_with("GH/")).count(),
            1,
            "the same permit once: {list}"
        );
        let vp = ok(&wallet(
            &dir,
            PASSPHRASE,
            &[
                "present",
                "GH2026000142",
                "--challenge",
                "c-1",
                "--domain",
                "customs.example",
            ],
        ));
        let package: serde_json::Value = serde_json::from_str(&vp).unwrap();
        assert_eq!(
            package["evidence"],
            serde_json::json!([]),
            "none imported yet"
        );
        let vp: Secured =
            serde_json::from_value(package["verifiablePresentation"].clone()).unwrap();
        let holder = PublicKey::from_multikey(did.strip_prefix("did:key:").unwrap()).unwrap();
        let proven = vp.verify(&holder, true).unwrap();
        assert_eq!(
            (
                proven.proof.challenge.as_deref(),
                proven.proof.domain.as_deref()
            ),
            (Some("c-1"), Some("customs.example"))
        );
        let (_, inner) = presentation::contents(&proven.document).unwrap();
        assert_eq!(inner, vec![credential]);
    }
    let shown = ok(&wallet(&dir, PASSPHRASE, &["show", "GH/GH2026000142"]));
    assert!(shown.contains("Export permit No. GH2026000142"), "{shown}");
    assert!(shown.contains("Python regius (Ball python)"), "{shown}");
    assert!(shown.contains("LIV"), "{shown}");
    let qr = wallet(&dir, PASSPHRASE, &["qr", "GH2026000142"]);
    assert_eq!(qr.status.code(), Some(2), "no evidence yet, no reference");
    assert!(String::from_utf8_lossy(&qr.stderr).contains("refresh"));
    assert_eq!(
        wallet(&dir, PASSPHRASE, &["show", "GH9"]).status.code(),
        Some(2)
    );
}

#[test]
fn a_wrong_passphrase_a_damaged_file_and_another_holders_credential_leave_the_wallet_intact() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("w");
    let did = ok(&wallet(&dir, PASSPHRASE, &["init"])).trim().to_owned();
    let file = tmp.path().join("permit.vc");
    std::fs::write(
        &file,
        serde_json::to_string(&issue(&did, Mechanism::EddsaJcs2022)).unwrap(),
    )
    .unwrap();
    ok(&wallet(
        &dir,
        PASSPHRASE,
        &["import", file.to_str().unwrap()],
    ));
    let before = std::fs::read(dir.join("wallet.json")).unwrap();

    let wrong = wallet(&dir, "not the passphrase", &["list"]);
    assert_eq!(wrong.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&wrong.stderr).contains("wrong passphrase"));

    let other = issue(
        "did:key:z6MkrJVnaZkeFzdQyMZu1cgjg7k1pZZ6pvBQ7XJPt4swbTQ2",
        Mechanism::Jose,
    );
    let other_file = tmp.path().join("other.vc");
    std::fs::write(&other_file, serde_json::to_string(&other).unwrap()).unwrap();
    let refused = wallet(&dir, PASSPHRASE, &["import", other_file.to_str().unwrap()]);
    assert_eq!(refused.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&refused.stderr).contains("not to this wallet's holder"));
    assert_eq!(
        std::fs::read(dir.join("wallet.json")).unwrap(),
        before,
        "unchanged"
    );

    // One byte of the ciphertext changed: refused as damaged, not as a wrong passphrase.
    let mut envelope: serde_json::Value = serde_json::from_slice(&before).unwrap();
    let mut ct = envelope["ciphertext"].as_str().unwrap().to_owned();
    let flipped = if ct.starts_with('A') { "B" } else { "A" };
    ct.replace_range(0..1, flipped);
    envelope["ciphertext"] = ct.into();
    std::fs::write(
        dir.join("wallet.json"),
        serde_json::to_vec(&envelope).unwrap(),
    )
    .unwrap();
    let damaged = wallet(&dir, PASSPHRASE, &["list"]);
    assert_eq!(damaged.status.code(), Some(2));
    let err = String::from_utf8_lossy(&damaged.stderr);
    assert!(err.contains("damaged or was altered"), "{err}");
    std::fs::write(dir.join("wallet.json"), &before).unwrap();
    assert!(ok(&wallet(&dir, PASSPHRASE, &["list"])).contains("GH/GH2026000142"));

    let short = wallet(&tmp.path().join("w2"), "short", &["init"]);
    assert_eq!(
        short.status.code(),
        Some(2),
        "a short passphrase is refused"
    );
}
