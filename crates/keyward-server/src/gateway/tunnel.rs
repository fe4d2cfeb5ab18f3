//! G2 for WebSockets (and any other HTTP/1.1 `Upgrade`): the handshake is admitted like every
//! request (G1) and forwarded with Keyward's identity headers; once the upstream answers
//! `101 Switching Protocols`, the two connections are joined and bytes pass both ways unread.
//!
//! A tunnel is admitted once, at its handshake, and then outlives any token: so it is watched
//! instead. Once a second, the node's key table is asked whether the key is still in good
//! standing; a revoked or ended key (K11, X3, X4), a removed member or a team whose access was
//! withdrawn closes the tunnel. A tunnel holds its key's in-flight slot (if there is a cap) while
//! it is open.

use std::time::Duration;

use axum::http::{HeaderMap, HeaderValue, header};
use hyper::upgrade::OnUpgrade;
use hyper_util::rt::TokioIo;
use keyward_core::ids::KeyId;

use crate::AppState;
use crate::auth::gate;

/// How often an open tunnel's key is looked at.
const WATCH_EVERY: Duration = Duration::from_secs(1);

/// The protocol a request asks to switch to (`Upgrade: websocket` with `Connection: upgrade`),
/// read before hop-by-hop headers are removed.
pub(crate) fn requested(headers: &HeaderMap) -> Option<HeaderValue> {
    let asks = headers
        .get_all(header::CONNECTION)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .any(|token| token.trim().eq_ignore_ascii_case("upgrade"));
    let mut protocols = headers.get_all(header::UPGRADE).iter();
    match (asks, protocols.next(), protocols.next()) {
        (true, Some(protocol), None) => Some(protocol.clone()),
        _ => None,
    }
}

/// Puts the switch back on a request or a `101` answer whose hop-by-hop headers were removed.
pub(crate) fn ask_to_switch(headers: &mut HeaderMap, protocol: HeaderValue) {
    headers.insert(header::CONNECTION, HeaderValue::from_static("upgrade"));
    headers.insert(header::UPGRADE, protocol);
}

/// Joins the client's connection to the upstream's once both have switched, until either side
/// closes or the key stops being in good standing. `held` (the in-flight slot) lasts as long.
pub(crate) fn join(state: AppState, key: KeyId, client: OnUpgrade, upstream: OnUpgrade, held: impl Send + 'static) {
    tokio::spawn(async move {
        let _held = held;
        let (client, upstream) = match tokio::join!(client, upstream) {
            (Ok(client), Ok(upstream)) => (client, upstream),
            (client, upstream) => {
                tracing::debug!(client = ?client.err(), upstream = ?upstream.err(), "an upgrade did not complete");
                return;
            }
        };
        let (mut client, mut upstream) = (TokioIo::new(client), TokioIo::new(upstream));
        tokio::select! {
            _ = tokio::io::copy_bidirectional(&mut client, &mut upstream) => {}
            () = until_out_of_standing(&state, &key) => {
                tracing::info!(key = %key, "closing a tunnel through the gateway: its key is no longer in good standing");
            }
        }
    });
}

async fn until_out_of_standing(state: &AppState, key: &KeyId) {
    let mut every = tokio::time::interval(WATCH_EVERY);
    every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        every.tick().await;
        if !state.replica.verifier.key_in_good_standing(key, gate::now()) {
            return;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn g2_an_upgrade_is_asked_with_connection_upgrade_and_one_protocol() {
        let mut headers = HeaderMap::new();
        headers.insert(header::UPGRADE, HeaderValue::from_static("websocket"));
        assert_eq!(requested(&headers), None, "Upgrade without Connection: upgrade is not a request to switch");
        headers.insert(header::CONNECTION, HeaderValue::from_static("keep-alive, Upgrade"));
        assert_eq!(requested(&headers), Some(HeaderValue::from_static("websocket")));
        headers.append(header::UPGRADE, HeaderValue::from_static("h2c"));
        assert_eq!(requested(&headers), None, "two Upgrade headers are ambiguous: not switched");
    }
}
