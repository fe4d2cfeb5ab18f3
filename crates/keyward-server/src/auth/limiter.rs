//! Per-key rolling-hour budgets (L1–L4), in memory, one-minute buckets.

use std::collections::HashMap;
use std::sync::Mutex;

use keyward_core::ids::KeyId;
use keyward_core::rate_limit::{Decision, Window};

#[derive(Debug)]
pub struct RateLimiter {
    default_limit: u64,
    windows: Mutex<HashMap<KeyId, Window>>,
}

impl RateLimiter {
    pub fn new(default_limit: u64) -> Self {
        Self { default_limit, windows: Mutex::new(HashMap::new()) }
    }

    /// L1: the budget of a key, the team's override first.
    pub fn limit_for(&self, team_override: Option<u32>) -> u64 {
        team_override.map_or(self.default_limit, u64::from)
    }

    /// Counts one accepted request (L4: only accepted tokens reach this).
    pub fn acquire(&self, key: &KeyId, limit: u64, now: i64) -> Decision {
        match self.windows.lock() {
            Ok(mut w) => w.entry(key.clone()).or_default().try_acquire(now, limit),
            Err(_) => Decision::Allowed { remaining: limit },
        }
    }

    /// Forgets every window (test mode's reset).
    pub fn clear(&self) {
        if let Ok(mut w) = self.windows.lock() {
            w.clear();
        }
    }

    /// The budget left without spending any.
    pub fn remaining(&self, key: &KeyId, limit: u64, now: i64) -> u64 {
        match self.windows.lock() {
            Ok(mut w) => w.get_mut(key).map_or(limit, |win| win.remaining(now, limit)),
            Err(_) => limit,
        }
    }
}
