//! `/api/projects/*` and project members.

use super::request::{Request, segment};
use super::{Client, ClientError};
use crate::model::envelope::{Listed, Single};
use crate::model::ids::{ProjectId, UserId};
use crate::model::project::{AddProjectMember, CreateProject, Project, UpdateProject};

impl Client {
    /// Lists the caller's projects (`GET /api/projects`; bare array or `{projects}`).
    pub async fn list_projects(&self) -> Result<Vec<Project>, ClientError> {
        self.send_json::<Listed<Project>>(Request::get("/api/projects".into())).await.map(|l| l.0)
    }

    /// Creates a project with the caller as admin (`POST /api/projects`).
    pub async fn create_project(&self, body: &CreateProject) -> Result<Project, ClientError> {
        self.send_json::<Single<Project>>(Request::post("/api/projects".into()).json(body)).await.map(|s| s.0)
    }

    /// Returns a project (`GET /api/projects/{id}`).
    pub async fn get_project(&self, project: &ProjectId) -> Result<Project, ClientError> {
        self.send_json::<Single<Project>>(Request::get(project_path(project))).await.map(|s| s.0)
    }

    /// Renames or re-describes a project (`PATCH /api/projects/{id}`).
    pub async fn update_project(&self, project: &ProjectId, body: &UpdateProject) -> Result<Project, ClientError> {
        let request = Request::patch(project_path(project)).json(body).idempotent(true);
        self.send_json::<Single<Project>>(request).await.map(|s| s.0)
    }

    /// Deletes a project and everything in it (`DELETE /api/projects/{id}`).
    pub async fn delete_project(&self, project: &ProjectId) -> Result<(), ClientError> {
        self.send_empty(Request::delete(project_path(project))).await
    }

    /// Adds a member by id or name (`POST /api/projects/{id}/members`).
    pub async fn add_project_member(&self, project: &ProjectId, body: &AddProjectMember) -> Result<(), ClientError> {
        self.send_empty(Request::post(format!("{}/members", project_path(project))).json(body)).await
    }

    /// Removes a member; the last admin cannot be removed (`DELETE /api/projects/{id}/members/{userId}`).
    pub async fn remove_project_member(&self, project: &ProjectId, user: &UserId) -> Result<(), ClientError> {
        let path = format!("{}/members/{}", project_path(project), segment(user.as_str()));
        self.send_empty(Request::delete(path)).await
    }
}

pub(crate) fn project_path(project: &ProjectId) -> String {
    format!("/api/projects/{}", segment(project.as_str()))
}
