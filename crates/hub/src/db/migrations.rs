//! Versioned schema migrations, tracked in `PRAGMA user_version`.
//!
//! Append new steps to [`STEPS`]; never edit a released one.

use rusqlite::Connection;

use super::DbResult;

const STEPS: &[&str] = &[
    // 1: the initial schema.
    r"
    CREATE TABLE users (
        id TEXT PRIMARY KEY,
        username TEXT NOT NULL UNIQUE COLLATE NOCASE,
        password_hash TEXT,
        github_id TEXT UNIQUE,
        created_at TEXT NOT NULL
    );
    CREATE TABLE orgs (
        id TEXT PRIMARY KEY,
        name TEXT NOT NULL,
        plan TEXT NOT NULL,
        created_at TEXT NOT NULL
    );
    CREATE TABLE org_members (
        org_id TEXT NOT NULL REFERENCES orgs(id) ON DELETE CASCADE,
        user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
        role TEXT NOT NULL,
        joined_at TEXT NOT NULL,
        PRIMARY KEY (org_id, user_id)
    );
    CREATE INDEX org_members_by_user ON org_members(user_id);
    CREATE TABLE projects (
        id TEXT PRIMARY KEY,
        name TEXT NOT NULL,
        description TEXT,
        org_id TEXT REFERENCES orgs(id) ON DELETE CASCADE,
        created_by TEXT NOT NULL,
        created_at TEXT NOT NULL
    );
    CREATE INDEX projects_by_org ON projects(org_id);
    CREATE TABLE project_members (
        project_id TEXT NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
        user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
        role TEXT NOT NULL,
        PRIMARY KEY (project_id, user_id)
    );
    CREATE INDEX project_members_by_user ON project_members(user_id);
    CREATE TABLE messages (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        id TEXT NOT NULL UNIQUE,
        project_id TEXT NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
        quota_scope TEXT NOT NULL,
        sender_id TEXT,
        sender_type TEXT NOT NULL,
        sender_name TEXT NOT NULL,
        type TEXT NOT NULL,
        text TEXT NOT NULL,
        body TEXT NOT NULL,
        created_at TEXT NOT NULL,
        created_ms INTEGER NOT NULL
    );
    CREATE INDEX messages_by_project ON messages(project_id, seq);
    CREATE INDEX messages_by_quota_day ON messages(quota_scope, created_ms);
    CREATE TABLE tasks (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        id TEXT NOT NULL UNIQUE,
        project_id TEXT NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
        status TEXT NOT NULL,
        assigned_agent_name TEXT COLLATE NOCASE,
        body TEXT NOT NULL,
        created_ms INTEGER NOT NULL,
        updated_seq INTEGER NOT NULL
    );
    CREATE INDEX tasks_by_project ON tasks(project_id, seq);
    CREATE INDEX tasks_by_update ON tasks(project_id, updated_seq);
    CREATE TABLE agents (
        id TEXT PRIMARY KEY,
        org_id TEXT NOT NULL REFERENCES orgs(id) ON DELETE CASCADE,
        name TEXT NOT NULL COLLATE NOCASE,
        body TEXT NOT NULL,
        last_seen_ms INTEGER,
        UNIQUE (org_id, name)
    );
    CREATE TABLE agent_projects (
        agent_id TEXT NOT NULL REFERENCES agents(id) ON DELETE CASCADE,
        project_id TEXT NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
        PRIMARY KEY (agent_id, project_id)
    );
    CREATE TABLE api_keys (
        id TEXT PRIMARY KEY,
        org_id TEXT NOT NULL REFERENCES orgs(id) ON DELETE CASCADE,
        name TEXT NOT NULL,
        prefix TEXT NOT NULL,
        key_hash TEXT NOT NULL UNIQUE,
        scopes TEXT NOT NULL,
        rate_limit_per_minute INTEGER NOT NULL,
        created_by TEXT NOT NULL,
        created_at TEXT NOT NULL,
        last_used_at TEXT,
        revoked_at TEXT
    );
    CREATE TABLE webhooks (
        id TEXT PRIMARY KEY,
        org_id TEXT NOT NULL REFERENCES orgs(id) ON DELETE CASCADE,
        url TEXT NOT NULL,
        events TEXT NOT NULL,
        secret TEXT NOT NULL,
        status TEXT NOT NULL,
        standard_webhooks INTEGER NOT NULL DEFAULT 0,
        consecutive_failures INTEGER NOT NULL DEFAULT 0,
        created_at TEXT NOT NULL
    );
    CREATE TABLE deliveries (
        id TEXT PRIMARY KEY,
        webhook_id TEXT NOT NULL REFERENCES webhooks(id) ON DELETE CASCADE,
        org_id TEXT NOT NULL,
        event TEXT NOT NULL,
        payload BLOB NOT NULL,
        state TEXT NOT NULL,
        attempts INTEGER NOT NULL DEFAULT 0,
        round_attempts INTEGER NOT NULL DEFAULT 0,
        next_attempt_ms INTEGER,
        lease_ms INTEGER,
        created_at TEXT NOT NULL,
        last_status INTEGER,
        last_error TEXT
    );
    CREATE INDEX deliveries_due ON deliveries(state, next_attempt_ms);
    CREATE INDEX deliveries_by_webhook ON deliveries(webhook_id, created_at);
    CREATE TABLE delivery_attempts (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        delivery_id TEXT NOT NULL REFERENCES deliveries(id) ON DELETE CASCADE,
        attempt INTEGER NOT NULL,
        status_code INTEGER,
        latency_ms INTEGER NOT NULL,
        error TEXT,
        at TEXT NOT NULL
    );
    CREATE INDEX attempts_by_delivery ON delivery_attempts(delivery_id, attempt);
    CREATE TABLE audit_log (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        id TEXT NOT NULL UNIQUE,
        org_id TEXT NOT NULL,
        body TEXT NOT NULL
    );
    CREATE INDEX audit_by_org ON audit_log(org_id, seq);
    CREATE TABLE daily_usage (
        quota_scope TEXT NOT NULL,
        day INTEGER NOT NULL,
        messages INTEGER NOT NULL DEFAULT 0,
        PRIMARY KEY (quota_scope, day)
    );
    ",
];

/// Brings the schema up to the newest version.
pub(super) fn apply(conn: &mut Connection) -> DbResult<()> {
    let current: usize = conn
        .query_row("PRAGMA user_version", [], |row| row.get::<_, i64>(0))
        .map(|v| usize::try_from(v).unwrap_or(0))?;
    for (index, step) in STEPS.iter().enumerate().skip(current) {
        let tx = conn.transaction()?;
        tx.execute_batch(step)?;
        tx.pragma_update(None, "user_version", i64::try_from(index + 1).unwrap_or(i64::MAX))?;
        tx.commit()?;
        tracing::info!(version = index + 1, "database migrated");
    }
    Ok(())
}
