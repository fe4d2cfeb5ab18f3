//! The one bearer-token path for every `/v1/…` route: authenticate (T1–T15), authorize (A1–A5),
//! count against the key's budget (L1–L4), then call the handler with the [`Authenticated`] key.

use std::sync::Arc;
use std::time::Instant;

use axum::extract::{FromRequestParts, Request, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderName, HeaderValue, Method, Uri, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use keyward_core::auth::AuthFailureRecord;
use keyward_core::policy::{area_of, authorize};
use keyward_core::rate_limit::{Decision, header_value};
use keyward_token::verify::{AuthFailure, Path, Principal, Rejection, RequestTarget};
use time::OffsetDateTime;

use crate::AppState;
use crate::error::ApiError;
use crate::test_mode::AuthNote;

pub const X_RATE_LIMIT: HeaderName = HeaderName::from_static("x-rate-limit");

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

pub(crate) fn client_ip(state: &AppState, req: &Request) -> Option<String> {
    crate::client_ip::of(req.extensions(), req.headers(), state)
}

/// T1: the token of the one `Authorization: Bearer …` header.
fn bearer(headers: &HeaderMap) -> Result<&str, AuthFailure> {
    let mut values = headers.get_all(header::AUTHORIZATION).iter();
    let value = values.next().ok_or(AuthFailure::MissingHeader)?;
    if values.next().is_some() {
        return Err(AuthFailure::SeveralHeaders);
    }
    let value = value.to_str().map_err(|_| AuthFailure::NotBearer)?;
    let (scheme, token) = value.split_once(' ').unwrap_or((value, ""));
    if !scheme.eq_ignore_ascii_case("bearer") {
        return Err(AuthFailure::NotBearer);
    }
    let token = token.trim();
    if token.is_empty() { Err(AuthFailure::EmptyToken) } else { Ok(token) }
}

/// T1–T15 for `target`, with tokens for `audience` (T6: `token_audience` for `/v1`, the policy's
/// for the gateway's routes), recording a refusal against its key (T14). Returns the 401 response
/// on failure.
pub(crate) fn authenticate(
    state: &AppState,
    headers: &HeaderMap,
    audience: &str,
    target: &RequestTarget<'_>,
    ip: impl FnOnce() -> Option<String>,
    now: i64,
) -> Result<Arc<Principal>, Response> {
    let started = Instant::now();
    let outcome = bearer(headers)
        .map_err(Rejection::from)
        .and_then(|token| state.auth.verifier.verify_for(audience, token, now, target));
    metrics::histogram!("keyward_token_verify_seconds").record(started.elapsed().as_secs_f64());
    match outcome {
        Ok((principal, path)) => {
            match path {
                Path::CacheHit => metrics::counter!("keyward_token_cache_hits_total").increment(1),
                Path::Verified => metrics::counter!("keyward_token_cache_misses_total").increment(1),
            }
            Ok(principal)
        }
        Err(rejection) => {
            metrics::counter!("keyward_requests_total", "outcome" => "unauthorized").increment(1);
            metrics::counter!("keyward_auth_failures_total", "reason" => rejection.failure.label()).increment(1);
            let reason = rejection.failure.to_string();
            let note =
                AuthNote { key_id: rejection.key_id.as_ref().map(ToString::to_string), failure: Some(reason.clone()) };
            if let Some(key_id) = rejection.key_id {
                state.auth.recorder.failure(AuthFailureRecord {
                    key_id,
                    at: OffsetDateTime::from_unix_timestamp(now).unwrap_or_else(|_| OffsetDateTime::now_utc()),
                    rule: rejection.failure.rule().to_owned(),
                    reason: reason.clone(),
                    client_ip: ip(),
                });
            }
            tracing::debug!(rule = rejection.failure.rule(), %reason, "token refused");
            let mut response =
                ApiError::not_authorized(state.settings.explain_auth_errors.then_some(reason)).into_response();
            response.extensions_mut().insert(note);
            Err(response)
        }
    }
}

pub(crate) fn rate_header(limit: u64, remaining: u64) -> (HeaderName, String) {
    (X_RATE_LIMIT, header_value(limit, remaining))
}

/// L1–L3: spends one request of the key's budget, or answers 429. With shared budgets (M2) a
/// database that cannot lease a slice fails the request closed (503), never open.
pub(crate) async fn spend(state: &AppState, principal: &Principal, now: i64) -> Result<(u64, u64), Response> {
    let limit = state.auth.limiter.limit_for(principal.rate_limit_per_hour);
    match state.auth.limiter.acquire(&state.store, &principal.key_id, limit, now).await {
        Ok(Decision::Allowed { remaining }) => Ok((limit, remaining)),
        Ok(Decision::Limited { retry_after }) => {
            metrics::counter!("keyward_requests_total", "outcome" => "rate_limited").increment(1);
            let (name, value) = rate_header(limit, 0);
            Err(ApiError::rate_limited()
                .with_header(name, value)
                .with_header(header::RETRY_AFTER, retry_after.to_string())
                .into_response())
        }
        Err(e) => {
            tracing::warn!(error = %e, key = %principal.key_id, "cannot lease budget; refusing");
            Err(ApiError::unavailable().with_header(header::RETRY_AFTER, "1".to_owned()).into_response())
        }
    }
}

pub(crate) fn now() -> i64 {
    OffsetDateTime::now_utc().unix_timestamp()
}

/// Authorization and budget for an authenticated request (A1–A5, L1–L3).
async fn admit(
    state: &AppState,
    principal: &Principal,
    method: &Method,
    uri: &Uri,
    now: i64,
) -> Result<(u64, u64), Response> {
    // A1–A5: an accepted token that may not act here is refused without spending budget.
    let area = area_of(method.as_str(), uri.path());
    if let Err(why) = authorize(principal.kind, principal.roles, area) {
        metrics::counter!("keyward_requests_total", "outcome" => "forbidden").increment(1);
        tracing::debug!(key = %principal.key_id, %why, "request forbidden");
        let limit = state.auth.limiter.limit_for(principal.rate_limit_per_hour);
        let (name, value) = rate_header(limit, state.auth.limiter.remaining(&principal.key_id, limit, now));
        return Err(ApiError::forbidden().with_header(name, value).into_response());
    }
    let budget = spend(state, principal, now).await?;
    metrics::counter!("keyward_requests_total", "outcome" => "accepted").increment(1);
    state.auth.recorder.used(&principal.key_id, now);
    Ok(budget)
}

/// M3: past `max_feed_staleness` without a successful change-feed read, a node fails closed: a key
/// revoked meanwhile on another node (or by the CLI) could otherwise still be accepted here.
pub(crate) fn fail_closed(state: &AppState) -> Option<Response> {
    (!feed_fresh(state)).then(|| {
        metrics::counter!("keyward_requests_total", "outcome" => "feed_stale").increment(1);
        ApiError::unavailable().with_header(header::RETRY_AFTER, "1".to_owned()).into_response()
    })
}

/// M3: whether the change feed was read within `max_feed_staleness`.
pub(crate) fn feed_fresh(state: &AppState) -> bool {
    state.auth.feed_age_ms() <= i64::from(state.settings.max_feed_staleness) * 1000
}

/// [`authenticate`] for Keyward's own `/v1` API.
fn authenticate_v1(state: &AppState, req: &Request, now: i64) -> Result<Arc<Principal>, Response> {
    let uri = req.uri();
    let target = RequestTarget { method: req.method().as_str(), path: uri.path(), query: uri.query() };
    authenticate(state, req.headers(), &state.settings.token_audience, &target, || client_ip(state, req), now)
}

/// The middleware of every `/v1/…` route.
pub async fn require_token(State(state): State<AppState>, mut req: Request, next: Next) -> Response {
    if let Some(refused) = fail_closed(&state) {
        return refused;
    }
    let now = now();
    let principal = match authenticate_v1(&state, &req, now) {
        Ok(p) => p,
        Err(response) => return response,
    };
    let note = AuthNote { key_id: Some(principal.key_id.to_string()), failure: None };
    let (limit, remaining) = match admit(&state, &principal, req.method(), req.uri(), now).await {
        Ok(budget) => budget,
        Err(mut response) => {
            response.extensions_mut().insert(note);
            return response;
        }
    };
    req.extensions_mut().insert(Authenticated(principal));
    let mut response = next.run(req).await;
    response.extensions_mut().insert(note);
    if let Ok(v) = HeaderValue::from_str(&header_value(limit, remaining)) {
        response.headers_mut().insert(X_RATE_LIMIT, v);
    }
    response
}

/// `/v1/…` paths no route serves: authenticated and authorized like any other (the area table's
/// default applies), then 404 `PATH_ERROR`.
pub async fn unknown_path(State(state): State<AppState>, req: Request) -> Response {
    if let Some(refused) = fail_closed(&state) {
        return refused;
    }
    let now = now();
    let principal = match authenticate_v1(&state, &req, now) {
        Ok(p) => p,
        Err(response) => return response,
    };
    let mut response = match admit(&state, &principal, req.method(), req.uri(), now).await {
        Ok((limit, remaining)) => {
            let (name, value) = rate_header(limit, remaining);
            ApiError::path_error().with_header(name, value).into_response()
        }
        Err(response) => response,
    };
    response.extensions_mut().insert(AuthNote { key_id: Some(principal.key_id.to_string()), failure: None });
    response
}
