//! Several `keyward serve` processes on one PostgreSQL database (spec section 11).
//! M2: a key's rolling-hour budget is one budget across the nodes.
#![allow(clippy::unwrap_used)]

use std::time::Duration;

use keyward_store::Backend;

/// A team with approved API access and `per_hour` as its budget, and a downloaded team key;
/// returns a token for it.
fn team_with_budget(kw: &crate::common::Keyward, per_hour: &str) -> String {
    let init = kw.approved_team("Acme", "ana@acme.test");
    let issuer = init["issuer_id"].as_str().unwrap().to_owned();
    kw.ok(&["admin", "team", "set-rate-limit", "--team", "Acme", "--per-hour", per_hour]);
    token_for_new_key(kw, &issuer, "CI")
}

fn token_for_new_key(kw: &crate::common::Keyward, issuer: &str, name: &str) -> String {
    token_for_new_key_roles(kw, issuer, name, "DEVELOPER")
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
    let kw = crate::common::Keyward::new(Backend::Postgres).await;
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

    // A budget of 320 is leased in slices of 20 and less: slicing, reports and settlement across
    // three nodes still never exceed it, and withhold at most the slices the others hold at the end.
    kw.ok(&["admin", "team", "set-rate-limit", "--team", "Acme", "--per-hour", "320"]);
    let token = token_for_new_key(&kw, &issuer, "Wide");
    let mut accepted = 0;
    for i in 0..400 {
        accepted += usize::from(call(&client, &nodes[i % 3].base, &token).await.0 == 200);
    }
    assert!((280..=320).contains(&accepted), "sliced: {accepted} of a budget of 320 accepted");
}

// M2: a node SIGKILLed while holding an unused slice withholds it only until the lease expires
// (30 s), not for the rest of the hour.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn m2_a_killed_node_withholds_its_slice_for_less_than_a_minute() {
    let kw = crate::common::Keyward::new(Backend::Postgres).await;
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

const PASSWORD: &str = "a long console password";

/// Polls `path` with `token` on every node until each answers `want`; panics after `within`.
async fn everywhere(
    nodes: &[&crate::common::Serving],
    client: &reqwest::Client,
    path: &str,
    token: &str,
    want: u16,
    within: Duration,
) {
    poll_everywhere(nodes, client, path, token, within, |status, _| status == want).await;
}

