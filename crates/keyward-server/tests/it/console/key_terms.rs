//! The console's forms for spec section 14: Generate API Key with your own public key and an expiry
//! (X2, X3), the team's Key Lifetime, Rotate Key on the key's page (X4), and the member's profile
//! while their individual key is handed over. Each form is CSRF-checked and answers with a redirect.
#![allow(clippy::unwrap_used)]

use crate::common::*;
use keyward_core::key::KeyState;
use keyward_core::ports::KeyStore;
use keyward_core::role::Role;
use time::OffsetDateTime;

use super::*;

fn pair() -> keyward_token::keypair::GeneratedKey {
    keyward_token::keypair::generate().unwrap()
}

// X2 + X3: a key from a pasted public key works at once on this server, signed by its owner's
// private key, and has no Download button; a pasted private key is refused and never shown back.
server_test!(x2_generate_with_a_pasted_public_key_works_at_once_and_refuses_private_keys, |srv: Server| async move {
    let (team, b, page, csrf) = admin_on_keys_page(&srv).await;
    let mine = pair();
    let pasted = mine.private.expose().to_owned();
    let r = b
        .post(
            &format!("{page}/keys"),
            &[("csrf", &csrf), ("name", "Oops"), ("roles", "DEVELOPER"), ("public_key", &pasted)],
        )
        .await;
    assert_eq!(r.status().as_u16(), 422);
    let refused = r.text().await.unwrap();
    assert!(refused.contains("private key"), "the reason is shown");
    let body_line = pasted.lines().nth(1).unwrap();
    assert!(!refused.contains(body_line), "the pasted private key is not echoed back");
    assert!(srv.store().keys(team.team.id, OffsetDateTime::now_utc(), 30).await.unwrap().is_empty());

    let public = mine.public.to_pem();
    let form = [
        ("csrf", csrf.as_str()),
        ("name", "Mine"),
        ("roles", "DEVELOPER"),
        ("public_key", &public),
        ("expires", "30d"),
    ];
    let shown = b.follow(b.post(&format!("{page}/keys"), &form).await).await;
    assert!(shown.contains("from your public key"), "{shown}");
    let key = srv.store().keys(team.team.id, OffsetDateTime::now_utc(), 30).await.unwrap().pop().unwrap();
    assert!(key.uploaded && key.expires_at.is_some());
    assert!(!shown.contains(&format!("{page}/keys/{}/download", key.id)), "no Download button");
    let held = Key {
        id: key.id.clone(),
        team: team.team.id,
        issuer: team.team.issuer_id,
        private: mine.private,
        member: None,
    };
    assert_eq!(
        srv.get("/v1/apps", &held.token()).await.status().as_u16(),
        200,
        "works before the redirect is followed"
    );
});

// X3: only the Account Holder and Admins set the team's cap; a new key then gets it as expiry.
server_test!(x3_the_key_lifetime_form_caps_new_keys_and_is_for_admins, |srv: Server| async move {
    let (team, b, page, csrf) = admin_on_keys_page(&srv).await;
    assert_eq!(
        b.post(&format!("{page}/key-lifetime"), &[("csrf", "forged"), ("days", "1")]).await.status().as_u16(),
        403
    );
    let shown = b.follow(b.post(&format!("{page}/key-lifetime"), &[("csrf", &csrf), ("days", "30")]).await).await;
    assert!(shown.contains("within 30 days"), "{shown}");
    let id = generate(&srv, &b, team.team.id, &page, &csrf, "Capped").await;
    assert!(srv.store().key(&id).await.unwrap().expires_at.is_some());
    person_with_password(&srv, &team, "dev@acme.test", &[Role::Developer]).await;
    let mut dev = Browser::new(&srv);
    assert_eq!(dev.login("dev@acme.test", PASSWORD).await, 303);
    let dev_csrf = dev.csrf(&format!("/teams/{}/profile", team.team.issuer_id)).await;
    let r = dev.post(&format!("{page}/key-lifetime"), &[("csrf", &dev_csrf), ("days", "")]).await;
    assert_ne!(r.status().as_u16(), 303, "a Developer cannot lift the cap");
    assert_eq!(srv.store().team_by_id(team.team.id).await.unwrap().max_key_lifetime_days, Some(30));
});

// X4: Rotate Key asks for confirmation, then hands over: the successor waits for its download,
// the old key works until the grace period ends; rotating again is refused with the reason.
server_test!(x4_rotate_key_confirms_then_hands_over_with_a_grace_period, |srv: Server| async move {
    let (team, b, page, csrf) = admin_on_keys_page(&srv).await;
    let id = generate(&srv, &b, team.team.id, &page, &csrf, "CI").await;
    let key_page = format!("{page}/keys/{id}");
    let rotate = format!("{key_page}/rotate");
    assert_eq!(
        b.post(&rotate, &[("csrf", "forged"), ("grace", "24h"), ("confirm", "yes")]).await.status().as_u16(),
        403
    );
    let unconfirmed = b.follow(b.post(&rotate, &[("csrf", &csrf), ("grace", "now")]).await).await;
    assert!(unconfirmed.contains("Confirm the rotation"), "{unconfirmed}");
    assert_eq!(srv.store().keys(team.team.id, OffsetDateTime::now_utc(), 30).await.unwrap().len(), 1, "nothing made");
    let shown = b.follow(b.post(&rotate, &[("csrf", &csrf), ("grace", "24h"), ("confirm", "yes")]).await).await;
    let old = srv.store().key(&id).await.unwrap();
    let now = OffsetDateTime::now_utc();
    assert!(old.revoke_at.is_some() && old.state(now) == KeyState::Active, "working through its grace period");
    let keys = srv.store().keys(team.team.id, now, 30).await.unwrap();
    let successor = keys.iter().find(|k| k.replaces.as_ref() == Some(&id)).unwrap();
    assert!(shown.contains(&format!("Rotated {id} to {}", successor.id)), "{shown}");
    assert!(shown.contains(&format!("{page}/keys/{}/download", successor.id)), "the successor's Download button");
    let again = b.follow(b.post(&rotate, &[("csrf", &csrf), ("grace", "now"), ("confirm", "yes")]).await).await;
    assert!(again.contains("already being rotated out"), "{again}");
    assert!(!b.get(&key_page).await.1.contains("Rotate Key</button>"), "no Rotate form for a key in grace");
});

