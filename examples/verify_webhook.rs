//! Verifies a Jaibber webhook delivery read from stdin.
//!
//! ```sh
//! export JAIBBER_WEBHOOK_SECRET=whsec_...
//! cargo run --example verify_webhook -- --secret-env JAIBBER_WEBHOOK_SECRET \
//!     --signature 'sha256=<hex from X-Jaibber-Signature>' < body.json
//! ```
//!
//! Exit status: 0 valid (prints the event), 1 invalid signature or body, 2 usage error.
//! The secret is read from the named environment variable, never from the command line.

// The result line goes to stdout on purpose: this is a command-line tool.
#![allow(clippy::print_stdout)]

use std::io::Read as _;
use std::process::ExitCode;

use bridge_core::model::{WebhookEvent, WebhookPayload};
use bridge_core::signing::jaibber::JaibberSigner;

const USAGE: &str = "usage: verify_webhook --secret-env VAR --signature 'sha256=<hex>' < body";

fn main() -> ExitCode {
    match run() {
        Ok(code) => code,
        Err(usage) => {
            eprintln!("error: {usage}\n{USAGE}");
            ExitCode::from(2)
        }
    }
}

fn run() -> Result<ExitCode, String> {
    let mut secret_env = None;
    let mut signature = None;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--secret-env" => secret_env = args.next(),
            "--signature" => signature = args.next(),
            "-h" | "--help" => {
                eprintln!("{USAGE}");
                return Ok(ExitCode::SUCCESS);
            }
            other => return Err(format!("unknown argument {other:?}")),
        }
    }
    let secret_env = secret_env.ok_or("--secret-env is required")?;
    let signature = signature.ok_or("--signature is required")?;
    let secret = std::env::var(&secret_env).map_err(|_| format!("environment variable {secret_env} is not set"))?;
    let signer = JaibberSigner::new(&secret).map_err(|e| e.to_string())?;
    let mut body = Vec::new();
    std::io::stdin().read_to_end(&mut body).map_err(|e| format!("reading stdin: {e}"))?;

    if let Err(err) = signer.verify(&body, &signature) {
        eprintln!("invalid: {err}");
        return Ok(ExitCode::from(1));
    }
    match WebhookEvent::from_slice(&body) {
        Ok(event) => {
            let delivery = event.delivery_id.as_ref().map_or("-", |d| d.as_str());
            let detail = match &event.payload {
                WebhookPayload::MessageCreated(m) => format!("message {} from {}", m.id, m.sender_name),
                WebhookPayload::TaskCreated(t) | WebhookPayload::TaskCompleted(t) | WebhookPayload::TaskFailed(t) => {
                    format!("task {} ({})", t.id, t.status)
                }
                WebhookPayload::AgentAssigned(a) | WebhookPayload::AgentUnassigned(a) => {
                    format!("agent {}", a.agent_name)
                }
                _ => "unknown event kept as received".to_owned(),
            };
            println!("valid {} delivery {delivery}: {detail}", event.event_name());
            Ok(ExitCode::SUCCESS)
        }
        Err(err) => {
            eprintln!("signature valid but body rejected: {err}");
            Ok(ExitCode::from(1))
        }
    }
}
