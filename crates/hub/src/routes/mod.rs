//! HTTP routes, one file per resource.

pub mod ably;
pub mod agents;
pub mod auth;
pub mod billing;
pub mod messages;
pub mod orgs;
pub mod projects;
pub mod tasks;
pub mod webhooks;

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use bridge_core::model::{DataEnvelope, Page, PageInfo};
use serde::Serialize;

/// `201 Created` with a JSON body.
pub(crate) fn created<T: Serialize>(body: T) -> Response {
    (StatusCode::CREATED, Json(body)).into_response()
}

/// `{"data": …}`.
pub(crate) fn data<T: Serialize>(value: T) -> Json<DataEnvelope<T>> {
    Json(DataEnvelope { data: value })
}

/// `{"data": [...], "pagination": {cursor, hasMore}}`. The cursor names the last item
/// even on the last page, so a poller can continue from it later.
pub(crate) fn page<T: Serialize>(items: Vec<T>, has_more: bool, cursor: Option<String>) -> Json<Page<T>> {
    Json(Page { data: items, pagination: PageInfo { cursor, has_more } })
}

/// Reads a `limit` query value: `default` when absent, 1..=100.
pub(crate) fn limit(value: Option<u32>, default: u32) -> Result<u32, crate::error::ApiError> {
    match value {
        None => Ok(default),
        Some(n) if (1..=100).contains(&n) => Ok(n),
        Some(n) => Err(crate::error::ApiError::invalid(format!("limit must be between 1 and 100, got {n}"))),
    }
}

/// Reads a `before` cursor of the form `s<n>` (audit log, delivery log).
pub(crate) fn seq_cursor(value: Option<&str>) -> Result<Option<i64>, crate::error::ApiError> {
    value
        .map(|cursor| {
            cursor
                .strip_prefix('s')
                .and_then(|n| n.parse::<i64>().ok())
                .ok_or_else(|| crate::error::ApiError::invalid("before must be a cursor from pagination.cursor"))
        })
        .transpose()
}

/// `/healthz`.
pub(crate) async fn health() -> Json<serde_json::Value> {
    Json(serde_json::json!({ "ok": true }))
}
