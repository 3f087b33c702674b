//! The verification pipeline: one function, used by the node, the wallet and the CLI, that turns
//! a presentation (or a bare credential) into a verdict with a checklist customs can read.
//!
//! Every check runs and reports pass, fail or not applicable with its reason; the verdict is
//! valid only if no check failed (fail closed). What the pipeline cannot know by itself (which
//! keys an issuer held when, whether a credential is anchored, the permit's life since) comes
//! from a [`Trust`]: the node's registry and replicas online, or an evidence bundle and the
//! genesis offline.
//!
//! The checks `ssi` leaves to the caller (`shared/DEPENDENCIES.md`) are all here: the proof key
//! must be the issuer's, for `assertionMethod`, at issuance time; a presentation's key must be
//! its holder's, for `authentication`; challenge and domain must be the verifier's; and every
//! credential inside a presentation is verified on its own.

use chrono::{DateTime, NaiveDate, Utc};
use contracts::{
    Country, Digest, Lifecycle, Permit, PermitKey, Status, ValidationContext, validate,
};
use serde::Serialize;

use crate::credential::{self, PermitClaims, StatusEntry, StatusPurpose};
use crate::keys::PublicKey;
use crate::presentation;
use crate::secure::Secured;

/// What the verifier is about to do with the permit, which decides some checks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Use {
    /// Export customs, before endorsing: the permit must not be used yet.
    Export,
    /// Import customs: the permit must be endorsed at export (where the type requires it) and
    /// not already confirmed at import.
    Import,
    /// Looking only: validity, status and authenticity.
    Inspect,
}

/// What the verifier expects.
#[derive(Debug, Clone)]
pub struct Expectations {
    /// The challenge the verifier issued (required for presentations).
    pub challenge: Option<String>,
    /// The verifier's domain (required for presentations).
    pub domain: Option<String>,
    /// Now.
    pub now: DateTime<Utc>,
    /// What the permit is being checked for.
    pub purpose: Use,
    /// Oldest acceptable status information, in seconds.
    pub max_status_age: i64,
}

/// One line of the checklist.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum CheckId {
    /// The presentation is signed by its holder's key, for authentication.
    HolderProof,
    /// The presentation answers this verifier's challenge and domain.
    ChallengeDomain,
    /// The credential's subject is the presenting holder.
    HolderBinding,
    /// The credential's proof verifies with a key of its issuer, for assertion.
    IssuerSignature,
    /// The issuer was accredited as Management Authority of the permit's Party when it issued.
    IssuerAccredited,
    /// The signing key was valid for the issuer at issuance.
    KeyValidAtIssuance,
    /// The credential's digest is in the issuer's log under a checkpoint the witness policy
    /// trusts, and the log's commitment matches the permit.
    Anchored,
    /// Not revoked or suspended; not cancelled or replaced.
    Status,
    /// Within validFrom/validUntil.
    Validity,
    /// Not used up (single-use permits) for the intended use.
    Usage,
    /// Endorsed at export where the importing check needs it.
    ExportEndorsement,
    /// The permit obeys the rules of the standard form.
    PermitRules,
    /// The status information is recent enough.
    Freshness,
}

/// Pass, fail, or not applicable.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// The check passed.
    Pass,
    /// The check failed: the verdict is "not valid".
    Fail,
    /// The check does not apply here.
    NotApplicable,
}

/// One line of the checklist.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Check {
    /// Which check.
    pub check: CheckId,
    /// Its outcome.
    pub outcome: Outcome,
    /// Why, in words a customs officer can act on.
    pub reason: String,
}

/// The verdict on one credential.
#[derive(Debug, Clone, Serialize)]
pub struct Verdict {
    /// True only if no check failed.
    pub valid: bool,
    /// The permit's key, when the credential could be read.
    pub permit: Option<PermitKey>,
    /// The checklist, in a fixed order.
    pub checks: Vec<Check>,
    /// The permit as the credential states it, when it could be read (trust it only if
    /// `valid`): what a verifier looks at next (the risk flags) without reading the
    /// credential again.
    #[serde(skip)]
    pub stated: Option<Box<Permit>>,
}

