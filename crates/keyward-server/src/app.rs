//! The router and the state every handler shares.

use std::sync::Arc;

use axum::Router;
use axum::middleware::from_fn_with_state;
use axum::response::IntoResponse;
use axum::routing::{any, get};
use keyward_core::change::Change;
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
    /// Served over TLS: links default to `https://` and the host the client asked for.
    pub https: bool,
    /// First-run setup: the one-time token of the setup URL, until it is used.
    pub setup: Option<Arc<std::sync::Mutex<Option<String>>>>,
    /// Console sign-in throttling.
    pub throttle: Arc<crate::console::Throttle>,
    /// Argon2 off the async workers, a few at a time.
    pub passwords: crate::console::Passwords,
    /// Proxies whose `X-Forwarded-For` names the client (setting `trusted_proxies`).
    pub trusted_proxies: Arc<crate::client_ip::TrustedProxies>,
    /// Invitation and activation mail (`[mail]`); off when not configured.
    pub mailer: Arc<crate::mail::Mailer>,
    /// `serve --test-mode` only: the reset seed and the request log.
    pub test_mode: Option<Arc<crate::test_mode::TestMode>>,
    /// `serve --policy`: forward auth, and with an upstream the reverse proxy (spec section 10).
    pub gateway: Option<Arc<crate::gateway::Gateway>>,
}

impl AppState {
    /// Loads the verifier's tables from the store.
    pub async fn new(store: Store, settings: Settings, public_url: Option<String>) -> Result<AppState, StoreError> {
        let auth = Auth::load(&store, &settings).await?;
        Ok(AppState {
            store,
            settings: Arc::new(settings),
            auth: Arc::new(auth),
            public_url,
            https: false,
            throttle: Arc::default(),
            passwords: crate::console::Passwords::default(),
            trusted_proxies: Arc::default(),
            mailer: Arc::new(crate::mail::Mailer::Off),
            setup: None,
            test_mode: None,
            gateway: None,
        })
    }

    /// After a committed write that changes who may authenticate, from the API or the console:
    /// the one way it reaches this node's tables ([`Auth::apply_written`]; never an error).
    pub(crate) async fn written(&self, changes: &[Change]) {
        self.auth.apply_written(&self.store, changes).await;
    }
}

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
    let test_routes = match state.test_mode {
        Some(_) => Router::new()
            .route("/_keyward/reset", axum::routing::post(crate::test_mode::reset))
            .route("/_keyward/requests", get(crate::test_mode::requests))
            .route_layer(from_fn_with_state(state.clone(), crate::test_mode::same_origin_only)),
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
        .route("/openapi.json", get(crate::openapi::handler))
        .merge(v1)
        .fallback(routes::fallback::handler);
    let router = match state.test_mode {
        Some(_) => router.layer(from_fn_with_state(state.clone(), crate::test_mode::record)),
        None => router,
    };
    // G2, G4: the policy's routes go upstream before Keyward's own routing sees them; prefixes
    // cannot claim Keyward's paths, so only `/v1` can be taken over, and only when a route says so.
    let router = match state.gateway.as_ref().and_then(|g| g.upstream.as_ref()) {
        Some(_) => router.layer(from_fn_with_state(state.clone(), crate::gateway::proxy::layer)),
        None => router,
    };
    router.layer(axum::middleware::from_fn(host_from_authority)).with_state(state)
}

/// HTTP/2 requests carry the host in `:authority`, not `Host`; the console's Origin checks, test
/// mode's host check and absolute links all read `Host`, so it is filled in from the URI.
async fn host_from_authority(
    mut req: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    use axum::http::{HeaderValue, header};
    if !req.headers().contains_key(header::HOST)
        && let Some(value) = req.uri().authority().and_then(|a| HeaderValue::from_str(a.as_str()).ok())
    {
        req.headers_mut().insert(header::HOST, value);
    }
    next.run(req).await
}
