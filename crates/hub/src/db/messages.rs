//! `messages`: the chat history of every project.
//!
//! Cursors are `s<seq>` (the row's insertion order), exact even when two messages share
//! a millisecond. `before`/`after` also accept an ISO timestamp, as the public reference
//! documents.

use bridge_core::model::{Message, SenderType};
use rusqlite::{Connection, OptionalExtension, params};

use super::{DbResult, from_json, to_json};

/// Where a page starts.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Bound {
    /// From the newest (or oldest, for `after`).
    Open,
    /// Relative to a stored row.
    Seq(i64),
    /// Relative to a time, Unix milliseconds.
    Millis(i64),
}

/// A page query.
#[derive(Clone, Debug)]
pub struct PageQuery {
    /// `true` for `after` (oldest first), `false` for `before` (newest first).
    pub ascending: bool,
    /// Where to start.
    pub bound: Bound,
    /// Page size.
    pub limit: u32,
    /// Only this sender type.
    pub sender_type: Option<SenderType>,
    /// Hide messages older than this (plan history window).
    pub min_created_ms: Option<i64>,
}

/// Inserts a message; returns `false` (and changes nothing) when its id is already stored.
pub fn insert(conn: &Connection, message: &Message, quota_scope: &str, created_ms: i64) -> DbResult<bool> {
    let changed = conn.prepare_cached("INSERT INTO messages (id, project_id, quota_scope, sender_id, sender_type, sender_name, type, text, body, created_at, created_ms)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11) ON CONFLICT (id) DO NOTHING")?.execute(params![
            message.id.as_str(),
            message.project_id.as_str(),
            quota_scope,
            message.sender_id.as_ref().map(|s| s.as_str()),
            message.sender_type.as_str(),
            message.sender_name,
            message.kind.as_str(),
            message.text,
            to_json(message)?,
            message.created_at.as_ref().map(|t| t.as_str()),
            created_ms,
        ],
    )?;
    if changed == 1 {
        conn.prepare_cached(
            "INSERT INTO daily_usage (quota_scope, day, messages) VALUES (?1, ?2, 1)
             ON CONFLICT (quota_scope, day) DO UPDATE SET messages = messages + 1",
        )?
        .execute(params![quota_scope, created_ms.div_euclid(86_400_000)])?;
    }
    Ok(changed == 1)
}

/// Finds a message by id.
pub fn get(conn: &Connection, id: &str) -> DbResult<Option<Message>> {
    let body: Option<String> =
        conn.prepare_cached("SELECT body FROM messages WHERE id = ?1")?.query_row([id], |r| r.get(0)).optional()?;
    body.map(|b| from_json(&b)).transpose()
}

/// Returns one page and whether more exist, plus the cursor of its last row.
pub fn page(conn: &Connection, project: &str, query: &PageQuery) -> DbResult<(Vec<Message>, bool, Option<String>)> {
    let (cmp, order) = if query.ascending { (">", "ASC") } else { ("<", "DESC") };
    let (bound_sql, bound_value) = match query.bound {
        Bound::Open => ("1 = 1 AND ?2 IS NULL".to_owned(), None),
        Bound::Seq(seq) => (format!("seq {cmp} ?2"), Some(seq)),
        Bound::Millis(ms) => (format!("created_ms {cmp} ?2"), Some(ms)),
    };
    let sql = format!(
        "SELECT seq, body FROM messages WHERE project_id = ?1 AND {bound_sql}
         AND (?3 IS NULL OR sender_type = ?3) AND (?4 IS NULL OR created_ms >= ?4)
         ORDER BY seq {order} LIMIT ?5"
    );
    let mut stmt = conn.prepare_cached(&sql)?;
    let fetch = i64::from(query.limit) + 1;
    let rows = stmt.query_map(
        params![project, bound_value, query.sender_type.as_ref().map(|s| s.as_str()), query.min_created_ms, fetch],
        |r| Ok((r.get::<_, i64>(0)?, r.get::<_, String>(1)?)),
    )?;
    let mut items: Vec<(i64, String)> = rows.collect::<Result<_, _>>()?;
    let has_more = items.len() > query.limit as usize;
    items.truncate(query.limit as usize);
    let cursor = items.last().map(|(seq, _)| format!("s{seq}"));
    let messages = items.iter().map(|(_, body)| from_json(body)).collect::<DbResult<Vec<Message>>>()?;
    Ok((messages, has_more, cursor))
}

/// Deletes a message; `false` when it was not in the project.
pub fn delete(conn: &Connection, project: &str, id: &str) -> DbResult<bool> {
    Ok(conn.prepare_cached("DELETE FROM messages WHERE project_id = ?1 AND id = ?2")?.execute([project, id])? == 1)
}

/// Counts messages stored in a quota bucket on the UTC day containing `at_ms` (a
/// counter row, so the check costs the same at the day's first message and its millionth).
pub fn count_on_day(conn: &Connection, quota_scope: &str, at_ms: i64) -> DbResult<u64> {
    Ok(conn
        .prepare_cached("SELECT messages FROM daily_usage WHERE quota_scope = ?1 AND day = ?2")?
        .query_row(params![quota_scope, at_ms.div_euclid(86_400_000)], |r| r.get(0))
        .optional()?
        .unwrap_or(0))
}
