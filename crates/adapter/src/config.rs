//! The bridge's configuration: CLI flag > `JAIBBER_*` env var > TOML file > default.
//!
//! Flags describe one agent; the TOML file may describe several (`[[agents]]`).
//! [`BridgeConfig::resolve`] is a pure function of the parsed flags and the file text, and
//! reports every problem at once.

use std::path::PathBuf;
use std::time::Duration;

use bridge_core::client::Credential;
use bridge_core::model::{OrgId, ProjectId, WebhookSecret};
use bridge_core::routing::RespondPolicy;
use serde::Deserialize;

/// How events reach the bridge.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Mode {
    /// Jaibber POSTs signed webhooks to the bridge's listener.
    Webhook,
    /// The bridge polls messages and tasks over REST (no public URL needed).
    Poll,
    /// The bridge listens on the project channels in realtime, shows its agents in
    /// presence, streams answers live, and catches up from REST after a drop.
    Realtime,
}

/// Which kind of agent back-end a flag-defined agent uses.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum BackendKind {
    /// Any OpenAI-compatible chat-completions endpoint (OpenClaw gateway included).
    Openai,
    /// POST a JSON request, get JSON back.
    Http,
    /// An A2A v1.0 agent (JSON-RPC `SendMessage`, `GetTask` polling).
    A2a,
    /// A local CLI agent (`claude -p`, `codex exec`, `gemini -p` …).
    Command,
}

/// `jaibber-bridge run` flags.
#[derive(Clone, Debug, Default, clap::Args)]
pub struct RunArgs {
    /// TOML config file.
    #[arg(long, env = "JAIBBER_CONFIG")]
    pub config: Option<PathBuf>,
    /// Jaibber server URL, e.g. `https://api.jaibber.com` or `http://127.0.0.1:8080`.
    #[arg(long, env = "JAIBBER_HUB_URL")]
    pub hub: Option<String>,
    /// API key (jb_…) or JWT; prefer the env var or --api-key-file over the flag.
    #[arg(long, env = "JAIBBER_API_KEY", hide_env_values = true)]
    pub api_key: Option<String>,
    /// File holding the API key.
    #[arg(long, env = "JAIBBER_API_KEY_FILE")]
    pub api_key_file: Option<PathBuf>,
    /// The agent's name (what people @mention).
    #[arg(long, env = "JAIBBER_AGENT_NAME")]
    pub agent_name: Option<String>,
    /// The agent's instructions (system prompt).
    #[arg(long, env = "JAIBBER_AGENT_INSTRUCTIONS")]
    pub agent_instructions: Option<String>,
    /// webhook or poll.
    #[arg(long, env = "JAIBBER_MODE", value_enum)]
    pub mode: Option<Mode>,
    /// openai, http, a2a or command.
    #[arg(long, env = "JAIBBER_BACKEND", value_enum)]
    pub backend: Option<BackendKind>,
    /// Back-end URL (openai: the base ending in /v1; http and a2a: the endpoint).
    #[arg(long, env = "JAIBBER_BACKEND_URL")]
    pub backend_url: Option<String>,
    /// Model name sent to an OpenAI-compatible back-end.
    #[arg(long, env = "JAIBBER_BACKEND_MODEL")]
    pub backend_model: Option<String>,
    /// Bearer token for the back-end.
    #[arg(long, env = "JAIBBER_BACKEND_API_KEY", hide_env_values = true)]
    pub backend_api_key: Option<String>,
    /// Command line of a CLI agent; `{prompt}` is replaced by the prompt, else it goes to stdin.
    #[arg(long, env = "JAIBBER_BACKEND_COMMAND")]
    pub backend_command: Option<String>,
    /// Directory of the bridge's SQLite state.
    #[arg(long, env = "JAIBBER_STATE_DIR")]
    pub state_dir: Option<PathBuf>,
    /// Listen address (webhooks, /healthz, /readyz, /metrics).
    #[arg(long, env = "JAIBBER_LISTEN")]
    pub listen: Option<String>,
    /// Webhook signing secret(s), comma-separated during rotation.
    #[arg(long, env = "JAIBBER_WEBHOOK_SECRET", hide_env_values = true)]
    pub webhook_secret: Option<String>,
    /// Public URL of this bridge; with it, webhook mode creates its own webhook on start.
    #[arg(long, env = "JAIBBER_PUBLIC_URL")]
    pub public_url: Option<String>,
    /// Org id (agent registration); found from the credential when it has one org.
    #[arg(long, env = "JAIBBER_ORG_ID")]
    pub org_id: Option<String>,
    /// Projects to serve, comma-separated (default: every project the credential sees).
    #[arg(long, env = "JAIBBER_PROJECT_IDS", value_delimiter = ',')]
    pub project_ids: Vec<String>,
    /// Poll interval, e.g. 2s.
    #[arg(long, env = "JAIBBER_POLL_INTERVAL")]
    pub poll_interval: Option<String>,
    /// Also answer human messages that mention no agent.
    #[arg(long, env = "JAIBBER_ANSWER_UNMENTIONED")]
    pub answer_unmentioned: bool,
    /// Maximum agent-to-agent depth (default 3).
    #[arg(long, env = "JAIBBER_MAX_RESPONSE_DEPTH")]
    pub max_response_depth: Option<u32>,
    /// Messages of context given to the agent (default 20).
    #[arg(long, env = "JAIBBER_CONTEXT_MESSAGES")]
    pub context_messages: Option<usize>,
    /// Concurrent agent calls (default 4).
    #[arg(long, env = "JAIBBER_CONCURRENCY")]
    pub concurrency: Option<usize>,
    /// Timeout of one agent call, e.g. 120s.
    #[arg(long, env = "JAIBBER_AGENT_TIMEOUT")]
    pub agent_timeout: Option<String>,
    /// Attempts per event before it is reported failed (default 8).
    #[arg(long, env = "JAIBBER_MAX_ATTEMPTS")]
    pub max_attempts: Option<u32>,
    /// Refuse webhooks whose `timestamp` is older than this, e.g. 5m (off by default).
    #[arg(long, env = "JAIBBER_TIMESTAMP_TOLERANCE")]
    pub timestamp_tolerance: Option<String>,
    /// Largest accepted webhook body in bytes (default 1 MiB).
    #[arg(long, env = "JAIBBER_MAX_BODY_BYTES")]
    pub max_body_bytes: Option<usize>,
}

