//! bridge-core's realtime client against the hub: both formats, presence, in-band token
//! renewal, reply streaming, and a hub restarted in the middle of a streamed answer.

use std::time::Duration;

use bridge_core::ably::{Format, PresenceAction, errors};
use bridge_core::client::{Client, Credential};
use bridge_core::model::*;
use bridge_core::realtime::{
    ChannelState, ConnectionState, Realtime, RealtimeError, RealtimeOptions, Subscription, stream,
};
use bridge_core::routing::reply::{ReplyLoopFields, ReplyStream};
use serde_json::json;

use crate::support::TestHub;

struct Room {
    hub: TestHub,
    rest: Client,
    user_id: String,
    project: Project,
    channel: String,
}

async fn room(tune: impl FnOnce(&mut jaibber_hub::HubConfig)) -> Room {
    let hub = TestHub::start_with(tune).await;
    let (jwt, user_id) = hub.user_jwt("alice").await;
    let rest = hub.client(Credential::Jwt(jwt.into()));
    let org = hub.org(&rest, "A", PlanId::Team).await;
    let project = hub.project(&rest, &org, "P").await;
    let channel = project.id.channel_name();
    Room { hub, rest, user_id, project, channel }
}

fn options(format: Format) -> RealtimeOptions {
    RealtimeOptions {
        format,
        disconnected_retry: Duration::from_millis(200),
        request_timeout: Duration::from_secs(15),
        ..RealtimeOptions::default()
    }
}

async fn next(subscription: &mut Subscription) -> ChatPayload {
    let message = tokio::time::timeout(Duration::from_secs(10), subscription.next())
        .await
        .expect("a message within 10 s")
        .expect("subscription open");
    message.decode_into().expect("chat payload")
}

async fn publish_and_receive(format: Format) {
    let Room { rest, project, channel, user_id, .. } = room(|_| {}).await;
    let listener = Realtime::connect(rest.clone(), options(format));
    let talker = Realtime::connect(rest.clone(), options(format));
    listener.connected().await.expect("connected");
    let heard = listener.channel(&channel);
    let mut messages = heard.subscribe(Some("message"));
    heard.attach().await.expect("attach");
    assert_eq!(heard.state(), ChannelState::Attached);

    let stored = rest.post_message(&project.id, &CreateMessage::text("@Coder hi")).await.expect("post");
    let event = next(&mut messages).await;
    assert_eq!(
        (event.message_id, event.text.as_str(), event.from.as_str()),
        (stored.id, "@Coder hi", user_id.as_str())
    );

    let said = talker.channel(&channel);
    said.attach().await.expect("attach");
    let chunk = json!({"from": user_id, "fromUsername": "Coder", "projectId": project.id, "text": "live", "messageId": "r-9", "type": "chunk"});
    said.publish_json("message", &chunk).await.expect("ACK");
    let live = next(&mut messages).await;
    assert_eq!((live.kind, live.text.as_str()), (ChatType::Chunk, "live"));

    let refused = talker.channel("jaibber:project:someone-else").attach().await;
    match refused {
        Err(RealtimeError::Refused(error)) => assert_eq!(error.code, errors::CAPABILITY_DENIED),
        other => panic!("expected a refusal, got {other:?}"),
    }
    let too_big = said.publish_json("message", &"x".repeat(70 * 1024)).await;
    assert!(
        matches!(too_big, Err(RealtimeError::Refused(ref e)) if e.code == errors::MESSAGE_TOO_LARGE),
        "{too_big:?}"
    );
    assert_eq!(talker.state(), ConnectionState::Connected, "refusals leave the connection up");
    talker.close().await;
    assert_eq!(talker.state(), ConnectionState::Closed);
}

#[tokio::test]
async fn json_client_publishes_and_receives() {
    publish_and_receive(Format::Json).await;
}

#[tokio::test]
async fn msgpack_client_publishes_and_receives() {
    publish_and_receive(Format::Msgpack).await;
}

