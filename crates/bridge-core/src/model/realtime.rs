//! Payloads published on the realtime project channels (`jaibber:project:{id}`).
//!
//! The Ably message *name* selects the payload: `message` carries a [`ChatPayload`],
//! `task` a [`TaskEvent`]. The Ably protocol frames themselves live with the realtime
//! client, not here.

use std::borrow::Cow;

use schemars::{JsonSchema, Schema, SchemaGenerator, json_schema};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::Extra;
use super::ids::{MessageId, ProjectId, UserId};
use super::message::Attachment;
use super::task::Task;
use super::wire_enum::wire_enum;

wire_enum! {
    /// The `type` of a chat payload.
    pub enum ChatType {
        /// A prompt or chat line.
        Message = "message",
        /// An agent started working on an answer (`responseId` names it).
        Typing = "typing",
        /// A piece of a streamed answer (`messageId` = the answer's id).
        Chunk = "chunk",
        /// The complete answer.
        Response = "response",
        /// The agent failed.
        Error = "error",
        /// Legacy spelling of `response`.
        Done = "done",
        /// An admin asks the named agent (or every agent) to shut down.
        Deregister = "deregister",
    }
}

wire_enum! {
    /// How an agent should act on a prompt.
    pub enum ExecutionMode {
        /// Act directly.
        Auto = "auto",
        /// Propose a plan first.
        Plan = "plan",
    }
}

wire_enum! {
    /// What happened to a task, in a realtime `task` event.
    pub enum TaskEventType {
        /// Created.
        Created = "task-created",
        /// Changed.
        Updated = "task-updated",
        /// Deleted.
        Deleted = "task-deleted",
    }
}

impl ChatType {
    /// Tells whether this type ends a streamed answer (`response`, legacy `done`).
    #[must_use]
    pub fn is_final_answer(&self) -> bool {
        matches!(self, Self::Response | Self::Done)
    }
}

/// The data of a realtime `message` event.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ChatPayload {
    /// The publisher's user id.
    pub from: UserId,
    /// The publisher's display name (the agent name for agents).
    #[serde(default)]
    pub from_username: String,
    /// The project.
    pub project_id: ProjectId,
    /// The text (empty for `typing`).
    #[serde(default)]
    pub text: String,
    /// This message's id; for `chunk`, `response` and `error` the answer's id.
    pub message_id: MessageId,
    /// The kind of payload.
    #[serde(rename = "type")]
    pub kind: ChatType,
    /// On `typing`: the id the answer will carry.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub response_id: Option<MessageId>,
    /// The answering agent's name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub agent_name: Option<String>,
    /// Names mentioned.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mentions: Option<Vec<String>>,
    /// How the agent should act.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub execution_mode: Option<ExecutionMode>,
    /// Set on agent-authored payloads.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub is_agent_message: Option<bool>,
    /// Agent hops that led here.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub response_depth: Option<u32>,
    /// Lower-cased names of agents that already answered in this chain.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub responding_chain: Option<Vec<String>>,
    /// Marks a "Picking up task" announcement; agents never answer those.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub is_task_notification: Option<bool>,
    /// Attached files.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub attachments: Option<Vec<Attachment>>,
    /// The message this one answers.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parent_message_id: Option<MessageId>,
    /// Fields this version does not know.
    #[serde(flatten, default, skip_serializing_if = "Extra::is_empty")]
    pub extra: Extra,
}

impl ChatPayload {
    /// The payload a server publishes for a message stored through REST.
    #[must_use]
    pub fn from_stored(message: &super::message::Message) -> Self {
        use super::message::{MessageType, SenderType};
        let kind = match message.kind {
            MessageType::Response => ChatType::Response,
            MessageType::Error => ChatType::Error,
            _ => ChatType::Message,
        };
        let is_agent = message.sender_type == SenderType::Agent;
        Self {
            from: message.sender_id.clone().unwrap_or_else(|| UserId::new("")),
            from_username: message.sender_name.clone(),
            project_id: message.project_id.clone(),
            text: message.text.clone(),
            message_id: message.id.clone(),
            kind,
            response_id: None,
            agent_name: is_agent.then(|| message.sender_name.clone()),
            mentions: message.mentions.clone(),
            execution_mode: None,
            is_agent_message: is_agent.then_some(true),
            response_depth: message.response_depth,
            responding_chain: message.responding_chain.clone(),
            is_task_notification: message.is_task_notification,
            attachments: message.attachments.clone(),
            parent_message_id: message.parent_message_id.clone(),
            extra: Extra::new(),
        }
    }
}

