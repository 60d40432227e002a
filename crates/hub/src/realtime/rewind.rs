//! The `rewind` channel param: a message count (`10`) or a time span (`30s`, `2m`, `1h`).

use super::channels::StartAt;

/// The most messages a rewind returns.
pub const MAX_REWIND: usize = 100;

/// Parses a `rewind` value (with an optional `limit`) into where an attach starts.
///
/// # Errors
/// A message saying what a valid value looks like.
pub fn parse(rewind: &str, limit: Option<&str>) -> Result<StartAt, String> {
    let limit = match limit {
        None => MAX_REWIND,
        Some(text) => text.parse::<usize>().map_err(|_| format!("limit {text:?} is not a number"))?.min(MAX_REWIND),
    };
    let rewind = rewind.trim();
    if let Ok(count) = rewind.parse::<usize>() {
        return Ok(StartAt::Rewind { count: count.min(MAX_REWIND), max_age_ms: None });
    }
    let split = rewind.find(|c: char| !c.is_ascii_digit()).unwrap_or(rewind.len());
    let (number, unit) = rewind.split_at(split);
    let amount: u64 = number.parse().map_err(|_| bad(rewind))?;
    let unit_ms = match unit {
        "ms" => 1,
        "s" => 1_000,
        "m" => 60_000,
        "h" => 3_600_000,
        _ => return Err(bad(rewind)),
    };
    Ok(StartAt::Rewind { count: limit, max_age_ms: Some(amount.saturating_mul(unit_ms)) })
}

fn bad(value: &str) -> String {
    format!("rewind {value:?} is neither a message count (e.g. 10) nor a time span (e.g. 30s, 2m, 1h)")
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn start(value: &str, limit: Option<&str>) -> (usize, Option<u64>) {
        match parse(value, limit).unwrap() {
            StartAt::Rewind { count, max_age_ms } => (count, max_age_ms),
            other => panic!("unexpected {other:?}"),
        }
    }

    #[test]
    fn counts_and_spans_parse_and_are_capped_at_100() {
        assert_eq!(start("10", None), (10, None));
        assert_eq!(start("5000", None), (100, None));
        assert_eq!(start("2m", None), (100, Some(120_000)));
        assert_eq!(start("30s", Some("5")), (5, Some(30_000)));
        assert_eq!(start("1h", Some("999")), (100, Some(3_600_000)));
    }

    #[test]
    fn nonsense_is_refused_with_a_hint() {
        assert!(parse("2 weeks", None).unwrap_err().contains("time span"));
        assert!(parse("m", None).is_err());
        assert!(parse("5", Some("x")).unwrap_err().contains("limit"));
    }
}