#[tokio::test]
async fn presence_enter_get_update_leave() {
    let Room { rest, channel, .. } = room(|_| {}).await;
    let agent = Realtime::connect(rest.clone(), options(Format::Msgpack));
    let watcher = Realtime::connect(rest.clone(), options(Format::Json));
    let agent_channel = agent.channel(&channel);
    agent_channel.attach().await.expect("attach");
    agent_channel.presence().enter(&json!({"agentName": "Coder", "isAgent": true})).await.expect("enter");

    let watched = watcher.channel(&channel);
    let mut events = watched.presence().subscribe();
    watched.attach().await.expect("attach");
    let members = watched.presence().get().await.expect("members");
    assert_eq!(members.len(), 1, "{members:?}");
    assert_eq!(members[0].decoded().expect("data")["agentName"], "Coder");

    agent_channel.presence().update(&json!({"agentName": "Coder", "busy": true})).await.expect("update");
    agent_channel.presence().leave().await.expect("leave");
    let mut actions = Vec::new();
    while actions.len() < 3 {
        let event = tokio::time::timeout(Duration::from_secs(5), events.recv()).await.expect("event").expect("open");
        actions.push(event.action);
    }
    assert_eq!(actions, [PresenceAction::PRESENT, PresenceAction::UPDATE, PresenceAction::LEAVE]);
    assert!(watched.presence().get().await.expect("members").is_empty());
}

#[tokio::test]
async fn tokens_are_renewed_in_band_without_dropping_the_connection() {
    let Room { rest, project, channel, .. } = room(|c| c.realtime.token_ttl = Duration::from_secs(3)).await;
    let realtime = Realtime::connect(rest.clone(), options(Format::Msgpack));
    let mut changes = realtime.changes();
    realtime.connected().await.expect("connected");
    let subscribed = realtime.channel(&channel);
    let mut messages = subscribed.subscribe(Some("message"));
    subscribed.attach().await.expect("attach");
    // Three token lifetimes pass; the token is renewed by AUTH before each expiry.
    tokio::time::sleep(Duration::from_secs(7)).await;
    rest.post_message(&project.id, &CreateMessage::text("after renewals")).await.expect("post");
    assert_eq!(next(&mut messages).await.text, "after renewals");
    let mut seen = Vec::new();
    while let Ok(change) = changes.try_recv() {
        seen.push(change.current);
    }
    assert!(!seen.contains(&ConnectionState::Disconnected), "the connection never dropped: {seen:?}");
}

fn reply_for(user_id: &str, project: &Project) -> ReplyStream {
    ReplyStream {
        from: UserId::new(user_id),
        agent_name: "Coder".into(),
        project_id: project.id.clone(),
        response_id: MessageId::random(),
        parent_message_id: None,
        loop_fields: ReplyLoopFields::after(0, &[], "Coder"),
    }
}

fn slow_tokens(words: usize, every: Duration) -> impl futures_util::Stream<Item = Result<String, String>> {
    futures_util::stream::unfold(0, move |n| async move {
        if n == words {
            return None;
        }
        tokio::time::sleep(every).await;
        Some((Ok(format!("w{n} ")), n + 1))
    })
}

#[tokio::test]
async fn a_streamed_reply_is_typing_chunks_response_then_one_stored_copy() {
    let Room { rest, project, channel, user_id, .. } = room(|_| {}).await;
    let agent = Realtime::connect(rest.clone(), options(Format::Msgpack));
    let watcher = Realtime::connect(rest.clone(), options(Format::Json));
    let watched = watcher.channel(&channel);
    let mut messages = watched.subscribe(Some("message"));
    watched.attach().await.expect("attach");
    let live = agent.channel(&channel);
    live.attach().await.expect("attach");

    let reply = reply_for(&user_id, &project);
    let outcome =
        stream::stream_reply(&live, &rest, &reply, slow_tokens(12, Duration::from_millis(50)), stream::CHUNK_EVERY)
            .await
            .expect("streamed");
    let expected: String = (0..12).map(|n| format!("w{n} ")).collect();
    assert_eq!((outcome.text.as_str(), outcome.failed, outcome.publish_failures), (expected.as_str(), false, 0));
    assert!(outcome.chunks >= 2, "600 ms of tokens make at least two 200 ms batches: {}", outcome.chunks);

    let typing = next(&mut messages).await;
    assert_eq!((typing.kind, typing.response_id.as_ref()), (ChatType::Typing, Some(&reply.response_id)));
    let mut joined = String::new();
    loop {
        let payload = next(&mut messages).await;
        assert_eq!(payload.message_id, reply.response_id);
        match payload.kind {
            ChatType::Chunk => joined.push_str(&payload.text),
            ChatType::Response => {
                assert_eq!((payload.text.as_str(), payload.response_depth), (expected.as_str(), Some(1)));
                break;
            }
            other => panic!("unexpected {other:?}"),
        }
    }
    assert_eq!(joined, expected, "chunks carry every token once, in order");
    let history = rest.list_messages(&project.id, &MessageQuery::latest()).await.expect("history");
    let copies: Vec<_> = history.data.iter().filter(|m| m.id == reply.response_id).collect();
    assert_eq!(copies.len(), 1, "stored once under the answer's id");
    assert_eq!(copies[0].text, expected);
    let not_republished = tokio::time::timeout(Duration::from_millis(400), messages.next()).await;
    assert!(not_republished.is_err(), "the hub did not publish the persisted answer again: {not_republished:?}");

    let failing = futures_util::stream::iter(vec![Ok("partial ".to_owned()), Err("model crashed".to_owned())]);
    let failed = stream::stream_reply(&live, &rest, &reply_for(&user_id, &project), failing, stream::CHUNK_EVERY)
        .await
        .expect("persisted");
    assert!(failed.failed && failed.text.contains("model crashed"));
    assert_eq!(failed.message.kind, MessageType::Error);
}

