//! Works the inbox: asks the agent, posts the answer back, drives tasks through their
//! lifecycle.
//!
//! Every message the bridge posts has an id derived from the inbox key, so posting it
//! again after a crash is an idempotent upsert, never a duplicate. The agent's answer is
//! stored before anything is posted, so a crash after the agent call never causes a
//! second call. An agent that is down delays work (retries with capped backoff, forever);
//! only answers the agent itself reports as failures count toward `max_attempts`, after
//! which the failure is posted to the channel (and the task marked `failed`).

use std::sync::Arc;
use std::time::{Duration, Instant};

use bridge_core::client::{Client, ClientError};
use bridge_core::model::{CreateMessage, Message, MessageId, MessageQuery, MessageType, ProjectId, Task, UpdateTask};
use bridge_core::routing::{ContextEntry, ConversationContext, ReplyLoopFields, Speaker};
use tokio::sync::{Notify, Semaphore};
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use crate::backend::{AgentReply, AgentRequest, Backend, BackendError, RequestOrigin};
use crate::config::AgentConfig;
use crate::metrics::Metrics;
use crate::store::{Item, ItemKind, Store};

/// One agent with its back-end and concurrency limit.
#[derive(Debug)]
pub struct AgentRuntime {
    /// Its configuration.
    pub config: AgentConfig,
    backend: Backend,
    permits: Arc<Semaphore>,
}

impl AgentRuntime {
    /// Builds the runtime of an agent.
    #[must_use]
    pub fn new(config: AgentConfig) -> Self {
        let backend = Backend::new(config.backend.clone(), config.timeout);
        let permits = Arc::new(Semaphore::new(config.concurrency));
        Self { config, backend, permits }
    }

    /// The back-end.
    #[must_use]
    pub fn backend(&self) -> &Backend {
        &self.backend
    }
}

/// The inbox worker.
#[derive(Debug)]
pub struct Relay {
    /// State.
    pub store: Store,
    /// Jaibber REST client.
    pub client: Client,
    /// The agents.
    pub agents: Vec<Arc<AgentRuntime>>,
    /// Metrics.
    pub metrics: Arc<Metrics>,
    /// Wakes the worker when items arrive.
    pub notify: Arc<Notify>,
    /// Attempts for failures the agent reports.
    pub max_attempts: u32,
    /// In realtime mode: answers to messages are streamed live (typing, chunks,
    /// response) before they are stored.
    pub live: Option<Arc<crate::live::LiveLink>>,
}

/// An id derived from an inbox key, stable across restarts.
#[must_use]
pub fn derived_id(key: &str, purpose: &str) -> MessageId {
    MessageId::new(
        uuid::Uuid::new_v5(&uuid::Uuid::NAMESPACE_URL, format!("jaibber-bridge:{key}:{purpose}").as_bytes())
            .to_string(),
    )
}

fn now_ms() -> i64 {
    i64::try_from(time::OffsetDateTime::now_utc().unix_timestamp_nanos() / 1_000_000).unwrap_or(i64::MAX)
}

fn backoff(attempts: u32) -> Duration {
    let base =
        Duration::from_millis(500).saturating_mul(2u32.saturating_pow(attempts.min(10))).min(Duration::from_secs(60));
    base / 2 + Duration::from_millis(rand::random_range(0..=u64::try_from(base.as_millis() / 2).unwrap_or(0)))
}

enum Outcome {
    Done,
    Retry(String),
    Failed(String),
}

