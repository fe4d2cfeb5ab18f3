//! G2: the reverse proxy. A request under a route is admitted (G1), then streamed to the upstream
//! with its method, path, query and body as received: bodies pass through in chunks, never held
//! whole. `Authorization` and the client's `X-Keyward-*` stay here; Keyward's identity headers and
//! `X-Forwarded-*` are added; hop-by-hop headers (RFC 9110 section 7.6.1) go on neither leg. The
//! answer is the upstream's, with `X-Rate-Limit`; an upstream that cannot be reached is a 502, one
//! that does not answer in time a 504, both in Apple's shape.

use std::net::{IpAddr, SocketAddr};
use std::time::Instant;

use axum::body::Body;
use axum::extract::{ConnectInfo, Request};
use axum::http::{HeaderMap, HeaderName, HeaderValue, Version, header};
use axum::response::{IntoResponse, Response};
use keyward_core::gateway::{AreaRules, Route};

use super::admit::{admit, checked};
use super::{Gateway, Upstream, identity, tunnel};
use crate::AppState;
use crate::auth::gate::{Ask, Refused, X_RATE_LIMIT};
use crate::error::ApiError;

/// G2, G4: a request under one of the policy's routes goes upstream, admitted first; any other
/// (Keyward's own paths, `/v1` unless a route claims it) is handed back for Keyward's router.
pub(crate) async fn handle(state: &AppState, req: Request) -> Result<Response, Request> {
    let Some(gateway) = state.gateway.as_deref() else { return Err(req) };
    let Some(upstream) = &gateway.upstream else { return Err(req) };
    // The one match of the path against the routes: what it finds is what is admitted.
    let Some(found) = gateway.policy.route_for(req.uri().path()) else { return Err(req) };
    Ok(forward(state, gateway, upstream, found, req).await)
}

