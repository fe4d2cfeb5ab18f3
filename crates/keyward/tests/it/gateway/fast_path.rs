//! The proxy's fast path (plain HTTP, `gateway::wire`) against an upstream that answers with
//! exactly the bytes a test scripts: framings hyper's client would have read for Keyward before
//! (chunked with extensions and trailers, read to the close, two lengths), a kept-alive connection
//! the upstream drops, and clients that pipeline, mix Keyward's own paths in, or try to smuggle a
//! second request past admission.

use std::sync::{Arc, Mutex};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

use super::{AUDIENCE, Acme, apple_error, serve, write_policy};
use crate::common::{Keyward, Serving};
use keyward_store::Backend;

/// An upstream speaking raw HTTP/1.1; it records the head of every request it reads.
#[derive(Clone)]
struct Scripted {
    addr: String,
    heads: Arc<Mutex<Vec<String>>>,
}

impl Scripted {
    async fn start() -> Scripted {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let scripted = Scripted { addr: listener.local_addr().unwrap().to_string(), heads: Arc::default() };
        let heads = Arc::clone(&scripted.heads);
        tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                tokio::spawn(Scripted::connection(stream, Arc::clone(&heads)));
            }
        });
        scripted
    }

    fn heads(&self) -> Vec<String> {
        self.heads.lock().unwrap().clone()
    }

    async fn connection(mut stream: TcpStream, heads: Arc<Mutex<Vec<String>>>) {
        let mut buf = Vec::new();
        loop {
            let end = loop {
                if let Some(end) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
                    break end + 4;
                }
                let mut more = [0u8; 4096];
                match stream.read(&mut more).await {
                    Ok(0) | Err(_) => return,
                    Ok(n) => buf.extend_from_slice(&more[..n]),
                }
            };
            let head = String::from_utf8_lossy(&buf[..end]).into_owned();
            let length: usize = head
                .lines()
                .find_map(|l| l.to_ascii_lowercase().strip_prefix("content-length:").map(|v| v.trim().parse().unwrap()))
                .unwrap_or(0);
            while buf.len() < end + length {
                let mut more = [0u8; 4096];
                match stream.read(&mut more).await {
                    Ok(0) | Err(_) => return,
                    Ok(n) => buf.extend_from_slice(&more[..n]),
                }
            }
            let mut body = buf[end..end + length].to_vec();
            buf.drain(..end + length);
            if head.to_ascii_lowercase().contains("transfer-encoding: chunked") {
                match Scripted::chunked(&mut stream, &mut buf).await {
                    Some(decoded) => body = decoded,
                    None => return,
                }
            }
            heads.lock().unwrap().push(head.clone());
            let path = head.split_whitespace().nth(1).unwrap_or_default().to_owned();
            let answer: Vec<u8> = match path.as_str() {
                "/widgets/chunked" => b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nTrailer: X-Secret\r\n\r\n\
                    5;ext=1\r\nhello\r\n7\r\n, world\r\n0\r\nX-Secret: trailer\r\n\r\n"
                    .to_vec(),
                "/widgets/close" => b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\nuntil the end".to_vec(),
                "/widgets/two-lengths" => {
                    b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\nabc".to_vec()
                }
                "/widgets/drop" => b"HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\ndrop".to_vec(),
                _ => {
                    let text = format!("{} bytes", body.len());
                    format!("HTTP/1.1 200 OK\r\nContent-Length: {}\r\nX-Echo: {}\r\n\r\n{text}", text.len(), body.len())
                        .into_bytes()
                }
            };
            if stream.write_all(&answer).await.is_err() {
                return;
            }
            // `close` ends its body by closing; `drop` closes a kept-alive connection without a word.
            if path == "/widgets/close" || path == "/widgets/drop" {
                return;
            }
        }
    }
}