impl Verdict {
    /// The verdict of a finished checklist: valid only if no check failed.
    fn new(checks: Vec<Check>, stated: Option<Box<Permit>>) -> Verdict {
        Verdict {
            valid: !checks.iter().any(|c| c.outcome == Outcome::Fail),
            permit: stated.as_ref().map(|p| p.key()),
            checks,
            stated,
        }
    }

    /// The outcome of one check.
    pub fn outcome(&self, id: CheckId) -> Option<Outcome> {
        self.checks
            .iter()
            .find(|c| c.check == id)
            .map(|c| c.outcome)
    }
}

/// Where a credential is anchored, as the trust source established it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Anchor {
    /// When the issuer's log recorded the issuance.
    pub issued_at: DateTime<Utc>,
    /// The commitment to the permit recorded with it.
    pub commitment: Digest,
    /// The issuer's log.
    pub origin: String,
    /// The issuance entry's index in it.
    pub index: u64,
    /// How the inclusion and checkpoint were established, for the checklist.
    pub evidence: String,
}

/// What the pipeline needs to know beyond the credential itself.
pub trait Trust {
    /// The key of `method` if it is an `assertionMethod` of `issuer` valid at `at`. `anchor`,
    /// when known, is where the issuance sits in the issuer's log: a key rotated in the same
    /// second is then told apart by position (before or after the rotation entry), which the
    /// whole-second time alone cannot do.
    fn issuer_key(
        &self,
        issuer: &str,
        method: &str,
        at: DateTime<Utc>,
        anchor: Option<&Anchor>,
    ) -> Result<PublicKey, String>;
    /// Ok if `issuer` was accredited as Management Authority of `party` at `at`.
    fn accredited(&self, issuer: &str, party: Country, at: DateTime<Utc>) -> Result<(), String>;
    /// Where the issuance of `permit` with this credential digest is anchored.
    fn anchor(&self, permit: &PermitKey, credential: &Digest) -> Result<Anchor, String>;
    /// The permit's lifecycle as replayed from the issuer's log, and as of when.
    fn lifecycle(&self, permit: &PermitKey) -> Result<(Lifecycle, DateTime<Utc>), String>;
    /// The status bit of an entry, and as of when.
    fn status_bit(&self, entry: &StatusEntry) -> Result<(bool, DateTime<Utc>), String>;
}

struct List(Vec<Check>);

impl List {
    fn push(&mut self, check: CheckId, outcome: Outcome, reason: impl Into<String>) {
        self.0.push(Check {
            check,
            outcome,
            reason: reason.into(),
        });
    }
    fn pass(&mut self, check: CheckId, reason: impl Into<String>) {
        self.push(check, Outcome::Pass, reason);
    }
    fn fail(&mut self, check: CheckId, reason: impl Into<String>) {
        self.push(check, Outcome::Fail, reason);
    }
    fn na(&mut self, check: CheckId, reason: impl Into<String>) {
        self.push(check, Outcome::NotApplicable, reason);
    }
    fn result(&mut self, check: CheckId, r: Result<String, String>) {
        match r {
            Ok(why) => self.pass(check, why),
            Err(why) => self.fail(check, why),
        }
    }
}

/// The holder key of a did:key holder, and the one verification method it may sign with.
fn did_key_holder(holder: &str) -> Result<(PublicKey, String), String> {
    let multikey = holder
        .strip_prefix("did:key:")
        .ok_or_else(|| format!("holder {holder} is not a did:key"))?;
    let key = PublicKey::from_multikey(multikey).map_err(|e| format!("holder {holder}: {e}"))?;
    Ok((key, format!("{holder}#{multikey}")))
}

/// Verifies a presentation: the holder's proof, then every credential inside on its own. One
/// verdict per credential; the presentation-level checks appear in each.
pub fn verify_presentation(
    vp: &Secured,
    trust: &impl Trust,
    expect: &Expectations,
) -> Vec<Verdict> {
    verify_read_presentation(vp, vp.unverified_document().ok().as_ref(), trust, expect)
}

