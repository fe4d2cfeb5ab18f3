//! M2: rolling-hour budgets shared by the nodes of an installation, as leases.
//!
//! A node leases a slice of a key's budget (`keyward_core::rate_limit::lease_slice`), spends it in
//! memory, and reports its uses behind. Counted against the budget in the rolling hour: every
//! lease in full until it is settled or expires ([`LEASE_SECONDS`]), then only its reported uses.
//! Leasing is one transaction serialized per key (`backend::lock_budget`), so the slices granted
//! never add up to more than the budget: the overshoot is zero as long as nodes report what they
//! used. A node killed while holding a slice withholds its unused part until the lease expires;
//! uses it made after its last report (written every second) are not counted.
//!
//! Each lease is filed under the last minute it may be used in, so no use counts as older than it
//! is and none leaves the rolling window early. A finished lease's uses are then added to its key's
//! row for that minute (`budget_minutes`), so leasing reads a bounded number of rows however fast
//! the key spends: the 30-minute soak showed leasing slowing by the minute while every lease stayed
//! a row for the hour. All times are the database's clock.

use keyward_core::error::StoreError;
use keyward_core::ids::KeyId;
use keyward_core::ports::{BudgetLease, BudgetStore};
use keyward_core::rate_limit::{LEASE_SECONDS, lease_slice, retry_after_minute};

use crate::error::backend_error;
use crate::tx;
use crate::{Store, convert};

impl BudgetStore for Store {
    fn shares_budgets(&self) -> bool {
        crate::backend::shares_budgets(self.backend())
    }

    async fn lease_budget(
        &self,
        key: &KeyId,
        node: &str,
        limit: u64,
        previous: Option<(i64, u64)>,
        wanted: u64,
    ) -> Result<BudgetLease, StoreError> {
        let mut tx = self.begin_write().await?;
        crate::backend::lock_budget(&mut tx, key).await?;
        let now = crate::backend::database_now(&mut tx).await?;
        let minute = now.div_euclid(60);
        if let Some((id, used)) = previous {
            sqlx::query("UPDATE budget_leases SET used = $1, settled = TRUE WHERE lease_id = $2 AND key_id = $3")
                .bind(i64::try_from(used).unwrap_or(i64::MAX))
                .bind(id)
                .bind(key.to_string())
                .execute(&mut *tx)
                .await
                .map_err(backend_error)?;
        }
        fold_finished_leases(&mut tx, key, now).await?;
        sqlx::query("DELETE FROM budget_minutes WHERE key_id = $1 AND minute <= $2")
            .bind(key.to_string())
            .bind(minute - 60)
            .execute(&mut *tx)
            .await
            .map_err(backend_error)?;
        let row = sqlx::query(
            "SELECT CAST(COALESCE((SELECT SUM(used) FROM budget_minutes WHERE key_id = $2 AND minute > $3), 0) AS BIGINT) AS settled, \
                    CAST(COALESCE((SELECT SUM(CASE WHEN expires_at <= $1 THEN used ELSE granted END) \
                                   FROM budget_leases WHERE key_id = $2 AND minute > $3), 0) AS BIGINT) AS leased, \
                    (SELECT MIN(minute) FROM budget_minutes WHERE key_id = $2 AND minute > $3 AND used > 0) AS oldest_settled, \
                    (SELECT MIN(CASE WHEN expires_at <= $1 AND used = 0 THEN NULL ELSE minute END) \
                     FROM budget_leases WHERE key_id = $2 AND minute > $3) AS oldest_leased",
        )
        .bind(now)
        .bind(key.to_string())
        .bind(minute - 60)
        .fetch_one(&mut *tx)
        .await
        .map_err(backend_error)?;
        let spent = [convert::get::<i64>(&row, "settled")?, convert::get::<i64>(&row, "leased")?]
            .into_iter()
            .map(|n| u64::try_from(n).unwrap_or(0))
            .fold(0u64, u64::saturating_add);
        let oldest = [convert::get::<Option<i64>>(&row, "oldest_settled")?, convert::get(&row, "oldest_leased")?]
            .into_iter()
            .flatten()
            .min();
        let remaining = limit.saturating_sub(spent);
        let granted = lease_slice(remaining, wanted);
        let expires_at = now + LEASE_SECONDS;
        let id = if granted > 0 {
            let row = sqlx::query(
                "INSERT INTO budget_leases (key_id, node_id, minute, granted, used, expires_at, settled) \
                 VALUES ($1, $2, $3, $4, 0, $5, FALSE) RETURNING lease_id",
            )
            .bind(key.to_string())
            .bind(node.to_owned())
            .bind(expires_at.div_euclid(60))
            .bind(i64::try_from(granted).unwrap_or(i64::MAX))
            .bind(expires_at)
            .fetch_one(&mut *tx)
            .await
            .map_err(backend_error)?;
            Some(convert::get::<i64>(&row, "lease_id")?)
        } else {
            None
        };
        tx::commit(tx).await?;
        Ok(BudgetLease {
            id,
            granted,
            valid_for: LEASE_SECONDS,
            remaining_after: remaining - granted,
            retry_after: if granted == 0 { oldest.map_or(60, |m| retry_after_minute(m, now)) } else { 0 },
        })
    }

    async fn report_budget_use(&self, uses: &[(i64, u64, bool)]) -> Result<(), StoreError> {
        if uses.is_empty() {
            return Ok(());
        }
        let mut tx = self.begin().await?;
        for (id, used, finished) in uses {
            // Never lowers a count: a late report cannot undo a settlement. A settled lease is
            // folded into `budget_minutes` at the key's next lease, under the key's lock.
            sqlx::query(
                "UPDATE budget_leases SET used = CASE WHEN used > $1 THEN used ELSE $1 END, settled = settled OR $2 \
                 WHERE lease_id = $3",
            )
            .bind(i64::try_from(*used).unwrap_or(i64::MAX))
            .bind(*finished)
            .bind(*id)
            .execute(&mut *tx)
            .await
            .map_err(backend_error)?;
        }
        tx.commit().await.map_err(backend_error)
    }
}

/// Moves the uses of the key's finished leases into `budget_minutes`, one row per minute, so the
/// rolling hour is at most 61 rows however many leases it held. Finished: settled, or expired
/// [`LEASE_SECONDS`] ago (a node reports every second, so a late report has landed by then; one
/// that comes later still finds no lease and changes nothing). Runs under the key's lock, so no
/// two transactions write one key's minutes at once.
async fn fold_finished_leases(tx: &mut tx::Tx, key: &KeyId, now: i64) -> Result<(), StoreError> {
    let rows = sqlx::query(
        "DELETE FROM budget_leases WHERE key_id = $1 AND (settled OR expires_at <= $2) RETURNING minute, used",
    )
    .bind(key.to_string())
    .bind(now - LEASE_SECONDS)
    .fetch_all(&mut **tx)
    .await
    .map_err(backend_error)?;
    let mut minutes = std::collections::BTreeMap::<i64, i64>::new();
    for row in &rows {
        let used: i64 = convert::get(row, "used")?;
        *minutes.entry(convert::get(row, "minute")?).or_default() += used;
    }
    for (minute, used) in minutes.into_iter().filter(|(_, used)| *used > 0) {
        sqlx::query(
            "INSERT INTO budget_minutes (key_id, minute, used) VALUES ($1, $2, $3) \
             ON CONFLICT (key_id, minute) DO UPDATE SET used = budget_minutes.used + excluded.used",
        )
        .bind(key.to_string())
        .bind(minute)
        .bind(used)
        .execute(&mut **tx)
        .await
        .map_err(backend_error)?;
    }
    Ok(())
}
