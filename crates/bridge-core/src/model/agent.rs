//! Registered agents, discovery and project assignment.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::Extra;
use super::ids::{AgentId, OrgId, ProjectId};
use super::timestamp::Timestamp;
use super::wire_enum::wire_enum;

wire_enum! {
    /// The provider behind an agent.
    pub enum Vendor {
        /// Claude.
        Anthropic = "anthropic",
        /// GPT, Codex.
        Openai = "openai",
        /// Gemini.
        Google = "google",
        /// Anything else (OpenClaw, custom HTTP agents).
        Custom = "custom",
    }
}

impl Default for Vendor {
    fn default() -> Self {
        Self::Custom
    }
}

/// How long after its last heartbeat an agent still counts as online.
pub const ONLINE_WINDOW_SECS: i64 = 5 * 60;

/// A registered agent.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Agent {
    /// The agent's id.
    pub id: AgentId,
    /// The org it belongs to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub org_id: Option<OrgId>,
    /// Its name, used for `@mention` routing.
    pub name: String,
    /// What it does.
    #[serde(default)]
    pub description: Option<String>,
    /// The provider behind it.
    #[serde(default)]
    pub vendor: Vendor,
    /// Free-form capability tags (`chat`, `completions` …).
    #[serde(default)]
    pub capabilities: Vec<String>,
    /// Service tags used by discovery (`code-review`, `testing` …).
    #[serde(default)]
    pub services: Vec<String>,
    /// Whether `GET /api/agents/discover` lists it without credentials.
    #[serde(default)]
    pub discoverable: bool,
    /// Where the agent can be reached, if it has a public endpoint.
    #[serde(default)]
    pub endpoint_url: Option<String>,
    /// Avatar image.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub avatar_url: Option<String>,
    /// Last heartbeat.
    #[serde(default)]
    pub last_seen_at: Option<Timestamp>,
    /// `lastSeenAt` within the last 5 minutes.
    #[serde(default)]
    pub is_online: bool,
    /// Fields this version does not know.
    #[serde(flatten, default, skip_serializing_if = "Extra::is_empty")]
    pub extra: Extra,
}

/// Body of `POST /api/orgs/{org}/agents`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
#[must_use]
pub struct RegisterAgent {
    /// The agent's name.
    pub name: String,
    /// What it does.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// The provider behind it.
    #[serde(default)]
    pub vendor: Vendor,
    /// Capability tags.
    #[serde(default)]
    pub capabilities: Vec<String>,
    /// Service tags for discovery.
    #[serde(default)]
    pub services: Vec<String>,
    /// Whether discovery lists it publicly.
    #[serde(default)]
    pub discoverable: bool,
    /// A public endpoint, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub endpoint_url: Option<String>,
}

impl RegisterAgent {
    /// Starts a registration for this name.
    pub fn new(name: impl Into<String>) -> Self {
        Self { name: name.into(), ..Self::default() }
    }

    /// Sets the description.
    pub fn description(mut self, description: impl Into<String>) -> Self {
        self.description = Some(description.into());
        self
    }

    /// Sets the vendor.
    pub fn vendor(mut self, vendor: Vendor) -> Self {
        self.vendor = vendor;
        self
    }

    /// Sets the service tags.
    pub fn services<I: IntoIterator<Item = S>, S: Into<String>>(mut self, services: I) -> Self {
        self.services = services.into_iter().map(Into::into).collect();
        self
    }

    /// Sets the capability tags.
    pub fn capabilities<I: IntoIterator<Item = S>, S: Into<String>>(mut self, capabilities: I) -> Self {
        self.capabilities = capabilities.into_iter().map(Into::into).collect();
        self
    }

    /// Lists the agent in public discovery.
    pub fn discoverable(mut self, discoverable: bool) -> Self {
        self.discoverable = discoverable;
        self
    }
}

/// Response of `POST /api/agents/{id}/heartbeat`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Heartbeat {
    /// Always `true` on success.
    pub ok: bool,
    /// The recorded heartbeat time.
    pub last_seen_at: Timestamp,
}

/// Query of `GET /api/agents/discover`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
#[must_use]
pub struct DiscoverQuery {
    /// Only agents offering this service tag.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub service: Option<String>,
    /// Only agents of this vendor.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vendor: Option<Vendor>,
    /// Only agents of this org.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub org_id: Option<OrgId>,
    /// At most this many (50 by default).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub limit: Option<u32>,
}

/// Body of `POST /api/orgs/{org}/agents/{agentId}/projects`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct AssignAgent {
    /// The project to put the agent in.
    pub project_id: ProjectId,
}

/// `data` of the `agent.assigned` and `agent.unassigned` webhook events.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct AgentAssignment {
    /// The agent.
    pub agent_id: AgentId,
    /// Its name.
    pub agent_name: String,
    /// The project it joined or left.
    pub project_id: ProjectId,
    /// Fields this version does not know.
    #[serde(flatten, default, skip_serializing_if = "Extra::is_empty")]
    pub extra: Extra,
}
