//! M2: one rolling-hour budget per key across the nodes of an installation.
//!
//! The node leases slices of a key's budget from the database ([`BudgetStore::lease_budget`]),
//! spends them in memory and reports its uses behind every second; a new slice is leased when one
//! runs out or expires. The lease that settles the previous one is the only round trip, one per
//! slice: 100 requests for a quiet key, growing for a busy one to about a second's worth
//! (`rate_limit::next_wanted`).
//!
//! `X-Rate-Limit` then shows the remaining budget as this node knows it: what was left for everyone
//! when it took its last slice, plus what is left of that slice. Other nodes' spending since then
//! shows at this node's next lease, so the figure can be high by up to what the other nodes spent
//! meanwhile (at most their slices); it is never low, and the budget itself is never exceeded.
//!
//! Generic over the budget port, so the arithmetic here is tested against an in-memory fake.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use keyward_core::error::StoreError;
use keyward_core::ids::KeyId;
use keyward_core::ports::BudgetStore;
use keyward_core::rate_limit::{Decision, next_wanted};

/// A node's slice of one key's shared budget.
#[derive(Debug, Default)]
struct Slice {
    lease: Option<i64>,
    /// Requests left in the slice.
    left: u64,
    /// Requests accepted with the slice, and how many of them the database has been told of.
    used: u64,
    reported: u64,
    /// Stop using it a little before the database stops counting it in full (clock differences).
    usable_until: i64,
    /// Everyone's remaining budget when the slice was leased.
    remaining_after: u64,
    /// How big the slice was and when it was leased: how fast it goes decides the next one's size.
    granted: u64,
    leased_at: i64,
    limit: u64,
    /// Over budget until then: answered 429 without asking the database again.
    limited_until: i64,
    retry_at: i64,
}

/// Seconds before a lease's expiry that a node stops using it.
const MARGIN: i64 = 5;
/// The longest a request waits for a lease.
const LEASE_WAIT: std::time::Duration = std::time::Duration::from_secs(3);

/// This node's slices of the installation's budgets, leased from `B`.
#[derive(Debug)]
pub struct SharedBudgets<B> {
    store: B,
    /// Names this node's leases in the database.
    node: String,
    slices: Mutex<HashMap<KeyId, Arc<tokio::sync::Mutex<Slice>>>>,
}

impl<B: BudgetStore> SharedBudgets<B> {
    pub fn new(store: B) -> Self {
        Self { store, node: uuid::Uuid::new_v4().simple().to_string(), slices: Mutex::default() }
    }

    fn slice(&self, key: &KeyId) -> Arc<tokio::sync::Mutex<Slice>> {
        let mut slices = self.slices.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        slices.entry(key.clone()).or_default().clone()
    }

    /// Spends one request of `key`'s budget `limit`, leasing a new slice when this one is spent,
    /// expired or for another limit. An error (the database away or slow) refuses the request.
    pub async fn acquire(&self, key: &KeyId, limit: u64, now: i64) -> Result<Decision, StoreError> {
        let slice = self.slice(key);
        let mut s = slice.lock().await;
        if s.limit == limit && s.limited_until > now {
            return Ok(Decision::Limited { retry_after: u64::try_from(s.retry_at - now).unwrap_or(1).max(1) });
        }
        if s.limit != limit || s.left == 0 || now >= s.usable_until {
            let previous = s.lease.map(|id| (id, s.used));
            let wanted = match s.lease {
                Some(_) => next_wanted(s.granted, s.used, now - s.leased_at),
                None => 0,
            };
            // Bounded: a database that does not answer fails this request, not the key's queue.
            let lease =
                tokio::time::timeout(LEASE_WAIT, self.store.lease_budget(key, &self.node, limit, previous, wanted))
                    .await
                    .map_err(|_| StoreError::Backend("leasing budget timed out".into()))??;
            *s = Slice {
                lease: lease.id,
                left: lease.granted,
                // The database's clock decides expiry; this node counts the time it has left on its own.
                usable_until: now + lease.valid_for - MARGIN,
                remaining_after: lease.remaining_after,
                granted: lease.granted,
                leased_at: now,
                limit,
                ..Slice::default()
            };
            if lease.granted == 0 {
                let retry = i64::try_from(lease.retry_after).unwrap_or(60);
                s.limited_until = now + retry.min(5);
                s.retry_at = now + retry;
                return Ok(Decision::Limited { retry_after: lease.retry_after });
            }
        }
        s.left -= 1;
        s.used += 1;
        Ok(Decision::Allowed { remaining: s.remaining_after + s.left })
    }

