//! A permit application on its way to issuance, as a state machine.
//!
//! ```text
//!          submit            request advice            advise
//!  Draft ─────────▶ Submitted ──────────────▶ AwaitingAdvice ──────▶ Advised
//!    │ amend           │  │ approve (no advice needed)                │ approve (favourable)
//!    ▼                 │  ▼                                           ▼
//!  Draft               │ Approved ◀───────────────────────────────────┘
//!                      │  │ issue (fee paid)
//!                      │  ▼
//!                      │ Issued          Refused / Withdrawn: from any open stage
//! ```
//!
//! The rules a Management Authority must keep are here, not in the node: the Scientific
//! Authority advises before an export of Appendix I or II specimens, an Appendix I import and an
//! introduction from the sea (Art. III.2(a), III.3(a), III.5(a), IV.2(a), IV.6(a)); an
//! unfavourable finding can only lead to refusal; nothing is issued before the fee is paid; each
//! step is taken by the actor whose turn it is. A refused action changes nothing.

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use crate::codes::Appendix;
use crate::permit::{
    DocumentReference, DocumentType, Issuance, ManagementAuthority, Permit, PermitKey,
    SpecialCondition, SpeciesBlock, TradeParty,
};
use crate::{Country, Purpose};

/// What the applicant asks for: every box the applicant fills. The MA adds the number, box 6
/// and box 13 when it issues.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Request {
    /// Box 1: document type.
    pub document_type: DocumentType,
    /// Box 2: first day of validity asked for (default: the date of issue).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub valid_from: Option<NaiveDate>,
    /// Box 2: last day asked for (default: the longest validity the document type allows).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub valid_until: Option<NaiveDate>,
    /// Box 3, 3a.
    pub importer: TradeParty,
    /// Box 4.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exporter: Option<TradeParty>,
    /// Box 5.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub special_conditions: Vec<SpecialCondition>,
    /// Box 5: the import permit an Appendix-I export relies on.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub import_permit: Option<DocumentReference>,
    /// Box 5a.
    pub purpose: Purpose,
    /// Boxes 7-12b.
    pub blocks: Vec<SpeciesBlock>,
    /// Whether blocks beyond the fourth go on an annex.
    #[serde(default)]
    pub annex: bool,
}

impl From<&Permit> for Request {
    /// The request a permit answers (to re-apply from an existing document, or in tests).
    fn from(p: &Permit) -> Request {
        Request {
            document_type: p.document_type,
            valid_from: p.valid_from,
            valid_until: Some(p.valid_until),
            importer: p.importer.clone(),
            exporter: p.exporter.clone(),
            special_conditions: p.special_conditions.clone(),
            import_permit: p.import_permit.clone(),
            purpose: p.purpose,
            blocks: p.blocks.clone(),
            annex: p.annex,
        }
    }
}

impl Request {
    /// The permit this request becomes when the MA issues it as `number` on `issued.date`.
    pub fn to_permit(
        &self,
        number: String,
        authority: ManagementAuthority,
        issued: Issuance,
    ) -> Permit {
        let start = self.valid_from.unwrap_or(issued.date);
        let longest = start
            .checked_add_months(self.document_type.max_validity())
            .and_then(|d| d.pred_opt())
            .unwrap_or(start);
        Permit {
            document_type: self.document_type,
            number,
            copy: false,
            valid_from: self.valid_from,
            valid_until: self.valid_until.unwrap_or(longest),
            importer: self.importer.clone(),
            exporter: self.exporter.clone(),
            special_conditions: self.special_conditions.clone(),
            import_permit: self.import_permit.clone(),
            purpose: self.purpose,
            security_stamp: None,
            authority,
            blocks: self.blocks.clone(),
            annex: self.annex,
            issued,
            export_endorsements: Vec::new(),
        }
    }

    /// Whether the Scientific Authority must advise (a non-detriment finding) before the MA
    /// may approve.
    pub fn needs_scientific_advice(&self) -> bool {
        let listed = |accept: &[Appendix]| self.blocks.iter().any(|b| accept.contains(&b.appendix));
        match self.document_type {
            DocumentType::ExportPermit | DocumentType::IntroductionFromTheSea => {
                listed(&[Appendix::I, Appendix::II])
            }
            DocumentType::ImportPermit => listed(&[Appendix::I]),
            _ => false,
        }
    }

    /// The Party the specimens go to (box 3a).
    pub fn destination(&self) -> Country {
        self.importer.country
    }
}

