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
//! therefore agree; a request whose descriptions disagree is refused, never resolved by a guess.

use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode};
use axum::response::{IntoResponse, Response};

use super::admit::{Original, admit};
use super::identity;
use crate::AppState;
use crate::auth::middleware::X_RATE_LIMIT;
use crate::error::ApiError;
use keyward_core::rate_limit::header_value;

/// Where forward auth is served; Envoy appends the original path to it.
pub(crate) const PATH: &str = "/_keyward/authz";

/// The original method and URI (path and query) of a forward-auth request.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct Described {
    pub method: Method,
    pub uri: String,
}

fn header<'a>(headers: &'a HeaderMap, name: &str) -> Result<Option<&'a str>, &'static str> {
    let mut values = headers.get_all(name).iter();
    match (values.next(), values.next()) {
        (None, _) => Ok(None),
        (Some(v), None) => v.to_str().map(Some).map_err(|_| "a header describing the request is not text"),
        (Some(_), Some(_)) => Err("a header describing the request is sent twice"),
    }
}

/// Reads the original request from whichever conventions are present, and refuses when two of them
/// disagree. `suffix` is what follows [`PATH`] in the request's path (Envoy), `query` its query.
pub(crate) fn describe(
    request_method: &Method,
    suffix: &str,
    query: Option<&str>,
    headers: &HeaderMap,
) -> Result<Described, &'static str> {
    let original_uri = header(headers, "x-original-uri")?;
    let forwarded_uri = header(headers, "x-forwarded-uri")?;
    let envoy_uri = (!suffix.is_empty()).then(|| match query {
        Some(q) => format!("{suffix}?{q}"),
        None => suffix.to_owned(),
    });
    let uris: Vec<&str> = [original_uri, forwarded_uri, envoy_uri.as_deref()].into_iter().flatten().collect();
    let Some(&uri) = uris.first() else {
        return Err(
            "the proxy did not say which request to authorize (X-Original-URI, X-Forwarded-Uri, or a path after /_keyward/authz)",
        );
    };
    if uris.iter().any(|u| *u != uri) {
        return Err("the proxy's descriptions of the request disagree");
    }
    let named: Vec<&str> =
        [header(headers, "x-original-method")?, header(headers, "x-forwarded-method")?].into_iter().flatten().collect();
    // Envoy's check carries the original method itself; nginx's subrequest and Caddy's and
    // Traefik's checks must name it, since their own method need not be the original's.
    let method = match (named.first(), &envoy_uri) {
        // As sent: methods are case-sensitive, and `get` is not a read.
        (Some(m), _) => Method::from_bytes(m.as_bytes()).map_err(|_| "the original method is not a method")?,
        (None, Some(_)) => request_method.clone(),
        (None, None) => {
            return Err("the proxy did not say the request's method (X-Original-Method or X-Forwarded-Method)");
        }
    };
    let agree = named.iter().all(|n| *n == method.as_str());
    if !agree || (envoy_uri.is_some() && method != *request_method) {
        return Err("the proxy's descriptions of the request disagree");
    }
    Ok(Described { method, uri: uri.to_owned() })
}

/// `/_keyward/authz` and `/_keyward/authz/{*original}`, for any method.
pub(crate) async fn handler(State(state): State<AppState>, req: Request) -> Response {
    let Some(gateway) = state.gateway.clone() else {
        return ApiError::path_error().into_response();
    };
    let suffix = req.uri().path().strip_prefix(PATH).unwrap_or_default();
    let described = match describe(req.method(), suffix, req.uri().query(), req.headers()) {
        Ok(d) => d,
        Err(why) => {
            gateway.count("authz", None, "undescribed");
            return ApiError::forbidden_because(why).into_response();
        }
    };
    let (path, query) = match described.uri.split_once('?') {
        Some((p, q)) => (p, Some(q)),
        None => (described.uri.as_str(), None),
    };
    let (extensions, headers) = (req.extensions(), req.headers());
    let original = Original { method: &described.method, path, query, headers };
    match admit(&state, &gateway, original, || crate::client_ip::of(extensions, headers, &state)).await {
        Ok(admitted) => {
            gateway.count("authz", Some(&admitted.area), "allowed");
            let mut response = StatusCode::OK.into_response();
            let headers = response.headers_mut();
            identity::insert(headers, &admitted.principal);
            if let Ok(v) = HeaderValue::from_str(&header_value(admitted.limit, admitted.remaining)) {
                headers.insert(X_RATE_LIMIT, v);
            }
            response
        }
        Err(refused) => {
            gateway.count("authz", refused.area.as_deref(), refused.outcome);
            refused.response
        }
    }
}
