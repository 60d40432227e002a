//! Turns: the bridge asks the agent, the engine hands the question to OpenClaw as an
//! `inbound` event and waits for the plugin to stream the answer back
//! (`stream.begin`, `stream.chunk`, `stream.end`).
//!
//! Each call gets a fresh turn id, so a late answer to a call the bridge already gave up
//! on (timeout, retry) can never be mistaken for the answer to the retry; it is refused
//! as an unknown turn.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};

use futures_util::future::BoxFuture;
use jaibber_bridge::backend::{AgentCaller, AgentReply, AgentRequest, BackendError};
use serde::Serialize;
use tokio::sync::mpsc;

use super::EngineEvent;
use super::settings::SessionScope;

/// What OpenClaw is asked: one message or task for one agent.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct InboundTurn {
    /// This turn's id; the answer names it.
    pub turn_id: String,
    /// The account.
    pub account_id: String,
    /// `message` or `task`.
    pub kind: String,
    /// The message or task id.
    pub source_id: String,
    /// The inbox key (stable across retries of the same message for the same agent).
    pub dedup_key: String,
    /// The project.
    pub project_id: String,
    /// The conversation (session peer): the project, or project and sender.
    pub conversation_id: String,
    /// The agent's name.
    pub agent_name: String,
    /// The sender's user id, when known.
    pub sender_id: Option<String>,
    /// The sender's name.
    pub sender_name: Option<String>,
    /// The message text, or `Task: <title>` and the description.
    pub text: String,
    /// What the agent should read: the text, or the channel context ending with it.
    pub body_for_agent: String,
    /// When the message or task was created (RFC 3339).
    pub created_at: Option<String>,
}

/// How the plugin ends a turn.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TurnEnd {
    /// The complete answer.
    Answer(String),
    /// A question back to the humans (a task goes `input-required`).
    NeedsInput(String),
    /// OpenClaw failed; `retryable` asks the bridge to try again later.
    Failed {
        /// What went wrong.
        reason: String,
        /// Whether another attempt may succeed.
        retryable: bool,
    },
}

#[derive(Debug)]
enum TurnUpdate {
    Begin,
    Chunk(String),
    End(TurnEnd),
}

/// The turns in flight of every account.
#[derive(Debug, Default)]
pub struct Turns {
    pending: Mutex<HashMap<String, mpsc::UnboundedSender<TurnUpdate>>>,
}

impl Turns {
    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, mpsc::UnboundedSender<TurnUpdate>>> {
        self.pending.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn send(&self, turn_id: &str, update: TurnUpdate) -> bool {
        self.lock().get(turn_id).is_some_and(|tx| tx.send(update).is_ok())
    }

    /// Marks a turn as taken up by OpenClaw. Returns `false` for an unknown turn.
    pub fn begin(&self, turn_id: &str) -> bool {
        self.send(turn_id, TurnUpdate::Begin)
    }

    /// Adds streamed text. Returns `false` for an unknown turn.
    pub fn chunk(&self, turn_id: &str, text: String) -> bool {
        self.send(turn_id, TurnUpdate::Chunk(text))
    }

    /// Ends a turn. Returns `false` for an unknown turn.
    pub fn end(&self, turn_id: &str, end: TurnEnd) -> bool {
        let sender = self.lock().remove(turn_id);
        sender.is_some_and(|tx| tx.send(TurnUpdate::End(end)).is_ok())
    }

    /// Gives up every turn in flight (the plugin is gone): their calls end as
    /// retryable failures, and the bridge asks again at the next start.
    pub fn abandon_all(&self) {
        self.lock().clear();
    }

    /// Turns in flight.
    #[must_use]
    pub fn in_flight(&self) -> usize {
        self.lock().len()
    }
}

/// Removes a turn from the registry when its call ends, however it ends.
struct TurnGuard<'a> {
    turns: &'a Turns,
    turn_id: String,
}

impl Drop for TurnGuard<'_> {
    fn drop(&mut self) {
        self.turns.lock().remove(&self.turn_id);
    }
}

/// The bridge back-end of one account: every agent call becomes an OpenClaw turn.
pub struct OpenClawCaller {
    /// The account.
    pub account_id: String,
    /// Which session messages land in.
    pub session_scope: SessionScope,
    /// Where `inbound` events go.
    pub events: mpsc::Sender<EngineEvent>,
    /// The registry shared with the RPC side.
    pub turns: Arc<Turns>,
    /// Called when a turn starts and ends (for the account's status).
    pub on_activity: Arc<dyn Fn(Activity) + Send + Sync>,
}

impl std::fmt::Debug for OpenClawCaller {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OpenClawCaller")
            .field("account_id", &self.account_id)
            .field("session_scope", &self.session_scope)
            .finish_non_exhaustive()
    }
}

/// What the caller reports to the account's status.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Activity {
    /// An inbound event went to OpenClaw.
    Inbound,
    /// OpenClaw answered.
    Answered,
}

impl OpenClawCaller {
    fn inbound(&self, turn_id: String, request: &AgentRequest) -> InboundTurn {
        let origin = &request.origin;
        let conversation_id = match (self.session_scope, &origin.sender_id) {
            (SessionScope::Sender, Some(sender)) => format!("{}:{sender}", request.project_id),
            _ => request.project_id.clone(),
        };
        InboundTurn {
            turn_id,
            account_id: self.account_id.clone(),
            kind: request.kind.to_owned(),
            source_id: origin.source_id.clone(),
            dedup_key: request.idempotency_key.clone(),
            project_id: request.project_id.clone(),
            conversation_id,
            agent_name: request.agent_name.clone(),
            sender_id: origin.sender_id.clone(),
            sender_name: origin.sender_name.clone(),
            text: request.prompt.clone(),
            body_for_agent: if request.context.trim().is_empty() {
                request.prompt.clone()
            } else {
                request.context.clone()
            },
            created_at: origin.created_at.clone(),
        }
    }
}

