//! The gateway's kept-alive HTTP/1.1 connections to its upstream, each driven by the request that
//! is using it rather than by a task of its own.
//!
//! Why not a general-purpose client: a client that gives every connection its own task hands each
//! request to that task and each response back, two task wake-ups per request on top of the
//! socket's, and it returns a connection to its pool through yet another task. Driving the
//! connection from the request's own task (the server connection's task) leaves one task per
//! client connection, as an event loop such as nginx's does; `scripts/bench gateway` measured the
//! difference (docs/GATEWAY.md).
//!
//! A connection is borrowed for one request: it goes back to the idle list once the upstream's
//! answer has been read to its end, and is closed instead if the client went away before that (the
//! rest of the answer would be in the way of the next request).

use std::future::{Future, poll_fn};
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use axum::body::Body;
use axum::http::{Request, Response, Uri};
use hyper::body::{Frame, Incoming, SizeHint};
use hyper::client::conn::http1;
use hyper_rustls::{HttpsConnector, MaybeHttpsStream};
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioIo;
use tokio::net::TcpStream;
use tower::Service;

type Stream = MaybeHttpsStream<TokioIo<TcpStream>>;

/// Why the upstream gave no answer.
#[derive(Debug, thiserror::Error)]
pub(crate) enum SendError {
    #[error("cannot connect: {0}")]
    Connect(Box<dyn std::error::Error + Send + Sync>),
    #[error("{0}")]
    Http(#[from] hyper::Error),
}

/// One connection: the half that sends requests and the half that moves its bytes.
struct Conn {
    sender: http1::SendRequest<Body>,
    driver: http1::Connection<Stream, Body>,
}

impl Conn {
    /// Drives the connection once; `true` while it is still open.
    fn drive(&mut self, cx: &mut Context<'_>) -> bool {
        Pin::new(&mut self.driver).poll(cx).is_pending()
    }

    /// Whether an idle connection can take a request now (the upstream may have closed it while idle).
    fn poll_usable(&mut self, cx: &mut Context<'_>) -> bool {
        self.drive(cx) && matches!(self.sender.poll_ready(cx), Poll::Ready(Ok(())))
    }
}

struct Idle {
    conn: Conn,
    since: Instant,
}

/// The idle connections to one upstream, and how to open more.
pub(crate) struct Pool {
    connector: HttpsConnector<HttpConnector>,
    /// `scheme://authority`: where new connections go.
    origin: Uri,
    idle: Mutex<Vec<Idle>>,
    max_idle: usize,
    idle_timeout: Duration,
}

impl Pool {
    pub fn new(connector: HttpsConnector<HttpConnector>, origin: Uri, max_idle: usize, idle_timeout: Duration) -> Pool {
        Pool { connector, origin, idle: Mutex::new(Vec::new()), max_idle, idle_timeout }
    }

    /// Sends `request` (origin-form URI, `Host` set) on an idle connection or a new one, and
    /// answers once the response's head has arrived; its body streams from the connection after.
    /// A request an idle connection could not take (the upstream closed it meanwhile) is sent
    /// again on a new connection: it had not left Keyward.
    pub async fn send(self: &Arc<Pool>, request: Request<Body>) -> Result<Response<Body>, SendError> {
        let mut request = request;
        if let Some(conn) = self.take_idle().await {
            match send_on(conn, request).await {
                Ok((response, conn)) => return Ok(self.lend(response, conn)),
                Err(mut e) => match e.take_message() {
                    Some(unsent) => request = unsent,
                    None => return Err(e.into_error().into()),
                },
            }
        }
        let conn = self.connect().await?;
        match send_on(conn, request).await {
            Ok((response, conn)) => Ok(self.lend(response, conn)),
            Err(e) => Err(e.into_error().into()),
        }
    }