// X4 for a member's own individual key: the profile offers the successor's download during the
// grace period (the old key is no longer the member's current key).
server_test!(
    x4_a_member_rotates_their_individual_key_and_downloads_the_successor_from_the_profile,
    |srv: Server| async move {
        let team = srv.team("Acme").await;
        person_with_password(&srv, &team, "dev@acme.test", &[Role::Developer]).await;
        let mut b = Browser::new(&srv);
        assert_eq!(b.login("dev@acme.test", PASSWORD).await, 303);
        let profile = format!("/teams/{}/profile", team.team.issuer_id);
        let csrf = b.csrf(&profile).await;
        b.follow(b.post(&format!("{profile}/key"), &[("csrf", &csrf), ("action", "generate")]).await).await;
        let old = srv.store().keys(team.team.id, OffsetDateTime::now_utc(), 30).await.unwrap().pop().unwrap();
        let rotate = format!("/teams/{}/integrations/api/keys/{}/rotate", team.team.issuer_id, old.id);
        let shown = b.follow(b.post(&rotate, &[("csrf", &csrf), ("grace", "1h"), ("confirm", "yes")]).await).await;
        let keys = srv.store().keys(team.team.id, OffsetDateTime::now_utc(), 30).await.unwrap();
        let successor = keys.iter().find(|k| k.replaces.as_ref() == Some(&old.id)).unwrap();
        assert!(
            shown.contains(&format!("keys/{}/download", successor.id)),
            "the profile offers the successor's download: {shown}"
        );
        assert!(shown.contains(&format!("Key ID <code>{}</code>", successor.id)), "the successor is the current key");
    }
);

// X1: Grant Key Manager on an ADMIN team key's page, confirmed and CSRF-checked, by Admins only;
// a key without the ADMIN role is not offered it; Withdraw takes it back. Each answers a redirect.
server_test!(x1_admins_grant_and_withdraw_key_manager_on_the_keys_page, |srv: Server| async move {
    let (team, b, page, csrf) = admin_on_keys_page(&srv).await;
    let r = b.post(&format!("{page}/keys"), &[("csrf", &csrf), ("name", "Automation"), ("roles", "ADMIN")]).await;
    assert_eq!(r.status().as_u16(), 303);
    let keys = srv.store().keys(team.team.id, OffsetDateTime::now_utc(), 30).await.unwrap();
    let id = keys.into_iter().find(|k| k.name == "Automation").unwrap().id;
    let key_page = format!("{page}/keys/{id}");
    let change = format!("{key_page}/capability");
    assert!(b.get(&key_page).await.1.contains("Grant Key Manager</button>"));
    let forged = b.post(&change, &[("csrf", "forged"), ("grant", "yes"), ("confirm", "yes")]).await;
    assert_eq!(forged.status().as_u16(), 403);
    let unconfirmed = b.follow(b.post(&change, &[("csrf", &csrf), ("grant", "yes")]).await).await;
    assert!(unconfirmed.contains("Confirm that this key may manage keys"), "{unconfirmed}");
    assert!(!srv.store().key(&id).await.unwrap().key_manager, "nothing granted");

    person_with_password(&srv, &team, "dev@acme.test", &[Role::Developer]).await;
    let mut dev = Browser::new(&srv);
    assert_eq!(dev.login("dev@acme.test", PASSWORD).await, 303);
    let dev_csrf = dev.csrf(&format!("/teams/{}/profile", team.team.issuer_id)).await;
    let by_dev = dev.post(&change, &[("csrf", &dev_csrf), ("grant", "yes"), ("confirm", "yes")]).await;
    assert_eq!(by_dev.status().as_u16(), 404, "a Developer is told the key does not exist");
    assert!(!srv.store().key(&id).await.unwrap().key_manager);

    let granted = b.post(&change, &[("csrf", &csrf), ("grant", "yes"), ("confirm", "yes")]).await;
    assert_eq!(granted.status().as_u16(), 303, "Post/Redirect/Get");
    let shown = b.follow(granted).await;
    assert!(shown.contains("is a Key Manager"), "{shown}");
    assert!(shown.contains("Withdraw Key Manager</button>"), "{shown}");
    assert!(srv.store().key(&id).await.unwrap().key_manager);
    let withdrawn = b.follow(b.post(&change, &[("csrf", &csrf), ("grant", "no")]).await).await;
    assert!(withdrawn.contains("no longer a Key Manager"), "{withdrawn}");
    assert!(!srv.store().key(&id).await.unwrap().key_manager);

    let builds = generate(&srv, &b, team.team.id, &page, &csrf, "Builds").await;
    let builds_page = b.get(&format!("{page}/keys/{builds}")).await.1;
    assert!(!builds_page.contains("Grant Key Manager"), "an APP_MANAGER key is not offered it");
    let forced = b
        .follow(
            b.post(
                &format!("{page}/keys/{builds}/capability"),
                &[("csrf", &csrf), ("grant", "yes"), ("confirm", "yes")],
            )
            .await,
        )
        .await;
    assert!(forced.contains("ADMIN role"), "{forced}");
    assert!(!srv.store().key(&builds).await.unwrap().key_manager);
});
