//! Retry delays (RTB1): `initial × min((n + 2) / 3, 2) × jitter`, jitter in [0.8, 1].

use std::time::Duration;

/// The delay before retry number `attempt` (1-based) with `initial` as the base.
#[must_use]
pub fn retry_delay(initial: Duration, attempt: u32) -> Duration {
    let coefficient = (f64::from(attempt.max(1)) + 2.0) / 3.0;
    let jitter = 0.8 + 0.2 * rand::random::<f64>();
    initial.mul_f64(coefficient.min(2.0) * jitter)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delays_grow_to_twice_the_base_with_at_most_20_percent_jitter() {
        let base = Duration::from_secs(15);
        for attempt in 1..10 {
            let coefficient = ((f64::from(attempt) + 2.0) / 3.0).min(2.0);
            let delay = retry_delay(base, attempt).as_secs_f64();
            assert!(
                delay <= 15.0 * coefficient + 1e-9 && delay >= 15.0 * coefficient * 0.8 - 1e-9,
                "{attempt}: {delay}"
            );
        }
        assert!(retry_delay(base, 50) <= Duration::from_secs(30));
    }
}
