//! The connection actor: one task owns the socket, the channels and the pending
//! publishes; handles talk to it through commands. Token fetches run in their own tasks
//! so a slow token endpoint never pauses the receive loop.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;
use std::time::Duration;

use futures_util::{SinkExt as _, StreamExt as _};
use tokio::net::TcpStream;
use tokio::sync::{mpsc, oneshot};
use tokio::time::Instant;
use tokio_tungstenite::tungstenite::Message as Frame;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

use super::Shared;
use super::channel::{ChannelEntry, Reply};
use super::types::{ChannelState, ConnectionChange, ConnectionState, RealtimeError, RealtimeOptions};
use crate::ably::{
    Action, ErrorInfo, Format, MessageData, PresenceAction, PresenceMessage, ProtocolMessage, WireMessage, codec,
    errors,
};
use crate::client::{Client, ClientError};
use crate::model::ably_token::TokenDetails;

mod inbound;

type Socket = WebSocketStream<MaybeTlsStream<TcpStream>>;

/// The outcome of a background token fetch (the error text carries no secret).
type Renewal = Result<TokenDetails, String>;

/// A request from a handle.
#[derive(Debug)]
pub(crate) enum Command {
    Attach {
        channel: String,
        params: Option<BTreeMap<String, String>>,
        reply: Reply<()>,
    },
    Detach {
        channel: String,
        reply: Reply<()>,
    },
    Publish {
        channel: String,
        messages: Vec<WireMessage>,
        reply: Reply<()>,
    },
    Presence {
        channel: String,
        action: PresenceAction,
        data: Option<MessageData>,
        encoding: Option<String>,
        reply: Reply<()>,
    },
    PresenceGet {
        channel: String,
        reply: Reply<Vec<PresenceMessage>>,
    },
    Close {
        reply: oneshot::Sender<()>,
    },
}

#[derive(Debug)]
struct Pending {
    frame: ProtocolMessage,
    reply: Reply<()>,
}

/// Why a connected socket stopped being served.
enum End {
    /// Transport lost (or idle too long): reconnect at once, with resume.
    Transport(Option<ErrorInfo>),
    /// The server disconnected us with this error.
    Disconnected(Option<ErrorInfo>),
    /// Fatal error from the server.
    Failed(ErrorInfo),
    /// Closed on request.
    Closed(oneshot::Sender<()>),
    /// Every handle is gone.
    Abandoned,
}

pub(crate) struct Actor {
    pub rest: Client,
    pub options: RealtimeOptions,
    pub shared: Arc<Shared>,
    pub commands: mpsc::UnboundedReceiver<Command>,
    pub token: Option<TokenDetails>,
    pub state: ConnectionState,
    pub connection_id: Option<String>,
    pub connection_key: Option<String>,
    pub state_ttl: Duration,
    pub max_idle: Duration,
    pub msg_serial: u64,
    pending: BTreeMap<u64, Pending>,
    queued: Vec<(ProtocolMessage, Reply<()>)>,
    channels: HashMap<String, ChannelEntry>,
    lost_at: Option<Instant>,
    attempts: u32,
    renewing: Option<tokio::task::JoinHandle<()>>,
    renewed: (mpsc::UnboundedSender<Renewal>, mpsc::UnboundedReceiver<Renewal>),
}

impl std::fmt::Debug for Actor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Actor")
            .field("state", &self.state)
            .field("connection_id", &self.connection_id)
            .finish_non_exhaustive()
    }
}

fn now_ms() -> u64 {
    u64::try_from(std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap_or_default().as_millis())
        .unwrap_or(0)
}

fn auth_error(err: &ClientError) -> ErrorInfo {
    // The client's errors never carry credentials; keep only what helps.
    let status = match err {
        ClientError::Api { status, .. } => *status,
        _ => 0,
    };
    ErrorInfo::new(
        errors::AUTH_CALLBACK_FAILED,
        if status == 0 { 401 } else { status },
        format!("getting a realtime token failed: {err}"),
    )
}

