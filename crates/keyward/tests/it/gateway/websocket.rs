//! G2 with WebSockets (#24, item 7): an upgrade passes the gateway only once admitted, reaches the
//! upstream with Keyward's identity headers and without the token, carries messages both ways,
//! and is closed when its key is revoked. Both ends are the `websockets` package from PyPI.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use keyward_store::Backend;
use serde_json::Value;

use super::{AUDIENCE, Acme, serve, write_policy};
use crate::common::{Keyward, python};

const PEER: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../tests/python/websocket_peer.py");

/// The upstream: a `websockets` echo server that also tells the handshake's headers.
struct EchoServer {
    child: Child,
    url: String,
}

impl EchoServer {
    fn start() -> EchoServer {
        let mut child = Command::new(python()).args([PEER, "server"]).stdout(Stdio::piped()).spawn().unwrap();
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap()).read_line(&mut line).unwrap();
        let port: u16 = line.trim().parse().unwrap_or_else(|_| panic!("no port from the echo server: {line:?}"));
        EchoServer { child, url: format!("http://127.0.0.1:{port}") }
    }
}

impl Drop for EchoServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Runs the client against `url`; its JSON lines.
fn client(url: &str, token: &str, hold: Option<u32>) -> Vec<Value> {
    let mut args = vec![PEER.to_owned(), "client".into(), url.to_owned(), token.to_owned()];
    if let Some(seconds) = hold {
        args.extend(["hold".to_owned(), seconds.to_string()]);
    }
    let out = Command::new(python()).args(&args).output().unwrap();
    assert!(out.status.success(), "websocket client failed: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).unwrap().lines().map(|l| serde_json::from_str(l).unwrap()).collect()
}

fn ws(base: &str, path: &str) -> String {
    format!("{}{path}", base.replacen("http://", "ws://", 1))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn g2_websockets_pass_once_admitted_with_keywards_identity() {
    let kw = Keyward::new(Backend::Sqlite).await;
    let acme = Acme::new(&kw);
    let upstream = EchoServer::start();
    let node = serve(&kw, &write_policy(&kw, Some(&upstream.url)), &[], &[]);

    let lines = client(&ws(&node.base, "/widgets/live"), &acme.admin(&kw, AUDIENCE), None);
    assert_eq!(lines[0]["echo"], "hello", "messages pass both ways: {lines:?}");
    let headers = &lines[0]["headers"];
    assert_eq!(headers["x-keyward-key-id"][0], acme.admin_key.as_str(), "{headers}");
    assert_eq!(headers["x-keyward-issuer-id"][0], acme.issuer.as_str());
    assert_eq!(headers["x-keyward-key-kind"][0], "team");
    assert_eq!(headers["upgrade"][0], "websocket");
    assert!(headers.get("authorization").is_none(), "the token stays with Keyward: {headers}");
    assert!(headers["sec-websocket-key"].is_array(), "the handshake reaches the upstream whole: {headers}");

    // An individual key carries its member.
    let lines = client(&ws(&node.base, "/widgets/live"), &acme.individual(&kw), None);
    assert_eq!(lines[0]["headers"]["x-keyward-key-kind"][0], "individual");
    assert!(lines[0]["headers"]["x-keyward-member-id"].is_array());

    // Refused before any upstream sees them, in Apple's shape.
    let refused = client(&ws(&node.base, "/widgets/live"), "not-a-token", None);
    assert_eq!(refused[0]["refused"], 401, "{refused:?}");
    let body: Value = serde_json::from_str(refused[0]["body"].as_str().unwrap()).unwrap();
    assert_eq!(body["errors"][0]["code"], "NOT_AUTHORIZED");
    let refused = client(&ws(&node.base, "/vault/live"), &acme.developer(&kw), None);
    assert_eq!(refused[0]["refused"], 403, "a DEVELOPER may not open the ADMIN-only area: {refused:?}");
    let refused = client(&ws(&node.base, "/vault/live"), &acme.individual(&kw), None);
    assert_eq!(refused[0]["refused"], 403, "no individual keys in /vault: {refused:?}");
    // An area that has not opted in gets the handshake as a plain request: nothing is switched.
    let plain = client(&ws(&node.base, "/vault/live"), &acme.admin(&kw, AUDIENCE), None);
    let status = plain[0]["refused"].as_u64().unwrap_or(0);
    assert!((400..500).contains(&status), "no tunnel where the area has not opted in: {plain:?}");
}

// K11 over a WebSocket: an open connection does not outlive its key's revocation.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn g2_a_websocket_closes_when_its_key_is_revoked() {
    let kw = Keyward::new(Backend::Sqlite).await;
    let acme = Acme::new(&kw);
    let upstream = EchoServer::start();
    let node = serve(&kw, &write_policy(&kw, Some(&upstream.url)), &[], &[]);
    let token = acme.admin(&kw, AUDIENCE);
    let url = ws(&node.base, "/widgets/live");

    assert_closed_by(&url, &token, || {
        kw.ok(&["admin", "key", "revoke", "--team", "Acme", &acme.admin_key]);
    });
}

/// Holds a WebSocket open at `url`, does `act` three seconds in, and asserts that the connection
/// was closed under 10 s after it (a client still open is one nothing closed).
fn assert_closed_by(url: &str, token: &str, act: impl FnOnce()) {
    let (url, token) = (url.to_owned(), token.to_owned());
    let held = std::thread::spawn(move || client(&url, &token, Some(30)));
    std::thread::sleep(Duration::from_secs(3));
    let acted_at = Instant::now();
    act();
    let lines = held.join().unwrap();
    assert_eq!(lines[0]["echo"], "hello", "{lines:?}");
    assert!(lines[1].get("closed_after").is_some(), "the connection outlived it: {lines:?}");
    assert!(acted_at.elapsed() < Duration::from_secs(10), "closed {:?} after", acted_at.elapsed());
}

/// Sends `request` as written (it asks to close the connection) and returns the whole answer.
async fn raw(base: &str, request: &str) -> String {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut stream = tokio::net::TcpStream::connect(base.trim_start_matches("http://")).await.unwrap();
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut answer = Vec::new();
    tokio::time::timeout(Duration::from_secs(5), stream.read_to_end(&mut answer)).await.unwrap().unwrap();
    String::from_utf8_lossy(&answer).into_owned()
}

// Only WebSockets are tunnelled: `Upgrade: h2c` (with its settings) would let a client speak HTTP/2
// to the upstream past admission, so it reaches the upstream as a plain request without either
// header; and an upstream's `101` that does not accept the client's key joins nothing (502).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn g2_no_other_protocol_and_no_false_switch_is_tunnelled() {
    let kw = Keyward::new(Backend::Sqlite).await;
    let acme = Acme::new(&kw);
    let upstream = super::upstream::Upstream::start().await;
    let node = serve(&kw, &write_policy(&kw, Some(&upstream.url())), &[], &[]);
    let token = acme.admin(&kw, AUDIENCE);
    let host = node.base.trim_start_matches("http://");

    let h2c = raw(
        &node.base,
        &format!(
            "GET /widgets/1 HTTP/1.1\r\nHost: {host}\r\nAuthorization: Bearer {token}\r\nConnection: Upgrade, close\r\n\
             Upgrade: h2c\r\nHTTP2-Settings: AAMAAABkAARAAAAAAAIAAAAA\r\n\r\n"
        ),
    )
    .await;
    assert!(h2c.starts_with("HTTP/1.1 200"), "answered as a plain request: {h2c}");
    let seen: Value = serde_json::from_str(h2c.split("\r\n\r\n").nth(1).unwrap()).unwrap();
    for header in ["upgrade", "http2-settings", "connection"] {
        assert!(seen["headers"].get(header).is_none(), "{header} reached the upstream: {seen}");
    }

    let false_switch = raw(
        &node.base,
        &format!(
            "GET /widgets/false-switch HTTP/1.1\r\nHost: {host}\r\nAuthorization: Bearer {token}\r\n\
             Connection: Upgrade, close\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\n\
             Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n"
        ),
    )
    .await;
    assert!(false_switch.starts_with("HTTP/1.1 502"), "{false_switch}");
}

// An open WebSocket is asked about again: its member demoted to a role the area does not admit
// closes it, as a revocation does.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn g2_a_websocket_closes_when_its_key_loses_the_areas_roles() {
    let kw = Keyward::new(Backend::Sqlite).await;
    let acme = Acme::new(&kw);
    let upstream = EchoServer::start();
    let node = serve(&kw, &write_policy(&kw, Some(&upstream.url)), &[], &[]);
    let token = acme.individual(&kw);
    let url = ws(&node.base, "/widgets/live");

    assert_closed_by(&url, &token, || {
        kw.ok(&["admin", "member", "set-roles", "--team", "Acme", "--email", "boss@acme.test", "--roles", "MARKETING"]);
    });
}