impl AgentCaller for OpenClawCaller {
    fn call<'a>(
        &'a self,
        request: &'a AgentRequest,
        on_text: &'a mut (dyn FnMut(&str) + Send),
    ) -> BoxFuture<'a, Result<AgentReply, BackendError>> {
        Box::pin(async move {
            let turn_id = uuid::Uuid::new_v4().to_string();
            let (tx, mut rx) = mpsc::unbounded_channel();
            self.turns.lock().insert(turn_id.clone(), tx);
            let _guard = TurnGuard { turns: &self.turns, turn_id: turn_id.clone() };
            let inbound = self.inbound(turn_id.clone(), request);
            tracing::debug!(turn_id, source_id = %inbound.source_id, kind = %inbound.kind, "turn handed to OpenClaw");
            if self.events.send(EngineEvent::Inbound(inbound)).await.is_err() {
                return Err(BackendError::Unavailable("the plugin is gone".into()));
            }
            (self.on_activity)(Activity::Inbound);
            loop {
                match rx.recv().await {
                    Some(TurnUpdate::Begin) => tracing::debug!(turn_id, "OpenClaw took the turn"),
                    Some(TurnUpdate::Chunk(text)) => on_text(&text),
                    Some(TurnUpdate::End(end)) => {
                        (self.on_activity)(Activity::Answered);
                        return match end {
                            TurnEnd::Answer(text) => Ok(AgentReply::Answer(text)),
                            TurnEnd::NeedsInput(text) => Ok(AgentReply::NeedsInput(text)),
                            TurnEnd::Failed { reason, retryable: true } => Err(BackendError::Unavailable(reason)),
                            TurnEnd::Failed { reason, retryable: false } => Err(BackendError::Failed(reason)),
                        };
                    }
                    None => return Err(BackendError::Unavailable("the engine is stopping".into())),
                }
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use jaibber_bridge::backend::RequestOrigin;

    fn request() -> AgentRequest {
        AgentRequest {
            idempotency_key: "message:m1:claw".into(),
            agent_name: "Claw".into(),
            instructions: None,
            context: String::new(),
            prompt: "@Claw hi".into(),
            kind: "message",
            project_id: "p1".into(),
            origin: RequestOrigin {
                source_id: "m1".into(),
                sender_id: Some("u1".into()),
                sender_name: Some("alice".into()),
                created_at: None,
            },
        }
    }

    fn caller(scope: SessionScope) -> (OpenClawCaller, mpsc::Receiver<EngineEvent>) {
        let (events, rx) = mpsc::channel(8);
        let caller = OpenClawCaller {
            account_id: "default".into(),
            session_scope: scope,
            events,
            turns: Arc::default(),
            on_activity: Arc::new(|_| {}),
        };
        (caller, rx)
    }

    #[tokio::test]
    async fn a_turn_streams_and_ends() {
        let (caller, mut events) = caller(SessionScope::Sender);
        let turns = caller.turns.clone();
        let answerer = tokio::spawn(async move {
            let Some(EngineEvent::Inbound(turn)) = events.recv().await else { panic!("no inbound") };
            assert_eq!(turn.conversation_id, "p1:u1");
            assert_eq!(turn.body_for_agent, "@Claw hi");
            assert!(turns.begin(&turn.turn_id));
            assert!(turns.chunk(&turn.turn_id, "Hel".into()));
            assert!(turns.chunk(&turn.turn_id, "lo".into()));
            assert!(turns.end(&turn.turn_id, TurnEnd::Answer("Hello".into())));
            assert!(!turns.end(&turn.turn_id, TurnEnd::Answer("again".into())), "a turn ends once");
            turns
        });
        let mut streamed = String::new();
        let request = request();
        let reply = caller.call(&request, &mut |t| streamed.push_str(t)).await.expect("answer");
        assert_eq!(reply, AgentReply::Answer("Hello".into()));
        assert_eq!(streamed, "Hello");
        let turns = answerer.await.expect("answerer");
        assert_eq!(turns.in_flight(), 0);
    }

    #[tokio::test]
    async fn failures_keep_their_retry_class_and_abandoned_turns_are_unknown() {
        let (caller, mut events) = caller(SessionScope::Project);
        let turns = caller.turns.clone();
        let request = request();
        let mut ignore = |_: &str| {};
        let call = caller.call(&request, &mut ignore);
        let answer = async {
            let Some(EngineEvent::Inbound(turn)) = events.recv().await else { panic!("no inbound") };
            assert_eq!(turn.conversation_id, "p1");
            turns.end(&turn.turn_id, TurnEnd::Failed { reason: "model down".into(), retryable: true });
        };
        let (result, ()) = tokio::join!(call, answer);
        assert!(matches!(result, Err(BackendError::Unavailable(r)) if r == "model down"));

        let mut ignore = |_: &str| {};
        let call = caller.call(&request, &mut ignore);
        let turn_id = tokio::select! {
            _ = call => panic!("the call cannot end before an answer"),
            event = events.recv() => match event { Some(EngineEvent::Inbound(turn)) => turn.turn_id, _ => panic!() },
        };
        // The call future was dropped (the bridge timed out): its turn is gone.
        assert!(!turns.chunk(&turn_id, "late".into()));
        assert_eq!(turns.in_flight(), 0);
    }
}
