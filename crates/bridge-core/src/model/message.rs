//! Chat messages as stored and served over REST ("server messages").

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::Extra;
use super::ids::{AttachmentId, MessageId, ProjectId, UserId};
use super::timestamp::Timestamp;
use super::wire_enum::wire_enum;

wire_enum! {
    /// Who sent a message.
    pub enum SenderType {
        /// A human, through the app.
        User = "user",
        /// An agent.
        Agent = "agent",
        /// An integration, through an API key.
        Api = "api",
    }
}

wire_enum! {
    /// The kind of a stored message.
    pub enum MessageType {
        /// A prompt or chat line.
        Message = "message",
        /// An agent's answer.
        Response = "response",
        /// An agent's failure report.
        Error = "error",
    }
}

impl Default for SenderType {
    fn default() -> Self {
        Self::User
    }
}

impl Default for MessageType {
    fn default() -> Self {
        Self::Message
    }
}

/// A file attached to a message.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Attachment {
    /// The attachment's id.
    pub id: AttachmentId,
    /// The original file name.
    pub filename: String,
    /// The MIME type.
    pub mime_type: String,
    /// Size in bytes.
    pub file_size: u64,
    /// Where the file can be downloaded.
    pub blob_url: String,
}

/// A stored chat message (`GET /api/projects/{id}/messages`, `message.created`).
///
/// Accepts both documented body styles: `senderId`/`senderName` (reference) and
/// `from`/`fromUsername` (api.md). The loop-prevention fields (`responseDepth`,
/// `respondingChain`, `isTaskNotification`) are a hub extension that the hosted
/// service does not send; they are optional everywhere.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Message {
    /// The message's id.
    pub id: MessageId,
    /// The project it was posted in.
    pub project_id: ProjectId,
    /// The author's user id (for API and agent messages, the key's or agent's account).
    #[serde(default, alias = "from", skip_serializing_if = "Option::is_none")]
    pub sender_id: Option<UserId>,
    /// What kind of author sent it.
    #[serde(default)]
    pub sender_type: SenderType,
    /// The author's display name (an agent's name for agent messages).
    #[serde(default, alias = "fromUsername")]
    pub sender_name: String,
    /// The kind of message.
    #[serde(rename = "type", default)]
    pub kind: MessageType,
    /// The text.
    pub text: String,
    /// Lower-cased names mentioned with `@`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mentions: Option<Vec<String>>,
    /// The message this one answers.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parent_message_id: Option<MessageId>,
    /// Attached files.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub attachments: Option<Vec<Attachment>>,
    /// How many agent hops led to this message (hub extension; 0 for a human's).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub response_depth: Option<u32>,
    /// Lower-cased names of the agents that already answered in this chain (hub extension).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub responding_chain: Option<Vec<String>>,
    /// Marks an agent's "Picking up task" announcement (hub extension).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub is_task_notification: Option<bool>,
    /// When it was stored.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created_at: Option<Timestamp>,
    /// Fields this version does not know.
    #[serde(flatten, default, skip_serializing_if = "Extra::is_empty")]
    pub extra: Extra,
}

/// Body of `POST /api/projects/{id}/messages`.
///
/// With `id` set, the server upserts idempotently and does not re-publish the message
/// on the realtime channel (the client already streamed it).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
#[must_use]
pub struct CreateMessage {
    /// A client-chosen id: makes the request an idempotent upsert.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<MessageId>,
    /// The text.
    pub text: String,
    /// The kind; `message` when absent.
    #[serde(rename = "type", default, skip_serializing_if = "Option::is_none")]
    pub kind: Option<MessageType>,
    /// Display name for API and agent messages.
    #[serde(default, alias = "fromUsername", skip_serializing_if = "Option::is_none")]
    pub sender_name: Option<String>,
    /// `agent` or `api`; derived from the credential when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sender_type: Option<SenderType>,
    /// Names mentioned; parsed from the text when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mentions: Option<Vec<String>>,
    /// The message this one answers.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parent_message_id: Option<MessageId>,
    /// Agent-hop depth of this message (hub extension).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub response_depth: Option<u32>,
    /// Agents that already answered in this chain (hub extension).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub responding_chain: Option<Vec<String>>,
    /// Marks a task announcement (hub extension).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub is_task_notification: Option<bool>,
    /// Fields this version does not know (e.g. api.md's `from`), kept and ignored.
    #[serde(flatten, default, skip_serializing_if = "Extra::is_empty")]
    pub extra: Extra,
}

impl CreateMessage {
    /// Starts a plain message with this text.
    pub fn text(text: impl Into<String>) -> Self {
        Self { text: text.into(), ..Self::default() }
    }

    /// Sets a client-chosen id (idempotent upsert, no realtime re-publish).
    pub fn with_id(mut self, id: MessageId) -> Self {
        self.id = Some(id);
        self
    }

    /// Sets the message kind.
    pub fn kind(mut self, kind: MessageType) -> Self {
        self.kind = Some(kind);
        self
    }

    /// Posts as an agent with this name.
    pub fn as_agent(mut self, agent_name: impl Into<String>) -> Self {
        self.sender_type = Some(SenderType::Agent);
        self.sender_name = Some(agent_name.into());
        self
    }

    /// Sets the sender display name.
    pub fn sender_name(mut self, name: impl Into<String>) -> Self {
        self.sender_name = Some(name.into());
        self
    }

    /// Marks this as the answer to a message.
    pub fn in_reply_to(mut self, parent: MessageId) -> Self {
        self.parent_message_id = Some(parent);
        self
    }

    /// Sets the loop-prevention fields of a reply.
    pub fn loop_fields(mut self, depth: u32, chain: Vec<String>) -> Self {
        self.response_depth = Some(depth);
        self.responding_chain = Some(chain);
        self
    }

    /// Marks this as a task announcement.
    pub fn task_notification(mut self) -> Self {
        self.is_task_notification = Some(true);
        self
    }
}

/// Query of `GET /api/projects/{id}/messages`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
#[must_use]
pub struct MessageQuery {
    /// Messages strictly before this cursor or timestamp, newest first.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub before: Option<String>,
    /// Messages strictly after this cursor or timestamp, oldest first.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub after: Option<String>,
    /// Page size: 50 by default, at most 100.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub limit: Option<u32>,
    /// Only messages from this kind of sender.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sender_type: Option<SenderType>,
}

impl MessageQuery {
    /// Newest messages first (the default order).
    pub fn latest() -> Self {
        Self::default()
    }

    /// Messages after a cursor, oldest first: what a poller uses.
    pub fn after(cursor: impl Into<String>) -> Self {
        Self { after: Some(cursor.into()), ..Self::default() }
    }

    /// Messages before a cursor, newest first.
    pub fn before(cursor: impl Into<String>) -> Self {
        Self { before: Some(cursor.into()), ..Self::default() }
    }

    /// Sets the page size.
    pub fn limit(mut self, limit: u32) -> Self {
        self.limit = Some(limit);
        self
    }

    /// Filters by sender type.
    pub fn sender_type(mut self, sender_type: SenderType) -> Self {
        self.sender_type = Some(sender_type);
        self
    }
}
