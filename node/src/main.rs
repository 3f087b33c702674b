//! `cites-node`: the Management Authority node and its administration verbs.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use clap::{Parser, Subcommand};
use node::config::{Config, Role};
use node::permit_cli::{self, Format};

#[derive(Parser)]
#[command(
    name = "cites-node",
    version,
    about = "CITES Management Authority node: verifiable permits anchored in a transparency log"
)]
struct Cli {
    /// Log format: human-readable text or one JSON object per line.
    #[arg(
        long,
        global = true,
        value_enum,
        default_value = "text",
        env = "CITES_LOG_FORMAT"
    )]
    log_format: node::LogFormat,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Start a whole local network on 127.0.0.1 (a Secretariat and two MA nodes) for trying it out.
    Dev {
        /// Where the nodes keep their RocksDB and keys; reused across runs.
        #[arg(long, default_value = ".dev-data", env = "CITES_DEV_DATA")]
        data_dir: PathBuf,
        /// Port of the first node; the others take the next ones.
        #[arg(long, default_value_t = 8700, env = "CITES_DEV_PORT")]
        port: u16,
        /// Serve HTTPS with a self-signed certificate per node (browsers warn once per node).
        #[arg(long)]
        tls: bool,
    },
    /// Create a node: its configuration file and log signing key.
    Init {
        /// Configuration file to write.
        #[arg(long, default_value = "cites-node.toml")]
        config: PathBuf,
        /// Display name, e.g. "Management Authority of Ghana".
        #[arg(long)]
        name: String,
        /// The Party, ISO 3166 alpha-2 (e.g. GH).
        #[arg(long)]
        party: String,
        /// Secretariat or Management Authority.
        #[arg(long, value_enum, default_value = "management-authority")]
        role: RoleArg,
        /// Log origin (unique in the network), e.g. cites.example/gh.
        #[arg(long)]
        log_origin: String,
        /// HTTP address.
        #[arg(long, default_value = "127.0.0.1:8701")]
        listen: std::net::SocketAddr,
        /// Data directory (relative to the config file).
        #[arg(long, default_value = "data")]
        data_dir: PathBuf,
        /// Box 6: the MA's postal address, printed on its permits.
        #[arg(long, default_value = "")]
        address: String,
        /// Box 13: the place of issue.
        #[arg(long, default_value = "")]
        place: String,
        /// Serve HTTPS with a self-signed development certificate made now in the data
        /// directory (for production, set `[tls] cert` and `key` in the config instead).
        #[arg(long)]
        tls_self_signed: bool,
        /// The node's DID, when its public name is not its listening address (behind a
        /// proxy, in a container): `did:web:cites.example.gov%3A8443`.
        #[arg(long)]
        did: Option<String>,
    },
    /// Run a node from its configuration file.
    Run {
        #[command(flatten)]
        config: NodeConfig,
    },
    /// Verify a credential, presentation or evidence bundle with a node; prints the checklist and
    /// exits 0 only when valid.
    Verify {
        /// The file (JWS, JSON-LD credential or presentation, or evidence bundle).
        file: PathBuf,
        /// The node that verifies (its replica of the issuer's log decides).
        #[arg(long, default_value = "http://127.0.0.1:8701", env = "CITES_NODE_URL")]
        node: String,
        /// For a presentation: the challenge it answers (from POST /challenges).
        #[arg(long)]
        challenge: Option<String>,
        /// For a presentation: the domain it is bound to (default: the node's).
        #[arg(long)]
        domain: Option<String>,
        /// export, import or inspect.
        #[arg(long, default_value = "inspect")]
        purpose: String,
        /// Verify with no network, against this genesis file only: an evidence bundle, or a
        /// presentation with its evidence (as `cites-wallet present` writes it; pass the
        /// --challenge and --domain you gave the holder).
        #[arg(long, value_name = "GENESIS")]
        offline: Option<PathBuf>,
        /// Offline: the oldest status the bundle may carry, in seconds (default 7 days).
        #[arg(long, default_value_t = 7 * 24 * 3600)]
        max_status_age: i64,
    },
    /// The network's genesis.
    Genesis {
        #[command(subcommand)]
        command: GenesisCommand,
    },
    /// Permit documents.
    Permit {
        #[command(subcommand)]
        command: PermitCommand,
    },
    /// Back up the node: a consistent copy of its database and keys (while it runs, through
    /// its API; when it is stopped, directly).
    Backup {
        #[command(flatten)]
        config: NodeConfig,
        /// Directory to create (default: DATA_DIR/backups/TIMESTAMP).
        #[arg(long)]
        out: Option<PathBuf>,
    },
    /// Restore a backup into a stopped node; the current database is moved aside, not deleted.
    Restore {
        #[command(flatten)]
        config: NodeConfig,
        /// The backup directory (it holds MANIFEST.json).
        #[arg(long)]
        from: PathBuf,
    },
    /// Reports to the Secretariat.
    Report {
        #[command(subcommand)]
        command: ReportCommand,
    },
    /// The species checklist.
    Species {
        #[command(subcommand)]
        command: SpeciesCommand,
    },
    /// The node's issuing key (through its API, with the operator's token).
    Key {
        #[command(flatten)]
        config: NodeConfig,
        #[command(subcommand)]
        command: KeyCommand,
    },
    /// Accounts of a running node (through its API, with the operator's token).
    User {
        #[command(flatten)]
        config: NodeConfig,
        #[command(subcommand)]
        command: UserCommand,
    },
}

