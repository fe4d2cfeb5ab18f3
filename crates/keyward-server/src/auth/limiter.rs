//! Per-key rolling-hour budgets (L1–L4).
//!
//! One node (SQLite): counted in memory, one-minute buckets, no storage round trip.
//! Several nodes (PostgreSQL, M2): one budget per key for the installation. The node leases slices
//! of a key's budget from the database (`BudgetStore::lease_budget`), spends them in memory and
//! reports its uses behind every second; a new slice is leased when one runs out or expires. The
//! lease that settles the previous one is the only round trip, one per slice: 100 requests for a
//! quiet key, growing for a busy one to about a second's worth (`rate_limit::next_wanted`).
//!
//! `X-Rate-Limit` then shows the remaining budget as this node knows it: what was left for everyone
//! when it took its last slice, plus what is left of that slice. Other nodes' spending since then
//! shows at this node's next lease, so the figure can be high by up to what the other nodes spent
//! meanwhile (at most their slices); it is never low, and the budget itself is never exceeded.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use keyward_core::error::StoreError;
use keyward_core::ids::KeyId;
use keyward_core::ports::BudgetStore;
use keyward_core::rate_limit::{Decision, Window, next_wanted};
use keyward_store::Store;

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

#[derive(Debug)]
pub struct RateLimiter {
    default_limit: u64,
    windows: Mutex<HashMap<KeyId, Window>>,
    /// M2: present when budgets are shared through the database.
    shared: Option<Shared>,
}

#[derive(Debug)]
struct Shared {
    node: String,
    slices: Mutex<HashMap<KeyId, Arc<tokio::sync::Mutex<Slice>>>>,
}

impl RateLimiter {
    /// A node's own in-memory budgets.
    pub fn new(default_limit: u64) -> Self {
        Self { default_limit, windows: Mutex::new(HashMap::new()), shared: None }
    }

    /// Budgets shared with the other nodes through the database (M2).
    pub fn shared(default_limit: u64) -> Self {
        let node = uuid::Uuid::new_v4().simple().to_string();
        Self { shared: Some(Shared { node, slices: Mutex::default() }), ..Self::new(default_limit) }
    }

    /// L1: the budget of a key, the team's override first.
    pub fn limit_for(&self, team_override: Option<u32>) -> u64 {
        team_override.map_or(self.default_limit, u64::from)
    }

    /// Counts one accepted request (L4: only accepted tokens reach this).
    pub async fn acquire(&self, store: &Store, key: &KeyId, limit: u64, now: i64) -> Result<Decision, StoreError> {
        let Some(shared) = &self.shared else {
            return Ok(match self.windows.lock() {
                Ok(mut w) => w.entry(key.clone()).or_default().try_acquire(now, limit),
                Err(_) => Decision::Allowed { remaining: limit },
            });
        };
        let slice = shared.slice(key);
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
                tokio::time::timeout(LEASE_WAIT, store.lease_budget(key, &shared.node, limit, previous, wanted))
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

    /// Forgets every window and slice (test mode's reset).
    pub fn clear(&self) {
        if let Ok(mut w) = self.windows.lock() {
            w.clear();
        }
        if let Some(shared) = &self.shared
            && let Ok(mut m) = shared.slices.lock()
        {
            m.clear();
        }
    }

    /// The budget left as this node knows it, without spending any.
    pub fn remaining(&self, key: &KeyId, limit: u64, now: i64) -> u64 {
        if let Some(shared) = &self.shared {
            let slice = shared.slices.lock().ok().and_then(|m| m.get(key).cloned());
            return slice
                .and_then(|s| {
                    s.try_lock().ok().map(|s| if s.limit == limit { s.remaining_after + s.left } else { limit })
                })
                .unwrap_or(limit);
        }
        match self.windows.lock() {
            Ok(mut w) => w.get_mut(key).map_or(limit, |win| win.remaining(now, limit)),
            Err(_) => limit,
        }
    }

    /// Writes behind what the slices were used for since the last report; `finish` settles every
    /// slice (at shutdown), giving its unused part back to the other nodes at once.
    pub async fn report(&self, store: &Store, finish: bool) -> Result<(), StoreError> {
        let Some(shared) = &self.shared else { return Ok(()) };
        let slices: Vec<_> = shared.slices.lock().map(|m| m.values().cloned().collect()).unwrap_or_default();
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
        store.report_budget_use(&uses).await?;
        for (slice, id, used) in reported {
            let mut s = slice.lock().await;
            // The slice may hold a newer lease by now, whose uses this report did not carry.
            if s.lease == Some(id) {
                s.reported = s.reported.max(used);
            }
        }
        Ok(())
    }
}

impl Shared {
    fn slice(&self, key: &KeyId) -> Arc<tokio::sync::Mutex<Slice>> {
        match self.slices.lock() {
            Ok(mut m) => m.entry(key.clone()).or_default().clone(),
            Err(_) => Arc::default(),
        }
    }
}
