//! The protocol message (TR4): one frame on the realtime WebSocket.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::message::{PresenceMessage, WireMessage};

/// A protocol action (TR2). Unknown actions are kept as their number.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Action(pub u8);

#[allow(missing_docs)]
impl Action {
    pub const HEARTBEAT: Self = Self(0);
    pub const ACK: Self = Self(1);
    pub const NACK: Self = Self(2);
    pub const CONNECT: Self = Self(3);
    pub const CONNECTED: Self = Self(4);
    pub const DISCONNECT: Self = Self(5);
    pub const DISCONNECTED: Self = Self(6);
    pub const CLOSE: Self = Self(7);
    pub const CLOSED: Self = Self(8);
    pub const ERROR: Self = Self(9);
    pub const ATTACH: Self = Self(10);
    pub const ATTACHED: Self = Self(11);
    pub const DETACH: Self = Self(12);
    pub const DETACHED: Self = Self(13);
    pub const PRESENCE: Self = Self(14);
    pub const MESSAGE: Self = Self(15);
    pub const SYNC: Self = Self(16);
    pub const AUTH: Self = Self(17);
}

/// Protocol message flags (TR3).
pub mod flags {
    /// ATTACHED: the channel has presence members; a SYNC follows.
    pub const HAS_PRESENCE: u64 = 1 << 0;
    /// ATTACHED: messages from before the attach (rewind or resume) follow.
    pub const HAS_BACKLOG: u64 = 1 << 1;
    /// ATTACHED: continuity was kept; nothing was lost since `channelSerial`.
    pub const RESUMED: u64 = 1 << 2;
    /// Mode: may enter presence.
    pub const PRESENCE: u64 = 1 << 16;
    /// Mode: may publish.
    pub const PUBLISH: u64 = 1 << 17;
    /// Mode: receives messages.
    pub const SUBSCRIBE: u64 = 1 << 18;
    /// Mode: receives presence.
    pub const PRESENCE_SUBSCRIBE: u64 = 1 << 19;
}

/// An Ably error (TI).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ErrorInfo {
    /// Ably code, e.g. 40142.
    #[serde(default)]
    pub code: u32,
    /// HTTP-style status.
    #[serde(default)]
    pub status_code: u16,
    /// What is wrong.
    #[serde(default)]
    pub message: String,
}

impl ErrorInfo {
    /// An error with code, status and message.
    #[must_use]
    pub fn new(code: u32, status_code: u16, message: impl Into<String>) -> Self {
        Self { code, status_code, message: message.into() }
    }
}

impl std::fmt::Display for ErrorInfo {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} (Ably {}, status {})", self.message, self.code, self.status_code)
    }
}

/// Details of a connection, sent in CONNECTED (CD).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ConnectionDetails {
    /// The connection's client id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_id: Option<String>,
    /// Key to resume this connection with (`resume=` query parameter).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub connection_key: Option<String>,
    /// Largest message payload accepted, bytes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_message_size: Option<u64>,
    /// Largest frame accepted, bytes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_frame_size: Option<u64>,
    /// Inbound protocol messages per second allowed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_inbound_rate: Option<u64>,
    /// Longest silence from the server, ms, before the connection counts as dead.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_idle_interval: Option<u64>,
    /// How long the server keeps a dropped connection resumable, ms.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub connection_state_ttl: Option<u64>,
    /// Server identity.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub server_id: Option<String>,
}

/// Auth details of an AUTH frame.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AuthDetails {
    /// The new token.
    #[serde(default)]
    pub access_token: String,
}

/// A protocol message: every field of TR4 this toolkit reads or writes. Unknown fields
/// are ignored on decode.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ProtocolMessage {
    /// The action.
    pub action: Action,
    /// Message id (`connectionId:msgSerial`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// Channel name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub channel: Option<String>,
    /// Position on the channel, for resume (opaque).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub channel_serial: Option<String>,
    /// Connection id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub connection_id: Option<String>,
    /// Connection details (CONNECTED).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub connection_details: Option<ConnectionDetails>,
    /// ACK/NACK: how many messages from `msgSerial` it covers.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub count: Option<u64>,
    /// Error.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<ErrorInfo>,
    /// Flags ([`flags`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub flags: Option<u64>,
    /// Serial of a sent MESSAGE/PRESENCE, or the first serial an ACK/NACK covers.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub msg_serial: Option<u64>,
    /// Messages (MESSAGE).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub messages: Option<Vec<WireMessage>>,
    /// Presence messages (PRESENCE, SYNC).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub presence: Option<Vec<PresenceMessage>>,
    /// Server time, ms.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timestamp: Option<u64>,
    /// Channel params (ATTACH, ATTACHED), e.g. `rewind`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub params: Option<BTreeMap<String, String>>,
    /// Auth details (AUTH).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub auth: Option<AuthDetails>,
}

impl ProtocolMessage {
    /// A frame with only an action.
    #[must_use]
    pub fn new(action: Action) -> Self {
        Self { action, ..Self::default() }
    }

    /// A frame with an action on a channel.
    #[must_use]
    pub fn on_channel(action: Action, channel: impl Into<String>) -> Self {
        Self { action, channel: Some(channel.into()), ..Self::default() }
    }

    /// A frame carrying an error.
    #[must_use]
    pub fn with_error(action: Action, error: ErrorInfo) -> Self {
        Self { action, error: Some(error), ..Self::default() }
    }

    /// Whether `flag` is set.
    #[must_use]
    pub fn has_flag(&self, flag: u64) -> bool {
        self.flags.unwrap_or(0) & flag != 0
    }
}
