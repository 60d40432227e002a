//! What one connection does with each inbound frame: attach and detach with capability
//! checks, rewind and resume, publish with ACK/NACK, presence, in-band AUTH.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::Arc;

use bridge_core::ably::{Action, ConnectionDetails, ErrorInfo, PresenceAction, ProtocolMessage, errors, flags};
use tokio::sync::{broadcast, mpsc};
use tokio_util::sync::CancellationToken;

use super::channels::{ChannelEvent, StartAt};
use super::token::TokenClaims;
use crate::state::AppState;

/// Channel mode flags granted on attach: presence, publish, subscribe, presence-subscribe.
const MODE_FLAGS: u64 = flags::PRESENCE | flags::PUBLISH | flags::SUBSCRIBE | flags::PRESENCE_SUBSCRIBE;

/// A channel event on its way to the socket (encoded once for every subscriber).
pub(crate) type Outbound = Arc<ChannelEvent>;

/// The state of one connection.
#[derive(Debug)]
pub(crate) struct Session {
    pub connection_id: String,
    pub connection_key: String,
    pub claims: TokenClaims,
    pub capability: BTreeMap<String, Vec<String>>,
    pub echo: bool,
    pub attached: HashMap<String, tokio::task::JoinHandle<()>>,
    /// Channels where this connection has presence members.
    pub entered: HashSet<String>,
    /// Highest `msgSerial` handled; a resent one at or below it is acknowledged again
    /// without publishing twice.
    pub last_msg_serial: Option<u64>,
    pub outbound: mpsc::Sender<Outbound>,
    /// Fires when a forwarder finds this connection too slow.
    pub slow: CancellationToken,
}

impl Session {
    /// CONNECTED for this session.
    pub fn connected(&self, state: &AppState, error: Option<ErrorInfo>) -> ProtocolMessage {
        let limits = &state.realtime.limits;
        ProtocolMessage {
            action: Action::CONNECTED,
            connection_id: Some(self.connection_id.clone()),
            connection_details: Some(ConnectionDetails {
                client_id: Some(self.claims.client_id.clone()),
                connection_key: Some(self.connection_key.clone()),
                max_message_size: Some(limits.max_message_size as u64),
                max_frame_size: Some(512 * 1024),
                max_inbound_rate: Some(u64::from(limits.max_inbound_rate)),
                max_idle_interval: Some(u64::try_from(limits.heartbeat.as_millis()).unwrap_or(15_000)),
                connection_state_ttl: Some(u64::try_from(limits.connection_state_ttl.as_millis()).unwrap_or(120_000)),
                server_id: Some("jaibber-hub".into()),
            }),
            error,
            ..ProtocolMessage::default()
        }
    }

    fn allows(&self, channel: &str, op: &str) -> bool {
        self.capability
            .get(channel)
            .or_else(|| self.capability.get("*"))
            .is_some_and(|ops| ops.iter().any(|o| o == op || o == "*"))
    }

    /// Handles one inbound frame; returns the frames to send back at once.
    pub fn handle(&mut self, state: &AppState, message: ProtocolMessage) -> Vec<ProtocolMessage> {
        match message.action {
            Action::HEARTBEAT => vec![ProtocolMessage { id: message.id, ..ProtocolMessage::new(Action::HEARTBEAT) }],
            Action::ATTACH => self.attach(state, message),
            Action::DETACH => {
                let Some(channel) = message.channel else { return Vec::new() };
                if let Some(forwarder) = self.attached.remove(&channel) {
                    forwarder.abort();
                }
                vec![ProtocolMessage::on_channel(Action::DETACHED, channel)]
            }
            Action::MESSAGE => self.publish(state, message),
            Action::PRESENCE => self.presence(state, message),
            Action::AUTH => self.reauth(state, &message),
            // CONNECT, DISCONNECT and actions of newer protocol versions are ignored.
            _ => Vec::new(),
        }
    }

