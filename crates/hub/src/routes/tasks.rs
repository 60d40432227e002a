//! `/api/projects/{id}/tasks` and `/api/tasks/{taskId}`.

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use bridge_core::model::{
    CreateTask, CreatorType, Scope, Task, TaskId, TaskPriority, TaskStatus, Timestamp, UpdateTask, UserId,
    WebhookPayload,
};
use serde::Deserialize;
use serde_json::Value;

use super::messages::bound;
use super::{created, data, limit, page};
use crate::auth::Caller;
use crate::auth::policy::project_access;
use crate::body::{JsonBody, RawBody, require_uuid};
use crate::db::messages::Bound;
use crate::db::tasks::TaskPageQuery;
use crate::db::{DbError, tasks};
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;

fn publish_task(state: &AppState, kind: bridge_core::model::TaskEventType, task: &Task) {
    let event = bridge_core::model::TaskEvent { kind, task: task.clone(), project_id: task.project_id.clone() };
    crate::realtime::channels::publish_to_project(
        &state.realtime.channels,
        task.project_id.as_str(),
        "task",
        &serde_json::to_value(event).unwrap_or_default(),
    );
}
use crate::{clock, events};

/// Query of `GET …/tasks`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ListQuery {
    before: Option<String>,
    after: Option<String>,
    status: Option<String>,
    assigned_agent_name: Option<String>,
    limit: Option<u32>,
}

/// `GET /api/projects/{id}/tasks`.
pub async fn list(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    Query(query): Query<ListQuery>,
) -> ApiResult<impl IntoResponse> {
    require_uuid("projectId", &id)?;
    if query.before.is_some() && query.after.is_some() {
        return Err(ApiError::invalid("send either before or after, not both"));
    }
    let status = query.status.as_deref().map(TaskStatus::from_wire);
    if let Some(status) = status.as_ref().filter(|s| !s.is_known()) {
        return Err(ApiError::invalid(format!(
            "status {status} is unknown; use one of {}",
            TaskStatus::KNOWN.iter().map(TaskStatus::as_str).collect::<Vec<_>>().join(", ")
        )));
    }
    let mut page_query = TaskPageQuery {
        status,
        assigned_agent_name: query.assigned_agent_name,
        limit: limit(query.limit, 50)?,
        ..TaskPageQuery::default()
    };
    if let Some(after) = query.after.as_deref() {
        page_query.after_update = Some(match after.strip_prefix('u').and_then(|n| n.parse::<i64>().ok()) {
            Some(seq) => seq,
            None if after == "0" => 0,
            None => {
                return Err(ApiError::invalid(
                    "after must be a cursor from pagination.cursor of an `after` listing, or 0 for the beginning",
                ));
            }
        });
    }
    match query.before.as_deref().map(|b| bound("before", b)).transpose()? {
        Some(Bound::Seq(seq)) => page_query.before_seq = Some(seq),
        Some(Bound::Millis(ms)) => page_query.before_ms = Some(ms),
        Some(Bound::Open) | None => {}
    }
    let (items, more, cursor) = state
        .db
        .read(move |conn| {
            project_access(conn, &caller, &id, &Scope::TasksRead)?;
            tasks::page(conn, &id, &page_query)
        })
        .await?;
    Ok(page(items, more, cursor))
}

/// `POST /api/projects/{id}/tasks` → 201 `{data: Task}`.
pub async fn create(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    JsonBody(body): JsonBody<CreateTask>,
) -> ApiResult<Response> {
    require_uuid("projectId", &id)?;
    let title = body.title.trim().to_owned();
    if title.is_empty() || title.chars().count() > 500 {
        return Err(ApiError::invalid("title must be 1-500 characters"));
    }
    if let Some(status) = body.extra.get("status")
        && status != &Value::String("submitted".into())
    {
        return Err(ApiError::invalid(
            "a new task's status is always submitted; change it afterwards with PATCH /api/tasks/{taskId}",
        ));
    }
    if body.priority.as_ref().is_some_and(|p| !p.is_known()) {
        return Err(ApiError::invalid("priority must be low, medium, high or urgent"));
    }
    let notify = state.outbox.clone();
    let task = state
        .db
        .write(move |tx| {
            let access = project_access(tx, &caller, &id, &Scope::TasksWrite)?;
            if let Some(parent) = &body.parent_task_id {
                let parent = tasks::get(tx, parent.as_str())?.filter(|t| t.project_id.as_str() == id);
                if parent.is_none() {
                    return Err(ApiError::invalid("parentTaskId does not name a task of this project").into());
                }
            }
            let now = Timestamp::now();
            let creator_name = match &caller {
                Caller::User { username, .. } => username.clone(),
                Caller::Key { name, .. } => name.clone(),
            };
            let task = Task {
                id: TaskId::new(uuid::Uuid::new_v4().to_string()),
                project_id: access.project.to_project(None).id,
                title,
                description: body.description.filter(|d| !d.trim().is_empty()),
                status: TaskStatus::Submitted,
                priority: body.priority.unwrap_or(TaskPriority::Medium),
                assigned_agent_name: body.assigned_agent_name.map(|n| n.trim().to_owned()).filter(|n| !n.is_empty()),
                result: None,
                created_by: Some(UserId::new(caller.user_id())),
                created_by_type: Some(body.created_by_type.unwrap_or(CreatorType::User)),
                created_by_name: Some(body.created_by_name.unwrap_or(creator_name)),
                source_message_id: body.source_message_id,
                parent_task_id: body.parent_task_id,
                created_at: Some(now.clone()),
                updated_at: Some(now.clone()),
                extra: Default::default(),
            };
            tasks::insert(tx, &task, now.unix_millis().unwrap_or_else(clock::now_ms))?;
            events::emit(tx, access.project.org_id.as_deref(), Some(&id), WebhookPayload::TaskCreated(task.clone()))?;
            Ok(task)
        })
        .await?;
    notify.notify_one();
    publish_task(&state, bridge_core::model::TaskEventType::Created, &task);
    tracing::debug!(task_id = %task.id, "task created");
    Ok(created(bridge_core::model::DataEnvelope { data: task }))
}

