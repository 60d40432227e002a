//! Organizations, their members and roles, usage statistics and the audit log.

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::Extra;
use super::ids::{OrgId, UserId};
use super::plan::PlanId;
use super::timestamp::Timestamp;
use super::wire_enum::wire_enum;

wire_enum! {
    /// A member's role in an organization.
    pub enum OrgRole {
        /// Everything, including billing and deleting the org; the creator.
        Owner = "owner",
        /// Members, webhooks, API keys and analytics.
        Admin = "admin",
        /// Org projects, chat and tasks.
        Member = "member",
    }
}

impl OrgRole {
    /// Tells whether this role may administer the org (owner or admin).
    #[must_use]
    pub fn is_admin(&self) -> bool {
        matches!(self, Self::Owner | Self::Admin)
    }
}

/// An organization as listed for the caller.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Org {
    /// The org's id.
    pub id: OrgId,
    /// The org's display name.
    pub name: String,
    /// The caller's role in it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub role: Option<OrgRole>,
    /// The org's plan.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub plan: Option<PlanId>,
    /// When it was created.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created_at: Option<Timestamp>,
    /// Fields this version does not know.
    #[serde(flatten, default, skip_serializing_if = "Extra::is_empty")]
    pub extra: Extra,
}

/// Body of `POST /api/orgs`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct CreateOrg {
    /// The new org's name.
    pub name: String,
}

/// Body of `POST /api/orgs/{org}/members`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct AddOrgMember {
    /// The user to add, by name.
    pub username: String,
    /// The role to give; `member` when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub role: Option<OrgRole>,
}

/// A member of an organization.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct OrgMember {
    /// The member's user id.
    pub user_id: UserId,
    /// The member's user name.
    pub username: String,
    /// The member's role.
    pub role: OrgRole,
    /// When the member joined.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub joined_at: Option<Timestamp>,
}

/// Response of `GET /api/orgs/{org}/stats`: today's usage.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct OrgStats {
    /// Messages stored since midnight UTC.
    #[serde(default)]
    pub messages_today: u64,
    /// Task counts keyed by status.
    #[serde(default)]
    pub tasks_by_status: BTreeMap<String, u64>,
    /// Agents seen in the last 5 minutes.
    #[serde(default)]
    pub agents_online: u64,
    /// Members of the org.
    #[serde(default)]
    pub members: u64,
    /// Projects of the org.
    #[serde(default)]
    pub projects: u64,
    /// Fields this version does not know.
    #[serde(flatten, default, skip_serializing_if = "Extra::is_empty")]
    pub extra: Extra,
}

/// One entry of the org audit log (`GET /api/orgs/{org}/audit-log`, Team plan).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct AuditEntry {
    /// The entry's id.
    pub id: String,
    /// The org it belongs to.
    pub org_id: OrgId,
    /// Who acted (absent for the system, e.g. a webhook delivery attempt).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub actor_id: Option<UserId>,
    /// The actor's display name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub actor_name: Option<String>,
    /// What happened, e.g. `member.added`, `api_key.revoked`, `webhook.delivery`.
    pub action: String,
    /// The kind of thing acted on, e.g. `api_key`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target_type: Option<String>,
    /// The id of the thing acted on.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target_id: Option<String>,
    /// Action-specific details.
    #[serde(default)]
    pub details: Value,
    /// When it happened.
    pub created_at: Timestamp,
}
