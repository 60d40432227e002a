//! `jaibber-bridge`: run, quickstart, verify, check.

// Command results (quick start transcript, check lines) go to stdout on purpose.
#![allow(clippy::print_stdout)]

use std::io::Read as _;
use std::process::ExitCode;

use anyhow::Context as _;
use clap::{Parser, Subcommand, ValueEnum};
use jaibber_bridge::config::{BridgeConfig, RunArgs};
use tokio_util::sync::CancellationToken;

/// Relays Jaibber messages and tasks to any agent (OpenAI-compatible, HTTP, A2A, CLI) and never loses an event.
#[derive(Debug, Parser)]
#[command(name = "jaibber-bridge", version, about)]
struct Cli {
    /// Log format.
    #[arg(long, env = "JAIBBER_LOG_FORMAT", value_enum, default_value_t = LogFormat::Text, global = true)]
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
    /// Run the bridge.
    Run(RunArgs),
    /// One-command demo: embedded hub, demo agent, bridge, and an answered @mention.
    Quickstart(jaibber_bridge::quickstart::QuickstartArgs),
    /// Check a webhook signature over stdin (exit 0 valid, 1 invalid, 2 usage error).
    Verify {
        /// Environment variable holding the webhook secret.
        #[arg(long)]
        secret_env: String,
        /// The X-Jaibber-Signature value (sha256=<hex>).
        #[arg(long)]
        signature: String,
    },
    /// Validate the configuration and test that the hub and the agents are reachable.
    Check(RunArgs),
}

fn init_tracing(format: LogFormat, default: &str) {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default));
    let builder = tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr);
    match format {
        LogFormat::Text => builder.init(),
        LogFormat::Json => builder.json().init(),
    }
}

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(err) => {
            let _ = err.print();
            return ExitCode::from(if err.use_stderr() { 2 } else { 0 });
        }
    };
    let default_filter = if matches!(cli.command, Command::Quickstart(_)) { "warn" } else { "info" };
    init_tracing(cli.log_format, default_filter);
    match run(cli.command) {
        Ok(code) => code,
        Err(err) => {
            eprintln!("error: {err:#}");
            ExitCode::FAILURE
        }
    }
}

fn load(args: &RunArgs) -> anyhow::Result<Result<BridgeConfig, Vec<String>>> {
    let file = match &args.config {
        Some(path) => {
            Some(std::fs::read_to_string(path).with_context(|| format!("reading config file {}", path.display()))?)
        }
        None => None,
    };
    Ok(BridgeConfig::resolve(args, file.as_deref(), &|name| std::env::var(name).ok()))
}

fn run(command: Command) -> anyhow::Result<ExitCode> {
    let runtime = tokio::runtime::Runtime::new().context("starting the async runtime")?;
    match command {
        Command::Run(args) => {
            let config = match load(&args)? {
                Ok(config) => config,
                Err(problems) => {
                    for problem in problems {
                        eprintln!("config error: {problem}");
                    }
                    return Ok(ExitCode::from(2));
                }
            };
            runtime.block_on(async {
                let listener = tokio::net::TcpListener::bind(&config.listen)
                    .await
                    .with_context(|| format!("binding {}", config.listen))?;
                let shutdown = CancellationToken::new();
                tokio::spawn(signal_shutdown(shutdown.clone()));
                jaibber_bridge::bridge::run(config, listener, shutdown).await.context("running the bridge")
            })?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Quickstart(args) => {
            runtime.block_on(async {
                let shutdown = CancellationToken::new();
                tokio::spawn(signal_shutdown(shutdown.clone()));
                jaibber_bridge::quickstart::run(args, shutdown, &|line| println!("{line}")).await
            })?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Verify { secret_env, signature } => {
            let Ok(secret) = std::env::var(&secret_env) else {
                eprintln!("error: environment variable {secret_env} is not set");
                return Ok(ExitCode::from(2));
            };
            let signer = match bridge_core::signing::jaibber::JaibberSigner::new(&secret) {
                Ok(signer) => signer,
                Err(err) => {
                    eprintln!("error: {err}");
                    return Ok(ExitCode::from(2));
                }
            };
            let mut body = Vec::new();
            std::io::stdin().read_to_end(&mut body).context("reading the body from stdin")?;
            match signer.verify(&body, &signature) {
                Ok(()) => {
                    println!("valid");
                    Ok(ExitCode::SUCCESS)
                }
                Err(err) => {
                    println!("invalid: {err}");
                    Ok(ExitCode::from(1))
                }
            }
        }
        Command::Check(args) => {
            let config = match load(&args)? {
                Ok(config) => config,
                Err(problems) => {
                    for problem in problems {
                        println!("FAIL config: {problem}");
                    }
                    return Ok(ExitCode::from(2));
                }
            };
            println!("ok   config: {} agent(s), {:?} mode", config.agents.len(), config.mode);
            let healthy = runtime.block_on(check(&config));
            Ok(if healthy { ExitCode::SUCCESS } else { ExitCode::FAILURE })
        }
    }
}

async fn check(config: &BridgeConfig) -> bool {
    let mut healthy = true;
    let client = match bridge_core::client::Client::builder(&config.hub)
        .credential(config.credential.clone())
        .retry(bridge_core::client::RetryPolicy::none())
        .build()
    {
        Ok(client) => client,
        Err(err) => {
            println!("FAIL hub: {err}");
            return false;
        }
    };
    match client.list_projects().await {
        Ok(projects) => {
            println!("ok   hub: {} reachable, the credential sees {} project(s)", config.hub, projects.len())
        }
        Err(err) => {
            healthy = false;
            println!("FAIL hub: {err}");
        }
    }
    let http = reqwest::Client::builder().timeout(std::time::Duration::from_secs(5)).build().unwrap_or_default();
    for agent in &config.agents {
        let backend = jaibber_bridge::backend::Backend::new(agent.backend.clone(), agent.timeout);
        match backend.url() {
            Some(url) => match http.get(url).send().await {
                Ok(response) => {
                    println!("ok   agent {}: {} answered {}", agent.name, backend.describe(), response.status())
                }
                Err(err) => {
                    healthy = false;
                    println!(
                        "FAIL agent {}: {} unreachable ({})",
                        agent.name,
                        backend.describe(),
                        if err.is_timeout() { "timeout" } else { "connection failed" }
                    );
                }
            },
            None => {
                let program = match &agent.backend {
                    jaibber_bridge::config::BackendConfig::Command { argv } => {
                        argv.first().cloned().unwrap_or_default()
                    }
                    _ => String::new(),
                };
                let found = std::path::Path::new(&program).is_file()
                    || std::env::var_os("PATH")
                        .is_some_and(|paths| std::env::split_paths(&paths).any(|dir| dir.join(&program).is_file()));
                if found {
                    println!("ok   agent {}: {}", agent.name, backend.describe());
                } else {
                    healthy = false;
                    println!("FAIL agent {}: program {program:?} not found on PATH", agent.name);
                }
            }
        }
    }
    healthy
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
    token.cancel();
}