/// Who acts in the workflow. The node maps its users' roles onto these.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Actor {
    /// The trader who applies.
    Applicant,
    /// An officer of the Management Authority.
    ManagementAuthority,
    /// An officer of the Scientific Authority.
    ScientificAuthority,
}

impl std::fmt::Display for Actor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Actor::Applicant => "the applicant",
            Actor::ManagementAuthority => "the Management Authority",
            Actor::ScientificAuthority => "the Scientific Authority",
        })
    }
}

/// Where an application stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Stage {
    /// Being written by the applicant.
    Draft,
    /// Waiting for the MA.
    Submitted,
    /// The MA asked the SA for a non-detriment finding.
    AwaitingAdvice,
    /// The SA advised; back with the MA.
    Advised,
    /// Approved; issued once the fee is paid.
    Approved,
    /// The permit was issued.
    Issued,
    /// The MA refused, with reasons.
    Refused,
    /// The applicant withdrew it.
    Withdrawn,
}

impl Stage {
    /// Every stage.
    pub const ALL: [Stage; 8] = [
        Stage::Draft,
        Stage::Submitted,
        Stage::AwaitingAdvice,
        Stage::Advised,
        Stage::Approved,
        Stage::Issued,
        Stage::Refused,
        Stage::Withdrawn,
    ];

    /// Whether nothing can follow.
    pub fn is_final(self) -> bool {
        matches!(self, Stage::Issued | Stage::Refused | Stage::Withdrawn)
    }

    /// Whose turn it is.
    pub fn waiting_for(self) -> Option<Actor> {
        match self {
            Stage::Draft => Some(Actor::Applicant),
            Stage::Submitted | Stage::Advised | Stage::Approved => Some(Actor::ManagementAuthority),
            Stage::AwaitingAdvice => Some(Actor::ScientificAuthority),
            Stage::Issued | Stage::Refused | Stage::Withdrawn => None,
        }
    }

    /// The stage's name in JSON and messages.
    pub fn as_str(self) -> &'static str {
        match self {
            Stage::Draft => "draft",
            Stage::Submitted => "submitted",
            Stage::AwaitingAdvice => "awaiting_advice",
            Stage::Advised => "advised",
            Stage::Approved => "approved",
            Stage::Issued => "issued",
            Stage::Refused => "refused",
            Stage::Withdrawn => "withdrawn",
        }
    }
}

impl std::fmt::Display for Stage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for Stage {
    type Err = String;
    fn from_str(s: &str) -> Result<Stage, String> {
        Stage::ALL
            .into_iter()
            .find(|st| st.as_str() == s)
            .ok_or_else(|| format!("unknown stage {s:?}"))
    }
}

/// An amount of money in the currency's minor unit (cents, pesewas), with its ISO 4217 code.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Money {
    /// Amount in minor units.
    pub amount: u64,
    /// ISO 4217 code, e.g. `GHS`.
    pub currency: String,
}

impl std::fmt::Display for Money {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{}.{:02} {}",
            self.amount / 100,
            self.amount % 100,
            self.currency
        )
    }
}

/// The Scientific Authority's finding.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Advice {
    /// Whether the trade will not be detrimental to the survival of the species.
    pub favourable: bool,
    /// The finding, in words.
    pub finding: String,
    /// The advising officer.
    pub by: String,
    /// When.
    pub at: DateTime<Utc>,
}

/// A payment recorded by the MA (no card processing: the MA records what it received).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Payment {
    /// Receipt or bank reference.
    pub reference: String,
    /// Amount received.
    pub amount: Money,
    /// The officer who recorded it.
    pub recorded_by: String,
    /// When.
    pub at: DateTime<Utc>,
}

/// The MA's decision.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Decision {
    /// Approved or refused.
    pub approved: bool,
    /// The reasons (required for a refusal).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// The deciding officer.
    pub by: String,
    /// When.
    pub at: DateTime<Utc>,
}

/// Something done to an application.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "action", rename_all = "snake_case", deny_unknown_fields)]
pub enum Action {
    /// The applicant replaces the request while it is a draft.
    Amend {
        /// The new request.
        request: Box<Request>,
    },
    /// The applicant submits; the MA's fee for the document type is invoiced.
    Submit {
        /// The fee due, if any.
        invoice: Option<Money>,
    },
    /// The MA asks the SA for a non-detriment finding.
    RequestAdvice,
    /// The SA gives its finding.
    Advise {
        /// Not detrimental?
        favourable: bool,
        /// The finding in words.
        finding: String,
    },
    /// The MA approves.
    Approve,
    /// The MA refuses, with reasons.
    Refuse {
        /// Why.
        reason: String,
    },
    /// The MA records the payment of the invoice.
    RecordPayment {
        /// Receipt or bank reference.
        reference: String,
        /// Amount received.
        amount: Money,
    },
    /// The MA issued the permit.
    Issue {
        /// The permit issued.
        permit: PermitKey,
    },
    /// The applicant withdraws.
    Withdraw,
}

