//! Whether an agent answers a message: the SDK's rules, applied the same way to
//! realtime chat payloads and to stored messages (webhook and poll modes).
//!
//! In order: never its own messages; never task announcements; only `message` and
//! `response` (legacy `done`) types; never text over 100,000 characters; never at or
//! beyond the maximum response depth (3); never when its name is already in the
//! responding chain; and only when mentioned, unless the policy answers unmentioned
//! messages, which still never applies to agent-authored ones.

use crate::model::message::{Message, MessageType, SenderType};
use crate::model::realtime::{ChatPayload, ChatType};

use super::mention::mentions;

/// Default cap on agent-to-agent hops.
pub const DEFAULT_MAX_RESPONSE_DEPTH: u32 = 3;
/// Texts longer than this many characters are never answered.
pub const MAX_TEXT_CHARS: usize = 100_000;

/// How one agent decides.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RespondPolicy {
    /// The agent's name.
    pub agent_name: String,
    /// Messages at this depth or deeper are not answered.
    pub max_response_depth: u32,
    /// Also answer human messages that mention nobody in particular (off by default).
    pub answer_unmentioned: bool,
}

impl RespondPolicy {
    /// The SDK defaults for this agent: depth 3, mentions required.
    pub fn new(agent_name: impl Into<String>) -> Self {
        Self {
            agent_name: agent_name.into(),
            max_response_depth: DEFAULT_MAX_RESPONSE_DEPTH,
            answer_unmentioned: false,
        }
    }

    /// Decides about one message.
    #[must_use]
    pub fn decide(&self, incoming: &Incoming<'_>) -> Decision {
        use SkipReason as Skip;
        let skip = Decision::Skip;
        if incoming.from_self {
            return skip(Skip::OwnMessage);
        }
        if incoming.is_task_notification {
            return skip(Skip::TaskNotification);
        }
        if !matches!(incoming.kind, IncomingKind::Message | IncomingKind::Response) {
            return skip(Skip::NotAPrompt);
        }
        let chars = incoming.text.chars().count();
        if chars > MAX_TEXT_CHARS {
            return skip(Skip::TooLong { chars });
        }
        if incoming.response_depth >= self.max_response_depth {
            return skip(Skip::DepthLimit { depth: incoming.response_depth, max: self.max_response_depth });
        }
        let own = self.agent_name.trim().to_lowercase();
        if incoming.responding_chain.iter().any(|name| name.trim().to_lowercase() == own) {
            return skip(Skip::AlreadyInChain);
        }
        if mentions(incoming.text, &self.agent_name) {
            return Decision::Respond;
        }
        if self.answer_unmentioned && !incoming.is_agent_message && incoming.kind == IncomingKind::Message {
            return Decision::Respond;
        }
        skip(Skip::NotMentioned)
    }
}

/// The outcome of [`RespondPolicy::decide`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Decision {
    /// Answer it.
    Respond,
    /// Leave it, for this reason.
    Skip(SkipReason),
}

impl Decision {
    /// Tells whether the agent should answer.
    #[must_use]
    pub fn should_respond(&self) -> bool {
        matches!(self, Self::Respond)
    }
}

/// Why a message is not answered.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SkipReason {
    /// The agent sent it.
    #[error("own message")]
    OwnMessage,
    /// It announces a task pickup.
    #[error("task notification")]
    TaskNotification,
    /// It is a typing, chunk, error or control payload.
    #[error("not a prompt (typing, chunk, error or control)")]
    NotAPrompt,
    /// Its text is too long.
    #[error("text of {chars} characters is over the {MAX_TEXT_CHARS} limit")]
    TooLong {
        /// Its length in characters.
        chars: usize,
    },
    /// The agent chain is already deep enough.
    #[error("response depth {depth} reached the limit of {max}")]
    DepthLimit {
        /// The message's depth.
        depth: u32,
        /// The policy's maximum.
        max: u32,
    },
    /// The agent already answered in this chain.
    #[error("agent already answered in this chain")]
    AlreadyInChain,
    /// It does not mention the agent.
    #[error("agent not mentioned")]
    NotMentioned,
}

/// The kind of an incoming message, across realtime and REST shapes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum IncomingKind {
    /// A prompt or chat line.
    Message,
    /// An agent's answer (including the legacy `done`).
    Response,
    /// Anything else (typing, chunk, error, deregister, unknown).
    Other,
}

/// What the decision looks at, borrowed from a chat payload or a stored message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Incoming<'a> {
    /// The kind.
    pub kind: IncomingKind,
    /// The text.
    pub text: &'a str,
    /// Whether an agent wrote it.
    pub is_agent_message: bool,
    /// Whether it announces a task pickup.
    pub is_task_notification: bool,
    /// Agent hops that led to it.
    pub response_depth: u32,
    /// Agents that already answered in the chain.
    pub responding_chain: &'a [String],
    /// Whether the deciding agent itself sent it.
    pub from_self: bool,
}

