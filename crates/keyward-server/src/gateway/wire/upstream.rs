//! The fast path's kept-alive connections to a plain-HTTP upstream, and one exchange on them:
//! the request written in one write, the answer's head read and its framing decided.

use std::sync::Mutex;
use std::time::{Duration, Instant};

use axum::http::{HeaderMap, Method, StatusCode};
use bytes::BytesMut;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use super::head::{MAX_HEAD, MAX_HEADERS};
use crate::gateway::headers::{self, AnswerRules, Forwarding};
use crate::gateway::sink::Wire;

/// How long a connection to the upstream may take to open; past it, 502.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);

/// Why the upstream gave no usable answer (a 502).
#[derive(Debug, thiserror::Error)]
pub(crate) enum ExchangeError {
    #[error("cannot connect: {0}")]
    Connect(String),
    #[error("{0}")]
    Io(#[from] std::io::Error),
    #[error("the connection closed before an answer")]
    Closed,
    #[error("the answer's head is not HTTP/1.1: {0}")]
    Malformed(&'static str),
}

/// One connection, and what has been read from it and not yet used.
pub(crate) struct Conn {
    pub stream: TcpStream,
    pub buf: BytesMut,
}

/// How an answer's body is delimited (RFC 9112 section 6.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Framing {
    /// No body: an answer to `HEAD`, a 204 or a 304; with the length a `HEAD` or 304 declares
    /// for the body it stands for (checked as any length is).
    Empty(Option<u64>),
    Length(u64),
    Chunked,
    /// Read to the connection's end; the connection is not used again.
    UntilClose,
}

/// An answer's head.
#[derive(Debug)]
pub(crate) struct Answer {
    pub status: StatusCode,
    /// The fields that reach the client ([`AnswerRules`]), written `name: value` CRLF; framing
    /// fields and `X-Rate-Limit` are Keyward's to write.
    pub fields: Vec<u8>,
    pub framing: Framing,
    /// The connection can take another request once the body is read.
    pub reusable: bool,
    /// The upstream sent `Date` (when not, Keyward adds one).
    pub dated: bool,
}

/// The idle connections to one upstream (`host:port`) and how to open more.
pub(crate) struct RawUpstream {
    authority: String,
    idle: Mutex<Vec<(Conn, Instant)>>,
    max_idle: usize,
    idle_timeout: Duration,
}

impl RawUpstream {
    pub fn new(authority: String, max_idle: usize, idle_timeout: Duration) -> RawUpstream {
        RawUpstream { authority, idle: Mutex::new(Vec::new()), max_idle, idle_timeout }
    }

    /// Writes `request` (head and body, one buffer) and reads the answer's head. A kept-alive
    /// connection the upstream closed meanwhile is retried once on a new connection: when the
    /// write failed, or when nothing came back and the method is idempotent (as nginx does).
    pub async fn exchange(&self, method: &Method, request: &[u8]) -> Result<(Answer, Conn), ExchangeError> {
        if let Some(mut conn) = self.take_idle() {
            match exchange_on(&mut conn, method, request).await {
                Ok(answer) => return Ok((answer, conn)),
                Err(Attempt::Retry) if method.is_idempotent() => {}
                Err(Attempt::Unsent) => {}
                Err(Attempt::Retry) => return Err(ExchangeError::Closed),
                Err(Attempt::Failed(e)) => return Err(e),
            }
        }
        let mut conn = self.connect().await?;
        match exchange_on(&mut conn, method, request).await {
            Ok(answer) => Ok((answer, conn)),
            Err(Attempt::Retry | Attempt::Unsent) => Err(ExchangeError::Closed),
            Err(Attempt::Failed(e)) => Err(e),
        }
    }

    /// A connection whose answer was read to its end, for the next request.
    pub fn give_back(&self, conn: Conn) {
        let mut idle = self.lock();
        if idle.len() < self.max_idle {
            idle.push((conn, Instant::now()));
        }
    }

    /// The most recently used idle connection that is still open. One the upstream closed (or
    /// wrote to unasked) while it was idle is dropped here, before a request is written to it:
    /// a request that may not be sent twice must not meet a closed connection.
    fn take_idle(&self) -> Option<Conn> {
        loop {
            let (conn, since) = self.lock().pop()?;
            let mut probe = [0u8; 1];
            if since.elapsed() <= self.idle_timeout
                && matches!(conn.stream.try_read(&mut probe), Err(e) if e.kind() == std::io::ErrorKind::WouldBlock)
            {
                return Some(conn);
            }
        }
    }

