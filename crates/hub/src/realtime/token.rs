//! Ably token auth: signed TokenRequests and the tokens they are exchanged for.
//!
//! `POST /api/ably/token` answers a TokenRequest for the caller (`clientId` = user id,
//! capability = the caller's project channels and `jaibber:presence`), signed with the
//! hub's own Ably-style key: `mac = base64(HMAC-SHA256(keySecret,
//! keyName\nttl\ncapability\nclientId\ntimestamp\nnonce\n))`, exactly as ably-js signs.
//! `POST /keys/{keyName}/requestToken` checks the mac (constant time), the timestamp
//! (±10 min, 40104) and the nonce (single use, 40105), and answers TokenDetails whose
//! token is itself signed, so the realtime endpoint can check it without storage.

use std::collections::{BTreeMap, HashMap};
use std::sync::Mutex;

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD as B64, URL_SAFE_NO_PAD as B64URL};
use bridge_core::model::{TokenDetails, TokenRequest};
use hmac::{Hmac, Mac};
use serde::{Deserialize, Serialize};
use sha2::Sha256;

/// The hub's key name (`appId.keyId`).
pub const KEY_NAME: &str = "jaibber.hub";
/// Token lifetime when the request names none: 60 minutes, as Ably's default.
pub const DEFAULT_TTL_MS: u64 = 60 * 60 * 1000;
/// Longest token lifetime granted.
pub const MAX_TTL_MS: u64 = 24 * 60 * 60 * 1000;
/// How far a TokenRequest's timestamp may be from the hub's clock.
const TIMESTAMP_WINDOW_MS: i64 = 10 * 60 * 1000;
/// Operations granted on a project channel.
const PROJECT_OPS: [&str; 4] = ["history", "presence", "publish", "subscribe"];
/// Operations granted on the global presence channel.
const PRESENCE_OPS: [&str; 3] = ["presence", "publish", "subscribe"];

/// An Ably-style error, answered as `{"error": {"message", "code", "statusCode"}}`.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{code}: {message}")]
pub struct AblyError {
    /// HTTP status.
    pub status: u16,
    /// Ably error code (40101, 40104, 40105, 40140 …).
    pub code: u32,
    /// What is wrong.
    pub message: String,
}

impl AblyError {
    fn new(status: u16, code: u32, message: impl Into<String>) -> Self {
        Self { status, code, message: message.into() }
    }
}

impl IntoResponse for AblyError {
    fn into_response(self) -> Response {
        let status = StatusCode::from_u16(self.status).unwrap_or(StatusCode::UNAUTHORIZED);
        let body = serde_json::json!({"error": {"message": self.message, "code": self.code, "statusCode": self.status, "href": format!("https://help.ably.io/error/{}", self.code)}});
        (status, Json(body)).into_response()
    }
}

/// What a hub token grants.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TokenClaims {
    /// The client id (user id).
    #[serde(rename = "c")]
    pub client_id: String,
    /// The capability JSON.
    #[serde(rename = "cap")]
    pub capability: String,
    /// Issued, Unix ms.
    #[serde(rename = "i")]
    pub issued: u64,
    /// Expires, Unix ms.
    #[serde(rename = "x")]
    pub expires: u64,
}

/// The hub's Ably-style key and the nonces it has seen.
pub struct AblyKey {
    key_name: String,
    secret: String,
    nonces: Mutex<HashMap<String, i64>>,
}

impl std::fmt::Debug for AblyKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AblyKey").field("key_name", &self.key_name).finish_non_exhaustive()
    }
}

fn hmac(key: &[u8], text: &[u8]) -> Vec<u8> {
    let mut mac = Hmac::<Sha256>::new_from_slice(key).expect("HMAC accepts keys of any length");
    mac.update(text);
    mac.finalize().into_bytes().to_vec()
}

/// The text a TokenRequest's mac covers.
#[must_use]
pub fn sign_text(request: &TokenRequest) -> String {
    format!(
        "{}\n{}\n{}\n{}\n{}\n{}\n",
        request.key_name,
        request.ttl.map(|t| t.to_string()).unwrap_or_default(),
        request.capability,
        request.client_id.as_deref().unwrap_or(""),
        request.timestamp,
        request.nonce
    )
}

