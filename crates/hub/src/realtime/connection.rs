//! One realtime WebSocket connection: token auth, CONNECTED (new or resumed), the frame
//! loop, heartbeats, token expiry, shutdown, and what is left behind when it ends.
//!
//! A connection that drops without CLOSE is parked for `connectionStateTtl`: a client
//! that comes back with `resume=<connectionKey>` keeps its connection id, its presence
//! and its place on each channel. Its presence members leave after `presence_grace`
//! unless it comes back sooner.

use std::collections::{HashMap, HashSet};
use std::time::{Duration, Instant};

use axum::extract::ws::{Message as Frame, Utf8Bytes, WebSocket, WebSocketUpgrade};
use axum::extract::{Query, State};
use axum::response::Response;
use bridge_core::ably::{Action, ErrorInfo, Format, ProtocolMessage, codec, errors};
use bytes::Bytes;
use futures_util::stream::SplitSink;
use futures_util::{SinkExt as _, StreamExt as _};
use serde::Deserialize;
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

use super::session::{Outbound, Session, now_ms};
use super::{Parked, lock};
use crate::state::AppState;

/// Largest inbound frame.
const MAX_FRAME: usize = 512 * 1024;
/// How long a last frame and close may take before the socket is simply dropped.
const GOODBYE_TIMEOUT: Duration = Duration::from_secs(2);

/// Query of the realtime connection (RTN2).
#[derive(Debug, Deserialize)]
pub struct ConnectQuery {
    access_token: Option<String>,
    #[serde(rename = "accessToken")]
    access_token_alt: Option<String>,
    key: Option<String>,
    format: Option<String>,
    echo: Option<String>,
    heartbeats: Option<String>,
    resume: Option<String>,
    recover: Option<String>,
}

/// `GET /` with a WebSocket upgrade.
pub async fn connect(
    ws: WebSocketUpgrade,
    State(state): State<AppState>,
    Query(query): Query<ConnectQuery>,
) -> Response {
    // Small socket buffers: an idle connection costs kilobytes, not the 2 × 128 KiB
    // tungstenite reserves by default. Writes are batched and flushed explicitly.
    ws.max_message_size(MAX_FRAME)
        .read_buffer_size(8 * 1024)
        .write_buffer_size(8 * 1024)
        .on_upgrade(move |socket| run(state, socket, query))
}

struct Writer {
    sink: SplitSink<WebSocket, Frame>,
    format: Format,
}

impl Writer {
    fn frame_of(&self, bytes: Bytes) -> Option<Frame> {
        match self.format {
            Format::Json => Utf8Bytes::try_from(bytes).ok().map(Frame::Text),
            Format::Msgpack => Some(Frame::Binary(bytes)),
        }
    }

    async fn bytes(&mut self, bytes: Bytes) -> bool {
        match self.frame_of(bytes) {
            Some(frame) => self.sink.send(frame).await.is_ok(),
            None => false,
        }
    }

    /// Writes `first` and whatever else is queued (up to a batch), then flushes once.
    async fn events(&mut self, first: Bytes, queue: &mut mpsc::Receiver<super::session::Outbound>) -> bool {
        let Some(frame) = self.frame_of(first) else { return false };
        if self.sink.feed(frame).await.is_err() {
            return false;
        }
        for _ in 0..64 {
            let Ok(event) = queue.try_recv() else { break };
            let Some(frame) = self.frame_of(event.encoded(self.format)) else { return false };
            if self.sink.feed(frame).await.is_err() {
                return false;
            }
        }
        self.sink.flush().await.is_ok()
    }

    async fn frame(&mut self, message: &ProtocolMessage) -> bool {
        match codec::encode(message, self.format) {
            Ok(bytes) => self.bytes(Bytes::from(bytes)).await,
            Err(err) => {
                tracing::warn!(%err, "could not encode a protocol message");
                false
            }
        }
    }

