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
