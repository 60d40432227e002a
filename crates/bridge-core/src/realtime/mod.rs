//! A realtime client for Jaibber's Ably-protocol layer (feature `realtime`).
//!
//! [`Realtime::connect`] starts one connection actor over `tokio-tungstenite`: token auth
//! through the REST [`Client`] (`POST /api/ably/token`, then
//! `requestToken`), renewed in-band before expiry in a task of its own, json or msgpack,
//! reconnect with jittered backoff, resume with the connection key and re-attach with
//! each channel's `channelSerial`, protocol heartbeats and an idle timeout.
//!
//! ```no_run
//! # async fn demo(rest: bridge_core::client::Client) -> Result<(), Box<dyn std::error::Error>> {
//! use bridge_core::realtime::{Realtime, RealtimeOptions};
//! let realtime = Realtime::connect(rest, RealtimeOptions::default());
//! let channel = realtime.channel("jaibber:project:p1");
//! let mut messages = channel.subscribe(Some("message"));
//! channel.attach().await?;
//! channel.presence().enter(&serde_json::json!({"agentName": "Coder"})).await?;
//! while let Some(message) = messages.next().await {
//!     println!("{:?}", message.decoded());
//! }
//! # Ok(()) }
//! ```

mod actor;
pub mod backoff;
mod channel;
pub mod stream;
mod types;

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};

use tokio::sync::{broadcast, mpsc, oneshot, watch};

use self::actor::{Actor, Command};
use self::channel::ChannelShared;
pub use self::types::{ChannelChange, ChannelState, ConnectionChange, ConnectionState, RealtimeError, RealtimeOptions};
use crate::ably::{MessageData, PresenceAction, PresenceMessage, WireMessage};
use crate::client::Client;

/// State shared between the actor and the handles.
#[derive(Debug)]
pub(crate) struct Shared {
    state: watch::Sender<ConnectionState>,
    changes: broadcast::Sender<ConnectionChange>,
    channels: Mutex<HashMap<String, Arc<ChannelShared>>>,
}

impl Shared {
    fn channel(&self, name: &str) -> Arc<ChannelShared> {
        self.channels
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .entry(name.to_owned())
            .or_insert_with(ChannelShared::new)
            .clone()
    }
}

/// A realtime connection. Cheap to clone; the connection closes when the last clone
/// (and every [`Channel`]) is dropped, or on [`Realtime::close`].
#[derive(Clone, Debug)]
pub struct Realtime {
    commands: mpsc::UnboundedSender<Command>,
    shared: Arc<Shared>,
    request_timeout: std::time::Duration,
}

impl Realtime {
    /// Starts connecting in the background with `rest` for tokens.
    #[must_use]
    pub fn connect(rest: Client, options: RealtimeOptions) -> Self {
        let shared = Arc::new(Shared {
            state: watch::channel(ConnectionState::Initialized).0,
            changes: broadcast::channel(256).0,
            channels: Mutex::default(),
        });
        let (commands, receiver) = mpsc::unbounded_channel();
        let request_timeout = options.request_timeout;
        let actor = Actor::new(rest, options, shared.clone(), receiver);
        tokio::spawn(actor.run());
        Self { commands, shared, request_timeout }
    }

    /// The current connection state.
    #[must_use]
    pub fn state(&self) -> ConnectionState {
        *self.shared.state.borrow()
    }

    /// Connection state changes from now on.
    #[must_use]
    pub fn changes(&self) -> broadcast::Receiver<ConnectionChange> {
        self.shared.changes.subscribe()
    }

    /// Waits until CONNECTED (or fails when the connection fails or closes).
    pub async fn connected(&self) -> Result<(), RealtimeError> {
        let mut state = self.shared.state.subscribe();
        let result = state
            .wait_for(|s| matches!(s, ConnectionState::Connected | ConnectionState::Failed | ConnectionState::Closed))
            .await
            .map(|s| *s);
        match result {
            Ok(ConnectionState::Connected) => Ok(()),
            Ok(other) => Err(RealtimeError::NotConnected(other)),
            Err(_) => Err(RealtimeError::NotConnected(ConnectionState::Closed)),
        }
    }

    /// A handle on a channel (nothing is sent until [`Channel::attach`]).
    #[must_use]
    pub fn channel(&self, name: &str) -> Channel {
        Channel { realtime: self.clone(), name: name.to_owned(), shared: self.shared.channel(name) }
    }

    /// Closes the connection (CLOSE, then CLOSED) and fails what still waits.
    pub async fn close(&self) {
        let (reply, done) = oneshot::channel();
        if self.commands.send(Command::Close { reply }).is_ok() {
            let _ = tokio::time::timeout(std::time::Duration::from_secs(5), done).await;
        }
    }

    async fn request<T>(
        &self,
        what: &'static str,
        command: impl FnOnce(channel::Reply<T>) -> Command,
    ) -> Result<T, RealtimeError> {
        let (reply, answer) = oneshot::channel();
        self.commands.send(command(reply)).map_err(|_| RealtimeError::NotConnected(ConnectionState::Closed))?;
        match tokio::time::timeout(self.request_timeout, answer).await {
            Ok(Ok(result)) => result,
            Ok(Err(_)) => Err(RealtimeError::NotConnected(self.state())),
            Err(_) => Err(RealtimeError::Timeout(what)),
        }
    }
}

