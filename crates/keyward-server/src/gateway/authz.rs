//! G3: `/_keyward/authz`, forward auth for proxies that ask before they forward. The answer is a 200
//! with the identity headers and `X-Rate-Limit`, or Apple's 401, 403 or 429 (with `Retry-After`).
//!
//! Each proxy describes the original request its own way:
//! - nginx `auth_request`: `X-Original-Method` and `X-Original-URI` (set in its configuration);
//! - Traefik ForwardAuth and Caddy `forward_auth`: `X-Forwarded-Method` and `X-Forwarded-Uri`
//!   (Caddy asks with GET whatever the original method);
//! - Envoy `ext_authz` with `path_prefix: /_keyward/authz`: the original path follows the prefix
//!   and the method is the original.
//!
//! Those headers come from the proxy, but a proxy also passes the client's own headers, so a client
//! behind Traefik could send an `X-Original-URI` of its choosing. Every description present must
//! therefore agree: the rule is `keyward_core::gateway::Descriptions::original`; this module only
//! reads the headers (one of each, as text) and the check's path.

use axum::extract::{Request, State};
use axum::http::{HeaderMap, Method, StatusCode};
use axum::response::{IntoResponse, Response};

use super::admit::{admit, route};
use super::identity;
use crate::AppState;
use crate::auth::gate::{Ask, X_RATE_LIMIT};
use crate::error::ApiError;
use keyward_core::gateway::Descriptions;

/// Where forward auth is served; Envoy appends the original path to it.
pub(crate) const PATH: &str = "/_keyward/authz";

fn header<'a>(headers: &'a HeaderMap, name: &str) -> Result<Option<&'a str>, &'static str> {
    let mut values = headers.get_all(name).iter();
    match (values.next(), values.next()) {
        (None, _) => Ok(None),
        (Some(v), None) => v.to_str().map(Some).map_err(|_| "a header describing the request is not text"),
        (Some(_), Some(_)) => Err("a header describing the request is sent twice"),
    }
}

/// The original request, as the check's headers and path describe it ([`Descriptions`]).
fn describe(req: &Request) -> Result<(Method, String), &'static str> {
    let headers = req.headers();
    let check_method = req.method().as_str();
    let descriptions = Descriptions {
        check_method,
        after_prefix: req.uri().path().strip_prefix(PATH).unwrap_or_default(),
        check_query: req.uri().query(),
        original_method: header(headers, "x-original-method")?,
        original_uri: header(headers, "x-original-uri")?,
        forwarded_method: header(headers, "x-forwarded-method")?,
        forwarded_uri: header(headers, "x-forwarded-uri")?,
    };
    let described = descriptions.original()?;
    let method = Method::from_bytes(described.method.as_bytes()).map_err(|_| "the original method is not a method")?;
    Ok((method, described.uri))
}

/// `/_keyward/authz` and `/_keyward/authz/{*original}`, for any method.
pub(crate) async fn handler(State(state): State<AppState>, req: Request) -> Response {
    let Some(gateway) = state.gateway.clone() else {
        return ApiError::path_error().into_response();
    };
    let (method, uri) = match describe(&req) {
        Ok(d) => d,
        Err(why) => {
            gateway.count("authz", None, "undescribed");
            return ApiError::forbidden_because(why).into_response();
        }
    };
    let (path, query) = match uri.split_once('?') {
        Some((p, q)) => (p, Some(q)),
        None => (uri.as_str(), None),
    };
    let routed = match route(&gateway, path) {
        Ok(r) => r,
        Err(refused) => {
            gateway.count("authz", None, refused.outcome);
            return refused.response;
        }
    };
    let (extensions, headers) = (req.extensions(), req.headers());
    let original = Ask { method: method.as_str(), path, query, headers, audience: &gateway.policy.audience };
    let ip = || crate::client_ip::of(extensions, headers, &state.trusted_proxies);
    match admit(&state, &gateway, routed, original, ip).await {
        Ok(admitted) => {
            gateway.count("authz", Some(routed.area()), "allowed");
            let mut response = StatusCode::OK.into_response();
            let headers = response.headers_mut();
            identity::insert(headers, &admitted.principal);
            if let Some(v) = admitted.rate_limit() {
                headers.insert(X_RATE_LIMIT, v);
            }
            response
        }
        Err(refused) => {
            gateway.count("authz", Some(routed.area()), refused.outcome);
            refused.response
        }
    }
}
