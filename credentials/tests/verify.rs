//! The verification pipeline against an in-memory trust source: a valid presentation passes in
//! every mechanism, and each way a permit can be wrong fails with its own check and reason,
//! including the cases the `ssi` library alone accepts (a key the issuer does not control, a
//! valid presentation around a tampered credential, a wrong challenge).

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::cell::RefCell;
use std::collections::BTreeMap;

use base64::Engine as _;
use chrono::{DateTime, TimeZone, Utc};
use contracts::{Country, Digest, Event, Lifecycle, Permit, PermitKey};
use credentials::credential::{self, Draft, StatusEntry, StatusPurpose};
use credentials::keys::{PublicKey, SecretKey};
use credentials::verify::{
    Anchor, CheckId, Expectations, Outcome, Trust, Use, Verdict, verify_credential,
    verify_presentation,
};
use credentials::{Mechanism, Secured, Signer, presentation};

const ISSUER: &str = "did:web:cites.gh.example";
const SALT: [u8; 32] = [5; 32];

fn t(s: &str) -> DateTime<Utc> {
    s.parse().unwrap()
}

/// A key and the interval it was valid in.
type KeyInterval = (PublicKey, DateTime<Utc>, Option<DateTime<Utc>>);

struct MemoryTrust {
    keys: BTreeMap<String, KeyInterval>,
    accredited: Option<(DateTime<Utc>, Option<DateTime<Utc>>)>,
    anchors: RefCell<BTreeMap<Digest, Anchor>>,
    lifecycle: RefCell<Option<Lifecycle>>,
    revoked: bool,
    suspended: bool,
    as_of: DateTime<Utc>,
}

impl Trust for MemoryTrust {
    fn issuer_key(
        &self,
        issuer: &str,
        method: &str,
        at: DateTime<Utc>,
        _anchor: Option<&credentials::verify::Anchor>,
    ) -> Result<PublicKey, String> {
        if issuer != ISSUER {
            return Err(format!("{issuer} is not in the registry"));
        }
        match self.keys.get(method) {
            Some((k, from, until)) if *from <= at && until.is_none_or(|u| at < u) => Ok(*k),
            Some(_) => Err(format!("{method} was not valid on {at}")),
            None => Err(format!("{method} is not an assertion key of {issuer}")),
        }
    }
    fn accredited(&self, _issuer: &str, party: Country, at: DateTime<Utc>) -> Result<(), String> {
        match self.accredited {
            Some((from, until))
                if party.code() == "GH" && from <= at && until.is_none_or(|u| at < u) =>
            {
                Ok(())
            }
            _ => Err(format!("not accredited for {party} on {at}")),
        }
    }
    fn anchor(&self, _permit: &PermitKey, credential: &Digest) -> Result<Anchor, String> {
        self.anchors
            .borrow()
            .get(credential)
            .cloned()
            .ok_or_else(|| "not found in the issuer's log".into())
    }
    fn lifecycle(&self, _permit: &PermitKey) -> Result<(Lifecycle, DateTime<Utc>), String> {
        self.lifecycle
            .borrow()
            .clone()
            .map(|l| (l, self.as_of))
            .ok_or_else(|| "unknown".into())
    }
    fn status_bit(&self, entry: &StatusEntry) -> Result<(bool, DateTime<Utc>), String> {
        Ok((
            match entry.purpose {
                StatusPurpose::Revocation => self.revoked,
                StatusPurpose::Suspension => self.suspended,
            },
            self.as_of,
        ))
    }
}

fn permit() -> Permit {
    let path = format!(
        "{}/../contracts/tests/fixtures/valid/export_permit.json",
        env!("CARGO_MANIFEST_DIR")
    );
    Permit::from_json(&std::fs::read(path).unwrap()).unwrap()
}

fn issuer_key() -> SecretKey {
    SecretKey::from_seed(&[1; 32])
}

fn holder() -> Signer {
    Signer::holder(SecretKey::from_seed(&[2; 32])).unwrap()
}

struct World {
    trust: MemoryTrust,
    credential: Secured,
}

