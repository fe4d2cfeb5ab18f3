//! The gate's metrics, registered once: every keyed request passes the gate, and looking a
//! metric up by name and labels on each (hashing, an allocated key) cost the proxy more than
//! counting does (docs/GATEWAY.md, "Speed").

use std::sync::OnceLock;

use metrics::{Counter, Histogram};

/// Every outcome `keyward_requests_total` counts a keyed request under.
const OUTCOMES: [&str; 6] = ["accepted", "unauthorized", "forbidden", "rate_limited", "unavailable", "feed_stale"];

pub(crate) struct Counters {
    outcomes: Vec<Counter>,
    pub verify_seconds: Histogram,
    pub cache_hits: Counter,
    pub cache_misses: Counter,
}

impl Counters {
    /// Counts a request under `outcome`, one of [`OUTCOMES`].
    pub fn outcome(&self, outcome: &'static str) {
        match OUTCOMES.iter().position(|o| *o == outcome).and_then(|i| self.outcomes.get(i)) {
            Some(counter) => counter.increment(1),
            None => debug_assert!(false, "an uncounted gate outcome: {outcome}"),
        }
    }
}

/// The handles, made once the recorder is installed (handles made before it count nowhere).
pub(crate) fn get() -> &'static Counters {
    static COUNTERS: OnceLock<Counters> = OnceLock::new();
    COUNTERS.get_or_init(|| {
        crate::metrics::install();
        Counters {
            outcomes: OUTCOMES.iter().map(|o| metrics::counter!("keyward_requests_total", "outcome" => *o)).collect(),
            verify_seconds: metrics::histogram!("keyward_token_verify_seconds"),
            cache_hits: metrics::counter!("keyward_token_cache_hits_total"),
            cache_misses: metrics::counter!("keyward_token_cache_misses_total"),
        }
    })
}