/// The TOML file.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileConfig {
    hub: Option<String>,
    api_key: Option<String>,
    api_key_env: Option<String>,
    mode: Option<Mode>,
    state_dir: Option<PathBuf>,
    listen: Option<String>,
    webhook_secret: Option<String>,
    public_url: Option<String>,
    org_id: Option<String>,
    project_ids: Option<Vec<String>>,
    poll_interval: Option<String>,
    max_attempts: Option<u32>,
    timestamp_tolerance: Option<String>,
    max_body_bytes: Option<usize>,
    #[serde(default)]
    agents: Vec<FileAgent>,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileAgent {
    name: String,
    instructions: Option<String>,
    answer_unmentioned: Option<bool>,
    max_response_depth: Option<u32>,
    context_messages: Option<usize>,
    concurrency: Option<usize>,
    timeout: Option<String>,
    backend: FileBackend,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileBackend {
    #[serde(rename = "type")]
    kind: BackendKind,
    url: Option<String>,
    model: Option<String>,
    api_key: Option<String>,
    api_key_env: Option<String>,
    command: Option<String>,
    stream: Option<bool>,
}

/// A back-end, validated.
#[derive(Clone, Debug)]
pub enum BackendConfig {
    /// OpenAI-compatible chat completions.
    Openai {
        /// Base URL ending in `/v1`.
        url: String,
        /// Model name.
        model: String,
        /// Bearer token.
        api_key: Option<WebhookSecret>,
        /// Ask for a streamed (SSE) answer.
        stream: bool,
    },
    /// Plain HTTP JSON.
    Http {
        /// Endpoint.
        url: String,
        /// Bearer token.
        api_key: Option<WebhookSecret>,
    },
    /// A2A v1.0.
    A2a {
        /// JSON-RPC endpoint.
        url: String,
        /// Bearer token.
        api_key: Option<WebhookSecret>,
    },
    /// A local CLI agent.
    Command {
        /// Program and arguments; `{prompt}` is replaced by the prompt.
        argv: Vec<String>,
    },
    /// An agent answered by the program that embeds the bridge (never from a file).
    External(crate::backend::ExternalAgent),
}

/// One agent served by the bridge.
#[derive(Clone, Debug)]
pub struct AgentConfig {
    /// Its name.
    pub name: String,
    /// Its system prompt.
    pub instructions: Option<String>,
    /// When it answers.
    pub policy: RespondPolicy,
    /// Messages of context.
    pub context_messages: usize,
    /// Concurrent calls.
    pub concurrency: usize,
    /// Timeout of one call.
    pub timeout: Duration,
    /// The back-end.
    pub backend: BackendConfig,
}

/// The validated configuration.
#[derive(Clone, Debug)]
pub struct BridgeConfig {
    /// Jaibber server URL.
    pub hub: String,
    /// The credential.
    pub credential: Credential,
    /// Webhook or poll.
    pub mode: Mode,
    /// State directory.
    pub state_dir: PathBuf,
    /// Listen address.
    pub listen: String,
    /// Accepted webhook secrets.
    pub webhook_secrets: Vec<WebhookSecret>,
    /// Public URL (self-registration of the webhook).
    pub public_url: Option<String>,
    /// Org for registration.
    pub org_id: Option<OrgId>,
    /// Projects served (`None`: all visible).
    pub project_ids: Option<Vec<ProjectId>>,
    /// Poll interval.
    pub poll_interval: Duration,
    /// Attempts per event.
    pub max_attempts: u32,
    /// Webhook timestamp tolerance.
    pub timestamp_tolerance: Option<Duration>,
    /// Webhook body limit.
    pub max_body_bytes: usize,
    /// Heartbeat interval.
    pub heartbeat: Duration,
    /// The agents.
    pub agents: Vec<AgentConfig>,
}

/// Parses `250ms`, `10s`, `5m`, `2h` (the hub's duration syntax).
///
/// # Errors
/// What is wrong with the value.
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    jaibber_hub::config::parse_duration(text)
}

