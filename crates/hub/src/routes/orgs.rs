//! `/api/orgs/*`: orgs, members, stats, audit log and API keys.

use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use bridge_core::model::{
    AddOrgMember, ApiKeyId, ApiKeySecret, CreateApiKey, CreateOrg, CreatedApiKey, OrgRole, OrgStats, Scope, Timestamp,
    UserId,
};
use serde::Deserialize;
use serde_json::json;

use super::{created, data, limit, page};
use crate::auth::Caller;
use crate::auth::caller::hash_key;
use crate::auth::policy::org_access;
use crate::body::{JsonBody, require_uuid};
use crate::clock;
use crate::db::{DbError, agents, api_keys, audit, messages, orgs, projects, tasks, users};
use crate::error::{ApiError, ApiResult};
use crate::events;
use crate::limits::{PlanPolicy, Quota, check_org};
use crate::state::AppState;

/// `GET /api/orgs`.
pub async fn list(State(state): State<AppState>, caller: Caller) -> ApiResult<Json<serde_json::Value>> {
    let orgs = state
        .db
        .read(move |conn| match &caller {
            Caller::User { user_id, .. } => orgs::list_for_user(conn, user_id),
            Caller::Key { org_id, .. } => Ok(orgs::get(conn, org_id)?.map(|o| o.to_org(None)).into_iter().collect()),
        })
        .await?;
    Ok(Json(json!({ "orgs": orgs })))
}

/// `POST /api/orgs`.
pub async fn create(
    State(state): State<AppState>,
    caller: Caller,
    JsonBody(body): JsonBody<CreateOrg>,
) -> ApiResult<Response> {
    let (user_id, _) = caller.require_user()?;
    let name = body.name.trim().to_owned();
    if name.is_empty() || name.len() > 100 {
        return Err(ApiError::invalid("name must be 1-100 characters"));
    }
    let (owner, plan) = (user_id.to_owned(), state.config.default_plan.clone());
    let org = state
        .db
        .write(move |tx| {
            let id = uuid::Uuid::new_v4().to_string();
            let now = clock::now_iso();
            orgs::insert(tx, &id, &name, &plan, &owner, now.as_str())?;
            events::audit(tx, &id, Some(&caller), "org.created", Some(("org", &id)), json!({ "name": name }))?;
            Ok(orgs::get(tx, &id)?.map(|o| o.to_org(Some(OrgRole::Owner))))
        })
        .await?
        .ok_or_else(ApiError::internal)?;
    tracing::info!(org_id = %org.id, "org created");
    Ok(created(json!({ "org": org })))
}

/// `POST /api/orgs/{org}/members`.
pub async fn add_member(
    State(state): State<AppState>,
    caller: Caller,
    Path(org): Path<String>,
    JsonBody(body): JsonBody<AddOrgMember>,
) -> ApiResult<Response> {
    let policy = PlanPolicy::of(&state);
    require_uuid("orgId", &org)?;
    caller.require_user()?;
    let member = state
        .db
        .write(move |tx| {
            let access = org_access(tx, &caller, &org)?;
            access.require_admin_or_scope(&caller, None)?;
            let role = body.role.clone().unwrap_or(OrgRole::Member);
            if !role.is_known() {
                return Err(ApiError::invalid("role must be owner, admin or member").into());
            }
            if role == OrgRole::Owner && access.role != Some(OrgRole::Owner) {
                return Err(ApiError::forbidden("only an owner can make another owner").into());
            }
            let user = users::by_name(tx, body.username.trim())?
                .ok_or_else(|| DbError::Api(ApiError::not_found(&format!("user {:?}", body.username))))?;
            let existing = orgs::member_role(tx, &org, &user.id)?;
            if existing.is_none() {
                check_org(tx, policy, &access.org, Quota::Members)?;
            }
            if existing == Some(OrgRole::Owner) && role != OrgRole::Owner && access.role != Some(OrgRole::Owner) {
                return Err(ApiError::forbidden("only an owner can change an owner's role").into());
            }
            let now = clock::now_iso();
            let previous = orgs::upsert_member(tx, &org, &user.id, &role, now.as_str())?;
            let action = if previous.is_some() { "member.role_changed" } else { "member.added" };
            events::audit(
                tx,
                &org,
                Some(&caller),
                action,
                Some(("user", &user.id)),
                json!({ "username": user.username, "role": role, "previousRole": previous }),
            )?;
            Ok(bridge_core::model::OrgMember {
                user_id: UserId::new(user.id),
                username: user.username,
                role,
                joined_at: Some(now),
            })
        })
        .await?;
    Ok(created(json!({ "data": member })))
}

/// `GET /api/orgs/{org}/members`.
pub async fn members(
    State(state): State<AppState>,
    caller: Caller,
    Path(org): Path<String>,
) -> ApiResult<impl IntoResponse> {
    require_uuid("orgId", &org)?;
    let members = state
        .db
        .read(move |conn| {
            org_access(conn, &caller, &org)?.require_member_or_scope(&caller, &Scope::AgentsRead)?;
            orgs::members(conn, &org)
        })
        .await?;
    Ok(data(members))
}

/// `GET /api/orgs/{org}/stats`.
pub async fn stats(
    State(state): State<AppState>,
    caller: Caller,
    Path(org): Path<String>,
) -> ApiResult<Json<OrgStats>> {
    require_uuid("orgId", &org)?;
    let stats = state
        .db
        .read(move |conn| {
            org_access(conn, &caller, &org)?.require_member_or_scope(&caller, &Scope::MessagesRead)?;
            let now = clock::now_ms();
            Ok(OrgStats {
                messages_today: messages::count_on_day(conn, &org, clock::now_ms())?,
                tasks_by_status: tasks::count_by_status_for_org(conn, &org)?.into_iter().collect(),
                agents_online: agents::online_for_org(conn, &org, now)?,
                members: orgs::member_count(conn, &org)?,
                projects: projects::count_for_org(conn, &org)?,
                extra: Default::default(),
            })
        })
        .await?;
    Ok(Json(stats))
}

