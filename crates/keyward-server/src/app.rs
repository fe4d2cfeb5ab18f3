//! The router and the state every handler shares.

use std::sync::Arc;

use axum::Router;
use axum::middleware::from_fn_with_state;
use axum::response::IntoResponse;
use axum::routing::get;
use keyward_core::error::StoreError;
use keyward_core::settings::Settings;
use keyward_store::Store;

use crate::auth::{Auth, middleware};
use crate::error::ApiError;
use crate::routes;

/// Shared by every handler. Cloning is cheap (a pool handle and `Arc`s).
#[derive(Debug, Clone)]
pub struct AppState {
    pub store: Store,
    pub settings: Arc<Settings>,
    pub auth: Arc<Auth>,
    /// The base of absolute links in responses; from the request's `Host` when unset.
    pub public_url: Option<String>,
}

impl AppState {
    /// Loads the verifier's tables from the store.
    pub async fn new(store: Store, settings: Settings, public_url: Option<String>) -> Result<AppState, StoreError> {
        let auth = Auth::load(&store, &settings).await?;
        Ok(AppState { store, settings: Arc::new(settings), auth: Arc::new(auth), public_url })
    }
}

/// The whole HTTP surface. Every `/v1` route sits behind the bearer-token layer; unknown `/v1`
/// paths are authenticated, then answered 404 `PATH_ERROR`.
pub fn router(state: AppState) -> Router {
    let v1 = Router::new()
        .route("/v1/apps", get(routes::v1::apps::list::handler).post(routes::v1::apps::not_allowed::create))
        .route("/v1/apps/{id}", get(routes::v1::apps::get::handler).delete(routes::v1::apps::not_allowed::delete))
        .route_layer(from_fn_with_state(state.clone(), middleware::require_token))
        .method_not_allowed_fallback(|| async { ApiError::method_not_allowed().into_response() });
    Router::new()
        .route("/healthz", get(routes::health::healthz))
        .route("/readyz", get(routes::health::readyz))
        .route("/metrics", get(crate::metrics::render))
        .merge(v1)
        .fallback(routes::fallback::handler)
        .with_state(state)
}
