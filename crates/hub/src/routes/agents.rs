//! Agents: registration, heartbeat, discovery and project assignment.

use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use bridge_core::model::{
    Agent, AgentAssignment, AgentId, AssignAgent, Heartbeat, OrgId, RegisterAgent, Scope, Timestamp, Vendor,
    WebhookPayload,
};
use serde::Deserialize;
use serde_json::json;

use super::{created, data};
use crate::auth::policy::org_access;
use crate::auth::{Caller, MaybeCaller};
use crate::body::{JsonBody, require_uuid};
use crate::db::{DbError, agents, projects};
use crate::error::{ApiError, ApiResult};
use crate::limits::{PlanPolicy, Quota, check_org};
use crate::state::AppState;
use crate::{clock, events};

/// `POST /api/orgs/{org}/agents`.
pub async fn register(
    State(state): State<AppState>,
    caller: Caller,
    Path(org): Path<String>,
    JsonBody(body): JsonBody<RegisterAgent>,
) -> ApiResult<Response> {
    let policy = PlanPolicy::of(&state);
    require_uuid("orgId", &org)?;
    let name = body.name.trim().to_owned();
    if name.is_empty() || name.chars().count() > 64 {
        return Err(ApiError::invalid("name must be 1-64 characters"));
    }
    if name.contains('@') {
        return Err(ApiError::invalid("name must not contain '@'; it is what people type after it"));
    }
    let (agent, fresh) = state
        .db
        .write(move |tx| {
            let access = org_access(tx, &caller, &org)?;
            access.require_admin_or_scope(&caller, Some(&Scope::AgentsWrite))?;
            // Registering a name the org already has is a re-registration (an agent process
            // that lost its state, like the official adapters after a restart): the agent
            // keeps its id and takes the new description. Names stay unique per org, since
            // @mentions route by name.
            if let Some(mut existing) = agents::find_by_name(tx, &org, &name, clock::now_ms())? {
                existing.description = body.description;
                existing.vendor = if body.vendor.is_known() { body.vendor } else { Vendor::Custom };
                existing.capabilities = body.capabilities;
                existing.services = body.services;
                existing.discoverable = body.discoverable;
                existing.endpoint_url = body.endpoint_url;
                let mut stored = existing.clone();
                stored.last_seen_at = None;
                stored.is_online = false;
                agents::update_body(tx, &stored)?;
                events::audit(
                    tx,
                    &org,
                    Some(&caller),
                    "agent.reregistered",
                    Some(("agent", existing.id.as_str())),
                    json!({ "name": name }),
                )?;
                return Ok((existing, false));
            }
            check_org(tx, policy, &access.org, Quota::Agents)?;
            let agent = Agent {
                id: AgentId::new(uuid::Uuid::new_v4().to_string()),
                org_id: Some(OrgId::new(org.clone())),
                name: name.clone(),
                description: body.description,
                vendor: if body.vendor.is_known() { body.vendor } else { Vendor::Custom },
                capabilities: body.capabilities,
                services: body.services,
                discoverable: body.discoverable,
                endpoint_url: body.endpoint_url,
                avatar_url: None,
                last_seen_at: None,
                is_online: false,
                extra: Default::default(),
            };
            if !agents::insert(tx, &agent, &org)? {
                return Err(ApiError::conflict(format!(
                    "an agent named {name:?} already exists in this org; reuse its id or pick another name"
                ))
                .into());
            }
            events::audit(
                tx,
                &org,
                Some(&caller),
                "agent.registered",
                Some(("agent", agent.id.as_str())),
                json!({ "name": name }),
            )?;
            Ok((agent, true))
        })
        .await?;
    let body = bridge_core::model::DataEnvelope { data: agent };
    Ok(if fresh { created(body) } else { (StatusCode::OK, Json(body)).into_response() })
}

/// `GET /api/orgs/{org}/agents`.
pub async fn list(
    State(state): State<AppState>,
    caller: Caller,
    Path(org): Path<String>,
) -> ApiResult<impl IntoResponse> {
    require_uuid("orgId", &org)?;
    let list = state
        .db
        .read(move |conn| {
            org_access(conn, &caller, &org)?.require_member_or_scope(&caller, &Scope::AgentsRead)?;
            agents::list_for_org(conn, &org, clock::now_ms())
        })
        .await?;
    Ok(data(list))
}

/// `POST /api/agents/{id}/heartbeat`.
pub async fn heartbeat(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> ApiResult<Json<Heartbeat>> {
    require_uuid("agentId", &id)?;
    let now = clock::now_ms();
    state
        .db
        .write(move |tx| {
            let (_, org) = agents::get(tx, &id, now)?.ok_or_else(|| DbError::Api(ApiError::not_found("agent")))?;
            org_access(tx, &caller, &org)
                .map_err(|_| DbError::Api(ApiError::not_found("agent")))?
                .require_member_or_scope(&caller, &Scope::AgentsWrite)?;
            agents::heartbeat(tx, &id, now)?;
            Ok(())
        })
        .await?;
    Ok(Json(Heartbeat { ok: true, last_seen_at: Timestamp::from_unix_millis(now) }))
}

/// Query of `GET /api/agents/discover`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DiscoverQuery {
    service: Option<String>,
    vendor: Option<String>,
    org_id: Option<String>,
    limit: Option<u32>,
}

