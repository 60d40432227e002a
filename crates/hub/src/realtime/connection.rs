//! One realtime WebSocket connection (JSON format): token auth, CONNECTED, attach and
//! detach with capability checks, publish with ACK/NACK, fan-out, heartbeats, CLOSE.
//!
//! A subscriber that falls more than [`super::channels::SUBSCRIBER_BUFFER`] messages
//! behind is disconnected (80020) instead of buffering without bound.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;
use std::time::Duration;

use axum::extract::ws::{Message as Frame, WebSocket, WebSocketUpgrade};
use axum::extract::{Query, State};
use axum::response::Response;
use futures_util::{SinkExt as _, StreamExt as _};
use serde::Deserialize;
use serde_json::json;
use tokio::sync::{broadcast, mpsc};
use tokio_util::sync::CancellationToken;

use super::channels::SUBSCRIBER_BUFFER;
use super::protocol::{ProtocolMessage, action};
use super::token::TokenClaims;
use crate::state::AppState;

/// Largest accepted message payload (`connectionDetails.maxMessageSize`).
pub const MAX_MESSAGE_SIZE: usize = 64 * 1024;
/// How often the hub sends a heartbeat (or a WebSocket ping).
const HEARTBEAT_EVERY: Duration = Duration::from_secs(15);
/// Channel mode flags granted on attach: presence, publish, subscribe, presence-subscribe.
const MODE_FLAGS: u64 = (1 << 16) | (1 << 17) | (1 << 18) | (1 << 19);

/// Query of the realtime connection.
#[derive(Debug, Deserialize)]
pub struct ConnectQuery {
    access_token: Option<String>,
    #[serde(rename = "accessToken")]
    access_token_alt: Option<String>,
    format: Option<String>,
    echo: Option<String>,
    heartbeats: Option<String>,
}

/// `GET /` with a WebSocket upgrade.
pub async fn connect(
    ws: WebSocketUpgrade,
    State(state): State<AppState>,
    Query(query): Query<ConnectQuery>,
) -> Response {
    ws.max_message_size(512 * 1024).on_upgrade(move |socket| run(state, socket, query))
}

fn capability_allows(capability: &BTreeMap<String, Vec<String>>, channel: &str, op: &str) -> bool {
    capability.get(channel).or_else(|| capability.get("*")).is_some_and(|ops| ops.iter().any(|o| o == op || o == "*"))
}

fn now_ms() -> u64 {
    u64::try_from(crate::clock::now_ms()).unwrap_or(0)
}

async fn send(socket: &mut futures_util::stream::SplitSink<WebSocket, Frame>, message: &ProtocolMessage) -> bool {
    match serde_json::to_string(message) {
        Ok(text) => socket.send(Frame::Text(text.into())).await.is_ok(),
        Err(_) => false,
    }
}

struct Session {
    connection_id: String,
    claims: TokenClaims,
    capability: BTreeMap<String, Vec<String>>,
    echo: bool,
    attached: HashMap<String, tokio::task::JoinHandle<()>>,
    outbound: mpsc::Sender<ProtocolMessage>,
    slow: CancellationToken,
}

