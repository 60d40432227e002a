//! `/api/projects/{id}/messages`.

use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use bridge_core::model::{
    CreateMessage, Message, MessageId, MessageType, ProjectId, Scope, SenderType, Timestamp, UserId, WebhookPayload,
};
use bridge_core::routing::{MentionMatcher, mention_tokens};
use serde::Deserialize;

use super::{limit, page};
use crate::auth::Caller;
use crate::auth::policy::project_access;
use crate::body::{JsonBody, require_uuid};
use crate::db::messages::{Bound, PageQuery};
use crate::db::{DbError, agents, messages, orgs};
use crate::error::{ApiError, ApiResult};
use crate::limits::{PlanPolicy, Quota, check_org, check_personal, history_floor_ms};
use crate::state::AppState;
use crate::{clock, events};

/// Query of `GET …/messages`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ListQuery {
    before: Option<String>,
    after: Option<String>,
    limit: Option<u32>,
    sender_type: Option<String>,
}

/// Reads a cursor (`s<seq>`) or an ISO timestamp.
pub(crate) fn bound(field: &str, value: &str) -> ApiResult<Bound> {
    if let Some(seq) = value.strip_prefix('s').and_then(|n| n.parse::<i64>().ok()) {
        return Ok(Bound::Seq(seq));
    }
    Timestamp::new_unchecked(value).unix_millis().map(Bound::Millis).ok_or_else(|| {
        ApiError::invalid(format!("{field} must be a cursor from pagination.cursor or an ISO timestamp, got {value:?}"))
    })
}

/// `GET /api/projects/{id}/messages`.
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
    let sender_type = query.sender_type.as_deref().map(SenderType::from_wire);
    if sender_type.as_ref().is_some_and(|s| !s.is_known()) {
        return Err(ApiError::invalid("senderType must be user, agent or api"));
    }
    let ascending = query.after.is_some();
    let bound = match query.after.as_deref().or(query.before.as_deref()) {
        None => Bound::Open,
        Some(value) => bound(if ascending { "after" } else { "before" }, value)?,
    };
    let limit = limit(query.limit, 50)?;
    let (items, more, cursor) = state
        .db
        .read(move |conn| {
            let access = project_access(conn, &caller, &id, &Scope::MessagesRead)?;
            let plan = match &access.project.org_id {
                Some(org) => orgs::get(conn, org)?.map_or(bridge_core::model::PlanId::Free, |o| o.plan),
                None => bridge_core::model::PlanId::Free,
            };
            let query = PageQuery {
                ascending,
                bound,
                limit,
                sender_type,
                min_created_ms: history_floor_ms(&plan, clock::now_ms()),
            };
            messages::page(conn, &id, &query)
        })
        .await?;
    Ok(page(items, more, cursor))
}

