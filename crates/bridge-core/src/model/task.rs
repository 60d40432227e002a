//! Tasks and their lifecycle.
//!
//! The state machine of protocol.md section 6 lives here, so the hub enforces and the
//! bridges follow the same rules: submitted→working|cancelled;
//! working→completed|failed|input-required|cancelled; input-required→working|cancelled;
//! final states stay final. Setting a task to the status it already has is a no-op,
//! not an error, so a retried request never fails.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::Extra;
use super::ids::{MessageId, ProjectId, TaskId, UserId};
use super::timestamp::Timestamp;
use super::wire_enum::wire_enum;

wire_enum! {
    /// Where a task is in its lifecycle.
    pub enum TaskStatus {
        /// Created, waiting for its agent.
        Submitted = "submitted",
        /// An agent is on it.
        Working = "working",
        /// The agent needs an answer from a human.
        InputRequired = "input-required",
        /// Done, with a result.
        Completed = "completed",
        /// The agent gave up, with the reason.
        Failed = "failed",
        /// Withdrawn.
        Cancelled = "cancelled",
    }
}

wire_enum! {
    /// How urgent a task is.
    pub enum TaskPriority {
        /// Whenever.
        Low = "low",
        /// The default.
        Medium = "medium",
        /// Soon.
        High = "high",
        /// Now.
        Urgent = "urgent",
    }
}

wire_enum! {
    /// Who created a task.
    pub enum CreatorType {
        /// A human.
        User = "user",
        /// An agent (follow-up tasks).
        Agent = "agent",
    }
}

impl Default for TaskPriority {
    fn default() -> Self {
        Self::Medium
    }
}

/// A refused status change: names the statuses that are allowed instead.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("a {from} task cannot become {to}; allowed next: {}", allowed_list(.allowed))]
pub struct IllegalTransition {
    /// The current status.
    pub from: TaskStatus,
    /// The requested status.
    pub to: TaskStatus,
    /// What the current status may become.
    pub allowed: Vec<TaskStatus>,
}

fn allowed_list(allowed: &[TaskStatus]) -> String {
    if allowed.is_empty() {
        "none (it is final)".to_owned()
    } else {
        allowed.iter().map(TaskStatus::as_str).collect::<Vec<_>>().join(", ")
    }
}

impl TaskStatus {
    /// Returns the statuses this one may move to.
    #[must_use]
    pub fn allowed_next(&self) -> &'static [TaskStatus] {
        match self {
            Self::Submitted | Self::InputRequired => &[Self::Working, Self::Cancelled],
            Self::Working => &[Self::Completed, Self::Failed, Self::InputRequired, Self::Cancelled],
            Self::Completed | Self::Failed | Self::Cancelled | Self::Unknown(_) => &[],
        }
    }

    /// Tells whether no further change is allowed.
    #[must_use]
    pub fn is_final(&self) -> bool {
        matches!(self, Self::Completed | Self::Failed | Self::Cancelled)
    }

    /// Checks a status change; staying in the same status is always allowed.
    ///
    /// # Errors
    /// [`IllegalTransition`] naming the allowed statuses.
    pub fn check_transition(&self, to: &TaskStatus) -> Result<(), IllegalTransition> {
        if self == to || self.allowed_next().contains(to) {
            Ok(())
        } else {
            Err(IllegalTransition { from: self.clone(), to: to.clone(), allowed: self.allowed_next().to_vec() })
        }
    }
}

