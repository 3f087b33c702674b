//! `cites-wallet`: the exporter's holder key and presentations at the border.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use clap::{Parser, Subcommand};
use credentials::{Mechanism, Secured};

#[derive(Parser)]
#[command(
    name = "cites-wallet",
    version,
    about = "The exporter's wallet for CITES permit credentials"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Create a holder key (did:key); prints the DID to give the issuing Management Authority.
    Init {
        /// Key file to create (readable by you only).
        #[arg(long, default_value = "holder.key", env = "CITES_WALLET_KEY")]
        key: PathBuf,
    },
    /// Print the holder DID of a key file.
    Did {
        /// Key file.
        #[arg(long, default_value = "holder.key", env = "CITES_WALLET_KEY")]
        key: PathBuf,
    },
    /// Write a presentation of permit credentials answering a verifier's challenge.
    Present {
        /// Key file.
        #[arg(long, default_value = "holder.key", env = "CITES_WALLET_KEY")]
        key: PathBuf,
        /// Credential files (a JWS, or a JSON credential with an embedded proof).
        #[arg(required = true)]
        credentials: Vec<PathBuf>,
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
}

fn main() -> ExitCode {
    match run(Cli::parse().command) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::from(2)
        }
    }
}

fn run(command: Command) -> anyhow::Result<()> {
    match command {
        Command::Init { key } => {
            let did = wallet::create_key(&key)?;
            println!("{did}");
            eprintln!(
                "holder key written to {}; give the DID above to the issuing authority",
                key.display()
            );
        }
        Command::Did { key } => println!("{}", wallet::load_key(&key)?.public().did_key()),
        Command::Present {
            key,
            credentials,
            challenge,
            domain,
            mechanism,
            out,
        } => {
            let mut secured = Vec::new();
            for path in &credentials {
                let text = std::fs::read_to_string(path)
                    .with_context(|| format!("cannot read {}", path.display()))?;
                secured.push(
                    Secured::parse(&text)
                        .with_context(|| format!("{} is not a credential", path.display()))?,
                );
            }
            let vp = wallet::present(
                wallet::load_key(&key)?,
                &secured,
                mechanism,
                &challenge,
                &domain,
                chrono::Utc::now(),
            )?;
            let text = match vp {
                Secured::Jwt(t) => t,
                Secured::Embedded(doc) => serde_json::to_string_pretty(&doc)?,
            };
            match out {
                Some(path) => std::fs::write(&path, text)
                    .with_context(|| format!("cannot write {}", path.display()))?,
                None => writeln!(std::io::stdout().lock(), "{text}")?,
            }
        }
    }
    Ok(())
}
