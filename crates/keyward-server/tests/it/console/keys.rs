//! Users and Access → Integrations → App Store Connect API: CSRF and Origin checks, the Generate
//! API Key dialog, Post/Redirect/Get, the single download, and revocation with confirmation.
#![allow(clippy::unwrap_used)]

use crate::common::*;
use keyward_core::ports::KeyStore;
use keyward_core::role::{Role, RoleSet};

use super::*;

server_test!(forms_without_the_csrf_token_or_from_another_site_write_nothing, |srv: Server| async move {
    let (team, b, page, csrf) = admin_on_keys_page(&srv).await;
    let generate = format!("{page}/keys");
    assert_eq!(
        b.post(&generate, &[("name", "CI"), ("roles", "DEVELOPER")]).await.status().as_u16(),
        422,
        "no csrf field"
    );
    assert_eq!(
        b.post(&generate, &[("csrf", "forged"), ("name", "CI"), ("roles", "DEVELOPER")]).await.status().as_u16(),
        403
    );
    let cross = b
        .client
        .post(format!("{}{generate}", b.base))
        .header("cookie", b.cookie.clone().unwrap())
        .header("origin", "https://evil.example")
        .form(&[("csrf", csrf.as_str()), ("name", "CI"), ("roles", "DEVELOPER")])
        .send()
        .await
        .unwrap();
    assert_eq!(cross.status().as_u16(), 403);
    assert!(
        srv.store().keys(team.team.id, time::OffsetDateTime::now_utc(), 30).await.unwrap().is_empty(),
        "nothing was written"
    );
});

// The Generate API Key dialog: closed on the page, open at ?generate (no JavaScript), and open
// with the reason when the server refuses what was submitted.
server_test!(generate_api_key_opens_without_javascript_and_explains_a_refusal, |srv: Server| async move {
    let (team, b, page, csrf) = admin_on_keys_page(&srv).await;
    let dialog_open = |html: &str| html.contains("aria-labelledby=\"generate-key-title\" open>");
    let (_, html) = b.get(&page).await;
    assert!(!dialog_open(&html) && html.contains("<dialog id=\"generate-key\""));
    assert!(dialog_open(&b.get(&format!("{page}?generate")).await.1));
    let (status, odd) = b.get(&format!("{page}?generate=%ZZ&generate&x")).await;
    assert!(status == 200 && dialog_open(&odd), "an odd query is no reason to refuse the page");
    let r = b.post(&format!("{page}/keys"), &[("csrf", &csrf), ("name", "CI")]).await;
    assert_eq!(r.status().as_u16(), 422, "a key without roles is refused");
    let refused = r.text().await.unwrap();
    assert!(dialog_open(&refused), "the refusal is explained in the open dialog");
    assert!(srv.store().keys(team.team.id, time::OffsetDateTime::now_utc(), 30).await.unwrap().is_empty());
});

server_test!(generate_answers_with_a_redirect_and_shows_its_outcome_once, |srv: Server| async move {
    let (team, b, page, csrf) = admin_on_keys_page(&srv).await;
    for name in ["CI", "Release"] {
        let r = b
            .post(
                &format!("{page}/keys"),
                &[("csrf", &csrf), ("name", name), ("roles", "APP_MANAGER"), ("roles", "DEVELOPER")],
            )
            .await;
        assert!(b.follow(r).await.contains("Download it now"), "Post/Redirect/Get with the outcome shown once");
        assert!(!b.get(&page).await.1.contains("Download it now"), "and only once");
    }
    let keys = srv.store().keys(team.team.id, time::OffsetDateTime::now_utc(), 30).await.unwrap();
    assert_eq!(keys.len(), 2, "one key per Generate");
    assert_eq!(keys[0].roles, RoleSet::of(&[Role::AppManager, Role::Developer]));
});

