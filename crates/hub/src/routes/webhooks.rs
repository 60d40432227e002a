//! `/api/orgs/{org}/webhooks`: subscriptions, the delivery log and redelivery.

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use bridge_core::model::{CreateWebhook, CreatedWebhook, Scope, UpdateWebhook, WebhookEventName, WebhookStatus};
use serde::Deserialize;
use serde_json::json;

use super::{created, data, limit, page};
use crate::auth::Caller;
use crate::auth::policy::org_access;
use crate::body::{JsonBody, RawBody, require_uuid};
use crate::db::webhooks::WebhookRow;
use crate::db::{DbError, deliveries, webhooks};
use crate::error::{ApiError, ApiResult};
use crate::limits::{PlanPolicy, Quota, check_org};
use crate::state::AppState;
use crate::{clock, events};

/// Checks a webhook URL: HTTPS, or plain HTTP to loopback (or anywhere when allowed).
fn validate_url(url: &str, allow_http: bool) -> ApiResult<()> {
    let parsed = reqwest::Url::parse(url).map_err(|_| ApiError::invalid(format!("url {url:?} is not a valid URL")))?;
    let loopback = match parsed.host() {
        Some(url::Host::Domain(host)) => host.eq_ignore_ascii_case("localhost"),
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        None => return Err(ApiError::invalid("url must have a host")),
    };
    match parsed.scheme() {
        "https" => Ok(()),
        "http" if loopback || allow_http => Ok(()),
        "http" => Err(ApiError::invalid(
            "url must be https (plain http is allowed for loopback, or when the hub runs with --allow-http-webhooks)",
        )),
        other => Err(ApiError::invalid(format!("url scheme {other} is not supported; use https"))),
    }
}

fn validate_events(events: &[WebhookEventName]) -> ApiResult<()> {
    let known = WebhookEventName::KNOWN.iter().map(WebhookEventName::as_str).collect::<Vec<_>>().join(", ");
    if events.is_empty() {
        return Err(ApiError::invalid(format!("events must name at least one of: {known}")));
    }
    if let Some(unknown) = events.iter().find(|e| !e.is_known()) {
        return Err(ApiError::invalid(format!("unknown event {unknown}; known events: {known}")));
    }
    Ok(())
}

/// `POST /api/orgs/{org}/webhooks` → 201 `{data: {id, url, events, secret, status, createdAt}}`.
pub async fn create(
    State(state): State<AppState>,
    caller: Caller,
    Path(org): Path<String>,
    JsonBody(body): JsonBody<CreateWebhook>,
) -> ApiResult<Response> {
    let policy = PlanPolicy::of(&state);
    require_uuid("orgId", &org)?;
    validate_url(&body.url, state.config.allow_http_webhooks)?;
    validate_events(&body.events)?;
    let hook = state
        .db
        .write(move |tx| {
            let access = org_access(tx, &caller, &org)?;
            access.require_admin_or_scope(&caller, Some(&Scope::WebhooksManage))?;
            check_org(tx, policy, &access.org, Quota::Webhooks)?;
            let mut events = body.events.clone();
            events.dedup();
            let row = WebhookRow {
                id: uuid::Uuid::new_v4().to_string(),
                org_id: org.clone(),
                url: body.url.clone(),
                events,
                secret: bridge_core::signing::standard::generate_secret(),
                status: WebhookStatus::Active,
                standard_webhooks: body.standard_webhooks.unwrap_or(false),
                consecutive_failures: 0,
                created_at: clock::now_iso().as_str().to_owned(),
            };
            webhooks::insert(tx, &row)?;
            events::audit(
                tx,
                &org,
                Some(&caller),
                "webhook.created",
                Some(("webhook", &row.id)),
                json!({ "url": row.url, "events": row.events }),
            )?;
            Ok(row)
        })
        .await?;
    let view = hook.to_webhook();
    let created_hook = CreatedWebhook {
        id: view.id,
        url: view.url,
        events: view.events,
        secret: bridge_core::model::WebhookSecret::new(hook.secret),
        status: view.status,
        created_at: view.created_at,
        extra: Default::default(),
    };
    Ok(created(json!({ "data": created_hook })))
}

/// `GET /api/orgs/{org}/webhooks` (no secrets).
pub async fn list(
    State(state): State<AppState>,
    caller: Caller,
    Path(org): Path<String>,
) -> ApiResult<impl IntoResponse> {
    require_uuid("orgId", &org)?;
    let hooks = state
        .db
        .read(move |conn| {
            org_access(conn, &caller, &org)?.require_admin_or_scope(&caller, Some(&Scope::WebhooksManage))?;
            Ok(webhooks::list(conn, &org)?.iter().map(WebhookRow::to_webhook).collect::<Vec<_>>())
        })
        .await?;
    Ok(data(hooks))
}