/// As [`verify_presentation`], for a caller that has read the presentation's document already
/// (`Secured::unverified_document`, `None` when it could not be read): decoding it is a good
/// part of a check.
pub fn verify_read_presentation(
    vp: &Secured,
    document: Option<&serde_json::Value>,
    trust: &impl Trust,
    expect: &Expectations,
) -> Vec<Verdict> {
    let mut head = List(Vec::new());
    let contents = document.map(presentation::contents);
    let (holder, credentials) = match contents {
        Some(Ok((holder, credentials))) => (Some(holder), credentials),
        Some(Err(e)) => {
            head.fail(CheckId::HolderProof, e.to_string());
            (None, Vec::new())
        }
        None => {
            head.fail(CheckId::HolderProof, "the presentation cannot be read");
            (None, Vec::new())
        }
    };
    if let Some(holder) = &holder {
        let proven = did_key_holder(holder).and_then(|(key, method)| {
            let proven = vp
                .check(&key, true)
                .map_err(|e| format!("holder proof: {e}"))?;
            if proven.method != method {
                return Err(format!(
                    "signed with {}, which is not the holder's key {method}",
                    proven.method
                ));
            }
            if proven.purpose != "authentication" {
                return Err(format!(
                    "proof purpose {} (expected authentication)",
                    proven.purpose
                ));
            }
            Ok(proven)
        });
        match proven {
            Ok(p) => {
                head.pass(
                    CheckId::HolderProof,
                    format!("signed by the holder {holder}"),
                );
                let challenge_ok = expect.challenge.is_some() && p.challenge == expect.challenge;
                let domain_ok = expect.domain.is_some() && p.domain == expect.domain;
                if challenge_ok && domain_ok {
                    head.pass(
                        CheckId::ChallengeDomain,
                        "answers this verifier's challenge and domain",
                    );
                } else if !challenge_ok {
                    head.fail(
                        CheckId::ChallengeDomain,
                        format!(
                            "challenge {:?} is not the one issued ({:?}): possible replay",
                            p.challenge, expect.challenge
                        ),
                    );
                } else {
                    head.fail(
                        CheckId::ChallengeDomain,
                        format!(
                            "domain {:?} is not this verifier's ({:?})",
                            p.domain, expect.domain
                        ),
                    );
                }
            }
            Err(why) => {
                head.fail(CheckId::HolderProof, why);
                head.fail(
                    CheckId::ChallengeDomain,
                    "not checked: the holder proof is invalid",
                );
            }
        }
    }
    if credentials.is_empty() {
        return vec![Verdict {
            valid: false,
            permit: None,
            checks: head.0,
            stated: None,
        }];
    }
    credentials
        .iter()
        .map(|c| {
            let mut list = List(head.0.clone());
            let stated = verify_into(c, holder.as_deref(), trust, expect, &mut list);
            Verdict::new(list.0, stated)
        })
        .collect()
}

/// Verifies a bare credential (no holder proof: the holder checks are "not applicable").
pub fn verify_credential(vc: &Secured, trust: &impl Trust, expect: &Expectations) -> Verdict {
    let mut list = List(Vec::new());
    list.na(
        CheckId::HolderProof,
        "a bare credential, not a presentation",
    );
    list.na(
        CheckId::ChallengeDomain,
        "a bare credential, not a presentation",
    );
    let stated = verify_into(vc, None, trust, expect, &mut list);
    Verdict::new(list.0, stated)
}