    /// The budget left as this node knows it, without spending any. A slice busy with a lease
    /// right now is not waited for: the whole budget is shown, as for an unseen key.
    pub fn remaining(&self, key: &KeyId, limit: u64) -> u64 {
        let slice = self.slices.lock().ok().and_then(|m| m.get(key).cloned());
        slice
            .and_then(|s| s.try_lock().ok().map(|s| if s.limit == limit { s.remaining_after + s.left } else { limit }))
            .unwrap_or(limit)
    }

    /// Writes behind what the slices were used for since the last report; `finish` settles every
    /// slice (at shutdown), giving its unused part back to the other nodes at once.
    pub async fn report(&self, finish: bool) -> Result<(), StoreError> {
        let slices: Vec<_> = self.slices.lock().map(|m| m.values().cloned().collect()).unwrap_or_default();
        let mut uses = Vec::new();
        let mut reported = Vec::new();
        for slice in slices {
            let mut s = slice.lock().await;
            if let Some(id) = s.lease
                && (s.used > s.reported || finish)
            {
                uses.push((id, s.used, finish));
                reported.push((slice.clone(), id, s.used));
                if finish {
                    s.left = 0;
                }
            }
        }
        self.store.report_budget_use(&uses).await?;
        for (slice, id, used) in reported {
            let mut s = slice.lock().await;
            // The slice may hold a newer lease by now, whose uses this report did not carry.
            if s.lease == Some(id) {
                s.reported = s.reported.max(used);
            }
        }
        Ok(())
    }