impl Actor {
    pub fn new(
        rest: Client,
        options: RealtimeOptions,
        shared: Arc<Shared>,
        commands: mpsc::UnboundedReceiver<Command>,
    ) -> Self {
        let state_ttl = options.connection_state_ttl;
        Self {
            rest,
            options,
            shared,
            commands,
            token: None,
            state: ConnectionState::Initialized,
            connection_id: None,
            connection_key: None,
            state_ttl,
            max_idle: Duration::from_secs(15),
            msg_serial: 0,
            pending: BTreeMap::new(),
            queued: Vec::new(),
            channels: HashMap::new(),
            lost_at: None,
            attempts: 0,
            renewing: None,
            renewed: mpsc::unbounded_channel(),
        }
    }

    fn set_state(&mut self, current: ConnectionState, reason: Option<ErrorInfo>, resumed: bool) {
        let previous = self.state;
        if previous == current && reason.is_none() {
            return;
        }
        self.state = current;
        self.shared.state.send_replace(current);
        tracing::debug!(?previous, ?current, ?reason, "realtime connection state");
        let _ = self.shared.changes.send(ConnectionChange { previous, current, reason, resumed });
    }

    fn entry(&mut self, name: &str) -> &mut ChannelEntry {
        let shared = self.shared.channel(name);
        self.channels.entry(name.to_owned()).or_insert_with(|| ChannelEntry::new(name.to_owned(), shared))
    }

    /// Runs until closed, failed or abandoned.
    pub async fn run(mut self) {
        let mut force_token = false;
        loop {
            if matches!(self.state, ConnectionState::Closed | ConnectionState::Failed) {
                self.drain_after_end().await;
                return;
            }
            self.set_state(
                if self.state == ConnectionState::Suspended {
                    ConnectionState::Suspended
                } else {
                    ConnectionState::Connecting
                },
                None,
                false,
            );
            let token = match self.ensure_token(force_token).await {
                Ok(token) => token,
                Err(error) => {
                    if error.status_code == 401 || error.status_code == 403 {
                        self.fail(error);
                    } else if !self.wait_retry(Some(error)).await {
                        return;
                    }
                    continue;
                }
            };
            force_token = false;
            let socket = match self.open(&token).await {
                Ok(socket) => socket,
                Err(Opened::Retry(error)) => {
                    if !self.wait_retry(error).await {
                        return;
                    }
                    continue;
                }
                Err(Opened::TokenError(error)) => {
                    force_token = true;
                    if self.attempts > 0 && !self.wait_retry(Some(error)).await {
                        return;
                    }
                    self.attempts += 1;
                    continue;
                }
                Err(Opened::Fatal(error)) => {
                    self.fail(error);
                    continue;
                }
            };
            match self.serve(socket).await {
                End::Transport(reason) => {
                    self.lost(reason);
                }
                End::Disconnected(reason) => {
                    force_token = reason.as_ref().is_some_and(|r| errors::is_token_error(r.code));
                    self.lost(reason);
                }
                End::Failed(error) => self.fail(error),
                End::Closed(reply) => {
                    self.closed();
                    let _ = reply.send(());
                }
                End::Abandoned => return,
            }
        }
    }

    fn lost(&mut self, reason: Option<ErrorInfo>) {
        self.lost_at.get_or_insert_with(Instant::now);
        self.set_state(ConnectionState::Disconnected, reason, false);
        // First retry after a lost connection is immediate (RTN15a).
        self.attempts = 0;
    }

    fn fail(&mut self, error: ErrorInfo) {
        self.fail_all(|| RealtimeError::NotConnected(ConnectionState::Failed));
        self.set_state(ConnectionState::Failed, Some(error), false);
    }

    fn closed(&mut self) {
        self.fail_all(|| RealtimeError::NotConnected(ConnectionState::Closed));
        self.set_state(ConnectionState::Closed, None, false);
    }

    fn fail_all(&mut self, error: impl Fn() -> RealtimeError) {
        for (_, pending) in std::mem::take(&mut self.pending) {
            let _ = pending.reply.send(Err(error()));
        }
        for (_, reply) in self.queued.drain(..) {
            let _ = reply.send(Err(error()));
        }
        for entry in self.channels.values_mut() {
            entry.fail_waiters(&error);
        }
    }

