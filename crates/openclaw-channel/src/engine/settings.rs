//! One account's settings, as the plugin passes them from `channels.jaibber` (or
//! `channels.jaibber.accounts.<id>`) of the OpenClaw config, and their validation.
//!
//! Every problem is reported at once, in words that name the config key to fix.

use std::time::Duration;

use bridge_core::client::{ApiKeyHeader, Credential};
use bridge_core::model::secret::{ApiKeySecret, Jwt};
use bridge_core::routing::RespondPolicy;
use serde::Deserialize;

/// When the agent answers.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum MentionPolicy {
    /// Only messages that `@mention` the agent (the SDK's rule).
    #[default]
    Mention,
    /// Also human messages that mention nobody; agent messages still need a mention.
    All,
}

/// Which OpenClaw session a message lands in.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum SessionScope {
    /// One session per project: the agent sees the channel as one conversation.
    #[default]
    Project,
    /// One session per project and sender.
    Sender,
}

/// The settings of one account.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct AccountSettings {
    /// The Jaibber server (e.g. `https://api.jaibber.com` or a hub on loopback).
    pub hub_url: String,
    /// An org API key (`jb_…`), sent as `X-API-Key`.
    #[serde(default)]
    pub api_key: Option<ApiKeySecret>,
    /// A user's JWT, sent as `Authorization: Bearer`.
    #[serde(default)]
    pub token: Option<Jwt>,
    /// Projects to serve, by id or name; empty serves every project the credential sees.
    #[serde(default)]
    pub projects: Vec<String>,
    /// The agent's name in the channel (what people `@mention`).
    #[serde(default = "default_agent_name")]
    pub agent_name: String,
    /// The agent's instructions, shown in presence and registered with the agent.
    #[serde(default)]
    pub agent_instructions: Option<String>,
    /// When the agent answers.
    #[serde(default)]
    pub mention_policy: MentionPolicy,
    /// Messages at this agent-to-agent depth or deeper are not answered.
    #[serde(default = "default_max_response_depth")]
    pub max_response_depth: u32,
    /// Which OpenClaw session a message lands in.
    #[serde(default)]
    pub session_scope: SessionScope,
    /// Listen on the realtime channels (and stream answers live); `false` polls REST.
    #[serde(default = "default_true")]
    pub realtime: bool,
    /// The org the agent is registered in, when the credential sees several.
    #[serde(default)]
    pub org_id: Option<String>,
    /// How long one OpenClaw turn may take before it is retried.
    #[serde(default = "default_turn_timeout_seconds")]
    pub turn_timeout_seconds: u64,
    /// Turns in flight at once.
    #[serde(default = "default_concurrency")]
    pub concurrency: usize,
    /// Channel messages given to the agent with each prompt (1 = the message alone;
    /// OpenClaw keeps its own session history).
    #[serde(default = "default_context_messages")]
    pub context_messages: usize,
    /// Poll interval in milliseconds when `realtime` is off.
    #[serde(default = "default_poll_interval_ms")]
    pub poll_interval_ms: u64,
}

fn default_agent_name() -> String {
    "OpenClaw".into()
}
fn default_max_response_depth() -> u32 {
    bridge_core::routing::respond::DEFAULT_MAX_RESPONSE_DEPTH
}
fn default_true() -> bool {
    true
}
fn default_turn_timeout_seconds() -> u64 {
    300
}
fn default_concurrency() -> usize {
    2
}
fn default_context_messages() -> usize {
    1
}
fn default_poll_interval_ms() -> u64 {
    2000
}

