//! Poll mode: messages and tasks of every project the credential can see (or the
//! configured list), cursors persisted with the items they produced.
//!
//! A project is first polled from "now": history before the bridge's first start is not
//! answered. Submitted tasks assigned to an agent are picked up whenever they were
//! created (they are work waiting to be done).
//!
//! Request budget: messages every round (one request per project), tasks every
//! [`TASKS_EVERY`] (one per project and agent), the project list every
//! [`PROJECTS_EVERY`]. At the default 2 s interval one project with one agent costs about
//! 45 requests a minute, well inside an API key's default 100/min.

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use bridge_core::client::Client;
use bridge_core::model::{MessageQuery, ProjectId, TaskQuery, TaskStatus, Timestamp};
use tokio::sync::Notify;
use tokio_util::sync::CancellationToken;

use crate::config::AgentConfig;
use crate::metrics::Metrics;
use crate::route::{message_items, task_items};
use crate::store::{Ingest, Store, StoreError};

/// What the poller needs.
#[derive(Debug)]
pub struct Poller {
    /// State.
    pub store: Store,
    /// REST client.
    pub client: Client,
    /// The agents.
    pub agents: Vec<AgentConfig>,
    /// Projects to poll (`None`: all visible).
    pub projects: Option<Vec<ProjectId>>,
    /// Interval.
    pub interval: Duration,
    /// Metrics.
    pub metrics: Arc<Metrics>,
    /// Wakes the relay.
    pub notify: Arc<Notify>,
}

/// How often tasks are polled.
pub const TASKS_EVERY: Duration = Duration::from_secs(5);
/// How often the list of visible projects is refreshed.
pub const PROJECTS_EVERY: Duration = Duration::from_secs(30);

/// A poll failure (logged; the next round tries again).
#[derive(Debug, thiserror::Error)]
pub(crate) enum PollError {
    #[error(transparent)]
    Client(#[from] bridge_core::client::ClientError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl Poller {
    /// Polls until `shutdown`.
    pub async fn run(self, shutdown: CancellationToken) {
        let mut projects: Vec<ProjectId> = Vec::new();
        let mut projects_at: Option<tokio::time::Instant> = None;
        let mut tasks_at: Option<tokio::time::Instant> = None;
        loop {
            let refresh = projects_at.is_none_or(|at| at.elapsed() >= PROJECTS_EVERY);
            if refresh {
                match self.projects().await {
                    Ok(list) => {
                        projects = list;
                        projects_at = Some(tokio::time::Instant::now());
                    }
                    Err(err) => tracing::warn!(error = %err, "could not list projects; trying again next round"),
                }
            }
            let with_tasks = tasks_at.is_none_or(|at| at.elapsed() >= TASKS_EVERY);
            if with_tasks {
                tasks_at = Some(tokio::time::Instant::now());
            }
            if let Err(err) = self.round(&projects, with_tasks).await {
                tracing::warn!(error = %err, "poll round failed; trying again next round");
            }
            tokio::select! {
                () = shutdown.cancelled() => break,
                () = tokio::time::sleep(self.interval) => {}
            }
        }
    }

    pub(crate) async fn projects(&self) -> Result<Vec<ProjectId>, PollError> {
        Ok(match &self.projects {
            Some(list) => list.clone(),
            None => self.client.list_projects().await?.into_iter().map(|p| p.id).collect(),
        })
    }

    /// One pass over every project.
    async fn round(&self, projects: &[ProjectId], with_tasks: bool) -> Result<(), PollError> {
        for project in projects {
            self.poll_messages(project).await?;
            if with_tasks {
                self.poll_tasks(project).await?;
            }
        }
        Ok(())
    }

    pub(crate) async fn poll_messages(&self, project: &ProjectId) -> Result<(), PollError> {
        let name = format!("messages:{project}");
        let mut cursor = match self.store.cursor(&name).await? {
            Some(cursor) => cursor,
            None => {
                let latest = self.client.list_messages(project, &MessageQuery::latest().limit(1)).await?;
                let start = latest
                    .pagination
                    .cursor
                    .clone()
                    .or_else(|| latest.data.first().and_then(|m| m.created_at.as_ref()).map(|t| t.as_str().to_owned()))
                    .unwrap_or_else(|| Timestamp::now().as_str().to_owned());
                self.store.ingest(Ingest { cursors: vec![(name.clone(), start.clone())], ..Ingest::default() }).await?;
                start
            }
        };
        loop {
            let page = self.client.list_messages(project, &MessageQuery::after(cursor.clone()).limit(100)).await?;
            if page.data.is_empty() {
                return Ok(());
            }
            let next = page
                .pagination
                .cursor
                .clone()
                .or_else(|| page.data.last().and_then(|m| m.created_at.as_ref()).map(|t| t.as_str().to_owned()))
                .unwrap_or_else(|| cursor.clone());
            let items: Vec<_> = page.data.iter().flat_map(|m| message_items(m, &self.agents)).collect();
            self.metrics.events_received.fetch_add(page.data.len() as u64, Ordering::Relaxed);
            let outcome = self
                .store
                .ingest(Ingest { delivery: None, items, cursors: vec![(name.clone(), next.clone())] })
                .await?;
            if outcome.new_items > 0 {
                self.notify.notify_one();
            }
            if !page.pagination.has_more || next == cursor {
                return Ok(());
            }
            cursor = next;
        }
    }

    pub(crate) async fn poll_tasks(&self, project: &ProjectId) -> Result<(), PollError> {
        for agent in &self.agents {
            let page = self
                .client
                .list_tasks(
                    project,
                    &TaskQuery::with_status(TaskStatus::Submitted).assigned_to(agent.name.clone()).limit(100),
                )
                .await?;
            let items: Vec<_> = page.data.iter().flat_map(|t| task_items(t, std::slice::from_ref(agent))).collect();
            if items.is_empty() {
                continue;
            }
            let outcome = self.store.ingest(Ingest { items, ..Ingest::default() }).await?;
            if outcome.new_items > 0 {
                self.metrics.events_received.fetch_add(outcome.new_items as u64, Ordering::Relaxed);
                self.notify.notify_one();
            }
        }
        Ok(())
    }
}
