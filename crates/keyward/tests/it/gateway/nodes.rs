//! Spec sections 10 and 11 together: forward auth on several `keyward serve` processes sharing one
//! PostgreSQL database. A key's budget is one budget across them (M2), and a revocation by the CLI
//! stops the key on every node (K11, M1).

use std::time::{Duration, Instant};

use keyward_store::Backend;

use super::{Acme, serve, write_policy};
use crate::common::Keyward;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn g3_budgets_and_revocation_hold_across_nodes() {
    let kw = Keyward::new(Backend::Postgres).await;
    let acme = Acme::new(&kw);
    kw.ok(&["admin", "team", "set-rate-limit", "--team", "Acme", "--per-hour", "10"]);
    let policy = write_policy(&kw, None);
    let nodes = [serve(&kw, &policy, &[], &[]), serve(&kw, &policy, &[], &[])];
    let client = reqwest::Client::new();
    let developer = acme.developer(&kw);
    let ask = |node: usize| {
        client.get(format!("{}/_keyward/authz/widgets/1", nodes[node].base)).bearer_auth(&developer).send()
    };
    let mut allowed = 0;
    for i in 0..20 {
        match ask(i % 2).await.unwrap().status().as_u16() {
            200 => allowed += 1,
            429 => {}
            other => panic!("unexpected {other}"),
        }
    }
    assert!((8..=10).contains(&allowed), "{allowed} of a budget of 10 allowed across two nodes");

    let admin = acme.admin(&kw, super::AUDIENCE);
    let admin_ask = |node: usize| {
        client
            .get(format!("{}/_keyward/authz", nodes[node].base))
            .bearer_auth(&admin)
            .header("X-Original-Method", "POST")
            .header("X-Original-URI", "/vault/1")
            .send()
    };
    for node in 0..2 {
        assert_eq!(admin_ask(node).await.unwrap().status(), 200);
    }
    kw.ok(&["admin", "key", "revoke", "--team", "Acme", &acme.admin_key]);
    let deadline = Instant::now() + Duration::from_secs(5);
    for node in 0..2 {
        while admin_ask(node).await.unwrap().status() != 401 {
            assert!(Instant::now() < deadline, "node {node} still allows the revoked key");
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
    }
}

// #23, graceful restarts: a rolling restart behind a real nginx (SIGTERM, then the node started again on its
// address) fails no request, on Keyward's own API and through the gateway to an upstream: each
// node finishes what it has in flight before it exits, and nginx sends new requests elsewhere.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn graceful_restarts_behind_nginx_fail_no_api_or_gateway_request() {
    let kw = Keyward::new(Backend::Postgres).await;
    let acme = Acme::new(&kw);
    kw.ok(&["admin", "team", "set-rate-limit", "--team", "Acme", "--per-hour", "100000"]);
    let upstream = super::upstream::Upstream::start().await;
    let policy = write_policy(&kw, Some(&upstream.url()));
    let policy_arg = policy.display().to_string();
    let addrs: Vec<String> = (0..2).map(|_| crate::cluster::free_addr()).collect();
    let start = |addr: &str| kw.serve_at(addr, &["--policy", &policy_arg], &[]);
    let mut nodes: Vec<Option<crate::common::Serving>> = addrs.iter().map(|a| Some(start(a))).collect();
    let lb = crate::cluster::balancer(&addrs);
    let api = acme.admin(&kw, "appstoreconnect-v1");
    let gateway = acme.developer(&kw);
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let loops: Vec<_> =
        [("/v1/apps", api.clone()), ("/v1/apps", api), ("/widgets/1", gateway.clone()), ("/widgets/2", gateway)]
            .into_iter()
            .map(|(path, token)| {
                let (url, stop) = (format!("{}{path}", lb.base), stop.clone());
                tokio::spawn(async move {
                    let client = reqwest::Client::new();
                    let mut statuses = Vec::new();
                    while !stop.load(std::sync::atomic::Ordering::SeqCst) {
                        let status =
                            client.get(&url).bearer_auth(&token).send().await.map_or(0, |r| r.status().as_u16());
                        statuses.push((path, status));
                    }
                    statuses
                })
            })
            .collect();
    crate::cluster::rolling_restart(&mut nodes, &addrs, start).await;
    stop.store(true, std::sync::atomic::Ordering::SeqCst);
    let mut statuses = Vec::new();
    for l in loops {
        statuses.extend(l.await.unwrap());
    }
    let failed: Vec<_> = statuses.iter().filter(|(_, s)| *s != 200).collect();
    let through_gateway = statuses.iter().filter(|(p, _)| p.starts_with("/widgets")).count();
    assert!(statuses.len() > 100 && through_gateway > 50, "requests ran during the restart: {}", statuses.len());
    assert!(upstream.hits() >= through_gateway, "the gateway's reached the upstream");
    assert!(failed.is_empty(), "{} of {} failed during the rolling restart: {failed:?}", failed.len(), statuses.len());
}
