//! G2 for WebSockets: the handshake is admitted like every request (G1) and forwarded with
//! Keyward's identity headers; once the upstream has accepted it (`101` with `Upgrade: websocket`
//! and the `Sec-WebSocket-Accept` of the client's key), the two connections are joined and bytes
//! pass both ways unread.
//!
//! Only WebSockets are tunnelled (RFC 6455 section 4: `GET`, `Upgrade: websocket`, a key and a
//! version). Any other protocol a client asks to switch to is not, `h2c` above all: joined, it
//! would let the client speak HTTP/2 to the upstream past admission, forging identity headers.
//!
//! A tunnel is admitted once, at its handshake, and then outlives any token, so it is watched:
//! once a second the node asks whether the request would still be admitted as far as the key goes
//! (its key table fresh, the key not revoked or ended, its member and team still there, the
//! route's area still open to the key's current roles) and closes both connections when not. A
//! tunnel holds its key's in-flight slot (if there is a cap) while it is open.

use std::time::Duration;

use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use hyper::upgrade::OnUpgrade;
use hyper_util::rt::TokioIo;
use keyward_core::ids::KeyId;

use crate::AppState;
use crate::auth::gate;

/// How often an open tunnel's key is looked at.
const WATCH_EVERY: Duration = Duration::from_secs(1);
/// A tunnel with no byte either way for this long is closed: a client gone without a word (or
/// one side closed while the other stays quiet) would otherwise hold its task, two connections
/// and its key's in-flight place for as long as the key lasts. WebSocket pings count as bytes.
const IDLE_LIMIT: Duration = Duration::from_secs(300);
/// RFC 6455 section 1.3: appended to the client's key before hashing.
const ACCEPT_GUID: &str = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";

/// A client's WebSocket handshake, read before hop-by-hop headers are removed.
#[derive(Debug, Clone)]
pub(crate) struct Handshake {
    key: String,
}

/// The handshake `method` and `headers` make, if they make one: `GET`, `Connection: upgrade`, one
/// `Upgrade: websocket`, `Sec-WebSocket-Key` and `Sec-WebSocket-Version`.
pub(crate) fn requested(method: &Method, headers: &HeaderMap) -> Option<Handshake> {
    let asks = headers
        .get_all(header::CONNECTION)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .any(|token| token.trim().eq_ignore_ascii_case("upgrade"));
    let mut protocols = headers.get_all(header::UPGRADE).iter();
    let websocket = match (protocols.next(), protocols.next()) {
        (Some(p), None) => p.as_bytes().eq_ignore_ascii_case(b"websocket"),
        _ => false,
    };
    let mut keys = headers.get_all(header::SEC_WEBSOCKET_KEY).iter();
    let key = match (keys.next(), keys.next()) {
        (Some(k), None) => k.to_str().ok()?.trim().to_owned(),
        _ => return None,
    };
    let versioned = headers.contains_key(header::SEC_WEBSOCKET_VERSION);
    (method == Method::GET && asks && websocket && versioned && !key.is_empty()).then_some(Handshake { key })
}

impl Handshake {
    /// Whether the upstream's answer accepted this handshake: `101`, `Upgrade: websocket`, and
    /// the `Sec-WebSocket-Accept` that only an upstream that read this key can give.
    pub fn accepted(&self, status: StatusCode, headers: &HeaderMap) -> bool {
        let upgrade = headers.get(header::UPGRADE).is_some_and(|v| v.as_bytes().eq_ignore_ascii_case(b"websocket"));
        let accept =
            headers.get(header::SEC_WEBSOCKET_ACCEPT).is_some_and(|v| v.as_bytes() == self.accept().as_bytes());
        status == StatusCode::SWITCHING_PROTOCOLS && upgrade && accept
    }

    fn accept(&self) -> String {
        use base64::Engine;
        let digest = aws_lc_rs::digest::digest(
            &aws_lc_rs::digest::SHA1_FOR_LEGACY_USE_ONLY,
            format!("{}{ACCEPT_GUID}", self.key).as_bytes(),
        );
        base64::engine::general_purpose::STANDARD.encode(digest.as_ref())
    }
}

/// Puts the switch back on a handshake or its `101` once hop-by-hop headers were removed.
pub(crate) fn ask_to_switch(headers: &mut HeaderMap) {
    headers.insert(header::CONNECTION, HeaderValue::from_static("upgrade"));
    headers.insert(header::UPGRADE, HeaderValue::from_static("websocket"));
}

/// Joins the client's connection to the upstream's once both have switched, until either side
/// closes or the request would no longer be admitted (`path`: the handshake's, a `GET` under one
/// of the policy's routes). `held` (the in-flight slot) lasts as long.
pub(crate) fn join(
    state: AppState,
    key: KeyId,
    path: String,
    client: OnUpgrade,
    upstream: OnUpgrade,
    held: impl Send + 'static,
) {
    tokio::spawn(async move {
        let _held = held;
        let (client, upstream) = match tokio::join!(client, upstream) {
            (Ok(client), Ok(upstream)) => (client, upstream),
            (client, upstream) => {
                tracing::debug!(client = ?client.err(), upstream = ?upstream.err(), "an upgrade did not complete");
                return;
            }
        };
        let activity = Activity::default();
        let mut client = Watched { io: TokioIo::new(client), activity: activity.clone() };
        let mut upstream = Watched { io: TokioIo::new(upstream), activity: activity.clone() };
        tokio::select! {
            _ = tokio::io::copy_bidirectional(&mut client, &mut upstream) => {}
            why = until_closed(&state, &key, &path, &activity) => {
                tracing::info!(key = %key, %path, "closing a WebSocket through the gateway: {why}");
            }
        }
    });
}

