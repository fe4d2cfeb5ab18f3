//! X3: key expiry, the team's cap on new keys' lifetime, and keys left unused.
//!
//! An expiry is a second: from it on, every node refuses the key's tokens (the verifier compares it
//! with the request's clock, so no job has to run for it to hold). Spans are written the way
//! operators write them on a command line: `90d`, `24h`, `2w`.

use time::format_description::well_known::Rfc3339;
use time::macros::format_description;
use time::{Date, Duration, OffsetDateTime};

use crate::DomainError;
use crate::key::{ApiKey, KeyState};

/// The longest lifetime a team may cap new keys at, and the longest expiry a key may be given:
/// ten years, past which "expiry" means nothing.
pub const MAX_LIFETIME_DAYS: u32 = 3650;

/// X5: an expiring key is announced this long ahead.
pub const EXPIRING_NOTICE: Duration = Duration::days(7);

/// A span such as `30s`, `15m`, `24h`, `90d` or `2w`: a whole number and one unit.
pub fn parse_span(text: &str) -> Result<Duration, DomainError> {
    let bad = || {
        DomainError::InvalidInput(format!(
            "'{text}' is not a span: write a number and a unit, as 90d, 24h, 15m, 30s or 2w"
        ))
    };
    let text = text.trim();
    let split = text.find(|c: char| !c.is_ascii_digit()).ok_or_else(bad)?;
    let (number, unit) = text.split_at(split);
    let n: i64 = number.parse().map_err(|_| bad())?;
    let unit_seconds = match unit {
        "s" => 1,
        "m" => 60,
        "h" => 3600,
        "d" => 86_400,
        "w" => 604_800,
        _ => return Err(bad()),
    };
    let seconds = n
        .checked_mul(unit_seconds)
        .filter(|s| *s <= i64::from(MAX_LIFETIME_DAYS) * 86_400)
        .ok_or_else(|| DomainError::InvalidInput(format!("'{text}' is longer than {MAX_LIFETIME_DAYS} days")))?;
    Ok(Duration::seconds(seconds))
}

/// An expiry as given on the command line or in a form: a span from `now` (`90d`), an RFC 3339
/// instant (`2027-03-01T12:00:00Z`), or a date (`2027-03-01`, the start of that day in UTC).
pub fn parse_expiry(text: &str, now: OffsetDateTime) -> Result<OffsetDateTime, DomainError> {
    let text = text.trim();
    if let Ok(at) = OffsetDateTime::parse(text, &Rfc3339) {
        return Ok(at);
    }
    if let Ok(day) = Date::parse(text, format_description!("[year]-[month]-[day]")) {
        return Ok(day.midnight().assume_utc());
    }
    parse_span(text).map(|span| now + span).map_err(|_| {
        DomainError::InvalidInput(format!(
            "'{text}' is not an expiry: give a span (90d, 24h), a date (2027-03-01) or an RFC 3339 time"
        ))
    })
}

/// X3: the expiry a new key gets. A requested one must be in the future and within the team's cap;
/// with a cap and no request, the key gets the longest the cap allows. Whole seconds: the verifier
/// compares seconds.
pub fn settle_expiry(
    requested: Option<OffsetDateTime>,
    cap_days: Option<u32>,
    now: OffsetDateTime,
) -> Result<Option<OffsetDateTime>, DomainError> {
    let latest_allowed = now + Duration::days(i64::from(cap_days.unwrap_or(MAX_LIFETIME_DAYS)));
    let Some(at) = requested else {
        return Ok(cap_days.map(|_| whole_second(latest_allowed)));
    };
    let at = whole_second(at);
    if at <= now {
        return Err(DomainError::ExpiryNotInFuture);
    }
    if at > latest_allowed && cap_days.is_none() {
        return Err(DomainError::InvalidInput(format!("an expiry is at most {MAX_LIFETIME_DAYS} days away")));
    }
    if at > latest_allowed {
        return Err(DomainError::LifetimeOverCap {
            days: cap_days.unwrap_or(MAX_LIFETIME_DAYS),
            latest: latest_allowed.format(&Rfc3339).unwrap_or_default(),
        });
    }
    Ok(Some(at))
}

/// X3: a team's cap, 1 day to [`MAX_LIFETIME_DAYS`].
pub fn validate_lifetime_cap(days: u32) -> Result<u32, DomainError> {
    if (1..=MAX_LIFETIME_DAYS).contains(&days) {
        Ok(days)
    } else {
        Err(DomainError::InvalidInput(format!("a key lifetime cap is 1 to {MAX_LIFETIME_DAYS} days")))
    }
}

/// X3: a working key not used for `span`: last used (or, never used, made) before `now - span`.
pub fn is_unused(key: &ApiKey, now: OffsetDateTime, span: Duration) -> bool {
    key.state(now) == KeyState::Active && key.last_used_at.unwrap_or(key.created_at) <= now - span
}

fn whole_second(at: OffsetDateTime) -> OffsetDateTime {
    at.replace_nanosecond(0).unwrap_or(at)
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    const NOW: OffsetDateTime = datetime!(2026-12-07 10:00:00.5 UTC);

    #[test]
    fn x3_spans_are_a_number_and_a_unit() {
        assert_eq!(parse_span("90d"), Ok(Duration::days(90)));
        assert_eq!(parse_span(" 24h "), Ok(Duration::hours(24)));
        assert_eq!(parse_span("2w"), Ok(Duration::weeks(2)));
        assert_eq!(parse_span("30s"), Ok(Duration::seconds(30)));
        for bad in ["", "d", "90", "9x", "-1d", "1.5h", "99999999999999999999d", "3651d"] {
            assert!(parse_span(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn x3_an_expiry_is_a_span_a_date_or_an_instant() {
        assert_eq!(parse_expiry("7d", NOW), Ok(NOW + Duration::days(7)));
        assert_eq!(parse_expiry("2027-03-01", NOW), Ok(datetime!(2027-03-01 0:00 UTC)));
        assert_eq!(parse_expiry("2027-03-01T12:00:00+02:00", NOW), Ok(datetime!(2027-03-01 10:00 UTC)));
        assert!(parse_expiry("next week", NOW).is_err());
    }

    #[test]
    fn x3_a_new_keys_expiry_is_in_the_future_and_within_the_teams_cap() {
        assert_eq!(settle_expiry(None, None, NOW), Ok(None), "no cap, no expiry: the key never expires");
        assert_eq!(settle_expiry(None, Some(90), NOW), Ok(Some(datetime!(2027-03-07 10:00 UTC))));
        assert_eq!(
            settle_expiry(Some(NOW + Duration::days(30)), Some(90), NOW),
            Ok(Some(datetime!(2027-01-06 10:00 UTC)))
        );
        assert_eq!(settle_expiry(Some(NOW - Duration::seconds(1)), None, NOW), Err(DomainError::ExpiryNotInFuture));
        assert!(matches!(
            settle_expiry(Some(NOW + Duration::days(91)), Some(90), NOW),
            Err(DomainError::LifetimeOverCap { days: 90, .. })
        ));
        assert!(settle_expiry(Some(NOW + Duration::days(3651)), None, NOW).is_err());
        assert!(validate_lifetime_cap(0).is_err());
        assert_eq!(validate_lifetime_cap(90), Ok(90));
    }
}