#[tracing::instrument(skip_all, fields(conn_id))]
async fn run(state: AppState, socket: WebSocket, query: ConnectQuery) {
    let (mut sink, mut stream) = socket.split();
    if query.format.as_deref().is_some_and(|f| f != "json") {
        let refusal = ProtocolMessage::error(
            action::ERROR,
            40000,
            400,
            "this hub speaks format=json only for now; set useBinaryProtocol: false",
            None,
        );
        let _ = send(&mut sink, &refusal).await;
        let _ = sink.close().await;
        return;
    }
    let token = query.access_token.or(query.access_token_alt).unwrap_or_default();
    let claims = match state.ably.verify_token(&token, now_ms()) {
        Ok(claims) => claims,
        Err(err) => {
            let _ =
                send(&mut sink, &ProtocolMessage::error(action::ERROR, err.code, err.status, err.message, None)).await;
            let _ = sink.close().await;
            return;
        }
    };
    let connection_id = hex::encode(rand::random::<[u8; 8]>());
    tracing::Span::current().record("conn_id", connection_id.as_str());
    let connection_key = format!("{}!{connection_id}", hex::encode(rand::random::<[u8; 8]>()));
    let (outbound, mut queue) = mpsc::channel::<ProtocolMessage>(SUBSCRIBER_BUFFER);
    let mut session = Session {
        capability: serde_json::from_str(&claims.capability).unwrap_or_default(),
        connection_id: connection_id.clone(),
        claims,
        echo: query.echo.as_deref() != Some("false"),
        attached: HashMap::new(),
        outbound,
        slow: CancellationToken::new(),
    };
    let connected = connected_frame(&session, &connection_key);
    if !send(&mut sink, &connected).await {
        return;
    }
    let protocol_heartbeats = query.heartbeats.as_deref() == Some("true");
    let mut heartbeat = tokio::time::interval(HEARTBEAT_EVERY);
    heartbeat.tick().await;
    'connection: loop {
        // Every branch is cancel-safe: a frame or queued message not taken now is taken
        // on the next turn.
        tokio::select! {
            frame = stream.next() => {
                let text = match frame {
                    Some(Ok(Frame::Text(text))) => text,
                    Some(Ok(Frame::Ping(_) | Frame::Pong(_))) => continue,
                    Some(Ok(Frame::Binary(_))) => {
                        let _ = send(&mut sink, &ProtocolMessage::error(action::ERROR, 40000, 400, "binary frames need format=msgpack, which this hub does not speak yet", None)).await;
                        break;
                    }
                    Some(Ok(Frame::Close(_)) | Err(_)) | None => break,
                };
                let message: ProtocolMessage = match serde_json::from_str(&text) {
                    Ok(message) => message,
                    Err(err) => {
                        let _ = send(&mut sink, &ProtocolMessage::error(action::ERROR, 40000, 400, format!("malformed protocol message: {err}"), None)).await;
                        break;
                    }
                };
                if message.action == action::CLOSE {
                    let _ = send(&mut sink, &ProtocolMessage::action(action::CLOSED)).await;
                    break;
                }
                for reply in handle(&state, &mut session, message, &connection_key) {
                    if !send(&mut sink, &reply).await {
                        break 'connection;
                    }
                }
            }
            Some(message) = queue.recv() => {
                if !send(&mut sink, &message).await {
                    break;
                }
            }
            () = session.slow.cancelled() => {
                let _ = send(&mut sink, &ProtocolMessage::error(action::DISCONNECTED, 80020, 400, "connection closed: too slow to keep up with its channels", None)).await;
                break;
            }
            _ = heartbeat.tick() => {
                let sent = if protocol_heartbeats {
                    send(&mut sink, &ProtocolMessage::action(action::HEARTBEAT)).await
                } else {
                    sink.send(Frame::Ping(Vec::new().into())).await.is_ok()
                };
                if !sent {
                    break;
                }
            }
        }
    }
    for (_, forwarder) in session.attached.drain() {
        forwarder.abort();
    }
    let _ = sink.close().await;
}

fn connected_frame(session: &Session, connection_key: &str) -> ProtocolMessage {
    ProtocolMessage {
        action: action::CONNECTED,
        connection_id: Some(session.connection_id.clone()),
        connection_details: Some(json!({
            "clientId": session.claims.client_id,
            "connectionKey": connection_key,
            "maxMessageSize": MAX_MESSAGE_SIZE,
            "maxFrameSize": 512 * 1024,
            "maxInboundRate": 250,
            "maxIdleInterval": HEARTBEAT_EVERY.as_millis() as u64,
            "connectionStateTtl": 120_000,
            "serverId": "jaibber-hub",
        })),
        ..ProtocolMessage::default()
    }
}