#[tokio::test]
async fn the_hub_restarted_mid_stream_loses_no_part_of_the_answer() {
    let Room { hub, rest, project, channel, user_id } = room(|_| {}).await;
    let agent = Realtime::connect(rest.clone(), options(Format::Msgpack));
    let live = agent.channel(&channel);
    live.attach().await.expect("attach");
    let mut changes = live.changes();
    let reply = reply_for(&user_id, &project);
    let streaming = {
        let (live, rest, reply) = (live.clone(), rest.clone(), reply.clone());
        tokio::spawn(async move {
            stream::stream_reply(&live, &rest, &reply, slow_tokens(40, Duration::from_millis(50)), stream::CHUNK_EVERY)
                .await
        })
    };
    tokio::time::sleep(Duration::from_millis(700)).await;
    let hub = hub.restart(Duration::from_millis(500)).await;
    let outcome = tokio::time::timeout(Duration::from_secs(30), streaming)
        .await
        .expect("finished")
        .expect("task")
        .expect("stored");
    let expected: String = (0..40).map(|n| format!("w{n} ")).collect();
    assert_eq!(outcome.text, expected);
    let stored = rest.list_messages(&project.id, &MessageQuery::latest()).await.expect("history");
    assert!(stored.data.iter().any(|m| m.id == reply.response_id && m.text == expected), "the full answer is stored");

    // The channel came back by itself; the restart broke continuity and says so.
    let mut reattached = None;
    while let Ok(change) = changes.try_recv() {
        if change.current == ChannelState::Attached {
            reattached = Some(change);
        }
    }
    let change = reattached.expect("re-attached after the restart");
    assert!(!change.resumed, "a restarted hub cannot resume: {change:?}");
    assert_eq!(agent.state(), ConnectionState::Connected);
    drop(hub);
}

#[tokio::test]
async fn a_dropped_connection_resumes_and_resends_unacknowledged_publishes_once() {
    // The hub cuts a connection that sends more than 20 frames a second (42924); the client
    // resumes with its connection key and resends what was not yet ACKed, with the same
    // serials, so every message arrives exactly once.
    let Room { rest, channel, .. } = room(|c| c.realtime.max_inbound_rate = 20).await;
    let watcher = Realtime::connect(rest.clone(), options(Format::Json));
    let watched = watcher.channel(&channel);
    let mut messages = watched.subscribe(Some("burst"));
    watched.attach().await.expect("attach");
    let sender = Realtime::connect(rest.clone(), options(Format::Msgpack));
    let mut changes = sender.changes();
    let live = sender.channel(&channel);
    live.attach().await.expect("attach");
    let publishes = (0..50).map(|n| {
        let live = live.clone();
        async move { live.publish_json("burst", &json!({"n": n})).await }
    });
    for result in futures_util::future::join_all(publishes).await {
        result.expect("every publish is ACKed in the end");
    }
    let mut seen = Vec::new();
    while seen.len() < 50 {
        let message =
            tokio::time::timeout(Duration::from_secs(10), messages.next()).await.expect("message").expect("open");
        seen.push(message.decoded().expect("json")["n"].as_u64().expect("n"));
    }
    let mut sorted = seen.clone();
    sorted.sort_unstable();
    sorted.dedup();
    assert_eq!(sorted.len(), 50, "no duplicates, none lost: {seen:?}");
    let quiet = tokio::time::timeout(Duration::from_millis(300), messages.next()).await;
    assert!(quiet.is_err(), "nothing delivered twice");
    let mut states = Vec::new();
    while let Ok(change) = changes.try_recv() {
        states.push((change.current, change.resumed, change.reason.map(|r| r.code)));
    }
    assert!(
        states.iter().any(|s| s.0 == ConnectionState::Disconnected && s.2 == Some(errors::INBOUND_RATE)),
        "{states:?}"
    );
    assert!(states.iter().any(|s| s.0 == ConnectionState::Connected && s.1), "resumed: {states:?}");
}
