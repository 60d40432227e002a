//! Webhook signatures: the Jaibber scheme and Standard Webhooks.
//!
//! - [`jaibber`]: `X-Jaibber-Signature: sha256=<hex HMAC-SHA256(secret, raw body)>`, the
//!   secret's UTF-8 bytes (with its `whsec_` prefix) as the key, no timestamp.
//! - [`standard`]: Standard Webhooks v1 (`webhook-id`, `webhook-timestamp`,
//!   `webhook-signature: v1,<base64>`), a base64 `whsec_` secret, a tolerance window and
//!   several signatures during key rotation.
//!
//! Both verify over the raw received bytes and compare in constant time. Errors say
//! precisely what is wrong, but never echo a secret or the expected signature; an HTTP
//! receiver should still answer every one of them with a bare 401.

pub mod jaibber;
pub mod standard;

/// Why a signature was not accepted.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SignatureError {
    /// A required header is absent or empty.
    #[error("missing {header} header")]
    MissingHeader {
        /// The header's name.
        header: &'static str,
    },
    /// The Jaibber signature does not start with `sha256=`.
    #[error("signature must start with \"sha256=\" followed by 64 hex digits")]
    BadPrefix,
    /// The signature value is not valid hex or base64.
    #[error("signature is not valid {encoding}")]
    BadEncoding {
        /// `hex` or `base64`.
        encoding: &'static str,
    },
    /// The decoded signature has the wrong length.
    #[error("signature is {actual} bytes long, expected 32 (HMAC-SHA256)")]
    WrongLength {
        /// The decoded length.
        actual: usize,
    },
    /// The signature does not match the body: wrong secret, or the body was altered
    /// (for example re-serialised JSON instead of the raw bytes).
    #[error("signature does not match the body; check the secret and verify the raw request bytes")]
    Mismatch,
    /// None of the Standard Webhooks signatures is of a supported version (`v1`).
    #[error("no v1 signature in webhook-signature")]
    NoSupportedSignature,
    /// `webhook-timestamp` is not an integer number of seconds.
    #[error("webhook-timestamp is not an integer Unix time in seconds")]
    BadTimestamp,
    /// The timestamp is older than the tolerance allows: a late or replayed delivery.
    #[error("timestamp is {age_secs} s old, more than the {tolerance_secs} s tolerance (replayed or delayed delivery)")]
    StaleTimestamp {
        /// How old it is.
        age_secs: i64,
        /// The allowed age.
        tolerance_secs: i64,
    },
    /// The timestamp is further in the future than the tolerance allows.
    #[error("timestamp is {ahead_secs} s in the future, more than the {tolerance_secs} s tolerance (check clocks)")]
    FutureTimestamp {
        /// How far ahead it is.
        ahead_secs: i64,
        /// The allowed skew.
        tolerance_secs: i64,
    },
}

/// A signing secret that cannot be used.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SecretError {
    /// The secret is empty.
    #[error("webhook secret is empty; pass the secret shown when the webhook was created")]
    Empty,
    /// A Standard Webhooks secret is not `whsec_` + base64.
    #[error("webhook secret is not valid base64 after the whsec_ prefix")]
    NotBase64,
    /// A Standard Webhooks secret decodes to too few bytes to be safe.
    #[error("webhook secret decodes to {actual} bytes; at least {minimum} are required")]
    TooShort {
        /// Decoded length.
        actual: usize,
        /// Minimum length.
        minimum: usize,
    },
}
