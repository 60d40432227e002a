//! `audit_log`: who did what in an org.

use bridge_core::model::AuditEntry;
use rusqlite::{Connection, params};

use super::{DbResult, from_json, to_json};

/// Appends an entry.
pub fn insert(conn: &Connection, entry: &AuditEntry) -> DbResult<()> {
    conn.prepare_cached("INSERT INTO audit_log (id, org_id, body) VALUES (?1, ?2, ?3)")?.execute(params![
        entry.id,
        entry.org_id.as_str(),
        to_json(entry)?
    ])?;
    Ok(())
}

/// One page, newest first: entries, whether more exist, and the cursor.
pub fn page(
    conn: &Connection,
    org: &str,
    before_seq: Option<i64>,
    limit: u32,
) -> DbResult<(Vec<AuditEntry>, bool, Option<String>)> {
    let mut stmt = conn.prepare_cached(
        "SELECT seq, body FROM audit_log WHERE org_id = ?1 AND (?2 IS NULL OR seq < ?2) ORDER BY seq DESC LIMIT ?3",
    )?;
    let mut rows: Vec<(i64, String)> = stmt
        .query_map(params![org, before_seq, i64::from(limit) + 1], |r| Ok((r.get(0)?, r.get(1)?)))?
        .collect::<Result<_, _>>()?;
    let has_more = rows.len() > limit as usize;
    rows.truncate(limit as usize);
    let cursor = rows.last().map(|(seq, _)| format!("s{seq}"));
    let entries = rows.iter().map(|(_, body)| from_json(body)).collect::<DbResult<Vec<_>>>()?;
    Ok((entries, has_more, cursor))
}
