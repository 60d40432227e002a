//! One test per documented variant of protocol.md section 9, on fixtures taken from the
//! public reference examples.

use bridge_core::model::*;

use crate::fixture;

fn event(name: &str) -> WebhookEvent {
    WebhookEvent::from_slice(fixture(name).as_bytes()).unwrap_or_else(|e| panic!("{name}: {e}"))
}

#[test]
fn reference_webhook_payloads_parse_for_all_six_events() {
    let message = event("webhook-message-created.reference.json");
    assert_eq!(message.delivery_id, Some(DeliveryId::new("d_abc123")));
    assert_eq!(message.project_id, Some(ProjectId::new("project-uuid")), "taken from data");
    let WebhookPayload::MessageCreated(m) = &message.payload else { panic!("{message:?}") };
    assert_eq!((m.sender_type.clone(), m.sender_name.as_str()), (SenderType::User, "Alice"));
    assert_eq!(m.kind, MessageType::Message, "type defaults to message");

    let created = event("webhook-task-created.reference.json");
    let WebhookPayload::TaskCreated(task) = &created.payload else { panic!("{created:?}") };
    assert_eq!((task.status.clone(), task.priority.clone()), (TaskStatus::Submitted, TaskPriority::High));

    assert!(
        matches!(event("webhook-task-completed.reference.json").payload, WebhookPayload::TaskCompleted(ref t) if t.status == TaskStatus::Completed)
    );
    assert!(
        matches!(event("webhook-task-failed.reference.json").payload, WebhookPayload::TaskFailed(ref t) if t.priority == TaskPriority::Medium)
    );
    let assigned = event("webhook-agent-assigned.reference.json");
    assert!(matches!(assigned.payload, WebhookPayload::AgentAssigned(ref a) if a.agent_name == "Coder"));
    assert_eq!(event("webhook-agent-unassigned.reference.json").event_name(), WebhookEventName::AgentUnassigned);
}

#[test]
fn guide_payload_with_task_id_and_result_parses() {
    let event = event("webhook-task-completed.guide.json");
    assert_eq!(event.delivery_id, None, "the guide's example has no deliveryId");
    let WebhookPayload::TaskCompleted(task) = &event.payload else { panic!("{event:?}") };
    assert_eq!(task.id, TaskId::new("uuid"));
    assert_eq!(task.result.as_deref(), Some("Login page implemented with OAuth support."));
}

#[test]
fn adapter_payload_with_nested_message_parses() {
    let event = event("webhook-message-created.adapter.json");
    assert_eq!(event.org_id, Some(OrgId::new("org-uuid")));
    let WebhookPayload::MessageCreated(message) = &event.payload else { panic!("{event:?}") };
    assert_eq!(message.text, "@OpenClaw summarise the thread");
    assert_eq!(message.id, MessageId::new("msg-uuid"));
}

#[test]
fn unknown_events_are_kept_not_rejected() {
    let event = event("webhook-unknown-event.json");
    assert_eq!(event.event_name(), WebhookEventName::Unknown("project.archived".into()));
    let WebhookPayload::Unknown { data, .. } = &event.payload else { panic!("{event:?}") };
    assert_eq!(data["archivedBy"], "user-uuid");
    assert_eq!(event.extra["schemaVersion"], 2);
    let round_trip: serde_json::Value = serde_json::to_value(&event).expect("serializes");
    let original: serde_json::Value = serde_json::from_str(&fixture("webhook-unknown-event.json")).expect("json");
    assert_eq!(round_trip, original, "an unknown event round-trips unchanged");
}

