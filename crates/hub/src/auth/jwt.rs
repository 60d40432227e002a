//! HS256 JSON Web Tokens for user sessions (valid 7 days).
//!
//! Written with `hmac`/`sha2`/`base64`, which the workspace already carries, instead of a
//! JWT crate that would pull in RSA and elliptic-curve stacks the hub never uses. Only
//! `alg: HS256` is accepted; the signature is checked in constant time before the
//! claims are read.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use hmac::{Hmac, Mac};
use serde::{Deserialize, Serialize};
use sha2::Sha256;

/// How long a session token is valid.
pub const TOKEN_TTL_SECS: i64 = 7 * 24 * 3600;

/// The claims in a session token.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Claims {
    /// The user id.
    pub sub: String,
    /// The user name.
    pub name: String,
    /// Issued at, Unix seconds.
    pub iat: i64,
    /// Expires at, Unix seconds.
    pub exp: i64,
}

/// Why a token was refused.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum JwtError {
    /// Not three base64url parts of JSON.
    #[error("token is malformed")]
    Malformed,
    /// Not HS256.
    #[error("token algorithm is not HS256")]
    Algorithm,
    /// The signature does not match.
    #[error("token signature is invalid")]
    Signature,
    /// Past `exp`.
    #[error("token expired")]
    Expired,
}

/// Issues and checks tokens with one secret.
#[derive(Clone)]
pub struct JwtKeys {
    mac: Hmac<Sha256>,
}

impl std::fmt::Debug for JwtKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("JwtKeys([redacted])")
    }
}

const HEADER: &str = r#"{"alg":"HS256","typ":"JWT"}"#;

impl JwtKeys {
    /// Keys from a secret (at least 32 bytes recommended).
    #[must_use]
    pub fn new(secret: &[u8]) -> Self {
        Self { mac: Hmac::<Sha256>::new_from_slice(secret).expect("HMAC accepts keys of any length") }
    }

    /// Issues a token for a user at `now` (Unix seconds).
    #[must_use]
    pub fn issue(&self, user_id: &str, username: &str, now: i64) -> String {
        let claims = Claims { sub: user_id.to_owned(), name: username.to_owned(), iat: now, exp: now + TOKEN_TTL_SECS };
        let payload = serde_json::to_vec(&claims).unwrap_or_default();
        let signing_input = format!("{}.{}", B64.encode(HEADER), B64.encode(payload));
        let mut mac = self.mac.clone();
        mac.update(signing_input.as_bytes());
        format!("{signing_input}.{}", B64.encode(mac.finalize().into_bytes()))
    }

    /// Checks a token at `now` and returns its claims.
    ///
    /// # Errors
    /// [`JwtError`] saying why it is refused.
    pub fn verify(&self, token: &str, now: i64) -> Result<Claims, JwtError> {
        let (signing_input, signature) = token.rsplit_once('.').ok_or(JwtError::Malformed)?;
        let (header, payload) = signing_input.split_once('.').ok_or(JwtError::Malformed)?;
        if payload.contains('.') {
            return Err(JwtError::Malformed);
        }
        let header: serde_json::Value =
            B64.decode(header).ok().and_then(|h| serde_json::from_slice(&h).ok()).ok_or(JwtError::Malformed)?;
        if header.get("alg").and_then(|a| a.as_str()) != Some("HS256") {
            return Err(JwtError::Algorithm);
        }
        let signature = B64.decode(signature).map_err(|_| JwtError::Malformed)?;
        let mut mac = self.mac.clone();
        mac.update(signing_input.as_bytes());
        mac.verify_slice(&signature).map_err(|_| JwtError::Signature)?;
        let claims: Claims =
            B64.decode(payload).ok().and_then(|p| serde_json::from_slice(&p).ok()).ok_or(JwtError::Malformed)?;
        if claims.exp <= now {
            return Err(JwtError::Expired);
        }
        Ok(claims)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn issue_verify_expire_tamper() {
        let keys = JwtKeys::new(b"0123456789abcdef0123456789abcdef");
        let token = keys.issue("u1", "alice", 1_000);
        let claims = keys.verify(&token, 2_000).expect("valid");
        assert_eq!((claims.sub.as_str(), claims.exp), ("u1", 1_000 + TOKEN_TTL_SECS));
        assert_eq!(keys.verify(&token, 1_000 + TOKEN_TTL_SECS), Err(JwtError::Expired));
        let other = JwtKeys::new(b"another secret of 32 bytes length!");
        assert_eq!(other.verify(&token, 2_000), Err(JwtError::Signature));
        assert_eq!(keys.verify("a.b", 0), Err(JwtError::Malformed));
        let none_alg = format!("{}.{}.", B64.encode(r#"{"alg":"none"}"#), token.split('.').nth(1).expect("payload"));
        assert_eq!(keys.verify(&none_alg, 2_000), Err(JwtError::Algorithm));
    }
}
