//! `api_keys`. Keys are stored as SHA-256 hashes; the key itself is shown once.

use bridge_core::model::{ApiKey, ApiKeyId, Scope, Timestamp};
use rusqlite::{Connection, OptionalExtension, params};

use super::{DbResult, from_json, to_json};

/// What authenticating with a key yields.
#[derive(Clone, Debug)]
pub struct KeyRow {
    /// The key's id.
    pub id: String,
    /// Its org.
    pub org_id: String,
    /// Its scopes.
    pub scopes: Vec<Scope>,
    /// Its rate limit.
    pub rate_limit_per_minute: u32,
    /// The admin who created it (the identity its messages are posted under).
    pub created_by: String,
    /// Its label (the default sender name of its messages).
    pub name: String,
    /// Whether it was revoked.
    pub revoked: bool,
}

/// A new key to store.
#[derive(Debug)]
pub struct NewKey<'a> {
    /// Its id.
    pub id: &'a str,
    /// Its org.
    pub org_id: &'a str,
    /// Its label.
    pub name: &'a str,
    /// The listing prefix.
    pub prefix: &'a str,
    /// SHA-256 of the key, hex.
    pub key_hash: &'a str,
    /// Its scopes.
    pub scopes: &'a [Scope],
    /// Its rate limit.
    pub rate_limit_per_minute: u32,
    /// Who created it.
    pub created_by: &'a str,
    /// When.
    pub created_at: &'a str,
}

/// Stores a key.
pub fn insert(conn: &Connection, key: &NewKey<'_>) -> DbResult<()> {
    conn.prepare_cached("INSERT INTO api_keys (id, org_id, name, prefix, key_hash, scopes, rate_limit_per_minute, created_by, created_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)")?.execute(params![key.id, key.org_id, key.name, key.prefix, key.key_hash, to_json(&key.scopes)?, key.rate_limit_per_minute, key.created_by, key.created_at],
    )?;
    Ok(())
}

/// Finds a key by the hash of its value.
pub fn by_hash(conn: &Connection, key_hash: &str) -> DbResult<Option<KeyRow>> {
    type Columns = (String, String, String, u32, String, String, Option<String>);
    let row: Option<Columns> = conn.prepare_cached("SELECT id, org_id, scopes, rate_limit_per_minute, created_by, name, revoked_at FROM api_keys WHERE key_hash = ?1")?.query_row([key_hash],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?, r.get(5)?, r.get(6)?)),
        )
        .optional()?;
    row.map(|(id, org_id, scopes, rate_limit_per_minute, created_by, name, revoked)| {
        Ok(KeyRow {
            id,
            org_id,
            scopes: from_json(&scopes)?,
            rate_limit_per_minute,
            created_by,
            name,
            revoked: revoked.is_some(),
        })
    })
    .transpose()
}

/// Lists an org's live keys, without hashes.
pub fn list(conn: &Connection, org: &str) -> DbResult<Vec<ApiKey>> {
    let mut stmt = conn.prepare_cached(
        "SELECT id, name, prefix, scopes, rate_limit_per_minute, created_at, last_used_at FROM api_keys
         WHERE org_id = ?1 AND revoked_at IS NULL ORDER BY created_at",
    )?;
    let rows = stmt.query_map([org], |r| {
        Ok((
            r.get::<_, String>(0)?,
            r.get::<_, String>(1)?,
            r.get::<_, String>(2)?,
            r.get::<_, String>(3)?,
            r.get::<_, u32>(4)?,
            r.get::<_, String>(5)?,
            r.get::<_, Option<String>>(6)?,
        ))
    })?;
    rows.map(|row| {
        let (id, name, prefix, scopes, limit, created_at, last_used_at) = row?;
        Ok(ApiKey {
            id: ApiKeyId::new(id),
            name,
            prefix: Some(prefix),
            scopes: from_json(&scopes)?,
            rate_limit_per_minute: Some(limit),
            created_at: Some(Timestamp::new_unchecked(created_at)),
            last_used_at: last_used_at.map(Timestamp::new_unchecked),
            extra: Default::default(),
        })
    })
    .collect()
}

/// Revokes a key; `false` when it is not an unrevoked key of the org.
pub fn revoke(conn: &Connection, org: &str, id: &str, now: &str) -> DbResult<bool> {
    Ok(conn
        .prepare_cached("UPDATE api_keys SET revoked_at = ?3 WHERE org_id = ?1 AND id = ?2 AND revoked_at IS NULL")?
        .execute(params![org, id, now])?
        == 1)
}

/// Records a use.
pub fn touch(conn: &Connection, id: &str, now: &str) -> DbResult<()> {
    conn.prepare_cached("UPDATE api_keys SET last_used_at = ?2 WHERE id = ?1")?.execute(params![id, now])?;
    Ok(())
}

/// Counts an org's live keys.
pub fn count_for_org(conn: &Connection, org: &str) -> DbResult<u64> {
    Ok(conn
        .prepare_cached("SELECT COUNT(*) FROM api_keys WHERE org_id = ?1 AND revoked_at IS NULL")?
        .query_row([org], |r| r.get(0))?)
}
