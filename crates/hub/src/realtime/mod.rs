//! The realtime (Ably-protocol) side of the hub: the token flow and a WebSocket endpoint
//! speaking the `json` and `msgpack` formats, with presence, rewind, resume of dropped
//! connections, and limits per connection and per client (shared/realtime.md).

pub mod channels;
pub mod connection;
pub mod rewind;
mod session;
pub mod token;

use std::collections::{HashMap, HashSet};
use std::sync::Mutex;
use std::time::Duration;

use tokio_util::sync::CancellationToken;

use self::channels::Channels;

/// Limits and timings of the realtime endpoint.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RealtimeLimits {
    /// Largest message payload (`connectionDetails.maxMessageSize`).
    pub max_message_size: usize,
    /// Open connections allowed per client id.
    pub max_connections_per_client: usize,
    /// Channels one connection may attach.
    pub max_channels_per_connection: usize,
    /// How long a dropped connection stays resumable (`connectionStateTtl`).
    pub connection_state_ttl: Duration,
    /// How long a dropped connection's presence members stay before they leave.
    pub presence_grace: Duration,
    /// Server heartbeat period (`maxIdleInterval`).
    pub heartbeat: Duration,
    /// Events kept per channel for rewind and resume.
    pub history_len: usize,
    /// Inbound protocol messages per second before the connection is closed (42924).
    pub max_inbound_rate: u32,
    /// Lifetime of the tokens `POST /api/ably/token` signs requests for.
    pub token_ttl: Duration,
    /// Events queued for one connection before it counts as a slow consumer and is
    /// disconnected (80020); bounds the memory a reader that stopped reading can hold.
    pub outbound_queue: usize,
}

impl RealtimeLimits {
    /// [`Self::token_ttl`] in ms.
    #[must_use]
    pub fn token_ttl_ms(&self) -> u64 {
        u64::try_from(self.token_ttl.as_millis()).unwrap_or(token::DEFAULT_TTL_MS)
    }
}

impl Default for RealtimeLimits {
    fn default() -> Self {
        Self {
            max_message_size: 64 * 1024,
            max_connections_per_client: 100,
            max_channels_per_connection: 200,
            connection_state_ttl: Duration::from_secs(120),
            presence_grace: Duration::from_secs(15),
            heartbeat: Duration::from_secs(15),
            history_len: 2_000,
            max_inbound_rate: 2_000,
            token_ttl: Duration::from_millis(token::DEFAULT_TTL_MS),
            outbound_queue: channels::SUBSCRIBER_BUFFER,
        }
    }
}

/// A dropped connection kept for resume.
#[derive(Debug)]
pub(crate) struct Parked {
    pub connection_id: String,
    pub client_id: String,
    pub entered: HashSet<String>,
    pub last_msg_serial: Option<u64>,
    pub park_id: u64,
}

/// Process-wide realtime state.
#[derive(Debug)]
pub struct Realtime {
    /// The channels.
    pub channels: Channels,
    /// Limits.
    pub limits: RealtimeLimits,
    /// Fires when the hub shuts down: every connection is told and closed.
    pub shutdown: CancellationToken,
    /// Random per process; prefixes connection keys and channel serials, so a key or
    /// serial from before a restart is recognised as unknown.
    pub(crate) epoch: String,
    pub(crate) parked: Mutex<HashMap<String, Parked>>,
    /// Live connections by key: cancelling one makes it park itself, for a resume that
    /// arrives before the server noticed the old transport die.
    pub(crate) live: Mutex<HashMap<String, CancellationToken>>,
    pub(crate) per_client: Mutex<HashMap<String, usize>>,
}

impl Realtime {
    /// Realtime state with `limits`.
    #[must_use]
    pub fn new(limits: RealtimeLimits) -> Self {
        let epoch = hex::encode(rand::random::<[u8; 4]>());
        let history_ms = u64::try_from(limits.connection_state_ttl.as_millis()).unwrap_or(u64::MAX);
        Self {
            channels: Channels::new(epoch.clone(), limits.history_len, history_ms),
            limits,
            shutdown: CancellationToken::new(),
            epoch,
            parked: Mutex::default(),
            live: Mutex::default(),
            per_client: Mutex::default(),
        }
    }

    /// Open connections right now.
    #[must_use]
    pub fn open_connections(&self) -> usize {
        lock(&self.per_client).values().sum()
    }
}

impl Default for Realtime {
    fn default() -> Self {
        Self::new(RealtimeLimits::default())
    }
}

pub(crate) fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}