/// Builds the canonical capability JSON for project channels plus global presence.
#[must_use]
pub fn capability_for(project_ids: &[String]) -> String {
    let mut capability: BTreeMap<String, Vec<&str>> = BTreeMap::new();
    for id in project_ids {
        capability.insert(format!("jaibber:project:{id}"), PROJECT_OPS.to_vec());
    }
    capability.insert(bridge_core::model::presence::GLOBAL_PRESENCE_CHANNEL.to_owned(), PRESENCE_OPS.to_vec());
    serde_json::to_string(&capability).unwrap_or_else(|_| "{}".into())
}

impl AblyKey {
    /// Derives the hub's key from its JWT secret (stable across restarts, nothing more to store).
    #[must_use]
    pub fn derive(jwt_secret: &[u8]) -> Self {
        Self {
            key_name: KEY_NAME.to_owned(),
            secret: hex::encode(hmac(jwt_secret, b"jaibber-hub:ably-key")),
            nonces: Mutex::default(),
        }
    }

    /// The key name.
    #[must_use]
    pub fn key_name(&self) -> &str {
        &self.key_name
    }

    /// A signed TokenRequest for `client_id` with `capability`, valid `ttl_ms` once
    /// exchanged.
    #[must_use]
    pub fn token_request(&self, client_id: &str, capability: String, ttl_ms: u64, now_ms: u64) -> TokenRequest {
        let mut request = TokenRequest {
            key_name: self.key_name.clone(),
            ttl: Some(ttl_ms),
            capability,
            client_id: Some(client_id.to_owned()),
            timestamp: now_ms,
            nonce: hex::encode(rand::random::<[u8; 16]>()),
            mac: String::new(),
        };
        request.mac = B64.encode(hmac(self.secret.as_bytes(), sign_text(&request).as_bytes()));
        request
    }

    /// Checks a TokenRequest and issues its token.
    ///
    /// # Errors
    /// [`AblyError`] 40101 (wrong key or mac), 40104 (timestamp out of window), 40105
    /// (nonce replayed), 40003 (bad ttl or capability).
    pub fn exchange(&self, key_name: &str, request: &TokenRequest, now_ms: i64) -> Result<TokenDetails, AblyError> {
        if key_name != self.key_name || request.key_name != self.key_name {
            return Err(AblyError::new(
                401,
                40101,
                format!("unknown key {key_name:?}; request a new TokenRequest from /api/ably/token"),
            ));
        }
        let given = B64.decode(&request.mac).unwrap_or_default();
        let mut mac = Hmac::<Sha256>::new_from_slice(self.secret.as_bytes()).expect("HMAC accepts keys of any length");
        mac.update(sign_text(request).as_bytes());
        if mac.verify_slice(&given).is_err() {
            return Err(AblyError::new(
                401,
                40101,
                "TokenRequest mac does not match; it was altered or signed with another key",
            ));
        }
        let timestamp = i64::try_from(request.timestamp).unwrap_or(i64::MAX);
        if (now_ms - timestamp).abs() > TIMESTAMP_WINDOW_MS {
            return Err(AblyError::new(
                401,
                40104,
                "TokenRequest timestamp is outside the accepted window; request a fresh one",
            ));
        }
        {
            let mut nonces = self.nonces.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
            nonces.retain(|_, seen| now_ms - *seen <= 2 * TIMESTAMP_WINDOW_MS);
            if nonces.insert(format!("{}:{}", request.timestamp, request.nonce), now_ms).is_some() {
                return Err(AblyError::new(401, 40105, "TokenRequest nonce was already used; request a fresh one"));
            }
        }
        let ttl = request.ttl.unwrap_or(DEFAULT_TTL_MS);
        if ttl == 0 || ttl > MAX_TTL_MS {
            return Err(AblyError::new(400, 40003, format!("ttl must be between 1 and {MAX_TTL_MS} ms")));
        }
        if serde_json::from_str::<BTreeMap<String, Vec<String>>>(&request.capability).is_err() {
            return Err(AblyError::new(400, 40003, "capability must be a JSON object of channel → operations"));
        }
        let issued = u64::try_from(now_ms).unwrap_or(0);
        let claims = TokenClaims {
            client_id: request.client_id.clone().unwrap_or_default(),
            capability: request.capability.clone(),
            issued,
            expires: issued + ttl,
        };
        Ok(TokenDetails {
            token: self.sign_token(&claims),
            expires: Some(claims.expires),
            issued: Some(claims.issued),
            capability: Some(claims.capability),
            client_id: Some(claims.client_id),
            extra: Default::default(),
        })
    }

