//! An agent outage delays work and loses none; kill -9 of the real binary loses nothing
//! and answers every message exactly once.

use std::process::{Command, Stdio};
use std::sync::atomic::Ordering;
use std::time::Duration;

use jaibber_bridge::config::Mode;

use crate::support::{Bridge, Hub, Llm, config, eventually};

#[tokio::test]
async fn an_agent_outage_delays_but_loses_nothing() {
    let hub = Hub::start().await;
    let (llm_url, llm) = Llm::start().await;
    llm.failing_status.store(503, Ordering::SeqCst);
    let state = tempfile::tempdir().expect("state");
    let mut config = config(&hub, Mode::Poll, &llm_url, state.path());
    config.max_attempts = 1;
    let bridge = Bridge::start(config).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    let mut asked = Vec::new();
    for n in 0..3 {
        asked.push(hub.say(&format!("@Echo question {n}")).await);
    }
    eventually(10, "failed attempts", || async { (llm.calls().len() >= 6).then_some(()) }).await;
    for message in &asked {
        assert!(hub.replies_to(message).await.is_empty(), "nothing posted while the agent is down");
    }
    llm.failing_status.store(0, Ordering::SeqCst);
    for message in &asked {
        eventually(30, "answers after the outage", || async {
            (!hub.replies_to(message).await.is_empty()).then_some(())
        })
        .await;
    }
    for message in &asked {
        let replies = hub.replies_to(message).await;
        assert_eq!(replies.len(), 1);
        assert!(replies[0].text.starts_with("stub answer:"), "a real answer, not an error: {}", replies[0].text);
    }
    bridge.stop().await;
}

fn spawn_bridge(hub: &Hub, llm_url: &str, state: &std::path::Path) -> std::process::Child {
    Command::new(env!("CARGO_BIN_EXE_jaibber-bridge"))
        .arg("run")
        .env("JAIBBER_HUB_URL", &hub.base)
        .env("JAIBBER_API_KEY", &hub.seed.api_key)
        .env("JAIBBER_AGENT_NAME", "Echo")
        .env("JAIBBER_MODE", "poll")
        .env("JAIBBER_BACKEND", "openai")
        .env("JAIBBER_BACKEND_URL", llm_url)
        .env("JAIBBER_STATE_DIR", state)
        .env("JAIBBER_LISTEN", "127.0.0.1:0")
        .env("JAIBBER_POLL_INTERVAL", "100ms")
        .env("JAIBBER_CONCURRENCY", "1")
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start jaibber-bridge")
}

#[tokio::test]
async fn kill_9_mid_stream_loses_nothing_and_answers_once() {
    let hub = Hub::start().await;
    let (llm_url, llm) = Llm::start().await;
    llm.delay_ms.store(150, Ordering::SeqCst);
    let state = tempfile::tempdir().expect("state");
    let mut bridge = spawn_bridge(&hub, &llm_url, state.path());
    tokio::time::sleep(Duration::from_millis(800)).await;
    let mut asked = Vec::new();
    for n in 0..6 {
        asked.push(hub.say(&format!("@Echo durable question {n}")).await);
    }
    eventually(10, "the first answers", || async { (!hub.replies_to(&asked[1]).await.is_empty()).then_some(()) }).await;
    bridge.kill().expect("SIGKILL");
    bridge.wait().expect("reaped");
    let mut answered_before = 0;
    for message in &asked {
        answered_before += usize::from(!hub.replies_to(message).await.is_empty());
    }
    let mut bridge = spawn_bridge(&hub, &llm_url, state.path());
    for message in &asked {
        eventually(20, "every answer after the restart", || async {
            (!hub.replies_to(message).await.is_empty()).then_some(())
        })
        .await;
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
    for message in &asked {
        assert_eq!(hub.replies_to(message).await.len(), 1, "exactly one answer to {:?}", message.text);
    }
    let per_key = llm.calls_per_key();
    assert_eq!(per_key.len(), asked.len(), "every event reached the agent: {per_key:?}");
    let repeated: Vec<_> = per_key.iter().filter(|(_, n)| **n > 1).collect();
    assert!(
        repeated.len() <= 1,
        "only a call cut off by the kill (concurrency 1) may be repeated, with the same idempotency key: {repeated:?}"
    );
    assert!(
        (2..asked.len()).contains(&answered_before),
        "the kill came mid-stream: {answered_before} of {} answered before it",
        asked.len()
    );
    bridge.kill().expect("stop");
    let _ = bridge.wait();
}
