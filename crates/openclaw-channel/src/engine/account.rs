//! One running account: a `jaibber-bridge` whose agent is OpenClaw.
//!
//! The bridge does the protocol work: realtime listening with REST catch-up (or
//! polling), the routing rules, the durable inbox that remembers every message it
//! has handled (so a restart never answers twice), live streaming of answers, task
//! pickup and status, presence and agent registration. The account adds what the
//! plugin needs to see: its connection state, last error and activity times.

use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use bridge_core::client::{Client, ClientError};
use bridge_core::model::{Me, OrgId, ProjectId};
use bridge_core::realtime::ConnectionState;
use jaibber_bridge::backend::ExternalAgent;
use jaibber_bridge::bridge::BridgeObserver;
use jaibber_bridge::config::{AgentConfig, BackendConfig, BridgeConfig, Mode};
use serde::Serialize;
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use super::settings::AccountSettings;
use super::turns::{Activity, OpenClawCaller, Turns};
use super::{EngineError, EngineEvent, now_ms, outbound};

/// Facts about an account that change while it runs.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AccountState {
    /// The account.
    pub account_id: String,
    /// Whether its bridge is running.
    pub running: bool,
    /// Whether it is connected (realtime: the connection is up; polling: running).
    pub connected: bool,
    /// `connecting`, `connected`, `disconnected`, `suspended`, `failed`, `polling` or `stopped`.
    pub connection_state: String,
    /// The last error, if any.
    pub last_error: Option<String>,
    /// When a message was last handed to OpenClaw (ms since the epoch).
    pub last_inbound_at: Option<u64>,
    /// When an answer or a send last went out (ms since the epoch).
    pub last_outbound_at: Option<u64>,
}

/// A started account.
#[derive(Debug)]
pub struct Account {
    /// The account id.
    pub id: String,
    /// Its settings.
    pub settings: AccountSettings,
    /// Its REST client.
    pub client: Client,
    /// Who the credential is.
    pub me: Me,
    /// The projects served (`None`: every visible one).
    pub projects: Option<Vec<ProjectId>>,
    /// The bridge's health endpoint (`/healthz`, `/metrics`).
    pub health_url: String,
    observer: Arc<BridgeObserver>,
    state: Arc<Mutex<AccountState>>,
    events: mpsc::Sender<EngineEvent>,
    cancel: CancellationToken,
    tasks: TaskTracker,
}

/// Builds the REST client of `settings` (validated first).
///
/// # Errors
/// [`EngineError::BadConfig`] for invalid settings.
pub fn client_for(settings: &AccountSettings) -> Result<Client, EngineError> {
    settings.validate().map_err(EngineError::BadConfig)?;
    Client::builder(settings.hub())
        .credential(settings.credential())
        .timeout(Duration::from_secs(30))
        .user_agent(concat!("jaibber-openclaw/", env!("CARGO_PKG_VERSION")))
        .build()
        .map_err(|err| EngineError::BadConfig(format!("hubUrl: {err}")))
}

/// Who the credential is; a refused credential is a configuration error.
pub(crate) async fn identify(client: &Client) -> Result<Me, EngineError> {
    client.me().await.map_err(|err| match err {
        ClientError::Api { status: 401 | 403, .. } => {
            EngineError::BadConfig(format!("the hub refused the credential ({err}); check apiKey or token"))
        }
        other => EngineError::hub(&other),
    })
}

/// The configured projects (ids or names) as ids; one the hub does not show is a
/// configuration error naming the projects it does show.
pub(crate) async fn resolve_projects(client: &Client, targets: &[String]) -> Result<Vec<ProjectId>, EngineError> {
    let mut projects = Vec::new();
    for target in targets {
        let resolved = outbound::resolve_target(client, target).await.map_err(|err| match err {
            EngineError::UnknownTarget(why) => EngineError::BadConfig(format!("projects: {why}")),
            other => other,
        })?;
        projects.push(ProjectId::new(resolved.project_id));
    }
    Ok(projects)
}

fn state_name(state: ConnectionState) -> &'static str {
    match state {
        ConnectionState::Initialized | ConnectionState::Connecting => "connecting",
        ConnectionState::Connected => "connected",
        ConnectionState::Disconnected => "disconnected",
        ConnectionState::Suspended => "suspended",
        ConnectionState::Closing | ConnectionState::Closed => "closed",
        _ => "failed",
    }
}

