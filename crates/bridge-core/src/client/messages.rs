//! `/api/projects/{id}/messages`.

use futures_util::Stream;

use super::pagination::{flatten_pages, next_cursor};
use super::projects::project_path;
use super::request::{Request, segment};
use super::{Client, ClientError};
use crate::model::envelope::{Page, Single};
use crate::model::ids::{MessageId, ProjectId};
use crate::model::message::{CreateMessage, Message, MessageQuery};

impl Client {
    /// Returns one page of messages (`GET /api/projects/{id}/messages`).
    ///
    /// With `before` (or nothing) the page is newest first; with `after`, oldest first.
    pub async fn list_messages(&self, project: &ProjectId, query: &MessageQuery) -> Result<Page<Message>, ClientError> {
        self.send_json(Request::get(format!("{}/messages", project_path(project))).query(query)).await
    }

    /// Streams every message matching the query, following the cursor page by page
    /// in the query's direction.
    pub fn messages(
        &self,
        project: &ProjectId,
        query: MessageQuery,
    ) -> impl Stream<Item = Result<Message, ClientError>> + Send + 'static {
        let (client, project) = (self.clone(), project.clone());
        flatten_pages(query, move |query: MessageQuery| {
            let (client, project) = (client.clone(), project.clone());
            async move {
                let page = client.list_messages(&project, &query).await?;
                let next = next_cursor(&page).map(|cursor| {
                    if query.after.is_some() {
                        MessageQuery { after: Some(cursor), ..query.clone() }
                    } else {
                        MessageQuery { before: Some(cursor), ..query.clone() }
                    }
                });
                Ok((page.data, next))
            }
        })
    }

    /// Posts a message (`POST /api/projects/{id}/messages`).
    ///
    /// With a client id it is an idempotent upsert and is retried like a GET.
    pub async fn post_message(&self, project: &ProjectId, body: &CreateMessage) -> Result<Message, ClientError> {
        let request =
            Request::post(format!("{}/messages", project_path(project))).json(body).idempotent(body.id.is_some());
        self.send_json::<Single<Message>>(request).await.map(|s| s.0)
    }

    /// Deletes a message (`DELETE /api/projects/{id}/messages/{msgId}`, project admin).
    pub async fn delete_message(&self, project: &ProjectId, message: &MessageId) -> Result<(), ClientError> {
        let path = format!("{}/messages/{}", project_path(project), segment(message.as_str()));
        self.send_empty(Request::delete(path)).await
    }
}
