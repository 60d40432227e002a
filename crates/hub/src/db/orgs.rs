//! `orgs` and `org_members`.

use bridge_core::model::{Org, OrgId, OrgMember, OrgRole, PlanId, Timestamp, UserId};
use rusqlite::{Connection, OptionalExtension, params};

use super::DbResult;

/// A stored org.
#[derive(Clone, Debug)]
pub struct OrgRow {
    /// Its id.
    pub id: String,
    /// Its name.
    pub name: String,
    /// Its plan.
    pub plan: PlanId,
    /// When it was created.
    pub created_at: String,
}

impl OrgRow {
    /// The API shape, with the caller's role.
    #[must_use]
    pub fn to_org(&self, role: Option<OrgRole>) -> Org {
        Org {
            id: OrgId::new(self.id.clone()),
            name: self.name.clone(),
            role,
            plan: Some(self.plan.clone()),
            created_at: Some(Timestamp::new_unchecked(self.created_at.clone())),
            extra: Default::default(),
        }
    }
}

/// Creates an org with its owner.
pub fn insert(conn: &Connection, id: &str, name: &str, plan: &PlanId, owner: &str, now: &str) -> DbResult<()> {
    conn.prepare_cached("INSERT INTO orgs (id, name, plan, created_at) VALUES (?1, ?2, ?3, ?4)")?.execute(params![
        id,
        name,
        plan.as_str(),
        now
    ])?;
    conn.prepare_cached("INSERT INTO org_members (org_id, user_id, role, joined_at) VALUES (?1, ?2, 'owner', ?3)")?
        .execute(params![id, owner, now])?;
    Ok(())
}

/// Finds an org.
pub fn get(conn: &Connection, id: &str) -> DbResult<Option<OrgRow>> {
    Ok(conn
        .prepare_cached("SELECT id, name, plan, created_at FROM orgs WHERE id = ?1")?
        .query_row([id], |r| {
            Ok(OrgRow {
                id: r.get(0)?,
                name: r.get(1)?,
                plan: PlanId::from_wire(&r.get::<_, String>(2)?),
                created_at: r.get(3)?,
            })
        })
        .optional()?)
}

/// Lists the orgs a user belongs to, with the user's role.
pub fn list_for_user(conn: &Connection, user: &str) -> DbResult<Vec<Org>> {
    let mut stmt = conn.prepare_cached(
        "SELECT o.id, o.name, o.plan, o.created_at, m.role FROM orgs o JOIN org_members m ON m.org_id = o.id
         WHERE m.user_id = ?1 ORDER BY o.created_at",
    )?;
    let rows = stmt.query_map([user], |r| {
        let row = OrgRow {
            id: r.get(0)?,
            name: r.get(1)?,
            plan: PlanId::from_wire(&r.get::<_, String>(2)?),
            created_at: r.get(3)?,
        };
        Ok(row.to_org(Some(OrgRole::from_wire(&r.get::<_, String>(4)?))))
    })?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// A user's role in an org.
pub fn member_role(conn: &Connection, org: &str, user: &str) -> DbResult<Option<OrgRole>> {
    Ok(conn
        .prepare_cached("SELECT role FROM org_members WHERE org_id = ?1 AND user_id = ?2")?
        .query_row([org, user], |r| r.get::<_, String>(0))
        .optional()?
        .map(|role| OrgRole::from_wire(&role)))
}

/// Adds a member or changes their role; returns the previous role.
pub fn upsert_member(conn: &Connection, org: &str, user: &str, role: &OrgRole, now: &str) -> DbResult<Option<OrgRole>> {
    let previous = member_role(conn, org, user)?;
    conn.prepare_cached(
        "INSERT INTO org_members (org_id, user_id, role, joined_at) VALUES (?1, ?2, ?3, ?4)
         ON CONFLICT (org_id, user_id) DO UPDATE SET role = excluded.role",
    )?
    .execute(params![org, user, role.as_str(), now])?;
    Ok(previous)
}

/// Lists an org's members.
pub fn members(conn: &Connection, org: &str) -> DbResult<Vec<OrgMember>> {
    let mut stmt = conn.prepare_cached(
        "SELECT u.id, u.username, m.role, m.joined_at FROM org_members m JOIN users u ON u.id = m.user_id
         WHERE m.org_id = ?1 ORDER BY m.joined_at",
    )?;
    let rows = stmt.query_map([org], |r| {
        Ok(OrgMember {
            user_id: UserId::new(r.get::<_, String>(0)?),
            username: r.get(1)?,
            role: OrgRole::from_wire(&r.get::<_, String>(2)?),
            joined_at: Some(Timestamp::new_unchecked(r.get::<_, String>(3)?)),
        })
    })?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// Counts an org's members (its seats).
pub fn member_count(conn: &Connection, org: &str) -> DbResult<u64> {
    Ok(conn
        .prepare_cached("SELECT COUNT(*) FROM org_members WHERE org_id = ?1")?
        .query_row([org], |r| r.get::<_, u64>(0))?)
}

/// Changes an org's plan; `false` when the org does not exist.
pub fn set_plan(conn: &Connection, org: &str, plan: &PlanId) -> DbResult<bool> {
    Ok(conn.prepare_cached("UPDATE orgs SET plan = ?2 WHERE id = ?1")?.execute(params![org, plan.as_str()])? == 1)
}