    fn attach(&mut self, state: &AppState, message: ProtocolMessage) -> Vec<ProtocolMessage> {
        let Some(channel) = message.channel else { return Vec::new() };
        let channel_error = |code: u32, status: u16, text: String| {
            let mut frame = ProtocolMessage::with_error(Action::ERROR, ErrorInfo::new(code, status, text));
            frame.channel = Some(channel.clone());
            vec![frame]
        };
        if !self.allows(&channel, "subscribe") {
            return channel_error(
                errors::CAPABILITY_DENIED,
                401,
                format!("not permitted to attach to {channel}: the token's capability does not list it"),
            );
        }
        let limit = state.realtime.limits.max_channels_per_connection;
        if !self.attached.contains_key(&channel) && self.attached.len() >= limit {
            return channel_error(
                errors::CHANNEL_LIMIT,
                400,
                format!("at most {limit} channels per connection; detach one first"),
            );
        }
        let params = message.params.unwrap_or_default();
        let start = match (&message.channel_serial, params.get("rewind")) {
            (Some(serial), _) if !serial.is_empty() => StartAt::After(serial.clone()),
            (_, Some(rewind)) if !self.attached.contains_key(&channel) => {
                match super::rewind::parse(rewind, params.get("limit").map(String::as_str)) {
                    Ok(start) => start,
                    Err(text) => return channel_error(errors::BAD_REQUEST, 400, text),
                }
            }
            _ => StartAt::Now,
        };
        if let Some(previous) = self.attached.remove(&channel) {
            previous.abort();
        }
        let attachment = state.realtime.channels.attach(&channel, &start);
        let mut attached = ProtocolMessage::on_channel(Action::ATTACHED, channel.clone());
        let mut flag_bits = MODE_FLAGS;
        if attachment.resumed {
            flag_bits |= flags::RESUMED;
        }
        if !attachment.backlog.is_empty() {
            flag_bits |= flags::HAS_BACKLOG;
        }
        if !attachment.members.is_empty() {
            flag_bits |= flags::HAS_PRESENCE;
        }
        attached.flags = Some(flag_bits);
        attached.channel_serial = attachment.channel_serial.clone();
        if params.contains_key("rewind") {
            attached.params = Some(params.into_iter().filter(|(k, _)| k == "rewind" || k == "limit").collect());
        }
        if let StartAt::After(_) = start
            && !attachment.resumed
        {
            attached.error = Some(ErrorInfo::new(
                errors::MESSAGES_EXPIRED,
                400,
                "messages since the given channelSerial are no longer available; continuity was lost",
            ));
        }
        let mut replies = vec![attached];
        if !attachment.members.is_empty() {
            let mut sync = ProtocolMessage::on_channel(Action::SYNC, channel.clone());
            sync.presence = Some(attachment.members);
            replies.push(sync);
        }
        let forwarder = tokio::spawn(forward(
            attachment.backlog,
            attachment.receiver,
            self.outbound.clone(),
            self.slow.clone(),
            self.connection_id.clone(),
            self.echo,
        ));
        self.attached.insert(channel, forwarder);
        replies
    }

    fn nack(serial: u64, count: u64, error: ErrorInfo) -> ProtocolMessage {
        ProtocolMessage {
            msg_serial: Some(serial),
            count: Some(count),
            ..ProtocolMessage::with_error(Action::NACK, error)
        }
    }

    fn ack(serial: u64, count: u64) -> ProtocolMessage {
        ProtocolMessage { msg_serial: Some(serial), count: Some(count), ..ProtocolMessage::new(Action::ACK) }
    }

    /// Whether this serial was handled before (a resend after resume): acknowledge again.
    fn seen(&mut self, serial: u64) -> bool {
        if self.last_msg_serial.is_some_and(|last| serial <= last) {
            return true;
        }
        self.last_msg_serial = Some(serial);
        false
    }

    fn publish(&mut self, state: &AppState, message: ProtocolMessage) -> Vec<ProtocolMessage> {
        let serial = message.msg_serial.unwrap_or(0);
        let Some(channel) = message.channel else {
            return vec![Self::nack(serial, 1, ErrorInfo::new(errors::BAD_REQUEST, 400, "MESSAGE without a channel"))];
        };
        if !self.allows(&channel, "publish") {
            return vec![Self::nack(
                serial,
                1,
                ErrorInfo::new(errors::CAPABILITY_DENIED, 401, format!("not permitted to publish on {channel}")),
            )];
        }
        let mut messages = message.messages.unwrap_or_default();
        let size: usize = messages
            .iter()
            .map(|m| m.data.as_ref().map_or(0, |d| d.size()) + m.name.as_ref().map_or(0, String::len))
            .sum();
        let max = state.realtime.limits.max_message_size;
        if size > max {
            return vec![Self::nack(
                serial,
                1,
                ErrorInfo::new(
                    errors::MESSAGE_TOO_LARGE,
                    400,
                    format!(
                        "message of {size} bytes is over the {max}-byte maximum (connectionDetails.maxMessageSize)"
                    ),
                ),
            )];
        }
        if self.seen(serial) {
            return vec![Self::ack(serial, 1)];
        }
        let now = now_ms();
        for (index, m) in messages.iter_mut().enumerate() {
            m.id.get_or_insert_with(|| format!("{}:{serial}:{index}", self.connection_id));
            m.client_id = Some(self.claims.client_id.clone());
            m.connection_id = Some(self.connection_id.clone());
            m.timestamp = Some(now);
        }
        state.realtime.channels.publish(&channel, messages, &self.connection_id);
        vec![Self::ack(serial, 1)]
    }

