//! How requests authenticate.

use crate::model::api_key::API_KEY_PREFIX;
use crate::model::secret::{ApiKeySecret, Jwt};

/// Which header carries an API key; servers accept both.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum ApiKeyHeader {
    /// `X-API-Key: jb_…` (the reference, the adapters).
    #[default]
    XApiKey,
    /// `Authorization: Bearer jb_…` (api.md, the org guide).
    Bearer,
}

/// A credential. `Debug` never shows the secret.
#[derive(Clone, Debug, Default)]
#[non_exhaustive]
pub enum Credential {
    /// No credential (public endpoints only).
    #[default]
    None,
    /// A user's JWT, sent as `Authorization: Bearer`.
    Jwt(Jwt),
    /// An org API key.
    ApiKey {
        /// The key.
        key: ApiKeySecret,
        /// The header to send it in.
        header: ApiKeyHeader,
    },
}

impl Credential {
    /// Reads a token: `jb_…` is an API key (sent as `X-API-Key`), anything else a JWT.
    pub fn from_token(token: impl Into<String>) -> Self {
        let token = token.into();
        if token.starts_with(API_KEY_PREFIX) {
            Self::ApiKey { key: ApiKeySecret::new(token), header: ApiKeyHeader::XApiKey }
        } else {
            Self::Jwt(Jwt::new(token))
        }
    }

    /// An API key sent in the given header.
    pub fn api_key(key: impl Into<String>, header: ApiKeyHeader) -> Self {
        Self::ApiKey { key: ApiKeySecret::new(key.into()), header }
    }

    /// Returns the header name and value to send, if any.
    pub(crate) fn header(&self) -> Option<(&'static str, String)> {
        match self {
            Self::None => None,
            Self::Jwt(jwt) => Some(("authorization", format!("Bearer {}", jwt.expose()))),
            Self::ApiKey { key, header: ApiKeyHeader::XApiKey } => Some(("x-api-key", key.expose().to_owned())),
            Self::ApiKey { key, header: ApiKeyHeader::Bearer } => {
                Some(("authorization", format!("Bearer {}", key.expose())))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn token_kind_is_read_from_the_prefix() {
        assert!(matches!(Credential::from_token("jb_abc"), Credential::ApiKey { header: ApiKeyHeader::XApiKey, .. }));
        assert!(matches!(Credential::from_token("eyJhbGciOi"), Credential::Jwt(_)));
        let printed = format!("{:?}", Credential::from_token("jb_topsecret"));
        assert!(!printed.contains("topsecret"), "{printed}");
    }
}