/// Why a watched tunnel is closed, when it is.
async fn until_closed(state: &AppState, key: &KeyId, path: &str, activity: &Activity) -> &'static str {
    let mut every = tokio::time::interval(WATCH_EVERY);
    every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        every.tick().await;
        if !still_admitted(state, key, path) {
            return "its key may no longer open it";
        }
        if activity.idle() > IDLE_LIMIT {
            return "nothing passed either way for five minutes";
        }
    }
}

/// When bytes last passed a tunnel, either way.
#[derive(Clone)]
struct Activity(std::sync::Arc<std::sync::Mutex<std::time::Instant>>);

impl Default for Activity {
    fn default() -> Activity {
        Activity(std::sync::Arc::new(std::sync::Mutex::new(std::time::Instant::now())))
    }
}

impl Activity {
    fn touch(&self) {
        *self.0.lock().unwrap_or_else(std::sync::PoisonError::into_inner) = std::time::Instant::now();
    }

    fn idle(&self) -> Duration {
        self.0.lock().unwrap_or_else(std::sync::PoisonError::into_inner).elapsed()
    }
}

/// One side of a tunnel, noting each read that brought bytes.
struct Watched<T> {
    io: T,
    activity: Activity,
}

impl<T: tokio::io::AsyncRead + Unpin> tokio::io::AsyncRead for Watched<T> {
    fn poll_read(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
        buf: &mut tokio::io::ReadBuf<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        let before = buf.filled().len();
        let read = std::pin::Pin::new(&mut self.io).poll_read(cx, buf);
        if buf.filled().len() > before {
            self.activity.touch();
        }
        read
    }
}

impl<T: tokio::io::AsyncWrite + Unpin> tokio::io::AsyncWrite for Watched<T> {
    fn poll_write(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
        data: &[u8],
    ) -> std::task::Poll<std::io::Result<usize>> {
        std::pin::Pin::new(&mut self.io).poll_write(cx, data)
    }

    fn poll_flush(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        std::pin::Pin::new(&mut self.io).poll_flush(cx)
    }

    fn poll_shutdown(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        std::pin::Pin::new(&mut self.io).poll_shutdown(cx)
    }
}

/// G1 again for an open tunnel, as far as it can be asked without a token: a stale key table
/// (a revocation elsewhere may be unread, as `gate::admit` reasons), a key out of standing, or an
/// area its current roles no longer open, each close it.
fn still_admitted(state: &AppState, key: &KeyId, path: &str) -> bool {
    if !state.feed_fresh() {
        return false;
    }
    let Some(standing) = state.replica.verifier.key_standing(key, gate::now()) else { return false };
    let Some(gateway) = state.gateway.as_deref() else { return false };
    let Some((route, rules)) = gateway.policy.route_for(path) else { return false };
    gateway.policy.authorize(route, rules, standing.kind, standing.roles, Method::GET.as_str()).is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn handshake() -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(header::CONNECTION, HeaderValue::from_static("keep-alive, Upgrade"));
        headers.insert(header::UPGRADE, HeaderValue::from_static("websocket"));
        headers.insert(header::SEC_WEBSOCKET_KEY, HeaderValue::from_static("dGhlIHNhbXBsZSBub25jZQ=="));
        headers.insert(header::SEC_WEBSOCKET_VERSION, HeaderValue::from_static("13"));
        headers
    }

    #[test]
    fn g2_only_websocket_handshakes_are_tunnelled() {
        assert!(requested(&Method::GET, &handshake()).is_some());
        assert!(requested(&Method::POST, &handshake()).is_none(), "a handshake is a GET");
        let mut h2c = handshake();
        h2c.insert(header::UPGRADE, HeaderValue::from_static("h2c"));
        assert!(requested(&Method::GET, &h2c).is_none(), "h2c would speak HTTP/2 past admission");
        let mut two = handshake();
        two.append(header::UPGRADE, HeaderValue::from_static("websocket"));
        assert!(requested(&Method::GET, &two).is_none(), "two Upgrade headers are ambiguous");
        let mut unasked = handshake();
        unasked.insert(header::CONNECTION, HeaderValue::from_static("keep-alive"));
        assert!(requested(&Method::GET, &unasked).is_none(), "Upgrade without Connection: upgrade");
        let mut keyless = handshake();
        keyless.remove(header::SEC_WEBSOCKET_KEY);
        assert!(requested(&Method::GET, &keyless).is_none());
    }

    #[test]
    fn g2_the_upstream_must_answer_the_clients_key() {
        let shake = requested(&Method::GET, &handshake()).expect("a handshake");
        let mut answer = HeaderMap::new();
        answer.insert(header::UPGRADE, HeaderValue::from_static("websocket"));
        // RFC 6455 section 1.3's example.
        answer.insert(header::SEC_WEBSOCKET_ACCEPT, HeaderValue::from_static("s3pPLMBiTxaQ9kYGzzhZRbK+xOo="));
        assert!(shake.accepted(StatusCode::SWITCHING_PROTOCOLS, &answer));
        assert!(!shake.accepted(StatusCode::OK, &answer));
        answer.insert(header::UPGRADE, HeaderValue::from_static("h2c"));
        assert!(!shake.accepted(StatusCode::SWITCHING_PROTOCOLS, &answer), "another protocol");
        answer.insert(header::UPGRADE, HeaderValue::from_static("websocket"));
        answer.insert(header::SEC_WEBSOCKET_ACCEPT, HeaderValue::from_static("bm90IHRoZSBrZXk="));
        assert!(!shake.accepted(StatusCode::SWITCHING_PROTOCOLS, &answer), "an accept for another key");
    }
}
