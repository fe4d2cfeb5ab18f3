//! One client connection on the fast path: request heads read and parsed here, admitted and
//! rewritten by the proxy's own rules ([`proxy::prepare`]), written to the upstream and the answer
//! relayed, until the client closes or sends something the fast path leaves to hyper; from then on
//! the connection is hyper's, the bytes already read put back in front.

use std::fmt::Write as _;
use std::future::Future;
use std::net::SocketAddr;
use std::pin::Pin;
use std::time::{Duration, Instant};

use axum::http::{Method, header};
use axum::response::Response;
use bytes::BytesMut;
use hyper_util::rt::{TokioExecutor, TokioIo};
use hyper_util::service::TowerToHyperService;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::sync::watch;
use tokio::time::Instant as Deadline;

use super::body;
use super::head::{self, Parsed};
use super::rewind::Rewind;
use super::upstream::{Answer, Framing, RawUpstream, request_bytes};
use crate::front::Front;
use crate::gateway::proxy::{self, Outgoing};
use crate::gateway::sink::{Appender, Wire};
use crate::gateway::{Gateway, Upstream};

/// How long a request's head, once begun, may take to arrive; past it the connection is closed
/// (nothing has been admitted yet). A connection idle between requests has no limit, as with hyper.
const READ_LIMIT: Duration = Duration::from_secs(30);

/// Serves one accepted connection until it closes, or the server stops: a request begun is
/// answered (with `Connection: close`), one not yet whole is dropped unanswered and unadmitted.
pub(crate) async fn serve(front: Front, mut stream: TcpStream, peer: SocketAddr, stop: watch::Receiver<bool>) {
    let mut buf = BytesMut::with_capacity(8 * 1024);
    // Made once per connection, not per request: it is polled beside every read.
    let mut stopping = Box::pin(stopped(stop.clone()));
    loop {
        let mut deadline = None;
        // Bytes already parsed without a whole head: a head ends at a line's end, so more bytes
        // without one are not parsed again (a head trickled byte by byte costs O(n), not O(n²)).
        let mut parsed = None;
        let head = loop {
            let news = parsed.map_or(&buf[..], |at| &buf[at..]);
            if parsed.is_none() || news.contains(&b'\n') || buf.len() >= head::MAX_HEAD {
                match head::parse(&buf) {
                    Parsed::Head(head) => break head,
                    Parsed::Other => return hand_over(front, stream, buf, stop).await,
                    Parsed::Incomplete => parsed = Some(buf.len()),
                }
            }
            if !buf.is_empty() {
                deadline.get_or_insert_with(|| Deadline::now() + READ_LIMIT);
            }
            if !read_more(&mut stream, &mut buf, &mut stopping, deadline).await {
                return;
            }
        };
        // Without a plain-HTTP upstream there is no fast path: the connection is hyper's once its
        // first head is whole (read here, so that a stop closes a connection still sending it).
        let state = front.state();
        let Some((gateway, upstream, raw)) = fast_upstream(state) else {
            return hand_over(front, stream, buf, stop).await;
        };
        let Some(found) = gateway.policy.route_for(head.parts.uri.path()) else {
            return hand_over(front, stream, buf, stop).await;
        };
        let _ = buf.split_to(head.len);
        let parts = head.parts;
        let exchange = Exchange { gateway, upstream, raw, close: head.close, stop: &stop };
        let kept = exchange.run(state, found, parts, peer, &mut stream).await;
        if !kept || head.close || *stop.borrow() {
            let _ = stream.shutdown().await;
            return;
        }
    }
}

/// Reads more of a request; `false` when the connection ends, the deadline passes, or the server
/// stops first.
async fn read_more(
    stream: &mut TcpStream,
    buf: &mut BytesMut,
    stopping: &mut Pin<Box<impl Future<Output = ()>>>,
    deadline: Option<Deadline>,
) -> bool {
    let limit = async {
        match deadline {
            Some(at) => tokio::time::sleep_until(at).await,
            None => std::future::pending().await,
        }
    };
    tokio::select! {
        // The stop first: once it is set, no more of a request is read, whatever has arrived.
        biased;
        () = stopping.as_mut() => false,
        () = limit => false,
        read = stream.read_buf(buf) => matches!(read, Ok(n) if n > 0),
    }
}

/// Completes once the server stops (at once if it already has).
async fn stopped(mut stop: watch::Receiver<bool>) {
    let _ = stop.wait_for(|stopping| *stopping).await;
}

/// The gateway, its upstream and the upstream's plain-HTTP connections, when the fast path serves it.
fn fast_upstream(state: &crate::AppState) -> Option<(&Gateway, &Upstream, &RawUpstream)> {
    let gateway = state.gateway.as_deref()?;
    let upstream = gateway.upstream.as_ref()?;
    Some((gateway, upstream, upstream.raw.as_ref()?))
}

struct Exchange<'g> {
    gateway: &'g Gateway,
    upstream: &'g Upstream,
    raw: &'g RawUpstream,
    /// The client asked to close after this answer.
    close: bool,
    /// The server is stopping: this answer is the connection's last.
    stop: &'g watch::Receiver<bool>,
}

