//! Server-rendered pages. Small, no JavaScript, readable on a slow link; maud escapes every
//! value it renders.

use contracts::Problem;
use maud::{DOCTYPE, Markup, html};

use crate::anchor::LogStatus;
use crate::config::{Config, Role};

/// An example the permit form starts with, so a first-time user sees what a permit looks like.
const EXAMPLE_PERMIT: &str =
    include_str!("../../contracts/tests/fixtures/valid/export_permit.json");

/// The network as this node sees it (with a genesis).
pub struct NetworkView {
    /// The network's name.
    pub network: String,
    /// This node's DID.
    pub did: String,
    /// This node's accreditation, in words.
    pub standing: String,
    /// Accredited authorities: (Party, role, DID).
    pub authorities: Vec<(String, String, String)>,
    /// Replicated logs: (origin, entries held).
    pub replicas: Vec<(String, u64)>,
}

/// What checking a pasted permit gave.
pub enum Checked {
    /// It parsed; the problems (maybe none).
    Problems(Vec<Problem>),
    /// It is not a permit.
    NotAPermit(String),
}

pub(crate) const STYLE: &str = "body{font-family:system-ui,sans-serif;max-width:60rem;margin:1rem auto;padding:0 1rem;color:#1a1a1a;line-height:1.45}\
h1{font-size:1.5rem}h2{font-size:1.2rem;margin-top:2rem}pre{background:#f3f3f3;padding:.6rem;overflow-x:auto;font-size:.85rem}\
table{border-collapse:collapse}td,th{text-align:left;padding:.2rem .8rem .2rem 0;vertical-align:top}\
textarea{width:100%;font-family:monospace;font-size:.8rem}.ok{color:#0a5d00;font-weight:bold}.bad{color:#a00000;font-weight:bold}\
button{font-size:1rem;padding:.3rem 1rem}\
header{display:flex;flex-wrap:wrap;justify-content:space-between;gap:.5rem;border-bottom:1px solid #ccc;padding-bottom:.5rem}\
header nav a{margin-right:.8rem}.tools form{display:inline-block;margin-left:.8rem}\
a{color:#0b4f8a}a:focus,button:focus,input:focus,select:focus,textarea:focus{outline:3px solid #f5a623;outline-offset:1px}\
.skip{position:absolute;left:-999px}.skip:focus{left:1rem;top:.5rem;background:#fff;padding:.3rem}\
.visually-hidden{position:absolute;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0)}\
fieldset{border:1px solid #bbb;margin:1rem 0;padding:.4rem .8rem}legend{font-weight:bold}\
input,select{font-size:1rem;padding:.2rem;max-width:100%}input:not([type]),input[type=text],input[type=email],input[type=password]{width:26rem}.field-errors,.field-errors span{display:block;color:#a00000;margin:.2rem 0}\
a.button{display:inline-block;border:1px solid #0b4f8a;padding:.25rem .9rem;text-decoration:none}\
form.inline{display:inline-block;margin:0 .5rem .5rem 0}.pass{color:#0a5d00}.fail{color:#a00000}\
tr.fail td{background:#fde8e8}.qr svg{width:240px;height:240px}.wrap{word-break:break-all}\
@media print{header,.noprint,.skip{display:none}}";

/// The node's home page: who it is, its log, and a permit checker.
pub fn home(
    config: &Config,
    log: &LogStatus,
    verifier_key: &str,
    network: Option<&NetworkView>,
    checked: Option<(&str, &Checked)>,
) -> Markup {
    let role = match config.role {
        Role::Secretariat => "CITES Secretariat",
        Role::ManagementAuthority => "Management Authority",
    };
    let pasted = checked.map(|(text, _)| text).unwrap_or(EXAMPLE_PERMIT);
    html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (config.name) " — CITES node" }
                style { (STYLE) }
            }
            body {
                main {
                    h1 { (config.name) }
                    p { a href="/portal" { "Open the portal" } " (applicants, officers, customs, auditors; English, français, español)" }
                    p { (role) " · Party " (config.party) " (" (config.party.name()) ")" }
                    h2 { "Anchor log" }
                    table {
                        tr { th { "Origin" } td { code { (config.log_origin) } } }
                        tr { th { "Entries" } td { (log.size) } }
                        tr { th { "Root hash" } td { code { (log.root_hex) } } }
                        tr { th { "Verifier key" } td { code { (verifier_key) } } }
                    }
                    @if let Some(note) = &log.checkpoint {
                        p { "Latest signed checkpoint (C2SP tlog-checkpoint):" }
                        pre { (note) }
                    } @else {
                        p { "No checkpoint published yet." }
                    }
                    p {
                        "Read-only, in the C2SP tlog-tiles layout: "
                        a href="/checkpoint" { "/checkpoint" } ", "
                        a href="/log/key" { "/log/key" } ", "
                        code { "/tile/<L>/<N>" } ", " code { "/tile/entries/<N>" } "."
                    }
                    @if let Some(n) = network {
                        h2 { "Network " (n.network) }
                        table {
                            tr { th { "This node" } td { code { (n.did) } } }
                            tr { th { "Standing" } td { (n.standing) } }
                        }
                        p { "Accredited authorities (" a href="/trust-list" { "signed trust list" } " on the Secretariat's node):" }
                        table {
                            tr { th { "Party" } th { "Role" } th { "DID" } }
                            @for (party, role, did) in &n.authorities {
                                tr {
                                    td { (party) }
                                    td { (role) }
                                    td { a href={ "/1.0/identifiers/" (did) } { code { (did) } } }
                                }
                            }
                        }
                        p { "Replicas of other logs, verified entry by entry:" }
                        table {
                            tr { th { "Log" } th { "Entries" } }
                            @for (origin, size) in &n.replicas {
                                tr { td { code { (origin) } } td { (size) } }
                            }
                        }
                    }
                    h2 { "Check a permit" }
                    @if let Some((_, outcome)) = checked {
                        (outcome_markup(outcome))
                    }
                    form method="post" action="/validate" {
                        label for="permit" { "Permit in canonical JSON (every box of the standard form):" }
                        textarea id="permit" name="permit" rows="18" { (pasted) }
                        p { button type="submit" { "Check against the rules" } }
                    }
                }
            }
        }
    }
}

fn outcome_markup(outcome: &Checked) -> Markup {
    html! {
        section aria-live="polite" {
            @match outcome {
                Checked::NotAPermit(message) => {
                    p class="bad" { "This is not a permit: " (message) }
                }
                Checked::Problems(problems) if problems.is_empty() => {
                    p class="ok" { "Valid: no rule of the standard form is broken." }
                }
                Checked::Problems(problems) => {
                    p class="bad" { (problems.len()) " problem(s):" }
                    table {
                        tr { th { "Box" } th { "Block" } th { "Problem" } th { "Rule" } }
                        @for p in problems {
                            tr {
                                td { (p.form_box) }
                                td { (p.block.as_deref().unwrap_or("")) }
                                td { (p.message) }
                                td { code { (p.rule) } }
                            }
                        }
                    }
                }
            }
        }
    }
}
