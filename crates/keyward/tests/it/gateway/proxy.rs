//! G1, G2: the built-in reverse proxy in front of a real upstream.

use std::time::{Duration, Instant};

use keyward_store::Backend;
use serde_json::Value;

use super::upstream::Upstream;
use super::{AUDIENCE, Acme, apple_error, header, raw_status, serve, write_policy};
use crate::common::Keyward;

fn rate_limit(response: &reqwest::Response) -> String {
    header(response, "x-rate-limit").unwrap_or_default()
}

// G2: what reaches the upstream is the client's request, minus its credentials, its own identity
// headers and hop-by-hop headers, plus Keyward's identity and X-Forwarded-*.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn g2_the_upstream_gets_the_request_with_keywards_identity_and_not_the_token() {
    let kw = Keyward::new(Backend::Sqlite).await;
    let acme = Acme::new(&kw);
    let upstream = Upstream::start().await;
    let node = serve(&kw, &write_policy(&kw, None), &["--upstream", &upstream.url()], &[]);
    let client = reqwest::Client::new();
    let response = client
        .post(format!("{}/widgets/7/parts?colour=red&size=2", node.base))
        .bearer_auth(acme.admin(&kw, AUDIENCE))
        .header("X-Keyward-Key-Id", "FORGED")
        .header("X-Keyward-Roles", "ACCOUNT_HOLDER")
        .header("x-keyward-member-id", "someone")
        .header("Connection", "X-Hop, X-Forwarded-For, X-Forwarded-Host")
        .header("X-Hop", "secret")
        .header("x_keyward_roles", "ACCOUNT_HOLDER")
        .header("X-HTTP-Method-Override", "DELETE")
        .header("Cookie", "keyward_session=console-secret; theme=dark")
        .header("X-Forwarded-For", "6.6.6.6")
        .header("X-Custom", "kept")
        .body("twelve bytes")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert!(rate_limit(&response).starts_with("user-hour-lim:3600;user-hour-rem:"), "{}", rate_limit(&response));
    let seen: Value = response.json().await.unwrap();
    assert_eq!(seen["method"], "POST");
    assert_eq!(seen["path"], "/widgets/7/parts");
    assert_eq!(seen["query"], "colour=red&size=2");
    assert_eq!(seen["body_bytes"], 12);
    let h = &seen["headers"];
    assert!(h.get("authorization").is_none(), "the token never reaches the upstream: {h}");
    assert_eq!(h["x-keyward-key-id"], serde_json::json!([acme.admin_key]));
    assert_eq!(h["x-keyward-issuer-id"], serde_json::json!([acme.issuer]));
    assert_eq!(h["x-keyward-key-kind"], serde_json::json!(["team"]));
    assert_eq!(h["x-keyward-roles"], serde_json::json!(["ADMIN"]));
    assert!(h.get("x-keyward-member-id").is_none(), "a team key has no member: {h}");
    assert!(h.get("x-hop").is_none(), "a header Connection names is hop-by-hop: {h}");
    assert_eq!(h["x-forwarded-for"], serde_json::json!(["127.0.0.1"]), "an untrusted client's X-Forwarded-For goes");
    assert_eq!(h["x-forwarded-proto"], serde_json::json!(["http"]));
    let host = node.base.trim_start_matches("http://");
    assert_eq!(h["x-forwarded-host"], serde_json::json!([host]));
    assert_eq!(h["x-custom"], serde_json::json!(["kept"]));
    assert!(h.get("x_keyward_roles").is_none(), "look-alikes of the identity headers go too: {h}");
    assert!(h.get("x-http-method-override").is_none(), "the upstream acts on the admitted method: {h}");
    assert_eq!(h["cookie"], serde_json::json!(["theme=dark"]), "the console's session stays with Keyward");

    // An individual key: the member, and the member's roles.
    let response = client.get(format!("{}/widgets", node.base)).bearer_auth(acme.individual(&kw)).send().await.unwrap();
    assert_eq!(response.status(), 200);
    let seen: Value = response.json().await.unwrap();
    assert_eq!(seen["headers"]["x-keyward-key-kind"], serde_json::json!(["individual"]));
    assert_eq!(seen["headers"]["x-keyward-roles"], serde_json::json!(["ADMIN"]));
    assert!(seen["headers"]["x-keyward-member-id"][0].as_str().is_some_and(|m| !m.is_empty()));

    // Per-route metrics: requests by outcome, and the upstream's latency.
    let metrics = client.get(format!("{}/metrics", node.base)).send().await.unwrap().text().await.unwrap();
    let forwarded = metrics
        .lines()
        .find(|l| {
            l.starts_with("keyward_gateway_requests_total{")
                && l.contains("via=\"proxy\"")
                && l.contains("area=\"widgets\"")
                && l.contains("outcome=\"forwarded\"")
        })
        .unwrap_or_else(|| panic!("no forwarded count in {metrics}"));
    assert!(forwarded.ends_with(" 2"), "{forwarded}");
    assert!(metrics.contains("keyward_gateway_upstream_seconds_bucket{area=\"widgets\""), "{metrics}");
}

