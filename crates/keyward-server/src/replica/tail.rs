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
        let _ = state.replica.sync(&state.store).await;
        tokio::select! {
            _ = signal.wait(POLL) => {}
            _ = shutdown.changed() => return,
        }
    }
}