/// Polls `path` on every node until its status and JSON body satisfy `want`; panics after `within`.
async fn poll_everywhere(
    nodes: &[&crate::common::Serving],
    client: &reqwest::Client,
    path: &str,
    token: &str,
    within: Duration,
    want: impl Fn(u16, &serde_json::Value) -> bool,
) {
    let deadline = tokio::time::Instant::now() + within;
    for node in nodes {
        loop {
            let (status, body) = get_json(client, &format!("{}{path}", node.base), token).await;
            if want(status, &body) {
                break;
            }
            assert!(tokio::time::Instant::now() < deadline, "{} still answers {status} {body} on {path}", node.base);
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
}

async fn get_json(client: &reqwest::Client, url: &str, token: &str) -> (u16, serde_json::Value) {
    let r = client.get(url).bearer_auth(token).send().await.unwrap();
    (r.status().as_u16(), r.json().await.unwrap_or_default())
}

fn individual_token(kw: &crate::common::Keyward, email: &str, roles: &str) -> (String, String) {
    kw.ok(&["admin", "member", "add", "--team", "Acme", "--email", email, "--roles", roles]);
    let (_, file) = kw.individual_key("Acme", email);
    let token = kw.ok(&["token", "--key-file", &file, "--individual"]).stdout.trim().to_owned();
    (token, file)
}

// K11, K14, M1, M4 across processes: a revocation from the console on node 1, from the CLI, a
// member removal and a role change through the API on other nodes are refused on every node.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn cluster_revocations_and_member_changes_reach_every_node() {
    let kw = crate::common::Keyward::new(Backend::Postgres).await;
    let init = kw.run_with_stdin(
        &["admin", "init", "--team", "Acme", "--email", "ana@acme.test", "--password-stdin", "--json"],
        Some(PASSWORD),
    );
    assert_eq!(init.code, 0);
    let issuer = init.json()["issuer_id"].as_str().unwrap().to_owned();
    kw.ok(&["admin", "access", "request", "--team", "Acme"]);
    kw.ok(&["admin", "access", "approve", "--team", "Acme"]);
    let by_console = token_for_new_key(&kw, &issuer, "Console");
    let by_cli = token_for_new_key(&kw, &issuer, "Cli");
    let admin = token_for_new_key_roles(&kw, &issuer, "Admin", "ADMIN");
    let (leaving, _) = individual_token(&kw, "leaving@acme.test", "DEVELOPER");
    let (demoted, _) = individual_token(&kw, "lead@acme.test", "ADMIN");
    let nodes = [kw.serve(&[]), kw.serve(&[]), kw.serve(&[])];
    let all: Vec<&crate::common::Serving> = nodes.iter().collect();
    let client = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    for t in [&by_console, &by_cli, &leaving] {
        everywhere(&all, &client, "/v1/apps", t, 200, Duration::from_secs(5)).await;
    }
    everywhere(&all, &client, "/v1/users", &demoted, 200, Duration::from_secs(5)).await;

    // The console on node 1 revokes one key.
    let login = client
        .post(format!("{}/login", nodes[0].base))
        .form(&[("email", "ana@acme.test"), ("password", PASSWORD)])
        .send()
        .await
        .unwrap();
    let cookie = login.headers()["set-cookie"].to_str().unwrap().split(';').next().unwrap().to_owned();
    let page = format!("{}/teams/{issuer}/integrations/api", nodes[0].base);
    let html = client.get(&page).header("cookie", &cookie).send().await.unwrap().text().await.unwrap();
    let csrf = html.split("name=\"csrf\" value=\"").nth(1).unwrap().split('"').next().unwrap().to_owned();
    let keys = kw.ok(&["admin", "key", "list", "--team", "Acme", "--json"]).json_lines();
    let console_kid = keys.iter().find(|k| k["name"] == "Console").unwrap()["key_id"].as_str().unwrap().to_owned();
    let r = client
        .post(format!("{}/teams/{issuer}/integrations/api/revoke", nodes[0].base))
        .header("cookie", &cookie)
        .form(&[("csrf", csrf.as_str()), ("keys", console_kid.as_str()), ("confirm", "yes")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 303);
    everywhere(&all, &client, "/v1/apps", &by_console, 401, Duration::from_secs(1)).await;

    // The CLI revokes another.
    let cli_kid = keys.iter().find(|k| k["name"] == "Cli").unwrap()["key_id"].as_str().unwrap().to_owned();
    kw.ok(&["admin", "key", "revoke", "--team", "Acme", &cli_kid]);
    everywhere(&all, &client, "/v1/apps", &by_cli, 401, Duration::from_secs(1)).await;

    // The API on node 2 removes a member: their individual key stops everywhere (K14).
    let users: serde_json::Value = client
        .get(format!("{}/v1/users?filter[username]=leaving@acme.test,lead@acme.test", nodes[1].base))
        .bearer_auth(&admin)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let id_of = |email: &str| {
        users["data"].as_array().unwrap().iter().find(|u| u["attributes"]["username"] == email).unwrap()["id"]
            .as_str()
            .unwrap()
            .to_owned()
    };
    let r = client
        .delete(format!("{}/v1/users/{}", nodes[1].base, id_of("leaving@acme.test")))
        .bearer_auth(&admin)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 204);
    everywhere(&all, &client, "/v1/apps", &leaving, 401, Duration::from_secs(1)).await;

    // The API on node 3 demotes an Admin to Developer: their key can no longer read users anywhere.
    let lead = id_of("lead@acme.test");
    let body = serde_json::json!({"data": {"type": "users", "id": lead, "attributes": {"roles": ["DEVELOPER"]}}});
    let r = client
        .patch(format!("{}/v1/users/{lead}", nodes[2].base))
        .bearer_auth(&admin)
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 200);
    everywhere(&all, &client, "/v1/users", &demoted, 403, Duration::from_secs(1)).await;
}

fn token_for_new_key_roles(kw: &crate::common::Keyward, issuer: &str, name: &str, roles: &str) -> String {
    let (_, file) = kw.team_key("Acme", name, roles);
    kw.ok(&["token", "--key-file", &file, "--issuer-id", issuer]).stdout.trim().to_owned()
}

