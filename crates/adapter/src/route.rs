//! Turns Jaibber messages and tasks into inbox items for the agents that should act.

use bridge_core::model::{Message, Task};
use bridge_core::routing::Incoming;

use crate::config::AgentConfig;
use crate::store::{ItemKind, NewItem};

/// The inbox key of a message for an agent.
#[must_use]
pub fn message_key(message: &Message, agent: &str) -> String {
    format!("message:{}:{}", message.id, agent.to_lowercase())
}

/// Items for every agent that should answer this message (protocol.md section 6).
#[must_use]
pub fn message_items(message: &Message, agents: &[AgentConfig]) -> Vec<NewItem> {
    agents
        .iter()
        .filter(|agent| {
            let decision = agent.policy.decide(&Incoming::from_message(message, &agent.name));
            if !decision.should_respond() {
                tracing::debug!(message_id = %message.id, agent = %agent.name, ?decision, "not for this agent");
            }
            decision.should_respond()
        })
        .map(|agent| NewItem {
            key: message_key(message, &agent.name),
            agent: agent.name.to_lowercase(),
            kind: ItemKind::Message,
            payload: serde_json::to_value(message).unwrap_or_default(),
        })
        .collect()
}

/// Items for the agent a submitted task is assigned to.
#[must_use]
pub fn task_items(task: &Task, agents: &[AgentConfig]) -> Vec<NewItem> {
    agents
        .iter()
        .filter(|agent| task.is_for_agent(&agent.name))
        .map(|agent| NewItem {
            key: format!("task:{}:{}", task.id, agent.name.to_lowercase()),
            agent: agent.name.to_lowercase(),
            kind: ItemKind::Task,
            payload: serde_json::to_value(task).unwrap_or_default(),
        })
        .collect()
}
