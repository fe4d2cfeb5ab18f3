//! The console: server-rendered pages (askama) mirroring App Store Connect, spec section 8: first-run
//! setup, sign-in, the teams page, the operator's page, Apps, Users and Access (members and
//! invitations; accepting an invitation), Integrations → App Store Connect API (Team Keys and
//! Individual Keys tabs, generate, the single download, revoke), key details, the profile's
//! individual key and the audit log. One file per page; handlers return `error::PageResult` and
//! every form that changes something answers with a redirect (`flash.rs`).
//!
//! Security: sessions are random 256-bit tokens whose SHA-256 is stored; the cookie is HttpOnly,
//! SameSite=Lax, Secure behind https. Every state-changing form carries the session's CSRF token
//! and is refused if the `Origin` header names another site. Sign-in is throttled per account and
//! per IP. Every page checks team membership on the server (another team's IDs are 404) and the
//! store checks roles. Headers: a CSP without inline script, `frame-ancestors 'none'`, `nosniff`,
//! `Referrer-Policy`.

mod accept;
mod activate;
mod apps;
mod audit;
mod chrome;
mod error;
mod flash;
mod home;
mod key_capability;
mod key_details;
mod key_webhooks;
mod keys;
mod login;
mod operator;
mod page;
pub mod passwords;
mod profile;
mod session;
mod setup;
mod team_page;
pub mod throttle;
mod users;
mod words;

use axum::Router;
use axum::extract::Request;
use axum::http::{HeaderValue, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};

use crate::AppState;

pub(crate) fn routes() -> Router<AppState> {
    Router::new()
        .route("/", get(home::page))
        .route("/login", get(login::form).post(login::submit))
        .route("/setup", get(setup::form).post(setup::submit))
        .route("/logout", post(login::logout))
        .route("/teams/{issuer}/integrations/api", get(keys::page))
        .route("/teams/{issuer}/integrations/api/individual", get(keys::individual))
        .route("/teams/{issuer}/integrations/api/keys", post(keys::generate))
        .route("/teams/{issuer}/integrations/api/keys/{key}", get(key_details::page))
        .route("/teams/{issuer}/integrations/api/keys/{key}/download", post(keys::download))
        .route("/teams/{issuer}/integrations/api/revoke", post(keys::revoke))
        .route("/teams/{issuer}/integrations/api/key-lifetime", post(keys::key_lifetime))
        .route("/teams/{issuer}/integrations/api/keys/{key}/rotate", post(key_details::rotate))
        .route("/teams/{issuer}/integrations/api/keys/{key}/capability", post(key_capability::change))
        .route("/teams/{issuer}/integrations/api/request-access", post(keys::request_access))
        .route("/teams/{issuer}/integrations/api/key-events", get(key_webhooks::page).post(key_webhooks::add))
        .route("/teams/{issuer}/integrations/api/key-events/remove", post(key_webhooks::remove))
        .route("/operator", get(operator::page))
        .route("/operator/teams", post(operator::create_team))
        .route("/operator/teams/{issuer}/review", post(operator::review))
        .route("/activate/{token}", get(activate::form).post(activate::submit))
        .route("/teams/{issuer}/apps", get(apps::page).post(apps::create))
        .route("/teams/{issuer}/signing-ca.pem", get(apps::signing_ca))
        .route("/teams/{issuer}/users", get(users::page))
        .route("/teams/{issuer}/users/invite", post(users::invite))
        .route("/teams/{issuer}/users/invitations/{id}/renew", post(users::renew))
        .route("/teams/{issuer}/users/{member}", post(users::update))
        .route("/teams/{issuer}/users/{member}/remove", post(users::remove))
        .route("/invitations/{id}", get(accept::form).post(accept::submit))
        .route("/teams/{issuer}/profile", get(profile::page))
        .route("/teams/{issuer}/profile/key", post(profile::key))
        .route("/teams/{issuer}/audit", get(audit::page))
        .route("/teams/{issuer}/audit.jsonl", get(audit::export))
        .route(
            "/static/console.css",
            get(|| async { asset("text/css; charset=utf-8", include_str!("../../static/console.css")) }),
        )
        .route(
            "/static/console.js",
            get(|| async { asset("text/javascript; charset=utf-8", include_str!("../../static/console.js")) }),
        )
        .layer(axum::middleware::from_fn(flash::forget_shown))
        .layer(axum::middleware::from_fn(security_headers))
}

fn asset(content_type: &'static str, body: &'static str) -> Response {
    ([(header::CONTENT_TYPE, content_type), (header::CACHE_CONTROL, "public, max-age=3600")], body).into_response()
}

/// Headers of every console response.
async fn security_headers(req: Request, next: Next) -> Response {
    let mut response = next.run(req).await;
    let h = response.headers_mut();
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"),
    );
    h.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    h.insert(header::REFERRER_POLICY, HeaderValue::from_static("same-origin"));
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    h.entry(header::CACHE_CONTROL).or_insert(HeaderValue::from_static("no-store"));
    response
}
