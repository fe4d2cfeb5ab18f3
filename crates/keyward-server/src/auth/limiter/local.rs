//! L1–L3 for one node: each key's rolling hour counted in this process, in one-minute buckets
//! (`keyward_core::rate_limit::Window`). No storage round trip; nothing to report.

use std::collections::HashMap;
use std::sync::Mutex;

use keyward_core::ids::KeyId;
use keyward_core::rate_limit::{Decision, Window};

#[derive(Debug, Default)]
pub struct LocalBudgets {
    windows: Mutex<HashMap<KeyId, Window>>,
}

impl LocalBudgets {
    /// Spends one request of `key`'s budget `limit`, or says when one is allowed again.
    pub fn acquire(&self, key: &KeyId, limit: u64, now: i64) -> Decision {
        let mut windows = self.windows.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        windows.entry(key.clone()).or_default().try_acquire(now, limit)
    }

    /// What is left of `key`'s budget, without spending any.
    pub fn remaining(&self, key: &KeyId, limit: u64, now: i64) -> u64 {
        let mut windows = self.windows.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        windows.get_mut(key).map_or(limit, |w| w.remaining(now, limit))
    }

    pub fn clear(&self) {
        self.windows.lock().unwrap_or_else(std::sync::PoisonError::into_inner).clear();
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn key(s: &str) -> KeyId {
        KeyId::parse(s).unwrap()
    }

    #[test]
    fn l1_each_key_has_its_own_budget_and_l3_says_when_to_retry() {
        let budgets = LocalBudgets::default();
        let (a, b) = (key("AAAAAAAAAA"), key("BBBBBBBBBB"));
        let now = 1_800_000_000;
        assert_eq!(budgets.acquire(&a, 2, now), Decision::Allowed { remaining: 1 });
        assert_eq!(budgets.acquire(&a, 2, now), Decision::Allowed { remaining: 0 });
        assert!(matches!(budgets.acquire(&a, 2, now), Decision::Limited { retry_after } if retry_after > 0));
        assert_eq!(budgets.remaining(&a, 2, now), 0);
        assert_eq!(budgets.acquire(&b, 2, now), Decision::Allowed { remaining: 1 }, "another key's budget is its own");
        assert_eq!(budgets.remaining(&key("CCCCCCCCCC"), 2, now), 2, "an unseen key has its whole budget");
        assert_eq!(budgets.acquire(&a, 2, now + 3600), Decision::Allowed { remaining: 1 }, "an hour later");
    }

    #[test]
    fn clear_gives_every_key_its_whole_budget_again() {
        let budgets = LocalBudgets::default();
        let a = key("AAAAAAAAAA");
        let _ = budgets.acquire(&a, 1, 1_800_000_000);
        budgets.clear();
        assert_eq!(budgets.remaining(&a, 1, 1_800_000_000), 1);
    }
}
