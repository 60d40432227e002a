//! What `POST /api/ably/token` returns: Ably token requests and token details.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::Extra;

/// A signed Ably TokenRequest, exchanged for a token at `/keys/{keyName}/requestToken`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct TokenRequest {
    /// The key's name (`appId.keyId`).
    pub key_name: String,
    /// Token lifetime in milliseconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ttl: Option<u64>,
    /// The capability as a JSON string (`{"channel":["subscribe",…]}`).
    pub capability: String,
    /// The client id the token is bound to (the user id).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_id: Option<String>,
    /// Milliseconds since the Unix epoch.
    pub timestamp: u64,
    /// A single-use random string.
    pub nonce: String,
    /// base64 HMAC-SHA256 of the fields above, keyed with the key secret.
    pub mac: String,
}

/// An issued Ably token.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct TokenDetails {
    /// The token string.
    pub token: String,
    /// Expiry, milliseconds since the Unix epoch.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires: Option<u64>,
    /// Issue time, milliseconds since the Unix epoch.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub issued: Option<u64>,
    /// The capability JSON string.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub capability: Option<String>,
    /// The bound client id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_id: Option<String>,
    /// Fields this version does not know.
    #[serde(flatten, default, skip_serializing_if = "Extra::is_empty")]
    pub extra: Extra,
}

/// Any answer of the token endpoint: a TokenRequest (reference, SDK), or a token with
/// its client id (what the OpenClaw channel plugin reads).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(untagged)]
pub enum AblyAuth {
    /// A TokenRequest to exchange.
    Request(TokenRequest),
    /// A ready token.
    Token(TokenDetails),
}