/// G2: an upstream that reads a client-address header would take the client's word for its
/// address; none reaches it from a client that is not a trusted proxy, under any spelling.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn g2_client_address_headers_from_a_client_never_reach_the_upstream() {
    let kw = Keyward::new(Backend::Sqlite).await;
    let acme = Acme::new(&kw);
    let upstream = Upstream::start().await;
    let node = serve(&kw, &write_policy(&kw, None), &["--upstream", &upstream.url()], &[]);
    let planted = [
        "True-Client-IP",
        "CF-Connecting-IP",
        "X-Client-IP",
        "Client-IP",
        "X-Cluster-Client-IP",
        "X-Real-IP",
        "True_Client_IP",
        "X_Forwarded_For",
        "X_Forwarded_Host",
    ];
    let mut request =
        reqwest::Client::new().get(format!("{}/widgets", node.base)).bearer_auth(acme.admin(&kw, AUDIENCE));
    for name in planted {
        request = request.header(name, "6.6.6.6");
    }
    let response = request.header("X-Custom", "kept").send().await.unwrap();
    assert_eq!(response.status(), 200);
    let seen: Value = response.json().await.unwrap();
    let h = &seen["headers"];
    assert_eq!(h["x-custom"], serde_json::json!(["kept"]), "other headers pass: {h}");
    for name in planted {
        assert!(h.get(name.to_ascii_lowercase()).is_none(), "{name} reached the upstream: {h}");
    }
    assert!(!h.to_string().contains("6.6.6.6"), "the planted address reached the upstream: {h}");
}

