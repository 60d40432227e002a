//! The webhook delivery worker: drains the durable outbox.
//!
//! Deliveries are claimed with a lease, POSTed signed exactly as protocol.md section 4
//! (plus the Standard Webhooks headers when the webhook asks for them), and their
//! outcome recorded with the attempt log in one transaction. A failed attempt is
//! retried after the configured delay plus up to 20% jitter; when the schedule is used
//! up the delivery is `failed` until someone redelivers it. Attempts run concurrently
//! (bounded), so one slow endpoint never blocks the others. A webhook whose attempts
//! keep failing shows as `failing`, and goes back to `active` on its next success.

use std::sync::Arc;
use std::time::{Duration, Instant};

use bridge_core::model::WebhookStatus;
use bridge_core::signing::jaibber::JaibberSigner;
use bridge_core::signing::standard::StandardSigner;
use serde_json::json;
use tokio::sync::Semaphore;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use crate::db::deliveries::{self, AttemptOutcome, DueDelivery};
use crate::db::webhooks;
use crate::state::AppState;
use crate::{clock, events};

/// How many attempts run at once.
const CONCURRENCY: usize = 32;
/// How long an attempt may stay in flight before its lease lets another attempt start.
const LEASE_SLACK: Duration = Duration::from_secs(30);
/// How long a delivery of a paused webhook waits before it is looked at again.
const PAUSED_RECHECK: Duration = Duration::from_secs(60);

/// Runs until `shutdown`, then lets in-flight attempts finish (bounded by their timeout).
pub async fn run(state: AppState, shutdown: CancellationToken) {
    let client = match reqwest::Client::builder()
        .timeout(state.config.webhook_timeout)
        .redirect(reqwest::redirect::Policy::none())
        .user_agent(concat!("jaibber-hub/", env!("CARGO_PKG_VERSION"), " (webhooks)"))
        .build()
    {
        Ok(client) => client,
        Err(err) => {
            tracing::error!(error = %err, "webhook delivery worker could not start its HTTP client");
            return;
        }
    };
    match state.db.write(|tx| deliveries::release_leases(tx)).await {
        Ok(released) if released > 0 => {
            tracing::info!(released, "resuming deliveries interrupted by the last shutdown")
        }
        Ok(_) => {}
        Err(err) => tracing::warn!(error = %err, "could not release delivery leases"),
    }
    let permits = Arc::new(Semaphore::new(CONCURRENCY));
    let tracker = TaskTracker::new();
    let lease_ms = i64::try_from((state.config.webhook_timeout + LEASE_SLACK).as_millis()).unwrap_or(i64::MAX);
    loop {
        if shutdown.is_cancelled() {
            break;
        }
        let available = u32::try_from(permits.available_permits()).unwrap_or(0);
        let due = if available == 0 {
            Vec::new()
        } else {
            let now = clock::now_ms();
            state.db.write(move |tx| deliveries::claim_due(tx, now, lease_ms, available)).await.unwrap_or_else(|err| {
                tracing::warn!(error = %err, "could not read the webhook outbox");
                Vec::new()
            })
        };
        let claimed = due.len();
        for delivery in due {
            let Ok(permit) = permits.clone().acquire_owned().await else { break };
            let (state, client) = (state.clone(), client.clone());
            tracker.spawn(async move {
                attempt(&state, &client, delivery).await;
                drop(permit);
            });
        }
        if claimed > 0 {
            continue;
        }
        let wait = match state.db.read(deliveries::next_due_ms).await {
            Ok(Some(due)) => Duration::from_millis(u64::try_from(due - clock::now_ms()).unwrap_or(0))
                .clamp(Duration::from_millis(10), Duration::from_secs(5)),
            _ => Duration::from_secs(5),
        };
        // Each branch only waits; nothing is lost if another one wins.
        tokio::select! {
            () = shutdown.cancelled() => break,
            () = state.outbox.notified() => {}
            () = tokio::time::sleep(wait) => {}
        }
    }
    tracker.close();
    let pending = tracker.len();
    if pending > 0 {
        tracing::info!(pending, "waiting for in-flight webhook deliveries");
    }
    let _ = tokio::time::timeout(state.config.webhook_timeout + Duration::from_secs(1), tracker.wait()).await;
}