/// A task (`GET /api/projects/{id}/tasks`, `task.*` webhooks, realtime `task` events).
///
/// The webhook guide's payload names the id `taskId`; that spelling is accepted.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Task {
    /// The task's id.
    #[serde(alias = "taskId")]
    pub id: TaskId,
    /// The project it belongs to.
    pub project_id: ProjectId,
    /// A short title.
    pub title: String,
    /// Details for the agent.
    #[serde(default)]
    pub description: Option<String>,
    /// Where it is in its lifecycle.
    pub status: TaskStatus,
    /// How urgent it is.
    #[serde(default)]
    pub priority: TaskPriority,
    /// The agent it is assigned to, by name.
    #[serde(default)]
    pub assigned_agent_name: Option<String>,
    /// The agent's result (completed) or reason (failed).
    #[serde(default)]
    pub result: Option<String>,
    /// Who created it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created_by: Option<UserId>,
    /// Whether a user or an agent created it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created_by_type: Option<CreatorType>,
    /// The creator's display name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created_by_name: Option<String>,
    /// The chat message it came from.
    #[serde(default)]
    pub source_message_id: Option<MessageId>,
    /// The task it follows up on.
    #[serde(default)]
    pub parent_task_id: Option<TaskId>,
    /// When it was created.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created_at: Option<Timestamp>,
    /// When it last changed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub updated_at: Option<Timestamp>,
    /// Fields this version does not know.
    #[serde(flatten, default, skip_serializing_if = "Extra::is_empty")]
    pub extra: Extra,
}

impl Task {
    /// Tells whether an agent of this name should pick the task up now: it is
    /// `submitted` and assigned to that name (case-insensitive).
    #[must_use]
    pub fn is_for_agent(&self, agent_name: &str) -> bool {
        self.status == TaskStatus::Submitted
            && self
                .assigned_agent_name
                .as_deref()
                .is_some_and(|name| name.trim().to_lowercase() == agent_name.trim().to_lowercase())
    }

    /// Builds the agent prompt: `Task: <title>`, a blank line and the description.
    #[must_use]
    pub fn prompt(&self) -> String {
        match self.description.as_deref().filter(|d| !d.trim().is_empty()) {
            Some(description) => format!("Task: {}\n\n{}", self.title, description),
            None => format!("Task: {}", self.title),
        }
    }

    /// Builds the announcement an agent posts when it picks the task up.
    #[must_use]
    pub fn pickup_announcement(&self) -> String {
        format!("Picking up task: **{}**", self.title)
    }
}

/// Body of `POST /api/projects/{id}/tasks`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
#[must_use]
pub struct CreateTask {
    /// A short title.
    pub title: String,
    /// Details for the agent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Urgency; `medium` when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub priority: Option<TaskPriority>,
    /// The agent to assign, by name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub assigned_agent_name: Option<String>,
    /// The task this one follows up on.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parent_task_id: Option<TaskId>,
    /// `agent` for follow-up tasks created by an agent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created_by_type: Option<CreatorType>,
    /// The creating agent's name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created_by_name: Option<String>,
    /// The chat message the task came from.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source_message_id: Option<MessageId>,
    /// Fields this version does not know (the reference's `status: "submitted"`), ignored.
    #[serde(flatten, default, skip_serializing_if = "Extra::is_empty")]
    pub extra: Extra,
}

impl CreateTask {
    /// Starts a task with this title.
    pub fn new(title: impl Into<String>) -> Self {
        Self { title: title.into(), ..Self::default() }
    }

    /// Sets the description.
    pub fn description(mut self, description: impl Into<String>) -> Self {
        self.description = Some(description.into());
        self
    }

    /// Sets the priority.
    pub fn priority(mut self, priority: TaskPriority) -> Self {
        self.priority = Some(priority);
        self
    }

    /// Assigns it to an agent by name.
    pub fn assign_to(mut self, agent_name: impl Into<String>) -> Self {
        self.assigned_agent_name = Some(agent_name.into());
        self
    }

    /// Marks it as a follow-up created by an agent.
    pub fn follow_up_of(mut self, parent: TaskId, agent_name: impl Into<String>) -> Self {
        self.parent_task_id = Some(parent);
        self.created_by_type = Some(CreatorType::Agent);
        self.created_by_name = Some(agent_name.into());
        self
    }
}

/// Body of `PATCH /api/tasks/{taskId}`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
#[must_use]
pub struct UpdateTask {
    /// A new status (checked against the state machine).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<TaskStatus>,
    /// A new priority.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub priority: Option<TaskPriority>,
    /// A new assignee.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub assigned_agent_name: Option<String>,
    /// The result or failure reason.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub result: Option<String>,
}

