//! `projects` and `project_members`.

use bridge_core::model::{OrgId, Project, ProjectId, ProjectMember, ProjectRole, Timestamp, UserId};
use rusqlite::{Connection, OptionalExtension, params};

use super::DbResult;

/// A stored project.
#[derive(Clone, Debug)]
pub struct ProjectRow {
    /// Its id.
    pub id: String,
    /// Its name.
    pub name: String,
    /// Its description.
    pub description: Option<String>,
    /// Its org, `None` when personal.
    pub org_id: Option<String>,
    /// Who created it.
    pub created_by: String,
    /// When.
    pub created_at: String,
}

impl ProjectRow {
    /// The API shape, with the caller's role.
    #[must_use]
    pub fn to_project(&self, role: Option<ProjectRole>) -> Project {
        let id = ProjectId::new(self.id.clone());
        Project {
            ably_channel_name: Some(id.channel_name()),
            id,
            name: self.name.clone(),
            description: self.description.clone(),
            org_id: self.org_id.clone().map(OrgId::new),
            role,
            created_at: Some(Timestamp::new_unchecked(self.created_at.clone())),
            extra: Default::default(),
        }
    }

    /// The bucket that daily message quotas count in: the org, or the personal owner.
    #[must_use]
    pub fn quota_scope(&self) -> String {
        self.org_id.clone().unwrap_or_else(|| format!("user:{}", self.created_by))
    }
}

fn row(r: &rusqlite::Row<'_>) -> rusqlite::Result<ProjectRow> {
    Ok(ProjectRow {
        id: r.get(0)?,
        name: r.get(1)?,
        description: r.get(2)?,
        org_id: r.get(3)?,
        created_by: r.get(4)?,
        created_at: r.get(5)?,
    })
}

const COLUMNS: &str = "p.id, p.name, p.description, p.org_id, p.created_by, p.created_at";

/// Creates a project with its creator as admin.
pub fn insert(conn: &Connection, project: &ProjectRow) -> DbResult<()> {
    conn.prepare_cached(
        "INSERT INTO projects (id, name, description, org_id, created_by, created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
    )?
    .execute(params![
        project.id,
        project.name,
        project.description,
        project.org_id,
        project.created_by,
        project.created_at
    ])?;
    conn.prepare_cached("INSERT INTO project_members (project_id, user_id, role) VALUES (?1, ?2, 'admin')")?
        .execute(params![project.id, project.created_by])?;
    Ok(())
}

/// Finds a project.
pub fn get(conn: &Connection, id: &str) -> DbResult<Option<ProjectRow>> {
    Ok(conn
        .prepare_cached(&format!("SELECT {COLUMNS} FROM projects p WHERE p.id = ?1"))?
        .query_row([id], row)
        .optional()?)
}

/// Lists the projects a user is a member of, with their role.
pub fn list_for_user(conn: &Connection, user: &str) -> DbResult<Vec<Project>> {
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT {COLUMNS}, m.role FROM projects p JOIN project_members m ON m.project_id = p.id
         WHERE m.user_id = ?1 ORDER BY p.created_at, p.id"
    ))?;
    let rows =
        stmt.query_map([user], |r| Ok(row(r)?.to_project(Some(ProjectRole::from_wire(&r.get::<_, String>(6)?)))))?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// Lists the projects of an org.
pub fn list_for_org(conn: &Connection, org: &str) -> DbResult<Vec<Project>> {
    let mut stmt = conn
        .prepare_cached(&format!("SELECT {COLUMNS} FROM projects p WHERE p.org_id = ?1 ORDER BY p.created_at, p.id"))?;
    let rows = stmt.query_map([org], |r| Ok(row(r)?.to_project(None)))?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// A user's role in a project.
pub fn member_role(conn: &Connection, project: &str, user: &str) -> DbResult<Option<ProjectRole>> {
    Ok(conn
        .prepare_cached("SELECT role FROM project_members WHERE project_id = ?1 AND user_id = ?2")?
        .query_row([project, user], |r| r.get::<_, String>(0))
        .optional()?
        .map(|role| ProjectRole::from_wire(&role)))
}

/// Adds a member or changes their role.
pub fn upsert_member(conn: &Connection, project: &str, user: &str, role: &ProjectRole) -> DbResult<()> {
    conn.prepare_cached(
        "INSERT INTO project_members (project_id, user_id, role) VALUES (?1, ?2, ?3)
         ON CONFLICT (project_id, user_id) DO UPDATE SET role = excluded.role",
    )?
    .execute(params![project, user, role.as_str()])?;
    Ok(())
}

/// Removes a member; `false` when they were not one.
pub fn remove_member(conn: &Connection, project: &str, user: &str) -> DbResult<bool> {
    Ok(conn
        .prepare_cached("DELETE FROM project_members WHERE project_id = ?1 AND user_id = ?2")?
        .execute([project, user])?
        == 1)
}

/// Lists a project's members.
pub fn members(conn: &Connection, project: &str) -> DbResult<Vec<ProjectMember>> {
    let mut stmt = conn.prepare_cached(
        "SELECT u.id, u.username, m.role FROM project_members m JOIN users u ON u.id = m.user_id WHERE m.project_id = ?1 ORDER BY u.username",
    )?;
    let rows = stmt.query_map([project], |r| {
        Ok(ProjectMember {
            user_id: UserId::new(r.get::<_, String>(0)?),
            username: r.get(1)?,
            role: ProjectRole::from_wire(&r.get::<_, String>(2)?),
        })
    })?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// Counts a project's admins.
pub fn admin_count(conn: &Connection, project: &str) -> DbResult<u64> {
    Ok(conn
        .prepare_cached("SELECT COUNT(*) FROM project_members WHERE project_id = ?1 AND role = 'admin'")?
        .query_row([project], |r| r.get(0))?)
}

/// Renames or re-describes a project.
pub fn update(conn: &Connection, id: &str, name: Option<&str>, description: Option<&str>) -> DbResult<()> {
    conn.prepare_cached(
        "UPDATE projects SET name = COALESCE(?2, name), description = COALESCE(?3, description) WHERE id = ?1",
    )?
    .execute(params![id, name, description])?;
    Ok(())
}

/// Deletes a project and everything in it.
pub fn delete(conn: &Connection, id: &str) -> DbResult<bool> {
    Ok(conn.prepare_cached("DELETE FROM projects WHERE id = ?1")?.execute([id])? == 1)
}

/// Counts an org's projects.
pub fn count_for_org(conn: &Connection, org: &str) -> DbResult<u64> {
    Ok(conn.prepare_cached("SELECT COUNT(*) FROM projects WHERE org_id = ?1")?.query_row([org], |r| r.get(0))?)
}

/// Counts a user's personal projects.
pub fn count_personal(conn: &Connection, user: &str) -> DbResult<u64> {
    Ok(conn
        .prepare_cached("SELECT COUNT(*) FROM projects WHERE org_id IS NULL AND created_by = ?1")?
        .query_row([user], |r| r.get(0))?)
}
