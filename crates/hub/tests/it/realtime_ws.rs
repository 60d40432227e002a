//! The realtime WebSocket endpoint, frame by frame, with a plain WebSocket client and the
//! typed frames of `bridge_core::ably`, in both wire formats.

use std::time::Duration;

use bridge_core::ably::{
    Action, Format, MessageData, PresenceAction, PresenceMessage, ProtocolMessage, WireMessage, codec, errors, flags,
};
use bridge_core::client::Client;
use bridge_core::model::*;
use futures_util::{SinkExt as _, StreamExt as _};
use serde_json::json;
use tokio_tungstenite::tungstenite::Message as Frame;

use crate::support::{TestHub, raw};

type Socket = tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

pub async fn token(hub: &TestHub, client: &Client) -> String {
    let AblyAuth::Request(request) = client.ably_token().await.expect("token request") else {
        panic!("a TokenRequest")
    };
    let details: TokenDetails = raw()
        .post(format!("{}/keys/{}/requestToken", hub.base, request.key_name))
        .json(&request)
        .send()
        .await
        .expect("exchange")
        .json()
        .await
        .expect("details");
    details.token
}

/// One raw connection.
struct Conn {
    socket: Socket,
    format: Format,
    connected: ProtocolMessage,
    serial: u64,
}

impl Conn {
    async fn open(hub: &TestHub, token: &str, format: Format, extra: &str) -> Self {
        let url = format!(
            "{}/?access_token={token}&format={}&v=6&heartbeats=false{extra}",
            hub.base.replace("http://", "ws://"),
            format.as_query()
        );
        let (socket, _) = tokio_tungstenite::connect_async(url).await.expect("websocket");
        let mut conn = Self { socket, format, connected: ProtocolMessage::default(), serial: 0 };
        conn.connected = conn.next().await;
        conn
    }

    async fn next(&mut self) -> ProtocolMessage {
        loop {
            let frame = tokio::time::timeout(Duration::from_secs(5), self.socket.next())
                .await
                .expect("a frame within 5 s")
                .expect("open")
                .expect("frame");
            match (frame, self.format) {
                (Frame::Text(text), Format::Json) => {
                    return codec::decode(text.as_bytes(), Format::Json).expect("json");
                }
                (Frame::Binary(bytes), Format::Msgpack) => {
                    return codec::decode(&bytes, Format::Msgpack).expect("msgpack");
                }
                (Frame::Ping(_) | Frame::Pong(_), _) => {}
                (other, format) => panic!("unexpected frame {other:?} on a {format:?} connection"),
            }
        }
    }

    /// The next frame that is not a HEARTBEAT.
    async fn next_of(&mut self, action: Action) -> ProtocolMessage {
        loop {
            let frame = self.next().await;
            if frame.action == action {
                return frame;
            }
            assert!(frame.action == Action::HEARTBEAT, "expected action {action:?}, got {frame:?}");
        }
    }

    async fn send(&mut self, message: &ProtocolMessage) {
        let bytes = codec::encode(message, self.format).expect("encode");
        let frame = match self.format {
            Format::Json => Frame::Text(String::from_utf8(bytes).expect("utf-8").into()),
            Format::Msgpack => Frame::Binary(bytes.into()),
        };
        self.socket.send(frame).await.expect("send");
    }

    async fn attach(&mut self, channel: &str, params: &[(&str, &str)], serial: Option<&str>) -> ProtocolMessage {
        let mut attach = ProtocolMessage::on_channel(Action::ATTACH, channel);
        if !params.is_empty() {
            attach.params = Some(params.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect());
        }
        attach.channel_serial = serial.map(str::to_owned);
        self.send(&attach).await;
        self.next().await
    }

    async fn publish(&mut self, channel: &str, message: WireMessage) -> ProtocolMessage {
        let mut frame = ProtocolMessage::on_channel(Action::MESSAGE, channel);
        frame.msg_serial = Some(self.serial);
        frame.messages = Some(vec![message]);
        self.serial += 1;
        self.send(&frame).await;
        self.reply().await
    }

    /// The next ACK or NACK (echoed messages and presence skipped).
    async fn reply(&mut self) -> ProtocolMessage {
        loop {
            let frame = self.next().await;
            if ![Action::MESSAGE, Action::PRESENCE, Action::HEARTBEAT].contains(&frame.action) {
                return frame;
            }
        }
    }