impl Account {
    /// Starts an account: checks the credential and the projects, then runs its bridge
    /// with state under `state_dir`.
    ///
    /// # Errors
    /// [`EngineError::BadConfig`] for settings to fix, [`EngineError::Hub`] when the hub
    /// cannot be reached (worth retrying).
    pub async fn start(
        id: String,
        settings: AccountSettings,
        state_dir: &std::path::Path,
        events: mpsc::Sender<EngineEvent>,
        turns: Arc<Turns>,
    ) -> Result<Arc<Self>, EngineError> {
        let client = client_for(&settings)?;
        let me = identify(&client).await?;
        let projects = resolve_projects(&client, &settings.projects).await?;
        let projects = (!projects.is_empty()).then_some(projects);
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .map_err(|err| EngineError::Internal(format!("binding the health listener: {err}")))?;
        let health_url = listener.local_addr().map(|a| format!("http://{a}")).unwrap_or_default();

        let state = Arc::new(Mutex::new(AccountState {
            account_id: id.clone(),
            running: true,
            connection_state: if settings.realtime { "connecting" } else { "polling" }.into(),
            connected: !settings.realtime,
            ..AccountState::default()
        }));
        let on_activity = {
            let state = state.clone();
            Arc::new(move |activity: Activity| {
                let mut state = state.lock().unwrap_or_else(PoisonError::into_inner);
                match activity {
                    Activity::Inbound => state.last_inbound_at = Some(now_ms()),
                    Activity::Answered => state.last_outbound_at = Some(now_ms()),
                }
            })
        };
        let caller = OpenClawCaller {
            account_id: id.clone(),
            session_scope: settings.session_scope,
            events: events.clone(),
            turns,
            on_activity,
        };
        let config = BridgeConfig {
            hub: settings.hub(),
            credential: settings.credential(),
            mode: if settings.realtime { Mode::Realtime } else { Mode::Poll },
            state_dir: state_dir.join(sanitize(&id)),
            listen: health_url.clone(),
            webhook_secrets: Vec::new(),
            public_url: None,
            org_id: settings.org_id.as_deref().map(OrgId::new),
            project_ids: projects.clone(),
            poll_interval: Duration::from_millis(settings.poll_interval_ms.max(200)),
            max_attempts: 3,
            timestamp_tolerance: None,
            max_body_bytes: 1024 * 1024,
            heartbeat: Duration::from_secs(120),
            agents: vec![AgentConfig {
                name: settings.agent_name.trim().to_owned(),
                instructions: settings.agent_instructions.clone(),
                policy: settings.policy(),
                context_messages: settings.context_messages.max(1),
                concurrency: settings.concurrency,
                timeout: settings.turn_timeout(),
                backend: BackendConfig::External(ExternalAgent(Arc::new(caller))),
            }],
        };
        let account = Arc::new(Self {
            id,
            settings,
            client,
            me,
            projects,
            health_url,
            observer: Arc::default(),
            state,
            events,
            cancel: CancellationToken::new(),
            tasks: TaskTracker::new(),
        });
        account.spawn_bridge(config, listener);
        if account.settings.realtime {
            account.spawn_state_watch();
        }
        tracing::info!(account_id = %account.id, agent = %account.settings.agent_name, "account started");
        Ok(account)
    }

    fn spawn_bridge(self: &Arc<Self>, config: BridgeConfig, listener: tokio::net::TcpListener) {
        let account = self.clone();
        self.tasks.spawn(async move {
            let result = jaibber_bridge::bridge::run_observed(
                config,
                listener,
                account.cancel.clone(),
                account.observer.clone(),
            )
            .await;
            let error = result.err().map(|err| error_chain(&err));
            if let Some(error) = &error {
                tracing::error!(account_id = %account.id, error = %error, "the account's bridge stopped");
            }
            account.update(|state| {
                state.running = false;
                state.connected = false;
                state.connection_state = "stopped".into();
                if error.is_some() {
                    state.last_error.clone_from(&error);
                }
            });
        });
    }

