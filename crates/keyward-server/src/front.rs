//! What each connection's requests meet first: a request under one of the gateway policy's routes
//! goes straight to the proxy (G2), everything else to Keyward's router, with the client's address
//! as `ConnectInfo`.
//!
//! Why not a router layer: a layer on the router is reached through the router's own machinery
//! (cloned boxed services, the state cloned per layer and request), which cost proxied requests a
//! share of their time that nginx does not pay (docs/GATEWAY.md, "Speed"). Here a proxied request
//! costs one `Arc` clone before [`proxy::forward`] sees it.

use std::convert::Infallible;
use std::future::Future;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use axum::Router;
use axum::body::{Body, HttpBody};
use axum::extract::ConnectInfo;
use axum::http::Request;
use axum::response::Response;
use tower::Service;

use crate::AppState;
use crate::gateway::proxy;

/// Makes one [`Front`] per connection (for `axum::serve` and for `axum_server`'s TLS).
#[derive(Clone)]
pub struct MakeFront {
    state: AppState,
    router: Router,
}

impl MakeFront {
    pub fn new(state: AppState, router: Router) -> MakeFront {
        MakeFront { state, router }
    }

    pub(crate) fn front(&self, peer: SocketAddr) -> Front {
        Front(Arc::new(Connection { state: self.state.clone(), router: self.router.clone(), peer }))
    }
}

impl<'a> Service<axum::serve::IncomingStream<'a, tokio::net::TcpListener>> for MakeFront {
    type Response = Front;
    type Error = Infallible;
    type Future = std::future::Ready<Result<Front, Infallible>>;

    fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, stream: axum::serve::IncomingStream<'a, tokio::net::TcpListener>) -> Self::Future {
        std::future::ready(Ok(self.front(*stream.remote_addr())))
    }
}

impl Service<SocketAddr> for MakeFront {
    type Response = Front;
    type Error = Infallible;
    type Future = std::future::Ready<Result<Front, Infallible>>;

    fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, peer: SocketAddr) -> Self::Future {
        std::future::ready(Ok(self.front(peer)))
    }
}

/// One client connection's entry point; cloned (an `Arc`) per request.
#[derive(Clone)]
pub struct Front(Arc<Connection>);

impl Front {
    pub(crate) fn state(&self) -> &AppState {
        &self.0.state
    }
}

struct Connection {
    state: AppState,
    router: Router,
    peer: SocketAddr,
}

impl<B> Service<Request<B>> for Front
where
    B: HttpBody<Data = bytes::Bytes> + Send + 'static,
    B::Error: Into<axum::BoxError>,
{
    type Response = Response;
    type Error = Infallible;
    type Future = Pin<Box<dyn Future<Output = Result<Response, Infallible>> + Send>>;

    fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, req: Request<B>) -> Self::Future {
        let mut req = req.map(Body::new);
        req.extensions_mut().insert(ConnectInfo(self.0.peer));
        host_from_authority(&mut req);
        let connection = Arc::clone(&self.0);
        Box::pin(async move {
            match proxy::handle(&connection.state, req).await {
                Ok(proxied) => Ok(proxied),
                Err(own) => connection.router.clone().call(own).await,
            }
        })
    }
}

/// HTTP/2 requests carry the host in `:authority`, not `Host`; the console's Origin checks, test
/// mode's host check, absolute links and the proxy's `X-Forwarded-Host` all read `Host`, so it is
/// filled in from the URI.
fn host_from_authority(req: &mut Request<Body>) {
    use axum::http::{HeaderValue, header};
    if !req.headers().contains_key(header::HOST)
        && let Some(value) = req.uri().authority().and_then(|a| HeaderValue::from_str(a.as_str()).ok())
    {
        req.headers_mut().insert(header::HOST, value);
    }
}
