//! Webhook subscriptions (the deliveries themselves are in `webhook_event`).

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::Extra;
use super::ids::{DeliveryId, WebhookId};
use super::secret::WebhookSecret;
use super::timestamp::Timestamp;
use super::wire_enum::wire_enum;

wire_enum! {
    /// The six events a webhook can subscribe to.
    pub enum WebhookEventName {
        /// A message was stored in a project.
        MessageCreated = "message.created",
        /// A task was created.
        TaskCreated = "task.created",
        /// A task reached `completed`.
        TaskCompleted = "task.completed",
        /// A task reached `failed`.
        TaskFailed = "task.failed",
        /// An agent was put into a project.
        AgentAssigned = "agent.assigned",
        /// An agent was taken out of a project.
        AgentUnassigned = "agent.unassigned",
    }
}

wire_enum! {
    /// Whether a webhook receives deliveries.
    pub enum WebhookStatus {
        /// Receives deliveries.
        Active = "active",
        /// Temporarily off.
        Paused = "paused",
        /// Its endpoint keeps failing (hub extension); deliveries still retry.
        Failing = "failing",
    }
}

/// A webhook subscription as listed (no secret).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Webhook {
    /// The webhook's id.
    pub id: WebhookId,
    /// Where deliveries go.
    pub url: String,
    /// The events it receives.
    #[serde(default)]
    pub events: Vec<WebhookEventName>,
    /// Whether it is on.
    pub status: WebhookStatus,
    /// When it was created.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created_at: Option<Timestamp>,
    /// Fields this version does not know.
    #[serde(flatten, default, skip_serializing_if = "Extra::is_empty")]
    pub extra: Extra,
}

/// A webhook as returned by create: the only time the secret is shown.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct CreatedWebhook {
    /// The webhook's id.
    pub id: WebhookId,
    /// Where deliveries go.
    pub url: String,
    /// The events it receives.
    #[serde(default)]
    pub events: Vec<WebhookEventName>,
    /// The signing secret (`whsec_…`).
    pub secret: WebhookSecret,
    /// Whether it is on.
    #[serde(default = "active")]
    pub status: WebhookStatus,
    /// When it was created.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created_at: Option<Timestamp>,
    /// Fields this version does not know.
    #[serde(flatten, default, skip_serializing_if = "Extra::is_empty")]
    pub extra: Extra,
}

fn active() -> WebhookStatus {
    WebhookStatus::Active
}

/// Body of `POST /api/orgs/{org}/webhooks`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
#[must_use]
pub struct CreateWebhook {
    /// Where deliveries go: HTTPS, or loopback.
    pub url: String,
    /// The events to receive.
    pub events: Vec<WebhookEventName>,
    /// Also send the Standard Webhooks headers (hub extension).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub standard_webhooks: Option<bool>,
}

impl CreateWebhook {
    /// A webhook for these events.
    pub fn new(url: impl Into<String>, events: impl IntoIterator<Item = WebhookEventName>) -> Self {
        Self { url: url.into(), events: events.into_iter().collect(), standard_webhooks: None }
    }
}

/// Body of `PATCH /api/orgs/{org}/webhooks/{id}`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct UpdateWebhook {
    /// A new URL.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    /// New events.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub events: Option<Vec<WebhookEventName>>,
    /// Pause or resume.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<WebhookStatus>,
}

wire_enum! {
    /// Where one webhook delivery stands (hub extension: the delivery log).
    pub enum DeliveryState {
        /// Waiting for its first or next attempt.
        Pending = "pending",
        /// The receiver answered 2xx.
        Delivered = "delivered",
        /// Every scheduled retry failed; `redeliver` starts again.
        Failed = "failed",
    }
}

/// One attempt at a delivery.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct DeliveryAttempt {
    /// 1 for the first attempt.
    pub attempt: u32,
    /// The receiver's HTTP status, absent when no answer came.
    #[serde(default)]
    pub status_code: Option<u16>,
    /// How long the attempt took.
    pub latency_ms: u64,
    /// Why it failed (timeout, connection refused, non-2xx …).
    #[serde(default)]
    pub error: Option<String>,
    /// When it was made.
    pub at: Timestamp,
}

/// One delivery of an event to a webhook, with its attempts
/// (`GET /api/orgs/{org}/webhooks/{id}/deliveries`, hub extension).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct WebhookDelivery {
    /// The delivery id, sent as `X-Jaibber-Delivery` and `deliveryId`.
    pub id: DeliveryId,
    /// The webhook.
    pub webhook_id: WebhookId,
    /// The event.
    pub event: WebhookEventName,
    /// Where it stands.
    pub state: DeliveryState,
    /// Attempts made so far.
    pub attempts: u32,
    /// When the next attempt is due, while pending.
    #[serde(default)]
    pub next_attempt_at: Option<Timestamp>,
    /// When the event was queued.
    pub created_at: Timestamp,
    /// Every attempt, oldest first.
    #[serde(default)]
    pub attempt_log: Vec<DeliveryAttempt>,
}
