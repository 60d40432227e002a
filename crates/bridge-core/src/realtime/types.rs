//! Public types of the realtime client: options, states, state changes and errors.

use std::time::Duration;

use crate::ably::{ErrorInfo, Format};

/// How the client connects.
#[derive(Clone, Debug)]
pub struct RealtimeOptions {
    /// Wire format; msgpack by default, as Ably SDKs use.
    pub format: Format,
    /// Whether this connection receives its own publishes (`echo`); off by default, so a
    /// bridge never sees its own answers.
    pub echo: bool,
    /// WebSocket base URL; derived from the REST client's base URL when `None`
    /// (`http` → `ws`, `https` → `wss`).
    pub url: Option<String>,
    /// Timeout of the WebSocket handshake plus CONNECTED.
    pub connect_timeout: Duration,
    /// Base of the retry delay while DISCONNECTED (Ably: 15 s; shorter here, since a
    /// bridge wants its hub back quickly).
    pub disconnected_retry: Duration,
    /// Retry period while SUSPENDED.
    pub suspended_retry: Duration,
    /// How long to keep trying to resume before giving up on continuity (overridden by
    /// the server's `connectionStateTtl`).
    pub connection_state_ttl: Duration,
    /// Renew the token this long before it expires (in-band AUTH, no reconnect).
    pub renew_before: Duration,
    /// Timeout of an attach, detach, publish or presence request.
    pub request_timeout: Duration,
    /// `agent` query parameter.
    pub agent: String,
}

impl Default for RealtimeOptions {
    fn default() -> Self {
        Self {
            format: Format::Msgpack,
            echo: false,
            url: None,
            connect_timeout: Duration::from_secs(10),
            disconnected_retry: Duration::from_secs(2),
            suspended_retry: Duration::from_secs(30),
            connection_state_ttl: Duration::from_secs(120),
            renew_before: Duration::from_secs(60),
            request_timeout: Duration::from_secs(10),
            agent: concat!("jaibber-bridge-core/", env!("CARGO_PKG_VERSION")).to_owned(),
        }
    }
}

/// Connection states (RTN4).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum ConnectionState {
    /// Not started.
    #[default]
    Initialized,
    /// Opening a transport.
    Connecting,
    /// Connected.
    Connected,
    /// Lost; retrying and still able to resume.
    Disconnected,
    /// Lost for longer than the state TTL; retrying without resume.
    Suspended,
    /// Closing on request.
    Closing,
    /// Closed on request.
    Closed,
    /// Failed for good (refused credentials, fatal error).
    Failed,
}

/// A connection state change.
#[derive(Clone, Debug, PartialEq)]
pub struct ConnectionChange {
    /// The state before.
    pub previous: ConnectionState,
    /// The state now.
    pub current: ConnectionState,
    /// Why, when an error caused it.
    pub reason: Option<ErrorInfo>,
    /// On CONNECTED after a reconnect: whether the connection was resumed.
    pub resumed: bool,
}

/// Channel states (RTL2).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum ChannelState {
    /// Never attached.
    #[default]
    Initialized,
    /// ATTACH sent.
    Attaching,
    /// Attached.
    Attached,
    /// DETACH sent.
    Detaching,
    /// Detached.
    Detached,
    /// Refused (capability, limits).
    Failed,
}

/// A channel state change, including re-attaches after a reconnect.
#[derive(Clone, Debug, PartialEq)]
pub struct ChannelChange {
    /// The channel.
    pub channel: String,
    /// The state before.
    pub previous: ChannelState,
    /// The state now.
    pub current: ChannelState,
    /// Whether an (re-)attach kept continuity; `false` after a reconnect means messages
    /// may have been missed and should be fetched from history.
    pub resumed: bool,
    /// Why, when an error caused it.
    pub reason: Option<ErrorInfo>,
}

/// A failed realtime request.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum RealtimeError {
    /// The server refused it (NACK, channel error, capability).
    #[error("refused by the server: {0}")]
    Refused(ErrorInfo),
    /// The connection is closed or failed.
    #[error("the realtime connection is {0:?}")]
    NotConnected(ConnectionState),
    /// No answer in time.
    #[error("no answer to {0} within the request timeout")]
    Timeout(&'static str),
    /// A payload could not be encoded.
    #[error("payload not encodable: {0}")]
    Encode(#[from] serde_json::Error),
}
