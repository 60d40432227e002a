//! Agent registration (ids persisted in the state) and the 2-minute heartbeat.

use std::time::Duration;

use bridge_core::client::{Client, ClientError};
use bridge_core::model::{AgentId, CreateWebhook, OrgId, RegisterAgent, Vendor, WebhookEventName};
use tokio_util::sync::CancellationToken;

use crate::config::AgentConfig;
use crate::store::Store;

/// A registration failure.
#[derive(Debug, thiserror::Error)]
pub enum RegistrationError {
    /// The server refused or was unreachable.
    #[error(transparent)]
    Client(#[from] ClientError),
    /// The state could not be read or written.
    #[error(transparent)]
    Store(#[from] crate::store::StoreError),
    /// No org to register in.
    #[error("cannot tell which org to register agents in; pass --org-id")]
    NoOrg,
}

/// Finds the org: configured, remembered, or the credential's only org.
///
/// # Errors
/// [`RegistrationError::NoOrg`] when the credential sees several orgs or none.
pub async fn resolve_org(
    client: &Client,
    store: &Store,
    configured: Option<&OrgId>,
) -> Result<OrgId, RegistrationError> {
    if let Some(org) = configured {
        return Ok(org.clone());
    }
    if let Some(org) = store.get("org").await? {
        return Ok(OrgId::new(org));
    }
    let orgs = client.list_orgs().await?;
    match orgs.as_slice() {
        [only] => {
            store.set("org", only.id.as_str()).await?;
            Ok(only.id.clone())
        }
        _ => Err(RegistrationError::NoOrg),
    }
}

/// Registers each agent once; the ids are kept in the state (an existing agent of the
/// same name is adopted).
///
/// # Errors
/// [`RegistrationError`].
pub async fn register(
    client: &Client,
    store: &Store,
    org: &OrgId,
    agents: &[AgentConfig],
) -> Result<Vec<AgentId>, RegistrationError> {
    let mut ids = Vec::new();
    for agent in agents {
        let key = format!("agent:{}", agent.name.to_lowercase());
        if let Some(id) = store.get(&key).await? {
            ids.push(AgentId::new(id));
            continue;
        }
        let body = RegisterAgent::new(agent.name.clone())
            .description(agent.instructions.clone().unwrap_or_else(|| "Bridged by jaibber-bridge".into()))
            .vendor(Vendor::Custom)
            .capabilities(["chat", "tasks"]);
        let id = match client.register_agent(org, &body).await {
            Ok(registered) => registered.id,
            Err(ClientError::Api { status: 409, .. }) => client
                .list_agents(org)
                .await?
                .into_iter()
                .find(|a| a.name.eq_ignore_ascii_case(&agent.name))
                .map(|a| a.id)
                .ok_or(RegistrationError::NoOrg)?,
            Err(err) => return Err(err.into()),
        };
        store.set(&key, id.as_str()).await?;
        tracing::info!(agent = %agent.name, agent_id = %id, "agent registered");
        ids.push(id);
    }
    Ok(ids)
}

/// Creates (once) a webhook for this bridge's public URL and returns its secret.
///
/// # Errors
/// [`RegistrationError`].
pub async fn ensure_webhook(
    client: &Client,
    store: &Store,
    org: &OrgId,
    public_url: &str,
) -> Result<String, RegistrationError> {
    let url = format!("{}/webhook", public_url.trim_end_matches('/'));
    let key = format!("webhook:{url}");
    if let Some(secret) = store.get(&key).await? {
        return Ok(secret);
    }
    let created = client
        .create_webhook(
            org,
            &CreateWebhook::new(url.clone(), [WebhookEventName::MessageCreated, WebhookEventName::TaskCreated]),
        )
        .await?;
    store.set(&key, created.secret.expose()).await?;
    tracing::info!(webhook_id = %created.id, %url, "webhook created");
    Ok(created.secret.expose().to_owned())
}

/// Sends a heartbeat for every agent every `interval` until `shutdown`.
pub async fn heartbeat(client: Client, ids: Vec<AgentId>, interval: Duration, shutdown: CancellationToken) {
    loop {
        for id in &ids {
            if let Err(err) = client.heartbeat(id).await {
                tracing::warn!(agent_id = %id, error = %err, "heartbeat failed");
            }
        }
        tokio::select! {
            () = shutdown.cancelled() => return,
            () = tokio::time::sleep(interval) => {}
        }
    }
}