async fn forward(
    state: &AppState,
    gateway: &Gateway,
    upstream: &Upstream,
    found: (&Route, &AreaRules),
    req: Request,
) -> Response {
    let (mut parts, body) = req.into_parts();
    let refused = |refused: Refused, area: Option<&str>| {
        gateway.count("proxy", area, refused.outcome);
        refused.response
    };
    let routed = match checked(found, parts.uri.path()) {
        Ok(r) => r,
        Err(r) => return refused(r, None),
    };
    let area = routed.area();
    let original = Ask {
        method: parts.method.as_str(),
        path: parts.uri.path(),
        query: parts.uri.query(),
        headers: &parts.headers,
        audience: &gateway.policy.audience,
    };
    let ip = || crate::client_ip::of(&parts.extensions, &parts.headers, &state.trusted_proxies);
    let admitted = match admit(state, gateway, routed, original, ip).await {
        Ok(a) => a,
        Err(r) => return refused(r, Some(area)),
    };
    let rate = admitted.rate_limit();
    let with_rate = |mut response: Response| {
        if let Some(v) = rate.clone() {
            response.headers_mut().insert(X_RATE_LIMIT, v);
        }
        response
    };
    // The key's place among its requests in flight, held until the answer's body is done.
    let slot = match &upstream.in_flight {
        Some(cap) => match cap.take(&admitted.principal.key_id) {
            Some(slot) => Some(slot),
            None => {
                gateway.count("proxy", Some(area), "in_flight_limited");
                return with_rate(ApiError::too_many_in_flight().into_response());
            }
        },
        None => None,
    };
    let path_and_query = parts.uri.path_and_query().map_or("/", |pq| pq.as_str());
    let Ok(uri) = upstream.uri_for(path_and_query) else {
        gateway.count("proxy", Some(area), "upstream_unreachable");
        return with_rate(ApiError::bad_gateway().into_response());
    };
    let peer = parts.extensions.get::<ConnectInfo<SocketAddr>>().map(|c| c.0.ip());
    // A WebSocket handshake, and the client's side of the switch it asks for.
    // An area that has not opted in to WebSockets gets the handshake as a plain request.
    let switch = tunnel::requested(&parts.method, &parts.headers)
        .filter(|_| found.1.websockets)
        .and_then(|shake| Some((shake, parts.extensions.remove::<hyper::upgrade::OnUpgrade>()?)));
    let mut headers = std::mem::take(&mut parts.headers);
    // In this order: what the client may remove first, then what Keyward writes.
    remove_hop_by_hop(&mut headers);
    headers.remove(header::AUTHORIZATION);
    remove_overrides(&mut headers);
    remove_keyward_cookies(&mut headers);
    forwarded_headers(state, &mut headers, peer);
    headers.insert(header::HOST, upstream.host.clone());
    identity::strip_client_identity(&mut headers);
    identity::insert(&mut headers, &admitted.principal);
    if switch.is_some() {
        tunnel::ask_to_switch(&mut headers);
    }
    let mut outgoing = axum::http::Request::new(body);
    *outgoing.method_mut() = parts.method;
    *outgoing.uri_mut() = uri;
    *outgoing.version_mut() = Version::HTTP_11;
    *outgoing.headers_mut() = headers;
    let started = Instant::now();
    let answer = match switch {
        None => tokio::time::timeout(upstream.timeout, upstream.pool.send(outgoing)).await,
        Some((shake, client)) => {
            let path = parts.uri.path().to_owned();
            let answer = tokio::time::timeout(upstream.timeout, upstream.pool.send_upgrade(outgoing)).await;
            gateway.upstream_latency(area, started.elapsed().as_secs_f64());
            return match answer {
                Ok(Ok(response)) => {
                    gateway.count("proxy", Some(area), "forwarded");
                    let tunnel = Tunnel { shake, client, key: admitted.principal.key_id.clone(), path };
                    with_rate(switched(state, tunnel, response, slot))
                }
                Ok(Err(e)) => with_rate(unreachable(gateway, upstream, area, &e)),
                Err(_) => with_rate(timed_out(gateway, upstream, area)),
            };
        }
    };
    gateway.upstream_latency(area, started.elapsed().as_secs_f64());
    match answer {
        Ok(Ok(response)) => {
            gateway.count("proxy", Some(area), "forwarded");
            let (mut parts, body) = response.into_parts();
            answer_headers(&mut parts.headers);
            with_rate(Response::from_parts(parts, holding(body, slot)))
        }
        Ok(Err(e)) => with_rate(unreachable(gateway, upstream, area, &e)),
        Err(_) => with_rate(timed_out(gateway, upstream, area)),
    }
}

/// A handshake on its way: what the upstream must answer, the client's side of the switch, and
/// what the tunnel's watch asks about.
struct Tunnel {
    shake: tunnel::Handshake,
    client: hyper::upgrade::OnUpgrade,
    key: keyward_core::ids::KeyId,
    path: String,
}

/// The upstream's answer to a handshake: when it accepted it, the tunnel is joined and the client
/// told so; a `101` that does not accept it is a 502 (nothing is joined); any other answer passes
/// as it came (the upstream declined).
fn switched(
    state: &AppState,
    tunnel: Tunnel,
    mut response: axum::http::Response<hyper::body::Incoming>,
    slot: Option<super::in_flight::Slot>,
) -> Response {
    let accepted = tunnel.shake.accepted(response.status(), response.headers());
    if response.status() == axum::http::StatusCode::SWITCHING_PROTOCOLS && !accepted {
        tracing::warn!(path = %tunnel.path, "the upstream switched protocols without accepting the WebSocket handshake");
        return ApiError::bad_gateway().into_response();
    }
    let upstream_side = hyper::upgrade::on(&mut response);
    let (mut parts, body) = response.into_parts();
    answer_headers(&mut parts.headers);
    if accepted {
        tunnel::ask_to_switch(&mut parts.headers);
        tunnel::join(state.clone(), tunnel.key, tunnel.path, tunnel.client, upstream_side, slot);
        return Response::from_parts(parts, Body::empty());
    }
    Response::from_parts(parts, holding(body, slot))
}