fn verify_into(
    vc: &Secured,
    holder: Option<&str>,
    trust: &impl Trust,
    expect: &Expectations,
    list: &mut List,
) -> Option<Box<Permit>> {
    let (document, method) = vc.unverified_parts();
    let claims = match document
        .map_err(|e| e.to_string())
        .and_then(|d| credential::read(&d).map_err(|e| e.to_string()))
    {
        Ok(c) => c,
        Err(why) => {
            for id in [
                CheckId::HolderBinding,
                CheckId::IssuerSignature,
                CheckId::IssuerAccredited,
                CheckId::KeyValidAtIssuance,
                CheckId::Anchored,
                CheckId::Status,
                CheckId::Validity,
                CheckId::Usage,
                CheckId::ExportEndorsement,
                CheckId::PermitRules,
                CheckId::Freshness,
            ] {
                list.fail(id, format!("the credential cannot be read: {why}"));
            }
            return None;
        }
    };
    let PermitClaims {
        permit,
        issuer,
        holder: subject,
        salt,
        status,
    } = &claims;
    let key = permit.key();

    match holder {
        Some(h) if h == subject => {
            list.pass(CheckId::HolderBinding, "issued to the presenting holder")
        }
        Some(h) => list.fail(
            CheckId::HolderBinding,
            format!("issued to {subject}, presented by {h}"),
        ),
        None => list.na(CheckId::HolderBinding, "no presentation"),
    }

    // Anchoring first: the log tells when the credential was issued, which decides which
    // keys and accreditation apply.
    let digest = Digest(vc.digest());
    let anchor = trust.anchor(&key, &digest);
    let issued_at = anchor.as_ref().ok().map(|a| a.issued_at);
    let at = issued_at.unwrap_or(expect.now);

    let method = method.map_err(|e| e.to_string());
    let issuer_key = method.clone().and_then(|m| {
        let key = trust.issuer_key(issuer, &m, at, anchor.as_ref().ok())?;
        Ok((m, key))
    });
    let signature = method.and_then(|m| {
        if !m.starts_with(&format!("{issuer}#")) {
            return Err(format!(
                "signed with {m}, which is not a key of the issuer {issuer}"
            ));
        }
        let (_, key) = issuer_key.as_ref().map_err(Clone::clone)?;
        let proven = vc.check(key, false).map_err(|e| e.to_string())?;
        if proven.purpose != "assertionMethod" {
            return Err(format!(
                "proof purpose {} (expected assertionMethod)",
                proven.purpose
            ));
        }
        Ok(format!("signed by {issuer} with {m}"))
    });
    let key_valid = issuer_key.map(|(m, _)| format!("{m} was valid on {at}"));
    list.result(CheckId::IssuerSignature, signature);
    list.result(
        CheckId::IssuerAccredited,
        trust
            .accredited(issuer, permit.authority.country, at)
            .map(|()| {
                format!(
                    "{issuer} was accredited for {} on {at}",
                    permit.authority.country
                )
            }),
    );
    list.result(CheckId::KeyValidAtIssuance, key_valid);

    list.result(
        CheckId::Anchored,
        anchor.and_then(|a| {
            let salt = base64_salt(salt)?;
            let commitment = contracts::entry::commit(permit, &salt).map_err(|e| e.to_string())?;
            if commitment != a.commitment {
                return Err("the permit in the credential does not match the issuer's log".into());
            }
            Ok(a.evidence)
        }),
    );

    check_status(list, trust, expect, &key, status);
    check_validity(list, permit, expect.now);
    check_lifecycle_use(list, trust, expect, permit);

    let rules = validate(
        permit,
        &ValidationContext {
            today: issued_at
                .map(|t| t.date_naive())
                .unwrap_or(permit.issued.date),
        },
    );
    if rules.is_empty() {
        list.pass(
            CheckId::PermitRules,
            "species, appendix, source, quantities and dates obey the standard form",
        );
    } else {
        let text: Vec<String> = rules.iter().map(ToString::to_string).collect();
        list.fail(CheckId::PermitRules, text.join("; "));
    }
    Some(Box::new(claims.permit))
}

fn base64_salt(salt: &str) -> Result<[u8; 32], String> {
    use base64::Engine as _;
    base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(salt)
        .ok()
        .and_then(|b| b.try_into().ok())
        .ok_or_else(|| "the credential's commitment salt is malformed".to_owned())
}

