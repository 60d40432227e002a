//! The full flow: register → org → key → project → message → task lifecycle → webhook
//! received and its signature verified.

use axum::http::StatusCode;
use bridge_core::client::ClientError;
use bridge_core::model::*;
use bridge_core::signing::jaibber::JaibberSigner;
use futures_util::TryStreamExt as _;

use crate::support::{TestHub, next, receiver};

#[tokio::test]
async fn register_to_signed_webhook() {
    let hub = TestHub::start().await;
    let (alice, alice_id) = hub.user("alice").await;
    let me = alice.me().await.expect("me");
    assert_eq!((me.user_id.as_str(), me.username.as_str()), (alice_id.as_str(), "alice"));

    let org = hub.org(&alice, "Acme", PlanId::Team).await;
    assert_eq!(alice.list_orgs().await.expect("orgs")[0].role, Some(OrgRole::Owner));
    let project = hub.project(&alice, &org, "Backend").await;
    assert_eq!(project.ably_channel_name.as_deref(), Some(format!("jaibber:project:{}", project.id).as_str()));

    let (url, mut deliveries) = receiver(StatusCode::OK).await;
    let hook = alice
        .create_webhook(
            &org.id,
            &CreateWebhook::new(
                &url,
                [WebhookEventName::MessageCreated, WebhookEventName::TaskCreated, WebhookEventName::TaskCompleted],
            ),
        )
        .await
        .expect("webhook");
    assert!(hook.secret.expose().starts_with("whsec_"));
    let signer = JaibberSigner::new(hook.secret.expose()).expect("secret");

    let bot = hub.key(&alice, &org, Scope::KNOWN).await;
    let posted = bot
        .post_message(&project.id, &CreateMessage::text("@Coder fix the login bug").sender_name("CI Bot"))
        .await
        .expect("post");
    assert_eq!((posted.sender_type.clone(), posted.sender_name.as_str()), (SenderType::Api, "CI Bot"));
    assert_eq!(posted.mentions, Some(vec!["coder".to_owned()]));

    let delivery = next(&mut deliveries).await;
    assert_eq!(
        signer.verify(&delivery.body, delivery.header("x-jaibber-signature")),
        Ok(()),
        "signature over the raw body"
    );
    assert_eq!(delivery.header("x-jaibber-event"), "message.created");
    let event = WebhookEvent::from_slice(&delivery.body).expect("event");
    assert_eq!(event.delivery_id.as_ref().map(DeliveryId::as_str), Some(delivery.header("x-jaibber-delivery")));
    assert_eq!(event.org_id.as_ref(), Some(&org.id));
    let WebhookPayload::MessageCreated(message) = event.payload else { panic!("{event:?}") };
    assert_eq!(message, posted, "the webhook carries the stored message");
    let raw: serde_json::Value = serde_json::from_slice(&delivery.body).expect("json");
    assert_eq!(
        (raw["data"]["id"].as_str(), raw["data"]["message"]["id"].as_str()),
        (Some(posted.id.as_str()), Some(posted.id.as_str())),
        "flat as the reference says, and nested as the official adapter reads"
    );

    // Task lifecycle: submitted → working → completed, with task.completed carrying the result.
    let task = bot
        .create_task(&project.id, &CreateTask::new("Add rate limiting").assign_to("Coder").priority(TaskPriority::High))
        .await
        .expect("task");
    assert_eq!((task.status.clone(), task.priority.clone()), (TaskStatus::Submitted, TaskPriority::High));
    let created = WebhookEvent::from_slice(&next(&mut deliveries).await.body).expect("task.created");
    assert_eq!(created.event_name(), WebhookEventName::TaskCreated);

    let working = bot.update_task(&task.id, &UpdateTask::working()).await.expect("working");
    assert_eq!(working.status, TaskStatus::Working);
    let again = bot.update_task(&task.id, &UpdateTask::working()).await.expect("same status is a no-op");
    assert_eq!(again.status, TaskStatus::Working);
    let done = bot.update_task(&task.id, &UpdateTask::completed("Added a token bucket")).await.expect("completed");
    assert_eq!(done.result.as_deref(), Some("Added a token bucket"));
    let completed = next(&mut deliveries).await;
    assert_eq!(signer.verify(&completed.body, completed.header("x-jaibber-signature")), Ok(()));
    let WebhookPayload::TaskCompleted(final_task) = WebhookEvent::from_slice(&completed.body).expect("event").payload
    else {
        panic!("task.completed")
    };
    assert_eq!(final_task.result.as_deref(), Some("Added a token bucket"));

    let illegal = bot.update_task(&task.id, &UpdateTask::working()).await.expect_err("completed is final");
    assert!(
        matches!(&illegal, ClientError::Api { status: 409, message, .. } if message.contains("cannot become working") && message.contains("none (it is final)")),
        "{illegal}"
    );

    // The log lists both tasks' events; the stream reads every message back.
    let messages: Vec<Message> =
        bot.messages(&project.id, MessageQuery::latest()).try_collect().await.expect("messages");
    assert_eq!(messages.len(), 1);
    let log = hub.state.db.read(jaibber_hub::db::deliveries::pending_count).await.expect("count");
    assert_eq!(log, 0, "every delivery went out");
    hub.stop().await;
}