/// The upstream's answer headers as the client gets them: no hop-by-hop headers, and none of
/// Keyward's console cookies set.
fn answer_headers(headers: &mut HeaderMap) {
    remove_hop_by_hop(headers);
    remove_keyward_set_cookies(headers);
}

/// The answer's body, holding the key's in-flight slot until it is sent or dropped.
fn holding<B>(body: B, slot: Option<super::in_flight::Slot>) -> Body
where
    B: axum::body::HttpBody<Data = bytes::Bytes> + Send + 'static,
    B::Error: Into<axum::BoxError>,
{
    Body::new(http_body_util::BodyExt::map_frame(body, move |frame| {
        let _held = &slot;
        frame
    }))
}

fn unreachable(gateway: &Gateway, upstream: &Upstream, area: &str, e: &super::pool::SendError) -> Response {
    tracing::warn!(upstream = %upstream.url(), error = %e, "the upstream cannot be reached");
    gateway.count("proxy", Some(area), "upstream_unreachable");
    ApiError::bad_gateway().into_response()
}

fn timed_out(gateway: &Gateway, upstream: &Upstream, area: &str) -> Response {
    tracing::warn!(upstream = %upstream.url(), timeout = ?upstream.timeout, "the upstream did not answer in time");
    gateway.count("proxy", Some(area), "upstream_timeout");
    ApiError::gateway_timeout().into_response()
}

/// `X-Forwarded-For`, `-Proto` and `-Host`. A client's own values are kept only when it is one of
/// the `trusted_proxies` (which vouch for them), and extended with it; anyone else's are replaced,
/// as is RFC 7239's `Forwarded`, which nobody here vouches for.
fn forwarded_headers(state: &AppState, headers: &mut HeaderMap, peer: Option<IpAddr>) {
    const FOR: HeaderName = HeaderName::from_static("x-forwarded-for");
    const PROTO: HeaderName = HeaderName::from_static("x-forwarded-proto");
    const HOST: HeaderName = HeaderName::from_static("x-forwarded-host");
    let trusted = peer.is_some_and(|ip| state.trusted_proxies.trusts(ip));
    remove_forwarded_look_alikes(headers);
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
    remove_client_addresses(headers, trusted);
}

/// A header name as servers that turn headers into CGI-style variables read it (`HTTP_X_FORWARDED_FOR`):
/// every character that is not a letter or digit is `-`, so `X_Forwarded_For` and `X.Forwarded.For`
/// are `x-forwarded-for` to them. Borrowed when the name is spelled so already (nearly always).
fn folded(name: &HeaderName) -> std::borrow::Cow<'_, str> {
    let name = name.as_str();
    if name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-') {
        return std::borrow::Cow::Borrowed(name);
    }
    name.bytes().map(|b| if b.is_ascii_alphanumeric() { char::from(b) } else { '-' }).collect::<String>().into()
}

/// Removes every header whose folded name `doomed` names; it is told whether the name is spelled
/// exactly so (`false`: a look-alike, which no proxy Keyward trusts writes).
fn remove_where(headers: &mut HeaderMap, doomed: impl Fn(&str, bool) -> bool) {
    let names: Vec<HeaderName> = headers
        .keys()
        .filter(|name| {
            let folded = folded(name);
            let exact = matches!(folded, std::borrow::Cow::Borrowed(_));
            doomed(&folded, exact)
        })
        .cloned()
        .collect();
    for name in names {
        headers.remove(name);
    }
}

/// Look-alikes of the headers Keyward writes or vouches for (`X_Forwarded_For: 6.6.6.6` beside the
/// `X-Forwarded-For` Keyward sets would be the same variable to a CGI-style server).
fn remove_forwarded_look_alikes(headers: &mut HeaderMap) {
    const WRITTEN: [&str; 4] = ["x-forwarded-for", "x-forwarded-proto", "x-forwarded-host", "forwarded"];
    remove_where(headers, |folded, exact| !exact && WRITTEN.contains(&folded));
}

