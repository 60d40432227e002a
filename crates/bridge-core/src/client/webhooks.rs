//! `/api/orgs/{org}/webhooks`.

use super::request::{Request, segment};
use super::{Client, ClientError};
use crate::model::envelope::{Listed, Single};
use crate::model::ids::{OrgId, WebhookId};
use crate::model::webhook::{CreateWebhook, CreatedWebhook, UpdateWebhook, Webhook};

fn webhooks_path(org: &OrgId) -> String {
    format!("/api/orgs/{}/webhooks", segment(org.as_str()))
}

impl Client {
    /// Creates a webhook; the only time its secret is returned (flat or `{data}`).
    pub async fn create_webhook(&self, org: &OrgId, body: &CreateWebhook) -> Result<CreatedWebhook, ClientError> {
        self.send_json::<Single<CreatedWebhook>>(Request::post(webhooks_path(org)).json(body)).await.map(|s| s.0)
    }

    /// Lists an org's webhooks, without secrets.
    pub async fn list_webhooks(&self, org: &OrgId) -> Result<Vec<Webhook>, ClientError> {
        self.send_json::<Listed<Webhook>>(Request::get(webhooks_path(org))).await.map(|l| l.0)
    }

    /// Changes a webhook's URL, events or status.
    pub async fn update_webhook(
        &self,
        org: &OrgId,
        webhook: &WebhookId,
        body: &UpdateWebhook,
    ) -> Result<Webhook, ClientError> {
        let path = format!("{}/{}", webhooks_path(org), segment(webhook.as_str()));
        self.send_json::<Single<Webhook>>(Request::patch(path).json(body).idempotent(true)).await.map(|s| s.0)
    }

    /// Deletes a webhook.
    pub async fn delete_webhook(&self, org: &OrgId, webhook: &WebhookId) -> Result<(), ClientError> {
        let path = format!("{}/{}", webhooks_path(org), segment(webhook.as_str()));
        self.send_empty(Request::delete(path)).await
    }
}
