//! The proxy's fast path (#24): plain-HTTP requests under the gateway's routes, read and written
//! here rather than through hyper, on both legs.
//!
//! Why: hyper's server and client machinery (a dispatcher per connection, a body channel per
//! request, boxed services and futures) cost a proxied request more CPU than the rest of the
//! proxy together; `scripts/bench gateway` measured Keyward's proxy at half of nginx's rate with
//! it (docs/GATEWAY.md, "Speed"). The fast path takes only the common, simply framed requests
//! ([`head`]); everything else on the connection, from the first request it does not take, is
//! served by hyper exactly as without it. Admission and header rewriting are the proxy's own
//! ([`crate::gateway::proxy::prepare`]), shared with hyper's path, so both decide alike.
//!
//! [`listen`] accepts every connection of a plain-HTTP listener; the fast path serves it when the
//! gateway's upstream is `http://`, hyper otherwise (and for HTTPS listeners, `https://` upstreams
//! and WebSockets). Either way a stopping node drains its connections for at most 30 s.

pub(crate) mod body;
pub(crate) mod connection;
pub(crate) mod date;
pub(crate) mod head;
pub(crate) mod rewind;
pub(crate) mod upstream;

use std::future::Future;

use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::JoinSet;

use crate::front::MakeFront;

/// Accepts connections until `shutdown` completes, then lets every connection finish its request
/// in progress (hyper's connections finish gracefully), for at most [`DRAIN_LIMIT`], before
/// returning.
pub(crate) async fn listen(listener: TcpListener, make: MakeFront, shutdown: impl Future<Output = ()>) {
    let (stop, stopped) = watch::channel(false);
    let mut connections = JoinSet::new();
    let mut shutdown = std::pin::pin!(shutdown);
    loop {
        tokio::select! {
            () = &mut shutdown => break,
            accepted = listener.accept() => match accepted {
                Ok((stream, peer)) => {
                    let _ = stream.set_nodelay(true);
                    connections.spawn(connection::serve(make.front(peer), stream, peer, stopped.clone()));
                    // Ended connections are let go here, so the set holds only open ones.
                    while connections.try_join_next().is_some() {}
                }
                Err(e) => {
                    // Out of file descriptors and the like: wait rather than spin (as axum::serve).
                    tracing::warn!(error = %e, "accepting a connection failed");
                    tokio::time::sleep(std::time::Duration::from_millis(100)).await;
                }
            },
        }
    }
    drop(listener);
    let _ = stop.send(true);
    let drained = tokio::time::timeout(DRAIN_LIMIT, async { while connections.join_next().await.is_some() {} }).await;
    // As for HTTPS (`serve_tls`): connections not finished in 30 s are cut, so that none is still
    // admitting or forwarding once the background work has stopped and written what it holds.
    if drained.is_err() {
        tracing::warn!(open = connections.len(), "connections still open 30 s after the shutdown signal are cut");
        connections.abort_all();
        while connections.join_next().await.is_some() {}
    }
}

/// How long connections may take to finish once the server stops.
const DRAIN_LIMIT: std::time::Duration = std::time::Duration::from_secs(30);