    /// After CLOSED or FAILED: answer requests with an error until every handle is gone.
    async fn drain_after_end(&mut self) {
        let state = self.state;
        while let Some(command) = self.commands.recv().await {
            match command {
                Command::Attach { reply, .. }
                | Command::Detach { reply, .. }
                | Command::Publish { reply, .. }
                | Command::Presence { reply, .. } => {
                    let _ = reply.send(Err(RealtimeError::NotConnected(state)));
                }
                Command::PresenceGet { reply, .. } => {
                    let _ = reply.send(Err(RealtimeError::NotConnected(state)));
                }
                Command::Close { reply } => {
                    let _ = reply.send(());
                }
            }
        }
    }

    async fn ensure_token(&mut self, force: bool) -> Result<String, ErrorInfo> {
        let fresh = |t: &TokenDetails| t.expires.is_none_or(|e| e > now_ms() + 5_000);
        if !force && let Some(token) = self.token.as_ref().filter(|t| fresh(t)) {
            return Ok(token.token.clone());
        }
        match self.rest.realtime_token().await {
            Ok(token) => {
                let value = token.token.clone();
                self.token = Some(token);
                Ok(value)
            }
            Err(err) => Err(auth_error(&err)),
        }
    }

    /// Waits before the next attempt, serving commands meanwhile. `false` when every
    /// handle is gone.
    async fn wait_retry(&mut self, reason: Option<ErrorInfo>) -> bool {
        let lost_at = *self.lost_at.get_or_insert_with(Instant::now);
        if lost_at.elapsed() >= self.state_ttl && self.state != ConnectionState::Suspended {
            // Too long to resume: forget the connection, fail what waits for an ACK.
            self.connection_key = None;
            self.fail_all(|| RealtimeError::NotConnected(ConnectionState::Suspended));
            self.set_state(ConnectionState::Suspended, reason.clone(), false);
        } else if self.state != ConnectionState::Suspended {
            self.set_state(ConnectionState::Disconnected, reason, false);
        }
        self.attempts += 1;
        let delay = if self.state == ConnectionState::Suspended {
            self.options.suspended_retry
        } else if self.attempts == 1 {
            Duration::ZERO
        } else {
            super::backoff::retry_delay(self.options.disconnected_retry, self.attempts - 1)
        };
        let deadline = Instant::now() + delay;
        loop {
            tokio::select! {
                () = tokio::time::sleep_until(deadline) => return true,
                command = self.commands.recv() => match command {
                    None => return false,
                    Some(Command::Close { reply }) => {
                        self.closed();
                        let _ = reply.send(());
                        return true;
                    }
                    Some(command) => self.offline_command(command),
                },
            }
        }
    }

    /// A command while not connected: remembered, sent once connected.
    fn offline_command(&mut self, command: Command) {
        match command {
            Command::Attach { channel, params, reply } => {
                let entry = self.entry(&channel);
                if entry.params.is_none() {
                    entry.params = params;
                }
                entry.attach_waiters.push(reply);
                if entry.state != ChannelState::Attaching {
                    entry.set_state(ChannelState::Attaching, false, None);
                }
            }
            Command::Detach { channel, reply } => {
                let entry = self.entry(&channel);
                entry.set_state(ChannelState::Detached, false, None);
                let _ = reply.send(Ok(()));
            }
            Command::Publish { channel, messages, reply } => {
                let mut frame = ProtocolMessage::on_channel(Action::MESSAGE, channel);
                frame.messages = Some(messages);
                self.queued.push((frame, reply));
            }
            Command::Presence { channel, action, data, encoding, reply } => {
                let frame = self.presence_frame(&channel, action, data, encoding);
                self.queued.push((frame, reply));
            }
            Command::PresenceGet { channel, reply } => {
                self.entry(&channel).get_waiters.push(reply);
            }
            Command::Close { reply } => {
                let _ = reply.send(());
            }
        }
    }

    fn presence_frame(
        &mut self,
        channel: &str,
        action: PresenceAction,
        data: Option<MessageData>,
        encoding: Option<String>,
    ) -> ProtocolMessage {
        let entry = self.entry(channel);
        entry.own_member = if action == PresenceAction::LEAVE { None } else { Some((data.clone(), encoding.clone())) };
        let mut frame = ProtocolMessage::on_channel(Action::PRESENCE, channel);
        frame.presence = Some(vec![PresenceMessage { action, data, encoding, ..PresenceMessage::default() }]);
        frame
    }