impl UpdateTask {
    /// Moves the task to a status.
    pub fn status(status: TaskStatus) -> Self {
        Self { status: Some(status), ..Self::default() }
    }

    /// `working`: the agent picked it up.
    pub fn working() -> Self {
        Self::status(TaskStatus::Working)
    }

    /// `completed` with the agent's result.
    pub fn completed(result: impl Into<String>) -> Self {
        Self { result: Some(result.into()), ..Self::status(TaskStatus::Completed) }
    }

    /// `failed` with the reason.
    pub fn failed(reason: impl Into<String>) -> Self {
        Self { result: Some(reason.into()), ..Self::status(TaskStatus::Failed) }
    }

    /// `input-required` with the agent's question.
    pub fn input_required(question: impl Into<String>) -> Self {
        Self { result: Some(question.into()), ..Self::status(TaskStatus::InputRequired) }
    }
}

/// Query of `GET /api/projects/{id}/tasks`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
#[must_use]
pub struct TaskQuery {
    /// Tasks before this cursor, newest first.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub before: Option<String>,
    /// Tasks updated after this cursor, oldest first (hub extension, for pollers).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub after: Option<String>,
    /// Only tasks in this status.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<TaskStatus>,
    /// Only tasks assigned to this agent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub assigned_agent_name: Option<String>,
    /// Page size (50 by default, at most 100).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub limit: Option<u32>,
}

impl TaskQuery {
    /// Tasks in a status.
    pub fn with_status(status: TaskStatus) -> Self {
        Self { status: Some(status), ..Self::default() }
    }

    /// Restricts to one assignee.
    pub fn assigned_to(mut self, agent_name: impl Into<String>) -> Self {
        self.assigned_agent_name = Some(agent_name.into());
        self
    }

    /// Sets the page size.
    pub fn limit(mut self, limit: u32) -> Self {
        self.limit = Some(limit);
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn transitions_follow_the_protocol() {
        use TaskStatus::{Cancelled, Completed, Failed, InputRequired, Submitted, Working};
        let allowed = [
            (Submitted, Working),
            (Submitted, Cancelled),
            (Working, Completed),
            (Working, Failed),
            (Working, InputRequired),
            (Working, Cancelled),
            (InputRequired, Working),
            (InputRequired, Cancelled),
        ];
        for from in TaskStatus::KNOWN {
            for to in TaskStatus::KNOWN {
                let expected = from == to || allowed.contains(&(from.clone(), to.clone()));
                assert_eq!(from.check_transition(to).is_ok(), expected, "{from} -> {to}");
            }
        }
    }

    #[test]
    fn illegal_transition_names_the_allowed_ones() {
        let err = TaskStatus::Submitted.check_transition(&TaskStatus::Completed).expect_err("illegal");
        assert_eq!(err.to_string(), "a submitted task cannot become completed; allowed next: working, cancelled");
        let err = TaskStatus::Completed.check_transition(&TaskStatus::Working).expect_err("final");
        assert!(err.to_string().ends_with("none (it is final)"), "{err}");
    }

    #[test]
    fn prompt_and_announcement() {
        let mut task: Task = serde_json::from_str(
            r#"{"id":"t","projectId":"p","title":"Add rate limiting","status":"submitted","assignedAgentName":"coder"}"#,
        )
        .expect("parses");
        assert_eq!(task.prompt(), "Task: Add rate limiting");
        task.description = Some("Use a token bucket.".into());
        assert_eq!(task.prompt(), "Task: Add rate limiting\n\nUse a token bucket.");
        assert_eq!(task.pickup_announcement(), "Picking up task: **Add rate limiting**");
        assert!(task.is_for_agent("Coder"));
        assert!(!task.is_for_agent("Coders"));
        task.status = TaskStatus::Working;
        assert!(!task.is_for_agent("Coder"));
    }
}
