//! Presence data entered on realtime channels.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::Extra;
use super::ids::{ProjectId, UserId};

/// The name of the global presence channel.
pub const GLOBAL_PRESENCE_CHANNEL: &str = "jaibber:presence";

/// One agent served by a presence member (a machine may run several).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct PresenceAgent {
    /// The agent's name.
    pub agent_name: String,
    /// Its system prompt, shown to humans.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub agent_instructions: Option<String>,
}

/// Presence data on a project channel.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ProjectPresence {
    /// The member's user id.
    pub user_id: UserId,
    /// The member's display name.
    #[serde(default)]
    pub username: String,
    /// Whether the member is an agent.
    pub is_agent: bool,
    /// The agent's name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub agent_name: Option<String>,
    /// The agent's system prompt.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub agent_instructions: Option<String>,
    /// The machine the agent runs on.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub machine_name: Option<String>,
    /// Every agent this member serves.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub agents: Option<Vec<PresenceAgent>>,
    /// Fields this version does not know.
    #[serde(flatten, default, skip_serializing_if = "Extra::is_empty")]
    pub extra: Extra,
}

impl ProjectPresence {
    /// Presence of one agent.
    pub fn agent(user_id: UserId, agent_name: impl Into<String>, instructions: Option<String>) -> Self {
        let agent_name = agent_name.into();
        Self {
            user_id,
            username: agent_name.clone(),
            is_agent: true,
            agents: Some(vec![PresenceAgent {
                agent_name: agent_name.clone(),
                agent_instructions: instructions.clone(),
            }]),
            agent_name: Some(agent_name),
            agent_instructions: instructions,
            machine_name: None,
            extra: Extra::new(),
        }
    }
}

/// Presence data on the global channel `jaibber:presence`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct GlobalPresence {
    /// The member's user id.
    pub user_id: UserId,
    /// The member's display name.
    #[serde(default)]
    pub username: String,
    /// The projects the member is in.
    pub project_ids: Vec<ProjectId>,
    /// Fields this version does not know.
    #[serde(flatten, default, skip_serializing_if = "Extra::is_empty")]
    pub extra: Extra,
}

/// Any presence data: global (has `projectIds`) or per project (has `isAgent`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(untagged)]
pub enum PresenceData {
    /// On `jaibber:presence`.
    Global(GlobalPresence),
    /// On a project channel.
    Project(ProjectPresence),
}
