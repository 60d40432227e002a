//! Per-channel bookkeeping inside the connection actor.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use tokio::sync::{broadcast, oneshot, watch};

use super::types::{ChannelChange, ChannelState, RealtimeError};
use crate::ably::{MessageData, PresenceAction, PresenceMessage, WireMessage};

/// Messages buffered per subscriber.
pub(crate) const SUBSCRIBER_BUFFER: usize = 4096;

/// What channel handles share with the actor.
#[derive(Debug)]
pub(crate) struct ChannelShared {
    pub messages: broadcast::Sender<WireMessage>,
    pub presence: broadcast::Sender<PresenceMessage>,
    pub changes: broadcast::Sender<ChannelChange>,
    pub state: watch::Sender<ChannelState>,
}

impl ChannelShared {
    pub fn new() -> Arc<Self> {
        Arc::new(Self {
            messages: broadcast::channel(SUBSCRIBER_BUFFER).0,
            presence: broadcast::channel(256).0,
            changes: broadcast::channel(64).0,
            state: watch::channel(ChannelState::Initialized).0,
        })
    }
}

pub(crate) type Reply<T> = oneshot::Sender<Result<T, RealtimeError>>;

/// The actor's view of one channel.
#[derive(Debug)]
pub(crate) struct ChannelEntry {
    pub name: String,
    pub shared: Arc<ChannelShared>,
    pub state: ChannelState,
    /// Last `channelSerial` seen, sent on re-attach.
    pub serial: Option<String>,
    /// Params of the first attach (`rewind` applies to it only).
    pub params: Option<BTreeMap<String, String>>,
    pub attached_once: bool,
    pub attach_waiters: Vec<Reply<()>>,
    pub detach_waiters: Vec<Reply<()>>,
    pub members: HashMap<String, PresenceMessage>,
    pub syncing: bool,
    pub get_waiters: Vec<Reply<Vec<PresenceMessage>>>,
    /// This connection's own member, re-entered after a non-resumed attach (RTP17i).
    pub own_member: Option<(Option<MessageData>, Option<String>)>,
}

impl ChannelEntry {
    pub fn new(name: String, shared: Arc<ChannelShared>) -> Self {
        Self {
            name,
            shared,
            state: ChannelState::Initialized,
            serial: None,
            params: None,
            attached_once: false,
            attach_waiters: Vec::new(),
            detach_waiters: Vec::new(),
            members: HashMap::new(),
            syncing: false,
            get_waiters: Vec::new(),
            own_member: None,
        }
    }

    /// Moves to `current` and tells watchers.
    pub fn set_state(&mut self, current: ChannelState, resumed: bool, reason: Option<crate::ably::ErrorInfo>) {
        let previous = self.state;
        self.state = current;
        self.shared.state.send_replace(current);
        let _ =
            self.shared.changes.send(ChannelChange { channel: self.name.clone(), previous, current, resumed, reason });
    }

    /// Applies presence messages to the member set and tells subscribers.
    pub fn apply_presence(&mut self, messages: Vec<PresenceMessage>) {
        for message in messages {
            let key = message.member_key();
            match message.action {
                PresenceAction::LEAVE | PresenceAction::ABSENT => {
                    self.members.remove(&key);
                }
                _ => {
                    let mut member = message.clone();
                    member.action = PresenceAction::PRESENT;
                    self.members.insert(key, member);
                }
            }
            let _ = self.shared.presence.send(message);
        }
    }

    /// Ends a presence sync and answers `get` callers.
    pub fn end_sync(&mut self) {
        self.syncing = false;
        let members: Vec<PresenceMessage> = self.members.values().cloned().collect();
        for waiter in self.get_waiters.drain(..) {
            let _ = waiter.send(Ok(members.clone()));
        }
    }

    /// Fails every waiter with `error`.
    pub fn fail_waiters(&mut self, error: impl Fn() -> RealtimeError) {
        for waiter in self.attach_waiters.drain(..) {
            let _ = waiter.send(Err(error()));
        }
        for waiter in self.detach_waiters.drain(..) {
            let _ = waiter.send(Err(error()));
        }
        for waiter in self.get_waiters.drain(..) {
            let _ = waiter.send(Err(error()));
        }
    }
}
