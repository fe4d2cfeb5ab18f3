//! G3: `/_keyward/authz` as each proxy asks it, with the headers that proxy sends.

use keyward_store::Backend;

use super::{AUDIENCE, Acme, apple_error, header, serve, write_policy};
use crate::common::Keyward;

// Each proxy's convention is understood, and the answer carries the identity and the budget.
cli_test!(g3_nginx_traefik_caddy_and_envoy_ask_in_their_own_words, |kw: Keyward| async move {
    let acme = Acme::new(&kw);
    let node = serve(&kw, &write_policy(&kw, None), &[], &[]);
    let client = reqwest::Client::new();
    let authz = format!("{}/_keyward/authz", node.base);
    let admin = acme.admin(&kw, AUDIENCE);
    let developer = acme.developer(&kw);

    // nginx auth_request: a GET subrequest describing the original in X-Original-*.
    let nginx = client
        .get(&authz)
        .bearer_auth(&admin)
        .header("X-Original-Method", "DELETE")
        .header("X-Original-URI", "/widgets/1?force=true")
        .send()
        .await
        .unwrap();
    assert_eq!(nginx.status(), 200);
    assert_eq!(header(&nginx, "x-keyward-key-id").as_deref(), Some(acme.admin_key.as_str()));
    assert_eq!(header(&nginx, "x-keyward-issuer-id").as_deref(), Some(acme.issuer.as_str()));
    assert_eq!(header(&nginx, "x-keyward-key-kind").as_deref(), Some("team"));
    assert_eq!(header(&nginx, "x-keyward-roles").as_deref(), Some("ADMIN"));
    assert!(header(&nginx, "x-rate-limit").unwrap().starts_with("user-hour-lim:"));

    // Traefik ForwardAuth and Caddy forward_auth: GET, with the original in X-Forwarded-*.
    let traefik = |token: &str, method: &str| {
        client
            .get(&authz)
            .bearer_auth(token)
            .header("X-Forwarded-Method", method)
            .header("X-Forwarded-Uri", "/widgets/1")
            .header("X-Forwarded-Host", "api.acme.test")
            .header("X-Forwarded-Proto", "https")
            .send()
    };
    assert_eq!(traefik(&developer, "GET").await.unwrap().status(), 200);
    let refused = traefik(&developer, "PUT").await.unwrap();
    assert!(header(&refused, "x-rate-limit").is_some());
    assert_eq!(apple_error(refused).await, (403, "FORBIDDEN_ERROR".into()), "a DEVELOPER may not write");

    // Envoy ext_authz with path_prefix: the original path after the prefix, the original method.
    let envoy = client.delete(format!("{authz}/widgets/1?force=true")).bearer_auth(&admin).send().await.unwrap();
    assert_eq!(envoy.status(), 200);
    let envoy = client.post(format!("{authz}/widgets/1")).bearer_auth(&developer).send().await.unwrap();
    assert_eq!(apple_error(envoy).await.0, 403);

    // The individual key where only team keys may go; a token for Apple's audience; no token.
    let vault = client
        .get(&authz)
        .bearer_auth(acme.individual(&kw))
        .header("X-Original-Method", "GET")
        .header("X-Original-URI", "/vault/1")
        .send()
        .await
        .unwrap();
    assert_eq!(apple_error(vault).await.0, 403, "individual_keys = false");
    let wrong_audience = client
        .get(format!("{authz}/widgets/1"))
        .bearer_auth(acme.admin(&kw, "appstoreconnect-v1"))
        .send()
        .await
        .unwrap();
    assert_eq!(apple_error(wrong_audience).await, (401, "NOT_AUTHORIZED".into()));
    let anonymous = client.get(format!("{authz}/widgets/1")).send().await.unwrap();
    assert_eq!(apple_error(anonymous).await.0, 401);

    // G4: Keyward's own API beside the gateway.
    let apps = client.get(format!("{}/v1/apps", node.base)).bearer_auth(acme.admin(&kw, "appstoreconnect-v1"));
    assert_eq!(apps.send().await.unwrap().status(), 200);
});