impl Scripted {
    /// A chunked request body, decoded (trailers skipped); `None` if the connection ends first.
    async fn chunked(stream: &mut TcpStream, buf: &mut Vec<u8>) -> Option<Vec<u8>> {
        let mut body = Vec::new();
        loop {
            let line = Scripted::line(stream, buf).await?;
            let size = usize::from_str_radix(line.split(';').next()?.trim(), 16).ok()?;
            if size == 0 {
                while !Scripted::line(stream, buf).await?.is_empty() {}
                return Some(body);
            }
            while buf.len() < size + 2 {
                Scripted::read_more(stream, buf).await?;
            }
            body.extend(buf.drain(..size));
            buf.drain(..2);
        }
    }

    async fn line(stream: &mut TcpStream, buf: &mut Vec<u8>) -> Option<String> {
        loop {
            if let Some(end) = buf.windows(2).position(|w| w == b"\r\n") {
                let line = String::from_utf8_lossy(&buf[..end]).into_owned();
                buf.drain(..end + 2);
                return Some(line);
            }
            Scripted::read_more(stream, buf).await?;
        }
    }

    async fn read_more(stream: &mut TcpStream, buf: &mut Vec<u8>) -> Option<()> {
        let mut more = [0u8; 4096];
        match stream.read(&mut more).await {
            Ok(0) | Err(_) => None,
            Ok(n) => {
                buf.extend_from_slice(&more[..n]);
                Some(())
            }
        }
    }
}

/// A node proxying to a scripted upstream, and an ADMIN team key's token for it.
async fn proxying() -> (Keyward, Scripted, Serving, String) {
    let kw = Keyward::new(Backend::Sqlite).await;
    let acme = Acme::new(&kw);
    let upstream = Scripted::start().await;
    let url = format!("http://{}", upstream.addr);
    let node = serve(&kw, &write_policy(&kw, Some(&url)), &[], &[]);
    let token = acme.admin(&kw, AUDIENCE);
    (kw, upstream, node, token)
}

