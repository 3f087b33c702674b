//! `cites-node verify FILE`: a credential, a presentation or an evidence bundle checked by a node
//! (this one or any other), with the checklist printed line by line. Exit code 0 only when valid.

use std::io::Write;
use std::path::Path;
use std::time::Duration;

use anyhow::{Context, bail};
use credentials::Secured;
use credentials::bundle::Bundle;
use serde_json::{Value, json};

/// What the file holds.
enum Input {
    Credential(Secured),
    Presentation(Secured),
}

fn read_input(path: &Path) -> anyhow::Result<Input> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
    if let Ok(bundle) = Bundle::from_json(text.as_bytes()) {
        return Ok(Input::Credential(bundle.credential));
    }
    let secured = Secured::parse(&text).with_context(|| {
        format!(
            "{} is not a credential, presentation or bundle",
            path.display()
        )
    })?;
    let doc = secured.unverified_document()?;
    let types = match &doc["type"] {
        Value::Array(a) => a.clone(),
        other => vec![other.clone()],
    };
    if types.iter().any(|t| t == "VerifiablePresentation") {
        Ok(Input::Presentation(secured))
    } else if types.iter().any(|t| t == "VerifiableCredential") {
        Ok(Input::Credential(secured))
    } else {
        bail!(
            "{} is neither a credential nor a presentation",
            path.display()
        )
    }
}

/// Sends the file to `node` for verification and prints the checklist; returns validity.
pub fn run(
    path: &Path,
    node: &str,
    challenge: Option<&str>,
    domain: Option<&str>,
    purpose: &str,
    out: &mut impl Write,
) -> anyhow::Result<bool> {
    let (endpoint, body) = match read_input(path)? {
        Input::Credential(c) => (
            "credentials/verify",
            json!({"verifiableCredential": c, "options": {"purpose": purpose}}),
        ),
        Input::Presentation(p) => {
            let challenge = challenge.context(
                "a presentation is verified against the challenge it answers: pass --challenge",
            )?;
            let mut options = json!({"challenge": challenge, "purpose": purpose});
            if let Some(d) = domain {
                options["domain"] = d.into();
            }
            (
                "presentations/verify",
                json!({"verifiablePresentation": p, "options": options}),
            )
        }
    };
    let agent = crate::client::agent(Duration::from_secs(30));
    let url = format!("{}/{endpoint}", node.trim_end_matches('/'));
    let mut response = agent
        .post(&url)
        .send_json(&body)
        .with_context(|| format!("cannot reach {url}"))?;
    let status = response.status().as_u16();
    let answer: Value = response
        .body_mut()
        .read_json()
        .with_context(|| format!("{url} did not answer JSON"))?;
    if status != 200 && status != 422 {
        bail!(
            "{url} answered {status}: {}",
            answer["detail"].as_str().unwrap_or(&answer.to_string())
        );
    }
    print_results(&answer, out)?;
    Ok(answer["verified"] == true)
}

/// Verifies an evidence bundle with nothing but the pinned genesis: no node, no network.
pub fn run_offline(
    path: &Path,
    genesis: &Path,
    purpose: &str,
    max_status_age: i64,
    out: &mut impl Write,
) -> anyhow::Result<bool> {
    let text = std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))?;
    let bundle = Bundle::from_json(&text).with_context(|| {
        format!("{} is not an evidence bundle (offline checks need the bundle, not the bare credential)", path.display())
    })?;
    let genesis_bytes =
        std::fs::read(genesis).with_context(|| format!("cannot read {}", genesis.display()))?;
    let genesis = did_registry::Genesis::from_json(&genesis_bytes)
        .with_context(|| format!("{} is not a genesis file", genesis.display()))?;
    let purpose = match purpose {
        "inspect" => credentials::verify::Use::Inspect,
        "export" => credentials::verify::Use::Export,
        "import" => credentials::verify::Use::Import,
        other => bail!("--purpose {other:?}: use export, import or inspect"),
    };
    let credential = bundle.credential.clone();
    let trust = crate::offline::OfflineTrust::new(genesis, bundle)?;
    let expect = credentials::verify::Expectations {
        challenge: None,
        domain: None,
        now: chrono::Utc::now(),
        purpose,
        max_status_age,
    };
    let verdict = credentials::verify::verify_credential(&credential, &trust, &expect);
    let answer = json!({ "verified": verdict.valid, "results": [verdict] });
    print_results(&answer, out)?;
    Ok(answer["verified"] == true)
}

fn print_results(answer: &Value, out: &mut impl Write) -> anyhow::Result<()> {
    for result in answer["results"].as_array().into_iter().flatten() {
        let permit = result["permit"].as_object().map(|p| {
            format!(
                "{}/{}",
                p["party"].as_str().unwrap_or("?"),
                p["number"].as_str().unwrap_or("?")
            )
        });
        writeln!(
            out,
            "permit {}: {}",
            permit.unwrap_or_else(|| "(unreadable)".into()),
            if result["valid"] == true {
                "VALID"
            } else {
                "NOT VALID"
            }
        )?;
        for check in result["checks"].as_array().into_iter().flatten() {
            let mark = match check["outcome"].as_str() {
                Some("pass") => "pass",
                Some("fail") => "FAIL",
                _ => "n/a ",
            };
            writeln!(
                out,
                "  [{mark}] {:<20} {}",
                check["check"].as_str().unwrap_or(""),
                check["reason"].as_str().unwrap_or("")
            )?;
        }
    }
    Ok(())
}
