//! The whole HTTP surface: which path goes to which handler, behind which layer. The top of the
//! crate: nothing imports it but `serve.rs`.

use axum::Router;
use axum::middleware::from_fn_with_state;
use axum::response::IntoResponse;
use axum::routing::{any, get};

use crate::AppState;
use crate::auth::middleware;
use crate::error::ApiError;
use crate::routes;
use crate::test_mode::routes as test_mode;

/// The whole HTTP surface. Every `/v1` route sits behind the bearer-token layer; unknown `/v1`
/// paths are authenticated, then answered 404 `PATH_ERROR`.
pub fn router(state: AppState) -> Router {
    use routes::v1::{apps, user_invitations as invitations, users};
    let v1 = Router::new()
        .route("/v1/apps", get(apps::list::handler).post(apps::not_allowed::create))
        .route("/v1/apps/{id}", get(apps::get::handler).patch(apps::update::handler).delete(apps::not_allowed::delete))
        .route("/v1/users", get(users::list::handler))
        .route("/v1/users/{id}", get(users::get::handler).patch(users::update::handler).delete(users::delete::handler))
        .route("/v1/users/{id}/visibleApps", get(users::visible_apps::handler))
        .route(
            "/v1/users/{id}/relationships/visibleApps",
            get(users::relationships::get::handler)
                .post(users::relationships::add::handler)
                .patch(users::relationships::replace::handler)
                .delete(users::relationships::remove::handler),
        )
        .route("/v1/userInvitations", get(invitations::list::handler).post(invitations::create::handler))
        .route("/v1/userInvitations/{id}", get(invitations::get::handler).delete(invitations::delete::handler))
        .route("/v1/userInvitations/{id}/visibleApps", get(invitations::visible_apps::handler))
        .route_layer(from_fn_with_state(state.clone(), middleware::require_token))
        .method_not_allowed_fallback(|| async { ApiError::method_not_allowed().into_response() });
    // X1: Keyward's own key API, for key managers' tokens only (audience `keyward-v1`).
    let key_api = {
        use routes::keyward_v1::{api_keys, key_webhooks, require_key_manager};
        Router::new()
            .route("/keyward/v1/apiKeys", get(api_keys::list::handler).post(api_keys::create::handler))
            .route("/keyward/v1/apiKeys/{id}", get(api_keys::get::handler).delete(api_keys::delete::handler))
            .route("/keyward/v1/keyWebhooks", get(key_webhooks::list::handler).post(key_webhooks::create::handler))
            .route(
                "/keyward/v1/keyWebhooks/{id}",
                get(key_webhooks::get::handler).delete(key_webhooks::delete::handler),
            )
            .route_layer(from_fn_with_state(state.clone(), require_key_manager))
            .method_not_allowed_fallback(|| async { ApiError::method_not_allowed().into_response() })
    };
    let test_routes = match state.test_mode {
        Some(_) => Router::new()
            .route("/_keyward/reset", axum::routing::post(test_mode::reset))
            .route("/_keyward/requests", get(test_mode::requests))
            .route("/_keyward/review/{submission}", axum::routing::post(test_mode::review))
            .route("/_keyward/testers/{tester}", axum::routing::post(test_mode::tester))
            .route_layer(from_fn_with_state(state.clone(), test_mode::same_origin_only)),
        None => Router::new(),
    };
    let gateway_routes = match state.gateway {
        Some(_) => {
            use crate::gateway::{authz, refusal};
            Router::new()
                .route(authz::PATH, any(authz::handler))
                .route(&format!("{}/{{*original}}", authz::PATH), any(authz::handler))
                .route("/_keyward/refusal/{status}", get(refusal::handler))
        }
        None => Router::new(),
    };
    let router = Router::new()
        .merge(test_routes)
        .merge(gateway_routes)
        .merge(crate::console::routes())
        .route("/healthz", get(routes::health::healthz))
        .route("/readyz", get(routes::health::readyz))
        .route("/metrics", get(crate::metrics::render))
        .route("/openapi.json", get(crate::openapi::whole))
        .route("/openapi/users-and-access.json", get(crate::openapi::users_and_access))
        .route("/keyward/v1/openapi.json", get(routes::keyward_v1::openapi::handler))
        .route(
            &format!("{}/{{file}}/{{secret}}", routes::uploads::PREFIX),
            axum::routing::put(routes::uploads::put::handler),
        )
        .merge(v1)
        .merge(key_api)
        .fallback(routes::fallback::handler);
    // D4: a failure to reach the database has the probe ask at once. (Proxied requests reach
    // the database only to lease budget, whose waits end in the store like any other.)
    let router = router.layer(from_fn_with_state(state.clone(), crate::database_guard::layer));
    let router = match state.test_mode {
        Some(_) => router.layer(from_fn_with_state(state.clone(), test_mode::record)),
        None => router,
    };
    // G2, G4: the policy's routes never reach this router: `front` sends them upstream first.
    router.with_state(state)
}
