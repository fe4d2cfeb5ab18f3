//! Rolling-hour request budgets (L1–L4), as arithmetic over one-minute buckets.
//!
//! The window keeps the counts of the last 60 minutes. A request is allowed when fewer than
//! `limit` requests were counted in the minute buckets of the last hour (the current minute
//! included); then it is counted. The granularity is one minute, as L1 allows.

/// One key's window: counts per minute for the last 60 minutes.
#[derive(Debug, Clone)]
pub struct Window {
    buckets: [u32; 60],
    /// The minute (Unix seconds / 60) of the most recent bucket.
    minute: i64,
    total: u64,
}

/// The outcome of [`Window::try_acquire`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    /// Allowed and counted; `remaining` is what is left of the hourly budget (L2).
    Allowed { remaining: u64 },
    /// Over budget (L3): allowed again in `retry_after` seconds.
    Limited { retry_after: u64 },
}

impl Default for Window {
    fn default() -> Self {
        Self { buckets: [0; 60], minute: 0, total: 0 }
    }
}

impl Window {
    fn advance(&mut self, minute: i64) {
        if minute <= self.minute {
            return;
        }
        let steps = (minute - self.minute).min(60);
        for i in 1..=steps {
            let slot = (self.minute + i).rem_euclid(60) as usize;
            self.total -= u64::from(self.buckets[slot]);
            self.buckets[slot] = 0;
        }
        self.minute = minute;
    }

    /// L1–L3: counts one request at `now` (Unix seconds) against `limit` per rolling hour.
    pub fn try_acquire(&mut self, now: i64, limit: u64) -> Decision {
        let minute = now.div_euclid(60);
        self.advance(minute);
        if self.total >= limit {
            return Decision::Limited { retry_after: self.retry_after(now) };
        }
        let slot = minute.rem_euclid(60) as usize;
        self.buckets[slot] = self.buckets[slot].saturating_add(1);
        self.total += 1;
        Decision::Allowed { remaining: limit - self.total }
    }

    /// What is left without counting (for responses that must not spend budget).
    pub fn remaining(&mut self, now: i64, limit: u64) -> u64 {
        self.advance(now.div_euclid(60));
        limit.saturating_sub(self.total)
    }

    /// Seconds until the oldest counted minute leaves the window.
    fn retry_after(&self, now: i64) -> u64 {
        for age in (0..60).rev() {
            let m = self.minute - age;
            if self.buckets[m.rem_euclid(60) as usize] > 0 {
                let frees_at = (m + 60) * 60;
                return u64::try_from(frees_at - now).unwrap_or(1).max(1);
            }
        }
        1
    }
}

/// L2: Apple's header value, with its trailing `;`.
pub fn header_value(limit: u64, remaining: u64) -> String {
    format!("user-hour-lim:{limit};user-hour-rem:{remaining};")
}

/// M2: how many requests a node leases at once from a key's shared budget, given what is left of
/// it and what the node expects to spend soon (`wanted`). Slices shrink as the budget runs out, so
/// a node holding an unused slice withholds little: a sixteenth of what is left, at least 1, and at
/// most `wanted` between 100 and [`MAX_SLICE`]. A quiet key costs one database round trip per 100
/// requests per node; a busy one about one a second instead of one per 100 requests, which at
/// tens of thousands of requests a second kept every request of the key waiting on the lease.
pub fn lease_slice(remaining: u64, wanted: u64) -> u64 {
    if remaining == 0 { 0 } else { (remaining / 16).clamp(1, wanted.clamp(100, MAX_SLICE)) }
}

/// The largest slice a node leases at once.
pub const MAX_SLICE: u64 = 10_000;

/// M2: what a node asks for next, from its last slice: `granted`, of which `used` went in
/// `seconds`. A slice spent within its first second asks for four times as much; otherwise about a
/// second's worth at the rate it went.
pub fn next_wanted(granted: u64, used: u64, seconds: i64) -> u64 {
    match u64::try_from(seconds) {
        Ok(0) | Err(_) => granted.saturating_mul(4),
        Ok(s) => used / s,
    }
}

/// M2: how long a lease may be used, and how long an unsettled lease counts in full. A node killed
/// while holding one withholds its unused part for at most this long; then only the uses it
/// reported count.
pub const LEASE_SECONDS: i64 = 30;

/// M2: the seconds until a budget whose oldest spending was in `oldest_minute` frees up (L3), at
/// most an hour. A lease is filed under the last minute it may be used in, which can be the next
/// one; a client told to wait an hour that finds the budget still spent is told the few seconds
/// more.
pub fn retry_after_minute(oldest_minute: i64, now: i64) -> u64 {
    u64::try_from((oldest_minute + 60) * 60 - now).unwrap_or(1).clamp(1, 3600)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn m2_slices_shrink_as_the_budget_runs_out() {
        assert_eq!(lease_slice(3600, 0), 100);
        assert_eq!(lease_slice(320, 0), 20);
        assert_eq!(lease_slice(20, 0), 1);
        assert_eq!(lease_slice(1, 5000), 1);
        assert_eq!(lease_slice(0, 5000), 0);
        // A busy key: what the node wants, never more than a sixteenth of what is left.
        assert_eq!(lease_slice(4_000_000_000, 6400), 6400);
        assert_eq!(lease_slice(4_000_000_000, 1_000_000), MAX_SLICE);
        assert_eq!(lease_slice(16_000, 6400), 1000);
        // Wanted: four times a slice spent within a second, else a second's worth.
        assert_eq!(next_wanted(100, 100, 0), 400);
        assert_eq!(next_wanted(400, 400, 2), 200);
        assert_eq!(next_wanted(100, 3, 25), 0);
    }

    #[test]
    fn m2_retry_after_counts_to_when_the_oldest_minute_leaves() {
        assert_eq!(retry_after_minute(100, 100 * 60 + 10), 3590);
        assert_eq!(retry_after_minute(100, 160 * 60 + 5), 1, "never zero");
        assert_eq!(
            retry_after_minute(101, 100 * 60 + 50),
            3600,
            "a lease filed under the next minute: at most an hour"
        );
    }

    #[test]
    fn l1_budget_is_a_rolling_hour() {
        let mut w = Window::default();
        let start = 1_800_000_000;
        for i in 0..3 {
            assert_eq!(w.try_acquire(start + i, 3), Decision::Allowed { remaining: 2 - i as u64 });
        }
        assert!(matches!(w.try_acquire(start + 10, 3), Decision::Limited { .. }));
        assert!(matches!(w.try_acquire(start + 3599 - start % 60, 3), Decision::Limited { .. }));
        assert_eq!(w.try_acquire(start + 3600, 3), Decision::Allowed { remaining: 2 });
    }

    #[test]
    fn l2_header_has_apples_format() {
        assert_eq!(header_value(3600, 3599), "user-hour-lim:3600;user-hour-rem:3599;");
    }

    #[test]
    fn l3_retry_after_points_at_the_oldest_minute_leaving() {
        let mut w = Window::default();
        let t0 = 1_800_000_000; // a minute boundary (divisible by 60)
        w.try_acquire(t0 + 5, 1);
        match w.try_acquire(t0 + 65, 1) {
            Decision::Limited { retry_after } => assert_eq!(retry_after, 3600 - 65),
            other => panic!("expected limited, got {other:?}"),
        }
    }

    #[test]
    fn l4_remaining_does_not_spend() {
        let mut w = Window::default();
        assert_eq!(w.remaining(1_800_000_000, 10), 10);
        assert_eq!(w.remaining(1_800_000_000, 10), 10);
    }
}