    async fn connect(&self) -> Result<Conn, ExchangeError> {
        let connecting = TcpStream::connect(self.authority.as_str());
        let stream = match tokio::time::timeout(CONNECT_TIMEOUT, connecting).await {
            Ok(Ok(stream)) => stream,
            Ok(Err(e)) => return Err(ExchangeError::Connect(e.to_string())),
            Err(_) => return Err(ExchangeError::Connect("timed out".into())),
        };
        stream.set_nodelay(true)?;
        Ok(Conn { stream, buf: BytesMut::with_capacity(8 * 1024) })
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<(Conn, Instant)>> {
        // A panic while the list was held leaves it a list of connections still.
        self.idle.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

/// How one attempt on a connection went wrong.
enum Attempt {
    /// The request could not be written: it never reached the upstream.
    Unsent,
    /// The connection closed with no answer; the upstream may have seen the request.
    Retry,
    Failed(ExchangeError),
}

async fn exchange_on(conn: &mut Conn, method: &Method, request: &[u8]) -> Result<Answer, Attempt> {
    // A write that fails part-way has reached the upstream in part: the upstream may have acted
    // on it, and may have answered early (a 431 to a long head, say), so the answer is read.
    let mut written = 0;
    let mut cut_short = false;
    while written < request.len() {
        match conn.stream.write(&request[written..]).await {
            Ok(0) | Err(_) if written == 0 => return Err(Attempt::Unsent),
            Ok(0) | Err(_) => {
                cut_short = true;
                break;
            }
            Ok(n) => written += n,
        }
    }
    conn.buf.clear();
    let mut answer = read_answer(conn, method).await?;
    // The connection's state after a request cut short is nobody's to know.
    answer.reusable &= !cut_short;
    Ok(answer)
}

/// Reads the answer's head; its body follows in `conn.buf` and on the stream.
async fn read_answer(conn: &mut Conn, method: &Method) -> Result<Answer, Attempt> {
    loop {
        // 1xx answers other than 101 are informational: the final answer follows them.
        loop {
            match parse_answer(&conn.buf, method) {
                Ok(Some((len, answer))) => {
                    let _ = conn.buf.split_to(len);
                    match answer {
                        Some(answer) => return Ok(answer),
                        None => continue,
                    }
                }
                Ok(None) => break,
                Err(e) => return Err(Attempt::Failed(e)),
            }
        }
        let started = conn.buf.len();
        match conn.stream.read_buf(&mut conn.buf).await {
            Ok(0) if started == 0 => return Err(Attempt::Retry),
            Ok(0) => return Err(Attempt::Failed(ExchangeError::Closed)),
            Ok(_) => {}
            Err(_) if started == 0 => return Err(Attempt::Retry),
            Err(e) => return Err(Attempt::Failed(e.into())),
        }
    }
}

/// Reads an answer head from the start of `buf`: `None` until it is whole; then its length and
/// the answer, or `None` for an informational (1xx) answer to skip.
pub(crate) fn parse_answer(buf: &[u8], method: &Method) -> Result<Option<(usize, Option<Answer>)>, ExchangeError> {
    if buf.is_empty() {
        return Ok(None);
    }
    let mut fields = [httparse::EMPTY_HEADER; MAX_HEADERS];
    let mut response = httparse::Response::new(&mut fields);
    let len = match response.parse(buf) {
        Ok(httparse::Status::Complete(len)) => len,
        Ok(httparse::Status::Partial) if buf.len() < MAX_HEAD => return Ok(None),
        Ok(httparse::Status::Partial) => return Err(ExchangeError::Malformed("head too long")),
        Err(_) => return Err(ExchangeError::Malformed("unreadable head")),
    };
    let code = response.code.ok_or(ExchangeError::Malformed("no status"))?;
    let status = StatusCode::from_u16(code).map_err(|_| ExchangeError::Malformed("bad status"))?;
    if status == StatusCode::SWITCHING_PROTOCOLS {
        return Err(ExchangeError::Malformed("switched protocols unasked"));
    }
    if status.is_informational() {
        return Ok(Some((len, None)));
    }
    let all: &[httparse::Header<'_>] = response.headers;
    let named = |wanted: &'static str| all.iter().filter(move |f| f.name.eq_ignore_ascii_case(wanted));
    let chunked = named("transfer-encoding").count() > 0;
    let mut reusable = response.version == Some(1) && !says_close(named("connection").map(|f| f.value));
    let declared = || match named("content-length").count() {
        0 => Ok(None),
        _ => content_length(named("content-length").map(|f| f.value))
            .map(Some)
            .ok_or(ExchangeError::Malformed("bad Content-Length")),
    };
    let framing = if status == StatusCode::NO_CONTENT {
        // A 204 has no length to declare (RFC 9110 section 8.6).
        Framing::Empty(None)
    } else if *method == Method::HEAD || status == StatusCode::NOT_MODIFIED {
        Framing::Empty(if chunked { None } else { declared()? })
    } else if chunked {
        if !only_chunked(named("transfer-encoding").map(|f| f.value)) {
            return Err(ExchangeError::Malformed("a transfer coding other than chunked"));
        }
        // RFC 9112 section 6.3: chunked wins over a length, and the connection is not used again.
        reusable &= named("content-length").count() == 0;
        Framing::Chunked
    } else if let Some(length) = declared()? {
        Framing::Length(length)
    } else {
        reusable = false;
        Framing::UntilClose
    };
    let rules = AnswerRules::new(named("connection").map(|f| f.value));
    // Names and values are as httparse admitted them: tokens, and HTAB, SP, VCHAR and obs-text,
    // exactly what `HeaderName` and `HeaderValue` admit, so they are written on as they came.
    let mut out = Vec::with_capacity(len);
    let mut dated = false;
    // Framing fields are Keyward's to write, from `framing`.
    for field in all {
        if field.name.eq_ignore_ascii_case("content-length")
            || field.name.eq_ignore_ascii_case("transfer-encoding")
            || field.name.eq_ignore_ascii_case("x-rate-limit")
            || !rules.passes(field.name, field.value)
        {
            continue;
        }
        dated |= field.name.eq_ignore_ascii_case("date");
        Wire(&mut out).raw(field.name, field.value);
    }
    Ok(Some((len, Some(Answer { status, fields: out, framing, reusable, dated }))))
}

fn says_close<'v>(mut values: impl Iterator<Item = &'v [u8]>) -> bool {
    values.any(|v| v.split(|b| *b == b',').any(|token| token.trim_ascii().eq_ignore_ascii_case(b"close")))
}

/// Exactly one transfer coding, `chunked`.
fn only_chunked<'v>(mut values: impl Iterator<Item = &'v [u8]>) -> bool {
    matches!((values.next(), values.next()), (Some(v), None) if v.trim_ascii().eq_ignore_ascii_case(b"chunked"))
}

/// Every `Content-Length` the same number (RFC 9110 section 8.6 lets a list repeat one).
fn content_length<'v>(values: impl Iterator<Item = &'v [u8]>) -> Option<u64> {
    let mut found = None;
    for value in values {
        for part in value.split(|b| *b == b',') {
            let part = part.trim_ascii();
            if part.is_empty() || part.len() > 18 || !part.iter().all(u8::is_ascii_digit) {
                return None;
            }
            let n = std::str::from_utf8(part).ok()?.parse::<u64>().ok()?;
            if found.is_some_and(|f| f != n) {
                return None;
            }
            found = Some(n);
        }
    }
    found
}

/// The request as the upstream gets it: its head (the target in origin form, the upstream's base
/// path then the client's path and query; HTTP/1.1; the client's fields rewritten by
/// [`headers::request`]), in one buffer for one write (the fast path forwards no body).
pub(crate) fn request_bytes(
    method: &Method,
    target: [&str; 2],
    fields: &HeaderMap,
    forwarding: &Forwarding<'_>,
) -> Vec<u8> {
    let mut out = Vec::with_capacity(512 + fields.len() * 48);
    out.extend_from_slice(method.as_str().as_bytes());
    out.push(b' ');
    out.extend_from_slice(target[0].as_bytes());
    out.extend_from_slice(target[1].as_bytes());
    out.extend_from_slice(b" HTTP/1.1\r\n");
    headers::request(fields, forwarding, &mut Wire(&mut out));
    out.extend_from_slice(b"\r\n");
    out
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::panic)]
    use super::*;