    async fn presence(&mut self, channel: &str, action: PresenceAction, data: serde_json::Value) -> ProtocolMessage {
        let mut frame = ProtocolMessage::on_channel(Action::PRESENCE, channel);
        frame.msg_serial = Some(self.serial);
        frame.presence =
            Some(vec![PresenceMessage { action, data: Some(MessageData::Json(data)), ..PresenceMessage::default() }]);
        self.serial += 1;
        self.send(&frame).await;
        self.reply().await
    }

    fn key(&self) -> String {
        self.connected.connection_details.as_ref().and_then(|d| d.connection_key.clone()).expect("connection key")
    }

    fn id(&self) -> String {
        self.connected.connection_id.clone().expect("connection id")
    }
}

fn text_message(name: &str, text: &str) -> WireMessage {
    WireMessage { name: Some(name.into()), data: Some(MessageData::Text(text.into())), ..WireMessage::default() }
}

fn texts(frame: &ProtocolMessage) -> Vec<String> {
    frame
        .messages
        .iter()
        .flatten()
        .map(|m| match &m.data {
            Some(MessageData::Text(text)) => text.clone(),
            other => format!("{other:?}"),
        })
        .collect()
}

struct Setup {
    hub: TestHub,
    alice: Client,
    alice_id: String,
    project: Project,
    channel: String,
    token: String,
}

async fn setup_with(tune: impl FnOnce(&mut jaibber_hub::HubConfig)) -> Setup {
    let hub = TestHub::start_with(tune).await;
    let (alice, alice_id) = hub.user("alice").await;
    let org = hub.org(&alice, "A", PlanId::Team).await;
    let project = hub.project(&alice, &org, "P").await;
    let channel = project.id.channel_name();
    let token = token(&hub, &alice).await;
    Setup { hub, alice, alice_id, project, channel, token }
}

async fn setup() -> Setup {
    setup_with(|_| {}).await
}