impl AccountSettings {
    /// Checks everything and reports every problem at once.
    ///
    /// # Errors
    /// The problems, one per line, each naming the key to fix.
    pub fn validate(&self) -> Result<(), String> {
        let mut problems = Vec::new();
        let url = self.hub_url.trim();
        if url.is_empty() {
            problems.push("hubUrl is empty; set channels.jaibber.hubUrl to the Jaibber server URL".to_owned());
        } else if !(url.starts_with("http://") || url.starts_with("https://")) {
            problems.push(format!("hubUrl {url:?} is not an http(s) URL"));
        }
        match (self.api_key.as_ref().filter(|k| !k.is_empty()), self.token.as_ref().filter(|t| !t.is_empty())) {
            (None, None) => problems.push("no credential; set channels.jaibber.apiKey (jb_…) or token".to_owned()),
            (Some(_), Some(_)) => problems.push("both apiKey and token are set; keep one".to_owned()),
            (Some(key), None) if !key.expose().starts_with("jb_") => {
                problems.push("apiKey does not start with jb_; an API key from Jaibber does".to_owned());
            }
            _ => {}
        }
        if self.agent_name.trim().is_empty() {
            problems.push("agentName is empty; set the name people @mention".to_owned());
        }
        if self.turn_timeout_seconds == 0 {
            problems.push("turnTimeoutSeconds must be at least 1".to_owned());
        }
        if self.concurrency == 0 {
            problems.push("concurrency must be at least 1".to_owned());
        }
        if self.projects.iter().any(|p| p.trim().is_empty()) {
            problems.push("projects has an empty entry".to_owned());
        }
        if problems.is_empty() { Ok(()) } else { Err(problems.join("; ")) }
    }

    /// The credential to use.
    #[must_use]
    pub fn credential(&self) -> Credential {
        match (&self.api_key, &self.token) {
            (Some(key), _) if !key.is_empty() => Credential::api_key(key.expose(), ApiKeyHeader::XApiKey),
            (_, Some(token)) => Credential::from_token(token.expose()),
            _ => Credential::None,
        }
    }

    /// The hub URL without a trailing slash.
    #[must_use]
    pub fn hub(&self) -> String {
        self.hub_url.trim().trim_end_matches('/').to_owned()
    }

    /// The routing policy.
    #[must_use]
    pub fn policy(&self) -> RespondPolicy {
        RespondPolicy {
            agent_name: self.agent_name.trim().to_owned(),
            max_response_depth: self.max_response_depth,
            answer_unmentioned: self.mention_policy == MentionPolicy::All,
        }
    }

    /// How long one turn may take.
    #[must_use]
    pub fn turn_timeout(&self) -> Duration {
        Duration::from_secs(self.turn_timeout_seconds)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(value: serde_json::Value) -> AccountSettings {
        serde_json::from_value(value).expect("settings")
    }

    #[test]
    fn defaults_follow_the_sdk() {
        let settings = parse(serde_json::json!({"hubUrl": "http://127.0.0.1:1/", "apiKey": "jb_x"}));
        assert!(settings.validate().is_ok());
        assert_eq!(settings.hub(), "http://127.0.0.1:1");
        assert_eq!(settings.agent_name, "OpenClaw");
        assert_eq!(settings.max_response_depth, 3);
        assert!(settings.realtime);
        assert!(!settings.policy().answer_unmentioned);
        assert!(matches!(settings.credential(), Credential::ApiKey { .. }));
    }

    #[test]
    fn every_problem_is_named_at_once() {
        let settings = parse(serde_json::json!({"hubUrl": "ftp://x", "agentName": " ", "concurrency": 0}));
        let problems = settings.validate().expect_err("invalid");
        for needle in ["hubUrl", "apiKey", "agentName", "concurrency"] {
            assert!(problems.contains(needle), "{needle} missing from {problems}");
        }
        let both = parse(serde_json::json!({"hubUrl": "http://h", "apiKey": "jb_1", "token": "eyJ"}));
        assert!(both.validate().expect_err("both").contains("keep one"));
    }

    #[test]
    fn secrets_stay_out_of_debug() {
        let settings = parse(serde_json::json!({"hubUrl": "http://h", "apiKey": "jb_supersecret"}));
        assert!(!format!("{settings:?}").contains("supersecret"));
    }

    #[test]
    fn policies_parse() {
        let settings = parse(serde_json::json!({
            "hubUrl": "http://h", "token": "t", "mentionPolicy": "all", "sessionScope": "sender"
        }));
        assert!(settings.policy().answer_unmentioned);
        assert_eq!(settings.session_scope, SessionScope::Sender);
        assert!(matches!(settings.credential(), Credential::Jwt(_)));
    }
}
