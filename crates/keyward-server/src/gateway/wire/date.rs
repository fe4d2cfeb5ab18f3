//! `Date` for the fast path's answers. RFC 9110 section 6.6.1: an origin server with a clock sends
//! one (Keyward's own refusals), and a proxy with a clock adds one to an answer that came without
//! it, as hyper did on hyper's path. Formatted once a second per thread, not per answer.

use std::cell::RefCell;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

thread_local! {
    /// The second last formatted, and its IMF-fixdate.
    static FORMATTED: RefCell<(u64, String)> = const { RefCell::new((u64::MAX, String::new())) };
}

/// Appends `date: <now>` and CRLF.
pub(crate) fn write(out: &mut Vec<u8>) {
    let now = SystemTime::now();
    let second = now.duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs());
    FORMATTED.with(|formatted| {
        let mut formatted = formatted.borrow_mut();
        if formatted.0 != second {
            // From the whole second (never before 1970, where formatting would panic).
            *formatted = (second, httpdate::fmt_http_date(UNIX_EPOCH + Duration::from_secs(second)));
        }
        out.extend_from_slice(b"date: ");
        out.extend_from_slice(formatted.1.as_bytes());
        out.extend_from_slice(b"\r\n");
    });
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    #[test]
    fn the_date_is_an_imf_fixdate_of_now() {
        let mut out = Vec::new();
        super::write(&mut out);
        let text = String::from_utf8(out).unwrap();
        let value = text.strip_prefix("date: ").unwrap().strip_suffix("\r\n").unwrap();
        let parsed = httpdate::parse_http_date(value).unwrap();
        let off = std::time::SystemTime::now().duration_since(parsed).unwrap_or_default();
        assert!(off.as_secs() <= 1, "{value}");
    }
}