    /// Sends an upgrade handshake (`Connection: upgrade`) on a connection of its own, never
    /// pooled: if the upstream switches protocols, the connection becomes the tunnel's.
    pub async fn send_upgrade(&self, request: Request<Body>) -> Result<Response<Incoming>, SendError> {
        let (mut sender, driver) = http1::Builder::new().handshake(self.open().await?).await?;
        // Driven by a task of its own: once switched, its bytes are the tunnel's, not a request's.
        tokio::spawn(async move {
            if let Err(e) = driver.with_upgrades().await {
                tracing::debug!(error = %e, "an upgrade connection to the upstream ended");
            }
        });
        Ok(sender.send_request(request).await?)
    }

    /// The most recently used idle connection that is still usable; stale ones are closed.
    async fn take_idle(&self) -> Option<Conn> {
        loop {
            let mut idle = self.lock().pop()?;
            if idle.since.elapsed() > self.idle_timeout {
                continue;
            }
            if poll_fn(|cx| Poll::Ready(idle.conn.poll_usable(cx))).await {
                return Some(idle.conn);
            }
        }
    }

    async fn connect(&self) -> Result<Conn, SendError> {
        let (sender, driver) = http1::Builder::new().handshake(self.open().await?).await?;
        Ok(Conn { sender, driver })
    }

    async fn open(&self) -> Result<Stream, SendError> {
        self.connector.clone().call(self.origin.clone()).await.map_err(SendError::Connect)
    }

    /// The response, its body carrying the connection back here once read to its end.
    fn lend(self: &Arc<Pool>, response: Response<Incoming>, conn: Option<Conn>) -> Response<Body> {
        let (parts, body) = response.into_parts();
        let body = Lent { body, conn, pool: Arc::clone(self) };
        Response::from_parts(parts, Body::new(body))
    }

    fn give_back(&self, conn: Conn) {
        let mut idle = self.lock();
        if idle.len() < self.max_idle {
            idle.push(Idle { conn, since: Instant::now() });
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<Idle>> {
        // A panic while the list was held leaves it a list of connections still: keep using it.
        self.idle.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

/// Sends on `conn`, driving it until the response's head is in; the connection comes back with
/// the response while it is still open, or is dropped (closed) with the error.
async fn send_on(
    mut conn: Conn,
    request: Request<Body>,
) -> Result<(Response<Incoming>, Option<Conn>), hyper::client::conn::TrySendError<Request<Body>>> {
    let mut answer = std::pin::pin!(conn.sender.try_send_request(request));
    let mut open = true;
    let response = poll_fn(|cx| {
        // Once the connection has ended it is never polled again; the answer then says why.
        if open {
            open = conn.drive(cx);
        }
        answer.as_mut().poll(cx)
    })
    .await?;
    // A connection that ended with the head (`Connection: close`) has handed over all it read.
    Ok((response, open.then_some(conn)))
}

/// An upstream answer's body, which drives its connection while it streams and returns it to
/// the pool at its end.
struct Lent {
    body: Incoming,
    /// `None` once the connection has ended (or gone back).
    conn: Option<Conn>,
    pool: Arc<Pool>,
}

impl hyper::body::Body for Lent {
    type Data = bytes::Bytes;
    type Error = hyper::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Self::Data>, Self::Error>>> {
        let this = &mut *self;
        if let Some(conn) = this.conn.as_mut()
            && !conn.drive(cx)
        {
            this.conn = None;
        }
        let frame = Pin::new(&mut this.body).poll_frame(cx);
        if let Poll::Ready(None) = frame {
            this.finish();
        }
        frame
    }

    fn is_end_stream(&self) -> bool {
        self.body.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.body.size_hint()
    }
}

impl Lent {
    /// The answer was read to its end: its connection can take the next request.
    fn finish(&mut self) {
        if let Some(conn) = self.conn.take() {
            self.pool.give_back(conn);
        }
    }
}

impl Drop for Lent {
    /// The server stops asking for frames once a body of known length is complete, so the end is
    /// noticed here as well; a body dropped before its end closes its connection.
    fn drop(&mut self) {
        if hyper::body::Body::is_end_stream(&self.body) {
            self.finish();
        }
    }
}
