//! `jaibber-hub`: serve, seed, and admin commands.

// Command results (the seed JSON, confirmations) go to stdout on purpose; logs go to stderr.
#![allow(clippy::print_stdout)]

use std::process::ExitCode;

use anyhow::Context as _;
use clap::{Parser, Subcommand, ValueEnum};
use jaibber_hub::config::{HubConfig, ServeArgs};
use tokio_util::sync::CancellationToken;

/// A self-hostable Jaibber-compatible server (REST, auth, API keys, quotas, durable signed webhooks).
#[derive(Debug, Parser)]
#[command(name = "jaibber-hub", version, about, long_about = None)]
struct Cli {
    /// Log format.
    #[arg(long, env = "JAIBBER_HUB_LOG_FORMAT", value_enum, default_value_t = LogFormat::Text, global = true)]
    log_format: LogFormat,
    #[command(subcommand)]
    command: Command,
}

#[derive(Clone, Copy, Debug, ValueEnum)]
enum LogFormat {
    Text,
    Json,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run the server.
    Serve(ServeArgs),
    /// Create (idempotently) a demo user, Team-plan org, project, agent and all-scopes API key.
    Seed {
        /// Data directory of the hub.
        #[arg(long, env = "JAIBBER_HUB_DATA", default_value = "./jaibber-data")]
        data: std::path::PathBuf,
        /// Print one JSON object (the only output format; kept for scripts that pass it).
        #[arg(long)]
        json: bool,
    },
    /// Organization administration.
    Org {
        #[command(subcommand)]
        command: OrgCommand,
    },
}

#[derive(Debug, Subcommand)]
enum OrgCommand {
    /// Change an org's plan (free, pro, team).
    SetPlan {
        /// Data directory of the hub.
        #[arg(long, env = "JAIBBER_HUB_DATA", default_value = "./jaibber-data")]
        data: std::path::PathBuf,
        /// The org id.
        org: String,
        /// The plan.
        plan: String,
    },
}

fn init_tracing(format: LogFormat) {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info,tower_http=warn"));
    let builder = tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr);
    match format {
        LogFormat::Text => builder.init(),
        LogFormat::Json => builder.json().init(),
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    init_tracing(cli.log_format);
    match run(cli.command) {
        Ok(code) => code,
        Err(err) => {
            eprintln!("error: {err:#}");
            ExitCode::FAILURE
        }
    }
}

fn run(command: Command) -> anyhow::Result<ExitCode> {
    match command {
        Command::Serve(args) => {
            let file = match &args.config {
                Some(path) => Some(
                    std::fs::read_to_string(path).with_context(|| format!("reading config file {}", path.display()))?,
                ),
                None => None,
            };
            let config = match HubConfig::resolve(&args, file.as_deref()) {
                Ok(config) => config,
                Err(problems) => {
                    for problem in problems {
                        eprintln!("config error: {problem}");
                    }
                    return Ok(ExitCode::from(2));
                }
            };
            let runtime = tokio::runtime::Runtime::new().context("starting the async runtime")?;
            runtime.block_on(serve(config))?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Seed { data, json: _ } => {
            let config = HubConfig::for_data_dir(data);
            let secret = jaibber_hub::load_or_create_secret(&config.data_dir)
                .or_else(|_| {
                    std::fs::create_dir_all(&config.data_dir)
                        .and_then(|()| jaibber_hub::load_or_create_secret(&config.data_dir))
                })
                .with_context(|| format!("preparing data directory {}", config.data_dir.display()))?;
            let runtime = tokio::runtime::Runtime::new().context("starting the async runtime")?;
            let _guard = runtime.enter();
            let state = jaibber_hub::open(config).context("opening the hub data")?;
            let output = jaibber_hub::seed::seed(&state, &secret).context("seeding")?;
            println!("{}", serde_json::to_string_pretty(&output)?);
            Ok(ExitCode::SUCCESS)
        }
        Command::Org { command: OrgCommand::SetPlan { data, org, plan } } => {
            let plan = bridge_core::model::PlanId::from_wire(&plan.to_lowercase());
            if !plan.is_known() {
                eprintln!("error: plan {plan} is unknown; use free, pro or team");
                return Ok(ExitCode::from(2));
            }
            let runtime = tokio::runtime::Runtime::new().context("starting the async runtime")?;
            let _guard = runtime.enter();
            let state = jaibber_hub::open(HubConfig::for_data_dir(data)).context("opening the hub data")?;
            let changed = state
                .db
                .write_blocking(|tx| jaibber_hub::db::orgs::set_plan(tx, &org, &plan))
                .context("updating the plan")?;
            if changed {
                println!("org {org} is now on the {} plan", plan.plan().name);
                Ok(ExitCode::SUCCESS)
            } else {
                eprintln!("error: no org with id {org} in this data directory");
                Ok(ExitCode::FAILURE)
            }
        }
    }
}

async fn serve(config: HubConfig) -> anyhow::Result<()> {
    let listener =
        tokio::net::TcpListener::bind(&config.listen).await.with_context(|| format!("binding {}", config.listen))?;
    let state = jaibber_hub::open(config).context("opening the hub data")?;
    let shutdown = CancellationToken::new();
    tokio::spawn(signal_shutdown(shutdown.clone()));
    jaibber_hub::serve(state, listener, shutdown).await.context("running the hub")
}

/// Cancels on Ctrl-C or SIGTERM.
async fn signal_shutdown(token: CancellationToken) {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {}
        () = terminate => {}
    }
    tracing::info!("shutdown requested");
    token.cancel();
}