// A node SIGKILLed in the middle of a stream of writes loses none it acknowledged.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn cluster_a_killed_node_loses_no_acknowledged_write() {
    let kw = crate::common::Keyward::new(Backend::Postgres).await;
    let init = kw.approved_team("Acme", "ana@acme.test");
    let issuer = init["issuer_id"].as_str().unwrap().to_owned();
    let admin = token_for_new_key_roles(&kw, &issuer, "Admin", "ADMIN");
    let victim = kw.serve(&[]);
    let witness = kw.serve(&[]);
    let client = reqwest::Client::new();
    let base = victim.base.clone();
    let writer = {
        let (client, admin) = (client.clone(), admin.clone());
        tokio::spawn(async move {
            let mut acknowledged = Vec::new();
            for n in 0..10_000 {
                let email = format!("person{n}@acme.test");
                let body = serde_json::json!({"data": {"type": "userInvitations", "attributes": {"email": email, "firstName": "P", "lastName": "Q", "roles": ["SALES"]}}});
                match client.post(format!("{base}/v1/userInvitations")).bearer_auth(&admin).json(&body).send().await {
                    Ok(r) if r.status().as_u16() == 201 => acknowledged.push(email),
                    _ => break,
                }
            }
            acknowledged
        })
    };
    tokio::time::sleep(Duration::from_millis(700)).await;
    victim.kill();
    let acknowledged = writer.await.unwrap();
    assert!(acknowledged.len() > 5, "writes were acknowledged before the kill: {}", acknowledged.len());
    let mut listed = std::collections::HashSet::new();
    let mut next = Some(format!("{}/v1/userInvitations?limit=200", witness.base));
    while let Some(url) = next {
        let page: serde_json::Value = client.get(&url).bearer_auth(&admin).send().await.unwrap().json().await.unwrap();
        for i in page["data"].as_array().unwrap() {
            listed.insert(i["attributes"]["email"].as_str().unwrap().to_owned());
        }
        next = page["links"]["next"].as_str().map(str::to_owned);
    }
    let lost: Vec<_> = acknowledged.iter().filter(|e| !listed.contains(*e)).collect();
    assert!(lost.is_empty(), "acknowledged but lost: {lost:?}");
}

/// A real nginx balancing round-robin over `upstreams`, retrying a request on the next node when
/// one refuses the connection or answers 502/503.
pub(crate) fn balancer(upstreams: &[String]) -> crate::common::Nginx {
    let servers: String = upstreams.iter().map(|u| format!("    server {u} max_fails=0;\n")).collect();
    crate::common::Nginx::start(|port| {
        format!(
            "  upstream keyward {{\n{servers}  }}\n\
             \x20 server {{\n    listen 127.0.0.1:{port};\n    location / {{\n      proxy_pass http://keyward;\n      proxy_next_upstream error timeout http_502 http_503;\n      proxy_connect_timeout 2s;\n      proxy_set_header Host $host;\n      proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;\n    }}\n  }}"
        )
    })
}

/// Each node in turn stopped with SIGTERM (it finishes what it has in flight) and started again
/// on its address by `start`, 300 ms apart, with 300 ms of traffic before the first.
pub(crate) async fn rolling_restart(
    nodes: &mut [Option<crate::common::Serving>],
    addrs: &[String],
    start: impl Fn(&str) -> crate::common::Serving,
) {
    tokio::time::sleep(Duration::from_millis(300)).await;
    for (node, addr) in nodes.iter_mut().zip(addrs) {
        if let Some(running) = node.take() {
            tokio::task::spawn_blocking(move || running.stop()).await.unwrap();
        }
        *node = Some(start(addr));
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
}

pub(crate) fn free_addr() -> String {
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    l.local_addr().unwrap().to_string()
}

// Behind a real nginx doing round-robin: one budget (M2), and a rolling restart of every node
// fails no request, since nginx retries a refused connection on the next node.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn cluster_behind_nginx_one_budget_and_a_rolling_restart_without_failures() {
    let kw = crate::common::Keyward::new(Backend::Postgres).await;
    let budgeted = team_with_budget(&kw, "20");
    let teams = kw.ok(&["admin", "team", "list", "--json"]).json_lines();
    let issuer = teams[0]["issuer_id"].as_str().unwrap().to_owned();
    let addrs: Vec<String> = (0..3).map(|_| free_addr()).collect();
    let mut nodes: Vec<Option<crate::common::Serving>> = addrs.iter().map(|a| Some(kw.serve_at(a, &[], &[]))).collect();
    let lb = balancer(&addrs);
    let client = reqwest::Client::new();
    let mut accepted = 0;
    for _ in 0..60 {
        accepted += usize::from(call(&client, &lb.base, &budgeted).await.0 == 200);
    }
    assert!((18..=20).contains(&accepted), "through nginx: {accepted} of a budget of 20 accepted");

    // A roomy budget for the restart: every request must succeed.
    kw.ok(&["admin", "team", "set-rate-limit", "--team", "Acme", "--per-hour", "100000"]);
    let token = token_for_new_key(&kw, &issuer, "Rolling");
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let loops: Vec<_> = (0..4)
        .map(|_| {
            let (client, base, token, stop) = (client.clone(), lb.base.clone(), token.clone(), stop.clone());
            tokio::spawn(async move {
                let mut statuses = Vec::new();
                while !stop.load(std::sync::atomic::Ordering::SeqCst) {
                    statuses.push(call(&client, &base, &token).await.0);
                }
                statuses
            })
        })
        .collect();
    rolling_restart(&mut nodes, &addrs, |addr| kw.serve_at(addr, &[], &[])).await;
    stop.store(true, std::sync::atomic::Ordering::SeqCst);
    let mut statuses = Vec::new();
    for l in loops {
        statuses.extend(l.await.unwrap());
    }
    let failed: Vec<_> = statuses.iter().filter(|s| **s != 200).collect();
    assert!(statuses.len() > 50, "requests ran during the restart: {}", statuses.len());
    assert!(
        failed.is_empty(),
        "{} of {} requests failed during the rolling restart: {failed:?}",
        failed.len(),
        statuses.len()
    );
}