#[tokio::test]
async fn task_transitions_are_enforced_with_the_allowed_list() {
    let hub = TestHub::start().await;
    let (alice, _) = hub.user("alice").await;
    let org = hub.org(&alice, "Acme", PlanId::Team).await;
    let project = hub.project(&alice, &org, "P").await;
    let task = alice.create_task(&project.id, &CreateTask::new("T")).await.expect("task");
    let err = alice.update_task(&task.id, &UpdateTask::completed("skipped working")).await.expect_err("illegal");
    assert!(
        matches!(&err, ClientError::Api { status: 409, message, .. } if message == "a submitted task cannot become completed; allowed next: working, cancelled"),
        "{err}"
    );
    alice.update_task(&task.id, &UpdateTask::working()).await.expect("working");
    alice.update_task(&task.id, &UpdateTask::input_required("which endpoint?")).await.expect("input-required");
    alice.update_task(&task.id, &UpdateTask::working()).await.expect("back to working");
    let failed = alice.update_task(&task.id, &UpdateTask::failed("no access")).await.expect("failed");
    assert_eq!((failed.status, failed.result.as_deref()), (TaskStatus::Failed, Some("no access")));
    let page = alice.list_tasks(&project.id, &TaskQuery::with_status(TaskStatus::Failed)).await.expect("list");
    assert_eq!(page.data.len(), 1);
    let none = alice.list_tasks(&project.id, &TaskQuery::with_status(TaskStatus::Submitted)).await.expect("list");
    assert!(none.data.is_empty());
}

#[tokio::test]
async fn message_pages_cursor_both_ways_and_upsert_is_idempotent() {
    let hub = TestHub::start().await;
    let (alice, _) = hub.user("alice").await;
    let org = hub.org(&alice, "Acme", PlanId::Team).await;
    let project = hub.project(&alice, &org, "P").await;
    for n in 0..7 {
        alice.post_message(&project.id, &CreateMessage::text(format!("m{n}"))).await.expect("post");
    }
    let newest_first: Vec<String> = alice
        .messages(&project.id, MessageQuery::latest().limit(3))
        .map_ok(|m| m.text)
        .try_collect()
        .await
        .expect("stream");
    assert_eq!(newest_first, ["m6", "m5", "m4", "m3", "m2", "m1", "m0"]);
    let first = alice.list_messages(&project.id, &MessageQuery::latest().limit(2)).await.expect("page");
    assert!(first.pagination.has_more);
    let oldest_first: Vec<String> = alice
        .messages(&project.id, MessageQuery::after("s0").limit(3))
        .map_ok(|m| m.text)
        .try_collect()
        .await
        .expect("after");
    assert_eq!(oldest_first, ["m0", "m1", "m2", "m3", "m4", "m5", "m6"]);

    let id = MessageId::new(uuid::Uuid::new_v4().to_string());
    let body = CreateMessage::text("streamed answer")
        .with_id(id.clone())
        .as_agent("Coder")
        .kind(MessageType::Response)
        .loop_fields(1, vec!["coder".into()]);
    let stored = alice.post_message(&project.id, &body).await.expect("upsert");
    let again = alice.post_message(&project.id, &body).await.expect("upsert again");
    assert_eq!(stored, again);
    assert_eq!((stored.response_depth, stored.sender_type.clone()), (Some(1), SenderType::Agent));
    let agents_only =
        alice.list_messages(&project.id, &MessageQuery::latest().sender_type(SenderType::Agent)).await.expect("filter");
    assert_eq!(agents_only.data.len(), 1, "stored once");
}