#[tracing::instrument(skip_all, fields(delivery_id = %delivery.id, webhook_id = %delivery.webhook_id, attempt = delivery.attempts + 1))]
async fn attempt(state: &AppState, client: &reqwest::Client, delivery: DueDelivery) {
    let webhook_id = delivery.webhook_id.clone();
    let hook = match state.db.read(move |conn| webhooks::by_id(conn, &webhook_id)).await {
        Ok(Some(hook)) => hook,
        Ok(None) => return,
        Err(err) => {
            tracing::warn!(error = %err, "could not load webhook");
            return;
        }
    };
    if hook.status == WebhookStatus::Paused {
        let (id, until) =
            (delivery.id.clone(), clock::now_ms() + i64::try_from(PAUSED_RECHECK.as_millis()).unwrap_or(60_000));
        let _ = state.db.write(move |tx| deliveries::postpone(tx, &id, until)).await;
        return;
    }
    let mut request = client
        .post(&hook.url)
        .header("content-type", "application/json")
        .header("x-jaibber-event", &delivery.event)
        .header("x-jaibber-delivery", &delivery.id)
        .body(delivery.payload.clone());
    if let Ok(signer) = JaibberSigner::new(&hook.secret) {
        request = request.header("x-jaibber-signature", signer.sign(&delivery.payload));
    }
    if hook.standard_webhooks
        && let Ok(signer) = StandardSigner::from_secret(&hook.secret)
    {
        let timestamp = clock::now_secs();
        request = request
            .header("webhook-id", &delivery.id)
            .header("webhook-timestamp", timestamp.to_string())
            .header("webhook-signature", signer.sign(&delivery.id, timestamp, &delivery.payload));
    }
    let started = Instant::now();
    let result = request.send().await;
    let latency_ms = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX);
    let (status_code, error) = match result {
        Ok(response) if response.status().is_success() => (Some(response.status().as_u16()), None),
        Ok(response) => (Some(response.status().as_u16()), Some(format!("receiver answered {}", response.status()))),
        Err(err) if err.is_timeout() => {
            (None, Some(format!("timed out after {} s", state.config.webhook_timeout.as_secs())))
        }
        Err(err) if err.is_connect() => (None, Some("connection failed".to_owned())),
        Err(_) => (None, Some("request failed".to_owned())),
    };
    let delivered = error.is_none();
    let retry_at_ms = if delivered {
        None
    } else {
        state.config.webhook_retry_delays.get(delivery.round_attempts as usize).map(|delay| {
            let base = i64::try_from(delay.as_millis()).unwrap_or(i64::MAX / 2);
            clock::now_ms() + base + rand::random_range(0..=base / 5)
        })
    };
    match (&error, retry_at_ms) {
        (None, _) => tracing::debug!(latency_ms, "webhook delivered"),
        (Some(error), Some(_)) => tracing::info!(latency_ms, error = %error, "webhook delivery failed; will retry"),
        (Some(error), None) => tracing::warn!(latency_ms, error = %error, "webhook delivery failed; retries used up"),
    }
    let failing_after = state.config.webhook_failing_after;
    let write = state
        .db
        .write(move |tx| {
            let at = clock::now_iso();
            let outcome = AttemptOutcome { status_code, latency_ms, error: error.as_deref(), at: at.as_str(), retry_at_ms, delivered };
            deliveries::record_attempt(tx, &delivery, &outcome)?;
            if let Some(mut hook) = webhooks::by_id(tx, &delivery.webhook_id)? {
                if delivered {
                    hook.consecutive_failures = 0;
                    if hook.status == WebhookStatus::Failing {
                        hook.status = WebhookStatus::Active;
                    }
                } else {
                    hook.consecutive_failures += 1;
                    if hook.consecutive_failures >= failing_after && hook.status == WebhookStatus::Active {
                        hook.status = WebhookStatus::Failing;
                    }
                }
                webhooks::update(tx, &hook)?;
                events::audit(
                    tx,
                    &hook.org_id,
                    None,
                    "webhook.delivery",
                    Some(("delivery", &delivery.id)),
                    json!({ "webhookId": hook.id, "event": delivery.event, "attempt": delivery.attempts + 1, "statusCode": status_code, "latencyMs": latency_ms, "error": error, "delivered": delivered }),
                )?;
            }
            Ok(())
        })
        .await;
    if let Err(err) = write {
        tracing::error!(error = %err, "could not record a webhook attempt; it will be retried when its lease ends");
    }
}
