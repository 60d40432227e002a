//! `/api/auth/*`.

use super::request::Request;
use super::{Client, ClientError};
use crate::model::auth::{AuthSession, Credentials, Me};

impl Client {
    /// Creates an account (`POST /api/auth/register`).
    pub async fn register(&self, credentials: &Credentials) -> Result<AuthSession, ClientError> {
        self.send_json(Request::post("/api/auth/register".into()).json(credentials)).await
    }

    /// Logs in (`POST /api/auth/token`); use the token with [`Client::with_credential`].
    pub async fn login(&self, credentials: &Credentials) -> Result<AuthSession, ClientError> {
        self.send_json(Request::post("/api/auth/token".into()).json(credentials)).await
    }

    /// Returns who the credential belongs to (`GET /api/auth/me`).
    pub async fn me(&self) -> Result<Me, ClientError> {
        self.send_json(Request::get("/api/auth/me".into())).await
    }

    /// Returns the URL that starts the GitHub OAuth flow in a browser.
    #[must_use]
    pub fn github_start_url(&self) -> String {
        format!("{}/api/auth/github/start", self.base_url())
    }
}
