//! G2: the reverse proxy. A request under a route is admitted (G1), then streamed to the upstream
//! with its method, path, query and body as received: bodies pass through in chunks, never held
//! whole. `Authorization` and the client's `X-Keyward-*` stay here; Keyward's identity headers and
//! `X-Forwarded-*` are added; hop-by-hop headers (RFC 9110 section 7.6.1) go on neither leg. The
//! answer is the upstream's, with `X-Rate-Limit`; an upstream that cannot be reached is a 502, one
//! that does not answer in time a 504, both in Apple's shape.

use std::net::{IpAddr, SocketAddr};
use std::time::Instant;

use axum::body::Body;
use axum::extract::{ConnectInfo, Request, State};
use axum::http::{HeaderMap, HeaderName, HeaderValue, Version, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use keyward_core::rate_limit::header_value;

use super::admit::{Original, admit};
use super::{Gateway, identity};
use crate::AppState;
use crate::auth::middleware::X_RATE_LIMIT;
use crate::error::ApiError;

/// In front of every other route: a path under one of the policy's routes goes to the upstream;
/// everything else (Keyward's own paths, `/v1` unless claimed) to Keyward's router.
pub(crate) async fn layer(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let gateway = match &state.gateway {
        Some(g) if g.upstream.is_some() && g.policy.route_for(req.uri().path()).is_some() => g.clone(),
        _ => return next.run(req).await,
    };
    forward(&state, &gateway, req).await
}

async fn forward(state: &AppState, gateway: &Gateway, req: Request) -> Response {
    let Some(upstream) = &gateway.upstream else {
        return ApiError::path_error().into_response();
    };
    let (mut parts, body) = req.into_parts();
    let original =
        Original { method: &parts.method, path: parts.uri.path(), query: parts.uri.query(), headers: &parts.headers };
    let ip = || crate::client_ip::of(&parts.extensions, &parts.headers, state);
    let admitted = match admit(state, gateway, original, ip).await {
        Ok(a) => a,
        Err(refused) => {
            gateway.count("proxy", refused.area, refused.outcome);
            return refused.response;
        }
    };
    let rate = HeaderValue::from_str(&header_value(admitted.limit, admitted.remaining)).ok();
    let with_rate = |mut response: Response| {
        if let Some(v) = rate.clone() {
            response.headers_mut().insert(X_RATE_LIMIT, v);
        }
        response
    };
    let path_and_query = parts.uri.path_and_query().map_or("/", |pq| pq.as_str());
    let Ok(uri) = upstream.uri_for(path_and_query) else {
        gateway.count("proxy", Some(admitted.area), "upstream_unreachable");
        return with_rate(ApiError::bad_gateway().into_response());
    };
    let peer = parts.extensions.get::<ConnectInfo<SocketAddr>>().map(|c| c.0.ip());
    let mut headers = std::mem::take(&mut parts.headers);
    // In this order: what the client may remove first, then what Keyward writes.
    remove_hop_by_hop(&mut headers);
    headers.remove(header::AUTHORIZATION);
    remove_overrides(&mut headers);
    remove_keyward_cookies(&mut headers);
    forwarded_headers(state, &mut headers, peer);
    headers.remove(header::HOST);
    identity::strip_client_identity(&mut headers);
    identity::insert(&mut headers, &admitted.principal);
    let mut outgoing = axum::http::Request::new(body);
    *outgoing.method_mut() = parts.method;
    *outgoing.uri_mut() = uri;
    *outgoing.version_mut() = Version::HTTP_11;
    *outgoing.headers_mut() = headers;
    let started = Instant::now();
    let answer = tokio::time::timeout(upstream.timeout, upstream.client.request(outgoing)).await;
    gateway.upstream_latency(admitted.area, started.elapsed().as_secs_f64());
    match answer {
        Ok(Ok(response)) => {
            gateway.count("proxy", Some(admitted.area), "forwarded");
            let (mut parts, body) = response.into_parts();
            remove_hop_by_hop(&mut parts.headers);
            remove_keyward_set_cookies(&mut parts.headers);
            with_rate(Response::from_parts(parts, Body::new(body)))
        }
        Ok(Err(e)) => {
            tracing::warn!(upstream = %upstream.url(), error = %e, "the upstream cannot be reached");
            gateway.count("proxy", Some(admitted.area), "upstream_unreachable");
            with_rate(ApiError::bad_gateway().into_response())
        }
        Err(_) => {
            tracing::warn!(upstream = %upstream.url(), timeout = ?upstream.timeout, "the upstream did not answer in time");
            gateway.count("proxy", Some(admitted.area), "upstream_timeout");
            with_rate(ApiError::gateway_timeout().into_response())
        }
    }
}

/// `X-Forwarded-For`, `-Proto` and `-Host`. A client's own values are kept only when it is one of
/// the `trusted_proxies` (which vouch for them), and extended with it; anyone else's are replaced,
/// as is RFC 7239's `Forwarded`, which nobody here vouches for.
fn forwarded_headers(state: &AppState, headers: &mut HeaderMap, peer: Option<IpAddr>) {
    const FOR: HeaderName = HeaderName::from_static("x-forwarded-for");
    const PROTO: HeaderName = HeaderName::from_static("x-forwarded-proto");
    const HOST: HeaderName = HeaderName::from_static("x-forwarded-host");
    let trusted = peer.is_some_and(|ip| state.trusted_proxies.trusts(ip));
    headers.remove(header::FORWARDED);
    let chain = trusted
        .then(|| headers.get_all(&FOR).iter().filter_map(|v| v.to_str().ok()).collect::<Vec<_>>().join(", "))
        .filter(|c| !c.is_empty());
    let for_value = match (chain, peer) {
        (Some(chain), Some(ip)) => Some(format!("{chain}, {ip}")),
        (None, Some(ip)) => Some(ip.to_string()),
        (_, None) => None,
    };
    headers.remove(&FOR);
    if let Some(v) = for_value.and_then(|v| HeaderValue::from_str(&v).ok()) {
        headers.insert(FOR, v);
    }
    if !(trusted && headers.contains_key(&PROTO)) {
        headers.insert(PROTO, HeaderValue::from_static(if state.https { "https" } else { "http" }));
    }
    if !(trusted && headers.contains_key(&HOST)) {
        // The configured public host when there is one: a client chooses its own Host.
        let public = state
            .public_url
            .as_deref()
            .and_then(|url| url.split("://").nth(1))
            .map(|rest| rest.split('/').next().unwrap_or_default().to_owned());
        let host = match public {
            Some(host) => HeaderValue::from_str(&host).ok(),
            None => headers.get(header::HOST).cloned(),
        };
        match host {
            Some(host) => headers.insert(HOST, host),
            None => headers.remove(&HOST),
        };
    }
    if !trusted {
        for name in ["x-real-ip", "x-forwarded-port", "x-forwarded-prefix", "x-forwarded-server"] {
            headers.remove(name);
        }
    }
}

/// Headers that ask an upstream to act on another method or path than the one Keyward admitted
/// (`X-HTTP-Method-Override: DELETE` on a GET a reader may make), or that describe the request
/// as forward auth reads it: none is Keyward's to pass on.
fn remove_overrides(headers: &mut HeaderMap) {
    for name in [
        "x-http-method-override",
        "x-http-method",
        "x-method-override",
        "x-original-url",
        "x-rewrite-url",
        "x-original-uri",
        "x-original-method",
        "x-forwarded-uri",
        "x-forwarded-method",
    ] {
        headers.remove(name);
    }
}

/// Keyward's console cookies (the session, the flash) stay with Keyward: an upstream on the same
/// origin must not receive a console session. Read as bytes, so other cookies with non-ASCII
/// values pass unchanged.
fn remove_keyward_cookies(headers: &mut HeaderMap) {
    let kept: Vec<&[u8]> = headers
        .get_all(header::COOKIE)
        .iter()
        .flat_map(|v| v.as_bytes().split(|b| *b == b';'))
        .map(<[u8]>::trim_ascii)
        .filter(|pair| {
            let name = pair.split(|b| *b == b'=').next().unwrap_or_default();
            !pair.is_empty() && !is_keyward_cookie(&String::from_utf8_lossy(name.trim_ascii()))
        })
        .collect();
    let joined = kept.join(&b"; "[..]);
    headers.remove(header::COOKIE);
    if !joined.is_empty()
        && let Ok(v) = HeaderValue::from_bytes(&joined)
    {
        headers.insert(header::COOKIE, v);
    }
}

/// An upstream on the same origin cannot set or replace Keyward's console cookies. Conservative:
/// any cookie whose name-value pair mentions `keyward_` goes, whether it names one (`keyward_session=…`)
/// or hides one in a nameless cookie (`=keyward_session=…`, sent by browsers as that name).
fn remove_keyward_set_cookies(headers: &mut HeaderMap) {
    let kept: Vec<HeaderValue> = headers
        .get_all(header::SET_COOKIE)
        .iter()
        .filter(|v| {
            let pair = v.as_bytes().split(|b| *b == b';').next().unwrap_or_default();
            !String::from_utf8_lossy(pair).to_ascii_lowercase().contains("keyward_")
        })
        .cloned()
        .collect();
    headers.remove(header::SET_COOKIE);
    for v in kept {
        headers.append(header::SET_COOKIE, v);
    }
}

fn is_keyward_cookie(name: &str) -> bool {
    let name = name.strip_prefix("__Host-").or_else(|| name.strip_prefix("__Secure-")).unwrap_or(name);
    name.starts_with("keyward_")
}

/// RFC 9110 section 7.6.1: the headers of one connection, and those `Connection` names, except
/// the ones a client could name to strip what the upstream relies on (framing, `Host`,
/// `X-Forwarded-*`, which Keyward writes).
fn remove_hop_by_hop(headers: &mut HeaderMap) {
    let named: Vec<HeaderName> = headers
        .get_all(header::CONNECTION)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .filter_map(|name| HeaderName::from_bytes(name.trim().as_bytes()).ok())
        .filter(|name| {
            let n = name.as_str();
            !(n == "host" || n == "content-length" || n == "content-type" || n.starts_with("x-forwarded-"))
        })
        .collect();
    for name in named {
        headers.remove(name);
    }
    for name in [
        header::CONNECTION,
        HeaderName::from_static("keep-alive"),
        HeaderName::from_static("proxy-connection"),
        header::PROXY_AUTHENTICATE,
        header::PROXY_AUTHORIZATION,
        header::TE,
        header::TRAILER,
        header::TRANSFER_ENCODING,
        header::UPGRADE,
    ] {
        headers.remove(name);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn g2_hop_by_hop_headers_and_those_connection_names_go() {
        let mut headers = HeaderMap::new();
        headers.insert(header::CONNECTION, HeaderValue::from_static("keep-alive, X-Secret-Hop, Content-Length"));
        headers.insert(header::CONTENT_LENGTH, HeaderValue::from_static("2"));
        headers.insert("x-secret-hop", HeaderValue::from_static("1"));
        headers.insert("keep-alive", HeaderValue::from_static("timeout=5"));
        headers.insert(header::TRANSFER_ENCODING, HeaderValue::from_static("chunked"));
        headers.insert(header::UPGRADE, HeaderValue::from_static("websocket"));
        headers.insert(header::PROXY_AUTHORIZATION, HeaderValue::from_static("Basic eA=="));
        headers.insert(header::ACCEPT, HeaderValue::from_static("application/json"));
        remove_hop_by_hop(&mut headers);
        assert_eq!(headers.len(), 2, "{headers:?}");
        assert!(headers.contains_key(header::ACCEPT) && headers.contains_key(header::CONTENT_LENGTH));
    }

    #[test]
    fn g2_keywards_cookies_stay_with_keyward() {
        let mut headers = HeaderMap::new();
        headers.append(header::COOKIE, HeaderValue::from_static("keyward_session=s3cret; theme=dark"));
        headers.append(header::COOKIE, HeaderValue::from_static("__Host-keyward_flash=x; app=1"));
        headers.append(
            header::COOKIE,
            HeaderValue::from_bytes(b"name=caf\xc3\xa9").unwrap_or(HeaderValue::from_static("x")),
        );
        remove_keyward_cookies(&mut headers);
        assert_eq!(
            headers.get(header::COOKIE).map(HeaderValue::as_bytes),
            Some(&b"theme=dark; app=1; name=caf\xc3\xa9"[..]),
            "other cookies pass as they were, non-ASCII values included"
        );
        let mut answer = HeaderMap::new();
        answer.append(header::SET_COOKIE, HeaderValue::from_static("keyward_session=planted; Path=/"));
        answer.append(header::SET_COOKIE, HeaderValue::from_static("app=2; Path=/"));
        answer.append(header::SET_COOKIE, HeaderValue::from_static("=keyward_session=planted; Path=/teams"));
        answer.append(
            header::SET_COOKIE,
            HeaderValue::from_bytes(b"Keyward_Session=\xff; Path=/").unwrap_or(HeaderValue::from_static("x")),
        );
        remove_keyward_set_cookies(&mut answer);
        assert_eq!(answer.get_all(header::SET_COOKIE).iter().count(), 1);
    }
}