    /// Forwards the realtime connection's state changes as `account.state` events.
    fn spawn_state_watch(self: &Arc<Self>) {
        let account = self.clone();
        self.tasks.spawn(async move {
            let live = loop {
                if let Some(live) = account.observer.live() {
                    break live.clone();
                }
                tokio::select! {
                    () = account.cancel.cancelled() => return,
                    () = tokio::time::sleep(Duration::from_millis(50)) => {}
                }
            };
            let mut changes = live.realtime.changes();
            account.apply_connection(live.realtime.state(), None);
            loop {
                tokio::select! {
                    () = account.cancel.cancelled() => return,
                    change = changes.recv() => match change {
                        Ok(change) => account.apply_connection(change.current, change.reason.map(|r| r.to_string())),
                        Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => {
                            account.apply_connection(live.realtime.state(), None);
                        }
                        Err(tokio::sync::broadcast::error::RecvError::Closed) => return,
                    },
                }
            }
        });
    }

    fn apply_connection(&self, current: ConnectionState, reason: Option<String>) {
        self.update(|state| {
            state.connection_state = state_name(current).into();
            state.connected = current == ConnectionState::Connected;
            if reason.is_some() && current != ConnectionState::Connected {
                state.last_error = reason;
            }
        });
    }

    /// Changes the state and tells the plugin.
    fn update(&self, change: impl FnOnce(&mut AccountState)) {
        let snapshot = {
            let mut state = self.state.lock().unwrap_or_else(PoisonError::into_inner);
            let before = state.clone();
            change(&mut state);
            (*state != before).then(|| state.clone())
        };
        if let Some(snapshot) = snapshot {
            let _ = self.events.try_send(EngineEvent::AccountState(snapshot));
        }
    }

    /// Records an outbound send.
    pub fn sent(&self) {
        self.update(|state| state.last_outbound_at = Some(now_ms()));
    }

    /// The current state.
    #[must_use]
    pub fn state(&self) -> AccountState {
        self.state.lock().unwrap_or_else(PoisonError::into_inner).clone()
    }

    /// Answers and task results posted, and items given up on.
    #[must_use]
    pub fn counters(&self) -> (u64, u64) {
        self.observer.metrics().map_or((0, 0), |m| {
            (
                m.events_relayed.load(std::sync::atomic::Ordering::Relaxed),
                m.events_failed.load(std::sync::atomic::Ordering::Relaxed),
            )
        })
    }

    /// Whether the agent shows in each project's presence (realtime mode only).
    pub async fn presence(&self) -> Vec<(ProjectId, bool)> {
        let Some(live) = self.observer.live() else { return Vec::new() };
        let projects = match &self.projects {
            Some(projects) => projects.clone(),
            None => match self.client.list_projects().await {
                Ok(list) => list.into_iter().map(|p| p.id).collect(),
                Err(_) => return Vec::new(),
            },
        };
        let mut out = Vec::new();
        for project in projects {
            let members = tokio::time::timeout(Duration::from_secs(2), live.channel(&project).presence().get()).await;
            let online = matches!(members, Ok(Ok(members)) if members.iter().any(|m| {
                m.client_id.as_deref() == Some(self.me.user_id.as_str())
                    && m.decoded().ok().and_then(|d| d.get("agentName").and_then(|n| n.as_str()).map(str::to_owned))
                        .is_some_and(|n| n.eq_ignore_ascii_case(self.settings.agent_name.trim()))
            }));
            out.push((project, online));
        }
        out
    }

    /// Stops the bridge (it leaves presence and finishes what it can) and waits, at most
    /// `deadline`.
    pub async fn stop(&self, deadline: Duration) {
        self.cancel.cancel();
        self.tasks.close();
        if tokio::time::timeout(deadline, self.tasks.wait()).await.is_err() {
            tracing::warn!(account_id = %self.id, "account did not stop in time; its work resumes at the next start");
        }
    }
}

/// A directory name for an account id.
fn sanitize(id: &str) -> String {
    let name: String =
        id.chars().map(|c| if c.is_ascii_alphanumeric() || c == '-' || c == '_' { c } else { '_' }).collect();
    if name.is_empty() { "default".into() } else { name }
}

/// The error with its sources, for the status line.
fn error_chain(err: &(dyn std::error::Error + 'static)) -> String {
    let mut text = err.to_string();
    let mut source = err.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn account_ids_make_safe_directory_names() {
        assert_eq!(sanitize("default"), "default");
        assert_eq!(sanitize("../etc/x"), "___etc_x");
        assert_eq!(sanitize(""), "default");
    }
}
