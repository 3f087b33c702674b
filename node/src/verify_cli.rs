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
    /// A presentation, with the evidence bundles of its credentials when the wallet wrote a
    /// package (`{"verifiablePresentation", "evidence": [...]}`).
    Presentation(Secured, Vec<Bundle>),
}

fn read_input(path: &Path) -> anyhow::Result<Input> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
    if let Ok(bundle) = Bundle::from_json(text.as_bytes()) {
        return Ok(Input::Credential(bundle.credential));
    }
    if let Ok(package) = serde_json::from_str::<Value>(&text)
        && let Some(vp) = package.get("verifiablePresentation")
    {
        let vp: Secured = serde_json::from_value(vp.clone())
            .with_context(|| format!("{}: verifiablePresentation", path.display()))?;
        let mut bundles = Vec::new();
        for (i, b) in package["evidence"]
            .as_array()
            .into_iter()
            .flatten()
            .enumerate()
        {
            bundles.push(
                Bundle::from_json(&serde_json::to_vec(b)?)
                    .with_context(|| format!("{}: evidence[{i}]", path.display()))?,
            );
        }
        return Ok(Input::Presentation(vp, bundles));
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
        Ok(Input::Presentation(secured, Vec::new()))
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
        // The node checks against its own replica; evidence the wallet carried is for offline.
        Input::Presentation(p, _) => {
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
    // A 422 without a checklist is a refused request (an unknown or spent challenge), not a
    // verdict.
    if status != 200 && (status != 422 || answer.get("results").is_none()) {
        bail!(
            "{url} answered {status}: {}",
            answer["detail"].as_str().unwrap_or(&answer.to_string())
        );
    }
    print_results(&answer, out)?;
    Ok(answer["verified"] == true)
}

/// Verifies an evidence bundle, or a presentation with the evidence of its credential (what
/// `cites-wallet present` writes), with nothing but the pinned genesis: no node, no network.
/// A presentation is checked against the challenge and domain the officer gave.
pub fn run_offline(
    path: &Path,
    genesis: &Path,
    presented: Presented<'_>,
    out: &mut impl Write,
) -> anyhow::Result<bool> {
    let genesis_bytes =
        std::fs::read(genesis).with_context(|| format!("cannot read {}", genesis.display()))?;
    let genesis = did_registry::Genesis::from_json(&genesis_bytes)
        .with_context(|| format!("{} is not a genesis file", genesis.display()))?;
    let purpose = match presented.purpose {
        "inspect" => credentials::verify::Use::Inspect,
        "export" => credentials::verify::Use::Export,
        "import" => credentials::verify::Use::Import,
        other => bail!("--purpose {other:?}: use export, import or inspect"),
    };
    let mut expect = credentials::verify::Expectations {
        challenge: None,
        domain: None,
        now: chrono::Utc::now(),
        purpose,
        max_status_age: presented.max_status_age,
    };
    // A presentation package is checked as a presentation; anything else must be a bundle.
    let text = std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))?;
    let is_package = serde_json::from_slice::<Value>(&text)
        .is_ok_and(|v| v.get("verifiablePresentation").is_some());
    let input = if is_package {
        Some(read_input(path)?)
    } else {
        None
    };
    let verdicts = match input {
        Some(Input::Presentation(vp, mut bundles)) => {
            let (Some(challenge), Some(domain)) = (presented.challenge, presented.domain) else {
                bail!(
                    "offline, a presentation is checked against the challenge and domain you gave its holder: pass --challenge and --domain"
                );
            };
            if bundles.len() != 1 {
                bail!(
                    "{} carries {} evidence bundles; offline checks need the one of its permit (cites-wallet present writes it)",
                    path.display(),
                    bundles.len()
                );
            }
            expect.challenge = Some(challenge.to_owned());
            expect.domain = Some(domain.to_owned());
            let bundle = bundles.remove(0);
            let presented = vp
                .unverified_document()
                .ok()
                .and_then(|doc| credentials::presentation::contents(&doc).ok())
                .map(|(_, inner)| inner)
                .unwrap_or_default();
            let same = presented.len() == 1 && presented[0].digest() == bundle.credential.digest();
            if !same {
                bail!(
                    "the evidence in {} is not that of the credential presented",
                    path.display()
                );
            }
            let trust = crate::offline::OfflineTrust::new(genesis, bundle)?;
            credentials::verify::verify_presentation(&vp, &trust, &expect)
        }
        _ => {
            let bundle = Bundle::from_json(&text).with_context(|| {
                format!("{} is not an evidence bundle (offline checks need the bundle, not the bare credential)", path.display())
            })?;
            let credential = bundle.credential.clone();
            let trust = crate::offline::OfflineTrust::new(genesis, bundle)?;
            vec![credentials::verify::verify_credential(
                &credential,
                &trust,
                &expect,
            )]
        }
    };
    let valid = !verdicts.is_empty() && verdicts.iter().all(|v| v.valid);
    let answer = json!({ "verified": valid, "results": verdicts });
    print_results(&answer, out)?;
    Ok(valid)
}

/// What the officer expects of what is presented offline.
pub struct Presented<'a> {
    /// The challenge given to the holder.
    pub challenge: Option<&'a str>,
    /// The officer's domain.
    pub domain: Option<&'a str>,
    /// export, import or inspect.
    pub purpose: &'a str,
    /// Oldest status accepted, in seconds.
    pub max_status_age: i64,
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
