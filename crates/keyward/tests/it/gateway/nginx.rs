//! G3 with the real nginx: `auth_request` against `/_keyward/authz`, configured exactly as
//! docs/GATEWAY.md says (the test reads its configuration from there), in front of a real upstream.

use keyward_store::Backend;
use serde_json::Value;

use super::upstream::Upstream;
use super::{AUDIENCE, Acme, apple_error, header, serve, write_policy};
use crate::common::{Keyward, Nginx};

/// The `nginx` block of docs/GATEWAY.md's "nginx" section.
fn documented_config() -> String {
    let doc = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../../docs/GATEWAY.md")).unwrap();
    let section = doc.split("\n## nginx").nth(1).expect("docs/GATEWAY.md has an nginx section");
    let block = section.split("```nginx\n").nth(1).expect("with an nginx block");
    block.split("\n```").next().unwrap().to_owned()
}

/// The documented configuration, with Keyward, the upstream and the port put in.
fn documented_nginx(keyward: &str, upstream: &str) -> Nginx {
    Nginx::start(|port| {
        documented_config()
            .replace("127.0.0.1:8080", keyward)
            .replace("127.0.0.1:9000", upstream)
            .replace("listen 80;", &format!("listen 127.0.0.1:{port};"))
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn g3_nginx_auth_request_as_documented() {
    let kw = Keyward::new(Backend::Sqlite).await;
    let acme = Acme::new(&kw);
    kw.ok(&["admin", "team", "set-rate-limit", "--team", "Acme", "--per-hour", "2"]);
    let upstream = Upstream::start().await;
    let node = serve(&kw, &write_policy(&kw, None), &[], &[]);
    let nginx = documented_nginx(node.base.trim_start_matches("http://"), &upstream.addr);
    let client = reqwest::Client::new();
    let url = format!("{}/widgets/1?size=2", nginx.base);

    // Allowed: the upstream sees Keyward's identity, not the token and not the client's copies.
    let passed = client
        .get(&url)
        .bearer_auth(acme.admin(&kw, AUDIENCE))
        .header("X-Keyward-Roles", "ACCOUNT_HOLDER")
        .header("X-Keyward-Member-Id", "forged")
        .send()
        .await
        .unwrap();
    assert_eq!(passed.status(), 200);
    assert_eq!(header(&passed, "x-rate-limit").as_deref(), Some("user-hour-lim:2;user-hour-rem:1;"));
    let seen: Value = passed.json().await.unwrap();
    assert_eq!((seen["path"].as_str(), seen["query"].as_str()), (Some("/widgets/1"), Some("size=2")));
    let h = &seen["headers"];
    assert!(h.get("authorization").is_none(), "{h}");
    assert_eq!(h["x-keyward-key-id"], serde_json::json!([acme.admin_key]));
    assert_eq!(h["x-keyward-roles"], serde_json::json!(["ADMIN"]), "the client's copy is replaced");
    assert!(h.get("x-keyward-member-id").is_none(), "a team key has no member: {h}");
    assert_eq!(h["x-keyward-key-kind"], serde_json::json!(["team"]));

    // Refusals reach the client as Apple's bodies, with X-Rate-Limit once the key is known.
    let developer = acme.developer(&kw);
    let write = client.delete(&url).bearer_auth(&developer).send().await.unwrap();
    assert!(header(&write, "x-rate-limit").is_some());
    assert_eq!(apple_error(write).await, (403, "FORBIDDEN_ERROR".into()));
    let anonymous = client.get(&url).send().await.unwrap();
    assert_eq!(apple_error(anonymous).await, (401, "NOT_AUTHORIZED".into()));
    let wrong_audience = client.get(&url).bearer_auth(acme.admin(&kw, "appstoreconnect-v1")).send().await.unwrap();
    assert_eq!(apple_error(wrong_audience).await.0, 401);

    // A spent budget: nginx turns the check's 429 into a 500, and the documented error_page
    // turns it back into Apple's 429 with Retry-After.
    assert_eq!(client.get(&url).bearer_auth(&developer).send().await.unwrap().status(), 200);
    assert_eq!(client.get(&url).bearer_auth(&developer).send().await.unwrap().status(), 200);
    let spent = client.get(&url).bearer_auth(&developer).send().await.unwrap();
    assert!(header(&spent, "retry-after").is_some_and(|s| s.parse::<u64>().is_ok()), "{:?}", spent.headers());
    assert_eq!(header(&spent, "x-rate-limit").as_deref(), Some("user-hour-lim:2;user-hour-rem:0;"));
    assert_eq!(apple_error(spent).await, (429, "RATE_LIMIT_EXCEEDED".into()));
    assert_eq!(upstream.hits(), 3, "only the allowed requests reached the upstream");
}
