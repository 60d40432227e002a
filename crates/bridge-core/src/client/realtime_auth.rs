//! `POST /api/ably/token`.

use super::request::Request;
use super::{Client, ClientError};
use crate::model::ably_token::AblyAuth;

impl Client {
    /// Asks for realtime credentials: a TokenRequest (or a ready token) for the caller's
    /// project channels and `jaibber:presence`.
    pub async fn ably_token(&self) -> Result<AblyAuth, ClientError> {
        self.send_json(Request::post("/api/ably/token".into()).idempotent(true)).await
    }
}

impl Client {
    /// Exchanges a TokenRequest for a token at `POST /keys/{keyName}/requestToken`, as
    /// Ably clients do.
    pub async fn request_ably_token(
        &self,
        request: &crate::model::ably_token::TokenRequest,
    ) -> Result<crate::model::ably_token::TokenDetails, ClientError> {
        let path = format!("/keys/{}/requestToken", request.key_name);
        self.send_json(Request::post(path).json(request).idempotent(true)).await
    }

    /// A realtime token for the caller: a TokenRequest from `POST /api/ably/token`,
    /// exchanged, or the token that endpoint returned directly.
    pub async fn realtime_token(&self) -> Result<crate::model::ably_token::TokenDetails, ClientError> {
        match self.ably_token().await? {
            AblyAuth::Request(request) => self.request_ably_token(&request).await,
            AblyAuth::Token(details) => Ok(details),
        }
    }
}
