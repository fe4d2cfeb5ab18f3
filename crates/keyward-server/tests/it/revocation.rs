//! K11, K14, T15: revocation (and member removal) takes effect before the call returns: 8 clients
//! hammer with a valid token while it happens; every request that starts after the call returned
//! gets 401.
#![allow(clippy::unwrap_used)]

use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use crate::common::*;
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

/// T15 under concurrency: `CLIENTS` clients each sign a fresh token for every request to `path`
/// while `act` runs; every token ever accepted is replayed after `act` returned.
async fn fresh_tokens_then_replay<F, Fut>(srv: &Server, key: &Key, path: &str, act: F) -> Vec<u16>
where
    F: FnOnce() -> Fut,
    Fut: Future<Output = ()>,
{
    let stop = Arc::new(AtomicBool::new(false));
    let key = Arc::new(Key {
        id: key.id.clone(),
        team: key.team,
        issuer: key.issuer,
        private: keyward_token::keypair::PrivateKeyPem::from_pem(key.private.expose()).unwrap(),
        member: key.member,
    });
    let mut clients = Vec::new();
    for _ in 0..CLIENTS {
        let (stop, client, url, key) = (stop.clone(), srv.client.clone(), format!("{}{path}", srv.base), key.clone());
        clients.push(tokio::spawn(async move {
            let mut accepted = Vec::new();
            while !stop.load(Ordering::SeqCst) {
                let token = key.token();
                let status = client.get(&url).bearer_auth(&token).send().await.unwrap().status().as_u16();
                if status == 200 {
                    accepted.push(token);
                }
            }
            accepted
        }));
    }
    tokio::time::sleep(Duration::from_millis(150)).await;
    act().await;
    tokio::time::sleep(Duration::from_millis(50)).await;
    stop.store(true, Ordering::SeqCst);
    let mut accepted = Vec::new();
    for c in clients {
        accepted.extend(c.await.unwrap());
    }
    assert!(accepted.len() > CLIENTS, "tokens were accepted before the change: {}", accepted.len());
    let mut replayed = Vec::new();
    for token in accepted {
        let url = format!("{}{path}", srv.base);
        replayed.push(srv.client.get(&url).bearer_auth(&token).send().await.unwrap().status().as_u16());
    }
    replayed
}

server_test!(t15_no_token_accepted_around_a_revocation_outlives_it, |srv: Server| async move {
    let team = srv.team("Acme").await;
    let key = srv.team_key(&team, "DEVELOPER").await;
    let replayed = fresh_tokens_then_replay(&srv, &key, "/v1/apps", || async {
        lifecycle::revoke_keys(&srv.state, team.team.id, std::slice::from_ref(&key.id), &operator()).await.unwrap();
    })
    .await;
    assert!(replayed.iter().all(|s| *s == 401), "a token accepted around the revocation still works: {replayed:?}");
});

server_test!(t15_no_token_accepted_around_a_member_removal_outlives_it, |srv: Server| async move {
    let team = srv.team("Acme").await;
    let key = srv.individual_key(&team, "dev@acme.test", "DEVELOPER", None).await;
    let member = key.member.unwrap();
    let replayed = fresh_tokens_then_replay(&srv, &key, "/v1/apps", || async {
        lifecycle::remove_member(&srv.state, team.team.id, member, &operator()).await.unwrap();
    })
    .await;
    assert!(replayed.iter().all(|s| *s == 401), "{replayed:?}");
});

server_test!(t15_a_role_change_reaches_tokens_accepted_before_it, |srv: Server| async move {
    use keyward_core::ports::{MemberStore, MemberUpdate};
    let team = srv.team("Acme").await;
    let key = srv.individual_key(&team, "lead@acme.test", "ADMIN", None).await;
    let member = key.member.unwrap();
    let replayed = fresh_tokens_then_replay(&srv, &key, "/v1/users", || async {
        let update = MemberUpdate {
            roles: Some(keyward_core::role::RoleSet::of(&[keyward_core::role::Role::Developer])),
            ..MemberUpdate::default()
        };
        srv.store().update_member(team.team.id, member, update, &operator()).await.unwrap();
        srv.state.replica.sync(srv.store()).await.unwrap();
    })
    .await;
    assert!(replayed.iter().all(|s| *s == 403), "a Developer's token reads users: {replayed:?}");
});

// M1 under load: 32 teams each revoke a key at the same moment from another process's connections
// (a second pool, as the CLI or another node would); the serving node's feed tailer must apply every
// one of them, whatever order the transactions commit in.
server_test!(m1_thirty_two_concurrent_revocations_all_reach_the_server, |srv: Server| async move {
    let mut keys = Vec::new();
    for n in 0..32 {
        let team = srv.team(&format!("Team{n:02}")).await;
        let key = srv.team_key(&team, "DEVELOPER").await;
        keys.push((team.team.id, key));
    }
    for (_, key) in &keys {
        assert_eq!(srv.get("/v1/apps", &key.token()).await.status().as_u16(), 200);
    }
    let other = keyward_store::Store::open(&srv.url).await.unwrap();
    let start = Arc::new(tokio::sync::Barrier::new(keys.len()));
    let tasks: Vec<_> = keys
        .iter()
        .map(|(team, key)| {
            let (other, start, team, id) = (other.clone(), start.clone(), *team, key.id.clone());
            tokio::spawn(async move {
                use keyward_core::ports::KeyStore;
                start.wait().await;
                other.revoke_keys(team, &[id], &operator()).await.unwrap();
            })
        })
        .collect();
    for t in tasks {
        t.await.unwrap();
    }
    // K11/M4: within 100 ms on a healthy node; a second is generous for a loaded test machine.
    tokio::time::sleep(Duration::from_millis(1000)).await;
    let mut still_accepted = Vec::new();
    for (_, key) in &keys {
        if srv.get("/v1/apps", &key.token()).await.status().as_u16() != 401 {
            still_accepted.push(key.id.to_string());
        }
    }
    assert!(still_accepted.is_empty(), "revoked keys still accepted: {still_accepted:?}");
});