fn split_command(line: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut current = String::new();
    let mut quote: Option<char> = None;
    for c in line.chars() {
        match (quote, c) {
            (Some(q), c) if c == q => quote = None,
            (Some(_), c) => current.push(c),
            (None, '\'' | '"') => quote = Some(c),
            (None, c) if c.is_whitespace() => {
                if !current.is_empty() {
                    out.push(std::mem::take(&mut current));
                }
            }
            (None, c) => current.push(c),
        }
    }
    if !current.is_empty() {
        out.push(current);
    }
    out
}

struct BackendParts {
    kind: BackendKind,
    url: Option<String>,
    model: Option<String>,
    api_key: Option<String>,
    command: Option<String>,
    stream: bool,
}

fn backend(parts: BackendParts, agent: &str, problems: &mut Vec<String>) -> Option<BackendConfig> {
    let secret = parts.api_key.map(WebhookSecret::new);
    let need_url = |problems: &mut Vec<String>| -> Option<String> {
        match parts.url.clone() {
            Some(url) if url.starts_with("http://") || url.starts_with("https://") => {
                Some(url.trim_end_matches('/').to_owned())
            }
            Some(url) => {
                problems.push(format!("agent {agent}: backend url {url:?} must start with http:// or https://"));
                None
            }
            None => {
                problems.push(format!(
                    "agent {agent}: the {:?} back-end needs a url (--backend-url or backend.url)",
                    parts.kind
                ));
                None
            }
        }
    };
    match parts.kind {
        BackendKind::Openai => need_url(problems).map(|url| BackendConfig::Openai {
            url,
            model: parts.model.unwrap_or_else(|| "default".into()),
            api_key: secret,
            stream: parts.stream,
        }),
        BackendKind::Http => need_url(problems).map(|url| BackendConfig::Http { url, api_key: secret }),
        BackendKind::A2a => need_url(problems).map(|url| BackendConfig::A2a { url, api_key: secret }),
        BackendKind::Command => {
            let argv = parts.command.as_deref().map(split_command).unwrap_or_default();
            if argv.is_empty() {
                problems.push(format!(
                    "agent {agent}: the command back-end needs a command line (--backend-command or backend.command)"
                ));
                None
            } else {
                Some(BackendConfig::Command { argv })
            }
        }
    }
}

