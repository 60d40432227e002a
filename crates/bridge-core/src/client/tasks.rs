//! `/api/projects/{id}/tasks` and `/api/tasks/{taskId}`.

use futures_util::Stream;

use super::pagination::{flatten_pages, next_cursor};
use super::projects::project_path;
use super::request::{Request, segment};
use super::{Client, ClientError};
use crate::model::envelope::{Page, Single};
use crate::model::ids::{ProjectId, TaskId};
use crate::model::task::{CreateTask, Task, TaskQuery, UpdateTask};

impl Client {
    /// Returns one page of tasks (`GET /api/projects/{id}/tasks`).
    pub async fn list_tasks(&self, project: &ProjectId, query: &TaskQuery) -> Result<Page<Task>, ClientError> {
        self.send_json(Request::get(format!("{}/tasks", project_path(project))).query(query)).await
    }

    /// Streams every task matching the query, page by page.
    pub fn tasks(
        &self,
        project: &ProjectId,
        query: TaskQuery,
    ) -> impl Stream<Item = Result<Task, ClientError>> + Send + 'static {
        let (client, project) = (self.clone(), project.clone());
        flatten_pages(query, move |query: TaskQuery| {
            let (client, project) = (client.clone(), project.clone());
            async move {
                let page = client.list_tasks(&project, &query).await?;
                let next = next_cursor(&page).map(|cursor| {
                    if query.after.is_some() {
                        TaskQuery { after: Some(cursor), ..query.clone() }
                    } else {
                        TaskQuery { before: Some(cursor), ..query.clone() }
                    }
                });
                Ok((page.data, next))
            }
        })
    }

    /// Creates a task (`POST /api/projects/{id}/tasks`; the task or `{data: Task}`).
    pub async fn create_task(&self, project: &ProjectId, body: &CreateTask) -> Result<Task, ClientError> {
        let request = Request::post(format!("{}/tasks", project_path(project))).json(body);
        self.send_json::<Single<Task>>(request).await.map(|s| s.0)
    }

    /// One task (`GET /api/tasks/{taskId}`).
    pub async fn get_task(&self, task: &TaskId) -> Result<Task, ClientError> {
        let request = Request::get(format!("/api/tasks/{}", segment(task.as_str())));
        self.send_json::<Single<Task>>(request).await.map(|s| s.0)
    }

    /// Updates a task (`PATCH /api/tasks/{taskId}`). Status changes follow the task state
    /// machine; repeating the current status is a no-op, so the call is retried safely.
    pub async fn update_task(&self, task: &TaskId, body: &UpdateTask) -> Result<Task, ClientError> {
        let request = Request::patch(format!("/api/tasks/{}", segment(task.as_str()))).json(body).idempotent(true);
        self.send_json::<Single<Task>>(request).await.map(|s| s.0)
    }

    /// Deletes a task (`DELETE /api/tasks/{taskId}`).
    pub async fn delete_task(&self, task: &TaskId) -> Result<(), ClientError> {
        self.send_empty(Request::delete(format!("/api/tasks/{}", segment(task.as_str())))).await
    }
}
