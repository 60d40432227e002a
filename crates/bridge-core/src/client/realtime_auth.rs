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
