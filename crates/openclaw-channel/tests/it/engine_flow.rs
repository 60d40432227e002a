//! The engine against a real hub, with the test playing OpenClaw's part over JSON-RPC:
//! routing, live streaming, tasks, outbound sends, status and presence, and a restart
//! that answers what was missed and nothing twice.

use std::time::Duration;

use bridge_core::model::{ChatType, CreateTask};
use bridge_core::realtime::{Realtime, RealtimeOptions};
use serde_json::{Value, json};

use crate::support::{Hub, Peer, live_reply_kinds, wait_for_completed};

const TURN: Duration = Duration::from_secs(20);

async fn started(peer: &mut Peer, hub: &Hub) -> Value {
    let started = peer.ok("account.start", json!({"accountId": "default", "account": hub.account("Claw")})).await;
    assert_eq!(started["agentName"], "Claw");
    assert_eq!(started["username"], hub.seed.username);
    // Connected and present: only then are new messages seen live rather than as history.
    let deadline = tokio::time::Instant::now() + TURN;
    loop {
        let status = peer.ok("account.status", json!({"accountId": "default"})).await;
        if status["connected"] == true
            && status["presence"].as_array().is_some_and(|p| p.iter().any(|e| e["online"] == true))
        {
            assert_eq!(status["mode"], "realtime");
            break;
        }
        assert!(tokio::time::Instant::now() < deadline, "account never connected and present: {status}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    started
}

#[tokio::test]
async fn messages_tasks_and_sends_flow_through_the_engine() {
    let hub = Hub::start().await;
    let state = tempfile::tempdir().expect("temp dir");
    let (mut peer, _engine) = Peer::in_memory(state.path());
    started(&mut peer, &hub).await;

    // A human watches the channel live.
    let watcher = Realtime::connect(hub.user.clone(), RealtimeOptions::default());
    let channel = watcher.channel(&hub.project().channel_name());
    let mut live = channel.subscribe(Some("message"));
    channel.attach().await.expect("attach");

    let question = hub.say("@Claw what is the plan?").await;
    let turn = peer.inbound(TURN).await;
    assert_eq!(turn["kind"], "message");
    assert_eq!(turn["text"], "@Claw what is the plan?");
    assert_eq!(turn["sourceId"], question.id.as_str());
    assert_eq!(turn["senderName"], hub.seed.username);
    assert_eq!(turn["conversationId"], hub.seed.project_id, "one session per project by default");
    peer.answer(&turn, &["First ", "we ship."]).await;

    let replies = hub.wait_for_reply(&question, "Claw", TURN).await;
    assert_eq!(replies.len(), 1);
    assert_eq!(replies[0].text, "First we ship.");
    assert_eq!(replies[0].responding_chain.as_deref(), Some(&["claw".to_owned()][..]));
    let kinds = live_reply_kinds(&mut live, "Claw", TURN).await;
    assert_eq!(kinds.first(), Some(&ChatType::Typing), "typing first: {kinds:?}");
    assert!(kinds.contains(&ChatType::Chunk), "the answer streamed as chunks: {kinds:?}");

    // Not for Claw: never handed to OpenClaw. The next turn is the next message for Claw.
    let other = hub.say("@Echo are you there?").await;
    let second = hub.say("@claw and now?").await;
    let turn = peer.inbound(TURN).await;
    assert_eq!(turn["sourceId"], second.id.as_str(), "the @Echo message was skipped");
    peer.answer(&turn, &["Now."]).await;
    hub.wait_for_reply(&second, "Claw", TURN).await;
    assert!(hub.replies_to(&other, "Claw").await.is_empty());

    // A turn OpenClaw fails is tried again, then reported in the channel as an error.
    let broken = hub.say("@Claw break something").await;
    for attempt in 1..=3 {
        let turn = peer.inbound(TURN).await;
        assert_eq!(turn["sourceId"], broken.id.as_str(), "attempt {attempt} is the same message");
        peer.ok("stream.end", json!({"turnId": turn["turnId"], "error": "model exploded"})).await;
    }
    let reported = hub.wait_for_reply(&broken, "Claw", TURN).await;
    assert_eq!(reported.len(), 1);
    assert_eq!(reported[0].kind, bridge_core::model::MessageType::Error);
    assert!(reported[0].text.contains("model exploded"), "{}", reported[0].text);

    // A task assigned to Claw runs through OpenClaw and ends completed.
    let task = hub
        .user
        .create_task(&hub.project(), &CreateTask::new("Write release notes").description("for 0.1").assign_to("claw"))
        .await
        .expect("task");
    let turn = peer.inbound(TURN).await;
    assert_eq!(turn["kind"], "task");
    assert_eq!(turn["sourceId"], task.id.as_str());
    assert!(turn["text"].as_str().is_some_and(|t| t.starts_with("Task: Write release notes")), "{turn}");
    peer.answer(&turn, &["Notes written."]).await;
    let done = wait_for_completed(&hub, &task.id, TURN, String::new).await;
    assert_eq!(done.result.as_deref(), Some("Notes written."));

    // Outbound by project name, and by id with the channel prefix.
    let sent = peer
        .ok("message.send", json!({"accountId": "default", "to": "demo project", "text": "Deploy finished."}))
        .await;
    assert_eq!(sent["projectId"], hub.seed.project_id);
    let stored = hub.messages().await;
    let outbound = stored.iter().find(|m| m.id.as_str() == sent["messageId"]).expect("sent message stored");
    assert_eq!((outbound.sender_name.as_str(), outbound.text.as_str()), ("Claw", "Deploy finished."));
    let resolved = peer
        .ok("target.resolve", json!({"accountId": "default", "to": format!("jaibber:{}", hub.seed.project_id)}))
        .await;
    assert_eq!(resolved["name"], "Demo Project");
    let (code, message) = peer.err("message.send", json!({"accountId": "default", "to": "Nowhere", "text": "x"})).await;
    assert_eq!(code, -32003);
    assert!(message.contains("Demo Project"), "{message}");
    // The CLI path: no running account, the settings come with the call.
    let cli = peer
        .ok("message.send", json!({"account": hub.account("Claw"), "to": hub.seed.project_id, "text": "From the CLI."}))
        .await;
    assert!(cli["messageId"].is_string());

    let status = peer.ok("account.status", json!({"accountId": "default"})).await;
    assert_eq!(status["relayed"], 3, "two answers and one task result: {status}");
    assert!(status["lastInboundAt"].as_u64().is_some() && status["lastOutboundAt"].as_u64().is_some(), "{status}");
    assert_eq!(peer.ok("account.stop", json!({"accountId": "default"})).await["stopped"], true);
    assert_eq!(peer.ok("account.stop", json!({"accountId": "default"})).await["stopped"], false);
}

#[tokio::test]
async fn a_restart_answers_what_was_missed_and_nothing_twice() {
    let hub = Hub::start().await;
    let state = tempfile::tempdir().expect("temp dir");
    let (mut peer, engine) = Peer::in_memory(state.path());
    started(&mut peer, &hub).await;
    let first = hub.say("@Claw first").await;
    let turn = peer.inbound(TURN).await;
    peer.answer(&turn, &["One."]).await;
    hub.wait_for_reply(&first, "Claw", TURN).await;

    // A turn OpenClaw never finishes (the gateway dies mid-answer)…
    let unfinished = hub.say("@Claw unfinished").await;
    let turn = peer.inbound(TURN).await;
    assert_eq!(turn["sourceId"], unfinished.id.as_str());
    peer.close().await;
    tokio::time::timeout(Duration::from_secs(20), engine)
        .await
        .expect("engine stops on EOF")
        .expect("join")
        .expect("ok");

    // …and a message sent while nothing was running.
    let missed = hub.say("@Claw while you were away").await;

    let (mut peer, _engine) = Peer::in_memory(state.path());
    started(&mut peer, &hub).await;
    let mut seen = Vec::new();
    for _ in 0..2 {
        let turn = peer.inbound(TURN).await;
        seen.push(turn["sourceId"].as_str().unwrap_or_default().to_owned());
        peer.answer(&turn, &["Caught up."]).await;
    }
    seen.sort();
    let mut expected = vec![unfinished.id.to_string(), missed.id.to_string()];
    expected.sort();
    assert_eq!(seen, expected, "the unfinished and the missed message, and not the answered one");
    let last = hub.say("@Claw last").await;
    let turn = peer.inbound(TURN).await;
    assert_eq!(turn["sourceId"], last.id.as_str(), "nothing else was handed over again");
    peer.answer(&turn, &["Done."]).await;
    hub.wait_for_reply(&last, "Claw", TURN).await;
    for message in [&first, &unfinished, &missed, &last] {
        assert_eq!(hub.replies_to(message, "Claw").await.len(), 1, "exactly one answer to {:?}", message.text);
    }
}

#[tokio::test]
async fn a_repeated_start_is_a_no_op_and_new_settings_restart_the_account() {
    let hub = Hub::start().await;
    let state = tempfile::tempdir().expect("temp dir");
    let (mut peer, _engine) = Peer::in_memory(state.path());
    let first = started(&mut peer, &hub).await;
    assert_eq!(first["alreadyRunning"], false);
    let again = peer.ok("account.start", json!({"accountId": "default", "account": hub.account("Claw")})).await;
    assert_eq!(again["alreadyRunning"], true, "same settings: nothing restarts");

    // Only the secret differs (and Debug output redacts secrets): still a restart.
    let org = bridge_core::model::OrgId::new(hub.seed.org_id.clone());
    let key = hub
        .user
        .create_api_key(
            &org,
            &bridge_core::model::CreateApiKey::new("second", bridge_core::model::Scope::KNOWN.iter().cloned()),
        )
        .await
        .expect("second key");
    let mut rotated = hub.account("Claw");
    rotated["apiKey"] = json!(key.key.expose());
    let restarted = peer.ok("account.start", json!({"accountId": "default", "account": rotated})).await;
    assert_eq!(restarted["alreadyRunning"], false, "a rotated key restarts the account");
    let question = hub.say("@Claw still there?").await;
    let turn = peer.inbound(TURN).await;
    assert_eq!(turn["sourceId"], question.id.as_str());
    peer.answer(&turn, &["Yes."]).await;
    hub.wait_for_reply(&question, "Claw", TURN).await;
}

#[tokio::test]
async fn without_realtime_the_engine_polls_and_posts_with_the_loop_fields() {
    let hub = Hub::start().await;
    let state = tempfile::tempdir().expect("temp dir");
    let (mut peer, _engine) = Peer::in_memory(state.path());
    let mut account = hub.account("Claw");
    account["realtime"] = json!(false);
    account["pollIntervalMs"] = json!(200);
    account["projects"] = json!(["Demo Project"]);
    let started = peer.ok("account.start", json!({"accountId": "default", "account": account})).await;
    assert_eq!(started["projectIds"], json!([hub.seed.project_id]), "the project resolved by name");
    let status = peer.ok("account.status", json!({"accountId": "default"})).await;
    assert_eq!((status["mode"].clone(), status["connectionState"].clone()), (json!("poll"), json!("polling")));
    // The poller starts from "now": let it take its cursor before asking.
    tokio::time::sleep(Duration::from_millis(600)).await;

    let question = hub.say("@Claw polled?").await;
    let turn = peer.inbound(TURN).await;
    assert_eq!(turn["sourceId"], question.id.as_str());
    peer.answer(&turn, &["Polled and answered."]).await;
    let reply = hub.wait_for_reply(&question, "Claw", TURN).await.remove(0);
    assert_eq!(reply.text, "Polled and answered.");
    assert_eq!(reply.response_depth, Some(1));
    assert_eq!(reply.responding_chain.as_deref(), Some(&["claw".to_owned()][..]));
}