    /// Forgets every slice (test mode's reset).
    pub fn clear(&self) {
        self.slices.lock().unwrap_or_else(std::sync::PoisonError::into_inner).clear();
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    //! Against an in-memory budget store that keeps leases the way `keyward-store/src/budgets.rs`
    //! counts them (granted in full until settled, then what was used), without time.
    use super::*;
    use keyward_core::ports::BudgetLease;
    use keyward_core::rate_limit::lease_slice;

    #[derive(Debug, Default)]
    struct Leases {
        /// Per lease: key, granted, used, settled.
        leases: Vec<(KeyId, u64, u64, bool)>,
        calls: u32,
        down: bool,
    }

    /// One database that several nodes share.
    #[derive(Debug, Clone, Default)]
    struct FakeBudgets(Arc<Mutex<Leases>>);

    impl FakeBudgets {
        fn with<T>(&self, f: impl FnOnce(&mut Leases) -> T) -> T {
            f(&mut self.0.lock().unwrap())
        }
    }

    impl BudgetStore for FakeBudgets {
        fn shares_budgets(&self) -> bool {
            true
        }

        async fn lease_budget(
            &self,
            key: &KeyId,
            _node: &str,
            limit: u64,
            previous: Option<(i64, u64)>,
            wanted: u64,
        ) -> Result<BudgetLease, StoreError> {
            self.with(|db| {
                db.calls += 1;
                if db.down {
                    return Err(StoreError::Backend("connection refused".into()));
                }
                if let Some((id, used)) = previous {
                    let lease = &mut db.leases[usize::try_from(id).unwrap()];
                    lease.2 = used;
                    lease.3 = true;
                }
                let spent: u64 = db
                    .leases
                    .iter()
                    .filter(|l| &l.0 == key)
                    .map(|(_, granted, used, settled)| if *settled { *used } else { *granted })
                    .sum();
                let remaining = limit.saturating_sub(spent);
                let granted = lease_slice(remaining, wanted);
                let id = (granted > 0).then(|| {
                    db.leases.push((key.clone(), granted, 0, false));
                    i64::try_from(db.leases.len() - 1).unwrap()
                });
                Ok(BudgetLease {
                    id,
                    granted,
                    valid_for: 600,
                    remaining_after: remaining - granted,
                    retry_after: if granted == 0 { 60 } else { 0 },
                })
            })
        }

        async fn report_budget_use(&self, uses: &[(i64, u64, bool)]) -> Result<(), StoreError> {
            self.with(|db| {
                if db.down {
                    return Err(StoreError::Backend("connection refused".into()));
                }
                for (id, used, finished) in uses {
                    let lease = &mut db.leases[usize::try_from(*id).unwrap()];
                    lease.2 = lease.2.max(*used);
                    lease.3 |= finished;
                }
                Ok(())
            })
        }
    }

    const NOW: i64 = 1_800_000_000;

    fn key() -> KeyId {
        KeyId::parse("KEYAAAAAAA").unwrap()
    }

    async fn spend_all(node: &SharedBudgets<FakeBudgets>, limit: u64) -> u64 {
        let mut allowed = 0;
        while let Ok(Decision::Allowed { .. }) = node.acquire(&key(), limit, NOW).await {
            allowed += 1;
        }
        allowed
    }

    #[tokio::test]
    async fn m2_two_nodes_never_accept_more_than_the_budget_together() {
        let db = FakeBudgets::default();
        let (a, b) = (SharedBudgets::new(db.clone()), SharedBudgets::new(db.clone()));
        // Interleaved: each node holds a slice while the other leases.
        let mut allowed = 0;
        for _ in 0..2000 {
            for node in [&a, &b] {
                if let Ok(Decision::Allowed { .. }) = node.acquire(&key(), 1000, NOW).await {
                    allowed += 1;
                }
            }
        }
        assert!(allowed <= 1000, "accepted {allowed} of a budget of 1000");
        assert!(allowed >= 900, "slices left unused: only {allowed} accepted");
    }

    #[tokio::test]
    async fn m2_an_exhausted_budget_is_refused_without_asking_the_database_each_time() {
        let db = FakeBudgets::default();
        let node = SharedBudgets::new(db.clone());
        assert_eq!(spend_all(&node, 150).await, 150);
        let calls = db.with(|d| d.calls);
        for _ in 0..50 {
            assert!(matches!(node.acquire(&key(), 150, NOW).await, Ok(Decision::Limited { retry_after: 60 })));
        }
        assert_eq!(db.with(|d| d.calls), calls, "429s for a while come from memory");
        assert_eq!(node.remaining(&key(), 150), 0);
    }

    #[tokio::test]
    async fn m2_reports_carry_uses_and_finishing_gives_the_rest_back() {
        let db = FakeBudgets::default();
        let a = SharedBudgets::new(db.clone());
        for _ in 0..10 {
            assert!(matches!(a.acquire(&key(), 1000, NOW).await, Ok(Decision::Allowed { .. })));
        }
        a.report(false).await.unwrap();
        assert_eq!(db.with(|d| (d.leases[0].2, d.leases[0].3)), (10, false), "uses reported, lease still held");
        a.report(true).await.unwrap();
        assert_eq!(db.with(|d| (d.leases[0].2, d.leases[0].3)), (10, true), "settled at shutdown");
        // What the first node gave back is another node's to spend.
        let b = SharedBudgets::new(db.clone());
        assert_eq!(spend_all(&b, 1000).await, 990);
    }

    #[tokio::test]
    async fn m2_a_database_that_cannot_lease_refuses_the_request() {
        let db = FakeBudgets::default();
        let node = SharedBudgets::new(db.clone());
        db.with(|d| d.down = true);
        assert!(node.acquire(&key(), 100, NOW).await.is_err(), "fails closed, never open");
        db.with(|d| d.down = false);
        assert!(matches!(node.acquire(&key(), 100, NOW).await, Ok(Decision::Allowed { remaining: 99 })));
    }

    #[tokio::test]
    async fn l1_a_new_limit_leases_anew() {
        let db = FakeBudgets::default();
        let node = SharedBudgets::new(db.clone());
        assert!(matches!(node.acquire(&key(), 100, NOW).await, Ok(Decision::Allowed { remaining: 99 })));
        assert_eq!(node.remaining(&key(), 100), 99);
        assert_eq!(node.remaining(&key(), 50), 50, "a slice of another limit says nothing about this one");
        assert!(matches!(node.acquire(&key(), 50, NOW).await, Ok(Decision::Allowed { .. })));
        assert_eq!(db.with(|d| d.calls), 2);
    }
}