fn issue(m: Mechanism, p: &Permit, signer: &Signer) -> (Secured, Anchor) {
    let status = [
        StatusEntry {
            purpose: StatusPurpose::Revocation,
            list: "https://cites.gh.example/status/r".into(),
            index: 7,
        },
        StatusEntry {
            purpose: StatusPurpose::Suspension,
            list: "https://cites.gh.example/status/s".into(),
            index: 7,
        },
    ];
    let salt = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(SALT);
    let holder_did = holder().public().did_key();
    let vc = credential::build(&Draft {
        permit: p,
        issuer: ISSUER,
        holder: &holder_did,
        salt: &salt,
        status: &status,
    })
    .unwrap();
    let secured = signer.issue(&vc, m, "2026-10-01T08:30:00Z").unwrap();
    let anchor = Anchor {
        issued_at: t("2026-10-01T08:30:05Z"),
        commitment: contracts::entry::commit(p, &SALT).unwrap(),
        origin: "cites.gh.example".into(),
        index: 12,
        evidence: "leaf 12 of cites.gh.example, checkpoint 13 cosigned by 2 of 2 witnesses".into(),
    };
    (secured, anchor)
}

fn world(m: Mechanism) -> World {
    let p = permit();
    let signer = Signer::new(issuer_key(), &format!("{ISSUER}#key-1")).unwrap();
    let (credential, anchor) = issue(m, &p, &signer);
    let trust = MemoryTrust {
        keys: BTreeMap::from([(
            format!("{ISSUER}#key-1"),
            (issuer_key().public(), t("2026-01-01T00:00:00Z"), None),
        )]),
        accredited: Some((t("2026-01-01T00:00:00Z"), None)),
        anchors: RefCell::new(BTreeMap::from([(Digest(credential.digest()), anchor)])),
        lifecycle: RefCell::new(Some(Lifecycle::new(&p))),
        revoked: false,
        suspended: false,
        as_of: t("2026-10-20T11:59:00Z"),
    };
    World { trust, credential }
}

fn expect(purpose: Use) -> Expectations {
    Expectations {
        challenge: Some("c-42".into()),
        domain: Some("customs.de.example".into()),
        now: t("2026-10-20T12:00:00Z"),
        purpose,
        max_status_age: 3600,
    }
}

fn present(credential: &Secured, m: Mechanism, challenge: &str, domain: &str) -> Secured {
    let h = holder();
    let vp = presentation::build(&h.public().did_key(), std::slice::from_ref(credential));
    h.present(&vp, m, "2026-10-20T11:58:00Z", challenge, domain)
        .unwrap()
}

fn single(v: Vec<Verdict>) -> Verdict {
    assert_eq!(v.len(), 1);
    v.into_iter().next().unwrap()
}

fn failed(v: &Verdict) -> Vec<CheckId> {
    v.checks
        .iter()
        .filter(|c| c.outcome == Outcome::Fail)
        .map(|c| c.check)
        .collect()
}

fn reason(v: &Verdict, id: CheckId) -> String {
    v.checks
        .iter()
        .find(|c| c.check == id)
        .map(|c| c.reason.clone())
        .unwrap_or_default()
}

#[test]
fn a_valid_presentation_passes_in_every_mechanism() {
    for cm in Mechanism::ALL {
        for pm in Mechanism::ALL {
            let w = world(cm);
            let vp = present(&w.credential, pm, "c-42", "customs.de.example");
            let v = single(verify_presentation(&vp, &w.trust, &expect(Use::Export)));
            assert!(v.valid, "{cm:?} in {pm:?}: {:#?}", v.checks);
            assert_eq!(v.checks.len(), 13, "every check reports");
            assert_eq!(
                v.outcome(CheckId::ExportEndorsement),
                Some(Outcome::NotApplicable)
            );
        }
    }
}

#[test]
fn wrong_challenge_or_domain_fails() {
    let w = world(Mechanism::EddsaRdfc2022);
    let v = single(verify_presentation(
        &present(&w.credential, Mechanism::Jose, "c-41", "customs.de.example"),
        &w.trust,
        &expect(Use::Export),
    ));
    assert_eq!(failed(&v), vec![CheckId::ChallengeDomain]);
    assert!(reason(&v, CheckId::ChallengeDomain).contains("possible replay"));
    let v = single(verify_presentation(
        &present(
            &w.credential,
            Mechanism::EddsaJcs2022,
            "c-42",
            "evil.example",
        ),
        &w.trust,
        &expect(Use::Export),
    ));
    assert_eq!(failed(&v), vec![CheckId::ChallengeDomain]);
}

