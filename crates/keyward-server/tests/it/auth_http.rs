//! Authentication over real HTTP against the real server (spec sections 4–6): for every T-, A- and
//! L-rule a request accepted and one refused, with Apple's bodies and headers.
#![allow(clippy::unwrap_used)]

use crate::common::*;
use keyward_core::ports::{AuthStore, KeyStore};
use reqwest::Method;
use serde_json::json;

server_test!(t1_missing_or_non_bearer_credentials_get_apples_401, |srv: Server| async move {
    let team = srv.team("Acme").await;
    let key = srv.team_key(&team, "DEVELOPER").await;
    let (status, _, _) = parts(srv.get("/v1/apps", &key.token()).await).await;
    assert_eq!(status, 200);
    for auth in [None, Some("Basic dXNlcjpwYXNz"), Some("Bearer "), Some("Token abc")] {
        let mut r = srv.client.get(format!("{}/v1/apps", srv.base));
        if let Some(a) = auth {
            r = r.header("authorization", a);
        }
        let (status, limit, body) = parts(r.send().await.unwrap()).await;
        assert_eq!((status, code(&body)), (401, "NOT_AUTHORIZED"), "{auth:?}");
        assert_eq!(body["errors"][0]["title"], "Authentication credentials are missing or invalid.");
        assert!(
            body["errors"][0]["detail"]
                .as_str()
                .unwrap()
                .starts_with("Provide a properly configured and signed bearer token")
        );
        assert!(uuid::Uuid::try_parse(body["errors"][0]["id"].as_str().unwrap()).is_ok());
        assert_eq!(limit, None, "no budget header for a refused token");
    }
    // Two Authorization headers, the first valid: which one a proxy behind us reads is not ours to
    // guess, so neither counts.
    let two = srv
        .client
        .get(format!("{}/v1/apps", srv.base))
        .header("authorization", format!("Bearer {}", key.token()))
        .header("authorization", "Bearer another")
        .send()
        .await
        .unwrap();
    let (status, _, body) = parts(two).await;
    assert_eq!((status, code(&body)), (401, "NOT_AUTHORIZED"), "two Authorization headers");
});

server_test!(t2_to_t13_each_rule_refuses_over_http, |srv: Server| async move {
    let team = srv.team("Acme").await;
    let key = srv.team_key(&team, "DEVELOPER").await;
    let other = srv.team_key(&srv.team("Bolt").await, "DEVELOPER").await;
    let ok = |edit: &dyn Fn(&mut serde_json::Value)| {
        let mut c = claims(&key);
        edit(&mut c);
        craft(&key, header(&key), c)
    };
    let cases: Vec<(&str, String)> = vec![
        ("T2 not a JWT", "not-a-jwt".into()),
        ("T2 oversized", format!("{}.{}.x", "a".repeat(5000), "b".repeat(4000))),
        ("T3 alg", craft(&key, json!({"alg": "ES384", "kid": key.id.as_str()}), claims(&key))),
        ("T4 unknown kid", craft(&key, json!({"alg": "ES256", "kid": "ZZZZZZZZZZ"}), claims(&key))),
        ("T5 other key's signature", craft(&other, header(&key), claims(&key))),
        ("T6 aud", ok(&|c| c["aud"] = json!("other"))),
        ("T7 iss", ok(&|c| c["iss"] = json!(other.issuer.to_string()))),
        ("T8 expired", ok(&|c| c["exp"] = json!(now() - 120))),
        ("T9 lifetime", ok(&|c| c["exp"] = json!(now() + 1201))),
        (
            "T10 exp too far",
            ok(&|c| {
                c.as_object_mut().unwrap().remove("iat");
                c["exp"] = json!(now() + 3600);
            }),
        ),
        ("T11 long-lived without scope", ok(&|c| c["exp"] = json!(now() + 86_400))),
        ("T12 scope", ok(&|c| c["scope"] = json!(["GET /v1/users"]))),
        ("T13 nbf", ok(&|c| c["nbf"] = json!(now() + 600))),
    ];
    for (name, token) in cases {
        let (status, _, body) = parts(srv.get("/v1/apps", &token).await).await;
        assert_eq!((status, code(&body)), (401, "NOT_AUTHORIZED"), "{name}");
    }
    // And the accepted shapes: no iat; exp - iat = 1200; a matching scope; typ absent; aud array.
    let accepted = vec![
        ok(&|c| {
            c.as_object_mut().unwrap().remove("iat");
        }),
        ok(&|c| c["exp"] = json!(c["iat"].as_i64().unwrap() + 1200)),
        ok(&|c| c["scope"] = json!(["GET /v1/apps"])),
        ok(&|c| c["aud"] = json!(["appstoreconnect-v1"])),
        craft(&key, json!({"alg": "ES256", "kid": key.id.as_str()}), claims(&key)),
    ];
    for token in accepted {
        assert_eq!(srv.get("/v1/apps", &token).await.status().as_u16(), 200);
    }
    // T11 accepted: a 100-day token scoped to GETs of a long-lived resource passes authentication
    // and lists the team's ciProducts.
    let admin = srv.team_key(&team, "ADMIN").await;
    let mut c = claims(&admin);
    c["exp"] = json!(now() + 100 * 24 * 3600);
    c["scope"] = json!(["GET /v1/ciProducts"]);
    let (status, _, body) = parts(srv.get("/v1/ciProducts", &craft(&admin, header(&admin), c)).await).await;
    assert_eq!((status, &body["data"]), (200, &json!([])), "T11: the long-lived scoped token was accepted");
});

