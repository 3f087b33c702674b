//! `cites-wallet` as an exporter uses it: create the holder key, then answer a verifier's
//! challenge with a presentation the verifier can check.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::process::Command;

use contracts::Permit;
use credentials::credential::{self, Draft};
use credentials::keys::{PublicKey, SecretKey};
use credentials::{Mechanism, Secured, Signer, presentation};

fn wallet(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_cites-wallet"))
        .args(args)
        .output()
        .unwrap()
}

#[test]
fn init_then_present_a_credential() {
    let dir = tempfile::tempdir().unwrap();
    let key = dir.path().join("holder.key");
    let out = wallet(&["init", "--key", key.to_str().unwrap()]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let did = String::from_utf8(out.stdout).unwrap().trim().to_owned();
    assert!(did.starts_with("did:key:z6Mk"));
    let again = wallet(&["init", "--key", key.to_str().unwrap()]);
    assert_eq!(
        again.status.code(),
        Some(2),
        "an existing key is never replaced"
    );

    let path = format!(
        "{}/../contracts/tests/fixtures/valid/export_permit.json",
        env!("CARGO_MANIFEST_DIR")
    );
    let permit = Permit::from_json(&std::fs::read(path).unwrap()).unwrap();
    let vc = credential::build(&Draft {
        permit: &permit,
        issuer: "did:web:ma.example",
        holder: &did,
        salt: "AA",
        status: &[],
    })
    .unwrap();
    let issuer = Signer::new(SecretKey::from_seed(&[1; 32]), "did:web:ma.example#key-1").unwrap();
    for m in Mechanism::ALL {
        let credential = issuer.issue(&vc, m, "2026-10-01T00:00:00Z").unwrap();
        let file = dir.path().join("permit.vc");
        let text = match &credential {
            Secured::Jwt(t) => t.clone(),
            Secured::Embedded(d) => d.to_string(),
        };
        std::fs::write(&file, text).unwrap();
        let out = wallet(&[
            "present",
            "--key",
            key.to_str().unwrap(),
            "--challenge",
            "c-1",
            "--domain",
            "customs.example",
            "--mechanism",
            match m {
                Mechanism::Jose => "jose",
                Mechanism::EddsaRdfc2022 => "eddsa-rdfc-2022",
                Mechanism::EddsaJcs2022 => "eddsa-jcs-2022",
            },
            file.to_str().unwrap(),
        ]);
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let vp = Secured::parse(&String::from_utf8(out.stdout).unwrap()).unwrap();
        let holder = PublicKey::from_multikey(did.strip_prefix("did:key:").unwrap()).unwrap();
        let proven = vp.verify(&holder, true).unwrap();
        assert_eq!(
            (proven.challenge.as_deref(), proven.domain.as_deref()),
            (Some("c-1"), Some("customs.example"))
        );
        let (_, inner) = presentation::contents(&proven.document).unwrap();
        assert_eq!(inner, vec![credential]);
    }

    // A credential issued to someone else is not presented.
    let other = credential::build(&Draft {
        permit: &permit,
        issuer: "did:web:ma.example",
        holder: "did:key:z6MkrJVnaZkeFzdQyMZu1cgjg7k1pZZ6pvBQ7XJPt4swbTQ2",
        salt: "AA",
        status: &[],
    })
    .unwrap();
    let file = dir.path().join("other.vc");
    let secured = issuer
        .issue(&other, Mechanism::EddsaJcs2022, "2026-10-01T00:00:00Z")
        .unwrap();
    std::fs::write(&file, serde_json::to_string(&secured).unwrap()).unwrap();
    let out = wallet(&[
        "present",
        "--key",
        key.to_str().unwrap(),
        "--challenge",
        "c",
        "--domain",
        "d",
        file.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("not to this wallet's holder"));
}
