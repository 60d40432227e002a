//! Poll mode: answers mentions, ignores the rest, and across a restart neither skips nor
//! repeats.

use std::time::Duration;

use jaibber_bridge::config::Mode;

use crate::support::{Bridge, Hub, Llm, config, eventually};

#[tokio::test]
async fn poll_mode_answers_across_restarts_without_repeats() {
    let hub = Hub::start().await;
    let (llm_url, llm) = Llm::start().await;
    let state = tempfile::tempdir().expect("state");
    hub.say("@Echo this was said before the bridge existed").await;
    let bridge = Bridge::start(config(&hub, Mode::Poll, &llm_url, state.path())).await;
    tokio::time::sleep(Duration::from_millis(300)).await;

    let first = hub.say("@echo first question").await;
    let ignored = hub.say("no mention here").await;
    eventually(10, "the first answer", || async { (!hub.replies_to(&first).await.is_empty()).then_some(()) }).await;
    bridge.stop().await;

    let while_down = hub.say("@Echo asked while the bridge was down").await;
    let bridge = Bridge::start(config(&hub, Mode::Poll, &llm_url, state.path())).await;
    eventually(10, "the answer after restart", || async {
        (!hub.replies_to(&while_down).await.is_empty()).then_some(())
    })
    .await;
    tokio::time::sleep(Duration::from_millis(400)).await;
    assert_eq!(hub.replies_to(&first).await.len(), 1, "not answered again after the restart");
    assert!(hub.replies_to(&ignored).await.is_empty());
    let prompts: Vec<String> = llm.calls().into_iter().map(|(_, p)| p).collect();
    assert_eq!(prompts.len(), 2, "{prompts:?}");
    assert!(
        prompts.iter().all(|p| !p.ends_with("User: @Echo this was said before the bridge existed")),
        "history is context, not work"
    );
    bridge.stop().await;
}

#[tokio::test]
async fn agent_replies_do_not_loop_between_agents() {
    let hub = Hub::start().await;
    let (llm_url, llm) = Llm::start().await;
    let state = tempfile::tempdir().expect("state");
    let mut config = config(&hub, Mode::Poll, &llm_url, state.path());
    config.agents.push(crate::support::agent("Reviewer", &llm_url));
    // Both agents answer anything that mentions them; the stub echoes the mention back,
    // so each answer mentions the other agent again.
    let bridge = Bridge::start(config).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    hub.say("@Echo @Reviewer discuss").await;
    tokio::time::sleep(Duration::from_secs(2)).await;
    let agent_messages: Vec<_> =
        hub.messages().await.into_iter().filter(|m| m.sender_type == bridge_core::model::SenderType::Agent).collect();
    assert!(!agent_messages.is_empty());
    assert!(agent_messages.iter().all(|m| m.response_depth.unwrap_or(0) <= 3), "depth capped");
    assert!(llm.calls().len() <= 6, "the chain stops: {} calls", llm.calls().len());
    bridge.stop().await;
}

#[tokio::test]
async fn the_agent_is_registered_once_and_kept_online() {
    let hub = Hub::start().await;
    let (llm_url, _llm) = Llm::start().await;
    let state = tempfile::tempdir().expect("state");
    let org = bridge_core::model::OrgId::new(hub.seed.org_id.clone());
    let before = hub.user.list_agents(&org).await.expect("agents");
    assert!(before.iter().all(|a| !a.is_online), "nothing sent a heartbeat yet");
    for _ in 0..2 {
        let bridge = Bridge::start(config(&hub, Mode::Poll, &llm_url, state.path())).await;
        let echo = eventually(10, "a heartbeat", || async {
            let agents = hub.user.list_agents(&org).await.ok()?;
            agents.into_iter().find(|a| a.name == "Echo" && a.is_online)
        })
        .await;
        assert_eq!(echo.id.as_str(), hub.seed.agent_id, "the existing agent is adopted, not duplicated");
        bridge.stop().await;
    }
    let after = hub.user.list_agents(&org).await.expect("agents");
    assert_eq!(after.len(), before.len(), "restarts register nothing new");
}
