//! The conversation context handed to an LLM with each prompt.
//!
//! The last N messages (20 by default) as `User: <text>` and
//! `Assistant (<agent>): <text>` blocks separated by blank lines, preceded by
//! [`CONTEXT_PREAMBLE`], exactly as the SDK and the desktop app format it.

use std::collections::VecDeque;

use crate::model::message::{Message, SenderType};
use crate::model::realtime::ChatPayload;

/// The line that precedes the history.
pub const CONTEXT_PREAMBLE: &str = "Respond ONLY to the final user message. Previous messages are for context.";
/// How many messages the context keeps by default.
pub const DEFAULT_CONTEXT_WINDOW: usize = 20;

/// Who said something.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Speaker {
    /// A human (or an integration).
    User,
    /// An agent, by name.
    Agent(String),
}

/// One line of history.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ContextEntry {
    /// Who said it.
    pub speaker: Speaker,
    /// What was said.
    pub text: String,
}

impl ContextEntry {
    /// Reads a stored message.
    #[must_use]
    pub fn from_message(message: &Message) -> Self {
        let speaker = match message.sender_type {
            SenderType::Agent => Speaker::Agent(message.sender_name.clone()),
            _ => Speaker::User,
        };
        Self { speaker, text: message.text.clone() }
    }

    /// Reads a realtime chat payload.
    #[must_use]
    pub fn from_chat(payload: &ChatPayload) -> Self {
        let speaker = if payload.is_agent_message.unwrap_or(false) {
            Speaker::Agent(payload.agent_name.clone().unwrap_or_else(|| payload.from_username.clone()))
        } else {
            Speaker::User
        };
        Self { speaker, text: payload.text.clone() }
    }
}

/// A bounded window of recent messages.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConversationContext {
    window: usize,
    entries: VecDeque<ContextEntry>,
}

impl Default for ConversationContext {
    fn default() -> Self {
        Self::new(DEFAULT_CONTEXT_WINDOW)
    }
}

impl ConversationContext {
    /// An empty context keeping at most `window` messages.
    #[must_use]
    pub fn new(window: usize) -> Self {
        Self { window: window.max(1), entries: VecDeque::new() }
    }

    /// Adds a message, dropping the oldest beyond the window.
    pub fn push(&mut self, entry: ContextEntry) {
        self.entries.push_back(entry);
        while self.entries.len() > self.window {
            self.entries.pop_front();
        }
    }

    /// Number of messages kept.
    #[must_use]
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Tells whether no message is kept.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Formats the history block (without the preamble), as the SDK does.
    #[must_use]
    pub fn history(&self) -> String {
        self.entries
            .iter()
            .map(|entry| match &entry.speaker {
                Speaker::User => format!("User: {}", entry.text),
                Speaker::Agent(name) if name.is_empty() => format!("Assistant (Agent): {}", entry.text),
                Speaker::Agent(name) => format!("Assistant ({name}): {}", entry.text),
            })
            .collect::<Vec<_>>()
            .join("\n\n")
    }

    /// Formats the full context: the preamble, a blank line, then the history.
    #[must_use]
    pub fn render(&self) -> String {
        if self.entries.is_empty() {
            return CONTEXT_PREAMBLE.to_owned();
        }
        format!("{CONTEXT_PREAMBLE}\n\n{}", self.history())
    }
}

impl FromIterator<ContextEntry> for ConversationContext {
    fn from_iter<I: IntoIterator<Item = ContextEntry>>(iter: I) -> Self {
        let mut context = Self::default();
        for entry in iter {
            context.push(entry);
        }
        context
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_like_the_sdk() {
        let mut context = ConversationContext::new(2);
        context.push(ContextEntry { speaker: Speaker::User, text: "dropped".into() });
        context.push(ContextEntry { speaker: Speaker::User, text: "@Coder fix it".into() });
        context.push(ContextEntry { speaker: Speaker::Agent("Coder".into()), text: "Done.".into() });
        assert_eq!(context.len(), 2);
        assert_eq!(
            context.render(),
            "Respond ONLY to the final user message. Previous messages are for context.\n\nUser: @Coder fix it\n\nAssistant (Coder): Done."
        );
    }
}