server_test!(the_private_key_downloads_once_with_no_store_and_signs_tokens, |srv: Server| async move {
    let (team, b, page, csrf) = admin_on_keys_page(&srv).await;
    let id = generate(&srv, &b, team.team.id, &page, &csrf, "CI").await;
    generate(&srv, &b, team.team.id, &page, &csrf, "Release").await;
    let download = format!("{page}/keys/{id}/download");
    let r = b.post(&download, &[("csrf", &csrf)]).await;
    assert_eq!(r.status().as_u16(), 200);
    assert_eq!(r.headers()["cache-control"], "no-store");
    assert_eq!(
        r.headers()["content-disposition"].to_str().unwrap(),
        format!("attachment; filename=\"AuthKey_{id}.p8\"")
    );
    let pem = r.text().await.unwrap();
    assert!(pem.starts_with("-----BEGIN PRIVATE KEY-----"));
    assert_eq!(b.post(&download, &[("csrf", &csrf)]).await.status().as_u16(), 409, "second download refused");
    let (_, html) = b.get(&page).await;
    assert_eq!(html.matches("Download API Key").count(), 1, "only the undownloaded key keeps its link");
    srv.sync().await;
    let key = Key {
        id,
        team: team.team.id,
        issuer: team.team.issuer_id,
        private: keyward_token::PrivateKeyPem::from_pem(&pem).unwrap(),
        member: None,
    };
    assert_eq!(srv.get("/v1/apps", &key.token()).await.status().as_u16(), 200);
});

server_test!(revoke_asks_to_confirm_then_refuses_tokens_at_once, |srv: Server| async move {
    let (team, b, page, csrf) = admin_on_keys_page(&srv).await;
    let first = generate(&srv, &b, team.team.id, &page, &csrf, "CI").await;
    let second = generate(&srv, &b, team.team.id, &page, &csrf, "Release").await;
    let r = b.post(&format!("{page}/keys/{first}/download"), &[("csrf", &csrf)]).await;
    let pem = r.text().await.unwrap();
    srv.sync().await;
    let key = Key {
        id: first.clone(),
        team: team.team.id,
        issuer: team.team.issuer_id,
        private: keyward_token::PrivateKeyPem::from_pem(&pem).unwrap(),
        member: None,
    };
    assert_eq!(srv.get("/v1/apps", &key.token()).await.status().as_u16(), 200);

    // Edit shows the checkboxes and Revoke Key; the plain page has neither.
    let (_, plain) = b.get(&page).await;
    assert!(plain.contains("?edit") && !plain.contains("name=\"keys\"") && !plain.contains("Revoke Key"));
    let (_, editing) = b.get(&format!("{page}?edit")).await;
    assert_eq!(editing.matches("name=\"keys\"").count(), 2);
    assert!(editing.contains("Revoke Key"));

    // A confirmation first, then one transaction; listed under Revoked; 401 at once.
    let revoke = format!("{page}/revoke");
    let ids = [first.to_string(), second.to_string()];
    let r = b.post(&revoke, &[("csrf", &csrf), ("keys", &ids[0]), ("keys", &ids[1])]).await;
    let confirm = r.text().await.unwrap();
    assert!(confirm.contains("Revoke 2 keys?"), "{confirm}");
    assert!(srv.store().key(&first).await.unwrap().is_active(), "nothing revoked before confirming");
    let r = b.post(&revoke, &[("csrf", &csrf), ("confirm", "yes"), ("keys", &ids[0]), ("keys", &ids[1])]).await;
    assert_eq!(r.status().as_u16(), 303);
    assert_eq!(srv.get("/v1/apps", &key.token()).await.status().as_u16(), 401, "revoked before the page answered");
    let (_, html) = b.get(&page).await;
    let revoked_section = html.split("id=\"revoked\"").nth(1).unwrap();
    assert!(
        revoked_section.contains(&ids[0])
            && revoked_section.contains(&ids[1])
            && revoked_section.contains("admin@acme.test")
    );
});