fn load(conn: &rusqlite::Connection, caller: &Caller, org: &str, id: &str) -> Result<WebhookRow, DbError> {
    org_access(conn, caller, org)?.require_admin_or_scope(caller, Some(&Scope::WebhooksManage))?;
    webhooks::get(conn, org, id)?.ok_or_else(|| DbError::Api(ApiError::not_found("webhook")))
}

/// `GET /api/orgs/{org}/webhooks/{id}`.
pub async fn get(
    State(state): State<AppState>,
    caller: Caller,
    Path((org, id)): Path<(String, String)>,
) -> ApiResult<impl IntoResponse> {
    require_uuid("orgId", &org)?;
    require_uuid("webhookId", &id)?;
    let hook = state.db.read(move |conn| load(conn, &caller, &org, &id)).await?;
    Ok(data(hook.to_webhook()))
}

/// `PATCH /api/orgs/{org}/webhooks/{id}`: url, events or status (`active`/`paused`).
pub async fn update(
    State(state): State<AppState>,
    caller: Caller,
    Path((org, id)): Path<(String, String)>,
    body: RawBody,
) -> ApiResult<impl IntoResponse> {
    require_uuid("orgId", &org)?;
    require_uuid("webhookId", &id)?;
    let change: UpdateWebhook = body.parse_strict(&["url", "events", "status"])?;
    if let Some(url) = &change.url {
        validate_url(url, state.config.allow_http_webhooks)?;
    }
    if let Some(events) = &change.events {
        validate_events(events)?;
    }
    if change.status.as_ref().is_some_and(|s| !matches!(s, WebhookStatus::Active | WebhookStatus::Paused)) {
        return Err(ApiError::invalid("status must be active or paused"));
    }
    let hook = state
        .db
        .write(move |tx| {
            let mut hook = load(tx, &caller, &org, &id)?;
            if let Some(url) = change.url {
                hook.url = url;
            }
            if let Some(events) = change.events {
                hook.events = events;
            }
            if let Some(status) = change.status {
                hook.status = status;
                hook.consecutive_failures = 0;
            }
            webhooks::update(tx, &hook)?;
            events::audit(
                tx,
                &org,
                Some(&caller),
                "webhook.updated",
                Some(("webhook", &hook.id)),
                json!({ "url": hook.url, "events": hook.events, "status": hook.status }),
            )?;
            Ok(hook)
        })
        .await?;
    Ok(data(hook.to_webhook()))
}

/// `DELETE /api/orgs/{org}/webhooks/{id}`.
pub async fn delete(
    State(state): State<AppState>,
    caller: Caller,
    Path((org, id)): Path<(String, String)>,
) -> ApiResult<StatusCode> {
    require_uuid("orgId", &org)?;
    require_uuid("webhookId", &id)?;
    state
        .db
        .write(move |tx| {
            load(tx, &caller, &org, &id)?;
            webhooks::delete(tx, &org, &id)?;
            events::audit(tx, &org, Some(&caller), "webhook.deleted", Some(("webhook", &id)), json!({}))?;
            Ok(())
        })
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Query of the delivery log.
#[derive(Debug, Deserialize)]
pub struct DeliveriesQuery {
    before: Option<String>,
    limit: Option<u32>,
}

/// `GET /api/orgs/{org}/webhooks/{id}/deliveries`: newest first, with every attempt.
pub async fn deliveries_log(
    State(state): State<AppState>,
    caller: Caller,
    Path((org, id)): Path<(String, String)>,
    Query(query): Query<DeliveriesQuery>,
) -> ApiResult<impl IntoResponse> {
    require_uuid("orgId", &org)?;
    require_uuid("webhookId", &id)?;
    let limit = limit(query.limit, 50)?;
    let before = super::seq_cursor(query.before.as_deref())?;
    let (items, more, cursor) = state
        .db
        .read(move |conn| {
            load(conn, &caller, &org, &id)?;
            deliveries::list(conn, &id, before, limit)
        })
        .await?;
    Ok(page(items, more, cursor))
}

/// `POST /api/orgs/{org}/webhooks/{id}/deliveries/{deliveryId}/redeliver`: the same
/// `deliveryId` and body, queued now → 202.
pub async fn redeliver(
    State(state): State<AppState>,
    caller: Caller,
    Path((org, id, delivery)): Path<(String, String, String)>,
) -> ApiResult<Response> {
    require_uuid("orgId", &org)?;
    require_uuid("webhookId", &id)?;
    let now = clock::now_ms();
    let notify = state.outbox.clone();
    let record = state
        .db
        .write(move |tx| {
            load(tx, &caller, &org, &id)?;
            if !deliveries::redeliver(tx, &id, &delivery, now)? {
                return Err(ApiError::not_found("delivery").into());
            }
            events::audit(
                tx,
                &org,
                Some(&caller),
                "webhook.redelivery_requested",
                Some(("delivery", &delivery)),
                json!({ "webhookId": id }),
            )?;
            deliveries::get(tx, &id, &delivery)
        })
        .await?;
    notify.notify_one();
    Ok((StatusCode::ACCEPTED, axum::Json(json!({ "data": record }))).into_response())
}