#[test]
fn a_key_the_issuer_does_not_control_is_rejected() {
    for m in Mechanism::ALL {
        let w = world(m);
        // Signed by another key that claims the issuer's DID: the library alone accepts this.
        let forger =
            Signer::new(SecretKey::from_seed(&[66; 32]), &format!("{ISSUER}#key-1")).unwrap();
        let (forged, anchor) = issue(m, &permit(), &forger);
        w.trust
            .anchors
            .borrow_mut()
            .insert(Digest(forged.digest()), anchor);
        let v = verify_credential(&forged, &w.trust, &expect(Use::Inspect));
        assert!(
            failed(&v).contains(&CheckId::IssuerSignature),
            "{m:?}: {:#?}",
            v.checks
        );
        // Signed with a key of another DID (its own did:key), naming it honestly.
        let outsider = Signer::holder(SecretKey::from_seed(&[67; 32])).unwrap();
        let (forged, _) = issue(m, &permit(), &outsider);
        let v = verify_credential(&forged, &w.trust, &expect(Use::Inspect));
        assert!(
            reason(&v, CheckId::IssuerSignature).contains("not a key of the issuer"),
            "{m:?}"
        );
    }
}

#[test]
fn a_valid_presentation_around_a_tampered_credential_is_rejected() {
    let w = world(Mechanism::EddsaJcs2022);
    let Secured::Embedded(mut doc) = w.credential.clone() else {
        unreachable!()
    };
    doc["credentialSubject"]["permit"]["blocks"][0]["quantity"] = "500".into();
    let vp = present(
        &Secured::Embedded(doc),
        Mechanism::EddsaRdfc2022,
        "c-42",
        "customs.de.example",
    );
    let v = single(verify_presentation(&vp, &w.trust, &expect(Use::Export)));
    assert_eq!(
        v.outcome(CheckId::HolderProof),
        Some(Outcome::Pass),
        "the wrapper itself is fine"
    );
    assert!(failed(&v).contains(&CheckId::IssuerSignature));
    assert!(
        failed(&v).contains(&CheckId::Anchored),
        "not the credential the log recorded"
    );
    assert!(!v.valid);
}

#[test]
fn presentation_by_someone_else_is_rejected() {
    let w = world(Mechanism::Jose);
    let thief = Signer::holder(SecretKey::from_seed(&[9; 32])).unwrap();
    let vp = presentation::build(
        &thief.public().did_key(),
        std::slice::from_ref(&w.credential),
    );
    let vp = thief
        .present(
            &vp,
            Mechanism::Jose,
            "2026-10-20T11:58:00Z",
            "c-42",
            "customs.de.example",
        )
        .unwrap();
    let v = single(verify_presentation(&vp, &w.trust, &expect(Use::Export)));
    assert_eq!(failed(&v), vec![CheckId::HolderBinding]);
}

