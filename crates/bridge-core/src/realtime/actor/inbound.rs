//! What the actor does with each inbound frame: ACK/NACK, channel and presence
//! bookkeeping, server-side errors and disconnects.

use tokio::sync::oneshot;

use super::{Actor, End, Socket};
use crate::ably::{Action, ErrorInfo, PresenceAction, ProtocolMessage, errors, flags};
use crate::realtime::types::{ChannelState, RealtimeError};

impl Actor {
    fn settle(&mut self, first: u64, count: u64, error: Option<&ErrorInfo>) {
        for serial in first..first.saturating_add(count.max(1)) {
            if let Some(pending) = self.pending.remove(&serial) {
                let result = match error {
                    None => Ok(()),
                    Some(error) => Err(RealtimeError::Refused(error.clone())),
                };
                let _ = pending.reply.send(result);
            }
        }
    }

    /// Handles one inbound frame; `Some` ends the connection.
    pub(super) async fn on_frame(&mut self, socket: &mut Socket, message: ProtocolMessage) -> Option<End> {
        if let (Some(channel), Some(serial)) = (&message.channel, &message.channel_serial)
            && matches!(message.action, Action::MESSAGE | Action::PRESENCE | Action::ATTACHED)
            && let Some(entry) = self.channels.get_mut(channel)
        {
            entry.serial = Some(serial.clone());
        }
        match message.action {
            Action::ACK => self.settle(message.msg_serial.unwrap_or(0), message.count.unwrap_or(1), None),
            Action::NACK => {
                let error = message
                    .error
                    .clone()
                    .unwrap_or_else(|| ErrorInfo::new(errors::INTERNAL, 500, "NACK without a reason"));
                self.settle(message.msg_serial.unwrap_or(0), message.count.unwrap_or(1), Some(&error));
            }
            Action::CONNECTED => {
                // In-band reauth answered; refresh details.
                if let Some(key) = message.connection_details.and_then(|d| d.connection_key) {
                    self.connection_key = Some(key);
                }
            }
            Action::DISCONNECTED => return Some(End::Disconnected(message.error)),
            Action::CLOSED => return Some(End::Transport(message.error)),
            Action::AUTH => self.start_renewal(),
            Action::ERROR => {
                let error = message
                    .error
                    .clone()
                    .unwrap_or_else(|| ErrorInfo::new(errors::INTERNAL, 500, "error without a reason"));
                match message.channel {
                    Some(channel) => {
                        if let Some(entry) = self.channels.get_mut(&channel) {
                            entry.fail_waiters(|| RealtimeError::Refused(error.clone()));
                            entry.set_state(ChannelState::Failed, false, Some(error));
                        }
                    }
                    None if errors::is_token_error(error.code) => return Some(End::Disconnected(Some(error))),
                    None => return Some(End::Failed(error)),
                }
            }
            Action::ATTACHED => return self.on_attached(socket, message).await,
            Action::DETACHED => {
                let channel = message.channel.unwrap_or_default();
                if let Some(entry) = self.channels.get_mut(&channel) {
                    if entry.state == ChannelState::Detaching {
                        for waiter in entry.detach_waiters.drain(..) {
                            let _ = waiter.send(Ok(()));
                        }
                        entry.set_state(ChannelState::Detached, false, message.error);
                    } else if entry.state == ChannelState::Attached {
                        // Detached by the server: attach again (RTL13a).
                        entry.set_state(ChannelState::Attaching, false, message.error);
                        let frame = Self::attach_frame(entry);
                        if !self.send(socket, &frame).await {
                            return Some(End::Transport(None));
                        }
                    }
                }
            }
            Action::MESSAGE => {
                let channel = message.channel.clone().unwrap_or_default();
                let entry = self.channels.get(&channel)?;
                for (index, mut wire) in message.messages.unwrap_or_default().into_iter().enumerate() {
                    if wire.id.is_none() {
                        wire.id = message.id.as_ref().map(|id| format!("{id}:{index}"));
                    }
                    if wire.connection_id.is_none() {
                        wire.connection_id.clone_from(&message.connection_id);
                    }
                    if wire.timestamp.is_none() {
                        wire.timestamp = message.timestamp;
                    }
                    let _ = entry.shared.messages.send(wire);
                }
            }
            Action::PRESENCE => {
                let channel = message.channel.clone().unwrap_or_default();
                if let Some(entry) = self.channels.get_mut(&channel) {
                    entry.apply_presence(message.presence.unwrap_or_default());
                }
            }
            Action::SYNC => {
                let channel = message.channel.clone().unwrap_or_default();
                if let Some(entry) = self.channels.get_mut(&channel) {
                    entry.apply_presence(message.presence.unwrap_or_default());
                    let cursor_done = message
                        .channel_serial
                        .as_deref()
                        .is_none_or(|s| s.split_once(':').is_none_or(|(_, c)| c.is_empty()));
                    if cursor_done {
                        entry.end_sync();
                    }
                }
            }
            // HEARTBEAT, and actions of newer protocol versions.
            _ => {}
        }
        None
    }

    async fn on_attached(&mut self, socket: &mut Socket, message: ProtocolMessage) -> Option<End> {
        let channel = message.channel.clone().unwrap_or_default();
        let own_id = self.connection_id.clone();
        let entry = self.channels.get_mut(&channel)?;
        let resumed = message.has_flag(flags::RESUMED);
        if !resumed {
            // No continuity: the presence set is rebuilt from SYNC (or is empty).
            entry.members.clear();
            entry.syncing = message.has_flag(flags::HAS_PRESENCE);
        }
        entry.attached_once = true;
        for waiter in entry.attach_waiters.drain(..) {
            let _ = waiter.send(Ok(()));
        }
        entry.set_state(ChannelState::Attached, resumed, message.error);
        if !entry.syncing {
            entry.end_sync();
        }
        // Re-enter our own member after an attach without continuity (RTP17i).
        let reenter = match (&entry.own_member, resumed) {
            (Some((data, encoding)), false) => {
                let already = entry.members.values().any(|m| m.connection_id == own_id);
                (!already).then(|| (data.clone(), encoding.clone()))
            }
            _ => None,
        };
        if let Some((data, encoding)) = reenter {
            let frame = self.presence_frame(&channel, PresenceAction::ENTER, data, encoding);
            let (reply, _ignored) = oneshot::channel();
            if !self.submit(socket, frame, reply).await {
                return Some(End::Transport(None));
            }
        }
        None
    }
}
