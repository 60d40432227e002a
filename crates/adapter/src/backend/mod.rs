//! Agent back-ends: what the bridge calls to get an answer.
//!
//! Every call carries an idempotency key (the inbox item's key) so a back-end that
//! supports it can recognise the rare repeat after a crash mid-call.

mod a2a;
mod command;
mod http;
mod openai;
mod sse;

use std::sync::Arc;
use std::time::Duration;

use futures_util::future::BoxFuture;

use crate::config::BackendConfig;

/// What the agent is asked.
#[derive(Clone, Debug)]
pub struct AgentRequest {
    /// Stable per message or task: sent as `Idempotency-Key`.
    pub idempotency_key: String,
    /// The agent's name.
    pub agent_name: String,
    /// The agent's system prompt.
    pub instructions: Option<String>,
    /// The conversation context ending with the prompt (protocol format).
    pub context: String,
    /// The prompt alone (the message text, or `Task: …`).
    pub prompt: String,
    /// `message` or `task`.
    pub kind: &'static str,
    /// The project.
    pub project_id: String,
    /// Who and what the request comes from.
    pub origin: RequestOrigin,
}

/// Who and what a request comes from, for back-ends that keep their own conversations
/// (an OpenClaw session per project or per sender).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RequestOrigin {
    /// The message or task id.
    pub source_id: String,
    /// The sender's user id, when known.
    pub sender_id: Option<String>,
    /// The sender's display name.
    pub sender_name: Option<String>,
    /// When the message or task was created (RFC 3339).
    pub created_at: Option<String>,
}

/// An agent reached through code rather than configuration: the embedding program
/// answers the call (the OpenClaw channel engine forwards it to OpenClaw over JSON-RPC).
pub trait AgentCaller: std::fmt::Debug + Send + Sync {
    /// Asks the agent; `on_text` sees streamed text as it arrives.
    fn call<'a>(
        &'a self,
        request: &'a AgentRequest,
        on_text: &'a mut (dyn FnMut(&str) + Send),
    ) -> BoxFuture<'a, Result<AgentReply, BackendError>>;
}

/// An [`AgentCaller`] as a back-end configuration value.
#[derive(Clone, Debug)]
pub struct ExternalAgent(pub Arc<dyn AgentCaller>);

/// What the agent answered.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum AgentReply {
    /// An answer.
    Answer(String),
    /// A question back to the humans (tasks go `input-required`).
    NeedsInput(String),
}

/// Why a call failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum BackendError {
    /// The agent could not be reached or timed out; worth retrying.
    #[error("agent unavailable: {0}")]
    Unavailable(String),
    /// The agent answered with an error status.
    #[error("agent answered {status}: {detail}")]
    Status {
        /// HTTP status.
        status: u16,
        /// The body, shortened.
        detail: String,
    },
    /// The answer could not be understood.
    #[error("agent answer not understood: {0}")]
    BadAnswer(String),
    /// The agent reported a failure (CLI exit code, A2A failed state).
    #[error("agent failed: {0}")]
    Failed(String),
}

impl BackendError {
    /// Tells whether another attempt may succeed.
    #[must_use]
    pub fn is_retryable(&self) -> bool {
        match self {
            Self::Unavailable(_) => true,
            Self::Status { status, .. } => *status == 429 || *status >= 500,
            Self::BadAnswer(_) | Self::Failed(_) => false,
        }
    }
}

/// A configured back-end.
#[derive(Clone, Debug)]
pub struct Backend {
    config: BackendConfig,
    http: reqwest::Client,
}

impl Backend {
    /// Builds a back-end; `timeout` bounds each call.
    #[must_use]
    pub fn new(config: BackendConfig, timeout: Duration) -> Self {
        let http = reqwest::Client::builder()
            .timeout(timeout)
            .connect_timeout(Duration::from_secs(10))
            .user_agent(concat!("jaibber-bridge/", env!("CARGO_PKG_VERSION")))
            .build()
            .unwrap_or_default();
        Self { config, http }
    }

    /// A short description for logs and `check`.
    #[must_use]
    pub fn describe(&self) -> String {
        match &self.config {
            BackendConfig::Openai { url, model, .. } => format!("openai {url} (model {model})"),
            BackendConfig::Http { url, .. } => format!("http {url}"),
            BackendConfig::A2a { url, .. } => format!("a2a {url}"),
            BackendConfig::Command { argv } => format!("command {}", argv.first().map_or("", String::as_str)),
            BackendConfig::External(_) => "external (answered by the embedding program)".into(),
        }
    }

    /// The URL to probe in `check`, if the back-end has one.
    #[must_use]
    pub fn url(&self) -> Option<&str> {
        match &self.config {
            BackendConfig::Openai { url, .. } | BackendConfig::Http { url, .. } | BackendConfig::A2a { url, .. } => {
                Some(url)
            }
            BackendConfig::Command { .. } | BackendConfig::External(_) => None,
        }
    }

    /// Asks the agent; `on_text` sees streamed text as it arrives (OpenAI SSE).
    ///
    /// # Errors
    /// [`BackendError`].
    pub async fn call(
        &self,
        request: &AgentRequest,
        on_text: &mut (dyn FnMut(&str) + Send),
    ) -> Result<AgentReply, BackendError> {
        match &self.config {
            BackendConfig::Openai { url, model, api_key, stream } => {
                openai::call(&self.http, url, model, api_key.as_ref(), *stream, request, on_text).await
            }
            BackendConfig::Http { url, api_key } => http::call(&self.http, url, api_key.as_ref(), request).await,
            BackendConfig::A2a { url, api_key } => a2a::call(&self.http, url, api_key.as_ref(), request).await,
            BackendConfig::Command { argv } => command::call(argv, request).await,
            BackendConfig::External(agent) => agent.0.call(request, on_text).await,
        }
    }
}

/// Shortens a body for an error message.
fn shorten(text: &str) -> String {
    let text = text.trim();
    if text.chars().count() > 300 {
        format!("{}…", text.chars().take(300).collect::<String>())
    } else {
        text.to_owned()
    }
}

fn transport(err: &reqwest::Error) -> BackendError {
    if err.is_timeout() {
        BackendError::Unavailable("timed out".into())
    } else if err.is_connect() {
        BackendError::Unavailable("connection failed".into())
    } else {
        BackendError::Unavailable("request failed".into())
    }
}
