//! The webhook delivery envelope and its six events.
//!
//! Three payload shapes are documented and all parse into [`WebhookEvent`]:
//! - the reference: flat `data` holding the resource, with `deliveryId` at the top;
//! - the webhook guide: task data with `taskId` instead of `id`, and `result`;
//! - the OpenClaw adapter: `{orgId, data: {message: {...}}}`.
//!
//! An event name this version does not know parses to [`WebhookPayload::Unknown`] with
//! its data kept, so a receiver can store and acknowledge it instead of failing.

use std::borrow::Cow;

use schemars::{JsonSchema, Schema, SchemaGenerator, json_schema};
use serde::de::Error as _;
use serde::ser::SerializeMap;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::Value;

use super::Extra;
use super::agent::AgentAssignment;
use super::ids::{DeliveryId, OrgId, ProjectId};
use super::message::Message;
use super::task::Task;
use super::timestamp::Timestamp;
use super::webhook::WebhookEventName;

/// One webhook delivery body.
#[derive(Clone, Debug, PartialEq)]
pub struct WebhookEvent {
    /// The delivery id (`X-Jaibber-Delivery`); the receiver's idempotency key.
    pub delivery_id: Option<DeliveryId>,
    /// When the event happened.
    pub timestamp: Option<Timestamp>,
    /// The org it happened in.
    pub org_id: Option<OrgId>,
    /// The project it happened in (taken from `data` when the envelope lacks it).
    pub project_id: Option<ProjectId>,
    /// The event and its resource.
    pub payload: WebhookPayload,
    /// Top-level fields this version does not know.
    pub extra: Extra,
}

/// The event name and the resource it carries.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub enum WebhookPayload {
    /// `message.created`.
    MessageCreated(Message),
    /// `task.created`.
    TaskCreated(Task),
    /// `task.completed` (with `result`).
    TaskCompleted(Task),
    /// `task.failed` (with the reason in `result`).
    TaskFailed(Task),
    /// `agent.assigned`.
    AgentAssigned(AgentAssignment),
    /// `agent.unassigned`.
    AgentUnassigned(AgentAssignment),
    /// An event this version does not know, kept as received.
    Unknown {
        /// The event name.
        event: String,
        /// Its data.
        data: Value,
    },
}

impl WebhookPayload {
    /// Returns the event name.
    #[must_use]
    pub fn event_name(&self) -> WebhookEventName {
        match self {
            Self::MessageCreated(_) => WebhookEventName::MessageCreated,
            Self::TaskCreated(_) => WebhookEventName::TaskCreated,
            Self::TaskCompleted(_) => WebhookEventName::TaskCompleted,
            Self::TaskFailed(_) => WebhookEventName::TaskFailed,
            Self::AgentAssigned(_) => WebhookEventName::AgentAssigned,
            Self::AgentUnassigned(_) => WebhookEventName::AgentUnassigned,
            Self::Unknown { event, .. } => WebhookEventName::from_wire(event),
        }
    }

    fn project_id(&self) -> Option<&ProjectId> {
        match self {
            Self::MessageCreated(message) => Some(&message.project_id),
            Self::TaskCreated(task) | Self::TaskCompleted(task) | Self::TaskFailed(task) => Some(&task.project_id),
            Self::AgentAssigned(a) | Self::AgentUnassigned(a) => Some(&a.project_id),
            Self::Unknown { .. } => None,
        }
    }

    fn data_value(&self) -> Result<Value, serde_json::Error> {
        match self {
            Self::MessageCreated(message) => serde_json::to_value(message),
            Self::TaskCreated(task) | Self::TaskCompleted(task) | Self::TaskFailed(task) => serde_json::to_value(task),
            Self::AgentAssigned(a) | Self::AgentUnassigned(a) => serde_json::to_value(a),
            Self::Unknown { data, .. } => Ok(data.clone()),
        }
    }
}

/// A webhook body that could not be decoded.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum WebhookEventError {
    /// The body is not a JSON object with an `event` string.
    #[error("webhook body is not a valid event envelope: {0}")]
    Malformed(#[source] serde_json::Error),
    /// The envelope is fine but `data` does not fit the event.
    #[error("data of {event} event does not fit: {source}")]
    BadData {
        /// The event name.
        event: String,
        /// What did not fit.
        #[source]
        source: serde_json::Error,
    },
}

impl WebhookEvent {
    /// Decodes a delivery body (after its signature was verified over these bytes).
    ///
    /// # Errors
    /// [`WebhookEventError::Malformed`] when the body is not an envelope,
    /// [`WebhookEventError::BadData`] when `data` does not fit a known event.
    pub fn from_slice(body: &[u8]) -> Result<Self, WebhookEventError> {
        let raw: RawEnvelope = serde_json::from_slice(body).map_err(WebhookEventError::Malformed)?;
        raw.into_event()
    }

