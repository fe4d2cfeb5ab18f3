//! A client's request head as the fast path reads it, and whether the fast path takes it.
//!
//! The fast path takes only requests without a body (no `Content-Length`, or `0`); anything else
//! (a body of any framing, `Expect`, upgrades, `CONNECT`, HTTP/1.0, a head hyper would refuse) is
//! hyper's, which streams bodies (G2: no whole body is buffered) and answers as before. That
//! leaves no request-smuggling surface here: the fast path never reads a body.

use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderName, HeaderValue, Method, Request, Uri, Version, header};

/// The longest request or answer head the fast path reads; a longer one is hyper's (or a 502).
pub(crate) const MAX_HEAD: usize = 64 * 1024;
/// The most header fields in a head, as hyper allows.
pub(crate) const MAX_HEADERS: usize = 100;

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
        Some((parts, close)) => Parsed::Head(Head { parts, len, close }),
        None => Parsed::Other,
    }
}

/// The head as `Parts`, and whether the client closes, when the fast path takes it.
fn taken(request: &httparse::Request<'_, '_>) -> Option<(Parts, bool)> {
    if request.version != Some(1) {
        return None;
    }
    let target = request.path?;
    if !target.starts_with('/') {
        return None;
    }
    let mut headers = HeaderMap::with_capacity(request.headers.len());
    let mut length = false;
    let mut close = false;
    for field in request.headers.iter() {
        let name = HeaderName::from_bytes(field.name.as_bytes()).ok()?;
        let value = HeaderValue::from_bytes(field.value).ok()?;
        if name == header::CONTENT_LENGTH {
            // One `Content-Length: 0`: any body, or any other framing, is hyper's.
            if length || value.as_bytes() != b"0" {
                return None;
            }
            length = true;
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
    if !headers.contains_key(header::HOST) {
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
    Some((out.into_parts().0, close))
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
        let h = head(b"DELETE /widgets/1?x=1 HTTP/1.1\r\nHost: a\r\nContent-Length: 0\r\nConnection: close\r\n\r\nGET");
        assert_eq!(h.parts.method, Method::DELETE);
        assert_eq!(h.parts.uri.path_and_query().unwrap().as_str(), "/widgets/1?x=1");
        assert_eq!((h.close, h.len), (true, 81));
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
            b"POST /w HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\nhello",
            b"POST /w HTTP/1.1\r\nHost: a\r\nContent-Length: 00\r\n\r\n",
            b"POST /w HTTP/1.1\r\nHost: a\r\nContent-Length: 0\r\nContent-Length: 0\r\n\r\n",
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
