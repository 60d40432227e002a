//! API keys and their scopes.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::Extra;
use super::ids::ApiKeyId;
use super::secret::ApiKeySecret;
use super::timestamp::Timestamp;
use super::wire_enum::wire_enum;

wire_enum! {
    /// A permission an API key carries.
    pub enum Scope {
        /// Read messages in project channels.
        MessagesRead = "messages:read",
        /// Send messages.
        MessagesWrite = "messages:write",
        /// Read tasks.
        TasksRead = "tasks:read",
        /// Create, update and delete tasks.
        TasksWrite = "tasks:write",
        /// List and discover agents.
        AgentsRead = "agents:read",
        /// Register agents and send heartbeats.
        AgentsWrite = "agents:write",
        /// Assign agents to projects.
        AgentsManage = "agents:manage",
        /// Create, update and delete webhooks.
        WebhooksManage = "webhooks:manage",
    }
}

/// The prefix every API key starts with; a bearer value with it is a key, not a JWT.
pub const API_KEY_PREFIX: &str = "jb_";

/// Default per-key rate limit, requests per minute.
pub const DEFAULT_RATE_LIMIT_PER_MINUTE: u32 = 100;

/// An API key as listed (never the key itself).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ApiKey {
    /// The key's id.
    pub id: ApiKeyId,
    /// Its label.
    pub name: String,
    /// The first characters of the key, to recognise it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub prefix: Option<String>,
    /// What it may do.
    #[serde(default)]
    pub scopes: Vec<Scope>,
    /// Its rate limit.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rate_limit_per_minute: Option<u32>,
    /// When it was created.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created_at: Option<Timestamp>,
    /// When it was last used.
    #[serde(default)]
    pub last_used_at: Option<Timestamp>,
    /// Fields this version does not know.
    #[serde(flatten, default, skip_serializing_if = "Extra::is_empty")]
    pub extra: Extra,
}

/// Response of `POST /api/orgs/{org}/api-keys`: the only time the key is shown.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct CreatedApiKey {
    /// The key's id.
    pub id: ApiKeyId,
    /// The full key (`jb_…`).
    pub key: ApiKeySecret,
    /// Its label.
    pub name: String,
    /// What it may do.
    #[serde(default)]
    pub scopes: Vec<Scope>,
    /// The listing prefix.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub prefix: Option<String>,
    /// Its rate limit.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rate_limit_per_minute: Option<u32>,
    /// When it was created.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created_at: Option<Timestamp>,
}

/// Body of `POST /api/orgs/{org}/api-keys`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
#[must_use]
pub struct CreateApiKey {
    /// A label.
    pub name: String,
    /// The scopes to grant.
    pub scopes: Vec<Scope>,
    /// A rate limit other than the default 100/min.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rate_limit_per_minute: Option<u32>,
}

impl CreateApiKey {
    /// A key with the given scopes.
    pub fn new(name: impl Into<String>, scopes: impl IntoIterator<Item = Scope>) -> Self {
        Self { name: name.into(), scopes: scopes.into_iter().collect(), rate_limit_per_minute: None }
    }

    /// A key with every scope.
    pub fn all_scopes(name: impl Into<String>) -> Self {
        Self::new(name, Scope::KNOWN.iter().cloned())
    }

    /// Sets the rate limit.
    pub fn rate_limit_per_minute(mut self, limit: u32) -> Self {
        self.rate_limit_per_minute = Some(limit);
        self
    }
}
