//! Realtime mode: the bridge listens on every project channel, shows its agents in
//! presence, streams answers live (see [`crate::relay`]) and obeys `deregister`.
//!
//! Nothing is missed when the connection drops: on start, on every re-attach that lost
//! continuity (the channel change says `resumed: false`), and once a minute as a safety
//! net, the projects are caught up from REST with the poller's persisted cursors. The
//! inbox dedups by key, so an event seen both live and in history is worked once.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use bridge_core::model::{ChatPayload, ChatType, ProjectId, TaskEvent, TaskEventType, TaskStatus};
use bridge_core::realtime::{ChannelState, Subscription};
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use super::poll::Poller;
use crate::live::LiveLink;
use crate::route::{message_items, task_items};
use crate::store::Ingest;

/// How often projects are caught up from REST even when nothing dropped.
pub const SAFETY_POLL_EVERY: Duration = Duration::from_secs(60);

/// The realtime receiver.
#[derive(Debug)]
pub struct RealtimeReceiver {
    /// Catch-up from REST (its cursors, store, metrics and notify are shared).
    pub poller: Arc<Poller>,
    /// The realtime link.
    pub live: Arc<LiveLink>,
}

impl RealtimeReceiver {
    /// Runs until `shutdown` (or until every agent is deregistered, which cancels it).
    pub async fn run(self, shutdown: CancellationToken) {
        let listeners = TaskTracker::new();
        let mut watched: HashMap<ProjectId, ()> = HashMap::new();
        let mut refresh = tokio::time::interval(super::poll::PROJECTS_EVERY);
        let mut safety = tokio::time::interval(SAFETY_POLL_EVERY);
        safety.tick().await;
        loop {
            tokio::select! {
                () = shutdown.cancelled() => break,
                _ = refresh.tick() => {
                    let projects = match self.poller.projects().await {
                        Ok(projects) => projects,
                        Err(err) => {
                            tracing::warn!(error = %err, "could not list projects; trying again later");
                            continue;
                        }
                    };
                    for project in projects {
                        if watched.insert(project.clone(), ()).is_none() {
                            listeners.spawn(listen(self.poller.clone(), self.live.clone(), project, shutdown.clone()));
                        }
                    }
                }
                _ = safety.tick() => {
                    for project in watched.keys() {
                        catch_up(&self.poller, project).await;
                    }
                }
            }
        }
        listeners.close();
        listeners.wait().await;
        self.live.realtime.close().await;
    }
}

async fn catch_up(poller: &Poller, project: &ProjectId) {
    if let Err(err) = poller.poll_messages(project).await {
        tracing::warn!(%project, error = %err, "catch-up of messages failed; the next one retries");
    }
    if let Err(err) = poller.poll_tasks(project).await {
        tracing::warn!(%project, error = %err, "catch-up of tasks failed; the next one retries");
    }
}

/// Listens on one project channel until shutdown.
#[tracing::instrument(skip_all, fields(%project))]
async fn listen(poller: Arc<Poller>, live: Arc<LiveLink>, project: ProjectId, shutdown: CancellationToken) {
    let channel = live.channel(&project);
    let mut messages = channel.subscribe(Some("message"));
    let mut tasks = channel.subscribe(Some("task"));
    let mut changes = channel.changes();
    let mut delay = Duration::from_millis(500);
    loop {
        match channel.attach().await {
            Ok(()) => break,
            Err(err) => {
                tracing::warn!(error = %err, ?delay, "attach failed; retrying");
                tokio::select! {
                    () = shutdown.cancelled() => return,
                    () = tokio::time::sleep(delay) => delay = (delay * 2).min(Duration::from_secs(30)),
                }
            }
        }
    }
    if let Err(err) = channel.presence().enter(&live.presence_data()).await {
        tracing::warn!(error = %err, "could not enter presence");
    }
    catch_up(&poller, &project).await;
    loop {
        tokio::select! {
            () = shutdown.cancelled() => break,
            message = messages.next() => {
                let Some(message) = message else { break };
                match message.decode_into::<ChatPayload>() {
                    Ok(payload) => on_chat(&poller, &live, &shutdown, payload).await,
                    Err(err) => tracing::debug!(error = %err, "a message event that is not a chat payload"),
                }
            }
            task = tasks.next() => {
                let Some(task) = task else { break };
                match task.decode_into::<TaskEvent>() {
                    Ok(event) => on_task(&poller, &live, event).await,
                    Err(err) => tracing::debug!(error = %err, "a task event that does not decode"),
                }
            }
            change = changes.recv() => {
                if let Ok(change) = change
                    && change.current == ChannelState::Attached
                    && !change.resumed
                {
                    tracing::info!(reason = ?change.reason, "re-attached without continuity; catching up from REST");
                    catch_up(&poller, &project).await;
                }
            }
        }
    }
    let _ = channel.presence().leave().await;
    dropped_report(&messages);
}

fn dropped_report(messages: &Subscription) {
    if messages.dropped() > 0 {
        tracing::warn!(dropped = messages.dropped(), "live messages were dropped; they were caught up from REST");
    }
}

async fn on_chat(poller: &Poller, live: &LiveLink, shutdown: &CancellationToken, payload: ChatPayload) {
    if payload.kind == ChatType::Deregister {
        let stopped = live.deregister(payload.agent_name.as_deref());
        if stopped.is_empty() {
            return;
        }
        tracing::info!(?stopped, "deregistered by the channel");
        if live.active_agents().is_empty() {
            tracing::info!("every agent is deregistered; the bridge stops");
            shutdown.cancel();
        } else {
            let channel = live.channel(&payload.project_id);
            if let Err(err) = channel.presence().update(&live.presence_data()).await {
                tracing::warn!(error = %err, "could not update presence");
            }
        }
        return;
    }
    let Some(message) = payload.to_message() else { return };
    let items = message_items(&message, &live.active_agents());
    poller.metrics.events_received.fetch_add(1, Ordering::Relaxed);
    if items.is_empty() {
        return;
    }
    match poller.store.ingest(Ingest { items, ..Ingest::default() }).await {
        Ok(outcome) if outcome.new_items > 0 => poller.notify.notify_one(),
        Ok(_) => {}
        Err(err) => tracing::error!(error = %err, "could not store a live message; the REST catch-up will bring it"),
    }
}

async fn on_task(poller: &Poller, live: &LiveLink, event: TaskEvent) {
    if !matches!(event.kind, TaskEventType::Created | TaskEventType::Updated)
        || event.task.status != TaskStatus::Submitted
    {
        return;
    }
    let items = task_items(&event.task, &live.active_agents());
    if items.is_empty() {
        return;
    }
    match poller.store.ingest(Ingest { items, ..Ingest::default() }).await {
        Ok(outcome) if outcome.new_items > 0 => {
            poller.metrics.events_received.fetch_add(1, Ordering::Relaxed);
            poller.notify.notify_one();
        }
        Ok(_) => {}
        Err(err) => tracing::error!(error = %err, "could not store a live task; the REST catch-up will bring it"),
    }
}
