//! Background work of a serving process: the K13 purge, X4's revocations at the end of a grace
//! period, and what is written behind (T14 failures,
//! K16 last use, M2 budget uses). The change-feed tailer is the replica's (`replica::tail`).

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

/// X4: records the revocation of keys whose rotation's grace period ended, every second on every
/// node. Whichever node comes first records each (the store's conditional update); the verifier
/// refuses the key from the second its grace period ends whether or not this has run, so a second
/// is only how late the listing may be, never how long the key may still work.
pub async fn revoke_rotated_out_keys(state: AppState, mut shutdown: watch::Receiver<bool>) {
    loop {
        match state.store.revoke_rotated_out(OffsetDateTime::now_utc()).await {
            Ok(keys) if keys.is_empty() => {}
            Ok(keys) => {
                let changes: Vec<keyward_core::change::Change> = keys
                    .iter()
                    .map(|k| keyward_core::change::Change::KeyRevoked { team_id: k.team_id, key_id: k.id.clone() })
                    .collect();
                state.written(&changes).await;
                tracing::info!(revoked = keys.len(), "revoked keys at the end of their rotation's grace period");
            }
            Err(e) => tracing::warn!(error = %e, "revoking rotated-out keys failed; will retry"),
        }
        tokio::select! {
            _ = tokio::time::sleep(Duration::from_secs(1)) => {}
            _ = shutdown.changed() => return,
        }
    }
}

/// X5: every 2 s on every node, announces keys whose expiry is 7 days away or past to the team's
/// key webhooks; whichever node comes first records each announcement, once.
pub async fn announce_key_ends(state: AppState, mut shutdown: watch::Receiver<bool>) {
    loop {
        match state.store.announce_key_ends(OffsetDateTime::now_utc()).await {
            Ok(0) => {}
            Ok(n) => tracing::info!(announced = n, "announced keys' coming or past expiry"),
            Err(e) => tracing::warn!(error = %e, "announcing keys' expiry failed; will retry"),
        }
        tokio::select! {
            _ = tokio::time::sleep(Duration::from_secs(2)) => {}
            _ = shutdown.changed() => return,
        }
    }
}

/// Flushes failures and last-use times every `every`, and once more at shutdown; with shared
/// budgets (M2) also the uses of this node's slices, and at shutdown the unused rest given back.
pub async fn write_behind(state: AppState, every: Duration, mut shutdown: watch::Receiver<bool>) {
    loop {
        let stop = tokio::select! {
            _ = tokio::time::sleep(every) => false,
            _ = shutdown.changed() => true,
        };
        if let Err(e) = state.recorder.flush(&state.store).await {
            tracing::warn!(error = %e, "writing authentication failures and last use failed; retrying");
        }
        if let Err(e) = state.limiter.report(stop).await {
            tracing::warn!(error = %e, "reporting budget use failed; retrying");
        }
        if stop {
            return;
        }
    }
}
