//! `tasks`.
//!
//! `before` pages in creation order, newest first (cursor `s<seq>`); `after` pages in
//! update order, oldest first (cursor `u<updatedSeq>`), so a poller sees every change.

use bridge_core::model::{Task, TaskStatus};
use rusqlite::{Connection, OptionalExtension, params};

use super::{DbResult, from_json, to_json};

/// A task page query.
#[derive(Clone, Debug, Default)]
pub struct TaskPageQuery {
    /// Strictly before this creation seq, newest first.
    pub before_seq: Option<i64>,
    /// Strictly before this creation time (Unix ms), newest first.
    pub before_ms: Option<i64>,
    /// Strictly after this update seq, oldest update first.
    pub after_update: Option<i64>,
    /// Only this status.
    pub status: Option<TaskStatus>,
    /// Only this assignee (case-insensitive).
    pub assigned_agent_name: Option<String>,
    /// Page size.
    pub limit: u32,
}

fn next_update_seq(conn: &Connection) -> DbResult<i64> {
    Ok(conn.prepare_cached("SELECT COALESCE(MAX(updated_seq), 0) + 1 FROM tasks")?.query_row([], |r| r.get(0))?)
}

/// Inserts a task.
pub fn insert(conn: &Connection, task: &Task, created_ms: i64) -> DbResult<()> {
    let update = next_update_seq(conn)?;
    conn.prepare_cached("INSERT INTO tasks (id, project_id, status, assigned_agent_name, body, created_ms, updated_seq) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)")?.execute(params![task.id.as_str(), task.project_id.as_str(), task.status.as_str(), task.assigned_agent_name, to_json(task)?, created_ms, update],
    )?;
    Ok(())
}

/// Stores a changed task.
pub fn update(conn: &Connection, task: &Task) -> DbResult<()> {
    let update = next_update_seq(conn)?;
    conn.prepare_cached(
        "UPDATE tasks SET status = ?2, assigned_agent_name = ?3, body = ?4, updated_seq = ?5 WHERE id = ?1",
    )?
    .execute(params![task.id.as_str(), task.status.as_str(), task.assigned_agent_name, to_json(task)?, update])?;
    Ok(())
}

/// Finds a task.
pub fn get(conn: &Connection, id: &str) -> DbResult<Option<Task>> {
    let body: Option<String> =
        conn.prepare_cached("SELECT body FROM tasks WHERE id = ?1")?.query_row([id], |r| r.get(0)).optional()?;
    body.map(|b| from_json(&b)).transpose()
}

/// Returns one page, whether more exist, and the cursor of its last row.
pub fn page(conn: &Connection, project: &str, query: &TaskPageQuery) -> DbResult<(Vec<Task>, bool, Option<String>)> {
    let ascending = query.after_update.is_some();
    let sql = if ascending {
        "SELECT updated_seq, body FROM tasks WHERE project_id = ?1 AND updated_seq > ?2
         AND (?3 IS NULL OR status = ?3) AND (?4 IS NULL OR assigned_agent_name = ?4) ORDER BY updated_seq ASC LIMIT ?5"
    } else {
        "SELECT seq, body FROM tasks WHERE project_id = ?1 AND (?2 IS NULL OR seq < ?2)
         AND (?3 IS NULL OR status = ?3) AND (?4 IS NULL OR assigned_agent_name = ?4)
         AND (?6 IS NULL OR created_ms < ?6) ORDER BY seq DESC LIMIT ?5"
    };
    let bound = if ascending { query.after_update } else { query.before_seq };
    let mut stmt = conn.prepare_cached(sql)?;
    let rows = stmt.query_map(
        params![
            project,
            bound,
            query.status.as_ref().map(|s| s.as_str()),
            query.assigned_agent_name,
            i64::from(query.limit) + 1,
            if ascending { None } else { query.before_ms }
        ],
        |r| Ok((r.get::<_, i64>(0)?, r.get::<_, String>(1)?)),
    )?;
    let mut items: Vec<(i64, String)> = rows.collect::<Result<_, _>>()?;
    let has_more = items.len() > query.limit as usize;
    items.truncate(query.limit as usize);
    let prefix = if ascending { "u" } else { "s" };
    let cursor = items.last().map(|(seq, _)| format!("{prefix}{seq}"));
    let tasks = items.iter().map(|(_, body)| from_json(body)).collect::<DbResult<Vec<Task>>>()?;
    Ok((tasks, has_more, cursor))
}

/// Deletes a task.
pub fn delete(conn: &Connection, id: &str) -> DbResult<bool> {
    Ok(conn.prepare_cached("DELETE FROM tasks WHERE id = ?1")?.execute([id])? == 1)
}

/// Counts a project's (or org's) tasks by status.
pub fn count_by_status_for_org(conn: &Connection, org: &str) -> DbResult<Vec<(String, u64)>> {
    let mut stmt = conn.prepare_cached(
        "SELECT t.status, COUNT(*) FROM tasks t JOIN projects p ON p.id = t.project_id WHERE p.org_id = ?1 GROUP BY t.status",
    )?;
    let rows = stmt.query_map([org], |r| Ok((r.get(0)?, r.get(1)?)))?;
    Ok(rows.collect::<Result<_, _>>()?)
}
