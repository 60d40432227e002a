//! What can go wrong talking to a Jaibber server.

use std::time::Duration;

/// A failed REST call.
///
/// Messages name the method and path, never credentials: the path holds only ids and
/// no request carries a secret in its query string.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ClientError {
    /// The server answered with an error status; `message` is its `{"error": …}` text.
    #[error("{method} {path} failed with {status}: {message}")]
    Api {
        /// HTTP method.
        method: String,
        /// Request path.
        path: String,
        /// HTTP status code.
        status: u16,
        /// The server's explanation.
        message: String,
        /// The server's machine-readable code, when it sends one.
        code: Option<String>,
    },
    /// The key's rate limit is spent and the retries allowed are used up.
    #[error("{method} {path} was rate limited (429); retry after {}", retry_after.map_or_else(|| "an unspecified delay".to_owned(), |d| format!("{} s", d.as_secs())))]
    RateLimited {
        /// HTTP method.
        method: String,
        /// Request path.
        path: String,
        /// The server's `Retry-After`.
        retry_after: Option<Duration>,
    },
    /// The request did not complete (connection refused, timeout, TLS …).
    #[error("{method} {path} did not complete")]
    Transport {
        /// HTTP method.
        method: String,
        /// Request path.
        path: String,
        /// The transport failure.
        #[source]
        source: reqwest::Error,
    },
    /// The server's 2xx body did not decode as the expected type.
    #[error("{method} {path} returned a body that does not fit the expected shape")]
    Decode {
        /// HTTP method.
        method: String,
        /// Request path.
        path: String,
        /// What did not fit.
        #[source]
        source: serde_json::Error,
    },
    /// The base URL given to the builder is not a usable http(s) URL.
    #[error("base url {url:?} is not a valid http(s) URL; pass e.g. http://127.0.0.1:8080")]
    InvalidBaseUrl {
        /// The rejected URL.
        url: String,
    },
    /// The HTTP client could not be built.
    #[error("could not build the HTTP client")]
    Build(#[source] reqwest::Error),
}

impl ClientError {
    /// Returns the HTTP status, if the server answered.
    #[must_use]
    pub fn status(&self) -> Option<u16> {
        match self {
            Self::Api { status, .. } => Some(*status),
            Self::RateLimited { .. } => Some(429),
            _ => None,
        }
    }

    /// Tells whether the server said the resource does not exist (or is not visible).
    #[must_use]
    pub fn is_not_found(&self) -> bool {
        self.status() == Some(404)
    }

    /// Tells whether retrying later may succeed (transport failure, 429 or 5xx).
    #[must_use]
    pub fn is_transient(&self) -> bool {
        match self {
            Self::Transport { .. } | Self::RateLimited { .. } => true,
            Self::Api { status, .. } => *status >= 500,
            _ => false,
        }
    }
}
