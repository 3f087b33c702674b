//! Receiving a permit over OpenID4VCI 1.0 (pre-authorised code flow), and refreshing evidence
//! bundles from a node.

use std::time::Duration;

use anyhow::{Context, bail};
use credentials::Secured;
use credentials::jose::JoseSigner;
use credentials::keys::SecretKey;
use serde_json::{Value, json};

const PRE_AUTHORIZED: &str = "urn:ietf:params:oauth:grant-type:pre-authorized_code";

fn agent() -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(Duration::from_secs(30)))
        .build()
        .into()
}

/// The credential offer in an `openid-credential-offer://?credential_offer=...` link (or
/// `credential_offer_uri=`, fetched), or given as its JSON.
pub fn parse_offer(offer: &str) -> anyhow::Result<Value> {
    let offer = offer.trim();
    if offer.starts_with('{') {
        return serde_json::from_str(offer).context("the offer is not JSON");
    }
    let query = offer
        .split_once('?')
        .map(|(_, q)| q)
        .context("not a credential offer link (no ?credential_offer=)")?;
    for (k, v) in serde_urlencoded::from_str::<Vec<(String, String)>>(query)
        .context("the offer link's query does not parse")?
    {
        match k.as_str() {
            "credential_offer" => {
                return serde_json::from_str(&v).context("credential_offer is not JSON");
            }
            "credential_offer_uri" => {
                let mut r = agent()
                    .get(&v)
                    .call()
                    .with_context(|| format!("cannot fetch {v}"))?;
                return r
                    .body_mut()
                    .read_json()
                    .context("the offer fetched is not JSON");
            }
            _ => {}
        }
    }
    bail!("the link has neither credential_offer nor credential_offer_uri")
}

fn json_or_error(mut r: ureq::http::Response<ureq::Body>, what: &str) -> anyhow::Result<Value> {
    let status = r.status();
    let body: Value = r
        .body_mut()
        .read_json()
        .with_context(|| format!("{what}: the answer is not JSON ({status})"))?;
    if !status.is_success() {
        let error = body["error"].as_str().unwrap_or("error");
        let why = body["error_description"]
            .as_str()
            .or(body["detail"].as_str())
            .unwrap_or("");
        bail!("{what} refused ({status}): {error}: {why}");
    }
    Ok(body)
}

/// What a receipt brought: the credential, and the issuer's URL (to refresh evidence from).
pub struct Received {
    /// The credential.
    pub credential: Secured,
    /// The credential issuer (the node).
    pub issuer_url: String,
}

/// Runs the pre-authorised code flow of `offer` with `tx_code`, proving possession of `key`.
pub fn receive(offer: &Value, tx_code: Option<&str>, key: &SecretKey) -> anyhow::Result<Received> {
    let issuer = offer["credential_issuer"]
        .as_str()
        .context("the offer names no credential_issuer")?
        .trim_end_matches('/')
        .to_owned();
    let local = ["http://127.0.0.1:", "http://localhost:", "http://[::1]:"];
    if !issuer.starts_with("https://") && !local.iter().any(|l| issuer.starts_with(l)) {
        bail!(
            "the issuer {issuer} is not https: refused (only a node on this machine may be plain http)"
        );
    }
    let grant = &offer["grants"][PRE_AUTHORIZED];
    let code = grant["pre-authorized_code"]
        .as_str()
        .context("the offer has no pre-authorized_code grant")?;
    if grant.get("tx_code").is_some() && tx_code.is_none() {
        bail!("this offer needs the transaction code the Management Authority sent (--tx-code)");
    }
    let configuration = offer["credential_configuration_ids"][0]
        .as_str()
        .context("the offer names no credential configuration")?;
    let http = agent();
    let metadata = json_or_error(
        http.get(format!("{issuer}/.well-known/openid-credential-issuer"))
            .call()
            .context("cannot reach the issuer")?,
        "issuer metadata",
    )?;
    if metadata["credential_issuer"]
        .as_str()
        .map(|s| s.trim_end_matches('/'))
        != Some(&issuer)
    {
        bail!("the issuer's metadata names another credential_issuer");
    }
    let auth = metadata["authorization_servers"][0]
        .as_str()
        .unwrap_or(&issuer)
        .trim_end_matches('/')
        .to_owned();
    let auth_meta = json_or_error(
        http.get(format!("{auth}/.well-known/oauth-authorization-server"))
            .call()
            .context("cannot reach the authorization server")?,
        "authorization server metadata",
    )?;
    let token_endpoint = auth_meta["token_endpoint"]
        .as_str()
        .context("no token_endpoint")?;
    let mut form = vec![
        ("grant_type", PRE_AUTHORIZED),
        ("pre-authorized_code", code),
    ];
    if let Some(t) = tx_code {
        form.push(("tx_code", t));
    }
    let token = json_or_error(
        http.post(token_endpoint)
            .send_form(form)
            .context("cannot reach the token endpoint")?,
        "token request",
    )?;
    let access = token["access_token"].as_str().context("no access_token")?;
    let nonce_endpoint = metadata["nonce_endpoint"]
        .as_str()
        .context("the issuer has no nonce_endpoint")?;
    let nonce = json_or_error(
        http.post(nonce_endpoint)
            .send_empty()
            .context("cannot reach the nonce endpoint")?,
        "nonce request",
    )?;
    let c_nonce = nonce["c_nonce"].as_str().context("no c_nonce")?;
    let public = key.public();
    let signer = JoseSigner::new(key, &public.did_key_method())?;
    let proof = signer.sign(
        &json!({ "aud": issuer, "iat": chrono::Utc::now().timestamp(), "nonce": c_nonce }),
        "openid4vci-proof+jwt",
    )?;
    let endpoint = metadata["credential_endpoint"]
        .as_str()
        .context("no credential_endpoint")?;
    let answer = json_or_error(
        http.post(endpoint)
            .header("authorization", &format!("Bearer {access}"))
            .send_json(json!({
                "credential_configuration_id": configuration,
                "proofs": { "jwt": [proof] },
            }))
            .context("cannot reach the credential endpoint")?,
        "credential request",
    )?;
    let credential = match &answer["credentials"][0]["credential"] {
        Value::String(jwt) => Secured::Jwt(jwt.clone()),
        doc @ Value::Object(_) => Secured::Embedded(doc.clone()),
        _ => bail!("the answer holds no credential"),
    };
    Ok(Received {
        credential,
        issuer_url: issuer,
    })
}

/// A fresh evidence bundle for `credential` from the node at `node` (`POST /evidence`).
pub fn evidence(node: &str, credential: &Secured) -> anyhow::Result<Value> {
    let body = json!({ "verifiableCredential": credential });
    json_or_error(
        agent()
            .post(format!("{}/evidence", node.trim_end_matches('/')))
            .send_json(body)
            .with_context(|| format!("cannot reach {node}"))?,
        "evidence request",
    )
}
