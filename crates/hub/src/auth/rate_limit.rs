//! Per-key rate limits: a fixed one-minute window per key, in memory.
//!
//! A window resets on the minute boundary; `X-RateLimit-Reset` says when (Unix seconds).

use std::collections::HashMap;
use std::sync::Mutex;

/// The verdict for one request.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RateDecision {
    /// Whether the request may go ahead.
    pub allowed: bool,
    /// The key's limit per minute.
    pub limit: u32,
    /// Requests left in this window.
    pub remaining: u32,
    /// When the window resets, Unix seconds.
    pub reset_at: i64,
}

/// Counts requests per key.
#[derive(Debug, Default)]
pub struct RateLimiter {
    windows: Mutex<HashMap<String, (i64, u32)>>,
}

impl RateLimiter {
    /// Counts one request of `key` at `now` (Unix seconds) against `limit` per minute.
    pub fn check(&self, key: &str, limit: u32, now: i64) -> RateDecision {
        let window = now - now.rem_euclid(60);
        let mut windows = self.windows.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        if windows.len() > 100_000 {
            windows.retain(|_, (start, _)| *start == window);
        }
        let entry = windows.entry(key.to_owned()).or_insert((window, 0));
        if entry.0 != window {
            *entry = (window, 0);
        }
        let allowed = entry.1 < limit;
        if allowed {
            entry.1 += 1;
        }
        RateDecision { allowed, limit, remaining: limit.saturating_sub(entry.1), reset_at: window + 60 }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn window_counts_and_resets() {
        let limiter = RateLimiter::default();
        assert_eq!(limiter.check("k", 2, 120).remaining, 1);
        assert!(limiter.check("k", 2, 130).allowed);
        let third = limiter.check("k", 2, 179);
        assert!(!third.allowed);
        assert_eq!(third.reset_at, 180);
        assert!(limiter.check("k", 2, 180).allowed, "new window");
        assert!(limiter.check("other", 2, 179).allowed, "keys are independent");
    }
}