impl<'a> Incoming<'a> {
    /// Reads a realtime chat payload; `from_self` is known from the connection id.
    #[must_use]
    pub fn from_chat(payload: &'a ChatPayload, from_self: bool) -> Self {
        let kind = match payload.kind {
            ChatType::Message => IncomingKind::Message,
            ChatType::Response | ChatType::Done => IncomingKind::Response,
            _ => IncomingKind::Other,
        };
        Self {
            kind,
            text: &payload.text,
            is_agent_message: payload.is_agent_message.unwrap_or(false),
            is_task_notification: payload.is_task_notification.unwrap_or(false),
            response_depth: payload.response_depth.unwrap_or(0),
            responding_chain: payload.responding_chain.as_deref().unwrap_or(&[]),
            from_self,
        }
    }

    /// Reads a stored message; it is the agent's own when an agent of that name sent it.
    #[must_use]
    pub fn from_message(message: &'a Message, agent_name: &str) -> Self {
        let is_agent_message = message.sender_type == SenderType::Agent;
        let kind = match message.kind {
            MessageType::Message => IncomingKind::Message,
            MessageType::Response => IncomingKind::Response,
            _ => IncomingKind::Other,
        };
        let from_self =
            is_agent_message && message.sender_name.trim().to_lowercase() == agent_name.trim().to_lowercase();
        Self {
            kind,
            text: &message.text,
            is_agent_message,
            is_task_notification: message.is_task_notification.unwrap_or(false),
            response_depth: message.response_depth.unwrap_or(0),
            responding_chain: message.responding_chain.as_deref().unwrap_or(&[]),
            from_self,
        }
    }
}

/// Tells whether a `deregister` payload addresses this agent (its name, or no name = all).
#[must_use]
pub fn is_deregister_for(payload: &ChatPayload, agent_name: &str) -> bool {
    payload.kind == ChatType::Deregister
        && payload
            .agent_name
            .as_deref()
            .is_none_or(|name| name.trim().to_lowercase() == agent_name.trim().to_lowercase())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn incoming(text: &str) -> Incoming<'_> {
        Incoming {
            kind: IncomingKind::Message,
            text,
            is_agent_message: false,
            is_task_notification: false,
            response_depth: 0,
            responding_chain: &[],
            from_self: false,
        }
    }

    #[test]
    fn answers_only_when_mentioned_by_default() {
        let policy = RespondPolicy::new("Coder");
        assert_eq!(policy.decide(&incoming("@Coder hi")), Decision::Respond);
        assert_eq!(policy.decide(&incoming("hi all")), Decision::Skip(SkipReason::NotMentioned));
        assert_eq!(policy.decide(&incoming("@CoderX hi")), Decision::Skip(SkipReason::NotMentioned));
    }

    #[test]
    fn each_rule_skips() {
        let policy = RespondPolicy::new("Coder");
        let chain = vec!["coder".to_owned()];
        let cases = [
            (Incoming { from_self: true, ..incoming("@Coder") }, SkipReason::OwnMessage),
            (Incoming { is_task_notification: true, ..incoming("@Coder") }, SkipReason::TaskNotification),
            (Incoming { kind: IncomingKind::Other, ..incoming("@Coder") }, SkipReason::NotAPrompt),
            (Incoming { response_depth: 3, ..incoming("@Coder") }, SkipReason::DepthLimit { depth: 3, max: 3 }),
            (Incoming { responding_chain: &chain, ..incoming("@Coder") }, SkipReason::AlreadyInChain),
        ];
        for (message, reason) in cases {
            assert_eq!(policy.decide(&message), Decision::Skip(reason));
        }
        let long = format!("@Coder {}", "x".repeat(MAX_TEXT_CHARS));
        assert!(matches!(policy.decide(&incoming(&long)), Decision::Skip(SkipReason::TooLong { .. })));
    }

    #[test]
    fn agent_chains_are_allowed_below_the_depth() {
        let policy = RespondPolicy::new("Reviewer");
        let chain = vec!["coder".to_owned()];
        let reply = Incoming {
            kind: IncomingKind::Response,
            is_agent_message: true,
            response_depth: 1,
            responding_chain: &chain,
            ..incoming("@Reviewer please check")
        };
        assert_eq!(policy.decide(&reply), Decision::Respond);
    }

    #[test]
    fn unmentioned_policy_still_needs_a_mention_from_agents() {
        let policy = RespondPolicy { answer_unmentioned: true, ..RespondPolicy::new("Coder") };
        assert_eq!(policy.decide(&incoming("anyone?")), Decision::Respond);
        let from_agent = Incoming { is_agent_message: true, ..incoming("anyone?") };
        assert_eq!(policy.decide(&from_agent), Decision::Skip(SkipReason::NotMentioned));
    }

    #[test]
    fn stored_messages_know_their_own_author() {
        let message: Message = serde_json::from_str(
            r#"{"id":"m","projectId":"p","senderType":"agent","senderName":"coder","type":"response","text":"@Coder done"}"#,
        )
        .expect("parses");
        assert_eq!(
            RespondPolicy::new("Coder").decide(&Incoming::from_message(&message, "Coder")),
            Decision::Skip(SkipReason::OwnMessage)
        );
    }
}
