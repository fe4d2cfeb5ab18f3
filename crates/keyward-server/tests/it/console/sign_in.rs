//! Signing in and out: the keys page behind it, rotating sessions, and the throttle.
#![allow(clippy::unwrap_used)]

use crate::common::*;
use keyward_core::role::Role;

use super::*;

server_test!(sign_in_leads_to_the_keys_page_with_its_security_headers, |srv: Server| async move {
    let team = srv.team("Acme").await;
    person_with_password(&srv, &team, "admin@acme.test", &[Role::Admin]).await;
    let mut b = Browser::new(&srv);
    let (status, _) = b.get("/").await;
    assert_eq!(status, 303, "signed out: to the sign-in page");
    assert_eq!(b.login("admin@acme.test", "wrong password").await, 401);
    assert_eq!(b.login("admin@acme.test", PASSWORD).await, 303);
    let (status, home) = b.get("/").await;
    assert_eq!(status, 200);
    assert!(home.contains("Acme") && home.contains(&team.team.issuer_id.to_string()));
    let page = format!("/teams/{}/integrations/api", team.team.issuer_id);
    let r = b.client.get(format!("{}{page}", b.base)).header("cookie", b.cookie.clone().unwrap()).send().await.unwrap();
    let h = r.headers();
    assert!(h["content-security-policy"].to_str().unwrap().contains("frame-ancestors 'none'"));
    assert_eq!(h["x-content-type-options"], "nosniff");
    assert!(h.get("referrer-policy").is_some());
    let html = r.text().await.unwrap();
    for label in ["App Store Connect API", "Issuer ID", "Team Keys", "Generate API Key", "Revoked"] {
        assert!(html.contains(label), "{label} missing");
    }
});

server_test!(sign_in_rotates_the_session_and_sign_out_ends_it, |srv: Server| async move {
    let (_, mut b, _, _) = admin_on_keys_page(&srv).await;
    let first_cookie = b.cookie.clone();
    assert_eq!(b.login("admin@acme.test", PASSWORD).await, 303);
    assert_ne!(b.cookie, first_cookie);
    let old = Browser { client: b.client.clone(), base: b.base.clone(), cookie: first_cookie };
    assert_eq!(old.get("/").await.0, 303, "the previous session ended at sign-in");
    let csrf = b.csrf("/").await;
    assert_eq!(b.post("/logout", &[("csrf", &csrf)]).await.status().as_u16(), 303);
    assert_eq!(b.get("/").await.0, 303);
});

server_test!(sign_in_throttling_engages, |srv: Server| async move {
    let team = srv.team("Acme").await;
    person_with_password(&srv, &team, "admin@acme.test", &[Role::Admin]).await;
    let mut b = Browser::new(&srv);
    for _ in 0..5 {
        assert_eq!(b.login("admin@acme.test", "wrong").await, 401);
    }
    assert_eq!(b.login("admin@acme.test", PASSWORD).await, 429, "throttled even with the right password");
    assert!(b.cookie.is_none());
});

// Attempts count before the password is checked: after 4 failures, 40 concurrent guesses get one
// check between them, however long argon2 takes.
server_test!(sign_in_throttling_holds_under_concurrent_guesses, |srv: Server| async move {
    let team = srv.team("Acme").await;
    person_with_password(&srv, &team, "admin@acme.test", &[Role::Admin]).await;
    let mut b = Browser::new(&srv);
    for _ in 0..4 {
        assert_eq!(b.login("admin@acme.test", "wrong").await, 401);
    }
    let guesses: Vec<_> = (0..40)
        .map(|i| {
            let b = Browser::new(&srv);
            let password = if i == 39 { PASSWORD.to_owned() } else { format!("guess {i}") };
            tokio::spawn(async move {
                b.post("/login", &[("email", "admin@acme.test"), ("password", &password)]).await.status().as_u16()
            })
        })
        .collect();
    let mut statuses = Vec::new();
    for g in guesses {
        statuses.push(g.await.unwrap());
    }
    let checked = statuses.iter().filter(|s| **s != 429).count();
    assert_eq!(checked, 1, "exactly one guess was evaluated: {statuses:?}");
});
