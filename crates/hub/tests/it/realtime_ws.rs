//! The realtime WebSocket endpoint (JSON format) with a real WebSocket client.

use std::time::Duration;

use bridge_core::client::Client;
use bridge_core::model::*;
use futures_util::{SinkExt as _, StreamExt as _};
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::Message as Frame;

use crate::support::{TestHub, raw};

type Socket = tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

async fn token(hub: &TestHub, client: &Client) -> String {
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

async fn connect(hub: &TestHub, token: &str, extra: &str) -> (Socket, Value) {
    let url = format!(
        "{}/?access_token={token}&format=json&v=6&heartbeats=false{extra}",
        hub.base.replace("http://", "ws://")
    );
    let (mut socket, _) = tokio_tungstenite::connect_async(url).await.expect("websocket");
    let first = next_frame(&mut socket).await;
    (socket, first)
}

async fn next_frame(socket: &mut Socket) -> Value {
    loop {
        let frame = tokio::time::timeout(Duration::from_secs(5), socket.next())
            .await
            .expect("a frame within 5 s")
            .expect("open")
            .expect("frame");
        if let Frame::Text(text) = frame {
            return serde_json::from_str(&text).expect("JSON protocol message");
        }
    }
}

async fn send(socket: &mut Socket, value: Value) {
    socket.send(Frame::Text(value.to_string().into())).await.expect("send");
}

#[tokio::test]
async fn connect_attach_publish_and_receive_rest_events() {
    let hub = TestHub::start().await;
    let (alice, alice_id) = hub.user("alice").await;
    let (bob, _) = hub.user("bobby").await;
    let org = hub.org(&alice, "A", PlanId::Team).await;
    let project = hub.project(&alice, &org, "P").await;
    let foreign = hub.project(&bob, &hub.org(&bob, "B", PlanId::Team).await, "Q").await;
    let channel = project.id.channel_name();

    let token = token(&hub, &alice).await;
    let (mut sub, connected) = connect(&hub, &token, "").await;
    assert_eq!(connected["action"], 4, "{connected}");
    assert_eq!(connected["connectionDetails"]["clientId"], alice_id.as_str());
    assert!(connected["connectionDetails"]["connectionKey"].is_string());
    assert_eq!(connected["connectionDetails"]["maxMessageSize"], 65536);

    send(&mut sub, json!({"action": 10, "channel": channel})).await;
    let attached = next_frame(&mut sub).await;
    assert_eq!((attached["action"].as_u64(), attached["channel"].as_str()), (Some(11), Some(channel.as_str())));
    send(&mut sub, json!({"action": 10, "channel": foreign.id.channel_name()})).await;
    let refused = next_frame(&mut sub).await;
    assert_eq!((refused["action"].as_u64(), refused["error"]["code"].as_u64()), (Some(9), Some(40160)), "{refused}");

    // A message stored over REST is published as `message` with a chat payload.
    let stored = alice.post_message(&project.id, &CreateMessage::text("@Coder over REST")).await.expect("post");
    let event = next_frame(&mut sub).await;
    assert_eq!((event["action"].as_u64(), event["messages"][0]["name"].as_str()), (Some(15), Some("message")));
    let chat: ChatPayload = serde_json::from_value(event["messages"][0]["data"].clone()).expect("chat payload");
    assert_eq!((chat.message_id, chat.text.as_str(), chat.kind), (stored.id, "@Coder over REST", ChatType::Message));
    // …but not one stored with a client-chosen id (that client already published it).
    alice
        .post_message(
            &project.id,
            &CreateMessage::text("streamed").with_id(MessageId::new(uuid::Uuid::new_v4().to_string())),
        )
        .await
        .expect("upsert");
    let task = alice.create_task(&project.id, &CreateTask::new("T").assign_to("Coder")).await.expect("task");
    let task_event = next_frame(&mut sub).await;
    assert_eq!(task_event["messages"][0]["name"], "task", "the upsert was not re-published: {task_event}");
    let payload: TaskEvent = serde_json::from_value(task_event["messages"][0]["data"].clone()).expect("task event");
    assert_eq!((payload.kind, payload.task.id), (TaskEventType::Created, task.id));

    // A second connection publishes; the subscriber receives it, the publisher (echo=false) does not.
    let (mut publisher, _) = connect(&hub, &token, "&echo=false").await;
    send(&mut publisher, json!({"action": 10, "channel": channel})).await;
    assert_eq!(next_frame(&mut publisher).await["action"], 11);
    let chunk = json!({"from": alice_id, "fromUsername": "Coder", "projectId": project.id, "text": "par", "messageId": "r-1", "type": "chunk"});
    send(
        &mut publisher,
        json!({"action": 15, "channel": channel, "msgSerial": 0, "messages": [{"name": "message", "data": chunk}]}),
    )
    .await;
    let ack = next_frame(&mut publisher).await;
    assert_eq!(
        (ack["action"].as_u64(), ack["msgSerial"].as_u64(), ack["count"].as_u64()),
        (Some(1), Some(0), Some(1)),
        "{ack}"
    );
    let received = next_frame(&mut sub).await;
    assert_eq!(received["messages"][0]["data"]["type"], "chunk");
    assert_eq!(received["messages"][0]["clientId"], alice_id.as_str());
    assert!(received["messages"][0]["connectionId"].is_string());

    let big = "x".repeat(70 * 1024);
    send(
        &mut publisher,
        json!({"action": 15, "channel": channel, "msgSerial": 1, "messages": [{"name": "message", "data": big}]}),
    )
    .await;
    let nack = next_frame(&mut publisher).await;
    assert_eq!(
        (nack["action"].as_u64(), nack["error"]["code"].as_u64()),
        (Some(2), Some(40009)),
        "oversize is refused, the connection survives"
    );
    send(&mut publisher, json!({"action": 0, "id": "hb"})).await;
    assert_eq!(next_frame(&mut publisher).await["action"], 0, "still connected after the NACK");
    tokio::time::sleep(Duration::from_millis(200)).await;
    send(&mut publisher, json!({"action": 7})).await;
    assert_eq!(next_frame(&mut publisher).await["action"], 8, "CLOSE answered with CLOSED");

    send(&mut sub, json!({"action": 12, "channel": channel})).await;
    assert_eq!(next_frame(&mut sub).await["action"], 13);
}

#[tokio::test]
async fn bad_tokens_are_refused_with_ably_codes() {
    let hub = TestHub::start().await;
    let (_, refused) = connect(&hub, "not-a-token", "").await;
    assert_eq!((refused["action"].as_u64(), refused["error"]["code"].as_u64()), (Some(9), Some(40143)), "{refused}");
    let (alice, _) = hub.user("alice").await;
    let token = token(&hub, &alice).await;
    let url = format!("{}/?access_token={token}&format=msgpack", hub.base.replace("http://", "ws://"));
    let (mut socket, _) = tokio_tungstenite::connect_async(url).await.expect("websocket");
    let frame = next_frame(&mut socket).await;
    assert_eq!(frame["error"]["code"], 40000, "msgpack is refused clearly for now: {frame}");
}