impl Relay {
    /// Runs until `shutdown`, then waits (30 s at most) for calls in flight.
    pub async fn run(self: Arc<Self>, shutdown: CancellationToken) {
        let tracker = TaskTracker::new();
        loop {
            if shutdown.is_cancelled() {
                break;
            }
            let mut next_due: Option<i64> = None;
            for agent in &self.agents {
                let free = agent.permits.available_permits();
                if free > 0 {
                    let lease =
                        i64::try_from((agent.config.timeout + Duration::from_secs(60)).as_millis()).unwrap_or(i64::MAX);
                    match self.store.claim(&agent.config.name.to_lowercase(), free, lease).await {
                        Ok(items) => {
                            tracing::trace!(agent = %agent.config.name, free, claimed = items.len(), "claimed");
                            for item in items {
                                let Ok(permit) = agent.permits.clone().try_acquire_owned() else { break };
                                let (relay, agent) = (self.clone(), agent.clone());
                                tracker.spawn(async move {
                                    relay.process(&agent, item).await;
                                    drop(permit);
                                });
                            }
                        }
                        Err(err) => tracing::warn!(error = %err, "could not read the inbox"),
                    }
                }
                if let Ok(Some(due)) = self.store.next_due(&agent.config.name.to_lowercase()).await {
                    next_due = Some(next_due.map_or(due, |d: i64| d.min(due)));
                }
            }
            let wait = next_due.map_or(Duration::from_secs(2), |due| {
                Duration::from_millis(u64::try_from(due - now_ms()).unwrap_or(0))
                    .clamp(Duration::from_millis(20), Duration::from_secs(2))
            });
            // Every branch only waits; nothing is lost when another one wins.
            tokio::select! {
                () = shutdown.cancelled() => break,
                () = self.notify.notified() => {}
                () = tokio::time::sleep(wait) => {}
            }
        }
        tracker.close();
        if tokio::time::timeout(Duration::from_secs(30), tracker.wait()).await.is_err() {
            tracing::warn!("agent calls still running at shutdown; they resume at the next start");
        }
    }

    #[tracing::instrument(skip_all, fields(key = %item.key, agent = %agent.config.name))]
    async fn process(&self, agent: &AgentRuntime, item: Item) {
        let deregistered =
            self.live.as_ref().is_some_and(|live| !live.active_agents().iter().any(|a| a.name == agent.config.name));
        let outcome = match item.kind {
            _ if deregistered => Outcome::Failed("the agent was deregistered from the channel".into()),
            ItemKind::Message => self.process_message(agent, &item).await,
            ItemKind::Task => self.process_task(agent, &item).await,
        };
        let stored = match outcome {
            Outcome::Done => {
                self.metrics.events_relayed.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                self.store.finish(&item.key, false, None).await
            }
            Outcome::Retry(reason) => {
                let delay = backoff(item.attempts);
                tracing::info!(reason = %reason, ?delay, attempt = item.attempts + 1, "will retry");
                self.store.retry_at(&item.key, now_ms() + i64::try_from(delay.as_millis()).unwrap_or(0), &reason).await
            }
            Outcome::Failed(reason) => {
                tracing::warn!(reason = %reason, "given up");
                self.metrics.events_failed.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                self.store.finish(&item.key, true, Some(&reason)).await
            }
        };
        if let Err(err) = stored {
            tracing::error!(error = %err, "could not record progress; the item is retried when its lease ends");
        }
    }

    /// Asks the agent (unless an answer is already stored) and stores the answer.
    async fn answer(&self, agent: &AgentRuntime, item: &Item, request: AgentRequest) -> Result<AgentReply, Outcome> {
        if let Some(answer) = &item.answer {
            return Ok(if item.needs_input {
                AgentReply::NeedsInput(answer.clone())
            } else {
                AgentReply::Answer(answer.clone())
            });
        }
        let started = Instant::now();
        tracing::debug!("asking the agent");
        let result = tokio::time::timeout(agent.config.timeout, agent.backend.call(&request, &mut |_| {})).await;
        tracing::debug!(elapsed = ?started.elapsed(), ok = matches!(result, Ok(Ok(_))), "agent call returned");
        self.metrics.observe_agent(started.elapsed());
        let reply = match result {
            Ok(Ok(reply)) => reply,
            Ok(Err(err)) => return Err(self.agent_failure(item, &err)),
            Err(_) => {
                return Err(self.agent_failure(
                    item,
                    &BackendError::Unavailable(format!("no answer within {} s", agent.config.timeout.as_secs())),
                ));
            }
        };
        let (text, needs_input) = match &reply {
            AgentReply::Answer(text) => (text.as_str(), false),
            AgentReply::NeedsInput(text) => (text.as_str(), true),
        };
        if let Err(err) = self.store.save_answer(&item.key, text, needs_input).await {
            return Err(Outcome::Retry(format!("could not store the answer: {err}")));
        }
        Ok(reply)
    }