    fn url(&self, token: &str) -> String {
        let base = self.options.url.clone().unwrap_or_else(|| {
            let rest = self.rest.base_url().trim_end_matches('/');
            rest.replacen("https://", "wss://", 1).replacen("http://", "ws://", 1)
        });
        let mut url = format!(
            "{}/?access_token={}&format={}&v=6&heartbeats=true&echo={}&agent={}",
            base.trim_end_matches('/'),
            encode(token),
            self.options.format.as_query(),
            self.options.echo,
            encode(&self.options.agent)
        );
        if let Some(key) = &self.connection_key {
            url.push_str("&resume=");
            url.push_str(&encode(key));
        }
        url
    }

    async fn open(&mut self, token: &str) -> Result<Socket, Opened> {
        let url = self.url(token);
        let attempt = async {
            let (mut socket, _) =
                tokio_tungstenite::connect_async_with_config(url.as_str(), None, true).await.map_err(|err| {
                    Opened::Retry(Some(ErrorInfo::new(
                        80_000,
                        0,
                        format!("WebSocket connect failed: {}", redact(&err.to_string())),
                    )))
                })?;
            loop {
                match socket.next().await {
                    Some(Ok(frame)) => {
                        let Some(message) = decode(&frame, self.options.format) else { continue };
                        return Ok((socket, message));
                    }
                    _ => return Err(Opened::Retry(Some(ErrorInfo::new(80_000, 0, "closed before CONNECTED")))),
                }
            }
        };
        let (socket, first) = tokio::time::timeout(self.options.connect_timeout, attempt)
            .await
            .map_err(|_| Opened::Retry(Some(ErrorInfo::new(80_000, 0, "timed out waiting for CONNECTED"))))??;
        match first.action {
            Action::CONNECTED => {
                self.on_connected(first);
                Ok(socket)
            }
            Action::ERROR | Action::DISCONNECTED => {
                let error =
                    first.error.unwrap_or_else(|| ErrorInfo::new(errors::INTERNAL, 500, "refused without a reason"));
                if errors::is_token_error(error.code) {
                    Err(Opened::TokenError(error))
                } else if error.status_code >= 500 || error.status_code == 429 || first.action == Action::DISCONNECTED {
                    Err(Opened::Retry(Some(error)))
                } else {
                    Err(Opened::Fatal(error))
                }
            }
            other => Err(Opened::Retry(Some(ErrorInfo::new(
                errors::BAD_REQUEST,
                400,
                format!("expected CONNECTED, got action {}", other.0),
            )))),
        }
    }

    fn on_connected(&mut self, connected: ProtocolMessage) {
        let new_id = connected.connection_id.clone();
        let resumed = new_id.is_some() && new_id == self.connection_id && connected.error.is_none();
        if let Some(details) = &connected.connection_details {
            self.connection_key.clone_from(&details.connection_key);
            if let Some(ttl) = details.connection_state_ttl {
                self.state_ttl = Duration::from_millis(ttl);
            }
            if let Some(idle) = details.max_idle_interval {
                self.max_idle = Duration::from_millis(idle);
            }
        }
        self.connection_id = new_id;
        if !resumed {
            // New connection: renumber what still waits for an ACK (RTN15c7).
            let pending = std::mem::take(&mut self.pending);
            self.msg_serial = 0;
            for (_, mut item) in pending {
                item.frame.msg_serial = Some(self.msg_serial);
                self.pending.insert(self.msg_serial, item);
                self.msg_serial += 1;
            }
        }
        self.lost_at = None;
        self.attempts = 0;
        self.set_state(ConnectionState::Connected, connected.error, resumed);
    }

    async fn send(&self, socket: &mut Socket, frame: &ProtocolMessage) -> bool {
        let Ok(bytes) = codec::encode(frame, self.options.format) else { return false };
        let frame = match self.options.format {
            Format::Json => match String::from_utf8(bytes) {
                Ok(text) => Frame::Text(text.into()),
                Err(_) => return false,
            },
            Format::Msgpack => Frame::Binary(bytes.into()),
        };
        socket.send(frame).await.is_ok()
    }

    fn attach_frame(entry: &ChannelEntry) -> ProtocolMessage {
        let mut attach = ProtocolMessage::on_channel(Action::ATTACH, entry.name.clone());
        attach.channel_serial.clone_from(&entry.serial);
        if !entry.attached_once {
            attach.params.clone_from(&entry.params);
        }
        attach
    }