/// A channel of a [`Realtime`] connection.
#[derive(Clone, Debug)]
pub struct Channel {
    realtime: Realtime,
    name: String,
    shared: Arc<ChannelShared>,
}

impl Channel {
    /// The channel name.
    #[must_use]
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The channel state.
    #[must_use]
    pub fn state(&self) -> ChannelState {
        *self.shared.state.borrow()
    }

    /// Channel state changes from now on (including re-attaches after reconnects).
    #[must_use]
    pub fn changes(&self) -> broadcast::Receiver<ChannelChange> {
        self.shared.changes.subscribe()
    }

    /// Attaches and waits for ATTACHED. Re-attached automatically after reconnects.
    pub async fn attach(&self) -> Result<(), RealtimeError> {
        self.attach_with(BTreeMap::new()).await
    }

    /// Attaches with channel params, e.g. `rewind` = `2m` (used on the first attach only).
    pub async fn attach_with(&self, params: BTreeMap<String, String>) -> Result<(), RealtimeError> {
        let channel = self.name.clone();
        let params = (!params.is_empty()).then_some(params);
        self.realtime.request("attach", |reply| Command::Attach { channel, params, reply }).await
    }

    /// Detaches and waits for DETACHED.
    pub async fn detach(&self) -> Result<(), RealtimeError> {
        let channel = self.name.clone();
        self.realtime.request("detach", |reply| Command::Detach { channel, reply }).await
    }

    /// Messages from now on, all of them or only those named `name`.
    #[must_use]
    pub fn subscribe(&self, name: Option<&str>) -> Subscription {
        Subscription { receiver: self.shared.messages.subscribe(), name: name.map(str::to_owned), dropped: 0 }
    }

    /// Publishes messages and waits for the ACK. Queued while disconnected.
    pub async fn publish(&self, messages: Vec<WireMessage>) -> Result<(), RealtimeError> {
        let channel = self.name.clone();
        self.realtime.request("publish", |reply| Command::Publish { channel, messages, reply }).await
    }

    /// Publishes one message named `name` with `data` as JSON (`encoding: "json"`).
    pub async fn publish_json(&self, name: &str, data: &impl serde::Serialize) -> Result<(), RealtimeError> {
        self.publish(vec![WireMessage::json(name, data)?]).await
    }

    /// Presence on this channel.
    #[must_use]
    pub fn presence(&self) -> Presence {
        Presence { channel: self.clone() }
    }
}

/// Messages of a channel, optionally filtered by name.
#[derive(Debug)]
pub struct Subscription {
    receiver: broadcast::Receiver<WireMessage>,
    name: Option<String>,
    dropped: u64,
}

impl Subscription {
    /// The next message; `None` when the connection is gone.
    pub async fn next(&mut self) -> Option<WireMessage> {
        loop {
            match self.receiver.recv().await {
                Ok(message) => {
                    if self.name.as_ref().is_none_or(|n| message.name.as_ref() == Some(n)) {
                        return Some(message);
                    }
                }
                Err(broadcast::error::RecvError::Lagged(count)) => {
                    self.dropped += count;
                    tracing::warn!(count, "realtime subscriber fell behind; messages dropped");
                }
                Err(broadcast::error::RecvError::Closed) => return None,
            }
        }
    }

    /// Messages this subscriber missed because it fell behind.
    #[must_use]
    pub fn dropped(&self) -> u64 {
        self.dropped
    }
}

/// Presence of a channel.
#[derive(Clone, Debug)]
pub struct Presence {
    channel: Channel,
}

impl Presence {
    async fn send(&self, action: PresenceAction, data: Option<&serde_json::Value>) -> Result<(), RealtimeError> {
        let channel = self.channel.name.clone();
        let (data, encoding) = match data {
            Some(value) => (Some(MessageData::Text(serde_json::to_string(value)?)), Some("json".to_owned())),
            None => (None, None),
        };
        self.channel
            .realtime
            .request("presence", |reply| Command::Presence { channel, action, data, encoding, reply })
            .await
    }

    /// Enters with `data` (sent as JSON); re-entered automatically after a reconnect
    /// that lost continuity.
    pub async fn enter(&self, data: &serde_json::Value) -> Result<(), RealtimeError> {
        self.send(PresenceAction::ENTER, Some(data)).await
    }

    /// Updates this client's member data.
    pub async fn update(&self, data: &serde_json::Value) -> Result<(), RealtimeError> {
        self.send(PresenceAction::UPDATE, Some(data)).await
    }

    /// Leaves.
    pub async fn leave(&self) -> Result<(), RealtimeError> {
        self.send(PresenceAction::LEAVE, None).await
    }

    /// The members, once the channel is attached and any sync is complete.
    pub async fn get(&self) -> Result<Vec<PresenceMessage>, RealtimeError> {
        let channel = self.channel.name.clone();
        self.channel.realtime.request("presence get", |reply| Command::PresenceGet { channel, reply }).await
    }

    /// Presence events (enter, update, leave, and members from syncs) from now on.
    #[must_use]
    pub fn subscribe(&self) -> broadcast::Receiver<PresenceMessage> {
        self.channel.shared.presence.subscribe()
    }
}
