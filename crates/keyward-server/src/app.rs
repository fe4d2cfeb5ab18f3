//! The router and the state every handler shares.

use std::sync::Arc;

use axum::Router;
use axum::routing::get;
use keyward_core::settings::Settings;
use keyward_store::Store;

use crate::routes;

/// Shared by every handler. Cloning is cheap (a pool handle and an `Arc`).
#[derive(Debug, Clone)]
pub struct AppState {
    pub store: Store,
    pub settings: Arc<Settings>,
}

/// The whole HTTP surface. Routes are added here, one handler per file under `routes/`.
pub fn router(state: AppState) -> Router {
    Router::new()
        .route("/healthz", get(routes::health::healthz))
        .route("/readyz", get(routes::health::readyz))
        .with_state(state)
}