#[test]
fn each_status_problem_fails_with_its_reason() {
    let w = world(Mechanism::Jose);
    let vp = present(&w.credential, Mechanism::Jose, "c-42", "customs.de.example");
    let run =
        |trust: &MemoryTrust, purpose| single(verify_presentation(&vp, trust, &expect(purpose)));

    let mut revoked = world(Mechanism::Jose).trust;
    revoked.anchors = w.trust.anchors.clone();
    revoked.revoked = true;
    assert!(reason(&run(&revoked, Use::Export), CheckId::Status).contains("revoked"));

    revoked.revoked = false;
    revoked.suspended = true;
    assert!(reason(&run(&revoked, Use::Export), CheckId::Status).contains("suspended"));
    revoked.suspended = false;

    let p = permit();
    let mut l = Lifecycle::new(&p);
    l.apply(&Event::Replace {
        on: "2026-10-15".parse().unwrap(),
        by: PermitKey {
            party: p.authority.country,
            number: "GH2026000200".into(),
        },
    })
    .unwrap();
    *revoked.lifecycle.borrow_mut() = Some(l);
    assert!(
        reason(&run(&revoked, Use::Export), CheckId::Status)
            .contains("replaced by GH/GH2026000200")
    );

    let mut l = Lifecycle::new(&p);
    l.apply(&Event::Endorse {
        on: "2026-10-10".parse().unwrap(),
        quantities: p.permitted_quantities(),
    })
    .unwrap();
    *revoked.lifecycle.borrow_mut() = Some(l.clone());
    let v = run(&revoked, Use::Export);
    assert_eq!(failed(&v), vec![CheckId::Usage], "already used for export");
    let v = run(&revoked, Use::Import);
    assert!(
        v.valid,
        "endorsed at export, now at import: {:#?}",
        v.checks
    );

    l.apply(&Event::ConfirmImport {
        on: "2026-10-12".parse().unwrap(),
        by: "DE".parse().unwrap(),
        quantities: p.permitted_quantities(),
    })
    .unwrap();
    *revoked.lifecycle.borrow_mut() = Some(l);
    let v = run(&revoked, Use::Import);
    assert!(reason(&v, CheckId::Usage).contains("already confirmed at import"));

    *revoked.lifecycle.borrow_mut() = Some(Lifecycle::new(&p));
    let v = run(&revoked, Use::Import);
    assert_eq!(failed(&v), vec![CheckId::ExportEndorsement]);

    revoked.as_of = t("2026-10-19T00:00:00Z");
    assert_eq!(
        failed(&run(&revoked, Use::Export)),
        vec![CheckId::Freshness]
    );
}

#[test]
fn expiry_anchoring_keys_and_accreditation_each_fail_on_their_own() {
    let w = world(Mechanism::EddsaRdfc2022);
    let mut late = expect(Use::Inspect);
    late.now = Utc.with_ymd_and_hms(2027, 4, 1, 9, 0, 0).unwrap();
    let mut trust = world(Mechanism::EddsaRdfc2022).trust;
    trust.anchors = w.trust.anchors.clone();
    trust.as_of = late.now;
    let v = verify_credential(&w.credential, &trust, &late);
    assert_eq!(failed(&v), vec![CheckId::Validity]);
    assert!(reason(&v, CheckId::Validity).contains("expired on 2027-03-31"));

    let mut unanchored = world(Mechanism::EddsaRdfc2022).trust;
    unanchored.anchors = RefCell::new(BTreeMap::new());
    let v = verify_credential(&w.credential, &unanchored, &expect(Use::Inspect));
    assert!(failed(&v).contains(&CheckId::Anchored));

    // The key was rotated in before issuance? No: it became valid only after it.
    let mut rotated = world(Mechanism::EddsaRdfc2022).trust;
    rotated.anchors = w.trust.anchors.clone();
    rotated.keys.insert(
        format!("{ISSUER}#key-1"),
        (issuer_key().public(), t("2026-10-02T00:00:00Z"), None),
    );
    let v = verify_credential(&w.credential, &rotated, &expect(Use::Inspect));
    assert_eq!(
        failed(&v),
        vec![CheckId::IssuerSignature, CheckId::KeyValidAtIssuance]
    );

    // A key revoked after issuance still verifies what it signed before.
    rotated.keys.insert(
        format!("{ISSUER}#key-1"),
        (
            issuer_key().public(),
            t("2026-01-01T00:00:00Z"),
            Some(t("2026-10-05T00:00:00Z")),
        ),
    );
    assert!(verify_credential(&w.credential, &rotated, &expect(Use::Inspect)).valid);

    let mut unaccredited = world(Mechanism::EddsaRdfc2022).trust;
    unaccredited.anchors = w.trust.anchors.clone();
    unaccredited.accredited = Some((t("2026-01-01T00:00:00Z"), Some(t("2026-09-01T00:00:00Z"))));
    let v = verify_credential(&w.credential, &unaccredited, &expect(Use::Inspect));
    assert_eq!(failed(&v), vec![CheckId::IssuerAccredited]);
}