/// `POST /api/projects/{id}/messages`: 201 with the stored message; an `id` already
/// stored in this project answers 200 with the stored message and changes nothing.
pub async fn create(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    JsonBody(body): JsonBody<CreateMessage>,
) -> ApiResult<Response> {
    let policy = PlanPolicy::of(&state);
    require_uuid("projectId", &id)?;
    if body.text.trim().is_empty() {
        return Err(ApiError::invalid("text must not be empty"));
    }
    if let Some(message_id) = &body.id {
        require_uuid("id", message_id.as_str())?;
    }
    let kind = body.kind.clone().unwrap_or_default();
    if !kind.is_known() {
        return Err(ApiError::invalid("type must be message, response or error"));
    }
    if body.sender_type.as_ref().is_some_and(|s| !s.is_known()) {
        return Err(ApiError::invalid("senderType must be user, agent or api"));
    }
    let notify = state.outbox.clone();
    let client_gave_id = body.id.is_some();
    let (message, fresh) = state
        .db
        .write(move |tx| {
            let access = project_access(tx, &caller, &id, &Scope::MessagesWrite)?;
            if let Some(existing_id) = &body.id
                && let Some(existing) = messages::get(tx, existing_id.as_str())?
            {
                if existing.project_id.as_str() != id {
                    return Err(
                        ApiError::conflict("a message with this id exists in another project; use a new id").into()
                    );
                }
                return Ok((existing, false));
            }
            match &access.project.org_id {
                Some(org_id) => {
                    let org = orgs::get(tx, org_id)?.ok_or_else(|| DbError::Api(ApiError::not_found("org")))?;
                    check_org(tx, policy, &org, Quota::MessagesToday)?;
                }
                None => check_personal(tx, policy, &access.project.created_by, Quota::MessagesToday)?,
            }
            let message = build_message(tx, &caller, &id, body, kind)?;
            let created_ms = message.created_at.as_ref().and_then(Timestamp::unix_millis).unwrap_or_else(clock::now_ms);
            messages::insert(tx, &message, &access.project.quota_scope(), created_ms)?;
            events::emit(
                tx,
                access.project.org_id.as_deref(),
                Some(&id),
                WebhookPayload::MessageCreated(message.clone()),
            )?;
            Ok((message, true))
        })
        .await?;
    if fresh {
        notify.notify_one();
        if !client_gave_id {
            // A client that chose the id already published the message itself.
            let payload = bridge_core::model::ChatPayload::from_stored(&message);
            crate::realtime::channels::publish_to_project(
                &state.realtime.channels,
                message.project_id.as_str(),
                "message",
                &serde_json::to_value(payload).unwrap_or_default(),
            );
        }
        tracing::debug!(message_id = %message.id, "message stored");
        Ok((StatusCode::CREATED, Json(message)).into_response())
    } else {
        Ok((StatusCode::OK, Json(message)).into_response())
    }
}

fn build_message(
    conn: &rusqlite::Connection,
    caller: &Caller,
    project: &str,
    body: CreateMessage,
    kind: MessageType,
) -> Result<Message, DbError> {
    let default_type = match caller {
        Caller::User { .. } => SenderType::User,
        Caller::Key { .. } => SenderType::Api,
    };
    let sender_type = body.sender_type.clone().unwrap_or(default_type);
    let sender_name = body.sender_name.clone().filter(|n| !n.trim().is_empty()).unwrap_or_else(|| match caller {
        Caller::User { username, .. } => username.clone(),
        Caller::Key { name, .. } => name.clone(),
    });
    let mentions = match body.mentions.clone() {
        Some(list) => list.into_iter().map(|m| m.to_lowercase()).collect(),
        None => {
            let known = MentionMatcher::new(agents::names_in_project(conn, project)?).mentioned_in(&body.text);
            if known.is_empty() { mention_tokens(&body.text) } else { known }
        }
    };
    Ok(Message {
        id: body.id.clone().unwrap_or_else(|| MessageId::new(uuid::Uuid::new_v4().to_string())),
        project_id: ProjectId::new(project),
        sender_id: Some(UserId::new(caller.user_id())),
        sender_type,
        sender_name,
        kind,
        text: body.text,
        mentions: Some(mentions),
        parent_message_id: body.parent_message_id,
        attachments: None,
        response_depth: body.response_depth,
        responding_chain: body.responding_chain,
        is_task_notification: body.is_task_notification,
        created_at: Some(Timestamp::now()),
        extra: Default::default(),
    })
}

/// `DELETE /api/projects/{id}/messages/{msgId}` (project admin).
pub async fn delete(
    State(state): State<AppState>,
    caller: Caller,
    Path((id, message)): Path<(String, String)>,
) -> ApiResult<StatusCode> {
    require_uuid("projectId", &id)?;
    state
        .db
        .write(move |tx| {
            project_access(tx, &caller, &id, &Scope::MessagesWrite)?.require_admin()?;
            if !messages::delete(tx, &id, &message)? {
                return Err(ApiError::not_found("message").into());
            }
            Ok(())
        })
        .await?;
    Ok(StatusCode::NO_CONTENT)
}