fn check_status(
    list: &mut List,
    trust: &impl Trust,
    expect: &Expectations,
    key: &PermitKey,
    entries: &[StatusEntry],
) {
    let mut oldest: Option<DateTime<Utc>> = None;
    let mut problems = Vec::new();
    for e in entries {
        match trust.status_bit(e) {
            Ok((set, as_of)) => {
                oldest = Some(oldest.map_or(as_of, |o| o.min(as_of)));
                if set {
                    problems.push(match e.purpose {
                        StatusPurpose::Revocation => "revoked".to_owned(),
                        StatusPurpose::Suspension => "suspended".to_owned(),
                    });
                }
            }
            Err(why) => problems.push(format!("{} status unknown: {why}", e.purpose.as_str())),
        }
    }
    match trust.lifecycle(key) {
        Ok((l, as_of)) => {
            oldest = Some(oldest.map_or(as_of, |o| o.min(as_of)));
            match l.status_on(expect.now.date_naive()) {
                Status::Cancelled => {
                    problems.push("cancelled by the issuing Management Authority".into())
                }
                Status::Replaced => problems.push(format!(
                    "replaced by {}",
                    l.replaced_by
                        .as_ref()
                        .map(ToString::to_string)
                        .unwrap_or_default()
                )),
                Status::Suspended => problems.push("suspended".into()),
                _ => {}
            }
        }
        Err(why) => problems.push(format!("permit history unknown: {why}")),
    }
    if entries.is_empty() {
        problems.push("the credential has no status entry".into());
    }
    if problems.is_empty() {
        list.pass(
            CheckId::Status,
            "not revoked, suspended, cancelled or replaced",
        );
    } else {
        problems.dedup();
        list.fail(CheckId::Status, problems.join("; "));
    }
    match oldest {
        Some(t) if (expect.now - t).num_seconds() <= expect.max_status_age => {
            list.pass(CheckId::Freshness, format!("status as of {t}"))
        }
        Some(t) => list.fail(
            CheckId::Freshness,
            format!(
                "status as of {t} is older than the policy allows ({} s); refresh it",
                expect.max_status_age
            ),
        ),
        None => list.fail(CheckId::Freshness, "no status information"),
    }
}

fn check_validity(list: &mut List, permit: &Permit, now: DateTime<Utc>) {
    let today: NaiveDate = now.date_naive();
    if today < permit.first_valid_day() {
        list.fail(
            CheckId::Validity,
            format!("not valid before {}", permit.first_valid_day()),
        );
    } else if today > permit.valid_until {
        list.fail(
            CheckId::Validity,
            format!(
                "expired on {}; validity cannot be extended",
                permit.valid_until
            ),
        );
    } else {
        list.pass(
            CheckId::Validity,
            format!(
                "valid {} to {}",
                permit.first_valid_day(),
                permit.valid_until
            ),
        );
    }
}

fn check_lifecycle_use(
    list: &mut List,
    trust: &impl Trust,
    expect: &Expectations,
    permit: &Permit,
) {
    let Ok((l, _)) = trust.lifecycle(&permit.key()) else {
        list.fail(CheckId::Usage, "the permit's history is unknown");
        list.fail(
            CheckId::ExportEndorsement,
            "the permit's history is unknown",
        );
        return;
    };
    let multi = permit.document_type.is_multi_use();
    let confirmed = l.crossings.iter().filter(|c| c.imported.is_some()).count();
    match expect.purpose {
        Use::Inspect => list.na(CheckId::Usage, "inspection only"),
        Use::Export if !multi && !l.crossings.is_empty() => {
            list.fail(CheckId::Usage, "already endorsed for export: one consignment per permit")
        }
        Use::Import if !multi && confirmed > 0 => {
            list.fail(CheckId::Usage, "already confirmed at import: the permit was used")
        }
        Use::Import if multi && l.crossings.last().is_some_and(|c| c.imported.is_some()) => {
            list.fail(CheckId::Usage, "the last crossing is already confirmed; a new crossing needs an export endorsement")
        }
        _ => list.pass(CheckId::Usage, if multi { "multi-use certificate: crossing available" } else { "not used yet" }),
    }
    let needs_endorsement =
        expect.purpose == Use::Import && permit.document_type.issued_by_exporting_party();
    if !needs_endorsement {
        list.na(
            CheckId::ExportEndorsement,
            "not an import check of an export document",
        );
    } else if l.crossings.last().is_some_and(|c| c.exported_on.is_some()) {
        list.pass(
            CheckId::ExportEndorsement,
            "endorsed at export by the exporting Party's customs",
        );
    } else {
        list.fail(
            CheckId::ExportEndorsement,
            "not endorsed at export; consult the exporting Management Authority before accepting",
        );
    }
}
