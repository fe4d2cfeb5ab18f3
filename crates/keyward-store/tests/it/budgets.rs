//! M2: leases of a key's budget never add up to more than the budget, and a lease that is neither
//! settled nor reported stops counting in full once it expires.
#![allow(clippy::unwrap_used)]

use crate::common::*;
use keyward_core::ports::BudgetStore;
use keyward_core::rate_limit::LEASE_SECONDS;

both_backends!(m2_concurrent_leases_never_exceed_the_budget, |store: keyward_store::Store, _db| async move {
    let key = new_key_id();
    let tasks: Vec<_> = (0..8)
        .map(|n| {
            let (store, key) = (store.clone(), key.clone());
            tokio::spawn(async move {
                let mut granted = 0;
                let mut previous = None;
                loop {
                    let lease = store.lease_budget(&key, &format!("node{n}"), 50, previous, 0).await.unwrap();
                    if lease.granted == 0 {
                        assert!(lease.retry_after > 0);
                        return granted;
                    }
                    granted += lease.granted;
                    previous = lease.id.map(|id| (id, lease.granted));
                }
            })
        })
        .collect();
    let mut total = 0;
    for t in tasks {
        total += t.await.unwrap();
    }
    assert_eq!(total, 50, "every request of the budget leased once, none twice");
});

both_backends!(
    m2_an_abandoned_lease_counts_only_its_reported_uses_once_expired,
    |store: keyward_store::Store, _db| async move {
        let key = new_key_id();
        let first = store.lease_budget(&key, "killed", 1600, None, 0).await.unwrap();
        assert_eq!((first.granted, first.valid_for), (100, LEASE_SECONDS));
        store.report_budget_use(&[(first.id.unwrap(), 3, false)]).await.unwrap();
        let meanwhile = store.lease_budget(&key, "other", 1600, None, 0).await.unwrap();
        assert_eq!(meanwhile.remaining_after + meanwhile.granted, 1500, "the live lease counts in full");
        keyward_store::testing::expire_budget_leases(&store).await;
        let later = store.lease_budget(&key, "other", 1600, meanwhile.id.map(|id| (id, 0)), 0).await.unwrap();
        assert_eq!(later.remaining_after + later.granted, 1597, "then only its 3 reported uses");
    }
);

both_backends!(
    m2_a_key_spending_fast_keeps_a_bounded_number_of_budget_rows,
    |store: keyward_store::Store, _db| async move {
        let key = new_key_id();
        let mut previous = None;
        let mut spent = 0;
        for _ in 0..300 {
            let lease = store.lease_budget(&key, "node", 1_000_000, previous, 100).await.unwrap();
            assert!(lease.granted > 0);
            spent += 7;
            previous = lease.id.map(|id| (id, 7));
        }
        let (leases, minutes) = keyward_store::testing::budget_rows(&store).await;
        assert!(leases <= 1, "settled leases are folded, {leases} left");
        assert!(minutes <= 2, "one row per minute, {minutes} rows");
        let last = store.lease_budget(&key, "node", 1_000_000, previous, 100).await.unwrap();
        assert_eq!(last.remaining_after + last.granted, 1_000_000 - spent, "every settled use still counts");
    }
);
