//! The fields and payloads of an agent's reply.
//!
//! A reply carries `responseDepth = incoming + 1` and `respondingChain = incoming +
//! [agent name, lower-cased]` (the SDK lower-cases, and other agents compare against
//! that), so the next agent can tell how deep the chain is and who already answered.
//! [`ReplyStream`] builds the realtime payloads of one streamed answer: `typing`, the
//! `chunk`s and the final `response` (or `error`), all with `messageId = responseId`.

use crate::model::Extra;
use crate::model::ids::{MessageId, ProjectId, UserId};
use crate::model::message::{CreateMessage, MessageType};
use crate::model::realtime::{ChatPayload, ChatType};

/// The loop-prevention fields of a reply.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReplyLoopFields {
    /// The reply's depth.
    pub response_depth: u32,
    /// The chain including this agent.
    pub responding_chain: Vec<String>,
}

impl ReplyLoopFields {
    /// Computes the fields of a reply to a message at `incoming_depth` with `incoming_chain`.
    #[must_use]
    pub fn after(incoming_depth: u32, incoming_chain: &[String], agent_name: &str) -> Self {
        let mut responding_chain = incoming_chain.to_vec();
        responding_chain.push(agent_name.trim().to_lowercase());
        Self { response_depth: incoming_depth.saturating_add(1), responding_chain }
    }
}

/// Builds the payloads of one streamed answer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReplyStream {
    /// The agent account's user id (`from`).
    pub from: UserId,
    /// The agent's name.
    pub agent_name: String,
    /// The project.
    pub project_id: ProjectId,
    /// The answer's id: `messageId` of chunks and the response, and the stored id.
    pub response_id: MessageId,
    /// The message being answered.
    pub parent_message_id: Option<MessageId>,
    /// The reply's loop fields.
    pub loop_fields: ReplyLoopFields,
}

impl ReplyStream {
    fn payload(&self, kind: ChatType, message_id: MessageId, text: String) -> ChatPayload {
        ChatPayload {
            from: self.from.clone(),
            from_username: self.agent_name.clone(),
            project_id: self.project_id.clone(),
            text,
            message_id,
            kind,
            response_id: None,
            agent_name: Some(self.agent_name.clone()),
            mentions: None,
            execution_mode: None,
            is_agent_message: None,
            response_depth: None,
            responding_chain: None,
            is_task_notification: None,
            attachments: None,
            parent_message_id: self.parent_message_id.clone(),
            extra: Extra::new(),
        }
    }

    /// The `typing` payload: a fresh `messageId`, `responseId` = the answer's id.
    #[must_use]
    pub fn typing(&self) -> ChatPayload {
        ChatPayload {
            response_id: Some(self.response_id.clone()),
            ..self.payload(ChatType::Typing, MessageId::random(), String::new())
        }
    }

    /// One `chunk` of text.
    #[must_use]
    pub fn chunk(&self, text: impl Into<String>) -> ChatPayload {
        self.payload(ChatType::Chunk, self.response_id.clone(), text.into())
    }

    /// The final `response` with the complete text and the loop fields.
    #[must_use]
    pub fn response(&self, text: impl Into<String>) -> ChatPayload {
        ChatPayload {
            is_agent_message: Some(true),
            response_depth: Some(self.loop_fields.response_depth),
            responding_chain: Some(self.loop_fields.responding_chain.clone()),
            ..self.payload(ChatType::Response, self.response_id.clone(), text.into())
        }
    }

    /// The `error` payload.
    #[must_use]
    pub fn error(&self, text: impl Into<String>) -> ChatPayload {
        ChatPayload {
            is_agent_message: Some(true),
            ..self.payload(ChatType::Error, self.response_id.clone(), text.into())
        }
    }

    /// The REST body that persists the answer under its id (no realtime re-publish).
    pub fn persist(&self, kind: MessageType, text: impl Into<String>) -> CreateMessage {
        let mut body = CreateMessage::text(text)
            .with_id(self.response_id.clone())
            .kind(kind)
            .as_agent(self.agent_name.clone())
            .loop_fields(self.loop_fields.response_depth, self.loop_fields.responding_chain.clone());
        body.parent_message_id.clone_from(&self.parent_message_id);
        body
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loop_fields_extend_depth_and_chain() {
        let fields = ReplyLoopFields::after(1, &["coder".to_owned()], " Reviewer ");
        assert_eq!(
            fields,
            ReplyLoopFields { response_depth: 2, responding_chain: vec!["coder".into(), "reviewer".into()] }
        );
    }

    #[test]
    fn stream_payloads_share_the_response_id() {
        let stream = ReplyStream {
            from: UserId::new("u1"),
            agent_name: "Coder".into(),
            project_id: ProjectId::new("p1"),
            response_id: MessageId::new("r1"),
            parent_message_id: Some(MessageId::new("m0")),
            loop_fields: ReplyLoopFields::after(0, &[], "Coder"),
        };
        let typing = stream.typing();
        assert_eq!(typing.kind, ChatType::Typing);
        assert_eq!(typing.response_id, Some(MessageId::new("r1")));
        assert_ne!(typing.message_id, MessageId::new("r1"));
        assert_eq!(stream.chunk("he").message_id, MessageId::new("r1"));
        let response = stream.response("hello");
        assert_eq!((response.response_depth, response.is_agent_message), (Some(1), Some(true)));
        assert_eq!(response.responding_chain, Some(vec!["coder".to_owned()]));
        let persisted = stream.persist(MessageType::Response, "hello");
        assert_eq!(persisted.id, Some(MessageId::new("r1")));
        assert_eq!(persisted.parent_message_id, Some(MessageId::new("m0")));
        assert_eq!(persisted.response_depth, Some(1));
    }
}
