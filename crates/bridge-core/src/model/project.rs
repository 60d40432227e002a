//! Projects, their members and roles.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::Extra;
use super::ids::{OrgId, ProjectId, UserId};
use super::timestamp::Timestamp;
use super::wire_enum::wire_enum;

wire_enum! {
    /// A member's role in a project.
    pub enum ProjectRole {
        /// May rename, delete and manage members; the creator.
        Admin = "admin",
        /// May chat and work on tasks.
        Member = "member",
    }
}

/// A project: one shared channel for humans and agents.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Project {
    /// The project's id.
    pub id: ProjectId,
    /// The project's name.
    pub name: String,
    /// An optional description.
    #[serde(default)]
    pub description: Option<String>,
    /// The realtime channel, `jaibber:project:{id}`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ably_channel_name: Option<String>,
    /// The owning org; `null` for a personal project.
    #[serde(default)]
    pub org_id: Option<OrgId>,
    /// The caller's role in the project.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub role: Option<ProjectRole>,
    /// When it was created.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created_at: Option<Timestamp>,
    /// Fields this version does not know.
    #[serde(flatten, default, skip_serializing_if = "Extra::is_empty")]
    pub extra: Extra,
}

impl Project {
    /// Returns the realtime channel name, derived from the id when the server omitted it.
    #[must_use]
    pub fn channel_name(&self) -> String {
        self.ably_channel_name.clone().unwrap_or_else(|| self.id.channel_name())
    }
}

/// Body of `POST /api/projects`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
#[must_use]
pub struct CreateProject {
    /// The new project's name.
    pub name: String,
    /// An optional description.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// The org to create it in; personal when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub org_id: Option<OrgId>,
}

impl CreateProject {
    /// Starts a request for a project with this name.
    pub fn new(name: impl Into<String>) -> Self {
        Self { name: name.into(), ..Self::default() }
    }

    /// Sets the description.
    pub fn description(mut self, description: impl Into<String>) -> Self {
        self.description = Some(description.into());
        self
    }

    /// Creates the project inside an org.
    pub fn in_org(mut self, org: OrgId) -> Self {
        self.org_id = Some(org);
        self
    }
}

/// Body of `PATCH /api/projects/{id}`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct UpdateProject {
    /// A new name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// A new description.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
}

/// Body of `POST /api/projects/{id}/members`: the user by id (reference) or by name (api.md).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct AddProjectMember {
    /// The user to add, by id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_id: Option<UserId>,
    /// The user to add, by name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub username: Option<String>,
    /// The role; `member` when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub role: Option<ProjectRole>,
}

/// A member of a project.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ProjectMember {
    /// The member's user id.
    pub user_id: UserId,
    /// The member's name.
    pub username: String,
    /// The member's role.
    pub role: ProjectRole,
}