async fn attach_publish_receive(format: Format) {
    let Setup { hub, alice, alice_id, project, channel, token } = setup().await;
    let (bob, _) = hub.user("bobby").await;
    let foreign = hub.project(&bob, &hub.org(&bob, "B", PlanId::Team).await, "Q").await;

    let mut sub = Conn::open(&hub, &token, format, "").await;
    assert_eq!(sub.connected.action, Action::CONNECTED);
    let details = sub.connected.connection_details.clone().expect("details");
    assert_eq!((details.client_id.as_deref(), details.max_message_size), (Some(alice_id.as_str()), Some(65_536)));

    let attached = sub.attach(&channel, &[], None).await;
    assert_eq!((attached.action, attached.channel.as_deref()), (Action::ATTACHED, Some(channel.as_str())));
    assert!(
        attached.has_flag(flags::SUBSCRIBE)
            && attached.has_flag(flags::PUBLISH)
            && !attached.has_flag(flags::HAS_PRESENCE)
    );
    let refused = sub.attach(&foreign.id.channel_name(), &[], None).await;
    assert_eq!((refused.action, refused.error.map(|e| e.code)), (Action::ERROR, Some(errors::CAPABILITY_DENIED)));

    // A message stored over REST is published as `message` with a chat payload (JSON text, encoding json).
    let stored = alice.post_message(&project.id, &CreateMessage::text("@Coder over REST")).await.expect("post");
    let event = sub.next_of(Action::MESSAGE).await;
    let first = &event.messages.as_ref().expect("messages")[0];
    assert_eq!((first.name.as_deref(), first.encoding.as_deref()), (Some("message"), Some("json")));
    let chat: ChatPayload = first.decode_into().expect("chat payload");
    assert_eq!((chat.message_id, chat.text.as_str(), chat.kind), (stored.id, "@Coder over REST", ChatType::Message));
    assert!(event.channel_serial.is_some());
    // …but not one stored with a client-chosen id (that client already published it).
    let upsert = CreateMessage::text("streamed").with_id(MessageId::new(uuid::Uuid::new_v4().to_string()));
    alice.post_message(&project.id, &upsert).await.expect("upsert");
    let task = alice.create_task(&project.id, &CreateTask::new("T").assign_to("Coder")).await.expect("task");
    let task_event = sub.next_of(Action::MESSAGE).await;
    let task_message = &task_event.messages.as_ref().expect("messages")[0];
    assert_eq!(task_message.name.as_deref(), Some("task"), "the upsert was not re-published");
    let payload: TaskEvent = task_message.decode_into().expect("task event");
    assert_eq!((payload.kind, payload.task.id), (TaskEventType::Created, task.id));

    // A second connection publishes; the subscriber receives it, the publisher (echo=false) does not.
    let mut publisher = Conn::open(&hub, &token, format, "&echo=false").await;
    assert_eq!(publisher.attach(&channel, &[], None).await.action, Action::ATTACHED);
    let chunk = json!({"from": alice_id, "fromUsername": "Coder", "projectId": project.id, "text": "par", "messageId": "r-1", "type": "chunk"});
    let ack = publisher.publish(&channel, WireMessage::json("message", &chunk).expect("json")).await;
    assert_eq!((ack.action, ack.msg_serial, ack.count), (Action::ACK, Some(0), Some(1)));
    let received = sub.next_of(Action::MESSAGE).await;
    let message = &received.messages.as_ref().expect("messages")[0];
    assert_eq!(message.decoded().expect("decoded")["type"], "chunk");
    assert_eq!(message.client_id.as_deref(), Some(alice_id.as_str()));
    assert_eq!(message.connection_id.as_deref(), Some(publisher.id().as_str()));
    assert_eq!(message.id.as_deref(), Some(format!("{}:0:0", publisher.id()).as_str()));

    // Bytes published on this connection arrive as bytes (msgpack bin or base64 in JSON).
    let blob = WireMessage {
        name: Some("blob".into()),
        data: Some(MessageData::Binary(vec![0, 1, 254])),
        ..WireMessage::default()
    };
    assert_eq!(publisher.publish(&channel, blob).await.action, Action::ACK);
    let received = sub.next_of(Action::MESSAGE).await;
    let blob = &received.messages.as_ref().expect("messages")[0];
    match format {
        Format::Msgpack => assert_eq!(blob.data, Some(MessageData::Binary(vec![0, 1, 254]))),
        Format::Json => assert_eq!(
            (blob.data.clone(), blob.encoding.as_deref()),
            (Some(MessageData::Text("AAH+".into())), Some("base64"))
        ),
    }

    let big = "x".repeat(70 * 1024);
    let nack = publisher.publish(&channel, text_message("message", &big)).await;
    assert_eq!((nack.action, nack.error.as_ref().map(|e| e.code)), (Action::NACK, Some(errors::MESSAGE_TOO_LARGE)));
    assert!(nack.error.expect("error").message.contains("maxMessageSize"));
    publisher.send(&ProtocolMessage { id: Some("hb".into()), ..ProtocolMessage::new(Action::HEARTBEAT) }).await;
    assert_eq!(publisher.next_of(Action::HEARTBEAT).await.id.as_deref(), Some("hb"), "still connected after the NACK");
    publisher.send(&ProtocolMessage::new(Action::CLOSE)).await;
    assert_eq!(publisher.next_of(Action::CLOSED).await.action, Action::CLOSED);

    sub.send(&ProtocolMessage::on_channel(Action::DETACH, &channel)).await;
    assert_eq!(sub.next_of(Action::DETACHED).await.channel.as_deref(), Some(channel.as_str()));
}

#[tokio::test]
async fn json_connect_attach_publish_and_receive() {
    attach_publish_receive(Format::Json).await;
}

#[tokio::test]
async fn msgpack_connect_attach_publish_and_receive() {
    attach_publish_receive(Format::Msgpack).await;
}

#[tokio::test]
async fn bad_tokens_and_formats_are_refused_with_ably_codes() {
    let hub = TestHub::start().await;
    let refused = Conn::open(&hub, "not-a-token", Format::Json, "").await.connected;
    assert_eq!((refused.action, refused.error.map(|e| e.code)), (Action::ERROR, Some(errors::TOKEN_UNRECOGNISED)));
    let url = format!("{}/?format=xml", hub.base.replace("http://", "ws://"));
    let (mut socket, _) = tokio_tungstenite::connect_async(url).await.expect("websocket");
    let Some(Ok(Frame::Text(text))) = socket.next().await else { panic!("an error frame") };
    assert!(text.contains("format must be json or msgpack"), "{text}");
    let url = format!("{}/?key=abc.def:secret&format=json", hub.base.replace("http://", "ws://"));
    let (mut socket, _) = tokio_tungstenite::connect_async(url).await.expect("websocket");
    let Some(Ok(Frame::Text(text))) = socket.next().await else { panic!("an error frame") };
    assert!(text.contains("use token auth") && !text.contains("secret"), "{text}");
}

