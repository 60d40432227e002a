//! Accounts and sessions: register, log in, who am I.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::Extra;
use super::ids::UserId;
use super::secret::{Jwt, Password};

/// Body of `POST /api/auth/register` and `POST /api/auth/token`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Credentials {
    /// The account name, unique on the server.
    pub username: String,
    /// The account password.
    pub password: Password,
}

impl Credentials {
    /// Builds a credentials body.
    pub fn new(username: impl Into<String>, password: impl Into<String>) -> Self {
        Self { username: username.into(), password: Password::new(password.into()) }
    }
}

/// Response of register and log-in: the session token and who it belongs to.
///
/// `docs/reference/api.md` shows register without `token`; the reference and the SDK
/// include it. The hub always sends it; this type tolerates its absence.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct AuthSession {
    /// The JWT, valid for 7 days.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token: Option<Jwt>,
    /// The account's id.
    pub user_id: UserId,
    /// The account's name.
    pub username: String,
    /// Fields this version does not know.
    #[serde(flatten, default, skip_serializing_if = "Extra::is_empty")]
    pub extra: Extra,
}

/// Response of `GET /api/auth/me`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Me {
    /// The caller's user id.
    pub user_id: UserId,
    /// The caller's user name.
    pub username: String,
    /// Fields this version does not know.
    #[serde(flatten, default, skip_serializing_if = "Extra::is_empty")]
    pub extra: Extra,
}
