//! Several `keyward serve` processes on one PostgreSQL database (spec section 11).
//! M2: a key's rolling-hour budget is one budget across the nodes.
#![allow(clippy::unwrap_used)]

mod common;

use std::time::Duration;

use keyward_store::Backend;

/// A team with approved API access and `per_hour` as its budget, and a downloaded team key;
/// returns a token for it.
fn team_with_budget(kw: &common::Keyward, per_hour: &str) -> String {
    let init = kw.approved_team("Acme", "ana@acme.test");
    let issuer = init["issuer_id"].as_str().unwrap().to_owned();
    kw.ok(&["admin", "team", "set-rate-limit", "--team", "Acme", "--per-hour", per_hour]);
    token_for_new_key(kw, &issuer, "CI")
}

fn token_for_new_key(kw: &common::Keyward, issuer: &str, name: &str) -> String {
    let out = kw.path("keys").display().to_string();
    let created = kw.ok(&[
        "admin",
        "key",
        "create",
        "--team",
        "Acme",
        "--name",
        name,
        "--roles",
        "DEVELOPER",
        "--out",
        &out,
        "--json",
    ]);
    let file = created.json()["file"].as_str().unwrap().to_owned();
    kw.ok(&["token", "--key-file", &file, "--issuer-id", issuer]).stdout.trim().to_owned()
}

/// The status and the `user-hour-rem` of `X-Rate-Limit`.
async fn call(client: &reqwest::Client, base: &str, token: &str) -> (u16, Option<u64>, bool) {
    let r = client.get(format!("{base}/v1/apps")).bearer_auth(token).send().await.unwrap();
    let rem = r
        .headers()
        .get("x-rate-limit")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split("user-hour-rem:").nth(1))
        .and_then(|v| v.trim_end_matches(';').parse().ok());
    (r.status().as_u16(), rem, r.headers().contains_key("retry-after"))
}

// M2: budget 20, three nodes: 60 requests round-robin, then 60 at once. At most 20 accepted (the
// budget is never exceeded) and at least 18 (a node holding an unused slice withholds little).
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn m2_one_budget_across_three_nodes() {
    let kw = common::Keyward::new(Backend::Postgres).await;
    let token = team_with_budget(&kw, "20");
    let nodes: Vec<_> = (0..3).map(|_| kw.serve(&[])).collect();
    let client = reqwest::Client::new();
    let mut accepted = 0;
    for i in 0..60 {
        let (status, rem, retry) = call(&client, &nodes[i % 3].base, &token).await;
        match status {
            200 => accepted += 1,
            429 => assert!(rem == Some(0) && retry, "L3: rem 0 and Retry-After"),
            other => panic!("unexpected {other}"),
        }
    }
    assert!((18..=20).contains(&accepted), "round-robin: {accepted} of a budget of 20 accepted");

    let init = kw.ok(&["admin", "team", "list", "--json"]).json_lines();
    let issuer = init[0]["issuer_id"].as_str().unwrap().to_owned();
    let token = token_for_new_key(&kw, &issuer, "Release");
    let tasks: Vec<_> = (0..60)
        .map(|i| {
            let (client, base, token) = (client.clone(), nodes[i % 3].base.clone(), token.clone());
            tokio::spawn(async move { call(&client, &base, &token).await.0 })
        })
        .collect();
    let mut accepted = 0;
    for t in tasks {
        accepted += usize::from(t.await.unwrap() == 200);
    }
    assert!((18..=20).contains(&accepted), "concurrently: {accepted} of a budget of 20 accepted");
}

// M2: a node SIGKILLed while holding an unused slice withholds it only until the lease expires
// (30 s), not for the rest of the hour.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn m2_a_killed_node_withholds_its_slice_for_less_than_a_minute() {
    let kw = common::Keyward::new(Backend::Postgres).await;
    let token = team_with_budget(&kw, "1600");
    let a = kw.serve(&[]);
    let b = kw.serve(&[]);
    let client = reqwest::Client::new();
    assert_eq!(call(&client, &a.base, &token).await.0, 200, "node A leases a slice of 100 and uses 1");
    a.kill();
    let (status, rem, _) = call(&client, &b.base, &token).await;
    assert_eq!(status, 200);
    let before = rem.unwrap();
    assert!(before < 1600 - 100, "A's slice is withheld while its lease runs: {before}");
    tokio::time::sleep(Duration::from_secs(32)).await;
    let (status, rem, _) = call(&client, &b.base, &token).await;
    assert_eq!(status, 200);
    let after = rem.unwrap();
    assert!(after >= 1600 - 1 - 2 - 100, "A's unused slice is back after its lease expired: {after}");
    assert!(after > before + 50, "{after} vs {before}");
}