    fn answer(bytes: &[u8], method: Method) -> Result<Answer, ExchangeError> {
        let mut at = 0;
        loop {
            match parse_answer(&bytes[at..], &method)? {
                Some((_, Some(a))) => return Ok(a),
                Some((len, None)) => at += len,
                None => panic!("incomplete"),
            }
        }
    }

    fn fields(a: &Answer) -> String {
        String::from_utf8(a.fields.clone()).unwrap()
    }

    #[test]
    fn g2_an_answer_s_framing_follows_rfc_9112() {
        let a = answer(b"HTTP/1.1 200 OK\r\nContent-Length: 3\r\nServer: x\r\n\r\nok\n", Method::GET).unwrap();
        assert_eq!((a.framing, a.reusable, fields(&a).as_str()), (Framing::Length(3), true, "Server: x\r\n"));
        let a = answer(b"HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\n", Method::HEAD).unwrap();
        assert_eq!(a.framing, Framing::Empty(Some(3)), "HEAD keeps its length, written as Keyward's");
        assert_eq!(fields(&a), "");
        let a = answer(b"HTTP/1.1 204 No Content\r\nContent-Length: 20\r\n\r\n", Method::GET).unwrap();
        assert_eq!((a.framing, fields(&a).as_str()), (Framing::Empty(None), ""), "a 204 declares no length");
        let a = answer(b"HTTP/1.1 304 Not Modified\r\nContent-Length: 3, 3\r\n\r\n", Method::GET).unwrap();
        assert_eq!(a.framing, Framing::Empty(Some(3)));
        let two = answer(b"HTTP/1.1 200 OK\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\n", Method::HEAD);
        assert!(two.is_err(), "a HEAD answer declaring two lengths is refused");
        let a =
            answer(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nContent-Length: 3\r\n\r\n", Method::GET).unwrap();
        assert_eq!((a.framing, a.reusable, fields(&a).as_str()), (Framing::Chunked, false, ""));
        let a = answer(b"HTTP/1.1 200 OK\r\n\r\n", Method::GET).unwrap();
        assert_eq!((a.framing, a.reusable), (Framing::UntilClose, false));
        let a = answer(
            b"HTTP/1.1 200 OK\r\nConnection: close, X-Hop\r\nX-Hop: 1\r\nKeep-Alive: 5\r\nContent-Length: 0\r\n\r\n",
            Method::GET,
        )
        .unwrap();
        assert_eq!((a.reusable, fields(&a).as_str()), (false, ""), "hop-by-hop fields stay behind");
        let a = answer(b"HTTP/1.0 200 OK\r\nContent-Length: 0\r\n\r\n", Method::GET).unwrap();
        assert!(!a.reusable);
        let a = answer(
            b"HTTP/1.1 103 Early Hints\r\nLink: </a>\r\n\r\nHTTP/1.1 201 Created\r\nContent-Length: 0\r\n\r\n",
            Method::POST,
        )
        .unwrap();
        assert_eq!(a.status, StatusCode::CREATED);
        let a = answer(
            b"HTTP/1.1 200 OK\r\nSet-Cookie: keyward_session=planted\r\nSet-Cookie: app=1\r\nX-Rate-Limit: forged\r\nContent-Length: 0\r\n\r\n",
            Method::GET,
        )
        .unwrap();
        assert_eq!(fields(&a), "Set-Cookie: app=1\r\n", "Keyward's cookies and X-Rate-Limit are Keyward's");
    }

    #[test]
    fn g2_an_answer_framed_two_ways_or_oddly_is_refused() {
        for bytes in [
            &b"HTTP/1.1 200 OK\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\n"[..],
            b"HTTP/1.1 200 OK\r\nContent-Length: -3\r\n\r\n",
            b"HTTP/1.1 200 OK\r\nContent-Length: 3, 4\r\n\r\n",
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\n",
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n",
            b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n\r\n",
            b"HTTP/1.1 2000 OK\r\n\r\n",
            b"NOT HTTP\r\n\r\n",
        ] {
            assert!(answer(bytes, Method::GET).is_err(), "{}", String::from_utf8_lossy(bytes));
        }
        let a = answer(b"HTTP/1.1 200 OK\r\nContent-Length: 3, 3\r\n\r\n", Method::GET).unwrap();
        assert_eq!(a.framing, Framing::Length(3));
    }
}
