//! Realtime mode: the bridge listens on the project channel, shows its agent in presence,
//! streams the agent's SSE tokens live as chunks, catches up from REST after a drop,
//! and stops when deregistered.

use std::sync::atomic::Ordering;
use std::time::Duration;

use bridge_core::client::Credential;
use bridge_core::model::{ChatPayload, ChatType, CreateTask, MessageId, TaskStatus};
use bridge_core::realtime::{Realtime, RealtimeOptions};
use jaibber_bridge::config::Mode;

use crate::support::{Bridge, Hub, Llm, config, eventually};

fn watcher(hub: &Hub) -> Realtime {
    let rest = bridge_core::client::Client::builder(&hub.base)
        .credential(Credential::from_token(hub.seed.token.clone()))
        .build()
        .expect("client");
    Realtime::connect(rest, RealtimeOptions { format: bridge_core::ably::Format::Json, ..RealtimeOptions::default() })
}

async fn wait_for_agent(channel: &bridge_core::realtime::Channel) -> bridge_core::ably::PresenceMessage {
    eventually(10, "the agent in presence", || async {
        let members = channel.presence().get().await.ok()?;
        members.into_iter().find(|m| m.decoded().ok().is_some_and(|d| d["agentName"] == "Echo"))
    })
    .await
}

#[tokio::test]
async fn realtime_mode_streams_answers_live_and_shows_presence() {
    let hub = Hub::start().await;
    let (llm_url, llm) = Llm::start().await;
    llm.piece_delay_ms.store(60, Ordering::SeqCst);
    let state = tempfile::tempdir().expect("state");
    let watch = watcher(&hub);
    let channel = watch.channel(&hub.project().channel_name());
    let mut live = channel.subscribe(Some("message"));
    channel.attach().await.expect("attach");

    let bridge = Bridge::start(config(&hub, Mode::Realtime, &llm_url, state.path())).await;
    let member = wait_for_agent(&channel).await;
    let data = member.decoded().expect("data");
    assert_eq!((data["isAgent"].as_bool(), data["agentInstructions"].as_str()), (Some(true), Some("Be brief.")));

    let question = hub.say("@Echo please explain streaming in some detail").await;
    let mut kinds = Vec::new();
    let mut chunks = String::new();
    let response = loop {
        let message =
            tokio::time::timeout(Duration::from_secs(10), live.next()).await.expect("live event").expect("open");
        let payload: ChatPayload = message.decode_into().expect("chat payload");
        if payload.message_id == question.id {
            continue; // the question itself, published by the hub
        }
        kinds.push(payload.kind.clone());
        match payload.kind {
            ChatType::Chunk => chunks.push_str(&payload.text),
            ChatType::Response => break payload,
            _ => {}
        }
    };
    let expected = "stub answer: @Echo please explain streaming in some detail";
    assert_eq!(kinds.first(), Some(&ChatType::Typing), "{kinds:?}");
    assert!(kinds.iter().filter(|k| **k == ChatType::Chunk).count() >= 2, "tokens arrive in several chunks: {kinds:?}");
    assert_eq!((chunks.as_str(), response.text.as_str()), (expected, expected));
    assert_eq!((response.response_depth, response.parent_message_id.as_ref()), (Some(1), Some(&question.id)));
    // Persisted once, under the id the chunks carried (the live `response` goes out just
    // before the REST write, so the stored copy may trail it by a moment).
    let replies = eventually(10, "the answer stored", || async {
        let replies = hub.replies_to(&question).await;
        (!replies.is_empty()).then_some(replies)
    })
    .await;
    assert_eq!(replies.len(), 1);
    assert_eq!((replies[0].id.clone(), replies[0].text.as_str()), (response.message_id.clone(), expected));

    // A task assigned over REST arrives as a live `task` event and is completed.
    let task =
        hub.user.create_task(&hub.project(), &CreateTask::new("Summarise").assign_to("Echo")).await.expect("task");
    eventually(10, "the task completed", || async {
        let task = hub.user.get_task(&task.id).await.ok()?;
        (task.status == TaskStatus::Completed).then_some(())
    })
    .await;
    assert_eq!(llm.calls().len(), 2);
    bridge.stop().await;
}

#[tokio::test]
async fn realtime_mode_catches_up_what_was_said_while_it_was_away_and_obeys_deregister() {
    let hub = Hub::start().await;
    let (llm_url, llm) = Llm::start().await;
    let state = tempfile::tempdir().expect("state");
    let watch = watcher(&hub);
    let channel = watch.channel(&hub.project().channel_name());
    channel.attach().await.expect("attach");
    let bridge = Bridge::start(config(&hub, Mode::Realtime, &llm_url, state.path())).await;
    wait_for_agent(&channel).await;
    let first = hub.say("@Echo one").await;
    eventually(10, "the first answer", || async { (!hub.replies_to(&first).await.is_empty()).then_some(()) }).await;
    bridge.stop().await;

    let missed = hub.say("@Echo said while the bridge was stopped").await;
    let bridge = Bridge::start(config(&hub, Mode::Realtime, &llm_url, state.path())).await;
    eventually(10, "the missed message answered", || async {
        (!hub.replies_to(&missed).await.is_empty()).then_some(())
    })
    .await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(hub.replies_to(&first).await.len(), 1, "not answered twice");
    assert_eq!(llm.calls().len(), 2);

    // `deregister` naming the agent stops it; the bridge, with no agent left, exits.
    wait_for_agent(&channel).await;
    let deregister = serde_json::json!({
        "from": hub.seed.user_id, "fromUsername": "demo", "projectId": hub.project(),
        "text": "", "messageId": MessageId::random(), "type": "deregister", "agentName": "echo"
    });
    channel.publish_json("message", &deregister).await.expect("published");
    let finished =
        tokio::time::timeout(Duration::from_secs(10), bridge.task).await.expect("the bridge stops by itself");
    finished.expect("join").expect("clean exit");
    let members = channel.presence().get().await.expect("members");
    assert!(
        members.iter().all(|m| m.decoded().ok().is_none_or(|d| d["agentName"] != "Echo")),
        "left presence: {members:?}"
    );
}
