//! G1: a request under a route is authenticated with the policy's audience (T-rules), authorized by
//! its area (A2 with the area's roles, A3 with `individual_keys`), and budgeted (L-rules), exactly
//! as `/v1`. One function for the proxy and for forward auth, so both decide alike.

use std::sync::Arc;

use axum::http::{HeaderMap, Method};
use axum::response::{IntoResponse, Response};
use keyward_core::gateway::check_request_path;
use keyward_token::verify::{Principal, RequestTarget};

use super::Gateway;
use crate::AppState;
use crate::auth::middleware::{authenticate, fail_closed, now, rate_header, spend};
use crate::error::ApiError;

/// A request the gateway lets through.
#[derive(Debug)]
pub(crate) struct Admitted<'g> {
    pub principal: Arc<Principal>,
    /// The route's area, for metrics and the key's usage.
    pub area: &'g str,
    /// `X-Rate-Limit`.
    pub limit: u64,
    pub remaining: u64,
}

/// Why a request is refused, as the response to send and the label its metrics count it under.
#[derive(Debug)]
pub(crate) struct Refused<'g> {
    pub response: Response,
    pub outcome: &'static str,
    /// The route's area, when the path had one.
    pub area: Option<&'g str>,
}

fn refused<'g>(response: Response, outcome: &'static str, area: Option<&'g str>) -> Refused<'g> {
    Refused { response, outcome, area }
}

/// The original request, as the proxy received it or as a forward-auth call describes it.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Original<'a> {
    pub method: &'a Method,
    pub path: &'a str,
    pub query: Option<&'a str>,
    /// Where `Authorization` is read, as the client sent it.
    pub headers: &'a HeaderMap,
}

/// G1 for `original`; `ip` gives the client's address for T14's failure records.
pub(crate) async fn admit<'g>(
    state: &AppState,
    gateway: &'g Gateway,
    original: Original<'_>,
    ip: impl FnOnce() -> Option<String>,
) -> Result<Admitted<'g>, Refused<'g>> {
    if let Some(response) = fail_closed(state) {
        return Err(refused(response, "feed_stale", None));
    }
    // G3: a URI under no route is a 403 whoever asks. The routes are no secret: the proxy in front
    // of Keyward only asks about paths it routes here.
    if let Err(why) = check_request_path(original.path) {
        return Err(refused(ApiError::forbidden_because(why).into_response(), "forbidden", None));
    }
    let Some((route, rules)) = gateway.policy.route_for(original.path) else {
        let why = format!("no route of this gateway serves {}", original.path);
        return Err(refused(ApiError::forbidden_because(&why).into_response(), "no_route", None));
    };
    let area = Some(route.area.as_str());
    let now = now();
    let method = original.method.as_str();
    let target = RequestTarget { method, path: original.path, query: original.query };
    let principal = authenticate(state, original.headers, &gateway.policy.audience, &target, ip, now)
        .map_err(|response| refused(response, "unauthorized", area))?;
    if let Err(why) = gateway.policy.authorize(route, rules, principal.kind, principal.roles, method) {
        tracing::debug!(key = %principal.key_id, %why, "gateway request forbidden");
        let limit = state.auth.limiter.limit_for(principal.rate_limit_per_hour);
        let (name, value) = rate_header(limit, state.auth.limiter.remaining(&principal.key_id, limit, now));
        let response = ApiError::forbidden().with_header(name, value).into_response();
        return Err(refused(response, "forbidden", area));
    }
    let (limit, remaining) = spend(state, &principal, now).await.map_err(|response| {
        let outcome = if response.status().as_u16() == 429 { "rate_limited" } else { "unavailable" };
        refused(response, outcome, area)
    })?;
    state.auth.recorder.used(&principal.key_id, now);
    state.auth.recorder.used_in_area(&principal.key_id, &route.area, now);
    Ok(Admitted { principal, area: &route.area, limit, remaining })
}
