//! What a change causes: webhook outbox rows and audit entries, written in the same
//! transaction as the change itself.

use bridge_core::model::{AuditEntry, DeliveryId, OrgId, ProjectId, Timestamp, UserId, WebhookEvent, WebhookPayload};
use rusqlite::Connection;
use serde_json::Value;

use crate::auth::Caller;
use crate::db::{DbResult, audit, deliveries, webhooks};

/// Queues one delivery per subscribed webhook of the org; returns how many.
///
/// Each delivery gets its own `deliveryId`, and its exact body bytes are stored, so a
/// retry or a redelivery sends byte-identical content with the same signature.
pub fn emit(conn: &Connection, org: Option<&str>, project: Option<&str>, payload: WebhookPayload) -> DbResult<usize> {
    let Some(org) = org else { return Ok(0) };
    let name = payload.event_name();
    let hooks = webhooks::subscribed(conn, org, &name)?;
    if hooks.is_empty() {
        return Ok(0);
    }
    let now = Timestamp::now();
    let now_ms = crate::clock::now_ms();
    for hook in &hooks {
        let delivery_id = DeliveryId::random();
        let event = WebhookEvent {
            delivery_id: Some(delivery_id.clone()),
            timestamp: Some(now.clone()),
            org_id: Some(OrgId::new(org)),
            project_id: project.map(ProjectId::new),
            payload: payload.clone(),
            extra: Default::default(),
        };
        let body = serde_json::to_vec(&with_nested_message(serde_json::to_value(&event)?))?;
        deliveries::enqueue(
            conn,
            &deliveries::NewDelivery {
                id: delivery_id.as_str(),
                webhook_id: &hook.id,
                org_id: org,
                event: name.as_str(),
                payload: &body,
                now: now.as_str(),
                now_ms,
            },
        )?;
    }
    Ok(hooks.len())
}

/// `message.created` carries the message twice: as `data` itself (protocol.md section 4,
/// the API reference) and as `data.message` (the shape the official OpenClaw adapter
/// reads), so receivers written against either work unchanged.
fn with_nested_message(mut event: Value) -> Value {
    if event.get("event").and_then(Value::as_str) == Some("message.created")
        && let Some(data) = event.get_mut("data")
        && let Some(object) = data.as_object_mut()
        && !object.contains_key("message")
    {
        let copy = Value::Object(object.clone());
        object.insert("message".into(), copy);
    }
    event
}

/// Appends an audit entry for an action by `caller` (or the system when `None`).
pub fn audit(
    conn: &Connection,
    org: &str,
    caller: Option<&Caller>,
    action: &str,
    target: Option<(&str, &str)>,
    details: Value,
) -> DbResult<()> {
    let entry = AuditEntry {
        id: uuid::Uuid::new_v4().to_string(),
        org_id: OrgId::new(org),
        actor_id: caller.map(|c| UserId::new(c.user_id())),
        actor_name: caller.map(Caller::display_name),
        action: action.to_owned(),
        target_type: target.map(|(kind, _)| kind.to_owned()),
        target_id: target.map(|(_, id)| id.to_owned()),
        details,
        created_at: Timestamp::now(),
    };
    audit::insert(conn, &entry)
}
