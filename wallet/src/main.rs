//! `cites-wallet`: the exporter's wallet for CITES permit credentials.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context;
use clap::{Parser, Subcommand};
use credentials::{Mechanism, Secured};
use wallet::Wallet;

#[derive(Parser)]
#[command(
    name = "cites-wallet",
    version,
    about = "The exporter's wallet for CITES permit credentials",
    long_about = "The exporter's wallet for CITES permit credentials. The wallet is one directory \
                  encrypted with a passphrase: give it in CITES_WALLET_PASSPHRASE, in a file \
                  (--passphrase-file), or type it when asked."
)]
struct Cli {
    /// The wallet directory.
    #[arg(
        long,
        global = true,
        default_value = "cites-wallet",
        env = "CITES_WALLET"
    )]
    wallet: PathBuf,
    /// A file whose first line is the passphrase (otherwise CITES_WALLET_PASSPHRASE, or asked).
    #[arg(long, global = true)]
    passphrase_file: Option<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Create the wallet and its holder key (did:key); prints the DID to give the issuing
    /// Management Authority with an application.
    Init,
    /// Print the holder DID.
    Did,
    /// Receive a permit from an OpenID4VCI credential offer (the link, or its JSON).
    Receive {
        /// The offer: `openid-credential-offer://?credential_offer=...`.
        offer: String,
        /// The transaction code the Management Authority sent separately.
        #[arg(long)]
        tx_code: Option<String>,
    },
    /// Add a credential from a file: a JWS, a JSON credential, or a node's issuance answer
    /// (`{verifiableCredential, evidence}`).
    Import {
        /// The file.
        file: PathBuf,
    },
    /// List the permits held.
    List,
    /// Show a permit's boxes.
    Show {
        /// `PARTY/NUMBER` (or the number alone).
        permit: String,
    },
    /// Write a presentation of a permit answering a verifier's challenge, with the permit's
    /// current evidence: `{"verifiablePresentation", "evidence": [bundle]}`.
    Present {
        /// `PARTY/NUMBER` (or the number alone).
        permit: String,
        /// The challenge the verifier gave.
        #[arg(long)]
        challenge: String,
        /// The verifier's domain.
        #[arg(long)]
        domain: String,
        /// How to secure the presentation: jose, eddsa-rdfc-2022 or eddsa-jcs-2022.
        #[arg(long, default_value = "eddsa-jcs-2022")]
        mechanism: Mechanism,
        /// Output file (default: standard output).
        #[arg(long)]
        out: Option<PathBuf>,
    },
    /// Fetch fresh evidence bundles (witness cosignatures, status) for every permit held.
    Refresh {
        /// Ask this node instead of the one each permit came from.
        #[arg(long)]
        node: Option<String>,
    },
    /// Print a permit's evidence bundle (to verify offline with `cites-node verify --offline`).
    Evidence {
        /// `PARTY/NUMBER` (or the number alone).
        permit: String,
    },
    /// Print a permit's compact QR reference (and write it as PNG with --png).
    Qr {
        /// `PARTY/NUMBER` (or the number alone).
        permit: String,
        /// Also write the QR code to this PNG file.
        #[arg(long)]
        png: Option<PathBuf>,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    // HTTPS to issuers goes through rustls with the aws-lc-rs provider.
    let _ = rustls::crypto::aws_lc_rs::default_provider().install_default();
    match run(&cli.wallet, cli.passphrase_file.as_deref(), cli.command) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::from(2)
        }
    }
}

fn passphrase(file: Option<&Path>, confirm: bool) -> anyhow::Result<String> {
    if let Some(path) = file {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("cannot read {}", path.display()))?;
        return Ok(text.lines().next().unwrap_or_default().to_owned());
    }
    if let Ok(p) = std::env::var("CITES_WALLET_PASSPHRASE") {
        return Ok(p);
    }
    let first = rpassword::prompt_password("wallet passphrase: ")
        .context("no passphrase: set CITES_WALLET_PASSPHRASE or use --passphrase-file")?;
    if confirm && rpassword::prompt_password("again: ")? != first {
        anyhow::bail!("the two passphrases differ");
    }
    Ok(first)
}