    /// Sends a last error and closes; bounded, since a peer that stopped reading would
    /// otherwise hold the write (and the connection) forever.
    async fn fail(mut self, action: Action, error: ErrorInfo) {
        let goodbye = async {
            let _ = self.frame(&ProtocolMessage::with_error(action, error)).await;
            let _ = self.sink.close().await;
        };
        let _ = tokio::time::timeout(GOODBYE_TIMEOUT, goodbye).await;
    }
}

/// Counts a connection against its client's cap; undone on drop.
struct ClientSlot<'a> {
    state: &'a AppState,
    client_id: String,
}

impl Drop for ClientSlot<'_> {
    fn drop(&mut self) {
        let mut counts = lock(&self.state.realtime.per_client);
        if let Some(count) = counts.get_mut(&self.client_id) {
            *count -= 1;
            if *count == 0 {
                counts.remove(&self.client_id);
            }
        }
    }
}

fn take_slot<'a>(state: &'a AppState, client_id: &str) -> Option<ClientSlot<'a>> {
    let mut counts = lock(&state.realtime.per_client);
    let count = counts.entry(client_id.to_owned()).or_default();
    if *count >= state.realtime.limits.max_connections_per_client {
        return None;
    }
    *count += 1;
    Some(ClientSlot { state, client_id: client_id.to_owned() })
}

/// How a connection ended.
enum Ending {
    /// CLOSE, or a fatal protocol error: presence leaves now, nothing to resume.
    Closed,
    /// The transport dropped or the server disconnected it: resumable.
    Dropped,
}

