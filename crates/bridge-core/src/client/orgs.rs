//! `/api/orgs/*`: orgs, members, stats, audit log and API keys.

use futures_util::Stream;

use super::pagination::{flatten_pages, next_cursor};
use super::request::{Request, segment};
use super::{Client, ClientError};
use crate::model::api_key::{ApiKey, CreateApiKey, CreatedApiKey};
use crate::model::envelope::{Listed, Page, Single};
use crate::model::ids::{ApiKeyId, OrgId};
use crate::model::org::{AddOrgMember, AuditEntry, CreateOrg, Org, OrgStats};

#[derive(serde::Serialize)]
struct BeforeQuery {
    #[serde(skip_serializing_if = "Option::is_none")]
    before: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    limit: Option<u32>,
}

impl Client {
    /// Lists the caller's orgs (`GET /api/orgs`).
    pub async fn list_orgs(&self) -> Result<Vec<Org>, ClientError> {
        self.send_json::<Listed<Org>>(Request::get("/api/orgs".into())).await.map(|l| l.0)
    }

    /// Creates an org with the caller as owner (`POST /api/orgs`).
    pub async fn create_org(&self, body: &CreateOrg) -> Result<Org, ClientError> {
        self.send_json::<Single<Org>>(Request::post("/api/orgs".into()).json(body)).await.map(|s| s.0)
    }

    /// Adds a member to an org (`POST /api/orgs/{org}/members`).
    pub async fn add_org_member(&self, org: &OrgId, body: &AddOrgMember) -> Result<(), ClientError> {
        self.send_empty(Request::post(format!("/api/orgs/{}/members", segment(org.as_str()))).json(body)).await
    }

    /// Returns today's usage (`GET /api/orgs/{org}/stats`).
    pub async fn org_stats(&self, org: &OrgId) -> Result<OrgStats, ClientError> {
        self.send_json::<Single<OrgStats>>(Request::get(format!("/api/orgs/{}/stats", segment(org.as_str()))))
            .await
            .map(|s| s.0)
    }

    /// Returns one page of the audit log, newest first (`GET /api/orgs/{org}/audit-log`).
    pub async fn audit_log_page(
        &self,
        org: &OrgId,
        before: Option<String>,
        limit: Option<u32>,
    ) -> Result<Page<AuditEntry>, ClientError> {
        let path = format!("/api/orgs/{}/audit-log", segment(org.as_str()));
        self.send_json(Request::get(path).query(&BeforeQuery { before, limit })).await
    }

    /// Streams the whole audit log, newest first.
    pub fn audit_log(&self, org: &OrgId) -> impl Stream<Item = Result<AuditEntry, ClientError>> + Send + 'static {
        let (client, org) = (self.clone(), org.clone());
        flatten_pages(None, move |before: Option<String>| {
            let (client, org) = (client.clone(), org.clone());
            async move {
                let page = client.audit_log_page(&org, before, None).await?;
                let next = next_cursor(&page).map(Some);
                Ok((page.data, next))
            }
        })
    }

    /// Creates an API key; the only time the key is returned (`POST /api/orgs/{org}/api-keys`).
    pub async fn create_api_key(&self, org: &OrgId, body: &CreateApiKey) -> Result<CreatedApiKey, ClientError> {
        let path = format!("/api/orgs/{}/api-keys", segment(org.as_str()));
        self.send_json::<Single<CreatedApiKey>>(Request::post(path).json(body)).await.map(|s| s.0)
    }

    /// Lists an org's API keys, without the keys (`GET /api/orgs/{org}/api-keys`).
    pub async fn list_api_keys(&self, org: &OrgId) -> Result<Vec<ApiKey>, ClientError> {
        let path = format!("/api/orgs/{}/api-keys", segment(org.as_str()));
        self.send_json::<Listed<ApiKey>>(Request::get(path)).await.map(|l| l.0)
    }

    /// Revokes an API key at once (`DELETE /api/orgs/{org}/api-keys/{keyId}`).
    pub async fn revoke_api_key(&self, org: &OrgId, key: &ApiKeyId) -> Result<(), ClientError> {
        let path = format!("/api/orgs/{}/api-keys/{}", segment(org.as_str()), segment(key.as_str()));
        self.send_empty(Request::delete(path)).await
    }
}