#[derive(Subcommand)]
enum KeyCommand {
    /// Replace the issuing key: a `rotate_keys` entry on the node's log, signed with the old
    /// key. Permits signed before keep verifying; the PeerId stays. Back up afterwards.
    Rotate,
}

#[derive(Subcommand)]
enum ReportCommand {
    /// The annual trade report of a year, in the Trade Database's tabular layout; refused
    /// (every problem printed) if a row breaks its upload rules.
    Annual {
        #[command(flatten)]
        config: NodeConfig,
        /// The calendar year.
        #[arg(long)]
        year: i32,
        /// csv or xlsx.
        #[arg(long, default_value = "csv")]
        format: String,
        /// The file to write (default: cites-annual-report-PARTY-YEAR.FORMAT).
        #[arg(long)]
        out: Option<PathBuf>,
    },
}

#[derive(Subcommand)]
enum SpeciesCommand {
    /// Load a Species+ `taxon_concepts` export (JSON) as the node's checklist (from its next
    /// start on).
    Import {
        #[command(flatten)]
        config: NodeConfig,
        /// The export file.
        file: PathBuf,
    },
    /// Look a name up (accepted name, synonym or common name; the start is enough).
    Lookup {
        /// The node's configuration (without one: the bundled checklist).
        #[arg(long, env = "CITES_CONFIG")]
        config: Option<PathBuf>,
        /// The name.
        name: String,
    },
}

#[derive(Subcommand)]
enum UserCommand {
    /// Add a user. Officials are announced to the Secretariat through the node's log.
    Add {
        /// Login name (lower-case letters, digits, '.', '_', '-').
        #[arg(long)]
        username: String,
        /// Full name.
        #[arg(long)]
        name: String,
        /// Role.
        #[arg(long, value_enum)]
        role: node::users::Role,
        /// Read the password from the first line of standard input (otherwise one is generated
        /// and printed once).
        #[arg(long)]
        password_stdin: bool,
        /// Where the user's notifications go.
        #[arg(long)]
        email: Option<String>,
    },
    /// List users.
    List,
    /// Disable a user: sessions and tokens stop at once; an official's removal is written to
    /// the registry.
    Disable {
        /// Login name.
        username: String,
    },
}

#[derive(Clone, Copy, clap::ValueEnum)]
enum RoleArg {
    Secretariat,
    ManagementAuthority,
}

#[derive(Subcommand)]
enum GenesisCommand {
    /// Create the genesis of a new network, on the Secretariat's node: its DID, key and log
    /// become the root of trust. Every node then pins the file (`genesis = "..."` in its config).
    New {
        #[command(flatten)]
        config: NodeConfig,
        /// Network name.
        #[arg(long)]
        network: String,
        /// A witness's cosignature verifier key (`cites-node init` prints each node's); repeat.
        #[arg(long = "witness", required = true)]
        witnesses: Vec<String>,
        /// Cosignatures a checkpoint needs to be trusted.
        #[arg(long, default_value_t = 1)]
        quorum: u32,
        /// A libp2p multiaddr every node dials first; repeat (default: the Secretariat node's
        /// `p2p_listen`, with its PeerId).
        #[arg(long = "bootstrap")]
        bootstrap: Vec<String>,
        /// File to write.
        #[arg(long, default_value = "genesis.json")]
        out: PathBuf,
    },
}