impl<'g> Exchange<'g> {
    /// Admits, forwards and answers one request; `false` when the client connection cannot go on.
    async fn run(
        &self,
        state: &crate::AppState,
        found: (&'g keyward_core::gateway::Route, &'g keyward_core::gateway::AreaRules),
        parts: axum::http::request::Parts,
        peer: SocketAddr,
        client: &mut TcpStream,
    ) -> bool {
        let method = parts.method.clone();
        let out = match proxy::prepare(state, self.gateway, self.upstream, found, &parts, Some(peer.ip())).await {
            Ok(out) => out,
            Err(refused) => return self.answer(client, refused, &method).await,
        };
        let target = [self.upstream.base_path(), parts.uri.path_and_query().map_or("/", |pq| pq.as_str())];
        let request = request_bytes(&method, target, &parts.headers, &out.forwarding(state, self.upstream, false));
        let started = Instant::now();
        let exchanged = tokio::time::timeout(self.upstream.timeout, self.raw.exchange(&method, &request)).await;
        self.gateway.upstream_latency(out.area, started.elapsed().as_secs_f64());
        match exchanged {
            Ok(Ok((answer, mut conn))) => {
                self.gateway.count("proxy", Some(out.area), "forwarded");
                let reusable = answer.reusable;
                let framing = answer.framing;
                let mut bytes = self.answer_head(answer, &out);
                match body::relay(&mut conn, framing, client, &mut bytes).await {
                    Ok(clean) => {
                        if clean && reusable {
                            self.raw.give_back(conn);
                        }
                        true
                    }
                    Err(e) => {
                        tracing::debug!(error = %e, "an answer from the upstream was broken off");
                        false
                    }
                }
            }
            Ok(Err(e)) => {
                let answer = out.rate.stamp(proxy::unreachable(self.gateway, self.upstream, out.area, &e));
                self.answer(client, answer, &method).await
            }
            Err(_) => {
                let answer = out.rate.stamp(proxy::timed_out(self.gateway, self.upstream, out.area));
                self.answer(client, answer, &method).await
            }
        }
    }

    /// The upstream's answer head as the client gets it: its fields as [`parse_answer`] let them
    /// through, `X-Rate-Limit`, and the framing of this connection.
    ///
    /// [`parse_answer`]: super::upstream::parse_answer
    fn answer_head(&self, answer: Answer, out: &Outgoing<'_>) -> Vec<u8> {
        let Answer { status, fields, framing, dated, .. } = answer;
        let mut bytes = status_line(status, fields.len() + 128);
        bytes.extend_from_slice(&fields);
        if !dated {
            super::date::write(&mut bytes);
        }
        if let Some(v) = &out.rate.0 {
            Wire(&mut bytes).raw(crate::auth::gate::X_RATE_LIMIT.as_str(), v.as_bytes());
        }
        match framing {
            Framing::Empty(None) => {}
            Framing::Empty(Some(n)) | Framing::Length(n) => {
                let _ = write!(Appender(&mut bytes), "content-length: {n}\r\n");
            }
            Framing::Chunked | Framing::UntilClose => bytes.extend_from_slice(b"transfer-encoding: chunked\r\n"),
        }
        end_head(&mut bytes, self.last());
        bytes
    }

    /// This answer is the connection's last: the client asked, or the server is stopping (decided
    /// as the answer's head is written, so a stop during the upstream's wait is told too).
    fn last(&self) -> bool {
        self.close || *self.stop.borrow()
    }

    /// Keyward's own answer (a refusal, a 502 or 504), whole; `false` when the client closes.
    async fn answer(&self, client: &mut TcpStream, response: Response, method: &Method) -> bool {
        let (parts, body) = response.into_parts();
        let Ok(collected) = http_body_util::BodyExt::collect(body).await else { return false };
        let body = collected.to_bytes();
        let mut headers = parts.headers;
        headers.remove(header::CONTENT_LENGTH);
        headers.remove(header::TRANSFER_ENCODING);
        headers.remove(header::DATE);
        let mut bytes = status_line(parts.status, 256);
        super::date::write(&mut bytes);
        for (name, value) in &headers {
            Wire(&mut bytes).raw(name.as_str(), value.as_bytes());
        }
        let _ = write!(Appender(&mut bytes), "content-length: {}\r\n", body.len());
        end_head(&mut bytes, self.last());
        if *method != Method::HEAD {
            bytes.extend_from_slice(&body);
        }
        client.write_all(&bytes).await.is_ok()
    }
}

/// `HTTP/1.1 200 OK` and CRLF, in a buffer with room for `more`.
fn status_line(status: axum::http::StatusCode, more: usize) -> Vec<u8> {
    let mut out = Vec::with_capacity(32 + more);
    out.extend_from_slice(b"HTTP/1.1 ");
    out.extend_from_slice(status.as_str().as_bytes());
    out.push(b' ');
    out.extend_from_slice(status.canonical_reason().unwrap_or("Unknown").as_bytes());
    out.extend_from_slice(b"\r\n");
    out
}

/// `Connection: close` when this answer is the connection's last, and the blank line.
fn end_head(out: &mut Vec<u8>, close: bool) {
    if close {
        out.extend_from_slice(b"connection: close\r\n");
    }
    out.extend_from_slice(b"\r\n");
}

/// The rest of the connection is hyper's (HTTP/1.1 or HTTP/2, upgrades included), as any
/// connection is without the fast path; it is asked to finish gracefully when `stop` turns.
async fn hand_over(front: Front, stream: TcpStream, read: BytesMut, mut stop: watch::Receiver<bool>) {
    let io = TokioIo::new(Rewind::new(read.freeze(), stream));
    let builder = hyper_util::server::conn::auto::Builder::new(TokioExecutor::new());
    let connection = builder.serve_connection_with_upgrades(io, TowerToHyperService::new(front));
    let mut connection = std::pin::pin!(connection);
    let stopping = *stop.borrow();
    if stopping {
        connection.as_mut().graceful_shutdown();
    } else {
        tokio::select! {
            served = connection.as_mut() => {
                if let Err(e) = served {
                    tracing::debug!(error = %e, "a connection ended with an error");
                }
                return;
            }
            _ = stop.changed() => connection.as_mut().graceful_shutdown(),
        }
    }
    if let Err(e) = connection.await {
        tracing::debug!(error = %e, "a connection ended with an error");
    }
}