impl BridgeConfig {
    /// Lays `args` over the TOML `file_text` over the defaults and validates everything.
    ///
    /// # Errors
    /// Every problem found, one line each.
    pub fn resolve(
        args: &RunArgs,
        file_text: Option<&str>,
        env: &dyn Fn(&str) -> Option<String>,
    ) -> Result<Self, Vec<String>> {
        let mut problems = Vec::new();
        let file: FileConfig = match file_text.map(toml::from_str::<FileConfig>) {
            None => FileConfig::default(),
            Some(Ok(file)) => file,
            Some(Err(err)) => {
                problems.push(format!("config file: {}", err.message()));
                FileConfig::default()
            }
        };
        let hub = args.hub.clone().or(file.hub.clone()).unwrap_or_default().trim_end_matches('/').to_owned();
        if hub.is_empty() {
            problems.push("hub URL is missing; pass --hub, JAIBBER_HUB_URL or hub = \"…\" in the config file".into());
        } else if !(hub.starts_with("http://") || hub.starts_with("https://")) {
            problems.push(format!("hub URL {hub:?} must start with http:// or https://"));
        }
        let key_from_file = args.api_key_file.as_ref().and_then(|path| match std::fs::read_to_string(path) {
            Ok(text) => Some(text.trim().to_owned()),
            Err(err) => {
                problems.push(format!("cannot read --api-key-file {}: {err}", path.display()));
                None
            }
        });
        let key = args
            .api_key
            .clone()
            .or(key_from_file)
            .or(file.api_key.clone())
            .or_else(|| file.api_key_env.as_deref().and_then(env))
            .filter(|k| !k.trim().is_empty());
        if key.is_none() {
            problems.push(
                "API key is missing; set JAIBBER_API_KEY, --api-key-file or api_key_env in the config file".into(),
            );
        }
        let mode = args.mode.or(file.mode).unwrap_or(Mode::Poll);
        let secrets: Vec<WebhookSecret> = args
            .webhook_secret
            .clone()
            .or(file.webhook_secret.clone())
            .map(|s| s.split(',').map(str::trim).filter(|s| !s.is_empty()).map(WebhookSecret::new).collect())
            .unwrap_or_default();
        let public_url = args.public_url.clone().or(file.public_url.clone());
        if mode == Mode::Webhook && secrets.is_empty() && public_url.is_none() {
            problems.push("webhook mode needs the webhook secret (JAIBBER_WEBHOOK_SECRET) or --public-url so the bridge creates its own webhook".into());
        }
        let duration = |name: &str, value: Option<String>, default: Duration, problems: &mut Vec<String>| match value
            .map(|v| parse_duration(&v))
        {
            None => default,
            Some(Ok(d)) if !d.is_zero() => d,
            Some(Ok(_)) => {
                problems.push(format!("{name} must be above zero"));
                default
            }
            Some(Err(err)) => {
                problems.push(format!("{name}: {err}"));
                default
            }
        };
        let poll_interval = duration(
            "poll interval",
            args.poll_interval.clone().or(file.poll_interval.clone()),
            Duration::from_secs(2),
            &mut problems,
        );
        let tolerance = args
            .timestamp_tolerance
            .clone()
            .or(file.timestamp_tolerance.clone())
            .map(|t| duration("timestamp tolerance", Some(t), Duration::from_secs(300), &mut problems));
        let project_ids: Vec<String> = if args.project_ids.is_empty() {
            file.project_ids.clone().unwrap_or_default()
        } else {
            args.project_ids.clone()
        };

        let mut agents = Vec::new();
        let timeout_default = Duration::from_secs(120);
        if let Some(name) = args.agent_name.clone() {
            let parts = BackendParts {
                kind: args.backend.unwrap_or(BackendKind::Openai),
                url: args.backend_url.clone(),
                model: args.backend_model.clone(),
                api_key: args.backend_api_key.clone(),
                command: args.backend_command.clone(),
                stream: true,
            };
            if let Some(backend) = backend(parts, &name, &mut problems) {
                let mut policy = RespondPolicy::new(name.clone());
                policy.answer_unmentioned = args.answer_unmentioned;
                policy.max_response_depth = args.max_response_depth.unwrap_or(policy.max_response_depth);
                agents.push(AgentConfig {
                    name,
                    instructions: args.agent_instructions.clone(),
                    policy,
                    context_messages: args.context_messages.unwrap_or(20),
                    concurrency: args.concurrency.unwrap_or(4).max(1),
                    timeout: duration("agent timeout", args.agent_timeout.clone(), timeout_default, &mut problems),
                    backend,
                });
            }
        }
        for agent in &file.agents {
            let parts = BackendParts {
                kind: agent.backend.kind,
                url: agent.backend.url.clone(),
                model: agent.backend.model.clone(),
                api_key: agent.backend.api_key.clone().or_else(|| agent.backend.api_key_env.as_deref().and_then(env)),
                command: agent.backend.command.clone(),
                stream: agent.backend.stream.unwrap_or(true),
            };
            if let Some(backend) = backend(parts, &agent.name, &mut problems) {
                let mut policy = RespondPolicy::new(agent.name.clone());
                policy.answer_unmentioned = agent.answer_unmentioned.unwrap_or(false);
                policy.max_response_depth = agent.max_response_depth.unwrap_or(policy.max_response_depth);
                agents.push(AgentConfig {
                    name: agent.name.clone(),
                    instructions: agent.instructions.clone(),
                    policy,
                    context_messages: agent.context_messages.unwrap_or(20),
                    concurrency: agent.concurrency.unwrap_or(4).max(1),
                    timeout: duration("agent timeout", agent.timeout.clone(), timeout_default, &mut problems),
                    backend,
                });
            }
        }
        if agents.is_empty() && !problems.iter().any(|p| p.starts_with("agent ")) {
            problems.push(
                "no agent configured; pass --agent-name and --backend/--backend-url, or [[agents]] in the config file"
                    .into(),
            );
        }
        let mut names: Vec<String> = agents.iter().map(|a| a.name.to_lowercase()).collect();
        names.sort();
        if names.windows(2).any(|w| w[0] == w[1]) {
            problems.push("two agents have the same name; names must differ (case-insensitively)".into());
        }
        if !problems.is_empty() {
            return Err(problems);
        }
        Ok(Self {
            hub,
            credential: Credential::from_token(key.unwrap_or_default().trim()),
            mode,
            state_dir: args
                .state_dir
                .clone()
                .or(file.state_dir)
                .unwrap_or_else(|| PathBuf::from("./jaibber-bridge-state")),
            listen: args.listen.clone().or(file.listen).unwrap_or_else(|| "127.0.0.1:8787".into()),
            webhook_secrets: secrets,
            public_url,
            org_id: args.org_id.clone().or(file.org_id).map(OrgId::new),
            project_ids: if project_ids.is_empty() {
                None
            } else {
                Some(project_ids.into_iter().map(ProjectId::new).collect())
            },
            poll_interval,
            max_attempts: args.max_attempts.or(file.max_attempts).unwrap_or(8).max(1),
            timestamp_tolerance: tolerance,
            max_body_bytes: args.max_body_bytes.or(file.max_body_bytes).unwrap_or(1024 * 1024),
            heartbeat: Duration::from_secs(120),
            agents,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn no_env(_: &str) -> Option<String> {
        None
    }

    #[test]
    fn flags_define_one_agent_and_the_file_more() {
        let args = RunArgs {
            hub: Some("http://127.0.0.1:8080/".into()),
            api_key: Some("jb_x".into()),
            agent_name: Some("Coder".into()),
            backend: Some(BackendKind::Command),
            backend_command: Some("claude -p '{prompt}'".into()),
            ..RunArgs::default()
        };
        let file = "mode = \"poll\"\n[[agents]]\nname = \"Reviewer\"\nbackend = { type = \"openai\", url = \"http://127.0.0.1:1/v1\", api_key_env = \"OPENAI_KEY\" }\n";
        let env = |name: &str| (name == "OPENAI_KEY").then(|| "sk-test".to_owned());
        let config = BridgeConfig::resolve(&args, Some(file), &env).expect("valid");
        assert_eq!(config.hub, "http://127.0.0.1:8080");
        assert_eq!(config.agents.len(), 2);
        assert!(
            matches!(&config.agents[0].backend, BackendConfig::Command { argv } if argv == &["claude", "-p", "{prompt}"])
        );
        assert!(
            matches!(&config.agents[1].backend, BackendConfig::Openai { api_key: Some(k), .. } if k.expose() == "sk-test")
        );
        assert!(!format!("{config:?}").contains("sk-test"), "secrets are redacted");
    }

    #[test]
    fn every_problem_at_once() {
        let args = RunArgs {
            mode: Some(Mode::Webhook),
            agent_name: Some("A".into()),
            backend: Some(BackendKind::Http),
            ..RunArgs::default()
        };
        let problems = BridgeConfig::resolve(&args, None, &no_env).expect_err("invalid");
        assert!(problems.iter().any(|p| p.contains("hub URL is missing")), "{problems:?}");
        assert!(problems.iter().any(|p| p.contains("API key is missing")), "{problems:?}");
        assert!(problems.iter().any(|p| p.contains("webhook mode needs")), "{problems:?}");
        assert!(problems.iter().any(|p| p.contains("needs a url")), "{problems:?}");
    }
}
