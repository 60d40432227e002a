//! The engine: accounts, turns and sends, in plain Rust types. It never sees JSON-RPC;
//! [`crate::rpc`] translates between the two.
//!
//! Shutdown: [`Engine::shutdown`] stops every account (each bridge leaves presence and
//! lets its turns end) within a deadline; turns still open then are retried by the
//! bridge at the next start, never lost.

pub mod account;
pub mod outbound;
pub mod settings;
pub mod turns;

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use bridge_core::client::ClientError;
use serde::Serialize;
use tokio::sync::mpsc;

pub use self::account::{Account, AccountState};
pub use self::outbound::{ResolvedTarget, SentMessage};
pub use self::settings::AccountSettings;
pub use self::turns::{InboundTurn, TurnEnd, Turns};

/// What the engine tells the plugin without being asked.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum EngineEvent {
    /// A message or task for OpenClaw to answer.
    Inbound(InboundTurn),
    /// An account's state changed.
    AccountState(AccountState),
}

/// Why an engine call failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum EngineError {
    /// The params do not fit the call.
    #[error("{0}")]
    BadParams(String),
    /// The account's settings are incomplete or wrong.
    #[error("account configuration: {0}")]
    BadConfig(String),
    /// No started account has this id.
    #[error("no account {0:?} is started; call account.start first")]
    UnknownAccount(String),
    /// The target names no visible project.
    #[error("{0}")]
    UnknownTarget(String),
    /// No turn in flight has this id.
    #[error("no turn {0:?} is in flight (it ended, or the engine gave up on it)")]
    UnknownTurn(String),
    /// The hub refused or could not be reached.
    #[error("hub: {0}")]
    Hub(String),
    /// Something in the engine failed.
    #[error("{0}")]
    Internal(String),
}

impl EngineError {
    /// A hub error, without secrets (the client's errors never carry them).
    #[must_use]
    pub fn hub(err: &ClientError) -> Self {
        Self::Hub(err.to_string())
    }
}

/// Milliseconds since the Unix epoch.
#[must_use]
pub fn now_ms() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
}

/// What `account.start` answers.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct StartedAccount {
    /// The account.
    pub account_id: String,
    /// The agent's name.
    pub agent_name: String,
    /// The credential's user id (`from` of the agent's live messages).
    pub user_id: String,
    /// The credential's user name.
    pub username: String,
    /// The projects served, when configured (otherwise every visible one).
    pub project_ids: Option<Vec<String>>,
    /// The bridge's health endpoint.
    pub health_url: String,
    /// Whether the account was already running (a repeated start is harmless).
    pub already_running: bool,
}

/// What `account.check` answers: the settings work.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CheckedAccount {
    /// The credential's user id.
    pub user_id: String,
    /// The credential's user name.
    pub username: String,
    /// The configured projects, resolved to ids (empty: every visible project).
    pub project_ids: Vec<String>,
}

/// What `account.status` answers.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AccountStatus {
    /// The changing facts.
    #[serde(flatten)]
    pub state: AccountState,
    /// The agent's name.
    pub agent_name: String,
    /// The credential's user name.
    pub username: String,
    /// `realtime` or `poll`.
    pub mode: &'static str,
    /// Answers and task results posted since start.
    pub relayed: u64,
    /// Items given up on since start.
    pub failed: u64,
    /// Turns in flight (all accounts).
    pub turns_in_flight: usize,
    /// Presence of the agent per project (realtime mode).
    pub presence: Vec<ProjectPresence>,
}

/// Whether the agent shows in one project's presence.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ProjectPresence {
    /// The project.
    pub project_id: String,
    /// Whether the agent is a present member with its name.
    pub online: bool,
}

/// The engine of one plugin process.
#[derive(Debug)]
pub struct Engine {
    state_dir: PathBuf,
    events: mpsc::Sender<EngineEvent>,
    accounts: Mutex<HashMap<String, Arc<Account>>>,
    turns: Arc<Turns>,
}

/// How long an account gets to stop.
pub const STOP_DEADLINE: Duration = Duration::from_secs(10);

impl Engine {
    /// An engine keeping account state under `state_dir`; its events go to `events`.
    #[must_use]
    pub fn new(state_dir: PathBuf, events: mpsc::Sender<EngineEvent>) -> Self {
        Self { state_dir, events, accounts: Mutex::default(), turns: Arc::default() }
    }

    fn accounts(&self) -> std::sync::MutexGuard<'_, HashMap<String, Arc<Account>>> {
        self.accounts.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn account(&self, id: &str) -> Result<Arc<Account>, EngineError> {
        self.accounts().get(id).cloned().ok_or_else(|| EngineError::UnknownAccount(id.to_owned()))
    }

    /// The turn registry (for the RPC side's `stream.*` calls).
    #[must_use]
    pub fn turns(&self) -> &Turns {
        &self.turns
    }