#[tracing::instrument(skip_all, fields(conn_id))]
async fn run(state: AppState, socket: WebSocket, query: ConnectQuery) {
    let (sink, mut stream) = socket.split();
    let format = match query.format.as_deref().map(Format::from_query) {
        None => Format::Msgpack,
        Some(Some(format)) => format,
        Some(None) => {
            let writer = Writer { sink, format: Format::Json };
            let error = ErrorInfo::new(errors::BAD_REQUEST, 400, "format must be json or msgpack");
            return writer.fail(Action::ERROR, error).await;
        }
    };
    let mut writer = Writer { sink, format };
    let Some(token) = query.access_token.or(query.access_token_alt) else {
        let hint = if query.key.is_some() {
            "basic auth with an API key is not accepted here; use token auth (authUrl or authCallback on POST /api/ably/token)"
        } else {
            "no access_token: get a token from POST /api/ably/token"
        };
        return writer.fail(Action::ERROR, ErrorInfo::new(errors::UNAUTHORIZED, 401, hint)).await;
    };
    let claims = match state.ably.verify_token(&token, now_ms()) {
        Ok(claims) => claims,
        Err(err) => return writer.fail(Action::ERROR, ErrorInfo::new(err.code, err.status, err.message)).await,
    };
    let Some(_slot) = take_slot(&state, &claims.client_id) else {
        let max = state.realtime.limits.max_connections_per_client;
        let error = ErrorInfo::new(errors::CONNECTION_LIMIT, 429, format!("at most {max} connections per client"));
        return writer.fail(Action::ERROR, error).await;
    };

    let wanted = query.resume.or(query.recover);
    let parked = match wanted.as_deref() {
        Some(key) => take_over(&state, key, &claims.client_id).await,
        None => None,
    };
    let resume_error = match (&wanted, &parked) {
        (Some(_), None) => Some(ErrorInfo::new(
            errors::INVALID_CONNECTION_KEY,
            400,
            "the connection to resume is unknown or expired; this is a new connection",
        )),
        _ => None,
    };
    let (connection_id, entered, last_msg_serial) = match parked {
        Some(p) => (p.connection_id, p.entered, p.last_msg_serial),
        None => (hex::encode(rand::random::<[u8; 8]>()), HashSet::new(), None),
    };
    tracing::Span::current().record("conn_id", connection_id.as_str());
    let taken_over = CancellationToken::new();
    let (outbound, mut queue) = mpsc::channel::<Outbound>(state.realtime.limits.outbound_queue.max(1));
    let mut session = Session {
        capability: serde_json::from_str(&claims.capability).unwrap_or_default(),
        connection_key: format!("{}!{}!{connection_id}", state.realtime.epoch, hex::encode(rand::random::<[u8; 8]>())),
        connection_id,
        claims,
        echo: query.echo.as_deref() != Some("false"),
        attached: HashMap::new(),
        entered,
        last_msg_serial,
        outbound,
        slow: CancellationToken::new(),
    };
    lock(&state.realtime.live).insert(session.connection_key.clone(), taken_over.clone());
    if !writer.frame(&session.connected(&state, resume_error)).await {
        return finish(&state, session, Ending::Dropped);
    }
    tracing::debug!(client_id = %session.claims.client_id, ?format, "realtime connection open");

    let limits = state.realtime.limits.clone();
    let protocol_heartbeats = query.heartbeats.as_deref() == Some("true");
    let mut heartbeat = tokio::time::interval(limits.heartbeat);
    heartbeat.tick().await;
    let mut window = (Instant::now(), 0_u32);
    let ending = 'connection: loop {
        let expires_in = Duration::from_millis(session.claims.expires.saturating_sub(now_ms()));
        // Every branch is cancel-safe: a frame or queued message not taken now is taken
        // on the next turn.
        tokio::select! {
            frame = stream.next() => {
                let decoded = match frame {
                    Some(Ok(Frame::Text(text))) => codec::decode(text.as_bytes(), Format::Json),
                    Some(Ok(Frame::Binary(bytes))) => codec::decode(&bytes, Format::Msgpack),
                    Some(Ok(Frame::Ping(_) | Frame::Pong(_))) => continue,
                    Some(Ok(Frame::Close(_)) | Err(_)) | None => break Ending::Dropped,
                };
                let message = match decoded {
                    Ok(message) => message,
                    Err(err) => {
                        let error = ErrorInfo::new(errors::BAD_REQUEST, 400, err.to_string());
                        writer.fail(Action::ERROR, error).await;
                        return finish(&state, session, Ending::Closed);
                    }
                };
                if window.0.elapsed() >= Duration::from_secs(1) {
                    window = (Instant::now(), 0);
                }
                window.1 += 1;
                if window.1 > limits.max_inbound_rate {
                    let text = format!("more than {} protocol messages per second", limits.max_inbound_rate);
                    writer.fail(Action::DISCONNECTED, ErrorInfo::new(errors::INBOUND_RATE, 429, text)).await;
                    return finish(&state, session, Ending::Dropped);
                }
                if message.action == Action::CLOSE {
                    let _ = writer.frame(&ProtocolMessage::new(Action::CLOSED)).await;
                    break Ending::Closed;
                }
                for reply in session.handle(&state, message) {
                    if !writer.frame(&reply).await {
                        break 'connection Ending::Dropped;
                    }
                }
            }
            Some(event) = queue.recv() => {
                // A peer that stopped reading blocks this write once the socket buffers are
                // full; its queue then fills, the forwarder marks it slow, and that ends the
                // write here. Nothing more can be sent on that socket, so it is dropped
                // (parked for resume) without a goodbye.
                let slow = session.slow.clone();
                let written = tokio::select! {
                    written = writer.events(event.encoded(format), &mut queue) => written,
                    () = slow.cancelled() => {
                        tracing::info!("slow consumer dropped: its socket stopped draining");
                        break Ending::Dropped;
                    }
                };
                if !written {
                    break Ending::Dropped;
                }
            }
            () = session.slow.cancelled() => {
                let error = ErrorInfo::new(errors::SLOW_CONSUMER, 400, "connection closed: too slow to keep up with its channels; resume to catch up");
                writer.fail(Action::DISCONNECTED, error).await;
                return finish(&state, session, Ending::Dropped);
            }
            () = tokio::time::sleep(expires_in) => {
                let error = ErrorInfo::new(errors::TOKEN_EXPIRED, 401, "token expired; renew it and resume");
                writer.fail(Action::DISCONNECTED, error).await;
                return finish(&state, session, Ending::Dropped);
            }
            () = taken_over.cancelled() => break Ending::Dropped,
            () = state.realtime.shutdown.cancelled() => {
                let error = ErrorInfo::new(errors::SERVER_SHUTDOWN, 503, "the hub is shutting down; reconnect with resume");
                writer.fail(Action::DISCONNECTED, error).await;
                return finish(&state, session, Ending::Dropped);
            }
            _ = heartbeat.tick() => {
                let sent = if protocol_heartbeats {
                    writer.frame(&ProtocolMessage::new(Action::HEARTBEAT)).await
                } else {
                    writer.sink.send(Frame::Ping(Bytes::new())).await.is_ok()
                };
                if !sent {
                    break Ending::Dropped;
                }
            }
        }
    };
    let _ = tokio::time::timeout(GOODBYE_TIMEOUT, writer.sink.close()).await;
    finish(&state, session, ending);
}

