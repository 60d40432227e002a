//! `/api/projects/*` and project members.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use bridge_core::model::{AddProjectMember, CreateProject, OrgRole, ProjectRole, Scope, UpdateProject, UserId};
use serde_json::json;

use super::{created, data};
use crate::auth::Caller;
use crate::auth::policy::{org_access, project_access};
use crate::body::{JsonBody, RawBody, require_uuid};
use crate::clock;
use crate::db::projects::ProjectRow;
use crate::db::{DbError, orgs, projects, users};
use crate::error::{ApiError, ApiResult};
use crate::events;
use crate::limits::{PlanPolicy, Quota, check_org, check_personal};
use crate::state::AppState;

fn validate_name(name: &str) -> ApiResult<String> {
    let name = name.trim();
    if name.is_empty() || name.chars().count() > 100 {
        return Err(ApiError::invalid("name must be 1-100 characters"));
    }
    Ok(name.to_owned())
}

/// `GET /api/projects`: the caller's projects (a key: its org's projects).
pub async fn list(State(state): State<AppState>, caller: Caller) -> ApiResult<Json<serde_json::Value>> {
    let list = state
        .db
        .read(move |conn| match &caller {
            Caller::User { user_id, .. } => projects::list_for_user(conn, user_id),
            Caller::Key { org_id, .. } => projects::list_for_org(conn, org_id),
        })
        .await?;
    Ok(Json(json!({ "projects": list })))
}

/// `POST /api/projects`.
pub async fn create(
    State(state): State<AppState>,
    caller: Caller,
    JsonBody(body): JsonBody<CreateProject>,
) -> ApiResult<Response> {
    let policy = PlanPolicy::of(&state);
    let (user_id, _) = caller.require_user()?;
    let name = validate_name(&body.name)?;
    if let Some(org) = &body.org_id {
        require_uuid("orgId", org.as_str())?;
    }
    let user_id = user_id.to_owned();
    let project = state
        .db
        .write(move |tx| {
            let org_id = body.org_id.as_ref().map(|o| o.as_str().to_owned());
            match &org_id {
                Some(org) => {
                    let access = org_access(tx, &caller, org)?;
                    check_org(tx, policy, &access.org, Quota::Projects)?;
                }
                None => check_personal(tx, policy, &user_id, Quota::Projects)?,
            }
            let row = ProjectRow {
                id: uuid::Uuid::new_v4().to_string(),
                name,
                description: body.description.clone(),
                org_id,
                created_by: user_id,
                created_at: clock::now_iso().as_str().to_owned(),
            };
            projects::insert(tx, &row)?;
            Ok(row.to_project(Some(ProjectRole::Admin)))
        })
        .await?;
    tracing::info!(project_id = %project.id, "project created");
    Ok(created(json!({ "project": project })))
}

