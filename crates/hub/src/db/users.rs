//! `users`: accounts.

use rusqlite::{Connection, OptionalExtension, params};

use super::DbResult;

/// A stored account.
#[derive(Clone, Debug)]
pub struct UserRow {
    /// Its id.
    pub id: String,
    /// Its name.
    pub username: String,
    /// The argon2 PHC string; `None` for GitHub-only accounts.
    pub password_hash: Option<String>,
}

fn row(r: &rusqlite::Row<'_>) -> rusqlite::Result<UserRow> {
    Ok(UserRow { id: r.get(0)?, username: r.get(1)?, password_hash: r.get(2)? })
}

/// Inserts an account; `false` when the name is taken.
pub fn insert(
    conn: &Connection,
    id: &str,
    username: &str,
    password_hash: Option<&str>,
    github_id: Option<&str>,
    now: &str,
) -> DbResult<bool> {
    let changed = conn
        .prepare_cached(
            "INSERT INTO users (id, username, password_hash, github_id, created_at) VALUES (?1, ?2, ?3, ?4, ?5)
         ON CONFLICT DO NOTHING",
        )?
        .execute(params![id, username, password_hash, github_id, now])?;
    Ok(changed == 1)
}

/// Finds an account by name (case-insensitive).
pub fn by_name(conn: &Connection, username: &str) -> DbResult<Option<UserRow>> {
    Ok(conn
        .prepare_cached("SELECT id, username, password_hash FROM users WHERE username = ?1")?
        .query_row([username], row)
        .optional()?)
}

/// Finds an account by id.
pub fn by_id(conn: &Connection, id: &str) -> DbResult<Option<UserRow>> {
    Ok(conn
        .prepare_cached("SELECT id, username, password_hash FROM users WHERE id = ?1")?
        .query_row([id], row)
        .optional()?)
}

/// Finds an account linked to a GitHub user id.
pub fn by_github(conn: &Connection, github_id: &str) -> DbResult<Option<UserRow>> {
    Ok(conn
        .prepare_cached("SELECT id, username, password_hash FROM users WHERE github_id = ?1")?
        .query_row([github_id], row)
        .optional()?)
}

/// Sets an account's password hash.
pub fn set_password(conn: &Connection, id: &str, password_hash: &str) -> DbResult<()> {
    conn.prepare_cached("UPDATE users SET password_hash = ?2 WHERE id = ?1")?.execute(params![id, password_hash])?;
    Ok(())
}