    fn agent_failure(&self, item: &Item, err: &BackendError) -> Outcome {
        self.metrics.agent_errors.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        if err.is_retryable() || item.attempts + 1 < self.max_attempts {
            Outcome::Retry(err.to_string())
        } else {
            Outcome::Failed(err.to_string())
        }
    }

    async fn context(&self, message: &Message, window: usize) -> ConversationContext {
        let mut context = ConversationContext::new(window);
        if window > 1 {
            let query = match &message.created_at {
                Some(at) => MessageQuery::before(at.as_str()),
                None => MessageQuery::latest(),
            }
            .limit(u32::try_from(window - 1).unwrap_or(20).min(100));
            match self.client.list_messages(&message.project_id, &query).await {
                Ok(page) => {
                    for earlier in page.data.iter().rev().filter(|m| m.id != message.id) {
                        context.push(ContextEntry::from_message(earlier));
                    }
                }
                Err(err) => tracing::warn!(error = %err, "could not load context; answering with the message alone"),
            }
        }
        context.push(ContextEntry::from_message(message));
        context
    }

    async fn post(&self, project: &ProjectId, body: &CreateMessage) -> Result<(), Outcome> {
        tracing::debug!(message_id = ?body.id, "posting to the channel");
        match self.client.post_message(project, body).await {
            Ok(_) => Ok(()),
            Err(err) => Err(client_failure(&err)),
        }
    }

    async fn process_message(&self, agent: &AgentRuntime, item: &Item) -> Outcome {
        let message: Message = match serde_json::from_value(item.payload.clone()) {
            Ok(message) => message,
            Err(err) => return Outcome::Failed(format!("stored message does not decode: {err}")),
        };
        let name = &agent.config.name;
        let request = AgentRequest {
            idempotency_key: item.key.clone(),
            agent_name: name.clone(),
            instructions: agent.config.instructions.clone(),
            context: self.context(&message, agent.config.context_messages).await.render(),
            prompt: message.text.clone(),
            kind: "message",
            project_id: message.project_id.to_string(),
            origin: RequestOrigin {
                source_id: message.id.to_string(),
                sender_id: message.sender_id.as_ref().map(ToString::to_string),
                sender_name: Some(message.sender_name.clone()),
                created_at: message.created_at.as_ref().map(|t| t.as_str().to_owned()),
            },
        };
        let loop_fields = ReplyLoopFields::after(
            message.response_depth.unwrap_or(0),
            message.responding_chain.as_deref().unwrap_or(&[]),
            name,
        );
        if let Some(live) = &self.live {
            return self.process_message_live(live, agent, item, &message, request, loop_fields).await;
        }
        let (kind, text, purpose) = match self.answer(agent, item, request).await {
            Ok(AgentReply::Answer(text) | AgentReply::NeedsInput(text)) => (MessageType::Response, text, "reply"),
            Err(Outcome::Failed(reason)) => (MessageType::Error, format!("Agent error: {reason}"), "error"),
            Err(other) => return other,
        };
        let body = CreateMessage::text(text)
            .with_id(derived_id(&item.key, purpose))
            .kind(kind.clone())
            .as_agent(name.clone())
            .in_reply_to(message.id.clone())
            .loop_fields(loop_fields.response_depth, loop_fields.responding_chain);
        match self.post(&message.project_id, &body).await {
            Ok(()) if kind == MessageType::Error => Outcome::Failed("the agent failed; the error was posted".into()),
            Ok(()) => Outcome::Done,
            Err(outcome) => outcome,
        }
    }