    fn presence(&mut self, state: &AppState, message: ProtocolMessage) -> Vec<ProtocolMessage> {
        let serial = message.msg_serial.unwrap_or(0);
        let Some(channel) = message.channel else {
            return vec![Self::nack(serial, 1, ErrorInfo::new(errors::BAD_REQUEST, 400, "PRESENCE without a channel"))];
        };
        if !self.allows(&channel, "presence") {
            return vec![Self::nack(
                serial,
                1,
                ErrorInfo::new(errors::CAPABILITY_DENIED, 401, format!("not permitted to enter presence on {channel}")),
            )];
        }
        if !self.attached.contains_key(&channel) {
            return vec![Self::nack(
                serial,
                1,
                ErrorInfo::new(90_001, 400, format!("attach {channel} before entering presence on it")),
            )];
        }
        if self.seen(serial) {
            return vec![Self::ack(serial, 1)];
        }
        let now = now_ms();
        let mut changes = message.presence.unwrap_or_default();
        for (index, p) in changes.iter_mut().enumerate() {
            p.id = Some(format!("{}:{serial}:{index}", self.connection_id));
            p.client_id = Some(self.claims.client_id.clone());
            p.connection_id = Some(self.connection_id.clone());
            p.timestamp = Some(now);
            if p.action != PresenceAction::LEAVE {
                self.entered.insert(channel.clone());
            }
        }
        state.realtime.channels.presence(&channel, changes, &self.connection_id);
        vec![Self::ack(serial, 1)]
    }

    fn reauth(&mut self, state: &AppState, message: &ProtocolMessage) -> Vec<ProtocolMessage> {
        let token = message.auth.as_ref().map_or("", |a| a.access_token.as_str());
        match state.ably.verify_token(token, now_ms()) {
            Ok(claims) if claims.client_id == self.claims.client_id => {
                self.capability = serde_json::from_str(&claims.capability).unwrap_or_default();
                self.claims = claims;
                vec![self.connected(state, None)]
            }
            Ok(_) => vec![ProtocolMessage::with_error(
                Action::ERROR,
                ErrorInfo::new(errors::INCOMPATIBLE_CLIENT_ID, 401, "a renewed token must keep the same clientId"),
            )],
            Err(err) => {
                vec![ProtocolMessage::with_error(Action::ERROR, ErrorInfo::new(err.code, err.status, err.message))]
            }
        }
    }
}

pub(crate) fn now_ms() -> u64 {
    u64::try_from(crate::clock::now_ms()).unwrap_or(0)
}

/// Sends the backlog, then the live feed, skipping events already in the backlog and
/// (with `echo=false`) this connection's own messages.
async fn forward(
    backlog: Vec<Arc<ChannelEvent>>,
    mut receiver: broadcast::Receiver<Arc<ChannelEvent>>,
    outbound: mpsc::Sender<Outbound>,
    slow: CancellationToken,
    connection_id: String,
    echo: bool,
) {
    let mut last = 0;
    let skip = |event: &ChannelEvent| !echo && event.is_messages() && event.from_connection == connection_id;
    for event in backlog {
        last = event.serial;
        if skip(&event) {
            continue;
        }
        if outbound.send(event).await.is_err() {
            return;
        }
    }
    loop {
        match receiver.recv().await {
            Ok(event) => {
                if event.serial <= last || skip(&event) {
                    continue;
                }
                if outbound.try_send(event).is_err() {
                    slow.cancel();
                    return;
                }
            }
            Err(broadcast::error::RecvError::Lagged(_)) => {
                slow.cancel();
                return;
            }
            Err(broadcast::error::RecvError::Closed) => return,
        }
    }
}