    fn sign_token(&self, claims: &TokenClaims) -> String {
        let body = B64URL.encode(serde_json::to_vec(claims).unwrap_or_default());
        let signature = B64URL.encode(hmac(self.secret.as_bytes(), format!("token:{body}").as_bytes()));
        format!("{body}.{signature}")
    }

    /// Checks a token presented to the realtime endpoint.
    ///
    /// # Errors
    /// [`AblyError`] 40141-range: 40143 unrecognised, 40142 expired.
    pub fn verify_token(&self, token: &str, now_ms: u64) -> Result<TokenClaims, AblyError> {
        let unrecognised = || AblyError::new(401, 40143, "token not recognised by this hub");
        let (body, signature) = token.split_once('.').ok_or_else(unrecognised)?;
        let mut mac = Hmac::<Sha256>::new_from_slice(self.secret.as_bytes()).expect("HMAC accepts keys of any length");
        mac.update(format!("token:{body}").as_bytes());
        mac.verify_slice(&B64URL.decode(signature).map_err(|_| unrecognised())?).map_err(|_| unrecognised())?;
        let claims: TokenClaims =
            B64URL.decode(body).ok().and_then(|b| serde_json::from_slice(&b).ok()).ok_or_else(unrecognised)?;
        if claims.expires <= now_ms {
            return Err(AblyError::new(401, 40142, "token expired; renew it"));
        }
        Ok(claims)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn request_exchange_and_token_round_trip() {
        let key = AblyKey::derive(b"a jwt secret of at least thirty-two bytes");
        let capability = capability_for(&["p1".into()]);
        assert_eq!(
            capability,
            r#"{"jaibber:presence":["presence","publish","subscribe"],"jaibber:project:p1":["history","presence","publish","subscribe"]}"#
        );
        let request = key.token_request("u1", capability.clone(), DEFAULT_TTL_MS, 1_000_000);
        let details = key.exchange(KEY_NAME, &request, 1_000_500).expect("valid");
        assert_eq!((details.client_id.as_deref(), details.expires), (Some("u1"), Some(1_000_500 + DEFAULT_TTL_MS)));
        let claims = key.verify_token(&details.token, 1_000_600).expect("valid token");
        assert_eq!(claims.capability, capability);
        assert_eq!(key.verify_token(&details.token, 1_000_500 + DEFAULT_TTL_MS).expect_err("expired").code, 40142);
        assert_eq!(key.verify_token("forged.token", 0).expect_err("forged").code, 40143);
    }

    #[test]
    fn replays_stale_and_tampered_requests_are_refused() {
        let key = AblyKey::derive(b"a jwt secret of at least thirty-two bytes");
        let request = key.token_request("u1", capability_for(&[]), DEFAULT_TTL_MS, 5_000_000);
        key.exchange(KEY_NAME, &request, 5_000_000).expect("first use");
        assert_eq!(key.exchange(KEY_NAME, &request, 5_000_001).expect_err("replay").code, 40105);
        let stale = key.token_request("u1", capability_for(&[]), DEFAULT_TTL_MS, 5_000_000);
        assert_eq!(key.exchange(KEY_NAME, &stale, 5_000_000 + TIMESTAMP_WINDOW_MS + 1).expect_err("stale").code, 40104);
        let mut tampered = key.token_request("u1", capability_for(&[]), DEFAULT_TTL_MS, 5_000_000);
        tampered.capability = capability_for(&["someone-elses-project".into()]);
        assert_eq!(key.exchange(KEY_NAME, &tampered, 5_000_000).expect_err("tampered").code, 40101);
        let fresh = key.token_request("u1", capability_for(&[]), DEFAULT_TTL_MS, 5_000_000);
        assert_eq!(key.exchange("other.key", &fresh, 5_000_000).expect_err("other key").code, 40101);
    }
}