    /// Realtime mode: the agent's tokens go out live as they come; the answer is stored in
    /// the inbox, then published as `response` and persisted under the answer's id. A
    /// retry after a crash streams the stored answer instead of asking the agent again.
    async fn process_message_live(
        &self,
        live: &crate::live::LiveLink,
        agent: &AgentRuntime,
        item: &Item,
        message: &Message,
        request: AgentRequest,
        loop_fields: ReplyLoopFields,
    ) -> Outcome {
        use bridge_core::realtime::stream::{CHUNK_EVERY, ReplyEvent, stream_reply_events};
        let reply = bridge_core::routing::reply::ReplyStream {
            from: live.me.user_id.clone(),
            agent_name: agent.config.name.clone(),
            project_id: message.project_id.clone(),
            response_id: derived_id(&item.key, "reply"),
            parent_message_id: Some(message.id.clone()),
            loop_fields,
        };
        let (events, receiver) = tokio::sync::mpsc::unbounded_channel::<ReplyEvent>();
        let tokens = futures_util::stream::unfold(receiver, |mut rx| async move { rx.recv().await.map(|e| (e, rx)) });
        let channel = live.channel(&message.project_id);
        let client = self.client.clone();
        let streamer =
            tokio::spawn(async move { stream_reply_events(&channel, &client, &reply, tokens, CHUNK_EVERY).await });
        let final_event = if let Some(answer) = &item.answer {
            ReplyEvent::Final(answer.clone())
        } else {
            let sender = events.clone();
            let started = Instant::now();
            let mut on_text = |piece: &str| {
                let _ = sender.send(ReplyEvent::Token(piece.to_owned()));
            };
            let call = agent.backend.call(&request, &mut on_text);
            let result = tokio::time::timeout(agent.config.timeout, call).await;
            self.metrics.observe_agent(started.elapsed());
            let failure = match result {
                Ok(Ok(AgentReply::Answer(text) | AgentReply::NeedsInput(text))) => {
                    if let Err(err) = self.store.save_answer(&item.key, &text, false).await {
                        streamer.abort();
                        return Outcome::Retry(format!("could not store the answer: {err}"));
                    }
                    Ok(ReplyEvent::Final(text))
                }
                Ok(Err(err)) => Err(self.agent_failure(item, &err)),
                Err(_) => Err(self.agent_failure(
                    item,
                    &BackendError::Unavailable(format!("no answer within {} s", agent.config.timeout.as_secs())),
                )),
            };
            match failure {
                Ok(event) => event,
                Err(Outcome::Failed(reason)) => ReplyEvent::Failed(format!("Agent error: {reason}")),
                Err(other) => {
                    // Retryable: nothing is stored; the next attempt streams again under the same id.
                    streamer.abort();
                    return other;
                }
            }
        };
        let failed = matches!(final_event, ReplyEvent::Failed(_));
        let _ = events.send(final_event);
        drop(events);
        match streamer.await {
            Ok(Ok(streamed)) => {
                tracing::debug!(
                    chunks = streamed.chunks,
                    publish_failures = streamed.publish_failures,
                    "answer streamed"
                );
                if failed { Outcome::Failed("the agent failed; the error was posted".into()) } else { Outcome::Done }
            }
            Ok(Err(err)) => client_failure(&err),
            Err(err) => Outcome::Retry(format!("streaming task ended: {err}")),
        }
    }

