//! Webhook mode: answers mentions, ignores the rest, refuses forged, replayed and
//! oversize deliveries.

use std::time::Duration;

use bridge_core::model::{MessageType, WebhookSecret};
use bridge_core::signing::jaibber::JaibberSigner;
use jaibber_bridge::config::Mode;
use serde_json::json;

use crate::support::{Bridge, Hub, Llm, config, eventually};

#[tokio::test]
async fn webhook_mode_answers_a_mention_and_ignores_others() {
    let hub = Hub::start().await;
    let (llm_url, llm) = Llm::start().await;
    let state = tempfile::tempdir().expect("state");
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let mut config = config(&hub, Mode::Webhook, &llm_url, state.path());
    config.public_url = Some(format!("http://{}", listener.local_addr().expect("addr")));
    let bridge = Bridge::start_on(config, listener).await;

    let question = hub.say("@Echo what is the build status?").await;
    hub.say("hello everyone").await;
    let other = hub.say("@EchoX are you there?").await;
    let replies = eventually(10, "the answer", || async {
        let replies = hub.replies_to(&question).await;
        (!replies.is_empty()).then_some(replies)
    })
    .await;
    assert_eq!(replies.len(), 1);
    let reply = &replies[0];
    assert_eq!(reply.text, "stub answer: @Echo what is the build status?");
    assert_eq!((reply.sender_name.as_str(), reply.kind.clone()), ("Echo", MessageType::Response));
    assert_eq!(reply.response_depth, Some(1));
    assert_eq!(reply.responding_chain.as_deref(), Some(&["echo".to_owned()][..]));
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert!(hub.replies_to(&other).await.is_empty(), "@EchoX is someone else");
    assert_eq!(llm.calls().len(), 1, "the agent was asked once: {:?}", llm.calls());
    assert!(
        llm.calls()[0].1.starts_with("Respond ONLY to the final user message."),
        "the prompt carries the context format"
    );
    bridge.stop().await;
}

#[tokio::test]
async fn forged_replayed_malformed_and_oversize_webhooks_are_refused() {
    let hub = Hub::start().await;
    let (llm_url, llm) = Llm::start().await;
    let state = tempfile::tempdir().expect("state");
    let mut config = config(&hub, Mode::Webhook, &llm_url, state.path());
    config.webhook_secrets = vec![WebhookSecret::new("whsec_test_secret")];
    config.max_body_bytes = 4096;
    let bridge = Bridge::start(config).await;
    let signer = JaibberSigner::new("whsec_test_secret").expect("secret");
    let url = format!("{}/webhook", bridge.url);
    let http = reqwest::Client::new();
    let send = |body: Vec<u8>, signature: Option<String>| {
        let mut request = http.post(&url).header("content-type", "application/json").body(body);
        if let Some(signature) = signature {
            request = request.header("x-jaibber-signature", signature);
        }
        request.send()
    };

    let message = hub.say("@Echo ping via webhook").await;
    let event = json!({"event": "message.created", "deliveryId": "d_test_1", "timestamp": "2026-11-25T00:00:00.000Z", "orgId": hub.seed.org_id, "projectId": hub.seed.project_id, "data": message});
    let body = serde_json::to_vec(&event).expect("json");

    assert_eq!(send(body.clone(), None).await.expect("send").status(), 401, "missing signature");
    let forged = JaibberSigner::new("whsec_wrong").expect("secret").sign(&body);
    assert_eq!(send(body.clone(), Some(forged)).await.expect("send").status(), 401, "forged signature");
    let mut tampered = body.clone();
    tampered.extend_from_slice(b" ");
    assert_eq!(
        send(tampered, Some(signer.sign(&body))).await.expect("send").status(),
        401,
        "body altered after signing"
    );

    let accepted = send(body.clone(), Some(signer.sign(&body))).await.expect("send");
    assert_eq!(accepted.status(), 202);
    let replay = send(body.clone(), Some(signer.sign(&body))).await.expect("send");
    assert_eq!(replay.status(), 200, "a replayed deliveryId is acknowledged without work");

    let big = vec![b' '; 8192];
    assert_eq!(send(big.clone(), Some(signer.sign(&big))).await.expect("send").status(), 413);
    let malformed = b"{\"event\": ".to_vec();
    assert_eq!(send(malformed.clone(), Some(signer.sign(&malformed))).await.expect("send").status(), 400);
    let unknown =
        serde_json::to_vec(&json!({"event": "project.archived", "deliveryId": "d_unknown", "data": {}})).expect("json");
    assert_eq!(
        send(unknown.clone(), Some(signer.sign(&unknown))).await.expect("send").status(),
        202,
        "unknown events are stored and acknowledged"
    );

    eventually(10, "the answer", || async { (!hub.replies_to(&message).await.is_empty()).then_some(()) }).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(hub.replies_to(&message).await.len(), 1);
    assert_eq!(llm.calls().len(), 1, "one agent call for one accepted delivery");
    let metrics = reqwest::get(format!("{}/metrics", bridge.url)).await.expect("metrics").text().await.expect("text");
    assert!(metrics.contains("jaibber_adapter_events_rejected_total 5"), "{metrics}");
    assert!(metrics.contains("jaibber_adapter_events_duplicate_total 1"), "{metrics}");
    assert!(metrics.contains("jaibber_adapter_agent_seconds_count 1"), "{metrics}");
    bridge.stop().await;
}

#[tokio::test]
async fn stale_events_are_refused_when_a_tolerance_is_set() {
    let hub = Hub::start().await;
    let (llm_url, _llm) = Llm::start().await;
    let state = tempfile::tempdir().expect("state");
    let mut config = config(&hub, Mode::Webhook, &llm_url, state.path());
    config.webhook_secrets = vec![WebhookSecret::new("whsec_tolerance")];
    config.timestamp_tolerance = Some(Duration::from_secs(300));
    let bridge = Bridge::start(config).await;
    let signer = JaibberSigner::new("whsec_tolerance").expect("secret");
    let post = |timestamp: String, id: &str| {
        let body = serde_json::to_vec(&json!({"event": "agent.assigned", "deliveryId": id, "timestamp": timestamp,
            "data": {"agentId": "a", "agentName": "Echo", "projectId": hub.seed.project_id}}))
        .expect("json");
        reqwest::Client::new()
            .post(format!("{}/webhook", bridge.url))
            .header("x-jaibber-signature", signer.sign(&body))
            .body(body)
            .send()
    };
    assert_eq!(
        post("2020-01-01T00:00:00.000Z".into(), "d_old").await.expect("send").status(),
        401,
        "a captured old delivery is refused"
    );
    let now = bridge_core::model::Timestamp::now().as_str().to_owned();
    assert_eq!(post(now, "d_new").await.expect("send").status(), 202);
    bridge.stop().await;
}