impl Action {
    /// Who may take it.
    pub fn actor(&self) -> Actor {
        match self {
            Action::Amend { .. } | Action::Submit { .. } | Action::Withdraw => Actor::Applicant,
            Action::Advise { .. } => Actor::ScientificAuthority,
            Action::RequestAdvice
            | Action::Approve
            | Action::Refuse { .. }
            | Action::RecordPayment { .. }
            | Action::Issue { .. } => Actor::ManagementAuthority,
        }
    }

    /// Its name in the history and messages.
    pub fn name(&self) -> &'static str {
        match self {
            Action::Amend { .. } => "amend",
            Action::Submit { .. } => "submit",
            Action::RequestAdvice => "request_advice",
            Action::Advise { .. } => "advise",
            Action::Approve => "approve",
            Action::Refuse { .. } => "refuse",
            Action::RecordPayment { .. } => "record_payment",
            Action::Issue { .. } => "issue",
            Action::Withdraw => "withdraw",
        }
    }

    /// The stages it may be taken in.
    fn allowed_in(&self) -> &'static [Stage] {
        use Stage::*;
        match self {
            Action::Amend { .. } | Action::Submit { .. } => &[Draft],
            Action::RequestAdvice => &[Submitted],
            Action::Advise { .. } => &[AwaitingAdvice],
            Action::Approve => &[Submitted, Advised],
            Action::Refuse { .. } => &[Submitted, AwaitingAdvice, Advised],
            Action::RecordPayment { .. } => &[Submitted, AwaitingAdvice, Advised, Approved],
            Action::Issue { .. } => &[Approved],
            Action::Withdraw => &[Draft, Submitted, AwaitingAdvice, Advised, Approved],
        }
    }
}

/// Why an action was refused. The application is unchanged.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WorkflowError {
    /// Not possible in the current stage.
    #[error("cannot {action} an application that is {stage}")]
    NotInStage {
        /// The action.
        action: &'static str,
        /// The stage.
        stage: Stage,
    },
    /// Somebody else's step.
    #[error("{action} is for {expected}, not {actor}")]
    WrongActor {
        /// The action.
        action: &'static str,
        /// Who tried.
        actor: Actor,
        /// Who may.
        expected: Actor,
    },
    /// Approval before the SA's finding.
    #[error(
        "this application needs the Scientific Authority's non-detriment finding before approval; request advice first"
    )]
    NeedsAdvice,
    /// Approval against an unfavourable finding.
    #[error(
        "the Scientific Authority found the trade detrimental; the application can only be refused"
    )]
    UnfavourableAdvice,
    /// Issuance before payment.
    #[error("the fee of {0} is not paid; record the payment before issuing")]
    NotPaid(Money),
    /// A second payment.
    #[error("the fee was already paid (reference {0})")]
    AlreadyPaid(String),
    /// A payment with nothing to pay.
    #[error("no fee is due on this application")]
    NothingDue,
    /// A payment of the wrong amount.
    #[error("the invoice is for {due}; {paid} was recorded")]
    WrongAmount {
        /// The invoice.
        due: Money,
        /// The payment.
        paid: Money,
    },
    /// A refusal or finding without words, or an empty payment reference.
    #[error("{0} must not be empty")]
    Empty(&'static str),
}

/// One step of the history.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Step {
    /// When.
    pub at: DateTime<Utc>,
    /// Who (user id).
    pub by: String,
    /// What ([`Action::name`]).
    pub action: String,
    /// The stage it led to.
    pub stage: Stage,
}

/// An application and everything decided on it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Application {
    /// The node's id for it.
    pub id: String,
    /// The applicant (user id).
    pub applicant: String,
    /// The DID the permit will be issued to (the applicant's wallet).
    pub holder: String,
    /// What is asked for.
    pub request: Request,
    /// Where it stands.
    pub stage: Stage,
    /// The SA's finding.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub advice: Option<Advice>,
    /// The fee invoiced on submission.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub invoice: Option<Money>,
    /// Its payment.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub payment: Option<Payment>,
    /// The MA's decision.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub decision: Option<Decision>,
    /// The permit issued.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub permit: Option<PermitKey>,
    /// Every step, in order.
    pub history: Vec<Step>,
}

