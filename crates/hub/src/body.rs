//! The JSON body extractor: every failure is a 4xx with `{"error": …}` saying what to fix.

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{FromRequest, Request};
use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::error::ApiError;
use crate::state::AppState;

/// A JSON request body.
#[derive(Debug)]
pub struct JsonBody<T>(pub T);

impl<T: DeserializeOwned> FromRequest<AppState> for JsonBody<T> {
    type Rejection = ApiError;

    async fn from_request(request: Request, state: &AppState) -> Result<Self, Self::Rejection> {
        let RawBody(bytes) = RawBody::from_request(request, state).await?;
        parse(&bytes).map(JsonBody)
    }
}

/// A raw request body, size-limited like [`JsonBody`] (for strict PATCH parsing).
#[derive(Debug)]
pub struct RawBody(pub Bytes);

impl FromRequest<AppState> for RawBody {
    type Rejection = ApiError;

    async fn from_request(request: Request, state: &AppState) -> Result<Self, Self::Rejection> {
        let limit = state.config.max_body_bytes;
        Bytes::from_request(request, state).await.map(RawBody).map_err(|rejection| match rejection {
            BytesRejection::FailedToBufferBody(_) => ApiError::too_large(limit),
            other => ApiError::bad_request(format!("could not read the request body: {other}")),
        })
    }
}

impl RawBody {
    /// Parses the body after refusing fields outside `allowed`.
    ///
    /// # Errors
    /// 400 for unknown fields, malformed or mistyped JSON.
    pub fn parse_strict<T: DeserializeOwned>(&self, allowed: &[&str]) -> Result<T, ApiError> {
        let value: T = parse(&self.0)?;
        reject_unknown_fields(&self.0, allowed)?;
        Ok(value)
    }
}

/// Parses a JSON body with precise errors.
///
/// # Errors
/// 400 for empty, malformed or mistyped bodies.
pub fn parse<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Err(ApiError::bad_request("request body is empty; send a JSON object"));
    }
    serde_json::from_slice(bytes).map_err(|err| {
        use serde_json::error::Category;
        match err.classify() {
            Category::Syntax | Category::Eof => ApiError::bad_request(format!("malformed JSON: {err}")),
            _ => ApiError::invalid(format!("invalid request body: {err}")),
        }
    })
}

/// Refuses fields a PATCH body does not know, since ignoring them would silently drop
/// the caller's intent.
///
/// # Errors
/// 400 naming the unknown field and the allowed ones.
pub fn reject_unknown_fields(bytes: &[u8], allowed: &[&str]) -> Result<(), ApiError> {
    if let Ok(Value::Object(map)) = serde_json::from_slice::<Value>(bytes)
        && let Some(unknown) = map.keys().find(|k| !allowed.contains(&k.as_str()))
    {
        return Err(ApiError::invalid(format!("unknown field `{unknown}`; allowed fields: {}", allowed.join(", "))));
    }
    Ok(())
}

/// Checks that a path or body id is a UUID.
///
/// # Errors
/// 400 naming the field.
pub fn require_uuid(field: &str, value: &str) -> Result<(), ApiError> {
    uuid::Uuid::parse_str(value)
        .map(drop)
        .map_err(|_| ApiError::invalid(format!("{field} must be a UUID, got {value:?}")))
}
