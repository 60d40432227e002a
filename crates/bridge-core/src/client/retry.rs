//! Retry policy: capped exponential backoff with jitter, and `Retry-After` parsing.

use std::time::Duration;

use rand::Rng as _;

/// When and how often a request is retried.
///
/// Idempotent requests (GET, DELETE, PUT, and POSTs marked idempotent such as a message
/// upsert with a client id) are retried on connection failures and 5xx. Every request
/// is retried on 429, since the server did not process it, after the server's
/// `Retry-After` (capped by `max_retry_after`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Retries after the first attempt.
    pub max_retries: u32,
    /// Backoff before the first retry.
    pub base_delay: Duration,
    /// Longest backoff between two attempts.
    pub max_delay: Duration,
    /// Longest `Retry-After` that is waited out; a longer one returns
    /// [`ClientError::RateLimited`](super::ClientError::RateLimited) at once.
    pub max_retry_after: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            max_retries: 3,
            base_delay: Duration::from_millis(250),
            max_delay: Duration::from_secs(10),
            max_retry_after: Duration::from_secs(60),
        }
    }
}

impl RetryPolicy {
    /// Never retries.
    #[must_use]
    pub fn none() -> Self {
        Self { max_retries: 0, ..Self::default() }
    }

    /// The backoff before retry number `attempt` (0-based): half the exponential delay
    /// plus a random part of the other half, never above `max_delay`.
    #[must_use]
    pub fn backoff(&self, attempt: u32) -> Duration {
        let exponential = self.base_delay.saturating_mul(2u32.saturating_pow(attempt.min(20))).min(self.max_delay);
        let half = exponential / 2;
        let jitter_nanos = u64::try_from(half.as_nanos()).unwrap_or(u64::MAX);
        half + Duration::from_nanos(rand::rng().random_range(0..=jitter_nanos))
    }
}

/// Parses a `Retry-After` value: delay seconds, or an HTTP date relative to `now_unix`.
#[must_use]
pub fn parse_retry_after(value: &str, now_unix: i64) -> Option<Duration> {
    let value = value.trim();
    if let Ok(secs) = value.parse::<u64>() {
        return Some(Duration::from_secs(secs));
    }
    let at = time::OffsetDateTime::parse(value, &time::format_description::well_known::Rfc2822).ok()?;
    let secs = at.unix_timestamp().saturating_sub(now_unix).max(0);
    Some(Duration::from_secs(u64::try_from(secs).unwrap_or(0)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_grows_and_stays_capped() {
        let policy = RetryPolicy {
            base_delay: Duration::from_millis(100),
            max_delay: Duration::from_secs(1),
            ..RetryPolicy::default()
        };
        for attempt in 0..30 {
            let delay = policy.backoff(attempt);
            let full = Duration::from_millis(100)
                .saturating_mul(2u32.saturating_pow(attempt.min(20)))
                .min(Duration::from_secs(1));
            assert!(delay >= full / 2 && delay <= full, "attempt {attempt}: {delay:?} vs {full:?}");
        }
    }

    #[test]
    fn retry_after_forms() {
        assert_eq!(parse_retry_after("7", 0), Some(Duration::from_secs(7)));
        assert_eq!(parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT", 1_445_412_470), Some(Duration::from_secs(10)));
        assert_eq!(parse_retry_after("soon", 0), None);
    }
}
