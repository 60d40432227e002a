//! Methods: JSON-RPC params in, engine calls, JSON results out.

use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::{Value, json};

use super::message::{RpcError, code};
use crate::engine::{AccountSettings, Engine, EngineError, EngineEvent, TurnEnd};

/// The protocol version `initialize` reports; bumped on incompatible changes.
pub const PROTOCOL_VERSION: u32 = 1;

/// Every method the engine serves.
pub const METHODS: [&str; 11] = [
    "initialize",
    "account.start",
    "account.check",
    "account.stop",
    "account.status",
    "message.send",
    "target.resolve",
    "stream.begin",
    "stream.chunk",
    "stream.end",
    "shutdown",
];

/// Methods answered at once, in the reader's order (their order matters: the chunks
/// of one answer), rather than on a task of their own.
#[must_use]
pub fn is_inline(method: &str) -> bool {
    matches!(method, "initialize" | "stream.begin" | "stream.chunk" | "stream.end")
}

fn params<T: DeserializeOwned>(params: Option<Value>) -> Result<T, RpcError> {
    let value = match params {
        None | Some(Value::Null) => json!({}),
        Some(value) => value,
    };
    serde_json::from_value(value).map_err(|err| RpcError::new(code::INVALID_PARAMS, format!("invalid params: {err}")))
}

fn engine_error(err: EngineError) -> RpcError {
    let code = match &err {
        EngineError::BadParams(_) => code::INVALID_PARAMS,
        EngineError::BadConfig(_) => code::BAD_CONFIG,
        EngineError::UnknownAccount(_) => code::UNKNOWN_ACCOUNT,
        EngineError::UnknownTarget(_) => code::UNKNOWN_TARGET,
        EngineError::UnknownTurn(_) => code::UNKNOWN_TURN,
        EngineError::Hub(_) => code::HUB_ERROR,
        EngineError::Internal(_) => code::INTERNAL_ERROR,
    };
    RpcError::new(code, err.to_string())
}

fn to_value(value: impl serde::Serialize) -> Result<Value, RpcError> {
    serde_json::to_value(value).map_err(|err| RpcError::new(code::INTERNAL_ERROR, err.to_string()))
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct StartParams {
    account_id: String,
    account: AccountSettings,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct CheckParams {
    account: AccountSettings,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct AccountParams {
    account_id: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct SendParams {
    #[serde(default)]
    account_id: Option<String>,
    #[serde(default)]
    account: Option<AccountSettings>,
    to: String,
    text: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct ResolveParams {
    #[serde(default)]
    account_id: Option<String>,
    #[serde(default)]
    account: Option<AccountSettings>,
    to: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct TurnParams {
    turn_id: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct ChunkParams {
    turn_id: String,
    text: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct EndParams {
    turn_id: String,
    #[serde(default)]
    text: Option<String>,
    #[serde(default)]
    needs_input: bool,
    #[serde(default)]
    error: Option<String>,
    #[serde(default)]
    retryable: bool,
}

fn unknown_turn(turn_id: &str) -> RpcError {
    engine_error(EngineError::UnknownTurn(turn_id.to_owned()))
}

/// Runs one method.
///
/// # Errors
/// The JSON-RPC error to answer with.
pub async fn call(engine: &Engine, method: &str, raw: Option<Value>) -> Result<Value, RpcError> {
    match method {
        "initialize" => Ok(json!({
            "engine": "jaibber-openclaw",
            "version": env!("CARGO_PKG_VERSION"),
            "protocolVersion": PROTOCOL_VERSION,
            "methods": METHODS,
        })),
        "account.start" => {
            let p: StartParams = params(raw)?;
            to_value(engine.start_account(p.account_id, p.account).await.map_err(engine_error)?)
        }
        "account.check" => {
            let p: CheckParams = params(raw)?;
            to_value(engine.check(&p.account).await.map_err(engine_error)?)
        }
        "account.stop" => {
            let p: AccountParams = params(raw)?;
            Ok(json!({"stopped": engine.stop_account(&p.account_id).await}))
        }
        "account.status" => {
            let p: AccountParams = params(raw)?;
            to_value(engine.status(&p.account_id).await.map_err(engine_error)?)
        }
        "message.send" => {
            let p: SendParams = params(raw)?;
            to_value(engine.send(p.account_id.as_deref(), p.account, &p.to, &p.text).await.map_err(engine_error)?)
        }
        "target.resolve" => {
            let p: ResolveParams = params(raw)?;
            to_value(engine.resolve_target(p.account_id.as_deref(), p.account, &p.to).await.map_err(engine_error)?)
        }
        "stream.begin" => {
            let p: TurnParams = params(raw)?;
            if engine.turns().begin(&p.turn_id) { Ok(json!({})) } else { Err(unknown_turn(&p.turn_id)) }
        }
        "stream.chunk" => {
            let p: ChunkParams = params(raw)?;
            if engine.turns().chunk(&p.turn_id, p.text) { Ok(json!({})) } else { Err(unknown_turn(&p.turn_id)) }
        }
        "stream.end" => {
            let p: EndParams = params(raw)?;
            let end = match (p.error, p.text) {
                (Some(reason), _) => TurnEnd::Failed { reason, retryable: p.retryable },
                (None, Some(text)) if p.needs_input => TurnEnd::NeedsInput(text),
                (None, Some(text)) => TurnEnd::Answer(text),
                (None, None) => {
                    return Err(RpcError::new(code::INVALID_PARAMS, "stream.end needs text (the answer) or error"));
                }
            };
            if engine.turns().end(&p.turn_id, end) { Ok(json!({})) } else { Err(unknown_turn(&p.turn_id)) }
        }
        other => Err(RpcError::new(
            code::METHOD_NOT_FOUND,
            format!("unknown method {other:?}; the engine serves {}", METHODS.join(", ")),
        )),
    }
}

/// The notification for an engine event: its method name and params.
#[must_use]
pub fn notification(event: EngineEvent) -> (&'static str, Value) {
    match event {
        EngineEvent::Inbound(turn) => ("inbound", serde_json::to_value(turn).unwrap_or_default()),
        EngineEvent::AccountState(state) => ("account.state", serde_json::to_value(state).unwrap_or_default()),
    }
}