server_test!(t4_revoked_key_and_lost_access_fail_at_once, |srv: Server| async move {
    let team = srv.team("Acme").await;
    let key = srv.team_key(&team, "DEVELOPER").await;
    let token = key.token();
    assert_eq!(srv.get("/v1/apps", &token).await.status().as_u16(), 200, "now cached");
    srv.store().revoke_keys(team.team.id, std::slice::from_ref(&key.id), &operator()).await.unwrap();
    srv.sync().await;
    assert_eq!(srv.get("/v1/apps", &token).await.status().as_u16(), 401);
});

server_test!(t14_failures_are_recorded_against_the_key_and_explained_only_when_asked, |srv: Server| async move {
    let team = srv.team("Acme").await;
    let key = srv.team_key(&team, "DEVELOPER").await;
    let token = key.token_with(1260, vec![]);
    let (status, _, body) = parts(srv.get("/v1/apps", &token).await).await;
    assert_eq!(status, 401);
    assert!(!body["errors"][0]["detail"].as_str().unwrap().contains("1260"), "no reason unless explain_auth_errors");
    tokio::time::sleep(std::time::Duration::from_millis(400)).await;
    let failures = srv.store().auth_failures(&key.id).await.unwrap();
    assert_eq!(failures.len(), 1);
    assert_eq!((failures[0].rule.as_str(), failures[0].reason.as_str()), ("T9", "lifetime 1260 s exceeds 1200 s"));
    assert_eq!(failures[0].client_ip.as_deref(), Some("127.0.0.1"));
});

server_test!(
    t14_explain_auth_errors_puts_the_reason_in_detail,
    keyward_core::settings::Settings { explain_auth_errors: true, ..Default::default() },
    |srv: Server| async move {
        let team = srv.team("Acme").await;
        let key = srv.team_key(&team, "DEVELOPER").await;
        let mut c = claims(&key);
        c["iss"] = json!(key.issuer.to_string());
        let (_, _, body) = parts(srv.get("/v1/apps", &key.token_with(1260, vec![])).await).await;
        assert!(body["errors"][0]["detail"].as_str().unwrap().ends_with("(lifetime 1260 s exceeds 1200 s)"), "{body}");
    }
);

server_test!(a1_a2_a5_roles_decide_per_area, |srv: Server| async move {
    let team = srv.team("Acme").await;
    let app = srv.app(&team, "Fizz").await;
    let dev = srv.team_key(&team, "DEVELOPER").await;
    let manager = srv.team_key(&team, "APP_MANAGER").await;
    let path = format!("/v1/apps/{app}");
    assert_eq!(srv.get(&path, &dev.token()).await.status().as_u16(), 200, "A2: every role reads apps");
    let (status, limit, body) = parts(srv.request(Method::DELETE, &path, Some(&dev.token())).await).await;
    assert_eq!((status, code(&body)), (403, "FORBIDDEN_ERROR"), "A5: DEVELOPER may not update apps");
    assert_eq!(body["errors"][0]["detail"], "The API key in use does not allow this request");
    assert!(limit.is_some(), "L2: an accepted token's 403 still carries the budget");
    let (status, _, body) = parts(srv.request(Method::DELETE, &path, Some(&manager.token())).await).await;
    assert_eq!(
        (status, body["errors"][0]["title"].as_str()),
        (403, Some("The given operation is not allowed")),
        "A1: APP_MANAGER reaches the handler"
    );
    let (status, _, body) = parts(srv.get("/v1/somethingElse", &dev.token()).await).await;
    assert_eq!((status, code(&body)), (403, "FORBIDDEN_ERROR"), "default area: ADMIN, APP_MANAGER");
    let (status, _, body) = parts(srv.get("/v1/somethingElse", &manager.token()).await).await;
    assert_eq!((status, code(&body)), (404, "PATH_ERROR"));
});