    /// Serves a connected socket until it ends.
    async fn serve(&mut self, mut socket: Socket) -> End {
        // Resend what waits for an ACK (same serials if resumed), then what was queued,
        // and re-attach every channel that should be attached.
        let resend: Vec<ProtocolMessage> = self.pending.values().map(|p| p.frame.clone()).collect();
        for frame in resend {
            if !self.send(&mut socket, &frame).await {
                return End::Transport(None);
            }
        }
        for (frame, reply) in std::mem::take(&mut self.queued) {
            if !self.submit(&mut socket, frame, reply).await {
                return End::Transport(None);
            }
        }
        let reattach: Vec<ProtocolMessage> = self
            .channels
            .values_mut()
            .filter(|e| matches!(e.state, ChannelState::Attaching | ChannelState::Attached))
            .map(|e| {
                if e.state == ChannelState::Attached {
                    e.set_state(ChannelState::Attaching, false, None);
                }
                Self::attach_frame(e)
            })
            .collect();
        for frame in reattach {
            if !self.send(&mut socket, &frame).await {
                return End::Transport(None);
            }
        }
        let mut last_activity = Instant::now();
        loop {
            let idle_deadline = last_activity + self.max_idle + Duration::from_secs(10);
            let renew_at = self.renew_at();
            tokio::select! {
                frame = socket.next() => {
                    last_activity = Instant::now();
                    let frame = match frame {
                        Some(Ok(frame)) => frame,
                        Some(Err(err)) => return End::Transport(Some(ErrorInfo::new(80_003, 0, format!("transport error: {}", redact(&err.to_string()))))),
                        None => return End::Transport(None),
                    };
                    if matches!(frame, Frame::Close(_)) {
                        return End::Transport(None);
                    }
                    let Some(message) = decode(&frame, self.options.format) else { continue };
                    if let Some(end) = self.on_frame(&mut socket, message).await {
                        return end;
                    }
                }
                command = self.commands.recv() => {
                    let Some(command) = command else {
                        let _ = self.send(&mut socket, &ProtocolMessage::new(Action::CLOSE)).await;
                        return End::Abandoned;
                    };
                    if let Command::Close { reply } = command {
                        self.set_state(ConnectionState::Closing, None, false);
                        let _ = self.send(&mut socket, &ProtocolMessage::new(Action::CLOSE)).await;
                        let wait_closed = async {
                            while let Some(Ok(frame)) = socket.next().await {
                                if decode(&frame, self.options.format).is_some_and(|m| m.action == Action::CLOSED) {
                                    break;
                                }
                            }
                        };
                        let _ = tokio::time::timeout(Duration::from_secs(2), wait_closed).await;
                        let _ = socket.close(None).await;
                        return End::Closed(reply);
                    }
                    if !self.online_command(&mut socket, command).await {
                        return End::Transport(None);
                    }
                }
                () = tokio::time::sleep_until(idle_deadline) => {
                    return End::Transport(Some(ErrorInfo::new(80_003, 0, "no activity from the server within maxIdleInterval")));
                }
                () = sleep_until_opt(renew_at) => self.start_renewal(),
                Some(result) = self.renewed.1.recv() => {
                    self.renewing = None;
                    match result {
                        Ok(token) => {
                            let mut auth = ProtocolMessage::new(Action::AUTH);
                            auth.auth = Some(crate::ably::frame::AuthDetails { access_token: token.token.clone() });
                            self.token = Some(token);
                            if !self.send(&mut socket, &auth).await {
                                return End::Transport(None);
                            }
                        }
                        Err(reason) => tracing::warn!(%reason, "token renewal failed; retrying before expiry"),
                    }
                }
            }
        }
    }

    fn renew_at(&self) -> Option<Instant> {
        if self.renewing.is_some() {
            return None;
        }
        let token = self.token.as_ref()?;
        let expires = token.expires?;
        let issued = token.issued.unwrap_or_else(now_ms);
        let lifetime = expires.saturating_sub(issued);
        let margin = u64::try_from(self.options.renew_before.as_millis()).unwrap_or(60_000).min(lifetime / 2);
        let at_ms = expires.saturating_sub(margin);
        Some(Instant::now() + Duration::from_millis(at_ms.saturating_sub(now_ms())))
    }

