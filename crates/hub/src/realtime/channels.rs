//! Channels: fan-out of messages and presence to attached connections, a bounded history
//! per channel (for `rewind` and for resuming a dropped connection), and presence sets.
//!
//! Publishing and attaching take the channel's lock, so an attacher's backlog (taken from
//! history) and its live feed (the broadcast receiver) meet without a gap or an overlap.

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::sync::{Arc, Mutex, OnceLock};

use bridge_core::ably::{Action, Format, PresenceAction, PresenceMessage, ProtocolMessage, WireMessage, codec};
use bytes::Bytes;
use tokio::sync::broadcast;

/// Events buffered per subscriber before it counts as a slow consumer.
pub const SUBSCRIBER_BUFFER: usize = 1024;

/// What a channel event carries.
#[derive(Clone, Debug)]
pub enum EventBody {
    /// Published messages.
    Messages(Vec<WireMessage>),
    /// Presence changes.
    Presence(Vec<PresenceMessage>),
}

/// One publish on a channel, encoded at most once per wire format.
#[derive(Debug)]
pub struct ChannelEvent {
    /// The channel.
    pub channel: String,
    /// Position on the channel.
    pub serial: u64,
    /// `channelSerial` as sent: `{epoch}:{serial}`.
    pub channel_serial: String,
    /// Server time, ms.
    pub timestamp: u64,
    /// The body.
    pub body: EventBody,
    /// The publishing connection (empty for the server itself).
    pub from_connection: String,
    json: OnceLock<Bytes>,
    msgpack: OnceLock<Bytes>,
}

impl ChannelEvent {
    /// The protocol frame of this event.
    #[must_use]
    pub fn frame(&self) -> ProtocolMessage {
        let mut frame = ProtocolMessage::on_channel(Action::MESSAGE, self.channel.clone());
        frame.channel_serial = Some(self.channel_serial.clone());
        frame.timestamp = Some(self.timestamp);
        match &self.body {
            EventBody::Messages(messages) => frame.messages = Some(messages.clone()),
            EventBody::Presence(presence) => {
                frame.action = Action::PRESENCE;
                frame.presence = Some(presence.clone());
            }
        }
        frame
    }

    /// The frame encoded for `format`, cached: a fan-out to N subscribers encodes once.
    #[must_use]
    pub fn encoded(&self, format: Format) -> Bytes {
        let cell = match format {
            Format::Json => &self.json,
            Format::Msgpack => &self.msgpack,
        };
        cell.get_or_init(|| codec::encode(&self.frame(), format).map(Bytes::from).unwrap_or_default()).clone()
    }

    /// Whether this event carries messages (not presence).
    #[must_use]
    pub fn is_messages(&self) -> bool {
        matches!(self.body, EventBody::Messages(_))
    }
}

/// Where an attacher starts reading.
#[derive(Clone, Debug)]
pub enum StartAt {
    /// Only what is published from now on.
    Now,
    /// The last `count` messages, none older than `max_age_ms` (rewind).
    Rewind {
        /// At most this many.
        count: usize,
        /// None older than this, ms.
        max_age_ms: Option<u64>,
    },
    /// Everything after this `channelSerial` (resume).
    After(String),
}

/// The outcome of an attach.
#[derive(Debug)]
pub struct Attachment {
    /// The live feed.
    pub receiver: broadcast::Receiver<Arc<ChannelEvent>>,
    /// Events to send before the live feed.
    pub backlog: Vec<Arc<ChannelEvent>>,
    /// Whether `After` was honoured without a gap.
    pub resumed: bool,
    /// The current presence set.
    pub members: Vec<PresenceMessage>,
    /// Latest serial on the channel (for ATTACHED).
    pub channel_serial: Option<String>,
}

#[derive(Debug)]
struct ChannelState {
    next_serial: u64,
    history: VecDeque<Arc<ChannelEvent>>,
    members: BTreeMap<String, PresenceMessage>,
}

#[derive(Debug)]
struct Channel {
    state: Mutex<ChannelState>,
    sender: broadcast::Sender<Arc<ChannelEvent>>,
}

/// Every channel with attached connections or recent publishes.
#[derive(Debug)]
pub struct Channels {
    map: Mutex<HashMap<String, Arc<Channel>>>,
    epoch: String,
    history_len: usize,
    history_ms: u64,
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

impl Channels {
    /// Channels whose serials start with `epoch` and that keep up to `history_len` events
    /// no older than `history_ms`.
    #[must_use]
    pub fn new(epoch: String, history_len: usize, history_ms: u64) -> Self {
        Self { map: Mutex::default(), epoch, history_len, history_ms }
    }

    fn channel(&self, name: &str) -> Arc<Channel> {
        lock(&self.map)
            .entry(name.to_owned())
            .or_insert_with(|| {
                Arc::new(Channel {
                    state: Mutex::new(ChannelState {
                        next_serial: 1,
                        history: VecDeque::new(),
                        members: BTreeMap::new(),
                    }),
                    sender: broadcast::channel(SUBSCRIBER_BUFFER).0,
                })
            })
            .clone()
    }

    fn parse_serial(&self, serial: &str) -> Option<u64> {
        let (epoch, number) = serial.rsplit_once(':')?;
        (epoch == self.epoch).then(|| u64::from_str_radix(number, 16).ok()).flatten()
    }

