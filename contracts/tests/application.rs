//! The application workflow: each rule by example, and a property test showing that no sequence
//! of actions by anyone issues a permit without approval, the SA's favourable finding where the
//! Convention needs one, and the fee paid.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::fixture;

use chrono::{DateTime, TimeZone, Utc};
use contracts::application::{Money, Request};
use contracts::{Action, Actor, Application, PermitKey, Stage, WorkflowError};
use proptest::prelude::*;

fn t(minute: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 12, 1, 9, minute, 0).unwrap()
}

fn fee() -> Money {
    Money {
        amount: 5000,
        currency: "GHS".into(),
    }
}

fn draft(name: &str) -> Application {
    Application::new(
        "A-1".into(),
        "applicant-1".into(),
        "did:key:z6Mk".into(),
        Request::from(&fixture(name)),
        t(0),
    )
}

fn key() -> PermitKey {
    PermitKey {
        party: "GH".parse().unwrap(),
        number: "GH2026000001".into(),
    }
}

use Actor::{Applicant, ManagementAuthority as Ma, ScientificAuthority as Sa};

#[test]
fn export_of_appendix_ii_goes_through_the_scientific_authority() {
    let mut a = draft("export_permit");
    assert!(a.request.needs_scientific_advice());
    a.apply(
        Applicant,
        "applicant-1",
        t(1),
        Action::Submit {
            invoice: Some(fee()),
        },
    )
    .unwrap();
    assert_eq!(a.stage.waiting_for(), Some(Ma));
    assert_eq!(
        a.apply(Ma, "ma-1", t(2), Action::Approve),
        Err(WorkflowError::NeedsAdvice)
    );
    a.apply(Ma, "ma-1", t(2), Action::RequestAdvice).unwrap();
    assert_eq!(a.stage, Stage::AwaitingAdvice);
    assert_eq!(a.stage.waiting_for(), Some(Sa));
    a.apply(
        Sa,
        "sa-1",
        t(3),
        Action::Advise {
            favourable: true,
            finding: "ranched stock, quota respected".into(),
        },
    )
    .unwrap();
    a.apply(Ma, "ma-1", t(4), Action::Approve).unwrap();
    assert_eq!(
        a.apply(Ma, "ma-1", t(5), Action::Issue { permit: key() }),
        Err(WorkflowError::NotPaid(fee()))
    );
    let wrong = Money {
        amount: 4000,
        currency: "GHS".into(),
    };
    assert!(matches!(
        a.apply(
            Ma,
            "ma-1",
            t(5),
            Action::RecordPayment {
                reference: "R-1".into(),
                amount: wrong
            }
        ),
        Err(WorkflowError::WrongAmount { .. })
    ));
    a.apply(
        Ma,
        "ma-1",
        t(5),
        Action::RecordPayment {
            reference: "R-1".into(),
            amount: fee(),
        },
    )
    .unwrap();
    a.apply(Ma, "ma-1", t(6), Action::Issue { permit: key() })
        .unwrap();
    assert_eq!(a.stage, Stage::Issued);
    assert_eq!(a.permit, Some(key()));
    let names: Vec<_> = a.history.iter().map(|s| s.action.as_str()).collect();
    assert_eq!(
        names,
        [
            "create",
            "submit",
            "request_advice",
            "advise",
            "approve",
            "record_payment",
            "issue"
        ]
    );
    assert_eq!(a.submitted_at(), Some(t(1)));
}

#[test]
fn unfavourable_advice_leads_only_to_refusal() {
    let mut a = draft("export_permit");
    a.apply(Applicant, "u", t(1), Action::Submit { invoice: None })
        .unwrap();
    a.apply(Ma, "m", t(2), Action::RequestAdvice).unwrap();
    a.apply(
        Sa,
        "s",
        t(3),
        Action::Advise {
            favourable: false,
            finding: "wild population in decline".into(),
        },
    )
    .unwrap();
    let before = a.clone();
    assert_eq!(
        a.apply(Ma, "m", t(4), Action::Approve),
        Err(WorkflowError::UnfavourableAdvice)
    );
    assert_eq!(a, before, "a refused action changes nothing");
    assert_eq!(
        a.apply(
            Ma,
            "m",
            t(4),
            Action::Refuse {
                reason: "  ".into()
            }
        ),
        Err(WorkflowError::Empty("the reason for refusal"))
    );
    a.apply(
        Ma,
        "m",
        t(4),
        Action::Refuse {
            reason: "SA finding: detrimental".into(),
        },
    )
    .unwrap();
    assert_eq!(a.stage, Stage::Refused);
    assert!(a.stage.is_final());
    assert!(matches!(
        a.apply(Applicant, "u", t(5), Action::Withdraw),
        Err(WorkflowError::NotInStage { .. })
    ));
}

