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