/// Headers in which some proxy or CDN names the client's address. An upstream that believes one
/// would take a client's word for its address, so none passes from a client, under any spelling.
/// A trusted proxy vouches for what it writes itself (`X-Real-IP` and the `X-Forwarded-*` it sets,
/// spelled exactly); the CDN headers go even from it, since such a proxy passes a client's copies
/// on unchanged.
fn remove_client_addresses(headers: &mut HeaderMap, trusted: bool) {
    const ALWAYS: [&str; 13] = [
        "true-client-ip",
        "cf-connecting-ip",
        "x-client-ip",
        "client-ip",
        "x-cluster-client-ip",
        "fastly-client-ip",
        "x-originating-ip",
        "x-remote-ip",
        "x-remote-addr",
        "x-forwarded",
        "forwarded-for",
        "x-original-forwarded-for",
        "x-envoy-external-address",
    ];
    const UNLESS_TRUSTED: [&str; 4] = ["x-real-ip", "x-forwarded-port", "x-forwarded-prefix", "x-forwarded-server"];
    remove_where(headers, |folded, exact| {
        ALWAYS.contains(&folded) || (UNLESS_TRUSTED.contains(&folded) && !(trusted && exact))
    });
}

/// Headers that ask an upstream to act on another method or path than the one Keyward admitted
/// (`X-HTTP-Method-Override: DELETE` on a GET a reader may make), or that describe the request
/// as forward auth reads it, under any spelling: none is Keyward's to pass on.
fn remove_overrides(headers: &mut HeaderMap) {
    const OVERRIDES: [&str; 9] = [
        "x-http-method-override",
        "x-http-method",
        "x-method-override",
        "x-original-url",
        "x-rewrite-url",
        "x-original-uri",
        "x-original-method",
        "x-forwarded-uri",
        "x-forwarded-method",
    ];
    remove_where(headers, |folded, _| OVERRIDES.contains(&folded));
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
        // RFC 7540 section 3.2: h2c's, meaningful on one connection only (and never tunnelled).
        HeaderName::from_static("http2-settings"),
    ] {
        headers.remove(name);
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
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
    fn g2_client_address_look_alikes_never_reach_the_upstream() {
        let planted = [
            "true-client-ip",
            "cf-connecting-ip",
            "x-client-ip",
            "x-cluster-client-ip",
            "true_client_ip",
            "x-real-ip",
            "x_real_ip",
            "x-forwarded-port",
            "client-ip",
            "x.client.ip",
        ];
        for trusted in [false, true] {
            let mut headers = HeaderMap::new();
            for name in planted {
                headers.insert(HeaderName::from_static(name), HeaderValue::from_static("6.6.6.6"));
            }
            headers.insert(header::ACCEPT, HeaderValue::from_static("*/*"));
            remove_client_addresses(&mut headers, trusted);
            let left: Vec<&str> = headers.keys().map(HeaderName::as_str).collect();
            let expected: &[&str] = if trusted { &["x-real-ip", "x-forwarded-port", "accept"] } else { &["accept"] };
            let mut left_sorted = left.clone();
            left_sorted.sort_unstable();
            let mut expected_sorted = expected.to_vec();
            expected_sorted.sort_unstable();
            assert_eq!(left_sorted, expected_sorted, "trusted: {trusted}");
        }
    }

    #[test]
    fn g2_look_alikes_of_forwarded_and_override_headers_go() {
        let mut headers = HeaderMap::new();
        for name in
            ["x_forwarded_for", "x_forwarded_host", "X.Forwarded.Proto", "x_http_method_override", "x_original_url"]
        {
            headers.insert(HeaderName::from_bytes(name.as_bytes()).unwrap(), HeaderValue::from_static("6.6.6.6"));
        }
        headers.insert("x-forwarded-for", HeaderValue::from_static("10.0.0.1"));
        headers.insert(header::ACCEPT, HeaderValue::from_static("*/*"));
        remove_forwarded_look_alikes(&mut headers);
        remove_overrides(&mut headers);
        let mut left: Vec<&str> = headers.keys().map(HeaderName::as_str).collect();
        left.sort_unstable();
        assert_eq!(left, ["accept", "x-forwarded-for"], "the exact spelling is forwarded_headers' to judge");
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
