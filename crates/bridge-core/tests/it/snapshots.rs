//! Snapshots of every kind of wire value the toolkit emits; each is also validated
//! against its committed schema, so the schemas describe what is really sent.

use bridge_core::model::*;
use bridge_core::routing::{ReplyLoopFields, ReplyStream};
use insta::assert_json_snapshot;

use crate::schemas::assert_valid;

fn message() -> Message {
    serde_json::from_value(serde_json::json!({
        "id": "m-1", "projectId": "p-1", "senderId": "u-1", "senderType": "agent", "senderName": "Coder",
        "type": "response", "text": "Done.", "mentions": [], "parentMessageId": "m-0", "responseDepth": 1,
        "respondingChain": ["coder"], "createdAt": "2026-02-28T12:00:00.000Z"
    }))
    .expect("message")
}

fn task() -> Task {
    serde_json::from_value(serde_json::json!({
        "id": "t-1", "projectId": "p-1", "title": "Add rate limiting", "description": null, "status": "completed",
        "priority": "high", "assignedAgentName": "Coder", "result": "Added a token bucket.", "createdBy": "u-1",
        "createdByType": "user", "createdByName": "alice", "sourceMessageId": null, "parentTaskId": null,
        "createdAt": "2026-02-28T12:00:00.000Z", "updatedAt": "2026-02-28T12:05:00.000Z"
    }))
    .expect("task")
}

fn validated<T: serde::Serialize>(schema: &str, value: &T) -> serde_json::Value {
    let json = serde_json::to_value(value).expect("serializes");
    assert_valid(schema, &json, schema);
    json
}

#[test]
fn message_wire_shape() {
    assert_json_snapshot!("message", validated("message.schema.json", &message()));
}

#[test]
fn task_wire_shape() {
    assert_json_snapshot!("task", validated("task.schema.json", &task()));
}

#[test]
fn webhook_event_wire_shape() {
    let event = WebhookEvent {
        delivery_id: Some(DeliveryId::new("d_1")),
        timestamp: Some(Timestamp::new_unchecked("2026-02-28T12:05:00.000Z")),
        org_id: Some(OrgId::new("o-1")),
        project_id: Some(ProjectId::new("p-1")),
        payload: WebhookPayload::TaskCompleted(task()),
        extra: Extra::new(),
    };
    assert_json_snapshot!("webhook_event_task_completed", validated("webhook-event.schema.json", &event));
}

#[test]
fn streamed_reply_wire_shapes() {
    let stream = ReplyStream {
        from: UserId::new("u-2"),
        agent_name: "Coder".into(),
        project_id: ProjectId::new("p-1"),
        response_id: MessageId::new("r-1"),
        parent_message_id: Some(MessageId::new("m-1")),
        loop_fields: ReplyLoopFields::after(0, &[], "Coder"),
    };
    let chunk = RealtimeMessage::Chat(stream.chunk("Fix"));
    let response = RealtimeMessage::Chat(stream.response("Fixed."));
    assert_json_snapshot!("realtime_chunk", validated("realtime-message.schema.json", &chunk));
    assert_json_snapshot!("realtime_response", validated("realtime-message.schema.json", &response));
    assert_json_snapshot!(
        "persist_reply",
        validated("create-message.schema.json", &stream.persist(MessageType::Response, "Fixed."))
    );
}

#[test]
fn presence_wire_shape() {
    let presence =
        PresenceData::Project(ProjectPresence::agent(UserId::new("u-2"), "Coder", Some("You write code.".into())));
    assert_json_snapshot!("presence_agent", validated("presence.schema.json", &presence));
}

#[test]
fn plan_catalog_wire_shape() {
    let plans = bridge_core::model::plan::catalog();
    for plan in &plans {
        assert_valid("plan.schema.json", &serde_json::to_value(plan).expect("plan"), plan.name.as_str());
    }
    assert_json_snapshot!("plans", plans);
}

#[test]
fn request_bodies_wire_shapes() {
    let create = CreateTask::new("Review PR").assign_to("Reviewer").priority(TaskPriority::Urgent);
    assert_json_snapshot!("create_task", validated("create-task.schema.json", &create));
    assert_json_snapshot!(
        "update_task_failed",
        validated("update-task.schema.json", &UpdateTask::failed("tests are red"))
    );
    assert_json_snapshot!("create_api_key", CreateApiKey::all_scopes("bridge"));
}