    /// Starts an account. Starting a running account with the same settings is a no-op;
    /// with other settings it restarts it.
    ///
    /// # Errors
    /// [`EngineError::BadConfig`] or [`EngineError::Hub`].
    pub async fn start_account(&self, id: String, settings: AccountSettings) -> Result<StartedAccount, EngineError> {
        if id.trim().is_empty() {
            return Err(EngineError::BadParams("accountId is empty".into()));
        }
        let existing = self.accounts().get(&id).cloned();
        if let Some(account) = existing {
            if account.state().running && account.settings == settings {
                return Ok(started(&account, true));
            }
            self.accounts().remove(&id);
            account.stop(STOP_DEADLINE).await;
        }
        let account =
            Account::start(id.clone(), settings, &self.state_dir, self.events.clone(), self.turns.clone()).await?;
        self.accounts().insert(id, account.clone());
        Ok(started(&account, false))
    }

    /// Stops an account; `false` when it was not running.
    pub async fn stop_account(&self, id: &str) -> bool {
        let account = self.accounts().remove(id);
        match account {
            Some(account) => {
                account.stop(STOP_DEADLINE).await;
                tracing::info!(account_id = %id, "account stopped");
                true
            }
            None => false,
        }
    }

    /// An account's status.
    ///
    /// # Errors
    /// [`EngineError::UnknownAccount`].
    pub async fn status(&self, id: &str) -> Result<AccountStatus, EngineError> {
        let account = self.account(id)?;
        let (relayed, failed) = account.counters();
        let presence = account
            .presence()
            .await
            .into_iter()
            .map(|(project, online)| ProjectPresence { project_id: project.to_string(), online })
            .collect();
        Ok(AccountStatus {
            state: account.state(),
            agent_name: account.settings.agent_name.clone(),
            username: account.me.username.clone(),
            mode: if account.settings.realtime { "realtime" } else { "poll" },
            relayed,
            failed,
            turns_in_flight: self.turns.in_flight(),
            presence,
        })
    }

    /// Sends `text` to the project `to` names, through a started account or, when the
    /// plugin runs outside the gateway (the `openclaw message send` CLI), with the
    /// settings it passes.
    ///
    /// # Errors
    /// [`EngineError`] for an unknown account or target, bad settings or a hub refusal.
    pub async fn send(
        &self,
        account_id: Option<&str>,
        settings: Option<AccountSettings>,
        to: &str,
        text: &str,
    ) -> Result<SentMessage, EngineError> {
        let running = account_id.and_then(|id| self.accounts().get(id).cloned());
        if let Some(account) = running {
            let sent = outbound::send(&account.client, &account.settings.agent_name, to, text).await?;
            account.sent();
            return Ok(sent);
        }
        let settings = settings.ok_or_else(|| match account_id {
            Some(id) => EngineError::UnknownAccount(id.to_owned()),
            None => EngineError::BadParams("pass accountId of a started account, or account settings".into()),
        })?;
        let client = account::client_for(&settings)?;
        outbound::send(&client, settings.agent_name.trim(), to, text).await
    }

    /// Checks settings without starting anything: valid, the credential accepted, every
    /// configured project found (the plugin's probe of an account that is not running).
    ///
    /// # Errors
    /// [`EngineError::BadConfig`] for what to fix, [`EngineError::Hub`] when the hub is down.
    pub async fn check(&self, settings: &AccountSettings) -> Result<CheckedAccount, EngineError> {
        let client = account::client_for(settings)?;
        let me = account::identify(&client).await?;
        let projects = account::resolve_projects(&client, &settings.projects).await?;
        Ok(CheckedAccount {
            user_id: me.user_id.to_string(),
            username: me.username,
            project_ids: projects.iter().map(ToString::to_string).collect(),
        })
    }

    /// Resolves a send target without sending.
    ///
    /// # Errors
    /// As [`Engine::send`].
    pub async fn resolve_target(
        &self,
        account_id: Option<&str>,
        settings: Option<AccountSettings>,
        to: &str,
    ) -> Result<ResolvedTarget, EngineError> {
        let running = account_id.and_then(|id| self.accounts().get(id).cloned());
        let client = match (running, settings) {
            (Some(account), _) => account.client.clone(),
            (None, Some(settings)) => account::client_for(&settings)?,
            (None, None) => {
                return Err(EngineError::BadParams("pass accountId of a started account, or account settings".into()));
            }
        };
        outbound::resolve_target(&client, to).await
    }

    /// Stops every account.
    pub async fn shutdown(&self) {
        self.turns.abandon_all();
        let accounts: Vec<_> = self.accounts().drain().map(|(_, a)| a).collect();
        futures_util::future::join_all(accounts.iter().map(|a| a.stop(STOP_DEADLINE))).await;
    }
}

fn started(account: &Account, already_running: bool) -> StartedAccount {
    StartedAccount {
        account_id: account.id.clone(),
        agent_name: account.settings.agent_name.trim().to_owned(),
        user_id: account.me.user_id.to_string(),
        username: account.me.username.clone(),
        project_ids: account.projects.as_ref().map(|p| p.iter().map(ToString::to_string).collect()),
        health_url: account.health_url.clone(),
        already_running,
    }
}