/// `GET /api/projects/{id}`.
pub async fn get(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> ApiResult<Json<serde_json::Value>> {
    require_uuid("projectId", &id)?;
    let project = state
        .db
        .read(move |conn| {
            let access = project_access(conn, &caller, &id, &Scope::MessagesRead)?;
            Ok(access.project.to_project(access.role))
        })
        .await?;
    Ok(Json(json!({ "project": project })))
}

/// `PATCH /api/projects/{id}`.
pub async fn update(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    body: RawBody,
) -> ApiResult<Json<serde_json::Value>> {
    require_uuid("projectId", &id)?;
    let body: UpdateProject = body.parse_strict(&["name", "description"])?;
    let name = body.name.as_deref().map(validate_name).transpose()?;
    let project = state
        .db
        .write(move |tx| {
            project_access(tx, &caller, &id, &Scope::MessagesWrite)?.require_admin()?;
            projects::update(tx, &id, name.as_deref(), body.description.as_deref())?;
            let access = project_access(tx, &caller, &id, &Scope::MessagesRead)?;
            Ok(access.project.to_project(access.role))
        })
        .await?;
    Ok(Json(json!({ "project": project })))
}

/// `DELETE /api/projects/{id}`: the project and everything in it.
pub async fn delete(State(state): State<AppState>, caller: Caller, Path(id): Path<String>) -> ApiResult<StatusCode> {
    require_uuid("projectId", &id)?;
    state
        .db
        .write(move |tx| {
            let access = project_access(tx, &caller, &id, &Scope::MessagesWrite)?;
            access.require_admin()?;
            projects::delete(tx, &id)?;
            if let Some(org) = &access.project.org_id {
                events::audit(
                    tx,
                    org,
                    Some(&caller),
                    "project.deleted",
                    Some(("project", &id)),
                    json!({ "name": access.project.name }),
                )?;
            }
            Ok(())
        })
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `POST /api/projects/{id}/members`: by `userId` or `username`.
pub async fn add_member(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    JsonBody(body): JsonBody<AddProjectMember>,
) -> ApiResult<Response> {
    let policy = PlanPolicy::of(&state);
    require_uuid("projectId", &id)?;
    let role = body.role.clone().unwrap_or(ProjectRole::Member);
    if !role.is_known() {
        return Err(ApiError::invalid("role must be admin or member"));
    }
    let member = state
        .db
        .write(move |tx| {
            let access = project_access(tx, &caller, &id, &Scope::MessagesWrite)?;
            access.require_admin()?;
            let user = match (&body.user_id, &body.username) {
                (Some(user_id), _) => users::by_id(tx, user_id.as_str())?,
                (None, Some(name)) => users::by_name(tx, name.trim())?,
                (None, None) => return Err(ApiError::invalid("send userId or username").into()),
            }
            .ok_or_else(|| DbError::Api(ApiError::not_found("user")))?;
            let already = projects::member_role(tx, &id, &user.id)?.is_some();
            if let Some(org_id) = &access.project.org_id {
                if orgs::member_role(tx, org_id, &user.id)?.is_none() {
                    let org = orgs::get(tx, org_id)?.ok_or_else(|| DbError::Api(ApiError::not_found("org")))?;
                    check_org(tx, policy, &org, Quota::Members)?;
                    orgs::upsert_member(tx, org_id, &user.id, &OrgRole::Member, clock::now_iso().as_str())?;
                    events::audit(tx, org_id, Some(&caller), "member.added", Some(("user", &user.id)), json!({ "username": user.username, "role": "member", "via": "project" }))?;
                }
            } else if !already {
                let count = projects::members(tx, &id)?.len() as u64;
                let limit = bridge_core::model::PlanId::Free.limits().team_members;
                if limit.is_reached(count, 1) {
                    return Err(ApiError::plan_limit("a personal project allows 3 members on the Free plan; move it into an org on the Pro or Team plan").into());
                }
            }
            projects::upsert_member(tx, &id, &user.id, &role)?;
            Ok(bridge_core::model::ProjectMember { user_id: UserId::new(user.id), username: user.username, role: role.clone() })
        })
        .await?;
    Ok(created(json!({ "data": member })))
}

/// `GET /api/projects/{id}/members`.
pub async fn members(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> ApiResult<impl IntoResponse> {
    require_uuid("projectId", &id)?;
    let members = state
        .db
        .read(move |conn| {
            project_access(conn, &caller, &id, &Scope::MessagesRead)?;
            projects::members(conn, &id)
        })
        .await?;
    Ok(data(members))
}

/// `DELETE /api/projects/{id}/members/{userId}`: never the last admin.
pub async fn remove_member(
    State(state): State<AppState>,
    caller: Caller,
    Path((id, user)): Path<(String, String)>,
) -> ApiResult<StatusCode> {
    require_uuid("projectId", &id)?;
    require_uuid("userId", &user)?;
    state
        .db
        .write(move |tx| {
            project_access(tx, &caller, &id, &Scope::MessagesWrite)?.require_admin()?;
            let role = projects::member_role(tx, &id, &user)?
                .ok_or_else(|| DbError::Api(ApiError::not_found("project member")))?;
            if role == ProjectRole::Admin && projects::admin_count(tx, &id)? <= 1 {
                return Err(ApiError::conflict(
                    "cannot remove the last admin of a project; make another member admin first",
                )
                .into());
            }
            projects::remove_member(tx, &id, &user)?;
            Ok(())
        })
        .await?;
    Ok(StatusCode::NO_CONTENT)
}
