//! The bridge's realtime side, shared by the receiver and the relay: the connection, who
//! the bridge is, and which agents were told to stop (`deregister`).

use std::collections::HashSet;
use std::sync::Mutex;

use bridge_core::model::{Me, ProjectId};
use bridge_core::realtime::{Channel, Realtime};
use serde_json::{Value, json};

use crate::config::AgentConfig;

/// The realtime connection of a bridge in `realtime` mode.
#[derive(Debug)]
pub struct LiveLink {
    /// The connection.
    pub realtime: Realtime,
    /// The account the bridge acts as (`from` of its live payloads).
    pub me: Me,
    /// Every configured agent.
    pub agents: Vec<AgentConfig>,
    /// Lower-cased names of agents told to stop.
    deregistered: Mutex<HashSet<String>>,
}

impl LiveLink {
    /// A link over `realtime` for `agents`, acting as `me`.
    #[must_use]
    pub fn new(realtime: Realtime, me: Me, agents: Vec<AgentConfig>) -> Self {
        Self { realtime, me, agents, deregistered: Mutex::default() }
    }

    /// A project's channel.
    #[must_use]
    pub fn channel(&self, project: &ProjectId) -> Channel {
        self.realtime.channel(&project.channel_name())
    }

    fn deregistered(&self) -> std::sync::MutexGuard<'_, HashSet<String>> {
        self.deregistered.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// The agents still active.
    #[must_use]
    pub fn active_agents(&self) -> Vec<AgentConfig> {
        let gone = self.deregistered();
        self.agents.iter().filter(|a| !gone.contains(&a.name.to_lowercase())).cloned().collect()
    }

    /// Applies a `deregister` naming `agent` (or every agent when `None`); returns the
    /// names newly stopped.
    pub fn deregister(&self, agent: Option<&str>) -> Vec<String> {
        let mut gone = self.deregistered();
        let mut stopped = Vec::new();
        for config in &self.agents {
            let key = config.name.to_lowercase();
            let named = agent.is_none_or(|a| a.eq_ignore_ascii_case(&config.name));
            if named && gone.insert(key) {
                stopped.push(config.name.clone());
            }
        }
        stopped
    }

    /// The per-project presence data (protocol.md section 5): the first active agent's
    /// name and instructions, and every active agent under `agents`.
    #[must_use]
    pub fn presence_data(&self) -> Value {
        let active = self.active_agents();
        let agents: Vec<Value> = active
            .iter()
            .map(|a| json!({"agentName": a.name, "agentInstructions": a.instructions.clone().unwrap_or_default()}))
            .collect();
        let first = active.first();
        json!({
            "userId": self.me.user_id,
            "username": self.me.username,
            "isAgent": true,
            "agentName": first.map(|a| a.name.clone()),
            "agentInstructions": first.and_then(|a| a.instructions.clone()),
            "machineName": hostname(),
            "agents": agents,
        })
    }
}

fn hostname() -> String {
    std::fs::read_to_string("/etc/hostname").map(|h| h.trim().to_owned()).unwrap_or_else(|_| "jaibber-bridge".into())
}