#[derive(Subcommand)]
enum PermitCommand {
    /// Check permits (canonical JSON) against every rule of the standard form; prints each
    /// problem with its box and exits non-zero if any permit has one.
    Validate {
        /// Permit files.
        #[arg(required = true)]
        files: Vec<PathBuf>,
        /// Output format.
        #[arg(long, value_enum, default_value = "text")]
        format: Format,
        /// Check as of this day (YYYY-MM-DD) instead of today.
        #[arg(long)]
        today: Option<chrono::NaiveDate>,
    },
    /// Write a permit (canonical JSON) as a toolkit v2 CITESEPermit XML message, to stdout.
    ToXml {
        /// The permit file.
        file: PathBuf,
    },
    /// Read a toolkit v2 CITESEPermit XML message and write the permit as canonical JSON, to
    /// stdout (then `permit validate` it, or issue it with POST /credentials/issue/xml).
    FromXml {
        /// The XML file.
        file: PathBuf,
    },
}

/// `--config` (or `CITES_CONFIG`): the configuration file of the node a verb works on.
#[derive(clap::Args)]
struct NodeConfig {
    /// The node's configuration.
    #[arg(
        long = "config",
        value_name = "CONFIG",
        default_value = "cites-node.toml",
        env = "CITES_CONFIG",
        global = true
    )]
    path: PathBuf,
}

impl NodeConfig {
    fn load(&self) -> anyhow::Result<Config> {
        Config::load(&self.path)
    }
}

/// Under load the node's many small allocations (JSON values, RocksDB batches) from many
/// threads spent a fifth of its time in glibc malloc; mimalloc's per-thread heaps cut that
/// (BENCHMARKS.md, issuance over HTTP).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    let cli = Cli::parse();
    node::init_tracing(cli.log_format);
    node::tls::install_provider();
    match run(cli.command) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::from(2)
        }
    }
}