server_test!(
    a3_individual_keys_never_reach_team_only_areas,
    keyward_core::settings::Settings { explain_auth_errors: true, ..Default::default() },
    |srv: Server| async move {
        let team = srv.team("Acme").await;
        let admin_member = srv.individual_key(&team, "admin@acme.test", "ADMIN", None).await;
        let admin_team_key = srv.team_key(&team, "ADMIN").await;
        for path in ["/v1/certificates", "/v1/salesReports", "/notary/v2/submissions"] {
            let (status, _, body) = parts(srv.get(path, &admin_member.token()).await).await;
            if path.starts_with("/v1/") {
                assert_eq!((status, code(&body)), (403, "FORBIDDEN_ERROR"), "{path}");
                let (status, _, body) = parts(srv.get(path, &admin_team_key.token()).await).await;
                // Past A3: certificates are listed; a sales report wants its filters first.
                let expected = if path == "/v1/certificates" { 200 } else { 400 };
                assert_eq!(status, expected, "a team ADMIN key passes A3 ({path}): {body}");
            }
        }
        assert_eq!(srv.get("/v1/apps", &admin_member.token()).await.status().as_u16(), 200);
    }
);

server_test!(a4_individual_keys_see_only_their_members_apps, |srv: Server| async move {
    let team = srv.team("Acme").await;
    let seen = srv.app(&team, "Seen").await;
    let hidden = srv.app(&team, "Hidden").await;
    let dev = srv.individual_key(&team, "dev@acme.test", "DEVELOPER", Some(vec![seen])).await;
    let (_, _, body) = parts(srv.get("/v1/apps", &dev.token()).await).await;
    let ids: Vec<&str> = body["data"].as_array().unwrap().iter().map(|a| a["id"].as_str().unwrap()).collect();
    assert_eq!(ids, [seen.to_string()]);
    assert_eq!(body["meta"]["paging"]["total"], 1);
    assert_eq!(srv.get(&format!("/v1/apps/{seen}"), &dev.token()).await.status().as_u16(), 200);
    let (status, _, body) = parts(srv.get(&format!("/v1/apps/{hidden}"), &dev.token()).await).await;
    assert_eq!((status, code(&body)), (404, "NOT_FOUND"));
    let team_key = srv.team_key(&team, "DEVELOPER").await;
    let (_, _, body) = parts(srv.get("/v1/apps", &team_key.token()).await).await;
    assert_eq!(body["data"].as_array().unwrap().len(), 2, "team keys see all apps");
});

server_test!(
    l1_l2_l3_rolling_hour_budget_header_and_429,
    keyward_core::settings::Settings { rate_limit_per_hour: 3, ..Default::default() },
    |srv: Server| async move {
        let team = srv.team("Acme").await;
        let key = srv.team_key(&team, "DEVELOPER").await;
        let token = key.token();
        for remaining in [2, 1, 0] {
            let (status, limit, _) = parts(srv.get("/v1/apps", &token).await).await;
            assert_eq!(status, 200);
            assert_eq!(limit.as_deref(), Some(format!("user-hour-lim:3;user-hour-rem:{remaining};").as_str()));
        }
        let response = srv.get("/v1/apps", &token).await;
        let retry_after: u64 = response.headers().get("retry-after").unwrap().to_str().unwrap().parse().unwrap();
        assert!((1..=3600).contains(&retry_after));
        let (status, limit, body) = parts(response).await;
        assert_eq!((status, code(&body)), (429, "RATE_LIMIT_EXCEEDED"));
        assert_eq!(limit.as_deref(), Some("user-hour-lim:3;user-hour-rem:0;"));
        let other = srv.team_key(&team, "DEVELOPER").await;
        assert_eq!(srv.get("/v1/apps", &other.token()).await.status().as_u16(), 200, "budgets are per key");
    }
);