    async fn process_task(&self, agent: &AgentRuntime, item: &Item) -> Outcome {
        let task: Task = match serde_json::from_value(item.payload.clone()) {
            Ok(task) => task,
            Err(err) => return Outcome::Failed(format!("stored task does not decode: {err}")),
        };
        let name = &agent.config.name;
        if item.step < 1 {
            match self.client.update_task(&task.id, &UpdateTask::working()).await {
                Ok(_) => {}
                Err(ClientError::Api { status: 409 | 404, message, .. }) => {
                    tracing::info!(task_id = %task.id, reason = %message, "task is no longer available");
                    return Outcome::Done;
                }
                Err(err) => return client_failure(&err),
            }
            let announce = CreateMessage::text(task.pickup_announcement())
                .with_id(derived_id(&item.key, "announce"))
                .as_agent(name.clone())
                .task_notification();
            if let Err(outcome) = self.post(&task.project_id, &announce).await {
                return outcome;
            }
            if let Err(err) = self.store.set_step(&item.key, 1).await {
                return Outcome::Retry(err.to_string());
            }
        }
        let mut context = ConversationContext::new(1);
        context.push(ContextEntry { speaker: Speaker::User, text: task.prompt() });
        let request = AgentRequest {
            idempotency_key: item.key.clone(),
            agent_name: name.clone(),
            instructions: agent.config.instructions.clone(),
            context: context.render(),
            prompt: task.prompt(),
            kind: "task",
            project_id: task.project_id.to_string(),
            origin: RequestOrigin {
                source_id: task.id.to_string(),
                sender_id: task.created_by.as_ref().map(ToString::to_string),
                sender_name: task.created_by_name.clone(),
                created_at: task.created_at.as_ref().map(|t| t.as_str().to_owned()),
            },
        };
        let loop_fields = ReplyLoopFields::after(0, &[], name);
        let (update, text, kind, purpose) = match self.answer(agent, item, request).await {
            Ok(AgentReply::Answer(text)) => {
                (UpdateTask::completed(text.clone()), text, MessageType::Response, "result")
            }
            Ok(AgentReply::NeedsInput(question)) => {
                (UpdateTask::input_required(question.clone()), question, MessageType::Response, "question")
            }
            Err(Outcome::Failed(reason)) => {
                (UpdateTask::failed(reason.clone()), format!("Task failed: {reason}"), MessageType::Error, "error")
            }
            Err(other) => return other,
        };
        let body = CreateMessage::text(text)
            .with_id(derived_id(&item.key, purpose))
            .kind(kind.clone())
            .as_agent(name.clone())
            .loop_fields(loop_fields.response_depth, loop_fields.responding_chain);
        if let Err(outcome) = self.post(&task.project_id, &body).await {
            return outcome;
        }
        match self.client.update_task(&task.id, &update).await {
            Ok(_) if kind == MessageType::Error => {
                Outcome::Failed("the agent failed; the task is marked failed".into())
            }
            Ok(_) => Outcome::Done,
            Err(ClientError::Api { status: 409 | 404, message, .. }) => {
                tracing::info!(task_id = %task.id, reason = %message, "task changed meanwhile; result posted, status left as is");
                Outcome::Done
            }
            Err(err) => client_failure(&err),
        }
    }
}

fn client_failure(err: &ClientError) -> Outcome {
    if err.is_transient() { Outcome::Retry(err.to_string()) } else { Outcome::Failed(err.to_string()) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn derived_ids_are_stable_and_distinct() {
        assert_eq!(derived_id("message:m1:coder", "reply"), derived_id("message:m1:coder", "reply"));
        assert_ne!(derived_id("message:m1:coder", "reply"), derived_id("message:m1:coder", "error"));
        assert!(uuid::Uuid::parse_str(derived_id("k", "reply").as_str()).is_ok(), "the hub requires UUID ids");
    }

    #[test]
    fn backoff_is_capped() {
        for attempts in 0..40 {
            assert!(backoff(attempts) <= Duration::from_secs(60));
        }
        assert!(backoff(0) >= Duration::from_millis(250));
    }
}
