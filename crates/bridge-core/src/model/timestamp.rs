//! RFC 3339 timestamps as Jaibber sends them (`2026-02-28T12:00:00.000Z`).
//!
//! The string is kept exactly as received so that re-serialising an event never changes
//! it; [`Timestamp::parse`] turns it into a [`time::OffsetDateTime`] when a caller needs
//! to compare or do arithmetic.

use std::borrow::Cow;
use std::fmt;

use schemars::{JsonSchema, Schema, SchemaGenerator, json_schema};
use serde::{Deserialize, Serialize};
use time::format_description::well_known::Rfc3339;
use time::macros::format_description;
use time::{OffsetDateTime, UtcOffset};

/// A point in time in RFC 3339 form, kept as the wire string.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Timestamp(String);

/// A timestamp string that is not valid RFC 3339.
#[derive(Debug, thiserror::Error)]
#[error("timestamp {value:?} is not RFC 3339 (expected e.g. 2026-02-28T12:00:00.000Z)")]
pub struct TimestampError {
    /// The rejected value.
    pub value: String,
}

impl Timestamp {
    /// Returns the current time in UTC with millisecond precision.
    #[must_use]
    pub fn now() -> Self {
        Self::from_datetime(OffsetDateTime::now_utc())
    }

    /// Formats a date-time as UTC with millisecond precision, as the hub emits it.
    #[must_use]
    pub fn from_datetime(at: OffsetDateTime) -> Self {
        let utc = at.to_offset(UtcOffset::UTC);
        let format = format_description!("[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond digits:3]Z");
        Self(utc.format(format).unwrap_or_else(|_| utc.unix_timestamp().to_string()))
    }

    /// Formats Unix milliseconds as a timestamp.
    #[must_use]
    pub fn from_unix_millis(millis: i64) -> Self {
        let at = OffsetDateTime::from_unix_timestamp_nanos(i128::from(millis) * 1_000_000)
            .unwrap_or(OffsetDateTime::UNIX_EPOCH);
        Self::from_datetime(at)
    }

    /// Wraps a string as received, without checking it.
    pub fn new_unchecked(value: impl Into<String>) -> Self {
        Self(value.into())
    }

    /// Parses the string.
    ///
    /// # Errors
    /// [`TimestampError`] when the string is not RFC 3339.
    pub fn parse(&self) -> Result<OffsetDateTime, TimestampError> {
        OffsetDateTime::parse(&self.0, &Rfc3339).map_err(|_| TimestampError { value: self.0.clone() })
    }

    /// Returns Unix milliseconds, or `None` when the string is not RFC 3339.
    #[must_use]
    pub fn unix_millis(&self) -> Option<i64> {
        self.parse().ok().and_then(|at| i64::try_from(at.unix_timestamp_nanos() / 1_000_000).ok())
    }

    /// Borrows the wire string.
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl JsonSchema for Timestamp {
    fn schema_name() -> Cow<'static, str> {
        "Timestamp".into()
    }

    fn inline_schema() -> bool {
        true
    }

    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({ "type": "string", "format": "date-time" })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_with_milliseconds_in_utc() {
        let ts = Timestamp::from_unix_millis(1_772_280_000_123);
        assert_eq!(ts.as_str(), "2026-02-28T12:00:00.123Z");
        assert_eq!(ts.unix_millis(), Some(1_772_280_000_123));
    }

    #[test]
    fn parses_without_fraction_too() {
        let ts = Timestamp::new_unchecked("2026-02-28T12:00:00Z");
        assert_eq!(ts.unix_millis(), Some(1_772_280_000_000));
    }

    #[test]
    fn rejects_garbage_with_a_hint() {
        let err = Timestamp::new_unchecked("yesterday").parse().expect_err("not a date");
        assert!(err.to_string().contains("RFC 3339"), "{err}");
    }
}
