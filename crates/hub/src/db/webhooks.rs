//! `webhooks`: subscriptions (secrets stay here; listings never include them).

use bridge_core::model::{Timestamp, Webhook, WebhookEventName, WebhookId, WebhookStatus};
use rusqlite::{Connection, OptionalExtension, params};

use super::{DbResult, from_json, to_json};

/// A stored webhook, secret included.
#[derive(Clone, Debug)]
pub struct WebhookRow {
    /// Its id.
    pub id: String,
    /// Its org.
    pub org_id: String,
    /// Where to deliver.
    pub url: String,
    /// Subscribed events.
    pub events: Vec<WebhookEventName>,
    /// The signing secret.
    pub secret: String,
    /// Active, paused or failing.
    pub status: WebhookStatus,
    /// Also send Standard Webhooks headers.
    pub standard_webhooks: bool,
    /// Failed attempts in a row.
    pub consecutive_failures: u32,
    /// When it was created.
    pub created_at: String,
}

impl WebhookRow {
    /// The API shape (no secret).
    #[must_use]
    pub fn to_webhook(&self) -> Webhook {
        Webhook {
            id: WebhookId::new(self.id.clone()),
            url: self.url.clone(),
            events: self.events.clone(),
            status: self.status.clone(),
            created_at: Some(Timestamp::new_unchecked(self.created_at.clone())),
            extra: Default::default(),
        }
    }
}

const COLUMNS: &str = "id, org_id, url, events, secret, status, standard_webhooks, consecutive_failures, created_at";

fn row(r: &rusqlite::Row<'_>) -> rusqlite::Result<(WebhookRow, String)> {
    Ok((
        WebhookRow {
            id: r.get(0)?,
            org_id: r.get(1)?,
            url: r.get(2)?,
            events: Vec::new(),
            secret: r.get(4)?,
            status: WebhookStatus::from_wire(&r.get::<_, String>(5)?),
            standard_webhooks: r.get(6)?,
            consecutive_failures: r.get(7)?,
            created_at: r.get(8)?,
        },
        r.get(3)?,
    ))
}

fn decode((mut hook, events): (WebhookRow, String)) -> DbResult<WebhookRow> {
    hook.events = from_json(&events)?;
    Ok(hook)
}

/// Stores a webhook.
pub fn insert(conn: &Connection, hook: &WebhookRow) -> DbResult<()> {
    conn.prepare_cached(&format!("INSERT INTO webhooks ({COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)"))?
        .execute(params![
            hook.id,
            hook.org_id,
            hook.url,
            to_json(&hook.events)?,
            hook.secret,
            hook.status.as_str(),
            hook.standard_webhooks,
            hook.consecutive_failures,
            hook.created_at
        ])?;
    Ok(())
}

/// Finds an org's webhook.
pub fn get(conn: &Connection, org: &str, id: &str) -> DbResult<Option<WebhookRow>> {
    conn.prepare_cached(&format!("SELECT {COLUMNS} FROM webhooks WHERE org_id = ?1 AND id = ?2"))?
        .query_row([org, id], row)
        .optional()?
        .map(decode)
        .transpose()
}

/// Finds a webhook by id alone (delivery worker).
pub fn by_id(conn: &Connection, id: &str) -> DbResult<Option<WebhookRow>> {
    conn.prepare_cached(&format!("SELECT {COLUMNS} FROM webhooks WHERE id = ?1"))?
        .query_row([id], row)
        .optional()?
        .map(decode)
        .transpose()
}

/// Lists an org's webhooks.
pub fn list(conn: &Connection, org: &str) -> DbResult<Vec<WebhookRow>> {
    let mut stmt =
        conn.prepare_cached(&format!("SELECT {COLUMNS} FROM webhooks WHERE org_id = ?1 ORDER BY created_at"))?;
    let rows = stmt.query_map([org], row)?;
    rows.map(|r| decode(r?)).collect()
}

/// Webhooks of an org that should receive an event (active or failing, not paused).
pub fn subscribed(conn: &Connection, org: &str, event: &WebhookEventName) -> DbResult<Vec<WebhookRow>> {
    Ok(list(conn, org)?
        .into_iter()
        .filter(|hook| hook.status != WebhookStatus::Paused && hook.events.contains(event))
        .collect())
}

/// Stores changed fields.
pub fn update(conn: &Connection, hook: &WebhookRow) -> DbResult<()> {
    conn.prepare_cached(
        "UPDATE webhooks SET url = ?2, events = ?3, status = ?4, consecutive_failures = ?5 WHERE id = ?1",
    )?
    .execute(params![
        hook.id,
        hook.url,
        to_json(&hook.events)?,
        hook.status.as_str(),
        hook.consecutive_failures
    ])?;
    Ok(())
}

/// Deletes an org's webhook.
pub fn delete(conn: &Connection, org: &str, id: &str) -> DbResult<bool> {
    Ok(conn.prepare_cached("DELETE FROM webhooks WHERE org_id = ?1 AND id = ?2")?.execute([org, id])? == 1)
}

/// Counts an org's webhooks.
pub fn count_for_org(conn: &Connection, org: &str) -> DbResult<u64> {
    Ok(conn.prepare_cached("SELECT COUNT(*) FROM webhooks WHERE org_id = ?1")?.query_row([org], |r| r.get(0))?)
}
