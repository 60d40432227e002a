//! `deliveries` and `delivery_attempts`: the durable webhook outbox and its log.
//!
//! A delivery is claimed by moving its `next_attempt_ms` one lease ahead inside a write
//! transaction; if the hub dies mid-attempt the lease simply runs out and the delivery
//! is attempted again, so a restart loses nothing.

use bridge_core::model::{
    DeliveryAttempt, DeliveryId, DeliveryState, Timestamp, WebhookDelivery, WebhookEventName, WebhookId,
};
use rusqlite::{Connection, OptionalExtension, params};

use super::DbResult;

/// A delivery ready for an attempt.
#[derive(Clone, Debug)]
pub struct DueDelivery {
    /// The delivery id.
    pub id: String,
    /// The webhook.
    pub webhook_id: String,
    /// The event name.
    pub event: String,
    /// The exact body bytes to send (signed as they are).
    pub payload: Vec<u8>,
    /// Attempts so far, all rounds.
    pub attempts: u32,
    /// Attempts so far in this round (since creation or the last redeliver).
    pub round_attempts: u32,
}

/// A delivery to queue.
#[derive(Debug)]
pub struct NewDelivery<'a> {
    /// The delivery id (`d_…`).
    pub id: &'a str,
    /// The webhook.
    pub webhook_id: &'a str,
    /// Its org.
    pub org_id: &'a str,
    /// The event name.
    pub event: &'a str,
    /// The exact body.
    pub payload: &'a [u8],
    /// Now, as stored.
    pub now: &'a str,
    /// Now, Unix ms (due time).
    pub now_ms: i64,
}

/// Queues a delivery, due now.
pub fn enqueue(conn: &Connection, delivery: &NewDelivery<'_>) -> DbResult<()> {
    conn.prepare_cached(
        "INSERT INTO deliveries (id, webhook_id, org_id, event, payload, state, next_attempt_ms, created_at)
         VALUES (?1, ?2, ?3, ?4, ?5, 'pending', ?6, ?7)",
    )?
    .execute(params![
        delivery.id,
        delivery.webhook_id,
        delivery.org_id,
        delivery.event,
        delivery.payload,
        delivery.now_ms,
        delivery.now
    ])?;
    Ok(())
}

/// Claims up to `limit` due deliveries for `lease_ms`.
pub fn claim_due(conn: &Connection, now_ms: i64, lease_ms: i64, limit: u32) -> DbResult<Vec<DueDelivery>> {
    let mut stmt = conn.prepare_cached(
        "SELECT id, webhook_id, event, payload, attempts, round_attempts FROM deliveries
         WHERE state = 'pending' AND next_attempt_ms <= ?1 AND (lease_ms IS NULL OR lease_ms <= ?1)
         ORDER BY next_attempt_ms LIMIT ?2",
    )?;
    let due: Vec<DueDelivery> = stmt
        .query_map(params![now_ms, limit], |r| {
            Ok(DueDelivery {
                id: r.get(0)?,
                webhook_id: r.get(1)?,
                event: r.get(2)?,
                payload: r.get(3)?,
                attempts: r.get(4)?,
                round_attempts: r.get(5)?,
            })
        })?
        .collect::<Result<_, _>>()?;
    for delivery in &due {
        conn.prepare_cached("UPDATE deliveries SET lease_ms = ?2 WHERE id = ?1")?
            .execute(params![delivery.id, now_ms + lease_ms])?;
    }
    Ok(due)
}

/// The next due time, for the worker's sleep.
pub fn next_due_ms(conn: &Connection) -> DbResult<Option<i64>> {
    Ok(conn
        .prepare_cached(
            "SELECT MIN(MAX(next_attempt_ms, COALESCE(lease_ms, 0))) FROM deliveries WHERE state = 'pending'",
        )?
        .query_row([], |r| r.get(0))?)
}

/// Releases every lease: called at startup, when no attempt of this hub can be in flight.
pub fn release_leases(conn: &Connection) -> DbResult<usize> {
    Ok(conn.prepare_cached("UPDATE deliveries SET lease_ms = NULL WHERE lease_ms IS NOT NULL")?.execute([])?)
}

/// Moves a delivery's next attempt (e.g. while its webhook is paused), keeping its count.
pub fn postpone(conn: &Connection, id: &str, until_ms: i64) -> DbResult<()> {
    conn.prepare_cached("UPDATE deliveries SET next_attempt_ms = ?2, lease_ms = NULL WHERE id = ?1")?
        .execute(params![id, until_ms])?;
    Ok(())
}

/// The outcome of one attempt.
#[derive(Clone, Debug)]
pub struct AttemptOutcome<'a> {
    /// The receiver's status.
    pub status_code: Option<u16>,
    /// Time taken.
    pub latency_ms: u64,
    /// Why it failed.
    pub error: Option<&'a str>,
    /// When.
    pub at: &'a str,
    /// `None` when it succeeded or no retry is left; else when to retry.
    pub retry_at_ms: Option<i64>,
    /// Whether it succeeded.
    pub delivered: bool,
}