// G1: refusals are Apple's, carry X-Rate-Limit once the key is known, and never reach the upstream.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn g1_who_may_not_call_never_reaches_the_upstream() {
    let kw = Keyward::new(Backend::Sqlite).await;
    let acme = Acme::new(&kw);
    let upstream = Upstream::start().await;
    let node = serve(&kw, &write_policy(&kw, Some(&upstream.url())), &[], &[]);
    let client = reqwest::Client::new();
    let url = |path: &str| format!("{}{path}", node.base);
    let developer = acme.developer(&kw);

    let read = client.get(url("/widgets/1")).bearer_auth(&developer).send().await.unwrap();
    assert_eq!(read.status(), 200, "a DEVELOPER reads widgets");
    assert_eq!(upstream.hits(), 1);

    let write = client.delete(url("/widgets/1")).bearer_auth(&developer).send().await.unwrap();
    assert!(!rate_limit(&write).is_empty(), "a refused known key still learns its budget");
    assert_eq!(apple_error(write).await, (403, "FORBIDDEN_ERROR".into()), "a DEVELOPER may not write");

    let vault = client.get(url("/vault/gold")).bearer_auth(acme.individual(&kw)).send().await.unwrap();
    assert_eq!(apple_error(vault).await, (403, "FORBIDDEN_ERROR".into()), "individual_keys = false");

    let apple = client.get(url("/widgets/1")).bearer_auth(acme.admin(&kw, "appstoreconnect-v1")).send().await.unwrap();
    assert_eq!(apple_error(apple).await, (401, "NOT_AUTHORIZED".into()), "a token for another audience");

    let none = client.get(url("/widgets/1")).send().await.unwrap();
    assert_eq!(apple_error(none).await, (401, "NOT_AUTHORIZED".into()));
    let two = client
        .get(url("/widgets/1"))
        .header("Authorization", format!("Bearer {developer}"))
        .header("Authorization", "Bearer another")
        .send()
        .await
        .unwrap();
    assert_eq!(apple_error(two).await.0, 401, "two Authorization headers: which one counts is not ours to guess");

    let admin = acme.admin(&kw, AUDIENCE);
    for sneaky in
        ["/widgets/%2e%2e/vault/gold", "/widgets/..;/vault/gold", "/widgets/../vault", "/widgets%2f..%2fvault"]
    {
        let status = raw_status(&node.base, "GET", sneaky, &admin).await;
        assert!(status == 403 || status == 404, "{sneaky} is not forwarded: {status}");
    }
    assert_eq!(upstream.hits(), 1, "no refused request reached the upstream");

    // G4: Keyward's own paths stay Keyward's, and /v1 takes Apple's audience only.
    let own = client.get(url("/healthz")).send().await.unwrap();
    assert_eq!(own.status(), 200);
    let admin_policy_token = acme.admin(&kw, AUDIENCE);
    let widgets = client.get(url("/widgets")).bearer_auth(&admin_policy_token).send().await.unwrap();
    assert_eq!(widgets.status(), 200);
    let v1 = client.get(url("/v1/apps")).bearer_auth(&admin_policy_token).send().await.unwrap();
    assert_eq!(apple_error(v1).await.0, 401, "a token verified for the policy's audience is no /v1 token");
    let v1 = client.get(url("/v1/apps")).bearer_auth(acme.admin(&kw, "appstoreconnect-v1")).send().await.unwrap();
    assert_eq!(v1.status(), 200);
    let unrouted = client.get(url("/gadgets")).bearer_auth(&admin_policy_token).send().await.unwrap();
    assert_eq!(apple_error(unrouted).await.0, 404, "a path under no route is not forwarded");
    assert_eq!(upstream.hits(), 2);
}

// G2 with K11: a revoked key stops at the gateway at once, its cached tokens included.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn g2_revocation_through_the_gateway_is_immediate() {
    let kw = Keyward::new(Backend::Sqlite).await;
    let acme = Acme::new(&kw);
    let upstream = Upstream::start().await;
    let node = serve(&kw, &write_policy(&kw, Some(&upstream.url())), &[], &[]);
    let client = reqwest::Client::new();
    let token = acme.admin(&kw, AUDIENCE);
    let get = || client.get(format!("{}/widgets/1", node.base)).bearer_auth(&token).send();
    assert_eq!(get().await.unwrap().status(), 200);
    assert_eq!(get().await.unwrap().status(), 200, "now a cached token");
    kw.ok(&["admin", "key", "revoke", "--team", "Acme", &acme.admin_key]);
    let hits = upstream.hits();
    // The CLI is another process: this node learns of it from the change feed, polled every
    // few hundred milliseconds.
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let status = get().await.unwrap().status().as_u16();
        if status == 401 {
            break;
        }
        assert!(Instant::now() < deadline, "the revoked key still passes the gateway");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let hits_after = upstream.hits();
    for _ in 0..5 {
        assert_eq!(get().await.unwrap().status(), 401, "revocation is irreversible");
    }
    assert_eq!(upstream.hits(), hits_after, "nothing reaches the upstream once refused");
    assert!(hits_after >= hits);
}

// G2: an upstream that refuses connections is a 502, one that does not answer in time a 504, both
// Apple's shape with X-Rate-Limit.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn g2_an_upstream_down_is_502_and_one_too_slow_is_504() {
    let kw = Keyward::new(Backend::Sqlite).await;
    let acme = Acme::new(&kw);
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().to_string();
    let node = serve(&kw, &write_policy(&kw, Some(&format!("http://{closed}"))), &[], &[]);
    let client = reqwest::Client::new();
    let token = acme.admin(&kw, AUDIENCE);
    let down = client.get(format!("{}/widgets/1", node.base)).bearer_auth(&token).send().await.unwrap();
    assert!(!rate_limit(&down).is_empty());
    assert_eq!(apple_error(down).await, (502, "BAD_GATEWAY".into()));
    drop(node);

    let upstream = Upstream::start().await;
    let env = [("KEYWARD_UPSTREAM_TIMEOUT_SECONDS", "1")];
    let node = serve(&kw, &write_policy(&kw, Some(&upstream.url())), &[], &env);
    let slow = client.get(format!("{}/widgets/slow", node.base)).bearer_auth(&token).send().await.unwrap();
    assert!(!rate_limit(&slow).is_empty());
    assert_eq!(apple_error(slow).await, (504, "GATEWAY_TIMEOUT".into()));
    let fast = client.get(format!("{}/widgets/1", node.base)).bearer_auth(&token).send().await.unwrap();
    assert_eq!(fast.status(), 200, "the pool recovers after a timeout");
}

