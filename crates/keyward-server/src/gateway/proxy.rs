//! G2: the reverse proxy. A request under a route is admitted (G1), then streamed to the upstream
//! with its method, path, query and body as received: bodies pass through in chunks, never held
//! whole. `Authorization` and the client's `X-Keyward-*` stay here; Keyward's identity headers and
//! `X-Forwarded-*` are added; hop-by-hop headers (RFC 9110 section 7.6.1) go on neither leg. The
//! answer is the upstream's, with `X-Rate-Limit`; an upstream that cannot be reached is a 502, one
//! that does not answer in time a 504, both in Apple's shape.

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::Instant;

use axum::body::Body;
use axum::extract::{ConnectInfo, Request};
use axum::http::{HeaderMap, HeaderValue, Version};
use axum::response::{IntoResponse, Response};
use keyward_core::gateway::{AreaRules, Route};
use keyward_token::verify::Principal;

use super::admit::{admit, checked};
use super::headers::{self, Forwarding};
use super::{Gateway, Upstream, tunnel};
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
    // A WebSocket handshake, and the client's side of the switch it asks for.
    // An area that has not opted in to WebSockets gets the handshake as a plain request.
    let switch = tunnel::requested(&parts.method, &parts.headers)
        .filter(|_| found.1.websockets)
        .and_then(|shake| Some((shake, parts.extensions.remove::<hyper::upgrade::OnUpgrade>()?)));
    let peer = parts.extensions.get::<ConnectInfo<SocketAddr>>().map(|c| c.0.ip());
    let out = match prepare(state, gateway, upstream, found, &parts, peer).await {
        Ok(out) => out,
        Err(refused) => return refused,
    };
    let path_and_query = parts.uri.path_and_query().map_or("/", |pq| pq.as_str());
    let Ok(target) = upstream.uri_for(path_and_query) else {
        gateway.count("proxy", Some(out.area), "upstream_unreachable");
        return out.rate.stamp(ApiError::bad_gateway().into_response());
    };
    let mut headers = HeaderMap::with_capacity(parts.headers.len() + 8);
    headers::request(&parts.headers, &out.forwarding(state, upstream, switch.is_some()), &mut headers);
    let Outgoing { area, principal, rate, slot, .. } = out;
    let with_rate = |response: Response| rate.stamp(response);
    let mut outgoing = axum::http::Request::new(body);
    *outgoing.method_mut() = parts.method;
    *outgoing.uri_mut() = target;
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
                    let tunnel = Tunnel { shake, client, key: principal.key_id.clone(), path };
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
            headers::answer(&mut parts.headers);
            with_rate(Response::from_parts(parts, holding(body, slot)))
        }
        Ok(Err(e)) => with_rate(unreachable(gateway, upstream, area, &e)),
        Err(_) => with_rate(timed_out(gateway, upstream, area)),
    }
}

/// A request admitted (G1): what either transport, hyper's ([`forward`]) or the plain-HTTP fast
/// path ([`super::wire`]), sends, its fields rewritten by [`headers::request`] as it goes.
pub(crate) struct Outgoing<'g> {
    /// The route's area, for metrics.
    pub area: &'g str,
    pub principal: Arc<Principal>,
    pub rate: RateHeader,
    /// The key's place among its requests in flight, held until the answer is sent.
    pub slot: Option<super::in_flight::Slot>,
    peer: Option<IpAddr>,
}

impl Outgoing<'_> {
    /// How `headers::request` rewrites this request's fields for `upstream`.
    pub(crate) fn forwarding<'a>(
        &'a self,
        state: &'a AppState,
        upstream: &'a Upstream,
        switch: bool,
    ) -> Forwarding<'a> {
        // The configured public host when there is one: a client chooses its own Host.
        let public_host = state
            .public_url
            .as_deref()
            .and_then(|url| url.split("://").nth(1))
            .map(|rest| rest.split('/').next().unwrap_or_default());
        Forwarding {
            peer: self.peer,
            trusted: self.peer.is_some_and(|ip| state.trusted_proxies.trusts(ip)),
            https: state.https,
            public_host,
            upstream_host: &upstream.host,
            principal: &self.principal,
            switch,
        }
    }
}

/// `X-Rate-Limit` for every answer of an admitted request, the upstream's and Keyward's own.
#[derive(Clone)]
pub(crate) struct RateHeader(pub Option<HeaderValue>);

impl RateHeader {
    pub fn stamp(&self, mut response: Response) -> Response {
        if let Some(v) = self.0.clone() {
            response.headers_mut().insert(X_RATE_LIMIT, v);
        }
        response
    }
}

/// G1 for a request under `found`, and its place among the key's requests in flight. `Err` is
/// the answer instead: a refusal, in Apple's shape.
pub(crate) async fn prepare<'g>(
    state: &AppState,
    gateway: &'g Gateway,
    upstream: &Upstream,
    found: (&'g Route, &'g AreaRules),
    parts: &axum::http::request::Parts,
    peer: Option<IpAddr>,
) -> Result<Outgoing<'g>, Response> {
    let refused = |refused: Refused, area: Option<&str>| {
        gateway.count("proxy", area, refused.outcome);
        refused.response
    };
    let routed = checked(found, parts.uri.path()).map_err(|r| refused(r, None))?;
    let area = routed.area();
    let original = Ask {
        method: parts.method.as_str(),
        path: parts.uri.path(),
        query: parts.uri.query(),
        headers: &parts.headers,
        audience: &gateway.policy.audience,
    };
    let ip = || peer.map(|ip| state.trusted_proxies.client(ip, &parts.headers).to_string());
    let admitted = admit(state, gateway, routed, original, ip).await.map_err(|r| refused(r, Some(area)))?;
    let rate = RateHeader(admitted.rate_limit());
    let slot = match &upstream.in_flight {
        Some(cap) => match cap.take(&admitted.principal.key_id) {
            Some(slot) => Some(slot),
            None => {
                gateway.count("proxy", Some(area), "in_flight_limited");
                return Err(rate.stamp(ApiError::too_many_in_flight().into_response()));
            }
        },
        None => None,
    };
    Ok(Outgoing { area, principal: admitted.principal, rate, slot, peer })
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
    headers::answer(&mut parts.headers);
    if accepted {
        tunnel::ask_to_switch(&mut parts.headers);
        tunnel::join(state.clone(), tunnel.key, tunnel.path, tunnel.client, upstream_side, slot);
        return Response::from_parts(parts, Body::empty());
    }
    Response::from_parts(parts, holding(body, slot))
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

pub(crate) fn unreachable(gateway: &Gateway, upstream: &Upstream, area: &str, e: &dyn std::fmt::Display) -> Response {
    tracing::warn!(upstream = %upstream.url(), error = %e, "the upstream cannot be reached");
    gateway.count("proxy", Some(area), "upstream_unreachable");
    ApiError::bad_gateway().into_response()
}

pub(crate) fn timed_out(gateway: &Gateway, upstream: &Upstream, area: &str) -> Response {
    tracing::warn!(upstream = %upstream.url(), timeout = ?upstream.timeout, "the upstream did not answer in time");
    gateway.count("proxy", Some(area), "upstream_timeout");
    ApiError::gateway_timeout().into_response()
}
