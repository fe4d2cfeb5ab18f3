//! M3: the database away and back, on a PostgreSQL cluster the test stops and starts. While it is
//! away, /readyz answers 503, tokens are accepted for at most `max_feed_staleness`, then refused
//! with 503 in Apple's shape (fail closed); no request hangs; when it returns, the pool, LISTEN and
//! the feed resume by themselves from the position they had, and nothing is lost.
#![allow(clippy::unwrap_used)]

use std::time::Duration;

use crate::common::*;
use keyward_core::ports::KeyStore;
use keyward_store::testing::ThrowawayCluster;

/// A request that must answer, whatever the database does: a hang is a failure.
async fn status(srv: &Server, path: &str, token: Option<&str>) -> u16 {
    let mut r = srv.client.get(format!("{}{path}", srv.base));
    if let Some(t) = token {
        r = r.bearer_auth(t);
    }
    let sent = tokio::time::timeout(Duration::from_secs(20), r.send()).await;
    sent.expect("no request hangs while the database is away").unwrap().status().as_u16()
}

/// Polls until `path` answers `want` (each poll bounded), or panics after `within`.
async fn until(srv: &Server, path: &str, token: Option<&str>, want: u16, within: Duration) {
    let deadline = tokio::time::Instant::now() + within;
    loop {
        let got = status(srv, path, token).await;
        if got == want {
            return;
        }
        assert!(tokio::time::Instant::now() < deadline, "{path} still answers {got}, not {want}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn m3_the_database_away_and_back() {
    let cluster = ThrowawayCluster::start_new();
    let settings = keyward_core::settings::Settings { max_feed_staleness: 3, ..Default::default() };
    let srv = Server::start_on(cluster.url.clone(), settings, None).await;
    let team = srv.team("Acme").await;
    let key = srv.team_key(&team, "DEVELOPER").await;
    let doomed = srv.team_key(&team, "APP_MANAGER").await;
    assert_eq!(status(&srv, "/readyz", None).await, 200);
    assert_eq!(status(&srv, "/v1/apps", Some(&key.token())).await, 200);

    cluster.stop();
    until(&srv, "/readyz", None, 503, Duration::from_secs(10)).await;
    // Fail closed: past max_feed_staleness the node refuses tokens it cannot vouch for.
    until(&srv, "/v1/apps", Some(&key.token()), 503, Duration::from_secs(15)).await;
    let r = srv.client.get(format!("{}/v1/apps", srv.base)).bearer_auth(key.token()).send().await.unwrap();
    assert_eq!(r.headers()["content-type"], "application/json");
    assert!(r.headers().get("retry-after").is_some());
    let body: serde_json::Value = r.json().await.unwrap();
    assert_eq!(body["errors"][0]["status"], "503");
    assert_eq!(body["errors"][0]["code"], "SERVICE_UNAVAILABLE");
    assert_eq!(status(&srv, "/healthz", None).await, 200, "the process itself is alive");

    // Back: everything resumes without a restart, from the position the node had.
    cluster.start();
    until(&srv, "/readyz", None, 200, Duration::from_secs(20)).await;
    until(&srv, "/v1/apps", Some(&key.token()), 200, Duration::from_secs(20)).await;
    // A revocation by another process after the outage reaches this node through the feed.
    let other = keyward_store::Store::open(&srv.url).await.unwrap();
    other.revoke_keys(team.team.id, std::slice::from_ref(&doomed.id), &operator()).await.unwrap();
    until(&srv, "/v1/apps", Some(&doomed.token()), 401, Duration::from_secs(5)).await;
    assert_eq!(status(&srv, "/v1/apps", Some(&key.token())).await, 200);
}

/// #11: a write commits, then the node cannot read the change feed to apply it. The caller is not
/// told the write failed (it did not); this node refuses what the write changed until it reads the
/// feed again, and then reloads everything, so nothing it dropped stays dropped.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_committed_write_is_applied_here_even_when_the_feed_cannot_be_read() {
    use keyward_core::change::Change;
    use keyward_core::ports::{MemberStore, MemberUpdate};
    use keyward_core::role::{Role, RoleSet};

    let cluster = ThrowawayCluster::start_new();
    let settings = keyward_core::settings::Settings { max_feed_staleness: 120, ..Default::default() };
    let srv = Server::start_on(cluster.url.clone(), settings, None).await;
    let team = srv.team("Acme").await;
    let bystander = srv.team_key(&team, "ADMIN").await;
    let dev = srv.individual_key(&team, "dev@acme.test", "DEVELOPER", None).await;
    let member = dev.member.unwrap();
    assert_eq!(status(&srv, "/v1/users", Some(&dev.token())).await, 403, "a Developer does not read users");
    // The bystander's budget slice is leased now (M2), so it lasts while the database is away.
    assert_eq!(status(&srv, "/v1/apps", Some(&bystander.token())).await, 200);

    // The write commits; then the database goes away before this node reads the feed.
    let update = MemberUpdate { roles: Some(RoleSet::of(&[Role::AppManager])), ..MemberUpdate::default() };
    srv.store().update_member(team.team.id, member, update, &operator()).await.unwrap();
    cluster.stop();
    srv.state.replica.apply_written(srv.store(), &[Change::Member { team_id: team.team.id, member_id: member }]).await;
    assert_eq!(status(&srv, "/v1/apps", Some(&dev.token())).await, 401, "what changed is refused here, not guessed");
    // (An unknown /v1 path: authenticated, then 404 without reading the database that is away.)
    assert_eq!(status(&srv, "/v1/elsewhere", Some(&bystander.token())).await, 404, "nothing else is");

    // Back: the next read reloads everything, and the member acts with the new roles.
    cluster.start();
    until(&srv, "/v1/users", Some(&dev.token()), 200, Duration::from_secs(30)).await;
    assert_eq!(status(&srv, "/v1/apps", Some(&bystander.token())).await, 200);
}
