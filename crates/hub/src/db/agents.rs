//! `agents` and `agent_projects`.

use bridge_core::model::{Agent, Timestamp};
use rusqlite::{Connection, OptionalExtension, params};

use super::{DbResult, from_json, to_json};

/// How long after a heartbeat an agent counts as online, in milliseconds.
const ONLINE_MS: i64 = bridge_core::model::agent::ONLINE_WINDOW_SECS * 1000;

fn with_liveness(mut agent: Agent, last_seen_ms: Option<i64>, now_ms: i64) -> Agent {
    agent.last_seen_at = last_seen_ms.map(Timestamp::from_unix_millis);
    agent.is_online = last_seen_ms.is_some_and(|seen| now_ms - seen <= ONLINE_MS);
    agent
}

/// Inserts an agent; `false` when the org already has an agent of that name.
pub fn insert(conn: &Connection, agent: &Agent, org: &str) -> DbResult<bool> {
    let changed = conn.prepare_cached("INSERT INTO agents (id, org_id, name, body, last_seen_ms) VALUES (?1, ?2, ?3, ?4, NULL) ON CONFLICT DO NOTHING")?.execute(params![agent.id.as_str(), org, agent.name, to_json(agent)?],
    )?;
    Ok(changed == 1)
}

/// The org's agent named `name` (case-insensitively), with its last heartbeat.
pub fn find_by_name(conn: &Connection, org: &str, name: &str, now_ms: i64) -> DbResult<Option<Agent>> {
    let row: Option<(String, Option<i64>)> = conn
        .prepare_cached("SELECT body, last_seen_ms FROM agents WHERE org_id = ?1 AND name = ?2")?
        .query_row(params![org, name], |r| Ok((r.get(0)?, r.get(1)?)))
        .optional()?;
    row.map(|(body, seen)| Ok(with_liveness(from_json(&body)?, seen, now_ms))).transpose()
}

/// Replaces an agent's stored description (its id, org and name stay).
pub fn update_body(conn: &Connection, agent: &Agent) -> DbResult<()> {
    conn.prepare_cached("UPDATE agents SET body = ?2 WHERE id = ?1")?
        .execute(params![agent.id.as_str(), to_json(agent)?])?;
    Ok(())
}

/// Finds an agent (with its org id).
pub fn get(conn: &Connection, id: &str, now_ms: i64) -> DbResult<Option<(Agent, String)>> {
    let row: Option<(String, String, Option<i64>)> = conn
        .prepare_cached("SELECT body, org_id, last_seen_ms FROM agents WHERE id = ?1")?
        .query_row([id], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
        .optional()?;
    row.map(|(body, org, seen)| Ok((with_liveness(from_json(&body)?, seen, now_ms), org))).transpose()
}

/// Lists an org's agents.
pub fn list_for_org(conn: &Connection, org: &str, now_ms: i64) -> DbResult<Vec<Agent>> {
    let mut stmt = conn.prepare_cached("SELECT body, last_seen_ms FROM agents WHERE org_id = ?1 ORDER BY name")?;
    let rows = stmt.query_map([org], |r| Ok((r.get::<_, String>(0)?, r.get::<_, Option<i64>>(1)?)))?;
    rows.map(|row| {
        let (body, seen) = row?;
        Ok(with_liveness(from_json(&body)?, seen, now_ms))
    })
    .collect()
}

/// Lists discoverable agents (or every agent of `org` when the caller belongs to it).
pub fn discover(
    conn: &Connection,
    org: Option<&str>,
    include_private_of: Option<&str>,
    limit: u32,
    now_ms: i64,
) -> DbResult<Vec<Agent>> {
    let mut stmt = conn.prepare_cached(
        "SELECT body, last_seen_ms FROM agents WHERE (?1 IS NULL OR org_id = ?1)
         AND (json_extract(body, '$.discoverable') = 1 OR org_id = ?2) ORDER BY name LIMIT ?3",
    )?;
    let rows = stmt.query_map(params![org, include_private_of, limit], |r| {
        Ok((r.get::<_, String>(0)?, r.get::<_, Option<i64>>(1)?))
    })?;
    rows.map(|row| {
        let (body, seen) = row?;
        Ok(with_liveness(from_json(&body)?, seen, now_ms))
    })
    .collect()
}

/// Records a heartbeat.
pub fn heartbeat(conn: &Connection, id: &str, now_ms: i64) -> DbResult<bool> {
    Ok(conn.prepare_cached("UPDATE agents SET last_seen_ms = ?2 WHERE id = ?1")?.execute(params![id, now_ms])? == 1)
}

/// Counts an org's agents.
pub fn count_for_org(conn: &Connection, org: &str) -> DbResult<u64> {
    Ok(conn.prepare_cached("SELECT COUNT(*) FROM agents WHERE org_id = ?1")?.query_row([org], |r| r.get(0))?)
}

/// Counts an org's agents seen recently.
pub fn online_for_org(conn: &Connection, org: &str, now_ms: i64) -> DbResult<u64> {
    Ok(conn
        .prepare_cached("SELECT COUNT(*) FROM agents WHERE org_id = ?1 AND last_seen_ms >= ?2")?
        .query_row(params![org, now_ms - ONLINE_MS], |r| r.get(0))?)
}

/// Puts an agent into a project; `false` when it already was.
pub fn assign(conn: &Connection, agent: &str, project: &str) -> DbResult<bool> {
    Ok(conn
        .prepare_cached("INSERT INTO agent_projects (agent_id, project_id) VALUES (?1, ?2) ON CONFLICT DO NOTHING")?
        .execute([agent, project])?
        == 1)
}

/// Takes an agent out of a project; `false` when it was not in it.
pub fn unassign(conn: &Connection, agent: &str, project: &str) -> DbResult<bool> {
    Ok(conn
        .prepare_cached("DELETE FROM agent_projects WHERE agent_id = ?1 AND project_id = ?2")?
        .execute([agent, project])?
        == 1)
}

/// Names of the agents assigned to a project (for resolving `@mentions`).
pub fn names_in_project(conn: &Connection, project: &str) -> DbResult<Vec<String>> {
    let mut stmt = conn.prepare_cached(
        "SELECT a.name FROM agents a JOIN agent_projects ap ON ap.agent_id = a.id WHERE ap.project_id = ?1 ORDER BY a.name",
    )?;
    let rows = stmt.query_map([project], |r| r.get(0))?;
    Ok(rows.collect::<Result<_, _>>()?)
}
