//! The one place requests are sent: auth header, retries, status mapping, decoding.

use reqwest::{Method, StatusCode};
use serde::Serialize;
use serde::de::DeserializeOwned;

use super::retry::parse_retry_after;
use super::{Client, ClientError};
use crate::model::envelope::ApiErrorBody;

/// How much of a non-JSON error body is quoted in an error.
const MAX_ERROR_TEXT: usize = 500;

/// One request to send.
pub(crate) struct Request {
    method: Method,
    path: String,
    query: Vec<(String, String)>,
    body: Option<Vec<u8>>,
    idempotent: bool,
}

impl Request {
    pub(crate) fn new(method: Method, path: String) -> Self {
        let idempotent = matches!(method, Method::GET | Method::HEAD | Method::PUT | Method::DELETE | Method::OPTIONS);
        Self { method, path, query: Vec::new(), body: None, idempotent }
    }

    pub(crate) fn get(path: String) -> Self {
        Self::new(Method::GET, path)
    }

    pub(crate) fn post(path: String) -> Self {
        Self::new(Method::POST, path)
    }

    pub(crate) fn patch(path: String) -> Self {
        Self::new(Method::PATCH, path)
    }

    pub(crate) fn delete(path: String) -> Self {
        Self::new(Method::DELETE, path)
    }

    /// Adds query parameters from a serialisable struct (absent fields are skipped).
    pub(crate) fn query<Q: Serialize>(mut self, query: &Q) -> Self {
        if let Ok(serde_json::Value::Object(map)) = serde_json::to_value(query) {
            for (key, value) in map {
                let text = match value {
                    serde_json::Value::Null => continue,
                    serde_json::Value::String(s) => s,
                    other => other.to_string(),
                };
                self.query.push((key, text));
            }
        }
        self
    }

    pub(crate) fn json<B: Serialize>(mut self, body: &B) -> Self {
        self.body = serde_json::to_vec(body).ok();
        self
    }

    /// Marks a non-GET request as safe to repeat (e.g. an upsert with a client id).
    pub(crate) fn idempotent(mut self, idempotent: bool) -> Self {
        self.idempotent = idempotent;
        self
    }
}

impl Client {
    /// Sends a request and decodes a JSON body.
    pub(crate) async fn send_json<T: DeserializeOwned>(&self, request: Request) -> Result<T, ClientError> {
        let (method, path) = (request.method.to_string(), request.path.clone());
        let bytes = self.send(request).await?;
        let bytes = if bytes.is_empty() { b"null".to_vec() } else { bytes };
        serde_json::from_slice(&bytes).map_err(|source| ClientError::Decode { method, path, source })
    }

    /// Sends a request whose answer body does not matter.
    pub(crate) async fn send_empty(&self, request: Request) -> Result<(), ClientError> {
        self.send(request).await.map(drop)
    }

    async fn send(&self, request: Request) -> Result<Vec<u8>, ClientError> {
        let policy = &self.inner.retry;
        let url = format!("{}{}", self.inner.base_url, request.path);
        let method_name = request.method.to_string();
        let mut attempt: u32 = 0;
        loop {
            let mut builder = self.inner.http.request(request.method.clone(), &url).query(&request.query);
            if let Some((name, value)) = self.inner.credential.header() {
                builder = builder.header(name, value);
            }
            if let Some(body) = &request.body {
                builder = builder.header("content-type", "application/json").body(body.clone());
            }
            let can_retry = attempt < policy.max_retries;
            let response = match builder.send().await {
                Ok(response) => response,
                Err(source) => {
                    let transient = source.is_connect() || (source.is_timeout() && request.idempotent);
                    if can_retry && request.idempotent && transient {
                        let delay = policy.backoff(attempt);
                        tracing::debug!(method = %method_name, path = %request.path, attempt, ?delay, "request failed to connect; retrying");
                        tokio::time::sleep(delay).await;
                        attempt += 1;
                        continue;
                    }
                    return Err(ClientError::Transport { method: method_name, path: request.path, source });
                }
            };
            let status = response.status();
            tracing::debug!(method = %method_name, path = %request.path, status = status.as_u16(), attempt, "jaibber response");
            if status == StatusCode::TOO_MANY_REQUESTS {
                let retry_after = response
                    .headers()
                    .get("retry-after")
                    .and_then(|v| v.to_str().ok())
                    .and_then(|v| parse_retry_after(v, time::OffsetDateTime::now_utc().unix_timestamp()));
                let wait = retry_after.unwrap_or_else(|| policy.backoff(attempt));
                if can_retry && wait <= policy.max_retry_after {
                    tracing::debug!(path = %request.path, ?wait, "rate limited; waiting");
                    tokio::time::sleep(wait).await;
                    attempt += 1;
                    continue;
                }
                return Err(ClientError::RateLimited { method: method_name, path: request.path, retry_after });
            }
            if status.is_server_error() && request.idempotent && can_retry {
                let delay = policy.backoff(attempt);
                tracing::debug!(path = %request.path, status = status.as_u16(), ?delay, "server error; retrying");
                tokio::time::sleep(delay).await;
                attempt += 1;
                continue;
            }
            let body = response.bytes().await.map_err(|source| ClientError::Transport {
                method: method_name.clone(),
                path: request.path.clone(),
                source,
            })?;
            if status.is_success() {
                return Ok(body.to_vec());
            }
            let (message, code) = error_text(&body, status);
            return Err(ClientError::Api {
                method: method_name,
                path: request.path,
                status: status.as_u16(),
                message,
                code,
            });
        }
    }
}

/// Extracts the server's explanation from an error body.
fn error_text(body: &[u8], status: StatusCode) -> (String, Option<String>) {
    if let Ok(parsed) = serde_json::from_slice::<ApiErrorBody>(body) {
        return (parsed.error, parsed.code);
    }
    let text = String::from_utf8_lossy(body);
    let text = text.trim();
    if text.is_empty() {
        return (status.canonical_reason().unwrap_or("no explanation given").to_owned(), None);
    }
    let mut quoted: String = text.chars().take(MAX_ERROR_TEXT).collect();
    if text.chars().count() > MAX_ERROR_TEXT {
        quoted.push('…');
    }
    (quoted, None)
}

/// Percent-encodes one path segment (ids are UUIDs, but never trust that).
pub(crate) fn segment(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for byte in value.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'_' | b'.' | b'~') {
            out.push(char::from(byte));
        } else {
            out.push('%');
            out.push_str(&hex::encode_upper([byte]));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_text_prefers_the_json_error() {
        let (message, code) = error_text(br#"{"error":"name is required","code":"invalid"}"#, StatusCode::BAD_REQUEST);
        assert_eq!((message.as_str(), code.as_deref()), ("name is required", Some("invalid")));
        let (message, _) = error_text(b"", StatusCode::NOT_FOUND);
        assert_eq!(message, "Not Found");
        let long = "x".repeat(2_000);
        assert_eq!(error_text(long.as_bytes(), StatusCode::BAD_GATEWAY).0.chars().count(), MAX_ERROR_TEXT + 1);
    }

    #[test]
    fn segments_are_escaped() {
        assert_eq!(segment("abc-123"), "abc-123");
        assert_eq!(segment("a/b?c"), "a%2Fb%3Fc");
    }
}
