//! Per-key rolling-hour budgets (L1–L4), counted one of two ways:
//!
//! - [`local`]: in this process, one-minute buckets, no storage round trip. For one node (SQLite),
//!   where this process sees every request of the installation.
//! - [`shared`]: one budget per key for the whole installation (M2, PostgreSQL): slices leased
//!   from the database through [`BudgetStore`](keyward_core::ports::BudgetStore), spent in
//!   memory, reported behind.
//!
//! [`RateLimiter`] is the one the server holds; which way it counts is decided once, by the store.

pub mod local;
pub mod shared;

use keyward_core::error::StoreError;
use keyward_core::ids::KeyId;
use keyward_core::ports::BudgetStore;
use keyward_core::rate_limit::Decision;
use keyward_store::Store;

use local::LocalBudgets;
use shared::SharedBudgets;

/// This node's budgets, counted locally or shared through the store.
#[derive(Debug)]
pub struct RateLimiter {
    default_limit: u64,
    budgets: Budgets,
}

#[derive(Debug)]
enum Budgets {
    Local(LocalBudgets),
    Shared(SharedBudgets<Store>),
}

impl RateLimiter {
    /// Shared budgets when the store serves several nodes (`BudgetStore::shares_budgets`), local
    /// ones otherwise. `default_limit` is the installation's budget per key and hour.
    pub fn for_store(store: &Store, default_limit: u64) -> Self {
        let budgets = match store.shares_budgets() {
            true => Budgets::Shared(SharedBudgets::new(store.clone())),
            false => Budgets::Local(LocalBudgets::default()),
        };
        Self { default_limit, budgets }
    }

    /// L1: the budget of a key, the team's override first.
    pub fn limit_for(&self, team_override: Option<u32>) -> u64 {
        team_override.map_or(self.default_limit, u64::from)
    }

    /// Counts one accepted request (L4: only accepted tokens reach this). An error means the
    /// shared budget could not be leased: the caller fails closed.
    pub async fn acquire(&self, key: &KeyId, limit: u64, now: i64) -> Result<Decision, StoreError> {
        match &self.budgets {
            Budgets::Local(b) => Ok(b.acquire(key, limit, now)),
            Budgets::Shared(b) => b.acquire(key, limit, now).await,
        }
    }

    /// The budget left as this node knows it, without spending any (`X-Rate-Limit` on a refusal).
    pub fn remaining(&self, key: &KeyId, limit: u64, now: i64) -> u64 {
        match &self.budgets {
            Budgets::Local(b) => b.remaining(key, limit, now),
            Budgets::Shared(b) => b.remaining(key, limit),
        }
    }

    /// Writes behind what shared slices were used for; `finish` (at shutdown) gives back what
    /// was not. Local budgets have nothing to write.
    pub async fn report(&self, finish: bool) -> Result<(), StoreError> {
        match &self.budgets {
            Budgets::Local(_) => Ok(()),
            Budgets::Shared(b) => b.report(finish).await,
        }
    }

    /// Forgets every budget (test mode's reset).
    pub fn clear(&self) {
        match &self.budgets {
            Budgets::Local(b) => b.clear(),
            Budgets::Shared(b) => b.clear(),
        }
    }
}