#[tokio::test]
async fn malformed_frames_get_an_error_and_never_crash_the_hub() {
    let Setup { hub, token, channel, .. } = setup().await;
    let mut conn = Conn::open(&hub, &token, Format::Json, "").await;
    conn.socket.send(Frame::Text("{\"action\": \"attach\"".into())).await.expect("send");
    let error = conn.next().await;
    assert_eq!((error.action, error.error.map(|e| e.code)), (Action::ERROR, Some(errors::BAD_REQUEST)));
    let mut again = Conn::open(&hub, &token, Format::Msgpack, "").await;
    assert_eq!(again.attach(&channel, &[], None).await.action, Action::ATTACHED, "the hub still serves");
}

#[tokio::test]
async fn rewind_by_count_and_by_time_is_capped_at_100() {
    let Setup { hub, token, channel, .. } = setup().await;
    let mut publisher = Conn::open(&hub, &token, Format::Msgpack, "").await;
    publisher.attach(&channel, &[], None).await;
    for n in 0..105 {
        let ack = publisher.publish(&channel, text_message("message", &format!("m{n}"))).await;
        assert_eq!(ack.action, Action::ACK);
    }
    let mut three = Conn::open(&hub, &token, Format::Json, "").await;
    let attached = three.attach(&channel, &[("rewind", "3")], None).await;
    assert!(attached.has_flag(flags::HAS_BACKLOG), "{attached:?}");
    assert_eq!(attached.params.as_ref().and_then(|p| p.get("rewind")).map(String::as_str), Some("3"));
    let mut got = Vec::new();
    while got.len() < 3 {
        got.extend(texts(&three.next_of(Action::MESSAGE).await));
    }
    assert_eq!(got, ["m102", "m103", "m104"]);

    let mut span = Conn::open(&hub, &token, Format::Msgpack, "").await;
    span.attach(&channel, &[("rewind", "2m")], None).await;
    let mut got = Vec::new();
    while got.len() < 100 {
        got.extend(texts(&span.next_of(Action::MESSAGE).await));
    }
    assert_eq!((got.first().map(String::as_str), got.last().map(String::as_str)), (Some("m5"), Some("m104")));
    let live = publisher.publish(&channel, text_message("message", "live")).await;
    assert_eq!(live.action, Action::ACK);
    assert_eq!(texts(&span.next_of(Action::MESSAGE).await), ["live"], "no more backlog than 100, then live");

    let mut bad = Conn::open(&hub, &token, Format::Json, "").await;
    let refused = bad.attach(&channel, &[("rewind", "two weeks")], None).await;
    assert_eq!((refused.action, refused.error.map(|e| e.code)), (Action::ERROR, Some(errors::BAD_REQUEST)));
}

#[tokio::test]
async fn presence_enter_update_sync_and_leave_when_a_connection_dies() {
    let Setup { hub, token, channel, alice_id, .. } =
        setup_with(|c| c.realtime.presence_grace = Duration::from_millis(300)).await;
    let mut agent = Conn::open(&hub, &token, Format::Msgpack, "").await;
    agent.attach(&channel, &[], None).await;
    let ack = agent.presence(&channel, PresenceAction::ENTER, json!({"agentName": "Coder"})).await;
    assert_eq!(ack.action, Action::ACK);

    let mut watcher = Conn::open(&hub, &token, Format::Json, "").await;
    let attached = watcher.attach(&channel, &[], None).await;
    assert!(attached.has_flag(flags::HAS_PRESENCE), "{attached:?}");
    let sync = watcher.next_of(Action::SYNC).await;
    let members = sync.presence.expect("members");
    assert_eq!(members.len(), 1);
    assert_eq!(
        (members[0].action, members[0].client_id.as_deref()),
        (PresenceAction::PRESENT, Some(alice_id.as_str()))
    );
    assert_eq!(members[0].connection_id.as_deref(), Some(agent.id().as_str()));
    assert_eq!(members[0].decoded().expect("data"), json!({"agentName": "Coder"}));

    agent.presence(&channel, PresenceAction::UPDATE, json!({"agentName": "Coder", "busy": true})).await;
    let update = watcher.next_of(Action::PRESENCE).await;
    assert_eq!(update.presence.as_ref().expect("presence")[0].action, PresenceAction::UPDATE);

    // The agent's socket dies without CLOSE: after the grace period its member leaves.
    drop(agent);
    let leave = tokio::time::timeout(Duration::from_secs(3), watcher.next_of(Action::PRESENCE)).await.expect("a LEAVE");
    assert_eq!(leave.presence.as_ref().expect("presence")[0].action, PresenceAction::LEAVE);
    assert!(hub.state.realtime.channels.members(&channel).is_empty());

    // An explicit LEAVE is broadcast at once.
    let mut other = Conn::open(&hub, &token, Format::Json, "").await;
    other.attach(&channel, &[], None).await;
    other.presence(&channel, PresenceAction::ENTER, json!("hi")).await;
    assert_eq!(watcher.next_of(Action::PRESENCE).await.presence.expect("p")[0].action, PresenceAction::ENTER);
    other.presence(&channel, PresenceAction::LEAVE, json!(null)).await;
    assert_eq!(watcher.next_of(Action::PRESENCE).await.presence.expect("p")[0].action, PresenceAction::LEAVE);
}