#[test]
fn re_export_needs_no_finding_and_each_step_has_its_actor() {
    let mut a = draft("re_export_certificate");
    assert!(!a.request.needs_scientific_advice());
    assert!(matches!(
        a.apply(Ma, "m", t(1), Action::Submit { invoice: None }),
        Err(WorkflowError::WrongActor {
            expected: Applicant,
            ..
        })
    ));
    a.apply(Applicant, "u", t(1), Action::Submit { invoice: None })
        .unwrap();
    assert!(matches!(
        a.apply(Applicant, "u", t(2), Action::Approve),
        Err(WorkflowError::WrongActor { .. })
    ));
    assert!(matches!(
        a.apply(Sa, "s", t(2), Action::Approve),
        Err(WorkflowError::WrongActor { .. })
    ));
    a.apply(Ma, "m", t(2), Action::Approve).unwrap();
    assert_eq!(
        a.apply(
            Ma,
            "m",
            t(3),
            Action::RecordPayment {
                reference: "R".into(),
                amount: fee()
            }
        ),
        Err(WorkflowError::NothingDue)
    );
    a.apply(Ma, "m", t(3), Action::Issue { permit: key() })
        .unwrap();
}

#[test]
fn only_a_draft_can_be_amended() {
    let mut a = draft("export_permit");
    let mut other = a.request.clone();
    other.purpose = "Z".parse().unwrap();
    a.apply(
        Applicant,
        "u",
        t(1),
        Action::Amend {
            request: Box::new(other.clone()),
        },
    )
    .unwrap();
    assert_eq!(a.request, other);
    a.apply(Applicant, "u", t(2), Action::Submit { invoice: None })
        .unwrap();
    assert!(matches!(
        a.apply(
            Applicant,
            "u",
            t(3),
            Action::Amend {
                request: Box::new(other)
            }
        ),
        Err(WorkflowError::NotInStage {
            stage: Stage::Submitted,
            ..
        })
    ));
}

#[test]
fn a_request_becomes_the_permit_with_the_longest_validity_by_default() {
    let permit = fixture("export_permit");
    let mut request = Request::from(&permit);
    request.valid_until = None;
    let issued = contracts::permit::Issuance {
        place: "Accra".into(),
        date: "2026-12-01".parse().unwrap(),
        official: "officer-1".into(),
    };
    let p = request.to_permit("GH1".into(), permit.authority.clone(), issued);
    assert_eq!(p.valid_until, "2027-05-31".parse().unwrap());
    assert_eq!(p.number, "GH1");
    assert!(p.export_endorsements.is_empty());
}

fn action() -> impl Strategy<Value = (Actor, Action)> {
    let actor = prop_oneof![Just(Applicant), Just(Ma), Just(Sa)];
    let money = prop_oneof![
        Just(fee()),
        Just(Money {
            amount: 1,
            currency: "GHS".into()
        })
    ];
    let action = prop_oneof![
        Just(Action::Submit {
            invoice: Some(fee())
        }),
        Just(Action::Submit { invoice: None }),
        Just(Action::RequestAdvice),
        any::<bool>().prop_map(|favourable| Action::Advise {
            favourable,
            finding: "finding".into()
        }),
        Just(Action::Approve),
        Just(Action::Refuse {
            reason: "reason".into()
        }),
        money.prop_map(|amount| Action::RecordPayment {
            reference: "R".into(),
            amount
        }),
        Just(Action::Issue { permit: key() }),
        Just(Action::Withdraw),
    ];
    (actor, action)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    /// Whatever anyone tries, in any order: a refused action changes nothing, each accepted one
    /// was its actor's, and an issued application was approved, advised favourably where the
    /// Convention requires it, and paid.
    #[test]
    fn nothing_is_issued_without_approval_advice_and_payment(
        document in prop_oneof![Just("export_permit"), Just("re_export_certificate"), Just("import_permit")],
        actions in proptest::collection::vec(action(), 0..24),
    ) {
        let mut a = draft(document);
        for (i, (actor, act)) in actions.into_iter().enumerate() {
            let before = a.clone();
            let expected = act.actor();
            match a.apply(actor, "someone", t(i as u32 + 1), act) {
                Ok(()) => {
                    prop_assert_eq!(actor, expected);
                    prop_assert_eq!(a.history.len(), before.history.len() + 1);
                }
                Err(_) => prop_assert_eq!(&a, &before),
            }
            if before.stage.is_final() {
                prop_assert_eq!(&a, &before);
            }
        }
        if a.stage == Stage::Issued {
            prop_assert!(a.decision.as_ref().is_some_and(|d| d.approved));
            prop_assert!(a.is_paid());
            if a.request.needs_scientific_advice() {
                prop_assert!(a.advice.as_ref().is_some_and(|x| x.favourable));
            }
            prop_assert_eq!(a.permit.clone(), Some(key()));
        }
        if a.stage == Stage::Refused {
            prop_assert!(a.decision.as_ref().is_some_and(|d| !d.approved));
        }
    }
}
