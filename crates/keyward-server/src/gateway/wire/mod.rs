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
//! Used when Keyward serves plain HTTP with a gateway whose upstream is `http://`; HTTPS
//! listeners, `https://` upstreams and WebSockets go through hyper.

pub(crate) mod body;
pub(crate) mod connection;
pub(crate) mod date;
pub(crate) mod head;
pub(crate) mod rewind;
pub(crate) mod upstream;

use std::future::Future;

use tokio::net::TcpListener;
use tokio::sync::{mpsc, watch};

use crate::front::MakeFront;

/// Accepts connections until `shutdown` completes, then lets every connection finish its request
/// in progress (hyper's connections finish gracefully), for at most [`DRAIN_LIMIT`], before
/// returning.
pub(crate) async fn listen(listener: TcpListener, make: MakeFront, shutdown: impl Future<Output = ()>) {
    let (stop, stopped) = watch::channel(false);
    // Every connection's task holds a sender; once all are dropped, every connection has ended.
    let (open, mut all_closed) = mpsc::channel::<()>(1);
    let mut shutdown = std::pin::pin!(shutdown);
    loop {
        tokio::select! {
            () = &mut shutdown => break,
            accepted = listener.accept() => match accepted {
                Ok((stream, peer)) => {
                    let _ = stream.set_nodelay(true);
                    let (front, stopped, open) = (make.front(peer), stopped.clone(), open.clone());
                    tokio::spawn(async move {
                        connection::serve(front, stream, peer, stopped).await;
                        drop(open);
                    });
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
    drop(open);
    // As for HTTPS (`serve_tls`): a connection that has not finished in 30 s is left behind, so
    // the background work still stops and writes what it holds.
    if tokio::time::timeout(DRAIN_LIMIT, all_closed.recv()).await.is_err() {
        tracing::warn!("connections still open 30 s after the shutdown signal were cut");
    }
}

/// How long connections may take to finish once the server stops.
const DRAIN_LIMIT: std::time::Duration = std::time::Duration::from_secs(30);