fn run(dir: &Path, pass_file: Option<&Path>, command: Command) -> anyhow::Result<()> {
    let out = &mut std::io::stdout().lock();
    if let Command::Init = command {
        let w = Wallet::create(dir, &passphrase(pass_file, true)?)?;
        writeln!(out, "{}", w.did()?)?;
        eprintln!(
            "wallet created in {}; give the DID above to the issuing authority",
            dir.display()
        );
        return Ok(());
    }
    let mut w = Wallet::open(dir, &passphrase(pass_file, false)?)?;
    match command {
        Command::Init => {}
        Command::Did => writeln!(out, "{}", w.did()?)?,
        Command::Receive { offer, tx_code } => {
            let offer = wallet::receive::parse_offer(&offer)?;
            let got = wallet::receive::receive(&offer, tx_code.as_deref(), &w.holder_key()?)?;
            let evidence = wallet::receive::evidence(&got.issuer_url, &got.credential)
                .map_err(|e| {
                    eprintln!("warning: no evidence bundle yet ({e:#}); run `cites-wallet refresh`")
                })
                .ok();
            let permit = w
                .add(got.credential, evidence, Some(got.issuer_url))?
                .permit
                .clone();
            w.save()?;
            writeln!(out, "received {permit}")?;
        }
        Command::Import { file } => {
            let text = std::fs::read_to_string(&file)
                .with_context(|| format!("cannot read {}", file.display()))?;
            let value: Option<serde_json::Value> = serde_json::from_str(&text).ok();
            let (credential, evidence) = match value {
                Some(v) if v.get("verifiableCredential").is_some() => (
                    serde_json::from_value(v["verifiableCredential"].clone())
                        .context("verifiableCredential is not a credential")?,
                    v.get("evidence").filter(|e| !e.is_null()).cloned(),
                ),
                // A JWS, as text or as a JSON string, or a credential with an embedded proof.
                Some(serde_json::Value::String(jws)) => (
                    Secured::parse(&jws)
                        .with_context(|| format!("{} is not a credential", file.display()))?,
                    None,
                ),
                _ => (
                    Secured::parse(&text)
                        .with_context(|| format!("{} is not a credential", file.display()))?,
                    None,
                ),
            };
            let permit = w.add(credential, evidence, None)?.permit.clone();
            w.save()?;
            writeln!(out, "imported {permit}")?;
        }
        Command::List => {
            writeln!(
                out,
                "{:<24} {:<10} {:<12} issuer",
                "permit", "evidence", "received"
            )?;
            for h in w.credentials() {
                let evidence = if h.evidence.is_some() { "yes" } else { "no" };
                writeln!(
                    out,
                    "{:<24} {:<10} {:<12} {}",
                    h.permit,
                    evidence,
                    h.received.format("%Y-%m-%d"),
                    h.issuer
                )?;
            }
        }
        Command::Show { permit } => {
            let held = w.get(&permit)?;
            let doc = held.credential.unverified_document()?;
            let p: contracts::Permit =
                serde_json::from_value(doc["credentialSubject"]["permit"].clone())
                    .context("the credential holds no permit")?;
            write!(out, "{}", wallet::show::render(&p, &held.issuer))?;
        }
        Command::Present {
            permit,
            challenge,
            domain,
            mechanism,
            out: file,
        } => {
            let held = w.get(&permit)?;
            let vp = wallet::present(
                w.holder_key()?,
                std::slice::from_ref(&held.credential),
                mechanism,
                &challenge,
                &domain,
                chrono::Utc::now(),
            )?;
            // The presentation with the evidence of its permit, so a border post without a
            // network can check it (`cites-node verify --offline`).
            let evidence: Vec<_> = held.evidence.iter().cloned().collect();
            let text = serde_json::to_string_pretty(
                &serde_json::json!({ "verifiablePresentation": vp, "evidence": evidence }),
            )?;
            match file {
                Some(path) => std::fs::write(&path, text)
                    .with_context(|| format!("cannot write {}", path.display()))?,
                None => writeln!(out, "{text}")?,
            }
        }
        Command::Refresh { node } => {
            let mut updated = 0;
            let held: Vec<_> = w.credentials().to_vec();
            for h in &held {
                let Some(url) = node.clone().or(h.node.clone()) else {
                    eprintln!("{}: no node known; use --node", h.permit);
                    continue;
                };
                match wallet::receive::evidence(&url, &h.credential) {
                    Ok(bundle) => {
                        w.set_evidence(&h.permit, bundle)?;
                        updated += 1;
                    }
                    Err(e) => eprintln!("{}: {e:#}", h.permit),
                }
            }
            w.save()?;
            writeln!(out, "refreshed {updated} of {}", held.len())?;
            if updated < held.len() {
                anyhow::bail!(
                    "{} permit(s) not refreshed (see above)",
                    held.len() - updated
                );
            }
        }
        Command::Evidence { permit } => {
            let held = w.get(&permit)?;
            let bundle = held.evidence.as_ref().with_context(|| {
                format!(
                    "no evidence for {} yet: run `cites-wallet refresh`",
                    held.permit
                )
            })?;
            writeln!(out, "{}", serde_json::to_string_pretty(bundle)?)?;
        }
        Command::Qr { permit, png } => {
            let reference = wallet::reference(w.get(&permit)?)?;
            writeln!(out, "{}", wallet::qr_text(&reference)?)?;
            writeln!(out, "{reference}")?;
            if let Some(path) = png {
                std::fs::write(&path, wallet::qr_png(&reference)?)
                    .with_context(|| format!("cannot write {}", path.display()))?;
            }
        }
    }
    Ok(())
}
