//! A client's request head as the fast path reads it, and whether the fast path takes it.
//!
//! The fast path takes only what it can forward with one framing rule, a `Content-Length` body
//! small enough to read whole; anything else (chunked or oversized bodies, `Expect`, upgrades,
//! HTTP/1.0, a head hyper would refuse) is hyper's, which then answers it as before. That keeps
//! the request-smuggling surface here to one integer.

use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderName, HeaderValue, Method, Request, Uri, Version, header};

/// The longest request or answer head the fast path reads; a longer one is hyper's (or a 502).
pub(crate) const MAX_HEAD: usize = 64 * 1024;
/// The most header fields in a head, as hyper allows.
pub(crate) const MAX_HEADERS: usize = 100;
/// The largest body the fast path reads whole before forwarding; a larger one streams through hyper.
pub(crate) const MAX_BODY: usize = 64 * 1024;

/// What the bytes read so far hold.
// Returned once per request and moved once: a box would cost an allocation per request instead.
#[allow(clippy::large_enum_variant)]
pub(crate) enum Parsed {
    /// Not a whole head yet.
    Incomplete,
    /// A head the fast path takes.
    Head(Head),
    /// A head (or bytes) for hyper.
    Other,
}

/// A request head the fast path takes.
#[derive(Debug)]
pub(crate) struct Head {
    /// Method, target (origin form), HTTP/1.1 and the header fields as they came.
    pub parts: Parts,
    /// How many bytes the head took.
    pub len: usize,
    /// The body's length (`Content-Length`, 0 without one).
    pub body: usize,
    /// The client asked to close the connection after this answer.
    pub close: bool,
}

/// Reads a request head from the start of `buf`.
pub(crate) fn parse(buf: &[u8]) -> Parsed {
    let mut fields = [httparse::EMPTY_HEADER; MAX_HEADERS];
    let mut request = httparse::Request::new(&mut fields);
    let len = match request.parse(buf) {
        Ok(httparse::Status::Complete(len)) => len,
        Ok(httparse::Status::Partial) if buf.len() < MAX_HEAD => return Parsed::Incomplete,
        _ => return Parsed::Other,
    };
    match taken(&request) {
        Some((parts, body, close)) => Parsed::Head(Head { parts, len, body, close }),
        None => Parsed::Other,
    }
}

/// The head as `Parts`, its body's length and whether the client closes, when the fast path takes it.
fn taken(request: &httparse::Request<'_, '_>) -> Option<(Parts, usize, bool)> {
    if request.version != Some(1) {
        return None;
    }
    let target = request.path?;
    if !target.starts_with('/') {
        return None;
    }
    let mut headers = HeaderMap::with_capacity(request.headers.len());
    let mut body = None;
    let mut close = false;
    for field in request.headers.iter() {
        let name = HeaderName::from_bytes(field.name.as_bytes()).ok()?;
        let value = HeaderValue::from_bytes(field.value).ok()?;
        if name == header::CONTENT_LENGTH {
            // One `Content-Length`, digits only: any other framing is hyper's to judge.
            if body.is_some() || value.is_empty() || value.len() > 7 || !value.as_bytes().iter().all(u8::is_ascii_digit)
            {
                return None;
            }
            body = Some(value.to_str().ok()?.parse::<usize>().ok()?);
        } else if name == header::TRANSFER_ENCODING || name == header::UPGRADE || name == header::EXPECT {
            return None;
        } else if name == header::CONNECTION {
            for token in value.to_str().ok()?.split(',').map(str::trim) {
                if token.eq_ignore_ascii_case("close") {
                    close = true;
                } else if token.eq_ignore_ascii_case("upgrade") {
                    return None;
                }
            }
        }
        headers.append(name, value);
    }
    let body = body.unwrap_or(0);
    if body > MAX_BODY || !headers.contains_key(header::HOST) {
        return None;
    }
    let method = Method::from_bytes(request.method?.as_bytes()).ok()?;
    // A 2xx to CONNECT turns the connection into a tunnel (RFC 9112 section 6.3): hyper's to judge.
    if method == Method::CONNECT {
        return None;
    }
    let mut out = Request::new(());
    *out.method_mut() = method;
    *out.uri_mut() = Uri::try_from(target).ok()?;
    *out.version_mut() = Version::HTTP_11;
    *out.headers_mut() = headers;
    Some((out.into_parts().0, body, close))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::panic)]
    use super::*;

    fn head(bytes: &[u8]) -> Head {
        match parse(bytes) {
            Parsed::Head(h) => h,
            Parsed::Incomplete => panic!("incomplete"),
            Parsed::Other => panic!("other"),
        }
    }

    fn other(bytes: &[u8]) -> bool {
        matches!(parse(bytes), Parsed::Other)
    }

    #[test]
    fn g2_a_plain_request_is_taken_with_its_length_and_close() {
        let h = head(b"POST /widgets/1?x=1 HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\nConnection: close\r\n\r\nhello");
        assert_eq!(h.parts.method, Method::POST);
        assert_eq!(h.parts.uri.path_and_query().unwrap().as_str(), "/widgets/1?x=1");
        assert_eq!((h.body, h.close, h.len), (5, true, 79));
        assert!(matches!(parse(b"GET /widgets HTTP/1.1\r\nHost: a\r\n"), Parsed::Incomplete));
    }

    #[test]
    fn g2_any_other_framing_is_hyper_s() {
        for bytes in [
            &b"POST /w HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n"[..],
            b"POST /w HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n",
            b"POST /w HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\nContent-Length: 5\r\n\r\n",
            b"POST /w HTTP/1.1\r\nHost: a\r\nContent-Length: +5\r\n\r\n",
            b"POST /w HTTP/1.1\r\nHost: a\r\nContent-Length: 99999999\r\n\r\n",
            b"POST /w HTTP/1.1\r\nHost: a\r\nExpect: 100-continue\r\nContent-Length: 5\r\n\r\n",
            b"GET /w HTTP/1.1\r\nHost: a\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n",
            b"GET /w HTTP/1.0\r\nHost: a\r\n\r\n",
            b"CONNECT /w HTTP/1.1\r\nHost: a\r\n\r\n",
            b"GET /w HTTP/1.1\r\n\r\n",
            b"GET http://a/w HTTP/1.1\r\nHost: a\r\n\r\n",
            b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n",
            b"GET /w HTTP/1.1\r\nHost: a\r\nBad Name: x\r\n\r\n",
        ] {
            assert!(other(bytes), "{}", String::from_utf8_lossy(bytes));
        }
    }

    #[test]
    fn g2_a_head_too_long_is_hyper_s() {
        let mut bytes = b"GET /w HTTP/1.1\r\nHost: a\r\nX-Long: ".to_vec();
        bytes.resize(MAX_HEAD + 1, b'a');
        assert!(other(&bytes));
    }
}