#[tokio::test]
async fn resume_keeps_the_connection_and_loses_no_message() {
    let Setup { hub, token, channel, alice, project, .. } = setup().await;
    let mut conn = Conn::open(&hub, &token, Format::Msgpack, "").await;
    conn.attach(&channel, &[], None).await;
    alice.post_message(&project.id, &CreateMessage::text("before")).await.expect("post");
    let seen = conn.next_of(Action::MESSAGE).await;
    let serial = seen.channel_serial.clone().expect("serial");
    let (key, id) = (conn.key(), conn.id());
    drop(conn); // transport dies

    for text in ["gap-1", "gap-2", "gap-3"] {
        alice.post_message(&project.id, &CreateMessage::text(text)).await.expect("post");
    }
    let mut back = Conn::open(&hub, &token, Format::Msgpack, &format!("&resume={key}")).await;
    assert_eq!((back.id(), back.connected.error.clone()), (id, None), "resumed: same connection id, no error");
    let attached = back.attach(&channel, &[], Some(&serial)).await;
    assert!(attached.has_flag(flags::RESUMED), "{attached:?}");
    let mut got = Vec::new();
    while got.len() < 3 {
        let frame = back.next_of(Action::MESSAGE).await;
        for message in frame.messages.expect("messages") {
            got.push(message.decode_into::<ChatPayload>().expect("chat").text);
        }
    }
    assert_eq!(got, ["gap-1", "gap-2", "gap-3"]);

    // A publish resent after a resume (same msgSerial) is acknowledged but not published twice.
    let mut watcher = Conn::open(&hub, &token, Format::Json, "").await;
    watcher.attach(&channel, &[], None).await;
    assert_eq!(back.publish(&channel, text_message("message", "once")).await.action, Action::ACK);
    back.serial -= 1;
    assert_eq!(back.publish(&channel, text_message("message", "once")).await.action, Action::ACK);
    assert_eq!(back.publish(&channel, text_message("message", "next")).await.action, Action::ACK);
    assert_eq!(texts(&watcher.next_of(Action::MESSAGE).await), ["once"]);
    assert_eq!(texts(&watcher.next_of(Action::MESSAGE).await), ["next"]);

    // An unknown key gives a new connection and says why.
    let fresh = Conn::open(&hub, &token, Format::Json, "&resume=nope!nope!nope").await;
    assert_ne!(fresh.id(), back.id());
    assert_eq!(fresh.connected.error.map(|e| e.code), Some(errors::INVALID_CONNECTION_KEY));
    // A serial from another epoch (say, before a hub restart) attaches without RESUMED and says so.
    let mut stale = Conn::open(&hub, &token, Format::Json, "").await;
    let attached = stale.attach(&channel, &[], Some("deadbeef:1")).await;
    assert!(!attached.has_flag(flags::RESUMED));
    assert_eq!(attached.error.map(|e| e.code), Some(errors::MESSAGES_EXPIRED));
}

