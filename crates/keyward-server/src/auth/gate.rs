//! The one admission of every request made with a key, for Keyward's own `/v1` API (its layer,
//! `middleware.rs`) and for the gateway's routes (the proxy and forward auth) alike:
//!
//! 1. M3: a node that has not read the change feed for `max_feed_staleness` fails closed (503):
//!    a key revoked meanwhile elsewhere could otherwise still pass here.
//! 2. T1–T15: the one `Authorization: Bearer` token, verified for the caller's audience (401,
//!    recorded against its key, T14).
//! 3. A1–A5 or G1: the area's decision on the key, which the caller brings (403 with
//!    `X-Rate-Limit`; no budget spent).
//! 4. L1–L4: one request of the key's budget (429 with `Retry-After`; 503 when a shared budget
//!    cannot be leased, never open).
//!
//! Then the key's use is recorded (K16). Where the request belongs (the `/v1` area table or the
//! gateway's route) is decided once, by the caller, before its token is read.

use std::sync::Arc;
use std::time::Instant;

use axum::http::{HeaderMap, HeaderName, HeaderValue, header};
use axum::response::{IntoResponse, Response};
use keyward_core::auth::AuthFailureRecord;
use keyward_core::rate_limit::{Decision, header_value};
use keyward_token::verify::{AuthFailure, Path, Principal, Rejection, RequestTarget};
use time::OffsetDateTime;

use crate::AppState;
use crate::error::ApiError;

pub const X_RATE_LIMIT: HeaderName = HeaderName::from_static("x-rate-limit");

/// The request a key makes, as the gate reads it.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Ask<'a> {
    pub method: &'a str,
    pub path: &'a str,
    pub query: Option<&'a str>,
    /// Where `Authorization` is read, as the client sent it.
    pub headers: &'a HeaderMap,
    /// T6: `token_audience` for `/v1`, the policy's for the gateway's routes.
    pub audience: &'a str,
}

/// What the bearer-token gate learned about a request, left on its response for test mode's log.
#[derive(Debug, Clone, Default)]
pub struct AuthNote {
    pub key_id: Option<String>,
    pub failure: Option<String>,
}

/// A request the gate let through: its key and what is left of the key's budget (L2).
#[derive(Debug)]
pub(crate) struct Admitted {
    pub principal: Arc<Principal>,
    pub limit: u64,
    pub remaining: u64,
}

impl Admitted {
    /// `X-Rate-Limit` (L2).
    pub fn rate_limit(&self) -> Option<HeaderValue> {
        HeaderValue::from_str(&header_value(self.limit, self.remaining)).ok()
    }

    /// Puts `X-Rate-Limit` and the key's note on the answer.
    pub fn stamp(&self, response: &mut Response) {
        if let Some(v) = self.rate_limit() {
            response.headers_mut().insert(X_RATE_LIMIT, v);
        }
        response.extensions_mut().insert(AuthNote { key_id: Some(self.principal.key_id.to_string()), failure: None });
    }
}

/// A refusal: the answer to send (Apple's body, with `X-Rate-Limit` once the key is known), and
/// the outcome metrics count it under.
#[derive(Debug)]
pub(crate) struct Refused {
    pub response: Response,
    pub outcome: &'static str,
}

impl Refused {
    /// A refusal made before the gate ran (the gateway's path and route checks).
    pub fn before_gate(response: Response, outcome: &'static str) -> Refused {
        Refused { response, outcome }
    }
}

fn count(outcome: &'static str) {
    super::counters::get().outcome(outcome);
}

pub(crate) fn now() -> i64 {
    OffsetDateTime::now_utc().unix_timestamp()
}

/// Steps 1–4 for `ask`. `allows` is the area's decision on the key (an explanation when it may
/// not act there); `ip` gives the client's address for T14's failure records.
pub(crate) async fn admit(
    state: &AppState,
    ask: Ask<'_>,
    allows: impl FnOnce(&Principal) -> Result<(), String>,
    ip: impl FnOnce() -> Option<String>,
) -> Result<Admitted, Refused> {
    if !state.feed_fresh() {
        count("feed_stale");
        let response = ApiError::unavailable().with_header(header::RETRY_AFTER, "1".to_owned()).into_response();
        return Err(Refused { response, outcome: "feed_stale" });
    }
    let now = now();
    let principal = authenticate(state, ask, ip, now)?;
    let note = || AuthNote { key_id: Some(principal.key_id.to_string()), failure: None };
    let limit = state.limiter.limit_for(principal.rate_limit_per_hour);
    if let Err(why) = allows(&principal) {
        count("forbidden");
        tracing::debug!(key = %principal.key_id, %why, "request forbidden");
        let remaining = state.limiter.remaining(&principal.key_id, limit, now);
        let mut response =
            ApiError::forbidden().with_header(X_RATE_LIMIT, header_value(limit, remaining)).into_response();
        response.extensions_mut().insert(note());
        return Err(Refused { response, outcome: "forbidden" });
    }
    let remaining = match state.limiter.acquire(&principal.key_id, limit, now).await {
        Ok(Decision::Allowed { remaining }) => remaining,
        Ok(Decision::Limited { retry_after }) => {
            count("rate_limited");
            let mut response = ApiError::rate_limited()
                .with_header(X_RATE_LIMIT, header_value(limit, 0))
                .with_header(header::RETRY_AFTER, retry_after.to_string())
                .into_response();
            response.extensions_mut().insert(note());
            return Err(Refused { response, outcome: "rate_limited" });
        }
        Err(e) => {
            count("unavailable");
            tracing::warn!(error = %e, key = %principal.key_id, "cannot lease budget; refusing");
            let mut response = ApiError::unavailable().with_header(header::RETRY_AFTER, "1".to_owned()).into_response();
            response.extensions_mut().insert(note());
            return Err(Refused { response, outcome: "unavailable" });
        }
    };
    count("accepted");
    state.recorder.used(&principal.key_id, now);
    Ok(Admitted { principal, limit, remaining })
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

/// T1–T15 for `ask`, recording a refusal against its key (T14).
fn authenticate(
    state: &AppState,
    ask: Ask<'_>,
    ip: impl FnOnce() -> Option<String>,
    now: i64,
) -> Result<Arc<Principal>, Refused> {
    let started = Instant::now();
    let target = RequestTarget { method: ask.method, path: ask.path, query: ask.query };
    let outcome = bearer(ask.headers)
        .map_err(Rejection::from)
        .and_then(|token| state.replica.verifier.verify_for(ask.audience, token, now, &target));
    let counters = super::counters::get();
    counters.verify_seconds.record(started.elapsed().as_secs_f64());
    match outcome {
        Ok((principal, path)) => {
            match path {
                Path::CacheHit => counters.cache_hits.increment(1),
                Path::Verified => counters.cache_misses.increment(1),
            }
            Ok(principal)
        }
        Err(rejection) => {
            count("unauthorized");
            metrics::counter!("keyward_auth_failures_total", "reason" => rejection.failure.label()).increment(1);
            let reason = rejection.failure.to_string();
            let note =
                AuthNote { key_id: rejection.key_id.as_ref().map(ToString::to_string), failure: Some(reason.clone()) };
            if let Some(key_id) = rejection.key_id {
                state.recorder.failure(AuthFailureRecord {
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
            Err(Refused { response, outcome: "unauthorized" })
        }
    }
}