#[test]
fn malformed_webhook_bodies_get_errors_not_panics() {
    assert!(matches!(WebhookEvent::from_slice(b"{not json"), Err(WebhookEventError::Malformed(_))));
    assert!(matches!(WebhookEvent::from_slice(br#"{"data":{}}"#), Err(WebhookEventError::Malformed(_))));
    let bad = WebhookEvent::from_slice(br#"{"event":"task.created","data":{"id":"t"}}"#).expect_err("missing fields");
    assert!(bad.to_string().contains("task.created"), "{bad}");
}

#[test]
fn project_list_as_bare_array_and_wrapped() {
    let bare: Listed<Project> = serde_json::from_str(&fixture("projects.reference.json")).expect("bare");
    assert_eq!(bare.0.len(), 1);
    assert_eq!(bare.0[0].org_id, Some(OrgId::new("o-1")));
    let wrapped: Listed<Project> = serde_json::from_str(&fixture("projects.sdk.json")).expect("wrapped");
    assert_eq!(wrapped.0.len(), 2);
    assert_eq!(wrapped.0[1].role, Some(ProjectRole::Member));
    assert_eq!(wrapped.0[0].channel_name(), "jaibber:project:p-1");
}

#[test]
fn created_project_wrapped_under_project() {
    let Single(project): Single<Project> =
        serde_json::from_str(&fixture("project-create.reference.json")).expect("parses");
    assert_eq!(project.id, ProjectId::new("p-3"));
}

#[test]
fn created_task_bare_and_under_data() {
    let Single(bare): Single<Task> = serde_json::from_str(&fixture("task-create.reference.json")).expect("bare");
    assert_eq!(bare.created_by, Some(UserId::new("u-1")));
    let Single(wrapped): Single<Task> = serde_json::from_str(&fixture("task-create.sdk.json")).expect("data");
    assert_eq!(wrapped.parent_task_id, Some(TaskId::new("t-1")));
    assert_eq!(wrapped.created_by_type, Some(CreatorType::Agent));
}

#[test]
fn message_pages_with_pagination_or_meta() {
    let page: Page<Message> = serde_json::from_str(&fixture("messages-page.reference.json")).expect("pagination");
    assert!(page.pagination.has_more);
    assert_eq!(page.pagination.cursor.as_deref(), Some("2026-02-28T12:00:00.000Z"));
    assert_eq!(page.data[1].kind, MessageType::Response);
    let page: Page<Message> = serde_json::from_str(&fixture("messages-page.adapter.json")).expect("meta");
    assert!(!page.pagination.has_more);
    assert_eq!(page.data[0].sender_type, SenderType::Api);
    let bare: Page<Message> = serde_json::from_str("[]").expect("bare array");
    assert!(bare.data.is_empty() && !bare.pagination.has_more);
}

#[test]
fn webhook_create_flat_and_under_data() {
    let Single(flat): Single<CreatedWebhook> =
        serde_json::from_str(&fixture("webhook-create.reference.json")).expect("flat");
    assert_eq!(flat.secret.expose(), "whsec_abc");
    let Single(wrapped): Single<CreatedWebhook> =
        serde_json::from_str(&fixture("webhook-create.adapter.json")).expect("data");
    assert_eq!(wrapped.id, WebhookId::new("w-2"));
    assert_eq!(wrapped.events, vec![WebhookEventName::MessageCreated]);
}

#[test]
fn message_bodies_in_both_styles() {
    let body: CreateMessage = serde_json::from_str(&fixture("message-post.api-md.json")).expect("api.md body");
    assert_eq!(body.sender_name.as_deref(), Some("alice"), "fromUsername is the sender name");
    assert_eq!(body.id, Some(MessageId::new("client-generated-uuid")));
    assert_eq!(body.extra["from"], "user-uuid", "from is kept");
    let message: Message = serde_json::from_str(&fixture("message.api-md.json")).expect("api.md message");
    assert_eq!(message.sender_id, Some(UserId::new("user-uuid")));
    assert_eq!(message.sender_name, "alice");
}

#[test]
fn register_with_and_without_token() {
    let with: AuthSession = serde_json::from_str(&fixture("register.reference.json")).expect("with token");
    assert!(with.token.is_some());
    let without: AuthSession = serde_json::from_str(&fixture("register.api-md.json")).expect("without token");
    assert_eq!((without.token, without.username.as_str()), (None, "my-bot"));
}

#[test]
fn discover_response_fills_defaults() {
    let Listed(agents): Listed<Agent> = serde_json::from_str(&fixture("discover.reference.json")).expect("parses");
    assert_eq!(agents[0].vendor, Vendor::Anthropic);
    assert!(agents[0].capabilities.is_empty());
    assert!(agents[0].is_online);
}

#[test]
fn realtime_payloads_by_name() {
    let chat: RealtimeMessage = serde_json::from_str(&fixture("realtime-chat-message.json")).expect("chat");
    let RealtimeMessage::Chat(chat) = chat else { panic!("{chat:?}") };
    assert_eq!(chat.execution_mode, Some(ExecutionMode::Auto));
    let response: RealtimeMessage = serde_json::from_str(&fixture("realtime-chat-response.json")).expect("response");
    assert!(
        matches!(response, RealtimeMessage::Chat(ref c) if c.responding_chain.as_deref() == Some(&["coder".to_owned()][..]))
    );
    let typing: RealtimeMessage = serde_json::from_str(&fixture("realtime-chat-typing.json")).expect("typing");
    assert!(matches!(typing, RealtimeMessage::Chat(ref c) if c.kind == ChatType::Typing && c.response_id.is_some()));
    let task: RealtimeMessage = serde_json::from_str(&fixture("realtime-task.json")).expect("task");
    assert!(
        matches!(task, RealtimeMessage::Task(ref t) if t.kind == TaskEventType::Updated && t.task.status == TaskStatus::Working)
    );
    let other = RealtimeMessage::from_parts("reaction", serde_json::json!({"emoji": "+1"})).expect("unknown name");
    assert_eq!(other.name(), "reaction");
}

#[test]
fn unknown_chat_types_and_fields_survive() {
    let value =
        serde_json::json!({"from":"u","projectId":"p","messageId":"m","type":"thinking","text":"","newField":[1]});
    let chat: ChatPayload = serde_json::from_value(value.clone()).expect("parses");
    assert_eq!(chat.kind, ChatType::Unknown("thinking".into()));
    let back = serde_json::to_value(&chat).expect("serializes");
    assert_eq!(back["type"], "thinking");
    assert_eq!(back["newField"], serde_json::json!([1]));
}

#[test]
fn presence_global_and_project() {
    let project: PresenceData = serde_json::from_str(&fixture("presence-project.json")).expect("project");
    assert!(
        matches!(project, PresenceData::Project(ref p) if p.is_agent && p.agents.as_ref().is_some_and(|a| a.len() == 1))
    );
    let global: PresenceData = serde_json::from_str(&fixture("presence-global.json")).expect("global");
    assert!(matches!(global, PresenceData::Global(ref g) if g.project_ids.len() == 2));
}

#[test]
fn token_endpoint_answers_both_shapes() {
    let request: AblyAuth = serde_json::from_str(&fixture("ably-token-request.json")).expect("request");
    assert!(matches!(request, AblyAuth::Request(ref r) if r.client_id.as_deref() == Some("u-1")));
    let token: AblyAuth = serde_json::from_str(&fixture("ably-token-plugin.json")).expect("token");
    assert!(matches!(token, AblyAuth::Token(ref t) if t.token == "tok-abc"));
}

#[test]
fn unknown_enum_values_never_fail() {
    let task: Task = serde_json::from_value(serde_json::json!({
        "id": "t", "projectId": "p", "title": "x", "status": "paused", "priority": "whenever"
    }))
    .expect("parses");
    assert_eq!(task.status, TaskStatus::Unknown("paused".into()));
    assert!(!task.status.is_known());
    assert!(task.status.allowed_next().is_empty());
    let scopes: Vec<Scope> = serde_json::from_str(r#"["messages:read","billing:read"]"#).expect("parses");
    assert_eq!(scopes[1].as_str(), "billing:read");
}