/// Records an attempt and moves the delivery on.
pub fn record_attempt(conn: &Connection, delivery: &DueDelivery, outcome: &AttemptOutcome<'_>) -> DbResult<()> {
    let attempt = delivery.attempts + 1;
    conn.prepare_cached("INSERT INTO delivery_attempts (delivery_id, attempt, status_code, latency_ms, error, at) VALUES (?1, ?2, ?3, ?4, ?5, ?6)")?.execute(params![delivery.id, attempt, outcome.status_code, outcome.latency_ms, outcome.error, outcome.at],
    )?;
    let state = if outcome.delivered {
        "delivered"
    } else if outcome.retry_at_ms.is_some() {
        "pending"
    } else {
        "failed"
    };
    conn.prepare_cached(
        "UPDATE deliveries SET state = ?2, attempts = ?3, round_attempts = round_attempts + 1, next_attempt_ms = ?4,
         lease_ms = NULL, last_status = ?5, last_error = ?6 WHERE id = ?1",
    )?
    .execute(params![delivery.id, state, attempt, outcome.retry_at_ms, outcome.status_code, outcome.error])?;
    Ok(())
}

/// Lists a webhook's deliveries, newest first, with their attempts; the cursor is
/// `s<rowid>` (unique, unlike the creation time many deliveries share).
pub fn list(
    conn: &Connection,
    webhook: &str,
    before_rowid: Option<i64>,
    limit: u32,
) -> DbResult<(Vec<WebhookDelivery>, bool, Option<String>)> {
    let mut stmt = conn.prepare_cached(
        "SELECT rowid, id, event, state, attempts, next_attempt_ms, created_at FROM deliveries
         WHERE webhook_id = ?1 AND (?2 IS NULL OR rowid < ?2) ORDER BY rowid DESC LIMIT ?3",
    )?;
    type Columns = (i64, String, String, String, u32, Option<i64>, String);
    let rows: Vec<Columns> = stmt
        .query_map(params![webhook, before_rowid, i64::from(limit) + 1], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?, r.get(5)?, r.get(6)?))
        })?
        .collect::<Result<_, _>>()?;
    let has_more = rows.len() > limit as usize;
    let mut out = Vec::new();
    let mut cursor = None;
    for (rowid, id, event, state, attempts, next, created_at) in rows.into_iter().take(limit as usize) {
        cursor = Some(format!("s{rowid}"));
        let state = DeliveryState::from_wire(&state);
        out.push(WebhookDelivery {
            attempt_log: attempts_of(conn, &id)?,
            id: DeliveryId::new(id),
            webhook_id: WebhookId::new(webhook),
            event: WebhookEventName::from_wire(&event),
            next_attempt_at: if state == DeliveryState::Pending { next.map(Timestamp::from_unix_millis) } else { None },
            state,
            attempts,
            created_at: Timestamp::new_unchecked(created_at),
        });
    }
    Ok((out, has_more, cursor))
}

fn attempts_of(conn: &Connection, delivery: &str) -> DbResult<Vec<DeliveryAttempt>> {
    let mut stmt = conn.prepare_cached("SELECT attempt, status_code, latency_ms, error, at FROM delivery_attempts WHERE delivery_id = ?1 ORDER BY attempt")?;
    let rows = stmt.query_map([delivery], |r| {
        Ok(DeliveryAttempt {
            attempt: r.get(0)?,
            status_code: r.get(1)?,
            latency_ms: r.get(2)?,
            error: r.get(3)?,
            at: Timestamp::new_unchecked(r.get::<_, String>(4)?),
        })
    })?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// Queues a delivery again with the same id and body; `false` when it is not the webhook's.
pub fn redeliver(conn: &Connection, webhook: &str, id: &str, now_ms: i64) -> DbResult<bool> {
    Ok(conn
        .prepare_cached(
            "UPDATE deliveries SET state = 'pending', round_attempts = 0, next_attempt_ms = ?3, lease_ms = NULL
         WHERE webhook_id = ?1 AND id = ?2",
        )?
        .execute(params![webhook, id, now_ms])?
        == 1)
}

/// Finds one delivery of a webhook.
pub fn get(conn: &Connection, webhook: &str, id: &str) -> DbResult<Option<WebhookDelivery>> {
    let rowid: Option<i64> = conn
        .prepare_cached("SELECT rowid FROM deliveries WHERE webhook_id = ?1 AND id = ?2")?
        .query_row([webhook, id], |r| r.get(0))
        .optional()?;
    let Some(rowid) = rowid else { return Ok(None) };
    let (mut found, _, _) = list(conn, webhook, Some(rowid + 1), 1)?;
    Ok(found.pop())
}

/// Counts pending deliveries (metrics, shutdown report).
pub fn pending_count(conn: &Connection) -> DbResult<u64> {
    Ok(conn.prepare_cached("SELECT COUNT(*) FROM deliveries WHERE state = 'pending'")?.query_row([], |r| r.get(0))?)
}
