//! Wall-clock helpers.

use bridge_core::model::Timestamp;

/// Unix seconds now.
#[must_use]
pub fn now_secs() -> i64 {
    time::OffsetDateTime::now_utc().unix_timestamp()
}

/// Unix milliseconds now.
#[must_use]
pub fn now_ms() -> i64 {
    i64::try_from(time::OffsetDateTime::now_utc().unix_timestamp_nanos() / 1_000_000).unwrap_or(i64::MAX)
}

/// Now as a wire timestamp.
#[must_use]
pub fn now_iso() -> Timestamp {
    Timestamp::now()
}

/// Unix milliseconds of the last UTC midnight.
#[must_use]
pub fn start_of_day_ms() -> i64 {
    let now = now_ms();
    now - now.rem_euclid(86_400_000)
}