fn run(command: Command) -> anyhow::Result<ExitCode> {
    match command {
        Command::Permit {
            command: PermitCommand::ToXml { file },
        } => {
            let bytes =
                std::fs::read(&file).with_context(|| format!("cannot read {}", file.display()))?;
            let permit = contracts::Permit::from_json(&bytes)
                .with_context(|| format!("{} is not a permit", file.display()))?;
            print!("{}", toolkit::to_xml(&permit)?);
            Ok(ExitCode::SUCCESS)
        }
        Command::Permit {
            command: PermitCommand::FromXml { file },
        } => {
            let text = std::fs::read_to_string(&file)
                .with_context(|| format!("cannot read {}", file.display()))?;
            let permit = toolkit::from_xml(&text)
                .with_context(|| format!("{} is not a CITESEPermit message", file.display()))?;
            let json = contracts::entry::canonical_json(&permit)?;
            println!("{}", String::from_utf8_lossy(&json));
            Ok(ExitCode::SUCCESS)
        }
        Command::Permit {
            command:
                PermitCommand::Validate {
                    files,
                    format,
                    today,
                },
        } => {
            let today = today.unwrap_or_else(|| chrono::Utc::now().date_naive());
            let mut all_valid = true;
            let mut out = std::io::stdout().lock();
            for file in &files {
                let outcome = permit_cli::check_file(file, today)?;
                all_valid &= permit_cli::report(file, &outcome, format, &mut out)?;
            }
            Ok(if all_valid {
                ExitCode::SUCCESS
            } else {
                ExitCode::from(1)
            })
        }
        Command::Genesis {
            command:
                GenesisCommand::New {
                    config,
                    network,
                    witnesses,
                    quorum,
                    bootstrap,
                    out,
                },
        } => {
            let config = config.load()?;
            let id =
                node::genesis_cli::create(&config, &network, &witnesses, quorum, &bootstrap, &out)?;
            println!("wrote {} (genesis id {id})", out.display());
            println!(
                "pin it in every node's config: genesis = \"{}\"",
                out.display()
            );
            Ok(ExitCode::SUCCESS)
        }
        Command::Verify {
            file,
            node,
            challenge,
            domain,
            purpose,
            offline,
            max_status_age,
        } => {
            let out = &mut std::io::stdout().lock();
            let valid = match offline {
                Some(genesis) => node::verify_cli::run_offline(
                    &file,
                    &genesis,
                    node::verify_cli::Presented {
                        challenge: challenge.as_deref(),
                        domain: domain.as_deref(),
                        purpose: &purpose,
                        max_status_age,
                    },
                    out,
                )?,
                None => node::verify_cli::run(
                    &file,
                    &node,
                    challenge.as_deref(),
                    domain.as_deref(),
                    &purpose,
                    out,
                )?,
            };
            Ok(if valid {
                ExitCode::SUCCESS
            } else {
                ExitCode::from(1)
            })
        }
        Command::Init {
            config,
            name,
            party,
            role,
            log_origin,
            listen,
            data_dir,
            address,
            place,
            tls_self_signed,
            did,
        } => {
            let role = match role {
                RoleArg::Secretariat => Role::Secretariat,
                RoleArg::ManagementAuthority => Role::ManagementAuthority,
            };
            let party = party.parse().context("--party")?;
            let mut cfg = Config::new(name, role, party, log_origin, listen, data_dir);
            cfg.address = address;
            cfg.place = place;
            cfg.did = did;
            if tls_self_signed {
                cfg.tls = Some(node::config::TlsConfig {
                    self_signed: true,
                    ..Default::default()
                });
            }
            cfg.check()?;
            cfg.write_new(&config)?;
            let loaded = Config::load(&config)?;
            let verifier = node::keys::create_log_key(&loaded)?;
            node::issuer::create_key(&loaded)?;
            node::keys::create_api_token(&loaded)?;
            let witness = node::keys::create_witness_key(&loaded)?;
            println!("wrote {}", config.display());
            if tls_self_signed {
                let fingerprint = node::tls::make_self_signed(&loaded)?;
                println!(
                    "TLS certificate: {} ({fingerprint}); give it to clients to trust",
                    loaded.self_signed_paths().0.display()
                );
            }
            println!("node DID: {}", loaded.did());
            println!("log verifier key: {verifier}");
            println!("witness key: {witness}");
            println!(
                "API token for issuing: {}",
                loaded.api_token_path().display()
            );
            println!(
                "start it with: cites-node run --config {}",
                config.display()
            );
            Ok(ExitCode::SUCCESS)
        }
        Command::Run { config } => {
            let config = config.load()?;
            runtime()?.block_on(node::run_until_signal(vec![config]))?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Backup { config, out } => {
            let config = config.load()?;
            let dir = out.unwrap_or_else(|| node::backup::default_dir(&config));
            let dir = if dir.is_relative() {
                std::env::current_dir()?.join(dir)
            } else {
                dir
            };
            if dir.exists() {
                anyhow::bail!("{} exists already; name a new directory", dir.display());
            }
            let manifest = match node::store::open(&config.db_dir()) {
                Ok(store) => node::backup::create(&store, &config, &dir)?,
                Err(e) if node::store::is_locked(&e) => {
                    // The running node writes it under its data directory; then it moves here.
                    let name = format!("cli-{}", std::process::id());
                    let answer = node::user_cli::call(
                        &config,
                        "POST",
                        "/admin/backup",
                        Some(serde_json::json!({ "name": name })),
                    )?;
                    let written =
                        node::backup::named_dir(&config, &name).context("no backup directory")?;
                    if written != dir {
                        node::backup::move_dir(&written, &dir)?;
                    }
                    serde_json::from_value(answer["manifest"].clone())
                        .context("the node's answer holds no manifest")?
                }
                Err(e) => return Err(e),
            };
            println!(
                "backup of {} in {}: {} log entries, checkpoint {}",
                manifest.log_origin,
                dir.display(),
                manifest.log_size,
                manifest.checkpoint_size
            );
            Ok(ExitCode::SUCCESS)
        }
        Command::Restore { config, from } => {
            let config = config.load()?;
            let restored = node::backup::restore(&config, &from)?;
            let m = &restored.manifest;
            println!(
                "restored {} from {} (taken {}): {} log entries, checkpoint {}",
                m.log_origin,
                from.display(),
                m.created.format("%Y-%m-%d %H:%M:%S UTC"),
                m.log_size,
                m.checkpoint_size
            );
            if let Some(p) = restored.previous {
                println!("the database it replaced is in {}", p.display());
            }
            println!(
                "entries appended after the backup are not in it; peers and witnesses that saw a larger checkpoint will refuse this log until they are recovered"
            );
            Ok(ExitCode::SUCCESS)
        }
        Command::Report {
            command:
                ReportCommand::Annual {
                    config,
                    year,
                    format,
                    out,
                },
        } => {
            let config = config.load()?;
            let out = out.unwrap_or_else(|| {
                PathBuf::from(format!(
                    "cites-annual-report-{}-{year}.{format}",
                    config.party
                ))
            });
            if !matches!(format.as_str(), "csv" | "xlsx") {
                anyhow::bail!("--format {format:?}: use csv or xlsx");
            }
            // The node holds its database while it runs; then its API makes the report.
            let bytes = match node::store::open(&config.db_dir()) {
                Ok(store) => {
                    let (rows, problems) = node::report::build(&store, &config.species()?, year)?;
                    if !problems.is_empty() {
                        eprintln!(
                            "the {year} report breaks {} upload rule(s):",
                            problems.len()
                        );
                        for p in &problems {
                            eprintln!("  row {} {}: {}", p.row, p.column, p.message);
                        }
                        return Ok(ExitCode::from(1));
                    }
                    match format.as_str() {
                        "csv" => node::report::csv(&rows)?,
                        _ => node::report::xlsx(&rows, &format!("{} {year}", config.name))?,
                    }
                }
                Err(e) if node::store::is_locked(&e) => node::user_cli::fetch(
                    &config,
                    &format!("/reports/annual?year={year}&format={format}"),
                )?,
                Err(e) => return Err(e),
            };
            std::fs::write(&out, &bytes)
                .with_context(|| format!("cannot write {}", out.display()))?;
            println!("{} ({} bytes) written", out.display(), bytes.len());
            Ok(ExitCode::SUCCESS)
        }
        Command::Species {
            command: SpeciesCommand::Import { config, file },
        } => {
            let config = config.load()?;
            let bytes =
                std::fs::read(&file).with_context(|| format!("cannot read {}", file.display()))?;
            let list = contracts::species::Checklist::from_species_plus(&bytes)
                .with_context(|| format!("{}", file.display()))?;
            let path = config.species_path();
            let tmp = path.with_extension("json.tmp");
            std::fs::write(&tmp, list.to_json())
                .and_then(|()| std::fs::rename(&tmp, &path))
                .with_context(|| format!("cannot write {}", path.display()))?;
            println!(
                "{} listed taxa written to {}; the node uses them from its next start",
                list.taxa().len(),
                path.display()
            );
            Ok(ExitCode::SUCCESS)
        }
        Command::Species {
            command: SpeciesCommand::Lookup { config, name },
        } => {
            let list = match config {
                Some(c) => Config::load(&c)?.species()?,
                None => contracts::species::Checklist::bundled().clone(),
            };
            let found = list.search(&name, 20);
            if found.is_empty() {
                println!("{name:?}: not in the checklist ({})", list.source());
                return Ok(ExitCode::from(1));
            }
            for t in found {
                println!(
                    "{:<32} Appendix {:<6} {:<16} {}{}",
                    t.name,
                    t.listing,
                    t.family,
                    t.common.join(", "),
                    t.split
                        .as_deref()
                        .map(|s| format!(" [split: {s}]"))
                        .unwrap_or_default()
                );
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Key {
            config,
            command: KeyCommand::Rotate,
        } => {
            let config = config.load()?;
            let rotated = node::user_cli::call(&config, "POST", "/admin/keys/rotate", None)?;
            println!(
                "rotated: {} -> {}",
                rotated["retired"].as_str().unwrap_or_default(),
                rotated["current"].as_str().unwrap_or_default()
            );
            println!(
                "registry entry: leaf {} of the node's log, at {}",
                rotated["index"],
                rotated["at"].as_str().unwrap_or_default()
            );
            println!("back up the node now: its keys directory changed");
            Ok(ExitCode::SUCCESS)
        }
        Command::User { config, command } => {
            let config = config.load()?;
            let out = &mut std::io::stdout().lock();
            match command {
                UserCommand::Add {
                    username,
                    name,
                    role,
                    password_stdin,
                    email,
                } => node::user_cli::add(
                    &config,
                    &username,
                    &name,
                    role,
                    email.as_deref(),
                    password_stdin,
                    out,
                )?,
                UserCommand::List => node::user_cli::list(&config, out)?,
                UserCommand::Disable { username } => {
                    node::user_cli::disable(&config, &username, out)?
                }
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Dev {
            data_dir,
            port,
            tls,
        } => {
            let configs = node::dev::configs(&data_dir, port, tls)?;
            runtime()?.block_on(node::run_until_signal(configs))?;
            Ok(ExitCode::SUCCESS)
        }
    }
}

fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")
}