impl ChatPayload {
    /// The message this payload announces, for `message` and `response`/`error` payloads
    /// (the inverse of [`ChatPayload::from_stored`]); `None` for `typing`, `chunk`,
    /// `deregister` and unknown types. `createdAt` is left unset: the realtime event
    /// carries no server timestamp of the stored message.
    #[must_use]
    pub fn to_message(&self) -> Option<super::message::Message> {
        use super::message::{Message, MessageType, SenderType};
        let kind = match &self.kind {
            ChatType::Message => MessageType::Message,
            ChatType::Response | ChatType::Done => MessageType::Response,
            ChatType::Error => MessageType::Error,
            _ => return None,
        };
        let is_agent = self.is_agent_message == Some(true) || self.agent_name.is_some();
        Some(Message {
            id: self.message_id.clone(),
            project_id: self.project_id.clone(),
            sender_id: (!self.from.as_str().is_empty()).then(|| self.from.clone()),
            sender_type: if is_agent { SenderType::Agent } else { SenderType::User },
            sender_name: self.agent_name.clone().unwrap_or_else(|| self.from_username.clone()),
            kind,
            text: self.text.clone(),
            mentions: self.mentions.clone(),
            parent_message_id: self.parent_message_id.clone(),
            attachments: self.attachments.clone(),
            response_depth: self.response_depth,
            responding_chain: self.responding_chain.clone(),
            is_task_notification: self.is_task_notification,
            created_at: None,
            extra: Extra::new(),
        })
    }
}

/// The data of a realtime `task` event.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct TaskEvent {
    /// What happened.
    #[serde(rename = "type")]
    pub kind: TaskEventType,
    /// The task after the change.
    pub task: Task,
    /// The project.
    pub project_id: ProjectId,
}

/// The Ably message name of chat payloads.
pub const CHAT_EVENT_NAME: &str = "message";
/// The Ably message name of task events.
pub const TASK_EVENT_NAME: &str = "task";

/// A message on a project channel: its Ably name and typed data.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub enum RealtimeMessage {
    /// Name `message`.
    Chat(ChatPayload),
    /// Name `task`.
    Task(TaskEvent),
    /// Any other name, kept as received.
    Unknown {
        /// The Ably message name.
        name: String,
        /// Its data.
        data: Value,
    },
}

impl RealtimeMessage {
    /// Decodes an Ably message from its name and data.
    ///
    /// # Errors
    /// The serde error when the data does not fit the named payload.
    pub fn from_parts(name: &str, data: Value) -> Result<Self, serde_json::Error> {
        Ok(match name {
            CHAT_EVENT_NAME => Self::Chat(serde_json::from_value(data)?),
            TASK_EVENT_NAME => Self::Task(serde_json::from_value(data)?),
            other => Self::Unknown { name: other.to_owned(), data },
        })
    }

    /// Returns the Ably message name.
    #[must_use]
    pub fn name(&self) -> &str {
        match self {
            Self::Chat(_) => CHAT_EVENT_NAME,
            Self::Task(_) => TASK_EVENT_NAME,
            Self::Unknown { name, .. } => name,
        }
    }

    /// Encodes the data as JSON.
    ///
    /// # Errors
    /// Only if a payload holds a value JSON cannot express (it never does).
    pub fn data(&self) -> Result<Value, serde_json::Error> {
        match self {
            Self::Chat(chat) => serde_json::to_value(chat),
            Self::Task(task) => serde_json::to_value(task),
            Self::Unknown { data, .. } => Ok(data.clone()),
        }
    }
}

#[derive(Serialize, Deserialize)]
struct NamedData {
    name: String,
    #[serde(default)]
    data: Value,
}

impl Serialize for RealtimeMessage {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let data = self.data().map_err(serde::ser::Error::custom)?;
        NamedData { name: self.name().to_owned(), data }.serialize(serializer)
    }
}

impl<'de> Deserialize<'de> for RealtimeMessage {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let NamedData { name, data } = NamedData::deserialize(deserializer)?;
        Self::from_parts(&name, data).map_err(serde::de::Error::custom)
    }
}

impl JsonSchema for RealtimeMessage {
    fn schema_name() -> Cow<'static, str> {
        "RealtimeMessage".into()
    }

    fn json_schema(generator: &mut SchemaGenerator) -> Schema {
        let chat = generator.subschema_for::<ChatPayload>();
        let task = generator.subschema_for::<TaskEvent>();
        json_schema!({
            "description": "An Ably message on a project channel: its name and data.",
            "oneOf": [
                {
                    "type": "object",
                    "title": "message",
                    "properties": { "name": { "const": CHAT_EVENT_NAME }, "data": chat },
                    "required": ["name", "data"],
                },
                {
                    "type": "object",
                    "title": "task",
                    "properties": { "name": { "const": TASK_EVENT_NAME }, "data": task },
                    "required": ["name", "data"],
                },
            ],
        })
    }
}
