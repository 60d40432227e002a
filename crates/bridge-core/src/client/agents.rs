//! Agents: registration, heartbeat, discovery and project assignment.

use super::request::{Request, segment};
use super::{Client, ClientError};
use crate::model::agent::{Agent, AssignAgent, DiscoverQuery, Heartbeat, RegisterAgent};
use crate::model::envelope::{Listed, Single};
use crate::model::ids::{AgentId, OrgId, ProjectId};

#[derive(serde::Serialize)]
#[serde(rename_all = "camelCase")]
struct ProjectQuery<'a> {
    project_id: &'a str,
}

impl Client {
    /// Registers an agent in an org (`POST /api/orgs/{org}/agents`); keep the returned id.
    pub async fn register_agent(&self, org: &OrgId, body: &RegisterAgent) -> Result<Agent, ClientError> {
        let request = Request::post(format!("/api/orgs/{}/agents", segment(org.as_str()))).json(body);
        self.send_json::<Single<Agent>>(request).await.map(|s| s.0)
    }

    /// Lists an org's agents (`GET /api/orgs/{org}/agents`).
    pub async fn list_agents(&self, org: &OrgId) -> Result<Vec<Agent>, ClientError> {
        let request = Request::get(format!("/api/orgs/{}/agents", segment(org.as_str())));
        self.send_json::<Listed<Agent>>(request).await.map(|l| l.0)
    }

    /// Records that the agent is alive (`POST /api/agents/{id}/heartbeat`); send every 2 minutes.
    pub async fn heartbeat(&self, agent: &AgentId) -> Result<Heartbeat, ClientError> {
        let request = Request::post(format!("/api/agents/{}/heartbeat", segment(agent.as_str()))).idempotent(true);
        self.send_json(request).await
    }

    /// Finds agents (`GET /api/agents/discover`; public for discoverable agents).
    pub async fn discover_agents(&self, query: &DiscoverQuery) -> Result<Vec<Agent>, ClientError> {
        self.send_json::<Listed<Agent>>(Request::get("/api/agents/discover".into()).query(query)).await.map(|l| l.0)
    }

    /// Puts an agent into a project; idempotent (`POST /api/orgs/{org}/agents/{agentId}/projects`).
    pub async fn assign_agent(&self, org: &OrgId, agent: &AgentId, project: &ProjectId) -> Result<(), ClientError> {
        let path = format!("/api/orgs/{}/agents/{}/projects", segment(org.as_str()), segment(agent.as_str()));
        let body = AssignAgent { project_id: project.clone() };
        self.send_empty(Request::post(path).json(&body).idempotent(true)).await
    }

    /// Takes an agent out of a project (`DELETE …/agents/{agentId}/projects?projectId=`).
    pub async fn unassign_agent(&self, org: &OrgId, agent: &AgentId, project: &ProjectId) -> Result<(), ClientError> {
        let path = format!("/api/orgs/{}/agents/{}/projects", segment(org.as_str()), segment(agent.as_str()));
        self.send_empty(Request::delete(path).query(&ProjectQuery { project_id: project.as_str() })).await
    }
}
