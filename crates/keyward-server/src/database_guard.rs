//! D4: a request that failed because the database could not be reached (its response carries
//! [`DatabaseAway`]) has the store's probe ask the database at once, so the node learns it is
//! away within one round trip rather than at the probe's next turn. Nothing is cancelled here: a
//! handler that has its connection finishes or fails by itself (a write that committed is never
//! reported as failed), and waits for a connection end in the store when the probe decides.

use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::Response;

use crate::AppState;
use crate::error::DatabaseAway;

pub(crate) async fn layer(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let response = next.run(req).await;
    if response.extensions().get::<DatabaseAway>().is_some() {
        state.store.suspect();
    }
    response
}

/// `keyward_database_reachable`: 1 while the node's probe finds the database, 0 while it is away;
/// kept until `shutdown` flips.
pub(crate) async fn report(store: keyward_store::Store, mut shutdown: tokio::sync::watch::Receiver<bool>) {
    let mut away = store.away_signal();
    loop {
        let reachable = if *away.borrow_and_update() { 0.0 } else { 1.0 };
        metrics::gauge!("keyward_database_reachable").set(reachable);
        tokio::select! {
            changed = away.changed() => if changed.is_err() { return },
            _ = shutdown.changed() => return,
        }
    }
}
