//! Who may see and change what.
//!
//! Visibility first: a project or org the caller may not see answers 404, so ids of
//! other tenants leak nothing. Then the role or scope: 403 saying what is missing.
//! An API key acts only inside its own org, and only with its scopes.

use bridge_core::model::{OrgRole, ProjectRole, Scope};
use rusqlite::Connection;

use super::Caller;
use crate::db::orgs::{self, OrgRow};
use crate::db::projects::{self, ProjectRow};
use crate::db::{DbError, DbResult};
use crate::error::ApiError;

/// A project the caller may see.
#[derive(Clone, Debug)]
pub struct ProjectAccess {
    /// The project.
    pub project: ProjectRow,
    /// The caller's project role (users only).
    pub role: Option<ProjectRole>,
    /// The caller's role in the project's org (users only).
    pub org_role: Option<OrgRole>,
    /// Whether the caller is an API key.
    pub is_key: bool,
}

impl ProjectAccess {
    /// Requires a project admin (or an admin of its org); never an API key.
    ///
    /// # Errors
    /// 403.
    pub fn require_admin(&self) -> DbResult<()> {
        if self.is_key {
            return Err(ApiError::forbidden(
                "this project action needs a user session of a project admin; API keys cannot do it",
            )
            .into());
        }
        if self.role == Some(ProjectRole::Admin) || self.org_role.as_ref().is_some_and(OrgRole::is_admin) {
            Ok(())
        } else {
            Err(ApiError::forbidden("project admin role required").into())
        }
    }
}

/// Loads a project the caller may see, checking an API key's scope.
///
/// # Errors
/// 404 when absent or invisible, 403 when the key lacks `scope`.
pub fn project_access(conn: &Connection, caller: &Caller, project_id: &str, scope: &Scope) -> DbResult<ProjectAccess> {
    let not_found = || DbError::Api(ApiError::not_found("project"));
    let project = projects::get(conn, project_id)?.ok_or_else(not_found)?;
    match caller {
        Caller::User { user_id, .. } => {
            let role = projects::member_role(conn, project_id, user_id)?;
            let org_role = match &project.org_id {
                Some(org) => orgs::member_role(conn, org, user_id)?,
                None => None,
            };
            if role.is_none() && !org_role.as_ref().is_some_and(OrgRole::is_admin) {
                return Err(not_found());
            }
            Ok(ProjectAccess { project, role, org_role, is_key: false })
        }
        Caller::Key { org_id, .. } => {
            if project.org_id.as_deref() != Some(org_id.as_str()) {
                return Err(not_found());
            }
            caller.require_scope(scope)?;
            Ok(ProjectAccess { project, role: None, org_role: None, is_key: true })
        }
    }
}

/// An org the caller may see.
#[derive(Clone, Debug)]
pub struct OrgAccess {
    /// The org.
    pub org: OrgRow,
    /// The caller's role (users only).
    pub role: Option<OrgRole>,
}

/// Loads an org the caller belongs to (or whose key it is).
///
/// # Errors
/// 404 when absent or not the caller's.
pub fn org_access(conn: &Connection, caller: &Caller, org_id: &str) -> DbResult<OrgAccess> {
    let not_found = || DbError::Api(ApiError::not_found("org"));
    let org = orgs::get(conn, org_id)?.ok_or_else(not_found)?;
    match caller {
        Caller::User { user_id, .. } => {
            let role = orgs::member_role(conn, org_id, user_id)?.ok_or_else(not_found)?;
            Ok(OrgAccess { org, role: Some(role) })
        }
        Caller::Key { .. } if caller.is_key_of(org_id) => Ok(OrgAccess { org, role: None }),
        Caller::Key { .. } => Err(not_found()),
    }
}

impl OrgAccess {
    /// Requires an org admin or owner, or an API key of the org with `scope`
    /// (`None`: users only).
    ///
    /// # Errors
    /// 403 naming the missing role or scope.
    pub fn require_admin_or_scope(&self, caller: &Caller, scope: Option<&Scope>) -> DbResult<()> {
        match (caller, scope) {
            (Caller::Key { .. }, Some(scope)) => Ok(caller.require_scope(scope)?),
            (Caller::Key { .. }, None) => {
                Err(ApiError::forbidden("this org action needs a user session of an org admin; API keys cannot do it")
                    .into())
            }
            (Caller::User { .. }, _) if self.role.as_ref().is_some_and(OrgRole::is_admin) => Ok(()),
            (Caller::User { .. }, _) => Err(ApiError::forbidden("org admin or owner role required").into()),
        }
    }

    /// Requires membership (any role), or an API key of the org with `scope`.
    ///
    /// # Errors
    /// 403 when a key lacks the scope.
    pub fn require_member_or_scope(&self, caller: &Caller, scope: &Scope) -> DbResult<()> {
        match caller {
            Caller::Key { .. } => Ok(caller.require_scope(scope)?),
            Caller::User { .. } => Ok(()),
        }
    }
}