#[tokio::test]
async fn expired_tokens_disconnect_with_40142_and_in_band_auth_renews() {
    let Setup { hub, alice, .. } = setup_with(|c| c.realtime.token_ttl = Duration::from_millis(1_500)).await;
    let short = token(&hub, &alice).await;
    let mut conn = Conn::open(&hub, &short, Format::Json, "").await;
    let renewed = token(&hub, &alice).await;
    let mut auth = ProtocolMessage::new(Action::AUTH);
    auth.auth = Some(bridge_core::ably::frame::AuthDetails { access_token: renewed });
    conn.send(&auth).await;
    assert_eq!(conn.next_of(Action::CONNECTED).await.connection_id, Some(conn.id()), "AUTH keeps the connection");

    let mut lapsing = Conn::open(&hub, &short, Format::Json, "").await;
    let disconnected = tokio::time::timeout(Duration::from_secs(4), lapsing.next_of(Action::DISCONNECTED))
        .await
        .expect("DISCONNECTED when the token lapses");
    assert_eq!(disconnected.error.map(|e| e.code), Some(errors::TOKEN_EXPIRED));
    tokio::time::sleep(Duration::from_millis(1_600)).await;
    let late = Conn::open(&hub, &short, Format::Json, "").await.connected;
    assert_eq!((late.action, late.error.map(|e| e.code)), (Action::ERROR, Some(errors::TOKEN_EXPIRED)));
}

#[tokio::test]
async fn connection_and_channel_caps_and_shutdown() {
    let Setup { hub, token, channel, .. } = setup_with(|c| {
        c.realtime.max_connections_per_client = 2;
        c.realtime.max_channels_per_connection = 1;
    })
    .await;
    let mut first = Conn::open(&hub, &token, Format::Json, "").await;
    let _second = Conn::open(&hub, &token, Format::Json, "").await;
    let third = Conn::open(&hub, &token, Format::Json, "").await.connected;
    assert_eq!((third.action, third.error.map(|e| e.code)), (Action::ERROR, Some(errors::CONNECTION_LIMIT)));
    first.attach(&channel, &[], None).await;
    let over = first.attach("jaibber:presence", &[], None).await;
    assert_eq!((over.action, over.error.map(|e| e.code)), (Action::ERROR, Some(errors::CHANNEL_LIMIT)));

    hub.shutdown.cancel();
    let bye = first.next_of(Action::DISCONNECTED).await;
    assert_eq!(bye.error.map(|e| e.code), Some(errors::SERVER_SHUTDOWN));
}

#[tokio::test]
async fn a_consumer_that_stops_reading_is_dropped_and_the_others_keep_their_feed() {
    let Setup { hub, token, channel, .. } = setup_with(|c| {
        c.realtime.outbound_queue = 8;
        c.realtime.max_connections_per_client = 3;
    })
    .await;
    let mut stalled = Conn::open(&hub, &token, Format::Json, "").await;
    stalled.attach(&channel, &[], None).await;
    let mut reader = Conn::open(&hub, &token, Format::Json, "").await;
    reader.attach(&channel, &[], None).await;
    let mut publisher = Conn::open(&hub, &token, Format::Json, "&echo=false").await;
    publisher.attach(&channel, &[], None).await;

    // 300 × 60 KiB = 18 MiB: far more than the socket buffers and the stalled connection's
    // queue of 8 hold. The reader keeps up; the stalled connection never reads.
    let published = 300;
    let body = "x".repeat(60 * 1024);
    let mut read = 0;
    for n in 0..published {
        let ack = publisher.publish(&channel, text_message("message", &format!("{n}:{body}"))).await;
        assert_eq!(ack.action, Action::ACK, "publish {n} acknowledged");
        while read < n + 1 {
            let frame = reader.next().await;
            read += frame.messages.as_ref().map_or(0, Vec::len);
        }
    }
    assert_eq!(read, published, "a connection that reads gets every message");

    // Dropped while it still stalls: its connection slot is free again (3 per client).
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    loop {
        let fourth = Conn::open(&hub, &token, Format::Json, "").await.connected;
        if fourth.action == Action::CONNECTED {
            break;
        }
        assert_eq!(fourth.error.map(|e| e.code), Some(errors::CONNECTION_LIMIT));
        assert!(tokio::time::Instant::now() < deadline, "the stalled connection still holds its slot");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }

    // The stalled connection was dropped: reading it now yields what was buffered, then
    // the end, well short of everything that was published.
    let mut delivered = 0;
    let ended = tokio::time::timeout(Duration::from_secs(20), async {
        loop {
            match stalled.socket.next().await {
                Some(Ok(Frame::Text(text))) => {
                    let frame = codec::decode(text.as_bytes(), Format::Json).expect("frame");
                    delivered += frame.messages.as_ref().map_or(0, Vec::len);
                }
                Some(Ok(_)) => {}
                Some(Err(_)) | None => return,
            }
        }
    })
    .await;
    assert!(ended.is_ok(), "the stalled connection was closed by the hub");
    assert!(delivered < published, "the stalled connection got {delivered} of {published}: it was cut off");
}