server_test!(l1_a_team_override_replaces_the_default_budget, |srv: Server| async move {
    use keyward_core::ports::TeamStore;
    let team = srv.team("Acme").await;
    let key = srv.team_key(&team, "DEVELOPER").await;
    let (_, limit, _) = parts(srv.get("/v1/apps", &key.token()).await).await;
    assert_eq!(limit.as_deref(), Some("user-hour-lim:3600;user-hour-rem:3599;"));
    srv.store().set_rate_limit(team.team.id, Some(2), &operator()).await.unwrap();
    srv.sync().await;
    let (status, limit, _) = parts(srv.get("/v1/apps", &key.token()).await).await;
    assert_eq!(
        (status, limit.as_deref()),
        (200, Some("user-hour-lim:2;user-hour-rem:0;")),
        "the window already counted one"
    );
    assert_eq!(srv.get("/v1/apps", &key.token()).await.status().as_u16(), 429);
});

server_test!(l4_forged_tokens_never_spend_a_victims_budget, |srv: Server| async move {
    let team = srv.team("Acme").await;
    let victim = srv.team_key(&team, "DEVELOPER").await;
    let attacker = srv.team_key(&srv.team("Evil").await, "DEVELOPER").await;
    let (_, before, _) = parts(srv.get("/v1/apps", &victim.token()).await).await;
    for i in 0..100 {
        let mut c = claims(&victim);
        c["jti"] = json!(i);
        let forged = craft(&attacker, header(&victim), c);
        assert_eq!(srv.get("/v1/apps", &forged).await.status().as_u16(), 401);
    }
    let (_, after, _) = parts(srv.request(Method::GET, "/v1/apps/0", Some(&victim.token())).await).await;
    let rem = |h: Option<String>| {
        h.unwrap().split("user-hour-rem:").nth(1).unwrap().trim_end_matches(';').parse::<u64>().unwrap()
    };
    assert_eq!(rem(after), rem(before) - 1, "only the victim's own next request was counted");
});

server_test!(errors_unknown_paths_wrong_methods_and_metrics, |srv: Server| async move {
    let team = srv.team("Acme").await;
    let key = srv.team_key(&team, "APP_MANAGER").await;
    let (status, limit, body) = parts(srv.get("/v1/nothingHere", &key.token()).await).await;
    assert_eq!((status, code(&body)), (404, "PATH_ERROR"));
    assert!(limit.is_some());
    let (status, _, body) = parts(srv.get("/v1/nothingHere", "garbage").await).await;
    assert_eq!((status, code(&body)), (401, "NOT_AUTHORIZED"), "unknown paths still need a valid token");
    let (status, _, _) = parts(srv.request(Method::PUT, "/v1/apps", Some(&key.token())).await).await;
    assert_eq!(status, 405);
    let (status, _, body) = parts(srv.request(Method::POST, "/v1/apps", Some(&key.token())).await).await;
    assert_eq!((status, body["errors"][0]["title"].as_str()), (403, Some("The given operation is not allowed")));
    let metrics = srv.client.get(format!("{}/metrics", srv.base)).send().await.unwrap().text().await.unwrap();
    for name in [
        "keyward_requests_total",
        "keyward_auth_failures_total",
        "keyward_token_verify_seconds_bucket",
        "keyward_token_cache_misses_total",
    ] {
        assert!(metrics.contains(name), "{name} missing from /metrics");
    }
});

server_test!(k16_last_use_is_written_behind, |srv: Server| async move {
    let team = srv.team("Acme").await;
    let key = srv.team_key(&team, "DEVELOPER").await;
    assert_eq!(srv.get("/v1/apps", &key.token()).await.status().as_u16(), 200);
    tokio::time::sleep(std::time::Duration::from_millis(400)).await;
    let stored = srv.store().key(&key.id).await.unwrap();
    let used = stored.last_used_at.expect("last use written behind");
    assert_eq!(used.second(), 0, "kept to the minute");
    assert!((now() - used.unix_timestamp()) < 120);
});