/// Writes `request` on a new connection and reads until the peer closes.
async fn exchange(base: &str, request: &str) -> String {
    let mut stream = TcpStream::connect(base.trim_start_matches("http://")).await.unwrap();
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut answer = Vec::new();
    let _ = tokio::time::timeout(std::time::Duration::from_secs(10), stream.read_to_end(&mut answer)).await;
    String::from_utf8_lossy(&answer).into_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn g2_answers_framed_every_way_reach_the_client_whole() {
    let (_kw, upstream, node, token) = proxying().await;
    let client = reqwest::Client::new();

    let chunked = client.get(format!("{}/widgets/chunked", node.base)).bearer_auth(&token).send().await.unwrap();
    assert_eq!(chunked.status(), 200);
    assert!(chunked.headers().get("x-rate-limit").is_some());
    assert!(chunked.headers().get("trailer").is_none(), "Trailer is hop-by-hop");
    let date = chunked.headers().get("date").map(|v| v.to_str().unwrap().to_owned()).unwrap_or_default();
    assert!(httpdate::parse_http_date(&date).is_ok(), "a proxy adds the Date the upstream left out: {date:?}");
    assert_eq!(chunked.text().await.unwrap(), "hello, world", "chunks decoded and sent again, extensions dropped");

    let closed = client.get(format!("{}/widgets/close", node.base)).bearer_auth(&token).send().await.unwrap();
    assert_eq!(closed.status(), 200);
    assert_eq!(closed.text().await.unwrap(), "until the end", "a body read to the close arrives chunked");

    let broken = client.get(format!("{}/widgets/two-lengths", node.base)).bearer_auth(&token).send().await.unwrap();
    assert!(broken.headers().get("date").is_some(), "Keyward's own answers are dated");
    assert_eq!(apple_error(broken).await, (502, "BAD_GATEWAY".into()), "an answer framed two ways is not passed on");

    // The upstream drops each `drop` connection after answering: the next GET finds its kept-alive
    // connection gone and is sent again on a new one, without the client seeing it.
    for _ in 0..3 {
        let dropped = client.get(format!("{}/widgets/drop", node.base)).bearer_auth(&token).send().await.unwrap();
        assert_eq!(dropped.status(), 200);
        assert_eq!(dropped.text().await.unwrap(), "drop");
    }
    // A POST may not be sent twice, so it must never meet a connection the upstream closed while
    // it was idle (the upstream closed the last `drop` connection as it answered).
    tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    let after =
        client.post(format!("{}/widgets/echo", node.base)).bearer_auth(&token).body("12345").send().await.unwrap();
    assert_eq!(after.status(), 200);
    assert_eq!(after.text().await.unwrap(), "5 bytes");

    let head = client.head(format!("{}/widgets/echo", node.base)).bearer_auth(&token).send().await.unwrap();
    assert_eq!(head.status(), 200);
    assert_eq!(head.headers()["content-length"], "7", "HEAD keeps the length of what GET would send");
    assert!(upstream.heads().iter().all(|h| !h.to_ascii_lowercase().contains("authorization")));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn g2_pipelined_and_mixed_requests_on_one_connection_are_each_admitted() {
    let (_kw, upstream, node, token) = proxying().await;
    let host = node.base.trim_start_matches("http://");
    // Two proxied requests, one without a token, then one with a body (hyper's from there on,
    // G2: bodies stream), Keyward's own /healthz, and a proxied one again: one write, six answers
    // in order.
    let request = format!(
        "GET /widgets/a HTTP/1.1\r\nHost: {host}\r\nAuthorization: Bearer {token}\r\n\r\n\
         GET /widgets/b HTTP/1.1\r\nHost: {host}\r\n\r\n\
         DELETE /widgets/c HTTP/1.1\r\nHost: {host}\r\nAuthorization: Bearer {token}\r\nContent-Length: 0\r\n\r\n\
         POST /widgets/e HTTP/1.1\r\nHost: {host}\r\nAuthorization: Bearer {token}\r\nContent-Length: 3\r\n\r\nabc\
         GET /healthz HTTP/1.1\r\nHost: {host}\r\n\r\n\
         GET /widgets/d HTTP/1.1\r\nHost: {host}\r\nAuthorization: Bearer {token}\r\nConnection: close\r\n\r\n"
    );
    let answers = exchange(&node.base, &request).await;
    let statuses: Vec<&str> = answers.match_indices("HTTP/1.1 ").map(|(i, _)| &answers[i + 9..i + 12]).collect();
    assert_eq!(statuses, ["200", "401", "200", "200", "200", "200"], "{answers}");
    assert!(answers.contains("3 bytes"), "{answers}");
    let paths: Vec<String> =
        upstream.heads().iter().map(|h| h.split_whitespace().nth(1).unwrap_or_default().to_owned()).collect();
    assert_eq!(
        paths,
        ["/widgets/a", "/widgets/c", "/widgets/e", "/widgets/d"],
        "the unauthenticated request never left Keyward"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn g2_a_second_request_hidden_in_a_body_never_reaches_the_upstream_unadmitted() {
    let (_kw, upstream, node, token) = proxying().await;
    let host = node.base.trim_start_matches("http://");
    let smuggled = format!("GET /vault/secret HTTP/1.1\r\nHost: {host}\r\n\r\n");
    // CL.TE and TE.CL: framed two ways, the request is hyper's, which refuses or reads it one way;
    // either way the hidden request is a request of its own, refused without a token.
    let attempts = [
        format!(
            "POST /widgets/a HTTP/1.1\r\nHost: {host}\r\nAuthorization: Bearer {token}\r\nContent-Length: {}\r\n\
             Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n{smuggled}",
            5 + smuggled.len()
        ),
        format!(
            "POST /widgets/a HTTP/1.1\r\nHost: {host}\r\nAuthorization: Bearer {token}\r\nTransfer-Encoding: chunked\r\n\
             Content-Length: 3\r\n\r\n{:x}\r\n{smuggled}\r\n0\r\n\r\n",
            smuggled.len()
        ),
        format!(
            "POST /widgets/a HTTP/1.1\r\nHost: {host}\r\nAuthorization: Bearer {token}\r\nContent-Length: 0\r\n\
             Content-Length: {}\r\n\r\n{smuggled}",
            smuggled.len()
        ),
    ];
    for attempt in attempts {
        let _ = exchange(&node.base, &attempt).await;
    }
    assert!(
        upstream.heads().iter().all(|h| !h.contains("/vault/secret")),
        "a request hidden in a body reached the upstream: {:?}",
        upstream.heads()
    );
    // (The scripted upstream reads no chunked bodies: what hyper forwarded chunked reads as junk.)
    for head in upstream.heads().iter().filter(|h| h.lines().next().is_some_and(|l| l.ends_with(" HTTP/1.1"))) {
        assert!(head.to_ascii_lowercase().contains("x-keyward-key-id"), "every forwarded request was admitted: {head}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn g2_half_sent_requests_do_not_hold_a_stopping_node() {
    let (_kw, _upstream, mut node, token) = proxying().await;
    let host = node.base.trim_start_matches("http://").to_owned();
    let connect = || TcpStream::connect(host.clone());
    // Idle after an answer; half a head; a whole head and half its body (hyper's: it has a body).
    let mut idle = connect().await.unwrap();
    let whole = format!("GET /widgets/1 HTTP/1.1\r\nHost: {host}\r\nAuthorization: Bearer {token}\r\n\r\n");
    idle.write_all(whole.as_bytes()).await.unwrap();
    let mut answer = [0u8; 512];
    assert!(idle.read(&mut answer).await.unwrap() > 0);
    let mut half_head = connect().await.unwrap();
    half_head.write_all(b"GET /widgets/1 HTTP/1.1\r\nHo").await.unwrap();
    let mut half_body = connect().await.unwrap();
    let post = format!("POST /widgets/1 HTTP/1.1\r\nHost: {host}\r\nContent-Length: 100\r\n\r\nx");
    half_body.write_all(post.as_bytes()).await.unwrap();
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;

    // Exited well before the 30 s drain limit, and without a SIGKILL.
    let exited = node.exits_on_sigterm_within(std::time::Duration::from_secs(10)).await;
    assert!(exited, "the node still runs 10 s after SIGTERM, held by half-sent requests");
    for mut stream in [idle, half_head, half_body] {
        let mut rest = Vec::new();
        let read = tokio::time::timeout(std::time::Duration::from_secs(5), stream.read_to_end(&mut rest)).await;
        assert!(matches!(read, Ok(Ok(_)) | Ok(Err(_))), "every connection was closed");
        assert!(!String::from_utf8_lossy(&rest).contains("HTTP/1.1 200"), "nothing half-sent was answered");
    }
    drop(node);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn g2_a_head_that_arrives_in_pieces_is_read_whole() {
    let (_kw, upstream, node, token) = proxying().await;
    let host = node.base.trim_start_matches("http://");
    let head = format!("GET /widgets/pieces HTTP/1.1\r\nHost: {host}\r\nAuthorization: Bearer {token}\r\n\r\n");
    let mut stream = TcpStream::connect(host).await.unwrap();
    // Cut inside the request line, inside a name, between CR and LF, and between the last two lines.
    let cuts = [7, 20, 40, head.len() - 3, head.len() - 1];
    let mut at = 0;
    for cut in cuts.into_iter().chain([head.len()]) {
        stream.write_all(&head.as_bytes()[at..cut]).await.unwrap();
        at = cut;
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    let mut answer = vec![0u8; 4096];
    let n = tokio::time::timeout(std::time::Duration::from_secs(5), stream.read(&mut answer)).await.unwrap().unwrap();
    assert!(
        String::from_utf8_lossy(&answer[..n]).starts_with("HTTP/1.1 200 OK"),
        "{}",
        String::from_utf8_lossy(&answer[..n])
    );
    assert_eq!(upstream.heads().len(), 1);
}
