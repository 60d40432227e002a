//! Runs one bridge: state, registration, the receiver (webhook or poll), the relay and
//! the health endpoints, until a cancellation token fires.

use std::sync::Arc;

use bridge_core::client::Client;
use bridge_core::model::WebhookSecret;
use tokio::net::TcpListener;
use tokio::sync::Notify;
use tokio_util::sync::CancellationToken;

use bridge_core::realtime::RealtimeOptions;

use crate::config::{BridgeConfig, Mode};
use crate::live::LiveLink;
use crate::metrics::Metrics;
use crate::receive::poll::Poller;
use crate::receive::realtime::RealtimeReceiver;
use crate::receive::webhook::{self, WebhookContext};
use crate::registration;
use crate::relay::{AgentRuntime, Relay};
use crate::store::{Store, StoreError};

/// A failure that stops the bridge.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum BridgeError {
    /// The state could not be opened.
    #[error("opening the bridge state")]
    Store(#[from] StoreError),
    /// The REST client could not be built.
    #[error("building the Jaibber client")]
    Client(#[from] bridge_core::client::ClientError),
    /// Webhook self-registration failed.
    #[error("creating this bridge's webhook")]
    Webhook(#[from] registration::RegistrationError),
    /// Webhook mode without any secret.
    #[error("webhook mode has no secret; set JAIBBER_WEBHOOK_SECRET or --public-url")]
    NoSecret,
    /// Stopped before it started.
    #[error("stopped before the bridge started")]
    Stopped,
    /// Serving failed.
    #[error("serving HTTP")]
    Serve(#[source] std::io::Error),
}

/// Who the credential is (`GET /api/auth/me`), retried until it answers or shutdown.
async fn identity(client: &Client, shutdown: &CancellationToken) -> Result<bridge_core::model::Me, BridgeError> {
    let mut delay = std::time::Duration::from_millis(500);
    loop {
        match client.me().await {
            Ok(me) => return Ok(me),
            Err(err @ bridge_core::client::ClientError::Api { status: 401 | 403, .. }) => return Err(err.into()),
            Err(err) => tracing::warn!(error = %err, ?delay, "could not read the bridge's identity; retrying"),
        }
        tokio::select! {
            () = shutdown.cancelled() => return Err(BridgeError::Stopped),
            () = tokio::time::sleep(delay) => delay = (delay * 2).min(std::time::Duration::from_secs(30)),
        }
    }
}

/// What a running bridge shows the program that embeds it: the realtime link (realtime
/// mode) and the counters, each filled in as the bridge gets that far.
#[derive(Debug, Default)]
pub struct BridgeObserver {
    live: std::sync::OnceLock<Arc<LiveLink>>,
    metrics: std::sync::OnceLock<Arc<Metrics>>,
}

impl BridgeObserver {
    /// The realtime link, once a realtime-mode bridge has connected it.
    #[must_use]
    pub fn live(&self) -> Option<&Arc<LiveLink>> {
        self.live.get()
    }

    /// The bridge's counters, once it has started.
    #[must_use]
    pub fn metrics(&self) -> Option<&Arc<Metrics>> {
        self.metrics.get()
    }
}

/// Runs the bridge on `listener` until `shutdown`.
///
/// # Errors
/// [`BridgeError`] when it cannot start or its listener fails.
pub async fn run(config: BridgeConfig, listener: TcpListener, shutdown: CancellationToken) -> Result<(), BridgeError> {
    run_observed(config, listener, shutdown, Arc::default()).await
}

/// [`run`], filling in `observer` as the bridge starts.
///
/// # Errors
/// [`BridgeError`] when it cannot start or its listener fails.
pub async fn run_observed(
    config: BridgeConfig,
    listener: TcpListener,
    shutdown: CancellationToken,
    observer: Arc<BridgeObserver>,
) -> Result<(), BridgeError> {
    let store = Store::open(&config.state_dir)?;
    let client = Client::builder(&config.hub).credential(config.credential.clone()).build()?;
    let metrics = Arc::new(Metrics::default());
    let _ = observer.metrics.set(metrics.clone());
    let notify = Arc::new(Notify::new());

    let mut secrets = config.webhook_secrets.clone();
    if config.mode == Mode::Webhook {
        if let Some(public_url) = &config.public_url {
            let org = registration::resolve_org(&client, &store, config.org_id.as_ref()).await?;
            secrets.push(WebhookSecret::new(registration::ensure_webhook(&client, &store, &org, public_url).await?));
        }
        if secrets.is_empty() {
            return Err(BridgeError::NoSecret);
        }
    }

    let tasks = tokio_util::task::TaskTracker::new();
    {
        let (client, store, agents, org, interval, shutdown) = (
            client.clone(),
            store.clone(),
            config.agents.clone(),
            config.org_id.clone(),
            config.heartbeat,
            shutdown.clone(),
        );
        tasks.spawn(async move {
            let mut delay = std::time::Duration::from_secs(1);
            loop {
                let attempt = async {
                    let org = registration::resolve_org(&client, &store, org.as_ref()).await?;
                    registration::register(&client, &store, &org, &agents).await
                };
                match attempt.await {
                    Ok(ids) => {
                        registration::heartbeat(client, ids, interval, shutdown).await;
                        return;
                    }
                    Err(registration::RegistrationError::NoOrg) => {
                        tracing::warn!(
                            "agent registration skipped: the credential sees several orgs or none; pass --org-id"
                        );
                        return;
                    }
                    Err(err) => tracing::warn!(error = %err, ?delay, "agent registration failed; retrying"),
                }
                tokio::select! {
                    () = shutdown.cancelled() => return,
                    () = tokio::time::sleep(delay) => delay = (delay * 2).min(std::time::Duration::from_secs(60)),
                }
            }
        });
    }

    let live = if config.mode == Mode::Realtime {
        let me = identity(&client, &shutdown).await?;
        let realtime = bridge_core::realtime::Realtime::connect(client.clone(), RealtimeOptions::default());
        let live = Arc::new(LiveLink::new(realtime, me, config.agents.clone()));
        let _ = observer.live.set(live.clone());
        Some(live)
    } else {
        None
    };

    let relay = Arc::new(Relay {
        store: store.clone(),
        client: client.clone(),
        agents: config.agents.iter().cloned().map(|a| Arc::new(AgentRuntime::new(a))).collect(),
        metrics: metrics.clone(),
        notify: notify.clone(),
        max_attempts: config.max_attempts,
        live: live.clone(),
    });
    tasks.spawn(relay.run(shutdown.clone()));

    if matches!(config.mode, Mode::Poll | Mode::Realtime) {
        let poller = Poller {
            store: store.clone(),
            client: client.clone(),
            agents: config.agents.clone(),
            projects: config.project_ids.clone(),
            interval: config.poll_interval,
            metrics: metrics.clone(),
            notify: notify.clone(),
        };
        match live {
            Some(live) => {
                let receiver = RealtimeReceiver { poller: Arc::new(poller), live };
                tasks.spawn(receiver.run(shutdown.clone()));
            }
            None => {
                tasks.spawn(poller.run(shutdown.clone()));
            }
        }
    }

    let context = Arc::new(WebhookContext {
        store,
        agents: config.agents.clone(),
        signers: WebhookContext::signers(&secrets),
        tolerance: config.timestamp_tolerance,
        metrics,
        notify,
    });
    let app = webhook::router(context, config.max_body_bytes, config.mode == Mode::Webhook);
    if let Ok(addr) = listener.local_addr() {
        tracing::info!(%addr, mode = ?config.mode, agents = config.agents.len(), "jaibber bridge running");
    }
    let served = axum::serve(listener, app).with_graceful_shutdown(shutdown.clone().cancelled_owned()).await;
    shutdown.cancel();
    tasks.close();
    tasks.wait().await;
    tracing::info!("jaibber bridge stopped");
    served.map_err(BridgeError::Serve)
}