// G4: a policy that cannot be served is refused at start, naming the file, the line and the reason.
#[tokio::test]
async fn g4_a_policy_error_at_start_names_the_line() {
    let kw = Keyward::new(Backend::Sqlite).await;
    let bad = kw.path("bad.toml");
    std::fs::write(
        &bad,
        "audience = \"a\"\n\n[[routes]]\nprefix = \"/metrics\"\narea = \"x\"\n\n[areas.x]\nread = [\"ADMIN\"]\n",
    )
    .unwrap();
    let run = kw.run(&["serve", "--listen", "127.0.0.1:0", "--policy", bad.to_str().unwrap()]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(run.stderr.contains(&format!("{}:4: '/metrics' would take over", bad.display())), "{}", run.stderr);

    let good = write_policy(&kw, None);
    let run =
        kw.run(&["serve", "--listen", "127.0.0.1:0", "--policy", good.to_str().unwrap(), "--upstream", "ftp://x"]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(run.stderr.contains("upstream: 'ftp://x'"), "{}", run.stderr);

    let run = kw.run(&["serve", "--listen", "127.0.0.1:0", "--upstream", "http://127.0.0.1:9"]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(run.stderr.contains("upstream needs a policy"), "{}", run.stderr);
}

// #24: with `upstream_max_in_flight_per_key`, a key's requests beyond the cap are refused at once
// with Apple's 429, without reaching the upstream; another key has its own; a slot comes back
// when its request is done.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_key_past_its_requests_in_flight_is_refused_at_once_and_others_are_not() {
    let kw = Keyward::new(Backend::Sqlite).await;
    let acme = Acme::new(&kw);
    let upstream = Upstream::start().await;
    let cap = [("KEYWARD_UPSTREAM_MAX_IN_FLIGHT_PER_KEY", "2")];
    let node = serve(&kw, &write_policy(&kw, None), &["--upstream", &upstream.url()], &cap);
    let client = reqwest::Client::new();
    let admin = acme.admin(&kw, AUDIENCE);
    let slow: Vec<_> = (0..2)
        .map(|_| {
            let (client, url, token) = (client.clone(), format!("{}/widgets/slow", node.base), admin.clone());
            tokio::spawn(async move { client.get(url).bearer_auth(token).send().await.unwrap().status().as_u16() })
        })
        .collect();
    let deadline = Instant::now() + Duration::from_secs(2);
    while upstream.hits() < 2 {
        assert!(Instant::now() < deadline, "the two slow requests never reached the upstream");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let started = Instant::now();
    let third = client.get(format!("{}/widgets/1", node.base)).bearer_auth(&admin).send().await.unwrap();
    assert!(started.elapsed() < Duration::from_secs(1), "refused at once, not after the slow ones");
    assert!(!rate_limit(&third).is_empty(), "X-Rate-Limit on the refusal too");
    assert_eq!(apple_error(third).await, (429, "RATE_LIMIT_EXCEEDED".into()));
    assert_eq!(upstream.hits(), 2, "the refused request never reached the upstream");
    let other = client.get(format!("{}/widgets/1", node.base)).bearer_auth(acme.developer(&kw)).send().await.unwrap();
    assert_eq!(other.status(), 200, "another key has its own slots");
    for task in slow {
        assert_eq!(task.await.unwrap(), 200);
    }
    let again = client.get(format!("{}/widgets/1", node.base)).bearer_auth(&admin).send().await.unwrap();
    assert_eq!(again.status(), 200, "finished requests give their slots back");
}
