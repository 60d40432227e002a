//! JSON-RPC 2.0 messages as they appear on the wire, one object per line.
//!
//! Only what the plugin and the engine exchange: requests (with an `id`), notifications
//! (without) and responses. Batches are not used by either side and are answered with
//! `-32600`.

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// The standard error codes, plus the engine's own (`-32000` and below).
pub mod code {
    /// The line is not JSON.
    pub const PARSE_ERROR: i64 = -32700;
    /// The JSON is not a JSON-RPC 2.0 request or notification.
    pub const INVALID_REQUEST: i64 = -32600;
    /// No such method.
    pub const METHOD_NOT_FOUND: i64 = -32601;
    /// The params do not fit the method.
    pub const INVALID_PARAMS: i64 = -32602;
    /// The engine failed unexpectedly.
    pub const INTERNAL_ERROR: i64 = -32603;
    /// The hub refused or could not be reached.
    pub const HUB_ERROR: i64 = -32000;
    /// No started account has that id.
    pub const UNKNOWN_ACCOUNT: i64 = -32001;
    /// The account configuration is incomplete or wrong.
    pub const BAD_CONFIG: i64 = -32002;
    /// The send target names no project the credential can see.
    pub const UNKNOWN_TARGET: i64 = -32003;
    /// No turn in flight has that id (it ended or timed out).
    pub const UNKNOWN_TURN: i64 = -32004;
}

/// A request id: a number or a string, echoed back in the response.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum RequestId {
    /// A numeric id.
    Number(i64),
    /// A string id.
    Text(String),
}

/// An incoming request or notification (a notification has no `id`).
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Incoming {
    /// Always `"2.0"`.
    pub jsonrpc: String,
    /// Present for requests, absent for notifications.
    #[serde(default)]
    pub id: Option<RequestId>,
    /// The method.
    pub method: String,
    /// The params (an object; absent means `{}`).
    #[serde(default)]
    pub params: Option<Value>,
}

/// The error object of a failed request.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RpcError {
    /// One of [`code`].
    pub code: i64,
    /// What went wrong and how to fix it.
    pub message: String,
    /// Structured detail, when there is any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub data: Option<Value>,
}

impl RpcError {
    /// An error with `code` and `message`.
    pub fn new(code: i64, message: impl Into<String>) -> Self {
        Self { code, message: message.into(), data: None }
    }
}

/// A line the engine writes.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(untagged)]
pub enum Outgoing {
    /// A successful response.
    Result {
        /// `"2.0"`.
        jsonrpc: &'static str,
        /// The request's id.
        id: RequestId,
        /// The result.
        result: Value,
    },
    /// A failed response; `id` is `null` when the request could not be read.
    Error {
        /// `"2.0"`.
        jsonrpc: &'static str,
        /// The request's id.
        id: Option<RequestId>,
        /// The error.
        error: RpcError,
    },
    /// A notification from the engine.
    Notification {
        /// `"2.0"`.
        jsonrpc: &'static str,
        /// The notification's name.
        method: &'static str,
        /// Its params.
        params: Value,
    },
}

impl Outgoing {
    /// A success response.
    #[must_use]
    pub fn result(id: RequestId, result: Value) -> Self {
        Self::Result { jsonrpc: "2.0", id, result }
    }

    /// An error response.
    #[must_use]
    pub fn error(id: Option<RequestId>, error: RpcError) -> Self {
        Self::Error { jsonrpc: "2.0", id, error }
    }

    /// A notification.
    #[must_use]
    pub fn notification(method: &'static str, params: Value) -> Self {
        Self::Notification { jsonrpc: "2.0", method, params }
    }
}

/// Reads one line into a request or notification, or the error to answer it with (and
/// the id, when the line got far enough to have one).
///
/// # Errors
/// `-32700` for a line that is not JSON, `-32600` for JSON that is not a request.
pub fn parse_line(line: &str) -> Result<Incoming, (Option<RequestId>, RpcError)> {
    let value: Value = serde_json::from_str(line)
        .map_err(|err| (None, RpcError::new(code::PARSE_ERROR, format!("line is not JSON: {err}"))))?;
    let id = value.get("id").and_then(|id| serde_json::from_value::<RequestId>(id.clone()).ok());
    if value.is_array() {
        return Err((
            None,
            RpcError::new(code::INVALID_REQUEST, "batches are not supported; send one object per line"),
        ));
    }
    let incoming: Incoming = serde_json::from_value(value).map_err(|err| {
        (
            id.clone(),
            RpcError::new(
                code::INVALID_REQUEST,
                format!("not a JSON-RPC 2.0 request ({err}); expected {{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":…,\"params\":{{…}}}}"),
            ),
        )
    })?;
    if incoming.jsonrpc != "2.0" {
        return Err((id, RpcError::new(code::INVALID_REQUEST, "\"jsonrpc\" must be \"2.0\"")));
    }
    if incoming.params.as_ref().is_some_and(|p| !p.is_object() && !p.is_null()) {
        return Err((id, RpcError::new(code::INVALID_PARAMS, "params must be an object")));
    }
    Ok(incoming)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requests_and_notifications_parse() {
        let request = parse_line(r#"{"jsonrpc":"2.0","id":7,"method":"account.status","params":{"accountId":"a"}}"#)
            .expect("request");
        assert_eq!(request.id, Some(RequestId::Number(7)));
        assert_eq!(request.method, "account.status");
        let note = parse_line(r#"{"jsonrpc":"2.0","method":"stream.chunk","params":{}}"#).expect("notification");
        assert_eq!(note.id, None);
        let text_id = parse_line(r#"{"jsonrpc":"2.0","id":"x-1","method":"m"}"#).expect("string id");
        assert_eq!(text_id.id, Some(RequestId::Text("x-1".into())));
    }

    #[test]
    fn bad_lines_get_the_right_codes() {
        let (id, err) = parse_line("{not json").expect_err("parse error");
        assert_eq!((id, err.code), (None, code::PARSE_ERROR));
        let (id, err) = parse_line(r#"{"jsonrpc":"2.0","id":3}"#).expect_err("no method");
        assert_eq!((id, err.code), (Some(RequestId::Number(3)), code::INVALID_REQUEST));
        let (_, err) = parse_line(r#"{"jsonrpc":"1.0","id":3,"method":"m"}"#).expect_err("old version");
        assert_eq!(err.code, code::INVALID_REQUEST);
        let (_, err) = parse_line(r#"[{"jsonrpc":"2.0","id":3,"method":"m"}]"#).expect_err("batch");
        assert_eq!(err.code, code::INVALID_REQUEST);
        let (_, err) = parse_line(r#"{"jsonrpc":"2.0","id":3,"method":"m","params":[1]}"#).expect_err("array params");
        assert_eq!(err.code, code::INVALID_PARAMS);
    }

    #[test]
    fn outgoing_shapes() {
        let ok = serde_json::to_value(Outgoing::result(RequestId::Number(1), serde_json::json!({"a": 1})))
            .expect("serialize");
        assert_eq!(ok, serde_json::json!({"jsonrpc": "2.0", "id": 1, "result": {"a": 1}}));
        let err = serde_json::to_value(Outgoing::error(None, RpcError::new(code::PARSE_ERROR, "bad"))).expect("ser");
        assert_eq!(err, serde_json::json!({"jsonrpc": "2.0", "id": null, "error": {"code": -32700, "message": "bad"}}));
        let note = serde_json::to_value(Outgoing::notification("inbound", serde_json::json!({}))).expect("ser");
        assert_eq!(note, serde_json::json!({"jsonrpc": "2.0", "method": "inbound", "params": {}}));
    }
}