fn load_visible(
    conn: &rusqlite::Connection,
    caller: &Caller,
    task_id: &str,
    scope: &Scope,
) -> Result<(Task, Option<String>), DbError> {
    let task = tasks::get(conn, task_id)?.ok_or_else(|| DbError::Api(ApiError::not_found("task")))?;
    let access = project_access(conn, caller, task.project_id.as_str(), scope).map_err(|err| {
        if matches!(&err, DbError::Api(e) if e.status == StatusCode::NOT_FOUND) {
            DbError::Api(ApiError::not_found("task"))
        } else {
            err
        }
    })?;
    Ok((task, access.project.org_id))
}

/// `GET /api/tasks/{taskId}` → `{data: Task}`.
pub async fn get(
    State(state): State<AppState>,
    caller: Caller,
    Path(task_id): Path<String>,
) -> ApiResult<impl IntoResponse> {
    require_uuid("taskId", &task_id)?;
    let (task, _) = state.db.read(move |conn| load_visible(conn, &caller, &task_id, &Scope::TasksRead)).await?;
    Ok(data(task))
}

/// `PATCH /api/tasks/{taskId}`: status changes follow the state machine (409 names the
/// allowed ones); `task.completed`/`task.failed` fire on those transitions.
pub async fn update(
    State(state): State<AppState>,
    caller: Caller,
    Path(task_id): Path<String>,
    body: RawBody,
) -> ApiResult<impl IntoResponse> {
    require_uuid("taskId", &task_id)?;
    let change: UpdateTask = body.parse_strict(&["status", "priority", "assignedAgentName", "result"])?;
    if change.status.as_ref().is_some_and(|s| !s.is_known()) {
        return Err(ApiError::invalid(format!(
            "status must be one of {}",
            TaskStatus::KNOWN.iter().map(TaskStatus::as_str).collect::<Vec<_>>().join(", ")
        )));
    }
    if change.priority.as_ref().is_some_and(|p| !p.is_known()) {
        return Err(ApiError::invalid("priority must be low, medium, high or urgent"));
    }
    let notify = state.outbox.clone();
    let task = state
        .db
        .write(move |tx| {
            let (mut task, org) = load_visible(tx, &caller, &task_id, &Scope::TasksWrite)?;
            let mut event = None;
            if let Some(status) = change.status {
                task.status
                    .check_transition(&status)
                    .map_err(|err| DbError::Api(ApiError::conflict(err.to_string())))?;
                if status != task.status {
                    event = match status {
                        TaskStatus::Completed => Some(true),
                        TaskStatus::Failed => Some(false),
                        _ => None,
                    };
                    task.status = status;
                }
            }
            if let Some(priority) = change.priority {
                task.priority = priority;
            }
            if let Some(name) = change.assigned_agent_name {
                task.assigned_agent_name = Some(name.trim().to_owned()).filter(|n| !n.is_empty());
            }
            if let Some(result) = change.result {
                task.result = Some(result);
            }
            task.updated_at = Some(Timestamp::now());
            tasks::update(tx, &task)?;
            let project = task.project_id.as_str().to_owned();
            match event {
                Some(true) => {
                    events::emit(tx, org.as_deref(), Some(&project), WebhookPayload::TaskCompleted(task.clone()))?
                }
                Some(false) => {
                    events::emit(tx, org.as_deref(), Some(&project), WebhookPayload::TaskFailed(task.clone()))?
                }
                None => 0,
            };
            Ok(task)
        })
        .await?;
    notify.notify_one();
    publish_task(&state, bridge_core::model::TaskEventType::Updated, &task);
    Ok(data(task))
}

/// `DELETE /api/tasks/{taskId}`.
pub async fn delete(
    State(state): State<AppState>,
    caller: Caller,
    Path(task_id): Path<String>,
) -> ApiResult<StatusCode> {
    require_uuid("taskId", &task_id)?;
    let (task, _) = state
        .db
        .write(move |tx| {
            let found = load_visible(tx, &caller, &task_id, &Scope::TasksWrite)?;
            tasks::delete(tx, &task_id)?;
            Ok(found)
        })
        .await?;
    publish_task(&state, bridge_core::model::TaskEventType::Deleted, &task);
    Ok(StatusCode::NO_CONTENT)
}
