//! The webhook receiver, plus `/healthz`, `/readyz` and `/metrics`.
//!
//! The signature is checked over the raw bytes before anything is parsed. Answers: 401
//! for a missing, forged or (with a tolerance) stale signature, 400 for a malformed
//! body, 413 for a body over the limit, 202 once the event is durably stored, 200 for a
//! `deliveryId` already stored. Unknown events are stored and acknowledged.

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use axum::Router;
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use bridge_core::model::{WebhookEvent, WebhookPayload, WebhookSecret};
use bridge_core::signing::jaibber::{DELIVERY_HEADER, JaibberSigner, SIGNATURE_HEADER, check_age};
use serde_json::json;
use sha2::{Digest as _, Sha256};
use tokio::sync::Notify;

use crate::config::AgentConfig;
use crate::metrics::Metrics;
use crate::route::{message_items, task_items};
use crate::store::{Ingest, Store};

/// What the receiver needs.
#[derive(Debug)]
pub struct WebhookContext {
    /// State.
    pub store: Store,
    /// The agents.
    pub agents: Vec<AgentConfig>,
    /// Accepted secrets (several during rotation).
    pub signers: Vec<JaibberSigner>,
    /// Refuse events older than this.
    pub tolerance: Option<Duration>,
    /// Metrics.
    pub metrics: Arc<Metrics>,
    /// Wakes the relay.
    pub notify: Arc<Notify>,
}

impl WebhookContext {
    /// Builds signers from the secrets (empty secrets are skipped).
    #[must_use]
    pub fn signers(secrets: &[WebhookSecret]) -> Vec<JaibberSigner> {
        secrets.iter().filter_map(|s| JaibberSigner::new(s.expose()).ok()).collect()
    }
}

/// The receiver's routes; `webhooks` false serves only the health endpoints (poll mode).
pub fn router(context: Arc<WebhookContext>, max_body_bytes: usize, webhooks: bool) -> Router {
    let mut router =
        Router::new().route("/healthz", get(healthz)).route("/readyz", get(readyz)).route("/metrics", get(metrics));
    if webhooks {
        router = router.route("/webhook", post(receive)).route("/hooks/jaibber", post(receive));
    }
    router.layer(DefaultBodyLimit::max(max_body_bytes)).with_state(context)
}

fn reject(context: &WebhookContext, status: StatusCode, message: &str) -> Response {
    context.metrics.events_rejected.fetch_add(1, Ordering::Relaxed);
    (status, axum::Json(json!({ "error": message }))).into_response()
}

async fn receive(
    State(context): State<Arc<WebhookContext>>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    let body = match body {
        Ok(body) => body,
        Err(BytesRejection::FailedToBufferBody(_)) => {
            return reject(&context, StatusCode::PAYLOAD_TOO_LARGE, "body is larger than the bridge accepts");
        }
        Err(other) => return reject(&context, StatusCode::BAD_REQUEST, &other.to_string()),
    };
    let signature = headers.get(SIGNATURE_HEADER).and_then(|v| v.to_str().ok()).unwrap_or("");
    if !context.signers.iter().any(|signer| signer.verify(&body, signature).is_ok()) {
        tracing::warn!(delivery = ?headers.get(DELIVERY_HEADER), "webhook refused: bad or missing signature");
        return reject(&context, StatusCode::UNAUTHORIZED, "invalid signature");
    }
    let event = match WebhookEvent::from_slice(&body) {
        Ok(event) => event,
        Err(err) => return reject(&context, StatusCode::BAD_REQUEST, &err.to_string()),
    };
    if let (Some(tolerance), Some(at)) =
        (context.tolerance, event.timestamp.as_ref().and_then(bridge_core::model::Timestamp::unix_millis))
    {
        let now = time::OffsetDateTime::now_utc().unix_timestamp();
        if check_age(at / 1000, now, i64::try_from(tolerance.as_secs()).unwrap_or(i64::MAX)).is_err() {
            return reject(&context, StatusCode::UNAUTHORIZED, "event timestamp is outside the accepted window");
        }
    }
    let delivery_id = event
        .delivery_id
        .as_ref()
        .map(|d| d.as_str().to_owned())
        .or_else(|| headers.get(DELIVERY_HEADER).and_then(|v| v.to_str().ok()).map(str::to_owned))
        .unwrap_or_else(|| format!("body:{}", hex::encode(Sha256::digest(&body))));
    let items = match &event.payload {
        WebhookPayload::MessageCreated(message) => message_items(message, &context.agents),
        WebhookPayload::TaskCreated(task) => task_items(task, &context.agents),
        _ => Vec::new(),
    };
    // The body is kept for events that produced work or that this version does not know;
    // for the rest the delivery id (dedup) is all that matters.
    let keep_body = !items.is_empty() || !event.event_name().is_known();
    let stored_body = if keep_body { body.to_vec() } else { Vec::new() };
    let batch = Ingest {
        delivery: Some((delivery_id.clone(), event.event_name().to_string(), stored_body)),
        items,
        cursors: Vec::new(),
    };
    match context.store.ingest(batch).await {
        Ok(outcome) if outcome.duplicate => {
            context.metrics.events_duplicate.fetch_add(1, Ordering::Relaxed);
            (StatusCode::OK, axum::Json(json!({ "status": "duplicate", "deliveryId": delivery_id }))).into_response()
        }
        Ok(outcome) => {
            context.metrics.events_received.fetch_add(1, Ordering::Relaxed);
            if outcome.new_items > 0 {
                context.notify.notify_one();
            }
            tracing::debug!(delivery_id = %delivery_id, items = outcome.new_items, "webhook stored");
            (StatusCode::ACCEPTED, axum::Json(json!({ "status": "accepted", "deliveryId": delivery_id })))
                .into_response()
        }
        Err(err) => {
            tracing::error!(error = %err, "could not store a webhook; the sender will retry");
            (StatusCode::SERVICE_UNAVAILABLE, axum::Json(json!({ "error": "could not store the event; retry" })))
                .into_response()
        }
    }
}

async fn healthz() -> &'static str {
    "ok"
}

async fn readyz(State(context): State<Arc<WebhookContext>>) -> Response {
    match context.store.counts().await {
        Ok(counts) => (StatusCode::OK, axum::Json(json!({ "ready": true, "pending": counts.pending }))).into_response(),
        Err(_) => (StatusCode::SERVICE_UNAVAILABLE, axum::Json(json!({ "ready": false }))).into_response(),
    }
}

async fn metrics(State(context): State<Arc<WebhookContext>>) -> Response {
    let pending = context.store.counts().await.map(|c| c.pending).unwrap_or(0);
    ([("content-type", "text/plain; version=0.0.4")], context.metrics.render(pending)).into_response()
}