    fn start_renewal(&mut self) {
        if self.renewing.is_some() {
            return;
        }
        let rest = self.rest.clone();
        let done = self.renewed.0.clone();
        self.renewing = Some(tokio::spawn(async move {
            let result = rest.realtime_token().await.map_err(|err| auth_error(&err).message);
            let _ = done.send(result);
        }));
    }

    /// Sends a MESSAGE or PRESENCE frame with the next serial and keeps it until its ACK.
    async fn submit(&mut self, socket: &mut Socket, mut frame: ProtocolMessage, reply: Reply<()>) -> bool {
        frame.msg_serial = Some(self.msg_serial);
        let sent = self.send(socket, &frame).await;
        self.pending.insert(self.msg_serial, Pending { frame, reply });
        self.msg_serial += 1;
        sent
    }

    async fn online_command(&mut self, socket: &mut Socket, command: Command) -> bool {
        match command {
            Command::Attach { channel, params, reply } => {
                let entry = self.entry(&channel);
                if entry.state == ChannelState::Attached {
                    let _ = reply.send(Ok(()));
                    return true;
                }
                if entry.params.is_none() {
                    entry.params = params;
                }
                entry.attach_waiters.push(reply);
                if entry.state == ChannelState::Attaching {
                    return true;
                }
                entry.set_state(ChannelState::Attaching, false, None);
                let frame = Self::attach_frame(entry);
                self.send(socket, &frame).await
            }
            Command::Detach { channel, reply } => {
                let entry = self.entry(&channel);
                if matches!(entry.state, ChannelState::Initialized | ChannelState::Detached | ChannelState::Failed) {
                    let _ = reply.send(Ok(()));
                    return true;
                }
                entry.detach_waiters.push(reply);
                entry.set_state(ChannelState::Detaching, false, None);
                self.send(socket, &ProtocolMessage::on_channel(Action::DETACH, channel)).await
            }
            Command::Publish { channel, messages, reply } => {
                let mut frame = ProtocolMessage::on_channel(Action::MESSAGE, channel);
                frame.messages = Some(messages);
                self.submit(socket, frame, reply).await
            }
            Command::Presence { channel, action, data, encoding, reply } => {
                let frame = self.presence_frame(&channel, action, data, encoding);
                self.submit(socket, frame, reply).await
            }
            Command::PresenceGet { channel, reply } => {
                let entry = self.entry(&channel);
                if entry.state == ChannelState::Attached && !entry.syncing {
                    let _ = reply.send(Ok(entry.members.values().cloned().collect()));
                } else {
                    entry.get_waiters.push(reply);
                }
                true
            }
            Command::Close { reply } => {
                let _ = reply.send(());
                true
            }
        }
    }
}

enum Opened {
    Retry(Option<ErrorInfo>),
    TokenError(ErrorInfo),
    Fatal(ErrorInfo),
}

async fn sleep_until_opt(at: Option<Instant>) {
    match at {
        Some(at) => tokio::time::sleep_until(at).await,
        None => std::future::pending().await,
    }
}

fn decode(frame: &Frame, format: Format) -> Option<ProtocolMessage> {
    let decoded = match frame {
        Frame::Text(text) => codec::decode(text.as_bytes(), Format::Json),
        Frame::Binary(bytes) => codec::decode(bytes, Format::Msgpack),
        _ => return None,
    };
    match decoded {
        Ok(message) => Some(message),
        Err(err) => {
            tracing::warn!(%err, ?format, "undecodable realtime frame skipped");
            None
        }
    }
}

/// Percent-encodes a query value.
fn encode(value: &str) -> String {
    use std::fmt::Write as _;
    let mut out = String::with_capacity(value.len());
    for byte in value.bytes() {
        if byte.is_ascii_alphanumeric() || b"-_.~".contains(&byte) {
            out.push(byte as char);
        } else {
            let _ = write!(out, "%{byte:02X}");
        }
    }
    out
}

/// Drops query strings (which carry the token) from transport error texts.
fn redact(text: &str) -> String {
    match text.find("access_token=") {
        Some(at) => format!("{}access_token=[redacted]", &text[..at]),
        None => text.to_owned(),
    }
}
