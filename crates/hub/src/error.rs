//! The hub's one error type for HTTP answers.
//!
//! A 4xx carries a stable machine `code` and a human `error` message that says what to
//! fix. A 5xx answers with an opaque body; the full error is logged inside the request
//! span, never sent to the client.

use axum::Json;
use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use bridge_core::model::ApiErrorBody;

use crate::db::DbError;

/// An error answered to an API client.
#[derive(Debug, thiserror::Error)]
#[error("{status} {code}: {message}")]
pub struct ApiError {
    /// The HTTP status.
    pub status: StatusCode,
    /// A stable machine-readable code, e.g. `plan_limit`.
    pub code: &'static str,
    /// What is wrong and how to fix it.
    pub message: String,
    /// Seconds to wait, for 429 answers.
    pub retry_after: Option<u64>,
}

impl ApiError {
    fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        Self { status, code, message: message.into(), retry_after: None }
    }

    /// 400: the request is malformed.
    pub fn bad_request(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "bad_request", message)
    }

    /// 401: no valid credential.
    pub fn unauthorized(message: impl Into<String>) -> Self {
        Self::new(StatusCode::UNAUTHORIZED, "unauthorized", message)
    }

    /// 403: the credential lacks the scope or role.
    pub fn forbidden(message: impl Into<String>) -> Self {
        Self::new(StatusCode::FORBIDDEN, "forbidden", message)
    }

    /// 404: absent, or not visible to the caller.
    pub fn not_found(what: &str) -> Self {
        Self::new(StatusCode::NOT_FOUND, "not_found", format!("{what} not found, or not visible to this credential"))
    }

    /// 409: conflicts with the current state.
    pub fn conflict(message: impl Into<String>) -> Self {
        Self::new(StatusCode::CONFLICT, "conflict", message)
    }

    /// 402: a plan limit is reached.
    pub fn plan_limit(message: impl Into<String>) -> Self {
        Self::new(StatusCode::PAYMENT_REQUIRED, "plan_limit", message)
    }

    /// 413: the body is larger than allowed.
    pub fn too_large(limit: usize) -> Self {
        Self::new(StatusCode::PAYLOAD_TOO_LARGE, "too_large", format!("request body is larger than {limit} bytes"))
    }

    /// 422/400 family: a field has a bad value.
    pub fn invalid(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "invalid", message)
    }

    /// 429: the key's rate limit is spent.
    pub fn rate_limited(limit: u32, retry_after: u64) -> Self {
        let mut err = Self::new(
            StatusCode::TOO_MANY_REQUESTS,
            "rate_limited",
            format!("rate limit of {limit} requests/minute for this API key is spent; retry after {retry_after} s"),
        );
        err.retry_after = Some(retry_after);
        err
    }

    /// 500: something broke inside; details go to the log only.
    pub fn internal() -> Self {
        Self::new(StatusCode::INTERNAL_SERVER_ERROR, "internal", "internal error; the hub logged the details")
    }
}

impl From<DbError> for ApiError {
    fn from(err: DbError) -> Self {
        match err {
            DbError::Api(api) => api,
            other => {
                tracing::error!(error = %other, "database error");
                Self::internal()
            }
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        if self.status.is_server_error() {
            tracing::error!(status = self.status.as_u16(), code = self.code, "request failed");
        }
        let body = ApiErrorBody { error: self.message, code: Some(self.code.to_owned()) };
        let mut response = (self.status, Json(body)).into_response();
        if let Some(secs) = self.retry_after
            && let Ok(value) = HeaderValue::from_str(&secs.to_string())
        {
            response.headers_mut().insert("retry-after", value);
        }
        response
    }
}

/// A result answered to an API client.
pub type ApiResult<T> = Result<T, ApiError>;