impl Application {
    /// A new draft.
    pub fn new(
        id: String,
        applicant: String,
        holder: String,
        request: Request,
        at: DateTime<Utc>,
    ) -> Application {
        Application {
            history: vec![Step {
                at,
                by: applicant.clone(),
                action: "create".into(),
                stage: Stage::Draft,
            }],
            id,
            applicant,
            holder,
            request,
            stage: Stage::Draft,
            advice: None,
            invoice: None,
            payment: None,
            decision: None,
            permit: None,
        }
    }

    /// Whether the fee (if any) is paid.
    pub fn is_paid(&self) -> bool {
        match &self.invoice {
            None => true,
            Some(m) if m.amount == 0 => true,
            Some(_) => self.payment.is_some(),
        }
    }

    /// When it was first submitted.
    pub fn submitted_at(&self) -> Option<DateTime<Utc>> {
        self.history
            .iter()
            .find(|s| s.action == "submit")
            .map(|s| s.at)
    }

    /// Applies `action` by `by` acting as `actor`, or refuses it and changes nothing.
    pub fn apply(
        &mut self,
        actor: Actor,
        by: &str,
        at: DateTime<Utc>,
        action: Action,
    ) -> Result<(), WorkflowError> {
        let name = action.name();
        if action.actor() != actor {
            return Err(WorkflowError::WrongActor {
                action: name,
                actor,
                expected: action.actor(),
            });
        }
        if !action.allowed_in().contains(&self.stage) {
            return Err(WorkflowError::NotInStage {
                action: name,
                stage: self.stage,
            });
        }
        let mut next = self.clone();
        next.transition(by, at, action)?;
        next.history.push(Step {
            at,
            by: by.to_owned(),
            action: name.to_owned(),
            stage: next.stage,
        });
        *self = next;
        Ok(())
    }

    fn transition(
        &mut self,
        by: &str,
        at: DateTime<Utc>,
        action: Action,
    ) -> Result<(), WorkflowError> {
        let non_empty = |text: &str, what| {
            if text.trim().is_empty() {
                Err(WorkflowError::Empty(what))
            } else {
                Ok(())
            }
        };
        match action {
            Action::Amend { request } => self.request = *request,
            Action::Submit { invoice } => {
                self.invoice = invoice;
                self.stage = Stage::Submitted;
            }
            Action::RequestAdvice => self.stage = Stage::AwaitingAdvice,
            Action::Advise {
                favourable,
                finding,
            } => {
                non_empty(&finding, "the finding")?;
                self.advice = Some(Advice {
                    favourable,
                    finding,
                    by: by.to_owned(),
                    at,
                });
                self.stage = Stage::Advised;
            }
            Action::Approve => {
                match &self.advice {
                    Some(a) if !a.favourable => return Err(WorkflowError::UnfavourableAdvice),
                    None if self.request.needs_scientific_advice() => {
                        return Err(WorkflowError::NeedsAdvice);
                    }
                    _ => {}
                }
                self.decision = Some(Decision {
                    approved: true,
                    reason: None,
                    by: by.to_owned(),
                    at,
                });
                self.stage = Stage::Approved;
            }
            Action::Refuse { reason } => {
                non_empty(&reason, "the reason for refusal")?;
                self.decision = Some(Decision {
                    approved: false,
                    reason: Some(reason),
                    by: by.to_owned(),
                    at,
                });
                self.stage = Stage::Refused;
            }
            Action::RecordPayment { reference, amount } => {
                non_empty(&reference, "the payment reference")?;
                if let Some(p) = &self.payment {
                    return Err(WorkflowError::AlreadyPaid(p.reference.clone()));
                }
                let due = match &self.invoice {
                    Some(due) if due.amount > 0 => due.clone(),
                    _ => return Err(WorkflowError::NothingDue),
                };
                if due != amount {
                    return Err(WorkflowError::WrongAmount { due, paid: amount });
                }
                self.payment = Some(Payment {
                    reference,
                    amount,
                    recorded_by: by.to_owned(),
                    at,
                });
            }
            Action::Issue { permit } => {
                if !self.is_paid()
                    && let Some(due) = &self.invoice
                {
                    return Err(WorkflowError::NotPaid(due.clone()));
                }
                self.permit = Some(permit);
                self.stage = Stage::Issued;
            }
            Action::Withdraw => self.stage = Stage::Withdrawn,
        }
        Ok(())
    }
}
