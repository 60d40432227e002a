//! Runs one bridge: state, registration, the receiver (webhook or poll), the relay and
//! the health endpoints, until a cancellation token fires.

use std::sync::Arc;

use bridge_core::client::Client;
use bridge_core::model::WebhookSecret;
use tokio::net::TcpListener;
use tokio::sync::Notify;
use tokio_util::sync::CancellationToken;

use crate::config::{BridgeConfig, Mode};
use crate::metrics::Metrics;
use crate::receive::poll::Poller;
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
    /// Serving failed.
    #[error("serving HTTP")]
    Serve(#[source] std::io::Error),
}

/// Runs the bridge on `listener` until `shutdown`.
///
/// # Errors
/// [`BridgeError`] when it cannot start or its listener fails.
pub async fn run(config: BridgeConfig, listener: TcpListener, shutdown: CancellationToken) -> Result<(), BridgeError> {
    let store = Store::open(&config.state_dir)?;
    let client = Client::builder(&config.hub).credential(config.credential.clone()).build()?;
    let metrics = Arc::new(Metrics::default());
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

    let relay = Arc::new(Relay {
        store: store.clone(),
        client: client.clone(),
        agents: config.agents.iter().cloned().map(|a| Arc::new(AgentRuntime::new(a))).collect(),
        metrics: metrics.clone(),
        notify: notify.clone(),
        max_attempts: config.max_attempts,
    });
    tasks.spawn(relay.run(shutdown.clone()));

    if config.mode == Mode::Poll {
        let poller = Poller {
            store: store.clone(),
            client: client.clone(),
            agents: config.agents.clone(),
            projects: config.project_ids.clone(),
            interval: config.poll_interval,
            metrics: metrics.clone(),
            notify: notify.clone(),
        };
        tasks.spawn(poller.run(shutdown.clone()));
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