#[tokio::test]
async fn agents_register_heartbeat_discover_and_assign() {
    let hub = TestHub::start().await;
    let (url, mut deliveries) = receiver(StatusCode::OK).await;
    let (alice, _) = hub.user("alice").await;
    let org = hub.org(&alice, "Acme", PlanId::Team).await;
    let project = hub.project(&alice, &org, "P").await;
    alice
        .create_webhook(
            &org.id,
            &CreateWebhook::new(&url, [WebhookEventName::AgentAssigned, WebhookEventName::AgentUnassigned]),
        )
        .await
        .expect("hook");
    let agent_key = hub.key(&alice, &org, &[Scope::AgentsWrite, Scope::AgentsRead, Scope::AgentsManage]).await;
    let coder = agent_key
        .register_agent(
            &org.id,
            &RegisterAgent::new("Coder").services(["code-review"]).vendor(Vendor::Anthropic).discoverable(true),
        )
        .await
        .expect("register");
    let hidden = agent_key.register_agent(&org.id, &RegisterAgent::new("Private")).await.expect("register");
    assert!(!coder.is_online);
    // Registering the same name again (an agent process that lost its state) keeps the id
    // and takes the new description; names stay unique per org.
    let again = agent_key
        .register_agent(
            &org.id,
            &RegisterAgent::new("coder")
                .description("reviews code")
                .services(["code-review"])
                .vendor(Vendor::Anthropic)
                .discoverable(true),
        )
        .await
        .expect("re-register");
    assert_eq!(
        (again.id.clone(), again.name.as_str(), again.description.as_deref()),
        (coder.id.clone(), "Coder", Some("reviews code"))
    );
    assert_eq!(
        alice.list_agents(&org.id).await.expect("list").iter().filter(|a| a.name.eq_ignore_ascii_case("coder")).count(),
        1
    );
    let beat = agent_key.heartbeat(&coder.id).await.expect("heartbeat");
    assert!(beat.ok);
    let listed = alice.list_agents(&org.id).await.expect("list");
    assert!(listed.iter().find(|a| a.id == coder.id).is_some_and(|a| a.is_online && a.last_seen_at.is_some()));

    let public = hub
        .anonymous()
        .discover_agents(&DiscoverQuery { service: Some("code-review".into()), ..DiscoverQuery::default() })
        .await
        .expect("discover");
    assert_eq!(public.iter().map(|a| a.name.as_str()).collect::<Vec<_>>(), ["Coder"]);
    let with_key = agent_key.discover_agents(&DiscoverQuery::default()).await.expect("discover");
    assert!(with_key.iter().any(|a| a.id == hidden.id), "a key of the org also sees private agents");

    agent_key.assign_agent(&org.id, &coder.id, &project.id).await.expect("assign");
    agent_key.assign_agent(&org.id, &coder.id, &project.id).await.expect("assign is idempotent");
    let assigned = WebhookEvent::from_slice(&next(&mut deliveries).await.body).expect("event");
    assert!(
        matches!(assigned.payload, WebhookPayload::AgentAssigned(ref a) if a.agent_name == "Coder" && a.project_id == project.id)
    );
    agent_key.unassign_agent(&org.id, &coder.id, &project.id).await.expect("unassign");
    let unassigned = WebhookEvent::from_slice(&next(&mut deliveries).await.body).expect("event");
    assert_eq!(unassigned.event_name(), WebhookEventName::AgentUnassigned);
    assert!(
        tokio::time::timeout(std::time::Duration::from_millis(300), deliveries.recv()).await.is_err(),
        "the repeated assign fired nothing"
    );
}
