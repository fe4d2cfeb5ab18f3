//! D4 through the binary: two `keyward serve` nodes on a PostgreSQL cluster that the test stops
//! and starts again under a steady request loop. While the database is away, a read that needs
//! it (`GET /v1/users`) answers 503 `SERVICE_UNAVAILABLE` in Apple's shape at once, never 500 and
//! never after a long wait; a read memory serves (`GET /v1/apps`) answers until the key's budget
//! slice is spent (M2: budgets are counted in the database, so it then answers 503 too); both
//! nodes recover by themselves when it is back. The statuses per second are printed for the record.
#![allow(clippy::unwrap_used)]

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use keyward_store::testing::ThrowawayCluster;

/// One answer of the loop: when it was sent (ms since the start), the node, the path, the status
/// and how long it took.
#[derive(Debug, Clone)]
struct Seen {
    at: u128,
    node: usize,
    path: &'static str,
    status: u16,
    took: Duration,
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn d4_two_nodes_answer_503_at_once_while_the_database_is_away() {
    let cluster = ThrowawayCluster::start_new();
    let kw = crate::common::Keyward::on(cluster.url.clone());
    let seed = crate::seeds::example(&kw);
    kw.ok(&["admin", "seed", &seed]);
    let nodes = [kw.serve_with(&[], &[]), kw.serve_with(&[], &[])];
    let token = crate::seeds::token(&kw);
    let bases: Vec<String> = nodes.iter().map(|n| n.base.clone()).collect();

    let seen = Arc::new(Mutex::new(Vec::<Seen>::new()));
    let start = Instant::now();
    let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let mut workers = Vec::new();
    for worker in 0..4usize {
        let (seen, stop, bases, token) = (seen.clone(), stop.clone(), bases.clone(), token.clone());
        workers.push(tokio::spawn(async move {
            let client = reqwest::Client::builder().timeout(Duration::from_secs(10)).build().unwrap();
            let mut i = worker;
            while !stop.load(std::sync::atomic::Ordering::SeqCst) {
                let (node, path) = (i % 2, if i % 4 < 2 { "/v1/users" } else { "/v1/apps" });
                let sent = Instant::now();
                let status = match client.get(format!("{}{path}", bases[node])).bearer_auth(&token).send().await {
                    Ok(r) => r.status().as_u16(),
                    Err(_) => 0,
                };
                let at = sent.duration_since(start).as_millis();
                seen.lock().unwrap().push(Seen { at, node, path, status, took: sent.elapsed() });
                i += 1;
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        }));
    }
    tokio::time::sleep(Duration::from_secs(2)).await;
    let stopped_at = start.elapsed().as_millis();
    cluster.stop();
    tokio::time::sleep(Duration::from_secs(5)).await;
    let starting_at = start.elapsed().as_millis();
    cluster.start();
    let started_at = start.elapsed().as_millis();
    tokio::time::sleep(Duration::from_secs(6)).await;
    stop.store(true, std::sync::atomic::Ordering::SeqCst);
    for w in workers {
        w.await.unwrap();
    }

    let seen = seen.lock().unwrap().clone();
    let mut by_second: BTreeMap<u128, BTreeMap<(&str, u16), usize>> = BTreeMap::new();
    for s in &seen {
        *by_second.entry(s.at / 1000).or_default().entry((s.path, s.status)).or_default() += 1;
    }
    eprintln!("database stopped at {stopped_at} ms, started at {started_at} ms; statuses per second:");
    for (second, counts) in &by_second {
        eprintln!("  {second:>2} s: {counts:?}");
    }
    let slowest = seen.iter().max_by_key(|s| s.took).unwrap();
    eprintln!("slowest: {slowest:?}");

    assert!(seen.iter().all(|s| s.status == 200 || s.status == 503), "only 200 and 503: {seen:?}");
    assert!(seen.iter().all(|s| s.took < Duration::from_secs(1)), "none slower than 1 s: {slowest:?}");
    let during = |s: &&Seen| s.at > stopped_at + 1000 && s.at < starting_at;
    for node in 0..2 {
        let away: Vec<&Seen> = seen.iter().filter(during).filter(|s| s.node == node && s.path == "/v1/users").collect();
        assert!(!away.is_empty() && away.iter().all(|s| s.status == 503), "node {node}: 503 while away: {away:?}");
        let back: Vec<&Seen> = seen.iter().filter(|s| s.node == node && s.at > started_at + 4000).collect();
        assert!(!back.is_empty() && back.iter().all(|s| s.status == 200), "node {node}: recovered: {back:?}");
    }
    // The 503 is Apple's shape, with a Retry-After.
    cluster.stop();
    let r = reqwest::Client::new().get(format!("{}/v1/users", bases[0])).bearer_auth(&token);
    let mut r = r.send().await.unwrap();
    for _ in 0..20 {
        if r.status() == 503 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
        r = reqwest::Client::new().get(format!("{}/v1/users", bases[0])).bearer_auth(&token).send().await.unwrap();
    }
    assert_eq!(r.headers()["retry-after"], "1");
    let body: serde_json::Value = r.json().await.unwrap();
    assert_eq!(
        (body["errors"][0]["status"].as_str(), body["errors"][0]["code"].as_str()),
        (Some("503"), Some("SERVICE_UNAVAILABLE"))
    );
}