/// The parked state of `key`; a connection still live under that key (its transport died
/// but the server has not noticed yet) is told to park first.
async fn take_over(state: &AppState, key: &str, client_id: &str) -> Option<Parked> {
    if let Some(parked) = unpark(state, key, client_id) {
        return Some(parked);
    }
    let live = lock(&state.realtime.live).get(key).cloned()?;
    live.cancel();
    for _ in 0..200 {
        tokio::time::sleep(Duration::from_millis(10)).await;
        if let Some(parked) = unpark(state, key, client_id) {
            return Some(parked);
        }
    }
    None
}

fn unpark(state: &AppState, key: &str, client_id: &str) -> Option<Parked> {
    let mut parked = lock(&state.realtime.parked);
    if parked.get(key).is_some_and(|p| p.client_id != client_id) {
        return None;
    }
    parked.remove(key)
}

/// Stops the forwarders and either leaves presence now or parks the connection.
fn finish(state: &AppState, mut session: Session, ending: Ending) {
    for (_, forwarder) in session.attached.drain() {
        forwarder.abort();
    }
    let realtime = &state.realtime;
    lock(&realtime.live).remove(&session.connection_key);
    if matches!(ending, Ending::Closed) || realtime.shutdown.is_cancelled() {
        for channel in &session.entered {
            realtime.channels.leave_all(channel, &session.connection_id);
        }
        tracing::debug!("realtime connection closed");
        return;
    }
    let park_id = rand::random::<u64>();
    let key = session.connection_key.clone();
    lock(&realtime.parked).insert(
        key.clone(),
        Parked {
            connection_id: session.connection_id.clone(),
            client_id: session.claims.client_id.clone(),
            entered: session.entered.clone(),
            last_msg_serial: session.last_msg_serial,
            park_id,
        },
    );
    tracing::debug!("realtime connection dropped; resumable");
    let state = state.clone();
    let grace = realtime.limits.presence_grace;
    let ttl = realtime.limits.connection_state_ttl;
    tokio::spawn(async move {
        let still_parked =
            |state: &AppState| lock(&state.realtime.parked).get(&key).is_some_and(|p| p.park_id == park_id);
        tokio::time::sleep(grace.min(ttl)).await;
        if !still_parked(&state) {
            return;
        }
        for channel in &session.entered {
            state.realtime.channels.leave_all(channel, &session.connection_id);
        }
        if let Some(p) = lock(&state.realtime.parked).get_mut(&key) {
            p.entered.clear();
        }
        tokio::time::sleep(ttl.saturating_sub(grace)).await;
        let mut parked = lock(&state.realtime.parked);
        if parked.get(&key).is_some_and(|p| p.park_id == park_id) {
            parked.remove(&key);
        }
    });
}