fn handle(
    state: &AppState,
    session: &mut Session,
    message: ProtocolMessage,
    connection_key: &str,
) -> Vec<ProtocolMessage> {
    match message.action {
        action::HEARTBEAT => {
            vec![ProtocolMessage { action: action::HEARTBEAT, id: message.id, ..ProtocolMessage::default() }]
        }
        action::ATTACH => {
            let Some(channel) = message.channel else { return Vec::new() };
            if !capability_allows(&session.capability, &channel, "subscribe") {
                return vec![ProtocolMessage::error(
                    action::ERROR,
                    40160,
                    401,
                    format!("not permitted to attach to {channel}"),
                    Some(channel),
                )];
            }
            if !session.attached.contains_key(&channel) {
                let receiver = state.realtime.subscribe(&channel);
                let forwarder = tokio::spawn(forward(
                    receiver,
                    session.outbound.clone(),
                    session.slow.clone(),
                    session.connection_id.clone(),
                    session.echo,
                ));
                session.attached.insert(channel.clone(), forwarder);
            }
            vec![ProtocolMessage {
                action: action::ATTACHED,
                channel: Some(channel),
                flags: Some(MODE_FLAGS),
                ..ProtocolMessage::default()
            }]
        }
        action::DETACH => {
            let Some(channel) = message.channel else { return Vec::new() };
            if let Some(forwarder) = session.attached.remove(&channel) {
                forwarder.abort();
            }
            vec![ProtocolMessage { action: action::DETACHED, channel: Some(channel), ..ProtocolMessage::default() }]
        }
        action::MESSAGE => publish(state, session, message),
        action::AUTH => {
            let token = message.auth.as_ref().and_then(|a| a.get("accessToken")).and_then(|t| t.as_str()).unwrap_or("");
            match state.ably.verify_token(token, now_ms()) {
                Ok(claims) if claims.client_id == session.claims.client_id => {
                    session.capability = serde_json::from_str(&claims.capability).unwrap_or_default();
                    session.claims = claims;
                    vec![connected_frame(session, connection_key)]
                }
                Ok(_) => vec![ProtocolMessage::error(
                    action::ERROR,
                    40102,
                    401,
                    "a renewed token must keep the same clientId",
                    None,
                )],
                Err(err) => vec![ProtocolMessage::error(action::ERROR, err.code, err.status, err.message, None)],
            }
        }
        _ => Vec::new(),
    }
}

fn publish(state: &AppState, session: &Session, message: ProtocolMessage) -> Vec<ProtocolMessage> {
    let serial = message.msg_serial.unwrap_or(0);
    let nack = |code: u32, status: u16, text: String| ProtocolMessage {
        action: action::NACK,
        msg_serial: Some(serial),
        count: Some(1),
        error: Some(super::protocol::ErrorInfo { code, status_code: status, message: text }),
        ..ProtocolMessage::default()
    };
    let Some(channel) = message.channel else { return vec![nack(40000, 400, "MESSAGE without a channel".into())] };
    if !capability_allows(&session.capability, &channel, "publish") {
        return vec![nack(40160, 401, format!("not permitted to publish on {channel}"))];
    }
    let mut messages = message.messages.unwrap_or_default();
    let size: usize = messages
        .iter()
        .map(|m| serde_json::to_string(&m.data).map_or(0, |s| s.len()) + m.name.as_ref().map_or(0, String::len))
        .sum();
    if size > MAX_MESSAGE_SIZE {
        return vec![nack(40009, 400, format!("message of {size} bytes is over the {MAX_MESSAGE_SIZE}-byte maximum"))];
    }
    let now = now_ms();
    for (index, m) in messages.iter_mut().enumerate() {
        m.id.get_or_insert_with(|| format!("{}:{serial}:{index}", session.connection_id));
        m.client_id = Some(session.claims.client_id.clone());
        m.connection_id = Some(session.connection_id.clone());
        m.timestamp = Some(now);
    }
    state.realtime.publish(&channel, messages, &session.connection_id);
    vec![ProtocolMessage {
        action: action::ACK,
        msg_serial: Some(serial),
        count: Some(1),
        ..ProtocolMessage::default()
    }]
}

async fn forward(
    mut receiver: broadcast::Receiver<Arc<super::channels::ChannelEvent>>,
    outbound: mpsc::Sender<ProtocolMessage>,
    slow: CancellationToken,
    connection_id: String,
    echo: bool,
) {
    loop {
        match receiver.recv().await {
            Ok(event) => {
                if !echo && event.from_connection == connection_id {
                    continue;
                }
                let frame = ProtocolMessage {
                    action: action::MESSAGE,
                    channel: Some(event.channel.clone()),
                    channel_serial: Some(event.serial.clone()),
                    messages: Some(event.messages.clone()),
                    timestamp: Some(now_ms()),
                    ..ProtocolMessage::default()
                };
                if outbound.try_send(frame).is_err() {
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