// M1 for the read model (#13): apps and members are served from memory on every node, kept by the
// same feed as the key table. An app created by the CLI, changed through the API on node 1, and a
// member added by the CLI are read the same on every node, and the node that made a change reads it
// back at once.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn cluster_reads_are_as_fresh_as_authentication_on_every_node() {
    let kw = crate::common::Keyward::new(Backend::Postgres).await;
    let init = kw.approved_team("Acme", "ana@acme.test");
    let issuer = init["issuer_id"].as_str().unwrap().to_owned();
    let admin = token_for_new_key_roles(&kw, &issuer, "Admin", "ADMIN");
    let nodes = [kw.serve(&[]), kw.serve(&[]), kw.serve(&[])];
    let all: Vec<&crate::common::Serving> = nodes.iter().collect();
    let client = reqwest::Client::new();
    everywhere(&all, &client, "/v1/apps", &admin, 200, Duration::from_secs(5)).await;

    // Another process (the CLI) creates an app: every node lists it and serves it by ID.
    let created = kw.ok(&[
        "admin",
        "app",
        "create",
        "--team",
        "Acme",
        "--name",
        "Fizz",
        "--bundle-id",
        "com.acme.fizz",
        "--sku",
        "FIZZ",
        "--json",
    ]);
    let app = created.json()["id"].as_str().map(str::to_owned).unwrap_or_else(|| created.json()["id"].to_string());
    let listed =
        |_: u16, b: &serde_json::Value| b["data"].as_array().is_some_and(|d| d.iter().any(|a| a["id"] == app.as_str()));
    poll_everywhere(&all, &client, "/v1/apps", &admin, Duration::from_secs(1), listed).await;
    everywhere(&all, &client, &format!("/v1/apps/{app}"), &admin, 200, Duration::from_secs(1)).await;

    // Node 1 changes it through the API and reads its own write back at once; the others follow.
    let body = serde_json::json!({"data": {"type": "apps", "id": app, "attributes": {"primaryLocale": "fr-FR"}}});
    let r =
        client.patch(format!("{}/v1/apps/{app}", nodes[0].base)).bearer_auth(&admin).json(&body).send().await.unwrap();
    assert_eq!(r.status().as_u16(), 200);
    let (_, own) = get_json(&client, &format!("{}/v1/apps/{app}", nodes[0].base), &admin).await;
    assert_eq!(own["data"]["attributes"]["primaryLocale"], "fr-FR", "read-your-writes on the node that wrote");
    let french = |_: u16, b: &serde_json::Value| b["data"]["attributes"]["primaryLocale"] == "fr-FR";
    poll_everywhere(&all, &client, &format!("/v1/apps/{app}"), &admin, Duration::from_secs(1), french).await;

    // A member added by the CLI is served by ID on every node.
    kw.ok(&["admin", "member", "add", "--team", "Acme", "--email", "new@acme.test", "--roles", "DEVELOPER"]);
    let (_, users) =
        get_json(&client, &format!("{}/v1/users?filter[username]=new@acme.test", nodes[1].base), &admin).await;
    let member = users["data"][0]["id"].as_str().unwrap().to_owned();
    let named = |_: u16, b: &serde_json::Value| b["data"]["attributes"]["username"] == "new@acme.test";
    poll_everywhere(&all, &client, &format!("/v1/users/{member}"), &admin, Duration::from_secs(1), named).await;
}