// A request the proxy did not describe, or described two ways, or under no route, is refused.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn g3_undescribed_contradictory_or_unrouted_requests_are_refused() {
    let kw = Keyward::new(Backend::Sqlite).await;
    let acme = Acme::new(&kw);
    let node = serve(&kw, &write_policy(&kw, None), &[], &[]);
    let client = reqwest::Client::new();
    let authz = format!("{}/_keyward/authz", node.base);
    let developer = acme.developer(&kw);
    let ask = |headers: &[(&str, &str)]| {
        let mut request = client.get(&authz).bearer_auth(&developer);
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        request.send()
    };
    let cases: [(&[(&str, &str)], &str); 7] = [
        (&[], "nothing says which request"),
        (&[("X-Original-URI", "/widgets/1")], "nginx without X-Original-Method"),
        (&[("X-Original-Method", "GET"), ("X-Original-URI", "/gadgets/1")], "a URI under no route"),
        (
            // Behind Traefik, a client adds its own X-Original-* to pass a write off as a read.
            &[
                ("X-Forwarded-Method", "GET"),
                ("X-Forwarded-Uri", "/widgets/1"),
                ("X-Original-Method", "HEAD"),
                ("X-Original-URI", "/widgets/1"),
            ],
            "methods that disagree, though each alone would pass",
        ),
        (
            &[
                ("X-Forwarded-Method", "GET"),
                ("X-Forwarded-Uri", "/widgets/2"),
                ("X-Original-Method", "GET"),
                ("X-Original-URI", "/widgets/1"),
            ],
            "URIs that disagree, though each alone would pass",
        ),
        (&[("X-Original-Method", "GET"), ("X-Original-URI", "/widgets/../vault/1")], "a dot segment"),
        (&[("X-Original-Method", "get"), ("X-Original-URI", "/widgets/1"), ("X-Forwarded-Method", "GET")], "case"),
    ];
    for (headers, why) in cases {
        let response = ask(headers).await.unwrap();
        assert_eq!(apple_error(response).await.0, 403, "{why}");
    }
    let unknown = client
        .get(&authz)
        .header("X-Original-Method", "GET")
        .header("X-Original-URI", "/gadgets/1")
        .send()
        .await
        .unwrap();
    assert_eq!(apple_error(unknown).await.0, 403, "G3: a URI under no route, whoever asks");
    let agreed = ask(&[
        ("X-Forwarded-Method", "GET"),
        ("X-Forwarded-Uri", "/widgets/1"),
        ("X-Original-Method", "GET"),
        ("X-Original-URI", "/widgets/1"),
    ])
    .await
    .unwrap();
    assert_eq!(agreed.status(), 200, "descriptions that agree pass");
}

// L3 at the gateway: past the budget, 429 with Retry-After and X-Rate-Limit.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn g3_a_spent_budget_is_429_with_retry_after() {
    let kw = Keyward::new(Backend::Sqlite).await;
    let acme = Acme::new(&kw);
    kw.ok(&["admin", "team", "set-rate-limit", "--team", "Acme", "--per-hour", "2"]);
    let node = serve(&kw, &write_policy(&kw, None), &[], &[]);
    let client = reqwest::Client::new();
    let developer = acme.developer(&kw);
    let ask = || client.get(format!("{}/_keyward/authz/widgets/1", node.base)).bearer_auth(&developer).send();
    assert_eq!(ask().await.unwrap().status(), 200);
    assert_eq!(ask().await.unwrap().status(), 200);
    let spent = ask().await.unwrap();
    assert!(header(&spent, "retry-after").is_some_and(|s| s.parse::<u64>().is_ok()));
    assert_eq!(header(&spent, "x-rate-limit").as_deref(), Some("user-hour-lim:2;user-hour-rem:0;"));
    assert_eq!(apple_error(spent).await, (429, "RATE_LIMIT_EXCEEDED".into()));
}
