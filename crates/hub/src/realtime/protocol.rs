//! Ably protocol frames (JSON format) as the hub reads and writes them.

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// Protocol message actions (TR2).
#[allow(missing_docs)]
pub mod action {
    pub const HEARTBEAT: u8 = 0;
    pub const ACK: u8 = 1;
    pub const NACK: u8 = 2;
    pub const CONNECTED: u8 = 4;
    pub const DISCONNECTED: u8 = 6;
    pub const CLOSE: u8 = 7;
    pub const CLOSED: u8 = 8;
    pub const ERROR: u8 = 9;
    pub const ATTACH: u8 = 10;
    pub const ATTACHED: u8 = 11;
    pub const DETACH: u8 = 12;
    pub const DETACHED: u8 = 13;
    pub const MESSAGE: u8 = 15;
    pub const AUTH: u8 = 17;
}

/// An Ably error.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ErrorInfo {
    /// Ably code.
    pub code: u32,
    /// HTTP-style status.
    pub status_code: u16,
    /// What is wrong.
    pub message: String,
}

/// One message inside a MESSAGE frame.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct WireMessage {
    /// Unique id (`connectionId:msgSerial:index`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// Event name (`message`, `task`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Payload.
    #[serde(default, skip_serializing_if = "Value::is_null")]
    pub data: Value,
    /// Payload encoding (e.g. `json`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub encoding: Option<String>,
    /// Publisher's client id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_id: Option<String>,
    /// Publisher's connection id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub connection_id: Option<String>,
    /// Server time, ms.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timestamp: Option<u64>,
    /// Extras, passed through.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub extras: Option<Value>,
}

/// A protocol message (TR4), the fields this hub uses.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ProtocolMessage {
    /// The action.
    pub action: u8,
    /// Message id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// Channel name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub channel: Option<String>,
    /// Channel serial for resume.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub channel_serial: Option<String>,
    /// Connection id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub connection_id: Option<String>,
    /// Connection details (CONNECTED).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub connection_details: Option<Value>,
    /// ACK/NACK count.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub count: Option<u64>,
    /// Error.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<ErrorInfo>,
    /// Flags.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub flags: Option<u64>,
    /// Serial of a published message.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub msg_serial: Option<u64>,
    /// Messages.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub messages: Option<Vec<WireMessage>>,
    /// Server time, ms.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timestamp: Option<u64>,
    /// Channel params (ATTACH).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub params: Option<Value>,
    /// Auth details (AUTH).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub auth: Option<Value>,
}

impl ProtocolMessage {
    /// A frame with only an action.
    #[must_use]
    pub fn action(action: u8) -> Self {
        Self { action, ..Self::default() }
    }

    /// An error frame (on a channel when `channel` is set).
    #[must_use]
    pub fn error(action: u8, code: u32, status_code: u16, message: impl Into<String>, channel: Option<String>) -> Self {
        Self {
            action,
            channel,
            error: Some(ErrorInfo { code, status_code, message: message.into() }),
            ..Self::default()
        }
    }
}
