//! Background work of a serving process.

use std::time::Duration;

use keyward_core::key::purge_cutoff;
use keyward_core::ports::KeyStore;
use time::OffsetDateTime;
use tokio::sync::watch;

use crate::AppState;

/// K13: deletes keys whose retention ran out, once at start and then every `every`, until
/// `shutdown` flips. Failures are logged and retried on the next tick.
pub async fn purge_revoked_keys(state: AppState, every: Duration, mut shutdown: watch::Receiver<bool>) {
    loop {
        let cutoff = purge_cutoff(OffsetDateTime::now_utc(), state.settings.revoked_retention_days);
        match state.store.purge_revoked(cutoff).await {
            Ok(0) => {}
            Ok(n) => tracing::info!(purged = n, "purged revoked keys past their retention period"),
            Err(e) => tracing::warn!(error = %e, "purging revoked keys failed; will retry"),
        }
        tokio::select! {
            _ = tokio::time::sleep(every) => {}
            _ = shutdown.changed() => return,
        }
    }
}