    /// Returns the event name.
    #[must_use]
    pub fn event_name(&self) -> WebhookEventName {
        self.payload.event_name()
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawEnvelope {
    event: String,
    #[serde(default)]
    delivery_id: Option<DeliveryId>,
    #[serde(default)]
    timestamp: Option<Timestamp>,
    #[serde(default)]
    org_id: Option<OrgId>,
    #[serde(default)]
    project_id: Option<ProjectId>,
    #[serde(default)]
    data: Value,
    #[serde(flatten)]
    extra: Extra,
}

impl RawEnvelope {
    fn into_event(self) -> Result<WebhookEvent, WebhookEventError> {
        let RawEnvelope { event, delivery_id, timestamp, org_id, project_id, mut data, extra } = self;
        let name = WebhookEventName::from_wire(&event);
        if name.is_known() {
            normalize_data(&name, &mut data, project_id.as_ref());
        }
        let bad = |source| WebhookEventError::BadData { event: event.clone(), source };
        let payload = match name {
            WebhookEventName::MessageCreated => {
                WebhookPayload::MessageCreated(serde_json::from_value(data).map_err(bad)?)
            }
            WebhookEventName::TaskCreated => WebhookPayload::TaskCreated(serde_json::from_value(data).map_err(bad)?),
            WebhookEventName::TaskCompleted => {
                WebhookPayload::TaskCompleted(serde_json::from_value(data).map_err(bad)?)
            }
            WebhookEventName::TaskFailed => WebhookPayload::TaskFailed(serde_json::from_value(data).map_err(bad)?),
            WebhookEventName::AgentAssigned => {
                WebhookPayload::AgentAssigned(serde_json::from_value(data).map_err(bad)?)
            }
            WebhookEventName::AgentUnassigned => {
                WebhookPayload::AgentUnassigned(serde_json::from_value(data).map_err(bad)?)
            }
            WebhookEventName::Unknown(_) => WebhookPayload::Unknown { event: event.clone(), data },
        };
        let project_id = project_id.or_else(|| payload.project_id().cloned());
        Ok(WebhookEvent { delivery_id, timestamp, org_id, project_id, payload, extra })
    }
}

/// Brings the adapter's `{message: {...}}` shape to the flat one (dropping a nested copy
/// that sits beside the flat fields), and fills a missing
/// `projectId` in `data` from the envelope.
fn normalize_data(name: &WebhookEventName, data: &mut Value, envelope_project: Option<&ProjectId>) {
    let nested_key = match name {
        WebhookEventName::MessageCreated => "message",
        WebhookEventName::TaskCreated | WebhookEventName::TaskCompleted | WebhookEventName::TaskFailed => "task",
        _ => "",
    };
    if let Some(object) = data.as_object_mut() {
        // Both shapes at once (the hub sends `message.created` so): the nested copy goes.
        if !nested_key.is_empty()
            && let (Some(id), Some(Value::Object(inner))) = (object.get("id"), object.get(nested_key))
            && inner.get("id") == Some(id)
        {
            object.remove(nested_key);
        }
        if !nested_key.is_empty()
            && !object.contains_key("id")
            && let Some(Value::Object(inner)) = object.remove(nested_key)
        {
            *object = inner;
        }
        if let Some(project) = envelope_project {
            object.entry("projectId").or_insert_with(|| Value::String(project.as_str().to_owned()));
        }
    }
}

impl<'de> Deserialize<'de> for WebhookEvent {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        RawEnvelope::deserialize(deserializer)?.into_event().map_err(D::Error::custom)
    }
}

impl Serialize for WebhookEvent {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let data = self.payload.data_value().map_err(serde::ser::Error::custom)?;
        let mut map = serializer.serialize_map(None)?;
        map.serialize_entry("event", self.event_name().as_str())?;
        if let Some(delivery_id) = &self.delivery_id {
            map.serialize_entry("deliveryId", delivery_id)?;
        }
        if let Some(timestamp) = &self.timestamp {
            map.serialize_entry("timestamp", timestamp)?;
        }
        if let Some(org_id) = &self.org_id {
            map.serialize_entry("orgId", org_id)?;
        }
        if let Some(project_id) = &self.project_id {
            map.serialize_entry("projectId", project_id)?;
        }
        map.serialize_entry("data", &data)?;
        for (key, value) in &self.extra {
            map.serialize_entry(key, value)?;
        }
        map.end()
    }
}

impl JsonSchema for WebhookEvent {
    fn schema_name() -> Cow<'static, str> {
        "WebhookEvent".into()
    }

    fn json_schema(generator: &mut SchemaGenerator) -> Schema {
        let delivery = generator.subschema_for::<DeliveryId>();
        let timestamp = generator.subschema_for::<Timestamp>();
        let org = generator.subschema_for::<OrgId>();
        let project = generator.subschema_for::<ProjectId>();
        let message = generator.subschema_for::<Message>();
        let task = generator.subschema_for::<Task>();
        let assignment = generator.subschema_for::<AgentAssignment>();
        let branches: Vec<Schema> = [
            ("message.created", &message),
            ("task.created", &task),
            ("task.completed", &task),
            ("task.failed", &task),
            ("agent.assigned", &assignment),
            ("agent.unassigned", &assignment),
        ]
        .into_iter()
        .map(|(event, data)| {
            json_schema!({
                "type": "object",
                "title": event,
                "properties": {
                    "event": { "const": event },
                    "deliveryId": delivery,
                    "timestamp": timestamp,
                    "orgId": org,
                    "projectId": project,
                    "data": data,
                },
                "required": ["event", "data"],
            })
        })
        .collect();
        json_schema!({
            "description": "A Jaibber webhook delivery body. The hub always sends event, deliveryId, timestamp, orgId, projectId and data; receivers accept any of them missing except event and data.",
            "oneOf": branches,
        })
    }
}
