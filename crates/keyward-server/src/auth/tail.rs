//! The change-feed tailer (K11): applies what other processes wrote within 100 ms. SQLite: a poll
//! of the feed every 50 ms. PostgreSQL: woken by `NOTIFY`, with the same poll as a safety net.

use std::time::Duration;

use tokio::sync::watch;

use crate::AppState;

pub const POLL: Duration = Duration::from_millis(50);

pub async fn tail_changes(state: AppState, mut shutdown: watch::Receiver<bool>) {
    let mut signal = state.store.change_signal().await;
    loop {
        // A failure is logged once by `sync` and retried at the next poll; the pool reconnects
        // by itself when the database returns, and the feed resumes from the position held here.
        let _ = state.auth.sync(&state.store).await;
        tokio::select! {
            _ = signal.wait(POLL) => {}
            _ = shutdown.changed() => return,
        }
    }
}

/// Flushes failures and last-use times every `every`, and once more at shutdown.
pub async fn flush_recorder(state: AppState, every: Duration, mut shutdown: watch::Receiver<bool>) {
    loop {
        let stop = tokio::select! {
            _ = tokio::time::sleep(every) => false,
            _ = shutdown.changed() => true,
        };
        if let Err(e) = state.auth.recorder.flush(&state.store).await {
            tracing::warn!(error = %e, "writing authentication failures and last use failed; retrying");
        }
        // M2: uses of budget slices, and at shutdown the unused rest given back.
        if let Err(e) = state.auth.limiter.report(&state.store, stop).await {
            tracing::warn!(error = %e, "reporting budget use failed; retrying");
        }
        if stop {
            return;
        }
    }
}
