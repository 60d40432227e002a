//! `jaibber-openclaw`: the engine of the Jaibber channel plugin for OpenClaw.

use std::path::PathBuf;

use anyhow::Context as _;
use clap::{Parser, Subcommand};
use tokio_util::sync::CancellationToken;

/// The engine of the Jaibber channel plugin for OpenClaw. The plugin spawns it and
/// drives it over line-delimited JSON-RPC 2.0 on stdin/stdout; logs go to stderr.
#[derive(Debug, Parser)]
#[command(name = "jaibber-openclaw", version)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Serves JSON-RPC on stdio until stdin ends, a `shutdown` request, or SIGINT/SIGTERM.
    Rpc {
        /// Where accounts keep their state (the inbox that remembers handled messages).
        #[arg(long, env = "JAIBBER_OPENCLAW_STATE_DIR", default_value = "./jaibber-openclaw-state")]
        state_dir: PathBuf,
        /// Log format on stderr.
        #[arg(long, env = "JAIBBER_OPENCLAW_LOG_FORMAT", value_enum, default_value_t = LogFormat::Text)]
        log_format: LogFormat,
    },
}

#[derive(Clone, Copy, Debug, clap::ValueEnum)]
enum LogFormat {
    Text,
    Json,
}

fn install_tracing(format: LogFormat) {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info,jaibber_openclaw=info,jaibber_bridge=info"));
    let builder = tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr).with_ansi(false);
    match format {
        LogFormat::Text => builder.init(),
        LogFormat::Json => builder.json().init(),
    }
}

/// Cancels `token` on SIGINT or SIGTERM.
fn cancel_on_signals(token: CancellationToken) {
    tokio::spawn(async move {
        let ctrl_c = tokio::signal::ctrl_c();
        #[cfg(unix)]
        {
            let mut term = match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
                Ok(term) => term,
                Err(err) => {
                    tracing::warn!(error = %err, "cannot listen for SIGTERM");
                    let _ = ctrl_c.await;
                    token.cancel();
                    return;
                }
            };
            tokio::select! {
                _ = ctrl_c => {}
                _ = term.recv() => {}
            }
        }
        #[cfg(not(unix))]
        let _ = ctrl_c.await;
        token.cancel();
    });
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    match cli.command {
        Command::Rpc { state_dir, log_format } => {
            install_tracing(log_format);
            std::fs::create_dir_all(&state_dir)
                .with_context(|| format!("creating the state directory {}", state_dir.display()))?;
            let cancel = CancellationToken::new();
            cancel_on_signals(cancel.clone());
            let input = tokio::io::BufReader::new(tokio::io::stdin());
            let ended = jaibber_openclaw::rpc::serve(input, tokio::io::stdout(), state_dir, cancel)
                .await
                .context("reading stdin")?;
            tracing::info!(?ended, "engine stopped");
        }
    }
    Ok(())
}
