//! `GET /healthz` (the process is up) and `GET /readyz` (it can reach its database), for load
//! balancers and orchestrators.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

use crate::AppState;

pub(crate) async fn healthz() -> Response {
    (StatusCode::OK, "ok\n").into_response()
}

/// Ready when the database answers within 2 s and the change feed is fresh (M3).
pub(crate) async fn readyz(State(state): State<AppState>) -> Response {
    if state.store.is_away() {
        return (StatusCode::SERVICE_UNAVAILABLE, "database unreachable\n").into_response();
    }
    match tokio::time::timeout(std::time::Duration::from_secs(2), state.store.ping()).await {
        Ok(Ok(())) if state.feed_fresh() => (StatusCode::OK, "ready\n").into_response(),
        Ok(Ok(())) => (StatusCode::SERVICE_UNAVAILABLE, "change feed not yet read again\n").into_response(),
        Ok(Err(e)) => {
            tracing::debug!(error = %e, "readiness check: database unreachable");
            (StatusCode::SERVICE_UNAVAILABLE, "database unreachable\n").into_response()
        }
        Err(_) => (StatusCode::SERVICE_UNAVAILABLE, "database did not answer within 2 s\n").into_response(),
    }
}