    fn emit(&self, name: &str, channel: &Channel, state: &mut ChannelState, body: EventBody, from: &str) -> u64 {
        let serial = state.next_serial;
        state.next_serial += 1;
        let now = now_ms();
        let event = Arc::new(ChannelEvent {
            channel: name.to_owned(),
            serial,
            channel_serial: format!("{}:{serial:x}", self.epoch),
            timestamp: now,
            body,
            from_connection: from.to_owned(),
            json: OnceLock::new(),
            msgpack: OnceLock::new(),
        });
        state.history.push_back(event.clone());
        while state.history.len() > self.history_len
            || state.history.front().is_some_and(|e| now.saturating_sub(e.timestamp) > self.history_ms)
        {
            state.history.pop_front();
        }
        let _ = channel.sender.send(event);
        serial
    }

    /// Publishes messages; returns the event's serial.
    pub fn publish(&self, name: &str, messages: Vec<WireMessage>, from_connection: &str) -> u64 {
        let channel = self.channel(name);
        let mut state = lock(&channel.state);
        self.emit(name, &channel, &mut state, EventBody::Messages(messages), from_connection)
    }

    /// Applies presence changes from one connection and broadcasts what changed: an
    /// ENTER of a present member goes out as UPDATE, an UPDATE of an absent one as
    /// ENTER, a LEAVE of an absent one not at all.
    pub fn presence(&self, name: &str, changes: Vec<PresenceMessage>, from_connection: &str) {
        let channel = self.channel(name);
        let mut state = lock(&channel.state);
        let mut out = Vec::with_capacity(changes.len());
        for mut change in changes {
            let key = change.member_key();
            let present = state.members.contains_key(&key);
            match change.action {
                PresenceAction::ENTER | PresenceAction::UPDATE | PresenceAction::PRESENT => {
                    change.action = if present { PresenceAction::UPDATE } else { PresenceAction::ENTER };
                    let mut member = change.clone();
                    member.action = PresenceAction::PRESENT;
                    state.members.insert(key, member);
                    out.push(change);
                }
                PresenceAction::LEAVE if present => {
                    state.members.remove(&key);
                    out.push(change);
                }
                _ => {}
            }
        }
        if !out.is_empty() {
            self.emit(name, &channel, &mut state, EventBody::Presence(out), from_connection);
        }
    }

    /// Members of `connection_id` on `name`, as LEAVE messages stamped `now`.
    pub fn leave_all(&self, name: &str, connection_id: &str) {
        let channel = self.channel(name);
        let leaving: Vec<PresenceMessage> = lock(&channel.state)
            .members
            .values()
            .filter(|m| m.connection_id.as_deref() == Some(connection_id))
            .map(|m| PresenceMessage {
                action: PresenceAction::LEAVE,
                id: Some(format!("{connection_id}:leave:{}", now_ms())),
                timestamp: Some(now_ms()),
                ..m.clone()
            })
            .collect();
        if !leaving.is_empty() {
            self.presence(name, leaving, connection_id);
        }
    }

    /// Attaches: the live feed plus the backlog `start` asks for.
    pub fn attach(&self, name: &str, start: &StartAt) -> Attachment {
        let channel = self.channel(name);
        let state = lock(&channel.state);
        let receiver = channel.sender.subscribe();
        let now = now_ms();
        let (backlog, resumed) = match start {
            StartAt::Now => (Vec::new(), false),
            StartAt::Rewind { count, max_age_ms } => {
                let mut picked: Vec<Arc<ChannelEvent>> = state
                    .history
                    .iter()
                    .rev()
                    .filter(|e| e.is_messages())
                    .take_while(|e| max_age_ms.is_none_or(|age| now.saturating_sub(e.timestamp) <= age))
                    .take(*count)
                    .cloned()
                    .collect();
                picked.reverse();
                (picked, false)
            }
            StartAt::After(serial) => match self.parse_serial(serial) {
                Some(after) if after + 1 >= state.history.front().map_or(state.next_serial, |e| e.serial) => {
                    (state.history.iter().filter(|e| e.serial > after).cloned().collect(), true)
                }
                _ => (Vec::new(), false),
            },
        };
        Attachment {
            receiver,
            backlog,
            resumed,
            members: state.members.values().cloned().collect(),
            channel_serial: (state.next_serial > 1).then(|| format!("{}:{:x}", self.epoch, state.next_serial - 1)),
        }
    }

    /// The current members of a channel.
    #[must_use]
    pub fn members(&self, name: &str) -> Vec<PresenceMessage> {
        lock(&self.channel(name).state).members.values().cloned().collect()
    }
}

fn now_ms() -> u64 {
    u64::try_from(crate::clock::now_ms()).unwrap_or(0)
}

/// Publishes a server-originated event (`message` or `task`) on a project's channel, its
/// payload as JSON text with `encoding: "json"`, as ably-js publishes objects.
pub fn publish_to_project(channels: &Channels, project: &str, name: &str, data: &serde_json::Value) {
    let Ok(mut message) = WireMessage::json(name, data) else { return };
    message.id = Some(format!("hub:{}", uuid::Uuid::new_v4()));
    message.timestamp = Some(now_ms());
    channels.publish(&format!("jaibber:project:{project}"), vec![message], "");
}