/// Query of paginated org lists.
#[derive(Debug, Deserialize)]
pub struct BeforeQuery {
    before: Option<String>,
    limit: Option<u32>,
}

/// `GET /api/orgs/{org}/audit-log` (Team plan).
pub async fn audit_log(
    State(state): State<AppState>,
    caller: Caller,
    Path(org): Path<String>,
    Query(query): Query<BeforeQuery>,
) -> ApiResult<impl IntoResponse> {
    require_uuid("orgId", &org)?;
    let limit = limit(query.limit, 50)?;
    let before = super::seq_cursor(query.before.as_deref())?;
    let (entries, more, cursor) = state
        .db
        .read(move |conn| {
            let access = org_access(conn, &caller, &org)?;
            access.require_admin_or_scope(&caller, None)?;
            if !access.org.plan.limits().audit_logs {
                return Err(ApiError::plan_limit(format!(
                    "the audit log is part of the Team plan; this org is on {}",
                    access.org.plan.plan().name
                ))
                .into());
            }
            audit::page(conn, &org, before, limit)
        })
        .await?;
    Ok(page(entries, more, cursor))
}

/// `POST /api/orgs/{org}/api-keys`.
pub async fn create_key(
    State(state): State<AppState>,
    caller: Caller,
    Path(org): Path<String>,
    JsonBody(body): JsonBody<CreateApiKey>,
) -> ApiResult<Response> {
    let policy = PlanPolicy::of(&state);
    require_uuid("orgId", &org)?;
    let name = body.name.trim().to_owned();
    if name.is_empty() || name.len() > 100 {
        return Err(ApiError::invalid("name must be 1-100 characters"));
    }
    if body.scopes.is_empty() {
        return Err(ApiError::invalid(format!(
            "scopes must name at least one of: {}",
            Scope::KNOWN.iter().map(Scope::as_str).collect::<Vec<_>>().join(", ")
        )));
    }
    if let Some(unknown) = body.scopes.iter().find(|s| !s.is_known()) {
        return Err(ApiError::invalid(format!(
            "unknown scope {unknown}; known scopes: {}",
            Scope::KNOWN.iter().map(Scope::as_str).collect::<Vec<_>>().join(", ")
        )));
    }
    if body.rate_limit_per_minute == Some(0) {
        return Err(ApiError::invalid("rateLimitPerMinute must be at least 1"));
    }
    let rate = body.rate_limit_per_minute.unwrap_or(state.config.rate_limit_per_minute);
    let created_key = state
        .db
        .write(move |tx| {
            let access = org_access(tx, &caller, &org)?;
            access.require_admin_or_scope(&caller, None)?;
            check_org(tx, policy, &access.org, Quota::ApiKeys)?;
            let secret = ApiKeySecret::new(format!("jb_{}", hex::encode(rand::random::<[u8; 24]>())));
            let id = uuid::Uuid::new_v4().to_string();
            let now = clock::now_iso();
            let prefix = secret.display_prefix();
            api_keys::insert(
                tx,
                &api_keys::NewKey {
                    id: &id,
                    org_id: &org,
                    name: &name,
                    prefix: &prefix,
                    key_hash: &hash_key(secret.expose()),
                    scopes: &body.scopes,
                    rate_limit_per_minute: rate,
                    created_by: caller.user_id(),
                    created_at: now.as_str(),
                },
            )?;
            events::audit(
                tx,
                &org,
                Some(&caller),
                "api_key.created",
                Some(("api_key", &id)),
                json!({ "name": name, "scopes": body.scopes, "prefix": prefix }),
            )?;
            Ok(CreatedApiKey {
                id: ApiKeyId::new(id),
                key: secret,
                name,
                scopes: body.scopes,
                prefix: Some(prefix),
                rate_limit_per_minute: Some(rate),
                created_at: Some(now),
            })
        })
        .await?;
    Ok(created(created_key))
}

/// `GET /api/orgs/{org}/api-keys`.
pub async fn list_keys(
    State(state): State<AppState>,
    caller: Caller,
    Path(org): Path<String>,
) -> ApiResult<impl IntoResponse> {
    require_uuid("orgId", &org)?;
    let keys = state
        .db
        .read(move |conn| {
            org_access(conn, &caller, &org)?.require_admin_or_scope(&caller, None)?;
            api_keys::list(conn, &org)
        })
        .await?;
    Ok(data(keys))
}

/// `DELETE /api/orgs/{org}/api-keys/{keyId}`: revoked at once.
pub async fn revoke_key(
    State(state): State<AppState>,
    caller: Caller,
    Path((org, key)): Path<(String, String)>,
) -> ApiResult<StatusCode> {
    require_uuid("orgId", &org)?;
    require_uuid("keyId", &key)?;
    let revoked = key.clone();
    state
        .db
        .write(move |tx| {
            org_access(tx, &caller, &org)?.require_admin_or_scope(&caller, None)?;
            if !api_keys::revoke(tx, &org, &key, Timestamp::now().as_str())? {
                return Err(ApiError::not_found("API key").into());
            }
            events::audit(tx, &org, Some(&caller), "api_key.revoked", Some(("api_key", &key)), json!({}))?;
            Ok(())
        })
        .await?;
    state.forget_key(&revoked);
    Ok(StatusCode::NO_CONTENT)
}
