//! K11, K14, T15: revocation (and member removal) takes effect before the call returns: 8 clients
//! hammer with a valid token while it happens; every request that starts after the call returned
//! gets 401.
#![allow(clippy::unwrap_used)]

mod common;

use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use common::*;
use keyward_server::lifecycle;

const CLIENTS: usize = 8;

/// Runs `CLIENTS` request loops with `token` while `act` runs; returns (start, status) of each
/// request and the instant `act` returned.
async fn hammer<F, Fut>(srv: &Server, token: String, act: F) -> (Vec<(Instant, u16)>, Instant)
where
    F: FnOnce() -> Fut,
    Fut: Future<Output = ()>,
{
    let stop = Arc::new(AtomicBool::new(false));
    let mut clients = Vec::new();
    for _ in 0..CLIENTS {
        let (stop, client, url, token) =
            (stop.clone(), srv.client.clone(), format!("{}/v1/apps", srv.base), token.clone());
        clients.push(tokio::spawn(async move {
            let mut seen = Vec::new();
            while !stop.load(Ordering::SeqCst) {
                let started = Instant::now();
                let status = client.get(&url).bearer_auth(&token).send().await.unwrap().status().as_u16();
                seen.push((started, status));
            }
            seen
        }));
    }
    tokio::time::sleep(Duration::from_millis(150)).await;
    act().await;
    let returned = Instant::now();
    tokio::time::sleep(Duration::from_millis(150)).await;
    stop.store(true, Ordering::SeqCst);
    let mut all = Vec::new();
    for c in clients {
        all.extend(c.await.unwrap());
    }
    (all, returned)
}

fn check(results: &[(Instant, u16)], returned: Instant) {
    let before = results.iter().filter(|(s, code)| *s < returned && *code == 200).count();
    let after: Vec<u16> = results.iter().filter(|(s, _)| *s > returned).map(|(_, c)| *c).collect();
    assert!(before > 0, "the token worked before");
    assert!(!after.is_empty(), "requests were sent after the call returned");
    assert!(after.iter().all(|c| *c == 401), "a request started after the call returned was not refused: {after:?}");
}

server_test!(k11_requests_after_the_revoke_returned_all_fail, |srv: Server| async move {
    let team = srv.team("Acme").await;
    let key = srv.team_key(&team, "DEVELOPER").await;
    let (results, returned) = hammer(&srv, key.token(), || async {
        lifecycle::revoke_keys(&srv.state, team.team.id, std::slice::from_ref(&key.id), &operator()).await.unwrap();
    })
    .await;
    check(&results, returned);
});

server_test!(k14_requests_after_the_member_was_removed_all_fail, |srv: Server| async move {
    let team = srv.team("Acme").await;
    let key = srv.individual_key(&team, "dev@acme.test", "DEVELOPER", None).await;
    let member = key.member.unwrap();
    let (results, returned) = hammer(&srv, key.token(), || async {
        lifecycle::remove_member(&srv.state, team.team.id, member, &operator()).await.unwrap();
    })
    .await;
    check(&results, returned);
});