/// `GET /api/agents/discover`: discoverable agents for anyone; a key with
/// `agents:read` also sees its own org's private agents. A bare array, as documented.
pub async fn discover(
    State(state): State<AppState>,
    MaybeCaller(caller): MaybeCaller,
    Query(query): Query<DiscoverQuery>,
) -> ApiResult<Json<Vec<Agent>>> {
    let limit = super::limit(query.limit, 50)?;
    let own_org = match &caller {
        Some(key @ Caller::Key { org_id, .. }) => {
            key.require_scope(&Scope::AgentsRead)?;
            Some(org_id.clone())
        }
        _ => None,
    };
    let vendor = query.vendor.as_deref().map(Vendor::from_wire);
    let service = query.service.clone();
    let found = state
        .db
        .read(move |conn| agents::discover(conn, query.org_id.as_deref(), own_org.as_deref(), 1_000, clock::now_ms()))
        .await?
        .into_iter()
        .filter(|a| vendor.as_ref().is_none_or(|v| &a.vendor == v))
        .filter(|a| service.as_ref().is_none_or(|s| a.services.iter().any(|x| x.eq_ignore_ascii_case(s))))
        .take(limit as usize)
        .collect();
    Ok(Json(found))
}

/// `POST /api/orgs/{org}/agents/{agentId}/projects`: idempotent; `agent.assigned` fires
/// when the agent was not in the project yet.
pub async fn assign(
    State(state): State<AppState>,
    caller: Caller,
    Path((org, agent)): Path<(String, String)>,
    JsonBody(body): JsonBody<AssignAgent>,
) -> ApiResult<Response> {
    require_uuid("orgId", &org)?;
    require_uuid("agentId", &agent)?;
    require_uuid("projectId", body.project_id.as_str())?;
    let notify = state.outbox.clone();
    let (assignment, fresh) = state
        .db
        .write(move |tx| {
            let (assignment, project) = load_assignment(tx, &caller, &org, &agent, body.project_id.as_str())?;
            let fresh = agents::assign(tx, &agent, &project)?;
            if fresh {
                events::emit(tx, Some(&org), Some(&project), WebhookPayload::AgentAssigned(assignment.clone()))?;
            }
            Ok((assignment, fresh))
        })
        .await?;
    notify.notify_one();
    let status = if fresh { StatusCode::CREATED } else { StatusCode::OK };
    Ok((status, Json(json!({ "data": assignment }))).into_response())
}

/// Query of the unassign call.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct UnassignQuery {
    project_id: Option<String>,
}

/// `DELETE /api/orgs/{org}/agents/{agentId}/projects?projectId=`.
pub async fn unassign(
    State(state): State<AppState>,
    caller: Caller,
    Path((org, agent)): Path<(String, String)>,
    Query(query): Query<UnassignQuery>,
) -> ApiResult<StatusCode> {
    require_uuid("orgId", &org)?;
    require_uuid("agentId", &agent)?;
    let project = query.project_id.ok_or_else(|| ApiError::invalid("projectId query parameter is required"))?;
    require_uuid("projectId", &project)?;
    let notify = state.outbox.clone();
    state
        .db
        .write(move |tx| {
            let (assignment, project) = load_assignment(tx, &caller, &org, &agent, &project)?;
            if !agents::unassign(tx, &agent, &project)? {
                return Err(ApiError::not_found("assignment of this agent to this project").into());
            }
            events::emit(tx, Some(&org), Some(&project), WebhookPayload::AgentUnassigned(assignment))?;
            Ok(())
        })
        .await?;
    notify.notify_one();
    Ok(StatusCode::NO_CONTENT)
}

fn load_assignment(
    tx: &rusqlite::Connection,
    caller: &Caller,
    org: &str,
    agent: &str,
    project: &str,
) -> Result<(AgentAssignment, String), DbError> {
    org_access(tx, caller, org)?.require_admin_or_scope(caller, Some(&Scope::AgentsManage))?;
    let (agent_row, agent_org) =
        agents::get(tx, agent, clock::now_ms())?.ok_or_else(|| DbError::Api(ApiError::not_found("agent")))?;
    if agent_org != org {
        return Err(ApiError::not_found("agent").into());
    }
    let project_row = projects::get(tx, project)?
        .filter(|p| p.org_id.as_deref() == Some(org))
        .ok_or_else(|| DbError::Api(ApiError::not_found("project in this org")))?;
    let assignment = AgentAssignment {
        agent_id: agent_row.id,
        agent_name: agent_row.name,
        project_id: project_row.to_project(None).id,
        extra: Default::default(),
    };
    Ok((assignment, project_row.id))
}
