//! The layer of every `/v1/…` route: the [`gate`](super::gate) with the area table of spec section
//! 5 (A1–A5), then the handler with the [`Authenticated`] key, `X-Rate-Limit` on the way out.

use std::sync::Arc;

use axum::extract::{FromRequestParts, Request, State};
use axum::http::request::Parts;
use axum::http::{Extensions, HeaderMap, Method, Uri};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use keyward_core::policy::{area_of, authorize};
use keyward_token::verify::Principal;

use super::gate::{Admitted, Ask, Refused, admit};
use crate::AppState;
use crate::error::ApiError;

/// The key a request was authenticated with; handlers take it as an extractor.
#[derive(Debug, Clone)]
pub struct Authenticated(pub Arc<Principal>);

impl<S: Send + Sync> FromRequestParts<S> for Authenticated {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, ApiError> {
        // Only reachable when a route forgot the auth layer: refuse rather than serve unauthenticated.
        parts.extensions.get::<Authenticated>().cloned().ok_or_else(|| ApiError::not_authorized(None))
    }
}

/// The gate for a `/v1` request: tokens for `token_audience`, the area its method and path fall in.
pub(crate) async fn admit_v1(
    state: &AppState,
    method: &Method,
    uri: &Uri,
    headers: &HeaderMap,
    ext: &Extensions,
) -> Result<Admitted, Refused> {
    let area = area_of(method.as_str(), uri.path());
    let allows = |p: &Principal| authorize(p.kind, p.roles, area).map_err(|why| why.to_string());
    admit_parts(state, &state.settings.token_audience, allows, method, uri, headers, ext).await
}

/// The gate for a request of Keyward's own APIs, from its parts: tokens for `audience`, and
/// `allows`, the decision on the key. (The request's parts, not the request: its body is not
/// `Sync`, so a `&Request` held across the gate's await would make the future not `Send`.)
pub(crate) async fn admit_parts(
    state: &AppState,
    audience: &str,
    allows: impl FnOnce(&Principal) -> Result<(), String>,
    method: &Method,
    uri: &Uri,
    headers: &HeaderMap,
    ext: &Extensions,
) -> Result<Admitted, Refused> {
    let ask = Ask { method: method.as_str(), path: uri.path(), query: uri.query(), headers, audience };
    let ip = || crate::client_ip::of(ext, headers, &state.trusted_proxies);
    admit(state, ask, allows, ip).await
}

/// The middleware of every `/v1/…` route.
pub async fn require_token(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let admitted = admit_v1(&state, req.method(), req.uri(), req.headers(), req.extensions()).await;
    run_admitted(admitted, req, next).await
}

/// A gate's decision carried out: the handler with the [`Authenticated`] key and `X-Rate-Limit`
/// on its answer, or the refusal.
pub(crate) async fn run_admitted(admitted: Result<Admitted, Refused>, mut req: Request, next: Next) -> Response {
    let admitted = match admitted {
        Ok(a) => a,
        Err(refused) => return refused.response,
    };
    req.extensions_mut().insert(Authenticated(admitted.principal.clone()));
    let mut response = next.run(req).await;
    admitted.stamp(&mut response);
    response
}

/// `/v1/…` paths no route serves: through the gate like any other (the area table's default
/// applies), then 404 `PATH_ERROR`.
pub async fn unknown_path(State(state): State<AppState>, req: Request) -> Response {
    match admit_v1(&state, req.method(), req.uri(), req.headers(), req.extensions()).await {
        Ok(admitted) => {
            let mut response = ApiError::path_error().into_response();
            admitted.stamp(&mut response);
            response
        }
        Err(refused) => refused.response,
    }
}

/// A known path the document does not allow this method on: through the gate like any other, then
/// `refusal` (Apple's 403 "The given operation is not allowed").
pub(crate) async fn refuse_admitted(State(state): State<AppState>, req: Request, refusal: ApiError) -> Response {
    match admit_v1(&state, req.method(), req.uri(), req.headers(), req.extensions()).await {
        Ok(admitted) => {
            let mut response = refusal.into_response();
            admitted.stamp(&mut response);
            response
        }
        Err(refused) => refused.response,
    }
}
