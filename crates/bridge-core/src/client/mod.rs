//! A typed REST client for every endpoint of protocol.md section 3.
//!
//! ```no_run
//! # async fn demo() -> Result<(), bridge_core::client::ClientError> {
//! use bridge_core::client::{Client, Credential};
//! use bridge_core::model::{CreateMessage, ProjectId};
//!
//! let client = Client::builder("http://127.0.0.1:8080")
//!     .credential(Credential::from_token("jb_live_key"))
//!     .build()?;
//! let message = client.post_message(&ProjectId::new("p1"), &CreateMessage::text("@Coder hello")).await?;
//! println!("stored {}", message.id);
//! # Ok(()) }
//! ```
//!
//! Requests time out (30 s by default, 10 s to connect), carry a user agent, and are
//! retried per [`RetryPolicy`]. Credentials are redacted from `Debug` and never logged.

mod agents;
mod auth;
mod billing;
mod credential;
mod error;
mod messages;
mod orgs;
mod pagination;
mod projects;
mod realtime_auth;
mod request;
mod retry;
mod tasks;
mod webhooks;

use std::sync::Arc;
use std::time::Duration;

pub use credential::{ApiKeyHeader, Credential};
pub use error::ClientError;
pub use retry::{RetryPolicy, parse_retry_after};

/// The default user agent.
pub const USER_AGENT: &str = concat!("jaibber-bridge-core/", env!("CARGO_PKG_VERSION"));

/// A Jaibber REST client. Cheap to clone; clones share one connection pool.
#[derive(Clone)]
pub struct Client {
    inner: Arc<Inner>,
}

struct Inner {
    http: reqwest::Client,
    base_url: String,
    credential: Credential,
    retry: RetryPolicy,
}

impl std::fmt::Debug for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Client")
            .field("base_url", &self.inner.base_url)
            .field("credential", &self.inner.credential)
            .field("retry", &self.inner.retry)
            .finish_non_exhaustive()
    }
}

/// Configures a [`Client`].
#[derive(Debug)]
#[must_use]
pub struct ClientBuilder {
    base_url: String,
    credential: Credential,
    timeout: Duration,
    connect_timeout: Duration,
    user_agent: String,
    retry: RetryPolicy,
}

impl Client {
    /// Starts configuring a client for a server such as `https://api.jaibber.com`.
    pub fn builder(base_url: impl Into<String>) -> ClientBuilder {
        ClientBuilder {
            base_url: base_url.into(),
            credential: Credential::None,
            timeout: Duration::from_secs(30),
            connect_timeout: Duration::from_secs(10),
            user_agent: USER_AGENT.to_owned(),
            retry: RetryPolicy::default(),
        }
    }

    /// Returns a client for the same server and pool using another credential
    /// (for example the JWT returned by [`Client::login`]).
    #[must_use]
    pub fn with_credential(&self, credential: Credential) -> Self {
        Self {
            inner: Arc::new(Inner {
                http: self.inner.http.clone(),
                base_url: self.inner.base_url.clone(),
                credential,
                retry: self.inner.retry.clone(),
            }),
        }
    }

    /// Returns the server's base URL.
    #[must_use]
    pub fn base_url(&self) -> &str {
        &self.inner.base_url
    }

    /// Returns the credential in use.
    #[must_use]
    pub fn credential(&self) -> &Credential {
        &self.inner.credential
    }
}

impl ClientBuilder {
    /// Sets the credential (JWT or API key).
    pub fn credential(mut self, credential: Credential) -> Self {
        self.credential = credential;
        self
    }

    /// Sets the whole-request timeout (default 30 s).
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// Sets the connect timeout (default 10 s).
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.connect_timeout = timeout;
        self
    }

    /// Sets the user agent.
    pub fn user_agent(mut self, user_agent: impl Into<String>) -> Self {
        self.user_agent = user_agent.into();
        self
    }

    /// Sets the retry policy.
    pub fn retry(mut self, retry: RetryPolicy) -> Self {
        self.retry = retry;
        self
    }

    /// Builds the client.
    ///
    /// # Errors
    /// [`ClientError::InvalidBaseUrl`] for a URL that is not http(s),
    /// [`ClientError::Build`] when the TLS stack cannot start.
    pub fn build(self) -> Result<Client, ClientError> {
        let trimmed = self.base_url.trim().trim_end_matches('/').to_owned();
        let valid = reqwest::Url::parse(&trimmed)
            .ok()
            .is_some_and(|url| matches!(url.scheme(), "http" | "https") && url.host().is_some());
        if !valid {
            return Err(ClientError::InvalidBaseUrl { url: self.base_url });
        }
        let http = reqwest::Client::builder()
            .timeout(self.timeout)
            .connect_timeout(self.connect_timeout)
            .user_agent(self.user_agent)
            .build()
            .map_err(ClientError::Build)?;
        Ok(Client {
            inner: Arc::new(Inner { http, base_url: trimmed, credential: self.credential, retry: self.retry }),
        })
    }
}
